/* Shared by the run_*.c files only: the run's state. */
#ifndef MW_RUN_INTERNAL_H
#define MW_RUN_INTERNAL_H

#include <signal.h>

#include "../alerts/alerts.h"
#include "../core/event.h"
#include "../logdir/eventlog.h"
#include "../core/rules.h"
#include "../collectors/proctree.h"
#include "../collectors/sysmem.h"

#include "../jobs/cgroup.h"
#include "../jobs/job.h"
#include "lifecycle.h"
#include "loop.h"
#include "../logdir/metrics.h"
#include "../core/model.h"
#include "../jobs/progress.h"
#include "run.h"
#include "../logdir/samplelog.h"
#include "../logdir/state.h"
#include "../logdir/systemd.h"

enum {
	RUN_MIN_CHECK_MS = 1,         /* fastest RSS check near the line */
	RUN_DISCOVER_MS = 100,        /* near the line, new processes are looked for this often */
	RUN_CAPTURE_LIMIT_MS = 30000, /* the capture command's bound */
	RUN_ALERT_GRACE_MS = 10000,   /* queued alerts' time to go out at exit */
	RUN_MAX_CGROUP_PIDS = 4096,
	RUN_JOBS_MARGIN_SHARE =
		32, /* jobs > 1: the budget's 1/32 is what a sample's growth may bring */
	RUN_MAX_ORPHANS = 16,
};

/* A live process the state records for a pair the plan no longer has:
 * waited for before any pair starts. */
struct run_orphan {
	char name[STATE_NAME_MAX + 1];
	pid_t pid;
	int pidfd;
};

/* How a stop asked for before the root exited wants the pair to end. */
struct pair_stop {
	enum event_reason reason; /* rss, timeout, deadlock, operator, shutdown */
	enum pair_phase end_as;   /* PHASE_KILLED or PHASE_SKIPPED */
	bool restart;             /* run it again once it has gone */
	uint64_t grace_timer;
};

struct pair_rt {
	struct run *run;
	int index;
	const struct pair_spec *spec;
	struct model_pair *mp; /* published to, never read back */
	enum pair_phase phase; /* lifecycle.h; changed by run_pair_send only */
	char name[STATE_NAME_MAX + 1];
	char log_path[4096];
	int attempt;
	bool resumed; /* done in an earlier run (the state said so) */
	struct job job;
	struct proctree *tree;
	const struct tree_sample *last_full;
	struct cgroup *cg;
	char adopted_cgroup[4096]; /* the group a dead mergewatch made for an adopted pair */
	long oom_kills_at_start;
	long oom_kills_seen; /* the most memory.events showed while the pair ran */
	int group_events_fd; /* its memory.events, polled; -1: none */
	struct progress *progress;
	uint64_t progress_done, progress_total;
	uint64_t progress_logged_ms;
	bool progress_unlogged;
	struct rules_limits lim;
	struct rules_pair_state rules;
	uint64_t rss_bytes, peak_rss_bytes; /* the tree's, latest and highest this attempt */
	uint64_t scan_still_since;          /* the stall the thread-scan back-off is for */
	int scan_gap, scan_skip;            /* ticks between thread scans, ticks left to skip */
	uint64_t fast_timer;
	uint64_t timeout_timer;
	uint64_t started_ms;
	uint64_t gate_since_ms;
	/* The operator's SIGSTOP: a state of the processes, not of the
	 * lifecycle (a paused tree is running, capturing or stopping all the
	 * same), so that stopping it sends SIGCONT too. */
	bool paused;
	struct pair_stop stop;
	/* after the root exited */
	int exit_code, term_signal;
	/* lose nothing (run_safe.c) */
	char record_path[4096];         /* <log_dir>/<pair>.job: the supervisor's record */
	int64_t attempt_started_ns;     /* coarse wall clock; the record's token */
	bool adopted;                   /* job is an orphan of an earlier mergewatch */
	bool resume_decided;            /* what the state recorded has been acted on */
	bool keep_record;               /* pair_end without touching the state */
	bool record_oom;                /* its supervisor saw the kernel cap's OOM kill */
	int verify_code, verify_signal; /* how verify (p->job while verifying) ended */
	struct job cleanup;             /* the cleanup child while cleaning */
	int cleanup_pipe;               /* its result line */
	/* deadlock and stall evidence (run_evidence.c): the helper, then the
	 * capture command, while it runs or is reaped */
	struct job capture;
	uint64_t capture_timer;
	void (*capture_done)(struct pair_rt *p); /* set while the lifecycle waits for it */
	bool evidence_running;
	bool evidence_deadlock;
	int evidence_step; /* 1 helper, 2 capture command, 3 done */
	pid_t evidence_target;
	char evidence_path[4096];
	/* several pairs at once (run_jobs.c) */
	bool settled;                   /* resume, skip and adoption were looked at */
	uint64_t memory_max_bytes;      /* its own cap, resolved at launch */
	uint64_t cap_bytes;             /* its kernel cap now */
	bool budget_capped;             /* its cap is below memory_max for the budget */
	bool killed_at_budget_cap;      /* the kernel stopped this attempt at that cap */
	bool budget_stop;               /* this attempt is being stopped for the budget */
	uint64_t start_seq;             /* order of starts: the youngest has the highest */
	uint64_t admit_bytes;           /* what it counts for: prediction or the peak it reached */
	uint64_t requeue_peak_bytes;    /* the figure its requeued attempts showed it needs */
	uint64_t requeue_reached_bytes; /* the most a requeued attempt of it reached */
	int requeues;                   /* attempts stopped for the budget (no retry used) */
};

