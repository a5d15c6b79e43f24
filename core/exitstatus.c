/* From the runner's kill reasons to the status a script sees. */
#include "event.h"
#include "exitstatus.h"

int exit_status_of_command(const struct model_pair *p)
{
	if (p->state == PAIR_KILLED || p->state == PAIR_SKIPPED) {
		switch (event_reason_parse(p->reason)) {
		case REASON_TIMEOUT:
			return EXIT_STATUS_TIMEOUT;
		case REASON_RSS:
		case REASON_DEADLOCK:
		case REASON_MEMORY_MAX:
		case REASON_OPERATOR:
		case REASON_BUDGET:
		case REASON_SHUTDOWN:
			return EXIT_STATUS_KILLED;
		default:
			break;
		}
	}
	if (p->signal > 0 && p->signal < 128)
		return 128 + p->signal;
	if (p->exit_code > 0 && p->exit_code < 256)
		return p->exit_code;
	if (p->state == PAIR_DONE)
		return 0;
	if (p->exit_code == 0)
		return 1; /* exited 0 but failed its checks (output, verify) */
	return EXIT_STATUS_NOT_RUN;
}
