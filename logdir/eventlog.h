/* The event log: one JSON object per line, flushed as it is written, to
 * standard output (headless) and/or a file. */
#ifndef MW_EVENTLOG_H
#define MW_EVENTLOG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct event;

struct eventlog;

/* Writes to out (borrowed; NULL: none) and appends to path (NULL: none).
 * Returns NULL with err naming the path when the file cannot be opened. */
struct eventlog *eventlog_new(FILE *out, const char *path, char *err, size_t errlen);
void eventlog_free(struct eventlog *log);

/* Writes ev as one JSON line (eventjson_encode, "ts" from ev->wall_ms) to
 * every sink. A sink that fails (disk full, a
 * closed pipe) is reported once through the return value and then dropped
 * so enforcement goes on: returns 0, or -errno the first time a sink fails.
 * err names the sink. */
int eventlog_write(struct eventlog *log, const struct event *ev, char *err, size_t errlen);

/* When standard error is the journal (JOURNAL_STREAM), also sends every
 * event there as one human sentence (core/text) with its priority and the
 * pair, event and run_id (copied) as fields (logdir/systemd.h). Returns
 * true when the journal is in use. */
bool eventlog_enable_journal(struct eventlog *log, const char *run_id);

/* Stops writing to standard output (the dashboard took the terminal over, or
 * the terminal went away). The file sink stays. */
void eventlog_mute_stdout(struct eventlog *log);

#endif
