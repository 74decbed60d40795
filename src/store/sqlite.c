/*
 * sqlite.c - the embedded SQLite store: schema and migrations, WAL, prepared statements,
 * the atomic claim, and wake-ups through inotify on a file beside the database.
 *
 * Concurrency model: every process opens its own connection.  WAL lets readers run beside
 * the one writer; writers queue on SQLite's file lock, waited for by the busy timeout.  Every
 * change to a job is a single UPDATE guarded by the state (and owner) the caller expects, so
 * two processes can never both move the same job: the second finds the guard false.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../util.h"
#include "backend.h"
#include "states.h"

/*
 * The schema.  If you change it, append a migration to migrations[] below; never edit one
 * that has shipped, since databases out there have run it.  user_version counts them.
 *
 * Times are integers in ms since the epoch.  seq keeps creation order (ids are random).
 * counts is kept by triggers so that status costs the same with a million jobs as with ten.
 */
/*
 * Migration: the figures of metrics and stats, kept by triggers in the transaction of the
 * change they count, so that they never go back (a purge deletes jobs, not counts) and
 * every process reads the same.  queue_counts is counts by queue; counters only grow;
 * histograms holds, per queue, metric and bucket (its upper bound le in ms, buckets from the
 * table buckets), a count and a sum.  What the store held when it was upgraded is counted
 * in as well as it can be: the jobs it had, the attempts of their history.
 */
static const char migration_metrics[] =
	"CREATE TABLE queue_counts (queue TEXT NOT NULL, state TEXT NOT NULL,"
	"  n INTEGER NOT NULL, PRIMARY KEY (queue, state)) WITHOUT ROWID;"
	"INSERT INTO queue_counts SELECT queue, state, count(*) FROM jobs GROUP BY queue, state;"
	"CREATE TRIGGER jobs_queue_count_insert AFTER INSERT ON jobs BEGIN"
	"  INSERT INTO queue_counts VALUES (NEW.queue, NEW.state, 1)"
	"    ON CONFLICT DO UPDATE SET n = n + 1;"
	"END;"
	"CREATE TRIGGER jobs_queue_count_update AFTER UPDATE OF state ON jobs"
	"  WHEN OLD.state <> NEW.state BEGIN"
	"  UPDATE queue_counts SET n = n - 1 WHERE queue = OLD.queue AND state = OLD.state;"
	"  INSERT INTO queue_counts VALUES (NEW.queue, NEW.state, 1)"
	"    ON CONFLICT DO UPDATE SET n = n + 1;"
	"END;"
	"CREATE TRIGGER jobs_queue_count_delete AFTER DELETE ON jobs BEGIN"
	"  UPDATE queue_counts SET n = n - 1 WHERE queue = OLD.queue AND state = OLD.state;"
	"END;"
	/* The oldest due job of one queue: the first entry of its range. */
	"CREATE INDEX jobs_queue_due ON jobs (queue, run_at) WHERE state IN ('pending','failed');"
	"CREATE INDEX attempts_finished ON attempts (finished_at);"
	"CREATE TABLE counters (queue TEXT NOT NULL, name TEXT NOT NULL, n INTEGER NOT NULL,"
	"  PRIMARY KEY (queue, name)) WITHOUT ROWID;"
	"CREATE TABLE buckets (le INTEGER PRIMARY KEY);"
	"INSERT INTO buckets VALUES (5), (10), (25), (50), (100), (250), (500), (1000), (2500),"
	"  (5000), (10000), (30000), (60000), (120000), (300000), (600000), (1800000), (3600000),"
	"  (21600000), (86400000), (9223372036854775807);"
	"CREATE TABLE histograms (queue TEXT NOT NULL, name TEXT NOT NULL, le INTEGER NOT NULL,"
	"  n INTEGER NOT NULL, sum_ms INTEGER NOT NULL,"
	"  PRIMARY KEY (queue, name, le)) WITHOUT ROWID;"
	"INSERT INTO counters SELECT queue, 'enqueued', count(*) FROM jobs GROUP BY queue;"
	"INSERT INTO counters SELECT j.queue, o.name, count(*) FROM attempts a"
	"  JOIN jobs j ON j.id = a.job_id"
	"  JOIN (SELECT 'completed' AS outcome, 'completed' AS name"
	"        UNION ALL SELECT 'failed', 'failed_attempts'"
	"        UNION ALL SELECT 'dead', 'failed_attempts'"
	"        UNION ALL SELECT 'dead', 'dead') o ON o.outcome = a.outcome"
	"  GROUP BY j.queue, o.name;"
	"INSERT INTO histograms SELECT j.queue, 'duration',"
	"  (SELECT min(le) FROM buckets WHERE le >= max(0, a.finished_at - a.started_at)) AS b,"
	"  count(*), sum(max(0, a.finished_at - a.started_at)) FROM attempts a"
	"  JOIN jobs j ON j.id = a.job_id WHERE a.outcome IN ('completed','failed','dead')"
	"  GROUP BY j.queue, b;"
	"CREATE TRIGGER jobs_enqueued AFTER INSERT ON jobs BEGIN"
	"  INSERT INTO counters VALUES (NEW.queue, 'enqueued', 1)"
	"    ON CONFLICT DO UPDATE SET n = n + 1;"
	"END;"
	/*
	 * A claim: the wait from the job's due time to its start (a write that takes a job
	 * without a start time is counted at its update time: a trigger must never fail one).
	 */
	"CREATE TRIGGER jobs_wait AFTER UPDATE OF state ON jobs"
	"  WHEN NEW.state = 'processing' AND OLD.state IN ('pending','failed') BEGIN"
	"  INSERT INTO histograms SELECT NEW.queue, 'wait',"
	"    (SELECT min(le) FROM buckets WHERE le >= w.ms), 1, w.ms"
	"    FROM (SELECT max(0, coalesce(NEW.started_at, NEW.updated_at) - OLD.run_at) AS ms) w"
	"    WHERE true"
	"    ON CONFLICT DO UPDATE SET n = n + 1, sum_ms = sum_ms + excluded.sum_ms;"
	"END;"
	/* An attempt's end, recorded with its job's new state (queue_finish). */
	"CREATE TRIGGER attempts_counted AFTER INSERT ON attempts"
	"  WHEN NEW.outcome IN ('completed','failed','dead') BEGIN"
	"  INSERT INTO counters SELECT queue,"
	"    CASE NEW.outcome WHEN 'completed' THEN 'completed' ELSE 'failed_attempts' END, 1"
	"    FROM jobs WHERE id = NEW.job_id ON CONFLICT DO UPDATE SET n = n + 1;"
	"  INSERT INTO counters SELECT queue, 'dead', 1 FROM jobs"
	"    WHERE id = NEW.job_id AND NEW.outcome = 'dead' ON CONFLICT DO UPDATE SET n = n + 1;"
	"  INSERT INTO histograms SELECT queue, 'duration',"
	"    (SELECT min(le) FROM buckets WHERE le >= max(0, NEW.finished_at - NEW.started_at)),"
	"    1, max(0, NEW.finished_at - NEW.started_at) FROM jobs WHERE id = NEW.job_id"
	"    ON CONFLICT DO UPDATE SET n = n + 1, sum_ms = sum_ms + excluded.sum_ms;"
	"END;";

