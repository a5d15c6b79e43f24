/* The verdict on a still tree (core/verdict.c): each case is a real
 * program's shape, its threads' waits as collectors/waits.c judges them
 * from /proc, and the verdict a user must see. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../../core/verdict.h"

enum { MAX_T = 8, MAX_P = 4 };

struct t_spec {
	int tid_offset; /* tid = pid + offset; 0 is the main thread */
	char state;
	enum wait_kind wait;
	pid_t wait_pid;
	const char *what;
};

struct p_spec {
	pid_t pid, ppid;
	char state;
	struct t_spec threads[MAX_T];
	int n;
};

struct v_case {
	const char *name;
	struct p_spec procs[MAX_P];
	int n_procs;
	enum verdict_kind want;
	pid_t want_blocked[4];
	int n_blocked;
	const char *want_what; /* the first outside wait, for a stall */
};

#define LOCK                                                                                       \
	{                                                                                          \
		0, 'S', WAIT_LOCK, 0, "futex"                                                      \
	}
#define T(off, w, pid, what)                                                                       \
	{                                                                                          \
		off, 'S', w, pid, what                                                             \
	}

static const struct v_case cases[] = {
	{ "C deadlock: two lockers and main joining",
	  { { 100,
	      1,
	      'S',
	      { LOCK, T(1, WAIT_LOCK, 0, "futex"), T(2, WAIT_LOCK, 0, "futex") },
	      3 } },
	  1,
	  VERDICT_DEADLOCK,
	  { 100 },
	  1,
	  NULL },
	{ "tokio/libuv shape: deadlocked threads beside an epoll on its own eventfd",
	  { { 100,
	      1,
	      'S',
	      { LOCK, T(1, WAIT_LOCK, 0, "futex"), T(2, WAIT_INSIDE, 0, "epoll set") },
	      3 } },
	  1,
	  VERDICT_DEADLOCK,
	  { 100 },
	  1,
	  NULL },
	{ "Node Atomics.wait: main in futex, platform workers parked, one epoll inside",
	  { { 100,
	      1,
	      'S',
	      { LOCK, T(1, WAIT_INSIDE, 0, "epoll set"), T(2, WAIT_LOCK, 0, "futex"),
	        T(3, WAIT_TIMED, 0, "timed") },
	      4 } },
	  1,
	  VERDICT_DEADLOCK,
	  { 100 },
	  1,
	  NULL },
	{ "Python Event.wait(5) loop: main on time",
	  { { 100, 1, 'S', { T(0, WAIT_TIMED, 0, "timed") }, 1 } },
	  1,
	  VERDICT_WAITING,
	  { 0 },
	  0,
	  NULL },
	{ "Thread.join(5) loop beside a worker in Event.wait()",
	  { { 100, 1, 'S', { T(0, WAIT_TIMED, 0, "timed"), T(1, WAIT_LOCK, 0, "futex") }, 2 } },
	  1,
	  VERDICT_WAITING,
	  { 0 },
	  0,
	  NULL },
	{ "idle pool beside a main thread that sleeps (Polars between phases)",
	  { { 100,
	      1,
	      'S',
	      { T(0, WAIT_TIMED, 0, "timed"), T(1, WAIT_LOCK, 0, "futex"),
	        T(2, WAIT_LOCK, 0, "futex"), T(3, WAIT_INSIDE, 0, "epoll set") },
	      4 } },
	  1,
	  VERDICT_WAITING,
	  { 0 },
	  0,
	  NULL },
	{ "pool whose main thread reads a pipe from a sleeping child",
	  { { 100,
	      1,
	      'S',
	      { T(0, WAIT_INSIDE, 101, "pipe from PID 101"), T(1, WAIT_LOCK, 0, "futex") },
	      2 },
	    { 101, 100, 'S', { T(0, WAIT_TIMED, 0, "timed") }, 1 } },
	  2,
	  VERDICT_WAITING,
	  { 0 },
	  0,
	  NULL },
	{ "shell wrapper: sh waits for its deadlocked child",
	  { { 100, 1, 'S', { T(0, WAIT_INSIDE, -1, "any child") }, 1 },
	    { 101, 100, 'S', { LOCK, T(1, WAIT_LOCK, 0, "futex") }, 2 } },
	  2,
	  VERDICT_DEADLOCK,
	  { 101 },
	  1,
	  NULL },
	{ "timeout(1) in sigsuspend over a deadlocked child",
	  { { 100, 1, 'S', { T(0, WAIT_INSIDE, -1, "signal") }, 1 },
	    { 101, 100, 'S', { LOCK }, 1 } },
	  2,
	  VERDICT_DEADLOCK,
	  { 101 },
	  1,
	  NULL },
	{ "pause() with no child: the signal comes from outside",
	  { { 100, 1, 'S', { T(0, WAIT_INSIDE, -1, "signal"), T(1, WAIT_LOCK, 0, "futex") }, 2 } },
	  1,
	  VERDICT_STALL,
	  { 0 },
	  0,
	  "signal" },
	{ "idle Node HTTP server: epoll holding a listening socket",
	  { { 100, 1, 'S', { T(0, WAIT_OUTSIDE, 0, "socket"), T(1, WAIT_LOCK, 0, "futex") }, 2 } },
	  1,
	  VERDICT_STALL,
	  { 0 },
	  0,
	  "socket" },
	{ "parent in multiprocessing Event().wait(), child reading a socket",
	  { { 100, 1, 'S', { LOCK }, 1 },
	    { 101, 100, 'S', { T(0, WAIT_OUTSIDE, 0, "socket") }, 1 } },
	  2,
	  VERDICT_STALL,
	  { 0 },
	  0,
	  "socket" },
	{ "a read from a terminal",
	  { { 100, 1, 'S', { T(0, WAIT_OUTSIDE, 0, "terminal") }, 1 } },
	  1,
	  VERDICT_STALL,
	  { 0 },
	  0,
	  "terminal" },
	{ "D state",
	  { { 100, 1, 'D', { { 0, 'D', WAIT_DISK, 0, "disk (D state)" }, LOCK }, 2 } },
	  1,
	  VERDICT_STALL,
	  { 0 },
	  0,
	  "disk (D state)" },
	{ "a call that cannot be judged counts as outside",
	  { { 100,
	      1,
	      'S',
	      { T(0, WAIT_UNKNOWN, 0, "syscall 999"), T(1, WAIT_LOCK, 0, "futex") },
	      2 } },
	  1,
	  VERDICT_STALL,
	  { 0 },
	  0,
	  "syscall 999" },
	{ "a stopped deadlock is paused",
	  { { 100,
	      1,
	      'T',
	      { { 0, 'T', WAIT_STOPPED, 0, "stopped" }, { 1, 'T', WAIT_STOPPED, 0, "stopped" } },
	      2 } },
	  1,
	  VERDICT_PAUSED,
	  { 0 },
	  0,
	  NULL },
	{ "a runnable thread",
	  { { 100, 1, 'S', { LOCK, { 1, 'R', WAIT_NONE, 0, "" } }, 2 } },
	  1,
	  VERDICT_RUNNING,
	  { 0 },
	  0,
	  NULL },
	{ "a zombie leader: its threads decide",
	  { { 100,
	      1,
	      'S',
	      { { 0, 'Z', WAIT_NONE, 0, "" },
	        T(1, WAIT_LOCK, 0, "futex"),
	        T(2, WAIT_LOCK, 0, "futex") },
	      3 } },
	  1,
	  VERDICT_DEADLOCK,
	  { 100 },
	  1,
	  NULL },
	{ "sleep 600: waiting, not stalled",
	  { { 100, 1, 'S', { T(0, WAIT_TIMED, 0, "timed") }, 1 } },
	  1,
	  VERDICT_WAITING,
	  { 0 },
	  0,
	  NULL },
	{ "two processes reading each other's pipe, no lock: not a deadlock by the rule",
	  { { 100, 1, 'S', { T(0, WAIT_INSIDE, 101, "pipe from PID 101") }, 1 },
	    { 101, 100, 'S', { T(0, WAIT_INSIDE, 100, "pipe from PID 100") }, 1 } },
	  2,
	  VERDICT_WAITING,
	  { 0 },
	  0,
	  NULL },
};

