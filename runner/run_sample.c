/* Sampling: system memory and pressure, a pair's tree (in full, or just its
 * RSS for the fast checks near the kill line), the rules on what was read,
 * and a deadlock's evidence. Verdicts that concern a pair's lifecycle (a
 * kill, a deadlock) are returned to the caller, which posts them; this
 * file calls nothing in run_pair.c or run.c. Evidence: run_evidence.c. */
#include "run_internal.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../collectors/orphans.h"
#include "../lib/clock.h"

/* A worst-case fill rate assumed before any growth is seen: a little above
 * what one core can fault in (about 2.6 GB/s measured here), per core.
 * earlyoom reasons the same way about its sleep time. Read once at the
 * start: it is used at every fast check. */
double run_sample_assumed_rate(void)
{
	static const double per_core = 4.0 * 1024 * 1024 * 1024 / 1000.0;
	long cores = sysconf(_SC_NPROCESSORS_ONLN);

	return per_core * (double)(cores > 0 ? cores : 1);
}

static struct event run_pair_event(const struct pair_rt *p, enum event_kind kind)
{
	struct event ev = event_init(kind);

	ev.pair = p->name;
	ev.pid = p->job.pid;
	return ev;
}

bool run_sample_deadlock(struct run *run, struct pair_rt *p, const struct rule_event *e,
                         void (*done)(struct pair_rt *p))
{
	return run_evidence_begin(run, p, e, done);
}

bool run_sample_verdict(struct run *run, struct pair_rt *p, const struct rule_event *e,
                        struct lc_input *in)
{
	struct event ev;

	memset(in, 0, sizeof(*in));
	switch (e->kind) {
	case RULE_KILL_RSS:
		/* at every evaluation over the line: one kill is enough */
		if ((p->phase == PHASE_STOPPING || p->phase == PHASE_VERIFY_STOPPING) &&
		    p->stop.reason == REASON_RSS)
			return false;
		*in = (struct lc_input){ .event = LE_STOP,
			                 .reason = REASON_RSS,
			                 .sig = SIGKILL,
			                 .stop_as = PHASE_KILLED };
		return true;
	case RULE_DEADLOCK:
		*in = (struct lc_input){ .event = LE_DEADLOCK, .rule = e };
		return true;
	case RULE_APPROACH:
		ev = run_pair_event(p, EVENT_APPROACH);
		ev.rss = e->rss_bytes;
		ev.kill_rss = p->lim.kill_rss_bytes;
		ev.eta_s = e->eta_s;
		if (e->eta_s < 0)
			event_clear(&ev, EF_ETA_S);
		p->mp->approaching = true;
		run_emit(run, &ev);
		return false;
	case RULE_BLOAT:
		ev = run_pair_event(p, EVENT_BLOAT);
		ev.rss = e->rss_bytes;
		ev.input_bytes = p->lim.input_bytes;
		ev.ratio = e->ratio;
		p->mp->bloated = true;
		run_emit(run, &ev);
		return false;
	case RULE_STALL:
		/* reported with its evidence, never acted on */
		run_evidence_begin(run, p, e, NULL);
		return false;
	case RULE_BLOAT_RESOLVED:
	case RULE_DEADLOCK_RESOLVED:
	case RULE_STALL_RESOLVED:
		ev = event_init(EVENT_RESOLVED);
		ev.condition = e->kind == RULE_BLOAT_RESOLVED      ? CONDITION_BLOAT
		               : e->kind == RULE_DEADLOCK_RESOLVED ? CONDITION_DEADLOCK
		                                                   : CONDITION_STALL;
		ev.pair = p->name;
		event_set(&ev, EF_PAIR);
		if (e->kind == RULE_BLOAT_RESOLVED)
			p->mp->bloated = false;
		else if (e->kind == RULE_DEADLOCK_RESOLVED)
			p->mp->deadlocked = false;
		run_emit(run, &ev);
		return false;
	case RULE_PRESSURE:
	case RULE_PRESSURE_RESOLVED:
		break;
	}
	return false;
}

