/* The samples file: what to keep of each tick, and the line format (see
 * samplelog.h). Writing and parsing live together so the format has one
 * home. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "samplelog.h"

enum { SAMPLELOG_MIN_STEP_BYTES = 1024 * 1024 };

/* What was last written for one pair. */
struct samplelog_pair {
	bool defined; /* its "p" line is out */
	uint64_t kill_rss_bytes, input_bytes;
	int state;              /* -1 before its first entry */
	uint64_t rss_written;   /* RSS of its last entry */
	uint64_t top_written;   /* the highest RSS or MAX it has had written */
	uint64_t seen_max;      /* highest RSS at the ticks since its last entry */
	uint64_t peak_at_write; /* the model's peak at its last entry */
};

struct samplelog {
	int fd;
	char *path;
	bool started; /* the "r" line is out */
	uint64_t run_wall_ms;
	uint64_t last_dt_ms; /* of the last kept sample */
	uint64_t mem_used_written, swap_used_written;
	struct samplelog_pair *pairs;
	int n_pairs;
	char *buf; /* this call's lines */
	size_t len, cap;
	bool oom; /* the buffer could not grow */
};

static const char samplelog_letters[] = {
	[PAIR_PENDING] = 'P',  [PAIR_GATE] = 'G',      [PAIR_RUNNING] = 'R',
	[PAIR_STOPPING] = 'S', [PAIR_VERIFYING] = 'V', [PAIR_DONE] = 'D',
	[PAIR_FAILED] = 'F',   [PAIR_KILLED] = 'K',    [PAIR_SKIPPED] = 'X',
};

char samplelog_state_letter(enum pair_state s)
{
	if ((size_t)s < sizeof(samplelog_letters))
		return samplelog_letters[s];
	return '?';
}

int samplelog_letter_state(char letter)
{
	for (size_t i = 0; i < sizeof(samplelog_letters); i++) {
		if (samplelog_letters[i] == letter)
			return (int)i;
	}
	return -1;
}

struct samplelog *samplelog_new(const char *log_dir, char *err, size_t errlen)
{
	struct samplelog *sl = calloc(1, sizeof(*sl));
	struct stat st;

