/* What happens next to a pair, in figures: the headroom to the kill line,
 * the time left before timeout, an ETA from its PROGRESS lines and, for a
 * pair that has stopped moving, the time left before the deadlock verdict
 * and what the runner will do then; for a pending pair, with several at
 * once, what it waits for. Words and numbers only, so the answer
 * survives NO_COLOR and monochrome terminals. Pure: no clock, no I/O. */
#ifndef MW_TUI_WHATNEXT_H
#define MW_TUI_WHATNEXT_H

#include <stddef.h>
#include <stdint.h>

#include "../core/model.h"

enum {
	WHATNEXT_STALL_SHOWN_MS = 5000, /* shorter stalls are normal waits */
};

/* Writes the parts that apply to p at now_ms (the model's monotonic
 * clock), most urgent first, joined by sep, e.g. "312.0 MiB to kill line
 * 1.0 GiB; timeout in 4m52s; ETA 41s". Writes "" for a pair that is not
 * live or has nothing ahead. Returns the number of parts. */
int whatnext_describe(const struct model_pair *p, uint64_t now_ms, const char *sep, char *buf,
                      size_t len);

/* Breaks text (parts joined by sep) into at most max_lines lines of width
 * columns at part boundaries, writing the byte offset where each line
 * starts into starts and its length into lens. A part wider than width
 * stays whole (the drawing cuts it). Returns the number of lines. */
int whatnext_wrap(const char *text, const char *sep, int width, int max_lines, int *starts,
                  int *lens);

/* The time left before timeout (0 when it has passed), or UINT64_MAX when
 * the pair has no timeout or is not running. */
uint64_t whatnext_timeout_left_ms(const struct model_pair *p, uint64_t now_ms);

/* The ETA from progress at the average rate since start, or UINT64_MAX
 * when there is no progress to judge by. */
uint64_t whatnext_eta_ms(const struct model_pair *p, uint64_t now_ms);

#endif
