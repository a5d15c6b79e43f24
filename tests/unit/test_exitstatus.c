/* Every outcome of `run -- COMMAND` has its own exit status (timeout(1)). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../core/exitstatus.h"

static void test_each_outcome_has_its_status(void **state)
{
	static const struct {
		enum pair_state state;
		const char *reason;
		int exit_code, signal, want;
	} cases[] = {
		{ PAIR_DONE, "", 0, 0, 0 },
		{ PAIR_FAILED, "", 3, 0, 3 },
		{ PAIR_FAILED, "", 255, 0, 255 },
		{ PAIR_KILLED, "timeout", -1, 15, 124 },
		{ PAIR_KILLED, "timeout", -1, 9, 124 },
		{ PAIR_KILLED, "rss", -1, 9, 137 },
		{ PAIR_KILLED, "deadlock", -1, 9, 137 },
		{ PAIR_KILLED, "memory_max", -1, 9, 137 },
		{ PAIR_KILLED, "operator", -1, 15, 137 },
		{ PAIR_SKIPPED, "operator", -1, 9, 137 },
		{ PAIR_FAILED, "", -1, 11, 139 }, /* died of SIGSEGV on its own */
		{ PAIR_FAILED, "", -1, 15, 143 },
		{ PAIR_FAILED, "output_missing", 0, 0, 1 },
		{ PAIR_SKIPPED, "gate", -1, 0, 125 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct model_pair p;

		memset(&p, 0, sizeof p);
		p.state = cases[i].state;
		snprintf(p.reason, sizeof p.reason, "%s", cases[i].reason);
		p.exit_code = cases[i].exit_code;
		p.signal = cases[i].signal;
		assert_int_equal(exit_status_of_command(&p), cases[i].want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_each_outcome_has_its_status),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
