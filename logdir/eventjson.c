/* Field by field through the tables of core/event.c. */
#include "eventjson.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../lib/clock.h"
#include "../lib/jsonstr.h"

static json_t *eventjson_str(const char *s)
{
	return s != NULL ? jsonstr_new(s) : json_null();
}

static json_t *eventjson_name(const char *name)
{
	return name != NULL ? json_string(name) : json_null();
}

static json_t *eventjson_reason(const struct event *ev, enum event_reason r)
{
	return eventjson_name(r == REASON_OTHER ? ev->other : event_reason_name(r));
}

static json_t *eventjson_pids(const struct event *ev)
{
	json_t *a = json_array();

	for (int i = 0; i < ev->n_blocked && i < EVENT_MAX_PIDS && a != NULL; i++)
		json_array_append_new(a, json_integer(ev->blocked_pids[i]));
	return a;
}

static json_t *eventjson_waits(const struct event *ev)
{
	json_t *a = json_array();

	for (int i = 0; i < ev->n_waiting_on && i < EVENT_MAX_WAITS && a != NULL; i++) {
		const struct event_wait *w = &ev->waiting_on[i];

		json_array_append_new(a, json_pack("{s:i, s:i, s:o}", "pid", (int)w->pid, "tid",
		                                   (int)w->tid, "what", jsonstr_new(w->what)));
	}
	return a;
}

/* The member of ev field f lives in. Through void *: the offset is the
 * member's offsetof, so the member is aligned for its type. */
#define FIELD(ev, f, type) ((type *)(void *)((char *)(ev) + event_field_offset(f)))
#define CFIELD(ev, f, type)                                                                        \
	((const type *)(const void *)((const char *)(ev) + event_field_offset(f)))

/* The value of field f of ev. */
static json_t *eventjson_value(const struct event *ev, enum event_field f)
{
	switch (event_field_type(f)) {
	case ETYPE_STR:
		return eventjson_str(*CFIELD(ev, f, char *));
	case ETYPE_INT:
		return json_integer(*CFIELD(ev, f, int));
	case ETYPE_U64:
		return json_integer((json_int_t)*CFIELD(ev, f, uint64_t));
	case ETYPE_REAL:
		return json_real(*CFIELD(ev, f, double));
	case ETYPE_BOOL:
		return json_boolean(*CFIELD(ev, f, bool));
	case ETYPE_PIDS:
		return eventjson_pids(ev);
	case ETYPE_WAITS:
		return eventjson_waits(ev);
	case ETYPE_REASON:
		return eventjson_reason(ev, *CFIELD(ev, f, enum event_reason));
	case ETYPE_STATUS:
		return eventjson_name(event_status_name(*CFIELD(ev, f, enum event_status)));
	case ETYPE_CONDITION:
		return eventjson_name(event_condition_name(*CFIELD(ev, f, enum event_condition)));
	case ETYPE_ALERT_KIND:
		return eventjson_name(alert_kind_name(*CFIELD(ev, f, enum alert_kind)));
	}
	return json_null();
}

json_t *eventjson_encode(const struct event *ev, const char *ts)
{
	json_t *obj = json_object();
	size_t n;
	const struct event_field_use *u = event_kind_fields(ev->kind, &n);
	bool prev_written = false;

	if (obj == NULL)
		return NULL;
	if (ts != NULL)
		json_object_set_new(obj, "ts", json_string(ts));
	json_object_set_new(obj, "event",
	                    json_string(ev->kind == EVENT_OTHER && ev->other[0] != '\0'
	                                        ? ev->other
	                                        : event_kind_name(ev->kind)));
	for (size_t i = 0; i < n; i++) {
		enum event_field f = u[i].field;
		json_t *v;

		if (event_has(ev, f))
			v = eventjson_value(ev, f);
		else if (u[i].presence == EP_NULLABLE ||
		         (u[i].presence == EP_ELSE && !prev_written))
			v = json_null();
		else
			v = NULL;
		if (u[i].presence == EP_ELSE && prev_written) {
			json_decref(v);
			v = NULL;
		}
		prev_written = v != NULL;
		if (v != NULL && json_object_set_new(obj, event_field_name(f), v) < 0) {
			json_decref(obj);
			return NULL;
		}
	}
	return obj;
}

/* ---- reading back ---- */

/* A name of one of event.h's tables into the enum at *out, or (with
 * other set) REASON_OTHER for a reason this version does not know. */