static const char *const migrations[] = {
	/* 1: the first schema */
	"CREATE TABLE jobs ("
	"  seq INTEGER PRIMARY KEY,"
	"  id TEXT NOT NULL UNIQUE,"
	"  command TEXT NOT NULL,"
	"  state TEXT NOT NULL CHECK (state IN"
	"    ('pending','processing','completed','failed','dead')),"
	"  queue TEXT NOT NULL,"
	"  priority INTEGER NOT NULL,"
	"  attempts INTEGER NOT NULL,"
	"  max_retries INTEGER NOT NULL,"
	"  runs INTEGER NOT NULL DEFAULT 0,"
	"  timeout INTEGER NOT NULL,"
	"  run_at INTEGER NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL,"
	"  started_at INTEGER,"
	"  finished_at INTEGER,"
	"  last_error TEXT,"
	"  exit_code INTEGER,"
	"  worker_id TEXT,"
	"  lease_until INTEGER,"
	"  pid INTEGER,"
	"  pid_start INTEGER,"
	"  output BLOB"
	");"
	/* The claim walks this in order and stops at the first due row. */
	"CREATE INDEX jobs_claim ON jobs (priority DESC, seq)"
	"  WHERE state IN ('pending','failed');"
	"CREATE INDEX jobs_due ON jobs (run_at) WHERE state IN ('pending','failed');"
	"CREATE INDEX jobs_state ON jobs (state, seq);"
	"CREATE INDEX jobs_lease ON jobs (lease_until) WHERE state = 'processing';"
	"CREATE INDEX jobs_owner ON jobs (worker_id) WHERE state = 'processing';"
	"CREATE TABLE counts (state TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;"
	"INSERT INTO counts VALUES ('pending',0),('processing',0),('completed',0),"
	"  ('failed',0),('dead',0);"
	"CREATE TRIGGER jobs_count_insert AFTER INSERT ON jobs BEGIN"
	"  UPDATE counts SET n = n + 1 WHERE state = NEW.state;"
	"END;"
	"CREATE TRIGGER jobs_count_update AFTER UPDATE OF state ON jobs"
	"  WHEN OLD.state <> NEW.state BEGIN"
	"  UPDATE counts SET n = n - 1 WHERE state = OLD.state;"
	"  UPDATE counts SET n = n + 1 WHERE state = NEW.state;"
	"END;"
	"CREATE TRIGGER jobs_count_delete AFTER DELETE ON jobs BEGIN"
	"  UPDATE counts SET n = n - 1 WHERE state = OLD.state;"
	"  DELETE FROM attempts WHERE job_id = OLD.id;"
	"END;"
	"CREATE TABLE attempts ("
	"  job_id TEXT NOT NULL,"
	"  run INTEGER NOT NULL,"
	"  attempt INTEGER NOT NULL,"
	"  started_at INTEGER NOT NULL,"
	"  finished_at INTEGER NOT NULL,"
	"  outcome TEXT NOT NULL,"
	"  error TEXT,"
	"  exit_code INTEGER,"
	"  worker_id TEXT,"
	"  log_path TEXT,"
	"  PRIMARY KEY (job_id, run)"
	") WITHOUT ROWID;"
	"CREATE TABLE config (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE workers ("
	"  id TEXT PRIMARY KEY,"
	"  host TEXT NOT NULL,"
	"  pid INTEGER NOT NULL,"
	"  pid_start INTEGER NOT NULL,"
	"  slots INTEGER NOT NULL,"
	"  queues TEXT,"
	"  started_at INTEGER NOT NULL,"
	"  heartbeat_at INTEGER NOT NULL"
	") WITHOUT ROWID;",
	/*
	 * 2: a job's own backoff base (NULL: the setting); the machine of a worker, and of an
	 * attempt (where its log is), which tells machines apart where hostnames may not.
	 */
	"ALTER TABLE jobs ADD COLUMN backoff_base REAL;"
	"ALTER TABLE attempts ADD COLUMN machine TEXT;"
	"ALTER TABLE workers ADD COLUMN machine TEXT;",
	/*
	 * 3: when a worker's row goes stale, written by the worker from its own lease at every
	 * heartbeat, so that every pruner applies the same rule to it.
	 */
	"ALTER TABLE workers ADD COLUMN stale_at INTEGER;"
	"UPDATE workers SET stale_at = heartbeat_at + 60000;"
	/* and a job's word list, run without a shell (NULL: its command, through sh -c). */
	"ALTER TABLE jobs ADD COLUMN argv TEXT;",
	/* 4: counts by queue, counters and histograms for metrics and stats */
	migration_metrics,
	/* 5: a worker asked to stop by 'worker stop', which reads it when woken */
	"ALTER TABLE workers ADD COLUMN stop_requested INTEGER NOT NULL DEFAULT 0;",
};
#define SCHEMA_VERSION ((int)(sizeof migrations / sizeof migrations[0]))
/* Marks the file as queuectl's (SQLite's application_id header field): "qctl". */
#define QUEUECTL_APP_ID 0x7163746c
/*
 * The state lists are states.h's.  SQLite's planner uses migration 1's partial indexes only
 * for a query that repeats their WHERE term, so HELD is written "state = " HELD, as there:
 * a single-value IN would not match.
 */

/*
 * The columns of each table as fields of its struct, one line per field: the same lines
 * read rows and bind inserts and updates, so a new field is its struct member, a line here
 * and a migration.  Statements say where a column list goes with the markers below, and
 * the list is built from these lines when the statement is first prepared.
 */
enum col_type {
	COL_TEXT,  /* char *; NULL is NULL */
	COL_INT,   /* int */
	COL_LL,	   /* long long */
	COL_I64,   /* int64_t */
	COL_REAL,  /* double */
	COL_STATE, /* enum job_state, stored as its name */
	COL_EXIT,  /* int, with its bool "has a value" at aux: NULL when it has none */
	COL_BLOB,  /* char * of bytes, with their size_t length at aux; NULL is NULL */
	COL_ARGV,  /* char ** NULL-terminated, stored as a JSON array; NULL is NULL */
};

enum {
	COL_ZERO_NULL = 1, /* a number whose 0 is stored as NULL: "never" or "none" */
	COL_MUTABLE = 2,   /* written by an update */
	COL_DETAIL = 4,	   /* read only where a statement asks for the detail */
	COL_COUNTED = 8,   /* computed when read (name is its SQL), never written */
};

struct col {
	const char *name;
	enum col_type type;
	size_t off, aux;
	unsigned flags;
};

struct table {
	const struct col *col;
	int n;
};

#define TABLE(cols) { cols, (int)(sizeof cols / sizeof cols[0]) }

#define J(field) offsetof(struct job, field)
static const struct col job_cols[] = {
	{ "id", COL_TEXT, J(id), 0, 0 },
	{ "command", COL_TEXT, J(command), 0, 0 },
	{ "argv", COL_ARGV, J(argv), 0, 0 },
	{ "state", COL_STATE, J(state), 0, COL_MUTABLE },
	{ "queue", COL_TEXT, J(queue), 0, 0 },
	{ "priority", COL_LL, J(priority), 0, 0 },
	{ "attempts", COL_INT, J(attempts), 0, COL_MUTABLE },
	{ "max_retries", COL_INT, J(max_retries), 0, 0 },
	{ "runs", COL_INT, J(runs), 0, 0 },
	{ "timeout", COL_I64, J(timeout), 0, 0 },
	{ "backoff_base", COL_REAL, J(backoff_base), 0, COL_ZERO_NULL },
	{ "run_at", COL_I64, J(run_at), 0, COL_MUTABLE },
	{ "created_at", COL_I64, J(created_at), 0, 0 },
	{ "updated_at", COL_I64, J(updated_at), 0, COL_MUTABLE },
	{ "started_at", COL_I64, J(started_at), 0, COL_MUTABLE | COL_ZERO_NULL },
	{ "finished_at", COL_I64, J(finished_at), 0, COL_MUTABLE | COL_ZERO_NULL },
	{ "last_error", COL_TEXT, J(last_error), 0, COL_MUTABLE },
	{ "exit_code", COL_EXIT, J(exit_code), J(has_exit_code), COL_MUTABLE },
	{ "worker_id", COL_TEXT, J(worker_id), 0, COL_MUTABLE },
	{ "lease_until", COL_I64, J(lease_until), 0, COL_MUTABLE | COL_ZERO_NULL },
	{ "pid", COL_INT, J(pid), 0, COL_ZERO_NULL },
	{ "pid_start", COL_LL, J(pid_start), 0, COL_ZERO_NULL },
	{ "output", COL_BLOB, J(output), J(output_len), COL_MUTABLE | COL_DETAIL },
	{ "seq", COL_LL, J(seq), 0, COL_COUNTED }, /* the rowid: given by SQLite, read only */
};
#undef J

#define A(field) offsetof(struct attempt, field)
static const struct col attempt_cols[] = {
	{ "job_id", COL_TEXT, A(job_id), 0, 0 },
	{ "run", COL_INT, A(run), 0, 0 },
	{ "attempt", COL_INT, A(attempt), 0, 0 },
	{ "started_at", COL_I64, A(started_at), 0, 0 },
	{ "finished_at", COL_I64, A(finished_at), 0, 0 },
	{ "outcome", COL_TEXT, A(outcome), 0, 0 },
	{ "error", COL_TEXT, A(error), 0, 0 },
	{ "exit_code", COL_EXIT, A(exit_code), A(has_exit_code), 0 },
	{ "worker_id", COL_TEXT, A(worker_id), 0, 0 },
	{ "machine", COL_TEXT, A(machine), 0, 0 },
	{ "log_path", COL_TEXT, A(log_path), 0, 0 },
};
#undef A

#define W(field) offsetof(struct worker_info, field)
static const struct col worker_cols[] = {
	{ "id", COL_TEXT, W(id), 0, 0 },
	{ "host", COL_TEXT, W(host), 0, 0 },
	{ "machine", COL_TEXT, W(machine), 0, 0 },
	{ "pid", COL_INT, W(pid), 0, 0 },
	{ "pid_start", COL_LL, W(pid_start), 0, 0 },
	{ "slots", COL_INT, W(slots), 0, 0 },
	/* busy is counted, not stored: it is right at every moment and costs no write. */
	{ "(SELECT count(*) FROM jobs WHERE worker_id = workers.id AND state = " HELD ")",
	  COL_INT, W(busy), 0, COL_COUNTED },
	{ "queues", COL_TEXT, W(queues), 0, 0 },
	{ "started_at", COL_I64, W(started_at), 0, 0 },
	{ "heartbeat_at", COL_I64, W(heartbeat_at), 0, 0 },
	{ "stale_at", COL_I64, W(stale_at), 0, 0 },
};
#undef W

static const struct table jobs = TABLE(job_cols);
static const struct table attempts = TABLE(attempt_cols);
static const struct table workers = TABLE(worker_cols);

/*
 * Where a statement's text takes a column list of its table (stmt_table).  The parameters
 * of COLS_INSERT and COLS_SET are ?1 to ?n in column order, so a statement that has them
 * names its own parameters (:id).
 */
#define COLS "\001"	     /* a, b, c: the columns read, less the detail */
#define COLS_DETAIL "\002" /* the same with the detail */
#define COLS_INSERT "\003" /* (a, b, c) VALUES (?1, ?2, ?3): every stored column */
#define COLS_SET "\004"    /* a = ?1, b = ?2: the mutable columns */

