/* tui-driver: the dashboard on a fake, changing model, without the rest of
 * mergewatch, for looking at it in tmux and for the e2e tests.
 *
 * Build (from the repository root):
 *   mkdir -p build && cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -g \
 *     $(pkg-config --cflags ncursesw) -o build/tui-driver \
 *     tests/tui/tui-driver.c tui/?*.c runner/units.c \
 *     $(pkg-config --libs ncursesw) -lm
 *
 * Usage: build/tui-driver [--tick MS] [--pairs N] [--over] [--deadlock]
 *                         [--watch] [--no-tree]
 *   --tick MS    model update period (default 1000)
 *   --pairs N    number of pairs (default 12, at least 6)
 *   --over       the run is over from the start (outcome shown, q quits)
 *   --deadlock   the running pair's tree is all futex-blocked, stalled
 *   --watch      can_restart false: restart is refused with -EPERM
 *   --no-tree    no tree samples at all (trees == NULL)
 *
 * Like the real loop it polls the terminal and a signalfd (SIGWINCH, SIGINT,
 * SIGTERM), updates the model on a timer and renders once per wake-up. Every
 * action the dashboard asks for is logged as an "operator" alert in the
 * model's Alerts pane, so a test sees which one was called, and printed to
 * standard error at exit (with the quit choice). The running pair's tree
 * holds hostile names: "\033[2J\n" and invalid UTF-8. */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "../../core/model.h"
#include "../../tui/tui.h"

#define GIB (1024ULL * 1024 * 1024)
#define MIB (1024ULL * 1024)

enum {
	DRIVER_MAX_PAIRS = 64,
	DRIVER_PROCS = 7,
	DRIVER_THREADS = 24,
};

struct driver {
	struct model m;
	struct model_pair pairs[DRIVER_MAX_PAIRS];
	char names[DRIVER_MAX_PAIRS][16];
	const struct tree_sample *trees[DRIVER_MAX_PAIRS];
	struct tree_sample tree;
	struct proc_sample procs[DRIVER_PROCS];
	struct thread_sample threads[DRIVER_THREADS];
	bool deadlock;
	bool no_tree;
	uint64_t tick;
	unsigned rng;
	char log[4096]; /* actions, printed at exit */
	size_t log_len;
};

