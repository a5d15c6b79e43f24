/* Which events become alerts, and getting them out: cooldown and ack per
 * (pair, kind), a bounded priority queue, one post at a time with merging,
 * rate limit, retries and backoff. The transport is webhook.c; the bodies are
 * payload.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../runner/clock.h"
#include "alerts.h"
#include "payload.h"
#include "secret.h"
#include "text.h"
#include "webhook.h"

enum {
	ALERTS_KIND_LEN = 32,
	ALERTS_DEFAULT_MIN_INTERVAL_MS = 1000,
	ALERTS_DEFAULT_BACKOFF_BASE_MS = 1000,
	ALERTS_DEFAULT_BACKOFF_CAP_MS = 60000,
	ALERTS_DEFAULT_MAX_ATTEMPTS = 8,
	/* Room for a failed message's alerts to go back beyond the bound. */
	ALERTS_QUEUE_ROOM = ALERTS_QUEUE_MAX + ALERTS_BATCH_MAX,
};

struct alert_entry {
	json_t *event;                  /* owned copy, with "ts" */
	char kind[ALERTS_KIND_LEN];     /* text_alert_kind */
	const char *pair;               /* borrowed from event; NULL: none */
	bool urgent;                    /* kill and deadlock go first, are dropped last */
	uint64_t seq;                   /* order of offer */
	int attempts;                   /* posts so far */
};

/* Cooldown and acknowledgement of one (pair, kind). */
struct alert_key {
	char *pair;                     /* "" for none */
	char kind[ALERTS_KIND_LEN];
	bool queued_once;
	uint64_t last_ms;               /* when the last one was let through */
	bool acked;
};

struct alerts {
	char *host;
	enum webhook_format format;
	uint64_t cooldown_ms, min_interval_ms, backoff_base_ms, backoff_cap_ms;
	int max_attempts;
	uint64_t rng;
	alerts_emit_fn emit;
	void *emit_ctx;
	struct webhook *wh;             /* NULL: disabled */

	/* waiting, urgent first, then by seq */
	struct alert_entry *queue[ALERTS_QUEUE_ROOM];
	int n_queue;
	/* in the post in flight */
	struct alert_entry *batch[ALERTS_BATCH_MAX];
	int n_batch;
	int dropped_pending;            /* dropped since the last message said so */
	int batch_dropped;              /* ... and those the message in flight says */
	uint64_t next_post_ms;          /* rate limit, backoff, Retry-After */
	int fail_streak;                /* failed posts in a row, for the backoff */
	uint64_t seq;

	struct alert_key *keys;
	size_t n_keys, cap_keys;
	long latest;                    /* key of the latest alert offered, -1: none */

	json_t *outbox;                 /* events to emit once our state is consistent */
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
	while (json_array_size(a->outbox) > 0) {
		json_t *ev = json_incref(json_array_get(a->outbox, 0));

		json_array_remove(a->outbox, 0);
		if (a->emit != NULL)
			a->emit(a->emit_ctx, ev);
		else
			json_decref(ev);
	}
	a->flushing = false;
}

static void alerts_report(struct alerts *a, const struct alert_entry *e, bool sent,
			  long http_status, const char *error)
{
	json_t *ev = json_pack("{s:s, s:s, s:i}", "event", sent ? "alert_sent" : "alert_failed",
			       "kind", e->kind, "attempts", e->attempts);

	if (ev == NULL)
		return;
	if (e->pair != NULL)
		json_object_set_new(ev, "pair", json_string(e->pair));
	if (http_status > 0)
		json_object_set_new(ev, "http_status", json_integer(http_status));
	if (error != NULL)
		json_object_set_new(ev, "error", json_string(error));
	json_array_append_new(a->outbox, ev);
}

static void alerts_entry_free(struct alert_entry *e)
{
	if (e == NULL)
		return;
	json_decref(e->event);
	free(e);
}

/* ---- cooldown and acknowledgement ---- */

