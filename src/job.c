/*
 * job.c - job states, the transition table, JSON in and out, and the retry backoff.
 */
#include <stdlib.h>
#include <string.h>

#include "job.h"
#include "util.h"

static const char *const state_names[JOB_NSTATES] = {
	[JOB_PENDING] = "pending",     [JOB_PROCESSING] = "processing",
	[JOB_COMPLETED] = "completed", [JOB_FAILED] = "failed",
	[JOB_DEAD] = "dead",
};

const char *job_state_name(enum job_state state)
{
	return (unsigned)state < JOB_NSTATES ? state_names[state] : "unknown";
}

int job_state_parse(const char *name, enum job_state *state, struct error *err)
{
	for (int i = 0; i < JOB_NSTATES; i++) {
		if (!strcmp(name, state_names[i])) {
			*state = (enum job_state)i;
			return 0;
		}
	}
	return error_set(err, QE_INPUT,
			 "unknown state '%s' (valid: pending, processing, completed, failed, dead)",
			 name);
}

#define P JOB_BIT(JOB_PENDING)
#define R JOB_BIT(JOB_PROCESSING)
#define C JOB_BIT(JOB_COMPLETED)
#define F JOB_BIT(JOB_FAILED)
#define D JOB_BIT(JOB_DEAD)

/* The table job.h draws; a change here is a change to the product, and to every backend. */
const struct job_op_rule job_ops[JOB_NOPS] = {
	[JOB_OP_ENQUEUE] = { "enqueue", 0, P },
	[JOB_OP_CLAIM] = { "claim", P | F, R },
	[JOB_OP_FINISH] = { "finish", R, C | F | D },
	[JOB_OP_RELEASE] = { "release", R, P },
	[JOB_OP_RECOVER] = { "recover", R, P },
	[JOB_OP_DLQ_RETRY] = { "dlq retry", D, P },
	[JOB_OP_DELETE] = { "delete", JOB_ALL & ~R, 0 },
	[JOB_OP_PURGE] = { "purge", C | D, 0 },
};

#undef P
#undef R
#undef C
#undef F
#undef D

bool job_op_from(enum job_op op, enum job_state from)
{
	return (unsigned)op < JOB_NOPS && (unsigned)from < JOB_NSTATES &&
	       (job_ops[op].from & JOB_BIT(from));
}

bool job_transition_ok(enum job_state from, enum job_state to)
{
	if ((unsigned)from >= JOB_NSTATES || (unsigned)to >= JOB_NSTATES)
		return false;
	for (int op = 0; op < JOB_NOPS; op++)
		if ((job_ops[op].from & JOB_BIT(from)) && (job_ops[op].to & JOB_BIT(to)))
			return true;
	return false;
}

void job_init(struct job *job)
{
	memset(job, 0, sizeof *job);
}

char **job_argv_dup(char *const *argv)
{
	char **copy;
	int n = 0;

	if (!argv)
		return NULL;
	while (argv[n])
		n++;
	copy = xcalloc((size_t)n + 1, sizeof *copy);
	for (int i = 0; i < n; i++)
		copy[i] = xstrdup(argv[i]);
	return copy;
}

void job_argv_free(char **argv)
{
	for (int i = 0; argv && argv[i]; i++)
		free(argv[i]);
	free(argv);
}

