/*
 * completion.c - shell completion scripts for bash, zsh and fish, generated from the command
 * table, so that a new command or option completes without anyone editing a script.
 *
 * Each script knows, per command: its options and which of them take a value, what its
 * operands are (job ids, dead job ids, config keys, a program, a shell), and the values of
 * STATE options.  Job ids come from the store at completion time ('list --quiet'), through
 * the same --db the command line names.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../cmd.h"
#include "../config.h"
#include "../util.h"

extern const struct cmd_entry cmd_completion;

static const char *const shells[] = { "bash", "zsh", "fish", NULL };

/* Calls fn for every command that runs (not the groups), with its path ("dlq retry"). */
static void each_command(void (*fn)(void *arg, const char *path, const struct cmd_entry *e),
			 void *arg)
{
	for (int i = 0; cmd_table[i]; i++) {
		const struct cmd_entry *e = cmd_table[i];

		if (!e->sub) {
			fn(arg, e->name, e);
			continue;
		}
		for (int j = 0; e->sub[j]; j++) {
			char *path = xasprintf("%s %s", e->name, e->sub[j]->name);

			fn(arg, path, e->sub[j]);
			free(path);
		}
	}
}

/* What a value is, from its name in the option table: the choices, or files. */
static const char *value_kind(const struct args_option *o)
{
	if (!strcmp(o->value, "STATE"))
		return "state";
	if (!strcmp(o->value, "FILE") || !strcmp(o->value, "PATH"))
		return "file";
	return "none";
}

static const char *operand_kind(enum args_kind k)
{
	switch (k) {
	case ARGS_JOB:
		return "job";
	case ARGS_DEAD_JOB:
		return "dead";
	case ARGS_SETTING:
		return "setting";
	case ARGS_PROGRAM:
		return "program";
	case ARGS_SHELL:
		return "shell";
	default:
		return "file";
	}
}

/* Space-separated words: the commands, one group's subcommands, states, settings. */
static void top_words(struct buf *b)
{
	for (int i = 0; cmd_table[i]; i++)
		buf_addf(b, "%s ", cmd_table[i]->name);
	buf_adds(b, "help");
}

static void sub_words(struct buf *b, const struct cmd_entry *group)
{
	for (int j = 0; group->sub[j]; j++)
		buf_addf(b, "%s%s", j ? " " : "", group->sub[j]->name);
}

static void state_words(struct buf *b)
{
	for (int i = 0; i < JOB_NSTATES; i++)
		buf_addf(b, "%s%s", i ? " " : "", job_state_name((enum job_state)i));
}

static void setting_words(struct buf *b)
{
	for (int i = 0; i < config_nsettings; i++)
		buf_addf(b, "%s%s", i ? " " : "", config_settings[i].name);
}

static void group_names(struct buf *b, const char *sep)
{
	int n = 0;

	for (int i = 0; cmd_table[i]; i++)
		if (cmd_table[i]->sub)
			buf_addf(b, "%s%s", n++ ? sep : "", cmd_table[i]->name);
}

/* --- bash and zsh share their shape: one function, case tables made from the commands. */

struct sh_tables {
	struct buf valued;   /* case arms: "PATH OPT" of options that take a value */
	struct buf values;   /* case arms: "PATH OPT") kind=... */
	struct buf options;  /* case arms: "PATH") opts="..." ;; */
	struct buf operands; /* case arms: "PATH") kind=... ;; */
};

static void sh_command(void *arg, const char *path, const struct cmd_entry *e)
{
	struct sh_tables *t = arg;
	const struct args_option *o;
	struct buf opts = BUF_INIT;

	for (o = e->args.options; o && o->name; o++) {
		buf_addf(&opts, "--%s ", o->name);
		if (o->key)
			buf_addf(&opts, "-%c ", o->key);
		if (!o->value)
			continue;
		buf_addf(&t->valued, "\t'%s --%s'", path, o->name);
		if (o->key)
			buf_addf(&t->valued, " | '%s -%c'", path, o->key);
		buf_adds(&t->valued, ") return 0 ;;\n");
		buf_addf(&t->values, "\t'%s --%s'", path, o->name);
		if (o->key)
			buf_addf(&t->values, " | '%s -%c'", path, o->key);
		buf_addf(&t->values, ") kind=%s ;;\n", value_kind(o));
	}
	buf_adds(&opts, "--help --db");
	buf_addf(&t->options, "\t'%s') opts='%s' ;;\n", path, opts.data);
	buf_addf(&t->operands, "\t'%s') kind=%s ;;\n", path, operand_kind(e->args.kind));
	buf_release(&opts);
}

