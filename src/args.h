/*
 * args.h - a command's arguments, parsed in one place from what the command declares.
 *
 * As in tmux, a command does not parse its own argv: its entry lists its options and how many
 * operands it takes, and args_parse turns argv into a struct args before the command runs.
 * Options may come before or after operands, as with every GNU tool and git ("info job1
 * --json"); "--" ends them.  A command that takes a command line to run (enqueue) says so with
 * ARGS_STOP_AT_OPERAND, and its first operand ends the options, as with env and nohup.
 */
#ifndef QUEUECTL_ARGS_H
#define QUEUECTL_ARGS_H

#include <stdbool.h>

#include "error.h"

/* One option a command accepts; a table of them ends with a zero entry. */
struct args_option {
	const char *name;  /* the long name without dashes: "json" */
	char key;	   /* the short letter ('f' for -f), or 0 */
	const char *value; /* the name of its value in help ("N"); NULL for a flag */
	const char *help;  /* one line for the command's help */
};

/* What a command's operands are, for shell completion. */
enum args_kind {
	ARGS_ANY,      /* nothing to offer: files, as a shell would */
	ARGS_JOB,      /* job ids from the store */
	ARGS_DEAD_JOB, /* ids of dead jobs */
	ARGS_SETTING,  /* a config key, then its value */
	ARGS_PROGRAM,  /* a command line: a program, then its arguments */
	ARGS_SHELL,    /* bash, zsh or fish */
};

/* What a command takes; part of its struct cmd_entry. */
struct args_spec {
	const struct args_option *options; /* NULL: none but --help */
	int min, max;			   /* operands; max ARGS_MANY for no limit */
	const char *what;		   /* the operand in messages: "job id" */
	unsigned flags;
	enum args_kind kind;
};
#define ARGS_MANY (-1)
#define ARGS_STOP_AT_OPERAND 0x1u /* the first operand ends the options (enqueue) */

struct args {
	const struct args_spec *spec;
	int noptions;
	const char ***values; /* per option: every value given, in order (flags: ""), NULL-ended */
	int *counts;	      /* per option: how many times it was given */
	int argc;	      /* the operands, in order */
	char **argv;
	bool dashdash; /* the operands started after "--" */
	bool help;     /* --help or -h was given: nothing else was checked */
	const char *db; /* the global --db, which any command takes anywhere */
};

/*
 * Parse argv (argv[0] is the command's name) for spec into a; args_release frees it.  On a
 * bad option, a missing value or a wrong number of operands, QE_INPUT with the problem in
 * err->msg (without the command's name: the caller adds it).
 */
int args_parse(struct args *a, const struct args_spec *spec, int argc, char **argv,
	       struct error *err);
void args_release(struct args *a);

/* Whether the option (by long name) was given, and how many times. */
bool args_has(const struct args *a, const char *name);
int args_count(const struct args *a, const char *name);
/* The option's last value, or NULL when it was not given. */
const char *args_get(const struct args *a, const char *name);
/* Every value the option was given, in order, NULL-terminated (never NULL itself). */
const char *const *args_values(const struct args *a, const char *name);

#endif
