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
#include "loop.h"
#include "../logdir/metrics.h"
#include "../core/model.h"
#include "../jobs/progress.h"
#include "run.h"
#include "../logdir/samplelog.h"
#include "../logdir/state.h"

enum {
	RUN_MIN_CHECK_MS = 1,         /* fastest RSS check near the line */
	RUN_DISCOVER_MS = 100,        /* near the line, new processes are looked for this often */
	RUN_CAPTURE_LIMIT_MS = 30000, /* the capture command's bound */
	RUN_ALERT_GRACE_MS = 10000,   /* queued alerts' time to go out at exit */
	RUN_MAX_CGROUP_PIDS = 4096,
	RUN_MAX_ORPHANS = 16,
};

/* A live process the state records for a pair the plan no longer has:
 * waited for before any pair starts. */
struct run_orphan {
	char name[STATE_NAME_MAX + 1];
	pid_t pid;
	int pidfd;
};

/* How the pair's end was decided before its root exited. */
struct pair_stop {
	bool requested;
	enum event_reason reason; /* rss, timeout, deadlock, operator, shutdown */
	enum pair_state status;   /* PAIR_KILLED or PAIR_SKIPPED */
	bool restart;             /* run it again afterwards */
	uint64_t grace_timer;
};

struct pair_rt {
	struct run *run;
	int index;
	const struct pair_spec *spec;
	struct model_pair *mp;
	char name[STATE_NAME_MAX + 1];
	char log_path[4096];
	int attempt;
	bool active; /* its tree is being watched */
	struct job job;
	struct proctree *tree;
	const struct tree_sample *last_full;
	struct cgroup *cg;
	char adopted_cgroup[4096]; /* the group a dead mergewatch made for an adopted pair */
	long oom_kills_at_start;
	struct progress *progress;
	uint64_t progress_done, progress_total;
	uint64_t progress_logged_ms;
	bool progress_unlogged;
	struct rules_limits lim;
	struct rules_pair_state rules;
	uint64_t scan_still_since; /* the stall the thread-scan back-off is for */
	int scan_gap, scan_skip;   /* ticks between thread scans, ticks left to skip */
	uint64_t fast_timer;
	uint64_t timeout_timer;
	uint64_t started_ms;
	uint64_t gate_since_ms;
	bool skip_requested;
	bool paused;
	struct pair_stop stop;
	/* after the root exited */
	int exit_code, term_signal;
	bool verifying; /* job is the verify command (watched as the pair) */
	/* lose nothing (run_safe.c) */
	char record_path[4096];     /* <log_dir>/<pair>.job: the supervisor's record */
	int64_t attempt_started_ns; /* coarse wall clock; the record's token */
	bool adopted;               /* job is an orphan of an earlier mergewatch */
	bool resume_decided;        /* what the state recorded has been acted on */
	bool keep_record;           /* pair_end without touching the state */
	bool record_oom;            /* its supervisor saw the kernel cap's OOM kill */
	struct job cleanup;         /* the cleanup child while cleaning */
	int cleanup_pipe;           /* its result line */
	bool cleaning;
	/* deadlock evidence */
	struct job capture;
	bool capturing;
	uint64_t capture_timer;
	bool deadlock_action_pending;
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
	uint64_t tick_timer;
	uint64_t started_ms;
	double assumed_rate_bytes_per_ms; /* worst-case growth before any is seen */
	bool over;                        /* run_end written */
	bool leaving;                     /* quit leaving the pair running */
	int stop_signal;                  /* SIGINT/SIGTERM received */
	bool log_error_reported;
	bool metrics_error_reported;
	bool state_error_reported;
	uint64_t exit_deadline_ms;
	int counts[PAIR_SKIPPED + 1];
	/* groups the kernel had not let go of when their pair ended */
	struct cgroup *pending_cgroups[16];
	int n_pending_cgroups;
	uint64_t cgroup_timer;
	int cgroup_tries;
	struct run_orphan orphans[RUN_MAX_ORPHANS];
	int n_orphans;
};

/* run.c */
/* Stamps ev with the time and hands it to the event log, the alerts, the
 * metrics and the dashboard's Alerts pane. */
void run_emit(struct run *run, struct event *ev);
void run_note(struct run *run, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Ends the run once every pair has ended; stops the loop when done. */
void run_check_over(struct run *run);

/* Removes a finished pair's cgroup, now or (while the kernel still holds
 * it) from a timer; never blocks. */
void run_release_cgroup(struct run *run, struct cgroup *cg);

/* run_pair.c */
void run_pair_next(struct run *run);
void run_pair_begin_watch(struct run *run, struct pair_rt *p);
void run_pair_kill(struct run *run, struct pair_rt *p, enum event_reason reason, int sig,
                   enum pair_state status);
void run_pair_on_exit(struct run *run, struct pair_rt *p);
void run_pair_gate_check(struct run *run, struct pair_rt *p, uint64_t now_ms);
int run_pair_act(void *ctx, enum model_action action, int index);

void run_pair_watch(struct run *run, struct pair_rt *p);
void run_pair_judge(struct run *run, struct pair_rt *p);
void run_pair_finish(struct run *run, struct pair_rt *p, enum pair_state status,
                     enum event_reason reason);
struct event run_pair_start_event(const struct pair_rt *p, uint64_t input_bytes);
/* Limits and attempt number, before a pair is started or adopted. */
void run_pair_prepare(struct run *run, struct pair_rt *p);

/* run_safe.c */
char *run_safe_path(const struct run *run, const struct pair_rt *p, const char *path);
int64_t run_safe_now_ns(void);
void run_safe_record(struct run *run, struct pair_rt *p, enum state_status status,
                     enum event_reason reason);
int run_safe_claim(struct run *run, char *err, size_t errlen);
void run_safe_continue(struct run *run, struct pair_rt *p);
void run_safe_interrupted(struct run *run, struct pair_rt *p, enum event_reason reason);
void run_safe_interrupted_cleanup(struct run *run, struct pair_rt *p);
bool run_safe_resume_pair(struct run *run, struct pair_rt *p);
void run_safe_resume_all(struct run *run);
enum event_reason run_safe_output_check(struct run *run, struct pair_rt *p);
struct cgroup *run_safe_cgroup(struct run *run, struct pair_rt *p);
/* The pair's command or verify as a job: its cwd, env, log, cgroup, oom
 * score 500 and the signal mask. */
struct job_spec run_safe_job_spec(struct run *run, struct pair_rt *p, const char *command,
                                  const char *cwd);
void run_safe_verify_start(struct run *run, struct pair_rt *p);
void run_safe_verify_ended(struct run *run, struct pair_rt *p, int code, int sig);
void run_safe_verified(struct run *run, struct pair_rt *p);
bool run_safe_busy(const struct run *run);
/* Whether a pair recorded started names the cgroup at path. */
bool run_safe_group_recorded(const struct run *run, const char *path);

/* run_sample.c */
void run_sample_tick(struct run *run, uint64_t now_ms);
void run_sample_pair_full(struct run *run, struct pair_rt *p, uint64_t now_ms);
void run_sample_schedule_fast(struct run *run, struct pair_rt *p, uint64_t now_ms);
void run_sample_stop_pair(struct run *run, struct pair_rt *p);
/* Reads new PROGRESS lines; logs a progress event at most once a second, or
 * now when final. */
void run_sample_progress(struct run *run, struct pair_rt *p, uint64_t now_ms, bool final);
double run_sample_assumed_rate(void);

#endif
