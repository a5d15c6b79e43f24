/* Every plan key: its section, and how its value is read and checked. The
 * same setters serve the plan file (plan.c) and the command-line options
 * (plan_override), so a value means the same thing in both. */
#include <ctype.h>
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan_keys.h"

static const struct plan_keys_info {
	const char *name;
	enum plan_keys_section section;
	enum plan_keys_base base;
} plan_keys_table[PLAN_KEY_COUNT] = {
	[PLAN_KEY_ON_FAILURE] = { "on_failure", PLAN_KEYS_RUN, PLAN_KEYS_BASE_NONE },
	[PLAN_KEY_RETRIES] = { "retries", PLAN_KEYS_RUN, PLAN_KEYS_BASE_NONE },
	[PLAN_KEY_START_MIN_AVAILABLE] = { "start_min_available", PLAN_KEYS_RUN,
	                                   PLAN_KEYS_BASE_MEM },
	[PLAN_KEY_START_MAX_SWAP_USED] = { "start_max_swap_used", PLAN_KEYS_RUN,
	                                   PLAN_KEYS_BASE_SWAP },
	[PLAN_KEY_GATE_TIMEOUT] = { "gate_timeout", PLAN_KEYS_RUN, PLAN_KEYS_BASE_NONE },
	[PLAN_KEY_LOG_DIR] = { "log_dir", PLAN_KEYS_RUN, PLAN_KEYS_BASE_NONE },
	[PLAN_KEY_JOBS] = { "jobs", PLAN_KEYS_RUN, PLAN_KEYS_BASE_NONE },
	[PLAN_KEY_MEMORY_BUDGET] = { "memory_budget", PLAN_KEYS_RUN, PLAN_KEYS_BASE_MEM },
	[PLAN_KEY_KILL_RSS] = { "kill_rss", PLAN_KEYS_LIMITS, PLAN_KEYS_BASE_MEM },
	[PLAN_KEY_WARN_AT] = { "warn_at", PLAN_KEYS_LIMITS, PLAN_KEYS_BASE_NONE },
	[PLAN_KEY_MEMORY_MAX] = { "memory_max", PLAN_KEYS_LIMITS, PLAN_KEYS_BASE_MEM },
	[PLAN_KEY_SWAP_MAX] = { "swap_max", PLAN_KEYS_LIMITS, PLAN_KEYS_BASE_SWAP },
	[PLAN_KEY_TIMEOUT] = { "timeout", PLAN_KEYS_LIMITS, PLAN_KEYS_BASE_NONE },
	[PLAN_KEY_KILL_GRACE] = { "kill_grace", PLAN_KEYS_LIMITS, PLAN_KEYS_BASE_NONE },
	[PLAN_KEY_VERIFY_TIMEOUT] = { "verify_timeout", PLAN_KEYS_LIMITS, PLAN_KEYS_BASE_NONE },
	[PLAN_KEY_BLOAT_RATIO] = { "bloat_ratio", PLAN_KEYS_LIMITS, PLAN_KEYS_BASE_NONE },
	[PLAN_KEY_EXPECTED_RATIO] = { "expected_ratio", PLAN_KEYS_LIMITS, PLAN_KEYS_BASE_NONE },
	[PLAN_KEY_DEADLOCK_WINDOW] = { "deadlock_window", PLAN_KEYS_LIMITS, PLAN_KEYS_BASE_NONE },
	[PLAN_KEY_ON_DEADLOCK] = { "on_deadlock", PLAN_KEYS_LIMITS, PLAN_KEYS_BASE_NONE },
	[PLAN_KEY_CAPTURE] = { "capture", PLAN_KEYS_LIMITS, PLAN_KEYS_BASE_NONE },
	[PLAN_KEY_PRESSURE_AVAILABLE] = { "pressure_available", PLAN_KEYS_LIMITS,
	                                  PLAN_KEYS_BASE_MEM },
	[PLAN_KEY_PRESSURE_SWAP] = { "pressure_swap", PLAN_KEYS_LIMITS, PLAN_KEYS_BASE_SWAP },
	[PLAN_KEY_PRESSURE_PSI] = { "pressure_psi", PLAN_KEYS_LIMITS, PLAN_KEYS_BASE_NONE },
	[PLAN_KEY_WEBHOOK_URL_FILE] = { "webhook_url_file", PLAN_KEYS_ALERTS, PLAN_KEYS_BASE_NONE },
	[PLAN_KEY_FORMAT] = { "format", PLAN_KEYS_ALERTS, PLAN_KEYS_BASE_NONE },
	[PLAN_KEY_COOLDOWN] = { "cooldown", PLAN_KEYS_ALERTS, PLAN_KEYS_BASE_NONE },
	[PLAN_KEY_COMMAND] = { "command", PLAN_KEYS_PAIR, PLAN_KEYS_BASE_NONE },
	[PLAN_KEY_INPUTS] = { "inputs", PLAN_KEYS_PAIR, PLAN_KEYS_BASE_NONE },
	[PLAN_KEY_OUTPUT] = { "output", PLAN_KEYS_PAIR, PLAN_KEYS_BASE_NONE },
	[PLAN_KEY_VERIFY] = { "verify", PLAN_KEYS_PAIR, PLAN_KEYS_BASE_NONE },
	[PLAN_KEY_CLEANUP] = { "cleanup", PLAN_KEYS_PAIR, PLAN_KEYS_BASE_NONE },
	[PLAN_KEY_CWD] = { "cwd", PLAN_KEYS_PAIR, PLAN_KEYS_BASE_NONE },
	[PLAN_KEY_ENV] = { "env", PLAN_KEYS_PAIR, PLAN_KEYS_BASE_NONE },
	[PLAN_KEY_PROGRESS_REGEX] = { "progress_regex", PLAN_KEYS_PAIR, PLAN_KEYS_BASE_NONE },
};

