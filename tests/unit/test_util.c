/*
 * test_util.c - unit tests for util.c and error.c: timestamps, durations, whole numbers, job
 * ids, text validation, shell quoting (checked by a real /bin/sh), buffers and the two
 * directory helpers (mkdir_p modes, remove_tree never following a symbolic link).
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "error.h"
#include "tmpdb.h"
#include "util.h"

static bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static unsigned mode_of(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return 07777 + 1; /* no mode a directory can have */
	return st.st_mode & 07777;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

/* --- error.c --- */

static void test_error_set_prefix(void **state)
{
	struct error err = { 0 };

	assert_int_equal(error_set(&err, QE_NOTFOUND, "no job '%s'", "j1"), QE_NOTFOUND);
	assert_int_equal(err.code, QE_NOTFOUND);
	assert_string_equal(err.msg, "no job 'j1'");
	assert_int_equal(error_prefix(&err, "line %d: ", 3), QE_NOTFOUND);
	assert_string_equal(err.msg, "line 3: no job 'j1'");
	/* A NULL error is allowed: the code still comes back. */
	assert_int_equal(error_set(NULL, QE_INPUT, "ignored"), QE_INPUT);
}

static void test_error_prefix_truncates(void **state)
{
	struct error err = { 0 };
	char longmsg[2000];

	memset(longmsg, 'x', sizeof longmsg - 1);
	longmsg[sizeof longmsg - 1] = '\0';
	error_set(&err, QE_FAIL, "%s", longmsg);
	assert_int_equal(strlen(err.msg), sizeof err.msg - 1);
	error_prefix(&err, "prefix: ");
	assert_int_equal(strlen(err.msg), sizeof err.msg - 1);
	assert_memory_equal(err.msg, "prefix: xxx", 11);
}

static void test_error_exit_status(void **state)
{
	assert_int_equal(error_exit_status(QE_OK), EXIT_OK);
	assert_int_equal(error_exit_status(QE_INPUT), EXIT_USAGE);
	assert_int_equal(error_exit_status(QE_FAIL), EXIT_FAIL);
	assert_int_equal(error_exit_status(QE_NOTFOUND), EXIT_FAIL);
	assert_int_equal(error_exit_status(QE_CONFLICT), EXIT_FAIL);
	assert_int_equal(error_exit_status(QE_BUSY), EXIT_FAIL);
}

/* --- timestamps --- */

static void test_time_format(void **state)
{
	char buf[TIME_BUFSZ];

	assert_string_equal(time_format(0, false, buf), "1970-01-01T00:00:00Z");
	assert_string_equal(time_format(1762252200000LL, false, buf), "2025-11-04T10:30:00Z");
	assert_string_equal(time_format(1762252200123LL, true, buf), "2025-11-04T10:30:00.123Z");
	/* Without millis the fraction is dropped, not rounded. */
	assert_string_equal(time_format(1762252200999LL, false, buf), "2025-11-04T10:30:00Z");
	assert_string_equal(time_format(1709164800007LL, true, buf), "2024-02-29T00:00:00.007Z");
	/* Before the epoch the fraction still counts forward from the whole second. */
	assert_string_equal(time_format(-1, true, buf), "1969-12-31T23:59:59.999Z");
	assert_ptr_equal(time_format(0, true, buf), buf);
}

static void parse_ok(const char *s, int64_t want)
{
	struct error err = { 0 };
	int64_t ms = -42;

	if (time_parse(s, &ms, &err) != 0)
		fail_msg("time_parse(\"%s\") failed: %s", s, err.msg);
	if (ms != want)
		fail_msg("time_parse(\"%s\") = %lld, want %lld", s, (long long)ms, (long long)want);
}

