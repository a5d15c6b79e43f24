/* Reading a log directory back: the pieces every source shares, the state
 * file's contribution, and the whole load. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../lib/clock.h"
#include "../logdir/samplelog.h"
#include "../logdir/state.h"
#include "rlog_internal.h"

int rlog_grow(void **v, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return 0;
	size_t ncap = *cap ? *cap * 2 : 16;
	void *p = reallocarray(*v, ncap, size);

	if (p == NULL)
		return -ENOMEM;
	*v = p;
	*cap = ncap;
	return 0;
}

long rlog_pair_index(struct rlog *log, const char *name)
{
	for (size_t i = 0; i < log->n_pairs; i++) {
		if (strcmp(log->pairs[i].name, name) == 0)
			return (long)i;
	}
	if (rlog_grow((void **)&log->pairs, &log->cap_pairs, log->n_pairs, sizeof(*log->pairs)) < 0)
		return -1;
	struct rlog_pair *p = &log->pairs[log->n_pairs];

	memset(p, 0, sizeof(*p));
	if ((p->name = strdup(name)) == NULL)
		return -1;
	p->kill_rss_bytes = UINT64_MAX;
	p->exit_code = -1;
	return (long)log->n_pairs++;
}

int rlog_add_mark(struct rlog_mark **v, size_t *n, size_t *cap, int64_t t_ms, enum event_kind kind,
                  uint64_t rss_bytes)
{
	if (rlog_grow((void **)v, cap, *n, sizeof(**v)) < 0)
		return -ENOMEM;
	(*v)[*n].t_ms = t_ms;
	(*v)[*n].kind = kind;
	(*v)[*n].rss_bytes = rss_bytes;
	(*n)++;
	return 0;
}

int rlog_next_line(FILE *fp, char **line, size_t *cap)
{
	errno = 0;
	ssize_t n = getline(line, cap, fp);

	if (n < 0)
		return errno ? -errno : 0;
	if (n > 0 && (*line)[n - 1] == '\n') {
		(*line)[n - 1] = '\0';
		return 1;
	}
	return 2;
}

int64_t rlog_parse_ts(const char *ts)
{
	return clock_parse_rfc3339(ts);
}

/* The state knows the pairs finished before this event log began (or
 * whose events were lost) and the planning ratio. */
/* Where the state file says a pair got to (a log cut before its end). */
static void rlog_state_stage(struct rlog_pair *p, enum state_status st)
{
	static const enum event_status ended[] = {
		[STATE_DONE] = STATUS_DONE,
		[STATE_FAILED] = STATUS_FAILED,
		[STATE_KILLED] = STATUS_KILLED,
		[STATE_SKIPPED] = STATUS_SKIPPED,
	};

	/* started, exited, verified, cleaning: not over yet */
	if (st == STATE_STARTED || st == STATE_EXITED || st == STATE_VERIFIED ||
	    st == STATE_CLEANING || (size_t)st >= sizeof(ended) / sizeof(ended[0])) {
		p->stage = RLOG_RUNNING;
		return;
	}
	p->stage = RLOG_ENDED;
	p->status = ended[st];
}

static int rlog_state_load(struct rlog *log, char *err, size_t errlen)
{
	struct state *st = state_load(log->log_dir, err, errlen);

	if (st == NULL)
		return -EINVAL;
	log->max_ratio = state_max_ratio(st);
	for (size_t i = 0; i < log->n_pairs; i++) {
		struct rlog_pair *p = &log->pairs[i];
		const struct state_pair *sp = state_find(st, p->name);

		if (sp == NULL)
			continue;
		if (p->stage == RLOG_NOT_STARTED && sp->status != STATE_PENDING) {
			rlog_state_stage(p, sp->status);
			snprintf(p->reason, sizeof(p->reason), "%s", sp->reason);
		}
		if (p->input_bytes == 0)
			p->input_bytes = sp->input_bytes;
		if (p->peak_rss_bytes < sp->peak_rss_bytes && p->stage != RLOG_RUNNING)
			p->peak_rss_bytes = sp->peak_rss_bytes;
	}
	state_free(st);
	return 0;
}

/* Which pairs have an output log and deadlock evidence beside the event
 * log, for the report's links. */
static void rlog_find_files(struct rlog *log)
{
	char path[4096];

	for (size_t i = 0; i < log->n_pairs; i++) {
		struct rlog_pair *p = &log->pairs[i];

		snprintf(path, sizeof(path), "%s/%s.log", log->log_dir, p->name);
		p->has_log = access(path, R_OK) == 0;
		snprintf(path, sizeof(path), "%s/%s.deadlock.txt", log->log_dir, p->name);
		p->has_evidence = access(path, R_OK) == 0;
	}
}

int rlog_load(const char *log_dir, struct rlog **out, char *err, size_t errlen)
{
	struct rlog *log = calloc(1, sizeof(*log));
	char *path = NULL;
	int rc = -ENOMEM;

	*out = NULL;
	if (log == NULL || (log->log_dir = strdup(log_dir)) == NULL)
		goto fail;
	if (asprintf(&path, "%s/%s", log_dir, SAMPLELOG_FILE) == -1) {
		path = NULL;
		goto fail;
	}
	if ((rc = rlog_samples_load(log, path, err, errlen)) < 0)
		goto out;
	free(path);
	if (asprintf(&path, "%s/events.jsonl", log_dir) == -1) {
		path = NULL;
		rc = -ENOMEM;
		goto fail;
	}
	if ((rc = rlog_events_load(log, path, err, errlen)) < 0)
		goto out;
	if ((rc = rlog_state_load(log, err, errlen)) < 0)
		goto out;
	free(path);
	rlog_find_files(log);
	*out = log;
	return 0;
fail:
	snprintf(err, errlen, "out of memory");
out:
	free(path);
	rlog_free(log);
	return rc;
}

void rlog_free(struct rlog *log)
{
	if (log == NULL)
		return;
	for (size_t i = 0; i < log->n_pairs; i++) {
		free(log->pairs[i].name);
		free(log->pairs[i].command);
		free(log->pairs[i].pts);
		free(log->pairs[i].marks);
	}
	for (size_t i = 0; i < log->n_alerts; i++)
		free(log->alerts[i].text);
	free(log->pairs);
	free(log->sys);
	free(log->sys_marks);
	free(log->alerts);
	free(log->plan);
	free(log->log_dir);
	free(log);
}

const char *rlog_status_name(const struct rlog_pair *p)
{
	switch (p->stage) {
	case RLOG_NOT_STARTED:
		break;
	case RLOG_RUNNING:
		return "running";
	case RLOG_ENDED:
		return event_status_name(p->status);
	}
	return "";
}

void rlog_count(const struct rlog *log, struct rlog_counts *c)
{
	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < log->n_pairs; i++) {
		const struct rlog_pair *p = &log->pairs[i];

		if (p->stage != RLOG_ENDED) {
			c->unfinished++;
			continue;
		}
		switch (p->status) {
		case STATUS_DONE:
			c->done++;
			break;
		case STATUS_FAILED:
			c->failed++;
			break;
		case STATUS_KILLED:
			c->killed++;
			break;
		case STATUS_SKIPPED:
			c->skipped++;
			break;
		case STATUS_INTERRUPTED:
		case STATUS_REQUEUED:
		case STATUS_N:
			c->unfinished++;
			break;
		}
	}
}