/* Size kinds a key accepts. */
enum {
	ALLOW_BYTES = 1 << 0, /* always with ALLOW_PERCENT here */
	ALLOW_UNLIMITED = 1 << 1,
	ALLOW_AUTO = 1 << 2,
	NOT_ZERO = 1 << 3, /* 0 bytes or 0% refused */
};

int plan_keys_find(const char *name)
{
	for (int i = 0; i < PLAN_KEY_COUNT; i++) {
		if (strcmp(plan_keys_table[i].name, name) == 0)
			return i;
	}
	return -1;
}

const char *plan_keys_name(enum plan_keys_id key)
{
	return plan_keys_table[key].name;
}

enum plan_keys_section plan_keys_section(enum plan_keys_id key)
{
	return plan_keys_table[key].section;
}

enum plan_keys_base plan_keys_base(enum plan_keys_id key)
{
	return plan_keys_table[key].base;
}

int plan_keys_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	int row[64];

	if (la > 63 || lb > 63)
		return 64;
	for (size_t j = 0; j <= lb; j++)
		row[j] = (int)j;
	for (size_t i = 1; i <= la; i++) {
		int diagonal = row[0];
		row[0] = (int)i;
		for (size_t j = 1; j <= lb; j++) {
			int above = row[j];
			int cost = tolower((unsigned char)a[i - 1]) !=
			           tolower((unsigned char)b[j - 1]);
			int best = diagonal + cost;
			if (above + 1 < best)
				best = above + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diagonal = above;
		}
	}
	return row[lb];
}

const char *plan_keys_suggest(const char *name, enum plan_keys_section section)
{
	const char *best = NULL;
	int best_distance = 3;

	for (int i = 0; i < PLAN_KEY_COUNT; i++) {
		enum plan_keys_section s = plan_keys_table[i].section;
		int d;

		if (s != section && !(section == PLAN_KEYS_PAIR && s == PLAN_KEYS_LIMITS))
			continue;
		d = plan_keys_distance(name, plan_keys_table[i].name);
		if (d < best_distance) {
			best = plan_keys_table[i].name;
			best_distance = d;
		}
	}
	return best;
}

