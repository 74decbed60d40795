/*
 * test_queue.c - unit tests for queue.c, the job life cycle over a real store: enqueue with
 * defaults from the config, claim and finish (complete, retry with backoff, dead letter),
 * a finish that comes too late, release, dlq retry, delete and purge with their logs, and
 * settings.
 *
 * Each test has its own store in a fresh temporary directory.  Jobs are enqueued at a fixed
 * time in the past (T0) so that they are due for queue_claim, which reads the clock itself;
 * every other time is explicit.
 */
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
#include "tmpdb.h"
#include "util.h"

#define T0 1700000000000LL /* 2023-11-14T22:13:20Z */

struct fixture {
	char *dir, *path;
	struct queue q;
};

static int queue_setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof *f);
	struct error err = { 0 };

	if (tmpdb_make("queue", &f->dir, &f->path) == 0) {
		if (queue_open(&f->q, f->path, &err) == 0) {
			*state = f;
			return 0;
		}
		print_error("queue_open: %s\n", err.msg);
		tmpdb_remove(f->dir, f->path);
	}
	free(f);
	return -1;
}

static int queue_teardown(void **state)
{
	struct fixture *f = *state;

	queue_close(&f->q);
	tmpdb_remove(f->dir, f->path);
	free(f);
	return 0;
}

/* --- helpers --- */

/* Enqueue "echo <id>" with id (or a generated one when NULL) and max_retries, at T0. */
static void enqueue(struct queue *q, const char *id, int max_retries, struct job *job)
{
	struct error err = { 0 };
	struct job_spec spec;

	job_spec_init(&spec);
	spec.id = id ? xstrdup(id) : NULL;
	spec.command = xasprintf("echo %s", id ? id : "anon");
	spec.max_retries = max_retries;
	if (queue_enqueue(q, &spec, T0, job, &err))
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
	int rc = queue_claim(q, worker, NULL, 0, job, &err);

	if (rc != 1)
		fail_msg("claim by %s: %d %s", worker, rc, err.msg);
	assert_string_equal(job->id, want);
	assert_string_equal(job->worker_id, worker);
}

static void get_job(struct queue *q, const char *id, struct job *job)
{
	struct error err = { 0 };

	if (store_get(q->store, id, job, &err))
		fail_msg("get '%s': %s", id, err.msg);
}

/* Finish a claimed job: ok, or failed with exit status 3; the attempt ran [start, end]. */
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
	};
	struct error err = { 0 };
	int rc = queue_finish(q, job, &res, next, &err);

	if (rc < 0)
		fail_msg("finish: %s", err.msg);
	return rc;
}

/* Claim the job id as worker w1 and finish it; returns the new state. */
static enum job_state run_once(struct queue *q, const char *id, bool ok, int64_t end)
{
	enum job_state next = JOB_NSTATES;
	struct job job;

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

	assert_int_equal(store_counts(q->store, got, &err), 0);
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

	assert_int_equal(store_attempt_list(q->store, id, collect_attempt, &b, &err), 0);
	assert_string_equal(b.data ? b.data : "", want);
	buf_release(&b);
}

static bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* Create <files>/logs/<id>/1.log, as a worker would; returns the log directory (malloc'd). */
static char *make_log(struct queue *q, const char *id)
{
	char *path = queue_log_path(q, id, 1);
	char *dir = xstrndup(path, strrchr(path, '/') - path);
	struct error err = { 0 };
	FILE *fp;

	assert_int_equal(mkdir_p(dir, 0700, &err), 0);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("output\n", fp);
	assert_int_equal(fclose(fp), 0);
	free(path);
	return dir;
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
	assert_int_equal(queue_enqueue(&f->q, &spec, T0, &job, &err), 0);
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
	assert_int_equal(queue_enqueue(&f->q, &spec, T0, &other, &err), 0);
	assert_string_not_equal(other.id, job.id);
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
	assert_int_equal(queue_enqueue(&f->q, &spec, T0, &job, &err), 0);
	assert_int_equal(job.run_at, T0 + 90000);
	assert_int_equal(job.created_at, T0);
	job_release(&job);
	spec.delay = 0;
	assert_int_equal(queue_enqueue(&f->q, &spec, T0, &job, &err), 0);
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
	spec.run_at = T0 + 3600000;
	spec.created_at = T0 - 1000;
	assert_int_equal(queue_enqueue(&f->q, &spec, T0, &job, &err), 0);
	assert_string_equal(job.id, "mine");
	assert_string_equal(job.queue, "slow");
	assert_int_equal(job.priority, 12);
	assert_int_equal(job.max_retries, 0);
	assert_int_equal(job.timeout, 5);
	assert_int_equal(job.run_at, T0 + 3600000);
	assert_int_equal(job.created_at, T0 - 1000);
	assert_int_equal(job.updated_at, T0);
	job_release(&job);

	get_job(&f->q, "mine", &stored);
	assert_string_equal(stored.queue, "slow");
	assert_int_equal(stored.priority, 12);
	assert_int_equal(stored.max_retries, 0);
	assert_int_equal(stored.timeout, 5);
	assert_int_equal(stored.run_at, T0 + 3600000);
	assert_int_equal(stored.created_at, T0 - 1000);
	job_release(&stored);

	/* The same id again is a conflict, and job is left empty. */
	assert_int_equal(queue_enqueue(&f->q, &spec, T0, &job, &err), QE_CONFLICT);
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

/* --- claim and finish --- */

static void test_claim_and_complete(void **state)
{
	struct fixture *f = *state;
	enum job_state next = JOB_NSTATES;
	struct error err = { 0 };
	struct job job, stored;

	assert_int_equal(queue_claim(&f->q, "w1", NULL, 0, &job, &err), 0);
	enqueue_id(&f->q, "j1", 2);
	claim_one(&f->q, "w1", "j1", &job);
	assert_int_equal(job.state, JOB_PROCESSING);
	assert_int_equal(job.runs, 1);
	/* The lease is the lease setting from the claim. */
	assert_int_equal(job.lease_until - job.started_at, 30 * 1000);
	assert_counts(&f->q, 0, 1, 0, 0, 0);

	assert_int_equal(finish(&f->q, &job, true, T0 + 1000, T0 + 2500, &next), 1);
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
	assert_attempts(&f->q, "j1", "1/1:completed:-@1700000002500");

	/* Nothing left to claim. */
	assert_int_equal(queue_claim(&f->q, "w1", NULL, 0, &job, &err), 0);
}

static void test_failure_retries_then_dead(void **state)
{
	struct fixture *f = *state;
	struct job stored;

	enqueue_id(&f->q, "j1", 2);

	/* Attempt 1 of 3: failed, due again after base ^ 1 = 2 s. */
	assert_int_equal(run_once(&f->q, "j1", false, T0 + 10000), JOB_FAILED);
	get_job(&f->q, "j1", &stored);
	assert_int_equal(stored.state, JOB_FAILED);
	assert_int_equal(stored.attempts, 1);
	assert_int_equal(stored.finished_at, T0 + 10000);
	assert_int_equal(stored.run_at, T0 + 10000 + 2000);
	assert_string_equal(stored.last_error, "exit status 3");
	assert_true(stored.has_exit_code);
	assert_int_equal(stored.exit_code, 3);
	assert_null(stored.worker_id);
	assert_memory_equal(stored.output, "oops\n", 5);
	job_release(&stored);
	assert_counts(&f->q, 0, 0, 0, 1, 0);

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
			"1/1:failed:exit status 3@1700000010000,"
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
	assert_int_equal(queue_enqueue(&f->q, &spec, T0, &job, &err), 0);
	assert_true(job.backoff_base == 3);
	job_release(&job);
	job_spec_release(&spec);
	get_job(&f->q, "own", &stored);
	assert_true(stored.backoff_base == 3);
	job_release(&stored);

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
	/* 3 ^ 3 = 27 s, capped at 20 s. */
	assert_int_equal(run_once(&f->q, "own", false, T0 + 20000), JOB_FAILED);
	get_job(&f->q, "own", &stored);
	assert_int_equal(stored.run_at, T0 + 20000 + 20000);
	job_release(&stored);
	assert_int_equal(run_once(&f->q, "own", false, T0 + 30000), JOB_DEAD);

	/* A job without one follows the setting as it is at the time of the failure. */
	enqueue_id(&f->q, "setting", 3);
	get_job(&f->q, "setting", &stored);
	assert_true(stored.backoff_base == 0);
	job_release(&stored);
	assert_int_equal(run_once(&f->q, "setting", false, T0 + 1000), JOB_FAILED);
	get_job(&f->q, "setting", &stored);
	assert_int_equal(stored.run_at, T0 + 1000 + 4000);
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

static void test_finish_after_losing_the_job(void **state)
{
	struct fixture *f = *state;
	enum job_state next;
	struct error err = { 0 };
	struct job mine, theirs, stored;

	enqueue_id(&f->q, "j1", 3);
	claim_one(&f->q, "w1", "j1", &mine);
	/* w1's lease runs out; recovery gives the job back and w2 takes it. */
	assert_int_equal(store_recover(f->q.store, mine.lease_until + 1, 0, &err), 1);
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
	assert_int_equal(queue_release(&f->q, &job, &err), 1);
	get_job(&f->q, "j1", &stored);
	assert_int_equal(stored.state, JOB_PENDING);
	assert_int_equal(stored.attempts, 0);
	assert_null(stored.worker_id);
	job_release(&stored);
	/* The released claim can no longer finish the job. */
	{
		enum job_state next;

		assert_int_equal(finish(&f->q, &job, true, T0, T0 + 1, &next), 0);
	}
	assert_counts(&f->q, 1, 0, 0, 0, 0);
	job_release(&job);
}

/* --- dead letter queue --- */

static void test_dlq_retry(void **state)
{
	struct fixture *f = *state;
	struct error err = { 0 };
	struct job stored;

	enqueue_id(&f->q, "j1", 1);
	assert_int_equal(run_once(&f->q, "j1", false, T0 + 1000), JOB_FAILED);
	assert_int_equal(run_once(&f->q, "j1", false, T0 + 5000), JOB_DEAD);

	assert_int_equal(queue_dlq_retry(&f->q, "j1", T0 + 9000, &err), 0);
	get_job(&f->q, "j1", &stored);
	assert_int_equal(stored.state, JOB_PENDING);
	assert_int_equal(stored.attempts, 0);
	assert_int_equal(stored.run_at, T0 + 9000);
	assert_int_equal(stored.updated_at, T0 + 9000);
	assert_int_equal(stored.runs, 2);
	/* Why it died stays on record until the next attempt. */
	assert_string_equal(stored.last_error, "exit status 3");
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

static void test_dlq_retry_not_dead(void **state)
{
	struct fixture *f = *state;
	struct error err = { 0 };
	struct job job, stored;

	/* Claims go in creation order: "done" first. */
	enqueue_id(&f->q, "done", 3);
	enqueue_id(&f->q, "pending", 3);
	assert_int_equal(queue_dlq_retry(&f->q, "pending", T0 + 1000, &err), QE_CONFLICT);
	assert_string_equal(err.msg,
			    "job 'pending' is pending, not dead: only dead jobs can be retried");
	get_job(&f->q, "pending", &stored);
	assert_int_equal(stored.updated_at, T0);
	job_release(&stored);

	assert_int_equal(run_once(&f->q, "done", true, T0 + 1000), JOB_COMPLETED);
	assert_int_equal(queue_dlq_retry(&f->q, "done", T0 + 2000, &err), QE_CONFLICT);
	assert_non_null(strstr(err.msg, "is completed, not dead"));

	claim_one(&f->q, "w1", "pending", &job);
	assert_int_equal(queue_dlq_retry(&f->q, "pending", T0 + 2000, &err), QE_CONFLICT);
	assert_non_null(strstr(err.msg, "is processing, not dead"));
	job_release(&job);

	assert_int_equal(queue_dlq_retry(&f->q, "nope", T0, &err), QE_NOTFOUND);
	assert_string_equal(err.msg, "no job 'nope'");
	assert_counts(&f->q, 0, 1, 1, 0, 0);
}

/* --- delete and purge --- */

static void test_delete(void **state)
{
	struct fixture *f = *state;
	struct error err = { 0 };
	char *want = xasprintf("%s.d/logs/j1/3.log", f->path);
	char *path = queue_log_path(&f->q, "j1", 3);
	char *logs1, *logs2;
	struct job job;

	assert_string_equal(path, want);
	free(path);
	free(want);

	enqueue_id(&f->q, "j1", 3);
	enqueue_id(&f->q, "j2", 3);
	logs1 = make_log(&f->q, "j1");
	logs2 = make_log(&f->q, "j2");

	assert_int_equal(queue_delete(&f->q, "j1", &err), 0);
	assert_int_equal(store_get(f->q.store, "j1", &job, &err), QE_NOTFOUND);
	/* The logs stay until the caller has committed the deletion and removes them. */
	assert_true(exists(logs1));
	queue_remove_logs(&f->q, "j1");
	assert_false(exists(logs1));
	assert_true(exists(logs2));

	/* A running job is not deleted, and keeps its logs. */
	claim_one(&f->q, "w1", "j2", &job);
	assert_int_equal(queue_delete(&f->q, "j2", &err), QE_CONFLICT);
	assert_true(exists(logs2));
	job_release(&job);

	assert_int_equal(queue_delete(&f->q, "j1", &err), QE_NOTFOUND);
	assert_counts(&f->q, 0, 1, 0, 0, 0);
	free(logs1);
	free(logs2);
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
	assert_int_equal(run_once(&f->q, "dead", false, T0 + 1000), JOB_DEAD);
	old_logs = make_log(&f->q, "old");
	new_logs = make_log(&f->q, "new");
	dead_logs = make_log(&f->q, "dead");

	assert_int_equal(queue_purge(&f->q, JOB_COMPLETED, T0 + 3000, &err), 1);
	assert_int_equal(store_get(f->q.store, "old", &job, &err), QE_NOTFOUND);
	assert_false(exists(old_logs));
	assert_true(exists(new_logs));
	assert_true(exists(dead_logs));
	assert_counts(&f->q, 1, 0, 1, 0, 1);

	assert_int_equal(queue_purge(&f->q, JOB_COMPLETED, T0 + 3000, &err), 0);
	assert_int_equal(queue_purge(&f->q, JOB_DEAD, T0 + 1000, &err), 0);
	assert_int_equal(queue_purge(&f->q, JOB_DEAD, INT64_MAX, &err), 1);
	assert_false(exists(dead_logs));
	assert_true(exists(new_logs));
	assert_counts(&f->q, 1, 0, 1, 0, 0);
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

#define T(name) cmocka_unit_test_setup_teardown(name, queue_setup, queue_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_enqueue_defaults),
		T(test_enqueue_delay),
		T(test_enqueue_overrides),
		T(test_enqueue_defaults_follow_config),
		T(test_claim_and_complete),
		T(test_failure_retries_then_dead),
		T(test_no_retries_dead_at_once),
		T(test_backoff_follows_config),
		T(test_backoff_job_base),
		T(test_success_after_failure),
		T(test_finish_after_losing_the_job),
		T(test_release),
		T(test_dlq_retry),
		T(test_dlq_retry_not_dead),
		T(test_delete),
		T(test_purge_refuses_unfinished),
		T(test_purge),
		T(test_config_set),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
