/*
 * enqueue.c - add jobs: one from a JSON object or a command line, or many from a JSONL file
 * in a single transaction.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../cmd.h"
#include "../config.h"
#include "../util.h"
#include "../view.h"

extern const struct cmd_entry cmd_enqueue;

/* Options given on the command line; they override the same fields of a JSON job. */
struct overrides {
	struct job_spec spec; /* fields set here are copied over each job */
	bool id, max_retries, priority, backoff_base, run_at, delay, timeout, queue;
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
	if (o->backoff_base)
		spec->backoff_base = o->spec.backoff_base;
	if (o->timeout)
		spec->timeout = o->spec.timeout;
	/* run_at and delay are two ways to say one thing: the option replaces both. */
	if (o->run_at || o->delay) {
		spec->run_at = o->spec.run_at;
		spec->has_run_at = o->spec.has_run_at;
		spec->delay = o->spec.delay;
	}
}

/* Store one spec and print its id, or with json the stored job. */
static int add(struct cmd_ctx *ctx, struct queue *q, struct job_spec *spec, bool json)
{
	struct job job;

	if (queue_enqueue(q, spec, &job, &ctx->err))
		return ctx->err.code;
	if (json)
		cmd_print_json(view_job(&job, false));
	else
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
	json_t *jobs;	/* with --json: the stored jobs */
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

	if (fs->jobs)
		json_array_append_new(fs->jobs, view_job(job, false));
	buf_add(&fs->ids, job->id, strlen(job->id));
	buf_add(&fs->ids, "\n", 1);
	fs->unstored = false;
	return 0;
}

/*
 * Every line is stored in one batch; the ids are printed only after it succeeded, so that
 * a failure prints nothing and leaves the store as it was.
 */
static int enqueue_file(struct cmd_ctx *ctx, const char *path, const struct overrides *o,
			bool json)
{
	struct file_specs fs = { .f = strcmp(path, "-") ? fopen(path, "re") : stdin,
				 .path = path, .o = o, .ids = BUF_INIT,
				 .jobs = json ? json_array() : NULL };
	struct queue *q;
	int rc;

	if (!fs.f) {
		json_decref(fs.jobs);
		return error_set(&ctx->err, QE_INPUT, "cannot read '%s': %s", path, strerror(errno));
	}
	if (!(q = cmd_queue(ctx))) {
		rc = ctx->err.code;
	} else if ((rc = queue_enqueue_batch(q, next_spec, &fs, stored, &fs, &ctx->err)) < 0) {
		/* Storing failed (an id taken): the job is the one of the line read last. */
		if (fs.unstored)
			error_prefix(&ctx->err, "line %ld: ", fs.lineno);
	} else if (rc == 0) {
		rc = error_set(&ctx->err, QE_INPUT, "'%s' holds no jobs", path);
	} else {
		if (fs.jobs)
			cmd_print_json(json_incref(fs.jobs));
		else
			fwrite(fs.ids.data, 1, fs.ids.len, stdout);
		rc = 0;
	}
	json_decref(fs.jobs);
	free(fs.line);
	buf_release(&fs.ids);
	if (fs.f != stdin)
		fclose(fs.f);
	return rc;
}

/* The options, as overrides of the job's fields. */
static int read_options(struct cmd_ctx *ctx, const struct args *a, struct overrides *o)
{
	struct job_spec *s = &o->spec;
	const char *v;
	long long n;

	if ((v = args_get(a, "id"))) {
		if (!id_valid(v))
			return error_set(&ctx->err, QE_INPUT,
					 "invalid id '%.64s': use 1 to %d letters, digits, '.', '_', "
					 "':' or '-', not starting with '-' or '.'",
					 v, JOB_ID_MAX);
		s->id = xstrdup(v);
		o->id = true;
	}
	if ((v = args_get(a, "queue"))) {
		if (!id_valid(v) || strlen(v) > JOB_QUEUE_MAX)
			return error_set(&ctx->err, QE_INPUT, "invalid queue name '%.64s'", v);
		s->queue = xstrdup(v);
		o->queue = true;
	}
	if ((v = args_get(a, "max-retries"))) {
		if (parse_int(v, 0, JOB_RETRIES_MAX, "--max-retries", &n, &ctx->err))
			return ctx->err.code;
		s->max_retries = (int)n;
		o->max_retries = true;
	}
	if ((v = args_get(a, "priority"))) {
		if (parse_int(v, -JOB_PRIORITY_MAX, JOB_PRIORITY_MAX, "--priority", &n, &ctx->err))
			return ctx->err.code;
		s->priority = n;
		o->priority = true;
	}
	if ((v = args_get(a, "backoff-base"))) {
		char *canon;

		/* The same rule as the setting's. */
		if (config_normalize(config_find("backoff-base"), v, &canon, &ctx->err))
			return ctx->err.code;
		s->backoff_base = strtod(canon, NULL);
		free(canon);
		o->backoff_base = true;
	}
	if ((v = args_get(a, "run-at"))) {
		if (time_parse(v, &s->run_at, &ctx->err))
			return ctx->err.code;
		s->has_run_at = true;
		s->delay = -1;
		o->run_at = true;
	}
	if ((v = args_get(a, "delay"))) {
		if (duration_parse(v, &s->delay, &ctx->err))
			return ctx->err.code;
		o->delay = true;
	}
	if ((v = args_get(a, "timeout"))) {
		if (duration_parse(v, &s->timeout, &ctx->err))
			return ctx->err.code;
		o->timeout = true;
	}
	return 0;
}

