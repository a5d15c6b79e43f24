/* File-system work of a pair: its inputs' size, its output, its cleanup. */
#ifndef MW_FSUTIL_H
#define MW_FSUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Total size of everything the globs match, taken relative to base_dir when
 * not absolute; a directory counts with everything below it. Returns 0, or
 * -ENOENT with err naming the first glob that matches nothing. */
int fsutil_inputs_bytes(char *const *globs, int n, const char *base_dir, uint64_t *bytes, char *err,
                        size_t errlen);

/* path joined to base_dir unless absolute; caller frees; NULL on ENOMEM. */
char *fsutil_resolve(const char *base_dir, const char *path);

/* Size of a regular file, or -errno (-ENOENT when missing). */
int64_t fsutil_file_size(const char *path);

/* Deletes path (a file or a whole directory tree) and reports the bytes its
 * files held. Never follows a symbolic link: when path itself is a link, the
 * link is removed and its target left alone; links inside the tree are
 * removed, never followed (openat with O_NOFOLLOW, fstatat without
 * following, unlinkat). Only path's parent directories are taken as given.
 * A tree on another file system below path (a mount) is left, with an
 * error. A path that does not exist is no error (0 bytes): a second call
 * finishes what an interrupted one began. Refuses "/", "." and ".." and a
 * directory that holds one of the keep paths (the log directory, the pair's
 * output): -EPERM with err. Returns 0 or -errno with err naming the path. */
int fsutil_remove_tree(const char *path, const char *const *keep, int n_keep, uint64_t *bytes_freed,
                       char *err, size_t errlen);

/* Replaces path with text atomically: path.tmp is written, fsynced and
 * renamed over path, then the directory is fsynced, so a crash leaves the
 * old or the new file, never a mix. Returns 0, or -errno with err naming
 * the path and the step; on error no path.tmp is left and path is
 * untouched (but for a failed directory fsync, after the rename). */
int fsutil_write_atomic(const char *path, const char *text, size_t len, char *err, size_t errlen);

#endif
