/* Which alerts are repeats: at most one per (pair, kind) per cooldown, none
 * for a (pair, kind) the operator acknowledged until it resolves or the pair
 * starts again. Pure bookkeeping: time comes in as a parameter. */
#ifndef MW_COOLDOWN_H
#define MW_COOLDOWN_H

#include <stdbool.h>
#include <stdint.h>

#include "../core/event.h"

struct cooldown;

/* Returns NULL on allocation failure. cooldown_ms 0: no cooldown. */
struct cooldown *cooldown_new(uint64_t cooldown_ms);
void cooldown_free(struct cooldown *c);

/* Decides whether an alert-worthy event (kind from event_alert_kind) goes
 * out at now_ms, and records it:
 *   - resolved and run_end always pass; a resolved also ends the
 *     acknowledgement of the (pair, kind) it resolves;
 *   - others pass unless acknowledged or inside the cooldown of the last
 *     one let through, and become the "latest" alert for cooldown_ack_latest.
 * When memory runs out it lets the alert through: a repeat is better than a
 * silence. */
bool cooldown_pass(struct cooldown *c, const struct event *event, enum alert_kind kind,
                   uint64_t now_ms);

/* Acknowledges the latest alert: its (pair, kind) stops passing until it
 * resolves. Returns 0, or -ENOENT when no alert was offered yet. */
int cooldown_ack_latest(struct cooldown *c);

/* The pair starts a new attempt: its acknowledgements end. */
void cooldown_pair_started(struct cooldown *c, const char *pair);

#endif
