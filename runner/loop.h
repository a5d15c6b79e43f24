/* One poll() loop: file descriptors, timers, pollfd sources that change at
 * every turn (libcurl's sockets), and a hook run once before each sleep (the
 * dashboard redraws there). Nothing in mergewatch blocks outside poll(). */
#ifndef MW_LOOP_H
#define MW_LOOP_H

#include <poll.h>
#include <stdbool.h>
#include <stdint.h>

struct loop;

typedef void (*loop_fd_fn)(void *ctx, int fd, short revents);
typedef void (*loop_timer_fn)(void *ctx, uint64_t now_ms);
typedef void (*loop_hook_fn)(void *ctx, uint64_t now_ms);

/* A source whose pollfds are gathered afresh at every turn. */
struct loop_source {
	void *ctx;
	int (*fill)(void *ctx, struct pollfd *fds, int max); /* returns count */
	int (*timeout_ms)(void *ctx, uint64_t now_ms);       /* -1: none */
	void (*dispatch)(void *ctx, const struct pollfd *fds, int n, uint64_t now_ms);
};

/* Returns NULL on allocation failure. */
struct loop *loop_new(void);
void loop_free(struct loop *loop);

/* Monotonic time in ms, read once per turn (and by loop_refresh_now). */
uint64_t loop_now_ms(const struct loop *loop);
uint64_t loop_refresh_now(struct loop *loop);

/* Watches fd for events. 0, -EEXIST or -ENOMEM. */
int loop_add_fd(struct loop *loop, int fd, short events, loop_fd_fn fn, void *ctx);
void loop_del_fd(struct loop *loop, int fd);

/* Calls fn once at monotonic time when_ms. Returns a timer id (> 0), or 0 on
 * allocation failure. */
uint64_t loop_add_timer(struct loop *loop, uint64_t when_ms, loop_timer_fn fn, void *ctx);
/* Cancels a timer; an id that already fired or 0 is ignored. */
void loop_del_timer(struct loop *loop, uint64_t id);

void loop_set_source(struct loop *loop, const struct loop_source *src);
void loop_set_before_sleep(struct loop *loop, loop_hook_fn fn, void *ctx);

/* Runs until loop_stop. Returns 0, or -errno when poll itself fails. */
int loop_run(struct loop *loop);
void loop_stop(struct loop *loop);

/* One turn with a cap on the wait (tests and the exit grace period). */
int loop_run_once(struct loop *loop, int max_wait_ms);

#endif
