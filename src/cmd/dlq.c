/*
 * dlq.c - the dead letter queue: list the jobs whose retries are spent, and send them back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../cmd.h"
#include "../util.h"

extern const struct cmd_entry cmd_dlq, cmd_dlq_list, cmd_dlq_retry;

/* dlq list [--json] */
static int dlq_list_run(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct store_filter f = { .state = JOB_DEAD };
	bool json = false;
	int c, rc = 0;

	while ((c = cmd_getopt(ctx, &cmd_dlq_list, argc, argv, "", opts, &rc)) != -1) {
		if (c == CMD_EXIT)
			return rc;
		json = true;
	}
	if (optind < argc)
		return cmd_usage_error(ctx, &cmd_dlq_list, "unexpected argument '%.64s'",
				       argv[optind]);
	return cmd_list_jobs(ctx, &f, json, true);
}

static int collect_dead(void *ctx, const struct job *job)
{
	struct buf *ids = ctx;

	buf_add(ids, job->id, strlen(job->id) + 1);
	return 0;
}

/*
 * dlq retry <id>... | --all
 * All the named jobs go back or none does: one that is not dead fails the whole command.
 */
static int dlq_retry_run(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct store_filter f = { .state = JOB_DEAD };
	struct buf ids = BUF_INIT;
	int64_t now = time_now_ms();
	struct queue *q;
	bool all = false;
	long n = 0;
	int c, rc = 0;

	while ((c = cmd_getopt(ctx, &cmd_dlq_retry, argc, argv, "", opts, &rc)) != -1) {
		if (c == CMD_EXIT)
			return rc;
		all = true;
	}
	if (all == (optind < argc))
		return cmd_usage_error(ctx, &cmd_dlq_retry, all ? "give ids or --all, not both"
								: "missing job id (or --all)");
	if (!(q = cmd_queue(ctx)) || store_begin(q->store, &ctx->err))
		return ctx->err.code;
	if (all) {
		rc = store_list(q->store, &f, collect_dead, &ids, &ctx->err);
	} else {
		for (int i = optind; i < argc && rc == 0; i++) {
			char *id;

			if ((rc = cmd_resolve(ctx, argv[i], &id)) == 0) {
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
		for (size_t off = 0; off < ids.len; off += strlen(ids.data + off) + 1)
			puts(ids.data + off);
		if (all)
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
	.usage = "[--json]",
	.summary = "list the dead jobs (retries spent) with their last error",
	.help = "  --json  print one JSON array of job objects\n",
	.run = dlq_list_run,
};

const struct cmd_entry cmd_dlq_retry = {
	.name = "retry",
	.parent = "dlq",
	.usage = "ID... | --all",
	.summary = "send dead jobs back to pending with their attempts reset to 0",
	.help = "  --all  retry every dead job\n"
		"Every id must name a dead job; otherwise nothing is retried.\n",
	.run = dlq_retry_run,
};

const struct cmd_entry cmd_dlq = {
	.name = "dlq",
	.usage = "list | retry",
	.summary = "the dead letter queue",
	.sub = (const struct cmd_entry *const[]){ &cmd_dlq_list, &cmd_dlq_retry, NULL },
};
