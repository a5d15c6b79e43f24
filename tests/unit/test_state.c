/* runner/state: what a second run reads back is what the first wrote; a
 * damaged state stops the run with the path and place; a failed save
 * leaves the old file as it was. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <setjmp.h>
#include <cmocka.h>

#include "../../logdir/state.h"
#include "helpers.h"

struct dir {
	char path[64]; /* a mkdtemp name under /tmp */
};

static int dir_setup(void **state)
{
	struct dir *d = SCRATCH_FIXTURE(struct dir, path, "state");

	if (d == NULL)
		return -1;
	*state = d;
	return 0;
}

static int dir_teardown(void **state)
{
	struct dir *d = *state;

	tree_remove(d->path);
	free(d);
	return 0;
}

static void file_path(const struct dir *d, const char *name, char *buf, size_t len)
{
	path_join(buf, len, d->path, name);
}

static void write_file(const struct dir *d, const char *name, const char *text)
{
	write_text_in(d->path, name, text);
}

/* The file's text; caller frees. */
static char *read_file(const struct dir *d, const char *name)
{
	char path[PATH_MAX];

	return read_text(path_join(path, sizeof path, d->path, name), NULL);
}

static bool file_exists(const struct dir *d, const char *name)
{
	char path[PATH_MAX];

	return access(path_join(path, sizeof path, d->path, name), F_OK) == 0;
}

static struct state *load_ok(const struct dir *d)
{
	char err[1024] = "";
	struct state *st = state_load(d->path, err, sizeof err);

	if (st == NULL)
		fail_msg("state_load: %s", err);
	return st;
}

static void save_ok(struct state *st)
{
	char err[1024] = "";

	if (state_save(st, err, sizeof err) != 0)
		fail_msg("state_save: %s", err);
}

static struct state_pair pair(const char *name, enum state_status status, double ratio)
{
	struct state_pair p;

	memset(&p, 0, sizeof p);
	snprintf(p.name, sizeof p.name, "%s", name);
	p.status = status;
	p.ratio = ratio;
	return p;
}

static void test_missing_file_is_empty_state(void **state)
{
	struct dir *d = *state;
	struct state *st = load_ok(d);

	assert_null(state_find(st, "chr01"));
	assert_true(state_max_ratio(st) == 0);
	state_free(st);
	assert_false(file_exists(d, "state")); /* loading writes nothing */
}

static void test_round_trip_keeps_every_field(void **state)
{
	struct dir *d = *state;
	struct state *st = load_ok(d);
	struct state_pair a = pair("chr01", STATE_DONE, 5.75), b;
	const struct state_pair *got;

	a.attempt = 2;
	a.input_bytes = 9986400000ull;
	a.peak_rss_bytes = 57420000000ull;
	snprintf(a.output, sizeof a.output, "/data/merged/pair01.parquet");
	a.ended_wall_s = 1795000000;
	b = pair("chr02", STATE_STARTED, 0);
	b.attempt = 1;
	b.pid = 4242;
	b.start_ticks = 123456789ull;
	snprintf(b.cgroup, sizeof b.cgroup, "/sys/fs/cgroup/memory/mergewatch/chr02");
	assert_int_equal(state_put(st, &a), 0);
	assert_int_equal(state_put(st, &b), 0);
	save_ok(st);
	state_free(st);

	st = load_ok(d);
	got = state_find(st, "chr01");
	assert_non_null(got);
	assert_int_equal(got->status, STATE_DONE);
	assert_int_equal(got->attempt, 2);
	assert_int_equal(got->pid, 0);
	assert_int_equal(got->input_bytes, 9986400000ull);
	assert_int_equal(got->peak_rss_bytes, 57420000000ull);
	assert_true(got->ratio == 5.75);
	assert_string_equal(got->output, "/data/merged/pair01.parquet");
	assert_string_equal(got->cgroup, "");
	assert_int_equal(got->ended_wall_s, 1795000000);
	assert_string_equal(got->reason, "");

	got = state_find(st, "chr02");
	assert_non_null(got);
	assert_int_equal(got->status, STATE_STARTED);
	assert_int_equal(got->pid, 4242);
	assert_int_equal(got->start_ticks, 123456789ull);
	assert_string_equal(got->cgroup, "/sys/fs/cgroup/memory/mergewatch/chr02");
	assert_null(state_find(st, "chr03"));
	state_free(st);
}

