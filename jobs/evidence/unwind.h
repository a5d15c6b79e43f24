/* User-space stacks of a process's threads through elfutils' libdwfl, as
 * eu-stack prints them: each thread is stopped with ptrace only while its
 * own frames are read, then let go. Function names from the symbol tables,
 * file:line where debug information exists. */
#ifndef MW_EVIDENCE_UNWIND_H
#define MW_EVIDENCE_UNWIND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct unwind;

/* Reports the modules of pid. NULL with why filled in when libdwfl cannot
 * read the process (gone, not permitted). */
struct unwind *unwind_open(pid_t pid, char *why, size_t whylen);
void unwind_close(struct unwind *u);

/* The frames of thread tid as text lines ("#0  0x... func (module) file:line"),
 * at most max_frames of them. Returns a malloc'd string (caller frees), or
 * NULL with why filled in. */
char *unwind_thread(struct unwind *u, pid_t tid, int max_frames, char *why, size_t whylen);

/* The address of a symbol named name in a module whose file name contains
 * module_part (e.g. "python"); 0 when none. */
uint64_t unwind_symbol(struct unwind *u, const char *module_part, const char *name);

#endif
