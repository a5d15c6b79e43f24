/* The plan file as a user writes it: every key of SPEC with its default,
 * overrides in the documented order, an error naming file, line and key for
 * every mistake, and `check`'s output reading back to the same plan. */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../plan/plan.h"
#include "../../plan/plan_keys.h"
#include "helpers.h"

/* A scratch directory per test, removed afterwards. */
struct scratch {
	char dir[64];
	char fixtures[PATH_MAX];
};

static int setup(void **state)
{
	struct scratch *s = SCRATCH_FIXTURE(struct scratch, dir, "plan");
	const char *env = getenv("MERGEWATCH_FIXTURES");

	if (s == NULL)
		return -1;
	/* Fixtures: $MERGEWATCH_FIXTURES, else next to this file. */
	if (env != NULL) {
		snprintf(s->fixtures, sizeof s->fixtures, "%s/plans", env);
	} else {
		const char *unit = strstr(__FILE__, "unit/test_plan.c");
		snprintf(s->fixtures, sizeof s->fixtures, "%.*sfixtures/plans",
		         unit != NULL ? (int)(unit - __FILE__) : 0, __FILE__);
	}
	*state = s;
	return 0;
}

static int teardown(void **state)
{
	struct scratch *s = *state;

	tree_remove(s->dir);
	free(s);
	return 0;
}

/* Sets $HOME to home and returns the old value, which restore_home puts
 * back. */
static char *set_home(const char *home)
{
	const char *old = getenv("HOME");
	char *saved = old != NULL ? strdup(old) : NULL;

	setenv("HOME", home, 1);
	return saved;
}

static void restore_home(char *saved)
{
	if (saved != NULL)
		setenv("HOME", saved, 1);
	else
		unsetenv("HOME");
	free(saved);
}

/* Writes text to DIR/name and returns the path in buf. */
static const char *write_file(struct scratch *s, const char *name, const char *text, char *buf,
                              size_t len)
{
	write_text(path_join(buf, len, s->dir, name), text);
	return buf;
}

static struct plan *load_text(struct scratch *s, const char *text, struct plan_error *err)
{
	char path[PATH_MAX];

	return plan_load(write_file(s, "plan.ini", text, path, sizeof path), err);
}

static struct plan *load_fixture(struct scratch *s, const char *name)
{
	char path[PATH_MAX * 2];
	struct plan_error err;
	struct plan *plan;

	snprintf(path, sizeof path, "%s/%s", s->fixtures, name);
	plan = plan_load(path, &err);
	if (plan == NULL)
		fail_msg("%s: %s", name, err.msg);
	return plan;
}

static const struct pair_spec *find_pair(const struct plan *plan, const char *name)
{
	for (int i = 0; i < plan->n_pairs; i++) {
		if (strcmp(plan->pairs[i].name, name) == 0)
			return &plan->pairs[i];
	}
	fail_msg("no pair %s", name);
	return NULL;
}

static void assert_size(const struct size_spec *s, int kind, uint64_t bytes, double percent)
{
	assert_int_equal(s->kind, kind);
	if (kind == SIZE_BYTES)
		assert_true(s->bytes == bytes);
	if (kind == SIZE_PERCENT)
		assert_true(s->percent == percent);
}

static void assert_default_limits(const struct limits *l)
{
	assert_size(&l->kill_rss, SIZE_PERCENT, 0, 90);
	assert_true(l->warn_at == 0.8);
	assert_size(&l->memory_max, SIZE_PERCENT, 0, 95);
	assert_int_equal(l->swap_max.kind, SIZE_UNLIMITED);
	assert_true(l->timeout_ms == 0);
	assert_true(l->kill_grace_ms == 10000);
	assert_true(l->verify_timeout_ms == 30 * 60 * 1000);
	assert_true(l->bloat_ratio == 6);
	assert_true(l->expected_ratio == 6);
	assert_true(l->deadlock_window_ms == 120000);
	assert_int_equal(l->on_deadlock, ON_DEADLOCK_ALERT);
	assert_null(l->capture);
	assert_size(&l->pressure_available, SIZE_PERCENT, 0, 10);
	assert_size(&l->pressure_swap, SIZE_PERCENT, 0, 50);
	assert_true(l->pressure_psi == 20);
}

