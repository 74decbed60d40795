/*
 * info.c - everything known about one job: its fields, its attempts, its latest output.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../cmd.h"
#include "../util.h"
#include "../view.h"

extern const struct cmd_entry cmd_info;

static int attempt_json(void *ctx, const struct attempt *a)
{
	json_array_append_new(ctx, view_attempt(a));
	return 0;
}

static int attempt_text(void *ctx, const struct attempt *a)
{
	char t[TIME_BUFSZ];

	(void)ctx;
	printf("  #%-3d attempt %-3d %s  %6.3fs  %-10s %s\n", a->run, a->attempt,
	       time_format(a->started_at, true, t),
	       (double)(a->finished_at - a->started_at) / 1000.0, a->outcome,
	       a->error ? a->error : "ok");
	return 0;
}

static void field(const char *name, const char *value)
{
	printf("%-12s %s\n", name, value);
}

static void time_field(const char *name, int64_t ms)
{
	char t[TIME_BUFSZ];

	field(name, ms ? time_format(ms, false, t) : "-");
}

static void print_text(const struct job *job)
{
	char n[TIME_BUFSZ];

	field("id:", job->id);
	field("command:", job->command);
	field("state:", job_state_name(job->state));
	field("queue:", job->queue);
	snprintf(n, sizeof n, "%lld", job->priority);
	field("priority:", n);
	snprintf(n, sizeof n, "%d of %d", job->attempts, job->max_retries + 1);
	field("attempts:", n);
	snprintf(n, sizeof n, "%d", job->max_retries);
	field("max_retries:", n);
	if (job->timeout)
		duration_format(job->timeout, n);
	field("timeout:", job->timeout ? n : "none");
	time_field("run_at:", job->run_at);
	time_field("created_at:", job->created_at);
	time_field("updated_at:", job->updated_at);
	time_field("started_at:", job->started_at);
	time_field("finished_at:", job->finished_at);
	field("last_error:", job->last_error ? job->last_error : "-");
	if (job->has_exit_code)
		snprintf(n, sizeof n, "%d", job->exit_code);
	field("exit_code:", job->has_exit_code ? n : "-");
	if (job->state == JOB_PROCESSING) {
		field("worker:", job->worker_id ? job->worker_id : "-");
		time_field("lease_until:", job->lease_until);
	}
}

/* info ID [--json] */
static int info_run(struct cmd_ctx *ctx, const struct args *a)
{
	struct queue *q;
	struct job job;
	char *id = NULL;
	int rc = 0;

	if (cmd_resolve(ctx, a->argv[0], &id))
		return ctx->err.code;
	q = cmd_queue(ctx);
	if (queue_get(q, id, &job, &ctx->err)) {
		free(id);
		return ctx->err.code;
	}
	if (args_has(a, "json")) {
		json_t *o = view_job(&job, true), *hist = json_array();

		rc = queue_attempts(q, id, attempt_json, hist, &ctx->err);
		json_object_set_new(o, "history", hist);
		if (rc == 0)
			cmd_print_json(o);
		else
			json_decref(o);
	} else {
		print_text(&job);
		printf("history:\n");
		rc = queue_attempts(q, id, attempt_text, NULL, &ctx->err);
		if (job.output && job.output_len) {
			printf("output (last %d KiB of the latest attempt):\n", JOB_OUTPUT_TAIL / 1024);
			fwrite(job.output, 1, job.output_len, stdout);
			if (job.output[job.output_len - 1] != '\n')
				putchar('\n');
		}
	}
	job_release(&job);
	free(id);
	return rc;
}

const struct cmd_entry cmd_info = {
	.name = "info",
	.usage = "ID [--json]",
	.summary = "show everything known about a job (an id prefix will do)",
	.args = { .options = (const struct args_option[]){
			  { "json", 0, NULL, "print one JSON object, with its attempt history and output" },
			  { 0 } },
		  .min = 1, .max = 1, .what = "job id", .kind = ARGS_JOB },
	.run = info_run,
};
