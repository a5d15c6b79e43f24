/* alerts/text: the sentence a person reads for each event, in chat and on
 * the dashboard — host, pair, what happened, figures with units. */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>

#include "../../core/event.h"
#include "../../core/text.h"
#include "../../logdir/eventjson.h"

#define GiB(x) ((json_int_t)((x)*1073741824.0))

/* The sentence for an event written as JSON (as the log holds it). */
static char *say_json(const json_t *obj, const char *host, char *buf, size_t len)
{
	struct event ev;

	if (eventjson_decode(obj, &ev) < 0)
		return text_event(NULL, host, buf, len);
	return text_event(&ev, host, buf, len);
}

/* The sentence for an event packed from fmt, with host vm-merge-1. */
static const char *say(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	json_error_t jerr;
	json_t *ev;

	va_start(ap, fmt);
	ev = json_vpack_ex(&jerr, 0, fmt, ap);
	va_end(ap);
	if (ev == NULL)
		fail_msg("json_pack: %s", jerr.text);
	say_json(ev, "vm-merge-1", buf, len);
	json_decref(ev);
	return buf;
}

static void assert_contains(const char *haystack, const char *needle)
{
	if (strstr(haystack, needle) == NULL)
		fail_msg("\"%s\" does not contain \"%s\"", haystack, needle);
}

static void assert_lacks(const char *haystack, const char *needle)
{
	if (strstr(haystack, needle) != NULL)
		fail_msg("\"%s\" contains \"%s\"", haystack, needle);
}

/* Well-formed UTF-8, no control characters. */
static bool valid_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p != '\0') {
		int n = *p < 0x80             ? 0
		        : (*p & 0xE0) == 0xC0 ? 1
		        : (*p & 0xF0) == 0xE0 ? 2
		        : (*p & 0xF8) == 0xF0 ? 3
		                              : -1;

		if (n < 0 || (n == 0 && *p < 0x20))
			return false;
		p++;
		for (int i = 0; i < n; i++, p++) {
			if ((*p & 0xC0) != 0x80)
				return false;
		}
	}
	return true;
}

static void test_bloat_reads_as_in_spec(void **state)
{
	char buf[256];

	(void)state;
	say(buf, sizeof buf, "{s:s, s:s, s:i, s:I, s:I, s:f}", "event", "bloat", "pair", "chr07",
	    "pid", 4242, "rss", GiB(56.0), "input_bytes", GiB(9.3), "ratio", 6.0);
	assert_string_equal(
		buf,
		"mergewatch@vm-merge-1: pair chr07 bloat — RSS 56.0 GiB = 6.0× its 9.3 GiB input");
}

static void test_bloat_without_ratio_computes_it(void **state)
{
	char buf[256];

	(void)state;
	say(buf, sizeof buf, "{s:s, s:s, s:I, s:I}", "event", "bloat", "pair", "chr07", "rss",
	    GiB(20.0), "input_bytes", GiB(2.5));
	assert_contains(buf, "RSS 20.0 GiB = 8.0× its 2.5 GiB input");
}

static void test_approach_gives_time_left(void **state)
{
	char buf[256];

	(void)state;
	say(buf, sizeof buf, "{s:s, s:s, s:i, s:I, s:I, s:f}", "event", "approach", "pair", "chr07",
	    "pid", 4242, "rss", GiB(41.0), "kill_rss", GiB(50.0), "eta_s", 130.0);
	assert_string_equal(buf,
	                    "mergewatch@vm-merge-1: pair chr07 approaching the kill line — "
	                    "RSS 41.0 GiB of 50.0 GiB, about 2m10s left at the current growth");
	say(buf, sizeof buf, "{s:s, s:s, s:I, s:I, s:n}", "event", "approach", "pair", "chr07",
	    "rss", GiB(41.0), "kill_rss", GiB(50.0), "eta_s");
	assert_contains(buf, "not growing now");
	assert_lacks(buf, "left");
	/* 0.64 s is not "about 0s": under a second is said so. */
	say(buf, sizeof buf, "{s:s, s:s, s:I, s:I, s:f}", "event", "approach", "pair", "chr07",
	    "rss", GiB(49.9), "kill_rss", GiB(50.0), "eta_s", 0.64);
	assert_contains(buf, "under 1s left at the current growth");
	assert_lacks(buf, "about 0s");
}

