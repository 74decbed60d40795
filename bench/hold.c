/*
 * hold.c - keep a queuectl database open, as a running worker does, and do nothing else.
 * SQLite checkpoints the WAL and deletes it when the last connection to a database closes;
 * while this holds a connection, a short-lived command (one enqueue) closes without that
 * work.  Measurement 3 times enqueue both ways.  Exits on SIGTERM or SIGINT.
 *
 *   hold DB      (prints "ready" once the connection holds its lock)
 */
#include "bench.h"

#include <sqlite3.h>

int main(int argc, char **argv)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	sigset_t set;
	int sig;

	if (argc != 2)
		die("usage: hold DB");
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if (sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
		die("cannot open '%s'", argv[1]);
	/* One read maps the WAL index and takes the shared lock that a connection keeps. */
	if (sqlite3_prepare_v2(db, "SELECT n FROM counts", -1, &st, NULL) != SQLITE_OK)
		die("'%s': %s", argv[1], sqlite3_errmsg(db));
	while (sqlite3_step(st) == SQLITE_ROW)
		;
	sqlite3_finalize(st);
	puts("ready");
	fflush(stdout);
	sigwait(&set, &sig);
	sqlite3_close(db);
	return 0;
}
