/*
 * config.c - the settings table, validation, and applying stored values.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "job.h"
#include "util.h"

/*
 * Adding a setting: add its row here and its field to struct config, then read it in
 * config_apply.  The man page's CONFIGURATION section lists the same rows.
 */
const struct config_setting config_settings[] = {
	{ "max-retries", CONFIG_INT, 0, 1000, "3",
	  "retries after a job's first attempt; copied into each job when it is enqueued", NULL },
	{ "backoff-base", CONFIG_REAL, JOB_BACKOFF_BASE_MIN, JOB_BACKOFF_BASE_MAX, "2",
	  "a failed job waits backoff-base ^ attempts seconds before its next attempt", NULL },
	{ "backoff-max", CONFIG_DURATION, 0, DURATION_MAX, "3600",
	  "the longest retry delay, in seconds (or a duration like 1h)", NULL },
	{ "job-timeout", CONFIG_DURATION, 0, DURATION_MAX, "0",
	  "timeout copied into each job when it is enqueued, in seconds; 0 means none", NULL },
	{ "lease", CONFIG_DURATION, 2, 86400, "30",
	  "how long a claimed job stays claimed after its worker's last heartbeat", NULL },
	{ "durability", CONFIG_CHOICE, 0, 0, "normal",
	  "normal: a crash loses nothing, a power loss may lose the last commits; full: every "
	  "commit is synced to disk (slower)",
	  (const char *const[]){ "normal", "full", NULL } },
	{ "max-output", CONFIG_SIZE, 65536, 1099511627776.0, "8388608",
	  "output kept per attempt, in bytes (or 512K, 4M, 1G); past it the first and the last "
	  "halves are kept, the middle is left out",
	  NULL },
};
const int config_nsettings = sizeof config_settings / sizeof config_settings[0];
_Static_assert(sizeof config_settings / sizeof config_settings[0] <= CONFIG_MAX,
	       "struct config_text holds every setting");

const struct config_setting *config_find(const char *name)
{
	char canon[64];
	size_t n = strlen(name);

	if (n >= sizeof canon)
		return NULL;
	for (size_t i = 0; i <= n; i++)
		canon[i] = name[i] == '_' ? '-' : name[i];
	for (int i = 0; i < config_nsettings; i++)
		if (!strcmp(canon, config_settings[i].name))
			return &config_settings[i];
	return NULL;
}

int config_unknown(const char *name, struct error *err)
{
	struct buf b = BUF_INIT;
	int rc;

	for (int i = 0; i < config_nsettings; i++)
		buf_addf(&b, "%s%s", i ? ", " : "", config_settings[i].name);
	rc = error_set(err, QE_INPUT, "unknown config key '%.64s' (valid: %s)", name, b.data);
	buf_release(&b);
	return rc;
}

int config_normalize(const struct config_setting *s, const char *value, char **out,
		     struct error *err)
{
	long long n;
	int64_t secs;
	double d;
	char *end;

