/*
 * test_sqlite.c - what is the SQLite backend's own, beyond the store contract (test_store):
 * the file, its header and schema, its mode, refusing files that are not (or not yet) ours,
 * migrating a database of an earlier version, and which targets it is chosen for.
 *
 * Always on a temporary SQLite file, whatever QUEUECTL_TEST_DB says; the sqlite3 API reads
 * the file behind the store's back.
 */
#include <setjmp.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "job.h"
#include "store.h"
#include "tmpdb.h"
#include "util.h"


static int sqlite_setup(void **state)
{
	return (*state = tmpdb_store_open("sqlite", true)) ? 0 : -1;
}

static int sqlite_teardown(void **state)
{
	tmpdb_store_close(*state);
	return 0;
}


static unsigned mode_of(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return 07777 + 1;
	return st.st_mode & 07777;
}
static char *raw_query(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *q;
	struct buf b = BUF_INIT;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
	while (sqlite3_step(q) == SQLITE_ROW) {
		const char *v = (const char *)sqlite3_column_text(q, 0);

		buf_addf(&b, "%s%s", b.len ? "," : "", v ? v : "NULL");
	}
	sqlite3_finalize(q);
	sqlite3_close(db);
	return buf_detach(&b);
}
static void assert_raw(const char *path, const char *sql, const char *want)
{
	char *got = raw_query(path, sql);

	if (strcmp(got, want))
		fail_msg("%s gave \"%s\", want \"%s\"", sql, got, want);
	free(got);
}
static void raw_exec(const char *path, const char *sql)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

/* --- opening --- */

static void test_open_creates_schema(void **state)
{
	struct tmpdb_store *f = *state;
	char *files = xasprintf("%s.d", f->target);

	assert_raw(f->target, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name",
		   "attempts,buckets,config,counters,counts,histograms,jobs,queue_counts,workers");
	assert_raw(f->target, "SELECT state || '=' || n FROM counts ORDER BY state",
		   "completed=0,dead=0,failed=0,pending=0,processing=0");
	/* The header: our application id, the current schema version, WAL. */
	assert_raw(f->target, "PRAGMA application_id", "1902343276"); /* "qctl" */
	assert_raw(f->target, "PRAGMA user_version", "5");
	assert_raw(f->target, "PRAGMA journal_mode", "wal");
	assert_string_equal(store_files_dir(f->st), files);
	free(files);
}

static void test_open_file_mode(void **state)
{
	struct tmpdb_store *f = *state;
	char *path = xasprintf("%s/private.db", f->dir), *wal = xasprintf("%s-wal", path);
	mode_t old = umask(0);
	struct error err = { 0 };
	struct store *st;

	/* Owner-only even when the umask would allow more. */
	assert_int_equal(store_open(path, &st, &err), 0);
	tmpdb_add_job(st, "j1", "default", 0, 1000, 1000);
	assert_int_equal(mode_of(path), 0600);
	if (access(wal, F_OK) == 0)
		assert_int_equal(mode_of(wal), 0600);
	store_close(st);
	umask(old);
	assert_int_equal(mode_of(path), 0600);
	free(path);
	free(wal);
}

static void test_reopen_migrates_once(void **state)
{
	struct tmpdb_store *f = *state;
	struct error err = { 0 };
	struct store *again;

	tmpdb_add_job(f->st, "j1", "default", 0, 1000, 1000);
	store_close(f->st);
	f->st = NULL;
	assert_int_equal(store_open(f->target, &f->st, &err), 0);
	assert_int_equal(store_open(f->target, &again, &err), 0);
	store_close(again);
	assert_raw(f->target, "PRAGMA user_version", "5");
	assert_raw(f->target, "SELECT count(*) FROM jobs", "1");
}

static void test_open_not_a_database(void **state)
{
	struct tmpdb_store *f = *state;
	char *path = xasprintf("%s/notes.txt", f->dir);
	struct store *st = (struct store *)&st;
	struct error err = { 0 };
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	for (int i = 0; i < 200; i++)
		fputs("these are my notes, not a database\n", fp);
	assert_int_equal(fclose(fp), 0);

	assert_int_equal(store_open(path, &st, &err), QE_FAIL);
	assert_int_equal(err.code, QE_FAIL);
	assert_null(st);
	assert_non_null(strstr(err.msg, path));
	assert_non_null(strstr(err.msg, "is not a queuectl database"));
	free(path);
}

static void test_open_newer_schema(void **state)
{
	struct tmpdb_store *f = *state;
	char *path = xasprintf("%s/future.db", f->dir);
	struct store *st = (struct store *)&st;
	struct error err = { 0 };

	/* A queuectl database (its application_id) from a later version. */
	raw_exec(path, "PRAGMA user_version = 99; PRAGMA application_id = 0x7163746c");
	assert_int_equal(store_open(path, &st, &err), QE_FAIL);
	assert_null(st);
	assert_non_null(strstr(err.msg, path));
	assert_non_null(strstr(err.msg, "schema version 99, newer than"));
	assert_non_null(strstr(err.msg, "upgrade queuectl"));
	/* Refused without touching it. */
	assert_raw(path, "PRAGMA user_version", "99");
	assert_raw(path, "SELECT count(*) FROM sqlite_master", "0");
	free(path);
}

