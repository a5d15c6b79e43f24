/* libcurl driven from our poll loop through the multi socket interface: curl
 * tells us (socket callback) which sockets to watch for what, and (timer
 * callback) when to call it back; we poll them with everything else and hand
 * back what became ready. Nothing here waits. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "secret.h"
#include "webhook.h"
#include "webhook_easy.h"

struct webhook_socket {
	curl_socket_t fd;
	short events;
};

struct webhook {
	char *url;
	char host[256];
	long connect_timeout_ms, total_timeout_ms;
	CURLM *multi;
	struct curlapi api; /* libcurl, loaded for this webhook */
	struct curl_slist *headers;
	CURL *easy; /* the post in flight, NULL when none */
	bool done;  /* its result waits in result */
	struct webhook_result result;
	struct webhook_capture cap;
	struct webhook_socket socks[WEBHOOK_MAX_SOCKETS];
	int n_socks;
	bool timer_set;
	uint64_t timer_due_ms;
	uint64_t now_ms; /* the caller's time, for curl's timer callback */
};

static int webhook_find_socket(const struct webhook *w, curl_socket_t fd)
{
	for (int i = 0; i < w->n_socks; i++) {
		if (w->socks[i].fd == fd)
			return i;
	}
	return -1;
}

/* CURLMOPT_SOCKETFUNCTION: curl says what to watch a socket for. */
static int webhook_on_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
	struct webhook *w = userp;
	int i = webhook_find_socket(w, fd);
	short events = 0;

	(void)easy;
	(void)socketp;
	if (what == CURL_POLL_REMOVE) {
		if (i >= 0)
			w->socks[i] = w->socks[--w->n_socks];
		return 0;
	}
	if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
		events |= POLLIN;
	if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
		events |= POLLOUT;
	if (i < 0) {
		if (w->n_socks == WEBHOOK_MAX_SOCKETS)
			return -1; /* curl fails the transfer; never expected */
		i = w->n_socks++;
		w->socks[i].fd = fd;
	}
	w->socks[i].events = events;
	return 0;
}

/* CURLMOPT_TIMERFUNCTION: a single-shot timer, -1 to delete it. */
static int webhook_on_timer(CURLM *multi, long timeout_ms, void *userp)
{
	struct webhook *w = userp;

	(void)multi;
	if (timeout_ms < 0) {
		w->timer_set = false;
		return 0;
	}
	w->timer_set = true;
	w->timer_due_ms = w->now_ms + (uint64_t)timeout_ms;
	return 0;
}

struct webhook *webhook_new(const char *url, uint64_t connect_timeout_ms, uint64_t total_timeout_ms,
                            char *err, size_t errlen)
{
	struct webhook *w;
	char host[256];

	secret_url_host(url, host, sizeof host);
	w = calloc(1, sizeof *w);
	if (w == NULL) {
		snprintf(err, errlen, "webhook to %s: out of memory", host);
		return NULL;
	}
	if (curlapi_open(&w->api, err, errlen) < 0) {
		free(w);
		return NULL;
	}
	snprintf(w->host, sizeof w->host, "%s", host);
	w->connect_timeout_ms =
		connect_timeout_ms > 0 ? (long)connect_timeout_ms : WEBHOOK_CONNECT_TIMEOUT_MS;
	w->total_timeout_ms =
		total_timeout_ms > 0 ? (long)total_timeout_ms : WEBHOOK_TOTAL_TIMEOUT_MS;
	w->url = strdup(url);
	w->headers = webhook_easy_headers(&w->api);
	w->multi = w->api.multi_init();
	if (w->url == NULL || w->headers == NULL || w->multi == NULL ||
	    w->api.multi_setopt(w->multi, CURLMOPT_SOCKETFUNCTION, webhook_on_socket) != CURLM_OK ||
	    w->api.multi_setopt(w->multi, CURLMOPT_SOCKETDATA, w) != CURLM_OK ||
	    w->api.multi_setopt(w->multi, CURLMOPT_TIMERFUNCTION, webhook_on_timer) != CURLM_OK ||
	    w->api.multi_setopt(w->multi, CURLMOPT_TIMERDATA, w) != CURLM_OK) {
		snprintf(err, errlen, "webhook to %s: libcurl setup failed", host);
		webhook_free(w);
		return NULL;
	}
	return w;
}

void webhook_free(struct webhook *w)
{
	if (w == NULL)
		return;
	webhook_cancel(w);
	if (w->multi != NULL)
		w->api.multi_cleanup(w->multi);
	if (w->headers != NULL)
		w->api.slist_free_all(w->headers);
	secret_free(w->url);
	curlapi_close(&w->api);
	free(w);
}

const char *webhook_host(const struct webhook *w)
{
	return w->host;
}

