/* core/event and logdir/eventjson: every name in one table and back, and
 * the log lines the runner's events make, byte for byte as SPEC "The event
 * log" (and every earlier version) writes them. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "../../core/event.h"
#include "../../logdir/eventjson.h"
#include "helpers.h"

#define WALL_MS 1795255200123ULL /* 2026-11-21T10:00:00.123Z */

/* The line the event log writes for ev (eventlog.c's flags). */
static char *line_of(const struct event *ev)
{
	json_t *obj = eventjson_encode(ev, "2026-11-21T10:00:00.123Z");
	char *s;

	assert_non_null(obj);
	s = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII |
	                            JSON_REAL_PRECISION(10));
	json_decref(obj);
	assert_non_null(s);
	return s;
}

static void assert_line(const struct event *ev, const char *want)
{
	char *got = line_of(ev);

	assert_string_equal(got, want);
	free(got);
}

static void test_every_name_reads_back(void **state)
{
	(void)state;
	for (int k = 0; k < EVENT_OTHER; k++) {
		const char *name = event_kind_name((enum event_kind)k);

		assert_non_null(name);
		assert_int_equal(event_kind_parse(name), k);
	}
	assert_int_equal(event_kind_parse("event"), -1); /* EVENT_OTHER is never parsed */
	assert_int_equal(event_kind_parse("brand_new"), -1);
	assert_int_equal(event_kind_parse(NULL), -1);
	for (int r = REASON_NONE + 1; r < REASON_OTHER; r++)
		assert_int_equal(event_reason_parse(event_reason_name((enum event_reason)r)), r);
	assert_null(event_reason_name(REASON_NONE));
	for (int s = 0; s < STATUS_N; s++)
		assert_int_equal(event_status_parse(event_status_name((enum event_status)s)), s);
	for (int c = 0; c < CONDITION_N; c++)
		assert_int_equal(
			event_condition_parse(event_condition_name((enum event_condition)c)), c);
	for (int a = ALERT_NONE + 1; a < ALERT_N; a++) {
		assert_int_equal(alert_kind_parse(alert_kind_name((enum alert_kind)a)), a);
		assert_true(alert_kind_condition((enum alert_kind)a) != ALERT_NONE);
	}
	for (int f = 0; f < EF_N; f++) {
		assert_non_null(event_field_name((enum event_field)f));
		/* every field has its own member (offset 0 is the kind) */
		assert_true(event_field_offset((enum event_field)f) > 0);
		assert_true(event_field_offset((enum event_field)f) < sizeof(struct event));
	}
}

static void test_priorities(void **state)
{
	(void)state;
	assert_int_equal(event_priority(EVENT_KILL), EVENT_PRI_ERR);
	assert_int_equal(event_priority(EVENT_DEADLOCK), EVENT_PRI_ERR);
	assert_int_equal(event_priority(EVENT_BLOAT), EVENT_PRI_WARNING);
	assert_int_equal(event_priority(EVENT_APPROACH), EVENT_PRI_WARNING);
	assert_int_equal(event_priority(EVENT_PRESSURE), EVENT_PRI_WARNING);
	assert_int_equal(event_priority(EVENT_ALERT_FAILED), EVENT_PRI_WARNING);
	assert_int_equal(event_priority(EVENT_PAIR_END), EVENT_PRI_INFO);
	assert_int_equal(event_priority(EVENT_PROGRESS), EVENT_PRI_INFO);
}

