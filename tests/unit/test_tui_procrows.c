/* The Processes pane's rows: tree order, CPU% from the previous sample of
 * the same process, vanished and recycled processes handled as normal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../../tui/procrows.h"

static struct proc_sample proc(pid_t pid, pid_t ppid, uint64_t cpu_ticks)
{
	struct proc_sample p;

	memset(&p, 0, sizeof p);
	p.pid = pid;
	p.ppid = ppid;
	p.start_ticks = 500 + (uint64_t)pid;
	p.state = 'S';
	snprintf(p.comm, sizeof p.comm, "p%d", (int)pid);
	p.cpu_ticks = cpu_ticks;
	p.num_threads = 1;
	return p;
}

static struct tree_sample tree(pid_t root, uint64_t t_ms, struct proc_sample *procs, size_t n)
{
	struct tree_sample ts;

	memset(&ts, 0, sizeof ts);
	ts.t_ms = t_ms;
	ts.root = root;
	ts.root_alive = true;
	ts.full = true;
	ts.ticks_per_s = 100;
	ts.procs = procs;
	ts.n_procs = n;
	for (size_t i = 0; i < n; i++)
		ts.cpu_ticks += procs[i].cpu_ticks;
	return ts;
}

static void test_rows_come_in_tree_order_with_depth(void **state)
{
	/* Sampled in PID order; the tree is 10 -> {12 -> 11, 13}, and a
	 * process whose parent is not in the sample (orphan 5). */
	struct proc_sample procs[] = {
		proc(5, 999, 0), proc(10, 1, 0), proc(11, 12, 0), proc(12, 10, 0), proc(13, 10, 0),
	};
	struct tree_sample ts = tree(10, 1000, procs, 5);
	struct procrows *pr = procrows_new();
	const pid_t want_pid[] = { 10, 12, 11, 13, 5 };
	const int want_depth[] = { 0, 1, 2, 1, 0 };

	(void)state;
	assert_non_null(pr);
	assert_int_equal(procrows_update(pr, &ts), 0);
	assert_int_equal(procrows_count(pr), 5);
	for (size_t i = 0; i < 5; i++) {
		assert_int_equal(procrows_get(pr, i)->pid, want_pid[i]);
		assert_int_equal(procrows_get(pr, i)->depth, want_depth[i]);
	}
	assert_null(procrows_get(pr, 5));
	procrows_free(pr);
}

static void test_cpu_percent_from_the_previous_sample(void **state)
{
	struct proc_sample a[] = { proc(10, 1, 100), proc(11, 10, 0) };
	struct proc_sample b[] = { proc(10, 1, 150), proc(11, 10, 200) };
	struct tree_sample ts;
	struct procrows *pr = procrows_new();

	(void)state;
	ts = tree(10, 1000, a, 2);
	procrows_update(pr, &ts);
	/* First sight: not known yet. */
	assert_true(procrows_get(pr, 0)->cpu_percent < 0);
	assert_true(procrows_tree_cpu_percent(pr) < 0);
	/* 2 s later: 50 ticks (0.5 s) = 25% of a core; 200 ticks = 100%. */
	ts = tree(10, 3000, b, 2);
	procrows_update(pr, &ts);
	assert_float_equal(procrows_get(pr, 0)->cpu_percent, 25.0, 0.01);
	assert_float_equal(procrows_get(pr, 1)->cpu_percent, 100.0, 0.01);
	assert_float_equal(procrows_tree_cpu_percent(pr), 125.0, 0.01);
	procrows_free(pr);
}

static void test_vanished_and_recycled_processes(void **state)
{
	struct proc_sample a[] = { proc(10, 1, 100), proc(11, 10, 50), proc(12, 10, 50) };
	struct proc_sample b[] = { proc(10, 1, 100), proc(12, 10, 60) };
	struct tree_sample ts;
	struct procrows *pr = procrows_new();

	(void)state;
	ts = tree(10, 1000, a, 3);
	procrows_update(pr, &ts);
	/* 11 exits; 12 is a new process that got a recycled PID. */
	b[1].start_ticks += 77;
	ts = tree(10, 2000, b, 2);
	assert_int_equal(procrows_update(pr, &ts), 0);
	assert_int_equal(procrows_count(pr), 2);
	assert_int_equal(procrows_get(pr, 1)->pid, 12);
	/* Its ticks are not the old process's: no CPU% from them. */
	assert_true(procrows_get(pr, 1)->cpu_percent < 0);
	assert_float_equal(procrows_get(pr, 0)->cpu_percent, 0.0, 0.01);
	procrows_free(pr);
}

