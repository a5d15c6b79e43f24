/* The run state file: jansson in and out, strict on load (a state we cannot
 * read must stop the run, not restart finished pairs) and atomic on save. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "state.h"

#include "../lib/fsutil.h"
#include "../lib/jsonstr.h"

/* Version 2 added the lifecycle steps, the plan and the command; a
 * version 1 file reads as one no plan has claimed yet. */
enum { STATE_VERSION = 2, STATE_OLDEST_VERSION = 1 };

struct state {
	char *path; /* log_dir/state */
	char *dir;  /* log_dir */
	char *plan; /* the plan file it belongs to; NULL: none yet */
	struct state_pair *pairs;
	size_t n_pairs, cap_pairs;
};

static const char *const state_status_names[] = {
	[STATE_PENDING] = "pending",   [STATE_STARTED] = "started",   [STATE_EXITED] = "exited",
	[STATE_VERIFIED] = "verified", [STATE_CLEANING] = "cleaning", [STATE_DONE] = "done",
	[STATE_FAILED] = "failed",     [STATE_KILLED] = "killed",     [STATE_SKIPPED] = "skipped",
};
enum { STATE_N_STATUS = sizeof state_status_names / sizeof state_status_names[0] };

const char *state_status_name(enum state_status s)
{
	if ((size_t)s < STATE_N_STATUS)
		return state_status_names[s];
	return "unknown";
}

static int state_status_parse(const char *name, enum state_status *out)
{
	for (size_t i = 0; i < STATE_N_STATUS; i++) {
		if (strcmp(name, state_status_names[i]) == 0) {
			*out = (enum state_status)i;
			return 0;
		}
	}
	if (strcmp(name, "running") == 0) { /* version 1's word for started */
		*out = STATE_STARTED;
		return 0;
	}
	return -EINVAL;
}