static void test_full_example_sets_every_key(void **state)
{
	struct scratch *s = *state;
	char home[PATH_MAX], expect[PATH_MAX * 2], fixture[PATH_MAX * 2], *text, *saved;
	struct plan *plan;
	const struct pair_spec *p;
	FILE *f;
	long size;

	/* Every key of the table appears in the fixture. */
	snprintf(fixture, sizeof fixture, "%s/full.ini", s->fixtures);
	f = fopen(fixture, "r");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	rewind(f);
	text = calloc(1, (size_t)size + 1);
	assert_non_null(text);
	assert_int_equal(fread(text, 1, (size_t)size, f), (size_t)size);
	fclose(f);
	for (int k = 0; k < PLAN_KEY_COUNT; k++) {
		char line[64];
		snprintf(line, sizeof line, "\n%s = ", plan_keys_name((enum plan_keys_id)k));
		if (strstr(text, line) == NULL)
			fail_msg("full.ini lacks key %s", plan_keys_name((enum plan_keys_id)k));
	}
	free(text);

	snprintf(home, sizeof home, "%s", s->dir);
	saved = set_home(home);
	plan = load_fixture(s, "full.ini");
	restore_home(saved);

	assert_int_equal(plan->on_failure, ON_FAILURE_CONTINUE);
	assert_int_equal(plan->retries, 1);
	assert_size(&plan->start_min_available, SIZE_BYTES, 20 * GiB, 0);
	assert_size(&plan->start_max_swap_used, SIZE_BYTES, 1 * GiB, 0);
	assert_true(plan->gate_timeout_ms == 15 * 60 * 1000);
	assert_int_equal(plan->jobs, 1);
	assert_size(&plan->memory_budget, SIZE_PERCENT, 0, 90);
	snprintf(expect, sizeof expect, "%s/logs", plan->dir);
	assert_string_equal(plan->log_dir, expect);
	assert_true(plan->log_dir[0] == '/');

	assert_size(&plan->limits.kill_rss, SIZE_BYTES, 50 * GiB, 0);
	assert_true(plan->limits.warn_at == 0.8);
	assert_size(&plan->limits.memory_max, SIZE_BYTES, 56 * GiB, 0);
	assert_size(&plan->limits.swap_max, SIZE_BYTES, 0, 0);
	assert_true(plan->limits.timeout_ms == 30 * 60 * 1000);
	assert_true(plan->limits.kill_grace_ms == 10 * 1000);
	assert_true(plan->limits.bloat_ratio == 6);
	assert_true(plan->limits.expected_ratio == 6);
	assert_true(plan->limits.deadlock_window_ms == 2 * 60 * 1000);
	assert_int_equal(plan->limits.on_deadlock, ON_DEADLOCK_ALERT);
	assert_string_equal(plan->limits.capture, "py-spy dump --pid {pid}");
	assert_size(&plan->limits.pressure_available, SIZE_PERCENT, 0, 10);
	assert_size(&plan->limits.pressure_swap, SIZE_PERCENT, 0, 50);
	assert_true(plan->limits.pressure_psi == 20);

	snprintf(expect, sizeof expect, "%s/.config/mergewatch/webhook", home);
	assert_string_equal(plan->webhook_url_file, expect);
	assert_int_equal(plan->webhook_format, WEBHOOK_SLACK);
	assert_true(plan->cooldown_ms == 10 * 60 * 1000);

	assert_int_equal(plan->n_pairs, 1);
	p = &plan->pairs[0];
	assert_string_equal(p->name, "chr01");
	assert_int_equal(p->line, 34);
	assert_string_equal(p->command, "python3 scripts/merge_with_polars.py --pair 01");
	assert_int_equal(p->n_inputs, 1);
	assert_string_equal(p->inputs[0], "checkpoints/pair01/*.parquet");
	assert_string_equal(p->output, "merged/pair01.parquet");
	assert_string_equal(p->verify, "python3 scripts/check_parquet.py merged/pair01.parquet");
	assert_string_equal(p->cleanup, "checkpoints/pair01");
	assert_string_equal(p->cwd, "/data/merge");
	assert_int_equal(p->n_env, 1);
	assert_string_equal(p->env[0], "POLARS_MAX_THREADS=8");
	assert_string_equal(p->progress_regex, "rows ([0-9]+) of ([0-9]+)");
	/* The pair inherits [limits] whole. */
	assert_size(&p->limits.kill_rss, SIZE_BYTES, 50 * GiB, 0);
	assert_true(p->limits.timeout_ms == 30 * 60 * 1000);
	assert_string_equal(p->limits.capture, "py-spy dump --pid {pid}");
	assert_true(p->limits.capture != plan->limits.capture);
	plan_free(plan);
}

static void test_minimal_plan_gets_every_default(void **state)
{
	struct scratch *s = *state;
	struct plan *plan = load_fixture(s, "minimal.ini");
	char expect[PATH_MAX * 2], *dir;

	assert_non_null(strstr(plan->path, "minimal.ini"));
	dir = realpath(s->fixtures, NULL);
	assert_non_null(dir);
	assert_string_equal(plan->dir, dir);
	snprintf(expect, sizeof expect, "%s/mergewatch-logs", dir);
	assert_string_equal(plan->log_dir, expect);
	free(dir);

	assert_int_equal(plan->on_failure, ON_FAILURE_CONTINUE);
	assert_int_equal(plan->retries, 0);
	assert_size(&plan->start_min_available, SIZE_BYTES, 0, 0);
	assert_int_equal(plan->start_max_swap_used.kind, SIZE_UNLIMITED);
	assert_true(plan->gate_timeout_ms == 15 * 60 * 1000);
	/* One pair at a time unless the plan says otherwise: today's run. */
	assert_int_equal(plan->jobs, 1);
	assert_size(&plan->memory_budget, SIZE_PERCENT, 0, 90);
	assert_default_limits(&plan->limits);
	assert_null(plan->webhook_url_file);
	assert_int_equal(plan->webhook_format, WEBHOOK_SLACK);
	assert_true(plan->cooldown_ms == 10 * 60 * 1000);

	assert_int_equal(plan->n_pairs, 1);
	assert_string_equal(plan->pairs[0].name, "only");
	assert_string_equal(plan->pairs[0].command, "true");
	assert_int_equal(plan->pairs[0].n_inputs, 0);
	assert_null(plan->pairs[0].inputs);
	assert_null(plan->pairs[0].output);
	assert_null(plan->pairs[0].verify);
	assert_null(plan->pairs[0].cleanup);
	assert_null(plan->pairs[0].cwd);
	assert_int_equal(plan->pairs[0].n_env, 0);
	assert_null(plan->pairs[0].progress_regex);
	assert_default_limits(&plan->pairs[0].limits);
	plan_free(plan);
}

static void test_pair_keys_override_limits_written_later(void **state)
{
	struct scratch *s = *state;
	struct plan *plan = load_fixture(s, "overrides.ini");
	const struct pair_spec *big = find_pair(plan, "big"), *small = find_pair(plan, "small");

	/* [limits] as written. */
	assert_size(&plan->limits.kill_rss, SIZE_BYTES, 40 * GiB, 0);
	assert_true(plan->limits.timeout_ms == 30 * 60 * 1000);

	/* big: its own kill_rss, on_deadlock and capture; the rest from [limits]. */
	assert_size(&big->limits.kill_rss, SIZE_BYTES, 80 * GiB, 0);
	assert_int_equal(big->limits.on_deadlock, ON_DEADLOCK_KILL);
	assert_string_equal(big->limits.capture, "gdb -p {pid} -batch -ex 'thread apply all bt'");
	assert_true(big->limits.timeout_ms == 30 * 60 * 1000);
	assert_true(big->limits.warn_at == 0.9);
	assert_size(&big->limits.pressure_swap, SIZE_PERCENT, 0, 25);
	assert_true(big->limits.kill_grace_ms == 10000); /* default */
	assert_int_equal(big->n_inputs, 2);
	assert_string_equal(big->inputs[0], "in/big-*.parquet");
	assert_string_equal(big->inputs[1], "in/extra.parquet");
	assert_int_equal(big->n_env, 3);
	assert_string_equal(big->env[0], "A=1");
	assert_string_equal(big->env[1], "B=two");
	assert_string_equal(big->env[2], "C=");

	/* small: its own timeout; kill_rss and capture from [limits]. */
	assert_size(&small->limits.kill_rss, SIZE_BYTES, 40 * GiB, 0);
	assert_true(small->limits.timeout_ms == 60 * 60 * 1000);
	assert_string_equal(small->limits.capture, "py-spy dump --pid {pid}");
	assert_int_equal(small->limits.on_deadlock, ON_DEADLOCK_ALERT);
	plan_free(plan);
}

