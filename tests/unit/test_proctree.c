/* collectors/proctree (and its libproc2 reader, pidsrc): trees found in the
 * fake proc roots under tests/fixtures/proc (or $MW_FIXTURES/proc), and in
 * the real /proc with children this test forks: a grandchild forked by a
 * thread, a child that exits, an allocation seen by the fast RSS read, a
 * real futex deadlock against a sleep() and a blocked pipe read. Every
 * child started here is killed by PID and reaped. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <setjmp.h>
#include <cmocka.h>

#include "../../collectors/pidsrc.h"
#include "../../collectors/procparse.h"
#include "../../collectors/proctree.h"
#include "helpers.h"

enum {
	POLL_STEP_MS = 20,
	POLL_TRIES = 500, /* 10 s: slow under valgrind */
};

/* ---- helpers ---------------------------------------------------------- */

static uint64_t page_bytes(void)
{
	return (uint64_t)sysconf(_SC_PAGESIZE);
}

static void nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static const struct proc_sample *find_proc(const struct tree_sample *s, pid_t pid)
{
	size_t i;

	for (i = 0; i < s->n_procs; i++) {
		if (s->procs[i].pid == pid)
			return &s->procs[i];
	}
	return NULL;
}

static const struct thread_sample *find_thread(const struct tree_sample *s,
                                               const struct proc_sample *p, pid_t tid)
{
	size_t i;

	for (i = 0; i < p->n_threads_scanned; i++) {
		const struct thread_sample *t = &s->threads_v[p->first_thread + i];

		if (t->tid == tid)
			return t;
	}
	return NULL;
}

/* find_proc and find_thread for what must be there. */
static const struct proc_sample *get_proc(const struct tree_sample *s, pid_t pid)
{
	const struct proc_sample *p = find_proc(s, pid);

	if (p == NULL) {
		fail_msg("PID %d is not in the sample", (int)pid);
		abort();
	}
	return p;
}

static const struct thread_sample *get_thread(const struct tree_sample *s,
                                              const struct proc_sample *p, pid_t tid)
{
	const struct thread_sample *t = find_thread(s, p, tid);

	if (t == NULL) {
		fail_msg("thread %d of %d was not scanned", (int)tid, (int)p->pid);
		abort();
	}
	return t;
}

static void write_stat(const char *root, pid_t pid, const char *comm, pid_t ppid, unsigned utime,
                       unsigned stime, int threads, unsigned start)
{
	fake_proc_stat(root, pid, 0, 'S', comm, ppid, utime, stime, threads, start);
}

/* What a test leaves behind, ended by teardown even when it fails:
 * children it forked (killed and reaped), their children (killed first),
 * and a fixture copy. */
struct leftovers {
	pid_t children[4];
	pid_t grandchildren[4];
	char copy[PATH_MAX];
};

static int setup(void **state)
{
	*state = calloc(1, sizeof(struct leftovers));
	return *state != NULL ? 0 : -1;
}

static void track(pid_t *slots, pid_t pid)
{
	size_t i;

	for (i = 0; i < 4; i++) {
		if (slots[i] == 0) {
			slots[i] = pid;
			return;
		}
	}
	fail_msg("too many processes to track");
}

/* Forgets a tracked PID once it has been ended. */
static void untrack(pid_t *slots, pid_t pid)
{
	size_t i;

	for (i = 0; i < 4; i++) {
		if (slots[i] == pid)
			slots[i] = 0;
	}
}

/* Kills a child started here and reaps it. */
static void end_child(struct leftovers *lo, pid_t pid)
{
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	untrack(lo->children, pid);
}

/* Kills a grandchild (not ours to reap: its parent ignores SIGCHLD) and
 * waits until it has gone. */
static void end_grandchild(struct leftovers *lo, pid_t pid)
{
	int i;

	kill(pid, SIGKILL);
	for (i = 0; i < POLL_TRIES && kill(pid, 0) == 0; i++)
		nap_ms(POLL_STEP_MS);
	untrack(lo->grandchildren, pid);
}

static int teardown(void **state)
{
	struct leftovers *lo = *state;
	size_t i;

	for (i = 0; i < 4; i++) {
		if (lo->grandchildren[i] > 0)
			end_grandchild(lo, lo->grandchildren[i]);
	}
	for (i = 0; i < 4; i++) {
		if (lo->children[i] > 0)
			end_child(lo, lo->children[i]);
	}
	if (lo->copy[0] != '\0')
		fixture_copy_remove(lo->copy);
	free(lo);
	return 0;
}

