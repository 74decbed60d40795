/*
 * store.h - where jobs live: an opaque store, opened by file path or URL, and the operations
 * on it.  Each backend is one file in store/ behind the table of store/backend.h; this
 * header is the contract they all keep, and is included only by the queue layer (queue.c)
 * and the store itself.  (Until cmd/ and the worker use queue_*, some of them still call
 * these functions: tests/unit/check-layers.sh lists which.)
 *
 * The store knows its storage and nothing of the job state machine: the queue layer decides
 * what a job becomes and asks the store to write it, guarded by what it expects the job to
 * be, so that every change is a compare-and-set that a concurrent worker cannot break.
 *
 * Every function returns 0 (or a count/flag documented below) on success and a negative QE_*
 * code with err filled in on failure.  Records passed to callbacks are owned by the store and
 * valid only during the call.
 */
#ifndef QUEUECTL_STORE_H
#define QUEUECTL_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "job.h"

struct store;

/*
 * The names these types had before they moved to job.h: to be removed once cmd/ and worker
 * use queue_*.
 */
#define store_filter job_filter
typedef job_visit_fn store_job_fn;
typedef kv_visit_fn store_kv_fn;
typedef attempt_visit_fn store_attempt_fn;
typedef worker_visit_fn store_worker_fn;
typedef id_visit_fn store_id_fn;

/* What a worker asks for when it claims a job. */
struct claim_req {
	const char *worker_id;
	const char *const *queues; /* NULL: any queue */
	int nqueues;
	int64_t now, lease_until;
};

/*
 * Open the store named by target, a file path (SQLite) or a URL whose scheme names its
 * backend, creating and migrating it as needed.  *out is freed by store_close; it is NULL
 * after a failure.  A URL of a backend this queuectl lacks is QE_INPUT.
 */
int store_open(const char *target, struct store **out, struct error *err);
/* Whether target is a URL (for a backend, built in or not) rather than a file path. */
bool store_is_url(const char *target);
void store_close(struct store *st);

/*
 * The store's clock, in ms since the epoch.  Every time the queue layer writes (enqueue,
 * claim and lease, finish, dlq retry, release, recovery, purge's cut-off) is read from
 * here, so that leases and due times are judged on one clock by every worker on every
 * machine: a server backend asks its database; SQLite, whose writers share one machine,
 * reads the local clock.
 */
int store_now(struct store *st, int64_t *ms, struct error *err);
/* For tests: store_now gives *ms (read at each call) until this is called with NULL. */
void store_pin_clock(struct store *st, const int64_t *ms);

/*
 * A transaction: what is written between begin and commit is seen by others all at once or,
 * after a rollback or a failure, not at all.  That is the whole promise; how a backend keeps
 * it (SQLite takes the database's write lock at begin; a server locks rows) is its own
 * choice, so callers keep transactions short and do nothing slow inside one.  Guarded
 * writes (store_update and the claim) are what keeps two writers off one job.
 */
int store_begin(struct store *st, struct error *err);
int store_commit(struct store *st, struct error *err);
void store_rollback(struct store *st);

/* Insert a new job; QE_CONFLICT if its id is taken. */
int store_insert(struct store *st, const struct job *job, struct error *err);
/*
 * Find the job whose id is prefix, else the one generated id (id_generate's: 32 lowercase
 * hex digits) that starts with it; a chosen id is found only whole, as git resolves only
 * hashes.  *id is malloc'd.  QE_NOTFOUND if none, QE_INPUT if the prefix is ambiguous.
 */
int store_resolve(struct store *st, const char *prefix, char **id, struct error *err);
/* Load a job by exact id (job_release frees it); QE_NOTFOUND if there is none. */
int store_get(struct store *st, const char *id, struct job *job, struct error *err);
/*
 * Stream the jobs that f lets through, in creation order; a nonzero return from fn stops and
 * is returned.
 */
