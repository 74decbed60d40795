/*
 * test_job.c - unit tests for job.c: state names, the transition table, parsing a job from
 * JSON (every key, defaults, every kind of rejection), the JSON form of a job, and the retry
 * backoff.  All of it is pure, so no test needs a store.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "job.h"
#include "view.h"
#include "util.h"

/* --- states and transitions --- */

static void test_state_names(void **state)
{
	static const char *const names[JOB_NSTATES] = { "pending", "processing", "completed",
							 "failed", "dead" };

	for (int i = 0; i < JOB_NSTATES; i++) {
		struct error err = { 0 };
		enum job_state s = JOB_NSTATES;

		assert_string_equal(job_state_name((enum job_state)i), names[i]);
		assert_int_equal(job_state_parse(names[i], &s, &err), 0);
		assert_int_equal(s, i);
	}
	assert_string_equal(job_state_name(JOB_NSTATES), "unknown");
	assert_string_equal(job_state_name((enum job_state)-1), "unknown");
	assert_string_equal(job_state_name((enum job_state)1000), "unknown");
}

static void test_state_parse_unknown(void **state)
{
	static const char *const bad[] = { "", "Pending", "PENDING", "pending ", "done", "unknown",
					   "dea" };

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct error err = { 0 };
		enum job_state s = JOB_DEAD;
		char *want = xasprintf("unknown state '%s' (valid: pending, processing, completed, "
				       "failed, dead)",
				       bad[i]);

		assert_int_equal(job_state_parse(bad[i], &s, &err), QE_INPUT);
		assert_int_equal(err.code, QE_INPUT);
		assert_string_equal(err.msg, want);
		assert_int_equal(s, JOB_DEAD); /* untouched */
		free(want);
	}
}

static void test_transitions(void **state)
{
	/* The whole state machine: every pair, legal or not. */
	static const bool want[JOB_NSTATES][JOB_NSTATES] = {
		/*                pending processing completed failed dead */
		[JOB_PENDING] = { false, true, false, false, false },
		[JOB_PROCESSING] = { true, false, true, true, true },
		[JOB_COMPLETED] = { false, false, false, false, false },
		[JOB_FAILED] = { false, true, false, false, false },
		[JOB_DEAD] = { true, false, false, false, false },
	};

	for (int from = 0; from < JOB_NSTATES; from++)
		for (int to = 0; to < JOB_NSTATES; to++)
			if (job_transition_ok((enum job_state)from, (enum job_state)to) !=
			    want[from][to])
				fail_msg("job_transition_ok(%s, %s) should be %s",
					 job_state_name((enum job_state)from),
					 job_state_name((enum job_state)to),
					 want[from][to] ? "true" : "false");
	/* Out of range on either side is never legal. */
	assert_false(job_transition_ok(JOB_NSTATES, JOB_PENDING));
	assert_false(job_transition_ok(JOB_PENDING, JOB_NSTATES));
	assert_false(job_transition_ok((enum job_state)-1, JOB_PROCESSING));
	assert_false(job_transition_ok(JOB_PROCESSING, (enum job_state)-1));
}

/* The operations table, in the words of job.h's comment. */
static void test_ops_table(void **state)
{
	static const struct {
		enum job_op op;
		const char *name, *from, *to;
	} want[] = {
		{ JOB_OP_ENQUEUE, "enqueue", "", "pending" },
		{ JOB_OP_CLAIM, "claim", "pending failed", "processing" },
		{ JOB_OP_FINISH, "finish", "processing", "completed failed dead" },
		{ JOB_OP_RELEASE, "release", "processing", "pending" },
		{ JOB_OP_RECOVER, "recover", "processing", "pending" },
		{ JOB_OP_DLQ_RETRY, "dlq retry", "dead", "pending" },
		{ JOB_OP_DELETE, "delete", "pending completed failed dead", "" },
		{ JOB_OP_PURGE, "purge", "completed dead", "" },
	};

	assert_int_equal(sizeof want / sizeof want[0], JOB_NOPS);
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		const struct job_op_rule *r = &job_ops[want[i].op];
		struct buf from = BUF_INIT, to = BUF_INIT;

		assert_string_equal(r->name, want[i].name);
		for (int st = 0; st < JOB_NSTATES; st++) {
			const char *name = job_state_name((enum job_state)st);

			if (r->from & JOB_BIT(st))
				buf_addf(&from, "%s%s", from.len ? " " : "", name);
			if (r->to & JOB_BIT(st))
				buf_addf(&to, "%s%s", to.len ? " " : "", name);
			assert_int_equal(job_op_from(want[i].op, (enum job_state)st),
					 (r->from & JOB_BIT(st)) != 0);
		}
		assert_string_equal(from.data ? from.data : "", want[i].from);
		assert_string_equal(to.data ? to.data : "", want[i].to);
		buf_release(&from);
		buf_release(&to);
	}
	assert_false(job_op_from(JOB_NOPS, JOB_PENDING));
	assert_false(job_op_from(JOB_OP_CLAIM, JOB_NSTATES));
	assert_false(job_op_from(JOB_OP_CLAIM, (enum job_state)-1));
}

