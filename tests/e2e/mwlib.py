"""Helpers for the end-to-end tests: plans in temporary directories, the
real binary, its event log."""
import json
import os
import pathlib
import signal
import subprocess
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
MW = str(ROOT / "mergewatch")
SIM = str(ROOT / "mergewatch-sim")
MiB = 1024 * 1024


class Dir:
    """A temporary directory for one test, removed at the end."""

    def __init__(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="mw-e2e-")
        self.path = pathlib.Path(self._tmp.name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._tmp.cleanup()

    def write(self, name, text):
        p = self.path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
        return p

    def blob(self, name, size):
        p = self.path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        with open(p, "wb") as f:
            f.truncate(size)
        return p


def run(args, timeout=120, env=None, cwd=None):
    """Runs mergewatch headless to the end: (exit status, events, stderr)."""
    full_env = dict(os.environ)
    full_env.pop("MERGEWATCH_WEBHOOK_URL", None)
    full_env.update(env or {})
    p = subprocess.run([MW] + args, capture_output=True, text=True, timeout=timeout,
                       env=full_env, cwd=cwd, stdin=subprocess.DEVNULL)
    return p.returncode, parse_events(p.stdout), p.stderr


def start(args, env=None, cwd=None):
    full_env = dict(os.environ)
    full_env.pop("MERGEWATCH_WEBHOOK_URL", None)
    full_env.update(env or {})
    return subprocess.Popen([MW] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=full_env, cwd=cwd, stdin=subprocess.DEVNULL)


def parse_events(text):
    events = []
    for line in text.splitlines():
        line = line.strip()
        if line:
            events.append(json.loads(line))
    return events


def read_events(path):
    try:
        return parse_events(pathlib.Path(path).read_text())
    except FileNotFoundError:
        return []


def of(events, name, **fields):
    return [e for e in events if e["event"] == name and
            all(e.get(k) == v for k, v in fields.items())]


def one(events, name, **fields):
    found = of(events, name, **fields)
    assert len(found) == 1, f"expected one {name} {fields}, got {found}\nall: {events}"
    return found[0]


def wait_for(predicate, timeout=30.0, step=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError("timed out waiting")


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def stop(proc):
    """Ends a process this test started, by PID."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    proc.wait()
