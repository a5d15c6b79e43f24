/* events.jsonl read back: the run's outline, each pair's story, the alert
 * list and the moments the charts mark. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../core/text.h"
#include "rlog_internal.h"

enum { RLOG_TEXT_LEN = 512 };

static uint64_t rlog_events_u64(const json_t *ev, const char *key)
{
	const json_t *v = json_object_get(ev, key);

	if (json_is_integer(v) && json_integer_value(v) > 0)
		return (uint64_t)json_integer_value(v);
	return 0;
}

static void rlog_events_copy(char *dst, size_t len, const json_t *ev, const char *key)
{
	const char *s = json_string_value(json_object_get(ev, key));

	snprintf(dst, len, "%s", s ? s : "");
}

static int rlog_events_alert(struct rlog *log, const json_t *ev, int64_t t_ms)
{
	char kind[32], text[RLOG_TEXT_LEN];

	if (text_alert_kind(ev, kind, sizeof(kind)) == NULL)
		return 0;
	if (rlog_grow((void **)&log->alerts, &log->cap_alerts, log->n_alerts,
	              sizeof(*log->alerts)) < 0)
		return -ENOMEM;
	struct rlog_alert *a = &log->alerts[log->n_alerts];

	a->t_ms = t_ms;
	snprintf(a->kind, sizeof(a->kind), "%s", kind);
	if ((a->text = strdup(text_event(ev, NULL, text, sizeof(text)))) == NULL)
		return -ENOMEM;
	log->n_alerts++;
	return 0;
}

static void rlog_events_pair_end(struct rlog_pair *p, const json_t *ev)
{
	const json_t *ratio = json_object_get(ev, "ratio");
	const json_t *elapsed = json_object_get(ev, "elapsed_s");
	const json_t *code = json_object_get(ev, "exit_code");
	uint64_t peak = rlog_events_u64(ev, "peak_rss");

	rlog_events_copy(p->status, sizeof(p->status), ev, "status");
	rlog_events_copy(p->reason, sizeof(p->reason), ev, "reason");
	rlog_events_copy(p->signal, sizeof(p->signal), ev, "signal");
	p->exit_code = json_is_integer(code) ? (int)json_integer_value(code) : -1;
	p->elapsed_s = json_is_number(elapsed) ? json_number_value(elapsed) : 0;
	p->resumed = json_is_true(json_object_get(ev, "resumed"));
	if (peak > p->peak_rss_bytes)
		p->peak_rss_bytes = peak;
	/* the ratio gives the input when pair_start was not seen */
	if (p->input_bytes == 0 && json_is_number(ratio) && json_number_value(ratio) > 0 &&
	    peak > 0)
		p->input_bytes = (uint64_t)((double)peak / json_number_value(ratio));
}

/* What one event tells about its pair. */
static int rlog_events_pair(struct rlog *log, const char *name, const json_t *ev, int64_t t_ms)
{
	long i = rlog_pair_index(log, json_string_value(json_object_get(ev, "pair")));

	if (i < 0)
		return -ENOMEM;
	struct rlog_pair *p = &log->pairs[i];
	uint64_t rss = rlog_events_u64(ev, "rss");
	uint64_t kill_rss = rlog_events_u64(ev, "kill_rss");
	uint64_t input = rlog_events_u64(ev, "input_bytes");

	if (rss > p->peak_rss_bytes)
		p->peak_rss_bytes = rss;
	if (kill_rss > 0)
		p->kill_rss_bytes = kill_rss;
	if (input > 0)
		p->input_bytes = input;
	if (strcmp(name, "pair_start") == 0) {
		const char *command = json_string_value(json_object_get(ev, "command"));
		const json_t *attempt = json_object_get(ev, "attempt");

		if (command != NULL) {
			free(p->command);
			if ((p->command = strdup(command)) == NULL)
				return -ENOMEM;
		}
		p->attempts = json_is_integer(attempt) ? (int)json_integer_value(attempt)
		                                       : p->attempts + 1;
		snprintf(p->status, sizeof(p->status), "running");
		p->reason[0] = '\0';
	} else if (strcmp(name, "pair_end") == 0) {
		rlog_events_pair_end(p, ev);
		/* a resumed pair did nothing in this run worth a marker */
		if (p->resumed)
			return 0;
	} else if (strcmp(name, "approach") != 0 && strcmp(name, "bloat") != 0 &&
	           strcmp(name, "deadlock") != 0 && strcmp(name, "kill") != 0 &&
	           strcmp(name, "resolved") != 0) {
		return 0;
	}
	return rlog_add_mark(&p->marks, &p->n_marks, &p->cap_marks, t_ms, name, rss);
}