/* --- job_spec_parse --- */

static void spec_ok(const char *text, struct job_spec *spec)
{
	struct error err = { 0 };

	job_spec_init(spec);
	if (job_spec_parse(spec, text, strlen(text), &err) != 0)
		fail_msg("job_spec_parse(%s) failed: %s", text, err.msg);
}

/* Parse text, expect QE_INPUT with a message containing want; nothing leaks. */
static void spec_bad_len(const char *text, size_t len, const char *want)
{
	struct error err = { 0 };
	struct job_spec spec;

	job_spec_init(&spec);
	if (job_spec_parse(&spec, text, len, &err) != QE_INPUT)
		fail_msg("job_spec_parse(%.200s) accepted", text);
	assert_int_equal(err.code, QE_INPUT);
	if (!strstr(err.msg, want))
		fail_msg("job_spec_parse(%.200s): message \"%s\" lacks \"%s\"", text, err.msg, want);
	assert_memory_equal(err.msg, "invalid job", 11);
	job_spec_release(&spec);
}

static void spec_bad(const char *text, const char *want)
{
	spec_bad_len(text, strlen(text), want);
}

static void test_spec_init_release(void **state)
{
	struct job_spec spec;

	job_spec_init(&spec);
	assert_null(spec.id);
	assert_null(spec.command);
	assert_null(spec.queue);
	assert_int_equal(spec.priority, 0);
	assert_int_equal(spec.max_retries, -1);
	assert_int_equal(spec.timeout, -1);
	assert_int_equal(spec.run_at, 0);
	assert_int_equal(spec.delay, -1);
	assert_int_equal(spec.created_at, 0);
	spec.id = xstrdup("x");
	spec.command = xstrdup("y");
	spec.queue = xstrdup("z");
	spec.priority = 9;
	job_spec_release(&spec);
	assert_null(spec.id);
	assert_null(spec.command);
	assert_null(spec.queue);
	assert_int_equal(spec.priority, 0);
	assert_int_equal(spec.max_retries, -1);
}

static void test_spec_every_key(void **state)
{
	struct job_spec spec;

	spec_ok("{\"id\":\"job-1\",\"command\":\"echo hi\",\"queue\":\"emails\",\"priority\":-7,"
		"\"max_retries\":5,\"timeout\":\"1m30s\",\"run_at\":\"2025-11-04T10:30:00Z\","
		"\"created_at\":\"2025-11-04T10:00:00.250Z\",\"updated_at\":\"2025-11-04T10:00:00Z\","
		"\"state\":\"pending\",\"attempts\":0}",
		&spec);
	assert_string_equal(spec.id, "job-1");
	assert_string_equal(spec.command, "echo hi");
	assert_string_equal(spec.queue, "emails");
	assert_int_equal(spec.priority, -7);
	assert_int_equal(spec.max_retries, 5);
	assert_int_equal(spec.timeout, 90);
	assert_int_equal(spec.run_at, 1762252200000LL);
	assert_int_equal(spec.delay, -1);
	assert_int_equal(spec.created_at, 1762250400250LL);
	job_spec_release(&spec);

	/* A backoff base of its own: any number within the backoff-base setting's bounds. */
	spec_ok("{\"command\":\"true\",\"backoff_base\":1.5}", &spec);
	assert_true(spec.backoff_base == 1.5);
	job_spec_release(&spec);
	spec_ok("{\"command\":\"true\",\"backoff_base\":3}", &spec);
	assert_true(spec.backoff_base == 3);
	job_spec_release(&spec);
	spec_ok("{\"command\":\"true\",\"backoff_base\":1}", &spec);
	assert_true(spec.backoff_base == JOB_BACKOFF_BASE_MIN);
	job_spec_release(&spec);
	spec_ok("{\"command\":\"true\",\"backoff_base\":1e3}", &spec);
	assert_true(spec.backoff_base == JOB_BACKOFF_BASE_MAX);
	job_spec_release(&spec);

	/* Integers for durations, and delay instead of run_at. */
	spec_ok("{\"command\":\"true\",\"timeout\":0,\"delay\":30}", &spec);
	assert_int_equal(spec.timeout, 0);
	assert_int_equal(spec.delay, 30);
	assert_int_equal(spec.run_at, 0);
	job_spec_release(&spec);
	spec_ok("{\"command\":\"true\",\"delay\":\"2h\",\"timeout\":5}", &spec);
	assert_int_equal(spec.delay, 7200);
	assert_int_equal(spec.timeout, 5);
	job_spec_release(&spec);

	/* The limits themselves are accepted. */
	spec_ok("{\"command\":\"x\",\"priority\":1000000,\"max_retries\":1000,"
		"\"timeout\":316224000}",
		&spec);
	assert_int_equal(spec.priority, JOB_PRIORITY_MAX);
	assert_int_equal(spec.max_retries, JOB_RETRIES_MAX);
	assert_int_equal(spec.timeout, DURATION_MAX);
	job_spec_release(&spec);
	spec_ok("{\"command\":\"x\",\"priority\":-1000000,\"max_retries\":0}", &spec);
	assert_int_equal(spec.priority, -JOB_PRIORITY_MAX);
	assert_int_equal(spec.max_retries, 0);
	job_spec_release(&spec);
}

