/* A pair's life, driven by lifecycle.c's table: run_pair_send takes what
 * happened, moves the pair to its next phase, publishes it to the view
 * model and takes the action; the loop's callbacks here (a root's pidfd,
 * timers, the operator's keys, the rules' verdicts) only translate what
 * happened into a lifecycle event. Pairs run one at a time in plan order
 * (run_pair_next); under watch every PID is a pair watched at once. */
#include "run_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../jobs/supervise.h"
#include "../core/admit.h"
#include "../lib/fsutil.h"
#include "../collectors/orphans.h"
#include "planning.h"

static void run_pair_act_on(struct pair_rt *p, enum lc_action action, const struct lc_input *in);

void run_pair_send(struct pair_rt *p, const struct lc_input *in)
{
	struct lc_step step = lifecycle_step(p->phase, in->event);

	if (!step.valid)
		return; /* e.g. a grace timer of a root that has gone */
	p->phase = step.next;
	p->mp->state = lifecycle_view(step.next);
	run_pair_act_on(p, step.action, in);
}

void run_pair_post(struct pair_rt *p, enum lc_event event)
{
	struct lc_input in = { .event = event };

	run_pair_send(p, &in);
}

/* How it ended, and why. */
void run_pair_end(struct pair_rt *p, enum lc_event end, enum event_reason reason)
{
	struct lc_input in = { .event = end, .reason = reason };

	run_pair_send(p, &in);
}

static void run_pair_stop(struct pair_rt *p, enum event_reason reason, int sig,
                          enum pair_phase end_as, bool restart)
{
	/* A capped pair's record says the budget's hand is in it: stopped
	 * for another reason, it says that one (a crash before its end is
	 * judged must not turn this kill into a requeue). */
	if (p->budget_capped && reason != REASON_BUDGET && p->phase == PHASE_RUNNING)
		run_safe_record(p->run, p, STATE_STARTED, reason);
	struct lc_input in = { .event = LE_STOP,
		               .reason = reason,
		               .sig = sig,
		               .stop_as = end_as,
		               .restart = restart };

	run_pair_send(p, &in);
}

void run_pair_stop_for_budget(struct pair_rt *p)
{
	/* Recorded before the signal: a mergewatch that dies in between
	 * leaves a state that resumes the pair as requeued, not failed. */
	p->budget_stop = true;
	run_safe_record(p->run, p, STATE_STARTED, REASON_NONE);
	run_pair_stop(p, REASON_BUDGET, SIGKILL, PHASE_KILLED, false);
}

/* ---- helpers ---- */

static double run_pair_ratio(const struct pair_rt *p)
{
	return p->lim.input_bytes ? (double)p->peak_rss_bytes / (double)p->lim.input_bytes : 0;
}

/* Moves on before the loop sleeps (run.c), never from inside the code
 * that ended a pair. */
void run_pair_schedule_next(struct run *run)
{
	run->turn_due = true;
}

/* The last component of the pair's cgroup path, NULL without one. */
static const char *run_pair_group(const struct pair_rt *p)
{
	const char *path = p->cg                  ? cgroup_path(p->cg)
	                   : p->adopted_cgroup[0] ? p->adopted_cgroup
	                                          : NULL;
	const char *slash = path ? strrchr(path, '/') : NULL;

	return slash ? slash + 1 : path;
}

/* Signals every process of the pair: its tree, even where it escaped its
 * parent into the pair's cgroup or, without one, to mergewatch. */
void run_pair_signal_tree(struct run *run, struct pair_rt *p, int sig)
{
	pid_t pids[RUN_MAX_CGROUP_PIDS];
	int n = p->cg ? cgroup_read_pids(p->cg, pids, RUN_MAX_CGROUP_PIDS)
	        : p->adopted_cgroup[0]
	                ? cgroup_read_pids_at(p->adopted_cgroup, pids, RUN_MAX_CGROUP_PIDS)
	                : 0;

	n = n < 0 ? 0 : (n > RUN_MAX_CGROUP_PIDS ? RUN_MAX_CGROUP_PIDS : n);
	job_signal_tree(&p->job, run->cfg.proc_root, sig, p->last_full, pids, n, run_pair_group(p));
	if (sig == SIGKILL && p->cg != NULL)
		(void)cgroup_kill(p->cg); /* v2: every member at once, forks included */
	/* Orphans it left to mergewatch: our children until reaped, so
	 * their PIDs cannot have been reused. */
	n = run_sample_orphans(run, p, pids, RUN_MAX_CGROUP_PIDS);
	for (int i = 0; i < n; i++)
		kill(pids[i], sig);
}

struct event run_pair_start_event(const struct pair_rt *p, uint64_t input_bytes)
{
	struct event ev = event_init(EVENT_PAIR_START);

	ev.pair = p->name;
	ev.pid = p->job.pid;
	ev.command = p->spec->command;
	ev.input_bytes = input_bytes;
	ev.attempt = p->attempt;
	return ev;
}

static void run_pair_resolve_limits(struct run *run, struct pair_rt *p)
{
	const struct limits *l = &p->spec->limits;
	uint64_t total = run->sys.mem_total_bytes;

	p->lim.kill_rss_bytes = units_size_resolve(&l->kill_rss, total);
	p->lim.warn_rss_bytes = p->lim.kill_rss_bytes == UINT64_MAX
	                                ? UINT64_MAX
	                                : (uint64_t)((double)p->lim.kill_rss_bytes * l->warn_at);
	p->lim.bloat_ratio = l->bloat_ratio;
	p->lim.deadlock_window_ms = l->deadlock_window_ms;
	p->mp->kill_rss_bytes = p->lim.kill_rss_bytes;
}

