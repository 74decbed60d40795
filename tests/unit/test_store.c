/*
 * test_store.c - the store contract (store.h), for every backend: insert, get, resolve and
 * list, counts, guarded updates, remove and purge, settings, transactions, the clock, the
 * atomic claim and leases (renew, release, recovery), attempts and workers.
 *
 * Each test has a store of its own, from tmpdb.h: a temporary SQLite file, or the backend
 * that QUEUECTL_TEST_DB names.  Only store.h is used, never a backend's own API (the SQLite
 * file's own checks are test_sqlite's).  Every time is explicit, or the pinned clock.
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

#include "job.h"
#include "store.h"
#include "tmpdb.h"
#include "util.h"


static int store_setup(void **state)
{
	return (*state = tmpdb_store_open("store", false)) ? 0 : -1;
}

static int store_teardown(void **state)
{
	tmpdb_store_close(*state);
	return 0;
}

/* --- helpers --- */

static void get_job(struct store *st, const char *id, struct job *job)
{
	struct error err = { 0 };

	if (store_get(st, id, job, &err))
		fail_msg("get '%s': %s", id, err.msg);
}

/* Move a job from one state to another by a guarded update, at time "at". */
static void move(struct store *st, const char *id, enum job_state from, enum job_state to,
		 const char *worker, int64_t at)
{
	struct error err = { 0 };
	struct job job;
	char *old_worker;

	get_job(st, id, &job);
	assert_int_equal(job.state, from);
	old_worker = job.worker_id;
	job.state = to;
	job.worker_id = to == JOB_PROCESSING ? xstrdup(worker) : NULL;
	job.lease_until = to == JOB_PROCESSING ? at + 30000 : 0;
	job.updated_at = at;
	if (store_update(st, &job, from, NULL, &err) != 1)
		fail_msg("update '%s' %s -> %s failed: %s", id, job_state_name(from),
			 job_state_name(to), err.msg);
	free(old_worker);
	job_release(&job);
}

static int claim(struct store *st, const char *worker, int64_t now, int64_t lease_until,
		 const char *const *queues, int nqueues, struct job *job)
{
	struct error err = { 0 };
	struct claim_req req = {
		.worker_id = worker,
		.queues = queues,
		.nqueues = nqueues,
		.now = now,
		.lease_until = lease_until,
	};
	int rc = store_claim(st, &req, job, 1, &err);

	if (rc < 0)
		fail_msg("claim: %s", err.msg);
	return rc;
}

/* Claim and expect job id (or nothing when id is NULL). */
static void claim_expect(struct store *st, const char *worker, int64_t now,
			 const char *const *queues, int nqueues, const char *id)
{
	struct job job;
	int rc = claim(st, worker, now, now + 30000, queues, nqueues, &job);

	if (!id) {
		if (rc != 0) {
			print_error("claimed '%s' unexpectedly\n", job.id);
			job_release(&job);
			fail();
		}
		return;
	}
	assert_int_equal(rc, 1);
	assert_string_equal(job.id, id);
	job_release(&job);
}

static int collect_job(void *ctx, const struct job *job)
{
	struct buf *b = ctx;

	buf_addf(b, "%s%s", b->len ? "," : "", job->id);
	return 0;
}

/* The ids that list returns for the filter, comma-separated. */
static void assert_list(struct store *st, int state, const char *queue, long long limit,
			const char *want)
{
	struct store_filter filter = { .state = state, .queue = queue, .limit = limit };
	struct error err = { 0 };
	struct buf b = BUF_INIT;

	assert_int_equal(store_list(st, &filter, collect_job, &b, &err), 0);
	if (strcmp(b.data ? b.data : "", want))
		fail_msg("list(state %d, queue %s, limit %lld) = \"%s\", want \"%s\"", state,
			 queue ? queue : "any", limit, b.data ? b.data : "", want);
	buf_release(&b);
}

static void assert_counts(struct store *st, long long pending, long long processing,
			  long long completed, long long failed, long long dead)
{
	long long want[JOB_NSTATES] = { pending, processing, completed, failed, dead };
	long long got[JOB_NSTATES];
	struct error err = { 0 };

	memset(got, 0x5a, sizeof got);
	assert_int_equal(store_counts(st, got, &err), 0);
	for (int i = 0; i < JOB_NSTATES; i++)
		if (got[i] != want[i])
			fail_msg("count of %s is %lld, want %lld", job_state_name((enum job_state)i),
				 got[i], want[i]);
}

/* One text value from SQL run on a separate raw connection ("" when no row). */
static int collect_attempt(void *ctx, const struct attempt *a)
{
	struct buf *b = ctx;

	buf_addf(b, "%s%s:%d:%d:%lld-%lld:%s:%s:%s:%s:%s:%s", b->len ? "," : "", a->job_id, a->run,
		 a->attempt, (long long)a->started_at, (long long)a->finished_at, a->outcome,
		 a->error ? a->error : "-", a->has_exit_code ? "x" : "-",
		 a->worker_id ? a->worker_id : "-", a->machine ? a->machine : "-",
		 a->log_path ? a->log_path : "-");
	if (a->has_exit_code)
		buf_addf(b, "=%d", a->exit_code);
	return 0;
}

static void assert_attempts(struct store *st, const char *id, const char *want)
{
	struct error err = { 0 };
	struct buf b = BUF_INIT;

	assert_int_equal(store_attempt_list(st, id, collect_attempt, &b, &err), 0);
	assert_string_equal(b.data ? b.data : "", want);
	buf_release(&b);
}

/* --- opening --- */

static void test_reopen(void **state)
{
	struct tmpdb_store *f = *state;
	struct error err = { 0 };
	struct store *again;
	struct job job;

	tmpdb_add_job(f->st, "j1", "default", 0, 1000, 1000);
	store_close(f->st);
	f->st = NULL;
	assert_int_equal(store_open(f->target, &f->st, &err), 0);
	get_job(f->st, "j1", &job);
	assert_string_equal(job.command, "echo hi");
	job_release(&job);
	assert_counts(f->st, 1, 0, 0, 0, 0);
	/* A second connection at once, as a worker beside the CLI has. */
	assert_int_equal(store_open(f->target, &again, &err), 0);
	get_job(again, "j1", &job);
	job_release(&job);
	store_close(again);
}

static void test_clock(void **state)
{
	struct tmpdb_store *f = *state;
	struct error err = { 0 };
	int64_t pinned = 1234567, now = 0;
	struct job job;

	/* The backend's clock: milliseconds since the epoch, after this code was written. */
	assert_int_equal(store_now(f->st, &now, &err), 0);
	assert_true(now > 1700000000000LL && now < TIME_MS_MAX);
	/* Pinned for tests, read at each call. */
	store_pin_clock(f->st, &pinned);
	assert_int_equal(store_now(f->st, &now, &err), 0);
	assert_int_equal(now, 1234567);
	pinned += 5;
	assert_int_equal(store_now(f->st, &now, &err), 0);
	assert_int_equal(now, 1234572);
	/* A release is stamped with it. */
	tmpdb_add_job(f->st, "j1", "default", 0, 1000, 1000);
	claim_expect(f->st, "w1", 2000, NULL, 0, "j1");
	assert_int_equal(store_release(f->st, "w1", "j1", &err), 1);
	get_job(f->st, "j1", &job);
	assert_int_equal(job.updated_at, 1234572);
	job_release(&job);
	store_pin_clock(f->st, NULL);
	assert_int_equal(store_now(f->st, &now, &err), 0);
	assert_true(now > 1700000000000LL);
}

/* --- jobs --- */

static void test_insert_get(void **state)
{
	struct tmpdb_store *f = *state;
	struct error err = { 0 };
	struct job in, out;

	job_init(&in);
	in.id = (char *)"job-1";
	in.command = (char *)"printf 'caf\xc3\xa9\\n'";
	in.queue = (char *)"emails";
	in.state = JOB_PENDING;
	in.priority = -42;
	in.max_retries = 7;
	in.timeout = 90;
	in.run_at = 1762252260000LL;
	in.created_at = 1762252200123LL;
	in.updated_at = 1762252200456LL;
	assert_int_equal(store_insert(f->st, &in, &err), 0);

	get_job(f->st, "job-1", &out);
	assert_string_equal(out.id, "job-1");
	assert_string_equal(out.command, in.command);
	assert_string_equal(out.queue, "emails");
	assert_int_equal(out.state, JOB_PENDING);
	assert_int_equal(out.priority, -42);
	assert_int_equal(out.attempts, 0);
	assert_int_equal(out.max_retries, 7);
	assert_int_equal(out.runs, 0);
	assert_int_equal(out.timeout, 90);
	assert_int_equal(out.run_at, 1762252260000LL);
	assert_int_equal(out.created_at, 1762252200123LL);
	assert_int_equal(out.updated_at, 1762252200456LL);
	assert_int_equal(out.started_at, 0);
	assert_int_equal(out.finished_at, 0);
	assert_null(out.last_error);
	assert_false(out.has_exit_code);
	assert_null(out.worker_id);
	assert_int_equal(out.lease_until, 0);
	assert_null(out.output);
	assert_int_equal(out.output_len, 0);
	job_release(&out);

	assert_int_equal(store_get(f->st, "job-2", &out, &err), QE_NOTFOUND);
	assert_string_equal(err.msg, "no job 'job-2'");
	/* get is exact: a prefix is not enough. */
	assert_int_equal(store_get(f->st, "job", &out, &err), QE_NOTFOUND);
}

