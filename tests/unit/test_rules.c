/* Detection rules (alerts/rules.c): hand-built samples in, events out. Each
 * test plays a short story of samples the way the runner would feed them
 * and checks what a user would see in the event log. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../../core/rules.h"

#include "helpers.h"

enum {
	FIX_MAX_PROCS = 8,
	FIX_MAX_THREADS = 64,
	TICKS_PER_S = 100,
	WINDOW_MS = 120000, /* deadlock_window = 2m, the default */
};

/* A tree sample with room for its processes and threads. Build it in place
 * (the sample points into the arrays beside it). */
struct tree_fixture {
	struct tree_sample s;
	struct proc_sample procs[FIX_MAX_PROCS];
	struct thread_sample threads[FIX_MAX_THREADS];
};

/* Wait channels as a 6.x kernel names them. */
static const char *const POOL_IDLE[] = {
	"futex_wait_queue",
	"futex_wait_queue",
	"futex_wait_queue",
	"futex_wait_queue",
};
static const char *const POOL_WITH_SERVER[] = {
	"ep_poll:socket", /* an event loop whose epoll set holds a listening socket */
	"futex_wait_queue",
	"futex_wait_queue",
	"futex_wait_queue",
};
static const char *const DEADLOCKED_PAIR[] = { "futex_do_wait", "futex_wait_queue_me" };
static const char *const SHELL_WAITING[] = { "do_wait" };
static const char *const SLEEPER[] = { "hrtimer_nanosleep" };
static const char *const PIPE_READER[] = { "pipe_read" };
static const char *const POLLER[] = { "do_sys_poll" };
static const char *const RUNNING[] = { "" };

static void assert_near(double got, double want, double eps)
{
	if (fabs(got - want) > eps) {
		print_error("got %.6f, want %.6f (+/- %.6f)\n", got, want, eps);
		fail();
	}
}

static struct rules_limits pair_limits(void)
{
	struct rules_limits lim = {
		.kill_rss_bytes = 1000 * MiB,
		.warn_rss_bytes = 800 * MiB,
		.input_bytes = 0,
		.bloat_ratio = 6,
		.deadlock_window_ms = WINDOW_MS,
	};
	return lim;
}

/* A fast, RSS-only sample. */
static void tree_fast(struct tree_fixture *f, uint64_t t_ms, uint64_t rss_bytes)
{
	memset(f, 0, sizeof *f);
	f->s.t_ms = t_ms;
	f->s.root = 100;
	f->s.root_alive = true;
	f->s.full = false;
	f->s.rss_bytes = rss_bytes;
	f->s.ticks_per_s = TICKS_PER_S;
	f->s.procs = f->procs;
	f->s.threads_v = f->threads;
}

/* A full sample with thread states read; add processes with tree_proc. */
static void tree_full(struct tree_fixture *f, uint64_t t_ms, uint64_t rss_bytes)
{
	tree_fast(f, t_ms, rss_bytes);
	f->s.full = true;
	f->s.io_known = true;
	f->s.threads_scanned = true;
	f->s.waits_scanned = true;
}

/* The collector's judgement of a wait channel, as collectors/waits.c makes
 * it from the system call behind it. */
static void judge_like_collector(struct thread_sample *t)
{
	static const struct {
		const char *wchan;
		enum wait_kind wait;
		pid_t wait_pid;
	} table[] = {
		{ "hrtimer_nanosleep", WAIT_TIMED, 0 },
		{ "pipe_read", WAIT_INSIDE, 0 }, /* its own pipe */
		{ "do_wait", WAIT_INSIDE, -1 },  /* any child */
		{ "ep_poll", WAIT_INSIDE, 0 },   /* a set of its own eventfds */
		{ "do_sys_poll", WAIT_INSIDE, 0 },
		{ "sk_wait_data", WAIT_OUTSIDE, 0 },
		{ "ep_poll:socket", WAIT_OUTSIDE, 0 },
	};

	t->wait = WAIT_NONE;
	if (t->state != 'S')
		return;
	if (t->futex_wait) {
		t->wait = WAIT_LOCK;
		return;
	}
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
		if (strcmp(t->wchan, table[i].wchan) == 0) {
			t->wait = (unsigned char)table[i].wait;
			t->wait_pid = table[i].wait_pid;
			snprintf(t->wait_what, sizeof t->wait_what, "%s", table[i].wchan);
			return;
		}
	}
	t->wait = WAIT_UNKNOWN;
}

static bool wchan_is_futex(const char *wchan)
{
	return strncmp(wchan, "futex", 5) == 0;
}

/* Adds a process whose threads wait in the given channels ("" = running),
 * filling the per-process and tree-wide counts the way the collector does. */
static void tree_proc(struct tree_fixture *f, pid_t pid, pid_t ppid, uint64_t cpu_ticks,
                      uint64_t io_bytes, const char *const *wchans, size_t n_threads)
{
	struct proc_sample *p;
	struct thread_sample *t;
	size_t i;

	assert_true(f->s.n_procs < FIX_MAX_PROCS);
	assert_true(f->s.n_threads_v + n_threads <= FIX_MAX_THREADS);
	p = &f->procs[f->s.n_procs++];
	p->pid = pid;
	p->ppid = ppid;
	p->state = 'S';
	snprintf(p->comm, sizeof p->comm, "proc%d", (int)pid);
	p->cpu_ticks = cpu_ticks;
	p->io_known = true;
	p->io_bytes = io_bytes;
	p->num_threads = (int)n_threads;
	p->first_thread = f->s.n_threads_v;
	p->n_threads_scanned = n_threads;
	p->all_futex = n_threads > 0;
	for (i = 0; i < n_threads; i++) {
		t = &f->threads[f->s.n_threads_v++];
		t->tid = pid + (pid_t)i;
		t->state = wchans[i][0] == '\0' ? 'R' : 'S';
		t->futex_wait = t->state == 'S' && wchan_is_futex(wchans[i]);
		snprintf(t->wchan, sizeof t->wchan, "%s", wchans[i]);
		judge_like_collector(t);
		if (t->futex_wait)
			p->futex_threads++;
		else
			p->all_futex = false;
	}
	if (n_threads > 0)
		snprintf(p->top_wchan, sizeof p->top_wchan, "%s", wchans[n_threads - 1]);
	f->s.cpu_ticks += cpu_ticks;
	f->s.io_bytes += io_bytes;
	f->s.threads += p->num_threads;
	f->s.futex_threads += p->futex_threads;
}

static size_t count_kind(const struct rule_event *ev, size_t n, enum rule_kind kind)
{
	size_t i, c = 0;

	for (i = 0; i < n; i++)
		if (ev[i].kind == kind)
			c++;
	return c;
}

/* Copies the first event of kind into *found; false when there is none. */
static bool get_kind(const struct rule_event *ev, size_t n, enum rule_kind kind,
                     struct rule_event *found)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (ev[i].kind == kind) {
			*found = ev[i];
			return true;
		}
	}
	return false;
}

