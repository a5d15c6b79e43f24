/* mergewatch's own collector timed on a live process, for `make bench`:
 * the same proctree code ./mergewatch runs, linked from build/collectors.
 *
 *   collector-bench always PID [ITER] [WARM]  proctree_sample, every thread's
 *                                             state and wait channel read, and
 *                                             what each waits for judged (a
 *                                             scan near a verdict)
 *   collector-bench scan PID [ITER] [WARM]    the same without judging the
 *                                             waits (the dashboard's scan at
 *                                             every tick away from a verdict)
 *   collector-bench never PID [ITER] [WARM]   proctree_sample without the
 *                                             thread scan (headless away from a
 *                                             verdict; a still tree's schedule
 *                                             counts are read all the same)
 *   collector-bench rss PID [ITER] [WARM]     proctree_sample_rss, the fast
 *                                             check near the kill line
 *
 * Prints one line in floor's format: "mode=M pid=P iter=N threads=T
 * us_median=X us_mean=Y us_min=Z". Exit status 0, 1 when the process is
 * gone or unreadable, 2 on a bad command line.
 *
 * Like mergewatch (main.c) and the floor, it raises its soft limit of open
 * files to the hard one first: the collector sizes its budget of kept-open
 * thread files from that limit, so under Debian's soft 1024 it would reopen
 * files mergewatch keeps open. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "../collectors/proctree.h"

enum cb_mode {
	CB_ALWAYS,
	CB_SCAN,
	CB_NEVER,
	CB_RSS,
};

static uint64_t cb_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static const struct tree_sample *cb_sample(struct proctree *pt, enum cb_mode mode, uint64_t t_ms)
{
	switch (mode) {
	case CB_ALWAYS:
	case CB_SCAN:
		return proctree_sample(pt, t_ms, PROCTREE_THREADS_ALWAYS);
	case CB_NEVER:
		return proctree_sample(pt, t_ms, PROCTREE_THREADS_NEVER);
	case CB_RSS:
		break;
	}
	return proctree_sample_rss(pt, t_ms);
}

static int cb_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static int cb_usage(void)
{
	fprintf(stderr, "usage: collector-bench always|scan|never|rss PID [ITER] [WARM]\n");
	return 2;
}

int main(int argc, char **argv)
{
	const struct tree_sample *s = NULL;
	struct proctree *pt;
	struct rlimit nofile;
	enum cb_mode mode;
	uint64_t *ns, sum = 0;
	long pid, iter = 200, warm = 20, i;

	if (argc < 3)
		return cb_usage();
	if (strcmp(argv[1], "always") == 0)
		mode = CB_ALWAYS;
	else if (strcmp(argv[1], "scan") == 0)
		mode = CB_SCAN;
	else if (strcmp(argv[1], "never") == 0)
		mode = CB_NEVER;
	else if (strcmp(argv[1], "rss") == 0)
		mode = CB_RSS;
	else
		return cb_usage();
	pid = strtol(argv[2], NULL, 10);
	if (argc > 3)
		iter = strtol(argv[3], NULL, 10);
	if (argc > 4)
		warm = strtol(argv[4], NULL, 10);
	if (pid <= 0 || iter <= 0 || warm < 0)
		return cb_usage();
	if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max) {
		nofile.rlim_cur = nofile.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &nofile);
	}
	pt = proctree_new("/proc", (pid_t)pid, 0);
	ns = calloc((size_t)iter, sizeof *ns);
	if (pt == NULL || ns == NULL)
		return 1;
	proctree_set_judge(pt, mode != CB_SCAN);
	/* The fast read needs one full sample to know the tree. */
	s = proctree_sample(pt, 0, PROCTREE_THREADS_ALWAYS);
	for (i = 0; i < warm; i++)
		s = cb_sample(pt, mode, (uint64_t)i);
	for (i = 0; i < iter; i++) {
		uint64_t t0 = cb_now_ns();

		s = cb_sample(pt, mode, (uint64_t)(warm + i));
		ns[i] = cb_now_ns() - t0;
		sum += ns[i];
	}
	if (!s->root_alive) {
		fprintf(stderr, "collector-bench: process %ld has gone\n", pid);
		return 1;
	}
	qsort(ns, (size_t)iter, sizeof *ns, cb_cmp_u64);
	/* A full sample's thread count from the last one taken. */
	if (mode == CB_RSS)
		s = proctree_sample(pt, 0, PROCTREE_THREADS_ALWAYS);
	printf("mode=%s pid=%ld iter=%ld threads=%d scanned=%zu us_median=%.2f us_mean=%.2f "
	       "us_min=%.2f\n",
	       argv[1], pid, iter, s->threads, s->n_threads_v, (double)ns[iter / 2] / 1000.0,
	       (double)sum / (double)iter / 1000.0, (double)ns[0] / 1000.0);
	proctree_free(pt);
	free(ns);
	return 0;
}
