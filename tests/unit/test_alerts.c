/* alerts: the real module against a loopback HTTP sink (tests/sink/
 * webhook-sink.py) that records requests and answers by script, driven by a
 * poll loop like the runner's: delivery, retries, Retry-After, timeouts
 * without stalling the loop, broken destinations, cooldown, ack, merging,
 * overflow, exit — and the URL's secret parts nowhere in what comes out. */
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>

#include "../../alerts/alerts.h"
#include "../../core/text.h"
#include "../../logdir/eventjson.h"
#include "helpers.h"

#define SECRET "s3cr3t"
#define HOST "vm-merge-1"

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static double wall_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- the sink ---- */

struct sink {
	pid_t pid;
	int port;
	char dir[64];
	char record[128];
};

static void sink_script_path(char *buf, size_t len)
{
	const char *src = getenv("MW_SOURCE_DIR");
	const char *unit;

	if (src != NULL) {
		snprintf(buf, len, "%s/tests/sink/webhook-sink.py", src);
		return;
	}
	/* __FILE__ is tests/unit/test_alerts.c as the Makefile compiles it. */
	snprintf(buf, len, "%s", __FILE__);
	unit = strstr(buf, "unit/test_alerts.c");
	if (unit != NULL)
		snprintf(buf + (unit - buf), len - (size_t)(unit - buf), "sink/webhook-sink.py");
}