static bool eventjson_get_name(const char *s, enum event_type type, struct event *ev, void *out)
{
	int v = -1;

	if (s == NULL)
		return false;
	switch (type) {
	case ETYPE_REASON:
		v = event_reason_parse(s);
		if (v < 0) {
			snprintf(ev->other, sizeof(ev->other), "%s", s);
			v = REASON_OTHER;
		}
		*(enum event_reason *)out = (enum event_reason)v;
		return true;
	case ETYPE_STATUS:
		if ((v = event_status_parse(s)) >= 0)
			*(enum event_status *)out = (enum event_status)v;
		break;
	case ETYPE_CONDITION:
		if ((v = event_condition_parse(s)) >= 0)
			*(enum event_condition *)out = (enum event_condition)v;
		break;
	case ETYPE_ALERT_KIND:
		if ((v = alert_kind_parse(s)) >= 0)
			*(enum alert_kind *)out = (enum alert_kind)v;
		break;
	default:
		break;
	}
	return v >= 0;
}

static bool eventjson_get_pids(const json_t *v, struct event *ev)
{
	size_t n = json_array_size(v);

	if (!json_is_array(v))
		return false;
	ev->n_blocked = (int)n;
	for (size_t i = 0; i < n && i < EVENT_MAX_PIDS; i++)
		ev->blocked_pids[i] = (pid_t)json_integer_value(json_array_get(v, i));
	return true;
}

static bool eventjson_get_waits(const json_t *v, struct event *ev)
{
	size_t n = json_array_size(v);

	if (!json_is_array(v))
		return false;
	ev->n_waiting_on = 0;
	for (size_t i = 0; i < n && i < EVENT_MAX_WAITS; i++) {
		const json_t *w = json_array_get(v, i);
		const char *what = json_string_value(json_object_get(w, "what"));
		struct event_wait *out = &ev->waiting_on[ev->n_waiting_on++];

		out->pid = (pid_t)json_integer_value(json_object_get(w, "pid"));
		out->tid = (pid_t)json_integer_value(json_object_get(w, "tid"));
		snprintf(out->what, sizeof(out->what), "%s", what != NULL ? what : "");
	}
	return true;
}

/* Reads field f from v into ev; false (ev untouched) when v is null,
 * missing or of another type. Sizes may be written as reals (be lenient). */
static bool eventjson_get(const json_t *v, enum event_field f, struct event *ev)
{
	enum event_type type = event_field_type(f);
	double d = json_number_value(v);

	switch (type) {
	case ETYPE_STR:
		if (!json_is_string(v))
			return false;
		*FIELD(ev, f, const char *) = json_string_value(v);
		return true;
	case ETYPE_INT:
		if (!json_is_integer(v))
			return false;
		*FIELD(ev, f, int) = (int)json_integer_value(v);
		return true;
	case ETYPE_U64:
		if (!json_is_number(v) || !(d >= 0 && d < 1.8e19))
			return false;
		*FIELD(ev, f, uint64_t) =
			json_is_integer(v) ? (uint64_t)json_integer_value(v) : (uint64_t)d;
		return true;
	case ETYPE_REAL:
		if (!json_is_number(v) || !isfinite(d))
			return false;
		*FIELD(ev, f, double) = d;
		return true;
	case ETYPE_BOOL:
		if (!json_is_boolean(v))
			return false;
		*FIELD(ev, f, bool) = json_is_true(v);
		return true;
	case ETYPE_PIDS:
		return eventjson_get_pids(v, ev);
	case ETYPE_WAITS:
		return eventjson_get_waits(v, ev);
	case ETYPE_REASON:
	case ETYPE_STATUS:
	case ETYPE_CONDITION:
	case ETYPE_ALERT_KIND:
		return eventjson_get_name(json_string_value(v), type, ev, FIELD(ev, f, char));
	}
	return false;
}

int eventjson_decode(const json_t *obj, struct event *ev)
{
	const char *name = json_string_value(json_object_get(obj, "event"));
	int64_t ts;
	size_t n;

	memset(ev, 0, sizeof(*ev));
	if (!json_is_object(obj) || name == NULL)
		return -EINVAL;
	int k = event_kind_parse(name);

	ev->kind = k >= 0 ? (enum event_kind)k : EVENT_OTHER;
	if (k < 0)
		snprintf(ev->other, sizeof(ev->other), "%s", name);
	ts = clock_parse_rfc3339(json_string_value(json_object_get(obj, "ts")));
	ev->wall_ms = ts > 0 ? (uint64_t)ts : 0;
	/* An event of another version still says which pair it is about. */
	const struct event_field_use *u = event_kind_fields(ev->kind, &n);
	static const struct event_field_use other_fields[] = { { EF_PAIR, EP_OPTIONAL } };

	if (ev->kind == EVENT_OTHER) {
		u = other_fields;
		n = 1;
	}
	for (size_t i = 0; i < n; i++) {
		enum event_field f = u[i].field;

		if (eventjson_get(json_object_get(obj, event_field_name(f)), f, ev))
			event_set(ev, f);
	}
	return 0;
}
