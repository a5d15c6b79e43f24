#include "planning.h"

#include <stdlib.h>

#include <jansson.h>
#include <string.h>

#include "../core/event.h"
#include "../core/schedule.h"
#include "../lib/fsutil.h"
#include "../logdir/eventjson.h"

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

uint64_t planning_admit_bytes(const struct prediction *pred, uint64_t budget_bytes)
{
	return pred->inputs_known ? pred->peak_bytes : budget_bytes;
}

uint64_t planning_budget_bytes(const struct plan *plan, uint64_t mem_total)
{
	return units_size_resolve(&plan->memory_budget, mem_total);
}

/* Seconds per input byte of the pairs an earlier run finished: the
 * elapsed_s of each done pair_end in log_dir/events.jsonl over that pair's
 * input size in the state. 0 when none is known (no log, no state, no
 * pair done with inputs). Read only. */
static double planning_seconds_per_byte(const struct plan *plan, const struct state *st)
{
	char path[4096];
	double seconds = 0, bytes = 0;
	char *line = NULL;
	size_t cap = 0;
	FILE *f;

	if (st == NULL)
		return 0;
	snprintf(path, sizeof(path), "%s/events.jsonl", plan->log_dir);
	if ((f = fopen(path, "re")) == NULL)
		return 0;
	while (getline(&line, &cap, f) > 0) {
		struct event ev;
		json_t *obj = strstr(line, "\"pair_end\"") ? json_loads(line, 0, NULL) : NULL;
		const struct state_pair *sp;

		if (obj != NULL && eventjson_decode(obj, &ev) == 0 && ev.kind == EVENT_PAIR_END &&
		    event_has(&ev, EF_PAIR) && ev.status == STATUS_DONE && !ev.resumed &&
		    ev.elapsed_s > 0 && (sp = state_find(st, ev.pair)) != NULL &&
		    sp->input_bytes > 0) {
			seconds += ev.elapsed_s;
			bytes += (double)sp->input_bytes;
		}
		json_decref(obj);
	}
	free(line);
	fclose(f);
	return bytes > 0 ? seconds / bytes : 0;
}

/* The pending pairs' schedule under jobs and under one at a time. A pair's
 * duration is taken as proportional to its input size (merges read their
 * inputs through), at the pace the pairs done in an earlier run showed
 * when the log directory has them; else only the ratio of the makespans
 * means something. */
static void planning_print_schedule(const struct plan *plan, const struct state *st, FILE *out,
                                    uint64_t mem_total, uint64_t mem_available)
{
	struct schedule_pair *pairs = calloc((size_t)plan->n_pairs + 1, sizeof(*pairs));
	uint64_t budget = planning_budget_bytes(plan, mem_total), known = 0;
	int n = 0, n_known = 0, jobs = plan->jobs == 1 ? PLAN_JOBS_AUTO : plan->jobs;
	double pace = planning_seconds_per_byte(plan, st);
	struct schedule_result r;
	char b[32], t1[32], t2[32];

	if (pairs == NULL)
		return;
	for (int i = 0; i < plan->n_pairs; i++) {
		struct prediction p;

		planning_predict(plan, st, i, mem_total, mem_available, &p);
		if (p.done)
			continue;
		pairs[n].predicted_bytes = planning_admit_bytes(&p, budget);
		pairs[n].duration_s =
			p.inputs_known ? (double)p.input_bytes * (pace > 0 ? pace : 1) : -1;
		if (p.inputs_known) {
			known += p.input_bytes;
			n_known++;
		}
		n++;
	}
	/* A pair without inputs takes as long as the average one. */
	for (int i = 0; i < n; i++) {
		if (pairs[i].duration_s < 0)
			pairs[i].duration_s =
				n_known > 0 ? (double)known / n_known * (pace > 0 ? pace : 1) : 1;
	}
	if (n > 1 && schedule_simulate(pairs, n, jobs, budget, NULL, &r) == 0 && r.serial_s > 0) {
		char jobs_text[16] = "auto";

		if (jobs != PLAN_JOBS_AUTO)
			snprintf(jobs_text, sizeof(jobs_text), "%d", jobs);
		fprintf(out,
		        "; schedule: jobs = %s, memory_budget = %s: makespan %.2f x one at a "
		        "time (lower bound %.2f), at most %d pairs at once\n",
		        jobs_text, units_format_size(budget, b, sizeof(b)),
		        r.makespan_s / r.serial_s, r.lower_bound_s / r.serial_s, r.most_at_once);
		if (mem_total > 0 && budget > mem_total)
			fprintf(out,
			        ";   ! memory_budget is above MemTotal (%s): pairs admitted "
			        "together may not fit\n",
			        units_format_size(mem_total, t1, sizeof(t1)));
		if (plan->jobs == 1)
			fprintf(out, ";   (this plan has jobs = 1, one pair at a time: set jobs = "
			             "auto, or run with --jobs auto, to take this)\n");
		if (pace > 0)
			fprintf(out,
			        ";   about %s against %s one at a time, at the pace of the pairs "
			        "done so far\n",
			        units_format_elapsed((uint64_t)(r.makespan_s * 1000), t1,
			                             sizeof(t1)),
			        units_format_elapsed((uint64_t)(r.serial_s * 1000), t2,
			                             sizeof(t2)));
		else
			fprintf(out, ";   durations taken as proportional to input size\n");
	}
	free(pairs);
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
	planning_print_schedule(plan, st, out, mem_total, mem_available);
}