static void test_option_beats_pair_key(void **state)
{
	struct scratch *s = *state;
	struct plan *plan = load_fixture(s, "overrides.ini");
	struct plan_error err;

	assert_int_equal(plan_override(plan, "kill_rss", "7G", &err), 0);
	assert_int_equal(plan_override(plan, "on_deadlock", "restart", &err), 0);
	assert_int_equal(plan_override(plan, "capture", "none", &err), 0);
	assert_int_equal(plan_override(plan, "timeout", "5m", &err), 0);
	assert_int_equal(plan_override(plan, "webhook_format", "discord", &err), 0);
	assert_int_equal(plan_override(plan, "cooldown", "1m", &err), 0);
	for (int i = 0; i < plan->n_pairs; i++) {
		const struct limits *l = &plan->pairs[i].limits;
		assert_size(&l->kill_rss, SIZE_BYTES, 7 * GiB, 0);
		assert_int_equal(l->on_deadlock, ON_DEADLOCK_RESTART);
		assert_null(l->capture);
		assert_true(l->timeout_ms == 5 * 60 * 1000);
	}
	assert_size(&plan->limits.kill_rss, SIZE_BYTES, 7 * GiB, 0);
	assert_int_equal(plan->webhook_format, WEBHOOK_DISCORD);
	assert_true(plan->cooldown_ms == 60 * 1000);
	assert_int_equal(plan_override(plan, "format", "teams", &err), 0);
	assert_int_equal(plan->webhook_format, WEBHOOK_TEAMS);
	/* --jobs is the one [run] key that is also an option. */
	assert_int_equal(plan_override(plan, "jobs", "auto", &err), 0);
	assert_int_equal(plan->jobs, PLAN_JOBS_AUTO);
	assert_int_equal(plan_override(plan, "jobs", "3", &err), 0);
	assert_int_equal(plan->jobs, 3);
	plan_free(plan);
}

static void test_option_errors_name_the_option(void **state)
{
	static const struct {
		const char *key, *value, *option;
	} cases[] = {
		{ "kill_rss", "lots", "option --kill-rss:" },
		{ "memory_max", "auto", "option --memory-max:" },
		{ "swap_max", "5X", "option --swap-max:" },
		{ "timeout", "5d", "option --timeout:" },
		{ "bloat_ratio", "0", "option --bloat-ratio:" },
		{ "deadlock_window", "0", "option --deadlock-window:" },
		{ "on_deadlock", "panic", "option --on-deadlock:" },
		{ "webhook_format", "irc", "option --webhook-format:" },
		{ "format", "irc", "option --webhook-format:" },
		{ "cooldown", "soon", "option --cooldown:" },
		{ "retries", "3", "option --retries:" },
		{ "jobs", "0", "option --jobs:" },
		{ "jobs", "many", "option --jobs:" },
		{ "memory_budget", "50%", "option --memory-budget:" },
		{ "no_such_thing", "1", "option --no-such-thing:" },
	};
	struct scratch *s = *state;
	struct plan *plan = load_fixture(s, "overrides.ini");
	struct plan_error err;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char got[64];

		assert_int_equal(plan_override(plan, cases[i].key, cases[i].value, &err), -EINVAL);
		if (strstr(err.msg, cases[i].option) != err.msg)
			fail_msg("%s=%s: '%s'", cases[i].key, cases[i].value, err.msg);
		snprintf(got, sizeof got, "(got '%s')", cases[i].value);
		if (strcmp(cases[i].key, "retries") != 0 &&
		    strcmp(cases[i].key, "memory_budget") != 0 &&
		    strcmp(cases[i].key, "no_such_thing") != 0 && strstr(err.msg, got) == NULL)
			fail_msg("%s=%s: '%s'", cases[i].key, cases[i].value, err.msg);
	}
	/* A refused option changes nothing. */
	assert_size(&find_pair(plan, "big")->limits.kill_rss, SIZE_BYTES, 80 * GiB, 0);
	assert_int_equal(plan->webhook_format, WEBHOOK_SLACK);
	plan_free(plan);
}

static void test_option_webhook_url_file(void **state)
{
	struct scratch *s = *state;
	struct plan *plan = load_fixture(s, "minimal.ini");
	struct plan_error err;
	char *saved = set_home("/home/merger");

	assert_int_equal(plan_override(plan, "webhook_url_file", "~/hook", &err), 0);
	assert_string_equal(plan->webhook_url_file, "/home/merger/hook");
	/* Without $HOME there is nothing to expand "~/" with. */
	unsetenv("HOME");
	assert_int_equal(plan_override(plan, "webhook_url_file", "~/hook", &err), -EINVAL);
	assert_non_null(strstr(err.msg, "option --webhook-url-file:"));
	assert_non_null(strstr(err.msg, "$HOME"));
	restore_home(saved);
	/* From the command line a relative path stays relative to the caller. */
	assert_int_equal(plan_override(plan, "webhook_url_file", "hook.txt", &err), 0);
	assert_string_equal(plan->webhook_url_file, "hook.txt");
	plan_free(plan);
}