static void read_exact(int fd, void *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = read(fd, (char *)buf + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			fail_msg("child pipe closed early");
		got += (size_t)n;
	}
}

/* ---- fixtures ---------------------------------------------------------- */

static void test_fixture_tree(void **state)
{
	char root[PATH_MAX];
	const struct tree_sample *s, *f;
	const struct proc_sample *merge, *worker, *hostile, *sleeper;
	const struct thread_sample *t;
	struct proctree *pt;
	uint64_t pg = page_bytes();
	size_t i;

	(void)state;
	fixture_root(root, sizeof root, "deadlock");
	pt = proctree_new(root, 4000, 0);
	assert_non_null(pt);
	assert_int_equal(proctree_root_start_ticks(pt), 0);

	s = proctree_sample(pt, 100, PROCTREE_THREADS_ALWAYS);
	assert_non_null(s);
	assert_true(s->full);
	assert_true(s->root_alive);
	assert_int_equal(s->t_ms, 100);
	assert_int_equal(s->root, 4000);
	assert_int_equal(s->ticks_per_s, sysconf(_SC_CLK_TCK));
	assert_int_equal(proctree_root_start_ticks(pt), 5000);

	/* Breadth-first from the root; 4200 was forked by thread 4001; 4400
	 * (another parent's) and 4500 (gone) and 5000 (not ours) are out. */
	assert_int_equal(s->n_procs, 4);
	assert_int_equal(s->procs[0].pid, 4000);
	assert_int_equal(s->procs[1].pid, 4100);
	assert_int_equal(s->procs[2].pid, 4200);
	assert_int_equal(s->procs[3].pid, 4300);
	assert_null(find_proc(s, 4400));
	assert_null(find_proc(s, 4500));
	assert_null(find_proc(s, 5000));

	merge = get_proc(s, 4000);
	worker = get_proc(s, 4100);
	hostile = get_proc(s, 4200);
	sleeper = get_proc(s, 4300);
	assert_int_equal(merge->ppid, 1);
	assert_string_equal(merge->comm, "merge");
	assert_int_equal(merge->state, 'S');
	assert_int_equal(merge->start_ticks, 5000);
	assert_int_equal(merge->cpu_ticks, 120);
	assert_int_equal(merge->rss_bytes, 2560 * pg);
	assert_true(merge->io_known);
	assert_int_equal(merge->io_bytes, 1024);
	assert_int_equal(merge->num_threads, 2);
	assert_int_equal(worker->ppid, 4000);
	assert_int_equal(hostile->ppid, 4000);
	assert_string_equal(hostile->comm, "a) R 1 (b");
	assert_int_equal(hostile->cpu_ticks, 10);
	assert_int_equal(sleeper->ppid, 4100);

	/* Sums over the tree. */
	assert_int_equal(s->rss_bytes, (2560 + 25600 + 512 + 256) * pg);
	assert_int_equal(s->cpu_ticks, 120 + 350 + 10 + 1);
	assert_true(s->io_known);
	assert_int_equal(s->io_bytes, 1024 + 8192 + 10 + 0);
	assert_int_equal(s->threads, 2 + 3 + 2 + 1);

	/* Threads. */
	assert_true(s->threads_scanned);
	assert_int_equal(s->n_threads_v, 8);
	assert_int_equal(s->futex_threads, 1 + 3);
	assert_true(worker->all_futex);
	assert_int_equal(worker->futex_threads, 3);
	assert_int_equal(worker->n_threads_scanned, 3);
	assert_string_equal(worker->top_wchan, "futex_do_wait");
	assert_false(merge->all_futex);
	assert_int_equal(merge->futex_threads, 1);
	t = get_thread(s, merge, 4001);
	assert_true(t->futex_wait);
	assert_string_equal(t->wchan, "futex_wait_queue");
	/* D on a futex channel is not a futex wait. */
	assert_false(hostile->all_futex);
	assert_int_equal(hostile->futex_threads, 0);
	t = get_thread(s, hostile, 4201);
	assert_int_equal(t->state, 'D');
	assert_false(t->futex_wait);
	assert_false(sleeper->all_futex);
	assert_string_equal(sleeper->top_wchan, "hrtimer_nanosleep");
	for (i = 0; i < s->n_procs; i++)
		assert_true(s->procs[i].first_thread + s->procs[i].n_threads_scanned <=
		            s->n_threads_v);

	/* Without the thread scan. */
	s = proctree_sample(pt, 200, PROCTREE_THREADS_NEVER);
	assert_false(s->threads_scanned);
	assert_int_equal(s->n_threads_v, 0);
	assert_int_equal(s->futex_threads, 0);
	assert_int_equal(s->n_procs, 4);

	/* The fast read: the same memory from the kept-open status files. */
	f = proctree_sample_rss(pt, 250);
	assert_false(f->full);
	assert_true(f->root_alive);
	assert_int_equal(f->t_ms, 250);
	assert_int_equal(f->root, 4000);
	assert_int_equal(f->rss_bytes, (2560 + 25600 + 512 + 256) * pg);
	proctree_free(pt);
}

