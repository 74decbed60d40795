/*
 * tmpdb.c - temporary directories for the unit tests' databases.
 */
#include <stdlib.h>

#include "tmpdb.h"
#include "util.h"

int tmpdb_make(const char *name, char **dir, char **path)
{
	const char *tmp = getenv("TMPDIR");

	*dir = xasprintf("%s/queuectl-%s-XXXXXX", tmp && *tmp ? tmp : "/tmp", name);
	if (!mkdtemp(*dir)) {
		free(*dir);
		return -1;
	}
	*path = xasprintf("%s/q.db", *dir);
	return 0;
}

void tmpdb_remove(char *dir, char *path)
{
	remove_tree(dir);
	free(dir);
	free(path);
}
