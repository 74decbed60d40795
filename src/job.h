/*
 * job.h - the job: its fields, its states and the rules that move it between them.
 *
 * Everything here is pure: no I/O, no clock.  The queue layer supplies "now" and the store.
 */
#ifndef QUEUECTL_JOB_H
#define QUEUECTL_JOB_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "error.h"

/*
 * The states, in the order status prints them.  The names are part of the interface (CLI,
 * JSON, the store's state column): never rename one.
 */
enum job_state {
	JOB_PENDING,	/* waiting to run (run_at may still be in the future) */
	JOB_PROCESSING, /* claimed by a worker, which holds a lease on it */
	JOB_COMPLETED,	/* exited 0 */
	JOB_FAILED,	/* an attempt failed; waiting out its retry delay (run_at) */
	JOB_DEAD,	/* retries spent: in the dead letter queue */
	JOB_NSTATES
};

const char *job_state_name(enum job_state state);
/* Returns 0, or QE_INPUT naming the valid states. */
int job_state_parse(const char *name, enum job_state *state, struct error *err);
/* Whether a job may move from one state to the other (the state machine, in one table). */
bool job_transition_ok(enum job_state from, enum job_state to);

/* Limits on what a job may hold; also enforced on input. */
#define JOB_COMMAND_MAX 131071 /* Linux's MAX_ARG_STRLEN less the NUL: one argv string */
#define JOB_QUEUE_MAX 64
#define JOB_RETRIES_MAX 1000
#define JOB_PRIORITY_MAX 1000000
#define JOB_OUTPUT_TAIL (64 * 1024) /* bytes of each attempt's output kept with the job */

struct job {
	char *id;
	char *command;
	char *queue;
	enum job_state state;
	int attempts;	 /* attempts finished in this cycle; dlq retry starts a new cycle */
	int max_retries; /* retries after the first attempt */
	int runs;	 /* every start ever, across cycles and crashes; numbers the log files */
	long long priority;
	int64_t timeout;		  /* seconds; 0 = none */
	int64_t run_at;			  /* ms since the epoch: not before */
	int64_t created_at, updated_at;	  /* ms since the epoch */
	int64_t started_at, finished_at;  /* latest attempt; 0 = never */
	char *last_error;		  /* NULL = none */
	int exit_code;			  /* meaningful when has_exit_code */
	bool has_exit_code;
	char *worker_id;   /* owner while processing */
	int64_t lease_until; /* ms; the owner must renew it before then */
	int pid;	     /* the process (and group) running it, while processing */
	long long pid_start; /* that process's start time, to tell a reused pid apart */
	char *output;	     /* tail of the latest attempt's output; NULL = none */
	size_t output_len;
};

/*
 * A job as given to enqueue: the fields of struct job plus "not given" markers, so that the
 * queue layer can fill in defaults from the config.
 */
struct job_spec {
	char *id;      /* NULL: generate */
	char *command; /* required */
	char *queue;   /* NULL: "default" */
	long long priority;
	int max_retries;  /* -1: from config */
	int64_t timeout;  /* -1: from config */
	int64_t run_at;	  /* 0: now */
	bool has_run_at;  /* run_at was given (it may be the epoch itself) */
	int64_t delay;	  /* -1: none; seconds, resolved against "now" by the queue layer */
	int64_t created_at; /* 0: now */
	double backoff_base; /* 0: the backoff-base setting at the time of each failure */
};

void job_init(struct job *job);
void job_release(struct job *job);
void job_spec_init(struct job_spec *spec);
void job_spec_release(struct job_spec *spec);

/*
 * Fill spec from one JSON job object (the text of a command-line argument or of one line of
 * a batch).  Every problem is QE_INPUT with a one-line message; JSON syntax errors say where:
 * "invalid job JSON at line 1, column 9: ...".
 */
int job_spec_parse(struct job_spec *spec, const char *text, size_t len, struct error *err);
/* Check a command given outside JSON (same rules as the "command" field). */
int job_command_check(const char *command, size_t len, struct error *err);

/*
 * The JSON form of a job: the schema fields always, and with detail also what only info
 * shows (lease, output, ...).  The caller owns the returned reference.
 */
json_t *job_to_json(const struct job *job, bool detail);

/*
 * The delay before retry n (n = attempts so far, >= 1): min(base ^ n, max) seconds, in ms.
 */
int64_t job_retry_delay_ms(int attempts, double base, int64_t max_secs);

#endif