static void test_insert_duplicate(void **state)
{
	struct tmpdb_store *f = *state;
	struct error err = { 0 };
	struct job job;

	tmpdb_add_job(f->st, "j1", "default", 0, 1000, 1000);
	job_init(&job);
	job.id = (char *)"j1";
	job.command = (char *)"rm -rf /tmp/nothing";
	job.queue = (char *)"other";
	job.state = JOB_PENDING;
	job.run_at = job.created_at = job.updated_at = 2000;
	assert_int_equal(store_insert(f->st, &job, &err), QE_CONFLICT);
	assert_int_equal(err.code, QE_CONFLICT);
	assert_string_equal(err.msg, "a job with id 'j1' already exists");
	/* The first job is untouched and counted once. */
	get_job(f->st, "j1", &job);
	assert_string_equal(job.command, "echo hi");
	assert_string_equal(job.queue, "default");
	job_release(&job);
	assert_counts(f->st, 1, 0, 0, 0, 0);
}

static int first_base(void *ctx, const struct job *job)
{
	*(double *)ctx = job->backoff_base;
	return 1;
}

static void test_backoff_base_kept(void **state)
{
	struct tmpdb_store *f = *state;
	struct job_filter all = { .state = -1 };
	struct error err = { 0 };
	struct job job;
	double seen = 0;

	/* A job's own backoff base goes in and comes back by every read; 0 stays "none". */
	job_init(&job);
	job.id = (char *)"own";
	job.command = (char *)"false";
	job.queue = (char *)"default";
	job.state = JOB_PENDING;
	job.backoff_base = 1.25;
	job.run_at = job.created_at = job.updated_at = 1000;
	assert_int_equal(store_insert(f->st, &job, &err), 0);
	tmpdb_add_job(f->st, "none", "default", 0, 1000, 1000);
	get_job(f->st, "own", &job);
	assert_true(job.backoff_base == 1.25);
	job_release(&job);
	get_job(f->st, "none", &job);
	assert_true(job.backoff_base == 0);
	job_release(&job);
	assert_int_equal(store_list(f->st, &all, first_base, &seen, &err), 1);
	assert_true(seen == 1.25);
	assert_int_equal(claim(f->st, "w1", 2000, 3000, NULL, 0, &job), 1);
	assert_string_equal(job.id, "own");
	assert_true(job.backoff_base == 1.25);
	job_release(&job);
}

static void resolve_ok(struct store *st, const char *prefix, const char *want)
{
	struct error err = { 0 };
	char *id = NULL;

	if (store_resolve(st, prefix, &id, &err))
		fail_msg("resolve '%s': %s", prefix, err.msg);
	assert_non_null(id);
	assert_string_equal(id, want);
	free(id);
}

/*
 * Generated ids (32 lowercase hex digits) resolve from any unique prefix; a chosen id only
 * whole, so that a prefix meant for a job long gone never reaches another.
 */
static void test_resolve(void **state)
{
	struct tmpdb_store *f = *state;
	struct error err = { 0 };
	char *id = NULL;
	static const char g1[] = "abc12300000000000000000000000000",
			  g2[] = "abc45600000000000000000000000000",
			  g3[] = "abd78900000000000000000000000000";

	tmpdb_add_job(f->st, g1, "default", 0, 1000, 1000);
	tmpdb_add_job(f->st, g2, "default", 0, 1000, 1001);
	tmpdb_add_job(f->st, g3, "default", 0, 1000, 1002);
	tmpdb_add_job(f->st, "job", "default", 0, 1000, 1003);
	tmpdb_add_job(f->st, "job-2", "default", 0, 1000, 1004);
	tmpdb_add_job(f->st, "backup-2025-11-04", "default", 0, 1000, 1005);
	/* Chosen ids that look like prefixes of generated ones, or almost generated. */
	tmpdb_add_job(f->st, "abd7", "default", 0, 1000, 1006);
	tmpdb_add_job(f->st, "abc45600000000000000000000000000x", "default", 0, 1000, 1007);
	tmpdb_add_job(f->st, "abc4560000000000000000000000000A", "default", 0, 1000, 1008);

	resolve_ok(f->st, g1, g1);
	resolve_ok(f->st, "abc1", g1);
	resolve_ok(f->st, "abc4", g2);
	resolve_ok(f->st, "abd", g3);
	/* A chosen id is found whole, and wins over the generated ids it is a prefix of. */
	resolve_ok(f->st, "abd7", "abd7");
	resolve_ok(f->st, "job", "job");
	resolve_ok(f->st, "job-2", "job-2");
	resolve_ok(f->st, "backup-2025-11-04", "backup-2025-11-04");
	resolve_ok(f->st, "abc45600000000000000000000000000x", "abc45600000000000000000000000000x");

	/* Never a chosen id by a prefix of it. */
	assert_int_equal(store_resolve(f->st, "backup-2025-11", &id, &err), QE_NOTFOUND);
	assert_string_equal(err.msg, "no job 'backup-2025-11'");
	assert_int_equal(store_resolve(f->st, "jo", &id, &err), QE_NOTFOUND);
	assert_int_equal(store_resolve(f->st, "job-", &id, &err), QE_NOTFOUND);
	assert_null(id);

	assert_int_equal(store_resolve(f->st, "abc", &id, &err), QE_INPUT);
	assert_null(id);
	assert_non_null(strstr(err.msg, "job id prefix 'abc' is ambiguous"));
	assert_non_null(strstr(err.msg, g1));
	assert_non_null(strstr(err.msg, g2));
	assert_int_equal(store_resolve(f->st, "ab", &id, &err), QE_INPUT);
	assert_null(id);

	assert_int_equal(store_resolve(f->st, "zzz", &id, &err), QE_NOTFOUND);
	assert_null(id);
	assert_string_equal(err.msg, "no job 'zzz'");
	assert_int_equal(store_resolve(f->st, "abc1234", &id, &err), QE_NOTFOUND);
	assert_int_equal(store_resolve(f->st, "aa", &id, &err), QE_NOTFOUND);
	assert_int_equal(store_resolve(f->st, "ABC", &id, &err), QE_NOTFOUND);
	assert_null(id);
}

static int stop_after_two(void *ctx, const struct job *job)
{
	int *seen = ctx;

	return ++*seen == 2 ? 7 : 0;
}

static void test_list(void **state)
{
	struct tmpdb_store *f = *state;
	struct store_filter all = { .state = -1 };
	struct error err = { 0 };
	int seen = 0;

	assert_list(f->st, -1, NULL, 0, "");
	/* Ids sort differently from creation order: list keeps creation order. */
	tmpdb_add_job(f->st, "c", "q1", 0, 1000, 1000);
	tmpdb_add_job(f->st, "a", "q2", 9, 1000, 2000);
	tmpdb_add_job(f->st, "b", "q1", 0, 1000, 500); /* created_at is data; insertion order counts */
	tmpdb_add_job(f->st, "d", "q2", 0, 1000, 3000);
	move(f->st, "a", JOB_PENDING, JOB_PROCESSING, "w1", 4000);
	move(f->st, "d", JOB_PENDING, JOB_PROCESSING, "w1", 4000);
	move(f->st, "d", JOB_PROCESSING, JOB_DEAD, NULL, 5000);

	assert_list(f->st, -1, NULL, 0, "c,a,b,d");
	assert_list(f->st, JOB_PENDING, NULL, 0, "c,b");
	assert_list(f->st, JOB_PROCESSING, NULL, 0, "a");
	assert_list(f->st, JOB_DEAD, NULL, 0, "d");
	assert_list(f->st, JOB_COMPLETED, NULL, 0, "");
	assert_list(f->st, -1, "q1", 0, "c,b");
	assert_list(f->st, -1, "q2", 0, "a,d");
	assert_list(f->st, -1, "q3", 0, "");
	assert_list(f->st, JOB_PENDING, "q2", 0, "");
	assert_list(f->st, JOB_DEAD, "q2", 0, "d");
	assert_list(f->st, -1, NULL, 2, "c,a");
	assert_list(f->st, -1, NULL, 1, "c");
	assert_list(f->st, -1, NULL, 100, "c,a,b,d");
	assert_list(f->st, JOB_PENDING, NULL, 1, "c");
	assert_list(f->st, -1, "q2", 1, "a");

	/* A nonzero return from the callback stops the listing and is returned. */
	assert_int_equal(store_list(f->st, &all, stop_after_two, &seen, &err), 7);
	assert_int_equal(seen, 2);
	/* And the statement is reusable afterwards. */
	assert_list(f->st, -1, NULL, 0, "c,a,b,d");
}

