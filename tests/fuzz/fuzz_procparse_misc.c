/* libFuzzer target: the small /proc parsers of collectors/procparse.c.
 * The first input byte picks the parser (statm, io, meminfo, psi, wchan,
 * children, status memory, schedstat, a stat line's state); the rest is the
 * file's content, handed over without a NUL in an exact-size heap buffer so
 * that ASan sees any read past len. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "procparse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct children_seen {
	int calls;
};

static void on_child(pid_t pid, void *ctx)
{
	struct children_seen *seen = ctx;

	/* The header promises only PIDs that passed the check. */
	if (pid <= 0)
		abort();
	seen->calls++;
}

static void fuzz_wchan(const char *buf, size_t len, size_t outlen)
{
	/* An exact-size output buffer: a write one past outlen is caught. */
	char *out = malloc(outlen);
	size_t n;

	if (out == NULL)
		return;
	procparse_wchan(buf, len, out, outlen);
	n = strnlen(out, outlen);
	if (n >= outlen)
		abort();
	/* No blank is left at either end (the end only when nothing was cut
	 * off: a cut may fall after a newline inside the content), and "0"
	 * means none. */
	if (n > 0 && (out[0] == '\n' || out[0] == ' ' ||
	              (n < outlen - 1 && (out[n - 1] == '\n' || out[n - 1] == ' '))))
		abort();
	if (strcmp(out, "0") == 0 && outlen > len)
		abort(); /* not a truncation of a longer channel */
	(void)procparse_wchan_is_futex(out);
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf;
	size_t len;
	uint64_t u;
	double some, full;
	struct sys_sample sys;
	struct children_seen seen = { 0 };
	char state;
	int rc;

	if (size < 1)
		return 0;
	buf = (const char *)data + 1;
	len = size - 1;
	switch (data[0] % 9) {
	case 0:
		(void)procparse_statm(buf, len, &u);
		break;
	case 1:
		(void)procparse_io(buf, len, &u);
		break;
	case 2:
		if (procparse_meminfo(buf, len, &sys) == 0 &&
		    (sys.mem_total_bytes % 1024 != 0 || sys.mem_available_bytes % 1024 != 0))
			abort(); /* meminfo counts in kB */
		break;
	case 3:
		if (procparse_psi(buf, len, &some, &full) == 0 &&
		    (!(some >= 0 && some <= 100) || !(full >= 0 && full <= 100)))
			abort();
		break;
	case 4:
		/* The output size comes from the input too: 1 to 80 bytes. */
		fuzz_wchan(buf, len, 1 + (size_t)(data[0] / 9) % 80);
		break;
	case 6:
		if (procparse_status_mem(buf, len, &u) == 0 && u % 1024 != 0)
			abort(); /* status counts in kB */
		break;
	case 7:
		(void)procparse_schedstat(buf, len, &u);
		break;
	case 8:
		if (procparse_stat_state(buf, len, &state) == 0 && (state < 'A' || state > 'z'))
			abort();
		break;
	default:
		rc = procparse_children(buf, len, on_child, &seen);
		if (rc >= 0 && rc != seen.calls)
			abort();
		if (rc < 0 && seen.calls != 0)
			abort(); /* garbage must call fn for nothing */
		if (procparse_children(buf, len, NULL, NULL) != rc)
			abort();
		break;
	}
	return 0;
}
