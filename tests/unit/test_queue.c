/*
 * test_queue.c - the queue layer's contract (queue.h) over a real store: enqueue, one job or
 * a batch, with defaults from the settings; claim and finish (complete, retry with backoff,
 * dead letter), a finish that comes too late, release; dlq retry of ids or of all; delete
 * and purge with their logs; settings set and reset; the reads; the worker's traffic
 * (register, heartbeat, recovery, next due, wake-ups); and the table of job.h, operation by
 * operation.
 *
 * Each test has its own store (tmpdb.h: QUEUECTL_TEST_DB chooses the backend).  The store's
 * clock is pinned to the_time, which the tests move, so every time is exact.
 */
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "queue.h"
#include "store.h" /* store_pin_clock and store_config_list: the calls below the queue layer */
#include "tmpdb.h"
#include "util.h"

#define T0 1700000000000LL /* 2023-11-14T22:13:20Z */

/* The store's clock in every test. */
static int64_t the_time;

struct fixture {
	char *dir, *target;
	struct queue q;
};

static int queue_setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof *f);
	struct error err = { 0 };

	if (tmpdb_make("queue", &f->dir, &f->target) == 0) {
		if (queue_open(&f->q, f->target, &err) == 0) {
			the_time = T0;
			store_pin_clock(f->q.store, &the_time);
			*state = f;
			return 0;
		}
		print_error("queue_open: %s\n", err.msg);
		tmpdb_remove(f->dir, f->target);
	}
	free(f);
	return -1;
}

static int queue_teardown(void **state)
{
	struct fixture *f = *state;

	queue_close(&f->q);
	tmpdb_remove(f->dir, f->target);
	free(f);
	return 0;
}

/* --- helpers --- */

/* Enqueue "echo <id>" with id (or a generated one when NULL) and max_retries, now. */
static void enqueue(struct queue *q, const char *id, int max_retries, struct job *job)
{
	struct error err = { 0 };
	struct job_spec spec;

	job_spec_init(&spec);
	spec.id = id ? xstrdup(id) : NULL;
	spec.command = xasprintf("echo %s", id ? id : "anon");
	spec.max_retries = max_retries;
	if (queue_enqueue(q, &spec, job, &err))
		fail_msg("enqueue: %s", err.msg);
	job_spec_release(&spec);
}

static void enqueue_id(struct queue *q, const char *id, int max_retries)
{
	struct job job;

	enqueue(q, id, max_retries, &job);
	job_release(&job);
}

static void claim_one(struct queue *q, const char *worker, const char *want, struct job *job)
{
	struct error err = { 0 };
	int rc = queue_claim(q, worker, NULL, 0, job, 1, &err);

	if (rc != 1)
		fail_msg("claim by %s: %d %s", worker, rc, err.msg);
	assert_string_equal(job->id, want);
	assert_string_equal(job->worker_id, worker);
}

static void get_job(struct queue *q, const char *id, struct job *job)
{
	struct error err = { 0 };

	if (queue_get(q, id, job, &err))
		fail_msg("get '%s': %s", id, err.msg);
}

static enum job_state state_of(struct queue *q, const char *id)
{
	struct job job;
	enum job_state st;

	get_job(q, id, &job);
	st = job.state;
	job_release(&job);
	return st;
}

/*
 * Finish a claimed job at time end: ok, or failed with exit status 3; the worker saw the
 * process run [start, end].
 */
static int finish(struct queue *q, const struct job *job, bool ok, int64_t start, int64_t end,
		  enum job_state *next)
{
	struct job_result res = {
		.started_at = start,
		.finished_at = end,
		.ok = ok,
		.error = ok ? NULL : "exit status 3",
		.exit_code = ok ? 0 : 3,
		.has_exit_code = true,
		.output = ok ? "all good\n" : "oops\n",
		.output_len = ok ? 9 : 5,
		.log_path = "/logs/x.log",
		.machine = "m-1",
	};
	struct error err = { 0 };
	int rc;

	the_time = end;
	rc = queue_finish(q, job, &res, next, &err);
	if (rc < 0)
		fail_msg("finish: %s", err.msg);
	return rc;
}

/* Claim the job id as worker w1 half a second before end and finish it; the new state. */
static enum job_state run_once(struct queue *q, const char *id, bool ok, int64_t end)
{
	enum job_state next = JOB_NSTATES;
	struct job job;

	the_time = end - 500;
	claim_one(q, "w1", id, &job);
	assert_int_equal(finish(q, &job, ok, end - 500, end, &next), 1);
	job_release(&job);
	return next;
}

static void assert_counts(struct queue *q, long long pending, long long processing,
			  long long completed, long long failed, long long dead)
{
	long long want[JOB_NSTATES] = { pending, processing, completed, failed, dead };
	long long got[JOB_NSTATES];
	struct error err = { 0 };

	assert_int_equal(queue_counts(q, got, &err), 0);
	for (int i = 0; i < JOB_NSTATES; i++)
		if (got[i] != want[i])
			fail_msg("count of %s is %lld, want %lld", job_state_name((enum job_state)i),
				 got[i], want[i]);
}

static int collect_attempt(void *ctx, const struct attempt *a)
{
	struct buf *b = ctx;

	buf_addf(b, "%s%d/%d:%s:%s@%lld", b->len ? "," : "", a->run, a->attempt, a->outcome,
		 a->error ? a->error : "-", (long long)a->finished_at);
	return 0;
}

static void assert_attempts(struct queue *q, const char *id, const char *want)
{
	struct error err = { 0 };
	struct buf b = BUF_INIT;

	assert_int_equal(queue_attempts(q, id, collect_attempt, &b, &err), 0);
	assert_string_equal(b.data ? b.data : "", want);
	buf_release(&b);
}

static int collect_job(void *ctx, const struct job *job)
{
	struct buf *b = ctx;

	buf_addf(b, "%s%s", b->len ? "," : "", job->id);
	return 0;
}

/* The ids of the jobs in state (-1: all), comma-separated, oldest first. */
static void assert_jobs(struct queue *q, int state, const char *want)
{
	struct job_filter f = { .state = state };
	struct error err = { 0 };
	struct buf b = BUF_INIT;

	assert_int_equal(queue_list(q, &f, collect_job, &b, &err), 0);
	if (strcmp(b.data ? b.data : "", want))
		fail_msg("jobs in state %d: \"%s\", want \"%s\"", state, b.data ? b.data : "",
			 want);
	buf_release(&b);
}

static int collect_id(void *ctx, const char *id)
{
	struct buf *b = ctx;

	buf_addf(b, "%s%s", b->len ? "," : "", id);
	return 0;
}

static bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* Create <files>/logs/<id>/1.log, as a worker would; returns the log directory (malloc'd). */
/* Write a log at path, its directories made; returns path. */
static char *write_log(char *path)
{
	char *dir = xstrndup(path, strrchr(path, '/') - path);
	struct error err = { 0 };
	FILE *fp;

	assert_int_equal(mkdir_p(dir, 0700, &err), 0);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("output\n", fp);
	assert_int_equal(fclose(fp), 0);
	free(dir);
	return path;
}

/* The log of a job's first run (malloc'd path). */
static char *make_log(struct queue *q, const char *id)
{
	return write_log(queue_log_path(q, id, 1));
}

/* Whether a wake-up is waiting on the queue's descriptor; drains it. */
static bool woken(struct queue *q)
{
	struct error err = { 0 };
	struct pollfd p = { .fd = queue_wait_fd(q, &err), .events = POLLIN };
	bool yes;

	assert_true(p.fd >= 0);
	yes = poll(&p, 1, 0) == 1;
	queue_wait_drain(q);
	return yes;
}

/* --- enqueue --- */

static void test_enqueue_defaults(void **state)
{
	struct fixture *f = *state;
	struct error err = { 0 };
	struct job_spec spec;
	struct job job, stored, other;

	job_spec_init(&spec);
	spec.command = xstrdup("echo hello");
	assert_int_equal(queue_enqueue(&f->q, &spec, &job, &err), 0);
	/* A generated id: 32 hex digits. */
	assert_int_equal(strlen(job.id), JOB_ID_GEN_LEN);
	assert_int_equal(strspn(job.id, "0123456789abcdef"), JOB_ID_GEN_LEN);
	assert_string_equal(job.command, "echo hello");
	assert_string_equal(job.queue, "default");
	assert_int_equal(job.state, JOB_PENDING);
	assert_int_equal(job.priority, 0);
	assert_int_equal(job.attempts, 0);
	assert_int_equal(job.max_retries, 3); /* max-retries */
	assert_int_equal(job.timeout, 0);     /* job-timeout */
	assert_true(job.backoff_base == 0);   /* none of its own */
	/* The times are the store's clock. */
	assert_int_equal(job.run_at, T0);
	assert_int_equal(job.created_at, T0);
	assert_int_equal(job.updated_at, T0);

	/* What was stored is what came back. */
	get_job(&f->q, job.id, &stored);
	assert_string_equal(stored.command, job.command);
	assert_string_equal(stored.queue, "default");
	assert_int_equal(stored.max_retries, 3);
	assert_int_equal(stored.timeout, 0);
	assert_int_equal(stored.run_at, T0);
	assert_int_equal(stored.created_at, T0);
	job_release(&stored);

	/* Another job gets another id. */
	the_time = T0 + 5;
	assert_int_equal(queue_enqueue(&f->q, &spec, &other, &err), 0);
	assert_string_not_equal(other.id, job.id);
	assert_int_equal(other.created_at, T0 + 5);
	job_release(&other);
	job_release(&job);
	job_spec_release(&spec);
	assert_counts(&f->q, 2, 0, 0, 0, 0);
}

static void test_enqueue_delay(void **state)
{
	struct fixture *f = *state;
	struct error err = { 0 };
	struct job_spec spec;
	struct job job;

	job_spec_init(&spec);
	spec.command = xstrdup("true");
	spec.delay = 90;
	assert_int_equal(queue_enqueue(&f->q, &spec, &job, &err), 0);
	assert_int_equal(job.run_at, T0 + 90000);
	assert_int_equal(job.created_at, T0);
	job_release(&job);
	spec.delay = 0;
	assert_int_equal(queue_enqueue(&f->q, &spec, &job, &err), 0);
	assert_int_equal(job.run_at, T0);
	job_release(&job);
	job_spec_release(&spec);
}

static void test_enqueue_overrides(void **state)
{
	struct fixture *f = *state;
	struct error err = { 0 };
	struct job_spec spec;
	struct job job, stored;

	job_spec_init(&spec);
	spec.id = xstrdup("mine");
	spec.command = xstrdup("sleep 1");
	spec.queue = xstrdup("slow");
	spec.priority = 12;
	spec.max_retries = 0;
	spec.timeout = 5;
	spec.backoff_base = 1.5;
	spec.run_at = T0 + 3600000;
	spec.created_at = T0 - 1000;
	assert_int_equal(queue_enqueue(&f->q, &spec, &job, &err), 0);
	assert_string_equal(job.id, "mine");
	assert_string_equal(job.queue, "slow");
	assert_int_equal(job.priority, 12);
	assert_int_equal(job.max_retries, 0);
	assert_int_equal(job.timeout, 5);
	assert_true(job.backoff_base == 1.5);
	assert_int_equal(job.run_at, T0 + 3600000);
	assert_int_equal(job.created_at, T0 - 1000);
	assert_int_equal(job.updated_at, T0);
	job_release(&job);

	get_job(&f->q, "mine", &stored);
	assert_string_equal(stored.queue, "slow");
	assert_int_equal(stored.priority, 12);
	assert_int_equal(stored.max_retries, 0);
	assert_int_equal(stored.timeout, 5);
	assert_true(stored.backoff_base == 1.5);
	assert_int_equal(stored.run_at, T0 + 3600000);
	assert_int_equal(stored.created_at, T0 - 1000);
	job_release(&stored);

	/* The same id again is a conflict, and job is left empty. */
	assert_int_equal(queue_enqueue(&f->q, &spec, &job, &err), QE_CONFLICT);
	assert_string_equal(err.msg, "a job with id 'mine' already exists");
	assert_null(job.id);
	job_spec_release(&spec);
	assert_counts(&f->q, 1, 0, 0, 0, 0);
}

static void test_enqueue_defaults_follow_config(void **state)
{
	struct fixture *f = *state;
	struct error err = { 0 };
	struct job job;
	char *canon = NULL;

	enqueue(&f->q, "before", -1, &job);
	assert_int_equal(job.max_retries, 3);
	job_release(&job);
	/* A setting changed through the queue takes effect for the next job, not the old one. */
	assert_int_equal(queue_config_set(&f->q, "max-retries", "7", &canon, &err), 0);
	free(canon);
	assert_int_equal(queue_config_set(&f->q, "job_timeout", "2m", &canon, &err), 0);
	free(canon);
	enqueue(&f->q, "after", -1, &job);
	assert_int_equal(job.max_retries, 7);
	assert_int_equal(job.timeout, 120);
	job_release(&job);
	get_job(&f->q, "before", &job);
	assert_int_equal(job.max_retries, 3);
	assert_int_equal(job.timeout, 0);
	job_release(&job);
}

/* A batch's source: the specs of the ids in a comma-separated list; "!" fails as input. */
struct specs {
	const char *ids;
	int given;
};

static int next_spec(void *ctx, struct job_spec *spec, struct error *err)
{
	struct specs *s = ctx;
	const char *p = s->ids, *end;

	for (int i = 0; i < s->given && p; i++)
		p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL;
	if (!p || !*p)
		return 0;
	end = strchr(p, ',') ? strchr(p, ',') : p + strlen(p);
	s->given++;
	if (*p == '!')
		return error_set(err, QE_INPUT, "invalid job JSON at line %d, column 1: bad",
				 s->given);
	spec->id = xstrndup(p, (size_t)(end - p));
	spec->command = xstrdup("true");
	if (s->given == 2)
		spec->delay = 60;
	return 1;
}

static int collect_added(void *ctx, const struct job *job)
{
	return collect_job(ctx, job);
}

static int refuse_third(void *ctx, const struct job *job)
{
	struct buf *b = ctx;

	collect_job(ctx, job);
	return strchr(b->data, ',') && strchr(strchr(b->data, ',') + 1, ',') ? QE_FAIL : 0;
}

static void test_enqueue_batch(void **state)
{
	struct fixture *f = *state;
	struct specs s = { "b1,b2,b3", 0 };
	struct error err = { 0 };
	struct buf added = BUF_INIT;
	struct job job;

	(void)woken(&f->q);
	assert_int_equal(queue_enqueue_batch(&f->q, next_spec, &s, collect_added, &added, &err),
			 3);
	assert_string_equal(added.data, "b1,b2,b3");
	buf_release(&added);
	assert_jobs(&f->q, JOB_PENDING, "b1,b2,b3");
	/* One clock for the batch, and each spec made into a job as queue_enqueue would. */
	get_job(&f->q, "b2", &job);
	assert_int_equal(job.created_at, T0);
	assert_int_equal(job.run_at, T0 + 60000);
	assert_int_equal(job.max_retries, 3);
	job_release(&job);
	assert_true(woken(&f->q));

	/* Empty: nothing stored, no error, nobody woken; added may be NULL. */
	s = (struct specs){ "", 0 };
	assert_int_equal(queue_enqueue_batch(&f->q, next_spec, &s, NULL, NULL, &err), 0);
	assert_false(woken(&f->q));
}

static void test_enqueue_batch_all_or_nothing(void **state)
{
	struct fixture *f = *state;
	struct specs s = { "n1,n2,taken,n3", 0 };
	struct error err = { 0 };
	struct buf added = BUF_INIT;

	enqueue_id(&f->q, "taken", 3);
	(void)woken(&f->q);
	/* A spec that cannot be stored: the store's message, unprefixed; nothing stored. */
	assert_int_equal(queue_enqueue_batch(&f->q, next_spec, &s, collect_added, &added, &err),
			 QE_CONFLICT);
	assert_string_equal(err.msg, "a job with id 'taken' already exists");
	/* added saw the first two (before the commit that never came), not the third. */
	assert_string_equal(added.data, "n1,n2");
	buf_release(&added);
	assert_int_equal(s.given, 3);
	assert_jobs(&f->q, -1, "taken");
	assert_false(woken(&f->q));

	/* The source's own error comes back as it is. */
	s = (struct specs){ "n1,n2,!", 0 };
	assert_int_equal(queue_enqueue_batch(&f->q, next_spec, &s, NULL, NULL, &err), QE_INPUT);
	assert_string_equal(err.msg, "invalid job JSON at line 3, column 1: bad");
	assert_jobs(&f->q, -1, "taken");

	/* So does added's: it stops the batch and rolls it back. */
	s = (struct specs){ "n1,n2,n3,n4", 0 };
	assert_int_equal(queue_enqueue_batch(&f->q, next_spec, &s, refuse_third, &added, &err),
			 QE_FAIL);
	buf_release(&added);
	assert_int_equal(s.given, 3);
	assert_jobs(&f->q, -1, "taken");
	assert_counts(&f->q, 1, 0, 0, 0, 0);
	assert_false(woken(&f->q));
}

/* --- claim and finish --- */

static void test_claim_and_complete(void **state)
{
	struct fixture *f = *state;
	enum job_state next = JOB_NSTATES;
	struct error err = { 0 };
	struct job job, stored;

	assert_int_equal(queue_claim(&f->q, "w1", NULL, 0, &job, 1, &err), 0);
	enqueue_id(&f->q, "j1", 2);
	the_time = T0 + 1000;
	claim_one(&f->q, "w1", "j1", &job);
	assert_int_equal(job.state, JOB_PROCESSING);
	assert_int_equal(job.runs, 1);
	/* The claim is stamped with the store's clock, with a lease of the lease setting. */
	assert_int_equal(job.started_at, T0 + 1000);
	assert_int_equal(job.lease_until, T0 + 1000 + 30 * 1000);
	assert_counts(&f->q, 0, 1, 0, 0, 0);

	/* The worker's clock (T0 + 900 .. T0 + 2400) goes to the history only. */
	the_time = T0 + 2500;
	{
		struct job_result res = { .started_at = T0 + 900, .finished_at = T0 + 2400,
					  .ok = true, .has_exit_code = true, .output = "all good\n",
					  .output_len = 9, .machine = "m-1" };

		assert_int_equal(queue_finish(&f->q, &job, &res, &next, &err), 1);
	}
	assert_int_equal(next, JOB_COMPLETED);
	job_release(&job);

	get_job(&f->q, "j1", &stored);
	assert_int_equal(stored.state, JOB_COMPLETED);
	assert_int_equal(stored.attempts, 1);
	assert_int_equal(stored.runs, 1);
	assert_int_equal(stored.started_at, T0 + 1000);
	assert_int_equal(stored.finished_at, T0 + 2500);
	assert_int_equal(stored.updated_at, T0 + 2500);
	assert_null(stored.last_error);
	assert_true(stored.has_exit_code);
	assert_int_equal(stored.exit_code, 0);
	assert_null(stored.worker_id);
	assert_int_equal(stored.lease_until, 0);
	assert_int_equal(stored.output_len, 9);
	assert_memory_equal(stored.output, "all good\n", 9);
	job_release(&stored);
	assert_counts(&f->q, 0, 0, 1, 0, 0);
	assert_attempts(&f->q, "j1", "1/1:completed:-@1700000002400");

	/* Nothing left to claim. */
	assert_int_equal(queue_claim(&f->q, "w1", NULL, 0, &job, 1, &err), 0);
}

static int check_attempt_machine(void *ctx, const struct attempt *a)
{
	assert_string_equal(a->machine, "m-1");
	assert_string_equal(a->worker_id, "w1");
	assert_string_equal(a->log_path, "/logs/x.log");
	assert_int_equal(a->started_at, T0 + 500);
	++*(int *)ctx;
	return 0;
}

/* One claim of several jobs returns them in the order it picks them: priority, then age. */
static void test_claim_order(void **state)
{
	static const struct {
		const char *id;
		long long priority;
	} in[] = { { "low", 0 }, { "high-old", 10 }, { "mid", 5 }, { "neg", -3 },
		   { "high-new", 10 }, { "low-new", 0 } };
	static const char *const want[] = { "high-old", "high-new", "mid", "low", "low-new" };
	struct fixture *f = *state;
	struct error err = { 0 };
	struct job jobs[8];
	int n;

	for (size_t i = 0; i < sizeof in / sizeof *in; i++) {
		struct job_spec spec;
		struct job job;

		job_spec_init(&spec);
		spec.id = xstrdup(in[i].id);
		spec.command = xstrdup("true");
		spec.priority = in[i].priority;
		if (queue_enqueue(&f->q, &spec, &job, &err))
			fail_msg("enqueue: %s", err.msg);
		job_spec_release(&spec);
		job_release(&job);
	}
	n = queue_claim(&f->q, "w1", NULL, 0, jobs, 5, &err);
	assert_int_equal(n, 5);
	for (int i = 0; i < n; i++) {
		assert_string_equal(jobs[i].id, want[i]);
		job_release(&jobs[i]);
	}
}

static void test_failure_retries_then_dead(void **state)
{
	struct fixture *f = *state;
	struct error err = { 0 };
	struct job stored;
	int n = 0;

	enqueue_id(&f->q, "j1", 2);

	/* Attempt 1 of 3: failed, due again after base ^ 1 = 2 s. */
	assert_int_equal(run_once(&f->q, "j1", false, T0 + 1000), JOB_FAILED);
	get_job(&f->q, "j1", &stored);
	assert_int_equal(stored.state, JOB_FAILED);
	assert_int_equal(stored.attempts, 1);
	assert_int_equal(stored.finished_at, T0 + 1000);
	assert_int_equal(stored.run_at, T0 + 1000 + 2000);
	assert_string_equal(stored.last_error, "exit status 3");
	assert_true(stored.has_exit_code);
	assert_int_equal(stored.exit_code, 3);
	assert_null(stored.worker_id);
	assert_memory_equal(stored.output, "oops\n", 5);
	job_release(&stored);
	assert_counts(&f->q, 0, 0, 0, 1, 0);
	assert_int_equal(queue_attempts(&f->q, "j1", check_attempt_machine, &n, &err), 0);
	assert_int_equal(n, 1);

	/* Not due before then. */
	the_time = T0 + 2999;
	{
		struct job job;

		assert_int_equal(queue_claim(&f->q, "w1", NULL, 0, &job, 1, &err), 0);
	}

	/* Attempt 2 of 3: failed, 4 s. */
	assert_int_equal(run_once(&f->q, "j1", false, T0 + 20000), JOB_FAILED);
	get_job(&f->q, "j1", &stored);
	assert_int_equal(stored.attempts, 2);
	assert_int_equal(stored.run_at, T0 + 20000 + 4000);
	assert_int_equal(stored.runs, 2);
	job_release(&stored);

	/* Attempt 3 of 3: retries spent, dead. */
	assert_int_equal(run_once(&f->q, "j1", false, T0 + 30000), JOB_DEAD);
	get_job(&f->q, "j1", &stored);
	assert_int_equal(stored.state, JOB_DEAD);
	assert_int_equal(stored.attempts, 3);
	assert_int_equal(stored.runs, 3);
	assert_string_equal(stored.last_error, "exit status 3");
	assert_null(stored.worker_id);
	job_release(&stored);
	assert_counts(&f->q, 0, 0, 0, 0, 1);
	assert_attempts(&f->q, "j1",
			"1/1:failed:exit status 3@1700000001000,"
			"2/2:failed:exit status 3@1700000020000,"
			"3/3:dead:exit status 3@1700000030000");
}

static void test_no_retries_dead_at_once(void **state)
{
	struct fixture *f = *state;

	enqueue_id(&f->q, "j1", 0);
	assert_int_equal(run_once(&f->q, "j1", false, T0 + 1000), JOB_DEAD);
	assert_counts(&f->q, 0, 0, 0, 0, 1);
}

static void test_backoff_follows_config(void **state)
{
	struct fixture *f = *state;
	struct error err = { 0 };
	struct job stored;
	char *canon = NULL;

	assert_int_equal(queue_config_set(&f->q, "backoff-base", "3", &canon, &err), 0);
	free(canon);
	assert_int_equal(queue_config_set(&f->q, "backoff-max", "5s", &canon, &err), 0);
	assert_string_equal(canon, "5");
	free(canon);
	enqueue_id(&f->q, "j1", 5);
	assert_int_equal(run_once(&f->q, "j1", false, T0 + 1000), JOB_FAILED);
	get_job(&f->q, "j1", &stored);
	assert_int_equal(stored.run_at, T0 + 1000 + 3000);
	job_release(&stored);
	/* 3 ^ 2 = 9 s, capped at 5 s. */
	assert_int_equal(run_once(&f->q, "j1", false, T0 + 10000), JOB_FAILED);
	get_job(&f->q, "j1", &stored);
	assert_int_equal(stored.run_at, T0 + 10000 + 5000);
	job_release(&stored);
}

static void test_backoff_job_base(void **state)
{
	struct fixture *f = *state;
	struct error err = { 0 };
	struct job_spec spec;
	struct job job, stored;
	char *canon = NULL;

	/* A job's own base wins over the setting; backoff-max caps it all the same. */
	assert_int_equal(queue_config_set(&f->q, "backoff-max", "20", &canon, &err), 0);
	free(canon);
	job_spec_init(&spec);
	spec.id = xstrdup("own");
	spec.command = xstrdup("false");
	spec.max_retries = 3;
	spec.backoff_base = 3;
	assert_int_equal(queue_enqueue(&f->q, &spec, &job, &err), 0);
	job_release(&job);
	job_spec_release(&spec);

	assert_int_equal(run_once(&f->q, "own", false, T0 + 1000), JOB_FAILED);
	get_job(&f->q, "own", &stored);
	assert_int_equal(stored.run_at, T0 + 1000 + 3000);
	job_release(&stored);
	/* A change of the setting does not touch the job's own base. */
	assert_int_equal(queue_config_set(&f->q, "backoff-base", "4", &canon, &err), 0);
	free(canon);
	assert_int_equal(run_once(&f->q, "own", false, T0 + 10000), JOB_FAILED);
	get_job(&f->q, "own", &stored);
	assert_int_equal(stored.run_at, T0 + 10000 + 9000);
	job_release(&stored);
	/* 3 ^ 3 = 27 s, capped at 20 s; queue_retry_delay_ms says so beforehand. */
	the_time = T0 + 30000;
	claim_one(&f->q, "w1", "own", &job);
	assert_int_equal(queue_retry_delay_ms(&f->q, &job), 20000);
	{
		enum job_state next;

		assert_int_equal(finish(&f->q, &job, false, T0 + 30000, T0 + 30500, &next), 1);
		assert_int_equal(next, JOB_FAILED);
	}
	job_release(&job);
	get_job(&f->q, "own", &stored);
	assert_int_equal(stored.run_at, T0 + 30500 + 20000);
	job_release(&stored);

	/* A job without one follows the setting as it is at the time of the failure. */
	enqueue_id(&f->q, "setting", 3);
	get_job(&f->q, "setting", &stored);
	assert_true(stored.backoff_base == 0);
	assert_int_equal(queue_retry_delay_ms(&f->q, &stored), 4000);
	job_release(&stored);
	assert_int_equal(run_once(&f->q, "setting", false, T0 + 40000), JOB_FAILED);
	get_job(&f->q, "setting", &stored);
	assert_int_equal(stored.run_at, T0 + 40000 + 4000);
	job_release(&stored);
}

static void test_success_after_failure(void **state)
{
	struct fixture *f = *state;
	struct job stored;

	enqueue_id(&f->q, "j1", 3);
	assert_int_equal(run_once(&f->q, "j1", false, T0 + 1000), JOB_FAILED);
	assert_int_equal(run_once(&f->q, "j1", true, T0 + 5000), JOB_COMPLETED);
	get_job(&f->q, "j1", &stored);
	assert_int_equal(stored.state, JOB_COMPLETED);
	assert_int_equal(stored.attempts, 2);
	assert_null(stored.last_error);
	assert_int_equal(stored.exit_code, 0);
	job_release(&stored);
	assert_attempts(&f->q, "j1",
			"1/1:failed:exit status 3@1700000001000,2/2:completed:-@1700000005000");
}

/* A worker's recovery never takes back the jobs of the worker that runs it. */
static void test_recover_spares_own_jobs(void **state)
{
	struct fixture *f = *state;
	struct error err = { 0 };
	struct job mine;

	enqueue_id(&f->q, "j1", 3);
	claim_one(&f->q, "w1", "j1", &mine);
	the_time = mine.lease_until + 1;
	assert_int_equal(queue_recover_leases(&f->q, "w1", &err), 0);
	assert_int_equal(state_of(&f->q, "j1"), JOB_PROCESSING);
	assert_int_equal(queue_recover_leases(&f->q, "w2", &err), 1);
	assert_int_equal(state_of(&f->q, "j1"), JOB_PENDING);
	job_release(&mine);
}

static void test_finish_after_losing_the_job(void **state)
{
	struct fixture *f = *state;
	enum job_state next;
	struct error err = { 0 };
	struct job mine, theirs, stored;

	enqueue_id(&f->q, "j1", 3);
	claim_one(&f->q, "w1", "j1", &mine);
	/* w1's lease runs out; recovery gives the job back and w2 takes it. */
	the_time = mine.lease_until;
	assert_int_equal(queue_recover_leases(&f->q, NULL, &err), 0);
	the_time = mine.lease_until + 1;
	assert_int_equal(queue_recover_leases(&f->q, NULL, &err), 1);
	claim_one(&f->q, "w2", "j1", &theirs);

	/* w1's late result is dropped, whether success or failure. */
	assert_int_equal(finish(&f->q, &mine, false, T0, T0 + 100, &next), 0);
	assert_int_equal(finish(&f->q, &mine, true, T0, T0 + 100, &next), 0);
	get_job(&f->q, "j1", &stored);
	assert_int_equal(stored.state, JOB_PROCESSING);
	assert_string_equal(stored.worker_id, "w2");
	assert_int_equal(stored.attempts, 0);
	assert_int_equal(stored.runs, 2);
	assert_null(stored.last_error);
	assert_false(stored.has_exit_code);
	assert_null(stored.output);
	job_release(&stored);
	assert_attempts(&f->q, "j1", "");

	/* w2, the owner, records its result. */
	assert_int_equal(finish(&f->q, &theirs, true, T0 + 200, T0 + 300, &next), 1);
	assert_int_equal(next, JOB_COMPLETED);
	assert_attempts(&f->q, "j1", "2/1:completed:-@1700000000300");
	/* And a second finish of the same claim is dropped too. */
	assert_int_equal(finish(&f->q, &theirs, false, T0 + 200, T0 + 400, &next), 0);
	get_job(&f->q, "j1", &stored);
	assert_int_equal(stored.state, JOB_COMPLETED);
	assert_int_equal(stored.attempts, 1);
	job_release(&stored);
	job_release(&mine);
	job_release(&theirs);
}

static void test_release(void **state)
{
	struct fixture *f = *state;
	struct error err = { 0 };
	struct job job, stored;

	enqueue_id(&f->q, "j1", 3);
	claim_one(&f->q, "w1", "j1", &job);
	(void)woken(&f->q);
	the_time = T0 + 700;
	assert_int_equal(queue_release(&f->q, &job, &err), 1);
	/* Nobody is woken: the releasing worker decides (see queue.h). */
	assert_false(woken(&f->q));
	get_job(&f->q, "j1", &stored);
	assert_int_equal(stored.state, JOB_PENDING);
	assert_int_equal(stored.attempts, 0);
	assert_int_equal(stored.updated_at, T0 + 700);
	assert_null(stored.worker_id);
	job_release(&stored);
	/* The released claim can no longer finish the job, nor be released again. */
	{
		enum job_state next;

		assert_int_equal(finish(&f->q, &job, true, T0, T0 + 1, &next), 0);
	}
	assert_int_equal(queue_release(&f->q, &job, &err), 0);
	assert_false(woken(&f->q));
	assert_counts(&f->q, 1, 0, 0, 0, 0);
	job_release(&job);
}

/* --- dead letter queue --- */

/* Enqueue id on queue name with no retries, run it into the dead letter queue at time at. */
static void make_dead(struct queue *q, const char *id, const char *name, int64_t at)
{
	struct error err = { 0 };
	struct job_spec spec;
	struct job job;

	job_spec_init(&spec);
	spec.id = xstrdup(id);
	spec.command = xstrdup("false");
	spec.queue = name ? xstrdup(name) : NULL;
	spec.max_retries = 0;
	spec.priority = 100; /* claimed before any other job */
	the_time = at - 1000;
	if (queue_enqueue(q, &spec, &job, &err))
		fail_msg("enqueue: %s", err.msg);
	job_release(&job);
	job_spec_release(&spec);
	assert_int_equal(run_once(q, id, false, at), JOB_DEAD);
}

/* A claim given back unstarted leaves the job as before it, and only that claim can. */
static void test_unclaim(void **state)
{
	struct fixture *f = *state;
	struct error err = { 0 };
	struct job first, again, stored;

	enqueue_id(&f->q, "j1", 3);
	claim_one(&f->q, "w1", "j1", &first);
	assert_int_equal(first.runs, 1);
	(void)woken(&f->q);
	the_time = T0 + 700;
	assert_int_equal(queue_unclaim(&f->q, &first, &err), 1);
	assert_false(woken(&f->q));
	get_job(&f->q, "j1", &stored);
	assert_int_equal(stored.state, JOB_PENDING);
	assert_int_equal(stored.runs, 0);
	assert_int_equal(stored.attempts, 0);
	assert_int_equal(stored.updated_at, T0 + 700);
	assert_null(stored.worker_id);
	job_release(&stored);
	assert_counts(&f->q, 1, 0, 0, 0, 0);
	/* Given back once only; and a later claim of the same job is not that claim. */
	assert_int_equal(queue_unclaim(&f->q, &first, &err), 0);
	claim_one(&f->q, "w1", "j1", &again);
	assert_int_equal(again.runs, 1);
	first.runs = 0;
	assert_int_equal(queue_unclaim(&f->q, &first, &err), 0);
	get_job(&f->q, "j1", &stored);
	assert_int_equal(stored.state, JOB_PROCESSING);
	job_release(&stored);
	job_release(&first);
	job_release(&again);
}

static void test_dlq_retry(void **state)
{
	struct fixture *f = *state;
	static const char *const j1[] = { "j1" };
	struct error err = { 0 };
	struct buf ids = BUF_INIT;
	struct job stored;

	enqueue_id(&f->q, "j1", 1);
	assert_int_equal(run_once(&f->q, "j1", false, T0 + 1000), JOB_FAILED);
	assert_int_equal(run_once(&f->q, "j1", false, T0 + 5000), JOB_DEAD);

	the_time = T0 + 9000;
	(void)woken(&f->q);
	assert_int_equal(queue_dlq_retry(&f->q, j1, 1, collect_id, &ids, &err), 1);
	assert_string_equal(ids.data, "j1");
	buf_release(&ids);
	assert_true(woken(&f->q));
	get_job(&f->q, "j1", &stored);
	assert_int_equal(stored.state, JOB_PENDING);
	assert_int_equal(stored.attempts, 0);
	assert_int_equal(stored.run_at, T0 + 9000);
	assert_int_equal(stored.updated_at, T0 + 9000);
	assert_int_equal(stored.runs, 2);
	/* Why it died stays on record until the next attempt, output included. */
	assert_string_equal(stored.last_error, "exit status 3");
	assert_memory_equal(stored.output, "oops\n", 5);
	job_release(&stored);
	assert_counts(&f->q, 1, 0, 0, 0, 0);

	/* A new cycle: the full max_retries again before it dies. */
	assert_int_equal(run_once(&f->q, "j1", false, T0 + 10000), JOB_FAILED);
	get_job(&f->q, "j1", &stored);
	assert_int_equal(stored.attempts, 1);
	assert_int_equal(stored.runs, 3);
	job_release(&stored);
	assert_int_equal(run_once(&f->q, "j1", false, T0 + 20000), JOB_DEAD);
}

static void test_dlq_retry_many(void **state)
{
	struct fixture *f = *state;
	static const char *const twice[] = { "d2", "d1", "d2" };
	static const char *const with_done[] = { "d3", "done" };
	static const char *const with_pending[] = { "d3", "waiting" };
	static const char *const with_unknown[] = { "d3", "nope" };
	struct error err = { 0 };
	struct buf ids = BUF_INIT;

	make_dead(&f->q, "d1", NULL, T0 + 1000);
	make_dead(&f->q, "d2", NULL, T0 + 1000);
	make_dead(&f->q, "d3", NULL, T0 + 1000);
	enqueue_id(&f->q, "done", 3);
	assert_int_equal(run_once(&f->q, "done", true, T0 + 2000), JOB_COMPLETED);
	enqueue_id(&f->q, "waiting", 3);

	/* A job named twice is retried once; fn sees each, in the order named. */
	assert_int_equal(queue_dlq_retry(&f->q, twice, 3, collect_id, &ids, &err), 2);
	assert_string_equal(ids.data, "d2,d1");
	buf_release(&ids);
	assert_jobs(&f->q, JOB_DEAD, "d3");

	/* One that is not dead fails the whole call, with nothing retried and nothing seen. */
	assert_int_equal(queue_dlq_retry(&f->q, with_done, 2, collect_id, &ids, &err),
			 QE_CONFLICT);
	assert_string_equal(err.msg,
			    "job 'done' is completed, not dead: only dead jobs can be retried");
	assert_int_equal(queue_dlq_retry(&f->q, with_pending, 2, collect_id, &ids, &err),
			 QE_CONFLICT);
	assert_string_equal(err.msg,
			    "job 'waiting' is pending, not dead: only dead jobs can be retried");
	assert_int_equal(queue_dlq_retry(&f->q, with_unknown, 2, collect_id, &ids, &err),
			 QE_NOTFOUND);
	assert_string_equal(err.msg, "no job 'nope'");
	assert_null(ids.data);
	assert_jobs(&f->q, JOB_DEAD, "d3");

	/* None at all is no error. */
	assert_int_equal(queue_dlq_retry(&f->q, NULL, 0, collect_id, &ids, &err), 0);
	assert_null(ids.data);
}

static void test_dlq_retry_all(void **state)
{
	struct fixture *f = *state;
	struct error err = { 0 };
	struct buf ids = BUF_INIT;

	assert_int_equal(queue_dlq_retry_all(&f->q, NULL, collect_id, &ids, &err), 0);
	make_dead(&f->q, "a1", "a", T0 + 1000);
	make_dead(&f->q, "b1", "b", T0 + 1000);
	make_dead(&f->q, "a2", "a", T0 + 1000);
	enqueue_id(&f->q, "other", 3);

	/* Narrowed to a named queue. */
	the_time = T0 + 5000;
	assert_int_equal(queue_dlq_retry_all(&f->q, "a", collect_id, &ids, &err), 2);
	assert_string_equal(ids.data, "a1,a2");
	buf_release(&ids);
	assert_jobs(&f->q, JOB_DEAD, "b1");
	assert_int_equal(queue_dlq_retry_all(&f->q, "nope", NULL, NULL, &err), 0);
	/* Every dead job. */
	assert_int_equal(queue_dlq_retry_all(&f->q, NULL, NULL, NULL, &err), 1);
	assert_jobs(&f->q, JOB_DEAD, "");
	assert_jobs(&f->q, JOB_PENDING, "a1,b1,a2,other");
	assert_int_equal(queue_dlq_retry_all(&f->q, NULL, NULL, NULL, &err), 0);
}

static void test_dlq_retry_processing(void **state)
{
	struct fixture *f = *state;
	static const char *const busy[] = { "busy" };
	struct error err = { 0 };
	struct job job;

	enqueue_id(&f->q, "busy", 3);
	claim_one(&f->q, "w1", "busy", &job);
	assert_int_equal(queue_dlq_retry(&f->q, busy, 1, NULL, NULL, &err), QE_CONFLICT);
	assert_non_null(strstr(err.msg, "is processing, not dead"));
	job_release(&job);
	assert_counts(&f->q, 0, 1, 0, 0, 0);
}

/* --- delete and purge --- */

static void test_delete(void **state)
{
	struct fixture *f = *state;
	static const char *const one[] = { "j1" };
	static const char *const twice[] = { "j3", "j1", "j3" };
	static const char *const with_busy[] = { "j4", "j2" };
	static const char *const with_unknown[] = { "j4", "nope" };
	struct error err = { 0 };
	struct buf ids = BUF_INIT;
	char *logs[4];
	struct job job;

	for (int i = 0; i < 4; i++) {
		char id[8];

		snprintf(id, sizeof id, "j%d", i + 1);
		enqueue_id(&f->q, id, 3);
		logs[i] = make_log(&f->q, id);
	}
	assert_int_equal(queue_delete(&f->q, one, 1, collect_id, &ids, &err), 1);
	assert_string_equal(ids.data, "j1");
	buf_release(&ids);
	assert_int_equal(queue_get(&f->q, "j1", &job, &err), QE_NOTFOUND);
	assert_false(exists(logs[0]));
	assert_true(exists(logs[1]));

	/* A running job is not deleted; neither is anything named with it; logs stay. */
	claim_one(&f->q, "w1", "j2", &job);
	assert_int_equal(queue_delete(&f->q, with_busy, 2, collect_id, &ids, &err), QE_CONFLICT);
	assert_string_equal(err.msg, "job 'j2' is processing: it cannot be deleted");
	assert_null(ids.data);
	job_release(&job);
	assert_int_equal(queue_delete(&f->q, with_unknown, 2, NULL, NULL, &err), QE_NOTFOUND);
	assert_string_equal(err.msg, "no job 'nope'");
	assert_jobs(&f->q, -1, "j2,j3,j4");
	assert_true(exists(logs[1]));
	assert_true(exists(logs[3]));

	/* Named twice: deleted once; an id already gone is not found. */
	enqueue_id(&f->q, "j1", 3);
	assert_int_equal(queue_delete(&f->q, twice, 3, collect_id, &ids, &err), 2);
	assert_string_equal(ids.data, "j3,j1");
	buf_release(&ids);
	assert_false(exists(logs[2]));
	assert_int_equal(queue_delete(&f->q, one, 1, NULL, NULL, &err), QE_NOTFOUND);
	assert_counts(&f->q, 1, 1, 0, 0, 0);
	for (int i = 0; i < 4; i++)
		free(logs[i]);
}

/*
 * Logs are <id>.<run>.log in one directory, and ids may hold dots: deleting "a" removes every
 * run of a, nothing of "a.1" (whose first log, a.1.1.log, starts like a's), and the
 * directory a job's logs had in the earlier layout, logs/<id>/<run>.log.
 */
static void test_delete_logs_exact(void **state)
{
	struct fixture *f = *state;
	static const char *const a[] = { "a" };
	struct error err = { 0 };
	char *mine[3], *theirs[2];

	enqueue_id(&f->q, "a", 3);
	enqueue_id(&f->q, "a.1", 3);
	mine[0] = write_log(queue_log_path(&f->q, "a", 1));
	mine[1] = write_log(queue_log_path(&f->q, "a", 12));
	mine[2] = write_log(xasprintf("%s/logs/a/1.log", queue_logs(&f->q)));
	theirs[0] = write_log(queue_log_path(&f->q, "a.1", 1));
	theirs[1] = write_log(xasprintf("%s/logs/a.1/1.log", queue_logs(&f->q)));
	assert_int_equal(queue_delete(&f->q, a, 1, NULL, NULL, &err), 1);
	for (int i = 0; i < 3; i++) {
		assert_false(exists(mine[i]));
		free(mine[i]);
	}
	for (int i = 0; i < 2; i++) {
		assert_true(exists(theirs[i]));
		free(theirs[i]);
	}
}

static void test_purge_refuses_unfinished(void **state)
{
	struct fixture *f = *state;
	static const enum job_state states[] = { JOB_PENDING, JOB_PROCESSING, JOB_FAILED };
	struct error err = { 0 };

	enqueue_id(&f->q, "j1", 3);
	for (size_t i = 0; i < sizeof states / sizeof states[0]; i++) {
		char *want = xasprintf("the state must be completed or dead, not %s",
				       job_state_name(states[i]));

		assert_int_equal(queue_purge(&f->q, states[i], INT64_MAX, &err), QE_INPUT);
		assert_non_null(strstr(err.msg, want));
		assert_int_equal(queue_purge_older(&f->q, states[i], 0, &err), QE_INPUT);
		assert_non_null(strstr(err.msg, want));
		free(want);
	}
	assert_counts(&f->q, 1, 0, 0, 0, 0);
}

static void test_purge(void **state)
{
	struct fixture *f = *state;
	struct error err = { 0 };
	char *old_logs, *new_logs, *dead_logs;
	struct job job;

	enqueue_id(&f->q, "old", 3);
	enqueue_id(&f->q, "new", 3);
	enqueue_id(&f->q, "dead", 0);
	enqueue_id(&f->q, "waiting", 3);
	assert_int_equal(run_once(&f->q, "old", true, T0 + 1000), JOB_COMPLETED);
	assert_int_equal(run_once(&f->q, "new", true, T0 + 5000), JOB_COMPLETED);
	assert_int_equal(run_once(&f->q, "dead", false, T0 + 5000), JOB_DEAD);
	old_logs = make_log(&f->q, "old");
	new_logs = make_log(&f->q, "new");
	dead_logs = make_log(&f->q, "dead");

	assert_int_equal(queue_purge(&f->q, JOB_COMPLETED, T0 + 3000, &err), 1);
	assert_int_equal(queue_get(&f->q, "old", &job, &err), QE_NOTFOUND);
	assert_false(exists(old_logs));
	assert_true(exists(new_logs));
	assert_true(exists(dead_logs));
	assert_counts(&f->q, 1, 0, 1, 0, 1);
	assert_int_equal(queue_purge(&f->q, JOB_COMPLETED, T0 + 3000, &err), 0);

	/* By age on the store's clock: the dead job was last updated 5 s before now. */
	the_time = T0 + 10000;
	assert_int_equal(queue_purge_older(&f->q, JOB_DEAD, 6, &err), 0);
	assert_int_equal(queue_purge_older(&f->q, JOB_DEAD, 5, &err), 0); /* strictly older */
	the_time = T0 + 10001;
	assert_int_equal(queue_purge_older(&f->q, JOB_DEAD, 5, &err), 1);
	assert_false(exists(dead_logs));
	assert_true(exists(new_logs));
	assert_counts(&f->q, 1, 0, 1, 0, 0);
	/* 0: every one, including one finished this very moment. */
	the_time = T0 + 5000;
	assert_int_equal(queue_purge_older(&f->q, JOB_COMPLETED, 0, &err), 1);
	assert_counts(&f->q, 1, 0, 0, 0, 0);
	free(old_logs);
	free(new_logs);
	free(dead_logs);
}

/* --- settings --- */

static int collect_kv(void *ctx, const char *key, const char *value)
{
	struct buf *b = ctx;

	buf_addf(b, "%s%s=%s", b->len ? "," : "", key, value);
	return 0;
}

static void assert_stored_config(struct queue *q, const char *want)
{
	struct error err = { 0 };
	struct buf b = BUF_INIT;

	assert_int_equal(store_config_list(q->store, collect_kv, &b, &err), 0);
	assert_string_equal(b.data ? b.data : "", want);
	buf_release(&b);
}

static void test_config_set(void **state)
{
	struct fixture *f = *state;
	const struct config *cfg;
	struct error err = { 0 };
	char *canon = NULL;

	assert_int_equal(queue_config(&f->q, &cfg, &err), 0);
	assert_int_equal(cfg->job_timeout, 0);
	assert_int_equal(cfg->lease, 30);

	/* Canonical key and value are stored, and the queue sees them at once. */
	assert_int_equal(queue_config_set(&f->q, "job_timeout", "1h", &canon, &err), 0);
	assert_string_equal(canon, "3600");
	free(canon);
	canon = NULL;
	assert_int_equal(queue_config_set(&f->q, "backoff-base", "1.5", &canon, &err), 0);
	assert_string_equal(canon, "1.5");
	free(canon);
	canon = NULL;
	assert_stored_config(&f->q, "backoff-base=1.5,job-timeout=3600");
	assert_int_equal(queue_config(&f->q, &cfg, &err), 0);
	assert_int_equal(cfg->job_timeout, 3600);
	assert_true(cfg->backoff_base == 1.5);

	/* Refused: unknown keys and bad values change nothing. */
	assert_int_equal(queue_config_set(&f->q, "colour", "blue", &canon, &err), QE_INPUT);
	assert_non_null(strstr(err.msg, "unknown config key 'colour'"));
	assert_null(canon);
	assert_int_equal(queue_config_set(&f->q, "lease", "1", &canon, &err), QE_INPUT);
	assert_non_null(strstr(err.msg, "invalid lease '1'"));
	assert_null(canon);
	assert_int_equal(queue_config_set(&f->q, "max-retries", "many", &canon, &err), QE_INPUT);
	assert_null(canon);
	assert_stored_config(&f->q, "backoff-base=1.5,job-timeout=3600");
	assert_int_equal(queue_config(&f->q, &cfg, &err), 0);
	assert_int_equal(cfg->lease, 30);
	assert_int_equal(cfg->max_retries, 3);

	/* The lease setting is what a claim gets. */
	assert_int_equal(queue_config_set(&f->q, "lease", "2m", &canon, &err), 0);
	free(canon);
	{
		struct job job;

		enqueue_id(&f->q, "j1", 0);
		claim_one(&f->q, "w1", "j1", &job);
		assert_int_equal(job.lease_until - job.started_at, 120 * 1000);
		job_release(&job);
	}
}

static void test_config_shared(void **state)
{
	struct fixture *f = *state;
	const struct config *cfg;
	struct error err = { 0 };
	struct queue other;
	char *canon = NULL;

	/* Settings live in the store: another queue on it sees them, at its next reload. */
	assert_int_equal(queue_open(&other, f->target, &err), 0);
	assert_int_equal(queue_config_set(&f->q, "lease", "45", &canon, &err), 0);
	free(canon);
	assert_int_equal(queue_config(&other, &cfg, &err), 0);
	assert_int_equal(cfg->lease, 30);
	queue_config_reload(&other);
	assert_int_equal(queue_config(&other, &cfg, &err), 0);
	assert_int_equal(cfg->lease, 45);
	assert_int_equal(cfg->max_retries, 3);
	queue_close(&other);
}

static void test_config_reset(void **state)
{
	struct fixture *f = *state;
	const struct config *cfg;
	struct error err = { 0 };
	char *canon = NULL;

	assert_int_equal(queue_config_set(&f->q, "lease", "45", &canon, &err), 0);
	free(canon);
	assert_int_equal(queue_config_set(&f->q, "max-retries", "9", &canon, &err), 0);
	free(canon);
	assert_int_equal(queue_config_set(&f->q, "durability", "full", &canon, &err), 0);
	free(canon);

	/* One setting, by either spelling: back to its default, at once. */
	assert_int_equal(queue_config_reset(&f->q, "max_retries", &err), 0);
	assert_stored_config(&f->q, "durability=full,lease=45");
	assert_int_equal(queue_config(&f->q, &cfg, &err), 0);
	assert_int_equal(cfg->max_retries, 3);
	assert_int_equal(cfg->lease, 45);
	/* One that is not stored: nothing to do, no error. */
	assert_int_equal(queue_config_reset(&f->q, "backoff-base", &err), 0);
	/* An unknown key: the error of config set. */
	assert_int_equal(queue_config_reset(&f->q, "colour", &err), QE_INPUT);
	assert_string_equal(err.msg, "unknown config key 'colour' (valid: max-retries, "
				     "backoff-base, backoff-max, job-timeout, lease, durability, max-output)");
	assert_stored_config(&f->q, "durability=full,lease=45");
	/* Every setting. */
	assert_int_equal(queue_config_reset(&f->q, NULL, &err), 0);
	assert_stored_config(&f->q, "");
	assert_int_equal(queue_config(&f->q, &cfg, &err), 0);
	assert_int_equal(cfg->lease, 30);
	assert_false(cfg->durable);
}

/* --- reads --- */

static void test_reads(void **state)
{
	struct fixture *f = *state;
	struct job_filter like = { .state = -1, .id_prefix = "ab", .command_like = "c" };
	struct error err = { 0 };
	struct buf b = BUF_INIT;
	char *id = NULL;

	enqueue_id(&f->q, "abc", 3);
	enqueue_id(&f->q, "abd", 3);
	enqueue_id(&f->q, "xyz", 3);
	assert_int_equal(queue_resolve(&f->q, "xyz", &id, &err), 0);
	assert_string_equal(id, "xyz");
	free(id);
	/* Chosen ids only whole (prefixes of generated ones: test_store.c). */
	assert_int_equal(queue_resolve(&f->q, "x", &id, &err), QE_NOTFOUND);
	assert_int_equal(queue_resolve(&f->q, "ab", &id, &err), QE_NOTFOUND);
	assert_int_equal(queue_resolve(&f->q, "q", &id, &err), QE_NOTFOUND);
	/* "echo abc" and "echo abd": both have a c; only the ids tell them apart. */
	assert_int_equal(queue_list(&f->q, &like, collect_job, &b, &err), 0);
	assert_string_equal(b.data, "abc,abd");
	buf_release(&b);
	like.command_like = "abd";
	assert_int_equal(queue_list(&f->q, &like, collect_job, &b, &err), 0);
	assert_string_equal(b.data, "abd");
	buf_release(&b);
}

/* --- the worker's traffic --- */

static int collect_worker(void *ctx, const struct worker_info *w)
{
	struct buf *b = ctx;

	buf_addf(b, "%s%s:%lld:%lld:%d", b->len ? "," : "", w->id,
		 (long long)(w->started_at - T0), (long long)(w->heartbeat_at - T0), w->busy);
	return 0;
}

static void assert_workers(struct queue *q, const char *want)
{
	struct error err = { 0 };
	struct buf b = BUF_INIT;

	assert_int_equal(queue_workers(q, collect_worker, &b, &err), 0);
	assert_string_equal(b.data ? b.data : "", want);
	buf_release(&b);
}

static void add_worker_on(struct queue *q, const char *id, const char *host,
			  const char *machine)
{
	struct worker_info w = {
		.id = (char *)id,
		.host = (char *)host,
		.machine = (char *)machine,
		.pid = 4242,
		.pid_start = 987654321,
		.slots = 2,
		.started_at = 1, /* the store's clock decides */
		.heartbeat_at = 1,
	};
	struct error err = { 0 };

	assert_int_equal(queue_worker_register(q, &w, &err), 0);
}

static void add_worker(struct queue *q, const char *id, const char *machine)
{
	add_worker_on(q, id, "same-name", machine);
}

static void test_workers(void **state)
{
	struct fixture *f = *state;
	struct error err = { 0 };
	char *canon;
	struct job job;

	assert_workers(&f->q, "");
	add_worker(&f->q, "w1", "m-1");
	the_time = T0 + 1000;
	add_worker(&f->q, "w2", "m-2");
	add_worker(&f->q, "w3", NULL);
	assert_workers(&f->q, "w1:0:0:0,w2:1000:1000:0,w3:1000:1000:0");

	/* A heartbeat stamps the worker and renews its leases by the lease setting. */
	enqueue_id(&f->q, "j1", 3);
	claim_one(&f->q, "w1", "j1", &job);
	assert_int_equal(job.lease_until, T0 + 1000 + 30000);
	job_release(&job);
	the_time = T0 + 20000;
	assert_int_equal(queue_heartbeat(&f->q, "w1", &err), 1);
	get_job(&f->q, "j1", &job);
	assert_int_equal(job.lease_until, T0 + 20000 + 30000);
	job_release(&job);
	assert_workers(&f->q, "w1:0:20000:1,w2:1000:1000:0,w3:1000:1000:0");
	/* A worker that is not registered: 0 rows, so that it can register again. */
	assert_int_equal(queue_heartbeat(&f->q, "ghost", &err), 0);

	/*
	 * Pruning forgets the workers silent for two of their own leases (60 s), strictly: a
	 * shorter lease set since does not shorten what they registered with.
	 */
	assert_int_equal(queue_config_set(&f->q, "lease", "4s", &canon, &err), 0);
	free(canon);
	the_time = T0 + 61000;
	assert_int_equal(queue_prune_workers(&f->q, &err), 0);
	the_time = T0 + 61001;
	assert_int_equal(queue_prune_workers(&f->q, &err), 2);
	assert_workers(&f->q, "w1:0:20000:1");
	/* w1's next beat is under the new lease: stale 8 s after it. */
	assert_int_equal(queue_heartbeat(&f->q, "w1", &err), 1);
	the_time = T0 + 69002;
	assert_int_equal(queue_prune_workers(&f->q, &err), 1);
	assert_workers(&f->q, "");
	assert_int_equal(queue_config_reset(&f->q, "lease", &err), 0);
	add_worker(&f->q, "w1", NULL);

	/* Unregistering returns the worker's jobs, uncounted, and wakes the others. */
	(void)woken(&f->q);
	assert_int_equal(queue_worker_unregister(&f->q, "w1", &err), 1);
	assert_true(woken(&f->q));
	assert_workers(&f->q, "");
	get_job(&f->q, "j1", &job);
	assert_int_equal(job.state, JOB_PENDING);
	assert_int_equal(job.attempts, 0);
	assert_int_equal(job.updated_at, T0 + 69002);
	job_release(&job);
	assert_int_equal(queue_worker_unregister(&f->q, "w1", &err), 0);
}

static int collect_worker_id(void *ctx, const struct worker_info *w)
{
	struct buf *b = ctx;

	buf_addf(b, "%s%s", b->len ? "," : "", w->id);
	return 0;
}

static int refuse(void *ctx, const struct worker_info *w)
{
	return 7;
}

/* Which workers are marked (queue_worker_stop_requested), as "w1,w3". */
static void assert_asked(struct queue *q, const char *want)
{
	static const char *const ids[] = { "w1", "w2", "w3" };
	struct error err = { 0 };
	struct buf b = BUF_INIT;

	for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
		int rc = queue_worker_stop_requested(q, ids[i], &err);

		assert_true(rc == 0 || rc == 1);
		if (rc)
			buf_addf(&b, "%s%s", b.len ? "," : "", ids[i]);
	}
	assert_string_equal(b.data ? b.data : "", want);
	buf_release(&b);
}

