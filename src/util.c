/*
 * util.c - memory, buffers, clocks, timestamps, durations, ids and paths.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

static void oom(void)
{
	fputs("queuectl: out of memory\n", stderr);
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		oom();
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		oom();
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		oom();
	return p;
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		oom();
	va_end(ap);
	return s;
}

static void buf_grow(struct buf *b, size_t extra)
{
	if (b->len + extra + 1 <= b->cap)
		return;
	b->cap = (b->len + extra + 1) * 2;
	b->data = xrealloc(b->data, b->cap);
}

void buf_add(struct buf *b, const void *p, size_t n)
{
	buf_grow(b, n);
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void buf_adds(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	buf_grow(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

char *buf_detach(struct buf *b)
{
	char *s = b->data ? b->data : xstrdup("");

	b->data = NULL;
	b->len = b->cap = 0;
	return s;
}

void buf_release(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

static int64_t clock_ms(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t time_now_ms(void)
{
	return clock_ms(CLOCK_REALTIME);
}

int64_t time_mono_ms(void)
{
	return clock_ms(CLOCK_MONOTONIC);
}

char *time_format(int64_t ms, bool millis, char buf[TIME_BUFSZ])
{
	time_t secs = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
	int frac = (int)(ms - (int64_t)secs * 1000);
	struct tm tm;

	gmtime_r(&secs, &tm);
	if (millis)
		snprintf(buf, TIME_BUFSZ, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
			 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
	else
		snprintf(buf, TIME_BUFSZ, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
			 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	return buf;
}

/* Read exactly n digits at *p into *out, advancing *p. */
static bool digits(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if ((*p)[i] < '0' || (*p)[i] > '9')
			return false;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return true;
}

static int days_in_month(int year, int month)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	return month == 2 && leap ? 29 : days[month - 1];
}

int time_parse(const char *s, int64_t *ms, struct error *err)
{
	const char *p = s;
	int year, mon, day, hour, min, sec, frac = 0, offset = 0;
	struct tm tm = { 0 };

	if (!digits(&p, 4, &year) || *p++ != '-' || !digits(&p, 2, &mon) || *p++ != '-' ||
	    !digits(&p, 2, &day) || (*p != 'T' && *p != 't' && *p != ' ') || !++p || !digits(&p, 2, &hour) ||
	    *p++ != ':' || !digits(&p, 2, &min) || *p++ != ':' || !digits(&p, 2, &sec))
		goto bad;
	/* ISO 8601 allows a comma, and date -Ins writes one. */
	if (*p == '.' || *p == ',') {
		int scale = 100, n = 0;

		for (p++; *p >= '0' && *p <= '9'; p++, n++) {
			frac += (*p - '0') * scale;
			scale /= 10;
		}
		if (n == 0)
			goto bad;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int sign = *p++ == '-' ? -1 : 1, oh, om;

		if (!digits(&p, 2, &oh) || *p++ != ':' || !digits(&p, 2, &om) || oh > 23 || om > 59)
			goto bad;
		offset = sign * (oh * 3600 + om * 60);
	} else {
		goto bad;
	}
	if (*p != '\0')
		goto bad;
	if (year < 1970 || mon < 1 || mon > 12 || day < 1 || day > days_in_month(year, mon) ||
	    hour > 23 || min > 59 || sec > 59)
		return error_set(err, QE_INPUT, "invalid timestamp '%s': no such date or time", s);
	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = day;
	tm.tm_hour = hour;
	tm.tm_min = min;
	tm.tm_sec = sec;
	/* An offset can move the instant out of 1970..9999, where time_format cannot go. */
	int64_t t = ((int64_t)timegm(&tm) - offset) * 1000 + frac;

	if (t < 0 || t > TIME_MS_MAX)
		return error_set(err, QE_INPUT, "invalid timestamp '%s': no such date or time", s);
	*ms = t;
	return 0;
bad:
	return error_set(err, QE_INPUT,
			 "invalid timestamp '%s': expected ISO-8601 like 2025-11-04T10:30:00Z", s);
}

