/* The panes of the dashboard. Each draws one part of the model into its
 * rectangle of stdscr through tui/draw.h; none reads anything but its
 * arguments. */
#ifndef MW_TUI_PANES_H
#define MW_TUI_PANES_H

#include "../core/model.h"
#include "draw.h"
#include "layout.h"
#include "procrows.h"
#include "view.h"

/* Header: host, clock, limit mechanism, sampling interval, pair counts. */
void pane_frame_header(const struct draw *d, const struct layout_rect *r, const struct model *m);

/* Footer: the flash message, the outcome once the run is over, or the key
 * hints and whether the selection follows the running pair. */
void pane_frame_footer(const struct draw *d, const struct layout_rect *r, const struct model *m,
                       const struct view *v);

/* A terminal below the layout's minimum: a few status lines. */
void pane_frame_too_small(const struct draw *d, int rows, int cols, const struct model *m);

/* Memory and Swap: used / available / total, a bar coloured by the
 * pressure limits, the history graph, PSI. */
void pane_memory_draw(const struct draw *d, const struct layout_rect *r, int graph_rows,
                      const struct model *m);
void pane_memory_draw_swap(const struct draw *d, const struct layout_rect *r, int graph_rows,
                           const struct model *m);

/* Pairs: one row per pair from v->pairs_top; updates v's scroll. */
void pane_pairs_draw(const struct draw *d, const struct layout_rect *r, const struct model *m,
                     struct view *v);

/* Processes: the selected pair's tree from rows (NULL: none). */
void pane_procs_draw(const struct draw *d, const struct layout_rect *r, const struct model *m,
                     int pair, const struct procrows *rows);

/* The rows the Processes pane's "next:" lines take for p in a pane of
 * width columns (0 when nothing is ahead). */
int pane_procs_next_lines(const struct model_pair *p, uint64_t now_ms, int width);

/* Alerts: newest first, unacknowledged ones marked. */
void pane_alerts_draw(const struct draw *d, const struct layout_rect *r, const struct model *m);

/* The open dialog (kill, restart, skip, quit, help) over the panes. */
void dialog_draw(const struct draw *d, int rows, int cols, const struct model *m,
                 const struct view *v);

#endif
