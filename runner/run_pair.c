/* A pair's life: gate, start, watch, stop, verify, clean up, record. Pairs
 * run one at a time in plan order; under watch every PID is a pair watched
 * at once. */
#include "run_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../lib/jsonstr.h"
#include "../lib/fsutil.h"
#include "planning.h"

static void run_pair_finish(struct run *run, struct pair_rt *p, enum pair_state status,
                            const char *reason);

static bool run_state_final(enum pair_state s)
{
	return s == PAIR_DONE || s == PAIR_FAILED || s == PAIR_KILLED || s == PAIR_SKIPPED;
}

/* A path of the plan (output, inputs, cleanup) as the pair's command sees it. */
static char *run_pair_path(const struct run *run, const struct pair_rt *p, const char *path)
{
	char *cwd = planning_pair_dir(run->plan, p->spec);
	char *out = cwd ? fsutil_resolve(cwd, path) : NULL;

	free(cwd);
	return out;
}

static void run_pair_save_state(struct run *run, struct pair_rt *p, enum state_status status,
                                const char *reason)
{
	struct state_pair sp;
	const struct state_pair *old;
	char err[512];

	if (run->state == NULL)
		return;
	old = state_find(run->state, p->name);
	if (old != NULL)
		sp = *old;
	else
		memset(&sp, 0, sizeof(sp));
	snprintf(sp.name, sizeof(sp.name), "%s", p->name);
	sp.status = status;
	sp.attempt = p->attempt;
	sp.pid = status == STATE_STARTED ? p->job.pid : 0;
	sp.start_ticks = status == STATE_STARTED ? p->job.start_ticks : 0;
	sp.input_bytes = p->lim.input_bytes;
	sp.peak_rss_bytes = p->mp->peak_rss_bytes;
	sp.ratio =
		p->lim.input_bytes ? (double)p->mp->peak_rss_bytes / (double)p->lim.input_bytes : 0;
	snprintf(sp.cgroup, sizeof(sp.cgroup), "%s",
	         status == STATE_STARTED && p->cg ? cgroup_path(p->cg) : "");
	if (p->spec->output != NULL) {
		char *out = run_pair_path(run, p, p->spec->output);

		snprintf(sp.output, sizeof(sp.output), "%s", out ? out : "");
		free(out);
	}
	sp.ended_wall_s = status == STATE_STARTED ? 0 : (int64_t)time(NULL);
	snprintf(sp.reason, sizeof(sp.reason), "%s", reason ? reason : "");
	if (state_put(run->state, &sp) < 0 || state_save(run->state, err, sizeof(err)) < 0) {
		/* Once: a full disk would repeat it at every pair. The old
		 * state file stays whole (it is only ever replaced by rename). */
		if (!run->state_error_reported)
			run_note(run, "%s; the previous state file is kept", err);
		run->state_error_reported = true;
	} else {
		run->state_error_reported = false;
	}
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
			run_pair_finish(run, p, PAIR_FAILED, "inputs_missing");
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
		run_pair_finish(run, p, PAIR_SKIPPED, "operator");
		return;
	}
	if (run_pair_gate_open(run, p, &needed)) {
		run_pair_launch(run, p);
		return;
	}
	if (now_ms - p->gate_since_ms >= run->plan->gate_timeout_ms)
		run_pair_finish(run, p, PAIR_FAILED, "gate");
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
	run_pair_kill(p->run, p, "timeout", SIGTERM, PAIR_KILLED);
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

