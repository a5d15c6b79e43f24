/* The report page: summary, machine memory, bloat factor, the pairs
 * table, one timeline per pair, the alert list. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "charts.h"
#include "html.h"
#include "lanes.h"
#include "page.h"

static const char page_style[] =
	"body{font:14px/1.45 sans-serif;color:#222;max-width:800px;margin:1.5em auto;padding:0 "
	"1em}\n"
	"h1{font-size:1.5em;margin-bottom:.3em}h2{font-size:1.2em;border-bottom:1px solid #ccc;"
	"margin-top:1.8em}h3{font-size:1em;margin:1.4em 0 .2em}\n"
	"table{border-collapse:collapse;margin:.5em 0}th,td{padding:2px 8px;text-align:left;"
	"border-bottom:1px solid #eee;vertical-align:top}.n{text-align:right;white-space:nowrap}\n"
	"table.facts th{font-weight:normal;color:#555}code{font-size:12px;word-break:break-all}\n"
	"svg{display:block;max-width:100%;height:auto}svg text{font:11px sans-serif;fill:#333}\n"
	".grid{stroke:#e6e6e6}.frame{fill:none;stroke:#999}.axis{fill:#555}\n"
	".s-rss,.s-mem{fill:none;stroke:#1565c0;stroke-width:1.5}"
	".s-swap{fill:none;stroke:#e65100;stroke-width:1.5}\n"
	".l-kill line{stroke:#c62828;stroke-width:1.5;stroke-dasharray:8 4}.l-kill "
	"text{fill:#c62828}\n"
	".l-input line{stroke:#555;stroke-dasharray:2 3}\n"
	".l-total line{stroke:#1565c0;stroke-dasharray:8 4}.l-swaptotal line{stroke:#e65100;"
	"stroke-dasharray:8 4}\n"
	".l-plan line{stroke:#6a1b9a;stroke-dasharray:6 3}.l-plan text{fill:#6a1b9a}\n"
	".d-kill{fill:#c62828;stroke:#fff}.mk line{stroke:currentColor;stroke-dasharray:3 2}.mk "
	"text{fill:currentColor;font-size:10px}\n"
	".k-pair_start{color:#2e7d32}.k-approach{color:#b8860b}.k-bloat{color:#ef6c00}"
	".k-deadlock{color:#6a1b9a}.k-kill{color:#c62828}.k-pair_end{color:#333}"
	".k-resolved{color:#0277bd}.k-pressure{color:#ad1457}\n"
	".b-done{fill:#1565c0}.b-killed{fill:#c62828}.b-failed{fill:#ef6c00}.b-other{fill:#999}\n"
	".st-killed,.st-failed{color:#c62828;font-weight:bold}.st-done{color:#2e7d32}\n"
	".legend span{margin-right:1.2em;white-space:nowrap}.note{color:#555}\n"
	".s-cpu{fill:none;stroke:#2e7d32;stroke-width:1.5}.s-progress{fill:none;stroke:#6a1b9a;"
	"stroke-width:1.5;stroke-dasharray:5 2}\n"
	".band rect{fill:#1565c0;fill-opacity:.05}.band-b rect{fill:#2e7d32}.band rect.lane{"
	"fill-opacity:.6}.band text{font-size:10px;fill:#333}\n"
	".files a{margin-right:1.2em}\n"
	"@media print{body{max-width:none;margin:0}section,svg,tr{break-inside:avoid}"
	"a{color:inherit;text-decoration:none}}\n";

static void page_head(struct strbuf *b, const struct rlog *log)
{
	strbuf_add(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	              "<meta name=\"viewport\" content=\"width=device-width, "
	              "initial-scale=1\">\n<title>");
	strbuf_add(b, "mergewatch report");
	if (log->plan != NULL) {
		strbuf_add(b, ": ");
		html_text(b, log->plan);
	}
	strbuf_add(b, "</title>\n<style>\n");
	strbuf_add(b, page_style);
	strbuf_add(b, "</style>\n</head>\n<body>\n<h1>mergewatch run report</h1>\n");
}

static void page_fact(struct strbuf *b, const char *name)
{
	strbuf_addf(b, "<tr><th>%s</th><td>", name);
}

static void page_summary(struct strbuf *b, const struct rlog *log)
{
	struct rlog_counts c;

	rlog_count(log, &c);
	strbuf_add(b, "<table class=\"facts\">\n");
	page_fact(b, "plan");
	html_text(b, log->plan ? log->plan : "(none: run -- or watch)");
	strbuf_add(b, "</td></tr>\n");
	page_fact(b, "host");
	html_text(b, log->host[0] ? log->host : "unknown");
	if (log->mem_total_bytes > 0) {
		strbuf_add(b, ", ");
		html_size(b, log->mem_total_bytes);
		strbuf_add(b, " memory, ");
		html_size(b, log->swap_total_bytes);
		strbuf_add(b, " swap");
	}
	strbuf_add(b, "</td></tr>\n");
	page_fact(b, "log directory");
	strbuf_add(b, "<code>");
	html_text(b, log->log_dir);
	strbuf_add(b, "</code></td></tr>\n");
	page_fact(b, "started");
	if (log->start_ms > 0)
		html_wall(b, log->start_ms, true);
	strbuf_addf(b, " UTC%s</td></tr>\n",
	            log->runs > 1 ? " (first of the runs in this log)" : "");
	page_fact(b, log->finished ? "ended" : "last seen");
	if (log->end_ms > 0)
		html_wall(b, log->end_ms, true);
	strbuf_add(b, " UTC");
	if (!log->finished)
		strbuf_add(b,
		           " &mdash; no <code>run_end</code> after the last start: still running, "
		           "or mergewatch stopped before the end");
	strbuf_add(b, "</td></tr>\n");
	page_fact(b, "span");
	html_elapsed(b, log->end_ms > log->start_ms ? (uint64_t)(log->end_ms - log->start_ms) : 0);
	strbuf_addf(b, " over %d run%s</td></tr>\n", log->runs, log->runs == 1 ? "" : "s");
	page_fact(b, "outcome");
	strbuf_addf(b, "%zu pair%s: %d done, %d failed, %d killed, %d skipped", log->n_pairs,
	            log->n_pairs == 1 ? "" : "s", c.done, c.failed, c.killed, c.skipped);
	if (c.unfinished > 0)
		strbuf_addf(b, ", %d not finished", c.unfinished);
	strbuf_add(b, "</td></tr>\n");
	page_fact(b, "alerts");
	strbuf_addf(b, "%zu in the log; webhook: %d sent, %d failed</td></tr>\n", log->n_alerts,
	            log->alerts_sent, log->alerts_failed);
	if (log->max_ratio > 0) {
		page_fact(b, "planning ratio");
		strbuf_addf(b,
		            "%.2f&times; &mdash; the highest peak RSS / input of a pair done; "
		            "<code>mergewatch check</code> predicts with it</td></tr>\n",
		            log->max_ratio);
	}
	strbuf_add(b, "</table>\n");
}

static void page_machine(struct strbuf *b, const struct rlog *log)
{
	strbuf_add(
		b,
		"<h2>Machine memory</h2>\n<p class=\"legend\">"
		"<span style=\"color:#1565c0\">&#9473;&#9473; memory used (MemTotal &minus; "
		"MemAvailable)</span><span style=\"color:#e65100\">&#9473;&#9473; swap used</span>"
		"<span style=\"color:#c62828\">&#9482; kills</span>"
		"<span style=\"color:#ad1457\">&#9482; pressure alerts</span></p>\n");
	if (!charts_system(b, log))
		strbuf_add(b, "<p class=\"note\">No samples: this log directory has no samples.txt "
		              "(written by mergewatch runs from this version on).</p>\n");
}

/* Several pairs at once (a run with memory_budget): when each pair ran,
 * and their memory against the budget. */
