/* A pair's progress, read from the lines it writes to its log:
 * "PROGRESS <done>/<total>" anywhere in a line, or a progress_regex with two
 * capture groups. The log is tailed (the job writes to a file, not a pipe, so
 * it never dies of SIGPIPE when mergewatch goes away). */
#ifndef MW_PROGRESS_H
#define MW_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct progress;

/* Tails path from its current end (earlier attempts' lines do not count).
 * regex NULL: the default pattern. Returns NULL with err on a bad regex or
 * allocation failure. */
struct progress *progress_new(const char *path, const char *regex, char *err, size_t errlen);
void progress_free(struct progress *pg);

/* Reads what was appended since the last call, at most 256 KiB: after a
 * bigger burst only its newest 256 KiB are read (the last progress line is
 * the one that counts), so a job's output never delays the loop. Returns
 * true when a complete line set a new value into *done / *total (the last
 * such line wins). */
bool progress_poll(struct progress *pg, uint64_t *done, uint64_t *total);

/* The same match on one line (for tests): true when it matched. */
bool progress_match_line(struct progress *pg, const char *line, uint64_t *done, uint64_t *total);

#endif
