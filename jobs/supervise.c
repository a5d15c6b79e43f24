/* The pair's supervisor process and its record file (see supervise.h). */
#include "supervise.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../lib/fsutil.h"
#include "cgroup.h"
#include "job.h"

extern char **environ;

static const int supervise_forwarded[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };
enum { SUPERVISE_N_FORWARDED = sizeof supervise_forwarded / sizeof supervise_forwarded[0] };

/* The command's PID for the signal handler, which can reach nothing else;
 * this process runs nothing but this file. */
static volatile pid_t supervise_child;

/* One "key=N" field of a record line into *out. */
static bool supervise_field(const char *tok, const char *key, long long *out)
{
	size_t n = strlen(key);
	char *end;

	if (strncmp(tok, key, n) != 0 || tok[n] != '=')
		return false;
	errno = 0;
	*out = strtoll(tok + n + 1, &end, 10);
	return errno == 0 && end != tok + n + 1 && *end == '\0';
}

int supervise_record_read(const char *path, struct supervise_record *rec, char *err, size_t errlen)
{
	static const char *const keys[] = { "token",     "pid",    "start_ticks",
		                            "exit_code", "signal", "oom" };
	enum { K_TOKEN, K_PID, K_TICKS, K_CODE, K_SIGNAL, K_OOM, K_N };
	long long v[K_N] = { 0, 0, 0, -1, 0, 0 };
	bool have[K_N] = { false }, ended = false, state = false;
	char buf[512], *save = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	ssize_t n;

	memset(rec, 0, sizeof(*rec));
	if (fd < 0) {
		int e = errno;

		snprintf(err, errlen, "%s: %s", path, strerror(e));
		return -e;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0) {
		snprintf(err, errlen, "%s: empty or unreadable", path);
		return -EINVAL;
	}
	buf[n] = '\0';
	if (strncmp(buf, "mergewatch-job 1 ", 17) != 0)
		goto bad;
	for (char *tok = strtok_r(buf + 17, " \n", &save); tok != NULL;
	     tok = strtok_r(NULL, " \n", &save)) {
		if (strcmp(tok, "state=running") == 0 || strcmp(tok, "state=ended") == 0) {
			ended = strcmp(tok, "state=ended") == 0;
			state = true;
			continue;
		}
		for (int k = 0; k < K_N; k++)
			if (supervise_field(tok, keys[k], &v[k]))
				have[k] = true;
	}
	if (!state || !have[K_TOKEN] || !have[K_PID] || !have[K_TICKS] || v[K_PID] <= 0 ||
	    v[K_PID] > INT32_MAX || v[K_TICKS] < 0)
		goto bad;
	rec->token = v[K_TOKEN];
	rec->pid = (pid_t)v[K_PID];
	rec->start_ticks = (uint64_t)v[K_TICKS];
	rec->ended = ended;
	rec->exit_code = ended ? (int)v[K_CODE] : -1;
	rec->term_signal = ended ? (int)v[K_SIGNAL] : 0;
	rec->oom_killed = ended && v[K_OOM] == 1;
	return 0;
bad:
	snprintf(err, errlen, "%s: not a mergewatch job record", path);
	return -EINVAL;
}

int supervise_record_write(const char *path, const struct supervise_record *rec, char *err,
                           size_t errlen)
{
	char text[256];
	int len = snprintf(text, sizeof(text),
	                   "mergewatch-job 1 token=%" PRId64 " pid=%d start_ticks=%" PRIu64
	                   " state=%s exit_code=%d signal=%d oom=%d\n",
	                   rec->token, (int)rec->pid, rec->start_ticks,
	                   rec->ended ? "ended" : "running", rec->ended ? rec->exit_code : -1,
	                   rec->ended ? rec->term_signal : 0, rec->ended && rec->oom_killed);

	return fsutil_write_atomic(path, text, (size_t)len, err, errlen);
}

static void supervise_forward(int sig)
{
	int saved = errno;

	if (supervise_child > 0)
		kill(supervise_child, sig);
	errno = saved;
}

/* Ends this process as the command ended, so whoever waits for it (the
 * mergewatch that started it) sees the command's own status. */