static void parse_bad(const char *s, const char *why)
{
	struct error err = { 0 };
	int64_t ms = -42;
	char *quoted = xasprintf("'%s'", s);

	if (time_parse(s, &ms, &err) != QE_INPUT)
		fail_msg("time_parse(\"%s\") accepted (%lld)", s, (long long)ms);
	assert_int_equal(err.code, QE_INPUT);
	assert_int_equal(ms, -42);
	assert_non_null(strstr(err.msg, quoted));
	if (why && !strstr(err.msg, why))
		fail_msg("time_parse(\"%s\"): message \"%s\" lacks \"%s\"", s, err.msg, why);
	free(quoted);
}

static void test_time_parse_valid(void **state)
{
	parse_ok("2025-11-04T10:30:00Z", 1762252200000LL);
	parse_ok("2025-11-04t10:30:00z", 1762252200000LL);
	parse_ok("1970-01-01T00:00:00Z", 0);
	parse_ok("2024-02-29T00:00:00Z", 1709164800000LL);
	parse_ok("2000-02-29T00:00:00Z", 951782400000LL);
	/* Offsets: local time minus the offset is UTC. */
	parse_ok("2025-11-04T12:30:00+02:00", 1762252200000LL);
	parse_ok("2025-11-04T05:00:00-05:30", 1762252200000LL);
	parse_ok("2025-11-04T10:30:00+00:00", 1762252200000LL);
	parse_ok("2025-11-05T00:29:00+13:59", 1762252200000LL);
	/* Fractions: milliseconds, more digits are truncated. */
	parse_ok("2025-11-04T10:30:00.5Z", 1762252200500LL);
	parse_ok("2025-11-04T10:30:00.12Z", 1762252200120LL);
	parse_ok("2025-11-04T10:30:00.123Z", 1762252200123LL);
	parse_ok("2025-11-04T10:30:00.123999999Z", 1762252200123LL);
	parse_ok("2025-11-04T12:30:00.250+02:00", 1762252200250LL);
	parse_ok("2025-12-31T23:59:59Z", 1767225599000LL);
	/* What date -Ins prints: a comma before the fraction, nanoseconds. */
	parse_ok("2025-11-04T10:30:00,123456789+00:00", 1762252200123LL);
	parse_ok("2025-11-04T12:30:00,5+02:00", 1762252200500LL);
	/* RFC 3339's space in place of the T. */
	parse_ok("2025-11-04 10:30:00Z", 1762252200000LL);
	parse_ok("2025-11-04 10:30:00.250+00:00", 1762252200250LL);
}

static void test_time_parse_invalid(void **state)
{
	/* Dates and times that do not exist. */
	parse_bad("2025-02-30T00:00:00Z", "no such date");
	parse_bad("2025-02-29T00:00:00Z", "no such date");
	parse_bad("2100-02-29T00:00:00Z", "no such date");
	parse_bad("2025-04-31T00:00:00Z", "no such date");
	parse_bad("2025-13-01T00:00:00Z", "no such date");
	parse_bad("2025-00-10T00:00:00Z", "no such date");
	parse_bad("2025-01-00T00:00:00Z", "no such date");
	parse_bad("2025-11-04T24:00:00Z", "no such date");
	parse_bad("2025-11-04T10:60:00Z", "no such date");
	parse_bad("2025-11-04T10:30:60Z", "no such date");
	parse_bad("1969-12-31T23:59:59Z", "no such date");
	parse_bad("0000-01-01T00:00:00Z", "no such date");
	/* A missing zone is an error: we never guess. */
	parse_bad("2025-11-04T10:30:00", "expected ISO-8601");
	parse_bad("2025-11-04T10:30:00.123", "expected ISO-8601");
	/* Malformed text. */
	parse_bad("", "expected ISO-8601");
	parse_bad("yesterday", "expected ISO-8601");
	parse_bad("2025-11-04", "expected ISO-8601");
	parse_bad("2025-11-04  10:30:00Z", "expected ISO-8601");
	parse_bad("2025-11-04T10:30:00,Z", "expected ISO-8601");
	parse_bad("2025-11-4T10:30:00Z", "expected ISO-8601");
	parse_bad("2025/11/04T10:30:00Z", "expected ISO-8601");
	parse_bad("2025-11-04T10:30Z", "expected ISO-8601");
	parse_bad("2025-11-04T10:30:00.Z", "expected ISO-8601");
	parse_bad("2025-11-04T10:30:00ZZ", "expected ISO-8601");
	parse_bad("2025-11-04T10:30:00Z ", "expected ISO-8601");
	parse_bad("2025-11-04T10:30:00+0200", "expected ISO-8601");
	parse_bad("2025-11-04T10:30:00+02", "expected ISO-8601");
	parse_bad("2025-11-04T10:30:00+24:00", "expected ISO-8601");
	parse_bad("2025-11-04T10:30:00+02:60", "expected ISO-8601");
	parse_bad("2025-11-04T10:30:00+02:00x", "expected ISO-8601");
	parse_bad("+2025-11-04T10:30:00Z", "expected ISO-8601");
}

