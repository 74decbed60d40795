/*
 * api.c - the routes of queuectl web: the JSON API under /api/v1/ (the CLI's --json objects
 * from view.c, the CLI's validation, the queue layer's all-or-nothing writes), /healthz, and
 * the dispatch to the metrics and the dashboard's files.  The caller holds web->lock.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../config.h"
#include "../logs.h"
#include "../view.h"
#include "web.h"

/* Jobs in one page of a listing, unless the request asks for fewer (or more, up to the max). */
#define PAGE_DEFAULT 100
#define PAGE_MAX 1000

/* The part of path after prefix, or NULL when path does not start with it. */
static const char *after(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);

	return strncmp(path, prefix, n) ? NULL : path + n;
}

static int method_not_allowed(struct web_resp *resp, const struct web_req *req)
{
	return web_error(resp, 405, "method_not_allowed", "%s is not served on %s", req->method,
			 req->path);
}

/* The request's body as JSON; NULL after answering 400. */
static json_t *body_json(const struct web_req *req, struct web_resp *resp)
{
	json_error_t je;
	json_t *v;

	if (!req->body || !req->body_len) {
		web_error(resp, 400, "invalid", "missing JSON body");
		return NULL;
	}
	if (!(v = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &je))) {
		web_error(resp, 400, "invalid", "invalid JSON at line %d, column %d: %s", je.line,
			  je.column, je.text);
		return NULL;
	}
	return v;
}

/* --- reads --- */

static int add_worker(void *ctx, const struct worker_info *w)
{
	json_array_append_new(ctx, view_worker(w));
	return 0;
}

/* GET /api/v1/status: what 'status --json' prints. */
static void get_status(struct web *web, struct web_resp *resp)
{
	long long counts[JOB_NSTATES];
	struct error err;
	json_t *o, *workers = json_array();

	if (queue_counts(web->q, counts, &err) ||
	    queue_workers(web->q, add_worker, workers, &err)) {
		json_decref(workers);
		web_queue_error(resp, &err);
		return;
	}
	o = view_counts(counts);
	json_object_set_new(o, "workers", workers);
	web_json(resp, 200, o);
}

/* GET /api/v1/workers */
static void get_workers(struct web *web, struct web_resp *resp)
{
	struct error err;
	json_t *workers = json_array();

	if (queue_workers(web->q, add_worker, workers, &err)) {
		json_decref(workers);
		web_queue_error(resp, &err);
		return;
	}
	web_json(resp, 200, workers);
}

/* GET /api/v1/stats?since=DURATION&queue=NAME: what 'stats --json' prints. */
static void get_stats(struct web *web, const struct web_req *req, struct web_resp *resp)
{
	const char *since = web_arg(req, "since"), *queue_name = web_arg(req, "queue");
	int64_t span = 3600, now;
	struct queue_stats *st;
	struct error err;
	size_t n;

	if (queue_name && !*queue_name)
		queue_name = NULL;
	if (since && *since && duration_parse(since, &span, &err)) {
		web_queue_error(resp, &err);
	} else if (span == 0) {
		web_error(resp, 400, "invalid", "since must be longer than 0s");
	} else if (queue_name && (!id_valid(queue_name) || strlen(queue_name) > JOB_QUEUE_MAX)) {
		web_error(resp, 400, "invalid", "invalid queue name '%.64s'", queue_name);
	} else if (queue_now(web->q, &now, &err) ||
		   queue_stats(web->q, now - span * 1000, queue_name, &st, &n, &err)) {
		web_queue_error(resp, &err);
	} else {
		web_json_flags(resp, 200, view_stats(st, n, now - span * 1000, span),
			       JSON_REAL_PRECISION(6));
		queue_stats_free(st, n);
	}
}

/* Fill f from the query (state, queue, id, command); false after answering 400. */
static bool read_filter(const struct web_req *req, struct job_filter *f, struct web_resp *resp)
{
	const char *v;
	struct error err;

	memset(f, 0, sizeof *f);
	f->state = -1;
	if ((v = web_arg(req, "state")) && *v) {
		enum job_state state;

		if (job_state_parse(v, &state, &err)) {
			web_queue_error(resp, &err);
			return false;
		}
		f->state = (int)state;
	}
	if ((v = web_arg(req, "queue")) && *v) {
		if (!id_valid(v) || strlen(v) > JOB_QUEUE_MAX) {
			web_error(resp, 400, "invalid", "invalid queue name '%.64s'", v);
			return false;
		}
		f->queue = v;
	}
	if ((v = web_arg(req, "id")) && *v)
		f->id_prefix = v;
	if ((v = web_arg(req, "command")) && *v)
		f->command_like = v;
	return true;
}