/* The jobs a claim may take (run_at aside): ?4 is NULL or a JSON array of queue names. */
#define DUE_WHERE                                                                             \
	"state IN (" CLAIM_FROM ") AND (?4 IS NULL OR queue IN "                              \
	"(SELECT value FROM json_each(?4)))"

/*
 * A listing's filter but its state (two statements, so that a listing of one state can use
 * jobs_state): queue ?2, owner ?4, id prefix ?5, text in the command ?6, each NULL for any;
 * after the job of seq ?7 (0 for all), which both orders seek to rather than count past.
 */
#define LIST_WHERE                                                                            \
	"(?2 IS NULL OR queue = ?2) AND (?4 IS NULL OR worker_id = ?4) "                      \
	"AND (?5 IS NULL OR substr(id, 1, length(?5)) = ?5) "                                 \
	"AND (?6 IS NULL OR instr(command, ?6) > 0) AND seq > ?7"

/* Every statement, prepared once per connection on first use and kept. */
enum stmt_id {
	S_BEGIN,
	S_COMMIT,
	S_ROLLBACK,
	S_INSERT,
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
	S_STARTED,
	S_RENEW,
	S_RELEASE,
	S_UNCLAIM,
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
	S_QUEUE_COUNTS,
	S_OLDEST_DUE,
	S_COUNTERS,
	S_FINISHED_SINCE,
	S_COUNT
};

static const char *const stmt_sql[S_COUNT] = {
	[S_BEGIN] = "BEGIN IMMEDIATE",
	[S_COMMIT] = "COMMIT",
	[S_ROLLBACK] = "ROLLBACK",
	[S_INSERT] = "INSERT INTO jobs " COLS_INSERT,
	/*
	 * The id itself, or the first two generated ids (32 lowercase hex digits) that start
	 * with it: enough to tell none, one and many.  ?2 bounds the range of the prefix.
	 */
	[S_RESOLVE] = "SELECT id FROM jobs WHERE id >= ?1 AND id < ?2 AND (id = ?1 OR "
		      "(length(id) = 32 AND id NOT GLOB '*[^0-9a-f]*')) ORDER BY id LIMIT 2",
	[S_GET] = "SELECT " COLS_DETAIL " FROM jobs WHERE id = ?1",
	[S_LIST_ALL] = "SELECT " COLS " FROM jobs WHERE " LIST_WHERE " ORDER BY seq LIMIT ?3",
	[S_LIST_STATE] = "SELECT " COLS " FROM jobs WHERE state = ?1 AND " LIST_WHERE
			 " ORDER BY seq LIMIT ?3",
	[S_COUNTS] = "SELECT state, n FROM counts",
	[S_UPDATE] = "UPDATE jobs SET " COLS_SET " WHERE id = :id AND state = :expect "
		     "AND (:owner IS NULL OR (worker_id = :owner AND runs = :runs))",
	[S_REMOVE] = "DELETE FROM jobs WHERE id = ?1 AND state IN (" DELETE_FROM ")",
	[S_EXISTS] = "SELECT state FROM jobs WHERE id = ?1",
	[S_PURGE] = "DELETE FROM jobs WHERE state = ?1 AND updated_at < ?2 RETURNING id",
	[S_CONFIG_LIST] = "SELECT key, value FROM config ORDER BY key",
	[S_CONFIG_SET] = "INSERT OR REPLACE INTO config (key, value) VALUES (?1, ?2)",
	[S_CONFIG_UNSET] = "DELETE FROM config WHERE ?1 IS NULL OR key = ?1",
	/*
	 * INDEXED BY: without statistics the planner prefers jobs_state and sorts every due
	 * job; the claim index yields them in claim order, so the first due row ends the scan.
	 *
	 * The claim: one UPDATE that picks the best due job and takes it.  SQLite runs a write
	 * statement under the database's write lock, held from before the subquery reads
	 * until the change commits, so no other process can pick the same row in between.
	 */
	[S_CLAIM] = "UPDATE jobs SET state = " CLAIM_TO ", worker_id = ?1, lease_until = ?2, "
		    "started_at = ?3, updated_at = ?3, runs = runs + 1 "
		    "WHERE seq IN (SELECT seq FROM jobs INDEXED BY jobs_claim "
		    "WHERE " DUE_WHERE " AND run_at <= ?3 "
		    "ORDER BY priority DESC, seq LIMIT ?5) "
		    "RETURNING " COLS,
	[S_STARTED] = "UPDATE jobs SET pid = ?3, pid_start = ?4 "
		      "WHERE id = ?1 AND worker_id = ?2 AND state = " HELD,
	[S_RENEW] = "UPDATE jobs SET lease_until = ?2 "
		    "WHERE worker_id = ?1 AND state = " HELD,
	[S_RELEASE] = "UPDATE jobs SET state = " RELEASE_TO ", worker_id = NULL, lease_until = NULL, "
		      "updated_at = ?3 "
		      "WHERE worker_id = ?1 AND state = " HELD " AND (?2 IS NULL OR id = ?2)",
	[S_UNCLAIM] = "UPDATE jobs SET state = " RELEASE_TO ", worker_id = NULL, lease_until = NULL, "
		      "runs = runs - 1, updated_at = ?4 "
		      "WHERE id = ?1 AND worker_id = ?2 AND runs = ?3 AND state = " HELD,
	/*
	 * INDEXED BY again: the planner took jobs_state, fetching every processing row to test
	 * its lease (1,100 page reads at startup with 2,000 jobs processing); jobs_lease holds
	 * just the expired ones at its start.
	 */
	[S_RECOVER] = "UPDATE jobs INDEXED BY jobs_lease SET state = " RELEASE_TO ", worker_id = NULL, "
		      "lease_until = NULL, updated_at = ?1 "
		      "WHERE state = " HELD " AND lease_until < ?1 AND worker_id IS NOT ?2",
	[S_WORKER_PRUNE] = "DELETE FROM workers WHERE stale_at < ?1",
	[S_NEXT_DUE] = "SELECT run_at FROM jobs INDEXED BY jobs_due WHERE " DUE_WHERE
		       " ORDER BY run_at LIMIT 1",
	[S_ATTEMPT_ADD] = "INSERT OR REPLACE INTO attempts " COLS_INSERT,
	[S_ATTEMPT_LIST] = "SELECT " COLS " FROM attempts WHERE job_id = ?1 ORDER BY run",
	[S_WORKER_ADD] = "INSERT OR REPLACE INTO workers " COLS_INSERT,
	[S_WORKER_BEAT] = "UPDATE workers SET heartbeat_at = ?2, stale_at = ?3 WHERE id = ?1",
	[S_WORKER_REMOVE] = "DELETE FROM workers WHERE id = ?1",
	[S_WORKER_LIST] = "SELECT " COLS " FROM workers ORDER BY started_at, id",
	[S_WORKER_STOP] = "UPDATE workers SET stop_requested = 1 WHERE id = ?1",
	[S_WORKER_STOP_REQUESTED] = "SELECT stop_requested FROM workers WHERE id = ?1",
	/* A queue whose jobs are all gone keeps its rows at 0, as its counters stay. */
	[S_QUEUE_COUNTS] = "SELECT queue, state, n FROM queue_counts ORDER BY queue",
	[S_OLDEST_DUE] = "SELECT min(run_at) FROM jobs INDEXED BY jobs_queue_due "
			 "WHERE queue = ?1 AND state IN (" CLAIM_FROM ") AND run_at <= ?2",
	/* Every bucket of a histogram that has any, empty ones at 0: a steady set of series. */
	[S_COUNTERS] = "SELECT queue, name, -1, n, 0 FROM counters UNION ALL "
		       "SELECT h.queue, h.name, b.le, coalesce(x.n, 0), coalesce(x.sum_ms, 0) "
		       "FROM (SELECT DISTINCT queue, name FROM histograms) h CROSS JOIN buckets b "
		       "LEFT JOIN histograms x ON x.queue = h.queue AND x.name = h.name "
		       "AND x.le = b.le ORDER BY 1, 2, 3",
	[S_FINISHED_SINCE] = "SELECT j.queue, a.outcome, a.started_at, a.finished_at "
			     "FROM attempts a INDEXED BY attempts_finished "
			     "JOIN jobs j ON j.id = a.job_id "
			     "WHERE a.finished_at >= ?1 AND (?2 IS NULL OR j.queue = ?2) "
			     "AND a.outcome IN ('completed','failed','dead')",
};

/* The table whose columns a statement's markers stand for. */
static const struct table *const stmt_table[S_COUNT] = {
	[S_INSERT] = &jobs,	     [S_GET] = &jobs,		   [S_LIST_ALL] = &jobs,
	[S_LIST_STATE] = &jobs,	     [S_UPDATE] = &jobs,	   [S_CLAIM] = &jobs,
	[S_ATTEMPT_ADD] = &attempts, [S_ATTEMPT_LIST] = &attempts, [S_WORKER_ADD] = &workers,
	[S_WORKER_LIST] = &workers,
};

struct sqlite_store {
	struct store base;
	sqlite3 *db;
	sqlite3_stmt *stmts[S_COUNT];
	char *sql[S_COUNT]; /* the text of statements with column lists, once built */
	char *files_dir; /* <db>.d: logs and the wake-up file */
	char *wake_path;
	int wake_fd; /* inotify descriptor, -1 until a worker asks for it */
	int busy_ms;
	int found_version; /* the schema's version before migrate ran */
	dev_t dev; /* the file opened, to tell when the path names another (sqlite_verify) */
	ino_t ino, wal_ino, shm_ino;
	const char *lost; /* what became of the file (sqlite_verify): write nothing more */
};

