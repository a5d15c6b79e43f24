/* Sampling: the base tick (system memory, pressure, every watched tree) and
 * the fast RSS checks that tighten as a tree nears its kill line. */
#include "run_internal.h"

#include <stdlib.h>
#include <string.h>

#include "../jobs/capture.h"
#include "planning.h"
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

static void run_do_deadlock_action(struct run *run, struct pair_rt *p)
{
	p->deadlock_action_pending = false;
	switch (p->spec->limits.on_deadlock) {
	case ON_DEADLOCK_ALERT:
		break;
	case ON_DEADLOCK_KILL:
		run_pair_kill(run, p, REASON_DEADLOCK, SIGKILL, PAIR_KILLED);
		break;
	case ON_DEADLOCK_RESTART:
		/* A job that deadlocks every time must not restart forever:
		 * restarts share the retries budget (at least one). */
		run_pair_kill(run, p, REASON_DEADLOCK, SIGKILL, PAIR_KILLED);
		p->stop.restart = p->attempt <= (run->plan->retries > 0 ? run->plan->retries : 1);
		break;
	}
}

/* Stops waiting for the capture command and takes the deadlock action (if
 * the pair still runs). A command still running is killed; its pidfd stays
 * in the loop and it is reaped when it has gone, never waited for here. */
static void run_capture_done(struct run *run, struct pair_rt *p)
{
	if (!p->capturing)
		return;
	p->capturing = false;
	loop_del_timer(run->loop, p->capture_timer);
	p->capture_timer = 0;
	if (p->capture.pidfd >= 0 && !p->capture.reaped)
		job_signal_tree(&p->capture, run->cfg.proc_root, SIGKILL, NULL, NULL, 0, NULL);
	if (p->deadlock_action_pending && p->active)
		run_do_deadlock_action(run, p);
}

static void run_capture_exited(void *ctx, int fd, short revents)
{
	struct run *run = ctx;

	(void)revents;
	for (int i = 0; i < run->n_pairs; i++) {
		struct pair_rt *p = &run->pairs[i];
		int code, sig;

		if (p->capture.pidfd != fd || job_reap(&p->capture, &code, &sig) == 0)
			continue;
		loop_del_fd(run->loop, fd);
		job_close(&p->capture);
		run_capture_done(run, p);
	}
}

static void run_capture_timeout(void *ctx, uint64_t now_ms)
{
	struct pair_rt *p = ctx;

	(void)now_ms;
	p->capture_timer = 0;
	run_note(p->run, "pair %s: capture command still running after 30 s; stopped it", p->name);
	run_capture_done(p->run, p);
}

/* Saves the evidence, then acts: the action waits for the capture command
 * (bounded to 30 s) so the stacks are taken from the living process. */
