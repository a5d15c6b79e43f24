/* alerts/payload: every format's body, serialised and parsed back as the
 * service would, checked field by field; merging and size limits. */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>

#include "../../alerts/payload.h"
#include "../../core/text.h"
#include "../../logdir/eventjson.h"

#define HOST "vm-merge-1"
#define WALL_MS 1795000000123ULL /* 2026-11-18T11:06:40.123Z */

static json_t *bloat_event(const char *pair)
{
	return json_pack("{s:s, s:s, s:s, s:i, s:I, s:I, s:f}", "ts", "2026-11-21T10:00:00.123Z",
	                 "event", "bloat", "pair", pair, "pid", 4242, "rss",
	                 (json_int_t)60129542144LL, "input_bytes", (json_int_t)9985798963LL,
	                 "ratio", 6.0);
}

/* Builds, serialises and parses back: what the service receives. */
static json_t *round_trip(enum webhook_format fmt, json_t *const *events, size_t n,
                          const char *note, size_t *used)
{
	struct event typed[200];
	const struct event *ptrs[200];

	assert_true(n <= 200);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(eventjson_decode(events[i], &typed[i]), 0);
		ptrs[i] = &typed[i];
	}
	json_t *body = payload_build(fmt, HOST, ptrs, n, note, WALL_MS, used);
	char *text;
	json_t *back;
	json_error_t jerr;

	assert_non_null(body);
	text = json_dumps(body, JSON_COMPACT);
	assert_non_null(text);
	back = json_loads(text, 0, &jerr);
	if (back == NULL)
		fail_msg("body is not JSON: %s", jerr.text);
	free(text);
	json_decref(body);
	return back;
}

static const char *line_of(const json_t *ev, char *buf, size_t len)
{
	struct event typed;

	assert_int_equal(eventjson_decode(ev, &typed), 0);
	return text_event(&typed, HOST, buf, len);
}

static void test_slack_and_mattermost_are_text(void **state)
{
	json_t *ev = bloat_event("chr07");
	enum webhook_format fmts[] = { WEBHOOK_SLACK, WEBHOOK_MATTERMOST };
	char line[512];
	size_t used;

	(void)state;
	json_object_set_new(ev, "rss", json_integer(60129542144LL));
	for (size_t i = 0; i < 2; i++) {
		json_t *body = round_trip(fmts[i], &ev, 1, NULL, &used);

		assert_int_equal(used, 1);
		assert_int_equal(json_object_size(body), 1);
		assert_string_equal(json_string_value(json_object_get(body, "text")),
		                    line_of(ev, line, sizeof line));
		assert_string_equal(json_string_value(json_object_get(body, "text")),
		                    "mergewatch@vm-merge-1: pair chr07 bloat — RSS 56.0 GiB = 6.0× "
		                    "its 9.3 GiB input");
		json_decref(body);
	}
	json_decref(ev);
}

static void test_slack_escapes_markup(void **state)
{
	json_t *ev = bloat_event("<!channel>&co");
	json_t *body;
	size_t used;
	const char *text;

	(void)state;
	body = round_trip(WEBHOOK_SLACK, &ev, 1, NULL, &used);
	text = json_string_value(json_object_get(body, "text"));
	assert_non_null(strstr(text, "pair &lt;!channel&gt;&amp;co bloat"));
	assert_null(strchr(text, '<'));
	json_decref(body);
	/* Mattermost shows it as it is */
	body = round_trip(WEBHOOK_MATTERMOST, &ev, 1, NULL, &used);
	assert_non_null(strstr(json_string_value(json_object_get(body, "text")), "<!channel>&co"));
	json_decref(body);
	json_decref(ev);
}

static void test_discord_content_pings_no_one(void **state)
{
	json_t *ev = bloat_event("@everyone");
	json_t *body, *parse;
	char line[512];
	size_t used;

	(void)state;
	body = round_trip(WEBHOOK_DISCORD, &ev, 1, NULL, &used);
	assert_string_equal(json_string_value(json_object_get(body, "content")),
	                    line_of(ev, line, sizeof line));
	assert_null(json_object_get(body, "text"));
	parse = json_object_get(json_object_get(body, "allowed_mentions"), "parse");
	assert_true(json_is_array(parse));
	assert_int_equal(json_array_size(parse), 0);
	json_decref(body);
	json_decref(ev);
}

