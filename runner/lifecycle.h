/* A pair's lifecycle as one table, as s6-supervise's actions[state][event]
 * and tmux's job.c keep theirs: the phase a pair is in, what can happen to
 * it, and for each (phase, happening) the next phase and the action the
 * runner takes. Pure data and lookups: run_pair.c performs the actions,
 * and the loop's callbacks (a root's pidfd, timers, the operator's keys,
 * the rules' verdicts) only translate what happened into a lc_event for
 * run_pair_send. The view model's pair state is published from the phase
 * (lifecycle_view), never read back. Every pair has its own phase, so any
 * number of pairs can be alive at once.
 *
 * Adding a phase or an event (e.g. issue 11's persisted steps: a per-pair
 * supervisor that records the exit status, cleanup as a child process):
 *   1. a value in enum pair_phase (before PHASE_N) or enum lc_event, and
 *      its name in lifecycle.c's phase_rows[] or event_names[];
 *   2. its row in phase_rows[]: the view state it shows as and whether it
 *      is final, watched (its tree is sampled) or busy (a process of ours
 *      runs for it);
 *   3. its transitions in lifecycle.c's table[][]: { next phase, action };
 *      an absent entry means the event changes nothing in that phase;
 *   4. a new action is a value of enum lc_action and a case in
 *      run_pair.c's run_pair_act_on(), which may post the next event.
 * For instance cleanup as a child: END_DONE -> { PHASE_CLEANING,
 * LA_CLEAN_START }, and in PHASE_CLEANING, CLEANED -> { PHASE_DONE,
 * LA_FINISH } posted from the cleanup child's pidfd. tests/unit/
 * test_lifecycle.c walks the table. */
#ifndef MW_LIFECYCLE_H
#define MW_LIFECYCLE_H

#include <stdbool.h>

#include "../core/event.h"
#include "../core/model.h"
#include "../core/rules.h"

enum pair_phase {
	PHASE_PENDING,         /* waiting for its turn */
	PHASE_PENDING_SKIP,    /* the operator skipped it: it ends when its turn comes */
	PHASE_GATE,            /* waiting for the health gate */
	PHASE_RUNNING,         /* its root runs and its tree is watched */
	PHASE_CAPTURING,       /* deadlocked: evidence is being taken before on_deadlock acts */
	PHASE_STOPPING,        /* signalled, waiting for the root to go */
	PHASE_EXITED,          /* the root was reaped: its exit is being judged */
	PHASE_VERIFYING,       /* the verify command runs, watched under the pair's limits */
	PHASE_VERIFY_STOPPING, /* verify signalled (its timeout, kill_rss, shutdown) */
	PHASE_CLEANING,        /* verified; its cleanup child runs */
	PHASE_DONE,
	PHASE_FAILED,
	PHASE_KILLED,
	PHASE_SKIPPED,
	PHASE_LEFT, /* left running unwatched (quit, leave it running) */
	PHASE_N
};

/* What can happen to a pair. */
enum lc_event {
	LE_TURN,          /* its turn came: prepare and start it */
	LE_SKIP,          /* the operator skipped it */
	LE_ABANDON,       /* an earlier pair failed and on_failure = stop */
	LE_GATE_CLOSED,   /* not enough memory to start it yet */
	LE_GATE_TICK,     /* a base tick while it waits for the gate */
	LE_GATE_OPEN,     /* enough memory: launch it */
	LE_STARTED,       /* its root runs (spawned, adopted or attached) */
	LE_STOP,          /* stop it: lc_input's reason, signal, outcome */
	LE_GRACE_OVER,    /* its kill_grace ran out: SIGKILL */
	LE_DEADLOCK,      /* the rules found it deadlocked (lc_input's rule) */
	LE_CAPTURE_DONE,  /* the deadlock's evidence is in (or none could be had) */
	LE_EXIT,          /* its root exited and was reaped */
	LE_VERIFY_START,  /* its verify command was started */
	LE_VERIFIED,      /* output fresh and verify passed (or recorded so): clean up */
	LE_CLEANED,       /* the cleanup child has ended */
	LE_INTERRUPTED,   /* an adopted root ended with no recorded status: run again */
	LE_RESUME_EXITED, /* the state or the supervisor's record says its command ended */
	LE_END_DONE,      /* how it ended, with lc_input's reason */
	LE_END_FAILED,
	LE_END_KILLED,
	LE_END_SKIPPED,
	LE_REQUEUE,      /* it ended, and runs again (restart, retry) */
	LE_END_REQUEUED, /* stopped for the memory budget: back in the queue, no failure */
	LE_LEAVE,        /* stop watching it, leaving it running */
	LE_N
};

