/*
 * states.h - the state lists both backends' statements spell, as SQL text, so that a
 * state's name is written in one place: each is one operation's from or to states in the
 * table of job.h (job_ops), and backend_state_lists_ok checks them against it.
 *
 * Only the backends include this.  A list used with "=" or SET holds one state; were the
 * table to give it more, the statements would not prepare.  Both backends' first migration
 * spells CLAIM_FROM and HELD in its partial indexes too: the planner uses a partial index
 * only for a query that repeats its predicate.
 */
#ifndef QUEUECTL_STORE_STATES_H
#define QUEUECTL_STORE_STATES_H

#include <stdbool.h>

#define CLAIM_FROM "'pending','failed'"		      /* claim: from (when due) */
#define CLAIM_TO "'processing'"			      /* claim: to */
#define HELD "'processing'"			      /* finish, release, recover: from */
#define RELEASE_TO "'pending'"			      /* release, recover: to */
#define DELETE_FROM "'pending','completed','failed','dead'" /* delete: from */

/* Whether every list above is what job_ops says, in the order of enum job_state. */
bool backend_state_lists_ok(void);

#endif
