/* The report command: read the log directory, render, write atomically. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "page.h"
#include "report.h"
#include "rlog.h"

static int report_save(const char *path, const struct strbuf *page, char *err, size_t errlen)
{
	char *tmp = NULL;
	int rc = 0;

	if (asprintf(&tmp, "%s.tmp", path) == -1) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		free(tmp);
		return rc;
	}
	for (size_t off = 0; off < page->len && rc == 0;) {
		ssize_t n = write(fd, page->s + off, page->len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			rc = n < 0 ? -errno : -EIO;
		else
			off += (size_t)n;
	}
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) < 0)
		rc = -errno;
	if (rc < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		unlink(tmp);
	}
	free(tmp);
	return rc;
}

/* "" when the page goes into log_dir (relative links survive moving the
 * whole directory), else "file://" + log_dir's real path + "/". */
static void report_link_base(const char *log_dir, const char *out_path, char *buf, size_t len)
{
	char dir[PATH_MAX], out_dir[PATH_MAX], *copy;

	buf[0] = '\0';
	if (out_path == NULL || realpath(log_dir, dir) == NULL)
		return;
	copy = strdup(out_path);
	if (copy != NULL && realpath(dirname(copy), out_dir) != NULL && strcmp(dir, out_dir) == 0) {
		free(copy);
		return;
	}
	free(copy);
	snprintf(buf, len, "file://%s/", dir);
}

int report_write(const char *log_dir, const char *out_path, char *err, size_t errlen)
{
	struct rlog *log;
	struct strbuf page = { 0 };
	char *def = NULL, base[PATH_MAX + 16];
	int rc = rlog_load(log_dir, &log, err, errlen);

	if (rc < 0)
		return rc;
	report_link_base(log_dir, out_path, base, sizeof(base));
	page_render(&page, log, base);
	rlog_free(log);
	if (page.oom) {
		strbuf_free(&page);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (out_path == NULL) {
		if (asprintf(&def, "%s/report.html", log_dir) == -1) {
			strbuf_free(&page);
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
		out_path = def;
	}
	rc = report_save(out_path, &page, err, errlen);
	free(def);
	strbuf_free(&page);
	return rc;
}
