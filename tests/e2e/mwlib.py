"""The one Python helper module of the end-to-end tests, the soak
(tests/soak/soak.py) and the bench (bench/bench.py): the real binary and
its event log, plans in temporary directories, /proc of a process, the
loopback webhook sink, a private tmux, a cgroup v1 memory group of one's
own.

The e2e tests import it as `mwlib` (tests/e2e/run.py puts this folder on
sys.path); the soak and the bench put tests/e2e on sys.path themselves.
Everything here ends only what it started, by PID or by its own name."""
import json
import os
import pathlib
import re
import signal
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
MW = str(ROOT / "mergewatch")
SIM = str(ROOT / "mergewatch-sim")
SINK = str(ROOT / "tests/sink/webhook-sink.py")
KiB, MiB, GiB = 1 << 10, 1 << 20, 1 << 30


# ------------------------------------------------------------ mergewatch

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


def mw_env(env=None):
    """The environment for a mergewatch of a test: this one without the
    user's webhook, plus env."""
    full = dict(os.environ)
    full.pop("MERGEWATCH_WEBHOOK_URL", None)
    full.update(env or {})
    return full


def run(args, timeout=120, env=None, cwd=None):
    """Runs mergewatch headless to the end: (exit status, events, stderr)."""
    p = subprocess.run([MW] + args, capture_output=True, text=True, timeout=timeout,
                       env=mw_env(env), cwd=cwd, stdin=subprocess.DEVNULL)
    return p.returncode, parse_events(p.stdout), p.stderr


def start(args, env=None, cwd=None):
    return subprocess.Popen([MW] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=mw_env(env), cwd=cwd, stdin=subprocess.DEVNULL)


def stop(proc):
    """Ends a process this test started, by PID."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    proc.wait()


# ---------------------------------------------------------------- events

def parse_events(text):
    """Every line an event: a line that is not JSON fails the caller."""
    events = []
    for line in text.splitlines():
        line = line.strip()
        if line:
            events.append(json.loads(line))
    return events


def json_lines(raw):
    """Every line of raw (str or bytes) that is not blank, as (line, object),
    object None when the line is not valid JSON: for logs that may hold a
    damaged or cut line."""
    out = []
    for line in raw.splitlines():
        if not line.strip():
            continue
        try:
            out.append((line, json.loads(line)))
        except ValueError:
            out.append((line, None))
    return out


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


def parse_ts(ts):
    """An event's "ts" (RFC 3339, UTC, milliseconds) as seconds since the epoch."""
    import datetime
    return datetime.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()


def wait_for(predicate, timeout=30.0, step=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError("timed out waiting")


# -------------------------------------------------------- /proc/PID/...

def alive(pid):
    """Running and not a zombie (process names need not be UTF-8)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


def status_field(pid, name):
    """The text of a /proc/PID/status field, None when it has none."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(name + ":"):
                return line.split(":", 1)[1].strip()
    return None


def status_number(pid, name):
    """The number a /proc/PID/status field starts with (kB for sizes);
    ProcessLookupError when the process (or the field) is not there."""
    try:
        text = status_field(pid, name)
    except FileNotFoundError:
        raise ProcessLookupError(pid) from None
    if text is None:
        raise ProcessLookupError(pid)
    return int(text.split()[0])


def children(pid):
    """PIDs of pid's children (of its main thread), [] when it is gone."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def descendants(pid):
    """Every process below pid (children, theirs, ...), [] when it is gone."""
    out, todo = [], children(pid)
    while todo:
        k = todo.pop()
        out.append(k)
        todo.extend(children(k))
    return out


class Poller:
    """Calls tick() every step seconds from a thread of its own until it
    returns False or the context ends. Use as a context manager."""

    def __init__(self, step):
        import threading
        self.step = step
        self._halt = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def tick(self):
        raise NotImplementedError

    def _run(self):
        while not self._halt.is_set() and self.tick() is not False:
            self._halt.wait(self.step)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._halt.set()
        self._thread.join()


class TreeMemory(Poller):
    """Samples, every step seconds from a thread of its own, the memory only
    killing can free (RssAnon + RssShmem) summed over every process below
    root: the pairs' memory together. peak is the highest sum seen, over the
    number of samples above limit. Use as a context manager."""

    def __init__(self, root, limit=None, step=0.02):
        super().__init__(step)
        self.root, self.limit = root, limit
        self.peak = self.samples = self.over = 0

    def tick(self):
        total = 0
        for pid in descendants(self.root):
            try:
                total += (status_number(pid, "RssAnon") +
                          status_number(pid, "RssShmem")) * 1024
            except (ProcessLookupError, OSError):
                pass
        self.samples += 1
        self.peak = max(self.peak, total)
        self.over += self.limit is not None and total > self.limit


def comm(pid):
    """The process name, None when it is gone."""
    try:
        with open(f"/proc/{pid}/comm", "rb") as f:
            return f.read().rstrip(b"\n").decode(errors="replace")
    except OSError:
        return None


def child_named(parent, name, timeout=20.0):
    """The first child of parent called name, waited for; None after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        for k in children(parent):
            if comm(k) == name:
                return k
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.05)


