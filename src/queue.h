/*
 * queue.h - the one API above the store: the job life cycle (enqueue, claim, finish with
 * retry or dead letter, release, dlq retry, delete, purge) applying the state machine of
 * job.h, the reads a front end needs, the settings, and the worker's traffic (registration,
 * heartbeat, recovery, wake-ups).
 *
 * Every write is one call that any front end (the CLI, later an HTTP API) can make, and is
 * all or nothing: it commits before it returns and, after the commit, wakes idle workers if
 * it made jobs due, so callers never handle transactions or wake-ups.  Every time the queue
 * layer writes comes from the store's clock (store_now), never the caller's.
 *
 * Functions return 0 (or the count documented) on success, or a negative QE_* code with err
 * filled in.  Records passed to a callback are valid only during the call; a nonzero return
 * from a read's callback stops the read and is returned.
 */
#ifndef QUEUECTL_QUEUE_H
#define QUEUECTL_QUEUE_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "error.h"
#include "job.h"

struct store;

/* The handle; its fields are the queue layer's alone. */
struct queue {
	struct store *store;
	char *logs; /* the root of this machine's logs of the store's jobs (logs.h) */
	struct config cfg;
	bool cfg_loaded;
	int depth;   /* transactions open: more than 1 inside a worker's round */
	bool failed; /* a write inside the round failed: the round rolls back */
	bool notify; /* wake the idle workers once the round commits */
};

/* Open the store at target (a file path or a URL) and wrap it; queue_close closes it. */
int queue_open(struct queue *q, const char *target, struct error *err);
void queue_close(struct queue *q);
/*
 * Whether target is a URL (postgres://...) rather than a file path, so that there is no
 * directory to make for it: the store's table of backends decides (store_is_url).
 */
bool queue_is_url(const char *target);

/* --- reads --- */

/*
 * Find the one job whose id is prefix or starts with it; *id is malloc'd.  QE_NOTFOUND if
 * none, QE_INPUT if the prefix is ambiguous.
 */
int queue_resolve(struct queue *q, const char *prefix, char **id, struct error *err);
/* Load a job by exact id, with its detail (job_release frees it); QE_NOTFOUND if none. */
int queue_get(struct queue *q, const char *id, struct job *job, struct error *err);
/* Stream the jobs f lets through, oldest first, without their output. */
int queue_list(struct queue *q, const struct job_filter *f, job_visit_fn *fn, void *ctx,
	       struct error *err);
/* The number of jobs in each state; cheap at any size. */
int queue_counts(struct queue *q, long long counts[JOB_NSTATES], struct error *err);
/* Stream a job's attempts, oldest first (none for an unknown id). */
int queue_attempts(struct queue *q, const char *id, attempt_visit_fn *fn, void *ctx,
		   struct error *err);
/* Stream the registered workers, by start time. */
int queue_workers(struct queue *q, worker_visit_fn *fn, void *ctx, struct error *err);
/*
 * Every setting in effect, as canonical text: what the store holds, else the default
 * (config_text_release frees them).
 */
int queue_settings(struct queue *q, struct config_text *t, struct error *err);

/* --- figures: metrics and stats --- */

/* The store's clock, in ms since the epoch: what ages and spans of time are measured on. */
int queue_now(struct queue *q, int64_t *ms, struct error *err);
/*
 * Each named queue by name: its jobs by state and the age of its oldest due job (struct
 * queue_summary); cheap at any size.
 */
int queue_summaries(struct queue *q, summary_visit_fn *fn, void *ctx, struct error *err);
/* The counters and histograms kept with the store (struct counter), which only grow. */
int queue_counters(struct queue *q, counter_visit_fn *fn, void *ctx, struct error *err);
/* The attempts that ended at or after since, of one queue (NULL: all), in no order. */
int queue_finished_since(struct queue *q, int64_t since, const char *queue_name,
			 finished_visit_fn *fn, void *ctx, struct error *err);

/* What one queue got done in a span of time ('queuectl stats'): from its ended attempts. */
struct queue_stats {
	char *name;
	long long attempts, completed, failed, dead; /* failed: attempts that did not succeed */
	int64_t p50_ms, p95_ms, max_ms;		     /* how long attempts ran */
};
/*
 * The figures of every queue (or of queue_name) with attempts that ended at or after since,
 * by name, in *out (n of them; queue_stats_free frees them).
 */
int queue_stats(struct queue *q, int64_t since, const char *queue_name,
		struct queue_stats **out, size_t *n, struct error *err);
void queue_stats_free(struct queue_stats *st, size_t n);

/* --- settings --- */

/* The settings in effect: defaults, then the stored values; read from the store on first use. */
int queue_config(struct queue *q, const struct config **cfg, struct error *err);
/* Read the settings again at the next use (a worker picking up 'config set'). */
void queue_config_reload(struct queue *q);
/* Validate and store a setting; *canon (malloc'd) is the value as stored. */
int queue_config_set(struct queue *q, const char *key, const char *value, char **canon,
		     struct error *err);
