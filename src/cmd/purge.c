/*
 * purge.c - remove finished jobs in bulk.
 */
#include <stdio.h>

#include "../cmd.h"
#include "../util.h"

extern const struct cmd_entry cmd_purge;

/* purge --state completed|dead [--older-than DURATION] [--json] */
static int purge_run(struct cmd_ctx *ctx, const struct args *a)
{
	enum job_state state = JOB_NSTATES;
	const char *v;
	int64_t age = 0;
	struct queue *q;
	int n;

	if ((v = args_get(a, "state"))) {
		if (job_state_parse(v, &state, &ctx->err))
			return ctx->err.code;
		if (state != JOB_COMPLETED && state != JOB_DEAD)
			return cmd_usage_error(ctx, &cmd_purge,
					       "only completed or dead jobs can be purged, not %s", v);
	}
	if ((v = args_get(a, "older-than")) && duration_parse(v, &age, &ctx->err))
		return ctx->err.code;
	if (state == JOB_NSTATES)
		return cmd_usage_error(ctx, &cmd_purge, "missing --state completed|dead");
	if (!(q = cmd_queue(ctx)))
		return ctx->err.code;
	n = queue_purge_older(q, state, age, &ctx->err);
	if (n < 0)
		return n;
	if (args_has(a, "json")) {
		json_t *o = json_object();

		json_object_set_new(o, "purged", json_integer(n));
		json_object_set_new(o, "state", json_string(job_state_name(state)));
		cmd_print_json(o);
	} else {
		printf("purged %d %s job%s\n", n, job_state_name(state), n == 1 ? "" : "s");
	}
	return 0;
}

const struct cmd_entry cmd_purge = {
	.name = "purge",
	.usage = "--state completed|dead [--older-than DURATION] [--json]",
	.summary = "remove finished jobs (and their logs) in bulk",
	.args = { .options = (const struct args_option[]){
			  { "state", 's', "STATE", "completed or dead" },
			  { "older-than", 0, "DURATION",
			    "only jobs finished at least this long ago (7d, 12h)" },
			  { "json", 0, NULL, "print {\"purged\": N, \"state\": STATE}" },
			  { 0 } } },
	.run = purge_run,
};
