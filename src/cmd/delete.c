/*
 * delete.c - remove jobs that are not running, with their history and logs.
 */
#include <stdio.h>
#include <stdlib.h>

#include "../cmd.h"

extern const struct cmd_entry cmd_delete;

/*
 * delete <id>...
 * Each id is resolved first, so a typo in the third id deletes nothing.
 */
static int delete_run(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct queue *q;
	char **ids;
	int c, n, rc = 0;

	while ((c = cmd_getopt(ctx, &cmd_delete, argc, argv, "", NULL, &rc)) != -1)
		return rc;
	if (optind == argc)
		return cmd_usage_error(ctx, &cmd_delete, "missing job id");
	n = argc - optind;
	ids = calloc((size_t)n, sizeof *ids);
	if (!(q = cmd_queue(ctx)) || store_begin(q->store, &ctx->err)) {
		free(ids);
		return ctx->err.code;
	}
	for (int i = 0; i < n && rc == 0; i++)
		if ((rc = cmd_resolve(ctx, argv[optind + i], &ids[i])) == 0)
			rc = queue_delete(q, ids[i], &ctx->err);
	if (rc == 0)
		rc = store_commit(q->store, &ctx->err);
	if (rc)
		store_rollback(q->store);
	for (int i = 0; i < n; i++) {
		if (rc == 0)
			puts(ids[i]);
		free(ids[i]);
	}
	free(ids);
	return rc;
}

const struct cmd_entry cmd_delete = {
	.name = "delete",
	.usage = "ID...",
	.summary = "remove jobs that are not processing, with their logs",
	.run = delete_run,
};
