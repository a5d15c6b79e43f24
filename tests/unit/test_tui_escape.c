/* What a process name or wait channel looks like on the dashboard: never a
 * byte that a terminal would obey. */
#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../tui/escape.h"

static void check(const char *raw, bool utf8, const char *want)
{
	char out[256];
	size_t n = escape_terminal(raw, utf8, out, sizeof out);

	assert_string_equal(out, want);
	assert_int_equal(n, strlen(want));
}

static void test_plain_text_is_kept(void **state)
{
	(void)state;
	check("python3", true, "python3");
	check("merge-worker 01", false, "merge-worker 01");
	check("", true, "");
}

static void test_screen_clearing_name_is_shown_as_text(void **state)
{
	(void)state;
	check("\033[2J\nevil", true, "\\x1b[2J\\x0aevil");
	check("a\rb\tc\x7f", true, "a\\x0db\\x09c\\x7f");
	check("\033]0;title\007", false, "\\x1b]0;title\\x07");
}

static void test_backslash_is_doubled(void **state)
{
	(void)state;
	/* A name that is literally "\x1b" must not look like an escaped ESC. */
	check("\\x1b", true, "\\\\x1b");
}

/* LANG=C: mergewatch's own punctuation reads as ASCII, not \xe2\x80\x94. */
static void test_own_dashes_read_as_ascii_outside_utf8(void **state)
{
	(void)state;
	check("pair a started \xe2\x80\x94 PID 7", false, "pair a started - PID 7");
	check("6.0\xc3\x97 input\xe2\x80\xa6", false, "6.0x input...");
	check("pair a started \xe2\x80\x94 PID 7", true, "pair a started \xe2\x80\x94 PID 7");
}

static void test_utf8_kept_only_in_utf8_locale(void **state)
{
	(void)state;
	check("z\xc3\xbcrich", true, "z\xc3\xbcrich");
	check("z\xc3\xbcrich", false, "z\\xc3\\xbcrich");
	check("\xe6\xbc\xa2\xe5\xad\x97", true, "\xe6\xbc\xa2\xe5\xad\x97");
	check("\xf0\x9f\x98\x80", true, "\xf0\x9f\x98\x80");
}

static void test_invalid_utf8_is_escaped_byte_by_byte(void **state)
{
	(void)state;
	check("bad\xff\xfe", true, "bad\\xff\\xfe");
	check("\x80x", true, "\\x80x");                          /* stray continuation */
	check("\xc3", true, "\\xc3");                            /* truncated at the end */
	check("\xe2\x82x", true, "\\xe2\\x82x");                 /* truncated inside */
	check("\xc0\xaf", true, "\\xc0\\xaf");                   /* overlong "/" */
	check("\xe0\x80\xaf", true, "\\xe0\\x80\\xaf");          /* overlong, 3 bytes */
	check("\xed\xa0\x80", true, "\\xed\\xa0\\x80");          /* surrogate */
	check("\xf4\x90\x80\x80", true, "\\xf4\\x90\\x80\\x80"); /* > U+10FFFF */
}

static void test_c1_controls_and_bidi_overrides_are_escaped(void **state)
{
	(void)state;
	/* U+009B is CSI for terminals that honour C1 controls. */
	check("\xc2\x9b"
	      "2J",
	      true, "\\xc2\\x9b2J");
	/* U+202E RIGHT-TO-LEFT OVERRIDE would reverse what follows. */
	check("a\xe2\x80\xae"
	      "b",
	      true, "a\\xe2\\x80\\xaeb");
	check("\xef\xbb\xbfx", true, "\\xef\\xbb\\xbfx");
}

static void test_small_buffer_never_splits_an_escape(void **state)
{
	char out[8];

	(void)state;
	/* "ab" fits, "\x1b" (4) would need 7 bytes with the NUL: it fits; the
	 * next escape does not, so the output stops before it. */
	assert_int_equal(escape_terminal("ab\033\033", true, out, sizeof out), 6);
	assert_string_equal(out, "ab\\x1b");
	assert_int_equal(escape_terminal("\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc", true, out, sizeof out),
	                 6);
	assert_string_equal(out, "\xc3\xbc\xc3\xbc\xc3\xbc");
	assert_int_equal(escape_terminal("abc", true, out, 1), 0);
	assert_string_equal(out, "");
}

static void test_fit_counts_columns_not_bytes(void **state)
{
	int width;

	(void)state;
	assert_int_equal(escape_fit("abcdef", true, 4, &width), 4);
	assert_int_equal(width, 4);
	assert_int_equal(escape_fit("ab", true, 10, &width), 2);
	assert_int_equal(width, 2);
	/* "ü" is two bytes, one column. */
	assert_int_equal(escape_fit("\xc3\xbc\xc3\xbc\xc3\xbc", true, 2, &width), 4);
	assert_int_equal(width, 2);
	/* A wide character never straddles the edge. */
	assert_int_equal(escape_fit("a\xe6\xbc\xa2"
	                            "b",
	                            true, 2, &width),
	                 1);
	assert_int_equal(width, 1);
	assert_int_equal(escape_fit("a\xe6\xbc\xa2"
	                            "b",
	                            true, 3, &width),
	                 4);
	assert_int_equal(width, 3);
	/* Without UTF-8 every byte is a column. */
	assert_int_equal(escape_fit("\xc3\xbc", false, 1, &width), 1);
	assert_int_equal(escape_fit("abc", true, 0, NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_text_is_kept),
		cmocka_unit_test(test_screen_clearing_name_is_shown_as_text),
		cmocka_unit_test(test_backslash_is_doubled),
		cmocka_unit_test(test_own_dashes_read_as_ascii_outside_utf8),
		cmocka_unit_test(test_utf8_kept_only_in_utf8_locale),
		cmocka_unit_test(test_invalid_utf8_is_escaped_byte_by_byte),
		cmocka_unit_test(test_c1_controls_and_bidi_overrides_are_escaped),
		cmocka_unit_test(test_small_buffer_never_splits_an_escape),
		cmocka_unit_test(test_fit_counts_columns_not_bytes),
	};

	/* wcwidth needs a UTF-8 locale; C.UTF-8 is always there on glibc. */
	setlocale(LC_ALL, "C.UTF-8");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