/* Feeds a fast sample and returns how many events of kind it produced. */
static size_t feed_rss(struct rules_pair_state *st, const struct rules_limits *lim, uint64_t t_ms,
                       uint64_t rss_bytes, enum rule_kind kind)
{
	struct tree_fixture f;
	struct rule_event ev[RULES_MAX_EVENTS];
	size_t n;

	tree_fast(&f, t_ms, rss_bytes);
	n = rules_pair_eval(st, lim, &f.s, ev);
	assert_true(n <= RULES_MAX_EVENTS);
	return count_kind(ev, n, kind);
}

/* ---- kill ---------------------------------------------------------------- */

static void test_kill_strictly_above_line(void **state)
{
	static const struct {
		uint64_t rss_bytes;
		size_t kills;
	} cases[] = {
		{ 0, 0 },
		{ 1000 * MiB - 1, 0 },
		{ 1000 * MiB, 0 }, /* at the line is not over it */
		{ 1000 * MiB + 1, 1 },
		{ 64 * GiB, 1 },
	};
	struct rules_limits lim = pair_limits();
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct rules_pair_state st = { 0 };

		assert_int_equal(feed_rss(&st, &lim, 1000, cases[i].rss_bytes, RULE_KILL_RSS),
		                 cases[i].kills);
	}
}

static void test_kill_every_evaluation_while_over(void **state)
{
	struct rules_limits lim = pair_limits();
	struct rules_pair_state st = { 0 };

	(void)state;
	assert_int_equal(feed_rss(&st, &lim, 0, 1001 * MiB, RULE_KILL_RSS), 1);
	assert_int_equal(feed_rss(&st, &lim, 10, 1002 * MiB, RULE_KILL_RSS), 1);
	assert_int_equal(feed_rss(&st, &lim, 20, 1001 * MiB, RULE_KILL_RSS), 1);
	assert_int_equal(feed_rss(&st, &lim, 30, 999 * MiB, RULE_KILL_RSS), 0);
}

static void test_kill_no_line(void **state)
{
	struct rules_limits lim = pair_limits();
	struct rules_pair_state st = { 0 };
	struct tree_fixture f;
	struct rule_event ev[RULES_MAX_EVENTS];

	(void)state;
	lim.kill_rss_bytes = UINT64_MAX;
	lim.warn_rss_bytes = UINT64_MAX;
	tree_fast(&f, 0, UINT64_MAX - 1);
	assert_int_equal(rules_pair_eval(&st, &lim, &f.s, ev), 0);
}

/* ---- approach ------------------------------------------------------------ */

static void test_approach_once_with_eta(void **state)
{
	struct rules_limits lim = pair_limits();
	struct rules_pair_state st = { 0 };
	struct tree_fixture f;
	struct rule_event ev[RULES_MAX_EVENTS];
	struct rule_event ap = { 0 };
	size_t n, approaches = 0;
	uint64_t t;

	(void)state;
	/* Growing 100 MiB/s, sampled every 250 ms; the first sample over the
	 * warn line is at 1500 MiB, 500 MiB below the kill line. */
	lim.kill_rss_bytes = 2000 * MiB;
	lim.warn_rss_bytes = 1475 * MiB;
	for (t = 0; t <= 14750; t += 250) {
		tree_fast(&f, t, t * 100 * MiB / 1000);
		n = rules_pair_eval(&st, &lim, &f.s, ev);
		assert_int_equal(n, 0);
	}
	tree_fast(&f, 15000, 1500 * MiB);
	n = rules_pair_eval(&st, &lim, &f.s, ev);
	assert_int_equal(n, 1);
	assert_true(get_kind(ev, n, RULE_APPROACH, &ap));
	assert_int_equal(ap.rss_bytes, 1500 * MiB);
	assert_near(ap.eta_s, 5.0, 0.1);
	assert_true(st.approaching);

	/* Still growing over the line: no second approach. */
	for (t = 15250; t <= 19000; t += 250)
		approaches += feed_rss(&st, &lim, t, t * 100 * MiB / 1000, RULE_APPROACH);
	assert_int_equal(approaches, 0);
}

static void test_approach_eta_null_when_not_growing(void **state)
{
	struct rules_limits lim = pair_limits();
	struct rules_pair_state st = { 0 };
	struct tree_fixture f;
	struct rule_event ev[RULES_MAX_EVENTS];
	size_t n;

	(void)state;
	/* The first sample already over the line: no growth known. */
	tree_fast(&f, 0, 900 * MiB);
	n = rules_pair_eval(&st, &lim, &f.s, ev);
	assert_int_equal(n, 1);
	assert_int_equal(ev[0].kind, RULE_APPROACH);
	assert_true(ev[0].eta_s < 0);

	/* Shrinking below the re-arm line and coming back fast: the growth
	 * is positive again and so is the time left. */
	assert_int_equal(feed_rss(&st, &lim, 10000, 700 * MiB, RULE_APPROACH), 0);
	tree_fast(&f, 12000, 900 * MiB);
	n = rules_pair_eval(&st, &lim, &f.s, ev);
	assert_int_equal(n, 1);
	assert_int_equal(ev[0].kind, RULE_APPROACH);
	assert_true(ev[0].eta_s > 0);

	/* A collapse just before: one quick rise does not outweigh it, the
	 * smoothed growth is still negative and the time left unknown. */
	{
		struct rules_pair_state st2 = { 0 };

		lim.kill_rss_bytes = 10 * GiB;
		assert_int_equal(feed_rss(&st2, &lim, 0, 5000 * MiB, RULE_APPROACH), 1);
		assert_int_equal(feed_rss(&st2, &lim, 1000, 700 * MiB, RULE_APPROACH), 0);
		tree_fast(&f, 1001, 801 * MiB);
		n = rules_pair_eval(&st2, &lim, &f.s, ev);
		assert_int_equal(n, 1);
		assert_int_equal(ev[0].kind, RULE_APPROACH);
		assert_true(st2.rate_bytes_per_ms < 0);
		assert_true(ev[0].eta_s < 0);
	}
}

static void test_approach_rearms_below_95_percent(void **state)
{
	static const struct {
		uint64_t rss_bytes;
		size_t approaches;
	} story[] = {
		{ 700 * MiB, 0 }, { 801 * MiB, 1 },
		{ 770 * MiB, 0 },                   /* 96% of warn: still approaching */
		{ 801 * MiB, 0 }, { 761 * MiB, 0 }, /* just above 95% */
		{ 805 * MiB, 0 }, { 759 * MiB, 0 }, /* below 95% (760 MiB): re-armed */
		{ 801 * MiB, 1 },
	};
	struct rules_limits lim = pair_limits();
	struct rules_pair_state st = { 0 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof story / sizeof story[0]; i++)
		assert_int_equal(feed_rss(&st, &lim, i * 1000, story[i].rss_bytes, RULE_APPROACH),
		                 story[i].approaches);
}

