/* The pair's supervisor: a small process that mergewatch starts in its own
 * place (the pair's session, cgroup and oom_score_adj) and that starts the
 * pair's command as its child, stays its parent and writes the command's
 * exit status to a record file in the log directory, atomically. So the
 * status outlives mergewatch, as podman's conmon keeps a container's exit
 * code across an engine restart: a mergewatch that adopts an orphan after a
 * crash learns how it ended, and "no record of an end and no process" means
 * interrupted, never done.
 *
 * The supervisor is a mode of the mergewatch binary (`mergewatch _supervise
 * ...`, started by job_spawn through /proc/self/exe), so nothing else needs
 * installing. It forwards SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1 and
 * SIGUSR2 to the command, reaps the orphans of the command's tree while the
 * command lives (it is their subreaper), and exits as the command did: the
 * same exit code, or killed by the same signal. */
#ifndef MW_SUPERVISE_H
#define MW_SUPERVISE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* argv[1] of the supervisor mode. */
#define SUPERVISE_MODE "_supervise"
/* Its process name: the dashboard shows the job, not mergewatch's helper. */
#define SUPERVISE_COMM "mw-supervise"

/* What a record file says. */
struct supervise_record {
	int64_t token;        /* the attempt it belongs to, as given by mergewatch */
	pid_t pid;            /* the supervisor (the pair's root process) */
	uint64_t start_ticks; /* its start time, stat field 22 */
	bool ended;           /* the command has ended: */
	int exit_code;        /* its exit code, -1 when killed by a signal */
	int term_signal;      /* the signal that killed it, 0 when it exited */
	bool oom_killed;      /* SIGKILLed while the pair's cgroup counted an OOM
	                       * kill: the kernel cap acted (the group itself
	                       * may be gone by the time anyone asks) */
};

/* Reads the record at path. Returns 0; -ENOENT when there is none; -EINVAL
 * with err naming the path when it is not a record (it is never half
 * written: each version is renamed into place). */
int supervise_record_read(const char *path, struct supervise_record *rec, char *err, size_t errlen);

/* Writes rec to path atomically (path.tmp written, fsynced, renamed over
 * path, the directory fsynced). 0 or -errno with err naming the path. */
int supervise_record_write(const char *path, const struct supervise_record *rec, char *err,
                           size_t errlen);

/* The supervisor process: argv after SUPERVISE_MODE is RECORD TOKEN
 * PARENT_PID READY_FD CGROUP COMMAND [ARG...] (CGROUP the pair's cgroup
 * directory, "-" for none). It checks that its parent is still
 * PARENT_PID (a parent death signal, set by job_spawn, covers it until the
 * record is written), writes the record, closes READY_FD (job_spawn reads
 * it to its end, so once job_spawn returns the record is on disk), then runs
 * COMMAND. Returns only on a usage error (2) or when the record cannot be
 * written at the start (127, the reason written to READY_FD). */
int supervise_main(int argc, char **argv);

#endif
