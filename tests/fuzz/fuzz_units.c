/* libFuzzer target: the parsers and formatters of runner/units.c.
 *
 * Every input is read as text by the three parsers. Two properties are
 * checked, not only the absence of crashes:
 *  - what a plan formatter writes (units_format_size_spec,
 *    units_format_duration) parses back to exactly the value it came from:
 *    `mergewatch check` prints plans with them and promises that;
 *  - the human size format ("9.3 GiB") parses back to within its rounding
 *    (half a tenth of its unit) whenever its unit is one the parser knows.
 * An input starting with the byte 0xff is instead read as raw values (a
 * uint64_t and a double) fed to the formatters directly, so values no text
 * would reach are covered too.
 *
 * FUZZ_SKIP_KNOWN=1 in the environment skips the findings already reported
 * (tests/fuzz/README.md, "Known findings"), so that a long run can look
 * past them; `make fuzz` does not set it. */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "units.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { RAW_MARK = 0xff };

static int skip_known = -1;

/* Known finding units-1: units_format_size_spec writes a percentage with at
 * most 17 decimals, so one that needs more (below 1e-17, or many digits)
 * reads back as another value. */
static bool known_percent_finding(const struct size_spec *s)
{
	char text[64];

	if (skip_known < 0) {
		const char *v = getenv("FUZZ_SKIP_KNOWN");
		skip_known = v != NULL && strcmp(v, "1") == 0;
	}
	if (!skip_known || s->kind != SIZE_PERCENT)
		return false;
	snprintf(text, sizeof text, "%.17f", s->percent);
	return strtod(text, NULL) != s->percent;
}

static void check_size_spec_round_trip(const struct size_spec *s)
{
	char text[64];
	struct size_spec back;

	if (known_percent_finding(s))
		return;
	units_format_size_spec(s, text, sizeof text);
	if (units_parse_size(text, &back) != 0) {
		fprintf(stderr, "size spec printed as '%s' does not parse\n", text);
		abort();
	}
	if (back.kind != s->kind || (s->kind == SIZE_BYTES && back.bytes != s->bytes) ||
	    (s->kind == SIZE_PERCENT && back.percent != s->percent)) {
		fprintf(stderr,
		        "size spec printed as '%s' reads back as another "
		        "value (bytes %llu -> %llu, percent %.17g -> %.17g)\n",
		        text, (unsigned long long)s->bytes, (unsigned long long)back.bytes,
		        s->percent, back.percent);
		abort();
	}
}

/* "512 B", "1.5 KiB": within 0.05 of the unit shown, plus rounding. */
static void check_human_size(uint64_t bytes)
{
	static const struct {
		const char *name;
		double unit;
	} known[] = {
		{ " B", 1.0 },
		{ " KiB", 1024.0 },
		{ " MiB", 1048576.0 },
		{ " GiB", 1073741824.0 },
		{ " TiB", 1099511627776.0 },
	};
	char text[64];
	struct size_spec back;
	double unit = 0, error;

	units_format_size(bytes, text, sizeof text);
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
		size_t n = strlen(text), k = strlen(known[i].name);
		if (n > k && strcmp(text + n - k, known[i].name) == 0)
			unit = known[i].unit;
	}
	if (unit == 0)
		return; /* PiB, EiB: for people only, no plan writes them */
	if (units_parse_size(text, &back) != 0 || back.kind != SIZE_BYTES) {
		fprintf(stderr, "'%s' (from %llu bytes) does not parse\n", text,
		        (unsigned long long)bytes);
		abort();
	}
	error = fabs((double)back.bytes - (double)bytes);
	if (error > 0.0501 * unit + 1) {
		fprintf(stderr, "'%s' reads back as %llu, %llu written\n", text,
		        (unsigned long long)back.bytes, (unsigned long long)bytes);
		abort();
	}
}

static void check_duration_round_trip(uint64_t ms)
{
	char text[64], elapsed[32];
	uint64_t back;

	units_format_duration(ms, text, sizeof text);
	if (units_parse_duration_ms(text, &back) != 0 || back != ms) {
		fprintf(stderr,
		        "duration %llu ms printed as '%s' does not read "
		        "back\n",
		        (unsigned long long)ms, text);
		abort();
	}
	units_format_elapsed(ms, elapsed, sizeof elapsed);
}

/* Blanks around a value never change what it means. */
static void check_blanks(const char *text, const struct size_spec *size, int size_rc, uint64_t ms,
                         int dur_rc)
{
	size_t n = strlen(text);
	char *padded = malloc(n + 5);
	struct size_spec s2;
	uint64_t ms2;
	int rc;

	if (padded == NULL)
		return;
	snprintf(padded, n + 5, " \t%s\t ", text);
	rc = units_parse_size(padded, &s2);
	if ((rc == 0) != (size_rc == 0) ||
	    (rc == 0 &&
	     (s2.kind != size->kind || s2.bytes != size->bytes || s2.percent != size->percent)))
		abort();
	rc = units_parse_duration_ms(padded, &ms2);
	if ((rc == 0) != (dur_rc == 0) || (rc == 0 && ms2 != ms))
		abort();
	free(padded);
}

static void fuzz_text(const char *text)
{
	struct size_spec s = { 0 };
	uint64_t ms = 0;
	double x, y;
	int size_rc, dur_rc;

	size_rc = units_parse_size(text, &s);
	if (size_rc == 0) {
		if (s.kind == SIZE_PERCENT && !(s.percent >= 0 && s.percent <= 100))
			abort();
		check_size_spec_round_trip(&s);
		if (s.kind == SIZE_BYTES)
			check_human_size(s.bytes);
		(void)units_size_resolve(&s, UINT64_MAX);
		(void)units_size_resolve(&s, 0);
	}
	dur_rc = units_parse_duration_ms(text, &ms);
	if (dur_rc == 0)
		check_duration_round_trip(ms);
	check_blanks(text, &s, size_rc, ms, dur_rc);

	if (units_parse_number(text, false, &x) == 0) {
		if (!(x > 0) || !isfinite(x))
			abort();
		/* Allowing a '%' changes nothing for text without one. */
		if (units_parse_number(text, true, &y) != 0 || y != x)
			abort();
	}
	if (units_parse_number(text, true, &x) == 0 && (!(x > 0) || !isfinite(x)))
		abort();
}

static void fuzz_raw(const uint8_t *data, size_t size)
{
	uint64_t v = 0;
	double percent = 0;
	struct size_spec s;

	memcpy(&v, data, size < sizeof v ? size : sizeof v);
	if (size > sizeof v)
		memcpy(&percent, data + sizeof v,
		       size - sizeof v < sizeof percent ? size - sizeof v : sizeof percent);
	check_duration_round_trip(v);
	check_human_size(v);
	s = (struct size_spec){ .kind = SIZE_BYTES, .bytes = v };
	check_size_spec_round_trip(&s);
	if (isfinite(percent) && !signbit(percent) && percent <= 100) {
		/* Only values the parser can produce (at most 9 decimals)
		 * must print back exactly. */
		char text[48];

		snprintf(text, sizeof text, "%.9f%%", percent);
		if (units_parse_size(text, &s) == 0)
			check_size_spec_round_trip(&s);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;

	if (size > 0 && data[0] == RAW_MARK) {
		fuzz_raw(data + 1, size - 1);
		return 0;
	}
	/* The parsers take C strings: a NUL in the input ends the text. */
	text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	fuzz_text(text);
	free(text);
	return 0;
}
