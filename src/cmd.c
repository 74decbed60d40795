/*
 * cmd.c - the command table, dispatch, and what all commands share: option parsing with our
 * error messages, help generated from the entries, opening the store, printing.
 */
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "util.h"

extern const struct cmd_entry cmd_enqueue, cmd_worker, cmd_status, cmd_list, cmd_info,
	cmd_logs, cmd_wait, cmd_dlq, cmd_config, cmd_delete, cmd_purge, cmd_stats, cmd_web,
	cmd_migrate, cmd_completion;

/* In the order --help lists them: the everyday ones first. */
const struct cmd_entry *const cmd_table[] = {
	&cmd_enqueue, &cmd_worker, &cmd_status, &cmd_list,   &cmd_info,	  &cmd_logs,
	&cmd_wait,    &cmd_dlq,	   &cmd_config, &cmd_delete, &cmd_purge, &cmd_stats, &cmd_web,
	&cmd_migrate, &cmd_completion, NULL,
};

const struct cmd_entry *cmd_find(const struct cmd_entry *const *table, const char *name)
{
	for (; *table; table++)
		if (!strcmp((*table)->name, name))
			return *table;
	return NULL;
}

int cmd_dispatch(struct cmd_ctx *ctx, const struct cmd_entry *const *table, const char *parent,
		 int argc, char **argv)
{
	const struct cmd_entry *e;
	struct buf names = BUF_INIT;
	struct args a;
	int rc;

	if (argc < 1 || !(e = cmd_find(table, argv[0]))) {
		for (int i = 0; table[i]; i++)
			buf_addf(&names, "%s%s", i ? ", " : "", table[i]->name);
		if (argc < 1)
			rc = error_set(&ctx->err, QE_INPUT, "%s: missing subcommand (one of: %s)",
				       parent, names.data);
		else
			rc = error_set(&ctx->err, QE_INPUT, "%s%sunknown command '%.64s' (one of: %s)",
				       parent ? parent : "", parent ? ": " : "", argv[0],
				       names.data);
		buf_release(&names);
		return rc;
	}
	if (e->sub) {
		/* "dlq --help" and "dlq help" describe the group. */
		if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
				 !strcmp(argv[1], "help")))
			return cmd_help(e);
		return cmd_dispatch(ctx, e->sub, e->name, argc - 1, argv + 1);
	}
	if (args_parse(&a, &e->args, argc, argv, &ctx->err)) {
		/* A command whose operands are described only by its usage says so. */
		if (!e->args.what && !strncmp(ctx->err.msg, "missing argument", 16))
			rc = cmd_usage_error(ctx, e, "expected %s", e->usage);
		else if (!e->args.what && e->args.max > 1 &&
			 !strncmp(ctx->err.msg, "unexpected argument", 19))
			rc = cmd_usage_error(ctx, e, "expected %s", e->usage);
		else
			rc = cmd_usage_error(ctx, e, "%s", ctx->err.msg);
	} else if (a.help) {
		rc = cmd_help(e);
	} else {
		if (a.db)
			ctx->db_option = a.db;
		rc = e->run(ctx, &a);
	}
	args_release(&a);
	return rc;
}

/* "dlq retry" for a subcommand, "list" for a command; the caller frees it. */
static char *full_name(const struct cmd_entry *e)
{
	return e->parent ? xasprintf("%s %s", e->parent, e->name) : xstrdup(e->name);
}

/* "--name VALUE, -k" as an option's help shows it. */
static char *option_words(const struct args_option *o)
{
	struct buf b = BUF_INIT;

	buf_addf(&b, "--%s", o->name);
	if (o->value)
		buf_addf(&b, " %s", o->value);
	if (o->key)
		buf_addf(&b, ", -%c", o->key);
	return buf_detach(&b);
}

int cmd_help(const struct cmd_entry *e)
{
	char *name = full_name(e);
	const struct args_option *o;
	int width = 0;

	printf("usage: queuectl %s %s\n\n%s\n", name, e->usage, e->summary);
	free(name);
	if (e->sub) {
		printf("\nsubcommands:\n");
		for (int i = 0; e->sub[i]; i++)
			printf("  %s %-28s %s\n", e->name, e->sub[i]->name, e->sub[i]->summary);
	}
	for (o = e->args.options; o && o->name; o++) {
		char *w = option_words(o);

		if ((int)strlen(w) > width)
			width = (int)strlen(w);
		free(w);
	}
	if (width)
		printf("\noptions:\n");
	for (o = e->args.options; o && o->name; o++) {
		char *w = option_words(o);

		printf("  %-*s  %s\n", width, w, o->help);
		free(w);
	}
	if (e->help)
		printf("\n%s", e->help);
	return 0;
}