static void sh_tables_release(struct sh_tables *t)
{
	buf_release(&t->valued);
	buf_release(&t->values);
	buf_release(&t->options);
	buf_release(&t->operands);
}

/*
 * The scan of the words before the cursor, the same in bash and zsh: it finds the command
 * path, counts operands, remembers --db, and notes whether the cursor is an option's value.
 * $1.. are the words before the cursor, without "queuectl".
 */
static void sh_common(const struct sh_tables *t)
{
	struct buf groups = BUF_INIT;

	group_names(&groups, "|");
	printf("_queuectl_valued() {\n\tcase \"$1 $2\" in\n%s\t*) return 1 ;;\n\tesac\n}\n\n",
	       t->valued.data ? t->valued.data : "");
	printf("_queuectl_value_kind() {\n\tkind=none\n\tcase \"$1 $2\" in\n%s\tesac\n}\n\n",
	       t->values.data ? t->values.data : "");
	printf("_queuectl_options() {\n\topts='--help --db'\n\tcase \"$1\" in\n%s\tesac\n}\n\n",
	       t->options.data);
	printf("_queuectl_operand_kind() {\n\tkind=file\n\tcase \"$1\" in\n%s\tesac\n}\n\n",
	       t->operands.data);
	/* Not "path": in zsh that is PATH itself, and a local one hides every program. */
	printf("# Sets cmdpath (\"dlq retry\"), nops (operands so far), db, value (the option\n"
	       "# whose value is at the cursor) and stopped (options have ended) from the words\n"
	       "# before the cursor.\n"
	       "_queuectl_scan() {\n"
	       "\tcmdpath= nops=0 db= value= stopped=\n"
	       "\tlocal w\n"
	       "\tfor w in \"$@\"; do\n"
	       "\t\tif [ -n \"$value\" ]; then\n"
	       "\t\t\t[ \"$value\" = --db ] && db=$w\n"
	       "\t\t\tvalue=\n"
	       "\t\t\tcontinue\n"
	       "\t\tfi\n"
	       "\t\tif [ -z \"$stopped\" ]; then\n"
	       "\t\t\tcase $w in\n"
	       "\t\t\t--) stopped=1; continue ;;\n"
	       "\t\t\t--db) value=$w; continue ;;\n"
	       "\t\t\t--db=*) db=${w#--db=}; continue ;;\n"
	       "\t\t\t-[0-9]*) ;;\n"
	       "\t\t\t-?*) _queuectl_valued \"$cmdpath\" \"$w\" && value=$w; continue ;;\n"
	       "\t\t\tesac\n"
	       "\t\tfi\n"
	       "\t\tcase $cmdpath in\n"
	       "\t\t'') cmdpath=$w ;;\n"
	       "\t\t%s) cmdpath=\"$cmdpath $w\" ;;\n"
	       "\t\t*) nops=$((nops + 1)); [ \"$cmdpath\" = enqueue ] && stopped=1 ;;\n"
	       "\t\tesac\n"
	       "\tdone\n"
	       "}\n\n",
	       groups.data);
	buf_release(&groups);
}

