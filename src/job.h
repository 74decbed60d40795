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

/*
 * The state machine, written down once: what each operation may do to a job.  The queue
 * layer applies it, the store's guarded writes enforce it, and a backend's queries spell
 * their state lists from it (store/sqlite.c checks its lists against this table).
 *
 *   operation   from                     to                        when
 *   enqueue     (new)                    pending
 *   claim       pending, failed          processing                run_at has come
 *   finish      processing               completed, failed, dead   by the owner only
 *   release     processing               pending                   by the owner; not counted
 *   recover     processing               pending                   its lease has ended
 *   dlq retry   dead                     pending                   attempts start again at 0
 *   delete      all but processing       (gone, with its history)
 *   purge       completed, dead          (gone, with its history)  last updated before a time
 *
 * completed is final but for delete and purge.  A processing job belongs to its worker:
 * only the owner's finish and release, and recovery once the lease has ended, move it.
 */
enum job_op {
	JOB_OP_ENQUEUE,
	JOB_OP_CLAIM,
	JOB_OP_FINISH,
	JOB_OP_RELEASE,
	JOB_OP_RECOVER,
	JOB_OP_DLQ_RETRY,
	JOB_OP_DELETE,
	JOB_OP_PURGE,
	JOB_NOPS
};

/* A set of states: JOB_BIT(JOB_PENDING) | JOB_BIT(JOB_FAILED). */
#define JOB_BIT(state) (1u << (state))
#define JOB_ALL ((1u << JOB_NSTATES) - 1)

struct job_op_rule {
	const char *name;
	unsigned from; /* the states it takes a job from; 0: the job is new */
	unsigned to;   /* the states it leaves it in; 0: the job is gone */
};
extern const struct job_op_rule job_ops[JOB_NOPS];

/* Whether op may take a job in state from. */
bool job_op_from(enum job_op op, enum job_state from);
/* Whether a job may move from one state to the other: some operation of the table does it. */
bool job_transition_ok(enum job_state from, enum job_state to);

/* Limits on what a job may hold; also enforced on input. */
#define JOB_COMMAND_MAX 131071 /* Linux's MAX_ARG_STRLEN less the NUL: one argv string */
#define JOB_QUEUE_MAX 64
#define JOB_RETRIES_MAX 1000
#define JOB_PRIORITY_MAX 1000000
#define JOB_OUTPUT_TAIL (64 * 1024) /* bytes of each attempt's output kept with the job */
/* A backoff base, the job's own or the backoff-base setting (config.c uses these bounds). */
#define JOB_BACKOFF_BASE_MIN 1
#define JOB_BACKOFF_BASE_MAX 1000

struct job {
	char *id;
	char *command; /* as shown; for a word list, its words quoted for /bin/sh */
	char **argv;   /* a word list run without a shell (NULL-terminated); NULL: sh -c command */
	char *queue;
	enum job_state state;
	int attempts;	 /* attempts finished in this cycle; dlq retry starts a new cycle */
	int max_retries; /* retries after the first attempt */
	int runs;	 /* every start ever, across cycles and crashes; numbers the log files */
	long long priority;
	int64_t timeout;		  /* seconds; 0 = none */
	double backoff_base;		  /* its own; 0 = the backoff-base setting at each failure */
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
	/*
	 * Its place in creation order, given by the store and never reused: what a listing is
	 * ordered by, and so what a page of a listing resumes after (job_filter.after).
	 */
	long long seq;
};

/*
 * A job as given to enqueue: the fields of struct job plus "not given" markers, so that the
 * queue layer can fill in defaults from the config.
 */
struct job_spec {
	char *id;      /* NULL: generate */
	char *command; /* required (for a word list, set from it by job_spec_set_argv) */
	char **argv;   /* a word list run without a shell; NULL: a shell command */
	char *queue;   /* NULL: "default" */
	long long priority;
	int max_retries;  /* -1: from config */
	int64_t timeout;  /* -1: from config */
	int64_t run_at;	  /* 0: now */
	bool has_run_at;  /* run_at was given (it may be the epoch itself) */
	int64_t delay;	  /* -1: none; seconds, resolved against "now" by the queue layer */
	int64_t created_at; /* 0: now */
	double backoff_base; /* 0: none of its own (the backoff-base setting at each failure) */
};

void job_init(struct job *job);
/*
 * A word list for spec: its argv (copied) and, as its command, the words quoted for /bin/sh
 * (what list and info show).  QE_INPUT if it is empty or a word is not valid text.
 */