static void test_kill_names_reason_and_line(void **state)
{
	char buf[256];

	(void)state;
	say(buf, sizeof buf, "{s:s, s:s, s:i, s:s, s:I, s:I, s:s}", "event", "kill", "pair",
	    "chr07", "pid", 4242, "reason", "rss", "rss", GiB(50.2), "kill_rss", GiB(50.0),
	    "signal", "SIGKILL");
	assert_string_equal(buf, "mergewatch@vm-merge-1: pair chr07 killed — RSS 50.2 GiB over "
	                         "its 50.0 GiB kill line; SIGKILL to PID 4242");
	/* SPEC's kill event has no kill_rss: still a sentence, no invention. */
	say(buf, sizeof buf, "{s:s, s:s, s:i, s:s, s:I, s:s}", "event", "kill", "pair", "chr07",
	    "pid", 4242, "reason", "rss", "rss", GiB(50.2), "signal", "SIGKILL");
	assert_contains(buf, "RSS 50.2 GiB over its kill line; SIGKILL to PID 4242");
	say(buf, sizeof buf, "{s:s, s:s, s:i, s:s, s:I, s:s}", "event", "kill", "pair", "chr09",
	    "pid", 77, "reason", "timeout", "rss", GiB(3.0), "signal", "SIGTERM");
	assert_string_equal(buf, "mergewatch@vm-merge-1: pair chr09 killed — ran past its "
	                         "timeout; SIGTERM to PID 77 at RSS 3.0 GiB");
	say(buf, sizeof buf, "{s:s, s:s, s:i, s:s, s:s}", "event", "kill", "pair", "chr09", "pid",
	    77, "reason", "operator", "signal", "SIGKILL");
	assert_contains(buf, "stopped by the operator; SIGKILL to PID 77");
	say(buf, sizeof buf, "{s:s, s:s, s:i, s:s, s:s}", "event", "kill", "pair", "chr09", "pid",
	    77, "reason", "deadlock", "signal", "SIGKILL");
	assert_contains(buf, "killed — deadlocked");
}

static void test_deadlock_names_pids_time_and_capture(void **state)
{
	char buf[512];

	(void)state;
	say(buf, sizeof buf, "{s:s, s:s, s:i, s:[i,i], s:i, s:i, s:f, s:s}", "event", "deadlock",
	    "pair", "chr07", "pid", 4242, "blocked_pids", 4242, 4250, "threads", 12,
	    "futex_threads", 12, "stalled_s", 120.0, "capture", "/data/logs/chr07.deadlock.txt");
	assert_string_equal(
		buf, "mergewatch@vm-merge-1: pair chr07 deadlock — PIDs 4242, 4250 "
		     "blocked on futexes, 12 of 12 threads futex-waiting, no progress for 2m00s; "
		     "stacks in /data/logs/chr07.deadlock.txt");
	say(buf, sizeof buf, "{s:s, s:s, s:[i,i,i,i,i,i,i,i]}", "event", "deadlock", "pair",
	    "chr07", "blocked_pids", 1, 2, 3, 4, 5, 6, 7, 8);
	assert_contains(buf, "PIDs 1, 2, 3, 4, 5, 6 and 2 more blocked");
	say(buf, sizeof buf, "{s:s, s:s, s:[i]}", "event", "deadlock", "pair", "chr07",
	    "blocked_pids", 99);
	assert_contains(buf, "PID 99 blocked");
}

