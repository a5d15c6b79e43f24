/* The evidence helper's command line (jobs/capture.c): whatever a pair is
 * called, /bin/sh hands the helper exactly the arguments meant, and the
 * capture command gets its {pid}. Checked by running the line through a
 * real /bin/sh with printf standing in for the helper. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../jobs/capture.h"

static void test_helper_command_survives_the_shell(void **state)
{
	struct proc_sample procs[2] = { { .pid = 4242 }, { .pid = 4243 } };
	struct tree_sample tree = { .procs = procs, .n_procs = 2 };
	/* printf prints each argument on a line of its own. */
	char *cmd = capture_helper_command("printf", "/proc", "it's a $(pair) `x` \"y\"",
	                                   "deadlock", &tree, 10000);
	char shell[4096], out[4096] = "";
	size_t n;
	FILE *p;

	(void)state;
	assert_non_null(cmd);
	/* exec printf '%s\n' ...: insert the format as the first argument. */
	assert_true(strncmp(cmd, "exec 'printf' ", 14) == 0);
	snprintf(shell, sizeof shell, "exec printf '%%s\\n' %s", cmd + 14);
	p = popen(shell, "r");
	assert_non_null(p);
	n = fread(out, 1, sizeof out - 1, p);
	out[n] = '\0';
	assert_int_equal(pclose(p), 0);
	assert_string_equal(out, "--proc\n/proc\n--pair\nit's a $(pair) `x` \"y\"\n--verdict\n"
	                         "deadlock\n--budget-ms\n10000\n4242\n4243\n");
	free(cmd);
}

static void test_capture_expand_replaces_every_pid_mark(void **state)
{
	char *s = capture_expand("py-spy dump --pid {pid} > {pid}.txt", 77);

	(void)state;
	assert_string_equal(s, "py-spy dump --pid 77 > 77.txt");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_helper_command_survives_the_shell),
		cmocka_unit_test(test_capture_expand_replaces_every_pid_mark),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
