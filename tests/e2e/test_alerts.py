"""Alerts from the real binary to a real HTTP server on loopback."""
import json
import os
import pathlib
import subprocess
import time

import mwlib
from mwlib import MW, SIM, MiB, Dir, of, one, run, wait_for

SECRET = "T0KEN-s3cr3t-9f8e"


class Sink(mwlib.Sink):
    """The loopback sink, at a URL with the secret in it twice."""

    def __init__(self, d, script=""):
        super().__init__(d.path / "requests.jsonl", script)
        self.url = self.url(f"/hooks/{SECRET}?sig={SECRET}")


def no_secret_anywhere(d, *texts):
    for t in texts:
        assert SECRET not in t
    for root, _, files in os.walk(d.path):
        for f in files:
            if f == "requests.jsonl":
                continue
            assert SECRET not in pathlib.Path(root, f).read_text(errors="replace"), f


def test_kill_and_bloat_reach_the_chat_and_the_url_stays_secret():
    with Dir() as d:
        sink = Sink(d)
        try:
            d.blob("in.bin", 32 * MiB)
            d.write("plan.ini", f"""
[limits]
kill_rss = 400M
bloat_ratio = 6
[alerts]
format = slack
[pair chr07]
command = {SIM} --rate 400M --peak 2G --hold 20s
inputs = in.bin
""")
            rc, ev, err = run(["run", "--headless", str(d.path / "plan.ini")],
                              env={"MERGEWATCH_WEBHOOK_URL": sink.url})
            assert rc == 1, err
            sent = of(ev, "alert_sent")
            kinds = {e["kind"] for e in sent}
            assert {"bloat", "kill"} <= kinds, sent
            bodies = [json.loads(r["body"])["text"] for r in sink.requests()]
            host = os.uname().nodename
            assert any(f"mergewatch@{host}" in b and "chr07" in b and "bloat" in b for b in bodies), bodies
            assert all(e["http_status"] == 200 for e in sent)
            no_secret_anywhere(d, err, json.dumps(ev))
        finally:
            sink.close()


def test_every_format_posts_a_body_its_service_understands():
    for fmt, check in (
        ("slack", lambda b: "text" in b),
        ("mattermost", lambda b: "text" in b),
        ("discord", lambda b: "content" in b and b["allowed_mentions"]["parse"] == []),
        ("teams", lambda b: b["attachments"][0]["content"]["version"] == "1.4"),
        ("generic", lambda b: b["status"] == "firing" and b["alerts"][0]["labels"]["pair"] == "p"),
    ):
        with Dir() as d:
            sink = Sink(d)
            try:
                d.write("plan.ini", f"[alerts]\nformat = {fmt}\n[limits]\nkill_rss = 100M\n"
                        f"[pair p]\ncommand = {SIM} --peak 500M --hold 5s\n")
                rc, ev, _ = run(["run", "--headless", str(d.path / "plan.ini")],
                                env={"MERGEWATCH_WEBHOOK_URL": sink.url})
                assert of(ev, "alert_sent"), (fmt, ev)
                bodies = [json.loads(r["body"]) for r in sink.requests()]
                assert bodies and all(check(b) for b in bodies[:1]), (fmt, bodies)
            finally:
                sink.close()


def test_a_hanging_webhook_never_delays_a_kill():
    with Dir() as d:
        sink = Sink(d, "hang:30,200")
        try:
            d.write("plan.ini", f"""
[limits]
kill_rss = 300M
[pair first]
command = {SIM} --rate 300M --peak 2G --hold 20s
[pair second]
command = sleep 2; exec {SIM} --peak 2G --hold 20s
""")
            t0 = time.monotonic()
            rc, ev, err = run(["run", "--headless", str(d.path / "plan.ini")],
                              env={"MERGEWATCH_WEBHOOK_URL": sink.url}, timeout=120)
            kills = of(ev, "kill")
            assert [k["pair"] for k in kills] == ["first", "second"]
            # both kills near the line while the first post hangs
            assert all(k["rss"] < 300 * MiB * 1.10 for k in kills), kills
            # every alert accounted for: sent after the retry, or reported failed
            offered = of(ev, "alert_sent") + of(ev, "alert_failed")
            assert any(e["kind"] == "kill" for e in offered), offered
            assert any(e.get("attempts", 1) >= 2 for e in of(ev, "alert_sent")), offered
        finally:
            sink.close()


def test_webhook_down_alerts_reported_failed_and_the_run_goes_on():
    with Dir() as d:
        d.write("plan.ini", f"[limits]\nkill_rss = 100M\n[pair p]\ncommand = {SIM} --peak 500M --hold 5s\n")
        t0 = time.monotonic()
        rc, ev, err = run(["run", "--headless", str(d.path / "plan.ini")],
                          env={"MERGEWATCH_WEBHOOK_URL": f"http://127.0.0.1:9/x/{SECRET}"})
        assert rc == 1
        assert one(ev, "kill")["reason"] == "rss"
        failed = of(ev, "alert_failed")
        assert failed and all("error" in e for e in failed)
        assert ev[-1]["event"] in ("run_end", "alert_failed")
        assert time.monotonic() - t0 < 60
        no_secret_anywhere(d, err, json.dumps(ev))


def test_webhook_file_readable_by_others_is_refused():
    with Dir() as d:
        hook = d.write("hook", f"http://127.0.0.1:9/{SECRET}\n")
        os.chmod(hook, 0o644)
        d.write("plan.ini", f"[alerts]\nwebhook_url_file = hook\n[pair p]\ncommand = true\n")
        rc, ev, err = run(["run", "--headless", str(d.path / "plan.ini")])
        assert rc == 2 and "hook" in err and "chmod 600" in err and SECRET not in err, err


def test_check_test_alert_reports_the_status():
    with Dir() as d:
        sink = Sink(d, "404")
        try:
            d.write("plan.ini", "[pair p]\ncommand = true\n")
            env = dict(os.environ, MERGEWATCH_WEBHOOK_URL=sink.url)
            r = subprocess.run([MW, "check", "--test-alert", str(d.path / "plan.ini")],
                               capture_output=True, text=True, env=env)
            assert r.returncode == 1 and "404" in r.stdout + r.stderr, r
            r = subprocess.run([MW, "check", "--test-alert", str(d.path / "plan.ini")],
                               capture_output=True, text=True, env=env)
            assert r.returncode == 0 and "HTTP 200" in r.stdout, r
            assert SECRET not in r.stdout + r.stderr
            assert len(sink.requests()) == 2
        finally:
            sink.close()
