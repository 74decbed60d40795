/*
 * main.c - queuectl's entry point: global options, running the command, and turning its
 * result into a message on stderr and an exit status.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "util.h"

#ifndef QUEUECTL_VERSION
#define QUEUECTL_VERSION "unknown"
#endif

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A bad global option or help topic: said like every other error, exit status 2. */
static int usage_error(const char *fmt, ...)
{
	struct error err;
	char msg[sizeof err.msg];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	error_set(&err, QE_INPUT, "%s", msg);
	fprintf(stderr, "queuectl: %s\n", err.msg);
	return EXIT_USAGE;
}

/*
 * Keep a database URL's password out of ps: each argument that holds one is copied for
 * the parsing below, and the password in the original, which /proc/PID/cmdline shows, is
 * overwritten.  ("--db=URL" and "URL" alike; an argument of a job's command too, which is
 * stored from the copy.)
 */
static void hide_passwords(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		char *url = strstr(argv[i], "postgres://"), *at, *colon, *slash;

		if (!url && !(url = strstr(argv[i], "postgresql://")))
			continue;
		url = strstr(url, "://") + 3;
		slash = strchr(url, '/');
		at = strchr(url, '@');
		if (!at || (slash && slash < at) || !(colon = memchr(url, ':', (size_t)(at - url))))
			continue;
		/* The copy first: argv[i] is what the parsing reads. */
		argv[i] = xstrdup(argv[i]);
		memset(colon + 1, '*', (size_t)(at - colon - 1));
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct cmd_ctx ctx = { 0 };
	const char *dbopt = NULL;
	int c, rc;

	hide_passwords(argc, argv);
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			dbopt = optarg;
			break;
		case 'h':
			cmd_list_commands();
			return EXIT_OK;
		case 'V':
			printf("queuectl %s\n", QUEUECTL_VERSION);
			return EXIT_OK;
		case ':':
			return usage_error("option '%s' needs a value", argv[optind - 1]);
		default:
			return usage_error("unknown option '%s' (see 'queuectl --help')",
					   argv[optind - 1]);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0) {
		cmd_list_commands();
		return EXIT_USAGE;
	}
	if (!strcmp(argv[0], "help")) {
		const struct cmd_entry *e = argc > 1 ? cmd_find(cmd_table, argv[1]) : NULL;

		if (argc == 1) {
			cmd_list_commands();
			return EXIT_OK;
		}
		if (!e) {
			return usage_error("no command '%s' (see 'queuectl --help')", argv[1]);
		}
		if (argc > 2 && e->sub && cmd_find(e->sub, argv[2]))
			return cmd_help(cmd_find(e->sub, argv[2]));
		return cmd_help(e);
	}
	ctx.db_option = dbopt;
	rc = cmd_dispatch(&ctx, cmd_table, NULL, argc, argv);
	if (fflush(stdout) != 0 && rc == 0)
		rc = error_set(&ctx.err, QE_FAIL, "cannot write output: %s", strerror(errno));
	if (rc < 0)
		fprintf(stderr, "queuectl: %s\n", ctx.err.msg);
	if (ctx.opened)
		queue_close(&ctx.q);
	free(ctx.db);
	return error_exit_status(rc < 0 ? rc : 0);
}