/* ---- sampling and its verdicts ---- */

static void run_pair_on_fast(void *ctx, uint64_t now_ms);

/* The next RSS check, sooner the nearer the tree is to its kill line. */
static void run_pair_schedule_fast(struct pair_rt *p, uint64_t now_ms)
{
	struct run *run = p->run;
	uint64_t wait;

	loop_del_timer(run->loop, p->fast_timer);
	p->fast_timer = 0;
	if (lifecycle_watched(p->phase) && (wait = run_sample_next_check_ms(run, p)) > 0)
		p->fast_timer = loop_add_timer(run->loop, now_ms + wait, run_pair_on_fast, p);
}

void run_pair_verdicts(struct pair_rt *p, const struct rule_event *evs, size_t n, uint64_t now_ms)
{
	struct lc_input in;

	for (size_t i = 0; i < n && lifecycle_watched(p->phase); i++) {
		if (run_sample_verdict(p->run, p, &evs[i], &in))
			run_pair_send(p, &in);
	}
	run_pair_schedule_fast(p, now_ms);
}

/* Samples p and hands the rules' verdicts to its lifecycle, in order. */
static void run_pair_sample(struct pair_rt *p, uint64_t now_ms, bool full)
{
	struct rule_event evs[RULES_MAX_EVENTS];
	size_t n = run_sample_pair(p->run, p, now_ms, full, evs);

	run_pair_verdicts(p, evs, n, now_ms);
}

static void run_pair_on_fast(void *ctx, uint64_t now_ms)
{
	struct pair_rt *p = ctx;

	(void)now_ms;
	p->fast_timer = 0;
	if (lifecycle_watched(p->phase))
		run_pair_sample(p, loop_refresh_now(p->run->loop), false);
}

/* ---- the loop's callbacks: what happened, as a lifecycle event ---- */

static void run_on_root_exit(void *ctx, int fd, short revents)
{
	struct pair_rt *p = ctx;
	/* verify runs as the pair's job: its status must not hide the
	 * command's */
	bool verify = p->phase == PHASE_VERIFYING || p->phase == PHASE_VERIFY_STOPPING;

	(void)fd;
	(void)revents;
	if (job_reap(&p->job, verify ? &p->verify_code : &p->exit_code,
	             verify ? &p->verify_signal : &p->term_signal) != 0)
		run_pair_post(p, LE_EXIT);
}

static void run_on_timeout(void *ctx, uint64_t now_ms)
{
	struct pair_rt *p = ctx;

	(void)now_ms;
	p->timeout_timer = 0;
	run_pair_stop(p, REASON_TIMEOUT, SIGTERM, PHASE_KILLED, false);
}

static void run_on_grace(void *ctx, uint64_t now_ms)
{
	struct pair_rt *p = ctx;
	struct lc_input in = { .event = LE_GRACE_OVER, .reason = p->stop.reason, .sig = SIGKILL };

	(void)now_ms;
	p->stop.grace_timer = 0;
	run_pair_send(p, &in);
}

static void run_pair_on_capture_done(struct pair_rt *p)
{
	run_pair_post(p, LE_CAPTURE_DONE);
}

/* ---- the actions ---- */

static bool run_pair_gate_open(struct run *run, struct pair_rt *p, uint64_t *needed)
{
	const struct sys_sample *s = &run->sys;
	uint64_t need = units_size_resolve(&run->plan->start_min_available, s->mem_total_bytes);
	uint64_t max_swap =
		units_size_resolve(&run->plan->start_max_swap_used, s->swap_total_bytes);

	if (run->plan->start_min_available.kind == SIZE_AUTO) {
		/* The predicted peak: input x the highest ratio seen so far. */
		double ratio = run->state ? state_max_ratio(run->state) : 0;

		if (ratio <= 0)
			ratio = p->spec->limits.expected_ratio;
		need = (uint64_t)((double)p->lim.input_bytes * ratio);
	}
	*needed = need;
	return s->mem_available_bytes >= need &&
	       (max_swap == UINT64_MAX || s->swap_total_bytes - s->swap_free_bytes <= max_swap);
}

/* The inputs' total size, the bloat baseline, taken before the gate (an
 * "auto" gate needs it). Missing inputs fail the pair: running without
 * them would only produce garbage. */
static bool run_pair_inputs(struct run *run, struct pair_rt *p)
{
	char err[512];
	uint64_t bytes = 0;

	if (p->spec->n_inputs > 0) {
		char *cwd = planning_pair_dir(run->plan, p->spec);
		int rc = cwd ? fsutil_inputs_bytes(p->spec->inputs, p->spec->n_inputs, cwd, &bytes,
		                                   err, sizeof(err))
		             : -ENOMEM;

		free(cwd);
		if (rc < 0) {
			run_note(run, "pair %s: %s", p->name,
			         rc == -ENOMEM ? "out of memory" : err);
			return false;
		}
	}
	p->lim.input_bytes = bytes;
	p->mp->input_bytes = bytes;
	return true;
}

/* watch: the PID given on the command line. */
static void run_pair_attach(struct run *run, struct pair_rt *p)
{
	char err[256];

	p->attempt = 1;
	run_pair_resolve_limits(run, p);
	/* watch --inputs: the bloat baseline of a merge already running. */
	if (!run_pair_inputs(run, p)) {
		run_pair_end(p, LE_END_FAILED, REASON_INPUTS_MISSING);
		return;
	}
	if (job_attach(run->cfg.watch_pids[p->index], run->cfg.proc_root, &p->job, err,
	               sizeof(err)) < 0) {
		run_note(run, "%s", err);
		run_pair_end(p, LE_END_FAILED, REASON_GONE);
		return;
	}
	struct event ev = run_pair_start_event(p, p->lim.input_bytes);

	event_clear(&ev, EF_COMMAND);
	run_emit(run, &ev);
	run_pair_post(p, LE_STARTED);
}

