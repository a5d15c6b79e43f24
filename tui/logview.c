/* The tail of a pair's log, split into lines and drawn escaped: a job's
 * output is bytes it chose, shown like any other untrusted text. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "logview.h"

struct logview {
	char buf[LOGVIEW_TAIL_BYTES + 1];
	int starts[LOGVIEW_MAX_LINES]; /* offsets of the lines in buf */
	int n_lines;
};

struct logview *logview_new(void)
{
	return calloc(1, sizeof(struct logview));
}

void logview_free(struct logview *lv)
{
	free(lv);
}

static const char *logview_path(const struct model *m, const struct view *v)
{
	if (!v->log_open || v->log_pair < 0 || v->log_pair >= m->n_pairs)
		return NULL;
	return m->pairs[v->log_pair].log_path;
}

uint64_t logview_signature(const struct model *m, const struct view *v)
{
	const char *path = logview_path(m, v);
	struct stat st;

	if (path == NULL)
		return 0;
	if (stat(path, &st) < 0)
		return 1;
	return (uint64_t)st.st_size * 1000003u ^ (uint64_t)st.st_mtim.tv_nsec ^
	       (uint64_t)st.st_mtim.tv_sec;
}

/* Reads the file's last LOGVIEW_TAIL_BYTES into lv as lines. Returns the
 * file size, or -errno. */
static long long logview_load(struct logview *lv, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	struct stat st;
	off_t from;
	ssize_t n;
	int o = 0;

	lv->n_lines = 0;
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	from = st.st_size > LOGVIEW_TAIL_BYTES ? st.st_size - LOGVIEW_TAIL_BYTES : 0;
	n = pread(fd, lv->buf, LOGVIEW_TAIL_BYTES, from);
	close(fd);
	if (n < 0)
		return -errno;
	lv->buf[n] = '\0';
	if (from > 0) {
		/* The first line read is a piece of one: start after it. */
		char *nl = memchr(lv->buf, '\n', (size_t)n);

		o = nl != NULL ? (int)(nl - lv->buf) + 1 : 0;
	}
	while (o < n) {
		char *nl = memchr(lv->buf + o, '\n', (size_t)(n - o));

		if (lv->n_lines == LOGVIEW_MAX_LINES) {
			/* More lines than kept: drop the older half. */
			int keep = LOGVIEW_MAX_LINES / 2;

			memmove(lv->starts, lv->starts + lv->n_lines - keep,
			        (size_t)keep * sizeof(int));
			lv->n_lines = keep;
		}
		lv->starts[lv->n_lines++] = o;
		if (nl == NULL)
			break;
		*nl = '\0';
		o = (int)(nl - lv->buf) + 1;
	}
	return (long long)st.st_size;
}

void logview_draw(struct logview *lv, const struct draw *d, int y0, int h, int cols,
                  const struct model *m, struct view *v)
{
	const char *path = logview_path(m, v);
	const struct model_pair *p;
	char title[512], size[32];
	long long got;
	int text_rows = h - 2, first, x;

	if (path == NULL || h < 3 || lv == NULL)
		return;
	p = &m->pairs[v->log_pair];
	for (int y = y0; y < y0 + h; y++)
		draw_blank(d, y, 0, cols, DRAW_NORMAL);
	got = logview_load(lv, path);
	v->log_page_rows = text_rows;
	if (v->log_back > lv->n_lines - text_rows)
		v->log_back = lv->n_lines > text_rows ? lv->n_lines - text_rows : 0;
	if (got >= 0)
		snprintf(size, sizeof size, "%lld bytes", got);
	else
		snprintf(size, sizeof size, "%s", strerror((int)-got));
	snprintf(title, sizeof title, "%s, %s, %s: %s", p->name != NULL ? p->name : "?",
	         v->log_back == 0 ? "following the end" : "scrolled up", size, path);
	{
		struct layout_rect r = { y0, 0, 1, cols };

		draw_title(d, &r, "Log", DRAW_NORMAL, title);
	}
	if (got >= 0 && lv->n_lines == 0)
		draw_text(d, y0 + 1, 0, cols, DRAW_DIM, "(the job has written nothing yet)");
	first = lv->n_lines - text_rows - v->log_back;
	if (first < 0)
		first = 0;
	for (int i = 0; i < text_rows && first + i < lv->n_lines; i++)
		draw_text(d, y0 + 1 + i, 0, cols, DRAW_NORMAL, lv->buf + lv->starts[first + i]);
	x = 0;
	x += draw_text(d, y0 + h - 1, x, cols - x, DRAW_KEY, "Up/Down PgUp/PgDn");
	x += draw_text(d, y0 + h - 1, x, cols - x, DRAW_NORMAL, " scroll  ");
	x += draw_text(d, y0 + h - 1, x, cols - x, DRAW_KEY, "End");
	x += draw_text(d, y0 + h - 1, x, cols - x, DRAW_NORMAL, " follow  ");
	x += draw_text(d, y0 + h - 1, x, cols - x, DRAW_KEY, "l/q/Esc");
	draw_text(d, y0 + h - 1, x, cols - x, DRAW_NORMAL, " back to the panes");
}
