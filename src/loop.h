/*
 * loop.h - an event loop in beanstalkd's shape: every descriptor is registered with its
 * handler, every timed task with a function that says when it is next due.  Each turn the
 * loop runs the tasks that are due, waits in poll() until the nearest deadline or a ready
 * descriptor, and calls the handlers of the ready descriptors.
 *
 * The loop knows nothing of what it serves: a signalfd, a database's notification socket,
 * an HTTP listener or a cron schedule joins by registering itself.  Nothing is fixed in
 * size.  Deadlines are on the monotonic clock of time_mono_ms(), in milliseconds.
 *
 * Handlers and tasks may add and remove descriptors and tasks, their own included, at any
 * time; a descriptor removed is not dispatched again, even later in the same turn, and one
 * added is first polled on the next turn.
 */
#ifndef QUEUECTL_LOOP_H
#define QUEUECTL_LOOP_H

#include <stdint.h>

#include "error.h"

/* A deadline that never comes. */
#define LOOP_NEVER INT64_MAX

struct loop;

/* A descriptor is ready: revents as poll() set them (POLLHUP, POLLERR come unasked). */
typedef void loop_fd_fn(struct loop *loop, int fd, short revents, void *arg);
/* When a task is next due (time_mono_ms), LOOP_NEVER if not at all; no side effects. */
typedef int64_t loop_when_fn(void *arg);
/* A task's time has come: do its work, so that its when() moves on. */
typedef void loop_run_fn(struct loop *loop, void *arg);

/* A new loop, with nothing registered; loop_free frees it (not the descriptors). */
struct loop *loop_new(void);
void loop_free(struct loop *loop);

/*
 * Watch fd for events (POLLIN, POLLOUT...) and call fn(loop, fd, revents, arg) when it is
 * ready.  QE_CONFLICT if fd is watched already, QE_INPUT if it is negative.  A handler must remove a descriptor it
 * closes, or the loop reports POLLNVAL for it every turn.
 */
int loop_add_fd(struct loop *loop, int fd, short events, loop_fd_fn *fn, void *arg);
/* Change the events watched on fd; QE_NOTFOUND if it is not watched. */
int loop_mod_fd(struct loop *loop, int fd, short events);
/* Stop watching fd; QE_NOTFOUND if it is not watched. */
int loop_del_fd(struct loop *loop, int fd);

/*
 * Add a timed task: each turn, when(arg) is asked for its deadline, and run(loop, arg) is
 * called once it has come (at most once a turn).  Tasks due together run in the order of
 * their deadlines, then in the order they were added.  Returns an id (> 0) for
 * loop_del_task.
 */
int loop_add_task(struct loop *loop, loop_when_fn *when, loop_run_fn *run, void *arg);
/* Remove a task; QE_NOTFOUND if there is none with that id. */
int loop_del_task(struct loop *loop, int id);

/*
 * Run until loop_stop: returns 0 then, or QE_FAIL with err filled if poll() fails.  A task
 * still due after it has run runs again on the next turn, after a poll() that does not
 * wait: a task that does not move its deadline on makes the loop spin.
 */
int loop_run(struct loop *loop, struct error *err);
/* Make loop_run return once the handler or task calling this returns. */
void loop_stop(struct loop *loop);

#endif
