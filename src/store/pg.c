/*
 * pg.c - the PostgreSQL store, through libpq: a schema of its own, migrated forward under an
 * advisory lock; prepared statements; the claim with FOR UPDATE SKIP LOCKED; the database's
 * clock; wake-ups by LISTEN/NOTIFY on the worker's connection, polled by its event loop.
 *
 * The target is a libpq URL (postgresql://USER@HOST:PORT/DB?...) with one parameter of ours,
 * schema=NAME (default "queuectl"), taken out before libpq sees the URL.  Everything queuectl
 * keeps lives in that schema, so that several queues can share one database.
 *
 * Concurrency model: every process has its own connection, in READ COMMITTED.  As in
 * sqlite.c, every change to a job is one UPDATE guarded by the state (and owner, and run)
 * the caller expects: a second writer waits for the first's row lock, then finds the guard
 * false on the row as the first left it.  Claimers never wait for each other: SKIP LOCKED
 * passes over the rows another claim is taking.
 *
 * Credentials: the URL may hold a password.  Nothing this file prints or stores names it:
 * base.target is the URL without it, and every message from libpq or the server is scrubbed
 * of it (scrub) before it goes into an error.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "../util.h"
#include "backend.h"
#include "states.h"
#include "pgload.h"

#define DEFAULT_SCHEMA "queuectl"
/* Seconds a connection attempt may take unless the URL or PGCONNECT_TIMEOUT says. */
#define CONNECT_TIMEOUT "5"
/*
 * Milliseconds that what we sent may go unacknowledged before the kernel gives up the
 * connection (TCP_USER_TIMEOUT), unless the URL says: statements block, and on a network
 * cut TCP's own retransmissions would hold one, and a worker's loop, for up to 15 minutes.
 */
#define TCP_USER_TIMEOUT "5000"
/* An idle worker looks for work at least this often, whatever it hears (ms). */
#define BACKSTOP_MS 3000
/* The wait for a lost listening connection to come back: doubled up to the backstop (ms). */
#define RECONNECT_MIN_MS 250
/* How often a watcher of changes (changes_fd) looks again (ms): there is no notification
 * for every write, which would cost each write NOTIFY's commit lock. */
#define CHANGES_MS 200

/*
 * The schema.  If you change it, append a migration; never edit one that has shipped, since
 * databases out there have run it.  The one row of queuectl_schema counts them, and its
 * table's presence marks the schema as queuectl's.
 *
 * As in sqlite.c: times are bigint ms since the epoch, seq keeps creation order.  Ids and
 * keys sort bytewise (COLLATE "C"), as SQLite sorts them, whatever the database's locale:
 * resolve finds a prefix by range.  Counts and the figures of metrics are kept by triggers
 * (migration 2), never on a row that every writer updates, which would make every writer
 * wait for every other.
 */
static const char *const migrations[] = {
	/* 1: the first schema, as SQLite's at its version 3 */
	"CREATE TABLE jobs ("
	"  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
	"  id text COLLATE \"C\" NOT NULL UNIQUE,"
	"  command text NOT NULL,"
	"  state text NOT NULL CHECK (state IN"
	"    ('pending','processing','completed','failed','dead')),"
	"  queue text NOT NULL,"
	"  priority bigint NOT NULL,"
	"  attempts integer NOT NULL,"
	"  max_retries integer NOT NULL,"
	"  runs integer NOT NULL DEFAULT 0,"
	"  timeout bigint NOT NULL,"
	"  backoff_base double precision,"
	"  run_at bigint NOT NULL,"
	"  created_at bigint NOT NULL,"
	"  updated_at bigint NOT NULL,"
	"  started_at bigint,"
	"  finished_at bigint,"
	"  last_error text,"
	"  exit_code integer,"
	"  worker_id text,"
	"  lease_until bigint,"
	"  pid integer,"
	"  pid_start bigint,"
	"  output bytea,"
	"  argv text" /* a word list as a JSON array of strings; NULL: a shell command */
	");"
	/* The claim walks this in order and stops after the first due rows it can lock. */
	"CREATE INDEX jobs_claim ON jobs (priority DESC, seq) WHERE state IN ('pending','failed');"
	"CREATE INDEX jobs_due ON jobs (run_at) WHERE state IN ('pending','failed');"
	"CREATE INDEX jobs_state ON jobs (state, seq);"
	"CREATE INDEX jobs_lease ON jobs (lease_until) WHERE state = 'processing';"
	"CREATE INDEX jobs_owner ON jobs (worker_id) WHERE state = 'processing';"
	"CREATE TABLE attempts ("
	"  job_id text COLLATE \"C\" NOT NULL,"
	"  run integer NOT NULL,"
	"  attempt integer NOT NULL,"
	"  started_at bigint NOT NULL,"
	"  finished_at bigint NOT NULL,"
	"  outcome text NOT NULL,"
	"  error text,"
	"  exit_code integer,"
	"  worker_id text,"
	"  machine text,"
	"  log_path text,"
	"  PRIMARY KEY (job_id, run)"
	");"
	/* A job's history goes with it, as SQLite's trigger does (no foreign key: a history
	 * may be written for a job another process has just deleted). */
	"CREATE FUNCTION jobs_delete_attempts() RETURNS trigger LANGUAGE plpgsql"
	"  SET search_path FROM CURRENT AS $$"
	"  BEGIN DELETE FROM attempts WHERE job_id = OLD.id; RETURN NULL; END $$;"
	"CREATE TRIGGER jobs_delete_attempts AFTER DELETE ON jobs"
	"  FOR EACH ROW EXECUTE FUNCTION jobs_delete_attempts();"
	"CREATE TABLE config (key text COLLATE \"C\" PRIMARY KEY, value text NOT NULL);"
	"CREATE TABLE workers ("
	"  id text COLLATE \"C\" PRIMARY KEY,"
	"  host text NOT NULL,"
	"  machine text,"
	"  pid integer NOT NULL,"
	"  pid_start bigint NOT NULL,"
	"  slots integer NOT NULL,"
	"  queues text,"
	"  started_at bigint NOT NULL,"
	"  heartbeat_at bigint NOT NULL,"
	"  stale_at bigint"
	");",
	/*
	 * 2: the figures of metrics and stats, as SQLite's migration 4 keeps them (the same
	 * meaning, the same buckets), written by triggers in the transaction of the change they
	 * count, so that they never go back (a purge deletes jobs, not counts) and every
	 * process reads the same.
	 *
	 * Unlike SQLite's, no trigger updates a shared row: a claim, a finish or an enqueue
	 * appends its changes to figure_changes, and an INSERT waits for no other writer.  Now
	 * and then (one change in 32) the trigger folds them into figures: fold_figures takes
	 * a transaction-scoped advisory lock if it is free (never waiting for it), so one
	 * folder at a time updates figures' rows and no writer ever waits for another or
	 * deadlocks with it.  A reader sums figures and figure_changes in one statement: the
	 * figures as of its snapshot, a fold being all or nothing.
	 *
	 * kind: 's' the jobs of a queue in state name, 'c' a counter (le -1), 'h' the bucket le
	 * (its upper bound in ms; the last one INT64_MAX) of the histogram name.
	 */
	"CREATE TABLE buckets (le bigint PRIMARY KEY);"
	"INSERT INTO buckets VALUES (5), (10), (25), (50), (100), (250), (500), (1000), (2500),"
	"  (5000), (10000), (30000), (60000), (120000), (300000), (600000), (1800000), (3600000),"
	"  (21600000), (86400000), (9223372036854775807);"
	"CREATE TABLE figures (kind text NOT NULL, queue text NOT NULL, name text NOT NULL,"
	"  le bigint NOT NULL, n bigint NOT NULL,"
	"  sum_ms bigint NOT NULL, PRIMARY KEY (kind, queue, name, le));"
	"CREATE TABLE figure_changes (kind text NOT NULL, queue text NOT NULL, name text NOT NULL,"
	"  le bigint NOT NULL, n bigint NOT NULL,"
	"  sum_ms bigint NOT NULL);"
	/* What the store held when it was upgraded, counted in as well as it can be. */
	"INSERT INTO figures SELECT 's', queue, state, 0, count(*), 0 FROM jobs GROUP BY 2, 3;"
	"INSERT INTO figures SELECT 'c', queue, 'enqueued', -1, count(*), 0 FROM jobs GROUP BY 2;"
	"INSERT INTO figures SELECT 'c', j.queue, o.name, -1, count(*), 0 FROM attempts a"
	"  JOIN jobs j ON j.id = a.job_id"
	"  JOIN (VALUES ('completed', 'completed'), ('failed', 'failed_attempts'),"
	"    ('dead', 'failed_attempts'), ('dead', 'dead')) o (outcome, name)"
	"    ON o.outcome = a.outcome"
	"  GROUP BY 2, 3;"
	"INSERT INTO figures SELECT 'h', j.queue, 'duration', b.le, count(*),"
	"  sum(greatest(0, a.finished_at - a.started_at)) FROM attempts a"
	"  JOIN jobs j ON j.id = a.job_id"
	"  CROSS JOIN LATERAL (SELECT min(le) AS le FROM buckets"
	"    WHERE le >= greatest(0, a.finished_at - a.started_at)) b"
	"  WHERE a.outcome IN ('completed','failed','dead') GROUP BY 2, 4;"
	"CREATE FUNCTION fold_figures() RETURNS void LANGUAGE plpgsql"
	"  SET search_path FROM CURRENT AS $$"
	"  BEGIN"
	"    IF pg_try_advisory_xact_lock('figure_changes'::regclass::oid::bigint) THEN"
	"      WITH d AS (DELETE FROM figure_changes RETURNING *)"
	"      INSERT INTO figures SELECT kind, queue, name, le, sum(n), sum(sum_ms) FROM d"
	"        GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4"
	"      ON CONFLICT (kind, queue, name, le) DO UPDATE SET n = figures.n + EXCLUDED.n,"
	"        sum_ms = figures.sum_ms + EXCLUDED.sum_ms;"
	"    END IF;"
	"  END $$;"
	/*
	 * A job enqueued, deleted or moved to another state; a claim adds its wait, from its
	 * due time to its start (a write that takes a job without a start time is counted at
	 * its update time: a trigger must never fail one).
	 */
	"CREATE FUNCTION jobs_figures() RETURNS trigger LANGUAGE plpgsql"
	"  SET search_path FROM CURRENT AS $$"
	"  DECLARE w bigint;"
	"  BEGIN"
	"    IF TG_OP = 'INSERT' THEN"
	"      INSERT INTO figure_changes VALUES ('s', NEW.queue, NEW.state, 0, 1, 0),"
	"        ('c', NEW.queue, 'enqueued', -1, 1, 0);"
	"    ELSIF TG_OP = 'DELETE' THEN"
	"      INSERT INTO figure_changes VALUES ('s', OLD.queue, OLD.state, 0, -1, 0);"
	"    ELSE"
	"      INSERT INTO figure_changes VALUES ('s', OLD.queue, OLD.state, 0, -1, 0),"
	"        ('s', NEW.queue, NEW.state, 0, 1, 0);"
	"      IF NEW.state = 'processing' AND OLD.state IN ('pending','failed') THEN"
	"        w := greatest(0, coalesce(NEW.started_at, NEW.updated_at) - OLD.run_at);"
	"        INSERT INTO figure_changes SELECT 'h', NEW.queue, 'wait', min(le), 1, w"
	"          FROM buckets WHERE le >= w;"
	"      END IF;"
	"    END IF;"
	"    IF random() < 1.0 / 32 THEN PERFORM fold_figures(); END IF;"
	"    RETURN NULL;"
	"  END $$;"
	"CREATE TRIGGER jobs_figures AFTER INSERT OR DELETE ON jobs"
	"  FOR EACH ROW EXECUTE FUNCTION jobs_figures();"
	"CREATE TRIGGER jobs_figures_state AFTER UPDATE OF state ON jobs"
	"  FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state)"
	"  EXECUTE FUNCTION jobs_figures();"
	/*
	 * An attempt's end, recorded with its job's new state (queue_finish).  As SQLite's
	 * INSERT OR REPLACE counts a record that replaces another, so does the upsert here
	 * (an UPDATE to the trigger).
	 */
	"CREATE FUNCTION attempts_figures() RETURNS trigger LANGUAGE plpgsql"
	"  SET search_path FROM CURRENT AS $$"
	"  DECLARE q text; d bigint;"
	"  BEGIN"
	"    SELECT queue INTO q FROM jobs WHERE id = NEW.job_id;"
	"    IF NOT FOUND THEN RETURN NULL; END IF;"
	"    d := greatest(0, NEW.finished_at - NEW.started_at);"
	"    INSERT INTO figure_changes VALUES ('c', q,"
	"      CASE NEW.outcome WHEN 'completed' THEN 'completed' ELSE 'failed_attempts' END,"
	"      -1, 1, 0);"
	"    IF NEW.outcome = 'dead' THEN"
	"      INSERT INTO figure_changes VALUES ('c', q, 'dead', -1, 1, 0);"
	"    END IF;"
	"    INSERT INTO figure_changes SELECT 'h', q, 'duration', min(le), 1, d"
	"      FROM buckets WHERE le >= d;"
	"    RETURN NULL;"
	"  END $$;"
	"CREATE TRIGGER attempts_figures AFTER INSERT OR UPDATE ON attempts FOR EACH ROW"
	"  WHEN (NEW.outcome IN ('completed','failed','dead'))"
	"  EXECUTE FUNCTION attempts_figures();"
	/* The oldest due job of one queue: the first entry of its range (summaries). */
	"CREATE INDEX jobs_queue_due ON jobs (queue, run_at) WHERE state IN ('pending','failed');"
	"CREATE INDEX attempts_finished ON attempts (finished_at);",
	/* 3: a worker asked to stop by 'worker stop', which reads it when woken */
	"ALTER TABLE workers ADD COLUMN stop_requested boolean NOT NULL DEFAULT false;",
	/*
	 * 4: at most one fold in a transaction from the triggers.  A fold deletes every row
	 * of figure_changes, and the rows a transaction deleted stay in the table, dead, until
	 * it ends, for every later fold of the same transaction to step over: one change in
	 * 32 folding made a transaction of n changes cost n * n / 32 (an enqueue --file of a
	 * million jobs did not end).  A transaction that made many changes folds once more,
	 * at its end (pg_commit: fold_figures_now).  The flag is the transaction's id in a
	 * setting of the session: a function with a SET clause undoes a SET LOCAL made in it.
	 */
	"CREATE FUNCTION fold_figures_now() RETURNS void LANGUAGE plpgsql"
	"  SET search_path FROM CURRENT AS $$"
	"  BEGIN"
	"    IF pg_try_advisory_xact_lock('figure_changes'::regclass::oid::bigint) THEN"
	"      PERFORM set_config('queuectl.folded_in', txid_current()::text, false);"
	"      WITH d AS (DELETE FROM figure_changes RETURNING *)"
	"      INSERT INTO figures SELECT kind, queue, name, le, sum(n), sum(sum_ms) FROM d"
	"        GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4"
	"      ON CONFLICT (kind, queue, name, le) DO UPDATE SET n = figures.n + EXCLUDED.n,"
	"        sum_ms = figures.sum_ms + EXCLUDED.sum_ms;"
	"    END IF;"
	"  END $$;"
	"CREATE OR REPLACE FUNCTION fold_figures() RETURNS void LANGUAGE plpgsql"
	"  SET search_path FROM CURRENT AS $$"
	"  BEGIN"
	"    IF current_setting('queuectl.folded_in', true) IS DISTINCT FROM"
	"       txid_current()::text THEN"
	"      PERFORM fold_figures_now();"
	"    END IF;"
	"  END $$;",
};
#define SCHEMA_VERSION ((int)(sizeof migrations / sizeof migrations[0]))
/* A transaction that inserted this many jobs folds the figures as it commits. */
#define FOLD_AFTER 32

