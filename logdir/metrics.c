/* The Prometheus textfile: counters fed by the event stream, gauges read
 * from the model, the whole file replaced by a rename each time. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "metrics.h"

enum {
	METRICS_MAX_LABELS = 24, /* distinct values per counter; more become "other" */
	METRICS_LABEL_LEN = 48,
};

struct metrics_count {
	char label[METRICS_LABEL_LEN];
	uint64_t n;
};

/* A counter family keyed by one label. */
struct metrics_counts {
	struct metrics_count v[METRICS_MAX_LABELS];
	int n;
};

struct metrics {
	char *path;
	char *tmp_path;
	struct metrics_counts kills;      /* by reason */
	struct metrics_counts ended;      /* by status */
	struct metrics_counts detections; /* by kind */
	uint64_t alerts_sent, alerts_failed;
	uint64_t start_wall_ms; /* 0 until known */
	bool written;
	uint64_t last_write_ms;
	char **stopping; /* pairs whose kill this attempt is counted */
	size_t n_stopping, cap_stopping;
};

static void metrics_counts_add(struct metrics_counts *c, const char *label)
{
	if (label == NULL || *label == '\0')
		label = "unknown";
	for (int i = 0; i < c->n; i++) {
		if (strcmp(c->v[i].label, label) == 0) {
			c->v[i].n++;
			return;
		}
	}
	if (c->n >= METRICS_MAX_LABELS - 1)
		label = "other";
	for (int i = 0; i < c->n; i++) {
		if (strcmp(c->v[i].label, label) == 0) {
			c->v[i].n++;
			return;
		}
	}
	snprintf(c->v[c->n].label, METRICS_LABEL_LEN, "%s", label);
	c->v[c->n++].n = 1;
}

/* The labels of each counter present from the start: the kill reasons,
 * the four final statuses, the four detections. */
static void metrics_counts_start(struct metrics *mx)
{
	static const enum event_kind detections[] = { EVENT_APPROACH, EVENT_BLOAT, EVENT_DEADLOCK,
		                                      EVENT_PRESSURE };

	for (int r = 0; r < REASON_N && mx->kills.n < METRICS_MAX_LABELS; r++) {
		if (event_reason_is_kill((enum event_reason)r))
			snprintf(mx->kills.v[mx->kills.n++].label, METRICS_LABEL_LEN, "%s",
			         event_reason_name((enum event_reason)r));
	}
	for (int st = STATUS_DONE; st <= STATUS_SKIPPED; st++)
		snprintf(mx->ended.v[mx->ended.n++].label, METRICS_LABEL_LEN, "%s",
		         event_status_name((enum event_status)st));
	for (size_t i = 0; i < sizeof(detections) / sizeof(detections[0]); i++)
		snprintf(mx->detections.v[mx->detections.n++].label, METRICS_LABEL_LEN, "%s",
		         event_kind_name(detections[i]));
}

struct metrics *metrics_new(const char *path, char *err, size_t errlen)
{
	struct metrics *mx = calloc(1, sizeof(*mx));
	int fd;

