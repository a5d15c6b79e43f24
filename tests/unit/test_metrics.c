/* runner/metrics: the Prometheus textfile a team's node_exporter reads.
 * Every family has HELP and TYPE and is grouped, names follow the
 * conventions, label values are escaped, counters count what happened and
 * never go back, and the file is replaced whole. promtool checks it too
 * when it is installed. */
#include <errno.h>
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

#include "../../logdir/eventjson.h"
#include "../../logdir/metrics.h"
#include "helpers.h"

static const uint64_t T0 = 1795000000000ULL;

struct fixture {
	char dir[64];
	char path[128];
	struct model m;
	struct model_pair pairs[2];
	const struct tree_sample *trees[2];
	struct tree_sample tree;
	struct metrics *mx;
};

static int setup(void **state)
{
	struct fixture *f = SCRATCH_FIXTURE(struct fixture, dir, "metrics");
	char err[256];

	if (f == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/mergewatch.prom", f->dir);
	fake_model_machine(&f->m, 62 * GiB, 20 * GiB, 8 * GiB, 7 * GiB);
	f->m.sys.psi_known = true;
	f->m.sys.psi_some_avg10 = 12.5;
	f->m.sys.psi_full_avg10 = 2.0;
	f->m.now_ms = 600000;
	f->m.pairs = f->pairs;
	f->m.n_pairs = 2;
	f->m.trees = f->trees;
	f->pairs[0] = (struct model_pair){
		.name = "chr06",
		.state = PAIR_DONE,
		.peak_rss_bytes = 30 * GiB,
		.input_bytes = 9 * GiB,
		.kill_rss_bytes = 50 * GiB,
		.exit_code = 0,
	};
	f->pairs[1] = (struct model_pair){
		.name = "chr07",
		.state = PAIR_RUNNING,
		.rss_bytes = 45 * GiB,
		.peak_rss_bytes = 46 * GiB,
		.input_bytes = 9 * GiB,
		.kill_rss_bytes = 50 * GiB,
		.ratio = 5.0,
		.stalled_ms = 1500,
		.started_ms = 60000,
		.progress_done = 3,
		.progress_total = 4,
		.exit_code = -1,
	};
	f->tree.threads = 9;
	f->tree.threads_scanned = true;
	f->tree.futex_threads = 7;
	f->trees[1] = &f->tree;
	f->mx = metrics_new(f->path, err, sizeof(err));
	if (f->mx == NULL)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	metrics_free(f->mx);
	tree_remove(f->dir);
	free(f);
	return 0;
}

static void feed(struct metrics *mx, const char *json)
{
	json_error_t jerr;
	json_t *ev = json_loads(json, 0, &jerr);

	if (ev == NULL)
		fail_msg("bad test event %s: %s", json, jerr.text);
	struct event typed;

	assert_int_equal(eventjson_decode(ev, &typed), 0);
	metrics_event(mx, &typed);
	json_decref(ev);
}

static bool name_ok(const char *s, size_t n)
{
	if (n == 0 || strncmp(s, "mergewatch_", 11) != 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || c == '_' || (c >= '0' && c <= '9')))
			return false;
	}
	return true;
}

/* Parses `{k="v",...}`; returns the end, NULL when malformed. */
static const char *labels_end(const char *p)
{
	if (*p != '{')
		return p;
	p++;
	while (*p != '}') {
		const char *k = p;

		while ((*p >= 'a' && *p <= 'z') || *p == '_')
			p++;
		if (p == k || p[0] != '=' || p[1] != '"')
			return NULL;
		for (p += 2; *p != '"'; p++) {
			if (*p == '\0' || *p == '\n')
				return NULL;
			if (*p == '\\') {
				p++;
				if (*p != '\\' && *p != '"' && *p != 'n')
					return NULL;
			}
		}
		p++;
		if (*p == ',')
			p++;
		else if (*p != '}')
			return NULL;
	}
	return p + 1;
}

/* Our own reading of the exposition format: what promtool would refuse,
 * and the conventions (prefix, _total on counters, base units). */
