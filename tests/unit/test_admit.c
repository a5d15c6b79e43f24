/* Several pairs at once (core/admit.c, core/schedule.c): which pending pairs
 * start, what each running pair may hold, who is stopped when they would pass
 * the budget, and the schedule check prints. Tables of situations an operator
 * would recognise, then properties over many generated ones: never worse than
 * one pair at a time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../../core/admit.h"
#include "../../core/schedule.h"

#define G (1024ull * 1024ull * 1024ull)
#define NONE UINT64_MAX

enum { MAXP = 8 };

struct admit_case {
	const char *what;
	int jobs;
	uint64_t budget;
	uint64_t margin;
	uint64_t mem_available, min_available;
	bool gate_auto, swap_bad;
	int n_running;
	struct admit_running running[MAXP];
	int n_pending;
	uint64_t pending[MAXP];
	const char
		*want; /* one letter per pending pair: S start, s slot, b budget, g gate, o order */
};

/* clang-format off */
static const struct admit_case admit_cases[] = {
	/* what, jobs, budget, margin, MemAvailable, min_available, gate auto, swap bad,
	 * running {predicted, held}, pending predictions, verdicts */
	{ "jobs 1, nothing runs: the first pair starts, the rest wait for the slot",
	  1, 20 * G, 0, 64 * G, 0, false, false, 0,
	  { { 0 } }, 3, { 5 * G, 5 * G, 5 * G }, "Sss" },
	{ "jobs 1, one runs: nothing starts",
	  1, 20 * G, 0, 64 * G, 0, false, false, 1,
	  { { 1 * G, 1 * G } }, 2, { 1 * G, 1 * G }, "ss" },
	{ "jobs 1: a pair bigger than the budget runs alone, as it always did",
	  1, 20 * G, 0, 64 * G, 0, false, false, 0,
	  { { 0 } }, 1, { 50 * G }, "S" },
	{ "auto: as many as the budget holds, in file order",
	  0, 20 * G, 0, 64 * G, 0, false, false, 0,
	  { { 0 } }, 4, { 8 * G, 8 * G, 4 * G, 1 * G }, "SSSb" },
	{ "the man page's example: c and d backfill past b",
	  0, 20 * G, 0, 64 * G, 0, false, false, 0,
	  { { 0 } }, 4, { 12 * G, 10 * G, 6 * G, 2 * G }, "SbSS" },
	{ "jobs 2 caps the count even when the budget holds more",
	  2, 20 * G, 0, 64 * G, 0, false, false, 0,
	  { { 0 } }, 3, { 1 * G, 1 * G, 1 * G }, "SSs" },
	{ "a running pair counts for its prediction before it reaches it",
	  0, 20 * G, 0, 64 * G, 0, false, false, 1,
	  { { 15 * G, 1 * G } }, 2, { 6 * G, 5 * G }, "bS" },
	{ "a running pair past its prediction counts for what it holds",
	  0, 20 * G, 0, 64 * G, 0, false, false, 1,
	  { { 5 * G, 16 * G } }, 2, { 5 * G, 4 * G }, "bS" },
	{ "nothing fits beside a pair over the budget",
	  0, 20 * G, 0, 64 * G, 0, false, false, 1,
	  { { 30 * G, 2 * G } }, 1, { 1 }, "b" },
	{ "exactly the budget fits",
	  0, 20 * G, 0, 64 * G, 0, false, false, 1,
	  { { 10 * G, 0 } }, 1, { 10 * G }, "S" },
	{ "gate: MemAvailable short of the need stops the pair and all after it",
	  1, 20 * G, 0, 10 * G, 12 * G, false, false, 0,
	  { { 0 } }, 2, { 1 * G, 1 * G }, "go" },
	{ "gate: swap in use closes it",
	  0, 20 * G, 0, 64 * G, 0, false, true, 0,
	  { { 0 } }, 2, { 1 * G, 1 * G }, "go" },
	{ "gate auto: the pair's own prediction must fit in MemAvailable",
	  0, 40 * G, 0, 10 * G, 0, true, false, 0,
	  { { 0 } }, 2, { 8 * G, 3 * G }, "Sg" },
	{ "gate: what running pairs will still take is not available",
	  0, 40 * G, 0, 20 * G, 0, true, false, 1,
	  { { 16 * G, 4 * G } }, 2, { 9 * G, 8 * G }, "go" },
	{ "gate: a pair waiting for the budget does not hold back a later one",
	  0, 20 * G, 0, 64 * G, 4 * G, false, false, 1,
	  { { 15 * G, 15 * G } }, 2, { 10 * G, 2 * G }, "bS" },
	{ "a running pair past its prediction may grow: the margin stays free",
	  0, 20 * G, 1 * G, 64 * G, 0, false, false, 1,
	  { { 5 * G, 6 * G } }, 2, { 14 * G, 12 * G }, "bS" },
	{ "every pair leaves room for its cap's noise, an eighth of the margin",
	  0, 20 * G, 1 * G, 64 * G, 0, false, false, 1,
	  { { 10 * G, 0 } }, 2, { 10 * G, 39 * G / 4 }, "bS" },
	{ "no running pair past its prediction: no margin needed",
	  0, 20 * G, 1 * G, 64 * G, 0, false, false, 1,
	  { { 6 * G, 5 * G } }, 1, { 55 * G / 4 }, "S" },
};
/* clang-format on */

