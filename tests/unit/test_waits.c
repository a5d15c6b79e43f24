/* The syscall file and the shape of a wait (collectors/waits.c): real
 * lines of /proc/PID/task/TID/syscall, as Node, Polars, Python and glibc
 * leave them, and what each wait is. */
#include <setjmp.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../../collectors/waits.h"

static const struct {
	const char *line;
	int parsed;
	enum wait_shape shape;
	int fd;
} cases[] = {
	/* Node's Atomics.wait: FUTEX_WAIT_BITSET|PRIVATE|CLOCK_REALTIME, no timeout */
	{ "202 0x1106d450 0x189 0x0 0x0 0x0 0xffffffff 0x7ffc260d0e70 0x7fba43ea3f16", 1,
	  SHAPE_FUTEX, -1 },
	/* a tokio worker's timed park: the timeout pointer is set */
	{ "202 0x2de0f5f8 0x89 0x0 0x7f2fc0dfdb80 0x0 0x15ffffffff 0x7f2fc0dfdb68 0x7f2ff011f829",
	  1, SHAPE_TIMED, -1 },
	/* FUTEX_WAKE never sleeps */
	{ "202 0x2de0f5f8 0x81 0x1 0x0 0x0 0x0 0x1 0x2", 1, SHAPE_NONE, -1 },
	/* libuv's epoll_pwait(9, ..., -1): untimed */
	{ "281 0x9 0x7fba43e19cf0 0x400 0xffffffff 0x0 0x8 0x7fba43e18f90 0x7fba43f26cae", 1,
	  SHAPE_EPOLL, 9 },
	/* the same with a 250 ms timer due */
	{ "281 0x9 0x7fba43e19cf0 0x400 0xfa 0x0 0x8 0x1 0x2", 1, SHAPE_TIMED, 9 },
	/* tokio's epoll_wait(18, ..., -1) */
	{ "232 0x12 0x2de7d9f0 0x400 0xffffffff 0x0 0x0 0x7f2fec885850 0x7f2ff0126f36", 1,
	  SHAPE_EPOLL, 18 },
	/* sleep(1): clock_nanosleep */
	{ "230 0x0 0x0 0x7ffca628eae0 0x7ffca628eb20 0x0 0x0 0x7ffca628eac8 0x7ff8d4d3f503", 1,
	  SHAPE_TIMED, -1 },
	/* read(0, ...) and accept4(3, ...) */
	{ "0 0x0 0x7ffd 0x1000 0x0 0x0 0x0 0x1 0x2", 1, SHAPE_FD, 0 },
	{ "288 0x3 0x0 0x0 0x80000 0x0 0x0 0x1 0x2", 1, SHAPE_FD, 3 },
	/* wait4(-1, ...) */
	{ "61 0xffffffffffffffff 0x7ffd 0x0 0x0 0x0 0x0 0x1 0x2", 1, SHAPE_CHILD, -1 },
	/* poll(fds, 2, -1) and poll(fds, 2, 1000) */
	{ "7 0x7ffd0000 0x2 0xffffffff 0x0 0x0 0x0 0x1 0x2", 1, SHAPE_POLL, -1 },
	{ "7 0x7ffd0000 0x2 0x3e8 0x0 0x0 0x0 0x1 0x2", 1, SHAPE_TIMED, -1 },
	/* select(4, r, w, e, NULL) */
	{ "23 0x4 0x7ffd0000 0x0 0x0 0x0 0x0 0x1 0x2", 1, SHAPE_SELECT, -1 },
	/* pause() */
	{ "34 0x0 0x0 0x0 0x0 0x0 0x0 0x1 0x2", 1, SHAPE_SIGNAL, -1 },
	/* flock */
	{ "73 0x3 0x2 0x0 0x0 0x0 0x0 0x1 0x2", 1, SHAPE_FLOCK, -1 },
	/* a call the table does not know */
	{ "999 0x0 0x0 0x0 0x0 0x0 0x0 0x1 0x2", 1, SHAPE_OTHER, -1 },
	{ "running", 0, SHAPE_NONE, -1 },
	{ "-1 0x7ffd 0x7f00", 0, SHAPE_NONE, -1 },
	{ "garbage", -EINVAL, SHAPE_NONE, -1 },
	{ "202 0x1 0x2", -EINVAL, SHAPE_NONE, -1 },
};

