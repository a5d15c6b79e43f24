/* The Python stack of every thread of a CPython 3.11 process, read from its
 * memory (process_vm_readv) as py-spy does: _PyRuntime -> interpreter ->
 * thread states -> frames -> code objects (file, function, first line) and
 * the line of the instruction each frame is at, from the code's location
 * table. The structure offsets are CPython 3.11's on 64-bit Linux (the
 * same for every 3.11.x release); another version is refused by name. */
#ifndef MW_EVIDENCE_PYSTACK_H
#define MW_EVIDENCE_PYSTACK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct pystack_thread {
	pid_t tid;   /* native thread id */
	char *stack; /* "  File \"x.py\", line 3, in f" lines, innermost first; malloc'd */
};

/* Reads every Python thread of pid, given the address of its _PyRuntime and
 * of Py_Version (0: unknown). Returns how many threads were filled in out
 * (at most max), or -1 with why filled in. */
int pystack_read(pid_t pid, uint64_t runtime_addr, uint64_t version_addr,
                 struct pystack_thread *out, int max, char *why, size_t whylen);

#endif
