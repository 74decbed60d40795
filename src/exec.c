/*
 * exec.c - starting a job's process and reading how it ended.
 *
 * posix_spawn, not fork: glibc uses clone(CLONE_VM|CLONE_VFORK), so the cost does not grow
 * with the caller's memory as fork's does.  The descriptors the child gets are opened here,
 * in the parent, so that the only errors posix_spawn can report are those of starting the
 * program itself: they alone may be the program's fault (exec_error_is_job_fault).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
 * What every spawn shares, made once: the attributes, and file actions that give the job
 * /dev/null as input and, as output, whatever is on the descriptor "slot" at the time, where
 * exec_spawn puts each job's log.  Built per spawn, the file actions cost seven getrlimit
 * calls (glibc checks every descriptor they name); this way, one dup3 per job.
 */
static struct {
	bool ready;
	int in, slot;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
} spawn;

static int spawn_setup(struct error *err)
{
	sigset_t all, none;

	if (spawn.ready)
		return 0;
	if ((spawn.in = open_high("/dev/null", O_RDONLY, 0)) < 0 ||
	    (spawn.slot = fcntl(spawn.in, F_DUPFD_CLOEXEC, 3)) < 0) {
		if (spawn.in >= 0)
			close(spawn.in);
		return error_set(err, QE_FAIL, "cannot open '/dev/null': %s", strerror(errno));
	}
	sigfillset(&all);
	sigemptyset(&none);
	posix_spawnattr_init(&spawn.attr);
	/*
	 * A session of its own (glibc >= 2.26), so also a process group whose id is its pid:
	 * no controlling terminal, so a job that reads /dev/tty fails at once rather than
	 * stopping on SIGTTIN for ever under a worker in a terminal, and the terminal's
	 * Ctrl+C, Ctrl+Z and hang-up reach the worker only, which decides for its jobs.
	 */
	posix_spawnattr_setflags(&spawn.attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK |
						      POSIX_SPAWN_SETSIGDEF);
	/* The caller may block signals (the worker does, for its signalfd): the job must not. */
	posix_spawnattr_setsigmask(&spawn.attr, &none);
	posix_spawnattr_setsigdefault(&spawn.attr, &all);
	posix_spawn_file_actions_init(&spawn.fa);
	posix_spawn_file_actions_adddup2(&spawn.fa, spawn.in, 0);
	posix_spawn_file_actions_adddup2(&spawn.fa, spawn.slot, 1);
	posix_spawn_file_actions_adddup2(&spawn.fa, spawn.slot, 2);
	posix_spawn_file_actions_addclosefrom_np(&spawn.fa, 3);
	spawn.ready = true;
	return 0;
}

/* At exit, so that leak checkers see everything freed. */
__attribute__((destructor)) static void spawn_free(void)
{
	if (!spawn.ready)
		return;
	posix_spawn_file_actions_destroy(&spawn.fa);
	posix_spawnattr_destroy(&spawn.attr);
	close(spawn.in);
	close(spawn.slot);
	spawn.ready = false;
}

int exec_spawn(const struct exec_spec *spec, pid_t *pid, bool *job_fault, struct error *err)
{
	int out, rc;
	bool given;
	char **env;

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
	/* With a '/' in argv[0], posix_spawnp is posix_spawn: no PATH search for /bin/sh. */
	rc = posix_spawnp(pid, spec->argv[0], &spawn.fa, &spawn.attr, (char *const *)spec->argv,
			  env);
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