static void test_time_round_trip(void **state)
{
	static const int64_t times[] = { 0, 1, 999, 1000, 1762252200123LL, 4102444799999LL };
	char buf[TIME_BUFSZ];

	for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) {
		struct error err = { 0 };
		int64_t back = -1;

		assert_int_equal(time_parse(time_format(times[i], true, buf), &back, &err), 0);
		assert_int_equal(back, times[i]);
		assert_int_equal(time_parse(time_format(times[i], false, buf), &back, &err), 0);
		assert_int_equal(back, times[i] / 1000 * 1000);
	}
}

/* --- durations --- */

static void duration_ok(const char *s, int64_t want)
{
	struct error err = { 0 };
	int64_t secs = -42;

	if (duration_parse(s, &secs, &err) != 0)
		fail_msg("duration_parse(\"%s\") failed: %s", s, err.msg);
	if (secs != want)
		fail_msg("duration_parse(\"%s\") = %lld, want %lld", s, (long long)secs,
			 (long long)want);
}

static void duration_bad(const char *s, const char *why)
{
	struct error err = { 0 };
	int64_t secs = -42;
	char *quoted = xasprintf("'%s'", s);

	if (duration_parse(s, &secs, &err) != QE_INPUT)
		fail_msg("duration_parse(\"%s\") accepted (%lld)", s, (long long)secs);
	assert_int_equal(err.code, QE_INPUT);
	assert_int_equal(secs, -42);
	assert_non_null(strstr(err.msg, quoted));
	if (!strstr(err.msg, why))
		fail_msg("duration_parse(\"%s\"): message \"%s\" lacks \"%s\"", s, err.msg, why);
	free(quoted);
}

static void test_duration_parse_valid(void **state)
{
	duration_ok("0", 0);
	duration_ok("90", 90);
	duration_ok("90s", 90);
	duration_ok("5m", 300);
	duration_ok("2h", 7200);
	duration_ok("1h30m", 5400);
	duration_ok("1d", 86400);
	duration_ok("1w", 604800);
	duration_ok("1w2d3h4m5s", 604800 + 2 * 86400 + 3 * 3600 + 4 * 60 + 5);
	duration_ok("0s", 0);
	duration_ok("007m", 420);
	duration_ok("316224000", DURATION_MAX);
	duration_ok("3660d", DURATION_MAX);
}

static void test_duration_parse_invalid(void **state)
{
	duration_bad("", "empty");
	duration_bad("5x", "expected seconds");
	duration_bad("1h30", "expected seconds");
	duration_bad("-5", "expected seconds");
	duration_bad("+5", "expected seconds");
	duration_bad("h", "expected seconds");
	duration_bad("5 m", "expected seconds");
	duration_bad(" 5", "expected seconds");
	duration_bad("5s ", "expected seconds");
	duration_bad("1.5h", "expected seconds");
	duration_bad("5M", "expected seconds");
	/* A unit given twice is a typo, not a sum. */
	duration_bad("1h1h", "'h' given twice");
	duration_bad("1h30m2m", "'m' given twice");
	duration_bad("5s5s", "'s' given twice");
	/* Beyond ten years, by any road, and without overflowing on the way. */
	duration_bad("316224001", "longer than 10 years");
	duration_bad("3661d", "longer than 10 years");
	duration_bad("523w", "longer than 10 years");
	duration_bad("3660d1s", "longer than 10 years");
	duration_bad("99999999999999999999999999999s", "longer than 10 years");
	duration_bad("9223372036854775808", "longer than 10 years");
}

