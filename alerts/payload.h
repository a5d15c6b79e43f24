/* The body of a webhook message in each service's format, built with jansson:
 *   slack, mattermost  {"text": ...}
 *   discord            {"content": ..., "allowed_mentions": {"parse": []}}
 *   teams              {"type": "message", "attachments": [one Adaptive Card 1.4]}
 *   generic            Prometheus Alertmanager's webhook body (version "4",
 *                      status, alerts with labels and annotations) plus
 *                      "text" and "host"
 * One message may carry several alerts (those that waited are merged): one
 * line of text each. */
#ifndef MW_PAYLOAD_H
#define MW_PAYLOAD_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "../core/event.h"
#include "../plan/plan.h"

/* The longest text a message of this format carries, in bytes: what each
 * service accepts, with room to spare (Discord 2000 characters, Slack and
 * Mattermost 4000, Teams cards ~28 KB in all). */
size_t payload_text_limit(enum webhook_format fmt);

/* Builds the body of one message about events[0..n_events) (alert-worthy
 * events, borrowed), taking them in order while their text fits the
 * format's limit: at least the first (cut with "…" if it alone is too long).
 * note (NULL: none) is a last line about the message itself, e.g. "3 more
 * alerts were dropped: the queue was full". host names the machine in the
 * text and labels. wall_ms (ms since the epoch) dates alerts whose event was
 * not stamped. Returns a new reference, with *used set to how many events it
 * carries, or NULL on allocation failure or when there is nothing to say. */
json_t *payload_build(enum webhook_format fmt, const char *host, const struct event *const *events,
                      size_t n_events, const char *note, uint64_t wall_ms, size_t *used);

#endif