/* The ids list returns for a filter on id prefix and command text, comma-separated. */
static void assert_list_like(struct store *st, const char *prefix, const char *like,
			     const char *want)
{
	struct job_filter filter = { .state = -1, .id_prefix = prefix, .command_like = like };
	struct error err = { 0 };
	struct buf b = BUF_INIT;

	assert_int_equal(store_list(st, &filter, collect_job, &b, &err), 0);
	if (strcmp(b.data ? b.data : "", want))
		fail_msg("list(prefix %s, like %s) = \"%s\", want \"%s\"", prefix ? prefix : "any",
			 like ? like : "any", b.data ? b.data : "", want);
	buf_release(&b);
}

static void test_list_prefix_and_command(void **state)
{
	struct tmpdb_store *f = *state;
	struct error err = { 0 };
	struct job job;

	job_init(&job);
	job.command = (char *)"backup --db 'a_b%c'";
	job.queue = (char *)"default";
	job.state = JOB_PENDING;
	job.run_at = job.created_at = job.updated_at = 1000;
	job.id = (char *)"b_1";
	assert_int_equal(store_insert(f->st, &job, &err), 0);
	tmpdb_add_job(f->st, "ab2", "default", 0, 1000, 1000);  /* echo hi */
	tmpdb_add_job(f->st, "b%3", "default", 0, 1000, 1000);  /* echo hi */
	tmpdb_add_job(f->st, "bx_1", "default", 0, 1000, 1000); /* echo hi */

	assert_list_like(f->st, "b", NULL, "b_1,b%3,bx_1");
	/* No wildcards: '_' and '%' are themselves, in ids and in commands. */
	assert_list_like(f->st, "b_", NULL, "b_1");
	assert_list_like(f->st, "b%", NULL, "b%3");
	assert_list_like(f->st, "B", NULL, "");
	assert_list_like(f->st, "b_1", NULL, "b_1");
	assert_list_like(f->st, "b_12", NULL, "");
	assert_list_like(f->st, "", NULL, "b_1,ab2,b%3,bx_1");
	assert_list_like(f->st, NULL, "echo", "ab2,b%3,bx_1");
	assert_list_like(f->st, NULL, "a_b%c", "b_1");
	assert_list_like(f->st, NULL, "a%c", "");
	assert_list_like(f->st, NULL, "ECHO", "");
	assert_list_like(f->st, "b", "hi", "b%3,bx_1");
	/* With the other fields of the filter. */
	{
		struct job_filter filter = { .state = JOB_PENDING, .id_prefix = "b",
					     .command_like = "hi", .limit = 1 };
		struct buf b = BUF_INIT;

		assert_int_equal(store_list(f->st, &filter, collect_job, &b, &err), 0);
		assert_string_equal(b.data, "b%3");
		buf_release(&b);
	}
}

static void test_counts_follow_changes(void **state)
{
	struct tmpdb_store *f = *state;
	struct error err = { 0 };
	struct job job;

	tmpdb_add_job(f->st, "j1", "default", 0, 1000, 1000);
	tmpdb_add_job(f->st, "j2", "default", 0, 1000, 1000);
	tmpdb_add_job(f->st, "j3", "default", 0, 1000, 1000);
	assert_counts(f->st, 3, 0, 0, 0, 0);
	move(f->st, "j1", JOB_PENDING, JOB_PROCESSING, "w1", 2000);
	assert_counts(f->st, 2, 1, 0, 0, 0);
	move(f->st, "j1", JOB_PROCESSING, JOB_COMPLETED, NULL, 3000);
	assert_counts(f->st, 2, 0, 1, 0, 0);
	move(f->st, "j2", JOB_PENDING, JOB_PROCESSING, "w1", 2000);
	move(f->st, "j2", JOB_PROCESSING, JOB_FAILED, NULL, 3000);
	assert_counts(f->st, 1, 0, 1, 1, 0);
	move(f->st, "j2", JOB_FAILED, JOB_PROCESSING, "w1", 4000);
	move(f->st, "j2", JOB_PROCESSING, JOB_DEAD, NULL, 5000);
	assert_counts(f->st, 1, 0, 1, 0, 1);
	move(f->st, "j2", JOB_DEAD, JOB_PENDING, NULL, 6000);
	assert_counts(f->st, 2, 0, 1, 0, 0);

	/* An update that keeps the state, or whose guard fails, leaves the counts. */
	get_job(f->st, "j3", &job);
	job.state = JOB_PROCESSING;
	assert_int_equal(store_update(f->st, &job, JOB_FAILED, NULL, &err), 0);
	job_release(&job);
	assert_counts(f->st, 2, 0, 1, 0, 0);

	/* Deletes. */
	assert_int_equal(store_remove(f->st, "j1", &err), 0);
	assert_counts(f->st, 2, 0, 0, 0, 0);
	assert_int_equal(store_remove(f->st, "j3", &err), 0);
	assert_counts(f->st, 1, 0, 0, 0, 0);
	/* A claim and a release count too. */
	claim_expect(f->st, "w1", 10000, NULL, 0, "j2");
	assert_counts(f->st, 0, 1, 0, 0, 0);
	assert_int_equal(store_release(f->st, "w1", NULL, &err), 1);
	assert_counts(f->st, 1, 0, 0, 0, 0);
}

static void test_update_writes_fields(void **state)
{
	struct tmpdb_store *f = *state;
	struct error err = { 0 };
	struct job job, out;

	tmpdb_add_job(f->st, "j1", "default", 0, 1000, 1000);
	get_job(f->st, "j1", &job);
	job.state = JOB_PROCESSING;
	job.worker_id = xstrdup("w1");
	job.lease_until = 40000;
	job.started_at = 10000;
	job.updated_at = 10000;
	assert_int_equal(store_update(f->st, &job, JOB_PENDING, NULL, &err), 1);
	job_release(&job);

	get_job(f->st, "j1", &job);
	assert_int_equal(job.state, JOB_PROCESSING);
	assert_string_equal(job.worker_id, "w1");
	assert_int_equal(job.lease_until, 40000);
	free(job.worker_id);
	job.worker_id = NULL;
	job.state = JOB_FAILED;
	job.attempts = 1;
	job.run_at = 14000;
	job.updated_at = job.finished_at = 12000;
	job.lease_until = 0;
	job.last_error = xstrdup("exit status 3");
	job.has_exit_code = true;
	job.exit_code = 3;
	job.output = xstrndup("out\0put\xff", 8);
	job.output_len = 8;
	assert_int_equal(store_update(f->st, &job, JOB_PROCESSING, "w1", &err), 1);
	job_release(&job);

	get_job(f->st, "j1", &out);
	assert_int_equal(out.state, JOB_FAILED);
	assert_int_equal(out.attempts, 1);
	assert_int_equal(out.run_at, 14000);
	assert_int_equal(out.updated_at, 12000);
	assert_int_equal(out.started_at, 10000);
	assert_int_equal(out.finished_at, 12000);
	assert_string_equal(out.last_error, "exit status 3");
	assert_true(out.has_exit_code);
	assert_int_equal(out.exit_code, 3);
	assert_null(out.worker_id);
	assert_int_equal(out.lease_until, 0);
	/* Output is bytes: NULs and invalid UTF-8 survive. */
	assert_int_equal(out.output_len, 8);
	assert_memory_equal(out.output, "out\0put\xff", 8);
	/* Immutable fields are not touched by an update. */
	assert_string_equal(out.command, "echo hi");
	assert_int_equal(out.created_at, 1000);
	assert_int_equal(out.max_retries, 3);

	/* Clearing: no error, no exit code, no output. */
	out.state = JOB_PROCESSING;
	free(out.last_error);
	out.last_error = NULL;
	out.has_exit_code = false;
	free(out.output);
	out.output = NULL;
	out.output_len = 0;
	out.worker_id = xstrdup("w2");
	assert_int_equal(store_update(f->st, &out, JOB_FAILED, NULL, &err), 1);
	job_release(&out);
	get_job(f->st, "j1", &out);
	assert_null(out.last_error);
	assert_false(out.has_exit_code);
	assert_null(out.output);
	assert_string_equal(out.worker_id, "w2");
	job_release(&out);
}

