"""Crash anywhere: a plan of several pairs with real checkpoints, outputs,
verify and cleanup; mergewatch SIGKILLed (its pairs too, or not) at every
event boundary, at every replacement of the state file (before and after
the rename), during each cleanup and during each verify; then run again
until the plan completes; all of it with one pair at a time and again
with two at once (jobs = 2: several pairs mid-flight at the crash). After
every crash and every run the invariants of "lose nothing" are checked:

  - the state file always parses;
  - no checkpoint lost a file unless its pair was recorded verified
    (cleaning or done);
  - no pair ever ran on a checkpoint missing files;
  - no output recorded verified is ever rewritten;
  - never two attempts of one pair alive at once (each job holds an flock);
  - at the end every pair is done, its checkpoint gone, its output right,
    and it ended "done" (not resumed) at most once in the event log.

`make test` runs a bounded set of crash points (CRASH_POINTS below);
`make test-crash` runs every crash point with both variants and crashes
the re-runs too:  python3 tests/e2e/test_crash.py --long
"""
import json
import os
import pathlib
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from mwlib import MW, ROOT, Dir, read_events  # noqa: E402

SHIM_SRC = ROOT / "tests/crash/crashshim.c"
N_PAIRS = 4
FILES = 200
STATUSES = {"pending", "started", "exited", "verified", "cleaning", "done", "failed",
            "killed", "skipped"}

JOB = r"""#!/bin/sh
k=$1
exec 9>"locks/$k"
flock -n 9 || { echo "two attempts of pair $k at once" >> violations; exit 1; }
n=$(find ck$k -type f | wc -l)
echo "start $k $n" >> journal
sleep 0.1
echo "$n" > out$k.tmp
mv out$k.tmp out$k
echo "end $k" >> journal
"""


def shim():
    """The crash shim, built once per process."""
    if not hasattr(shim, "path"):
        out = pathlib.Path(tempfile.mkdtemp(prefix="mw-crashshim-")) / "crashshim.so"
        subprocess.run([os.environ.get("CC", "cc"), "-shared", "-fPIC", "-O2", "-o", str(out),
                        str(SHIM_SRC), "-ldl"], check=True)
        shim.path = str(out)
    return shim.path


class Tally:
    def __init__(self):
        self.crash_points = 0
        self.runs = 0
        self.checks = 0
        self.violations = []

    def check(self, ok, what):
        self.checks += 1
        if not ok:
            self.violations.append(what)


def setup(d, jobs):
    d.write("job.sh", JOB)
    (d.path / "locks").mkdir()
    body = f"[run]\njobs = {jobs}\n"
    for k in range(N_PAIRS):
        ck = d.path / f"ck{k}"
        for i in range(FILES):
            sub = ck / f"d{i // 100}"
            sub.mkdir(parents=True, exist_ok=True)
            with open(sub / f"f{i}", "wb") as f:
                f.truncate(1 << 20)  # sparse: a real input size, no bloat
        body += f"""
[pair p{k}]
command = sh job.sh {k}
inputs = ck{k}
output = out{k}
verify = sleep 0.05; test "$(cat out{k})" = {FILES}
cleanup = ck{k}
"""
    d.write("plan.ini", body)
    return str(d.path / "plan.ini")


def pids_under(d):
    """Every process working in the test's directory: pairs, verify,
    cleanup, mergewatch."""
    found = []
    for e in os.listdir("/proc"):
        if e.isdigit():
            try:
                if os.readlink(f"/proc/{e}/cwd").startswith(str(d.path)):
                    found.append(int(e))
            except OSError:
                pass
    return found


def kill_all(d):
    for _ in range(3):
        for pid in pids_under(d):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.02)


def read_state(d):
    return json.loads((d.path / "mergewatch-logs/state").read_text())