static void test_duration_format(void **state)
{
	char buf[TIME_BUFSZ];

	assert_string_equal(duration_format(0, buf), "0s");
	assert_string_equal(duration_format(-5, buf), "0s");
	assert_string_equal(duration_format(1, buf), "1s");
	assert_string_equal(duration_format(59, buf), "59s");
	assert_string_equal(duration_format(60, buf), "1m");
	assert_string_equal(duration_format(90, buf), "1m30s");
	assert_string_equal(duration_format(3600, buf), "1h");
	assert_string_equal(duration_format(3601, buf), "1h1s");
	assert_string_equal(duration_format(5400, buf), "1h30m");
	assert_string_equal(duration_format(86400, buf), "1d");
	assert_string_equal(duration_format(90061, buf), "1d1h1m1s");
	assert_string_equal(duration_format(8 * 86400, buf), "8d");
	assert_string_equal(duration_format(DURATION_MAX, buf), "3660d");
	assert_ptr_equal(duration_format(7, buf), buf);
}

static void test_duration_round_trip(void **state)
{
	static const int64_t secs[] = { 0, 1, 61, 3599, 3600, 86399, 90061, 1234567, DURATION_MAX };
	char buf[TIME_BUFSZ];

	for (size_t i = 0; i < sizeof secs / sizeof secs[0]; i++) {
		struct error err = { 0 };
		int64_t back = -1;

		assert_int_equal(duration_parse(duration_format(secs[i], buf), &back, &err), 0);
		assert_int_equal(back, secs[i]);
	}
}

/* --- whole numbers --- */

static void test_parse_int(void **state)
{
	struct error err = { 0 };
	long long v = -42;

	assert_int_equal(parse_int("0", 0, 10, "count", &v, &err), 0);
	assert_int_equal(v, 0);
	assert_int_equal(parse_int("10", 0, 10, "count", &v, &err), 0);
	assert_int_equal(v, 10);
	assert_int_equal(parse_int("-3", -5, 5, "count", &v, &err), 0);
	assert_int_equal(v, -3);
	assert_int_equal(parse_int("007", 0, 10, "count", &v, &err), 0);
	assert_int_equal(v, 7);
	assert_int_equal(parse_int("9223372036854775807", LLONG_MIN, LLONG_MAX, "n", &v, &err), 0);
	assert_true(v == LLONG_MAX);
	assert_int_equal(parse_int("-9223372036854775808", LLONG_MIN, LLONG_MAX, "n", &v, &err), 0);
	assert_true(v == LLONG_MIN);

	/* Out of bounds: the message names the value and the bounds; *out is untouched. */
	v = -42;
	assert_int_equal(parse_int("11", 0, 10, "count", &v, &err), QE_INPUT);
	assert_string_equal(err.msg, "invalid count '11': must be between 0 and 10");
	assert_int_equal(parse_int("-1", 0, 10, "count", &v, &err), QE_INPUT);
	assert_string_equal(err.msg, "invalid count '-1': must be between 0 and 10");
	assert_int_equal(parse_int("9223372036854775808", 0, LLONG_MAX, "n", &v, &err), QE_INPUT);
	assert_non_null(strstr(err.msg, "must be between"));
	assert_int_equal(parse_int("-99999999999999999999", LLONG_MIN, 0, "n", &v, &err),
			 QE_INPUT);
	assert_non_null(strstr(err.msg, "must be between"));

	/* Not a whole number. */
	static const char *const bad[] = { "", "abc", "1.5", "5x", " 5", "5 ", "+5", "-", "0x10",
					   "1e3" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char *want = xasprintf("invalid count '%s': not a whole number", bad[i]);

		if (parse_int(bad[i], -100000, 100000, "count", &v, &err) != QE_INPUT)
			fail_msg("parse_int(\"%s\") accepted", bad[i]);
		assert_string_equal(err.msg, want);
		free(want);
	}
	assert_int_equal(v, -42);
}

