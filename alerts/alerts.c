/* Which events become alerts, and getting them out: one post at a time with
 * the waiting alerts merged, rate limit, retries with backoff, results
 * reported. Cooldown and ack are cooldown.c, the bounded priority queue
 * alertq.c, the transport webhook.c, the bodies payload.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/clock.h"
#include "alerts.h"
#include "alertq.h"
#include "cooldown.h"
#include "payload.h"
#include "secret.h"
#include "webhook.h"

enum {
	ALERTS_DEFAULT_MIN_INTERVAL_MS = 1000,
	ALERTS_DEFAULT_BACKOFF_BASE_MS = 1000,
	ALERTS_DEFAULT_BACKOFF_CAP_MS = 60000,
	ALERTS_DEFAULT_MAX_ATTEMPTS = 8,
};

_Static_assert(ALERTS_QUEUE_MAX + ALERTS_BATCH_MAX <= ALERTQ_ROOM,
               "a failed message's alerts must fit back into the queue");

struct alerts {
	char *host;
	enum webhook_format format;
	uint64_t min_interval_ms, backoff_base_ms, backoff_cap_ms;
	int max_attempts;
	uint64_t rng;
	alerts_emit_fn emit;
	void *emit_ctx;
	struct webhook *wh; /* NULL: disabled */
	struct cooldown *cooldown;

	struct alertq queue;                         /* waiting */
	struct alert_entry *batch[ALERTS_BATCH_MAX]; /* in the post in flight */
	int n_batch;
	int dropped_pending;   /* dropped since the last message said so */
	int batch_dropped;     /* ... and those the message in flight says */
	uint64_t next_post_ms; /* rate limit, backoff, Retry-After */
	int fail_streak;       /* failed posts in a row, for the backoff */
	uint64_t seq;

	/* events to emit once our state is consistent (event_dup copies) */
	struct event **outbox;
	size_t n_outbox, cap_outbox;
	bool flushing;
	char broken[384];
};

/* xorshift64*: enough randomness for jitter, reproducible from a seed. */
static uint64_t alerts_random(struct alerts *a)
{
	a->rng ^= a->rng >> 12;
	a->rng ^= a->rng << 25;
	a->rng ^= a->rng >> 27;
	return a->rng * 2685821657736338717ULL;
}

static void alerts_flush(struct alerts *a)
{
	if (a->flushing)
		return;
	a->flushing = true;
	/* emit may call alerts_offer, which may add to the outbox. */
	for (size_t i = 0; i < a->n_outbox; i++) {
		if (a->emit != NULL)
			a->emit(a->emit_ctx, a->outbox[i]);
		free(a->outbox[i]);
	}
	a->n_outbox = 0;
	a->flushing = false;
}

static void alerts_report(struct alerts *a, const struct alert_entry *e, bool sent,
                          long http_status, const char *error)
{
	struct event ev = event_init(sent ? EVENT_ALERT_SENT : EVENT_ALERT_FAILED);
	struct event *copy;

	ev.alert_kind = e->kind;
	ev.attempts = e->attempts;
	ev.pair = e->pair;
	if (e->pair != NULL)
		event_set(&ev, EF_PAIR);
	ev.http_status = (int)http_status;
	if (http_status > 0)
		event_set(&ev, EF_HTTP_STATUS);
	ev.error = error;
	if (error != NULL)
		event_set(&ev, EF_ERROR);
	if (a->n_outbox == a->cap_outbox) {
		size_t cap = a->cap_outbox ? a->cap_outbox * 2 : 16;
		struct event **v = realloc(a->outbox, cap * sizeof(*v));

		if (v == NULL)
			return;
		a->outbox = v;
		a->cap_outbox = cap;
	}
	if ((copy = event_dup(&ev)) != NULL)
		a->outbox[a->n_outbox++] = copy;
}

int alerts_ack_latest(struct alerts *a)
{
	return cooldown_ack_latest(a->cooldown);
}

/* A dropped alert is reported at once; the next message says how many. */
static void alerts_drop(struct alerts *a, struct alert_entry *e)
{
	alerts_report(a, e, false, 0, "dropped: the alert queue was full");
	a->dropped_pending++;
	alertq_entry_free(e);
}

