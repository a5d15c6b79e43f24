/* Transient scopes from the user's systemd manager, over sd-bus. */
#include "scope.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <time.h>
#include <unistd.h>

struct scope_bus {
	sd_bus *bus;
};

static const char scope_dest[] = "org.freedesktop.systemd1";
static const char scope_path[] = "/org/freedesktop/systemd1";
static const char scope_iface[] = "org.freedesktop.systemd1.Manager";

enum { SCOPE_CALL_TIMEOUT_US = 5 * 1000 * 1000 };

struct scope_bus *scope_bus_open(char *err, size_t errlen)
{
	struct scope_bus *sb = calloc(1, sizeof(*sb));
	sd_bus_error e = SD_BUS_ERROR_NULL;
	sd_bus_message *reply = NULL;
	int r;

	if (sb == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	r = sd_bus_open_user(&sb->bus);
	if (r < 0) {
		snprintf(err, errlen, "no user session bus (%s%s): %s",
		         getenv("DBUS_SESSION_BUS_ADDRESS") ? "DBUS_SESSION_BUS_ADDRESS"
		                                            : "XDG_RUNTIME_DIR/bus",
		         getenv("DBUS_SESSION_BUS_ADDRESS") || getenv("XDG_RUNTIME_DIR") ? ""
		                                                                         : " unset",
		         strerror(-r));
		free(sb);
		return NULL;
	}
	(void)sd_bus_set_method_call_timeout(sb->bus, SCOPE_CALL_TIMEOUT_US);
	/* A user manager answers for its Version property; a bare
	 * dbus-daemon without one does not. */
	r = sd_bus_get_property(sb->bus, scope_dest, scope_path, scope_iface, "Version", &e, &reply,
	                        "s");
	if (r < 0) {
		snprintf(err, errlen, "no systemd user manager on the session bus: %s",
		         e.message ? e.message : strerror(-r));
		sd_bus_error_free(&e);
		sd_bus_flush_close_unref(sb->bus);
		free(sb);
		return NULL;
	}
	sd_bus_message_unref(reply);
	return sb;
}

void scope_bus_close(struct scope_bus *sb)
{
	if (sb == NULL)
		return;
	sd_bus_flush_close_unref(sb->bus);
	free(sb);
}

/* The "0::" group of pid, relative to the cgroup2 mount. 0 or -errno. */
static int scope_pid_group(pid_t pid, char *group, size_t len)
{
	char path[64], buf[4096], *line, *save = NULL;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return n == 0 ? -ENOENT : -errno;
	buf[n] = '\0';
	for (line = strtok_r(buf, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "0::", 3) != 0)
			continue;
		if (strlen(line + 3) >= len)
			return -ENAMETOOLONG;
		strcpy(group, line + 3);
		return 0;
	}
	return -ENOENT;
}

/* Whether group's last component is unit. */
static bool scope_group_is(const char *group, const char *unit)
{
	const char *slash = strrchr(group, '/');

	return slash != NULL && strcmp(slash + 1, unit) == 0;
}

static int scope_append_props(sd_bus_message *m, const char *unit, pid_t pid, uint64_t memory_max,
                              uint64_t swap_max)
{
	int r;

	if ((r = sd_bus_message_append(m, "ss", unit, "fail")) < 0 ||
	    (r = sd_bus_message_open_container(m, 'a', "(sv)")) < 0 ||
	    (r = sd_bus_message_append(m, "(sv)", "Description", "s",
	                               "mergewatch pair (kernel cap)")) < 0 ||
	    (r = sd_bus_message_append(m, "(sv)", "PIDs", "au", 1, (uint32_t)pid)) < 0 ||
	    (r = sd_bus_message_append(m, "(sv)", "CollectMode", "s", "inactive-or-failed")) < 0 ||
	    /* the kernel's OOM kill, then mergewatch's: the manager must not
	     * stop the scope (and remove its record) on its own */
	    (r = sd_bus_message_append(m, "(sv)", "OOMPolicy", "s", "continue")) < 0)
		return r;
	if (memory_max != UINT64_MAX &&
	    (r = sd_bus_message_append(m, "(sv)", "MemoryMax", "t", memory_max)) < 0)
		return r;
	if (swap_max != UINT64_MAX &&
	    (r = sd_bus_message_append(m, "(sv)", "MemorySwapMax", "t", swap_max)) < 0)
		return r;
	if ((r = sd_bus_message_close_container(m)) < 0)
		return r;
	return sd_bus_message_append(m, "a(sa(sv))", 0);
}

int scope_start(struct scope_bus *sb, const char *unit, pid_t pid, uint64_t memory_max,
                uint64_t swap_max, int timeout_ms, char *group, size_t grouplen, char *err,
                size_t errlen)
{
	sd_bus_message *m = NULL, *reply = NULL;
	sd_bus_error e = SD_BUS_ERROR_NULL;
	struct timespec tick = { 0, 2 * 1000 * 1000 };
	int r;

	r = sd_bus_message_new_method_call(sb->bus, &m, scope_dest, scope_path, scope_iface,
	                                   "StartTransientUnit");
	if (r >= 0)
		r = scope_append_props(m, unit, pid, memory_max, swap_max);
	if (r < 0) {
		snprintf(err, errlen, "%s: building the request: %s", unit, strerror(-r));
		sd_bus_message_unref(m);
		return r;
	}
	r = sd_bus_call(sb->bus, m, 0, &e, &reply);
	sd_bus_message_unref(m);
	sd_bus_message_unref(reply);
	if (r < 0) {
		snprintf(err, errlen, "StartTransientUnit %s: %s", unit,
		         e.message ? e.message : strerror(-r));
		sd_bus_error_free(&e);
		return r;
	}
	/* The manager moves the process while it starts the unit; the
	 * caller's process must not go on before it is in. */
	for (int waited = 0; waited <= timeout_ms; waited += 2) {
		r = scope_pid_group(pid, group, grouplen);
		if (r < 0) {
			snprintf(err, errlen, "%s: /proc/%d/cgroup: %s", unit, (int)pid,
			         strerror(-r));
			return r;
		}
		if (scope_group_is(group, unit))
			return 0;
		nanosleep(&tick, NULL);
	}
	snprintf(err, errlen, "%s: PID %d was not moved into it within %d ms (still in %s)", unit,
	         (int)pid, timeout_ms, group);
	return -ETIMEDOUT;
}

int scope_stop(struct scope_bus *sb, const char *unit, char *err, size_t errlen)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	sd_bus_message *reply = NULL;
	int r;

	r = sd_bus_call_method(sb->bus, scope_dest, scope_path, scope_iface, "StopUnit", &e, &reply,
	                       "ss", unit, "replace");
	sd_bus_message_unref(reply);
	if (r < 0 && !sd_bus_error_has_name(&e, "org.freedesktop.systemd1.NoSuchUnit")) {
		snprintf(err, errlen, "StopUnit %s: %s", unit,
		         e.message ? e.message : strerror(-r));
		sd_bus_error_free(&e);
		return r;
	}
	sd_bus_error_free(&e);
	return 0;
}
