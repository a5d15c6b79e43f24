/* The detection rules of SPEC "Detection rules", as pure functions: previous
 * rule state + a sample + limits in, events out. No I/O and no clock: time
 * comes in the samples. Every rule has hysteresis so a value wobbling at its
 * line does not flap. */
#ifndef MW_RULES_H
#define MW_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../collectors/sample.h"
#include "verdict.h"

/* Resolved, numeric limits of one pair. */
struct rules_limits {
	uint64_t kill_rss_bytes; /* UINT64_MAX: no kill line */
	uint64_t warn_rss_bytes; /* warn_at x kill_rss; UINT64_MAX: none */
	uint64_t input_bytes;    /* 0: no baseline, never bloats */
	double bloat_ratio;
	uint64_t deadlock_window_ms;
};

/* Resolved, numeric system pressure limits. */
struct rules_sys_limits {
	uint64_t min_available_bytes; /* MemAvailable below this is pressure */
	uint64_t max_swap_used_bytes; /* swap used above this is pressure; UINT64_MAX: never */
	double max_psi_some;          /* PSI some avg10 above this is pressure (percent) */
};

enum {
	RULES_MAX_BLOCKED = VERDICT_MAX_BLOCKED, /* blocked PIDs listed in a deadlock event */
	RULES_MAX_EVENTS = 8,                    /* at most this many events per evaluation */
};

/* Per-pair rule state. Plain data so tests can look inside; start it zeroed. */
struct rules_pair_state {
	bool approaching; /* an approach was reported and not re-armed */
	bool bloated;
	bool deadlocked;      /* a deadlock was reported and not resolved */
	bool stalled_outside; /* a stall was reported and not resolved */
	bool rebase;          /* set by the runner: retake the stillness baseline at the next
	                         full sample, keeping the verdict (its own ptrace woke the threads) */
	uint64_t peak_rss_bytes;
	/* growth */
	bool have_last;
	uint64_t last_t_ms;
	uint64_t last_rss_bytes;
	double rate_bytes_per_ms;     /* smoothed growth, for the time left */
	double max_rate_bytes_per_ms; /* fastest growth seen, for the sampling interval */
	/* stillness: baseline taken when the tree was last seen moving */
	bool have_baseline;
	uint64_t still_since_ms;
	uint64_t still_cpu_ticks;
	uint64_t still_io_bytes;
	bool still_io_known;
	uint64_t still_switches; /* threads' summed schedule counts */
	bool still_switches_known;
};

struct rules_sys_state {
	bool pressure;
};

enum rule_kind {
	RULE_APPROACH, /* tree RSS above warn line; eta_s to the kill line */
	RULE_KILL_RSS, /* tree RSS above kill_rss: kill now */
	RULE_BLOAT,
	RULE_BLOAT_RESOLVED,
	RULE_DEADLOCK,
	RULE_DEADLOCK_RESOLVED,
	RULE_STALL, /* stalled, waiting on something outside: reported, never acted on */
	RULE_STALL_RESOLVED,
	RULE_PRESSURE,
	RULE_PRESSURE_RESOLVED,
};

struct rule_event {
	enum rule_kind kind;
	uint64_t rss_bytes;
	double eta_s; /* RULE_APPROACH: < 0 when not growing (null) */
	double ratio; /* RULE_BLOAT: rss / input */
	/* RULE_DEADLOCK, RULE_STALL */
	uint64_t stalled_ms;
	int threads;
	int futex_threads; /* threads in an untimed futex wait */
	pid_t blocked_pids[RULES_MAX_BLOCKED];
	int n_blocked; /* listed; n_blocked_total may be larger */
	int n_blocked_total;
	struct verdict_wait waiting_on[VERDICT_MAX_WAITING]; /* RULE_STALL */
	int n_waiting, n_waiting_total;
	/* RULE_PRESSURE and its resolution */
	bool low_available, high_swap, high_psi;
};

/* Evaluates one pair's sample (full or fast RSS-only: a fast sample only
 * drives the RSS rules). Writes at most RULES_MAX_EVENTS events to out and
 * returns how many. A RULE_KILL_RSS event is produced at every evaluation
 * while the tree is over the line: the runner kills once. */
size_t rules_pair_eval(struct rules_pair_state *st, const struct rules_limits *lim,
                       const struct tree_sample *s, struct rule_event *out);

/* Evaluates system pressure; returns 0 or 1 events written to out. */
size_t rules_sys_eval(struct rules_sys_state *st, const struct rules_sys_limits *lim,
                      const struct sys_sample *s, struct rule_event *out);

/* How long to wait before the next RSS check of a pair: the time the tree
 * needs to reach kill_rss growing at the larger of the fastest growth seen and
 * assumed_rate (bytes per ms, a worst case before any growth is seen), halved
 * for safety and clamped to [min_ms, base_ms]. Far from the line this is
 * base_ms, so watching costs nothing extra. */
uint64_t rules_next_check_ms(const struct rules_pair_state *st, const struct rules_limits *lim,
                             uint64_t base_ms, uint64_t min_ms, double assumed_rate);

/* True when a sample's tree stood still since the baseline: no CPU tick
 * used, no I/O byte moved, no thread's schedule count moved. */
bool rules_tree_still(const struct rules_pair_state *st, const struct tree_sample *s);

const char *rules_kind_name(enum rule_kind kind);

#endif