static void test_syscall_lines(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		uint64_t args[6] = { 0 };
		int nr = -1;
		int r = waits_parse_syscall(cases[i].line, strlen(cases[i].line), &nr, args);

		assert_int_equal(r, cases[i].parsed);
		if (r != 1)
			continue;
		struct wait_call c = waits_shape(nr, args);

		if (c.shape != cases[i].shape) {
			print_error("%s: shape %d, want %d\n", cases[i].line, c.shape,
			            cases[i].shape);
			fail();
		}
		if (cases[i].fd >= 0)
			assert_int_equal(c.fd, cases[i].fd);
	}
}

/* The judge in two steps, as the collector calls it with a syscall file it
 * keeps open: the state alone first, then the file's content. These waits
 * need nothing more read. */
static void test_judge_in_two_steps(void **state)
{
	static const struct {
		char state;
		const char *wchan;
		const char *syscall; /* NULL: the file could not be read */
		int err;             /* the read's errno then */
		bool by_state;       /* judged from the state alone */
		enum wait_kind want;
		const char *what;
		int nr;
	} steps[] = {
		{ 'R', "", NULL, 0, true, WAIT_NONE, "", -1 },
		{ 'Z', "", NULL, 0, true, WAIT_NONE, "", -1 },
		{ 'T', "do_signal_stop", NULL, 0, true, WAIT_STOPPED, "stopped", -1 },
		{ 'D', "io_schedule", NULL, 0, true, WAIT_DISK, "disk (D state)", -1 },
		{ 'S', "futex_do_wait", "202 0x1000 0x80 0x2 0x0 0x0 0x0 0x1 0x2", 0, false,
		  WAIT_LOCK, "futex", 202 },
		{ 'S', "futex_do_wait", "202 0x1000 0x89 0x0 0x7ffd 0x0 0x0 0x1 0x2", 0, false,
		  WAIT_TIMED, "timed wait (syscall 202)", 202 },
		{ 'S', "do_wait", "61 0x2a 0x7ffd 0x0 0x0 0x0 0x0 0x1 0x2", 0, false, WAIT_INSIDE,
		  "child PID 42", 61 },
		{ 'S', "futex_do_wait", NULL, EACCES, false, WAIT_LOCK,
		  "futex (timeout unknown: syscall not readable)", -1 },
		{ 'S', "pipe_read", NULL, ESRCH, false, WAIT_UNKNOWN, "pipe_read (syscall unknown)",
		  -1 },
		{ 'S', "futex_do_wait", "-1 0x7ffd 0x7f00", 0, false, WAIT_LOCK,
		  "futex (timeout unknown: not in a system call)", -1 },
	};
	struct waits *w = waits_new("/proc");

	(void)state;
	assert_non_null(w);
	waits_begin(w, NULL, 0);
	for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
		struct thread_sample ts = { .tid = 1, .state = steps[i].state };
		const char *sys = steps[i].syscall;

		snprintf(ts.wchan, sizeof ts.wchan, "%s", steps[i].wchan);
		snprintf(ts.wait_what, sizeof ts.wait_what, "left from before");
		ts.wait = WAIT_OUTSIDE;
		assert_int_equal(waits_judge_state(&ts), steps[i].by_state);
		if (!steps[i].by_state)
			waits_judge_call(w, 1, &ts, sys ? sys : "",
			                 sys ? (ssize_t)strlen(sys) : -steps[i].err);
		if (ts.wait != steps[i].want || strcmp(ts.wait_what, steps[i].what) != 0) {
			print_error("case %zu: %s '%s', want %s '%s'\n", i,
			            waits_kind_name((enum wait_kind)ts.wait), ts.wait_what,
			            waits_kind_name(steps[i].want), steps[i].what);
			fail();
		}
		assert_int_equal(ts.syscall_nr, steps[i].nr);
	}
	waits_free(w);
}

static void test_kind_names(void **state)
{
	(void)state;
	assert_string_equal(waits_kind_name(WAIT_LOCK), "lock");
	assert_string_equal(waits_kind_name(WAIT_OUTSIDE), "outside");
	assert_string_equal(waits_kind_name((enum wait_kind)99), "unknown");
}

/* ---- real threads of this test process, judged through the real /proc ---- */

static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;
static int pipe_fds[2], sock_fds[2], event_fd;

static void *blocks_on_mutex(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&held);
	pthread_mutex_unlock(&held);
	return NULL;
}

