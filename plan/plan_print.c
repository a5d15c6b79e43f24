/* What `mergewatch check` prints: every effective setting, written so that
 * the plan parser reads it back to the same values. Unset optional keys are
 * printed as "none", which the parser reads as unset. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"
#include "plan_keys.h"

enum { COMMENT_COLUMN = 32 };

/* "key = value", with "; comment" aligned after it when there is one. */
static void print_line(FILE *out, const char *key, const char *value, const char *comment)
{
	int used = fprintf(out, "%s = %s", key, value);

	if (comment != NULL && comment[0] != '\0')
		fprintf(out, "%*s; %s", used < COMMENT_COLUMN - 2 ? COMMENT_COLUMN - used : 2, "",
		        comment);
	fputc('\n', out);
}

static void print_string(FILE *out, const char *key, const char *value)
{
	print_line(out, key, value != NULL ? value : "none", NULL);
}

static void print_words(FILE *out, const char *key, char *const *words, int n)
{
	if (n == 0) {
		print_line(out, key, "none", NULL);
		return;
	}
	fprintf(out, "%s =", key);
	for (int i = 0; i < n; i++)
		fprintf(out, " %s", words[i]);
	fputc('\n', out);
}

/* A percentage is followed by what it means on this machine. */
static void print_size(FILE *out, enum plan_keys_id key, const struct size_spec *s,
                       uint64_t mem_total, uint64_t swap_total)
{
	char value[48], bytes[32], comment[64] = "";
	uint64_t base = plan_keys_base(key) == PLAN_KEYS_BASE_SWAP ? swap_total : mem_total;

	units_format_size_spec(s, value, sizeof value);
	if (s->kind == SIZE_PERCENT && base != 0) {
		units_format_size(units_size_resolve(s, base), bytes, sizeof bytes);
		snprintf(comment, sizeof comment, "%s%s", bytes,
		         plan_keys_base(key) == PLAN_KEYS_BASE_SWAP ? " of swap" : "");
	} else if (key == PLAN_KEY_START_MIN_AVAILABLE && s->kind == SIZE_BYTES && s->bytes == 0) {
		snprintf(comment, sizeof comment, "no health gate");
	}
	print_line(out, plan_keys_name(key), value, comment);
}

static void print_duration(FILE *out, enum plan_keys_id key, uint64_t ms, bool zero_is_none)
{
	char value[32];

	if (ms == 0 && zero_is_none)
		snprintf(value, sizeof value, "none");
	else
		units_format_duration(ms, value, sizeof value);
	print_line(out, plan_keys_name(key), value, NULL);
}

/* The shortest plain decimal (never an exponent, which the parsers refuse)
 * that strtod reads back as x. */
static void format_number(double x, char *buf, size_t len)
{
	for (int decimals = 0; decimals <= 17; decimals++) {
		snprintf(buf, len, "%.*f", decimals, x);
		if (strtod(buf, NULL) == x)
			return;
	}
}

static void print_number(FILE *out, enum plan_keys_id key, double x)
{
	char value[40];

	format_number(x, value, sizeof value);
	print_line(out, plan_keys_name(key), value, NULL);
}

/* warn_at as the shortest "80%" that the parser reads back as the same
 * value, else as the shortest such fraction: "55.9%" is parsed as
 * 55.9 / 100, which no 9-decimal fraction need equal. */
static void print_warn_at(FILE *out, double warn_at)
{
	char value[48];
	double back;

	for (int d = 0; d <= 7; d++) {
		snprintf(value, sizeof value, "%.*f%%", d, warn_at * 100);
		if (units_parse_number(value, true, &back) == 0 && back == warn_at)
			goto print;
	}
	for (int d = 1; d <= 9; d++) {
		snprintf(value, sizeof value, "%.*f", d, warn_at);
		if (units_parse_number(value, false, &back) == 0 && back == warn_at)
			goto print;
	}
print:
	print_line(out, plan_keys_name(PLAN_KEY_WARN_AT), value, NULL);
}

