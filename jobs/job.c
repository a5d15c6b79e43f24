#include "job.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../collectors/procparse.h"
#include "supervise.h"

extern char **environ;

/* The environment for the child, built before fork so the child only execs. */
static char **job_build_env(const struct job_spec *spec)
{
	size_t n = 0;

	while (environ[n] != NULL)
		n++;
	char **env = calloc(n + (size_t)spec->n_env + 2, sizeof(*env));
	size_t k = 0;

	if (env == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		const char *e = environ[i];
		bool replaced =
			strncmp(e, "MERGEWATCH_WEBHOOK_URL=", 23) == 0 ||
			(spec->pair_name != NULL && strncmp(e, "MERGEWATCH_PAIR=", 16) == 0);

		for (int j = 0; j < spec->n_env && !replaced; j++) {
			size_t name_len = strcspn(spec->env[j], "=");

			replaced = strncmp(e, spec->env[j], name_len + 1) == 0;
		}
		if (!replaced)
			env[k++] = (char *)e;
	}
	if (spec->pair_name != NULL) {
		char *pair = malloc(strlen(spec->pair_name) + 17);

		if (pair == NULL) {
			free(env);
			return NULL;
		}
		sprintf(pair, "MERGEWATCH_PAIR=%s", spec->pair_name);
		env[k++] = pair;
	}
	for (int j = 0; j < spec->n_env; j++)
		env[k++] = spec->env[j];
	env[k] = NULL;
	return env;
}

static void job_free_env(const struct job_spec *spec, char **env)
{
	if (env == NULL)
		return;
	if (spec->pair_name != NULL) {
		for (size_t i = 0; env[i] != NULL; i++) {
			if (strncmp(env[i], "MERGEWATCH_PAIR=", 16) == 0 &&
			    strcmp(env[i] + 16, spec->pair_name) == 0) {
				free(env[i]);
				break;
			}
		}
	}
	free(env);
}

static int job_write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	ssize_t n = write(fd, text, strlen(text));
	int e = n < 0 ? errno : 0;

	close(fd);
	return -e;
}

/* In the child: report what failed through the status pipe and exit. */
static _Noreturn void job_child_fail(int status_fd, const char *stage)
{
	int e = errno;
	char msg[256];
	int len = snprintf(msg, sizeof(msg), "%s: %s", stage, strerror(e));

	if (write(status_fd, msg, (size_t)len) < 0) {
		/* nothing left to tell anyone */
	}
	_exit(127);
}

/* Becomes the pair's supervisor, which runs the command (supervise.h).
 * Until the supervisor has written its record it dies with its parent; the
 * status pipe stays open across the exec so job_spawn waits for that. */
static _Noreturn void job_exec_supervisor(const struct job_spec *spec, char **env, int status_fd,
                                          pid_t parent)
{
	char token[24], ppid[16], fd[16];
	char *argv[] = { (char *)"mergewatch",
		         (char *)SUPERVISE_MODE,
		         (char *)spec->supervise_record,
		         token,
		         ppid,
		         fd,
		         (char *)(spec->supervise_cgroup ? spec->supervise_cgroup : "-"),
		         (char *)"/bin/sh",
		         (char *)"-c",
		         (char *)spec->command,
		         NULL };

	snprintf(token, sizeof(token), "%lld", (long long)spec->supervise_token);
	snprintf(ppid, sizeof(ppid), "%d", (int)parent);
	snprintf(fd, sizeof(fd), "%d", status_fd);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent ||
	    fcntl(status_fd, F_SETFD, 0) < 0)
		job_child_fail(status_fd, "supervisor");
	execve("/proc/self/exe", argv, env);
	job_child_fail(status_fd, "/proc/self/exe (the supervisor)");
}