/*
 * The columns of a job as read_job reads them, in this order, then seq, then the detail
 * (output) where a statement reads it.  INSERT binds the same list and output, $1 to $23.
 */
#define JOB_COLS                                                                              \
	"id, command, state, queue, priority, attempts, max_retries, runs, timeout, "         \
	"backoff_base, run_at, created_at, updated_at, started_at, finished_at, last_error, " \
	"exit_code, worker_id, lease_until, pid, pid_start, argv"
#define JOB_NCOLS 22
#define ATTEMPT_COLS                                                                          \
	"job_id, run, attempt, started_at, finished_at, outcome, error, exit_code, worker_id, " \
	"machine, log_path"
#define WORKER_COLS                                                                           \
	"id, host, machine, pid, pid_start, slots, queues, started_at, heartbeat_at, stale_at"

/* The jobs a claim may take, run_at aside: $QN is NULL or the array of queue names. */
#define DUE_WHERE(QN)                                                                         \
	"state IN (" CLAIM_FROM ") AND ($" QN "::text[] IS NULL OR queue = ANY ($" QN         \
	"::text[]))"

/*
 * A listing's filter but its state: queue $2, owner $4, id prefix $5, command text $6; after
 * the job of seq $7 (0 for all).
 */
#define LIST_WHERE                                                                            \
	"($2::text IS NULL OR queue = $2) AND ($4::text IS NULL OR worker_id = $4) "          \
	"AND ($5::text IS NULL OR starts_with(id, $5)) "                                      \
	"AND ($6::text IS NULL OR strpos(command, $6) > 0) AND seq > $7"

/* The server's clock in ms since the epoch: clock_timestamp(), not now(), which stands still
 * in a transaction.  Also sent with BEGIN (pg_begin). */
#define NOW_SQL "SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint"
/*
 * The figures of the kinds KINDS (migration 2) as of the statement's snapshot: those folded
 * and the changes not yet folded, to be summed by queue, name and le.
 */
#define FIGURES(KINDS)                                                                        \
	"SELECT kind, queue, name, le, n, sum_ms FROM figures WHERE kind IN (" KINDS ") "     \
	"UNION ALL SELECT kind, queue, name, le, n, sum_ms FROM figure_changes "              \
	"WHERE kind IN (" KINDS ")"

/* Every statement, prepared once per connection on its second use and kept. */
enum stmt_id {
	S_NOW,
	S_INSERT,
	S_FOLD,
	S_RESOLVE,
	S_GET,
	S_LIST_ALL,
	S_LIST_STATE,
	S_COUNTS,
	S_UPDATE,
	S_REMOVE,
	S_EXISTS,
	S_PURGE,
	S_CONFIG_LIST,
	S_CONFIG_SET,
	S_CONFIG_UNSET,
	S_CLAIM,
	S_UNCLAIM,
	S_STARTED,
	S_RENEW,
	S_RELEASE,
	S_GIVE_BACK,
	S_RECOVER,
	S_WORKER_PRUNE,
	S_NEXT_DUE,
	S_ATTEMPT_ADD,
	S_ATTEMPT_LIST,
	S_WORKER_ADD,
	S_WORKER_BEAT,
	S_WORKER_REMOVE,
	S_WORKER_LIST,
	S_WORKER_STOP,
	S_WORKER_STOP_REQUESTED,
	S_SUMMARIES,
	S_COUNTERS,
	S_FINISHED_SINCE,
	S_COUNT
};