static void page_lanes(struct strbuf *b, const struct rlog *log)
{
	if (log->memory_budget_bytes == 0)
		return;
	strbuf_add(b, "<h2>Pairs over time</h2>\n<p class=\"legend\">"
	              "<span style=\"color:#1565c0\">&#9632; done</span>"
	              "<span style=\"color:#ef6c00\">&#9632; failed</span>"
	              "<span style=\"color:#c62828\">&#9632; killed</span>"
	              "<span style=\"color:#999\">&#9632; stopped and run again (requeued for the "
	              "budget, or retried)</span></p>\n");
	lanes_chart(b, log);
	strbuf_add(b, "<p class=\"legend\"><span style=\"color:#1565c0\">&#9473;&#9473; the "
	              "pairs' memory, summed</span><span style=\"color:#c62828\">&#9476;&#9476; "
	              "memory_budget</span></p>\n");
	if (!lanes_budget_chart(b, log))
		strbuf_add(b, "<p class=\"note\">No samples of the pairs' memory.</p>\n");
}

static void page_bloat(struct strbuf *b, const struct rlog *log)
{
	bool first = true;

	strbuf_add(b, "<h2>Bloat factor: peak RSS / input size</h2>\n");
	if (!charts_bloat(b, log))
		strbuf_add(b, "<p class=\"note\">No pair has both an input size and a peak.</p>\n");
	for (size_t i = 0; i < log->n_pairs; i++) {
		const struct rlog_pair *p = &log->pairs[i];

		if (p->input_bytes > 0 || p->peak_rss_bytes == 0)
			continue;
		strbuf_add(b, first ? "<p class=\"note\">Without inputs (no ratio): " : ", ");
		html_text(b, p->name);
		first = false;
	}
	if (!first)
		strbuf_add(b, "</p>\n");
	strbuf_add(b, "<p class=\"note\">A killed pair's bar is a lower bound: it was stopped "
	              "before its peak.</p>\n");
}

