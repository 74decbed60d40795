/*
 * worker.c (command) - start workers in the foreground or detached, and stop them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../cmd.h"
#include "../util.h"
#include "../worker.h"

extern const struct cmd_entry cmd_worker, cmd_worker_start, cmd_worker_stop;

/*
 * --detach: fork before the store is opened in the child (an SQLite connection must not
 * cross a fork), start a session of its own, send its output to a log file, and wait for
 * it to say it is serving, so that the pid printed names a worker that 'worker stop' and
 * 'status' can already see.
 */
static int detach(struct cmd_ctx *ctx, int *ready_fd, bool *parent)
{
	char *dir, *log;
	int pfd[2], fd, rc;
	pid_t pid;
	char c;

	if (!cmd_queue(ctx))
		return ctx->err.code;
	dir = xstrdup(queue_logs(&ctx->q));
	queue_close(&ctx->q);
	ctx->opened = false;
	if ((rc = mkdir_p(dir, 0700, &ctx->err))) {
		free(dir);
		return rc;
	}
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		free(dir);
		return error_set(&ctx->err, QE_FAIL, "pipe: %s", strerror(errno));
	}
	fflush(stdout);
	if ((pid = fork()) < 0) {
		free(dir);
		return error_set(&ctx->err, QE_FAIL, "fork: %s", strerror(errno));
	}
	if (pid > 0) {
		*parent = true;
		close(pfd[1]);
		log = xasprintf("%s/worker-%d.log", dir, (int)pid);
		free(dir);
		if (read(pfd[0], &c, 1) != 1) {
			close(pfd[0]);
			rc = error_set(&ctx->err, QE_FAIL, "the worker did not start: see '%s'", log);
			free(log);
			return rc;
		}
		close(pfd[0]);
		printf("%d\n", (int)pid);
		fprintf(stderr, "worker %d started; its log is %s\n", (int)pid, log);
		free(log);
		return 0;
	}
	close(pfd[0]);
	setsid();
	log = xasprintf("%s/worker-%d.log", dir, (int)getpid());
	free(dir);
	fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	free(log);
	if (fd < 0)
		_exit(EXIT_FAIL);
	dup2(fd, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	close(fd);
	if ((fd = open("/dev/null", O_RDONLY)) >= 0) {
		dup2(fd, STDIN_FILENO);
		close(fd);
	}
	*ready_fd = pfd[1];
	return 0;
}

/*
 * worker start [--count N] [--queue Q[,Q...]]... [--detach]
 *              [--until-idle] [--max-jobs N] [--for DURATION]
 */
static int start_run(struct cmd_ctx *ctx, const struct args *a)
{
	struct worker_opts wo = { .slots = 1, .ready_fd = -1, .grace_ms = 10000 };
	const char *const *given = args_values(a, "queue");
	struct buf qtext = BUF_INIT;
	char **queues = NULL;
	bool parent = false;
	const char *v;
	long long n;
	int64_t secs;
	int rc = 0, nq = 0;

	if ((v = args_get(a, "count"))) {
		if ((rc = parse_int(v, 1, 256, "--count", &n, &ctx->err)))
			goto out;
		wo.slots = (int)n;
	}
	wo.until_idle = args_has(a, "until-idle");
	if ((v = args_get(a, "max-jobs"))) {
		if ((rc = parse_int(v, 1, 1000000000, "--max-jobs", &n, &ctx->err)))
			goto out;
		wo.max_jobs = (long)n;
	}
	if ((v = args_get(a, "for"))) {
		if ((rc = duration_parse(v, &secs, &ctx->err))) {
			error_prefix(&ctx->err, "--for: ");
			goto out;
		}
		if (secs < 1) {
			rc = error_set(&ctx->err, QE_INPUT, "invalid --for '%.64s': must be at least 1s",
				       v);
			goto out;
		}
		wo.for_ms = secs * 1000;
	}
	for (; *given; given++) {
		char *copy = xstrdup(*given), *save = NULL;
		int before = nq;

		for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
			if (!id_valid(t) || strlen(t) > JOB_QUEUE_MAX) {
				rc = error_set(&ctx->err, QE_INPUT, "invalid queue name '%.64s'", t);
				free(copy);
				goto out;
			}
			queues = xrealloc(queues, (size_t)(nq + 1) * sizeof *queues);
			queues[nq++] = xstrdup(t);
			buf_addf(&qtext, "%s%s", qtext.len ? "," : "", t);
		}
		free(copy);
		if (nq == before) {
			rc = error_set(&ctx->err, QE_INPUT, "--queue needs a queue name");
			goto out;
		}
	}
	wo.queues = (const char *const *)queues;
	wo.nqueues = nq;
	wo.queues_text = qtext.data;
	if (args_has(a, "detach") && ((rc = detach(ctx, &wo.ready_fd, &parent)) || parent))
		goto out;
	if (!cmd_queue(ctx)) {
		rc = ctx->err.code;
		goto out;
	}
	rc = worker_run(&ctx->q, &wo, &ctx->err);