void alerts_offer(struct alerts *a, const struct event *event, uint64_t now_ms)
{
	enum alert_kind kind;
	struct alert_entry *e, *gone;

	/* A new attempt is a new process: what was acknowledged about the
	 * old one no longer holds. */
	if (event->kind == EVENT_PAIR_START && event_has(event, EF_PAIR) && event->pair != NULL)
		cooldown_pair_started(a->cooldown, event->pair);
	kind = event_alert_kind(event);
	if (kind == ALERT_NONE || !cooldown_pass(a->cooldown, event, kind, now_ms) || a->wh == NULL)
		return;
	/* The runner stamps its events before we get them; this is only for
	 * callers that did not. */
	e = alertq_entry_new(event, kind, ++a->seq, clock_wall_ms());
	if (e == NULL)
		return;
	gone = alertq_push(&a->queue, e, ALERTS_QUEUE_MAX);
	if (gone != NULL)
		alerts_drop(a, gone);
	alerts_flush(a);
}

/* ---- delivery ---- */

static bool alerts_status_broken(long status)
{
	return status == 400 || status == 401 || status == 403 || status == 404 || status == 410;
}

/* 5xx, 408 Request Timeout, 425 Too Early and 429 Too Many Requests are
 * worth another try; so is any failure to get an answer, except a URL curl
 * cannot use. */
static bool alerts_retriable(const struct webhook_result *res)
{
	long s = res->http_status;

	if (s == 0)
		return res->err != -EINVAL;
	return s >= 500 || s == 408 || s == 425 || s == 429;
}

/* Exponential backoff with "equal jitter": half the delay fixed, half
 * random, so retries of several mergewatch instances spread out. */
static uint64_t alerts_backoff_ms(struct alerts *a)
{
	uint64_t d = a->backoff_base_ms;

	for (int i = 1; i < a->fail_streak && d < a->backoff_cap_ms; i++)
		d *= 2;
	if (d > a->backoff_cap_ms)
		d = a->backoff_cap_ms;
	return d / 2 + alerts_random(a) % (d / 2 + 1);
}

static void alerts_batch_done(struct alerts *a, const struct webhook_result *res, uint64_t now_ms)
{
	const char *host = webhook_host(a->wh);
	long status = res->http_status;
	char error[512];

	/* The rate limit counts from the end of a post, so the destination
	 * sees at most one message per min_interval_ms however long the last
	 * one took to connect. */
	if (a->next_post_ms < now_ms + a->min_interval_ms)
		a->next_post_ms = now_ms + a->min_interval_ms;
	if (status >= 200 && status < 300) {
		for (int i = 0; i < a->n_batch; i++)
			alerts_report(a, a->batch[i], true, status, NULL);
		a->fail_streak = 0;
		a->broken[0] = '\0';
	} else if (!alerts_retriable(res)) {
		if (status == 0) {
			snprintf(error, sizeof error, "%s; not retried", res->error);
			snprintf(a->broken, sizeof a->broken, "webhook is unusable: %s",
			         res->error);
		} else if (alerts_status_broken(status)) {
			snprintf(error, sizeof error,
			         "HTTP %ld from %s: the destination is broken "
			         "(wrong, revoked or deleted webhook URL?); not retried",
			         status, host);
			snprintf(a->broken, sizeof a->broken,
			         "webhook to %s is broken: HTTP %ld — "
			         "check MERGEWATCH_WEBHOOK_URL or webhook_url_file",
			         host, status);
		} else {
			snprintf(error, sizeof error, "HTTP %ld from %s; not retried", status,
			         host);
		}
		for (int i = 0; i < a->n_batch; i++)
			alerts_report(a, a->batch[i], false, status, error);
	} else {
		uint64_t delay;

		a->fail_streak++;
		if (res->have_retry_after && (status == 429 || status == 503)) {
			delay = res->retry_after_ms;
			if (delay > ALERTS_RETRY_AFTER_MAX_MS)
				delay = ALERTS_RETRY_AFTER_MAX_MS;
		} else {
			delay = alerts_backoff_ms(a);
		}
		if (a->next_post_ms < now_ms + delay)
			a->next_post_ms = now_ms + delay;
		if (status != 0)
			snprintf(error, sizeof error, "HTTP %ld from %s", status, host);
		else
			snprintf(error, sizeof error, "%s", res->error);
		for (int i = 0; i < a->n_batch; i++) {
			if (a->batch[i]->attempts >= a->max_attempts ||
			    !alertq_put_back(&a->queue, a->batch[i])) {
				alerts_report(a, a->batch[i], false, status, error);
				alertq_entry_free(a->batch[i]);
			}
		}
		/* The next message tells about the drops this one could not. */
		a->dropped_pending += a->batch_dropped;
		a->n_batch = 0;
		return;
	}
	for (int i = 0; i < a->n_batch; i++)
		alertq_entry_free(a->batch[i]);
	a->n_batch = 0;
}