static void page_status(struct strbuf *b, const struct rlog_pair *p)
{
	const char *status = rlog_status_name(p);
	const char *s = status[0] ? status : "not started";

	strbuf_addf(b, "<span class=\"st-%s\">", status[0] ? status : "none");
	html_text(b, s);
	strbuf_add(b, "</span>");
	if (p->resumed)
		strbuf_add(b, " (earlier run)");
}

static void page_exit(struct strbuf *b, const struct rlog_pair *p)
{
	if (p->signal[0] != '\0')
		html_text(b, p->signal);
	else if (p->exit_code >= 0)
		strbuf_addf(b, "%d", p->exit_code);
}

static void page_table(struct strbuf *b, const struct rlog *log)
{
	strbuf_add(
		b,
		"<h2>Pairs</h2>\n<table>\n<tr><th>pair</th><th>status</th><th>reason</th>"
		"<th class=\"n\">tries</th><th class=\"n\">elapsed</th><th class=\"n\">input</th>"
		"<th class=\"n\">peak RSS</th><th class=\"n\">peak/input</th><th "
		"class=\"n\">kill_rss</th>"
		"<th>exit</th></tr>\n");
	for (size_t i = 0; i < log->n_pairs; i++) {
		const struct rlog_pair *p = &log->pairs[i];

		strbuf_addf(b, "<tr><td><a href=\"#pair-%zu\">", i);
		html_text(b, p->name);
		strbuf_add(b, "</a></td><td>");
		page_status(b, p);
		strbuf_add(b, "</td><td>");
		html_text(b, p->reason);
		strbuf_addf(b, "</td><td class=\"n\">%d</td><td class=\"n\">", p->attempts);
		if (p->elapsed_s > 0)
			html_elapsed(b, (uint64_t)(p->elapsed_s * 1000.0));
		strbuf_add(b, "</td><td class=\"n\">");
		if (p->input_bytes > 0)
			html_size(b, p->input_bytes);
		strbuf_add(b, "</td><td class=\"n\">");
		if (p->peak_rss_bytes > 0)
			html_size(b, p->peak_rss_bytes);
		strbuf_add(b, "</td><td class=\"n\">");
		if (p->input_bytes > 0 && p->peak_rss_bytes > 0)
			strbuf_addf(b, "%.2f&times;",
			            (double)p->peak_rss_bytes / (double)p->input_bytes);
		strbuf_add(b, "</td><td class=\"n\">");
		if (p->kill_rss_bytes != UINT64_MAX)
			html_size(b, p->kill_rss_bytes);
		strbuf_add(b, "</td><td>");
		page_exit(b, p);
		strbuf_add(b, "</td></tr>\n");
	}
	strbuf_add(b, "</table>\n");
}

/* A file name as part of a URL: every byte but the unreserved ones
 * percent-encoded. */
static void page_url_name(struct strbuf *b, const char *name)
{
	for (const unsigned char *c = (const unsigned char *)name; *c != '\0'; c++) {
		if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		    (*c >= '0' && *c <= '9') || *c == '-' || *c == '_' || *c == '.' || *c == '~')
			strbuf_addf(b, "%c", *c);
		else
			strbuf_addf(b, "%%%02X", *c);
	}
}

static void page_link(struct strbuf *b, const char *link_base, const char *name, const char *suffix,
                      const char *text)
{
	strbuf_add(b, "<a href=\"");
	for (const char *c = link_base; *c != '\0'; c++) {
		/* the directory's path: its separators kept, the rest encoded */
		char one[2] = { *c, '\0' };

		if (*c == '/' || *c == ':')
			strbuf_add(b, one);
		else
			page_url_name(b, one);
	}
	page_url_name(b, name);
	strbuf_addf(b, "%s\">%s</a>", suffix, text);
}