struct page {
	json_t *jobs;
	long long want, seen, last_seq;
};

static int add_job(void *ctx, const struct job *job)
{
	struct page *p = ctx;

	/* One more than the page is read to know whether there is a next page. */
	if (++p->seen > p->want)
		return 1;
	json_array_append_new(p->jobs, view_job(job, false));
	p->last_seq = job->seq;
	return 0;
}

/*
 * GET /api/v1/jobs?state=&queue=&id=&command=&limit=&cursor=
 * Oldest first.  next_cursor resumes after the page's last job: creation order does not
 * change, so a page never repeats or skips a job whatever is added or deleted meanwhile.
 */
static void get_jobs(struct web *web, const struct web_req *req, struct web_resp *resp)
{
	struct page p = { .want = PAGE_DEFAULT };
	struct job_filter f;
	struct error err;
	const char *v;
	json_t *o;
	int rc;

	if (!read_filter(req, &f, resp))
		return;
	if ((v = web_arg(req, "limit")) && parse_int(v, 1, PAGE_MAX, "limit", &p.want, &err)) {
		web_queue_error(resp, &err);
		return;
	}
	if ((v = web_arg(req, "cursor")) && *v &&
	    parse_int(v, 0, INT64_MAX, "cursor", &f.after, &err)) {
		web_queue_error(resp, &err);
		return;
	}
	f.limit = p.want + 1;
	p.jobs = json_array();
	rc = queue_list(web->q, &f, add_job, &p, &err);
	if (rc < 0) {
		json_decref(p.jobs);
		web_queue_error(resp, &err);
		return;
	}
	o = json_object();
	json_object_set_new(o, "jobs", p.jobs);
	if (p.seen > p.want) {
		char n[32];

		snprintf(n, sizeof n, "%lld", p.last_seq);
		json_object_set_new(o, "next_cursor", json_string(n));
	} else {
		json_object_set_new(o, "next_cursor", json_null());
	}
	web_json(resp, 200, o);
}

static int add_attempt(void *ctx, const struct attempt *a)
{
	json_array_append_new(ctx, view_attempt(a));
	return 0;
}

/* GET /api/v1/jobs/ID: what 'info --json' prints. */
static void get_job(struct web *web, const char *id, struct web_resp *resp)
{
	struct error err;
	struct job job;
	json_t *o, *hist;

	if (queue_get(web->q, id, &job, &err)) {
		web_queue_error(resp, &err);
		return;
	}
	o = view_job(&job, true);
	job_release(&job);
	hist = json_array();
	json_object_set_new(o, "history", hist);
	if (queue_attempts(web->q, id, add_attempt, hist, &err)) {
		json_decref(o);
		web_queue_error(resp, &err);
		return;
	}
	web_json(resp, 200, o);
}

struct no_log {
	int run;
	bool found;
};

static int find_no_log(void *ctx, const struct attempt *a)
{
	struct no_log *nl = ctx;

	if (a->run == nl->run && !a->log_path)
		nl->found = true;
	return 0;
}

/* Whether run of job id ended with nothing written: its attempt records no log. */
static bool ran_without_output(struct web *web, const char *id, int run)
{
	struct no_log nl = { run, false };
	struct error err;

	return queue_attempts(web->q, id, find_no_log, &nl, &err) == 0 && nl.found;
}

/*
 * GET /api/v1/jobs/ID/output?run=N&offset=B: the output of a run (the latest by default),
 * from byte offset B, as text/plain: the log file when this machine has it, else the tail
 * the store keeps of the latest run; nothing for a run that wrote nothing (no log is kept).
 */
static void get_output(struct web *web, const struct web_req *req, const char *id,
		       struct web_resp *resp)
{
	long long run, offset = 0;
	struct error err;
	struct job job;
	const char *v;
	char *path, chunk[65536];
	ssize_t n;
	int fd;