static void print_limits(FILE *out, const struct limits *l, uint64_t mem_total, uint64_t swap_total)
{
	print_size(out, PLAN_KEY_KILL_RSS, &l->kill_rss, mem_total, swap_total);
	print_warn_at(out, l->warn_at);
	print_size(out, PLAN_KEY_MEMORY_MAX, &l->memory_max, mem_total, swap_total);
	print_size(out, PLAN_KEY_SWAP_MAX, &l->swap_max, mem_total, swap_total);
	print_duration(out, PLAN_KEY_TIMEOUT, l->timeout_ms, true);
	print_duration(out, PLAN_KEY_KILL_GRACE, l->kill_grace_ms, false);
	print_duration(out, PLAN_KEY_VERIFY_TIMEOUT, l->verify_timeout_ms, false);
	print_number(out, PLAN_KEY_BLOAT_RATIO, l->bloat_ratio);
	print_number(out, PLAN_KEY_EXPECTED_RATIO, l->expected_ratio);
	print_duration(out, PLAN_KEY_DEADLOCK_WINDOW, l->deadlock_window_ms, false);
	print_string(out, "on_deadlock", plan_on_deadlock_name(l->on_deadlock));
	print_string(out, "capture", l->capture);
}

/* Pressure is judged for the whole machine: its keys live in [limits]. */
static void print_pressure(FILE *out, const struct limits *l, uint64_t mem_total,
                           uint64_t swap_total)
{
	print_size(out, PLAN_KEY_PRESSURE_AVAILABLE, &l->pressure_available, mem_total, swap_total);
	print_size(out, PLAN_KEY_PRESSURE_SWAP, &l->pressure_swap, mem_total, swap_total);
	print_number(out, PLAN_KEY_PRESSURE_PSI, l->pressure_psi);
}

void plan_print(const struct plan *plan, FILE *out, uint64_t mem_total, uint64_t swap_total)
{
	char retries[16];

	if (plan->path != NULL)
		fprintf(out, "; %s: effective settings\n", plan->path);
	fprintf(out, "[run]\n");
	print_string(out, "on_failure", plan_on_failure_name(plan->on_failure));
	snprintf(retries, sizeof retries, "%d", plan->retries);
	print_string(out, "retries", retries);
	print_size(out, PLAN_KEY_START_MIN_AVAILABLE, &plan->start_min_available, mem_total,
	           swap_total);
	print_size(out, PLAN_KEY_START_MAX_SWAP_USED, &plan->start_max_swap_used, mem_total,
	           swap_total);
	print_duration(out, PLAN_KEY_GATE_TIMEOUT, plan->gate_timeout_ms, false);
	print_string(out, "log_dir", plan->log_dir);
	if (plan->jobs == PLAN_JOBS_AUTO)
		print_line(out, "jobs", "auto", "as many pairs as memory_budget holds");
	else {
		char jobs[16];

		snprintf(jobs, sizeof jobs, "%d", plan->jobs);
		print_line(out, "jobs", jobs, plan->jobs == 1 ? "one pair at a time" : NULL);
	}
	print_size(out, PLAN_KEY_MEMORY_BUDGET, &plan->memory_budget, mem_total, swap_total);

	/* The file's path only: the URL in it is a secret. */
	fprintf(out, "\n[alerts]\n");
	print_string(out, "webhook_url_file", plan->webhook_url_file);
	print_string(out, "format", plan_webhook_format_name(plan->webhook_format));
	print_duration(out, PLAN_KEY_COOLDOWN, plan->cooldown_ms, false);

	fprintf(out, "\n[limits]\n");
	print_pressure(out, &plan->limits, mem_total, swap_total);

	for (int i = 0; i < plan->n_pairs; i++) {
		const struct pair_spec *pair = &plan->pairs[i];

		fprintf(out, "\n[pair %s]\n", pair->name);
		print_string(out, "command", pair->command);
		print_words(out, "inputs", pair->inputs, pair->n_inputs);
		print_string(out, "output", pair->output);
		print_string(out, "verify", pair->verify);
		print_string(out, "cleanup", pair->cleanup);
		print_string(out, "cwd", pair->cwd);
		print_words(out, "env", pair->env, pair->n_env);
		print_string(out, "progress_regex", pair->progress_regex);
		print_limits(out, &pair->limits, mem_total, swap_total);
	}
}