static void test_teams_is_one_adaptive_card_1_4(void **state)
{
	json_t *evs[2], *body, *att, *card, *blocks;
	char line[512];
	size_t used;

	(void)state;
	evs[0] = json_pack("{s:s, s:s, s:s, s:i, s:s}", "event", "kill", "pair", "chr07", "reason",
	                   "rss", "pid", 4242, "signal", "SIGKILL");
	evs[1] =
		json_pack("{s:s, s:s, s:s}", "event", "resolved", "kind", "bloat", "pair", "chr08");
	body = round_trip(WEBHOOK_TEAMS, evs, 2, NULL, &used);
	assert_int_equal(used, 2);
	assert_string_equal(json_string_value(json_object_get(body, "type")), "message");
	att = json_object_get(body, "attachments");
	assert_int_equal(json_array_size(att), 1);
	assert_string_equal(
		json_string_value(json_object_get(json_array_get(att, 0), "contentType")),
		"application/vnd.microsoft.card.adaptive");
	card = json_object_get(json_array_get(att, 0), "content");
	assert_string_equal(json_string_value(json_object_get(card, "type")), "AdaptiveCard");
	assert_string_equal(json_string_value(json_object_get(card, "version")), "1.4");
	assert_non_null(
		strstr(json_string_value(json_object_get(card, "$schema")), "adaptive-card"));
	blocks = json_object_get(card, "body");
	assert_int_equal(json_array_size(blocks), 2);
	for (size_t i = 0; i < 2; i++) {
		json_t *b = json_array_get(blocks, i);

		assert_string_equal(json_string_value(json_object_get(b, "type")), "TextBlock");
		assert_true(json_is_true(json_object_get(b, "wrap")));
		assert_string_equal(json_string_value(json_object_get(b, "text")),
		                    line_of(evs[i], line, sizeof line));
	}
	assert_string_equal(json_string_value(json_object_get(json_array_get(blocks, 0), "color")),
	                    "Attention");
	assert_string_equal(json_string_value(json_object_get(json_array_get(blocks, 1), "color")),
	                    "Good");
	/* No MessageCard leftovers */
	assert_null(json_object_get(body, "@type"));
	json_decref(body);
	json_decref(evs[0]);
	json_decref(evs[1]);
}

static void test_generic_is_alertmanager_shaped(void **state)
{
	json_t *ev = bloat_event("chr07"), *body, *alert, *labels, *ann;
	char line[512];
	size_t used;

	(void)state;
	json_object_set_new(ev, "rss", json_integer(60129542144LL));
	body = round_trip(WEBHOOK_GENERIC, &ev, 1, NULL, &used);
	assert_string_equal(json_string_value(json_object_get(body, "version")), "4");
	assert_string_equal(json_string_value(json_object_get(body, "status")), "firing");
	assert_string_equal(json_string_value(json_object_get(body, "receiver")), "mergewatch");
	assert_non_null(json_string_value(json_object_get(body, "groupKey")));
	assert_true(json_is_object(json_object_get(body, "commonLabels")));
	assert_string_equal(json_string_value(json_object_get(body, "host")), HOST);
	assert_string_equal(json_string_value(json_object_get(body, "text")),
	                    line_of(ev, line, sizeof line));
	assert_int_equal(json_array_size(json_object_get(body, "alerts")), 1);
	alert = json_array_get(json_object_get(body, "alerts"), 0);
	assert_string_equal(json_string_value(json_object_get(alert, "status")), "firing");
	labels = json_object_get(alert, "labels");
	assert_string_equal(json_string_value(json_object_get(labels, "alertname")), "bloat");
	assert_string_equal(json_string_value(json_object_get(labels, "pair")), "chr07");
	assert_string_equal(json_string_value(json_object_get(labels, "host")), HOST);
	assert_string_equal(json_string_value(json_object_get(labels, "severity")), "warning");
	ann = json_object_get(alert, "annotations");
	assert_string_equal(json_string_value(json_object_get(ann, "summary")), line);
	/* the event's figures, as strings as Alertmanager's annotations are */
	assert_string_equal(json_string_value(json_object_get(ann, "rss")), "60129542144");
	assert_string_equal(json_string_value(json_object_get(ann, "input_bytes")), "9985798963");
	assert_string_equal(json_string_value(json_object_get(ann, "ratio")), "6");
	assert_string_equal(json_string_value(json_object_get(alert, "startsAt")),
	                    "2026-11-21T10:00:00.123Z");
	assert_string_equal(json_string_value(json_object_get(alert, "endsAt")),
	                    "0001-01-01T00:00:00Z");
	assert_int_equal(strlen(json_string_value(json_object_get(alert, "fingerprint"))), 16);
	json_decref(body);
	json_decref(ev);
}

