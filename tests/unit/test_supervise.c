/* jobs/supervise: the record a supervisor leaves reads back as written, and
 * anything else is refused rather than taken for a status. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <setjmp.h>
#include <cmocka.h>

#include "../../jobs/supervise.h"

static void test_record_round_trip(void **state)
{
	char dir[] = "/tmp/mw-test-supervise-XXXXXX", path[128], err[512];
	struct supervise_record w = { .token = 1795000000123456789LL,
		                      .pid = 4242,
		                      .start_ticks = 987654321ULL },
				r;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/chr01.job", dir);
	assert_int_equal(supervise_record_read(path, &r, err, sizeof err), -ENOENT);
	assert_int_equal(supervise_record_write(path, &w, err, sizeof err), 0);
	assert_int_equal(supervise_record_read(path, &r, err, sizeof err), 0);
	assert_true(r.token == w.token && r.pid == 4242 && r.start_ticks == 987654321ULL);
	assert_false(r.ended);
	assert_int_equal(r.exit_code, -1);

	w.ended = true;
	w.exit_code = -1;
	w.term_signal = 9;
	w.oom_killed = true;
	assert_int_equal(supervise_record_write(path, &w, err, sizeof err), 0);
	assert_int_equal(supervise_record_read(path, &r, err, sizeof err), 0);
	assert_true(r.ended && r.exit_code == -1 && r.term_signal == 9 && r.oom_killed);
	w.oom_killed = false;

	w.exit_code = 0;
	w.term_signal = 0;
	assert_int_equal(supervise_record_write(path, &w, err, sizeof err), 0);
	assert_int_equal(supervise_record_read(path, &r, err, sizeof err), 0);
	assert_true(r.ended && r.exit_code == 0 && r.term_signal == 0);

	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("exit 0\n", f);
	fclose(f);
	assert_int_equal(supervise_record_read(path, &r, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, path));
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
