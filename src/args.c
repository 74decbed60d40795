/*
 * args.c - parse a command's argv against what its entry declares (see args.h).
 *
 * GNU rules: "--name value", "--name=value", "-k value", "-kvalue", flags bundled ("-fq"),
 * a long name may be shortened to any unique prefix, "-" alone is an operand (stdin), so is
 * a negative number ("config set backoff-max -1" is refused by its parser, not as an
 * option), and "--" ends the options.  Every command also takes --help (-h) and the global --db.
 */
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "util.h"

/* Every command's options beyond its own: indexes noptions and noptions + 1 of a. */
static const struct args_option common[] = {
	{ "help", 'h', NULL, "describe the command" },
	{ "db", 0, "PATH", "the database (as before the command)" },
};
#define NCOMMON (int)(sizeof common / sizeof common[0])

static const struct args_option *option_at(const struct args *a, int i)
{
	return i < a->noptions ? &a->spec->options[i] : &common[i - a->noptions];
}

/* The option whose long name is name (or, failing that, starts with it); -1 if none. */
static int find_long(const struct args *a, const char *name, size_t len, struct error *err)
{
	int found = -1, n = a->noptions + NCOMMON;

	for (int i = 0; i < n; i++) {
		const char *o = option_at(a, i)->name;

		if (strlen(o) == len && !strncmp(o, name, len))
			return i;
	}
	for (int i = 0; i < n; i++) {
		const char *o = option_at(a, i)->name;

		if (strncmp(o, name, len))
			continue;
		if (found >= 0)
			return error_set(err, QE_INPUT, "option '--%.*s' is ambiguous (--%s, --%s)",
					 (int)(len > 64 ? 64 : len), name,
					 option_at(a, found)->name, o);
		found = i;
	}
	if (found < 0)
		return error_set(err, QE_INPUT, "unknown option '--%.*s'",
				 (int)(len > 64 ? 64 : len), name);
	return found;
}

static int find_short(const struct args *a, char key, struct error *err)
{
	for (int i = 0; i < a->noptions + NCOMMON; i++)
		if (option_at(a, i)->key == key)
			return i;
	return error_set(err, QE_INPUT, "unknown option '-%c'", key);
}

static void add_value(struct args *a, int i, const char *value)
{
	a->values[i] = xrealloc(a->values[i], (size_t)(a->counts[i] + 2) * sizeof *a->values[i]);
	a->values[i][a->counts[i]++] = value;
	a->values[i][a->counts[i]] = NULL;
}

/* The operands, counted against what the command takes. */
static int check_operands(const struct args *a, struct error *err)
{
	const struct args_spec *s = a->spec;

	if (a->argc < s->min)
		return s->what ? error_set(err, QE_INPUT, "missing %s", s->what)
			       : error_set(err, QE_INPUT, "missing argument");
	if (s->max != ARGS_MANY && a->argc > s->max) {
		if (s->max == 1 && s->what)
			return error_set(err, QE_INPUT, "give one %s", s->what);
		return error_set(err, QE_INPUT, "unexpected argument '%.64s'", a->argv[s->max]);
	}
	return 0;
}

int args_parse(struct args *a, const struct args_spec *spec, int argc, char **argv,
	       struct error *err)
{
	bool options = true;
	int n = 0;

	memset(a, 0, sizeof *a);
	a->spec = spec;
	while (spec->options && spec->options[n].name)
		n++;
	a->noptions = n;
	a->values = xcalloc((size_t)(n + NCOMMON), sizeof *a->values);
	a->counts = xcalloc((size_t)(n + NCOMMON), sizeof *a->counts);
	a->argv = xcalloc((size_t)argc + 1, sizeof *a->argv);

	for (int i = 1; i < argc; i++) {
		char *arg = argv[i];

		/* "-1" is a number, as for argparse: no command has a digit for an option. */
		if (!options || arg[0] != '-' || arg[1] == '\0' ||
		    (arg[1] >= '0' && arg[1] <= '9')) {
			a->argv[a->argc++] = arg;
			if (spec->flags & ARGS_STOP_AT_OPERAND)
				options = false;
			continue;
		}
		if (!strcmp(arg, "--")) {
			options = false;
			a->dashdash = a->argc == 0;
			continue;
		}
		if (arg[1] == '-') {
			const char *name = arg + 2, *eq = strchr(name, '=');
			int o = find_long(a, name, eq ? (size_t)(eq - name) : strlen(name), err);
			const struct args_option *opt;

			if (o < 0)
				return err->code;
			opt = option_at(a, o);
			if (!opt->value && eq)
				return error_set(err, QE_INPUT, "option '--%s' takes no value",
						 opt->name);
			if (opt->value && !eq && i + 1 >= argc)
				return error_set(err, QE_INPUT, "option '--%s' needs a value",
						 opt->name);
			add_value(a, o, !opt->value ? "" : eq ? eq + 1 : argv[++i]);
			continue;
		}
		/* Short options, bundled; one that takes a value takes the rest of the word. */
		for (char *p = arg + 1; *p; p++) {
			int o = find_short(a, *p, err);
			const struct args_option *opt;

			if (o < 0)
				return err->code;
			opt = option_at(a, o);
			if (!opt->value) {
				add_value(a, o, "");
				continue;
			}
			if (p[1] == '\0' && i + 1 >= argc)
				return error_set(err, QE_INPUT, "option '-%c' needs a value", *p);
			add_value(a, o, p[1] ? p + 1 : argv[++i]);
			break;
		}
	}
	a->help = a->counts[n] > 0;
	a->db = a->counts[n + 1] ? a->values[n + 1][a->counts[n + 1] - 1] : NULL;
	return a->help ? 0 : check_operands(a, err);
}

void args_release(struct args *a)
{
	for (int i = 0; a->values && i < a->noptions + NCOMMON; i++)
		free(a->values[i]);
	free(a->values);
	free(a->counts);
	free(a->argv);
	memset(a, 0, sizeof *a);
}

static int index_of(const struct args *a, const char *name)
{
	for (int i = 0; i < a->noptions + NCOMMON; i++)
		if (!strcmp(option_at(a, i)->name, name))
			return i;
	abort(); /* a command asked for an option it does not declare: a programming error */
}

bool args_has(const struct args *a, const char *name)
{
	return a->counts[index_of(a, name)] > 0;
}

int args_count(const struct args *a, const char *name)
{
	return a->counts[index_of(a, name)];
}

const char *args_get(const struct args *a, const char *name)
{
	int i = index_of(a, name);

	return a->counts[i] ? a->values[i][a->counts[i] - 1] : NULL;
}

const char *const *args_values(const struct args *a, const char *name)
{
	static const char *const none[] = { NULL };
	int i = index_of(a, name);

	return a->counts[i] ? a->values[i] : none;
}
