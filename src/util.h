/*
 * util.h - small helpers shared by every layer: memory that never returns NULL, growable
 * buffers, clocks, ISO-8601 timestamps, durations, job ids and paths.
 */
#ifndef QUEUECTL_UTIL_H
#define QUEUECTL_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* Allocation wrappers: a CLI process has nothing better to do than abort when memory runs out. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Returns a malloc'd string; the caller frees it. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A growable NUL-terminated byte buffer.  buf_release frees it; buf_detach hands it over. */
struct buf {
	char *data;
	size_t len, cap;
};
#define BUF_INIT { NULL, 0, 0 }
void buf_add(struct buf *b, const void *p, size_t n);
void buf_adds(struct buf *b, const char *s);
void buf_addf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *buf_detach(struct buf *b);
void buf_release(struct buf *b);

/* Wall-clock time in milliseconds since the epoch, and a monotonic clock for deadlines. */
int64_t time_now_ms(void);
int64_t time_mono_ms(void);

/*
 * Format a time as ISO-8601 UTC with a Z suffix: "2025-11-04T10:30:00Z", or with milliseconds
 * ("2025-11-04T10:30:00.123Z") when millis is true.  buf needs TIME_BUFSZ bytes.
 */
#define TIME_BUFSZ 80
/* The last instant time_parse accepts and time_format writes: 9999-12-31T23:59:59.999Z. */
#define TIME_MS_MAX INT64_C(253402300799999)
char *time_format(int64_t ms, bool millis, char buf[TIME_BUFSZ]);

/*
 * Parse an ISO-8601 timestamp: "YYYY-MM-DDTHH:MM:SS" (or RFC 3339's space for the T) with
 * an optional fraction after '.' or ',' (as date -Ins writes) and a "Z" or "+HH:MM"/"-HH:MM"
 * offset (a missing offset is an error: we never guess a time zone).
 */
int time_parse(const char *s, int64_t *ms, struct error *err);

/*
 * Parse a duration into whole seconds: a number of seconds ("90"), or numbers with units
 * s, m, h, d, w, possibly combined ("1h30m"), each unit at most once.  Bounded to DURATION_MAX.
 */
#define DURATION_MAX (10LL * 366 * 24 * 3600)
int duration_parse(const char *s, int64_t *secs, struct error *err);
/* Format seconds as the shortest exact duration ("90s" -> "1m30s", 0 -> "0s"). */
char *duration_format(int64_t secs, char buf[TIME_BUFSZ]);

/* Parse a whole decimal number within [min, max]; what names the value in the message. */
int parse_int(const char *s, long long min, long long max, const char *what, long long *out,
	      struct error *err);

/*
 * A new random job id: 32 lowercase hex digits from the kernel's random source, so any short
 * prefix is almost surely unique (ids are not ordered; creation order is kept separately).
 */
#define JOB_ID_GEN_LEN 32
void id_generate(char out[JOB_ID_GEN_LEN + 1]);

/* Whether s is acceptable as a job id: 1-128 of [A-Za-z0-9._:-], not starting with '-' or '.'. */
#define JOB_ID_MAX 128
bool id_valid(const char *s);

/* Whether s is valid UTF-8 with no NUL and no C0 control byte but tab, CR and newline. */
bool text_valid(const char *s, size_t len);

/*
 * Append s to b with every byte that does not start a valid UTF-8 sequence, and NUL, replaced
 * by U+FFFD, so that program output can go into JSON; valid text is kept as it is.
 */
void utf8_sanitize(struct buf *b, const char *s, size_t len);

/* Append word to b quoted for /bin/sh, quoting only when the word needs it. */
void shell_quote(struct buf *b, const char *word);

/* mkdir -p with the given mode for each directory created. */
int mkdir_p(const char *path, unsigned mode, struct error *err);
/* Remove a directory tree (used for a job's log directory); missing is not an error. */
void remove_tree(const char *path);
/*
 * Refuse what another user could have planted or could change, as ssh refuses ~/.ssh.  With
 * fd < 0, path is a directory: it and every directory above it must belong to us or to root;
 * it must not be writable by group or others, and those above it only if sticky (as /tmp
 * is).  With fd >= 0, path names the file open on fd: a regular file of ours that group and
 * others cannot write.  The refusal names the path and the fix.
 */
int path_check_private(const char *path, int fd, struct error *err);
/*
 * Make a directory of queuectl's own (its parents too), owner-only, and check it with
 * path_check_private.  A symbolic link in its place was put there by someone else: refused,
 * not followed.
 */
int mkdir_private(const char *path, struct error *err);

#endif
