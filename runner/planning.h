/* Predicted peaks: what earlier pairs showed, applied to the pairs to come.
 * The team estimated by hand whether the next merge would fit; the state
 * file knows each finished pair's peak RSS / input bytes. */
#ifndef MW_PLANNING_H
#define MW_PLANNING_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../plan/plan.h"
#include "../logdir/state.h"

struct prediction {
	bool done;         /* recorded done: nothing to predict */
	bool inputs_known; /* false: no inputs key, or they match nothing */
	uint64_t input_bytes;
	double ratio;        /* the ratio used: highest seen, else expected_ratio */
	uint64_t peak_bytes; /* input x ratio */
	bool over_kill_rss;
	bool over_memory; /* more than MemAvailable now */
};

/* Predicts pair index of plan. st may be NULL (no history). mem_total and
 * mem_available resolve kill_rss and judge the fit. */
void planning_predict(const struct plan *plan, const struct state *st, int index,
                      uint64_t mem_total, uint64_t mem_available, struct prediction *out);

/* The pair's working directory: its cwd key, taken from the plan's
 * directory, or the plan's directory. Caller frees; NULL on ENOMEM. */
char *planning_pair_dir(const struct plan *plan, const struct pair_spec *pair);

/* What pair index counts for when deciding whether it fits beside others
 * (core/admit): its predicted peak, or the whole budget when there is no
 * prediction (no inputs, or they match nothing yet), so such a pair runs
 * alone. */
uint64_t planning_admit_bytes(const struct prediction *pred, uint64_t budget_bytes);

/* memory_budget in bytes on a machine of mem_total. */
uint64_t planning_budget_bytes(const struct plan *plan, uint64_t mem_total);

/* `check`'s planning section: one comment line per pair, then the schedule
 * the predictions give under jobs and memory_budget against one pair at a
 * time. */
void planning_print(const struct plan *plan, const struct state *st, FILE *out, uint64_t mem_total,
                    uint64_t mem_available);

#endif
