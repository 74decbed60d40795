/*
 * tmpdb.h - a store of its own for each test: by default a SQLite file in a new temporary
 * directory; with QUEUECTL_TEST_DB set, that target, so that the contract tests (test_store,
 * test_queue, test_config) run against another backend or place.
 *
 * QUEUECTL_TEST_DB is a path or URL.  A "{}" in it is replaced by a name new for each test
 * (a backend that creates its store on open, as SQLite does, then gives each test a fresh
 * one); without one, every test uses the same store, emptied through the store contract
 * before the test (every job, worker and setting removed).
 */
#ifndef QUEUECTL_TEST_TMPDB_H
#define QUEUECTL_TEST_TMPDB_H

/*
 * Set *target to the store for a test called name (no store is opened or created) and *dir
 * to a temporary directory for the test's own files, or NULL when QUEUECTL_TEST_DB names the
 * store.  Returns 0, or -1 with nothing allocated.
 */
int tmpdb_make(const char *name, char **dir, char **target);
/* Remove the temporary directory and everything in it, if any, and free both strings. */
void tmpdb_remove(char *dir, char *target);

/*
 * A temporary SQLite file whatever QUEUECTL_TEST_DB says, for the tests of the SQLite
 * backend itself: *dir is the directory and *path "<dir>/q.db".
 */
int tmpdb_make_sqlite(const char *name, char **dir, char **path);

#include <stdbool.h>
#include <stdint.h>

struct store;

/* A store opened for one test: the cmocka state of the store tests. */
struct tmpdb_store {
	char *dir, *target;
	struct store *st;
};
/*
 * Make and open the store for a test called name (tmpdb_make, or tmpdb_make_sqlite when
 * sqlite_only); NULL on failure, said with print_error.  tmpdb_store_close undoes it.
 */
struct tmpdb_store *tmpdb_store_open(const char *name, bool sqlite_only);
void tmpdb_store_close(struct tmpdb_store *f);

/*
 * cmocka setup and teardown for a test that only needs a fresh temporary directory: its
 * path is the state, removed with everything in it afterwards.
 */
int tmpdb_dir_setup(void **state);
int tmpdb_dir_teardown(void **state);

/* Insert a pending job ("echo hi", 3 retries) created (and last updated) at created. */
void tmpdb_add_job(struct store *st, const char *id, const char *queue, long long priority,
		   int64_t run_at, int64_t created);

#endif
