/* Writing a sentence about an event into a caller's buffer: appending
 * pieces, reading the event's fields leniently, figures with units. Used by
 * text.c only. */
#ifndef MW_TEXTOUT_H
#define MW_TEXTOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

enum {
	TEXTOUT_SIZE_LEN = 32, /* room for a size or a duration */
};

/* A sentence being written into buf[len]. What does not fit is cut; cut
 * says so, and textout_cut mends the end. */
struct textout {
	char *buf;
	size_t len;
	size_t used;
	bool cut;
};

/* Appends printf-style; never writes past len. */
void textout_add(struct textout *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Appends before, the size in the event's field key ("9.3 GiB") and after,
 * or nothing when the field is missing or not a number. */
void textout_add_size(struct textout *t, const char *before, const json_t *ev, const char *key,
                      const char *after);

/* Field readers: false (out untouched) when missing or of another type. */
const char *textout_str(const json_t *ev, const char *key);          /* NULL when not a string */
bool textout_u64(const json_t *ev, const char *key, uint64_t *out);  /* non-negative number */
bool textout_num(const json_t *ev, const char *key, double *out);    /* finite number */
bool textout_int(const json_t *ev, const char *key, long long *out); /* integer */

/* A size ("9.3 GiB") or a duration in seconds ("3m05s") written into buf of
 * TEXTOUT_SIZE_LEN bytes; returns buf. */
const char *textout_size(uint64_t bytes, char *buf);
const char *textout_secs(double s, char *buf);

/* Ends s at max bytes or fewer, at a character boundary, with "…". */
void textout_cut(char *s, size_t max);

#endif