static void test_update_guard(void **state)
{
	struct tmpdb_store *f = *state;
	struct error err = { 0 };
	struct job job, out;

	tmpdb_add_job(f->st, "j1", "default", 0, 1000, 1000);
	move(f->st, "j1", JOB_PENDING, JOB_PROCESSING, "w1", 2000);

	/* Wrong expected state: nothing written. */
	get_job(f->st, "j1", &job);
	free(job.worker_id);
	job.worker_id = NULL;
	job.state = JOB_PROCESSING;
	job.updated_at = 9999;
	assert_int_equal(store_update(f->st, &job, JOB_PENDING, NULL, &err), 0);
	job.state = JOB_PROCESSING;
	assert_int_equal(store_update(f->st, &job, JOB_FAILED, NULL, &err), 0);

	/* Right state, wrong owner: nothing written. */
	job.state = JOB_COMPLETED;
	job.attempts = 1;
	assert_int_equal(store_update(f->st, &job, JOB_PROCESSING, "w2", &err), 0);
	get_job(f->st, "j1", &out);
	assert_int_equal(out.state, JOB_PROCESSING);
	assert_string_equal(out.worker_id, "w1");
	assert_int_equal(out.attempts, 0);
	assert_int_equal(out.updated_at, 2000);
	job_release(&out);
	assert_counts(f->st, 0, 1, 0, 0, 0);

	/* Right owner: written. */
	assert_int_equal(store_update(f->st, &job, JOB_PROCESSING, "w1", &err), 1);
	get_job(f->st, "j1", &out);
	assert_int_equal(out.state, JOB_COMPLETED);
	assert_int_equal(out.attempts, 1);
	job_release(&out);
	/* Twice: the second finds the guard false. */
	assert_int_equal(store_update(f->st, &job, JOB_PROCESSING, "w1", &err), 0);
	/* An unknown job is a failed guard too, not an error. */
	free(job.id);
	job.id = xstrdup("nope");
	assert_int_equal(store_update(f->st, &job, JOB_PROCESSING, NULL, &err), 0);
	job_release(&job);
}

/*
 * A worker that lost a job (its lease ran out, the job was recovered and claimed again,
 * here by the same worker) cannot write over the run that holds it now: the owner's guard
 * is on the run too.
 */
static void test_update_fenced_on_run(void **state)
{
	struct tmpdb_store *f = *state;
	struct error err = { 0 };
	struct job first, second, out;
	char *owner;

	tmpdb_add_job(f->st, "j1", "default", 0, 1000, 1000);
	assert_int_equal(claim(f->st, "w1", 2000, 3000, NULL, 0, &first), 1);
	assert_int_equal(store_recover_leases(f->st, 4000, NULL, &err), 1);
	assert_int_equal(claim(f->st, "w1", 5000, 35000, NULL, 0, &second), 1);
	assert_int_equal(second.runs, first.runs + 1);

	/* The first run's result, as queue_finish writes it: refused. */
	owner = first.worker_id;
	first.worker_id = NULL;
	first.state = JOB_COMPLETED;
	first.attempts = 1;
	first.updated_at = first.finished_at = 6000;
	assert_int_equal(store_update(f->st, &first, JOB_PROCESSING, owner, &err), 0);
	get_job(f->st, "j1", &out);
	assert_int_equal(out.state, JOB_PROCESSING);
	assert_int_equal(out.runs, second.runs);
	assert_string_equal(out.worker_id, "w1");
	assert_int_equal(out.lease_until, 35000);
	job_release(&out);
	first.worker_id = owner;
	job_release(&first);

	/* The second run's: written. */
	owner = second.worker_id;
	second.worker_id = NULL;
	second.state = JOB_COMPLETED;
	second.attempts = 1;
	second.updated_at = second.finished_at = 7000;
	assert_int_equal(store_update(f->st, &second, JOB_PROCESSING, owner, &err), 1);
	second.worker_id = owner;
	job_release(&second);
	get_job(f->st, "j1", &out);
	assert_int_equal(out.state, JOB_COMPLETED);
	job_release(&out);
}

static void test_empty_output(void **state)
{
	struct tmpdb_store *f = *state;
	struct error err = { 0 };
	struct job job;

	/*
	 * A job that printed nothing: its output is empty, not absent.  SQLite hands back a NULL
	 * pointer for an empty blob, which the reader must not pass on to memcpy (UBSan).
	 */
	tmpdb_add_job(f->st, "j1", "default", 0, 1000, 1000);
	move(f->st, "j1", JOB_PENDING, JOB_PROCESSING, "w1", 2000);
	get_job(f->st, "j1", &job);
	free(job.worker_id);
	job.worker_id = NULL;
	job.state = JOB_COMPLETED;
	job.output = xstrdup("");
	job.output_len = 0;
	assert_int_equal(store_update(f->st, &job, JOB_PROCESSING, NULL, &err), 1);
	job_release(&job);
	get_job(f->st, "j1", &job);
	assert_int_equal(job.output_len, 0);
	assert_non_null(job.output);
	assert_string_equal(job.output, "");
	job_release(&job);
}

static void test_remove(void **state)
{
	struct tmpdb_store *f = *state;
	struct attempt a = { .job_id = (char *)"j1", .run = 1, .attempt = 1, .started_at = 1,
			     .finished_at = 2, .outcome = (char *)"failed" };
	struct error err = { 0 };
	struct job job;

	tmpdb_add_job(f->st, "j1", "default", 0, 1000, 1000);
	tmpdb_add_job(f->st, "j2", "default", 0, 1000, 1000);
	assert_int_equal(store_attempt_add(f->st, &a, &err), 0);
	move(f->st, "j2", JOB_PENDING, JOB_PROCESSING, "w1", 2000);

	assert_int_equal(store_remove(f->st, "j2", &err), QE_CONFLICT);
	assert_string_equal(err.msg, "job 'j2' is processing: it cannot be deleted");
	get_job(f->st, "j2", &job);
	job_release(&job);

	assert_int_equal(store_remove(f->st, "nope", &err), QE_NOTFOUND);
	assert_string_equal(err.msg, "no job 'nope'");
	assert_int_equal(store_remove(f->st, "j", &err), QE_NOTFOUND);

	assert_int_equal(store_remove(f->st, "j1", &err), 0);
	assert_int_equal(store_get(f->st, "j1", &job, &err), QE_NOTFOUND);
	assert_int_equal(store_remove(f->st, "j1", &err), QE_NOTFOUND);
	/* Its history went with it: a new job with the same id starts clean. */
	tmpdb_add_job(f->st, "j1", "default", 0, 1000, 1000);
	assert_attempts(f->st, "j1", "");
	assert_counts(f->st, 1, 1, 0, 0, 0);
}

static int collect_id(void *ctx, const char *id)
{
	struct buf *b = ctx;

	buf_addf(b, "%s%s", b->len ? "," : "", id);
	return 0;
}

static void test_purge(void **state)
{
	struct tmpdb_store *f = *state;
	struct attempt a = { .job_id = (char *)"c1", .run = 1, .attempt = 1, .started_at = 1,
			     .finished_at = 2, .outcome = (char *)"completed" };
	struct error err = { 0 };
	struct buf ids = BUF_INIT;
	static const char *const completed[] = { "c1", "c2", "c3" };

	for (int i = 0; i < 3; i++) {
		tmpdb_add_job(f->st, completed[i], "default", 0, 100, 100);
		move(f->st, completed[i], JOB_PENDING, JOB_PROCESSING, "w1", 500);
		move(f->st, completed[i], JOB_PROCESSING, JOB_COMPLETED, NULL, 1000 * (i + 1));
	}
	tmpdb_add_job(f->st, "d1", "default", 0, 100, 100);
	move(f->st, "d1", JOB_PENDING, JOB_PROCESSING, "w1", 500);
	move(f->st, "d1", JOB_PROCESSING, JOB_DEAD, NULL, 1000);
	tmpdb_add_job(f->st, "p1", "default", 0, 100, 100);
	assert_int_equal(store_attempt_add(f->st, &a, &err), 0);
	assert_counts(f->st, 1, 0, 3, 0, 1);

	/* Strictly before: c3 (updated at 3000) and the dead job stay. */
	assert_int_equal(store_purge(f->st, JOB_COMPLETED, 2001, collect_id, &ids, &err), 2);
	assert_true(!strcmp(ids.data, "c1,c2") || !strcmp(ids.data, "c2,c1"));
	buf_release(&ids);
	assert_list(f->st, -1, NULL, 0, "c3,d1,p1");
	assert_counts(f->st, 1, 0, 1, 0, 1);
	/* With their history. */
	assert_attempts(f->st, "c1", "");

	/* Boundary: updated_at == before is not purged. */
	assert_int_equal(store_purge(f->st, JOB_COMPLETED, 3000, collect_id, &ids, &err), 0);
	assert_null(ids.data);
	assert_int_equal(store_purge(f->st, JOB_DEAD, 1000, NULL, NULL, &err), 0);
	assert_int_equal(store_purge(f->st, JOB_DEAD, 1001, collect_id, &ids, &err), 1);
	assert_string_equal(ids.data, "d1");
	buf_release(&ids);
	assert_list(f->st, -1, NULL, 0, "c3,p1");
	assert_counts(f->st, 1, 0, 1, 0, 0);
}

