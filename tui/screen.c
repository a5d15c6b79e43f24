/* Curses set-up and tear-down. The one static pointer of the TUI lives
 * here: the live screen, so that exit() from anywhere (atexit) or a fatal
 * signal can give the terminal back before the process goes. */
#include <curses.h>
#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <poll.h>
#include <term.h>
#include <termios.h>
#include <unistd.h>

#include "screen.h"

enum {
	SCREEN_ESCDELAY_MS = 50, /* Esc alone vs. an arrow key's first byte */
};

static const int screen_fatal_signals[] = {
	SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT,
};
#define SCREEN_N_FATAL (sizeof screen_fatal_signals / sizeof screen_fatal_signals[0])

struct screen {
	SCREEN *sp;
	bool ended; /* endwin() done */
	struct sigaction old[SCREEN_N_FATAL];
};

/* The live screen, NULL when none: the TUI's one piece of static state. */
static struct screen *screen_live;

void screen_emergency_restore(void)
{
	struct screen *s = screen_live;

	if (s == NULL || s->ended)
		return;
	s->ended = true;
	endwin();
}

static void screen_atexit(void)
{
	screen_emergency_restore();
}

/* Restores the terminal, puts back the handler that was there before us and
 * raises the signal again, so a crash still dumps core (or reaches the
 * caller's own handler) with the terminal usable. */
static void screen_fatal(int sig)
{
	struct screen *s = screen_live;

	screen_emergency_restore();
	if (s != NULL) {
		for (size_t i = 0; i < SCREEN_N_FATAL; i++)
			if (screen_fatal_signals[i] == sig)
				sigaction(sig, &s->old[i], NULL);
	} else
		signal(sig, SIG_DFL);
	raise(sig);
}

/* Sequences terminals send for the same keys in the other cursor-key mode
 * or under another terminal's conventions (a multiplexer, an SSH client
 * with a different TERM): known to curses as the same key. */
static const struct {
	const char *seq;
	int key;
} screen_alt_keys[] = {
	{ "\033[A", KEY_UP },     { "\033[B", KEY_DOWN },   { "\033OA", KEY_UP },
	{ "\033OB", KEY_DOWN },   { "\033[H", KEY_HOME },   { "\033[F", KEY_END },
	{ "\033OH", KEY_HOME },   { "\033OF", KEY_END },    { "\033[1~", KEY_HOME },
	{ "\033[4~", KEY_END },   { "\033[7~", KEY_HOME },  { "\033[8~", KEY_END },
	{ "\033[5~", KEY_PPAGE }, { "\033[6~", KEY_NPAGE }, { "\033OP", KEY_F(1) },
	{ "\033[11~", KEY_F(1) }, { "\033[20~", KEY_F(9) }, { "\033[21~", KEY_F(10) },
};

static void screen_colors(struct draw *d)
{
	const char *no_color = getenv("NO_COLOR");
	enum { P_TITLE = 1, P_OK, P_WARN, P_CRIT, P_HEADER, P_KEY, P_RUNNING };

	/* https://no-color.org: present and not empty disables colour. */
	if ((no_color != NULL && no_color[0] != '\0') || !has_colors())
		return;
	if (start_color() == ERR)
		return;
	/* -1: the terminal's own background, as htop and tmux do. */
	use_default_colors();
	init_pair(P_TITLE, COLOR_CYAN, -1);
	init_pair(P_OK, COLOR_GREEN, -1);
	init_pair(P_WARN, COLOR_YELLOW, -1);
	init_pair(P_CRIT, COLOR_RED, -1);
	init_pair(P_HEADER, COLOR_BLACK, COLOR_CYAN);
	init_pair(P_KEY, COLOR_CYAN, -1);
	init_pair(P_RUNNING, COLOR_GREEN, -1);
	d->attr[DRAW_TITLE] = COLOR_PAIR(P_TITLE) | A_BOLD;
	d->attr[DRAW_OK] = COLOR_PAIR(P_OK);
	d->attr[DRAW_WARN] = COLOR_PAIR(P_WARN) | A_BOLD;
	d->attr[DRAW_CRIT] = COLOR_PAIR(P_CRIT) | A_BOLD;
	d->attr[DRAW_HEADER] = COLOR_PAIR(P_HEADER);
	d->attr[DRAW_KEY] = COLOR_PAIR(P_KEY) | A_BOLD;
	d->attr[DRAW_RUNNING] = COLOR_PAIR(P_RUNNING) | A_BOLD;
	d->attr[DRAW_DIM] = A_DIM;
	d->attr[DRAW_HEADING] = A_BOLD;
}

