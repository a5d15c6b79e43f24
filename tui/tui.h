/* The ncurses dashboard. It renders a struct model (runner/model.h) and turns
 * keys into struct model_actions calls; it never reads /proc, never blocks on
 * anything but the terminal and never touches the network. Only this folder
 * includes curses, and only tui/screen.c sets the terminal up or restores it.
 *
 * The loop owns the timing: it polls tui_input_fd() for keys, delivers
 * SIGWINCH (through its signalfd) as tui_resize(), and calls tui_render()
 * once before it sleeps. Block SIGWINCH, SIGINT and SIGTERM (for the
 * signalfd) before tui_new(): ncurses installs handlers only for signals left
 * at their default action, and a blocked signal never reaches them.
 *
 * Terminal restore on every path: the TUI keeps exactly one static pointer
 * (in tui/screen.c) to the live screen so that an exit() anywhere (atexit),
 * a fatal signal (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, handled with
 * SA_RESETHAND and re-raised) or tui_emergency_restore() puts the terminal
 * back before the process goes. tui_free() uninstalls the signal handlers. */
#ifndef MW_TUI_H
#define MW_TUI_H

#include <stddef.h>
#include <stdint.h>

#include "../core/model.h"

struct tui;

enum tui_result {
	TUI_CONTINUE,
	TUI_QUIT,
};

/* Starts curses on the terminal of stdin/stdout. Calls setlocale(LC_ALL, "")
 * (then LC_NUMERIC back to "C", so printf of doubles elsewhere keeps its
 * decimal point) and draws with ASCII when the locale's codeset is not
 * UTF-8; uses colour unless NO_COLOR is set (non-empty) or the terminal has
 * none. Turns XON/XOFF flow control off, so a Ctrl-S cannot freeze the
 * output and with it the loop. Nothing may write to stdout while the TUI
 * lives. Returns the
 * dashboard (free with tui_free), or NULL with a message in err when the
 * terminal cannot be used (not a tty, TERM unset or unknown, allocation
 * failure); the caller then runs headless. Only one TUI may exist at a time
 * (a second tui_new returns NULL). */
struct tui *tui_new(char *err, size_t errlen);

/* Restores the terminal and frees t. NULL is a no-op; safe on any path. */
void tui_free(struct tui *t);

/* Puts the terminal back (endwin) if a TUI is live, without freeing it; for
 * the caller's own fatal paths. Safe to call more than once, and when no TUI
 * exists. Not async-signal-safe (no curses call is), like htop's crash
 * handler: use it only on the way out. */
void tui_emergency_restore(void);

/* The descriptor to poll for keys: STDIN_FILENO. */
int tui_input_fd(const struct tui *t);

/* Reads every pending key without waiting (a lone Esc costs at most
 * ESCDELAY, set to 50 ms, to be told from an arrow key), moves the selection,
 * opens and answers the y/n dialogs and calls actions->act for operator
 * actions (the runner logs them with reason "operator"). A refused action's
 * -errno is shown in the footer. Returns TUI_QUIT once the operator has chosen
 * to quit: after the quit dialog, which calls act(ACTION_QUIT_STOP or
 * ACTION_QUIT_LEAVE, running pair) when a pair runs, or immediately on q when
 * m->run_over; TUI_CONTINUE otherwise. ACTION_ACK is called with pair -1. */
enum tui_result tui_handle_input(struct tui *t, const struct model *m,
                                 const struct model_actions *actions);

/* Takes the terminal's new size (TIOCGWINSZ) after a SIGWINCH and redraws
 * everything at the next tui_render. */
void tui_resize(struct tui *t);

/* Draws the model if anything shown changed since the last call: the
 * second of now_ms or wall_ms, a pair's state, progress or RSS, memory,
 * the alerts, a tree sample, a key, a resize or a flash. Draws with
 * werase + wnoutrefresh + doupdate, so only changed cells reach the
 * terminal; never clears the screen per frame. A terminal that has not
 * drained the previous frame (a stalled SSH connection) gets no new one
 * until it has, so a write never blocks the loop for long. Also keeps the
 * per-PID CPU time of every tree in the model to compute CPU%, so call it
 * after every model update. */
void tui_render(struct tui *t, const struct model *m);

/* Shows msg (escaped; copied) in the footer for about 5 s from now_ms (the
 * model's monotonic clock). */
void tui_flash(struct tui *t, const char *msg, uint64_t now_ms);

/* The dashboard as the runner's front end (struct model_view): tui_new,
 * tui_free, tui_input_fd, tui_handle_input, tui_resize, tui_render and
 * tui_flash behind one table, which main.c hands to the run. */
const struct model_view *tui_view(void);

#endif
