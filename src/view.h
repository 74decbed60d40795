/*
 * view.h - the JSON objects queuectl shows: a job, an attempt, a worker, the status, the
 * settings.  Every --json of the CLI renders through here (and so will any other front end),
 * so one object has one shape everywhere; README's "JSON output" section documents them.
 * Each function returns a new reference that the caller owns.
 */
#ifndef QUEUECTL_VIEW_H
#define QUEUECTL_VIEW_H

#include <jansson.h>
#include <stdbool.h>

#include "config.h"
#include "job.h"
#include "queue.h"

/* A job: the schema's fields; with detail also runs, times, owner, lease and output tail. */
json_t *view_job(const struct job *job, bool detail);
/* One finished attempt of a job's history. */
json_t *view_attempt(const struct attempt *a);
/* A registered worker. */
json_t *view_worker(const struct worker_info *w);
/* A count per state and "total"; the caller may add "workers". */
json_t *view_counts(const long long counts[JOB_NSTATES]);
/* A setting's canonical text as a JSON value of its type. */
json_t *view_setting(const struct config_setting *s, const char *canon);
/* An ISO-8601 time, or null for 0 (never). */
json_t *view_time(int64_t ms, bool millis);
/*
 * 'stats --json': the span (since, in ms, and its length in seconds) and the figures of
 * each queue; rates are printed with six digits (JSON_REAL_PRECISION(6)) by the callers.
 */
json_t *view_stats(const struct queue_stats *st, size_t n, int64_t since, int64_t seconds);

#endif