static void test_spec_defaults_and_null(void **state)
{
	struct job_spec spec;

	spec_ok("{\"command\":\"echo hi\"}", &spec);
	assert_null(spec.id);
	assert_null(spec.queue);
	assert_int_equal(spec.priority, 0);
	assert_int_equal(spec.max_retries, -1);
	assert_int_equal(spec.timeout, -1);
	assert_int_equal(spec.run_at, 0);
	assert_int_equal(spec.delay, -1);
	assert_int_equal(spec.created_at, 0);
	assert_true(spec.backoff_base == 0);
	job_spec_release(&spec);

	/* null means "the default" for every optional key, including both of run_at and delay. */
	spec_ok("{\"command\":\"echo hi\",\"id\":null,\"queue\":null,\"priority\":null,"
		"\"max_retries\":null,\"timeout\":null,\"backoff_base\":null,\"run_at\":null,"
		"\"delay\":null,"
		"\"created_at\":null,\"updated_at\":null,\"state\":null,\"attempts\":null}",
		&spec);
	assert_string_equal(spec.command, "echo hi");
	assert_null(spec.id);
	assert_null(spec.queue);
	assert_int_equal(spec.priority, 0);
	assert_int_equal(spec.max_retries, -1);
	assert_int_equal(spec.timeout, -1);
	assert_int_equal(spec.run_at, 0);
	assert_int_equal(spec.delay, -1);
	assert_int_equal(spec.created_at, 0);
	job_spec_release(&spec);

	/* A command is kept byte for byte, whitespace, newlines and UTF-8 included. */
	spec_ok("{\"command\":\"  printf '%s\\\\n' \\\"caf\\u00e9\\\"\\n\\techo\"}", &spec);
	assert_string_equal(spec.command, "  printf '%s\\n' \"caf\xc3\xa9\"\n\techo");
	job_spec_release(&spec);
}

static void test_spec_unknown_key(void **state)
{
	spec_bad("{\"command\":\"x\",\"cmd\":\"y\"}", "unknown key \"cmd\"");
	spec_bad("{\"command\":\"x\",\"Command\":\"y\"}", "unknown key \"Command\"");
	spec_bad("{\"command\":\"x\",\"output\":null}", "unknown key \"output\"");
	/* The message lists what is valid. */
	spec_bad("{\"nope\":1,\"command\":\"x\"}", "valid: id, command, argv, queue");
}