static const char *const stmt_sql[S_COUNT] = {
	/* The database's clock, not the transaction's start: now() stands still in one. */
	[S_NOW] = NOW_SQL,
	[S_FOLD] = "SELECT fold_figures_now()",
	[S_INSERT] = "INSERT INTO jobs (" JOB_COLS ", output) VALUES ($1, $2, $3, $4, $5, $6, $7, "
		     "$8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23)",
	/*
	 * The first two ids that start with the prefix ($2 is the prefix and a DEL, which sorts
	 * after every character of an id): the id itself, or generated ids (32 lowercase hex
	 * digits); enough to tell none, one and many.
	 */
	[S_RESOLVE] = "SELECT id FROM jobs WHERE id >= $1 AND id < $2 AND (id = $1 OR "
		      "(length(id) = 32 AND id !~ '[^0-9a-f]')) ORDER BY id LIMIT 2",
	[S_GET] = "SELECT " JOB_COLS ", seq, output FROM jobs WHERE id = $1",
	/* $1, the state, is always NULL here: both statements take the same parameters. */
	[S_LIST_ALL] = "SELECT " JOB_COLS ", seq FROM jobs WHERE $1::text IS NULL AND " LIST_WHERE
		       " ORDER BY seq LIMIT $3",
	[S_LIST_STATE] = "SELECT " JOB_COLS ", seq FROM jobs WHERE state = $1 AND " LIST_WHERE
			 " ORDER BY seq LIMIT $3",
	[S_COUNTS] = "SELECT name, sum(n) FROM (" FIGURES("'s'") ") f GROUP BY name",
	/*
	 * Fenced on the owner and on the run: a worker that lost a job (its lease ran out, the
	 * job was recovered and claimed again, even by this same worker) can never write over
	 * the run that holds it now.
	 */
	[S_UPDATE] = "UPDATE jobs SET state = $1, attempts = $2, run_at = $3, updated_at = $4, "
		     "started_at = $5, finished_at = $6, last_error = $7, exit_code = $8, "
		     "worker_id = $9, lease_until = $10, output = $11 "
		     "WHERE id = $12 AND state = $13 "
		     "AND ($14::text IS NULL OR (worker_id = $14 AND runs = $15))",
	[S_REMOVE] = "DELETE FROM jobs WHERE id = $1 AND state IN (" DELETE_FROM ")",
	[S_EXISTS] = "SELECT state FROM jobs WHERE id = $1",
	[S_PURGE] = "DELETE FROM jobs WHERE state = $1 AND updated_at < $2 RETURNING id",
	[S_CONFIG_LIST] = "SELECT key, value FROM config ORDER BY key",
	[S_CONFIG_SET] = "INSERT INTO config (key, value) VALUES ($1, $2) "
			 "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
	[S_CONFIG_UNSET] = "DELETE FROM config WHERE $1::text IS NULL OR key = $1",
	/*
	 * The claim: up to $5 due jobs in claim order, locked as they are read; rows another
	 * claim has locked are passed over, not waited for.  The rows picked are updated in
	 * the same statement, so they are never seen unlocked in between.
	 */
	[S_CLAIM] = "WITH due AS (SELECT seq FROM jobs WHERE " DUE_WHERE("4") " AND run_at <= $3 "
		    "ORDER BY priority DESC, seq LIMIT $5 FOR UPDATE SKIP LOCKED) "
		    "UPDATE jobs SET state = " CLAIM_TO ", worker_id = $1, lease_until = $2, "
		    "started_at = $3, updated_at = $3, runs = jobs.runs + 1 "
		    "FROM due WHERE jobs.seq = due.seq RETURNING " JOB_COLS ", jobs.seq",
	/* A claim whose answer was lost, undone (see pg_claim): not yet started, so no pid. */
	[S_UNCLAIM] = "UPDATE jobs SET state = " RELEASE_TO ", worker_id = NULL, lease_until = NULL "
		      "WHERE worker_id = $1 AND state = " HELD " AND started_at = $2 AND pid IS NULL",
	[S_STARTED] = "UPDATE jobs SET pid = $3, pid_start = $4 "
		      "WHERE id = $1 AND worker_id = $2 AND state = " HELD,
	[S_RENEW] = "UPDATE jobs SET lease_until = $2 WHERE worker_id = $1 AND state = " HELD,
	[S_RELEASE] = "UPDATE jobs SET state = " RELEASE_TO ", worker_id = NULL, lease_until = NULL, "
		      "updated_at = $3 "
		      "WHERE worker_id = $1 AND state = " HELD " AND ($2::text IS NULL OR id = $2)",
	[S_GIVE_BACK] = "UPDATE jobs SET state = " RELEASE_TO ", worker_id = NULL, "
			"lease_until = NULL, runs = runs - 1, updated_at = $4 "
			"WHERE id = $1 AND worker_id = $2 AND runs = $3 AND state = " HELD,
	[S_RECOVER] = "UPDATE jobs SET state = " RELEASE_TO ", worker_id = NULL, "
		      "lease_until = NULL, updated_at = $1 "
		      "WHERE state = " HELD " AND lease_until < $1 AND worker_id IS DISTINCT FROM $2",
	[S_WORKER_PRUNE] = "DELETE FROM workers WHERE stale_at < $1",
	[S_NEXT_DUE] = "SELECT run_at FROM jobs WHERE " DUE_WHERE("1") " ORDER BY run_at LIMIT 1",
	[S_ATTEMPT_ADD] = "INSERT INTO attempts (" ATTEMPT_COLS ") VALUES ($1, $2, $3, $4, $5, $6, "
			  "$7, $8, $9, $10, $11) ON CONFLICT (job_id, run) DO UPDATE SET "
			  "attempt = EXCLUDED.attempt, started_at = EXCLUDED.started_at, "
			  "finished_at = EXCLUDED.finished_at, outcome = EXCLUDED.outcome, "
			  "error = EXCLUDED.error, exit_code = EXCLUDED.exit_code, "
			  "worker_id = EXCLUDED.worker_id, machine = EXCLUDED.machine, "
			  "log_path = EXCLUDED.log_path",
	[S_ATTEMPT_LIST] = "SELECT " ATTEMPT_COLS " FROM attempts WHERE job_id = $1 ORDER BY run",
	[S_WORKER_ADD] = "INSERT INTO workers (" WORKER_COLS ") VALUES ($1, $2, $3, $4, $5, $6, $7, "
			 "$8, $9, $10) ON CONFLICT (id) DO UPDATE SET host = EXCLUDED.host, "
			 "machine = EXCLUDED.machine, pid = EXCLUDED.pid, "
			 "pid_start = EXCLUDED.pid_start, slots = EXCLUDED.slots, "
			 "queues = EXCLUDED.queues, started_at = EXCLUDED.started_at, "
			 "heartbeat_at = EXCLUDED.heartbeat_at, stale_at = EXCLUDED.stale_at, "
			 "stop_requested = false",
	[S_WORKER_BEAT] = "UPDATE workers SET heartbeat_at = $2, stale_at = $3 WHERE id = $1",
	[S_WORKER_REMOVE] = "DELETE FROM workers WHERE id = $1",
	/* busy is counted, not stored: right at every moment, and no write. */
	[S_WORKER_LIST] = "SELECT " WORKER_COLS ", (SELECT count(*) FROM jobs WHERE worker_id = "
			  "workers.id AND state = " HELD ") FROM workers ORDER BY started_at, id",
	[S_WORKER_STOP] = "UPDATE workers SET stop_requested = true WHERE id = $1",
	[S_WORKER_STOP_REQUESTED] = "SELECT stop_requested FROM workers WHERE id = $1",
	/*
	 * A queue's jobs by state, and the due time of its oldest job due at $1 (an entry of
	 * jobs_queue_due, found per queue).  A queue whose jobs are all gone keeps its rows at
	 * 0, as its counters stay.
	 */
	[S_SUMMARIES] = "SELECT c.queue, c.name, c.n, (SELECT min(run_at) FROM jobs "
			"WHERE queue = c.queue AND state IN (" CLAIM_FROM ") AND run_at <= $1) "
			"FROM (SELECT queue, name, sum(n) AS n FROM (" FIGURES("'s'") ") f "
			"GROUP BY queue, name) c ORDER BY c.queue COLLATE \"C\"",
	/* Every bucket of a histogram that has any, empty ones at 0: a steady set of series. */
	[S_COUNTERS] = "WITH f AS (SELECT kind, queue, name, le, sum(n) AS n, sum(sum_ms) AS sum_ms "
		       "FROM (" FIGURES("'c','h'") ") x GROUP BY 1, 2, 3, 4) "
		       "SELECT * FROM (SELECT queue, name, -1 AS le, n, 0 AS sum_ms FROM f "
		       "WHERE kind = 'c' UNION ALL "
		       "SELECT h.queue, h.name, b.le, coalesce(x.n, 0), coalesce(x.sum_ms, 0) "
		       "FROM (SELECT DISTINCT queue, name FROM f WHERE kind = 'h') h "
		       "CROSS JOIN buckets b LEFT JOIN f x ON x.kind = 'h' AND x.queue = h.queue "
		       "AND x.name = h.name AND x.le = b.le) u "
		       "ORDER BY queue COLLATE \"C\", name COLLATE \"C\", le",
	[S_FINISHED_SINCE] = "SELECT j.queue, a.outcome, a.started_at, a.finished_at "
			     "FROM attempts a JOIN jobs j ON j.id = a.job_id "
			     "WHERE a.finished_at >= $1 AND ($2::text IS NULL OR j.queue = $2) "
			     "AND a.outcome IN ('completed','failed','dead')",
};

struct pg_store {
	struct store base; /* base.target: the URL without its password */
	char *conninfo;	   /* the URL for libpq: ours less the schema parameter */
	char *password;	   /* the URL's password, to scrub from messages; NULL if none */
	char *name, *schema; /* the schema's name, and the same quoted */
	char *set_path, *listen, *notify; /* their statements, with the schema in them */
	PGconn *conn;
	/*
	 * A statement runs unnamed the first time on a connection (parse, bind and execute in
	 * one round trip), and is prepared the second: a command run once pays one round trip
	 * per statement, not two, and a worker still plans its statements once.
	 */
	bool used[S_COUNT], prepared[S_COUNT];
	bool in_tx;
	int tx_inserts; /* jobs inserted in the transaction: many, and pg_commit folds */
	/* The clock as read with BEGIN, until another statement runs (pg_begin). */
	bool have_clock;
	int64_t clock_ms;
	bool durable;
	int found_version; /* the schema's version before migrate ran */
	/* A claim whose answer was lost with the connection, to undo once it is back. */
	char *unclaim_worker;
	int64_t unclaim_at;
	/*
	 * Wake-ups (a worker's): the connection LISTENs on the schema's channel, and wake_fd is
	 * an epoll set of its socket and of a timer, the poll backstop and the catch-up after
	 * a reconnection.  sock is the socket in the set, -1 when none is.
	 */
	bool listening;
	int wake_fd, timer_fd, now_fd, sock; /* now_fd: an eventfd, readable at once */
	/*
	 * A worker's connection made again without blocking its loop: pending, polled from
	 * pg_wait_drain through the wake-up set (pending_sock in it), given up at its deadline.
	 */
	PGconn *pending;
	PostgresPollingStatusType pending_want;
	int pending_sock;
	int64_t pending_deadline;
	/* Reconnection: no new attempt before retry_at (time_mono_ms), backoff doubling. */
	int64_t retry_at, backoff_ms;
	struct error last; /* why the last attempt failed, said again until retry_at */
};

static struct pg_store *ps(struct store *st)
{
	assert(st->ops == &pg_store_ops);
	return (struct pg_store *)st;
}

/* --- Messages without secrets --- */

/*
 * Replace every occurrence of the password in msg (in place) by "***": applied to what
 * libpq and the server say, never to our own words around it.
 */
static void scrub(const struct pg_store *s, char *msg, size_t size)
{
	const char *pw = s->password;
	size_t n = pw ? strlen(pw) : 0;
	char *p;

	if (!n)
		return;
	while ((p = strstr(msg, pw))) {
		size_t tail = strlen(p + n) + 1;

		if (n >= 3) {
			memcpy(p, "***", 3);
			memmove(p + 3, p + n, tail);
		} else {
			/* Shorter than the mask: grow, within the buffer. */
			size_t len = strlen(msg);

			if (len + 3 - n + 1 > size)
				break;
			memmove(p + 3, p + n, tail);
			memcpy(p, "***", 3);
		}
	}
}

/* The first line of a libpq message, without "FATAL:  " or "ERROR:  ". */
static void first_line(const char *msg, char *out, size_t size)
{
	size_t n;

	if (!msg)
		msg = "";
	if (!strncmp(msg, "FATAL:  ", 8) || !strncmp(msg, "ERROR:  ", 8))
		msg += 8;
	n = strcspn(msg, "\n");
	snprintf(out, size, "%.*s", (int)n, msg);
}

/* "HOST:PORT" of a connection (a socket directory stands for its host). */
static void where(PGconn *c, char *out, size_t size)
{
	const char *host = c ? PQhost(c) : NULL, *port = c ? PQport(c) : NULL;

	snprintf(out, size, "%s:%s", host && *host ? host : "localhost",
		 port && *port ? port : "5432");
}

/*
 * A failed connection, said in one line: what could not be reached, and why in a few
 * words where the cause is a common one, else libpq's own reason, scrubbed.
 */
static int conn_error(struct pg_store *s, PGconn *c, struct error *err)
{
	const char *msg = c ? PQerrorMessage(c) : "out of memory";
	const char *user = c ? PQuser(c) : NULL, *db = c ? PQdb(c) : NULL;
	char at[512], why[600], *p;
	int rc;

	where(c, at, sizeof at);
	/* "connection to server at "h" (1.2.3.4), port 5432 failed: why" */
	if ((p = strstr(msg, " failed: ")) && !strncmp(msg, "connection to server", 20))
		msg = p + 9;
	first_line(msg, why, sizeof why);
	scrub(s, why, sizeof why);
	if (strstr(why, "invalid integer value") || strstr(why, "invalid port number"))
		rc = error_set(err, QE_INPUT, "bad database URL '%s': %s", s->base.target, why);
	else if (strstr(why, "Connection refused"))
		rc = error_set(err, QE_FAIL, "cannot reach the database at %s: connection refused", at);
	else if (strstr(why, "timeout expired"))
		rc = error_set(err, QE_FAIL, "cannot reach the database at %s: no answer in time", at);
	else if (strstr(why, "No such file or directory"))
		rc = error_set(err, QE_FAIL,
			       "cannot reach the database at %s: no server on that socket", at);
	else if (strstr(why, "could not translate host name"))
		rc = error_set(err, QE_FAIL, "cannot reach the database at %s: unknown host", at);
	else if (strstr(why, "password authentication failed") ||
		 strstr(why, "no password supplied"))
		rc = error_set(err, QE_FAIL,
			       "the database at %s refused user '%s': wrong or missing password",
			       at, user ? user : "");
	else if (strstr(why, "database \"") && strstr(why, "does not exist"))
		rc = error_set(err, QE_FAIL, "no database '%s' at %s", db ? db : "", at);
	else if (strstr(why, "role \"") && strstr(why, "does not exist"))
		rc = error_set(err, QE_FAIL, "no user '%s' at %s", user ? user : "", at);
	else
		rc = error_set(err, QE_FAIL, "cannot connect to the database at %s: %s", at, why);
	return rc;
}

