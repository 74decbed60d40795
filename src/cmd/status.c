/*
 * status.c - how many jobs are in each state, and which workers are running.
 */
#include <stdio.h>
#include <stdlib.h>

#include "../cmd.h"
#include "../util.h"

extern const struct cmd_entry cmd_status;

static int worker_json(void *ctx, const struct worker_info *w)
{
	char t[TIME_BUFSZ];
	json_t *o = json_object();

	json_object_set_new(o, "id", json_string(w->id));
	json_object_set_new(o, "pid", json_integer(w->pid));
	json_object_set_new(o, "host", json_string(w->host));
	json_object_set_new(o, "slots", json_integer(w->slots));
	json_object_set_new(o, "busy", json_integer(w->busy));
	json_object_set_new(o, "queues", w->queues ? json_string(w->queues) : json_null());
	json_object_set_new(o, "started_at", json_string(time_format(w->started_at, false, t)));
	json_object_set_new(o, "heartbeat_at",
			    json_string(time_format(w->heartbeat_at, false, t)));
	json_array_append_new(ctx, o);
	return 0;
}

static int worker_text(void *ctx, const struct worker_info *w)
{
	char started[TIME_BUFSZ], beat[TIME_BUFSZ];
	int *n = ctx;

	if ((*n)++ == 0)
		printf("\n%-8s  %-16s  %-5s  %-4s  %-20s  %-20s  %s\n", "PID", "HOST", "SLOTS", "BUSY",
		       "STARTED", "HEARTBEAT", "QUEUES");
	printf("%-8d  %-16s  %-5d  %-4d  %-20s  %-20s  %s\n", w->pid, w->host, w->slots, w->busy,
	       time_format(w->started_at, false, started),
	       time_format(w->heartbeat_at, false, beat), w->queues ? w->queues : "all");
	return 0;
}

/* status [--json] */
static int status_run(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	long long counts[JOB_NSTATES], total = 0;
	struct queue *q;
	bool json = false;
	int c, rc = 0, nworkers = 0;

	while ((c = cmd_getopt(ctx, &cmd_status, argc, argv, "", opts, &rc)) != -1) {
		if (c == CMD_EXIT)
			return rc;
		json = true;
	}
	if (optind < argc)
		return cmd_usage_error(ctx, &cmd_status, "unexpected argument '%.64s'",
				       argv[optind]);
	if (!(q = cmd_queue(ctx)) || store_counts(q->store, counts, &ctx->err))
		return ctx->err.code;
	for (int i = 0; i < JOB_NSTATES; i++)
		total += counts[i];
	if (json) {
		json_t *o = json_object(), *workers = json_array();

		for (int i = 0; i < JOB_NSTATES; i++)
			json_object_set_new(o, job_state_name((enum job_state)i),
					    json_integer(counts[i]));
		json_object_set_new(o, "total", json_integer(total));
		rc = store_worker_list(q->store, worker_json, workers, &ctx->err);
		json_object_set_new(o, "workers", workers);
		if (rc == 0)
			cmd_print_json(o);
		else
			json_decref(o);
		return rc;
	}
	for (int i = 0; i < JOB_NSTATES; i++)
		printf("%-11s %lld\n", job_state_name((enum job_state)i), counts[i]);
	printf("%-11s %lld\n", "total", total);
	rc = store_worker_list(q->store, worker_text, &nworkers, &ctx->err);
	if (rc == 0 && nworkers == 0)
		printf("\nworkers: none\n");
	return rc;
}

const struct cmd_entry cmd_status = {
	.name = "status",
	.usage = "[--json]",
	.summary = "show the number of jobs in each state and the active workers",
	.help = "  --json  print one JSON object: a count per state, total, and workers\n",
	.run = status_run,
};