/* Each kind as the runner builds it, and the line it has always been. */
static void test_lines_as_before(void **state)
{
	struct event ev;

	(void)state;
	ev = event_init(EVENT_RUN_START);
	ev.plan = "merge.ini";
	ev.pairs = 27;
	ev.run_id = "0123456789abcdef0123456789abcdef";
	ev.host = "vm-merge-1";
	ev.version = "1.2.3";
	ev.limit_mechanism = "none";
	ev.limit_note = "no cgroup";
	event_set(&ev, EF_LIMIT_NOTE);
	assert_line(&ev, "{\"ts\":\"2026-11-21T10:00:00.123Z\",\"event\":\"run_start\","
	                 "\"plan\":\"merge.ini\",\"pairs\":27,"
	                 "\"run_id\":\"0123456789abcdef0123456789abcdef\",\"host\":\"vm-merge-1\","
	                 "\"version\":\"1.2.3\",\"limit_mechanism\":\"none\","
	                 "\"limit_note\":\"no cgroup\"}");
	event_clear(&ev, EF_PLAN);
	event_clear(&ev, EF_LIMIT_NOTE);
	assert_line(&ev, "{\"ts\":\"2026-11-21T10:00:00.123Z\",\"event\":\"run_start\","
	                 "\"plan\":null,\"pairs\":27,"
	                 "\"run_id\":\"0123456789abcdef0123456789abcdef\",\"host\":\"vm-merge-1\","
	                 "\"version\":\"1.2.3\",\"limit_mechanism\":\"none\"}");

	ev = event_init(EVENT_PAIR_START);
	ev.pair = "chr07";
	ev.pid = 4242;
	ev.command = "python3 merge.py \xff";
	ev.input_bytes = 10 * GiB;
	ev.attempt = 2;
	ev.adopted = true;
	event_set(&ev, EF_ADOPTED);
	assert_line(&ev, "{\"ts\":\"2026-11-21T10:00:00.123Z\",\"event\":\"pair_start\","
	                 "\"pair\":\"chr07\",\"pid\":4242,\"command\":\"python3 merge.py "
	                 "\\\\xff\",\"input_bytes\":10737418240,\"attempt\":2,\"adopted\":true}");

	ev = event_init(EVENT_APPROACH);
	ev.pair = "chr07";
	ev.pid = 4242;
	ev.rss = 41 * GiB;
	ev.kill_rss = 50 * GiB;
	event_clear(&ev, EF_ETA_S);
	assert_line(&ev, "{\"ts\":\"2026-11-21T10:00:00.123Z\",\"event\":\"approach\","
	                 "\"pair\":\"chr07\",\"pid\":4242,\"rss\":44023414784,"
	                 "\"kill_rss\":53687091200,\"eta_s\":null}");

	ev = event_init(EVENT_DEADLOCK);
	ev.pair = "chr07";
	ev.pid = 4242;
	ev.n_blocked = 2;
	ev.blocked_pids[0] = 4242;
	ev.blocked_pids[1] = 4250;
	ev.threads = 12;
	ev.futex_threads = 12;
	ev.stalled_s = 120.5;
	event_clear(&ev, EF_CAPTURE);
	assert_line(&ev, "{\"ts\":\"2026-11-21T10:00:00.123Z\",\"event\":\"deadlock\","
	                 "\"pair\":\"chr07\",\"pid\":4242,\"blocked_pids\":[4242,4250],"
	                 "\"threads\":12,\"futex_threads\":12,\"stalled_s\":120.5,"
	                 "\"capture\":null}");

	ev = event_init(EVENT_PRESSURE);
	ev.mem_available = GiB;
	ev.mem_total = 16 * GiB;
	ev.swap_used = 0;
	ev.swap_total = 0;
	event_clear(&ev, EF_PSI_SOME);
	event_clear(&ev, EF_PSI_FULL);
	assert_line(&ev, "{\"ts\":\"2026-11-21T10:00:00.123Z\",\"event\":\"pressure\","
	                 "\"mem_available\":1073741824,\"mem_total\":17179869184,\"swap_used\":0,"
	                 "\"swap_total\":0,\"psi_some_avg10\":null,\"psi_full_avg10\":null}");

	ev = event_init(EVENT_KILL);
	ev.pair = "chr07";
	ev.pid = 4242;
	ev.kill_reason = REASON_RSS;
	ev.rss = 50 * GiB + 1;
	ev.signal = "SIGKILL";
	ev.kill_rss = 50 * GiB;
	event_set(&ev, EF_KILL_RSS);
	assert_line(&ev, "{\"ts\":\"2026-11-21T10:00:00.123Z\",\"event\":\"kill\","
	                 "\"pair\":\"chr07\",\"pid\":4242,\"reason\":\"rss\","
	                 "\"rss\":53687091201,\"signal\":\"SIGKILL\",\"kill_rss\":53687091200}");

	ev = event_init(EVENT_RESOLVED);
	ev.condition = CONDITION_BLOAT;
	ev.pair = "chr07";
	event_set(&ev, EF_PAIR);
	assert_line(&ev, "{\"ts\":\"2026-11-21T10:00:00.123Z\",\"event\":\"resolved\","
	                 "\"kind\":\"bloat\",\"pair\":\"chr07\"}");

	/* exit_code, or signal in its place */
	ev = event_init(EVENT_PAIR_END);
	ev.pair = "chr07";
	ev.status = STATUS_FAILED;
	ev.exit_code = 1;
	ev.peak_rss = 12 * GiB;
	ev.elapsed_s = 0;
	event_clear(&ev, EF_RATIO);
	ev.end_reason = REASON_EXIT;
	ev.attempt = 1;
	assert_line(&ev, "{\"ts\":\"2026-11-21T10:00:00.123Z\",\"event\":\"pair_end\","
	                 "\"pair\":\"chr07\",\"status\":\"failed\",\"exit_code\":1,"
	                 "\"peak_rss\":12884901888,\"elapsed_s\":0.0,\"ratio\":null,"
	                 "\"reason\":\"exit\",\"attempt\":1}");
	ev.signal = "SIGKILL";
	event_set(&ev, EF_SIGNAL);
	ev.status = STATUS_DONE;
	ev.ratio = 1.25;
	event_set(&ev, EF_RATIO);
	event_clear(&ev, EF_END_REASON);
	ev.resumed = true;
	event_set(&ev, EF_RESUMED);
	assert_line(&ev, "{\"ts\":\"2026-11-21T10:00:00.123Z\",\"event\":\"pair_end\","
	                 "\"pair\":\"chr07\",\"status\":\"done\",\"signal\":\"SIGKILL\","
	                 "\"peak_rss\":12884901888,\"elapsed_s\":0.0,\"ratio\":1.25,"
	                 "\"reason\":null,\"attempt\":1,\"resumed\":true}");
	event_clear(&ev, EF_SIGNAL);
	event_clear(&ev, EF_EXIT_CODE);
	event_clear(&ev, EF_RESUMED);
	assert_line(&ev, "{\"ts\":\"2026-11-21T10:00:00.123Z\",\"event\":\"pair_end\","
	                 "\"pair\":\"chr07\",\"status\":\"done\",\"exit_code\":null,"
	                 "\"peak_rss\":12884901888,\"elapsed_s\":0.0,\"ratio\":1.25,"
	                 "\"reason\":null,\"attempt\":1}");

	ev = event_init(EVENT_ALERT_FAILED);
	ev.alert_kind = ALERT_GATE_TIMEOUT;
	ev.attempts = 3;
	ev.error = "HTTP 404";
	event_set(&ev, EF_ERROR);
	assert_line(&ev, "{\"ts\":\"2026-11-21T10:00:00.123Z\",\"event\":\"alert_failed\","
	                 "\"kind\":\"gate_timeout\",\"attempts\":3,\"error\":\"HTTP 404\"}");

	ev = event_init(EVENT_RUN_END);
	ev.n_done = 25;
	ev.n_failed = 1;
	ev.n_killed = 1;
	ev.elapsed_s = 8040.25;
	assert_line(&ev, "{\"ts\":\"2026-11-21T10:00:00.123Z\",\"event\":\"run_end\","
	                 "\"done\":25,\"failed\":1,\"killed\":1,\"skipped\":0,"
	                 "\"elapsed_s\":8040.25}");
}

