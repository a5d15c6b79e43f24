/* Several pairs at once (jobs above 1, or auto): each turn (every base tick
 * and whenever a pair ends) the pairs whose turn has not come yet get it
 * (resumed, skipped or adopted ones settle; the others wait here), then
 * containment — the youngest stopped when the pairs would pass the budget,
 * every running pair's kernel cap moved to its share — then admission
 * starts what fits — but not while a pair stopped for the budget left
 * behind one that outgrew its prediction and no pair has ended since
 * (run->admission_held). Both decisions are core/admit's; this file
 * gathers their inputs and posts the lifecycle events (run_pair.c acts on
 * them).
 * Everything else about a pair (watching, rules, verify, cleanup) is the
 * lifecycle's, as with one pair at a time. */
#include "run_internal.h"

#include <stdlib.h>

#include "../core/admit.h"
#include "planning.h"

/* A pair that holds a slot: its tree runs (or stops), or its verify does. */
static bool run_jobs_holds_slot(const struct pair_rt *p)
{
	return lifecycle_busy(p->phase);
}

/* A pair admission may start: settled, waiting for room or the gate. */
static bool run_jobs_waiting(const struct pair_rt *p)
{
	return p->settled && (p->phase == PHASE_PENDING || p->phase == PHASE_GATE);
}

static uint64_t run_jobs_budget(const struct run *run)
{
	return planning_budget_bytes(run->plan, run->sys.mem_total_bytes);
}

static int run_jobs_by_age(const void *a, const void *b)
{
	const struct pair_rt *p = *(struct pair_rt *const *)a, *q = *(struct pair_rt *const *)b;

	return (p->start_seq > q->start_seq) - (p->start_seq < q->start_seq);
}

/* Stops the youngest when the pairs would pass the budget, and moves each
 * pair's kernel cap to what it counts for plus its share of the room. */
static void run_jobs_contain(struct run *run)
{
	struct pair_rt **live = calloc((size_t)run->n_pairs, sizeof(*live));
	struct contain_pair *in = calloc((size_t)run->n_pairs, sizeof(*in));
	struct contain_verdict *out = calloc((size_t)run->n_pairs, sizeof(*out));
	uint64_t budget = run_jobs_budget(run);
	int n = 0;
	char err[512];

	if (live == NULL || in == NULL || out == NULL)
		goto done;
	for (int i = 0; i < run->n_pairs; i++) {
		enum pair_phase ph = run->pairs[i].phase;

		if (lifecycle_watched(ph))
			live[n++] = &run->pairs[i];
	}
	qsort(live, (size_t)n, sizeof(*live), run_jobs_by_age);
	for (int i = 0; i < n; i++) {
		in[i] = (struct contain_pair){
			.predicted_bytes = live[i]->admit_bytes,
			.held_bytes = live[i]->rss_bytes,
			.memory_max_bytes = live[i]->memory_max_bytes,
			.stopping = live[i]->phase == PHASE_STOPPING ||
			            live[i]->phase == PHASE_VERIFY_STOPPING,
			/* a verify is never requeued: the command's work stands */
			.verifying = live[i]->phase == PHASE_VERIFYING,
		};
	}
	contain_decide(budget, budget / RUN_JOBS_MARGIN_SHARE, in, n, out);
	for (int i = 0; i < n; i++) {
		struct pair_rt *p = live[i];

		if (out[i].stop) {
			run_pair_stop_for_budget(p);
			continue;
		}
		if (in[i].stopping || in[i].verifying ||
		    (p->cg == NULL && p->adopted_cgroup[0] == '\0'))
			continue;
		int rc = p->cg != NULL
		                 ? cgroup_set_memory_max(p->cg, out[i].cap_bytes, err, sizeof(err))
		         : out[i].cap_bytes == p->cap_bytes
		                 ? 0
		                 : cgroup_set_memory_max_at(p->adopted_cgroup, out[i].cap_bytes,
		                                            err, sizeof(err));

		if (rc < 0) {
			/* The kernel keeps the old cap (it cannot reclaim below
			 * what the pair holds): the watchdog still stops the
			 * youngest in time. */
			if (!run->cap_error_reported)
				run_note(run, "pair %s: %s", p->name, err);
			run->cap_error_reported = true;
			continue;
		}
		bool was_capped = p->budget_capped;

		p->budget_capped = out[i].capped_by_budget;
		p->cap_bytes = out[i].cap_bytes;
		/* the state says so while it holds (run_safe_record) */
		if (p->budget_capped != was_capped && p->phase == PHASE_RUNNING)
			run_safe_record(run, p, STATE_STARTED, REASON_NONE);
	}
done:
	free(live);
	free(in);
	free(out);
}

