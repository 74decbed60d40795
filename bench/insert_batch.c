/*
 * insert_batch.c - insert N jobs straight into a queuectl database (created beforehand by
 * any queuectl command, so the schema, its indexes and the triggers that keep the per-state
 * counts are queuectl's own), in transactions of BATCH rows.
 *
 *   insert_batch [--batch K] DB N            N pending jobs 'true': the floor for
 *                                            'enqueue --file' (the same rows)
 *   insert_batch --mixed [--batch K] DB N    a store in mixed states, as after a long life:
 *                                            80% completed, 15% pending, 3% dead, 1.8%
 *                                            failed (retry due in a day), 0.2% processing
 *                                            (a worker elsewhere, lease a day ahead), with
 *                                            one history row per attempt run; prints the
 *                                            id of a completed job from the middle
 */
#include "bench.h"

#include <sqlite3.h>

static sqlite3 *db;

static void exec(const char *sql)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		die("%s: %s", sql, sqlite3_errmsg(db));
}

static sqlite3_stmt *prepare(const char *sql)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		die("%s: %s", sql, sqlite3_errmsg(db));
	return st;
}

static void step(sqlite3_stmt *st)
{
	if (sqlite3_step(st) != SQLITE_DONE)
		die("insert: %s", sqlite3_errmsg(db));
	sqlite3_reset(st);
}

