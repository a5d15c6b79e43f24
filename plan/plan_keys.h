/* The plan's keys: which section each belongs to and how its value is read.
 * Private to plan.c, plan_print.c and their tests; other modules read the
 * parsed struct plan. */
#ifndef MW_PLAN_KEYS_H
#define MW_PLAN_KEYS_H

#include <stddef.h>

#include "plan.h"

/* Where a key may be written. Limits keys may also be written in a pair
 * section, where they override [limits] for that pair. */
enum plan_keys_section {
	PLAN_KEYS_RUN,
	PLAN_KEYS_LIMITS,
	PLAN_KEYS_ALERTS,
	PLAN_KEYS_PAIR,
};

enum plan_keys_id {
	/* [run] */
	PLAN_KEY_ON_FAILURE,
	PLAN_KEY_RETRIES,
	PLAN_KEY_START_MIN_AVAILABLE,
	PLAN_KEY_START_MAX_SWAP_USED,
	PLAN_KEY_GATE_TIMEOUT,
	PLAN_KEY_LOG_DIR,
	PLAN_KEY_JOBS,
	PLAN_KEY_MEMORY_BUDGET,
	/* [limits] */
	PLAN_KEY_KILL_RSS,
	PLAN_KEY_WARN_AT,
	PLAN_KEY_MEMORY_MAX,
	PLAN_KEY_SWAP_MAX,
	PLAN_KEY_TIMEOUT,
	PLAN_KEY_KILL_GRACE,
	PLAN_KEY_VERIFY_TIMEOUT,
	PLAN_KEY_BLOAT_RATIO,
	PLAN_KEY_EXPECTED_RATIO,
	PLAN_KEY_DEADLOCK_WINDOW,
	PLAN_KEY_ON_DEADLOCK,
	PLAN_KEY_CAPTURE,
	PLAN_KEY_PRESSURE_AVAILABLE,
	PLAN_KEY_PRESSURE_SWAP,
	PLAN_KEY_PRESSURE_PSI,
	/* [alerts] */
	PLAN_KEY_WEBHOOK_URL_FILE,
	PLAN_KEY_FORMAT,
	PLAN_KEY_COOLDOWN,
	/* [pair NAME] */
	PLAN_KEY_COMMAND,
	PLAN_KEY_INPUTS,
	PLAN_KEY_OUTPUT,
	PLAN_KEY_VERIFY,
	PLAN_KEY_CLEANUP,
	PLAN_KEY_CWD,
	PLAN_KEY_ENV,
	PLAN_KEY_PROGRESS_REGEX,
	PLAN_KEY_COUNT
};

/* Which total a percentage of a size key is taken of. */
enum plan_keys_base { PLAN_KEYS_BASE_NONE, PLAN_KEYS_BASE_MEM, PLAN_KEYS_BASE_SWAP };

/* The key named name (exact spelling), or -1. */
int plan_keys_find(const char *name);

const char *plan_keys_name(enum plan_keys_id key);
enum plan_keys_section plan_keys_section(enum plan_keys_id key);
enum plan_keys_base plan_keys_base(enum plan_keys_id key);

/* Levenshtein distance between a and b, ignoring case; 64 when either is
 * longer than 63 characters. */
int plan_keys_distance(const char *a, const char *b);

/* The known key allowed in section that is closest to name (edit distance
 * at most 2, ignoring case), or NULL. Static string. */
const char *plan_keys_suggest(const char *name, enum plan_keys_section section);

/* Setters. Each parses value for key into its target and returns 0, or
 * -EINVAL with why (no key, no value: "must be alert, kill or restart") and
 * the target unchanged, or -ENOMEM. base_dir is the directory relative paths
 * are made absolute against (log_dir; webhook_url_file), NULL to keep
 * relative paths as given. Strings are copied. */
int plan_keys_set_run(struct plan *plan, enum plan_keys_id key, const char *value,
                      const char *base_dir, char *why, size_t len);
int plan_keys_set_limit(struct limits *limits, enum plan_keys_id key, const char *value, char *why,
                        size_t len);
int plan_keys_set_alert(struct plan *plan, enum plan_keys_id key, const char *value,
                        const char *base_dir, char *why, size_t len);
int plan_keys_set_pair(struct pair_spec *pair, enum plan_keys_id key, const char *value, char *why,
                       size_t len);

/* Fills limits with the built-in defaults (SPEC "Defaults"). */
void plan_keys_limits_default(struct limits *limits);

/* Deep copy of src into dst (dst's old strings are not freed). 0 or -ENOMEM. */
int plan_keys_limits_copy(struct limits *dst, const struct limits *src);

/* Frees the strings a limits owns. */
void plan_keys_limits_free(struct limits *limits);

/* Joins dir and path with '/', or copies path if it is absolute or dir is
 * NULL; expands a leading "~/" with $HOME. Returns a string the caller frees,
 * or NULL with errno (ENOENT: $HOME unset; ENOMEM). */
char *plan_keys_path(const char *dir, const char *path);

#endif
