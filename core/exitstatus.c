/* One table from the runner's kill reasons to the status a script sees. */
#include <string.h>

#include "exitstatus.h"

static const struct {
	const char *reason;
	int status;
} exit_status_reasons[] = {
	{ "timeout", EXIT_STATUS_TIMEOUT },   { "rss", EXIT_STATUS_KILLED },
	{ "deadlock", EXIT_STATUS_KILLED },   { "memory_max", EXIT_STATUS_KILLED },
	{ "operator", EXIT_STATUS_KILLED },   { "budget", EXIT_STATUS_KILLED },
	{ "shutdown", EXIT_STATUS_KILLED },
};

int exit_status_of_command(const struct model_pair *p)
{
	if (p->state == PAIR_KILLED || p->state == PAIR_SKIPPED) {
		for (size_t i = 0; i < sizeof exit_status_reasons / sizeof exit_status_reasons[0];
		     i++)
			if (strcmp(p->reason, exit_status_reasons[i].reason) == 0)
				return exit_status_reasons[i].status;
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
