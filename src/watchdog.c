/*
 * watchdog.c - the worker's watchdog process (see watchdog.h).
 *
 * The protocol is fixed-size messages, each written whole (smaller than PIPE_BUF): '+' and
 * '-' with a process group, 'D' with a deadline in time_mono_ms, 'B' for goodbye.  The
 * watchdog reads every message already in the pipe before it judges the deadline, so a
 * deadline or a job's end written before the deadline passed is always seen in time.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "host.h"
#include "util.h"
#include "watchdog.h"

struct watchdog {
	pid_t pid;
	int fd; /* the write end */
};

struct msg {
	char op;
	int64_t v;
};

struct groups {
	pid_t *v;
	size_t n, cap;
};

static void kill_all(struct groups *g)
{
	for (size_t i = 0; i < g->n; i++)
		host_kill_group(g->v[i], SIGKILL);
	g->n = 0;
}

/* The watchdog's life: never returns. */
static void watch(int fd)
{
	struct groups g = { 0 };
	int64_t deadline = INT64_MAX;

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int64_t left = deadline - time_mono_ms();
		int timeout = g.n == 0 ? -1 : left <= 0 ? 0 : left > 60000 ? 60000 : (int)left;

		if (poll(&p, 1, timeout) < 0 && errno != EINTR)
			_exit(1);
		/* Everything already written, before judging the deadline. */
		while (p.revents) {
			struct msg m;
			ssize_t r = read(fd, &m, sizeof m);

			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0 && errno == EAGAIN)
				break;
			if (r != (ssize_t)sizeof m) {
				/* The worker died without a goodbye: its jobs are nobody's. */
				kill_all(&g);
				_exit(0);
			}
			if (m.op == 'B')
				_exit(0);
			if (m.op == 'D') {
				deadline = m.v;
			} else if (m.op == '+') {
				if (g.n == g.cap) {
					g.cap = g.cap ? 2 * g.cap : 16;
					g.v = xrealloc(g.v, g.cap * sizeof *g.v);
				}
				g.v[g.n++] = (pid_t)m.v;
			} else if (m.op == '-') {
				for (size_t i = 0; i < g.n; i++)
					if (g.v[i] == (pid_t)m.v) {
						g.v[i] = g.v[--g.n];
						break;
					}
			}
		}
		if (g.n && time_mono_ms() >= deadline)
			kill_all(&g);
	}
}

int watchdog_start(struct watchdog **wd, struct error *err)
{
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return error_set(err, QE_FAIL, "cannot start the watchdog: pipe: %s", strerror(errno));
	if ((pid = fork()) < 0) {
		close(p[0]);
		close(p[1]);
		return error_set(err, QE_FAIL, "cannot start the watchdog: fork: %s", strerror(errno));
	}
	if (pid == 0) {
		sigset_t all;

		/* Out of the worker's session and group: a Ctrl+Z or a stop of the worker's group
		 * does not reach it.  Signals are for the worker; the pipe alone drives this. */
		setsid();
		sigfillset(&all);
		sigprocmask(SIG_BLOCK, &all, NULL);
		prctl(PR_SET_NAME, "queuectl-watch");
		if (p[0] != 3) {
			dup2(p[0], 3);
			close(p[0]);
		}
		syscall(SYS_close_range, 4, ~0U, 0);
		fcntl(3, F_SETFL, O_NONBLOCK);
		watch(3);
	}
	close(p[0]);
	*wd = xcalloc(1, sizeof **wd);
	(*wd)->pid = pid;
	(*wd)->fd = p[1];
	return 0;
}

pid_t watchdog_pid(const struct watchdog *wd)
{
	return wd->pid;
}

static int send_msg(struct watchdog *wd, char op, int64_t v)
{
	struct msg m = { .op = op, .v = v };
	ssize_t r;

	if (wd->fd < 0)
		return -1;
	while ((r = write(wd->fd, &m, sizeof m)) < 0 && errno == EINTR)
		;
	return r == (ssize_t)sizeof m ? 0 : -1;
}

int watchdog_job(struct watchdog *wd, pid_t pgid)
{
	return send_msg(wd, '+', pgid);
}

int watchdog_job_done(struct watchdog *wd, pid_t pgid)
{
	return send_msg(wd, '-', pgid);
}

int watchdog_deadline(struct watchdog *wd, int64_t mono_ms)
{
	return send_msg(wd, 'D', mono_ms);
}

void watchdog_stop(struct watchdog *wd)
{
	if (!wd)
		return;
	send_msg(wd, 'B', 0);
	close(wd->fd);
	while (waitpid(wd->pid, NULL, 0) < 0 && errno == EINTR)
		;
	free(wd);
}
