/* The human text of an event: one sentence naming the host, the pair, what
 * happened and the figures with their units, for chat messages and for the
 * dashboard's Alerts pane. */
#ifndef MW_TEXT_H
#define MW_TEXT_H

#include <stddef.h>

#include <jansson.h>

/* Writes the sentence for event (an object {"event": NAME, ...} as SPEC "The
 * event log" lists), e.g.
 *   "mergewatch@vm-merge-1: pair chr07 bloat — RSS 56.0 GiB = 6.0× its 9.3 GiB input"
 * host NULL leaves the "mergewatch@HOST: " prefix out (the dashboard shows
 * the host in its header). Missing or mistyped fields are left out of the
 * sentence, never invented; an event this file does not know is written as
 * its name and pair. The text is truncated to len (at a UTF-8 boundary).
 * Returns buf. */
char *text_event(const json_t *event, const char *host, char *buf, size_t len);

/* The alert kind of an event, or NULL when the event is not alert-worthy:
 *   approach, bloat, deadlock, pressure, kill  the event's name
 *   pair_end failed                            "pair_failed", or "gate_timeout"
 *                                              when its reason is "gate"
 *   pair_end killed                            "pair_killed"
 *   resolved                                   "<kind>_resolved", e.g. "bloat_resolved"
 *   run_end                                    "run_end"
 *   test (mergewatch check --test-alert)       "test"
 * Written into buf (32 bytes are enough); returns buf or NULL. */
const char *text_alert_kind(const json_t *event, char *buf, size_t len);

/* The condition an alert is about, as Alertmanager's "alertname": the
 * resolved condition's kind for a resolved event ("bloat"), else the alert
 * kind. NULL when the event is not alert-worthy. Written into buf. */
const char *text_alert_name(const json_t *event, char *buf, size_t len);

/* Cuts s (a NUL-terminated UTF-8 string in a buffer of at least max + 1
 * bytes) to at most max bytes, never inside a character, ending it with "…"
 * when anything was cut. Returns s. */
char *text_truncate(char *s, size_t max);

#endif