int job_spec_set_argv(struct job_spec *spec, const char *const *words, int n, struct error *err)
{
	struct buf cmd = BUF_INIT;
	size_t total = 0;

	if (n == 0)
		return error_set(err, QE_INPUT, "invalid argv: it is empty");
	for (int i = 0; i < n; i++) {
		size_t len = strlen(words[i]);

		if (i == 0 && len == 0)
			return error_set(err, QE_INPUT, "invalid argv: the program is empty");
		if (!text_valid(words[i], len))
			return error_set(err, QE_INPUT,
					 "invalid argv: word %d is not valid UTF-8 text (or has "
					 "control characters)",
					 i + 1);
		total += len + 1;
	}
	if (total > JOB_COMMAND_MAX)
		return error_set(err, QE_INPUT, "invalid argv: %zu bytes is more than the limit of %d",
				 total, JOB_COMMAND_MAX);
	for (int i = 0; i < n; i++) {
		if (i)
			buf_add(&cmd, " ", 1);
		shell_quote(&cmd, words[i]);
	}
	job_argv_free(spec->argv);
	free(spec->command);
	spec->argv = xcalloc((size_t)n + 1, sizeof *spec->argv);
	for (int i = 0; i < n; i++)
		spec->argv[i] = xstrdup(words[i]);
	spec->command = buf_detach(&cmd);
	return 0;
}

void job_release(struct job *job)
{
	free(job->id);
	free(job->command);
	job_argv_free(job->argv);
	free(job->queue);
	free(job->last_error);
	free(job->worker_id);
	free(job->output);
	job_init(job);
}

void attempt_release(struct attempt *a)
{
	free(a->job_id);
	free(a->outcome);
	free(a->error);
	free(a->worker_id);
	free(a->machine);
	free(a->log_path);
	memset(a, 0, sizeof *a);
}

void worker_info_release(struct worker_info *w)
{
	free(w->id);
	free(w->host);
	free(w->machine);
	free(w->queues);
	memset(w, 0, sizeof *w);
}

void job_spec_init(struct job_spec *spec)
{
	memset(spec, 0, sizeof *spec);
	spec->max_retries = -1;
	spec->timeout = -1;
	spec->delay = -1;
}

void job_spec_release(struct job_spec *spec)
{
	free(spec->id);
	free(spec->command);
	job_argv_free(spec->argv);
	free(spec->queue);
	job_spec_init(spec);
}

int job_command_check(const char *command, size_t len, struct error *err)
{
	const char *p = command;

	if (memchr(command, '\0', len))
		return error_set(err, QE_INPUT, "invalid command: it contains a NUL byte");
	while (p < command + len && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	if (p == command + len)
		return error_set(err, QE_INPUT, "invalid command: it is empty");
	if (len > JOB_COMMAND_MAX)
		return error_set(err, QE_INPUT,
				 "invalid command: %zu bytes is more than the limit of %d", len,
				 JOB_COMMAND_MAX);
	if (!text_valid(command, len))
		return error_set(err, QE_INPUT,
				 "invalid command: not valid UTF-8 text (or has control characters)");
	return 0;
}

/* The keys a job object may have; the last five are accepted so that a job in the schema's
 * own shape ({"id","command","state":"pending","attempts":0,...}) can be enqueued as is. */
static const char *const spec_keys[] = {
	"id",	     "command",	   "argv", "queue", "priority",	  "max_retries", "timeout",
	"backoff_base", "run_at", "delay", "created_at", "updated_at",	 "state",
	"attempts",
};

static const char *json_type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a real number";
	case JSON_TRUE:
	case JSON_FALSE: return "a boolean";
	case JSON_NULL: return "null";
	}
	return "a value";
}

static int want_type(const char *key, const json_t *v, json_type type, const char *what,
		     struct error *err)
{
	if (json_typeof(v) == type)
		return 0;
	return error_set(err, QE_INPUT, "\"%s\" must be %s, not %s", key, what, json_type_name(v));
}

static int get_int(const char *key, const json_t *v, long long min, long long max,
		   long long *out, struct error *err)
{
	if (want_type(key, v, JSON_INTEGER, "an integer", err))
		return err->code;
	*out = json_integer_value(v);
	if (*out < min || *out > max)
		return error_set(err, QE_INPUT, "\"%s\" must be between %lld and %lld, not %lld", key,
				 min, max, *out);
	return 0;
}

