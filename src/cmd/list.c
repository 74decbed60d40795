/*
 * list.c - list jobs as a table or as one JSON array, streamed in creation order.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../cmd.h"
#include "../util.h"
#include "../view.h"

extern const struct cmd_entry cmd_list;

struct list_ctx {
	bool json, quiet, dlq;
	long n;
};

static int print_job(void *arg, const struct job *job)
{
	struct list_ctx *lc = arg;
	char when[TIME_BUFSZ], *cmd, *err;

	if (lc->quiet) {
		puts(job->id);
		lc->n++;
		return 0;
	}
	if (lc->json) {
		json_t *o = view_job(job, false);
		char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);

		printf("%s\n  %s", lc->n ? "," : "", s);
		free(s);
		json_decref(o);
		lc->n++;
		return 0;
	}
	if (lc->n++ == 0) {
		if (lc->dlq)
			printf("%-32s  %-8s  %-20s  %-24s  %s\n", "ID", "ATTEMPTS", "DIED",
			       "LAST ERROR", "COMMAND");
		else
			printf("%-32s  %-10s  %-8s  %-8s  %-10s  %-20s  %s\n", "ID", "STATE",
			       "ATTEMPTS", "PRIORITY", "QUEUE", "UPDATED", "COMMAND");
	}
	time_format(job->updated_at, false, when);
	cmd = cmd_cell(job->command, 60);
	if (lc->dlq) {
		err = cmd_cell(job->last_error ? job->last_error : "-", 24);
		printf("%-32s  %-8d  %-20s  %-24s  %s\n", job->id, job->attempts, when, err, cmd);
		free(err);
	} else {
		printf("%-32s  %-10s  %-8d  %-8lld  %-10s  %-20s  %s\n", job->id,
		       job_state_name(job->state), job->attempts, job->priority, job->queue, when,
		       cmd);
	}
	free(cmd);
	return 0;
}

int cmd_list_jobs(struct cmd_ctx *ctx, const struct cmd_entry *e, const struct args *a)
{
	bool dlq = e->parent != NULL; /* dlq list */
	struct job_filter f = { .state = dlq ? JOB_DEAD : -1, .queue = args_get(a, "queue") };
	struct list_ctx lc = { .json = args_has(a, "json"), .quiet = args_has(a, "quiet"),
			       .dlq = dlq };
	const char *v;
	struct queue *q;
	int rc;

	if (lc.json && lc.quiet)
		return cmd_usage_error(ctx, e, "give --json or --quiet, not both");
	if (!dlq && (v = args_get(a, "state"))) {
		enum job_state state;

		if (job_state_parse(v, &state, &ctx->err))
			return ctx->err.code;
		f.state = (int)state;
	}
	if ((v = args_get(a, "limit")) &&
	    parse_int(v, 1, 1000000000, "--limit", &f.limit, &ctx->err))
		return ctx->err.code;
	if (f.queue && (!id_valid(f.queue) || strlen(f.queue) > JOB_QUEUE_MAX))
		return error_set(&ctx->err, QE_INPUT, "invalid queue name '%.64s'", f.queue);
	if (!(q = cmd_queue(ctx)))
		return ctx->err.code;
	/*
	 * A JSON array is opened before the first row and closed after the last, so a store
	 * error halfway leaves stdout invalid JSON: that is why the exit status is non-zero.
	 */
	if (lc.json)
		fputs("[", stdout);
	rc = queue_list(q, &f, print_job, &lc, &ctx->err);
	if (lc.json && rc == 0)
		fputs(lc.n ? "\n]\n" : "]\n", stdout);
	else if (lc.json)
		fputs("\n", stdout);
	else if (lc.n == 0 && rc == 0 && !lc.quiet)
		fprintf(stderr, "no jobs\n");
	return rc;
}

/* list [--state S] [--queue Q] [--limit N] [--json | --quiet] */
static int list_run(struct cmd_ctx *ctx, const struct args *a)
{
	return cmd_list_jobs(ctx, &cmd_list, a);
}

const struct cmd_entry cmd_list = {
	.name = "list",
	.usage = "[--state STATE] [--queue NAME] [--limit N] [--json | --quiet]",
	.summary = "list jobs, oldest first",
	.args = { .options = (const struct args_option[]){
			  { "state", 's', "STATE",
			    "only jobs in this state: pending, processing, completed, failed or dead" },
			  CMD_LIST_OPTIONS, { 0 } } },
	.run = list_run,
};