static void print_bash(void)
{
	struct sh_tables t = { BUF_INIT, BUF_INIT, BUF_INIT, BUF_INIT };
	struct buf top = BUF_INIT, states = BUF_INIT, settings = BUF_INIT;

	each_command(sh_command, &t);
	top_words(&top);
	state_words(&states);
	setting_words(&settings);
	printf("# bash completion for queuectl, made by 'queuectl completion bash' from its\n"
	       "# command table.  Install it as\n"
	       "# /usr/share/bash-completion/completions/queuectl, or source it.\n\n");
	sh_common(&t);
	printf("_queuectl() {\n"
	       "\tlocal cur=${COMP_WORDS[COMP_CWORD]} cmdpath nops db value stopped kind opts\n"
	       "\tlocal -a q\n"
	       "\tCOMPREPLY=()\n"
	       "\t_queuectl_scan \"${COMP_WORDS[@]:1:COMP_CWORD-1}\"\n"
	       "\tq=(\"${COMP_WORDS[0]}\")\n"
	       "\t[ -n \"$db\" ] && q+=(--db \"$db\")\n"
	       "\tif [ -n \"$value\" ]; then\n"
	       "\t\t_queuectl_value_kind \"$cmdpath\" \"$value\"\n"
	       "\t\t[ \"$value\" = --db ] && kind=file\n"
	       "\t\tcase $kind in\n"
	       "\t\tstate) COMPREPLY=($(compgen -W '%s' -- \"$cur\")) ;;\n"
	       "\t\tfile) COMPREPLY=($(compgen -f -- \"$cur\")) ;;\n"
	       "\t\tesac\n"
	       "\t\treturn 0\n"
	       "\tfi\n"
	       "\tif [[ $cur == -* && -z $stopped ]]; then\n"
	       "\t\tif [ -z \"$cmdpath\" ]; then\n"
	       "\t\t\tCOMPREPLY=($(compgen -W '--db --help --version' -- \"$cur\"))\n"
	       "\t\telse\n"
	       "\t\t\t_queuectl_options \"$cmdpath\"\n"
	       "\t\t\tCOMPREPLY=($(compgen -W \"$opts\" -- \"$cur\"))\n"
	       "\t\tfi\n"
	       "\t\treturn 0\n"
	       "\tfi\n"
	       "\tcase $cmdpath in\n"
	       "\t'' | help) COMPREPLY=($(compgen -W '%s' -- \"$cur\")); return 0 ;;\n",
	       states.data, top.data);
	for (int i = 0; cmd_table[i]; i++) {
		struct buf subs = BUF_INIT;

		if (!cmd_table[i]->sub)
			continue;
		sub_words(&subs, cmd_table[i]);
		printf("\t%s) COMPREPLY=($(compgen -W '%s' -- \"$cur\")); return 0 ;;\n",
		       cmd_table[i]->name, subs.data);
		buf_release(&subs);
	}
	printf("\tesac\n"
	       "\t_queuectl_operand_kind \"$cmdpath\"\n"
	       "\tcase $kind in\n"
	       "\tjob) COMPREPLY=($(compgen -W \"$(\"${q[@]}\" list --quiet 2>/dev/null)\" -- "
	       "\"$cur\")) ;;\n"
	       "\tdead) COMPREPLY=($(compgen -W \"$(\"${q[@]}\" dlq list --quiet 2>/dev/null)\" "
	       "-- \"$cur\")) ;;\n"
	       "\tsetting) [ \"$nops\" -eq 0 ] && COMPREPLY=($(compgen -W '%s' -- \"$cur\")) ;;\n"
	       "\tshell) [ \"$nops\" -eq 0 ] && COMPREPLY=($(compgen -W 'bash zsh fish' -- "
	       "\"$cur\")) ;;\n"
	       "\tprogram) if [ \"$nops\" -eq 0 ]; then COMPREPLY=($(compgen -c -- \"$cur\" | sort -u));\n"
	       "\t\t else COMPREPLY=($(compgen -f -- \"$cur\")); fi ;;\n"
	       "\t*) COMPREPLY=($(compgen -f -- \"$cur\")) ;;\n"
	       "\tesac\n"
	       "\treturn 0\n"
	       "}\n\n"
	       "complete -F _queuectl queuectl\n",
	       settings.data);
	sh_tables_release(&t);
	buf_release(&top);
	buf_release(&states);
	buf_release(&settings);
}

/* A "name:description" item of _describe, single-quoted for zsh ("a job's output"). */
static void zsh_item(const char *name, const char *desc)
{
	printf("\t\t\t'%s:", name);
	for (; *desc; desc++) {
		if (*desc == '\'')
			fputs("'\\''", stdout);
		else
			putchar(*desc);
	}
	printf("'\n");
}