static void test_pressure_gives_figures(void **state)
{
	char buf[256];

	(void)state;
	say(buf, sizeof buf, "{s:s, s:I, s:I, s:I, s:I, s:f, s:f}", "event", "pressure",
	    "mem_available", GiB(3.1), "mem_total", GiB(62.8), "swap_used", GiB(4.0), "swap_total",
	    GiB(8.0), "psi_some_avg10", 23.5, "psi_full_avg10", 10.25);
	assert_string_equal(buf,
	                    "mergewatch@vm-merge-1: memory pressure — 3.1 GiB available of "
	                    "62.8 GiB, swap 4.0 GiB of 8.0 GiB used, PSI some 23.5% full 10.2%");
	/* No swap and no PSI on this kernel: left out, not shown as zero. */
	say(buf, sizeof buf, "{s:s, s:I, s:I, s:i, s:i, s:n, s:n}", "event", "pressure",
	    "mem_available", GiB(1.0), "mem_total", GiB(16.0), "swap_used", 0, "swap_total", 0,
	    "psi_some_avg10", "psi_full_avg10");
	assert_string_equal(buf, "mergewatch@vm-merge-1: memory pressure — 1.0 GiB available of "
	                         "16.0 GiB");
}

static void test_pair_end_says_how_and_why(void **state)
{
	char buf[256];

	(void)state;
	say(buf, sizeof buf, "{s:s, s:s, s:s, s:i, s:I, s:f, s:f, s:s}", "event", "pair_end",
	    "pair", "chr07", "status", "failed", "exit_code", 1, "peak_rss", GiB(12.0), "elapsed_s",
	    182.0, "ratio", 1.25, "reason", "exit");
	assert_string_equal(buf, "mergewatch@vm-merge-1: pair chr07 failed — exit code 1, after "
	                         "3m02s, peak RSS 12.0 GiB (1.2× input)");
	say(buf, sizeof buf, "{s:s, s:s, s:s, s:s, s:I, s:f, s:s}", "event", "pair_end", "pair",
	    "chr07", "status", "killed", "signal", "SIGKILL", "peak_rss", GiB(50.1), "elapsed_s",
	    600.0, "reason", "rss");
	assert_contains(buf, "pair chr07 killed — RSS over the kill line, after 10m00s, "
	                     "peak RSS 50.1 GiB");
	say(buf, sizeof buf, "{s:s, s:s, s:s, s:s, s:f}", "event", "pair_end", "pair", "chr08",
	    "status", "failed", "reason", "gate", "elapsed_s", 900.0);
	assert_contains(buf,
	                "pair chr08 failed — gave up waiting for the health gate, after 15m00s");
	say(buf, sizeof buf, "{s:s, s:s, s:s, s:i, s:I, s:f, s:f}", "event", "pair_end", "pair",
	    "chr01", "status", "done", "exit_code", 0, "peak_rss", GiB(40.1), "elapsed_s", 725.0,
	    "ratio", 4.3);
	assert_string_equal(buf, "mergewatch@vm-merge-1: pair chr01 done in 12m05s, peak RSS "
	                         "40.1 GiB (4.3× input)");
	say(buf, sizeof buf, "{s:s, s:s, s:s, s:b}", "event", "pair_end", "pair", "chr01", "status",
	    "done", "resumed", 1);
	assert_contains(buf, "pair chr01 done (in an earlier run)");
	say(buf, sizeof buf, "{s:s, s:s, s:s, s:s}", "event", "pair_end", "pair", "chr02", "status",
	    "failed", "reason", "some_new_reason");
	assert_contains(buf, "failed — some_new_reason");
}

static void test_resolved_and_run_end(void **state)
{
	char buf[256];

	(void)state;
	say(buf, sizeof buf, "{s:s, s:s, s:s}", "event", "resolved", "kind", "bloat", "pair",
	    "chr07");
	assert_string_equal(buf, "mergewatch@vm-merge-1: pair chr07 bloat resolved");
	say(buf, sizeof buf, "{s:s, s:s}", "event", "resolved", "kind", "pressure");
	assert_string_equal(buf, "mergewatch@vm-merge-1: memory pressure resolved");
	say(buf, sizeof buf, "{s:s, s:i, s:i, s:i, s:i, s:f}", "event", "run_end", "done", 25,
	    "failed", 1, "killed", 1, "skipped", 0, "elapsed_s", 8040.0);
	assert_string_equal(buf, "mergewatch@vm-merge-1: run finished in 2h14m — 25 done, "
	                         "1 failed, 1 killed, 0 skipped");
}

