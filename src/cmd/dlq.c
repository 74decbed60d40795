/*
 * dlq.c - the dead letter queue: list the jobs whose retries are spent, and send them back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../cmd.h"
#include "../util.h"

extern const struct cmd_entry cmd_dlq, cmd_dlq_list, cmd_dlq_retry;

/* dlq list [--queue Q] [--limit N] [--json | --quiet] */
static int dlq_list_run(struct cmd_ctx *ctx, const struct args *a)
{
	return cmd_list_jobs(ctx, &cmd_dlq_list, a);
}

static int collect_dead(void *ctx, const struct job *job)
{
	struct buf *ids = ctx;

	buf_add(ids, job->id, strlen(job->id) + 1);
	return 0;
}

/*
 * dlq retry ID... | --all [--queue Q]   [--json]
 * All the named jobs go back or none does: one that is not dead fails the whole command.
 */
static int dlq_retry_run(struct cmd_ctx *ctx, const struct args *a)
{
	struct store_filter f = { .state = JOB_DEAD, .queue = args_get(a, "queue") };
	bool all = args_has(a, "all"), json = args_has(a, "json");
	struct buf ids = BUF_INIT;
	int64_t now = time_now_ms();
	struct queue *q;
	long n = 0;
	int rc = 0;

	if (all && a->argc > 0)
		return cmd_usage_error(ctx, &cmd_dlq_retry, "give ids or --all, not both");
	if (!all && a->argc == 0)
		return cmd_usage_error(ctx, &cmd_dlq_retry, "missing job id (or --all)");
	if (f.queue && !all)
		return cmd_usage_error(ctx, &cmd_dlq_retry, "--queue narrows --all: give both");
	if (!(q = cmd_queue(ctx)) || store_begin(q->store, &ctx->err))
		return ctx->err.code;
	if (all) {
		rc = store_list(q->store, &f, collect_dead, &ids, &ctx->err);
	} else {
		for (int i = 0; i < a->argc && rc == 0; i++) {
			char *id;

			if ((rc = cmd_resolve(ctx, a->argv[i], &id)) == 0) {
				if (!cmd_ids_has(&ids, id)) /* named twice: retried once */
					buf_add(&ids, id, strlen(id) + 1);
				free(id);
			}
		}
	}
	for (size_t off = 0; rc == 0 && off < ids.len; off += strlen(ids.data + off) + 1, n++)
		rc = queue_dlq_retry(q, ids.data + off, now, &ctx->err);
	if (rc == 0 && (rc = store_commit(q->store, &ctx->err)) == 0) {
		if (n)
			queue_notify(q);
		cmd_print_ids(&ids, json ? "retried" : NULL);
		if (all && !json)
			fprintf(stderr, "retried %ld dead job%s\n", n, n == 1 ? "" : "s");
	} else {
		store_rollback(q->store);
	}
	buf_release(&ids);
	return rc;
}

const struct cmd_entry cmd_dlq_list = {
	.name = "list",
	.parent = "dlq",
	.usage = "[--queue NAME] [--limit N] [--json | --quiet]",
	.summary = "list the dead jobs (retries spent) with their last error",
	.args = { .options = (const struct args_option[]){ CMD_LIST_OPTIONS, { 0 } } },
	.run = dlq_list_run,
};

const struct cmd_entry cmd_dlq_retry = {
	.name = "retry",
	.parent = "dlq",
	.usage = "ID... | --all [--queue NAME]",
	.summary = "send dead jobs back to pending with their attempts reset to 0",
	.help = "Every id must name a dead job; otherwise nothing is retried.\n",
	.args = { .options = (const struct args_option[]){
			  { "all", 0, NULL, "retry every dead job" },
			  { "queue", 0, "NAME", "with --all: only the dead jobs of this queue" },
			  { "json", 0, NULL, "print {\"retried\": N, \"ids\": [...]}" },
			  { 0 } },
		  .max = ARGS_MANY, .kind = ARGS_DEAD_JOB },
	.run = dlq_retry_run,
};

const struct cmd_entry cmd_dlq = {
	.name = "dlq",
	.usage = "list | retry",
	.summary = "the dead letter queue",
	.sub = (const struct cmd_entry *const[]){ &cmd_dlq_list, &cmd_dlq_retry, NULL },
};