static void print_zsh(void)
{
	struct sh_tables t = { BUF_INIT, BUF_INIT, BUF_INIT, BUF_INIT };
	struct buf states = BUF_INIT, settings = BUF_INIT;

	each_command(sh_command, &t);
	state_words(&states);
	setting_words(&settings);
	printf("#compdef queuectl\n"
	       "# zsh completion for queuectl, made by 'queuectl completion zsh' from its command\n"
	       "# table.  Install it as _queuectl in a directory of $fpath.\n\n");
	sh_common(&t);
	printf("_queuectl() {\n"
	       "\tlocal cur=${words[CURRENT]} cmdpath nops db value stopped kind opts\n"
	       "\tlocal -a q cmds\n"
	       "\t_queuectl_scan \"${(@)words[2,CURRENT-1]}\"\n"
	       "\tq=(\"${words[1]}\")\n"
	       "\t[[ -n $db ]] && q+=(--db \"$db\")\n"
	       "\tif [[ -n $value ]]; then\n"
	       "\t\t_queuectl_value_kind \"$cmdpath\" \"$value\"\n"
	       "\t\t[[ $value == --db ]] && kind=file\n"
	       "\t\tcase $kind in\n"
	       "\t\tstate) compadd -- %s ;;\n"
	       "\t\tfile) _files ;;\n"
	       "\t\tesac\n"
	       "\t\treturn\n"
	       "\tfi\n"
	       "\tif [[ $cur == -* && -z $stopped ]]; then\n"
	       "\t\tif [[ -z $cmdpath ]]; then\n"
	       "\t\t\tcompadd -- --db --help --version\n"
	       "\t\telse\n"
	       "\t\t\t_queuectl_options \"$cmdpath\"\n"
	       "\t\t\tcompadd -- ${=opts}\n"
	       "\t\tfi\n"
	       "\t\treturn\n"
	       "\tfi\n"
	       "\tcase $cmdpath in\n"
	       "\t'' | help)\n"
	       "\t\tcmds=(\n",
	       states.data);
	for (int i = 0; cmd_table[i]; i++)
		zsh_item(cmd_table[i]->name,
			 cmd_table[i]->sub ? cmd_table[i]->usage : cmd_table[i]->summary);
	printf("\t\t\t'help:describe a command'\n"
	       "\t\t)\n"
	       "\t\t_describe command cmds\n"
	       "\t\treturn ;;\n");
	for (int i = 0; cmd_table[i]; i++) {
		const struct cmd_entry *g = cmd_table[i];

		if (!g->sub)
			continue;
		printf("\t%s)\n\t\tcmds=(\n", g->name);
		for (int j = 0; g->sub[j]; j++)
			zsh_item(g->sub[j]->name, g->sub[j]->summary);
		printf("\t\t)\n\t\t_describe subcommand cmds\n\t\treturn ;;\n");
	}
	printf("\tesac\n"
	       "\t_queuectl_operand_kind \"$cmdpath\"\n"
	       "\tcase $kind in\n"
	       "\tjob) compadd -- ${(f)\"$(\"${q[@]}\" list --quiet 2>/dev/null)\"} ;;\n"
	       "\tdead) compadd -- ${(f)\"$(\"${q[@]}\" dlq list --quiet 2>/dev/null)\"} ;;\n"
	       "\tsetting) (( nops == 0 )) && compadd -- %s ;;\n"
	       "\tshell) (( nops == 0 )) && compadd -- bash zsh fish ;;\n"
	       "\tprogram) if (( nops == 0 )); then _command_names -e; else _files; fi ;;\n"
	       "\t*) _files ;;\n"
	       "\tesac\n"
	       "}\n\n"
	       "_queuectl \"$@\"\n",
	       settings.data);
	sh_tables_release(&t);
	buf_release(&states);
	buf_release(&settings);
}

/* --- fish: complete lines, conditioned on the command path found by one function. */

static void fish_quote(const char *s)
{
	putchar('\'');
	for (; *s; s++) {
		if (*s == '\'' || *s == '\\')
			putchar('\\');
		putchar(*s);
	}
	putchar('\'');
}

static void fish_valued(void *arg, const char *path, const struct cmd_entry *e)
{
	for (const struct args_option *o = e->args.options; o && o->name; o++) {
		if (!o->value)
			continue;
		printf("\t\tcase '%s --%s'", path, o->name);
		if (o->key)
			printf(" '%s -%c'", path, o->key);
		printf("\n\t\t\tset value 1\n");
	}
}