static char admit_letter(enum admit_verdict v)
{
	switch (v) {
	case ADMIT_START:
		return 'S';
	case ADMIT_WAIT_SLOT:
		return 's';
	case ADMIT_WAIT_BUDGET:
		return 'b';
	case ADMIT_WAIT_GATE:
		return 'g';
	case ADMIT_WAIT_ORDER:
		return 'o';
	}
	return '?';
}

static void test_admission_table(void **state)
{
	(void)state;
	for (size_t c = 0; c < sizeof(admit_cases) / sizeof(admit_cases[0]); c++) {
		const struct admit_case *k = &admit_cases[c];
		struct admit_config cfg = {
			.jobs = k->jobs,
			.budget_bytes = k->budget,
			.margin_bytes = k->margin,
			.swap_ok = !k->swap_bad,
			.mem_available_bytes = k->mem_available,
			.min_available_bytes = k->min_available,
			.gate_auto = k->gate_auto,
		};
		enum admit_verdict out[MAXP];
		char got[MAXP + 1] = "";
		int starts =
			admit_decide(&cfg, k->running, k->n_running, k->pending, k->n_pending, out);
		int want_starts = 0;

		for (int i = 0; i < k->n_pending; i++) {
			got[i] = admit_letter(out[i]);
			want_starts += k->want[i] == 'S';
		}
		if (strcmp(got, k->want) != 0 || starts != want_starts)
			fail_msg("%s: got %s (%d starts), want %s", k->what, got, starts, k->want);
	}
}

static void test_verdict_names(void **state)
{
	(void)state;
	assert_string_equal(admit_verdict_name(ADMIT_START), "start");
	assert_string_equal(admit_verdict_name(ADMIT_WAIT_BUDGET), "budget");
	assert_string_equal(admit_verdict_name(ADMIT_WAIT_ORDER), "order");
}

struct contain_case {
	const char *what;
	uint64_t budget, margin;
	int n;
	struct contain_pair pairs[MAXP]; /* oldest first */
	const char *stops;               /* per pair: x stopped, . kept */
	uint64_t caps[MAXP];             /* NONE: its memory_max (not budget-capped) */
};

