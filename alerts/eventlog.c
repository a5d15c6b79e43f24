#include "eventlog.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../runner/clock.h"

struct eventlog_sink {
	FILE *fp;
	bool owned;
	char *name;
};

struct eventlog {
	struct eventlog_sink sinks[2];
	int n_sinks;
};

struct eventlog *eventlog_new(FILE *out, const char *path, char *err, size_t errlen)
{
	struct eventlog *log = calloc(1, sizeof(*log));

	if (log == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (out != NULL) {
		log->sinks[log->n_sinks++] = (struct eventlog_sink){ out, false, strdup("standard output") };
	}
	if (path != NULL) {
		FILE *fp = fopen(path, "ae");

		if (fp == NULL) {
			snprintf(err, errlen, "cannot open event log %s: %s", path, strerror(errno));
			eventlog_free(log);
			return NULL;
		}
		/* The sink owns fp from here: eventlog_free closes it. */
		log->sinks[log->n_sinks++] = (struct eventlog_sink){ fp, true, strdup(path) };
		// cppcheck-suppress resourceLeak
	}
	return log;
}

static void eventlog_drop(struct eventlog_sink *sink)
{
	if (sink->owned && sink->fp != NULL)
		fclose(sink->fp);
	sink->fp = NULL;
}

void eventlog_free(struct eventlog *log)
{
	if (log == NULL)
		return;
	for (int i = 0; i < log->n_sinks; i++) {
		eventlog_drop(&log->sinks[i]);
		free(log->sinks[i].name);
	}
	free(log);
}

void eventlog_mute_stdout(struct eventlog *log)
{
	for (int i = 0; i < log->n_sinks; i++) {
		if (!log->sinks[i].owned)
			eventlog_drop(&log->sinks[i]);
	}
}

int eventlog_write(struct eventlog *log, json_t *ev, uint64_t wall_ms, char *err, size_t errlen)
{
	char ts[32];
	int rc = 0;

	/* "ts" and "event" lead the line so people can read a log with less;
	 * jansson keeps insertion order, so rebuild the object in that order. */
	json_t *line = json_object();
	const char *key;
	json_t *value;

	if (line == NULL)
		return -ENOMEM;
	json_object_set_new(line, "ts", json_string(clock_format_rfc3339(wall_ms, ts, sizeof(ts))));
	json_object_set(line, "event", json_object_get(ev, "event"));
	json_object_foreach(ev, key, value) {
		if (strcmp(key, "ts") != 0 && strcmp(key, "event") != 0)
			json_object_set(line, key, value);
	}
	json_object_set_new(ev, "ts", json_string(ts));

	char *text = json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII |
				 JSON_REAL_PRECISION(10));

	json_decref(line);
	if (text == NULL)
		return -ENOMEM;
	for (int i = 0; i < log->n_sinks; i++) {
		struct eventlog_sink *sink = &log->sinks[i];

		if (sink->fp == NULL)
			continue;
		if (fputs(text, sink->fp) < 0 || fputc('\n', sink->fp) < 0 || fflush(sink->fp) != 0) {
			int e = errno ? errno : EIO;

			if (rc == 0) {
				snprintf(err, errlen, "cannot write the event log to %s: %s; "
					 "enforcement goes on without it", sink->name, strerror(e));
				rc = -e;
			}
			eventlog_drop(sink);
		}
	}
	free(text);
	return rc;
}