int store_list(struct store *st, const struct job_filter *f, job_visit_fn *fn, void *ctx,
	       struct error *err);
/*
 * The number of jobs in each state.  Cheap: never a scan of the jobs, so status costs the
 * same with a million jobs as with ten (SQLite keeps counts by triggers; a server may count
 * from an index).
 */
int store_counts(struct store *st, long long counts[JOB_NSTATES], struct error *err);
/*
 * Write every mutable field of job (state, attempts, run_at, times, error, owner, output)
 * if the stored job is still in state expect and, when expect_worker is set, owned by that
 * worker in the same run (job->runs, as its claim returned it): a worker that lost the job
 * and got it again by a later claim cannot write over the later run with the earlier one's
 * result.  Returns 1 if written, 0 if the guard failed.
 */
int store_update(struct store *st, const struct job *job, enum job_state expect,
		 const char *expect_worker, struct error *err);
/*
 * Delete a job and its history if delete may take it (job.h: any state but processing);
 * QE_NOTFOUND, or QE_CONFLICT if it is processing.
 */
int store_remove(struct store *st, const char *id, struct error *err);
/*
 * Delete, with their history, the jobs in state (one that purge may take: completed or dead)
 * whose updated_at is before "before"; fn sees each id; returns the count.
 */
int store_purge(struct store *st, enum job_state state, int64_t before, id_visit_fn *fn,
		void *ctx, struct error *err);

/* The stored settings as key and value text, by key; no validation here (config.c does it). */
int store_config_list(struct store *st, kv_visit_fn *fn, void *ctx, struct error *err);
/* Store a setting's value, replacing any earlier one. */
int store_config_set(struct store *st, const char *key, const char *value, struct error *err);
/* Remove a stored setting (every one when key is NULL); a key not stored is no error. */
int store_config_unset(struct store *st, const char *key, struct error *err);

/*
 * Atomically take up to max due jobs for req->worker_id, in one statement: of the jobs claim
 * may take (job.h: pending, failed) whose run_at is at or before req->now, the best by
 * priority then age that no other claimer is taking; each becomes processing, owned by the
 * worker, with a lease until req->lease_until, started_at and updated_at req->now, and runs
 * incremented.  Fills jobs[0..n) (in no particular order) and returns n, 0 if none is due.
 */
int store_claim(struct store *st, const struct claim_req *req, struct job *jobs, int max,
		struct error *err);
/*
 * Record the process (group leader) running a claimed job and its start time, so that a
 * job orphaned by a dead worker can be stopped before it is run again.  Returns 1 if the
 * worker still owned the job.
 */
int store_started(struct store *st, const char *job_id, const char *worker_id, int pid,
		  long long pid_start, struct error *err);
/* Extend the lease of every job the worker holds; returns how many. */
int store_renew(struct store *st, const char *worker_id, int64_t lease_until,
		struct error *err);
/*
 * Return a worker's processing jobs to pending without counting an attempt (release): all
 * of them, or only job_id when it is set, stamped with the store's clock.  Returns how many.
 */
int store_release(struct store *st, const char *worker_id, const char *job_id,
		  struct error *err);
/*
 * Give back the claim of a job that never started (a claim ahead): pending again, its run
 * number not spent.  The wait its claim counted stays counted: the metrics' counters never
 * go back.  Fenced on its worker and run: returns 1, or 0 if the job is not that claim's
 * any more.
 */
int store_unclaim(struct store *st, const struct job *job, struct error *err);
/*
 * Return to pending every processing job whose lease ended before now (recover), without
 * counting an attempt, but for those held by worker except (NULL: none excepted); returns
 * how many.
 */
int store_recover_leases(struct store *st, int64_t now, const char *except, struct error *err);
/*
 * Forget the workers whose rows went stale before now (by the stale_at each worker writes);
 * returns how many.
 */
int store_prune_workers(struct store *st, int64_t now, struct error *err);
/* When the next job that req could claim becomes due; returns 1 and sets *when, 0 if none. */
int store_next_due(struct store *st, const struct claim_req *req, int64_t *when,
		   struct error *err);

