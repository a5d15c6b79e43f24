/* A growing string for building the report page in memory. */
#ifndef MW_STRBUF_H
#define MW_STRBUF_H

#include <stdbool.h>
#include <stddef.h>

struct strbuf {
	char *s; /* NUL-terminated once anything was added; owned */
	size_t len, cap;
	bool oom; /* an append failed: the text is incomplete */
};

/* Appends; on allocation failure sets b->oom and drops the text (every
 * later append is then a no-op), so callers check once at the end. */
void strbuf_add(struct strbuf *b, const char *s);
void strbuf_addf(struct strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void strbuf_addn(struct strbuf *b, const char *s, size_t n);

/* Frees the text and empties b. */
void strbuf_free(struct strbuf *b);

#endif