static int collect_kv(void *ctx, const char *key, const char *value)
{
	struct buf *b = ctx;

	buf_addf(b, "%s%s=%s", b->len ? "," : "", key, value);
	return 0;
}

static int stop_kv(void *ctx, const char *key, const char *value)
{
	return 3;
}

static void test_config_rows(void **state)
{
	struct tmpdb_store *f = *state;
	struct error err = { 0 };
	struct buf b = BUF_INIT;

	assert_int_equal(store_config_list(f->st, collect_kv, &b, &err), 0);
	assert_null(b.data);
	assert_int_equal(store_config_set(f->st, "lease", "30", &err), 0);
	assert_int_equal(store_config_set(f->st, "backoff-base", "2", &err), 0);
	assert_int_equal(store_config_list(f->st, collect_kv, &b, &err), 0);
	assert_string_equal(b.data, "backoff-base=2,lease=30");
	buf_release(&b);
	assert_int_equal(store_config_set(f->st, "lease", "45", &err), 0);
	assert_int_equal(store_config_list(f->st, collect_kv, &b, &err), 0);
	assert_string_equal(b.data, "backoff-base=2,lease=45");
	buf_release(&b);
	assert_int_equal(store_config_list(f->st, stop_kv, NULL, &err), 3);

	/* Unset one, one that is not stored, then all. */
	assert_int_equal(store_config_set(f->st, "max-retries", "5", &err), 0);
	assert_int_equal(store_config_unset(f->st, "lease", &err), 0);
	assert_int_equal(store_config_unset(f->st, "lease", &err), 0);
	assert_int_equal(store_config_list(f->st, collect_kv, &b, &err), 0);
	assert_string_equal(b.data, "backoff-base=2,max-retries=5");
	buf_release(&b);
	assert_int_equal(store_config_unset(f->st, NULL, &err), 0);
	assert_int_equal(store_config_list(f->st, collect_kv, &b, &err), 0);
	assert_null(b.data);
}

static void test_transactions(void **state)
{
	struct tmpdb_store *f = *state;
	struct error err = { 0 };

	assert_int_equal(store_begin(f->st, &err), 0);
	tmpdb_add_job(f->st, "gone", "default", 0, 1000, 1000);
	store_rollback(f->st);
	assert_list(f->st, -1, NULL, 0, "");
	assert_counts(f->st, 0, 0, 0, 0, 0);
	assert_int_equal(store_begin(f->st, &err), 0);
	tmpdb_add_job(f->st, "kept1", "default", 0, 1000, 1000);
	tmpdb_add_job(f->st, "kept2", "default", 0, 1000, 1000);
	assert_int_equal(store_commit(f->st, &err), 0);
	assert_list(f->st, -1, NULL, 0, "kept1,kept2");
	/* Rollback outside a transaction is harmless. */
	store_rollback(f->st);
	assert_list(f->st, -1, NULL, 0, "kept1,kept2");
}

/* --- claims and leases --- */

static void test_claim_fields(void **state)
{
	struct tmpdb_store *f = *state;
	struct job job;

	tmpdb_add_job(f->st, "j1", "default", 0, 1000, 1000);
	assert_int_equal(claim(f->st, "w1", 5000, 35000, NULL, 0, &job), 1);
	assert_string_equal(job.id, "j1");
	assert_string_equal(job.command, "echo hi");
	assert_int_equal(job.state, JOB_PROCESSING);
	assert_string_equal(job.worker_id, "w1");
	assert_int_equal(job.lease_until, 35000);
	assert_int_equal(job.started_at, 5000);
	assert_int_equal(job.updated_at, 5000);
	assert_int_equal(job.runs, 1);
	assert_int_equal(job.attempts, 0);
	assert_int_equal(job.max_retries, 3);
	job_release(&job);

	/* The same, as stored. */
	get_job(f->st, "j1", &job);
	assert_int_equal(job.state, JOB_PROCESSING);
	assert_string_equal(job.worker_id, "w1");
	assert_int_equal(job.lease_until, 35000);
	assert_int_equal(job.runs, 1);
	job_release(&job);
	assert_counts(f->st, 0, 1, 0, 0, 0);
}

static void test_claim_order(void **state)
{
	struct tmpdb_store *f = *state;

	/* Priority first (higher first), then age (insertion order), whatever the ids. */
	tmpdb_add_job(f->st, "z-low-old", "default", 0, 1000, 1000);
	tmpdb_add_job(f->st, "y-high", "default", 10, 1000, 2000);
	tmpdb_add_job(f->st, "x-low-new", "default", 0, 1000, 3000);
	tmpdb_add_job(f->st, "w-high-new", "default", 10, 1000, 4000);
	tmpdb_add_job(f->st, "v-negative", "default", -5, 1000, 5000);
	tmpdb_add_job(f->st, "u-top", "default", 1000000, 1000, 6000);

	claim_expect(f->st, "w1", 10000, NULL, 0, "u-top");
	claim_expect(f->st, "w1", 10000, NULL, 0, "y-high");
	claim_expect(f->st, "w1", 10000, NULL, 0, "w-high-new");
	claim_expect(f->st, "w1", 10000, NULL, 0, "z-low-old");
	claim_expect(f->st, "w1", 10000, NULL, 0, "x-low-new");
	claim_expect(f->st, "w1", 10000, NULL, 0, "v-negative");
	claim_expect(f->st, "w1", 10000, NULL, 0, NULL);
}

static void test_claim_due(void **state)
{
	struct tmpdb_store *f = *state;
	struct job job;

	/* Nothing at all. */
	assert_int_equal(claim(f->st, "w1", 10000, 40000, NULL, 0, &job), 0);

	tmpdb_add_job(f->st, "later", "default", 100, 20000, 1000);
	tmpdb_add_job(f->st, "now", "default", 0, 10000, 2000);
	/* A higher priority that is not due does not block one that is. */
	claim_expect(f->st, "w1", 10000, NULL, 0, "now");
	claim_expect(f->st, "w1", 19999, NULL, 0, NULL);
	claim_expect(f->st, "w1", 20000, NULL, 0, "later");

	/* A failed job waits out its run_at, then is claimed like a pending one. */
	tmpdb_add_job(f->st, "retry", "default", 0, 1000, 3000);
	move(f->st, "retry", JOB_PENDING, JOB_PROCESSING, "w1", 3000);
	get_job(f->st, "retry", &job);
	free(job.worker_id);
	job.worker_id = NULL;
	job.state = JOB_FAILED;
	job.attempts = 1;
	job.run_at = 50000;
	{
		struct error err = { 0 };

		assert_int_equal(store_update(f->st, &job, JOB_PROCESSING, NULL, &err), 1);
	}
	job_release(&job);
	claim_expect(f->st, "w1", 49999, NULL, 0, NULL);
	assert_int_equal(claim(f->st, "w2", 50000, 80000, NULL, 0, &job), 1);
	assert_string_equal(job.id, "retry");
	assert_int_equal(job.attempts, 1);
	assert_int_equal(job.runs, 1); /* the first start was written by hand, not claimed */
	job_release(&job);

	/* Completed and dead jobs are never claimed. */
	tmpdb_add_job(f->st, "done", "default", 0, 1000, 4000);
	move(f->st, "done", JOB_PENDING, JOB_PROCESSING, "w1", 4000);
	move(f->st, "done", JOB_PROCESSING, JOB_COMPLETED, NULL, 4000);
	tmpdb_add_job(f->st, "dead", "default", 0, 1000, 4000);
	move(f->st, "dead", JOB_PENDING, JOB_PROCESSING, "w1", 4000);
	move(f->st, "dead", JOB_PROCESSING, JOB_DEAD, NULL, 4000);
	claim_expect(f->st, "w1", 1000000, NULL, 0, NULL);
}

static void test_claim_queues(void **state)
{
	struct tmpdb_store *f = *state;
	static const char *const b[] = { "b" };
	static const char *const ac[] = { "a", "c" };
	static const char *const none[] = { "nope" };

	tmpdb_add_job(f->st, "a1", "a", 0, 1000, 1000);
	tmpdb_add_job(f->st, "b1", "b", 0, 1000, 2000);
	tmpdb_add_job(f->st, "c1", "c", 5, 1000, 3000);
	tmpdb_add_job(f->st, "a2", "a", 0, 1000, 4000);

	claim_expect(f->st, "w1", 10000, none, 1, NULL);
	claim_expect(f->st, "w1", 10000, b, 1, "b1");
	claim_expect(f->st, "w1", 10000, b, 1, NULL);
	claim_expect(f->st, "w1", 10000, ac, 2, "c1");
	claim_expect(f->st, "w1", 10000, ac, 2, "a1");
	/* No filter: any queue. */
	claim_expect(f->st, "w1", 10000, NULL, 0, "a2");
	claim_expect(f->st, "w1", 10000, NULL, 0, NULL);
}