static void test_jump_over_kill_line_logs_approach_then_kill(void **state)
{
	struct rules_limits lim = pair_limits();
	struct rules_pair_state st = { 0 };
	struct tree_fixture f;
	struct rule_event ev[RULES_MAX_EVENTS];
	size_t n;

	(void)state;
	assert_int_equal(feed_rss(&st, &lim, 0, 500 * MiB, RULE_APPROACH), 0);
	tree_fast(&f, 100, 1100 * MiB);
	n = rules_pair_eval(&st, &lim, &f.s, ev);
	assert_int_equal(n, 2);
	assert_int_equal(ev[0].kind, RULE_APPROACH);
	assert_near(ev[0].eta_s, 0, 1e-9); /* already past it */
	assert_int_equal(ev[1].kind, RULE_KILL_RSS);
	assert_int_equal(ev[1].rss_bytes, 1100 * MiB);
}

/* ---- growth -------------------------------------------------------------- */

static void test_growth_uneven_intervals_agree(void **state)
{
	struct rules_limits lim = pair_limits();
	struct rules_pair_state even = { 0 }, uneven = { 0 };
	uint64_t t;

	(void)state;
	lim.kill_rss_bytes = UINT64_MAX;
	lim.warn_rss_bytes = UINT64_MAX;
	/* The same steady 10 MiB/s, once every 100 ms, once at 1 s then
	 * 3 s steps: the smoothed rate must come out the same. */
	for (t = 0; t <= 7000; t += 100)
		feed_rss(&even, &lim, t, 100 * MiB + t * 10 * MiB / 1000, RULE_APPROACH);
	feed_rss(&uneven, &lim, 0, 100 * MiB, RULE_APPROACH);
	feed_rss(&uneven, &lim, 1000, 110 * MiB, RULE_APPROACH);
	feed_rss(&uneven, &lim, 4000, 140 * MiB, RULE_APPROACH);
	feed_rss(&uneven, &lim, 7000, 170 * MiB, RULE_APPROACH);
	assert_near(even.rate_bytes_per_ms, uneven.rate_bytes_per_ms,
	            even.rate_bytes_per_ms * 1e-6);
	/* 3.5 time constants in: 97% of the way to 10 MiB/s. */
	assert_near(even.rate_bytes_per_ms, (1 - exp(-3.5)) * 10.0 * MiB / 1000, 1e-6 * MiB);
	assert_near(even.max_rate_bytes_per_ms, 10.0 * MiB / 1000, 1.0);
	assert_int_equal(even.peak_rss_bytes, 170 * MiB);
}

static void test_growth_shrinking_and_same_ms(void **state)
{
	struct rules_limits lim = pair_limits();
	struct rules_pair_state st = { 0 };

	(void)state;
	feed_rss(&st, &lim, 1000, 600 * MiB, RULE_APPROACH);
	feed_rss(&st, &lim, 2000, 300 * MiB, RULE_APPROACH);
	assert_true(st.rate_bytes_per_ms < 0);       /* shrinking shows */
	assert_near(st.max_rate_bytes_per_ms, 0, 0); /* but never as growth */
	assert_int_equal(st.peak_rss_bytes, 600 * MiB);
	/* A second sample in the same millisecond: no division by zero,
	 * the newer RSS is kept. */
	feed_rss(&st, &lim, 2000, 310 * MiB, RULE_APPROACH);
	assert_true(isfinite(st.rate_bytes_per_ms));
	assert_int_equal(st.last_rss_bytes, 310 * MiB);
}

/* ---- bloat --------------------------------------------------------------- */

static void test_bloat_once_with_hysteresis(void **state)
{
	/* input 100 MiB, ratio 6: the line is 600 MiB. */
	static const struct {
		uint64_t rss_bytes;
		size_t bloats, resolves;
	} story[] = {
		{ 300 * MiB, 0, 0 }, { 570 * MiB, 0, 0 }, /* 0.95 x line */
		{ 630 * MiB, 1, 0 },                      /* 1.05 x line */
		{ 570 * MiB, 0, 0 }, { 630 * MiB, 0, 0 }, { 570 * MiB, 0, 0 }, { 630 * MiB, 0, 0 },
		{ 541 * MiB, 0, 0 }, /* just above 0.9 x line */
		{ 530 * MiB, 0, 1 }, /* under 0.9 x line */
		{ 520 * MiB, 0, 0 }, { 580 * MiB, 0, 0 }, { 601 * MiB, 1, 0 }, /* re-armed after the
		                                                                  resolution */
	};
	struct rules_limits lim = pair_limits();
	struct rules_pair_state st = { 0 };
	struct tree_fixture f;
	struct rule_event ev[RULES_MAX_EVENTS];
	struct rule_event b = { 0 };
	size_t i, n;

	(void)state;
	lim.kill_rss_bytes = UINT64_MAX;
	lim.warn_rss_bytes = UINT64_MAX;
	lim.input_bytes = 100 * MiB;
	for (i = 0; i < sizeof story / sizeof story[0]; i++) {
		tree_fast(&f, i * 1000, story[i].rss_bytes);
		n = rules_pair_eval(&st, &lim, &f.s, ev);
		assert_int_equal(count_kind(ev, n, RULE_BLOAT), story[i].bloats);
		assert_int_equal(count_kind(ev, n, RULE_BLOAT_RESOLVED), story[i].resolves);
		if (get_kind(ev, n, RULE_BLOAT, &b)) {
			assert_int_equal(b.rss_bytes, story[i].rss_bytes);
			assert_near(b.ratio, (double)story[i].rss_bytes / (100 * MiB), 1e-9);
		}
	}
}

static void test_no_bloat_without_inputs(void **state)
{
	struct rules_limits lim = pair_limits();
	struct rules_pair_state st = { 0 };

	(void)state;
	lim.kill_rss_bytes = UINT64_MAX;
	lim.warn_rss_bytes = UINT64_MAX;
	lim.input_bytes = 0;
	assert_int_equal(feed_rss(&st, &lim, 0, 1, RULE_BLOAT), 0);
	assert_int_equal(feed_rss(&st, &lim, 1000, 500 * GiB, RULE_BLOAT), 0);
	assert_false(st.bloated);
}

/* ---- deadlock ------------------------------------------------------------ */

/* A still tree: the shell that started the job waits in do_wait, the job
 * (pid 101) is a thread pool whose threads wait as `pool` says. CPU and
 * I/O as given. */
static void pool_tree(struct tree_fixture *f, uint64_t t_ms, uint64_t cpu_ticks, uint64_t io_bytes,
                      const char *const *pool, size_t n_pool)
{
	tree_full(f, t_ms, 300 * MiB);
	tree_proc(f, 100, 1, 5, 1000, SHELL_WAITING, 1);
	tree_proc(f, 101, 100, cpu_ticks, io_bytes, pool, n_pool);
}

/* Feeds pool_tree samples every second over [from, to]; returns how many
 * deadlocks were declared and where the first one was. */
static size_t feed_pool(struct rules_pair_state *st, const struct rules_limits *lim,
                        uint64_t from_ms, uint64_t to_ms, uint64_t cpu_ticks, uint64_t io_bytes,
                        const char *const *pool, size_t n_pool, uint64_t *first_ms)
{
	struct tree_fixture f;
	struct rule_event ev[RULES_MAX_EVENTS];
	size_t n, found = 0;
	uint64_t t;

	for (t = from_ms; t <= to_ms; t += 1000) {
		pool_tree(&f, t, cpu_ticks, io_bytes, pool, n_pool);
		n = rules_pair_eval(st, lim, &f.s, ev);
		if (count_kind(ev, n, RULE_DEADLOCK) > 0 && found++ == 0 && first_ms)
			*first_ms = t;
	}
	return found;
}

