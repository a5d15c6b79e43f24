/* Sampling: system memory and pressure, a pair's tree (in full, or just its
 * RSS for the fast checks near the kill line), the rules on what was read,
 * and a deadlock's evidence. Verdicts that concern a pair's lifecycle (a
 * kill, a deadlock) are returned to the caller, which posts them; this
 * file calls nothing in run_pair.c or run.c. */
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

/* Stops waiting for the capture command and tells whoever started it. A
 * command still running is killed; its pidfd stays in the loop and it is
 * reaped when it has gone, never waited for here. */
static void run_capture_done(struct run *run, struct pair_rt *p, bool tell)
{
	void (*done)(struct pair_rt *) = p->capture_done;

	if (done == NULL)
		return;
	p->capture_done = NULL;
	loop_del_timer(run->loop, p->capture_timer);
	p->capture_timer = 0;
	if (p->capture.pidfd >= 0 && !p->capture.reaped)
		job_signal_tree(&p->capture, run->cfg.proc_root, SIGKILL, NULL, NULL, 0, NULL);
	if (tell)
		done(p);
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
		run_capture_done(run, p, true);
	}
}

static void run_capture_timeout(void *ctx, uint64_t now_ms)
{
	struct pair_rt *p = ctx;

	(void)now_ms;
	p->capture_timer = 0;
	run_note(p->run, "pair %s: capture command still running after 30 s; stopped it", p->name);
	run_capture_done(p->run, p, true);
}

bool run_sample_deadlock(struct run *run, struct pair_rt *p, const struct rule_event *e,
                         void (*done)(struct pair_rt *p))
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

	const char *command = p->spec->limits.capture;

	/* No command, or the last one is still being reaped: act now. */
	if (command == NULL || path[0] == '\0' || p->capture.pidfd >= 0)
		return false;
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
		return false;
	}
	free(expanded);
	free(cwd);
	p->capture_done = done;
	loop_add_fd(run->loop, p->capture.pidfd, POLLIN, run_capture_exited, run);
	p->capture_timer = loop_add_timer(run->loop, loop_now_ms(run->loop) + RUN_CAPTURE_LIMIT_MS,
	                                  run_capture_timeout, p);
	return true;
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
	run_capture_done(run, p, false);
	run->model.trees[p->index] = NULL;
	p->last_full = NULL;
	proctree_free(p->tree);
	p->tree = NULL;
}
