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

static int collect_id(void *ctx, const char *id)
{
	buf_add(ctx, id, strlen(id) + 1);
	return 0;
}

/*
 * dlq retry ID... | --all [--queue Q]   [--json]
 * All the named jobs go back or none does: one that is not dead fails the whole command.
 */
static int dlq_retry_run(struct cmd_ctx *ctx, const struct args *a)
{
	const char *queue_name = args_get(a, "queue");
	bool all = args_has(a, "all"), json = args_has(a, "json");
	struct buf ids = BUF_INIT;
	struct queue *q;
	char **named;
	int n = 0, rc = 0;

	if (all && a->argc > 0)
		return cmd_usage_error(ctx, &cmd_dlq_retry, "give ids or --all, not both");
	if (!all && a->argc == 0)
		return cmd_usage_error(ctx, &cmd_dlq_retry, "missing job id (or --all)");
	if (queue_name && !all)
		return cmd_usage_error(ctx, &cmd_dlq_retry, "--queue narrows --all: give both");
	if (!(q = cmd_queue(ctx)))
		return ctx->err.code;
	named = xcalloc((size_t)a->argc + 1, sizeof *named);
	for (int i = 0; i < a->argc && rc == 0; i++)
		if ((rc = cmd_resolve(ctx, a->argv[i], &named[n])) == 0)
			n++;
	if (rc == 0)
		rc = all ? queue_dlq_retry_all(q, queue_name, collect_id, &ids, &ctx->err)
			 : queue_dlq_retry(q, (const char *const *)named, n, collect_id, &ids,
					   &ctx->err);
	if (rc >= 0) {
		cmd_print_ids(&ids, json ? "retried" : NULL);
		if (all && !json)
			printf("retried %d dead job%s\n", rc, rc == 1 ? "" : "s");
		rc = 0;
	}
	for (int i = 0; i < n; i++)
		free(named[i]);
	free(named);
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