	if (mx == NULL || (mx->path = strdup(path)) == NULL ||
	    asprintf(&mx->tmp_path, "%s.tmp", path) == -1) {
		if (mx != NULL)
			free(mx->path);
		free(mx);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	fd = open(mx->tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		snprintf(err, errlen, "metrics file %s: cannot create %s: %s", path, mx->tmp_path,
		         strerror(errno));
		metrics_free(mx);
		return NULL;
	}
	close(fd);
	unlink(mx->tmp_path);
	metrics_counts_start(mx);
	return mx;
}

void metrics_free(struct metrics *mx)
{
	if (mx == NULL)
		return;
	for (size_t i = 0; i < mx->n_stopping; i++)
		free(mx->stopping[i]);
	free(mx->stopping);
	free(mx->path);
	free(mx->tmp_path);
	free(mx);
}

const char *metrics_path(const struct metrics *mx)
{
	return mx->path;
}

static size_t metrics_stopping_find(const struct metrics *mx, const char *pair)
{
	for (size_t i = 0; i < mx->n_stopping; i++) {
		if (strcmp(mx->stopping[i], pair) == 0)
			return i;
	}
	return mx->n_stopping;
}

static void metrics_stopping_clear(struct metrics *mx, const char *pair)
{
	size_t i = pair ? metrics_stopping_find(mx, pair) : mx->n_stopping;

	if (i == mx->n_stopping)
		return;
	free(mx->stopping[i]);
	mx->stopping[i] = mx->stopping[--mx->n_stopping];
}

/* true when this kill is the first of the pair's attempt. */
static bool metrics_stopping_mark(struct metrics *mx, const char *pair)
{
	if (pair == NULL)
		return true;
	if (metrics_stopping_find(mx, pair) < mx->n_stopping)
		return false;
	if (mx->n_stopping == mx->cap_stopping) {
		size_t cap = mx->cap_stopping ? mx->cap_stopping * 2 : 8;
		char **v = realloc(mx->stopping, cap * sizeof(*v));

		if (v == NULL)
			return true; /* counted, maybe twice: better than not at all */
		mx->stopping = v;
		mx->cap_stopping = cap;
	}
	char *copy = strdup(pair);

	if (copy != NULL)
		mx->stopping[mx->n_stopping++] = copy;
	return true;
}

void metrics_event(struct metrics *mx, const struct event *ev)
{
	const char *pair = event_has(ev, EF_PAIR) ? ev->pair : NULL;

	switch (ev->kind) {
	case EVENT_KILL:
		if (metrics_stopping_mark(mx, pair))
			metrics_counts_add(&mx->kills,
			                   !event_has(ev, EF_KILL_REASON) ? NULL
			                   : ev->kill_reason == REASON_OTHER
			                           ? ev->other
			                           : event_reason_name(ev->kill_reason));
		break;
	case EVENT_PAIR_START:
		metrics_stopping_clear(mx, pair);
		break;
	case EVENT_PAIR_END:
		metrics_stopping_clear(mx, pair);
		if (!(event_has(ev, EF_RESUMED) && ev->resumed))
			metrics_counts_add(&mx->ended, event_has(ev, EF_STATUS)
			                                       ? event_status_name(ev->status)
			                                       : NULL);
		break;
	case EVENT_ALERT_SENT:
		mx->alerts_sent++;
		break;
	case EVENT_ALERT_FAILED:
		mx->alerts_failed++;
		break;
	case EVENT_APPROACH:
	case EVENT_BLOAT:
	case EVENT_DEADLOCK:
	case EVENT_STALL:
	case EVENT_PRESSURE:
		metrics_counts_add(&mx->detections, event_kind_name(ev->kind));
		break;
	case EVENT_RUN_START:
		if (mx->start_wall_ms == 0)
			mx->start_wall_ms = ev->wall_ms;
		break;
	default:
		break;
	}
}

/* Writing the text. */

static void metrics_head(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* The length of the valid UTF-8 sequence at s, 0 when s does not start
 * one. */
static size_t metrics_utf8_len(const unsigned char *s)
{
	size_t n;

	if (s[0] < 0x80)
		return 1;
	else if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	}
	return n;
}

/* A label value as the exposition format wants it: backslash, double
 * quote and newline escaped; other control bytes and bytes that are not
 * UTF-8 (Prometheus requires it) written as '?'. */
static void metrics_label_value(FILE *f, const char *raw)
{
	const unsigned char *s = (const unsigned char *)raw;

	while (*s != '\0') {
		size_t n = metrics_utf8_len(s);

		if (n == 0) {
			fputc('?', f);
			s++;
		} else if (*s == '\\') {
			fputs("\\\\", f);
			s++;
		} else if (*s == '"') {
			fputs("\\\"", f);
			s++;
		} else if (*s == '\n') {
			fputs("\\n", f);
			s++;
		} else if (*s < 0x20 || *s == 0x7f) {
			fputc('?', f);
			s++;
		} else {
			fwrite(s, 1, n, f);
			s += n;
		}
	}
}

static void metrics_counts_write(FILE *f, const struct metrics_counts *c, const char *name,
                                 const char *label, const char *help)
{
	metrics_head(f, name, "counter", help);
	for (int i = 0; i < c->n; i++) {
		fprintf(f, "%s{%s=\"", name, label);
		metrics_label_value(f, c->v[i].label);
		fprintf(f, "\"} %" PRIu64 "\n", c->v[i].n);
	}
}

static bool metrics_running(const struct model_pair *p)
{
	return p->state == PAIR_RUNNING || p->state == PAIR_STOPPING;
}

/* One per-pair gauge: value returns false where the pair has none. */
struct metrics_pair_gauge {
	const char *name;
	const char *help;
	bool integer;
	bool (*value)(const struct model *m, int i, double *v);
};

static bool metrics_v_rss(const struct model *m, int i, double *v)
{
	*v = (double)m->pairs[i].rss_bytes;
	return metrics_running(&m->pairs[i]);
}

static bool metrics_v_peak(const struct model *m, int i, double *v)
{
	*v = (double)m->pairs[i].peak_rss_bytes;
	return m->pairs[i].peak_rss_bytes > 0;
}

static bool metrics_v_kill(const struct model *m, int i, double *v)
{
	*v = (double)m->pairs[i].kill_rss_bytes;
	return metrics_running(&m->pairs[i]) && m->pairs[i].kill_rss_bytes != UINT64_MAX &&
	       m->pairs[i].kill_rss_bytes != 0;
}

static bool metrics_v_input(const struct model *m, int i, double *v)
{
	*v = (double)m->pairs[i].input_bytes;
	return m->pairs[i].input_bytes > 0;
}

static bool metrics_v_ratio(const struct model *m, int i, double *v)
{
	*v = m->pairs[i].ratio;
	return metrics_running(&m->pairs[i]) && m->pairs[i].input_bytes > 0;
}

static bool metrics_v_threads(const struct model *m, int i, double *v)
{
	const struct tree_sample *t = m->trees ? m->trees[i] : NULL;

	*v = t ? (double)t->threads : 0;
	return t != NULL && metrics_running(&m->pairs[i]);
}

static bool metrics_v_futex(const struct model *m, int i, double *v)
{
	const struct tree_sample *t = m->trees ? m->trees[i] : NULL;

	*v = t ? (double)t->futex_threads : 0;
	return t != NULL && t->threads_scanned && metrics_running(&m->pairs[i]);
}

static bool metrics_v_stalled(const struct model *m, int i, double *v)
{
	*v = (double)m->pairs[i].stalled_ms / 1000.0;
	return metrics_running(&m->pairs[i]);
}

static bool metrics_v_elapsed(const struct model *m, int i, double *v)
{
	const struct model_pair *p = &m->pairs[i];

	*v = (double)(m->now_ms - p->started_ms) / 1000.0;
	return metrics_running(p) && p->started_ms != 0 && m->now_ms >= p->started_ms;
}

static bool metrics_v_progress(const struct model *m, int i, double *v)
{
	const struct model_pair *p = &m->pairs[i];

	*v = p->progress_total ? (double)p->progress_done / (double)p->progress_total : 0;
	return metrics_running(p) && p->progress_total > 0;
}

static const struct metrics_pair_gauge metrics_pair_gauges[] = {
	{ "mergewatch_pair_rss_bytes",
	  "Resident set size of the running pair's whole process tree.", true, metrics_v_rss },
	{ "mergewatch_pair_peak_rss_bytes",
	  "Highest tree RSS the pair reached in its latest attempt.", true, metrics_v_peak },
	{ "mergewatch_pair_kill_rss_bytes",
	  "Tree RSS above which the running pair is killed (kill_rss).", true, metrics_v_kill },
	{ "mergewatch_pair_input_bytes", "Total size of the pair's inputs, the bloat baseline.",
	  true, metrics_v_input },
	{ "mergewatch_pair_bloat_ratio", "Tree RSS of the running pair divided by its input size.",
	  false, metrics_v_ratio },
	{ "mergewatch_pair_threads", "Threads in the running pair's process tree.", true,
	  metrics_v_threads },
	{ "mergewatch_pair_futex_threads",
	  "Threads of the running pair asleep in a futex wait, when scanned.", true,
	  metrics_v_futex },
	{ "mergewatch_pair_stalled_seconds",
	  "Time the running pair's tree has made no CPU or I/O progress.", false,
	  metrics_v_stalled },
	{ "mergewatch_pair_elapsed_seconds", "Time since the running pair started.", false,
	  metrics_v_elapsed },
	{ "mergewatch_pair_progress_ratio",
	  "Progress the running pair reported (PROGRESS done/total).", false, metrics_v_progress },
};

static void metrics_value(FILE *f, double v, bool integer)
{
	if (integer)
		fprintf(f, " %" PRIu64 "\n", (uint64_t)v);
	else
		fprintf(f, " %.15g\n", v);
}

static void metrics_pairs_write(FILE *f, const struct model *m)
{
	for (size_t g = 0; g < sizeof(metrics_pair_gauges) / sizeof(metrics_pair_gauges[0]); g++) {
		const struct metrics_pair_gauge *pg = &metrics_pair_gauges[g];
		bool headed = false;
		double v;

		for (int i = 0; i < m->n_pairs; i++) {
			if (!pg->value(m, i, &v))
				continue;
			if (!headed)
				metrics_head(f, pg->name, "gauge", pg->help);
			headed = true;
			fprintf(f, "%s{pair=\"", pg->name);
			metrics_label_value(f, m->pairs[i].name ? m->pairs[i].name : "");
			fputs("\"}", f);
			metrics_value(f, v, pg->integer);
		}
	}
}

static void metrics_gauge(FILE *f, const char *name, const char *help, double v, bool integer)
{
	metrics_head(f, name, "gauge", help);
	fputs(name, f);
	metrics_value(f, v, integer);
}

static void metrics_system_write(FILE *f, const struct model *m)
{
	const struct sys_sample *s = &m->sys;

	metrics_gauge(f, "mergewatch_memory_total_bytes", "MemTotal of the machine.",
	              (double)s->mem_total_bytes, true);
	metrics_gauge(f, "mergewatch_memory_available_bytes", "MemAvailable of the machine.",
	              (double)s->mem_available_bytes, true);
	metrics_gauge(f, "mergewatch_swap_total_bytes", "SwapTotal of the machine.",
	              (double)s->swap_total_bytes, true);
	metrics_gauge(f, "mergewatch_swap_used_bytes", "Swap in use (SwapTotal - SwapFree).",
	              (double)(s->swap_total_bytes - s->swap_free_bytes), true);
	if (!s->psi_known)
		return;
	metrics_gauge(f, "mergewatch_psi_some_avg10_ratio",
	              "Memory pressure stall information, some avg10, as a ratio.",
	              s->psi_some_avg10 / 100.0, false);
	metrics_gauge(f, "mergewatch_psi_full_avg10_ratio",
	              "Memory pressure stall information, full avg10, as a ratio.",
	              s->psi_full_avg10 / 100.0, false);
}

char *metrics_text(struct metrics *mx, const struct model *m, uint64_t wall_ms)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int by_state[PAIR_N_STATES] = { 0 };

