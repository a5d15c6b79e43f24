/* Cooldown and acknowledgement per (pair, kind): a small table searched
 * linearly (a run has tens of pairs and a handful of kinds). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cooldown.h"

enum {
	COOLDOWN_KIND_LEN = 32,
};

struct cooldown_key {
	char *pair; /* "" for none */
	char kind[COOLDOWN_KIND_LEN];
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
static long cooldown_key(struct cooldown *c, const char *pair, const char *kind, bool create)
{
	struct cooldown_key *k;

	if (pair == NULL)
		pair = "";
	for (size_t i = 0; i < c->n_keys; i++) {
		if (strcmp(c->keys[i].pair, pair) == 0 && strcmp(c->keys[i].kind, kind) == 0)
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
	snprintf(k->kind, sizeof k->kind, "%s", kind);
	return (long)c->n_keys++;
}

bool cooldown_pass(struct cooldown *c, const json_t *event, const char *kind, uint64_t now_ms)
{
	const char *name = json_string_value(json_object_get(event, "event"));
	const char *pair = json_string_value(json_object_get(event, "pair"));
	struct cooldown_key *key;
	long k;

	if (name != NULL && strcmp(name, "resolved") == 0) {
		const char *what = json_string_value(json_object_get(event, "kind"));

		k = what != NULL ? cooldown_key(c, pair, what, false) : -1;
		if (k >= 0)
			c->keys[k].acked = false;
		return true;
	}
	if (strcmp(kind, "run_end") == 0 || strcmp(kind, "test") == 0)
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
