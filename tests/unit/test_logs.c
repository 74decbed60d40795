/*
 * test_logs.c - unit tests for the spare logs of logs.c: a spare is made empty, owner-only
 * and locked; placed by a rename that never replaces a file already there (a planted link
 * stays and must still fail the start); taken back; swept only once no one holds it, by
 * logs_sweep and by logs_remove's pass, which never take a job's log for one.  And
 * exec_spawn with the log given open: used as it is, left open, the caller's on failure.
 *
 * Each test runs in a fresh temporary directory (the fixture's state), removed afterwards.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "exec.h"
#include "logs.h"
#include "tmpdb.h"
#include "util.h"

static bool under_valgrind(void)
{
	const char *preload = getenv("LD_PRELOAD");

	return preload && strstr(preload, "vgpreload");
}

static bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void test_spare_cycle(void **state)
{
	const char *root = *state;
	char *spare = logs_spare_path(root, "1-abc-0");
	char *log = logs_path(root, "job1", 1), *link = logs_path(root, "job2", 1);
	char *target = xasprintf("%s/target", root);
	struct error err = { 0 };
	struct stat st;
	int fd;

	assert_int_equal(logs_prepare(root, &err), 0);
	write_file(spare, "stale");
	fd = logs_spare_make(spare);
	assert_true(fd > 2);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_size, 0); /* emptied */
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	assert_true(fcntl(fd, F_GETFL) & O_APPEND);

	/* Never over a file already there: a planted link stays, its target untouched. */
	write_file(target, "keep");
	assert_int_equal(symlink(target, link), 0);
	assert_int_equal(logs_spare_place(spare, link), -1);
	assert_int_equal(errno, EEXIST);
	assert_true(exists(spare));

	/* In place: the same file, now the log; back again once the attempt wrote nothing. */
	assert_int_equal(logs_spare_place(spare, log), 0);
	assert_false(exists(spare));
	assert_true(logs_same(fd, log));
	assert_int_equal(logs_spare_return(log, spare), 0);
	assert_false(exists(log));
	assert_false(logs_same(fd, log));
	assert_true(logs_same(fd, spare));
	close(fd);
	free(spare);
	free(log);
	free(link);
	free(target);
}

static void test_sweep(void **state)
{
	const char *root = *state;
	char *held = logs_spare_path(root, "1-abc-0"), *left = logs_spare_path(root, "2-def-1");
	char *log = logs_path(root, "job1", 1);
	const char *ids[] = { "other" };
	struct error err = { 0 };
	int fd, gone;

	assert_int_equal(logs_prepare(root, &err), 0);
	write_file(log, "output");
	fd = logs_spare_make(held);
	assert_true(fd >= 0);
	gone = logs_spare_make(left); /* a killed worker's: its lock went with it */
	assert_true(gone >= 0);
	close(gone);
	logs_sweep(root);
	assert_true(exists(held));
	assert_false(exists(left));
	assert_true(exists(log));

	/* logs_remove's pass sweeps too, and removes only the logs of the ids given. */
	gone = logs_spare_make(left);
	assert_true(gone >= 0);
	close(gone);
	logs_remove(root, ids, 1);
	assert_true(exists(held));
	assert_false(exists(left));
	assert_true(exists(log));
	close(fd);
	logs_sweep(root);
	assert_false(exists(held));
	free(held);
	free(left);
	free(log);
}

static void test_spawn_given_log(void **state)
{
	const char *root = *state;
	char *log = xasprintf("%s/given.log", root), buf[16] = { 0 };
	const char *ok[] = { "/bin/sh", "-c", "echo given", NULL };
	const char *bad[] = { "/nonexistent/program", NULL };
	struct error err = { 0 };
	bool job_fault;
	pid_t pid = 0;
	int fd = open(log, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600), status, given = fd;

	assert_true(fd > 2);
	struct exec_spec spec = { .argv = ok, .log_path = log, .log_fd = &fd };

	assert_int_equal(exec_spawn(&spec, &pid, &job_fault, &err), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(fd, given);
	assert_int_equal(pread(fd, buf, sizeof buf - 1, 0), 6);
	assert_string_equal(buf, "given\n");
	/*
	 * A failure leaves it open, the caller's.  Not under valgrind, which runs the spawn's
	 * clone as a fork: the exec error never comes back (test_exec.c, under_valgrind).
	 */
	spec.argv = bad;
	if (!under_valgrind()) {
		assert_int_equal(exec_spawn(&spec, &pid, &job_fault, &err), QE_FAIL);
		assert_int_equal(fd, given);
		assert_true(fcntl(fd, F_GETFD) >= 0);
	}
	close(fd);
	free(log);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, tmpdb_dir_setup, tmpdb_dir_teardown)
	const struct CMUnitTest tests[] = {
		T(test_spare_cycle),
		T(test_sweep),
		T(test_spawn_given_log),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