void cmd_list_commands(void)
{
	printf("usage: queuectl [--db PATH] <command> [options] [arguments]\n\n"
	       "A persistent background job queue for shell commands.\n\ncommands:\n");
	for (int i = 0; cmd_table[i]; i++) {
		const struct cmd_entry *e = cmd_table[i];

		if (!e->sub) {
			printf("  %-12s %s\n", e->name, e->summary);
			continue;
		}
		for (int j = 0; e->sub[j]; j++) {
			char *name = xasprintf("%s %s", e->name, e->sub[j]->name);

			printf("  %-12s %s\n", name, e->sub[j]->summary);
			free(name);
		}
	}
	printf("\nglobal options:\n"
	       "  --db PATH    the database (default $QUEUECTL_DB, else "
	       "$QUEUECTL_HOME/queuectl.db,\n"
	       "               $QUEUECTL_HOME defaulting to ~/.local/share/queuectl)\n"
	       "  --help       this list; 'queuectl help COMMAND' describes one command\n"
	       "  --version    print the version\n");
}

int cmd_usage_error(struct cmd_ctx *ctx, const struct cmd_entry *e, const char *fmt, ...)
{
	char msg[512], *name = full_name(e);
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	rc = error_set(&ctx->err, QE_INPUT, "%s: %s (see 'queuectl help %s')", name, msg, name);
	free(name);
	return rc;
}

/*
 * The database: --db, else $QUEUECTL_DB, else queuectl.db in the data directory
 * ($QUEUECTL_HOME, else $XDG_DATA_HOME/queuectl, else ~/.local/share/queuectl).  Its
 * directory is created owner-only.  Never the current directory, so that a worker and an
 * enqueue started from different places find the same queue.
 */
static int find_db(const char *opt, char **db, struct error *err)
{
	const char *env;
	char *dir, *copy;
	int rc;

	if (opt || ((env = getenv("QUEUECTL_DB")) && *env)) {
		*db = xstrdup(opt ? opt : env);
		if (queue_is_url(*db))
			return 0;
		if (**db == '\0')
			return error_set(err, QE_INPUT, "the database path is empty");
		copy = xstrdup(*db);
		dir = xstrdup(dirname(copy));
		free(copy);
	} else {
		if ((env = getenv("QUEUECTL_HOME")) && *env)
			dir = xstrdup(env);
		else if ((env = getenv("XDG_DATA_HOME")) && *env == '/')
			dir = xasprintf("%s/queuectl", env);
		else if ((env = getenv("HOME")) && *env == '/')
			dir = xasprintf("%s/.local/share/queuectl", env);
		else
			return error_set(err, QE_INPUT,
					 "cannot find the data directory: set QUEUECTL_HOME or HOME");
		*db = xasprintf("%s/queuectl.db", dir);
	}
	rc = mkdir_p(dir, 0700, err);
	free(dir);
	return rc;
}

const char *cmd_db(struct cmd_ctx *ctx)
{
	if (!ctx->db && find_db(ctx->db_option, &ctx->db, &ctx->err)) {
		free(ctx->db);
		ctx->db = NULL;
	}
	return ctx->db;
}

struct queue *cmd_queue(struct cmd_ctx *ctx)
{
	if (!ctx->opened) {
		if (!cmd_db(ctx) || queue_open(&ctx->q, ctx->db, &ctx->err))
			return NULL;
		ctx->opened = true;
	}
	return &ctx->q;
}

int cmd_resolve(struct cmd_ctx *ctx, const char *prefix, char **id)
{
	struct queue *q = cmd_queue(ctx);

	if (!q)
		return ctx->err.code;
	if (*prefix == '\0')
		return error_set(&ctx->err, QE_INPUT, "empty job id");
	return queue_resolve(q, prefix, id, &ctx->err);
}

bool cmd_ids_has(const struct buf *b, const char *id)
{
	for (size_t off = 0; off < b->len; off += strlen(b->data + off) + 1)
		if (!strcmp(b->data + off, id))
			return true;
	return false;
}

void cmd_print_ids(const struct buf *ids, const char *verb)
{
	json_t *o, *list;
	long n = 0;

	if (!verb) {
		for (size_t off = 0; off < ids->len; off += strlen(ids->data + off) + 1)
			puts(ids->data + off);
		return;
	}
	o = json_object();
	list = json_array();
	for (size_t off = 0; off < ids->len; off += strlen(ids->data + off) + 1, n++)
		json_array_append_new(list, json_string(ids->data + off));
	json_object_set_new(o, verb, json_integer(n));
	json_object_set_new(o, "ids", list);
	cmd_print_json(o);
}

void cmd_print_json(json_t *v)
{
	json_dumpf(v, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	putchar('\n');
	json_decref(v);
}

char *cmd_cell(const char *s, size_t width)
{
	struct buf b = BUF_INIT;

	for (const char *p = s; *p && b.len < width; p++)
		buf_add(&b, (*p == '\n' || *p == '\t' || *p == '\r') ? " " : p, 1);
	if (strlen(s) > width && width > 3) {
		b.len = width - 3;
		/* Do not cut a UTF-8 sequence in half. */
		while (b.len > 0 && ((unsigned char)b.data[b.len] & 0xc0) == 0x80)
			b.len--;
		b.data[b.len] = '\0';
		buf_adds(&b, "...");
	}
	return buf_detach(&b);
}