/* Starts the next post when one is due: every waiting alert that fits goes
 * into it, urgent ones first. */
static void alerts_start_post(struct alerts *a, uint64_t now_ms)
{
	const struct event *events[ALERTS_BATCH_MAX];
	char note[128], *text;
	json_t *body;
	size_t n, used;
	int dropped = a->dropped_pending;

	if (a->wh == NULL || webhook_busy(a->wh) || a->queue.n == 0 || now_ms < a->next_post_ms)
		return;
	n = a->queue.n < ALERTS_BATCH_MAX ? (size_t)a->queue.n : ALERTS_BATCH_MAX;
	for (size_t i = 0; i < n; i++)
		events[i] = a->queue.items[i]->event;
	if (dropped > 0)
		snprintf(note, sizeof note,
		         "(%d more alert%s dropped: the queue was full; "
		         "see the event log)",
		         dropped, dropped == 1 ? " was" : "s were");
	body = payload_build(a->format, a->host, events, n, dropped > 0 ? note : NULL,
	                     clock_wall_ms(), &used);
	text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
	if (text == NULL) {
		/* Out of memory: give up on the first alert rather than retry
		 * the same failure forever. */
		struct alert_entry *first;

		alertq_take(&a->queue, &first, 1);
		alerts_report(a, first, false, 0, "could not build the message: out of memory");
		alertq_entry_free(first);
		a->next_post_ms = now_ms + a->min_interval_ms;
		return;
	}
	alertq_take(&a->queue, a->batch, (int)used);
	a->n_batch = (int)used;
	for (int i = 0; i < a->n_batch; i++)
		a->batch[i]->attempts++;
	a->batch_dropped = dropped;
	a->dropped_pending = 0;
	if (webhook_start(a->wh, text, now_ms) < 0) {
		struct webhook_result res = { .err = -ENOMEM };

		snprintf(res.error, sizeof res.error, "%s: out of memory", webhook_host(a->wh));
		alerts_batch_done(a, &res, now_ms);
	}
	free(text);
}

void alerts_perform(struct alerts *a, const struct pollfd *fds, int n, uint64_t now_ms)
{
	struct webhook_result res;

	if (a->wh == NULL)
		return;
	webhook_perform(a->wh, fds, n, now_ms);
	/* A post can fail at once (refused on loopback): take that result
	 * now too. The rate limit bounds this to two turns. */
	for (int i = 0; i < 2; i++) {
		if (webhook_take_result(a->wh, &res))
			alerts_batch_done(a, &res, now_ms);
		alerts_start_post(a, now_ms);
	}
	alerts_flush(a);
}

int alerts_pollfds(struct alerts *a, struct pollfd *fds, int max)
{
	if (a->wh == NULL)
		return 0;
	return webhook_pollfds(a->wh, fds, max < ALERTS_MAX_POLLFDS ? max : ALERTS_MAX_POLLFDS);
}

int alerts_timeout_ms(struct alerts *a, uint64_t now_ms)
{
	int t;

	if (a->wh == NULL)
		return -1;
	t = webhook_timeout_ms(a->wh, now_ms);
	if (!webhook_busy(a->wh) && a->queue.n > 0) {
		uint64_t d = a->next_post_ms > now_ms ? a->next_post_ms - now_ms : 0;

		if (d > INT32_MAX)
			d = INT32_MAX;
		if (t < 0 || (int)d < t)
			t = (int)d;
	}
	return t;
}

bool alerts_idle(const struct alerts *a)
{
	return a->wh == NULL || (a->queue.n == 0 && a->n_batch == 0 && !webhook_busy(a->wh));
}

void alerts_abandon(struct alerts *a)
{
	static const char why[] = "not delivered before exit";

	if (a->wh != NULL)
		webhook_cancel(a->wh);
	for (int i = 0; i < a->n_batch; i++) {
		alerts_report(a, a->batch[i], false, 0, why);
		alertq_entry_free(a->batch[i]);
	}
	a->n_batch = 0;
	for (int i = 0; i < a->queue.n; i++) {
		alerts_report(a, a->queue.items[i], false, 0, why);
		alertq_entry_free(a->queue.items[i]);
	}
	a->queue.n = 0;
	a->dropped_pending = 0;
	alerts_flush(a);
}

const char *alerts_broken(const struct alerts *a)
{
	return a->broken[0] != '\0' ? a->broken : NULL;
}

/* ---- life cycle ---- */

