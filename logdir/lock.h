/* One mergewatch at a time per log_dir: an flock on <log_dir>/lock, which
 * the kernel drops when the holder exits however it dies, so a crash never
 * leaves a stale lock. The file holds the holder's PID for the message a
 * second mergewatch shows. */
#ifndef MW_LOCK_H
#define MW_LOCK_H

#include <stddef.h>

/* Makes directory path and its missing parents (mode 0755 before umask),
 * as mkdir -p. Returns 0 (also when it exists), or -errno with err naming
 * the component that could not be made. */
int lock_mkdirs(const char *path, char *err, size_t errlen);

/* Makes log_dir if missing and takes the lock on log_dir/lock (created
 * 0644), writing our PID into it. Returns the descriptor that holds the
 * lock (close-on-exec, so pairs started by exec do not inherit it), for
 * lock_release. Otherwise -errno with err: -EWOULDBLOCK when another
 * process holds it, with err "log_dir /x/logs is in use by mergewatch PID
 * 1234 (lock file /x/logs/lock)"; other errors name the path. */
int lock_acquire(const char *log_dir, char *err, size_t errlen);

/* Clears the PID and releases the lock. A negative fd is ignored. */
void lock_release(int fd);

#endif
