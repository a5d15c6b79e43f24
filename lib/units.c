/* Sizes and durations as people write them: parsing is strict (a typo is an
 * error, never a silent default) and every formatter used for plans writes
 * text the parsers read back to the same value. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "units.h"

/* A decimal as written: digits, optionally '.' and more digits. The integer
 * part is kept exactly (sizes up to 2^64 need every digit); the fraction as
 * a double in [0, 1). */
struct decimal {
	uint64_t whole;
	double fraction;
};

static const char *skip_blanks(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

enum { UNITS_MAX_DECIMALS = 9 };

/* Reads a decimal at *pp and moves *pp past it. Returns false on no digits,
 * a dangling '.', or an integer part above UINT64_MAX. */
static bool decimal_read(const char **pp, struct decimal *d)
{
	const char *p = *pp;
	char frac[32] = "0.";
	size_t n = 2;

	if (!isdigit((unsigned char)*p))
		return false;
	d->whole = 0;
	for (; isdigit((unsigned char)*p); p++) {
		unsigned digit = (unsigned)(*p - '0');
		if (d->whole > (UINT64_MAX - digit) / 10)
			return false;
		d->whole = d->whole * 10 + digit;
	}
	d->fraction = 0;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return false;
		/* At most 9 decimals: finer than anyone means, and every
		 * value then prints back exactly (the fuzzer found
		 * "0.000000000000000000001%" printed as 0). */
		for (; isdigit((unsigned char)*p); p++) {
			if (n - 2 == UNITS_MAX_DECIMALS)
				return false;
			frac[n++] = *p;
		}
		frac[n] = '\0';
		d->fraction = strtod(frac, NULL);
	}
	*pp = p;
	return true;
}

/* whole * scale + fraction * scale, rounded to nearest; false on overflow. */
static bool decimal_is_zero(const struct decimal *d)
{
	return d->whole == 0 && d->fraction == 0;
}

static bool decimal_scale(const struct decimal *d, uint64_t scale, uint64_t *out)
{
	uint64_t whole_scaled, part;

	if (scale != 0 && d->whole > UINT64_MAX / scale)
		return false;
	whole_scaled = d->whole * scale;
	part = (uint64_t)(d->fraction * (double)scale + 0.5); /* >= 0: rounds */
	if (part > UINT64_MAX - whole_scaled)
		return false;
	*out = whole_scaled + part;
	return true;
}

/* The number of bytes a size suffix means, 0 if it is not one. */
static uint64_t size_suffix(const char *s, size_t len)
{
	static const char letters[] = "KMGT";
	const char *at;
	uint64_t mult = 1;

	if (len == 0)
		return 1;
	if (len == 1 && (s[0] == 'B' || s[0] == 'b'))
		return 1;
	at = strchr(letters, toupper((unsigned char)s[0]));
	if (at == NULL || s[0] == '\0')
		return 0;
	for (const char *l = letters; l <= at; l++)
		mult *= 1024;
	if (len == 1)
		return mult;
	if (len == 2 && toupper((unsigned char)s[1]) == 'B')
		return mult;
	if (len == 3 && toupper((unsigned char)s[1]) == 'I' && toupper((unsigned char)s[2]) == 'B')
		return mult;
	return 0;
}

/* The length of text once trailing blanks are dropped. */
static size_t trimmed_length(const char *p)
{
	size_t len = strlen(p);

	while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
		len--;
	return len;
}

static bool word_is(const char *p, size_t len, const char *word)
{
	return strlen(word) == len && strncasecmp(p, word, len) == 0;
}

int units_parse_size(const char *text, struct size_spec *out)
{
	struct decimal d;
	const char *p, *number;
	size_t len;
	uint64_t mult;

	if (text == NULL)
		return -EINVAL;
	p = skip_blanks(text);
	len = trimmed_length(p);
	if (word_is(p, len, "unlimited") || word_is(p, len, "max") || word_is(p, len, "infinity")) {
		*out = (struct size_spec){ .kind = SIZE_UNLIMITED };
		return 0;
	}
	if (word_is(p, len, "auto")) {
		*out = (struct size_spec){ .kind = SIZE_AUTO };
		return 0;
	}
	number = p;
	if (!decimal_read(&p, &d))
		return -EINVAL;
	p = skip_blanks(p);
	len = trimmed_length(p);
	if (len == 1 && *p == '%') {
		/* strtod, exact to the last bit, so a printed percentage reads
		 * back as the same double. */
		double percent = strtod(number, NULL);
		if (percent > 100)
			return -EINVAL;
		*out = (struct size_spec){ .kind = SIZE_PERCENT, .percent = percent };
		return 0;
	}
	mult = size_suffix(p, len);
	if (mult == 0)
		return -EINVAL;
	if (len == 0 && !decimal_is_zero(&d))
		return -EDOM; /* "kill_rss = 50" would kill every job at once */
	*out = (struct size_spec){ .kind = SIZE_BYTES };
	if (!decimal_scale(&d, mult, &out->bytes))
		return -EINVAL;
	return 0;
}