static void *reads_own_pipe(void *arg)
{
	char c;

	(void)arg;
	return read(pipe_fds[0], &c, 1) < 0 ? NULL : NULL;
}

static void *reads_socket(void *arg)
{
	char c;

	(void)arg;
	return read(sock_fds[0], &c, 1) < 0 ? NULL : NULL;
}

static void *sleeps(void *arg)
{
	struct timespec t = { 30, 0 };

	(void)arg;
	nanosleep(&t, NULL);
	return NULL;
}

static void *polls_eventfd(void *arg)
{
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = { .events = EPOLLIN }, out;

	(void)arg;
	epoll_ctl(ep, EPOLL_CTL_ADD, event_fd, &ev);
	epoll_wait(ep, &out, 1, -1);
	close(ep);
	return NULL;
}

struct waiter {
	void *(*fn)(void *);
	enum wait_kind want;
	const char *what; /* a part of wait_what */
	pid_t tid;
};

static void *with_tid(void *arg)
{
	struct waiter *w = arg;

	w->tid = gettid();
	return w->fn(NULL);
}

/* The kernel's state of a thread of this process ('S' once it sleeps). */
static char thread_state(pid_t tid)
{
	char path[64], buf[512];
	FILE *f;
	size_t n;

	snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int)tid);
	if ((f = fopen(path, "r")) == NULL)
		return '?';
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	char *paren = strrchr(buf, ')');

	return paren != NULL && paren[1] == ' ' ? paren[2] : '?';
}

static void test_judges_real_threads(void **state)
{
	struct waiter ws[] = {
		{ blocks_on_mutex, WAIT_LOCK, "futex", 0 },
		{ reads_own_pipe, WAIT_INSIDE, "pipe from PID", 0 },
		{ reads_socket, WAIT_OUTSIDE, "socket", 0 },
		{ sleeps, WAIT_TIMED, "timed", 0 },
		{ polls_eventfd, WAIT_INSIDE, "epoll set", 0 },
	};
	enum { N = sizeof ws / sizeof ws[0] };
	pthread_t th[N];
	pid_t self = getpid();
	struct waits *w = waits_new("/proc");

	(void)state;
	assert_non_null(w);
	assert_int_equal(pipe(pipe_fds), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sock_fds), 0);
	event_fd = eventfd(0, EFD_CLOEXEC);
	pthread_mutex_lock(&held);
	for (int i = 0; i < N; i++)
		assert_int_equal(pthread_create(&th[i], NULL, with_tid, &ws[i]), 0);
	for (int i = 0; i < N; i++) {
		struct timespec tick = { 0, 10 * 1000 * 1000 };

		for (int k = 0; k < 300 && (ws[i].tid == 0 || thread_state(ws[i].tid) != 'S'); k++)
			nanosleep(&tick, NULL);
	}
	/* One more tick: a thread in S may still be on its way into the call. */
	{
		struct timespec tick = { 0, 50 * 1000 * 1000 };

		nanosleep(&tick, NULL);
	}
	waits_begin(w, &self, 1);
	for (int i = 0; i < N; i++) {
		struct thread_sample ts = { .tid = ws[i].tid, .state = thread_state(ws[i].tid) };

		waits_judge(w, self, &ts);
		if (ts.wait != ws[i].want || strstr(ts.wait_what, ws[i].what) == NULL) {
			print_error("thread %d: %s '%s', want %s '%s'\n", i,
			            waits_kind_name((enum wait_kind)ts.wait), ts.wait_what,
			            waits_kind_name(ws[i].want), ws[i].what);
			fail();
		}
		if (ws[i].want == WAIT_LOCK)
			assert_int_equal(ts.wait_addr, (uint64_t)(uintptr_t)&held);
	}
	/* Let every thread go. */
	pthread_mutex_unlock(&held);
	assert_int_equal(write(pipe_fds[1], "x", 1), 1);
	assert_int_equal(write(sock_fds[1], "x", 1), 1);
	assert_int_equal(eventfd_write(event_fd, 1), 0);
	pthread_cancel(th[3]);
	for (int i = 0; i < N; i++)
		pthread_join(th[i], NULL);
	waits_free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_syscall_lines),
		cmocka_unit_test(test_judge_in_two_steps),
		cmocka_unit_test(test_kind_names),
		cmocka_unit_test(test_judges_real_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