static void test_generic_resolved_matches_its_alert(void **state)
{
	json_t *fire = bloat_event("chr07");
	json_t *res = json_pack("{s:s, s:s, s:s, s:s}", "ts", "2026-11-21T10:05:00.000Z", "event",
	                        "resolved", "kind", "bloat", "pair", "chr07");
	json_t *b1, *b2, *a1, *a2;
	size_t used;

	(void)state;
	b1 = round_trip(WEBHOOK_GENERIC, &fire, 1, NULL, &used);
	b2 = round_trip(WEBHOOK_GENERIC, &res, 1, NULL, &used);
	assert_string_equal(json_string_value(json_object_get(b2, "status")), "resolved");
	a1 = json_array_get(json_object_get(b1, "alerts"), 0);
	a2 = json_array_get(json_object_get(b2, "alerts"), 0);
	assert_string_equal(json_string_value(json_object_get(a2, "status")), "resolved");
	assert_true(json_equal(json_object_get(a1, "labels"), json_object_get(a2, "labels")));
	assert_string_equal(json_string_value(json_object_get(a1, "fingerprint")),
	                    json_string_value(json_object_get(a2, "fingerprint")));
	assert_string_equal(json_string_value(json_object_get(a2, "endsAt")),
	                    "2026-11-21T10:05:00.000Z");
	json_decref(b1);
	json_decref(b2);
	json_decref(fire);
	json_decref(res);
}

static void test_generic_without_ts_uses_wall_clock(void **state)
{
	json_t *ev = json_pack("{s:s}", "event", "pressure"), *body, *alert;
	size_t used;

	(void)state;
	body = round_trip(WEBHOOK_GENERIC, &ev, 1, NULL, &used);
	alert = json_array_get(json_object_get(body, "alerts"), 0);
	/* 1795000000123 ms since the epoch */
	assert_string_equal(json_string_value(json_object_get(alert, "startsAt")),
	                    "2026-11-18T11:06:40.123Z");
	assert_null(json_object_get(json_object_get(alert, "labels"), "pair"));
	json_decref(body);
	json_decref(ev);
}