/* The downcast: a store handed to this file's operations must be one of its own. */
static struct sqlite_store *ss(struct store *st)
{
	assert(st->ops == &sqlite_store_ops);
	return (struct sqlite_store *)st;
}

/* The inode of the database's file with suffix ("-wal", "-shm"); 0 if there is none. */
static ino_t file_ino(struct sqlite_store *s, const char *suffix)
{
	char *path = xasprintf("%s%s", s->base.target, suffix);
	struct stat st;
	ino_t ino = stat(path, &st) == 0 ? st.st_ino : 0;

	free(path);
	return ino;
}

/*
 * The -wal and -shm of a database deleted or replaced under us are still named after the
 * path: a database created there later would read our log's pages as its own.  Remove them
 * if they are still the ones we opened.
 */
static void remove_stale(struct sqlite_store *s)
{
	static const char *const suffix[] = { "-wal", "-shm" };
	const ino_t ino[] = { s->wal_ino, s->shm_ino };

	for (int i = 0; i < 2; i++) {
		char *path = xasprintf("%s%s", s->base.target, suffix[i]);

		if (ino[i] && file_ino(s, suffix[i]) == ino[i])
			unlink(path);
		free(path);
	}
}

/*
 * A write-ahead log that is not there, or shorter than its 32-byte header, behind an I/O
 * error: SQLite found the shared memory saying the log holds commits, and a log deleted
 * under the processes that had it open (an opener makes an empty one in its place).
 */
static bool wal_lost(struct sqlite_store *s)
{
	char *wal = xasprintf("%s-wal", s->base.target);
	struct stat st;
	bool lost = stat(wal, &st) < 0 ? errno == ENOENT : st.st_size < 32;

	free(wal);
	return lost;
}

/* Turn an SQLite failure into a QE_* code and a message that names what failed. */
static int db_error(struct sqlite_store *s, int rc, const char *what, struct error *err)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return error_set(err, QE_BUSY,
				 "%s: database '%s' is locked (still busy after %d ms)", what,
				 s->base.target, s->busy_ms);
	case SQLITE_FULL:
		return error_set(err, QE_FAIL, "%s: disk full writing '%s'", what, s->base.target);
	case SQLITE_READONLY:
		return error_set(err, QE_FAIL, "%s: database '%s' is read-only", what,
				 s->base.target);
	case SQLITE_NOTADB:
	case SQLITE_CORRUPT:
		return error_set(err, QE_FAIL, "%s: '%s' is not a queuectl database (%s)", what,
				 s->base.target, sqlite3_errstr(rc));
	case SQLITE_IOERR: {
		/* The system's errno says more than "disk I/O error": ENOSPC, EFBIG, EIO. */
		int sys = sqlite3_system_errno(s->db);
		const char *why = sys ? strerror(sys) : sqlite3_errmsg(s->db);

		if (sys == ENOSPC)
			return error_set(err, QE_FAIL, "%s: disk full writing '%s'", what,
					 s->base.target);
		if (wal_lost(s))
			return error_set(err, QE_FAIL,
					 "%s: the write-ahead log '%s-wal' of the database is missing "
					 "(deleted while in use?); stop the queuectl processes using "
					 "it: the last to close writes it back",
					 what, s->base.target);
		if (rc == SQLITE_IOERR_WRITE || rc == SQLITE_IOERR_FSYNC ||
		    rc == SQLITE_IOERR_TRUNCATE || rc == SQLITE_IOERR_SHMSIZE)
			return error_set(err, QE_FAIL, "%s: cannot write '%s': %s", what,
					 s->base.target, why);
		return error_set(err, QE_FAIL, "%s: I/O error on '%s': %s", what, s->base.target,
				 why);
	}
	}
	return error_set(err, QE_FAIL, "%s: %s", what, sqlite3_errmsg(s->db));
}

/* Whether a column takes part in a list: it has every flag of want and none of skip. */
static bool col_in(const struct col *c, unsigned want, unsigned skip)
{
	return (c->flags & want) == want && !(c->flags & skip);
}

/* ", name" (no comma before the first), and with marker "= ?N" after it. */
static void add_col(struct buf *b, int *n, const char *name, bool marker)
{
	char num[16];

	if ((*n)++)
		buf_add(b, ", ", 2);
	buf_adds(b, name);
	if (marker) {
		snprintf(num, sizeof num, " = ?%d", *n);
		buf_adds(b, num);
	}
}

/*
 * The text of statement id with its markers replaced by column lists of its table.  Built
 * when a short-lived command first prepares the statement, so it is built cheaply: text
 * between markers in one piece, no printf per column but for a marker's number.
 */
static char *build_sql(enum stmt_id id)
{
	static const char markers[] = "\001\002\003\004";
	const struct table *t = stmt_table[id];
	struct buf b = BUF_INIT;
	char num[16];
	int n = 0;

	for (const char *p = stmt_sql[id]; *p;) {
		size_t run = strcspn(p, markers);

		buf_add(&b, p, run);
		p += run;
		if (!*p)
			break;
		switch (*p++) {
		case '\001': /* COLS */
		case '\002': /* COLS_DETAIL */
			for (int i = 0; i < t->n; i++)
				if (col_in(&t->col[i], 0, p[-1] == '\001' ? COL_DETAIL : 0))
					add_col(&b, &n, t->col[i].name, false);
			break;
		case '\003': /* COLS_INSERT */
			buf_add(&b, "(", 1);
			for (int i = 0; i < t->n; i++)
				if (col_in(&t->col[i], 0, COL_COUNTED))
					add_col(&b, &n, t->col[i].name, false);
			buf_adds(&b, ") VALUES (");
			for (int i = 1; i <= n; i++) {
				snprintf(num, sizeof num, "%s?%d", i > 1 ? ", " : "", i);
				buf_adds(&b, num);
			}
			buf_add(&b, ")", 1);
			break;
		case '\004': /* COLS_SET */
			for (int i = 0; i < t->n; i++)
				if (col_in(&t->col[i], COL_MUTABLE, COL_COUNTED))
					add_col(&b, &n, t->col[i].name, true);
			break;
		}
	}
	return buf_detach(&b);
}

/* The prepared statement for id, reset and with its bindings cleared; NULL on failure. */
static sqlite3_stmt *stmt(struct sqlite_store *s, enum stmt_id id, struct error *err)
{
	sqlite3_stmt *st = s->stmts[id];
	int rc;

	if (st) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		return st;
	}
	if (stmt_table[id] && !s->sql[id])
		s->sql[id] = build_sql(id);
	rc = sqlite3_prepare_v3(s->db, s->sql[id] ? s->sql[id] : stmt_sql[id], -1,
				SQLITE_PREPARE_PERSISTENT, &s->stmts[id], NULL);
	if (rc != SQLITE_OK) {
		db_error(s, rc, "prepare", err);
		return NULL;
	}
	return s->stmts[id];
}

/* Run a statement that returns no rows (or whose rows are ignored); returns changes. */
static int exec_stmt(struct sqlite_store *s, sqlite3_stmt *st, const char *what,
		     struct error *err)
{
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return db_error(s, rc, what, err);
	return sqlite3_changes(s->db);
}

static void bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

static char *col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t ? xstrdup((const char *)t) : NULL;
}

static int state_from_text(const char *name)
{
	enum job_state state = JOB_PENDING;

	job_state_parse(name ? name : "", &state, NULL);
	return state;
}

/* The field of record rec that column c describes, as a T. */
#define FIELD(T, rec, c) ((T *)((char *)(rec) + (c)->off))
#define AUX(T, rec, c) ((T *)((char *)(rec) + (c)->aux))

/*
 * Bind the fields of rec to ?1, ?2, ... for the columns of t that have the flags in want
 * and none in skip: the parameters COLS_INSERT and COLS_SET write.  The strings and bytes
 * are bound without a copy: rec must outlive the statement's step.
 */
/* A word list as a JSON array of strings. */
static void bind_argv(sqlite3_stmt *q, int i, char *const *argv)
{
	json_t *a;
	char *text;

	if (!argv) {
		sqlite3_bind_null(q, i);
		return;
	}
	a = json_array();
	for (int k = 0; argv[k]; k++)
		json_array_append_new(a, json_string(argv[k]));
	text = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	sqlite3_bind_text(q, i, text, -1, SQLITE_TRANSIENT);
	free(text);
}