/* A human reads it: version first-level key, indented, sorted pairs. */
static void test_file_is_readable_json(void **state)
{
	struct dir *d = *state;
	struct state *st = load_ok(d);
	struct state_pair p = pair("zeta", STATE_KILLED, 0);
	char *text, *alpha, *zeta;

	snprintf(p.reason, sizeof p.reason, "rss");
	assert_int_equal(state_put(st, &p), 0);
	p = pair("alpha", STATE_FAILED, 0);
	assert_int_equal(state_put(st, &p), 0);
	save_ok(st);
	state_free(st);

	text = read_file(d, "state");
	assert_non_null(strstr(text, "\"version\": 2"));
	assert_non_null(strstr(text, "\n  \"pairs\": {\n    \"alpha\": {"));
	assert_non_null(strstr(text, "\"status\": \"killed\""));
	assert_non_null(strstr(text, "\"reason\": \"rss\""));
	alpha = strstr(text, "\"alpha\"");
	zeta = strstr(text, "\"zeta\"");
	assert_true(alpha != NULL && zeta != NULL && alpha < zeta);
	assert_int_equal(text[strlen(text) - 1], '\n');
	free(text);
}

static void test_put_replaces_entry(void **state)
{
	struct dir *d = *state;
	struct state *st = load_ok(d);
	struct state_pair p = pair("chr01", STATE_STARTED, 0);
	char *text;

	assert_int_equal(state_put(st, &p), 0);
	p.status = STATE_DONE;
	p.ratio = 3;
	assert_int_equal(state_put(st, &p), 0);
	assert_int_equal(state_find(st, "chr01")->status, STATE_DONE);
	save_ok(st);
	state_free(st);
	text = read_file(d, "state");
	assert_non_null(strstr(text, "\"chr01\""));
	assert_null(strstr(strstr(text, "\"chr01\"") + 1, "\"chr01\""));
	free(text);
}

static void test_put_refuses_empty_name(void **state)
{
	struct dir *d = *state;
	struct state *st = load_ok(d);
	struct state_pair p = pair("", STATE_DONE, 0);

	assert_int_equal(state_put(st, &p), -EINVAL);
	state_free(st);
}

static void test_corrupt_file_names_path_and_line(void **state)
{
	struct dir *d = *state;
	char err[1024] = "", path[PATH_MAX];

	write_file(d, "state",
	           "{\n  \"version\": 1,\n  \"pairs\": {\n"
	           "    \"chr01\": {\"status\": \"done\",,\n");
	file_path(d, "state", path, sizeof path);
	assert_null(state_load(d->path, err, sizeof err));
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "line 4"));
}

static void test_empty_file_is_corrupt(void **state)
{
	struct dir *d = *state;
	char err[1024] = "";

	write_file(d, "state", "");
	assert_null(state_load(d->path, err, sizeof err));
	assert_non_null(strstr(err, "/state"));
}

