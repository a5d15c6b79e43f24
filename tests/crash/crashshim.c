/* Crash points for the crash-anywhere test, loaded with LD_PRELOAD into the
 * mergewatch under test: it SIGKILLs the process at an exact place that an
 * outside observer could only hit by luck.
 *   MW_CRASH_EVENT_AFTER=N   right after the N-th event line reaches the
 *                            event log (an event boundary)
 *   MW_CRASH_STATE_BEFORE=N  at the N-th replacement of the state file, its
 *                            new version written and synced but not yet
 *                            renamed into place
 *   MW_CRASH_STATE_AFTER=N   right after that rename, before the directory
 *                            is synced
 *   MW_CRASH_COUNT=FILE      no crash: at exit, write "EVENTS STATES" (how
 *                            many of each a whole run has) to FILE
 * The variables (and LD_PRELOAD) are taken out of the environment at load,
 * so the pairs mergewatch starts run without the shim. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

static long event_after, state_before, state_after;
static long events_seen, states_seen;
static char count_file[4096];

static long take(const char *name)
{
	const char *v = getenv(name);
	long n = v ? strtol(v, NULL, 10) : 0;

	unsetenv(name);
	return n;
}

__attribute__((constructor)) static void crashshim_init(void)
{
	event_after = take("MW_CRASH_EVENT_AFTER");
	state_before = take("MW_CRASH_STATE_BEFORE");
	state_after = take("MW_CRASH_STATE_AFTER");
	if (getenv("MW_CRASH_COUNT") != NULL)
		snprintf(count_file, sizeof count_file, "%s", getenv("MW_CRASH_COUNT"));
	unsetenv("MW_CRASH_COUNT");
	unsetenv("LD_PRELOAD");
}

__attribute__((destructor)) static void crashshim_count(void)
{
	FILE *f = count_file[0] ? fopen(count_file, "w") : NULL;

	if (f != NULL) {
		fprintf(f, "%ld %ld\n", events_seen, states_seen);
		fclose(f);
	}
}

static int fd_is_event_log(int fd)
{
	char link[64], target[4096];
	ssize_t n;

	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof target - 1);
	if (n <= 0)
		return 0;
	target[n] = '\0';
	return n >= 13 && strcmp(target + n - 13, "/events.jsonl") == 0;
}

ssize_t write(int fd, const void *buf, size_t len)
{
	static ssize_t (*real)(int, const void *, size_t);
	ssize_t n;

	if (real == NULL)
		real = (ssize_t(*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
	n = real(fd, buf, len);
	if ((event_after > 0 || count_file[0]) && len > 6 && memcmp(buf, "{\"ts\":", 6) == 0 &&
	    fd_is_event_log(fd) && ++events_seen == event_after)
		kill(getpid(), SIGKILL);
	return n;
}

int rename(const char *from, const char *to)
{
	static int (*real)(const char *, const char *);
	size_t len = strlen(to);
	int rc, is_state = len >= 6 && strcmp(to + len - 6, "/state") == 0;

	if (real == NULL)
		real = (int (*)(const char *, const char *))dlsym(RTLD_NEXT, "rename");
	if (is_state)
		states_seen++;
	if (is_state && states_seen == state_before)
		kill(getpid(), SIGKILL);
	rc = real(from, to);
	if (is_state && states_seen == state_after)
		kill(getpid(), SIGKILL);
	return rc;
}
