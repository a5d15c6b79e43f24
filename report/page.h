/* The report page: one self-contained HTML document (inline CSS and SVG,
 * no scripts, no fonts or anything else fetched). */
#ifndef MW_PAGE_H
#define MW_PAGE_H

#include "rlog.h"
#include "strbuf.h"

enum {
	PAGE_MAX_ALERTS = 500, /* rows of the alert list; the rest are counted */
};

/* Appends the whole document for log to b (check b->oom after). Links to
 * the pairs' files start with link_base: "" when the page sits in the log
 * directory, else that directory as a file:// URL ending in '/'. */
void page_render(struct strbuf *b, const struct rlog *log, const char *link_base);

#endif
