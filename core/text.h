/* The human text of an event: one sentence naming the host, the pair, what
 * happened and the figures with their units, for chat messages and for the
 * dashboard's Alerts pane. */
#ifndef MW_TEXT_H
#define MW_TEXT_H

#include <stddef.h>

struct event;

/* Writes the sentence for ev (NULL: "event"), e.g.
 *   "mergewatch@vm-merge-1: pair chr07 bloat — RSS 56.0 GiB = 6.0× its 9.3 GiB input"
 * host NULL leaves the "mergewatch@HOST: " prefix out (the dashboard shows
 * the host in its header). Fields the event lacks are left out of the
 * sentence, never invented; an event read back from a log of another
 * version (EVENT_OTHER) is written as its name and pair. The text is
 * truncated to len (at a UTF-8 boundary). Returns buf. */
char *text_event(const struct event *ev, const char *host, char *buf, size_t len);

/* Cuts s (a NUL-terminated UTF-8 string in a buffer of at least max + 1
 * bytes) to at most max bytes, never inside a character, ending it with "…"
 * when anything was cut. Returns s. */
char *text_truncate(char *s, size_t max);

#endif