/* The figures of a new sample, kept and published. */
static size_t run_eval_pair(struct pair_rt *p, const struct tree_sample *s, struct rule_event *out)
{
	p->rss_bytes = s->rss_bytes;
	if (s->rss_bytes > p->peak_rss_bytes)
		p->peak_rss_bytes = s->rss_bytes;
	p->mp->rss_bytes = p->rss_bytes;
	p->mp->peak_rss_bytes = p->peak_rss_bytes;
	if (p->lim.input_bytes > 0)
		p->mp->ratio = (double)s->rss_bytes / (double)p->lim.input_bytes;
	/* While evidence is taken its ptrace wakes the threads: not the job. */
	if (p->evidence_running && s->full)
		p->rules.rebase = true;
	return rules_pair_eval(&p->rules, &p->lim, s, out);
}

uint64_t run_sample_next_check_ms(struct run *run, struct pair_rt *p)
{
	if (p->lim.kill_rss_bytes == UINT64_MAX || p->paused)
		return 0;
	uint64_t wait = rules_next_check_ms(&p->rules, &p->lim, run->cfg.interval_ms,
	                                    RUN_MIN_CHECK_MS, run->assumed_rate_bytes_per_ms);

	/* The base tick samples everything anyway: no extra timer far from
	 * the line, so watching a calm tree costs nothing more. */
	return wait < run->cfg.interval_ms ? wait : 0;
}

/* Thread states and waits only matter for a verdict, and a tree can only
 * be judged once it has stood still for deadlock_window: the rules read
 * them every tick around that moment, then back off (every 2, 4, 8 ticks)
 * while the same stall goes on. A deadlock forms with a burst of lock
 * traffic, which restarts the stall and the back-off, so detection stays
 * within the window plus a tick. */
static enum proctree_threads run_threads_for_rules(struct run *run, struct pair_rt *p,
                                                   uint64_t now_ms)
{
	const struct rules_pair_state *r = &p->rules;
	uint64_t lead = 2 * run->cfg.interval_ms;
	uint64_t window = p->lim.deadlock_window_ms;

	if (!r->have_baseline || window == 0)
		return PROCTREE_THREADS_WHEN_STILL;
	uint64_t still_ms = now_ms > r->still_since_ms ? now_ms - r->still_since_ms : 0;

	if (still_ms + lead < window)
		return PROCTREE_THREADS_NEVER;
	if (p->scan_still_since != r->still_since_ms) {
		p->scan_still_since = r->still_since_ms;
		p->scan_gap = 1;
		p->scan_skip = 0;
	}
	if (still_ms <= window + lead)
		return PROCTREE_THREADS_WHEN_STILL;
	if (p->scan_skip > 0) {
		p->scan_skip--;
		return PROCTREE_THREADS_NEVER;
	}
	p->scan_gap = p->scan_gap >= 8 ? 8 : p->scan_gap * 2;
	p->scan_skip = p->scan_gap - 1;
	return PROCTREE_THREADS_WHEN_STILL;
}

/* Pair p's orphans that mergewatch adopted as their subreaper: children
 * naming the pair that are none of its own jobs. How many, into out. */
int run_sample_orphans(struct run *run, const struct pair_rt *p, pid_t *out, int max)
{
	int n = run->cfg.watch
	                ? 0
	                : orphans_list(run->cfg.proc_root, getpid(), p->name, out, (size_t)max);
	int kept = 0;

	for (int i = 0; i < n; i++)
		if (out[i] != p->job.pid && out[i] != p->cleanup.pid && out[i] != p->capture.pid)
			out[kept++] = out[i];
	return kept;
}

/* The orphans join the tree a full sample reads. */
static void run_sample_note_orphans(struct run *run, struct pair_rt *p)
{
	pid_t pids[RUN_MAX_CGROUP_PIDS];
	int n = p->tree != NULL ? run_sample_orphans(run, p, pids, RUN_MAX_CGROUP_PIDS) : 0;

	if (p->tree != NULL)
		(void)proctree_set_extra(p->tree, pids, (size_t)n);
}

/* What each blocked thread waits for is judged only when the rules would
 * scan (near a verdict, with the same back-off); the dashboard shows every
 * thread's state at every tick, without that cost. */
static enum proctree_threads run_threads_wanted(struct run *run, struct pair_rt *p, uint64_t now_ms)
{
	enum proctree_threads rules = run_threads_for_rules(run, p, now_ms);
	const struct rules_pair_state *r = &p->rules;
	uint64_t window = p->lim.deadlock_window_ms;
	uint64_t still_ms =
		r->have_baseline && now_ms > r->still_since_ms ? now_ms - r->still_since_ms : 0;

