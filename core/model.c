/* The names of the view model's enums. */
#include "model.h"

static const char *const pair_state_names[PAIR_N_STATES] = {
	[PAIR_PENDING] = "pending",   [PAIR_GATE] = "gate",           [PAIR_RUNNING] = "running",
	[PAIR_STOPPING] = "stopping", [PAIR_VERIFYING] = "verifying", [PAIR_DONE] = "done",
	[PAIR_FAILED] = "failed",     [PAIR_KILLED] = "killed",       [PAIR_SKIPPED] = "skipped",
};

const char *pair_state_name(enum pair_state s)
{
	return (unsigned)s < PAIR_N_STATES ? pair_state_names[s] : "?";
}
