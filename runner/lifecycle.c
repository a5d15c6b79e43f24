/* The table itself: read a row to see everything that can happen to a pair
 * in that phase. */
#include "lifecycle.h"

/* clang-format off */
#define T(next, action) { true, next, action }
/* clang-format on */

static const struct lc_step table[PHASE_N][LE_N] = {
	[PHASE_PENDING] = {
		[LE_TURN] = T(PHASE_PENDING, LA_PREPARE),
		[LE_SKIP] = T(PHASE_PENDING_SKIP, LA_NONE),
		[LE_ABANDON] = T(PHASE_SKIPPED, LA_FINISH),
		[LE_GATE_CLOSED] = T(PHASE_GATE, LA_GATE_WAIT),
		[LE_GATE_OPEN] = T(PHASE_PENDING, LA_LAUNCH),
		[LE_STARTED] = T(PHASE_RUNNING, LA_WATCH),
		[LE_END_DONE] = T(PHASE_DONE, LA_FINISH),
		[LE_END_FAILED] = T(PHASE_FAILED, LA_FINISH),
		/* resumed from the state: its command had ended, or it was verified */
		[LE_RESUME_EXITED] = T(PHASE_EXITED, LA_JUDGE),
		[LE_VERIFIED] = T(PHASE_CLEANING, LA_CLEAN_START),
	},
	[PHASE_PENDING_SKIP] = {
		[LE_TURN] = T(PHASE_PENDING_SKIP, LA_PREPARE),
		[LE_SKIP] = T(PHASE_PENDING_SKIP, LA_NONE),
		[LE_ABANDON] = T(PHASE_SKIPPED, LA_FINISH),
		[LE_END_SKIPPED] = T(PHASE_SKIPPED, LA_FINISH),
	},
	[PHASE_GATE] = {
		[LE_SKIP] = T(PHASE_SKIPPED, LA_FINISH),
		[LE_ABANDON] = T(PHASE_SKIPPED, LA_FINISH),
		[LE_GATE_TICK] = T(PHASE_GATE, LA_GATE_CHECK),
		[LE_GATE_OPEN] = T(PHASE_GATE, LA_LAUNCH),
		[LE_STARTED] = T(PHASE_RUNNING, LA_WATCH),
		[LE_END_FAILED] = T(PHASE_FAILED, LA_FINISH),
	},
	[PHASE_RUNNING] = {
		[LE_STOP] = T(PHASE_STOPPING, LA_SIGNAL),
		[LE_DEADLOCK] = T(PHASE_CAPTURING, LA_CAPTURE),
		[LE_EXIT] = T(PHASE_EXITED, LA_REAP),
		[LE_LEAVE] = T(PHASE_LEFT, LA_UNWATCH),
	},
	[PHASE_CAPTURING] = {
		[LE_STOP] = T(PHASE_STOPPING, LA_SIGNAL),
		[LE_DEADLOCK] = T(PHASE_CAPTURING, LA_CAPTURE),
		[LE_CAPTURE_DONE] = T(PHASE_RUNNING, LA_ON_DEADLOCK),
		[LE_EXIT] = T(PHASE_EXITED, LA_REAP),
		[LE_LEAVE] = T(PHASE_LEFT, LA_UNWATCH),
	},
	[PHASE_STOPPING] = {
		[LE_STOP] = T(PHASE_STOPPING, LA_ESCALATE),
		[LE_GRACE_OVER] = T(PHASE_STOPPING, LA_ESCALATE),
		/* the evidence is still worth having; the stop goes on */
		[LE_DEADLOCK] = T(PHASE_STOPPING, LA_CAPTURE),
		[LE_EXIT] = T(PHASE_EXITED, LA_REAP_STOPPED),
		[LE_LEAVE] = T(PHASE_LEFT, LA_UNWATCH),
	},
	[PHASE_EXITED] = {
		[LE_VERIFY_START] = T(PHASE_VERIFYING, LA_WATCH_VERIFY),
		[LE_VERIFIED] = T(PHASE_CLEANING, LA_CLEAN_START),
		[LE_INTERRUPTED] = T(PHASE_PENDING, LA_INTERRUPTED),
		[LE_END_DONE] = T(PHASE_DONE, LA_FINISH),
		[LE_END_FAILED] = T(PHASE_FAILED, LA_FINISH),
		[LE_END_KILLED] = T(PHASE_KILLED, LA_FINISH),
		[LE_END_SKIPPED] = T(PHASE_SKIPPED, LA_FINISH),
		[LE_END_REQUEUED] = T(PHASE_PENDING, LA_REQUEUE),
	},
	[PHASE_VERIFYING] = {
		[LE_STOP] = T(PHASE_VERIFY_STOPPING, LA_SIGNAL),
		[LE_EXIT] = T(PHASE_EXITED, LA_VERIFY_END),
		[LE_LEAVE] = T(PHASE_LEFT, LA_UNWATCH),
	},
	[PHASE_VERIFY_STOPPING] = {
		[LE_STOP] = T(PHASE_VERIFY_STOPPING, LA_ESCALATE),
		[LE_GRACE_OVER] = T(PHASE_VERIFY_STOPPING, LA_ESCALATE),
		[LE_EXIT] = T(PHASE_EXITED, LA_VERIFY_END_STOPPED),
		[LE_LEAVE] = T(PHASE_LEFT, LA_UNWATCH),
	},
	[PHASE_CLEANING] = {
		[LE_CLEANED] = T(PHASE_DONE, LA_FINISH),
	},
	[PHASE_FAILED] = {
		[LE_REQUEUE] = T(PHASE_PENDING, LA_NONE),
	},
	[PHASE_KILLED] = {
		[LE_REQUEUE] = T(PHASE_PENDING, LA_NONE),
	},
};

