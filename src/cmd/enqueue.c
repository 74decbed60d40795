/*
 * enqueue.c - add jobs: one from a JSON object or a command line, or many from a JSONL file
 * in a single transaction.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../cmd.h"
#include "../util.h"

extern const struct cmd_entry cmd_enqueue;

/* Options given on the command line; they override the same fields of a JSON job. */
struct overrides {
	struct job_spec spec; /* fields set here are copied over each job */
	bool id, max_retries, priority, run_at, delay, timeout, queue;
};

static void apply(struct job_spec *spec, const struct overrides *o)
{
	if (o->id) {
		free(spec->id);
		spec->id = xstrdup(o->spec.id);
	}
	if (o->queue) {
		free(spec->queue);
		spec->queue = xstrdup(o->spec.queue);
	}
	if (o->max_retries)
		spec->max_retries = o->spec.max_retries;
	if (o->priority)
		spec->priority = o->spec.priority;
	if (o->timeout)
		spec->timeout = o->spec.timeout;
	/* run_at and delay are two ways to say one thing: the option replaces both. */
	if (o->run_at || o->delay) {
		spec->run_at = o->spec.run_at;
		spec->has_run_at = o->spec.has_run_at;
		spec->delay = o->spec.delay;
	}
}

/* Store one spec and print its id. */
static int add(struct cmd_ctx *ctx, struct queue *q, struct job_spec *spec)
{
	struct job job;

	if (queue_enqueue(q, spec, &job, &ctx->err))
		return ctx->err.code;
	puts(job.id);
	job_release(&job);
	return 0;
}

/* A JSONL file read as the specs of a batch. */
struct file_specs {
	FILE *f;
	const char *path;
	const struct overrides *o;
	char *line;
	size_t cap;
	long lineno;
	struct buf ids; /* of the stored jobs, one a line */
	bool unstored;	/* the spec of line lineno went to the queue and is not stored yet */
};

/* The next job of the file (queue_enqueue_batch's spec_next_fn). */
static int next_spec(void *arg, struct job_spec *spec, struct error *err)
{
	struct file_specs *fs = arg;
	ssize_t len;

	while ((len = getline(&fs->line, &fs->cap, fs->f)) >= 0) {
		size_t l = (size_t)len;

		fs->lineno++;
		while (l > 0 && (fs->line[l - 1] == '\n' || fs->line[l - 1] == '\r'))
			l--;
		if (strspn(fs->line, " \t") == l) /* blank lines are allowed */
			continue;
		if (job_spec_parse(spec, fs->line, l, err)) {
			/* jansson counts lines within the one line it saw; say the file's line. */
			if (!strncmp(err->msg, "invalid job JSON at line 1, ", 28)) {
				char rest[sizeof err->msg]; /* the message is rewritten in place */

				snprintf(rest, sizeof rest, "%s", err->msg + 28);
				error_set(err, err->code, "invalid job JSON at line %ld, %s",
					  fs->lineno, rest);
			} else {
				error_prefix(err, "line %ld: ", fs->lineno);
			}
			return err->code;
		}
		apply(spec, fs->o);
		fs->unstored = true;
		return 1;
	}
	if (ferror(fs->f))
		return error_set(err, QE_INPUT, "cannot read '%s': %s", fs->path, strerror(errno));
	return 0;
}

static int stored(void *arg, const struct job *job)
{
	struct file_specs *fs = arg;

	buf_add(&fs->ids, job->id, strlen(job->id));
	buf_add(&fs->ids, "\n", 1);
	fs->unstored = false;
	return 0;
}

/*
 * Every line is stored in one batch; the ids are printed only after it succeeded, so that
 * a failure prints nothing and leaves the store as it was.
 */
static int enqueue_file(struct cmd_ctx *ctx, const char *path, const struct overrides *o)
{
	struct file_specs fs = { .f = strcmp(path, "-") ? fopen(path, "re") : stdin,
				 .path = path, .o = o, .ids = BUF_INIT };
	struct queue *q;
	int rc;

	if (!fs.f)
		return error_set(&ctx->err, QE_INPUT, "cannot read '%s': %s", path, strerror(errno));
	if (!(q = cmd_queue(ctx))) {
		rc = ctx->err.code;
	} else if ((rc = queue_enqueue_batch(q, next_spec, &fs, stored, &fs, &ctx->err)) < 0) {
		/* Storing failed (an id taken): the job is the one of the line read last. */
		if (fs.unstored)
			error_prefix(&ctx->err, "line %ld: ", fs.lineno);
	} else if (rc == 0) {
		rc = error_set(&ctx->err, QE_INPUT, "'%s' holds no jobs", path);
	} else {
		fwrite(fs.ids.data, 1, fs.ids.len, stdout);
		rc = 0;
	}
	free(fs.line);
	buf_release(&fs.ids);
	if (fs.f != stdin)
		fclose(fs.f);
	return rc;
}

/*
 * enqueue [options] JSON | COMMAND | [--] WORD...
 * enqueue [options] --file FILE|-
 */