	if (sl == NULL || asprintf(&sl->path, "%s/%s", log_dir, SAMPLELOG_FILE) == -1) {
		free(sl);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	sl->fd = open(sl->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (sl->fd < 0 || fstat(sl->fd, &st) < 0) {
		snprintf(err, errlen, "%s: %s", sl->path, strerror(errno));
		samplelog_free(sl);
		return NULL;
	}
	if (st.st_size == 0) {
		static const char magic[] = SAMPLELOG_MAGIC "\n";

		if (write(sl->fd, magic, sizeof(magic) - 1) != (ssize_t)(sizeof(magic) - 1)) {
			snprintf(err, errlen, "%s: %s", sl->path, strerror(errno ? errno : ENOSPC));
			samplelog_free(sl);
			return NULL;
		}
	}
	return sl;
}

void samplelog_free(struct samplelog *sl)
{
	if (sl == NULL)
		return;
	if (sl->fd >= 0)
		close(sl->fd);
	free(sl->path);
	free(sl->pairs);
	free(sl->buf);
	free(sl);
}

static void __attribute__((format(printf, 2, 3)))
samplelog_add(struct samplelog *sl, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (sl->oom)
		return;
	if (sl->buf == NULL) {
		if ((sl->buf = malloc(512)) == NULL) {
			sl->oom = true;
			return;
		}
		sl->cap = 512;
	}
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(sl->buf + sl->len, sl->cap - sl->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			sl->oom = true;
			return;
		}
		if (sl->len + (size_t)n < sl->cap)
			break;
		size_t cap = (sl->cap + (size_t)n + 1) * 2;
		char *buf = realloc(sl->buf, cap);

		if (buf == NULL) {
			sl->oom = true;
			return;
		}
		sl->buf = buf;
		sl->cap = cap;
	}
	sl->len += (size_t)n;
}

/* A name or host as one field: no blanks, no control bytes, nothing a
 * reader must guess about. */
static void samplelog_add_name(struct samplelog *sl, const char *name)
{
	const unsigned char *s = (const unsigned char *)name;

	if (*s == '\0') {
		samplelog_add(sl, "-");
		return;
	}
	for (; *s != '\0'; s++) {
		if (*s <= 0x20 || *s >= 0x7f || *s == '%' ||
		    (*s == '-' && s == (const unsigned char *)name))
			samplelog_add(sl, "%%%02X", *s);
		else
			samplelog_add(sl, "%c", *s);
	}
}

/* Bytes to KiB, upward for RSS so a kill moment is never drawn below its
 * line. */
static uint64_t samplelog_kib_up(uint64_t bytes)
{
	return bytes / 1024 + (bytes % 1024 != 0);
}

static bool samplelog_moved(uint64_t now, uint64_t before, uint64_t step)
{
	uint64_t d = now > before ? now - before : before - now;

	return d > step;
}

static uint64_t samplelog_rss_step(uint64_t bytes)
{
	uint64_t step = bytes / 100 * SAMPLELOG_RSS_STEP_PCT;

	return step > SAMPLELOG_MIN_STEP_BYTES ? step : SAMPLELOG_MIN_STEP_BYTES;
}

static uint64_t samplelog_sys_step(uint64_t total)
{
	uint64_t step = total / 100 * SAMPLELOG_SYS_STEP_PCT;

	return step > SAMPLELOG_MIN_STEP_BYTES ? step : SAMPLELOG_MIN_STEP_BYTES;
}

static bool samplelog_active(enum pair_state s)
{
	return s == PAIR_RUNNING || s == PAIR_STOPPING;
}

static int samplelog_grow(struct samplelog *sl, int n)
{
	if (n <= sl->n_pairs)
		return 0;
	struct samplelog_pair *p = realloc(sl->pairs, (size_t)n * sizeof(*p));

	if (p == NULL)
		return -ENOMEM;
	for (int i = sl->n_pairs; i < n; i++) {
		memset(&p[i], 0, sizeof(p[i]));
		p[i].state = -1;
	}
	sl->pairs = p;
	sl->n_pairs = n;
	return 0;
}

/* Whether this tick must be kept, folding it into the pairs' MAX if not. */
static bool samplelog_wanted(struct samplelog *sl, const struct model *m, uint64_t dt_ms)
{
	bool want = !sl->started || dt_ms - sl->last_dt_ms >= SAMPLELOG_KEEP_MS;
	uint64_t mem_used = m->sys.mem_total_bytes - m->sys.mem_available_bytes;
	uint64_t swap_used = m->sys.swap_total_bytes - m->sys.swap_free_bytes;

	if (samplelog_moved(mem_used, sl->mem_used_written,
	                    samplelog_sys_step(m->sys.mem_total_bytes)) ||
	    samplelog_moved(swap_used, sl->swap_used_written,
	                    samplelog_sys_step(m->sys.swap_total_bytes)))
		want = true;
	for (int i = 0; i < m->n_pairs; i++) {
		const struct model_pair *mp = &m->pairs[i];
		struct samplelog_pair *sp = &sl->pairs[i];

		/* A new attempt starts its peak over. */
		if (mp->peak_rss_bytes < sp->peak_at_write)
			sp->peak_at_write = sp->top_written = 0;
		if (samplelog_active(mp->state) && mp->rss_bytes > sp->seen_max)
			sp->seen_max = mp->rss_bytes;
		if ((int)mp->state != sp->state)
			want = true;
		if (samplelog_active(mp->state) &&
		    samplelog_moved(mp->rss_bytes, sp->rss_written,
		                    samplelog_rss_step(sp->rss_written)))
			want = true;
		if (mp->peak_rss_bytes > sp->top_written + samplelog_rss_step(sp->top_written))
			want = true;
	}
	return want;
}

static void samplelog_add_defs(struct samplelog *sl, const struct model *m, uint64_t wall_ms)
{
	if (!sl->started) {
		samplelog_add(sl, "r %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " ", wall_ms,
		              m->interval_ms, m->sys.mem_total_bytes / 1024,
		              m->sys.swap_total_bytes / 1024);
		samplelog_add_name(sl, m->host);
		samplelog_add(sl, "\n");
	}
	for (int i = 0; i < m->n_pairs; i++) {
		const struct model_pair *mp = &m->pairs[i];
		struct samplelog_pair *sp = &sl->pairs[i];

		if (sl->started && sp->defined && sp->kill_rss_bytes == mp->kill_rss_bytes &&
		    sp->input_bytes == mp->input_bytes)
			continue;
		samplelog_add(sl, "p %d ", i);
		if (mp->kill_rss_bytes == UINT64_MAX)
			samplelog_add(sl, "- ");
		else
			samplelog_add(sl, "%" PRIu64 " ", mp->kill_rss_bytes / 1024);
		samplelog_add(sl, "%" PRIu64 " ", samplelog_kib_up(mp->input_bytes));
		samplelog_add_name(sl, mp->name ? mp->name : "");
		samplelog_add(sl, "\n");
	}
}

static void samplelog_add_sample(struct samplelog *sl, const struct model *m, uint64_t dt_ms)
{
	const struct sys_sample *s = &m->sys;

	samplelog_add(sl, "s %" PRIu64 " %" PRIu64 " %" PRIu64 " ", dt_ms,
	              samplelog_kib_up(s->mem_total_bytes - s->mem_available_bytes),
	              samplelog_kib_up(s->swap_total_bytes - s->swap_free_bytes));
	if (s->psi_known)
		samplelog_add(sl, "%ld", (long)(s->psi_some_avg10 * 10.0 + 0.5));
	else
		samplelog_add(sl, "-");
	for (int i = 0; i < m->n_pairs; i++) {
		const struct model_pair *mp = &m->pairs[i];
		const struct samplelog_pair *sp = &sl->pairs[i];

		if (!samplelog_active(mp->state) && (int)mp->state == sp->state)
			continue;
		uint64_t max = sp->seen_max;

		if (mp->peak_rss_bytes > sp->peak_at_write && mp->peak_rss_bytes > max)
			max = mp->peak_rss_bytes;
		samplelog_add(sl, " %d%c%" PRIu64, i, samplelog_state_letter(mp->state),
		              samplelog_kib_up(mp->rss_bytes));
		if (samplelog_kib_up(max) > samplelog_kib_up(mp->rss_bytes))
			samplelog_add(sl, "/%" PRIu64, samplelog_kib_up(max));
		if (samplelog_active(mp->state) && m->trees != NULL && m->trees[i] != NULL &&
		    m->trees[i]->full && m->trees[i]->ticks_per_s > 0)
			samplelog_add(sl, "c%" PRIu64,
			              m->trees[i]->cpu_ticks * 1000 /
			                      (uint64_t)m->trees[i]->ticks_per_s);
		if (mp->progress_total > 0)
			samplelog_add(sl, "p%" PRIu64 ":%" PRIu64, mp->progress_done,
			              mp->progress_total);
	}
	samplelog_add(sl, "\n");
}

/* After the lines are out: what the next call compares with. */
static void samplelog_commit(struct samplelog *sl, const struct model *m, uint64_t wall_ms,
                             uint64_t dt_ms, bool sampled)
{
	if (!sl->started) {
		sl->started = true;
		sl->run_wall_ms = wall_ms;
	}
	for (int i = 0; i < m->n_pairs; i++) {
		const struct model_pair *mp = &m->pairs[i];
		struct samplelog_pair *sp = &sl->pairs[i];

		sp->defined = true;
		sp->kill_rss_bytes = mp->kill_rss_bytes;
		sp->input_bytes = mp->input_bytes;
		if (!sampled || (!samplelog_active(mp->state) && (int)mp->state == sp->state))
			continue;
		if (sp->seen_max > sp->top_written)
			sp->top_written = sp->seen_max;
		if (mp->peak_rss_bytes > sp->top_written)
			sp->top_written = mp->peak_rss_bytes;
		if (mp->rss_bytes > sp->top_written)
			sp->top_written = mp->rss_bytes;
		sp->state = (int)mp->state;
		sp->rss_written = mp->rss_bytes;
		sp->seen_max = 0;
		sp->peak_at_write = mp->peak_rss_bytes;
	}
	if (sampled) {
		sl->last_dt_ms = dt_ms;
		sl->mem_used_written = m->sys.mem_total_bytes - m->sys.mem_available_bytes;
		sl->swap_used_written = m->sys.swap_total_bytes - m->sys.swap_free_bytes;
	}
}

/* One write for the whole call; a short one is cut back off the file so
 * the next line starts clean. */
static int samplelog_flush(struct samplelog *sl)
{
	off_t before = lseek(sl->fd, 0, SEEK_END);
	ssize_t n = write(sl->fd, sl->buf, sl->len);

	if (n == (ssize_t)sl->len)
		return 0;
	int rc = n < 0 ? -errno : -ENOSPC;

	if (n > 0 && before >= 0 && ftruncate(sl->fd, before) < 0) {
		/* nothing more to do: the reader stops at the damaged line */
	}
	return rc;
}

int samplelog_write(struct samplelog *sl, const struct model *m, uint64_t wall_ms)
{
	if (samplelog_grow(sl, m->n_pairs) < 0)
		return -ENOMEM;
	uint64_t dt_ms = sl->started && wall_ms > sl->run_wall_ms ? wall_ms - sl->run_wall_ms : 0;

	/* A wall clock stepped back must not make time run backwards. */
	if (sl->started && dt_ms < sl->last_dt_ms)
		dt_ms = sl->last_dt_ms;
	bool want = samplelog_wanted(sl, m, dt_ms);

	sl->len = 0;
	sl->oom = false;
	samplelog_add_defs(sl, m, wall_ms);
	if (want)
		samplelog_add_sample(sl, m, dt_ms);
	if (sl->oom)
		return -ENOMEM;
	if (sl->len == 0)
		return 0;
	int rc = samplelog_flush(sl);

	if (rc == 0)
		samplelog_commit(sl, m, wall_ms, dt_ms, want);
	return rc;
}

/* Parsing. */

static int samplelog_u64(const char **p, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -EINVAL;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	*p = s;
	return 0;
}

static int samplelog_kib(const char **p, uint64_t *bytes)
{
	uint64_t kib;

	if (samplelog_u64(p, &kib) < 0 || kib > UINT64_MAX / 1024)
		return -EINVAL;
	*bytes = kib * 1024;
	return 0;
}

static int samplelog_space(const char **p)
{
	if (**p != ' ')
		return -EINVAL;
	(*p)++;
	return 0;
}

static int samplelog_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* The last field: a name to the end of the line. */
static int samplelog_name(const char *s, char *out, size_t len)
{
	size_t n = 0;

	if (strcmp(s, "-") == 0) {
		out[0] = '\0';
		return 0;
	}
	if (*s == '\0')
		return -EINVAL;
	for (; *s != '\0'; s++) {
		int c = (unsigned char)*s;

		if (c <= 0x20)
			return -EINVAL;
		if (c == '%') {
			int hi = samplelog_hex(s[1]), lo = hi < 0 ? -1 : samplelog_hex(s[2]);

			if (lo < 0)
				return -EINVAL;
			c = hi * 16 + lo;
			s += 2;
		}
		if (n + 1 >= len)
			return -EINVAL;
		out[n++] = (char)c;
	}
	out[n] = '\0';
	return 0;
}

static int samplelog_parse_entry(const char **p, struct samplelog_entry *e)
{
	uint64_t index;
	int state;

	if (samplelog_u64(p, &index) < 0 || index > INT32_MAX)
		return -EINVAL;
	e->index = (int)index;
	state = samplelog_letter_state(**p);
	if (state < 0)
		return -EINVAL;
	e->state = **p;
	(*p)++;
	if (samplelog_kib(p, &e->rss_bytes) < 0)
		return -EINVAL;
	e->max_rss_bytes = e->rss_bytes;
	if (**p == '/') {
		(*p)++;
		if (samplelog_kib(p, &e->max_rss_bytes) < 0 || e->max_rss_bytes < e->rss_bytes)
			return -EINVAL;
	}
	e->cpu_known = false;
	e->progress_done = e->progress_total = 0;
	if (**p == 'c') {
		(*p)++;
		if (samplelog_u64(p, &e->cpu_ms) < 0)
			return -EINVAL;
		e->cpu_known = true;
	}
	if (**p == 'p') {
		(*p)++;
		if (samplelog_u64(p, &e->progress_done) < 0 || **p != ':')
			return -EINVAL;
		(*p)++;
		if (samplelog_u64(p, &e->progress_total) < 0 || e->progress_total == 0)
			return -EINVAL;
	}
	return 0;
}

static int samplelog_parse_sample(const char *p, struct samplelog_record *rec,
                                  struct samplelog_entry **entries, size_t *cap)
{
	uint64_t psi;