class World:
    """What the invariants remember between checks."""

    def __init__(self, d):
        self.d = d
        self.kept = {}  # pair -> (inode, mtime, text) once verified

    def check(self, t, where, final=False):
        d = self.d
        try:
            st = read_state(d) if (d.path / "mergewatch-logs/state").exists() else {"pairs": {}}
            ok = all(e.get("status") in STATUSES for e in st["pairs"].values())
        except (ValueError, KeyError, AttributeError) as e:
            t.check(False, f"{where}: the state does not parse: {e}")
            return
        t.check(ok, f"{where}: the state holds an unknown status: {st}")
        journal = (d.path / "journal").read_text().split("\n") if (d.path / "journal").exists() else []
        for line in journal:
            if line.startswith("start "):
                _, k, n = line.split()
                t.check(int(n) == FILES, f"{where}: pair p{k} ran on {n} of {FILES} files")
        v = d.path / "violations"
        t.check(not v.exists() or v.read_text() == "", f"{where}: {v.read_text() if v.exists() else ''}")
        for k in range(N_PAIRS):
            name = f"p{k}"
            status = st["pairs"].get(name, {}).get("status")
            ck = d.path / f"ck{k}"
            left = sum(len(f) for _, _, f in os.walk(ck)) if ck.exists() else 0
            t.check(left == FILES or status in ("cleaning", "done"),
                    f"{where}: {name}'s checkpoint lost files ({left} left) while {status}")
            out = d.path / f"out{k}"
            if status in ("verified", "cleaning", "done"):
                s = out.stat() if out.exists() else None
                now = (s.st_ino, s.st_mtime_ns, out.read_text()) if s else None
                if name not in self.kept:
                    self.kept[name] = now
                    t.check(now is not None and now[2].strip() == str(FILES),
                            f"{where}: {name} verified with output {now}")
                t.check(self.kept[name] == now,
                        f"{where}: {name}'s output changed after it was verified: "
                        f"{self.kept[name]} -> {now}")
            if final:
                t.check(status == "done", f"{where}: {name} ended {status}")
                t.check(not ck.exists(), f"{where}: {name}'s checkpoint is still there")
        if final:
            ev = read_events(d.path / "mergewatch-logs/events.jsonl")
            for k in range(N_PAIRS):
                done = [e for e in ev if e["event"] == "pair_end" and e["pair"] == f"p{k}"
                        and e["status"] == "done" and not e.get("resumed")]
                t.check(len(done) <= 1, f"{where}: p{k} ended done {len(done)} times")


def run_once(d, plan, env=None, until=None, deadline_s=60):
    """One mergewatch run; with until, SIGKILLed as soon as until() is true.
    Returns its exit status (-9 when crashed)."""
    full = dict(os.environ)
    full.pop("MERGEWATCH_WEBHOOK_URL", None)
    full.update(env or {})
    p = subprocess.Popen([MW, "run", "--headless", "--interval", "200ms", plan],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=full,
                         stdin=subprocess.DEVNULL, cwd=d.path)
    end = time.monotonic() + deadline_s
    try:
        while p.poll() is None and time.monotonic() < end:
            if until is not None and until():
                p.send_signal(signal.SIGKILL)
                break
            time.sleep(0.002 if until else 0.05)
        if p.poll() is None and time.monotonic() >= end:
            p.send_signal(signal.SIGKILL)
        p.communicate(timeout=30)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    return p.returncode


def child_named(d, comm_name, arg=None):
    def found():
        for pid in pids_under(d):
            try:
                if open(f"/proc/{pid}/comm").read().strip() != comm_name:
                    continue
                if arg is None or arg in open(f"/proc/{pid}/cmdline").read():
                    return True
            except OSError:
                pass
        return False
    return found


def state_is(d, pair, status):
    def now():
        try:
            return read_state(d)["pairs"].get(pair, {}).get("status") == status
        except (OSError, ValueError):
            return False
    return now


