/* A sorted array: a few hundred pointers at most, moved with memmove. */
#include <stdlib.h>
#include <string.h>

#include "alertq.h"

struct alert_entry *alertq_entry_new(const struct event *event, enum alert_kind kind, uint64_t seq,
                                     uint64_t wall_ms)
{
	struct alert_entry *e = calloc(1, sizeof *e);

	if (e == NULL)
		return NULL;
	e->event = event_dup(event);
	if (e->event == NULL) {
		free(e);
		return NULL;
	}
	if (e->event->wall_ms == 0)
		e->event->wall_ms = wall_ms;
	e->kind = kind;
	e->pair = event_has(e->event, EF_PAIR) ? e->event->pair : NULL;
	/* kill and deadlock: the events of priority err */
	e->urgent = event_priority(e->event->kind) == EVENT_PRI_ERR;
	e->seq = seq;
	return e;
}

void alertq_entry_free(struct alert_entry *e)
{
	if (e == NULL)
		return;
	free(e->event);
	free(e);
}

static bool alertq_before(const struct alert_entry *x, const struct alert_entry *y)
{
	if (x->urgent != y->urgent)
		return x->urgent;
	return x->seq < y->seq;
}

bool alertq_put_back(struct alertq *q, struct alert_entry *e)
{
	int pos = q->n;

	if (q->n == ALERTQ_ROOM)
		return false;
	while (pos > 0 && alertq_before(e, q->items[pos - 1]))
		pos--;
	memmove(&q->items[pos + 1], &q->items[pos], (size_t)(q->n - pos) * sizeof e);
	q->items[pos] = e;
	q->n++;
	return true;
}

static struct alert_entry *alertq_remove_at(struct alertq *q, int pos)
{
	struct alert_entry *e = q->items[pos];

	memmove(&q->items[pos], &q->items[pos + 1], (size_t)(q->n - pos - 1) * sizeof e);
	q->n--;
	return e;
}

struct alert_entry *alertq_push(struct alertq *q, struct alert_entry *e, int bound)
{
	struct alert_entry *gone = NULL;

	if (bound > ALERTQ_ROOM)
		bound = ALERTQ_ROOM;
	if (q->n >= bound) {
		/* Ordered urgent first, oldest first: the oldest low-priority
		 * entry is the first that is not urgent. */
		int victim = 0;

		while (victim < q->n && q->items[victim]->urgent)
			victim++;
		if (victim == q->n && !e->urgent)
			return e; /* everything waiting outranks it */
		if (victim == q->n)
			victim = 0; /* all urgent: the oldest goes */
		gone = alertq_remove_at(q, victim);
	}
	alertq_put_back(q, e);
	return gone;
}

void alertq_take(struct alertq *q, struct alert_entry **out, int n)
{
	if (n > q->n)
		n = q->n;
	memcpy(out, q->items, (size_t)n * sizeof *out);
	memmove(&q->items[0], &q->items[n], (size_t)(q->n - n) * sizeof q->items[0]);
	q->n -= n;
}