	if (queue_get(web->q, id, &job, &err)) {
		web_queue_error(resp, &err);
		return;
	}
	run = job.runs;
	if (((v = web_arg(req, "run")) && parse_int(v, 1, 1000000000, "run", &run, &err)) ||
	    ((v = web_arg(req, "offset")) && parse_int(v, 0, INT64_MAX, "offset", &offset, &err))) {
		job_release(&job);
		web_queue_error(resp, &err);
		return;
	}
	if (run == 0 || run > job.runs) {
		job_release(&job);
		web_error(resp, 404, "not_found", "job '%s' has no run %lld", id, run);
		return;
	}
	resp->status = 200;
	resp->type = "text/plain; charset=utf-8";
	path = queue_log_path(web->q, id, (int)run);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0) {
		off_t off = (off_t)offset;

		/* Not logs_same: an empty log taken back as a spare, its bytes another run's. */
		while ((n = pread(fd, chunk, sizeof chunk, off)) > 0 && logs_same(fd, path)) {
			buf_add(&resp->body, chunk, (size_t)n);
			off += n;
		}
		close(fd);
	} else if (run == job.runs && job.output && (size_t)offset < job.output_len) {
		buf_add(&resp->body, job.output + offset, job.output_len - (size_t)offset);
	} else if (!(run == job.runs && job.output) && !ran_without_output(web, id, (int)run)) {
		web_error(resp, 404, "not_found", "no output of run %lld of job '%s' here", run, id);
	}
	free(path);
	job_release(&job);
}

/* GET /api/v1/settings: what 'config show --json' prints; with only, that one setting. */
static void get_settings(struct web *web, const struct config_setting *only,
			 struct web_resp *resp)
{
	struct config_text vals;
	struct error err;
	json_t *o;

	if (queue_settings(web->q, &vals, &err)) {
		web_queue_error(resp, &err);
		return;
	}
	o = json_object();
	for (int i = 0; i < config_nsettings; i++) {
		const struct config_setting *s = &config_settings[i];

		if (!only || only == s)
			json_object_set_new(o, s->name, view_setting(s, vals.v[i]));
	}
	config_text_release(&vals);
	web_json(resp, 200, o);
}

/* --- writes --- */

/* PUT /api/v1/settings/KEY {"value": V}: 'config set KEY V'. */
static void put_setting(struct web *web, const struct web_req *req,
			const struct config_setting *s, struct web_resp *resp)
{
	json_t *body = body_json(req, resp), *v;
	struct error err;
	char *text, *canon;

	if (!body)
		return;
	v = json_object_get(body, "value");
	if (!json_is_object(body) || !v || json_object_size(body) != 1) {
		web_error(resp, 400, "invalid", "expected {\"value\": ...}");
	} else if (!json_is_string(v) && !json_is_number(v)) {
		web_error(resp, 400, "invalid", "the value of '%s' must be a string or a number",
			  s->name);
	} else {
		text = json_is_string(v) ? xstrdup(json_string_value(v))
					 : json_dumps(v, JSON_ENCODE_ANY);
		if (queue_config_set(web->q, s->name, text, &canon, &err)) {
			web_queue_error(resp, &err);
		} else {
			web_json(resp, 200, json_pack("{s:o}", s->name, view_setting(s, canon)));
			free(canon);
		}
		free(text);
	}
	json_decref(body);
}

/* The jobs of a batch enqueue: the elements of a JSON array, each the CLI's job object. */
struct array_specs {
	json_t *array;
	size_t next;
	json_t *added;
};

static int next_spec(void *ctx, struct job_spec *spec, struct error *err)
{
	struct array_specs *as = ctx;
	json_t *v;
	char *text;
	int rc;

	if (as->next >= json_array_size(as->array))
		return 0;
	v = json_array_get(as->array, as->next++);
	text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	rc = job_spec_parse(spec, text, strlen(text), err);
	free(text);
	if (rc)
		return error_prefix(err, "job %zu: ", as->next);
	return 1;
}

static int added(void *ctx, const struct job *job)
{
	json_array_append_new(((struct array_specs *)ctx)->added, view_job(job, false));
	return 0;
}

/*
 * POST /api/v1/jobs: one job object (201 and the stored job) or an array of them (201 and
 * the stored jobs), stored all or none, validated as 'enqueue' validates.
 */
