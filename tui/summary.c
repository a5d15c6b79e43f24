/* Pairs that need a look (failed, killed, left running) come first, so
 * they stay on the screen when the plan is long. */
#include <signal.h>
#include <string.h>

#include "../lib/units.h"
#include "escape.h"
#include "summary.h"

/* Names and paths are a user's bytes: escaped as on the dashboard. */
static const char *summary_esc(const char *raw, bool utf8, char *buf, size_t len)
{
	escape_terminal(raw != NULL ? raw : "?", utf8, buf, len);
	return buf;
}

/* 0 for pairs the operator should look at, 1 for the rest. */
static int summary_rank(const struct model_pair *p)
{
	switch (p->state) {
	case PAIR_FAILED:
	case PAIR_KILLED:
	case PAIR_RUNNING:
	case PAIR_STOPPING:
	case PAIR_VERIFYING:
		return 0;
	default:
		return 1;
	}
}

static void summary_pair(FILE *out, const struct model *m, const struct model_pair *p,
                         enum view_quit quit, int name_w, bool utf8)
{
	char how[96] = "", size[32], elapsed[32] = "", esc[1024];
	uint64_t end = p->ended_ms != 0 ? p->ended_ms : m->now_ms;
	const char *reason = view_reason_shown(p->reason);

	if (p->started_ms != 0 && end >= p->started_ms)
		units_format_elapsed(end - p->started_ms, elapsed, sizeof elapsed);
	if (p->resumed)
		snprintf(how, sizeof how, "done in an earlier run");
	else if (view_state_live(p->state) && quit == VIEW_QUIT_LEAVE)
		snprintf(how, sizeof how, "left running, unwatched (PID %d)", (int)p->pid);
	else if (view_state_live(p->state))
		snprintf(how, sizeof how, "stopped as mergewatch quit");
	else if (p->status_unknown)
		snprintf(how, sizeof how, "exited, status unknown (not our child)");
	else if (p->state == PAIR_PENDING || p->state == PAIR_GATE)
		snprintf(how, sizeof how, "not run");
	else if (p->signal > 0 && sigabbrev_np(p->signal) != NULL)
		snprintf(how, sizeof how, "%s (SIG%s%s%s)", pair_state_name(p->state),
		         sigabbrev_np(p->signal), reason[0] ? ", " : "", reason);
	else if (p->exit_code > 0)
		snprintf(how, sizeof how, "%s (exit %d%s%s)", pair_state_name(p->state),
		         p->exit_code, reason[0] ? ", " : "", reason);
	else if (p->reason[0] != '\0')
		snprintf(how, sizeof how, "%s (%s)", pair_state_name(p->state), p->reason);
	else
		snprintf(how, sizeof how, "%s", pair_state_name(p->state));
	fprintf(out, "  %-*.*s %-36s %7s", name_w, name_w, summary_esc(p->name, utf8, esc, 64),
	        summary_esc(how, utf8, esc + 64, 256), elapsed);
	if (p->peak_rss_bytes > 0)
		fprintf(out, "  peak %s", units_format_size(p->peak_rss_bytes, size, sizeof size));
	if (summary_rank(p) == 0 && p->log_path != NULL)
		fprintf(out, "\n  %-*s log %s", name_w, "",
		        summary_esc(p->log_path, utf8, esc + 320, sizeof esc - 320));
	fputc('\n', out);
}

void summary_write(FILE *out, const struct model *m, enum view_quit quit, bool utf8)
{
	char esc[1024];
	int name_w = 4, shown = 0;

	if (quit == VIEW_QUIT_LEAVE)
		fprintf(out, "mergewatch: quit; the running pair goes on unwatched "
		             "(no kill line, no timeout)\n");
	else if (quit == VIEW_QUIT_STOP || quit == VIEW_QUIT_IDLE)
		fprintf(out, "mergewatch: quit before the run was over\n");
	else
		fprintf(out, "mergewatch: run over: %s\n",
		        summary_esc(m->outcome, utf8, esc, sizeof esc));
	for (int i = 0; i < m->n_pairs; i++) {
		int len = m->pairs[i].name != NULL ? (int)strlen(m->pairs[i].name) : 1;

		if (len > name_w)
			name_w = len < 24 ? len : 24;
	}
	for (int rank = 0; rank < 2; rank++)
		for (int i = 0; i < m->n_pairs; i++) {
			if (summary_rank(&m->pairs[i]) != rank)
				continue;
			if (shown++ < SUMMARY_MAX_PAIRS)
				summary_pair(out, m, &m->pairs[i], quit, name_w, utf8);
		}
	if (shown > SUMMARY_MAX_PAIRS)
		fprintf(out, "  ... and %d more pairs (every one is in events.jsonl)\n",
		        shown - SUMMARY_MAX_PAIRS);
	if (m->log_dir != NULL) {
		summary_esc(m->log_dir, utf8, esc, sizeof esc);
		fprintf(out, "logs:   %s (events.jsonl; PAIR.log per pair)\n", esc);
		fprintf(out, "report: mergewatch report %s\n", esc);
	}
	fflush(out);
}
