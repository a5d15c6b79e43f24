"""The detection corpus: real programs (tests/corpus/, the simulator, Node,
Python, a real Polars) each run under mergewatch with a short window, and
the verdict each must get -- deadlock, stall, or nothing. Several run at
once (each its own mergewatch and log directory) so the corpus takes about
a minute. The table of behaviours, expected and got verdicts and latencies
is printed and written to build/corpus-table.md.

A positive must be caught within the window plus one sample (stalled_s,
with half a second of slack for a loaded machine); a negative must never be
flagged; the evidence of the C and Python deadlocks must name the functions
that hold and wait for the locks."""
import os
import pathlib
import shlex
import shutil
import socket
import subprocess
import sys
import time

from mwlib import MW, ROOT, SIM, MiB, Dir, Tmux, of, parse_events, read_events, wait_for

CORPUS = ROOT / "tests/corpus"
BUILT = ROOT / "build/corpus"
POLARS_MODULES = ROOT / "build/npm/node_modules"
POLARS_NODE = POLARS_MODULES / "nodejs-polars-linux-x64-gnu/nodejs-polars.linux-x64-gnu.node"
WINDOW_S = 3.0
INTERVAL_S = 0.5
TIMEOUT_S = 8
BATCH = 12
PY = sys.executable


class Case:
    def __init__(self, name, command, expect, what=None, evidence=(), env=None):
        self.name = name
        self.command = command          # a shell command line
        self.expect = expect            # set of acceptable verdicts
        self.what = what                # a stall's waiting_on must name this
        self.evidence = evidence        # strings the evidence file must hold
        self.env = env or {}
        self.got = None
        self.latency = None
        self.problems = []


def q(*argv):
    return shlex.join(str(a) for a in argv)


def cases(listen_port):
    polars_env = {"NODE_PATH": str(POLARS_MODULES)}
    c = [
        Case("C threads deadlocked on two mutexes", q(BUILT / "c_deadlock"), {"deadlock"},
             evidence=("transfer_ab (c_deadlock)", "transfer_ba (c_deadlock)", "c_deadlock.c:",
                       "held by thread")),
        Case("C deadlock beside a thread in epoll_wait on an eventfd (tokio/libuv shape)",
             q(BUILT / "c_deadlock", "--epoll"), {"deadlock"},
             evidence=("transfer_ab", "io_driver", "epoll set")),
        Case("mergewatch-sim --deadlock (4 waiters, main joining)", q(SIM, "--deadlock", "--threads", "4"),
             {"deadlock"}, evidence=("lock_thread (mergewatch-sim)",)),
        Case("deadlock under timeout(1) and a shell", f"timeout 60 {q(SIM, '--deadlock', '--threads', '2')}; echo after",
             {"deadlock"}),
        Case("Python threads deadlocked on two Locks", q(PY, CORPUS / "py_deadlock.py"), {"deadlock"},
             evidence=("in transfer_a_to_b", "in transfer_b_to_a", 'py_deadlock.py", line 13',
                       'py_deadlock.py", line 20')),
        Case("Node Atomics.wait forever", q("node", CORPUS / "node_atomics.js"), {"deadlock"}),
        Case("Polars (nodejs-polars) hung: main blocked after a parquet join, pools parked",
             q("node", CORPUS / "polars_merge.js", "hung", "."), {"deadlock"}, env=polars_env),
        Case("sleep 600", "sleep 600", {"none"}),
        Case("sim: reads a pipe from its sleeping child beside an idle pool",
             q(SIM, "--pipe-wait", "--threads", "4"), {"none"}),
        Case("sim: idle pool of 8 beside a sleeping main thread", q(SIM, "--sleep-wait", "--threads", "8"),
             {"none"}),
        Case("shell waiting for a sleeping child", f"{q(SIM, '--sleep-wait')} & wait", {"none"}),
        Case("Polars merge idling between phases (polls once a second)",
             q("node", CORPUS / "polars_merge.js", "idle", "."), {"none"}, env=polars_env),
        Case("a paused job (deadlocked, then SIGSTOP)", q(PY, CORPUS / "py_paused.py"), {"none"}),
        Case("Python Event.wait(0.2) poll loop",
             q(PY, "-c", "import threading\ne = threading.Event()\nwhile not e.wait(0.2): pass"),
             {"none"}),
        Case("idle Node HTTP server", q("node", CORPUS / "node_http_idle.js"), {"stall", "none"},
             what="socket"),
        Case("Python server in accept() beside an idle thread pool", q(PY, CORPUS / "py_accept_pool.py"),
             {"stall"}, what="socket"),
        Case("parent in multiprocessing Event().wait(), child reading a socket",
             q(PY, CORPUS / "py_parent_child_socket.py", listen_port), {"stall"}, what="socket"),
        Case("a process in D state (a vfork parent)", q(BUILT / "c_vfork_dstate"), {"stall"},
             what="disk (D state)"),
    ]
    for kind, label in (("event", "Event.wait({n})"), ("queue", "queue.get(timeout={n})"),
                        ("join", "Thread.join({n})")):
        for n in range(1, 11):
            c.append(Case(f"Python {label.format(n=n)} loop", q(PY, CORPUS / "py_timed.py", kind, n),
                          {"none"}))
    return c


