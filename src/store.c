/*
 * store.c - choosing a backend for a target, and the thin wrappers over its ops table.
 *
 * The wrappers are the one place every store call passes through: the place for assertions
 * about the callers' side of the contract.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "store/backend.h"
#include "util.h"

/*
 * The backends by URL scheme, in the one place that chooses: a target that starts with
 * "<scheme>://" for a scheme listed here is a URL for that backend; anything else is a file
 * path, for SQLite.  A scheme with no ops is known but not built into this queuectl.
 */
static const struct backend {
	const char *scheme;
	const char *name; /* for people */
	const struct store_ops *ops;
} backends[] = {
	{ "postgres", "PostgreSQL", &pg_store_ops },
	{ "postgresql", "PostgreSQL", &pg_store_ops },
};

static const struct backend *backend_of(const char *target)
{
	for (size_t i = 0; i < sizeof backends / sizeof backends[0]; i++) {
		size_t n = strlen(backends[i].scheme);

		if (!strncmp(target, backends[i].scheme, n) && !strncmp(target + n, "://", 3))
			return &backends[i];
	}
	return NULL;
}

bool store_is_url(const char *target)
{
	return backend_of(target) != NULL;
}

int store_open(const char *target, struct store **out, struct error *err)
{
	const struct backend *b = backend_of(target);

	*out = NULL;
	if (!b)
		return sqlite_store_ops.open(target, out, err);
	if (!b->ops)
		return error_set(err, QE_INPUT,
				 "'%s': this queuectl has no %s backend; give a file path", target,
				 b->name);
	return b->ops->open(target, out, err);
}

void store_close(struct store *st)
{
	if (st)
		st->ops->close(st);
}

int store_now(struct store *st, int64_t *ms, struct error *err)
{
	if (st->pinned_now) {
		*ms = *st->pinned_now;
		return 0;
	}
	return st->ops->now(st, ms, err);
}

void store_pin_clock(struct store *st, const int64_t *ms)
{
	st->pinned_now = ms;
}

int store_begin(struct store *st, struct error *err)
{
	return st->ops->begin(st, err);
}

int store_commit(struct store *st, struct error *err)
{
	return st->ops->commit(st, err);
}

void store_rollback(struct store *st)
{
	st->ops->rollback(st);
}

int store_insert(struct store *st, const struct job *job, struct error *err)
{
	assert(job->id && job->command && job->queue &&
	       (job_ops[JOB_OP_ENQUEUE].to & JOB_BIT(job->state)));
	return st->ops->insert(st, job, err);
}

int store_resolve(struct store *st, const char *prefix, char **id, struct error *err)
{
	/* Ids are ASCII letters, digits and punctuation: DEL sorts after all of them. */
	char *hi = xasprintf("%s\x7f", prefix), *found[2] = { NULL, NULL };
	int n = 0, rc;

	rc = st->ops->resolve(st, prefix, hi, found, &n, err);
	free(hi);
	if (rc)
		return rc;
	/* An exact match wins over longer ids that it is a prefix of; it sorts first. */
	if (n == 2 && strcmp(found[0], prefix)) {
		rc = error_set(err, QE_INPUT, "job id prefix '%s' is ambiguous: '%s', '%s', ...",
			       prefix, found[0], found[1]);
		free(found[0]);
		free(found[1]);
		return rc;
	}
	free(found[1]);
	if (n == 0)
		return error_set(err, QE_NOTFOUND, "no job '%s'", prefix);
	*id = found[0];
	return 0;
}

int store_get(struct store *st, const char *id, struct job *job, struct error *err)
{
	return st->ops->get(st, id, job, err);
}

int store_summaries(struct store *st, int64_t now, summary_visit_fn *fn, void *ctx,
		    struct error *err)
{
	return st->ops->summaries(st, now, fn, ctx, err);
}

int store_counters(struct store *st, counter_visit_fn *fn, void *ctx, struct error *err)
{
	return st->ops->counters(st, fn, ctx, err);
}

int store_finished_since(struct store *st, int64_t since, const char *queue,
			 finished_visit_fn *fn, void *ctx, struct error *err)
{
	return st->ops->finished_since(st, since, queue, fn, ctx, err);
}

int store_list(struct store *st, const struct job_filter *f, job_visit_fn *fn, void *ctx,
	       struct error *err)
{
	return st->ops->list(st, f, fn, ctx, err);
}

int store_counts(struct store *st, long long counts[JOB_NSTATES], struct error *err)
{
	return st->ops->counts(st, counts, err);
}

