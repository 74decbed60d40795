/*
 * wait.c - block until jobs are finished (completed or dead), for scripts that enqueue work
 * and need its outcome: queuectl enqueue ... && queuectl wait.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../cmd.h"
#include "../util.h"
#include "../view.h"

extern const struct cmd_entry cmd_wait;

/*
 * Without a change to see, a check is made this often anyway: the backstop for a change
 * that does not reach this machine's file system.
 */
#define BACKSTOP_MS 5000

/*
 * A commit shows as writes to the database's files, but other processes see it only once
 * SQLite has also updated the log's index in shared memory, which no inotify event reports:
 * a look made between the two misses the change, and no event follows.  So each wake-up is
 * followed by looks this long after it, whether or not anything else is written.
 */
static const int settle_ms[] = { 20, 100, 500 };
#define NSETTLE (int)(sizeof settle_ms / sizeof settle_ms[0])

struct waiting {
	struct buf ids; /* NUL-separated: the jobs not finished yet */
	json_t *done;	/* with --json: the finished jobs, as they finished */
	long total, dead;
	struct buf dead_ids;
};

static int collect_unfinished(void *arg, const struct job *job)
{
	struct waiting *w = arg;

	if (job->state != JOB_COMPLETED && job->state != JOB_DEAD) {
		buf_add(&w->ids, job->id, strlen(job->id) + 1);
		w->total++;
	}
	return 0;
}

/* Look at every job still waited for; keep the unfinished ones. */
static int check(struct cmd_ctx *ctx, struct queue *q, struct waiting *w)
{
	struct buf left = BUF_INIT;
	int rc = 0;

	for (size_t off = 0; off < w->ids.len && rc == 0; off += strlen(w->ids.data + off) + 1) {
		const char *id = w->ids.data + off;
		struct job job;

		if ((rc = queue_get(q, id, &job, &ctx->err))) {
			if (rc == QE_NOTFOUND)
				error_set(&ctx->err, QE_FAIL, "job '%s' was deleted while waited for",
					  id);
			rc = ctx->err.code;
			break;
		}
		if (job.state == JOB_COMPLETED || job.state == JOB_DEAD) {
			if (w->done)
				json_array_append_new(w->done, view_job(&job, false));
			else
				printf("%s %s\n", id, job_state_name(job.state));
			if (job.state == JOB_DEAD) {
				w->dead++;
				buf_addf(&w->dead_ids, "%s'%s'", w->dead > 1 ? ", " : "", id);
			}
		} else {
			buf_add(&left, id, strlen(id) + 1);
		}
		job_release(&job);
	}
	fflush(stdout);
	if (rc == 0) {
		buf_release(&w->ids);
		w->ids = left;
	} else {
		buf_release(&left);
	}
	return rc;
}

/* wait [ID...] [--timeout DURATION] [--json] */
static int wait_run(struct cmd_ctx *ctx, const struct args *a)
{
	struct waiting w = { .ids = BUF_INIT, .dead_ids = BUF_INIT };
	int64_t timeout = -1, deadline = 0;
	const char *v;
	struct queue *q;
	int fd = -1, rc = 0, settle = NSETTLE; /* settle_ms[settle] is the next look */

	if ((v = args_get(a, "timeout")) && duration_parse(v, &timeout, &ctx->err))
		return ctx->err.code;
	if (!(q = cmd_queue(ctx)))
		return ctx->err.code;
	if (args_has(a, "json"))
		w.done = json_array();
	/* Watch before the first look, so that no change between the two is missed. */
	if ((fd = queue_changes_fd(q, &ctx->err)) < 0) {
		rc = ctx->err.code;
		goto out;
	}
	if (a->argc == 0) {
		struct job_filter f = { .state = -1 };

		rc = queue_list(q, &f, collect_unfinished, &w, &ctx->err);
	}
	for (int i = 0; i < a->argc && rc == 0; i++) {
		char *id;

		if ((rc = cmd_resolve(ctx, a->argv[i], &id)))
			break;
		if (!cmd_ids_has(&w.ids, id)) {
			buf_add(&w.ids, id, strlen(id) + 1);
			w.total++;
		}
		free(id);
	}
	if (timeout >= 0)
		deadline = time_mono_ms() + timeout * 1000;
	while (rc == 0 && (rc = check(ctx, q, &w)) == 0 && w.ids.len > 0) {
		int64_t now = time_mono_ms();
		int64_t wait_ms = settle < NSETTLE ? settle_ms[settle] : BACKSTOP_MS;
		struct pollfd pfd = { fd, POLLIN, 0 };
		char buf[4096];

		if (deadline && now >= deadline) {
			char d[TIME_BUFSZ];
			long n = 0;

			for (size_t off = 0; off < w.ids.len; off += strlen(w.ids.data + off) + 1)
				n++;
			rc = error_set(&ctx->err, QE_TIMEOUT,
				       "timed out after %s with %ld of %ld job%s unfinished",
				       duration_format(timeout, d), n, w.total,
				       w.total == 1 ? "" : "s");
			break;
		}
		if (deadline && deadline - now < wait_ms)
			wait_ms = deadline - now;
		if (poll(&pfd, 1, (int)wait_ms) > 0) {
			while (read(fd, buf, sizeof buf) > 0)
				;
			settle = 0;
		} else if (settle < NSETTLE) {
			settle++;
		}
	}
	if (w.done && (rc == 0 || rc == QE_TIMEOUT))
		cmd_print_json(json_incref(w.done));
	if (rc == 0 && w.dead > 0)
		rc = error_set(&ctx->err, QE_FAIL, "%ld of %ld job%s ended dead: %s", w.dead,
			       w.total, w.total == 1 ? "" : "s", w.dead_ids.data);
out:
	if (fd >= 0)
		close(fd);
	json_decref(w.done);
	buf_release(&w.ids);
	buf_release(&w.dead_ids);
	return rc;
}

const struct cmd_entry cmd_wait = {
	.name = "wait",
	.usage = "[ID...] [--timeout DURATION] [--json]",
	.summary = "wait until jobs are completed or dead (default: every unfinished job)",
	.help = "Without ids, waits for every job that is not finished when it starts (jobs\n"
		"enqueued later are not waited for).  Prints \"ID STATE\" as each one finishes.\n"
		"Exit status: 0 if all completed, 1 if any is dead, 3 on timeout.\n",
	.args = { .options = (const struct args_option[]){
			  { "timeout", 't', "DURATION", "give up after this long (exit 3)" },
			  { "json", 0, NULL, "print one JSON array of the finished jobs at the end" },
			  { 0 } },
		  .max = ARGS_MANY, .what = "job id", .kind = ARGS_JOB },
	.run = wait_run,
};