/* clang-format off */
static const struct contain_case contain_cases[] = {
	/* what, budget, margin, n, pairs {predicted, held, memory_max, stopping, verifying}
	 * oldest first, x stopped, caps */
	{ "alone: never stopped, its own memory_max whatever it holds",
	  20 * G, 1 * G, 1,
	  { { 5 * G, 30 * G, 40 * G, false, false } },
	  ".",
	  { NONE } },
	{ "within their predictions: nobody stopped, room shared evenly",
	  20 * G, 1 * G, 2,
	  { { 8 * G, 7 * G, 40 * G, false, false }, { 6 * G, 6 * G, 40 * G, false, false } },
	  "..",
	  { 11 * G, 9 * G } },
	{ "filled to the budget exactly, nobody outgrown: nobody stopped",
	  20 * G, 1 * G, 2,
	  { { 12 * G, 12 * G, 40 * G, false, false }, { 8 * G, 8 * G, 40 * G, false, false } },
	  "..",
	  { 12 * G, 8 * G } },
	/* Every kept pair gets an eighth of the margin first (noise the
	 * kernel charges beyond RSS), the rest goes to the outgrown. */
	{ "one outgrew, still room: the room goes to it",
	  20 * G, 1 * G, 3,
	  { { 6 * G, 8 * G, 40 * G, false, false },
	    { 4 * G, 3 * G, 40 * G, false, false },
	    { 2 * G, 1 * G, 40 * G, false, false } },
	  "...",
	  { 55 * G / 4, 33 * G / 8, 17 * G / 8 } },
	{ "the oldest outgrew into the margin: the youngest is stopped",
	  20 * G, 1 * G, 3,
	  { { 12 * G, 12 * G, 40 * G, false, false },
	    { 6 * G, 7 * G, 40 * G, false, false },
	    { 1 * G, 1 * G, 40 * G, false, false } },
	  "..x",
	  /* 12 + 7 kept, 1 held by the stopping one: no room left */
	  { 12 * G, 7 * G, NONE } },
	{ "the youngest outgrew: it is the one stopped",
	  20 * G, 1 * G, 2,
	  { { 10 * G, 9 * G, 40 * G, false, false }, { 6 * G, 10 * G, 40 * G, false, false } },
	  ".x",
	  { 10 * G, NONE } },
	{ "stops as many of the youngest as it takes, and no more",
	  20 * G, 1 * G, 4,
	  { { 10 * G, 16 * G, 40 * G, false, false },
	    { 2 * G, 2 * G, 40 * G, false, false },
	    { 2 * G, 1 * G, 40 * G, false, false },
	    { 1 * G, 1 * G, 40 * G, false, false } },
	  "..xx",
	  { 16 * G, 2 * G, NONE, NONE } },
	{ "the oldest is never stopped, even over the budget: it is alone then",
	  20 * G, 1 * G, 2,
	  { { 10 * G, 25 * G, 40 * G, false, false }, { 5 * G, 1 * G, 40 * G, false, false } },
	  ".x",
	  { 25 * G, NONE } },
	{ "a pair already stopping is not chosen again and counts what it holds",
	  20 * G, 1 * G, 3,
	  { { 10 * G, 11 * G, 40 * G, false, false },
	    { 4 * G, 4 * G, 40 * G, false, false },
	    { 8 * G, 3 * G, 40 * G, true, false } },
	  "...",
	  { 103 * G / 8, 33 * G / 8, NONE } },
	{ "a verify counts what it holds, is never stopped, and is left room",
	  20 * G, 1 * G, 3,
	  { { 2 * G, 6 * G, 40 * G, false, true },
	    { 6 * G, 6 * G, 40 * G, false, false },
	    { 6 * G, 5 * G, 40 * G, false, false } },
	  "...",
	  /* 6 held by the verify + 6 + 6 counted: 2 of room, shared evenly */
	  { NONE, 7 * G, 7 * G } },
	{ "a verify is not stopped when the pairs outgrow the budget",
	  10 * G, 1 * G, 3,
	  { { 2 * G, 4 * G, 40 * G, false, true },
	    { 3 * G, 5 * G, 40 * G, false, false },
	    { 2 * G, 2 * G, 40 * G, false, false } },
	  "..x",
	  /* the youngest stopped; 4 + 5 + 2 held is past the budget: no room */
	  { NONE, 5 * G, NONE } },
	{ "a cap never passes memory_max",
	  20 * G, 1 * G, 2,
	  { { 4 * G, 4 * G, 6 * G, false, false }, { 4 * G, 4 * G, 40 * G, false, false } },
	  "..",
	  { NONE, 10 * G } },
	{ "no kernel cap (memory_max none): capped by the budget only",
	  20 * G, 0, 2,
	  { { 4 * G, 4 * G, NONE, false, false }, { 4 * G, 4 * G, NONE, false, false } },
	  "..",
	  { 10 * G, 10 * G } },
};
/* clang-format on */

static void test_containment_table(void **state)
{
	(void)state;
	for (size_t c = 0; c < sizeof(contain_cases) / sizeof(contain_cases[0]); c++) {
		const struct contain_case *k = &contain_cases[c];
		struct contain_verdict out[MAXP];
		int stops = contain_decide(k->budget, k->margin, k->pairs, k->n, out), want = 0;

		for (int i = 0; i < k->n; i++) {
			bool stop = k->stops[i] == 'x';
			uint64_t cap =
				k->caps[i] == NONE ? k->pairs[i].memory_max_bytes : k->caps[i];

			want += stop;
			if (out[i].stop != stop)
				fail_msg("%s: pair %d stop %d, want %d", k->what, i, out[i].stop,
				         stop);
			bool fixed = k->pairs[i].stopping || k->pairs[i].verifying;

			if (!stop && !fixed && out[i].cap_bytes != cap)
				fail_msg("%s: pair %d cap %.2fG, want %.2fG", k->what, i,
				         (double)out[i].cap_bytes / (double)G,
				         (double)cap / (double)G);
			if (!stop && !fixed &&
			    out[i].capped_by_budget != (cap < k->pairs[i].memory_max_bytes))
				fail_msg("%s: pair %d capped_by_budget %d", k->what, i,
				         out[i].capped_by_budget);
		}
		if (stops != want)
			fail_msg("%s: %d stops, want %d", k->what, stops, want);
	}
}