/* Record an attempt of a job, replacing any record of the same run. */
int store_attempt_add(struct store *st, const struct attempt *a, struct error *err);
/* Stream a job's attempts, oldest first (none for an unknown job). */
int store_attempt_list(struct store *st, const char *job_id, attempt_visit_fn *fn, void *ctx,
		       struct error *err);

/* Register a worker, replacing any with the same id (its busy is not stored). */
int store_worker_add(struct store *st, const struct worker_info *w, struct error *err);
/*
 * Set a worker's heartbeat and when its row goes stale; returns how many workers (0: it is
 * not registered).
 */
int store_worker_beat(struct store *st, const char *id, int64_t now, int64_t stale_at,
		      struct error *err);
/* Forget a worker (its jobs are not touched); one not registered is no error. */
int store_worker_remove(struct store *st, const char *id, struct error *err);
/* Stream the workers by start time, busy counted: the jobs each one holds. */
int store_worker_list(struct store *st, worker_visit_fn *fn, void *ctx, struct error *err);
/*
 * Ask a registered worker to stop ('worker stop'): a mark on its row, kept until the row
 * goes, which the worker reads when woken and at its heartbeat.  The caller wakes the
 * workers (store_notify) once it has committed.  Returns 1, or 0 if no worker has that id.
 */
int store_worker_stop(struct store *st, const char *id, struct error *err);
/* Whether worker id has been asked to stop: 1, or 0 (also when it is not registered). */
int store_worker_stop_requested(struct store *st, const char *id, struct error *err);

/*
 * Wake the idle workers of this store (after a commit that made jobs due); never fails: a
 * missed wake-up only costs a worker its fallback poll.
 */
void store_notify(struct store *st);
/* A descriptor that becomes readable when store_notify is called; store_wait_drain resets it. */
int store_wait_fd(struct store *st, struct error *err);
void store_wait_drain(struct store *st);
/*
 * A new descriptor (the caller closes it) that becomes readable after writes to the store,
 * any write: for a watcher of jobs' states.  Reads drain it; it may also wake for nothing.
 */
int store_changes_fd(struct store *st, struct error *err);
/*
 * Whether the store is still the one opened: 0, or QE_FAIL with a message naming what
 * happened to it (a database file deleted or replaced under a long-lived process).
 */
int store_verify(struct store *st, struct error *err);

/*
 * The figures of metrics and stats (three operations for every backend).  Each named queue
 * that has jobs, or had some since the counters began, by name: its jobs by state, and the
 * age at now of its oldest job due (pending or failed, run_at at or before now).  Cheap:
 * never a scan of the jobs.
 */
int store_summaries(struct store *st, int64_t now, summary_visit_fn *fn, void *ctx,
		    struct error *err);
/*
 * The counters and histogram buckets of struct counter, by queue, name and bucket.  A
 * backend keeps them in the transaction of the change they count (SQLite: triggers), so
 * that they never go back and agree between processes.
 */
int store_counters(struct store *st, counter_visit_fn *fn, void *ctx, struct error *err);
/*
 * The attempts that finished at or after since (completed, failed or dead ones), of one
 * queue or of all (queue NULL), in no promised order.
 */
int store_finished_since(struct store *st, int64_t since, const char *queue,
			 finished_visit_fn *fn, void *ctx, struct error *err);

/*
 * Whether a commit must reach the disk before it returns (the durability setting): off,
 * a crash of any process loses nothing, a power loss may lose the last commits.
 */
int store_set_durable(struct store *st, bool durable, struct error *err);

/*
 * The schema's version as store_open found it (0: it made the schema) and as it is now,
 * after the migrations store_open ran.
 */
void store_schema_version(struct store *st, int *found, int *current);

/* The directory for the store's own files (job logs, worker logs). */
const char *store_files_dir(struct store *st);

#endif
