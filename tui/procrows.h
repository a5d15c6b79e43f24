/* The rows of the Processes pane for one pair, with CPU% computed from the
 * previous full sample of the same process. Rebuilt at each full sample, htop
 * style mark-and-sweep: a process seen again keeps its history, a new one
 * starts without a CPU%, a vanished one is simply gone. A process is known
 * by its PID and start time, so a recycled PID starts afresh. Pure data:
 * no curses, no /proc. */
#ifndef MW_TUI_PROCROWS_H
#define MW_TUI_PROCROWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../collectors/sample.h"

struct procrow {
	pid_t pid;
	pid_t ppid;
	uint64_t start_ticks;
	int depth; /* 0 for the root, 1 for its children... */
	char state;
	char comm[SAMPLE_COMM_LEN]; /* raw: escape before showing */
	int threads;
	bool threads_known; /* futex_threads and wchan are valid */
	int futex_threads;
	bool all_futex;
	char wchan[SAMPLE_WCHAN_LEN]; /* raw */
	uint64_t rss_bytes;
	uint64_t cpu_ticks;
	double cpu_percent; /* of one core; < 0: not known yet */
};

struct procrows;

/* Returns an empty set (free with procrows_free), or NULL when out of
 * memory. */
struct procrows *procrows_new(void);
void procrows_free(struct procrows *pr);

/* Takes a tree sample. A fast sample (full false) or one already taken
 * (same t_ms and root) changes nothing; a full one replaces the rows, in tree
 * order (each process followed by its children, by PID; processes whose
 * parent is not in the sample follow at depth 0). Returns 0, or -ENOMEM
 * with the previous rows kept. */
int procrows_update(struct procrows *pr, const struct tree_sample *ts);

/* Forgets every row (the pair's tree is gone). */
void procrows_clear(struct procrows *pr);

size_t procrows_count(const struct procrows *pr);

/* Row i (0 <= i < count) in tree order; borrowed until the next update or
 * clear. */
const struct procrow *procrows_get(const struct procrows *pr, size_t i);

/* The whole tree's CPU% of one core between the last two full samples of
 * the same root, < 0 when not known. */
double procrows_tree_cpu_percent(const struct procrows *pr);

#endif