static void test_plan_new_command(void **state)
{
	struct plan *plan =
		plan_new_command("job", "sleep 1 && echo done", "a.parquet  b/*.parquet");
	char cwd[PATH_MAX], expect[PATH_MAX + 32];

	(void)state;
	assert_non_null(plan);
	assert_non_null(getcwd(cwd, sizeof cwd));
	assert_null(plan->path);
	assert_string_equal(plan->dir, cwd);
	snprintf(expect, sizeof expect, "%s/mergewatch-logs", cwd);
	assert_string_equal(plan->log_dir, expect);
	assert_int_equal(plan->n_pairs, 1);
	assert_string_equal(plan->pairs[0].name, "job");
	assert_int_equal(plan->pairs[0].line, 0);
	assert_string_equal(plan->pairs[0].command, "sleep 1 && echo done");
	assert_int_equal(plan->pairs[0].n_inputs, 2);
	assert_string_equal(plan->pairs[0].inputs[1], "b/*.parquet");
	assert_default_limits(&plan->pairs[0].limits);
	assert_default_limits(&plan->limits);
	plan_free(plan);

	plan = plan_new_command("job", "true", NULL);
	assert_non_null(plan);
	assert_int_equal(plan->pairs[0].n_inputs, 0);
	plan_free(plan);
}

