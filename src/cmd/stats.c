/*
 * stats.c - what the queue got done over a span of time, per queue: throughput, success
 * rate, and how long attempts ran (p50, p95, max), from the attempts that ended in it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../cmd.h"
#include "../util.h"
#include "../view.h"

extern const struct cmd_entry cmd_stats;

static void print_secs(int64_t ms)
{
	char s[32];

	snprintf(s, sizeof s, "%.3fs", (double)ms / 1000.0);
	printf("  %9s", s);
}

/* stats [--since DURATION] [--queue NAME] [--json] */
static int stats_run(struct cmd_ctx *ctx, const struct args *a)
{
	const char *v, *queue_name = args_get(a, "queue");
	int64_t span = 3600, now;
	struct queue_stats *st;
	struct queue *q;
	size_t n;

	if ((v = args_get(a, "since"))) {
		if (duration_parse(v, &span, &ctx->err))
			return ctx->err.code;
		if (span == 0)
			return cmd_usage_error(ctx, &cmd_stats, "--since must be longer than 0s");
	}
	if (queue_name && (!id_valid(queue_name) || strlen(queue_name) > JOB_QUEUE_MAX))
		return error_set(&ctx->err, QE_INPUT, "invalid queue name '%.64s'", queue_name);
	if (!(q = cmd_queue(ctx)) || queue_now(q, &now, &ctx->err) ||
	    queue_stats(q, now - span * 1000, queue_name, &st, &n, &ctx->err))
		return ctx->err.code;
	if (args_has(a, "json")) {
		json_t *o = view_stats(st, n, now - span * 1000, span);

		/* Six digits are plenty for a rate, and spare it 0.016666666666666666. */
		json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
		putchar('\n');
		json_decref(o);
	} else if (n) {
		printf("%-16s  %8s  %9s  %6s  %6s  %8s  %7s  %9s  %9s  %9s\n", "QUEUE", "ATTEMPTS",
		       "COMPLETED", "FAILED", "DEAD", "PER MIN", "SUCCESS", "P50", "P95", "MAX");
		for (size_t i = 0; i < n; i++) {
			printf("%-16s  %8lld  %9lld  %6lld  %6lld  %8.2f  %6.1f%%", st[i].name,
			       st[i].attempts, st[i].completed, st[i].failed, st[i].dead,
			       (double)st[i].completed * 60.0 / (double)span,
			       (double)st[i].completed * 100.0 / (double)st[i].attempts);
			print_secs(st[i].p50_ms);
			print_secs(st[i].p95_ms);
			print_secs(st[i].max_ms);
			putchar('\n');
		}
	} else {
		char d[TIME_BUFSZ];

		fprintf(stderr, "no attempt ended in the last %s\n", duration_format(span, d));
	}
	queue_stats_free(st, n);
	return 0;
}

const struct cmd_entry cmd_stats = {
	.name = "stats",
	.usage = "[--since DURATION] [--queue NAME] [--json]",
	.summary = "show throughput, success rate and attempt durations per queue",
	.help = "The figures come from the attempts that ended in the span: the jobs completed\n"
		"per minute, the share of attempts that succeeded, and the 50th and 95th\n"
		"percentiles and the maximum of how long attempts ran.  Jobs deleted or purged\n"
		"take their attempts with them; 'queuectl web' serves counters that never go back\n"
		"at /metrics.\n",
	.args = { .options = (const struct args_option[]){
			  { "since", 0, "DURATION", "the span of time up to now (default 1h)" },
			  { "queue", 'q', "NAME", "only this queue" },
			  { "json", 0, NULL,
			    "print one JSON object: since, seconds, and an object per queue" },
			  { 0 } } },
	.run = stats_run,
};