/* The word list of a column bind_argv wrote; NULL for NULL, or for what is not one. */
static char **col_argv(sqlite3_stmt *q, int i)
{
	const char *text = (const char *)sqlite3_column_text(q, i);
	json_t *a = text ? json_loads(text, 0, NULL) : NULL;
	char **argv = NULL;
	size_t n = json_is_array(a) ? json_array_size(a) : 0;

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

static void bind_cols(sqlite3_stmt *q, const struct table *t, unsigned want, unsigned skip,
		      const void *rec)
{
	int i = 0;

	for (const struct col *c = t->col; c < t->col + t->n; c++) {
		long long v = 0;

		if (!col_in(c, want, skip | COL_COUNTED))
			continue;
		i++;
		switch (c->type) {
		case COL_TEXT:
			bind_text(q, i, *FIELD(char *const, rec, c));
			continue;
		case COL_ARGV:
			bind_argv(q, i, *FIELD(char **const, rec, c));
			continue;
		case COL_STATE:
			bind_text(q, i, job_state_name(*FIELD(const enum job_state, rec, c)));
			continue;
		case COL_BLOB:
			if (*FIELD(char *const, rec, c))
				sqlite3_bind_blob64(q, i, *FIELD(char *const, rec, c),
						    *AUX(const size_t, rec, c), SQLITE_STATIC);
			else
				sqlite3_bind_null(q, i);
			continue;
		case COL_REAL:
			if (*FIELD(const double, rec, c) != 0 || !(c->flags & COL_ZERO_NULL))
				sqlite3_bind_double(q, i, *FIELD(const double, rec, c));
			else
				sqlite3_bind_null(q, i);
			continue;
		case COL_EXIT:
			if (*AUX(const bool, rec, c))
				sqlite3_bind_int(q, i, *FIELD(const int, rec, c));
			else
				sqlite3_bind_null(q, i);
			continue;
		case COL_INT:
			v = *FIELD(const int, rec, c);
			break;
		case COL_LL:
			v = *FIELD(const long long, rec, c);
			break;
		case COL_I64:
			v = *FIELD(const int64_t, rec, c);
			break;
		}
		if (v != 0 || !(c->flags & COL_ZERO_NULL))
			sqlite3_bind_int64(q, i, v);
		else
			sqlite3_bind_null(q, i);
	}
}

/*
 * Fill rec from a row of COLS (or COLS_DETAIL when detail): every column of t in order.  The
 * caller has zeroed rec; what is read is malloc'd and freed by the record's _release.
 */
static void read_cols(sqlite3_stmt *q, const struct table *t, bool detail, void *rec)
{
	int i = 0;

	for (const struct col *c = t->col; c < t->col + t->n; c++) {
		if (!col_in(c, 0, detail ? 0 : COL_DETAIL))
			continue;
		switch (c->type) {
		case COL_TEXT:
			*FIELD(char *, rec, c) = col_text(q, i);
			break;
		case COL_ARGV:
			*FIELD(char **, rec, c) = col_argv(q, i);
			break;
		case COL_STATE:
			*FIELD(enum job_state, rec, c) =
				state_from_text((const char *)sqlite3_column_text(q, i));
			break;
		case COL_BLOB:
			if (sqlite3_column_type(q, i) != SQLITE_NULL) {
				const void *blob = sqlite3_column_blob(q, i);
				int n = sqlite3_column_bytes(q, i);

				/* An empty blob comes back as NULL: an attempt that printed nothing. */
				*FIELD(char *, rec, c) = blob ? xstrndup(blob, (size_t)n) : xstrdup("");
				*AUX(size_t, rec, c) = blob ? (size_t)n : 0;
			}
			break;
		case COL_REAL:
			*FIELD(double, rec, c) = sqlite3_column_double(q, i);
			break;
		case COL_EXIT:
			*AUX(bool, rec, c) = sqlite3_column_type(q, i) != SQLITE_NULL;
			*FIELD(int, rec, c) = sqlite3_column_int(q, i);
			break;
		case COL_INT:
			*FIELD(int, rec, c) = sqlite3_column_int(q, i);
			break;
		case COL_LL:
			*FIELD(long long, rec, c) = sqlite3_column_int64(q, i);
			break;
		case COL_I64:
			*FIELD(int64_t, rec, c) = sqlite3_column_int64(q, i);
			break;
		}
		i++;
	}
}

static void row_to_job(sqlite3_stmt *q, bool detail, struct job *job)
{
	job_init(job);
	read_cols(q, &jobs, detail, job);
}

static int run_sql(struct sqlite_store *s, const char *sql, const char *what, struct error *err)
{
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : db_error(s, rc, what, err);
}

/* The one integer a pragma or query returns. */
static int pragma_int(struct sqlite_store *s, const char *sql, int *out, struct error *err)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);

	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		*out = sqlite3_column_int(st, 0);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_OK ? 0 : db_error(s, rc, "open", err);
}

/*
 * The schema version, the application id and the number of tables, in one statement and so
 * from one snapshot: read apart, another process's migration could commit in between and
 * its tables would pass for another program's.
 */
static int read_header(struct sqlite_store *s, int *version, int *app_id, int *tables,
		       struct error *err)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(s->db,
				    "SELECT (SELECT user_version FROM pragma_user_version), "
				    "(SELECT application_id FROM pragma_application_id), "
				    "(SELECT count(*) FROM sqlite_master)",
				    -1, &st, NULL);

	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		*version = sqlite3_column_int(st, 0);
		*app_id = sqlite3_column_int(st, 1);
		*tables = sqlite3_column_int(st, 2);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_OK ? 0 : db_error(s, rc, "open", err);
}

/* Bring the schema up to SCHEMA_VERSION, in one transaction so a crash leaves it whole. */
static int migrate(struct sqlite_store *s, struct error *err)
{
	int version = 0, app_id = 0, tables = 0;

	/*
	 * The common case first, from the file header alone: read_header's query over three
	 * pragma tables costs more instructions than the insert of an 'enqueue'.  Two snapshots
	 * are safe here: a database at our version has had our application id since that commit.
	 */
	if (pragma_int(s, "PRAGMA user_version", &version, err))
		return err->code;
	s->found_version = version;
	if (version == SCHEMA_VERSION) {
		if (pragma_int(s, "PRAGMA application_id", &app_id, err))
			return err->code;
		if (app_id == QUEUECTL_APP_ID)
			return 0;
	}
	if (read_header(s, &version, &app_id, &tables, err))
		return err->code;
	if (version > 0 && app_id != QUEUECTL_APP_ID)
		return error_set(err, QE_FAIL, "'%s' is not a queuectl database (application_id %#x)",
				 s->base.target, (unsigned)app_id);
	if (version == SCHEMA_VERSION)
		return 0;
	/* Never take over another program's database: only an empty file becomes ours. */
	if (version == 0 && tables > 0)
		return error_set(err, QE_FAIL,
				 "'%s' is not a queuectl database (it holds another program's "
				 "tables)", s->base.target);
	if (version > SCHEMA_VERSION)
		return error_set(err, QE_FAIL,
				 "database '%s' has schema version %d, newer than this queuectl's "
				 "%d: upgrade queuectl",
				 s->base.target, version, SCHEMA_VERSION);
	if (run_sql(s, "PRAGMA journal_mode = WAL", "set WAL mode", err) ||
	    run_sql(s, "BEGIN IMMEDIATE", "migrate", err))
		return err->code;
	/* Another process may have migrated while we waited for the lock. */
	if (pragma_int(s, "PRAGMA user_version", &version, err))
		goto fail;
	s->found_version = version;
	for (; version < SCHEMA_VERSION; version++) {
		char *sql = xasprintf("%s; PRAGMA user_version = %d; PRAGMA application_id = %d",
				      migrations[version], version + 1, QUEUECTL_APP_ID);
		int rc = run_sql(s, sql, "migrate", err);

		free(sql);
		if (rc)
			goto fail;
	}
	if (run_sql(s, "COMMIT", "migrate", err))
		goto fail;
	return 0;
fail:
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return err->code;
}

static void sqlite_close(struct store *st)
{
	struct sqlite_store *s = ss(st);

	for (int i = 0; i < S_COUNT; i++) {
		sqlite3_finalize(s->stmts[i]);
		free(s->sql[i]);
	}
	/* A checkpoint now would write our log into whatever file has the path's -wal next. */
	if (s->lost)
		sqlite3_db_config(s->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
	sqlite3_close(s->db);
	if (s->lost)
		remove_stale(s);
	if (s->wake_fd >= 0)
		close(s->wake_fd);
	free(s->files_dir);
	free(s->wake_path);
	free(s->base.target);
	free(s);
}

static int sqlite_open(const char *target, struct store **out, struct error *err)
{
	struct sqlite_store *s = xcalloc(1, sizeof *s);
	const char *env = getenv("QUEUECTL_BUSY_TIMEOUT");
	struct stat st;
	char *dir;
	int fd, rc;

	s->base.ops = &sqlite_store_ops;
	s->base.target = xstrdup(target);
	s->files_dir = xasprintf("%s.d", target);
	s->wake_path = xasprintf("%s/wake", s->files_dir);
	s->wake_fd = -1;
	s->busy_ms = 10000;
	assert(backend_state_lists_ok());
	if (env && *env) {
		char *end;
		long v = strtol(env, &end, 10);

		if (*end == '\0' && v >= 0 && v <= 3600000) /* else the default, not 0 */
			s->busy_ms = (int)v;
	}
	*out = NULL;

	/*
	 * Jobs in a file that another user can write, or in a directory where another user can
	 * put or replace files, are that user's commands run as us.
	 */
	dir = xstrdup(target);
	rc = path_check_private(dirname(dir), -1, err);
	free(dir);
	if (rc)
		goto fail;
	/*
	 * Create the file ourselves so that it is owner-only from the first byte; SQLite gives
	 * its -wal and -shm files the same mode.
	 */
	fd = open(target, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		rc = error_set(err, QE_FAIL, "cannot open database '%s': %s", target,
			       errno == ELOOP ? "it is a symbolic link" : strerror(errno));
		goto fail;
	}
	rc = path_check_private(target, fd, err);
	close(fd);
	if (rc)
		goto fail;
	rc = sqlite3_open_v2(target, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		rc = s->db ? db_error(s, rc, "open", err)
			   : error_set(err, QE_FAIL, "cannot open database '%s'", target);
		goto fail;
	}
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, s->busy_ms);
	if (stat(target, &st) == 0) {
		s->dev = st.st_dev;
		s->ino = st.st_ino;
	}
	/*
	 * synchronous=NORMAL in WAL mode: a commit survives a crash of queuectl; a power loss
	 * may lose the last commits but never corrupts the database.
	 */
	if ((rc = migrate(s, err)) || (rc = run_sql(s, "PRAGMA synchronous = NORMAL", "open", err)))
		goto fail;
	s->wal_ino = file_ino(s, "-wal");
	s->shm_ino = file_ino(s, "-shm");
	*out = &s->base;
	return 0;
fail:
	sqlite_close(&s->base);
	return rc;
}

