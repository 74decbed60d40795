/*
 * test_exec.c - unit tests for exec.c, how a job's process runs: the shell's argv; exit
 * statuses, signals and timeouts in words; an argv passed word for word; the environment
 * with variables replaced; no descriptor beyond 0-2, stdin /dev/null, even when our own
 * 0 is closed; the log file (stdout and stderr, truncated, mode 0600); a process group of
 * its own; default signals and an empty mask; PATH searched as execvp does; failures to
 * start and whose fault they are (the program's own failures are skipped under valgrind,
 * which cannot report them).
 *
 * Each test runs in a fresh temporary directory (the fixture's state), removed afterwards.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
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
#include "tmpdb.h"
#include "util.h"

/* --- helpers --- */

/* Start argv with env, logging to dir/name.log; wait for it; return its wait status. */
static int run_argv(const char *dir, const char *name, const char *const *argv,
		    const char *const *env)
{
	char *log = xasprintf("%s/%s.log", dir, name);
	struct exec_spec spec = { .argv = argv, .env = env, .log_path = log };
	struct error err = { 0 };
	bool job_fault = true;
	pid_t pid = 0;
	int status;

	if (exec_spawn(&spec, &pid, &job_fault, &err))
		fail_msg("exec_spawn: %s", err.msg);
	assert_false(job_fault);
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	free(log);
	return status;
}

/* Run a shell command line as a job runs it. */
static int run_sh(const char *dir, const char *name, const char *command)
{
	const char *argv[EXEC_SHELL_ARGC + 1];

	exec_shell_argv(command, argv);
	return run_argv(dir, name, argv, NULL);
}

/* The whole of dir/name.log (malloc'd). */
static char *read_log(const char *dir, const char *name)
{
	char *path = xasprintf("%s/%s.log", dir, name);
	struct buf b = BUF_INIT;
	char chunk[4096];
	ssize_t n;
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	while ((n = read(fd, chunk, sizeof chunk)) > 0)
		buf_add(&b, chunk, (size_t)n);
	close(fd);
	free(path);
	buf_adds(&b, "");
	return buf_detach(&b);
}

static void assert_log(const char *dir, const char *name, const char *want)
{
	char *got = read_log(dir, name);

	assert_string_equal(got, want);
	free(got);
}

/* exec_describe of a status: the words, and whether it succeeded. */
static void assert_words(int status, bool timed_out, int64_t timeout, const char *want,
			 bool want_ok)
{
	char buf[128];

	assert_int_equal(exec_describe(status, timed_out, timeout, buf, sizeof buf), want_ok);
	assert_string_equal(buf, want);
}

/* --- argv and status words --- */

static void test_shell_argv(void **state)
{
	const char *argv[EXEC_SHELL_ARGC + 1];

	exec_shell_argv("echo hi", argv);
	assert_string_equal(argv[0], "/bin/sh");
	assert_string_equal(argv[1], "-c");
	assert_string_equal(argv[2], "echo hi");
	assert_null(argv[3]);
}

static void test_exit_status_words(void **state)
{
	const char *dir = *state;

	assert_words(run_sh(dir, "three", "exit 3"), false, 0, "exit status 3", false);
	assert_words(run_sh(dir, "zero", "true"), false, 0, "exit status 0", true);
	assert_words(run_sh(dir, "notfound", "no-such-command-queuectl"), false, 0,
		     "command not found (exit status 127)", false);
	assert_words(run_sh(dir, "cannot", "exit 126"), false, 0,
		     "command cannot be run (exit status 126)", false);
}

static void test_signal_words(void **state)
{
	const char *dir = *state;

	assert_words(run_sh(dir, "kill9", "kill -9 $$"), false, 0, "killed by signal 9 (SIGKILL)",
		     false);
	assert_words(run_sh(dir, "term", "kill -TERM $$"), false, 0,
		     "killed by signal 15 (SIGTERM)", false);
}

