/* Children of mergewatch by their pair: /proc/PID/task/PID/children, then
 * each child's environ. */
#include "orphans.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Enough for the environments of ordinary jobs; a longer one is read in
 * part and its tail is not searched (where MERGEWATCH_PAIR rarely is: it
 * is the last but the plan's own env). */
enum { ORPHANS_ENV_MAX = 256 * 1024 };

/* Whether pid's environment holds want ("MERGEWATCH_PAIR=name") as a
 * whole entry. */
static bool orphans_env_has(const char *proc_root, pid_t pid, const char *want, char *buf,
                            size_t len)
{
	char path[PATH_MAX];
	size_t got = 0, wlen = strlen(want);
	ssize_t n;
	int fd;

	snprintf(path, sizeof path, "%s/%d/environ", proc_root, (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return false;
	while (got < len - 1 && (n = read(fd, buf + got, len - 1 - got)) > 0)
		got += (size_t)n;
	close(fd);
	buf[got] = '\0';
	for (size_t at = 0; at < got; at += strlen(buf + at) + 1)
		if (strncmp(buf + at, want, wlen + 1) == 0)
			return true;
	return false;
}

int orphans_list(const char *proc_root, pid_t adopter, const char *pair, pid_t *out, size_t max)
{
	char path[PATH_MAX], want[128], *env = NULL;
	size_t found = 0;
	long pid;
	FILE *f;

	snprintf(path, sizeof path, "%s/%d/task/%d/children", proc_root, (int)adopter,
	         (int)adopter);
	if ((f = fopen(path, "re")) == NULL)
		return -errno;
	if (pair != NULL) {
		snprintf(want, sizeof want, "MERGEWATCH_PAIR=%s", pair);
		if ((env = malloc(ORPHANS_ENV_MAX)) == NULL) {
			fclose(f);
			return -ENOMEM;
		}
	}
	/* The kernel writes decimal PIDs separated by spaces. */
	while (found < max && fscanf(f, "%ld", &pid) == 1) /* NOLINT(cert-err34-c) */
		if (pair == NULL ||
		    orphans_env_has(proc_root, (pid_t)pid, want, env, ORPHANS_ENV_MAX))
			out[found++] = (pid_t)pid;
	fclose(f);
	free(env);
	return (int)found;
}
