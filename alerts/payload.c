/* Webhook bodies per service. The text lines come from text_event; this file
 * decides how many fit and wraps them in each service's JSON. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/clock.h"
#include "../core/text.h"
#include "../logdir/eventjson.h"
#include "payload.h"

enum {
	PAYLOAD_LINE_LEN = 1024, /* one event's sentence */
};

size_t payload_text_limit(enum webhook_format fmt)
{
	switch (fmt) {
	case WEBHOOK_DISCORD:
		return 2000; /* "content": 2000 characters, so 2000 bytes is safe */
	case WEBHOOK_SLACK:
		return 4000; /* Slack truncates longer messages */
	case WEBHOOK_MATTERMOST:
		return 4000; /* older servers' post limit; newer take 16383 */
	case WEBHOOK_TEAMS:
		return 20000; /* the whole card must stay under ~28 KB */
	case WEBHOOK_GENERIC:
		break;
	}
	return 16000;
}

/* The alert's condition (Alertmanager's "alertname"): bloat for a bloat
 * alert and for its resolution. ALERT_NONE for an event that is no alert. */
static enum alert_kind payload_alertname(const struct event *ev)
{
	return alert_kind_condition(event_alert_kind(ev));
}

/* Slack reads &, < and > as markup (<!channel> pings everyone): escape them
 * as its documentation asks. Writes into out (4x + 1 bytes of in at most). */
static void payload_slack_escape(const char *in, char *out)
{
	for (; *in != '\0'; in++) {
		const char *rep = *in == '&'   ? "&amp;"
		                  : *in == '<' ? "&lt;"
		                  : *in == '>' ? "&gt;"
		                               : NULL;

		if (rep != NULL) {
			size_t n = strlen(rep);

			memcpy(out, rep, n);
			out += n;
		} else {
			*out++ = *in;
		}
	}
	*out = '\0';
}

/* The lines of one message, and how many events they cover. */
struct payload_text {
	char *text;   /* joined with "\n" */
	char **lines; /* each event's line, for Teams' blocks */
	size_t n_lines;
};

static void payload_text_free(struct payload_text *pt)
{
	for (size_t i = 0; i < pt->n_lines; i++)
		free(pt->lines[i]);
	free(pt->lines);
	free(pt->text);
}

/* Writes the text of as many events as fit in limit bytes, note included. */
static int payload_text_make(enum webhook_format fmt, const char *host,
                             const struct event *const *events, size_t n_events, const char *note,
                             struct payload_text *pt)
{
	size_t limit = payload_text_limit(fmt);
	size_t note_len = 0, used = 0;
	char line[PAYLOAD_LINE_LEN], esc[PAYLOAD_LINE_LEN * 5 + 1], note_line[PAYLOAD_LINE_LEN];

	memset(pt, 0, sizeof *pt);
	pt->text = malloc(limit + 1);
	pt->lines = calloc(n_events > 0 ? n_events : 1, sizeof *pt->lines);
	if (pt->text == NULL || pt->lines == NULL)
		return -1;
	pt->text[0] = '\0';
	if (note != NULL) {
		snprintf(note_line, sizeof note_line, "%s", note);
		note_len = strlen(text_truncate(note_line, limit / 2)) + 1;
	}
	for (size_t i = 0; i < n_events; i++) {
		const char *s = text_event(events[i], host, line, sizeof line);
		size_t sep = used > 0 ? 1 : 0, n;

		if (fmt == WEBHOOK_SLACK) {
			payload_slack_escape(line, esc);
			s = esc;
		}
		n = strlen(s);
		if (used + sep + n + note_len > limit) {
			if (i > 0)
				break;
			/* One line alone is too long: cut it rather than send nothing. */
			if (s != esc)
				memcpy(esc, s, n + 1);
			n = strlen(text_truncate(esc, limit - note_len));
			s = esc;
		}
		pt->lines[i] = strdup(s);
		if (pt->lines[i] == NULL)
			return -1;
		pt->n_lines++;
		if (sep)
			pt->text[used++] = '\n';
		memcpy(pt->text + used, s, n + 1);
		used += n;
	}
	if (note != NULL) {
		if (used > 0)
			pt->text[used++] = '\n';
		memcpy(pt->text + used, note_line, note_len);
	}
	return 0;
}

