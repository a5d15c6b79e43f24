#include "clock.h"

#include <stdio.h>
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
