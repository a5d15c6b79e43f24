/* The snapshot the dashboard renders: plain data the runner keeps up to date
 * on the loop's thread. The TUI only reads it, and acts only through the
 * model_actions callbacks, which are the same runner functions the policies
 * use. */
#ifndef MW_MODEL_H
#define MW_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../collectors/sample.h"
#include "event.h"

enum pair_state {
	PAIR_PENDING,
	PAIR_GATE, /* waiting for the health gate */
	PAIR_RUNNING,
	PAIR_STOPPING, /* signalled, waiting for the tree to go */
	PAIR_VERIFYING,
	PAIR_DONE,
	PAIR_FAILED,
	PAIR_KILLED,
	PAIR_SKIPPED,
};
enum { PAIR_N_STATES = PAIR_SKIPPED + 1 };

/* "pending", "gate", ...: the dashboard's and the metrics file's word for
 * a state. */
const char *pair_state_name(enum pair_state s);

/* What a deadlock verdict leads to (the plan's on_deadlock), as the view
 * tells it. */
enum model_on_deadlock {
	MODEL_ON_DEADLOCK_ALERT,
	MODEL_ON_DEADLOCK_KILL,
	MODEL_ON_DEADLOCK_RESTART,
};

enum {
	MODEL_HISTORY = 240, /* samples of memory history kept (one per base interval) */
	MODEL_ALERTS = 64,   /* latest alert lines kept */
	MODEL_TEXT = 160,
};

/* Several pairs at once: why a pending pair has not started. */
enum model_wait {
	MODEL_WAIT_NONE,   /* not waiting, or one pair at a time */
	MODEL_WAIT_SLOT,   /* `jobs` pairs run already */
	MODEL_WAIT_BUDGET, /* its figure does not fit beside the running pairs */
	MODEL_WAIT_ORDER,  /* an earlier pair waits at the health gate */
	MODEL_WAIT_HELD,   /* a pair was stopped for the budget: none starts until one ends */
};

struct model_pair {
	const char *name; /* borrowed from the plan */
	enum pair_state state;
	bool paused;
	bool resumed;                           /* done in an earlier run */
	int attempt;                            /* 1-based */
	pid_t pid;                              /* root process while running, else 0 */
	uint64_t progress_done, progress_total; /* total 0: no progress seen */
	uint64_t started_ms, ended_ms;          /* monotonic; ended 0 while running */
	uint64_t rss_bytes, peak_rss_bytes;
	uint64_t input_bytes;
	uint64_t kill_rss_bytes;
	uint64_t predicted_peak_bytes; /* 0: no prediction */
	double ratio;                  /* rss / input, 0 without inputs */
	int exit_code;                 /* -1: none */
	int signal;                    /* 0: none */
	char reason[32];               /* how it ended: "rss", "timeout", "gate", ... */
	bool bloated, deadlocked, approaching;
	uint64_t stalled_ms; /* time the tree has made no progress */
	/* What happens next: the limits the runner will act on. */
	uint64_t timeout_ms;         /* 0: none */
	uint64_t deadlock_window_ms; /* stalled this long: the deadlock verdict */
	const char *on_deadlock;     /* "alert", "kill", "restart"; borrowed, for display */
	enum model_on_deadlock deadlock_action; /* the same, to decide on */
	const char *log_path;                   /* the pair's output log; borrowed, NULL: none */
	bool status_unknown; /* watch: it ended, but how is its parent's to know */
	enum model_wait wait;
	uint64_t wait_free_bytes; /* MODEL_WAIT_BUDGET: the budget's room now */
};

struct model_alert {
	uint64_t wall_ms;             /* realtime, ms since the epoch */
	char kind[16];                /* "bloat", "kill", "deadlock", ... */
	enum event_priority priority; /* of its event: the colour */
	char text[MODEL_TEXT];        /* raw; the TUI escapes it */
	bool acked;
	bool resolved;
};

struct model {
	char host[64];
	const char *limit_mechanism; /* "cgroup2", "cgroup1", "none" */
	const char *limit_note;
	uint64_t interval_ms; /* base sampling interval */
	uint64_t now_ms;      /* monotonic, at the last update */
	uint64_t wall_ms;     /* realtime at the last update */

	struct sys_sample sys;
	struct model_pressure {
		uint64_t min_available_bytes;
		uint64_t max_swap_used_bytes;
		double max_psi_some;
	} pressure;
	/* ring of used memory and used swap: history_head is the next slot
	 * written, so the newest sample is at history_head - 1 and the oldest
	 * history_len samples before it */
	uint64_t mem_used_history[MODEL_HISTORY];
	uint64_t swap_used_history[MODEL_HISTORY];
	int history_len, history_head;

	struct model_pair *pairs;
	int n_pairs;
	int running;         /* index of the running pair, -1 none */
	bool can_restart;    /* false for watch: processes not ours */
	const char *log_dir; /* where the event log and pair logs go; borrowed */
	/* several pairs at once (jobs above 1): 0 budget when one at a time */
	uint64_t budget_bytes;   /* memory_budget */
	uint64_t reserved_bytes; /* what the running pairs count for together */
	int n_running;           /* pairs holding a slot */

	/* the latest full sample of each running pair's tree, NULL when none;
	 * borrowed until the next sample */
	const struct tree_sample **trees;

	struct model_alert alerts[MODEL_ALERTS]; /* ring, newest at alerts_head - 1 */
	int alerts_len, alerts_head;

	const char *alerts_broken; /* why the webhook refuses our posts, NULL when fine */
	bool run_over;
	char outcome[MODEL_TEXT]; /* "3 done, 1 killed, ..." once run_over */
};

enum model_action {
	ACTION_KILL,       /* kill the pair's tree (reason operator) */
	ACTION_RESTART,    /* kill if running, then run it again */
	ACTION_SKIP,       /* pending: skip it; running: stop it and go on */
	ACTION_PAUSE,      /* SIGSTOP / SIGCONT the tree */
	ACTION_ACK,        /* acknowledge the latest alert */
	ACTION_QUIT_STOP,  /* quit, stopping the running pair */
	ACTION_QUIT_LEAVE, /* quit, leaving the running pair running unwatched */
};

/* What the dashboard may ask of the runner. act returns 0, or -errno with a
 * reason the TUI shows (e.g. -EPERM: restart unavailable under watch). */
struct model_actions {
	void *ctx;
	int (*act)(void *ctx, enum model_action action, int pair_index);
};

/* A front end that renders the model and turns keys into model_actions:
 * the dashboard. main.c hands the runner one (tui/ sits above the runner,
 * so the runner knows it only through these calls). open returns the view,
 * or NULL with why in err (the run then goes on headless); handle_input
 * returns true once the operator has chosen to quit. */
struct model_view {
	void *(*open)(char *err, size_t errlen);
	void (*close)(void *view);
	int (*input_fd)(const void *view);
	bool (*handle_input)(void *view, const struct model *m,
	                     const struct model_actions *actions);
	void (*resize)(void *view);
	void (*render)(void *view, const struct model *m);
	void (*flash)(void *view, const char *msg, uint64_t now_ms);
};

#endif