static json_t *payload_teams(const struct payload_text *pt, const struct event *const *events,
                             const char *note)
{
	static const char *const colors[] = {
		[SEVERITY_WARNING] = "Warning",
		[SEVERITY_CRITICAL] = "Attention",
		[SEVERITY_INFO] = "Default",
	};
	json_t *body = json_array();

	for (size_t i = 0; i < pt->n_lines; i++) {
		enum alert_kind name = payload_alertname(events[i]);
		const char *color = colors[SEVERITY_WARNING];

		if (events[i]->kind == EVENT_RESOLVED)
			color = "Good";
		else if (name != ALERT_NONE)
			color = colors[alert_kind_severity(name)];
		json_array_append_new(body,
		                      json_pack("{s:s, s:s, s:b, s:s}", "type", "TextBlock", "text",
		                                pt->lines[i], "wrap", 1, "color", color));
	}
	if (note != NULL)
		json_array_append_new(body, json_pack("{s:s, s:s, s:b, s:b}", "type", "TextBlock",
		                                      "text", note, "wrap", 1, "isSubtle", 1));
	/* Teams workflow webhooks take Adaptive Cards up to 1.4 and no MessageCard. */
	return json_pack("{s:s, s:[{s:s, s:n, s:{s:s, s:s, s:s, s:o}}]}", "type", "message",
	                 "attachments", "contentType", "application/vnd.microsoft.card.adaptive",
	                 "contentUrl", "content", "$schema",
	                 "http://adaptivecards.io/schemas/adaptive-card.json", "type",
	                 "AdaptiveCard", "version", "1.4", "body", body);
}

/* An event field as an annotation: Alertmanager's annotations are strings. */
static json_t *payload_annotation(const json_t *v)
{
	char buf[64];

	if (json_is_string(v))
		return json_string(json_string_value(v));
	if (json_is_integer(v)) {
		snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return json_string(buf);
	}
	if (json_is_real(v)) {
		snprintf(buf, sizeof buf, "%.6g", json_real_value(v));
		return json_string(buf);
	}
	if (json_is_boolean(v))
		return json_string(json_is_true(v) ? "true" : "false");
	if (json_is_array(v) || json_is_object(v)) {
		char *dump = json_dumps(v, JSON_COMPACT);
		json_t *s = dump != NULL ? json_string(dump) : NULL;

		free(dump);
		return s;
	}
	return NULL; /* null: left out */
}

/* A stable identity for the (alertname, pair, host) series, as
 * Alertmanager's fingerprint: FNV-1a over the labels. */
static void payload_fingerprint(const char *alertname, const char *pair, const char *host,
                                char *out, size_t len)
{
	const char *parts[] = { alertname, pair != NULL ? pair : "", host };
	uint64_t h = 14695981039346656037ULL;

	for (size_t i = 0; i < 3; i++) {
		for (const unsigned char *p = (const unsigned char *)parts[i];; p++) {
			h ^= *p;
			h *= 1099511628211ULL;
			if (*p == '\0')
				break;
		}
	}
	snprintf(out, len, "%016" PRIx64, h);
}

