/*
 * fuzz_time.c - time_parse and duration_parse, which read --run-at, --delay, --timeout,
 * --older-than and the run_at/created_at/delay/timeout fields of a job.
 *
 * The input, up to its first NUL, goes to both.  What parses must format and parse back:
 * time_format(ms) to the same second (and to the same ms with millis), duration_format(secs)
 * to the same seconds.  A refusal must be QE_INPUT with a message.
 */
#include <string.h>

#include "fuzz.h"
#include "util.h"

static int64_t floor_sec(int64_t ms)
{
	return (ms >= 0 ? ms / 1000 : (ms - 999) / 1000) * 1000;
}

static void check_time(const char *s)
{
	struct error err = { 0 };
	char buf[TIME_BUFSZ];
	int64_t ms, back;
	int rc = time_parse(s, &ms, &err);

	if (rc) {
		CHECK(rc == QE_INPUT && err.code == rc && err.msg[0], "rc %d, message '%s'", rc,
		      err.msg);
		return;
	}
	/* The instants time_format writes in a form time_parse reads: years 1970 to 9999. */
	CHECK(ms >= 0 && ms <= TIME_MS_MAX, "'%s' is %lld ms, outside 1970-01-01 to 9999-12-31", s,
	      (long long)ms);
	time_format(ms, false, buf);
	CHECK(time_parse(buf, &back, &err) == 0, "'%s' is %lld ms, formatted '%s': %s", s,
	      (long long)ms, buf, err.msg);
	CHECK(back == floor_sec(ms), "'%s' is %lld ms, formatted '%s', parsed back as %lld", s,
	      (long long)ms, buf, (long long)back);
	time_format(ms, true, buf);
	CHECK(time_parse(buf, &back, &err) == 0, "'%s' is %lld ms, formatted '%s': %s", s,
	      (long long)ms, buf, err.msg);
	CHECK(back == ms, "'%s' is %lld ms, formatted '%s', parsed back as %lld", s,
	      (long long)ms, buf, (long long)back);
}

static void check_duration(const char *s)
{
	struct error err = { 0 };
	char buf[TIME_BUFSZ];
	int64_t secs, back;
	int rc = duration_parse(s, &secs, &err);

	if (rc) {
		CHECK(rc == QE_INPUT && err.code == rc && err.msg[0], "rc %d, message '%s'", rc,
		      err.msg);
		return;
	}
	CHECK(secs >= 0 && secs <= DURATION_MAX, "'%s' is %lld s", s, (long long)secs);
	duration_format(secs, buf);
	CHECK(duration_parse(buf, &back, &err) == 0, "'%s' is %lld s, formatted '%s': %s", s,
	      (long long)secs, buf, err.msg);
	CHECK(back == secs, "'%s' is %lld s, formatted '%s', parsed back as %lld", s,
	      (long long)secs, buf, (long long)back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A buffer of exactly the input's size, so ASan sees any read past its end. */
	char *s = xstrndup((const char *)data, size);

	check_time(s);
	check_duration(s);
	free(s);
	return 0;
}