static void test_spec_wrong_types(void **state)
{
	spec_bad("{\"command\":5}", "\"command\" must be a string, not an integer");
	spec_bad("{\"command\":null}", "\"command\" must be a string, not null");
	spec_bad("{\"command\":[\"ls\"]}", "\"command\" must be a string, not an array");
	spec_bad("{\"command\":\"x\",\"id\":7}", "\"id\" must be a string, not an integer");
	spec_bad("{\"command\":\"x\",\"queue\":{}}", "\"queue\" must be a string, not an object");
	spec_bad("{\"command\":\"x\",\"priority\":\"5\"}",
		 "\"priority\" must be an integer, not a string");
	spec_bad("{\"command\":\"x\",\"priority\":1.5}",
		 "\"priority\" must be an integer, not a real number");
	spec_bad("{\"command\":\"x\",\"max_retries\":true}",
		 "\"max_retries\" must be an integer, not a boolean");
	spec_bad("{\"command\":\"x\",\"timeout\":[1]}",
		 "\"timeout\" must be seconds or a duration string like \"90s\", not an array");
	spec_bad("{\"command\":\"x\",\"delay\":2.5}",
		 "\"delay\" must be seconds or a duration string like \"90s\", not a real number");
	spec_bad("{\"command\":\"x\",\"run_at\":1762252200}",
		 "\"run_at\" must be an ISO-8601 timestamp string, not an integer");
	spec_bad("{\"command\":\"x\",\"created_at\":false}",
		 "\"created_at\" must be an ISO-8601 timestamp string, not a boolean");
	spec_bad("{\"command\":\"x\",\"updated_at\":0}",
		 "\"updated_at\" must be an ISO-8601 timestamp string");
	spec_bad("{\"command\":\"x\",\"state\":0}", "\"state\" must be a string, not an integer");
	spec_bad("{\"command\":\"x\",\"attempts\":\"0\"}",
		 "\"attempts\" must be an integer, not a string");
	spec_bad("{\"command\":\"x\",\"backoff_base\":\"2\"}",
		 "\"backoff_base\" must be a number, not a string");
	spec_bad("{\"command\":\"x\",\"backoff_base\":true}",
		 "\"backoff_base\" must be a number, not a boolean");
	spec_bad("[{\"command\":\"x\"}]", "expected a JSON object, not an array");
}

static void test_spec_bad_values(void **state)
{
	spec_bad("{\"command\":\"x\",\"priority\":1000001}",
		 "\"priority\" must be between -1000000 and 1000000, not 1000001");
	spec_bad("{\"command\":\"x\",\"priority\":-1000001}", "\"priority\" must be between");
	spec_bad("{\"command\":\"x\",\"max_retries\":-1}",
		 "\"max_retries\" must be between 0 and 1000, not -1");
	spec_bad("{\"command\":\"x\",\"max_retries\":1001}", "\"max_retries\" must be between");
	spec_bad("{\"command\":\"x\",\"backoff_base\":0.5}",
		 "\"backoff_base\" must be between 1 and 1000, not 0.5");
	spec_bad("{\"command\":\"x\",\"backoff_base\":0}", "\"backoff_base\" must be between");
	spec_bad("{\"command\":\"x\",\"backoff_base\":-2}", "\"backoff_base\" must be between");
	spec_bad("{\"command\":\"x\",\"backoff_base\":1000.5}",
		 "\"backoff_base\" must be between 1 and 1000, not 1000.5");
	spec_bad("{\"command\":\"x\",\"timeout\":-1}", "\"timeout\" must be between 0 and");
	spec_bad("{\"command\":\"x\",\"timeout\":316224001}", "\"timeout\" must be between");
	spec_bad("{\"command\":\"x\",\"timeout\":\"5x\"}", "\"timeout\": invalid duration '5x'");
	spec_bad("{\"command\":\"x\",\"delay\":\"\"}", "\"delay\": invalid duration");
	spec_bad("{\"command\":\"x\",\"delay\":\"11000d\"}", "longer than 10 years");
	spec_bad("{\"command\":\"x\",\"run_at\":\"2025-02-30T00:00:00Z\"}",
		 "\"run_at\": invalid timestamp '2025-02-30T00:00:00Z'");
	spec_bad("{\"command\":\"x\",\"run_at\":\"2025-11-04T10:30:00\"}",
		 "\"run_at\": invalid timestamp");
	spec_bad("{\"command\":\"x\",\"created_at\":\"tomorrow\"}",
		 "\"created_at\": invalid timestamp");
	spec_bad("{\"command\":\"x\",\"updated_at\":\"1969-01-01T00:00:00Z\"}",
		 "\"updated_at\": invalid timestamp");
	/* A new job is pending with no attempts: the schema's own shape, nothing else. */
	spec_bad("{\"command\":\"x\",\"state\":\"dead\"}",
		 "\"state\" of a new job must be \"pending\", not \"dead\"");
	spec_bad("{\"command\":\"x\",\"state\":\"processing\"}", "must be \"pending\"");
	spec_bad("{\"command\":\"x\",\"attempts\":1}", "\"attempts\" must be between 0 and 0");
	spec_bad("{\"command\":\"x\",\"attempts\":-1}", "\"attempts\" must be between 0 and 0");
	/* run_at and delay contradict each other. */
	spec_bad("{\"command\":\"x\",\"run_at\":\"2025-11-04T10:30:00Z\",\"delay\":10}",
		 "give \"run_at\" or \"delay\", not both");
	spec_bad("{\"command\":\"x\",\"delay\":0,\"run_at\":\"2025-11-04T10:30:00Z\"}",
		 "not both");
	spec_bad("{\"id\":\"j\"}", "\"command\" or \"argv\" is missing");
	spec_bad("{}", "\"command\" or \"argv\" is missing");
}

