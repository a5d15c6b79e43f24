/* The detection rules of SPEC "Detection rules". Pure: every input comes in
 * through the arguments (time included, in the samples) and every decision
 * goes out as events or as the caller's state. No I/O, no clock, no
 * allocation, so each rule is tested by feeding it hand-made samples. */
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "rules.h"

/* Time constant of the smoothed growth rate. Short enough that the time left
 * in an approach event follows a job that changes pace, long enough that one
 * page-fault burst between two close samples does not swing it. */
#define RULES_RATE_TAU_MS 2000.0

/* Hysteresis margins: a rule raised at its line is re-armed or resolved only
 * this far on the safe side of it. */
#define RULES_APPROACH_REARM 0.95 /* of warn_rss */
#define RULES_BLOAT_RESOLVE 0.90  /* of bloat_ratio x input */
#define RULES_AVAIL_RESOLVE 1.10  /* of min_available */
#define RULES_SWAP_RESOLVE 0.90   /* of max_swap_used */
#define RULES_PSI_RESOLVE 0.75    /* of max_psi_some */

static struct rule_event *event_add(struct rule_event *out, size_t *n, enum rule_kind kind,
                                    uint64_t rss_bytes)
{
	struct rule_event *ev;

	/* Never more than the contract allows; this evaluator emits at most
	 * four per call, so the guard only protects against future rules. */
	if (*n >= RULES_MAX_EVENTS)
		return NULL;
	ev = &out[(*n)++];
	memset(ev, 0, sizeof *ev);
	ev->kind = kind;
	ev->rss_bytes = rss_bytes;
	ev->eta_s = -1;
	return ev;
}

/* Folds the interval since the previous point into the smoothed and the
 * fastest growth rate, then makes this sample the previous point. */
/* e^-x for x >= 0, to double precision: halve x until it is small, sum the
 * series there, square back up. Written out so the watchdog does not map
 * libm (half a MiB of resident pages) for one function. */
static double decay(double x)
{
	double term = 1.0, sum = 1.0;
	int halvings = 0;

	if (!(x > 0))
		return 1.0;
	if (x > 700)
		return 0.0;
	while (x > 1.0 / 64) {
		x /= 2;
		halvings++;
	}
	for (int k = 1; k <= 10; k++) {
		term *= -x / k;
		sum += term;
	}
	while (halvings-- > 0)
		sum *= sum;
	return sum;
}

static void growth_update(struct rules_pair_state *st, const struct tree_sample *s)
{
	double dt_ms, inst, alpha;

	if (st->have_last && s->t_ms > st->last_t_ms) {
		dt_ms = (double)(s->t_ms - st->last_t_ms);
		inst = ((double)s->rss_bytes - (double)st->last_rss_bytes) / dt_ms;
		/* An exponential moving average weighted by the elapsed time:
		 * a 5 s gap counts as much as twenty 250 ms steps would, so
		 * uneven sampling (faster near the line) does not bias it.
		 * Shrinking is kept (negative rate) so a job that frees memory
		 * is not shown as approaching. */
		alpha = 1.0 - decay(dt_ms / RULES_RATE_TAU_MS);
		st->rate_bytes_per_ms += alpha * (inst - st->rate_bytes_per_ms);
		/* Points are whole milliseconds apart here (dt >= 1). */
		if (inst > st->max_rate_bytes_per_ms)
			st->max_rate_bytes_per_ms = inst;
	}
	/* Two samples in the same millisecond both describe that instant: keep
	 * the newer RSS. A clock that went backwards (it should not) just
	 * restarts the measurement from here. */
	st->have_last = true;
	st->last_t_ms = s->t_ms;
	st->last_rss_bytes = s->rss_bytes;
	if (s->rss_bytes > st->peak_rss_bytes)
		st->peak_rss_bytes = s->rss_bytes;
}

/* Seconds to the kill line at the smoothed rate; -1 (null) when the tree is
 * not growing or there is no kill line. */
static double approach_eta_s(const struct rules_pair_state *st, const struct rules_limits *lim,
                             uint64_t rss_bytes)
{
	uint64_t headroom;

	if (lim->kill_rss_bytes == UINT64_MAX || !(st->rate_bytes_per_ms > 0))
		return -1;
	headroom = lim->kill_rss_bytes > rss_bytes ? lim->kill_rss_bytes - rss_bytes : 0;
	return (double)headroom / st->rate_bytes_per_ms / 1000.0;
}