static void test_open_missing_dir(void **state)
{
	struct tmpdb_store *f = *state;
	char *path = xasprintf("%s/no/such/dir/q.db", f->dir);
	struct store *st = (struct store *)&st;
	struct error err = { 0 };

	assert_int_equal(store_open(path, &st, &err), QE_FAIL);
	assert_null(st);
	assert_non_null(strstr(err.msg, "cannot check the directory"));
	assert_non_null(strstr(err.msg, "/no/such/dir"));
	free(path);
}

static void test_backends_by_scheme(void **state)
{
	struct store *st = (struct store *)&st;
	struct error err = { 0 };

	/*
	 * postgres:// and postgresql:// are URLs of the PostgreSQL backend: a schema name it
	 * refuses shows that it read them, before any connection is tried.
	 */
	assert_true(store_is_url("postgres://localhost/q"));
	assert_true(store_is_url("postgresql://u@db.example/q?sslmode=require"));
	assert_int_equal(store_open("postgres://localhost/q?schema=a%20b", &st, &err), QE_INPUT);
	assert_null(st);
	assert_string_equal(err.msg, "bad schema name 'a b' in 'postgres://localhost/q': use up "
				     "to 50 letters, digits, '_' and '-'");
	assert_int_equal(store_open("postgresql://u:pw@localhost/q?schema=", &st, &err), QE_INPUT);
	assert_string_equal(err.msg, "bad schema name '' in 'postgresql://u@localhost/q': use up "
				     "to 50 letters, digits, '_' and '-'");
	/* Anything else is a file path, for SQLite. */
	assert_false(store_is_url("/var/lib/queuectl/q.db"));
	assert_false(store_is_url("q.db"));
	assert_false(store_is_url("postgres:/q"));
	assert_false(store_is_url("postgres"));
	assert_false(store_is_url("mysql://localhost/q"));
	assert_false(store_is_url("./postgres://x"));
	assert_false(store_is_url(""));
}

/* --- migrations --- */

/* Migration 1 as it shipped: a database made by a queuectl of schema version 1. */
static const char schema_v1[] =
	"CREATE TABLE jobs (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE,"
	"  command TEXT NOT NULL, state TEXT NOT NULL CHECK (state IN"
	"    ('pending','processing','completed','failed','dead')),"
	"  queue TEXT NOT NULL, priority INTEGER NOT NULL, attempts INTEGER NOT NULL,"
	"  max_retries INTEGER NOT NULL, runs INTEGER NOT NULL DEFAULT 0,"
	"  timeout INTEGER NOT NULL, run_at INTEGER NOT NULL, created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL, started_at INTEGER, finished_at INTEGER,"
	"  last_error TEXT, exit_code INTEGER, worker_id TEXT, lease_until INTEGER,"
	"  pid INTEGER, pid_start INTEGER, output BLOB);"
	"CREATE INDEX jobs_claim ON jobs (priority DESC, seq) WHERE state IN ('pending','failed');"
	"CREATE INDEX jobs_due ON jobs (run_at) WHERE state IN ('pending','failed');"
	"CREATE INDEX jobs_state ON jobs (state, seq);"
	"CREATE INDEX jobs_lease ON jobs (lease_until) WHERE state = 'processing';"
	"CREATE INDEX jobs_owner ON jobs (worker_id) WHERE state = 'processing';"
	"CREATE TABLE counts (state TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;"
	"INSERT INTO counts VALUES ('pending',0),('processing',0),('completed',0),"
	"  ('failed',0),('dead',0);"
	"CREATE TRIGGER jobs_count_insert AFTER INSERT ON jobs BEGIN"
	"  UPDATE counts SET n = n + 1 WHERE state = NEW.state; END;"
	"CREATE TRIGGER jobs_count_update AFTER UPDATE OF state ON jobs"
	"  WHEN OLD.state <> NEW.state BEGIN"
	"  UPDATE counts SET n = n - 1 WHERE state = OLD.state;"
	"  UPDATE counts SET n = n + 1 WHERE state = NEW.state; END;"
	"CREATE TRIGGER jobs_count_delete AFTER DELETE ON jobs BEGIN"
	"  UPDATE counts SET n = n - 1 WHERE state = OLD.state;"
	"  DELETE FROM attempts WHERE job_id = OLD.id; END;"
	"CREATE TABLE attempts (job_id TEXT NOT NULL, run INTEGER NOT NULL,"
	"  attempt INTEGER NOT NULL, started_at INTEGER NOT NULL, finished_at INTEGER NOT NULL,"
	"  outcome TEXT NOT NULL, error TEXT, exit_code INTEGER, worker_id TEXT, log_path TEXT,"
	"  PRIMARY KEY (job_id, run)) WITHOUT ROWID;"
	"CREATE TABLE config (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE workers (id TEXT PRIMARY KEY, host TEXT NOT NULL, pid INTEGER NOT NULL,"
	"  pid_start INTEGER NOT NULL, slots INTEGER NOT NULL, queues TEXT,"
	"  started_at INTEGER NOT NULL, heartbeat_at INTEGER NOT NULL) WITHOUT ROWID;"
	"PRAGMA user_version = 1; PRAGMA application_id = 0x7163746c;";

