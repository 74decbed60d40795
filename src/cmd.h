/*
 * cmd.h - commands as data: each command file exports one struct cmd_entry, and the table in
 * cmd.c lists them.  Usage, help and "unknown command" all come from these entries.
 */
#ifndef QUEUECTL_CMD_H
#define QUEUECTL_CMD_H

#include <jansson.h>
#include <stdbool.h>

#include "args.h"
#include "error.h"
#include "queue.h"
#include "util.h"

/* What every command gets: where the store is, the store once opened, and the error. */
struct cmd_ctx {
	const char *db_option; /* --db as given, before or after the command; NULL: default */
	char *db;	       /* the database path or URL, once found */
	struct queue q;
	bool opened;
	struct error err;
};

struct cmd_entry {
	const char *name;
	const char *parent;  /* the group of a subcommand ("dlq" for "dlq retry"), or NULL */
	const char *usage;   /* arguments after the name: "[--json] ID" */
	const char *summary; /* one line for the command list */
	const char *help;    /* paragraphs after the options in its help; may be NULL */
	struct args_spec args; /* its options and operands, parsed before run is called */
	/* Returns 0 or a QE_* code with ctx->err filled. */
	int (*run)(struct cmd_ctx *ctx, const struct args *a);
	/* A command with subcommands ("dlq list") has this NULL-terminated table instead. */
	const struct cmd_entry *const *sub;
};

extern const struct cmd_entry *const cmd_table[];

/* Find a command (or subcommand in table) by name; NULL if none. */
const struct cmd_entry *cmd_find(const struct cmd_entry *const *table, const char *name);
/* Run argv[0] from table: the top level and commands with subcommands both use this. */
int cmd_dispatch(struct cmd_ctx *ctx, const struct cmd_entry *const *table, const char *parent,
		 int argc, char **argv);

/* Print "usage: queuectl [<group>] <name> <usage>" and the help to stdout; returns 0. */
int cmd_help(const struct cmd_entry *e);
/* Print the list of commands (queuectl --help). */
void cmd_list_commands(void);


/* QE_INPUT "<group> <cmd>: <message> (see 'queuectl help <group> <cmd>')". */
int cmd_usage_error(struct cmd_ctx *ctx, const struct cmd_entry *e, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The database path or URL (found, and its directory made, on first use); NULL with ctx->err set. */
const char *cmd_db(struct cmd_ctx *ctx);
/* Open the store on first use and return the queue over it; NULL with ctx->err set. */
struct queue *cmd_queue(struct cmd_ctx *ctx);
/* Resolve an id or unique id prefix; *id is malloc'd. */
int cmd_resolve(struct cmd_ctx *ctx, const char *prefix, char **id);

/*
 * List jobs as list and dlq list print them (cmd/list.c), from the options they share
 * (CMD_LIST_OPTIONS) and list's --state.
 */
#define CMD_LIST_OPTIONS                                                                   \
	{ "queue", 'q', "NAME", "only jobs on this queue" },                               \
	{ "limit", 'n', "N", "at most N jobs" },                                           \
	{ "json", 0, NULL, "print one JSON array of job objects" },                        \
	{ "quiet", 0, NULL, "print only the ids, one per line" }
int cmd_list_jobs(struct cmd_ctx *ctx, const struct cmd_entry *e, const struct args *a);


/* Whether id is among the NUL-separated ids in b (commands that take several ids). */
bool cmd_ids_has(const struct buf *b, const char *id);

/*
 * Print the NUL-separated ids in ids: one per line, or with verb as the JSON object
 * {"<verb>": N, "ids": [...]} that --json of a command changing jobs prints.
 */
void cmd_print_ids(const struct buf *ids, const char *verb);
/* Print JSON to stdout, indented, with a final newline; takes the reference. */
void cmd_print_json(json_t *v);
/* Shorten a command for a table cell: one line, at most width bytes (caller frees). */
char *cmd_cell(const char *s, size_t width);

#endif