/* A failed statement: what failed, and the server's (or libpq's) reason, scrubbed. */
static int query_error(struct pg_store *s, PGresult *r, const char *what, struct error *err)
{
	const char *primary = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	char why[600], at[512];
	int rc;

	if (PQstatus(s->conn) == CONNECTION_BAD) {
		where(s->conn, at, sizeof at);
		first_line(PQerrorMessage(s->conn), why, sizeof why);
		scrub(s, why, sizeof why);
		rc = error_set(err, QE_FAIL, "%s: lost the connection to the database at %s: %s",
			       what, at, why);
	} else {
		first_line(primary ? primary : PQerrorMessage(s->conn), why, sizeof why);
		scrub(s, why, sizeof why);
		rc = error_set(err, QE_FAIL, "%s: %s", what, why);
	}
	return rc;
}

/* --- The URL --- */

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Percent-decoding, in place. */
static void pct_decode(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (*s == '%' && hexval(s[1]) >= 0 && hexval(s[2]) >= 0) {
			*o++ = (char)(hexval(s[1]) * 16 + hexval(s[2]));
			s += 2;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

/*
 * Split target into the URL libpq gets (without schema=), the URL people see (without the
 * password either) and the schema name.  QE_INPUT for a schema name we would not take.
 */
static int parse_target(struct pg_store *s, const char *target, char **schema, struct error *err)
{
	struct buf lib = BUF_INIT, shown = BUF_INIT;
	const char *q = strchr(target, '?'), *auth = strstr(target, "://") + 3;
	const char *at = strchr(auth, '@'), *slash = strchr(auth, '/');
	size_t base = q ? (size_t)(q - target) : strlen(target);

	*schema = NULL;
	buf_add(&lib, target, base);
	/* The user-info part, before an '@' that comes before the path. */
	if (at && (!slash || at < slash) && (!q || at < q)) {
		const char *colon = memchr(auth, ':', (size_t)(at - auth));

		if (colon) {
			s->password = xstrndup(colon + 1, (size_t)(at - colon - 1));
			pct_decode(s->password);
			buf_add(&shown, target, (size_t)(colon - target));
			buf_add(&shown, at, (size_t)(target + base - at));
		}
	}
	if (!shown.data)
		buf_add(&shown, target, base);
	for (const char *p = q ? q + 1 : NULL; p && *p;) {
		size_t n = strcspn(p, "&");
		char *param = xstrndup(p, n);

		if (!strncmp(param, "schema=", 7)) {
			free(*schema);
			*schema = xstrdup(param + 7);
			pct_decode(*schema);
		} else if (!strncmp(param, "password=", 9)) {
			free(s->password);
			s->password = xstrdup(param + 9);
			pct_decode(s->password);
			buf_addf(&lib, "%c%s", lib.len > base ? '&' : '?', param);
		} else {
			buf_addf(&lib, "%c%s", lib.len > base ? '&' : '?', param);
			buf_addf(&shown, "%c%s", strchr(shown.data, '?') ? '&' : '?', param);
		}
		free(param);
		p += n + (p[n] == '&');
	}
	s->conninfo = buf_detach(&lib);
	s->base.target = buf_detach(&shown);
	if (!*schema)
		*schema = xstrdup(DEFAULT_SCHEMA);
	/* A name that needs no escaping anywhere it goes, and that fits NAMEDATALEN. */
	if (!**schema || strlen(*schema) > 50 || strspn(*schema, "abcdefghijklmnopqrstuvwxyz"
							    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") !=
							    strlen(*schema))
		return error_set(err, QE_INPUT,
				 "bad schema name '%.64s' in '%s': use up to 50 letters, digits, "
				 "'_' and '-'",
				 *schema, s->base.target);
	return 0;
}

/* --- Connections and statements --- */

static void ignore_notice(void *arg, const char *message)
{
}

/*
 * Start a connection to the URL: blocking (PQconnectdbParams) or not (PQconnectStartParams,
 * for connect_poll); NULL with err set if it failed at once.
 */
static PGconn *connect_start(struct pg_store *s, bool async, struct error *err)
{
	const char *kw[5], *val[5];
	PGconn *c;
	int n = 0;

	/* Ours first: the URL's own settings, expanded from dbname, override them. */
	if (!getenv("PGCONNECT_TIMEOUT")) {
		kw[n] = "connect_timeout";
		val[n++] = CONNECT_TIMEOUT;
	}
	kw[n] = "tcp_user_timeout";
	val[n++] = TCP_USER_TIMEOUT;
	kw[n] = "application_name";
	val[n++] = "queuectl";
	kw[n] = "dbname";
	val[n++] = s->conninfo;
	kw[n] = NULL;
	val[n] = NULL;
	c = async ? PQconnectStartParams(kw, val, 1) : PQconnectdbParams(kw, val, 1);
	if (!c || PQstatus(c) == CONNECTION_BAD || (!async && PQstatus(c) != CONNECTION_OK)) {
		conn_error(s, c, err);
		PQfinish(c);
		return NULL;
	}
	return c;
}

/* Our session on a new connection: no notices, the schema first in the search path. */
static int session_setup(struct pg_store *s, PGconn *c, struct error *err)
{
	PGresult *r;
	int rc = 0;

	/* Notices (a ROLLBACK with no transaction) would go to our stderr. */
	PQsetNoticeProcessor(c, ignore_notice, NULL);
	r = PQexec(c, s->set_path);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		char why[600];

		first_line(PQresultErrorMessage(r), why, sizeof why);
		scrub(s, why, sizeof why);
		rc = error_set(err, QE_FAIL, "cannot set the schema: %s", why);
	}
	PQclear(r);
	return rc;
}

static int run_simple(struct pg_store *s, const char *sql, const char *what, struct error *err);
static int undo_lost_claim(struct pg_store *s, struct error *err);

static void arm_timer(struct pg_store *s, int64_t ms);
static void after_exec(struct pg_store *s);

/* Forget the connection, and take its socket out of the wake-up set first. */
static void drop_conn(struct pg_store *s)
{
	if (s->sock >= 0)
		epoll_ctl(s->wake_fd, EPOLL_CTL_DEL, s->sock, NULL);
	s->sock = -1;
	PQfinish(s->conn);
	s->conn = NULL;
	memset(s->used, 0, sizeof s->used);
	memset(s->prepared, 0, sizeof s->prepared);
}

/* LISTEN on the connection and watch its socket (a worker's connection, after wait_fd). */
static int listen_on(struct pg_store *s, struct error *err)
{
	if (run_simple(s, s->listen, "listen", err))
		return err->code;
	s->sock = PQsocket(s->conn);
	if (epoll_ctl(s->wake_fd, EPOLL_CTL_ADD, s->sock,
		      &(struct epoll_event){ .events = EPOLLIN, .data.fd = s->sock }) < 0)
		return error_set(err, QE_FAIL, "cannot watch the database connection: %s",
				 strerror(errno));
	return 0;
}

/* A failed attempt: said again until the pause after it has passed, which grows. */
static int backoff(struct pg_store *s, struct error *err)
{
	s->backoff_ms = s->backoff_ms ? s->backoff_ms * 2 : RECONNECT_MIN_MS;
	if (s->backoff_ms > BACKSTOP_MS)
		s->backoff_ms = BACKSTOP_MS;
	s->retry_at = time_mono_ms() + s->backoff_ms;
	s->last = *err;
	if (s->listening)
		arm_timer(s, s->backoff_ms);
	return err->code;
}

/* A connection now made: our session on it, and a worker's listening again. */
static int connected(struct pg_store *s, PGconn *c, struct error *err)
{
	if (session_setup(s, c, err)) {
		PQfinish(c);
		return backoff(s, err);
	}
	s->conn = c;
	s->backoff_ms = 0;
	s->retry_at = 0;
	if (s->durable && run_simple(s, "SET synchronous_commit = on", "open", err))
		return err->code;
	if (s->listening) {
		if (listen_on(s, err))
			return err->code;
		/* The catch-up: one claim for what was enqueued while nobody listened. */
		arm_timer(s, 0);
	}
	return s->unclaim_worker ? undo_lost_claim(s, err) : 0;
}

/* Watch the pending connection's socket for what PQconnectPoll waits for. */
static void watch_pending(struct pg_store *s, PostgresPollingStatusType want)
{
	int sock = PQsocket(s->pending);
	struct epoll_event ev = {
		.events = want == PGRES_POLLING_READING ? EPOLLIN : EPOLLOUT,
		.data.fd = sock,
	};

	if (sock != s->pending_sock) {
		if (s->pending_sock >= 0)
			epoll_ctl(s->wake_fd, EPOLL_CTL_DEL, s->pending_sock, NULL);
		s->pending_sock = sock;
		if (sock >= 0)
			epoll_ctl(s->wake_fd, EPOLL_CTL_ADD, sock, &ev);
	} else if (sock >= 0) {
		epoll_ctl(s->wake_fd, EPOLL_CTL_MOD, sock, &ev);
	}
	s->pending_want = want;
}

static void abandon_pending(struct pg_store *s)
{
	if (s->pending_sock >= 0)
		epoll_ctl(s->wake_fd, EPOLL_CTL_DEL, s->pending_sock, NULL);
	s->pending_sock = -1;
	PQfinish(s->pending);
	s->pending = NULL;
}

/* The connect timeout of a connection, in ms (libpq's rule: under 2 s counts as 2 s). */
static int64_t timeout_ms(PGconn *c)
{
	PQconninfoOption *opts = PQconninfo(c);
	int64_t ms = 0;

	for (PQconninfoOption *o = opts; o && o->keyword; o++)
		if (!strcmp(o->keyword, "connect_timeout") && o->val && *o->val)
			ms = strtoll(o->val, NULL, 10) * 1000;
	PQconninfoFree(opts);
	if (ms <= 0)
		return 24 * 3600 * 1000;
	return ms < 2000 ? 2000 : ms;
}

/*
 * A step of the pending connection, when its socket is ready or its deadline has come.
 * PQconnectPoll must be called only when the socket is ready for what it asked: while a
 * TCP connect is in progress it would take "not yet" for "connected".
 */
static void connect_poll(struct pg_store *s)
{
	struct pollfd p = {
		.fd = s->pending_sock,
		.events = s->pending_want == PGRES_POLLING_READING ? POLLIN : POLLOUT,
	};
	PostgresPollingStatusType step;
	struct error err;
	char at[512];
	PGconn *c;

	if (time_mono_ms() >= s->pending_deadline) {
		where(s->pending, at, sizeof at);
		error_set(&err, QE_FAIL, "cannot reach the database at %s: no answer in time", at);
		abandon_pending(s);
		backoff(s, &err);
		return;
	}
	if (p.fd >= 0 && poll(&p, 1, 0) == 0) {
		arm_timer(s, s->pending_deadline - time_mono_ms());
		return;
	}
	switch ((step = PQconnectPoll(s->pending))) {
	case PGRES_POLLING_READING:
	case PGRES_POLLING_WRITING:
		watch_pending(s, step);
		arm_timer(s, s->pending_deadline - time_mono_ms());
		return;
	case PGRES_POLLING_OK:
		c = s->pending;
		if (s->pending_sock >= 0)
			epoll_ctl(s->wake_fd, EPOLL_CTL_DEL, s->pending_sock, NULL);
		s->pending_sock = -1;
		s->pending = NULL;
		if (connected(s, c, &err) == 0)
			arm_timer(s, 0);
		return;
	default:
		conn_error(s, s->pending, &err);
		abandon_pending(s);
		backoff(s, &err);
		return;
	}
}

/*
 * The connection for a statement: a lost one is made again, but never in a transaction,
 * which went with it (its commit must fail), and not before the backoff since the last
 * failed attempt has passed (until then that failure is the answer).  A worker's is made
 * without blocking its loop: the statement fails ("reconnecting"), connect_poll carries the
 * connection on from pg_wait_drain, and once it is made the worker's connection listens
 * again and the wake-up brings one catch-up claim.  Commands connect in the open.
 */
static int ready(struct pg_store *s, struct error *err)
{
	char at[512];
	PGconn *c;

	if (s->conn && PQstatus(s->conn) == CONNECTION_OK)
		return 0;
	if (s->in_tx)
		return query_error(s, NULL, "transaction", err);
	if (s->pending) {
		where(s->pending, at, sizeof at);
		return error_set(err, QE_FAIL, "reconnecting to the database at %s", at);
	}
	if (time_mono_ms() < s->retry_at) {
		*err = s->last;
		return err->code;
	}
	drop_conn(s);
	if (!s->listening) {
		if (!(c = connect_start(s, false, err)))
			return backoff(s, err);
		return connected(s, c, err);
	}
	if (!(c = connect_start(s, true, err)))
		return backoff(s, err);
	s->pending = c;
	s->pending_sock = -1;
	s->pending_deadline = time_mono_ms() + timeout_ms(c);
	watch_pending(s, PGRES_POLLING_WRITING);
	arm_timer(s, 0);
	where(c, at, sizeof at);
	return error_set(err, QE_FAIL, "reconnecting to the database at %s", at);
}

/* Parameters of one statement, as text (or bytes for a bytea). */
struct params {
	const char *v[24];
	int len[24], fmt[24];
	char num[24][24];
	int n;
};

static void p_text(struct params *p, const char *v)
{
	p->v[p->n] = v;
	p->len[p->n] = 0;
	p->fmt[p->n++] = 0;
}

static void p_ll(struct params *p, long long v)
{
	snprintf(p->num[p->n], sizeof p->num[0], "%lld", v);
	p_text(p, p->num[p->n]);
}

/* A number whose 0 stands for "never" or "none", stored as NULL. */
static void p_llz(struct params *p, long long v)
{
	if (v)
		p_ll(p, v);
	else
		p_text(p, NULL);
}

static void p_double(struct params *p, double v)
{
	if (v == 0) {
		p_text(p, NULL);
		return;
	}
	snprintf(p->num[p->n], sizeof p->num[0], "%.17g", v);
	p_text(p, p->num[p->n]);
}

static void p_exit(struct params *p, bool has, int code)
{
	if (has)
		p_ll(p, code);
	else
		p_text(p, NULL);
}

/* Bytes, sent as they are (binary format): a bytea. */
static void p_bytes(struct params *p, const char *v, size_t len)
{
	p->v[p->n] = v;
	p->len[p->n] = (int)len;
	p->fmt[p->n++] = v ? 1 : 0;
}

/*
 * Run statement id: unnamed the first time on this connection, prepared from the second
 * (struct pg_store's used).  Returns its result (PQclear'd by the caller), or NULL with err
 * set; *sqlstate, when given, gets the error's SQLSTATE ("" if none).
 */
static PGresult *exec_stmt(struct pg_store *s, enum stmt_id id, const struct params *p,
			   const char *what, char sqlstate[6], struct error *err)
{
	char name[16];
	PGresult *r;
	ExecStatusType st;

	if (sqlstate)
		sqlstate[0] = '\0';
	s->have_clock = false;
	if (ready(s, err))
		return NULL;
	snprintf(name, sizeof name, "q%d", (int)id);
	if (!s->used[id]) {
		s->used[id] = true;
		r = PQexecParams(s->conn, stmt_sql[id], p ? p->n : 0, NULL, p ? p->v : NULL,
				 p ? p->len : NULL, p ? p->fmt : NULL, 0);
		goto done;
	}
	if (!s->prepared[id]) {
		r = PQprepare(s->conn, name, stmt_sql[id], 0, NULL);
		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			query_error(s, r, what, err);
			PQclear(r);
			return NULL;
		}
		PQclear(r);
		s->prepared[id] = true;
	}
	r = PQexecPrepared(s->conn, name, p ? p->n : 0, p ? p->v : NULL, p ? p->len : NULL,
			   p ? p->fmt : NULL, 0);
done:
	after_exec(s);
	st = PQresultStatus(r);
	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
		return r;
	if (sqlstate) {
		const char *code = PQresultErrorField(r, PG_DIAG_SQLSTATE);

		snprintf(sqlstate, 6, "%s", code ? code : "");
	}
	query_error(s, r, what, err);
	PQclear(r);
	return NULL;
}

/* Run a statement for its row count. */
static int exec_count(struct pg_store *s, enum stmt_id id, const struct params *p,
		      const char *what, struct error *err)
{
	PGresult *r = exec_stmt(s, id, p, what, NULL, err);
	int n;

	if (!r)
		return err->code;
	n = atoi(PQcmdTuples(r));
	PQclear(r);
	return n;
}

static int run_simple(struct pg_store *s, const char *sql, const char *what, struct error *err)
{
	PGresult *r = PQexec(s->conn, sql);
	int rc = 0;

	s->have_clock = false;
	after_exec(s);
	if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
		rc = query_error(s, r, what, err);
	PQclear(r);
	return rc;
}

/* --- Rows --- */

static char *get_text(PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? NULL : xstrdup(PQgetvalue(r, row, col));
}

static long long get_ll(PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? 0 : strtoll(PQgetvalue(r, row, col), NULL, 10);
}

static int state_from_text(const char *name)
{
	enum job_state state = JOB_PENDING;

	job_state_parse(name ? name : "", &state, NULL);
	return state;
}

/* A word list stored as a JSON array of strings; NULL for what is not one. */
static char **argv_from_json(const char *text)
{
	json_t *a = json_loads(text, 0, NULL);
	size_t n = json_is_array(a) ? json_array_size(a) : 0;
	char **argv = NULL;

	if (n > 0) {
		argv = xcalloc(n + 1, sizeof *argv);
		for (size_t k = 0; k < n; k++) {
			const char *w = json_string_value(json_array_get(a, k));

			argv[k] = xstrdup(w ? w : "");
		}
	}
	json_decref(a);
	return argv;
}

/* A word list as the JSON text argv_from_json reads (malloc'd), or NULL. */
static char *argv_to_json(char *const *argv)
{
	json_t *a;
	char *text;

	if (!argv)
		return NULL;
	a = json_array();
	for (int k = 0; argv[k]; k++)
		json_array_append_new(a, json_string(argv[k]));
	text = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	return text;
}

/* A row of JOB_COLS and seq (and output after them when detail) into job; job_release frees it. */
static void read_job(PGresult *r, int row, bool detail, struct job *job)
{
	job_init(job);
	job->id = get_text(r, row, 0);
	job->command = get_text(r, row, 1);
	job->state = (enum job_state)state_from_text(PQgetvalue(r, row, 2));
	job->queue = get_text(r, row, 3);
	job->priority = get_ll(r, row, 4);
	job->attempts = (int)get_ll(r, row, 5);
	job->max_retries = (int)get_ll(r, row, 6);
	job->runs = (int)get_ll(r, row, 7);
	job->timeout = get_ll(r, row, 8);
	job->backoff_base = PQgetisnull(r, row, 9) ? 0 : strtod(PQgetvalue(r, row, 9), NULL);
	job->run_at = get_ll(r, row, 10);
	job->created_at = get_ll(r, row, 11);
	job->updated_at = get_ll(r, row, 12);
	job->started_at = get_ll(r, row, 13);
	job->finished_at = get_ll(r, row, 14);
	job->last_error = get_text(r, row, 15);
	job->has_exit_code = !PQgetisnull(r, row, 16);
	job->exit_code = (int)get_ll(r, row, 16);
	job->worker_id = get_text(r, row, 17);
	job->lease_until = get_ll(r, row, 18);
	job->pid = (int)get_ll(r, row, 19);
	job->pid_start = get_ll(r, row, 20);
	job->argv = PQgetisnull(r, row, 21) ? NULL : argv_from_json(PQgetvalue(r, row, 21));
	job->seq = get_ll(r, row, JOB_NCOLS);
	if (detail && !PQgetisnull(r, row, JOB_NCOLS + 1)) {
		size_t n = 0;
		unsigned char *bytes = PQunescapeBytea(
			(const unsigned char *)PQgetvalue(r, row, JOB_NCOLS + 1), &n);

		job->output = xstrndup(bytes ? (const char *)bytes : "", bytes ? n : 0);
		job->output_len = bytes ? n : 0;
		PQfreemem(bytes);
	}
}

/*
 * The fields of JOB_COLS, then output: the parameters of S_INSERT.  argv_text holds the word
 * list's text, for the caller to free after the statement.
 */
static void bind_job(struct params *p, const struct job *job, char **argv_text)
{
	p_text(p, job->id);
	p_text(p, job->command);
	p_text(p, job_state_name(job->state));
	p_text(p, job->queue);
	p_ll(p, job->priority);
	p_ll(p, job->attempts);
	p_ll(p, job->max_retries);
	p_ll(p, job->runs);
	p_ll(p, job->timeout);
	p_double(p, job->backoff_base);
	p_ll(p, job->run_at);
	p_ll(p, job->created_at);
	p_ll(p, job->updated_at);
	p_llz(p, job->started_at);
	p_llz(p, job->finished_at);
	p_text(p, job->last_error);
	p_exit(p, job->has_exit_code, job->exit_code);
	p_text(p, job->worker_id);
	p_llz(p, job->lease_until);
	p_llz(p, job->pid);
	p_llz(p, job->pid_start);
	p_text(p, (*argv_text = argv_to_json(job->argv)));
	p_bytes(p, job->output, job->output_len);
}

/* --- The schema --- */

/* One number a query returns (NULL is 0); QE_* on failure. */
static int query_ll(struct pg_store *s, const char *sql, long long *v, char sqlstate[6],
		    struct error *err)
{
	PGresult *r = PQexec(s->conn, sql);
	int rc = 0;

	sqlstate[0] = '\0';
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
		*v = get_ll(r, 0, 0);
	} else {
		const char *code = PQresultErrorField(r, PG_DIAG_SQLSTATE);

		snprintf(sqlstate, 6, "%s", code ? code : "");
		rc = query_error(s, r, "open", err);
	}
	PQclear(r);
	return rc;
}