/* Each bad plan: the line the error must name and what it must say. */
static const struct {
	const char *what;
	const char *text;
	int line; /* 0: the file only */
	const char *says[3];
} bad_plans[] = {
	{ "unknown key, suggestion",
	  "[limits]\nkill_rs = 5G\n[pair a]\ncommand = x\n",
	  2,
	  { "unknown key 'kill_rs' in [limits]", "did you mean 'kill_rss'?" } },
	{ "unknown key in a pair",
	  "[pair a]\ncommand = x\nouptut = y\n",
	  3,
	  { "unknown key 'ouptut' in [pair a]", "'output'" } },
	{ "unknown key, case",
	  "[limits]\nKill_RSS = 5G\n[pair a]\ncommand = x\n",
	  2,
	  { "'Kill_RSS'", "did you mean 'kill_rss'?" } },
	{ "unknown key, nothing close",
	  "[run]\nzebra = 1\n[pair a]\ncommand = x\n",
	  2,
	  { "unknown key 'zebra' in [run]" } },
	{ "key twice",
	  "[limits]\nkill_rss = 5G\n\ntimeout = 1m\nkill_rss = 6G\n[pair a]\ncommand = x\n",
	  5,
	  { "key 'kill_rss' given twice in [limits]", "first on line 2" } },
	{ "stacked repetitions",
	  "[pair a]\ncommand = x\nprogress_regex = ([0-9]+) of ([0-9]++++)\n",
	  3,
	  { "progress_regex", "repeats a repetition" } },
	{ "pressure in a pair",
	  "[pair a]\ncommand = x\npressure_swap = 10%\n",
	  3,
	  { "key 'pressure_swap' is system-wide", "[limits]" } },
	{ "key twice in a pair",
	  "[pair a]\ncommand = x\ncommand = y\n",
	  3,
	  { "key 'command' given twice in [pair a]", "first on line 2" } },
	{ "duplicate pair",
	  "[pair a]\ncommand = x\n\n[pair a]\ncommand = y\n",
	  4,
	  { "[pair a] given twice", "first on line 1" } },
	{ "pair without command",
	  "[pair a]\ncommand = x\n[pair b]\ninputs = i\n[limits]\n",
	  3,
	  { "[pair b]", "'command'" } },
	{ "empty pair", "[pair a]\n", 1, { "[pair a]", "'command'" } },
	{ "no pairs", "[limits]\nkill_rss = 5G\n", 0, { "no [pair NAME]" } },
	{ "empty file", "", 0, { "no [pair NAME]" } },
	{ "regex one group",
	  "[pair a]\ncommand = x\nprogress_regex = done ([0-9]+)\n",
	  3,
	  { "key 'progress_regex'", "two capture groups", "(got 'done ([0-9]+)')" } },
	{ "regex invalid",
	  "[pair a]\ncommand = x\nprogress_regex = ([0-9]+\n",
	  3,
	  { "key 'progress_regex'", "regular expression" } },
	{ "on_failure",
	  "[run]\non_failure = maybe\n[pair a]\ncommand = x\n",
	  2,
	  { "key 'on_failure'", "continue, stop or retry", "(got 'maybe')" } },
	{ "on_deadlock",
	  "[limits]\non_deadlock = explode\n[pair a]\ncommand = x\n",
	  2,
	  { "key 'on_deadlock'", "alert, kill or restart", "(got 'explode')" } },
	{ "on_deadlock in pair",
	  "[pair a]\ncommand = x\non_deadlock = Kill\n",
	  3,
	  { "key 'on_deadlock'", "(got 'Kill')" } },
	{ "format",
	  "[alerts]\nformat = irc\n[pair a]\ncommand = x\n",
	  2,
	  { "key 'format'", "slack, discord, teams, mattermost or generic", "(got 'irc')" } },
	{ "kill_rss junk",
	  "[limits]\nkill_rss = 5X\n[pair a]\ncommand = x\n",
	  2,
	  { "key 'kill_rss'", "size", "(got '5X')" } },
	{ "kill_rss unlimited",
	  "[limits]\nkill_rss = unlimited\n[pair a]\ncommand = x\n",
	  2,
	  { "key 'kill_rss'", "(got 'unlimited')" } },
	{ "kill_rss zero",
	  "[pair a]\ncommand = x\nkill_rss = 0\n",
	  3,
	  { "key 'kill_rss'", "above 0", "(got '0')" } },
	{ "kill_rss percent",
	  "[limits]\nkill_rss = 101%\n[pair a]\ncommand = x\n",
	  2,
	  { "key 'kill_rss'", "(got '101%')" } },
	{ "memory_max auto",
	  "[limits]\nmemory_max = auto\n[pair a]\ncommand = x\n",
	  2,
	  { "key 'memory_max'", "(got 'auto')" } },
	{ "swap_max auto",
	  "[limits]\nswap_max = auto\n[pair a]\ncommand = x\n",
	  2,
	  { "key 'swap_max'", "(got 'auto')" } },
	{ "start_min_available unlimited",
	  "[run]\nstart_min_available = unlimited\n[pair a]\ncommand = x\n",
	  2,
	  { "key 'start_min_available'", "auto", "(got 'unlimited')" } },
	{ "start_max_swap_used auto",
	  "[run]\nstart_max_swap_used = auto\n[pair a]\ncommand = x\n",
	  2,
	  { "key 'start_max_swap_used'", "(got 'auto')" } },
	{ "pressure_available",
	  "[limits]\npressure_available = -1\n[pair a]\ncommand = x\n",
	  2,
	  { "key 'pressure_available'", "(got '-1')" } },
	{ "pressure_swap",
	  "[limits]\npressure_swap = unlimited\n[pair a]\ncommand = x\n",
	  2,
	  { "key 'pressure_swap'", "(got 'unlimited')" } },
	{ "timeout",
	  "[limits]\ntimeout = 5d\n[pair a]\ncommand = x\n",
	  2,
	  { "key 'timeout'", "duration", "(got '5d')" } },
	{ "kill_grace",
	  "[limits]\nkill_grace = -1s\n[pair a]\ncommand = x\n",
	  2,
	  { "key 'kill_grace'", "(got '-1s')" } },
	{ "verify_timeout zero",
	  "[limits]\nverify_timeout = 0\n[pair a]\ncommand = x\n",
	  2,
	  { "key 'verify_timeout'", "above 0" } },
	{ "deadlock_window zero",
	  "[limits]\ndeadlock_window = 0\n[pair a]\ncommand = x\n",
	  2,
	  { "key 'deadlock_window'", "above 0" } },
	{ "gate_timeout",
	  "[run]\ngate_timeout = soon\n[pair a]\ncommand = x\n",
	  2,
	  { "key 'gate_timeout'", "(got 'soon')" } },
	{ "gate_timeout zero",
	  "[run]\ngate_timeout = 0\n[pair a]\ncommand = x\n",
	  2,
	  { "key 'gate_timeout'", "above 0", "(got '0')" } },
	{ "gate_timeout none",
	  "[run]\ngate_timeout = none\n[pair a]\ncommand = x\n",
	  2,
	  { "key 'gate_timeout'", "(got 'none')" } },
	{ "cooldown",
	  "[alerts]\ncooldown = 1s2\n[pair a]\ncommand = x\n",
	  2,
	  { "key 'cooldown'", "(got '1s2')" } },
	{ "warn_at zero",
	  "[limits]\nwarn_at = 0\n[pair a]\ncommand = x\n",
	  2,
	  { "key 'warn_at'", "(got '0')" } },
	{ "warn_at over",
	  "[limits]\nwarn_at = 150%\n[pair a]\ncommand = x\n",
	  2,
	  { "key 'warn_at'", "(got '150%')" } },
	{ "warn_at bare 80",
	  "[limits]\nwarn_at = 80\n[pair a]\ncommand = x\n",
	  2,
	  { "key 'warn_at'", "(got '80')" } },
	{ "bloat_ratio zero",
	  "[limits]\nbloat_ratio = 0\n[pair a]\ncommand = x\n",
	  2,
	  { "key 'bloat_ratio'", "above 0", "(got '0')" } },
	{ "expected_ratio junk",
	  "[pair a]\ncommand = x\nexpected_ratio = 6x\n",
	  3,
	  { "key 'expected_ratio'", "(got '6x')" } },
	{ "pressure_psi over",
	  "[limits]\npressure_psi = 101\n[pair a]\ncommand = x\n",
	  2,
	  { "key 'pressure_psi'", "0 to 100", "(got '101')" } },
	{ "pressure_psi junk",
	  "[limits]\npressure_psi = lots\n[pair a]\ncommand = x\n",
	  2,
	  { "key 'pressure_psi'", "(got 'lots')" } },
	{ "retries negative",
	  "[run]\nretries = -1\n[pair a]\ncommand = x\n",
	  2,
	  { "key 'retries'", "0 to 100", "(got '-1')" } },
	{ "retries over",
	  "[run]\nretries = 101\n[pair a]\ncommand = x\n",
	  2,
	  { "key 'retries'", "(got '101')" } },
	{ "retries decimal",
	  "[run]\nretries = 1.5\n[pair a]\ncommand = x\n",
	  2,
	  { "key 'retries'", "(got '1.5')" } },
	{ "jobs zero",
	  "[run]\njobs = 0\n[pair a]\ncommand = x\n",
	  2,
	  { "key 'jobs'", "1 to 256, or auto", "(got '0')" } },
	{ "jobs over",
	  "[run]\njobs = 257\n[pair a]\ncommand = x\n",
	  2,
	  { "key 'jobs'", "(got '257')" } },
	{ "jobs decimal",
	  "[run]\njobs = 2.5\n[pair a]\ncommand = x\n",
	  2,
	  { "key 'jobs'", "(got '2.5')" } },
	{ "memory_budget zero",
	  "[run]\nmemory_budget = 0\n[pair a]\ncommand = x\n",
	  2,
	  { "key 'memory_budget'", "above 0" } },
	{ "memory_budget auto",
	  "[run]\nmemory_budget = auto\n[pair a]\ncommand = x\n",
	  2,
	  { "key 'memory_budget'", "(got 'auto')" } },
	{ "memory_budget in limits",
	  "[limits]\nmemory_budget = 10G\n[pair a]\ncommand = x\n",
	  2,
	  { "key 'memory_budget' belongs in [run]" } },
	{ "run key in pair",
	  "[pair a]\ncommand = x\nretries = 2\n",
	  3,
	  { "key 'retries' belongs in [run]", "not in [pair a]" } },
	{ "alerts key in pair",
	  "[pair a]\ncommand = x\ncooldown = 2m\n",
	  3,
	  { "key 'cooldown' belongs in [alerts]" } },
	{ "pair key in limits",
	  "[limits]\ncommand = x\n[pair a]\ncommand = x\n",
	  2,
	  { "key 'command' belongs in a [pair NAME] section", "not in [limits]" } },
	{ "limits key in run",
	  "[run]\nkill_rss = 5G\n[pair a]\ncommand = x\n",
	  2,
	  { "key 'kill_rss' belongs in [limits]" } },
	{ "key before any section",
	  "kill_rss = 5G\n[pair a]\ncommand = x\n",
	  1,
	  { "key 'kill_rss'", "outside any section" } },
	{ "unknown section",
	  "[pair a]\ncommand = x\n[extras]\n",
	  3,
	  { "unknown section [extras]" } },
	{ "section suggestion",
	  "[limit]\nkill_rss = 5G\n[pair a]\ncommand = x\n",
	  1,
	  { "unknown section [limit]", "did you mean [limits]?" } },
	{ "pair without name", "[pair]\ncommand = x\n", 1, { "[pair]", "needs a name" } },
	{ "pair bad name", "[pair a/b]\ncommand = x\n", 1, { "pair name 'a/b'" } },
	{ "pair name too long",
	  "[pair aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa]\ncommand = x\n",
	  1,
	  { "1 to 64" } },
	{ "section twice",
	  "[limits]\nkill_rss = 5G\n[pair a]\ncommand = x\n[limits]\n",
	  5,
	  { "[limits] given twice", "first on line 1" } },
	{ "header without ]", "[pair a\ncommand = x\n", 1, { "without ']'" } },
	{ "text after ]", "[pair a] x\ncommand = x\n", 1, { "after ']'" } },
	{ "not key = value",
	  "[pair a]\ncommand = x\njust some words\n",
	  3,
	  { "expected 'key = value'", "just some words" } },
	{ "empty command", "[pair a]\ncommand =\n", 2, { "key 'command'", "empty" } },
	{ "empty log_dir",
	  "[run]\nlog_dir =\n[pair a]\ncommand = x\n",
	  2,
	  { "key 'log_dir'", "empty" } },
	{ "env bad name",
	  "[pair a]\ncommand = x\nenv = A=1 1B=2\n",
	  3,
	  { "key 'env'", "'1B=2'", "(got 'A=1 1B=2')" } },
	{ "env no value", "[pair a]\ncommand = x\nenv = FOO\n", 3, { "key 'env'", "'FOO'" } },
	{ "env webhook",
	  "[pair a]\ncommand = x\nenv = MERGEWATCH_WEBHOOK_URL=http://x\n",
	  3,
	  { "key 'env'", "webhook" } },
	{ "error after indented comment",
	  "[run]\nretries = 1   ; retries\n     ; more comment\n  retries = 2\n[pair a]\ncommand = "
	  "x\n",
	  4,
	  { "key 'retries' given twice", "first on line 2" } },
};

