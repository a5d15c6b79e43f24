/* runner/resume: every recorded step against what is true now. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include "../../runner/resume.h"

enum { NONE = -1 };

struct resume_case {
	const char *name;
	int status; /* enum state_status, NONE: not recorded */
	bool rerun, alive, record_ended, output_ok, same_command, budget;
	int record_exit_code, record_signal;
	int exited_code, exited_signal; /* EXITED: the recorded end (both 0: exit 3) */
	enum resume_action expect;
	bool command_changed;
	int exit_code, term_signal;
};

static const struct resume_case cases[] = {
	{ "never ran", NONE, .expect = RESUME_RUN, .exit_code = -1 },
	{ "pending", STATE_PENDING, .expect = RESUME_RUN, .exit_code = -1 },
	{ "failed runs again", STATE_FAILED, .expect = RESUME_RUN, .exit_code = -1 },
	{ "killed runs again", STATE_KILLED, .expect = RESUME_RUN, .exit_code = -1 },
	{ "skipped runs again", STATE_SKIPPED, .expect = RESUME_RUN, .exit_code = -1 },
	{ "done skipped", STATE_DONE, .output_ok = true, .same_command = true,
	  .expect = RESUME_DONE, .exit_code = -1 },
	{ "done, command changed: still skipped, noted", STATE_DONE, .output_ok = true,
	  .expect = RESUME_DONE, .command_changed = true, .exit_code = -1 },
	{ "done, output gone", STATE_DONE, .same_command = true, .expect = RESUME_OUTPUT_MISSING,
	  .exit_code = -1 },
	{ "done, --rerun", STATE_DONE, .rerun = true, .output_ok = true, .expect = RESUME_RUN,
	  .exit_code = -1 },
	{ "started, alive: adopted", STATE_STARTED, .alive = true, .expect = RESUME_ADOPT,
	  .exit_code = -1 },
	{ "started, alive, --rerun: adopted all the same", STATE_STARTED, .rerun = true,
	  .alive = true, .expect = RESUME_ADOPT, .exit_code = -1 },
	{ "started, gone, no record of an end: interrupted", STATE_STARTED,
	  .expect = RESUME_INTERRUPTED, .exit_code = -1 },
	{ "started, gone with partial output: interrupted, not done", STATE_STARTED,
	  .output_ok = true, .expect = RESUME_INTERRUPTED, .exit_code = -1 },
	{ "started, zombie with an end recorded 0: judged", STATE_STARTED, .record_ended = true,
	  .record_exit_code = 0, .expect = RESUME_JUDGE, .exit_code = 0 },
	{ "started, ended by SIGKILL: judged with it", STATE_STARTED, .record_ended = true,
	  .record_exit_code = -1, .record_signal = 9, .expect = RESUME_JUDGE, .exit_code = -1,
	  .term_signal = 9 },
	{ "exited: judged with the recorded status", STATE_EXITED, .expect = RESUME_JUDGE,
	  .exit_code = 3 },
	/* The budget's hand (its cap lowered for it, or being stopped for it)
	 * turns a SIGKILL end into a requeue, and nothing else. */
	{ "started, budget, ended by SIGKILL: requeued", STATE_STARTED, .budget = true,
	  .record_ended = true, .record_exit_code = -1, .record_signal = 9,
	  .expect = RESUME_REQUEUED, .exit_code = -1 },
	{ "started, budget, its shell said 137: requeued", STATE_STARTED, .budget = true,
	  .record_ended = true, .record_exit_code = 137, .expect = RESUME_REQUEUED,
	  .exit_code = -1 },
	{ "started, budget, exited 1: judged, a failure", STATE_STARTED, .budget = true,
	  .record_ended = true, .record_exit_code = 1, .expect = RESUME_JUDGE, .exit_code = 1 },
	{ "started, budget, alive: adopted", STATE_STARTED, .budget = true, .alive = true,
	  .expect = RESUME_ADOPT, .exit_code = -1 },
	{ "started, budget, gone without an end: interrupted", STATE_STARTED, .budget = true,
	  .expect = RESUME_INTERRUPTED, .exit_code = -1 },
	{ "exited, budget, by SIGKILL: requeued", STATE_EXITED, .budget = true, .exited_code = -1,
	  .exited_signal = 9, .expect = RESUME_REQUEUED, .exit_code = -1 },
	{ "exited by SIGKILL, no budget: judged", STATE_EXITED, .exited_code = -1,
	  .exited_signal = 9, .expect = RESUME_JUDGE, .exit_code = -1, .term_signal = 9 },
	{ "exited 3, budget: judged", STATE_EXITED, .budget = true, .expect = RESUME_JUDGE,
	  .exit_code = 3 },
	{ "verified: cleanup finished, never rerun", STATE_VERIFIED, .expect = RESUME_CLEANUP,
	  .exit_code = -1 },
	{ "cleaning: cleanup finished, never rerun", STATE_CLEANING, .expect = RESUME_CLEANUP,
	  .exit_code = -1 },
	{ "cleaning, --rerun: cleanup finished all the same", STATE_CLEANING, .rerun = true,
	  .expect = RESUME_CLEANUP, .exit_code = -1 },
};

static void test_resume_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct resume_case *c = &cases[i];
		struct state_pair sp;
		struct resume_facts f = { 0 };
		struct resume_verdict v;

		memset(&sp, 0, sizeof sp);
		snprintf(sp.name, sizeof sp.name, "chr01");
		sp.status = c->status == NONE ? STATE_PENDING : (enum state_status)c->status;
		sp.exit_code = c->status != STATE_EXITED                      ? -1
		               : c->exited_code != 0 || c->exited_signal != 0 ? c->exited_code
		                                                              : 3;
		sp.term_signal = c->status == STATE_EXITED ? c->exited_signal : 0;
		sp.command_hash = state_command_hash("merge 01");
		f.recorded = c->status == NONE ? NULL : &sp;
		f.rerun = c->rerun;
		f.command_hash = state_command_hash(c->same_command ? "merge 01" : "merge 01 --v2");
		f.alive = c->alive;
		f.record_ended = c->record_ended;
		f.record_exit_code = c->record_exit_code;
		f.record_signal = c->record_signal;
		f.output_ok = c->output_ok;
		f.budget = c->budget;
		resume_decide(&f, &v);
		if (v.action != c->expect || v.command_changed != c->command_changed ||
		    v.exit_code != c->exit_code || v.term_signal != c->term_signal)
			fail_msg("%s: got %s changed=%d exit=%d signal=%d, expected %s changed=%d "
			         "exit=%d signal=%d",
			         c->name, resume_action_name(v.action), v.command_changed,
			         v.exit_code, v.term_signal, resume_action_name(c->expect),
			         c->command_changed, c->exit_code, c->term_signal);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resume_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