static char *alerts_host(const char *host)
{
	char name[256];

	if (host != NULL && host[0] != '\0')
		return strdup(host);
	if (gethostname(name, sizeof name) < 0)
		snprintf(name, sizeof name, "localhost");
	name[sizeof name - 1] = '\0';
	return strdup(name);
}

struct alerts *alerts_new(const struct alerts_config *cfg, alerts_emit_fn emit, void *emit_ctx,
                          char *err, size_t errlen)
{
	struct alerts *a = calloc(1, sizeof *a);
	char why[256];

	if (a == NULL) {
		snprintf(err, errlen, "alerts: out of memory");
		return NULL;
	}
	a->format = cfg->format;
	a->min_interval_ms =
		cfg->min_interval_ms ? cfg->min_interval_ms : ALERTS_DEFAULT_MIN_INTERVAL_MS;
	a->backoff_base_ms =
		cfg->backoff_base_ms ? cfg->backoff_base_ms : ALERTS_DEFAULT_BACKOFF_BASE_MS;
	a->backoff_cap_ms =
		cfg->backoff_cap_ms ? cfg->backoff_cap_ms : ALERTS_DEFAULT_BACKOFF_CAP_MS;
	a->max_attempts = cfg->max_attempts > 0 ? cfg->max_attempts : ALERTS_DEFAULT_MAX_ATTEMPTS;
	a->rng = cfg->jitter_seed
	                 ? cfg->jitter_seed
	                 : ((uint64_t)getpid() << 32) ^ clock_mono_us() ^ 0x9E3779B97F4A7C15ULL;
	if (a->rng == 0)
		a->rng = 1;
	a->emit = emit;
	a->emit_ctx = emit_ctx;
	a->host = alerts_host(cfg->host);
	a->cooldown = cooldown_new(cfg->cooldown_ms);
	if (a->host == NULL || a->cooldown == NULL) {
		snprintf(err, errlen, "alerts: out of memory");
		alerts_free(a);
		return NULL;
	}
	if (cfg->url != NULL && cfg->url[0] != '\0') {
		if (secret_check_url(cfg->url, why, sizeof why) < 0) {
			snprintf(err, errlen, "alerts: %s", why);
			alerts_free(a);
			return NULL;
		}
		a->wh = webhook_new(cfg->url, cfg->connect_timeout_ms, cfg->total_timeout_ms, err,
		                    errlen);
		if (a->wh == NULL) {
			alerts_free(a);
			return NULL;
		}
	}
	return a;
}

void alerts_free(struct alerts *a)
{
	if (a == NULL)
		return;
	webhook_free(a->wh);
	for (int i = 0; i < a->n_batch; i++)
		alertq_entry_free(a->batch[i]);
	for (int i = 0; i < a->queue.n; i++)
		alertq_entry_free(a->queue.items[i]);
	cooldown_free(a->cooldown);
	for (size_t i = 0; i < a->n_outbox; i++)
		free(a->outbox[i]);
	free(a->outbox);
	free(a->host);
	free(a);
}

int alerts_send_test(const struct alerts_config *cfg, long *http_status, char *err, size_t errlen)
{
	struct webhook_result res;
	struct event event = event_init(EVENT_TEST);
	const struct event *events[] = { &event };
	json_t *body;
	char *host, *text, why[256];
	size_t used;
	int rc;

	*http_status = 0;
	if (cfg->url == NULL || cfg->url[0] == '\0') {
		snprintf(err, errlen,
		         "no webhook URL: set MERGEWATCH_WEBHOOK_URL or webhook_url_file");
		return -EINVAL;
	}
	if (secret_check_url(cfg->url, why, sizeof why) < 0) {
		snprintf(err, errlen, "%s", why);
		return -EINVAL;
	}
	host = alerts_host(cfg->host);
	body = host != NULL
	               ? payload_build(cfg->format, host, events, 1, NULL, clock_wall_ms(), &used)
	               : NULL;
	text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
	free(host);
	if (text == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	rc = webhook_post_blocking(cfg->url, text, cfg->connect_timeout_ms, cfg->total_timeout_ms,
	                           &res);
	free(text);
	if (rc < 0) {
		snprintf(err, errlen, "%s", res.error);
		return rc;
	}
	*http_status = res.http_status;
	if (res.http_status < 200 || res.http_status >= 300) {
		char h[256];

		secret_url_host(cfg->url, h, sizeof h);
		snprintf(err, errlen, "%s answered HTTP %ld%s", h, res.http_status,
		         alerts_status_broken(res.http_status)
		                 ? ": the webhook URL is wrong, revoked or deleted"
		                 : "");
	}
	return (int)res.http_status;
}
