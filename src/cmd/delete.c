/*
 * delete.c - remove jobs that are not running, with their history and logs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../cmd.h"
#include "../util.h"

extern const struct cmd_entry cmd_delete;

static int print_id(void *ctx, const char *id)
{
	puts(id);
	return 0;
}

/*
 * delete <id>...
 * All in one transaction: a typo in the third id deletes nothing, and the logs go only once
 * the rows are gone for good.  Naming a job twice (or by two prefixes) deletes it once.
 */
static int delete_run(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct queue *q;
	char **ids;
	int c, n = 0, rc = 0;

	while ((c = cmd_getopt(ctx, &cmd_delete, argc, argv, "", NULL, &rc)) != -1)
		return rc;
	if (optind == argc)
		return cmd_usage_error(ctx, &cmd_delete, "missing job id");
	if (!(q = cmd_queue(ctx)))
		return ctx->err.code;
	ids = xcalloc((size_t)(argc - optind), sizeof *ids);
	for (int i = optind; i < argc && rc == 0; i++)
		if ((rc = cmd_resolve(ctx, argv[i], &ids[n])) == 0)
			n++;
	if (rc == 0 && (rc = queue_delete(q, (const char *const *)ids, n, print_id, NULL,
					  &ctx->err)) > 0)
		rc = 0;
	for (int i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
	return rc;
}

const struct cmd_entry cmd_delete = {
	.name = "delete",
	.usage = "ID...",
	.summary = "remove jobs that are not processing, with their logs",
	.run = delete_run,
};
