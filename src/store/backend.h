/*
 * store/backend.h - what a storage backend implements: the table of operations behind the
 * opaque struct store of store.h, and the base struct every backend embeds.
 *
 * Only src/store.c and the backends in src/store/ include this (as git's refs-internal.h):
 * everyone else goes through the store_* wrappers, where the contract of each operation is
 * written down.  An operation here means what its wrapper in store.h says, nothing more.
 */
#ifndef QUEUECTL_STORE_BACKEND_H
#define QUEUECTL_STORE_BACKEND_H

#include <stdbool.h>
#include <stdint.h>

#include "../error.h"
#include "../job.h"
#include "../store.h"

struct store_ops {
	const char *name;
	int (*open)(const char *target, struct store **out, struct error *err);
	void (*close)(struct store *st);
	int (*now)(struct store *st, int64_t *ms, struct error *err);

	int (*begin)(struct store *st, struct error *err);
	int (*commit)(struct store *st, struct error *err);
	void (*rollback)(struct store *st);

	int (*insert)(struct store *st, const struct job *job, struct error *err);
	/*
	 * The first two ids in [lo, hi), in order, that are lo itself or a generated id (32
	 * lowercase hex digits), malloc'd into found; *n says how many (0 to 2).
	 */
	int (*resolve)(struct store *st, const char *lo, const char *hi, char *found[2], int *n,
		       struct error *err);
	int (*get)(struct store *st, const char *id, struct job *job, struct error *err);
	int (*list)(struct store *st, const struct job_filter *f, job_visit_fn *fn, void *ctx,
		    struct error *err);
	int (*counts)(struct store *st, long long counts[JOB_NSTATES], struct error *err);
	int (*update)(struct store *st, const struct job *job, enum job_state expect,
		      const char *expect_worker, struct error *err);
	int (*remove)(struct store *st, const char *id, struct error *err);
	int (*purge)(struct store *st, enum job_state state, int64_t before, id_visit_fn *fn,
		     void *ctx, struct error *err);

	int (*config_list)(struct store *st, kv_visit_fn *fn, void *ctx, struct error *err);
	int (*config_set)(struct store *st, const char *key, const char *value, struct error *err);
	int (*config_unset)(struct store *st, const char *key, struct error *err);

	int (*claim)(struct store *st, const struct claim_req *req, struct job *jobs, int max,
		     struct error *err);
	int (*started)(struct store *st, const char *job_id, const char *worker_id, int pid,
		       long long pid_start, struct error *err);
	int (*renew)(struct store *st, const char *worker_id, int64_t lease_until,
		     struct error *err);
	int (*release)(struct store *st, const char *worker_id, const char *job_id, int64_t now,
		       struct error *err);
	int (*unclaim)(struct store *st, const struct job *job, int64_t now, struct error *err);
	int (*recover_leases)(struct store *st, int64_t now, const char *except, struct error *err);
	int (*prune_workers)(struct store *st, int64_t now, struct error *err);
	int (*next_due)(struct store *st, const struct claim_req *req, int64_t *when,
			struct error *err);

	int (*attempt_add)(struct store *st, const struct attempt *a, struct error *err);
	int (*attempt_list)(struct store *st, const char *job_id, attempt_visit_fn *fn, void *ctx,
			    struct error *err);

	int (*worker_add)(struct store *st, const struct worker_info *w, struct error *err);
	int (*worker_beat)(struct store *st, const char *id, int64_t now, int64_t stale_at,
			   struct error *err);
	int (*worker_remove)(struct store *st, const char *id, struct error *err);
	int (*worker_list)(struct store *st, worker_visit_fn *fn, void *ctx, struct error *err);
	int (*worker_stop)(struct store *st, const char *id, struct error *err);
	int (*worker_stop_requested)(struct store *st, const char *id, struct error *err);

	void (*notify)(struct store *st);
	int (*wait_fd)(struct store *st, struct error *err);
	void (*wait_drain)(struct store *st);
	int (*changes_fd)(struct store *st, struct error *err);
	int (*verify)(struct store *st, struct error *err);

	int (*summaries)(struct store *st, int64_t now, summary_visit_fn *fn, void *ctx,
			 struct error *err);
	int (*counters)(struct store *st, counter_visit_fn *fn, void *ctx, struct error *err);
	int (*finished_since)(struct store *st, int64_t since, const char *queue,
			      finished_visit_fn *fn, void *ctx, struct error *err);

	const char *(*files_dir)(struct store *st);
	void (*schema_version)(struct store *st, int *found, int *current);
	int (*set_durable)(struct store *st, bool durable, struct error *err);
};

/*
 * Every backend's private struct embeds this as its first member, and converts a struct
 * store back to its own with a downcast that checks ops first (as sqlite.c's ss()).
 */
struct store {
	const struct store_ops *ops;
	char *target; /* the path or URL it was opened with */
	const int64_t *pinned_now; /* store_pin_clock's, for tests; NULL: ops->now */
};

/* The backends, each defined at the end of its file in store/ and listed in store.c. */
extern const struct store_ops sqlite_store_ops;
extern const struct store_ops pg_store_ops;

#endif
