/*
 * tmpdb.c - a store for each test: a temporary SQLite file, or QUEUECTL_TEST_DB.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "job.h"
#include "store.h"
#include "tmpdb.h"
#include "util.h"

int tmpdb_make_sqlite(const char *name, char **dir, char **path)
{
	const char *tmp = getenv("TMPDIR");

	*dir = xasprintf("%s/queuectl-%s-XXXXXX", tmp && *tmp ? tmp : "/tmp", name);
	if (!mkdtemp(*dir)) {
		free(*dir);
		return -1;
	}
	*path = xasprintf("%s/q.db", *dir);
	return 0;
}

static int collect_job(void *ctx, const struct job *job)
{
	struct buf *b = ctx;

	buf_addf(b, "%s%c%s%c", job->id, 0, job->worker_id ? job->worker_id : "", 0);
	return 0;
}

static int collect_worker(void *ctx, const struct worker_info *w)
{
	buf_add(ctx, w->id, strlen(w->id) + 1);
	return 0;
}

/* Empty a shared store through the contract: every job, every worker, every setting. */
static int wipe(const char *target)
{
	struct job_filter all = { .state = -1 };
	struct buf jobs = BUF_INIT, workers = BUF_INIT;
	struct error err = { 0 };
	struct store *st;
	int rc;

	if (store_open(target, &st, &err)) {
		fprintf(stderr, "tmpdb: %s\n", err.msg);
		return -1;
	}
	rc = store_list(st, &all, collect_job, &jobs, &err) ||
	     store_worker_list(st, collect_worker, &workers, &err);
	for (size_t off = 0; !rc && off < jobs.len;) {
		const char *id = jobs.data + off, *owner = id + strlen(id) + 1;

		if (*owner)
			rc = store_release(st, owner, id, &err) < 0;
		rc = rc || store_remove(st, id, &err);
		off += strlen(id) + strlen(owner) + 2;
	}
	for (size_t off = 0; !rc && off < workers.len; off += strlen(workers.data + off) + 1)
		rc = store_worker_remove(st, workers.data + off, &err);
	rc = rc || store_config_unset(st, NULL, &err);
	if (rc)
		fprintf(stderr, "tmpdb: cannot empty '%s': %s\n", target, err.msg);
	buf_release(&jobs);
	buf_release(&workers);
	store_close(st);
	return rc ? -1 : 0;
}

int tmpdb_make(const char *name, char **dir, char **target)
{
	const char *env = getenv("QUEUECTL_TEST_DB");
	const char *mark;
	static unsigned serial;

	if (!env || !*env)
		return tmpdb_make_sqlite(name, dir, target);
	*dir = NULL;
	if ((mark = strstr(env, "{}"))) {
		char unique[JOB_ID_GEN_LEN + 1];

		id_generate(unique);
		*target = xasprintf("%.*s%s-%u-%.8s%s", (int)(mark - env), env, name, serial++,
				    unique, mark + 2);
		return 0;
	}
	*target = xstrdup(env);
	if (wipe(*target)) {
		free(*target);
		return -1;
	}
	return 0;
}

void tmpdb_remove(char *dir, char *target)
{
	if (dir)
		remove_tree(dir);
	free(dir);
	free(target);
}

struct tmpdb_store *tmpdb_store_open(const char *name, bool sqlite_only)
{
	struct tmpdb_store *f = xcalloc(1, sizeof *f);
	struct error err = { 0 };
	int rc = sqlite_only ? tmpdb_make_sqlite(name, &f->dir, &f->target)
			     : tmpdb_make(name, &f->dir, &f->target);

	if (rc == 0) {
		if (store_open(f->target, &f->st, &err) == 0)
			return f;
		print_error("store_open: %s\n", err.msg);
		tmpdb_remove(f->dir, f->target);
	}
	free(f);
	return NULL;
}

void tmpdb_store_close(struct tmpdb_store *f)
{
	store_close(f->st);
	tmpdb_remove(f->dir, f->target);
	free(f);
}

void tmpdb_add_job(struct store *st, const char *id, const char *queue, long long priority,
		   int64_t run_at, int64_t created)
{
	struct error err = { 0 };
	struct job job;

	job_init(&job);
	job.id = (char *)id;
	job.command = (char *)"echo hi";
	job.queue = (char *)queue;
	job.state = JOB_PENDING;
	job.priority = priority;
	job.max_retries = 3;
	job.run_at = run_at;
	job.created_at = created;
	job.updated_at = created;
	if (store_insert(st, &job, &err))
		fail_msg("insert '%s': %s", id, err.msg);
}

int tmpdb_dir_setup(void **state)
{
	const char *tmp = getenv("TMPDIR");
	char *dir = xasprintf("%s/queuectl-test-XXXXXX", tmp && *tmp ? tmp : "/tmp");

	if (!mkdtemp(dir)) {
		free(dir);
		return -1;
	}
	*state = dir;
	return 0;
}

int tmpdb_dir_teardown(void **state)
{
	remove_tree(*state);
	free(*state);
	return 0;
}
