"""Running as a systemd service: journal entries with priorities and
fields, sd_notify READY and WATCHDOG, an example unit systemd 252 accepts,
SIGHUP that keeps a file's events, run_start's identity."""
import json
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import time

from mwlib import MW, SIM, ROOT, Dir, of, one, read_events, run, start, stop, wait_for

HELPER = str(pathlib.Path(__file__).resolve().parent / "helpers" / "fake_journald.py")


def under_fake_journald(args, cwd):
    """Runs mergewatch with standard error on a journal stream, inside a
    private mount namespace whose /run holds the test's journal socket."""
    script = ("mount -t tmpfs tmpfs /run && exec python3 \"$0\" \"$@\"")
    p = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script,
                        HELPER, MW, *args], capture_output=True, text=True, cwd=cwd,
                       timeout=120)
    if p.returncode != 0 and "Operation not permitted" in p.stderr and not p.stdout:
        print(f"SKIP: no private mount namespace here ({p.stderr.strip()})", flush=True)
        return None
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def test_journal_gets_each_event_with_a_priority_and_fields():
    if os.geteuid() != 0:
        return  # the private /run needs root (CI runs as root)
    with Dir() as d:
        out = under_fake_journald(["run", "--headless", "--kill-rss", "100M", "--", SIM,
                                   "--peak", "400M", "--hold", "20s"], d.path)
        if out is None:
            return
        assert out["status"] == 137
        entries = out["entries"]
        by_event = {e["MERGEWATCH_EVENT"]: e for e in entries}
        # One entry per event of the event log, as a sentence people read.
        logged = read_events(d.path / "mergewatch-logs/events.jsonl")
        assert [e["MERGEWATCH_EVENT"] for e in entries] == [e["event"] for e in logged]
        kill = by_event["kill"]
        assert kill["PRIORITY"] == "3"                       # err: journalctl -p err
        assert kill["MERGEWATCH_PAIR"] == "mergewatch-sim"
        assert "killed" in kill["MESSAGE"] and not kill["MESSAGE"].startswith("{")
        assert by_event["approach"]["PRIORITY"] == "4" if "approach" in by_event else True
        assert by_event["pair_start"]["PRIORITY"] == "6"
        assert by_event["run_start"]["PRIORITY"] == "6"
        assert by_event["pair_end"]["PRIORITY"] == "4"       # a killed pair alerts
        # the failure names the job's log, the first thing to read
        log = str(d.path / "mergewatch-logs/mergewatch-sim.log")
        assert by_event["pair_end"]["MESSAGE"].endswith(f"log {log}"), by_event["pair_end"]
        assert one(logged, "pair_end")["log"] == log
        assert all(e["SYSLOG_IDENTIFIER"] == "mergewatch" for e in entries)
        run_id = one(logged, "run_start")["run_id"]
        assert all(e["MERGEWATCH_RUN_ID"] == run_id for e in entries)
        # journalctl -p warning finds the kill.
        assert "kill" in [e["MERGEWATCH_EVENT"] for e in entries if int(e["PRIORITY"]) <= 4]


def test_no_journal_entries_when_stderr_is_not_the_journal():
    if os.geteuid() != 0:
        return
    with Dir() as d:
        script = ("mount -t tmpfs tmpfs /run && JOURNAL_STREAM=1:1 exec python3 \"$0\" \"$@\"")
        # JOURNAL_STREAM set but naming another stream: stderr was redirected.
        p = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c",
                            "mount -t tmpfs tmpfs /run && exec python3 -c '"
                            "import os,socket,subprocess,sys,json;"
                            "os.makedirs(\"/run/systemd/journal\");"
                            "s=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM);"
                            "s.bind(\"/run/systemd/journal/socket\");s.settimeout(1);"
                            "env=dict(os.environ,JOURNAL_STREAM=\"1:1\");"
                            "subprocess.run(sys.argv[1:],env=env,stdout=subprocess.DEVNULL,"
                            "stderr=subprocess.DEVNULL);"
                            "n=0\n"
                            "try:\n s.recv(9999);n=1\n"
                            "except socket.timeout:\n pass\n"
                            "print(n)' \"$@\"", "sh", MW, "run", "--headless", "--", "true"],
                           capture_output=True, text=True, cwd=d.path, timeout=60)
        if p.returncode != 0 and "Operation not permitted" in p.stderr and not p.stdout:
            print(f"SKIP: no private mount namespace here ({p.stderr.strip()})", flush=True)
            return
        assert p.stdout.strip() == "0", p.stdout + p.stderr


def test_sd_notify_ready_and_watchdog_pings():
    with Dir() as d:
        path = str(d.path / "notify")
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        s.bind(path)
        s.settimeout(0.2)
        p = start(["run", "--headless", "--", SIM, "--steps", "3"], cwd=d.path,
                  env={"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "400000"})
        got = []
        try:
            while p.poll() is None or len(got) < 1:
                try:
                    got.append(s.recv(4096).decode())
                except socket.timeout:
                    if p.poll() is not None:
                        break
            p.wait(timeout=30)
        finally:
            stop(p)
        assert got[0] == "READY=1", got
        # 3 s of run with a 0.4 s watchdog: pinged every 0.2 s from the loop.
        assert got.count("WATCHDOG=1") >= 5, got
        assert got[-1] == "STOPPING=1", got


def test_run_start_names_the_run_host_and_version():
    with Dir() as d:
        rc, events, _ = run(["run", "--headless", "--", "true"], cwd=d.path)
        rc2, events2, _ = run(["run", "--headless", "--", "true"], cwd=d.path)
        a, b = one(events, "run_start"), one(events2, "run_start")
        assert len(a["run_id"]) == 32 and int(a["run_id"], 16) >= 0
        assert a["run_id"] != b["run_id"]
        assert a["host"] == socket.gethostname()
        assert a["version"] == (ROOT / "VERSION").read_text().strip()


def test_sighup_keeps_headless_events_going_to_a_file():
    with Dir() as d:
        out = open(d.path / "out.jsonl", "w")
        p = subprocess.Popen([MW, "run", "--headless", "--", SIM, "--steps", "3"],
                             stdout=out, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
                             cwd=d.path)
        try:
            wait_for(lambda: b"pair_start" in (d.path / "out.jsonl").read_bytes())
            p.send_signal(signal.SIGHUP)
            p.wait(timeout=30)
        finally:
            stop(p)
            out.close()
        names = [json.loads(l)["event"] for l in (d.path / "out.jsonl").read_text().splitlines()]
        assert "pair_end" in names and names[-1] == "run_end", names


def test_example_unit_passes_systemd_analyze_verify():
    if shutil.which("systemd-analyze") is None:
        return  # make test installs systemd's tools where that is safe
    with Dir() as d:
        unit = (ROOT / "examples/mergewatch-run@.service").read_text()
        assert not any(l.startswith("DelegateSubgroup") for l in unit.splitlines())
        # The unit names the installed binary; verify wants it executable.
        (d.path / "mergewatch-run@x.service").write_text(
            unit.replace("/usr/local/bin/mergewatch", MW))
        man = d.path / "man" / "man1"
        man.mkdir(parents=True)
        shutil.copy(ROOT / "docs/mergewatch.1", man / "mergewatch.1")
        env = dict(os.environ, MANPATH=str(d.path / "man"))
        args = ["systemd-analyze", "verify"]
        if shutil.which("man") is None:
            args.append("--man=no")
        p = subprocess.run(args + [str(d.path / "mergewatch-run@x.service")],
                           capture_output=True, text=True, env=env, timeout=60)
        assert p.returncode == 0 and p.stderr.strip() == "", p.stderr