def start(case, d):
    d.write("plan.ini", f"""
[limits]
deadlock_window = {WINDOW_S}s
timeout = {TIMEOUT_S}s
kill_grace = 1s
on_deadlock = kill
[pair corpus]
command = {case.command}
""")
    env = dict(os.environ)
    env.pop("MERGEWATCH_WEBHOOK_URL", None)
    env.update(case.env)
    return subprocess.Popen([MW, "run", "--headless", "--interval", f"{int(INTERVAL_S * 1000)}ms",
                             str(d.path / "plan.ini")], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, cwd=d.path,
                            stdin=subprocess.DEVNULL)


def judge(case, events, d):
    dl, st = of(events, "deadlock"), of(events, "stall")
    case.got = "deadlock" if dl else "stall" if st else "none"
    if case.got not in case.expect:
        case.problems.append(f"expected {'/'.join(sorted(case.expect))}, got {case.got}: "
                             f"{dl or st}")
        log = d.path / "mergewatch-logs/corpus.log"
        if log.exists():
            case.problems.append("job output: " + log.read_text()[-400:])
        return
    found = (dl or st)
    if not found:
        return
    ev = found[0]
    case.latency = ev["stalled_s"]
    if not WINDOW_S <= ev["stalled_s"] <= WINDOW_S + INTERVAL_S + 0.5:
        case.problems.append(f"caught after {ev['stalled_s']} s of stall, not within the window "
                             f"plus one sample")
    if case.what is not None and case.got == "stall":
        whats = [w["what"] for w in ev["waiting_on"]]
        if not any(case.what in w for w in whats):
            case.problems.append(f"waiting_on {whats} does not name {case.what}")
    text = pathlib.Path(ev["capture"]).read_text(errors="replace") if ev.get("capture") else ""
    case.evidence_text = text
    for needle in case.evidence:
        if needle not in text:
            case.problems.append(f"evidence lacks {needle!r}")
    if case.got == "deadlock" and not of(events, "kill", reason="deadlock"):
        case.problems.append("on_deadlock = kill did not kill")
    if case.got == "stall" and of(events, "kill", reason="deadlock"):
        case.problems.append("a stall was acted on")


def table(all_cases):
    lines = ["| # | behaviour | expected | got | latency (stalled_s) |",
             "|---|---|---|---|---|"]
    for i, c in enumerate(all_cases, 1):
        lat = f"{c.latency:.2f} s" if c.latency is not None else "-"
        lines.append(f"| {i} | {c.name} | {'/'.join(sorted(c.expect))} | {c.got} | {lat} |")
    return "\n".join(lines)


