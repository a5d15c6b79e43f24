/* Processes mergewatch starts (pairs, verify and capture commands) or
 * attaches to (watch), and how they are signalled: always through a pidfd
 * whose start time was checked, so a recycled PID is never signalled. */
#ifndef MW_JOB_H
#define MW_JOB_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../collectors/sample.h"

struct job_spec {
	const char *command; /* run with /bin/sh -c */
	const char *cwd;     /* NULL: inherit */
	char *const *env;    /* NAME=VALUE added or replaced; may be NULL */
	int n_env;
	const char *pair_name;    /* MERGEWATCH_PAIR; NULL: not set */
	const char *output_path;  /* stdout and stderr appended here */
	const char *cgroup_procs; /* the child joins this cgroup before exec; NULL: none */
	/* Called in the parent with the child's PID while the child waits,
	 * before exec, to be put in its place (a systemd scope); NULL: none.
	 * The child goes on when it returns. */
	void (*place)(void *ctx, pid_t pid);
	void *place_ctx;
	int oom_score_adj;       /* written for the child when != 0 */
	const sigset_t *sigmask; /* the mask to restore in the child */
	/* With a record path, the command runs under the pair's supervisor
	 * (supervise.h): this executable's supervisor mode is the process
	 * started (the job's root), and it runs the command. */
	const char *supervise_record;
	int64_t supervise_token;      /* written into the record: which attempt */
	const char *supervise_cgroup; /* the pair's cgroup directory; NULL: none */
	/* Instead of command: a program and its arguments, run as they are
	 * (argv[0] a path). */
	char *const *argv;
	const int *stdout_fd; /* standard output goes here instead; NULL: output_path */
};

struct job {
	pid_t pid;
	int pidfd;            /* readable when the process has exited */
	uint64_t start_ticks; /* identifies this incarnation of pid */
	bool is_child;        /* ours to reap; false for watch */
	bool reaped;
};

/* Starts spec->command in its own session (so its own process group, and
 * untouched by the terminal's hang-up) with stdin from /dev/null. The
 * environment is ours minus MERGEWATCH_WEBHOOK_URL, plus MERGEWATCH_PAIR and
 * spec->env. Returns 0, or -errno with err saying what failed (the child's
 * chdir or exec failure is reported here, not as a mysterious exit 127). */
int job_spawn(const struct job_spec *spec, struct job *job, char *err, size_t errlen);

/* Attaches to a process mergewatch did not start. Returns 0, or -errno with
 * err naming the PID (-ESRCH: no such process; -EPERM: not ours to watch). */
int job_attach(pid_t pid, const char *proc_root, struct job *job, char *err, size_t errlen);

/* Reaps a child whose pidfd became readable. Returns 1 once it has ended
 * with *exit_code (-1 when killed by a signal) and *term_signal (0 when it
 * exited), 0 while it runs, -errno on error. For attached processes returns
 * 1 once the process is gone, with both unknown (-1 and 0): the exit status
 * belongs to their parent. */
int job_reap(struct job *job, int *exit_code, int *term_signal);

void job_close(struct job *job);

/* Reads the start time (stat field 22) of pid under proc_root; 0 when the
 * process is gone or the file cannot be parsed. */
uint64_t job_start_ticks(const char *proc_root, pid_t pid);

/* 1 when pid under proc_root is the process that started at start_ticks
 * and is not a zombie (it can still run and exit), else 0: gone, recycled,
 * or dead and waiting to be reaped. */
int job_alive(const char *proc_root, pid_t pid, uint64_t start_ticks);

/* The live processes of session sid that started at or after
 * min_start_ticks: what is left of a pair whose root (the session leader,
 * sid) died with the mergewatch that watched it. Scans proc_root once;
 * fills at most max PIDs and returns how many were found (may exceed max). */
int job_session_pids(const char *proc_root, pid_t sid, uint64_t min_start_ticks, pid_t *pids,
                     int max);

/* Sends sig to pid only if its start time is still start_ticks (0: skip the
 * check), through a pidfd opened first so the check and the signal concern
 * the same process. Returns 0, -ESRCH when gone or recycled, or -errno. */
int job_signal_pid(const char *proc_root, pid_t pid, uint64_t start_ticks, int sig);

/* Sends sig to the whole tree: the root through its pidfd, the root's process
 * group while the root is not yet reaped (its PID, and so the group ID, cannot
 * be reused before that), every process of the latest tree sample (checked by
 * start time) and every PID in extra, read from the pair's cgroup named
 * extra_group: each is signalled only if, once its pidfd is open, it is still
 * in that group (a PID freed and reused since the read is not). Returns how
 * many processes were signalled. */
int job_signal_tree(struct job *job, const char *proc_root, int sig, const struct tree_sample *tree,
                    const pid_t *extra, int n_extra, const char *extra_group);

/* Signal names as the event log writes them: "SIGKILL". */
const char *job_signal_name(int sig);

#endif