static void sink_start(struct sink *s, const char *script)
{
	char path[PATH_MAX], line[32];
	int pipefd[2];
	FILE *f;

	memset(s, 0, sizeof *s);
	assert_int_equal(scratch_make(s->dir, sizeof s->dir, "alerts"), 0);
	snprintf(s->record, sizeof s->record, "%s/requests.jsonl", s->dir);
	sink_script_path(path, sizeof path);
	assert_int_equal(access(path, R_OK), 0);
	assert_int_equal(pipe(pipefd), 0);
	s->pid = fork();
	assert_true(s->pid >= 0);
	if (s->pid == 0) {
		/* Gone with the test, even when it crashes. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		dup2(pipefd[1], STDOUT_FILENO);
		close(pipefd[0]);
		close(pipefd[1]);
		execlp("python3", "python3", path, "--port", "0", "--script", script, "--record",
		       s->record, (char *)NULL);
		_exit(127);
	}
	close(pipefd[1]);
	f = fdopen(pipefd[0], "r");
	assert_non_null(f);
	if (fgets(line, sizeof line, f) == NULL)
		fail_msg("the sink did not start");
	fclose(f);
	s->port = atoi(line);
	assert_true(s->port > 0);
}

static void sink_stop(struct sink *s)
{
	if (s->pid > 0) {
		kill(s->pid, SIGTERM);
		waitpid(s->pid, NULL, 0);
		s->pid = 0;
	}
	if (s->dir[0] != '\0') {
		tree_remove(s->dir);
		s->dir[0] = '\0';
	}
}

/* The requests the sink got so far, oldest first. */
static json_t *sink_requests(const struct sink *s)
{
	json_t *all = json_array();
	FILE *f = fopen(s->record, "r");
	char *line = NULL;
	size_t cap = 0;

	if (f == NULL)
		return all;
	while (getline(&line, &cap, f) > 0) {
		json_t *r = json_loads(line, 0, NULL);

		assert_non_null(r);
		json_array_append_new(all, r);
	}
	free(line);
	fclose(f);
	return all;
}

static size_t sink_count(const struct sink *s)
{
	json_t *r = sink_requests(s);
	size_t n = json_array_size(r);

	json_decref(r);
	return n;
}

/* A port with nothing listening: bound, then closed. */
static int free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
		                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

/* ---- the harness: the module, its events and a loop ---- */

struct harness {
	struct alerts *a;
	json_t *emitted;
	struct sink sink;
	char url[256];
	struct alerts_config cfg;
};

/* Offers a test event written as JSON (as the log would hold it); what is
 * no event is not offered. */
static void offer_json(struct alerts *a, const json_t *obj)
{
	struct event ev;

	if (eventjson_decode(obj, &ev) == 0)
		alerts_offer(a, &ev, mono_ms());
}

/* As the runner does: log the event, and offer it like every other. */
static void on_emit(void *ctx, struct event *ev)
{
	struct harness *h = ctx;

	alerts_offer(h->a, ev, mono_ms());
	json_array_append_new(h->emitted, eventjson_encode(ev, NULL));
}

static void url_for_port(char *buf, size_t len, int port)
{
	/* The secret is in the path and in the query, as Slack's and Teams' are. */
	snprintf(buf, len, "http://127.0.0.1:%d/hooks/T0K3N-" SECRET "/x?sig=sig-" SECRET "&v=1",
	         port);
}

/* Starts the sink with script (NULL: none, the URL points at a closed port)
 * and the module with cfg's format and tuning. */
static struct harness *harness_new(void **state, const char *script,
                                   const struct alerts_config *tune)
{
	struct harness *h = calloc(1, sizeof *h);
	char err[256];

	assert_non_null(h);
	*state = h; /* the teardown frees it, even when a check fails */
	if (tune != NULL)
		h->cfg = *tune;
	if (script != NULL) {
		sink_start(&h->sink, script);
		url_for_port(h->url, sizeof h->url, h->sink.port);
	} else {
		url_for_port(h->url, sizeof h->url, free_port());
	}
	h->cfg.url = h->url;
	h->cfg.host = HOST;
	if (h->cfg.backoff_base_ms == 0)
		h->cfg.backoff_base_ms = 100;
	h->emitted = json_array();
	h->a = alerts_new(&h->cfg, on_emit, h, err, sizeof err);
	if (h->a == NULL)
		fail_msg("alerts_new: %s", err);
	return h;
}

/* Nothing the module said names the URL's secret parts. */
static void assert_no_secret(const struct harness *h)
{
	char *dump = json_dumps(h->emitted, 0);
	const char *broken = alerts_broken(h->a);

	assert_non_null(dump);
	assert_null(strstr(dump, SECRET));
	assert_null(strstr(dump, "/hooks/"));
	free(dump);
	if (broken != NULL) {
		assert_null(strstr(broken, SECRET));
		assert_null(strstr(broken, "/hooks/"));
	}
}

static int harness_teardown(void **state)
{
	struct harness *h = *state;

	if (h == NULL)
		return 0;
	*state = NULL;
	alerts_free(h->a);
	sink_stop(&h->sink);
	json_decref(h->emitted);
	free(h);
	return 0;
}

static size_t count_events(const struct harness *h, const char *name)
{
	size_t n = 0, i;
	json_t *ev;

	json_array_foreach(h->emitted, i, ev)
	{
		if (strcmp(json_string_value(json_object_get(ev, "event")), name) == 0)
			n++;
	}
	return n;
}

static size_t results(const struct harness *h)
{
	return count_events(h, "alert_sent") + count_events(h, "alert_failed");
}

/* The n-th (0-based) emitted event named name, or NULL. */
static json_t *nth_event(const struct harness *h, const char *name, size_t n)
{
	size_t i;
	json_t *ev;

	json_array_foreach(h->emitted, i, ev)
	{
		if (strcmp(json_string_value(json_object_get(ev, "event")), name) == 0 && n-- == 0)
			return ev;
	}
	return NULL;
}

struct loop_stats {
	int ticks;   /* times a 50 ms timer of "the watchdog" fired */
	int max_fds; /* most pollfds the module asked for at once */
};

/* Runs a poll loop like the runner's, with a 50 ms timer of its own beside
 * the module's fds and timeout, until want results were emitted (or, want
 * 0, for limit_ms), failing after limit_ms. */
static struct loop_stats run_loop(struct harness *h, size_t want, uint64_t limit_ms)
{
	struct loop_stats st = { 0, 0 };
	uint64_t now = mono_ms(), end = now + limit_ms, next_tick = now + 50;

	while (want == 0 || results(h) < want) {
		struct pollfd fds[ALERTS_MAX_POLLFDS];
		int n = alerts_pollfds(h->a, fds, ALERTS_MAX_POLLFDS);
		int t = alerts_timeout_ms(h->a, now);
		int wait = (int)(next_tick > now ? next_tick - now : 0);

		if (now >= end) {
			if (want == 0)
				break;
			fail_msg("%zu of %zu results after %llu ms", results(h), want,
			         (unsigned long long)limit_ms);
		}
		if (n > st.max_fds)
			st.max_fds = n;
		if (t >= 0 && t < wait)
			wait = t;
		assert_true(poll(fds, (nfds_t)n, wait) >= 0);
		now = mono_ms();
		if (now >= next_tick) {
			st.ticks++;
			next_tick = now + 50;
		}
		alerts_perform(h->a, fds, n, now);
	}
	return st;
}

static json_t *ev_bloat(const char *pair, double gib)
{
	return json_pack("{s:s, s:s, s:i, s:I, s:I, s:f}", "event", "bloat", "pair", pair, "pid",
	                 4242, "rss", (json_int_t)(gib * 1073741824.0), "input_bytes",
	                 (json_int_t)(9.3 * 1073741824.0), "ratio", gib / 9.3);
}

static void offer(struct harness *h, json_t *ev)
{
	offer_json(h->a, ev);
	json_decref(ev);
}

static void assert_result(const json_t *ev, const char *name, const char *kind, const char *pair,
                          int attempts, long http_status)
{
	assert_non_null(ev);
	assert_string_equal(json_string_value(json_object_get(ev, "event")), name);
	assert_string_equal(json_string_value(json_object_get(ev, "kind")), kind);
	if (pair != NULL)
		assert_string_equal(json_string_value(json_object_get(ev, "pair")), pair);
	assert_int_equal(json_integer_value(json_object_get(ev, "attempts")), attempts);
	if (http_status > 0)
		assert_int_equal(json_integer_value(json_object_get(ev, "http_status")),
		                 http_status);
	else
		assert_null(json_object_get(ev, "http_status"));
}

/* ---- tests ---- */

static void test_200_is_sent_at_once(void **state)
{
	struct harness *h = harness_new(state, "200", NULL);
	json_t *ev = ev_bloat("chr07", 56.0), *reqs, *req, *body;
	char line[512];
	double offered;

	struct event typed;

	assert_int_equal(eventjson_decode(ev, &typed), 0);
	text_event(&typed, HOST, line, sizeof line);
	offered = wall_s();
	alerts_offer(h->a, &typed, mono_ms());
	json_decref(ev);
	assert_false(alerts_idle(h->a));
	assert_int_equal(alerts_timeout_ms(h->a, mono_ms()), 0); /* due now */
	run_loop(h, 1, 5000);
	assert_result(nth_event(h, "alert_sent", 0), "alert_sent", "bloat", "chr07", 1, 200);
	assert_true(alerts_idle(h->a));
	reqs = sink_requests(&h->sink);
	assert_int_equal(json_array_size(reqs), 1);
	req = json_array_get(reqs, 0);
	assert_string_equal(json_string_value(json_object_get(req, "method")), "POST");
	assert_non_null(strstr(json_string_value(json_object_get(req, "path")), SECRET));
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(req, "headers"), "content-type")),
		"application/json");
	assert_non_null(strstr(
		json_string_value(json_object_get(json_object_get(req, "headers"), "user-agent")),
		"mergewatch/"));
	body = json_loads(json_string_value(json_object_get(req, "body")), 0, NULL);
	assert_string_equal(json_string_value(json_object_get(body, "text")), line);
	print_message("latency from alerts_offer to the sink receiving it: %.1f ms\n",
	              (json_real_value(json_object_get(req, "t")) - offered) * 1000.0);
	json_decref(body);
	json_decref(reqs);
	assert_no_secret(h);
}

