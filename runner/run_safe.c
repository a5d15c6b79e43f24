/* Lose nothing: the pair's lifecycle recorded in the state before each step
 * that cannot be undone (started -> exited -> verified -> cleaning -> done),
 * what a re-run does with what the state records (runner/resume.c decides),
 * verify as a job under the pair's limits, and cleanup as a child process
 * off the loop. */
#include "run_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../jobs/cleanup.h"
#include "../jobs/supervise.h"
#include "../lib/fsutil.h"
#include "planning.h"
#include "resume.h"

char *run_safe_path(const struct run *run, const struct pair_rt *p, const char *path)
{
	char *cwd = planning_pair_dir(run->plan, p->spec);
	char *out = cwd ? fsutil_resolve(cwd, path) : NULL;

	free(cwd);
	return out;
}

int64_t run_safe_now_ns(void)
{
	struct timespec ts;

	/* The coarse clock is the one the kernel stamps files with: an output
	 * written just after this reading is never older than it. */
	clock_gettime(CLOCK_REALTIME_COARSE, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void run_safe_record(struct run *run, struct pair_rt *p, enum state_status status,
                     enum event_reason reason)
{
	struct state_pair sp;
	const struct state_pair *old;
	char err[512];

	if (run->state == NULL || run->cfg.watch)
		return;
	old = state_find(run->state, p->name);
	if (old != NULL)
		sp = *old;
	else
		memset(&sp, 0, sizeof(sp));
	snprintf(sp.name, sizeof(sp.name), "%s", p->name);
	sp.status = status;
	sp.attempt = p->attempt;
	sp.attempt_started_ns = p->attempt_started_ns;
	sp.pid = status == STATE_STARTED ? p->job.pid : 0;
	sp.start_ticks = status == STATE_STARTED ? p->job.start_ticks : 0;
	sp.exit_code = status == STATE_STARTED || status == STATE_PENDING ? -1 : p->exit_code;
	sp.term_signal = status == STATE_STARTED || status == STATE_PENDING ? 0 : p->term_signal;
	sp.command_hash = state_command_hash(p->spec->command);
	snprintf(sp.command, sizeof(sp.command), "%s", p->spec->command);
	sp.input_bytes = p->lim.input_bytes;
	sp.peak_rss_bytes = p->peak_rss_bytes;
	sp.ratio = p->lim.input_bytes ? (double)p->peak_rss_bytes / (double)p->lim.input_bytes : 0;
	if (status == STATE_STARTED)
		snprintf(sp.cgroup, sizeof(sp.cgroup), "%s",
		         p->cg ? cgroup_path(p->cg) : p->adopted_cgroup);
	else
		sp.cgroup[0] = '\0';
	sp.output[0] = '\0';
	if (p->spec->output != NULL) {
		char *out = run_safe_path(run, p, p->spec->output);

		snprintf(sp.output, sizeof(sp.output), "%s", out ? out : "");
		free(out);
	}
	sp.ended_wall_s = status == STATE_STARTED ? 0 : (int64_t)time(NULL);
	/* A running or just ended attempt the budget had a hand in (its cap
	 * lowered for it, or being stopped for it) says so: should mergewatch
	 * die now, a SIGKILL end is resumed as requeued, not failed. */
	if (reason == REASON_NONE && (status == STATE_STARTED || status == STATE_EXITED) &&
	    (p->budget_stop || (p->budget_capped && (p->stop.reason == REASON_NONE ||
	                                             p->stop.reason == REASON_BUDGET))))
		reason = REASON_BUDGET;
	snprintf(sp.reason, sizeof(sp.reason), "%s",
	         reason != REASON_NONE ? event_reason_name(reason) : "");
	if (state_put(run->state, &sp) < 0 || state_save(run->state, err, sizeof(err)) < 0) {
		/* Once: a full disk would repeat it at every step. The old
		 * state file stays whole (it is only ever replaced by rename). */
		if (!run->state_error_reported)
			run_note(run, "%s; the previous state file is kept", err);
		run->state_error_reported = true;
	} else {
		run->state_error_reported = false;
	}
}

int run_safe_claim(struct run *run, char *err, size_t errlen)
{
	char real[PATH_MAX];

	if (run->state == NULL || run->plan->path == NULL)
		return 0;
	if (realpath(run->plan->path, real) == NULL) {
		snprintf(err, errlen, "%s: %s", run->plan->path, strerror(errno));
		return -errno;
	}
	int rc = state_claim(run->state, real, err, errlen);

	if (rc == 0 && state_plan(run->state) != NULL)
		rc = state_save(run->state, err, errlen);
	return rc;
}

/* ---- what is left of an attempt a dead mergewatch watched ---- */

/* The supervisor record of p's attempt, if it is this attempt's. */
static bool run_safe_record_of(const struct pair_rt *p, int64_t token, struct supervise_record *rec)
{
	char err[256];

	return token != 0 && supervise_record_read(p->record_path, rec, err, sizeof(err)) == 0 &&
	       rec->token == token;
}

/* SIGKILLs what is left of a dead attempt (its root gone): the rest of its
 * session and of its cgroup, so an interrupted attempt never runs beside the
 * next one. */
static void run_safe_kill_leftovers(struct run *run, pid_t sid, uint64_t start_ticks,
                                    const char *cgroup, bool remove_group)
{
	pid_t pids[RUN_MAX_CGROUP_PIDS];
	int n = 0;

	uint64_t now_ticks = sid > 0 ? job_start_ticks(run->cfg.proc_root, sid) : 1;

	/* A PID whose session still has members cannot be reused, so a
	 * different process under sid means the session is another's. */
	if (sid > 0 && (now_ticks == 0 || now_ticks == start_ticks))
		n = job_session_pids(run->cfg.proc_root, sid, start_ticks, pids,
		                     RUN_MAX_CGROUP_PIDS);
	for (int i = 0; i < n && i < RUN_MAX_CGROUP_PIDS; i++)
		job_signal_pid(run->cfg.proc_root, pids[i], 0, SIGKILL);
	if (cgroup != NULL && cgroup[0] != '\0') {
		n = cgroup_read_pids_at(cgroup, pids, RUN_MAX_CGROUP_PIDS);
		for (int i = 0; i < n && i < RUN_MAX_CGROUP_PIDS; i++)
			job_signal_pid(run->cfg.proc_root, pids[i], 0, SIGKILL);
		if (remove_group)
			rmdir(cgroup); /* empty once they are reaped; the sweep retries */
	}
}

/* SIGCONT to a tree that may have been left stopped (paused, then left or
 * orphaned): an adopted pair that never runs would be watched forever. */
void run_safe_continue(struct run *run, struct pair_rt *p)
{
	pid_t pids[RUN_MAX_CGROUP_PIDS];
	int n = job_session_pids(run->cfg.proc_root, p->job.pid, p->job.start_ticks, pids,
	                         RUN_MAX_CGROUP_PIDS);

	for (int i = 0; i < n && i < RUN_MAX_CGROUP_PIDS; i++)
		job_signal_pid(run->cfg.proc_root, pids[i], 0, SIGCONT);
	run_pair_signal_tree(run, p, SIGCONT);
	p->paused = p->mp->paused = false;
}

/* What is true now of the attempt sp records. */
static void run_safe_facts(struct run *run, struct pair_rt *p, const struct state_pair *sp,
                           struct resume_facts *f, struct supervise_record *rec)
{
	bool have_rec = sp != NULL && run_safe_record_of(p, sp->attempt_started_ns, rec);

	memset(f, 0, sizeof(*f));
	f->recorded = sp;
	f->command_hash = state_command_hash(p->spec->command);
	for (int i = 0; i < run->cfg.n_rerun; i++)
		f->rerun |= strcmp(run->cfg.rerun[i], p->name) == 0;
	if (sp != NULL && sp->status == STATE_STARTED) {
		/* pid 0: mergewatch died between the start and its record;
		 * the supervisor's record names the process then. */
		pid_t pid = sp->pid > 0 ? sp->pid : have_rec ? rec->pid : 0;
		uint64_t ticks = sp->pid > 0 ? sp->start_ticks : have_rec ? rec->start_ticks : 0;

		f->alive = pid > 0 && job_alive(run->cfg.proc_root, pid, ticks);
		f->record_ended = have_rec && rec->pid == pid && rec->ended;
		f->record_exit_code = rec->exit_code;
		f->record_signal = rec->term_signal;
	}
	if (sp != NULL && (sp->status == STATE_STARTED || sp->status == STATE_EXITED))
		f->budget = event_reason_parse(sp->reason) == REASON_BUDGET;
	if (sp != NULL && sp->status == STATE_DONE) {
		char *out = p->spec->output ? run_safe_path(run, p, p->spec->output) : NULL;

		f->output_ok =
			p->spec->output == NULL || (out != NULL && fsutil_file_size(out) > 0);
		free(out);
	}
}

static bool run_safe_adopt(struct run *run, struct pair_rt *p, const struct state_pair *sp,
                           const struct supervise_record *rec)
{
	char err[256];
	pid_t pid = sp->pid > 0 ? sp->pid : rec->pid;

	if (job_attach(pid, run->cfg.proc_root, &p->job, err, sizeof(err)) < 0)
		return false;
	p->adopted = true;
	p->attempt = sp->attempt > 0 ? sp->attempt : 1;
	p->attempt_started_ns = sp->attempt_started_ns;
	p->lim.input_bytes = sp->input_bytes;
	p->mp->input_bytes = sp->input_bytes;
	snprintf(p->adopted_cgroup, sizeof(p->adopted_cgroup), "%s", sp->cgroup);
	run_note(run, "pair %s: adopting PID %d left running by an earlier mergewatch", p->name,
	         (int)pid);
	p->memory_max_bytes =
		units_size_resolve(&p->spec->limits.memory_max, run->sys.mem_total_bytes);
	p->cap_bytes = p->memory_max_bytes;
	p->budget_capped = p->budget_stop = false;
	if (p->adopted_cgroup[0] != '\0') {
		/* The run that died may have lowered its cap for the budget:
		 * back to the pair's own memory_max (with several pairs at
		 * once, containment sets it anew); an OOM kill from now on is
		 * counted in its group. */
		if (cgroup_set_memory_max_at(p->adopted_cgroup, p->memory_max_bytes, err,
		                             sizeof(err)) < 0)
			run_note(run, "pair %s: %s", p->name, err);
		p->oom_kills_at_start = p->oom_kills_seen = cgroup_oom_kills_at(p->adopted_cgroup);
	}
	run_safe_continue(run, p);
	struct event ev = run_pair_start_event(p, sp->input_bytes);

	ev.adopted = true;
	event_set(&ev, EF_ADOPTED);
	run_emit(run, &ev);
	run_pair_post(p, LE_STARTED);
	return true;
}

/* pair_end "interrupted" for an attempt that ends without an outcome. */
static void run_safe_emit_interrupted(struct run *run, struct pair_rt *p, enum event_reason reason)
{
	struct event ev = event_init(EVENT_PAIR_END);

	ev.pair = p->name;
	ev.status = STATUS_INTERRUPTED;
	event_clear(&ev, EF_EXIT_CODE);
	ev.peak_rss = p->mp->peak_rss_bytes;
	ev.elapsed_s = 0;
	event_clear(&ev, EF_RATIO);
	ev.end_reason = reason;
	ev.attempt = p->attempt;
	run_emit(run, &ev);
}

/* The attempt a dead mergewatch watched is over without a known end: the
 * pair runs again (no retry used). */
void run_safe_interrupted(struct run *run, struct pair_rt *p, enum event_reason reason)
{
	run_safe_emit_interrupted(run, p, reason);
	run_safe_record(run, p, STATE_PENDING, reason);
}

/* The pair's turn came, or the run starts with it adopted: act on what the
 * state records. Returns true when that handled the pair (skipped as done,
 * adopted, judged, cleanup finished), false when an attempt is to start. */
bool run_safe_resume_pair(struct run *run, struct pair_rt *p)
{
	const struct state_pair *sp = run->state ? state_find(run->state, p->name) : NULL;
	struct supervise_record rec = { 0 };
	struct resume_facts f;
	struct resume_verdict v;

	if (p->resume_decided)
		return false;
	p->resume_decided = true;
	run_safe_facts(run, p, sp, &f, &rec);
	resume_decide(&f, &v);
	if (sp == NULL || v.action == RESUME_RUN)
		return false;
	p->attempt = sp->attempt > 0 ? sp->attempt : 1;
	switch (v.action) {
	case RESUME_RUN:
		return false;
	case RESUME_DONE:
	case RESUME_OUTPUT_MISSING:
		if (v.command_changed)
			run_note(run,
			         "pair %s: done with another command than the plan's now; skipped "
			         "(--rerun %s runs it again)",
			         p->name, p->name);
		p->resumed = p->mp->resumed = true;
		p->peak_rss_bytes = p->mp->peak_rss_bytes = sp->peak_rss_bytes;
		p->lim.input_bytes = p->mp->input_bytes = sp->input_bytes;
		if (v.action == RESUME_DONE)
			run_pair_end(p, LE_END_DONE, REASON_NONE);
		else
			run_pair_end(p, LE_END_FAILED, REASON_OUTPUT_MISSING);
		return true;
	case RESUME_ADOPT:
		if (run_safe_adopt(run, p, sp, &rec))
			return true;
		/* gone since: interrupted */
		__attribute__((fallthrough));
	case RESUME_INTERRUPTED:
		run_safe_kill_leftovers(run, sp->pid > 0 ? sp->pid : rec.pid,
		                        sp->pid > 0 ? sp->start_ticks : rec.start_ticks, sp->cgroup,
		                        true);
		run_safe_interrupted(run, p, REASON_MERGEWATCH_ENDED);
		return false;
	case RESUME_REQUEUED:
		run_safe_kill_leftovers(run, sp->pid > 0 ? sp->pid : rec.pid,
		                        sp->pid > 0 ? sp->start_ticks : rec.start_ticks, sp->cgroup,
		                        true);
		p->lim.input_bytes = p->mp->input_bytes = sp->input_bytes;
		p->peak_rss_bytes = p->mp->peak_rss_bytes = sp->peak_rss_bytes;
		p->term_signal = SIGKILL;
		p->started_ms = loop_now_ms(run->loop);
		p->killed_at_budget_cap = true; /* it needed more than it reached */
		run_pair_requeue(run, p);
		return false;
	case RESUME_JUDGE:
		run_safe_kill_leftovers(run, sp->pid > 0 ? sp->pid : rec.pid,
		                        sp->pid > 0 ? sp->start_ticks : rec.start_ticks, sp->cgroup,
		                        false);
		p->attempt_started_ns = sp->attempt_started_ns;
		p->lim.input_bytes = p->mp->input_bytes = sp->input_bytes;
		p->peak_rss_bytes = p->mp->peak_rss_bytes = sp->peak_rss_bytes;
		p->exit_code = v.exit_code;
		p->term_signal = v.term_signal;
		p->record_oom = run_safe_record_of(p, sp->attempt_started_ns, &rec) && rec.ended &&
		                rec.oom_killed;
		p->started_ms = loop_now_ms(run->loop);
		p->mp->exit_code = p->exit_code;
		p->mp->signal = p->term_signal;
		if (sp->cgroup[0] != '\0')
			rmdir(sp->cgroup);          /* emptied above; the sweep retries */
		run_pair_post(p, LE_RESUME_EXITED); /* judged as if it just ended */
		return true;
	case RESUME_CLEANUP:
		p->attempt_started_ns = sp->attempt_started_ns;
		p->lim.input_bytes = p->mp->input_bytes = sp->input_bytes;
		p->peak_rss_bytes = p->mp->peak_rss_bytes = sp->peak_rss_bytes;
		p->exit_code = 0;
		p->term_signal = 0;
		p->started_ms = loop_now_ms(run->loop);
		run_note(run, "pair %s: verified by an earlier run; finishing its cleanup",
		         p->name);
		run_pair_post(p, LE_VERIFIED);
		return true;
	}
	return false;
}

/* ---- orphans of pairs the plan no longer has ---- */

static void run_on_orphan_exit(void *ctx, int fd, short revents)
{
	struct run *run = ctx;
	char err[512];

	(void)revents;
	loop_del_fd(run->loop, fd);
	for (int i = 0; i < run->n_orphans; i++) {
		if (run->orphans[i].pidfd != fd)
			continue;
		run_note(run, "the orphan of pair %s (PID %d) has ended", run->orphans[i].name,
		         (int)run->orphans[i].pid);
		if (run->state != NULL) {
			state_remove(run->state, run->orphans[i].name);
			state_save(run->state, err, sizeof(err));
		}
		close(fd);
		run->orphans[i] = run->orphans[--run->n_orphans];
		break;
	}
	run_pair_next(run);
}

/* Before any pair starts: the living processes the state records are
 * adopted (pairs of the plan) or waited for (pairs it no longer has, e.g.
 * renamed), so no job ever runs beside an attempt of itself. */
void run_safe_resume_all(struct run *run)
{
	char err[512];
	bool changed = false;

	if (run->state == NULL || run->cfg.watch)
		return;
	for (int i = 0; i < run->n_pairs; i++) {
		struct pair_rt *p = &run->pairs[i];
		const struct state_pair *sp = state_find(run->state, p->name);

		struct supervise_record rec = { 0 };
		struct resume_facts f;

		if (sp == NULL || sp->status != STATE_STARTED)
			continue;
		run_safe_facts(run, p, sp, &f, &rec);
		if (f.alive)
			run_pair_post(p, LE_TURN); /* adopted now, out of turn */
	}
	/* state entries of pairs the plan has not */
	for (size_t k = 0;; k++) {
		const struct state_pair *sp = state_at(run->state, k);
		struct supervise_record rec;
		bool in_plan = false;

		if (sp == NULL)
			break;
		for (int i = 0; i < run->n_pairs && !in_plan; i++)
			in_plan = strcmp(run->pairs[i].name, sp->name) == 0;
		if (in_plan || sp->status != STATE_STARTED)
			continue;
		struct pair_rt probe = { .spec = NULL };

		snprintf(probe.record_path, sizeof(probe.record_path), "%s/%s.job",
		         run->plan->log_dir, sp->name);
		bool have_rec = run_safe_record_of(&probe, sp->attempt_started_ns, &rec);
		pid_t pid = sp->pid > 0 ? sp->pid : have_rec ? rec.pid : 0;
		uint64_t ticks = sp->pid > 0 ? sp->start_ticks : have_rec ? rec.start_ticks : 0;
		struct job j;

		if (pid > 0 && job_alive(run->cfg.proc_root, pid, ticks) &&
		    run->n_orphans < RUN_MAX_ORPHANS &&
		    job_attach(pid, run->cfg.proc_root, &j, err, sizeof(err)) == 0) {
			struct run_orphan *o = &run->orphans[run->n_orphans++];

			o->pid = pid;
			o->pidfd = j.pidfd;
			snprintf(o->name, sizeof(o->name), "%s", sp->name);
			run_note(run,
			         "PID %d of pair %s, which the plan no longer has, still runs: "
			         "no pair starts before it ends",
			         (int)pid, sp->name);
			loop_add_fd(run->loop, o->pidfd, POLLIN, run_on_orphan_exit, run);
			continue;
		}
		run_safe_kill_leftovers(run, pid, ticks, sp->cgroup, true);
		state_remove(run->state, sp->name);
		changed = true;
		k--; /* the entry at k is another one now */
	}
	if (changed && state_save(run->state, err, sizeof(err)) < 0)
		run_note(run, "%s", err);
}

/* ---- after the command: output, verify, cleanup ---- */

/* Whether the output is this attempt's: there, not empty, and written (or
 * its inode changed, as `cp -p` and `mv` do) after the attempt started.
 * REASON_NONE when it is, else the reason the pair fails. */
enum event_reason run_safe_output_check(struct run *run, struct pair_rt *p)
{
	struct stat st;
	char *out;
	int rc;

	if (p->spec->output == NULL)
		return REASON_NONE;
	out = run_safe_path(run, p, p->spec->output);
	rc = out != NULL ? stat(out, &st) : -1;
	free(out);
	if (rc < 0 || !S_ISREG(st.st_mode))
		return REASON_OUTPUT_MISSING;
	if (st.st_size == 0)
		return REASON_OUTPUT_EMPTY;
	int64_t m = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	int64_t c = (int64_t)st.st_ctim.tv_sec * 1000000000 + st.st_ctim.tv_nsec;

	if (p->attempt_started_ns != 0 && (m > c ? m : c) < p->attempt_started_ns)
		return REASON_OUTPUT_STALE;
	return REASON_NONE;
}

/* The pair's cgroup for its command or its verify, NULL without one. */
struct cgroup *run_safe_cgroup(struct run *run, struct pair_rt *p)
{
	char err[512], name[128];
	const struct limits *l = &p->spec->limits;
	struct cgroup *cg;

	if (run->cgroup.mechanism == CGROUP_NONE)
		return NULL;
	snprintf(name, sizeof(name), "%d-%s", (int)getpid(), p->name);
	cg = cgroup_create(
		&run->cgroup, name, units_size_resolve(&l->memory_max, run->sys.mem_total_bytes),
		units_size_resolve(&l->swap_max, run->sys.swap_total_bytes), err, sizeof(err));
	if (cg == NULL)
		run_note(run, "pair %s: no kernel cap: %s", p->name, err);
	else
		p->oom_kills_at_start = cgroup_oom_kills(cg);
	return cg;
}

struct job_spec run_safe_job_spec(struct run *run, struct pair_rt *p, const char *command,
                                  const char *cwd)
{
	return (struct job_spec){
		.command = command,
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
}

/* Starts verify as the pair's job: in its cgroup, with its oom score, its
 * kill_rss and deadlock rules, verify_timeout, stopped on shutdown. */
void run_safe_verify_start(struct run *run, struct pair_rt *p)
{
	char err[512];

	if (p->cg == NULL)
		p->cg = run_safe_cgroup(run, p);
	char *cwd = planning_pair_dir(run->plan, p->spec);
	struct job_spec spec = run_safe_job_spec(run, p, p->spec->verify, cwd);
	int rc = job_spawn(&spec, &p->job, err, sizeof(err));

	free(cwd);
	if (rc < 0) {
		run_note(run, "pair %s: verify: %s", p->name, err);
		run_pair_end(p, LE_END_FAILED, REASON_VERIFY);
		return;
	}
	p->adopted = false;
	run_pair_post(p, LE_VERIFY_START);
}

/* verify's process ended (its status in verify_code/verify_signal). */
void run_safe_verify_ended(struct run *run, struct pair_rt *p, bool stopped)
{
	int code = p->verify_code, sig = p->verify_signal;

	if (stopped && p->stop.reason == REASON_SHUTDOWN) {
		/* The command's work stands: the next run verifies it again. */
		p->keep_record = true;
		run_pair_end(p, LE_END_KILLED, REASON_SHUTDOWN);
		return;
	}
	if (stopped || code != 0 || sig != 0) {
		run_note(run, "pair %s: verify failed (%s %d%s%s); see %s", p->name,
		         sig ? "signal" : "exit status", sig ? sig : code,
		         stopped ? ", stopped for " : "",
		         stopped ? event_reason_name(p->stop.reason) : "", p->log_path);
		run_pair_end(p, LE_END_FAILED, REASON_VERIFY);
		return;
	}
	run_pair_post(p, LE_VERIFIED);
}

static void run_on_cleanup_exit(void *ctx, int fd, short revents)
{
	struct pair_rt *p = ctx;
	struct run *run = p->run;
	char buf[1200], err[1200];
	int code, sig;
	uint64_t freed;
	ssize_t n;

	(void)revents;
	if (job_reap(&p->cleanup, &code, &sig) == 0)
		return;
	loop_del_fd(run->loop, fd);
	job_close(&p->cleanup);
	n = read(p->cleanup_pipe, buf, sizeof(buf));
	close(p->cleanup_pipe);
	p->cleanup_pipe = -1;
	(void)code;
	(void)sig;
	if (cleanup_result(buf, n > 0 ? (size_t)n : 0, &freed, err, sizeof(err)) < 0) {
		/* the pair stays done: only its checkpoint is left */
		run_note(run, "pair %s: %s", p->name, err);
	} else {
		char *path = run_safe_path(run, p, p->spec->cleanup);
		struct event ev = event_init(EVENT_CLEANUP);

		ev.pair = p->name;
		ev.path = path ? path : p->spec->cleanup;
		ev.bytes_freed = freed;
		run_emit(run, &ev);
		free(path);
	}
	run_pair_post(p, LE_CLEANED);
}

static void run_safe_cleanup_start(struct run *run, struct pair_rt *p)
{
	char err[512];
	char *path = run_safe_path(run, p, p->spec->cleanup);
	char *output = p->spec->output ? run_safe_path(run, p, p->spec->output) : NULL;
	char *argv[8] = { (char *)"/proc/self/exe", (char *)CLEANUP_MODE, path };
	int k = 3, pipefd[2];

	argv[k++] = run->plan->log_dir;
	if (output != NULL)
		argv[k++] = output;
	if (run->plan->path != NULL)
		argv[k++] = run->plan->path;
	argv[k] = NULL;
	if (path == NULL || pipe2(pipefd, O_CLOEXEC) < 0) {
		run_note(run, "pair %s: cleanup: %s", p->name, strerror(path ? errno : ENOMEM));
		free(path);
		free(output);
		run_pair_post(p, LE_CLEANED);
		return;
	}
	struct job_spec spec = {
		.command = "cleanup",
		.output_path = p->log_path,
		.sigmask = &run->orig_mask,
		.argv = argv,
		.stdout_fd = &pipefd[1],
	};
	int rc = job_spawn(&spec, &p->cleanup, err, sizeof(err));

	close(pipefd[1]);
	free(path);
	free(output);
	if (rc < 0) {
		close(pipefd[0]);
		run_note(run, "pair %s: cleanup: %s", p->name, err);
		run_pair_post(p, LE_CLEANED);
		return;
	}
	p->cleanup_pipe = pipefd[0];
	loop_add_fd(run->loop, p->cleanup.pidfd, POLLIN, run_on_cleanup_exit, p);
}

/* The output is fresh and verify passed: recorded before the cleanup may
 * delete anything. */
void run_safe_clean_start(struct run *run, struct pair_rt *p)
{
	run_safe_record(run, p, STATE_VERIFIED, REASON_NONE);
	if (p->spec->cleanup == NULL) {
		run_pair_post(p, LE_CLEANED);
		return;
	}
	run_safe_record(run, p, STATE_CLEANING, REASON_NONE);
	run_safe_cleanup_start(run, p);
}

bool run_safe_busy(const struct run *run)
{
	if (run->n_orphans > 0)
		return true;
	for (int i = 0; i < run->n_pairs; i++) {
		const struct pair_rt *p = &run->pairs[i];

		if (lifecycle_busy(p->phase))
			return true;
	}
	return false;
}

bool run_safe_group_recorded(const struct run *run, const char *path)
{
	const struct state_pair *sp;

	for (size_t i = 0; run->state != NULL && (sp = state_at(run->state, i)) != NULL; i++)
		if (sp->status == STATE_STARTED && strcmp(sp->cgroup, path) == 0)
			return true;
	return false;
}
