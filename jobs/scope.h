/* Transient systemd scopes over D-Bus (sd-bus): the kernel cap for a user
 * who may not write cgroups but has a systemd user manager, asked for as
 * `systemd-run --user --scope -p MemoryMax=` does. The manager makes the
 * scope's group in its own delegated subtree, sets MemoryMax= and
 * MemorySwapMax= there and moves the given process in (asking the system
 * manager when the process sits in a group the user does not own). */
#ifndef MW_SCOPE_H
#define MW_SCOPE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct scope_bus;

/* Connects to the calling user's manager ($DBUS_SESSION_BUS_ADDRESS or
 * $XDG_RUNTIME_DIR/bus). NULL with err saying why (no session bus, no
 * manager on it). */
struct scope_bus *scope_bus_open(char *err, size_t errlen);
void scope_bus_close(struct scope_bus *sb);

/* Asks for the transient scope unit (a name ending in ".scope") holding
 * process pid, with MemoryMax=memory_max and MemorySwapMax=swap_max
 * (UINT64_MAX: not set). Then waits, at most timeout_ms, until pid is
 * seen in the scope's group, and writes that group's path (relative to the
 * cgroup2 mount, "/user.slice/...") into group. 0, or -errno with err
 * naming the unit and the manager's answer. Blocks for one D-Bus round
 * trip and the manager's job (milliseconds). */
int scope_start(struct scope_bus *sb, const char *unit, pid_t pid, uint64_t memory_max,
                uint64_t swap_max, int timeout_ms, char *group, size_t grouplen, char *err,
                size_t errlen);

/* Asks the manager to stop the unit (a scope ends by itself once empty;
 * this makes sure). A unit already gone is success. 0 or -errno with err. */
int scope_stop(struct scope_bus *sb, const char *unit, char *err, size_t errlen);

#endif