/* The pair's figure for admission: its prediction (the whole budget when
 * there is none), or what a requeued attempt showed it needs while no
 * ratio seen covers what that attempt reached.
 * A pair whose inputs are missing waits while an earlier pair may still
 * make them, and fails as it would alone once none can. */
static bool run_jobs_figure(struct run *run, struct pair_rt *p, bool earlier_open, uint64_t *out)
{
	struct prediction pred;

	planning_predict(run->plan, run->state, p->index, run->sys.mem_total_bytes,
	                 run->sys.mem_available_bytes, &pred);
	if (p->spec->n_inputs > 0 && !pred.inputs_known) {
		if (!earlier_open && !lifecycle_watched(p->phase))
			run_pair_admit(run, p); /* fails it: inputs_missing */
		return false;
	}
	*out = planning_admit_bytes(&pred, run_jobs_budget(run));
	/* After a stop for the budget: the figure its stop left it with
	 * (run_pair_requeue), until a ratio seen since covers what it
	 * reached — then its prediction at that ratio, as for any pair. */
	if (*out < p->requeue_reached_bytes && p->requeue_peak_bytes > *out)
		*out = p->requeue_peak_bytes;
	p->mp->predicted_peak_bytes = *out;
	return true;
}

/* Each pair's turn, once: resumed, skipped and adopted pairs settle
 * before any pair starts; the rest wait for admission. */
static void run_jobs_settle(struct run *run)
{
	for (int i = 0; i < run->n_pairs; i++) {
		struct pair_rt *p = &run->pairs[i];
		uint64_t figure;

		if (p->phase == PHASE_PENDING_SKIP || (p->phase == PHASE_PENDING && !p->settled))
			run_pair_post(p, LE_TURN);
		/* adopted: it counts for its prediction too */
		if (lifecycle_watched(p->phase) && p->admit_bytes == 0 &&
		    run_jobs_figure(run, p, true, &figure))
			p->admit_bytes = figure;
	}
}

static void run_jobs_gate_wait(struct run *run, struct pair_rt *p, uint64_t need, bool any_running)
{
	uint64_t now = loop_now_ms(run->loop);

	if (p->phase != PHASE_GATE)
		run_pair_gate_wait(run, p, need);
	/* gate_timeout counts only while none of ours runs: a pair that
	 * waits for the others to end is not stuck. */
	if (any_running)
		p->gate_since_ms = now;
	else if (now - p->gate_since_ms >= run->plan->gate_timeout_ms)
		run_pair_end(p, LE_END_FAILED, REASON_GATE);
}

/* A pair whose command runs past its prediction: it may still be growing. */
static bool run_jobs_any_outgrown(const struct run *run, uint64_t margin)
{
	for (int i = 0; i < run->n_pairs; i++) {
		const struct pair_rt *p = &run->pairs[i];

		if (lifecycle_watched(p->phase) && p->phase != PHASE_STOPPING &&
		    p->phase != PHASE_VERIFYING && p->phase != PHASE_VERIFY_STOPPING &&
		    admit_outgrown(p->rss_bytes, p->admit_bytes, margin))
			return true;
	}
	return false;
}

/* What the dashboard says a pair waits for. */
static enum model_wait run_jobs_wait(enum admit_verdict v)
{
	switch (v) {
	case ADMIT_WAIT_SLOT:
		return MODEL_WAIT_SLOT;
	case ADMIT_WAIT_BUDGET:
		return MODEL_WAIT_BUDGET;
	case ADMIT_WAIT_ORDER:
		return MODEL_WAIT_ORDER;
	case ADMIT_START:
	case ADMIT_WAIT_GATE: /* the gate has its own state and line */
		break;
	}
	return MODEL_WAIT_NONE;
}