/* --- ids --- */

static void test_id_valid(void **state)
{
	char longest[JOB_ID_MAX + 2];

	assert_true(id_valid("a"));
	assert_true(id_valid("job-1"));
	assert_true(id_valid("Job_1.2:x-y"));
	assert_true(id_valid("0123456789abcdef0123456789abcdef"));
	assert_true(id_valid("a."));
	assert_true(id_valid("_x"));
	assert_false(id_valid(""));
	assert_false(id_valid("-a"));
	assert_false(id_valid(".a"));
	assert_false(id_valid(".."));
	assert_false(id_valid("a b"));
	assert_false(id_valid("a/b"));
	assert_false(id_valid("a\\b"));
	assert_false(id_valid("a\nb"));
	assert_false(id_valid("caf\xc3\xa9"));
	assert_false(id_valid("a*"));
	assert_false(id_valid("a'b"));

	memset(longest, 'x', JOB_ID_MAX);
	longest[JOB_ID_MAX] = '\0';
	assert_true(id_valid(longest));
	longest[JOB_ID_MAX] = 'x';
	longest[JOB_ID_MAX + 1] = '\0';
	assert_false(id_valid(longest));
}

static void test_id_generate(void **state)
{
	enum { N = 64 };
	char ids[N][JOB_ID_GEN_LEN + 1];

	for (int i = 0; i < N; i++) {
		id_generate(ids[i]);
		assert_int_equal(strlen(ids[i]), JOB_ID_GEN_LEN);
		assert_int_equal(strspn(ids[i], "0123456789abcdef"), JOB_ID_GEN_LEN);
		assert_true(id_valid(ids[i]));
		for (int j = 0; j < i; j++)
			assert_string_not_equal(ids[i], ids[j]);
	}
}

/* --- text --- */

static bool tv(const char *s)
{
	return text_valid(s, strlen(s));
}

static void test_text_valid(void **state)
{
	assert_true(tv(""));
	assert_true(tv("echo hello"));
	assert_true(tv("a\tb\nc"));
	assert_true(tv("caf\xc3\xa9"));                  /* U+00E9, two bytes */
	assert_true(tv("\xe2\x82\xac"));                 /* U+20AC, three bytes */
	assert_true(tv("\xf0\x9f\x98\x80"));             /* U+1F600, four bytes */
	assert_true(tv("\xef\xbf\xbf"));                 /* U+FFFF */
	assert_true(tv("\xf4\x8f\xbf\xbf"));             /* U+10FFFF, the last code point */
	assert_true(tv("\xed\x9f\xbf"));                 /* U+D7FF, just before the surrogates */
	assert_true(tv("\xee\x80\x80"));                 /* U+E000, just after them */
	assert_true(tv("\xc2\x80"));                     /* U+0080, the first two-byte one */

	/* Overlong forms. */
	assert_false(tv("\xc0\xaf"));
	assert_false(tv("\xc1\xbf"));
	assert_false(tv("\xe0\x80\xaf"));
	assert_false(tv("\xe0\x9f\xbf"));
	assert_false(tv("\xf0\x80\x80\xaf"));
	assert_false(tv("\xf0\x8f\xbf\xbf"));
	/* Surrogates, and code points past U+10FFFF. */
	assert_false(tv("\xed\xa0\x80"));
	assert_false(tv("\xed\xbf\xbf"));
	assert_false(tv("\xf4\x90\x80\x80"));
	assert_false(tv("\xf5\x80\x80\x80"));
	assert_false(tv("\xff"));
	assert_false(tv("\xfe"));
	/* Truncated sequences and stray continuation bytes. */
	assert_false(tv("\xc3"));
	assert_false(tv("caf\xc3"));
	assert_false(tv("\xe2\x82"));
	assert_false(tv("\xf0\x9f\x98"));
	assert_false(tv("\x80"));
	assert_false(tv("a\xbf" "b"));
	assert_false(tv("\xc3\x28"));
	assert_false(tv("\xe2\x28\xa1"));
	/* Control characters. */
	assert_false(tv("a\x01" "b"));
	assert_false(tv("\x1b[31m"));
	assert_false(tv("a\x7f"));
	assert_false(tv("\x08"));
	/* An embedded NUL, which strlen would not see. */
	assert_false(text_valid("a\0b", 3));
	assert_true(text_valid("a\0b", 1));
	/* len bounds the check: a bad byte past it does not count. */
	assert_true(text_valid("ok\xff", 2));
	assert_false(text_valid("\xc3\xa9", 1));
}

