/* events.jsonl read back: the run's outline, each pair's story, the alert
 * list and the moments the charts mark. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../core/event.h"
#include "../core/text.h"
#include "../logdir/eventjson.h"
#include "rlog_internal.h"

enum { RLOG_TEXT_LEN = 512 };

static int rlog_events_alert(struct rlog *log, const struct event *ev, int64_t t_ms)
{
	char text[RLOG_TEXT_LEN];
	enum alert_kind kind = event_alert_kind(ev);

	if (kind == ALERT_NONE)
		return 0;
	if (rlog_grow((void **)&log->alerts, &log->cap_alerts, log->n_alerts,
	              sizeof(*log->alerts)) < 0)
		return -ENOMEM;
	struct rlog_alert *a = &log->alerts[log->n_alerts];

	a->t_ms = t_ms;
	snprintf(a->kind, sizeof(a->kind), "%s", alert_kind_name(kind));
	if ((a->text = strdup(text_event(ev, NULL, text, sizeof(text)))) == NULL)
		return -ENOMEM;
	log->n_alerts++;
	return 0;
}

static void rlog_events_pair_end(struct rlog_pair *p, const struct event *ev)
{
	uint64_t peak = event_has(ev, EF_PEAK_RSS) ? ev->peak_rss : 0;
	const char *reason = !event_has(ev, EF_END_REASON)    ? ""
	                     : ev->end_reason == REASON_OTHER ? ev->other
	                                                      : event_reason_name(ev->end_reason);

	p->stage = event_has(ev, EF_STATUS) ? RLOG_ENDED : RLOG_NOT_STARTED;
	p->status = ev->status;
	snprintf(p->reason, sizeof(p->reason), "%s", reason);
	snprintf(p->signal, sizeof(p->signal), "%s", event_has(ev, EF_SIGNAL) ? ev->signal : "");
	p->exit_code = event_has(ev, EF_EXIT_CODE) ? ev->exit_code : -1;
	p->elapsed_s = event_has(ev, EF_ELAPSED_S) ? ev->elapsed_s : 0;
	p->resumed = event_has(ev, EF_RESUMED) && ev->resumed;
	if (peak > p->peak_rss_bytes)
		p->peak_rss_bytes = peak;
	/* the ratio gives the input when pair_start was not seen */
	if (p->input_bytes == 0 && event_has(ev, EF_RATIO) && ev->ratio > 0 && peak > 0)
		p->input_bytes = (uint64_t)((double)peak / ev->ratio);
}

/* What one event tells about its pair. */
static int rlog_events_pair(struct rlog *log, const struct event *ev, int64_t t_ms)
{
	long i = rlog_pair_index(log, ev->pair);

	if (i < 0)
		return -ENOMEM;
	struct rlog_pair *p = &log->pairs[i];
	uint64_t rss = event_has(ev, EF_RSS) ? ev->rss : 0;

	if (rss > p->peak_rss_bytes)
		p->peak_rss_bytes = rss;
	if (event_has(ev, EF_KILL_RSS) && ev->kill_rss > 0)
		p->kill_rss_bytes = ev->kill_rss;
	if (event_has(ev, EF_INPUT_BYTES) && ev->input_bytes > 0)
		p->input_bytes = ev->input_bytes;
	switch (ev->kind) {
	case EVENT_PAIR_START:
		if (event_has(ev, EF_COMMAND) && ev->command != NULL) {
			free(p->command);
			if ((p->command = strdup(ev->command)) == NULL)
				return -ENOMEM;
		}
		p->attempts = event_has(ev, EF_ATTEMPT) ? ev->attempt : p->attempts + 1;
		p->stage = RLOG_RUNNING;
		p->reason[0] = '\0';
		break;
	case EVENT_PAIR_END:
		rlog_events_pair_end(p, ev);
		/* a resumed pair did nothing in this run worth a marker */
		if (p->resumed)
			return 0;
		break;
	case EVENT_APPROACH:
	case EVENT_BLOAT:
	case EVENT_DEADLOCK:
	case EVENT_KILL:
	case EVENT_RESOLVED:
		break;
	default:
		return 0;
	}
	return rlog_add_mark(&p->marks, &p->n_marks, &p->cap_marks, t_ms, ev->kind, rss);
}

static int rlog_events_one(struct rlog *log, const struct event *ev, int64_t t_ms)
{
	if (log->start_ms == 0 || t_ms < log->start_ms)
		log->start_ms = t_ms;
	if (t_ms > log->end_ms)
		log->end_ms = t_ms;
	if (ev->kind == EVENT_RUN_START) {
		log->runs++;
		log->finished = false;
		if (event_has(ev, EF_MEMORY_BUDGET))
			log->memory_budget_bytes = ev->memory_budget;
		if (event_has(ev, EF_PLAN) && ev->plan != NULL) {
			free(log->plan);
			if ((log->plan = strdup(ev->plan)) == NULL)
				return -ENOMEM;
		}
	} else if (ev->kind == EVENT_RUN_END) {
		log->finished = true;
	} else if (ev->kind == EVENT_ALERT_SENT) {
		log->alerts_sent++;
	} else if (ev->kind == EVENT_ALERT_FAILED) {
		log->alerts_failed++;
	} else if (event_has(ev, EF_PAIR)) {
		if (rlog_events_pair(log, ev, t_ms) < 0)
			return -ENOMEM;
	} else if (ev->kind == EVENT_PRESSURE || ev->kind == EVENT_RESOLVED) {
		if (rlog_add_mark(&log->sys_marks, &log->n_sys_marks, &log->cap_sys_marks, t_ms,
		                  ev->kind, 0) < 0)
			return -ENOMEM;
	}
	return rlog_events_alert(log, ev, t_ms);
}

/* Parses one line; *why says what is wrong with a bad one. */
static int rlog_events_line(struct rlog *log, const char *line, char *why, size_t len)
{
	json_error_t jerr;
	json_t *obj = json_loads(line, JSON_REJECT_DUPLICATES, &jerr);
	struct event ev;
	int rc = -EINVAL;

	if (obj == NULL) {
		snprintf(why, len, "column %d: %s", jerr.column, jerr.text);
		return -EINVAL;
	}
	int64_t t_ms = rlog_parse_ts(json_string_value(json_object_get(obj, "ts")));

	if (!json_is_object(obj))
		snprintf(why, len, "not a JSON object");
	else if (eventjson_decode(obj, &ev) < 0)
		snprintf(why, len, "no \"event\"");
	else if (t_ms < 0)
		snprintf(why, len, "no RFC 3339 \"ts\"");
	else if ((rc = rlog_events_one(log, &ev, t_ms)) < 0)
		snprintf(why, len, "out of memory");
	json_decref(obj);
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
