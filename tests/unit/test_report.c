/* report/: `mergewatch report` on synthetic log directories. The page has
 * a chart per pair with its kill line, the machine chart and the bloat
 * bars; strings from the log cannot inject markup; nothing is fetched or
 * scripted; a log cut mid-line is read, a damaged one is refused with its
 * file and line; a long run makes a small page. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>

#include "../../report/html.h"
#include "../../report/report.h"
#include "../../report/rlog.h"
#include "../../report/svg.h"
#include "../../logdir/samplelog.h"
#include "../../logdir/state.h"
#include "helpers.h"

static const uint64_t T0 = 1795255200000ULL; /* 2026-11-21T10:00:00Z */
static const char *const HOSTILE = "<script>alert(1)</script>\"'&\x1b[2J";

struct fixture {
	char dir[64];
	FILE *events;
};

static int setup(void **state)
{
	struct fixture *f = SCRATCH_FIXTURE(struct fixture, dir, "report");

	if (f == NULL)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	if (f->events != NULL)
		fclose(f->events);
	tree_remove(f->dir);
	free(f);
	return 0;
}

static void path_of(const struct fixture *f, const char *name, char *buf, size_t len)
{
	path_join(buf, len, f->dir, name);
}

/* Appends an event at T0 + t_ms; fields is the JSON after "event". */
static void __attribute__((format(printf, 4, 5)))
event(struct fixture *f, uint64_t t_ms, const char *name, const char *fields, ...)
{
	char ts[32], path[128];
	uint64_t ms = T0 + t_ms;
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	va_list ap;

	if (f->events == NULL) {
		path_of(f, "events.jsonl", path, sizeof(path));
		f->events = fopen(path, "a");
		assert_non_null(f->events);
	}
	gmtime_r(&t, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(f->events, "{\"ts\":\"%s.%03dZ\",\"event\":\"%s\"", ts, (int)(ms % 1000), name);
	va_start(ap, fields);
	vfprintf(f->events, fields, ap);
	va_end(ap);
	fputs("}\n", f->events);
	fflush(f->events);
}

static void append(const struct fixture *f, const char *name, const char *text)
{
	char path[128];
	FILE *fp;

	path_of(f, name, path, sizeof(path));
	fp = fopen(path, "a");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static int count(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

/* A run of n_pairs pairs of seconds_each seconds at 1 s ticks, written the
 * way the runner would: samples through samplelog_write, events by hand.
 * Pair kill_index (if >= 0) bloats past the kill line and is killed; pair
 * 1 is called HOSTILE. */
static void make_run(struct fixture *f, int n_pairs, int seconds_each, int kill_index)
{
	char err[256];
	struct samplelog *sl = samplelog_new(f->dir, err, sizeof(err));
	struct model m;
	struct model_pair *pairs = calloc((size_t)n_pairs, sizeof(*pairs));
	const uint64_t kill = 2 * GiB, input = 256 * MiB;

	assert_non_null(sl);
	assert_non_null(pairs);
	memset(&m, 0, sizeof(m));
	snprintf(m.host, sizeof(m.host), "vm-merge-1");
	m.interval_ms = 1000;
	fake_model_machine(&m, 16 * GiB, 0, 2 * GiB, 2 * GiB);
	fake_model_pairs(&m, pairs, n_pairs, kill, input);
	if (n_pairs > 1)
		pairs[1].name = HOSTILE;
	event(f, 0, "run_start",
	      ",\"plan\":\"/data/plan.ini\",\"pairs\":%d,\"limit_mechanism\":\"none\"", n_pairs);
	for (int i = 0; i < n_pairs; i++) {
		struct model_pair *p = &pairs[i];
		uint64_t start = (uint64_t)i * (uint64_t)seconds_each * 1000;
		double ratio = i == kill_index ? 12.0 : 3.0 + i % 4;
		json_t *name = json_string(p->name);
		char *quoted = json_dumps(name, JSON_ENCODE_ANY);

		p->state = PAIR_RUNNING;
		event(f, start, "pair_start",
		      ",\"pair\":%s,\"pid\":%d,\"command\":\"echo \\\"a&b\\\" <x>\","
		      "\"input_bytes\":%llu,\"attempt\":1",
		      quoted, 100 + i, (unsigned long long)input);
		for (int s = 0; s < seconds_each; s++) {
			uint64_t t = start + (uint64_t)s * 1000;
			double frac = (double)s / (seconds_each * 0.8);

			p->rss_bytes = (uint64_t)((frac > 1 ? 1 : frac) * ratio * (double)input);
			if (p->rss_bytes > p->peak_rss_bytes)
				p->peak_rss_bytes = p->rss_bytes;
			if (i == kill_index && p->rss_bytes > kill) {
				p->rss_bytes = p->peak_rss_bytes = kill + 20 * MiB;
				p->state = PAIR_KILLED;
				event(f, t, "kill",
				      ",\"pair\":%s,\"pid\":%d,\"reason\":\"rss\",\"rss\":%llu,"
				      "\"signal\":\"SIGKILL\",\"kill_rss\":%llu",
				      quoted, 100 + i, (unsigned long long)p->rss_bytes,
				      (unsigned long long)kill);
				event(f, t + 20, "pair_end",
				      ",\"pair\":%s,\"status\":\"killed\",\"signal\":\"SIGKILL\","
				      "\"peak_rss\":%llu,\"elapsed_s\":%d,\"ratio\":%.3f,"
				      "\"reason\":\"rss\",\"attempt\":1",
				      quoted, (unsigned long long)p->peak_rss_bytes, s,
				      (double)p->peak_rss_bytes / (double)input);
			}
			m.sys.mem_available_bytes = m.sys.mem_total_bytes - GiB -
			                            (p->state == PAIR_RUNNING ? p->rss_bytes : 0);
			assert_int_equal(samplelog_write(sl, &m, T0 + t), 0);
			if (p->state != PAIR_RUNNING)
				break;
		}
		if (p->state == PAIR_RUNNING) {
			uint64_t t = start + (uint64_t)seconds_each * 1000 - 500;

			p->state = PAIR_DONE;
			event(f, t, "pair_end",
			      ",\"pair\":%s,\"status\":\"done\",\"exit_code\":0,\"peak_rss\":%llu,"
			      "\"elapsed_s\":%d,\"ratio\":%.3f,\"reason\":null,\"attempt\":1",
			      quoted, (unsigned long long)p->peak_rss_bytes, seconds_each,
			      (double)p->peak_rss_bytes / (double)input);
			assert_int_equal(samplelog_write(sl, &m, T0 + t), 0);
		}
		free(quoted);
		json_decref(name);
	}
	event(f, (uint64_t)n_pairs * (uint64_t)seconds_each * 1000, "run_end",
	      ",\"done\":%d,\"failed\":0,\"killed\":%d,\"skipped\":0,\"elapsed_s\":1",
	      n_pairs - (kill_index >= 0), kill_index >= 0);
	samplelog_free(sl);
	free(pairs);
}

static char *report(struct fixture *f, size_t *len)
{
	char err[512] = "", path[128];

	if (report_write(f->dir, NULL, err, sizeof(err)) != 0)
		fail_msg("report_write: %s", err);
	path_of(f, "report.html", path, sizeof(path));
	return read_text(path, len);
}

static void test_page_has_the_charts_and_the_facts(void **state)
{
	struct fixture *f = *state;
	char tmp[128];

	make_run(f, 3, 60, 2);
	char *html = report(f, NULL);

	/* one timeline per pair, the machine, the bloat bars */
	assert_int_equal(count(html, "<svg "), 3 + 2);
	assert_int_equal(count(html, "kill_rss 2.0 GiB"), 3);
	assert_int_equal(count(html, "input 256.0 MiB"), 3);
	/* the RSS at the kill, drawn as a dot, and the kill marked */
	assert_int_equal(count(html, "<circle class=\"d-kill\""), 1);
	assert_true(count(html, "class=\"mk k-kill\"") >= 2); /* pair chart and machine chart */
	assert_non_null(strstr(html, "3 pairs: 2 done, 0 failed, 1 killed, 0 skipped"));
	assert_non_null(strstr(html, "vm-merge-1, 16.0 GiB memory, 2.0 GiB swap"));
	assert_non_null(strstr(html, "/data/plan.ini"));
	assert_non_null(strstr(html, "2026-11-21 10:00:00 UTC"));
	assert_non_null(strstr(html, "MemTotal 16.0 GiB"));
	/* bloat factors: 3x, 4x, and >= 8x for the killed one */
	assert_non_null(strstr(html, ">3.0\xc3\x97</text>"));
	assert_non_null(strstr(html, ">\xe2\x89\xa5"
	                             "8.1\xc3\x97 (killed)</text>"));
	/* the alert list has the kill, in words */
	assert_non_null(strstr(html, "killed — RSS 2.0 GiB over its 2.0 GiB kill line"));
	snprintf(tmp, sizeof(tmp), "%s/report.html.tmp", f->dir);
	assert_int_equal(access(tmp, F_OK), -1);
	free(html);
}

/* A pair name or command cannot open a tag, a script, or anything fetched. */
static void test_page_is_inert_and_self_contained(void **state)
{
	struct fixture *f = *state;

	make_run(f, 3, 30, 1);
	char *html = report(f, NULL);

	assert_null(strcasestr(html, "<script"));
	assert_null(strcasestr(html, "javascript:"));
	assert_null(strstr(html, "\x1b"));
	assert_null(strcasestr(html, " src="));
	assert_null(strcasestr(html, "@import"));
	assert_null(strcasestr(html, "url("));
	assert_null(strcasestr(html, "<link"));
	/* the only http is the SVG namespace name, which is never fetched */
	assert_int_equal(count(html, "http"), count(html, "xmlns=\"http://www.w3.org/2000/svg\""));
	assert_non_null(
		strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;\\x1b[2J"));
	assert_non_null(strstr(html, "echo &quot;a&amp;b&quot; &lt;x&gt;"));
	free(html);
}

/* A log being written can end in half a line: the page is made without
 * it. */
static void test_truncated_last_lines_tolerated(void **state)
{
	struct fixture *f = *state;

	make_run(f, 2, 20, -1);
	append(f, "events.jsonl", "{\"ts\":\"2026-11-21T10:01:00.000Z\",\"event\":\"pair_st");
	append(f, "samples.txt", "s 41000 10");
	char *html = report(f, NULL);

	assert_non_null(strstr(html, "2 pairs: 2 done"));
	free(html);
}

static void test_damaged_line_names_file_and_line(void **state)
{
	struct fixture *f = *state;
	char err[512] = "";

	event(f, 0, "run_start", ",\"plan\":null,\"pairs\":1");
	append(f, "events.jsonl", "this is not json\n");
	event(f, 1000, "run_end", ",\"done\":1");
	assert_int_equal(report_write(f->dir, NULL, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "/events.jsonl:2: "));
}

static void test_damaged_samples_line_names_file_and_line(void **state)
{
	struct fixture *f = *state;
	char err[512] = "";

	event(f, 0, "run_start", ",\"plan\":null,\"pairs\":1");
	append(f, "samples.txt",
	       SAMPLELOG_MAGIC "\nr 1795255200000 1000 1024 0 h\ns 0 1 0 - 0R5\n");
	assert_int_equal(report_write(f->dir, NULL, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "/samples.txt:3: pair 0 has no \"p\" line"));
}

/* A damaged pair index must not size an array of gigabytes. */
static void test_samples_pair_index_out_of_range_refused(void **state)
{
	struct fixture *f = *state;
	char err[512] = "";

	event(f, 0, "run_start", ",\"plan\":null,\"pairs\":1");
	append(f, "samples.txt",
	       SAMPLELOG_MAGIC "\nr 1795255200000 1000 1024 0 h\np 2000000000 - 0 x\n");
	assert_int_equal(report_write(f->dir, NULL, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "/samples.txt:3: pair index 2000000000 out of range"));
}

static void test_event_without_ts_refused(void **state)
{
	struct fixture *f = *state;
	char err[512] = "";

	append(f, "events.jsonl", "{\"event\":\"run_start\"}\n");
	assert_int_equal(report_write(f->dir, NULL, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "events.jsonl:1: no RFC 3339 \"ts\""));
}

static void test_missing_events_is_a_clear_error(void **state)
{
	struct fixture *f = *state;
	char err[512] = "", expect[128];

	assert_int_equal(report_write(f->dir, NULL, err, sizeof(err)), -ENOENT);
	snprintf(expect, sizeof(expect), "%s/events.jsonl: No such file or directory", f->dir);
	assert_string_equal(err, expect);
}

/* A log directory from before the samples file: events alone still make a
 * page, with the timelines drawn from the events' moments. */
static void test_events_alone_make_a_page(void **state)
{
	struct fixture *f = *state;

	event(f, 0, "run_start", ",\"plan\":\"p.ini\",\"pairs\":1");
	event(f, 0, "pair_start",
	      ",\"pair\":\"a\",\"pid\":1,\"command\":\"x\",\"input_bytes\":1048576,\"attempt\":1");
	event(f, 5000, "bloat",
	      ",\"pair\":\"a\",\"pid\":1,\"rss\":8388608,\"input_bytes\":1048576,\"ratio\":8.0");
	event(f, 9000, "pair_end",
	      ",\"pair\":\"a\",\"status\":\"done\",\"exit_code\":0,\"peak_rss\":9437184,"
	      "\"elapsed_s\":9.0,\"ratio\":9.0,\"reason\":null,\"attempt\":1");
	char *html = report(f, NULL);

	assert_non_null(strstr(html, "No samples"));
	assert_int_equal(count(html, "<svg "), 2); /* the pair's markers, the bloat bar */
	assert_non_null(strstr(html, ">9.0\xc3\x97</text>"));
	assert_non_null(strstr(html, "k-bloat"));
	free(html);
}

/* Several pairs at once: a lane per pair with a bar per attempt (the
 * requeued one grey), and the budget chart; none of it without a budget. */
static void test_lanes_for_several_pairs_at_once(void **state)
{
	struct fixture *f = *state;

	event(f, 0, "run_start",
	      ",\"plan\":\"p.ini\",\"pairs\":2,\"limit_mechanism\":\"none\","
	      "\"memory_budget\":2147483648");
	event(f, 0, "pair_start",
	      ",\"pair\":\"a\",\"pid\":1,\"command\":\"x\",\"input_bytes\":1,\"attempt\":1");
	event(f, 100, "pair_start",
	      ",\"pair\":\"b\",\"pid\":2,\"command\":\"x\",\"input_bytes\":1,\"attempt\":1");
	event(f, 2000, "pair_end",
	      ",\"pair\":\"b\",\"status\":\"requeued\",\"exit_code\":null,\"signal\":\"SIGKILL\","
	      "\"peak_rss\":9,\"elapsed_s\":1.9,\"ratio\":9.0,\"reason\":\"budget\",\"attempt\":1");
	event(f, 5000, "pair_end",
	      ",\"pair\":\"a\",\"status\":\"done\",\"exit_code\":0,\"peak_rss\":9,"
	      "\"elapsed_s\":5.0,\"ratio\":9.0,\"reason\":null,\"attempt\":1");
	event(f, 5100, "pair_start",
	      ",\"pair\":\"b\",\"pid\":3,\"command\":\"x\",\"input_bytes\":1,\"attempt\":2");
	event(f, 9000, "pair_end",
	      ",\"pair\":\"b\",\"status\":\"done\",\"exit_code\":0,\"peak_rss\":9,"
	      "\"elapsed_s\":3.9,\"ratio\":9.0,\"reason\":null,\"attempt\":2");
	char *html = report(f, NULL);
	const char *lanes = strstr(html, "<h2>Pairs over time</h2>");

	assert_non_null(lanes);
	assert_non_null(strstr(lanes, "aria-label=\"when each pair ran, beside which others\""));
	/* a: one bar, done; b: a grey (requeued) bar, then a done one */
	assert_int_equal(count(lanes, "<rect class=\"b-done\""),
	                 2 + count(strstr(lanes, "</svg>"), "<rect class=\"b-done\""));
	assert_int_equal(count(lanes, "<rect class=\"b-other\""),
	                 1 + count(strstr(lanes, "</svg>"), "<rect class=\"b-other\""));
	assert_non_null(strstr(lanes, "(stopped, ran again)"));
	free(html);
}

static void test_no_lanes_without_a_budget(void **state)
{
	struct fixture *f = *state;

	make_run(f, 2, 3, -1);
	char *html = report(f, NULL);

	assert_null(strstr(html, "Pairs over time"));
	free(html);
}

static void test_state_gives_the_planning_ratio(void **state)
{
	struct fixture *f = *state;
	char err[256];
	struct state *st = state_load(f->dir, err, sizeof(err));
	struct state_pair sp;

	assert_non_null(st);
	memset(&sp, 0, sizeof(sp));
	snprintf(sp.name, sizeof(sp.name), "chr01");
	sp.status = STATE_DONE;
	sp.input_bytes = 100;
	sp.peak_rss_bytes = 612;
	sp.ratio = 6.12;
	assert_int_equal(state_put(st, &sp), 0);
	assert_int_equal(state_save(st, err, sizeof(err)), 0);
	state_free(st);
	make_run(f, 2, 20, -1);
	char *html = report(f, NULL);

	assert_non_null(strstr(html, "6.12&times; &mdash; the highest peak RSS / input"));
	assert_non_null(strstr(html, "planning ratio 6.1\xc3\x97"));
	free(html);
}

/* 27 pairs over ten hours, sampled every second: the samples file and the
 * page stay small. */
static void test_long_run_stays_small(void **state)
{
	struct fixture *f = *state;
	char path[128];
	struct stat st;
	size_t len;

	make_run(f, 27, 10 * 3600 / 27, 6);
	path_of(f, SAMPLELOG_FILE, path, sizeof(path));
	assert_int_equal(stat(path, &st), 0);
	assert_true(st.st_size < 10 * 64 * 1024); /* under 64 KiB an hour */
	char *html = report(f, &len);

	assert_int_equal(count(html, "<svg "), 27 + 2);
	assert_true(len < 400 * 1024);
	free(html);
}

static void test_out_path_honoured(void **state)
{
	struct fixture *f = *state;
	char err[512] = "", out[128], def[128];

	make_run(f, 1, 10, -1);
	path_of(f, "elsewhere.html", out, sizeof(out));
	path_of(f, "report.html", def, sizeof(def));
	assert_int_equal(report_write(f->dir, out, err, sizeof(err)), 0);
	assert_int_equal(access(out, F_OK), 0);
	assert_int_equal(access(def, F_OK), -1);
	path_of(f, "no-such-dir/r.html", out, sizeof(out));
	assert_true(report_write(f->dir, out, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "no-such-dir/r.html"));
}

static void test_parse_ts(void **state)
{
	(void)state;
	assert_int_equal(rlog_parse_ts("2026-11-21T10:00:00.123Z"), 1795255200123LL);
	assert_int_equal(rlog_parse_ts("2026-11-21T10:00:00Z"), 1795255200000LL);
	assert_int_equal(rlog_parse_ts("2026-11-21T10:00:00.5Z"), 1795255200500LL);
	assert_int_equal(rlog_parse_ts("2026-11-21T10:00:00.123+01:00"), -1);
	assert_int_equal(rlog_parse_ts("2026-13-21T10:00:00Z"), -1);
	assert_int_equal(rlog_parse_ts("yesterday"), -1);
	assert_int_equal(rlog_parse_ts(NULL), -1);
}

static void test_html_text_escapes(void **state)
{
	struct strbuf b = { 0 };

	(void)state;
	html_text(&b, "<a href='x'>\"&\"</a>\x1b\x7f\xff\xc3\xa9\xed\xa0\x80");
	assert_string_equal(b.s, "&lt;a href=&#39;x&#39;&gt;&quot;&amp;&quot;&lt;/a&gt;"
	                         "\\x1b\\x7f\\xff\xc3\xa9\\xed\\xa0\\x80");
	strbuf_free(&b);
}

/* A million samples with one short spike: the path is as long as the
 * width allows, and the spike is in it. */
static void test_series_thinned_keeping_the_peak(void **state)
{
	enum { N = 1000000 };
	struct svg_pt *pts = calloc(N, sizeof(*pts));
	struct svg_chart c = {
		.left = 0,
		.top = 0,
		.width = 600,
		.height = 100,
		.x0_ms = 0,
		.x1_ms = N,
		.y0 = 0,
		.y1 = 100,
	};
	struct strbuf b = { 0 };

	(void)state;
	assert_non_null(pts);
	for (int i = 0; i < N; i++)
		pts[i] = (struct svg_pt){ i, 10, 10 };
	pts[777777].hi = 100; /* one sample's MAX at the top */
	svg_series(&b, &c, pts, N, 10, "s-rss");
	assert_non_null(strstr(b.s, " 0.0")); /* y of 100 is the top edge */
	assert_true(count(b.s, "L") <= 2 * 600 / SVG_BUCKET_PX + 2);
	strbuf_free(&b);
	/* a gap longer than gap_ms breaks the line */
	pts[500000].t_ms = pts[499999].t_ms + 1000;
	for (int i = 500001; i < N; i++)
		pts[i].t_ms = pts[i - 1].t_ms + 1;
	svg_series(&b, &c, pts, N, 10, "s-rss");
	assert_int_equal(count(b.s, "M"), 2);
	strbuf_free(&b);
	free(pts);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_page_has_the_charts_and_the_facts, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_page_is_inert_and_self_contained, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_truncated_last_lines_tolerated, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_damaged_line_names_file_and_line, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_damaged_samples_line_names_file_and_line,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(test_samples_pair_index_out_of_range_refused, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_event_without_ts_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_events_is_a_clear_error, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_events_alone_make_a_page, setup, teardown),
		cmocka_unit_test_setup_teardown(test_state_gives_the_planning_ratio, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_long_run_stays_small, setup, teardown),
		cmocka_unit_test_setup_teardown(test_out_path_honoured, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lanes_for_several_pairs_at_once, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_no_lanes_without_a_budget, setup, teardown),
		cmocka_unit_test(test_parse_ts),
		cmocka_unit_test(test_html_text_escapes),
		cmocka_unit_test(test_series_thinned_keeping_the_peak),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
