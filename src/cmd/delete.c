/*
 * delete.c - remove jobs that are not running, with their history and logs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../cmd.h"
#include "../util.h"

extern const struct cmd_entry cmd_delete;

static int collect_id(void *ctx, const char *id)
{
	buf_add(ctx, id, strlen(id) + 1);
	return 0;
}

/*
 * delete ID... [--json]
 * All in one transaction: a typo in the third id deletes nothing, and the logs go only once
 * the rows are gone for good.  Naming a job twice (or by two prefixes) deletes it once.
 */
static int delete_run(struct cmd_ctx *ctx, const struct args *a)
{
	struct buf ids = BUF_INIT;
	struct queue *q;
	char **named;
	int n = 0, rc = 0;

	if (!(q = cmd_queue(ctx)))
		return ctx->err.code;
	named = xcalloc((size_t)a->argc + 1, sizeof *named);
	for (int i = 0; i < a->argc && rc == 0; i++)
		if ((rc = cmd_resolve(ctx, a->argv[i], &named[n])) == 0)
			n++;
	if (rc == 0 && (rc = queue_delete(q, (const char *const *)named, n, collect_id, &ids,
					  &ctx->err)) >= 0) {
		cmd_print_ids(&ids, args_has(a, "json") ? "deleted" : NULL);
		rc = 0;
	}
	for (int i = 0; i < n; i++)
		free(named[i]);
	free(named);
	buf_release(&ids);
	return rc;
}

const struct cmd_entry cmd_delete = {
	.name = "delete",
	.usage = "ID... [--json]",
	.summary = "remove jobs that are not processing, with their logs",
	.args = { .options = (const struct args_option[]){
			  { "json", 0, NULL, "print {\"deleted\": N, \"ids\": [...]}" },
			  { 0 } },
		  .min = 1, .max = ARGS_MANY, .what = "job id", .kind = ARGS_JOB },
	.run = delete_run,
};
