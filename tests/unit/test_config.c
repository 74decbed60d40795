/*
 * test_config.c - unit tests for config.c: finding a setting by either spelling, validating
 * and normalising a value of each type, and the settings as the queue layer loads them
 * (defaults, stored values on top, stored values that no longer validate).  Reading and
 * writing them through a store is test_queue's.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "util.h"

/* --- finding settings --- */

static void test_find(void **state)
{
	const struct config_setting *s;

	for (int i = 0; i < config_nsettings; i++) {
		char *underscored = xstrdup(config_settings[i].name);

		for (char *p = underscored; *p; p++)
			if (*p == '-')
				*p = '_';
		assert_ptr_equal(config_find(config_settings[i].name), &config_settings[i]);
		assert_ptr_equal(config_find(underscored), &config_settings[i]);
		free(underscored);
	}
	s = config_find("max_retries");
	assert_non_null(s);
	assert_string_equal(s->name, "max-retries");
	assert_int_equal(s->type, CONFIG_INT);
	assert_ptr_equal(config_find("backoff_base"), config_find("backoff-base"));
	assert_ptr_equal(config_find("job_timeout"), config_find("job-timeout"));
	assert_non_null(config_find("lease"));
}

static void test_find_unknown(void **state)
{
	char longname[200];
	struct error err = { 0 };

	assert_null(config_find("nope"));
	assert_null(config_find(""));
	assert_null(config_find("max"));
	assert_null(config_find("max-retries-"));
	assert_null(config_find("MAX-RETRIES"));
	assert_null(config_find("max retries"));
	assert_null(config_find("maxretries"));
	memset(longname, 'a', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	assert_null(config_find(longname));

	assert_int_equal(config_unknown("nope", &err), QE_INPUT);
	assert_int_equal(err.code, QE_INPUT);
	assert_string_equal(err.msg, "unknown config key 'nope' (valid: max-retries, backoff-base, "
				     "backoff-max, job-timeout, lease, durability, max-output)");
}

static void test_table(void **state)
{
	/* Every default is valid for its own row, and already in canonical form. */
	for (int i = 0; i < config_nsettings; i++) {
		const struct config_setting *s = &config_settings[i];
		struct error err = { 0 };
		char *canon = NULL;

		assert_non_null(s->help);
		assert_true(s->min <= s->max);
		if (config_normalize(s, s->def, &canon, &err))
			fail_msg("default of %s does not validate: %s", s->name, err.msg);
		assert_string_equal(canon, s->def);
		free(canon);
	}
}

/* --- normalising values --- */

static void norm_ok(const char *key, const char *value, const char *want)
{
	const struct config_setting *s = config_find(key);
	struct error err = { 0 };
	char *canon = NULL;

	assert_non_null(s);
	if (config_normalize(s, value, &canon, &err))
		fail_msg("%s = '%s' refused: %s", key, value, err.msg);
	assert_non_null(canon);
	if (strcmp(canon, want)) {
		print_error("%s = '%s' became '%s', want '%s'\n", key, value, canon, want);
		free(canon);
		fail();
	}
	free(canon);
}

static void norm_bad(const char *key, const char *value, const char *want)
{
	const struct config_setting *s = config_find(key);
	struct error err = { 0 };
	char *canon = NULL;

	assert_non_null(s);
	if (config_normalize(s, value, &canon, &err) != QE_INPUT)
		fail_msg("%s = '%s' accepted as '%s'", key, value, canon ? canon : "(null)");
	assert_null(canon);
	assert_int_equal(err.code, QE_INPUT);
	if (!strstr(err.msg, want))
		fail_msg("%s = '%s': message \"%s\" lacks \"%s\"", key, value, err.msg, want);
	/* The message names the key. */
	assert_non_null(strstr(err.msg, s->name));
}

static void test_normalize_int(void **state)
{
	norm_ok("max-retries", "0", "0");
	norm_ok("max-retries", "3", "3");
	norm_ok("max-retries", "1000", "1000");
	norm_ok("max-retries", "007", "7");
	norm_bad("max-retries", "1001", "invalid max-retries '1001': must be between 0 and 1000");
	norm_bad("max-retries", "-1", "must be between 0 and 1000");
	norm_bad("max-retries", "99999999999999999999", "must be between 0 and 1000");
	norm_bad("max-retries", "abc", "invalid max-retries 'abc': not a whole number");
	norm_bad("max-retries", "", "not a whole number");
	norm_bad("max-retries", "2.5", "not a whole number");
	norm_bad("max-retries", " 3", "not a whole number");
	norm_bad("max-retries", "3 ", "not a whole number");
}

static void test_normalize_real(void **state)
{
	/* The shortest text that reads back: "2" stays "2". */
	norm_ok("backoff-base", "2", "2");
	norm_ok("backoff-base", "2.0", "2");
	norm_ok("backoff-base", "2.", "2");
	norm_ok("backoff-base", "1.5", "1.5");
	norm_ok("backoff-base", "1", "1");
	norm_ok("backoff-base", "1.1", "1.1");
	norm_ok("backoff-base", "3.14159", "3.14159");
	norm_ok("backoff-base", "1.0000000000000002", "1.0000000000000002");
	/* Bounds. */
	norm_bad("backoff-base", "0.5", "invalid backoff-base '0.5': must be between 1 and 1000");
	norm_bad("backoff-base", ".5", "must be between 1 and 1000");
	norm_bad("backoff-base", "0", "must be between");
	norm_bad("backoff-base", "1000.5", "must be between");
	norm_bad("backoff-base", "1e4", "must be between");
	/* Text that is not a plain decimal number. */
	norm_bad("backoff-base", "abc", "invalid backoff-base 'abc': not a number");
	norm_bad("backoff-base", "", "not a number");
	norm_bad("backoff-base", "2x", "not a number");
	norm_bad("backoff-base", "-2", "not a number");
	norm_bad("backoff-base", "+2", "not a number");
	norm_bad("backoff-base", " 2", "not a number");
	norm_bad("backoff-base", "inf", "not a number");
	norm_bad("backoff-base", "nan", "not a number");
	norm_bad("backoff-base", "1e999", "not a number");
}

static void test_normalize_real_whole(void **state)
{
	/*
	 * Whole numbers of more than one digit stay as typed: "shortest text that reads back"
	 * must not turn 10 into "1e+01" (longer, and what config get would then print).
	 */
	norm_ok("backoff-base", "12.5", "12.5");
	norm_ok("backoff-base", "10", "10");
	norm_ok("backoff-base", "20", "20");
	norm_ok("backoff-base", "100", "100");
	norm_ok("backoff-base", "1000", "1000");
	norm_ok("backoff-base", "1e3", "1000");
}

static void test_normalize_duration(void **state)
{
	norm_ok("backoff-max", "1h", "3600");
	norm_ok("backoff-max", "3600", "3600");
	norm_ok("backoff-max", "0", "0");
	norm_ok("backoff-max", "1h30m", "5400");
	norm_ok("backoff-max", "3660d", "316224000");
	norm_ok("job-timeout", "90s", "90");
	norm_ok("job-timeout", "0", "0");
	norm_ok("lease", "2", "2");
	norm_ok("lease", "30s", "30");
	norm_ok("lease", "1d", "86400");
	norm_ok("job_timeout", "5m", "300");
	/* Bounds: lease is 2 seconds to a day. */
	norm_bad("lease", "1", "invalid lease '1': must be between 2 and 86400 seconds");
	norm_bad("lease", "0", "must be between 2 and 86400 seconds");
	norm_bad("lease", "1d1s", "must be between 2 and 86400 seconds");
	norm_bad("lease", "2d", "must be between");
	/* Not a duration: the message says which key. */
	norm_bad("lease", "abc", "lease: invalid duration 'abc'");
	norm_bad("job-timeout", "", "job-timeout: invalid duration ''");
	norm_bad("job-timeout", "-1", "invalid duration");
	norm_bad("backoff-max", "1h30", "invalid duration");
	norm_bad("backoff-max", "3661d", "longer than 10 years");
}

/* --- applying stored values --- */

static void test_defaults(void **state)
{
	struct config cfg;

	/* Garbage in cfg beforehand: every field is set. */
	memset(&cfg, 0x5a, sizeof cfg);
	config_defaults(&cfg);
	assert_int_equal(cfg.max_retries, 3);
	assert_true(cfg.backoff_base == 2.0);
	assert_int_equal(cfg.backoff_max, 3600);
	assert_int_equal(cfg.job_timeout, 0);
	assert_int_equal(cfg.lease, 30);
	assert_false(cfg.durable);
}

static void test_apply_stored(void **state)
{
	struct config cfg;

	config_defaults(&cfg);
	config_apply_stored(&cfg, "max-retries", "5");
	config_apply_stored(&cfg, "backoff-base", "1.5");
	config_apply_stored(&cfg, "backoff-max", "600");
	config_apply_stored(&cfg, "job-timeout", "120");
	config_apply_stored(&cfg, "lease", "10");
	config_apply_stored(&cfg, "durability", "full");
	assert_int_equal(cfg.max_retries, 5);
	assert_true(cfg.backoff_base == 1.5);
	assert_int_equal(cfg.backoff_max, 600);
	assert_int_equal(cfg.job_timeout, 120);
	assert_int_equal(cfg.lease, 10);
	assert_true(cfg.durable);

	/* A later value replaces the earlier one. */
	config_apply_stored(&cfg, "max-retries", "0");
	assert_int_equal(cfg.max_retries, 0);
	assert_int_equal(cfg.lease, 10);
}

static void test_apply_stored_bad(void **state)
{
	struct config cfg;

	/*
	 * Rows that no longer validate (hand-edited, or from another version) keep the value;
	 * unknown keys are ignored; a stored duration in text form is read as what it means.
	 */
	config_defaults(&cfg);
	config_apply_stored(&cfg, "max-retries", "lots");
	config_apply_stored(&cfg, "backoff-base", "0.1");
	config_apply_stored(&cfg, "lease", "1");
	config_apply_stored(&cfg, "from-the-future", "1");
	config_apply_stored(&cfg, "job_timeout", "2m");
	config_apply_stored(&cfg, "durability", "sometimes");
	assert_int_equal(cfg.max_retries, 3);
	assert_true(cfg.backoff_base == 2.0);
	assert_int_equal(cfg.backoff_max, 3600);
	assert_int_equal(cfg.job_timeout, 120);
	assert_int_equal(cfg.lease, 30);
	assert_false(cfg.durable);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_find_unknown),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_normalize_int),
		cmocka_unit_test(test_normalize_real),
		cmocka_unit_test(test_normalize_real_whole),
		cmocka_unit_test(test_normalize_duration),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_apply_stored),
		cmocka_unit_test(test_apply_stored_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