static void test_every_error_names_file_line_and_key(void **state)
{
	struct scratch *s = *state;

	for (size_t i = 0; i < sizeof bad_plans / sizeof bad_plans[0]; i++) {
		char path[PATH_MAX], where[PATH_MAX + 16];
		struct plan_error err;
		struct plan *plan;

		write_file(s, "bad.ini", bad_plans[i].text, path, sizeof path);
		plan = plan_load(path, &err);
		if (plan != NULL) {
			plan_free(plan);
			fail_msg("%s: accepted", bad_plans[i].what);
		}
		if (bad_plans[i].line > 0)
			snprintf(where, sizeof where, "%s:%d: ", path, bad_plans[i].line);
		else
			snprintf(where, sizeof where, "%s: ", path);
		if (strncmp(err.msg, where, strlen(where)) != 0)
			fail_msg("%s: '%s' does not start with '%s'", bad_plans[i].what, err.msg,
			         where);
		for (int k = 0; k < 3 && bad_plans[i].says[k] != NULL; k++) {
			if (strstr(err.msg, bad_plans[i].says[k]) == NULL)
				fail_msg("%s: '%s' does not say '%s'", bad_plans[i].what, err.msg,
				         bad_plans[i].says[k]);
		}
	}
}

static void test_bad_fixtures(void **state)
{
	static const struct {
		const char *file;
		const char *says;
	} cases[] = {
		{ "bad-unknown-key.ini", "bad-unknown-key.ini:3: unknown key 'kil_rss'" },
		{ "bad-duplicate-pair.ini", "bad-duplicate-pair.ini:4: [pair chr01] given twice" },
		{ "bad-no-command.ini", "bad-no-command.ini:4: [pair chr02] has no key 'command'" },
		{ "bad-progress-regex.ini", "bad-progress-regex.ini:3: key 'progress_regex'" },
		{ "bad-no-pairs.ini", "bad-no-pairs.ini: no [pair NAME]" },
	};
	struct scratch *s = *state;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char path[PATH_MAX * 2];
		struct plan_error err;

		snprintf(path, sizeof path, "%s/%s", s->fixtures, cases[i].file);
		assert_null(plan_load(path, &err));
		if (strstr(err.msg, cases[i].says) == NULL)
			fail_msg("%s: '%s'", cases[i].file, err.msg);
	}
}

static void test_missing_file(void **state)
{
	struct plan_error err;

	(void)state;
	assert_null(plan_load("/nonexistent/plan.ini", &err));
	assert_non_null(strstr(err.msg, "/nonexistent/plan.ini: cannot open"));
}

static void test_file_syntax(void **state)
{
	struct scratch *s = *state;
	struct plan_error err;
	struct plan *plan;
	char text[2048], command[600];

	/* CRLF, '#' and ';' comments, indented keys, blank lines. */
	plan = load_text(
		s,
		"# comment\r\n[pair a]\r\n  command = echo a ; not the command\r\n"
		"\toutput = out.txt\r\n\r\n; comment\r\n  [pair b]   ; trailing comment\r\n"
		"command=echo b;c\r\n",
		&err);
	if (plan == NULL)
		fail_msg("%s", err.msg);
	assert_string_equal(plan->pairs[0].command, "echo a");
	assert_string_equal(plan->pairs[0].output, "out.txt");
	/* ';' starts a comment only after a blank, as in libinih. */
	assert_string_equal(plan->pairs[1].command, "echo b;c");
	assert_int_equal(plan->pairs[1].line, 7);
	plan_free(plan);

	/* A line longer than libinih's buffer keeps its whole value. */
	memset(command, 'x', sizeof command - 1);
	command[sizeof command - 1] = '\0';
	memcpy(command, "echo ", 5);
	snprintf(text, sizeof text,
	         "[pair a]\ncommand = %s   ; comment\nkill_rss = 5G\n"
	         "verify = %s\n",
	         command, command);
	plan = load_text(s, text, &err);
	if (plan == NULL)
		fail_msg("%s", err.msg);
	assert_string_equal(plan->pairs[0].command, command);
	assert_string_equal(plan->pairs[0].verify, command);
	assert_size(&plan->pairs[0].limits.kill_rss, SIZE_BYTES, 5 * GiB, 0);
	plan_free(plan);

	/* ... and its errors still name the right line and key. */
	snprintf(text, sizeof text, "[pair a]\ncommand = x\n\nenv = %s\n", command);
	assert_null(load_text(s, text, &err));
	assert_non_null(strstr(err.msg, "plan.ini:4: key 'env'"));

	/* A pair name of 64 characters, longer than libinih's section buffer. */
	plan = load_text(s,
	                 "[pair a123456789b123456789c123456789d123456789e123456789f12345.-_]\n"
	                 "command = x\n",
	                 &err);
	if (plan == NULL)
		fail_msg("%s", err.msg);
	assert_string_equal(plan->pairs[0].name,
	                    "a123456789b123456789c123456789d123456789e123456789f12345.-_");
	plan_free(plan);
}

