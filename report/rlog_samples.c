/* samples.txt read back: the machine's memory over the run and each pair's
 * RSS over its life. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../logdir/samplelog.h"
#include "rlog_internal.h"

/* The run being read: which pair each index of its lines means. */
struct rlog_samples_run {
	int64_t base_ms;
	long *pair_of; /* index -> log->pairs index, -1 undefined */
	size_t n_pair_of;
};

enum { RLOG_MAX_PAIR_INDEX = 1 << 16 };

static int rlog_samples_define(struct rlog *log, struct rlog_samples_run *run,
                               const struct samplelog_record *rec)
{
	long i = rlog_pair_index(log, rec->name);

	if (i < 0)
		return -ENOMEM;
	if (run->pair_of == NULL || (size_t)rec->index >= run->n_pair_of) {
		size_t n = (size_t)rec->index + 1;
		long *v = reallocarray(run->pair_of, n, sizeof(*v));

		if (v == NULL)
			return -ENOMEM;
		for (size_t k = run->n_pair_of; k < n; k++)
			v[k] = -1;
		run->pair_of = v;
		run->n_pair_of = n;
	}
	run->pair_of[rec->index] = i;
	struct rlog_pair *p = &log->pairs[i];

	if (rec->kill_rss_bytes != UINT64_MAX)
		p->kill_rss_bytes = rec->kill_rss_bytes;
	if (rec->input_bytes > 0)
		p->input_bytes = rec->input_bytes;
	return 0;
}

static int rlog_samples_sample(struct rlog *log, struct rlog_samples_run *run,
                               const struct samplelog_record *rec, char *why, size_t len)
{
	int64_t t = run->base_ms + (int64_t)rec->dt_ms;

	if (rlog_grow((void **)&log->sys, &log->cap_sys, log->n_sys, sizeof(*log->sys)) < 0)
		return -ENOMEM;
	log->sys[log->n_sys++] = (struct rlog_point){
		t, rec->mem_used_bytes, rec->swap_used_bytes, 0, false, 0, 0, 0
	};
	for (size_t k = 0; k < rec->n_entries; k++) {
		const struct samplelog_entry *e = &rec->entries[k];

		if (run->pair_of == NULL || (size_t)e->index >= run->n_pair_of ||
		    run->pair_of[e->index] < 0) {
			snprintf(why, len, "pair %d has no \"p\" line before it", e->index);
			return -EINVAL;
		}
		struct rlog_pair *p = &log->pairs[run->pair_of[e->index]];

		if (rlog_grow((void **)&p->pts, &p->cap_pts, p->n_pts, sizeof(*p->pts)) < 0)
			return -ENOMEM;
		p->pts[p->n_pts++] = (struct rlog_point){
			t,         e->rss_bytes,     e->max_rss_bytes, e->state, e->cpu_known,
			e->cpu_ms, e->progress_done, e->progress_total
		};
		if (e->max_rss_bytes > p->peak_rss_bytes)
			p->peak_rss_bytes = e->max_rss_bytes;
	}
	if (t > log->end_ms)
		log->end_ms = t;
	if (log->start_ms == 0 || t < log->start_ms)
		log->start_ms = t;
	log->n_samples++;
	return 0;
}

static int rlog_samples_line(struct rlog *log, struct rlog_samples_run *run, const char *line,
                             struct samplelog_entry **entries, size_t *cap, char *why, size_t len)
{
	struct samplelog_record rec;
	int rc = samplelog_parse_line(line, &rec, entries, cap);

	if (rc < 0) {
		snprintf(why, len, "%s", rc == -ENOMEM ? "out of memory" : "not a samples line");
		return rc;
	}
	switch (rec.kind) {
	case SAMPLELOG_HEADER:
		return 0;
	case SAMPLELOG_RUN:
		run->base_ms = (int64_t)rec.wall_ms;
		run->n_pair_of = 0;
		if (rec.host[0] != '\0')
			snprintf(log->host, sizeof(log->host), "%s", rec.host);
		log->mem_total_bytes = rec.mem_total_bytes;
		log->swap_total_bytes = rec.swap_total_bytes;
		log->interval_ms = rec.interval_ms;
		return 0;
	case SAMPLELOG_PAIR:
		/* The index sizes an array: a damaged line must not make the
		 * report allocate gigabytes. No run has this many pairs. */
		if (rec.index < 0 || rec.index >= RLOG_MAX_PAIR_INDEX) {
			snprintf(why, len, "pair index %d out of range (0 to %d)", rec.index,
			         RLOG_MAX_PAIR_INDEX - 1);
			return -EINVAL;
		}
		rc = rlog_samples_define(log, run, &rec);
		break;
	case SAMPLELOG_SAMPLE:
		rc = rlog_samples_sample(log, run, &rec, why, len);
		break;
	}
	if (rc == -ENOMEM)
		snprintf(why, len, "out of memory");
	return rc;
}

int rlog_samples_load(struct rlog *log, const char *path, char *err, size_t errlen)
{
	FILE *fp = fopen(path, "re");
	struct rlog_samples_run run = { 0, NULL, 0 };
	struct samplelog_entry *entries = NULL;
	size_t entries_cap = 0, cap = 0;
	char *line = NULL, why[128];
	long lineno = 0;
	int rc = 0, got;

	if (fp == NULL) {
		if (errno == ENOENT)
			return 0;
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return rc;
	}
	while ((got = rlog_next_line(fp, &line, &cap)) > 0) {
		lineno++;
		if (lineno == 1 && strcmp(line, SAMPLELOG_MAGIC) != 0) {
			snprintf(err, errlen, "%s:1: not a mergewatch samples file (no \"%s\")",
			         path, SAMPLELOG_MAGIC);
			rc = -EINVAL;
			break;
		}
		rc = rlog_samples_line(log, &run, line, &entries, &entries_cap, why, sizeof(why));
		if (rc == -EINVAL && got == 2) {
			rc = 0; /* the last line, cut while it was written */
			break;
		}
		if (rc < 0) {
			snprintf(err, errlen, "%s:%ld: %s", path, lineno, why);
			break;
		}
	}
	if (got < 0) {
		rc = got;
		snprintf(err, errlen, "%s: %s", path, strerror(-got));
	}
	free(run.pair_of);
	free(entries);
	free(line);
	fclose(fp);
	return rc;
}