static void test_claim_never_twice(void **state)
{
	struct tmpdb_store *f = *state;
	struct error err = { 0 };
	struct store *other;
	char ids[20][16];
	int got = 0;

	/* Two connections, as two worker processes have, take turns. */
	assert_int_equal(store_open(f->target, &other, &err), 0);
	for (int i = 0; i < 20; i++) {
		char id[16];

		snprintf(id, sizeof id, "j%02d", i);
		tmpdb_add_job(f->st, id, "default", i % 3, 1000, 1000 + i);
	}
	for (int turn = 0;; turn++) {
		struct store *st = turn % 2 ? other : f->st;
		struct job job;
		int rc = claim(st, turn % 2 ? "w2" : "w1", 10000, 40000, NULL, 0, &job);

		if (rc == 0)
			break;
		assert_int_equal(rc, 1);
		assert_true(got < 20);
		for (int k = 0; k < got; k++)
			assert_string_not_equal(ids[k], job.id);
		snprintf(ids[got++], sizeof ids[0], "%s", job.id);
		job_release(&job);
	}
	assert_int_equal(got, 20);
	claim_expect(other, "w2", 10000, NULL, 0, NULL);
	claim_expect(f->st, "w1", 10000, NULL, 0, NULL);
	assert_counts(f->st, 0, 20, 0, 0, 0);
	assert_list(f->st, JOB_PROCESSING, "default", 0,
		    "j00,j01,j02,j03,j04,j05,j06,j07,j08,j09,j10,j11,j12,j13,j14,j15,j16,j17,j18,j19");
	store_close(other);
}

static void test_renew(void **state)
{
	struct tmpdb_store *f = *state;
	struct error err = { 0 };
	struct job job;

	tmpdb_add_job(f->st, "j1", "default", 0, 1000, 1000);
	tmpdb_add_job(f->st, "j2", "default", 0, 1000, 2000);
	tmpdb_add_job(f->st, "j3", "default", 0, 1000, 3000);
	claim_expect(f->st, "w1", 10000, NULL, 0, "j1");
	claim_expect(f->st, "w1", 10000, NULL, 0, "j2");
	claim_expect(f->st, "w2", 10000, NULL, 0, "j3");

	assert_int_equal(store_renew(f->st, "w1", 99000, &err), 2);
	get_job(f->st, "j1", &job);
	assert_int_equal(job.lease_until, 99000);
	job_release(&job);
	get_job(f->st, "j2", &job);
	assert_int_equal(job.lease_until, 99000);
	job_release(&job);
	get_job(f->st, "j3", &job);
	assert_int_equal(job.lease_until, 40000);
	job_release(&job);
	assert_int_equal(store_renew(f->st, "nobody", 99000, &err), 0);
}

static void test_release(void **state)
{
	struct tmpdb_store *f = *state;
	struct error err = { 0 };
	struct job job;

	tmpdb_add_job(f->st, "j1", "default", 0, 1000, 1000);
	tmpdb_add_job(f->st, "j2", "default", 0, 1000, 2000);
	tmpdb_add_job(f->st, "j3", "default", 0, 1000, 3000);
	claim_expect(f->st, "w1", 10000, NULL, 0, "j1");
	claim_expect(f->st, "w1", 10000, NULL, 0, "j2");
	claim_expect(f->st, "w2", 10000, NULL, 0, "j3");

	/* One job. */
	assert_int_equal(store_release(f->st, "w1", "j2", &err), 1);
	get_job(f->st, "j2", &job);
	assert_int_equal(job.state, JOB_PENDING);
	assert_null(job.worker_id);
	assert_int_equal(job.lease_until, 0);
	assert_int_equal(job.attempts, 0); /* the attempt does not count */
	assert_int_equal(job.runs, 1);	   /* but the run happened */
	job_release(&job);
	get_job(f->st, "j1", &job);
	assert_int_equal(job.state, JOB_PROCESSING);
	job_release(&job);

	/* Another worker's job, or a job not processing, is not released. */
	assert_int_equal(store_release(f->st, "w2", "j1", &err), 0);
	assert_int_equal(store_release(f->st, "w1", "j2", &err), 0);
	assert_int_equal(store_release(f->st, "w1", "nope", &err), 0);

	/* All of a worker's jobs. */
	claim_expect(f->st, "w1", 10000, NULL, 0, "j2");
	assert_int_equal(store_release(f->st, "w1", NULL, &err), 2);
	assert_list(f->st, JOB_PENDING, NULL, 0, "j1,j2");
	assert_list(f->st, JOB_PROCESSING, NULL, 0, "j3");
	assert_int_equal(store_release(f->st, "w1", NULL, &err), 0);

	/* A released job is claimed again, with runs counting both starts. */
	assert_int_equal(claim(f->st, "w9", 20000, 50000, NULL, 0, &job), 1);
	assert_string_equal(job.id, "j1");
	assert_int_equal(job.runs, 2);
	job_release(&job);
}

static void test_recover(void **state)
{
	struct tmpdb_store *f = *state;
	struct error err = { 0 };
	struct job job;

	tmpdb_add_job(f->st, "short", "default", 0, 1000, 1000);
	tmpdb_add_job(f->st, "edge", "default", 0, 1000, 2000);
	tmpdb_add_job(f->st, "long", "default", 0, 1000, 3000);
	assert_int_equal(claim(f->st, "w1", 1000, 2000, NULL, 0, &job), 1);
	job_release(&job);
	assert_int_equal(claim(f->st, "w1", 1000, 5000, NULL, 0, &job), 1);
	job_release(&job);
	assert_int_equal(claim(f->st, "w2", 1000, 10000, NULL, 0, &job), 1);
	job_release(&job);

	/* Only leases that ended before now: "edge" ends exactly now and is still held. */
	assert_int_equal(store_recover_leases(f->st, 5000, NULL, &err), 1);
	get_job(f->st, "short", &job);
	assert_int_equal(job.state, JOB_PENDING);
	assert_null(job.worker_id);
	assert_int_equal(job.lease_until, 0);
	assert_int_equal(job.updated_at, 5000);
	assert_int_equal(job.attempts, 0);
	job_release(&job);
	get_job(f->st, "edge", &job);
	assert_int_equal(job.state, JOB_PROCESSING);
	assert_string_equal(job.worker_id, "w1");
	job_release(&job);
	assert_counts(f->st, 1, 2, 0, 0, 0);

	/* Nothing more to do at the same time; a renewed lease is safe later. */
	assert_int_equal(store_recover_leases(f->st, 5000, NULL, &err), 0);
	assert_int_equal(store_renew(f->st, "w2", 60000, &err), 1);
	assert_int_equal(store_recover_leases(f->st, 20000, NULL, &err), 1);
	assert_list(f->st, JOB_PENDING, NULL, 0, "short,edge");
	assert_list(f->st, JOB_PROCESSING, NULL, 0, "long");
}

static int collect_worker(void *ctx, const struct worker_info *w)
{
	struct buf *b = ctx;

	buf_addf(b, "%s%s", b->len ? "," : "", w->id);
	return 0;
}

static void assert_workers(struct store *st, const char *want)
{
	struct error err = { 0 };
	struct buf b = BUF_INIT;

	assert_int_equal(store_worker_list(st, collect_worker, &b, &err), 0);
	assert_string_equal(b.data ? b.data : "", want);
	buf_release(&b);
}

static void add_worker(struct store *st, const char *id, const char *queues, int64_t started,
		       int64_t beat)
{
	struct worker_info w = {
		.id = (char *)id,
		.host = (char *)"host1",
		.machine = queues ? NULL : (char *)"m-1",
		.pid = 4242,
		.pid_start = 987654321,
		.slots = 4,
		.busy = 1, /* ignored: busy is counted from the jobs table */
		.queues = (char *)queues,
		.started_at = started,
		.heartbeat_at = beat,
		.stale_at = beat + 2000,
	};
	struct error err = { 0 };

	assert_int_equal(store_worker_add(st, &w, &err), 0);
}

static void test_prune_workers(void **state)
{
	struct tmpdb_store *f = *state;
	struct error err = { 0 };
	struct job job;

	/* Stale at 3000, 5000 and 7000: each row by the stale_at its worker wrote. */
	add_worker(f->st, "stale", NULL, 500, 1000);
	add_worker(f->st, "edge", NULL, 600, 3000);
	add_worker(f->st, "fresh", NULL, 700, 5000);
	/* Strictly before: "edge" went stale exactly then and stays.  Jobs are not touched. */
	tmpdb_add_job(f->st, "j1", "default", 0, 100, 100);
	claim_expect(f->st, "stale", 200, NULL, 0, "j1");
	assert_int_equal(store_prune_workers(f->st, 5000, &err), 1);
	assert_workers(f->st, "edge,fresh");
	get_job(f->st, "j1", &job);
	assert_int_equal(job.state, JOB_PROCESSING);
	job_release(&job);
	assert_int_equal(store_prune_workers(f->st, 5000, &err), 0);
	/* A beat moves the row's own deadline: a worker with a long lease outlives the rest. */
	assert_int_equal(store_worker_beat(f->st, "edge", 5500, 100000, &err), 1);
	assert_int_equal(store_prune_workers(f->st, 50000, &err), 1);
	assert_workers(f->st, "edge");
	assert_int_equal(store_prune_workers(f->st, 100001, &err), 1);
	assert_workers(f->st, "");
}