/* A duration field: whole seconds as an integer, or a string like "90s". */
static int get_duration(const char *key, const json_t *v, int64_t *out, struct error *err)
{
	long long n;

	if (json_is_integer(v)) {
		if (get_int(key, v, 0, DURATION_MAX, &n, err))
			return err->code;
		*out = n;
		return 0;
	}
	if (!json_is_string(v))
		return error_set(err, QE_INPUT,
				 "\"%s\" must be seconds or a duration string like \"90s\", not %s",
				 key, json_type_name(v));
	if (duration_parse(json_string_value(v), out, err))
		return error_prefix(err, "\"%s\": ", key);
	return 0;
}

static int get_time(const char *key, const json_t *v, int64_t *out, struct error *err)
{
	if (want_type(key, v, JSON_STRING, "an ISO-8601 timestamp string", err))
		return err->code;
	if (time_parse(json_string_value(v), out, err))
		return error_prefix(err, "\"%s\": ", key);
	return 0;
}

static int spec_field(struct job_spec *spec, const char *key, json_t *v, struct error *err)
{
	long long n;
	int64_t t;

	if (!strcmp(key, "command")) {
		if (want_type(key, v, JSON_STRING, "a string", err) ||
		    job_command_check(json_string_value(v), json_string_length(v), err))
			return err->code;
		/* With "argv", the command is argv's words quoted: job_spec_parse compares. */
		if (!spec->argv) {
			free(spec->command);
			spec->command = xstrdup(json_string_value(v));
		}
		return 0;
	}
	if (!strcmp(key, "argv") && !json_is_null(v)) {
		size_t nwords = json_is_array(v) ? json_array_size(v) : 0;
		const char **words = xcalloc(nwords + 1, sizeof *words);
		int rc = 0;

		if (want_type(key, v, JSON_ARRAY, "an array of strings", err))
			rc = err->code;
		for (size_t i = 0; i < nwords && !rc; i++) {
			json_t *w = json_array_get(v, i);

			if (!json_is_string(w) || strlen(json_string_value(w)) != json_string_length(w))
				rc = error_set(err, QE_INPUT,
					       "\"argv\" must be an array of strings without NUL "
					       "bytes (word %zu is not)",
					       i + 1);
			else
				words[i] = json_string_value(w);
		}
		if (!rc)
			rc = job_spec_set_argv(spec, words, (int)nwords, err);
		free(words);
		return rc;
	}
	if (json_is_null(v)) /* null means "the default" for every optional field */
		return 0;
	if (!strcmp(key, "id")) {
		if (want_type(key, v, JSON_STRING, "a string", err))
			return err->code;
		if (!id_valid(json_string_value(v)) ||
		    strlen(json_string_value(v)) != json_string_length(v))
			return error_set(err, QE_INPUT,
					 "invalid id: use 1 to %d letters, digits, '.', '_', ':' "
					 "or '-', not starting with '-' or '.'",
					 JOB_ID_MAX);
		spec->id = xstrdup(json_string_value(v));
	} else if (!strcmp(key, "queue")) {
		if (want_type(key, v, JSON_STRING, "a string", err))
			return err->code;
		if (!id_valid(json_string_value(v)) || json_string_length(v) > JOB_QUEUE_MAX ||
		    strlen(json_string_value(v)) != json_string_length(v))
			return error_set(err, QE_INPUT,
					 "invalid queue name: use 1 to %d letters, digits, '.', "
					 "'_', ':' or '-'",
					 JOB_QUEUE_MAX);
		spec->queue = xstrdup(json_string_value(v));
	} else if (!strcmp(key, "priority")) {
		if (get_int(key, v, -JOB_PRIORITY_MAX, JOB_PRIORITY_MAX, &n, err))
			return err->code;
		spec->priority = n;
	} else if (!strcmp(key, "max_retries")) {
		if (get_int(key, v, 0, JOB_RETRIES_MAX, &n, err))
			return err->code;
		spec->max_retries = (int)n;
	} else if (!strcmp(key, "timeout")) {
		return get_duration(key, v, &spec->timeout, err);
	} else if (!strcmp(key, "backoff_base")) {
		if (!json_is_number(v))
			return want_type(key, v, JSON_REAL, "a number", err);
		spec->backoff_base = json_number_value(v);
		if (spec->backoff_base < JOB_BACKOFF_BASE_MIN ||
		    spec->backoff_base > JOB_BACKOFF_BASE_MAX)
			return error_set(err, QE_INPUT, "\"%s\" must be between %d and %d, not %g",
					 key, JOB_BACKOFF_BASE_MIN, JOB_BACKOFF_BASE_MAX,
					 spec->backoff_base);
	} else if (!strcmp(key, "delay")) {
		return get_duration(key, v, &spec->delay, err);
	} else if (!strcmp(key, "run_at")) {
		spec->has_run_at = true;
		return get_time(key, v, &spec->run_at, err);
	} else if (!strcmp(key, "created_at")) {
		return get_time(key, v, &spec->created_at, err);
	} else if (!strcmp(key, "updated_at")) {
		return get_time(key, v, &t, err); /* checked, then set by the store */
	} else if (!strcmp(key, "state")) {
		if (want_type(key, v, JSON_STRING, "a string", err))
			return err->code;
		if (strcmp(json_string_value(v), "pending"))
			return error_set(err, QE_INPUT,
					 "\"state\" of a new job must be \"pending\", not \"%s\"",
					 json_string_value(v));
	} else if (!strcmp(key, "attempts")) {
		if (get_int(key, v, 0, 0, &n, err))
			return err->code;
	}
	return 0;
}

