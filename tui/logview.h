/* The `l` view: the selected pair's output log over the panes, its last
 * lines, scrollable, following the end as the job writes. Reads only the
 * file's tail (a bounded pread), so a log of gigabytes costs no more than a
 * small one. */
#ifndef MW_TUI_LOGVIEW_H
#define MW_TUI_LOGVIEW_H

#include <stdint.h>

#include "../core/model.h"
#include "draw.h"
#include "view.h"

enum {
	LOGVIEW_TAIL_BYTES = 256 * 1024, /* the most of the file's end read */
	LOGVIEW_MAX_LINES = 8192,
};

struct logview;

struct logview *logview_new(void);
void logview_free(struct logview *lv);

/* Size and modification time of the open log, folded into one number, so
 * the dashboard redraws when the job writes; 0 when the view is closed. */
uint64_t logview_signature(const struct model *m, const struct view *v);

/* Draws the log of v->log_pair in rows y0..y0+h-1 of a cols-wide screen;
 * clamps v->log_back to the lines there are and sets v->log_page_rows. */
void logview_draw(struct logview *lv, const struct draw *d, int y0, int h, int cols,
                  const struct model *m, struct view *v);

#endif