static void fish_command(void *arg, const char *path, const struct cmd_entry *e)
{
	const char *kind = operand_kind(e->args.kind);
	const struct buf *states = arg;

	for (const struct args_option *o = e->args.options; o && o->name; o++) {
		printf("complete -c queuectl -n '__queuectl_at %s; and __queuectl_options' -l %s",
		       path, o->name);
		if (o->key)
			printf(" -s %c", o->key);
		if (o->value && !strcmp(value_kind(o), "state"))
			printf(" -x -a '%s'", states->data);
		else if (o->value && !strcmp(value_kind(o), "file"))
			printf(" -r -F");
		else if (o->value)
			printf(" -x");
		printf(" -d ");
		fish_quote(o->help);
		putchar('\n');
	}
	if (!strcmp(kind, "job"))
		printf("complete -c queuectl -n '__queuectl_at %s' -f -a '(__queuectl_jobs list)'\n",
		       path);
	else if (!strcmp(kind, "dead"))
		printf("complete -c queuectl -n '__queuectl_at %s' -f "
		       "-a '(__queuectl_jobs dlq list)'\n",
		       path);
	else if (!strcmp(kind, "setting"))
		printf("complete -c queuectl -n '__queuectl_at %s; and __queuectl_first' -f "
		       "-a '(__queuectl_settings)'\n",
		       path);
	else if (!strcmp(kind, "shell"))
		printf("complete -c queuectl -n '__queuectl_at %s; and __queuectl_first' -f "
		       "-a 'bash zsh fish'\n",
		       path);
	else if (!strcmp(kind, "program"))
		printf("complete -c queuectl -n '__queuectl_at %s; and __queuectl_first' -f "
		       "-a '(__fish_complete_command)'\n",
		       path);
}