static void test_fast_and_repeated_samples_change_nothing(void **state)
{
	struct proc_sample a[] = { proc(10, 1, 100) };
	struct proc_sample b[] = { proc(10, 1, 300) };
	struct tree_sample ts;
	struct procrows *pr = procrows_new();

	(void)state;
	ts = tree(10, 1000, a, 1);
	procrows_update(pr, &ts);
	ts = tree(10, 2000, b, 1);
	ts.full = false; /* an RSS-only read */
	procrows_update(pr, &ts);
	assert_int_equal(procrows_get(pr, 0)->cpu_ticks, 100);
	ts = tree(10, 1000, b, 1); /* the same sample again */
	procrows_update(pr, &ts);
	assert_int_equal(procrows_get(pr, 0)->cpu_ticks, 100);
	procrows_clear(pr);
	assert_int_equal(procrows_count(pr), 0);
	procrows_free(pr);
}

static void test_thread_details_only_when_scanned(void **state)
{
	struct proc_sample a[] = { proc(10, 1, 0) };
	struct tree_sample ts;
	struct procrows *pr = procrows_new();

	(void)state;
	a[0].futex_threads = 4;
	a[0].num_threads = 4;
	a[0].all_futex = true;
	snprintf(a[0].top_wchan, sizeof a[0].top_wchan, "futex_wait_queue");
	ts = tree(10, 1000, a, 1);
	procrows_update(pr, &ts);
	assert_false(procrows_get(pr, 0)->threads_known);
	assert_false(procrows_get(pr, 0)->all_futex);
	ts = tree(10, 2000, a, 1);
	ts.threads_scanned = true;
	procrows_update(pr, &ts);
	assert_true(procrows_get(pr, 0)->threads_known);
	assert_true(procrows_get(pr, 0)->all_futex);
	assert_int_equal(procrows_get(pr, 0)->futex_threads, 4);
	assert_string_equal(procrows_get(pr, 0)->wchan, "futex_wait_queue");
	procrows_free(pr);
}

static void test_a_pid_cycle_still_ends(void **state)
{
	/* Impossible from the kernel, but a sample is data: 20 <-> 21. */
	struct proc_sample a[] = { proc(10, 1, 0), proc(20, 21, 0), proc(21, 20, 0) };
	struct tree_sample ts = tree(10, 1000, a, 3);
	struct procrows *pr = procrows_new();

	(void)state;
	assert_int_equal(procrows_update(pr, &ts), 0);
	assert_int_equal(procrows_count(pr), 3);
	assert_int_equal(procrows_get(pr, 0)->pid, 10);
	procrows_free(pr);
}

/* A pair's root is its supervisor: the rows start with the job it runs. */
static void test_the_supervisor_is_not_a_row(void **state)
{
	struct proc_sample procs[] = { proc(20, 1, 0), proc(21, 20, 0), proc(22, 21, 0) };
	struct tree_sample ts = tree(20, 1000, procs, 3);
	struct procrows *pr = procrows_new();

	(void)state;
	snprintf(procs[0].comm, sizeof procs[0].comm, "mw-supervise");
	assert_int_equal(procrows_update(pr, &ts), 0);
	assert_int_equal(procrows_count(pr), 2);
	assert_int_equal(procrows_get(pr, 0)->pid, 21);
	assert_int_equal(procrows_get(pr, 0)->depth, 0);
	assert_int_equal(procrows_get(pr, 1)->pid, 22);
	assert_int_equal(procrows_get(pr, 1)->depth, 1);
	procrows_free(pr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_the_supervisor_is_not_a_row),
		cmocka_unit_test(test_rows_come_in_tree_order_with_depth),
		cmocka_unit_test(test_cpu_percent_from_the_previous_sample),
		cmocka_unit_test(test_vanished_and_recycled_processes),
		cmocka_unit_test(test_fast_and_repeated_samples_change_nothing),
		cmocka_unit_test(test_thread_details_only_when_scanned),
		cmocka_unit_test(test_a_pid_cycle_still_ends),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
