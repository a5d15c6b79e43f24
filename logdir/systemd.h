/* Running as a systemd service: the journal and the service manager's
 * notifications, spoken over their documented datagram protocols (the
 * journal's native protocol, sd_notify's) so no libsystemd is needed.
 * Every send is non-blocking: a busy journald drops a line, never stalls
 * the loop. */
#ifndef MW_SYSTEMD_H
#define MW_SYSTEMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct journal;

/* The journal, when standard error is connected to it: JOURNAL_STREAM
 * ("DEV:INODE", set by systemd) names standard error's own device and
 * inode. NULL otherwise (no error: the service is not under systemd, or
 * stderr was redirected elsewhere). The socket is the native protocol's
 * /run/systemd/journal/socket. identifier is SYSLOG_IDENTIFIER (copied). */
struct journal *journal_open(const char *identifier);
void journal_free(struct journal *j);

/* Sends one entry: MESSAGE=message, PRIORITY=priority (syslog's level,
 * core/event.h's event_priority), SYSLOG_IDENTIFIER,
 * MERGEWATCH_EVENT=event, MERGEWATCH_PAIR=pair (omitted when NULL) and
 * MERGEWATCH_RUN_ID=run_id (omitted when NULL). Values with a newline use
 * the protocol's length-prefixed form. 0, or -errno (the entry is lost). */
int journal_send(struct journal *j, int priority, const char *message, const char *event,
                 const char *pair, const char *run_id);

/* sd_notify(3): sends state ("READY=1", "WATCHDOG=1", "STOPPING=1") to
 * $NOTIFY_SOCKET (a path, or @abstract). 0 when sent, 1 when there is no
 * NOTIFY_SOCKET, -errno on failure. */
int sd_notify_send(const char *state);

/* The watchdog interval systemd expects pings within ($WATCHDOG_USEC, for
 * this process when $WATCHDOG_PID is unset or names it), in ms; 0 none. */
uint64_t sd_watchdog_ms(void);

#endif
