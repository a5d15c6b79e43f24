/* The exit status of `run -- COMMAND`, as timeout(1) has taught scripts to
 * read it: the command's own status when it exited, 124 when it was stopped
 * for its timeout, 128+N when it died of signal N, 137 (128+SIGKILL) when
 * mergewatch or the kernel killed it for memory, a deadlock or the
 * operator, and 125 when it never ran. Pure. */
#ifndef MW_EXITSTATUS_H
#define MW_EXITSTATUS_H

#include "model.h"

enum {
	EXIT_STATUS_TIMEOUT = 124,
	EXIT_STATUS_NOT_RUN = 125,
	EXIT_STATUS_KILLED = 128 + 9,
};

/* The status for a pair that ended as p says (state, reason, exit_code,
 * signal). */
int exit_status_of_command(const struct model_pair *p);

#endif