static void test_deadlock_exactly_at_window(void **state)
{
	struct rules_limits lim = pair_limits();
	struct rules_pair_state st = { 0 };
	struct tree_fixture f;
	struct rule_event ev[RULES_MAX_EVENTS];
	const struct rule_event *d;
	size_t n;

	(void)state;
	/* Baseline at t = 10 s; nothing moves after it. */
	assert_int_equal(feed_pool(&st, &lim, 10000, 10000 + WINDOW_MS - 1000, 500, 4096,
	                           DEADLOCKED_PAIR, 2, NULL),
	                 0);
	assert_false(st.deadlocked);
	/* One millisecond short of the window. */
	pool_tree(&f, 10000 + WINDOW_MS - 1, 500, 4096, DEADLOCKED_PAIR, 2);
	assert_int_equal(rules_pair_eval(&st, &lim, &f.s, ev), 0);

	pool_tree(&f, 10000 + WINDOW_MS, 500, 4096, DEADLOCKED_PAIR, 2);
	n = rules_pair_eval(&st, &lim, &f.s, ev);
	assert_int_equal(n, 1);
	d = &ev[0];
	assert_int_equal(d->kind, RULE_DEADLOCK);
	assert_int_equal(d->stalled_ms, WINDOW_MS);
	assert_int_equal(d->threads, 3);
	assert_int_equal(d->futex_threads, 2);
	assert_int_equal(d->n_blocked, 1);
	assert_int_equal(d->n_blocked_total, 1);
	assert_int_equal(d->blocked_pids[0], 101);
	assert_int_equal(d->rss_bytes, 300 * MiB);
	assert_true(st.deadlocked);

	/* Declared once. */
	assert_int_equal(feed_pool(&st, &lim, 11000 + WINDOW_MS, 10000 + 3 * WINDOW_MS, 500, 4096,
	                           DEADLOCKED_PAIR, 2, NULL),
	                 0);
}

static void test_still_sleepers_are_never_deadlocked(void **state)
{
	static const struct {
		const char *name;
		const char *const *wchans;
	} idle[] = {
		{ "sleep", SLEEPER },
		{ "pipe read", PIPE_READER },
		{ "poll", POLLER },
		{ "wait for child", SHELL_WAITING },
	};
	struct rules_limits lim = pair_limits();
	struct tree_fixture f;
	struct rule_event ev[RULES_MAX_EVENTS];
	size_t i, deadlocks;
	uint64_t t;

	(void)state;
	for (i = 0; i < sizeof idle / sizeof idle[0]; i++) {
		struct rules_pair_state st = { 0 };

		deadlocks = 0;
		for (t = 0; t <= 10 * WINDOW_MS; t += 5000) {
			tree_full(&f, t, 10 * MiB);
			tree_proc(&f, 100, 1, 3, 100, SHELL_WAITING, 1);
			tree_proc(&f, 101, 100, 3, 100, idle[i].wchans, 1);
			tree_proc(&f, 102, 100, 3, 100, idle[i].wchans, 1);
			assert_true(rules_tree_still(&st, &f.s));
			deadlocks +=
				count_kind(ev, rules_pair_eval(&st, &lim, &f.s, ev), RULE_DEADLOCK);
		}
		if (deadlocks != 0)
			print_error("%s: %zu deadlocks\n", idle[i].name, deadlocks);
		assert_int_equal(deadlocks, 0);
	}
}

static void test_busy_parent_beside_blocked_child_is_not_deadlocked(void **state)
{
	struct rules_limits lim = pair_limits();
	struct rules_pair_state st = { 0 };
	struct tree_fixture f;
	struct rule_event ev[RULES_MAX_EVENTS];
	size_t deadlocks = 0;
	uint64_t t;

	(void)state;
	/* The parent computes (50% of a core); its child is all-futex. */
	for (t = 0; t <= 5 * WINDOW_MS; t += 1000) {
		tree_full(&f, t, 200 * MiB);
		tree_proc(&f, 100, 1, t / 20, 0, RUNNING, 1);
		tree_proc(&f, 101, 100, 7, 0, POOL_IDLE, 4);
		deadlocks += count_kind(ev, rules_pair_eval(&st, &lim, &f.s, ev), RULE_DEADLOCK);
	}
	assert_int_equal(deadlocks, 0);
}

static void test_idle_pool_beside_waiting_parent(void **state)
{
	struct rules_limits lim = pair_limits();
	uint64_t first = 0;

	(void)state;
	/* Every thread of the pool futex-waiting: that process is blocked. */
	{
		struct rules_pair_state st = { 0 };

		assert_int_equal(
			feed_pool(&st, &lim, 0, 2 * WINDOW_MS, 40, 0, POOL_IDLE, 4, &first), 1);
		assert_int_equal(first, WINDOW_MS);
	}
	/* Its main thread in epoll on a socket: idle workers around a
	 * server waiting for clients: a stall, never a deadlock. */
	{
		struct rules_pair_state st = { 0 };

		assert_int_equal(
			feed_pool(&st, &lim, 0, 2 * WINDOW_MS, 40, 0, POOL_WITH_SERVER, 4, NULL),
			0);
		assert_false(st.deadlocked);
		assert_true(st.stalled_outside);
	}
}

/* Stillness: any CPU tick, any I/O byte, any wake-up of any thread
 * (its schedule count) is movement; a count unknown at the baseline is
 * compared from the first sample that knows it, without restarting the
 * stall clock. */
