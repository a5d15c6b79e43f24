/* Sizes and durations as users write them: every accepted form, every
 * refusal, and formatting that reads back to the same value. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../../lib/units.h"

#include "helpers.h"

static const struct {
	const char *text;
	int kind;
	uint64_t bytes;
	double percent;
} good_sizes[] = {
	{ "0", SIZE_BYTES, 0, 0 },
	{ "4096B", SIZE_BYTES, 4096, 0 },
	{ "18446744073709551615B", SIZE_BYTES, UINT64_MAX, 0 },
	{ "0.0", SIZE_BYTES, 0, 0 },
	{ "100K", SIZE_BYTES, 100 * KiB, 0 },
	{ "100k", SIZE_BYTES, 100 * KiB, 0 },
	{ "512M", SIZE_BYTES, 512 * MiB, 0 },
	{ "50G", SIZE_BYTES, 50 * GiB, 0 },
	{ "2T", SIZE_BYTES, 2 * TiB, 0 },
	{ "1.5GiB", SIZE_BYTES, 1536 * MiB, 0 },
	{ "1.5gib", SIZE_BYTES, 1536 * MiB, 0 },
	{ "20GB", SIZE_BYTES, 20 * GiB, 0 },
	{ "7B", SIZE_BYTES, 7, 0 },
	{ "9.3 GiB", SIZE_BYTES, 9985798963ULL, 0 }, /* as units_format_size writes */
	{ "0.5K", SIZE_BYTES, 512, 0 },
	{ "  64M  ", SIZE_BYTES, 64 * MiB, 0 },
	{ "16777215T", SIZE_BYTES, 16777215ULL * TiB, 0 },
	{ "90%", SIZE_PERCENT, 0, 90 },
	{ "12.5%", SIZE_PERCENT, 0, 12.5 },
	{ "0%", SIZE_PERCENT, 0, 0 },
	{ "100%", SIZE_PERCENT, 0, 100 },
	{ "50 %", SIZE_PERCENT, 0, 50 },
	{ "unlimited", SIZE_UNLIMITED, 0, 0 },
	{ "max", SIZE_UNLIMITED, 0, 0 },
	{ "infinity", SIZE_UNLIMITED, 0, 0 },
	{ "Unlimited", SIZE_UNLIMITED, 0, 0 },
	{ "auto", SIZE_AUTO, 0, 0 },
};

/* A bare number other than 0: -EDOM, so the plan can ask "did you mean
 * 50G?". */
static const char *const unitless_sizes[] = { "50", "4096", "0.5", " 5 " };

static const char *const bad_sizes[] = {
	"",
	"   ",
	"-1",
	"+1",
	"5X",
	"1e3",
	"G",
	"1.2.3",
	"101%",
	"100.5%",
	"-5%",
	"1.",
	".5G",
	"50 G B",
	"5KK",
	"5Ki",
	"5P",
	"50G%",
	"%",
	"18446744073709551616B", /* 2^64 */
	"16777216T",             /* 2^64 bytes */
	"99999999999999999999999",
	"nan",
	"inf",
	"0x10",
	"1,5G",
	"unlimitedx",
	"five",
};

static void test_size_accepts_every_form(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof good_sizes / sizeof good_sizes[0]; i++) {
		struct size_spec s;

		if (units_parse_size(good_sizes[i].text, &s) != 0)
			fail_msg("'%s' was refused", good_sizes[i].text);
		assert_int_equal(s.kind, good_sizes[i].kind);
		if (s.kind == SIZE_BYTES && s.bytes != good_sizes[i].bytes)
			fail_msg("'%s' gave %llu bytes, expected %llu", good_sizes[i].text,
			         (unsigned long long)s.bytes,
			         (unsigned long long)good_sizes[i].bytes);
		if (s.kind == SIZE_PERCENT)
			assert_true(s.percent == good_sizes[i].percent);
	}
}

