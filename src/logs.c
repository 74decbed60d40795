/*
 * logs.c - the files of logs.h.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
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

char *logs_path(const char *root, const char *id, int run)
{
	return xasprintf("%s/logs/%s.%d.log", root, id, run);
}

int logs_prepare(const char *root, struct error *err)
{
	char *dir = xasprintf("%s/logs", root);
	int rc = mkdir_private(root, err) || mkdir_private(dir, err) ? err->code : 0;

	free(dir);
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The id of a log's name "<id>.<run>.log" (in place), or NULL for another name.  Ids may hold
 * dots, so the run is the last dotted part before ".log".
 */
static char *id_of(char *name)
{
	size_t len = strlen(name);
	char *dot;

	if (len < 7 || strcmp(name + len - 4, ".log"))
		return NULL;
	name[len - 4] = '\0';
	if (!(dot = strrchr(name, '.')) || dot == name || !dot[1] ||
	    strspn(dot + 1, "0123456789") != strlen(dot + 1))
		return NULL;
	*dot = '\0';
	return name;
}

/*
 * Spares start so: no log's name can (ids never begin with a dot, id_valid), and a log's
 * name ends in ".log", which is_spare also rules out.
 */
static const char spare_prefix[] = ".spare-";

static bool is_spare(const char *name)
{
	size_t len = strlen(name);

	return !strncmp(name, spare_prefix, sizeof spare_prefix - 1) &&
	       strcmp(name + len - 4, ".log");
}

/*
 * Remove the spare name in the directory dfd if no worker holds it: its worker holds the
 * lock from when it makes it until it exits.  The lock taken, the name must still be the file
 * locked, not a spare made since under the same name.
 */
static void sweep_one(int dfd, const char *name)
{
	struct stat a, b;
	int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return;
	if (flock(fd, LOCK_EX | LOCK_NB) == 0 && fstat(fd, &a) == 0 &&
	    fstatat(dfd, name, &b, AT_SYMLINK_NOFOLLOW) == 0 && a.st_dev == b.st_dev &&
	    a.st_ino == b.st_ino)
		unlinkat(dfd, name, 0);
	close(fd);
}

void logs_remove(const char *root, const char *const *ids, size_t n)
{
	char *dir = xasprintf("%s/logs", root), *key, name[NAME_MAX + 1];
	const char **sorted;
	struct dirent *de;
	DIR *d;
	int fd;

	if (n == 0 || (fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
	    !(d = fdopendir(fd))) {
		if (n && fd >= 0)
			close(fd);
		free(dir);
		return;
	}
	sorted = xmalloc(n * sizeof *sorted);
	memcpy(sorted, ids, n * sizeof *sorted);
	qsort(sorted, n, sizeof *sorted, cmp_str);
	/* One pass over the directory, however many jobs go. */
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (de->d_type != DT_DIR && is_spare(de->d_name)) {
			sweep_one(fd, de->d_name);
			continue;
		}
		snprintf(name, sizeof name, "%s", de->d_name);
		/* A directory named by the id: the earlier layout, logs/<id>/<run>.log. */
		key = de->d_type == DT_DIR ? name : id_of(name);
		if (!key || !bsearch(&key, sorted, n, sizeof *sorted, cmp_str))
			continue;
		if (de->d_type == DT_DIR) {
			char *old = xasprintf("%s/%s", dir, de->d_name);

			remove_tree(old);
			free(old);
		} else {
			unlinkat(fd, de->d_name, 0);
		}
	}
	closedir(d);
	free(sorted);
	free(dir);
}

char *logs_spare_path(const char *root, const char *tag)
{
	return xasprintf("%s/logs/%s%s", root, spare_prefix, tag);
}