static void test_any_tick_byte_or_wakeup_is_movement(void **state)
{
	static const struct {
		uint64_t cpu, io, switches;
		bool switches_known, still;
	} cases[] = {
		{ 1000, 0, 50, true, true },    /* nothing moved */
		{ 1001, 0, 50, true, false },   /* one tick */
		{ 1000, 1, 50, true, false },   /* one byte */
		{ 1000, 0, 51, true, false },   /* one thread woke (Event.wait(3)) */
		{ 1000, 0, 9999, false, true }, /* counts unknown: CPU and I/O decide */
		{ 999, 0, 50, true, false },    /* a process left the tree */
	};
	struct rules_limits lim = pair_limits();
	struct tree_fixture f;
	struct rule_event ev[RULES_MAX_EVENTS];

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct rules_pair_state st = { 0 };

		pool_tree(&f, 0, 1000 - 5, 0, DEADLOCKED_PAIR, 2);
		f.s.switches_known = true;
		f.s.switches = 50;
		rules_pair_eval(&st, &lim, &f.s, ev);
		pool_tree(&f, 1000, cases[i].cpu - 5, cases[i].io, DEADLOCKED_PAIR, 2);
		f.s.io_bytes = cases[i].io + 1000;
		f.s.switches_known = cases[i].switches_known;
		f.s.switches = cases[i].switches;
		if (cases[i].io == 0)
			f.s.io_bytes = 1000;
		assert_int_equal(rules_tree_still(&st, &f.s), cases[i].still);
	}
	/* A timed wait of 3 s with a window of 2 s: the thread wakes every
	 * 3 s, and each wake restarts the clock, so the tree is judged at 2 s
	 * (the sleeper waits on time: no deadlock) but never deadlocked. */
	{
		struct rules_pair_state st = { 0 };
		size_t deadlocks = 0;

		lim.deadlock_window_ms = 2000;
		for (uint64_t t = 0; t <= 60000; t += 1000) {
			pool_tree(&f, t, 40, 0, SLEEPER, 1);
			f.s.switches_known = true;
			f.s.switches = t / 3000;
			deadlocks +=
				count_kind(ev, rules_pair_eval(&st, &lim, &f.s, ev), RULE_DEADLOCK);
		}
		assert_int_equal(deadlocks, 0);
		assert_false(st.stalled_outside);
	}
	/* The runner's rebase (its evidence helper woke the threads) keeps
	 * the verdict and raises nothing. */
	{
		struct rules_pair_state st = { 0 };

		lim.deadlock_window_ms = 2000;
		assert_int_equal(feed_pool(&st, &lim, 0, 2000, 40, 0, DEADLOCKED_PAIR, 2, NULL), 1);
		st.rebase = true;
		pool_tree(&f, 3000, 41, 0, DEADLOCKED_PAIR, 2);
		assert_int_equal(rules_pair_eval(&st, &lim, &f.s, ev), 0);
		assert_true(st.deadlocked);
		pool_tree(&f, 6000, 41, 0, DEADLOCKED_PAIR, 2);
		assert_int_equal(rules_pair_eval(&st, &lim, &f.s, ev), 0);
		assert_true(st.deadlocked);
		/* The job itself moves: resolved. */
		pool_tree(&f, 7000, 42, 0, DEADLOCKED_PAIR, 2);
		assert_int_equal(count_kind(ev, rules_pair_eval(&st, &lim, &f.s, ev),
		                            RULE_DEADLOCK_RESOLVED),
		                 1);
	}
}

static void test_io_change_resets_stall(void **state)
{
	struct rules_limits lim = pair_limits();
	struct rules_pair_state st = { 0 };
	uint64_t first = 0;

	(void)state;
	assert_int_equal(feed_pool(&st, &lim, 0, 60000, 40, 4096, DEADLOCKED_PAIR, 2, NULL), 0);
	/* One byte written at 61 s: progress. */
	assert_int_equal(feed_pool(&st, &lim, 61000, 61000 + 2 * WINDOW_MS, 40, 4097,
	                           DEADLOCKED_PAIR, 2, &first),
	                 1);
	assert_int_equal(first, 61000 + WINDOW_MS);
}

static void test_unknown_io_relies_on_cpu(void **state)
{
	struct rules_limits lim = pair_limits();
	struct rules_pair_state st = { 0 };
	struct tree_fixture f;
	struct rule_event ev[RULES_MAX_EVENTS];
	size_t deadlocks = 0;
	uint64_t t, first = 0;

	(void)state;
	/* Unreadable /proc/PID/io: the counters are garbage, ignored. */
	for (t = 0; t <= WINDOW_MS; t += 1000) {
		pool_tree(&f, t, 40, t, DEADLOCKED_PAIR, 2);
		f.s.io_known = false;
		if (count_kind(ev, rules_pair_eval(&st, &lim, &f.s, ev), RULE_DEADLOCK) > 0 &&
		    deadlocks++ == 0)
			first = t;
	}
	assert_int_equal(deadlocks, 1);
	assert_int_equal(first, WINDOW_MS);

	/* Known at the baseline, unreadable later (a new process whose io
	 * cannot be read): the sums are not comparable, the CPU decides. */
	{
		struct rules_pair_state st2 = { 0 };

		pool_tree(&f, 0, 40, 4096, DEADLOCKED_PAIR, 2);
		rules_pair_eval(&st2, &lim, &f.s, ev);
		pool_tree(&f, WINDOW_MS, 40, 0, DEADLOCKED_PAIR, 2);
		f.s.io_known = false;
		assert_true(rules_tree_still(&st2, &f.s));
		assert_int_equal(
			count_kind(ev, rules_pair_eval(&st2, &lim, &f.s, ev), RULE_DEADLOCK), 1);
	}
	/* Unknown at the baseline, readable from then on: I/O progress
	 * after it became readable counts. */
	{
		struct rules_pair_state st3 = { 0 };

		pool_tree(&f, 0, 40, 0, DEADLOCKED_PAIR, 2);
		f.s.io_known = false;
		rules_pair_eval(&st3, &lim, &f.s, ev);
		assert_int_equal(
			feed_pool(&st3, &lim, 1000, 59000, 40, 4096, DEADLOCKED_PAIR, 2, NULL), 0);
		first = 0;
		assert_int_equal(feed_pool(&st3, &lim, 60000, 60000 + WINDOW_MS, 40, 8192,
		                           DEADLOCKED_PAIR, 2, &first),
		                 1);
		assert_int_equal(first, 60000 + WINDOW_MS);
	}
}

static void test_deadlock_resolves_when_cpu_moves(void **state)
{
	struct rules_limits lim = pair_limits();
	struct rules_pair_state st = { 0 };
	struct tree_fixture f;
	struct rule_event ev[RULES_MAX_EVENTS];
	size_t n;
	uint64_t t0 = WINDOW_MS + 1000, first = 0;

	(void)state;
	assert_int_equal(feed_pool(&st, &lim, 0, WINDOW_MS, 40, 0, DEADLOCKED_PAIR, 2, NULL), 1);
	pool_tree(&f, t0, 540, 0, DEADLOCKED_PAIR, 2);
	n = rules_pair_eval(&st, &lim, &f.s, ev);
	assert_int_equal(n, 1);
	assert_int_equal(ev[0].kind, RULE_DEADLOCK_RESOLVED);
	assert_false(st.deadlocked);
	/* Moving once does not resolve twice. */
	pool_tree(&f, t0 + 1000, 540, 0, DEADLOCKED_PAIR, 2);
	assert_int_equal(rules_pair_eval(&st, &lim, &f.s, ev), 0);
	/* Stuck again: a new deadlock one window after the movement. */
	assert_int_equal(feed_pool(&st, &lim, t0 + 2000, t0 + 2 * WINDOW_MS, 540, 0,
	                           DEADLOCKED_PAIR, 2, &first),
	                 1);
	assert_int_equal(first, t0 + WINDOW_MS);
}

