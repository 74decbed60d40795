/*
 * worker_stop.c - the client side of 'worker stop', run in the CLI process: ask the chosen
 * workers to stop through the store, on whatever machine they run, then wait for them to
 * exit.
 *
 * The request is a mark on each worker's row and a wake-up (queue_workers_stop): the same
 * path on every machine, and for a worker in another pid namespace of this one.  The wait
 * is exact where it can be: a worker of this machine is held by a pidfd, opened before the
 * mark commits (so before it can have exited) and checked against the process's start time
 * (so never a stranger that took a dead worker's pid), and poll() tells its exit.  A worker
 * elsewhere has exited once its row has left the store (it unregisters as it exits) or gone
 * stale (it died without a word): the store's change descriptor says when to look again.
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "host.h"
#include "util.h"
#include "worker.h"

/*
 * The longest wait between two looks at the rows of workers elsewhere: the change
 * descriptor may miss a write made on another machine (queue_changes_fd).
 */
#define ROWS_MS 1000

struct target {
	char *id;
	int pidfd; /* a worker of this machine: readable once it exits; -1 for one elsewhere */
	bool done, seen;
};

struct stop_ctx {
	struct target *t;
	int n;
	int64_t now; /* the store's clock, while the rows are looked at */
};

/* A worker asked to stop, before the request commits: take hold of it to wait for it. */
static int add_target(void *arg, const struct worker_info *info)
{
	struct stop_ctx *sc = arg;
	int fd = -1;

	if (host_is_local(info)) {
		fd = (int)syscall(SYS_pidfd_open, info->pid, 0);
		if (fd < 0)
			return 0; /* no such process: a dead worker's row, nobody to wait for */
		if (!host_process_alive(info->pid, info->pid_start)) {
			close(fd);
			return 0;
		}
	}
	sc->t = xrealloc(sc->t, (size_t)(sc->n + 1) * sizeof *sc->t);
	sc->t[sc->n++] = (struct target){ .id = xstrdup(info->id), .pidfd = fd };
	return 0;
}

static int see_row(void *arg, const struct worker_info *info)
{
	struct stop_ctx *sc = arg;

	/* A row gone stale is a worker that died without unregistering: it is not coming back. */
	if (info->stale_at && info->stale_at < sc->now)
		return 0;
	for (int i = 0; i < sc->n; i++)
		if (sc->t[i].pidfd < 0 && !strcmp(sc->t[i].id, info->id))
			sc->t[i].seen = true;
	return 0;
}

/*
 * The workers elsewhere whose rows have left the store are done; returns how many became
 * so.  A store that cannot be read now is read again at the next look.
 */
static int look_at_rows(struct queue *q, struct stop_ctx *sc)
{
	struct error err;
	int n = 0;

	for (int i = 0; i < sc->n; i++)
		sc->t[i].seen = false;
	if (queue_now(q, &sc->now, &err) || queue_workers(q, see_row, sc, &err))
		return 0;
	for (int i = 0; i < sc->n; i++) {
		if (sc->t[i].pidfd < 0 && !sc->t[i].done && !sc->t[i].seen) {
			sc->t[i].done = true;
			n++;
		}
	}
	return n;
}

/* The delay until a monotonic deadline, for poll(), clamped to [0, max]. */
static int until(int64_t deadline, int64_t now, int max)
{
	int64_t d = deadline - now;

	return d < 0 ? 0 : d > max ? max : (int)d;
}

static int no_match(const char *host, const char *id, struct error *err)
{
	if (host && id)
		return error_set(err, QE_NOTFOUND, "no worker '%s' on host '%s'", id, host);
	if (id)
		return error_set(err, QE_NOTFOUND, "no worker '%s'", id);
	return error_set(err, QE_NOTFOUND, "no worker on host '%s'", host);
}

int worker_stop(struct queue *q, const char *host, const char *id, int64_t timeout_ms,
		int *stopped, int *asked, struct error *err)
{
	struct stop_ctx sc = { 0 };
	int64_t end = time_mono_ms() + timeout_ms;
	struct pollfd *pfd = NULL;
	int left, elsewhere = 0, changes = -1, rc = 0;

	*stopped = *asked = 0;
	if (queue_workers_stop(q, host, id, add_target, &sc, err) < 0) {
		rc = err->code;
		goto out;
	}
	*asked = left = sc.n;
	if (sc.n == 0 && (host || id)) {
		rc = no_match(host, id, err);
		goto out;
	}
	for (int i = 0; i < sc.n; i++)
		elsewhere += sc.t[i].pidfd < 0;
	if (elsewhere && (changes = queue_changes_fd(q, err)) < 0) {
		rc = err->code;
		goto out;
	}
	pfd = xcalloc((size_t)sc.n + 1, sizeof *pfd);
	/* A pidfd becomes readable when its process exits: wait on them all, no polling. */
	while (left > 0) {
		int timeout = timeout_ms < 0 ? -1 : until(end, time_mono_ms(), INT32_MAX);
		int n = 0, ready;

		if (elsewhere && (timeout < 0 || timeout > ROWS_MS))
			timeout = ROWS_MS;
		for (int i = 0; i < sc.n; i++)
			if (sc.t[i].pidfd >= 0 && !sc.t[i].done)
				pfd[n++] = (struct pollfd){ sc.t[i].pidfd, POLLIN, 0 };
		if (changes >= 0)
			pfd[n++] = (struct pollfd){ changes, POLLIN, 0 };
		ready = poll(pfd, (nfds_t)n, timeout);
		if (ready < 0 && errno == EINTR)
			continue;
		if (ready < 0) {
			rc = error_set(err, QE_FAIL, "poll: %s", strerror(errno));
			break;
		}
		for (int i = 0; i < sc.n; i++) {
			for (int j = 0; j < n; j++) {
				if (pfd[j].fd == sc.t[i].pidfd && (pfd[j].revents & POLLIN) &&
				    !sc.t[i].done) {
					sc.t[i].done = true;
					left--;
				}
			}
		}
		if (elsewhere) {
			char drain[4096];

			while (read(changes, drain, sizeof drain) > 0)
				;
			left -= look_at_rows(q, &sc);
		}
		if (left > 0 && timeout_ms >= 0 && time_mono_ms() >= end)
			break;
	}
	*stopped = sc.n - left;
	if (left > 0 && rc == 0)
		rc = error_set(err, QE_FAIL, "%d of %d worker%s still running after %.1fs", left,
			       sc.n, sc.n == 1 ? "" : "s", (double)timeout_ms / 1000.0);
out:
	for (int i = 0; i < sc.n; i++) {
		if (sc.t[i].pidfd >= 0)
			close(sc.t[i].pidfd);
		free(sc.t[i].id);
	}
	free(sc.t);
	free(pfd);
	if (changes >= 0)
		close(changes);
	return rc;
}