# ------------------------------------------------------------- the sink

class Sink:
    """tests/sink/webhook-sink.py on a free loopback port, answering by
    script, every request recorded in the file record (as JSON lines)."""

    def __init__(self, record, script=""):
        self.record = pathlib.Path(record)
        self.proc = subprocess.Popen([sys.executable, SINK, "--port", "0", "--script", script,
                                      "--record", str(self.record)],
                                     stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line.strip().isdigit():
            self.close()
            raise RuntimeError("the webhook sink did not start")
        self.port = int(line)

    def url(self, path="/hook"):
        return f"http://127.0.0.1:{self.port}{path}"

    def requests(self):
        if not self.record.exists():
            return []
        return [json.loads(x) for x in self.record.read_text().splitlines() if x.strip()]

    def close(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=10)
        self.proc.stdout.close()


# -------------------------------------------------------------- the tmux

BLOCKS = "\u2581\u2582\u2583\u2584\u2585\u2586\u2587\u2588"  # graph cells, lowest to full


def cells(line):
    """The characters of one captured line (capture-pane -e) with whether
    each is drawn in reverse video: [(char, reverse)]."""
    out, reverse = [], False
    for part in re.split(r"(\x1b\[[0-9;]*m)", line):
        m = re.fullmatch(r"\x1b\[([0-9;]*)m", part)
        if m:
            params = [int(p) if p else 0 for p in m.group(1).split(";")] if m.group(1) else [0]
            for p in params:
                if p == 0 or p == 27:
                    reverse = False
                elif p == 7:
                    reverse = True
            continue
        out.extend((ch, reverse) for ch in part)
    return out

class Tmux:
    """A real terminal: a tmux server on a private socket (no user
    configuration) running command in one window of width x height. After
    the command ends the shell lingers `linger` seconds, so the last screen
    can still be read."""

    def __init__(self, command, width=80, height=24, env=None, cwd=None, linger=30,
                 prefix="mw-e2e"):
        self.socket = f"{prefix}-{os.getpid()}-{time.monotonic_ns()}"
        full = " ".join(f"{k}={v}" for k, v in (env or {}).items())
        shell = f"env {full} {command}" + (f"; sleep {linger}" if linger else "")
        self._tmux("new-session", "-d", "-x", str(width), "-y", str(height),
                   "-c", str(cwd or os.getcwd()), shell)
        self._tmux("set-option", "-g", "remain-on-exit", "on")

    def _tmux(self, *args):
        return subprocess.run(["tmux", "-L", self.socket, "-f", "/dev/null", *args],
                              capture_output=True, text=True, check=False)

    def screen(self):
        return self._tmux("capture-pane", "-p").stdout

    def screen_escapes(self):
        return self._tmux("capture-pane", "-p", "-e").stdout

    def keys(self, *keys):
        self._tmux("send-keys", *keys)

    def resize(self, width, height):
        self._tmux("resize-window", "-x", str(width), "-y", str(height))

    def status_line(self, on):
        self._tmux("set-option", "status", "on" if on else "off")

    def pipe_to(self, path):
        """Appends everything the program writes to the terminal to path."""
        self._tmux("pipe-pane", "-o", f"cat >> {path}")

    def wait_text(self, text, timeout=20.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            s = self.screen()
            if text in s:
                return s
            time.sleep(0.1)
        raise AssertionError(f"{text!r} never appeared; screen:\n{self.screen()}")

    def wait_gone(self, text, timeout=20.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            s = self.screen()
            if text not in s:
                return s
            time.sleep(0.1)
        raise AssertionError(f"{text!r} never went; screen:\n{self.screen()}")

    def pane_pid(self):
        """The PID of the window's shell, None while there is none."""
        out = self._tmux("display-message", "-p", "#{pane_pid}").stdout.strip()
        return int(out) if out.isdigit() else None

    def program(self, name, timeout=20.0):
        """The PID of the program called name that the window's shell runs,
        waited for; None after timeout."""
        deadline = time.monotonic() + timeout
        shell = None
        while shell is None and time.monotonic() < deadline:
            shell = self.pane_pid()
            if shell is None:
                time.sleep(0.05)
        if shell is None:
            return None
        if comm(shell) == name:   # the shell ran the program with exec
            return shell
        return child_named(shell, name, max(0.0, deadline - time.monotonic()))

    def close(self):
        """Ends the terminal, then waits for the mergewatch it ran to exit
        (it carries on headless after the hang-up and may still be writing
        its logs)."""
        shell = self.pane_pid()
        pids = [k for k in children(shell) if comm(k) == "mergewatch"] if shell else []
        self._tmux("kill-server")
        deadline = time.monotonic() + 20
        for pid in pids:
            while time.monotonic() < deadline and alive(pid):
                time.sleep(0.05)
        # tmux leaves its socket behind when its server is killed
        base = pathlib.Path(os.environ.get("TMUX_TMPDIR") or "/tmp")
        (base / f"tmux-{os.getuid()}" / self.socket).unlink(missing_ok=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# ---------------------------------------------------------- the cgroup

class MemCgroup:
    """A cgroup v1 memory group of the caller's own (made here, removed by
    close), with a limit when one is given. Its max_usage_in_bytes is the
    kernel's own record of the peak: a witness independent of mergewatch."""

    BASE = pathlib.Path("/sys/fs/cgroup/memory")

    def __init__(self, limit_bytes=None, parent=None, name=None):
        base = parent.path if parent is not None else self.BASE
        self.path = base / (name or f"mw-test-{os.getpid()}-{time.monotonic_ns() % 100000}")
        self.path.mkdir()
        if limit_bytes is not None:
            self.write("memory.limit_in_bytes", str(limit_bytes))

    @classmethod
    def available(cls):
        return (cls.BASE / "memory.max_usage_in_bytes").is_file() and os.access(cls.BASE, os.W_OK)

    def join_prefix(self):
        """A shell prefix that moves itself into the group, then execs."""
        return f'echo $$ > {self.path}/cgroup.procs && exec '

    def write(self, name, value):
        (self.path / name).write_text(value)

    def read(self, name):
        return (self.path / name).read_text()

    def read_int(self, name):
        return int(self.read(name).split()[0])

    def oom_kills(self):
        m = re.search(r"^oom_kill (\d+)", self.read("memory.oom_control"), re.M)
        return int(m.group(1)) if m else None

    def procs(self):
        return [int(x) for x in self.read("cgroup.procs").split()]

    def usage(self):
        return self.read_int("memory.usage_in_bytes")

    def reset_peak(self):
        self.write("memory.max_usage_in_bytes", "0")
        try:
            self.write("memory.kmem.max_usage_in_bytes", "0")
        except OSError:
            pass

    def peak(self):
        """(max usage, max kernel memory): usage counts page tables and
        other kernel memory too, which RSS does not."""
        try:
            kmem = self.read_int("memory.kmem.max_usage_in_bytes")
        except OSError:
            kmem = 0
        return self.read_int("memory.max_usage_in_bytes"), kmem

    def settle(self, timeout=5.0):
        """Waits until the group is empty and its memory given back."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.procs() and self.usage() < 64 * MiB:
                return True
            time.sleep(0.02)
        return False

    def close(self, timeout=10.0):
        """Removes the group once the processes in it have gone: True when
        it is gone."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.path.rmdir()
                return True
            except FileNotFoundError:
                return True
            except OSError:
                if time.monotonic() >= deadline:
                    return False
                time.sleep(0.05)
