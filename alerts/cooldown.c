/* Cooldown and acknowledgement per (pair, kind): a small table searched
 * linearly (a run has tens of pairs and a handful of kinds). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cooldown.h"

struct cooldown_key {
	char *pair; /* "" for none */
	enum alert_kind kind;
	bool passed_once;
	uint64_t last_ms; /* when the last one was let through */
	bool acked;
};

struct cooldown {
	uint64_t cooldown_ms;
	struct cooldown_key *keys;
	size_t n_keys, cap_keys;
	long latest; /* key of the latest alert offered, -1: none */
};

struct cooldown *cooldown_new(uint64_t cooldown_ms)
{
	struct cooldown *c = calloc(1, sizeof *c);

	if (c == NULL)
		return NULL;
	c->cooldown_ms = cooldown_ms;
	c->latest = -1;
	return c;
}

void cooldown_free(struct cooldown *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n_keys; i++)
		free(c->keys[i].pair);
	free(c->keys);
	free(c);
}

/* The key of (pair, kind): its index, or -1 (absent and not created, or no
 * memory). */
static long cooldown_key(struct cooldown *c, const char *pair, enum alert_kind kind, bool create)
{
	struct cooldown_key *k;

	if (pair == NULL)
		pair = "";
	for (size_t i = 0; i < c->n_keys; i++) {
		if (strcmp(c->keys[i].pair, pair) == 0 && c->keys[i].kind == kind)
			return (long)i;
	}
	if (!create)
		return -1;
	if (c->n_keys == c->cap_keys) {
		size_t cap = c->cap_keys ? c->cap_keys * 2 : 16;

		k = realloc(c->keys, cap * sizeof *k);
		if (k == NULL)
			return -1;
		c->keys = k;
		c->cap_keys = cap;
	}
	k = &c->keys[c->n_keys];
	memset(k, 0, sizeof *k);
	k->pair = strdup(pair);
	if (k->pair == NULL)
		return -1;
	k->kind = kind;
	return (long)c->n_keys++;
}

bool cooldown_pass(struct cooldown *c, const struct event *event, enum alert_kind kind,
                   uint64_t now_ms)
{
	const char *pair = event_has(event, EF_PAIR) ? event->pair : NULL;
	struct cooldown_key *key;
	long k;

	if (event->kind == EVENT_RESOLVED) {
		/* bloat_resolved ends what was acknowledged of bloat */
		k = cooldown_key(c, pair, alert_kind_condition(kind), false);
		if (k >= 0)
			c->keys[k].acked = false;
		return true;
	}
	if (kind == ALERT_RUN_END || kind == ALERT_TEST)
		return true;
	k = cooldown_key(c, pair, kind, true);
	if (k < 0)
		return true;
	c->latest = k;
	key = &c->keys[k];
	if (key->acked)
		return false;
	if (key->passed_once && now_ms - key->last_ms < c->cooldown_ms)
		return false;
	key->passed_once = true;
	key->last_ms = now_ms;
	return true;
}

int cooldown_ack_latest(struct cooldown *c)
{
	if (c->latest < 0)
		return -ENOENT;
	c->keys[c->latest].acked = true;
	return 0;
}

void cooldown_pair_started(struct cooldown *c, const char *pair)
{
	for (size_t i = 0; i < c->n_keys; i++) {
		if (strcmp(c->keys[i].pair, pair) == 0)
			c->keys[i].acked = false;
	}
}
