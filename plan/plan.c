/* Reading a plan file through libinih, building a one-pair plan from a
 * command line, and applying command-line options.
 *
 * libinih splits "key = value" lines and strips comments; our line reader
 * (plan_read_line) feeds it and does three things libinih cannot do for us:
 * it counts lines (Debian's libinih is built without line numbers in the
 * handler), it reads section headers itself (libinih truncates section names
 * at 50 bytes and says nothing about a section without keys), and it holds
 * aside the value of a line longer than libinih's 200-byte buffer, which
 * would otherwise be cut silently. Leading blanks are stripped before libinih
 * sees a line, so an indented line is never read as a continuation of the
 * previous value.
 *
 * Precedence: built-in defaults < [limits] < pair keys < options. [limits]
 * may come after the pairs, so a pair's own limits keys are kept as text and
 * applied over [limits] once the whole file is read. */
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plan.h"
#include "plan_keys.h"

enum plan_section_kind {
	SECTION_NONE,
	SECTION_RUN,
	SECTION_LIMITS,
	SECTION_ALERTS,
	SECTION_PAIR,
	SECTION_COUNT
};

/* A pair's own limits keys as written, applied over [limits] at the end. */
struct plan_pair_text {
	char *value[PLAN_KEY_COUNT];
};

struct plan_parse {
	const char *path;
	FILE *file;
	struct plan *plan;
	struct plan_error *err;
	bool failed;

	char *raw; /* getline's buffer */
	size_t raw_cap;
	int lineno;
	char *held_value; /* the value of an overlong line */

	enum plan_section_kind section;
	int section_line[SECTION_COUNT];  /* first header of [run], [limits], [alerts] */
	int key_line[PLAN_KEY_COUNT];     /* in the current section */
	struct plan_pair_text *pair_text; /* parallel to plan->pairs */
};

static const char *const on_failure_names[] = { "continue", "stop", "retry" };
static const char *const on_deadlock_names[] = { "alert", "kill", "restart" };
static const char *const webhook_format_names[] = {
	"slack", "discord", "teams", "mattermost", "generic",
};

const char *plan_on_failure_name(enum on_failure v)
{
	if ((size_t)v >= sizeof on_failure_names / sizeof on_failure_names[0])
		return "?";
	return on_failure_names[v];
}

const char *plan_on_deadlock_name(enum on_deadlock v)
{
	if ((size_t)v >= sizeof on_deadlock_names / sizeof on_deadlock_names[0])
		return "?";
	return on_deadlock_names[v];
}

const char *plan_webhook_format_name(enum webhook_format v)
{
	if ((size_t)v >= sizeof webhook_format_names / sizeof webhook_format_names[0])
		return "?";
	return webhook_format_names[v];
}