static void test_values(void **state)
{
	struct scratch *s = *state;
	struct plan_error err;
	struct plan *plan;
	char expect[PATH_MAX];

	plan = load_text(
		s,
		"[run]\non_failure = retry\nretries = 100\nstart_min_available = auto\n"
		"start_max_swap_used = 25%\ngate_timeout = 1.5h\nlog_dir = /var/log/mw\n"
		"jobs = auto\nmemory_budget = 40G\n"
		"[limits]\nwarn_at = 0.95\nswap_max = unlimited\ntimeout = none\n"
		"pressure_psi = 12.5%\nkill_grace = 0\nbloat_ratio = 2.5\n"
		"[alerts]\nwebhook_url_file = secret/hook\nformat = generic\ncooldown = 0\n"
		"[pair a.b-c_d]\ncommand = x\ninputs = none\noutput = none\nverify =\n"
		"progress_regex = ^([0-9]+)/([0-9]+)$\nenv = none\n",
		&err);
	if (plan == NULL)
		fail_msg("%s", err.msg);
	assert_int_equal(plan->on_failure, ON_FAILURE_RETRY);
	assert_int_equal(plan->retries, 100);
	assert_int_equal(plan->start_min_available.kind, SIZE_AUTO);
	assert_size(&plan->start_max_swap_used, SIZE_PERCENT, 0, 25);
	assert_true(plan->gate_timeout_ms == 90 * 60 * 1000);
	assert_string_equal(plan->log_dir, "/var/log/mw");
	assert_int_equal(plan->jobs, PLAN_JOBS_AUTO);
	assert_size(&plan->memory_budget, SIZE_BYTES, 40 * GiB, 0);
	assert_true(plan->limits.warn_at == 0.95);
	assert_int_equal(plan->limits.swap_max.kind, SIZE_UNLIMITED);
	assert_true(plan->limits.timeout_ms == 0);
	assert_true(plan->limits.pressure_psi == 12.5);
	assert_true(plan->limits.kill_grace_ms == 0);
	assert_true(plan->limits.bloat_ratio == 2.5);
	/* A relative webhook_url_file is taken from the plan's directory. */
	snprintf(expect, sizeof expect, "%s/secret/hook", plan->dir);
	assert_string_equal(plan->webhook_url_file, expect);
	assert_int_equal(plan->webhook_format, WEBHOOK_GENERIC);
	assert_true(plan->cooldown_ms == 0);
	assert_string_equal(plan->pairs[0].name, "a.b-c_d");
	assert_int_equal(plan->pairs[0].n_inputs, 0);
	assert_null(plan->pairs[0].output);
	assert_null(plan->pairs[0].verify);
	assert_int_equal(plan->pairs[0].n_env, 0);
	assert_string_equal(plan->pairs[0].progress_regex, "^([0-9]+)/([0-9]+)$");
	assert_true(plan->limits.pressure_psi == 12.5);
	assert_true(plan->pairs[0].limits.bloat_ratio == 2.5);
	plan_free(plan);
}

static void assert_same_string(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		assert_ptr_equal(a, b);
	else
		assert_string_equal(a, b);
}

static void assert_same_size(const struct size_spec *a, const struct size_spec *b)
{
	assert_int_equal(a->kind, b->kind);
	assert_true(a->bytes == b->bytes);
	assert_true(a->percent == b->percent);
}

static void assert_same_limits(const struct limits *a, const struct limits *b)
{
	assert_same_size(&a->kill_rss, &b->kill_rss);
	assert_true(a->warn_at == b->warn_at);
	assert_same_size(&a->memory_max, &b->memory_max);
	assert_same_size(&a->swap_max, &b->swap_max);
	assert_true(a->timeout_ms == b->timeout_ms);
	assert_true(a->kill_grace_ms == b->kill_grace_ms);
	assert_true(a->bloat_ratio == b->bloat_ratio);
	assert_true(a->expected_ratio == b->expected_ratio);
	assert_true(a->deadlock_window_ms == b->deadlock_window_ms);
	assert_int_equal(a->on_deadlock, b->on_deadlock);
	assert_same_string(a->capture, b->capture);
	assert_same_size(&a->pressure_available, &b->pressure_available);
	assert_same_size(&a->pressure_swap, &b->pressure_swap);
	assert_true(a->pressure_psi == b->pressure_psi);
}

static void assert_same_plan(const struct plan *a, const struct plan *b)
{
	assert_int_equal(a->on_failure, b->on_failure);
	assert_int_equal(a->retries, b->retries);
	assert_same_size(&a->start_min_available, &b->start_min_available);
	assert_same_size(&a->start_max_swap_used, &b->start_max_swap_used);
	assert_true(a->gate_timeout_ms == b->gate_timeout_ms);
	assert_string_equal(a->log_dir, b->log_dir);
	assert_int_equal(a->jobs, b->jobs);
	assert_same_size(&a->memory_budget, &b->memory_budget);
	assert_same_string(a->webhook_url_file, b->webhook_url_file);
	assert_int_equal(a->webhook_format, b->webhook_format);
	assert_true(a->cooldown_ms == b->cooldown_ms);
	assert_int_equal(a->n_pairs, b->n_pairs);
	for (int i = 0; i < a->n_pairs; i++) {
		const struct pair_spec *p = &a->pairs[i], *q = &b->pairs[i];
		assert_string_equal(p->name, q->name);
		assert_string_equal(p->command, q->command);
		assert_int_equal(p->n_inputs, q->n_inputs);
		for (int k = 0; k < p->n_inputs; k++)
			assert_string_equal(p->inputs[k], q->inputs[k]);
		assert_same_string(p->output, q->output);
		assert_same_string(p->verify, q->verify);
		assert_same_string(p->cleanup, q->cleanup);
		assert_same_string(p->cwd, q->cwd);
		assert_int_equal(p->n_env, q->n_env);
		for (int k = 0; k < p->n_env; k++)
			assert_string_equal(p->env[k], q->env[k]);
		assert_same_string(p->progress_regex, q->progress_regex);
		assert_same_limits(&p->limits, &q->limits);
	}
}