static void test_timeout_words(void **state)
{
	/* A timed-out process failed, whatever its status (it may have exited 0 on SIGTERM). */
	assert_words(0, true, 90, "timed out after 1m30s", false);
	assert_words(0x0f, true, 1, "timed out after 1s", false);
	/* A stopped process's status is none of the above. */
	assert_words(0x137f, false, 0, "ended with wait status 0x137f", false);
}

/* --- the process's argv, environment, descriptors, group, signals --- */

static void test_argv_intact(void **state)
{
	const char *dir = *state;
	/* printf, found in PATH: no shell, so the words reach it as they are. */
	const char *argv[] = { "printf", "[%s]", "a b", "  c  ", "", "$HOME", "*", "'q'", NULL };

	assert_words(run_argv(dir, "argv", argv, NULL), false, 0, "exit status 0", true);
	assert_log(dir, "argv", "[a b][  c  ][][$HOME][*]['q']");
}

static void test_environment(void **state)
{
	const char *dir = *state;
	const char *env[] = { "QUEUECTL_JOB_ID=job1", "QUEUECTL_ATTEMPT=2", NULL };

	/* Ours are replaced, not doubled; the rest of our environment is passed on. */
	setenv("QUEUECTL_JOB_ID", "bogus", 1);
	setenv("QUEUECTL_JOB_IDX", "kept", 1);
	setenv("EXEC_TEST_KEEP", "yes", 1);
	unsetenv("QUEUECTL_ATTEMPT");
	const char *argv[] = { "/bin/sh", "-c",
			       "env | grep -E '^(QUEUECTL_JOB|QUEUECTL_ATTEMPT|EXEC_TEST_)' | "
			       "LC_ALL=C sort",
			       NULL };

	assert_words(run_argv(dir, "env", argv, env), false, 0, "exit status 0", true);
	assert_log(dir, "env",
		   "EXEC_TEST_KEEP=yes\nQUEUECTL_ATTEMPT=2\nQUEUECTL_JOB_ID=job1\n"
		   "QUEUECTL_JOB_IDX=kept\n");
	unsetenv("QUEUECTL_JOB_ID");
	unsetenv("QUEUECTL_JOB_IDX");
	unsetenv("EXEC_TEST_KEEP");
}

static void test_descriptors(void **state)
{
	const char *dir = *state;
	/* Descriptors of ours without FD_CLOEXEC must not leak into the job. */
	int leak = open("/dev/null", O_RDONLY), leak2 = dup(leak);

	assert_true(leak > 2 && leak2 > 2);
	assert_words(run_sh(dir, "fds", "ls /proc/$$/fd | tr '\\n' ' '; readlink /proc/$$/fd/0"),
		     false, 0, "exit status 0", true);
	assert_log(dir, "fds", "0 1 2 /dev/null\n");
	close(leak);
	close(leak2);
}

/* With our own stdin closed, the log file is opened as 0: the job's 0 must still be /dev/null. */
static void test_descriptors_stdin_closed(void **state)
{
	const char *dir = *state;
	int saved = dup(0);

	assert_true(saved > 2);
	close(0);
	int status = run_sh(dir, "closed0", "readlink /proc/$$/fd/0; echo out; echo err >&2");

	dup2(saved, 0);
	close(saved);
	assert_words(status, false, 0, "exit status 0", true);
	assert_log(dir, "closed0", "/dev/null\nout\nerr\n");
}

static void test_log_file(void **state)
{
	const char *dir = *state;
	char *path = xasprintf("%s/log.log", dir);
	struct stat st;

	assert_words(run_sh(dir, "log", "echo one; echo two >&2; echo three"), false, 0,
		     "exit status 0", true);
	assert_log(dir, "log", "one\ntwo\nthree\n");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* A second run on the same path starts the file afresh. */
	assert_words(run_sh(dir, "log", "echo again"), false, 0, "exit status 0", true);
	assert_log(dir, "log", "again\n");
	free(path);
}