/*
 * Bring the schema up to SCHEMA_VERSION, in one transaction so that a failure leaves it as
 * it was, under an advisory lock so that two processes opening a new database do not both
 * migrate (the second waits, then finds the work done).
 */
static int migrate(struct pg_store *s, struct error *err)
{
	char state[6], at[512], *sql;
	long long version = 0, v;
	int rc;

	/*
	 * The common case in one round trip: the search path set, and the schema there at our
	 * version.  Two statements in one string are one transaction: when the second fails,
	 * the first is undone, and the search path is set again alone.
	 */
	where(s->conn, at, sizeof at);
	sql = xasprintf("%s; SELECT version FROM queuectl_schema", s->set_path);
	rc = query_ll(s, sql, &version, state, err);
	free(sql);
	if (rc == 0) {
		s->found_version = (int)version;
		if (version == SCHEMA_VERSION)
			return 0;
	} else if (strcmp(state, "42P01")) { /* anything but "no such table" */
		return err->code;
	} else if (run_simple(s, s->set_path, "open", err)) {
		return err->code;
	}
	if (version > SCHEMA_VERSION)
		goto newer;
	if (run_simple(s, "BEGIN", "migrate", err))
		return err->code;
	/* The lock's key is the schema's name: one lock per queue, whoever migrates it. */
	sql = xasprintf("SELECT count(*) FROM (SELECT pg_advisory_xact_lock(hashtext('queuectl "
			"schema %s'))) l",
			s->name);
	rc = query_ll(s, sql, &v, state, err);
	free(sql);
	if (rc)
		goto fail;
	/* Another process may have migrated while we waited for the lock. */
	sql = xasprintf("SELECT CASE WHEN to_regclass('%s.queuectl_schema') IS NOT NULL THEN -1 "
			"ELSE (SELECT count(*) FROM pg_tables WHERE schemaname = '%s') END",
			s->schema, s->name);
	rc = query_ll(s, sql, &v, state, err);
	free(sql);
	if (rc)
		goto fail;
	if (v == -1) {
		if (query_ll(s, "SELECT version FROM queuectl_schema", &version, state, err))
			goto fail;
		s->found_version = (int)version;
	} else if (v > 0) {
		/* Never take over another program's tables: only an empty schema becomes ours. */
		rc = error_set(err, QE_FAIL,
			       "schema %s of the database at %s is not queuectl's (it holds another "
			       "program's tables): choose another with ?schema=NAME",
			       s->schema, at);
		goto fail;
	} else {
		version = 0;
		s->found_version = 0;
		sql = xasprintf("CREATE SCHEMA IF NOT EXISTS %s; "
				"CREATE TABLE queuectl_schema (version integer NOT NULL); "
				"INSERT INTO queuectl_schema VALUES (0)",
				s->schema);
		rc = run_simple(s, sql, "create the schema", err);
		free(sql);
		if (rc)
			goto fail;
	}
	if (version > SCHEMA_VERSION) {
		run_simple(s, "ROLLBACK", "migrate", err);
		goto newer;
	}
	for (; version < SCHEMA_VERSION; version++) {
		sql = xasprintf("%s; UPDATE queuectl_schema SET version = %lld", migrations[version],
				version + 1);
		rc = run_simple(s, sql, "migrate", err);
		free(sql);
		if (rc)
			goto fail;
	}
	if (run_simple(s, "COMMIT", "migrate", err))
		goto fail;
	return 0;
fail:
	rc = err->code;
	PQclear(PQexec(s->conn, "ROLLBACK"));
	return rc;
newer:
	return error_set(err, QE_FAIL,
			 "schema %s of the database at %s has version %lld, newer than this "
			 "queuectl's %d: upgrade queuectl",
			 s->schema, at, version, SCHEMA_VERSION);
}