/* Starts watching p's tree (a started, adopted or attached root). */
static void run_pair_watch(struct run *run, struct pair_rt *p)
{
	uint64_t now = loop_now_ms(run->loop);

	memset(&p->rules, 0, sizeof(p->rules));
	memset(&p->stop, 0, sizeof(p->stop));
	p->tree = proctree_new(run->cfg.proc_root, p->job.pid, p->job.start_ticks);
	p->active = true;
	p->started_ms = now;
	p->mp->state = PAIR_RUNNING;
	p->mp->pid = p->job.pid;
	p->mp->started_ms = now;
	p->mp->ended_ms = 0;
	p->mp->attempt = p->attempt;
	p->mp->peak_rss_bytes = 0;
	p->mp->bloated = p->mp->deadlocked = p->mp->approaching = false;
	run->model.running = p->index;
	loop_add_fd(run->loop, p->job.pidfd, POLLIN, run_on_root_exit, p);
	if (p->spec->limits.timeout_ms > 0)
		p->timeout_timer = loop_add_timer(run->loop, now + p->spec->limits.timeout_ms,
		                                  run_on_timeout, p);
	run_sample_pair_full(run, p, now);
}

static void run_pair_launch(struct run *run, struct pair_rt *p)
{
	char err[512];
	uint64_t input_bytes = p->lim.input_bytes;

	if (run->cgroup.mechanism != CGROUP_NONE) {
		char name[128];
		const struct limits *l = &p->spec->limits;

		snprintf(name, sizeof(name), "%d-%s", (int)getpid(), p->name);
		p->cg = cgroup_create(&run->cgroup, name,
		                      units_size_resolve(&l->memory_max, run->sys.mem_total_bytes),
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
	struct job_spec spec = {
		.command = p->spec->command,
		.cwd = cwd,
		.env = p->spec->env,
		.n_env = p->spec->n_env,
		.pair_name = p->name,
		.output_path = p->log_path,
		.cgroup_procs = p->cg ? cgroup_procs_path(p->cg) : NULL,
		/* If the kernel must kill, it should take the job, not sshd
		 * or the watchdog. */
		.oom_score_adj = 500,
		.sigmask = &run->orig_mask,
	};
	int rc = job_spawn(&spec, &p->job, err, sizeof(err));

	free(cwd);
	if (rc < 0) {
		run_note(run, "pair %s: %s", p->name, err);
		run_release_cgroup(run, p->cg);
		p->cg = NULL;
		run_pair_finish(run, p, PAIR_FAILED, "spawn");
		return;
	}
	json_t *ev =
		json_pack("{s:s, s:s, s:i, s:o, s:I, s:i}", "event", "pair_start", "pair", p->name,
	                  "pid", (int)p->job.pid, "command", jsonstr_new(p->spec->command),
	                  "input_bytes", (json_int_t)input_bytes, "attempt", p->attempt);

	run_emit(run, ev);
	run_pair_watch(run, p);
	run_pair_save_state(run, p, STATE_STARTED, NULL);
}

/* A pair recorded as running by a mergewatch that died: if that process is
 * still alive (same PID and start time) it is adopted and watched to its
 * end, never started twice. */
static bool run_pair_adopt(struct run *run, struct pair_rt *p, const struct state_pair *sp)
{
	char err[256];

	if (sp->pid <= 0 || job_start_ticks(run->cfg.proc_root, sp->pid) != sp->start_ticks)
		return false;
	if (job_attach(sp->pid, run->cfg.proc_root, &p->job, err, sizeof(err)) < 0)
		return false;
	p->lim.input_bytes = sp->input_bytes;
	p->mp->input_bytes = sp->input_bytes;
	snprintf(p->adopted_cgroup, sizeof(p->adopted_cgroup), "%s", sp->cgroup);
	run_note(run, "pair %s: adopting PID %d left running by an earlier mergewatch", p->name,
	         (int)sp->pid);
	json_t *ev = json_pack("{s:s, s:s, s:i, s:o, s:I, s:i, s:b}", "event", "pair_start", "pair",
	                       p->name, "pid", (int)p->job.pid, "command",
	                       jsonstr_new(p->spec->command), "input_bytes",
	                       (json_int_t)sp->input_bytes, "attempt", p->attempt, "adopted", 1);
	run_emit(run, ev);
	run_pair_watch(run, p);
	return true;
}

/* Starts pair p, or ends it at once (resumed, skipped). */
static void run_pair_start(struct run *run, struct pair_rt *p)
{
	const struct state_pair *sp = run->state ? state_find(run->state, p->name) : NULL;

	if (p->attempt == 0)
		p->attempt = sp && sp->status == STATE_STARTED ? sp->attempt : 1;
	run_pair_resolve_limits(run, p);
	if (p->skip_requested) {
		run_pair_finish(run, p, PAIR_SKIPPED, "operator");
		return;
	}
	if (sp != NULL && sp->status == STATE_DONE) {
		p->mp->resumed = true;
		p->mp->peak_rss_bytes = sp->peak_rss_bytes;
		p->lim.input_bytes = p->mp->input_bytes = sp->input_bytes;
		char *out = p->spec->output ? run_pair_path(run, p, p->spec->output) : NULL;
		bool missing = out != NULL && fsutil_file_size(out) <= 0;

		free(out);
		run_pair_finish(run, p, missing ? PAIR_FAILED : PAIR_DONE,
		                missing ? "output_missing" : NULL);
		return;
	}
	if (sp != NULL && sp->status == STATE_STARTED && run_pair_adopt(run, p, sp))
		return;

	uint64_t needed;

	if (!run_pair_inputs(run, p))
		return;
	if (!run_pair_gate_open(run, p, &needed)) {
		const struct sys_sample *s = &run->sys;
		json_t *ev = json_pack("{s:s, s:s, s:I, s:I, s:I}", "event", "gate_wait", "pair",
		                       p->name, "mem_available", (json_int_t)s->mem_available_bytes,
		                       "swap_used",
		                       (json_int_t)(s->swap_total_bytes - s->swap_free_bytes),
		                       "needed_available", (json_int_t)needed);
		p->mp->state = PAIR_GATE;
		p->gate_since_ms = loop_now_ms(run->loop);
		run_emit(run, ev);
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
	while (run->current < run->n_pairs) {
		struct pair_rt *p = &run->pairs[run->current];

		if (p->active || p->mp->state == PAIR_GATE || p->verifying)
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
		run_pair_finish(run, p, PAIR_FAILED, "gone");
		return;
	}
	json_t *ev = json_pack("{s:s, s:s, s:i, s:n, s:I, s:i}", "event", "pair_start", "pair",
	                       p->name, "pid", (int)p->job.pid, "command", "input_bytes",
	                       (json_int_t)0, "attempt", 1);
	run_emit(run, ev);
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

void run_pair_kill(struct run *run, struct pair_rt *p, const char *reason, int sig,
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
	json_t *ev = json_pack("{s:s, s:s, s:i, s:s, s:I, s:s}", "event", "kill", "pair", p->name,
	                       "pid", (int)p->job.pid, "reason", reason, "rss",
	                       (json_int_t)p->mp->rss_bytes, "signal", job_signal_name(sig));

	if (p->lim.kill_rss_bytes != UINT64_MAX)
		json_object_set_new(ev, "kill_rss",
		                    json_integer((json_int_t)p->lim.kill_rss_bytes));
	int n = run_pair_cgroup_pids(p, pids, RUN_MAX_CGROUP_PIDS);

	job_signal_tree(&p->job, run->cfg.proc_root, sig, p->last_full, pids, n, run_pair_group(p));
	if (p->paused && sig != SIGKILL) {
		/* A stopped process acts on SIGTERM only once continued. */
		job_signal_tree(&p->job, run->cfg.proc_root, SIGCONT, p->last_full, pids, n,
		                run_pair_group(p));
		p->paused = p->mp->paused = false;
	}
	run_emit(run, ev);
	p->mp->state = PAIR_STOPPING;
	snprintf(p->mp->reason, sizeof(p->mp->reason), "%s", reason);
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

static void run_on_verify_exit(void *ctx, int fd, short revents)
{
	struct pair_rt *p = ctx;
	struct run *run = p->run;
	int code, sig;

	(void)revents;
	if (job_reap(&p->verify, &code, &sig) == 0)
		return;
	loop_del_fd(run->loop, fd);
	job_close(&p->verify);
	p->verifying = false;
	if (code != 0) {
		run_note(run, "pair %s: verify failed (%s %d); see %s", p->name,
		         sig ? "signal" : "exit status", sig ? sig : code, p->log_path);
		run_pair_finish(run, p, PAIR_FAILED, "verify");
		return;
	}
	run_pair_finish(run, p, PAIR_DONE, NULL);
}

/* The root ended by itself (or after a stop): decide how the pair ended. */
static void run_pair_judge(struct run *run, struct pair_rt *p)
{
	char err[512];

	if (p->stop.requested) {
		run_pair_finish(run, p, p->stop.status, p->stop.reason);
		return;
	}
	if (p->cg != NULL && p->oom_kills_at_start >= 0 &&
	    cgroup_oom_kills(p->cg) > p->oom_kills_at_start) {
		run_pair_finish(run, p, PAIR_KILLED, "memory_max");
		return;
	}
	if (p->term_signal != 0) {
		run_pair_finish(run, p, PAIR_FAILED, "signal");
		return;
	}
	if (p->exit_code > 0) {
		run_pair_finish(run, p, PAIR_FAILED, "exit");
		return;
	}
	if (run->cfg.watch) {
		run_pair_finish(run, p, PAIR_DONE, NULL);
		return;
	}
	if (p->spec->output != NULL) {
		char *out = run_pair_path(run, p, p->spec->output);
		int64_t size = out ? fsutil_file_size(out) : -ENOMEM;

		free(out);
		if (size <= 0) {
			run_pair_finish(run, p, PAIR_FAILED,
			                size == 0 ? "output_empty" : "output_missing");
			return;
		}
	}
	if (p->spec->verify == NULL) {
		run_pair_finish(run, p, PAIR_DONE, NULL);
		return;
	}
	char *cwd = planning_pair_dir(run->plan, p->spec);
	struct job_spec spec = {
		.command = p->spec->verify,
		.cwd = cwd,
		.env = p->spec->env,
		.n_env = p->spec->n_env,
		.pair_name = p->name,
		.output_path = p->log_path,
		.sigmask = &run->orig_mask,
	};
	int rc = job_spawn(&spec, &p->verify, err, sizeof(err));

	free(cwd);
	if (rc < 0) {
		run_note(run, "pair %s: verify: %s", p->name, err);
		run_pair_finish(run, p, PAIR_FAILED, "verify");
		return;
	}
	p->verifying = true;
	p->mp->state = PAIR_VERIFYING;
	loop_add_fd(run->loop, p->verify.pidfd, POLLIN, run_on_verify_exit, p);
}

void run_pair_on_exit(struct run *run, struct pair_rt *p)
{
	pid_t pids[RUN_MAX_CGROUP_PIDS];

	int rc = job_reap(&p->job, &p->exit_code, &p->term_signal);

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
	p->mp->exit_code = p->exit_code;
	p->mp->signal = p->term_signal;
	if (run->model.running == p->index)
		run->model.running = -1;
	run_pair_judge(run, p);
	if (p->adopted_cgroup[0] != '\0') {
		/* Its cap stayed in force while no mergewatch watched; now
		 * the group is empty and can go (an error only means it has
		 * gone already or still holds a straggler). */
		rmdir(p->adopted_cgroup);
		p->adopted_cgroup[0] = '\0';
	}
	run_release_cgroup(run, p->cg);
	p->cg = NULL;
}

static void run_pair_cleanup(struct run *run, struct pair_rt *p)
{
	char err[512];
	uint64_t freed;
	char *path = run_pair_path(run, p, p->spec->cleanup);
	char *output = p->spec->output ? run_pair_path(run, p, p->spec->output) : NULL;
	const char *keep[] = { run->plan->log_dir, output, run->plan->path };

	if (path == NULL) {
		free(output);
		return;
	}
	if (fsutil_remove_tree(path, keep, 3, &freed, err, sizeof(err)) < 0) {
		run_note(run, "pair %s: %s", p->name, err);
	} else {
		json_t *ev = json_pack("{s:s, s:s, s:o, s:I}", "event", "cleanup", "pair", p->name,
		                       "path", jsonstr_new(path), "bytes_freed", (json_int_t)freed);
		run_emit(run, ev);
	}
	free(path);
	free(output);
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

static void run_pair_finish(struct run *run, struct pair_rt *p, enum pair_state status,
                            const char *reason)
{
	uint64_t now = loop_now_ms(run->loop);
	bool ran = p->started_ms != 0;
	json_t *ev = json_pack("{s:s, s:s, s:s}", "event", "pair_end", "pair", p->name, "status",
	                       run_state_word(status));

	if (p->term_signal != 0)
		json_object_set_new(ev, "signal", json_string(job_signal_name(p->term_signal)));
	else
		json_object_set_new(ev, "exit_code",
		                    ran && p->exit_code >= 0 ? json_integer(p->exit_code)
		                                             : json_null());
	json_object_set_new(ev, "peak_rss", json_integer((json_int_t)p->mp->peak_rss_bytes));
	json_object_set_new(ev, "elapsed_s",
	                    json_real(ran ? (double)(now - p->started_ms) / 1000.0 : 0));
	json_object_set_new(ev, "ratio",
	                    p->lim.input_bytes ? json_real((double)p->mp->peak_rss_bytes /
	                                                   (double)p->lim.input_bytes)
	                                       : json_null());
	json_object_set_new(ev, "reason", reason ? json_string(reason) : json_null());
	json_object_set_new(ev, "attempt", json_integer(p->attempt));
	if (p->mp->resumed)
		json_object_set_new(ev, "resumed", json_true());
	run_emit(run, ev);

	p->mp->state = status;
	p->mp->ended_ms = now;
	/* An ended pair holds no memory; its ratio is the peak's. */
	p->mp->rss_bytes = 0;
	p->mp->ratio =
		p->lim.input_bytes ? (double)p->mp->peak_rss_bytes / (double)p->lim.input_bytes : 0;
	snprintf(p->mp->reason, sizeof(p->mp->reason), "%s", reason ? reason : "");
	if (status == PAIR_DONE && p->spec->cleanup != NULL && !p->mp->resumed)
		run_pair_cleanup(run, p);
	if (!p->mp->resumed && !run->cfg.watch) {
		run_pair_save_state(run, p, run_state_status(status), reason);
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
	    !run->stop_signal && !run->leaving && strcmp(reason ? reason : "", "operator") != 0)
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
				run_pair_finish(run, rest, PAIR_SKIPPED, "on_failure");
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
		run_pair_kill(run, p, "operator", SIGKILL, PAIR_KILLED);
		return 0;
	case ACTION_RESTART:
		if (run->cfg.watch)
			return -EPERM;
		if (p == NULL)
			return -ESRCH;
		if (p->active) {
			run_pair_kill(run, p, "operator", SIGKILL, PAIR_KILLED);
			p->stop.restart = true;
			return 0;
		}
		return -EBUSY; /* only the running pair restarts */
	case ACTION_SKIP:
		if (p == NULL)
			return -ESRCH;
		if (p->active) {
			run_pair_kill(run, p, "operator", SIGKILL, PAIR_SKIPPED);
			return 0;
		}
		if (run_state_final(p->mp->state))
			return -EALREADY;
		p->skip_requested = true;
		if (p->mp->state == PAIR_GATE)
			run_pair_finish(run, p, PAIR_SKIPPED, "operator");
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

			if (q->active && !run->cfg.watch)
				run_pair_kill(run, q, run->stop_signal ? "shutdown" : "operator",
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