static void test_process_group(void **state)
{
	const char *dir = *state;
	char *log = xasprintf("%s/group.log", dir);
	const char *argv[EXEC_SHELL_ARGC + 1];
	struct error err = { 0 };
	bool job_fault;
	pid_t pid;
	int status;

	/* A job and its background child, both in the job's own group: one signal stops both. */
	exec_shell_argv("sleep 60 & wait", argv);
	struct exec_spec spec = { .argv = argv, .log_path = log };

	assert_int_equal(exec_spawn(&spec, &pid, &job_fault, &err), 0);
	assert_int_equal(getpgid(pid), pid);
	assert_int_not_equal(getpgid(pid), getpgid(0));
	assert_int_equal(kill(-pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	free(log);
}

static void test_signals_default(void **state)
{
	const char *dir = *state;
	sigset_t block, old;

	/* What the worker does for its signalfd must not reach the job. */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGCHLD);
	sigprocmask(SIG_BLOCK, &block, &old);
	signal(SIGUSR1, SIG_IGN);
	int status = run_sh(dir, "sigs", "grep -E '^Sig(Blk|Ign):' /proc/$$/status");

	signal(SIGUSR1, SIG_DFL);
	sigprocmask(SIG_SETMASK, &old, NULL);
	char *log = read_log(dir, "sigs");
	unsigned long long blocked, ignored;

	assert_words(status, false, 0, "exit status 0", true);
	assert_int_equal(sscanf(log, "SigBlk:\t%llx\nSigIgn:\t%llx\n", &blocked, &ignored), 2);
	assert_int_equal(blocked, 0);
	/*
	 * Every signal is default but glibc's two internal ones (32 and 33, below SIGRTMIN,
	 * which no program can use through glibc), whatever glibc makes of them.
	 */
	assert_int_equal(ignored & ~(3ULL << 31), 0);
	free(log);
}

/* --- failures to start --- */

/* exec_spawn must fail: whose fault, and the start of the message. */
static void assert_spawn_fails(const char *dir, const char *const *argv, const char *log_name,
			       bool want_job_fault, const char *want_msg)
{
	char *log = xasprintf("%s/%s", dir, log_name);
	struct exec_spec spec = { .argv = argv, .log_path = log };
	struct error err = { 0 };
	bool job_fault = !want_job_fault;
	pid_t pid = 0;

	assert_int_equal(exec_spawn(&spec, &pid, &job_fault, &err), QE_FAIL);
	assert_int_equal(job_fault, want_job_fault);
	assert_string_equal(err.msg, want_msg);
	free(log);
}

/*
 * valgrind runs the spawn's clone as a fork, so the child's exec error cannot come back to
 * the parent: the spawn "succeeds" and the child exits 127.  It preloads its own library.
 */
static bool under_valgrind(void)
{
	const char *preload = getenv("LD_PRELOAD");

	return preload && strstr(preload, "vgpreload");
}

static void test_spawn_failures(void **state)
{
	const char *dir = *state;
	char *script = xasprintf("%s/script", dir), *msg;
	const char *missing[] = { "/nonexistent/queuectl-prog", NULL };
	const char *not_in_path[] = { "queuectl-no-such-program", NULL };
	const char *not_exec[] = { script, NULL };
	int fd;

	if (under_valgrind()) {
		free(script);
		skip();
	}
	assert_spawn_fails(dir, missing, "a.log", true,
			   "cannot run '/nonexistent/queuectl-prog': No such file or directory");
	assert_spawn_fails(dir, not_in_path, "b.log", true,
			   "cannot run 'queuectl-no-such-program': No such file or directory");
	fd = open(script, O_WRONLY | O_CREAT, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "#!/bin/sh\n", 10), 10);
	close(fd);
	/* Not even root may run a file with no execute bit. */
	msg = xasprintf("cannot run '%s': Permission denied", script);
	assert_spawn_fails(dir, not_exec, "c.log", true, msg);
	free(msg);
	free(script);
}

/* Write an executable (or not) script at dir/sub/name that prints what. */
static void make_program(const char *dir, const char *sub, const char *name, mode_t mode,
			 const char *what)
{
	char *d = xasprintf("%s/%s", dir, sub), *path = xasprintf("%s/%s", d, name);
	char *text = xasprintf("#!/bin/sh\necho %s\n", what);
	int fd;

	mkdir(d, 0700);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	assert_int_equal(chmod(path, mode), 0);
	free(text);
	free(path);
	free(d);
}

