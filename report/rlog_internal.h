/* Shared by the rlog*.c files only. */
#ifndef MW_RLOG_INTERNAL_H
#define MW_RLOG_INTERNAL_H

#include <stdio.h>

#include "../core/event.h"
#include "rlog.h"

/* Room for one more element of size bytes in *v (holding n of *cap).
 * 0 or -ENOMEM. */
int rlog_grow(void **v, size_t *cap, size_t n, size_t size);

/* The pair named name, added (with nothing known) when new; -1 on ENOMEM. */
long rlog_pair_index(struct rlog *log, const char *name);

/* Appends a mark; 0 or -ENOMEM. */
int rlog_add_mark(struct rlog_mark **v, size_t *n, size_t *cap, int64_t t_ms, enum event_kind kind,
                  uint64_t rss_bytes);

/* Reads the next line of fp into *line (getline's buffer) without its
 * newline. Returns 1 for a whole line, 2 for a last line that had no
 * newline (a log cut while it was being written), 0 at the end, -errno. */
int rlog_next_line(FILE *fp, char **line, size_t *cap);

/* rlog_events.c: events.jsonl. */
int rlog_events_load(struct rlog *log, const char *path, char *err, size_t errlen);

/* rlog_samples.c: samples.txt; a missing file is no error. */
int rlog_samples_load(struct rlog *log, const char *path, char *err, size_t errlen);

#endif
