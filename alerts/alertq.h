/* The alerts waiting to be posted: kill and deadlock alerts first, then by
 * age; bounded, dropping the oldest low-priority alert on overflow. Plain
 * data so the caller can look inside. */
#ifndef MW_ALERTQ_H
#define MW_ALERTQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../core/event.h"

enum {
	ALERTQ_ROOM = 320, /* the bound (alerts.h's 256) plus a failed message put back */
};

struct alert_entry {
	struct event *event;  /* owned copy (event_dup), stamped */
	enum alert_kind kind; /* event_alert_kind */
	const char *pair;     /* borrowed from event; NULL: none */
	bool urgent;          /* kill and deadlock go first, are dropped last */
	uint64_t seq;         /* order of offer */
	int attempts;         /* posts of it so far */
};

struct alertq {
	struct alert_entry *items[ALERTQ_ROOM]; /* urgent first, then by seq */
	int n;
};

/* A new entry holding a copy of event, stamped with wall_ms if it was not.
 * Returns NULL on allocation failure. */
struct alert_entry *alertq_entry_new(const struct event *event, enum alert_kind kind, uint64_t seq,
                                     uint64_t wall_ms);
void alertq_entry_free(struct alert_entry *e);

/* Adds e while keeping at most bound entries. Returns the entry that had to
 * go to make room, for the caller to report and free: the oldest one that
 * is not urgent, or e itself when everything waiting outranks it, or the
 * oldest urgent one when all are; NULL when nothing had to go. */
struct alert_entry *alertq_push(struct alertq *q, struct alert_entry *e, int bound);

/* Puts e back in its place (after a failed post), beyond the bound if need
 * be but within ALERTQ_ROOM. Returns false (e not taken) when full. */
bool alertq_put_back(struct alertq *q, struct alert_entry *e);

/* Removes the first n entries (the next to go), copying them into out. */
void alertq_take(struct alertq *q, struct alert_entry **out, int n);

#endif
