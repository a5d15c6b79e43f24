#include "clock.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static uint64_t clock_read_us(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint64_t clock_mono_ms(void)
{
	return clock_read_us(CLOCK_MONOTONIC) / 1000u;
}

uint64_t clock_mono_us(void)
{
	return clock_read_us(CLOCK_MONOTONIC);
}

uint64_t clock_wall_ms(void)
{
	return clock_read_us(CLOCK_REALTIME) / 1000u;
}

char *clock_format_rfc3339(uint64_t wall_ms, char *buf, size_t len)
{
	time_t secs = (time_t)(wall_ms / 1000u);
	struct tm tm;

	gmtime_r(&secs, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ", tm.tm_year + 1900, tm.tm_mon + 1,
	         tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (unsigned)(wall_ms % 1000u));
	return buf;
}

int64_t clock_parse_rfc3339(const char *ts)
{
	struct tm tm;
	int ms = 0, used = 0;

	if (ts == NULL)
		return -1;
	memset(&tm, 0, sizeof(tm));
	/* Fixed-width fields, the count and each range checked below. */
	/* NOLINTNEXTLINE(cert-err34-c) */
	if (sscanf(ts, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
	           &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &used) != 6)
		return -1;
	const char *rest = ts + used;

	if (rest[0] == '.') {
		int digits = 0;

		for (rest++; *rest >= '0' && *rest <= '9'; rest++, digits++) {
			if (digits < 3)
				ms = ms * 10 + (*rest - '0');
		}
		for (; digits < 3; digits++)
			ms *= 10;
	}
	if (strcmp(rest, "Z") != 0 || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 ||
	    tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	time_t t = timegm(&tm);

	return t < 0 ? -1 : (int64_t)t * 1000 + ms;
}
