/* libFuzzer target: procparse_stat on any bytes.
 *
 * A process chooses its own name, so /proc/PID/stat is attacker-controlled
 * text. libFuzzer hands us an exact-size heap buffer without a NUL, which is
 * what the kernel gives too: ASan reports any read past len. Beyond "does not
 * crash", a successful parse must keep the promises of procparse.h. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "procparse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The name as the header defines it: the bytes between the first " (" and
 * the LAST ')', truncated to fit. */
static void expected_comm(const char *buf, size_t len, char *out, size_t outlen)
{
	const char *open = memchr(buf, '(', len), *close = NULL;
	size_t n;

	out[0] = '\0';
	if (open == NULL)
		return;
	for (const char *p = buf + len; p > open + 1; p--) {
		if (p[-1] == ')') {
			close = p - 1;
			break;
		}
	}
	if (close == NULL)
		return;
	n = (size_t)(close - open - 1);
	if (n > outlen - 1)
		n = outlen - 1;
	memcpy(out, open + 1, n);
	out[n] = '\0';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct stat_fields f;
	char comm[SAMPLE_COMM_LEN];

	if (procparse_stat(buf, size, &f) != 0)
		return 0;
	if (f.pid <= 0 || f.ppid < 0 || f.num_threads < 0)
		abort();
	if (memchr(f.comm, '\0', sizeof f.comm) == NULL)
		abort();
	/* The state is one printable letter-ish byte, never the blank or ')'
	 * the split could leave there by mistake. */
	if (f.state == ' ' || f.state == ')' || f.state == '\0')
		abort();
	expected_comm(buf, size, comm, sizeof comm);
	/* memcmp, not strcmp: a name may hold a NUL byte only in theory, but
	 * both copies are cut the same way. */
	if (memcmp(comm, f.comm, strlen(comm) + 1) != 0)
		abort();
	return 0;
}
