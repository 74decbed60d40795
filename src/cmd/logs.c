/*
 * logs.c - print the output of a job's latest attempt, and follow it while it runs.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "../cmd.h"
#include "../host.h"
#include "../logs.h"
#include "../util.h"

extern const struct cmd_entry cmd_logs;

/*
 * Copy what fd, the log at path, has from *off to its end onto stdout.  Returns false, having
 * copied nothing more, once fd is no longer that log: it stayed empty and its worker took it
 * back (logs_same), so what it holds now is another attempt's.
 */
static bool copy_new(int fd, const char *path, off_t *off)
{
	char buf[65536];
	ssize_t n;
	bool same = true;

	while ((n = pread(fd, buf, sizeof buf, *off)) > 0 && (same = logs_same(fd, path))) {
		fwrite(buf, 1, (size_t)n, stdout);
		*off += n;
	}
	fflush(stdout);
	return same;
}

struct elsewhere {
	int run;
	char *worker; /* the worker of that run, when it ran on another machine */
};

static int find_elsewhere(void *ctx, const struct attempt *a)
{
	struct elsewhere *e = ctx;

	if (a->run == e->run && a->machine && !host_same_machine(a->machine) && !e->worker)
		e->worker = xstrdup(a->worker_id ? a->worker_id : "?");
	return 0;
}

/*
 * Say on stderr, before the stored tail stands in for a log this machine lacks, that the
 * run was made on another machine, which has the whole log (a log is kept where its job
 * ran).  Nothing if it ran here: then the log is simply gone (purged, or deleted by hand).
 */
static void say_elsewhere(struct queue *q, const char *id, int run)
{
	struct elsewhere e = { run, NULL };
	struct error err;

	if (queue_attempts(q, id, find_elsewhere, &e, &err) == 0 && e.worker)
		fprintf(stderr,
			"queuectl: run %d of job %s was on another machine, where worker %s left "
			"its whole log; here is its tail, the last %d KiB, from the store\n",
			run, id, e.worker, JOB_OUTPUT_TAIL / 1024);
	free(e.worker);
}

/*
 * Follow: wait for the job's next attempt if it has none running, then print that attempt's
 * log as it grows, until the attempt ends.  inotify says when the log appears in the
 * directory of logs, and then when it grows or is closed; the store says when the attempt
 * is over.  A one-second poll timeout is only the fallback for an attempt that ends without
 * a close (a crashed worker).
 */
static int follow(struct cmd_ctx *ctx, struct queue *q, const char *id, struct job *job)
{
	char *dir = xasprintf("%s/logs", queue_logs(q)), *path = NULL;
	/* A running or finished job: its latest run; one waiting to run: the next. */
	int run = job->state == JOB_PENDING || job->state == JOB_FAILED ? job->runs + 1
									 : job->runs;
	int ino = -1, dir_watch = -1, fd = -1, rc = 0;
	off_t off = 0;

	if ((rc = logs_prepare(queue_logs(q), &ctx->err)))
		goto out;
	ino = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	/* Created by an open, or renamed into place (a worker slot's spare log). */
	if (ino < 0 || (dir_watch = inotify_add_watch(ino, dir, IN_CREATE | IN_MOVED_TO)) < 0) {
		rc = error_set(&ctx->err, QE_FAIL, "cannot watch '%s': %s", dir, strerror(errno));
		goto out;
	}
	path = queue_log_path(q, id, run);
	for (;;) {
		struct pollfd pfd = { ino, POLLIN, 0 };
		char buf[4096];
		bool over;

		/* Once the log is there, its own changes; the directory's are every job's. */
		if (fd < 0 && (fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0 &&
		    inotify_add_watch(ino, path, IN_MODIFY | IN_CLOSE_WRITE) < 0) {
			rc = error_set(&ctx->err, QE_FAIL, "cannot watch '%s': %s", path,
				       strerror(errno));
			goto out;
		}
		if (fd >= 0 && dir_watch >= 0) {
			inotify_rm_watch(ino, dir_watch);
			dir_watch = -1;
		}
		if (fd >= 0 && !copy_new(fd, path, &off)) {
			close(fd); /* an empty log taken back: the attempt is over */
			fd = -1;
		}
		job_release(job);
		if ((rc = queue_get(q, id, job, &ctx->err)))
			goto out;
		/* Over once the job has moved past the run we follow, or can never reach it. */
		over = job->runs > run || (job->runs == run && job->state != JOB_PROCESSING) ||
		       job->state == JOB_COMPLETED || job->state == JOB_DEAD;
		if (over) {
			if (fd < 0)
				fd = open(path, O_RDONLY | O_CLOEXEC);
			if (fd >= 0) {
				copy_new(fd, path, &off);
			} else if (job->runs == run && job->output) {
				say_elsewhere(q, id, run);
				fwrite(job->output, 1, job->output_len, stdout);
			}
			break;
		}
		if (poll(&pfd, 1, 1000) > 0)
			while (read(ino, buf, sizeof buf) > 0)
				;
	}
out:
	if (fd >= 0)
		close(fd);
	if (ino >= 0)
		close(ino);
	free(path);
	free(dir);
	return rc;
}

/* logs ID [--follow] */
static int logs_run(struct cmd_ctx *ctx, const struct args *a)
{
	struct queue *q;
	struct job job;
	char *id = NULL, *path;
	int fd, rc = 0;

	if (cmd_resolve(ctx, a->argv[0], &id))
		return ctx->err.code;
	q = cmd_queue(ctx);
	if (queue_get(q, id, &job, &ctx->err)) {
		free(id);
		return ctx->err.code;
	}
	if (args_has(a, "follow")) {
		rc = follow(ctx, q, id, &job);
	} else if (job.runs == 0) {
		fprintf(stderr, "job %s has not run yet\n", id);
	} else {
		/* The log file has the whole output; the store keeps its tail should it be gone. */
		path = queue_log_path(q, id, job.runs);
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0) {
			off_t off = 0;

			copy_new(fd, path, &off);
			close(fd);
		} else if (job.output) {
			fflush(stdout);
			say_elsewhere(q, id, job.runs);
			fwrite(job.output, 1, job.output_len, stdout);
		}
		free(path);
	}
	job_release(&job);
	free(id);
	return rc;
}

const struct cmd_entry cmd_logs = {
	.name = "logs",
	.usage = "ID [--follow]",
	.summary = "print the output (stdout and stderr) of a job's latest attempt",
	.help = "The output is the job's own bytes; 'info --json' has its tail as JSON.\n",
	.args = { .options = (const struct args_option[]){
			  { "follow", 'f', NULL,
			    "keep printing while the attempt runs; a job not running yet is waited "
			    "for, and the command ends when its attempt does" },
			  { 0 } },
		  .min = 1, .max = 1, .what = "job id", .kind = ARGS_JOB },
	.run = logs_run,
};
