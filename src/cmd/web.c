/*
 * web.c (command) - serve the dashboard, the JSON API and the metrics over HTTP.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../cmd.h"
#include "../util.h"
#include "../web/web.h"

extern const struct cmd_entry cmd_web;

/*
 * The token: from a file (its first line) or the environment, never from the command line,
 * where any user's ps would show it.  *token is malloc'd, NULL when none was given.
 */
static int read_token(struct cmd_ctx *ctx, const char *file, char **token)
{
	const char *env = getenv("QUEUECTL_WEB_TOKEN");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	FILE *f;

	*token = NULL;
	if (file) {
		/* Not the path in the message: a token given by mistake in its place would show. */
		if (!(f = fopen(file, "re")))
			return error_set(&ctx->err, QE_INPUT,
					 "cannot read the file given to --token-file: %s (it takes a "
					 "file's path, never the token itself)",
					 strerror(errno));
		n = getline(&line, &cap, f);
		fclose(f);
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (n <= 0) {
			free(line);
			return error_set(&ctx->err, QE_INPUT, "the file given to --token-file is empty");
		}
		*token = line;
	} else if (env) {
		if (!*env)
			return error_set(&ctx->err, QE_INPUT, "QUEUECTL_WEB_TOKEN is empty");
		*token = xstrdup(env);
	}
	if (*token && strlen(*token) < 16) {
		free(*token);
		*token = NULL;
		return error_set(&ctx->err, QE_INPUT, "the token is too short: use 16 characters or more");
	}
	return 0;
}

/* web [--listen ADDR:PORT] [--token-file FILE] [--read-only] [--max-connections N] [--timeout D] */
static int web_run(struct cmd_ctx *ctx, const struct args *a)
{
	struct web_config cfg = { .listen = "127.0.0.1:5000", .read_only = args_has(a, "read-only"),
				  .max_connections = WEB_MAX_CONNECTIONS, .timeout = WEB_TIMEOUT,
				  .body_max = WEB_BODY_MAX };
	const char *v;
	char *token;
	struct queue *q;
	long long n;
	int64_t secs;
	int rc;

	if ((v = args_get(a, "listen")))
		cfg.listen = v;
	if ((v = args_get(a, "max-connections"))) {
		if (parse_int(v, 1, 10000, "--max-connections", &n, &ctx->err))
			return ctx->err.code;
		cfg.max_connections = (unsigned)n;
	}
	if ((v = args_get(a, "timeout"))) {
		if (duration_parse(v, &secs, &ctx->err))
			return ctx->err.code;
		if (secs < 1 || secs > 3600)
			return error_set(&ctx->err, QE_INPUT,
					 "--timeout must be between 1s and 1h, not '%s'", v);
		cfg.timeout = (unsigned)secs;
	}
	if (read_token(ctx, args_get(a, "token-file"), &token))
		return ctx->err.code;
	cfg.token = token;
	if (!(q = cmd_queue(ctx)))
		rc = ctx->err.code;
	else
		rc = web_serve(q, &cfg, &ctx->err);
	free(token);
	return rc;
}

const struct cmd_entry cmd_web = {
	.name = "web",
	.usage = "[--listen ADDR:PORT] [--token-file FILE] [--read-only] [--max-connections N] "
		 "[--timeout DURATION]",
	.summary = "serve the dashboard, the JSON API and Prometheus metrics over HTTP",
	.help = "It serves http://127.0.0.1:5000/ until stopped (Ctrl+C, SIGTERM).  Another\n"
		"address than loopback needs a token, read from --token-file or the environment\n"
		"variable QUEUECTL_WEB_TOKEN; every request must then send it as\n"
		"'Authorization: Bearer TOKEN'.\n",
	.args = { .options = (const struct args_option[]){
			  { "listen", 'l', "ADDR:PORT",
			    "the address to serve on (default 127.0.0.1:5000; port 0: any free one)" },
			  { "token-file", 0, "FILE",
			    "require the token in FILE's first line on every request" },
			  { "read-only", 0, NULL, "serve no route that changes jobs or settings" },
			  { "max-connections", 0, "N",
			    "at most N connections at once (default 64)" },
			  { "timeout", 0, "DURATION",
			    "close a connection idle for this long (default 30s)" },
			  { 0 } } },
	.run = web_run,
};