out:
	for (int i = 0; i < nq; i++)
		free(queues[i]);
	free(queues);
	buf_release(&qtext);
	return rc;
}

/* worker stop [--host HOST] [--id ID] [--timeout DURATION] */
static int stop_run(struct cmd_ctx *ctx, const struct args *a)
{
	const char *host = args_get(a, "host"), *id = args_get(a, "id"), *v;
	int64_t timeout = -1;
	int rc, stopped, asked;

	if ((v = args_get(a, "timeout")) && duration_parse(v, &timeout, &ctx->err))
		return ctx->err.code;
	if (host && !*host)
		return error_set(&ctx->err, QE_INPUT, "--host needs a hostname");
	if (id && !*id)
		return error_set(&ctx->err, QE_INPUT, "--id needs a worker id");
	if (!cmd_queue(ctx))
		return ctx->err.code;
	rc = worker_stop(&ctx->q, host, id, timeout < 0 ? -1 : timeout * 1000, &stopped, &asked,
			 &ctx->err);
	/* Those stopped are told even when others are still running: both are true. */
	if (rc == 0 || stopped > 0)
		printf("stopped %d worker%s\n", stopped, stopped == 1 ? "" : "s");
	return rc;
}

const struct cmd_entry cmd_worker_start = {
	.name = "start",
	.parent = "worker",
	.usage = "[--count N] [--queue NAME[,NAME...]] [--detach] [--until-idle] [--max-jobs N] "
		 "[--for DURATION]",
	.summary = "run jobs until stopped (Ctrl+C or 'worker stop' finish the running jobs)",
	.args = { .options = (const struct args_option[]){
			  { "count", 'c', "N", "run up to N jobs at once (default 1)" },
			  { "queue", 'q', "NAMES",
			    "only take jobs from these queues (repeat or separate with commas)" },
			  { "detach", 'd', NULL,
			    "run in the background, log to a file in the data directory, print "
			    "the worker's pid" },
			  { "until-idle", 0, NULL,
			    "stop once no job runs and none is due now: jobs delayed into the future "
			    "(--run-at, --delay, a retry's backoff) wait for the next worker" },
			  { "max-jobs", 0, "N", "stop after starting N jobs" },
			  { "for", 0, "DURATION", "stop once DURATION has passed since the start" },
			  { 0 } } },
	.help = "--until-idle, --max-jobs and --for stop the worker as a first SIGTERM does: the\n"
		"running jobs finish, then it exits 0.\n"
		"A first SIGINT/SIGTERM lets the running jobs finish; a second stops them and\n"
		"returns them to pending without counting the attempt.\n",
	.run = start_run,
};

const struct cmd_entry cmd_worker_stop = {
	.name = "stop",
	.parent = "worker",
	.usage = "[--host HOST] [--id ID] [--timeout DURATION]",
	.summary = "stop the workers of this queue gracefully, on every machine, and wait for them "
		   "to exit",
	.args = { .options = (const struct args_option[]){
			  { "host", 'H', "HOST",
			    "only the workers on this host (its hostname, as 'status' shows it)" },
			  { "id", 'i', "ID", "only the worker with this id ('status --json' shows it)" },
			  { "timeout", 't', "DURATION",
			    "give up waiting after this long (exit 1); default: wait" },
			  { 0 } } },
	.help = "Each worker is asked through the store, wherever it runs, and lets its running\n"
		"jobs finish first, as after a first SIGTERM.  A worker of this machine has\n"
		"stopped once its process has exited; one elsewhere once it has left the store.\n",
	.run = stop_run,
};

const struct cmd_entry cmd_worker = {
	.name = "worker",
	.usage = "start | stop",
	.summary = "run and stop worker processes",
	.sub = (const struct cmd_entry *const[]){ &cmd_worker_start, &cmd_worker_stop, NULL },
};
