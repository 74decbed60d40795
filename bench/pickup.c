/*
 * pickup.c - how long a job waits to start.  The job is `stamp FILE`, which writes the wall
 * clock at its first instruction; this driver notes the wall clock at its end of the
 * exchange and waits for FILE with inotify (no polling, so it takes no CPU from the worker).
 *
 *   pickup idle QUEUECTL DB STAMP DIR N
 *	With a worker already running idle on DB (a file, or a postgresql:// URL, whose
 *	counts are read with libpq: benchpg.h): N times, in turn,
 *	  queuectl: run `QUEUECTL --db DB enqueue -- STAMP FILE`, wait for it to exit, note
 *	            t0, wait for FILE; latency = stamp - t0.  Then wait for the job to be
 *	            recorded completed and let the worker go back to sleep, so every job
 *	            finds it idle.
 *	  direct:   note t0, posix_spawn `STAMP FILE` as the worker would; latency = stamp - t0.
 *	Prints two lines, queuectl then direct: p50_ns p99_ns.
 *
 *   pickup claim QUEUECTL STAMP DIR N DB...
 *	The claim on a store of any size: N rounds; in each, for every DB in turn, enqueue
 *	`STAMP FILE` at priority 1000000 (so it is the one claimed first), note t0, start
 *	`QUEUECTL --db DB worker start --count 1`, wait for FILE, stop the worker (SIGTERM,
 *	it finishes its job) and wait for it.  latency = stamp - t0: the worker's start-up,
 *	its recovery pass, one claim and one spawn.  Prints one line per DB: p50_ns p99_ns.
 */
#include "bench.h"
#include "benchpg.h"

#include <poll.h>
#include <sqlite3.h>
#include <sys/inotify.h>

static int ino_fd = -1;

/* Wait up to 30 s for DIR/NAME to be renamed into place; return the ns it holds. */
static int64_t wait_stamp(const char *dir, const char *name)
{
	char path[4096], buf[4096] __attribute__((aligned(8)));
	int64_t deadline = mono_ns() + 30 * 1000000000LL;
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	for (;;) {
		long long v;

		/* Check after arming the watch (done once, at start): no event can be missed. */
		if ((f = fopen(path, "r"))) {
			int ok = fscanf(f, "%lld", &v) == 1;

			fclose(f);
			if (!ok)
				die("'%s' holds no time", path);
			return (int64_t)v;
		}
		struct pollfd p = { ino_fd, POLLIN, 0 };
		int64_t left = (deadline - mono_ns()) / 1000000;

		if (left <= 0)
			die("the job did not start within 30 s (no '%s')", path);
		if (poll(&p, 1, (int)left) > 0)
			while (read(ino_fd, buf, sizeof buf) > 0)
				;
	}
}