static long alerts_key(struct alerts *a, const char *pair, const char *kind, bool create)
{
	if (pair == NULL)
		pair = "";
	for (size_t i = 0; i < a->n_keys; i++) {
		if (strcmp(a->keys[i].pair, pair) == 0 && strcmp(a->keys[i].kind, kind) == 0)
			return (long)i;
	}
	if (!create)
		return -1;
	if (a->n_keys == a->cap_keys) {
		size_t cap = a->cap_keys ? a->cap_keys * 2 : 16;
		struct alert_key *k = realloc(a->keys, cap * sizeof *k);

		if (k == NULL)
			return -1;
		a->keys = k;
		a->cap_keys = cap;
	}
	struct alert_key *k = &a->keys[a->n_keys];

	memset(k, 0, sizeof *k);
	k->pair = strdup(pair);
	if (k->pair == NULL)
		return -1;
	snprintf(k->kind, sizeof k->kind, "%s", kind);
	return (long)a->n_keys++;
}

/* Decides whether an alert of kind for pair goes out now. */
static bool alerts_pass(struct alerts *a, const json_t *event, const char *kind,
			const char *pair, uint64_t now_ms)
{
	const char *name = json_string_value(json_object_get(event, "event"));
	long k;

	if (strcmp(name, "resolved") == 0) {
		/* A resolution ends the acknowledgement, and always goes out. */
		const char *what = json_string_value(json_object_get(event, "kind"));

		k = what != NULL ? alerts_key(a, pair, what, false) : -1;
		if (k >= 0)
			a->keys[k].acked = false;
		return true;
	}
	if (strcmp(kind, "run_end") == 0 || strcmp(kind, "test") == 0)
		return true;
	k = alerts_key(a, pair, kind, true);
	if (k < 0)
		return true;    /* out of memory: better a repeat than a silence */
	a->latest = k;
	if (a->keys[k].acked)
		return false;
	if (a->keys[k].queued_once && now_ms - a->keys[k].last_ms < a->cooldown_ms)
		return false;
	a->keys[k].queued_once = true;
	a->keys[k].last_ms = now_ms;
	return true;
}

int alerts_ack_latest(struct alerts *a)
{
	if (a->latest < 0)
		return -ENOENT;
	a->keys[a->latest].acked = true;
	return 0;
}

/* ---- the queue ---- */

static bool alerts_before(const struct alert_entry *x, const struct alert_entry *y)
{
	if (x->urgent != y->urgent)
		return x->urgent;
	return x->seq < y->seq;
}

static void alerts_insert(struct alerts *a, struct alert_entry *e)
{
	int pos = a->n_queue;

	while (pos > 0 && alerts_before(e, a->queue[pos - 1]))
		pos--;
	memmove(&a->queue[pos + 1], &a->queue[pos], (size_t)(a->n_queue - pos) * sizeof e);
	a->queue[pos] = e;
	a->n_queue++;
}

static void alerts_remove_at(struct alerts *a, int pos)
{
	memmove(&a->queue[pos], &a->queue[pos + 1], (size_t)(a->n_queue - pos - 1) * sizeof a->queue[0]);
	a->n_queue--;
}

static void alerts_drop(struct alerts *a, struct alert_entry *e)
{
	alerts_report(a, e, false, 0, "dropped: the alert queue was full");
	a->dropped_pending++;
	alerts_entry_free(e);
}

