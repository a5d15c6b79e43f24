/* Writing a sentence about an event into a caller's buffer: appending
 * pieces, figures with units; and the sentence writer of each event kind,
 * which event.c's table names. Used by core/ only. */
#ifndef MW_TEXTOUT_H
#define MW_TEXTOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"

enum {
	TEXTOUT_SIZE_LEN = 32, /* room for a size or a duration */
};

/* A sentence being written into buf[len]. What does not fit is cut; cut
 * says so, and textout_cut mends the end. */
struct textout {
	char *buf;
	size_t len;
	size_t used;
	bool cut;
};

/* Appends printf-style; never writes past len. */
void textout_add(struct textout *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Appends before, the size bytes ("9.3 GiB") and after, or nothing when
 * the event lacks the field (have false). */
void textout_add_size(struct textout *t, const char *before, bool have, uint64_t bytes,
                      const char *after);

/* A size ("9.3 GiB") or a duration in seconds ("3m05s") written into buf of
 * TEXTOUT_SIZE_LEN bytes; returns buf. */
const char *textout_size(uint64_t bytes, char *buf);
const char *textout_secs(double s, char *buf);

/* Ends s at max bytes or fewer, at a character boundary, with "…". */
void textout_cut(char *s, size_t max);

/* The sentence of one kind of event, after "pair NAME ". */
typedef void (*text_kind_fn)(struct textout *t, const struct event *ev);

text_kind_fn event_kind_text(enum event_kind k); /* event.c: the table's writer for kind */

void text_run_start(struct textout *t, const struct event *ev);
void text_gate_wait(struct textout *t, const struct event *ev);
void text_pair_start(struct textout *t, const struct event *ev);
void text_progress(struct textout *t, const struct event *ev);
void text_approach(struct textout *t, const struct event *ev);
void text_bloat(struct textout *t, const struct event *ev);
void text_deadlock(struct textout *t, const struct event *ev);
void text_stall(struct textout *t, const struct event *ev);
void text_pressure(struct textout *t, const struct event *ev);
void text_kill(struct textout *t, const struct event *ev);
void text_resolved(struct textout *t, const struct event *ev);
void text_pair_end(struct textout *t, const struct event *ev);
void text_cleanup(struct textout *t, const struct event *ev);
void text_alert_sent(struct textout *t, const struct event *ev);
void text_alert_failed(struct textout *t, const struct event *ev);
void text_run_end(struct textout *t, const struct event *ev);
void text_test(struct textout *t, const struct event *ev);
void text_other(struct textout *t, const struct event *ev);

#endif
