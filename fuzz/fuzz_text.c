/*
 * fuzz_text.c - the pure functions that judge or transform outside text: text_valid and
 * job_command_check (commands), utf8_sanitize (a job's output, before it goes into JSON),
 * shell_quote (the words of "enqueue -- WORD..."), id_valid (ids and queue names) and
 * cmd_cell (a command shortened for a table cell).
 *
 * text_valid and utf8_sanitize see the raw bytes; the string functions see the input up to
 * its first NUL, as they would an argv string.  The checks are what callers rely on:
 * sanitized output is UTF-8 that jansson takes, with no NUL, and leaves valid text alone;
 * a quoted word reads back as the word under sh's quoting rules; a cell keeps to its width
 * and never cuts a UTF-8 sequence of valid text.
 */
#include <string.h>

#include <jansson.h>

#include "cmd.h"
#include "fuzz.h"
#include "util.h"

/* The characters shell_quote leaves unquoted; sh gives none of them a meaning. */
static const char plain_chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				  "0123456789_-+=./,:@%^";
/* What job.h allows in an id or a queue name. */
static const char id_chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			       "0123456789._:-";

/*
 * Read q as /bin/sh would read one word made of plain characters, '...' and \': append
 * the word to out; false if q holds anything else (a character sh would act on).
 */
static bool sh_unquote(const char *q, struct buf *out)
{
	while (*q) {
		if (*q == '\'') {
			const char *close = strchr(q + 1, '\'');

			if (!close)
				return false;
			buf_add(out, q + 1, (size_t)(close - q - 1));
			q = close + 1;
		} else if (*q == '\\' && q[1] == '\'') {
			buf_add(out, "'", 1);
			q += 2;
		} else if (strchr(plain_chars, *q)) {
			buf_add(out, q, 1);
			q++;
		} else {
			return false;
		}
	}
	return true;
}

static void check_quote(const char *word)
{
	struct buf q = BUF_INIT, back = BUF_INIT;

	shell_quote(&q, word);
	CHECK(q.data && q.len > 0, "'%s' quoted to nothing", word);
	CHECK(sh_unquote(q.data, &back), "'%s' quoted as [%s], which sh would not read as one word",
	      word, q.data);
	CHECK(!strcmp(back.data ? back.data : "", word), "'%s' quoted as [%s] reads back as '%s'",
	      word, q.data, back.data);
	buf_release(&q);
	buf_release(&back);
}

static void check_sanitize(const char *s, size_t len)
{
	struct buf b = BUF_INIT, again = BUF_INIT;
	json_t *j;

	utf8_sanitize(&b, s, len);
	CHECK(!memchr(b.data ? b.data : "", '\0', b.len), "sanitized output has a NUL");
	j = json_stringn(b.data ? b.data : "", b.len);
	CHECK(j, "jansson refuses sanitized output as a string");
	json_decref(j);
	if (text_valid(s, len))
		CHECK(b.len == len && !memcmp(b.data ? b.data : "", s, len),
		      "utf8_sanitize changed valid text");
	utf8_sanitize(&again, b.data ? b.data : "", b.len);
	CHECK(again.len == b.len && !memcmp(again.data ? again.data : "", b.data ? b.data : "",
					    b.len),
	      "utf8_sanitize is not idempotent");
	buf_release(&b);
	buf_release(&again);
}

static void check_cell(const char *s, size_t width)
{
	char *cell = cmd_cell(s, width);
	size_t n = strlen(cell);

	CHECK(n <= width, "cell of width %zu has %zu bytes", width, n);
	CHECK(!strpbrk(cell, "\n\r\t"), "cell has a line break or tab");
	if (text_valid(s, strlen(s)))
		CHECK(text_valid(cell, n), "cell of width %zu cut a UTF-8 sequence: [%s]", width,
		      cell);
	free(cell);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *raw = (const char *)data;
	char *s = xstrndup(raw, size);
	size_t slen = strlen(s);
	bool valid = text_valid(raw, size);

	/*
	 * job_command_check is text_valid plus its own rules; it must never accept less.  Its
	 * callers hand it NUL-terminated text with its length (a jansson string): so does this.
	 */
	if (job_command_check(s, size, NULL) == 0)
		CHECK(valid, "job_command_check accepted text that is not valid");
	check_sanitize(raw, size);
	check_quote(s);
	if (id_valid(s))
		CHECK(slen >= 1 && slen <= JOB_ID_MAX && strspn(s, id_chars) == slen &&
			      s[0] != '-' && s[0] != '.',
		      "id_valid accepted '%s'", s);
	/* The widths list and dlq list use, and one from the input. */
	check_cell(s, 60);
	check_cell(s, 24);
	if (size > 0)
		check_cell(s, 4 + data[0] % 64);
	free(s);
	return 0;
}
