/* Rows rebuilt from each full sample; the previous rows, sorted by PID, are
 * the memory that CPU% is computed from. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "procrows.h"

#include "../jobs/supervise.h"

struct procrows {
	struct procrow *rows; /* tree order */
	size_t n;
	struct procrow *by_pid; /* the same rows sorted by PID */
	uint64_t t_ms;          /* the sample the rows come from */
	pid_t root;
	bool have_sample;
	uint64_t tree_cpu_ticks;
	double tree_cpu_percent;
};

struct procrows *procrows_new(void)
{
	struct procrows *pr = calloc(1, sizeof *pr);

	if (pr != NULL)
		pr->tree_cpu_percent = -1;
	return pr;
}

void procrows_free(struct procrows *pr)
{
	if (pr == NULL)
		return;
	free(pr->rows);
	free(pr->by_pid);
	free(pr);
}

void procrows_clear(struct procrows *pr)
{
	free(pr->rows);
	free(pr->by_pid);
	pr->rows = NULL;
	pr->by_pid = NULL;
	pr->n = 0;
	pr->have_sample = false;
	pr->tree_cpu_percent = -1;
}

size_t procrows_count(const struct procrows *pr)
{
	return pr->n;
}

const struct procrow *procrows_get(const struct procrows *pr, size_t i)
{
	return i < pr->n ? &pr->rows[i] : NULL;
}

double procrows_tree_cpu_percent(const struct procrows *pr)
{
	return pr->tree_cpu_percent;
}

static int procrows_cmp_pid(const void *a, const void *b)
{
	const struct procrow *ra = a, *rb = b;

	return (ra->pid > rb->pid) - (ra->pid < rb->pid);
}

/* A process of the sample by (ppid, pid) or by pid, for binary searches. */
struct procrows_key {
	pid_t ppid;
	pid_t pid;
	size_t idx; /* into the sample's procs */
};

static int procrows_cmp_parent(const void *a, const void *b)
{
	const struct procrows_key *ka = a, *kb = b;

	if (ka->ppid != kb->ppid)
		return (ka->ppid > kb->ppid) - (ka->ppid < kb->ppid);
	return (ka->pid > kb->pid) - (ka->pid < kb->pid);
}

static int procrows_cmp_key_pid(const void *a, const void *b)
{
	const struct procrows_key *ka = a, *kb = b;

	return (ka->pid > kb->pid) - (ka->pid < kb->pid);
}