static void test_other_events(void **state)
{
	char buf[256];

	(void)state;
	say(buf, sizeof buf, "{s:s, s:s, s:I, s:I, s:I}", "event", "gate_wait", "pair", "chr03",
	    "mem_available", GiB(12.0), "swap_used", GiB(1.2), "needed_available", GiB(20.0));
	assert_string_equal(buf, "mergewatch@vm-merge-1: pair chr03 waiting for memory — 12.0 GiB "
	                         "available, needs 20.0 GiB; swap used 1.2 GiB");
	say(buf, sizeof buf, "{s:s, s:s, s:i, s:s, s:I, s:i}", "event", "pair_start", "pair",
	    "chr03", "pid", 5150, "command", "python3 merge.py", "input_bytes", GiB(9.3), "attempt",
	    2);
	assert_string_equal(buf, "mergewatch@vm-merge-1: pair chr03 started — PID 5150, attempt 2, "
	                         "9.3 GiB input");
	say(buf, sizeof buf, "{s:s, s:s, s:i, s:i}", "event", "progress", "pair", "chr03", "done",
	    12, "total", 40);
	assert_contains(buf, "pair chr03 progress 12/40 (30%)");
	say(buf, sizeof buf, "{s:s, s:s, s:s, s:I}", "event", "cleanup", "pair", "chr03", "path",
	    "/data/checkpoints/pair03", "bytes_freed", GiB(9.3));
	assert_contains(buf,
	                "pair chr03 cleanup — deleted /data/checkpoints/pair03, freed 9.3 GiB");
	say(buf, sizeof buf, "{s:s, s:s, s:i, s:s}", "event", "run_start", "plan", "merge.ini",
	    "pairs", 27, "limit_mechanism", "cgroup2");
	assert_contains(buf, "run started — plan merge.ini, 27 pairs; kernel memory cap: cgroup2");
	say(buf, sizeof buf, "{s:s, s:s, s:s, s:i, s:i}", "event", "alert_sent", "kind", "bloat",
	    "pair", "chr07", "attempts", 2, "http_status", 200);
	assert_contains(buf, "alert bloat for pair chr07 sent after 2 attempts (HTTP 200)");
	say(buf, sizeof buf, "{s:s, s:s, s:s, s:i, s:i, s:s}", "event", "alert_failed", "kind",
	    "kill", "pair", "chr07", "attempts", 1, "http_status", 404, "error",
	    "destination broken");
	assert_contains(buf, "alert kill for pair chr07 failed after 1 attempt — HTTP 404: "
	                     "destination broken");
	say(buf, sizeof buf, "{s:s, s:s}", "event", "brand_new_event", "pair", "chr07");
	assert_string_equal(buf, "mergewatch@vm-merge-1: pair chr07 brand_new_event");
}

/* Every SPEC event, even with none of its fields: a sentence, no "(null)",
 * no made-up zeros; the dashboard form has no host prefix. */
static void test_every_event_without_fields(void **state)
{
	static const char *const names[] = {
		"run_start", "gate_wait", "pair_start", "progress",     "approach",
		"bloat",     "deadlock",  "pressure",   "kill",         "resolved",
		"pair_end",  "cleanup",   "alert_sent", "alert_failed", "run_end",
	};
	char buf[256];

	(void)state;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		json_t *ev = json_pack("{s:s}", "event", names[i]);

		say_json(ev, NULL, buf, sizeof buf);
		assert_true(buf[0] != '\0');
		assert_lacks(buf, "(null)");
		assert_lacks(buf, "mergewatch@");
		assert_lacks(buf, " 0 B");
		assert_true(valid_utf8(buf));
		json_decref(ev);
	}
	/* Not even an object */
	text_event(NULL, "h", buf, sizeof buf);
	assert_string_equal(buf, "mergewatch@h: event");
}