	proctree_set_judge(p->tree, rules != PROCTREE_THREADS_NEVER && window > 0 &&
	                                    still_ms + 2 * run->cfg.interval_ms >= window);
	return run->tui != NULL ? PROCTREE_THREADS_ALWAYS : rules;
}

size_t run_sample_pair(struct run *run, struct pair_rt *p, uint64_t now_ms, bool full,
                       struct rule_event *out)
{
	/* The fast read sees only the processes the last full sample found.
	 * A child forked since (the job under a shell that does not exec)
	 * could fill memory unseen until the next tick: near the line, look
	 * for new processes ten times a second. */
	if (!full && (p->last_full == NULL || now_ms - p->last_full->t_ms >= RUN_DISCOVER_MS))
		full = true;
	if (!full)
		return run_eval_pair(p, proctree_sample_rss(p->tree, now_ms), out);

	run_sample_note_orphans(run, p);
	const struct tree_sample *s =
		proctree_sample(p->tree, now_ms, run_threads_wanted(run, p, now_ms));

	p->last_full = s;
	run->model.trees[p->index] = s;
	p->mp->stalled_ms = p->rules.have_baseline && now_ms > p->rules.still_since_ms
	                            ? now_ms - p->rules.still_since_ms
	                            : 0;

	size_t n = run_eval_pair(p, s, out);

	run_sample_progress(run, p, now_ms, false);
	return n;
}

void run_sample_progress(struct run *run, struct pair_rt *p, uint64_t now_ms, bool final)
{
	if (p->progress != NULL &&
	    progress_poll(p->progress, &p->progress_done, &p->progress_total)) {
		p->mp->progress_done = p->progress_done;
		p->mp->progress_total = p->progress_total;
		p->progress_unlogged = true;
	}
	/* At most one progress event a second per pair (SPEC). */
	if (!p->progress_unlogged || (!final && now_ms - p->progress_logged_ms < 1000))
		return;
	struct event ev = event_init(EVENT_PROGRESS);

	ev.pair = p->name;
	ev.progress_done = p->progress_done;
	ev.progress_total = p->progress_total;
	p->progress_unlogged = false;
	p->progress_logged_ms = now_ms;
	run_emit(run, &ev);
}

void run_sample_system(struct run *run, uint64_t now_ms)
{
	struct rule_event e;
	struct model *m = &run->model;

	if (sysmem_read(run->sysmem, now_ms, &run->sys) < 0)
		return;
	m->sys = run->sys;
	m->mem_used_history[m->history_head] =
		run->sys.mem_total_bytes - run->sys.mem_available_bytes;
	m->swap_used_history[m->history_head] =
		run->sys.swap_total_bytes - run->sys.swap_free_bytes;
	m->history_head = (m->history_head + 1) % MODEL_HISTORY;
	if (m->history_len < MODEL_HISTORY)
		m->history_len++;
	if (rules_sys_eval(&run->sys_rules, &run->sys_lim, &run->sys, &e) == 0)
		return;
	struct event ev;

	if (e.kind == RULE_PRESSURE_RESOLVED) {
		ev = event_init(EVENT_RESOLVED);
		ev.condition = CONDITION_PRESSURE;
	} else {
		const struct sys_sample *s = &run->sys;

		ev = event_init(EVENT_PRESSURE);
		ev.mem_available = s->mem_available_bytes;
		ev.mem_total = s->mem_total_bytes;
		ev.swap_used = s->swap_total_bytes - s->swap_free_bytes;
		ev.swap_total = s->swap_total_bytes;
		ev.psi_some_avg10 = s->psi_some_avg10;
		ev.psi_full_avg10 = s->psi_full_avg10;
		if (!s->psi_known) {
			event_clear(&ev, EF_PSI_SOME);
			event_clear(&ev, EF_PSI_FULL);
		}
	}
	run_emit(run, &ev);
}

void run_sample_stop_pair(struct run *run, struct pair_rt *p)
{
	loop_del_timer(run->loop, p->fast_timer);
	p->fast_timer = 0;
	run_evidence_stop(run, p);
	run->model.trees[p->index] = NULL;
	p->last_full = NULL;
	proctree_free(p->tree);
	p->tree = NULL;
}