/* Its turn: resumed, skipped, adopted, or its inputs and the gate. */
static void run_pair_prepare(struct run *run, struct pair_rt *p)
{
	const struct state_pair *sp = run->state ? state_find(run->state, p->name) : NULL;
	uint64_t needed;

	if (run->cfg.watch) {
		run_pair_attach(run, p);
		return;
	}
	if (p->attempt == 0)
		p->attempt = sp && sp->status == STATE_STARTED && sp->attempt > 0 ? sp->attempt : 1;
	run_pair_resolve_limits(run, p);
	if (p->phase == PHASE_PENDING_SKIP) {
		run_pair_end(p, LE_END_SKIPPED, REASON_OPERATOR);
		return;
	}
	/* what the state records of it first: done, adopted, judged, its
	 * cleanup finished (run_safe.c) */
	if (run_safe_resume_pair(run, p))
		return;
	if (run_jobs_several(run)) {
		p->settled = true; /* admission (run_jobs.c) starts it when it fits */
		return;
	}
	if (!run_pair_inputs(run, p)) {
		run_pair_end(p, LE_END_FAILED, REASON_INPUTS_MISSING);
		return;
	}
	if (run_pair_gate_open(run, p, &needed)) {
		run_pair_post(p, LE_GATE_OPEN);
		return;
	}
	run_pair_gate_wait(run, p, needed);
}

void run_pair_gate_wait(struct run *run, struct pair_rt *p, uint64_t needed)
{
	const struct sys_sample *s = &run->sys;
	struct event ev = event_init(EVENT_GATE_WAIT);

	ev.pair = p->name;
	ev.mem_available = s->mem_available_bytes;
	ev.swap_used = s->swap_total_bytes - s->swap_free_bytes;
	ev.needed_available = needed;
	run_pair_post(p, LE_GATE_CLOSED);
	run_emit(run, &ev);
}

bool run_pair_admit(struct run *run, struct pair_rt *p)
{
	if (!run_pair_inputs(run, p)) {
		run_pair_end(p, LE_END_FAILED, REASON_INPUTS_MISSING);
		return false;
	}
	run_pair_post(p, LE_GATE_OPEN);
	return true;
}

static void run_pair_gate_check(struct run *run, struct pair_rt *p)
{
	uint64_t needed;

	if (run_jobs_several(run))
		return; /* admission (run_jobs.c) opens the gate with the budget */
	if (run_pair_gate_open(run, p, &needed))
		run_pair_post(p, LE_GATE_OPEN);
	else if (loop_now_ms(run->loop) - p->gate_since_ms >= run->plan->gate_timeout_ms)
		run_pair_end(p, LE_END_FAILED, REASON_GATE);
}

/* A systemd scope is asked for once the pair's first process exists, while
 * it waits before exec. */
static void run_pair_place(void *ctx, pid_t pid)
{
	struct pair_rt *p = ctx;
	char err[512];

	if (cgroup_place(p->cg, pid, err, sizeof(err)) < 0)
		run_note(p->run, "pair %s: no kernel cap: %s", p->name, err);
	else
		p->oom_kills_at_start = cgroup_oom_kills(p->cg); /* its group exists now */
}

static void run_pair_launch(struct run *run, struct pair_rt *p)
{
	char err[512];
	uint64_t input_bytes = p->lim.input_bytes;

	p->attempt_started_ns = run_safe_now_ns();
	if (run->cgroup.mechanism != CGROUP_NONE) {
		char name[128];
		const struct limits *l = &p->spec->limits;

		/* A requeued attempt gets a group of its own: the last one's
		 * may still be on its way out. */
		if (p->requeues > 0)
			snprintf(name, sizeof(name), "mergewatch-%d-%s~%d", (int)getpid(), p->name,
			         p->attempt);
		else
			snprintf(name, sizeof(name), "mergewatch-%d-%s", (int)getpid(), p->name);
		p->memory_max_bytes = units_size_resolve(&l->memory_max, run->sys.mem_total_bytes);
		p->cap_bytes = p->memory_max_bytes;
		p->budget_capped = p->budget_stop = false;
		p->cg = cgroup_create(&run->cgroup, name, p->memory_max_bytes,
		                      units_size_resolve(&l->swap_max, run->sys.swap_total_bytes),
		                      err, sizeof(err));
		if (p->cg == NULL)
			run_note(run, "pair %s: no kernel cap: %s", p->name, err);
		else
			p->oom_kills_at_start = cgroup_oom_kills(p->cg);
	}
	progress_free(p->progress);
	p->progress = progress_new(p->log_path, p->spec->progress_regex, err, sizeof(err));
	p->progress_done = p->progress_total = 0;
	p->mp->progress_done = p->mp->progress_total = 0;

	char *cwd = planning_pair_dir(run->plan, p->spec);
	struct job_spec spec = run_safe_job_spec(run, p, p->spec->command, cwd);

	/* a systemd scope is asked for once the process exists */
	spec.place = p->cg && !cgroup_procs_path(p->cg) ? run_pair_place : NULL;
	spec.place_ctx = p;
	/* under its supervisor, whose record of the exit status outlives us
	 * (supervise.h) */
	spec.supervise_record = p->record_path;
	spec.supervise_token = p->attempt_started_ns;
	spec.supervise_cgroup = p->cg ? cgroup_path(p->cg) : NULL;
	/* Recorded before the job exists: a crash in between leaves a
	 * "started" with no PID, and the supervisor's record names it. */
	memset(&p->job, 0, sizeof(p->job));
	p->job.pidfd = -1;
	p->adopted = false;
	run_safe_record(run, p, STATE_STARTED, REASON_NONE);
	int rc = job_spawn(&spec, &p->job, err, sizeof(err));

	free(cwd);
	if (rc < 0) {
		run_note(run, "pair %s: %s", p->name, err);
		run_pair_end(p, LE_END_FAILED, REASON_SPAWN);
		return;
	}
	run_safe_record(run, p, STATE_STARTED, REASON_NONE);
	struct event ev = run_pair_start_event(p, input_bytes);

	run_emit(run, &ev);
	run_pair_post(p, LE_STARTED);
}