static void test_short_buffer_cuts_at_character(void **state)
{
	char buf[256];

	(void)state;
	for (size_t len = 1; len < 90; len++) {
		char small[96];
		json_t *ev =
			json_pack("{s:s, s:s, s:I, s:I, s:f}", "event", "bloat", "pair", "chr07",
		                  "rss", GiB(56.0), "input_bytes", GiB(9.3), "ratio", 6.0);

		memset(small, 'x', sizeof small);
		say_json(ev, "vm-merge-1", small, len);
		json_decref(ev);
		assert_true(strlen(small) < len);
		assert_int_equal(small[len], 'x'); /* nothing written past len */
		assert_true(valid_utf8(small));
		if (len > 4 && len < 80)
			assert_non_null(strstr(small, "…"));
	}
	snprintf(buf, sizeof buf, "ab×cd"); /* × is 2 bytes: a b [× ×] c d */
	assert_string_equal(text_truncate(buf, 10), "ab×cd");
	assert_string_equal(text_truncate(buf, 5), "ab…");
	snprintf(buf, sizeof buf, "abc—def");
	assert_string_equal(text_truncate(buf, 6), "abc…");
	assert_string_equal(text_truncate(buf, 2), "ab");
}

static void test_alert_kinds(void **state)
{
	static const struct {
		const char *json, *kind, *name;
	} cases[] = {
		{ "{\"event\":\"bloat\",\"pair\":\"a\"}", "bloat", "bloat" },
		{ "{\"event\":\"approach\"}", "approach", "approach" },
		{ "{\"event\":\"deadlock\"}", "deadlock", "deadlock" },
		{ "{\"event\":\"pressure\"}", "pressure", "pressure" },
		{ "{\"event\":\"kill\",\"reason\":\"rss\"}", "kill", "kill" },
		{ "{\"event\":\"pair_end\",\"status\":\"failed\",\"reason\":\"exit\"}",
		  "pair_failed", "pair_failed" },
		{ "{\"event\":\"pair_end\",\"status\":\"failed\",\"reason\":\"gate\"}",
		  "gate_timeout", "gate_timeout" },
		{ "{\"event\":\"pair_end\",\"status\":\"killed\"}", "pair_killed", "pair_killed" },
		{ "{\"event\":\"pair_end\",\"status\":\"done\"}", NULL, NULL },
		{ "{\"event\":\"pair_end\",\"status\":\"skipped\"}", NULL, NULL },
		{ "{\"event\":\"resolved\",\"kind\":\"bloat\"}", "bloat_resolved", "bloat" },
		{ "{\"event\":\"run_end\"}", "run_end", "run_end" },
		{ "{\"event\":\"progress\"}", NULL, NULL },
		{ "{\"event\":\"pair_start\"}", NULL, NULL },
		{ "{\"event\":\"alert_failed\",\"kind\":\"bloat\"}", NULL, NULL },
		{ "{\"event\":\"alert_sent\"}", NULL, NULL },
		{ "{\"event\":\"cleanup\"}", NULL, NULL },
		{ "{\"event\":\"gate_wait\"}", NULL, NULL },
		{ "{\"event\":\"run_start\"}", NULL, NULL },
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		json_t *obj = json_loads(cases[i].json, 0, NULL);
		struct event ev;

		assert_int_equal(eventjson_decode(obj, &ev), 0);
		enum alert_kind ak = event_alert_kind(&ev);
		const char *kind = alert_kind_name(ak);

		if (cases[i].kind == NULL)
			assert_null(kind);
		else
			assert_string_equal(kind, cases[i].kind);
		kind = alert_kind_name(alert_kind_condition(ak));
		if (cases[i].name == NULL)
			assert_null(kind);
		else
			assert_string_equal(kind, cases[i].name);
		json_decref(obj);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bloat_reads_as_in_spec),
		cmocka_unit_test(test_bloat_without_ratio_computes_it),
		cmocka_unit_test(test_approach_gives_time_left),
		cmocka_unit_test(test_kill_names_reason_and_line),
		cmocka_unit_test(test_deadlock_names_pids_time_and_capture),
		cmocka_unit_test(test_pressure_gives_figures),
		cmocka_unit_test(test_pair_end_says_how_and_why),
		cmocka_unit_test(test_resolved_and_run_end),
		cmocka_unit_test(test_other_events),
		cmocka_unit_test(test_every_event_without_fields),
		cmocka_unit_test(test_short_buffer_cuts_at_character),
		cmocka_unit_test(test_alert_kinds),
	};

	return cmocka_run_group_tests_name("alert text", tests, NULL, NULL) == 0 ? 0 : 1;
}
