/* libFuzzer target: plan_load, then plan_print of what loaded.
 *
 * plan_load reads a path, so the input is written to a memfd and loaded
 * through /proc/self/fd/N: nothing touches the disk and each run starts
 * from a fresh file. A plan that loads is printed; plan_print promises text
 * "the plan parser reads back to the same values", so the printed plan is
 * loaded again and printed again, and both prints must be the same text.
 * Set FUZZ_PLAN_NO_ROUND_TRIP=1 in the environment to check only that
 * loading and printing do not crash, or FUZZ_SKIP_KNOWN=1 to skip the round
 * trip of plans that show a finding already reported (tests/fuzz/README.md,
 * "Known findings"), so that a long run can look past them. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "plan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* The totals percentages are shown against in plan_print's comments. */
#define FUZZ_MEM_TOTAL (16ULL << 30)
#define FUZZ_SWAP_TOTAL (2ULL << 30)

struct memfile {
	int fd;
	char path[64];
};

static struct memfile input_file = { -1, "" }, printed_file = { -1, "" };
static int round_trip = 1;
static int skip_known;

/* Known findings plan-1, plan-2 and plan-3 (and units-1 through
 * plan_print): a value that starts with ';' is printed as "key = ;...",
 * which reads back as a comment; a number or percentage that needs more
 * than 17 decimals is printed cut to 17; a long value keeps a trailing
 * '\r', '\v' or '\f' that is printed before the newline and stripped on
 * reading. */
static bool known_finding(const char *printed)
{
	if (strstr(printed, "= ;") != NULL || strstr(printed, "\r\n") != NULL ||
	    strstr(printed, "\v\n") != NULL || strstr(printed, "\f\n") != NULL)
		return true;
	for (const char *dot = strchr(printed, '.'); dot != NULL; dot = strchr(dot + 1, '.')) {
		if (strspn(dot + 1, "0123456789") == 17)
			return true;
	}
	return false;
}

static void memfile_open(struct memfile *m, const char *name)
{
	m->fd = memfd_create(name, MFD_CLOEXEC);
	if (m->fd == -1) {
		perror("memfd_create");
		abort();
	}
	snprintf(m->path, sizeof m->path, "/proc/self/fd/%d", m->fd);
}

/* Replaces the file's content with data. */
static void memfile_set(struct memfile *m, const void *data, size_t size)
{
	const char *p = data;
	ssize_t n;

	if (ftruncate(m->fd, 0) == -1)
		abort();
	for (off_t off = 0; size > 0; off += n, p += n, size -= (size_t)n) {
		n = pwrite(m->fd, p, size, off);
		if (n == -1 && errno == EINTR)
			n = 0; /* again, from the same place */
		else if (n <= 0)
			abort();
	}
}

/* plan_print into a new string; the caller frees it. */
static char *print_plan(const struct plan *plan, size_t *len)
{
	char *text = NULL;
	FILE *out = open_memstream(&text, len);

	if (out == NULL)
		abort();
	plan_print(plan, out, FUZZ_MEM_TOTAL, FUZZ_SWAP_TOTAL);
	if (fclose(out) != 0)
		abort();
	return text;
}

/* Known finding plan-4: glibc's regcomp needs memory exponential in
 * stacked repetition operators ("[0-9]+++++..."), and plan_load compiles
 * progress_regex. With FUZZ_SKIP_KNOWN=1, inputs holding two repetition
 * operators in a row are not loaded. */
static bool known_regex_blowup(const uint8_t *data, size_t size)
{
	static const char repeat[] = "+*?}";

	for (size_t i = 1; i < size; i++) {
		if (data[i - 1] != '\0' && data[i] != '\0' && strchr(repeat, data[i - 1]) != NULL &&
		    strchr(repeat, data[i]) != NULL)
			return true;
		if (data[i - 1] == ')' && data[i] == '{')
			return true;
	}
	return false;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *no = getenv("FUZZ_PLAN_NO_ROUND_TRIP");
	const char *known = getenv("FUZZ_SKIP_KNOWN");

	(void)argc;
	(void)argv;
	round_trip = no == NULL || strcmp(no, "1") != 0;
	skip_known = known != NULL && strcmp(known, "1") == 0;
	/* log_dir and webhook_url_file may start with "~/". */
	setenv("HOME", "/home/fuzz", 1);
	memfile_open(&input_file, "fuzz-plan");
	memfile_open(&printed_file, "fuzz-plan-printed");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct plan_error err;
	struct plan *plan, *again;
	char *first, *second;
	size_t first_len, second_len;

	if (skip_known && known_regex_blowup(data, size))
		return 0;
	memfile_set(&input_file, data, size);
	plan = plan_load(input_file.path, &err);
	if (plan == NULL) {
		/* A refusal always says why, naming the file. */
		if (strncmp(err.msg, input_file.path, strlen(input_file.path)) != 0)
			abort();
		return 0;
	}
	first = print_plan(plan, &first_len);
	plan_free(plan);
	if (!round_trip || (skip_known && known_finding(first))) {
		free(first);
		return 0;
	}

	memfile_set(&printed_file, first, first_len);
	again = plan_load(printed_file.path, &err);
	if (again == NULL) {
		fprintf(stderr, "the printed plan does not load: %s\n--- printed:\n%s", err.msg,
		        first);
		abort();
	}
	/* The first line names the file, which differs. */
	free(again->path);
	again->path = strdup(input_file.path);
	if (again->path == NULL)
		abort();
	second = print_plan(again, &second_len);
	plan_free(again);
	if (first_len != second_len || memcmp(first, second, first_len) != 0) {
		fprintf(stderr,
		        "the printed plan prints differently once loaded\n"
		        "--- first:\n%s--- second:\n%s",
		        first, second);
		abort();
	}
	free(first);
	free(second);
	return 0;
}