static void test_fixture_root_start(void **state)
{
	char root[PATH_MAX];
	const struct tree_sample *s;
	struct proctree *pt;

	(void)state;
	fixture_root(root, sizeof root, "deadlock");

	/* A root whose start time differs is a recycled PID: gone. */
	pt = proctree_new(root, 4000, 4242);
	assert_non_null(pt);
	s = proctree_sample(pt, 1, PROCTREE_THREADS_ALWAYS);
	assert_true(s->full);
	assert_false(s->root_alive);
	assert_int_equal(s->n_procs, 0);
	assert_int_equal(s->rss_bytes, 0);
	assert_int_equal(proctree_root_start_ticks(pt), 0);
	s = proctree_sample_rss(pt, 2);
	assert_false(s->root_alive);
	proctree_free(pt);

	pt = proctree_new(root, 4000, 5000);
	assert_non_null(pt);
	s = proctree_sample(pt, 1, PROCTREE_THREADS_NEVER);
	assert_true(s->root_alive);
	assert_int_equal(s->n_procs, 4);
	proctree_free(pt);
}

static void test_fixture_missing_root(void **state)
{
	char root[PATH_MAX];
	const struct tree_sample *s;
	struct proctree *pt;

	(void)state;
	fixture_root(root, sizeof root, "deadlock");
	pt = proctree_new(root, 9999, 0);
	assert_non_null(pt);
	s = proctree_sample_rss(pt, 1);
	assert_false(s->full);
	assert_int_equal(s->rss_bytes, 0);
	s = proctree_sample(pt, 2, PROCTREE_THREADS_ALWAYS);
	assert_false(s->root_alive);
	assert_int_equal(s->n_procs, 0);
	s = proctree_sample(pt, 3, PROCTREE_THREADS_ALWAYS);
	assert_false(s->root_alive);
	proctree_free(pt);
	proctree_free(NULL);

	pt = proctree_new(root, 0, 0);
	assert_non_null(pt);
	s = proctree_sample(pt, 1, PROCTREE_THREADS_ALWAYS);
	assert_false(s->root_alive);
	proctree_free(pt);
}

static void test_fixture_nopsi_tree(void **state)
{
	char root[PATH_MAX];
	const struct tree_sample *s;
	const struct proc_sample *job, *kid;
	struct proctree *pt;

	(void)state;
	fixture_root(root, sizeof root, "nopsi");
	pt = proctree_new(root, 100, 700);
	assert_non_null(pt);
	/* The first full sample counts as still: threads are scanned. */
	s = proctree_sample(pt, 1, PROCTREE_THREADS_WHEN_STILL);
	assert_true(s->root_alive);
	assert_int_equal(s->n_procs, 2);
	job = get_proc(s, 100);
	kid = get_proc(s, 101);
	/* No io file: unknown for the process and so for the tree. */
	assert_false(job->io_known);
	assert_true(kid->io_known);
	assert_int_equal(kid->io_bytes, 100);
	assert_false(s->io_known);
	assert_string_equal(kid->comm, "new\nline");
	assert_int_equal(kid->state, 'R');
	assert_true(s->threads_scanned);
	/* One thread running, one on a futex: not all. */
	assert_int_equal(kid->futex_threads, 1);
	assert_false(kid->all_futex);
	/* A wait channel of "0" is none. */
	assert_string_equal(get_thread(s, kid, 101)->wchan, "");
	assert_string_equal(kid->top_wchan, "futex_wait_queue");
	proctree_free(pt);
}

/* Changing files in a copy: movement decides the WHEN_STILL scan, a
 * process that leaves its parent's children list leaves the tree, and one
 * whose status reads empty is dropped from the fast read. */