static void test_deadlock_resolves_when_nobody_blocked(void **state)
{
	struct rules_limits lim = pair_limits();
	struct rules_pair_state st = { 0 };
	struct tree_fixture f;
	struct rule_event ev[RULES_MAX_EVENTS];
	size_t i, n;

	(void)state;
	assert_int_equal(feed_pool(&st, &lim, 0, WINDOW_MS, 40, 0, DEADLOCKED_PAIR, 2, NULL), 1);
	/* Still, but without thread states (the per-process wait fields are
	 * not filled then): no verdict either way. */
	pool_tree(&f, WINDOW_MS + 1000, 40, 0, DEADLOCKED_PAIR, 2);
	f.s.threads_scanned = false;
	f.s.waits_scanned = false;
	f.s.futex_threads = 0;
	for (i = 0; i < f.s.n_procs; i++) {
		f.procs[i].futex_threads = 0;
		f.procs[i].all_futex = false;
		f.procs[i].n_threads_scanned = 0;
	}
	assert_int_equal(rules_pair_eval(&st, &lim, &f.s, ev), 0);
	assert_true(st.deadlocked);
	/* A fast sample never judges a deadlock. */
	tree_fast(&f, WINDOW_MS + 1500, 300 * MiB);
	assert_int_equal(rules_pair_eval(&st, &lim, &f.s, ev), 0);
	assert_true(st.deadlocked);
	/* Scanned, still, the pool now sleeping in poll: resolved. */
	pool_tree(&f, WINDOW_MS + 2000, 40, 0, POLLER, 1);
	n = rules_pair_eval(&st, &lim, &f.s, ev);
	assert_int_equal(n, 1);
	assert_int_equal(ev[0].kind, RULE_DEADLOCK_RESOLVED);
	assert_false(st.deadlocked);
}

static void test_fast_samples_never_judge_deadlock(void **state)
{
	struct rules_limits lim = pair_limits();
	struct rules_pair_state st = { 0 };
	struct tree_fixture f;
	struct rule_event ev[RULES_MAX_EVENTS];
	uint64_t t;

	(void)state;
	pool_tree(&f, 0, 40, 0, DEADLOCKED_PAIR, 2);
	assert_int_equal(rules_pair_eval(&st, &lim, &f.s, ev), 0);
	for (t = 1000; t <= 3 * WINDOW_MS; t += 1000) {
		tree_fast(&f, t, 300 * MiB);
		assert_int_equal(rules_pair_eval(&st, &lim, &f.s, ev), 0);
	}
	assert_false(st.deadlocked);
}

static void test_zero_window_means_no_deadlock_rule(void **state)
{
	struct rules_limits lim = pair_limits();
	struct rules_pair_state st = { 0 };

	(void)state;
	lim.deadlock_window_ms = 0;
	assert_int_equal(feed_pool(&st, &lim, 0, 3 * WINDOW_MS, 40, 0, DEADLOCKED_PAIR, 2, NULL),
	                 0);
}

static void test_blocked_pids_are_capped(void **state)
{
	struct rules_limits lim = pair_limits();
	struct rules_pair_state st = { 0 };
	struct tree_fixture f;
	struct rule_event ev[RULES_MAX_EVENTS];
	struct rule_event d = { 0 };
	size_t n, found = 0;
	uint64_t t;
	int i;

	(void)state;
	/* Every process of the tree blocked: all are listed. */
	for (t = 0; t <= WINDOW_MS; t += WINDOW_MS / 2) {
		tree_full(&f, t, 10 * MiB);
		for (i = 0; i < FIX_MAX_PROCS; i++)
			tree_proc(&f, 200 + i, 100, 1, 0, DEADLOCKED_PAIR, 2);
		n = rules_pair_eval(&st, &lim, &f.s, ev);
		if (get_kind(ev, n, RULE_DEADLOCK, &d))
			found++;
	}
	assert_int_equal(found, 1);
	assert_int_equal(d.n_blocked, FIX_MAX_PROCS);
	assert_int_equal(d.n_blocked_total, FIX_MAX_PROCS);
	for (i = 0; i < FIX_MAX_PROCS; i++)
		assert_int_equal(d.blocked_pids[i], 200 + i);

	{
		/* A sample that lists more than RULES_MAX_BLOCKED. */
		struct proc_sample many[RULES_MAX_BLOCKED + 4];
		struct thread_sample mains[RULES_MAX_BLOCKED + 4];
		struct tree_sample s = f.s;
		struct rules_pair_state st2 = { 0 };

		memset(many, 0, sizeof many);
		memset(mains, 0, sizeof mains);
		for (i = 0; i < RULES_MAX_BLOCKED + 4; i++) {
			many[i].pid = 300 + i;
			many[i].num_threads = 1;
			many[i].futex_threads = 1;
			many[i].all_futex = true;
			many[i].first_thread = (size_t)i;
			many[i].n_threads_scanned = 1;
			mains[i].tid = 300 + i;
			mains[i].state = 'S';
			mains[i].wait = WAIT_LOCK;
		}
		s.threads_v = mains;
		s.procs = many;
		s.n_procs = RULES_MAX_BLOCKED + 4;
		s.t_ms = 0;
		rules_pair_eval(&st2, &lim, &s, ev);
		s.t_ms = WINDOW_MS;
		n = rules_pair_eval(&st2, &lim, &s, ev);
		assert_true(get_kind(ev, n, RULE_DEADLOCK, &d));
		assert_int_equal(d.n_blocked, RULES_MAX_BLOCKED);
		assert_int_equal(d.n_blocked_total, RULES_MAX_BLOCKED + 4);
		assert_int_equal(d.blocked_pids[RULES_MAX_BLOCKED - 1],
		                 300 + RULES_MAX_BLOCKED - 1);
	}
}

static void test_root_gone(void **state)
{
	struct rules_limits lim = pair_limits();
	struct rules_pair_state st = { 0 };
	struct tree_sample gone = { .t_ms = 5000,
		                    .root = 100,
		                    .root_alive = false,
		                    .full = true,
		                    .threads_scanned = true,
		                    .ticks_per_s = TICKS_PER_S };
	struct rule_event ev[RULES_MAX_EVENTS];
	size_t n;

	(void)state;
	/* Nothing open: nothing to say, even with no processes at all. */
	assert_int_equal(rules_pair_eval(&st, &lim, &gone, ev), 0);
	assert_true(rules_tree_still(&st, &gone));

	/* Whatever the sample still lists after the root went (here over
	 * every line) raises nothing: ending the pair is the runner's job. */
	{
		struct tree_fixture f;

		pool_tree(&f, 6000, 40, 0, DEADLOCKED_PAIR, 2);
		f.s.root_alive = false;
		f.s.rss_bytes = 5 * GiB;
		lim.input_bytes = 10 * MiB;
		assert_int_equal(rules_pair_eval(&st, &lim, &f.s, ev), 0);
		f.s.t_ms += 10 * WINDOW_MS;
		assert_int_equal(rules_pair_eval(&st, &lim, &f.s, ev), 0);
	}

	/* Bloated and deadlocked when it went: both get their resolution. */
	lim.input_bytes = 10 * MiB;
	assert_int_equal(feed_pool(&st, &lim, 0, WINDOW_MS, 40, 0, DEADLOCKED_PAIR, 2, NULL), 1);
	assert_true(st.bloated);
	gone.t_ms = WINDOW_MS + 1000;
	n = rules_pair_eval(&st, &lim, &gone, ev);
	assert_int_equal(n, 2);
	assert_int_equal(count_kind(ev, n, RULE_BLOAT_RESOLVED), 1);
	assert_int_equal(count_kind(ev, n, RULE_DEADLOCK_RESOLVED), 1);
	assert_int_equal(rules_pair_eval(&st, &lim, &gone, ev), 0);
}

