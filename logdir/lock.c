/* The log_dir lock. flock rather than fcntl locks: it belongs to the open
 * file, not the process, so nothing else in mergewatch that happens to
 * open and close the same file can drop it. The lock file is never
 * unlinked: removing it would let two processes lock two different files of
 * the same name. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lock.h"

/* Formats into err; a long path may cut the message short. */
static void __attribute__((format(printf, 3, 4)))
lock_say(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* mkdir that accepts an existing directory. 0 or -errno. */
static int lock_mkdir_one(const char *path)
{
	struct stat st;

	if (mkdir(path, 0755) == 0)
		return 0;
	if (errno != EEXIST)
		return -errno;
	if (stat(path, &st) == -1)
		return -errno;
	return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

int lock_mkdirs(const char *path, char *err, size_t errlen)
{
	char buf[PATH_MAX], *p;
	size_t len = strlen(path);
	int rc;

	if (len == 0 || len >= sizeof buf) {
		rc = len == 0 ? -ENOENT : -ENAMETOOLONG;
		lock_say(err, errlen, "mkdir '%s': %s", path, strerror(-rc));
		return rc;
	}
	memcpy(buf, path, len + 1);
	/* each parent in turn, skipping the root and doubled slashes */
	for (p = buf + 1; *p != '\0'; p++) {
		if (*p != '/' || p[-1] == '/')
			continue;
		*p = '\0';
		rc = lock_mkdir_one(buf);
		if (rc != 0) {
			lock_say(err, errlen, "mkdir %s: %s", buf, strerror(-rc));
			return rc;
		}
		*p = '/';
	}
	if ((rc = lock_mkdir_one(buf)) != 0) {
		lock_say(err, errlen, "mkdir %s: %s", buf, strerror(-rc));
		return rc;
	}
	return 0;
}

/* The PID the holder wrote, 0 if none can be read (it may be between
 * taking the lock and writing it). */
static long lock_holder_pid(int fd)
{
	char buf[32], *end;
	ssize_t n;
	long pid;

	n = pread(fd, buf, sizeof buf - 1, 0);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	errno = 0;
	pid = strtol(buf, &end, 10);
	if (errno != 0 || end == buf || pid <= 0)
		return 0;
	return pid;
}

int lock_acquire(const char *log_dir, char *err, size_t errlen)
{
	char path[PATH_MAX], text[32];
	long holder;
	int fd, rc, n;

	if ((rc = lock_mkdirs(log_dir, err, errlen)) != 0)
		return rc;
	n = snprintf(path, sizeof path, "%s/lock", log_dir);
	if (n < 0 || (size_t)n >= sizeof path) {
		lock_say(err, errlen, "%s/lock: %s", log_dir, strerror(ENAMETOOLONG));
		return -ENAMETOOLONG;
	}
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd == -1) {
		rc = -errno;
		lock_say(err, errlen, "open %s: %s", path, strerror(-rc));
		return rc;
	}
	while ((rc = flock(fd, LOCK_EX | LOCK_NB)) == -1 && errno == EINTR)
		;
	if (rc == -1) {
		rc = -errno;
		if (rc == -EWOULDBLOCK && (holder = lock_holder_pid(fd)) > 0)
			lock_say(err, errlen,
			         "log_dir %s is in use by mergewatch "
			         "PID %ld (lock file %s)",
			         log_dir, holder, path);
		else if (rc == -EWOULDBLOCK)
			lock_say(err, errlen,
			         "log_dir %s is in use by another "
			         "mergewatch (lock file %s)",
			         log_dir, path);
		else
			lock_say(err, errlen, "flock %s: %s", path, strerror(-rc));
		close(fd);
		return rc;
	}
	n = snprintf(text, sizeof text, "%ld\n", (long)getpid());
	errno = 0; /* a short pwrite sets none */
	if (ftruncate(fd, 0) == -1 || pwrite(fd, text, (size_t)n, 0) != n) {
		rc = errno != 0 ? -errno : -EIO;
		lock_say(err, errlen, "write %s: %s", path, strerror(-rc));
		close(fd);
		return rc;
	}
	return fd;
}

void lock_release(int fd)
{
	if (fd < 0)
		return;
	/* no stale PID for the next reader; the close drops the lock */
	(void)ftruncate(fd, 0);
	close(fd);
}