static json_t *payload_am_alert(const struct event *ev, const char *host, const char *text,
                                uint64_t wall_ms)
{
	char fp[20], ts[32];
	enum alert_kind name = payload_alertname(ev);
	const char *alertname =
		name != ALERT_NONE ? alert_kind_name(name) : event_kind_name(ev->kind);
	const char *pair = event_has(ev, EF_PAIR) ? ev->pair : NULL;
	bool resolved = ev->kind == EVENT_RESOLVED;
	json_t *labels, *annotations, *alert, *fields;
	const char *key;
	json_t *value;

	clock_format_rfc3339(ev->wall_ms != 0 ? ev->wall_ms : wall_ms, ts, sizeof ts);
	labels = json_pack("{s:s, s:s, s:s}", "alertname", alertname, "host", host, "severity",
	                   alert_severity_name(name != ALERT_NONE ? alert_kind_severity(name)
	                                                          : SEVERITY_WARNING));
	if (labels != NULL && pair != NULL)
		json_object_set_new(labels, "pair", json_string(pair));
	annotations = json_pack("{s:s}", "summary", text);
	fields = eventjson_encode(ev, NULL);
	if (annotations != NULL && fields != NULL) {
		/* The event's own fields, so a receiver can use the figures. */
		json_object_set_new(fields, "ts", json_string(ts));
		json_object_foreach(fields, key, value)
		{
			json_t *s;

			if (strcmp(key, "summary") == 0 || strcmp(key, "pair") == 0)
				continue;
			s = payload_annotation(value);
			if (s != NULL)
				json_object_set_new(annotations, key, s);
		}
	}
	json_decref(fields);
	payload_fingerprint(alertname, pair, host, fp, sizeof fp);
	alert = json_pack("{s:s, s:o*, s:o*, s:s, s:s, s:s, s:s}", "status",
	                  resolved ? "resolved" : "firing", "labels", labels, "annotations",
	                  annotations, "startsAt", ts,
	                  /* Alertmanager's "no end yet" for firing alerts */
	                  "endsAt", resolved ? ts : "0001-01-01T00:00:00Z", "generatorURL", "",
	                  "fingerprint", fp);
	return alert;
}

static json_t *payload_generic(const struct payload_text *pt, const struct event *const *events,
                               const char *host, const char *note, uint64_t wall_ms)
{
	json_t *alerts = json_array(), *root;
	bool firing = false;
	char group_key[300];

	for (size_t i = 0; i < pt->n_lines; i++) {
		firing |= events[i]->kind != EVENT_RESOLVED;
		json_array_append_new(alerts,
		                      payload_am_alert(events[i], host, pt->lines[i], wall_ms));
	}
	snprintf(group_key, sizeof group_key, "{}:{host=\"%s\"}", host);
	root = json_pack("{s:s, s:s, s:i, s:s, s:s, s:{s:s}, s:{s:s}, s:{}, s:s, s:o, s:s, s:s}",
	                 "version", "4", "groupKey", group_key, "truncatedAlerts", 0, "status",
	                 firing || pt->n_lines == 0 ? "firing" : "resolved", "receiver",
	                 "mergewatch", "groupLabels", "host", host, "commonLabels", "host", host,
	                 "commonAnnotations", "externalURL", "", "alerts", alerts, "text", pt->text,
	                 "host", host);
	if (root != NULL && note != NULL)
		json_object_set_new(root, "note", json_string(note));
	return root;
}

json_t *payload_build(enum webhook_format fmt, const char *host, const struct event *const *events,
                      size_t n_events, const char *note, uint64_t wall_ms, size_t *used)
{
	struct payload_text pt;
	json_t *body = NULL;

	*used = 0;
	if (n_events == 0 && note == NULL)
		return NULL;
	if (payload_text_make(fmt, host, events, n_events, note, &pt) < 0) {
		payload_text_free(&pt);
		return NULL;
	}
	switch (fmt) {
	case WEBHOOK_SLACK:
	case WEBHOOK_MATTERMOST:
		body = json_pack("{s:s}", "text", pt.text);
		break;
	case WEBHOOK_DISCORD:
		/* allowed_mentions with nothing to parse: no one is pinged. */
		body = json_pack("{s:s, s:{s:[]}}", "content", pt.text, "allowed_mentions",
		                 "parse");
		break;
	case WEBHOOK_TEAMS:
		body = payload_teams(&pt, events, note);
		break;
	case WEBHOOK_GENERIC:
		body = payload_generic(&pt, events, host, note, wall_ms);
		break;
	}
	if (body != NULL)
		*used = pt.n_lines;
	payload_text_free(&pt);
	return body;
}
