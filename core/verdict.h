/* The verdict on a tree that has stood still for deadlock_window (SPEC
 * "Detection rules"): judged from what each thread waits for, as the
 * collector found it (collectors/waits.h). Pure: a sample in, a verdict out.
 *
 *   paused    a thread is stopped (SIGSTOP, a debugger): never stalled
 *   running   a thread is runnable: not stalled
 *   stall     some thread waits on something outside: a socket, a terminal,
 *             a pipe from another process, a disk (D state), a signal with
 *             no child to send it, or a call that cannot be judged
 *   deadlock  no wait outside, and some process is blocked on itself
 *   waiting   the rest: every process waits on time
 *
 * A process is blocked on itself when it has an untimed futex wait and its
 * main thread (the one whose TID is the PID: the program's own flow) does
 * not wait on time: it sleeps on a lock, on its own eventfd, pipe or epoll
 * set, or on another process of the pair (a child, a pipe's other end) that
 * is itself blocked. A main thread in a timed wait (sleep, Event.wait(5),
 * an event loop with a timer due) makes its process wait on time, whatever
 * its idle pools do; timed waits of other threads (a runtime's timer
 * thread) neither make nor break the verdict.
 */
#ifndef MW_VERDICT_H
#define MW_VERDICT_H

#include <stdbool.h>
#include <sys/types.h>

#include "../collectors/sample.h"

enum verdict_kind {
	VERDICT_UNJUDGED, /* the sample holds no judged waits */
	VERDICT_PAUSED,
	VERDICT_RUNNING,
	VERDICT_WAITING,
	VERDICT_STALL,
	VERDICT_DEADLOCK,
};

enum {
	VERDICT_MAX_BLOCKED = 16, /* blocked PIDs listed */
	VERDICT_MAX_WAITING = 8,  /* outside waits listed */
};

struct verdict_wait {
	pid_t pid, tid;
	char what[SAMPLE_WHAT_LEN];
};

struct verdict {
	enum verdict_kind kind;
	int lock_threads; /* threads in an untimed futex wait */
	/* processes blocked on their own locks */
	pid_t blocked_pids[VERDICT_MAX_BLOCKED];
	int n_blocked, n_blocked_total;
	/* threads waiting outside */
	struct verdict_wait waiting_on[VERDICT_MAX_WAITING];
	int n_waiting, n_waiting_total;
};

/* Judges the threads of s (its waits_scanned must be true, or the verdict
 * is VERDICT_UNJUDGED). Fills *out entirely. */
void verdict_judge(const struct tree_sample *s, struct verdict *out);

/* "paused", "stall", "deadlock", ... */
const char *verdict_kind_name(enum verdict_kind kind);

#endif