/*
 * Return a setting to its default by removing its stored value (every setting when key is
 * NULL); an unknown key is the same QE_INPUT as queue_config_set gives.
 */
int queue_config_reset(struct queue *q, const char *key, struct error *err);

/* --- writes --- */

/*
 * Turn spec into a new pending job and store it, with defaults from the settings: a
 * generated id, max_retries, timeout, queue "default", run_at now (or now + delay).  On
 * success *job holds the stored job (job_release frees it); QE_CONFLICT if the id is taken.
 */
int queue_enqueue(struct queue *q, const struct job_spec *spec, struct job *job,
		  struct error *err);
/*
 * The source of a batch: returns 1 with *spec filled in (the queue layer releases it), 0 at
 * the end, or a negative QE_* code with err set, which the batch returns as it is.
 */
typedef int spec_next_fn(void *ctx, struct job_spec *spec, struct error *err);
/*
 * Store every spec that next gives, as queue_enqueue would, in one transaction: all of them
 * or none.  added (may be NULL) sees each job as it is stored, before the commit, so what it
 * shows must wait for success; it returns 0, or a negative QE_* code with err set to stop
 * and roll back.  Returns how many were stored (0 for an empty batch, which is no error).
 *
 * When storing a spec fails (its id is taken), err is the store's message, unprefixed: the
 * failure is about the spec that next gave last and added has not seen, which the caller
 * can tell apart from a failure to begin or commit, and name (enqueue --file puts "line N: "
 * in front).
 */
int queue_enqueue_batch(struct queue *q, spec_next_fn *next, void *nctx, job_visit_fn *added,
			void *actx, struct error *err);
/*
 * Send dead jobs back to pending for a new cycle (attempts from 0, due now), by exact id;
 * one named twice is retried once.  All or nothing: an unknown id is QE_NOTFOUND, and one
 * that is not dead is QE_CONFLICT ("job 'x' is completed, not dead: only dead jobs can be
 * retried").  fn (may be NULL) sees each retried id after the commit.  Returns the count.
 */
int queue_dlq_retry(struct queue *q, const char *const *ids, int nids, id_visit_fn *fn,
		    void *ctx, struct error *err);
/* The same for every dead job, or those of one named queue; returns the count. */
int queue_dlq_retry_all(struct queue *q, const char *queue_name, id_visit_fn *fn, void *ctx,
			struct error *err);
/*
 * Delete jobs that are not processing, with their history, by exact id; one named twice is
 * deleted once.  All or nothing: an unknown id is QE_NOTFOUND, a processing one QE_CONFLICT.
 * Their logs are removed after the commit, and fn (may be NULL) sees each id then.  Returns
 * the count.
 */
int queue_delete(struct queue *q, const char *const *ids, int nids, id_visit_fn *fn,
		 void *ctx, struct error *err);
/*
 * Delete the jobs in state (completed or dead, else QE_INPUT) last updated more than
 * older_than seconds ago by the store's clock (0: all of them), with their history and
 * logs; returns how many.
 */
int queue_purge_older(struct queue *q, enum job_state state, int64_t older_than,
		      struct error *err);
/* The same with the cut-off given as a time on the store's clock (updated_at before it). */
int queue_purge(struct queue *q, enum job_state state, int64_t before, struct error *err);

/* --- the worker's traffic --- */

/*
 * Register a worker (or register it again under the same id); its started_at and
 * heartbeat_at are the store's now, whatever w holds.
 */
int queue_worker_register(struct queue *q, const struct worker_info *w, struct error *err);
/*
 * Forget a worker: it exits, or it died (another worker of its machine found it gone).  Its
 * processing jobs go back to pending without counting an attempt; returns how many.
 */
int queue_worker_unregister(struct queue *q, const char *worker_id, struct error *err);
/*
 * The worker is alive: its heartbeat is now, and its jobs' leases run for another lease
 * setting from now, "now" read once the write lock is held.  Returns how many worker rows it updated: 0 means the worker is no
 * longer registered (pruned as stale), and should register again.
 */
int queue_heartbeat(struct queue *q, const char *worker_id, struct error *err);
/*
 * Return to pending (recover, uncounted) the jobs whose lease has ended, but for those of
 * worker except (the caller's own id: a worker never releases the jobs it runs; NULL for
 * none); returns how many.
 */
int queue_recover_leases(struct queue *q, const char *except, struct error *err);
/*
 * Forget the workers with no heartbeat for two of their own leases (as each wrote at its
 * last beat, whatever the lease is now); returns how many.
 */
