/*
 * logs.c - the files of logs.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "logs.h"
#include "util.h"

/* The data directory, as main.c finds it for a database given by no path. */
static char *data_dir(struct error *err)
{
	const char *env;

	if ((env = getenv("QUEUECTL_HOME")) && *env)
		return xstrdup(env);
	if ((env = getenv("XDG_DATA_HOME")) && *env == '/')
		return xasprintf("%s/queuectl", env);
	if ((env = getenv("HOME")) && *env == '/')
		return xasprintf("%s/.local/share/queuectl", env);
	error_set(err, QE_INPUT, "cannot find the data directory: set QUEUECTL_HOME or HOME");
	return NULL;
}

char *logs_root(const char *target, bool is_url, struct error *err)
{
	struct buf name = BUF_INIT;
	const char *p;
	char *dir, *root;

	if (!is_url)
		return xasprintf("%s.d", target);
	if (!(dir = data_dir(err)))
		return NULL;
	/* "postgresql://user:secret@host/db?x" names host and db only: never a password. */
	p = strstr(target, "://");
	p = p ? p + 3 : target;
	if (strchr(p, '@') && strchr(p, '@') < (strchr(p, '/') ? strchr(p, '/') : p + strlen(p)))
		p = strchr(p, '@') + 1;
	for (; *p && *p != '?'; p++)
		buf_add(&name, (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
					(*p >= '0' && *p <= '9') || *p == '.' || *p == '-'
				? p
				: "-",
			1);
	root = xasprintf("%s/logs-%s.d", dir, name.data ? name.data : "server");
	buf_release(&name);
	free(dir);
	return root;
}

char *logs_dir(const char *root, const char *id)
{
	return xasprintf("%s/logs/%s", root, id);
}

char *logs_path(const char *root, const char *id, int run)
{
	return xasprintf("%s/logs/%s/%d.log", root, id, run);
}

int logs_prepare(const char *root, const char *id, struct error *err)
{
	char *dir = logs_dir(root, id);
	int rc;

	/* Most jobs start once and the logs directory exists: one mkdir, not one per level. */
	rc = mkdir(dir, 0700) == 0 || errno == EEXIST ? 0 : mkdir_p(dir, 0700, err);
	free(dir);
	return rc;
}

void logs_remove(const char *root, const char *id)
{
	char *dir = logs_dir(root, id);

	remove_tree(dir);
	free(dir);
}

char *logs_tail(const char *path, size_t max, size_t *len)
{
	struct stat st;
	char *buf = NULL;
	off_t from;
	ssize_t n;
	int fd;

	*len = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return NULL;
	if (fstat(fd, &st) == 0) {
		from = st.st_size > (off_t)max ? st.st_size - (off_t)max : 0;
		buf = xmalloc((size_t)(st.st_size - from) + 1);
		n = pread(fd, buf, (size_t)(st.st_size - from), from);
		*len = n > 0 ? (size_t)n : 0;
		buf[*len] = '\0';
	}
	close(fd);
	return buf;
}