static _Noreturn void supervise_mirror(int exit_code, int term_signal)
{
	sigset_t all;

	if (term_signal == 0)
		_exit(exit_code);
	/* no core file of the supervisor for the command's crash */
	prctl(PR_SET_DUMPABLE, 0);
	struct rlimit none = { 0, 0 };

	setrlimit(RLIMIT_CORE, &none);
	signal(term_signal, SIG_DFL);
	sigemptyset(&all);
	sigaddset(&all, term_signal);
	sigprocmask(SIG_UNBLOCK, &all, NULL);
	raise(term_signal);
	_exit(128 + term_signal);
}

static int supervise_fail_start(int ready_fd, const char *what)
{
	char msg[512];
	int len = snprintf(msg, sizeof(msg), "supervisor: %s", what);

	if (write(ready_fd, msg, (size_t)len) < 0) {
		/* the parent is gone; nothing to tell */
	}
	return 127;
}

/* Waits for the command, reaping the orphans it leaves to us. Returns its
 * wait status. */
static int supervise_wait(pid_t child)
{
	int status;

	for (;;) {
		pid_t got = waitpid(-1, &status, 0);

		if (got == child)
			return status;
		if (got < 0 && errno != EINTR)
			return W_EXITCODE(127, 0); /* no child left: cannot happen */
	}
}

int supervise_main(int argc, char **argv)
{
	struct supervise_record rec = { 0 };
	char err[512];
	sigset_t block, old;
	struct sigaction sa;

	if (argc < 6)
		return 2;
	const char *record = argv[0];
	char *end;
	long long token = strtoll(argv[1], &end, 10);
	long parent = strtol(argv[2], NULL, 10);
	int ready_fd = (int)strtol(argv[3], NULL, 10);
	const char *cgroup = strcmp(argv[4], "-") == 0 ? NULL : argv[4];

	prctl(PR_SET_NAME, SUPERVISE_COMM);
	/* Until the record is on disk, this process dies with the mergewatch
	 * that started it (a death signal set before exec): a mergewatch that
	 * crashed in between must not leave a job no record names. */
	if (getppid() != (pid_t)parent)
		_exit(supervise_fail_start(ready_fd, "mergewatch ended before the job started"));
	rec.token = token;
	rec.pid = getpid();
	rec.start_ticks = job_start_ticks("/proc", rec.pid);
	if (supervise_record_write(record, &rec, err, sizeof(err)) < 0)
		return supervise_fail_start(ready_fd, err);
	prctl(PR_SET_PDEATHSIG, 0);
	if (getppid() != (pid_t)parent) {
		/* it died after the record: the record stands, but no job */
		rec.ended = true;
		rec.exit_code = -1;
		rec.term_signal = SIGKILL;
		supervise_record_write(record, &rec, err, sizeof(err));
		_exit(127);
	}
	/* The command's orphans come to us while it runs, so they stay in
	 * the pair's tree and are reaped. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	sigemptyset(&block);
	for (int i = 0; i < SUPERVISE_N_FORWARDED; i++)
		sigaddset(&block, supervise_forwarded[i]);
	sigprocmask(SIG_BLOCK, &block, &old);
	pid_t child = fork();

	if (child == 0) {
		close(ready_fd);
		/* The job dies with its supervisor: a SIGKILL to the pair's
		 * root PID still ends the pair. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != rec.pid)
			_exit(127);
		sigprocmask(SIG_SETMASK, &old, NULL);
		execve(argv[5], argv + 5, environ);
		fprintf(stderr, "mergewatch supervisor: %s: %s\n", argv[5], strerror(errno));
		_exit(127);
	}
	close(ready_fd); /* job_spawn returns: the record is on disk */
	if (child < 0) {
		rec.ended = true;
		rec.exit_code = 127;
		fprintf(stderr, "mergewatch supervisor: fork: %s\n", strerror(errno));
		supervise_record_write(record, &rec, err, sizeof(err));
		_exit(127);
	}
	supervise_child = child;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = supervise_forward;
	sigemptyset(&sa.sa_mask);
	for (int i = 0; i < SUPERVISE_N_FORWARDED; i++)
		sigaction(supervise_forwarded[i], &sa, NULL);
	sigprocmask(SIG_SETMASK, &old, NULL);

	int status = supervise_wait(child);

	rec.ended = true;
	rec.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	rec.term_signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	rec.oom_killed =
		rec.term_signal == SIGKILL && cgroup != NULL && cgroup_oom_kills_at(cgroup) > 0;
	if (supervise_record_write(record, &rec, err, sizeof(err)) < 0)
		fprintf(stderr, "mergewatch supervisor: the job's status is lost: %s\n", err);
	supervise_mirror(rec.exit_code, rec.term_signal);
}
