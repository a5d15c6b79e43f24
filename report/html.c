/* HTML escaping and human units for the report. */
#include <stdio.h>
#include <time.h>

#include "../lib/units.h"
#include "html.h"

/* The length of the valid UTF-8 sequence at s (lead byte not ASCII), 0
 * when there is none: overlong forms and surrogates are refused. */
static size_t html_utf8_len(const unsigned char *s)
{
	size_t n;
	unsigned char lo = 0x80, hi = 0xbf;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	}
	return n;
}

void html_text(struct strbuf *b, const char *raw)
{
	const unsigned char *s = (const unsigned char *)raw;

	while (*s != '\0') {
		size_t n;

		switch (*s) {
		case '&':
			strbuf_add(b, "&amp;");
			s++;
			continue;
		case '<':
			strbuf_add(b, "&lt;");
			s++;
			continue;
		case '>':
			strbuf_add(b, "&gt;");
			s++;
			continue;
		case '"':
			strbuf_add(b, "&quot;");
			s++;
			continue;
		case '\'':
			strbuf_add(b, "&#39;");
			s++;
			continue;
		default:
			break;
		}
		if (*s < 0x20 || *s == 0x7f) {
			strbuf_addf(b, "\\x%02x", *s);
			s++;
		} else if (*s < 0x80) {
			strbuf_addn(b, (const char *)s, 1);
			s++;
		} else if ((n = html_utf8_len(s)) > 0) {
			strbuf_addn(b, (const char *)s, n);
			s += n;
		} else {
			strbuf_addf(b, "\\x%02x", *s);
			s++;
		}
	}
}

void html_size(struct strbuf *b, uint64_t bytes)
{
	char buf[32];

	strbuf_add(b, units_format_size(bytes, buf, sizeof(buf)));
}

void html_wall(struct strbuf *b, int64_t wall_ms, bool with_date)
{
	time_t t = (time_t)(wall_ms / 1000);
	struct tm tm;
	char buf[32];

	if (gmtime_r(&t, &tm) == NULL) {
		strbuf_add(b, "?");
		return;
	}
	strftime(buf, sizeof(buf), with_date ? "%Y-%m-%d %H:%M:%S" : "%H:%M:%S", &tm);
	strbuf_add(b, buf);
}

void html_elapsed(struct strbuf *b, uint64_t ms)
{
	char buf[32];

	strbuf_add(b, units_format_elapsed(ms, buf, sizeof(buf)));
}
