/* Sizes and durations as people write them in plans and on the command line. */
#ifndef MW_UNITS_H
#define MW_UNITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A size that may be absolute or a share of something known only at run time
 * (MemTotal for memory keys, SwapTotal for pressure_swap). */
struct size_spec {
	enum {
		SIZE_BYTES,     /* bytes */
		SIZE_PERCENT,   /* percent of a base given at resolve time */
		SIZE_UNLIMITED, /* "unlimited", "max", "infinity" */
		SIZE_AUTO,      /* "auto" (only where a key allows it) */
	} kind;
	uint64_t bytes;
	double percent;
};

/* Parses SIZE: an integer or decimal with a unit K M G T (powers of 1024;
 * KB, KiB, ... accepted, case-insensitive) or B for bytes, "N%", "0",
 * "unlimited" (also "max", "infinity") and "auto"; at most 9 decimals.
 * Leading and trailing blanks are ignored. Returns 0; -EDOM for a bare
 * number other than 0 ("50": bytes or gigabytes? the caller asks "did you
 * mean 50G?"); -EINVAL for anything else (empty, negative, junk after the
 * number, overflow, a percentage above 100 or below 0). Whether "auto" or
 * "unlimited" is allowed for a key is the caller's decision. */
int units_parse_size(const char *text, struct size_spec *out);

/* The bytes a size means against base (MemTotal, SwapTotal...): UINT64_MAX
 * for unlimited and auto. */
uint64_t units_size_resolve(const struct size_spec *s, uint64_t base);

/* Parses DUR: a non-negative number with ms, s, m or h (bare = seconds), e.g.
 * "1.5s", "30m", "250ms". Returns 0 and the duration in milliseconds, or
 * -EINVAL. */
int units_parse_duration_ms(const char *text, uint64_t *ms);

/* Parses a positive decimal up to 1e9 with at most 9 decimals ("6", "2.5"),
 * or "N%" as N/100 when allow_percent. 0 or -EINVAL. */
int units_parse_number(const char *text, bool allow_percent, double *out);

/* Writes a size for people: "512 B", "1.5 KiB", "9.3 GiB" (one decimal above
 * KiB, as in the alert texts). Returns buf. */
char *units_format_size(uint64_t bytes, char *buf, size_t len);

/* Writes a size spec as a plan accepts it back: "50G", "90%", "unlimited",
 * "4097B". */
char *units_format_size_spec(const struct size_spec *s, char *buf, size_t len);

/* Writes a duration compactly as a plan accepts it back: "250ms", "10s",
 * "30m", "1h", "90s". Returns buf. */
char *units_format_duration(uint64_t ms, char *buf, size_t len);

/* Writes an elapsed time for people: "42s", "3m05s", "2h14m". Returns buf. */
char *units_format_elapsed(uint64_t ms, char *buf, size_t len);

#endif
