/* Every pane has a place from 80x24 up, and no two panes share a cell. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../tui/layout.h"

static void check_inside(const struct layout_rect *r, int rows, int cols)
{
	assert_true(r->h > 0);
	assert_true(r->w > 0);
	assert_true(r->y >= 0 && r->x >= 0);
	assert_true(r->y + r->h <= rows);
	assert_true(r->x + r->w <= cols);
}

static bool overlap(const struct layout_rect *a, const struct layout_rect *b)
{
	return a->x < b->x + b->w && b->x < a->x + a->w && a->y < b->y + b->h && b->y < a->y + a->h;
}

static void check_layout(int rows, int cols, int n_pairs, int procs_lines)
{
	struct layout l;
	const struct layout_rect *all[7];

	layout_compute(rows, cols, n_pairs, procs_lines, &l);
	assert_false(l.too_small);
	all[0] = &l.header;
	all[1] = &l.memory;
	all[2] = &l.swap;
	all[3] = &l.pairs;
	all[4] = &l.procs;
	all[5] = &l.alerts;
	all[6] = &l.footer;
	for (int i = 0; i < 7; i++) {
		check_inside(all[i], rows, cols);
		for (int j = i + 1; j < 7; j++)
			assert_false(overlap(all[i], all[j]));
	}
	assert_int_equal(l.header.y, 0);
	assert_int_equal(l.footer.y, rows - 1);
	/* Memory: title, three lines, the graph. */
	assert_true(l.memory.h >= 1 + LAYOUT_MEM_LINES + l.graph_rows);
	assert_true(l.graph_rows >= 1);
	/* Pairs: title and at least one pair; Processes: title, heading and
	 * two processes; Alerts: title and two alerts. */
	assert_true(l.pairs.h >= 2);
	assert_true(l.procs.h >= 4);
	assert_true(l.alerts.h >= 3);
}

static void test_every_size_from_the_minimum_up(void **state)
{
	(void)state;
	for (int rows = LAYOUT_MIN_ROWS; rows <= 80; rows++)
		for (int cols = LAYOUT_MIN_COLS; cols <= 260; cols += 7)
			for (int n = 0; n <= 40; n += 3)
				for (int procs = 0; procs <= 60; procs += 13)
					check_layout(rows, cols, n, procs);
}

static void test_80x24_gives_each_pane_useful_room(void **state)
{
	struct layout l;

	(void)state;
	layout_compute(24, 80, 27, 4, &l);
	assert_false(l.wide);
	assert_int_equal(l.memory.w + 1 + l.swap.w, 80);
	/* A two-process tree (next line, heading, two rows) keeps its rows;
	 * the pairs take the rest: title, heading, six pairs. */
	assert_int_equal(l.procs.h, 5);
	assert_int_equal(l.pairs.h, 8);
	assert_true(l.alerts.h >= 4);
	/* A big tree and a long plan share the room. */
	layout_compute(24, 80, 27, 40, &l);
	assert_true(l.pairs.h >= 6);
	assert_true(l.procs.h >= 6);
}

static void test_space_goes_to_what_has_more_to_show(void **state)
{
	struct layout small, big;

	(void)state;
	layout_compute(24, 80, 12, 4, &small);
	layout_compute(50, 200, 12, 4, &big);
	assert_true(big.wide);
	/* Every one of 12 pairs fits with its title and heading. */
	assert_int_equal(big.pairs.h, 14);
	assert_true(big.graph_rows > small.graph_rows);
	assert_true(big.procs.h > small.procs.h);
	/* Side by side: Processes and Alerts share rows; Alerts gets the
	 * columns Processes' table does not use, for whole alert lines. */
	assert_int_equal(big.procs.y, big.alerts.y);
	assert_true(big.alerts.w >= 89);
	/* A plan of two pairs does not waste rows on empty pair lines. */
	layout_compute(24, 80, 2, 4, &small);
	assert_int_equal(small.pairs.h, 4);
	/* Six pairs and a two-process tree at 80x24: all six pairs show
	 * (the issue: four did, beside blank Processes rows). */
	layout_compute(24, 80, 6, 4, &small);
	assert_int_equal(small.pairs.h, 8);
}

static void test_too_small_terminals_are_said_so(void **state)
{
	struct layout l;

	(void)state;
	layout_compute(LAYOUT_MIN_ROWS - 1, 80, 3, 4, &l);
	assert_true(l.too_small);
	layout_compute(24, LAYOUT_MIN_COLS - 1, 3, 4, &l);
	assert_true(l.too_small);
	layout_compute(0, 0, 0, 0, &l);
	assert_true(l.too_small);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_size_from_the_minimum_up),
		cmocka_unit_test(test_80x24_gives_each_pane_useful_room),
		cmocka_unit_test(test_space_goes_to_what_has_more_to_show),
		cmocka_unit_test(test_too_small_terminals_are_said_so),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
