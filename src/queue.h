/*
 * queue.h - the job life cycle over a store: enqueue, claim, finish (complete, retry with
 * backoff, or dead letter), release, dlq retry, delete, purge, and settings.
 *
 * Commands read through the store directly (get, list, counts) and change jobs only through
 * this layer, which is where the state machine of job.h is applied.
 */
#ifndef QUEUECTL_QUEUE_H
#define QUEUECTL_QUEUE_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "job.h"
#include "store.h"

struct queue {
	struct store *store;
	struct config cfg;
	bool cfg_loaded;
};

/* Open the store at target and wrap it; queue_close closes it. */
int queue_open(struct queue *q, const char *target, struct error *err);
void queue_close(struct queue *q);
/* The settings, read from the store on first use. */
int queue_config(struct queue *q, const struct config **cfg, struct error *err);

/*
 * Turn spec into a new pending job and insert it, with defaults from the config: a generated
 * id, max_retries, timeout, queue "default", run_at now (or now + delay).  On success *job
 * holds the stored job (job_release frees it).  Call inside store_begin/commit to batch;
 * alone, the insert is its own transaction.  Call queue_notify after the commit.
 */
int queue_enqueue(struct queue *q, const struct job_spec *spec, int64_t now, struct job *job,
		  struct error *err);
/* Wake idle workers: jobs were added or became due. */
void queue_notify(struct queue *q);

/* dead -> pending with attempts reset (a new cycle); QE_CONFLICT if the job is not dead. */
int queue_dlq_retry(struct queue *q, const char *id, int64_t now, struct error *err);
/*
 * Delete a job that is not processing, with its history.  Its logs are not touched: call
 * queue_remove_logs once the deletion is committed, so a rolled-back delete keeps them.
 */
int queue_delete(struct queue *q, const char *id, struct error *err);
void queue_remove_logs(struct queue *q, const char *id);
/* Delete the jobs in state (completed or dead) last updated before "before"; returns how many. */
int queue_purge(struct queue *q, enum job_state state, int64_t before, struct error *err);
/* Validate and store a setting; *canon (malloc'd) is the value as stored. */
int queue_config_set(struct queue *q, const char *key, const char *value, char **canon,
		     struct error *err);

/* The path of the log of a job's run: <files>/logs/<id>/<run>.log (malloc'd). */
char *queue_log_path(struct queue *q, const char *id, int run);

/* What happened to one attempt, as the worker saw it. */
struct job_result {
	int64_t started_at, finished_at;
	bool ok;	     /* exited 0 */
	const char *error;   /* readable cause when not ok: "exit status 3", "timed out after 5s" */
	int exit_code;	     /* meaningful when has_exit_code */
	bool has_exit_code;
	const char *output;  /* the tail of its output */
	size_t output_len;
	const char *log_path;
	const char *machine; /* the worker's machine (worker_info), where the log is; or NULL */
};

/* Claim the next due job for the worker (see store_claim); 1 if *job was filled, 0 if none. */
int queue_claim(struct queue *q, const char *worker_id, const char *const *queues, int nqueues,
		struct job *job, struct error *err);
/*
 * Record the result of the attempt that job (as claimed) made: completed, or failed with the
 * next run at now + min(base ^ attempts, backoff-max), where base is the job's own backoff
 * base or else the backoff-base setting, or dead once the retries are spent.  Recorded only if the worker still owns the job: returns 1 if recorded, 0 if the
 * job was taken away meanwhile (its lease expired), and sets *next to the new state.
 */
int queue_finish(struct queue *q, const struct job *job, const struct job_result *res,
		 enum job_state *next, struct error *err);
/* Give a running job back to pending without counting the attempt (hard stop). */
int queue_release(struct queue *q, const struct job *job, struct error *err);

#endif