char *plan_keys_path(const char *dir, const char *path)
{
	const char *home;
	char *out;
	int n;

	if (path[0] == '~' && (path[1] == '/' || path[1] == '\0')) {
		home = getenv("HOME");
		if (home == NULL || home[0] == '\0') {
			errno = ENOENT;
			return NULL;
		}
		n = asprintf(&out, "%s%s", home, path + 1);
	} else if (path[0] == '/' || dir == NULL) {
		n = asprintf(&out, "%s", path);
	} else {
		while (path[0] == '.' && path[1] == '/')
			path += 2;
		if (strcmp(path, ".") == 0 || path[0] == '\0')
			n = asprintf(&out, "%s", dir);
		else
			n = asprintf(&out, "%s%s%s", dir,
			             dir[0] != '\0' && dir[strlen(dir) - 1] == '/' ? "" : "/",
			             path);
	}
	if (n < 0) {
		errno = ENOMEM;
		return NULL;
	}
	return out;
}

static int fail(char *why, size_t len, const char *text)
{
	snprintf(why, len, "%s", text);
	return -EINVAL;
}

/* Optional strings: empty or "none" means unset (NULL). */
static bool is_none(const char *value)
{
	return value[0] == '\0' || strcmp(value, "none") == 0;
}

static int set_string(char **dst, const char *value, bool optional, char *why, size_t len)
{
	char *copy = NULL;

	if (!optional && value[0] == '\0')
		return fail(why, len, "must not be empty");
	if (!optional || !is_none(value)) {
		copy = strdup(value);
		if (copy == NULL)
			return -ENOMEM;
	}
	free(*dst);
	*dst = copy;
	return 0;
}

static int set_path(char **dst, const char *value, const char *base_dir, bool optional, char *why,
                    size_t len)
{
	char *path;

	if (!optional && value[0] == '\0')
		return fail(why, len, "must not be empty");
	if (optional && is_none(value)) {
		free(*dst);
		*dst = NULL;
		return 0;
	}
	path = plan_keys_path(base_dir, value);
	if (path == NULL) {
		if (errno == ENOENT)
			return fail(why, len, "cannot expand '~/': $HOME is not set");
		return -ENOMEM;
	}
	free(*dst);
	*dst = path;
	return 0;
}

static int set_size(struct size_spec *dst, const char *value, unsigned allow, char *why, size_t len)
{
	struct size_spec s;
	int rc = units_parse_size(value, &s);
	bool ok = rc == 0;

	if (rc == -EDOM) {
		/* A bare number: "kill_rss = 50" would kill every job at once. */
		char number[32];
		size_t n = 0;

		for (const char *v = value; *v != '\0' && n + 1 < sizeof number; v++)
			if (*v != ' ' && *v != '\t')
				number[n++] = *v;
		number[n] = '\0';
		snprintf(why, len,
		         "a size needs a unit: did you mean %sG? (K, M, G, T, or B for bytes)",
		         number);
		return -EINVAL;
	}
	if (ok && s.kind == SIZE_UNLIMITED)
		ok = (allow & ALLOW_UNLIMITED) != 0;
	if (ok && s.kind == SIZE_AUTO)
		ok = (allow & ALLOW_AUTO) != 0;
	if (!ok) {
		snprintf(why, len, "must be a size like 50G, 512M or 90%%%s%s",
		         (allow & ALLOW_UNLIMITED) ? ", or unlimited" : "",
		         (allow & ALLOW_AUTO) ? ", or auto" : "");
		return -EINVAL;
	}
	if ((allow & NOT_ZERO) &&
	    ((s.kind == SIZE_BYTES && s.bytes == 0) || (s.kind == SIZE_PERCENT && s.percent == 0)))
		return fail(why, len, "must be above 0");
	*dst = s;
	return 0;
}