/* --- shell quoting --- */

static void test_shell_quote_form(void **state)
{
	struct buf b = BUF_INIT;

	shell_quote(&b, "plain-word_1.2/x:y@z,w+v=u%t^s");
	assert_string_equal(b.data, "plain-word_1.2/x:y@z,w+v=u%t^s");
	buf_release(&b);
	shell_quote(&b, "");
	assert_string_equal(b.data, "''");
	buf_release(&b);
	shell_quote(&b, "two words");
	assert_string_equal(b.data, "'two words'");
	buf_release(&b);
	shell_quote(&b, "it's");
	assert_string_equal(b.data, "'it'\\''s'");
	buf_release(&b);
	/* Appends to what the buffer holds. */
	buf_adds(&b, "echo ");
	shell_quote(&b, "$x");
	assert_string_equal(b.data, "echo '$x'");
	buf_release(&b);
}

static void test_shell_quote_round_trip(void **state)
{
	static const char *const words[] = {
		"plain", "", "two words", "it's", "''", "'", "\"", "a\"b'c", "$HOME", "${x:-y}",
		"`id`", "$(echo pwned)", "back\\slash", "\\", "*", "?", "[a]", "~", "~root",
		"new\nline", "tab\there", "semi;colon", "a|b", "a&b", "&", "!bang", "#hash",
		"a#b", "-n", "--", "%s", "\\n", "{a,b}", "a=b", "x^y", "caf\xc3\xa9", "(sub)",
		"<in", ">out", "  spaced  ", "trailing\\", "a\rb",
	};
	struct buf cmd = BUF_INIT, want = BUF_INIT, got = BUF_INIT;
	char chunk[4096];
	size_t n;
	FILE *p;

	buf_adds(&cmd, "printf '%s\\n'");
	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
		buf_adds(&cmd, " ");
		shell_quote(&cmd, words[i]);
		buf_adds(&want, words[i]);
		buf_adds(&want, "\n");
	}
	p = popen(cmd.data, "r");
	assert_non_null(p);
	while ((n = fread(chunk, 1, sizeof chunk, p)) > 0)
		buf_add(&got, chunk, n);
	assert_int_equal(pclose(p), 0);
	assert_non_null(got.data);
	assert_int_equal(got.len, want.len);
	assert_memory_equal(got.data, want.data, want.len);
	buf_release(&cmd);
	buf_release(&want);
	buf_release(&got);
}

/* --- buffers --- */