static void test_next_due(void **state)
{
	struct tmpdb_store *f = *state;
	static const char *const qa[] = { "a" };
	static const char *const qc[] = { "c" };
	struct claim_req any = { .worker_id = "w1" };
	struct claim_req only_a = { .worker_id = "w1", .queues = qa, .nqueues = 1 };
	struct claim_req only_c = { .worker_id = "w1", .queues = qc, .nqueues = 1 };
	struct error err = { 0 };
	int64_t when = -1;
	struct job job;

	assert_int_equal(store_next_due(f->st, &any, &when, &err), 0);
	assert_int_equal(when, -1);

	tmpdb_add_job(f->st, "pa", "a", 0, 5000, 1000);
	tmpdb_add_job(f->st, "fb", "b", 0, 1000, 2000);
	tmpdb_add_job(f->st, "pc", "c", 0, 1000, 3000);
	/* fb becomes failed with run_at 3000; pc becomes processing and does not count. */
	move(f->st, "fb", JOB_PENDING, JOB_PROCESSING, "w1", 2000);
	get_job(f->st, "fb", &job);
	free(job.worker_id);
	job.worker_id = NULL;
	job.state = JOB_FAILED;
	job.run_at = 3000;
	assert_int_equal(store_update(f->st, &job, JOB_PROCESSING, NULL, &err), 1);
	job_release(&job);
	move(f->st, "pc", JOB_PENDING, JOB_PROCESSING, "w1", 2000);

	assert_int_equal(store_next_due(f->st, &any, &when, &err), 1);
	assert_int_equal(when, 3000);
	assert_int_equal(store_next_due(f->st, &only_a, &when, &err), 1);
	assert_int_equal(when, 5000);
	when = -1;
	assert_int_equal(store_next_due(f->st, &only_c, &when, &err), 0);
	assert_int_equal(when, -1);
}

/* --- attempts and workers --- */


static void test_attempts(void **state)
{
	struct tmpdb_store *f = *state;
	struct attempt a2 = { .job_id = (char *)"j1", .run = 2, .attempt = 2, .started_at = 3000,
			      .finished_at = 4000, .outcome = (char *)"dead",
			      .error = (char *)"exit status 1", .exit_code = 1,
			      .has_exit_code = true, .worker_id = (char *)"w1",
			      .machine = (char *)"m-1", .log_path = (char *)"/logs/j1/2.log" };
	struct attempt a1 = { .job_id = (char *)"j1", .run = 1, .attempt = 1, .started_at = 1000,
			      .finished_at = 2000, .outcome = (char *)"failed",
			      .error = (char *)"killed by signal 9" };
	struct attempt k1 = { .job_id = (char *)"k", .run = 1, .attempt = 1, .started_at = 5,
			      .finished_at = 6, .outcome = (char *)"completed", .exit_code = 0,
			      .has_exit_code = true };
	struct error err = { 0 };

	tmpdb_add_job(f->st, "j1", "default", 0, 1000, 1000);
	tmpdb_add_job(f->st, "k", "default", 0, 1000, 1000);
	assert_attempts(f->st, "j1", "");
	assert_int_equal(store_attempt_add(f->st, &a2, &err), 0);
	assert_int_equal(store_attempt_add(f->st, &a1, &err), 0);
	assert_int_equal(store_attempt_add(f->st, &k1, &err), 0);
	/* Oldest first, and only the job's own. */
	assert_attempts(f->st, "j1",
			"j1:1:1:1000-2000:failed:killed by signal 9:-:-:-:-,"
			"j1:2:2:3000-4000:dead:exit status 1:x:w1:m-1:/logs/j1/2.log=1");
	assert_attempts(f->st, "k", "k:1:1:5-6:completed:-:x:-:-:-=0");
	assert_attempts(f->st, "nope", "");
	/* One record per run: writing a run again replaces it. */
	a1.outcome = (char *)"pending";
	a1.error = NULL;
	assert_int_equal(store_attempt_add(f->st, &a1, &err), 0);
	assert_attempts(f->st, "j1",
			"j1:1:1:1000-2000:pending:-:-:-:-:-,"
			"j1:2:2:3000-4000:dead:exit status 1:x:w1:m-1:/logs/j1/2.log=1");
}

static int check_worker_fields(void *ctx, const struct worker_info *w)
{
	int *n = ctx;

	if (!strcmp(w->id, "w-all")) {
		assert_string_equal(w->host, "host1");
		assert_string_equal(w->machine, "m-1");
		assert_int_equal(w->pid, 4242);
		assert_int_equal(w->pid_start, 987654321);
		assert_int_equal(w->slots, 4);
		assert_int_equal(w->busy, 2);
		assert_null(w->queues);
		assert_int_equal(w->started_at, 2000);
		assert_int_equal(w->heartbeat_at, 7000);
	} else {
		assert_string_equal(w->id, "w-some");
		assert_string_equal(w->queues, "a,b");
		assert_null(w->machine);
		assert_int_equal(w->busy, 0);
		assert_int_equal(w->heartbeat_at, 1500);
	}
	++*n;
	return 0;
}

static void test_workers(void **state)
{
	struct tmpdb_store *f = *state;
	struct error err = { 0 };
	int n = 0;

	assert_workers(f->st, "");
	add_worker(f->st, "w-all", NULL, 2000, 2000);
	add_worker(f->st, "w-some", "a,b", 1000, 1500);
	/* Listed by start time. */
	assert_workers(f->st, "w-some,w-all");
	/* busy counts the jobs a worker holds: two for w-all, none for w-some. */
	for (int i = 0; i < 3; i++) {
		char id[8];

		snprintf(id, sizeof id, "b%d", i);
		tmpdb_add_job(f->st, id, "default", 0, 100, 100 + i);
	}
	claim_expect(f->st, "w-all", 200, NULL, 0, "b0");
	claim_expect(f->st, "w-all", 200, NULL, 0, "b1");
	assert_true(store_worker_beat(f->st, "w-all", 7000, 9000, &err) >= 0);
	assert_int_equal(store_worker_list(f->st, check_worker_fields, &n, &err), 0);
	assert_int_equal(n, 2);
	/* A beat for a worker that is not registered changes nothing. */
	assert_true(store_worker_beat(f->st, "ghost", 8000, 10000, &err) >= 0);
	assert_workers(f->st, "w-some,w-all");

	assert_int_equal(store_worker_remove(f->st, "w-some", &err), 0);
	assert_workers(f->st, "w-all");
	assert_int_equal(store_worker_remove(f->st, "ghost", &err), 0);
	/* Registering again under the same id replaces the row. */
	add_worker(f->st, "w-all", "c", 500, 500);
	assert_workers(f->st, "w-all");
	assert_int_equal(store_worker_remove(f->st, "w-all", &err), 0);
	assert_workers(f->st, "");
}

/*
 * A stop request ('worker stop') is a mark on one worker's row: read back by that worker
 * alone, kept through its heartbeats, gone with its row, cleared by registering again, and
 * written or not with the transaction around it.
 */
static void test_worker_stop(void **state)
{
	struct tmpdb_store *f = *state;
	struct error err = { 0 };

	add_worker(f->st, "w1", NULL, 1000, 1000);
	add_worker(f->st, "w2", NULL, 1000, 1000);
	assert_int_equal(store_worker_stop_requested(f->st, "w1", &err), 0);
	assert_int_equal(store_worker_stop(f->st, "w1", &err), 1);
	assert_int_equal(store_worker_stop_requested(f->st, "w1", &err), 1);
	assert_int_equal(store_worker_stop_requested(f->st, "w2", &err), 0);
	/* Nobody to ask: nothing written, and nothing to read. */
	assert_int_equal(store_worker_stop(f->st, "ghost", &err), 0);
	assert_int_equal(store_worker_stop_requested(f->st, "ghost", &err), 0);
	assert_workers(f->st, "w1,w2");
	/* Asked again: still one row, still asked; a heartbeat keeps the mark. */
	assert_int_equal(store_worker_stop(f->st, "w1", &err), 1);
	assert_int_equal(store_worker_beat(f->st, "w1", 2000, 4000, &err), 1);
	assert_int_equal(store_worker_stop_requested(f->st, "w1", &err), 1);
	/* Rolled back: never asked. */
	assert_int_equal(store_begin(f->st, &err), 0);
	assert_int_equal(store_worker_stop(f->st, "w2", &err), 1);
	store_rollback(f->st);
	assert_int_equal(store_worker_stop_requested(f->st, "w2", &err), 0);
	/* Registering again under the same id is a new worker, not asked. */
	assert_int_equal(store_worker_stop(f->st, "w2", &err), 1);
	add_worker(f->st, "w2", NULL, 3000, 3000);
	assert_int_equal(store_worker_stop_requested(f->st, "w2", &err), 0);
	/* The mark goes with the row. */
	assert_int_equal(store_worker_remove(f->st, "w1", &err), 0);
	assert_int_equal(store_worker_stop_requested(f->st, "w1", &err), 0);
	add_worker(f->st, "w1", NULL, 4000, 4000);
	assert_int_equal(store_worker_stop_requested(f->st, "w1", &err), 0);
}

