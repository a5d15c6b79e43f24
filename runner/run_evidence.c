/* Deadlock and stall verdicts into events, evidence and actions. The
 * evidence is taken by two child processes in turn, each watched by its
 * pidfd and stopped at its time bound: the helper mergewatch-evidence
 * (stacks), then the plan's optional capture command. Only then is the
 * deadlock action taken; a stall is never acted on. */
#include "run_internal.h"

#include <stdlib.h>
#include <string.h>

#include "../jobs/capture.h"
#include "../lib/clock.h"
#include "planning.h"

enum {
	RUN_EVIDENCE_BUDGET_MS = 10000, /* the helper's own budget for unwinding */
	RUN_EVIDENCE_LIMIT_MS = 15000,  /* then it is stopped */
};

static void run_evidence_next(struct run *run, struct pair_rt *p);

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

/* Stops waiting for the current evidence process (killing it when it still
 * runs: its pidfd stays in the loop until it is reaped, never waited for)
 * and moves on to the next step. */
static void run_evidence_step_done(struct run *run, struct pair_rt *p)
{
	if (!p->capturing)
		return;
	p->capturing = false;
	loop_del_timer(run->loop, p->capture_timer);
	p->capture_timer = 0;
	if (p->capture.pidfd >= 0 && !p->capture.reaped)
		job_signal_tree(&p->capture, run->cfg.proc_root, SIGKILL, NULL, NULL, 0, NULL);
	/* The helper's ptrace woke the threads: not the job moving. */
	p->rules.rebase = true;
	if (p->active)
		run_evidence_next(run, p);
}

static void run_evidence_exited(void *ctx, int fd, short revents)
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
		run_evidence_step_done(run, p);
	}
}

static void run_evidence_timeout(void *ctx, uint64_t now_ms)
{
	struct pair_rt *p = ctx;

	(void)now_ms;
	p->capture_timer = 0;
	capture_note(p->evidence_path, p->evidence_step == 1
	                                       ? "(evidence helper stopped at its time bound)"
	                                       : "(capture command stopped at its time bound)");
	run_note(p->run, "pair %s: %s still running after %d s; stopped it", p->name,
	         p->evidence_step == 1 ? "evidence helper" : "capture command",
	         (p->evidence_step == 1 ? RUN_EVIDENCE_LIMIT_MS : RUN_CAPTURE_LIMIT_MS) / 1000);
	run_evidence_step_done(p->run, p);
}

/* Spawns command with its output appended to the evidence file. */
static bool run_evidence_spawn(struct run *run, struct pair_rt *p, const char *command,
                               uint64_t limit_ms)
{
	char err[512];
	char *cwd = planning_pair_dir(run->plan, p->spec);
	struct job_spec spec = {
		.command = command,
		.cwd = cwd,
		.env = p->spec->env,
		.n_env = p->spec->n_env,
		.pair_name = p->name,
		.output_path = p->evidence_path,
		.sigmask = &run->orig_mask,
	};

	if (cwd == NULL || job_spawn(&spec, &p->capture, err, sizeof(err)) < 0) {
		char line[700];

		snprintf(line, sizeof line, "(not captured: %s)", cwd ? err : "out of memory");
		capture_note(p->evidence_path, line);
		run_note(run, "pair %s: evidence: %s", p->name, cwd ? err : "out of memory");
		free(cwd);
		return false;
	}
	free(cwd);
	p->capturing = true;
	loop_add_fd(run->loop, p->capture.pidfd, POLLIN, run_evidence_exited, run);
	p->capture_timer = loop_add_timer(run->loop, loop_now_ms(run->loop) + limit_ms,
	                                  run_evidence_timeout, p);
	return true;
}

/* The next evidence step: 1 the helper, 2 the capture command, then the
 * action. */