static void test_wrong_shape_is_refused_with_key(void **state)
{
	struct dir *d = *state;
	char err[1024];

	write_file(d, "state", "{\"version\": 3, \"pairs\": {}}\n");
	err[0] = '\0';
	assert_null(state_load(d->path, err, sizeof err));
	assert_non_null(strstr(err, "version 3"));

	write_file(d, "state", "{\"pairs\": {}}\n");
	err[0] = '\0';
	assert_null(state_load(d->path, err, sizeof err));
	assert_non_null(strstr(err, "'version'"));

	write_file(d, "state",
	           "{\"version\": 1, \"pairs\": "
	           "{\"chr07\": {\"status\": \"finished\"}}}\n");
	err[0] = '\0';
	assert_null(state_load(d->path, err, sizeof err));
	assert_non_null(strstr(err, "chr07"));
	assert_non_null(strstr(err, "'status'"));

	write_file(d, "state",
	           "{\"version\": 1, \"pairs\": "
	           "{\"chr07\": {\"status\": \"done\", \"input_bytes\": \"9G\"}}}\n");
	err[0] = '\0';
	assert_null(state_load(d->path, err, sizeof err));
	assert_non_null(strstr(err, "chr07"));
	assert_non_null(strstr(err, "'input_bytes'"));

	write_file(d, "state",
	           "{\"version\": 1, \"pairs\": "
	           "{\"chr07\": {\"status\": \"done\"}, \"chr07\": {}}}\n");
	err[0] = '\0';
	assert_null(state_load(d->path, err, sizeof err));
	assert_non_null(strstr(err, "chr07"));
}

static void test_unknown_fields_ignored(void **state)
{
	struct dir *d = *state;
	struct state *st;
	const struct state_pair *p;

	write_file(d, "state",
	           "{\"version\": 1, \"written_by\": \"0.9\", "
	           "\"pairs\": {\"chr01\": {\"status\": \"done\", \"ratio\": 4, "
	           "\"colour\": \"blue\"}}}\n");
	st = load_ok(d);
	p = state_find(st, "chr01");
	assert_non_null(p);
	assert_int_equal(p->status, STATE_DONE);
	assert_true(p->ratio == 4);
	state_free(st);
}

static void test_save_into_missing_dir_fails_with_path(void **state)
{
	struct dir *d = *state;
	struct state *st = load_ok(d);
	struct state_pair p = pair("chr01", STATE_DONE, 1);
	char err[1024] = "";

	assert_int_equal(state_put(st, &p), 0);
	assert_int_equal(rmdir(d->path), 0); /* log_dir vanished */
	assert_int_equal(state_save(st, err, sizeof err), -ENOENT);
	assert_non_null(strstr(err, d->path));
	assert_non_null(strstr(err, "state.tmp"));
	state_free(st);
	assert_int_equal(mkdir(d->path, 0700), 0); /* for the teardown */
}

static void test_load_under_a_file_fails_with_path(void **state)
{
	char err[1024] = "";

	(void)state;
	assert_null(state_load("/dev/null/x", err, sizeof err));
	assert_non_null(strstr(err, "/dev/null/x/state"));
	assert_non_null(strstr(err, strerror(ENOTDIR)));
}

/* The save fails midway (state.tmp cannot be made, here because a directory
 * holds its name: as root, modes do not stop us): the old state stays. */
static void test_failed_save_leaves_old_file(void **state)
{
	struct dir *d = *state;
	struct state *st = load_ok(d);
	struct state_pair p = pair("chr01", STATE_DONE, 2);
	char err[1024] = "", tmp[PATH_MAX], *before, *after;

	assert_int_equal(state_put(st, &p), 0);
	save_ok(st);
	before = read_file(d, "state");

	file_path(d, "state.tmp", tmp, sizeof tmp);
	assert_int_equal(mkdir(tmp, 0700), 0);
	p = pair("chr02", STATE_DONE, 3);
	assert_int_equal(state_put(st, &p), 0);
	assert_true(state_save(st, err, sizeof err) < 0);
	assert_non_null(strstr(err, tmp));
	after = read_file(d, "state");
	assert_string_equal(before, after);
	free(before);
	free(after);
	state_free(st);
}