def test_detection_corpus():
    assert (BUILT / "c_deadlock").exists(), "make corpus builds the C programs"
    assert POLARS_NODE.exists() and POLARS_NODE.stat().st_size > 10 * MiB, \
        f"make corpus installs nodejs-polars with its native binary ({POLARS_NODE})"
    assert shutil.which("node"), "the corpus needs Node (make deps)"
    # A service outside the job that accepts and never answers.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    all_cases = cases(listener.getsockname()[1])
    try:
        for i in range(0, len(all_cases), BATCH):
            batch = all_cases[i:i + BATCH]
            dirs = [Dir() for _ in batch]
            procs = [start(c, d) for c, d in zip(batch, dirs)]
            for c, d, p in zip(batch, dirs, procs):
                try:
                    out, err = p.communicate(timeout=TIMEOUT_S + 30)
                except subprocess.TimeoutExpired:
                    p.kill()
                    out, err = p.communicate()
                    c.problems.append("mergewatch did not end")
                judge(c, parse_events(out), d)
                d.__exit__(None, None, None)
    finally:
        listener.close()
    text = table(all_cases)
    print(text)
    (ROOT / "build").mkdir(exist_ok=True)
    (ROOT / "build/corpus-table.md").write_text(text + "\n")
    for c in all_cases:
        if c.name.startswith(("C threads", "Python threads")) and hasattr(c, "evidence_text"):
            excerpt = ROOT / "build" / ("corpus-evidence-c.txt" if c.name.startswith("C")
                                        else "corpus-evidence-python.txt")
            excerpt.write_text(c.evidence_text)
    bad = [f"{c.name}: {'; '.join(c.problems)}" for c in all_cases if c.problems]
    assert len(all_cases) >= 20
    assert not bad, "\n".join(bad)


def test_watch_inputs_gives_a_running_merge_its_bloat_baseline():
    with Dir() as d:
        d.blob("in/a.parquet", 3 * MiB)
        d.blob("in/b.parquet", 1 * MiB)
        job = subprocess.Popen([SIM, "--peak", "40M", "--hold", "20s"], stderr=subprocess.DEVNULL)
        try:
            w = subprocess.Popen([MW, "watch", "--headless", "--interval", "250ms", "--inputs",
                                  str(d.path / "in/*.parquet"), "--bloat-ratio", "6", str(job.pid)],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                 cwd=d.path)
            events = []
            deadline = time.monotonic() + 15
            for line in w.stdout:
                events += parse_events(line)
                if of(events, "bloat") or time.monotonic() > deadline:
                    break
            w.terminate()
            w.communicate(timeout=10)
            start_ev = of(events, "pair_start")[0]
            assert start_ev["input_bytes"] == 4 * MiB, start_ev
            bloat = of(events, "bloat")
            assert bloat and bloat[0]["input_bytes"] == 4 * MiB and bloat[0]["ratio"] > 6, events
        finally:
            job.kill()
            job.wait()


def test_with_the_dashboard_a_deadlock_is_caught_and_a_stall_reported():
    # The dashboard reads every thread at every tick; the waits are judged
    # only near a verdict, and the verdicts are the same as headless.
    with Dir() as d:
        d.write("plan.ini", f"""
[limits]
deadlock_window = 2s
timeout = 8s
kill_grace = 1s
on_deadlock = kill
[pair server]
command = {q(PY, CORPUS / "py_accept_pool.py")}
[pair locked]
command = {q(BUILT / "c_deadlock", "--epoll")}
""")
        log = d.path / "mergewatch-logs/events.jsonl"
        with Tmux(f"{MW} run --interval 500ms {d.path / 'plan.ini'}", 120, 40, cwd=d.path) as t:
            t.wait_text("Processes")
            wait_for(lambda: of(read_events(log), "run_end"), timeout=60)
            t.keys("q")
        ev = read_events(log)
        stall = of(ev, "stall", pair="server")
        assert stall and any(w["what"] == "socket" for w in stall[0]["waiting_on"]), ev
        assert not of(ev, "deadlock", pair="server")
        dl = of(ev, "deadlock", pair="locked")
        assert dl and 2.0 <= dl[0]["stalled_s"] <= 2.0 + 0.5 + 0.5, dl
        assert of(ev, "kill", pair="locked", reason="deadlock")
        assert "transfer_ba" in pathlib.Path(dl[0]["capture"]).read_text()