static void post_jobs(struct web *web, const struct web_req *req, struct web_resp *resp)
{
	json_t *body = body_json(req, resp);
	struct error err;

	if (!body)
		return;
	if (json_is_array(body)) {
		struct array_specs as = { .array = body, .added = json_array() };
		int rc;

		if (json_array_size(body) == 0) {
			web_error(resp, 400, "invalid", "the array holds no jobs");
		} else if ((rc = queue_enqueue_batch(web->q, next_spec, &as, added, &as, &err)) < 0) {
			/* Storing failed (an id taken): the job is the one read last. */
			if (err.code == QE_CONFLICT)
				error_prefix(&err, "job %zu: ", as.next);
			web_queue_error(resp, &err);
		} else {
			web_json(resp, 201, json_incref(as.added));
		}
		json_decref(as.added);
	} else if (json_is_object(body)) {
		struct job_spec spec;
		struct job job;

		job_spec_init(&spec);
		if (job_spec_parse(&spec, req->body, req->body_len, &err) ||
		    queue_enqueue(web->q, &spec, &job, &err)) {
			web_queue_error(resp, &err);
		} else {
			web_json(resp, 201, view_job(&job, false));
			job_release(&job);
		}
		job_spec_release(&spec);
	} else {
		web_error(resp, 400, "invalid", "expected a job object or an array of them");
	}
	json_decref(body);
}

static int collect_id(void *ctx, const char *id)
{
	json_array_append_new(ctx, json_string(id));
	return 0;
}

struct id_list {
	char **ids;
	int n, cap;
};

static void ids_add(struct id_list *l, const char *id)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 16;
		l->ids = xrealloc(l->ids, (size_t)l->cap * sizeof *l->ids);
	}
	l->ids[l->n++] = xstrdup(id);
}

static void ids_release(struct id_list *l)
{
	for (int i = 0; i < l->n; i++)
		free(l->ids[i]);
	free(l->ids);
}

static int list_id(void *ctx, const struct job *job)
{
	ids_add(ctx, job->id);
	return 0;
}

/*
 * The jobs a write names, by exact ids ({"ids": [...]}) or by filter ({"filter": {"state":,
 * "queue":, "id":, "command":}}): the ids the filter matches now.  state_only, when not -1,
 * is the state a filter must select (retry takes dead jobs only).  False after answering.
 */
static bool target_ids(struct web *web, json_t *body, int state_only, struct id_list *l,
		       struct web_resp *resp)
{
	json_t *ids = json_object_get(body, "ids"), *filter = json_object_get(body, "filter");
	struct job_filter f = { .state = state_only };
	struct error err;
	const char *key;
	json_t *v;
	size_t i;

	if (!json_is_object(body) || !ids == !filter || json_object_size(body) != 1) {
		web_error(resp, 400, "invalid", "expected {\"ids\": [...]} or {\"filter\": {...}}");
		return false;
	}
	if (ids) {
		if (!json_is_array(ids) || json_array_size(ids) == 0) {
			web_error(resp, 400, "invalid", "\"ids\" must be a non-empty array of ids");
			return false;
		}
		json_array_foreach(ids, i, v) {
			if (!json_is_string(v) || !id_valid(json_string_value(v))) {
				web_error(resp, 400, "invalid", "\"ids\"[%zu] is not a job id", i);
				return false;
			}
			ids_add(l, json_string_value(v));
		}
		return true;
	}
	if (!json_is_object(filter)) {
		web_error(resp, 400, "invalid", "\"filter\" must be an object");
		return false;
	}
	json_object_foreach(filter, key, v) {
		const char *s = json_string_value(v);

		if (!s) {
			web_error(resp, 400, "invalid", "filter \"%s\" must be a string", key);
			return false;
		}
		if (!strcmp(key, "state")) {
			enum job_state st;

			if (job_state_parse(s, &st, &err)) {
				web_queue_error(resp, &err);
				return false;
			}
			if (state_only >= 0 && (int)st != state_only) {
				web_error(resp, 400, "invalid", "only %s jobs can be retried, not %s",
					  job_state_name((enum job_state)state_only), s);
				return false;
			}
			f.state = (int)st;
		} else if (!strcmp(key, "queue")) {
			f.queue = s;
		} else if (!strcmp(key, "id")) {
			f.id_prefix = s;
		} else if (!strcmp(key, "command")) {
			f.command_like = s;
		} else {
			web_error(resp, 400, "invalid",
				  "unknown filter \"%.64s\" (state, queue, id, command)", key);
			return false;
		}
	}
	if (queue_list(web->q, &f, list_id, l, &err) < 0) {
		web_queue_error(resp, &err);
		return false;
	}
	return true;
}