/* Prints plan as `check` does and reads the output back. */
static struct plan *print_and_reload(struct scratch *s, const struct plan *plan, char **printed)
{
	char path[PATH_MAX];
	struct plan_error err;
	struct plan *back;
	size_t len;
	FILE *f = open_memstream(printed, &len);

	assert_non_null(f);
	plan_print(plan, f, 24 * GiB, 4 * GiB);
	assert_int_equal(fclose(f), 0);
	back = plan_load(write_file(s, "printed.ini", *printed, path, sizeof path), &err);
	if (back == NULL)
		fail_msg("%s\n%s", err.msg, *printed);
	return back;
}

static void test_print_reads_back(void **state)
{
	static const char *const fixtures[] = { "full.ini", "minimal.ini", "overrides.ini" };
	struct scratch *s = *state;

	for (size_t i = 0; i < sizeof fixtures / sizeof fixtures[0]; i++) {
		struct plan *plan = load_fixture(s, fixtures[i]), *back;
		struct plan_error err;
		char *printed = NULL;

		if (i == 2) {
			/* Values that only print exactly with care. */
			assert_int_equal(plan_override(plan, "warn_at", "0.7", &err), 0);
			assert_int_equal(plan_override(plan, "bloat_ratio", "2.3", &err), 0);
			assert_int_equal(plan_override(plan, "kill_rss", "1.3G", &err), 0);
			assert_int_equal(plan_override(plan, "memory_max", "33.3%", &err), 0);
			assert_int_equal(plan_override(plan, "kill_grace", "1500ms", &err), 0);
			assert_int_equal(plan_override(plan, "jobs", "auto", &err), 0);
		}
		back = print_and_reload(s, plan, &printed);
		assert_same_plan(plan, back);
		free(printed);
		plan_free(back);
		plan_free(plan);
	}
}

static void test_print_shows_effective_settings(void **state)
{
	struct scratch *s = *state;
	char path[PATH_MAX], *printed = NULL;
	struct plan_error err;
	struct plan *plan, *back;

	write_file(s, "hook", "https://hooks.example.com/SECRET-TOKEN\n", path, sizeof path);
	plan = load_text(s,
	                 "[alerts]\nwebhook_url_file = hook\n[pair a]\ncommand = x\n"
	                 "kill_rss = 20G\n[pair b]\ncommand = y\n",
	                 &err);
	if (plan == NULL)
		fail_msg("%s", err.msg);
	back = print_and_reload(s, plan, &printed);

	/* Percentages with what they mean on this machine (24 GiB, 4 GiB swap). */
	assert_non_null(strstr(printed, "\n[pair b]\n"));
	assert_non_null(strstr(printed, "kill_rss = 90%"));
	assert_non_null(strstr(printed, "; 21.6 GiB\n"));
	assert_non_null(strstr(printed, "pressure_swap = 50%"));
	assert_non_null(strstr(printed, "; 2.0 GiB of swap\n"));
	assert_non_null(strstr(printed, "\nkill_rss = 20G\n"));
	assert_non_null(strstr(printed, "\ntimeout = none\n"));
	assert_non_null(strstr(printed, "\nkill_grace = 10s\n"));
	assert_non_null(strstr(printed, "\nwarn_at = 80%\n"));
	assert_non_null(strstr(printed, "\ndeadlock_window = 2m\n"));
	assert_non_null(strstr(printed, "\nverify = none\n"));
	assert_non_null(strstr(printed, "\nformat = slack\n"));
	assert_non_null(strstr(printed, "\ncooldown = 10m\n"));
	assert_non_null(strstr(printed, "\njobs = 1 "));
	assert_non_null(strstr(printed, "\nmemory_budget = 90%"));
	assert_non_null(strstr(printed, "\nwebhook_url_file = /"));
	/* The URL is a secret: only the file's path is shown. */
	assert_null(strstr(printed, "SECRET"));
	/* Every key of every section is printed. */
	for (int k = 0; k < PLAN_KEY_COUNT; k++) {
		const char *after_b = strstr(printed, "[pair b]");
		char line[64];

		snprintf(line, sizeof line, "\n%s = ", plan_keys_name((enum plan_keys_id)k));
		if (strstr(printed, line) == NULL)
			fail_msg("%s not printed", plan_keys_name((enum plan_keys_id)k));
		enum plan_keys_section where = plan_keys_section((enum plan_keys_id)k);
		/* pressure is system-wide: printed once, in [limits] */
		bool pressure = k == PLAN_KEY_PRESSURE_AVAILABLE || k == PLAN_KEY_PRESSURE_SWAP ||
		                k == PLAN_KEY_PRESSURE_PSI;
		if ((where == PLAN_KEYS_LIMITS || where == PLAN_KEYS_PAIR) && !pressure &&
		    strstr(after_b, line) == NULL)
			fail_msg("%s not printed for pair b", plan_keys_name((enum plan_keys_id)k));
	}
	free(printed);
	plan_free(back);
	plan_free(plan);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_full_example_sets_every_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_minimal_plan_gets_every_default, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_pair_keys_override_limits_written_later, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_option_beats_pair_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_option_errors_name_the_option, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_option_webhook_url_file, setup, teardown),
		cmocka_unit_test(test_plan_new_command),
		cmocka_unit_test_setup_teardown(test_every_error_names_file_line_and_key, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_bad_fixtures, setup, teardown),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test_setup_teardown(test_file_syntax, setup, teardown),
		cmocka_unit_test_setup_teardown(test_values, setup, teardown),
		cmocka_unit_test_setup_teardown(test_print_reads_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_print_shows_effective_settings, setup,
		                                teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
