/* What the run tells: events (to the event log, the alerts, the metrics
 * file and the dashboard's Alerts pane) and notes to the operator. The
 * bottom of the runner: it calls nothing else in runner/. */
#include "run_internal.h"

#include <stdarg.h>
#include <string.h>

#include "../core/text.h"
#include "../lib/clock.h"

/* A diagnostic for the operator: standard error when there is no dashboard,
 * the dashboard's footer otherwise. */
void run_note(struct run *run, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (run->tui != NULL)
		run->cfg.view->flash(run->tui, msg, loop_now_ms(run->loop));
	else
		fprintf(stderr, "mergewatch: %s\n", msg);
}

/* The Alerts pane lists what an operator wants to see, not every sample. */
static bool run_event_shown(enum event_kind kind)
{
	return kind != EVENT_PROGRESS && kind != EVENT_ALERT_SENT;
}

static void run_model_alert(struct run *run, const struct event *ev)
{
	struct model *m = &run->model;
	struct model_alert *a = &m->alerts[m->alerts_head];
	bool resolved = ev->kind == EVENT_RESOLVED;

	memset(a, 0, sizeof(*a));
	a->wall_ms = ev->wall_ms;
	snprintf(a->kind, sizeof(a->kind), "%s",
	         resolved ? event_condition_name(ev->condition) : event_kind_name(ev->kind));
	a->priority = event_priority(ev->kind);
	a->resolved = resolved;
	/* Only what would be posted to the team waits for an ack. */
	a->acked = event_alert_kind(ev) == ALERT_NONE;
	text_event(ev, NULL, a->text, sizeof(a->text));
	m->alerts_head = (m->alerts_head + 1) % MODEL_ALERTS;
	if (m->alerts_len < MODEL_ALERTS)
		m->alerts_len++;
}

void run_emit(struct run *run, struct event *ev)
{
	char err[512];

	ev->wall_ms = clock_wall_ms();
	if (eventlog_write(run->log, ev, err, sizeof(err)) < 0 && !run->log_error_reported) {
		run->log_error_reported = true;
		run_note(run, "%s", err);
	}
	if (run->alerts != NULL)
		alerts_offer(run->alerts, ev, loop_now_ms(run->loop));
	if (run->metrics != NULL)
		metrics_event(run->metrics, ev);
	if (run_event_shown(ev->kind))
		run_model_alert(run, ev);
}