int logs_spare_make(const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
	int high;

	/* Never 0, 1 or 2: exec_spawn's child dup2s onto those (see open_high in exec.c). */
	if (fd >= 0 && fd <= 2) {
		high = fcntl(fd, F_DUPFD_CLOEXEC, 3);
		close(fd);
		fd = high;
	}
	if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int logs_spare_place(const char *spare, const char *log)
{
	/* Never over a file already there: a link planted there must still fail the start. */
	return renameat2(AT_FDCWD, spare, AT_FDCWD, log, RENAME_NOREPLACE);
}

int logs_spare_return(const char *log, const char *spare)
{
	return renameat2(AT_FDCWD, log, AT_FDCWD, spare, RENAME_NOREPLACE);
}

void logs_sweep(const char *root)
{
	char *dir = xasprintf("%s/logs", root);
	struct dirent *de;
	DIR *d;
	int fd;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) >= 0 &&
	    !(d = fdopendir(fd))) {
		close(fd);
		fd = -1;
	}
	free(dir);
	if (fd < 0)
		return;
	while ((de = readdir(d)))
		if (de->d_type != DT_DIR && is_spare(de->d_name))
			sweep_one(fd, de->d_name);
	closedir(d);
}

bool logs_same(int fd, const char *path)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

/* Where a log's middle was left out: at the end of the part kept from its start. */
static const char marker[] = "\n[... queuectl: output past max-output left out here ...]\n";

/* Move the len bytes at from down to to (to < from) in fd; false if it could not. */
static bool move_down(int fd, off_t from, off_t to, off_t len)
{
	char buf[65536];

	while (len > 0) {
		ssize_t n = pread(fd, buf, len < (off_t)sizeof buf ? (size_t)len : sizeof buf, from);

		if (n <= 0 || pwrite(fd, buf, (size_t)n, to) != n)
			return false;
		from += n;
		to += n;
		len -= n;
	}
	return true;
}

int64_t logs_cap(int log_fd, const char *path, int64_t max, bool final)
{
	off_t blk, start, tail, end, gone = 0;
	struct stat st;
	int fd;

	/* The common case, a log within the limit, costs one fstat of the open log. */
	if (log_fd >= 0 && (fstat(log_fd, &st) < 0 || st.st_size <= max))
		return 0;
	/* Not log_fd: it appends, and pwrite on it would too. */
	if ((fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return 0;
	if (fstat(fd, &st) < 0 || st.st_size <= max) {
		close(fd);
		return 0;
	}
	/* Keep [0, start) and the last max/2 bytes [tail, size), in whole blocks if must be. */
	blk = st.st_blksize > 0 ? st.st_blksize : 4096;
	start = (max / 2 + blk - 1) / blk * blk;
	tail = st.st_size - max / 2;
	if (tail <= start) {
		close(fd);
		return 0;
	}
	(void)!pwrite(fd, marker, sizeof marker - 1, start - (off_t)(sizeof marker - 1));
	if (final) {
		/* Exactly: the tail moved down behind the head, the rest cut off. */
		if (move_down(fd, tail, start, st.st_size - tail) &&
		    ftruncate(fd, start + st.st_size - tail) == 0)
			gone = tail - start;
	} else if ((end = tail / blk * blk) > start) {
		/*
		 * While the job writes on: out of the file where the file system can (ext4,
		 * XFS), the job's O_APPEND writes going on at the new end; else punched out, the
		 * space freed and the hole read as zeros until the final call closes it up.
		 */
		if (fallocate(fd, FALLOC_FL_COLLAPSE_RANGE, start, end - start) == 0)
			gone = end - start;
		else
			(void)!fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, start,
					 end - start);
	}
	close(fd);
	return gone;
}

char *logs_tail(int log_fd, const char *path, size_t max, size_t *len)
{
	struct stat st;
	char *buf = NULL;
	off_t from;
	ssize_t n;
	int fd = log_fd;

	*len = 0;
	if (fd < 0 && (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return NULL;
	if (fstat(fd, &st) == 0) {
		from = st.st_size > (off_t)max ? st.st_size - (off_t)max : 0;
		buf = xmalloc((size_t)(st.st_size - from) + 1);
		n = pread(fd, buf, (size_t)(st.st_size - from), from);
		/* Empty (*len 0) only when it is: a failed read is no output known. */
		if (n < 0 || (n == 0 && st.st_size > from)) {
			free(buf);
			buf = NULL;
		} else {
			*len = (size_t)n;
			buf[*len] = '\0';
		}
	}
	if (fd != log_fd)
		close(fd);
	return buf;
}