/* The group's own record of its peak: a burst between two samples. */
static void run_pair_take_group_peak(struct pair_rt *p)
{
	uint64_t peak = p->cg != NULL ? cgroup_memory_peak(p->cg) : 0;

	if (peak > p->peak_rss_bytes)
		p->peak_rss_bytes = p->mp->peak_rss_bytes = peak;
}

/* The pair's group changed: an OOM kill or the cap reached. Read now, as
 * the group may be gone when the pair's end is judged. */
static void run_on_group_events(void *ctx, int fd, short revents)
{
	struct pair_rt *p = ctx;
	long kills = cgroup_events_oom_kills(fd);

	(void)revents;
	if (kills > p->oom_kills_seen)
		p->oom_kills_seen = kills;
	run_pair_take_group_peak(p);
	if (kills < -1) { /* gone: it would poll ready for ever */
		loop_del_fd(p->run->loop, fd);
		close(fd);
		p->group_events_fd = -1;
	}
}

static void run_pair_unwatch_group(struct run *run, struct pair_rt *p)
{
	if (p->group_events_fd < 0)
		return;
	loop_del_fd(run->loop, p->group_events_fd);
	close(p->group_events_fd);
	p->group_events_fd = -1;
}

/* Starts watching p's tree (a started, adopted or attached root; or its
 * verify command, watched under the same rules with verify_timeout). */
static void run_pair_watch(struct run *run, struct pair_rt *p, bool verify)
{
	uint64_t now = loop_now_ms(run->loop);
	uint64_t timeout_ms =
		verify ? p->spec->limits.verify_timeout_ms : p->spec->limits.timeout_ms;

	memset(&p->rules, 0, sizeof(p->rules));
	memset(&p->stop, 0, sizeof(p->stop));
	p->tree = proctree_new(run->cfg.proc_root, p->job.pid, p->job.start_ticks);
	/* its group's members are the pair's too, wherever they went */
	if (p->tree != NULL)
		(void)proctree_set_group(p->tree, p->cg ? cgroup_path(p->cg) : p->adopted_cgroup);
	if (!verify) {
		p->oom_kills_seen = p->oom_kills_at_start;
		p->group_events_fd = p->cg != NULL ? cgroup_events_open(p->cg) : -1;
		if (p->group_events_fd >= 0)
			loop_add_fd(run->loop, p->group_events_fd, POLLPRI, run_on_group_events, p);
		p->started_ms = now;
		p->start_seq = ++run->start_seq;
		p->rss_bytes = p->peak_rss_bytes = 0;
		p->mp->started_ms = now;
		p->mp->ended_ms = 0;
		p->mp->attempt = p->attempt;
		p->mp->peak_rss_bytes = 0;
	}
	p->mp->pid = p->job.pid;
	p->mp->bloated = p->mp->deadlocked = p->mp->approaching = false;
	run->model.running = p->index;
	loop_add_fd(run->loop, p->job.pidfd, POLLIN, run_on_root_exit, p);
	if (timeout_ms > 0)
		p->timeout_timer = loop_add_timer(run->loop, now + timeout_ms, run_on_timeout, p);
	run_pair_sample(p, now, true);
}

/* The kill event and the signal; SIGTERM leaves kill_grace before SIGKILL. */
static void run_pair_signal(struct run *run, struct pair_rt *p, enum event_reason reason, int sig)
{
	struct event ev = event_init(EVENT_KILL);

	ev.pair = p->name;
	ev.pid = p->job.pid;
	ev.kill_reason = reason;
	ev.rss = p->rss_bytes;
	ev.signal = job_signal_name(sig);
	ev.kill_rss = p->lim.kill_rss_bytes;
	if (p->lim.kill_rss_bytes != UINT64_MAX)
		event_set(&ev, EF_KILL_RSS);
	run_pair_signal_tree(run, p, sig);
	if (p->paused && sig != SIGKILL) {
		/* A stopped process acts on SIGTERM only once continued. */
		run_pair_signal_tree(run, p, SIGCONT);
		p->paused = p->mp->paused = false;
	}
	run_emit(run, &ev);
	snprintf(p->mp->reason, sizeof(p->mp->reason), "%s", event_reason_name(reason));
	loop_del_timer(run->loop, p->timeout_timer);
	p->timeout_timer = 0;
	if (sig != SIGKILL && p->stop.grace_timer == 0)
		p->stop.grace_timer = loop_add_timer(
			run->loop, loop_now_ms(run->loop) + p->spec->limits.kill_grace_ms,
			run_on_grace, p);
	if (sig == SIGKILL) {
		loop_del_timer(run->loop, p->stop.grace_timer);
		p->stop.grace_timer = 0;
	}
}

