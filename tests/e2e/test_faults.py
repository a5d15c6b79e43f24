"""Faults and hostile processes, on the real binary: names and command lines
that try to break parsers, terminals and JSON; a recycled PID; a webhook that
fails; a log directory that fills up or turns read-only; mergewatch killed
mid-pair; thousands of processes and threads coming and going; memory
pressure around the watchdog. docs/faults.md says what each test shows.

Some tests need root (mounts, cgroups, PID namespaces); without it they
return early, saying so. Everything a test creates — processes, mounts,
cgroups, tmux servers — it removes by its own PID or name."""
import functools
import json
import os
import pathlib
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

import mwlib
from mwlib import (MW, ROOT, SIM, MiB, Dir, MemCgroup, Tmux, alive, json_lines, of, one,
                   parse_events, read_events, run, start, status_field, wait_for)

CHURN_SRC = ROOT / "tests/soak/churn.c"
IS_ROOT = os.geteuid() == 0
CAP_SYS_RESOURCE = 24


def skip(why):
    print(f"  skipped: {why}", flush=True)


def have(tool):
    return shutil.which(tool) is not None


def cap_effective(bit):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("CapEff:"):
                return bool(int(line.split()[1], 16) >> bit & 1)
    return False


def assert_every_line_an_event(raw, where):
    bad = [line for line, obj in json_lines(raw)
           if not isinstance(obj, dict) or not isinstance(obj.get("event"), str) or "ts" not in obj]
    assert not bad, f"{where}: lines that are not events (valid JSON with ts and event):\n" + \
        "\n".join(repr(b[:200]) for b in bad)


@functools.lru_cache(maxsize=None)
def churn_binary():
    """tests/soak/churn.c built once per test run, into a directory of its own."""
    out = pathlib.Path(tempfile.mkdtemp(prefix="mw-faults-churn-")) / "churn"
    cc = os.environ.get("CC", "cc")
    subprocess.run([cc, "-std=c11", "-D_GNU_SOURCE", "-O2", "-pthread", "-o", str(out),
                    str(CHURN_SRC)], check=True)
    return str(out)


class Sink(mwlib.Sink):
    """The loopback webhook sink of tests/sink, answering by script."""

    def __init__(self, d, script=""):
        super().__init__(d.path / "requests.jsonl", script)
        self.url = self.url()


