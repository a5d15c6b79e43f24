#include "eventlog.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../core/event.h"
#include "../core/text.h"
#include "../lib/clock.h"
#include "eventjson.h"
#include "systemd.h"

/* Standard output goes through stdio; the file through write(2), one call a
 * line, so a full disk can never leave half a line for the next run to
 * append to (a short write is cut back off). */
struct eventlog_sink {
	FILE *fp; /* standard output, borrowed */
	int fd;   /* the file, owned; -1 for standard output */
	char *name;
};

struct eventlog {
	struct eventlog_sink sinks[2];
	int n_sinks;
	struct journal *journal; /* NULL: stderr is not the journal */
	char run_id[40];
};

bool eventlog_enable_journal(struct eventlog *log, const char *run_id)
{
	if (log->journal == NULL)
		log->journal = journal_open("mergewatch");
	snprintf(log->run_id, sizeof log->run_id, "%s", run_id != NULL ? run_id : "");
	return log->journal != NULL;
}

/* The event as a journal entry: the sentence people read, the priority
 * journalctl -p filters on, the pair and event to match on. Lost entries
 * are not retried: the event log file has them all. */
static void eventlog_journal(struct eventlog *log, const struct event *ev)
{
	char text[1024];
	enum event_priority pri = event_priority(ev->kind);
	enum alert_kind alert = event_alert_kind(ev);

	if (log->journal == NULL)
		return;
	/* A pair that failed or was killed alerts: warning, as the alerts. */
	if (pri > EVENT_PRI_WARNING && (alert == ALERT_PAIR_FAILED || alert == ALERT_PAIR_KILLED ||
	                                alert == ALERT_GATE_TIMEOUT))
		pri = EVENT_PRI_WARNING;
	/* No "mergewatch@host:" prefix: the journal records both itself. */
	text_event(ev, NULL, text, sizeof text);
	journal_send(log->journal, (int)pri, text,
	             ev->kind == EVENT_OTHER ? ev->other : event_kind_name(ev->kind),
	             event_has(ev, EF_PAIR) ? ev->pair : NULL,
	             log->run_id[0] != '\0' ? log->run_id : NULL);
}

struct eventlog *eventlog_new(FILE *out, const char *path, char *err, size_t errlen)
{
	struct eventlog *log = calloc(1, sizeof(*log));

	if (log == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (out != NULL)
		log->sinks[log->n_sinks++] =
			(struct eventlog_sink){ out, -1, strdup("standard output") };
	if (path != NULL) {
		int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

		if (fd < 0) {
			snprintf(err, errlen, "cannot open event log %s: %s", path,
			         strerror(errno));
			eventlog_free(log);
			return NULL;
		}
		struct eventlog_sink *sink = &log->sinks[log->n_sinks++];

		/* field by field: cppcheck loses the descriptor in a compound literal */
		sink->fp = NULL;
		sink->fd = fd;
		sink->name = strdup(path);
	}
	return log;
}

static void eventlog_drop(struct eventlog_sink *sink)
{
	if (sink->fd >= 0)
		close(sink->fd);
	sink->fd = -1;
	sink->fp = NULL;
}

static bool eventlog_live(const struct eventlog_sink *sink)
{
	return sink->fp != NULL || sink->fd >= 0;
}

/* Appends one whole line to the file, or nothing: 0 or -errno. */
static int eventlog_append(int fd, const char *line, size_t len)
{
	off_t before = lseek(fd, 0, SEEK_END);
	ssize_t n = write(fd, line, len);

	if (n == (ssize_t)len)
		return 0;
	int e = n < 0 ? errno : ENOSPC;

	if (n > 0 && before >= 0 && ftruncate(fd, before) < 0) {
		/* The half line stays; nothing more can be done. */
	}
	return -e;
}

void eventlog_free(struct eventlog *log)
{
	if (log == NULL)
		return;
	for (int i = 0; i < log->n_sinks; i++) {
		eventlog_drop(&log->sinks[i]);
		free(log->sinks[i].name);
	}
	journal_free(log->journal);
	free(log);
}

void eventlog_mute_stdout(struct eventlog *log)
{
	for (int i = 0; i < log->n_sinks; i++) {
		if (log->sinks[i].fd < 0)
			eventlog_drop(&log->sinks[i]);
	}
}

int eventlog_write(struct eventlog *log, const struct event *ev, char *err, size_t errlen)
{
	char ts[32];
	int rc = 0;
	/* "ts" and "event" lead the line so people can read a log with less. */
	json_t *line = eventjson_encode(ev, clock_format_rfc3339(ev->wall_ms, ts, sizeof(ts)));

	if (line == NULL)
		return -ENOMEM;
	char *text = json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII |
	                                      JSON_REAL_PRECISION(10));

	json_decref(line);
	if (text == NULL)
		return -ENOMEM;
	eventlog_journal(log, ev);
	size_t len = strlen(text);

	text[len] = '\n'; /* json_dumps' NUL becomes the newline */
	for (int i = 0; i < log->n_sinks; i++) {
		struct eventlog_sink *sink = &log->sinks[i];
		int e = 0;

		if (!eventlog_live(sink))
			continue;
		if (sink->fd >= 0)
			e = -eventlog_append(sink->fd, text, len + 1);
		else if (fwrite(text, 1, len + 1, sink->fp) != len + 1 || fflush(sink->fp) != 0)
			e = errno ? errno : EIO;
		if (e != 0) {
			if (rc == 0) {
				snprintf(err, errlen,
				         "cannot write the event log to %s: %s; "
				         "enforcement goes on without it",
				         sink->name, strerror(e));
				rc = -e;
			}
			eventlog_drop(sink);
		}
	}
	free(text);
	return rc;
}
