/* The evidence of a deadlock or stall, saved before any action in
 * <log_dir>/<pair>.deadlock.txt by the helper mergewatch-evidence (every
 * thread's state, wait, kernel, user-space and Python stack; see
 * jobs/evidence/evidence.c), then the output of the optional capture command
 * (py-spy, gdb...). Both run as child processes the runner watches by pidfd:
 * nothing here reads another process's memory in the loop. */
#ifndef MW_CAPTURE_H
#define MW_CAPTURE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../collectors/sample.h"

/* Finds helper program name (mergewatch-sim, mergewatch-evidence): beside
 * the running executable (the build tree), where `make install` puts it
 * relative to the binary, then in libexecdir. Writes the path into buf and
 * returns 0, or -ENOENT. */
int capture_find_helper(const char *name, const char *libexecdir, char *buf, size_t len);

/* The shell command that runs the evidence helper on every process of tree
 * (one exec, every argument single-quoted), with its time budget. Caller
 * frees; NULL on allocation failure. */
char *capture_helper_command(const char *helper, const char *proc_root, const char *pair,
                             const char *verdict, const struct tree_sample *tree,
                             unsigned budget_ms);

/* Starts the evidence file at path afresh (empty) with a first line saying
 * what is being taken. Returns 0 or -errno with err naming the path. */
int capture_start_file(const char *path, const char *verdict, const char *when, char *err,
                       size_t errlen);

/* Appends one line to the evidence file (a note on what could not be
 * captured, the capture command's name). Errors are ignored: the note is
 * best effort and the file's absence is reported when it is started. */
void capture_note(const char *path, const char *line);

/* The capture command with every "{pid}" replaced by pid. Caller frees;
 * NULL on allocation failure. */
char *capture_expand(const char *command, pid_t pid);

#endif