/*
 * Every process that writes this database runs on the machine that holds the file (SQLite
 * over a network file system is not supported), so the local clock is the store's clock.
 */
static int sqlite_now(struct store *st, int64_t *ms, struct error *err)
{
	*ms = time_now_ms();
	return 0;
}

/*
 * BEGIN IMMEDIATE: the write lock at once.  A transaction that began by reading and then
 * wrote would have to upgrade its lock, and SQLite fails that with SQLITE_BUSY at once,
 * without waiting out the busy timeout, whenever another writer got in between.
 */
static int sqlite_begin(struct store *st, struct error *err)
{
	struct sqlite_store *s = ss(st);
	sqlite3_stmt *q;

	if (s->lost)
		return error_set(err, QE_FAIL, "the database '%s' %s", st->target, s->lost);
	q = stmt(s, S_BEGIN, err);
	return q && exec_stmt(s, q, "begin", err) >= 0 ? 0 : err->code;
}

static int sqlite_commit(struct store *st, struct error *err)
{
	struct sqlite_store *s = ss(st);
	sqlite3_stmt *q = stmt(s, S_COMMIT, err);

	return q && exec_stmt(s, q, "commit", err) >= 0 ? 0 : err->code;
}

static void sqlite_rollback(struct store *st)
{
	struct sqlite_store *s = ss(st);

	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

static int sqlite_insert(struct store *st, const struct job *job, struct error *err)
{
	struct sqlite_store *s = ss(st);
	sqlite3_stmt *q = stmt(s, S_INSERT, err);
	int rc;

	if (!q)
		return err->code;
	bind_cols(q, &jobs, 0, 0, job);
	rc = sqlite3_step(q);
	sqlite3_reset(q);
	if (rc == SQLITE_DONE)
		return 0;
	if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
		return error_set(err, QE_CONFLICT, "a job with id '%s' already exists", job->id);
	return db_error(s, rc, "enqueue", err);
}

static int sqlite_resolve(struct store *st, const char *lo, const char *hi, char *found[2],
			  int *n, struct error *err)
{
	struct sqlite_store *s = ss(st);
	sqlite3_stmt *q = stmt(s, S_RESOLVE, err);
	int rc;

	if (!q)
		return err->code;
	bind_text(q, 1, lo);
	bind_text(q, 2, hi);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW && *n < 2) {
		const char *v = (const char *)sqlite3_column_text(q, 0);

		if (v)
			found[(*n)++] = xstrdup(v);
	}
	sqlite3_reset(q);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		for (; *n > 0; (*n)--)
			free(found[*n - 1]);
		return db_error(s, rc, "find job", err);
	}
	return 0;
}

static int sqlite_get(struct store *st, const char *id, struct job *job, struct error *err)
{
	struct sqlite_store *s = ss(st);
	sqlite3_stmt *q = stmt(s, S_GET, err);
	int rc;

	if (!q)
		return err->code;
	bind_text(q, 1, id);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		row_to_job(q, true, job);
		sqlite3_reset(q);
		return 0;
	}
	sqlite3_reset(q);
	if (rc == SQLITE_DONE)
		return error_set(err, QE_NOTFOUND, "no job '%s'", id);
	return db_error(s, rc, "read job", err);
}

static int sqlite_list(struct store *st, const struct job_filter *f, job_visit_fn *fn,
		       void *ctx, struct error *err)
{
	struct sqlite_store *s = ss(st);
	sqlite3_stmt *q = stmt(s, f->state >= 0 ? S_LIST_STATE : S_LIST_ALL, err);
	int rc, stop = 0;

	if (!q)
		return err->code;
	if (f->state >= 0)
		bind_text(q, 1, job_state_name((enum job_state)f->state));
	bind_text(q, 2, f->queue);
	sqlite3_bind_int64(q, 3, f->limit > 0 ? f->limit : -1);
	bind_text(q, 4, f->worker);
	bind_text(q, 5, f->id_prefix);
	bind_text(q, 6, f->command_like);
	sqlite3_bind_int64(q, 7, f->after > 0 ? f->after : 0);
	while (!stop && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct job job;

		row_to_job(q, false, &job);
		stop = fn(ctx, &job);
		job_release(&job);
	}
	sqlite3_reset(q);
	if (stop)
		return stop;
	return rc == SQLITE_DONE ? 0 : db_error(s, rc, "list jobs", err);
}

static int sqlite_counts(struct store *st, long long counts[JOB_NSTATES], struct error *err)
{
	struct sqlite_store *s = ss(st);
	sqlite3_stmt *q = stmt(s, S_COUNTS, err);
	int rc;

	if (!q)
		return err->code;
	for (int i = 0; i < JOB_NSTATES; i++)
		counts[i] = 0;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW)
		counts[state_from_text((const char *)sqlite3_column_text(q, 0))] =
			sqlite3_column_int64(q, 1);
	sqlite3_reset(q);
	return rc == SQLITE_DONE ? 0 : db_error(s, rc, "count jobs", err);
}

static int sqlite_update(struct store *st, const struct job *job, enum job_state expect,
			 const char *expect_worker, struct error *err)
{
	struct sqlite_store *s = ss(st);
	sqlite3_stmt *q = stmt(s, S_UPDATE, err);

	if (!q)
		return err->code;
	bind_cols(q, &jobs, COL_MUTABLE, 0, job);
	bind_text(q, sqlite3_bind_parameter_index(q, ":id"), job->id);
	bind_text(q, sqlite3_bind_parameter_index(q, ":expect"), job_state_name(expect));
	bind_text(q, sqlite3_bind_parameter_index(q, ":owner"), expect_worker);
	sqlite3_bind_int(q, sqlite3_bind_parameter_index(q, ":runs"), job->runs);
	return exec_stmt(s, q, "update job", err);
}

static int sqlite_remove(struct store *st, const char *id, struct error *err)
{
	struct sqlite_store *s = ss(st);
	sqlite3_stmt *q = stmt(s, S_REMOVE, err);
	int n, rc;

	if (!q)
		return err->code;
	bind_text(q, 1, id);
	if ((n = exec_stmt(s, q, "delete job", err)) != 0)
		return n < 0 ? n : 0;
	if (!(q = stmt(s, S_EXISTS, err)))
		return err->code;
	bind_text(q, 1, id);
	rc = sqlite3_step(q);
	sqlite3_reset(q);
	if (rc == SQLITE_ROW)
		return error_set(err, QE_CONFLICT, "job '%s' is processing: it cannot be deleted",
				 id);
	if (rc == SQLITE_DONE)
		return error_set(err, QE_NOTFOUND, "no job '%s'", id);
	return db_error(s, rc, "delete job", err);
}

static int sqlite_purge(struct store *st, enum job_state state, int64_t before,
			id_visit_fn *fn, void *ctx, struct error *err)
{
	struct sqlite_store *s = ss(st);
	sqlite3_stmt *q = stmt(s, S_PURGE, err);
	int n = 0, rc;

	if (!q)
		return err->code;
	bind_text(q, 1, job_state_name(state));
	sqlite3_bind_int64(q, 2, before);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if (fn)
			fn(ctx, (const char *)sqlite3_column_text(q, 0));
		n++;
	}
	sqlite3_reset(q);
	return rc == SQLITE_DONE ? n : db_error(s, rc, "purge", err);
}

static int sqlite_config_list(struct store *st, kv_visit_fn *fn, void *ctx, struct error *err)
{
	struct sqlite_store *s = ss(st);
	sqlite3_stmt *q = stmt(s, S_CONFIG_LIST, err);
	int rc, stop = 0;

	if (!q)
		return err->code;
	while (!stop && (rc = sqlite3_step(q)) == SQLITE_ROW)
		stop = fn(ctx, (const char *)sqlite3_column_text(q, 0),
			  (const char *)sqlite3_column_text(q, 1));
	sqlite3_reset(q);
	if (stop)
		return stop;
	return rc == SQLITE_DONE ? 0 : db_error(s, rc, "read config", err);
}

static int sqlite_config_set(struct store *st, const char *key, const char *value,
			     struct error *err)
{
	struct sqlite_store *s = ss(st);
	sqlite3_stmt *q = stmt(s, S_CONFIG_SET, err);

	if (!q)
		return err->code;
	bind_text(q, 1, key);
	bind_text(q, 2, value);
	return exec_stmt(s, q, "set config", err) < 0 ? err->code : 0;
}