/* Links to the pair's output log and its deadlock evidence, the files the
 * morning after starts from. */
static void page_files(struct strbuf *b, const struct rlog_pair *p, const char *link_base)
{
	if (!p->has_log && !p->has_evidence)
		return;
	strbuf_add(b, "<p class=\"files\">");
	if (p->has_log)
		page_link(b, link_base, p->name, ".log", "output log");
	if (p->has_evidence)
		page_link(b, link_base, p->name, ".deadlock.txt", "deadlock evidence (stacks)");
	strbuf_add(b, "</p>\n");
}

static void page_pairs(struct strbuf *b, const struct rlog *log, const char *link_base)
{
	strbuf_add(
		b,
		"<h2>Pair timelines</h2>\n<p class=\"legend\">"
		"<span style=\"color:#1565c0\">&#9473;&#9473; tree RSS (with the highest between "
		"samples)</span><span style=\"color:#c62828\">&#9472; &#9472; kill_rss</span>"
		"<span style=\"color:#555\">&middot;&middot;&middot; input size</span>"
		"<span class=\"k-approach\">&#9482; approach</span><span class=\"k-bloat\">&#9482; "
		"bloat</span>"
		"<span class=\"k-deadlock\">&#9482; deadlock</span><span class=\"k-kill\">&#9482; "
		"kill &#9679; RSS at the kill</span>"
		"</p>\n");
	for (size_t i = 0; i < log->n_pairs; i++) {
		const struct rlog_pair *p = &log->pairs[i];

		strbuf_addf(b, "<section id=\"pair-%zu\">\n<h3>", i);
		html_text(b, p->name);
		strbuf_add(b, " &mdash; ");
		page_status(b, p);
		if (p->reason[0] != '\0') {
			strbuf_add(b, " (");
			html_text(b, p->reason);
			strbuf_add(b, ")");
		}
		if (p->peak_rss_bytes > 0) {
			strbuf_add(b, ", peak ");
			html_size(b, p->peak_rss_bytes);
		}
		strbuf_add(b, "</h3>\n");
		if (p->command != NULL) {
			strbuf_add(b, "<p><code>");
			html_text(b, p->command);
			strbuf_add(b, "</code></p>\n");
		}
		page_files(b, p, link_base);
		if (!charts_pair(b, p))
			strbuf_add(b, "<p class=\"note\">Nothing recorded over time for this "
			              "pair.</p>\n");
		charts_activity(b, p);
		strbuf_add(b, "</section>\n");
	}
}

static void page_alerts(struct strbuf *b, const struct rlog *log)
{
	bool multi_day = log->end_ms - log->start_ms > 20 * 3600 * 1000LL;
	size_t shown = log->n_alerts < PAGE_MAX_ALERTS ? log->n_alerts : PAGE_MAX_ALERTS;

	strbuf_add(b, "<h2>Alerts</h2>\n");
	if (log->n_alerts == 0) {
		strbuf_add(b, "<p class=\"note\">None.</p>\n");
		return;
	}
	strbuf_add(b, "<table>\n<tr><th>time (UTC)</th><th>kind</th><th>what happened</th></tr>\n");
	for (size_t i = 0; i < shown; i++) {
		const struct rlog_alert *a = &log->alerts[i];

		strbuf_add(b, "<tr><td class=\"n\">");
		html_wall(b, a->t_ms, multi_day);
		strbuf_add(b, "</td><td>");
		html_text(b, a->kind);
		strbuf_add(b, "</td><td>");
		html_text(b, a->text);
		strbuf_add(b, "</td></tr>\n");
	}
	strbuf_add(b, "</table>\n");
	if (shown < log->n_alerts)
		strbuf_addf(b, "<p class=\"note\">%zu more in events.jsonl.</p>\n",
		            log->n_alerts - shown);
}

void page_render(struct strbuf *b, const struct rlog *log, const char *link_base)
{
	page_head(b, log);
	page_summary(b, log);
	page_machine(b, log);
	page_lanes(b, log);
	page_bloat(b, log);
	page_table(b, log);
	page_pairs(b, log, link_base);
	page_alerts(b, log);
	strbuf_addf(
		b,
		"<p class=\"note\">Made by <code>mergewatch report</code> from %zu events and "
		"%zu samples. Charts keep the low and the high of every two pixels, so every peak "
		"shows.</p>\n</body>\n</html>\n",
		log->n_events, log->n_samples);
}