/* Answer {"<verb>": N, "ids": [...]}, as --json of the CLI's commands that change jobs. */
static void answer_ids(struct web_resp *resp, const char *verb, json_t *ids)
{
	json_t *o = json_object();

	json_object_set_new(o, verb, json_integer((json_int_t)json_array_size(ids)));
	json_object_set_new(o, "ids", ids);
	web_json(resp, 200, o);
}

/* POST /api/v1/jobs/retry and /api/v1/jobs/delete, or one job's by its path. */
static void change_jobs(struct web *web, const struct web_req *req, const char *one,
			bool retry, struct web_resp *resp)
{
	struct id_list l = { 0 };
	struct error err;
	json_t *body = NULL, *done;
	int rc;

	if (one) {
		ids_add(&l, one);
	} else if (!(body = body_json(req, resp)) ||
		   !target_ids(web, body, retry ? JOB_DEAD : -1, &l, resp)) {
		json_decref(body);
		ids_release(&l);
		return;
	}
	done = json_array();
	if (l.n == 0)
		rc = 0; /* a filter that matches nothing changes nothing */
	else if (retry)
		rc = queue_dlq_retry(web->q, (const char *const *)l.ids, l.n, collect_id, done, &err);
	else
		rc = queue_delete(web->q, (const char *const *)l.ids, l.n, collect_id, done, &err);
	if (rc < 0) {
		json_decref(done);
		web_queue_error(resp, &err);
	} else {
		answer_ids(resp, retry ? "retried" : "deleted", done);
	}
	json_decref(body);
	ids_release(&l);
}

/* POST /api/v1/purge {"state": "completed"|"dead", "older_than": "7d"} */
static void post_purge(struct web *web, const struct web_req *req, struct web_resp *resp)
{
	json_t *body = body_json(req, resp);
	const char *state_name = NULL, *older = NULL;
	enum job_state state;
	struct error err;
	int64_t age = 0;
	int n;

	if (!body)
		return;
	if (json_unpack(body, "{s:s,s?s!}", "state", &state_name, "older_than", &older)) {
		web_error(resp, 400, "invalid",
			  "expected {\"state\": \"completed\"|\"dead\", \"older_than\": DURATION}");
	} else if (job_state_parse(state_name, &state, &err) ||
		   (older && duration_parse(older, &age, &err))) {
		web_queue_error(resp, &err);
	} else if (state != JOB_COMPLETED && state != JOB_DEAD) {
		web_error(resp, 400, "invalid", "only completed or dead jobs can be purged, not %s",
			  state_name);
	} else if ((n = queue_purge_older(web->q, state, age, &err)) < 0) {
		web_queue_error(resp, &err);
	} else {
		web_json(resp, 200, json_pack("{s:i,s:s}", "purged", n, "state",
					      job_state_name(state)));
	}
	json_decref(body);
}

/* /api/v1/jobs/ID[/output|/retry] */
static void job_routes(struct web *web, const struct web_req *req, const char *rest,
		       struct web_resp *resp)
{
	const char *slash = strchr(rest, '/');
	char id[JOB_ID_MAX + 1];
	size_t n = slash ? (size_t)(slash - rest) : strlen(rest);
	const char *sub = slash ? slash + 1 : "";
	const char *m = req->method;

	if (n == 0 || n > JOB_ID_MAX) {
		web_error(resp, 404, "not_found", "no route %s", req->path);
		return;
	}
	memcpy(id, rest, n);
	id[n] = '\0';
	if (!id_valid(id)) {
		web_error(resp, 404, "not_found", "no job '%.64s'", id);
	} else if (!*sub) {
		if (!strcmp(m, "GET"))
			get_job(web, id, resp);
		else if (!strcmp(m, "DELETE"))
			change_jobs(web, req, id, false, resp);
		else
			method_not_allowed(resp, req);
	} else if (!strcmp(sub, "output")) {
		if (!strcmp(m, "GET"))
			get_output(web, req, id, resp);
		else
			method_not_allowed(resp, req);
	} else if (!strcmp(sub, "retry")) {
		if (!strcmp(m, "POST"))
			change_jobs(web, req, id, true, resp);
		else
			method_not_allowed(resp, req);
	} else {
		web_error(resp, 404, "not_found", "no route %s", req->path);
	}
}