static int rlog_events_one(struct rlog *log, const json_t *ev, int64_t t_ms)
{
	const char *name = json_string_value(json_object_get(ev, "event"));

	if (log->start_ms == 0 || t_ms < log->start_ms)
		log->start_ms = t_ms;
	if (t_ms > log->end_ms)
		log->end_ms = t_ms;
	if (strcmp(name, "run_start") == 0) {
		const char *plan = json_string_value(json_object_get(ev, "plan"));

		log->runs++;
		log->finished = false;
		if (plan != NULL) {
			free(log->plan);
			if ((log->plan = strdup(plan)) == NULL)
				return -ENOMEM;
		}
	} else if (strcmp(name, "run_end") == 0) {
		log->finished = true;
	} else if (strcmp(name, "alert_sent") == 0) {
		log->alerts_sent++;
	} else if (strcmp(name, "alert_failed") == 0) {
		log->alerts_failed++;
	} else if (json_is_string(json_object_get(ev, "pair"))) {
		if (rlog_events_pair(log, name, ev, t_ms) < 0)
			return -ENOMEM;
	} else if (strcmp(name, "pressure") == 0 || strcmp(name, "resolved") == 0) {
		if (rlog_add_mark(&log->sys_marks, &log->n_sys_marks, &log->cap_sys_marks, t_ms,
		                  name, 0) < 0)
			return -ENOMEM;
	}
	return rlog_events_alert(log, ev, t_ms);
}

/* Parses one line; *why says what is wrong with a bad one. */
static int rlog_events_line(struct rlog *log, const char *line, char *why, size_t len)
{
	json_error_t jerr;
	json_t *ev = json_loads(line, JSON_REJECT_DUPLICATES, &jerr);
	int rc = -EINVAL;

	if (ev == NULL) {
		snprintf(why, len, "column %d: %s", jerr.column, jerr.text);
		return -EINVAL;
	}
	int64_t t_ms = rlog_parse_ts(json_string_value(json_object_get(ev, "ts")));

	if (!json_is_object(ev))
		snprintf(why, len, "not a JSON object");
	else if (!json_is_string(json_object_get(ev, "event")))
		snprintf(why, len, "no \"event\"");
	else if (t_ms < 0)
		snprintf(why, len, "no RFC 3339 \"ts\"");
	else if ((rc = rlog_events_one(log, ev, t_ms)) < 0)
		snprintf(why, len, "out of memory");
	json_decref(ev);
	return rc;
}

int rlog_events_load(struct rlog *log, const char *path, char *err, size_t errlen)
{
	FILE *fp = fopen(path, "re");
	char *line = NULL, why[256];
	size_t cap = 0;
	long lineno = 0;
	int rc, got;

	if (fp == NULL) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return rc;
	}
	rc = 0;
	while ((got = rlog_next_line(fp, &line, &cap)) > 0) {
		lineno++;
		if (line[strspn(line, " \t\r")] == '\0')
			continue;
		rc = rlog_events_line(log, line, why, sizeof(why));
		if (rc == -EINVAL && got == 2) {
			rc = 0; /* the last line, cut while it was written */
			break;
		}
		if (rc < 0) {
			snprintf(err, errlen, "%s:%ld: %s", path, lineno, why);
			break;
		}
		log->n_events++;
	}
	if (got < 0) {
		rc = got;
		snprintf(err, errlen, "%s: %s", path, strerror(-got));
	}
	free(line);
	fclose(fp);
	return rc;
}
