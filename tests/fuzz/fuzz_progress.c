/* libFuzzer target: progress_match_line, the match a pair's log lines go
 * through. The first byte picks the pattern: the default "PROGRESS d/t" or
 * one of a few progress_regex values a plan could give, chosen so that the
 * capture groups may be empty, absent (an optional group) or hold non-digits,
 * which progress_number must refuse rather than misread. The rest is the
 * line, cut at its first NUL and newline as progress_poll hands it over. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "progress.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static const char *const patterns[] = {
	NULL, /* the default */
	"rows ([0-9]+) of ([0-9]+)",
	"([0-9]*)/([0-9]*)",               /* groups may match empty */
	"(done=([0-9]+))? total=([0-9]+)", /* group 1 may be absent */
	"([^ ]+) of ([^ ]+)",              /* groups may hold anything */
};
enum { N_PATTERNS = sizeof patterns / sizeof patterns[0] };

static struct progress *matchers[N_PATTERNS];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[256];

	(void)argc;
	(void)argv;
	for (size_t i = 0; i < N_PATTERNS; i++) {
		/* A path that does not exist: only the matcher is used. */
		matchers[i] = progress_new("/nonexistent/mergewatch-fuzz.log", patterns[i], err,
		                           sizeof err);
		if (matchers[i] == NULL) {
			fprintf(stderr, "progress_new: %s\n", err);
			abort();
		}
	}
	return 0;
}

/* The default pattern's meaning, computed by hand: the leftmost
 * "PROGRESS", one or more spaces, digits, '/', digits. Returns 1 with the
 * numbers, 0 for no such text, -1 when a number has more than 19 digits
 * (it may not fit in 64 bits: either answer is right). */
static int expect_default(const char *line, uint64_t *done, uint64_t *total)
{
	for (const char *p = strstr(line, "PROGRESS"); p != NULL; p = strstr(p + 1, "PROGRESS")) {
		const char *q = p + 8;
		size_t blanks = strspn(q, " \t\v\f\r"), d1, d2;

		if (blanks == 0)
			continue;
		q += blanks;
		d1 = strspn(q, "0123456789");
		if (d1 == 0 || q[d1] != '/')
			continue;
		d2 = strspn(q + d1 + 1, "0123456789");
		if (d2 == 0)
			continue;
		if (d1 > 19 || d2 > 19)
			return -1;
		*done = strtoull(q, NULL, 10);
		*total = strtoull(q + d1 + 1, NULL, 10);
		return 1;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct progress *pg;
	char *line;
	uint64_t done = 0, total = 0, want_done = 0, want_total = 0;
	size_t which;
	bool matched;

	if (size < 1)
		return 0;
	which = data[0] % N_PATTERNS;
	pg = matchers[which];
	line = malloc(size);
	if (line == NULL)
		return 0;
	memcpy(line, data + 1, size - 1);
	line[size - 1] = '\0';
	line[strcspn(line, "\n")] = '\0';
	matched = progress_match_line(pg, line, &done, &total);
	if (matched) {
		/* A match comes from groups of digits, so the line holds the
		 * numbers it reports. */
		char number[24];
		snprintf(number, sizeof number, "%llu", (unsigned long long)done);
		if (strstr(line, number) == NULL)
			abort();
		snprintf(number, sizeof number, "%llu", (unsigned long long)total);
		if (strstr(line, number) == NULL)
			abort();
	}
	if (which == 0) {
		int want = expect_default(line, &want_done, &want_total);
		if (want >= 0 && (matched != (want == 1) ||
		                  (matched && (done != want_done || total != want_total)))) {
			fprintf(stderr,
			        "default pattern: matched %d (%llu/%llu), "
			        "expected %d (%llu/%llu)\n",
			        matched, (unsigned long long)done, (unsigned long long)total, want,
			        (unsigned long long)want_done, (unsigned long long)want_total);
			abort();
		}
	}
	free(line);
	return 0;
}