/* What is written reads back to the same event. */
static void test_round_trip(void **state)
{
	struct event ev = event_init(EVENT_PAIR_END), back;
	json_t *obj;

	(void)state;
	ev.wall_ms = WALL_MS;
	ev.pair = "chr07";
	ev.status = STATUS_KILLED;
	ev.signal = "SIGKILL";
	event_set(&ev, EF_SIGNAL);
	ev.peak_rss = 50 * GiB;
	ev.elapsed_s = 600;
	ev.ratio = 5.5;
	ev.end_reason = REASON_RSS;
	ev.attempt = 2;
	obj = eventjson_encode(&ev, "2026-11-21T10:00:00.123Z");
	assert_int_equal(eventjson_decode(obj, &back), 0);
	assert_int_equal(back.kind, EVENT_PAIR_END);
	assert_int_equal(back.wall_ms, WALL_MS);
	assert_true(back.has == (ev.has & ~((uint64_t)1 << EF_EXIT_CODE)));
	assert_string_equal(back.pair, "chr07");
	assert_string_equal(back.signal, "SIGKILL");
	assert_int_equal(back.status, STATUS_KILLED);
	assert_int_equal(back.end_reason, REASON_RSS);
	assert_int_equal(back.peak_rss, 50 * GiB);
	assert_true(back.ratio == 5.5 && back.elapsed_s == 600);
	assert_int_equal(back.attempt, 2);
	json_decref(obj);

	/* a log of a newer version: names kept, nothing invented */
	obj = json_loads("{\"event\":\"pair_end\",\"pair\":\"a\",\"status\":\"failed\","
	                 "\"reason\":\"quota\",\"exit_code\":\"one\"}",
	                 0, NULL);
	assert_int_equal(eventjson_decode(obj, &back), 0);
	assert_int_equal(back.end_reason, REASON_OTHER);
	assert_string_equal(back.other, "quota");
	assert_false(event_has(&back, EF_EXIT_CODE));
	json_decref(obj);
	obj = json_loads("{\"event\":\"teleport\",\"pair\":\"a\"}", 0, NULL);
	assert_int_equal(eventjson_decode(obj, &back), 0);
	assert_int_equal(back.kind, EVENT_OTHER);
	assert_string_equal(back.other, "teleport");
	assert_string_equal(back.pair, "a");
	json_decref(obj);
	obj = json_loads("[1]", 0, NULL);
	assert_int_equal(eventjson_decode(obj, &back), -EINVAL);
	json_decref(obj);
}