/* Records the first error only: it is the one the user should fix first. */
static void parse_error(struct plan_parse *p, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void parse_error(struct plan_parse *p, int line, const char *fmt, ...)
{
	va_list ap;
	int used;

	if (p->failed)
		return;
	p->failed = true;
	if (line > 0)
		used = snprintf(p->err->msg, sizeof p->err->msg, "%s:%d: ", p->path, line);
	else
		used = snprintf(p->err->msg, sizeof p->err->msg, "%s: ", p->path);
	if (used < 0 || (size_t)used >= sizeof p->err->msg)
		return;
	va_start(ap, fmt);
	vsnprintf(p->err->msg + used, sizeof p->err->msg - (size_t)used, fmt, ap);
	va_end(ap);
}

/* libinih's rule: the first of chars, or an inline ';' comment (one that
 * follows a blank). With chars NULL, only the comment. */
static char *find_sep_or_comment(char *s, const char *chars)
{
	bool after_blank = false;

	for (; *s != '\0'; s++) {
		if (chars != NULL && strchr(chars, *s) != NULL)
			break;
		if (after_blank && *s == ';')
			break;
		after_blank = *s == ' ' || *s == '\t';
	}
	return s;
}

static char *trim(char *s)
{
	size_t n;

	/* Every kind of white space, as libinih strips it from short lines:
	 * a long line must not keep a '\r' a short one would lose. */
	while (*s != '\0' && isspace((unsigned char)*s))
		s++;
	n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

static bool pair_name_ok(const char *name)
{
	size_t n = strlen(name);

	return n >= 1 && n <= 64 &&
	       strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.") ==
	               n;
}

static struct pair_spec *current_pair(struct plan_parse *p)
{
	return &p->plan->pairs[p->plan->n_pairs - 1];
}

static void add_pair(struct plan_parse *p, const char *name)
{
	struct plan *plan = p->plan;
	struct pair_spec *pairs;
	struct plan_pair_text *text;

	for (int i = 0; i < plan->n_pairs; i++) {
		if (strcmp(plan->pairs[i].name, name) == 0) {
			parse_error(p, p->lineno, "[pair %s] given twice (first on line %d)", name,
			            plan->pairs[i].line);
			return;
		}
	}
	pairs = realloc(plan->pairs, (size_t)(plan->n_pairs + 1) * sizeof *pairs);
	if (pairs == NULL)
		goto nomem;
	plan->pairs = pairs;
	text = realloc(p->pair_text, (size_t)(plan->n_pairs + 1) * sizeof *text);
	if (text == NULL)
		goto nomem;
	p->pair_text = text;
	memset(&pairs[plan->n_pairs], 0, sizeof *pairs);
	memset(&text[plan->n_pairs], 0, sizeof *text);
	pairs[plan->n_pairs].line = p->lineno;
	pairs[plan->n_pairs].name = strdup(name);
	plan->n_pairs++;
	if (pairs[plan->n_pairs - 1].name == NULL)
		goto nomem;
	return;
nomem:
	parse_error(p, p->lineno, "out of memory");
}

static const char *const section_names[SECTION_COUNT] = {
	[SECTION_RUN] = "run",
	[SECTION_LIMITS] = "limits",
	[SECTION_ALERTS] = "alerts",
	[SECTION_PAIR] = "pair",
};

/* Reads a "[...]" line: checks it and makes it the current section. */
static void begin_section(struct plan_parse *p, char *line)
{
	char *close = strchr(line, ']'), *rest, *name;
	char first[72];
	size_t word;

	if (close == NULL) {
		parse_error(p, p->lineno, "section header without ']' (got '%s')", line);
		return;
	}
	rest = close + 1 + strspn(close + 1, " \t");
	if (*rest != '\0' && *rest != ';' && *rest != '#') {
		parse_error(p, p->lineno, "unexpected text after ']' (got '%s')", line);
		return;
	}
	*close = '\0';
	name = trim(line + 1);
	memset(p->key_line, 0, sizeof p->key_line);
	for (int k = SECTION_RUN; k <= SECTION_ALERTS; k++) {
		if (strcmp(name, section_names[k]) != 0)
			continue;
		if (p->section_line[k] != 0) {
			parse_error(p, p->lineno, "[%s] given twice (first on line %d)", name,
			            p->section_line[k]);
			return;
		}
		p->section_line[k] = p->lineno;
		p->section = (enum plan_section_kind)k;
		return;
	}
	word = strcspn(name, " \t");
	if (word == 4 && strncmp(name, "pair", 4) == 0) {
		char *pair = name + 4 + strspn(name + 4, " \t");
		if (*pair == '\0') {
			parse_error(p, p->lineno, "section [pair] needs a name: [pair NAME]");
			return;
		}
		if (!pair_name_ok(pair)) {
			parse_error(p, p->lineno,
			            "pair name '%s' must be 1 to 64 letters, "
			            "digits, '-', '_' or '.'",
			            pair);
			return;
		}
		p->section = SECTION_PAIR;
		add_pair(p, pair);
		return;
	}
	snprintf(first, sizeof first, "%.*s", (int)word, name);
	for (int k = SECTION_RUN; k < SECTION_COUNT; k++) {
		if (plan_keys_distance(first, section_names[k]) <= 2) {
			parse_error(p, p->lineno, "unknown section [%s] (did you mean [%s%s]?)",
			            name, section_names[k], k == SECTION_PAIR ? " NAME" : "");
			return;
		}
	}
	parse_error(p, p->lineno,
	            "unknown section [%s]; sections are [run], [limits], "
	            "[alerts] and [pair NAME]",
	            name);
}

/* libinih's reader: hands it one line at a time, see the comment at the top. */
static char *plan_read_line(char *buf, int num, void *stream)
{
	struct plan_parse *p = stream;
	ssize_t n;
	char *line, *sep, *value, *end;
	size_t name_len;

	free(p->held_value);
	p->held_value = NULL;
	if (p->failed || num < 4)
		return NULL;
	n = getline(&p->raw, &p->raw_cap, p->file);
	if (n < 0)
		return NULL;
	p->lineno++;
	line = p->raw;
	if (memchr(line, '\0', (size_t)n) != NULL) {
		/* Everything after it would vanish without a word. */
		parse_error(p, p->lineno, "line holds a NUL byte");
		return NULL;
	}
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	if (p->lineno == 1 && strncmp(line, "\xEF\xBB\xBF", 3) == 0)
		line += 3;
	line += strspn(line, " \t");
	strcpy(buf, "\n");
	if (*line == '\0' || *line == ';' || *line == '#')
		return buf;
	if (*line == '[') {
		begin_section(p, line);
		return p->failed ? NULL : buf;
	}
	sep = find_sep_or_comment(line, "=:");
	if (*sep != '=' && *sep != ':') {
		parse_error(p, p->lineno,
		            "expected 'key = value', a [section] or a comment "
		            "(got '%s')",
		            line);
		return NULL;
	}
	if (strlen(line) + 2 <= (size_t)num) {
		snprintf(buf, (size_t)num, "%s\n", line);
		return buf;
	}
	/* Too long for libinih: pass it the key, keep the value here. */
	name_len = (size_t)(sep - line);
	while (name_len > 0 && (line[name_len - 1] == ' ' || line[name_len - 1] == '\t'))
		name_len--;
	if (name_len + 3 > (size_t)num) {
		parse_error(p, p->lineno, "key name too long");
		return NULL;
	}
	value = sep + 1;
	end = find_sep_or_comment(value, NULL);
	*end = '\0';
	p->held_value = strdup(trim(value));
	if (p->held_value == NULL) {
		parse_error(p, p->lineno, "out of memory");
		return NULL;
	}
	snprintf(buf, (size_t)num, "%.*s=\n", (int)name_len, line);
	return buf;
}

/* "[limits]", "[pair chr01]": the current section as the user wrote it. */
static void section_label(struct plan_parse *p, char *buf, size_t len)
{
	if (p->section == SECTION_PAIR)
		snprintf(buf, len, "[pair %s]", current_pair(p)->name);
	else
		snprintf(buf, len, "[%s]", section_names[p->section]);
}

static const char *home_of_key(enum plan_keys_section s)
{
	switch (s) {
	case PLAN_KEYS_RUN:
		return "[run]";
	case PLAN_KEYS_LIMITS:
		return "[limits] or a [pair NAME] section";
	case PLAN_KEYS_ALERTS:
		return "[alerts]";
	case PLAN_KEYS_PAIR:
		break;
	}
	return "a [pair NAME] section";
}

static bool key_allowed(enum plan_section_kind section, enum plan_keys_section home)
{
	switch (section) {
	case SECTION_RUN:
		return home == PLAN_KEYS_RUN;
	case SECTION_LIMITS:
		return home == PLAN_KEYS_LIMITS;
	case SECTION_ALERTS:
		return home == PLAN_KEYS_ALERTS;
	case SECTION_PAIR:
		return home == PLAN_KEYS_PAIR || home == PLAN_KEYS_LIMITS;
	default:
		break;
	}
	return false;
}

static const enum plan_keys_section section_keys[SECTION_COUNT] = {
	[SECTION_RUN] = PLAN_KEYS_RUN,
	[SECTION_LIMITS] = PLAN_KEYS_LIMITS,
	[SECTION_ALERTS] = PLAN_KEYS_ALERTS,
	[SECTION_PAIR] = PLAN_KEYS_PAIR,
};

/* Sets key in the current section. Returns 0, -EINVAL (why says what is
 * wrong) or -ENOMEM. */
static int apply_key(struct plan_parse *p, enum plan_keys_id key, const char *value, char *why,
                     size_t len)
{
	struct plan *plan = p->plan;
	struct plan_pair_text *text;
	int rc;

	switch (p->section) {
	case SECTION_RUN:
		return plan_keys_set_run(plan, key, value, plan->dir, why, len);
	case SECTION_LIMITS:
		return plan_keys_set_limit(&plan->limits, key, value, why, len);
	case SECTION_ALERTS:
		return plan_keys_set_alert(plan, key, value, plan->dir, why, len);
	case SECTION_PAIR:
		rc = plan_keys_set_pair(current_pair(p), key, value, why, len);
		if (rc != 0 || plan_keys_section(key) != PLAN_KEYS_LIMITS)
			return rc;
		text = &p->pair_text[plan->n_pairs - 1];
		text->value[key] = strdup(value);
		return text->value[key] == NULL ? -ENOMEM : 0;
	default:
		break;
	}
	return -EINVAL;
}

/* libinih's handler, called once per "key = value" line. */
static int plan_handle(void *user, const char *section, const char *name, const char *value)
{
	struct plan_parse *p = user;
	char label[96], why[320];
	const char *suggestion;
	int key, rc;

	(void)section; /* libinih's copy is truncated; ours is p->section */
	if (p->failed)
		return 0;
	if (p->held_value != NULL)
		value = p->held_value;
	if (p->section == SECTION_NONE) {
		parse_error(p, p->lineno,
		            "key '%s' is outside any section; put it under "
		            "[run], [limits], [alerts] or [pair NAME]",
		            name);
		return 0;
	}
	section_label(p, label, sizeof label);
	key = plan_keys_find(name);
	if (key < 0) {
		suggestion = plan_keys_suggest(name, section_keys[p->section]);
		if (suggestion != NULL)
			parse_error(p, p->lineno, "unknown key '%s' in %s (did you mean '%s'?)",
			            name, label, suggestion);
		else
			parse_error(p, p->lineno, "unknown key '%s' in %s", name, label);
		return 0;
	}
	if (!key_allowed(p->section, plan_keys_section((enum plan_keys_id)key))) {
		parse_error(p, p->lineno, "key '%s' belongs in %s, not in %s", name,
		            home_of_key(plan_keys_section((enum plan_keys_id)key)), label);
		return 0;
	}
	if (p->section == SECTION_PAIR &&
	    (key == PLAN_KEY_PRESSURE_AVAILABLE || key == PLAN_KEY_PRESSURE_SWAP ||
	     key == PLAN_KEY_PRESSURE_PSI)) {
		/* Pressure is the whole machine's, judged once for all pairs. */
		parse_error(p, p->lineno,
		            "key '%s' is system-wide: it belongs in [limits], "
		            "not in %s",
		            name, label);
		return 0;
	}
	if (p->key_line[key] != 0) {
		parse_error(p, p->lineno, "key '%s' given twice in %s (first on line %d)", name,
		            label, p->key_line[key]);
		return 0;
	}
	for (const unsigned char *c = (const unsigned char *)value; *c != '\0'; c++) {
		if (*c == '\r' || *c == '\v' || *c == '\f') {
			/* White space libinih knows: before a ';' it would turn
			 * the rest into a comment once printed back by check. */
			parse_error(p, p->lineno, "key '%s': holds the control character 0x%02x",
			            name, *c);
			return 0;
		}
	}
	if (value[0] == ';' || value[0] == '#') {
		/* "key =;x" keeps ";x" here but reads as a comment once
		 * printed by check with a blank before it: refuse it. */
		parse_error(p, p->lineno,
		            "key '%s': a value may not start with '%c', which "
		            "reads as a comment (got '%s')",
		            name, value[0], value);
		return 0;
	}
	p->key_line[key] = p->lineno;
	rc = apply_key(p, (enum plan_keys_id)key, value, why, sizeof why);
	if (rc == -ENOMEM)
		parse_error(p, p->lineno, "key '%s': out of memory", name);
	else if (rc != 0)
		parse_error(p, p->lineno, "key '%s': %s (got '%s')", name, why, value);
	return rc == 0;
}

/* Gives every pair its effective limits: [limits], then its own keys. */
static void resolve_pairs(struct plan_parse *p)
{
	struct plan *plan = p->plan;
	char why[320];

	if (plan->n_pairs == 0) {
		parse_error(p, 0, "no [pair NAME] section: a plan needs at least one pair");
		return;
	}
	for (int i = 0; i < plan->n_pairs && !p->failed; i++) {
		struct pair_spec *pair = &plan->pairs[i];

		if (pair->command == NULL) {
			parse_error(p, pair->line, "[pair %s] has no key 'command'", pair->name);
			return;
		}
		plan_keys_limits_free(&pair->limits);
		if (plan_keys_limits_copy(&pair->limits, &plan->limits) != 0) {
			parse_error(p, pair->line, "out of memory");
			return;
		}
		for (int k = 0; k < PLAN_KEY_COUNT; k++) {
			const char *text = p->pair_text[i].value[k];
			/* Checked when read, so only memory can fail here. */
			if (text != NULL && plan_keys_set_limit(&pair->limits, (enum plan_keys_id)k,
			                                        text, why, sizeof why) != 0) {
				parse_error(p, pair->line, "out of memory");
				return;
			}
		}
	}
}

/* A plan with every default, relative paths taken from dir (adopted). */
static struct plan *plan_create(char *dir)
{
	struct plan *plan;

	if (dir == NULL)
		return NULL;
	plan = calloc(1, sizeof *plan);
	if (plan == NULL) {
		free(dir);
		return NULL;
	}
	plan->dir = dir;
	plan->on_failure = ON_FAILURE_CONTINUE;
	plan->retries = 0;
	plan->start_min_available = (struct size_spec){ .kind = SIZE_BYTES, .bytes = 0 };
	plan->start_max_swap_used = (struct size_spec){ .kind = SIZE_UNLIMITED };
	plan->gate_timeout_ms = 15 * 60 * 1000;
	plan->jobs = 1;
	plan->memory_budget = (struct size_spec){ .kind = SIZE_PERCENT, .percent = 90 };
	plan->log_dir = plan_keys_path(dir, "mergewatch-logs");
	plan_keys_limits_default(&plan->limits);
	plan->webhook_url_file = NULL;
	plan->webhook_format = WEBHOOK_SLACK;
	plan->cooldown_ms = 10 * 60 * 1000;
	if (plan->log_dir == NULL) {
		plan_free(plan);
		return NULL;
	}
	return plan;
}

/* The absolute directory holding the file at path; caller frees. */
static char *dir_of(const char *path)
{
	char *copy, *slash, *dir;

	copy = strdup(path);
	if (copy == NULL)
		return NULL;
	slash = strrchr(copy, '/');
	if (slash == NULL)
		strcpy(copy, ".");
	else if (slash == copy)
		slash[1] = '\0';
	else
		*slash = '\0';
	dir = realpath(copy, NULL);
	free(copy);
	return dir;
}

static void parse_release(struct plan_parse *p)
{
	if (p->pair_text != NULL) {
		for (int i = 0; i < p->plan->n_pairs; i++) {
			for (int k = 0; k < PLAN_KEY_COUNT; k++)
				free(p->pair_text[i].value[k]);
		}
	}
	free(p->pair_text);
	free(p->raw);
	free(p->held_value);
	p->held_value = NULL;
}

struct plan *plan_load(const char *path, struct plan_error *err)
{
	struct plan_parse p = { .path = path, .err = err };
	char *dir;
	int rc;

	err->msg[0] = '\0';
	p.file = fopen(path, "r");
	if (p.file == NULL) {
		snprintf(err->msg, sizeof err->msg, "%s: cannot open: %s", path, strerror(errno));
		return NULL;
	}
	dir = dir_of(path);
	if (dir == NULL) {
		snprintf(err->msg, sizeof err->msg, "%s: cannot find its directory: %s", path,
		         strerror(errno));
		fclose(p.file);
		return NULL;
	}
	p.plan = plan_create(dir);
	if (p.plan == NULL || (p.plan->path = strdup(path)) == NULL) {
		snprintf(err->msg, sizeof err->msg, "%s: out of memory", path);
		plan_free(p.plan);
		fclose(p.file);
		return NULL;
	}
	rc = ini_parse_stream(plan_read_line, &p, plan_handle, &p);
	if (!p.failed && ferror(p.file))
		parse_error(&p, p.lineno + 1, "cannot read: %s", strerror(errno));
	else if (!p.failed && rc == -2)
		parse_error(&p, 0, "out of memory");
	else if (!p.failed && rc != 0)
		parse_error(&p, rc, "cannot parse this line");
	if (!p.failed)
		resolve_pairs(&p);
	fclose(p.file);
	parse_release(&p);
	if (p.failed) {
		plan_free(p.plan);
		return NULL;
	}
	return p.plan;
}

struct plan *plan_new_command(const char *name, const char *command, const char *inputs)
{
	struct plan *plan = plan_create(getcwd(NULL, 0));
	struct pair_spec *pair;
	char why[128];

	if (plan == NULL)
		return NULL;
	plan->pairs = calloc(1, sizeof *plan->pairs);
	if (plan->pairs == NULL)
		goto nomem;
	plan->n_pairs = 1;
	pair = &plan->pairs[0];
	pair->name = strdup(name);
	pair->command = strdup(command);
	if (pair->name == NULL || pair->command == NULL)
		goto nomem;
	if (inputs != NULL &&
	    plan_keys_set_pair(pair, PLAN_KEY_INPUTS, inputs, why, sizeof why) != 0)
		goto nomem;
	if (plan_keys_limits_copy(&pair->limits, &plan->limits) != 0)
		goto nomem;
	return plan;
nomem:
	plan_free(plan);
	return NULL;
}

struct plan *plan_new_watch(const pid_t *pids, int n, const char *inputs)
{
	struct plan *plan = plan_create(getcwd(NULL, 0));
	char name[16], why[128];

	if (plan == NULL)
		return NULL;
	plan->pairs = calloc((size_t)n, sizeof *plan->pairs);
	if (plan->pairs == NULL)
		goto nomem;
	plan->n_pairs = n;
	for (int i = 0; i < n; i++) {
		struct pair_spec *pair = &plan->pairs[i];

		snprintf(name, sizeof name, "%d", (int)pids[i]);
		pair->name = strdup(name);
		pair->command = strdup("");
		if (pair->name == NULL || pair->command == NULL ||
		    plan_keys_limits_copy(&pair->limits, &plan->limits) != 0)
			goto nomem;
		if (inputs != NULL &&
		    plan_keys_set_pair(pair, PLAN_KEY_INPUTS, inputs, why, sizeof why) != 0)
			goto nomem;
	}
	return plan;
nomem:
	plan_free(plan);
	return NULL;
}

static void free_strings(char **v, int n)
{
	for (int i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void plan_free(struct plan *plan)
{
	if (plan == NULL)
		return;
	for (int i = 0; plan->pairs != NULL && i < plan->n_pairs; i++) {
		struct pair_spec *pair = &plan->pairs[i];
		free(pair->name);
		free(pair->command);
		free_strings(pair->inputs, pair->n_inputs);
		free(pair->output);
		free(pair->verify);
		free(pair->cleanup);
		free(pair->cwd);
		free_strings(pair->env, pair->n_env);
		free(pair->progress_regex);
		plan_keys_limits_free(&pair->limits);
	}
	free(plan->pairs);
	plan_keys_limits_free(&plan->limits);
	free(plan->path);
	free(plan->dir);
	free(plan->log_dir);
	free(plan->webhook_url_file);
	free(plan);
}

int plan_set_log_dir(struct plan *plan, const char *dir)
{
	char *copy = strdup(dir);

	if (copy == NULL)
		return -ENOMEM;
	free(plan->log_dir);
	plan->log_dir = copy;
	return 0;
}

int plan_override(struct plan *plan, const char *key, const char *value, struct plan_error *err)
{
	char option[64], why[320];
	const char *name = strcmp(key, "webhook_format") == 0 ? "format" : key;
	int id = plan_keys_find(name), rc = -EINVAL;
	enum plan_keys_section home;

	/* The option as the user typed it: --kill-rss, --webhook-format. */
	snprintf(option, sizeof option, "%s", id == PLAN_KEY_FORMAT ? "webhook_format" : key);
	for (char *c = option; *c != '\0'; c++) {
		if (*c == '_')
			*c = '-';
	}
	err->msg[0] = '\0';
	home = id < 0 ? PLAN_KEYS_RUN : plan_keys_section((enum plan_keys_id)id);
	/* Of [run], only jobs is an option: how much to run at once is a
	 * decision of the moment, like the limits. */
	if (id < 0 ||
	    (home != PLAN_KEYS_LIMITS && home != PLAN_KEYS_ALERTS && id != PLAN_KEY_JOBS)) {
		snprintf(err->msg, sizeof err->msg,
		         "option --%s: not a [limits] or [alerts] setting", option);
		return -EINVAL;
	}
	if (id == PLAN_KEY_JOBS) {
		rc = plan_keys_set_run(plan, PLAN_KEY_JOBS, value, NULL, why, sizeof why);
	} else if (home == PLAN_KEYS_ALERTS) {
		rc = plan_keys_set_alert(plan, (enum plan_keys_id)id, value, NULL, why, sizeof why);
	} else {
		rc = plan_keys_set_limit(&plan->limits, (enum plan_keys_id)id, value, why,
		                         sizeof why);
		/* The value was checked above: only memory can fail below. */
		for (int i = 0; i < plan->n_pairs && rc == 0; i++)
			rc = plan_keys_set_limit(&plan->pairs[i].limits, (enum plan_keys_id)id,
			                         value, why, sizeof why);
	}
	if (rc == -ENOMEM)
		snprintf(err->msg, sizeof err->msg, "option --%s: out of memory", option);
	else if (rc != 0)
		snprintf(err->msg, sizeof err->msg, "option --%s: %s (got '%s')", option, why,
		         value);
	return rc;
}