int main(int argc, char **argv)
{
	sqlite3_stmt *ins, *mixed, *attempt;
	long n, batch = 10000;
	int mix = 0, i = 1;
	int64_t now = real_ns() / 1000000, day = 86400000;
	char id[33], middle[33] = "";

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--mixed"))
			mix = 1;
		else if (!strcmp(argv[i], "--batch") && i + 1 < argc)
			batch = parse_count(argv[++i], "batch size");
		else
			die("unknown option '%s'", argv[i]);
	}
	if (argc - i != 2)
		die("usage: insert_batch [--mixed] [--batch K] DB N");
	n = parse_count(argv[i + 1], "job count");
	if (sqlite3_open_v2(argv[i], &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
		die("cannot open '%s': %s", argv[i], sqlite3_errmsg(db));
	sqlite3_busy_timeout(db, 10000);
	/*
	 * The plain mode is the reference for 'enqueue --file': SQLite's defaults, as queuectl
	 * has them.  Building a mixed store is set-up, not a measurement, and in a directory
	 * removed after the run: with the default 2 MiB cache every random id lands on an
	 * index page long evicted, and the syncs add nothing there; a big cache and no syncs
	 * build the million-job store in about half a minute instead of one or two.
	 */
	if (mix)
		exec("PRAGMA synchronous = OFF; PRAGMA cache_size = -524288"); /* KiB: 512 MiB */
	else
		exec("PRAGMA synchronous = NORMAL");
	ins = prepare("INSERT INTO jobs (id, command, state, queue, priority, attempts, "
		      "max_retries, timeout, run_at, created_at, updated_at) "
		      "VALUES (?1, 'true', 'pending', 'default', 0, 0, 3, 0, ?2, ?2, ?2)");
	mixed = prepare("INSERT INTO jobs (id, command, state, queue, priority, attempts, "
			"max_retries, runs, timeout, run_at, created_at, updated_at, started_at, "
			"finished_at, last_error, exit_code, worker_id, lease_until) "
			"VALUES (?1, 'true', ?2, 'default', 0, ?3, 3, ?4, 0, ?5, ?6, ?7, ?8, ?9, "
			"?10, ?11, ?12, ?13)");
	attempt = prepare("INSERT INTO attempts (job_id, run, attempt, started_at, finished_at, "
			  "outcome, error, exit_code, worker_id, log_path) "
			  "VALUES (?1, ?2, ?2, ?3, ?4, ?5, ?6, ?7, 'bench-old-worker', NULL)");

	for (long k = 0; k < n; k++) {
		int64_t t = now - (n - k) * 10; /* one job every 10 ms, oldest first */
		long r = k % 1000;
		const char *state = r < 800 ? "completed" : r < 950 ? "pending" : r < 980 ? "dead"
				  : r < 998 ? "failed" : "processing";

		if (k % batch == 0)
			exec("BEGIN IMMEDIATE");
		random_id(id);
		if (!mix) {
			sqlite3_bind_text(ins, 1, id, -1, SQLITE_STATIC);
			sqlite3_bind_int64(ins, 2, now);
			step(ins);
		} else {
			int done = !strcmp(state, "completed"), dead = !strcmp(state, "dead");
			int failed = !strcmp(state, "failed"), proc = !strcmp(state, "processing");
			int attempts = done ? 1 : dead ? 4 : failed ? 1 : 0;
			int runs = attempts + proc;

			sqlite3_bind_text(mixed, 1, id, -1, SQLITE_STATIC);
			sqlite3_bind_text(mixed, 2, state, -1, SQLITE_STATIC);
			sqlite3_bind_int(mixed, 3, attempts);
			sqlite3_bind_int(mixed, 4, runs);
			sqlite3_bind_int64(mixed, 5, failed ? now + day : t);
			sqlite3_bind_int64(mixed, 6, t);
			sqlite3_bind_int64(mixed, 7, runs ? t + 5 : t);
			if (runs)
				sqlite3_bind_int64(mixed, 8, t + 1);
			else
				sqlite3_bind_null(mixed, 8);
			if (attempts)
				sqlite3_bind_int64(mixed, 9, t + 5);
			else
				sqlite3_bind_null(mixed, 9);
			if (dead || failed) {
				sqlite3_bind_text(mixed, 10, "exit status 1", -1, SQLITE_STATIC);
				sqlite3_bind_int(mixed, 11, 1);
			} else if (done) {
				sqlite3_bind_null(mixed, 10);
				sqlite3_bind_int(mixed, 11, 0);
			} else {
				sqlite3_bind_null(mixed, 10);
				sqlite3_bind_null(mixed, 11);
			}
			if (proc) {
				sqlite3_bind_text(mixed, 12, "elsewhere-1-bench", -1, SQLITE_STATIC);
				sqlite3_bind_int64(mixed, 13, now + day);
			} else {
				sqlite3_bind_null(mixed, 12);
				sqlite3_bind_null(mixed, 13);
			}
			step(mixed);
			sqlite3_clear_bindings(mixed);
			for (int a = 1; a <= attempts; a++) {
				int last = a == attempts;
				const char *outcome = done ? "completed" : dead && last ? "dead" : "failed";

				sqlite3_bind_text(attempt, 1, id, -1, SQLITE_STATIC);
				sqlite3_bind_int(attempt, 2, a);
				sqlite3_bind_int64(attempt, 3, t + 1);
				sqlite3_bind_int64(attempt, 4, t + 5);
				sqlite3_bind_text(attempt, 5, outcome, -1, SQLITE_STATIC);
				if (done) {
					sqlite3_bind_null(attempt, 6);
					sqlite3_bind_int(attempt, 7, 0);
				} else {
					sqlite3_bind_text(attempt, 6, "exit status 1", -1,
							  SQLITE_STATIC);
					sqlite3_bind_int(attempt, 7, 1);
				}
				step(attempt);
			}
			if (done && !middle[0] && k >= n / 2)
				memcpy(middle, id, sizeof middle);
		}
		if (k % batch == batch - 1 || k == n - 1)
			exec("COMMIT");
	}
	sqlite3_finalize(ins);
	sqlite3_finalize(mixed);
	sqlite3_finalize(attempt);
	if (sqlite3_close(db) != SQLITE_OK)
		die("close: %s", sqlite3_errmsg(db));
	if (mix)
		puts(middle[0] ? middle : "none");
	return 0;
}