static void test_spec_bad_ids(void **state)
{
	char *text;
	char name[JOB_ID_MAX + 2];

	spec_bad("{\"command\":\"x\",\"id\":\"\"}", "invalid id");
	spec_bad("{\"command\":\"x\",\"id\":\"-rf\"}", "invalid id");
	spec_bad("{\"command\":\"x\",\"id\":\".hidden\"}", "invalid id");
	spec_bad("{\"command\":\"x\",\"id\":\"a b\"}", "invalid id");
	spec_bad("{\"command\":\"x\",\"id\":\"../x\"}", "invalid id");
	spec_bad("{\"command\":\"x\",\"id\":\"a\\u0000b\"}", "invalid id");
	spec_bad("{\"command\":\"x\",\"queue\":\"\"}", "invalid queue name");
	spec_bad("{\"command\":\"x\",\"queue\":\"a/b\"}", "invalid queue name");
	spec_bad("{\"command\":\"x\",\"queue\":\"a\\u0000\"}", "invalid queue name");

	/* Length limits: 128 for an id, 64 for a queue name. */
	memset(name, 'i', JOB_ID_MAX);
	name[JOB_ID_MAX] = '\0';
	text = xasprintf("{\"command\":\"x\",\"id\":\"%s\"}", name);
	{
		struct job_spec spec;

		spec_ok(text, &spec);
		assert_int_equal(strlen(spec.id), JOB_ID_MAX);
		job_spec_release(&spec);
	}
	free(text);
	name[JOB_ID_MAX] = 'i';
	name[JOB_ID_MAX + 1] = '\0';
	text = xasprintf("{\"command\":\"x\",\"id\":\"%s\"}", name);
	spec_bad(text, "invalid id");
	free(text);

	name[JOB_QUEUE_MAX] = '\0';
	text = xasprintf("{\"command\":\"x\",\"queue\":\"%s\"}", name);
	{
		struct job_spec spec;

		spec_ok(text, &spec);
		assert_int_equal(strlen(spec.queue), JOB_QUEUE_MAX);
		job_spec_release(&spec);
	}
	free(text);
	name[JOB_QUEUE_MAX] = 'q';
	name[JOB_QUEUE_MAX + 1] = '\0';
	text = xasprintf("{\"command\":\"x\",\"queue\":\"%s\"}", name);
	spec_bad(text, "invalid queue name");
	free(text);
}

static void test_spec_bad_commands(void **state)
{
	spec_bad("{\"command\":\"echo \\u0000 hi\"}", "it contains a NUL byte");
	spec_bad("{\"command\":\"\\u0000\"}", "it contains a NUL byte");
	spec_bad("{\"command\":\"\"}", "invalid command: it is empty");
	spec_bad("{\"command\":\" \\t\\n\\r \"}", "invalid command: it is empty");
	spec_bad("{\"command\":\"echo \\u0001\"}", "not valid UTF-8 text");
	spec_bad("{\"command\":\"echo \\u001b[31m\"}", "not valid UTF-8 text");
	spec_bad("{\"command\":\"echo \\u007f\"}", "not valid UTF-8 text");
	/* A lone surrogate escape is not text either (jansson refuses it outright). */
	spec_bad("{\"command\":\"\\ud800\"}", "invalid job");
}

