/* A pair's cleanup as a child process: deleting a checkpoint of 200,000
 * files takes seconds to minutes, and nothing may stop the loop that long
 * (a kill, a signal, sampling). The child is a mode of the mergewatch binary
 * (`mergewatch _cleanup PATH [KEEP...]`, started through /proc/self/exe by
 * job_spawn); it deletes with fsutil_remove_tree (never following a link)
 * and writes one result line to its standard output, which mergewatch reads
 * from a pipe once the child's pidfd says it has ended. */
#ifndef MW_CLEANUP_H
#define MW_CLEANUP_H

#include <stddef.h>
#include <stdint.h>

/* argv[1] of the cleanup mode. */
#define CLEANUP_MODE "_cleanup"

/* The cleanup process: argv after CLEANUP_MODE is PATH [KEEP...]. Writes
 * "freed BYTES\n" and returns 0, or "error MESSAGE\n" and returns 1. */
int cleanup_main(int argc, char **argv);

/* Reads what the cleanup process wrote (len bytes of text). Returns 0 with
 * bytes freed; -EIO with err holding the process's message, or saying that
 * it ended without a result (killed midway: a second cleanup finishes). */
int cleanup_result(const char *text, size_t len, uint64_t *bytes, char *err, size_t errlen);

#endif