int queue_prune_workers(struct queue *q, struct error *err);
/*
 * Ask the registered workers on host (their hostname; NULL: any) with id (NULL: any) to
 * stop as a first SIGTERM stops them, wherever they run: each is marked in the store, all
 * in one transaction, then woken.  A worker whose row went stale (no heartbeat for two
 * leases) is passed over: nobody is there to ask.  fn (may be NULL) sees each worker asked
 * before the commit, so before any of them can have read its mark and exited (a waiter
 * takes hold of their processes there); a nonzero return from it rolls back and is
 * returned.  Returns how many.
 */
int queue_workers_stop(struct queue *q, const char *host, const char *id, worker_visit_fn *fn,
		       void *ctx, struct error *err);
/* Whether the worker has been asked to stop (queue_workers_stop): 1 or 0. */
int queue_worker_stop_requested(struct queue *q, const char *worker_id, struct error *err);

/*
 * Claim up to max due jobs for the worker in one statement (see store_claim), with a lease
 * of the lease setting; returns how many of jobs[] it filled (job_release frees each), in
 * the order the claim picks them: highest priority first, then oldest.
 */
int queue_claim(struct queue *q, const char *worker_id, const char *const *queues, int nqueues,
		struct job *jobs, int max, struct error *err);
/*
 * A worker's round: between queue_round_begin and queue_round_commit, queue_finish,
 * queue_release, queue_started and queue_claim join one transaction instead of one each,
 * so that the results that came in together, the claims of the slots they freed and the
 * processes started earlier cost one commit.  If any of them fails, queue_round_commit
 * fails too, and nothing of the round is written.
 */
int queue_round_begin(struct queue *q, struct error *err);
int queue_round_commit(struct queue *q, struct error *err);
/*
 * Record the process (group leader) running job (as claimed) and its start time, so that a
 * job orphaned by a dead worker can be stopped before it runs again.  Returns 1 if the
 * worker still owned the job, 0 if not.
 */
int queue_started(struct queue *q, const struct job *job, int pid, long long pid_start,
		  struct error *err);

/* What happened to one attempt, as the worker saw it. */
struct job_result {
	/* The process's start and end on the worker's clock: the attempt's history keeps them. */
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

/*
 * Record the result of the attempt that job (as claimed) made: completed, or failed with the
 * next run at now + min(base ^ attempts, backoff-max), where base is the job's own backoff
 * base or else the backoff-base setting, or dead once the retries are spent.  Recorded only
 * if the worker still owns the job: returns 1 if recorded, 0 if the job was taken away
 * meanwhile (its lease expired), and sets *next to the new state.
 */
int queue_finish(struct queue *q, const struct job *job, const struct job_result *res,
		 enum job_state *next, struct error *err);
/* The wait queue_finish gives job (as claimed) if this attempt fails, with the settings as loaded. */
int64_t queue_retry_delay_ms(struct queue *q, const struct job *job);
/*
 * Give a running job back to pending without counting the attempt (a hard stop, or a job
 * that could not be started).  It wakes no one, unlike the other writes: the worker that
 * gives a job back decides whether it is tried again soon (a failed start waits, where a
 * wake-up would bring the job straight back to it), and calls queue_notify if it should be.
 */
int queue_release(struct queue *q, const struct job *job, struct error *err);
/*
 * Give back the claim of a job that never started (store_unclaim); 1, or 0 if the job is
 * not that claim's any more.  It wakes no one either.
 */
int queue_unclaim(struct queue *q, const struct job *job, struct error *err);
/*
 * How long until the next job that a worker of these queues (NULL: any) could claim is due,
 * on the store's clock (0 if one is due now): 1 and *in_ms, or 0 if there is none.
 */
int queue_next_due(struct queue *q, const char *const *queues, int nqueues, int64_t *in_ms,
		   struct error *err);

/*
 * A descriptor that becomes readable when a write makes jobs due; queue_wait_drain resets
 * it.  Missed wake-ups are possible (a write on another machine): poll it with a timeout.
 */
int queue_wait_fd(struct queue *q, struct error *err);
void queue_wait_drain(struct queue *q);
/*
 * A new descriptor (the caller closes it) that becomes readable after any write to the
 * store, for a front end that follows jobs' states (wait); it may wake for nothing, and
 * may miss a write made elsewhere: poll it with a timeout too.
 */
int queue_changes_fd(struct queue *q, struct error *err);
/* Whether the store is still the one opened (store_verify): a worker asks on every tick. */
int queue_verify(struct queue *q, struct error *err);

/*
 * Wake idle workers now.  Every write does it when it makes jobs due, but queue_release:
 * this is for the worker that released a job for others to take at once.
 */
void queue_notify(struct queue *q);

/* The root of this machine's logs of the queue's jobs, for logs.h; the queue owns it. */
const char *queue_logs(struct queue *q);
/*
 * The version of the store's schema when queue_open found it (0: it was made then) and now,
 * once queue_open has migrated it: what 'migrate' reports.
 */
void queue_schema_version(struct queue *q, int *found, int *current);
/* The path of the log of a job's run on this machine (logs_path; malloc'd). */
char *queue_log_path(struct queue *q, const char *id, int run);


#endif