static void check_format(const char *text)
{
	char *copy = strdup(text), *save = NULL, *line;
	char family[128] = "", help_for[128] = "", type[16] = "";
	char done[64][128];
	int n_done = 0, samples = 0;
	char *seen[512];
	int n_seen = 0;

	assert_non_null(copy);
	assert_true(text[strlen(text) - 1] == '\n');
	for (line = strtok_r(copy, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		char name[128];

		if (strncmp(line, "# HELP ", 7) == 0) {
			assert_true(sscanf(line + 7, "%127s", help_for) == 1);
			assert_true(strlen(line) > 8 + strlen(help_for));
			continue;
		}
		if (strncmp(line, "# TYPE ", 7) == 0) {
			assert_true(sscanf(line + 7, "%127s %15s", name, type) == 2);
			assert_string_equal(name, help_for); /* HELP first */
			assert_true(name_ok(name, strlen(name)));
			for (int i = 0; i < n_done; i++)
				if (strcmp(done[i], name) == 0)
					fail_msg("family %s appears twice", name);
			assert_true(n_done < 64);
			snprintf(done[n_done++], sizeof(done[0]), "%s", name);
			snprintf(family, sizeof(family), "%s", name);
			if (strcmp(type, "counter") == 0) {
				size_t n = strlen(name);

				assert_true(n > 6 && strcmp(name + n - 6, "_total") == 0);
			} else {
				assert_string_equal(type, "gauge");
			}
			assert_null(strstr(name, "_ms"));
			assert_null(strstr(name, "_kib"));
			continue;
		}
		assert_true(line[0] != '#');
		size_t n = strcspn(line, "{ ");

		if (n != strlen(family) || strncmp(line, family, n) != 0)
			fail_msg("sample outside its family (%s): %s", family, line);
		const char *end = labels_end(line + n);

		if (end == NULL || *end != ' ')
			fail_msg("bad labels: %s", line);
		char *vend;

		strtod(end + 1, &vend);
		if (vend == end + 1 || *vend != '\0')
			fail_msg("bad value: %s", line);
		/* the same series twice */
		for (int i = 0; i < n_seen; i++)
			if (strncmp(seen[i], line, (size_t)(end - line)) == 0 &&
			    seen[i][end - line] == ' ')
				fail_msg("series twice: %s", line);
		assert_true(n_seen < 512);
		seen[n_seen++] = line;
		samples++;
	}
	assert_true(samples > 0);
	free(copy);
}

/* The value of the series that starts the line with prefix, -1 if none. */
static double value_of(const char *text, const char *series)
{
	const char *p = text;
	size_t n = strlen(series);

	while ((p = strstr(p, series)) != NULL) {
		if ((p == text || p[-1] == '\n') && p[n] == ' ')
			return strtod(p + n + 1, NULL);
		p += n;
	}
	return -1;
}

static void test_text_has_every_family_with_help_and_type(void **state)
{
	struct fixture *f = *state;
	char *text = metrics_text(f->mx, &f->m, T0);

	assert_non_null(text);
	check_format(text);
	assert_true(value_of(text, "mergewatch_pairs{state=\"running\"}") == 1);
	assert_true(value_of(text, "mergewatch_pairs{state=\"done\"}") == 1);
	assert_true(value_of(text, "mergewatch_pairs{state=\"pending\"}") == 0);
	assert_true(value_of(text, "mergewatch_pair_rss_bytes{pair=\"chr07\"}") ==
	            (double)(45 * GiB));
	assert_true(value_of(text, "mergewatch_pair_rss_bytes{pair=\"chr06\"}") == -1);
	assert_true(value_of(text, "mergewatch_pair_peak_rss_bytes{pair=\"chr06\"}") ==
	            (double)(30 * GiB));
	assert_true(value_of(text, "mergewatch_pair_kill_rss_bytes{pair=\"chr07\"}") ==
	            (double)(50 * GiB));
	assert_true(value_of(text, "mergewatch_pair_bloat_ratio{pair=\"chr07\"}") == 5.0);
	assert_true(value_of(text, "mergewatch_pair_futex_threads{pair=\"chr07\"}") == 7);
	assert_true(value_of(text, "mergewatch_pair_threads{pair=\"chr07\"}") == 9);
	assert_true(value_of(text, "mergewatch_pair_stalled_seconds{pair=\"chr07\"}") == 1.5);
	assert_true(value_of(text, "mergewatch_pair_elapsed_seconds{pair=\"chr07\"}") == 540);
	assert_true(value_of(text, "mergewatch_pair_progress_ratio{pair=\"chr07\"}") == 0.75);
	assert_true(value_of(text, "mergewatch_kills_total{reason=\"rss\"}") == 0);
	assert_true(value_of(text, "mergewatch_alerts_sent_total") == 0);
	assert_true(value_of(text, "mergewatch_alerts_failed_total") == 0);
	assert_true(value_of(text, "mergewatch_memory_total_bytes") == (double)(62 * GiB));
	assert_true(value_of(text, "mergewatch_memory_available_bytes") == (double)(20 * GiB));
	assert_true(value_of(text, "mergewatch_swap_total_bytes") == (double)(8 * GiB));
	assert_true(value_of(text, "mergewatch_swap_used_bytes") == (double)(1 * GiB));
	assert_true(value_of(text, "mergewatch_psi_some_avg10_ratio") == 0.125);
	assert_true(value_of(text, "mergewatch_last_update_time_seconds") == (double)T0 / 1000);
	assert_true(value_of(text, "mergewatch_run_finished") == 0);
	assert_non_null(strstr(text, "# HELP mergewatch_pair_rss_bytes "));
	assert_non_null(strstr(text, "# TYPE mergewatch_kills_total counter\n"));
	assert_non_null(strstr(text, "# TYPE mergewatch_pairs gauge\n"));
	free(text);
}

/* Unknown is not zero: a kernel without PSI gets no PSI series, and a
 * tree whose threads were not scanned no futex count. */
static void test_unknowns_are_left_out(void **state)
{
	struct fixture *f = *state;

	f->m.sys.psi_known = false;
	f->tree.threads_scanned = false;
	char *text = metrics_text(f->mx, &f->m, T0);

	check_format(text);
	assert_null(strstr(text, "psi"));
	assert_null(strstr(text, "mergewatch_pair_futex_threads"));
	free(text);
}

static void test_label_values_escaped(void **state)
{
	struct fixture *f = *state;

	f->pairs[1].name = "a\"b\\c\nd\xff\x01";
	char *text = metrics_text(f->mx, &f->m, T0);

	check_format(text);
	assert_non_null(strstr(text, "mergewatch_pair_rss_bytes{pair=\"a\\\"b\\\\c\\nd??\"} "));
	free(text);
}

static void test_counters_count_and_only_grow(void **state)
{
	static const char *const series[] = {
		"mergewatch_kills_total{reason=\"rss\"}",
		"mergewatch_kills_total{reason=\"timeout\"}",
		"mergewatch_pairs_ended_total{status=\"killed\"}",
		"mergewatch_pairs_ended_total{status=\"done\"}",
		"mergewatch_detections_total{kind=\"bloat\"}",
		"mergewatch_alerts_sent_total",
		"mergewatch_alerts_failed_total",
	};
	struct fixture *f = *state;

	feed(f->mx, "{\"event\":\"pair_start\",\"pair\":\"chr07\"}");
	feed(f->mx, "{\"event\":\"bloat\",\"pair\":\"chr07\",\"ratio\":6.1}");
	feed(f->mx, "{\"event\":\"kill\",\"pair\":\"chr07\",\"reason\":\"timeout\",\"signal\":"
	            "\"SIGTERM\"}");
	feed(f->mx, "{\"event\":\"kill\",\"pair\":\"chr07\",\"reason\":\"timeout\",\"signal\":"
	            "\"SIGKILL\"}");
	feed(f->mx, "{\"event\":\"pair_end\",\"pair\":\"chr07\",\"status\":\"killed\"}");
	feed(f->mx,
	     "{\"event\":\"pair_end\",\"pair\":\"chr01\",\"status\":\"done\",\"resumed\":true}");
	feed(f->mx, "{\"event\":\"alert_sent\",\"kind\":\"bloat\"}");
	feed(f->mx, "{\"event\":\"alert_sent\",\"kind\":\"kill\"}");
	feed(f->mx, "{\"event\":\"alert_failed\",\"kind\":\"kill\"}");
	char *before = metrics_text(f->mx, &f->m, T0);

	check_format(before);
	assert_true(value_of(before, series[0]) == 0);
	assert_true(value_of(before, series[1]) == 1); /* SIGTERM + SIGKILL = one kill */
	assert_true(value_of(before, series[2]) == 1);
	assert_true(value_of(before, series[3]) == 0); /* resumed: ended in an earlier run */
	assert_true(value_of(before, series[4]) == 1);
	assert_true(value_of(before, series[5]) == 2);
	assert_true(value_of(before, series[6]) == 1);
	/* the next attempt's kill counts again */
	feed(f->mx, "{\"event\":\"pair_start\",\"pair\":\"chr07\"}");
	feed(f->mx,
	     "{\"event\":\"kill\",\"pair\":\"chr07\",\"reason\":\"rss\",\"signal\":\"SIGKILL\"}");
	feed(f->mx, "{\"event\":\"pair_end\",\"pair\":\"chr07\",\"status\":\"killed\"}");
	feed(f->mx, "{\"event\":\"kill\",\"pair\":\"chr08\",\"reason\":\"a-new-reason\"}");
	char *after = metrics_text(f->mx, &f->m, T0 + 1000);

	check_format(after);
	assert_true(value_of(after, series[0]) == 1);
	assert_true(value_of(after, series[2]) == 2);
	assert_true(value_of(after, "mergewatch_kills_total{reason=\"a-new-reason\"}") == 1);
	for (size_t i = 0; i < sizeof(series) / sizeof(series[0]); i++)
		assert_true(value_of(after, series[i]) >= value_of(before, series[i]));
	free(before);
	free(after);
}

/* Many distinct reasons stay a bounded set of series. */
static void test_label_values_bounded(void **state)
{
	struct fixture *f = *state;
	char ev[128];

	for (int i = 0; i < 100; i++) {
		snprintf(ev, sizeof(ev), "{\"event\":\"kill\",\"pair\":\"p%d\",\"reason\":\"r%d\"}",
		         i, i);
		feed(f->mx, ev);
	}
	char *text = metrics_text(f->mx, &f->m, T0);

	check_format(text);
	assert_true(value_of(text, "mergewatch_kills_total{reason=\"other\"}") > 70);
	free(text);
}

static void test_run_start_time_from_the_event(void **state)
{
	struct fixture *f = *state;

	feed(f->mx, "{\"ts\":\"2026-11-21T10:00:00.500Z\",\"event\":\"run_start\",\"pairs\":2}");
	char *text = metrics_text(f->mx, &f->m, T0);

	assert_true(value_of(text, "mergewatch_run_start_time_seconds") == 1795255200.5);
	free(text);
}

static void test_write_replaces_the_file_whole(void **state)
{
	struct fixture *f = *state;
	char tmp[160];
	struct stat st;

	snprintf(tmp, sizeof(tmp), "%s.tmp", f->path);
	assert_int_equal(metrics_write(f->mx, &f->m, T0), 0);
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644); /* node_exporter must read it */
	assert_int_equal(access(tmp, F_OK), -1);
	char *first = read_text(f->path, NULL);

	check_format(first);
	/* within the second: not rewritten */
	f->pairs[1].rss_bytes = 46 * GiB;
	assert_int_equal(metrics_write(f->mx, &f->m, T0 + 500), 0);
	char *second = read_text(f->path, NULL);

	assert_string_equal(first, second);
	/* a second later it is */
	assert_int_equal(metrics_write(f->mx, &f->m, T0 + 1000), 0);
	char *third = read_text(f->path, NULL);

	assert_true(value_of(third, "mergewatch_pair_rss_bytes{pair=\"chr07\"}") ==
	            (double)(46 * GiB));
	/* the end is always written */
	f->m.run_over = true;
	assert_int_equal(metrics_write(f->mx, &f->m, T0 + 1100), 0);
	char *last = read_text(f->path, NULL);

	assert_true(value_of(last, "mergewatch_run_finished") == 1);
	assert_int_equal(access(tmp, F_OK), -1);
	free(first);
	free(second);
	free(third);
	free(last);
}