static void test_500_then_200_is_retried(void **state)
{
	struct harness *h = harness_new(state, "500,200", NULL);
	json_t *reqs;

	offer(h, ev_bloat("chr07", 56.0));
	run_loop(h, 1, 10000);
	assert_int_equal(count_events(h, "alert_failed"), 0);
	assert_result(nth_event(h, "alert_sent", 0), "alert_sent", "bloat", "chr07", 2, 200);
	reqs = sink_requests(&h->sink);
	assert_int_equal(json_array_size(reqs), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(reqs, 0), "body")),
	                    json_string_value(json_object_get(json_array_get(reqs, 1), "body")));
	json_decref(reqs);
	assert_no_secret(h);
}

static double request_gap_s(const struct sink *s, size_t i)
{
	json_t *reqs = sink_requests(s);
	double gap;

	assert_true(json_array_size(reqs) > i + 1);
	gap = json_real_value(json_object_get(json_array_get(reqs, i + 1), "t")) -
	      json_real_value(json_object_get(json_array_get(reqs, i), "t"));
	json_decref(reqs);
	return gap;
}

static void test_429_waits_for_retry_after(void **state)
{
	struct harness *h = harness_new(state, "429:2,200", NULL);

	offer(h, ev_bloat("chr07", 56.0));
	run_loop(h, 1, 10000);
	assert_result(nth_event(h, "alert_sent", 0), "alert_sent", "bloat", "chr07", 2, 200);
	assert_int_equal(sink_count(&h->sink), 2);
	/* The retry honours Retry-After: 2, not the 100 ms backoff. */
	assert_true(request_gap_s(&h->sink, 0) >= 2.0);
	assert_no_secret(h);
}