static void test_dup_owns_its_strings(void **state)
{
	char pair[] = "chr07", error[] = "refused";
	struct event ev = event_init(EVENT_ALERT_FAILED), *copy;

	(void)state;
	ev.pair = pair;
	ev.error = error;
	event_set(&ev, EF_PAIR);
	event_set(&ev, EF_ERROR);
	copy = event_dup(&ev);
	assert_non_null(copy);
	pair[0] = error[0] = 'X';
	assert_string_equal(copy->pair, "chr07");
	assert_string_equal(copy->error, "refused");
	assert_null(copy->command);
	free(copy);

	/* run_start's identity and pair_end's log too. */
	char run_id[] = "0123", log[] = "/logs/chr07.log";

	ev = event_init(EVENT_PAIR_END);
	ev.pair = pair;
	ev.run_id = run_id;
	ev.log = log;
	copy = event_dup(&ev);
	assert_non_null(copy);
	run_id[0] = log[0] = 'X';
	assert_string_equal(copy->run_id, "0123");
	assert_string_equal(copy->log, "/logs/chr07.log");
	free(copy);
}

static void test_alert_kinds(void **state)
{
	static const struct {
		enum event_kind kind;
		enum event_status status;
		enum event_reason reason;
		enum alert_kind want;
	} cases[] = {
		{ EVENT_BLOAT, 0, 0, ALERT_BLOAT },
		{ EVENT_STALL, 0, 0, ALERT_STALL },
		{ EVENT_KILL, 0, 0, ALERT_KILL },
		{ EVENT_PAIR_END, STATUS_FAILED, REASON_EXIT, ALERT_PAIR_FAILED },
		{ EVENT_PAIR_END, STATUS_FAILED, REASON_GATE, ALERT_GATE_TIMEOUT },
		{ EVENT_PAIR_END, STATUS_KILLED, REASON_RSS, ALERT_PAIR_KILLED },
		{ EVENT_PAIR_END, STATUS_DONE, REASON_NONE, ALERT_NONE },
		{ EVENT_PAIR_END, STATUS_INTERRUPTED, REASON_SHUTDOWN, ALERT_NONE },
		{ EVENT_PROGRESS, 0, 0, ALERT_NONE },
		{ EVENT_ALERT_FAILED, 0, 0, ALERT_NONE },
		{ EVENT_RUN_END, 0, 0, ALERT_RUN_END },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct event ev = event_init(cases[i].kind);

		ev.status = cases[i].status;
		ev.end_reason = cases[i].reason;
		assert_int_equal(event_alert_kind(&ev), cases[i].want);
	}
	assert_int_equal(alert_kind_severity(alert_kind_condition(ALERT_DEADLOCK_RESOLVED)),
	                 SEVERITY_CRITICAL);
	assert_int_equal(alert_kind_condition(ALERT_STALL_RESOLVED), ALERT_STALL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_name_reads_back), cmocka_unit_test(test_priorities),
		cmocka_unit_test(test_lines_as_before),       cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_dup_owns_its_strings),  cmocka_unit_test(test_alert_kinds),
	};

	return cmocka_run_group_tests_name("events", tests, NULL, NULL) == 0 ? 0 : 1;
}