static void test_save_leaves_no_tmp_and_replaces(void **state)
{
	struct dir *d = *state;
	struct state *st = load_ok(d);
	struct state_pair p = pair("chr01", STATE_STARTED, 0);
	char *text;

	assert_int_equal(state_put(st, &p), 0);
	save_ok(st);
	assert_true(file_exists(d, "state"));
	assert_false(file_exists(d, "state.tmp"));
	p.status = STATE_DONE;
	assert_int_equal(state_put(st, &p), 0);
	save_ok(st);
	assert_false(file_exists(d, "state.tmp"));
	state_free(st);
	text = read_file(d, "state");
	assert_non_null(strstr(text, "\"done\""));
	assert_null(strstr(text, "\"running\""));
	free(text);
}

static void test_max_ratio_over_done_pairs(void **state)
{
	struct dir *d = *state;
	struct state *st = load_ok(d);
	struct state_pair p;

	assert_true(state_max_ratio(st) == 0);
	p = pair("a", STATE_DONE, 2.5);
	assert_int_equal(state_put(st, &p), 0);
	p = pair("b", STATE_DONE, 6.1);
	assert_int_equal(state_put(st, &p), 0);
	p = pair("c", STATE_KILLED, 9.0); /* killed: its peak is not the job's */
	assert_int_equal(state_put(st, &p), 0);
	p = pair("d", STATE_FAILED, 12.0);
	assert_int_equal(state_put(st, &p), 0);
	assert_true(state_max_ratio(st) == 6.1);
	save_ok(st);
	state_free(st);
	st = load_ok(d);
	assert_true(state_max_ratio(st) == 6.1);
	state_free(st);
}

static void test_status_names(void **state)
{
	(void)state;
	assert_string_equal(state_status_name(STATE_PENDING), "pending");
	assert_string_equal(state_status_name(STATE_STARTED), "started");
	assert_string_equal(state_status_name(STATE_DONE), "done");
	assert_string_equal(state_status_name(STATE_FAILED), "failed");
	assert_string_equal(state_status_name(STATE_KILLED), "killed");
	assert_string_equal(state_status_name(STATE_SKIPPED), "skipped");
}

static void test_many_pairs(void **state)
{
	struct dir *d = *state;
	struct state *st = load_ok(d);
	struct state_pair p;
	char name[16];

	for (int i = 0; i < 100; i++) {
		snprintf(name, sizeof name, "pair%03d", i);
		p = pair(name, STATE_DONE, i);
		assert_int_equal(state_put(st, &p), 0);
	}
	save_ok(st);
	state_free(st);
	st = load_ok(d);
	assert_non_null(state_find(st, "pair000"));
	assert_true(state_find(st, "pair099")->ratio == 99);
	state_free(st);
}

#define T(f) cmocka_unit_test_setup_teardown(f, dir_setup, dir_teardown)

/* Every lifecycle step and what it carries reads back as written. */
static void test_lifecycle_fields_round_trip(void **state)
{
	struct dir *d = *state;
	struct state *st = load_ok(d);
	struct state_pair p = pair("chr03", STATE_CLEANING, 2);
	const struct state_pair *got;
	static const enum state_status steps[] = { STATE_STARTED, STATE_EXITED, STATE_VERIFIED,
		                                   STATE_CLEANING, STATE_DONE };

	p.attempt_started_ns = 1795000000123456789LL;
	p.exit_code = 0;
	p.term_signal = 0;
	p.command_hash = state_command_hash("python3 merge.py --pair 03");
	snprintf(p.command, sizeof p.command, "python3 merge.py --pair 03");
	assert_int_equal(state_put(st, &p), 0);
	p = pair("chr04", STATE_EXITED, 0);
	p.exit_code = -1;
	p.term_signal = 9;
	assert_int_equal(state_put(st, &p), 0);
	save_ok(st);
	state_free(st);

	st = load_ok(d);
	got = state_find(st, "chr03");
	assert_int_equal(got->status, STATE_CLEANING);
	assert_true(got->attempt_started_ns == 1795000000123456789LL);
	assert_int_equal(got->exit_code, 0);
	assert_true(got->command_hash == state_command_hash("python3 merge.py --pair 03"));
	assert_string_equal(got->command, "python3 merge.py --pair 03");
	got = state_find(st, "chr04");
	assert_int_equal(got->exit_code, -1);
	assert_int_equal(got->term_signal, 9);
	state_free(st);
	for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
		st = load_ok(d);
		p = pair("x", steps[i], 0);
		assert_int_equal(state_put(st, &p), 0);
		save_ok(st);
		state_free(st);
		st = load_ok(d);
		assert_int_equal(state_find(st, "x")->status, steps[i]);
		state_free(st);
	}
	assert_true(state_command_hash("a") != state_command_hash("b"));
}

