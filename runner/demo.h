/* `mergewatch demo`: a plan of simulated pairs scaled to this machine. */
#ifndef MW_DEMO_H
#define MW_DEMO_H

#include <stddef.h>
#include <stdint.h>

/* Writes dir/demo.ini and the pairs' input files under dir, with sim the
 * path of mergewatch-sim and mem_total the machine's memory (the bloating
 * pair's kill line is a small share of it, so the demo never endangers the
 * machine). Returns 0 or -errno with err naming the file. */
int demo_write_plan(const char *dir, const char *sim, uint64_t mem_total, char *err, size_t errlen);

/* Finds mergewatch-sim: next to the running executable, then in libexecdir.
 * Writes the path into buf and returns 0, or -ENOENT. */
int demo_find_sim(const char *libexecdir, char *buf, size_t len);

#endif
