/*
 * fuzz_job_json.c - job_spec_parse on one JSON job, the text of "queuectl enqueue '{...}'".
 *
 * A spec that parses must obey the limits job.h promises.  It is then turned into a stored
 * job the way queue_enqueue does (defaults from the default config, a fixed "now") and fed
 * through the output path, view_job and json_dumps, with every field present.  Last, the
 * job's schema-shaped JSON must enqueue as is (README: "so that a job in the schema's own
 * shape can be enqueued as is") and give back the same job, to the second.  last_error and
 * exit_code are left out of that JSON: job_spec_parse does not accept them (see the report
 * that came with this harness).
 */
#include <string.h>

#include "fuzz.h"
#include "job.h"
#include "view.h"
#include "util.h"

/* Whole seconds, rounded down as time_format does, in ms. */
static int64_t floor_sec(int64_t ms)
{
	return (ms >= 0 ? ms / 1000 : (ms - 999) / 1000) * 1000;
}

static void check_spec(const struct job_spec *spec)
{
	CHECK(spec->command, "a parsed job has no command");
	CHECK(job_command_check(spec->command, strlen(spec->command), NULL) == 0,
	      "command '%s' fails job_command_check", spec->command);
	CHECK(!spec->id || id_valid(spec->id), "invalid id '%s' accepted", spec->id);
	CHECK(!spec->queue || (id_valid(spec->queue) && strlen(spec->queue) <= JOB_QUEUE_MAX),
	      "invalid queue '%s' accepted", spec->queue);
	CHECK(spec->priority >= -JOB_PRIORITY_MAX && spec->priority <= JOB_PRIORITY_MAX,
	      "priority %lld out of range", spec->priority);
	CHECK(spec->max_retries >= -1 && spec->max_retries <= JOB_RETRIES_MAX,
	      "max_retries %d out of range", spec->max_retries);
	CHECK(spec->timeout >= -1 && spec->timeout <= DURATION_MAX, "timeout %lld out of range",
	      (long long)spec->timeout);
	CHECK(spec->delay >= -1 && spec->delay <= DURATION_MAX, "delay %lld out of range",
	      (long long)spec->delay);
	CHECK(!(spec->has_run_at && spec->delay >= 0), "both run_at and delay accepted");
	/* A time that JSON output could not give back (year 1969 or 10000), caught early. */
	CHECK(spec->run_at >= 0 && spec->run_at <= TIME_MS_MAX, "run_at %lld out of range",
	      (long long)spec->run_at);
	CHECK(spec->created_at >= 0 && spec->created_at <= TIME_MS_MAX,
	      "created_at %lld out of range", (long long)spec->created_at);
}

/* What queue_enqueue makes of spec with the default config; output is extra detail. */
static void make_job(struct job *job, const struct job_spec *spec, const uint8_t *data,
		     size_t size)
{
	job_init(job);
	job->id = xstrdup(spec->id ? spec->id : "0123456789abcdef0123456789abcdef");
	job->command = xstrdup(spec->command);
	job->queue = xstrdup(spec->queue ? spec->queue : "default");
	job->state = JOB_PENDING;
	job->priority = spec->priority;
	job->max_retries = spec->max_retries >= 0 ? spec->max_retries : 3;
	job->timeout = spec->timeout >= 0 ? spec->timeout : 0;
	job->run_at = spec->run_at ? spec->run_at
				   : FUZZ_NOW_MS + (spec->delay > 0 ? spec->delay * 1000 : 0);
	job->created_at = spec->created_at ? spec->created_at : FUZZ_NOW_MS;
	job->updated_at = FUZZ_NOW_MS;
	/* The detail fields, so that info --json's path runs too: output is any bytes. */
	job->started_at = job->run_at;
	job->last_error = xstrdup(spec->command);
	job->has_exit_code = true;
	job->exit_code = (int)(spec->priority % 256);
	job->worker_id = xstrdup("host-1-abcdef");
	job->output = xstrndup((const char *)data, size);
	job->output_len = size;
}

/* The schema-shaped JSON of job parses back to the same job. */
static void check_round_trip(const struct job *job)
{
	json_t *o = view_job(job, false);
	struct job_spec back;
	struct error err = { 0 };
	char *text;

	json_object_del(o, "last_error");
	json_object_del(o, "exit_code");
	text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	CHECK(text, "json_dumps failed");
	job_spec_init(&back);
	CHECK(job_spec_parse(&back, text, strlen(text), &err) == 0,
	      "the JSON of a parsed job does not parse back: %s: %s", text, err.msg);
	CHECK(!strcmp(back.id, job->id), "id changed: %s", text);
	CHECK(!strcmp(back.command, job->command), "command changed: %s", text);
	CHECK(!strcmp(back.queue, job->queue), "queue changed: %s", text);
	CHECK(back.priority == job->priority, "priority changed: %s", text);
	CHECK(back.max_retries == job->max_retries, "max_retries changed: %s", text);
	CHECK(back.timeout == job->timeout, "timeout changed: %s", text);
	CHECK(back.run_at == floor_sec(job->run_at), "run_at %lld became %lld: %s",
	      (long long)job->run_at, (long long)back.run_at, text);
	CHECK(back.created_at == floor_sec(job->created_at), "created_at %lld became %lld: %s",
	      (long long)job->created_at, (long long)back.created_at, text);
	job_spec_release(&back);
	free(text);
	json_decref(o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct job_spec spec;
	struct error err = { 0 };
	struct job job;
	json_t *o;
	char *text;
	int rc;

	job_spec_init(&spec);
	rc = job_spec_parse(&spec, (const char *)data, size, &err);
	if (rc) {
		CHECK(rc == QE_INPUT && err.code == rc && err.msg[0], "rc %d, message '%s'", rc,
		      err.msg);
		job_spec_release(&spec);
		return 0;
	}
	check_spec(&spec);
	make_job(&job, &spec, data, size);

	o = view_job(&job, true);
	/* view_job drops a key whose value jansson refuses (invalid UTF-8): none may go. */
	CHECK(json_object_size(o) == 21, "view_job has %zu keys, not 21",
	      json_object_size(o));
	text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	CHECK(text, "json_dumps failed");
	free(text);
	json_decref(o);

	check_round_trip(&job);
	job_release(&job);
	job_spec_release(&spec);
	return 0;
}