static void watch(const char *dir)
{
	if (ino_fd < 0 && (ino_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0)
		die("inotify_init1: %s", strerror(errno));
	if (inotify_add_watch(ino_fd, dir, IN_MOVED_TO) < 0)
		die("inotify_add_watch '%s': %s", dir, strerror(errno));
}

/* The jobs recorded completed: SQLite's table of counts, or a server's index (benchpg.h). */
static int64_t completed(sqlite3 *db, PGconn *pg)
{
	sqlite3_stmt *st;
	int64_t n = -1;

	if (pg)
		return pg_number(pg, "SELECT count(*) FROM jobs WHERE state = 'completed'");
	if (sqlite3_prepare_v2(db, "SELECT n FROM counts WHERE state = 'completed'", -1, &st,
			       NULL) != SQLITE_OK)
		die("counts: %s", sqlite3_errmsg(db));
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static void enqueue(char *q, char *db, char *stamp, char *file, int top)
{
	char *top_argv[] = { q, "--db", db, "enqueue", "--priority", "1000000", "--",
			     stamp, file, NULL };
	char *plain_argv[] = { q, "--db", db, "enqueue", "--", stamp, file, NULL };

	if (wait_child(spawn_job(top ? top_argv : plain_argv, NULL, 0)))
		die("'%s enqueue' failed", q);
}

static int idle(char **argv)
{
	char *q = argv[0], *dbpath = argv[1], *stamp = argv[2], *dir = argv[3];
	long n = parse_count(argv[4], "job count");
	int64_t *lq = calloc((size_t)n, sizeof *lq), *ld = calloc((size_t)n, sizeof *ld);
	sqlite3 *db = NULL;
	PGconn *pg = NULL;
	int64_t done;

	if (is_url(dbpath))
		pg = pg_store(dbpath);
	else if (sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
		die("cannot open '%s'", dbpath);
	else
		sqlite3_busy_timeout(db, 10000);
	watch(dir);
	done = completed(db, pg);
	for (long i = -1; i < n; i++) { /* round -1 warms up */
		char name[64], file[4096];
		int64_t t0, deadline;

		snprintf(name, sizeof name, "q%ld", i + 1);
		snprintf(file, sizeof file, "%s/%s", dir, name);
		enqueue(q, dbpath, stamp, file, 0);
		t0 = real_ns();
		if (i >= 0)
			lq[i] = wait_stamp(dir, name) - t0;
		else
			wait_stamp(dir, name);
		/* Idle again: the result recorded, then a moment to find nothing and sleep. */
		deadline = mono_ns() + 30 * 1000000000LL;
		while (completed(db, pg) <= done) {
			if (mono_ns() > deadline)
				die("job %s not recorded completed within 30 s", name);
			sleep_ns(1000000);
		}
		done++;
		sleep_ns(20000000);

		char *direct[] = { stamp, file, NULL };

		snprintf(name, sizeof name, "d%ld", i + 1);
		snprintf(file, sizeof file, "%s/%s", dir, name);
		t0 = real_ns();
		if (wait_child(spawn_job(direct, NULL, 1)))
			die("'%s' failed", stamp);
		if (i >= 0)
			ld[i] = wait_stamp(dir, name) - t0;
	}
	sqlite3_close(db);
	PQfinish(pg);
	int64_t q50 = percentile(lq, (size_t)n, 50), q99 = percentile(lq, (size_t)n, 99);
	int64_t d50 = percentile(ld, (size_t)n, 50), d99 = percentile(ld, (size_t)n, 99);

	printf("%lld %lld\n%lld %lld\n", (long long)q50, (long long)q99, (long long)d50,
	       (long long)d99);
	return 0;
}

static int claim(int argc, char **argv)
{
	char *q = argv[0], *stamp = argv[1], *dir = argv[2];
	long n = parse_count(argv[3], "round count");
	int ndb = argc - 4;
	char **dbs = argv + 4;
	int64_t *lat = calloc((size_t)(n * ndb), sizeof *lat);

	if (ndb < 1)
		die("usage: pickup claim QUEUECTL STAMP DIR N DB...");
	watch(dir);
	for (long r = 0; r < n; r++) {
		for (int k = 0; k < ndb; k++) {
			char name[64], file[4096], log[4096];
			char *worker[] = { q, "--db", dbs[k], "worker", "start", "--count", "1", NULL };
			int64_t t0;
			pid_t pid;

			snprintf(name, sizeof name, "c%d-%ld", k, r);
			snprintf(file, sizeof file, "%s/%s", dir, name);
			snprintf(log, sizeof log, "%s/worker-claim-%d.log", dir, k);
			enqueue(q, dbs[k], stamp, file, 1);
			t0 = real_ns();
			pid = spawn_job(worker, log, 0);
			lat[k * n + r] = wait_stamp(dir, name) - t0;
			kill(pid, SIGTERM);
			if (wait_child(pid))
				die("the worker on '%s' failed: see %s", dbs[k], log);
		}
	}
	for (int k = 0; k < ndb; k++) {
		int64_t p50 = percentile(lat + k * n, (size_t)n, 50);
		int64_t p99 = percentile(lat + k * n, (size_t)n, 99);

		printf("%lld %lld\n", (long long)p50, (long long)p99);
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 7 && !strcmp(argv[1], "idle"))
		return idle(argv + 2);
	if (argc >= 7 && !strcmp(argv[1], "claim"))
		return claim(argc - 2, argv + 2);
	die("usage: pickup idle QUEUECTL DB STAMP DIR N | pickup claim QUEUECTL STAMP DIR N DB...");
}