static void test_size_refuses_malformed(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof bad_sizes / sizeof bad_sizes[0]; i++) {
		struct size_spec s = { .kind = SIZE_AUTO, .bytes = 42 };

		if (units_parse_size(bad_sizes[i], &s) != -EINVAL)
			fail_msg("'%s' was accepted", bad_sizes[i]);
	}
	assert_int_equal(units_parse_size(NULL, &(struct size_spec){ 0 }), -EINVAL);
	for (size_t i = 0; i < sizeof unitless_sizes / sizeof unitless_sizes[0]; i++)
		if (units_parse_size(unitless_sizes[i], &(struct size_spec){ 0 }) != -EDOM)
			fail_msg("'%s' was not refused as unitless", unitless_sizes[i]);
}

static void test_size_resolve(void **state)
{
	struct size_spec s;

	(void)state;
	assert_int_equal(units_parse_size("90%", &s), 0);
	assert_true(units_size_resolve(&s, 24 * GiB) == (uint64_t)(24 * GiB * 0.9));
	assert_int_equal(units_parse_size("12.5%", &s), 0);
	assert_true(units_size_resolve(&s, 8 * GiB) == 1 * GiB);
	assert_int_equal(units_parse_size("50G", &s), 0);
	assert_true(units_size_resolve(&s, 8 * GiB) == 50 * GiB);
	assert_int_equal(units_parse_size("unlimited", &s), 0);
	assert_true(units_size_resolve(&s, 8 * GiB) == UINT64_MAX);
	assert_int_equal(units_parse_size("auto", &s), 0);
	assert_true(units_size_resolve(&s, 8 * GiB) == UINT64_MAX);
	assert_int_equal(units_parse_size("100%", &s), 0);
	assert_true(units_size_resolve(&s, UINT64_MAX) == UINT64_MAX);
}

static const struct {
	const char *text;
	uint64_t ms;
} good_durations[] = {
	{ "0", 0 },         { "90", 90000 },     { "1s", 1000 },    { "250ms", 250 },
	{ "30m", 1800000 }, { "1.5h", 5400000 }, { "2h", 7200000 }, { "0.5s", 500 },
	{ " 10s ", 10000 }, { "10 s", 10000 },   { "1.5", 1500 },   { "0ms", 0 },
	{ "15m", 900000 },
};

static const char *const bad_durations[] = {
	"",
	" ",
	"-1s",
	"5d",
	"1s2",
	"ms",
	"s",
	"1.s",
	"1S",
	"1H",
	"1 min",
	"1sec",
	"1e3",
	"1h30m",
	"+5s",
	"10 ss",
	"99999999999999999999h",
	"6000000000000h",
	"abc",
	"1,5s",
};

static void test_duration_accepts_every_form(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof good_durations / sizeof good_durations[0]; i++) {
		uint64_t ms = 12345;

		if (units_parse_duration_ms(good_durations[i].text, &ms) != 0)
			fail_msg("'%s' was refused", good_durations[i].text);
		if (ms != good_durations[i].ms)
			fail_msg("'%s' gave %llu ms", good_durations[i].text,
			         (unsigned long long)ms);
	}
}

static void test_duration_refuses_malformed(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof bad_durations / sizeof bad_durations[0]; i++) {
		uint64_t ms;

		if (units_parse_duration_ms(bad_durations[i], &ms) != -EINVAL)
			fail_msg("'%s' was accepted", bad_durations[i]);
	}
}

static void test_number(void **state)
{
	double x;

	(void)state;
	assert_int_equal(units_parse_number("6", false, &x), 0);
	assert_true(x == 6);
	assert_int_equal(units_parse_number("2.5", false, &x), 0);
	assert_true(x == 2.5);
	assert_int_equal(units_parse_number("0.8", false, &x), 0);
	assert_true(x == 0.8);
	assert_int_equal(units_parse_number("80%", true, &x), 0);
	assert_true(x == 0.8);
	assert_int_equal(units_parse_number("12.5 %", true, &x), 0);
	assert_true(x == 0.125);

	assert_int_equal(units_parse_number("80%", false, &x), -EINVAL);
	assert_int_equal(units_parse_number("0", false, &x), -EINVAL);
	assert_int_equal(units_parse_number("0%", true, &x), -EINVAL);
	assert_int_equal(units_parse_number("-1", false, &x), -EINVAL);
	assert_int_equal(units_parse_number("", false, &x), -EINVAL);
	assert_int_equal(units_parse_number("6x", false, &x), -EINVAL);
	assert_int_equal(units_parse_number("1e3", false, &x), -EINVAL);
	assert_int_equal(units_parse_number("inf", false, &x), -EINVAL);
	assert_int_equal(units_parse_number("nan", false, &x), -EINVAL);
}

