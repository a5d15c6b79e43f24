/* A log directory read back for the report: the event log, the samples
 * file and the state, merged into one picture per pair and for the
 * machine. Plain data; the report renders it. */
#ifndef MW_RLOG_H
#define MW_RLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../core/event.h"

/* One kept sample: a pair's tree RSS (and the highest since the previous
 * one), or the machine's used memory and swap. */
struct rlog_point {
	int64_t t_ms;         /* realtime, ms since the epoch */
	uint64_t lo, hi;      /* pair: rss, max; machine: memory used, swap used */
	char state;           /* pair: its samplelog letter; machine: 0 */
	bool cpu_known;       /* pair: cpu_ms was recorded */
	uint64_t cpu_ms;      /* pair: the tree's CPU time so far */
	uint64_t done, total; /* pair: its latest PROGRESS, total 0 none */
};

/* Something that happened at a moment: drawn as a marker. */
struct rlog_mark {
	int64_t t_ms;
	enum event_kind kind; /* pair_start, approach, bloat, deadlock, kill, pair_end, resolved,
	                       * pressure */
	uint64_t rss_bytes;   /* the event's "rss" (approach, bloat, kill), 0 none */
};

struct rlog_alert {
	int64_t t_ms;
	char kind[32]; /* alert_kind_name */
	char *text;    /* raw sentence (text_event); escape to show */
};

/* Where a pair got to. */
enum rlog_stage {
	RLOG_NOT_STARTED,
	RLOG_RUNNING,
	RLOG_ENDED,
};

struct rlog_pair {
	char *name;    /* raw */
	char *command; /* raw, NULL unknown */
	int attempts;
	enum rlog_stage stage;
	enum event_status status; /* how it ended, once stage is RLOG_ENDED */
	char reason[32];
	bool resumed;            /* done in an earlier run */
	double elapsed_s;        /* of the latest attempt */
	uint64_t input_bytes;    /* 0 unknown or none */
	uint64_t kill_rss_bytes; /* UINT64_MAX unknown or unlimited */
	uint64_t peak_rss_bytes; /* the highest of pair_end, events and samples */
	int exit_code;           /* -1 none */
	char signal[16];         /* "" none */
	bool has_log;            /* <log_dir>/<name>.log exists */
	bool has_evidence;       /* <log_dir>/<name>.deadlock.txt exists */
	struct rlog_point *pts;
	size_t n_pts, cap_pts;
	struct rlog_mark *marks;
	size_t n_marks, cap_marks;
};

struct rlog {
	char *log_dir;
	char *plan;               /* raw, NULL unknown */
	char host[256];           /* from the samples file, "" unknown */
	int runs;                 /* run_start events */
	bool finished;            /* the last run wrote run_end */
	int64_t start_ms, end_ms; /* first and last moment seen, 0 unknown */
	uint64_t mem_total_bytes, swap_total_bytes;
	uint64_t interval_ms;
	uint64_t memory_budget_bytes; /* run_start's, with jobs above 1; 0 none */
	double max_ratio;             /* highest peak/input of a pair done (state), 0 none */
	int alerts_sent, alerts_failed;
	size_t n_events, n_samples;
	struct rlog_pair *pairs; /* first seen first */
	size_t n_pairs, cap_pairs;
	struct rlog_point *sys;
	size_t n_sys, cap_sys;
	struct rlog_mark *sys_marks;
	size_t n_sys_marks, cap_sys_marks;
	struct rlog_alert *alerts;
	size_t n_alerts, cap_alerts;
};

/* Reads log_dir: events.jsonl (required), samples.txt and state (either
 * may be missing). A last line without its newline (a log being written)
 * is left out; any other line that cannot be read is an error. Returns 0
 * and *out (free with rlog_free), or -errno with err naming the file and
 * line: -ENOENT when events.jsonl is missing, -EINVAL for a damaged line,
 * -ENOMEM. */
int rlog_load(const char *log_dir, struct rlog **out, char *err, size_t errlen);
void rlog_free(struct rlog *log);

/* "2026-11-21T10:00:00.123Z" as ms since the epoch, -1 when it is not
 * RFC 3339 UTC. */
int64_t rlog_parse_ts(const char *ts);

/* "running", the pair_end status, or "" when it never started. */
const char *rlog_status_name(const struct rlog_pair *p);

/* The final status of every pair, counted: "done", "failed", "killed",
 * "skipped"; anything else counts as unfinished. */
struct rlog_counts {
	int done, failed, killed, skipped, unfinished;
};
void rlog_count(const struct rlog *log, struct rlog_counts *c);

#endif
