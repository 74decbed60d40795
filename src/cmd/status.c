/*
 * status.c - how many jobs are in each state, and which workers are running.
 */
#include <stdio.h>
#include <stdlib.h>

#include "../cmd.h"
#include "../util.h"
#include "../view.h"

extern const struct cmd_entry cmd_status;

static int worker_json(void *ctx, const struct worker_info *w)
{
	json_array_append_new(ctx, view_worker(w));
	return 0;
}

static int worker_text(void *ctx, const struct worker_info *w)
{
	char started[TIME_BUFSZ], beat[TIME_BUFSZ];
	int *n = ctx;

	if ((*n)++ == 0)
		printf("\n%-8s  %-16s  %-5s  %-4s  %-20s  %-20s  %-10s  %-30s  %s\n", "PID", "HOST",
		       "SLOTS", "BUSY", "STARTED", "HEARTBEAT", "QUEUES", "ID", "MACHINE");
	/* The id for 'worker stop --id'; the machine tells hosts of one name apart. */
	printf("%-8d  %-16s  %-5d  %-4d  %-20s  %-20s  %-10s  %-30s  %s\n", w->pid, w->host,
	       w->slots, w->busy, time_format(w->started_at, false, started),
	       time_format(w->heartbeat_at, false, beat), w->queues ? w->queues : "all", w->id,
	       w->machine ? w->machine : "-");
	return 0;
}

/* status [--json] */
static int status_run(struct cmd_ctx *ctx, const struct args *a)
{
	long long counts[JOB_NSTATES], total = 0;
	struct queue *q;
	int rc, nworkers = 0;

	if (!(q = cmd_queue(ctx)) || queue_counts(q, counts, &ctx->err))
		return ctx->err.code;
	if (args_has(a, "json")) {
		json_t *o = view_counts(counts), *workers = json_array();

		rc = queue_workers(q, worker_json, workers, &ctx->err);
		json_object_set_new(o, "workers", workers);
		if (rc == 0)
			cmd_print_json(o);
		else
			json_decref(o);
		return rc;
	}
	for (int i = 0; i < JOB_NSTATES; i++) {
		printf("%-11s %lld\n", job_state_name((enum job_state)i), counts[i]);
		total += counts[i];
	}
	printf("%-11s %lld\n", "total", total);
	rc = queue_workers(q, worker_text, &nworkers, &ctx->err);
	if (rc == 0 && nworkers == 0)
		printf("\nworkers: none\n");
	return rc;
}

const struct cmd_entry cmd_status = {
	.name = "status",
	.usage = "[--json]",
	.summary = "show the number of jobs in each state and the active workers",
	.args = { .options = (const struct args_option[]){
			  { "json", 0, NULL, "print one JSON object: a count per state, total, workers" },
			  { 0 } } },
	.run = status_run,
};