int duration_parse(const char *s, int64_t *secs, struct error *err)
{
	const char *p = s;
	int64_t total = 0;
	unsigned seen = 0; /* the units given so far, one bit each */

	if (*p == '\0')
		return error_set(err, QE_INPUT, "invalid duration '': empty");
	for (bool first = true; *p; first = false) {
		int64_t n = 0, unit;

		if (*p < '0' || *p > '9')
			goto bad;
		for (; *p >= '0' && *p <= '9'; p++) {
			n = n * 10 + (*p - '0');
			if (n > DURATION_MAX)
				goto range;
		}
		switch (*p) {
		case '\0':
			/* A bare number is seconds, but only on its own: "1h30" is a typo. */
			if (!first)
				goto bad;
			unit = 1;
			break;
		case 's': unit = 1; p++; break;
		case 'm': unit = 60; p++; break;
		case 'h': unit = 3600; p++; break;
		case 'd': unit = 86400; p++; break;
		case 'w': unit = 7 * 86400; p++; break;
		default: goto bad;
		}
		/* "1h1h" is a typo rather than 2h.  (A bare number ends on a digit.) */
		if (p[-1] >= 'a' && p[-1] <= 'z') {
			unsigned bit = 1u << (p[-1] & 31);

			if (seen & bit)
				return error_set(err, QE_INPUT, "invalid duration '%s': '%c' given twice",
						 s, p[-1]);
			seen |= bit;
		}
		total += n * unit;
		if (total > DURATION_MAX)
			goto range;
	}
	*secs = total;
	return 0;
bad:
	return error_set(err, QE_INPUT,
			 "invalid duration '%s': expected seconds or a number with s, m, h, d or w "
			 "(like 90s, 5m, 1h30m)",
			 s);
range:
	return error_set(err, QE_INPUT, "invalid duration '%s': longer than 10 years", s);
}

char *duration_format(int64_t secs, char buf[TIME_BUFSZ])
{
	static const struct {
		char unit;
		int64_t secs;
	} units[] = { { 'd', 86400 }, { 'h', 3600 }, { 'm', 60 }, { 's', 1 } };
	size_t len = 0;

	if (secs <= 0) {
		snprintf(buf, TIME_BUFSZ, "0s");
		return buf;
	}
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
		if (secs >= units[i].secs) {
			len += (size_t)snprintf(buf + len, TIME_BUFSZ - len, "%lld%c",
						(long long)(secs / units[i].secs), units[i].unit);
			secs %= units[i].secs;
		}
	}
	return buf;
}

int parse_int(const char *s, long long min, long long max, const char *what, long long *out,
	      struct error *err)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (*s == '\0' || *end != '\0' || (*s != '-' && (*s < '0' || *s > '9')))
		return error_set(err, QE_INPUT, "invalid %s '%s': not a whole number", what, s);
	if (errno == ERANGE || v < min || v > max)
		return error_set(err, QE_INPUT, "invalid %s '%s': must be between %lld and %lld", what,
				 s, min, max);
	*out = v;
	return 0;
}

void id_generate(char out[JOB_ID_GEN_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[JOB_ID_GEN_LEN / 2];
	size_t got = 0;

	while (got < sizeof raw) {
		ssize_t n = getrandom(raw + got, sizeof raw - got, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			abort(); /* getrandom cannot fail for 16 bytes once the pool is ready */
		}
		got += (size_t)n;
	}
	for (size_t i = 0; i < sizeof raw; i++) {
		out[2 * i] = hex[raw[i] >> 4];
		out[2 * i + 1] = hex[raw[i] & 15];
	}
	out[JOB_ID_GEN_LEN] = '\0';
}

bool id_valid(const char *s)
{
	size_t n = 0;

	if (*s == '-' || *s == '.')
		return false;
	for (; s[n]; n++) {
		char c = s[n];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == ':' || c == '-'))
			return false;
	}
	return n >= 1 && n <= JOB_ID_MAX;
}