static void test_spec_command_length(void **state)
{
	size_t n = JOB_COMMAND_MAX;
	char *text = xmalloc(n + 64);
	struct job_spec spec;
	int len;

	/* Exactly the limit is fine. */
	memcpy(text, "{\"command\":\"", 12);
	memset(text + 12, 'a', n);
	len = 12 + (int)n;
	memcpy(text + len, "\"}", 3);
	spec_ok(text, &spec);
	assert_int_equal(strlen(spec.command), JOB_COMMAND_MAX);
	job_spec_release(&spec);

	/* One byte more is refused, with the size and the limit in the message. */
	memset(text + 12, 'a', n + 1);
	memcpy(text + 12 + n + 1, "\"}", 3);
	spec_bad(text, "invalid command: 131072 bytes is more than the limit of 131071");
	free(text);

	/* The same through job_command_check, and multi-byte text counts in bytes. */
	{
		struct error err = { 0 };
		char *cmd = xmalloc(JOB_COMMAND_MAX + 2);

		memset(cmd, 'b', JOB_COMMAND_MAX + 1);
		cmd[JOB_COMMAND_MAX + 1] = '\0';
		assert_int_equal(job_command_check(cmd, JOB_COMMAND_MAX, &err), 0);
		assert_int_equal(job_command_check(cmd, JOB_COMMAND_MAX + 1, &err), QE_INPUT);
		assert_non_null(strstr(err.msg, "more than the limit"));
		assert_int_equal(job_command_check("caf\xc3\xa9", 5, &err), 0);
		assert_int_equal(job_command_check("caf\xc3", 4, &err), QE_INPUT);
		assert_int_equal(job_command_check("a\0b", 3, &err), QE_INPUT);
		assert_non_null(strstr(err.msg, "NUL"));
		free(cmd);
	}
}

static void test_spec_syntax_errors(void **state)
{
	spec_bad("{\"command\": }", "invalid job JSON at line 1, column ");
	spec_bad("{\"command\": \"x\"", "invalid job JSON at line 1, column ");
	spec_bad("not json", "invalid job JSON at line 1, column ");
	spec_bad("", "invalid job JSON at line 1, column ");
	spec_bad("{\"command\":\"x\"} trailing", "invalid job JSON at line 1, column ");
	spec_bad("{\n\"command\":\n}", "invalid job JSON at line 3, column ");
	/* A duplicated key is refused rather than one of them silently winning. */
	spec_bad("{\"command\":\"x\",\"command\":\"y\"}", "invalid job JSON at line 1");
	/* Raw invalid UTF-8 inside the JSON text. */
	spec_bad("{\"command\":\"\xff\"}", "invalid job JSON at line 1");
	/* len bounds the text: the rest is never read. */
	spec_bad_len("{\"command\":\"x\"}", 5, "invalid job JSON at line 1");
	{
		struct job_spec spec;
		struct error err = { 0 };
		const char *text = "{\"command\":\"x\"}garbage";

		job_spec_init(&spec);
		assert_int_equal(job_spec_parse(&spec, text, 15, &err), 0);
		assert_string_equal(spec.command, "x");
		job_spec_release(&spec);
	}
}

/* --- view_job --- */

static void sample_job(struct job *job)
{
	job_init(job);
	job->id = xstrdup("j1");
	job->command = xstrdup("echo hi");
	job->queue = xstrdup("default");
	job->state = JOB_FAILED;
	job->attempts = 2;
	job->max_retries = 3;
	job->runs = 4;
	job->priority = -5;
	job->timeout = 90;
	job->run_at = 1762252200000LL;
	job->created_at = 1762250400123LL;
	job->updated_at = 1762252100000LL;
}

static json_t *to_json(const struct job *job, bool detail)
{
	json_t *o = view_job(job, detail);
	char *dump;

	assert_non_null(o);
	assert_true(json_is_object(o));
	/* It must always serialise: the output of list and info. */
	dump = json_dumps(o, JSON_COMPACT);
	assert_non_null(dump);
	free(dump);
	return o;
}

static void assert_json_string(json_t *o, const char *key, const char *want)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_string(v))
		fail_msg("\"%s\" is not a string", key);
	assert_string_equal(json_string_value(v), want);
}

static void assert_json_int(json_t *o, const char *key, long long want)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v))
		fail_msg("\"%s\" is not an integer", key);
	assert_int_equal(json_integer_value(v), want);
}

static void assert_json_null(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (!v || !json_is_null(v))
		fail_msg("\"%s\" is missing or not null", key);
}

