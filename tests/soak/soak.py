#!/usr/bin/env python3
"""The soak: mergewatch under ASan and UBSan watching a churning tree, with
its dashboard in a private tmux, for a long time.

  soak.py --seconds N [--warmup S] [--every S] [--binary ./mergewatch-asan]
          [--churn build/soak/churn] [--out build/soak] [--rss-slack-kib 1024]

tests/soak/churn (see churn.c) keeps creating and ending processes and
threads under one root; `mergewatch watch ROOT` follows it with the
dashboard at 120x40. Every --every seconds the driver records mergewatch's
VmRSS and open descriptors (build/soak/samples.csv). After --warmup, and
again at the end, it makes the tree quiet (SIGUSR1 to churn: no new
processes or threads, the ones under way end; the idle pool stays), lets
mergewatch sample the quiet tree, and takes the baseline and the final
figures there, so both describe the same tree. Then it quits the dashboard
with q and checks:

  - mergewatch ran to the end and exited 0, with nothing on stderr;
  - no ASan, LeakSanitizer or UBSan report (log_path files are empty);
  - the event log is valid JSON lines, with no deadlock event;
  - open descriptors at the end == at the baseline;
  - VmRSS at the end <= the baseline + --rss-slack-kib.

It prints a summary table and writes it to OUT/summary.txt. Exit status 0
when every check passed, 1 otherwise, 2 when the soak could not run.
Everything it starts (churn, the tmux server, mergewatch) it ends by PID or
by its own socket name."""
import argparse
import csv
import os
import pathlib
import signal
import subprocess
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "e2e"))
from mwlib import Tmux, alive, children, json_lines, status_number  # noqa: E402

# ASan's quarantine holds freed memory back to catch use-after-free; by
# default up to 256 MiB, which would read as RSS growth for most of a 30
# minute run. A small one fills during the warm-up and stays full.
ASAN = ("detect_leaks=1:halt_on_error=1:quarantine_size_mb=4:"
        "thread_local_quarantine_size_kb=64:malloc_context_size=20")
UBSAN = "print_stacktrace=1:halt_on_error=1"


def log(msg):
    print(f"soak: {msg}", flush=True)


def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def churn_busy(pid, pool):
    """True while the churn root has children or threads beyond its pool."""
    try:
        threads = status_number(pid, "Threads")
    except OSError:
        return False
    return bool(children(pid)) or threads > pool + 1


