#include "schedule.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "admit.h"

struct schedule_work {
	int *pending;  /* indexes of the pairs not started, file order */
	int *running;  /* indexes of the pairs running */
	double *end_s; /* per pair */
	uint64_t *predicted;
	struct admit_running *held;
	enum admit_verdict *verdicts;
};

static void schedule_work_free(struct schedule_work *w)
{
	free(w->pending);
	free(w->running);
	free(w->end_s);
	free(w->predicted);
	free(w->held);
	free(w->verdicts);
}

static int schedule_work_new(struct schedule_work *w, int n)
{
	size_t k = n > 0 ? (size_t)n : 1;

	*w = (struct schedule_work){
		.pending = calloc(k, sizeof(int)),
		.running = calloc(k, sizeof(int)),
		.end_s = calloc(k, sizeof(double)),
		.predicted = calloc(k, sizeof(uint64_t)),
		.held = calloc(k, sizeof(struct admit_running)),
		.verdicts = calloc(k, sizeof(enum admit_verdict)),
	};
	if (!w->pending || !w->running || !w->end_s || !w->predicted || !w->held || !w->verdicts) {
		schedule_work_free(w);
		return -ENOMEM;
	}
	return 0;
}

/* Starts what admission lets start at time now. */
static void schedule_admit(const struct schedule_pair *pairs, struct schedule_work *w,
                           const struct admit_config *cfg, int *n_pending, int *n_running,
                           double now, double *start_s)
{
	int kept = 0;

	for (int i = 0; i < *n_running; i++) {
		const struct schedule_pair *p = &pairs[w->running[i]];

		w->held[i] = (struct admit_running){ p->predicted_bytes, p->predicted_bytes };
	}
	for (int i = 0; i < *n_pending; i++)
		w->predicted[i] = pairs[w->pending[i]].predicted_bytes;
	admit_decide(cfg, w->held, *n_running, w->predicted, *n_pending, w->verdicts);
	for (int i = 0; i < *n_pending; i++) {
		int k = w->pending[i];

		if (w->verdicts[i] != ADMIT_START) {
			w->pending[kept++] = k;
			continue;
		}
		w->end_s[k] = now + pairs[k].duration_s;
		if (start_s != NULL)
			start_s[k] = now;
		w->running[(*n_running)++] = k;
	}
	*n_pending = kept;
}

int schedule_simulate(const struct schedule_pair *pairs, int n, int jobs, uint64_t budget_bytes,
                      double *start_s, struct schedule_result *out)
{
	struct schedule_work w;
	struct admit_config cfg = { .jobs = jobs, .budget_bytes = budget_bytes, .swap_ok = true };
	int n_pending = n, n_running = 0;
	double now = 0, area = 0;

	*out = (struct schedule_result){ 0 };
	if (schedule_work_new(&w, n) < 0)
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		w.pending[i] = i;
		out->serial_s += pairs[i].duration_s;
		if (pairs[i].duration_s > out->lower_bound_s)
			out->lower_bound_s = pairs[i].duration_s;
		area += (double)pairs[i].predicted_bytes * pairs[i].duration_s;
	}
	if (budget_bytes > 0 && area / (double)budget_bytes > out->lower_bound_s)
		out->lower_bound_s = area / (double)budget_bytes;
	while (n_pending > 0 || n_running > 0) {
		schedule_admit(pairs, &w, &cfg, &n_pending, &n_running, now, start_s);
		if (n_running > out->most_at_once)
			out->most_at_once = n_running;
		/* On to the next end; every pair ending then leaves. */
		double next = w.end_s[w.running[0]];
		int kept = 0;

		for (int i = 1; i < n_running; i++) {
			if (w.end_s[w.running[i]] < next)
				next = w.end_s[w.running[i]];
		}
		for (int i = 0; i < n_running; i++) {
			if (w.end_s[w.running[i]] > next)
				w.running[kept++] = w.running[i];
		}
		n_running = kept;
		now = next;
	}
	out->makespan_s = now;
	schedule_work_free(&w);
	return 0;
}