static uint64_t driver_now_ms(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static unsigned driver_rand(struct driver *d, unsigned n)
{
	d->rng = d->rng * 1103515245u + 12345u;
	return (d->rng >> 16) % (n ? n : 1);
}

static void driver_alert(struct driver *d, const char *kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void driver_alert(struct driver *d, const char *kind, const char *fmt, ...)
{
	struct model_alert *al = &d->m.alerts[d->m.alerts_head];
	va_list ap;

	memset(al, 0, sizeof *al);
	al->wall_ms = driver_now_ms(CLOCK_REALTIME);
	snprintf(al->kind, sizeof al->kind, "%s", kind);
	va_start(ap, fmt);
	vsnprintf(al->text, sizeof al->text, fmt, ap);
	va_end(ap);
	d->m.alerts_head = (d->m.alerts_head + 1) % MODEL_ALERTS;
	if (d->m.alerts_len < MODEL_ALERTS)
		d->m.alerts_len++;
}

static void driver_proc(struct driver *d, int i, pid_t pid, pid_t ppid, const char *comm,
                        int threads)
{
	struct proc_sample *p = &d->procs[i];

	memset(p, 0, sizeof *p);
	p->pid = pid;
	p->ppid = ppid;
	p->start_ticks = 1000 + (uint64_t)pid;
	p->state = 'S';
	snprintf(p->comm, sizeof p->comm, "%s", comm);
	p->num_threads = threads;
	p->io_known = true;
}

/* A tree for the running pair rooted at pid: sh -> python3 (with threads)
 * -> workers, plus processes with hostile names. */
static void driver_tree_new(struct driver *d, pid_t pid)
{
	driver_proc(d, 0, pid, 1, "sh", 1);
	driver_proc(d, 1, pid + 1, pid, "python3", 12);
	driver_proc(d, 2, pid + 2, pid + 1, "merge-worker", 4);
	driver_proc(d, 3, pid + 3, pid + 1, "merge-worker", 4);
	driver_proc(d, 4, pid + 4, pid + 1, "\033[2J\nevil", 1);
	driver_proc(d, 5, pid + 5, pid,
	            "bad\xff\xfe"
	            "utf8",
	            1);
	driver_proc(d, 6, pid + 6, pid + 2, "z\xc3\xbcrich-\xc3\xb6", 2);
	d->tree.root = pid;
	d->tree.n_procs = DRIVER_PROCS;
	d->tree.procs = d->procs;
}

/* One full sample of the tree at t_ms. */
static void driver_tree_sample(struct driver *d, uint64_t t_ms)
{
	struct tree_sample *ts = &d->tree;
	size_t th = 0;

	ts->t_ms = t_ms;
	ts->root_alive = true;
	ts->full = true;
	ts->ticks_per_s = 100;
	ts->threads_scanned = true;
	ts->io_known = true;
	ts->rss_bytes = ts->cpu_ticks = 0;
	ts->threads = ts->futex_threads = 0;
	for (size_t i = 0; i < ts->n_procs; i++) {
		struct proc_sample *p = &d->procs[i];
		int busy = d->deadlock ? 0 : (int)driver_rand(d, 100);

		if (i == 1 || i == 2 || i == 3)
			p->cpu_ticks += (uint64_t)busy;
		p->rss_bytes = (i == 1             ? 3 * GIB
		                : i == 2 || i == 3 ? 900 * MIB
		                                   : 12 * MIB) +
		               driver_rand(d, 64) * MIB;
		p->state = busy > 50 && i >= 1 && i <= 3 ? 'R' : 'S';
		p->first_thread = th;
		p->futex_threads = 0;
		for (int k = 0; k < p->num_threads && th < DRIVER_THREADS; k++, th++) {
			struct thread_sample *t = &d->threads[th];
			bool futex = i >= 1 && i <= 3 && (d->deadlock || k > 1);

			t->tid = p->pid + k;
			t->state = 'S';
			t->futex_wait = futex;
			snprintf(t->wchan, sizeof t->wchan, "%s",
			         futex    ? "futex_wait_queue"
			         : i == 0 ? "do_wait"
			         : i == 4 ? "\033[31mpipe_read\r"
			                  : "ep_poll");
			p->futex_threads += futex;
		}
		p->n_threads_scanned = th - p->first_thread;
		p->all_futex =
			p->futex_threads == (int)p->n_threads_scanned && p->n_threads_scanned > 0;
		snprintf(p->top_wchan, sizeof p->top_wchan, "%s",
		         p->n_threads_scanned ? d->threads[th - 1].wchan : "");
		ts->rss_bytes += p->rss_bytes;
		ts->cpu_ticks += p->cpu_ticks;
		ts->threads += p->num_threads;
		ts->futex_threads += p->futex_threads;
	}
	ts->threads_v = d->threads;
	ts->n_threads_v = th;
}

static void driver_start_next(struct driver *d)
{
	struct model *m = &d->m;
	uint64_t now = m->now_ms;

	m->running = -1;
	for (int i = 0; i < m->n_pairs; i++) {
		struct model_pair *p = &m->pairs[i];

		if (p->state != PAIR_PENDING)
			continue;
		p->state = PAIR_RUNNING;
		p->attempt = 1;
		p->pid = 4000 + 100 * i;
		p->started_ms = now;
		p->progress_total = 40;
		m->running = i;
		driver_tree_new(d, p->pid);
		driver_alert(d, "pair_start", "pair %s started (pid %d)", p->name, (int)p->pid);
		return;
	}
	m->run_over = true;
	snprintf(m->outcome, sizeof m->outcome, "all pairs ended");
}

static void driver_end(struct driver *d, int i, enum pair_state s, int exit_code, int sig,
                       const char *reason)
{
	struct model_pair *p = &d->m.pairs[i];

	p->state = s;
	p->exit_code = exit_code;
	p->signal = sig;
	p->ended_ms = d->m.now_ms;
	p->pid = 0;
	p->paused = false;
	snprintf(p->reason, sizeof p->reason, "%s", reason);
	d->trees[i] = NULL;
	if (d->m.running == i)
		driver_start_next(d);
}

static void driver_log(struct driver *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void driver_log(struct driver *d, const char *fmt, ...)
{
	va_list ap;

	if (d->log_len >= sizeof d->log - 1)
		return;
	va_start(ap, fmt);
	d->log_len += (size_t)vsnprintf(d->log + d->log_len, sizeof d->log - d->log_len, fmt, ap);
	va_end(ap);
	if (d->log_len > sizeof d->log - 1)
		d->log_len = sizeof d->log - 1;
}

static const char *const driver_action_names[] = {
	"ACTION_KILL", "ACTION_RESTART",   "ACTION_SKIP",       "ACTION_PAUSE",
	"ACTION_ACK",  "ACTION_QUIT_STOP", "ACTION_QUIT_LEAVE",
};

/* model_actions.act: what the runner would do, crudely. */
static int driver_act(void *ctx, enum model_action action, int pair)
{
	struct driver *d = ctx;
	struct model_pair *p = pair >= 0 ? &d->m.pairs[pair] : NULL;
	const char *name = p != NULL ? p->name : "-";

	driver_log(d, "tui-driver: %s %s\n", driver_action_names[action], name);
	driver_alert(d, "operator", "%s %s (reason operator)", driver_action_names[action], name);
	switch (action) {
	case ACTION_KILL:
		driver_end(d, pair, PAIR_KILLED, -1, SIGKILL, "operator");
		break;
	case ACTION_RESTART:
		if (!d->m.can_restart)
			return -EPERM;
		p->attempt++;
		p->state = PAIR_PENDING;
		p->ended_ms = 0;
		p->progress_done = 0;
		if (d->m.running == pair)
			driver_end(d, pair, PAIR_PENDING, -1, 0, "");
		break;
	case ACTION_SKIP:
		driver_end(d, pair, PAIR_SKIPPED, -1, 0, "operator");
		break;
	case ACTION_PAUSE:
		p->paused = !p->paused;
		break;
	case ACTION_ACK:
		for (int k = 0; k < d->m.alerts_len; k++) {
			int i = ((d->m.alerts_head - 1 - k) % MODEL_ALERTS + MODEL_ALERTS) %
			        MODEL_ALERTS;

			if (!d->m.alerts[i].acked && strcmp(d->m.alerts[i].kind, "operator") != 0) {
				d->m.alerts[i].acked = true;
				break;
			}
		}
		break;
	case ACTION_QUIT_STOP:
	case ACTION_QUIT_LEAVE:
		break;
	}
	return 0;
}

static void driver_setup(struct driver *d, int n_pairs)
{
	struct model *m = &d->m;
	uint64_t now = driver_now_ms(CLOCK_MONOTONIC);

	snprintf(m->host, sizeof m->host, "vm-merge-1");
	m->limit_mechanism = "cgroup1";
	m->limit_note = NULL;
	m->interval_ms = 1000;
	m->now_ms = now;
	m->wall_ms = driver_now_ms(CLOCK_REALTIME);
	m->sys.mem_total_bytes = 24 * GIB;
	m->sys.mem_available_bytes = 14 * GIB;
	m->sys.swap_total_bytes = 8 * GIB;
	m->sys.swap_free_bytes = 7 * GIB;
	m->sys.psi_known = true;
	m->pressure.min_available_bytes = 24 * GIB / 10;
	m->pressure.max_swap_used_bytes = 4 * GIB;
	m->pressure.max_psi_some = 20;
	m->pairs = d->pairs;
	m->n_pairs = n_pairs;
	m->running = -1;
	m->can_restart = true;
	m->trees = d->no_tree ? NULL : d->trees;
	for (int i = 0; i < n_pairs; i++) {
		struct model_pair *p = &d->pairs[i];

		snprintf(d->names[i], sizeof d->names[i], "chr%02d", i + 1);
		p->name = d->names[i];
		p->state = PAIR_PENDING;
		p->exit_code = -1;
		p->input_bytes = (1 + (uint64_t)(i % 4)) * GIB / 2;
		p->kill_rss_bytes = 12 * GIB;
		p->predicted_peak_bytes = p->input_bytes * 6;
	}
	/* Three done, one killed past kill_rss, one failed. */
	for (int i = 0; i < 5; i++) {
		struct model_pair *p = &d->pairs[i];

		p->attempt = 1;
		/* Monotonic time may be small (a fresh boot): never below 1. */
		p->started_ms = now > 3000000 - (uint64_t)500000 * i
		                        ? now - (3000000 - (uint64_t)500000 * i)
		                        : 1;
		p->progress_total = 40;
		p->progress_done = i < 3 ? 40 : 17 + i;
		p->peak_rss_bytes = p->input_bytes * (i == 3 ? 25 : 5);
		p->ratio = (double)p->peak_rss_bytes / (double)p->input_bytes;
	}
	driver_end(d, 0, PAIR_DONE, 0, 0, "");
	driver_end(d, 1, PAIR_DONE, 0, 0, "");
	d->pairs[1].resumed = true;
	driver_end(d, 2, PAIR_DONE, 0, 0, "");
	driver_end(d, 3, PAIR_KILLED, -1, SIGKILL, "rss");
	d->pairs[3].bloated = true;
	driver_end(d, 4, PAIR_FAILED, 1, 0, "exit");
	for (int i = 0; i < 5; i++)
		d->pairs[i].ended_ms = d->pairs[i].started_ms + (uint64_t)(400 + 37 * i) * 1000;
	driver_alert(d, "bloat",
	             "pair chr04 bloat \xe2\x80\x94 RSS 12.5 GiB = "
	             "25.0\xc3\x97 its 0.5 GiB input");
	driver_alert(d, "kill",
	             "pair chr04 killed: RSS 12.5 GiB > kill_rss "
	             "12.0 GiB (SIGKILL)");
	driver_alert(d, "pressure", "MemAvailable 2.1 GiB below 2.4 GiB\033[2J");
	d->m.alerts[(d->m.alerts_head + MODEL_ALERTS - 3) % MODEL_ALERTS].acked = true;
	driver_start_next(d);
	if (d->deadlock && m->running >= 0)
		d->pairs[m->running].progress_done = 11;
}

/* One model update: the clock, memory, the running pair's progress. */
static void driver_tick(struct driver *d)
{
	struct model *m = &d->m;
	uint64_t used, swap_used;

	d->tick++;
	m->now_ms = driver_now_ms(CLOCK_MONOTONIC);
	m->wall_ms = driver_now_ms(CLOCK_REALTIME);
	m->sys.t_ms = m->now_ms;
	/* A random walk between 4 and 22 GiB available. */
	m->sys.mem_available_bytes += (uint64_t)(((int)driver_rand(d, 5) - 2) * 256 * (int64_t)MIB);
	if (m->sys.mem_available_bytes < 4 * GIB)
		m->sys.mem_available_bytes = 4 * GIB;
	if (m->sys.mem_available_bytes > 22 * GIB)
		m->sys.mem_available_bytes = 22 * GIB;
	m->sys.swap_free_bytes = 7 * GIB - driver_rand(d, 8) * 64 * MIB;
	m->sys.psi_some_avg10 = driver_rand(d, 300) / 10.0;
	m->sys.psi_full_avg10 = m->sys.psi_some_avg10 / 3;
	used = m->sys.mem_total_bytes - m->sys.mem_available_bytes;
	swap_used = m->sys.swap_total_bytes - m->sys.swap_free_bytes;
	m->mem_used_history[(m->history_head + m->history_len) % MODEL_HISTORY] = used;
	m->swap_used_history[(m->history_head + m->history_len) % MODEL_HISTORY] = swap_used;
	if (m->history_len < MODEL_HISTORY)
		m->history_len++;
	else
		m->history_head = (m->history_head + 1) % MODEL_HISTORY;

	if (m->running < 0 || m->run_over)
		return;
	struct model_pair *p = &m->pairs[m->running];

	if (!d->no_tree) {
		driver_tree_sample(d, m->now_ms);
		d->trees[m->running] = &d->tree;
	}
	p->rss_bytes = d->tree.rss_bytes ? d->tree.rss_bytes : 4 * GIB;
	if (p->rss_bytes > p->peak_rss_bytes)
		p->peak_rss_bytes = p->rss_bytes;
	p->ratio = (double)p->rss_bytes / (double)p->input_bytes;
	p->approaching = p->rss_bytes > p->kill_rss_bytes / 10 * 8;
	if (d->deadlock) {
		p->stalled_ms += 1000;
		if (p->stalled_ms >= 10000 && !p->deadlocked) {
			p->deadlocked = true;
			driver_alert(d, "deadlock",
			             "pair %s deadlock: 3 processes "
			             "with every thread in a futex wait, no progress %llus",
			             p->name, (unsigned long long)p->stalled_ms / 1000);
		}
		return;
	}
	if (p->paused)
		return;
	if (d->tick % 2 == 0)
		p->progress_done++;
	if (p->progress_done >= p->progress_total) {
		driver_alert(d, "pair_end", "pair %s done", p->name);
		driver_end(d, m->running, PAIR_DONE, 0, 0, "");
	}
}

int main(int argc, char **argv)
{
	static struct driver d; /* large; zeroed */
	struct model_actions actions = { &d, driver_act };
	uint64_t tick_ms = 1000, next;
	int n_pairs = 12, sfd, rc = 0;
	bool over = false, watch = false;
	char err[256];
	sigset_t mask;
	struct tui *t;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--tick") == 0 && i + 1 < argc)
			tick_ms = strtoull(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--pairs") == 0 && i + 1 < argc)
			n_pairs = atoi(argv[++i]);
		else if (strcmp(argv[i], "--over") == 0)
			over = true;
		else if (strcmp(argv[i], "--deadlock") == 0)
			d.deadlock = true;
		else if (strcmp(argv[i], "--watch") == 0)
			watch = true;
		else if (strcmp(argv[i], "--no-tree") == 0)
			d.no_tree = true;
		else {
			fprintf(stderr, "usage: tui-driver [--tick MS] [--pairs N] "
			                "[--over] [--deadlock] [--watch] [--no-tree]\n");
			return 2;
		}
	}
	if (n_pairs < 6)
		n_pairs = 6;
	if (n_pairs > DRIVER_MAX_PAIRS)
		n_pairs = DRIVER_MAX_PAIRS;
	if (tick_ms < 10)
		tick_ms = 10;
	d.rng = 42;
	driver_setup(&d, n_pairs);
	if (watch)
		d.m.can_restart = false;
	for (int i = 0; i < 60; i++)
		driver_tick(&d);
	if (over) {
		d.m.run_over = true;
		d.m.running = -1;
		snprintf(d.m.outcome, sizeof d.m.outcome, "3 done, 1 killed, 1 failed, %d skipped",
		         n_pairs - 5);
	}

	/* As the real loop does: signals through a signalfd, blocked first. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGWINCH);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0) {
		perror("tui-driver: signalfd");
		return 1;
	}
	t = tui_new(err, sizeof err);
	if (t == NULL) {
		fprintf(stderr, "tui-driver: %s\n", err);
		return 1;
	}
	tui_render(t, &d.m);
	next = driver_now_ms(CLOCK_MONOTONIC) + tick_ms;
	for (;;) {
		struct pollfd pfd[2] = {
			{ .fd = tui_input_fd(t), .events = POLLIN },
			{ .fd = sfd, .events = POLLIN },
		};
		uint64_t now = driver_now_ms(CLOCK_MONOTONIC);
		int timeout = next > now ? (int)(next - now) : 0;

		if (poll(pfd, 2, timeout) < 0 && errno != EINTR)
			break;
		if (pfd[1].revents & POLLIN) {
			struct signalfd_siginfo si;
			bool stop = false;

			while (read(sfd, &si, sizeof si) == sizeof si) {
				if (si.ssi_signo == SIGWINCH)
					tui_resize(t);
				else
					stop = true;
			}
			if (stop) {
				rc = 130;
				break;
			}
		}
		if ((pfd[0].revents & POLLIN) && tui_handle_input(t, &d.m, &actions) == TUI_QUIT)
			break;
		if ((pfd[0].revents & (POLLHUP | POLLERR)) != 0) {
			rc = 1;
			break;
		}
		now = driver_now_ms(CLOCK_MONOTONIC);
		if (now >= next) {
			driver_tick(&d);
			next = now + tick_ms;
		}
		tui_render(t, &d.m);
	}
	tui_free(t);
	close(sfd);
	fputs(d.log, stderr);
	fprintf(stderr, "tui-driver: exit %d\n", rc);
	return rc;
}