/*
 * A name without '/' is looked up in PATH as execvp does: a file that cannot be run is
 * passed over for one later in PATH that can; "Permission denied" if none can and one
 * could not; an empty entry is the current directory.
 */
static void test_path_search(void **state)
{
	const char *dir = *state;
	const char *prog[] = { "queuectl-test-prog", NULL };
	char *old = xstrdup(getenv("PATH")), *path, *log, *msg, cwd[PATH_MAX];

	make_program(dir, "a", prog[0], 0644, "a");
	make_program(dir, "b", prog[0], 0755, "b");
	make_program(dir, "c", prog[0], 0755, "c");

	path = xasprintf("%s/none:%s/a:%s/b:%s/c", dir, dir, dir, dir);
	setenv("PATH", path, 1);
	assert_words(run_argv(dir, "found", prog, NULL), false, 0, "exit status 0", true);
	log = read_log(dir, "found");
	assert_string_equal(log, "b\n");
	free(log);
	free(path);

	path = xasprintf("%s/a:%s/none", dir, dir);
	setenv("PATH", path, 1);
	msg = xasprintf("cannot run '%s': Permission denied", prog[0]);
	if (!under_valgrind())
		assert_spawn_fails(dir, prog, "denied.log", true, msg);
	free(msg);
	free(path);

	assert_non_null(getcwd(cwd, sizeof cwd));
	path = xasprintf("%s/c", dir);
	assert_int_equal(chdir(path), 0);
	setenv("PATH", "/nonexistent:", 1);
	assert_words(run_argv(dir, "empty", prog, NULL), false, 0, "exit status 0", true);
	log = read_log(dir, "empty");
	assert_string_equal(log, "c\n");
	free(log);
	free(path);
	assert_int_equal(chdir(cwd), 0);

	setenv("PATH", old, 1);
	free(old);
}

/* A log that cannot be opened is the machine's trouble, not the command's. */
static void test_log_failure(void **state)
{
	const char *dir = *state;
	const char *sh[] = { "/bin/sh", "-c", "true", NULL };
	char *msg = xasprintf("cannot open log file '%s/no/such/dir.log': No such file or directory",
			      dir);

	assert_spawn_fails(dir, sh, "no/such/dir.log", false, msg);
	free(msg);
}

static void test_job_fault_table(void **state)
{
	static const struct {
		int errnum;
		bool job_fault;
	} table[] = {
		/* The program cannot be run as asked: it would fail the same way again. */
		{ ENOENT, true },
		{ EACCES, true },
		{ ENOEXEC, true },
		{ ENOTDIR, true },
		{ ELOOP, true },
		{ ENAMETOOLONG, true },
		{ EISDIR, true },
		{ E2BIG, true },
		{ EPERM, true },
		{ ELIBBAD, true },
		{ EINVAL, true },
		/* The machine is short of something: a later try may work. */
		{ EAGAIN, false },
		{ ENOMEM, false },
		{ EMFILE, false },
		{ ENFILE, false },
		{ EINTR, false },
		{ ENOSPC, false },
		{ EDQUOT, false },
		{ EIO, false },
		{ EBUSY, false },
		{ ETXTBSY, false },
		{ ENOBUFS, false },
	};

	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
		if (exec_error_is_job_fault(table[i].errnum) != table[i].job_fault)
			fail_msg("%s: job_fault should be %d", strerrorname_np(table[i].errnum),
				 table[i].job_fault);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, tmpdb_dir_setup, tmpdb_dir_teardown)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shell_argv),
		T(test_exit_status_words),
		T(test_signal_words),
		cmocka_unit_test(test_timeout_words),
		T(test_argv_intact),
		T(test_environment),
		T(test_descriptors),
		T(test_descriptors_stdin_closed),
		T(test_log_file),
		T(test_process_group),
		T(test_signals_default),
		T(test_spawn_failures),
		T(test_path_search),
		T(test_log_failure),
		cmocka_unit_test(test_job_fault_table),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