/* --- Operations --- */

static void pg_close(struct store *st)
{
	struct pg_store *s = ps(st);

	drop_conn(s);
	if (s->pending)
		abandon_pending(s);
	if (s->wake_fd >= 0)
		close(s->wake_fd);
	if (s->timer_fd >= 0)
		close(s->timer_fd);
	if (s->now_fd >= 0)
		close(s->now_fd);
	free(s->conninfo);
	free(s->password);
	free(s->name);
	free(s->schema);
	free(s->set_path);
	free(s->listen);
	free(s->notify);
	free(s->unclaim_worker);
	free(s->base.target);
	free(s);
}

static int pg_open(const char *target, struct store **out, struct error *err)
{
	struct pg_store *s;
	char *bad = NULL;
	PQconninfoOption *opts;
	int rc;

	assert(backend_state_lists_ok());
	/* libpq is loaded here, by the first PostgreSQL store a process opens (pgload.c). */
	*out = NULL;
	if ((rc = pq_load(err)))
		return rc;
	s = xcalloc(1, sizeof *s);
	s->base.ops = &pg_store_ops;
	s->wake_fd = s->timer_fd = s->now_fd = s->sock = s->pending_sock = -1;
	if ((rc = parse_target(s, target, &s->name, err)))
		goto fail;
	/* A URL libpq cannot read is bad input, said before any connection is tried. */
	if (!(opts = PQconninfoParse(s->conninfo, &bad))) {
		char why[600];

		first_line(bad ? bad : "out of memory", why, sizeof why);
		scrub(s, why, sizeof why);
		rc = error_set(err, QE_INPUT, "bad database URL '%s': %s", s->base.target, why);
		PQfreemem(bad);
		goto fail;
	}
	PQconninfoFree(opts);
	s->schema = xasprintf("\"%s\"", s->name);
	s->set_path = xasprintf("SET search_path TO %s", s->schema);
	s->listen = xasprintf("LISTEN \"queuectl:%s\"", s->name);
	s->notify = xasprintf("NOTIFY \"queuectl:%s\"", s->name);
	/*
	 * Our session as session_setup makes it, but the search path is set by migrate's
	 * first statement, in the same round trip.
	 */
	if (!(s->conn = connect_start(s, false, err))) {
		rc = err->code;
		goto fail;
	}
	PQsetNoticeProcessor(s->conn, ignore_notice, NULL);
	if ((rc = migrate(s, err)))
		goto fail;
	*out = &s->base;
	return 0;
fail:
	pg_close(&s->base);
	return rc;
}

static int pg_now(struct store *st, int64_t *ms, struct error *err)
{
	struct pg_store *s = ps(st);
	PGresult *r;

	if (s->have_clock) {
		*ms = s->clock_ms;
		s->have_clock = false;
		return 0;
	}
	if (!(r = exec_stmt(s, S_NOW, NULL, "read the clock", NULL, err)))
		return err->code;
	*ms = get_ll(r, 0, 0);
	PQclear(r);
	return 0;
}

/*
 * BEGIN and a reading of the clock, in one round trip: the clock is what most transactions
 * read first (a worker's round, whose claim a woken worker waits for before its job starts;
 * a heartbeat), and every round trip before a claim adds to the pickup latency.  The
 * reading stands for pg_now only until another statement runs, so every time written is
 * read where it was before, right after BEGIN and before anything else of the transaction.
 */
static int pg_begin(struct store *st, struct error *err)
{
	struct pg_store *s = ps(st);
	PGresult *r;

	if (ready(s, err))
		return err->code;
	r = PQexec(s->conn, "BEGIN; " NOW_SQL);
	after_exec(s);
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
		query_error(s, r, "begin", err);
		PQclear(r);
		/* BEGIN done, the clock's reading failed: nothing of the transaction is kept. */
		if (PQtransactionStatus(s->conn) != PQTRANS_IDLE)
			PQclear(PQexec(s->conn, "ROLLBACK"));
		return err->code;
	}
	s->clock_ms = get_ll(r, 0, 0);
	PQclear(r);
	s->have_clock = true;
	s->in_tx = true;
	return 0;
}

/* A commit that fails ends the transaction in PostgreSQL; pg_rollback is then harmless. */
static int pg_commit(struct store *st, struct error *err)
{
	struct pg_store *s = ps(st);

	if (PQstatus(s->conn) != CONNECTION_OK)
		return query_error(s, NULL, "commit", err);
	/* Many changes: their figures folded now, not left for readers to sum (migration 4). */
	if (s->tx_inserts >= FOLD_AFTER) {
		PGresult *r = exec_stmt(s, S_FOLD, NULL, "fold the figures", NULL, err);

		if (!r)
			return err->code;
		PQclear(r);
	}
	if (run_simple(s, "COMMIT", "commit", err))
		return err->code;
	s->in_tx = s->have_clock = false;
	s->tx_inserts = 0;
	return 0;
}

static void pg_rollback(struct store *st)
{
	struct pg_store *s = ps(st);

	if (s->in_tx && PQstatus(s->conn) == CONNECTION_OK)
		PQclear(PQexec(s->conn, "ROLLBACK"));
	s->in_tx = s->have_clock = false;
	s->tx_inserts = 0;
}

static int pg_insert(struct store *st, const struct job *job, struct error *err)
{
	struct pg_store *s = ps(st);
	struct params p = { .n = 0 };
	char state[6], *argv_text;
	PGresult *r;

	bind_job(&p, job, &argv_text);
	r = exec_stmt(s, S_INSERT, &p, "enqueue", state, err);
	free(argv_text);
	if (r) {
		PQclear(r);
		s->tx_inserts += s->in_tx;
		return 0;
	}
	if (!strcmp(state, "23505"))
		return error_set(err, QE_CONFLICT, "a job with id '%s' already exists", job->id);
	return err->code;
}

static int pg_resolve(struct store *st, const char *lo, const char *hi, char *found[2], int *n,
		      struct error *err)
{
	struct params p = { .n = 0 };
	PGresult *r;

	p_text(&p, lo);
	p_text(&p, hi);
	if (!(r = exec_stmt(ps(st), S_RESOLVE, &p, "find job", NULL, err)))
		return err->code;
	for (int i = 0; i < PQntuples(r) && i < 2; i++)
		found[(*n)++] = xstrdup(PQgetvalue(r, i, 0));
	PQclear(r);
	return 0;
}

static int pg_get(struct store *st, const char *id, struct job *job, struct error *err)
{
	struct params p = { .n = 0 };
	PGresult *r;

	p_text(&p, id);
	if (!(r = exec_stmt(ps(st), S_GET, &p, "read job", NULL, err)))
		return err->code;
	if (PQntuples(r) == 0) {
		PQclear(r);
		return error_set(err, QE_NOTFOUND, "no job '%s'", id);
	}
	read_job(r, 0, true, job);
	PQclear(r);
	return 0;
}

/*
 * The rows come in one result, as libpq reads a statement's rows: a listing of every job
 * holds them all in memory once.  (Single-row mode would stream them, at a round trip's
 * worth of bookkeeping per row.)
 */
static int pg_list(struct store *st, const struct job_filter *f, job_visit_fn *fn, void *ctx,
		   struct error *err)
{
	struct params p = { .n = 0 };
	PGresult *r;
	int stop = 0;

	p_text(&p, f->state >= 0 ? job_state_name((enum job_state)f->state) : NULL);
	p_text(&p, f->queue);
	if (f->limit > 0)
		p_ll(&p, f->limit);
	else
		p_text(&p, NULL);
	p_text(&p, f->worker);
	p_text(&p, f->id_prefix);
	p_text(&p, f->command_like);
	p_ll(&p, f->after > 0 ? f->after : 0);
	if (!(r = exec_stmt(ps(st), f->state >= 0 ? S_LIST_STATE : S_LIST_ALL, &p, "list jobs",
			    NULL, err)))
		return err->code;
	for (int i = 0; i < PQntuples(r) && !stop; i++) {
		struct job job;

		read_job(r, i, false, &job);
		stop = fn(ctx, &job);
		job_release(&job);
	}
	PQclear(r);
	return stop;
}

static int pg_counts(struct store *st, long long counts[JOB_NSTATES], struct error *err)
{
	PGresult *r = exec_stmt(ps(st), S_COUNTS, NULL, "count jobs", NULL, err);

	if (!r)
		return err->code;
	for (int i = 0; i < JOB_NSTATES; i++)
		counts[i] = 0;
	for (int i = 0; i < PQntuples(r); i++)
		counts[state_from_text(PQgetvalue(r, i, 0))] = get_ll(r, i, 1);
	PQclear(r);
	return 0;
}