/* The first index of keys (sorted by parent) whose ppid is ppid, or n. */
static size_t procrows_first_child(const struct procrows_key *keys, size_t n, pid_t ppid)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (keys[mid].ppid < ppid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void procrows_fill(struct procrow *row, const struct proc_sample *p, int depth,
                          bool threads_known)
{
	memset(row, 0, sizeof *row);
	row->pid = p->pid;
	row->ppid = p->ppid;
	row->start_ticks = p->start_ticks;
	row->depth = depth;
	row->state = p->state;
	memcpy(row->comm, p->comm, sizeof row->comm);
	row->comm[sizeof row->comm - 1] = '\0';
	row->threads = p->num_threads;
	row->threads_known = threads_known;
	if (threads_known) {
		row->futex_threads = p->futex_threads;
		row->all_futex = p->all_futex;
		memcpy(row->wchan, p->top_wchan, sizeof row->wchan);
		row->wchan[sizeof row->wchan - 1] = '\0';
	}
	row->rss_bytes = p->rss_bytes;
	row->cpu_ticks = p->cpu_ticks;
	row->cpu_percent = -1;
}

/* CPU% of one core for ticks used over dt_ms, or -1 when not computable. */
static double procrows_percent(uint64_t ticks_now, uint64_t ticks_before, uint64_t dt_ms,
                               long ticks_per_s)
{
	if (dt_ms == 0 || ticks_per_s <= 0 || ticks_now < ticks_before)
		return -1;
	return (double)(ticks_now - ticks_before) * 1000.0 * 100.0 /
	       ((double)ticks_per_s * (double)dt_ms);
}

int procrows_update(struct procrows *pr, const struct tree_sample *ts)
{
	struct procrows_key *by_parent, *pids;
	struct procrow *rows, *by_pid;
	size_t *stack, n = ts->n_procs, out = 0, top = 0, alloc_n;
	int *depth;
	bool *placed;
	uint64_t dt_ms;

	if (!ts->full)
		return 0;
	if (pr->have_sample && ts->t_ms == pr->t_ms && ts->root == pr->root)
		return 0;
	alloc_n = n ? n : 1;
	rows = calloc(alloc_n, sizeof *rows);
	by_pid = calloc(alloc_n, sizeof *by_pid);
	by_parent = calloc(alloc_n, sizeof *by_parent);
	pids = calloc(alloc_n, sizeof *pids);
	stack = calloc(alloc_n, sizeof *stack);
	depth = calloc(alloc_n, sizeof *depth);
	placed = calloc(alloc_n, sizeof *placed);
	if (rows == NULL || by_pid == NULL || by_parent == NULL || pids == NULL || stack == NULL ||
	    depth == NULL || placed == NULL) {
		free(rows);
		free(by_pid);
		free(by_parent);
		free(pids);
		free(stack);
		free(depth);
		free(placed);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		by_parent[i].ppid = ts->procs[i].ppid;
		by_parent[i].pid = ts->procs[i].pid;
		by_parent[i].idx = i;
	}
	memcpy(pids, by_parent, n * sizeof *pids);
	qsort(by_parent, n, sizeof *by_parent, procrows_cmp_parent);
	qsort(pids, n, sizeof *pids, procrows_cmp_key_pid);

	/* Depth-first from each process whose parent is not in the sample
	 * (normally only the root; the root first, then by ppid and PID). A
	 * process is placed once, so even a sample holding a PID cycle ends. */
	for (size_t k = 0; k < 2 * n; k++) {
		/* The first pass looks for the sample's root only, so that it
		 * always comes first. */
		bool root_pass = k < n;
		size_t start = by_parent[k % n].idx;
		struct procrows_key want = { .pid = by_parent[k % n].ppid };

		if (placed[start])
			continue;
		if (root_pass && ts->procs[start].pid != ts->root)
			continue;
		if (!root_pass && want.pid != ts->procs[start].pid &&
		    bsearch(&want, pids, n, sizeof *pids, procrows_cmp_key_pid) != NULL)
			continue;
		stack[top++] = start;
		placed[start] = true;
		depth[start] = 0;
		while (top > 0) {
			size_t cur = stack[--top], first, last;
			/* A pair's root is its supervisor, mergewatch's own
			 * helper: the rows start with the job it runs. */
			bool hide = ts->procs[cur].pid == ts->root &&
			            strcmp(ts->procs[cur].comm, SUPERVISE_COMM) == 0;

			if (!hide)
				procrows_fill(&rows[out++], &ts->procs[cur], depth[cur],
				              ts->threads_scanned);
			/* Children pushed in reverse PID order so that the
			 * lowest PID is shown first. */
			first = procrows_first_child(by_parent, n, ts->procs[cur].pid);
			for (last = first; last < n && by_parent[last].ppid == ts->procs[cur].pid;
			     last++)
				;
			for (size_t j = last; j-- > first;) {
				size_t child = by_parent[j].idx;

				if (placed[child])
					continue;
				placed[child] = true;
				depth[child] = hide ? depth[cur] : depth[cur] + 1;
				stack[top++] = child;
			}
		}
	}
	/* Whatever no root reached (only a PID cycle) goes at depth 0. */
	for (size_t i = 0; i < n; i++)
		if (!placed[i])
			procrows_fill(&rows[out++], &ts->procs[i], 0, ts->threads_scanned);

	/* Mark and sweep: a row seen before (same PID and start time) gets its
	 * CPU% from the previous ticks; rows not seen again are dropped with
	 * the old arrays. */
	dt_ms = pr->have_sample && ts->t_ms > pr->t_ms ? ts->t_ms - pr->t_ms : 0;
	for (size_t i = 0; i < out; i++) {
		struct procrow key = { .pid = rows[i].pid };
		const struct procrow *old = NULL;

		if (pr->by_pid != NULL)
			old = bsearch(&key, pr->by_pid, pr->n, sizeof *pr->by_pid,
			              procrows_cmp_pid);
		if (old != NULL && old->start_ticks == rows[i].start_ticks)
			rows[i].cpu_percent = procrows_percent(rows[i].cpu_ticks, old->cpu_ticks,
			                                       dt_ms, ts->ticks_per_s);
	}
	memcpy(by_pid, rows, out * sizeof *rows);
	qsort(by_pid, out, sizeof *by_pid, procrows_cmp_pid);

	if (pr->have_sample && pr->root == ts->root)
		pr->tree_cpu_percent =
			procrows_percent(ts->cpu_ticks, pr->tree_cpu_ticks, dt_ms, ts->ticks_per_s);
	else
		pr->tree_cpu_percent = -1;
	free(pr->rows);
	free(pr->by_pid);
	free(by_parent);
	free(pids);
	free(stack);
	free(depth);
	free(placed);
	pr->rows = rows;
	pr->by_pid = by_pid;
	pr->n = out;
	pr->t_ms = ts->t_ms;
	pr->root = ts->root;
	pr->tree_cpu_ticks = ts->cpu_ticks;
	pr->have_sample = true;
	return 0;
}