uint64_t units_size_resolve(const struct size_spec *s, uint64_t base)
{
	double bytes;

	switch (s->kind) {
	case SIZE_BYTES:
		return s->bytes;
	case SIZE_PERCENT:
		bytes = (double)base * s->percent / 100.0;
		if (bytes >= 18446744073709551615.0)
			return UINT64_MAX;
		return (uint64_t)bytes;
	case SIZE_UNLIMITED:
	case SIZE_AUTO:
		break;
	}
	return UINT64_MAX;
}

int units_parse_duration_ms(const char *text, uint64_t *ms)
{
	struct decimal d;
	const char *p;
	size_t len;
	uint64_t scale;

	if (text == NULL)
		return -EINVAL;
	p = skip_blanks(text);
	if (!decimal_read(&p, &d))
		return -EINVAL;
	p = skip_blanks(p);
	len = trimmed_length(p);
	if (len == 0 || (len == 1 && *p == 's'))
		scale = 1000;
	else if (len == 2 && strncmp(p, "ms", 2) == 0)
		scale = 1;
	else if (len == 1 && *p == 'm')
		scale = 60 * 1000;
	else if (len == 1 && *p == 'h')
		scale = 60 * 60 * 1000;
	else
		return -EINVAL;
	if (!decimal_scale(&d, scale, ms))
		return -EINVAL;
	return 0;
}

int units_parse_number(const char *text, bool allow_percent, double *out)
{
	struct decimal d;
	const char *p;
	size_t len;
	double value;

	if (text == NULL)
		return -EINVAL;
	p = skip_blanks(text);
	if (!decimal_read(&p, &d))
		return -EINVAL;
	/* strtod on the digits themselves: exact to the last bit, unlike
	 * whole + fraction. */
	value = strtod(skip_blanks(text), NULL);
	p = skip_blanks(p);
	len = trimmed_length(p);
	if (len == 1 && *p == '%' && allow_percent)
		value /= 100.0;
	else if (len != 0)
		return -EINVAL;
	/* A ratio or share above a billion is a typo, and above 2^64 it
	 * would not print back as a number the parser takes. */
	if (!(value > 0) || !isfinite(value) || value > 1e9)
		return -EINVAL;
	*out = value;
	return 0;
}

char *units_format_size(uint64_t bytes, char *buf, size_t len)
{
	static const char *const names[] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	double value;
	size_t unit = 0;

	if (bytes < 1024) {
		snprintf(buf, len, "%llu B", (unsigned long long)bytes);
		return buf;
	}
	value = (double)bytes / 1024.0;
	/* Move up once the one-decimal figure would read 1024.0. */
	while (value >= 1023.95 && unit + 1 < sizeof names / sizeof names[0]) {
		value /= 1024.0;
		unit++;
	}
	snprintf(buf, len, "%.1f %s", value, names[unit]);
	return buf;
}

/* The shortest plain decimal (never an exponent, which the parsers refuse)
 * that strtod reads back as x. */
static void format_exact(double x, char *buf, size_t len)
{
	for (int decimals = 0; decimals <= 17; decimals++) {
		snprintf(buf, len, "%.*f", decimals, x);
		if (strtod(buf, NULL) == x)
			return;
	}
}

char *units_format_size_spec(const struct size_spec *s, char *buf, size_t len)
{
	static const char letters[] = "TGMK";
	char number[40];

	switch (s->kind) {
	case SIZE_PERCENT:
		format_exact(s->percent, number, sizeof number);
		snprintf(buf, len, "%s%%", number);
		return buf;
	case SIZE_UNLIMITED:
		snprintf(buf, len, "unlimited");
		return buf;
	case SIZE_AUTO:
		snprintf(buf, len, "auto");
		return buf;
	case SIZE_BYTES:
		break;
	}
	if (s->bytes != 0) {
		for (int i = 0; letters[i] != '\0'; i++) {
			uint64_t unit = 1ULL << (10 * (4 - i));
			if (s->bytes % unit == 0) {
				snprintf(buf, len, "%llu%c", (unsigned long long)(s->bytes / unit),
				         letters[i]);
				return buf;
			}
		}
	}
	snprintf(buf, len, s->bytes == 0 ? "%llu" : "%lluB", (unsigned long long)s->bytes);
	return buf;
}

char *units_format_duration(uint64_t ms, char *buf, size_t len)
{
	static const struct {
		uint64_t ms;
		const char *suffix;
	} units[] = {
		{ 60 * 60 * 1000, "h" },
		{ 60 * 1000, "m" },
		{ 1000, "s" },
	};

	if (ms == 0) {
		snprintf(buf, len, "0");
		return buf;
	}
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
		if (ms % units[i].ms == 0) {
			snprintf(buf, len, "%llu%s", (unsigned long long)(ms / units[i].ms),
			         units[i].suffix);
			return buf;
		}
	}
	snprintf(buf, len, "%llums", (unsigned long long)ms);
	return buf;
}

char *units_format_elapsed(uint64_t ms, char *buf, size_t len)
{
	unsigned long long s = ms / 1000;

	if (s < 60)
		snprintf(buf, len, "%llus", s);
	else if (s < 3600)
		snprintf(buf, len, "%llum%02llus", s / 60, s % 60);
	else
		snprintf(buf, len, "%lluh%02llum", s / 3600, (s % 3600) / 60);
	return buf;
}