static int enqueue_run(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "id", required_argument, NULL, 'i' },
		{ "max-retries", required_argument, NULL, 'r' },
		{ "priority", required_argument, NULL, 'p' },
		{ "run-at", required_argument, NULL, 'a' },
		{ "delay", required_argument, NULL, 'd' },
		{ "timeout", required_argument, NULL, 't' },
		{ "queue", required_argument, NULL, 'q' },
		{ "file", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct overrides o = { 0 };
	struct job_spec spec;
	const char *file = NULL;
	struct queue *q;
	long long n;
	int c, rc = 0;

	job_spec_init(&o.spec);
	while ((c = cmd_getopt(ctx, &cmd_enqueue, argc, argv, "f:", opts, &rc)) != -1) {
		struct job_spec *s = &o.spec;

		switch (c) {
		case CMD_EXIT:
			goto out;
		case 'i':
			if (!id_valid(optarg)) {
				rc = error_set(&ctx->err, QE_INPUT,
					       "invalid id '%.64s': use 1 to %d letters, digits, '.', "
					       "'_', ':' or '-', not starting with '-' or '.'",
					       optarg, JOB_ID_MAX);
				goto out;
			}
			free(s->id);
			s->id = xstrdup(optarg);
			o.id = true;
			break;
		case 'q':
			if (!id_valid(optarg) || strlen(optarg) > JOB_QUEUE_MAX) {
				rc = error_set(&ctx->err, QE_INPUT, "invalid queue name '%.64s'",
					       optarg);
				goto out;
			}
			free(s->queue);
			s->queue = xstrdup(optarg);
			o.queue = true;
			break;
		case 'r':
			if ((rc = parse_int(optarg, 0, JOB_RETRIES_MAX, "--max-retries", &n,
					    &ctx->err)))
				goto out;
			s->max_retries = (int)n;
			o.max_retries = true;
			break;
		case 'p':
			if ((rc = parse_int(optarg, -JOB_PRIORITY_MAX, JOB_PRIORITY_MAX,
					    "--priority", &n, &ctx->err)))
				goto out;
			s->priority = n;
			o.priority = true;
			break;
		case 'a':
			if ((rc = time_parse(optarg, &s->run_at, &ctx->err)))
				goto out;
			s->has_run_at = true;
			s->delay = -1;
			o.run_at = true;
			break;
		case 'd':
			if ((rc = duration_parse(optarg, &s->delay, &ctx->err)))
				goto out;
			s->run_at = 0;
			s->has_run_at = false;
			o.delay = true;
			break;
		case 't':
			if ((rc = duration_parse(optarg, &s->timeout, &ctx->err)))
				goto out;
			o.timeout = true;
			break;
		case 'f':
			file = optarg;
			break;
		}
	}
	if (o.run_at && o.delay) {
		rc = cmd_usage_error(ctx, &cmd_enqueue, "give --run-at or --delay, not both");
		goto out;
	}
	argc -= optind;
	argv += optind;
	if (file) {
		if (argc > 0)
			rc = cmd_usage_error(ctx, &cmd_enqueue, "--file takes no other job");
		else if (o.id)
			rc = cmd_usage_error(ctx, &cmd_enqueue, "--id cannot apply to a file of jobs");
		else
			rc = enqueue_file(ctx, file, &o);
		goto out;
	}
	if (argc == 0) {
		rc = cmd_usage_error(ctx, &cmd_enqueue, "missing job: give JSON or a command");
		goto out;
	}

	job_spec_init(&spec);
	/* getopt leaves "--" before the words when it stopped there. */
	if (!strcmp(argv[-1], "--") || argv[0][0] != '{') {
		/*
		 * One argument is a shell command as written.  Several are a word list, quoted
		 * so that /bin/sh sees exactly these words: enqueue -- touch 'a b'.
		 */
		struct buf cmd = BUF_INIT;

		if (argc == 1)
			buf_adds(&cmd, argv[0]);
		for (int i = 0; argc > 1 && i < argc; i++) {
			if (i)
				buf_add(&cmd, " ", 1);
			shell_quote(&cmd, argv[i]);
		}
		spec.command = buf_detach(&cmd);
		rc = job_command_check(spec.command, strlen(spec.command), &ctx->err);
	} else if (argc > 1) {
		rc = cmd_usage_error(ctx, &cmd_enqueue, "unexpected '%.64s' after the job JSON",
				     argv[1]);
	} else {
		rc = job_spec_parse(&spec, argv[0], strlen(argv[0]), &ctx->err);
	}
	if (rc == 0) {
		apply(&spec, &o);
		if (!(q = cmd_queue(ctx)))
			rc = ctx->err.code;
		else
			rc = add(ctx, q, &spec);
	}
	job_spec_release(&spec);
out:
	job_spec_release(&o.spec);
	return rc;
}

const struct cmd_entry cmd_enqueue = {
	.name = "enqueue",
	.usage = "[options] JSON | COMMAND | [--] WORD... | --file FILE",
	.summary = "add a job (or a file of jobs) to the queue and print its id",
	.help = "A JSON argument ('{...}') is a job object: {\"command\": \"...\"} plus optional\n"
		"id, queue, priority, max_retries, timeout, run_at, delay.  Any other argument is\n"
		"the shell command itself; several words (or words after --) are quoted so the job\n"
		"runs exactly that argument list.\n\n"
		"  --id ID             the job's id (default: a random 32-digit hex id)\n"
		"  --max-retries N     retries after the first attempt (default: config max-retries)\n"
		"  --priority N        higher runs first (default 0)\n"
		"  --run-at TIME       not before this ISO-8601 time (2025-11-04T10:30:00Z)\n"
		"  --delay DURATION    not before this long from now (90s, 5m, 2h)\n"
		"  --timeout DURATION  stop an attempt after this long (default: config job-timeout)\n"
		"  --queue NAME        the queue to put it on (default 'default')\n"
		"  --file FILE         one JSON job per line ('-' for stdin), all stored or none\n",
	.run = enqueue_run,
};
