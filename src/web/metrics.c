/*
 * metrics.c - GET /metrics: the queue's figures in Prometheus's text format (version 0.0.4),
 * named by its conventions: base units (seconds), _total for counters, one family per name
 * with its HELP and TYPE once, every sample of a family together.
 *
 * The counters and histograms are the store's (queue_counters), kept in the transaction of
 * each change: they never go back when a worker restarts or jobs are purged, and every
 * server over one store shows the same.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "web.h"

enum family {
	F_JOBS,
	F_OLDEST,
	F_ENQUEUED,
	F_COMPLETED,
	F_FAILED,
	F_DEAD,
	F_DURATION,
	F_WAIT,
	F_WORKERS,
	F_SLOTS,
	F_BUSY,
	F_BUILD,
	F_COUNT
};

static const struct {
	const char *name, *type, *help;
} families[F_COUNT] = {
	[F_JOBS] = { "queuectl_jobs", "gauge", "Jobs by queue and state." },
	[F_OLDEST] = { "queuectl_oldest_due_job_age_seconds", "gauge",
		       "How long the oldest job due to run has waited, by queue (0: none is due)." },
	[F_ENQUEUED] = { "queuectl_jobs_enqueued_total", "counter", "Jobs enqueued, by queue." },
	[F_COMPLETED] = { "queuectl_jobs_completed_total", "counter",
			  "Jobs completed (an attempt exited 0), by queue." },
	[F_FAILED] = { "queuectl_attempts_failed_total", "counter",
		       "Attempts that failed, the last attempt of a dead job included, by queue." },
	[F_DEAD] = { "queuectl_jobs_dead_total", "counter",
		     "Jobs that went to the dead letter queue, by queue." },
	[F_DURATION] = { "queuectl_attempt_duration_seconds", "histogram",
			 "How long attempts ran, from their process's start to its end, by queue." },
	[F_WAIT] = { "queuectl_queue_wait_seconds", "histogram",
		     "How long jobs waited from their due time to their start, by queue." },
	[F_WORKERS] = { "queuectl_workers", "gauge", "Registered workers." },
	[F_SLOTS] = { "queuectl_worker_slots", "gauge", "Job slots of the registered workers." },
	[F_BUSY] = { "queuectl_worker_busy_slots", "gauge",
		     "Job slots of the registered workers running a job." },
	[F_BUILD] = { "queuectl_build_info", "gauge", "The queuectl serving these metrics." },
};

/* The plain counters, in the order of their families from F_ENQUEUED. */
static const char *const plain_names[] = { "enqueued", "completed", "failed_attempts", "dead" };
#define NPLAIN 4

struct queue_row {
	char *name;
	long long counts[JOB_NSTATES];
	int64_t oldest_due_ms;
	long long plain[NPLAIN];
};

struct render {
	struct buf fam[F_COUNT];
	struct queue_row *rows;
	size_t nrows, cap;
	/* The histogram being read: its family, queue, and running count and sum. */
	int hist;
	char *hist_queue;
	long long cum, sum_ms;
	long long workers, slots, busy;
};

/* A label value escaped as the format wants: backslash, double quote and newline. */
static void label(struct buf *b, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			buf_add(b, "\\", 1);
		if (*v == '\n')
			buf_adds(b, "\\n");
		else
			buf_add(b, v, 1);
	}
}

static struct queue_row *row(struct render *r, const char *name)
{
	for (size_t i = 0; i < r->nrows; i++)
		if (!strcmp(r->rows[i].name, name))
			return &r->rows[i];
	if (r->nrows == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 16;
		r->rows = xrealloc(r->rows, r->cap * sizeof *r->rows);
	}
	memset(&r->rows[r->nrows], 0, sizeof r->rows[0]);
	r->rows[r->nrows].name = xstrdup(name);
	r->rows[r->nrows].oldest_due_ms = -1;
	return &r->rows[r->nrows++];
}

static int on_summary(void *ctx, const struct queue_summary *qs)
{
	struct queue_row *qr = row(ctx, qs->name);

	memcpy(qr->counts, qs->counts, sizeof qr->counts);
	qr->oldest_due_ms = qs->oldest_due_ms;
	return 0;
}

/* "1.5" for 1500 ms: seconds, exact, without trailing zeros. */
static void seconds(struct buf *b, long long ms)
{
	buf_addf(b, "%lld", ms / 1000);
	if (ms % 1000) {
		char frac[8];
		int n = snprintf(frac, sizeof frac, "%03lld", ms % 1000);

		while (n > 0 && frac[n - 1] == '0')
			frac[--n] = '\0';
		buf_addf(b, ".%s", frac);
	}
}

