/* A pair's orphans where it has no group to find them by: mergewatch is
 * the child subreaper of what it starts (PR_SET_CHILD_SUBREAPER), so a
 * process of a pair that double-forked or called setsid, once its parent
 * has gone, becomes mergewatch's child instead of init's. Its environment
 * still names its pair (MERGEWATCH_PAIR, set for every pair's command). */
#ifndef MW_ORPHANS_H
#define MW_ORPHANS_H

#include <stddef.h>
#include <sys/types.h>

/* Fills out with up to max children of adopter (under proc_root) whose
 * environment holds MERGEWATCH_PAIR=pair, or every child when pair is
 * NULL. Returns how many were found (at most max), or -errno when the
 * adopter's children cannot be read. */
int orphans_list(const char *proc_root, pid_t adopter, const char *pair, pid_t *out, size_t max);

#endif
