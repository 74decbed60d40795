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

static int print_id(void *ctx, const char *id)
{
	puts(id);
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
	struct queue *q;
	bool all = false;
	char **ids;
	int c, n = 0, rc = 0;

	while ((c = cmd_getopt(ctx, &cmd_dlq_retry, argc, argv, "", opts, &rc)) != -1) {
		if (c == CMD_EXIT)
			return rc;
		all = true;
	}
	if (all == (optind < argc))
		return cmd_usage_error(ctx, &cmd_dlq_retry, all ? "give ids or --all, not both"
								: "missing job id (or --all)");
	if (!(q = cmd_queue(ctx)))
		return ctx->err.code;
	if (all) {
		if ((rc = queue_dlq_retry_all(q, NULL, print_id, NULL, &ctx->err)) >= 0) {
			fprintf(stderr, "retried %d dead job%s\n", rc, rc == 1 ? "" : "s");
			rc = 0;
		}
		return rc;
	}
	ids = xcalloc((size_t)(argc - optind), sizeof *ids);
	for (int i = optind; i < argc && rc == 0; i++)
		if ((rc = cmd_resolve(ctx, argv[i], &ids[n])) == 0)
			n++;
	if (rc == 0 && (rc = queue_dlq_retry(q, (const char *const *)ids, n, print_id, NULL,
					     &ctx->err)) > 0)
		rc = 0;
	for (int i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
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
