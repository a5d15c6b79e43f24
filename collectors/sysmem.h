/* System memory and pressure. */
#ifndef MW_SYSMEM_H
#define MW_SYSMEM_H

#include "sample.h"

struct sysmem;

/* Opens the readers under proc_root ("/proc" in production, a fixture
 * directory in tests). Returns NULL with errno set when meminfo cannot be
 * opened. A missing pressure file is not an error: PSI is then unknown. */
struct sysmem *sysmem_new(const char *proc_root);
void sysmem_free(struct sysmem *sm);

/* Reads meminfo and PSI into *out (t_ms is stored as given).
 * Returns 0, or -errno when meminfo cannot be read or parsed. */
int sysmem_read(struct sysmem *sm, uint64_t t_ms, struct sys_sample *out);

#endif