static int check_v1_worker(void *ctx, const struct worker_info *w)
{
	assert_string_equal(w->id, "w-old");
	assert_string_equal(w->host, "box");
	assert_null(w->machine);
	assert_int_equal(w->busy, 1);
	++*(int *)ctx;
	return 0;
}

static int check_v1_attempt(void *ctx, const struct attempt *a)
{
	assert_string_equal(a->job_id, "old");
	assert_string_equal(a->outcome, "failed");
	assert_null(a->machine);
	++*(int *)ctx;
	return 0;
}

static void test_migrate_from_v1(void **state)
{
	struct tmpdb_store *f = *state;
	char *path = xasprintf("%s/v1.db", f->dir);
	struct error err = { 0 };
	struct store *st;
	struct job job;
	int n = 0;

	raw_exec(path, schema_v1);
	raw_exec(path, "INSERT INTO jobs (id, command, state, queue, priority, attempts, "
		       "max_retries, runs, timeout, run_at, created_at, updated_at, worker_id, "
		       "lease_until) VALUES ('old', 'true', 'processing', 'default', 0, 1, 3, 2, "
		       "0, 1000, 1000, 2000, 'w-old', 50000);"
		       "INSERT INTO attempts VALUES ('old', 1, 1, 1000, 1500, 'failed', "
		       "'exit status 1', 1, 'w-old', '/logs/old/1.log');"
		       "INSERT INTO workers VALUES ('w-old', 'box', 77, 88, 1, NULL, 900, 1900);");

	assert_int_equal(store_open(path, &st, &err), 0);
	assert_raw(path, "PRAGMA user_version", "5");
	/* What was there reads as before, with the new fields unset. */
	assert_int_equal(store_get(st, "old", &job, &err), 0);
	assert_int_equal(job.state, JOB_PROCESSING);
	assert_string_equal(job.worker_id, "w-old");
	assert_int_equal(job.runs, 2);
	assert_true(job.backoff_base == 0);
	job_release(&job);
	assert_int_equal(store_worker_list(st, check_v1_worker, &n, &err), 0);
	/* A worker from before stop requests were kept has not been asked. */
	assert_int_equal(store_worker_stop_requested(st, "w-old", &err), 0);
	assert_int_equal(store_attempt_list(st, "old", check_v1_attempt, &n, &err), 0);
	assert_int_equal(n, 2);
	{
		long long counts[JOB_NSTATES];

		assert_int_equal(store_counts(st, counts, &err), 0);
		assert_int_equal(counts[JOB_PROCESSING], 1);
	}
	store_close(st);
	/* Opened again: nothing more to do. */
	assert_int_equal(store_open(path, &st, &err), 0);
	store_close(st);
	assert_raw(path, "PRAGMA user_version", "5");
	free(path);
}

/* --- the SQL behind the contract --- */

static void test_counts_table(void **state)
{
	struct tmpdb_store *f = *state;
	struct error err = { 0 };

	/* status reads five rows, kept by triggers, never the jobs. */
	tmpdb_add_job(f->st, "j1", "default", 0, 1000, 1000);
	tmpdb_add_job(f->st, "j2", "default", 0, 1000, 1000);
	assert_int_equal(store_remove(f->st, "j2", &err), 0);
	assert_raw(f->target, "SELECT state || '=' || n FROM counts ORDER BY state",
		   "completed=0,dead=0,failed=0,pending=1,processing=0");
	/* Unset optional fields are NULL in the file, not 0. */
	assert_raw(f->target,
		   "SELECT quote(started_at) || quote(lease_until) || quote(pid) || "
		   "quote(backoff_base) || quote(exit_code) || quote(output) FROM jobs",
		   "NULLNULLNULLNULLNULLNULL");
}

#define T(name) cmocka_unit_test_setup_teardown(name, sqlite_setup, sqlite_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_open_creates_schema),
		T(test_open_file_mode),
		T(test_reopen_migrates_once),
		T(test_open_not_a_database),
		T(test_open_newer_schema),
		T(test_open_missing_dir),
		T(test_backends_by_scheme),
		T(test_migrate_from_v1),
		T(test_counts_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
