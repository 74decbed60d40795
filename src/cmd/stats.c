/*
 * stats.c - what the queue got done over a span of time, per queue: throughput, success
 * rate, and how long attempts ran (p50, p95, max), from the attempts that ended in it.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../cmd.h"
#include "../util.h"
#include "../view.h"

extern const struct cmd_entry cmd_stats;

struct queue_stats {
	char *name;
	long long completed, failed, dead;
	int64_t *ms; /* every attempt's duration */
	size_t n, cap;
};

struct stats {
	struct queue_stats *q;
	size_t n, cap;
};

static int on_finished(void *ctx, const struct finished *f)
{
	struct stats *st = ctx;
	struct queue_stats *qs = NULL;

	for (size_t i = 0; i < st->n && !qs; i++)
		if (!strcmp(st->q[i].name, f->queue))
			qs = &st->q[i];
	if (!qs) {
		if (st->n == st->cap) {
			st->cap = st->cap ? 2 * st->cap : 8;
			st->q = xrealloc(st->q, st->cap * sizeof *st->q);
		}
		qs = &st->q[st->n++];
		memset(qs, 0, sizeof *qs);
		qs->name = xstrdup(f->queue);
	}
	if (!strcmp(f->outcome, "completed"))
		qs->completed++;
	else
		qs->failed++;
	if (!strcmp(f->outcome, "dead"))
		qs->dead++;
	if (qs->n == qs->cap) {
		qs->cap = qs->cap ? 2 * qs->cap : 64;
		qs->ms = xrealloc(qs->ms, qs->cap * sizeof *qs->ms);
	}
	qs->ms[qs->n++] = f->finished_at > f->started_at ? f->finished_at - f->started_at : 0;
	return 0;
}

static int by_ms(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct queue_stats *)a)->name, ((const struct queue_stats *)b)->name);
}

/* The nearest-rank percentile p of n sorted values (n > 0). */
static int64_t percentile(const int64_t *v, size_t n, double p)
{
	size_t rank = (size_t)ceil(p / 100.0 * (double)n);

	return v[rank ? rank - 1 : 0];
}

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
	struct stats st = { 0 };
	struct queue *q;
	json_t *arr = NULL;
	int rc;

	if ((v = args_get(a, "since"))) {
		if (duration_parse(v, &span, &ctx->err))
			return ctx->err.code;
		if (span == 0)
			return cmd_usage_error(ctx, &cmd_stats, "--since must be longer than 0s");
	}
	if (queue_name && (!id_valid(queue_name) || strlen(queue_name) > JOB_QUEUE_MAX))
		return error_set(&ctx->err, QE_INPUT, "invalid queue name '%.64s'", queue_name);
	if (!(q = cmd_queue(ctx)) || queue_now(q, &now, &ctx->err))
		return ctx->err.code;
	rc = queue_finished_since(q, now - span * 1000, queue_name, on_finished, &st, &ctx->err);
	if (rc)
		goto out;
	if (st.n)
		qsort(st.q, st.n, sizeof *st.q, by_name);
	if (args_has(a, "json"))
		arr = json_array();
	else if (st.n)
		printf("%-16s  %8s  %9s  %6s  %6s  %8s  %7s  %9s  %9s  %9s\n", "QUEUE", "ATTEMPTS",
		       "COMPLETED", "FAILED", "DEAD", "PER MIN", "SUCCESS", "P50", "P95", "MAX");
	for (size_t i = 0; i < st.n; i++) {
		struct queue_stats *qs = &st.q[i];
		double per_min = (double)qs->completed * 60.0 / (double)span;
		double success = (double)qs->completed / (double)qs->n;
		int64_t p50, p95, max;

		qsort(qs->ms, qs->n, sizeof *qs->ms, by_ms);
		p50 = percentile(qs->ms, qs->n, 50);
		p95 = percentile(qs->ms, qs->n, 95);
		max = qs->ms[qs->n - 1];
		if (arr) {
			json_array_append_new(
				arr, json_pack("{s:s,s:I,s:I,s:I,s:I,s:f,s:f,s:{s:I,s:I,s:I}}",
					       "queue", qs->name, "attempts", (json_int_t)qs->n,
					       "completed", (json_int_t)qs->completed,
					       "failed_attempts", (json_int_t)qs->failed,
					       "dead", (json_int_t)qs->dead,
					       "completed_per_minute", per_min, "success_rate",
					       success, "duration_ms", "p50", (json_int_t)p50,
					       "p95", (json_int_t)p95, "max", (json_int_t)max));
			continue;
		}
		printf("%-16s  %8zu  %9lld  %6lld  %6lld  %8.2f  %6.1f%%", qs->name, qs->n,
		       qs->completed, qs->failed, qs->dead, per_min, success * 100.0);
		print_secs(p50);
		print_secs(p95);
		print_secs(max);
		putchar('\n');
	}
	if (arr) {
		json_t *o = json_object();
		char since[TIME_BUFSZ];

		json_object_set_new(o, "since", json_string(time_format(now - span * 1000, false,
									since)));
		json_object_set_new(o, "seconds", json_integer(span));
		json_object_set_new(o, "queues", arr);
		/* Six digits are plenty for a rate, and spare it 0.016666666666666666. */
		json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
		putchar('\n');
		json_decref(o);
	} else if (!st.n) {
		char d[TIME_BUFSZ];

		fprintf(stderr, "no attempt ended in the last %s\n", duration_format(span, d));
	}
out:
	for (size_t i = 0; i < st.n; i++) {
		free(st.q[i].name);
		free(st.q[i].ms);
	}
	free(st.q);
	return rc;
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
