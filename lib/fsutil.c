#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
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

/* Where a removal stands: the file system it may not leave, the bytes
 * freed so far, the first error. */
struct fsutil_rm {
	dev_t dev;
	uint64_t bytes;
	char *err;
	size_t errlen;
	const char *top; /* the path as given, for messages */
};

static int fsutil_rm_fail(struct fsutil_rm *rm, const char *name, int e)
{
	snprintf(rm->err, rm->errlen, "cleanup %s: %s: %s", rm->top, name, strerror(e));
	return -e;
}

/* Removes what name (in directory at) is without following it if it is a link: a
 * link or a file is unlinked; a directory is emptied (entries opened with
 * openat and O_NOFOLLOW, so a link inside is removed, never followed) and
 * removed. An entry that has gone meanwhile is no error: a second run
 * finishes what an interrupted one began. */
static int fsutil_rm_at(struct fsutil_rm *rm, int at, const char *name)
{
	struct stat st;

	if (fstatat(at, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : fsutil_rm_fail(rm, name, errno);
	if (!S_ISDIR(st.st_mode)) {
		if (unlinkat(at, name, 0) < 0)
			return errno == ENOENT ? 0 : fsutil_rm_fail(rm, name, errno);
		if (S_ISREG(st.st_mode) && st.st_nlink <= 1)
			rm->bytes += (uint64_t)st.st_size;
		return 0;
	}
	int fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		if (errno == ELOOP || errno == ENOTDIR) /* replaced by a link since */
			return fsutil_rm_at(rm, at, name);
		return fsutil_rm_fail(rm, name, errno);
	}
	if (fstat(fd, &st) < 0 || st.st_dev != rm->dev) {
		close(fd);
		snprintf(rm->err, rm->errlen,
		         "cleanup %s: %s is another file system (a mount): left in place", rm->top,
		         name);
		return -EXDEV;
	}
	DIR *dir = fdopendir(fd);
	struct dirent *e;
	int rc = 0;

	if (dir == NULL) {
		close(fd);
		return fsutil_rm_fail(rm, name, errno);
	}
	while (rc == 0 && (errno = 0, e = readdir(dir)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		rc = fsutil_rm_at(rm, dirfd(dir), e->d_name);
	}
	if (rc == 0 && e == NULL && errno != 0)
		rc = fsutil_rm_fail(rm, name, errno);
	closedir(dir);
	if (rc == 0 && unlinkat(at, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		rc = fsutil_rm_fail(rm, name, errno);
	return rc;
}

int fsutil_remove_tree(const char *path, const char *const *keep, int n_keep, uint64_t *bytes_freed,
                       char *err, size_t errlen)
{
	char parent[PATH_MAX], real_parent[PATH_MAX], real[PATH_MAX * 2];
	struct fsutil_rm rm = { .err = err, .errlen = errlen, .top = path };
	struct stat st;

	*bytes_freed = 0;
	/* The parent directories are the user's path to the tree; the tree's
	 * own name and everything below are never followed. */
	snprintf(parent, sizeof(parent), "%s", path);
	size_t len = strlen(parent);

	while (len > 1 && parent[len - 1] == '/')
		parent[--len] = '\0';
	char *slash = strrchr(parent, '/');
	const char *name = slash ? slash + 1 : parent;

	if (slash == parent)
		snprintf(real_parent, sizeof(real_parent), "/");
	if (slash != NULL)
		*slash = '\0';
	if (*name == '\0' || strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
		snprintf(err, errlen, "cleanup %s: refusing to delete /, . or ..", path);
		return -EPERM;
	}
	if (realpath(slash == NULL ? "." : slash == parent ? "/" : parent, real_parent) == NULL) {
		int e = errno;

		if (e == ENOENT)
			return 0; /* nothing left to delete */
		snprintf(err, errlen, "cleanup %s: %s", path, strerror(e));
		return -e;
	}
	snprintf(real, sizeof(real), "%s/%s", strcmp(real_parent, "/") == 0 ? "" : real_parent,
	         name);
	int dirfd = open(real_parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (dirfd < 0) {
		int e = errno;

		snprintf(err, errlen, "cleanup %s: %s", real_parent, strerror(e));
		return -e;
	}
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		int e = errno;

		close(dirfd);
		if (e == ENOENT)
			return 0; /* gone already: an earlier cleanup finished it */
		snprintf(err, errlen, "cleanup %s: %s", path, strerror(e));
		return -e;
	}
	if (S_ISDIR(st.st_mode)) {
		for (int i = 0; i < n_keep; i++) {
			char kept[PATH_MAX];

			if (keep[i] == NULL || realpath(keep[i], kept) == NULL)
				continue;
			if (fsutil_contains(real, kept)) {
				close(dirfd);
				snprintf(err, errlen, "cleanup %s: refusing, it holds %s", path,
				         keep[i]);
				return -EPERM;
			}
		}
	}
	rm.dev = st.st_dev;
	int rc = fsutil_rm_at(&rm, dirfd, name);

	close(dirfd);
	*bytes_freed = rm.bytes;
	return rc;
}

static int fsutil_write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int fsutil_write_atomic(const char *path, const char *text, size_t len, char *err, size_t errlen)
{
	char tmp[PATH_MAX], dir[PATH_MAX];
	const char *step = "write";
	int fd, rc;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -ENAMETOOLONG;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd == -1) {
		rc = -errno;
		snprintf(err, errlen, "open %s: %s", tmp, strerror(-rc));
		return rc;
	}
	rc = fsutil_write_all(fd, text, len);
	if (rc == 0 && fsync(fd) == -1) {
		step = "fsync";
		rc = -errno;
	}
	if (close(fd) == -1 && rc == 0) {
		step = "close";
		rc = -errno;
	}
	if (rc == 0 && rename(tmp, path) == -1) {
		step = "rename";
		rc = -errno;
	}
	if (rc != 0) {
		snprintf(err, errlen, "%s %s: %s", step, tmp, strerror(-rc));
		unlink(tmp);
		return rc;
	}
	/* the rename is durable only once the directory is */
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');

	if (slash == dir)
		slash[1] = '\0';
	else if (slash != NULL)
		*slash = '\0';
	else
		snprintf(dir, sizeof(dir), ".");
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1 || fsync(fd) == -1) {
		rc = -errno;
		snprintf(err, errlen, "fsync %s: %s", dir, strerror(-rc));
	}
	if (fd != -1)
		close(fd);
	return rc;
}
