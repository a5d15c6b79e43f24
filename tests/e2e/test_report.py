"""The run report and the Prometheus textfile on a real run: a pair that
finishes and a pair killed at kill_rss, run with --metrics-file, then
`mergewatch report LOG_DIR`. Skipped (with a message) until main.c knows
`report` and `--metrics-file`."""
import html.parser
import os
import re
import shutil
import subprocess

from mwlib import MW, SIM, MiB, Dir, one, run, start, stop, wait_for

PROMTOOL = shutil.which("promtool") or ("/usr/bin/promtool" if os.path.exists("/usr/bin/promtool") else None)


def _missing():
    """What main.c does not offer yet, or None when both are wired."""
    p = subprocess.run([MW, "--help"], capture_output=True, text=True)
    text = p.stdout + p.stderr
    missing = [w for w in ("report", "--metrics-file") if w not in text]
    return " and ".join(missing) if missing else None


def _skip_unless_wired(name):
    missing = _missing()
    if missing:
        print(f"SKIP {name}: `mergewatch --help` does not mention {missing} yet "
              "(report/ and logdir/metrics.c are not wired into main.c)", flush=True)
        return True
    return False


_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*",?)*\})? (\S+)$')


def check_prom(text):
    """Our own reading of the text exposition format and the naming
    conventions; returns {series: value}."""
    assert text.endswith("\n")
    series, families, help_for, family = {}, [], None, None
    for line in text.splitlines():
        if line.startswith("# HELP "):
            help_for = line.split(" ")[2]
            assert len(line.split(" ", 3)) == 4, line
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            assert name == help_for, f"TYPE without HELP first: {line}"
            assert name.startswith("mergewatch_"), name
            assert name not in families, f"family {name} twice"
            assert kind in ("gauge", "counter"), line
            assert (kind == "counter") == name.endswith("_total"), line
            assert not re.search(r"_(ms|kib|mib|gib|percent)\b", name), name
            families.append(name)
            family = name
            continue
        assert not line.startswith("#"), line
        m = _SAMPLE.match(line)
        assert m, f"not a sample line: {line!r}"
        assert m.group(1) == family, f"sample outside its family {family}: {line}"
        key = m.group(1) + (m.group(2) or "")
        assert key not in series, f"series twice: {key}"
        series[key] = float(m.group(3))
    return series


