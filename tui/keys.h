/* Keys to operator commands, through a table (htop style): each binding
 * names a function that updates the view, may call the runner through
 * model_actions, and says what the screen needs next. No drawing here. */
#ifndef MW_TUI_KEYS_H
#define MW_TUI_KEYS_H

#include <stdbool.h>

#include "../core/model.h"
#include "view.h"

enum keys_result {
	KEYS_IGNORED, /* not bound here: nothing changed */
	KEYS_REDRAW,  /* the view changed */
	KEYS_REPAINT, /* repaint the whole terminal (Ctrl-L) */
	KEYS_QUIT,    /* the operator has chosen to quit */
};

/* Handles one key (a character or a curses KEY_* code) against m. With a
 * dialog open only the dialog's keys count: y/Y, n/N, Esc (27); any key
 * closes help. Calls a->act for confirmed kill, restart and skip, for pause
 * and acknowledge (no dialog) and for the quit choices; a refused action's
 * -errno becomes a flash. Returns what the screen needs next. */
enum keys_result keys_handle(struct view *v, int key, const struct model *m,
                             const struct model_actions *a);

/* The help text: one key and its meaning per entry, ending with a NULL
 * key; run_only entries do not apply under watch. */
struct keys_help_entry {
	const char *key, *meaning;
	bool run_only;
};
extern const struct keys_help_entry keys_help[];

/* What the columns and marks mean, as { word, meaning } pairs ending with a
 * NULL word; a NULL meaning is the marks line, drawn with the glyphs. */
extern const char *const keys_help_marks[][2];

#endif
