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

json_t *view_job(const struct job *job, bool detail)
{
	return job_to_json(job, detail);
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
