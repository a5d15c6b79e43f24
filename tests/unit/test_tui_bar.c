/* Bars and history graphs as the Memory, Swap and Pairs panes draw them. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../tui/bar.h"

#define FULL "\xe2\x96\x88"
#define HALF "\xe2\x96\x8c"
#define SHADE "\xe2\x96\x91"

static int count(const char *s, const char *glyph)
{
	int n = 0;

	for (const char *p = s; (p = strstr(p, glyph)) != NULL; p += strlen(glyph))
		n++;
	return n;
}

static void test_bar_fills_its_share(void **state)
{
	char fill[256], empty[256];

	(void)state;
	assert_int_equal(bar_render(0.5, 10, false, fill, sizeof fill, empty, sizeof empty), 5);
	assert_string_equal(fill, "#####");
	assert_string_equal(empty, ".....");
	assert_int_equal(bar_render(1.0, 4, false, fill, sizeof fill, empty, sizeof empty), 4);
	assert_string_equal(fill, "####");
	assert_string_equal(empty, "");
	assert_int_equal(bar_render(0, 4, false, fill, sizeof fill, empty, sizeof empty), 0);
	assert_string_equal(fill, "");
	assert_string_equal(empty, "....");
}

static void test_bar_clamps_and_shows_small_shares(void **state)
{
	char fill[256], empty[256];

	(void)state;
	assert_int_equal(bar_render(7.0, 3, false, fill, sizeof fill, empty, sizeof empty), 3);
	assert_int_equal(bar_render(-1.0, 3, false, fill, sizeof fill, empty, sizeof empty), 0);
	assert_int_equal(bar_render(NAN, 3, true, fill, sizeof fill, empty, sizeof empty), 0);
	/* 0.1% of a 10-cell bar is not "nothing". */
	assert_int_equal(bar_render(0.001, 10, false, fill, sizeof fill, empty, sizeof empty), 1);
	assert_int_equal(bar_render(0.001, 10, true, fill, sizeof fill, empty, sizeof empty), 1);
}

static void test_bar_utf8_uses_eighths(void **state)
{
	char fill[256], empty[256];

	(void)state;
	/* 0.25 of 10 cells: two full cells and a half. */
	assert_int_equal(bar_render(0.25, 10, true, fill, sizeof fill, empty, sizeof empty), 3);
	assert_string_equal(fill, FULL FULL HALF);
	assert_int_equal(count(empty, SHADE), 7);
}

static void test_bar_never_overflows_its_buffers(void **state)
{
	char fill[8], empty[8];

	(void)state;
	bar_render(0.5, 100, true, fill, sizeof fill, empty, sizeof empty);
	assert_true(strlen(fill) < sizeof fill);
	assert_true(strlen(empty) < sizeof empty);
	assert_int_equal(count(fill, FULL), 2);
}

static void test_spark_shows_newest_values_right_aligned(void **state)
{
	uint64_t ring[8] = { 0 };
	char out[64];

	(void)state;
	ring[0] = 100;
	ring[1] = 50;
	ring[2] = 0;
	assert_int_equal(spark_render(ring, 3, 0, 8, 100, 5, 0, 1, false, out, sizeof out), 5);
	/* Two blanks, then full, half, empty. */
	assert_string_equal(out, "  #~ ");
}

static void test_spark_reads_the_ring_oldest_first(void **state)
{
	/* Capacity 4, oldest at index 2: order is 30, 40, 10, 20. */
	uint64_t ring[4] = { 10, 20, 30, 40 };
	char out[64];

	(void)state;
	spark_render(ring, 4, 2, 4, 40, 4, 0, 1, false, out, sizeof out);
	assert_string_equal(out, "+#_~");
	/* A narrower graph shows only the newest. */
	spark_render(ring, 4, 2, 4, 40, 2, 0, 1, false, out, sizeof out);
	assert_string_equal(out, "_~");
}

/* The model's ring is written at history_head, the next slot: with three
 * samples in a ring of eight, the graph shows those three, not the five
 * empty slots after them (the Memory graph was blank for four minutes). */
static void test_spark_partly_filled_ring_shows_the_samples(void **state)
{
	uint64_t ring[8] = { 50, 100, 100, 0, 0, 0, 0, 0 };
	char out[64];

	(void)state;
	assert_int_equal(spark_oldest(3, 3, 8), 0);
	assert_int_equal(spark_oldest(2, 8, 8), 2);
	assert_int_equal(spark_oldest(0, 8, 8), 0);
	spark_render(ring, 3, spark_oldest(3, 3, 8), 8, 100, 4, 0, 1, false, out, sizeof out);
	assert_string_equal(out, " ~##");
}

static void test_spark_rows_stack(void **state)
{
	uint64_t ring[2] = { 100, 25 };
	char top[64], bottom[64];

	(void)state;
	/* Two rows: 100% fills both; 25% is half the bottom row. */
	spark_render(ring, 2, 0, 2, 100, 2, 0, 2, false, top, sizeof top);
	spark_render(ring, 2, 0, 2, 100, 2, 1, 2, false, bottom, sizeof bottom);
	assert_string_equal(top, "# ");
	assert_string_equal(bottom, "#~");
	spark_render(ring, 2, 0, 2, 100, 2, 1, 2, true, bottom, sizeof bottom);
	assert_string_equal(bottom, FULL "\xe2\x96\x84");
}

static void test_spark_tiny_and_zero_values(void **state)
{
	uint64_t ring[3] = { 0, 1, 1000 };
	char out[64];

	(void)state;
	spark_render(ring, 3, 0, 3, 1000000, 3, 0, 1, false, out, sizeof out);
	/* Non-zero shows its lowest level, zero shows nothing. */
	assert_string_equal(out, " ..");
	spark_render(ring, 3, 0, 3, 0, 3, 0, 1, false, out, sizeof out);
	assert_string_equal(out, "   ");
	assert_int_equal(spark_render(ring, 3, 0, 3, 10, 3, 5, 1, false, out, sizeof out), 0);
	assert_string_equal(out, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bar_fills_its_share),
		cmocka_unit_test(test_bar_clamps_and_shows_small_shares),
		cmocka_unit_test(test_bar_utf8_uses_eighths),
		cmocka_unit_test(test_bar_never_overflows_its_buffers),
		cmocka_unit_test(test_spark_shows_newest_values_right_aligned),
		cmocka_unit_test(test_spark_reads_the_ring_oldest_first),
		cmocka_unit_test(test_spark_partly_filled_ring_shows_the_samples),
		cmocka_unit_test(test_spark_rows_stack),
		cmocka_unit_test(test_spark_tiny_and_zero_values),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
