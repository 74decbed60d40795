/*
 * migrate.c - create or migrate the store's schema, and say what was done.  Every command
 * does it on first use; this is for deployments that do it apart, at upgrade time, with a
 * database user that may change the schema while workers use one that may not.
 */
#include <stdio.h>

#include "../cmd.h"

/* migrate [--json] */
static int migrate_run(struct cmd_ctx *ctx, const struct args *a)
{
	struct queue *q = cmd_queue(ctx);
	int found, current;

	if (!q)
		return ctx->err.code;
	queue_schema_version(q, &found, &current);
	if (args_has(a, "json")) {
		json_t *o = json_object();

		json_object_set_new(o, "from", json_integer(found));
		json_object_set_new(o, "to", json_integer(current));
		cmd_print_json(o);
	} else if (found == 0) {
		printf("created the schema at version %d\n", current);
	} else if (found < current) {
		printf("migrated the schema from version %d to %d\n", found, current);
	} else {
		printf("the schema is at version %d already\n", current);
	}
	return 0;
}

const struct cmd_entry cmd_migrate = {
	.name = "migrate",
	.usage = "[--json]",
	.summary = "create or upgrade the store's schema now",
	.help = "Every command creates or upgrades the schema when it first opens the store; this\n"
		"does only that, for upgrades run apart from the workers.\n",
	.args = { .options = (const struct args_option[]){
			  { "json", 0, NULL, "print {\"from\": N, \"to\": N}" },
			  { 0 } } },
	.run = migrate_run,
};