static void test_fixture_changes(void **state)
{
	char root[PATH_MAX], path[PATH_MAX + 64];
	const struct tree_sample *s;
	struct proctree *pt;
	uint64_t pg = page_bytes();

	struct leftovers *lo = *state;

	fixture_copy("deadlock", lo->copy, sizeof lo->copy);
	snprintf(root, sizeof root, "%s", lo->copy);
	pt = proctree_new(root, 4000, 0);
	assert_non_null(pt);

	s = proctree_sample(pt, 1, PROCTREE_THREADS_WHEN_STILL);
	assert_true(s->threads_scanned);
	s = proctree_sample(pt, 2, PROCTREE_THREADS_WHEN_STILL);
	assert_true(s->threads_scanned);

	/* 50 ticks of CPU: moving, no scan. */
	write_stat(root, 4100, "worker", 4000, 350, 50, 3, 5100);
	s = proctree_sample(pt, 3, PROCTREE_THREADS_WHEN_STILL);
	assert_int_equal(s->cpu_ticks, 120 + 400 + 10 + 1);
	assert_false(s->threads_scanned);
	/* Standing still again. */
	s = proctree_sample(pt, 4, PROCTREE_THREADS_WHEN_STILL);
	assert_true(s->threads_scanned);

	/* I/O moved, CPU did not. */
	snprintf(path, sizeof path, "%s/4000/io", root);
	write_text(path, "rchar: 2000\nwchar: 24\n");
	s = proctree_sample(pt, 5, PROCTREE_THREADS_WHEN_STILL);
	assert_int_equal(s->io_bytes, 2024 + 8192 + 10);
	assert_false(s->threads_scanned);

	/* One tick is a thread that ran: moving. */
	write_stat(root, 4300, "sleeper", 4100, 2, 0, 1, 5300);
	s = proctree_sample(pt, 6, PROCTREE_THREADS_WHEN_STILL);
	assert_false(s->threads_scanned);
	s = proctree_sample(pt, 7, PROCTREE_THREADS_WHEN_STILL);
	assert_true(s->threads_scanned);

	/* The worker's main thread called pthread_exit (a zombie leader):
	 * the two live threads still make a deadlock. */
	fake_proc_stat(root, 4100, 4100, 'Z', "worker", 4000, 1, 1, 3, 5100);
	snprintf(path, sizeof path, "%s/4100/task/4100/wchan", root);
	write_text(path, "0");
	s = proctree_sample(pt, 7, PROCTREE_THREADS_ALWAYS);
	assert_int_equal(get_proc(s, 4100)->n_threads_scanned, 3);
	assert_int_equal(get_proc(s, 4100)->futex_threads, 2);
	assert_true(get_proc(s, 4100)->all_futex);
	/* ... and one of them running is no deadlock. */
	fake_proc_stat(root, 4100, 4101, 'R', "worker", 4000, 1, 1, 3, 5100);
	s = proctree_sample(pt, 7, PROCTREE_THREADS_ALWAYS);
	assert_int_equal(get_proc(s, 4100)->futex_threads, 1);
	assert_false(get_proc(s, 4100)->all_futex);

	/* 4200 leaves thread 4001's children list: gone from the tree. */
	snprintf(path, sizeof path, "%s/4000/task/4001/children", root);
	write_text(path, "");
	s = proctree_sample(pt, 7, PROCTREE_THREADS_ALWAYS);
	assert_true(s->root_alive);
	assert_int_equal(s->n_procs, 3);
	assert_null(find_proc(s, 4200));
	assert_int_equal(s->rss_bytes, (2560 + 25600 + 256) * pg);

	/* A status that reads empty between full samples: dropped. */
	snprintf(path, sizeof path, "%s/4300/status", root);
	write_text(path, "");
	s = proctree_sample_rss(pt, 8);
	assert_true(s->root_alive);
	assert_int_equal(s->rss_bytes, (2560 + 25600) * pg);

	/* The root's start time changes: a recycled PID, gone for good. */
	write_stat(root, 4000, "merge", 1, 100, 20, 2, 5001);
	s = proctree_sample(pt, 9, PROCTREE_THREADS_ALWAYS);
	assert_false(s->root_alive);
	assert_int_equal(s->n_procs, 0);
	write_stat(root, 4000, "merge", 1, 100, 20, 2, 5000);
	s = proctree_sample(pt, 10, PROCTREE_THREADS_ALWAYS);
	assert_false(s->root_alive);
	assert_int_equal(proctree_root_start_ticks(pt), 5000);

	proctree_free(pt);
}

/* With few descriptors left, thread files are given back and read one at
 * a time: the sample is the same. Run in a child, whose table it fills. */
