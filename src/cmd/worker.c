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
	dir = xstrdup(store_files_dir(ctx->q.store));
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
static int start_run(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "count", required_argument, NULL, 'c' },
		{ "queue", required_argument, NULL, 'q' },
		{ "detach", no_argument, NULL, 'd' },
		{ "until-idle", no_argument, NULL, 'I' },
		{ "max-jobs", required_argument, NULL, 'M' },
		{ "for", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct worker_opts wo = { .slots = 1, .ready_fd = -1, .grace_ms = 10000 };
	struct buf qtext = BUF_INIT;
	char **queues = NULL;
	bool detached = false, parent = false;
	long long n;
	int64_t secs;
	int c, rc = 0, nq = 0;

	while ((c = cmd_getopt(ctx, &cmd_worker_start, argc, argv, "c:q:d", opts, &rc)) != -1) {
		switch (c) {
		case CMD_EXIT:
			goto out;
		case 'c':
			if ((rc = parse_int(optarg, 1, 256, "--count", &n, &ctx->err)))
				goto out;
			wo.slots = (int)n;
			break;
		case 'q': {
			char *copy = xstrdup(optarg), *save = NULL;

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
			if (!nq) {
				rc = error_set(&ctx->err, QE_INPUT, "--queue needs a queue name");
				goto out;
			}
			break;
		}
		case 'd':
			detached = true;
			break;
		case 'I':
			wo.until_idle = true;
			break;
		case 'M':
			if ((rc = parse_int(optarg, 1, 1000000000, "--max-jobs", &n, &ctx->err)))
				goto out;
			wo.max_jobs = (long)n;
			break;
		case 'F':
			if ((rc = duration_parse(optarg, &secs, &ctx->err))) {
				error_prefix(&ctx->err, "--for: ");
				goto out;
			}
			if (secs < 1) {
				rc = error_set(&ctx->err, QE_INPUT, "invalid --for '%.64s': must be at "
					       "least 1s", optarg);
				goto out;
			}
			wo.for_ms = secs * 1000;
			break;
		}
	}
	if (optind < argc) {
		rc = cmd_usage_error(ctx, &cmd_worker_start, "unexpected argument '%.64s'",
				     argv[optind]);
		goto out;
	}
	wo.queues = (const char *const *)queues;
	wo.nqueues = nq;
	wo.queues_text = qtext.data;
	if (detached && ((rc = detach(ctx, &wo.ready_fd, &parent)) || parent))
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

/* worker stop [--timeout DURATION] */
static int stop_run(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int64_t timeout = -1;
	int c, rc = 0, stopped, signalled;

	while ((c = cmd_getopt(ctx, &cmd_worker_stop, argc, argv, "t:", opts, &rc)) != -1) {
		if (c == CMD_EXIT)
			return rc;
		if (duration_parse(optarg, &timeout, &ctx->err))
			return ctx->err.code;
	}
	if (optind < argc)
		return cmd_usage_error(ctx, &cmd_worker_stop, "unexpected argument '%.64s'",
				       argv[optind]);
	if (!cmd_queue(ctx))
		return ctx->err.code;
	rc = worker_stop_all(&ctx->q, timeout < 0 ? -1 : timeout * 1000, &stopped, &signalled,
			     &ctx->err);
	if (rc == 0)
		printf("stopped %d worker%s\n", stopped, stopped == 1 ? "" : "s");
	return rc;
}

const struct cmd_entry cmd_worker_start = {
	.name = "start",
	.parent = "worker",
	.usage = "[--count N] [--queue NAME[,NAME...]] [--detach] [--until-idle] [--max-jobs N] "
		 "[--for DURATION]",
	.summary = "run jobs until stopped (Ctrl+C or 'worker stop' finish the running jobs)",
	.help = "  --count N     run up to N jobs at once (default 1)\n"
		"  --queue NAMES only take jobs from these queues (repeat or separate with commas)\n"
		"  --detach      run in the background, log to a file in the data directory, print\n"
		"                the worker's pid\n"
		"  --until-idle  stop once no job runs and none is due now: jobs delayed into the\n"
		"                future (--run-at, --delay, a retry's backoff) wait for the next\n"
		"                worker\n"
		"  --max-jobs N  stop after starting N jobs\n"
		"  --for DURATION\n"
		"                stop once DURATION has passed since the start\n"
		"These three stop the worker as a first SIGTERM does: the running jobs finish,\n"
		"then it exits 0.\n"
		"A first SIGINT/SIGTERM lets the running jobs finish; a second stops them and\n"
		"returns them to pending without counting the attempt.\n",
	.run = start_run,
};

const struct cmd_entry cmd_worker_stop = {
	.name = "stop",
	.parent = "worker",
	.usage = "[--timeout DURATION]",
	.summary = "stop every worker of this queue gracefully and wait for them to exit",
	.help = "  --timeout DURATION  give up waiting after this long (exit 1); default: wait\n"
		"Workers are found in the store's worker table and sent SIGTERM, so they let\n"
		"their running jobs finish first.\n",
	.run = stop_run,
};

const struct cmd_entry cmd_worker = {
	.name = "worker",
	.usage = "start | stop",
	.summary = "run and stop worker processes",
	.sub = (const struct cmd_entry *const[]){ &cmd_worker_start, &cmd_worker_stop, NULL },
};
