/* The fleet view: a file in the Prometheus text exposition format for
 * node_exporter's textfile collector (--metrics-file PATH; PATH should end
 * in ".prom" and live in the collector's directory). mergewatch grows no
 * server of its own: the team's Prometheus scrapes node_exporter, which
 * reads this file. docs/report.md lists every metric. */
#ifndef MW_METRICS_H
#define MW_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "../core/event.h"
#include "../core/model.h"

enum {
	METRICS_MIN_GAP_MS = 1000, /* at most one rewrite a second (plus the last) */
};

struct metrics;

/* Prepares to write path. Checks now that its directory lets us create
 * path.tmp (created and removed again), so a typo fails at start, not an
 * hour in. Returns the writer (free with metrics_free), or NULL with err
 * naming the path. */
struct metrics *metrics_new(const char *path, char *err, size_t errlen);
void metrics_free(struct metrics *mx);

/* Every event the runner emits (ev borrowed): counts kills by reason (a
 * SIGTERM and its SIGKILL escalation are one kill), pairs ended by status
 * (not the resumed ones: they ended in an earlier run), detections by kind,
 * and alerts sent and failed. Events it does not count are ignored. */
void metrics_event(struct metrics *mx, const struct event *ev);

/* The exposition text for model m at wall_ms (ms since the epoch): HELP and
 * TYPE for every family that has a sample, families grouped. Returns a
 * string the caller frees, NULL when out of memory. */
char *metrics_text(struct metrics *mx, const struct model *m, uint64_t wall_ms);

/* Rewrites the file from m: path.tmp is written and renamed over path, so
 * a reader sees the old file or the new one, never half of one. No fsync:
 * the loop must never wait on a disk busy with the job's output, and a file
 * a power cut took away is rewritten within a second of the next start.
 * Rate-limited to one rewrite per METRICS_MIN_GAP_MS, except once the run
 * is over (m->run_over), when every call writes. Returns 0 (also when
 * skipped), or -errno, with no path.tmp left behind. */
int metrics_write(struct metrics *mx, const struct model *m, uint64_t wall_ms);

/* The path being written (borrowed), for messages. */
const char *metrics_path(const struct metrics *mx);

#endif
