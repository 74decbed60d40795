/*
 * view.c - the JSON objects of view.h.
 */
#include <stdlib.h>

#include "util.h"
#include "view.h"

json_t *view_time(int64_t ms, bool millis)
{
	char buf[TIME_BUFSZ];

	return ms ? json_string(time_format(ms, millis, buf)) : json_null();
}

static json_t *string_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* A number as JSON: whole numbers as integers ("2", not "2.0"); 0, "not set", as null. */
static json_t *number_or_null(double d)
{
	if (d == 0)
		return json_null();
	if (d == (double)(long long)d)
		return json_integer((long long)d);
	return json_real(d);
}

json_t *view_job(const struct job *job, bool detail)
{
	json_t *o = json_object();

	json_object_set_new(o, "id", json_string(job->id));
	json_object_set_new(o, "command", json_string(job->command));
	if (job->argv) {
		json_t *a = json_array();

		for (int i = 0; job->argv[i]; i++)
			json_array_append_new(a, json_string(job->argv[i]));
		json_object_set_new(o, "argv", a);
	} else {
		json_object_set_new(o, "argv", json_null());
	}
	json_object_set_new(o, "state", json_string(job_state_name(job->state)));
	json_object_set_new(o, "attempts", json_integer(job->attempts));
	json_object_set_new(o, "max_retries", json_integer(job->max_retries));
	json_object_set_new(o, "created_at", view_time(job->created_at, false));
	json_object_set_new(o, "updated_at", view_time(job->updated_at, false));
	json_object_set_new(o, "queue", json_string(job->queue));
	json_object_set_new(o, "priority", json_integer(job->priority));
	json_object_set_new(o, "run_at", view_time(job->run_at, false));
	json_object_set_new(o, "timeout", json_integer(job->timeout));
	json_object_set_new(o, "backoff_base", number_or_null(job->backoff_base));
	json_object_set_new(o, "last_error",
			    job->last_error ? json_string(job->last_error) : json_null());
	json_object_set_new(o, "exit_code",
			    job->has_exit_code ? json_integer(job->exit_code) : json_null());
	if (!detail)
		return o;
	json_object_set_new(o, "runs", json_integer(job->runs));
	json_object_set_new(o, "started_at", view_time(job->started_at, false));
	json_object_set_new(o, "finished_at", view_time(job->finished_at, false));
	json_object_set_new(o, "worker", job->worker_id ? json_string(job->worker_id) : json_null());
	json_object_set_new(o, "lease_until", view_time(job->lease_until, false));
	/* Output is bytes from a program: valid UTF-8 is kept, invalid bytes become U+FFFD. */
	if (!job->output) {
		json_object_set_new(o, "output", json_null());
	} else {
		struct buf b = BUF_INIT;

		utf8_sanitize(&b, job->output, job->output_len);
		json_object_set_new(o, "output", json_stringn(b.data ? b.data : "", b.len));
		buf_release(&b);
	}
	return o;
}

json_t *view_attempt(const struct attempt *a)
{
	json_t *o = json_object();

	json_object_set_new(o, "run", json_integer(a->run));
	json_object_set_new(o, "attempt", json_integer(a->attempt));
	json_object_set_new(o, "started_at", view_time(a->started_at, true));
	json_object_set_new(o, "finished_at", view_time(a->finished_at, true));
	json_object_set_new(o, "outcome", json_string(a->outcome));
	json_object_set_new(o, "error", string_or_null(a->error));
	json_object_set_new(o, "exit_code",
			    a->has_exit_code ? json_integer(a->exit_code) : json_null());
	json_object_set_new(o, "worker", string_or_null(a->worker_id));
	json_object_set_new(o, "log", string_or_null(a->log_path));
	return o;
}

json_t *view_worker(const struct worker_info *w)
{
	json_t *o = json_object();

	json_object_set_new(o, "id", json_string(w->id));
	json_object_set_new(o, "pid", json_integer(w->pid));
	json_object_set_new(o, "host", json_string(w->host));
	json_object_set_new(o, "machine", string_or_null(w->machine));
	json_object_set_new(o, "slots", json_integer(w->slots));
	json_object_set_new(o, "busy", json_integer(w->busy));
	json_object_set_new(o, "queues", string_or_null(w->queues));
	json_object_set_new(o, "started_at", view_time(w->started_at, false));
	json_object_set_new(o, "heartbeat_at", view_time(w->heartbeat_at, false));
	return o;
}

json_t *view_counts(const long long counts[JOB_NSTATES])
{
	json_t *o = json_object();
	long long total = 0;

	for (int i = 0; i < JOB_NSTATES; i++) {
		json_object_set_new(o, job_state_name((enum job_state)i), json_integer(counts[i]));
		total += counts[i];
	}
	json_object_set_new(o, "total", json_integer(total));
	return o;
}

json_t *view_setting(const struct config_setting *s, const char *canon)
{
	switch (s->type) {
	case CONFIG_REAL:
		return json_real(strtod(canon, NULL));
	case CONFIG_CHOICE:
		return json_string(canon);
	default:
		return json_integer(strtoll(canon, NULL, 10));
	}
}

json_t *view_stats(const struct queue_stats *st, size_t n, int64_t since, int64_t seconds)
{
	json_t *queues = json_array();

	for (size_t i = 0; i < n; i++) {
		const struct queue_stats *qs = &st[i];

		json_array_append_new(
			queues,
			json_pack("{s:s,s:I,s:I,s:I,s:I,s:f,s:f,s:{s:I,s:I,s:I}}", "queue",
				  qs->name, "attempts", (json_int_t)qs->attempts, "completed",
				  (json_int_t)qs->completed, "failed_attempts", (json_int_t)qs->failed,
				  "dead", (json_int_t)qs->dead, "completed_per_minute",
				  (double)qs->completed * 60.0 / (double)seconds, "success_rate",
				  (double)qs->completed / (double)qs->attempts, "duration_ms", "p50",
				  (json_int_t)qs->p50_ms, "p95", (json_int_t)qs->p95_ms, "max",
				  (json_int_t)qs->max_ms));
	}
	return json_pack("{s:o,s:I,s:o}", "since", view_time(since, false), "seconds",
			 (json_int_t)seconds, "queues", queues);
}
