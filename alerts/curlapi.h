/* libcurl, loaded only when a webhook is configured. Linked at start, it and
 * the 28 libraries it brings (OpenSSL, GnuTLS, Kerberos, LDAP, SSH...) cost
 * 5.4 MiB of resident memory in every run, webhook or not (measured by
 * make bench); the watchdog should be the smallest process on the machine.
 * The header types still come from <curl/curl.h>. */
#ifndef MW_CURLAPI_H
#define MW_CURLAPI_H

#include <stddef.h>
#include <time.h>

#include <curl/curl.h>

struct curlapi {
	void *lib;
	CURLcode (*global_init)(long flags);
	void (*global_cleanup)(void);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *easy, CURLoption option, ...);
	CURLcode (*easy_getinfo)(CURL *easy, CURLINFO info, ...);
	CURLcode (*easy_perform)(CURL *easy);
	void (*easy_cleanup)(CURL *easy);
	const char *(*easy_strerror)(CURLcode code);
	CURLM *(*multi_init)(void);
	CURLMcode (*multi_setopt)(CURLM *multi, CURLMoption option, ...);
	CURLMcode (*multi_add_handle)(CURLM *multi, CURL *easy);
	CURLMcode (*multi_remove_handle)(CURLM *multi, CURL *easy);
	CURLMcode (*multi_socket_action)(CURLM *multi, curl_socket_t fd, int mask, int *running);
	CURLMsg *(*multi_info_read)(CURLM *multi, int *left);
	CURLMcode (*multi_cleanup)(CURLM *multi);
	struct curl_slist *(*slist_append)(struct curl_slist *list, const char *text);
	void (*slist_free_all)(struct curl_slist *list);
	time_t (*getdate)(const char *text, const time_t *unused);
};

/* Loads libcurl.so.4 and fills api, then calls its global init. Returns 0,
 * or -ENOENT with err saying which library or symbol is missing. */
int curlapi_open(struct curlapi *api, char *err, size_t errlen);

/* Global cleanup and unload; safe on an api that failed to open. */
void curlapi_close(struct curlapi *api);

#endif
