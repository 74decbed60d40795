/*
 * worker.h - the worker: claims jobs into slots, runs them (exec.h), keeps their leases
 * alive, enforces timeouts, records results, recovers the jobs of dead workers, and stops
 * gracefully; all of it on one event loop (loop.h).  And the client side of 'worker stop'.
 */
#ifndef QUEUECTL_WORKER_H
#define QUEUECTL_WORKER_H

#include <stdbool.h>
#include <stdint.h>

#include "queue.h"

struct worker_opts {
	int slots;		   /* jobs run at once, >= 1 */
	const char *const *queues; /* NULL: every queue */
	int nqueues;
	const char *queues_text; /* as given, for status */
	int ready_fd;		 /* -1, or a descriptor to write one byte to once serving */
	int64_t grace_ms;	 /* after SIGTERM to a job's process group, until SIGKILL */
	/*
	 * Batch mode: each of these, when set, stops the worker as a first SIGTERM does (the
	 * running jobs finish, then worker_run returns 0).
	 */
	bool until_idle; /* once nothing runs and no job is due now (delayed ones don't count) */
	long max_jobs;	 /* > 0: once this many jobs have been started */
	int64_t for_ms;	 /* > 0: once this long has passed since the worker started */
};

/*
 * Serve jobs until SIGINT, SIGTERM or SIGHUP, a 'worker stop' (queue_workers_stop) or a
 * batch condition of opts, then finish the running jobs and return 0.  A second signal (or
 * a first after 'worker stop') stops the running jobs (SIGTERM to each process group,
 * SIGKILL after grace_ms) and returns them to pending without counting an attempt.
 * Progress goes to stderr, one line per event.
 */
int worker_run(struct queue *q, const struct worker_opts *opts, struct error *err);

/*
 * 'worker stop': ask the workers of this store on host (their hostname; NULL: any) with id
 * (NULL: any) to stop gracefully, on whatever machine they run (queue_workers_stop), then
 * wait up to timeout_ms (< 0: forever) for them to exit: for a worker of this machine, its
 * process's exit; for one elsewhere, its row leaving the store.  *asked is how many were
 * asked, *stopped how many exited.  QE_NOTFOUND if host or id is given and no live worker
 * matches; QE_FAIL if some are still running when the time is up.  Runs in the CLI process
 * (worker_stop.c), not in a worker.
 */
int worker_stop(struct queue *q, const char *host, const char *id, int64_t timeout_ms,
		int *stopped, int *asked, struct error *err);

#endif
