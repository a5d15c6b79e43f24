/* The only code that sets the terminal up or restores it (htop's rule: one
 * module owns every curses set-up and tear-down). */
#ifndef MW_TUI_SCREEN_H
#define MW_TUI_SCREEN_H

#include <stdbool.h>
#include <stddef.h>

#include "draw.h"

struct screen;

/* Starts curses on stdin/stdout: locale from the environment, cbreak, no
 * echo, keypad, non-blocking reads, hidden cursor, colours unless NO_COLOR
 * or the terminal has none. Fills d for drawing on stdscr. Installs the
 * atexit and fatal-signal restore (see tui.h). Returns the screen, or NULL
 * with a message in err (not a terminal, TERM unset or unknown, a terminal
 * that cannot address the cursor, a screen already open, no memory). */
struct screen *screen_open(struct draw *d, char *err, size_t errlen);

/* Restores the terminal, uninstalls the signal handlers, frees s. NULL is a
 * no-op. */
void screen_close(struct screen *s);

/* Takes the terminal's current size (TIOCGWINSZ on stdout) and has the next
 * refresh repaint everything. */
void screen_resize(struct screen *s);

/* Has the next refresh repaint everything (Ctrl-L, after a resize). */
void screen_repaint(struct screen *s);

/* True when the terminal has drained what it was sent and a frame can be
 * written without blocking: a stalled SSH connection must not stall the
 * loop, so tui_render skips frames (and draws the latest later) instead. */
bool screen_writable(const struct screen *s);

/* endwin() on the live screen if there is one; idempotent. */
void screen_emergency_restore(void);

#endif
