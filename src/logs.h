/*
 * logs.h - where the output of attempts lives on this machine: one file per run of a job,
 * <root>/logs/<id>/<run>.log, under a local data directory that belongs to this module, not
 * to the store (a store on a server has no directory; the machine that ran an attempt holds
 * its log, and the attempt records which machine that is).
 *
 * The root for a store: "<path>.d" beside a database file, so that a queue and its logs move
 * together; for a URL, "<data dir>/logs-<host>-<db>.d" in the data directory of main.c
 * ($QUEUECTL_HOME, else $XDG_DATA_HOME/queuectl, else ~/.local/share/queuectl).
 */
#ifndef QUEUECTL_LOGS_H
#define QUEUECTL_LOGS_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

/* The root of the logs of the store named by target (malloc'd); NULL with err set. */
char *logs_root(const char *target, bool is_url, struct error *err);
/* A job's directory of logs, and the log of one of its runs (malloc'd). */
char *logs_dir(const char *root, const char *id);
char *logs_path(const char *root, const char *id, int run);
/* Make the job's directory (owner-only) before its run starts. */
int logs_prepare(const char *root, const char *id, struct error *err);
/* Remove a job's logs; missing ones are no error. */
void logs_remove(const char *root, const char *id);
/* The last max bytes of a log (malloc'd, NUL-terminated; *len without the NUL); NULL if none. */
char *logs_tail(const char *path, size_t max, size_t *len);

#endif
