/*
 * delete.c - remove jobs that are not running, with their history and logs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../cmd.h"
#include "../util.h"

extern const struct cmd_entry cmd_delete;

/*
 * delete ID... [--json]
 * All in one transaction: a typo in the third id deletes nothing, and the logs go only once
 * the rows are gone for good.  Naming a job twice (or by two prefixes) deletes it once.
 */
static int delete_run(struct cmd_ctx *ctx, const struct args *a)
{
	struct buf ids = BUF_INIT;
	struct queue *q;
	int rc = 0;

	if (!(q = cmd_queue(ctx)) || store_begin(q->store, &ctx->err))
		return ctx->err.code;
	for (int i = 0; i < a->argc && rc == 0; i++) {
		char *id;

		if ((rc = cmd_resolve(ctx, a->argv[i], &id)))
			break;
		if (!cmd_ids_has(&ids, id)) {
			buf_add(&ids, id, strlen(id) + 1);
			rc = queue_delete(q, id, &ctx->err);
		}
		free(id);
	}
	if (rc == 0)
		rc = store_commit(q->store, &ctx->err);
	if (rc) {
		store_rollback(q->store);
	} else {
		for (size_t off = 0; off < ids.len; off += strlen(ids.data + off) + 1)
			queue_remove_logs(q, ids.data + off);
		cmd_print_ids(&ids, args_has(a, "json") ? "deleted" : NULL);
	}
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
