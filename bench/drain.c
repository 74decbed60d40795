/*
 * drain.c - time a queuectl worker draining jobs already queued: start
 * `QUEUECTL --db DB worker start --count SLOTS` (its log to LOG, as a detached worker's
 * would, not /dev/null), read the per-state counts from the database every 5 ms (in this
 * process: no fork, a few microseconds of CPU each) until N more jobs are completed than
 * when it started, then note the worker's peak resident memory (VmHWM) and the CPU time
 * it and its reaped jobs used, and stop it.
 *
 *   drain QUEUECTL DB SLOTS N LOG
 *
 * Prints: elapsed_ns vmhwm_kib worker_cpu_ns jobs_cpu_ns (CPU times have the resolution of
 * a clock tick, 10 ms).  Fails at once if fewer than N jobs are pending (the drain could
 * never end), and if any job failed or died, or after 10 minutes.
 */
#include "bench.h"

#include <sqlite3.h>

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
	sqlite3 *db;
	int64_t done0, bad0, pending, done, bad, t0, elapsed, deadline, cpu_self, cpu_jobs;
	long n, kib;
	pid_t pid;

	if (argc != 6)
		die("usage: drain QUEUECTL DB SLOTS N LOG");
	n = parse_count(argv[4], "job count");
	char *worker[] = { argv[1], "--db", argv[2], "worker", "start", "--count", argv[3], NULL };

	if (sqlite3_open_v2(argv[2], &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
		die("cannot open '%s'", argv[2]);
	sqlite3_busy_timeout(db, 10000);
	counts(db, &done0, &bad0, &pending);
	/* Waiting for more jobs than there are would only end at the deadline, as a hang. */
	if (pending < n)
		die("only %lld jobs pending in '%s', %ld to drain", (long long)pending, argv[2], n);

	t0 = mono_ns();
	deadline = t0 + 600 * 1000000000LL;
	pid = spawn_job(worker, argv[5], 0);
	for (;;) {
		counts(db, &done, &bad, &pending);
		if (done - done0 >= n || bad > bad0)
			break;
		if (mono_ns() > deadline) {
			kill(pid, SIGKILL);
			die("only %lld of %ld jobs completed after 10 minutes",
			    (long long)(done - done0), n);
		}
		sleep_ns(5000000);
	}
	elapsed = mono_ns() - t0;
	kib = vmhwm_kib(pid);
	cpu_ns(pid, &cpu_self, &cpu_jobs);
	kill(pid, SIGTERM);
	if (wait_child(pid))
		die("the worker failed: see %s", argv[5]);
	sqlite3_close(db);
	if (bad > bad0)
		die("%lld jobs failed: see %s", (long long)(bad - bad0), argv[5]);
	printf("%lld %ld %lld %lld\n", (long long)elapsed, kib, (long long)cpu_self,
	       (long long)cpu_jobs);
	return 0;
}
