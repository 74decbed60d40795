/*
 * queue.c - the job life cycle: what a job becomes at each step (job.h's table), written
 * through the store as guarded updates, one transaction per call, stamped with the store's
 * clock.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "logs.h"
#include "queue.h"
#include "store.h"
#include "util.h"

int queue_open(struct queue *q, const char *target, struct error *err)
{
	const struct config *cfg;

	memset(q, 0, sizeof *q);
	if (!(q->logs = logs_root(target, store_is_url(target), err)))
		return err->code;
	if (store_open(target, &q->store, err)) {
		queue_close(q);
		return err->code;
	}
	/* Every writer honours the durability setting, so it is read at once. */
	if (queue_config(q, &cfg, err)) {
		queue_close(q);
		return err->code;
	}
	return 0;
}

void queue_close(struct queue *q)
{
	store_close(q->store);
	q->store = NULL;
	free(q->logs);
	q->logs = NULL;
}

int queue_changes_fd(struct queue *q, struct error *err)
{
	return store_changes_fd(q->store, err);
}

int queue_verify(struct queue *q, struct error *err)
{
	return store_verify(q->store, err);
}

const char *queue_logs(struct queue *q)
{
	return q->logs;
}

void queue_schema_version(struct queue *q, int *found, int *current)
{
	store_schema_version(q->store, found, current);
}

bool queue_is_url(const char *target)
{
	return store_is_url(target);
}

/*
 * Transactions nest, for a worker's round (queue_round_begin): a write inside one joins it,
 * and only the outermost begins and commits.
 */
static int tx_begin(struct queue *q, struct error *err)
{
	if (q->depth++ > 0)
		return 0;
	q->failed = q->notify = false;
	if (store_begin(q->store, err)) {
		q->depth = 0;
		return err->code;
	}
	return 0;
}

/* On failure, the caller calls rollback. */
static int tx_commit(struct queue *q, struct error *err)
{
	if (--q->depth > 0)
		return 0;
	if (store_commit(q->store, err))
		return err->code;
	if (q->notify)
		store_notify(q->store);
	q->notify = false;
	return 0;
}

/*
 * Undo a write that failed, in any step up to and including its commit (a commit that
 * fails leaves the transaction open); returns the code already in err.  Inside a round, the
 * round is marked to fail, and the outermost undoes it all.
 */
static int rollback(struct queue *q, struct error *err)
{
	if (q->depth > 1) {
		q->depth--;
		q->failed = true;
		return err->code;
	}
	q->depth = 0;
	q->notify = false;
	store_rollback(q->store);
	return err->code;
}

/* Wake idle workers once what was written is committed. */
static void notify_after(struct queue *q)
{
	if (q->depth > 0)
		q->notify = true;
	else
		store_notify(q->store);
}

int queue_round_begin(struct queue *q, struct error *err)
{
	assert(q->depth == 0);
	return tx_begin(q, err);
}

int queue_round_commit(struct queue *q, struct error *err)
{
	if (q->failed) {
		error_set(err, QE_FAIL, "a write of the round failed");
		q->depth = 1;
		return rollback(q, err);
	}
	if (tx_commit(q, err))
		return rollback(q, err);
	return 0;
}

void queue_notify(struct queue *q)
{
	store_notify(q->store);
}

/* --- reads --- */

int queue_resolve(struct queue *q, const char *prefix, char **id, struct error *err)
{
	return store_resolve(q->store, prefix, id, err);
}

int queue_get(struct queue *q, const char *id, struct job *job, struct error *err)
{
	return store_get(q->store, id, job, err);
}

int queue_list(struct queue *q, const struct job_filter *f, job_visit_fn *fn, void *ctx,
	       struct error *err)
{
	return store_list(q->store, f, fn, ctx, err);
}

int queue_now(struct queue *q, int64_t *ms, struct error *err)
{
	return store_now(q->store, ms, err);
}

int queue_summaries(struct queue *q, summary_visit_fn *fn, void *ctx, struct error *err)
{
	int64_t now;

	if (store_now(q->store, &now, err))
		return err->code;
	return store_summaries(q->store, now, fn, ctx, err);
}

int queue_counters(struct queue *q, counter_visit_fn *fn, void *ctx, struct error *err)
{
	return store_counters(q->store, fn, ctx, err);
}

int queue_finished_since(struct queue *q, int64_t since, const char *queue_name,
			 finished_visit_fn *fn, void *ctx, struct error *err)
{
	return store_finished_since(q->store, since, queue_name, fn, ctx, err);
}

