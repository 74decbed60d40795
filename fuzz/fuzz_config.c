/*
 * fuzz_config.c - config_normalize, which reads "queuectl config set KEY VALUE" and every
 * value stored in the database, and config_find, which reads KEY.
 *
 * The input, up to its first NUL, is tried as the value of every row of config_settings.
 * An accepted value's canonical text must be accepted again, unchanged (config_load and
 * config show normalize what config set stored) and, for a number, lie within the row's
 * bounds.  The same text is also looked up as a key.
 */
#include <string.h>

#include "config.h"
#include "fuzz.h"
#include "util.h"

static void check_value(const struct config_setting *s, const char *value)
{
	struct error err = { 0 };
	char *canon = NULL, *again = NULL, *end;
	double v;
	int rc = config_normalize(s, value, &canon, &err);

	if (rc) {
		CHECK(rc == QE_INPUT && err.code == rc && err.msg[0], "%s: rc %d, message '%s'",
		      s->name, rc, err.msg);
		CHECK(!canon, "%s: refused '%s' but returned text", s->name, value);
		return;
	}
	CHECK(canon, "%s: accepted '%s' with no canonical text", s->name, value);
	/* The numeric types; a setting of another type (a word) is only checked for a fixpoint. */
	if (s->type == CONFIG_INT || s->type == CONFIG_REAL || s->type == CONFIG_DURATION) {
		v = strtod(canon, &end);
		CHECK(*canon && !*end && v >= s->min && v <= s->max,
		      "%s: '%s' became '%s', not a number within bounds", s->name, value, canon);
	}
	rc = config_normalize(s, canon, &again, &err);
	CHECK(rc == 0, "%s: '%s' became '%s', which is refused: %s", s->name, value, canon,
	      err.msg);
	CHECK(!strcmp(canon, again), "%s: '%s' became '%s', then '%s'", s->name, value, canon,
	      again);
	free(canon);
	free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = xstrndup((const char *)data, size);
	const struct config_setting *found;

	for (int i = 0; i < config_nsettings; i++)
		check_value(&config_settings[i], s);

	found = config_find(s);
	if (found) {
		size_t n = strlen(s);

		CHECK(n == strlen(found->name), "key '%s' found as '%s'", s, found->name);
		for (size_t i = 0; i < n; i++)
			CHECK(s[i] == found->name[i] || (s[i] == '_' && found->name[i] == '-'),
			      "key '%s' found as '%s'", s, found->name);
	}
	free(s);
	return 0;
}
