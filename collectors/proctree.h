/* A pair's process tree: the root and every descendant, found again at each
 * full sample (children come and go). Files of known processes are kept open
 * and read with pread, so the fast RSS check near the kill line costs about a
 * microsecond a process. Processes and threads that vanish mid-read are
 * normal: they are dropped from the sample, never reported as errors. */
#ifndef MW_PROCTREE_H
#define MW_PROCTREE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "sample.h"

struct proctree;

enum proctree_threads {
	PROCTREE_THREADS_NEVER,      /* never read per-thread state */
	PROCTREE_THREADS_WHEN_STILL, /* only when the tree's CPU time and I/O stood still since the
	                                last full sample */
	PROCTREE_THREADS_ALWAYS,     /* every full sample (the dashboard shows them) */
};

/* Watches the tree rooted at root under proc_root ("/proc" in production).
 * start_ticks, when non-zero, is the root's expected start time: a root whose
 * start time differs is a recycled PID and counts as gone. Returns NULL with
 * errno set on allocation failure only (a root already gone is a valid,
 * empty tree). */
struct proctree *proctree_new(const char *proc_root, pid_t root, uint64_t start_ticks);
void proctree_free(struct proctree *pt);

/* Makes the members of the pair's group (group_dir/cgroup.procs: a cgroup
 * or a systemd scope) part of the tree at every full sample, wherever their
 * parent is, with their descendants: a process that double-forked or
 * called setsid is still counted. NULL or "": the tree only. 0 or
 * -ENOMEM. */
int proctree_set_group(struct proctree *pt, const char *group_dir);

/* More roots of the pair's, counted with their descendants at every full
 * sample from now on: its orphans that mergewatch adopted as their
 * subreaper (collectors/orphans.h). The list is copied; n 0 clears it.
 * 0 or -ENOMEM. */
int proctree_set_extra(struct proctree *pt, const pid_t *pids, size_t n);

/* A full sample at monotonic time t_ms: rediscovers the tree, reads every
 * process's stat, status (its memory: RssAnon + RssShmem) and io, and per-thread state and wait
 * channel as threads says. Returns the sample, owned by pt and valid until the next call of
 * proctree_sample (fast reads leave it alone) or proctree_free; never NULL. */
const struct tree_sample *proctree_sample(struct proctree *pt, uint64_t t_ms,
                                          enum proctree_threads threads);

/* A fast read: only the RSS of the processes known from the last full sample
 * (kept-open status). Returns a sample with full = false whose rss_bytes,
 * t_ms, root and root_alive are valid, valid until the next fast read; the
 * last full sample stays valid. */
const struct tree_sample *proctree_sample_rss(struct proctree *pt, uint64_t t_ms);

/* Whether a thread scan of a still tree also judges what each blocked
 * thread waits for (collectors/waits.h: a syscall file a thread, more for
 * those waiting on descriptors). On by default; the runner turns it off
 * while no verdict is near, so the dashboard's scan at every sample stays
 * cheap. */
void proctree_set_judge(struct proctree *pt, bool judge);

/* The root's start time as read at the first successful sample, 0 if never. */
uint64_t proctree_root_start_ticks(const struct proctree *pt);

#endif