/* Ask the workers host and id choose to stop; the ids fn saw, and whether anyone was woken. */
static void stop_expect(struct queue *q, const char *host, const char *id, int want_n,
			const char *want_ids)
{
	struct error err = { 0 };
	struct buf b = BUF_INIT;

	(void)woken(q);
	assert_int_equal(queue_workers_stop(q, host, id, collect_worker_id, &b, &err), want_n);
	assert_string_equal(b.data ? b.data : "", want_ids);
	assert_int_equal(woken(q), want_n > 0);
	buf_release(&b);
}

/*
 * 'worker stop': the live workers that the host and the id choose (both, either, or all)
 * are marked in one commit and woken; a stale one is passed over; a refusal rolls back.
 */
static void test_workers_stop(void **state)
{
	struct fixture *f = *state;
	struct error err = { 0 };

	add_worker_on(&f->q, "w1", "alpha", "m-1");
	add_worker_on(&f->q, "w2", "beta", "m-2");
	add_worker_on(&f->q, "w3", "alpha", "m-3");
	stop_expect(&f->q, NULL, "ghost", 0, "");
	stop_expect(&f->q, "gamma", NULL, 0, "");
	stop_expect(&f->q, "beta", "w1", 0, "");
	assert_asked(&f->q, "");
	assert_int_equal(queue_workers_stop(&f->q, "alpha", NULL, refuse, NULL, &err), 7);
	assert_asked(&f->q, "");
	stop_expect(&f->q, NULL, "w3", 1, "w3");
	assert_asked(&f->q, "w3");
	stop_expect(&f->q, "alpha", "w1", 1, "w1");
	assert_asked(&f->q, "w1,w3");
	stop_expect(&f->q, "beta", NULL, 1, "w2");
	stop_expect(&f->q, NULL, NULL, 3, "w1,w2,w3");
	assert_asked(&f->q, "w1,w2,w3");
	/* Silent for two leases: nobody is there to ask. */
	the_time = T0 + 60001;
	stop_expect(&f->q, NULL, NULL, 0, "");
	stop_expect(&f->q, NULL, "w1", 0, "");
}