static const struct {
	const char *name;
	enum pair_state view;
	bool final, watched, busy;
} phase_rows[PHASE_N] = {
	[PHASE_PENDING] = { "pending", PAIR_PENDING, false, false, false },
	[PHASE_PENDING_SKIP] = { "pending_skip", PAIR_PENDING, false, false, false },
	[PHASE_GATE] = { "gate", PAIR_GATE, false, false, false },
	[PHASE_RUNNING] = { "running", PAIR_RUNNING, false, true, true },
	[PHASE_CAPTURING] = { "capturing", PAIR_RUNNING, false, true, true },
	[PHASE_STOPPING] = { "stopping", PAIR_STOPPING, false, true, true },
	[PHASE_EXITED] = { "exited", PAIR_RUNNING, false, false, false },
	[PHASE_VERIFYING] = { "verifying", PAIR_VERIFYING, false, true, true },
	[PHASE_VERIFY_STOPPING] = { "verify_stopping", PAIR_STOPPING, false, true, true },
	[PHASE_CLEANING] = { "cleaning", PAIR_VERIFYING, false, false, true },
	[PHASE_DONE] = { "done", PAIR_DONE, true, false, false },
	[PHASE_FAILED] = { "failed", PAIR_FAILED, true, false, false },
	[PHASE_KILLED] = { "killed", PAIR_KILLED, true, false, false },
	[PHASE_SKIPPED] = { "skipped", PAIR_SKIPPED, true, false, false },
	/* as it was when the operator left it */
	[PHASE_LEFT] = { "left", PAIR_RUNNING, false, false, false },
};

static const char *const event_names[LE_N] = {
	[LE_TURN] = "turn",
	[LE_SKIP] = "skip",
	[LE_ABANDON] = "abandon",
	[LE_GATE_CLOSED] = "gate_closed",
	[LE_GATE_TICK] = "gate_tick",
	[LE_GATE_OPEN] = "gate_open",
	[LE_STARTED] = "started",
	[LE_STOP] = "stop",
	[LE_GRACE_OVER] = "grace_over",
	[LE_DEADLOCK] = "deadlock",
	[LE_CAPTURE_DONE] = "capture_done",
	[LE_EXIT] = "exit",
	[LE_VERIFY_START] = "verify_start",
	[LE_VERIFIED] = "verified",
	[LE_CLEANED] = "cleaned",
	[LE_INTERRUPTED] = "interrupted",
	[LE_RESUME_EXITED] = "resume_exited",
	[LE_END_DONE] = "end_done",
	[LE_END_FAILED] = "end_failed",
	[LE_END_KILLED] = "end_killed",
	[LE_END_SKIPPED] = "end_skipped",
	[LE_REQUEUE] = "requeue",
	[LE_END_REQUEUED] = "end_requeued",
	[LE_LEAVE] = "leave",
};

struct lc_step lifecycle_step(enum pair_phase phase, enum lc_event event)
{
	if ((unsigned)phase >= PHASE_N || (unsigned)event >= LE_N)
		return (struct lc_step){ false, phase, LA_NONE };
	return table[phase][event];
}

const char *lifecycle_phase_name(enum pair_phase phase)
{
	return (unsigned)phase < PHASE_N ? phase_rows[phase].name : "?";
}

const char *lifecycle_event_name(enum lc_event event)
{
	return (unsigned)event < LE_N ? event_names[event] : "?";
}

enum pair_state lifecycle_view(enum pair_phase phase)
{
	return (unsigned)phase < PHASE_N ? phase_rows[phase].view : PAIR_PENDING;
}

bool lifecycle_final(enum pair_phase phase)
{
	return (unsigned)phase < PHASE_N && phase_rows[phase].final;
}

bool lifecycle_watched(enum pair_phase phase)
{
	return (unsigned)phase < PHASE_N && phase_rows[phase].watched;
}

bool lifecycle_busy(enum pair_phase phase)
{
	return (unsigned)phase < PHASE_N && phase_rows[phase].busy;
}
