/*
 * config.c - read and change the settings stored with the queue.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../cmd.h"
#include "../config.h"
#include "../util.h"

extern const struct cmd_entry cmd_config, cmd_config_get, cmd_config_set, cmd_config_show;

/* The current value of every setting, in table order (canonical text; the caller frees). */
struct values {
	char *v[64];
};

static int collect(void *ctx, const char *key, const char *value)
{
	struct values *vals = ctx;
	const struct config_setting *s = config_find(key);
	struct error ignored;
	char *canon;

	if (s && config_normalize(s, value, &canon, &ignored) == 0) {
		free(vals->v[s - config_settings]);
		vals->v[s - config_settings] = canon;
	}
	return 0;
}

static int load_values(struct cmd_ctx *ctx, struct values *vals)
{
	struct queue *q = cmd_queue(ctx);

	memset(vals, 0, sizeof *vals);
	if (!q || store_config_list(q->store, collect, vals, &ctx->err))
		return ctx->err.code;
	for (int i = 0; i < config_nsettings; i++)
		if (!vals->v[i])
			vals->v[i] = xstrdup(config_settings[i].def);
	return 0;
}

static void free_values(struct values *vals)
{
	for (int i = 0; i < config_nsettings; i++)
		free(vals->v[i]);
}

static int no_options(struct cmd_ctx *ctx, const struct cmd_entry *e, int argc, char **argv,
		      int nargs)
{
	int c, rc = 0;

	while ((c = cmd_getopt(ctx, e, argc, argv, "", NULL, &rc)) != -1)
		return rc ? rc : CMD_EXIT;
	if (argc - optind != nargs)
		return cmd_usage_error(ctx, e, "expected %s", e->usage);
	return 0;
}

/* config get KEY */
static int config_get_run(struct cmd_ctx *ctx, int argc, char **argv)
{
	const struct config_setting *s;
	struct values vals;
	int rc = no_options(ctx, &cmd_config_get, argc, argv, 1);

	if (rc)
		return rc == CMD_EXIT ? 0 : rc;
	if (!(s = config_find(argv[optind])))
		return config_unknown(argv[optind], &ctx->err);
	if (load_values(ctx, &vals))
		return ctx->err.code;
	puts(vals.v[s - config_settings]);
	free_values(&vals);
	return 0;
}

/* config set KEY VALUE */
static int config_set_run(struct cmd_ctx *ctx, int argc, char **argv)
{
	const struct config_setting *s;
	struct queue *q;
	char *canon;
	int rc = no_options(ctx, &cmd_config_set, argc, argv, 2);

	if (rc)
		return rc == CMD_EXIT ? 0 : rc;
	/* Validate before opening the store, so a typo never creates one. */
	if (!(s = config_find(argv[optind])))
		return config_unknown(argv[optind], &ctx->err);
	if (config_normalize(s, argv[optind + 1], &canon, &ctx->err))
		return ctx->err.code;
	free(canon);
	if (!(q = cmd_queue(ctx)) ||
	    queue_config_set(q, argv[optind], argv[optind + 1], &canon, &ctx->err))
		return ctx->err.code;
	printf("%s = %s\n", config_find(argv[optind])->name, canon);
	free(canon);
	return 0;
}

/* config show [--json] */
static int config_show_run(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct values vals;
	bool json = false;
	int c, rc = 0;

	while ((c = cmd_getopt(ctx, &cmd_config_show, argc, argv, "", opts, &rc)) != -1) {
		if (c == CMD_EXIT)
			return rc;
		json = true;
	}
	if (optind < argc)
		return cmd_usage_error(ctx, &cmd_config_show, "unexpected argument '%.64s'",
				       argv[optind]);
	if (load_values(ctx, &vals))
		return ctx->err.code;
	if (json) {
		json_t *o = json_object();

		for (int i = 0; i < config_nsettings; i++) {
			const struct config_setting *s = &config_settings[i];

			json_object_set_new(o, s->name,
					    s->type == CONFIG_REAL ? json_real(strtod(vals.v[i], NULL))
					    : s->type == CONFIG_CHOICE
						    ? json_string(vals.v[i])
						    : json_integer(strtoll(vals.v[i], NULL, 10)));
		}
		cmd_print_json(o);
	} else {
		for (int i = 0; i < config_nsettings; i++) {
			const struct config_setting *s = &config_settings[i];
			bool def = !strcmp(vals.v[i], s->def);

			printf("%-13s %-8s %s%s\n", s->name, vals.v[i], s->help,
			       def ? "" : " (changed)");
		}
	}
	free_values(&vals);
	return 0;
}

const struct cmd_entry cmd_config_get = {
	.name = "get",
	.parent = "config",
	.usage = "KEY",
	.summary = "print one setting's value",
	.run = config_get_run,
};

const struct cmd_entry cmd_config_set = {
	.name = "set",
	.parent = "config",
	.usage = "KEY VALUE",
	.summary = "change a setting (durations take 90s, 5m, 1h forms)",
	.help = "Keys also take the underscore spelling (max_retries).  A new value applies\n"
		"to what happens from now on: see 'queuectl config show' and queuectl(1).\n",
	.run = config_set_run,
};

const struct cmd_entry cmd_config_show = {
	.name = "show",
	.parent = "config",
	.usage = "[--json]",
	.summary = "print every setting with its value",
	.help = "  --json  print one JSON object of key: value\n",
	.run = config_show_run,
};

const struct cmd_entry cmd_config = {
	.name = "config",
	.usage = "get | set | show",
	.summary = "settings stored with the queue",
	.sub = (const struct cmd_entry *const[]){ &cmd_config_get, &cmd_config_set,
						  &cmd_config_show, NULL },
};