static void build(const struct v_case *c, struct tree_sample *s, struct proc_sample *procs,
                  struct thread_sample *threads)
{
	size_t nt = 0;

	memset(s, 0, sizeof *s);
	s->full = s->threads_scanned = s->waits_scanned = true;
	s->procs = procs;
	s->threads_v = threads;
	for (int i = 0; i < c->n_procs; i++) {
		const struct p_spec *ps = &c->procs[i];
		struct proc_sample *p = &procs[i];

		memset(p, 0, sizeof *p);
		p->pid = ps->pid;
		p->ppid = ps->ppid;
		p->state = ps->state;
		p->first_thread = nt;
		p->n_threads_scanned = (size_t)ps->n;
		for (int k = 0; k < ps->n; k++) {
			struct thread_sample *t = &threads[nt++];

			memset(t, 0, sizeof *t);
			t->tid = ps->pid + ps->threads[k].tid_offset;
			t->state = ps->threads[k].state;
			t->wait = (unsigned char)ps->threads[k].wait;
			t->wait_pid = ps->threads[k].wait_pid;
			snprintf(t->wait_what, sizeof t->wait_what, "%s", ps->threads[k].what);
		}
	}
	s->n_procs = (size_t)c->n_procs;
	s->n_threads_v = nt;
}

static void test_verdict_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct v_case *c = &cases[i];
		struct proc_sample procs[MAX_P];
		struct thread_sample threads[MAX_P * MAX_T];
		struct tree_sample s;
		struct verdict v;

		build(c, &s, procs, threads);
		verdict_judge(&s, &v);
		if (v.kind != c->want) {
			print_error("%s: got %s, want %s\n", c->name, verdict_kind_name(v.kind),
			            verdict_kind_name(c->want));
			fail();
		}
		assert_int_equal(v.n_blocked, c->n_blocked);
		for (int k = 0; k < c->n_blocked; k++)
			assert_int_equal(v.blocked_pids[k], c->want_blocked[k]);
		if (c->want_what != NULL) {
			assert_true(v.n_waiting >= 1);
			assert_string_equal(v.waiting_on[0].what, c->want_what);
		}
	}
}

static void test_unjudged_without_waits(void **state)
{
	struct proc_sample procs[MAX_P];
	struct thread_sample threads[MAX_P * MAX_T];
	struct tree_sample s;
	struct verdict v;

	(void)state;
	build(&cases[0], &s, procs, threads);
	s.waits_scanned = false;
	verdict_judge(&s, &v);
	assert_int_equal(v.kind, VERDICT_UNJUDGED);
	assert_string_equal(verdict_kind_name(VERDICT_DEADLOCK), "deadlock");
	assert_string_equal(verdict_kind_name(VERDICT_STALL), "stall");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verdict_table),
		cmocka_unit_test(test_unjudged_without_waits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