/* GET /healthz: the store answers. */
static void get_health(struct web *web, struct web_resp *resp)
{
	long long counts[JOB_NSTATES];
	struct error err;

	if (queue_counts(web->q, counts, &err))
		web_error(resp, 503, "store", "%s", err.msg);
	else
		web_json(resp, 200, json_pack("{s:b}", "ok", 1));
}

void api_handle(struct web *web, const struct web_req *req, struct web_resp *resp)
{
	const char *p = req->path, *m = req->method, *rest;
	bool get = !strcmp(m, "GET") || !strcmp(m, "HEAD"), post = !strcmp(m, "POST");

	if (get && static_file(p, resp)) {
		;
	} else if (!strcmp(p, "/api/v1/events")) {
		if (get)
			resp->stream = events_stream(web, web_arg(req, "job"), resp);
		else
			method_not_allowed(resp, req);
	} else if (!strcmp(p, "/api/v1/dashboard")) {
		struct error err;
		json_t *o;

		if (!get)
			method_not_allowed(resp, req);
		else if (!(o = events_status(web, &err)))
			web_queue_error(resp, &err);
		else
			web_json(resp, 200, o);
	} else if (!strcmp(p, "/metrics")) {
		get ? metrics_render(web, resp) : (void)method_not_allowed(resp, req);
	} else if (!strcmp(p, "/healthz")) {
		get ? get_health(web, resp) : (void)method_not_allowed(resp, req);
	} else if (!strcmp(p, "/api/v1/status")) {
		get ? get_status(web, resp) : (void)method_not_allowed(resp, req);
	} else if (!strcmp(p, "/api/v1/workers")) {
		get ? get_workers(web, resp) : (void)method_not_allowed(resp, req);
	} else if (!strcmp(p, "/api/v1/stats")) {
		get ? get_stats(web, req, resp) : (void)method_not_allowed(resp, req);
	} else if (!strcmp(p, "/api/v1/jobs")) {
		if (get)
			get_jobs(web, req, resp);
		else if (post)
			post_jobs(web, req, resp);
		else
			method_not_allowed(resp, req);
	} else if (!strcmp(p, "/api/v1/jobs/retry") || !strcmp(p, "/api/v1/jobs/delete")) {
		post ? change_jobs(web, req, NULL, !strcmp(p, "/api/v1/jobs/retry"), resp)
		     : (void)method_not_allowed(resp, req);
	} else if ((rest = after(p, "/api/v1/jobs/"))) {
		job_routes(web, req, rest, resp);
	} else if (!strcmp(p, "/api/v1/purge")) {
		post ? post_purge(web, req, resp) : (void)method_not_allowed(resp, req);
	} else if (!strcmp(p, "/api/v1/settings")) {
		struct error err;

		if (get)
			get_settings(web, NULL, resp);
		else if (strcmp(m, "DELETE"))
			method_not_allowed(resp, req);
		else if (queue_config_reset(web->q, NULL, &err)) /* 'config reset': every one */
			web_queue_error(resp, &err);
		else
			get_settings(web, NULL, resp);
	} else if ((rest = after(p, "/api/v1/settings/"))) {
		const struct config_setting *s = config_find(rest);
		struct error err;

		if (!s) {
			config_unknown(rest, &err);
			web_error(resp, 404, "not_found", "%s", err.msg);
		} else if (get) {
			get_settings(web, s, resp);
		} else if (!strcmp(m, "PUT")) {
			put_setting(web, req, s, resp);
		} else if (!strcmp(m, "DELETE")) {
			if (queue_config_reset(web->q, s->name, &err))
				web_queue_error(resp, &err);
			else
				get_settings(web, s, resp);
		} else {
			method_not_allowed(resp, req);
		}
	} else {
		web_error(resp, 404, "not_found", "no route %s", p);
	}
}
