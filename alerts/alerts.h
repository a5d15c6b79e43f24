/* Alerts to a team chat webhook: which events are worth one, cooldown and
 * acknowledgement, a bounded queue where kill and deadlock alerts outrank the
 * rest, merging of alerts that wait, and delivery through libcurl's multi
 * interface driven by the main poll loop — nothing here blocks the watchdog
 * (alerts_send_test excepted, which the loop never calls).
 *
 * Delivery rules (docs/alerts.md has the user's view):
 *   - any 2xx is success;
 *   - 5xx, 408, timeouts and connection errors are retried with exponential
 *     backoff and jitter; 429 waits as long as Retry-After (or Discord's
 *     "retry_after") says;
 *   - 400, 401, 403, 404, 410 are final and mark the destination broken;
 *   - at most one message per min_interval_ms; alerts that wait meanwhile
 *     go out together as one message;
 *   - at most ALERTS_QUEUE_MAX alerts wait: on overflow the oldest
 *     low-priority one is dropped (alert_failed) and the next message says
 *     how many were.
 * Results come back as alert_sent / alert_failed events through emit, with
 * kind, pair, attempts, http_status and/or error: never the URL. */
#ifndef MW_ALERTS_H
#define MW_ALERTS_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../core/event.h"
#include "../plan/plan.h"

enum {
	ALERTS_QUEUE_MAX = 256, /* alerts waiting to be posted */
	ALERTS_BATCH_MAX = 32,  /* alerts merged into one message at most */
	ALERTS_MAX_POLLFDS = 8, /* what alerts_pollfds may fill */
	ALERTS_RETRY_AFTER_MAX_MS = 15 * 60 * 1000,
};

struct alerts_config {
	const char *url; /* the secret; NULL or "": alerts disabled (everything
	                  * still works, nothing posted). Copied. */
	enum webhook_format format;
	uint64_t cooldown_ms; /* at most one alert per (pair, kind) per cooldown */
	const char *host;     /* names the machine in texts; NULL: gethostname() */
	/* Tuning, mostly for tests; 0 means the default in brackets. */
	uint64_t connect_timeout_ms; /* [5000] */
	uint64_t total_timeout_ms;   /* [10000] a post that takes longer is retried */
	uint64_t min_interval_ms;    /* [1000] from the end of one post to the start of the next */
	uint64_t backoff_base_ms;    /* [1000] first retry's delay, doubled each time */
	uint64_t backoff_cap_ms;     /* [60000] longest retry delay (a 429's Retry-After is
	                              * honoured up to ALERTS_RETRY_AFTER_MAX_MS) */
	int max_attempts;            /* [8] posts of one alert before alert_failed */
	uint64_t jitter_seed;        /* [getpid() ^ clock] seed of the backoff jitter */
};

/* emit: how the module reports alert_sent / alert_failed events back to the
 * runner (which logs them); ev is the module's, valid during the call (the
 * runner stamps its time). It may call alerts_offer (which ignores these
 * events). */
typedef void (*alerts_emit_fn)(void *ctx, struct event *ev);

struct alerts;

/* Returns a new module, or NULL with err saying why (naming at most the
 * URL's host). With no URL it still tracks cooldown and acknowledgements but
 * posts nothing and emits nothing. */
struct alerts *alerts_new(const struct alerts_config *cfg, alerts_emit_fn emit, void *emit_ctx,
                          char *err, size_t errlen);

/* Frees everything; a post in flight is abandoned silently (call
 * alerts_abandon first to have the undelivered ones reported). NULL is
 * ignored. */
void alerts_free(struct alerts *a);

/* Every event the runner emits (borrowed; copied if kept). Decides if it is
 * alert-worthy (event_alert_kind: approach, bloat, deadlock, stall, pressure,
 * kill, pair_end with status failed or killed — reason gate is a gate
 * timeout —, resolved, run_end) and queues it, applying the cooldown per (pair, kind); resolved
 * and run_end always go through; kill and deadlock outrank the rest. An
 * acknowledged (pair, kind) is not queued until a resolved for it arrives or
 * the pair starts again (pair_start). Never blocks and never posts by itself:
 * alerts_timeout_ms turns 0 so the loop calls alerts_perform. */
void alerts_offer(struct alerts *a, const struct event *event, uint64_t now_ms);

/* Acknowledges the latest alert offered (whether or not its post went out):
 * its (pair, kind) stops repeating until it resolves. Returns 0, or -ENOENT
 * when there is none. Posts already queued still go. */
int alerts_ack_latest(struct alerts *a);

/* Poll integration: fills up to max pollfds the module wants watched (at
 * most ALERTS_MAX_POLLFDS) and returns the count. */
int alerts_pollfds(struct alerts *a, struct pollfd *fds, int max);

/* Milliseconds until alerts_perform must be called again (0: now), or -1
 * when nothing is pending. */
int alerts_timeout_ms(struct alerts *a, uint64_t now_ms);

/* Drives libcurl for the fds that became ready (fds[0..n) as poll returned
 * them; fds not from alerts_pollfds are ignored) and for due timers, starts a
 * due post, and reports results through emit. Never blocks. */
void alerts_perform(struct alerts *a, const struct pollfd *fds, int n, uint64_t now_ms);

/* True when nothing is queued or in flight. */
bool alerts_idle(const struct alerts *a);

/* At exit after the grace period: abandons the post in flight and reports
 * every undelivered alert as alert_failed (error "not delivered before
 * exit"), then drops them. */
void alerts_abandon(struct alerts *a);

/* When the destination answered 400, 401, 403, 404 or 410 (it will not take
 * our posts until someone fixes the URL): a message for the dashboard naming
 * the host, borrowed until the next call; NULL otherwise. A later success
 * clears it. */
const char *alerts_broken(const struct alerts *a);

/* `mergewatch check PLAN --test-alert`: posts one test message and waits for
 * the answer. The only blocking call here; never used in the loop. Returns
 * the HTTP status (also in *http_status; 2xx is success) or -errno when no
 * answer came (-EINVAL without a URL); on failure err says why, naming only
 * the host. */
int alerts_send_test(const struct alerts_config *cfg, long *http_status, char *err, size_t errlen);

#endif