static void run_evidence_next(struct run *run, struct pair_rt *p)
{
	char helper[4096];

	while (p->evidence_step < 3) {
		int step = ++p->evidence_step;

		if (step == 1) {
			if (capture_find_helper("mergewatch-evidence", MW_LIBEXECDIR, helper,
			                        sizeof helper) < 0) {
				capture_note(p->evidence_path,
				             "(user-space and Python stacks not captured: "
				             "mergewatch-evidence is not installed)");
				continue;
			}
			char *cmd = p->last_full != NULL
			                    ? capture_helper_command(
						      helper, run->cfg.proc_root, p->name,
						      p->evidence_deadlock ? "deadlock" : "stall",
						      p->last_full, RUN_EVIDENCE_BUDGET_MS)
			                    : NULL;

			if (cmd != NULL && run_evidence_spawn(run, p, cmd, RUN_EVIDENCE_LIMIT_MS)) {
				free(cmd);
				return;
			}
			free(cmd);
		} else if (step == 2 && p->spec->limits.capture != NULL) {
			char *expanded =
				capture_expand(p->spec->limits.capture, p->evidence_target);
			char line[4200];

			if (expanded == NULL)
				continue;
			snprintf(line, sizeof line, "\ncapture command: %s", expanded);
			capture_note(p->evidence_path, line);
			bool started = run_evidence_spawn(run, p, expanded, RUN_CAPTURE_LIMIT_MS);

			free(expanded);
			if (started)
				return;
		}
	}
	if (p->deadlock_action_pending && p->active)
		run_do_deadlock_action(run, p);
}

void run_evidence_on_verdict(struct run *run, struct pair_rt *p, const struct rule_event *e)
{
	bool deadlock = e->kind == RULE_DEADLOCK;
	const char *verdict = deadlock ? "deadlock" : "stall";
	char err[512], when[32];
	struct event ev = event_init(deadlock ? EVENT_DEADLOCK : EVENT_STALL);

	snprintf(p->evidence_path, sizeof p->evidence_path, "%s/%s.deadlock.txt",
	         run->plan->log_dir, p->name);
	clock_format_rfc3339(clock_wall_ms(), when, sizeof(when));
	if (capture_start_file(p->evidence_path, verdict, when, err, sizeof(err)) < 0) {
		run_note(run, "%s", err);
		p->evidence_path[0] = '\0';
	}
	_Static_assert((int)RULES_MAX_BLOCKED <= (int)EVENT_MAX_PIDS,
	               "every blocked PID fits the event");
	_Static_assert((int)VERDICT_MAX_WAITING <= (int)EVENT_MAX_WAITS &&
	                       (int)SAMPLE_WHAT_LEN <= (int)EVENT_WAIT_LEN,
	               "every outside wait fits the event");
	ev.pair = p->name;
	ev.pid = p->job.pid;
	ev.stalled_s = (double)e->stalled_ms / 1000.0;
	ev.capture = p->evidence_path;
	if (p->evidence_path[0] == '\0')
		event_clear(&ev, EF_CAPTURE);
	if (deadlock) {
		for (int i = 0; i < e->n_blocked; i++)
			ev.blocked_pids[i] = e->blocked_pids[i];
		ev.n_blocked = e->n_blocked;
		ev.threads = e->threads;
		ev.futex_threads = e->futex_threads;
	} else {
		for (int i = 0; i < e->n_waiting; i++) {
			ev.waiting_on[i].pid = e->waiting_on[i].pid;
			ev.waiting_on[i].tid = e->waiting_on[i].tid;
			snprintf(ev.waiting_on[i].what, sizeof ev.waiting_on[i].what, "%s",
			         e->waiting_on[i].what);
		}
		ev.n_waiting_on = e->n_waiting;
	}
	run_emit(run, &ev);
	if (deadlock) {
		p->mp->deadlocked = true;
		p->deadlock_action_pending = true;
	}
	/* No file, or the last evidence process is still being reaped: act
	 * now rather than wait. */
	if (p->evidence_path[0] == '\0' || p->capture.pidfd >= 0 || p->capturing) {
		if (deadlock && !p->capturing)
			run_do_deadlock_action(run, p);
		return;
	}
	p->evidence_deadlock = deadlock;
	p->evidence_target = e->n_blocked > 0 ? e->blocked_pids[0] : p->job.pid;
	p->evidence_step = 0;
	run_evidence_next(run, p);
}

void run_evidence_stop(struct run *run, struct pair_rt *p)
{
	if (p->capturing) {
		p->evidence_step = 3; /* no further step once the pair has gone */
		run_evidence_step_done(run, p);
	}
}
