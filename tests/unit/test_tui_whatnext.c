/* What happens next, in words: the figures an operator reads without
 * colour, each against its limit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../../tui/whatnext.h"

#define MiB (1024ULL * 1024)

static struct model_pair running(void)
{
	struct model_pair p;

	memset(&p, 0, sizeof p);
	p.name = "chr07";
	p.state = PAIR_RUNNING;
	p.started_ms = 1000;
	p.exit_code = -1;
	p.on_deadlock = "kill";
	p.deadlock_action = MODEL_ON_DEADLOCK_KILL;
	p.deadlock_window_ms = 120000;
	return p;
}

static void test_each_figure_against_its_limit(void **state)
{
	static const struct {
		uint64_t rss, kill, timeout, done, total, stalled, now;
		bool deadlocked;
		const char *want;
	} cases[] = {
		{ 1228 * MiB, 1536 * MiB, 0, 0, 0, 0, 11000, false,
		  "308.0 MiB to kill line 1.5 GiB" },
		{ 100 * MiB, 0, 12000, 0, 0, 0, 11000, false, "timeout in 2s" },
		{ 100 * MiB, 0, 10000, 0, 0, 0, 20000, false, "timeout in 0s" },
		{ 100 * MiB, 0, 0, 25, 100, 0, 11000, false, "ETA 30s" },
		{ 100 * MiB, 0, 0, 0, 100, 0, 11000, false, "" },
		{ 2 * MiB, 1 * MiB, 0, 0, 0, 0, 11000, false, "over kill line 1.0 MiB" },
		{ 100 * MiB, 0, 0, 5, 10, 7000, 11000, false,
		  "no progress 7s: deadlock verdict in 1m53s, then SIGKILL" },
		{ 100 * MiB, 0, 0, 0, 0, 121000, 130000, false,
		  "no progress 2m01s: deadlock verdict due now" },
		{ 100 * MiB, 0, 60000, 0, 0, 0, 11000, true,
		  "deadlocked: on_deadlock = kill; timeout in 50s" },
		{ 1228 * MiB, 1536 * MiB, 60000, 50, 100, 0, 11000, false,
		  "308.0 MiB to kill line 1.5 GiB; timeout in 50s; ETA 10s" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct model_pair p = running();
		char buf[256];

		p.rss_bytes = cases[i].rss;
		p.kill_rss_bytes = cases[i].kill;
		p.timeout_ms = cases[i].timeout;
		p.progress_done = cases[i].done;
		p.progress_total = cases[i].total;
		p.stalled_ms = cases[i].stalled;
		p.deadlocked = cases[i].deadlocked;
		whatnext_describe(&p, cases[i].now, "; ", buf, sizeof buf);
		if (strcmp(buf, cases[i].want) != 0)
			fail_msg("case %zu: '%s', want '%s'", i, buf, cases[i].want);
	}
}

static void test_nothing_ahead_of_an_ended_or_pending_pair(void **state)
{
	struct model_pair p = running();
	char buf[64] = "x";

	(void)state;
	p.kill_rss_bytes = 10 * MiB;
	p.timeout_ms = 1000;
	p.state = PAIR_DONE;
	assert_int_equal(whatnext_describe(&p, 5000, "; ", buf, sizeof buf), 0);
	assert_string_equal(buf, "");
	p.state = PAIR_PENDING;
	assert_int_equal(whatnext_describe(&p, 5000, "; ", buf, sizeof buf), 0);
}

/* Several pairs at once: a pending pair says what it waits for. */
static void test_a_pending_pair_says_what_it_waits_for(void **state)
{
	static const struct {
		enum model_wait wait;
		const char *want;
	} cases[] = {
		{ MODEL_WAIT_NONE, "" },
		{ MODEL_WAIT_SLOT, "waits for a slot: as many pairs run as jobs allows" },
		{ MODEL_WAIT_BUDGET,
		  "waits for room: needs 1.5 GiB, 600.0 MiB of the budget free" },
		{ MODEL_WAIT_ORDER, "waits: an earlier pair is at the health gate" },
		{ MODEL_WAIT_HELD, "waits for a pair to end: one outgrew its prediction" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct model_pair p = running();
		char buf[128];

		p.state = PAIR_PENDING;
		p.started_ms = 0;
		p.kill_rss_bytes = 10 * MiB; /* nothing of a running pair's */
		p.predicted_peak_bytes = 1536 * MiB;
		p.wait = cases[i].wait;
		p.wait_free_bytes = 600 * MiB;
		whatnext_describe(&p, 5000, "; ", buf, sizeof buf);
		if (strcmp(buf, cases[i].want) != 0)
			fail_msg("case %zu: '%s', want '%s'", i, buf, cases[i].want);
	}
}

static void test_wrap_breaks_between_parts(void **state)
{
	const char *t = "aaaa; bbbbbb; cc; dddddddddddd";
	int starts[2], lens[2];

	(void)state;
	assert_int_equal(whatnext_wrap(t, "; ", 14, 2, starts, lens), 2);
	assert_int_equal(starts[0], 0);
	assert_int_equal(lens[0], 12); /* "aaaa; bbbbbb" */
	assert_int_equal(starts[1], 14);
	assert_string_equal(t + starts[1], "cc; dddddddddddd"); /* the rest, cut when drawn */
	assert_int_equal(whatnext_wrap(t, "; ", 80, 2, starts, lens), 1);
	assert_int_equal(lens[0], (int)strlen(t));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_each_figure_against_its_limit),
		cmocka_unit_test(test_nothing_ahead_of_an_ended_or_pending_pair),
		cmocka_unit_test(test_a_pending_pair_says_what_it_waits_for),
		cmocka_unit_test(test_wrap_breaks_between_parts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
