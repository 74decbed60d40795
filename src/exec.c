/*
 * exec.c - starting a job's process and reading how it ended.
 *
 * Not fork: clone(CLONE_VM|CLONE_VFORK), as glibc's posix_spawn, on a stack of our own
 * (spawn_start).  The descriptors the child gets are opened here, in the parent, so that the
 * only errors the child can report are those of starting the program itself: they alone may
 * be the program's fault (exec_error_is_job_fault).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exec.h"
#include "util.h"

extern char **environ;

void exec_shell_argv(const char *command, const char *argv[EXEC_SHELL_ARGC + 1])
{
	argv[0] = "/bin/sh";
	argv[1] = "-c";
	argv[2] = command;
	argv[3] = NULL;
}

/*
 * Our environment less the names extra sets, then extra: the array is malloc'd, not the
 * strings.  Each extra's "NAME=" is measured once, not once per variable of ours.
 */
static char **build_env(const char *const *extra)
{
	size_t n = 0, m = 0, k = 0, *len;
	char **env;

	while (environ[n])
		n++;
	while (extra && extra[m])
		m++;
	len = xcalloc(m + 1, sizeof *len);
	for (size_t j = 0; j < m; j++)
		len[j] = strcspn(extra[j], "=") + 1;
	env = xcalloc(n + m + 1, sizeof *env);
	for (size_t i = 0; i < n; i++) {
		size_t j = 0;

		while (j < m && strncmp(environ[i], extra[j], len[j]))
			j++;
		if (j == m)
			env[k++] = environ[i];
	}
	for (size_t j = 0; j < m; j++)
		env[k++] = (char *)extra[j];
	env[k] = NULL;
	free(len);
	return env;
}

/*
 * open(2), but never onto 0, 1 or 2: the child's dup2 onto those must not overwrite a
 * descriptor it has still to copy (a worker started with its stdin closed gets 0 here).
 */
static int open_high(const char *path, int flags, mode_t mode)
{
	int fd = open(path, flags | O_CLOEXEC, mode), high;

	if (fd < 0 || fd > 2)
		return fd;
	high = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	close(fd);
	return high;
}

/*
 * What every spawn shares, made once: /dev/null for the job's input; the descriptor "slot",
 * on which exec_spawn puts each job's log, for its output; and the stack the child runs on
 * until its exec.
 */
static struct {
	bool ready;
	int in, slot;
	char *stack;	   /* the mapping: a guard page, then SPAWN_STACK bytes */
	size_t stack_size; /* the whole mapping's; the stack's top is at its end */
} spawn;

/*
 * The child's stack: spawn_child's and exec_search's frames (a path of PATH_MAX bytes), and
 * the functions of libc they call.  Sanitizers make frames larger; this leaves room for that.
 */
#define SPAWN_STACK (256 * 1024)

static int spawn_setup(struct error *err)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), size = SPAWN_STACK + page;
	char *map;

	if (spawn.ready)
		return 0;
	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK,
		   -1, 0);
	if (map == MAP_FAILED)
		return error_set(err, QE_FAIL, "cannot start jobs: no memory for a stack: %s",
				 strerror(errno));
	/* A stack that overflows faults on the guard page instead of writing over memory. */
	mprotect(map, page, PROT_NONE);
	if ((spawn.in = open_high("/dev/null", O_RDONLY, 0)) < 0 ||
	    (spawn.slot = fcntl(spawn.in, F_DUPFD_CLOEXEC, 3)) < 0) {
		int e = errno;

		if (spawn.in >= 0)
			close(spawn.in);
		munmap(map, size);
		return error_set(err, QE_FAIL, "cannot open '/dev/null': %s", strerror(e));
	}
	spawn.stack = map;
	spawn.stack_size = size;
	spawn.ready = true;
	return 0;
}

/* At exit, so that leak checkers see everything freed. */
__attribute__((destructor)) static void spawn_free(void)
{
	if (!spawn.ready)
		return;
	munmap(spawn.stack, spawn.stack_size);
	close(spawn.in);
	close(spawn.slot);
	spawn.ready = false;
}

/*
 * execve FILE, looked up in PATH when it has no '/', as execvp does but with no shell for a
 * file that is not a program; returns only on failure, with errno saying why: EACCES if some
 * directory had a FILE that could not be run, the last directory's error otherwise.  The
 * child runs it, sharing the parent's memory, so it allocates nothing.
 */
__attribute__((no_sanitize_address)) static void exec_search(const char *file,
							      char *const argv[],
							      char *const envp[])
{
	const char *path = getenv("PATH"), *dir, *end;
	size_t flen = strlen(file);
	bool eacces = false;
	char buf[PATH_MAX];

	if (strchr(file, '/')) {
		execve(file, argv, envp);
		return;
	}
	if (!*file || flen > NAME_MAX) {
		errno = *file ? ENAMETOOLONG : ENOENT;
		return;
	}
	for (dir = path ? path : "/bin:/usr/bin";; dir = end + 1) {
		size_t dlen;

		end = strchrnul(dir, ':');
		dlen = (size_t)(end - dir);
		/* An empty entry is the current directory. */
		if (dlen + 1 + flen + 1 <= sizeof buf) {
			memcpy(buf, dir, dlen);
			buf[dlen] = '/';
			memcpy(buf + dlen + (dlen > 0), file, flen + 1);
			execve(buf, argv, envp);
		} else {
			errno = ENAMETOOLONG;
		}
		switch (errno) {
		case EACCES:
			eacces = true;
			break;
		case ENOENT:
		case ENAMETOOLONG:
		case ESTALE:
		case ENOTDIR:
		case ENODEV:
		case ETIMEDOUT:
			break;
		default:
			return;
		}
		if (!*end)
			break;
	}
	if (eacces)
		errno = EACCES;
}