class _Tags(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def _plan(d):
    d.blob("in/small.bin", 16 * MiB)
    d.blob("in/grow.bin", 32 * MiB)
    d.write("plan.ini", f"""
[run]
log_dir = logs
[limits]
kill_rss = 300M
[pair small]
command = {SIM} --rate 100M --peak 64M --hold 2s
inputs = in/small.bin
[pair grow]
command = {SIM} --rate 200M --peak 2G --hold 20s
inputs = in/grow.bin
""")


def test_report_and_metrics_of_a_run_with_a_kill():
    if _skip_unless_wired("test_report_and_metrics_of_a_run_with_a_kill"):
        return
    with Dir() as d:
        _plan(d)
        prom = d.path / "textfile" / "mergewatch.prom"
        prom.parent.mkdir()
        rc, ev, err = run(["run", "--headless", "--interval", "250ms", "--metrics-file", str(prom),
                           str(d.path / "plan.ini")])
        assert rc == 1, err
        assert one(ev, "pair_end", pair="small")["status"] == "done"
        kill = one(ev, "kill", pair="grow")
        assert kill["reason"] == "rss"
        logs = d.path / "logs"
        samples = (logs / "samples.txt").read_text()
        assert samples.startswith("mergewatch-samples 1\n")

        # the Prometheus textfile, left in its final state
        assert not (prom.parent / "mergewatch.prom.tmp").exists()
        text = prom.read_text()
        s = check_prom(text)
        assert s['mergewatch_pairs{state="done"}'] == 1
        assert s['mergewatch_pairs{state="killed"}'] == 1
        assert s['mergewatch_kills_total{reason="rss"}'] == 1
        assert s['mergewatch_pairs_ended_total{status="killed"}'] == 1
        assert s['mergewatch_pairs_ended_total{status="done"}'] == 1
        assert s["mergewatch_run_finished"] == 1
        assert s['mergewatch_pair_peak_rss_bytes{pair="grow"}'] >= 300 * MiB
        assert s["mergewatch_memory_total_bytes"] > 0
        assert s["mergewatch_last_update_time_seconds"] >= s["mergewatch_run_start_time_seconds"]
        if PROMTOOL:
            p = subprocess.run([PROMTOOL, "check", "metrics"], input=text, capture_output=True, text=True)
            assert p.returncode == 0, p.stdout + p.stderr
        else:
            print("promtool not installed (Debian package prometheus): only our own format checks ran")

        # the report
        p = subprocess.run([MW, "report", str(logs)], capture_output=True, text=True, timeout=60)
        assert p.returncode == 0, p.stderr
        page = (logs / "report.html").read_text()
        assert not (logs / "report.html.tmp").exists()
        parser = _Tags()
        parser.feed(page)
        tags = [t for t, _ in parser.tags]
        assert "script" not in tags and "link" not in tags and "img" not in tags
        # two pairs (RSS, and CPU and progress each), the machine, the bloat bars
        assert tags.count("svg") == 2 * 2 + 2
        assert page.count("kill_rss 300.0 MiB") == 2
        assert page.count('<circle class="d-kill"') == 1
        assert "2 pairs: 1 done, 0 failed, 1 killed, 0 skipped" in page
        assert "\u2265" in page and "(killed)</text>" in page    # the killed pair's lower bound
        # -o writes elsewhere
        out = d.path / "r.html"
        p = subprocess.run([MW, "report", str(logs), "-o", str(out)], capture_output=True, text=True)
        assert p.returncode == 0, p.stderr
        assert out.read_text().count("<svg ") == 6


def test_metrics_file_follows_a_running_pair():
    if _skip_unless_wired("test_metrics_file_follows_a_running_pair"):
        return
    with Dir() as d:
        d.write("plan.ini", f"""
[run]
log_dir = logs
[pair hold]
command = {SIM} --peak 128M --hold 6s
""")
        prom = d.path / "mergewatch.prom"
        proc = start(["run", "--headless", "--metrics-file", str(prom), str(d.path / "plan.ini")])
        try:
            def running_rss():
                try:
                    s = check_prom(prom.read_text())
                except (FileNotFoundError, AssertionError):
                    return None
                return s.get('mergewatch_pair_rss_bytes{pair="hold"}', 0) >= 100 * MiB and s
            s = wait_for(running_rss, timeout=30)
            assert s['mergewatch_pairs{state="running"}'] == 1
            assert s["mergewatch_run_finished"] == 0
            assert proc.wait(timeout=60) == 0
        finally:
            stop(proc)
        s = check_prom(prom.read_text())
        assert 'mergewatch_pair_rss_bytes{pair="hold"}' not in s
        assert s["mergewatch_run_finished"] == 1


def test_report_errors_name_the_file():
    if _skip_unless_wired("test_report_errors_name_the_file"):
        return
    with Dir() as d:
        p = subprocess.run([MW, "report", str(d.path)], capture_output=True, text=True)
        assert p.returncode != 0
        assert f"{d.path}/events.jsonl" in p.stderr, p.stderr
        (d.path / "events.jsonl").write_text(
            '{"ts":"2026-11-21T10:00:00.000Z","event":"run_start","plan":null,"pairs":1}\n'
            'garbage\n'
            '{"ts":"2026-11-21T10:00:01.000Z","event":"run_end","done":1}\n')
        p = subprocess.run([MW, "report", str(d.path)], capture_output=True, text=True)
        assert p.returncode != 0
        assert "events.jsonl:2" in p.stderr, p.stderr
        # a log cut mid-line while being written still makes a page
        (d.path / "events.jsonl").write_text(
            '{"ts":"2026-11-21T10:00:00.000Z","event":"run_start","plan":null,"pairs":1}\n'
            '{"ts":"2026-11-21T10:00:0')
        p = subprocess.run([MW, "report", str(d.path)], capture_output=True, text=True)
        assert p.returncode == 0, p.stderr
        assert (d.path / "report.html").exists()


def test_report_shows_cpu_progress_periods_links_and_readable_markers():
    """The morning after: CPU (a flat line is the deadlock's proof) and
    progress over time per pair, each pair's period on the machine chart,
    links to its log and evidence, and one readable marker where approach,
    kill and end happen together."""
    with Dir() as d:
        d.write("plan.ini",
                "[limits]\nkill_rss = 300M\ndeadlock_window = 6s\non_deadlock = kill\n"
                f"[pair busy]\ncommand = {SIM} --spin 6s --steps 6 --step-time 1s\n"
                f"[pair bloater]\ncommand = {SIM} --rate 200M/s --peak 600M --hold 10s --progress 10\n"
                f"[pair locked]\ncommand = {SIM} --peak 20M --progress 4 --deadlock --threads 2\n")
        rc, _, _ = run(["run", "--headless", str(d.path / "plan.ini")], cwd=d.path)
        assert rc == 1
        logs = d.path / "mergewatch-logs"
        p = subprocess.run([MW, "report", str(logs)], capture_output=True, text=True)
        assert p.returncode == 0, p.stderr
        page = (logs / "report.html").read_text()
        # CPU and progress for each pair that ran.
        for name in ("busy", "bloater", "locked"):
            assert f"pair {name}: CPU and progress over time" in page
        # The spinning pair's CPU line reaches near one core; points are percent.
        busy = page.split("pair busy: CPU and progress over time", 1)[1].split("</svg>")[0]
        assert 's-cpu' in busy and 's-progress' in busy
        # Each pair's period on the machine chart, named.
        machine = page.split("machine memory and swap used over the run", 1)[1].split("</svg>")[0]
        for name in ("busy", "bloater", "locked"):
            assert f"<title>pair {name}:" in machine
        # Links to the files, relative: the page sits beside them.
        assert 'href="locked.log"' in page and 'href="locked.deadlock.txt"' in page
        assert 'href="bloater.log"' in page and 'href="bloater.deadlock.txt"' not in page
        # At the kill: one marker naming all that happened, labels never drawn twice
        # at one spot.
        bloater = page.split("pair bloater: tree RSS over time", 1)[1].split("</svg>")[0]
        labels = re.findall(r'<g class="mk [^"]*"><title>[^<]*</title><line x1="([0-9.]+)"'
                            r'[^>]*/><text x="([0-9.]+)" y="([0-9.]+)"[^>]*>([^<]*)</text>', bloater)
        assert any("kill" in l[3] and "end" in l[3] for l in labels), labels
        spots = [(l[1], l[2]) for l in labels if l[3]]
        assert len(spots) == len(set(spots)), labels
        # Written elsewhere, the links point back into the log directory.
        out = d.path / "elsewhere" / "r.html"
        out.parent.mkdir()
        subprocess.run([MW, "report", str(logs), "-o", str(out)], check=True, capture_output=True)
        assert f'href="file://{os.path.realpath(logs)}/locked.log"' in out.read_text()
