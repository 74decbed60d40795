/*
 * loop.c - the event loop: a growable poll set with a handler per descriptor, and a list of
 * timed tasks asked for their deadline each turn.
 *
 * Entries are never moved while the loop may be walking them: a removed descriptor or task
 * is only marked dead (a dead descriptor's pollfd gets fd -1, which poll() skips), and the
 * arrays are compacted at the start of the next turn, before anything is dispatched.  So
 * a handler may add or remove anything, and the walk goes on by index over arrays that may
 * have been reallocated under it.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "loop.h"
#include "util.h"

struct loop_fd {
	loop_fd_fn *fn;
	void *arg;
	bool dead;
};

struct loop_task {
	int id;
	loop_when_fn *when;
	loop_run_fn *run;
	void *arg;
	unsigned turn; /* the last turn it ran in */
	bool dead;
};

struct loop {
	struct pollfd *pfd; /* parallel arrays: pfd[i] is polled, fds[i] handles it */
	struct loop_fd *fds;
	size_t nfds, capfds;
	struct loop_task *tasks;
	size_t ntasks, captasks;
	int last_id;
	unsigned turn;
	bool dead_entries; /* something to compact */
	bool stopped;
};

struct loop *loop_new(void)
{
	return xcalloc(1, sizeof(struct loop));
}

void loop_free(struct loop *loop)
{
	if (!loop)
		return;
	free(loop->pfd);
	free(loop->fds);
	free(loop->tasks);
	free(loop);
}

/* The index of the live entry watching fd, or -1. */
static long find_fd(const struct loop *loop, int fd)
{
	for (size_t i = 0; i < loop->nfds; i++)
		if (!loop->fds[i].dead && loop->pfd[i].fd == fd)
			return (long)i;
	return -1;
}

int loop_add_fd(struct loop *loop, int fd, short events, loop_fd_fn *fn, void *arg)
{
	if (fd < 0)
		return QE_INPUT;
	if (find_fd(loop, fd) >= 0)
		return QE_CONFLICT;
	if (loop->nfds == loop->capfds) {
		loop->capfds = loop->capfds ? 2 * loop->capfds : 8;
		loop->pfd = xrealloc(loop->pfd, loop->capfds * sizeof *loop->pfd);
		loop->fds = xrealloc(loop->fds, loop->capfds * sizeof *loop->fds);
	}
	loop->pfd[loop->nfds] = (struct pollfd){ .fd = fd, .events = events };
	loop->fds[loop->nfds] = (struct loop_fd){ .fn = fn, .arg = arg };
	loop->nfds++;
	return 0;
}

int loop_mod_fd(struct loop *loop, int fd, short events)
{
	long i = find_fd(loop, fd);

	if (i < 0)
		return QE_NOTFOUND;
	loop->pfd[i].events = events;
	return 0;
}

int loop_del_fd(struct loop *loop, int fd)
{
	long i = find_fd(loop, fd);

	if (i < 0)
		return QE_NOTFOUND;
	loop->fds[i].dead = true;
	loop->pfd[i].fd = -1;
	loop->pfd[i].revents = 0;
	loop->dead_entries = true;
	return 0;
}

int loop_add_task(struct loop *loop, loop_when_fn *when, loop_run_fn *run, void *arg)
{
	if (loop->ntasks == loop->captasks) {
		loop->captasks = loop->captasks ? 2 * loop->captasks : 8;
		loop->tasks = xrealloc(loop->tasks, loop->captasks * sizeof *loop->tasks);
	}
	loop->tasks[loop->ntasks++] = (struct loop_task){
		.id = ++loop->last_id,
		.when = when,
		.run = run,
		.arg = arg,
		.turn = loop->turn,
	};
	return loop->last_id;
}

int loop_del_task(struct loop *loop, int id)
{
	for (size_t i = 0; i < loop->ntasks; i++) {
		if (loop->tasks[i].id == id && !loop->tasks[i].dead) {
			loop->tasks[i].dead = true;
			loop->dead_entries = true;
			return 0;
		}
	}
	return QE_NOTFOUND;
}

void loop_stop(struct loop *loop)
{
	loop->stopped = true;
}

static void compact(struct loop *loop)
{
	size_t k = 0;

	for (size_t i = 0; i < loop->nfds; i++) {
		if (loop->fds[i].dead)
			continue;
		loop->pfd[k] = loop->pfd[i];
		loop->fds[k++] = loop->fds[i];
	}
	loop->nfds = k;
	k = 0;
	for (size_t i = 0; i < loop->ntasks; i++)
		if (!loop->tasks[i].dead)
			loop->tasks[k++] = loop->tasks[i];
	loop->ntasks = k;
	loop->dead_entries = false;
}

/*
 * The live task with the earliest deadline, among those that have not run this turn; its
 * deadline in *when.  Ties go to the task added first.  -1 if there is no such task.
 */
static long earliest(const struct loop *loop, int64_t *when)
{
	long best = -1;

	*when = LOOP_NEVER;
	for (size_t i = 0; i < loop->ntasks; i++) {
		const struct loop_task *t = &loop->tasks[i];
		int64_t d;

		if (t->dead || t->turn == loop->turn)
			continue;
		d = t->when(t->arg);
		if (best < 0 || d < *when) {
			best = (long)i;
			*when = d;
		}
	}
	return best;
}

/* Run every task that is due, earliest first; each is asked again after any other ran. */
static void run_due(struct loop *loop)
{
	for (;;) {
		int64_t when;
		long i = earliest(loop, &when);

		if (i < 0 || when > time_mono_ms())
			return;
		loop->tasks[i].turn = loop->turn;
		loop->tasks[i].run(loop, loop->tasks[i].arg);
		if (loop->stopped)
			return;
	}
}

/* How long poll() may wait: until the nearest deadline of any live task, -1 for ever. */
static int poll_timeout(const struct loop *loop)
{
	int64_t next = LOOP_NEVER, d;

	for (size_t i = 0; i < loop->ntasks; i++) {
		if (loop->tasks[i].dead)
			continue;
		d = loop->tasks[i].when(loop->tasks[i].arg);
		if (d < next)
			next = d;
	}
	if (next == LOOP_NEVER)
		return -1;
	d = next - time_mono_ms();
	return d <= 0 ? 0 : d > INT_MAX ? INT_MAX : (int)d;
}

/* Call the handler of each descriptor that poll() found ready, unless it was removed since. */
static void dispatch(struct loop *loop, size_t polled)
{
	for (size_t i = 0; i < polled && !loop->stopped; i++) {
		short revents = loop->pfd[i].revents;

		if (loop->fds[i].dead || !revents)
			continue;
		loop->pfd[i].revents = 0;
		loop->fds[i].fn(loop, loop->pfd[i].fd, revents, loop->fds[i].arg);
	}
}

int loop_run(struct loop *loop, struct error *err)
{
	loop->stopped = false;
	for (;;) {
		size_t polled;

		if (loop->dead_entries)
			compact(loop);
		loop->turn++;
		run_due(loop);
		if (loop->stopped)
			return 0;
		if (loop->dead_entries)
			compact(loop);
		polled = loop->nfds;
		if (poll(loop->pfd, (nfds_t)polled, poll_timeout(loop)) < 0) {
			if (errno == EINTR)
				continue;
			return error_set(err, QE_FAIL, "poll: %s", strerror(errno));
		}
		dispatch(loop, polled);
		if (loop->stopped)
			return 0;
	}
}
