/* Setting up one webhook transfer and reading how it went. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>

#include "webhook_easy.h"

#ifndef MW_VERSION
#define MW_VERSION "dev"
#endif

enum {
	WEBHOOK_RETRY_AFTER_MAX_MS = 3600 * 1000, /* beyond an hour is nonsense */
};

/* Seconds (possibly decimal) or an HTTP date, as Retry-After may be. */
static bool webhook_easy_retry_after(const struct curlapi *api, const char *value, uint64_t *ms)
{
	char *end;
	double secs = strtod(value, &end);

	while (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n')
		end++;
	if (end != value && *end == '\0' && isfinite(secs) && secs >= 0) {
		*ms = secs < 1e12 ? (uint64_t)(secs * 1000.0 + 0.5) : UINT64_MAX;
	} else {
		time_t when = api->getdate(value, NULL);

		if (when < 0)
			return false;
		/* A date needs the wall clock: the only place this file reads it. */
		*ms = when > time(NULL) ? (uint64_t)(when - time(NULL)) * 1000 : 0;
	}
	if (*ms > WEBHOOK_RETRY_AFTER_MAX_MS)
		*ms = WEBHOOK_RETRY_AFTER_MAX_MS;
	return true;
}

static size_t webhook_easy_on_header(char *data, size_t size, size_t nmemb, void *userp)
{
	struct webhook_capture *cap = userp;
	size_t len = size * nmemb;
	char value[64];

	/* A new status line (after a 100 Continue, say) starts a new answer. */
	if (len >= 5 && strncmp(data, "HTTP/", 5) == 0)
		cap->have_retry_after = false;
	if (len > 12 && strncasecmp(data, "Retry-After:", 12) == 0) {
		size_t n = len - 12;

		if (n >= sizeof value)
			n = sizeof value - 1;
		memcpy(value, data + 12, n);
		value[n] = '\0';
		char *v = value;

		while (*v == ' ' || *v == '\t')
			v++;
		uint64_t ms;

		if (webhook_easy_retry_after(cap->api, v, &ms)) {
			cap->have_retry_after = true;
			cap->retry_after_ms = ms;
		}
	}
	return len;
}

/* Keeps the first WEBHOOK_BODY_MAX bytes of the answer, drops the rest. */
static size_t webhook_easy_on_body(char *data, size_t size, size_t nmemb, void *userp)
{
	struct webhook_capture *cap = userp;
	size_t len = size * nmemb, room = sizeof cap->body - 1 - cap->body_len;
	size_t n = len < room ? len : room;

	memcpy(cap->body + cap->body_len, data, n);
	cap->body_len += n;
	cap->body[cap->body_len] = '\0';
	return len;
}

CURL *webhook_easy_new(const struct curlapi *api, const char *url, const char *body,
                       struct curl_slist *headers, long connect_timeout_ms, long total_timeout_ms,
                       struct webhook_capture *cap)
{
	CURL *easy = api->easy_init();
	CURLcode rc = CURLE_OK;

	if (easy == NULL)
		return NULL;
	cap->api = api;
	memset(cap, 0, sizeof *cap);
	/* Each setopt can fail only for a bad option or no memory; check all. */
	rc |= api->easy_setopt(easy, CURLOPT_URL, url);
	rc |= api->easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
	rc |= api->easy_setopt(easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	rc |= api->easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
	rc |= api->easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	/* libcurl's debug output would print the URL: keep it off. */
	rc |= api->easy_setopt(easy, CURLOPT_VERBOSE, 0L);
	rc |= api->easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, connect_timeout_ms);
	rc |= api->easy_setopt(easy, CURLOPT_TIMEOUT_MS, total_timeout_ms);
	rc |= api->easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
	rc |= api->easy_setopt(easy, CURLOPT_USERAGENT, "mergewatch/" MW_VERSION);
	rc |= api->easy_setopt(easy, CURLOPT_COPYPOSTFIELDS, body);
	rc |= api->easy_setopt(easy, CURLOPT_HEADERFUNCTION, webhook_easy_on_header);
	rc |= api->easy_setopt(easy, CURLOPT_HEADERDATA, cap);
	rc |= api->easy_setopt(easy, CURLOPT_WRITEFUNCTION, webhook_easy_on_body);
	rc |= api->easy_setopt(easy, CURLOPT_WRITEDATA, cap);
	if (rc != CURLE_OK) {
		api->easy_cleanup(easy);
		return NULL;
	}
	return easy;
}

struct curl_slist *webhook_easy_headers(const struct curlapi *api)
{
	struct curl_slist *h = api->slist_append(NULL, "Content-Type: application/json");
	struct curl_slist *h2;

	if (h == NULL)
		return NULL;
	/* No "Expect: 100-continue" round trip before the body. */
	h2 = api->slist_append(h, "Expect:");
	if (h2 == NULL)
		api->slist_free_all(h);
	return h2;
}

static int webhook_easy_errno(CURLcode code, long os_errno)
{
	switch (code) {
	case CURLE_OK:
		return 0;
	case CURLE_COULDNT_CONNECT:
		return os_errno > 0 ? -(int)os_errno : -ECONNREFUSED;
	case CURLE_OPERATION_TIMEDOUT:
		return -ETIMEDOUT;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return -EHOSTUNREACH;
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
		return os_errno > 0 ? -(int)os_errno : -ECONNRESET;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
		return -EPROTO;
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
		return -EINVAL;
	case CURLE_OUT_OF_MEMORY:
		return -ENOMEM;
	default:
		return -EIO;
	}
}

/* Fills out from a finished transfer. Messages are built from curl's code
 * and the OS error only: curl's own error buffer may quote the URL. */
void webhook_easy_result(const struct curlapi *api, CURL *easy, CURLcode code,
                         const struct webhook_capture *cap, const char *host,
                         struct webhook_result *out)
{
	long status = 0, os_errno = 0;

	memset(out, 0, sizeof *out);
	if (code == CURLE_OK) {
		api->easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
		out->http_status = status;
		out->have_retry_after = cap->have_retry_after;
		out->retry_after_ms = cap->retry_after_ms;
		if (status == 429 && cap->body_len > 0) {
			/* Discord says how long to wait in the body, in seconds. */
			json_t *root = json_loadb(cap->body, cap->body_len, 0, NULL);
			json_t *ra = json_object_get(root, "retry_after");

			if (json_is_number(ra) && json_number_value(ra) >= 0 &&
			    json_number_value(ra) < WEBHOOK_RETRY_AFTER_MAX_MS / 1000.0) {
				uint64_t ms = (uint64_t)(json_number_value(ra) * 1000.0 + 0.5);

				if (!out->have_retry_after || ms > out->retry_after_ms)
					out->retry_after_ms = ms;
				out->have_retry_after = true;
			}
			json_decref(root);
		}
		return;
	}
	api->easy_getinfo(easy, CURLINFO_OS_ERRNO, &os_errno);
	out->err = webhook_easy_errno(code, os_errno);
	if (os_errno > 0)
		snprintf(out->error, sizeof out->error, "%s: %s (%s)", host,
		         api->easy_strerror(code), strerror((int)os_errno));
	else
		snprintf(out->error, sizeof out->error, "%s: %s", host, api->easy_strerror(code));
}
