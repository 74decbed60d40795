/*
 * drain.c - time queuectl workers draining jobs already queued: start WORKERS (1)
 * `QUEUECTL --db DB worker start --count SLOTS` (their log to LOG, as a detached worker's
 * would, not /dev/null), read the per-state counts from the database every 5 ms (in this
 * process: no fork, a few microseconds of CPU each) until N more jobs are completed than
 * when they started, then note the workers' peak resident memory (VmHWM, the largest) and
 * the CPU time they and their reaped jobs used (summed), and stop them.
 *
 *   drain QUEUECTL DB SLOTS N LOG [WORKERS]
 *
 * DB is a SQLite file or a postgresql:// URL (benchpg.h): a server's store has no table of
 * counts, so the drain is over when no job is left pending or processing (an index probe),
 * and the jobs that failed are counted once at the end.
 *
 * Prints: elapsed_ns vmhwm_kib worker_cpu_ns jobs_cpu_ns (CPU times have the resolution of
 * a clock tick, 10 ms).  Fails at once if fewer than N jobs are pending (the drain could
 * never end), and if any job failed or died, or after 10 minutes.
 */
#include "bench.h"
#include "benchpg.h"

#include <sqlite3.h>

/*
 * A server's store: done is "N more than at the start" once nothing is left to run, which
 * is what the drain waits for in a store holding only its N jobs (run.sh makes one per
 * drain).  bad is counted only when nothing is left.
 */
static void pg_counts(PGconn *c, int64_t *done, int64_t *bad, int64_t *pending, int64_t n0)
{
	if (pg_number(c, "SELECT count(*) FROM (SELECT 1 FROM jobs WHERE state IN "
			 "('pending','processing') LIMIT 1) x")) {
		*done = n0;
		*bad = 0;
		*pending = 1;
		return;
	}
	*done = pg_number(c, "SELECT count(*) FROM jobs WHERE state = 'completed'");
	*bad = pg_number(c, "SELECT count(*) FROM jobs WHERE state IN ('failed','dead')");
	*pending = 0;
}

/* From the per-state counts that queuectl's triggers keep: one row read per state. */
static void counts(sqlite3 *db, int64_t *done, int64_t *bad, int64_t *pending)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(db,
			       "SELECT coalesce(sum(n) FILTER (WHERE state = 'completed'), 0), "
			       "coalesce(sum(n) FILTER (WHERE state IN ('failed','dead')), 0), "
			       "coalesce(sum(n) FILTER (WHERE state = 'pending'), 0) "
			       "FROM counts",
			       -1, &st, NULL) != SQLITE_OK)
		die("counts: %s", sqlite3_errmsg(db));
	if (sqlite3_step(st) != SQLITE_ROW)
		die("counts: %s", sqlite3_errmsg(db));
	*done = sqlite3_column_int64(st, 0);
	*bad = sqlite3_column_int64(st, 1);
	*pending = sqlite3_column_int64(st, 2);
	sqlite3_finalize(st);
}

static long vmhwm_kib(pid_t pid)
{
	char path[64], line[256];
	long kib = -1;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	if (!(f = fopen(path, "r")))
		return -1;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "VmHWM: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

/* The CPU time (user + system) of a process and of its children it has waited for. */
static void cpu_ns(pid_t pid, int64_t *self, int64_t *children)
{
	char path[64], buf[2048], *p;
	unsigned long long ut, st;
	long long cut, cst;
	int64_t tick = 1000000000 / sysconf(_SC_CLK_TCK);
	FILE *f;

	*self = *children = -1;
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	if (!(f = fopen(path, "r")))
		return;
	p = fgets(buf, sizeof buf, f);
	fclose(f);
	/* Fields 14-17 (utime stime cutime cstime), counted after the command's last ')'. */
	if (!p || !(p = strrchr(buf, ')')) ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %lld %lld",
		   &ut, &st, &cut, &cst) != 4)
		return;
	*self = (int64_t)(ut + st) * tick;
	*children = (int64_t)(cut + cst) * tick;
}

int main(int argc, char **argv)
{
	sqlite3 *db = NULL;
	PGconn *pg = NULL;
	int64_t done0, bad0, pending, done, bad, t0, elapsed, deadline, cpu_self = 0, cpu_jobs = 0;
	long n, kib = 0, nw = 1;
	pid_t pids[64];
	char log[4096];

	if (argc != 6 && argc != 7)
		die("usage: drain QUEUECTL DB SLOTS N LOG [WORKERS]");
	n = parse_count(argv[4], "job count");
	if (argc == 7 && (nw = parse_count(argv[6], "worker count")) > 64)
		die("at most 64 workers");
	char *worker[] = { argv[1], "--db", argv[2], "worker", "start", "--count", argv[3], NULL };

	if (is_url(argv[2])) {
		pg = pg_store(argv[2]);
		pending = pg_number(pg, "SELECT count(*) FROM jobs WHERE state = 'pending'");
		done0 = pg_number(pg, "SELECT count(*) FROM jobs WHERE state = 'completed'");
		bad0 = 0;
	} else {
		if (sqlite3_open_v2(argv[2], &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
			die("cannot open '%s'", argv[2]);
		sqlite3_busy_timeout(db, 10000);
		counts(db, &done0, &bad0, &pending);
	}
	/* Waiting for more jobs than there are would only end at the deadline, as a hang. */
	if (pending < n)
		die("only %lld jobs pending in '%s', %ld to drain", (long long)pending, argv[2], n);

	t0 = mono_ns();
	deadline = t0 + 600 * 1000000000LL;
	for (long i = 0; i < nw; i++) {
		if (nw > 1)
			snprintf(log, sizeof log, "%s.%ld", argv[5], i);
		else
			snprintf(log, sizeof log, "%s", argv[5]);
		pids[i] = spawn_job(worker, log, 0);
	}
	for (;;) {
		if (pg)
			pg_counts(pg, &done, &bad, &pending, done0);
		else
			counts(db, &done, &bad, &pending);
		if (done - done0 >= n || bad > bad0 || (pg && !pending))
			break;
		if (mono_ns() > deadline) {
			for (long i = 0; i < nw; i++)
				kill(pids[i], SIGKILL);
			die("only %lld of %ld jobs completed after 10 minutes",
			    (long long)(done - done0), n);
		}
		sleep_ns(5000000);
	}
	elapsed = mono_ns() - t0;
	for (long i = 0; i < nw; i++) {
		long k = vmhwm_kib(pids[i]);
		int64_t self, jobs;

		kib = k > kib ? k : kib;
		cpu_ns(pids[i], &self, &jobs);
		cpu_self += self;
		cpu_jobs += jobs;
	}
	for (long i = 0; i < nw; i++)
		kill(pids[i], SIGTERM);
	for (long i = 0; i < nw; i++)
		if (wait_child(pids[i]))
			die("a worker failed: see %s", argv[5]);
	if (db)
		sqlite3_close(db);
	if (pg)
		PQfinish(pg);
	if (!bad && done - done0 < n)
		die("only %lld of %ld jobs completed", (long long)(done - done0), n);
	if (bad > bad0)
		die("%lld jobs failed: see %s", (long long)(bad - bad0), argv[5]);
	printf("%lld %ld %lld %lld\n", (long long)elapsed, kib, (long long)cpu_self,
	       (long long)cpu_jobs);
	return 0;
}
