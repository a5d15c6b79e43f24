/* Reading the webhook URL without ever repeating it. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "secret.h"

enum {
	SECRET_MAX_BYTES = 8192, /* far above any real webhook URL */
};

/* Length of the scheme prefix ("http://", "https://") or 0. */
static size_t secret_scheme_len(const char *url)
{
	if (strncasecmp(url, "http://", 7) == 0)
		return 7;
	if (strncasecmp(url, "https://", 8) == 0)
		return 8;
	return 0;
}

char *secret_url_host(const char *url, char *buf, size_t len)
{
	size_t scheme, end, at, start, host_len;

	if (len == 0)
		return buf;
	scheme = url != NULL ? secret_scheme_len(url) : 0;
	if (scheme == 0) {
		const char *p = url != NULL ? strstr(url, "://") : NULL;

		if (p == NULL) {
			snprintf(buf, len, "(no host)");
			return buf;
		}
		scheme = (size_t)(p - url) + 3;
	}
	/* The authority ends at the first '/', '?' or '#'. */
	end = scheme + strcspn(url + scheme, "/?#");
	/* user:password@ comes before the host; the last '@' ends it. */
	start = scheme;
	for (at = scheme; at < end; at++) {
		if (url[at] == '@')
			start = at + 1;
	}
	if (url[start] == '[') {
		const char *close = memchr(url + start, ']', end - start);

		host_len = close != NULL ? (size_t)(close - (url + start)) + 1 : end - start;
	} else {
		const char *colon = memchr(url + start, ':', end - start);

		host_len = colon != NULL ? (size_t)(colon - (url + start)) : end - start;
	}
	if (host_len == 0) {
		snprintf(buf, len, "(no host)");
		return buf;
	}
	snprintf(buf, len, "%.*s", (int)host_len, url + start);
	return buf;
}

int secret_check_url(const char *url, char *err, size_t errlen)
{
	char host[256];

	if (secret_scheme_len(url) == 0) {
		snprintf(err, errlen, "the webhook URL must start with http:// or https://");
		return -EINVAL;
	}
	for (const unsigned char *p = (const unsigned char *)url; *p != '\0'; p++) {
		if (isspace(*p) || iscntrl(*p)) {
			snprintf(err, errlen,
			         "the webhook URL for %s contains blanks or "
			         "control characters",
			         secret_url_host(url, host, sizeof host));
			return -EINVAL;
		}
	}
	secret_url_host(url, host, sizeof host);
	if (strcmp(host, "(no host)") == 0) {
		snprintf(err, errlen, "the webhook URL names no host");
		return -EINVAL;
	}
	return 0;
}

/* Copies text without its leading and trailing whitespace into a new
 * string, or NULL on allocation failure. */
static char *secret_strip(const char *text, size_t len)
{
	char *out;

	while (len > 0 && isspace((unsigned char)*text)) {
		text++;
		len--;
	}
	while (len > 0 && isspace((unsigned char)text[len - 1]))
		len--;
	out = malloc(len + 1);
	if (out == NULL)
		return NULL;
	memcpy(out, text, len);
	out[len] = '\0';
	return out;
}

/* Refuses a file its group or others may read, as ssh does with keys. */
static int secret_check_mode(const char *path, const struct stat *st, char *err, size_t errlen)
{
	const char *who;

	if (!S_ISREG(st->st_mode)) {
		snprintf(err, errlen, "webhook_url_file %s is not a regular file", path);
		return -EINVAL;
	}
	if ((st->st_mode & S_IROTH) != 0)
		who = "others";
	else if ((st->st_mode & S_IRGRP) != 0)
		who = "its group";
	else
		return 0;
	snprintf(err, errlen, "webhook_url_file %s is readable by %s (mode %04o); chmod 600 it",
	         path, who, (unsigned)(st->st_mode & 07777));
	return -EPERM;
}

/* Reads the whole (small) file at path into a stripped string. */
static int secret_read_file(const char *path, char **out, char *err, size_t errlen)
{
	char *buf;
	size_t used = 0;
	struct stat st;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "webhook_url_file %s: %s", path, strerror(errno));
		return rc;
	}
	/* Judge the file that was opened, not whatever the path names now. */
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		snprintf(err, errlen, "webhook_url_file %s: %s", path, strerror(errno));
		close(fd);
		return rc;
	}
	rc = secret_check_mode(path, &st, err, errlen);
	if (rc < 0) {
		close(fd);
		return rc;
	}
	buf = malloc(SECRET_MAX_BYTES + 1);
	if (buf == NULL) {
		close(fd);
		snprintf(err, errlen, "webhook_url_file %s: out of memory", path);
		return -ENOMEM;
	}
	for (;;) {
		ssize_t n = read(fd, buf + used, SECRET_MAX_BYTES + 1 - used);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			snprintf(err, errlen, "webhook_url_file %s: %s", path, strerror(errno));
			break;
		}
		if (n == 0)
			break;
		used += (size_t)n;
		if (used > SECRET_MAX_BYTES) {
			rc = -EINVAL;
			snprintf(err, errlen,
			         "webhook_url_file %s is larger than %d bytes: "
			         "it should hold one URL",
			         path, SECRET_MAX_BYTES);
			break;
		}
	}
	close(fd);
	if (rc == 0) {
		*out = secret_strip(buf, used);
		if (*out == NULL) {
			rc = -ENOMEM;
			snprintf(err, errlen, "webhook_url_file %s: out of memory", path);
		}
	}
	explicit_bzero(buf, SECRET_MAX_BYTES + 1);
	free(buf);
	return rc;
}

int secret_read_url(const char *env_value, const char *url_file, char **url_out, char *err,
                    size_t errlen)
{
	char why[256];
	char *url = NULL;
	bool from_file = false;
	int rc;

	*url_out = NULL;
	if (env_value != NULL && env_value[0] != '\0') {
		url = secret_strip(env_value, strlen(env_value));
		if (url == NULL) {
			snprintf(err, errlen, "MERGEWATCH_WEBHOOK_URL: out of memory");
			return -ENOMEM;
		}
	} else if (url_file != NULL && url_file[0] != '\0') {
		from_file = true;
		rc = secret_read_file(url_file, &url, err, errlen);
		if (rc < 0)
			return rc;
	} else {
		return 0;
	}
	if (url == NULL || url[0] == '\0') {
		if (from_file)
			snprintf(err, errlen, "webhook_url_file %s is empty", url_file);
		else
			snprintf(err, errlen, "MERGEWATCH_WEBHOOK_URL is blank");
		secret_free(url);
		return -EINVAL;
	}
	rc = secret_check_url(url, why, sizeof why);
	if (rc < 0) {
		if (from_file)
			snprintf(err, errlen, "webhook_url_file %s: %s", url_file, why);
		else
			snprintf(err, errlen, "MERGEWATCH_WEBHOOK_URL: %s", why);
		secret_free(url);
		return rc;
	}
	*url_out = url;
	return 0;
}

void secret_free(char *url)
{
	if (url == NULL)
		return;
	explicit_bzero(url, strlen(url));
	free(url);
}
