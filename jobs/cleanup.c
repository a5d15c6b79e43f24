/* The cleanup child's entry and its one-line result (see cleanup.h). */
#include "cleanup.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#include "../lib/fsutil.h"

int cleanup_main(int argc, char **argv)
{
	char err[1024];
	uint64_t bytes = 0;

	prctl(PR_SET_NAME, "mw-cleanup");
	if (argc < 1) {
		printf("error no path given\n");
		return 1;
	}
	if (fsutil_remove_tree(argv[0], (const char *const *)argv + 1, argc - 1, &bytes, err,
	                       sizeof(err)) < 0) {
		/* one line: the message is the user's path, newlines included */
		for (char *c = err; *c != '\0'; c++)
			if (*c == '\n')
				*c = ' ';
		printf("error %s\n", err);
		return 1;
	}
	printf("freed %" PRIu64 "\n", bytes);
	return 0;
}

int cleanup_result(const char *text, size_t len, uint64_t *bytes, char *err, size_t errlen)
{
	char line[1200];
	unsigned long long n;

	*bytes = 0;
	if (len >= sizeof(line))
		len = sizeof(line) - 1;
	memcpy(line, text, len);
	line[len] = '\0';
	if (strncmp(line, "freed ", 6) == 0) {
		char *end;

		errno = 0;
		n = strtoull(line + 6, &end, 10);
		if (errno == 0 && end != line + 6 && (*end == '\n' || *end == '\0')) {
			*bytes = n;
			return 0;
		}
	}
	if (strncmp(line, "error ", 6) == 0) {
		line[strcspn(line, "\n")] = '\0';
		snprintf(err, errlen, "%s", line + 6);
	} else {
		snprintf(err, errlen, "the cleanup process ended without a result");
	}
	return -EIO;
}
