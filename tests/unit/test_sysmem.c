/* collectors/sysmem: system memory and PSI from fake proc roots under
 * tests/fixtures/proc (or $MW_FIXTURES/proc) and from the real /proc. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <setjmp.h>
#include <cmocka.h>

#include "../../collectors/procparse.h"
#include "../../collectors/sysmem.h"
#include "helpers.h"

static void test_fixture_with_psi(void **state)
{
	char root[4096];
	struct sysmem *sm;
	struct sys_sample s;

	(void)state;
	fixture_root(root, sizeof root, "deadlock");
	sm = sysmem_new(root);
	assert_non_null(sm);
	assert_int_equal(sysmem_read(sm, 1234, &s), 0);
	assert_int_equal(s.t_ms, 1234);
	assert_int_equal(s.mem_total_bytes, 16318796ULL * 1024);
	assert_int_equal(s.mem_available_bytes, 8159398ULL * 1024);
	assert_int_equal(s.swap_total_bytes, 2097148ULL * 1024);
	assert_int_equal(s.swap_free_bytes, 1048574ULL * 1024);
	assert_true(s.psi_known);
	assert_float_equal(s.psi_some_avg10, 12.5, 1e-9);
	assert_float_equal(s.psi_full_avg10, 3.25, 1e-9);
	/* Reading again gives the same (files kept open, read at 0). */
	assert_int_equal(sysmem_read(sm, 2000, &s), 0);
	assert_int_equal(s.t_ms, 2000);
	assert_int_equal(s.mem_available_bytes, 8159398ULL * 1024);
	assert_float_equal(s.psi_some_avg10, 12.5, 1e-9);
	sysmem_free(sm);
}

static void test_fixture_without_psi(void **state)
{
	char root[4096];
	struct sysmem *sm;
	struct sys_sample s;

	(void)state;
	fixture_root(root, sizeof root, "nopsi");
	sm = sysmem_new(root);
	assert_non_null(sm);
	assert_int_equal(sysmem_read(sm, 5, &s), 0);
	assert_int_equal(s.mem_total_bytes, 2048000ULL * 1024);
	assert_int_equal(s.mem_available_bytes, 512000ULL * 1024);
	assert_int_equal(s.swap_total_bytes, 0);
	assert_int_equal(s.swap_free_bytes, 0);
	/* Unknown, not zero. */
	assert_false(s.psi_known);
	sysmem_free(sm);
}

static void test_fixture_garbage_psi(void **state)
{
	char root[4096];
	struct sysmem *sm;
	struct sys_sample s;

	(void)state;
	fixture_root(root, sizeof root, "badpsi");
	sm = sysmem_new(root);
	assert_non_null(sm);
	/* Garbage PSI is unknown PSI, not a failed read. */
	assert_int_equal(sysmem_read(sm, 5, &s), 0);
	assert_int_equal(s.mem_total_bytes, 16318796ULL * 1024);
	assert_false(s.psi_known);
	sysmem_free(sm);
}

static void test_missing_root(void **state)
{
	(void)state;
	errno = 0;
	assert_null(sysmem_new("/nonexistent/mergewatch-proc"));
	assert_int_equal(errno, ENOENT);
	sysmem_free(NULL);
}