static void approach_eval(struct rules_pair_state *st, const struct rules_limits *lim,
                          const struct tree_sample *s, struct rule_event *out, size_t *n)
{
	struct rule_event *ev;
	double rearm_line;

	if (lim->warn_rss_bytes == UINT64_MAX)
		return;
	rearm_line = RULES_APPROACH_REARM * (double)lim->warn_rss_bytes;
	if (st->approaching && (double)s->rss_bytes < rearm_line)
		st->approaching = false;
	if (st->approaching || s->rss_bytes <= lim->warn_rss_bytes)
		return;
	st->approaching = true;
	if ((ev = event_add(out, n, RULE_APPROACH, s->rss_bytes)) != NULL)
		ev->eta_s = approach_eta_s(st, lim, s->rss_bytes);
}

static void bloat_eval(struct rules_pair_state *st, const struct rules_limits *lim,
                       const struct tree_sample *s, struct rule_event *out, size_t *n)
{
	struct rule_event *ev;
	double line, rss, input;

	/* No inputs, no baseline: a pair without inputs never bloats. A ratio
	 * that is not positive (or NaN) would make every byte bloat: off. */
	if (lim->input_bytes == 0 || !(lim->bloat_ratio > 0))
		return;
	rss = (double)s->rss_bytes;
	input = (double)lim->input_bytes;
	line = lim->bloat_ratio * input;
	if (!st->bloated && rss > line) {
		st->bloated = true;
		if ((ev = event_add(out, n, RULE_BLOAT, s->rss_bytes)) != NULL)
			ev->ratio = rss / input;
	} else if (st->bloated && rss < RULES_BLOAT_RESOLVE * line) {
		st->bloated = false;
		if ((ev = event_add(out, n, RULE_BLOAT_RESOLVED, s->rss_bytes)) != NULL)
			ev->ratio = rss / input;
	}
}

/* True when the tree moved since the baseline: a CPU tick used, an I/O
 * byte moved, or a thread woke (its schedule count moved; a wake-up of a few
 * microseconds uses no tick). A CPU sum that went down means a process left
 * the tree: that is a change too. Counts are compared only when both ends
 * are known. */
static bool tree_moved(const struct rules_pair_state *st, const struct tree_sample *s)
{
	if (s->cpu_ticks != st->still_cpu_ticks)
		return true;
	if (s->io_known && st->still_io_known && s->io_bytes != st->still_io_bytes)
		return true;
	if (s->switches_known && st->still_switches_known && s->switches != st->still_switches)
		return true;
	return false;
}

static void baseline_take(struct rules_pair_state *st, const struct tree_sample *s)
{
	st->have_baseline = true;
	st->still_since_ms = s->t_ms;
	st->still_cpu_ticks = s->cpu_ticks;
	st->still_io_bytes = s->io_bytes;
	st->still_io_known = s->io_known;
	st->still_switches = s->switches;
	st->still_switches_known = s->switches_known;
}

/* Closes the open verdict, if any. */
static void verdict_resolve(struct rules_pair_state *st, const struct tree_sample *s,
                            struct rule_event *out, size_t *n)
{
	if (st->deadlocked) {
		st->deadlocked = false;
		event_add(out, n, RULE_DEADLOCK_RESOLVED, s->rss_bytes);
	}
	if (st->stalled_outside) {
		st->stalled_outside = false;
		event_add(out, n, RULE_STALL_RESOLVED, s->rss_bytes);
	}
}

static void verdict_raise(struct rules_pair_state *st, const struct tree_sample *s,
                          const struct verdict *v, uint64_t stalled_ms, struct rule_event *out,
                          size_t *n)
{
	bool deadlock = v->kind == VERDICT_DEADLOCK;
	struct rule_event *ev;

	if (deadlock)
		st->deadlocked = true;
	else
		st->stalled_outside = true;
	ev = event_add(out, n, deadlock ? RULE_DEADLOCK : RULE_STALL, s->rss_bytes);
	if (ev == NULL)
		return;
	ev->stalled_ms = stalled_ms;
	ev->threads = s->threads;
	ev->futex_threads = v->lock_threads;
	ev->n_blocked = v->n_blocked;
	ev->n_blocked_total = v->n_blocked_total;
	memcpy(ev->blocked_pids, v->blocked_pids, sizeof ev->blocked_pids);
	ev->n_waiting = v->n_waiting;
	ev->n_waiting_total = v->n_waiting_total;
	memcpy(ev->waiting_on, v->waiting_on, sizeof ev->waiting_on);
}

