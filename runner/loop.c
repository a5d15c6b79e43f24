#include "loop.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/clock.h"

enum { LOOP_SOURCE_FDS = 64 };

struct loop_fd {
	int fd;
	short events;
	loop_fd_fn fn;
	void *ctx;
};

struct loop_timer {
	uint64_t id;
	uint64_t when_ms;
	loop_timer_fn fn;
	void *ctx;
};

struct loop {
	uint64_t now_ms;
	struct loop_fd *fds;
	int n_fds, cap_fds;
	struct loop_timer *timers; /* unsorted: a handful at most */
	int n_timers, cap_timers;
	uint64_t next_timer_id;
	struct loop_source source;
	bool have_source;
	loop_hook_fn before_sleep;
	void *before_sleep_ctx;
	bool stop;
	struct pollfd *pfds;
	int cap_pfds;
};

struct loop *loop_new(void)
{
	struct loop *loop = calloc(1, sizeof(*loop));

	if (loop != NULL)
		loop->now_ms = clock_mono_ms();
	return loop;
}

void loop_free(struct loop *loop)
{
	if (loop == NULL)
		return;
	free(loop->fds);
	free(loop->timers);
	free(loop->pfds);
	free(loop);
}

uint64_t loop_now_ms(const struct loop *loop)
{
	return loop->now_ms;
}

uint64_t loop_refresh_now(struct loop *loop)
{
	loop->now_ms = clock_mono_ms();
	return loop->now_ms;
}

static bool loop_grow(void **v, int *cap, int need, size_t size)
{
	if (need <= *cap)
		return true;
	int cap_new = *cap ? *cap * 2 : 8;

	while (cap_new < need)
		cap_new *= 2;
	void *p = realloc(*v, (size_t)cap_new * size);

	if (p == NULL)
		return false;
	*v = p;
	*cap = cap_new;
	return true;
}

int loop_add_fd(struct loop *loop, int fd, short events, loop_fd_fn fn, void *ctx)
{
	for (int i = 0; i < loop->n_fds; i++) {
		if (loop->fds[i].fd == fd)
			return -EEXIST;
	}
	if (!loop_grow((void **)&loop->fds, &loop->cap_fds, loop->n_fds + 1, sizeof(*loop->fds)))
		return -ENOMEM;
	loop->fds[loop->n_fds++] = (struct loop_fd){ fd, events, fn, ctx };
	return 0;
}

void loop_del_fd(struct loop *loop, int fd)
{
	for (int i = 0; i < loop->n_fds; i++) {
		if (loop->fds[i].fd == fd) {
			loop->fds[i] = loop->fds[--loop->n_fds];
			return;
		}
	}
}

uint64_t loop_add_timer(struct loop *loop, uint64_t when_ms, loop_timer_fn fn, void *ctx)
{
	if (!loop_grow((void **)&loop->timers, &loop->cap_timers, loop->n_timers + 1,
	               sizeof(*loop->timers)))
		return 0;
	uint64_t id = ++loop->next_timer_id;

	loop->timers[loop->n_timers++] = (struct loop_timer){ id, when_ms, fn, ctx };
	return id;
}

void loop_del_timer(struct loop *loop, uint64_t id)
{
	for (int i = 0; id != 0 && i < loop->n_timers; i++) {
		if (loop->timers[i].id == id) {
			loop->timers[i] = loop->timers[--loop->n_timers];
			return;
		}
	}
}

void loop_set_source(struct loop *loop, const struct loop_source *src)
{
	loop->have_source = src != NULL;
	if (src != NULL)
		loop->source = *src;
}

void loop_set_before_sleep(struct loop *loop, loop_hook_fn fn, void *ctx)
{
	loop->before_sleep = fn;
	loop->before_sleep_ctx = ctx;
}

void loop_stop(struct loop *loop)
{
	loop->stop = true;
}

/* Runs every timer due at now. A timer callback may add or remove timers, so
 * look the earliest due one up again after each call. */
static void loop_fire_timers(struct loop *loop)
{
	for (;;) {
		int due = -1;

		for (int i = 0; i < loop->n_timers; i++) {
			if (loop->timers[i].when_ms <= loop->now_ms &&
			    (due < 0 || loop->timers[i].when_ms < loop->timers[due].when_ms))
				due = i;
		}
		if (due < 0)
			return;
		struct loop_timer t = loop->timers[due];

		loop->timers[due] = loop->timers[--loop->n_timers];
		t.fn(t.ctx, loop->now_ms);
	}
}

static int loop_wait_ms(struct loop *loop, int max_wait_ms)
{
	int64_t wait = max_wait_ms;

	for (int i = 0; i < loop->n_timers; i++) {
		int64_t d = (int64_t)loop->timers[i].when_ms - (int64_t)loop->now_ms;

		if (d < 0)
			d = 0;
		if (wait < 0 || d < wait)
			wait = d;
	}
	if (loop->have_source) {
		int d = loop->source.timeout_ms(loop->source.ctx, loop->now_ms);

		if (d >= 0 && (wait < 0 || d < wait))
			wait = d;
	}
	return (int)wait;
}

int loop_run_once(struct loop *loop, int max_wait_ms)
{
	/* First the hook: what it adds (a started pair's pidfd, a timer) is
	 * waited for in this very poll. */
	if (loop->before_sleep != NULL)
		loop->before_sleep(loop->before_sleep_ctx, loop->now_ms);
	if (loop->stop)
		return 0; /* the hook ended the loop: no more waiting */

	int n_own = loop->n_fds;

	if (!loop_grow((void **)&loop->pfds, &loop->cap_pfds, n_own + LOOP_SOURCE_FDS,
	               sizeof(*loop->pfds)))
		return -ENOMEM;
	for (int i = 0; i < n_own; i++)
		loop->pfds[i] =
			(struct pollfd){ .fd = loop->fds[i].fd, .events = loop->fds[i].events };
	int n_src = 0;

	if (loop->have_source)
		n_src = loop->source.fill(loop->source.ctx, loop->pfds + n_own, LOOP_SOURCE_FDS);

	int rc = poll(loop->pfds, (nfds_t)n_own + (nfds_t)n_src, loop_wait_ms(loop, max_wait_ms));

	if (rc < 0 && errno != EINTR)
		return -errno;
	loop_refresh_now(loop);
	if (rc > 0) {
		/* Dispatch from the copy, each fd looked up again: a callback
		 * may have removed it. */
		for (int i = 0; i < n_own && !loop->stop; i++) {
			if (loop->pfds[i].revents == 0)
				continue;
			for (int j = 0; j < loop->n_fds; j++) {
				if (loop->fds[j].fd == loop->pfds[i].fd) {
					struct loop_fd f = loop->fds[j];

					f.fn(f.ctx, f.fd, loop->pfds[i].revents);
					break;
				}
			}
		}
	}
	if (loop->have_source && !loop->stop)
		loop->source.dispatch(loop->source.ctx, loop->pfds + n_own, n_src, loop->now_ms);
	if (!loop->stop)
		loop_fire_timers(loop);
	return 0;
}

int loop_run(struct loop *loop)
{
	loop->stop = false;
	while (!loop->stop) {
		int rc = loop_run_once(loop, -1);

		if (rc < 0)
			return rc;
	}
	return 0;
}