static void test_write_failure_leaves_no_tmp(void **state)
{
	struct fixture *f = *state;
	char tmp[160];

	/* a directory where the file should be: the rename fails */
	snprintf(tmp, sizeof(tmp), "%s.tmp", f->path);
	assert_int_equal(mkdir(f->path, 0755), 0);
	assert_true(metrics_write(f->mx, &f->m, T0) < 0);
	assert_int_equal(access(tmp, F_OK), -1);
	rmdir(f->path);
}

static void test_new_refuses_a_missing_directory(void **state)
{
	char err[256] = "";

	(void)state;
	assert_null(metrics_new("/nonexistent-mw-dir/mergewatch.prom", err, sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent-mw-dir/mergewatch.prom"));
}

static const char *promtool_path(void)
{
	static char found[512];
	const char *env = getenv("PATH");
	char *copy = strdup(env ? env : "/usr/bin:/bin"), *save = NULL;

	found[0] = '\0';
	for (char *d = strtok_r(copy, ":", &save); d != NULL; d = strtok_r(NULL, ":", &save)) {
		snprintf(found, sizeof(found), "%s/promtool", d);
		if (access(found, X_OK) == 0)
			break;
		found[0] = '\0';
	}
	free(copy);
	return found[0] ? found : NULL;
}

static void test_promtool_accepts_the_file(void **state)
{
	struct fixture *f = *state;
	const char *promtool = promtool_path();
	char cmd[1024];

	if (promtool == NULL) {
		print_message("promtool not installed (Debian package prometheus): "
		              "skipping its check; the format checks above still ran\n");
		skip();
	}
	feed(f->mx, "{\"event\":\"kill\",\"pair\":\"chr07\",\"reason\":\"rss\"}");
	f->pairs[1].name = "we\"ird\\name";
	assert_int_equal(metrics_write(f->mx, &f->m, T0), 0);
	snprintf(cmd, sizeof(cmd), "%s check metrics < %s", promtool, f->path);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_text_has_every_family_with_help_and_type,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknowns_are_left_out, setup, teardown),
		cmocka_unit_test_setup_teardown(test_label_values_escaped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_counters_count_and_only_grow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_label_values_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_start_time_from_the_event, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_write_replaces_the_file_whole, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_write_failure_leaves_no_tmp, setup, teardown),
		cmocka_unit_test(test_new_refuses_a_missing_directory),
		cmocka_unit_test_setup_teardown(test_promtool_accepts_the_file, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