static void test_buf(void **state)
{
	struct buf b = BUF_INIT;
	char *s;

	buf_add(&b, "ab", 2);
	assert_int_equal(b.len, 2);
	assert_string_equal(b.data, "ab");
	buf_adds(&b, "cd");
	buf_addf(&b, "-%d-%s", 42, "x");
	assert_string_equal(b.data, "abcd-42-x");
	assert_int_equal(b.len, 9);
	assert_true(b.cap > b.len);

	/* Growth over many appends keeps every byte and the terminating NUL. */
	for (int i = 0; i < 1000; i++)
		buf_addf(&b, "%03d", i);
	assert_int_equal(b.len, 9 + 3000);
	assert_memory_equal(b.data + 9, "000001002", 9);
	assert_memory_equal(b.data + b.len - 3, "999", 3);
	assert_int_equal(b.data[b.len], '\0');

	/* Binary data with NULs counts by length. */
	buf_release(&b);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
	buf_add(&b, "a\0b", 3);
	assert_int_equal(b.len, 3);
	assert_memory_equal(b.data, "a\0b", 4);

	s = buf_detach(&b);
	assert_memory_equal(s, "a\0b", 4);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	free(s);

	/* Detaching an empty buffer still gives a string the caller can free. */
	s = buf_detach(&b);
	assert_string_equal(s, "");
	free(s);

	/* A large formatted append. */
	buf_addf(&b, "%5000s", "z");
	assert_int_equal(b.len, 5000);
	assert_int_equal(b.data[4999], 'z');
	assert_int_equal(b.data[0], ' ');
	buf_release(&b);
}

static void test_xstr(void **state)
{
	char *s = xstrndup("abcdef", 3);
	char *t = xasprintf("%s-%d", s, 7);

	assert_string_equal(s, "abc");
	assert_string_equal(t, "abc-7");
	free(s);
	free(t);
}

static void test_clocks(void **state)
{
	int64_t a = time_mono_ms(), b = time_mono_ms();

	/* The monotonic clock never goes back; wall time is after 2023. */
	assert_true(b >= a);
	assert_true(time_now_ms() > 1700000000000LL);
}

/* --- directories --- */

static void test_mkdir_p_modes(void **state)
{
	const char *dir = *state;
	char *a = xasprintf("%s/a", dir), *ab = xasprintf("%s/a/b", dir);
	char *abc = xasprintf("%s/a/b/c", dir), *abcd = xasprintf("%s/a/b/c/d/", dir);
	char *abcd_noslash = xasprintf("%s/a/b/c/d", dir);
	mode_t old = umask(0);
	struct error err = { 0 };

	assert_int_equal(mkdir_p(abc, 0700, &err), 0);
	assert_int_equal(mode_of(a), 0700);
	assert_int_equal(mode_of(ab), 0700);
	assert_int_equal(mode_of(abc), 0700);
	/* Again: existing directories are fine and keep their mode. */
	assert_int_equal(mkdir_p(abc, 0755, &err), 0);
	assert_int_equal(mode_of(abc), 0700);
	/* Only what is created gets the new mode; a trailing slash is fine. */
	assert_int_equal(mkdir_p(abcd, 0750, &err), 0);
	assert_int_equal(mode_of(abc), 0700);
	assert_int_equal(mode_of(abcd_noslash), 0750);
	/* The temporary directory itself was not touched. */
	assert_int_equal(mode_of(dir), 0700);
	umask(old);
	free(a);
	free(ab);
	free(abc);
	free(abcd);
	free(abcd_noslash);
}

static void test_mkdir_p_fails(void **state)
{
	const char *dir = *state;
	char *file = xasprintf("%s/file", dir), *under = xasprintf("%s/file/sub", dir);
	struct error err = { 0 };

	write_file(file, "x");
	/* A regular file in the way of a parent. */
	assert_int_equal(mkdir_p(under, 0700, &err), QE_FAIL);
	assert_non_null(strstr(err.msg, "cannot create directory"));
	assert_non_null(strstr(err.msg, file));
	free(file);
	free(under);
}

static void test_mkdir_p_file_at_end(void **state)
{
	const char *dir = *state;
	char file[4096];
	struct error err = { 0 };
	struct stat st;

	/*
	 * Like mkdir -p, a path that exists but is not a directory is a failure: the caller
	 * asked for a directory and would otherwise find out later, with a worse message.
	 */
	snprintf(file, sizeof file, "%s/file", dir);
	write_file(file, "x");
	assert_int_equal(mkdir_p(file, 0700, &err), QE_FAIL);
	assert_int_equal(err.code, QE_FAIL);
	assert_int_equal(stat(file, &st), 0);
	assert_true(S_ISREG(st.st_mode));
}

