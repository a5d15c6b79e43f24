/* The evidence of a deadlock, saved before any action: every thread's state,
 * wait channel and kernel stack, then the output of the optional capture
 * command (py-spy, gdb...), in <log_dir>/<pair>.deadlock.txt. */
#ifndef MW_CAPTURE_H
#define MW_CAPTURE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../collectors/sample.h"

/* Writes the header and every thread of the tree (state, wchan, and
 * /proc/PID/task/TID/stack where readable) to path, replacing it. Raw names
 * are written with control bytes escaped. Returns 0 or -errno with err naming
 * the path. */
int capture_write_threads(const char *path, const char *proc_root, const char *pair,
                          const struct tree_sample *tree, const char *when, char *err,
                          size_t errlen);

/* The capture command with every "{pid}" replaced by pid. Caller frees;
 * NULL on allocation failure. */
char *capture_expand(const char *command, pid_t pid);

#endif
