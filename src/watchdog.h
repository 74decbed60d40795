/*
 * watchdog.h - a worker's watchdog: a small process outside the worker's process group and
 * session that kills the worker's jobs when the worker can no longer vouch for them.
 *
 * A worker that stops making progress (SIGSTOP, Ctrl+Z, a debugger, a VM pause, a wait for
 * the write lock) cannot stop its own jobs, and their leases run out: another worker would
 * then run them again while they still run.  So the worker tells its watchdog, over a pipe,
 * which process groups it runs and, after each renewal of its leases, a monotonic deadline
 * before their end.  The watchdog SIGKILLs every group it knows of when the deadline passes
 * without a newer one, and when the pipe closes without a goodbye (the worker died).
 */
#ifndef QUEUECTL_WATCHDOG_H
#define QUEUECTL_WATCHDOG_H

#include <stdint.h>
#include <sys/types.h>

#include "error.h"

struct watchdog;

/* Start the watchdog process; *wd is freed by watchdog_stop. */
int watchdog_start(struct watchdog **wd, struct error *err);
/* The watchdog's pid, which the worker's waitpid may see exit. */
pid_t watchdog_pid(const struct watchdog *wd);
/*
 * Tell the watchdog: a job's process group started, or ended (call before its leader is
 * reaped, while the group id cannot yet be handed out again), or the new deadline
 * (time_mono_ms).  Returns 0, or -1 if the watchdog is gone.
 */
int watchdog_job(struct watchdog *wd, pid_t pgid);
int watchdog_job_done(struct watchdog *wd, pid_t pgid);
int watchdog_deadline(struct watchdog *wd, int64_t mono_ms);
/* Say goodbye (the groups it knows of are left alone), wait for it to exit, free wd. */
void watchdog_stop(struct watchdog *wd);

#endif