static int sqlite_config_unset(struct store *st, const char *key, struct error *err)
{
	struct sqlite_store *s = ss(st);
	sqlite3_stmt *q = stmt(s, S_CONFIG_UNSET, err);

	if (!q)
		return err->code;
	bind_text(q, 1, key);
	return exec_stmt(s, q, "reset config", err) < 0 ? err->code : 0;
}

/* Bind the queue filter as the JSON array that DUE_WHERE reads; *json is freed by the caller. */
static void bind_queues(sqlite3_stmt *q, const struct claim_req *req, char **json)
{
	json_t *a;

	*json = NULL;
	if (!req->queues)
		return;
	a = json_array();
	for (int i = 0; i < req->nqueues; i++)
		json_array_append_new(a, json_string(req->queues[i]));
	*json = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	bind_text(q, 4, *json);
}

static int sqlite_claim(struct store *st, const struct claim_req *req, struct job *out, int max,
			struct error *err)
{
	struct sqlite_store *s = ss(st);
	sqlite3_stmt *q = stmt(s, S_CLAIM, err);
	char *queues;
	int rc, n = 0;

	if (!q)
		return err->code;
	bind_text(q, 1, req->worker_id);
	sqlite3_bind_int64(q, 2, req->lease_until);
	sqlite3_bind_int64(q, 3, req->now);
	bind_queues(q, req, &queues);
	sqlite3_bind_int(q, 5, max);
	while (n < max && (rc = sqlite3_step(q)) == SQLITE_ROW)
		row_to_job(q, false, &out[n++]);
	if (n == max)
		rc = sqlite3_step(q); /* SQLITE_DONE: the statement runs to its end */
	/* The reset ends the statement and, outside a transaction, commits its write. */
	if (rc == SQLITE_DONE) {
		int rc2 = sqlite3_reset(q);

		if (rc2 != SQLITE_OK)
			rc = rc2;
	} else {
		sqlite3_reset(q);
	}
	free(queues);
	if (rc == SQLITE_DONE)
		return n;
	while (n > 0)
		job_release(&out[--n]);
	return db_error(s, rc, "claim", err);
}

static int sqlite_started(struct store *st, const char *job_id, const char *worker_id,
			  int pid, long long pid_start, struct error *err)
{
	struct sqlite_store *s = ss(st);
	sqlite3_stmt *q = stmt(s, S_STARTED, err);

	if (!q)
		return err->code;
	bind_text(q, 1, job_id);
	bind_text(q, 2, worker_id);
	sqlite3_bind_int(q, 3, pid);
	sqlite3_bind_int64(q, 4, pid_start);
	return exec_stmt(s, q, "record job start", err);
}

static int sqlite_renew(struct store *st, const char *worker_id, int64_t lease_until,
			struct error *err)
{
	struct sqlite_store *s = ss(st);
	sqlite3_stmt *q = stmt(s, S_RENEW, err);

	if (!q)
		return err->code;
	bind_text(q, 1, worker_id);
	sqlite3_bind_int64(q, 2, lease_until);
	return exec_stmt(s, q, "renew lease", err);
}

static int sqlite_release(struct store *st, const char *worker_id, const char *job_id,
			  int64_t now, struct error *err)
{
	struct sqlite_store *s = ss(st);
	sqlite3_stmt *q = stmt(s, S_RELEASE, err);

	if (!q)
		return err->code;
	bind_text(q, 1, worker_id);
	bind_text(q, 2, job_id);
	sqlite3_bind_int64(q, 3, now);
	return exec_stmt(s, q, "release jobs", err);
}

static int sqlite_unclaim(struct store *st, const struct job *job, int64_t now,
			  struct error *err)
{
	struct sqlite_store *s = ss(st);
	sqlite3_stmt *q = stmt(s, S_UNCLAIM, err);

	if (!q)
		return err->code;
	bind_text(q, 1, job->id);
	bind_text(q, 2, job->worker_id);
	sqlite3_bind_int(q, 3, job->runs);
	sqlite3_bind_int64(q, 4, now);
	return exec_stmt(s, q, "give back a claim", err);
}

static int sqlite_recover_leases(struct store *st, int64_t now, const char *except,
				 struct error *err)
{
	struct sqlite_store *s = ss(st);
	sqlite3_stmt *q = stmt(s, S_RECOVER, err);

	if (!q)
		return err->code;
	sqlite3_bind_int64(q, 1, now);
	bind_text(q, 2, except);
	return exec_stmt(s, q, "recover jobs", err);
}

static int sqlite_prune_workers(struct store *st, int64_t now, struct error *err)
{
	struct sqlite_store *s = ss(st);
	sqlite3_stmt *q = stmt(s, S_WORKER_PRUNE, err);

	if (!q)
		return err->code;
	sqlite3_bind_int64(q, 1, now);
	return exec_stmt(s, q, "forget stale workers", err);
}

static int sqlite_next_due(struct store *st, const struct claim_req *req, int64_t *when,
			   struct error *err)
{
	struct sqlite_store *s = ss(st);
	sqlite3_stmt *q = stmt(s, S_NEXT_DUE, err);
	char *queues;
	int rc;

	if (!q)
		return err->code;
	bind_queues(q, req, &queues);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		*when = sqlite3_column_int64(q, 0);
	sqlite3_reset(q);
	free(queues);
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : db_error(s, rc, "find next job", err);
}

static int sqlite_attempt_add(struct store *st, const struct attempt *a, struct error *err)
{
	struct sqlite_store *s = ss(st);
	sqlite3_stmt *q = stmt(s, S_ATTEMPT_ADD, err);

	if (!q)
		return err->code;
	bind_cols(q, &attempts, 0, 0, a);
	return exec_stmt(s, q, "record attempt", err) < 0 ? err->code : 0;
}

static int sqlite_attempt_list(struct store *st, const char *job_id, attempt_visit_fn *fn,
			       void *ctx, struct error *err)
{
	struct sqlite_store *s = ss(st);
	sqlite3_stmt *q = stmt(s, S_ATTEMPT_LIST, err);
	int rc, stop = 0;

	if (!q)
		return err->code;
	bind_text(q, 1, job_id);
	while (!stop && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct attempt a = { 0 };

		read_cols(q, &attempts, false, &a);
		stop = fn(ctx, &a);
		attempt_release(&a);
	}
	sqlite3_reset(q);
	if (stop)
		return stop;
	return rc == SQLITE_DONE ? 0 : db_error(s, rc, "read attempts", err);
}

static int sqlite_worker_add(struct store *st, const struct worker_info *w, struct error *err)
{
	struct sqlite_store *s = ss(st);
	sqlite3_stmt *q = stmt(s, S_WORKER_ADD, err);

	if (!q)
		return err->code;
	bind_cols(q, &workers, 0, 0, w);
	return exec_stmt(s, q, "register worker", err) < 0 ? err->code : 0;
}

static int sqlite_worker_beat(struct store *st, const char *id, int64_t now, int64_t stale_at,
			      struct error *err)
{
	struct sqlite_store *s = ss(st);
	sqlite3_stmt *q = stmt(s, S_WORKER_BEAT, err);

	if (!q)
		return err->code;
	bind_text(q, 1, id);
	sqlite3_bind_int64(q, 2, now);
	sqlite3_bind_int64(q, 3, stale_at);
	return exec_stmt(s, q, "heartbeat", err);
}

static int sqlite_worker_remove(struct store *st, const char *id, struct error *err)
{
	struct sqlite_store *s = ss(st);
	sqlite3_stmt *q = stmt(s, S_WORKER_REMOVE, err);

	if (!q)
		return err->code;
	bind_text(q, 1, id);
	return exec_stmt(s, q, "unregister worker", err) < 0 ? err->code : 0;
}

static int sqlite_worker_list(struct store *st, worker_visit_fn *fn, void *ctx,
			      struct error *err)
{
	struct sqlite_store *s = ss(st);
	sqlite3_stmt *q = stmt(s, S_WORKER_LIST, err);
	int rc, stop = 0;

	if (!q)
		return err->code;
	while (!stop && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct worker_info w = { 0 };

		read_cols(q, &workers, false, &w);
		stop = fn(ctx, &w);
		worker_info_release(&w);
	}
	sqlite3_reset(q);
	if (stop)
		return stop;
	return rc == SQLITE_DONE ? 0 : db_error(s, rc, "list workers", err);
}

static int sqlite_worker_stop(struct store *st, const char *id, struct error *err)
{
	struct sqlite_store *s = ss(st);
	sqlite3_stmt *q = stmt(s, S_WORKER_STOP, err);

	if (!q)
		return err->code;
	bind_text(q, 1, id);
	return exec_stmt(s, q, "ask a worker to stop", err);
}

static int sqlite_worker_stop_requested(struct store *st, const char *id, struct error *err)
{
	struct sqlite_store *s = ss(st);
	sqlite3_stmt *q = stmt(s, S_WORKER_STOP_REQUESTED, err);
	int rc, asked = 0;

	if (!q)
		return err->code;
	bind_text(q, 1, id);
	if ((rc = sqlite3_step(q)) == SQLITE_ROW)
		asked = sqlite3_column_int(q, 0) != 0;
	sqlite3_reset(q);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_error(s, rc, "read a stop request", err);
	return asked;
}