static void test_to_json_fields(void **state)
{
	static const char *const detail_only[] = { "runs", "started_at", "finished_at", "worker",
						   "lease_until", "output" };
	struct job job;
	json_t *o;

	sample_job(&job);
	o = to_json(&job, false);
	assert_int_equal(json_object_size(o), 15);
	assert_json_string(o, "id", "j1");
	assert_json_string(o, "command", "echo hi");
	assert_json_null(o, "argv");
	assert_json_string(o, "state", "failed");
	assert_json_int(o, "attempts", 2);
	assert_json_int(o, "max_retries", 3);
	assert_json_string(o, "created_at", "2025-11-04T10:00:00Z");
	assert_json_string(o, "updated_at", "2025-11-04T10:28:20Z");
	assert_json_string(o, "queue", "default");
	assert_json_int(o, "priority", -5);
	assert_json_string(o, "run_at", "2025-11-04T10:30:00Z");
	assert_json_int(o, "timeout", 90);
	assert_json_null(o, "last_error");
	assert_json_null(o, "exit_code");
	assert_json_null(o, "backoff_base"); /* none of its own */
	for (size_t i = 0; i < sizeof detail_only / sizeof detail_only[0]; i++)
		assert_null(json_object_get(o, detail_only[i]));
	json_decref(o);

	/* An error and an exit code, including exit code 0, show when present. */
	job.last_error = xstrdup("exit status 3");
	job.has_exit_code = true;
	job.exit_code = 0;
	o = to_json(&job, false);
	assert_json_string(o, "last_error", "exit status 3");
	assert_json_int(o, "exit_code", 0);
	json_decref(o);
	job.exit_code = 3;
	o = to_json(&job, false);
	assert_json_int(o, "exit_code", 3);
	json_decref(o);
	/* A backoff base of its own: whole numbers as integers. */
	job.backoff_base = 3;
	o = to_json(&job, false);
	assert_json_int(o, "backoff_base", 3);
	json_decref(o);
	job.backoff_base = 1.5;
	o = to_json(&job, false);
	assert_true(json_is_real(json_object_get(o, "backoff_base")));
	assert_true(json_real_value(json_object_get(o, "backoff_base")) == 1.5);
	json_decref(o);
	job_release(&job);
}

static void test_to_json_detail(void **state)
{
	struct job job;
	json_t *o;

	sample_job(&job);
	/* Never started: the detail times and owner are null. */
	o = to_json(&job, true);
	assert_int_equal(json_object_size(o), 21);
	assert_json_int(o, "runs", 4);
	assert_json_null(o, "started_at");
	assert_json_null(o, "finished_at");
	assert_json_null(o, "worker");
	assert_json_null(o, "lease_until");
	assert_json_null(o, "output");
	json_decref(o);

	job.state = JOB_PROCESSING;
	job.started_at = 1762252201000LL;
	job.finished_at = 1762252202999LL;
	job.worker_id = xstrdup("host:123");
	job.lease_until = 1762252230000LL;
	job.output = xstrdup("line 1\nline\t2\n");
	job.output_len = strlen(job.output);
	o = to_json(&job, true);
	assert_json_string(o, "state", "processing");
	assert_json_string(o, "started_at", "2025-11-04T10:30:01Z");
	assert_json_string(o, "finished_at", "2025-11-04T10:30:02Z");
	assert_json_string(o, "worker", "host:123");
	assert_json_string(o, "lease_until", "2025-11-04T10:30:30Z");
	assert_json_string(o, "output", "line 1\nline\t2\n");
	json_decref(o);
	job_release(&job);
}

/* Check that output raw (len bytes) appears in the detailed JSON as want; frees before failing. */
static void check_output(const char *raw, size_t len, const char *want, size_t want_len)
{
	struct job job;
	json_t *o, *v;

	sample_job(&job);
	job.output = xmalloc(len + 1);
	memcpy(job.output, raw, len);
	job.output[len] = '\0';
	job.output_len = len;
	o = to_json(&job, true);
	job_release(&job);
	v = json_object_get(o, "output");
	if (!json_is_string(v)) {
		json_decref(o);
		fail_msg("output is not a string");
	}
	if (json_string_length(v) != want_len || memcmp(json_string_value(v), want, want_len)) {
		char *got = xstrdup(json_string_value(v));

		json_decref(o);
		print_error("output \"%.*s\" became \"%s\", want \"%.*s\"\n", (int)len, raw, got,
			    (int)want_len, want);
		free(got);
		fail();
	}
	json_decref(o);
}

#define CHECK_OUTPUT(raw, want) check_output(raw, sizeof raw - 1, want, sizeof want - 1)

static void test_to_json_output_replaced(void **state)
{
	/* Valid UTF-8 is kept as is. */
	CHECK_OUTPUT("caf\xc3\xa9 \xe2\x82\xac\n", "caf\xc3\xa9 \xe2\x82\xac\n");
	CHECK_OUTPUT("", "");
	/* Bytes that are not UTF-8 text, and NUL, become U+FFFD. */
	CHECK_OUTPUT("a\xff" "b", "a\xef\xbf\xbd" "b");
	CHECK_OUTPUT("a\0b", "a\xef\xbf\xbd" "b");
	/* Other control characters (a colour escape) are kept: JSON escapes them. */
	CHECK_OUTPUT("\x1b[1m\x01", "\x1b[1m\x01");
}