/* The attempts of each queue as they come, then their durations sorted for percentiles. */
struct stats_acc {
	struct queue_stats *q;
	struct durations {
		int64_t *ms; /* every attempt's duration, q[i].attempts of them */
		size_t cap;
	} *d;
	size_t n, cap;
};

static int add_finished(void *ctx, const struct finished *f)
{
	struct stats_acc *acc = ctx;
	struct queue_stats *qs;
	struct durations *d;
	size_t i;

	for (i = 0; i < acc->n && strcmp(acc->q[i].name, f->queue); i++)
		;
	if (i == acc->n) {
		if (acc->n == acc->cap) {
			acc->cap = acc->cap ? 2 * acc->cap : 8;
			acc->q = xrealloc(acc->q, acc->cap * sizeof *acc->q);
			acc->d = xrealloc(acc->d, acc->cap * sizeof *acc->d);
		}
		memset(&acc->q[i], 0, sizeof acc->q[i]);
		memset(&acc->d[i], 0, sizeof acc->d[i]);
		acc->q[i].name = xstrdup(f->queue);
		acc->n++;
	}
	qs = &acc->q[i];
	d = &acc->d[i];
	if (!strcmp(f->outcome, "completed"))
		qs->completed++;
	else
		qs->failed++;
	if (!strcmp(f->outcome, "dead"))
		qs->dead++;
	if ((size_t)qs->attempts == d->cap) {
		d->cap = d->cap ? 2 * d->cap : 64;
		d->ms = xrealloc(d->ms, d->cap * sizeof *d->ms);
	}
	d->ms[qs->attempts++] = f->finished_at > f->started_at ? f->finished_at - f->started_at : 0;
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
static int64_t percentile(const int64_t *v, size_t n, size_t p)
{
	size_t rank = (n * p + 99) / 100;

	return v[rank ? rank - 1 : 0];
}

int queue_stats(struct queue *q, int64_t since, const char *queue_name,
		struct queue_stats **out, size_t *n, struct error *err)
{
	struct stats_acc acc = { 0 };
	int rc = store_finished_since(q->store, since, queue_name, add_finished, &acc, err);

	for (size_t i = 0; i < acc.n; i++) {
		struct queue_stats *qs = &acc.q[i];
		int64_t *ms = acc.d[i].ms;
		size_t k = (size_t)qs->attempts;

		qsort(ms, k, sizeof *ms, by_ms);
		qs->p50_ms = percentile(ms, k, 50);
		qs->p95_ms = percentile(ms, k, 95);
		qs->max_ms = ms[k - 1];
		free(ms);
	}
	free(acc.d);
	if (rc) {
		queue_stats_free(acc.q, acc.n);
		return rc;
	}
	if (acc.n)
		qsort(acc.q, acc.n, sizeof *acc.q, by_name);
	*out = acc.q;
	*n = acc.n;
	return 0;
}

void queue_stats_free(struct queue_stats *st, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(st[i].name);
	free(st);
}

int queue_counts(struct queue *q, long long counts[JOB_NSTATES], struct error *err)
{
	return store_counts(q->store, counts, err);
}

int queue_attempts(struct queue *q, const char *id, attempt_visit_fn *fn, void *ctx,
		   struct error *err)
{
	return store_attempt_list(q->store, id, fn, ctx, err);
}

int queue_workers(struct queue *q, worker_visit_fn *fn, void *ctx, struct error *err)
{
	return store_worker_list(q->store, fn, ctx, err);
}

static int collect_setting(void *ctx, const char *key, const char *value)
{
	config_text_apply(ctx, key, value);
	return 0;
}

int queue_settings(struct queue *q, struct config_text *t, struct error *err)
{
	memset(t, 0, sizeof *t);
	if (store_config_list(q->store, collect_setting, t, err)) {
		config_text_release(t);
		return err->code;
	}
	config_text_fill(t);
	return 0;
}

/* --- settings --- */

static int load_setting(void *ctx, const char *key, const char *value)
{
	config_apply_stored(ctx, key, value);
	return 0;
}

int queue_config(struct queue *q, const struct config **cfg, struct error *err)
{
	if (!q->cfg_loaded) {
		bool was = q->cfg.durable;

		config_defaults(&q->cfg);
		if (store_config_list(q->store, load_setting, &q->cfg, err))
			return err->code;
		if (q->cfg.durable != was && store_set_durable(q->store, q->cfg.durable, err))
			return err->code;
		q->cfg_loaded = true;
	}
	*cfg = &q->cfg;
	return 0;
}

void queue_config_reload(struct queue *q)
{
	q->cfg_loaded = false;
}

int queue_config_set(struct queue *q, const char *key, const char *value, char **canon,
		     struct error *err)
{
	const struct config_setting *s = config_find(key);

	*canon = NULL;
	if (!s)
		return config_unknown(key, err);
	if (config_normalize(s, value, canon, err))
		return err->code;
	if (store_config_set(q->store, s->name, *canon, err)) {
		free(*canon);
		*canon = NULL;
		return err->code;
	}
	queue_config_reload(q);
	return 0;
}

struct reset_ctx {
	const struct config_setting *setting;
	struct buf keys; /* NUL-separated */
};

/* Collect the stored keys that name the setting, in any spelling config_find accepts. */
static int collect_setting_key(void *ctx, const char *key, const char *value)
{
	struct reset_ctx *rc = ctx;

	if (config_find(key) == rc->setting)
		buf_add(&rc->keys, key, strlen(key) + 1);
	return 0;
}

int queue_config_reset(struct queue *q, const char *key, struct error *err)
{
	struct reset_ctx rc = { NULL, BUF_INIT };
	int rc2 = 0;

	if (key && !(rc.setting = config_find(key)))
		return config_unknown(key, err);
	if (store_begin(q->store, err))
		return err->code;
	if (!key)
		rc2 = store_config_unset(q->store, NULL, err);
	else if (!(rc2 = store_config_list(q->store, collect_setting_key, &rc, err)))
		for (size_t off = 0; !rc2 && off < rc.keys.len; off += strlen(rc.keys.data + off) + 1)
			rc2 = store_config_unset(q->store, rc.keys.data + off, err);
	buf_release(&rc.keys);
	if (rc2 || store_commit(q->store, err))
		return rollback(q, err);
	queue_config_reload(q);
	return 0;
}

/* --- writes --- */

/* The new job that spec describes, with defaults from cfg, created at now. */
static void make_job(const struct config *cfg, const struct job_spec *spec, int64_t now,
		     struct job *job)
{
	char idbuf[JOB_ID_GEN_LEN + 1];

	job_init(job);
	if (!spec->id)
		id_generate(idbuf);
	job->id = xstrdup(spec->id ? spec->id : idbuf);
	job->command = xstrdup(spec->command);
	job->argv = job_argv_dup(spec->argv);
	job->queue = xstrdup(spec->queue ? spec->queue : "default");
	job->state = JOB_PENDING;
	job->priority = spec->priority;
	job->max_retries = spec->max_retries >= 0 ? spec->max_retries : cfg->max_retries;
	job->timeout = spec->timeout >= 0 ? spec->timeout : cfg->job_timeout;
	job->backoff_base = spec->backoff_base;
	job->run_at = spec->run_at ? spec->run_at : now + (spec->delay > 0 ? spec->delay * 1000 : 0);
	job->created_at = spec->created_at ? spec->created_at : now;
	job->updated_at = now;
}

int queue_enqueue(struct queue *q, const struct job_spec *spec, struct job *job,
		  struct error *err)
{
	const struct config *cfg;
	int64_t now;

	job_init(job);
	if (queue_config(q, &cfg, err) || store_now(q->store, &now, err))
		return err->code;
	make_job(cfg, spec, now, job);
	/* One insert is a transaction of its own. */
	if (store_insert(q->store, job, err)) {
		job_release(job);
		return err->code;
	}
	/* Even a delayed job: idle workers sleep until the next due time, which may be its. */
	store_notify(q->store);
	return 0;
}

int queue_enqueue_batch(struct queue *q, spec_next_fn *next, void *nctx, job_visit_fn *added,
			void *actx, struct error *err)
{
	const struct config *cfg;
	int64_t now;
	int n = 0, rc;

	if (queue_config(q, &cfg, err) || store_now(q->store, &now, err) ||
	    store_begin(q->store, err))
		return err->code;
	for (;;) {
		struct job_spec spec;
		struct job job;

		job_spec_init(&spec);
		if ((rc = next(nctx, &spec, err)) <= 0) {
			job_spec_release(&spec);
			break;
		}
		make_job(cfg, &spec, now, &job);
		job_spec_release(&spec);
		rc = store_insert(q->store, &job, err);
		if (rc == 0 && added)
			rc = added(actx, &job);
		job_release(&job);
		if (rc)
			break;
		n++;
	}
	if (rc) {
		store_rollback(q->store);
		return rc;
	}
	if (store_commit(q->store, err))
		return rollback(q, err);
	if (n > 0)
		store_notify(q->store);
	return n;
}

struct id_at {
	const char *id;
	int at;
};

static int by_id_then_at(const void *a, const void *b)
{
	const struct id_at *x = a, *y = b;
	int c = strcmp(x->id, y->id);

	return c ? c : (x->at > y->at) - (x->at < y->at);
}

static int by_at(const void *a, const void *b)
{
	const struct id_at *x = a, *y = b;

	return (x->at > y->at) - (x->at < y->at);
}

/*
 * The n ids without repeats, in their order: a job named twice (or by two prefixes that the
 * caller resolved) is acted on once.  *n becomes their number; free the result.
 */
static struct id_at *unique_ids(const char *const *ids, int *n)
{
	struct id_at *u = xcalloc(*n > 0 ? (size_t)*n : 1, sizeof *u);
	int k = 0;

	for (int i = 0; i < *n; i++)
		u[i] = (struct id_at){ ids[i], i };
	qsort(u, (size_t)*n, sizeof *u, by_id_then_at);
	for (int i = 0; i < *n; i++)
		if (k == 0 || strcmp(u[k - 1].id, u[i].id))
			u[k++] = u[i];
	qsort(u, (size_t)k, sizeof *u, by_at);
	*n = k;
	return u;
}

/* dead -> pending, a new cycle: attempts restart from 0 so the job gets its full retries. */
static int retry_one(struct queue *q, const char *id, int64_t now, struct error *err)
{
	struct job job;
	int rc;

	if (store_get(q->store, id, &job, err))
		return err->code;
	if (!job_op_from(JOB_OP_DLQ_RETRY, job.state)) {
		rc = error_set(err, QE_CONFLICT, "job '%s' is %s, not dead: only dead jobs can be "
				 "retried", id, job_state_name(job.state));
		goto out;
	}
	/* last_error and exit_code stay as a record of why it died until the next attempt. */
	job.state = JOB_PENDING;
	job.attempts = 0;
	job.run_at = now;
	job.updated_at = now;
	rc = store_update(q->store, &job, JOB_DEAD, NULL, err);
	if (rc == 0)
		rc = error_set(err, QE_CONFLICT, "job '%s' changed while it was being retried", id);
	else if (rc > 0)
		rc = 0;
out:
	job_release(&job);
	return rc;
}

struct id_list {
	struct buf text; /* NUL-separated */
	int n;
};

static int collect_job_id(void *ctx, const struct job *job)
{
	struct id_list *l = ctx;

	buf_add(&l->text, job->id, strlen(job->id) + 1);
	l->n++;
	return 0;
}

/*
 * Retry, all or none, the n ids (no repeats) or, when ids is NULL, every dead job of
 * queue_name (NULL: of any queue), listed inside the transaction so that the list and the
 * retry are one; fn sees each id after the commit.  Returns the count.
 */
static int retry(struct queue *q, const char *const *ids, int n, const char *queue_name,
		 id_visit_fn *fn, void *ctx, struct error *err)
{
	struct job_filter dead = { .state = JOB_DEAD, .queue = queue_name };
	struct id_list l = { BUF_INIT, 0 };
	const char **all = NULL;
	int64_t now;
	int rc = 0;

	if (store_now(q->store, &now, err) || store_begin(q->store, err))
		return err->code;
	if (!ids) {
		if ((rc = store_list(q->store, &dead, collect_job_id, &l, err)))
			goto out;
		all = xcalloc(l.n > 0 ? (size_t)l.n : 1, sizeof *all);
		for (size_t i = 0, off = 0; i < (size_t)l.n; off += strlen(l.text.data + off) + 1)
			all[i++] = l.text.data + off;
		ids = all;
		n = l.n;
	}
	for (int i = 0; i < n && rc == 0; i++)
		rc = retry_one(q, ids[i], now, err);
out:
	if (rc || store_commit(q->store, err)) {
		rc = rollback(q, err);
	} else {
		if (n > 0)
			store_notify(q->store);
		for (int i = 0; fn && i < n; i++)
			fn(ctx, ids[i]);
		rc = n;
	}
	free(all);
	buf_release(&l.text);
	return rc;
}

int queue_dlq_retry(struct queue *q, const char *const *ids, int nids, id_visit_fn *fn,
		    void *ctx, struct error *err)
{
	int n = nids;
	struct id_at *u = unique_ids(ids, &n);
	const char **list = xcalloc(n > 0 ? (size_t)n : 1, sizeof *list);
	int rc;

	for (int i = 0; i < n; i++)
		list[i] = u[i].id;
	rc = retry(q, list, n, NULL, fn, ctx, err);
	free(list);
	free(u);
	return rc;
}

int queue_dlq_retry_all(struct queue *q, const char *queue_name, id_visit_fn *fn, void *ctx,
			struct error *err)
{
	return retry(q, NULL, 0, queue_name, fn, ctx, err);
}

/*
 * Jobs' logs go when the jobs do, only after the commit, so that a rolled-back delete keeps
 * them: ids holds n NUL-terminated ids one after the other.
 */
static void remove_logs(struct queue *q, const char *ids, size_t n)
{
	const char **v = xmalloc((n ? n : 1) * sizeof *v);

	for (size_t i = 0; i < n; ids += strlen(ids) + 1)
		v[i++] = ids;
	logs_remove(q->logs, v, n);
	free(v);
}


int queue_delete(struct queue *q, const char *const *ids, int nids, id_visit_fn *fn,
		 void *ctx, struct error *err)
{
	int n = nids, rc = 0;
	struct id_at *u = unique_ids(ids, &n);
	struct buf gone = BUF_INIT;

	if (store_begin(q->store, err)) {
		free(u);
		return err->code;
	}
	for (int i = 0; i < n && rc == 0; i++)
		rc = store_remove(q->store, u[i].id, err);
	if (rc || store_commit(q->store, err)) {
		free(u);
		return rollback(q, err);
	}
	for (int i = 0; i < n; i++) {
		buf_add(&gone, u[i].id, strlen(u[i].id) + 1);
		if (fn)
			fn(ctx, u[i].id);
	}
	remove_logs(q, gone.data, (size_t)n);
	buf_release(&gone);
	free(u);
	return n;
}

static int collect_id(void *ctx, const char *id)
{
	buf_add(ctx, id, strlen(id) + 1);
	return 0;
}

int queue_purge(struct queue *q, enum job_state state, int64_t before, struct error *err)
{
	struct buf ids = BUF_INIT;
	int n;

	if (!job_op_from(JOB_OP_PURGE, state))
		return error_set(err, QE_INPUT,
				 "purge removes finished jobs: the state must be completed or "
				 "dead, not %s",
				 job_state_name(state));
	if (store_begin(q->store, err))
		return err->code;
	n = store_purge(q->store, state, before, collect_id, &ids, err);
	if (n < 0 || store_commit(q->store, err)) {
		buf_release(&ids);
		return rollback(q, err);
	}
	/* Logs go only once the rows are gone for good: a failed purge leaves both. */
	remove_logs(q, ids.data, (size_t)n);
	buf_release(&ids);
	return n;
}

int queue_purge_older(struct queue *q, enum job_state state, int64_t older_than,
		      struct error *err)
{
	int64_t now;

	if (store_now(q->store, &now, err))
		return err->code;
	/* "Older than 0" is every one, up to and including now. */
	return queue_purge(q, state, older_than ? now - older_than * 1000 : now + 1, err);
}

char *queue_log_path(struct queue *q, const char *id, int run)
{
	return logs_path(q->logs, id, run);
}

/* --- the worker's traffic --- */

/*
 * A worker's row goes stale after twice its lease without a heartbeat: the worker writes
 * this at every beat from its own lease, so that whoever prunes applies its rule, not the
 * pruner's (a worker started after 'config set lease 4s' pruned its elders within 8 s).
 */
static int64_t stale_at(const struct config *cfg, int64_t beat)
{
	return beat + 2 * cfg->lease * 1000;
}

int queue_worker_register(struct queue *q, const struct worker_info *w, struct error *err)
{
	struct worker_info row = *w;

	const struct config *cfg;

	if (queue_config(q, &cfg, err) || store_now(q->store, &row.started_at, err))
		return err->code;
	row.heartbeat_at = row.started_at;
	row.stale_at = stale_at(cfg, row.heartbeat_at);
	return store_worker_add(q->store, &row, err);
}

int queue_worker_unregister(struct queue *q, const char *worker_id, struct error *err)
{
	int n;

	if (store_begin(q->store, err))
		return err->code;
	n = store_release(q->store, worker_id, NULL, err);
	if (n < 0 || store_worker_remove(q->store, worker_id, err) || store_commit(q->store, err))
		return rollback(q, err);
	if (n > 0)
		store_notify(q->store);
	return n;
}

int queue_heartbeat(struct queue *q, const char *worker_id, struct error *err)
{
	const struct config *cfg;
	int64_t now;
	int n;

	/*
	 * The clock is read under the write lock, not before waiting for it: a worker that
	 * waited longer than its lease would otherwise renew to an instant already past.
	 */
	if (queue_config(q, &cfg, err) || store_begin(q->store, err))
		return err->code;
	if (store_now(q->store, &now, err))
		return rollback(q, err);
	n = store_worker_beat(q->store, worker_id, now, stale_at(cfg, now), err);
	if (n < 0 || store_renew(q->store, worker_id, now + cfg->lease * 1000, err) < 0 ||
	    store_commit(q->store, err))
		return rollback(q, err);
	return n;
}

int queue_recover_leases(struct queue *q, const char *except, struct error *err)
{
	int64_t now;
	int n;

	if (store_now(q->store, &now, err))
		return err->code;
	if ((n = store_recover_leases(q->store, now, except, err)) > 0)
		store_notify(q->store);
	return n;
}

int queue_prune_workers(struct queue *q, struct error *err)
{
	int64_t now;

	if (store_now(q->store, &now, err))
		return err->code;
	return store_prune_workers(q->store, now, err);
}

struct stop_sel {
	const char *host, *id;
	int64_t now;
	struct worker_info *w;
	int n;
};

static int select_stop(void *ctx, const struct worker_info *w)
{
	struct stop_sel *sel = ctx;
	struct worker_info *c;

	if ((sel->host && strcmp(w->host, sel->host)) || (sel->id && strcmp(w->id, sel->id)))
		return 0;
	/* stale_at 0: a row from before stale_at was kept, judged by no one here either. */
	if (w->stale_at && w->stale_at < sel->now)
		return 0;
	sel->w = xrealloc(sel->w, (size_t)(sel->n + 1) * sizeof *sel->w);
	c = &sel->w[sel->n++];
	*c = *w;
	c->id = xstrdup(w->id);
	c->host = xstrdup(w->host);
	c->machine = w->machine ? xstrdup(w->machine) : NULL;
	c->queues = w->queues ? xstrdup(w->queues) : NULL;
	return 0;
}

int queue_workers_stop(struct queue *q, const char *host, const char *id, worker_visit_fn *fn,
		       void *ctx, struct error *err)
{
	struct stop_sel sel = { .host = host, .id = id };
	int rc = 0, asked = 0;

	if (tx_begin(q, err))
		return err->code;
	if (store_now(q->store, &sel.now, err) ||
	    store_worker_list(q->store, select_stop, &sel, err)) {
		rc = rollback(q, err);
		goto out;
	}
	for (int i = 0; i < sel.n; i++) {
		int n = store_worker_stop(q->store, sel.w[i].id, err);

		if (n < 0) {
			rc = rollback(q, err);
			goto out;
		}
		if (n > 0 && fn && (rc = fn(ctx, &sel.w[i]))) {
			struct error refused = { .code = QE_FAIL };

			rollback(q, &refused);
			goto out;
		}
		asked += n;
	}
	/* The wake-up every idle worker hears: each then reads its own row. */
	if (asked > 0)
		notify_after(q);
	if (tx_commit(q, err)) {
		rc = rollback(q, err);
		goto out;
	}
	rc = asked;
out:
	for (int i = 0; i < sel.n; i++)
		worker_info_release(&sel.w[i]);
	free(sel.w);
	return rc;
}

int queue_worker_stop_requested(struct queue *q, const char *worker_id, struct error *err)
{
	return store_worker_stop_requested(q->store, worker_id, err);
}

/* The order the claim picks in: highest priority first, then oldest. */
static int claim_order(const void *a, const void *b)
{
	const struct job *x = a, *y = b;

	if (x->priority != y->priority)
		return x->priority > y->priority ? -1 : 1;
	return (x->seq > y->seq) - (x->seq < y->seq);
}

int queue_claim(struct queue *q, const char *worker_id, const char *const *queues, int nqueues,
		struct job *jobs, int max, struct error *err)
{
	const struct config *cfg;
	int n;
	struct claim_req req = {
		.worker_id = worker_id,
		.queues = queues,
		.nqueues = nqueues,
	};

	if (queue_config(q, &cfg, err) || store_now(q->store, &req.now, err))
		return err->code;
	req.lease_until = req.now + cfg->lease * 1000;
	if ((n = store_claim(q->store, &req, jobs, max, err)) > 1)
		qsort(jobs, (size_t)n, sizeof *jobs, claim_order);
	return n;
}

int queue_started(struct queue *q, const struct job *job, int pid, long long pid_start,
		  struct error *err)
{
	return store_started(q->store, job->id, job->worker_id, pid, pid_start, err);
}

static int64_t retry_delay(const struct config *cfg, const struct job *job, int attempts)
{
	double base = job->backoff_base ? job->backoff_base : cfg->backoff_base;

	return job_retry_delay_ms(attempts, base, cfg->backoff_max);
}

int64_t queue_retry_delay_ms(struct queue *q, const struct job *job)
{
	return retry_delay(&q->cfg, job, job->attempts + 1);
}

int queue_finish(struct queue *q, const struct job *job, const struct job_result *res,
		 enum job_state *next, struct error *err)
{
	const struct config *cfg;
	struct job upd = *job;
	struct attempt a;
	int64_t now;
	int rc;

	if (queue_config(q, &cfg, err) || store_now(q->store, &now, err))
		return err->code;
	/* The job's times are the store's; its started_at is the claim's. */
	upd.attempts = job->attempts + 1;
	upd.updated_at = upd.finished_at = now;
	upd.worker_id = NULL;
	upd.lease_until = 0;
	upd.last_error = res->ok ? NULL : (char *)res->error;
	upd.has_exit_code = res->has_exit_code;
	upd.exit_code = res->exit_code;
	upd.output = (char *)res->output;
	upd.output_len = res->output_len;
	if (res->ok) {
		upd.state = JOB_COMPLETED;
		/* Success clears the error of an earlier attempt: the history keeps it. */
		upd.last_error = NULL;
	} else if (upd.attempts <= job->max_retries) {
		upd.state = JOB_FAILED;
		upd.run_at = now + retry_delay(cfg, job, upd.attempts);
	} else {
		upd.state = JOB_DEAD;
	}
	*next = upd.state;
	a = (struct attempt){
		.job_id = job->id,
		.run = job->runs,
		.attempt = upd.attempts,
		.started_at = res->started_at,
		.finished_at = res->finished_at,
		.outcome = (char *)job_state_name(upd.state),
		.error = upd.last_error,
		.exit_code = res->exit_code,
		.has_exit_code = res->has_exit_code,
		.worker_id = job->worker_id,
		.machine = (char *)res->machine,
		.log_path = (char *)res->log_path,
	};
	if (tx_begin(q, err))
		return err->code;
	rc = store_update(q->store, &upd, JOB_PROCESSING, job->worker_id, err);
	if (rc > 0 && store_attempt_add(q->store, &a, err))
		rc = err->code;
	if (rc < 0 || tx_commit(q, err))
		return rollback(q, err);
	/* A retry is scheduled: idle workers sleeping until the next due time look again. */
	if (rc > 0 && upd.state == JOB_FAILED)
		notify_after(q);
	return rc;
}

int queue_release(struct queue *q, const struct job *job, struct error *err)
{
	/* No wake-up here: the releasing worker would wake itself out of its back-off. */
	return store_release(q->store, job->worker_id, job->id, err);
}

int queue_unclaim(struct queue *q, const struct job *job, struct error *err)
{
	return store_unclaim(q->store, job, err);
}

int queue_next_due(struct queue *q, const char *const *queues, int nqueues, int64_t *in_ms,
		   struct error *err)
{
	struct claim_req req = { .queues = queues, .nqueues = nqueues };
	int64_t now, when;
	int rc;

	if (store_now(q->store, &now, err))
		return err->code;
	if ((rc = store_next_due(q->store, &req, &when, err)) == 1)
		*in_ms = when > now ? when - now : 0;
	return rc;
}

int queue_wait_fd(struct queue *q, struct error *err)
{
	return store_wait_fd(q->store, err);
}

void queue_wait_drain(struct queue *q)
{
	store_wait_drain(q->store);
}