/* What the runner does on a transition (run_pair.c). */
enum lc_action {
	LA_NONE,
	LA_PREPARE,      /* resumed? adopt? attach? inputs, gate: posts what it found */
	LA_GATE_WAIT,    /* gate_wait event, the wait starts */
	LA_GATE_CHECK,   /* posts LE_GATE_OPEN or, once gate_timeout is over, LE_END_FAILED */
	LA_LAUNCH,       /* cgroup, spawn: posts LE_STARTED or LE_END_FAILED */
	LA_WATCH,        /* pair_start event, sampling, timeout, exit watch */
	LA_SIGNAL,       /* kill event, signal the tree, grace timer */
	LA_ESCALATE,     /* already stopping: only a SIGKILL goes on */
	LA_CAPTURE,      /* deadlock event, evidence; posts LE_CAPTURE_DONE unless a
	                  * capture command runs */
	LA_ON_DEADLOCK,  /* on_deadlock: alert, kill or restart */
	LA_REAP,         /* stragglers, last progress, judge: posts how it ended */
	LA_REAP_STOPPED, /* the same, ending as the stop asked */
	LA_FINISH,       /* pair_end event, cleanup, state; retry or next */
	LA_UNWATCH,      /* stop watching, leave the processes (and the cap) be */
	LA_REQUEUE,      /* pair_end requeued, the larger figure; it runs again when it fits */
	LA_JUDGE,        /* how its command ended is known: judge it (resume) */
	LA_WATCH_VERIFY, /* watch the verify command as the pair, with verify_timeout */
	LA_VERIFY_END,   /* verify was reaped: posts LE_VERIFIED or how it failed */
	LA_VERIFY_END_STOPPED, /* the same after a stop: failed, or shutdown */
	LA_CLEAN_START,        /* record verified, cleaning; start the cleanup child */
	LA_INTERRUPTED,        /* pair_end interrupted, recorded; it runs again */
};

/* Where an event leads from a phase. valid false: it changes nothing. */
struct lc_step {
	bool valid;
	enum pair_phase next;
	enum lc_action action;
};

/* What happened, with what the event needs. */
struct lc_input {
	enum lc_event event;
	enum event_reason reason;      /* LE_STOP, LE_END_*, LE_ABANDON */
	int sig;                       /* LE_STOP: SIGTERM (kill_grace follows) or SIGKILL */
	enum pair_phase stop_as;       /* LE_STOP: PHASE_KILLED or PHASE_SKIPPED */
	bool restart;                  /* LE_STOP: run it again once it has gone */
	const struct rule_event *rule; /* LE_DEADLOCK: the verdict, borrowed */
};

struct lc_step lifecycle_step(enum pair_phase phase, enum lc_event event);

const char *lifecycle_phase_name(enum pair_phase phase); /* "running" */
const char *lifecycle_event_name(enum lc_event event);   /* "exit" */

/* The state the dashboard and the metrics show for a phase. */
enum pair_state lifecycle_view(enum pair_phase phase);
/* Done, failed, killed or skipped: nothing more happens to it this run. */
bool lifecycle_final(enum pair_phase phase);
/* Its tree is ours to sample, signal and wait for. */
bool lifecycle_watched(enum pair_phase phase);
/* A process of ours runs for it (its tree, or its verify command). */
bool lifecycle_busy(enum pair_phase phase);

#endif
