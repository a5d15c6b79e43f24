/* The samples a run keeps for its report (mergewatch report): a compact
 * text file, <log_dir>/samples.txt, appended to by every run or watch in
 * that directory. One line per kept sample, a line per run and per pair
 * definition; docs/report.md describes the format and its size per hour.
 *
 *   mergewatch-samples 1                          first line of the file
 *   r WALL_MS INTERVAL_MS MEM_TOTAL SWAP_TOTAL HOST
 *   p INDEX KILL_RSS INPUT NAME
 *   s DT_MS MEM_USED SWAP_USED PSI [INDEX STATE RSS[/MAX]]...
 *
 * Sizes are KiB. WALL_MS is the realtime (ms since the epoch) the run began
 * writing; DT_MS of the samples after it count from there. KILL_RSS is "-"
 * when unlimited, PSI (memory "some" avg10 in tenths of a percent) "-" when
 * the kernel has none. A pair entry is INDEX, one state letter (P pending,
 * G gate, R running, S stopping, V verifying, D done, F failed, K killed,
 * X skipped) and its tree RSS, e.g. "3R5242880"; "/MAX" follows when a
 * higher RSS was seen since the previous kept sample (a fast check near the
 * kill line, a spike between kept samples), so peaks always reach the
 * chart. Then, optionally: "cMS", the tree's CPU time so far in ms (its
 * slope is the CPU use: a flat line is a tree that stopped running), and
 * "pDONE:TOTAL", its latest PROGRESS, e.g. "3R5242880c81230p12:27". HOST
 * and NAME are written with every byte outside printable ASCII, and '%',
 * as %XX. */
#ifndef MW_SAMPLELOG_H
#define MW_SAMPLELOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../core/model.h"

#define SAMPLELOG_FILE "samples.txt"
#define SAMPLELOG_MAGIC "mergewatch-samples 1"

enum {
	SAMPLELOG_KEEP_MS = 5000,   /* a sample at least this often */
	SAMPLELOG_RSS_STEP_PCT = 5, /* ... and whenever a pair's RSS moved this much */
	SAMPLELOG_SYS_STEP_PCT = 2, /* ... or used memory or swap moved this share of its total */
	SAMPLELOG_NAME_MAX = 256,   /* decoded name or host, with its NUL */
};

struct samplelog;

/* Opens (creating, appending to) <log_dir>/samples.txt; writes the magic
 * line when the file is new. Returns the writer (free with samplelog_free),
 * or NULL with err naming the path. */
struct samplelog *samplelog_new(const char *log_dir, char *err, size_t errlen);
void samplelog_free(struct samplelog *sl);

/* Called after every base tick with the model the runner keeps. Keeps a
 * sample every SAMPLELOG_KEEP_MS, and at once whenever a pair's state
 * changed, a running pair's RSS moved by SAMPLELOG_RSS_STEP_PCT, its peak
 * rose, or used memory or swap moved by SAMPLELOG_SYS_STEP_PCT of its
 * total; the ticks in between are folded into the next kept sample's MAX.
 * Each call's lines go out in one write, so a failed write (disk full) is
 * undone and leaves no half line. Returns 0, or -errno of the failed write
 * (the next call tries again). */
int samplelog_write(struct samplelog *sl, const struct model *m, uint64_t wall_ms);

/* Reading the file back (the report does). */
enum samplelog_kind {
	SAMPLELOG_HEADER,
	SAMPLELOG_RUN,
	SAMPLELOG_PAIR,
	SAMPLELOG_SAMPLE,
};

struct samplelog_entry {
	int index;
	char state; /* the letter, see above */
	uint64_t rss_bytes;
	uint64_t max_rss_bytes; /* >= rss_bytes: the highest since the previous sample */
	bool cpu_known;
	uint64_t cpu_ms;                        /* the tree's CPU time so far */
	uint64_t progress_done, progress_total; /* total 0: none */
};

struct samplelog_record {
	enum samplelog_kind kind;
	/* SAMPLELOG_RUN */
	uint64_t wall_ms, interval_ms, mem_total_bytes, swap_total_bytes;
	char host[SAMPLELOG_NAME_MAX];
	/* SAMPLELOG_PAIR */
	int index;
	uint64_t kill_rss_bytes; /* UINT64_MAX: unlimited */
	uint64_t input_bytes;    /* 0: no inputs */
	char name[SAMPLELOG_NAME_MAX];
	/* SAMPLELOG_SAMPLE */
	uint64_t dt_ms, mem_used_bytes, swap_used_bytes;
	bool psi_known;
	double psi_some_avg10;           /* percent */
	struct samplelog_entry *entries; /* n_entries of them, see samplelog_parse_line */
	size_t n_entries;
};

/* Parses one line (without its newline). A sample's entries go into
 * *entries, grown with realloc as needed (*cap counts them; start with NULL
 * and 0, free *entries when done); rec->entries points there. Returns 0,
 * -EINVAL for a line that is not one of the above, -ENOMEM. */
int samplelog_parse_line(const char *line, struct samplelog_record *rec,
                         struct samplelog_entry **entries, size_t *cap);

/* The state letter of s, and back (-1 for an unknown letter). */
char samplelog_state_letter(enum pair_state s);
int samplelog_letter_state(char letter);

#endif