static int on_counter(void *ctx, const struct counter *c)
{
	struct render *r = ctx;
	struct buf *b;
	int f;

	if (c->le == COUNTER_PLAIN) {
		for (int i = 0; i < NPLAIN; i++)
			if (!strcmp(c->name, plain_names[i]))
				row(r, c->queue)->plain[i] = c->n;
		return 0;
	}
	if (!strcmp(c->name, "duration"))
		f = F_DURATION;
	else if (!strcmp(c->name, "wait"))
		f = F_WAIT;
	else
		return 0; /* a histogram of a newer queuectl */
	row(r, c->queue);
	if (r->hist != f || !r->hist_queue || strcmp(r->hist_queue, c->queue)) {
		free(r->hist_queue);
		r->hist_queue = xstrdup(c->queue);
		r->hist = f;
		r->cum = r->sum_ms = 0;
	}
	r->cum += c->n;
	r->sum_ms += c->sum_ms;
	b = &r->fam[f];
	buf_addf(b, "%s_bucket{queue=\"", families[f].name);
	label(b, c->queue);
	buf_adds(b, "\",le=\"");
	if (c->le == COUNTER_INF)
		buf_adds(b, "+Inf");
	else
		seconds(b, c->le);
	buf_addf(b, "\"} %lld\n", r->cum);
	if (c->le == COUNTER_INF) {
		buf_addf(b, "%s_sum{queue=\"", families[f].name);
		label(b, c->queue);
		buf_adds(b, "\"} ");
		seconds(b, r->sum_ms);
		buf_addf(b, "\n%s_count{queue=\"", families[f].name);
		label(b, c->queue);
		buf_addf(b, "\"} %lld\n", r->cum);
	}
	return 0;
}

static int on_worker(void *ctx, const struct worker_info *w)
{
	struct render *r = ctx;

	r->workers++;
	r->slots += w->slots;
	r->busy += w->busy;
	return 0;
}

/* One sample of a family with the queue label. */
static void queue_sample(struct render *r, int f, const char *queue, long long v)
{
	buf_addf(&r->fam[f], "%s{queue=\"", families[f].name);
	label(&r->fam[f], queue);
	buf_addf(&r->fam[f], "\"} %lld\n", v);
}

void metrics_render(struct web *web, struct web_resp *resp)
{
	struct render r = { .hist = -1 };
	struct error err;

	if (queue_summaries(web->q, on_summary, &r, &err) ||
	    queue_counters(web->q, on_counter, &r, &err) ||
	    queue_workers(web->q, on_worker, &r, &err)) {
		web_queue_error(resp, &err);
		goto out;
	}
	for (size_t i = 0; i < r.nrows; i++) {
		struct queue_row *qr = &r.rows[i];

		for (int s = 0; s < JOB_NSTATES; s++) {
			buf_addf(&r.fam[F_JOBS], "queuectl_jobs{queue=\"");
			label(&r.fam[F_JOBS], qr->name);
			buf_addf(&r.fam[F_JOBS], "\",state=\"%s\"} %lld\n",
				 job_state_name((enum job_state)s), qr->counts[s]);
		}
		buf_addf(&r.fam[F_OLDEST], "%s{queue=\"", families[F_OLDEST].name);
		label(&r.fam[F_OLDEST], qr->name);
		buf_adds(&r.fam[F_OLDEST], "\"} ");
		seconds(&r.fam[F_OLDEST], qr->oldest_due_ms > 0 ? qr->oldest_due_ms : 0);
		buf_add(&r.fam[F_OLDEST], "\n", 1);
		for (int p = 0; p < NPLAIN; p++)
			queue_sample(&r, F_ENQUEUED + p, qr->name, qr->plain[p]);
	}
	buf_addf(&r.fam[F_WORKERS], "queuectl_workers %lld\n", r.workers);
	buf_addf(&r.fam[F_SLOTS], "queuectl_worker_slots %lld\n", r.slots);
	buf_addf(&r.fam[F_BUSY], "queuectl_worker_busy_slots %lld\n", r.busy);
	buf_adds(&r.fam[F_BUILD], "queuectl_build_info{version=\"" QUEUECTL_VERSION "\"} 1\n");
	resp->status = 200;
	resp->type = "text/plain; version=0.0.4; charset=utf-8";
	for (int f = 0; f < F_COUNT; f++) {
		if (!r.fam[f].len)
			continue;
		buf_addf(&resp->body, "# HELP %s %s\n# TYPE %s %s\n", families[f].name,
			 families[f].help, families[f].name, families[f].type);
		buf_add(&resp->body, r.fam[f].data, r.fam[f].len);
	}
out:
	for (int f = 0; f < F_COUNT; f++)
		buf_release(&r.fam[f]);
	for (size_t i = 0; i < r.nrows; i++)
		free(r.rows[i].name);
	free(r.rows);
	free(r.hist_queue);
}
