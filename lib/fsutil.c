#include "fsutil.h"

#include <errno.h>
#include <fts.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *fsutil_resolve(const char *base_dir, const char *path)
{
	char *out;

	if (path[0] == '/' || base_dir == NULL)
		return strdup(path);
	if (asprintf(&out, "%s/%s", base_dir, path) < 0)
		return NULL;
	return out;
}

int64_t fsutil_file_size(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return -errno;
	return S_ISREG(st.st_mode) ? (int64_t)st.st_size : -EISDIR;
}

/* fts rather than nftw: it needs no callback, so no file-level state. */
static FTS *fsutil_open_walk(const char *path)
{
	char *paths[] = { (char *)path, NULL };

	return fts_open(paths, FTS_PHYSICAL | FTS_NOCHDIR, NULL);
}

static uint64_t fsutil_tree_bytes(const char *path)
{
	FTS *fts = fsutil_open_walk(path);
	FTSENT *e;
	uint64_t bytes = 0;

	if (fts == NULL)
		return 0;
	while ((e = fts_read(fts)) != NULL) {
		if (e->fts_info == FTS_F)
			bytes += (uint64_t)e->fts_statp->st_size;
	}
	fts_close(fts);
	return bytes;
}

int fsutil_inputs_bytes(char *const *globs, int n, const char *base_dir, uint64_t *bytes, char *err,
                        size_t errlen)
{
	*bytes = 0;
	for (int i = 0; i < n; i++) {
		char *pattern = fsutil_resolve(base_dir, globs[i]);
		glob_t g;

		if (pattern == NULL)
			return -ENOMEM;
		int rc = glob(pattern, GLOB_NOSORT, NULL, &g);

		free(pattern);
		if (rc != 0) {
			snprintf(err, errlen, "inputs '%s' match nothing", globs[i]);
			if (rc != GLOB_NOMATCH)
				globfree(&g);
			return -ENOENT;
		}
		for (size_t j = 0; j < g.gl_pathc; j++)
			*bytes += fsutil_tree_bytes(g.gl_pathv[j]);
		globfree(&g);
	}
	return 0;
}

/* True when inner is outer itself or lies below it. */
static bool fsutil_contains(const char *outer, const char *inner)
{
	size_t n = strlen(outer);

	while (n > 1 && outer[n - 1] == '/')
		n--;
	return strncmp(outer, inner, n) == 0 && (inner[n] == '\0' || inner[n] == '/');
}

int fsutil_remove_tree(const char *path, const char *const *keep, int n_keep, uint64_t *bytes_freed,
                       char *err, size_t errlen)
{
	char real[PATH_MAX];

	*bytes_freed = 0;
	if (realpath(path, real) == NULL) {
		int e = errno;

		snprintf(err, errlen, "cleanup %s: %s", path, strerror(e));
		return -e;
	}
	if (strcmp(real, "/") == 0) {
		snprintf(err, errlen, "cleanup %s: refusing to delete /", path);
		return -EPERM;
	}
	for (int i = 0; i < n_keep; i++) {
		char kept[PATH_MAX];

		if (keep[i] == NULL || realpath(keep[i], kept) == NULL)
			continue;
		if (fsutil_contains(real, kept)) {
			snprintf(err, errlen, "cleanup %s: refusing, it holds %s", path, keep[i]);
			return -EPERM;
		}
	}
	FTS *fts = fsutil_open_walk(real);
	FTSENT *e;
	int rc = 0;

	if (fts == NULL) {
		rc = -errno;
		snprintf(err, errlen, "cleanup %s: %s", path, strerror(-rc));
		return rc;
	}
	while ((e = fts_read(fts)) != NULL && rc == 0) {
		switch (e->fts_info) {
		case FTS_D:
			continue; /* removed on the way back up (FTS_DP) */
		case FTS_DP:
			if (rmdir(e->fts_path) < 0)
				rc = -errno;
			break;
		case FTS_DNR:
		case FTS_ERR:
		case FTS_NS:
			rc = -(e->fts_errno ? e->fts_errno : EIO);
			break;
		default:
			if (e->fts_info == FTS_F)
				*bytes_freed += (uint64_t)e->fts_statp->st_size;
			if (unlink(e->fts_path) < 0)
				rc = -errno;
			break;
		}
		if (rc < 0)
			snprintf(err, errlen, "cleanup %s: %s", e->fts_path, strerror(-rc));
	}
	fts_close(fts);
	return rc;
}