struct run {
	struct run_config cfg;
	struct plan *plan;
	struct loop *loop;
	struct eventlog *log;
	struct samplelog *samples; /* for `mergewatch report`; NULL when it cannot be written */
	struct metrics *metrics;   /* --metrics-file; NULL: none */
	struct alerts *alerts;
	struct state *state;
	int lock_fd;
	struct sysmem *sysmem;
	struct sys_sample sys;
	struct rules_sys_state sys_rules;
	struct rules_sys_limits sys_lim;
	struct cgroup_probe cgroup;
	int signal_fd;
	sigset_t orig_mask;
	void *tui; /* the dashboard (cfg.view), NULL when headless */
	struct model model;
	struct model_actions actions;
	struct pair_rt *pairs;
	int n_pairs;
	int current; /* run mode: the pair in progress, n_pairs when over */
	uint64_t started_ms;
	double assumed_rate_bytes_per_ms; /* worst-case growth before any is seen */
	bool over;                        /* run_end written */
	bool leaving;                     /* quit leaving the pair running */
	int stop_signal;                  /* SIGINT/SIGTERM received */
	bool log_error_reported;
	bool metrics_error_reported;
	bool state_error_reported;
	uint64_t exit_deadline_ms;
	int counts[PAIR_N_STATES];
	uint64_t start_seq;      /* pairs started so far (run_jobs.c) */
	bool cap_error_reported; /* a cap the kernel refused to move, said once */
	/* A pair was stopped for the budget and no pair has ended since:
	 * while a pair past its prediction still runs, nothing starts
	 * (run_jobs.c). It may still be growing; a pair started beside it
	 * now would only be stopped again, its work lost each time. */
	bool admission_held;
	/* A pair ended: the next ones get their turn before the loop sleeps
	 * (run.c), never from inside the code that ended it. */
	bool turn_due;
	/* groups the kernel had not let go of when their pair ended */
	struct cgroup *pending_cgroups[16];
	int n_pending_cgroups;
	uint64_t cgroup_timer;
	int cgroup_tries;
	struct run_orphan orphans[RUN_MAX_ORPHANS];
	int n_orphans;
	char run_id[33];      /* run_start's run_id */
	uint64_t watchdog_ms; /* systemd's WatchdogSec=, 0: none */
	uint64_t watchdog_timer;
	bool stdout_is_tty; /* SIGHUP mutes standard output only then */
};

/* The runner's files call down this list only (run.c on top):
 *   run.c         set-up, signals, keys, the tick, the end of the run
 *   run_pair.c    the lifecycle's actions (run_pair_send) and the operator's
 *   run_sample.c  sampling and the rules; posts to the lifecycle
 *   run_jobs.c    several pairs at once: admission and containment each turn
 *   run_cgroup.c  groups the kernel has not let go of yet
 *   run_emit.c    events and notes out */

/* Several pairs at once (jobs above 1, or auto; never under watch): the
 * run's turns go to run_jobs.c instead of run_pair_next. */
