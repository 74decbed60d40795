/*
 * queue.c - the job life cycle: what a job becomes at each step, written through the store
 * as guarded updates.
 */
#include <stdlib.h>
#include <string.h>

#include "queue.h"
#include "util.h"

int queue_open(struct queue *q, const char *target, struct error *err)
{
	const struct config *cfg;

	memset(q, 0, sizeof *q);
	if (store_open(target, &q->store, err))
		return err->code;
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
}

int queue_config(struct queue *q, const struct config **cfg, struct error *err)
{
	if (!q->cfg_loaded) {
		bool was = q->cfg.durable;

		if (config_load(q->store, &q->cfg, err))
			return err->code;
		if (q->cfg.durable != was && store_set_durable(q->store, q->cfg.durable, err))
			return err->code;
		q->cfg_loaded = true;
	}
	*cfg = &q->cfg;
	return 0;
}

int queue_enqueue(struct queue *q, const struct job_spec *spec, int64_t now, struct job *job,
		  struct error *err)
{
	char idbuf[JOB_ID_GEN_LEN + 1];
	const struct config *cfg;
	int rc;

	if (queue_config(q, &cfg, err))
		return err->code;
	job_init(job);
	if (!spec->id)
		id_generate(idbuf);
	job->id = xstrdup(spec->id ? spec->id : idbuf);
	job->command = xstrdup(spec->command);
	job->queue = xstrdup(spec->queue ? spec->queue : "default");
	job->state = JOB_PENDING;
	job->priority = spec->priority;
	job->max_retries = spec->max_retries >= 0 ? spec->max_retries : cfg->max_retries;
	job->timeout = spec->timeout >= 0 ? spec->timeout : cfg->job_timeout;
	job->backoff_base = spec->backoff_base;
	job->run_at = spec->run_at ? spec->run_at : now + (spec->delay > 0 ? spec->delay * 1000 : 0);
	job->created_at = spec->created_at ? spec->created_at : now;
	job->updated_at = now;
	if ((rc = store_insert(q->store, job, err)))
		job_release(job);
	return rc;
}

void queue_notify(struct queue *q)
{
	store_notify(q->store);
}

int queue_dlq_retry(struct queue *q, const char *id, int64_t now, struct error *err)
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
	/*
	 * A new cycle: attempts restart from 0 so the job gets its full max_retries again.
	 * last_error and exit_code stay as a record of why it died until the next attempt.
	 */
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

static char *job_log_dir(struct queue *q, const char *id)
{
	return xasprintf("%s/logs/%s", store_files_dir(q->store), id);
}

char *queue_log_path(struct queue *q, const char *id, int run)
{
	return xasprintf("%s/logs/%s/%d.log", store_files_dir(q->store), id, run);
}

int queue_delete(struct queue *q, const char *id, struct error *err)
{
	return store_remove(q->store, id, err);
}

void queue_remove_logs(struct queue *q, const char *id)
{
	char *dir = job_log_dir(q, id);

	remove_tree(dir);
	free(dir);
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
		store_rollback(q->store);
		buf_release(&ids);
		return err->code;
	}
	/* Logs go only once the rows are gone for good: a failed purge leaves both. */
	for (size_t off = 0; off < ids.len; off += strlen(ids.data + off) + 1)
		queue_remove_logs(q, ids.data + off);
	buf_release(&ids);
	return n;
}

int queue_config_set(struct queue *q, const char *key, const char *value, char **canon,
		     struct error *err)
{
	const struct config_setting *s = config_find(key);

	if (!s)
		return config_unknown(key, err);
	if (config_normalize(s, value, canon, err))
		return err->code;
	if (store_config_set(q->store, s->name, *canon, err)) {
		free(*canon);
		*canon = NULL;
		return err->code;
	}
	q->cfg_loaded = false;
	return 0;
}

int queue_claim(struct queue *q, const char *worker_id, const char *const *queues, int nqueues,
		struct job *job, struct error *err)
{
	const struct config *cfg;
	struct claim_req req = {
		.worker_id = worker_id,
		.queues = queues,
		.nqueues = nqueues,
	};

	if (queue_config(q, &cfg, err) || store_now(q->store, &req.now, err))
		return err->code;
	req.lease_until = req.now + cfg->lease * 1000;
	return store_claim(q->store, &req, job, err);
}

int queue_finish(struct queue *q, const struct job *job, const struct job_result *res,
		 enum job_state *next, struct error *err)
{
	const struct config *cfg;
	struct job upd = *job;
	struct attempt a;
	int rc;

	if (queue_config(q, &cfg, err))
		return err->code;
	upd.attempts = job->attempts + 1;
	upd.updated_at = upd.finished_at = res->finished_at;
	upd.started_at = res->started_at;
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
		upd.run_at = res->finished_at +
			     job_retry_delay_ms(upd.attempts,
						job->backoff_base ? job->backoff_base
								  : cfg->backoff_base,
						cfg->backoff_max);
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
	if (store_begin(q->store, err))
		return err->code;
	rc = store_update(q->store, &upd, JOB_PROCESSING, job->worker_id, err);
	if (rc > 0 && store_attempt_add(q->store, &a, err))
		rc = err->code;
	if (rc < 0 || store_commit(q->store, err)) {
		store_rollback(q->store);
		return err->code;
	}
	return rc;
}

int queue_release(struct queue *q, const struct job *job, struct error *err)
{
	return store_release(q->store, job->worker_id, job->id, err);
}