/* flags: DUR_NONE_OK accepts "none" as 0; DUR_NOT_ZERO refuses 0. */
enum { DUR_NONE_OK = 1, DUR_NOT_ZERO = 2 };

static int set_duration(uint64_t *dst, const char *value, unsigned flags, char *why, size_t len)
{
	uint64_t ms;

	if ((flags & DUR_NONE_OK) && strcmp(value, "none") == 0) {
		*dst = 0;
		return 0;
	}
	if (units_parse_duration_ms(value, &ms) != 0) {
		snprintf(why, len, "must be a duration like 90s, 30m, 1.5h or 250ms%s",
		         (flags & DUR_NONE_OK) ? ", or none" : "");
		return -EINVAL;
	}
	if ((flags & DUR_NOT_ZERO) && ms == 0)
		return fail(why, len, "must be above 0");
	*dst = ms;
	return 0;
}

static int set_ratio(double *dst, const char *value, char *why, size_t len)
{
	if (units_parse_number(value, false, dst) != 0)
		return fail(why, len, "must be a number above 0, like 6 or 2.5");
	return 0;
}

static int set_warn_at(double *dst, const char *value, char *why, size_t len)
{
	double x;

	if (units_parse_number(value, true, &x) != 0 || x > 1)
		return fail(
			why, len,
			"must be a share of kill_rss above 0 and at most 100%, like 80% or 0.8");
	*dst = x;
	return 0;
}

/* "0", "00", "0.0": zero as written, which units_parse_number refuses. */
static bool is_zero(const char *text)
{
	size_t zeros = strspn(text, "0");

	if (zeros == 0)
		return false;
	if (text[zeros] == '\0')
		return true;
	return text[zeros] == '.' && text[zeros + 1] != '\0' &&
	       strspn(text + zeros + 1, "0") == strlen(text + zeros + 1);
}

/* pressure_psi: a percentage from 0 to 100; the '%' is optional. 0 is
 * allowed: any memory stall at all raises the alert. */
static int set_psi(double *dst, const char *value, char *why, size_t len)
{
	static const char bad[] = "must be a percentage from 0 to 100, like 20";
	char number[64];
	size_t n = strlen(value);
	double x;

	if (n >= sizeof number)
		return fail(why, len, bad);
	memcpy(number, value, n + 1);
	if (n > 0 && number[n - 1] == '%')
		number[--n] = '\0';
	if (units_parse_number(number, false, &x) != 0) {
		if (!is_zero(number))
			return fail(why, len, bad);
		x = 0;
	}
	if (x > 100)
		return fail(why, len, bad);
	*dst = x;
	return 0;
}

static int set_enum(int *dst, const char *value, const char *(*name)(int), int count, char *why,
                    size_t len)
{
	size_t used;

	for (int i = 0; i < count; i++) {
		if (strcmp(value, name(i)) == 0) {
			*dst = i;
			return 0;
		}
	}
	used = (size_t)snprintf(why, len, "must be ");
	for (int i = 0; i < count && used < len; i++) {
		used += (size_t)snprintf(why + used, len - used, "%s%s", name(i),
		                         i + 2 < count   ? ", "
		                         : i + 1 < count ? " or "
		                                         : "");
	}
	return -EINVAL;
}

static const char *on_failure_name(int v)
{
	return plan_on_failure_name((enum on_failure)v);
}

static const char *on_deadlock_name(int v)
{
	return plan_on_deadlock_name((enum on_deadlock)v);
}

static const char *webhook_format_name(int v)
{
	return plan_webhook_format_name((enum webhook_format)v);
}

static int set_retries(int *dst, const char *value, char *why, size_t len)
{
	int n = 0;

	if (value[0] == '\0' || strspn(value, "0123456789") != strlen(value) || strlen(value) > 3)
		return fail(why, len, "must be a whole number from 0 to 100");
	n = (int)strtol(value, NULL, 10); /* at most 3 digits, checked above */
	if (n > 100)
		return fail(why, len, "must be a whole number from 0 to 100");
	*dst = n;
	return 0;
}

