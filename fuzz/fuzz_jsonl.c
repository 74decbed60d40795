/*
 * fuzz_jsonl.c - a JSONL batch, the file of "queuectl enqueue --file FILE": split into lines
 * as enqueue_file (src/cmd/enqueue.c) does with getline, then each line through
 * job_spec_parse until the first bad one.
 *
 * Each line gets a buffer of exactly its size, as getline's is NUL-terminated after the
 * line, so that a read past the length job_spec_parse was given shows up under ASan.
 */
#include <string.h>

#include "fuzz.h"
#include "job.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p), l = len;
		char *line = xstrndup(p, len);
		struct job_spec spec;
		struct error err = { 0 };
		int rc;

		p += len;
		/* What enqueue_file does with each line, in the same order. */
		while (l > 0 && (line[l - 1] == '\n' || line[l - 1] == '\r'))
			l--;
		if (strspn(line, " \t") == l) {
			free(line);
			continue;
		}
		job_spec_init(&spec);
		rc = job_spec_parse(&spec, line, l, &err);
		CHECK(rc == 0 || (rc == QE_INPUT && err.code == rc && err.msg[0]),
		      "rc %d, message '%s'", rc, err.msg);
		CHECK(rc || spec.command, "a parsed job has no command");
		job_spec_release(&spec);
		free(line);
		if (rc)
			break; /* the batch is refused at its first bad line */
	}
	return 0;
}
