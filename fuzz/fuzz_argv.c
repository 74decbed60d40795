/*
 * fuzz_argv.c - the command line: each command's own option and argument parsing, run for
 * real by cmd_dispatch against a throwaway store, as main does after the global options.
 *
 * The input is argv split on NUL bytes: "enqueue\0--priority\0005\0ls".  The store lives in
 * a directory made once per process under $TMPDIR (also QUEUECTL_HOME) and removed at exit;
 * it carries over from one input to the next, so that info, delete and dlq retry find jobs,
 * and is started afresh when it grows past STORE_MAX_BYTES.  A crash that needs what earlier
 * inputs stored may not reproduce from its input alone.
 *
 * Left out: "worker" (start runs until signalled, --detach forks a daemon), "web" (serves
 * until signalled) and "logs" (--follow waits for the job), and any argument naming /dev, /proc or /sys, so that
 * "enqueue --file /dev/zero" cannot read forever.  Those inputs are not kept in the corpus.
 *
 * Besides sanitizer reports, a command must keep the contract main relies on: it returns 0
 * or a QE_* code with ctx->err holding that code and a message; a failed command changes
 * nothing in the store (README: "a failed command changes nothing"), and neither do the
 * commands that only read; and no command leaves a file descriptor open.
 */
#include <dirent.h>
#include <errno.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "fuzz.h"
#include "util.h"

#define STORE_MAX_BYTES (16 << 20)
#define ARGS_MAX 256

static char *home, *db;
static sqlite3 *watch; /* our own connection during a command: data_version moves when
			* another connection commits */
static FILE *quiet;    /* the commands' stderr ("no jobs" at every list would drown libFuzzer's) */

static void die_sqlite(const char *what)
{
	fprintf(stderr, "fuzz_argv: %s: %s\n", what, watch ? sqlite3_errmsg(watch) : "no memory");
	abort();
}

/* A new, empty, migrated store in home. */
static void store_fresh(void)
{
	struct queue q;
	struct error err = { 0 };

	remove_tree(home);
	if (mkdir_p(home, 0700, &err) || queue_open(&q, db, &err)) {
		fprintf(stderr, "fuzz_argv: cannot create the store: %s\n", err.msg);
		abort();
	}
	queue_close(&q);
}