/* jobs: a whole number of pairs at once, or auto. */
static int set_jobs(int *dst, const char *value, char *why, size_t len)
{
	static const char bad[] = "must be a whole number from 1 to 256, or auto";
	size_t digits = strspn(value, "0123456789");
	long n;

	if (strcmp(value, "auto") == 0) {
		*dst = PLAN_JOBS_AUTO;
		return 0;
	}
	if (digits == 0 || digits != strlen(value) || digits > 3)
		return fail(why, len, bad);
	n = strtol(value, NULL, 10); /* at most 3 digits, checked above */
	if (n < 1 || n > PLAN_JOBS_MAX)
		return fail(why, len, bad);
	*dst = (int)n;
	return 0;
}

int plan_keys_set_run(struct plan *plan, enum plan_keys_id key, const char *value,
                      const char *base_dir, char *why, size_t len)
{
	int v;

	switch (key) {
	case PLAN_KEY_ON_FAILURE:
		if (set_enum(&v, value, on_failure_name, ON_FAILURE_RETRY + 1, why, len) != 0)
			return -EINVAL;
		plan->on_failure = (enum on_failure)v;
		return 0;
	case PLAN_KEY_RETRIES:
		return set_retries(&plan->retries, value, why, len);
	case PLAN_KEY_START_MIN_AVAILABLE:
		return set_size(&plan->start_min_available, value, ALLOW_BYTES | ALLOW_AUTO, why,
		                len);
	case PLAN_KEY_START_MAX_SWAP_USED:
		return set_size(&plan->start_max_swap_used, value, ALLOW_BYTES | ALLOW_UNLIMITED,
		                why, len);
	case PLAN_KEY_GATE_TIMEOUT:
		/* Above 0: the gate gives up once this has passed, so 0 would
		 * fail every gated pair at once. */
		return set_duration(&plan->gate_timeout_ms, value, DUR_NOT_ZERO, why, len);
	case PLAN_KEY_LOG_DIR:
		return set_path(&plan->log_dir, value, base_dir, false, why, len);
	case PLAN_KEY_JOBS:
		return set_jobs(&plan->jobs, value, why, len);
	case PLAN_KEY_MEMORY_BUDGET:
		return set_size(&plan->memory_budget, value, ALLOW_BYTES | NOT_ZERO, why, len);
	default:
		break;
	}
	return fail(why, len, "is not a [run] key");
}

int plan_keys_set_limit(struct limits *limits, enum plan_keys_id key, const char *value, char *why,
                        size_t len)
{
	int v;

	switch (key) {
	case PLAN_KEY_KILL_RSS:
		return set_size(&limits->kill_rss, value, ALLOW_BYTES | NOT_ZERO, why, len);
	case PLAN_KEY_WARN_AT:
		return set_warn_at(&limits->warn_at, value, why, len);
	case PLAN_KEY_MEMORY_MAX:
		return set_size(&limits->memory_max, value, ALLOW_BYTES | NOT_ZERO, why, len);
	case PLAN_KEY_SWAP_MAX:
		return set_size(&limits->swap_max, value, ALLOW_BYTES | ALLOW_UNLIMITED, why, len);
	case PLAN_KEY_TIMEOUT:
		return set_duration(&limits->timeout_ms, value, DUR_NONE_OK, why, len);
	case PLAN_KEY_KILL_GRACE:
		return set_duration(&limits->kill_grace_ms, value, 0, why, len);
	case PLAN_KEY_VERIFY_TIMEOUT:
		return set_duration(&limits->verify_timeout_ms, value, DUR_NOT_ZERO, why, len);
	case PLAN_KEY_BLOAT_RATIO:
		return set_ratio(&limits->bloat_ratio, value, why, len);
	case PLAN_KEY_EXPECTED_RATIO:
		return set_ratio(&limits->expected_ratio, value, why, len);
	case PLAN_KEY_DEADLOCK_WINDOW:
		return set_duration(&limits->deadlock_window_ms, value, DUR_NOT_ZERO, why, len);
	case PLAN_KEY_ON_DEADLOCK:
		if (set_enum(&v, value, on_deadlock_name, ON_DEADLOCK_RESTART + 1, why, len) != 0)
			return -EINVAL;
		limits->on_deadlock = (enum on_deadlock)v;
		return 0;
	case PLAN_KEY_CAPTURE:
		return set_string(&limits->capture, value, true, why, len);
	case PLAN_KEY_PRESSURE_AVAILABLE:
		return set_size(&limits->pressure_available, value, ALLOW_BYTES, why, len);
	case PLAN_KEY_PRESSURE_SWAP:
		return set_size(&limits->pressure_swap, value, ALLOW_BYTES, why, len);
	case PLAN_KEY_PRESSURE_PSI:
		return set_psi(&limits->pressure_psi, value, why, len);
	default:
		break;
	}
	return fail(why, len, "is not a [limits] key");
}