static void test_discord_retry_after_in_body(void **state)
{
	struct alerts_config tune = { .format = WEBHOOK_DISCORD };
	struct harness *h = harness_new(state, "429b:1.5,204", &tune);

	offer(h, ev_bloat("chr07", 56.0));
	run_loop(h, 1, 10000);
	assert_result(nth_event(h, "alert_sent", 0), "alert_sent", "bloat", "chr07", 2, 204);
	assert_true(request_gap_s(&h->sink, 0) >= 1.5);
	assert_no_secret(h);
}

/* A destination that takes the request and never answers: the post times
 * out and is retried, and all along the loop keeps its rhythm. */
static void test_hang_times_out_while_loop_runs(void **state)
{
	/* the default total timeout, 10 s */
	struct harness *h = harness_new(state, "hang:30,200", NULL);
	struct loop_stats st;

	offer(h, ev_bloat("chr07", 56.0));
	st = run_loop(h, 1, 20000);
	assert_result(nth_event(h, "alert_sent", 0), "alert_sent", "bloat", "chr07", 2, 200);
	assert_int_equal(sink_count(&h->sink), 2);
	/* 10 s in flight, and a 50 ms timer beside it kept firing (about
	 * 200 times; a loop stalled by the post would count a handful). */
	assert_true(st.ticks >= 100);
	assert_true(st.max_fds >= 1);
	assert_no_secret(h);
}

static void test_refused_is_retried_then_fails(void **state)
{
	struct alerts_config tune = { .max_attempts = 3 };
	struct harness *h = harness_new(state, NULL, &tune);
	json_t *ev;
	const char *error;

	offer(h, ev_bloat("chr07", 56.0));
	run_loop(h, 1, 10000);
	assert_int_equal(count_events(h, "alert_sent"), 0);
	ev = nth_event(h, "alert_failed", 0);
	assert_result(ev, "alert_failed", "bloat", "chr07", 3, 0);
	error = json_string_value(json_object_get(ev, "error"));
	assert_non_null(error);
	assert_non_null(strstr(error, "127.0.0.1"));
	assert_non_null(strstr(error, "refused"));
	assert_null(alerts_broken(h->a)); /* may come back */
	assert_no_secret(h);
}

static void test_404_is_final_and_broken(void **state)
{
	struct harness *h = harness_new(state, "404,200", NULL);
	json_t *ev;
	const char *broken;

	offer(h, ev_bloat("chr07", 56.0));
	run_loop(h, 1, 5000);
	ev = nth_event(h, "alert_failed", 0);
	assert_result(ev, "alert_failed", "bloat", "chr07", 1, 404);
	assert_non_null(strstr(json_string_value(json_object_get(ev, "error")), "broken"));
	broken = alerts_broken(h->a);
	assert_non_null(broken);
	assert_non_null(strstr(broken, "127.0.0.1"));
	assert_non_null(strstr(broken, "404"));
	/* not retried */
	run_loop(h, 0, 500);
	assert_int_equal(sink_count(&h->sink), 1);
	assert_true(alerts_idle(h->a));
	/* a later alert still tries, and a success clears the mark */
	offer(h, ev_bloat("chr08", 56.0));
	run_loop(h, 2, 5000);
	assert_result(nth_event(h, "alert_sent", 0), "alert_sent", "bloat", "chr08", 1, 200);
	assert_null(alerts_broken(h->a));
	assert_no_secret(h);
}

