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
 * Serve jobs until SIGINT, SIGTERM or SIGHUP (or a batch condition of opts), then finish
 * the running jobs and return 0.  A second signal stops the running jobs (SIGTERM to each
 * process group, SIGKILL after grace_ms) and returns them to pending without counting an
 * attempt.  Progress goes to stderr, one line per event.
 */
int worker_run(struct queue *q, const struct worker_opts *opts, struct error *err);

/*
 * Ask every live worker of this store on this machine to stop gracefully (SIGTERM), then
 * wait up to timeout_ms (< 0: forever) for them to exit.  *stopped is how many exited;
 * returns QE_FAIL if some are still running when the time is up, or if some worker of the
 * table could not be signalled (another machine or pid namespace, another user's): a stop
 * that reached fewer workers than exist says so.  Runs in the CLI process
 * (worker_stop.c), not in a worker.
 */
int worker_stop_all(struct queue *q, int64_t timeout_ms, int *stopped, int *signalled,
		    struct error *err);

/*
 * The value 'worker stop' attaches to its SIGTERM (sigqueue's SI_QUEUE): a worker already
 * asked to stop ignores it, so that a repeated 'worker stop' stays graceful and is not
 * taken for the impatient second Ctrl+C that stops the running jobs.
 */
#define WORKER_STOP_GRACEFUL 0x7175 /* "qu" */

#endif