/*
 * The form of "enqueue job1 'echo Hello World'" that other tools use to name a job: a word
 * list whose first word is no program here, nor a shell builtin or keyword, is probably an
 * id.  The job is still stored (workers may have another PATH), with a hint on stderr.
 */
static void hint_positional_id(char **words)
{
	static const char *const shell_words[] = {
		"!", ".", ":", "[", "{", "}", "alias", "bg", "break", "case", "cd", "command",
		"continue", "do", "done", "echo", "elif", "else", "esac", "eval", "exec", "exit",
		"export", "false", "fc", "fg", "fi", "for", "getopts", "hash", "if", "in", "jobs",
		"kill", "local", "printf", "pwd", "read", "readonly", "return", "set", "shift",
		"test", "then", "times", "trap", "true", "type", "ulimit", "umask", "unalias",
		"unset", "until", "wait", "while", NULL,
	};
	const char *w = words[0], *path = getenv("PATH");
	char *dirs, *save = NULL;
	bool found = false;

	if (strchr(w, '/') || strchr(w, '=') || !id_valid(w))
		return; /* a path, an assignment or no possible id: not this mistake */
	for (int i = 0; shell_words[i]; i++)
		if (!strcmp(w, shell_words[i]))
			return;
	dirs = xstrdup(path && *path ? path : "/usr/bin:/bin");
	for (char *d = strtok_r(dirs, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
		char *p = xasprintf("%s/%s", *d ? d : ".", w);

		found = access(p, X_OK) == 0;
		free(p);
	}
	free(dirs);
	if (!found)
		fprintf(stderr,
			"queuectl: hint: '%s' is not a command here; to name the job, use --id %s\n",
			w, w);
}

/*
 * enqueue [options] JSON | COMMAND | [--] WORD...
 * enqueue [options] --file FILE|-
 * The first operand ends the options: what follows is the job's, even "--json".
 */
static int enqueue_run(struct cmd_ctx *ctx, const struct args *a)
{
	struct overrides o = { 0 };
	struct job_spec spec;
	const char *file = args_get(a, "file");
	bool json = args_has(a, "json"), hint = false;
	int argc = a->argc;
	char **argv = a->argv;
	struct queue *q;
	int rc;

	job_spec_init(&o.spec);
	if ((rc = read_options(ctx, a, &o)))
		goto out;
	if (o.run_at && o.delay) {
		rc = cmd_usage_error(ctx, &cmd_enqueue, "give --run-at or --delay, not both");
		goto out;
	}
	if (file) {
		if (argc > 0)
			rc = cmd_usage_error(ctx, &cmd_enqueue, "--file takes no other job");
		else if (o.id)
			rc = cmd_usage_error(ctx, &cmd_enqueue, "--id cannot apply to a file of jobs");
		else
			rc = enqueue_file(ctx, file, &o, json);
		goto out;
	}
	if (argc == 0) {
		rc = cmd_usage_error(ctx, &cmd_enqueue, "missing job: give JSON or a command");
		goto out;
	}

	job_spec_init(&spec);
	if (argc == 1 && !a->dashdash && argv[0][0] != '{') {
		/* One argument is a shell command as written. */
		spec.command = xstrdup(argv[0]);
		rc = job_command_check(spec.command, strlen(spec.command), &ctx->err);
	} else if (a->dashdash || argv[0][0] != '{') {
		/*
		 * Several words, or any after "--", are a word list, run without a shell:
		 * enqueue -- touch 'a b', enqueue -- /bin/true.
		 */
		rc = job_spec_set_argv(&spec, (const char *const *)argv, argc, &ctx->err);
		hint = argc > 1 && !a->dashdash && !o.id; /* with --id, the id is named */
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
			rc = add(ctx, q, &spec, json);
		if (rc == 0 && hint)
			hint_positional_id(argv);
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
		"id, queue, priority, max_retries, backoff_base, timeout, run_at, delay.  Any other\n"
		"argument is the shell command itself; several words (or words after --) are\n"
		"quoted so the job runs exactly that argument list.  The first word that is not\n"
		"an option starts the job: options go before it.\n",
	.args = { .options = (const struct args_option[]){
			  { "id", 0, "ID", "the job's id (default: a random 32-digit hex id)" },
			  { "max-retries", 0, "N",
			    "retries after the first attempt (default: config max-retries)" },
			  { "priority", 0, "N", "higher runs first (default 0)" },
			  { "backoff-base", 0, "X",
			    "retry after X^attempts seconds (default: config backoff-base)" },
			  { "run-at", 0, "TIME", "not before this ISO-8601 time (2025-11-04T10:30:00Z)" },
			  { "delay", 0, "DURATION", "not before this long from now (90s, 5m, 2h)" },
			  { "timeout", 0, "DURATION",
			    "stop an attempt after this long (default: config job-timeout)" },
			  { "queue", 0, "NAME", "the queue to put it on (default 'default')" },
			  { "file", 'f', "FILE",
			    "one JSON job per line ('-' for stdin), all stored or none" },
			  { "json", 0, NULL,
			    "print the stored job object (an array of them with --file)" },
			  { 0 } },
		  .max = ARGS_MANY, .flags = ARGS_STOP_AT_OPERAND,
		  .kind = ARGS_PROGRAM },
	.run = enqueue_run,
};