	if (samplelog_u64(&p, &rec->dt_ms) < 0 || samplelog_space(&p) < 0 ||
	    samplelog_kib(&p, &rec->mem_used_bytes) < 0 || samplelog_space(&p) < 0 ||
	    samplelog_kib(&p, &rec->swap_used_bytes) < 0 || samplelog_space(&p) < 0)
		return -EINVAL;
	if (*p == '-') {
		p++;
	} else {
		if (samplelog_u64(&p, &psi) < 0 || psi > 1000)
			return -EINVAL;
		rec->psi_known = true;
		rec->psi_some_avg10 = (double)psi / 10.0;
	}
	while (*p != '\0') {
		if (samplelog_space(&p) < 0)
			return -EINVAL;
		if (rec->n_entries == *cap) {
			size_t ncap = *cap ? *cap * 2 : 16;
			struct samplelog_entry *e = realloc(*entries, ncap * sizeof(*e));

			if (e == NULL)
				return -ENOMEM;
			*entries = e;
			*cap = ncap;
		}
		if (samplelog_parse_entry(&p, &(*entries)[rec->n_entries]) < 0)
			return -EINVAL;
		rec->n_entries++;
	}
	rec->entries = *entries;
	return 0;
}

int samplelog_parse_line(const char *line, struct samplelog_record *rec,
                         struct samplelog_entry **entries, size_t *cap)
{
	const char *p = line + 2;
	uint64_t index;