int store_update(struct store *st, const struct job *job, enum job_state expect,
		 const char *expect_worker, struct error *err)
{
	assert(job_transition_ok(expect, job->state));
	return st->ops->update(st, job, expect, expect_worker, err);
}

int store_remove(struct store *st, const char *id, struct error *err)
{
	return st->ops->remove(st, id, err);
}

int store_purge(struct store *st, enum job_state state, int64_t before, id_visit_fn *fn,
		void *ctx, struct error *err)
{
	assert(job_op_from(JOB_OP_PURGE, state));
	return st->ops->purge(st, state, before, fn, ctx, err);
}

int store_config_list(struct store *st, kv_visit_fn *fn, void *ctx, struct error *err)
{
	return st->ops->config_list(st, fn, ctx, err);
}

int store_config_set(struct store *st, const char *key, const char *value, struct error *err)
{
	return st->ops->config_set(st, key, value, err);
}

int store_config_unset(struct store *st, const char *key, struct error *err)
{
	return st->ops->config_unset(st, key, err);
}

int store_claim(struct store *st, const struct claim_req *req, struct job *jobs, int max,
		struct error *err)
{
	assert(req->worker_id && req->lease_until > req->now && max > 0);
	return st->ops->claim(st, req, jobs, max, err);
}

int store_started(struct store *st, const char *job_id, const char *worker_id, int pid,
		  long long pid_start, struct error *err)
{
	return st->ops->started(st, job_id, worker_id, pid, pid_start, err);
}

int store_renew(struct store *st, const char *worker_id, int64_t lease_until,
		struct error *err)
{
	return st->ops->renew(st, worker_id, lease_until, err);
}

int store_release(struct store *st, const char *worker_id, const char *job_id,
		  struct error *err)
{
	int64_t now;

	if (store_now(st, &now, err))
		return err->code;
	return st->ops->release(st, worker_id, job_id, now, err);
}

int store_unclaim(struct store *st, const struct job *job, struct error *err)
{
	int64_t now;

	if (store_now(st, &now, err))
		return err->code;
	return st->ops->unclaim(st, job, now, err);
}

int store_recover_leases(struct store *st, int64_t now, const char *except, struct error *err)
{
	return st->ops->recover_leases(st, now, except, err);
}

int store_prune_workers(struct store *st, int64_t now, struct error *err)
{
	return st->ops->prune_workers(st, now, err);
}

int store_next_due(struct store *st, const struct claim_req *req, int64_t *when,
		   struct error *err)
{
	return st->ops->next_due(st, req, when, err);
}

int store_attempt_add(struct store *st, const struct attempt *a, struct error *err)
{
	return st->ops->attempt_add(st, a, err);
}

int store_attempt_list(struct store *st, const char *job_id, attempt_visit_fn *fn, void *ctx,
		       struct error *err)
{
	return st->ops->attempt_list(st, job_id, fn, ctx, err);
}

int store_worker_add(struct store *st, const struct worker_info *w, struct error *err)
{
	return st->ops->worker_add(st, w, err);
}

int store_worker_beat(struct store *st, const char *id, int64_t now, int64_t stale_at,
		      struct error *err)
{
	return st->ops->worker_beat(st, id, now, stale_at, err);
}

int store_worker_remove(struct store *st, const char *id, struct error *err)
{
	return st->ops->worker_remove(st, id, err);
}

int store_worker_list(struct store *st, worker_visit_fn *fn, void *ctx, struct error *err)
{
	return st->ops->worker_list(st, fn, ctx, err);
}

int store_worker_stop(struct store *st, const char *id, struct error *err)
{
	assert(id);
	return st->ops->worker_stop(st, id, err);
}

int store_worker_stop_requested(struct store *st, const char *id, struct error *err)
{
	assert(id);
	return st->ops->worker_stop_requested(st, id, err);
}

void store_notify(struct store *st)
{
	st->ops->notify(st);
}

int store_wait_fd(struct store *st, struct error *err)
{
	return st->ops->wait_fd(st, err);
}

void store_wait_drain(struct store *st)
{
	st->ops->wait_drain(st);
}

int store_changes_fd(struct store *st, struct error *err)
{
	return st->ops->changes_fd(st, err);
}

int store_verify(struct store *st, struct error *err)
{
	return st->ops->verify(st, err);
}

int store_set_durable(struct store *st, bool durable, struct error *err)
{
	return st->ops->set_durable(st, durable, err);
}

const char *store_files_dir(struct store *st)
{
	return st->ops->files_dir(st);
}

void store_schema_version(struct store *st, int *found, int *current)
{
	st->ops->schema_version(st, found, current);
}
