/* Groups the kernel has not let go of yet: an exiting process leaves its
 * group a moment after it is reaped, so a finished pair's group is removed
 * from a timer, never by waiting. */
#include "run_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static void run_on_cgroup_retry(void *ctx, uint64_t now_ms)
{
	struct run *run = ctx;
	int kept = 0;

	run->cgroup_timer = 0;
	for (int i = 0; i < run->n_pending_cgroups; i++) {
		if (cgroup_remove(run->pending_cgroups[i]) < 0)
			run->pending_cgroups[kept++] = run->pending_cgroups[i];
	}
	run->n_pending_cgroups = kept;
	/* An exiting process leaves its group a moment after it is reaped;
	 * retry for about ten seconds, then leave the empty group be. */
	if (kept > 0 && ++run->cgroup_tries < 50)
		run->cgroup_timer =
			loop_add_timer(run->loop, now_ms + 200, run_on_cgroup_retry, run);
}

void run_release_cgroup(struct run *run, struct cgroup *cg)
{
	if (cg == NULL || cgroup_remove(cg) == 0)
		return;
	if (run->n_pending_cgroups ==
	    (int)(sizeof(run->pending_cgroups) / sizeof(run->pending_cgroups[0]))) {
		cgroup_free(cg);
		return;
	}
	run->pending_cgroups[run->n_pending_cgroups++] = cg;
	run->cgroup_tries = 0;
	if (run->cgroup_timer == 0)
		run->cgroup_timer = loop_add_timer(run->loop, loop_now_ms(run->loop) + 50,
		                                   run_on_cgroup_retry, run);
}

void run_release_cgroups_now(struct run *run)
{
	/* Last tries for groups the kernel still held: their processes were
	 * killed, so they empty within moments. */
	for (int i = 0; i < run->n_pending_cgroups; i++) {
		struct cgroup *cg = run->pending_cgroups[i];
		struct timespec pause = { 0, 20 * 1000 * 1000 };
		int rc = cgroup_remove(cg);

		for (int tries = 0; rc == -EBUSY && tries < 100; tries++) {
			(void)cgroup_kill(cg);
			nanosleep(&pause, NULL);
			rc = cgroup_remove(cg);
		}
		if (rc < 0) {
			fprintf(stderr, "mergewatch: cannot remove %s: %s\n", cgroup_path(cg),
			        strerror(-rc));
			cgroup_free(cg);
		}
	}
	run->n_pending_cgroups = 0;
}
