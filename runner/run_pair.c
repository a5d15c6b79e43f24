/* A pair's life: gate, start, watch, stop, verify, clean up, record. Pairs
 * run one at a time in plan order; under watch every PID is a pair watched
 * at once. */
#include "run_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../lib/fsutil.h"
#include "../jobs/supervise.h"
#include <sys/pidfd.h>
#include "planning.h"

static bool run_state_final(enum pair_state s)
{
	return s == PAIR_DONE || s == PAIR_FAILED || s == PAIR_KILLED || s == PAIR_SKIPPED;
}

static void run_on_advance(void *ctx, uint64_t now_ms)
{
	(void)now_ms;
	run_pair_next(ctx);
}

/* Moves on from a timer, never from inside the code that ended a pair. */
static void run_pair_schedule_next(struct run *run)
{
	loop_add_timer(run->loop, loop_now_ms(run->loop), run_on_advance, run);
}

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

static void run_pair_launch(struct run *run, struct pair_rt *p);

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
			run_pair_finish(run, p, PAIR_FAILED, REASON_INPUTS_MISSING);
			return false;
		}
	}
	p->lim.input_bytes = bytes;
	p->mp->input_bytes = bytes;
	return true;
}

void run_pair_gate_check(struct run *run, struct pair_rt *p, uint64_t now_ms)
{
	uint64_t needed;

	if (p->skip_requested) {
		run_pair_finish(run, p, PAIR_SKIPPED, REASON_OPERATOR);
		return;
	}
	if (run_pair_gate_open(run, p, &needed)) {
		run_pair_launch(run, p);
		return;
	}
	if (now_ms - p->gate_since_ms >= run->plan->gate_timeout_ms)
		run_pair_finish(run, p, PAIR_FAILED, REASON_GATE);
}

static void run_on_root_exit(void *ctx, int fd, short revents)
{
	struct pair_rt *p = ctx;

	(void)fd;
	(void)revents;
	run_pair_on_exit(p->run, p);
}