/* Collects the finished transfer, if any. */
static void webhook_check_done(struct webhook *w)
{
	CURLMsg *msg;
	int left;

	while ((msg = w->api.multi_info_read(w->multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE || msg->easy_handle != w->easy)
			continue;
		webhook_easy_result(&w->api, w->easy, msg->data.result, &w->cap, w->host,
		                    &w->result);
		w->api.multi_remove_handle(w->multi, w->easy);
		w->api.easy_cleanup(w->easy);
		w->easy = NULL;
		w->done = true;
		return;
	}
}

int webhook_start(struct webhook *w, const char *body, uint64_t now_ms)
{
	int running;

	if (webhook_busy(w))
		return -EBUSY;
	w->now_ms = now_ms;
	w->easy = webhook_easy_new(&w->api, w->url, body, w->headers, w->connect_timeout_ms,
	                           w->total_timeout_ms, &w->cap);
	if (w->easy == NULL)
		return -ENOMEM;
	if (w->api.multi_add_handle(w->multi, w->easy) != CURLM_OK) {
		w->api.easy_cleanup(w->easy);
		w->easy = NULL;
		return -ENOMEM;
	}
	/* Kick it off now (resolving and connecting do not block) rather than a
	 * loop turn later. */
	w->api.multi_socket_action(w->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	webhook_check_done(w);
	return 0;
}

bool webhook_busy(const struct webhook *w)
{
	return w->easy != NULL || w->done;
}

int webhook_pollfds(const struct webhook *w, struct pollfd *fds, int max)
{
	int n = 0;

	for (int i = 0; i < w->n_socks && n < max; i++) {
		if (w->socks[i].events == 0)
			continue;
		fds[n++] = (struct pollfd){ .fd = w->socks[i].fd, .events = w->socks[i].events };
	}
	return n;
}

int webhook_timeout_ms(const struct webhook *w, uint64_t now_ms)
{
	if (w->done)
		return 0;
	if (!w->timer_set)
		return -1;
	if (w->timer_due_ms <= now_ms)
		return 0;
	if (w->timer_due_ms - now_ms > INT32_MAX)
		return INT32_MAX;
	return (int)(w->timer_due_ms - now_ms);
}

void webhook_perform(struct webhook *w, const struct pollfd *fds, int n, uint64_t now_ms)
{
	int running;

	w->now_ms = now_ms;
	for (int i = 0; i < n; i++) {
		int mask = 0;

		if (fds[i].revents == 0 || webhook_find_socket(w, fds[i].fd) < 0)
			continue;
		/* A hang-up is read as end of file; an error is curl's to read. */
		if ((fds[i].revents & (POLLIN | POLLHUP)) != 0)
			mask |= CURL_CSELECT_IN;
		if ((fds[i].revents & POLLOUT) != 0)
			mask |= CURL_CSELECT_OUT;
		if ((fds[i].revents & (POLLERR | POLLNVAL)) != 0)
			mask |= CURL_CSELECT_ERR;
		w->api.multi_socket_action(w->multi, fds[i].fd, mask, &running);
	}
	if (w->timer_set && w->timer_due_ms <= now_ms) {
		/* Single shot: curl sets a new one if it needs one. */
		w->timer_set = false;
		w->api.multi_socket_action(w->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	}
	webhook_check_done(w);
}

bool webhook_take_result(struct webhook *w, struct webhook_result *out)
{
	if (!w->done)
		return false;
	*out = w->result;
	w->done = false;
	return true;
}

void webhook_cancel(struct webhook *w)
{
	w->done = false;
	if (w->easy == NULL)
		return;
	w->api.multi_remove_handle(w->multi, w->easy);
	w->api.easy_cleanup(w->easy);
	w->easy = NULL;
}

int webhook_post_blocking(const char *url, const char *body, uint64_t connect_timeout_ms,
                          uint64_t total_timeout_ms, struct webhook_result *out)
{
	struct webhook_capture *cap;
	struct curl_slist *headers;
	char host[256];
	CURL *easy;
	CURLcode code;

	struct curlapi api;

	memset(out, 0, sizeof *out);
	secret_url_host(url, host, sizeof host);
	if (curlapi_open(&api, out->error, sizeof out->error) < 0)
		return out->err = -EIO;
	cap = malloc(sizeof *cap);
	headers = webhook_easy_headers(&api);
	easy = cap != NULL && headers != NULL
	               ? webhook_easy_new(&api, url, body, headers,
	                                  connect_timeout_ms > 0 ? (long)connect_timeout_ms
	                                                         : WEBHOOK_CONNECT_TIMEOUT_MS,
	                                  total_timeout_ms > 0 ? (long)total_timeout_ms
	                                                       : WEBHOOK_TOTAL_TIMEOUT_MS,
	                                  cap)
	               : NULL;
	if (easy == NULL) {
		snprintf(out->error, sizeof out->error, "%s: out of memory", host);
		out->err = -ENOMEM;
	} else {
		code = api.easy_perform(easy);
		webhook_easy_result(&api, easy, code, cap, host, out);
		api.easy_cleanup(easy);
	}
	if (headers != NULL)
		api.slist_free_all(headers);
	free(cap);
	curlapi_close(&api);
	return out->err;
}
