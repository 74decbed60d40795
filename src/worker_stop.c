/*
 * worker_stop.c - the client side of 'worker stop', run in the CLI process: signal every
 * live worker of the store on this machine, then wait for them to exit.
 *
 * Each worker is reached through a pidfd opened before its identity is checked, so a
 * signal can never reach a process that merely inherited a dead worker's pid, and the
 * wait is a poll() on the pidfds: exact, and free while it waits.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "host.h"
#include "util.h"
#include "worker.h"

struct stop_ctx {
	int *pidfds; /* -1 once its worker has exited */
	int n, cap;
	int missed;  /* live, or perhaps live, workers that could not be signalled */
	char *first; /* the first of them, in words */
};

/* A worker that exists but was not signalled: the stop must say so. */
static void missed(struct stop_ctx *sc, const struct worker_info *info, const char *why)
{
	if (sc->missed++ == 0)
		sc->first = xasprintf("'%s' (pid %d on %s) %s", info->id, info->pid, info->host,
				      why);
}

static int signal_worker(void *arg, const struct worker_info *info)
{
	struct stop_ctx *sc = arg;
	int fd;

	if (!host_is_local(info)) {
		missed(sc, info, "runs on another machine or pid namespace");
		return 0;
	}
	/*
	 * Open a pidfd first, then check that the pid is still the worker's process (same
	 * start time): a signal through the pidfd can then never reach a stranger.
	 */
	fd = (int)syscall(SYS_pidfd_open, info->pid, 0);
	if (fd < 0)
		return 0; /* no such process: a dead worker's row */
	siginfo_t si = { .si_signo = SIGTERM, .si_code = SI_QUEUE, .si_pid = getpid(),
			 .si_uid = getuid() };

	si.si_value.sival_int = WORKER_STOP_GRACEFUL;
	if (!host_process_alive(info->pid, info->pid_start)) {
		close(fd);
		return 0;
	}
	if (syscall(SYS_pidfd_send_signal, fd, SIGTERM, &si, 0) < 0) {
		char *why = xasprintf("cannot be signalled: %s", strerror(errno));

		missed(sc, info, why);
		free(why);
		close(fd);
		return 0;
	}
	if (sc->n == sc->cap) {
		sc->cap = sc->cap ? 2 * sc->cap : 16;
		sc->pidfds = xrealloc(sc->pidfds, (size_t)sc->cap * sizeof *sc->pidfds);
	}
	sc->pidfds[sc->n++] = fd;
	return 0;
}

/* The delay until a monotonic deadline, for poll(), clamped to [0, max]. */
static int until(int64_t deadline, int64_t now, int max)
{
	int64_t d = deadline - now;

	return d < 0 ? 0 : d > max ? max : (int)d;
}

int worker_stop_all(struct queue *q, int64_t timeout_ms, int *stopped, int *signalled,
		    struct error *err)
{
	struct stop_ctx sc = { 0 };
	int64_t end = time_mono_ms() + timeout_ms;
	struct pollfd *pfd;
	int left, rc = 0;

	*stopped = *signalled = 0;
	if (queue_workers(q, signal_worker, &sc, err)) {
		for (int i = 0; i < sc.n; i++)
			close(sc.pidfds[i]);
		free(sc.pidfds);
		free(sc.first);
		return err->code;
	}
	*signalled = sc.n;
	pfd = xcalloc((size_t)sc.n + 1, sizeof *pfd);
	/* A pidfd becomes readable when its process exits: wait on them all, no polling. */
	for (left = sc.n; left > 0;) {
		int timeout = timeout_ms < 0 ? -1 : until(end, time_mono_ms(), INT32_MAX), n = 0;

		for (int i = 0; i < sc.n; i++)
			if (sc.pidfds[i] >= 0)
				pfd[n++] = (struct pollfd){ sc.pidfds[i], POLLIN, 0 };
		int ready = poll(pfd, (nfds_t)n, timeout);

		if (ready < 0 && errno == EINTR)
			continue;
		if (ready <= 0)
			break;
		for (int i = 0; i < sc.n; i++) {
			for (int j = 0; j < n; j++) {
				if (pfd[j].fd == sc.pidfds[i] && (pfd[j].revents & POLLIN)) {
					close(sc.pidfds[i]);
					sc.pidfds[i] = -1;
					left--;
					(*stopped)++;
				}
			}
		}
	}
	if (left > 0)
		rc = error_set(err, QE_FAIL, "%d of %d worker%s still running after %.1fs", left,
			       sc.n, sc.n == 1 ? "" : "s", (double)timeout_ms / 1000.0);
	else if (sc.missed == 1)
		rc = error_set(err, QE_FAIL, "1 worker not stopped: %s", sc.first);
	else if (sc.missed > 1)
		rc = error_set(err, QE_FAIL, "%d workers not stopped: %s, and others", sc.missed,
			       sc.first);
	free(sc.first);
	for (int i = 0; i < sc.n; i++)
		if (sc.pidfds[i] >= 0)
			close(sc.pidfds[i]);
	free(sc.pidfds);
	free(pfd);
	return rc;
}