static void alerts_enqueue(struct alerts *a, const json_t *event, const char *kind)
{
	struct alert_entry *e = calloc(1, sizeof *e);

	if (e == NULL)
		return;
	e->event = json_deep_copy(event);
	if (e->event == NULL) {
		free(e);
		return;
	}
	if (json_object_get(e->event, "ts") == NULL) {
		char ts[32];

		json_object_set_new(e->event, "ts",
				    json_string(clock_format_rfc3339(clock_wall_ms(), ts, sizeof ts)));
	}
	snprintf(e->kind, sizeof e->kind, "%s", kind);
	e->pair = json_string_value(json_object_get(e->event, "pair"));
	e->urgent = strcmp(kind, "kill") == 0 || strcmp(kind, "deadlock") == 0;
	e->seq = ++a->seq;
	if (a->n_queue >= ALERTS_QUEUE_MAX) {
		/* The queue is ordered urgent first, oldest first: the oldest
		 * low-priority alert is the first that is not urgent. */
		int victim = 0;

		while (victim < a->n_queue && a->queue[victim]->urgent)
			victim++;
		if (victim == a->n_queue && !e->urgent) {
			alerts_drop(a, e);      /* everything waiting outranks it */
			return;
		}
		if (victim == a->n_queue)
			victim = 0;             /* all urgent: the oldest goes */
		struct alert_entry *old = a->queue[victim];

		alerts_remove_at(a, victim);
		alerts_drop(a, old);
	}
	alerts_insert(a, e);
}

void alerts_offer(struct alerts *a, const json_t *event, uint64_t now_ms)
{
	char kind_buf[ALERTS_KIND_LEN];
	const char *name = json_string_value(json_object_get(event, "event"));
	const char *pair = json_string_value(json_object_get(event, "pair"));
	const char *kind;

	if (name == NULL)
		return;
	if (strcmp(name, "pair_start") == 0 && pair != NULL) {
		/* A new attempt is a new process: what was acknowledged about
		 * the old one no longer holds. */
		for (size_t i = 0; i < a->n_keys; i++) {
			if (strcmp(a->keys[i].pair, pair) == 0)
				a->keys[i].acked = false;
		}
	}
	kind = text_alert_kind(event, kind_buf, sizeof kind_buf);
	if (kind == NULL || !alerts_pass(a, event, kind, pair, now_ms))
		return;
	if (a->wh != NULL)
		alerts_enqueue(a, event, kind);
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
			snprintf(a->broken, sizeof a->broken, "webhook to %s is unusable: %s",
				 host, res->error);
		} else if (alerts_status_broken(status)) {
			snprintf(error, sizeof error, "HTTP %ld from %s: the destination is broken "
				 "(wrong, revoked or deleted webhook URL?); not retried", status, host);
			snprintf(a->broken, sizeof a->broken, "webhook to %s is broken: HTTP %ld — "
				 "check MERGEWATCH_WEBHOOK_URL or webhook_url_file", host, status);
		} else {
			snprintf(error, sizeof error, "HTTP %ld from %s; not retried", status, host);
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
			if (a->batch[i]->attempts >= a->max_attempts) {
				alerts_report(a, a->batch[i], false, status, error);
				alerts_entry_free(a->batch[i]);
			} else {
				alerts_insert(a, a->batch[i]);
			}
		}
		/* The next message tells about the drops this one could not. */
		a->dropped_pending += a->batch_dropped;
		a->n_batch = 0;
		return;
	}
	for (int i = 0; i < a->n_batch; i++)
		alerts_entry_free(a->batch[i]);
	a->n_batch = 0;
}

/* Starts the next post when one is due: every waiting alert that fits goes
 * into it, urgent ones first. */