static void test_fixture_out_of_fds(void **state)
{
	char root[PATH_MAX];
	pid_t pid;
	int status;

	struct leftovers *lo = *state;

	fixture_root(root, sizeof root, "deadlock");
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit rl = { 64, 64 };
		const struct tree_sample *s;
		struct proctree *pt;
		int fd, last = -1;

		for (fd = 3; fd < 1024; fd++)
			close(fd);
		/* Valgrind refuses a lower limit: then filling takes longer. */
		(void)setrlimit(RLIMIT_NOFILE, &rl);
		/* Fill the table, then free 17 slots: enough for the 12 kept
		 * process files and a passing one, not for the 24 thread
		 * files as well. */
		while ((fd = open("/dev/null", O_RDONLY)) >= 0)
			last = fd;
		if (errno != EMFILE || last < 20)
			_exit(2);
		for (fd = last; fd > last - 17; fd--)
			close(fd);
		pt = proctree_new(root, 4000, 0);
		if (pt == NULL)
			_exit(3);
		for (int round = 0; round < 3; round++) {
			s = proctree_sample(pt, 1, PROCTREE_THREADS_ALWAYS);
			if (s->n_procs != 4 || s->n_threads_v != 8 || s->futex_threads != 4 ||
			    !s->procs[1].all_futex)
				_exit(10 + round);
			s = proctree_sample_rss(pt, 2);
			if (s->rss_bytes != (2560 + 25600 + 512 + 256) * page_bytes())
				_exit(20 + round);
		}
		proctree_free(pt);
		_exit(0);
	}
	track(lo->children, pid);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	untrack(lo->children, pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* ---- pidsrc ------------------------------------------------------------ */

static void test_pidsrc_self(void **state)
{
	struct proc_sample out[3];
	pid_t pids[3] = { getpid(), 0x3ffffff0, getppid() };
	struct pidsrc *ps;
	size_t n = 99;

	(void)state;
	ps = pidsrc_new();
	assert_non_null(ps);
	/* A PID that does not exist is left out, the order kept. */
	assert_int_equal(pidsrc_read(ps, pids, 3, out, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(out[0].pid, getpid());
	assert_int_equal(out[0].ppid, getppid());
	assert_int_equal(out[1].pid, getppid());
	assert_true(out[0].rss_bytes > 0);
	assert_true(out[0].num_threads >= 1);
	assert_true(out[0].start_ticks > 0);
	assert_true(out[0].comm[0] != '\0');
	assert_true(out[0].io_known);
	assert_int_equal(out[0].state, 'R');

	assert_int_equal(pidsrc_read(ps, pids, 0, out, &n), 0);
	assert_int_equal(n, 0);
	pids[0] = 0;
	assert_int_equal(pidsrc_read(ps, pids, 1, out, &n), -EINVAL);
	assert_int_equal(n, 0);
	pidsrc_free(ps);
	pidsrc_free(NULL);
}

/* ---- the real /proc ---------------------------------------------------- */

struct forker {
	int report_fd;
};

static void pause_forever(void)
{
	for (;;)
		pause();
}

static void *thread_that_forks(void *arg)
{
	struct forker *fk = arg;
	pid_t pid = fork();

	if (pid == 0)
		pause_forever();
	if (write(fk->report_fd, &pid, sizeof pid) != (ssize_t)sizeof pid)
		_exit(5);
	pause_forever();
	return NULL;
}

/* The child: forks G1 from its main thread and G2 from a second thread,
 * reports both PIDs, and waits. Ignoring SIGCHLD reaps them at exit. */
static void run_forker(int report_fd)
{
	struct forker fk = { report_fd };
	pthread_t th;
	pid_t g1;

	signal(SIGCHLD, SIG_IGN);
	g1 = fork();
	if (g1 == 0)
		pause_forever();
	if (write(report_fd, &g1, sizeof g1) != (ssize_t)sizeof g1)
		_exit(5);
	if (pthread_create(&th, NULL, thread_that_forks, &fk) != 0)
		_exit(6);
	pause_forever();
}

static void assert_same_tree(const struct tree_sample *a, const struct tree_sample *b)
{
	size_t i;

	assert_int_equal(a->n_procs, b->n_procs);
	for (i = 0; i < a->n_procs; i++) {
		const struct proc_sample *p = &a->procs[i];
		const struct proc_sample *q = get_proc(b, p->pid);

		assert_int_equal(p->ppid, q->ppid);
		assert_int_equal(p->start_ticks, q->start_ticks);
		assert_int_equal(p->num_threads, q->num_threads);
		assert_string_equal(p->comm, q->comm);
		assert_true(p->rss_bytes > 0 && q->rss_bytes > 0);
		assert_int_equal(p->io_known, q->io_known);
	}
}

static void test_real_tree(void **state)
{
	struct leftovers *lo = *state;
	const struct tree_sample *s;
	struct proctree *pt, *raw;
	pid_t child, g1 = 0, g2 = 0;
	int fds[2], i;

	assert_int_equal(pipe(fds), 0);
	fflush(NULL);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		close(fds[0]);
		run_forker(fds[1]);
		_exit(0);
	}
	track(lo->children, child);
	close(fds[1]);
	read_exact(fds[0], &g1, sizeof g1);
	track(lo->grandchildren, g1);
	read_exact(fds[0], &g2, sizeof g2);
	track(lo->grandchildren, g2);
	close(fds[0]);

	pt = proctree_new("/proc", child, 0);   /* through libproc2 */
	raw = proctree_new("/proc/", child, 0); /* the raw reader */
	assert_non_null(pt);
	assert_non_null(raw);
	s = proctree_sample(pt, 1, PROCTREE_THREADS_ALWAYS);
	assert_true(s->root_alive);
	assert_int_equal(s->n_procs, 3);
	assert_int_equal(s->procs[0].pid, child);
	assert_int_equal(s->procs[0].ppid, getpid());
	assert_int_equal(s->procs[0].num_threads, 2);
	assert_int_equal(s->procs[0].n_threads_scanned, 2);
	assert_int_equal(get_proc(s, g1)->ppid, child);
	/* Forked by the second thread: listed under that thread. */
	assert_int_equal(get_proc(s, g2)->ppid, child);
	assert_true(s->io_known); /* our own children: readable */
	assert_int_equal(proctree_root_start_ticks(pt), s->procs[0].start_ticks);
	assert_same_tree(s, proctree_sample(raw, 1, PROCTREE_THREADS_ALWAYS));
	s = proctree_sample(pt, 1, PROCTREE_THREADS_ALWAYS);
	assert_same_tree(s, proctree_sample(raw, 1, PROCTREE_THREADS_ALWAYS));

	/* G1 exits: the fast read and the next full sample just lose it. */
	end_grandchild(lo, g1);
	s = proctree_sample_rss(pt, 2);
	assert_true(s->root_alive);
	assert_true(s->rss_bytes > 0);
	s = proctree_sample(pt, 3, PROCTREE_THREADS_ALWAYS);
	assert_true(s->root_alive);
	assert_int_equal(s->n_procs, 2);
	assert_null(find_proc(s, g1));
	assert_non_null(find_proc(s, g2));
	s = proctree_sample(raw, 3, PROCTREE_THREADS_ALWAYS);
	assert_int_equal(s->n_procs, 2);

	/* The root goes: so does the tree, without an error. */
	end_grandchild(lo, g2);
	end_child(lo, child);
	s = proctree_sample_rss(pt, 4);
	assert_false(s->root_alive);
	for (i = 0; i < 2; i++) {
		s = proctree_sample(i == 0 ? pt : raw, 5, PROCTREE_THREADS_ALWAYS);
		assert_false(s->root_alive);
		assert_int_equal(s->n_procs, 0);
	}
	proctree_free(pt);
	proctree_free(raw);
}

/* The child: allocates and touches 64 MiB when told, then says so. */
static void run_grower(int go_fd, int ack_fd)
{
	volatile char *p;
	size_t i;
	char c;

	if (read(go_fd, &c, 1) != 1)
		_exit(5);
	p = malloc(64 * MiB);
	if (p == NULL)
		_exit(6);
	/* Volatile: a memset of memory never read may be compiled away. */
	for (i = 0; i < 64 * MiB; i += 512)
		p[i] = 1;
	if (write(ack_fd, &c, 1) != 1)
		_exit(7);
	pause_forever();
}

static void test_real_rss_growth(void **state)
{
	struct leftovers *lo = *state;
	const struct tree_sample *s;
	struct proctree *pt;
	int go[2], ack[2];
	uint64_t before;
	pid_t child;
	char c = 'g';

	assert_int_equal(pipe(go), 0);
	assert_int_equal(pipe(ack), 0);
	fflush(NULL);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		close(go[1]);
		close(ack[0]);
		run_grower(go[0], ack[1]);
		_exit(0);
	}
	track(lo->children, child);
	close(go[0]);
	close(ack[1]);

	pt = proctree_new("/proc", child, 0);
	assert_non_null(pt);
	s = proctree_sample(pt, 1, PROCTREE_THREADS_NEVER);
	assert_true(s->root_alive);
	assert_int_equal(s->n_procs, 1);
	before = s->rss_bytes;
	assert_true(before > 0);
	s = proctree_sample_rss(pt, 2);
	assert_true(s->rss_bytes > 0);

	assert_int_equal(write(go[1], &c, 1), 1);
	read_exact(ack[0], &c, 1);
	s = proctree_sample_rss(pt, 3);
	assert_false(s->full);
	assert_true(s->root_alive);
	if (s->rss_bytes < before + 50 * MiB)
		fail_msg("fast RSS %llu, before %llu: expected 50 MiB more",
		         (unsigned long long)s->rss_bytes, (unsigned long long)before);
	s = proctree_sample(pt, 4, PROCTREE_THREADS_NEVER);
	assert_true(s->rss_bytes >= before + 50 * MiB);

	end_child(lo, child);
	close(go[1]);
	close(ack[0]);
	proctree_free(pt);
}

struct deadlock {
	pthread_mutex_t a, b;
	pthread_barrier_t both_locked;
};

static void *lock_a_then_b(void *arg)
{
	struct deadlock *d = arg;

	pthread_mutex_lock(&d->a);
	pthread_barrier_wait(&d->both_locked);
	pthread_mutex_lock(&d->b);
	return NULL;
}

static void *lock_b_then_a(void *arg)
{
	struct deadlock *d = arg;

	pthread_mutex_lock(&d->b);
	pthread_barrier_wait(&d->both_locked);
	pthread_mutex_lock(&d->a);
	return NULL;
}

enum waiter_kind { WAIT_DEADLOCK, WAIT_SLEEP, WAIT_PIPE };

/* The child: deadlocks two threads crosswise (the main thread joins one),
 * or sleeps, or reads a pipe nobody writes; reports ready first. */
static void run_waiter(enum waiter_kind kind, int ready_fd)
{
	struct deadlock d;
	pthread_t t1, t2;
	int never[2];
	char c = 'r';

	switch (kind) {
	case WAIT_DEADLOCK:
		pthread_mutex_init(&d.a, NULL);
		pthread_mutex_init(&d.b, NULL);
		pthread_barrier_init(&d.both_locked, NULL, 2);
		if (pthread_create(&t1, NULL, lock_a_then_b, &d) != 0 ||
		    pthread_create(&t2, NULL, lock_b_then_a, &d) != 0)
			_exit(5);
		if (write(ready_fd, &c, 1) != 1)
			_exit(6);
		pthread_join(t1, NULL);
		break;
	case WAIT_SLEEP:
		if (write(ready_fd, &c, 1) != 1)
			_exit(6);
		for (;;)
			sleep(1000);
	case WAIT_PIPE:
		if (pipe(never) != 0 || write(ready_fd, &c, 1) != 1)
			_exit(6);
		for (;;) {
			if (read(never[0], &c, 1) <= 0)
				_exit(7);
		}
	}
	_exit(0);
}

static pid_t start_waiter(struct leftovers *lo, enum waiter_kind kind)
{
	int fds[2];
	pid_t child;
	char c;

	assert_int_equal(pipe(fds), 0);
	fflush(NULL);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		close(fds[0]);
		run_waiter(kind, fds[1]);
		_exit(0);
	}
	track(lo->children, child);
	close(fds[1]);
	read_exact(fds[0], &c, 1);
	close(fds[0]);
	return child;
}

