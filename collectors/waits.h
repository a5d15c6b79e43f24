/* What a blocked thread waits for: the system call it sleeps in
 * (/proc/PID/task/TID/syscall: number, arguments), whether that call has a
 * timeout, and what its file descriptors lead to (readlink and stat of
 * /proc/PID/fd/N, the members of an epoll set from /proc/PID/fdinfo/N, the
 * holders of a pipe's other end). The deadlock rule (core/rules.c) decides
 * from the result; the evidence helper prints it. x86-64 system call
 * numbers; elsewhere every wait is judged from its wait channel only. */
#ifndef MW_WAITS_H
#define MW_WAITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "sample.h"

/* The shape of a system call as a wait, from its number and arguments
 * alone (pure, so tests feed it lines of /proc/PID/task/TID/syscall). */
enum wait_shape {
	SHAPE_NONE,   /* not a blocking call, or not in a call */
	SHAPE_TIMED,  /* ends on its own (sleep, a timeout given) */
	SHAPE_FUTEX,  /* untimed futex wait on arg: the word's address */
	SHAPE_FD,     /* untimed wait on one descriptor (read, accept, write...) */
	SHAPE_EPOLL,  /* untimed epoll wait on the set in fd */
	SHAPE_POLL,   /* untimed poll/ppoll: addr is the pollfd array, n its length */
	SHAPE_SELECT, /* untimed select: n descriptors, addr/addr2 the read/write sets */
	SHAPE_CHILD,  /* wait4/waitid: pid (-1: any child) */
	SHAPE_SIGNAL, /* pause, sigsuspend: waits for a signal */
	SHAPE_FLOCK,  /* a file lock wait */
	SHAPE_OTHER,  /* blocked in a call this table does not know */
};

struct wait_call {
	enum wait_shape shape;
	int nr;
	int fd;
	uint64_t addr, addr2;
	uint64_t n;
	pid_t pid;
	bool writing; /* SHAPE_FD: the call writes (the other end is the reader) */
};

/* Parses one syscall file ("running", "-1 sp pc", or "NR a0 .. a5 sp pc").
 * Returns 1 with nr and args set when the thread sleeps in a call, 0 when
 * it is running or outside a call, -EINVAL on garbage. */
int waits_parse_syscall(const char *buf, size_t len, int *nr, uint64_t args[6]);

/* The shape of call nr with args (x86-64 numbers). */
struct wait_call waits_shape(int nr, const uint64_t args[6]);

/* Name of a wait kind for logs and evidence: "lock", "outside", ... */
const char *waits_kind_name(enum wait_kind kind);

struct waits;

/* A judge for one scan at a time under proc_root ("/proc"). NULL when out
 * of memory. */
struct waits *waits_new(const char *proc_root);
void waits_free(struct waits *w);

/* Starts judging the threads of a tree whose processes are pids (borrowed
 * for the scan): a pipe whose other end one of them holds is inside. */
void waits_begin(struct waits *w, const pid_t *pids, size_t n);

/* Judges thread ts (tid, state and wchan already read) of process pid:
 * sets ts->wait, syscall_nr, wait_addr, wait_pid and wait_what. Never fails:
 * what cannot be read is judged from the state and wait channel (a futex
 * wait channel then counts as an untimed lock wait). */
void waits_judge(struct waits *w, pid_t pid, struct thread_sample *ts);

/* waits_judge in two steps, for a caller that keeps the syscall file open
 * (opening it anew costs about four times reading it). The first judges ts
 * from its state alone where that says it all (running, stopped, disk,
 * zombie): true, and ts is judged. False: the thread sleeps, and the second
 * judges it from its syscall file's content, n bytes of buf (n < 0: -errno
 * of the failed read). */
bool waits_judge_state(struct thread_sample *ts);
void waits_judge_call(struct waits *w, pid_t pid, struct thread_sample *ts, const char *buf,
                      ssize_t n);

/* What descriptor fd of pid leads to, in words ("socket", "terminal",
 * "pipe from PID 12 (sh)", "eventfd", "/var/log/x"), with its judgement.
 * writing: the thread writes to it (a pipe's other end is then its reader).
 * Returns the kind (WAIT_INSIDE, WAIT_OUTSIDE, WAIT_TIMED for a timerfd). */
enum wait_kind waits_fd(struct waits *w, pid_t pid, int fd, bool writing, char *what,
                        size_t whatlen, pid_t *peer);

/* A small file (a /proc file) into buf, NUL-terminated; its length or
 * -errno. */
ssize_t waits_slurp(const char *path, char *buf, size_t cap);

#endif