int job_spec_parse(struct job_spec *spec, const char *text, size_t len, struct error *err)
{
	json_error_t jerr;
	const char *key;
	json_t *root, *v;
	int rc = 0;

	/* JSON_ALLOW_NUL so that a "\u0000" in a command gets our message, not jansson's. */
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
	if (!root)
		return error_set(err, QE_INPUT, "invalid job JSON at line %d, column %d: %s",
				 jerr.line, jerr.column, jerr.text);
	if (!json_is_object(root)) {
		rc = error_set(err, QE_INPUT, "invalid job: expected a JSON object, not %s",
			       json_type_name(root));
		goto out;
	}
	json_object_foreach(root, key, v) {
		bool known = false;

		for (size_t i = 0; i < sizeof spec_keys / sizeof spec_keys[0] && !known; i++)
			known = !strcmp(key, spec_keys[i]);
		if (!known) {
			struct buf keys = BUF_INIT;

			for (size_t i = 0; i < sizeof spec_keys / sizeof spec_keys[0]; i++)
				buf_addf(&keys, "%s%s", i ? ", " : "", spec_keys[i]);
			rc = error_set(err, QE_INPUT, "invalid job: unknown key \"%.64s\" (valid: %s)",
				       key, keys.data);
			buf_release(&keys);
			goto out;
		}
		if ((rc = spec_field(spec, key, v, err))) {
			error_prefix(err, "invalid job: ");
			goto out;
		}
	}
	if (!spec->command)
		rc = error_set(err, QE_INPUT, "invalid job: \"command\" or \"argv\" is missing");
	else if (spec->argv && json_is_string(json_object_get(root, "command")) &&
		 strcmp(json_string_value(json_object_get(root, "command")), spec->command))
		rc = error_set(err, QE_INPUT,
			       "invalid job: give \"command\" or \"argv\", not both (unless "
			       "the command is argv's words quoted, as info --json shows it)");
	else if (spec->has_run_at && spec->delay >= 0)
		rc = error_set(err, QE_INPUT, "invalid job: give \"run_at\" or \"delay\", not both");
out:
	json_decref(root);
	return rc;
}

int64_t job_retry_delay_ms(int attempts, double base, int64_t max_secs)
{
	double secs = 1;

	/* Multiply step by step so that a large attempt count stops at the cap, never overflows. */
	for (int i = 0; i < attempts && secs < (double)max_secs; i++)
		secs *= base;
	if (secs > (double)max_secs)
		secs = (double)max_secs;
	return (int64_t)(secs * 1000);
}