static void test_recover_and_started(void **state)
{
	struct fixture *f = *state;
	struct error err = { 0 };
	struct job a, b, stored;

	enqueue_id(&f->q, "a", 3);
	enqueue_id(&f->q, "b", 3);
	claim_one(&f->q, "w1", "a", &a);
	the_time = T0 + 10000;
	claim_one(&f->q, "w2", "b", &b);
	assert_int_equal(queue_started(&f->q, &a, 321, 654, &err), 1);
	get_job(&f->q, "a", &stored);
	assert_int_equal(stored.pid, 321);
	assert_int_equal(stored.pid_start, 654);
	job_release(&stored);

	/* Judged on the store's clock: a's lease ended at T0 + 30 s, b's holds. */
	(void)woken(&f->q);
	the_time = T0 + 30001;
	assert_int_equal(queue_recover_leases(&f->q, NULL, &err), 1);
	assert_true(woken(&f->q));
	assert_int_equal(state_of(&f->q, "a"), JOB_PENDING);
	assert_int_equal(state_of(&f->q, "b"), JOB_PROCESSING);
	assert_int_equal(queue_recover_leases(&f->q, NULL, &err), 0);
	assert_false(woken(&f->q));
	/* The lost claim can no longer record its process. */
	assert_int_equal(queue_started(&f->q, &a, 322, 655, &err), 0);
	job_release(&a);
	job_release(&b);
}