static void test_format_size(void **state)
{
	static const struct {
		uint64_t bytes;
		const char *text;
	} cases[] = {
		{ 0, "0 B" },
		{ 512, "512 B" },
		{ 1023, "1023 B" },
		{ 1024, "1.0 KiB" },
		{ 1536, "1.5 KiB" },
		{ 9986287616ULL, "9.3 GiB" },
		{ 56 * GiB, "56.0 GiB" },
		{ 1024 * MiB - 1, "1.0 GiB" },
		{ 3 * TiB, "3.0 TiB" },
		{ UINT64_MAX, "16.0 EiB" },
	};
	char buf[32];

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		assert_string_equal(units_format_size(cases[i].bytes, buf, sizeof buf),
		                    cases[i].text);
	/* A short buffer is cut, never overrun. */
	assert_string_equal(units_format_size(56 * GiB, buf, 4), "56.");
}

static void test_format_size_spec_reads_back(void **state)
{
	static const struct {
		const char *in;
		const char *out;
	} cases[] = {
		{ "50G", "50G" },
		{ "1.5G", "1536M" },
		{ "4096B", "4K" },
		{ "4097b", "4097B" },
		{ "0", "0" },
		{ "1T", "1T" },
		{ "1.3G", "1395864371B" },
		{ "90%", "90%" },
		{ "12.5%", "12.5%" },
		{ "max", "unlimited" },
		{ "auto", "auto" },
		{ "18446744073709551615B", "18446744073709551615B" },
	};
	char buf[48];

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct size_spec s, back;

		assert_int_equal(units_parse_size(cases[i].in, &s), 0);
		assert_string_equal(units_format_size_spec(&s, buf, sizeof buf), cases[i].out);
		assert_int_equal(units_parse_size(buf, &back), 0);
		assert_int_equal(back.kind, s.kind);
		assert_true(back.bytes == s.bytes);
		assert_true(back.percent == s.percent);
	}
}

static void test_format_duration_reads_back(void **state)
{
	static const struct {
		uint64_t ms;
		const char *text;
	} cases[] = {
		{ 0, "0" },          { 250, "250ms" },     { 1500, "1500ms" }, { 10000, "10s" },
		{ 90000, "90s" },    { 1800000, "30m" },   { 3600000, "1h" },  { 5400000, "90m" },
		{ 86400000, "24h" }, { 3601000, "3601s" },
	};
	char buf[32];

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		uint64_t back;

		assert_string_equal(units_format_duration(cases[i].ms, buf, sizeof buf),
		                    cases[i].text);
		assert_int_equal(units_parse_duration_ms(buf, &back), 0);
		assert_true(back == cases[i].ms);
	}
}

static void test_format_elapsed(void **state)
{
	static const struct {
		uint64_t ms;
		const char *text;
	} cases[] = {
		{ 0, "0s" },           { 999, "0s" },
		{ 42000, "42s" },      { 59999, "59s" },
		{ 60000, "1m00s" },    { 185000, "3m05s" },
		{ 3599000, "59m59s" }, { 3600000, "1h00m" },
		{ 8040000, "2h14m" },  { 360000000, "100h00m" },
	};
	char buf[32];

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		assert_string_equal(units_format_elapsed(cases[i].ms, buf, sizeof buf),
		                    cases[i].text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_size_accepts_every_form),
		cmocka_unit_test(test_size_refuses_malformed),
		cmocka_unit_test(test_size_resolve),
		cmocka_unit_test(test_duration_accepts_every_form),
		cmocka_unit_test(test_duration_refuses_malformed),
		cmocka_unit_test(test_number),
		cmocka_unit_test(test_format_size),
		cmocka_unit_test(test_format_size_spec_reads_back),
		cmocka_unit_test(test_format_duration_reads_back),
		cmocka_unit_test(test_format_elapsed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