static int pg_update(struct store *st, const struct job *job, enum job_state expect,
		     const char *expect_worker, struct error *err)
{
	struct params p = { .n = 0 };

	p_text(&p, job_state_name(job->state));
	p_ll(&p, job->attempts);
	p_ll(&p, job->run_at);
	p_ll(&p, job->updated_at);
	p_llz(&p, job->started_at);
	p_llz(&p, job->finished_at);
	p_text(&p, job->last_error);
	p_exit(&p, job->has_exit_code, job->exit_code);
	p_text(&p, job->worker_id);
	p_llz(&p, job->lease_until);
	p_bytes(&p, job->output, job->output_len);
	p_text(&p, job->id);
	p_text(&p, job_state_name(expect));
	p_text(&p, expect_worker);
	p_ll(&p, job->runs);
	return exec_count(ps(st), S_UPDATE, &p, "update job", err);
}

static int pg_remove(struct store *st, const char *id, struct error *err)
{
	struct pg_store *s = ps(st);
	struct params p = { .n = 0 };
	PGresult *r;
	int n;

	p_text(&p, id);
	if ((n = exec_count(s, S_REMOVE, &p, "delete job", err)) != 0)
		return n < 0 ? n : 0;
	if (!(r = exec_stmt(s, S_EXISTS, &p, "delete job", NULL, err)))
		return err->code;
	n = PQntuples(r);
	PQclear(r);
	if (n)
		return error_set(err, QE_CONFLICT, "job '%s' is processing: it cannot be deleted", id);
	return error_set(err, QE_NOTFOUND, "no job '%s'", id);
}

static int pg_purge(struct store *st, enum job_state state, int64_t before, id_visit_fn *fn,
		    void *ctx, struct error *err)
{
	struct params p = { .n = 0 };
	PGresult *r;
	int n;

	p_text(&p, job_state_name(state));
	p_ll(&p, before);
	if (!(r = exec_stmt(ps(st), S_PURGE, &p, "purge", NULL, err)))
		return err->code;
	n = PQntuples(r);
	for (int i = 0; fn && i < n; i++)
		fn(ctx, PQgetvalue(r, i, 0));
	PQclear(r);
	return n;
}

static int pg_config_list(struct store *st, kv_visit_fn *fn, void *ctx, struct error *err)
{
	PGresult *r = exec_stmt(ps(st), S_CONFIG_LIST, NULL, "read config", NULL, err);
	int stop = 0;

	if (!r)
		return err->code;
	for (int i = 0; i < PQntuples(r) && !stop; i++)
		stop = fn(ctx, PQgetvalue(r, i, 0), PQgetvalue(r, i, 1));
	PQclear(r);
	return stop;
}

static int pg_config_set(struct store *st, const char *key, const char *value,
			 struct error *err)
{
	struct params p = { .n = 0 };

	p_text(&p, key);
	p_text(&p, value);
	return exec_count(ps(st), S_CONFIG_SET, &p, "set config", err) < 0 ? err->code : 0;
}

static int pg_config_unset(struct store *st, const char *key, struct error *err)
{
	struct params p = { .n = 0 };

	p_text(&p, key);
	return exec_count(ps(st), S_CONFIG_UNSET, &p, "reset config", err) < 0 ? err->code : 0;
}

/* The queue filter as an array literal, {"a","b"}, or NULL for any queue (malloc'd). */
static char *queues_array(const struct claim_req *req)
{
	struct buf b = BUF_INIT;

	if (!req->queues)
		return NULL;
	buf_add(&b, "{", 1);
	for (int i = 0; i < req->nqueues; i++) {
		buf_adds(&b, i ? ",\"" : "\"");
		for (const char *c = req->queues[i]; *c; c++) {
			if (*c == '"' || *c == '\\')
				buf_add(&b, "\\", 1);
			buf_add(&b, c, 1);
		}
		buf_add(&b, "\"", 1);
	}
	buf_add(&b, "}", 1);
	return buf_detach(&b);
}

/*
 * Undo a claim whose answer was lost with the connection: the worker took it as failed and
 * holds none of the jobs, which nobody else would recover before their lease ran out (and
 * the worker never recovers its own).  They are the jobs the worker owns with the claim's
 * start time and no process yet.
 */
static int undo_lost_claim(struct pg_store *s, struct error *err)
{
	struct params p = { .n = 0 };
	int n;

	p_text(&p, s->unclaim_worker);
	p_ll(&p, s->unclaim_at);
	if ((n = exec_count(s, S_UNCLAIM, &p, "undo a lost claim", err)) < 0)
		return n;
	free(s->unclaim_worker);
	s->unclaim_worker = NULL;
	return 0;
}

/* One round trip for up to max jobs ($5): as many as the worker has free slots. */
static int pg_claim(struct store *st, const struct claim_req *req, struct job *jobs, int max,
		    struct error *err)
{
	struct pg_store *s = ps(st);
	struct params p = { .n = 0 };
	char *queues = queues_array(req);
	PGresult *r;
	int n;

	p_text(&p, req->worker_id);
	p_ll(&p, req->lease_until);
	p_ll(&p, req->now);
	p_text(&p, queues);
	p_ll(&p, max);
	r = exec_stmt(s, S_CLAIM, &p, "claim", NULL, err);
	free(queues);
	if (!r) {
		/* Sent, maybe done, its answer lost: undone at once, or on reconnecting. */
		if (PQstatus(s->conn) != CONNECTION_OK && !s->in_tx) {
			struct error ignored;

			free(s->unclaim_worker);
			s->unclaim_worker = xstrdup(req->worker_id);
			s->unclaim_at = req->now;
			ready(s, &ignored);
		}
		return err->code;
	}
	n = PQntuples(r);
	for (int i = 0; i < n && i < max; i++)
		read_job(r, i, false, &jobs[i]);
	PQclear(r);
	return n < max ? n : max;
}

static int pg_started(struct store *st, const char *job_id, const char *worker_id, int pid,
		      long long pid_start, struct error *err)
{
	struct params p = { .n = 0 };

	p_text(&p, job_id);
	p_text(&p, worker_id);
	p_ll(&p, pid);
	p_ll(&p, pid_start);
	return exec_count(ps(st), S_STARTED, &p, "record job start", err);
}

static int pg_renew(struct store *st, const char *worker_id, int64_t lease_until,
		    struct error *err)
{
	struct params p = { .n = 0 };

	p_text(&p, worker_id);
	p_ll(&p, lease_until);
	return exec_count(ps(st), S_RENEW, &p, "renew lease", err);
}

static int pg_release(struct store *st, const char *worker_id, const char *job_id, int64_t now,
		      struct error *err)
{
	struct params p = { .n = 0 };

	p_text(&p, worker_id);
	p_text(&p, job_id);
	p_ll(&p, now);
	return exec_count(ps(st), S_RELEASE, &p, "release jobs", err);
}

static int pg_unclaim(struct store *st, const struct job *job, int64_t now, struct error *err)
{
	struct params p = { .n = 0 };

	p_text(&p, job->id);
	p_text(&p, job->worker_id);
	p_ll(&p, job->runs);
	p_ll(&p, now);
	return exec_count(ps(st), S_GIVE_BACK, &p, "give back a claim", err);
}

static int pg_recover_leases(struct store *st, int64_t now, const char *except,
			     struct error *err)
{
	struct params p = { .n = 0 };

	p_ll(&p, now);
	p_text(&p, except);
	return exec_count(ps(st), S_RECOVER, &p, "recover jobs", err);
}

static int pg_prune_workers(struct store *st, int64_t now, struct error *err)
{
	struct params p = { .n = 0 };

	p_ll(&p, now);
	return exec_count(ps(st), S_WORKER_PRUNE, &p, "forget stale workers", err);
}

static int pg_next_due(struct store *st, const struct claim_req *req, int64_t *when,
		       struct error *err)
{
	struct params p = { .n = 0 };
	char *queues = queues_array(req);
	PGresult *r;
	int n;

	p_text(&p, queues);
	r = exec_stmt(ps(st), S_NEXT_DUE, &p, "find next job", NULL, err);
	free(queues);
	if (!r)
		return err->code;
	if ((n = PQntuples(r)) > 0)
		*when = get_ll(r, 0, 0);
	PQclear(r);
	return n > 0;
}

static int pg_attempt_add(struct store *st, const struct attempt *a, struct error *err)
{
	struct params p = { .n = 0 };

	p_text(&p, a->job_id);
	p_ll(&p, a->run);
	p_ll(&p, a->attempt);
	p_ll(&p, a->started_at);
	p_ll(&p, a->finished_at);
	p_text(&p, a->outcome);
	p_text(&p, a->error);
	p_exit(&p, a->has_exit_code, a->exit_code);
	p_text(&p, a->worker_id);
	p_text(&p, a->machine);
	p_text(&p, a->log_path);
	return exec_count(ps(st), S_ATTEMPT_ADD, &p, "record attempt", err) < 0 ? err->code : 0;
}

static int pg_attempt_list(struct store *st, const char *job_id, attempt_visit_fn *fn,
			   void *ctx, struct error *err)
{
	struct params p = { .n = 0 };
	PGresult *r;
	int stop = 0;

	p_text(&p, job_id);
	if (!(r = exec_stmt(ps(st), S_ATTEMPT_LIST, &p, "read attempts", NULL, err)))
		return err->code;
	for (int i = 0; i < PQntuples(r) && !stop; i++) {
		struct attempt a = {
			.job_id = get_text(r, i, 0),
			.run = (int)get_ll(r, i, 1),
			.attempt = (int)get_ll(r, i, 2),
			.started_at = get_ll(r, i, 3),
			.finished_at = get_ll(r, i, 4),
			.outcome = get_text(r, i, 5),
			.error = get_text(r, i, 6),
			.has_exit_code = !PQgetisnull(r, i, 7),
			.exit_code = (int)get_ll(r, i, 7),
			.worker_id = get_text(r, i, 8),
			.machine = get_text(r, i, 9),
			.log_path = get_text(r, i, 10),
		};

		stop = fn(ctx, &a);
		attempt_release(&a);
	}
	PQclear(r);
	return stop;
}

static int pg_worker_add(struct store *st, const struct worker_info *w, struct error *err)
{
	struct params p = { .n = 0 };

	p_text(&p, w->id);
	p_text(&p, w->host);
	p_text(&p, w->machine);
	p_ll(&p, w->pid);
	p_ll(&p, w->pid_start);
	p_ll(&p, w->slots);
	p_text(&p, w->queues);
	p_ll(&p, w->started_at);
	p_ll(&p, w->heartbeat_at);
	p_ll(&p, w->stale_at);
	return exec_count(ps(st), S_WORKER_ADD, &p, "register worker", err) < 0 ? err->code : 0;
}

static int pg_worker_beat(struct store *st, const char *id, int64_t now, int64_t stale_at,
			  struct error *err)
{
	struct params p = { .n = 0 };

	p_text(&p, id);
	p_ll(&p, now);
	p_ll(&p, stale_at);
	return exec_count(ps(st), S_WORKER_BEAT, &p, "heartbeat", err);
}

static int pg_worker_remove(struct store *st, const char *id, struct error *err)
{
	struct params p = { .n = 0 };

	p_text(&p, id);
	return exec_count(ps(st), S_WORKER_REMOVE, &p, "unregister worker", err) < 0 ? err->code
										       : 0;
}

