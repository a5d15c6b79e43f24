/* runner/lifecycle: the pair lifecycle's table walked as the runner walks
 * it — whole lives from pending to an end, what each phase ignores, and
 * that every phase can be reached and left. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../../runner/lifecycle.h"

struct walk_step {
	enum lc_event event;
	enum pair_phase phase; /* after it */
	enum lc_action action; /* taken */
};

#define END                                                                                        \
	{                                                                                          \
		LE_N, PHASE_N, LA_NONE                                                             \
	}

/* Lives as run_pair.c drives them: each event in turn, with the phase it
 * leads to and the action the runner takes. */
static const struct {
	const char *name;
	struct walk_step steps[12];
} lives[] = {
	{ "done after verify and cleanup",
	  { { LE_TURN, PHASE_PENDING, LA_PREPARE },
	    { LE_GATE_OPEN, PHASE_PENDING, LA_LAUNCH },
	    { LE_STARTED, PHASE_RUNNING, LA_WATCH },
	    { LE_EXIT, PHASE_EXITED, LA_REAP },
	    { LE_VERIFY_START, PHASE_VERIFYING, LA_WATCH_VERIFY },
	    { LE_EXIT, PHASE_EXITED, LA_VERIFY_END },
	    { LE_VERIFIED, PHASE_CLEANING, LA_CLEAN_START },
	    { LE_STOP, PHASE_CLEANING, LA_NONE }, /* a cleanup is never cut by a stop */
	    { LE_CLEANED, PHASE_DONE, LA_FINISH },
	    END } },
	{ "verify over its limits, stopped, fails",
	  { { LE_TURN, PHASE_PENDING, LA_PREPARE },
	    { LE_STARTED, PHASE_RUNNING, LA_WATCH },
	    { LE_EXIT, PHASE_EXITED, LA_REAP },
	    { LE_VERIFY_START, PHASE_VERIFYING, LA_WATCH_VERIFY },
	    { LE_STOP, PHASE_VERIFY_STOPPING, LA_SIGNAL },
	    { LE_GRACE_OVER, PHASE_VERIFY_STOPPING, LA_ESCALATE },
	    { LE_EXIT, PHASE_EXITED, LA_VERIFY_END_STOPPED },
	    { LE_END_FAILED, PHASE_FAILED, LA_FINISH },
	    END } },
	{ "resumed: its command had ended, judged, verified, cleaned",
	  { { LE_TURN, PHASE_PENDING, LA_PREPARE },
	    { LE_RESUME_EXITED, PHASE_EXITED, LA_JUDGE },
	    { LE_VERIFIED, PHASE_CLEANING, LA_CLEAN_START },
	    { LE_CLEANED, PHASE_DONE, LA_FINISH },
	    END } },
	{ "resumed while cleaning: the cleanup finishes, never a run",
	  { { LE_TURN, PHASE_PENDING, LA_PREPARE },
	    { LE_VERIFIED, PHASE_CLEANING, LA_CLEAN_START },
	    { LE_TURN, PHASE_CLEANING, LA_NONE },
	    { LE_CLEANED, PHASE_DONE, LA_FINISH },
	    END } },
	{ "adopted, ends with no recorded status: interrupted, runs again",
	  { { LE_TURN, PHASE_PENDING, LA_PREPARE },
	    { LE_STARTED, PHASE_RUNNING, LA_WATCH },
	    { LE_EXIT, PHASE_EXITED, LA_REAP },
	    { LE_INTERRUPTED, PHASE_PENDING, LA_INTERRUPTED },
	    { LE_TURN, PHASE_PENDING, LA_PREPARE },
	    { LE_GATE_OPEN, PHASE_PENDING, LA_LAUNCH },
	    END } },
	{ "waits at the gate, then times out",
	  { { LE_TURN, PHASE_PENDING, LA_PREPARE },
	    { LE_GATE_CLOSED, PHASE_GATE, LA_GATE_WAIT },
	    { LE_GATE_TICK, PHASE_GATE, LA_GATE_CHECK },
	    { LE_END_FAILED, PHASE_FAILED, LA_FINISH },
	    END } },
	{ "timeout: SIGTERM, grace, SIGKILL, then a retry",
	  { { LE_TURN, PHASE_PENDING, LA_PREPARE },
	    { LE_GATE_OPEN, PHASE_PENDING, LA_LAUNCH },
	    { LE_STARTED, PHASE_RUNNING, LA_WATCH },
	    { LE_STOP, PHASE_STOPPING, LA_SIGNAL },
	    { LE_GRACE_OVER, PHASE_STOPPING, LA_ESCALATE },
	    { LE_EXIT, PHASE_EXITED, LA_REAP_STOPPED },
	    { LE_END_KILLED, PHASE_KILLED, LA_FINISH },
	    { LE_REQUEUE, PHASE_PENDING, LA_NONE },
	    END } },
	{ "stopped for the memory budget: requeued, then done",
	  { { LE_TURN, PHASE_PENDING, LA_PREPARE },
	    { LE_GATE_OPEN, PHASE_PENDING, LA_LAUNCH },
	    { LE_STARTED, PHASE_RUNNING, LA_WATCH },
	    { LE_STOP, PHASE_STOPPING, LA_SIGNAL },
	    { LE_EXIT, PHASE_EXITED, LA_REAP_STOPPED },
	    { LE_END_REQUEUED, PHASE_PENDING, LA_REQUEUE },
	    { LE_GATE_OPEN, PHASE_PENDING, LA_LAUNCH },
	    { LE_STARTED, PHASE_RUNNING, LA_WATCH },
	    { LE_EXIT, PHASE_EXITED, LA_REAP },
	    { LE_END_DONE, PHASE_DONE, LA_FINISH },
	    END } },
	{ "deadlock: evidence first, then on_deadlock",
	  { { LE_TURN, PHASE_PENDING, LA_PREPARE },
	    { LE_STARTED, PHASE_RUNNING, LA_WATCH }, /* adopted */
	    { LE_DEADLOCK, PHASE_CAPTURING, LA_CAPTURE },
	    { LE_CAPTURE_DONE, PHASE_RUNNING, LA_ON_DEADLOCK },
	    { LE_STOP, PHASE_STOPPING, LA_SIGNAL },
	    { LE_CAPTURE_DONE, PHASE_STOPPING, LA_NONE }, /* ignored */
	    { LE_EXIT, PHASE_EXITED, LA_REAP_STOPPED },
	    { LE_END_KILLED, PHASE_KILLED, LA_FINISH },
	    END } },
	{ "skipped while pending ends at its turn",
	  { { LE_SKIP, PHASE_PENDING_SKIP, LA_NONE },
	    { LE_TURN, PHASE_PENDING_SKIP, LA_PREPARE },
	    { LE_END_SKIPPED, PHASE_SKIPPED, LA_FINISH },
	    END } },
	{ "skipped at the gate ends at once",
	  { { LE_TURN, PHASE_PENDING, LA_PREPARE },
	    { LE_GATE_CLOSED, PHASE_GATE, LA_GATE_WAIT },
	    { LE_SKIP, PHASE_SKIPPED, LA_FINISH },
	    END } },
	{ "left running at quit",
	  { { LE_TURN, PHASE_PENDING, LA_PREPARE },
	    { LE_STARTED, PHASE_RUNNING, LA_WATCH },
	    { LE_LEAVE, PHASE_LEFT, LA_UNWATCH },
	    { LE_EXIT, PHASE_LEFT, LA_NONE }, /* no longer ours */
	    END } },
};