int plan_keys_set_alert(struct plan *plan, enum plan_keys_id key, const char *value,
                        const char *base_dir, char *why, size_t len)
{
	int v;

	switch (key) {
	case PLAN_KEY_WEBHOOK_URL_FILE:
		return set_path(&plan->webhook_url_file, value, base_dir, true, why, len);
	case PLAN_KEY_FORMAT:
		if (set_enum(&v, value, webhook_format_name, WEBHOOK_GENERIC + 1, why, len) != 0)
			return -EINVAL;
		plan->webhook_format = (enum webhook_format)v;
		return 0;
	case PLAN_KEY_COOLDOWN:
		return set_duration(&plan->cooldown_ms, value, 0, why, len);
	default:
		break;
	}
	return fail(why, len, "is not an [alerts] key");
}

static void free_words(char **words, int n)
{
	for (int i = 0; i < n; i++)
		free(words[i]);
	free(words);
}

/* Splits value at blanks into a new array. 0 or -ENOMEM. */
static int split_words(const char *value, char ***words, int *n)
{
	char **out = NULL;
	int count = 0;
	const char *p = value;

	for (;;) {
		size_t skip = strspn(p, " \t"), word;
		char **grown;

		p += skip;
		word = strcspn(p, " \t");
		if (word == 0)
			break;
		grown = realloc(out, (size_t)(count + 1) * sizeof *out);
		if (grown == NULL)
			goto nomem;
		out = grown;
		out[count] = strndup(p, word);
		if (out[count] == NULL)
			goto nomem;
		count++;
		p += word;
	}
	*words = out;
	*n = count;
	return 0;
nomem:
	free_words(out, count);
	return -ENOMEM;
}

/* NAME=VALUE with a shell-style NAME. */
static bool env_entry_ok(const char *entry)
{
	size_t name =
		strspn(entry, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_");

	return name > 0 && !isdigit((unsigned char)entry[0]) && entry[name] == '=';
}

static int set_env(struct pair_spec *pair, const char *value, char *why, size_t len)
{
	char **words = NULL;
	int n = 0;

	if (!is_none(value) && split_words(value, &words, &n) != 0)
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		if (!env_entry_ok(words[i])) {
			snprintf(why, len,
			         "'%s' is not NAME=VALUE with a NAME of "
			         "letters, digits and '_'",
			         words[i]);
			free_words(words, n);
			return -EINVAL;
		}
		if (strncmp(words[i], "MERGEWATCH_WEBHOOK_URL=", 23) == 0) {
			free_words(words, n);
			return fail(why, len, "the webhook URL is never passed to a job");
		}
	}
	free_words(pair->env, pair->n_env);
	pair->env = words;
	pair->n_env = n;
	return 0;
}

static int set_inputs(struct pair_spec *pair, const char *value)
{
	char **words = NULL;
	int n = 0;

	if (!is_none(value) && split_words(value, &words, &n) != 0)
		return -ENOMEM;
	free_words(pair->inputs, pair->n_inputs);
	pair->inputs = words;
	pair->n_inputs = n;
	return 0;
}

