/*
 * insert_one.c - the enqueue benchmark's floor for a process that stores one job: open
 * queuectl's SQLite database as queuectl does (busy timeout, synchronous=NORMAL, WAL set
 * by queuectl when it created the file), insert one pending job row, print its id.
 * Nothing else: no argument parsing, no settings, no validation, no wake-up.
 *
 *   insert_one DB [COMMAND]
 */
#include "bench.h"

#include <sqlite3.h>

int main(int argc, char **argv)
{
	const char *sql = "INSERT INTO jobs (id, command, state, queue, priority, attempts, "
			  "max_retries, timeout, run_at, created_at, updated_at) "
			  "VALUES (?1, ?2, 'pending', 'default', 0, 0, 3, 0, ?3, ?3, ?3)";
	sqlite3 *db;
	sqlite3_stmt *st;
	char id[33];
	int64_t now = real_ns() / 1000000;

	if (argc < 2 || argc > 3)
		die("usage: insert_one DB [COMMAND]");
	if (sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
		die("cannot open '%s': %s", argv[1], sqlite3_errmsg(db));
	sqlite3_busy_timeout(db, 10000);
	if (sqlite3_exec(db, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		die("'%s': %s", argv[1], sqlite3_errmsg(db));
	random_id(id);
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, argc > 2 ? argv[2] : "true", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now);
	if (sqlite3_step(st) != SQLITE_DONE)
		die("insert: %s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	sqlite3_close(db);
	puts(id);
	return 0;
}