static void test_lives(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(lives) / sizeof(lives[0]); i++) {
		enum pair_phase phase = PHASE_PENDING;

		for (const struct walk_step *s = lives[i].steps; s->event != LE_N; s++) {
			struct lc_step st = lifecycle_step(phase, s->event);
			enum pair_phase next = st.valid ? st.next : phase;
			enum lc_action action = st.valid ? st.action : LA_NONE;

			if (next != s->phase || action != s->action)
				fail_msg("%s: %s in %s leads to %s (action %d), not %s (action %d)",
				         lives[i].name, lifecycle_event_name(s->event),
				         lifecycle_phase_name(phase), lifecycle_phase_name(next),
				         (int)action, lifecycle_phase_name(s->phase),
				         (int)s->action);
			phase = next;
		}
	}
}

/* What a phase must not hear: a stale timer or a late report changes
 * nothing. */
static void test_ignored(void **state)
{
	static const struct {
		enum pair_phase phase;
		enum lc_event event;
	} ignored[] = {
		{ PHASE_RUNNING, LE_GRACE_OVER }, { PHASE_PENDING, LE_EXIT },
		{ PHASE_EXITED, LE_STOP },        { PHASE_EXITED, LE_GRACE_OVER },
		{ PHASE_VERIFYING, LE_DEADLOCK }, { PHASE_DONE, LE_TURN },
		{ PHASE_CLEANING, LE_STOP },      { PHASE_CLEANING, LE_LEAVE },
		{ PHASE_DONE, LE_CLEANED },       { PHASE_RUNNING, LE_VERIFIED },
		{ PHASE_DONE, LE_REQUEUE },       { PHASE_SKIPPED, LE_ABANDON },
		{ PHASE_RUNNING, LE_ABANDON },    { PHASE_RUNNING, LE_GATE_TICK },
		{ PHASE_LEFT, LE_STOP },          { PHASE_GATE, LE_EXIT },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++) {
		if (lifecycle_step(ignored[i].phase, ignored[i].event).valid)
			fail_msg("%s changes %s", lifecycle_event_name(ignored[i].event),
			         lifecycle_phase_name(ignored[i].phase));
	}
	assert_false(lifecycle_step(PHASE_N, LE_TURN).valid);
	assert_false(lifecycle_step(PHASE_PENDING, LE_N).valid);
}

