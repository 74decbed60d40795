/*
 * config.h - the settings table and the values the queue layer reads from the store.
 *
 * One row per setting (name, type, bounds, default, help) serves config get/set/show, the
 * validation of values and the man page.  Values live in the store, so every process that
 * opens the same store sees the same settings; this module only validates and applies them.
 */
#ifndef QUEUECTL_CONFIG_H
#define QUEUECTL_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"

enum config_type {
	CONFIG_INT,	 /* a whole number */
	CONFIG_REAL,	 /* a decimal number */
	CONFIG_DURATION, /* seconds, or "90s", "5m", "1h30m"; stored as seconds */
	CONFIG_CHOICE,	 /* one of the words in choices */
	CONFIG_SIZE,	 /* bytes, or "512K", "4M", "1G" (KiB, MiB, GiB); stored as bytes */
};

struct config_setting {
	const char *name; /* canonical spelling, with dashes */
	enum config_type type;
	double min, max;
	const char *def; /* default, in its canonical text form */
	const char *help;
	const char *const *choices; /* CONFIG_CHOICE: the words allowed, NULL-terminated */
};

extern const struct config_setting config_settings[];
extern const int config_nsettings;

/* The settings as the queue layer uses them. */
struct config {
	int max_retries;
	double backoff_base;
	int64_t backoff_max; /* seconds */
	int64_t job_timeout; /* seconds; 0 = none */
	int64_t lease;	     /* seconds a claim lasts without a heartbeat */
	bool durable;	     /* durability full: every commit reaches the disk */
	int64_t max_output;  /* bytes of output kept per attempt */
};

/* Find a setting by name, accepting "max_retries" for "max-retries"; NULL if unknown. */
const struct config_setting *config_find(const char *name);
/* QE_INPUT "unknown config key 'x' (valid: ...)". */
int config_unknown(const char *name, struct error *err);

/*
 * Validate value for setting s and return its canonical text in *out (malloc'd; the caller
 * frees it): "1h" becomes "3600".  QE_INPUT names the key, the value and the rule.
 */
int config_normalize(const struct config_setting *s, const char *value, char **out,
		     struct error *err);

/* Set every setting to its default. */
void config_defaults(struct config *cfg);
/*
 * Apply one stored value (as the store keeps it: key and text) on top of cfg.  A key that is
 * not known or a value that no longer validates (a key from a newer version, a hand-edited
 * row) is ignored: the setting keeps its value, rather than every command failing.
 */
void config_apply_stored(struct config *cfg, const char *key, const char *value);

/* The settings in effect as canonical text, indexed like config_settings (queue_settings). */
#define CONFIG_MAX 32
struct config_text {
	char *v[CONFIG_MAX];
};
/*
 * Put a stored value in its place in t, as config_apply_stored does: an unknown key or a
 * value that no longer validates is ignored.
 */
void config_text_apply(struct config_text *t, const char *key, const char *value);
/* Give every setting t does not hold its default; config_text_release frees them all. */
void config_text_fill(struct config_text *t);
void config_text_release(struct config_text *t);

#endif
