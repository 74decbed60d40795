/*
 * purge.c - remove finished jobs in bulk.
 */
#include <stdio.h>

#include "../cmd.h"
#include "../util.h"

extern const struct cmd_entry cmd_purge;

/* purge --state completed|dead [--older-than DURATION] */
static int purge_run(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "state", required_argument, NULL, 's' },
		{ "older-than", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	enum job_state state = JOB_NSTATES;
	int64_t age = 0;
	struct queue *q;
	int c, n, rc = 0;

	while ((c = cmd_getopt(ctx, &cmd_purge, argc, argv, "s:", opts, &rc)) != -1) {
		switch (c) {
		case CMD_EXIT:
			return rc;
		case 's':
			if (job_state_parse(optarg, &state, &ctx->err))
				return ctx->err.code;
			if (state != JOB_COMPLETED && state != JOB_DEAD)
				return cmd_usage_error(ctx, &cmd_purge,
						       "only completed or dead jobs can be purged, "
						       "not %s",
						       optarg);
			break;
		case 'o':
			if (duration_parse(optarg, &age, &ctx->err))
				return ctx->err.code;
			break;
		}
	}
	if (state == JOB_NSTATES)
		return cmd_usage_error(ctx, &cmd_purge, "missing --state completed|dead");
	if (optind < argc)
		return cmd_usage_error(ctx, &cmd_purge, "unexpected argument '%.64s'",
				       argv[optind]);
	if (!(q = cmd_queue(ctx)))
		return ctx->err.code;
	/* "+ 1": with no --older-than, everything up to this millisecond goes. */
	n = queue_purge(q, state, time_now_ms() - age * 1000 + (age ? 0 : 1), &ctx->err);
	if (n < 0)
		return n;
	printf("purged %d %s job%s\n", n, job_state_name(state), n == 1 ? "" : "s");
	return 0;
}

const struct cmd_entry cmd_purge = {
	.name = "purge",
	.usage = "--state completed|dead [--older-than DURATION]",
	.summary = "remove finished jobs (and their logs) in bulk",
	.help = "  --state STATE        completed or dead\n"
		"  --older-than DURATION  only jobs finished at least this long ago (7d, 12h)\n",
	.run = purge_run,
};