static void run_on_deadlock(struct run *run, struct pair_rt *p, const struct rule_event *e)
{
	char path[4096], err[512], when[32];
	struct event ev = run_pair_event(p, EVENT_DEADLOCK);

	snprintf(path, sizeof(path), "%s/%s.deadlock.txt", run->plan->log_dir, p->name);
	clock_format_rfc3339(clock_wall_ms(), when, sizeof(when));
	if (capture_write_threads(path, run->cfg.proc_root, p->name, p->last_full, when, err,
	                          sizeof(err)) < 0) {
		run_note(run, "%s", err);
		path[0] = '\0';
	}
	_Static_assert((int)RULES_MAX_BLOCKED <= (int)EVENT_MAX_PIDS,
	               "every blocked PID fits the event");
	for (int i = 0; i < e->n_blocked; i++)
		ev.blocked_pids[i] = e->blocked_pids[i];
	ev.n_blocked = e->n_blocked;
	ev.threads = e->threads;
	ev.futex_threads = e->futex_threads;
	ev.stalled_s = (double)e->stalled_ms / 1000.0;
	ev.capture = path;
	if (path[0] == '\0')
		event_clear(&ev, EF_CAPTURE);
	run_emit(run, &ev);
	p->mp->deadlocked = true;
	p->deadlock_action_pending = true;

	const char *command = p->spec->limits.capture;

	/* No command, or the last one is still being reaped: act now. */
	if (command == NULL || path[0] == '\0' || p->capture.pidfd >= 0) {
		run_do_deadlock_action(run, p);
		return;
	}
	pid_t target = e->n_blocked > 0 ? e->blocked_pids[0] : p->job.pid;
	char *expanded = capture_expand(command, target);
	char *cwd = planning_pair_dir(run->plan, p->spec);
	struct job_spec spec = {
		.command = expanded,
		.cwd = cwd,
		.env = p->spec->env,
		.n_env = p->spec->n_env,
		.pair_name = p->name,
		.output_path = path,
		.sigmask = &run->orig_mask,
	};
	FILE *fp = fopen(path, "ae");

	if (fp != NULL) {
		fprintf(fp, "capture command: %s\n", expanded ? expanded : "?");
		fclose(fp);
	}
	if (expanded == NULL || cwd == NULL ||
	    job_spawn(&spec, &p->capture, err, sizeof(err)) < 0) {
		run_note(run, "pair %s: capture command: %s", p->name,
		         expanded && cwd ? err : "out of memory");
		free(expanded);
		free(cwd);
		run_do_deadlock_action(run, p);
		return;
	}
	free(expanded);
	free(cwd);
	p->capturing = true;
	loop_add_fd(run->loop, p->capture.pidfd, POLLIN, run_capture_exited, run);
	p->capture_timer = loop_add_timer(run->loop, loop_now_ms(run->loop) + RUN_CAPTURE_LIMIT_MS,
	                                  run_capture_timeout, p);
}

static void run_apply_rule(struct run *run, struct pair_rt *p, const struct rule_event *e,
                           const struct tree_sample *s)
{
	struct event ev;

	switch (e->kind) {
	case RULE_KILL_RSS:
		if (p->stop.requested && p->stop.reason == REASON_RSS)
			return;
		run_pair_kill(run, p, REASON_RSS, SIGKILL, PAIR_KILLED);
		return;
	case RULE_APPROACH:
		ev = run_pair_event(p, EVENT_APPROACH);
		ev.rss = e->rss_bytes;
		ev.kill_rss = p->lim.kill_rss_bytes;
		ev.eta_s = e->eta_s;
		if (e->eta_s < 0)
			event_clear(&ev, EF_ETA_S);
		p->mp->approaching = true;
		run_emit(run, &ev);
		return;
	case RULE_BLOAT:
		ev = run_pair_event(p, EVENT_BLOAT);
		ev.rss = e->rss_bytes;
		ev.input_bytes = p->lim.input_bytes;
		ev.ratio = e->ratio;
		p->mp->bloated = true;
		run_emit(run, &ev);
		return;
	case RULE_BLOAT_RESOLVED:
	case RULE_DEADLOCK_RESOLVED:
		ev = event_init(EVENT_RESOLVED);
		ev.condition =
			e->kind == RULE_BLOAT_RESOLVED ? CONDITION_BLOAT : CONDITION_DEADLOCK;
		ev.pair = p->name;
		event_set(&ev, EF_PAIR);
		if (e->kind == RULE_BLOAT_RESOLVED)
			p->mp->bloated = false;
		else
			p->mp->deadlocked = false;
		run_emit(run, &ev);
		return;
	case RULE_DEADLOCK:
		(void)s;
		run_on_deadlock(run, p, e);
		return;
	case RULE_PRESSURE:
	case RULE_PRESSURE_RESOLVED:
		return;
	}
}

static void run_eval_pair(struct run *run, struct pair_rt *p, const struct tree_sample *s)
{
	struct rule_event evs[RULES_MAX_EVENTS];
	size_t n = rules_pair_eval(&p->rules, &p->lim, s, evs);

	p->mp->rss_bytes = s->rss_bytes;
	if (s->rss_bytes > p->mp->peak_rss_bytes)
		p->mp->peak_rss_bytes = s->rss_bytes;
	if (p->lim.input_bytes > 0)
		p->mp->ratio = (double)s->rss_bytes / (double)p->lim.input_bytes;
	for (size_t i = 0; i < n && p->active; i++)
		run_apply_rule(run, p, &evs[i], s);
}