	memset(rec, 0, sizeof(*rec));
	if (strcmp(line, SAMPLELOG_MAGIC) == 0) {
		rec->kind = SAMPLELOG_HEADER;
		return 0;
	}
	if (line[0] == '\0' || line[1] != ' ')
		return -EINVAL;
	switch (line[0]) {
	case 'r':
		rec->kind = SAMPLELOG_RUN;
		if (samplelog_u64(&p, &rec->wall_ms) < 0 || samplelog_space(&p) < 0 ||
		    samplelog_u64(&p, &rec->interval_ms) < 0 || samplelog_space(&p) < 0 ||
		    samplelog_kib(&p, &rec->mem_total_bytes) < 0 || samplelog_space(&p) < 0 ||
		    samplelog_kib(&p, &rec->swap_total_bytes) < 0 || samplelog_space(&p) < 0)
			return -EINVAL;
		return samplelog_name(p, rec->host, sizeof(rec->host));
	case 'p':
		rec->kind = SAMPLELOG_PAIR;
		if (samplelog_u64(&p, &index) < 0 || index > INT32_MAX || samplelog_space(&p) < 0)
			return -EINVAL;
		rec->index = (int)index;
		if (*p == '-') {
			p++;
			rec->kill_rss_bytes = UINT64_MAX;
		} else if (samplelog_kib(&p, &rec->kill_rss_bytes) < 0) {
			return -EINVAL;
		}
		if (samplelog_space(&p) < 0 || samplelog_kib(&p, &rec->input_bytes) < 0 ||
		    samplelog_space(&p) < 0)
			return -EINVAL;
		return samplelog_name(p, rec->name, sizeof(rec->name));
	case 's':
		rec->kind = SAMPLELOG_SAMPLE;
		return samplelog_parse_sample(p, rec, entries, cap);
	default:
		return -EINVAL;
	}
}
