/*
 * store/pgload.h - libpq, loaded by the PostgreSQL backend when it opens a store (pgload.c),
 * so that commands on SQLite stores never load it.
 */
#ifndef QUEUECTL_STORE_PGLOAD_H
#define QUEUECTL_STORE_PGLOAD_H

#include "../error.h"

/* Load libpq once per process: 0, or QE_FAIL with one line saying why it cannot be. */
int pq_load(struct error *err);

#endif