int job_spec_set_argv(struct job_spec *spec, const char *const *words, int n, struct error *err);
/* A copy of a NULL-terminated word list, and its release; NULL stays NULL. */
char **job_argv_dup(char *const *argv);
void job_argv_free(char **argv);
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
 * The records the queue layer hands to its callers, and the callbacks that stream them.  A
 * record passed to a callback belongs to the caller of the callback and is valid only during
 * the call; a nonzero return from a callback stops the stream and is returned.
 */

/* Which jobs a listing returns: every field narrows it; -1, NULL and 0 mean "any". */
struct job_filter {
	int state;		  /* an enum job_state, or -1 */
	const char *queue;	  /* the job's named queue */
	const char *worker;	  /* the owner of processing jobs */
	const char *id_prefix;	  /* ids that start with this */
	const char *command_like; /* commands that contain this text (no wildcards) */
	long long limit;	  /* at most this many */
	long long after;	  /* only jobs created after the one whose seq this is */
};

/* One finished (or abandoned) attempt, kept as the job's history. */
struct attempt {
	char *job_id;
	int run;     /* job.runs when it started: names its log file */
	int attempt; /* 1-based, within the cycle */
	/* The process's start and end as its worker measured them (see struct job_result). */
	int64_t started_at, finished_at;
	char *outcome; /* the state the job went to: completed, failed, dead, pending */
	char *error;   /* NULL on success */
	int exit_code;
	bool has_exit_code;
	char *worker_id;
	char *machine; /* the machine that ran it and holds its log (see worker_info); or NULL */
	char *log_path;
};
void attempt_release(struct attempt *a);

/* A registered worker process. */
struct worker_info {
	char *id;
	char *host;    /* the hostname, for people */
	/*
	 * What tells this machine, as booted, from every other (the worker computes it); the
	 * store only keeps it, and recovery compares it, never host.  NULL: not recorded.
	 */
	char *machine;
	int pid;
	long long pid_start; /* the process's start time, to tell a reused pid apart */
	int slots, busy;     /* busy is counted when listing: the jobs the worker holds */
	char *queues;	     /* comma-separated, or NULL for all */
	int64_t started_at, heartbeat_at;
	int64_t stale_at; /* the row may be pruned after this: the worker's own rule */
};
void worker_info_release(struct worker_info *w);

/* A named queue as it is now: its jobs by state, and how long its oldest due job has waited. */
struct queue_summary {
	const char *name;
	long long counts[JOB_NSTATES];
	int64_t oldest_due_ms; /* now less the run_at of its oldest due job; -1: none is due */
};

/*
 * One of the counters the store keeps, which only grow: from the store's creation (or its
 * upgrade to keeping them) on, whatever is deleted or purged, and the same for every
 * process and machine that reads the store.  name is "enqueued", "completed",
 * "failed_attempts" (attempts that failed, the last one of a dead job too) or "dead" with
 * le = COUNTER_PLAIN; or a bucket of the histogram "duration" (an attempt's, from its
 * process's start to its end) or "wait" (a job's, from its due time to its claim): the
 * count n of values in (the previous bucket's le, le] milliseconds, COUNTER_INF the last,
 * and their sum in sum_ms.  The buckets are the store's; every queue has the same.
 */
#define COUNTER_PLAIN (-1)
#define COUNTER_INF INT64_MAX
struct counter {
	const char *queue;
	const char *name;
	int64_t le;
	long long n;
	long long sum_ms;
};

/* An attempt that ended, with the queue of its job (for stats over a span of time). */
struct finished {
	const char *queue;
	const char *outcome; /* completed, failed or dead */
	int64_t started_at, finished_at;
};

typedef int job_visit_fn(void *ctx, const struct job *job);
typedef int summary_visit_fn(void *ctx, const struct queue_summary *qs);
typedef int counter_visit_fn(void *ctx, const struct counter *c);
typedef int finished_visit_fn(void *ctx, const struct finished *f);
typedef int attempt_visit_fn(void *ctx, const struct attempt *a);
typedef int worker_visit_fn(void *ctx, const struct worker_info *w);
typedef int kv_visit_fn(void *ctx, const char *key, const char *value);
typedef int id_visit_fn(void *ctx, const char *id);


/*
 * The delay before retry n (n = attempts so far, >= 1): min(base ^ n, max) seconds, in ms.
 */
int64_t job_retry_delay_ms(int attempts, double base, int64_t max_secs);

#endif