/* The length of the valid UTF-8 sequence at p (1 to 4), or 0 if p starts an invalid one. */
static size_t utf8_len(const unsigned char *p, const unsigned char *end)
{
	unsigned c = *p, need;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		need = 1;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		need = 2;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 3;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if ((size_t)(end - p) <= need)
		return 0;
	for (unsigned i = 1; i <= need; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	/* Overlong forms, surrogates and code points past U+10FFFF. */
	if ((need == 2 && cp < 0x800) || (need == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return need + 1;
}

bool text_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;

	while (p < end) {
		size_t n = utf8_len(p, end);

		if (n == 0 || (*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r') || *p == 0x7f)
			return false;
		p += n;
	}
	return true;
}

void utf8_sanitize(struct buf *b, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;

	while (p < end) {
		size_t n = utf8_len(p, end);

		if (n == 0 || *p == '\0') {
			buf_adds(b, "\xef\xbf\xbd"); /* U+FFFD REPLACEMENT CHARACTER */
			p++;
		} else {
			buf_add(b, p, n);
			p += n;
		}
	}
}

void shell_quote(struct buf *b, const char *word)
{
	bool plain = *word != '\0';

	for (const char *p = word; *p && plain; p++)
		plain = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
			       "_-+=./,:@%^",
			       *p) != NULL;
	if (plain) {
		buf_adds(b, word);
		return;
	}
	buf_add(b, "'", 1);
	for (const char *p = word; *p; p++) {
		if (*p == '\'')
			buf_adds(b, "'\\''");
		else
			buf_add(b, p, 1);
	}
	buf_add(b, "'", 1);
}

int mkdir_p(const char *path, unsigned mode, struct error *err)
{
	char *copy = xstrdup(path);
	struct stat st;
	int rc = 0;

	if (*path == '\0') {
		free(copy);
		return error_set(err, QE_FAIL, "cannot create a directory with an empty name");
	}
	for (char *p = copy + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char saved = *p;

		*p = '\0';
		if (mkdir(copy, mode) < 0 &&
		    (errno != EEXIST || stat(copy, &st) < 0 || !S_ISDIR(st.st_mode))) {
			rc = error_set(err, QE_FAIL, "cannot create directory '%s': %s", copy,
				       errno == EEXIST ? "a file is in the way" : strerror(errno));
			break;
		}
		*p = saved;
		if (saved == '\0')
			break;
	}
	free(copy);
	return rc;
}

void remove_tree(const char *path)
{
	/* O_NOFOLLOW: a link inside a log directory is removed, never followed. */
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;

	if (!d) {
		if (fd >= 0)
			close(fd);
		unlink(path);
		return;
	}
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		char *child = xasprintf("%s/%s", path, de->d_name);

		remove_tree(child);
		free(child);
	}
	closedir(d);
	rmdir(path);
}

/* A refusal naming the owner of path, by name if it has one. */
static int refuse_owner(const char *what, const char *path, uid_t uid, struct error *err)
{
	struct passwd *pw = getpwuid(uid);
	char *who = pw ? xstrdup(pw->pw_name) : xasprintf("uid %u", (unsigned)uid);
	int rc = error_set(err, QE_FAIL,
			   "refusing the %s '%s': it belongs to %s, not to you; use one of your own",
			   what, path, who);

	free(who);
	return rc;
}

int path_check_private(const char *path, int fd, struct error *err)
{
	uid_t me = geteuid();
	struct stat st;
	char *real, *slash;
	int rc = 0;

	if (fd >= 0) {
		if (fstat(fd, &st) < 0)
			return error_set(err, QE_FAIL, "cannot check '%s': %s", path, strerror(errno));
		if (!S_ISREG(st.st_mode))
			return error_set(err, QE_FAIL, "refusing '%s': not a regular file", path);
		if (st.st_uid != me)
			return refuse_owner("file", path, st.st_uid, err);
		if (st.st_mode & (S_IWGRP | S_IWOTH))
			return error_set(err, QE_FAIL,
					 "refusing the file '%s': group or others may write it; fix: "
					 "chmod go-w '%s'",
					 path, path);
		return 0;
	}
	/* Links resolved, so that what is checked is what is used. */
	if (!(real = realpath(path, NULL)))
		return error_set(err, QE_FAIL, "cannot check the directory '%s': %s", path,
				 strerror(errno));
	for (bool top = true;; top = false) {
		if (stat(real, &st) < 0) {
			rc = error_set(err, QE_FAIL, "cannot check '%s': %s", real, strerror(errno));
			break;
		}
		if (st.st_uid != me && st.st_uid != 0) {
			rc = refuse_owner("directory", real, st.st_uid, err);
			break;
		}
		if ((st.st_mode & (S_IWGRP | S_IWOTH)) && (top || !(st.st_mode & S_ISVTX))) {
			rc = error_set(err, QE_FAIL,
				       "refusing the directory '%s': group or others may write it; "
				       "fix: chmod go-w '%s'",
				       real, real);
			break;
		}
		if (!strcmp(real, "/"))
			break;
		slash = strrchr(real, '/');
		slash[slash == real] = '\0';
	}
	free(real);
	return rc;
}

static int refuse_link(const char *path, struct error *err)
{
	struct stat st;

	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
		return error_set(err, QE_FAIL, "refusing '%s': it is a symbolic link", path);
	return 0;
}

int mkdir_private(const char *path, struct error *err)
{
	return refuse_link(path, err) || mkdir_p(path, 0700, err) || refuse_link(path, err) ||
			       path_check_private(path, -1, err)
		       ? err->code
		       : 0;
}