static void test_real_deadlock(void **state)
{
	struct leftovers *lo = *state;
	const struct tree_sample *s = NULL;
	const struct proc_sample *p = NULL;
	struct proctree *pt;
	pid_t child;
	int i;

	child = start_waiter(lo, WAIT_DEADLOCK);
	pt = proctree_new("/proc", child, 0);
	assert_non_null(pt);
	/* The threads take a moment to reach their locks. */
	for (i = 0; i < POLL_TRIES; i++) {
		s = proctree_sample(pt, (uint64_t)i, PROCTREE_THREADS_ALWAYS);
		p = find_proc(s, child);
		if (p != NULL && p->all_futex)
			break;
		nap_ms(POLL_STEP_MS);
	}
	assert_non_null(p);
	if (!p->all_futex)
		fail_msg("deadlocked child %d never seen all-futex (top wchan "
		         "\"%s\", %d of %zu threads)",
		         (int)child, p->top_wchan, p->futex_threads, p->n_threads_scanned);
	assert_true(s->threads_scanned);
	assert_int_equal(p->n_threads_scanned, 3);
	assert_int_equal(p->futex_threads, 3);
	assert_int_equal(s->futex_threads, 3);
	assert_true(procparse_wchan_is_futex(p->top_wchan));
	/* Still standing: WHEN_STILL scans too. */
	s = proctree_sample(pt, 1000, PROCTREE_THREADS_WHEN_STILL);
	assert_true(s->threads_scanned);
	assert_true(s->procs[0].all_futex);
	/* Every judged scan, the first that opens each thread's files and
	 * the next ones that read them again, finds each thread waiting
	 * untimed on a lock; no thread ran, so the schedule counts stand. */
	uint64_t switches = s->switches;

	assert_true(s->switches_known);
	for (i = 0; i < 3; i++) {
		s = proctree_sample(pt, 2000 + (uint64_t)i, PROCTREE_THREADS_ALWAYS);
		assert_true(s->waits_scanned);
		assert_true(s->switches_known);
		assert_int_equal(s->switches, switches);
		assert_int_equal(s->n_threads_v, 3);
		for (size_t t = 0; t < s->n_threads_v; t++) {
			assert_int_equal(s->threads_v[t].wait, WAIT_LOCK);
			assert_string_equal(s->threads_v[t].wait_what, "futex");
			assert_int_equal(s->threads_v[t].syscall_nr, 202);
		}
	}

	end_child(lo, child);
	proctree_free(pt);
}

