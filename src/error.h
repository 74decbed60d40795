/*
 * error.h - error codes and the message buffer that carries a failure up to main.
 *
 * Every function that can fail returns 0 or one of the negative codes below and, on failure,
 * fills a caller-provided struct error.  Only main prints the message and turns the code into
 * an exit status, so the layers below never print or exit.
 */
#ifndef QUEUECTL_ERROR_H
#define QUEUECTL_ERROR_H

enum {
	QE_OK = 0,
	QE_FAIL = -1,	  /* the operation failed (I/O, database): exit 1 */
	QE_INPUT = -2,	  /* bad usage or bad input; nothing was changed: exit 2 */
	QE_NOTFOUND = -3, /* no such job, key or worker: exit 1 */
	QE_CONFLICT = -4, /* the job exists already or is in the wrong state: exit 1 */
	QE_BUSY = -5,	  /* the database stayed locked past the busy timeout: exit 1 */
	QE_TIMEOUT = -6,  /* a wait ran out of time: exit 3 */
};

/* Exit statuses, documented in the man page. */
enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,
	EXIT_USAGE = 2,
	EXIT_TIMEOUT = 3,
};

struct error {
	int code;
	char msg[1024];
};

/*
 * Record a failure and return its code, so that a failure reads as one line:
 * return error_set(err, QE_INPUT, "bad duration '%s'", s);
 * A message starts lowercase, names the subject, and has no final full stop.
 */
int error_set(struct error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Put a prefix in front of the message already recorded ("line 3: ..."); returns the code. */
int error_prefix(struct error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The process exit status for an error code. */
int error_exit_status(int code);

#endif
