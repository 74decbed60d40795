/*
 * logs.h - where the output of attempts lives on this machine: one file per run of a job,
 * <root>/logs/<id>.<run>.log, all in one directory (a directory per job cost a mkdir per job
 * and a large share of a worker's time in the kernel), under a local data directory that
 * belongs to this module, not to the store (a store on a server has no directory; the
 * machine that ran an attempt holds its log, and the attempt records which machine that is).
 * An attempt that wrote nothing keeps no log; beside the logs are the workers' spares
 * (logs_spare_path).
 *
 * The root for a store: "<path>.d" beside a database file, so that a queue and its logs move
 * together; for a URL, "<data dir>/logs-<host>-<db>.d" in the data directory of main.c
 * ($QUEUECTL_HOME, else $XDG_DATA_HOME/queuectl, else ~/.local/share/queuectl).
 */
#ifndef QUEUECTL_LOGS_H
#define QUEUECTL_LOGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* The root of the logs of the store named by target (malloc'd); NULL with err set. */
char *logs_root(const char *target, bool is_url, struct error *err);
/* The log of one run of a job (malloc'd). */
char *logs_path(const char *root, const char *id, int run);
/* Make the directory of logs, owner-only, and check it is ours (path_check_private). */
int logs_prepare(const char *root, struct error *err);
/*
 * Remove the logs of the jobs ids[0..n), in one pass over the directory; missing is no error.
 * The same pass removes the spares of workers that are gone (logs_sweep).
 */
void logs_remove(const char *root, const char *const *ids, size_t n);
/*
 * A worker slot's spare log: an empty file, owner-only, that the slot renames into place as
 * an attempt's log (logs_spare_place), and takes back when the attempt wrote nothing
 * (logs_spare_return), so that an attempt costs no new inode (ext4's inode allocation was
 * most of a worker's time in the kernel).  Its name, "<root>/logs/.spare-<tag>", can be no
 * job's log (those end in ".log"); it is locked (flock) while its worker holds it open, so a
 * sweep tells a killed worker's spare from a live one's.
 */
char *logs_spare_path(const char *root, const char *tag);
/*
 * Make the spare at path (emptied if there), open for reading and appending on a descriptor
 * above 2, locked; returns the descriptor, or -1 if it cannot (the caller opens its logs as
 * before).
 */
int logs_spare_make(const char *path);
/*
 * Rename the spare at spare to log, the attempt's log, if nothing is there yet; 0 if done.
 * Else -1 with errno set, the spare left where it was (a file already at log is for the
 * caller to open as before, which truncates it or refuses a link).
 */
int logs_spare_place(const char *spare, const char *log);
/*
 * Rename the log at log back to spare, for an attempt that wrote nothing (the caller knows
 * it empty), if nothing is at spare; 0 if done, the caller's descriptor of it now the spare.
 */
int logs_spare_return(const char *log, const char *spare);
/* Remove the spares under root that no live worker holds; one pass over the directory. */
void logs_sweep(const char *root);
/*
 * Whether fd is still the file at path.  A log that stayed empty is taken back as a spare
 * and becomes another attempt's log: a reader holding it open checks this after each read,
 * and drops what it read (and the descriptor) if not.
 */
bool logs_same(int fd, const char *path);
/*
 * Keep a log within max bytes: past max, its first half and its last half stay, the middle
 * goes, and a marker ends the first half.  While the job may still write (final false) the
 * middle goes in whole blocks, cut out of the file, or, where the file system cannot, only
 * punched out (disk space freed, zeros read back); once the job has ended (final true),
 * exactly.  log_fd, if not -1, is the log open for reading: it spares an open when the log
 * is within max.  Returns the bytes cut out of the file (0 if none, or only punched).
 */
int64_t logs_cap(int log_fd, const char *path, int64_t max, bool final);
/*
 * The last max bytes of a log (malloc'd, NUL-terminated; *len without the NUL); NULL if none
 * or it cannot be read, so that a non-NULL result with *len 0 means an empty log.  From
 * log_fd if not -1 (left open), else from the file at path.
 */
char *logs_tail(int log_fd, const char *path, size_t max, size_t *len);

#endif
