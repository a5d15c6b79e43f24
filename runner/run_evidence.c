/* Deadlock and stall verdicts into events and evidence. The evidence is
 * taken by two child processes in turn, each watched by its pidfd and
 * stopped at its time bound: the helper mergewatch-evidence (every thread's
 * waits and stacks), then the plan's optional capture command. Only then is
 * the lifecycle told (done), which takes the deadlock action; a stall is
 * never acted on. This file calls nothing in run_pair.c or run.c. */
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

static bool run_evidence_advance(struct run *run, struct pair_rt *p);

/* Stops waiting for the current evidence process (killing it when it still
 * runs: its pidfd stays in the loop until it is reaped, never waited for)
 * and moves on to the next step. */
static void run_evidence_step_done(struct run *run, struct pair_rt *p)
{
	loop_del_timer(run->loop, p->capture_timer);
	p->capture_timer = 0;
	if (p->capture.pidfd >= 0 && !p->capture.reaped)
		job_signal_tree(&p->capture, run->cfg.proc_root, SIGKILL, NULL, NULL, 0, NULL);
	/* The helper's ptrace woke the threads: not the job moving. */
	p->rules.rebase = true;
	if (run_evidence_advance(run, p))
		return;

	void (*done)(struct pair_rt *) = p->capture_done;

	p->capture_done = NULL;
	if (done != NULL)
		done(p);
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
		if (p->evidence_running)
			run_evidence_step_done(run, p);
	}
}

static void run_evidence_timeout(void *ctx, uint64_t now_ms)
{
	struct pair_rt *p = ctx;
	bool helper = p->evidence_step == 1;

	(void)now_ms;
	p->capture_timer = 0;
	capture_note(p->evidence_path, helper ? "(evidence helper stopped at its time bound)"
	                                      : "(capture command stopped at its time bound)");
	run_note(p->run, "pair %s: %s still running after %d s; stopped it", p->name,
	         helper ? "evidence helper" : "capture command",
	         (helper ? RUN_EVIDENCE_LIMIT_MS : RUN_CAPTURE_LIMIT_MS) / 1000);
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
	loop_add_fd(run->loop, p->capture.pidfd, POLLIN, run_evidence_exited, run);
	p->capture_timer = loop_add_timer(run->loop, loop_now_ms(run->loop) + limit_ms,
	                                  run_evidence_timeout, p);
	return true;
}

/* Step 1: the helper on every process of the last full sample. */
static bool run_evidence_helper(struct run *run, struct pair_rt *p)
{
	char helper[4096];

	if (capture_find_helper("mergewatch-evidence", MW_LIBEXECDIR, helper, sizeof helper) < 0) {
		capture_note(p->evidence_path, "(user-space and Python stacks not captured: "
		                               "mergewatch-evidence is not installed)");
		return false;
	}
	char *cmd = p->last_full != NULL
	                    ? capture_helper_command(helper, run->cfg.proc_root, p->name,
	                                             p->evidence_deadlock ? "deadlock" : "stall",
	                                             p->last_full, RUN_EVIDENCE_BUDGET_MS)
	                    : NULL;
	bool started = cmd != NULL && run_evidence_spawn(run, p, cmd, RUN_EVIDENCE_LIMIT_MS);

	free(cmd);
	return started;
}

/* Step 2: the plan's capture command, with {pid} the first blocked process. */
static bool run_evidence_command(struct run *run, struct pair_rt *p)
{
	char line[4200];

	if (p->spec->limits.capture == NULL)
		return false;
	char *expanded = capture_expand(p->spec->limits.capture, p->evidence_target);

	if (expanded == NULL)
		return false;
	snprintf(line, sizeof line, "\ncapture command: %s", expanded);
	capture_note(p->evidence_path, line);
	bool started = run_evidence_spawn(run, p, expanded, RUN_CAPTURE_LIMIT_MS);

	free(expanded);
	return started;
}

/* Starts the next step that can start: true when one runs, false (and the
 * evidence is over) when none is left. */
static bool run_evidence_advance(struct run *run, struct pair_rt *p)
{
	while (p->evidence_step < 3) {
		int step = ++p->evidence_step;

		if (step == 1 && run_evidence_helper(run, p))
			return true;
		if (step == 2 && run_evidence_command(run, p))
			return true;
	}
	p->evidence_running = false;
	return false;
}

static void run_evidence_event(struct run *run, struct pair_rt *p, const struct rule_event *e)
{
	bool deadlock = e->kind == RULE_DEADLOCK;
	struct event ev = event_init(deadlock ? EVENT_DEADLOCK : EVENT_STALL);

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
		p->mp->deadlocked = true;
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
}

bool run_evidence_begin(struct run *run, struct pair_rt *p, const struct rule_event *e,
                        void (*done)(struct pair_rt *p))
{
	bool deadlock = e->kind == RULE_DEADLOCK;
	char err[512], when[32];

	if (p->evidence_running) {
		/* Evidence of an earlier stall is being taken: the file names
		 * what is found; tell the lifecycle when it is in. */
		run_evidence_event(run, p, e);
		if (done != NULL)
			p->capture_done = done;
		return done != NULL;
	}
	snprintf(p->evidence_path, sizeof p->evidence_path, "%s/%s.deadlock.txt",
	         run->plan->log_dir, p->name);
	clock_format_rfc3339(clock_wall_ms(), when, sizeof(when));
	if (capture_start_file(p->evidence_path, deadlock ? "deadlock" : "stall", when, err,
	                       sizeof(err)) < 0) {
		run_note(run, "%s", err);
		p->evidence_path[0] = '\0';
	}
	run_evidence_event(run, p, e);
	/* No file, or the last evidence process is still being reaped:
	 * nothing to wait for. */
	if (p->evidence_path[0] == '\0' || p->capture.pidfd >= 0)
		return false;
	p->evidence_running = true;
	p->evidence_deadlock = deadlock;
	p->evidence_target = e->n_blocked > 0 ? e->blocked_pids[0] : p->job.pid;
	p->evidence_step = 0;
	if (!run_evidence_advance(run, p))
		return false; /* nothing could be started: act now */
	p->capture_done = done;
	return done != NULL;
}

void run_evidence_stop(struct run *run, struct pair_rt *p)
{
	if (!p->evidence_running)
		return;
	p->evidence_step = 3; /* no further step once the pair has gone */
	p->capture_done = NULL;
	run_evidence_step_done(run, p);
}