static void deadlock_eval(struct rules_pair_state *st, const struct rules_limits *lim,
                          const struct tree_sample *s, struct rule_event *out, size_t *n)
{
	struct verdict v;
	uint64_t stalled_ms;

	if (!st->have_baseline || s->t_ms < st->still_since_ms) {
		/* First full sample, or a clock that went backwards: nothing
		 * to compare with yet. */
		baseline_take(st, s);
		return;
	}
	if (st->rebase) {
		/* The runner's own ptrace (the evidence) woke the threads: that
		 * is not the job moving. Start over from here, verdict kept. */
		st->rebase = false;
		baseline_take(st, s);
		return;
	}
	if (tree_moved(st, s)) {
		baseline_take(st, s);
		verdict_resolve(st, s, out, n);
		return;
	}
	/* Still. A count unknown at the baseline and known now is compared
	 * from here on, without restarting the stall clock. */
	if (!st->still_io_known && s->io_known) {
		st->still_io_known = true;
		st->still_io_bytes = s->io_bytes;
	}
	if (!st->still_switches_known && s->switches_known) {
		st->still_switches_known = true;
		st->still_switches = s->switches;
	}
	/* Without judged waits nothing can be said: keep the verdict. A
	 * zero window means no deadlock rule at all. */
	if (!s->waits_scanned || lim->deadlock_window_ms == 0)
		return;
	stalled_ms = s->t_ms - st->still_since_ms;
	if (stalled_ms < lim->deadlock_window_ms)
		return;
	verdict_judge(s, &v);
	switch (v.kind) {
	case VERDICT_PAUSED:
		/* A paused pair is never stalled: its clock starts again
		 * when it is resumed. */
		baseline_take(st, s);
		verdict_resolve(st, s, out, n);
		return;
	case VERDICT_UNJUDGED:
		return;
	case VERDICT_RUNNING:
	case VERDICT_WAITING:
		verdict_resolve(st, s, out, n);
		return;
	case VERDICT_STALL:
		if (st->stalled_outside)
			return;
		verdict_resolve(st, s, out, n);
		verdict_raise(st, s, &v, stalled_ms, out, n);
		return;
	case VERDICT_DEADLOCK:
		if (st->deadlocked)
			return;
		verdict_resolve(st, s, out, n);
		verdict_raise(st, s, &v, stalled_ms, out, n);
		return;
	}
}

/* Event order within one evaluation: warnings first (approach, bloat,
 * deadlock), the kill last, so a sample that jumps from below the warn line
 * straight over the kill line logs "approach" then "kill" and the log reads
 * as the story it was. */
size_t rules_pair_eval(struct rules_pair_state *st, const struct rules_limits *lim,
                       const struct tree_sample *s, struct rule_event *out)
{
	size_t n = 0;

	if (!s->root_alive) {
		/* The tree is gone (whatever the sample still lists is the
		 * runner's to end): raise nothing new, only close what is
		 * open so every firing alert gets its resolution. */
		if (st->bloated) {
			st->bloated = false;
			event_add(out, &n, RULE_BLOAT_RESOLVED, s->rss_bytes);
		}
		verdict_resolve(st, s, out, &n);
		return n;
	}
	growth_update(st, s);
	approach_eval(st, lim, s, out, &n);
	bloat_eval(st, lim, s, out, &n);
	if (s->full)
		deadlock_eval(st, lim, s, out, &n);
	if (s->rss_bytes > lim->kill_rss_bytes)
		event_add(out, &n, RULE_KILL_RSS, s->rss_bytes);
	return n;
}