static int pg_worker_list(struct store *st, worker_visit_fn *fn, void *ctx, struct error *err)
{
	PGresult *r = exec_stmt(ps(st), S_WORKER_LIST, NULL, "list workers", NULL, err);
	int stop = 0;

	if (!r)
		return err->code;
	for (int i = 0; i < PQntuples(r) && !stop; i++) {
		struct worker_info w = {
			.id = get_text(r, i, 0),
			.host = get_text(r, i, 1),
			.machine = get_text(r, i, 2),
			.pid = (int)get_ll(r, i, 3),
			.pid_start = get_ll(r, i, 4),
			.slots = (int)get_ll(r, i, 5),
			.queues = get_text(r, i, 6),
			.started_at = get_ll(r, i, 7),
			.heartbeat_at = get_ll(r, i, 8),
			.stale_at = get_ll(r, i, 9),
			.busy = (int)get_ll(r, i, 10),
		};

		stop = fn(ctx, &w);
		worker_info_release(&w);
	}
	PQclear(r);
	return stop;
}

static int pg_worker_stop(struct store *st, const char *id, struct error *err)
{
	struct params p = { .n = 0 };

	p_text(&p, id);
	return exec_count(ps(st), S_WORKER_STOP, &p, "ask a worker to stop", err);
}

static int pg_worker_stop_requested(struct store *st, const char *id, struct error *err)
{
	struct params p = { .n = 0 };
	PGresult *r;
	int asked;

	p_text(&p, id);
	if (!(r = exec_stmt(ps(st), S_WORKER_STOP_REQUESTED, &p, "read a stop request", NULL, err)))
		return err->code;
	asked = PQntuples(r) > 0 && !strcmp(PQgetvalue(r, 0, 0), "t");
	PQclear(r);
	return asked;
}

/* --- Wake-ups --- */

/*
 * NOTIFY, in a transaction of its own after the commit that made jobs due: PostgreSQL
 * serialises the commits of transactions that notify, so the writes themselves never wait
 * on it.  The queue layer calls this only after writes that can wake a worker (a job
 * enqueued, retried or given back), never after a claim or a finish that succeeded.
 */
static void pg_notify(struct store *st)
{
	struct pg_store *s = ps(st);
	struct error ignored;

	if (!s->in_tx && ready(s, &ignored) == 0)
		PQclear(PQexec(s->conn, s->notify));
	after_exec(s);
}

/* Make the wake-up descriptor readable in ms, or at once for 0. */
static void arm_timer(struct pg_store *s, int64_t ms)
{
	struct itimerspec it = { .it_value = { ms / 1000, (ms % 1000) * 1000000 } };

	if (ms == 0 && s->now_fd >= 0)
		(void)!write(s->now_fd, &(uint64_t){ 1 }, sizeof(uint64_t));
	else if (s->timer_fd >= 0)
		timerfd_settime(s->timer_fd, 0, &it, NULL);
}

/*
 * Notifications that came in with a statement's answer are read off the socket already
 * (our own NOTIFY's among them, delivered with its answer): the timer stands in for them,
 * so the wake-up descriptor is readable at once.
 */
static void after_exec(struct pg_store *s)
{
	PGnotify *n;
	bool any = false;

	if (!s->listening || !s->conn)
		return;
	while ((n = PQnotifies(s->conn))) {
		PQfreemem(n);
		any = true;
	}
	if (any)
		arm_timer(s, 0);
}

/*
 * The wake-up descriptor is an epoll set, so that it stays one descriptor for the worker's
 * loop across reconnections: the connection's socket, which a notification makes
 * readable, and a timer.  The connection is blocking for statements, which the worker
 * runs one at a time; between them it waits in the loop's poll, never in libpq.
 */
static int pg_wait_fd(struct store *st, struct error *err)
{
	struct pg_store *s = ps(st);

	if (s->wake_fd >= 0)
		return s->wake_fd;
	s->wake_fd = epoll_create1(EPOLL_CLOEXEC);
	s->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	s->now_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (s->wake_fd < 0 || s->timer_fd < 0 || s->now_fd < 0 ||
	    epoll_ctl(s->wake_fd, EPOLL_CTL_ADD, s->timer_fd,
		      &(struct epoll_event){ .events = EPOLLIN, .data.fd = s->timer_fd }) < 0 ||
	    epoll_ctl(s->wake_fd, EPOLL_CTL_ADD, s->now_fd,
		      &(struct epoll_event){ .events = EPOLLIN, .data.fd = s->now_fd }) < 0)
		return error_set(err, QE_FAIL, "cannot make a wake-up descriptor: %s",
				 strerror(errno));
	s->listening = true;
	if (ready(s, err) || (s->sock < 0 && listen_on(s, err)))
		return err->code;
	arm_timer(s, BACKSTOP_MS);
	return s->wake_fd;
}

/*
 * Take in what woke us: notifications (all of them), the timer.  A connection found lost
 * is made again here or, while the server stays away, at the timer's next try.  Whatever
 * it was, the caller looks for work: that is the poll backstop.
 */
static void pg_wait_drain(struct store *st)
{
	struct pg_store *s = ps(st);
	struct error ignored;
	uint64_t ticks;

	if (s->wake_fd < 0)
		return;
	(void)!read(s->timer_fd, &ticks, sizeof ticks);
	(void)!read(s->now_fd, &ticks, sizeof ticks);
	if (s->pending) {
		connect_poll(s);
		return;
	}
	/* A connection found lost here is marked so, and ready() makes it again. */
	if (s->conn && PQstatus(s->conn) == CONNECTION_OK)
		(void)PQconsumeInput(s->conn);
	if (s->conn) {
		PGnotify *n;

		while ((n = PQnotifies(s->conn)))
			PQfreemem(n);
	}
	/* On failure, ready() has set the timer for the next try. */
	if (ready(s, &ignored) == 0)
		arm_timer(s, BACKSTOP_MS);
}

/*
 * A watcher of job states (wait) looks again every CHANGES_MS: a notification for every
 * write would put NOTIFY's instance-wide commit lock on every claim and finish.
 */
static int pg_changes_fd(struct store *st, struct error *err)
{
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	struct itimerspec it = {
		.it_interval = { 0, CHANGES_MS * 1000000L },
		.it_value = { 0, CHANGES_MS * 1000000L },
	};

	if (fd < 0 || timerfd_settime(fd, 0, &it, NULL) < 0) {
		error_set(err, QE_FAIL, "cannot make a timer: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return err->code;
	}
	return fd;
}

/*
 * Durable: every commit waits for the server's WAL flush (synchronous_commit on).  Not
 * durable: the server's own setting, so never less safe than it was configured to be.
 */
static int pg_set_durable(struct store *st, bool durable, struct error *err)
{
	struct pg_store *s = ps(st);

	s->durable = durable;
	if (ready(s, err))
		return err->code;
	return run_simple(s, durable ? "SET synchronous_commit = on" : "RESET synchronous_commit",
			  "set durability", err);
}

/*
 * Nothing to check: the database is the server's, and a connection lost and made again
 * reaches the same one.  (What SQLite checks, a file replaced under a long-lived process,
 * has no counterpart.)
 */
static int pg_verify(struct store *st, struct error *err)
{
	return 0;
}

static int pg_summaries(struct store *st, int64_t now, summary_visit_fn *fn, void *ctx,
			struct error *err)
{
	struct params p = { .n = 0 };
	struct queue_summary qs = { 0 };
	PGresult *r;
	int n, stop = 0;

	p_ll(&p, now);
	if (!(r = exec_stmt(ps(st), S_SUMMARIES, &p, "read queues", NULL, err)))
		return err->code;
	n = PQntuples(r);
	/* One queue's rows follow each other; each row has the queue's oldest due time. */
	for (int i = 0; i < n && !stop; i++) {
		qs.name = PQgetvalue(r, i, 0);
		qs.counts[state_from_text(PQgetvalue(r, i, 1))] = get_ll(r, i, 2);
		if (i + 1 == n || strcmp(qs.name, PQgetvalue(r, i + 1, 0))) {
			qs.oldest_due_ms = PQgetisnull(r, i, 3) ? -1 : now - get_ll(r, i, 3);
			stop = fn(ctx, &qs);
			memset(&qs, 0, sizeof qs);
		}
	}
	PQclear(r);
	return stop;
}

static int pg_counters(struct store *st, counter_visit_fn *fn, void *ctx, struct error *err)
{
	PGresult *r;
	int stop = 0;

	if (!(r = exec_stmt(ps(st), S_COUNTERS, NULL, "read counters", NULL, err)))
		return err->code;
	for (int i = 0; i < PQntuples(r) && !stop; i++) {
		struct counter c = {
			.queue = PQgetvalue(r, i, 0),
			.name = PQgetvalue(r, i, 1),
			.le = get_ll(r, i, 2),
			.n = get_ll(r, i, 3),
			.sum_ms = get_ll(r, i, 4),
		};

		stop = fn(ctx, &c);
	}
	PQclear(r);
	return stop;
}

static int pg_finished_since(struct store *st, int64_t since, const char *queue,
			     finished_visit_fn *fn, void *ctx, struct error *err)
{
	struct params p = { .n = 0 };
	PGresult *r;
	int stop = 0;

	p_ll(&p, since);
	p_text(&p, queue);
	if (!(r = exec_stmt(ps(st), S_FINISHED_SINCE, &p, "read attempts", NULL, err)))
		return err->code;
	for (int i = 0; i < PQntuples(r) && !stop; i++) {
		struct finished f = {
			.queue = PQgetvalue(r, i, 0),
			.outcome = PQgetvalue(r, i, 1),
			.started_at = get_ll(r, i, 2),
			.finished_at = get_ll(r, i, 3),
		};

		stop = fn(ctx, &f);
	}
	PQclear(r);
	return stop;
}

static void pg_schema_version(struct store *st, int *found, int *current)
{
	*found = ps(st)->found_version;
	*current = SCHEMA_VERSION;
}

/* A server keeps no files of ours on this machine: the logs are logs.c's (logs_root). */
static const char *pg_files_dir(struct store *st)
{
	return NULL;
}

const struct store_ops pg_store_ops = {
	.name = "postgresql",
	.open = pg_open,
	.close = pg_close,
	.now = pg_now,
	.begin = pg_begin,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.insert = pg_insert,
	.resolve = pg_resolve,
	.get = pg_get,
	.list = pg_list,
	.counts = pg_counts,
	.update = pg_update,
	.remove = pg_remove,
	.purge = pg_purge,
	.config_list = pg_config_list,
	.config_set = pg_config_set,
	.config_unset = pg_config_unset,
	.claim = pg_claim,
	.started = pg_started,
	.renew = pg_renew,
	.release = pg_release,
	.unclaim = pg_unclaim,
	.recover_leases = pg_recover_leases,
	.prune_workers = pg_prune_workers,
	.next_due = pg_next_due,
	.attempt_add = pg_attempt_add,
	.attempt_list = pg_attempt_list,
	.worker_add = pg_worker_add,
	.worker_beat = pg_worker_beat,
	.worker_remove = pg_worker_remove,
	.worker_list = pg_worker_list,
	.worker_stop = pg_worker_stop,
	.worker_stop_requested = pg_worker_stop_requested,
	.notify = pg_notify,
	.wait_fd = pg_wait_fd,
	.wait_drain = pg_wait_drain,
	.changes_fd = pg_changes_fd,
	.verify = pg_verify,
	.summaries = pg_summaries,
	.counters = pg_counters,
	.finished_since = pg_finished_since,
	.files_dir = pg_files_dir,
	.schema_version = pg_schema_version,
	.set_durable = pg_set_durable,
};