static void run_pair_on_deadlock(struct run *run, struct pair_rt *p)
{
	switch (p->spec->limits.on_deadlock) {
	case ON_DEADLOCK_ALERT:
		break;
	case ON_DEADLOCK_KILL:
		run_pair_stop(p, REASON_DEADLOCK, SIGKILL, PHASE_KILLED, false);
		break;
	case ON_DEADLOCK_RESTART:
		/* A job that deadlocks every time must not restart forever:
		 * restarts share the retries budget (at least one). */
		run_pair_stop(p, REASON_DEADLOCK, SIGKILL, PHASE_KILLED,
		              p->attempt <= (run->plan->retries > 0 ? run->plan->retries : 1));
		break;
	}
}

/* The root ended by itself, its status known: how did it go? Recorded as
 * exited first; a success goes on to the output check and verify. */
static void run_pair_judge(struct run *run, struct pair_rt *p)
{
	enum event_reason stale;

	long kills = p->cg != NULL                  ? cgroup_oom_kills(p->cg)
	             : p->adopted_cgroup[0] != '\0' ? cgroup_oom_kills_at(p->adopted_cgroup)
	                                            : -1;

	run_safe_record(run, p, STATE_EXITED, REASON_NONE);
	/* The kernel cap acted: in our group since the start, or, for an
	 * adopted or resumed attempt, as its supervisor recorded. */
	if (((p->cg != NULL || p->adopted_cgroup[0] != '\0') && p->oom_kills_at_start >= 0 &&
	     (kills > p->oom_kills_at_start || p->oom_kills_seen > p->oom_kills_at_start)) ||
	    (p->term_signal == SIGKILL && p->record_oom)) {
		if (p->budget_capped) {
			/* the cap the budget lowered, not its own memory_max:
			 * it needed more than that cap */
			if (p->cap_bytes > p->peak_rss_bytes)
				p->peak_rss_bytes = p->cap_bytes;
			p->killed_at_budget_cap = true;
			run_pair_end(p, LE_END_REQUEUED, REASON_BUDGET);
			return;
		}
		run_pair_end(p, LE_END_KILLED, REASON_MEMORY_MAX);
		return;
	}
	if (p->term_signal != 0) {
		run_pair_end(p, LE_END_FAILED, REASON_SIGNAL);
		return;
	}
	/* done needs a status known to be 0; -1 is unknown only under watch,
	 * where the status was its parent's */
	if (p->exit_code > 0 || (p->exit_code < 0 && !run->cfg.watch)) {
		run_pair_end(p, LE_END_FAILED, REASON_EXIT);
		return;
	}
	if (run->cfg.watch) {
		/* Not our child: its parent reaped it, and with it the status. */
		p->mp->status_unknown = p->exit_code < 0;
		run_pair_end(p, LE_END_DONE, REASON_NONE);
		return;
	}
	if ((stale = run_safe_output_check(run, p)) != REASON_NONE) {
		run_pair_end(p, LE_END_FAILED, stale);
		return;
	}
	if (p->spec->verify == NULL)
		run_pair_post(p, LE_VERIFIED);
	else
		run_safe_verify_start(run, p);
}

/* A root (or verify) was reaped: its stragglers killed, sampling and timers
 * stopped, the last figures kept. */
static void run_pair_reaped(struct run *run, struct pair_rt *p)
{
	loop_del_fd(run->loop, p->job.pidfd);
	if (!run->cfg.watch) {
		/* Stragglers of a finished pair hold memory for nothing: the
		 * incident this tool comes from was two of them, deadlocked
		 * for nine hours. The root is gone, so its orphans now belong
		 * to init: find them in the last full sample (checked by start
		 * time) and in the cgroup. */
		run_pair_signal_tree(run, p, SIGKILL);
	}
	run_pair_take_group_peak(p);
	/* The last figure always reaches the log, whatever its age. */
	run_sample_progress(run, p, loop_now_ms(run->loop), true);
	run_sample_stop_pair(run, p);
	loop_del_timer(run->loop, p->timeout_timer);
	loop_del_timer(run->loop, p->stop.grace_timer);
	p->timeout_timer = p->stop.grace_timer = 0;
	p->mp->pid = 0;
	if (run->model.running == p->index)
		run->model.running = -1;
}

/* The root has gone (reaped): stragglers, the last figures, then how it
 * ended — as a stop asked, as its supervisor recorded (adopted), or as
 * judged. */
static void run_pair_reap(struct run *run, struct pair_rt *p, bool stopped)
{
	bool known = true;

	run_pair_reaped(run, p);
	if (p->adopted) {
		/* Not our child: its supervisor's record says how it ended,
		 * or nothing does. */
		struct supervise_record rec;
		char err[256];

		known = supervise_record_read(p->record_path, &rec, err, sizeof(err)) == 0 &&
		        rec.token == p->attempt_started_ns && rec.pid == p->job.pid && rec.ended;
		p->exit_code = known ? rec.exit_code : -1;
		p->term_signal = known ? rec.term_signal : 0;
		p->record_oom = known && rec.oom_killed;
	}
	job_close(&p->job);
	p->mp->exit_code = p->exit_code;
	p->mp->signal = p->term_signal;
	if (stopped && p->stop.reason == REASON_BUDGET)
		run_pair_end(p, LE_END_REQUEUED, REASON_BUDGET);
	else if (stopped)
		run_pair_end(p, p->stop.end_as == PHASE_SKIPPED ? LE_END_SKIPPED : LE_END_KILLED,
		             p->stop.reason);
	else if (!known) /* killed with its supervisor: not done, not failed */
		run_pair_post(p, LE_INTERRUPTED);
	else
		run_pair_judge(run, p);
	run_pair_unwatch_group(run, p);
	if (p->adopted_cgroup[0] != '\0') {
		/* Its cap stayed in force while no mergewatch watched; now
		 * the group is empty and can go (an error only means it has
		 * gone already or still holds a straggler). */
		rmdir(p->adopted_cgroup);
		p->adopted_cgroup[0] = '\0';
	}
}