static void test_tree_still_baseline(void **state)
{
	struct rules_limits lim = pair_limits();
	struct rules_pair_state st = { 0 };
	struct tree_fixture f;
	struct rule_event ev[RULES_MAX_EVENTS];

	(void)state;
	pool_tree(&f, 0, 40, 100, DEADLOCKED_PAIR, 2);
	assert_true(rules_tree_still(&st, &f.s)); /* no baseline yet */
	rules_pair_eval(&st, &lim, &f.s, ev);
	pool_tree(&f, 1000, 40, 100, DEADLOCKED_PAIR, 2);
	assert_true(rules_tree_still(&st, &f.s));
	pool_tree(&f, 1000, 40, 101, DEADLOCKED_PAIR, 2);
	assert_false(rules_tree_still(&st, &f.s)); /* I/O moved */
	pool_tree(&f, 1000, 30, 100, DEADLOCKED_PAIR, 2);
	assert_false(rules_tree_still(&st, &f.s)); /* a process left */
}

/* ---- pressure ------------------------------------------------------------ */

static struct rules_sys_limits sys_limits(void)
{
	struct rules_sys_limits lim = {
		.min_available_bytes = 1 * GiB,
		.max_swap_used_bytes = 2 * GiB,
		.max_psi_some = 20,
	};
	return lim;
}

static struct sys_sample sys_calm(void)
{
	struct sys_sample s = {
		.t_ms = 1000,
		.mem_total_bytes = 16 * GiB,
		.mem_available_bytes = 8 * GiB,
		.swap_total_bytes = 4 * GiB,
		.swap_free_bytes = 4 * GiB,
		.psi_known = true,
		.psi_some_avg10 = 0.5,
		.psi_full_avg10 = 0.1,
	};
	return s;
}

static void test_pressure_causes(void **state)
{
	static const struct {
		const char *name;
		uint64_t available, swap_total, swap_free;
		bool psi_known;
		double psi;
		size_t events;
		bool low, swap, psi_flag;
	} cases[] = {
		{ "calm", 8 * GiB, 4 * GiB, 4 * GiB, true, 0.5, 0, false, false, false },
		{ "low available", 1 * GiB - 1, 4 * GiB, 4 * GiB, true, 0.5, 1, true, false,
		  false },
		{ "at available line", 1 * GiB, 4 * GiB, 4 * GiB, true, 0.5, 0, false, false,
		  false },
		{ "swap used", 8 * GiB, 4 * GiB, 2 * GiB - 1, true, 0.5, 1, false, true, false },
		{ "swap at line", 8 * GiB, 4 * GiB, 2 * GiB, true, 0.5, 0, false, false, false },
		{ "psi", 8 * GiB, 4 * GiB, 4 * GiB, true, 20.5, 1, false, false, true },
		{ "psi unknown", 8 * GiB, 4 * GiB, 4 * GiB, false, 99, 0, false, false, false },
		{ "no swap", 8 * GiB, 0, 0, true, 0.5, 0, false, false, false },
		{ "all three", 100 * MiB, 4 * GiB, 0, true, 60, 1, true, true, true },
	};
	struct rules_sys_limits lim = sys_limits();
	struct rule_event ev[RULES_MAX_EVENTS];
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct rules_sys_state st = { 0 };
		struct sys_sample s = sys_calm();

		s.mem_available_bytes = cases[i].available;
		s.swap_total_bytes = cases[i].swap_total;
		s.swap_free_bytes = cases[i].swap_free;
		s.psi_known = cases[i].psi_known;
		s.psi_some_avg10 = cases[i].psi;
		n = rules_sys_eval(&st, &lim, &s, ev);
		if (n != cases[i].events)
			print_error("case %s\n", cases[i].name);
		assert_int_equal(n, cases[i].events);
		assert_int_equal(st.pressure, cases[i].events == 1);
		if (n == 1) {
			assert_int_equal(ev[0].kind, RULE_PRESSURE);
			assert_int_equal(ev[0].low_available, cases[i].low);
			assert_int_equal(ev[0].high_swap, cases[i].swap);
			assert_int_equal(ev[0].high_psi, cases[i].psi_flag);
		}
	}
}

static void test_pressure_no_swap_limit(void **state)
{
	struct rules_sys_limits lim = sys_limits();
	struct rules_sys_state st = { 0 };
	struct sys_sample s = sys_calm();
	struct rule_event ev[RULES_MAX_EVENTS];

	(void)state;
	lim.max_swap_used_bytes = UINT64_MAX;
	s.swap_free_bytes = 0; /* all swap used */
	assert_int_equal(rules_sys_eval(&st, &lim, &s, ev), 0);
	/* No swap at all with a zero limit: never swap pressure either. */
	lim.max_swap_used_bytes = 0;
	s.swap_total_bytes = 0;
	assert_int_equal(rules_sys_eval(&st, &lim, &s, ev), 0);
}

static void test_pressure_resolution_hysteresis(void **state)
{
	/* Each cause raises pressure, then wobbles just inside its margin
	 * (no resolution), then clears its margin (one resolution). */
	static const struct {
		const char *name;
		uint64_t available, swap_free;
		bool psi_known;
		double psi;
		size_t events;
		enum rule_kind kind;
	} story[] = {
		{ "low", 900 * MiB, 4 * GiB, true, 1, 1, RULE_PRESSURE },
		{ "back over line", 1100 * MiB, 4 * GiB, true, 1, 0, 0 }, /* < 1.1 GiB */
		{ "low again", 900 * MiB, 4 * GiB, true, 1, 0, 0 },
		{ "margin cleared", 1127 * MiB, 4 * GiB, true, 1, 1, RULE_PRESSURE_RESOLVED },
		{ "calm", 8 * GiB, 4 * GiB, true, 1, 0, 0 },
		{ "swap", 8 * GiB, 1 * GiB, true, 1, 1, RULE_PRESSURE }, /* 3 GiB used */
		{ "swap 95%", 8 * GiB, 4 * GiB - 1946 * MiB, true, 1, 0, 0 },
		{ "swap 90%", 8 * GiB, 4 * GiB - 1843 * MiB, true, 1, 1, RULE_PRESSURE_RESOLVED },
		{ "psi", 8 * GiB, 4 * GiB, true, 30, 1, RULE_PRESSURE },
		{ "psi 80%", 8 * GiB, 4 * GiB, true, 16, 0, 0 },
		{ "psi 75%", 8 * GiB, 4 * GiB, true, 15, 1, RULE_PRESSURE_RESOLVED },
		{ "psi again", 8 * GiB, 4 * GiB, true, 25, 1, RULE_PRESSURE },
		{ "psi unknown", 8 * GiB, 4 * GiB, false, 25, 1, RULE_PRESSURE_RESOLVED },
	};
	struct rules_sys_limits lim = sys_limits();
	struct rules_sys_state st = { 0 };
	struct rule_event ev[RULES_MAX_EVENTS];
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof story / sizeof story[0]; i++) {
		struct sys_sample s = sys_calm();

		s.t_ms = 1000 * (i + 1);
		s.mem_available_bytes = story[i].available;
		s.swap_free_bytes = story[i].swap_free;
		s.psi_known = story[i].psi_known;
		s.psi_some_avg10 = story[i].psi;
		n = rules_sys_eval(&st, &lim, &s, ev);
		if (n != story[i].events)
			print_error("step %s\n", story[i].name);
		assert_int_equal(n, story[i].events);
		if (n == 1)
			assert_int_equal(ev[0].kind, story[i].kind);
	}
}