/* Starts what admission lets start. */
static void run_jobs_admit(struct run *run)
{
	struct admit_running *running = calloc((size_t)run->n_pairs, sizeof(*running));
	uint64_t *figures = calloc((size_t)run->n_pairs, sizeof(*figures));
	struct pair_rt **queue = calloc((size_t)run->n_pairs, sizeof(*queue));
	enum admit_verdict *verdicts = calloc((size_t)run->n_pairs, sizeof(*verdicts));
	const struct sys_sample *s = &run->sys;
	uint64_t budget = run_jobs_budget(run);
	int n_running = 0, n_queue = 0;
	bool earlier_open = false;

	if (running == NULL || figures == NULL || queue == NULL || verdicts == NULL)
		goto done;
	for (int i = 0; i < run->n_pairs; i++) {
		struct pair_rt *p = &run->pairs[i];

		if (run_jobs_holds_slot(p))
			running[n_running++] =
				(struct admit_running){ p->admit_bytes, p->rss_bytes };
		else if (run_jobs_waiting(p) &&
		         run_jobs_figure(run, p, earlier_open, &figures[n_queue]))
			queue[n_queue++] = p;
		earlier_open = earlier_open || !lifecycle_final(p->phase);
	}
	struct admit_config cfg = {
		.jobs = run->plan->jobs,
		.budget_bytes = budget,
		.margin_bytes = budget / RUN_JOBS_MARGIN_SHARE,
		.swap_ok =
			units_size_resolve(&run->plan->start_max_swap_used, s->swap_total_bytes) >=
			s->swap_total_bytes - s->swap_free_bytes,
		.mem_available_bytes = s->mem_available_bytes,
		.min_available_bytes = run->plan->start_min_available.kind == SIZE_AUTO
		                               ? 0
		                               : units_size_resolve(&run->plan->start_min_available,
		                                                    s->mem_total_bytes),
		.gate_auto = run->plan->start_min_available.kind == SIZE_AUTO,
	};

	if (run->admission_held && !run_jobs_any_outgrown(run, cfg.margin_bytes))
		run->admission_held = false; /* the one that outgrew was the one stopped */
	if (run->admission_held) {
		for (int i = 0; i < n_queue; i++)
			queue[i]->mp->wait = MODEL_WAIT_HELD;
		goto done;
	}
	admit_decide(&cfg, running, n_running, figures, n_queue, verdicts);
	/* the room the waiting pairs see: beside the running ones and those
	 * starting now */
	int n_after = n_running;

	for (int i = 0; i < n_queue; i++)
		if (verdicts[i] == ADMIT_START)
			running[n_after++] = (struct admit_running){ figures[i], 0 };
	uint64_t room = admit_room(&cfg, running, n_after);

	for (int i = 0; i < n_queue; i++) {
		struct pair_rt *p = queue[i];

		p->mp->wait = run_jobs_wait(verdicts[i]);
		p->mp->wait_free_bytes = room;
		if (verdicts[i] == ADMIT_START) {
			p->admit_bytes = figures[i];
			run_pair_admit(run, p);
		} else if (verdicts[i] == ADMIT_WAIT_GATE) {
			run_jobs_gate_wait(run, p,
			                   cfg.gate_auto ? figures[i] : cfg.min_available_bytes,
			                   n_running > 0);
		}
	}
done:
	free(running);
	free(figures);
	free(queue);
	free(verdicts);
}

/* The dashboard: the budget, what the running pairs count for, and a
 * running pair to follow when the one followed has ended. */
static void run_jobs_publish(struct run *run)
{
	struct model *m = &run->model;
	int follow = -1;

	m->budget_bytes = run_jobs_budget(run);
	m->reserved_bytes = 0;
	m->n_running = 0;
	for (int i = 0; i < run->n_pairs; i++) {
		const struct pair_rt *p = &run->pairs[i];

		if (!run_jobs_holds_slot(p))
			continue;
		m->reserved_bytes += p->admit_bytes > p->rss_bytes ? p->admit_bytes : p->rss_bytes;
		m->n_running++;
		if (lifecycle_watched(p->phase) && follow < 0)
			follow = i;
	}
	if (m->running < 0 || !lifecycle_watched(run->pairs[m->running].phase))
		m->running = follow;
}

void run_jobs_turn(struct run *run)
{
	run_jobs_settle(run);
	run_jobs_contain(run);
	run_jobs_admit(run);
	/* the pairs just started get their caps at once */
	run_jobs_contain(run);
	run_jobs_publish(run);
}