static _Noreturn void job_child(const struct job_spec *spec, char **env, int status_fd, int hold_fd,
                                pid_t parent)
{
	/* Default dispositions: the loop blocks signals for signalfd, and a
	 * job must die of SIGTERM and SIGPIPE like any program. */
	for (int sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	sigprocmask(SIG_SETMASK, spec->sigmask, NULL);
	if (setsid() < 0)
		job_child_fail(status_fd, "setsid");
	if (hold_fd >= 0) {
		char go;

		/* until the parent has placed us (end of file) */
		while (read(hold_fd, &go, 1) < 0 && errno == EINTR)
			;
		close(hold_fd);
	}
	if (spec->cgroup_procs != NULL && job_write_file(spec->cgroup_procs, "0\n") < 0) {
		errno = errno ? errno : EIO;
		job_child_fail(status_fd, spec->cgroup_procs);
	}
	if (spec->oom_score_adj != 0) {
		char adj[16];

		snprintf(adj, sizeof(adj), "%d\n", spec->oom_score_adj);
		job_write_file("/proc/self/oom_score_adj", adj); /* best effort */
	}
	if (spec->cwd != NULL && chdir(spec->cwd) < 0)
		job_child_fail(status_fd, spec->cwd);
	int in = open("/dev/null", O_RDONLY);
	int out = open(spec->output_path, O_WRONLY | O_CREAT | O_APPEND, 0644);

	if (in < 0)
		job_child_fail(status_fd, "/dev/null");
	if (out < 0)
		job_child_fail(status_fd, spec->output_path);
	if (dup2(in, 0) < 0 || dup2(spec->stdout_fd ? *spec->stdout_fd : out, 1) < 0 ||
	    dup2(out, 2) < 0)
		job_child_fail(status_fd, "dup2");
	if (in > 2)
		close(in);
	if (out > 2)
		close(out);
	if (spec->argv != NULL) {
		execve(spec->argv[0], spec->argv, env);
		job_child_fail(status_fd, spec->argv[0]);
	}
	if (spec->supervise_record != NULL)
		job_exec_supervisor(spec, env, status_fd, parent);
	char *argv[] = { (char *)"sh", (char *)"-c", (char *)spec->command, NULL };

	execve("/bin/sh", argv, env);
	job_child_fail(status_fd, "/bin/sh");
}

int job_spawn(const struct job_spec *spec, struct job *job, char *err, size_t errlen)
{
	int status_pipe[2];
	char **env = job_build_env(spec);

	memset(job, 0, sizeof(*job));
	job->pidfd = -1;
	if (env == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (pipe2(status_pipe, O_CLOEXEC) < 0) {
		int e = errno;

		job_free_env(spec, env);
		snprintf(err, errlen, "pipe: %s", strerror(e));
		return -e;
	}
	int hold[2] = { -1, -1 };

	if (spec->place != NULL && pipe2(hold, O_CLOEXEC) < 0) {
		int e = errno;

		close(status_pipe[0]);
		close(status_pipe[1]);
		job_free_env(spec, env);
		snprintf(err, errlen, "pipe: %s", strerror(e));
		return -e;
	}
	pid_t parent = getpid();
	pid_t pid = fork();

	if (pid == 0) {
		close(status_pipe[0]);
		if (hold[1] >= 0)
			close(hold[1]);
		job_child(spec, env, status_pipe[1], hold[0], parent);
	}
	int e = errno;

	if (hold[0] >= 0)
		close(hold[0]);
	if (pid > 0 && spec->place != NULL)
		spec->place(spec->place_ctx, pid);
	if (hold[1] >= 0)
		close(hold[1]); /* the child goes on */
	close(status_pipe[1]);
	job_free_env(spec, env);
	if (pid < 0) {
		close(status_pipe[0]);
		snprintf(err, errlen, "fork: %s", strerror(e));
		return -e;
	}
	/* The pipe closes on exec (CLOEXEC) or carries the child's failure:
	 * this read lasts as long as a fork-exec, like posix_spawn's. */
	char msg[256];
	ssize_t n;

	do {
		n = read(status_pipe[0], msg, sizeof(msg) - 1);
	} while (n < 0 && errno == EINTR);
	close(status_pipe[0]);
	job->pid = pid;
	job->is_child = true;
	job->pidfd = pidfd_open(pid, 0);
	if (n > 0) {
		msg[n] = '\0';
		snprintf(err, errlen, "cannot start the command: %s", msg);
		waitpid(pid, NULL, 0);
		job_close(job);
		return -ENOEXEC;
	}
	if (job->pidfd < 0) {
		e = errno;
		snprintf(err, errlen, "pidfd_open %d: %s", (int)pid, strerror(e));
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return -e;
	}
	job->start_ticks = job_start_ticks("/proc", pid);
	return 0;
}

int job_attach(pid_t pid, const char *proc_root, struct job *job, char *err, size_t errlen)
{
	memset(job, 0, sizeof(*job));
	job->pid = pid;
	job->pidfd = pidfd_open(pid, 0);
	if (job->pidfd < 0) {
		int e = errno;

		snprintf(err, errlen, "PID %d: %s", (int)pid,
		         e == ESRCH ? "no such process" : strerror(e));
		return -e;
	}
	job->start_ticks = job_start_ticks(proc_root, pid);
	if (job->start_ticks == 0) {
		snprintf(err, errlen, "PID %d: no such process", (int)pid);
		job_close(job);
		return -ESRCH;
	}
	return 0;
}

int job_reap(struct job *job, int *exit_code, int *term_signal)
{
	*exit_code = -1;
	*term_signal = 0;
	if (job->reaped)
		return 1;
	if (!job->is_child) {
		struct pollfd p = { .fd = job->pidfd, .events = POLLIN };

		if (poll(&p, 1, 0) <= 0)
			return 0;
		job->reaped = true;
		return 1;
	}
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	if (waitid(P_PIDFD, (id_t)job->pidfd, &si, WEXITED | WNOHANG) < 0)
		return -errno;
	if (si.si_pid == 0)
		return 0;
	job->reaped = true;
	if (si.si_code == CLD_EXITED)
		*exit_code = si.si_status;
	else
		*term_signal = si.si_status;
	return 1;
}

void job_close(struct job *job)
{
	if (job->pidfd >= 0)
		close(job->pidfd);
	job->pidfd = -1;
}

/* Reads pid's stat line under proc_root. 0 or -errno. */
static int job_read_stat(const char *proc_root, pid_t pid, struct stat_fields *f)
{
	char path[256];
	char buf[1024];

	snprintf(path, sizeof(path), "%s/%d/stat", proc_root, (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, buf, sizeof(buf));

	close(fd);
	if (n <= 0 || procparse_stat(buf, (size_t)n, f) != 0)
		return -EINVAL;
	return 0;
}

int job_alive(const char *proc_root, pid_t pid, uint64_t start_ticks)
{
	struct stat_fields f = { 0 };

	if (pid <= 0 || job_read_stat(proc_root, pid, &f) < 0)
		return 0;
	return f.start_ticks == start_ticks && f.state != 'Z' && f.state != 'X';
}

int job_session_pids(const char *proc_root, pid_t sid, uint64_t min_start_ticks, pid_t *pids,
                     int max)
{
	DIR *dir = opendir(proc_root);
	struct dirent *e;
	struct stat_fields f = { 0 };
	int n = 0;

	if (dir == NULL || sid <= 0) {
		if (dir != NULL)
			closedir(dir);
		return 0;
	}
	while ((e = readdir(dir)) != NULL) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);

		if (pid <= 0 || *end != '\0' || job_read_stat(proc_root, (pid_t)pid, &f) < 0)
			continue;
		if (f.session != sid || f.start_ticks < min_start_ticks || f.state == 'Z')
			continue;
		if (n < max)
			pids[n] = (pid_t)pid;
		n++;
	}
	closedir(dir);
	return n;
}

uint64_t job_start_ticks(const char *proc_root, pid_t pid)
{
	struct stat_fields f = { 0 };

	return job_read_stat(proc_root, pid, &f) < 0 ? 0 : f.start_ticks;
}

int job_signal_pid(const char *proc_root, pid_t pid, uint64_t start_ticks, int sig)
{
	int fd = pidfd_open(pid, 0);

	if (fd < 0)
		return -errno;
	/* The pidfd pins this incarnation: if the start time still matches
	 * now, the signal below reaches the process we meant. */
	if (start_ticks != 0 && job_start_ticks(proc_root, pid) != start_ticks) {
		close(fd);
		return -ESRCH;
	}
	int rc = pidfd_send_signal(fd, sig, NULL, 0) < 0 ? -errno : 0;

	close(fd);
	return rc;
}

/* True when pid's /proc cgroup file names a group whose last component is
 * group: the pair's own cgroup, whichever controller lists it. */
static bool job_in_group(const char *proc_root, pid_t pid, const char *group)
{
	char path[256], buf[4096];
	size_t glen = strlen(group);

	snprintf(path, sizeof(path), "%s/%d/cgroup", proc_root, (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);

	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	char *save = NULL;

	for (char *line = strtok_r(buf, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		size_t len = strlen(line);

		if (len > glen && line[len - glen - 1] == '/' &&
		    strcmp(line + len - glen, group) == 0)
			return true;
	}
	return false;
}

int job_signal_tree(struct job *job, const char *proc_root, int sig, const struct tree_sample *tree,
                    const pid_t *extra, int n_extra, const char *extra_group)
{
	int sent = 0;

	if (job->pidfd >= 0 && !job->reaped && pidfd_send_signal(job->pidfd, sig, NULL, 0) == 0)
		sent++;
	if (job->is_child && !job->reaped && killpg(job->pid, sig) == 0)
		sent++;
	for (size_t i = 0; tree != NULL && i < tree->n_procs; i++) {
		const struct proc_sample *p = &tree->procs[i];

		if (p->pid != job->pid &&
		    job_signal_pid(proc_root, p->pid, p->start_ticks, sig) == 0)
			sent++;
	}
	for (int i = 0; extra_group != NULL && i < n_extra; i++) {
		if (extra[i] == job->pid)
			continue;
		int fd = pidfd_open(extra[i], 0);

		if (fd < 0)
			continue;
		/* The pidfd pins the process; still in our group means ours. */
		if (job_in_group(proc_root, extra[i], extra_group) &&
		    pidfd_send_signal(fd, sig, NULL, 0) == 0)
			sent++;
		close(fd);
	}
	return sent;
}

const char *job_signal_name(int sig)
{
	switch (sig) {
	case SIGKILL:
		return "SIGKILL";
	case SIGTERM:
		return "SIGTERM";
	case SIGINT:
		return "SIGINT";
	case SIGSTOP:
		return "SIGSTOP";
	case SIGCONT:
		return "SIGCONT";
	case SIGSEGV:
		return "SIGSEGV";
	case SIGABRT:
		return "SIGABRT";
	case SIGBUS:
		return "SIGBUS";
	case SIGHUP:
		return "SIGHUP";
	case SIGPIPE:
		return "SIGPIPE";
	case SIGQUIT:
		return "SIGQUIT";
	case SIGFPE:
		return "SIGFPE";
	case SIGILL:
		return "SIGILL";
	case SIGUSR1:
		return "SIGUSR1";
	case SIGUSR2:
		return "SIGUSR2";
	case SIGALRM:
		return "SIGALRM";
	case SIGXCPU:
		return "SIGXCPU";
	default:
		return "SIGNAL";
	}
}
