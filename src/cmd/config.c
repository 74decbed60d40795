/*
 * config.c - read and change the settings stored with the queue.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../cmd.h"
#include "../config.h"
#include "../util.h"
#include "../view.h"

extern const struct cmd_entry cmd_config, cmd_config_get, cmd_config_set, cmd_config_show,
	cmd_config_reset;

static int load_values(struct cmd_ctx *ctx, struct config_text *vals)
{
	struct queue *q = cmd_queue(ctx);

	memset(vals, 0, sizeof *vals);
	if (!q || queue_settings(q, vals, &ctx->err))
		return ctx->err.code;
	return 0;
}

/* Print settings as "key = value" lines, or with json as one object of typed values. */
static void print_settings(const struct config_text *vals, bool only[], bool json)
{
	json_t *o = json ? json_object() : NULL;

	for (int i = 0; i < config_nsettings; i++) {
		const struct config_setting *s = &config_settings[i];

		if (only && !only[i])
			continue;
		if (o)
			json_object_set_new(o, s->name, view_setting(s, vals->v[i]));
		else
			printf("%s = %s\n", s->name, vals->v[i]);
	}
	if (o)
		cmd_print_json(o);
}

/* config get KEY [--json] */
static int config_get_run(struct cmd_ctx *ctx, const struct args *a)
{
	const struct config_setting *s;
	struct config_text vals;

	if (!(s = config_find(a->argv[0])))
		return config_unknown(a->argv[0], &ctx->err);
	if (load_values(ctx, &vals))
		return ctx->err.code;
	if (args_has(a, "json")) {
		bool only[CONFIG_MAX] = { 0 };

		only[s - config_settings] = true;
		print_settings(&vals, only, true);
	} else {
		puts(vals.v[s - config_settings]);
	}
	config_text_release(&vals);
	return 0;
}

/* config set KEY VALUE [--json] */
static int config_set_run(struct cmd_ctx *ctx, const struct args *a)
{
	const struct config_setting *s;
	struct queue *q;
	char *canon;

	/* Validate before opening the store, so a typo never creates one. */
	if (!(s = config_find(a->argv[0])))
		return config_unknown(a->argv[0], &ctx->err);
	if (config_normalize(s, a->argv[1], &canon, &ctx->err))
		return ctx->err.code;
	free(canon);
	if (!(q = cmd_queue(ctx)) ||
	    queue_config_set(q, a->argv[0], a->argv[1], &canon, &ctx->err))
		return ctx->err.code;
	if (args_has(a, "json")) {
		json_t *o = json_object();

		json_object_set_new(o, s->name, view_setting(s, canon));
		cmd_print_json(o);
	} else {
		printf("%s = %s\n", s->name, canon);
	}
	free(canon);
	return 0;
}

/* config reset [KEY] [--json] */
static int config_reset_run(struct cmd_ctx *ctx, const struct args *a)
{
	const struct config_setting *s = NULL;
	bool only[CONFIG_MAX] = { 0 };
	struct config_text vals;
	struct queue *q;

	if (a->argc && !(s = config_find(a->argv[0])))
		return config_unknown(a->argv[0], &ctx->err);
	if (!(q = cmd_queue(ctx)) ||
	    queue_config_reset(q, s ? s->name : NULL, &ctx->err) || load_values(ctx, &vals))
		return ctx->err.code;
	for (int i = 0; i < config_nsettings; i++)
		only[i] = !s || s == &config_settings[i];
	print_settings(&vals, only, args_has(a, "json"));
	config_text_release(&vals);
	return 0;
}

/* config show [--json] */
static int config_show_run(struct cmd_ctx *ctx, const struct args *a)
{
	struct config_text vals;

	if (load_values(ctx, &vals))
		return ctx->err.code;
	if (args_has(a, "json")) {
		print_settings(&vals, NULL, true);
	} else {
		for (int i = 0; i < config_nsettings; i++) {
			const struct config_setting *s = &config_settings[i];
			bool def = !strcmp(vals.v[i], s->def);

			printf("%-13s %-8s %s%s\n", s->name, vals.v[i], s->help,
			       def ? "" : " (changed)");
		}
	}
	config_text_release(&vals);
	return 0;
}

#define JSON_OPTION(what) (const struct args_option[]){ { "json", 0, NULL, what }, { 0 } }

const struct cmd_entry cmd_config_get = {
	.name = "get",
	.parent = "config",
	.usage = "KEY [--json]",
	.summary = "print one setting's value",
	.args = { .options = JSON_OPTION("print {\"KEY\": value}"), .min = 1, .max = 1, .kind = ARGS_SETTING },
	.run = config_get_run,
};

const struct cmd_entry cmd_config_set = {
	.name = "set",
	.parent = "config",
	.usage = "KEY VALUE [--json]",
	.summary = "change a setting (durations take 90s, 5m, 1h forms)",
	.help = "Keys also take the underscore spelling (max_retries).  A new value applies\n"
		"to what happens from now on: see 'queuectl config show' and queuectl(1).\n",
	.args = { .options = JSON_OPTION("print {\"KEY\": value} as stored"),
		  .min = 2, .max = 2, .kind = ARGS_SETTING },
	.run = config_set_run,
};

const struct cmd_entry cmd_config_reset = {
	.name = "reset",
	.parent = "config",
	.usage = "[KEY] [--json]",
	.summary = "return one setting, or every setting, to its default",
	.args = { .options = JSON_OPTION("print {\"KEY\": value, ...} of the settings reset"),
		  .max = 1, .kind = ARGS_SETTING },
	.run = config_reset_run,
};

const struct cmd_entry cmd_config_show = {
	.name = "show",
	.parent = "config",
	.usage = "[--json]",
	.summary = "print every setting with its value",
	.args = { .options = JSON_OPTION("print one JSON object of key: value") },
	.run = config_show_run,
};

const struct cmd_entry cmd_config = {
	.name = "config",
	.usage = "get | set | reset | show",
	.summary = "settings stored with the queue",
	.sub = (const struct cmd_entry *const[]){ &cmd_config_get, &cmd_config_set,
						  &cmd_config_reset, &cmd_config_show, NULL },
};