/* The kept-open files see new content, and bad content is an error. */
static void test_rereads_changed_files(void **state)
{
	char dir[64];
	char meminfo[64], pressure_dir[64], pressure[96];
	struct sysmem *sm;
	struct sys_sample s;

	(void)state;
	assert_int_equal(scratch_make(dir, sizeof dir, "sysmem"), 0);
	path_join(meminfo, sizeof meminfo, dir, "meminfo");
	path_join(pressure_dir, sizeof pressure_dir, dir, "pressure");
	path_join(pressure, sizeof pressure, pressure_dir, "memory");
	assert_int_equal(mkdir(pressure_dir, 0755), 0);
	write_text(meminfo, "MemTotal: 1000 kB\nMemAvailable: 900 kB\n");
	write_text(pressure, "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"
	                     "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n");

	sm = sysmem_new(dir);
	assert_non_null(sm);
	assert_int_equal(sysmem_read(sm, 1, &s), 0);
	assert_int_equal(s.mem_available_bytes, 900 * 1024);
	assert_true(s.psi_known);
	assert_float_equal(s.psi_some_avg10, 0.0, 1e-9);

	write_text(meminfo, "MemTotal: 1000 kB\nMemAvailable: 100 kB\n"
	                    "SwapTotal: 50 kB\nSwapFree: 10 kB\n");
	write_text(pressure, "some avg10=42.00 avg60=1.00 avg300=0.00 total=5\n"
	                     "full avg10=40.10 avg60=1.00 avg300=0.00 total=5\n");
	assert_int_equal(sysmem_read(sm, 2, &s), 0);
	assert_int_equal(s.mem_available_bytes, 100 * 1024);
	assert_int_equal(s.swap_total_bytes, 50 * 1024);
	assert_int_equal(s.swap_free_bytes, 10 * 1024);
	assert_float_equal(s.psi_some_avg10, 42.0, 1e-9);
	assert_float_equal(s.psi_full_avg10, 40.1, 1e-9);

	write_text(meminfo, "MemTotal: 1000 kB\n");
	assert_int_equal(sysmem_read(sm, 3, &s), -EINVAL);
	write_text(meminfo, "");
	assert_int_equal(sysmem_read(sm, 4, &s), -EINVAL);

	sysmem_free(sm);
	tree_remove(dir);
}

/* MemTotal of this machine straight from /proc/meminfo. */
static uint64_t raw_mem_total(void)
{
	char buf[16384];
	struct sys_sample s;
	ssize_t n;
	int fd;

	fd = open("/proc/meminfo", O_RDONLY);
	assert_true(fd >= 0);
	n = read(fd, buf, sizeof buf);
	close(fd);
	assert_true(n > 0);
	assert_int_equal(procparse_meminfo(buf, (size_t)n, &s), 0);
	return s.mem_total_bytes;
}

/* "/proc" goes through libproc2, "/proc/" through the raw parser: both
 * must agree with the file. */
static void test_real_proc(void **state)
{
	const char *roots[] = { "/proc", "/proc/" };
	uint64_t total = raw_mem_total();
	size_t i;

	(void)state;
	assert_true(total > 0);
	for (i = 0; i < 2; i++) {
		struct sysmem *sm = sysmem_new(roots[i]);
		struct sys_sample s;

		assert_non_null(sm);
		assert_int_equal(sysmem_read(sm, 77, &s), 0);
		assert_int_equal(s.t_ms, 77);
		assert_int_equal(s.mem_total_bytes, total);
		assert_true(s.mem_available_bytes > 0);
		assert_true(s.mem_available_bytes <= s.mem_total_bytes);
		assert_true(s.swap_free_bytes <= s.swap_total_bytes);
		if (access("/proc/pressure/memory", R_OK) == 0 && s.psi_known) {
			assert_true(s.psi_some_avg10 >= 0.0 && s.psi_some_avg10 <= 100.0);
			assert_true(s.psi_full_avg10 >= 0.0 && s.psi_full_avg10 <= 100.0);
		}
		if (access("/proc/pressure/memory", F_OK) != 0)
			assert_false(s.psi_known);
		sysmem_free(sm);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixture_with_psi),
		cmocka_unit_test(test_fixture_without_psi),
		cmocka_unit_test(test_fixture_garbage_psi),
		cmocka_unit_test(test_missing_root),
		cmocka_unit_test(test_rereads_changed_files),
		cmocka_unit_test(test_real_proc),
	};

	return cmocka_run_group_tests_name("sysmem", tests, NULL, NULL);
}