static void test_remove_tree(void **state)
{
	const char *dir = *state;
	char *victim = xasprintf("%s/victim", dir), *sub = xasprintf("%s/victim/sub/deeper", dir);
	char *f1 = xasprintf("%s/victim/f1", dir), *f2 = xasprintf("%s/victim/sub/deeper/f2", dir);
	char *outside = xasprintf("%s/outside", dir), *keep = xasprintf("%s/outside/keep", dir);
	char *dlink = xasprintf("%s/victim/sub/dlink", dir), *flink = xasprintf("%s/victim/flink", dir);
	struct error err = { 0 };

	assert_int_equal(mkdir_p(sub, 0700, &err), 0);
	assert_int_equal(mkdir_p(outside, 0700, &err), 0);
	write_file(f1, "1");
	write_file(f2, "2");
	write_file(keep, "keep me");
	assert_int_equal(symlink(outside, dlink), 0);
	assert_int_equal(symlink(keep, flink), 0);

	remove_tree(victim);
	assert_false(exists(victim));
	/* Neither link was followed: what they pointed at is still there. */
	assert_true(exists(outside));
	assert_true(exists(keep));
	assert_int_equal(mode_of(outside), 0700); /* still a directory with its mode */

	/* Missing is not an error, and does not touch anything else. */
	remove_tree(victim);
	assert_true(exists(keep));
	free(victim);
	free(sub);
	free(f1);
	free(f2);
	free(outside);
	free(keep);
	free(dlink);
	free(flink);
}

static void test_remove_tree_top_symlink(void **state)
{
	const char *dir = *state;
	char *outside = xasprintf("%s/outside", dir), *keep = xasprintf("%s/outside/keep", dir);
	char *link = xasprintf("%s/link", dir), *file = xasprintf("%s/plain", dir);
	struct error err = { 0 };

	assert_int_equal(mkdir_p(outside, 0700, &err), 0);
	write_file(keep, "keep me");
	assert_int_equal(symlink(outside, link), 0);
	/* The path itself is a link to a directory: the link goes, the directory stays. */
	remove_tree(link);
	assert_false(exists(link));
	assert_true(exists(keep));
	/* A plain file is simply removed. */
	write_file(file, "x");
	remove_tree(file);
	assert_false(exists(file));
	free(outside);
	free(keep);
	free(link);
	free(file);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_error_set_prefix),
		cmocka_unit_test(test_error_prefix_truncates),
		cmocka_unit_test(test_error_exit_status),
		cmocka_unit_test(test_time_format),
		cmocka_unit_test(test_time_parse_valid),
		cmocka_unit_test(test_time_parse_invalid),
		cmocka_unit_test(test_time_round_trip),
		cmocka_unit_test(test_duration_parse_valid),
		cmocka_unit_test(test_duration_parse_invalid),
		cmocka_unit_test(test_duration_format),
		cmocka_unit_test(test_duration_round_trip),
		cmocka_unit_test(test_parse_int),
		cmocka_unit_test(test_id_valid),
		cmocka_unit_test(test_id_generate),
		cmocka_unit_test(test_text_valid),
		cmocka_unit_test(test_shell_quote_form),
		cmocka_unit_test(test_shell_quote_round_trip),
		cmocka_unit_test(test_buf),
		cmocka_unit_test(test_xstr),
		cmocka_unit_test(test_clocks),
		cmocka_unit_test_setup_teardown(test_mkdir_p_modes, tmpdb_dir_setup, tmpdb_dir_teardown),
		cmocka_unit_test_setup_teardown(test_mkdir_p_fails, tmpdb_dir_setup, tmpdb_dir_teardown),
		cmocka_unit_test_setup_teardown(test_mkdir_p_file_at_end, tmpdb_dir_setup,
						tmpdb_dir_teardown),
		cmocka_unit_test_setup_teardown(test_remove_tree, tmpdb_dir_setup, tmpdb_dir_teardown),
		cmocka_unit_test_setup_teardown(test_remove_tree_top_symlink, tmpdb_dir_setup,
						tmpdb_dir_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