static void test_next_due(void **state)
{
	struct fixture *f = *state;
	static const char *const qa[] = { "a" };
	struct error err = { 0 };
	struct job_spec spec;
	struct job job;
	int64_t in = -1;

	assert_int_equal(queue_next_due(&f->q, NULL, 0, &in, &err), 0);
	assert_int_equal(in, -1);
	job_spec_init(&spec);
	spec.command = xstrdup("true");
	spec.queue = xstrdup("a");
	spec.delay = 90;
	assert_int_equal(queue_enqueue(&f->q, &spec, &job, &err), 0);
	job_release(&job);
	job_spec_release(&spec);

	/* How long from the store's now. */
	the_time = T0 + 30000;
	assert_int_equal(queue_next_due(&f->q, NULL, 0, &in, &err), 1);
	assert_int_equal(in, 60000);
	assert_int_equal(queue_next_due(&f->q, qa, 1, &in, &err), 1);
	assert_int_equal(in, 60000);
	/* Overdue is due now. */
	the_time = T0 + 100000;
	assert_int_equal(queue_next_due(&f->q, qa, 1, &in, &err), 1);
	assert_int_equal(in, 0);
}

/* --- the table of job.h, one operation at a time --- */

/* Put a job called by its state's name into that state, claimed (if ever) by w1. */
static const char *make_in_state(struct queue *q, enum job_state st)
{
	const char *id = job_state_name(st);
	enum job_state next;
	struct job job;

	the_time = T0;
	enqueue_id(q, id, st == JOB_DEAD ? 0 : 3);
	if (st != JOB_PENDING) {
		claim_one(q, "w1", id, &job);
		if (st != JOB_PROCESSING) {
			assert_int_equal(finish(q, &job, st == JOB_COMPLETED, T0, T0, &next), 1);
			assert_int_equal(next, st);
		}
		job_release(&job);
	}
	/* Past any lease and retry delay. */
	the_time = T0 + 3600 * 1000;
	return id;
}