/*
 * Wake-ups: workers watch <db>.d/wake with inotify; an enqueue touches its timestamps.  One
 * syscall for the enqueuer, and it costs nothing at all when no worker has created the file.
 */
static void sqlite_notify(struct store *st)
{
	utimensat(AT_FDCWD, ss(st)->wake_path, NULL, 0);
}

/*
 * The path still names the file we opened, and its write-ahead log is there: a worker that
 * went on with a database deleted or replaced under it would serve a queue no one else sees,
 * and one whose -wal was deleted would commit into a log no one else reads.
 */
static int sqlite_verify(struct store *st, struct error *err)
{
	struct sqlite_store *s = ss(st);
	struct stat now;

	if (!s->lost && stat(st->target, &now) < 0)
		s->lost = "is gone";
	else if (!s->lost && (now.st_dev != s->dev || now.st_ino != s->ino))
		s->lost = "was replaced by another file";
	if (s->lost)
		return error_set(err, QE_FAIL, "the database '%s' %s", st->target, s->lost);
	if (s->wal_ino && file_ino(s, "-wal") != s->wal_ino)
		return error_set(err, QE_FAIL, "the write-ahead log '%s-wal' of the database is gone",
				 st->target);
	return 0;
}

/* Flush one queue's summary, read over several rows of S_QUEUE_COUNTS, to fn. */
static int summary_done(struct sqlite_store *s, int64_t now, struct queue_summary *qs,
			summary_visit_fn *fn, void *ctx, struct error *err)
{
	sqlite3_stmt *q = stmt(s, S_OLDEST_DUE, err);
	int rc;

	if (!q)
		return err->code;
	bind_text(q, 1, qs->name);
	sqlite3_bind_int64(q, 2, now);
	rc = sqlite3_step(q);
	qs->oldest_due_ms = rc == SQLITE_ROW && sqlite3_column_type(q, 0) != SQLITE_NULL
				    ? now - sqlite3_column_int64(q, 0)
				    : -1;
	sqlite3_reset(q);
	if (rc != SQLITE_ROW)
		return db_error(s, rc, "read queues", err);
	return fn(ctx, qs);
}

static int sqlite_summaries(struct store *st, int64_t now, summary_visit_fn *fn, void *ctx,
			    struct error *err)
{
	struct sqlite_store *s = ss(st);
	sqlite3_stmt *q = stmt(s, S_QUEUE_COUNTS, err);
	struct queue_summary qs = { 0 };
	struct {
		char *queue;
		int state;
		long long n;
	} *rows = NULL;
	size_t nrows = 0, cap = 0;
	char *name = NULL;
	int rc, stop = 0;

	if (!q)
		return err->code;
	/*
	 * The rows are read whole before any callback, so that the callback and S_OLDEST_DUE
	 * run with no statement of ours half read.
	 */
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if (nrows == cap) {
			cap = cap ? 2 * cap : 16;
			rows = xrealloc(rows, cap * sizeof *rows);
		}
		rows[nrows].queue = col_text(q, 0);
		rows[nrows].state = state_from_text((const char *)sqlite3_column_text(q, 1));
		rows[nrows].n = sqlite3_column_int64(q, 2);
		nrows++;
	}
	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		stop = db_error(s, rc, "read queues", err);
	for (size_t i = 0; i < nrows && !stop; i++) {
		if (name && strcmp(name, rows[i].queue)) {
			stop = summary_done(s, now, &qs, fn, ctx, err);
			memset(&qs, 0, sizeof qs);
		}
		name = rows[i].queue;
		qs.name = name;
		qs.counts[rows[i].state] = rows[i].n;
	}
	if (!stop && name)
		stop = summary_done(s, now, &qs, fn, ctx, err);
	for (size_t i = 0; i < nrows; i++)
		free(rows[i].queue);
	free(rows);
	return stop;
}

static int sqlite_counters(struct store *st, counter_visit_fn *fn, void *ctx,
			   struct error *err)
{
	struct sqlite_store *s = ss(st);
	sqlite3_stmt *q = stmt(s, S_COUNTERS, err);
	int rc, stop = 0;

	if (!q)
		return err->code;
	while (!stop && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct counter c = {
			.queue = (const char *)sqlite3_column_text(q, 0),
			.name = (const char *)sqlite3_column_text(q, 1),
			.le = sqlite3_column_int64(q, 2),
			.n = sqlite3_column_int64(q, 3),
			.sum_ms = sqlite3_column_int64(q, 4),
		};

		stop = fn(ctx, &c);
	}
	sqlite3_reset(q);
	if (stop)
		return stop;
	return rc == SQLITE_DONE ? 0 : db_error(s, rc, "read counters", err);
}

static int sqlite_finished_since(struct store *st, int64_t since, const char *queue,
				 finished_visit_fn *fn, void *ctx, struct error *err)
{
	struct sqlite_store *s = ss(st);
	sqlite3_stmt *q = stmt(s, S_FINISHED_SINCE, err);
	int rc, stop = 0;

	if (!q)
		return err->code;
	sqlite3_bind_int64(q, 1, since);
	bind_text(q, 2, queue);
	while (!stop && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct finished f = {
			.queue = (const char *)sqlite3_column_text(q, 0),
			.outcome = (const char *)sqlite3_column_text(q, 1),
			.started_at = sqlite3_column_int64(q, 2),
			.finished_at = sqlite3_column_int64(q, 3),
		};

		stop = fn(ctx, &f);
	}
	sqlite3_reset(q);
	if (stop)
		return stop;
	return rc == SQLITE_DONE ? 0 : db_error(s, rc, "read attempts", err);
}

static int sqlite_wait_fd(struct store *st, struct error *err)
{
	struct sqlite_store *s = ss(st);
	int fd;

	if (s->wake_fd >= 0)
		return s->wake_fd;
	if (mkdir_private(s->files_dir, err))
		return err->code;
	fd = open(s->wake_path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return error_set(err, QE_FAIL, "cannot create '%s': %s", s->wake_path,
				 strerror(errno));
	close(fd);
	s->wake_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (s->wake_fd < 0 || inotify_add_watch(s->wake_fd, s->wake_path, IN_ATTRIB) < 0)
		return error_set(err, QE_FAIL, "cannot watch '%s': %s", s->wake_path,
				 strerror(errno));
	return s->wake_fd;
}

static void sqlite_wait_drain(struct store *st)
{
	struct sqlite_store *s = ss(st);
	char buf[4096];

	while (s->wake_fd >= 0 && read(s->wake_fd, buf, sizeof buf) > 0)
		;
}

/*
 * Every commit writes the database or its write-ahead log (a rollback journal is written
 * and removed), so a watch on the directory that holds them sees every write.
 */
static int sqlite_changes_fd(struct store *st, struct error *err)
{
	char *copy = xstrdup(st->target), *dir = dirname(copy);
	int fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);

	if (fd < 0 || inotify_add_watch(fd, dir, IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_TO |
							  IN_CREATE) < 0) {
		error_set(err, QE_FAIL, "cannot watch '%s': %s", dir, strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = err->code;
	}
	free(copy);
	return fd;
}

/* In WAL mode NORMAL syncs only at checkpoints; FULL syncs the WAL at every commit. */
static int sqlite_set_durable(struct store *st, bool durable, struct error *err)
{
	return run_sql(ss(st), durable ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL",
		       "set durability", err);
}

static void sqlite_schema_version(struct store *st, int *found, int *current)
{
	*found = ss(st)->found_version;
	*current = SCHEMA_VERSION;
}

static const char *sqlite_files_dir(struct store *st)
{
	return ss(st)->files_dir;
}

const struct store_ops sqlite_store_ops = {
	.name = "sqlite",
	.open = sqlite_open,
	.close = sqlite_close,
	.now = sqlite_now,
	.begin = sqlite_begin,
	.commit = sqlite_commit,
	.rollback = sqlite_rollback,
	.insert = sqlite_insert,
	.resolve = sqlite_resolve,
	.get = sqlite_get,
	.list = sqlite_list,
	.counts = sqlite_counts,
	.update = sqlite_update,
	.remove = sqlite_remove,
	.purge = sqlite_purge,
	.config_list = sqlite_config_list,
	.config_set = sqlite_config_set,
	.config_unset = sqlite_config_unset,
	.claim = sqlite_claim,
	.started = sqlite_started,
	.renew = sqlite_renew,
	.release = sqlite_release,
	.unclaim = sqlite_unclaim,
	.recover_leases = sqlite_recover_leases,
	.prune_workers = sqlite_prune_workers,
	.next_due = sqlite_next_due,
	.attempt_add = sqlite_attempt_add,
	.attempt_list = sqlite_attempt_list,
	.summaries = sqlite_summaries,
	.counters = sqlite_counters,
	.finished_since = sqlite_finished_since,
	.worker_add = sqlite_worker_add,
	.worker_beat = sqlite_worker_beat,
	.worker_remove = sqlite_worker_remove,
	.worker_list = sqlite_worker_list,
	.worker_stop = sqlite_worker_stop,
	.worker_stop_requested = sqlite_worker_stop_requested,
	.notify = sqlite_notify,
	.wait_fd = sqlite_wait_fd,
	.wait_drain = sqlite_wait_drain,
	.changes_fd = sqlite_changes_fd,
	.verify = sqlite_verify,
	.files_dir = sqlite_files_dir,
	.schema_version = sqlite_schema_version,
	.set_durable = sqlite_set_durable,
};