static void alerts_start_post(struct alerts *a, uint64_t now_ms)
{
	json_t *events[ALERTS_BATCH_MAX];
	char note[128], *text;
	json_t *body;
	size_t n, used;
	int dropped = a->dropped_pending;

	if (a->wh == NULL || webhook_busy(a->wh) || a->n_queue == 0 || now_ms < a->next_post_ms)
		return;
	n = a->n_queue < ALERTS_BATCH_MAX ? (size_t)a->n_queue : ALERTS_BATCH_MAX;
	for (size_t i = 0; i < n; i++)
		events[i] = a->queue[i]->event;
	if (dropped > 0)
		snprintf(note, sizeof note, "(%d more alert%s dropped: the queue was full; "
			 "see the event log)", dropped, dropped == 1 ? " was" : "s were");
	body = payload_build(a->format, a->host, events, n, dropped > 0 ? note : NULL,
			     clock_wall_ms(), &used);
	text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
	if (text == NULL) {
		a->next_post_ms = now_ms + a->min_interval_ms;
		return;         /* out of memory: try again at the next slot */
	}
	for (size_t i = 0; i < used; i++) {
		a->batch[i] = a->queue[i];
		a->batch[i]->attempts++;
	}
	a->n_batch = (int)used;
	memmove(&a->queue[0], &a->queue[used], ((size_t)a->n_queue - used) * sizeof a->queue[0]);
	a->n_queue -= (int)used;
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
	if (!webhook_busy(a->wh) && a->n_queue > 0) {
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
	return a->wh == NULL || (a->n_queue == 0 && a->n_batch == 0 && !webhook_busy(a->wh));
}

void alerts_abandon(struct alerts *a)
{
	static const char why[] = "not delivered before exit";

	if (a->wh != NULL)
		webhook_cancel(a->wh);
	for (int i = 0; i < a->n_batch; i++) {
		alerts_report(a, a->batch[i], false, 0, why);
		alerts_entry_free(a->batch[i]);
	}
	a->n_batch = 0;
	for (int i = 0; i < a->n_queue; i++) {
		alerts_report(a, a->queue[i], false, 0, why);
		alerts_entry_free(a->queue[i]);
	}
	a->n_queue = 0;
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
	a->cooldown_ms = cfg->cooldown_ms;
	a->min_interval_ms = cfg->min_interval_ms ? cfg->min_interval_ms : ALERTS_DEFAULT_MIN_INTERVAL_MS;
	a->backoff_base_ms = cfg->backoff_base_ms ? cfg->backoff_base_ms : ALERTS_DEFAULT_BACKOFF_BASE_MS;
	a->backoff_cap_ms = cfg->backoff_cap_ms ? cfg->backoff_cap_ms : ALERTS_DEFAULT_BACKOFF_CAP_MS;
	a->max_attempts = cfg->max_attempts > 0 ? cfg->max_attempts : ALERTS_DEFAULT_MAX_ATTEMPTS;
	a->rng = cfg->jitter_seed ? cfg->jitter_seed
				  : ((uint64_t)getpid() << 32) ^ clock_mono_us() ^ 0x9E3779B97F4A7C15ULL;
	if (a->rng == 0)
		a->rng = 1;
	a->emit = emit;
	a->emit_ctx = emit_ctx;
	a->latest = -1;
	a->host = alerts_host(cfg->host);
	a->outbox = json_array();
	if (a->host == NULL || a->outbox == NULL) {
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
		a->wh = webhook_new(cfg->url, cfg->connect_timeout_ms, cfg->total_timeout_ms,
				    err, errlen);
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
		alerts_entry_free(a->batch[i]);
	for (int i = 0; i < a->n_queue; i++)
		alerts_entry_free(a->queue[i]);
	for (size_t i = 0; i < a->n_keys; i++)
		free(a->keys[i].pair);
	free(a->keys);
	json_decref(a->outbox);
	free(a->host);
	free(a);
}

int alerts_send_test(const struct alerts_config *cfg, long *http_status, char *err, size_t errlen)
{
	struct webhook_result res;
	json_t *event, *body;
	char *host, *text, why[256];
	size_t used;
	int rc;

	*http_status = 0;
	if (cfg->url == NULL || cfg->url[0] == '\0') {
		snprintf(err, errlen, "no webhook URL: set MERGEWATCH_WEBHOOK_URL or webhook_url_file");
		return -EINVAL;
	}
	if (secret_check_url(cfg->url, why, sizeof why) < 0) {
		snprintf(err, errlen, "%s", why);
		return -EINVAL;
	}
	host = alerts_host(cfg->host);
	event = json_pack("{s:s}", "event", "test");
	body = host != NULL && event != NULL ?
	       payload_build(cfg->format, host, &event, 1, NULL, clock_wall_ms(), &used) : NULL;
	text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
	json_decref(event);
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
			 ? ": the webhook URL is wrong, revoked or deleted" : "");
	}
	return (int)res.http_status;
}
