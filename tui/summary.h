/* What the terminal keeps after the dashboard closes: one screen saying how
 * each pair ended (or that it was left running), where the logs are and
 * how to make the report — GNU parallel's and systemd's habit of leaving
 * the operator an answer, not a blank prompt. */
#ifndef MW_TUI_SUMMARY_H
#define MW_TUI_SUMMARY_H

#include <stdbool.h>
#include <stdio.h>

#include "../core/model.h"
#include "view.h"

enum {
	SUMMARY_MAX_PAIRS = 14, /* pair lines; the rest are counted */
};

/* Writes the summary of m to out, quit saying how the operator left; names
 * and paths escaped for a UTF-8 terminal or not. */
void summary_write(FILE *out, const struct model *m, enum view_quit quit, bool utf8);

#endif
