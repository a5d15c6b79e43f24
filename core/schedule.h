/* The schedule a plan's predictions give: admission (core/admit) played
 * forward in time with each pair holding its predicted peak for its
 * expected duration. `check` prints it against one pair at a time. */
#ifndef MW_SCHEDULE_H
#define MW_SCHEDULE_H

#include <stdint.h>

struct schedule_pair {
	uint64_t predicted_bytes;
	double duration_s; /* expected; >= 0 */
};

struct schedule_result {
	double makespan_s;    /* the last pair's end */
	double serial_s;      /* one at a time: the sum of the durations */
	double lower_bound_s; /* no schedule ends sooner: max(longest, sum of peak x duration /
	                         budget) */
	int most_at_once;     /* pairs running together at the busiest moment */
};

/* Plays pairs (file order) under jobs (0: auto) and budget_bytes, with no
 * health gate. start_s, when not NULL, gets each pair's start (n entries).
 * Returns 0, or -ENOMEM. */
int schedule_simulate(const struct schedule_pair *pairs, int n, int jobs, uint64_t budget_bytes,
                      double *start_s, struct schedule_result *out);

#endif