	switch (s->type) {
	case CONFIG_INT:
		if (parse_int(value, (long long)s->min, (long long)s->max, s->name, &n, err))
			return err->code;
		*out = xasprintf("%lld", n);
		return 0;
	case CONFIG_REAL:
		errno = 0;
		d = strtod(value, &end);
		if (*value == '\0' || *end != '\0' || errno || !isfinite(d) ||
		    strspn(value, "0123456789.eE+-") != strlen(value) || /* no hex, inf, nan */
		    !strchr("0123456789.", *value))
			return error_set(err, QE_INPUT, "invalid %s '%s': not a number", s->name,
					 value);
		if (d < s->min || d > s->max)
			return error_set(err, QE_INPUT, "invalid %s '%s': must be between %g and %g",
					 s->name, value, s->min, s->max);
		/* The shortest plain decimal that reads back: "2", "1.5", never "1e+01". */
		*out = xasprintf("%.17g", d);
		for (int prec = 1; prec <= 17; prec++) {
			char *t = d == (long long)d ? xasprintf("%.0f", d)
						    : xasprintf("%.*f", prec, d);

			if (strtod(t, NULL) == d) {
				free(*out);
				*out = t;
				break;
			}
			free(t);
		}
		return 0;
	case CONFIG_CHOICE:
		for (int i = 0; s->choices[i]; i++) {
			if (!strcmp(value, s->choices[i])) {
				*out = xstrdup(value);
				return 0;
			}
		}
		return error_set(err, QE_INPUT, "invalid %s '%s': must be %s or %s", s->name, value,
				 s->choices[0], s->choices[1]);
	case CONFIG_SIZE: {
		/* A number of bytes, or of KiB, MiB or GiB: "512K", "4M", "4MiB", "1g". */
		static const char units[] = "KMG";
		const char *u;

		/* Digits first: strtoll would take a sign, and a negative size has no meaning. */
		errno = 0;
		n = isdigit((unsigned char)*value) ? strtoll(value, &end, 10) : -1;
		u = n >= 0 && *end ? strchr(units, toupper((unsigned char)*end)) : NULL;
		if (u && (!end[1] || !strcmp(end + 1, "B") || !strcmp(end + 1, "iB"))) {
			for (const char *k = units; k <= u; k++)
				n = n > LLONG_MAX / 1024 ? LLONG_MAX : n * 1024;
			end = "";
		}
		if (n < 0 || errno || *end != '\0')
			return error_set(err, QE_INPUT,
					 "invalid %s '%s': not a size (bytes, or a number with K, M "
					 "or G)",
					 s->name, value);
		if (n < s->min || n > s->max)
			return error_set(err, QE_INPUT,
					 "invalid %s '%s': must be between 64K and 1024G", s->name,
					 value);
		*out = xasprintf("%lld", n);
		return 0;
	}
	case CONFIG_DURATION:
		if (duration_parse(value, &secs, err))
			return error_prefix(err, "%s: ", s->name);
		if (secs < s->min || secs > s->max)
			return error_set(err, QE_INPUT,
					 "invalid %s '%s': must be between %.0f and %.0f seconds",
					 s->name, value, s->min, s->max);
		*out = xasprintf("%lld", (long long)secs);
		return 0;
	}
	return error_set(err, QE_FAIL, "setting '%s' has no type", s->name);
}

/* Store one canonical value into its field of cfg. */
static void config_apply(struct config *cfg, const struct config_setting *s, const char *v)
{
	if (!strcmp(s->name, "max-retries"))
		cfg->max_retries = atoi(v);
	else if (!strcmp(s->name, "backoff-base"))
		cfg->backoff_base = strtod(v, NULL);
	else if (!strcmp(s->name, "backoff-max"))
		cfg->backoff_max = strtoll(v, NULL, 10);
	else if (!strcmp(s->name, "job-timeout"))
		cfg->job_timeout = strtoll(v, NULL, 10);
	else if (!strcmp(s->name, "lease"))
		cfg->lease = strtoll(v, NULL, 10);
	else if (!strcmp(s->name, "durability"))
		cfg->durable = !strcmp(v, "full");
	else if (!strcmp(s->name, "max-output"))
		cfg->max_output = strtoll(v, NULL, 10);
}

void config_defaults(struct config *cfg)
{
	for (int i = 0; i < config_nsettings; i++)
		config_apply(cfg, &config_settings[i], config_settings[i].def);
}

void config_apply_stored(struct config *cfg, const char *key, const char *value)
{
	const struct config_setting *s = config_find(key);
	struct error ignored;
	char *canon;

	if (s && config_normalize(s, value, &canon, &ignored) == 0) {
		config_apply(cfg, s, canon);
		free(canon);
	}
}

void config_text_apply(struct config_text *t, const char *key, const char *value)
{
	const struct config_setting *s = config_find(key);
	struct error ignored;
	char *canon;

	if (s && config_normalize(s, value, &canon, &ignored) == 0) {
		free(t->v[s - config_settings]);
		t->v[s - config_settings] = canon;
	}
}

void config_text_fill(struct config_text *t)
{
	for (int i = 0; i < config_nsettings; i++)
		if (!t->v[i])
			t->v[i] = xstrdup(config_settings[i].def);
}

void config_text_release(struct config_text *t)
{
	for (int i = 0; i < config_nsettings; i++) {
		free(t->v[i]);
		t->v[i] = NULL;
	}
}
