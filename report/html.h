/* Writing text into the report page safely and in people's units. */
#ifndef MW_HTML_H
#define MW_HTML_H

#include <stdbool.h>
#include <stdint.h>

#include "strbuf.h"

/* Appends raw (bytes from the log: names, commands, wait channels) as HTML
 * text, fit for element content and quoted attribute values alike:
 * & < > " ' become entities; control bytes and bytes that are not valid
 * UTF-8 are shown as the four characters \xNN, so nothing in a log can
 * open a tag, end an attribute or move a terminal's cursor. */
void html_text(struct strbuf *b, const char *raw);

/* "512 B", "9.3 GiB": units_format_size. */
void html_size(struct strbuf *b, uint64_t bytes);

/* A realtime moment in UTC: "2026-11-21 10:00:05" (with_date) or
 * "10:00:05". */
void html_wall(struct strbuf *b, int64_t wall_ms, bool with_date);

/* "42s", "3m05s", "2h14m": units_format_elapsed. */
void html_elapsed(struct strbuf *b, uint64_t ms);

#endif