class Soak:
    def __init__(self, args):
        self.a = args
        self.out = pathlib.Path(args.out).resolve()
        self.samples = []
        self.failures = []
        self.churn = None
        self.tmux = None
        self.mw = None
        self.baseline = None
        self.final = None

    def prepare(self):
        self.out.mkdir(parents=True, exist_ok=True)
        for p in self.out.iterdir():
            if p.name.startswith(("asan", "ubsan")) or p.name in (
                    "events.jsonl", "stderr.txt", "rc", "samples.csv", "summary.txt", "screen.txt"):
                p.unlink()

    def start(self):
        a = self.a
        pidfile = self.out / "churn.pid"
        pidfile.unlink(missing_ok=True)
        self.churn = subprocess.Popen([a.churn, "--procs-per-s", str(a.procs_per_s),
                                       "--threads-per-s", str(a.threads_per_s),
                                       "--pool", str(a.pool), "--pidfile", str(pidfile)],
                                      stderr=open(self.out / "churn.txt", "w"))
        deadline = time.monotonic() + 10
        while not pidfile.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        env = {"ASAN_OPTIONS": f"{ASAN}:log_path={self.out}/asan",
               "UBSAN_OPTIONS": f"{UBSAN}:log_path={self.out}/ubsan", "LANG": "C.UTF-8"}
        command = (f"{pathlib.Path(a.binary).resolve()} watch --interval {a.interval} "
                   f"--deadlock-window 30s --log {self.out}/events.jsonl {self.churn.pid} "
                   f"2> {self.out}/stderr.txt; echo $? > {self.out}/rc")
        self.tmux = Tmux(command, 120, 40, env=env, linger=3600, prefix="mw-soak")
        self.mw = self.tmux.program(pathlib.Path(a.binary).name[:15])
        if self.mw is None:
            raise RuntimeError(f"mergewatch did not start; screen:\n{self.tmux.screen()}")
        log(f"mergewatch PID {self.mw} watching churn PID {self.churn.pid}; "
            f"tmux -L {self.tmux.socket} attach to look")

    def sample(self, t0, phase):
        row = {"t_s": round(time.monotonic() - t0, 1), "phase": phase,
               "rss_kib": status_number(self.mw, "VmRSS"), "fds": fd_count(self.mw)}
        self.samples.append(row)
        return row

    def quiet_sample(self, t0, phase):
        """Makes the tree quiet, lets mergewatch sample it, measures, resumes."""
        os.kill(self.churn.pid, signal.SIGUSR1)
        deadline = time.monotonic() + 30
        while churn_busy(self.churn.pid, self.a.pool) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(3 * self.a.interval_s)     # full samples of the quiet tree
        row = self.sample(t0, phase)
        os.kill(self.churn.pid, signal.SIGUSR2)
        return row

    def watch(self):
        a = self.a
        t0 = time.monotonic()
        end = t0 + a.seconds
        warm_end = t0 + a.warmup
        self.baseline = None
        next_at = t0
        while time.monotonic() < end:
            if not alive(self.mw):
                self.failures.append(f"mergewatch exited after {time.monotonic() - t0:.0f} s")
                return
            if self.baseline is None and time.monotonic() >= warm_end:
                self.baseline = self.quiet_sample(t0, "baseline")
                log(f"baseline: RSS {self.baseline['rss_kib']} KiB, {self.baseline['fds']} fds")
            if time.monotonic() >= next_at:
                row = self.sample(t0, "warm-up" if self.baseline is None else "run")
                next_at += a.every
                if len(self.samples) % 6 == 0:
                    log(f"t={row['t_s']:.0f}s RSS {row['rss_kib']} KiB, {row['fds']} fds")
            time.sleep(min(1.0, max(0.05, min(next_at, end) - time.monotonic())))
        self.final = self.quiet_sample(t0, "final")
        screen = self.tmux.screen()
        (self.out / "screen.txt").write_text(screen)
        if "Processes" not in screen:
            self.failures.append("the dashboard was not showing at the end")

    def quit(self):
        os.kill(self.churn.pid, signal.SIGUSR1)   # quiet while it quits
        self.tmux.keys("q")
        time.sleep(0.5)
        self.tmux.keys("y")
        rc_file = self.out / "rc"
        deadline = time.monotonic() + 120         # LeakSanitizer runs at exit
        while not rc_file.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        if not rc_file.exists():
            self.failures.append("mergewatch did not exit after q")
            return None
        time.sleep(0.2)
        return int(rc_file.read_text().strip() or "-1")

    def stop(self):
        if self.tmux is not None:
            self.tmux.close()
        if self.mw is not None and alive(self.mw):
            os.kill(self.mw, signal.SIGKILL)
        if self.churn is not None and self.churn.poll() is None:
            self.churn.send_signal(signal.SIGTERM)
            try:
                self.churn.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.churn.kill()
                self.churn.wait()

    def check(self, rc):
        a = self.a
        if rc is not None and rc != 0:
            self.failures.append(f"mergewatch exited with status {rc}")
        stderr = (self.out / "stderr.txt").read_text(errors="replace") \
            if (self.out / "stderr.txt").exists() else ""
        if stderr.strip():
            self.failures.append(f"mergewatch wrote to stderr: {stderr.strip()[:500]}")
        for p in sorted(self.out.iterdir()):
            if p.name.startswith(("asan", "ubsan")) and p.stat().st_size > 0:
                self.failures.append(f"sanitizer report {p}:\n{p.read_text(errors='replace')[:2000]}")
        events = []
        for line, obj in json_lines((self.out / "events.jsonl").read_bytes()):
            if obj is None:
                self.failures.append(f"events.jsonl has a line that is not JSON: {line[:120]!r}")
            else:
                events.append(obj)
        deadlocks = [e for e in events if e.get("event") == "deadlock"]
        if deadlocks:
            self.failures.append(f"{len(deadlocks)} deadlock event(s): {deadlocks[0]}")
        b, f = self.baseline, self.final
        if b is None or f is None:
            self.failures.append("no baseline or final measurement")
            return events
        if f["fds"] != b["fds"]:
            self.failures.append(f"open descriptors {b['fds']} at the baseline, {f['fds']} at the end")
        if f["rss_kib"] - b["rss_kib"] > a.rss_slack_kib:
            self.failures.append(f"RSS grew {f['rss_kib'] - b['rss_kib']} KiB "
                                 f"(allowed {a.rss_slack_kib} KiB)")
        return events

    def summary(self, rc, events):
        b, f = self.baseline or {}, self.final or {}
        run = [s for s in self.samples if s["phase"] != "warm-up"] or self.samples
        churn_txt = (self.out / "churn.txt").read_text().strip() \
            if (self.out / "churn.txt").exists() else ""
        lines = [
            f"mergewatch soak: {self.a.seconds} s ({self.a.warmup} s warm-up), "
            f"{pathlib.Path(self.a.binary).name} watch --interval {self.a.interval}, "
            f"dashboard 120x40 in tmux",
            f"tree: {churn_txt or 'churn'}",
            "",
            f"{'':22}{'baseline':>12}{'end':>12}{'change':>12}{'min':>12}{'max':>12}",
        ]
        for key, label in (("rss_kib", "VmRSS (KiB)"), ("fds", "open fds")):
            if b and f:
                vals = [s[key] for s in run]
                lines.append(f"{label:22}{b[key]:>12}{f[key]:>12}{f[key] - b[key]:>+12}"
                             f"{min(vals):>12}{max(vals):>12}")
        lines += [
            "",
            f"samples: {len(self.samples)} (every {self.a.every} s; quiet tree at baseline and end)",
            f"events: {len(events)}, deadlock events: "
            f"{sum(1 for e in events if e.get('event') == 'deadlock')}",
            f"exit status: {rc}",
            "verdict: " + ("PASS" if not self.failures else "FAIL"),
        ]
        lines += [f"  - {x}" for x in self.failures]
        text = "\n".join(lines) + "\n"
        (self.out / "summary.txt").write_text(text)
        with open(self.out / "samples.csv", "w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=["t_s", "phase", "rss_kib", "fds"])
            w.writeheader()
            w.writerows(self.samples)
        print(text, end="", flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=int, required=True)
    p.add_argument("--warmup", type=int, default=None)
    p.add_argument("--every", type=float, default=10.0)
    p.add_argument("--interval", default="1s")
    p.add_argument("--binary", default="./mergewatch-asan")
    p.add_argument("--churn", default="build/soak/churn")
    p.add_argument("--out", default="build/soak")
    p.add_argument("--rss-slack-kib", type=int, default=1024)
    p.add_argument("--procs-per-s", type=float, default=50)
    p.add_argument("--threads-per-s", type=float, default=100)
    p.add_argument("--pool", type=int, default=8)
    a = p.parse_args()
    if a.warmup is None:
        a.warmup = max(20, min(120, a.seconds // 4))
    a.interval_s = float(a.interval.rstrip("s")) if a.interval.endswith("s") and \
        not a.interval.endswith("ms") else 1.0
    for path in (a.binary, a.churn):
        if not os.access(path, os.X_OK):
            log(f"{path} is missing (make asan; make {a.churn})")
            return 2
    soak = Soak(a)
    soak.prepare()
    rc = None
    try:
        soak.start()
        soak.watch()
        if alive(soak.mw):
            rc = soak.quit()
    except (OSError, RuntimeError) as e:
        soak.failures.append(f"soak driver: {e}")
    finally:
        soak.stop()
    events = soak.check(rc)
    soak.summary(rc, events)
    return 0 if not soak.failures else 1


if __name__ == "__main__":
    sys.exit(main())
