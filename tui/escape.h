/* Making raw strings safe to show on a terminal. Process names, command
 * lines and wait channels come from other users' processes: a name holding
 * "\033[2J" must show as text, never clear the screen. Pure functions. */
#ifndef MW_TUI_ESCAPE_H
#define MW_TUI_ESCAPE_H

#include <stdbool.h>
#include <stddef.h>

/* Copies raw (NUL-terminated) into out with every byte that could act on a
 * terminal written as a four-character \xNN (lower-case hex):
 *  - bytes below 0x20 and 0x7f;
 *  - with utf8: invalid UTF-8 (stray continuation bytes, truncated or
 *    overlong sequences, surrogates, code points above U+10FFFF) byte by
 *    byte, the C1 controls U+0080..U+009F (some terminals obey them), and the
 *    invisible format characters that reorder or hide text (U+200B..U+200F,
 *    U+202A..U+202E, U+2060..U+2069, U+FEFF); every other sequence is kept;
 *  - without utf8: every byte from 0x80 up.
 * A backslash is written as "\\" so that the output reads back unambiguously.
 * out always ends with a NUL (outlen > 0); when it is too small the copy
 * stops before an escape or character that would not fit whole. Returns
 * the length written, not counting the NUL. */
size_t escape_terminal(const char *raw, bool utf8, char *out, size_t outlen);

/* How many leading bytes of s, an escape_terminal output, fit in cols
 * terminal columns without splitting a character; *width (may be NULL) gets
 * the columns they take. With utf8, a character's width is wcwidth()'s under
 * the current locale (wide CJK takes 2, combining marks 0). */
size_t escape_fit(const char *s, bool utf8, int cols, int *width);

#endif