static void print_fish(void)
{
	/* Where a command name goes: first, or as the topic of help (as in bash and zsh). */
	static const char top[] = "__queuectl_at; or __queuectl_at help; and __queuectl_first";
	struct buf groups = BUF_INIT, states = BUF_INIT, settings = BUF_INIT;

	group_names(&groups, " ");
	state_words(&states);
	setting_words(&settings);
	printf("# fish completion for queuectl, made by 'queuectl completion fish' from its\n"
	       "# command table.  Install it as queuectl.fish in a completions directory.\n\n"
	       "# Sets __queuectl_path, __queuectl_nops, __queuectl_db and __queuectl_stopped\n"
	       "# (options have ended) from the words before the cursor.\n"
	       "function __queuectl_scan\n"
	       "\tset -g __queuectl_path ''\n"
	       "\tset -g __queuectl_nops 0\n"
	       "\tset -g __queuectl_db ''\n"
	       "\tset -l value ''\n"
	       "\tset -g __queuectl_stopped 0\n"
	       "\tfor w in (commandline -opc)[2..-1]\n"
	       "\t\tif test -n \"$value\"\n"
	       "\t\t\ttest \"$value\" = --db; and set -g __queuectl_db $w\n"
	       "\t\t\tset value ''\n"
	       "\t\t\tcontinue\n"
	       "\t\tend\n"
	       "\t\tif test $__queuectl_stopped = 0\n"
	       "\t\t\tswitch $w\n"
	       "\t\t\t\tcase --\n"
	       "\t\t\t\t\tset -g __queuectl_stopped 1\n"
	       "\t\t\t\t\tcontinue\n"
	       "\t\t\t\tcase --db\n"
	       "\t\t\t\t\tset value --db\n"
	       "\t\t\t\t\tcontinue\n"
	       "\t\t\t\tcase '--db=*'\n"
	       "\t\t\t\t\tset -g __queuectl_db (string replace -- --db= '' $w)\n"
	       "\t\t\t\t\tcontinue\n"
	       "\t\t\t\tcase '-[0-9]*'\n"
	       "\t\t\t\tcase '-?*'\n"
	       "\t\t\t\t\t__queuectl_valued \"$__queuectl_path\" $w; and set value $w\n"
	       "\t\t\t\t\tcontinue\n"
	       "\t\t\tend\n"
	       "\t\tend\n"
	       "\t\tif test -z \"$__queuectl_path\"\n"
	       "\t\t\tset -g __queuectl_path $w\n"
	       "\t\telse if contains -- $__queuectl_path %s\n"
	       "\t\t\tset -g __queuectl_path \"$__queuectl_path $w\"\n"
	       "\t\telse\n"
	       "\t\t\tset -g __queuectl_nops (math $__queuectl_nops + 1)\n"
	       "\t\t\ttest \"$__queuectl_path\" = enqueue; and set -g __queuectl_stopped 1\n"
	       "\t\tend\n"
	       "\tend\n"
	       "end\n\n"
	       "function __queuectl_valued\n"
	       "\tset -l value 0\n"
	       "\tswitch \"$argv[1] $argv[2]\"\n",
	       groups.data);
	each_command(fish_valued, NULL);
	printf("\tend\n"
	       "\ttest $value = 1\n"
	       "end\n\n"
	       "# Whether the command path before the cursor is exactly the words given.\n"
	       "function __queuectl_at\n"
	       "\t__queuectl_scan\n"
	       "\ttest \"$__queuectl_path\" = \"$argv\"\n"
	       "end\n\n"
	       "# Whether an option may come here: not after \"--\", nor after enqueue's command.\n"
	       "function __queuectl_options\n"
	       "\t__queuectl_scan\n"
	       "\ttest $__queuectl_stopped = 0\n"
	       "end\n\n"
	       "function __queuectl_first\n"
	       "\ttest $__queuectl_nops = 0\n"
	       "end\n\n"
	       "function __queuectl_jobs\n"
	       "\tset -l q (commandline -opc)[1]\n"
	       "\tif test -n \"$__queuectl_db\"\n"
	       "\t\t$q --db $__queuectl_db $argv --quiet 2>/dev/null\n"
	       "\telse\n"
	       "\t\t$q $argv --quiet 2>/dev/null\n"
	       "\tend\n"
	       "end\n\n"
	       "function __queuectl_settings\n"
	       "\tprintf '%%s\\n' %s\n"
	       "end\n\n"
	       "complete -c queuectl -f\n"
	       "complete -c queuectl -n '__queuectl_options' -l db -r -F -d 'the database'\n"
	       "complete -c queuectl -n '__queuectl_at' -l version -d 'print the version'\n"
	       "complete -c queuectl -n '__queuectl_options' -l help -s h -d 'describe the command'\n",
	       settings.data);
	for (int i = 0; cmd_table[i]; i++) {
		const struct cmd_entry *g = cmd_table[i];

		printf("complete -c queuectl -n '%s' -a %s -d ", top, g->name);
		fish_quote(g->summary);
		putchar('\n');
		for (int j = 0; g->sub && g->sub[j]; j++) {
			printf("complete -c queuectl -n '__queuectl_at %s' -a %s -d ", g->name,
			       g->sub[j]->name);
			fish_quote(g->sub[j]->summary);
			putchar('\n');
		}
	}
	printf("complete -c queuectl -n '%s' -a help -d 'describe a command'\n", top);
	each_command(fish_command, &states);
	buf_release(&groups);
	buf_release(&states);
	buf_release(&settings);
}

/* completion bash|zsh|fish */
static int completion_run(struct cmd_ctx *ctx, const struct args *a)
{
	if (!strcmp(a->argv[0], "bash"))
		print_bash();
	else if (!strcmp(a->argv[0], "zsh"))
		print_zsh();
	else if (!strcmp(a->argv[0], "fish"))
		print_fish();
	else
		return cmd_usage_error(ctx, &cmd_completion, "unknown shell '%.64s' (one of: %s, %s, %s)",
				       a->argv[0], shells[0], shells[1], shells[2]);
	return 0;
}

const struct cmd_entry cmd_completion = {
	.name = "completion",
	.usage = "bash | zsh | fish",
	.summary = "print a shell completion script for commands, options, states, keys and ids",
	.help = "bash: source <(queuectl completion bash), or install it as\n"
		"/usr/share/bash-completion/completions/queuectl ('make install' does).\n"
		"zsh: install it as _queuectl in a directory of $fpath.  fish: install it as\n"
		"~/.config/fish/completions/queuectl.fish.\n",
	.args = { .min = 1, .max = 1, .what = "shell", .kind = ARGS_SHELL },
	.run = completion_run,
};
