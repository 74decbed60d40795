/*
 * tmpdb.h - a temporary directory holding a database path, for tests that each want a store
 * of their own.
 */
#ifndef QUEUECTL_TEST_TMPDB_H
#define QUEUECTL_TEST_TMPDB_H

/*
 * Make $TMPDIR/queuectl-<name>-XXXXXX and set *dir to it and *path to "<dir>/q.db" (no file
 * is created).  Returns 0, or -1 with nothing allocated.
 */
int tmpdb_make(const char *name, char **dir, char **path);
/* Remove the directory and everything in it, and free both strings. */
void tmpdb_remove(char *dir, char *path);

#endif
