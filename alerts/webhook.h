/* One webhook destination, posted to through libcurl's multi interface from
 * the main poll loop: no call here blocks (webhook_post_blocking, for
 * `mergewatch check --test-alert`, is the one exception and is never called
 * from the loop). One post is in flight at a time. What it reports names the
 * destination by its host only: the URL is a secret. */
#ifndef MW_WEBHOOK_H
#define MW_WEBHOOK_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	WEBHOOK_CONNECT_TIMEOUT_MS = 5000,
	WEBHOOK_TOTAL_TIMEOUT_MS = 10000,
	WEBHOOK_BODY_MAX = 4096, /* response bytes kept (Discord's retry_after) */
	WEBHOOK_MAX_SOCKETS = 8,
};

/* How a post ended. */
struct webhook_result {
	long http_status; /* 0: no HTTP answer came */
	int err;          /* 0 when an answer came, else -errno of the transport failure */
	char error[320];  /* "" or what failed, e.g. "127.0.0.1: Couldn't connect to
	                   * server (Connection refused)": names the host, never the URL */
	bool have_retry_after;
	uint64_t retry_after_ms; /* Retry-After header, or Discord's "retry_after" in the body */
};

struct webhook;

/* A destination at url (copied; checked by secret_check_url first) with the
 * given timeouts (0: the defaults above). Calls curl_global_init. Returns
 * NULL with err naming only the host on failure. */
struct webhook *webhook_new(const char *url, uint64_t connect_timeout_ms, uint64_t total_timeout_ms,
                            char *err, size_t errlen);

/* Cancels a post in flight, wipes the URL, frees. NULL is ignored. */
void webhook_free(struct webhook *w);

/* The host of the URL, for messages. Borrowed until webhook_free. */
const char *webhook_host(const struct webhook *w);

/* Starts posting body (JSON, copied) at now_ms. Returns 0, -EBUSY while the
 * previous post is in flight or its result has not been taken, -ENOMEM. A
 * post that fails at once finishes like any other: see webhook_take_result. */
int webhook_start(struct webhook *w, const char *body, uint64_t now_ms);

/* True from webhook_start until webhook_take_result returned the result. */
bool webhook_busy(const struct webhook *w);

/* Writes the sockets libcurl wants watched (at most max) as pollfds; returns
 * how many. */
int webhook_pollfds(const struct webhook *w, struct pollfd *fds, int max);

/* Milliseconds until webhook_perform must run (0: now), or -1. */
int webhook_timeout_ms(const struct webhook *w, uint64_t now_ms);

/* Lets libcurl work on the sockets among fds[0..n) that are ready (others'
 * fds are ignored) and on its due timer. Never blocks. */
void webhook_perform(struct webhook *w, const struct pollfd *fds, int n, uint64_t now_ms);

/* When the post has finished, writes how into out, makes the destination
 * free for the next post and returns true; otherwise returns false. */
bool webhook_take_result(struct webhook *w, struct webhook_result *out);

/* Abandons the post in flight, if any. */
void webhook_cancel(struct webhook *w);

/* Posts body to url and waits for the answer (curl_easy_perform): only for
 * `mergewatch check --test-alert`, never from the loop. Returns 0 when an
 * HTTP answer came (any status, in out->http_status), else out->err, with
 * out->error naming only the host. */
int webhook_post_blocking(const char *url, const char *body, uint64_t connect_timeout_ms,
                          uint64_t total_timeout_ms, struct webhook_result *out);

#endif