static bool body_has(const json_t *req, const char *needle, int times)
{
	const char *body = json_string_value(json_object_get(req, "body"));
	int n = 0;

	for (const char *p = body; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n == times;
}

static void test_cooldown_per_pair_and_kind(void **state)
{
	struct alerts_config tune = { .cooldown_ms = 60000, .format = WEBHOOK_MATTERMOST };
	struct harness *h = harness_new(state, "200", &tune);
	json_t *reqs;

	offer(h, ev_bloat("chr07", 56.0));
	offer(h, ev_bloat("chr07", 60.0)); /* same pair and kind: held back */
	offer(h, ev_bloat("chr08", 57.0));
	offer(h, json_pack("{s:s, s:s, s:I, s:I, s:f}", "event", "approach", "pair", "chr07", "rss",
	                   (json_int_t)41 << 30, "kill_rss", (json_int_t)50 << 30, "eta_s", 30.0));
	run_loop(h, 3, 5000);
	run_loop(h, 0, 300);
	assert_int_equal(count_events(h, "alert_sent"), 3);
	reqs = sink_requests(&h->sink);
	/* offered in one turn: one message */
	assert_int_equal(json_array_size(reqs), 1);
	assert_true(body_has(json_array_get(reqs, 0), "pair chr07 bloat", 1));
	assert_true(body_has(json_array_get(reqs, 0), "56.0 GiB", 1));
	assert_true(body_has(json_array_get(reqs, 0), "60.0 GiB", 0));
	assert_true(body_has(json_array_get(reqs, 0), "pair chr08 bloat", 1));
	assert_true(body_has(json_array_get(reqs, 0), "pair chr07 approaching", 1));
	json_decref(reqs);
	offer(h, ev_bloat("chr07", 61.0));
	assert_true(alerts_idle(h->a));
	assert_no_secret(h);
}

static json_t *ev_resolved(const char *pair, const char *kind)
{
	return json_pack("{s:s, s:s, s:s}", "event", "resolved", "kind", kind, "pair", pair);
}

static void test_resolved_always_sent(void **state)
{
	struct alerts_config tune = { .cooldown_ms = 60000, .min_interval_ms = 50 };
	struct harness *h = harness_new(state, "200", &tune);

	offer(h, ev_bloat("chr07", 56.0));
	run_loop(h, 1, 5000);
	offer(h, ev_resolved("chr07", "bloat"));
	run_loop(h, 2, 5000);
	offer(h, ev_resolved("chr07", "bloat"));
	run_loop(h, 3, 5000);
	assert_result(nth_event(h, "alert_sent", 1), "alert_sent", "bloat_resolved", "chr07", 1,
	              200);
	assert_result(nth_event(h, "alert_sent", 2), "alert_sent", "bloat_resolved", "chr07", 1,
	              200);
	/* a second bloat inside the cooldown is still held back */
	offer(h, ev_bloat("chr07", 56.0));
	assert_true(alerts_idle(h->a));
	assert_int_equal(sink_count(&h->sink), 3);
	assert_no_secret(h);
}

static void test_ack_stops_repeats_until_resolved(void **state)
{
	struct alerts_config tune = { .cooldown_ms = 200, .min_interval_ms = 50 };
	struct harness *h = harness_new(state, "200", &tune);

	assert_int_equal(alerts_ack_latest(h->a), -ENOENT);
	offer(h, ev_bloat("chr07", 56.0));
	run_loop(h, 1, 5000);
	assert_int_equal(alerts_ack_latest(h->a), 0);
	run_loop(h, 0, 300); /* past the cooldown */
	offer(h, ev_bloat("chr07", 58.0));
	assert_true(alerts_idle(h->a));    /* acknowledged: no repeat */
	offer(h, ev_bloat("chr08", 58.0)); /* others are not affected */
	run_loop(h, 2, 5000);
	offer(h, ev_resolved("chr07", "bloat"));
	run_loop(h, 3, 5000);
	run_loop(h, 0, 300);
	offer(h, ev_bloat("chr07", 59.0)); /* resolved, then again: alerts */
	run_loop(h, 4, 5000);
	assert_result(nth_event(h, "alert_sent", 3), "alert_sent", "bloat", "chr07", 1, 200);
	/* a new attempt of the pair ends the acknowledgement too */
	assert_int_equal(alerts_ack_latest(h->a), 0);
	run_loop(h, 0, 300);
	offer(h,
	      json_pack("{s:s, s:s, s:i}", "event", "pair_start", "pair", "chr07", "attempt", 2));
	offer(h, ev_bloat("chr07", 60.0));
	run_loop(h, 5, 5000);
	assert_int_equal(sink_count(&h->sink), 5);
	assert_no_secret(h);
}

static void test_rate_limit_merges_waiting_alerts(void **state)
{
	struct alerts_config tune = { .format = WEBHOOK_GENERIC };
	struct harness *h = harness_new(state, "200", &tune);
	json_t *reqs, *body;

	offer(h, ev_bloat("chr01", 56.0));
	run_loop(h, 1, 5000);
	offer(h, ev_bloat("chr02", 56.0));
	offer(h, ev_bloat("chr03", 56.0));
	offer(h, ev_bloat("chr04", 56.0));
	run_loop(h, 4, 5000);
	reqs = sink_requests(&h->sink);
	assert_int_equal(json_array_size(reqs), 2);
	body = json_loads(json_string_value(json_object_get(json_array_get(reqs, 1), "body")), 0,
	                  NULL);
	assert_int_equal(json_array_size(json_object_get(body, "alerts")), 3);
	/* one message a second at most (the sink's wall clock and our
	 * monotonic milliseconds differ by a rounding or two) */
	assert_true(request_gap_s(&h->sink, 0) >= 0.99);
	json_decref(body);
	json_decref(reqs);
	assert_no_secret(h);
}

static void test_overflow_drops_oldest_low_priority(void **state)
{
	struct alerts_config tune = { .min_interval_ms = 10 };
	struct harness *h = harness_new(state, "200", &tune);
	const int n = 300, dropped = n + 1 - ALERTS_QUEUE_MAX;
	json_t *reqs, *first;
	char pair[16];

	for (int i = 0; i < n; i++) {
		snprintf(pair, sizeof pair, "chr%03d", i);
		offer(h, ev_bloat(pair, 56.0));
		if (i == 10)
			offer(h,
			      json_pack("{s:s, s:s, s:i, s:s, s:s}", "event", "kill", "pair",
			                "chr010", "pid", 7, "reason", "rss", "signal", "SIGKILL"));
	}
	/* the drops are reported at once */
	assert_int_equal(count_events(h, "alert_failed"), dropped);
	for (int i = 0; i < dropped; i++) {
		json_t *ev = nth_event(h, "alert_failed", (size_t)i);

		snprintf(pair, sizeof pair, "chr%03d", i);
		assert_string_equal(json_string_value(json_object_get(ev, "pair")), pair);
		assert_string_equal(json_string_value(json_object_get(ev, "kind")), "bloat");
	}
	run_loop(h, (size_t)n + 1, 20000);
	assert_int_equal(count_events(h, "alert_sent"), ALERTS_QUEUE_MAX);
	reqs = sink_requests(&h->sink);
	first = json_loads(json_string_value(json_object_get(json_array_get(reqs, 0), "body")), 0,
	                   NULL);
	/* the kill goes first; the first message says how many were dropped */
	assert_non_null(strstr(json_string_value(json_object_get(first, "text")),
	                       "mergewatch@" HOST ": pair chr010 killed"));
	assert_ptr_equal(strstr(json_string_value(json_object_get(first, "text")), "mergewatch@"),
	                 json_string_value(json_object_get(first, "text")));
	assert_non_null(strstr(json_string_value(json_object_get(first, "text")),
	                       "45 more alerts were dropped"));
	assert_int_equal(dropped, 45);
	assert_true(json_array_size(reqs) >= ALERTS_QUEUE_MAX / ALERTS_BATCH_MAX);
	json_decref(first);
	json_decref(reqs);
	assert_no_secret(h);
}

static void test_abandon_reports_undelivered(void **state)
{
	struct harness *h = harness_new(state, "hang:30", NULL);
	json_t *ev;

	offer(h, ev_bloat("chr07", 56.0));
	offer(h, json_pack("{s:s, s:s, s:s}", "event", "pair_end", "pair", "chr07", "status",
	                   "killed"));
	while (sink_count(&h->sink) == 0)
		run_loop(h, 0, 100);
	offer(h, ev_bloat("chr08", 56.0)); /* waits behind the hung post */
	alerts_abandon(h->a);
	assert_true(alerts_idle(h->a));
	assert_int_equal(count_events(h, "alert_failed"), 3);
	for (size_t i = 0; i < 3; i++) {
		ev = nth_event(h, "alert_failed", i);
		assert_string_equal(json_string_value(json_object_get(ev, "error")),
		                    "not delivered before exit");
	}
	assert_int_equal(
		json_integer_value(json_object_get(nth_event(h, "alert_failed", 0), "attempts")),
		1);
	assert_int_equal(
		json_integer_value(json_object_get(nth_event(h, "alert_failed", 2), "attempts")),
		0);
	assert_no_secret(h);
}

static void test_every_format_reaches_the_sink(void **state)
{
	static const struct {
		enum webhook_format fmt;
		const char *key;
	} fmts[] = {
		{ WEBHOOK_SLACK, "text" },        { WEBHOOK_DISCORD, "content" },
		{ WEBHOOK_TEAMS, "attachments" }, { WEBHOOK_MATTERMOST, "text" },
		{ WEBHOOK_GENERIC, "alerts" },
	};

	for (size_t i = 0; i < sizeof fmts / sizeof fmts[0]; i++) {
		struct alerts_config tune = { .format = fmts[i].fmt };
		struct harness *h = harness_new(state, "200", &tune);
		json_t *reqs, *body;

		offer(h, json_pack("{s:s, s:s, s:i, s:s, s:s}", "event", "kill", "pair", "chr07",
		                   "pid", 7, "reason", "rss", "signal", "SIGKILL"));
		run_loop(h, 1, 5000);
		assert_int_equal(count_events(h, "alert_sent"), 1);
		reqs = sink_requests(&h->sink);
		body = json_loads(
			json_string_value(json_object_get(json_array_get(reqs, 0), "body")), 0,
			NULL);
		assert_non_null(body);
		assert_non_null(json_object_get(body, fmts[i].key));
		json_decref(body);
		json_decref(reqs);
		assert_no_secret(h);
		harness_teardown(state);
	}
}

static void test_not_alert_worthy_is_ignored(void **state)
{
	struct harness *h = harness_new(state, "200", NULL);
	static const char *const quiet[] = {
		"{\"event\":\"run_start\",\"pairs\":3}",
		"{\"event\":\"pair_start\",\"pair\":\"a\",\"pid\":1}",
		"{\"event\":\"progress\",\"pair\":\"a\",\"done\":1,\"total\":2}",
		"{\"event\":\"pair_end\",\"pair\":\"a\",\"status\":\"done\"}",
		"{\"event\":\"pair_end\",\"pair\":\"a\",\"status\":\"skipped\"}",
		"{\"event\":\"cleanup\",\"pair\":\"a\",\"path\":\"/x\",\"bytes_freed\":1}",
		"{\"event\":\"alert_sent\",\"kind\":\"bloat\",\"attempts\":1}",
		"{\"event\":\"alert_failed\",\"kind\":\"bloat\",\"attempts\":1,\"error\":\"x\"}",
		"{\"no_event\":1}",
		"[1,2]",
	};

	for (size_t i = 0; i < sizeof quiet / sizeof quiet[0]; i++)
		offer(h, json_loads(quiet[i], 0, NULL));
	assert_true(alerts_idle(h->a));
	run_loop(h, 0, 200);
	assert_int_equal(sink_count(&h->sink), 0);
	assert_int_equal(json_array_size(h->emitted), 0);
	assert_no_secret(h);
}

static void test_disabled_posts_nothing(void **state)
{
	struct alerts_config cfg = { .url = NULL, .host = HOST, .cooldown_ms = 1000 };
	json_t *ev = ev_bloat("chr07", 56.0);
	struct pollfd fds[ALERTS_MAX_POLLFDS];
	char err[256];
	struct alerts *a;

	(void)state;
	a = alerts_new(&cfg, NULL, NULL, err, sizeof err);
	assert_non_null(a);
	offer_json(a, ev);
	json_decref(ev);
	assert_true(alerts_idle(a));
	assert_int_equal(alerts_timeout_ms(a, mono_ms()), -1);
	assert_int_equal(alerts_pollfds(a, fds, ALERTS_MAX_POLLFDS), 0);
	alerts_perform(a, fds, 0, mono_ms());
	assert_int_equal(alerts_ack_latest(a), 0);
	assert_null(alerts_broken(a));
	alerts_abandon(a);
	alerts_free(a);
}

static void test_bad_urls_refused_without_echo(void **state)
{
	static const char *const bad[] = {
		"ftp://127.0.0.1/hooks/" SECRET,  "file:///etc/" SECRET,
		"127.0.0.1/hooks/" SECRET,        "http:///" SECRET,
		"http://host/with space/" SECRET,
	};
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct alerts_config cfg = { .url = bad[i], .host = HOST };
		long status = -1;

		err[0] = '\0';
		assert_null(alerts_new(&cfg, NULL, NULL, err, sizeof err));
		assert_true(err[0] != '\0');
		assert_null(strstr(err, SECRET));
		err[0] = '\0';
		assert_int_equal(alerts_send_test(&cfg, &status, err, sizeof err), -EINVAL);
		assert_null(strstr(err, SECRET));
	}
}