static inline bool run_jobs_several(const struct run *run)
{
	return !run->cfg.watch && run->plan->jobs != 1;
}

/* run_emit.c */
/* Stamps ev with the time and hands it to the event log, the alerts, the
 * metrics and the dashboard's Alerts pane. */
void run_emit(struct run *run, struct event *ev);
/* A diagnostic for the operator: standard error when there is no dashboard,
 * the dashboard's footer otherwise. */
void run_note(struct run *run, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Reaps the orphans of pairs that mergewatch adopted as their subreaper
 * once they have exited (never a pair's own job: their pidfds reap them). */
void run_reap_orphans(struct run *run);

/* run_cgroup.c */
/* Removes a finished pair's cgroup, now or (while the kernel still holds
 * it) from a timer; never blocks. */
void run_release_cgroup(struct run *run, struct cgroup *cg);
/* At the end: one last try for every group still held. */
void run_release_cgroups_now(struct run *run);

/* run_pair.c */
/* Hands what happened to p to its lifecycle: the transition, the view
 * model published, the action taken (which may post further events). */
void run_pair_send(struct pair_rt *p, const struct lc_input *in);
/* The same, for an event that carries nothing more. */
void run_pair_post(struct pair_rt *p, enum lc_event event);
/* Gives the next pairs of the plan their turn (watch: every pair at once);
 * never from inside the code that ended a pair (a timer calls it). */
void run_pair_next(struct run *run);
/* Hands the rules' verdicts on p's sample (run_sample_pair) to its
 * lifecycle, in order, and schedules its next RSS check. */
void run_pair_verdicts(struct pair_rt *p, const struct rule_event *evs, size_t n, uint64_t now_ms);
int run_pair_act(void *ctx, enum model_action action, int index);
void run_pair_free(struct pair_rt *p);
/* Several pairs at once: p's inputs measured, then launched (admission
 * let it start); false when its inputs are missing (it failed). */
bool run_pair_admit(struct run *run, struct pair_rt *p);
/* p waits at the health gate from now: gate_wait. */
void run_pair_gate_wait(struct run *run, struct pair_rt *p, uint64_t needed);
/* Stops p for the memory budget: it is requeued once it has gone. */
void run_pair_stop_for_budget(struct pair_rt *p);
/* p was stopped for the budget and has gone: pair_end requeued, it waits
 * to run again (also for an attempt a dead mergewatch so stopped). */
void run_pair_requeue(struct run *run, struct pair_rt *p);
/* How p ended, with why (LE_END_FAILED, REASON_GATE...). */
void run_pair_end(struct pair_rt *p, enum lc_event end, enum event_reason reason);

/* run_jobs.c */
/* Settles pairs (resumed, skipped, adopted), stops what must go, moves the
 * caps, starts what fits. */
void run_jobs_turn(struct run *run);

/* run_pair.c, for run_safe.c */
/* How p ended, and why (an LE_END_* event). */
void run_pair_end(struct pair_rt *p, enum lc_event end, enum event_reason reason);
struct event run_pair_start_event(const struct pair_rt *p, uint64_t input_bytes);
/* Signals every process of the pair: its tree and its cgroup's. */
void run_pair_signal_tree(struct run *run, struct pair_rt *p, int sig);
/* The next pairs get their turn before the loop sleeps (run.c). */
void run_pair_schedule_next(struct run *run);

/* run_safe.c: lose nothing */
/* A path of the plan (output, inputs, cleanup) as the pair's command sees
 * it; caller frees; NULL on ENOMEM. */
char *run_safe_path(const struct run *run, const struct pair_rt *p, const char *path);
/* Wall time from the clock the kernel stamps files with, in ns. */
int64_t run_safe_now_ns(void);
/* Records p's lifecycle step in the state file (atomically), before the
 * step is taken. */
void run_safe_record(struct run *run, struct pair_rt *p, enum state_status status,
                     enum event_reason reason);
/* Ties the state to the plan file; -EBUSY with err when another owns it. */
int run_safe_claim(struct run *run, char *err, size_t errlen);
/* SIGCONT to p's tree and session: nothing is left or adopted stopped. */
void run_safe_continue(struct run *run, struct pair_rt *p);
/* pair_end "interrupted", recorded pending: the pair runs again. */
void run_safe_interrupted(struct run *run, struct pair_rt *p, enum event_reason reason);
/* At p's turn: acts on what the state records of it; true when that
 * handled the pair (done, adopted, judged, cleanup resumed). */
bool run_safe_resume_pair(struct run *run, struct pair_rt *p);
/* Before any pair starts: live orphans adopted or waited for. */
void run_safe_resume_all(struct run *run);
/* REASON_NONE when p's output is this attempt's, else why not. */
enum event_reason run_safe_output_check(struct run *run, struct pair_rt *p);
/* A cgroup of the pair's own (NULL where there is none, noted). */
struct cgroup *run_safe_cgroup(struct run *run, struct pair_rt *p);
/* The pair's command or verify as a job: its cwd, env, log, cgroup, oom
 * score 500 and the signal mask. */
struct job_spec run_safe_job_spec(struct run *run, struct pair_rt *p, const char *command,
                                  const char *cwd);
/* Starts verify as p's job and posts LE_VERIFY_START (or how it failed). */
void run_safe_verify_start(struct run *run, struct pair_rt *p);
/* verify was reaped: posts LE_VERIFIED or how the pair ended. */
void run_safe_verify_ended(struct run *run, struct pair_rt *p, bool stopped);
/* Verified: recorded so, then cleaning, then the cleanup child (or at once
 * LE_CLEANED without a cleanup). */
void run_safe_clean_start(struct run *run, struct pair_rt *p);
/* A pair's process of ours runs, or a removed pair's orphan is awaited. */
bool run_safe_busy(const struct run *run);
/* Whether a pair recorded started names the cgroup at path. */
bool run_safe_group_recorded(const struct run *run, const char *path);

/* run_sample.c */
/* Pair p's orphans that mergewatch adopted as their subreaper: children
 * naming the pair that are none of its own jobs. How many, into out. */
int run_sample_orphans(struct run *run, const struct pair_rt *p, pid_t *out, int max);
/* System memory, its history and the pressure rule, at each base tick. */
void run_sample_system(struct run *run, uint64_t now_ms);
/* Samples p's tree: in full (every process, its threads as the deadlock
 * rule needs them, its progress), or only the RSS of the processes the last
 * full sample found (full false; a full one when that is too old). Keeps
 * and publishes the figures, runs the rules and writes their verdicts to
 * out (RULES_MAX_EVENTS at most); returns how many. */
size_t run_sample_pair(struct run *run, struct pair_rt *p, uint64_t now_ms, bool full,
                       struct rule_event *out);
/* What a verdict means: approach, bloat, stall and resolved are logged here
 * (false; a stall's evidence is started, never acted on); a kill or a
 * deadlock is for the lifecycle (true, *in set; in borrows e). */
bool run_sample_verdict(struct run *run, struct pair_rt *p, const struct rule_event *e,
                        struct lc_input *in);
/* The deadlock's event and evidence (run_evidence.c): true when the
 * evidence is being taken (done is called once it is in), false when there
 * is nothing to wait for. */
bool run_sample_deadlock(struct run *run, struct pair_rt *p, const struct rule_event *e,
                         void (*done)(struct pair_rt *p));
/* The wait before p's next RSS check, or 0 when the base tick comes soon
 * enough (far from the line, no line, paused). */
uint64_t run_sample_next_check_ms(struct run *run, struct pair_rt *p);
/* Stops sampling p (its root has gone or is left be). */
void run_sample_stop_pair(struct run *run, struct pair_rt *p);

/* run_evidence.c: a deadlock's or a stall's event and evidence, taken by the
 * helper then the capture command, each a child watched by its pidfd.
 * Returns true when done (may be NULL: a stall) will be called once the
 * evidence is in, false when there is nothing to wait for. */
bool run_evidence_begin(struct run *run, struct pair_rt *p, const struct rule_event *e,
                        void (*done)(struct pair_rt *p));
/* Stops taking evidence for p (its root has gone), without calling done. */
void run_evidence_stop(struct run *run, struct pair_rt *p);
/* Reads new PROGRESS lines; logs a progress event at most once a second, or
 * now when final. */
void run_sample_progress(struct run *run, struct pair_rt *p, uint64_t now_ms, bool final);
double run_sample_assumed_rate(void);

#endif