/* verify was reaped: how it went decides the pair. */
static void run_pair_verify_end(struct run *run, struct pair_rt *p, bool stopped)
{
	run_pair_reaped(run, p);
	job_close(&p->job);
	run_safe_verify_ended(run, p, stopped);
}

/* The word pair_end writes, and the state file's, for a final phase. */
static enum event_status run_pair_status(enum pair_phase phase)
{
	switch (phase) {
	case PHASE_FAILED:
		return STATUS_FAILED;
	case PHASE_KILLED:
		return STATUS_KILLED;
	case PHASE_SKIPPED:
		return STATUS_SKIPPED;
	default:
		return STATUS_DONE;
	}
}

static enum state_status run_pair_state_status(enum pair_phase phase)
{
	switch (phase) {
	case PHASE_DONE:
		return STATE_DONE;
	case PHASE_FAILED:
		return STATE_FAILED;
	case PHASE_KILLED:
		return STATE_KILLED;
	case PHASE_SKIPPED:
		return STATE_SKIPPED;
	default:
		return STATE_PENDING;
	}
}

/* Whether a pair that just ended runs again: a restart asked for, or a
 * retry of on_failure = retry. */
static bool run_pair_again(const struct run *run, const struct pair_rt *p, enum event_reason reason)
{
	if (run->stop_signal || run->leaving)
		return false;
	if (p->stop.restart)
		return true;
	return (p->phase == PHASE_FAILED || p->phase == PHASE_KILLED) &&
	       run->plan->on_failure == ON_FAILURE_RETRY &&
	       p->attempt - p->requeues <= run->plan->retries && reason != REASON_OPERATOR;
}

/* It ended (p->phase says how): the pair_end event, cleanup, the state;
 * then it runs again, or is counted and the run moves on. */
static void run_pair_finish(struct run *run, struct pair_rt *p, enum event_reason reason)
{
	uint64_t now = loop_now_ms(run->loop);
	bool ran = p->started_ms != 0;
	struct event ev = event_init(EVENT_PAIR_END);

	run->admission_held = false; /* its memory is free again */

	ev.pair = p->name;
	ev.status = run_pair_status(p->phase);
	if (p->term_signal != 0) {
		ev.signal = job_signal_name(p->term_signal);
		event_set(&ev, EF_SIGNAL);
	}
	ev.exit_code = p->exit_code;
	if (!ran || p->exit_code < 0)
		event_clear(&ev, EF_EXIT_CODE);
	ev.peak_rss = p->peak_rss_bytes;
	ev.elapsed_s = ran ? (double)(now - p->started_ms) / 1000.0 : 0;
	ev.ratio = run_pair_ratio(p);
	if (p->lim.input_bytes == 0)
		event_clear(&ev, EF_RATIO);
	ev.end_reason = reason;
	if (reason == REASON_NONE)
		event_clear(&ev, EF_END_REASON);
	ev.attempt = p->attempt;
	if (p->resumed) {
		ev.resumed = true;
		event_set(&ev, EF_RESUMED);
	}
	/* Recorded before it is said: a crash in between leaves the pair
	 * recorded done (resumed as done), never said done and then redone. */
	if (!p->resumed && !run->cfg.watch && !p->keep_record)
		run_safe_record(run, p, run_pair_state_status(p->phase), reason);
	p->keep_record = false;
	p->record_oom = false;
	p->adopted = false;
	run_release_cgroup(run, p->cg);
	p->cg = NULL;
	if (ran && !run->cfg.watch && (p->phase == PHASE_FAILED || p->phase == PHASE_KILLED)) {
		ev.log = p->log_path;
		event_set(&ev, EF_LOG);
	}
	run_emit(run, &ev);

	p->mp->ended_ms = now;
	/* An ended pair holds no memory; its ratio is the peak's. */
	p->mp->rss_bytes = 0;
	p->mp->ratio = run_pair_ratio(p);
	snprintf(p->mp->reason, sizeof(p->mp->reason), "%s",
	         reason != REASON_NONE ? event_reason_name(reason) : "");
	if (!p->resumed && !run->cfg.watch) {
		/* What this pair showed sharpens the others' predictions. */
		for (int i = p->index + 1; run->state != NULL && i < run->n_pairs; i++) {
			struct prediction pred;

			planning_predict(run->plan, run->state, i, run->sys.mem_total_bytes,
			                 run->sys.mem_available_bytes, &pred);
			run->pairs[i].mp->predicted_peak_bytes = pred.peak_bytes;
		}
	}
	if (run_pair_again(run, p, reason)) {
		p->attempt++;
		p->started_ms = 0;
		p->exit_code = -1;
		p->term_signal = 0;
		memset(&p->stop, 0, sizeof(p->stop));
		run_pair_post(p, LE_REQUEUE);
		run_pair_schedule_next(run);
		return;
	}
	run->counts[lifecycle_view(p->phase)]++;
	if ((p->phase == PHASE_FAILED || p->phase == PHASE_KILLED) &&
	    run->plan->on_failure == ON_FAILURE_STOP && !run->cfg.watch) {
		struct lc_input abandon = { .event = LE_ABANDON, .reason = REASON_ON_FAILURE };

		/* every pair still waiting (with jobs > 1, earlier ones may
		 * wait too); those running beside it finish */
		for (int i = 0; i < run->n_pairs; i++)
			run_pair_send(&run->pairs[i], &abandon);
	}
	run_pair_schedule_next(run);
}