struct child {
	const char *const *argv;
	char **envp;
	int error; /* the child's errno when it could not exec; 0 once it did */
};

/*
 * The child, between its clone and its exec, in the parent's memory, with every signal
 * blocked: a session of its own (so a process group whose id is its pid, and no controlling
 * terminal: a job that reads /dev/tty fails at once rather than stopping on SIGTTIN for ever
 * under a worker in a terminal, and the terminal's Ctrl+C, Ctrl+Z and hang-up reach the
 * worker only, which decides for its jobs); /dev/null as input, the log as output, no other
 * descriptor; every signal's default action and none blocked (the worker blocks those its
 * signalfd reads).  Dispositions go back to default before the mask is emptied, so that no
 * handler of the parent ever runs here.  sigaction refuses glibc's own two signals (32 and
 * 33): the exec gives them their default action if the parent caught them.
 */
__attribute__((no_sanitize_address)) static int spawn_child(void *arg)
{
	struct child *c = arg;
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	sigset_t none;

	for (int sig = 1; sig < NSIG; sig++)
		sigaction(sig, &dfl, NULL);
	if (setsid() < 0 || dup2(spawn.in, 0) < 0 || dup2(spawn.slot, 1) < 0 ||
	    dup2(spawn.slot, 2) < 0)
		goto fail;
	closefrom(3);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	exec_search(c->argv[0], (char *const *)c->argv, c->envp);
fail:
	c->error = errno;
	_exit(127);
}

/*
 * clone(CLONE_VM | CLONE_VFORK), as glibc's posix_spawn does, so that the cost does not
 * grow with our memory as fork's does, and we wait only until the child has exec'd.  Unlike
 * posix_spawn, the child runs on a stack made once (spawn.stack) instead of one mapped and
 * unmapped for every job: unmapping it flushed the TLB of every CPU the child had run on
 * (a tenth of the worker's CPU per job in perf), and the child faulted in the new pages.
 * So one spawn at a time: the worker is one thread.  Returns the pid, or -1 with errno.
 */
static pid_t spawn_start(const char *const *argv, char **envp)
{
	struct child c = { .argv = argv, .envp = envp };
	sigset_t all, old;
	pid_t pid;
	int e;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pid = clone(spawn_child, spawn.stack + spawn.stack_size, CLONE_VM | CLONE_VFORK | SIGCHLD,
		    &c);
	e = pid < 0 ? errno : c.error;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (pid > 0 && e) {
		/* It exited 127 without running anything: reap it here. */
		waitpid(pid, NULL, 0);
		pid = -1;
	}
	errno = e;
	return pid;
}

int exec_spawn(const struct exec_spec *spec, pid_t *pid, bool *job_fault, struct error *err)
{
	int out, rc = 0;
	bool given;
	char **env;
	pid_t child;

	*job_fault = false;
	if (spawn_setup(err))
		return err->code;
	given = spec->log_fd && *spec->log_fd >= 0;
	out = given ? *spec->log_fd
		    : open_high(spec->log_path, O_RDWR | O_CREAT | O_TRUNC | O_APPEND | O_NOFOLLOW,
				0600);
	if (out < 0)
		return error_set(err, QE_FAIL, "cannot open log file '%s': %s", spec->log_path,
				 strerror(errno));
	if (dup3(out, spawn.slot, O_CLOEXEC) < 0) {
		rc = errno;
		if (!given)
			close(out);
		return error_set(err, QE_FAIL, "cannot open log file '%s': %s", spec->log_path,
				 strerror(rc));
	}
	env = build_env(spec->env);
	child = spawn_start(spec->argv, env);
	if (child < 0)
		rc = errno;
	else
		*pid = child;
	free(env);
	if (!given && (rc || !spec->log_fd))
		close(out);
	else if (!given)
		*spec->log_fd = out;
	if (rc) {
		*job_fault = exec_error_is_job_fault(rc);
		error_set(err, QE_FAIL, "cannot run '%s': %s", spec->argv[0], strerror(rc));
		errno = rc;
		return err->code;
	}
	return 0;
}

bool exec_error_is_job_fault(int errnum)
{
	switch (errnum) {
	case EAGAIN:  /* fork limits: RLIMIT_NPROC, pid_max, cgroup pids.max */
	case ENOMEM:
	case EMFILE:
	case ENFILE:
	case EINTR:
	case ENOSPC:
	case EDQUOT:
	case EIO:
	case EBUSY:
	case ETXTBSY: /* the program is being written: it may be whole on the next try */
	case ENOBUFS:
		return false;
	default:
		return true;
	}
}

bool exec_describe(int status, bool timed_out, int64_t timeout, char *buf, size_t size)
{
	char d[TIME_BUFSZ];

	if (timed_out) {
		snprintf(buf, size, "timed out after %s", duration_format(timeout, d));
		return false;
	}
	if (WIFEXITED(status)) {
		int code = WEXITSTATUS(status);

		/* 127 and 126 are the shell's own words for "no such command" and "cannot run it". */
		if (code == 127)
			snprintf(buf, size, "command not found (exit status 127)");
		else if (code == 126)
			snprintf(buf, size, "command cannot be run (exit status 126)");
		else
			snprintf(buf, size, "exit status %d", code);
		return code == 0;
	}
	if (WIFSIGNALED(status)) {
		const char *name = sigabbrev_np(WTERMSIG(status));

		snprintf(buf, size, "killed by signal %d%s%s%s", WTERMSIG(status), name ? " (SIG" : "",
			 name ? name : "", name ? ")" : "");
		return false;
	}
	snprintf(buf, size, "ended with wait status %#x", (unsigned)status);
	return false;
}