/* A small deterministic generator: the same cases every run. */
static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static uint64_t rng_below(uint64_t *s, uint64_t n)
{
	return n ? rng_next(s) % n : 0;
}

static uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

/* Never worse than one pair at a time, over many situations: a pair alone
 * is never stopped and keeps its memory_max; the oldest is never stopped;
 * those stopped are the youngest; nobody is capped below what it holds or
 * was promised; and when what was admitted fits, the caps and what the
 * stopping pairs hold stay within the budget. */
static void test_containment_never_worse_than_one_at_a_time(void **state)
{
	uint64_t seed = 0x9e3779b97f4a7c15ull;

	(void)state;
	for (int round = 0; round < 20000; round++) {
		struct contain_pair pairs[MAXP];
		struct contain_verdict out[MAXP];
		int n = 1 + (int)rng_below(&seed, MAXP);
		uint64_t budget = (1 + rng_below(&seed, 64)) * G;
		uint64_t margin = rng_below(&seed, 2 * G);
		int alive = 0;

		for (int i = 0; i < n; i++) {
			uint64_t p = rng_below(&seed, budget / 2 + 1);
			uint64_t grow = rng_below(&seed, 4) == 0 ? rng_below(&seed, budget) : 0;

			pairs[i] = (struct contain_pair){
				.predicted_bytes = p,
				.held_bytes = rng_below(&seed, p + 1) + grow,
				.memory_max_bytes =
					rng_below(&seed, 5) == 0
						? NONE
						: budget / 2 + rng_below(&seed, 2 * budget),
			};
			uint64_t kind = rng_below(&seed, 12);

			pairs[i].stopping = kind == 0;
			pairs[i].verifying = kind == 1;
			alive += kind > 1;
		}
		int stops = contain_decide(budget, margin, pairs, n, out);
		int first_kept = -1, seen_stop = 0, kept = 0;
		uint64_t sum = 0, kept_reserved = 0, stopping_held = 0;

		for (int i = 0; i < n; i++) {
			if (pairs[i].stopping || pairs[i].verifying) {
				/* never chosen; a verify counts as a running pair */
				uint64_t r = pairs[i].verifying ? max_u64(pairs[i].predicted_bytes,
				                                          pairs[i].held_bytes)
				                                : pairs[i].held_bytes;

				assert_false(out[i].stop);
				stopping_held += r;
				sum += r;
				continue;
			}
			if (first_kept < 0)
				first_kept = i;
			if (out[i].stop) {
				seen_stop++;
				stopping_held += pairs[i].held_bytes;
				sum += pairs[i].held_bytes;
				continue;
			}
			/* the stopped are the youngest: none kept after one stopped */
			assert_int_equal(seen_stop, 0);
			kept++;
			uint64_t r = max_u64(pairs[i].predicted_bytes, pairs[i].held_bytes);

			kept_reserved += r;
			assert_true(out[i].cap_bytes <= pairs[i].memory_max_bytes);
			assert_true(out[i].cap_bytes >= r ||
			            out[i].cap_bytes == pairs[i].memory_max_bytes);
			assert_true(out[i].capped_by_budget ==
			            (out[i].cap_bytes < pairs[i].memory_max_bytes));
			sum += out[i].cap_bytes;
		}
		assert_int_equal(stops, seen_stop);
		if (first_kept >= 0)
			assert_false(out[first_kept].stop); /* the oldest stays */
		if (alive == 1 && stops == 0 && stopping_held == 0) {
			/* alone: exactly as with jobs = 1 */
			assert_int_equal(out[first_kept].cap_bytes,
			                 pairs[first_kept].memory_max_bytes);
			assert_false(out[first_kept].capped_by_budget);
		}
		if ((kept > 1 || (kept == 1 && stopping_held > 0)) &&
		    kept_reserved + stopping_held <= budget)
			assert_true(sum <= budget);
	}
}