/* A listing resumes after a job's seq: the next page, whatever was deleted before it. */
static void test_list_after(void **state)
{
	struct tmpdb_store *f = *state;
	struct error err = { 0 };
	struct job job;
	long long seq_a, seq_b;

	tmpdb_add_job(f->st, "a", "q1", 0, 1000, 1000);
	tmpdb_add_job(f->st, "b", "q2", 0, 1000, 1000);
	tmpdb_add_job(f->st, "c", "q1", 0, 1000, 1000);
	get_job(f->st, "a", &job);
	seq_a = job.seq;
	job_release(&job);
	get_job(f->st, "b", &job);
	seq_b = job.seq;
	job_release(&job);
	assert_true(seq_a > 0 && seq_b > seq_a);
	assert_int_equal(store_remove(f->st, "a", &err), 0);
	{
		struct job_filter after_a = { .state = -1, .after = seq_a };
		struct job_filter after_b_q1 = { .state = JOB_PENDING, .queue = "q1", .after = seq_b };
		struct buf b = BUF_INIT;

		assert_int_equal(store_list(f->st, &after_a, collect_job, &b, &err), 0);
		assert_string_equal(b.data, "b,c");
		buf_release(&b);
		assert_int_equal(store_list(f->st, &after_b_q1, collect_job, &b, &err), 0);
		assert_string_equal(b.data, "c");
		buf_release(&b);
	}
}

struct figures {
	struct buf b;
};

static int collect_summary(void *ctx, const struct queue_summary *qs)
{
	buf_addf(ctx, "%s:%lld/%lld/%lld/%lld/%lld/%lld;", qs->name, qs->counts[JOB_PENDING],
		 qs->counts[JOB_PROCESSING], qs->counts[JOB_COMPLETED], qs->counts[JOB_FAILED],
		 qs->counts[JOB_DEAD], (long long)qs->oldest_due_ms);
	return 0;
}

/* Plain counters and the non-empty histogram buckets. */
static int collect_counter(void *ctx, const struct counter *c)
{
	if (c->le == COUNTER_PLAIN)
		buf_addf(ctx, "%s.%s=%lld;", c->queue, c->name, c->n);
	else if (c->n)
		buf_addf(ctx, "%s.%s[%lld]=%lld+%lld;", c->queue, c->name,
			 c->le == COUNTER_INF ? -1LL : (long long)c->le, c->n, c->sum_ms);
	return 0;
}

static int collect_finished(void *ctx, const struct finished *fin)
{
	buf_addf(ctx, "%s:%s:%lld;", fin->queue, fin->outcome,
		 (long long)(fin->finished_at - fin->started_at));
	return 0;
}

static void assert_figures(struct store *st, int64_t now, const char *summaries,
			   const char *counters)
{
	struct error err = { 0 };
	struct buf b = BUF_INIT;

	assert_int_equal(store_summaries(st, now, collect_summary, &b, &err), 0);
	assert_string_equal(b.data ? b.data : "", summaries);
	buf_release(&b);
	assert_int_equal(store_counters(st, collect_counter, &b, &err), 0);
	assert_string_equal(b.data ? b.data : "", counters);
	buf_release(&b);
}

static void finish_attempt(struct store *st, const char *id, enum job_state to,
			   int64_t started, int64_t finished)
{
	struct error err = { 0 };
	struct attempt a = { .job_id = (char *)id, .run = 1, .attempt = 1,
			     .started_at = started, .finished_at = finished,
			     .outcome = (char *)job_state_name(to) };

	move(st, id, JOB_PROCESSING, to, NULL, finished);
	assert_int_equal(store_attempt_add(st, &a, &err), 0);
}

/*
 * The figures of metrics: counts by queue, the oldest due job's age, counters and
 * histograms that a purge does not take back, and the attempts ended since a time.
 */
static void test_figures(void **state)
{
	struct tmpdb_store *f = *state;
	const char *q2[] = { "q2" };
	struct error err = { 0 };
	struct buf b = BUF_INIT;
	struct job job;

	assert_figures(f->st, 2000, "", "");
	tmpdb_add_job(f->st, "j1", "q1", 0, 1000, 1000);
	tmpdb_add_job(f->st, "j2", "q1", 0, 3000, 1000);
	tmpdb_add_job(f->st, "j3", "q2", 0, 500, 1000);
	tmpdb_add_job(f->st, "j4", "q2", 0, 500, 1000);
	assert_figures(f->st, 2000, "q1:2/0/0/0/0/1000;q2:2/0/0/0/0/1500;",
		       "q1.enqueued=2;q2.enqueued=2;");
	/* Nothing due in q1 before 1000. */
	assert_figures(f->st, 900, "q1:2/0/0/0/0/-1;q2:2/0/0/0/0/400;",
		       "q1.enqueued=2;q2.enqueued=2;");

	/* Claimed 2000 ms after its due time, ran 100 ms: completed; the other 5 s, dead. */
	assert_int_equal(claim(f->st, "w1", 2500, 32500, q2, 1, &job), 1);
	assert_string_equal(job.id, "j3");
	job_release(&job);
	finish_attempt(f->st, "j3", JOB_COMPLETED, 2500, 2600);
	assert_int_equal(claim(f->st, "w1", 2500, 32500, q2, 1, &job), 1);
	job_release(&job);
	finish_attempt(f->st, "j4", JOB_DEAD, 2500, 7500);
	assert_figures(f->st, 8000, "q1:2/0/0/0/0/7000;q2:0/0/1/0/1/-1;",
		       "q1.enqueued=2;q2.completed=1;q2.dead=1;q2.duration[100]=1+100;"
		       "q2.duration[5000]=1+5000;q2.enqueued=2;q2.failed_attempts=1;"
		       "q2.wait[2500]=2+4000;");

	assert_int_equal(store_finished_since(f->st, 2600, NULL, collect_finished, &b, &err), 0);
	assert_string_equal(b.data, "q2:completed:100;q2:dead:5000;");
	buf_release(&b);
	assert_int_equal(store_finished_since(f->st, 2601, "q2", collect_finished, &b, &err), 0);
	assert_string_equal(b.data, "q2:dead:5000;");
	buf_release(&b);
	assert_int_equal(store_finished_since(f->st, 0, "q1", collect_finished, &b, &err), 0);
	assert_null(b.data);

	/* A purge and a delete take jobs away, not what was counted. */
	assert_int_equal(store_purge(f->st, JOB_COMPLETED, 9000, NULL, NULL, &err), 1);
	assert_int_equal(store_purge(f->st, JOB_DEAD, 9000, NULL, NULL, &err), 1);
	assert_int_equal(store_remove(f->st, "j1", &err), 0);
	assert_figures(f->st, 8000, "q1:1/0/0/0/0/5000;q2:0/0/0/0/0/-1;",
		       "q1.enqueued=2;q2.completed=1;q2.dead=1;q2.duration[100]=1+100;"
		       "q2.duration[5000]=1+5000;q2.enqueued=2;q2.failed_attempts=1;"
		       "q2.wait[2500]=2+4000;");
}

#define T(name) cmocka_unit_test_setup_teardown(name, store_setup, store_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_reopen),
		T(test_list_after),
		T(test_figures),
		T(test_clock),
		T(test_insert_get),
		T(test_insert_duplicate),
		T(test_backoff_base_kept),
		T(test_resolve),
		T(test_list),
		T(test_list_prefix_and_command),
		T(test_counts_follow_changes),
		T(test_update_writes_fields),
		T(test_update_guard),
		T(test_remove),
		T(test_purge),
		T(test_config_rows),
		T(test_transactions),
		T(test_claim_fields),
		T(test_claim_order),
		T(test_claim_due),
		T(test_claim_queues),
		T(test_claim_never_twice),
		T(test_renew),
		T(test_release),
		T(test_recover),
		T(test_prune_workers),
		T(test_next_due),
		T(test_attempts),
		T(test_workers),
		T(test_worker_stop),
		T(test_update_fenced_on_run),
		/* Last: under UBSan a bug here aborts the program (see the test). */
		T(test_empty_output),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