	if (f == NULL)
		return NULL;
	if (mx->start_wall_ms == 0)
		mx->start_wall_ms = wall_ms;
	for (int i = 0; i < m->n_pairs; i++) {
		if ((unsigned)m->pairs[i].state < PAIR_N_STATES)
			by_state[m->pairs[i].state]++;
	}
	metrics_head(f, "mergewatch_pairs", "gauge", "Pairs of the plan by state.");
	for (int s = 0; s < PAIR_N_STATES; s++)
		fprintf(f, "mergewatch_pairs{state=\"%s\"} %d\n",
		        pair_state_name((enum pair_state)s), by_state[s]);
	metrics_pairs_write(f, m);
	metrics_counts_write(f, &mx->kills, "mergewatch_kills_total", "reason",
	                     "Pair process trees killed, by reason (an escalation counts once).");
	metrics_counts_write(f, &mx->ended, "mergewatch_pairs_ended_total", "status",
	                     "Pair attempts ended in this run, by status.");
	metrics_counts_write(f, &mx->detections, "mergewatch_detections_total", "kind",
	                     "Approach, bloat, deadlock and pressure detections.");
	metrics_head(f, "mergewatch_alerts_sent_total", "counter", "Alerts the webhook accepted.");
	fprintf(f, "mergewatch_alerts_sent_total %" PRIu64 "\n", mx->alerts_sent);
	metrics_head(f, "mergewatch_alerts_failed_total", "counter",
	             "Alerts given up on after their retries.");
	fprintf(f, "mergewatch_alerts_failed_total %" PRIu64 "\n", mx->alerts_failed);
	metrics_system_write(f, m);
	metrics_gauge(f, "mergewatch_run_start_time_seconds",
	              "When this run started, since the epoch.", (double)mx->start_wall_ms / 1000.0,
	              false);
	metrics_gauge(f, "mergewatch_last_update_time_seconds",
	              "When mergewatch last rewrote this file, since the epoch: a stale value with "
	              "mergewatch_run_finished 0 means mergewatch is gone.",
	              (double)wall_ms / 1000.0, false);
	metrics_gauge(f, "mergewatch_run_finished",
	              "1 once every pair has ended (run_end written).", m->run_over ? 1 : 0, true);
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

int metrics_write(struct metrics *mx, const struct model *m, uint64_t wall_ms)
{
	if (mx->written && !m->run_over && wall_ms >= mx->last_write_ms &&
	    wall_ms - mx->last_write_ms < METRICS_MIN_GAP_MS)
		return 0;
	char *text = metrics_text(mx, m, wall_ms);

	if (text == NULL)
		return -ENOMEM;
	size_t len = strlen(text);
	int rc = 0;
	int fd = open(mx->tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0) {
		rc = -errno;
	} else {
		ssize_t n = write(fd, text, len);

		if (n != (ssize_t)len)
			rc = n < 0 ? -errno : -ENOSPC;
		if (close(fd) < 0 && rc == 0)
			rc = -errno;
		if (rc == 0 && rename(mx->tmp_path, mx->path) < 0)
			rc = -errno;
		if (rc < 0)
			unlink(mx->tmp_path);
	}
	free(text);
	if (rc == 0) {
		mx->written = true;
		mx->last_write_ms = wall_ms;
	}
	return rc;
}