/* Formats into err; a long path may cut the message short. */
static void __attribute__((format(printf, 3, 4)))
state_say(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static char *state_join(const char *dir, const char *name)
{
	char *s;

	if (asprintf(&s, "%s/%s", dir, name) == -1)
		return NULL;
	return s;
}

static struct state *state_new(const char *log_dir)
{
	struct state *st = calloc(1, sizeof *st);

	if (st == NULL)
		return NULL;
	st->dir = strdup(log_dir);
	st->path = state_join(log_dir, "state");
	if (st->dir == NULL || st->path == NULL) {
		state_free(st);
		return NULL;
	}
	return st;
}

void state_free(struct state *st)
{
	if (st == NULL)
		return;
	free(st->pairs);
	free(st->plan);
	free(st->dir);
	free(st->path);
	free(st);
}

/* ---- reading ---- */

/* Where a field is read from, for error messages. */
struct state_field_ctx {
	const char *path;
	const char *pair;
	char *err;
	size_t errlen;
};

static int state_bad_field(const struct state_field_ctx *fc, const char *key, const char *why)
{
	state_say(fc->err, fc->errlen, "%s: pair '%s': key '%s': %s", fc->path, fc->pair, key, why);
	return -EINVAL;
}

/* An optional non-negative integer (0 when absent). */
static int state_get_u64(const struct state_field_ctx *fc, json_t *obj, const char *key,
                         uint64_t *out)
{
	json_t *v = json_object_get(obj, key);

	*out = 0;
	if (v == NULL)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return state_bad_field(fc, key, "expected an integer >= 0");
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

/* An optional integer within [min, max] (0 when absent). */
static int state_get_int(const struct state_field_ctx *fc, json_t *obj, const char *key,
                         long long min, long long max, long long *out)
{
	json_t *v = json_object_get(obj, key);

	*out = 0;
	if (v == NULL)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
		return state_bad_field(fc, key, "expected an integer in range");
	*out = json_integer_value(v);
	return 0;
}

/* An optional string that fits in buf ("" when absent). */
static int state_get_str(const struct state_field_ctx *fc, json_t *obj, const char *key, char *buf,
                         size_t len)
{
	json_t *v = json_object_get(obj, key);
	const char *s;

	buf[0] = '\0';
	if (v == NULL)
		return 0;
	if (!json_is_string(v))
		return state_bad_field(fc, key, "expected a string");
	s = json_string_value(v);
	if (strlen(s) >= len)
		return state_bad_field(fc, key, "too long");
	memcpy(buf, s, strlen(s) + 1);
	return 0;
}

/* An optional 64-bit hash written as 16 hex digits (0 when absent). */
static int state_get_hash(const struct state_field_ctx *fc, json_t *obj, const char *key,
                          uint64_t *out)
{
	json_t *v = json_object_get(obj, key);
	char *end;

	*out = 0;
	if (v == NULL)
		return 0;
	if (!json_is_string(v) || strlen(json_string_value(v)) != 16)
		return state_bad_field(fc, key, "expected 16 hex digits");
	*out = strtoull(json_string_value(v), &end, 16);
	if (*end != '\0')
		return state_bad_field(fc, key, "expected 16 hex digits");
	return 0;
}

static int state_parse_pair(const struct state_field_ctx *fc, json_t *obj, struct state_pair *p)
{
	json_t *status, *ratio;
	long long v;

	memset(p, 0, sizeof *p);
	if (strlen(fc->pair) == 0 || strlen(fc->pair) > STATE_NAME_MAX) {
		state_say(fc->err, fc->errlen,
		          "%s: pair name '%s': empty or "
		          "longer than %d",
		          fc->path, fc->pair, STATE_NAME_MAX);
		return -EINVAL;
	}
	memcpy(p->name, fc->pair, strlen(fc->pair) + 1);
	if (!json_is_object(obj))
		return state_bad_field(fc, "(entry)", "expected an object");

	status = json_object_get(obj, "status");
	if (!json_is_string(status) ||
	    state_status_parse(json_string_value(status), &p->status) != 0)
		return state_bad_field(fc, "status",
		                       "expected one of pending, "
		                       "running, done, failed, killed, skipped");
	if (state_get_int(fc, obj, "attempt", 0, INT32_MAX, &v) != 0)
		return -EINVAL;
	p->attempt = (int)v;
	if (state_get_int(fc, obj, "pid", 0, INT32_MAX, &v) != 0)
		return -EINVAL;
	p->pid = (pid_t)v;
	if (state_get_int(fc, obj, "ended_wall_s", INT64_MIN, INT64_MAX, &v) != 0)
		return -EINVAL;
	p->ended_wall_s = v;
	if (state_get_int(fc, obj, "attempt_started_ns", 0, INT64_MAX, &v) != 0)
		return -EINVAL;
	p->attempt_started_ns = v;
	p->exit_code = -1;
	if (json_object_get(obj, "exit_code") != NULL &&
	    !json_is_null(json_object_get(obj, "exit_code"))) {
		if (state_get_int(fc, obj, "exit_code", 0, 255, &v) != 0)
			return -EINVAL;
		p->exit_code = (int)v;
	}
	if (state_get_int(fc, obj, "signal", 0, 64, &v) != 0)
		return -EINVAL;
	p->term_signal = (int)v;
	if (state_get_hash(fc, obj, "command_hash", &p->command_hash) != 0)
		return -EINVAL;
	if (state_get_u64(fc, obj, "start_ticks", &p->start_ticks) != 0 ||
	    state_get_u64(fc, obj, "input_bytes", &p->input_bytes) != 0 ||
	    state_get_u64(fc, obj, "peak_rss_bytes", &p->peak_rss_bytes) != 0)
		return -EINVAL;
	ratio = json_object_get(obj, "ratio");
	if (ratio != NULL) {
		if (!json_is_number(ratio) || json_number_value(ratio) < 0)
			return state_bad_field(fc, "ratio", "expected a number >= 0");
		p->ratio = json_number_value(ratio);
	}
	if (state_get_str(fc, obj, "output", p->output, sizeof p->output) != 0 ||
	    state_get_str(fc, obj, "cgroup", p->cgroup, sizeof p->cgroup) != 0 ||
	    state_get_str(fc, obj, "reason", p->reason, sizeof p->reason) != 0 ||
	    state_get_str(fc, obj, "command", p->command, sizeof p->command) != 0)
		return -EINVAL;
	return 0;
}

static int state_parse(struct state *st, json_t *root, char *err, size_t errlen)
{
	struct state_field_ctx fc = { st->path, NULL, err, errlen };
	struct state_pair p;
	json_t *version, *pairs, *entry, *plan;
	const char *name;

	if (!json_is_object(root)) {
		state_say(err, errlen, "%s: not a state (expected a JSON object)", st->path);
		return -EINVAL;
	}
	version = json_object_get(root, "version");
	if (!json_is_integer(version)) {
		state_say(err, errlen,
		          "%s: key 'version': missing or not an "
		          "integer",
		          st->path);
		return -EINVAL;
	}
	if (json_integer_value(version) < STATE_OLDEST_VERSION ||
	    json_integer_value(version) > STATE_VERSION) {
		state_say(err, errlen,
		          "%s: state version %lld, this mergewatch "
		          "reads %d to %d",
		          st->path, (long long)json_integer_value(version), STATE_OLDEST_VERSION,
		          STATE_VERSION);
		return -EINVAL;
	}
	plan = json_object_get(root, "plan");
	if (plan != NULL && !json_is_null(plan)) {
		if (!json_is_string(plan)) {
			state_say(err, errlen, "%s: key 'plan': expected a string", st->path);
			return -EINVAL;
		}
		if ((st->plan = strdup(json_string_value(plan))) == NULL) {
			state_say(err, errlen, "%s: %s", st->path, strerror(ENOMEM));
			return -ENOMEM;
		}
	}
	pairs = json_object_get(root, "pairs");
	if (pairs == NULL)
		return 0;
	if (!json_is_object(pairs)) {
		state_say(err, errlen, "%s: key 'pairs': expected an object", st->path);
		return -EINVAL;
	}
	json_object_foreach(pairs, name, entry)
	{
		fc.pair = name;
		if (state_parse_pair(&fc, entry, &p) != 0)
			return -EINVAL;
		if (state_put(st, &p) != 0) {
			state_say(err, errlen, "%s: %s", st->path, strerror(ENOMEM));
			return -ENOMEM;
		}
	}
	return 0;
}

struct state *state_load(const char *log_dir, char *err, size_t errlen)
{
	struct state *st;
	json_error_t jerr;
	json_t *root;
	FILE *f;
	int e;

	if ((st = state_new(log_dir)) == NULL) {
		state_say(err, errlen, "%s/state: %s", log_dir, strerror(ENOMEM));
		return NULL;
	}
	if ((f = fopen(st->path, "re")) == NULL) {
		e = errno;
		if (e == ENOENT)
			return st; /* first run */
		state_say(err, errlen, "open %s: %s", st->path, strerror(e));
		state_free(st);
		return NULL;
	}
	root = json_loadf(f, JSON_REJECT_DUPLICATES, &jerr);
	fclose(f);
	if (root == NULL) {
		state_say(err, errlen, "%s: line %d, column %d: %s", st->path, jerr.line,
		          jerr.column, jerr.text);
		state_free(st);
		return NULL;
	}
	if (state_parse(st, root, err, errlen) != 0) {
		json_decref(root);
		state_free(st);
		return NULL;
	}
	json_decref(root);
	return st;
}

const struct state_pair *state_find(const struct state *st, const char *name)
{
	for (size_t i = 0; i < st->n_pairs; i++)
		if (strcmp(st->pairs[i].name, name) == 0)
			return &st->pairs[i];
	return NULL;
}

const struct state_pair *state_at(const struct state *st, size_t i)
{
	return i < st->n_pairs ? &st->pairs[i] : NULL;
}

int state_put(struct state *st, const struct state_pair *p)
{
	struct state_pair *grown;
	size_t cap;

	if (p->name[0] == '\0' || memchr(p->name, '\0', sizeof p->name) == NULL)
		return -EINVAL;
	for (size_t i = 0; i < st->n_pairs; i++) {
		if (strcmp(st->pairs[i].name, p->name) == 0) {
			st->pairs[i] = *p;
			return 0;
		}
	}
	if (st->n_pairs == st->cap_pairs) {
		cap = st->cap_pairs == 0 ? 16 : st->cap_pairs * 2;
		grown = reallocarray(st->pairs, cap, sizeof *grown);
		if (grown == NULL)
			return -ENOMEM;
		st->pairs = grown;
		st->cap_pairs = cap;
	}
	st->pairs[st->n_pairs++] = *p;
	return 0;
}

double state_max_ratio(const struct state *st)
{
	double max = 0;

	for (size_t i = 0; i < st->n_pairs; i++)
		if (st->pairs[i].status == STATE_DONE && st->pairs[i].ratio > max)
			max = st->pairs[i].ratio;
	return max;
}

/* ---- writing ---- */

/* Sets key to a new value; false if either allocation failed. */
static bool state_set(json_t *obj, const char *key, json_t *value)
{
	return value != NULL && json_object_set_new(obj, key, value) == 0;
}

static json_t *state_u64_json(uint64_t v)
{
	/* jansson integers are signed 64-bit; nothing real comes near */
	return json_integer(v > INT64_MAX ? INT64_MAX : (json_int_t)v);
}

static json_t *state_pair_json(const struct state_pair *p)
{
	json_t *o = json_object();
	char hash[17];
	bool ok;

	snprintf(hash, sizeof hash, "%016llx", (unsigned long long)p->command_hash);
	if (o == NULL)
		return NULL;
	ok = state_set(o, "status", json_string(state_status_name(p->status))) &&
	     state_set(o, "attempt", json_integer(p->attempt)) &&
	     state_set(o, "pid", json_integer(p->pid)) &&
	     state_set(o, "start_ticks", state_u64_json(p->start_ticks)) &&
	     state_set(o, "attempt_started_ns", json_integer(p->attempt_started_ns)) &&
	     state_set(o, "exit_code",
	               p->exit_code >= 0 ? json_integer(p->exit_code) : json_null()) &&
	     state_set(o, "signal", json_integer(p->term_signal)) &&
	     state_set(o, "command_hash", json_string(hash)) &&
	     state_set(o, "command", jsonstr_new(p->command)) &&
	     state_set(o, "input_bytes", state_u64_json(p->input_bytes)) &&
	     state_set(o, "peak_rss_bytes", state_u64_json(p->peak_rss_bytes)) &&
	     state_set(o, "ratio", json_real(isfinite(p->ratio) ? p->ratio : 0)) &&
	     /* The output path is the user's bytes: kept readable, not
	      * relied on (a resumed run takes it from the plan). */
	     state_set(o, "output", jsonstr_new(p->output)) &&
	     state_set(o, "cgroup", json_string(p->cgroup)) &&
	     state_set(o, "ended_wall_s", json_integer(p->ended_wall_s)) &&
	     state_set(o, "reason", json_string(p->reason));
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* The whole state as text, sorted and indented; caller frees. NULL if out
 * of memory or a string is not UTF-8 (jansson refuses it). */
static char *state_dump(const struct state *st)
{
	json_t *root, *pairs;
	char *text = NULL;
	bool ok;

	root = json_object();
	pairs = json_object();
	ok = root != NULL && pairs != NULL &&
	     state_set(root, "version", json_integer(STATE_VERSION)) &&
	     state_set(root, "plan", st->plan ? json_string(st->plan) : json_null()) &&
	     json_object_set(root, "pairs", pairs) == 0;
	for (size_t i = 0; ok && i < st->n_pairs; i++)
		ok = state_set(pairs, st->pairs[i].name, state_pair_json(&st->pairs[i]));
	if (ok)
		text = json_dumps(root, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(pairs);
	json_decref(root);
	return text;
}

int state_save(struct state *st, char *err, size_t errlen)
{
	char *text;
	int rc;

	if ((text = state_dump(st)) == NULL) {
		state_say(err, errlen,
		          "%s: cannot encode the state (a path "
		          "that is not UTF-8, or out of memory)",
		          st->path);
		return -EINVAL;
	}
	size_t len = strlen(text);

	text[len] = '\n'; /* json_dumps's terminator: the file ends in a newline */
	rc = fsutil_write_atomic(st->path, text, len + 1, err, errlen);
	free(text);
	return rc;
}

const char *state_plan(const struct state *st)
{
	return st->plan;
}

int state_claim(struct state *st, const char *plan_path, char *err, size_t errlen)
{
	/* Kept as the file holds it: a path that is not UTF-8 reads back
	 * escaped (jsonstr), so it is compared escaped. */
	json_t *as_json = jsonstr_new(plan_path);
	char *copy = as_json ? strdup(json_string_value(as_json)) : NULL;

	json_decref(as_json);
	if (copy == NULL)
		return -ENOMEM;
	if (st->plan != NULL) {
		bool same = strcmp(st->plan, copy) == 0;

		free(copy);
		if (same)
			return 0;
		state_say(err, errlen,
		          "log_dir %s belongs to plan %s (its state file %s): give plan %s a "
		          "log_dir of its own",
		          st->dir, st->plan, st->path, plan_path);
		return -EBUSY;
	}
	st->plan = copy;
	return 0;
}

void state_remove(struct state *st, const char *name)
{
	for (size_t i = 0; i < st->n_pairs; i++) {
		if (strcmp(st->pairs[i].name, name) == 0) {
			st->pairs[i] = st->pairs[--st->n_pairs];
			return;
		}
	}
}

uint64_t state_command_hash(const char *command)
{
	uint64_t h = 14695981039346656037ULL;

	for (const unsigned char *c = (const unsigned char *)command; *c != '\0'; c++) {
		h ^= *c;
		h *= 1099511628211ULL;
	}
	return h;
}