static void test_merged_alerts_one_line_each(void **state)
{
	json_t *evs[3], *body;
	char l0[512], l1[512], l2[512], expect[2048];
	size_t used;

	(void)state;
	evs[0] = json_pack("{s:s, s:s, s:s, s:i, s:s}", "event", "kill", "pair", "chr07", "reason",
	                   "rss", "pid", 1, "signal", "SIGKILL");
	evs[1] = bloat_event("chr08");
	evs[2] =
		json_pack("{s:s, s:s, s:s}", "event", "resolved", "kind", "bloat", "pair", "chr09");
	body = round_trip(WEBHOOK_MATTERMOST, evs, 3, "(2 more alerts were dropped)", &used);
	assert_int_equal(used, 3);
	snprintf(expect, sizeof expect, "%s\n%s\n%s\n(2 more alerts were dropped)",
	         line_of(evs[0], l0, sizeof l0), line_of(evs[1], l1, sizeof l1),
	         line_of(evs[2], l2, sizeof l2));
	assert_string_equal(json_string_value(json_object_get(body, "text")), expect);
	json_decref(body);
	body = round_trip(WEBHOOK_GENERIC, evs, 3, "(2 more alerts were dropped)", &used);
	assert_int_equal(json_array_size(json_object_get(body, "alerts")), 3);
	assert_string_equal(json_string_value(json_object_get(body, "status")), "firing");
	assert_string_equal(json_string_value(json_object_get(body, "note")),
	                    "(2 more alerts were dropped)");
	assert_string_equal(
		json_string_value(json_object_get(
			json_object_get(json_array_get(json_object_get(body, "alerts"), 0),
	                                "labels"),
			"severity")),
		"critical");
	json_decref(body);
	for (size_t i = 0; i < 3; i++)
		json_decref(evs[i]);
}

/* Many alerts: as many whole lines as fit each service's limit, the rest
 * left for the next message. */
static void test_limits_are_respected(void **state)
{
	enum webhook_format fmts[] = {
		WEBHOOK_SLACK, WEBHOOK_DISCORD, WEBHOOK_TEAMS, WEBHOOK_MATTERMOST, WEBHOOK_GENERIC,
	};
	const char *fields[] = { "text", "content", NULL, "text", "text" };
	json_t *evs[200];
	char name[16];

	(void)state;
	for (size_t i = 0; i < 200; i++) {
		snprintf(name, sizeof name, "chr%03zu", i);
		evs[i] = bloat_event(name);
	}
	for (size_t f = 0; f < 5; f++) {
		size_t used;
		json_t *body = round_trip(fmts[f], evs, 200, "(note)", &used);
		size_t limit = payload_text_limit(fmts[f]);

		assert_true(used >= 1);
		if (fields[f] != NULL) {
			const char *text = json_string_value(json_object_get(body, fields[f]));

			assert_true(strlen(text) <= limit);
			assert_null(strstr(text, "…")); /* whole lines only */
			assert_non_null(strstr(text, "(note)"));
		}
		if (fmts[f] == WEBHOOK_DISCORD)
			assert_true(used < 200);
		json_decref(body);
	}
	assert_true(payload_text_limit(WEBHOOK_DISCORD) <= 2000);
	for (size_t i = 0; i < 200; i++)
		json_decref(evs[i]);
}

static void test_one_huge_alert_is_cut(void **state)
{
	char pair[3001];
	json_t *ev, *body;
	size_t used;
	const char *text;

	(void)state;
	memset(pair, 'p', sizeof pair - 1);
	pair[sizeof pair - 1] = '\0';
	ev = json_pack("{s:s, s:s, s:s, s:s}", "event", "kill", "pair", pair, "reason", "rss",
	               "signal", "SIGKILL");
	body = round_trip(WEBHOOK_DISCORD, &ev, 1, NULL, &used);
	assert_int_equal(used, 1);
	text = json_string_value(json_object_get(body, "content"));
	assert_true(strlen(text) <= 2000);
	assert_non_null(strstr(text, "…"));
	json_decref(body);
	json_decref(ev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slack_and_mattermost_are_text),
		cmocka_unit_test(test_slack_escapes_markup),
		cmocka_unit_test(test_discord_content_pings_no_one),
		cmocka_unit_test(test_teams_is_one_adaptive_card_1_4),
		cmocka_unit_test(test_generic_is_alertmanager_shaped),
		cmocka_unit_test(test_generic_resolved_matches_its_alert),
		cmocka_unit_test(test_generic_without_ts_uses_wall_clock),
		cmocka_unit_test(test_merged_alerts_one_line_each),
		cmocka_unit_test(test_limits_are_respected),
		cmocka_unit_test(test_one_huge_alert_is_cut),
	};

	return cmocka_run_group_tests_name("webhook payloads", tests, NULL, NULL) == 0 ? 0 : 1;
}