/* Empty the queue: release what w1 holds, delete every job. */
static void clear(struct queue *q)
{
	struct job_filter all = { .state = -1 };
	struct error err = { 0 };
	struct buf b = BUF_INIT;
	const char *ids[1];

	assert_true(queue_worker_unregister(q, "w1", &err) >= 0);
	assert_int_equal(queue_list(q, &all, collect_job, &b, &err), 0);
	if (b.data) {
		assert_null(strchr(b.data, ',')); /* one job at a time */
		ids[0] = b.data;
		assert_int_equal(queue_delete(q, ids, 1, NULL, NULL, &err), 1);
	}
	buf_release(&b);
}

/* The job id as its claim would be if w1 held it: what finish and release are given. */
static void as_claimed(struct queue *q, const char *id, struct job *job)
{
	get_job(q, id, job);
	if (!job->worker_id)
		job->worker_id = xstrdup("w1");
}

static void test_transitions_table(void **state)
{
	struct fixture *f = *state;

	for (int i = 0; i < JOB_NSTATES; i++) {
		enum job_state st = (enum job_state)i;
		struct error err = { 0 };
		enum job_state next;
		const char *id;
		struct job job;
		int rc;

		/* claim: pending, failed -> processing (run_at has come). */
		id = make_in_state(&f->q, st);
		rc = queue_claim(&f->q, "w2", NULL, 0, &job, 1, &err);
		assert_int_equal(rc, job_op_from(JOB_OP_CLAIM, st));
		if (rc == 1) {
			assert_string_equal(job.id, id);
			assert_true(job_ops[JOB_OP_CLAIM].to & JOB_BIT(job.state));
			assert_int_equal(queue_release(&f->q, &job, &err), 1);
			job_release(&job);
		}
		clear(&f->q);

		/* finish: processing -> completed, failed, dead (the owner only). */
		id = make_in_state(&f->q, st);
		as_claimed(&f->q, id, &job);
		rc = finish(&f->q, &job, false, T0, the_time, &next);
		assert_int_equal(rc, job_op_from(JOB_OP_FINISH, st));
		if (rc == 1)
			assert_true(job_ops[JOB_OP_FINISH].to & JOB_BIT(state_of(&f->q, id)));
		else
			assert_int_equal(state_of(&f->q, id), st);
		job_release(&job);
		clear(&f->q);

		/* release: processing -> pending (the owner only). */
		id = make_in_state(&f->q, st);
		as_claimed(&f->q, id, &job);
		assert_int_equal(queue_release(&f->q, &job, &err), job_op_from(JOB_OP_RELEASE, st));
		assert_int_equal(state_of(&f->q, id),
				 job_op_from(JOB_OP_RELEASE, st) ? JOB_PENDING : st);
		job_release(&job);
		clear(&f->q);

		/* recover: processing -> pending (its lease has ended). */
		id = make_in_state(&f->q, st);
		assert_int_equal(queue_recover_leases(&f->q, NULL, &err), job_op_from(JOB_OP_RECOVER, st));
		assert_int_equal(state_of(&f->q, id),
				 job_op_from(JOB_OP_RECOVER, st) ? JOB_PENDING : st);
		clear(&f->q);

		/* dlq retry: dead -> pending; anything else is a conflict. */
		id = make_in_state(&f->q, st);
		rc = queue_dlq_retry(&f->q, &id, 1, NULL, NULL, &err);
		if (job_op_from(JOB_OP_DLQ_RETRY, st)) {
			assert_int_equal(rc, 1);
			assert_true(job_ops[JOB_OP_DLQ_RETRY].to & JOB_BIT(state_of(&f->q, id)));
		} else {
			assert_int_equal(rc, QE_CONFLICT);
			assert_int_equal(state_of(&f->q, id), st);
		}
		clear(&f->q);

		/* delete: any state but processing, which is a conflict. */
		id = make_in_state(&f->q, st);
		rc = queue_delete(&f->q, &id, 1, NULL, NULL, &err);
		assert_int_equal(rc, job_op_from(JOB_OP_DELETE, st) ? 1 : QE_CONFLICT);
		clear(&f->q);

		/* purge: completed, dead; any other state is refused, and never taken. */
		id = make_in_state(&f->q, st);
		for (int p = 0; p < JOB_NSTATES; p++) {
			rc = queue_purge(&f->q, (enum job_state)p, INT64_MAX, &err);
			if (!job_op_from(JOB_OP_PURGE, (enum job_state)p))
				assert_int_equal(rc, QE_INPUT);
			else
				assert_int_equal(rc, p == i);
		}
		clear(&f->q);
		assert_jobs(&f->q, -1, "");
	}
}

#define T(name) cmocka_unit_test_setup_teardown(name, queue_setup, queue_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_enqueue_defaults),
		T(test_enqueue_delay),
		T(test_enqueue_overrides),
		T(test_enqueue_defaults_follow_config),
		T(test_enqueue_batch),
		T(test_enqueue_batch_all_or_nothing),
		T(test_claim_and_complete),
		T(test_claim_order),
		T(test_failure_retries_then_dead),
		T(test_no_retries_dead_at_once),
		T(test_backoff_follows_config),
		T(test_backoff_job_base),
		T(test_success_after_failure),
		T(test_recover_spares_own_jobs),
		T(test_finish_after_losing_the_job),
		T(test_release),
		T(test_unclaim),
		T(test_dlq_retry),
		T(test_dlq_retry_many),
		T(test_dlq_retry_all),
		T(test_dlq_retry_processing),
		T(test_delete),
		T(test_delete_logs_exact),
		T(test_purge_refuses_unfinished),
		T(test_purge),
		T(test_config_set),
		T(test_config_shared),
		T(test_config_reset),
		T(test_reads),
		T(test_workers),
		T(test_workers_stop),
		T(test_recover_and_started),
		T(test_next_due),
		T(test_transitions_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
