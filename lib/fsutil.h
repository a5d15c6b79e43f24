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

/* Deletes path (a file or a whole directory tree, never following links) and
 * reports the bytes it held. Refuses "/" and any path that contains one of
 * the keep paths (the log directory, the pair's output): -EPERM with err.
 * Returns 0 or -errno with err naming the path. */
int fsutil_remove_tree(const char *path, const char *const *keep, int n_keep, uint64_t *bytes_freed,
                       char *err, size_t errlen);

#endif