static void test_send_test_blocking(void **state)
{
	struct harness *h = harness_new(state, "200,404", NULL);
	struct alerts_config cfg = { .host = HOST, .format = WEBHOOK_SLACK };
	char url[256], err[256];
	long status = 0;
	json_t *reqs, *body;

	cfg.url = h->url;
	err[0] = '\0';
	assert_int_equal(alerts_send_test(&cfg, &status, err, sizeof err), 200);
	assert_int_equal(status, 200);
	reqs = sink_requests(&h->sink);
	body = json_loads(json_string_value(json_object_get(json_array_get(reqs, 0), "body")), 0,
	                  NULL);
	assert_non_null(strstr(json_string_value(json_object_get(body, "text")),
	                       "mergewatch@" HOST ": test alert"));
	json_decref(body);
	json_decref(reqs);
	assert_int_equal(alerts_send_test(&cfg, &status, err, sizeof err), 404);
	assert_non_null(strstr(err, "127.0.0.1 answered HTTP 404"));
	assert_null(strstr(err, SECRET));
	sink_stop(&h->sink);
	/* nothing listening */
	url_for_port(url, sizeof url, free_port());
	cfg.url = url;
	assert_int_equal(alerts_send_test(&cfg, &status, err, sizeof err), -ECONNREFUSED);
	assert_non_null(strstr(err, "127.0.0.1"));
	assert_null(strstr(err, SECRET));
	assert_null(strstr(err, "/hooks/"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_200_is_sent_at_once, harness_teardown),
		cmocka_unit_test_teardown(test_500_then_200_is_retried, harness_teardown),
		cmocka_unit_test_teardown(test_429_waits_for_retry_after, harness_teardown),
		cmocka_unit_test_teardown(test_discord_retry_after_in_body, harness_teardown),
		cmocka_unit_test_teardown(test_hang_times_out_while_loop_runs, harness_teardown),
		cmocka_unit_test_teardown(test_refused_is_retried_then_fails, harness_teardown),
		cmocka_unit_test_teardown(test_404_is_final_and_broken, harness_teardown),
		cmocka_unit_test_teardown(test_cooldown_per_pair_and_kind, harness_teardown),
		cmocka_unit_test_teardown(test_resolved_always_sent, harness_teardown),
		cmocka_unit_test_teardown(test_ack_stops_repeats_until_resolved, harness_teardown),
		cmocka_unit_test_teardown(test_rate_limit_merges_waiting_alerts, harness_teardown),
		cmocka_unit_test_teardown(test_overflow_drops_oldest_low_priority,
		                          harness_teardown),
		cmocka_unit_test_teardown(test_abandon_reports_undelivered, harness_teardown),
		cmocka_unit_test_teardown(test_every_format_reaches_the_sink, harness_teardown),
		cmocka_unit_test_teardown(test_not_alert_worthy_is_ignored, harness_teardown),
		cmocka_unit_test_teardown(test_disabled_posts_nothing, harness_teardown),
		cmocka_unit_test_teardown(test_bad_urls_refused_without_echo, harness_teardown),
		cmocka_unit_test_teardown(test_send_test_blocking, harness_teardown),
	};

	/* Loopback must not go through a proxy from the environment. */
	unsetenv("http_proxy");
	unsetenv("HTTP_PROXY");
	unsetenv("https_proxy");
	unsetenv("HTTPS_PROXY");
	unsetenv("all_proxy");
	unsetenv("ALL_PROXY");
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name("alerts delivery", tests, NULL, NULL) == 0 ? 0 : 1;
}
