/* Several pairs at once, in the report: a lane per pair showing when each
 * attempt ran beside which others, and the running pairs' memory summed
 * against memory_budget. */
#ifndef MW_LANES_H
#define MW_LANES_H

#include <stdbool.h>

#include "rlog.h"
#include "strbuf.h"

/* The lane chart: one row per pair that started, a bar per attempt (the
 * last coloured by how the pair ended, earlier ones grey: requeued or
 * retried). false (nothing written) when no pair started. */
bool lanes_chart(struct strbuf *b, const struct rlog *log);

/* The pairs' memory summed at each sample, with the budget as a line.
 * false (nothing written) without samples or without a budget. */
bool lanes_budget_chart(struct strbuf *b, const struct rlog *log);

#endif
