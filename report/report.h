/* mergewatch report LOG_DIR [-o FILE]: the run as one self-contained HTML
 * page (inline SVG charts, no scripts, nothing fetched) that a person would
 * rather look at than read the log. docs/report.md describes it. */
#ifndef MW_REPORT_H
#define MW_REPORT_H

#include <stddef.h>

/* Reads log_dir (events.jsonl, required; samples.txt and state when
 * present) and writes the page to out_path, or <log_dir>/report.html when
 * out_path is NULL. The page is written to out_path.tmp and renamed, so a
 * browser never shows half of one. Returns 0, or -errno with err naming
 * the file (and line) of anything unreadable: -ENOENT for a missing
 * events.jsonl, -EINVAL for a damaged line (a truncated last line of a log
 * being written is left out, not an error), the write's errno for
 * out_path. */
int report_write(const char *log_dir, const char *out_path, char *err, size_t errlen);

#endif