/* ---- sampling interval --------------------------------------------------- */

static void test_next_check(void **state)
{
	static const struct {
		const char *name;
		uint64_t kill_rss, rss;
		bool have_last;
		double max_rate, assumed;
		uint64_t want_ms;
	} cases[] = {
		/* 1 GiB line, base 1000 ms, min 10 ms; rates in bytes/ms. */
		{ "far from line", 1 * GiB, 100 * MiB, true, 100.0 * MiB / 1000, 0, 1000 },
		{ "near: 100 MiB at 1 MiB/ms", 1 * GiB, 924 * MiB, true, 1.0 * MiB, 0, 50 },
		{ "assumed rate wins", 1 * GiB, 924 * MiB, true, 0, 2.0 * MiB, 25 },
		{ "seen rate wins", 1 * GiB, 924 * MiB, true, 2.0 * MiB, 1.0 * MiB, 25 },
		{ "never below min", 1 * GiB, 1 * GiB - 1, true, 1.0 * MiB, 0, 10 },
		{ "at the line", 1 * GiB, 1 * GiB, true, 1.0 * MiB, 0, 10 },
		{ "over the line", 1 * GiB, 2 * GiB, true, 0, 0, 10 },
		{ "no line", UINT64_MAX, 100 * GiB, true, 1.0 * GiB, 1.0 * GiB, 1000 },
		{ "no rate at all", 1 * GiB, 1000 * MiB, true, 0, 0, 1000 },
		{ "negative assumed", 1 * GiB, 924 * MiB, true, 1.0 * MiB, -5.0 * MiB, 50 },
		{ "NaN assumed", 1 * GiB, 924 * MiB, true, 1.0 * MiB, NAN, 50 },
		{ "no sample yet", 1 * GiB, 0, false, 0, 1.0 * MiB, 512 },
	};
	size_t i;
	uint64_t got;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct rules_limits lim = pair_limits();
		struct rules_pair_state st = { 0 };

		lim.kill_rss_bytes = cases[i].kill_rss;
		st.have_last = cases[i].have_last;
		st.last_rss_bytes = cases[i].rss;
		st.max_rate_bytes_per_ms = cases[i].max_rate;
		got = rules_next_check_ms(&st, &lim, 1000, 10, cases[i].assumed);
		if (got != cases[i].want_ms)
			print_error("case %s: %llu ms\n", cases[i].name, (unsigned long long)got);
		assert_int_equal(got, cases[i].want_ms);
	}
}

static void test_next_check_follows_growth(void **state)
{
	struct rules_limits lim = pair_limits();
	struct rules_pair_state st = { 0 };
	uint64_t t, prev = UINT64_MAX, next;

	(void)state;
	lim.warn_rss_bytes = UINT64_MAX;
	/* Growing 1 GiB/s toward a 1000 MiB line: the interval shrinks as
	 * the headroom does, and never goes under the minimum. */
	for (t = 0; t <= 900; t += 100) {
		feed_rss(&st, &lim, t, t * MiB, RULE_KILL_RSS);
		next = rules_next_check_ms(&st, &lim, 1000, 5, 0);
		assert_true(next <= prev);
		assert_true(next >= 5);
		prev = next;
	}
	assert_int_equal(prev, 50); /* 100 MiB left at 1 MiB/ms, halved */
	feed_rss(&st, &lim, 905, 995 * MiB, RULE_KILL_RSS);
	assert_int_equal(rules_next_check_ms(&st, &lim, 1000, 5, 0), 5);
}

/* ---- names --------------------------------------------------------------- */

static void test_kind_names(void **state)
{
	static const enum rule_kind kinds[] = {
		RULE_APPROACH, RULE_KILL_RSS,          RULE_BLOAT,    RULE_BLOAT_RESOLVED,
		RULE_DEADLOCK, RULE_DEADLOCK_RESOLVED, RULE_PRESSURE, RULE_PRESSURE_RESOLVED,
	};
	size_t i, j;

	(void)state;
	assert_string_equal(rules_kind_name(RULE_APPROACH), "approach");
	assert_string_equal(rules_kind_name(RULE_KILL_RSS), "kill");
	assert_string_equal(rules_kind_name(RULE_BLOAT), "bloat");
	assert_string_equal(rules_kind_name(RULE_DEADLOCK), "deadlock");
	assert_string_equal(rules_kind_name(RULE_PRESSURE), "pressure");
	for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		assert_non_null(rules_kind_name(kinds[i]));
		assert_true(rules_kind_name(kinds[i])[0] != '\0');
		for (j = 0; j < i; j++)
			assert_string_not_equal(rules_kind_name(kinds[i]),
			                        rules_kind_name(kinds[j]));
	}
	assert_string_equal(rules_kind_name((enum rule_kind)99), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kill_strictly_above_line),
		cmocka_unit_test(test_kill_every_evaluation_while_over),
		cmocka_unit_test(test_kill_no_line),
		cmocka_unit_test(test_approach_once_with_eta),
		cmocka_unit_test(test_approach_eta_null_when_not_growing),
		cmocka_unit_test(test_approach_rearms_below_95_percent),
		cmocka_unit_test(test_jump_over_kill_line_logs_approach_then_kill),
		cmocka_unit_test(test_growth_uneven_intervals_agree),
		cmocka_unit_test(test_growth_shrinking_and_same_ms),
		cmocka_unit_test(test_bloat_once_with_hysteresis),
		cmocka_unit_test(test_no_bloat_without_inputs),
		cmocka_unit_test(test_deadlock_exactly_at_window),
		cmocka_unit_test(test_still_sleepers_are_never_deadlocked),
		cmocka_unit_test(test_busy_parent_beside_blocked_child_is_not_deadlocked),
		cmocka_unit_test(test_idle_pool_beside_waiting_parent),
		cmocka_unit_test(test_any_tick_byte_or_wakeup_is_movement),
		cmocka_unit_test(test_io_change_resets_stall),
		cmocka_unit_test(test_unknown_io_relies_on_cpu),
		cmocka_unit_test(test_deadlock_resolves_when_cpu_moves),
		cmocka_unit_test(test_deadlock_resolves_when_nobody_blocked),
		cmocka_unit_test(test_fast_samples_never_judge_deadlock),
		cmocka_unit_test(test_zero_window_means_no_deadlock_rule),
		cmocka_unit_test(test_blocked_pids_are_capped),
		cmocka_unit_test(test_root_gone),
		cmocka_unit_test(test_tree_still_baseline),
		cmocka_unit_test(test_pressure_causes),
		cmocka_unit_test(test_pressure_no_swap_limit),
		cmocka_unit_test(test_pressure_resolution_hysteresis),
		cmocka_unit_test(test_next_check),
		cmocka_unit_test(test_next_check_follows_growth),
		cmocka_unit_test(test_kind_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
