/*
 * exec.h - how a job's command runs, knowing nothing of slots or queues: started in a
 * session (so a process group) of its own with no controlling terminal, stdin from
 * /dev/null, stdout and stderr to a log file, no other descriptor, default signal
 * dispositions and an empty signal mask, in the caller's environment with some variables
 * replaced; how it ended, in words; and whether a failure to start it is the command's
 * fault or the machine's.
 */
#ifndef QUEUECTL_EXEC_H
#define QUEUECTL_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

/* The argv that runs a command line through the shell: /bin/sh -c COMMAND. */
#define EXEC_SHELL_ARGC 3
void exec_shell_argv(const char *command, const char *argv[EXEC_SHELL_ARGC + 1]);

struct exec_spec {
	/* argv[0] is the program: a path, or a name looked up in PATH; NULL-terminated. */
	const char *const *argv;
	/*
	 * "NAME=value" entries for the process's environment, NULL-terminated (or NULL): the
	 * environment is the caller's, less any variable of those names, plus these.
	 */
	const char *const *env;
	/* Created or truncated (mode 0600), opened for appending: stdout and stderr both. */
	const char *log_path;
	/*
	 * Non-NULL: the log stays open (read and append) for the caller, who closes it, so that
	 * it can look at the output without opening the file again.  If *log_fd is not -1 on
	 * entry, it is the log already open so (above 2, empty, at log_path): it is used as it
	 * is, and stays the caller's whatever happens.
	 */
	int *log_fd;
};

/*
 * Start spec.  Returns 0 with *pid set: the process leads a session and a process group of
 * its own (pgid == pid), so that signalling the group reaches whatever it starts.  Otherwise
 * returns QE_FAIL with err saying what could not be done ("cannot run '/bin/sh': ...",
 * "cannot open log file '...': ..."), and *job_fault tells whose fault it is: true when the
 * program itself cannot be run (exec_error_is_job_fault), so that trying again would fail
 * again; false when the machine is short of something, so that a later try may work.  When
 * the program could not be run, errno says why.  *pid is left as it was on failure.
 */
int exec_spawn(const struct exec_spec *spec, pid_t *pid, bool *job_fault, struct error *err);

/*
 * Whether an errno from starting a program means the program cannot be run as asked (no
 * such file, not executable, not a program, bad interpreter, argument list too long...)
 * rather than a passing shortage of the machine (EAGAIN, ENOMEM, EMFILE, ENFILE, EINTR,
 * ENOSPC, EIO, EBUSY, ETXTBSY...).  An errno not known as a shortage is the program's: a
 * failure counted against the job ends in the dead letter queue, while one retried uncounted
 * for ever would keep a worker busy with nothing.
 */
bool exec_error_is_job_fault(int errnum);

/*
 * How a process ended, in words a person reads in 'list' and 'info': "exit status 3",
 * "command not found (exit status 127)", "command cannot be run (exit status 126)",
 * "killed by signal 9 (SIGKILL)", or "timed out after 1m30s" when timed_out (timeout is in
 * seconds).  status is a wait status.  Writes at most size bytes to buf; returns whether
 * the process succeeded: exited 0 and did not time out.
 */
bool exec_describe(int status, bool timed_out, int64_t timeout, char *buf, size_t size);

#endif
