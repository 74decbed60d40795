/*
 * states.c - the check of the state lists in states.h against job.h's table.
 */
#include <stdio.h>
#include <string.h>

#include "../job.h"
#include "states.h"

static const struct {
	const char *sql;
	enum job_op op;
	bool to;
} state_lists[] = {
	{ CLAIM_FROM, JOB_OP_CLAIM, false },  { CLAIM_TO, JOB_OP_CLAIM, true },
	{ HELD, JOB_OP_FINISH, false },	      { HELD, JOB_OP_RELEASE, false },
	{ HELD, JOB_OP_RECOVER, false },      { RELEASE_TO, JOB_OP_RELEASE, true },
	{ RELEASE_TO, JOB_OP_RECOVER, true }, { DELETE_FROM, JOB_OP_DELETE, false },
};

bool backend_state_lists_ok(void)
{
	for (size_t i = 0; i < sizeof state_lists / sizeof state_lists[0]; i++) {
		const struct job_op_rule *r = &job_ops[state_lists[i].op];
		unsigned set = state_lists[i].to ? r->to : r->from;
		char want[128] = "";

		for (int st = 0; st < JOB_NSTATES; st++)
			if (set & JOB_BIT(st))
				snprintf(want + strlen(want), sizeof want - strlen(want), "%s'%s'",
					 want[0] ? "," : "", job_state_name((enum job_state)st));
		if (strcmp(want, state_lists[i].sql))
			return false;
	}
	return true;
}
