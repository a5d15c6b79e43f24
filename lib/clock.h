/* The two clocks mergewatch reads. Only main and the loop call these; every
 * other module is given the time as a parameter so tests control it. */
#ifndef MW_CLOCK_H
#define MW_CLOCK_H

#include <stddef.h>
#include <stdint.h>

uint64_t clock_mono_ms(void); /* CLOCK_MONOTONIC in milliseconds */
uint64_t clock_mono_us(void); /* CLOCK_MONOTONIC in microseconds */
uint64_t clock_wall_ms(void); /* CLOCK_REALTIME in milliseconds since the epoch */

/* Writes wall_ms as RFC 3339 UTC with milliseconds, "2026-11-21T10:00:00.123Z".
 * Returns buf. len should be at least 25. */
char *clock_format_rfc3339(uint64_t wall_ms, char *buf, size_t len);

/* The inverse, lenient on the fraction ("...:00Z", "...:00.5Z"): ms since
 * the epoch, or -1 when ts (NULL included) is not RFC 3339 UTC. */
int64_t clock_parse_rfc3339(const char *ts);

#endif