class Tmpfs:
    """A small tmpfs of the test's own on a directory of its own."""

    def __init__(self, path, size):
        self.path = pathlib.Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "mw-faults", str(self.path)],
                       check=True)

    def fill(self):
        """Writes until the file system is full."""
        fd = os.open(self.path / "filler", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            while os.write(fd, b"\0" * 4096) > 0:
                pass
        except OSError:
            pass
        finally:
            os.close(fd)

    def free(self):
        (self.path / "filler").unlink(missing_ok=True)

    def close(self):
        if subprocess.run(["umount", str(self.path)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(self.path)], capture_output=True)


def comm_pids(name):
    """PIDs whose /proc/PID/comm is exactly name (names this test made up).
    Read as bytes: other processes' names need not be UTF-8."""
    found = []
    want = name.encode()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if pathlib.Path(f"/proc/{entry}/comm").read_bytes().rstrip(b"\n") == want:
                    found.append(int(entry))
            except OSError:
                pass
    return found


def kill_pids(pids):
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def memory_cgroup_of(pid):
    for line in pathlib.Path(f"/proc/{pid}/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if "memory" in controllers.split(","):
            return pathlib.Path("/sys/fs/cgroup/memory" + path)
    return None


# --------------------------------------------------------------------------
# Hostile processes

HOSTILE_DIR = b'd\xff\xfe\x1b[2J"q\\\n) R 1 ('


def test_hostile_command_lines_and_paths_keep_every_event_valid_json():
    with Dir() as d:
        base = os.fsencode(str(d.path)) + b"/" + HOSTILE_DIR
        os.mkdir(base)
        os.mkdir(base + b"/ck")
        with open(base + b"/ck/part", "wb") as f:
            f.write(b"x" * 4096)
        # quotes, a backslash, an escape sequence, invalid UTF-8 and the
        # stat trap in the command itself (after the shell's comment sign)
        plan = (b"[pair hostile]\n"
                b"command = printf '%s' \"q\\\"uo\\\\te\" > out.bin # \x1b[31m \xff\xfe a) R 1 (b\n"
                b"output = out.bin\ncleanup = ck\n")
        with open(base + b"/plan.ini", "wb") as f:
            f.write(plan)
        env = dict(os.environ)
        env.pop("MERGEWATCH_WEBHOOK_URL", None)
        p = subprocess.run([os.fsencode(MW), b"run", b"--headless", base + b"/plan.ini"],
                           capture_output=True, env=env, timeout=60)
        assert p.returncode == 0, p.stderr
        assert not os.path.exists(base + b"/ck"), "the pair did not run to its cleanup"
        assert_every_line_an_event(p.stdout, "run with a non-UTF-8 plan path")
        ev = [o for _, o in json_lines(p.stdout)]
        names = [e.get("event") for e in ev]
        assert names[0] == "run_start" and "\\xff" in ev[0]["plan"], ev[0]
        command = one(ev, "pair_start", pair="hostile")["command"]
        assert "\\xff\\xfe" in command and "\x1b[31m" in command and 'q\\"uo\\\\te' in command, command
        cleanup = one(ev, "cleanup", pair="hostile")
        assert cleanup["bytes_freed"] == 4096 and "\\xff" in cleanup["path"], cleanup
        # the same run again resumes: the state could be written
        p = subprocess.run([os.fsencode(MW), b"run", b"--headless", base + b"/plan.ini"],
                           capture_output=True, env=env, timeout=60)
        assert p.returncode == 0, p.stderr
        assert_every_line_an_event(p.stdout, "the resumed run")
        end = one([o for _, o in json_lines(p.stdout)], "pair_end", pair="hostile")
        assert end.get("resumed") is True, f"the pair ran again: {end}; stderr: {p.stderr!r}"

        # run -- with the same bytes in its arguments
        p = subprocess.run([os.fsencode(MW), b"run", b"--headless", b"--", b"sh", b"-c", b"exit 0",
                            b"a\nb\"c\\d\x1b[2J\xff\xfe) R 1 ("],
                           capture_output=True, env=env, cwd=str(d.path), timeout=60)
        assert p.returncode == 0, p.stderr
        assert_every_line_an_event(p.stdout, "run -- with hostile arguments")
        command = one([o for _, o in json_lines(p.stdout)], "pair_start")["command"]
        assert "\\xff\\xfe) R 1 (" in command and "a\nb" in command, command


# "a) R 1 (b", a newline and invalid UTF-8: the /proc/PID/stat comm trap,
# a line break for the dashboard and bytes JSON cannot hold as they are.
HOSTILE_NAME = b"a) R 1 (b\n\xff"


def test_hostile_process_names_are_parsed_right_and_shown_escaped():
    with Dir() as d:
        # a parent and its child, both named so, each growing: the child
        # counts only if its stat line was parsed right (its ppid)
        victim = subprocess.Popen([SIM, "--name-hex", HOSTILE_NAME.hex(), "--fork", "1",
                                   "--rate", "40M", "--peak", "2G", "--hold", "30s"],
                                  stderr=subprocess.DEVNULL)
        try:
            kids = wait_for(lambda: open(f"/proc/{victim.pid}/task/{victim.pid}/children").read().split())
            child = int(kids[0])
            with Tmux(f"{MW} watch --kill-rss 400M --log {d.path}/events.jsonl {victim.pid}",
                      120, 40, cwd=d.path) as t:
                s = t.wait_text("a) R 1 (b\\x0a\\xff")
                for pane in ("Memory", "Pairs", "Processes", "Alerts"):
                    assert pane in s, s
                assert s.count("a) R 1 (b\\x0a\\xff") >= 2, s      # parent and child
                kill = wait_for(lambda: of(read_events(d.path / "events.jsonl"), "kill"), timeout=30)[0]
                assert kill["reason"] == "rss" and kill["rss"] < 400 * MiB * 1.10, kill
                victim.wait(timeout=10)
                wait_for(lambda: not alive(child), timeout=10)
                assert_every_line_an_event((d.path / "events.jsonl").read_bytes(), "watch log")
                t.keys("q")
        finally:
            kill_pids([victim.pid])
            victim.wait()


def test_hostile_name_in_the_deadlock_evidence_is_escaped():
    # A name holding a newline must not start a line of its own in the
    # evidence file: it could forge a thread or a process line there.
    with Dir() as d:
        rc, ev, err = run(["run", "--headless", "--interval", "250ms", "--deadlock-window", "1s",
                           "--on-deadlock", "kill", "--", SIM, "--deadlock", "--threads", "2",
                           "--name-hex", HOSTILE_NAME.hex()], cwd=d.path)
        dl = one(ev, "deadlock")
        blocked = dl["blocked_pids"]
        assert len(blocked) == 1 and blocked[0] != dl["pid"], dl      # the sim, under sh
        text = pathlib.Path(dl["capture"]).read_bytes()
        lines = [x for x in text.split(b"\n") if x.startswith(b"process %d " % blocked[0])]
        assert len(lines) == 1, text[:600]
        assert b"a) R 1 (b\\x0a\\xff" in lines[0], lines[0]
        assert lines[0].endswith(b"5 in untimed lock waits"), lines[0]


def test_hostile_host_name_reaches_the_chat_as_valid_json():
    if not IS_ROOT or not have("unshare"):
        return skip("needs root and unshare for a UTS namespace of its own")
    host = b'mw"q\\\x1b[2J\xff\xfe) R 1 (\nz'
    with Dir() as d:
        sink = Sink(d)
        try:
            code = ("import os, socket, sys; socket.sethostname(bytes.fromhex(sys.argv[1]));"
                    " os.execv(sys.argv[2], sys.argv[2:])")
            env = dict(os.environ, MERGEWATCH_WEBHOOK_URL=sink.url)
            p = subprocess.run(["unshare", "--uts", sys.executable, "-c", code, host.hex(), MW,
                                "run", "--headless", "--kill-rss", "100M", "--",
                                SIM, "--peak", "400M", "--hold", "5s"],
                               capture_output=True, env=env, cwd=str(d.path), timeout=60)
            assert_every_line_an_event(p.stdout, "event log")
            ev = [o for _, o in json_lines(p.stdout)]
            assert one(ev, "kill")["reason"] == "rss"
            bodies = [r["body"] for r in sink.requests()]
            for b in bodies:
                json.loads(b)
            sent = {e["kind"] for e in of(ev, "alert_sent")}
            failed = of(ev, "alert_failed")
            assert "kill" in sent, f"the kill alert never reached the chat: {failed}"
        finally:
            sink.close()


# --------------------------------------------------------------------------
# Never the wrong process

# Runs as PID 1 of a PID namespace of its own (unshare --pid --fork
# --mount-proc), where /proc/sys/kernel/ns_last_pid picks the next PID.
# A root with one child; mergewatch samples the tree; the child dies and an
# unrelated process (the bystander) is given its PID; then the tree is
# stopped while mergewatch's last full sample may still list the old PID:
#   grow     watch; the root grows past kill_rss;
#   stop     run; mergewatch is told to stop (SIGTERM) and stops the pair
#            (SIGTERM, then SIGKILL) from a sample taken before the child
#            died;
#   exit     run; the root exits and mergewatch sweeps the stragglers of
#            that sample.
PID_REUSE_HELPER = r"""
import json, os, signal, subprocess, sys, time
MW, SIM, WORK, MODE = sys.argv[1:5]
ROOT_CODE = '''
import os, signal, sys
sim, pidfile, mode = sys.argv[1:4]
signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGUSR1])
c = os.fork()
if c == 0:
    os.execvp("sleep", ["sleep", "600"])
with open(pidfile + ".tmp", "w") as f:
    f.write(f"{os.getpid()} {c}")
os.rename(pidfile + ".tmp", pidfile)
os.waitpid(c, 0)
signal.sigwait([signal.SIGUSR1])
if mode == "exit":
    os._exit(0)
signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGUSR1])
os.execv(sim, [sim, "--rate", "200M", "--peak", "2G", "--hold", "30s"])
'''
res = {}
pidfile, script = os.path.join(WORK, "pids"), os.path.join(WORK, "root.py")
out, trace = os.path.join(WORK, "events.jsonl"), os.path.join(WORK, "strace.txt")
open(script, "w").write(ROOT_CODE)
cmd = [sys.executable, script, SIM, pidfile, MODE]
if MODE == "grow":
    root = subprocess.Popen(cmd)
    while not os.path.exists(pidfile):
        time.sleep(0.01)
    args = ["watch", "--headless", "--interval", "10s", "--kill-rss", "200M", str(root.pid)]
else:
    open(os.path.join(WORK, "plan.ini"), "w").write(
        "[limits]\nkill_grace = 500ms\n[pair reuse]\ncommand = exec " + " ".join(cmd) + "\n")
    args = ["run", "--headless", "--interval", "1s", os.path.join(WORK, "plan.ini")]
pre = ["strace", "-qq", "-o", trace, "-e", "trace=openat,pidfd_open,pidfd_send_signal,kill"] \
    if os.environ.get("MW_STRACE") == "1" else []
mw = subprocess.Popen(pre + [MW] + args, stdout=open(out, "w"), stderr=subprocess.PIPE,
                      text=True, cwd=WORK)
deadline = time.monotonic() + 20
while time.monotonic() < deadline and not (os.path.exists(pidfile) and "pair_start" in open(out).read()):
    time.sleep(0.02)
rpid, child = map(int, open(pidfile).read().split())
res.update(root=rpid, child=child)
# wait for a full sample that lists the child: seen in the trace as the
# statm file mergewatch keeps open for it; without strace, by the clock (at
# once under watch; one interval after the start under run)
if pre:
    mark = f'"/proc/{child}/statm", O_RDONLY|O_CLOEXEC'
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and mark not in open(trace).read():
        time.sleep(0.02)
    time.sleep(0.1)
else:
    time.sleep(0.5 if MODE == "grow" else 1.2)
os.kill(child, signal.SIGKILL)
while os.path.exists(f"/proc/{child}"):
    time.sleep(0.01)
time.sleep(0.05)     # a start time several clock ticks after the child's
with open("/proc/sys/kernel/ns_last_pid", "w") as f:
    f.write(str(child - 1))
bystander = subprocess.Popen(["sleep", "600"])
res["bystander"] = bystander.pid
if MODE == "stop":
    # mergewatch itself, which runs under strace when the trace is on
    target = mw.pid
    if pre:
        target = int(open(f"/proc/{mw.pid}/task/{mw.pid}/children").read().split()[0])
    os.kill(target, signal.SIGTERM)
else:
    os.kill(rpid, signal.SIGUSR1)
try:
    mw.wait(timeout=30)
except subprocess.TimeoutExpired:
    mw.kill()
    mw.wait()
res.update(mw_rc=mw.returncode, mw_err=mw.stderr.read())
time.sleep(0.3)
res["bystander_alive"] = bystander.poll() is None
bystander.kill()
bystander.wait()
res["trace"] = "".join(x for x in open(trace) if "openat" not in x) if pre else None
print(json.dumps(res), flush=True)
"""


def pid_reuse(mode):
    with Dir() as d:
        env = dict(os.environ, MW_STRACE="1" if have("strace") else "0")
        env.pop("MERGEWATCH_WEBHOOK_URL", None)
        p = subprocess.run(["unshare", "--pid", "--fork", "--mount-proc", sys.executable, "-c",
                            PID_REUSE_HELPER, MW, SIM, str(d.path), mode],
                           capture_output=True, text=True, env=env, timeout=90)
        assert p.returncode == 0, p.stderr
        res = json.loads(p.stdout.strip().splitlines()[-1])
        ev = read_events(d.path / "events.jsonl")
        assert res["bystander"] == res["child"], f"the PID did not come back: {res}"
        return res, ev


def considered_the_old_pid(res):
    """With strace: mergewatch did look at the recycled PID (it was in its
    sample), so the bystander's survival is the start-time check's doing."""
    if res["trace"] is not None:
        assert f"pidfd_open({res['child']}," in res["trace"], res["trace"][-2000:]


def test_a_recycled_pid_is_never_signalled_by_the_kill_rss_kill():
    if not IS_ROOT or not have("unshare"):
        return skip("needs root for a PID namespace of its own")
    res, ev = pid_reuse("grow")
    kill = one(ev, "kill")
    assert kill["reason"] == "rss" and kill["signal"] == "SIGKILL"
    # Near the line mergewatch looks for new processes every 100 ms, so this
    # kill usually works from a sample taken after the child died: only the
    # outcome is checked here, the start-time check by the two tests below.
    assert res["bystander_alive"], res


def test_a_recycled_pid_is_never_signalled_when_the_pair_is_stopped():
    if not IS_ROOT or not have("unshare"):
        return skip("needs root for a PID namespace of its own")
    res, ev = pid_reuse("stop")
    assert res["mw_rc"] == 143, res
    assert [k["signal"] for k in of(ev, "kill")][:1] == ["SIGTERM"], ev
    assert one(ev, "pair_end")["reason"] == "shutdown"
    considered_the_old_pid(res)
    assert res["bystander_alive"], res


def test_a_recycled_pid_is_never_signalled_by_the_sweep_after_the_root_exits():
    if not IS_ROOT or not have("unshare"):
        return skip("needs root for a PID namespace of its own")
    res, ev = pid_reuse("exit")
    assert one(ev, "pair_end")["status"] == "done"
    considered_the_old_pid(res)
    assert res["bystander_alive"], res


# --------------------------------------------------------------------------
# The webhook failing during a run with kills

def test_webhook_answering_500_and_429_never_delays_a_kill_and_every_alert_is_accounted_for():
    with Dir() as d:
        sink = Sink(d, "500,429:1,500")
        try:
            d.write("plan.ini", f"""
[limits]
kill_rss = 300M
[pair first]
command = {SIM} --rate 300M --peak 2G --hold 20s
[pair second]
command = sleep 1; exec {SIM} --peak 2G --hold 20s
""")
            rc, ev, err = run(["run", "--headless", str(d.path / "plan.ini")],
                              env={"MERGEWATCH_WEBHOOK_URL": sink.url}, timeout=120)
            assert rc == 1, err
            kills = of(ev, "kill")
            assert [k["pair"] for k in kills] == ["first", "second"], kills
            assert all(k["rss"] < 300 * MiB * 1.10 for k in kills), kills
            # every alert the run raised was sent or reported failed
            raised = set()
            for e in ev:
                name = e["event"]
                if name in ("approach", "bloat", "deadlock", "pressure", "kill", "run_end"):
                    raised.add((name, e.get("pair")))
                elif name == "pair_end" and e["status"] in ("failed", "killed"):
                    raised.add((f"pair_{e['status']}", e["pair"]))
            reports = of(ev, "alert_sent") + of(ev, "alert_failed")
            accounted = {(r["kind"], r.get("pair")) for r in reports}
            assert raised <= accounted, f"unaccounted: {raised - accounted}; reports {reports}"
            assert any(r.get("attempts", 1) >= 2 for r in of(ev, "alert_sent")), reports
            # Retry-After was honoured: nothing posted within a second of a 429
            reqs = sink.requests()
            for a, b in zip(reqs, reqs[1:]):
                if a["answer"].startswith("429"):
                    assert b["t"] - a["t"] >= 0.9, (a, b)
            assert [r["answer"] for r in reqs[:3]] == ["500", "429:1", "500"], reqs
        finally:
            sink.close()


# --------------------------------------------------------------------------
# The log directory full or unwritable

DISK_FULL_PAIRS = 12


@functools.lru_cache(maxsize=None)
def disk_full_scenario():
    """A run whose log_dir (a 256 KiB tmpfs) fills up while the second pair
    grows towards its kill line; then, space freed, the same plan again."""
    if not IS_ROOT:
        return None
    result = {}
    d = Dir()
    fs = Tmpfs(d.path / "logs", "256k")
    p = None
    try:
        quick = "".join(f"[pair q{i}]\ncommand = true\n" for i in range(DISK_FULL_PAIRS))
        d.write("plan.ini", f"""
[run]
log_dir = logs
[limits]
kill_rss = 300M
[pair first]
command = echo first >> ran.txt; echo x > first.out
output = first.out
[pair second]
command = sleep 1.5; exec {SIM} --rate 200M --peak 2G --hold 30s
{quick}""")
        out = open(d.path / "stdout.jsonl", "wb")
        p = subprocess.Popen([MW, "run", "--headless", str(d.path / "plan.ini")], stdout=out,
                             stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                             env={k: v for k, v in os.environ.items() if k != "MERGEWATCH_WEBHOOK_URL"})
        wait_for(lambda: of(read_events(d.path / "logs/events.jsonl"), "pair_start", pair="second"))
        state_before = (d.path / "logs/state").read_text()
        fs.fill()
        _, err = p.communicate(timeout=60)
        out.close()
        result.update(rc=p.returncode, stderr=err.decode(errors="replace"),
                      stdout=(d.path / "stdout.jsonl").read_bytes(), state_before=state_before,
                      state_after=(d.path / "logs/state").read_text(),
                      leftovers=sorted(os.listdir(d.path / "logs")))
        fs.free()
        rc2, ev2, err2 = run(["run", "--headless", str(d.path / "plan.ini")], timeout=60)
        result.update(rc2=rc2, ev2=ev2, err2=err2,
                      log_after=(d.path / "logs/events.jsonl").read_bytes(),
                      ran=(d.path / "ran.txt").read_text().split())
    finally:
        if p is not None and p.poll() is None:
            p.kill()
            p.wait()
        fs.close()
        d.__exit__(None, None, None)
    return result


def test_disk_full_enforcement_goes_on_and_the_state_file_survives():
    r = disk_full_scenario()
    if r is None:
        return skip("needs root to mount a tmpfs")
    assert r["rc"] == 1, r["stderr"]
    ev = [o for _, o in json_lines(r["stdout"])]
    kill = one(ev, "kill", pair="second")
    assert kill["reason"] == "rss" and kill["rss"] < 300 * MiB * 1.10, kill
    assert one(ev, "run_end")["killed"] == 1
    assert "No space left on device" in r["stderr"], r["stderr"]
    # the state is the last one written whole, never a torn one
    state = json.loads(r["state_after"])
    assert state["pairs"]["first"]["status"] == "done", state
    assert "state.tmp" not in r["leftovers"], r["leftovers"]
    # space back: the run resumes from that state, the done pair not redone
    assert one(r["ev2"], "pair_end", pair="first").get("resumed") is True
    assert r["ran"] == ["first"], r["ran"]


def test_disk_full_is_reported_once():
    r = disk_full_scenario()
    if r is None:
        return skip("needs root to mount a tmpfs")
    lines = [x for x in r["stderr"].splitlines() if x.strip()]
    repeated = {x: lines.count(x) for x in lines if lines.count(x) > 1}
    assert not repeated, f"the same error {sum(repeated.values())} times:\n" + \
        "\n".join(f"{n} x {x}" for x, n in repeated.items())


def test_disk_full_leaves_no_torn_line_in_the_event_log():
    r = disk_full_scenario()
    if r is None:
        return skip("needs root to mount a tmpfs")
    # the first run's file, and after it what the resumed run appended
    assert_every_line_an_event(r["log_after"], "events.jsonl after a full disk and a resumed run")


def test_log_dir_turning_unwritable_mid_run_enforcement_goes_on():
    if not IS_ROOT or not have("setpriv"):
        return skip("needs root and setpriv (root ignores file modes otherwise)")
    with Dir() as d:
        logs = d.path / "logs"
        logs.mkdir()
        d.write("plan.ini", f"""
[run]
log_dir = logs
[limits]
kill_rss = 300M
[pair first]
command = echo x > first.out
output = first.out
[pair second]
command = sleep 1.5; exec {SIM} --rate 200M --peak 2G --hold 30s
""")
        env = {k: v for k, v in os.environ.items() if k != "MERGEWATCH_WEBHOOK_URL"}
        # root without the capabilities that ignore file modes
        p = subprocess.Popen(["setpriv", "--bounding-set=-dac_override,-dac_read_search,-fowner",
                              MW, "run", "--headless", str(d.path / "plan.ini")],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                             stdin=subprocess.DEVNULL)
        try:
            wait_for(lambda: of(read_events(logs / "events.jsonl"), "pair_start", pair="second"))
            state_before = json.loads((logs / "state").read_text())
            os.chmod(logs, 0o555)
            out, err = p.communicate(timeout=60)
        finally:
            os.chmod(logs, 0o755)
            if p.poll() is None:
                p.kill()
                p.wait()
        assert p.returncode == 1, err
        ev = parse_events(out)
        kill = one(ev, "kill", pair="second")
        assert kill["reason"] == "rss" and kill["rss"] < 300 * MiB * 1.10
        assert ev[-1]["event"] == "run_end"
        assert str(logs) in err and "Permission denied" in err, err
        assert json.loads((logs / "state").read_text()) == state_before


def test_log_dir_read_only_from_the_start_is_one_clear_error():
    if not IS_ROOT:
        return skip("needs root for a read-only bind mount")
    with Dir() as d:
        logs = d.path / "logs"
        logs.mkdir()
        d.write("plan.ini", "[run]\nlog_dir = logs\n[pair p]\ncommand = touch ran\n")
        subprocess.run(["mount", "--bind", str(logs), str(logs)], check=True)
        try:
            subprocess.run(["mount", "-o", "remount,bind,ro", str(logs)], check=True)
            rc, ev, err = run(["run", "--headless", str(d.path / "plan.ini")])
        finally:
            subprocess.run(["umount", str(logs)], check=True)
        assert rc == 2 and ev == [], (rc, ev)
        lines = [x for x in err.splitlines() if x.strip()]
        assert len(lines) == 1 and str(logs) in lines[0] and "Read-only" in lines[0], err
        assert not (d.path / "ran").exists()


# --------------------------------------------------------------------------
# mergewatch killed mid-pair

def test_killed_mid_pair_the_kernel_cap_stays_and_finished_pairs_are_left_alone():
    with Dir() as d:
        d.blob("ck1/a", MiB)
        d.blob("ck2/b", MiB)
        d.write("plan.ini", f"""
[limits]
memory_max = 128M
kill_rss = 1G
[pair first]
command = echo first >> ran.txt; echo x > first.out
inputs = ck1/a
output = first.out
cleanup = ck1
[pair capped]
command = echo capped >> ran.txt; sleep 1.5; exec {SIM} --rate 400M --peak 512M --hold 10s
inputs = ck2/b
output = capped.out
cleanup = ck2
""")
        log = d.path / "mergewatch-logs/events.jsonl"
        p = start(["run", "--headless", str(d.path / "plan.ini")])
        try:
            orphan = wait_for(lambda: of(read_events(log), "pair_start", pair="capped"))[0]["pid"]
            mech = one(read_events(log), "run_start")["limit_mechanism"]
        finally:
            p.send_signal(signal.SIGKILL)          # mergewatch dies mid-pair
            p.communicate()
        first_out = (d.path / "first.out").stat()
        assert not (d.path / "ck1").exists()       # done and verified: cleaned
        if mech == "none":
            os.kill(orphan, signal.SIGKILL)
            return skip("no kernel cap on this machine")
        group = memory_cgroup_of(orphan)
        if mech == "cgroup1":
            assert int((group / "memory.limit_in_bytes").read_text()) == 128 * MiB
        else:
            assert int((group / "memory.max").read_text()) == 128 * MiB
        # with no mergewatch, the kernel still stops the job at the cap
        wait_for(lambda: not alive(orphan), timeout=20)
        if mech == "cgroup1":
            assert int((group / "memory.max_usage_in_bytes").read_text()) <= 128 * MiB
        assert (d.path / "ck2/b").exists()         # never cleaned up unverified
        # init reaps the dead orphan (until then it is a zombie with its PID)
        reaped = True
        try:
            wait_for(lambda: not os.path.exists(f"/proc/{orphan}"), timeout=15)
        except AssertionError:
            reaped = False

        rc, ev, err = run(["run", "--headless", str(d.path / "plan.ini")])
        assert rc == 1, err
        assert one(ev, "pair_end", pair="first")["resumed"] is True
        assert (d.path / "first.out").stat().st_mtime_ns == first_out.st_mtime_ns
        end = one(ev, "pair_end", pair="capped")
        # gone or still a zombie: its supervisor recorded the kernel's
        # SIGKILL and the group its OOM kill, so it is judged killed at
        # the cap, not run again and not judged by its output
        assert end["status"] == "killed" and end["reason"] == "memory_max", (end, reaped)
        assert of(ev, "pair_start", pair="capped") == []
        assert (d.path / "ran.txt").read_text().split() == ["first", "capped"]
        assert (d.path / "ck2/b").exists()
        # the dead mergewatch's group went once it was empty
        assert not group.exists(), group


def test_adopted_pair_is_enforced_and_its_stragglers_go_with_it():
    straggler = f"mwf-s{os.getpid() % 100000}"
    with Dir() as d:
        d.write("plan.ini", f"""
[limits]
kill_rss = 300M
[pair long]
command = ({SIM} --name {straggler} --hold 300s &); sleep 2; exec {SIM} --rate 200M --peak 2G --hold 30s
""")
        log = d.path / "mergewatch-logs/events.jsonl"
        orphan = None
        try:
            p = start(["run", "--headless", str(d.path / "plan.ini")])
            try:
                orphan = wait_for(lambda: of(read_events(log), "pair_start", pair="long"))[0]["pid"]
                left = wait_for(lambda: comm_pids(straggler))
            finally:
                p.send_signal(signal.SIGKILL)
                p.communicate()
            rc, ev, err = run(["run", "--headless", str(d.path / "plan.ini")])
            adopted = one(ev, "pair_start", pair="long")
            assert adopted["pid"] == orphan and adopted.get("adopted") is True, adopted
            kill = one(ev, "kill", pair="long")
            assert kill["reason"] == "rss" and kill["rss"] < 300 * MiB * 1.10, kill
            assert one(ev, "pair_end", pair="long")["status"] == "killed"
            assert not alive(orphan)
            # what the job left in its group dies with it, adopted or not
            time.sleep(0.3)
            survivors = [x for x in left if alive(x)]
            assert not survivors, f"stragglers of the adopted pair still alive: {survivors}"
        finally:
            kill_pids(comm_pids(straggler) + ([orphan] if orphan and alive(orphan) else []))


# --------------------------------------------------------------------------
# Thousands of processes and threads coming and going

def test_churning_tree_no_crash_no_false_deadlock():
    churn = churn_binary()
    with Dir() as d:
        root = subprocess.Popen([churn, "--seconds", "14", "--procs-per-s", "250",
                                 "--threads-per-s", "400", "--pool", "8"],
                                stderr=subprocess.PIPE, text=True)
        args = f"--interval 200ms --deadlock-window 2s {root.pid}"
        try:
            headless = start(["watch", "--headless", "--log", str(d.path / "a.jsonl")]
                             + args.split(), cwd=d.path)
            with Tmux(f"{MW} watch --log {d.path}/b.jsonl {args} 2> {d.path}/b.err", 120, 40,
                      cwd=d.path) as t:
                t.wait_text("Processes")
                out, err = headless.communicate(timeout=60)
                _, churn_err = root.communicate(timeout=30)
                t.wait_text("Run over", timeout=20)
                s = t.screen()
                t.keys("q")
            counts = re.search(r"churn: (\d+) processes, (\d+) threads", churn_err)
            assert counts and int(counts.group(1)) >= 1000 and int(counts.group(2)) >= 2000, churn_err
            assert headless.returncode == 0 and err == "", (headless.returncode, err)
            assert (d.path / "b.err").read_text() == ""
            for name in ("a.jsonl", "b.jsonl"):
                raw = (d.path / name).read_bytes()
                assert_every_line_an_event(raw, name)
                ev = parse_events(raw.decode())
                assert of(ev, "deadlock") == [], of(ev, "deadlock")
                assert ev[-1]["event"] == "run_end", ev[-3:]
            assert "Pairs" in s, s
        finally:
            kill_pids([root.pid])
            root.wait()


def test_a_futex_poll_loop_is_not_a_deadlock():
    # A thread that waits on a condition with a timeout and wakes up five
    # times a second (Python's Event.wait, queue.get(timeout=...)) is a
    # poll loop, not a deadlock, even if it does little between waits.
    with Dir() as d:
        rc, ev, err = run(["run", "--headless", "--interval", "250ms", "--deadlock-window", "2s",
                           "--", sys.executable, "-c",
                           "import threading\ne = threading.Event()\n"
                           "for _ in range(25):\n    e.wait(0.2)\n"],
                          cwd=d.path, timeout=60)
        assert rc == 0, err
        assert of(ev, "deadlock") == [], of(ev, "deadlock")


# --------------------------------------------------------------------------
# The watchdog outlives the trouble

def test_oom_scores_and_locked_memory():
    with Dir() as d:
        p = start(["run", "--headless", "--", "sleep", "3"], cwd=d.path)
        try:
            pair = wait_for(lambda: of(read_events(d.path / "mergewatch-logs/events.jsonl"),
                                       "pair_start"))[0]["pid"]
            time.sleep(0.2)
            mine = int(pathlib.Path(f"/proc/{p.pid}/oom_score_adj").read_text())
            job = int(pathlib.Path(f"/proc/{pair}/oom_score_adj").read_text())
            locked_kb = int(status_field(p.pid, "VmLck").split()[0])
        finally:
            p.communicate(timeout=30)
        assert job == 500, job
        if cap_effective(CAP_SYS_RESOURCE):
            assert mine == -900, mine
        else:
            # lowering a score needs CAP_SYS_RESOURCE, which this machine
            # does not grant even to root
            assert mine == 0, mine
            skip("no CAP_SYS_RESOURCE here: mergewatch's own -900 not checked")
        if IS_ROOT:
            assert locked_kb > 0, locked_kb


def tick_times(trace_text, gap_s):
    """Start times of mergewatch's sampling ticks: bursts of pread64 calls
    separated by more than gap_s."""
    ts = []
    for line in trace_text.splitlines():
        m = re.match(r"(?:\d+\s+)?(\d+\.\d+) pread64\(", line)
        if m:
            ts.append(float(m.group(1)))
    ticks = []
    for t in ts:
        if not ticks or t - last > gap_s:
            ticks.append(t)
        last = t
    return ticks


def rhythm(ticks, a, b):
    t = [x for x in ticks if a <= x <= b]
    gaps = sorted((y - x) * 1000 for x, y in zip(t, t[1:]))
    if not gaps:
        return {"ticks": len(t)}
    return {"ticks": len(t), "median_ms": round(statistics.median(gaps), 1),
            "p99_ms": round(gaps[max(0, int(len(gaps) * 0.99) - 1)], 1),
            "max_ms": round(gaps[-1], 1)}


def test_sampling_keeps_its_rhythm_while_a_job_fills_memory():
    if not IS_ROOT or not (MemCgroup.BASE / "memory.limit_in_bytes").exists() or not have("strace"):
        return skip("needs root, the cgroup v1 memory controller and strace")
    cg = MemCgroup(160 * MiB)
    calm = subprocess.Popen(["sleep", "120"])
    mw = tracer = None
    try:
        with Dir() as d:
            # mergewatch runs from copies of its binary and libraries made
            # inside the group, so their page cache is the group's to
            # reclaim: only locked memory keeps it resident
            copy = d.path / "copy"
            (copy / "lib").mkdir(parents=True)
            d.write("copy.sh", f"cp {MW} {copy}/ && "
                    f"for l in $(ldd {MW} | awk '/=>/ {{print $3}}'); do cp $l {copy}/lib/; done; sync\n")
            subprocess.run(["sh", "-c", cg.join_prefix() + f"sh {d.path}/copy.sh"], check=True)
            mw = subprocess.Popen(["sh", "-c", cg.join_prefix() +
                                   f"env LD_LIBRARY_PATH={copy}/lib {copy}/mergewatch watch "
                                   f"--headless --interval 100ms {calm.pid}"],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            wait_for(lambda: status_field(mw.pid, "VmLck") is not None and
                     os.readlink(f"/proc/{mw.pid}/exe").startswith(str(copy)))
            tracer = subprocess.Popen(["strace", "-qq", "-ttt", "-e", "trace=pread64",
                                       "-o", str(d.path / "trace.txt"), "-p", str(mw.pid)])
            time.sleep(3)
            t_calm0, t_press0 = time.time() - 2.5, time.time()
            oom_before = cg.oom_kills() or 0
            hog_deadline = time.monotonic() + 6
            while time.monotonic() < hog_deadline:
                # each fills the group and is killed by the kernel in it
                subprocess.run(["sh", "-c", cg.join_prefix() + f"{SIM} --peak 400M --rate max"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            t_press1 = time.time()
            time.sleep(2)
            ooms = (cg.oom_kills() or 0) - oom_before
            assert mw.poll() is None, "mergewatch died under memory pressure"
            locked_kb = int(status_field(mw.pid, "VmLck").split()[0])
            tracer.send_signal(signal.SIGINT)
            tracer.wait(timeout=10)
            mw.send_signal(signal.SIGTERM)
            out, err = mw.communicate(timeout=30)
            ticks = tick_times((d.path / "trace.txt").read_text(), 0.05)
            figures = {"calm": rhythm(ticks, t_calm0, t_press0),
                       "pressure": rhythm(ticks, t_press0, t_press1),
                       "after": rhythm(ticks, t_press1, t_press1 + 1.8),
                       "oom_kills_in_group": ooms, "locked_kib": locked_kb}
            print(f"  rhythm at --interval 100ms: {json.dumps(figures)}", flush=True)
            assert ooms > 0, "no pressure: the hog was never stopped by the kernel"
            assert locked_kb > 0
            # it kept sampling through the pressure and ended cleanly after it
            assert figures["pressure"]["ticks"] > 0 and figures["after"]["ticks"] > 0, figures
            assert mw.returncode == 0 and parse_events(out)[-1]["event"] == "run_end", err
    finally:
        for proc in (tracer, mw, calm):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait()
        cg.close()
