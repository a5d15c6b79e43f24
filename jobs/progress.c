#include "progress.h"

#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum {
	PROGRESS_LINE_MAX = 4096,
	/* What one poll reads at most: a job writing gigabytes of log lines
	 * must never delay a sample or a kill. */
	PROGRESS_TURN_BYTES = 256 * 1024,
};

struct progress {
	char *path;
	int fd;
	off_t offset;
	regex_t re;
	char line[PROGRESS_LINE_MAX];
	size_t line_len;
	bool line_overlong; /* the current line outgrew the buffer: ignore it */
};

static const char progress_default_re[] = "PROGRESS[[:space:]]+([0-9]+)/([0-9]+)";

struct progress *progress_new(const char *path, const char *regex, char *err, size_t errlen)
{
	struct progress *pg = calloc(1, sizeof(*pg));

	if (pg == NULL || (pg->path = strdup(path)) == NULL) {
		free(pg);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	int rc = regcomp(&pg->re, regex ? regex : progress_default_re, REG_EXTENDED);

	if (rc != 0) {
		char why[128];

		regerror(rc, &pg->re, why, sizeof(why));
		snprintf(err, errlen, "progress_regex: %s", why);
		free(pg->path);
		free(pg);
		return NULL;
	}
	pg->fd = -1;
	struct stat st;

	if (stat(path, &st) == 0)
		pg->offset = st.st_size;
	return pg;
}

void progress_free(struct progress *pg)
{
	if (pg == NULL)
		return;
	if (pg->fd >= 0)
		close(pg->fd);
	regfree(&pg->re);
	free(pg->path);
	free(pg);
}

static bool progress_number(const char *s, regmatch_t m, uint64_t *out)
{
	uint64_t v = 0;

	if (m.rm_so < 0 || m.rm_eo <= m.rm_so)
		return false;
	for (regoff_t i = m.rm_so; i < m.rm_eo; i++) {
		if (s[i] < '0' || s[i] > '9' || v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return true;
}

bool progress_match_line(struct progress *pg, const char *line, uint64_t *done, uint64_t *total)
{
	regmatch_t m[3];
	uint64_t d, t;

	if (regexec(&pg->re, line, 3, m, 0) != 0)
		return false;
	if (!progress_number(line, m[1], &d) || !progress_number(line, m[2], &t))
		return false;
	*done = d;
	*total = t;
	return true;
}

bool progress_poll(struct progress *pg, uint64_t *done, uint64_t *total)
{
	char buf[16384];
	bool found = false;

	if (pg->fd < 0) {
		pg->fd = open(pg->path, O_RDONLY | O_CLOEXEC);
		if (pg->fd < 0)
			return false;
	}
	struct stat st;

	/* Only the last progress line counts: when more was written since the
	 * last turn than one turn reads, skip to the newest bytes (the line
	 * cut in two there is not matched). */
	if (fstat(pg->fd, &st) == 0 && st.st_size - pg->offset > PROGRESS_TURN_BYTES) {
		pg->offset = st.st_size - PROGRESS_TURN_BYTES;
		pg->line_len = 0;
		pg->line_overlong = true;
	}
	for (size_t turn = 0; turn < PROGRESS_TURN_BYTES; turn += sizeof(buf)) {
		ssize_t n = pread(pg->fd, buf, sizeof(buf), pg->offset);

		if (n <= 0)
			break;
		pg->offset += n;
		for (ssize_t i = 0; i < n; i++) {
			char c = buf[i];

			if (c != '\n' && c != '\r') {
				if (pg->line_len + 1 < sizeof(pg->line))
					pg->line[pg->line_len++] = c == '\0' ? ' ' : c;
				else
					pg->line_overlong = true;
				continue;
			}
			pg->line[pg->line_len] = '\0';
			if (!pg->line_overlong && progress_match_line(pg, pg->line, done, total))
				found = true;
			pg->line_len = 0;
			pg->line_overlong = false;
		}
		if ((size_t)n < sizeof(buf))
			break;
	}
	return found;
}