/* A state written by version 1 ("running") still resumes. */
static void test_version_1_reads_running_as_started(void **state)
{
	struct dir *d = *state;
	struct state *st;

	write_file(d, "state",
	           "{\"version\": 1, \"pairs\": {\"chr02\": {\"status\": \"running\", "
	           "\"pid\": 77, \"start_ticks\": 5}}}\n");
	st = load_ok(d);
	assert_int_equal(state_find(st, "chr02")->status, STATE_STARTED);
	assert_int_equal(state_find(st, "chr02")->exit_code, -1);
	assert_null(state_plan(st));
	state_free(st);
}

/* Two plans sharing a log_dir: the second is refused, naming the first. */
static void test_state_belongs_to_one_plan(void **state)
{
	struct dir *d = *state;
	struct state *st = load_ok(d);
	char err[1024] = "";

	assert_int_equal(state_claim(st, "/data/a.ini", err, sizeof err), 0);
	assert_int_equal(state_claim(st, "/data/a.ini", err, sizeof err), 0);
	save_ok(st);
	state_free(st);
	st = load_ok(d);
	assert_string_equal(state_plan(st), "/data/a.ini");
	assert_int_equal(state_claim(st, "/data/b.ini", err, sizeof err), -EBUSY);
	assert_non_null(strstr(err, "/data/a.ini"));
	assert_non_null(strstr(err, "/data/b.ini"));
	assert_non_null(strstr(err, d->path));
	assert_string_equal(state_plan(st), "/data/a.ini");
	state_free(st);
}

static void test_remove_forgets_a_pair(void **state)
{
	struct dir *d = *state;
	struct state *st = load_ok(d);
	struct state_pair p = pair("a", STATE_DONE, 1);

	assert_int_equal(state_put(st, &p), 0);
	p = pair("b", STATE_STARTED, 0);
	assert_int_equal(state_put(st, &p), 0);
	state_remove(st, "b");
	assert_null(state_find(st, "b"));
	assert_non_null(state_find(st, "a"));
	state_free(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_lifecycle_fields_round_trip, dir_setup,
		                                dir_teardown),
		cmocka_unit_test_setup_teardown(test_version_1_reads_running_as_started, dir_setup,
		                                dir_teardown),
		cmocka_unit_test_setup_teardown(test_state_belongs_to_one_plan, dir_setup,
		                                dir_teardown),
		cmocka_unit_test_setup_teardown(test_remove_forgets_a_pair, dir_setup,
		                                dir_teardown),
		T(test_missing_file_is_empty_state),
		T(test_round_trip_keeps_every_field),
		T(test_file_is_readable_json),
		T(test_put_replaces_entry),
		T(test_put_refuses_empty_name),
		T(test_corrupt_file_names_path_and_line),
		T(test_empty_file_is_corrupt),
		T(test_wrong_shape_is_refused_with_key),
		T(test_unknown_fields_ignored),
		T(test_save_into_missing_dir_fails_with_path),
		T(test_load_under_a_file_fails_with_path),
		T(test_failed_save_leaves_old_file),
		T(test_save_leaves_no_tmp_and_replaces),
		T(test_max_ratio_over_done_pairs),
		T(test_status_names),
		T(test_many_pairs),
	};

	return cmocka_run_group_tests_name("state", tests, NULL, NULL);
}