/* A child idle in sleep() or a pipe read is waiting, not deadlocked. */
static void test_real_idle_is_not_deadlock(void **state)
{
	const enum waiter_kind kinds[] = { WAIT_SLEEP, WAIT_PIPE };
	struct leftovers *lo = *state;
	size_t k;

	for (k = 0; k < 2; k++) {
		const struct tree_sample *s = NULL;
		const struct proc_sample *p = NULL;
		pid_t child = start_waiter(lo, kinds[k]);
		struct proctree *pt = proctree_new("/proc", child, 0);
		int i;

		assert_non_null(pt);
		/* Wait until its one thread is asleep somewhere. */
		for (i = 0; i < POLL_TRIES; i++) {
			s = proctree_sample(pt, (uint64_t)i, PROCTREE_THREADS_ALWAYS);
			p = find_proc(s, child);
			if (p != NULL && p->n_threads_scanned == 1 &&
			    s->threads_v[p->first_thread].state == 'S' &&
			    s->threads_v[p->first_thread].wchan[0] != '\0')
				break;
			nap_ms(POLL_STEP_MS);
		}
		assert_non_null(p);
		assert_int_equal(p->n_threads_scanned, 1);
		assert_int_equal(s->threads_v[p->first_thread].state, 'S');
		assert_string_not_equal(s->threads_v[p->first_thread].wchan, "");
		assert_false(p->all_futex);
		assert_int_equal(p->futex_threads, 0);
		assert_false(s->threads_v[p->first_thread].futex_wait);
		/* Judged twice: through a syscall file opened, then kept. */
		for (i = 0; i < 2; i++) {
			s = proctree_sample(pt, 1000 + (uint64_t)i, PROCTREE_THREADS_ALWAYS);
			p = find_proc(s, child);
			assert_non_null(p);
			assert_true(s->waits_scanned);
			assert_int_equal(s->threads_v[p->first_thread].wait,
			                 kinds[k] == WAIT_SLEEP ? WAIT_TIMED : WAIT_INSIDE);
		}
		end_child(lo, child);
		proctree_free(pt);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixture_tree),
		cmocka_unit_test(test_fixture_root_start),
		cmocka_unit_test(test_fixture_missing_root),
		cmocka_unit_test(test_fixture_nopsi_tree),
		cmocka_unit_test_setup_teardown(test_fixture_changes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fixture_out_of_fds, setup, teardown),
		cmocka_unit_test(test_pidsrc_self),
		cmocka_unit_test_setup_teardown(test_real_tree, setup, teardown),
		cmocka_unit_test_setup_teardown(test_real_rss_growth, setup, teardown),
		cmocka_unit_test_setup_teardown(test_real_deadlock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_real_idle_is_not_deadlock, setup, teardown),
	};

	return cmocka_run_group_tests_name("proctree", tests, NULL, NULL);
}