/* Admission over generated situations: the pairs started fit in the budget
 * beside the running ones (unless nothing else runs), never more than jobs
 * run, and with nothing running at least one pair starts when the gate is
 * open, as with one pair at a time. */
static void test_admission_properties(void **state)
{
	uint64_t seed = 0x2545f4914f6cdd1dull;

	(void)state;
	for (int round = 0; round < 20000; round++) {
		struct admit_running running[MAXP];
		uint64_t pending[MAXP];
		enum admit_verdict out[MAXP];
		int n_run = (int)rng_below(&seed, 4), n_pend = 1 + (int)rng_below(&seed, MAXP - 1);
		uint64_t budget = (1 + rng_below(&seed, 64)) * G, sum = 0;
		struct admit_config cfg = {
			.jobs = (int)rng_below(&seed, 5),
			.budget_bytes = budget,
			.swap_ok = true,
			.mem_available_bytes = NONE / 4,
		};

		for (int i = 0; i < n_run; i++) {
			running[i].predicted_bytes = rng_below(&seed, budget);
			running[i].held_bytes = rng_below(&seed, budget);
			sum += admit_counted(&running[i]);
		}
		for (int i = 0; i < n_pend; i++)
			pending[i] = rng_below(&seed, budget + budget / 2);
		int starts = admit_decide(&cfg, running, n_run, pending, n_pend, out), counted = 0;
		uint64_t added = 0;

		for (int i = 0; i < n_pend; i++) {
			if (out[i] != ADMIT_START)
				continue;
			counted++;
			added += pending[i];
		}
		assert_int_equal(starts, counted);
		if (cfg.jobs > 0)
			assert_true(n_run + starts <= cfg.jobs || starts == 0);
		if (n_run == 0 && cfg.jobs != 0)
			assert_true(starts >= 1);
		if (n_run == 0)
			assert_int_equal(out[0], ADMIT_START);
		/* what started fits, unless it started alone */
		if (!(n_run == 0 && starts == 1))
			assert_true(sum + added <= budget || starts == 0);
		/* jobs = 1 is one at a time */
		if (cfg.jobs == 1)
			assert_true(starts == (n_run == 0 ? 1 : 0));
	}
}

static void test_schedule(void **state)
{
	/* Four pairs of an hour: two of 12G and two of 8G under 20G. */
	struct schedule_pair pairs[] = {
		{ 12 * G, 3600 }, { 12 * G, 3600 }, { 8 * G, 3600 }, { 8 * G, 3600 }
	};
	struct schedule_result r;
	double start[4];

	(void)state;
	assert_int_equal(schedule_simulate(pairs, 4, 0, 20 * G, start, &r), 0);
	/* a with c, then b with d: half the time */
	assert_true(r.serial_s == 4 * 3600);
	assert_true(r.makespan_s == 2 * 3600);
	assert_int_equal(r.most_at_once, 2);
	assert_true(start[0] == 0 && start[2] == 0 && start[1] == 3600 && start[3] == 3600);
	assert_true(r.lower_bound_s == 4 * 3600.0 * 10 / 20);

	/* jobs = 1: one after another in file order */
	assert_int_equal(schedule_simulate(pairs, 4, 1, 20 * G, start, &r), 0);
	assert_true(r.makespan_s == r.serial_s);
	assert_true(start[1] == 3600 && start[2] == 7200 && start[3] == 10800);
	assert_int_equal(r.most_at_once, 1);

	/* a pair over the budget runs alone, and the rest around it */
	struct schedule_pair big[] = { { 30 * G, 100 }, { 1 * G, 10 }, { 1 * G, 10 } };

	assert_int_equal(schedule_simulate(big, 3, 0, 20 * G, start, &r), 0);
	assert_true(start[0] == 0 && start[1] == 100 && start[2] == 100);
	assert_true(r.makespan_s == 110);

	/* nothing to run */
	assert_int_equal(schedule_simulate(NULL, 0, 0, 20 * G, NULL, &r), 0);
	assert_true(r.makespan_s == 0 && r.serial_s == 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_admission_table),
		cmocka_unit_test(test_verdict_names),
		cmocka_unit_test(test_containment_table),
		cmocka_unit_test(test_containment_never_worse_than_one_at_a_time),
		cmocka_unit_test(test_admission_properties),
		cmocka_unit_test(test_schedule),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