static void test_to_json_output_mixed(void **state)
{
	/*
	 * A program's output that is mostly good UTF-8 with one bad byte (a truncated tail, a
	 * stray Latin-1 byte): the good characters must survive, only the bad byte is replaced.
	 */
	CHECK_OUTPUT("caf\xc3\xa9 \xff", "caf\xc3\xa9 \xef\xbf\xbd");
	CHECK_OUTPUT("\xe2\x82\xac\x80", "\xe2\x82\xac\xef\xbf\xbd");
}

/* --- backoff --- */

static void test_retry_delay(void **state)
{
	/* base ^ attempts seconds, in ms. */
	assert_int_equal(job_retry_delay_ms(0, 2, 3600), 1000);
	assert_int_equal(job_retry_delay_ms(1, 2, 3600), 2000);
	assert_int_equal(job_retry_delay_ms(2, 2, 3600), 4000);
	assert_int_equal(job_retry_delay_ms(3, 2, 3600), 8000);
	assert_int_equal(job_retry_delay_ms(10, 2, 3600), 1024000);
	assert_int_equal(job_retry_delay_ms(11, 2, 3600), 2048000);
	assert_int_equal(job_retry_delay_ms(3, 3, 3600), 27000);
	assert_int_equal(job_retry_delay_ms(2, 1.5, 3600), 2250);
	/* Capped at max. */
	assert_int_equal(job_retry_delay_ms(12, 2, 3600), 3600000);
	assert_int_equal(job_retry_delay_ms(5, 10, 60), 60000);
	assert_int_equal(job_retry_delay_ms(1, 2, 1), 1000);
	assert_int_equal(job_retry_delay_ms(1, 2, 0), 0);
	assert_int_equal(job_retry_delay_ms(0, 2, 0), 0);
	/* Base 1 never grows. */
	assert_int_equal(job_retry_delay_ms(1, 1, 3600), 1000);
	assert_int_equal(job_retry_delay_ms(1000, 1, 3600), 1000);
	assert_int_equal(job_retry_delay_ms(1000000, 1, 3600), 1000);
}

static void test_retry_delay_no_overflow(void **state)
{
	/* Large attempt counts and bases stop at the cap instead of overflowing. */
	assert_int_equal(job_retry_delay_ms(1000, 2, 3600), 3600000);
	assert_int_equal(job_retry_delay_ms(1001, 1000, 3600), 3600000);
	assert_int_equal(job_retry_delay_ms(INT_MAX, 2, 3600), 3600000);
	assert_int_equal(job_retry_delay_ms(INT_MAX, 1000, DURATION_MAX), DURATION_MAX * 1000);
	assert_int_equal(job_retry_delay_ms(64, 2, DURATION_MAX), DURATION_MAX * 1000);
	assert_int_equal(job_retry_delay_ms(2000, 1000, DURATION_MAX), DURATION_MAX * 1000);
	for (int n = 1; n < 200; n++) {
		int64_t d = job_retry_delay_ms(n, 2, 3600);

		assert_in_range(d, 2000, 3600000);
		assert_true(d >= job_retry_delay_ms(n - 1, 2, 3600));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_names),
		cmocka_unit_test(test_state_parse_unknown),
		cmocka_unit_test(test_transitions),
		cmocka_unit_test(test_ops_table),
		cmocka_unit_test(test_spec_init_release),
		cmocka_unit_test(test_spec_every_key),
		cmocka_unit_test(test_spec_defaults_and_null),
		cmocka_unit_test(test_spec_unknown_key),
		cmocka_unit_test(test_spec_wrong_types),
		cmocka_unit_test(test_spec_bad_values),
		cmocka_unit_test(test_spec_bad_ids),
		cmocka_unit_test(test_spec_bad_commands),
		cmocka_unit_test(test_spec_command_length),
		cmocka_unit_test(test_spec_syntax_errors),
		cmocka_unit_test(test_to_json_fields),
		cmocka_unit_test(test_to_json_detail),
		cmocka_unit_test(test_to_json_output_replaced),
		cmocka_unit_test(test_to_json_output_mixed),
		cmocka_unit_test(test_retry_delay),
		cmocka_unit_test(test_retry_delay_no_overflow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
