/* The report's charts, each one inline <svg>. */
#ifndef MW_CHARTS_H
#define MW_CHARTS_H

#include <stdbool.h>

#include "rlog.h"
#include "strbuf.h"

/* A pair's tree RSS over its life, against its kill line and its input
 * size, with markers where it started, approached the line, bloated,
 * deadlocked, was killed and ended. Returns false (writing nothing) when
 * the pair has neither samples nor events with a time to draw. */
bool charts_pair(struct strbuf *b, const struct rlog_pair *p);

/* A pair's CPU use and progress in percent over its life, with the same
 * markers. false (nothing written) without CPU or progress samples. */
bool charts_activity(struct strbuf *b, const struct rlog_pair *p);

/* The machine's used memory and used swap over the run, with MemTotal,
 * SwapTotal, pressure alerts and every kill marked, and each pair's
 * periods of work as named bands. false (nothing
 * written) without samples. */
bool charts_system(struct strbuf *b, const struct rlog *log);

/* Peak RSS / input size per pair as bars (a killed pair's bar is a lower
 * bound), with the highest ratio of a finished pair, the one planning
 * uses. false (nothing written) when no pair has both. */
bool charts_bloat(struct strbuf *b, const struct rlog *log);

#endif
