/*
 * pgclaim.c - the C reference for claim-and-finish on PostgreSQL: PROCS processes, each
 * with its connection, take the jobs queued in a queuectl store one at a time with the
 * claim queuectl's worker makes (src/store/pg.c, S_CLAIM: FOR UPDATE SKIP LOCKED in claim
 * order, the rows updated in the same statement), run PROGRAM for each as the worker would
 * (bench.h's spawn_job, a process group of its own, waited for), and record it completed
 * with one UPDATE fenced on owner, state and run, until a claim finds nothing.  Without
 * PROGRAM nothing is run: the rate of the database's part alone.
 *
 *   pgclaim URL PROCS N [PROGRAM]
 *
 * URL is the store's, as queuectl takes it (benchpg.h).  Timed from the first fork to the
 * last process's exit.  Prints: elapsed_ns.  Fails unless exactly N jobs were completed
 * (fewer than N pending at the start, or a job lost or taken twice).
 */
#include "bench.h"
#include "benchpg.h"

/* The same statement as S_CLAIM, with its parameters: worker, lease until, now, queues, max. */
static const char claim_sql[] =
	"WITH due AS (SELECT seq FROM jobs WHERE state IN ('pending','failed') "
	"AND ($4::text[] IS NULL OR queue = ANY ($4::text[])) AND run_at <= $3 "
	"ORDER BY priority DESC, seq LIMIT $5 FOR UPDATE SKIP LOCKED) "
	"UPDATE jobs SET state = 'processing', worker_id = $1, lease_until = $2, "
	"started_at = $3, updated_at = $3, runs = jobs.runs + 1 "
	"FROM due WHERE jobs.seq = due.seq RETURNING jobs.id, jobs.runs";

/* The result, fenced as store_update is: on the state, the owner and the run. */
static const char finish_sql[] =
	"UPDATE jobs SET state = 'completed', attempts = attempts + 1, worker_id = NULL, "
	"lease_until = NULL, finished_at = $3, updated_at = $3, exit_code = $5 "
	"WHERE id = $1 AND state = 'processing' AND worker_id = $2 AND runs = $4";

static PGresult *run(PGconn *c, const char *name, int n, const char *const *v)
{
	PGresult *r = PQexecPrepared(c, name, n, v, NULL, NULL, 0);

	if (PQresultStatus(r) != PGRES_TUPLES_OK && PQresultStatus(r) != PGRES_COMMAND_OK)
		die("%s: %s", name, PQerrorMessage(c));
	return r;
}

/* One process: claim, run, finish, until nothing is due; exits with the count done. */
static long child(const char *url, int k, char *program)
{
	PGconn *c = pg_store(url);
	char worker[64], now[32], until[32], max[] = "1", runs[16], code[16];
	long done = 0;

	snprintf(worker, sizeof worker, "pgclaim-%d-%d", (int)getpid(), k);
	if (PQresultStatus(PQprepare(c, "claim", claim_sql, 0, NULL)) != PGRES_COMMAND_OK ||
	    PQresultStatus(PQprepare(c, "finish", finish_sql, 0, NULL)) != PGRES_COMMAND_OK)
		die("prepare: %s", PQerrorMessage(c));
	for (;;) {
		int64_t ms = real_ns() / 1000000;
		const char *cv[5] = { worker, until, now, NULL, max };
		PGresult *r;
		char id[64];
		int status = 0;

		snprintf(now, sizeof now, "%lld", (long long)ms);
		snprintf(until, sizeof until, "%lld", (long long)(ms + 30000));
		r = run(c, "claim", 5, cv);
		if (PQntuples(r) == 0) {
			PQclear(r);
			break;
		}
		snprintf(id, sizeof id, "%s", PQgetvalue(r, 0, 0));
		snprintf(runs, sizeof runs, "%s", PQgetvalue(r, 0, 1));
		PQclear(r);
		if (program) {
			char *argv[] = { program, NULL };

			status = wait_child(spawn_job(argv, NULL, 1));
		}
		snprintf(now, sizeof now, "%lld", (long long)(real_ns() / 1000000));
		snprintf(code, sizeof code, "%d", status);
		const char *fv[5] = { id, worker, now, runs, code };

		r = run(c, "finish", 5, fv);
		if (strcmp(PQcmdTuples(r), "1"))
			die("job %s: the fenced update changed %s rows", id, PQcmdTuples(r));
		PQclear(r);
		done++;
	}
	PQfinish(c);
	return done;
}

int main(int argc, char **argv)
{
	long procs, n, done = 0;
	pid_t pids[64];
	int fds[64][2];
	int64_t t0, elapsed;
	PGconn *c;

	if (argc != 4 && argc != 5)
		die("usage: pgclaim URL PROCS N [PROGRAM]");
	procs = parse_count(argv[2], "process count");
	n = parse_count(argv[3], "job count");
	if (procs > 64)
		die("at most 64 processes");
	c = pg_store(argv[1]);
	if (pg_number(c, "SELECT count(*) FROM jobs WHERE state = 'pending'") < n)
		die("fewer than %ld jobs pending", n);
	PQfinish(c);

	t0 = mono_ns();
	for (long k = 0; k < procs; k++) {
		if (pipe(fds[k]) < 0)
			die("pipe: %s", strerror(errno));
		if ((pids[k] = fork()) < 0)
			die("fork: %s", strerror(errno));
		if (pids[k] == 0) {
			long d = child(argv[1], (int)k, argc == 5 ? argv[4] : NULL);

			if (write(fds[k][1], &d, sizeof d) != (ssize_t)sizeof d)
				_exit(1);
			_exit(0);
		}
		close(fds[k][1]);
	}
	for (long k = 0; k < procs; k++)
		if (wait_child(pids[k]))
			die("a claiming process failed");
	elapsed = mono_ns() - t0;
	for (long k = 0; k < procs; k++) {
		long d;

		if (read(fds[k][0], &d, sizeof d) != (ssize_t)sizeof d)
			die("a claiming process said nothing");
		done += d;
	}
	if (done != n)
		die("%ld jobs completed, not %ld", done, n);
	printf("%lld\n", (long long)elapsed);
	return 0;
}
