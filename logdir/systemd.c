/* The journal's native protocol: one datagram per entry, "KEY=value\n"
 * fields, or "KEY\n" + 64-bit little-endian length + value + "\n" for a
 * value holding a newline (systemd.journal-fields(7), "Native Journal
 * Protocol"). sd_notify: one datagram of "KEY=VALUE" lines. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "systemd.h"

enum {
	JOURNAL_ENTRY_MAX = 8192,
	JOURNAL_IDENT_MAX = 64,
};

static const char journal_socket_path[] = "/run/systemd/journal/socket";

struct journal {
	int fd;
	char identifier[JOURNAL_IDENT_MAX];
};

/* True when fd is the stream JOURNAL_STREAM ("DEV:INODE") names. */
static bool journal_stream_is(int fd)
{
	const char *env = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	char *end;

	if (env == NULL || *env < '0' || *env > '9')
		return false;
	errno = 0;
	dev = strtoull(env, &end, 10);
	if (errno != 0 || *end != ':' || end[1] < '0' || end[1] > '9')
		return false;
	ino = strtoull(end + 1, &end, 10);
	if (errno != 0 || *end != '\0' || fstat(fd, &st) < 0)
		return false;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

struct journal *journal_open(const char *identifier)
{
	struct journal *j;

	if (!journal_stream_is(STDERR_FILENO))
		return NULL;
	j = calloc(1, sizeof *j);
	if (j == NULL)
		return NULL;
	j->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (j->fd < 0) {
		free(j);
		return NULL;
	}
	snprintf(j->identifier, sizeof j->identifier, "%s", identifier);
	return j;
}

void journal_free(struct journal *j)
{
	if (j == NULL)
		return;
	close(j->fd);
	free(j);
}

/* Appends n bytes (not a string: the protocol's values are counted) to
 * buf at *o; false when they do not fit. */
static bool journal_put(char *buf, size_t len, size_t *o, const void *data, size_t n)
{
	if (*o + n > len)
		return false;
	memcpy(buf + *o, data, n);
	*o += n;
	return true;
}

/* Appends one field to buf at *o; false when it does not fit. */
static bool journal_field(char *buf, size_t len, size_t *o, const char *key, const char *value)
{
	size_t vlen = strlen(value);
	unsigned char size[8];

	if (strchr(value, '\n') == NULL)
		return journal_put(buf, len, o, key, strlen(key)) &&
		       journal_put(buf, len, o, "=", 1) && journal_put(buf, len, o, value, vlen) &&
		       journal_put(buf, len, o, "\n", 1);
	for (int i = 0; i < 8; i++)
		size[i] = (unsigned char)((uint64_t)vlen >> (8 * i));
	return journal_put(buf, len, o, key, strlen(key)) && journal_put(buf, len, o, "\n", 1) &&
	       journal_put(buf, len, o, size, sizeof size) &&
	       journal_put(buf, len, o, value, vlen) && journal_put(buf, len, o, "\n", 1);
}

int journal_send(struct journal *j, int priority, const char *message, const char *event,
                 const char *pair, const char *run_id)
{
	char buf[JOURNAL_ENTRY_MAX], prio[4];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t o = 0;
	bool ok;

	if (j == NULL)
		return -EBADF;
	snprintf(prio, sizeof prio, "%d", (int)priority);
	memcpy(sa.sun_path, journal_socket_path, sizeof journal_socket_path);
	ok = journal_field(buf, sizeof buf, &o, "PRIORITY", prio) &&
	     journal_field(buf, sizeof buf, &o, "SYSLOG_IDENTIFIER", j->identifier) &&
	     journal_field(buf, sizeof buf, &o, "MERGEWATCH_EVENT", event != NULL ? event : "") &&
	     (pair == NULL || journal_field(buf, sizeof buf, &o, "MERGEWATCH_PAIR", pair)) &&
	     (run_id == NULL || journal_field(buf, sizeof buf, &o, "MERGEWATCH_RUN_ID", run_id)) &&
	     journal_field(buf, sizeof buf, &o, "MESSAGE", message);
	if (!ok)
		return -EMSGSIZE;
	if (sendto(j->fd, buf, o, MSG_NOSIGNAL, (const struct sockaddr *)&sa, sizeof sa) < 0)
		return -errno;
	return 0;
}

int sd_notify_send(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	socklen_t salen;
	size_t plen;
	int fd, rc = 0;

	if (path == NULL || path[0] == '\0')
		return 1;
	plen = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || plen >= sizeof sa.sun_path)
		return -EINVAL;
	memcpy(sa.sun_path, path, plen);
	if (path[0] == '@')
		sa.sun_path[0] = '\0'; /* abstract namespace */
	salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (sendto(fd, state, strlen(state), MSG_NOSIGNAL, (const struct sockaddr *)&sa, salen) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

uint64_t sd_watchdog_ms(void)
{
	const char *usec = getenv("WATCHDOG_USEC"), *pid = getenv("WATCHDOG_PID");
	unsigned long long v;
	char *end;

	if (usec == NULL)
		return 0;
	if (pid != NULL && strtol(pid, &end, 10) != (long)getpid())
		return 0;
	errno = 0;
	v = strtoull(usec, &end, 10);
	if (errno != 0 || *end != '\0' || v == 0)
		return 0;
	return v / 1000 > 0 ? v / 1000 : 1;
}