static void run_on_fast(void *ctx, uint64_t now_ms);

void run_sample_schedule_fast(struct run *run, struct pair_rt *p, uint64_t now_ms)
{
	loop_del_timer(run->loop, p->fast_timer);
	p->fast_timer = 0;
	if (!p->active || p->lim.kill_rss_bytes == UINT64_MAX || p->paused)
		return;
	uint64_t wait = rules_next_check_ms(&p->rules, &p->lim, run->cfg.interval_ms,
	                                    RUN_MIN_CHECK_MS, run->assumed_rate_bytes_per_ms);

	/* The base tick samples everything anyway: no extra timer far from
	 * the line, so watching a calm tree costs nothing more. */
	if (wait < run->cfg.interval_ms)
		p->fast_timer = loop_add_timer(run->loop, now_ms + wait, run_on_fast, p);
}

static void run_on_fast(void *ctx, uint64_t now_ms)
{
	struct pair_rt *p = ctx;
	struct run *run = p->run;

	p->fast_timer = 0;
	if (!p->active)
		return;
	now_ms = loop_refresh_now(run->loop);
	/* The fast read sees only the processes the last full sample found.
	 * A child forked since (the job under a shell that does not exec)
	 * could fill memory unseen until the next tick: near the line, look
	 * for new processes ten times a second. */
	if (p->last_full == NULL || now_ms - p->last_full->t_ms >= RUN_DISCOVER_MS) {
		run_sample_pair_full(run, p, now_ms);
		return;
	}
	run_eval_pair(run, p, proctree_sample_rss(p->tree, now_ms));
	run_sample_schedule_fast(run, p, now_ms);
}

/* Thread states and wait channels only matter for a deadlock verdict, and a
 * tree can only be deadlocked once it has stood still for deadlock_window:
 * read them every tick around that moment, then back off (every 2, 4, 8
 * ticks) while the same stall goes on. A deadlock forms with a burst of
 * lock traffic, which restarts the stall and the back-off, so detection
 * stays within the window plus a tick. The dashboard shows every thread,
 * so with it they are read at every tick. */
static enum proctree_threads run_threads_wanted(struct run *run, struct pair_rt *p, uint64_t now_ms)
{
	const struct rules_pair_state *r = &p->rules;
	uint64_t lead = 2 * run->cfg.interval_ms;
	uint64_t window = p->lim.deadlock_window_ms;

	if (run->tui != NULL)
		return PROCTREE_THREADS_ALWAYS;
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

void run_sample_pair_full(struct run *run, struct pair_rt *p, uint64_t now_ms)
{
	const struct tree_sample *s =
		proctree_sample(p->tree, now_ms, run_threads_wanted(run, p, now_ms));

	p->last_full = s;
	run->model.trees[p->index] = s;
	p->mp->stalled_ms = p->rules.have_baseline && now_ms > p->rules.still_since_ms
	                            ? now_ms - p->rules.still_since_ms
	                            : 0;
	run_eval_pair(run, p, s);
	run_sample_progress(run, p, now_ms, false);
	run_sample_schedule_fast(run, p, now_ms);
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

static void run_sample_system(struct run *run, uint64_t now_ms)
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

void run_sample_tick(struct run *run, uint64_t now_ms)
{
	run_sample_system(run, now_ms);
	for (int i = 0; i < run->n_pairs; i++) {
		struct pair_rt *p = &run->pairs[i];

		if (p->active)
			run_sample_pair_full(run, p, now_ms);
		else if (p->mp->state == PAIR_GATE)
			run_pair_gate_check(run, p, now_ms);
	}
}

void run_sample_stop_pair(struct run *run, struct pair_rt *p)
{
	loop_del_timer(run->loop, p->fast_timer);
	p->fast_timer = 0;
	if (p->capturing)
		run_capture_done(run, p);
	run->model.trees[p->index] = NULL;
	p->last_full = NULL;
	proctree_free(p->tree);
	p->tree = NULL;
}