/* Every phase is reached from pending, and every phase but the final ones
 * and "left" leads on to a final one: no pair can get stuck in the table. */
static void test_reachable_and_ends(void **state)
{
	bool seen[PHASE_N] = { false }, ends[PHASE_N] = { false };
	bool grew = true;

	(void)state;
	seen[PHASE_PENDING] = true;
	while (grew) {
		grew = false;
		for (int ph = 0; ph < PHASE_N; ph++) {
			for (int ev = 0; ev < LE_N && seen[ph]; ev++) {
				struct lc_step st =
					lifecycle_step((enum pair_phase)ph, (enum lc_event)ev);

				if (st.valid && !seen[st.next])
					seen[st.next] = grew = true;
			}
		}
	}
	for (int ph = 0; ph < PHASE_N; ph++) {
		if (!seen[ph])
			fail_msg("%s cannot be reached", lifecycle_phase_name((enum pair_phase)ph));
		ends[ph] = lifecycle_final((enum pair_phase)ph);
	}
	for (grew = true; grew;) {
		grew = false;
		for (int ph = 0; ph < PHASE_N; ph++) {
			for (int ev = 0; ev < LE_N && !ends[ph]; ev++) {
				struct lc_step st =
					lifecycle_step((enum pair_phase)ph, (enum lc_event)ev);

				if (st.valid && ends[st.next])
					ends[ph] = grew = true;
			}
		}
	}
	for (int ph = 0; ph < PHASE_N; ph++) {
		if (!ends[ph] && ph != PHASE_LEFT)
			fail_msg("%s never ends", lifecycle_phase_name((enum pair_phase)ph));
	}
}

static void test_view_and_sets(void **state)
{
	(void)state;
	assert_int_equal(lifecycle_view(PHASE_PENDING_SKIP), PAIR_PENDING);
	assert_int_equal(lifecycle_view(PHASE_CAPTURING), PAIR_RUNNING);
	assert_int_equal(lifecycle_view(PHASE_STOPPING), PAIR_STOPPING);
	assert_int_equal(lifecycle_view(PHASE_VERIFYING), PAIR_VERIFYING);
	assert_int_equal(lifecycle_view(PHASE_KILLED), PAIR_KILLED);
	for (int ph = 0; ph < PHASE_N; ph++) {
		enum pair_phase p = (enum pair_phase)ph;

		assert_true(strcmp(lifecycle_phase_name(p), "?") != 0);
		/* watched implies busy; final implies neither */
		assert_true(!lifecycle_watched(p) || lifecycle_busy(p));
		assert_true(!lifecycle_final(p) || (!lifecycle_busy(p) && !lifecycle_watched(p)));
	}
	/* verify is watched like the command; a cleanup child is ours but
	 * has no tree to judge */
	assert_true(lifecycle_busy(PHASE_VERIFYING) && lifecycle_watched(PHASE_VERIFYING));
	assert_true(lifecycle_busy(PHASE_CLEANING) && !lifecycle_watched(PHASE_CLEANING));
	assert_true(lifecycle_watched(PHASE_CAPTURING));
	for (int ev = 0; ev < LE_N; ev++)
		assert_true(strcmp(lifecycle_event_name((enum lc_event)ev), "?") != 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lives),
		cmocka_unit_test(test_ignored),
		cmocka_unit_test(test_reachable_and_ends),
		cmocka_unit_test(test_view_and_sets),
	};

	return cmocka_run_group_tests_name("pair lifecycle", tests, NULL, NULL) == 0 ? 0 : 1;
}