/* Stopped for the memory budget (by containment, or by the kernel at a cap
 * the budget lowered, or so recorded by a mergewatch that died): pair_end
 * requeued, no failure and no retry used; it runs again when it fits,
 * counted for the larger figure it showed. */
void run_pair_requeue(struct run *run, struct pair_rt *p)
{
	uint64_t now = loop_now_ms(run->loop);
	struct event ev = event_init(EVENT_PAIR_END);
	uint64_t margin =
		planning_budget_bytes(run->plan, run->sys.mem_total_bytes) / RUN_JOBS_MARGIN_SHARE;
	uint64_t figure = p->peak_rss_bytes > p->admit_bytes ? p->peak_rss_bytes : p->admit_bytes;

	ev.pair = p->name;
	ev.status = STATUS_REQUEUED;
	ev.exit_code = p->exit_code;
	if (p->term_signal != 0) {
		ev.signal = job_signal_name(p->term_signal);
		event_set(&ev, EF_SIGNAL);
		event_clear(&ev, EF_EXIT_CODE);
	} else if (p->exit_code < 0) {
		event_clear(&ev, EF_EXIT_CODE);
	}
	ev.peak_rss = p->peak_rss_bytes;
	ev.elapsed_s = (double)(now - p->started_ms) / 1000.0;
	ev.ratio = run_pair_ratio(p);
	if (p->lim.input_bytes == 0)
		event_clear(&ev, EF_RATIO);
	ev.end_reason = REASON_BUDGET;
	ev.attempt = p->attempt;
	/* Recorded before it is said: it runs again, whatever crashes when. */
	p->budget_capped = p->budget_stop = false;
	run_safe_record(run, p, STATE_PENDING, REASON_BUDGET);
	run_emit(run, &ev);
	/* Past its prediction, or stopped by the kernel at the cap the budget
	 * set, it was still growing and needs more than it reached: half as
	 * much again (at least the margin), so that it waits for room rather
	 * than be stopped again, a few MiB higher each time. */
	if (admit_outgrown(p->peak_rss_bytes, p->admit_bytes, margin) || p->killed_at_budget_cap)
		figure += figure / 2 > margin ? figure / 2 : margin;
	p->killed_at_budget_cap = false;
	if (figure > p->requeue_peak_bytes)
		p->requeue_peak_bytes = figure;
	if (p->peak_rss_bytes > p->requeue_reached_bytes)
		p->requeue_reached_bytes = p->peak_rss_bytes;
	run->admission_held = true;
	p->requeues++;
	p->attempt++;
	p->started_ms = 0;
	p->exit_code = -1;
	p->term_signal = 0;
	p->mp->ended_ms = now;
	p->mp->rss_bytes = 0;
	p->mp->ratio = run_pair_ratio(p); /* the attempt's peak over its input */
	snprintf(p->mp->reason, sizeof(p->mp->reason), "%s", event_reason_name(REASON_BUDGET));
	memset(&p->stop, 0, sizeof(p->stop));
	run_release_cgroup(run, p->cg);
	p->cg = NULL;
	run_pair_schedule_next(run);
}

/* Stops watching, leaving the processes (and their cap) be: the state
 * keeps the pair as running so the next mergewatch adopts it. */
static void run_pair_unwatch(struct run *run, struct pair_rt *p)
{
	/* "running" means running: a paused tree is continued before it is
	 * left */
	if (p->paused)
		run_safe_continue(run, p);
	loop_del_fd(run->loop, p->job.pidfd);
	loop_del_timer(run->loop, p->timeout_timer);
	loop_del_timer(run->loop, p->stop.grace_timer);
	p->timeout_timer = p->stop.grace_timer = 0;
	run_sample_stop_pair(run, p);
	if (p->cg != NULL) {
		cgroup_free(p->cg); /* the cap stays in force */
		p->cg = NULL;
	}
}

static void run_pair_act_on(struct pair_rt *p, enum lc_action action, const struct lc_input *in)
{
	struct run *run = p->run;

	switch (action) {
	case LA_NONE:
		break;
	case LA_PREPARE:
		run_pair_prepare(run, p);
		break;
	case LA_GATE_WAIT:
		p->gate_since_ms = loop_now_ms(run->loop);
		break;
	case LA_GATE_CHECK:
		run_pair_gate_check(run, p);
		break;
	case LA_LAUNCH:
		run_pair_launch(run, p);
		break;
	case LA_WATCH:
		run_pair_watch(run, p, false);
		break;
	case LA_WATCH_VERIFY:
		run_pair_watch(run, p, true);
		break;
	case LA_JUDGE:
		run_pair_judge(run, p);
		break;
	case LA_VERIFY_END:
		run_pair_verify_end(run, p, false);
		break;
	case LA_VERIFY_END_STOPPED:
		run_pair_verify_end(run, p, true);
		break;
	case LA_CLEAN_START:
		run_safe_clean_start(run, p);
		break;
	case LA_DROP_VERIFY:
		run_pair_signal_tree(run, p, SIGKILL);
		run_pair_unwatch(run, p);
		break;
	case LA_INTERRUPTED:
		run_safe_interrupted(run, p, REASON_STATUS_UNKNOWN);
		p->started_ms = 0;
		p->adopted = false;
		run_pair_schedule_next(run);
		break;
	case LA_SIGNAL:
		p->stop.reason = in->reason;
		p->stop.end_as = in->stop_as;
		p->stop.restart = in->restart;
		run_pair_signal(run, p, in->reason, in->sig);
		break;
	case LA_ESCALATE:
		if (in->restart)
			p->stop.restart = true;
		if (in->sig == SIGKILL)
			run_pair_signal(run, p, in->reason, SIGKILL);
		break;
	case LA_CAPTURE:
		if (!run_sample_deadlock(run, p, in->rule, run_pair_on_capture_done))
			run_pair_post(p, LE_CAPTURE_DONE);
		break;
	case LA_ON_DEADLOCK:
		run_pair_on_deadlock(run, p);
		break;
	case LA_REAP:
		run_pair_reap(run, p, false);
		break;
	case LA_REAP_STOPPED:
		run_pair_reap(run, p, true);
		break;
	case LA_FINISH:
		run_pair_finish(run, p, in->reason);
		break;
	case LA_UNWATCH:
		run_pair_unwatch(run, p);
		break;
	case LA_REQUEUE:
		run_pair_requeue(run, p);
		break;
	}
}