size_t rules_sys_eval(struct rules_sys_state *st, const struct rules_sys_limits *lim,
                      const struct sys_sample *s, struct rule_event *out)
{
	struct rule_event *ev;
	size_t n = 0;
	uint64_t swap_used;
	bool low_available, high_swap, high_psi, swap_judged, clear;

	swap_used = s->swap_total_bytes > s->swap_free_bytes
	                    ? s->swap_total_bytes - s->swap_free_bytes
	                    : 0;
	/* No swap configured, or no swap limit: swap is never the cause. */
	swap_judged = s->swap_total_bytes > 0 && lim->max_swap_used_bytes != UINT64_MAX;

	low_available = s->mem_available_bytes < lim->min_available_bytes;
	high_swap = swap_judged && swap_used > lim->max_swap_used_bytes;
	/* Unknown PSI is unknown, not pressure. */
	high_psi = s->psi_known && s->psi_some_avg10 > lim->max_psi_some;

	if (!st->pressure) {
		if (!low_available && !high_swap && !high_psi)
			return 0;
		st->pressure = true;
		ev = event_add(out, &n, RULE_PRESSURE, 0);
	} else {
		/* Resolution needs every cause clear by a margin. The
		 * available margin is 10% of the operator's own line rather
		 * than a share of MemTotal: it scales with whatever line was
		 * chosen (a small line gets a small margin) and needs nothing
		 * but the limit itself. */
		clear = (double)s->mem_available_bytes >=
		        RULES_AVAIL_RESOLVE * (double)lim->min_available_bytes;
		if (swap_judged &&
		    (double)swap_used > RULES_SWAP_RESOLVE * (double)lim->max_swap_used_bytes)
			clear = false;
		if (s->psi_known && s->psi_some_avg10 > RULES_PSI_RESOLVE * lim->max_psi_some)
			clear = false;
		if (!clear)
			return 0;
		st->pressure = false;
		ev = event_add(out, &n, RULE_PRESSURE_RESOLVED, 0);
	}
	/* The flags say which lines are crossed now (all clear on a
	 * resolution, since the margins lie beyond the lines). */
	if (ev != NULL) {
		ev->low_available = low_available;
		ev->high_swap = high_swap;
		ev->high_psi = high_psi;
	}
	return n;
}

uint64_t rules_next_check_ms(const struct rules_pair_state *st, const struct rules_limits *lim,
                             uint64_t base_ms, uint64_t min_ms, double assumed_rate)
{
	uint64_t rss, headroom;
	double rate, wait_ms;

	/* The regular interval is never stretched by a minimum above it. */
	if (min_ms > base_ms)
		min_ms = base_ms;
	if (lim->kill_rss_bytes == UINT64_MAX)
		return base_ms;
	rss = st->have_last ? st->last_rss_bytes : 0;
	if (rss >= lim->kill_rss_bytes)
		return min_ms;
	headroom = lim->kill_rss_bytes - rss;

	rate = st->max_rate_bytes_per_ms > 0 ? st->max_rate_bytes_per_ms : 0;
	if (assumed_rate > rate) /* false for NaN and for <= 0 */
		rate = assumed_rate;
	if (!(rate > 0))
		return base_ms;

	wait_ms = (double)headroom / rate / 2.0;
	if (wait_ms >= (double)base_ms)
		return base_ms;
	if (wait_ms <= (double)min_ms)
		return min_ms;
	return (uint64_t)wait_ms;
}

bool rules_tree_still(const struct rules_pair_state *st, const struct tree_sample *s)
{
	if (!st->have_baseline)
		return true;
	return !tree_moved(st, s);
}

const char *rules_kind_name(enum rule_kind kind)
{
	switch (kind) {
	case RULE_APPROACH:
		return "approach";
	case RULE_KILL_RSS:
		return "kill";
	case RULE_BLOAT:
		return "bloat";
	case RULE_BLOAT_RESOLVED:
		return "bloat_resolved";
	case RULE_DEADLOCK:
		return "deadlock";
	case RULE_DEADLOCK_RESOLVED:
		return "deadlock_resolved";
	case RULE_STALL:
		return "stall";
	case RULE_STALL_RESOLVED:
		return "stall_resolved";
	case RULE_PRESSURE:
		return "pressure";
	case RULE_PRESSURE_RESOLVED:
		return "pressure_resolved";
	}
	return "unknown";
}