/* Ctrl-S (XOFF) would stop the terminal's output, and the next refresh
 * would then block the whole loop, watchdog included: turn software flow
 * control off so that Ctrl-S and Ctrl-Q are plain (ignored) keys. */
static void screen_no_flow_control(void)
{
	struct termios tio;

	if (tcgetattr(STDIN_FILENO, &tio) != 0)
		return;
	tio.c_iflag &= ~(tcflag_t)(IXON | IXOFF);
	if (tcsetattr(STDIN_FILENO, TCSANOW, &tio) == 0)
		def_prog_mode(); /* curses restores this mode after a stop */
}

struct screen *screen_open(struct draw *d, char *err, size_t errlen)
{
	struct screen *s;
	const char *term = getenv("TERM");
	const char *codeset;
	int errret = 0;
	bool utf8;
	struct sigaction sa;

	if (screen_live != NULL) {
		snprintf(err, errlen, "the dashboard is already open");
		return NULL;
	}
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		snprintf(err, errlen, "standard input or output is not a terminal");
		return NULL;
	}
	if (term == NULL || term[0] == '\0') {
		snprintf(err, errlen, "TERM is not set");
		return NULL;
	}
	/* Probe first: newterm on an unknown terminal may print to stderr. */
	if (setupterm(term, STDOUT_FILENO, &errret) != OK) {
		snprintf(err, errlen, "TERM=%s: %s", term,
		         errret == 0 ? "unknown terminal type" : "no terminfo database");
		return NULL;
	}
	if (tigetstr("cup") == NULL || tigetstr("cup") == (char *)-1) {
		del_curterm(cur_term);
		snprintf(err, errlen, "TERM=%s cannot move the cursor", term);
		return NULL;
	}
	del_curterm(cur_term);

	setlocale(LC_ALL, "");
	/* Only the character set matters here; numbers stay "1.5", not "1,5",
	 * for everything else in the process (the JSON event log). */
	setlocale(LC_NUMERIC, "C");
	codeset = nl_langinfo(CODESET);
	utf8 = codeset != NULL && strcmp(codeset, "UTF-8") == 0;

	s = calloc(1, sizeof *s);
	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->sp = newterm(term, stdout, stdin);
	if (s->sp == NULL) {
		snprintf(err, errlen, "TERM=%s: cannot start curses", term);
		free(s);
		return NULL;
	}
	set_term(s->sp);
	cbreak(); /* Ctrl-C still signals the loop */
	screen_no_flow_control();
	noecho();
	nonl();
	intrflush(stdscr, FALSE);
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	leaveok(stdscr, TRUE); /* no cursor moves just to park it */
	set_escdelay(SCREEN_ESCDELAY_MS);
	for (size_t i = 0; i < sizeof screen_alt_keys / sizeof screen_alt_keys[0]; i++)
		if (key_defined(screen_alt_keys[i].seq) == 0)
			define_key(screen_alt_keys[i].seq, screen_alt_keys[i].key);
	curs_set(0);

	draw_init(d, stdscr, utf8);
	screen_colors(d);

	screen_live = s;
	/* Registered at each open; a no-op once the screen is closed. */
	atexit(screen_atexit);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = screen_fatal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESETHAND | SA_NODEFER;
	for (size_t i = 0; i < SCREEN_N_FATAL; i++)
		sigaction(screen_fatal_signals[i], &sa, &s->old[i]);
	return s;
}

void screen_close(struct screen *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < SCREEN_N_FATAL; i++)
		sigaction(screen_fatal_signals[i], &s->old[i], NULL);
	if (!s->ended) {
		s->ended = true;
		endwin();
	}
	screen_live = NULL;
	delscreen(s->sp);
	free(s);
}

void screen_resize(struct screen *s)
{
	struct winsize ws;

	(void)s;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0)
		resize_term(ws.ws_row, ws.ws_col);
	clearok(curscr, TRUE);
}

void screen_repaint(struct screen *s)
{
	(void)s;
	clearok(curscr, TRUE);
}

bool screen_writable(const struct screen *s)
{
	struct pollfd p = { .fd = STDOUT_FILENO, .events = POLLOUT };

	(void)s;
	/* Linux reports POLLOUT on a tty only while fewer than 256 bytes wait
	 * to be read, so a frame (a few KiB) then fits without blocking. */
	return poll(&p, 1, 0) == 1 && (p.revents & POLLOUT) != 0 &&
	       (p.revents & (POLLERR | POLLHUP | POLLNVAL)) == 0;
}
