#include "planning.h"

#include <stdlib.h>

#include "../lib/fsutil.h"

char *planning_pair_dir(const struct plan *plan, const struct pair_spec *pair)
{
	return fsutil_resolve(plan->dir, pair->cwd != NULL ? pair->cwd : plan->dir);
}

void planning_predict(const struct plan *plan, const struct state *st, int index,
                      uint64_t mem_total, uint64_t mem_available, struct prediction *out)
{
	const struct pair_spec *pair = &plan->pairs[index];
	const struct state_pair *sp = st ? state_find(st, pair->name) : NULL;
	double seen = st ? state_max_ratio(st) : 0;
	char err[256];

	*out = (struct prediction){ 0 };
	if (sp != NULL && sp->status == STATE_DONE) {
		out->done = true;
		return;
	}
	out->ratio_seen = seen > 0;
	out->ratio = seen > 0 ? seen : pair->limits.expected_ratio;
	if (pair->n_inputs == 0)
		return;
	char *dir = planning_pair_dir(plan, pair);

	out->inputs_known =
		dir != NULL && fsutil_inputs_bytes(pair->inputs, pair->n_inputs, dir,
	                                           &out->input_bytes, err, sizeof(err)) == 0;
	free(dir);
	if (!out->inputs_known)
		return;
	out->peak_bytes = (uint64_t)((double)out->input_bytes * out->ratio);
	out->over_kill_rss =
		out->peak_bytes > units_size_resolve(&pair->limits.kill_rss, mem_total);
	out->over_memory = out->peak_bytes > mem_available;
}

void planning_print(const struct plan *plan, const struct state *st, FILE *out, uint64_t mem_total,
                    uint64_t mem_available)
{
	char in[32], peak[32], avail[32];

	fprintf(out, "\n; planning: predicted peak = input x %s; MemAvailable now %s\n",
	        st && state_max_ratio(st) > 0 ? "the highest peak/input ratio seen"
	                                      : "expected_ratio",
	        units_format_size(mem_available, avail, sizeof(avail)));
	for (int i = 0; i < plan->n_pairs; i++) {
		struct prediction p;

		planning_predict(plan, st, i, mem_total, mem_available, &p);
		fprintf(out, ";   %-16s ", plan->pairs[i].name);
		if (p.done) {
			fprintf(out, "done\n");
		} else if (plan->pairs[i].n_inputs == 0) {
			fprintf(out, "no inputs: nothing to predict\n");
		} else if (!p.inputs_known) {
			fprintf(out, "inputs match nothing yet\n");
		} else {
			fprintf(out, "input %s x %.1f = peak %s%s%s\n",
			        units_format_size(p.input_bytes, in, sizeof(in)), p.ratio,
			        units_format_size(p.peak_bytes, peak, sizeof(peak)),
			        p.over_kill_rss ? "  ! crosses kill_rss" : "",
			        p.over_memory ? "  ! does not fit in memory" : "");
		}
	}
}
