/* One HTTP transfer of a webhook post: the curl easy handle's options, what
 * it collects from the answer, and how it ended. Shared by the loop's posts
 * and the blocking test post (webhook.c); nothing else includes this. */
#ifndef MW_WEBHOOK_EASY_H
#define MW_WEBHOOK_EASY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

#include "curlapi.h"

#include "webhook.h"

/* What one transfer collects besides its status. */
struct webhook_capture {
	const struct curlapi *api;   /* set by webhook_easy_new */
	char body[WEBHOOK_BODY_MAX]; /* the answer's first bytes */
	size_t body_len;
	bool have_retry_after;
	uint64_t retry_after_ms; /* from the Retry-After header */
};

/* The request headers every post sends; the caller frees the list with
 * curl_slist_free_all. NULL on allocation failure. */
struct curl_slist *webhook_easy_headers(const struct curlapi *api);

/* An easy handle posting body (copied) to url: http and https only, no
 * redirects, no signals, no debug output (it would print the URL), the
 * given timeouts; the answer is collected into cap, which must live as long
 * as the handle. headers is borrowed for as long. NULL on failure. */
CURL *webhook_easy_new(const struct curlapi *api, const char *url, const char *body,
                       struct curl_slist *headers, long connect_timeout_ms, long total_timeout_ms,
                       struct webhook_capture *cap);

/* How the transfer on easy ended with code, into out. The message is made
 * from curl's code, the OS error and host only: curl's own error text may
 * quote the URL. A 429's wait comes from Retry-After or from Discord's
 * "retry_after" in the body, whichever is longer. */
void webhook_easy_result(const struct curlapi *api, CURL *easy, CURLcode code,
                         const struct webhook_capture *cap, const char *host,
                         struct webhook_result *out);

#endif