static void run_on_timeout(void *ctx, uint64_t now_ms)
{
	struct pair_rt *p = ctx;

	(void)now_ms;
	p->timeout_timer = 0;
	run_pair_kill(p->run, p, REASON_TIMEOUT, SIGTERM, PAIR_KILLED);
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

/* Starts watching p's tree (a started, adopted or attached root, or the
 * pair's verify command, watched under the same rules with
 * verify_timeout). */
void run_pair_watch(struct run *run, struct pair_rt *p)
{
	uint64_t now = loop_now_ms(run->loop);
	uint64_t timeout_ms =
		p->verifying ? p->spec->limits.verify_timeout_ms : p->spec->limits.timeout_ms;

	memset(&p->rules, 0, sizeof(p->rules));
	memset(&p->stop, 0, sizeof(p->stop));
	p->tree = proctree_new(run->cfg.proc_root, p->job.pid, p->job.start_ticks);
	p->active = true;
	p->mp->pid = p->job.pid;
	p->mp->bloated = p->mp->deadlocked = p->mp->approaching = false;
	if (p->verifying) {
		p->mp->state = PAIR_VERIFYING;
	} else {
		p->started_ms = now;
		p->mp->state = PAIR_RUNNING;
		p->mp->started_ms = now;
		p->mp->ended_ms = 0;
		p->mp->attempt = p->attempt;
		p->mp->peak_rss_bytes = 0;
	}
	run->model.running = p->index;
	loop_add_fd(run->loop, p->job.pidfd, POLLIN, run_on_root_exit, p);
	if (timeout_ms > 0)
		p->timeout_timer = loop_add_timer(run->loop, now + timeout_ms, run_on_timeout, p);
	run_sample_pair_full(run, p, now);
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

static void run_pair_launch(struct run *run, struct pair_rt *p)
{
	char err[512];
	uint64_t input_bytes = p->lim.input_bytes;

	p->attempt_started_ns = run_safe_now_ns();

	p->cg = run_safe_cgroup(run, p);
	progress_free(p->progress);
	p->progress = progress_new(p->log_path, p->spec->progress_regex, err, sizeof(err));
	p->progress_done = p->progress_total = 0;
	p->mp->progress_done = p->mp->progress_total = 0;

	char *cwd = planning_pair_dir(run->plan, p->spec);
	struct job_spec spec = run_safe_job_spec(run, p, p->spec->command, cwd);

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
		run_pair_finish(run, p, PAIR_FAILED, REASON_SPAWN);
		return;
	}
	run_safe_record(run, p, STATE_STARTED, REASON_NONE);
	struct event ev = run_pair_start_event(p, input_bytes);

	run_emit(run, &ev);
	run_pair_watch(run, p);
}

void run_pair_prepare(struct run *run, struct pair_rt *p)
{
	const struct state_pair *sp = run->state ? state_find(run->state, p->name) : NULL;

	if (p->attempt == 0)
		p->attempt = sp && sp->status == STATE_STARTED && sp->attempt > 0 ? sp->attempt : 1;
	run_pair_resolve_limits(run, p);
}

/* Starts pair p, or ends it at once (resumed, skipped). */
static void run_pair_start(struct run *run, struct pair_rt *p)
{
	run_pair_prepare(run, p);
	if (p->skip_requested) {
		run_pair_finish(run, p, PAIR_SKIPPED, REASON_OPERATOR);
		return;
	}
	if (run_safe_resume_pair(run, p))
		return;

	uint64_t needed;

	if (!run_pair_inputs(run, p))
		return;
	if (!run_pair_gate_open(run, p, &needed)) {
		const struct sys_sample *s = &run->sys;
		struct event ev = event_init(EVENT_GATE_WAIT);

		ev.pair = p->name;
		ev.mem_available = s->mem_available_bytes;
		ev.swap_used = s->swap_total_bytes - s->swap_free_bytes;
		ev.needed_available = needed;
		p->mp->state = PAIR_GATE;
		p->gate_since_ms = loop_now_ms(run->loop);
		run_emit(run, &ev);
		return;
	}
	run_pair_launch(run, p);
}

void run_pair_next(struct run *run)
{
	if (run->cfg.watch || run->leaving || run->stop_signal) {
		run_check_over(run);
		return;
	}
	/* One pair at a time: an adopted orphan, a verify, a cleanup or
	 * another plan's orphan holds the turn wherever it is. */
	if (run_safe_busy(run))
		return;
	while (run->current < run->n_pairs) {
		struct pair_rt *p = &run->pairs[run->current];

		if (p->active || p->mp->state == PAIR_GATE || p->verifying || p->cleaning)
			return;
		if (!run_state_final(p->mp->state)) {
			run_pair_start(run, p);
			if (!run_state_final(p->mp->state))
				return;
		}
		run->current++;
	}
	run_check_over(run);
}

void run_pair_begin_watch(struct run *run, struct pair_rt *p)
{
	char err[256];

	p->attempt = 1;
	run_pair_resolve_limits(run, p);
	if (job_attach(run->cfg.watch_pids[p->index], run->cfg.proc_root, &p->job, err,
	               sizeof(err)) < 0) {
		run_note(run, "%s", err);
		run_pair_finish(run, p, PAIR_FAILED, REASON_GONE);
		return;
	}
	struct event ev = run_pair_start_event(p, 0);

	event_clear(&ev, EF_COMMAND);
	run_emit(run, &ev);
	run_pair_watch(run, p);
}

static void run_on_grace(void *ctx, uint64_t now_ms)
{
	struct pair_rt *p = ctx;

	(void)now_ms;
	p->stop.grace_timer = 0;
	if (p->active)
		run_pair_kill(p->run, p, p->stop.reason, SIGKILL, p->stop.status);
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

/* Every PID in the pair's cgroup: the tree even where it escaped its parent. */
static int run_pair_cgroup_pids(struct pair_rt *p, pid_t *pids, int max)
{
	int n = p->cg                  ? cgroup_read_pids(p->cg, pids, (size_t)max)
	        : p->adopted_cgroup[0] ? cgroup_read_pids_at(p->adopted_cgroup, pids, (size_t)max)
	                               : 0;

	return n < 0 ? 0 : (n > max ? max : n);
}

void run_pair_kill(struct run *run, struct pair_rt *p, enum event_reason reason, int sig,
                   enum pair_state status)
{
	pid_t pids[RUN_MAX_CGROUP_PIDS];

	if (!p->active)
		return;
	if (p->stop.requested && sig != SIGKILL)
		return; /* already stopping: only an escalation goes on */
	if (!p->stop.requested) {
		p->stop.requested = true;
		p->stop.reason = reason;
		p->stop.status = status;
	}
	struct event ev = event_init(EVENT_KILL);

	ev.pair = p->name;
	ev.pid = p->job.pid;
	ev.kill_reason = reason;
	ev.rss = p->mp->rss_bytes;
	ev.signal = job_signal_name(sig);
	ev.kill_rss = p->lim.kill_rss_bytes;
	if (p->lim.kill_rss_bytes != UINT64_MAX)
		event_set(&ev, EF_KILL_RSS);
	int n = run_pair_cgroup_pids(p, pids, RUN_MAX_CGROUP_PIDS);

	job_signal_tree(&p->job, run->cfg.proc_root, sig, p->last_full, pids, n, run_pair_group(p));
	if (p->paused && sig != SIGKILL) {
		/* A stopped process acts on SIGTERM only once continued. */
		job_signal_tree(&p->job, run->cfg.proc_root, SIGCONT, p->last_full, pids, n,
		                run_pair_group(p));
		p->paused = p->mp->paused = false;
	}
	run_emit(run, &ev);
	p->mp->state = PAIR_STOPPING;
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

/* The root ended by itself (or after a stop), its status known: decide how
 * the pair ended, or go on to verify. */
void run_pair_judge(struct run *run, struct pair_rt *p)
{
	enum event_reason stale;

	if (p->stop.requested) {
		run_pair_finish(run, p, p->stop.status, p->stop.reason);
		return;
	}
	run_safe_record(run, p, STATE_EXITED, REASON_NONE);
	/* The kernel cap acted: in our group since the start, or, for an
	 * adopted or resumed attempt, as its supervisor recorded. */
	if ((p->cg != NULL && p->oom_kills_at_start >= 0 &&
	     cgroup_oom_kills(p->cg) > p->oom_kills_at_start) ||
	    (p->term_signal == SIGKILL && p->record_oom)) {
		run_pair_finish(run, p, PAIR_KILLED, REASON_MEMORY_MAX);
		return;
	}
	if (p->term_signal != 0) {
		run_pair_finish(run, p, PAIR_FAILED, REASON_SIGNAL);
		return;
	}
	if (p->exit_code != 0) {
		run_pair_finish(run, p, PAIR_FAILED, REASON_EXIT);
		return;
	}
	if (run->cfg.watch) {
		run_pair_finish(run, p, PAIR_DONE, REASON_NONE);
		return;
	}
	if ((stale = run_safe_output_check(run, p)) != REASON_NONE) {
		run_pair_finish(run, p, PAIR_FAILED, stale);
		return;
	}
	if (p->spec->verify == NULL) {
		run_safe_verified(run, p);
		return;
	}
	run_safe_verify_start(run, p);
}

void run_pair_on_exit(struct run *run, struct pair_rt *p)
{
	pid_t pids[RUN_MAX_CGROUP_PIDS];

	int code, sig;
	int rc = job_reap(&p->job, &code, &sig);

	if (rc == 0)
		return;
	loop_del_fd(run->loop, p->job.pidfd);
	if (!run->cfg.watch) {
		/* Stragglers of a finished pair hold memory for nothing: the
		 * incident this tool comes from was two of them, deadlocked
		 * for nine hours. */
		/* The root is gone, so its orphans now belong to init: find
		 * them in the last full sample (checked by start time) and in
		 * the cgroup. */
		int n = run_pair_cgroup_pids(p, pids, RUN_MAX_CGROUP_PIDS);

		job_signal_tree(&p->job, run->cfg.proc_root, SIGKILL, p->last_full, pids, n,
		                run_pair_group(p));
	}
	/* The last figure always reaches the log, whatever its age. */
	run_sample_progress(run, p, loop_now_ms(run->loop), true);
	p->active = false;
	run_sample_stop_pair(run, p);
	loop_del_timer(run->loop, p->timeout_timer);
	loop_del_timer(run->loop, p->stop.grace_timer);
	p->timeout_timer = p->stop.grace_timer = 0;
	p->mp->pid = 0;
	if (run->model.running == p->index)
		run->model.running = -1;
	if (p->verifying) {
		job_close(&p->job);
		run_safe_verify_ended(run, p, code, sig);
		return;
	}
	bool known = true;

	if (p->adopted) {
		/* Not our child: its supervisor's record says how it ended,
		 * or nothing does. */
		struct supervise_record rec;
		char err[256];

		known = supervise_record_read(p->record_path, &rec, err, sizeof(err)) == 0 &&
		        rec.token == p->attempt_started_ns && rec.pid == p->job.pid && rec.ended;
		code = known ? rec.exit_code : -1;
		sig = known ? rec.term_signal : 0;
		p->record_oom = known && rec.oom_killed;
	}
	job_close(&p->job);
	p->exit_code = code;
	p->term_signal = sig;
	p->mp->exit_code = p->exit_code;
	p->mp->signal = p->term_signal;
	if (!known && !p->stop.requested) {
		/* Its end is unknown (killed with its supervisor): not done, not
		 * failed; it runs again, using no retry. */
		run_safe_interrupted(run, p, REASON_STATUS_UNKNOWN);
		p->adopted = false;
		p->started_ms = 0;
		p->mp->state = PAIR_PENDING;
		run_pair_schedule_next(run);
	} else {
		run_pair_judge(run, p);
	}
	if (p->adopted_cgroup[0] != '\0') {
		/* Its cap stayed in force while no mergewatch watched; now
		 * the group is empty and can go (an error only means it has
		 * gone already or still holds a straggler). */
		rmdir(p->adopted_cgroup);
		p->adopted_cgroup[0] = '\0';
	}
}

static enum state_status run_state_status(enum pair_state s)
{
	switch (s) {
	case PAIR_DONE:
		return STATE_DONE;
	case PAIR_FAILED:
		return STATE_FAILED;
	case PAIR_KILLED:
		return STATE_KILLED;
	case PAIR_SKIPPED:
		return STATE_SKIPPED;
	default:
		return STATE_PENDING;
	}
}

/* The word pair_end writes for a final state. */
static enum event_status run_pair_status(enum pair_state s)
{
	switch (s) {
	case PAIR_FAILED:
		return STATUS_FAILED;
	case PAIR_KILLED:
		return STATUS_KILLED;
	case PAIR_SKIPPED:
		return STATUS_SKIPPED;
	default:
		return STATUS_DONE;
	}
}

void run_pair_finish(struct run *run, struct pair_rt *p, enum pair_state status,
                     enum event_reason reason)
{
	uint64_t now = loop_now_ms(run->loop);

	/* Recorded before it is said: a crash in between leaves the pair
	 * done (resumed as done), never said done and then redone. */
	if (!p->mp->resumed && !run->cfg.watch && !p->keep_record)
		run_safe_record(run, p, run_state_status(status), reason);
	p->keep_record = false;
	p->record_oom = false;
	p->adopted = false;
	p->verifying = false;
	run_release_cgroup(run, p->cg);
	p->cg = NULL;
	bool ran = p->started_ms != 0;
	struct event ev = event_init(EVENT_PAIR_END);

	ev.pair = p->name;
	ev.status = run_pair_status(status);
	if (p->term_signal != 0) {
		ev.signal = job_signal_name(p->term_signal);
		event_set(&ev, EF_SIGNAL);
	}
	ev.exit_code = p->exit_code;
	if (!ran || p->exit_code < 0)
		event_clear(&ev, EF_EXIT_CODE);
	ev.peak_rss = p->mp->peak_rss_bytes;
	ev.elapsed_s = ran ? (double)(now - p->started_ms) / 1000.0 : 0;
	ev.ratio =
		p->lim.input_bytes ? (double)p->mp->peak_rss_bytes / (double)p->lim.input_bytes : 0;
	if (p->lim.input_bytes == 0)
		event_clear(&ev, EF_RATIO);
	ev.end_reason = reason;
	if (reason == REASON_NONE)
		event_clear(&ev, EF_END_REASON);
	ev.attempt = p->attempt;
	if (p->mp->resumed) {
		ev.resumed = true;
		event_set(&ev, EF_RESUMED);
	}
	run_emit(run, &ev);

	p->mp->state = status;
	p->mp->ended_ms = now;
	/* An ended pair holds no memory; its ratio is the peak's. */
	p->mp->rss_bytes = 0;
	p->mp->ratio =
		p->lim.input_bytes ? (double)p->mp->peak_rss_bytes / (double)p->lim.input_bytes : 0;
	snprintf(p->mp->reason, sizeof(p->mp->reason), "%s",
	         reason != REASON_NONE ? event_reason_name(reason) : "");
	if (!p->mp->resumed && !run->cfg.watch) {
		/* What this pair showed sharpens the others' predictions. */
		for (int i = p->index + 1; run->state != NULL && i < run->n_pairs; i++) {
			struct prediction pred;

			planning_predict(run->plan, run->state, i, run->sys.mem_total_bytes,
			                 run->sys.mem_available_bytes, &pred);
			run->pairs[i].mp->predicted_peak_bytes = pred.peak_bytes;
		}
	}

	bool again = p->stop.restart && !run->stop_signal && !run->leaving;

	if (!again && (status == PAIR_FAILED || status == PAIR_KILLED) &&
	    run->plan->on_failure == ON_FAILURE_RETRY && p->attempt <= run->plan->retries &&
	    !run->stop_signal && !run->leaving && reason != REASON_OPERATOR)
		again = true;
	if (again) {
		p->attempt++;
		p->started_ms = 0;
		p->exit_code = -1;
		p->term_signal = 0;
		p->mp->state = PAIR_PENDING;
		memset(&p->stop, 0, sizeof(p->stop));
		run_pair_schedule_next(run);
		return;
	}
	run->counts[status]++;
	if ((status == PAIR_FAILED || status == PAIR_KILLED) &&
	    run->plan->on_failure == ON_FAILURE_STOP && !run->cfg.watch) {
		for (int i = p->index + 1; i < run->n_pairs; i++) {
			struct pair_rt *rest = &run->pairs[i];

			if (!run_state_final(rest->mp->state))
				run_pair_finish(run, rest, PAIR_SKIPPED, REASON_ON_FAILURE);
		}
	}
	run_pair_schedule_next(run);
}

/* The dashboard's actions (and the signal handler's shutdown). */
int run_pair_act(void *ctx, enum model_action action, int index)
{
	struct run *run = ctx;
	struct pair_rt *p = index >= 0 && index < run->n_pairs ? &run->pairs[index] : NULL;
	pid_t pids[RUN_MAX_CGROUP_PIDS];

	switch (action) {
	case ACTION_KILL:
		if (p == NULL || !p->active)
			return -ESRCH;
		run_pair_kill(run, p, REASON_OPERATOR, SIGKILL, PAIR_KILLED);
		return 0;
	case ACTION_RESTART:
		if (run->cfg.watch)
			return -EPERM;
		if (p == NULL)
			return -ESRCH;
		if (p->active) {
			run_pair_kill(run, p, REASON_OPERATOR, SIGKILL, PAIR_KILLED);
			p->stop.restart = true;
			return 0;
		}
		return -EBUSY; /* only the running pair restarts */
	case ACTION_SKIP:
		if (p == NULL)
			return -ESRCH;
		if (p->active) {
			run_pair_kill(run, p, REASON_OPERATOR, SIGKILL, PAIR_SKIPPED);
			return 0;
		}
		if (run_state_final(p->mp->state))
			return -EALREADY;
		p->skip_requested = true;
		if (p->mp->state == PAIR_GATE)
			run_pair_finish(run, p, PAIR_SKIPPED, REASON_OPERATOR);
		return 0;
	case ACTION_PAUSE: {
		if (p == NULL || !p->active)
			return -ESRCH;
		int n = run_pair_cgroup_pids(p, pids, RUN_MAX_CGROUP_PIDS);

		p->paused = !p->paused;
		p->mp->paused = p->paused;
		job_signal_tree(&p->job, run->cfg.proc_root, p->paused ? SIGSTOP : SIGCONT,
		                p->last_full, pids, n, run_pair_group(p));
		run_sample_schedule_fast(run, p, loop_now_ms(run->loop));
		return 0;
	}
	case ACTION_ACK: {
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
	case ACTION_QUIT_STOP:
		for (int i = 0; i < run->n_pairs; i++) {
			struct pair_rt *q = &run->pairs[i];

			if (q->cleaning) /* stopped midway; the next run finishes it */
				pidfd_send_signal(q->cleanup.pidfd, SIGTERM, NULL, 0);
			if (q->active && !run->cfg.watch)
				run_pair_kill(run, q,
				              run->stop_signal ? REASON_SHUTDOWN : REASON_OPERATOR,
				              SIGTERM, PAIR_KILLED);
			else if (q->active)
				q->active = false, run_sample_stop_pair(run, q);
		}
		run->leaving = run->cfg.watch;
		if (run->stop_signal == 0)
			run->stop_signal = -1;
		run_pair_next(run);
		return 0;
	case ACTION_QUIT_LEAVE:
		/* The job keeps running in its own session; the state keeps
		 * it as running so the next mergewatch adopts it. */
		for (int i = 0; i < run->n_pairs; i++) {
			struct pair_rt *q = &run->pairs[i];

			if (q->active) {
				/* "running" means running: a paused tree is
				 * continued before it is left */
				if (q->paused)
					run_safe_continue(run, q);
				loop_del_fd(run->loop, q->job.pidfd);
				loop_del_timer(run->loop, q->timeout_timer);
				q->active = false;
				run_sample_stop_pair(run, q);
				if (q->cg != NULL) {
					cgroup_free(q->cg); /* the cap stays in force */
					q->cg = NULL;
				}
			}
		}
		run->leaving = true;
		run_check_over(run);
		return 0;
	}
	return -EINVAL;
}