/* ---- the run's order ---- */

void run_pair_next(struct run *run)
{
	if (run->cfg.watch) {
		for (int i = 0; i < run->n_pairs; i++)
			run_pair_post(&run->pairs[i], LE_TURN); /* only pending ones hear it */
		return;
	}
	if (run->leaving || run->stop_signal)
		return;
	/* a removed pair's orphan holds every turn until it ends */
	if (run->n_orphans > 0)
		return;
	/* One pair at a time: an adopted orphan, a verify or a cleanup holds
	 * the turn wherever it is. */
	if (run_safe_busy(run))
		return;
	while (run->current < run->n_pairs) {
		struct pair_rt *p = &run->pairs[run->current];

		if (!lifecycle_final(p->phase)) {
			if (p->phase != PHASE_PENDING && p->phase != PHASE_PENDING_SKIP)
				return; /* it is on its way */
			run_pair_post(p, LE_TURN);
			if (!lifecycle_final(p->phase))
				return;
		}
		run->current++;
	}
}

void run_pair_free(struct pair_rt *p)
{
	run_sample_stop_pair(p->run, p);
	job_close(&p->job);
	job_close(&p->cleanup);
	if (p->cleanup_pipe >= 0)
		close(p->cleanup_pipe);
	job_close(&p->capture);
	progress_free(p->progress);
	if (p->cg != NULL)
		cgroup_free(p->cg);
	if (p->group_events_fd >= 0)
		close(p->group_events_fd);
}

/* ---- the operator (the dashboard's keys, and the signals' shutdown) ---- */

static int run_pair_ack(struct run *run)
{
	struct model *m = &run->model;

	for (int k = 0; k < m->alerts_len; k++) {
		struct model_alert *a =
			&m->alerts[(m->alerts_head - 1 - k + MODEL_ALERTS) % MODEL_ALERTS];

		if (!a->acked) {
			a->acked = true;
			if (run->alerts != NULL)
				alerts_ack_latest(run->alerts);
			return 0;
		}
	}
	return -ENOENT;
}

int run_pair_act(void *ctx, enum model_action action, int index)
{
	struct run *run = ctx;

	if (run->pairs == NULL)
		return -ESRCH;
	struct pair_rt *p = index >= 0 && index < run->n_pairs ? &run->pairs[index] : NULL;
	bool watched = p != NULL && lifecycle_watched(p->phase);

	switch (action) {
	case ACTION_KILL:
		if (!watched)
			return -ESRCH;
		run_pair_stop(p, REASON_OPERATOR, SIGKILL, PHASE_KILLED, false);
		return 0;
	case ACTION_RESTART:
		if (run->cfg.watch)
			return -EPERM;
		if (p == NULL)
			return -ESRCH;
		if (!watched)
			return -EBUSY; /* only the running pair restarts */
		run_pair_stop(p, REASON_OPERATOR, SIGKILL, PHASE_KILLED, true);
		return 0;
	case ACTION_SKIP:
		if (p == NULL)
			return -ESRCH;
		if (watched) {
			run_pair_stop(p, REASON_OPERATOR, SIGKILL, PHASE_SKIPPED, false);
			return 0;
		}
		if (lifecycle_final(p->phase))
			return -EALREADY;
		run_pair_end(p, LE_SKIP, REASON_OPERATOR);
		return 0;
	case ACTION_PAUSE:
		if (!watched)
			return -ESRCH;
		p->paused = !p->paused;
		p->mp->paused = p->paused;
		run_pair_signal_tree(run, p, p->paused ? SIGSTOP : SIGCONT);
		run_pair_schedule_fast(p, loop_now_ms(run->loop));
		return 0;
	case ACTION_ACK:
		return run_pair_ack(run);
	case ACTION_QUIT_STOP:
		for (int i = 0; i < run->n_pairs; i++) {
			struct pair_rt *q = &run->pairs[i];

			if (!lifecycle_watched(q->phase))
				continue;
			if (run->cfg.watch) /* not ours to stop */
				run_pair_post(q, LE_LEAVE);
			else
				run_pair_stop(q,
				              run->stop_signal ? REASON_SHUTDOWN : REASON_OPERATOR,
				              SIGTERM, PHASE_KILLED, false);
		}
		run->leaving = run->cfg.watch;
		if (run->stop_signal == 0)
			run->stop_signal = -1;
		return 0;
	case ACTION_QUIT_LEAVE:
		/* The job keeps running in its own session; the state keeps
		 * it as running so the next mergewatch adopts it. */
		for (int i = 0; i < run->n_pairs; i++)
			run_pair_post(&run->pairs[i], LE_LEAVE);
		run->leaving = true;
		return 0;
	}
	return -EINVAL;
}