static int set_progress_regex(struct pair_spec *pair, const char *value, char *why, size_t len)
{
	regex_t re;
	int rc;

	if (!is_none(value)) {
		/* glibc compiles stacked repetitions ("a+++++") into an
		 * automaton that grows exponentially (the fuzzer found it
		 * eating gigabytes); POSIX leaves them undefined anyway. */
		if (strlen(value) > 256) {
			snprintf(why, len, "is longer than 256 characters");
			return -EINVAL;
		}
		for (const char *c = value; c[0] != '\0' && c[1] != '\0'; c++) {
			if (strchr("*+?}", c[0]) != NULL && strchr("*+?{", c[1]) != NULL &&
			    (c == value || c[-1] != '\\')) {
				snprintf(why, len, "repeats a repetition ('%c%c'): not allowed",
				         c[0], c[1]);
				return -EINVAL;
			}
		}
		rc = regcomp(&re, value, REG_EXTENDED);
		if (rc != 0) {
			char reason[128];
			regerror(rc, &re, reason, sizeof reason);
			snprintf(why, len, "is not an extended regular expression: %s", reason);
			return -EINVAL;
		}
		if (re.re_nsub < 2) {
			snprintf(why, len,
			         "needs two capture groups, (done) and (total), "
			         "has %zu",
			         re.re_nsub);
			regfree(&re);
			return -EINVAL;
		}
		regfree(&re);
	}
	return set_string(&pair->progress_regex, value, true, why, len);
}

int plan_keys_set_pair(struct pair_spec *pair, enum plan_keys_id key, const char *value, char *why,
                       size_t len)
{
	switch (key) {
	case PLAN_KEY_COMMAND:
		return set_string(&pair->command, value, false, why, len);
	case PLAN_KEY_INPUTS:
		return set_inputs(pair, value);
	case PLAN_KEY_OUTPUT:
		return set_string(&pair->output, value, true, why, len);
	case PLAN_KEY_VERIFY:
		return set_string(&pair->verify, value, true, why, len);
	case PLAN_KEY_CLEANUP:
		return set_string(&pair->cleanup, value, true, why, len);
	case PLAN_KEY_CWD:
		return set_string(&pair->cwd, value, true, why, len);
	case PLAN_KEY_ENV:
		return set_env(pair, value, why, len);
	case PLAN_KEY_PROGRESS_REGEX:
		return set_progress_regex(pair, value, why, len);
	default:
		break;
	}
	return plan_keys_set_limit(&pair->limits, key, value, why, len);
}

void plan_keys_limits_default(struct limits *limits)
{
	*limits = (struct limits){
		.kill_rss = { .kind = SIZE_PERCENT, .percent = 90 },
		.warn_at = 0.8,
		.memory_max = { .kind = SIZE_PERCENT, .percent = 95 },
		.swap_max = { .kind = SIZE_UNLIMITED },
		.timeout_ms = 0,
		.kill_grace_ms = 10 * 1000,
		.verify_timeout_ms = 30 * 60 * 1000,
		.bloat_ratio = 6,
		.expected_ratio = 6,
		.deadlock_window_ms = 2 * 60 * 1000,
		.on_deadlock = ON_DEADLOCK_ALERT,
		.capture = NULL,
		.pressure_available = { .kind = SIZE_PERCENT, .percent = 10 },
		.pressure_swap = { .kind = SIZE_PERCENT, .percent = 50 },
		.pressure_psi = 20,
	};
}

int plan_keys_limits_copy(struct limits *dst, const struct limits *src)
{
	*dst = *src;
	if (src->capture != NULL) {
		dst->capture = strdup(src->capture);
		if (dst->capture == NULL)
			return -ENOMEM;
	}
	return 0;
}

void plan_keys_limits_free(struct limits *limits)
{
	free(limits->capture);
	limits->capture = NULL;
}