static long long data_version(void)
{
	sqlite3_stmt *st;
	long long v;

	if (sqlite3_prepare_v2(watch, "PRAGMA data_version", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW)
		die_sqlite("read data_version");
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/*
 * Our connection is opened before each command and closed after it: open across commands,
 * it would keep SQLite from closing the descriptors of the command's connection (the unix
 * VFS defers a close while another connection in the process holds a lock on the file),
 * and the descriptor check would fail for nothing.
 */
static long long watch_open(void)
{
	if (sqlite3_open_v2(db, &watch, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
		die_sqlite("open the store");
	return data_version();
}

static long long watch_close(void)
{
	long long v = data_version();

	sqlite3_close(watch);
	watch = NULL;
	return v;
}

/* The open descriptors below FDS_MAX, as a bitmap (the scan's own is in both scans). */
#define FDS_MAX 1024
struct fds {
	unsigned char bits[FDS_MAX / 8];
};

static void fds_scan(struct fds *f)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;

	if (!d)
		abort();
	memset(f, 0, sizeof *f);
	while ((de = readdir(d))) {
		int fd = atoi(de->d_name);

		if (de->d_name[0] != '.' && fd < FDS_MAX)
			f->bits[fd / 8] |= (unsigned char)(1u << (fd % 8));
	}
	closedir(d);
}

/* A descriptor open in after but not in before, or -1. */
static int fds_new(const struct fds *before, const struct fds *after)
{
	for (int fd = 0; fd < FDS_MAX; fd++)
		if ((after->bits[fd / 8] & ~before->bits[fd / 8]) & (1u << (fd % 8)))
			return fd;
	return -1;
}

static void cleanup(void)
{
	if (watch)
		sqlite3_close(watch);
	if (home)
		remove_tree(home);
	free(home);
	free(db);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char *tmpl = xasprintf("%s/queuectl-fuzz.XXXXXX",
			       getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");

	(void)argc;
	(void)argv;
	if (!mkdtemp(tmpl)) {
		fprintf(stderr, "fuzz_argv: cannot create '%s': %s\n", tmpl, strerror(errno));
		abort();
	}
	home = tmpl;
	db = xasprintf("%s/queuectl.db", home);
	setenv("QUEUECTL_HOME", home, 1);
	unsetenv("QUEUECTL_DB");
	unsetenv("QUEUECTL_BUSY_TIMEOUT");
	atexit(cleanup);
	/* Output would flood the log, and "enqueue --file -" must not wait on a terminal. */
	if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "r", stdin) ||
	    !(quiet = fopen("/dev/null", "we")))
		abort();
	store_fresh();
	return 0;
}

/* Whether argv[0] (and argv[1] for a group) names a command that only reads. */
static bool read_only(int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "";

	return !strcmp(argv[0], "list") || !strcmp(argv[0], "status") || !strcmp(argv[0], "stats") ||
	       !strcmp(argv[0], "info") || (!strcmp(argv[0], "dlq") && strcmp(sub, "retry")) ||
	       (!strcmp(argv[0], "config") && strcmp(sub, "set"));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;
	char *argv[ARGS_MAX + 1];
	struct cmd_ctx ctx;
	struct fds fds_before, fds_after;
	struct stat st;
	FILE *saved_stderr;
	long long before, after;
	int argc = 0, fd, rc, ret = 0;

	if (size == 0)
		return -1;
	/* Each argument in a buffer of its own size, so ASan catches a read past its end. */
	for (;;) {
		const char *nul = memchr(p, '\0', (size_t)(end - p));
		size_t len = nul ? (size_t)(nul - p) : (size_t)(end - p);

		if (argc == ARGS_MAX) {
			ret = -1;
			goto out;
		}
		argv[argc++] = xstrndup(p, len);
		if (!nul)
			break;
		p = nul + 1;
	}
	argv[argc] = NULL;
	if (!strcmp(argv[0], "worker") || !strcmp(argv[0], "logs") || !strcmp(argv[0], "web")) {
		ret = -1;
		goto out;
	}
	for (int i = 0; i < argc; i++) {
		if (strstr(argv[i], "/dev") || strstr(argv[i], "/proc") || strstr(argv[i], "/sys")) {
			ret = -1;
			goto out;
		}
	}

	if (stat(db, &st) == 0 && st.st_size > STORE_MAX_BYTES)
		store_fresh();
	/*
	 * Descriptors are compared over the whole command, our connection included: libFuzzer
	 * opens some of its own between inputs (the pipes to llvm-symbolizer).
	 */
	fds_scan(&fds_before);
	before = watch_open();
	memset(&ctx, 0, sizeof ctx);
	ctx.db = db;
	optind = 0;
	saved_stderr = stderr;
	stderr = quiet;
	rc = cmd_dispatch(&ctx, cmd_table, NULL, argc, argv);
	fflush(stdout);
	stderr = saved_stderr;
	if (ctx.opened)
		queue_close(&ctx.q);
	after = watch_close();

	CHECK(rc == 0 || (rc < 0 && rc == ctx.err.code && ctx.err.msg[0]),
	      "'%s' returned %d with error code %d, message '%s'", argv[0], rc, ctx.err.code,
	      ctx.err.msg);
	CHECK(rc == 0 || after == before, "'%s' failed (%s) but changed the store", argv[0],
	      ctx.err.msg);
	CHECK(!read_only(argc, argv) || after == before, "'%s %s' changed the store", argv[0],
	      argc > 1 ? argv[1] : "");
	fds_scan(&fds_after);
	if ((fd = fds_new(&fds_before, &fds_after)) >= 0) {
		char link[64], target[512] = "?";
		ssize_t n;

		snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
		if ((n = readlink(link, target, sizeof target - 1)) > 0)
			target[n] = '\0';
		CHECK(false, "'%s' left descriptor %d open, on %s", argv[0], fd, target);
	}
out:
	for (int i = 0; i < argc; i++)
		free(argv[i]);
	return ret;
}
