/*
 * list.c - list jobs as a table or as one JSON array, streamed in creation order.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../cmd.h"
#include "../util.h"

extern const struct cmd_entry cmd_list;

struct list_ctx {
	bool json, dlq;
	long n;
};

static int print_job(void *arg, const struct job *job)
{
	struct list_ctx *lc = arg;
	char when[TIME_BUFSZ], *cmd, *err;

	if (lc->json) {
		json_t *o = job_to_json(job, false);
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

int cmd_list_jobs(struct cmd_ctx *ctx, const struct store_filter *f, bool json, bool dlq)
{
	struct list_ctx lc = { .json = json, .dlq = dlq };
	struct queue *q = cmd_queue(ctx);
	int rc;

	if (!q)
		return ctx->err.code;
	/*
	 * A JSON array is opened before the first row and closed after the last, so a store
	 * error halfway leaves stdout invalid JSON: that is why the exit status is non-zero.
	 */
	if (json)
		fputs("[", stdout);
	rc = store_list(q->store, f, print_job, &lc, &ctx->err);
	if (json && rc == 0)
		fputs(lc.n ? "\n]\n" : "]\n", stdout);
	else if (json)
		fputs("\n", stdout);
	else if (lc.n == 0 && rc == 0)
		fprintf(stderr, "no jobs\n");
	return rc;
}

/* list [--state S] [--queue Q] [--limit N] [--json] */
static int list_run(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "state", required_argument, NULL, 's' },
		{ "queue", required_argument, NULL, 'q' },
		{ "limit", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct store_filter f = { .state = -1 };
	enum job_state state;
	bool json = false;
	int c, rc = 0;

	while ((c = cmd_getopt(ctx, &cmd_list, argc, argv, "s:q:n:", opts, &rc)) != -1) {
		switch (c) {
		case CMD_EXIT:
			return rc;
		case 's':
			if (job_state_parse(optarg, &state, &ctx->err))
				return ctx->err.code;
			f.state = (int)state;
			break;
		case 'q':
			f.queue = optarg;
			break;
		case 'n':
			if (parse_int(optarg, 1, 1000000000, "--limit", &f.limit, &ctx->err))
				return ctx->err.code;
			break;
		case 'j':
			json = true;
			break;
		}
	}
	if (optind < argc)
		return cmd_usage_error(ctx, &cmd_list, "unexpected argument '%.64s'", argv[optind]);
	return cmd_list_jobs(ctx, &f, json, false);
}

const struct cmd_entry cmd_list = {
	.name = "list",
	.usage = "[--state STATE] [--queue NAME] [--limit N] [--json]",
	.summary = "list jobs, oldest first",
	.help = "  --state STATE  only jobs in this state: pending, processing, completed,\n"
		"                 failed or dead\n"
		"  --queue NAME   only jobs on this queue\n"
		"  --limit N      at most N jobs\n"
		"  --json         print one JSON array of job objects\n",
	.run = list_run,
};