def scenario(t, jobs, kind, n, pair_too, crash_reruns=False):
    """One crash point: crash, check, run again until done, check."""
    with Dir() as d:
        plan = setup(d, jobs)
        w = World(d)
        env, until = {}, None
        if kind in ("event", "state_before", "state_after"):
            env = {"LD_PRELOAD": shim(),
                   {"event": "MW_CRASH_EVENT_AFTER", "state_before": "MW_CRASH_STATE_BEFORE",
                    "state_after": "MW_CRASH_STATE_AFTER"}[kind]: str(n)}
        elif kind == "cleanup":
            until = child_named(d, "mw-cleanup", f"ck{n}")
        elif kind == "verify":
            until = state_is(d, f"p{n}", "exited")
        where = f"jobs = {jobs}: {kind} {n}{' +pairs' if pair_too else ''}"
        rc = run_once(d, plan, env, until)
        t.runs += 1
        if rc != -signal.SIGKILL:
            return  # the run ended before this point: nothing crashed
        t.crash_points += 1
        if pair_too:
            kill_all(d)
        w.check(t, f"{where}: after the crash (rc {rc})")
        for attempt in range(4):
            env = {}
            if crash_reruns and attempt == 0:
                env = {"LD_PRELOAD": shim(), "MW_CRASH_EVENT_AFTER": str(2 + n % 5)}
            rc = run_once(d, plan, env)
            t.runs += 1
            if rc == -signal.SIGKILL:
                t.crash_points += 1
            w.check(t, f"{where}: after re-run {attempt + 1} (rc {rc})")
            if rc == 0:
                break
        w.check(t, f"{where}: at the end", final=True)
        kill_all(d)


def reference_counts(jobs):
    """Event lines and state writes of a run without a crash."""
    with Dir() as d:
        plan = setup(d, jobs)
        count = d.path / "counts"
        rc = run_once(d, plan, {"LD_PRELOAD": shim(), "MW_CRASH_COUNT": str(count)})
        assert rc == 0, rc
        events, states = (int(x) for x in count.read_text().split())
    return events, states


# The bounded set for `make test`: with one pair at a time every event
# boundary (alternately with and without the pairs), every fourth state
# write before and after its rename, cleanups and verifies of every other
# pair; with two at once every third event boundary, every eighth state
# write and the cleanup and verify of one pair. The long set: every point
# both ways for both, and the first re-run crashed too.
def crash_points(long, jobs):
    events, states = reference_counts(jobs)
    step_event, step_state = (1, 4) if jobs == 1 else (3, 8)
    points = []
    for n in range(1, events + 1):
        if long:
            points += [("event", n, True), ("event", n, False)]
        elif n % step_event == 0 or step_event == 1:
            points += [("event", n, n % 2 == 0)]
    for n in range(1, states + 1):
        if long or n % step_state == 1:
            points += [("state_before", n, n % 2 == 1), ("state_after", n, n % 2 == 0)]
    for k in range(N_PAIRS):
        if long or k % 2 == 0 and (jobs == 1 or k == 2):
            points += [("cleanup", k, False), ("cleanup", k, True),
                       ("verify", k, k % 2 == 0)]
    return points


def crash_anywhere(long):
    t = Tally()
    for jobs in (1, 2):
        for kind, n, pair_too in crash_points(long, jobs):
            scenario(t, jobs, kind, n, pair_too, crash_reruns=long)
    print(f"crash-anywhere: {t.crash_points} crash points, {t.runs} runs, "
          f"{t.checks} invariant checks, {len(t.violations)} violations", flush=True)
    for v in t.violations[:20]:
        print(f"  violation: {v}", flush=True)
    return t


def test_crash_anywhere_loses_nothing():
    t = crash_anywhere(long=False)
    assert not t.violations, t.violations[:10]


if __name__ == "__main__":
    result = crash_anywhere(long="--long" in sys.argv)
    sys.exit(1 if result.violations else 0)
