/* The resume rules (see resume.h). Pure: no I/O, no clock. */
#include "resume.h"

#include <signal.h>
#include <stddef.h>

static const char *const resume_action_names[] = {
	[RESUME_RUN] = "run",
	[RESUME_DONE] = "done",
	[RESUME_OUTPUT_MISSING] = "output_missing",
	[RESUME_ADOPT] = "adopt",
	[RESUME_JUDGE] = "judge",
	[RESUME_CLEANUP] = "cleanup",
	[RESUME_INTERRUPTED] = "interrupted",
	[RESUME_REQUEUED] = "requeued",
};

const char *resume_action_name(enum resume_action a)
{
	if ((size_t)a < sizeof resume_action_names / sizeof resume_action_names[0])
		return resume_action_names[a];
	return "unknown";
}

/* Ended by SIGKILL, itself or through the shell that ran it (128 + 9). */
static bool resume_sigkilled(int exit_code, int term_signal)
{
	return term_signal == SIGKILL || exit_code == 128 + SIGKILL;
}

void resume_decide(const struct resume_facts *f, struct resume_verdict *v)
{
	const struct state_pair *sp = f->recorded;

	v->action = RESUME_RUN;
	v->command_changed = false;
	v->exit_code = -1;
	v->term_signal = 0;
	if (sp == NULL)
		return;
	switch (sp->status) {
	case STATE_STARTED:
		/* A live process is never started twice, --rerun or not. */
		if (f->alive) {
			v->action = RESUME_ADOPT;
		} else if (f->record_ended && f->budget &&
		           resume_sigkilled(f->record_exit_code, f->record_signal)) {
			v->action = RESUME_REQUEUED;
		} else if (f->record_ended) {
			v->action = RESUME_JUDGE;
			v->exit_code = f->record_exit_code;
			v->term_signal = f->record_signal;
		} else {
			v->action = RESUME_INTERRUPTED;
		}
		return;
	case STATE_EXITED:
		if (f->budget && resume_sigkilled(sp->exit_code, sp->term_signal)) {
			v->action = RESUME_REQUEUED;
			return;
		}
		v->action = RESUME_JUDGE;
		v->exit_code = sp->exit_code;
		v->term_signal = sp->term_signal;
		return;
	case STATE_VERIFIED:
	case STATE_CLEANING:
		/* Its checkpoints may be half deleted: running it again would
		 * merge what is left. Only the cleanup goes on. */
		v->action = RESUME_CLEANUP;
		return;
	case STATE_DONE:
		if (f->rerun)
			return;
		v->command_changed = sp->command_hash != 0 && sp->command_hash != f->command_hash;
		v->action = f->output_ok ? RESUME_DONE : RESUME_OUTPUT_MISSING;
		return;
	case STATE_PENDING:
	case STATE_FAILED:
	case STATE_KILLED:
	case STATE_SKIPPED:
		return;
	}
}
