#!/usr/bin/env python3
"""mergewatch's benchmarks (`make bench`), in one run on this machine.

Measures mergewatch against the tools the team used before (a bash loop of
`ps` + `kill -9`, earlyoom, top, htop) and against the kernel floor (a cgroup
limit; a minimal C loop reading /proc), prints a table and writes it to
bench/RESULTS.md with the machine, date and commit. Every figure is a median
over repeated runs with its min-max; comparisons are ratios taken in the same
run. docs/bench.md says how to read it.

Run through bench/run.sh (it installs htop and earlyoom and builds the C
helpers). Needs root: it makes cgroup v1 memory groups to witness peaks.
Cleans up every process (by PID, pidfd or its own process group) and every
cgroup and tmux server it made, also when interrupted.
"""

import argparse
import datetime
import json
import os
import platform
import re
import resource
import select
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
# The helpers the bench shares with the e2e tests and the soak.
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
from mwlib import (MW, SIM, GiB, KiB, MemCgroup, MiB, Sink, Tmux, children,  # noqa: E402
                   json_lines, mw_env, of, parse_ts, status_number)

BUILD = os.path.join(ROOT, "build", "bench")
TEAM_LOOP = os.path.join(HERE, "team-loop.sh")

KILL_RSS = 2 * GiB
SIM_CAP = "8G"           # no baseline run may grow beyond this
SIM_CAP_BYTES = 8 * GiB
GROUP_LIMIT = 10 * GiB   # the bench group's safety net, far above 2G
DEADLOCK_WINDOW_S = 3.0
AFTER_BY_RATE_MAX = 256 * MiB   # below: time after crossing = overshoot / rate

T0 = time.monotonic()


def log(msg):
    print(f"[bench {time.monotonic() - T0:6.1f}s] {msg}", file=sys.stderr, flush=True)


def now():
    return time.monotonic()


# --------------------------------------------------------------- statistics

def summary(values):
    """(median, min, max, n) of the values that are not None, or None."""
    vals = [v for v in values if v is not None]
    if not vals:
        return None
    return (statistics.median(vals), min(vals), max(vals), len(vals))


def fmt_range(values, fmt="{:.1f}", unit=""):
    s = summary(values)
    if s is None:
        return "n/a"
    med, lo, hi, n = s
    if n == 1 or fmt.format(lo) == fmt.format(hi):
        return f"{fmt.format(med)}{unit}"
    return f"{fmt.format(med)}{unit} [{fmt.format(lo)}–{fmt.format(hi)}]"


def fmt_bytes(n):
    if n is None:
        return "n/a"
    if abs(n) >= GiB:
        return f"{n / GiB:.2f} GiB"
    if abs(n) >= MiB:
        return f"{n / MiB:.1f} MiB"
    return f"{n / KiB:.0f} KiB"


def fmt_ms(s):
    if s is None:
        return "n/a"
    if abs(s) >= 1.0:
        return f"{s:.2f} s"
    return f"{s * 1000:.1f} ms"


def fmt_range_f(values, f):
    """median [min–max] with a formatting function."""
    s = summary(values)
    if s is None:
        return "n/a"
    med, lo, hi, n = s
    if n == 1 or f(lo) == f(hi):
        return f(med)
    return f"{f(med)} [{f(lo)}–{f(hi)}]"


# ----------------------------------------------------------- process registry

class Procs:
    """Every process the bench starts, so cleanup can end exactly those.

    Children are tracked as Popen objects or forked PIDs (a PID cannot be
    reused before we reap it); other processes (a simulator that mergewatch
    spawned) by a pidfd, which never names a recycled PID. Process groups
    are signalled only while their leader, our child, is unreaped."""

    def __init__(self):
        self.popens = []
        self.forked = set()
        self.pidfds = {}
        self.groups = {}     # pgid -> Popen leader

    def popen(self, argv, **kw):
        p = subprocess.Popen(argv, **kw)
        self.popens.append(p)
        return p

    def track_fork(self, pid):
        self.forked.add(pid)
        self.pidfd(pid)

    def pidfd(self, pid):
        if pid not in self.pidfds:
            try:
                self.pidfds[pid] = os.pidfd_open(pid)
            except OSError:
                return None
        return self.pidfds[pid]

    def send(self, pid, sig):
        fd = self.pidfds.get(pid)
        if fd is None:
            return
        try:
            signal.pidfd_send_signal(fd, sig)
        except OSError:
            pass

    def forget(self, pid):
        fd = self.pidfds.pop(pid, None)
        if fd is not None:
            os.close(fd)
        self.forked.discard(pid)

    def stop(self, p, timeout=3.0, sig=signal.SIGTERM):
        """Ends one of our Popen children: sig, then SIGKILL."""
        if p.poll() is None:
            try:
                p.send_signal(sig)
                p.wait(timeout)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        return p.returncode

    def kill_group(self, leader):
        if leader.poll() is None:
            try:
                os.killpg(leader.pid, signal.SIGKILL)
            except OSError:
                pass
        leader.wait()

    def cleanup(self):
        for leader in list(self.groups.values()):
            self.kill_group(leader)
        self.groups.clear()
        for p in self.popens:
            if p.poll() is None:
                p.kill()
                try:
                    p.wait(5)
                except subprocess.TimeoutExpired:
                    pass
        for pid in list(self.pidfds):
            self.send(pid, signal.SIGKILL)
        for pid in list(self.forked):
            try:
                os.waitpid(pid, 0)
            except OSError:
                pass
        for pid in list(self.pidfds):
            self.forget(pid)


# ------------------------------------------------------------------- cgroups

class Cgroups:
    def __init__(self):
        self.root = None
        self.groups = []

    def available(self):
        return MemCgroup.available()

    def make_root(self):
        # The whole bench stays under this, whatever a run does.
        self.root = MemCgroup(12 * GiB, name=f"mwbench-{os.getpid()}")

    def child(self, name, limit=GROUP_LIMIT):
        g = MemCgroup(limit, parent=self.root, name=name)
        self.groups.append(g)
        return g

    def cleanup(self, procs):
        for g in list(reversed(self.groups)) + ([self.root] if self.root else []):
            end = now() + 5
            while now() < end:
                try:
                    left = g.procs()
                except OSError:
                    break   # gone already
                # Only our processes can be in our group.
                for pid in left:
                    try:
                        fd = os.pidfd_open(pid)
                        signal.pidfd_send_signal(fd, signal.SIGKILL)
                        os.close(fd)
                    except OSError:
                        pass
                if g.close(timeout=0.05):
                    break
            if g.path.is_dir():
                log(f"warning: could not remove {g.path}")


# ------------------------------------------------------------ small helpers

def read_file(path, default=None):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return default


def schedstat(pid):
    """(CPU time in ns, times scheduled) of a process, all its threads,
    from schedstat; None when it is gone."""
    ns = runs = 0
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return None
    for t in tasks:
        s = read_file(f"/proc/{pid}/task/{t}/schedstat")
        if s:
            ns += int(s.split()[0])
            runs += int(s.split()[2])
    return ns, runs


def cpu_ns(pid):
    """CPU time of a process, all its threads, in ns (schedstat)."""
    s = schedstat(pid)
    return s[0] if s else None


def vm_hwm(pid):
    try:
        return status_number(pid, "VmHWM") * KiB
    except OSError:
        return None


def smaps_rss(pid):
    """RSS by mapping (path, or "[anon]"), in bytes."""
    out = {}
    name = None
    for line in (read_file(f"/proc/{pid}/smaps", "") or "").splitlines():
        parts = line.split()
        if parts and re.match(r"^[0-9a-f]+-[0-9a-f]+$", parts[0]):
            name = parts[5] if len(parts) > 5 else "[anon]"
        elif parts and parts[0] == "Rss:" and name is not None:
            out[name] = out.get(name, 0) + int(parts[1]) * KiB
    return out


def ldd_paths(path):
    try:
        out = subprocess.run(["ldd", path], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.TimeoutExpired):
        return set()
    return {os.path.realpath(m) for m in re.findall(r"=> (/\S+)", out)}


def curl_share(smaps):
    """How much of a mergewatch's RSS is libcurl and the libraries only it
    brings in (TLS, Kerberos, LDAP, SSH, ...): (bytes, number of libraries)."""
    curl = next((p for p in smaps if os.path.basename(p).startswith("libcurl")), None)
    if curl is None:
        return (0, 0)
    others = set()
    for p in smaps:
        base = os.path.basename(p)
        if base.startswith(("libproc2", "libncursesw", "libtinfo", "libjansson", "libinih")):
            others |= ldd_paths(p)
            others.add(os.path.realpath(p))
    only = (ldd_paths(curl) | {os.path.realpath(curl)}) - others
    total = sum(v for p, v in smaps.items() if os.path.realpath(p) in only)
    return (total, len(only))


def mem_available():
    m = re.search(r"^MemAvailable:\s+(\d+) kB", read_file("/proc/meminfo", ""), re.M)
    return int(m.group(1)) * KiB


def read_until(fd, needle, timeout, buf):
    """Reads fd into buf (a bytearray) until needle appears; False on EOF
    or timeout."""
    end = now() + timeout
    while needle not in buf:
        left = end - now()
        if left <= 0:
            return False
        r, _, _ = select.select([fd], [], [], left)
        if not r:
            return False
        data = os.read(fd, 65536)
        if not data:
            return False
        buf += data
    return True


def drain(fd, buf, timeout=0.0):
    end = now() + timeout
    while True:
        r, _, _ = select.select([fd], [], [], max(0.0, end - now()))
        if not r:
            return
        data = os.read(fd, 65536)
        if not data:
            return
        buf += data


def events_in(data):
    """The events in what a mergewatch wrote on its standard output; a line
    cut by its end is left out."""
    return [e for _, e in json_lines(bytes(data)) if isinstance(e, dict) and "event" in e]


def tool_version(argv, pattern=r"(\d+(\.\d+)+)"):
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return None
    m = re.search(pattern, out.stdout + out.stderr)
    return m.group(1) if m else None


# ------------------------------------------------------------------- bench

class Bench:
    def __init__(self, args):
        self.args = args
        self.quick = args.quick
        self.procs = Procs()
        self.cg = Cgroups()
        self.tmp = tempfile.mkdtemp(prefix="mwbench-")
        self.tmuxes = []           # every terminal we opened
        self.mw_pids = []          # every mergewatch we started (its cgroups)
        self.r = {"sections": {}}  # raw results
        self.na = {}               # comparison -> why it is n/a
        self.rate = None           # calibrated full-speed rate, bytes/s
        self.rss_offset = 0        # RSS - (max_usage - kmem), from calibration

    # ---------------------------------------------------------- plumbing

    def spawn_stopped(self, argv, group, stderr_path=None):
        """Forks a child that joins the group, stops itself, and execs argv
        once continued: a tool can attach before the first allocation."""
        pid = os.fork()
        if pid == 0:
            try:
                os.setpgid(0, 0)
                null = os.open("/dev/null", os.O_RDWR)
                os.dup2(null, 0)
                os.dup2(null, 1)
                if stderr_path:
                    err = os.open(stderr_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
                    os.dup2(err, 2)
                else:
                    os.dup2(null, 2)
                with open(os.path.join(group.path, "cgroup.procs"), "w") as f:
                    f.write(str(os.getpid()))
                os.kill(os.getpid(), signal.SIGSTOP)
                os.execv(argv[0], argv)
            finally:
                os._exit(127)
        _, status = os.waitpid(pid, os.WUNTRACED)
        if not os.WIFSTOPPED(status):
            raise RuntimeError(f"simulator {pid} did not stop (status {status})")
        self.procs.track_fork(pid)
        return pid

    def wait_death(self, pid, timeout, child=True):
        """(time of death, wait status or None), or None on timeout."""
        fd = self.procs.pidfd(pid)
        if fd is None:
            return (now(), None)
        r, _, _ = select.select([fd], [], [], timeout)
        if not r:
            return None
        t = now()
        status = None
        if child:
            _, status = os.waitpid(pid, 0)
        self.procs.forget(pid)
        return (t, status)

    def peak_rss(self, group):
        mx, km = group.peak()
        return mx - km + self.rss_offset

    def cleanup(self):
        for t in self.tmuxes:
            t.close()
        self.procs.cleanup()
        self.cg.cleanup(self.procs)
        self.cleanup_mw_groups()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def cleanup_mw_groups(self):
        """mergewatch run puts each pair in <memcg>/mergewatch/<pid>-<pair>;
        remove what our own mergewatch runs left behind (empty groups only)."""
        base = os.path.join(MemCgroup.BASE, "mergewatch")
        left = []
        try:
            names = os.listdir(base)
        except OSError:
            return
        for name in names:
            m = re.match(r"(\d+)-", name)
            if not m or int(m.group(1)) not in self.mw_pids:
                continue
            path = os.path.join(base, name)
            if not os.path.isdir(path):
                continue
            left.append(name)
            try:
                os.rmdir(path)
            except OSError:
                pass
        if left:
            self.r["mw_groups_left"] = left

    # ------------------------------------------------------- preparation

    def machine(self):
        cpu = "unknown"
        for line in read_file("/proc/cpuinfo", "").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        total = int(re.search(r"^MemTotal:\s+(\d+)", read_file("/proc/meminfo", ""), re.M).group(1))
        try:
            commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                                    capture_output=True, text=True).stdout.strip() or "unknown"
            dirty = subprocess.run(["git", "--no-optional-locks", "-C", ROOT, "diff",
                                    "--quiet", "HEAD", "--"], capture_output=True).returncode
            if dirty == 1:
                commit += " (with uncommitted changes)"
        except OSError:
            commit = "unknown"
        self.r["machine"] = {
            "host": platform.node(),
            "nproc": os.cpu_count(),
            "cpu": cpu,
            "mem_total_kib": total,
            "kernel": platform.release(),
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "commit": commit,
            "load_before": read_file("/proc/loadavg", "").split()[:3],
            "versions": {
                "mergewatch": tool_version([MW, "--version"]),
                "htop": tool_version(["htop", "--version"]),
                "earlyoom": tool_version(["earlyoom", "-v"]),
                "top (procps-ng)": tool_version(["top", "-V"]),
                "tmux": tool_version(["tmux", "-V"], r"(\d+\.\d+\w*)"),
            },
        }

    def warm_up(self):
        """A VM's first touch of guest memory is slow (the host backs it):
        touch as much as any run will once, so rates are the steady ones."""
        g = self.cg.child("warm")
        pid = self.spawn_stopped([SIM, "--peak", SIM_CAP], g)
        os.kill(pid, signal.SIGCONT)
        if self.wait_death(pid, 60) is None:
            self.procs.send(pid, signal.SIGKILL)
            self.wait_death(pid, 5)
        g.settle()

    def calibrate(self):
        """The simulator's full speed and the RSS the cgroup does not see."""
        g = self.cg.child("cal")
        rates, offsets, peaks = [], [], []
        n = 3 if self.quick else 5
        for i in range(n):
            err = os.path.join(self.tmp, f"cal{i}.err")
            pid = self.spawn_stopped([SIM, "--peak", "2G", "--report"], g, err)
            g.reset_peak()
            os.kill(pid, signal.SIGCONT)
            if self.wait_death(pid, 60) is None:
                self.procs.send(pid, signal.SIGKILL)
                self.wait_death(pid, 5)
                continue
            m = re.search(r"peak_rss=(\d+) rate=(\d+)", read_file(err, ""))
            if not m:
                continue
            mx, km = g.peak()
            rss, rate = int(m.group(1)), int(m.group(2))
            rates.append(rate)
            peaks.append(rss)
            offsets.append(rss - (mx - km))
            g.settle()
        if not rates:
            raise RuntimeError("the simulator never reported its rate")
        self.rate = statistics.median(rates)
        self.rss_offset = statistics.median(offsets)
        self.r["rate"] = self.rate
        self.r["rss_offset"] = self.rss_offset
        self.r["calibration"] = {"rates": rates, "offsets": offsets, "peaks": peaks}
        log(f"simulator full speed {self.rate / 1e9:.2f} GB/s "
            f"[{min(rates) / 1e9:.2f}–{max(rates) / 1e9:.2f}], "
            f"RSS beyond the cgroup's count {self.rss_offset / KiB:.0f} KiB")

    # ----------------------------------------------------- 1. overshoot

    def overshoot_result(self, group, t_cont, death, capped_ok=True):
        peak = self.peak_rss(group)
        over = peak - KILL_RSS
        stopped = death is not None
        if not stopped:
            after = None
        elif over > AFTER_BY_RATE_MAX:
            # Far past the line (or held at the cap): wall time minus the
            # time the simulator takes to reach the line at full speed.
            # Beyond the first GiBs a VM may fault memory in more slowly,
            # so overshoot / rate would understate it.
            after = (death[0] - t_cont) - KILL_RSS / self.rate
        else:
            # Close to the line: the time it kept allocating at full speed.
            after = max(over, 0) / self.rate
        return {"peak": peak, "over": over, "after_s": after, "stopped": stopped,
                "capped": peak >= SIM_CAP_BYTES - 64 * MiB}

    def overshoot_one(self, name, group, start_tool, stop_tool, timeout):
        group.settle()
        pid = self.spawn_stopped([SIM, "--peak", SIM_CAP, "--hold", "30s"], group)
        tool = start_tool(pid)
        group.reset_peak()
        t_cont = now()
        os.kill(pid, signal.SIGCONT)
        death = self.wait_death(pid, timeout)
        if death is None:
            self.procs.send(pid, signal.SIGKILL)
            self.wait_death(pid, 5)
        extra = stop_tool(tool) or {}
        res = self.overshoot_result(group, t_cont, death)
        res.update(extra)
        return res

    def tool_mw_watch(self, n):
        def start(pid):
            d = tempfile.mkdtemp(dir=self.tmp)
            p = self.procs.popen([MW, "watch", "--headless", "--kill-rss", "2G", str(pid)],
                                 cwd=d, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                 env=mw_env())
            buf = bytearray()
            if not read_until(p.stdout.fileno(), b'"pair_start"', 10, buf):
                raise RuntimeError("mergewatch watch did not start")
            time.sleep(0.3)
            return (p, buf)

        def stop(t):
            p, buf = t
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                self.procs.stop(p)
            drain(p.stdout.fileno(), buf)
            p.stdout.close()
            kills = of(events_in(buf), "kill")
            return {"mw_kill_rss": kills[0].get("rss") if kills else None}
        return start, stop

    def tool_team_loop(self, period, n, i):
        def start(pid):
            p = self.procs.popen(["bash", TEAM_LOOP, str(pid), str(KILL_RSS // KiB), str(period)],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                 start_new_session=True)
            self.procs.groups[p.pid] = p
            # The loop runs all the time; the job starts at some phase of
            # it. Phases are spread evenly over the period across runs.
            time.sleep(period * (i + 0.5) / n)
            return p

        def stop(p):
            # Its job is done (or the bench's timeout did it): end the loop
            # and its sleep at once rather than waiting out the period.
            self.procs.kill_group(p)
            self.procs.groups.pop(p.pid, None)
        return start, stop

    def tool_earlyoom(self):
        def start(pid):
            # The same point: kill once MemAvailable has fallen by 2 GiB.
            line_kib = (mem_available() - KILL_RSS) // KiB
            p = self.procs.popen(["earlyoom", "-M", f"{line_kib},{line_kib}", "-r", "0",
                                  "--prefer", "^mergewatch-sim$"],
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            buf = bytearray()
            if not read_until(p.stdout.fileno(), b"SIGKILL when", 5, buf):
                raise RuntimeError("earlyoom did not start: " + buf.decode(errors="replace"))
            time.sleep(0.2)
            return (p, buf)

        def stop(t):
            p, buf = t
            self.procs.stop(p)
            drain(p.stdout.fileno(), buf)
            p.stdout.close()
            return {"earlyoom_out": buf.decode(errors="replace")[-300:]}
        return start, stop

    def overshoot_mw_run(self, group, timeout):
        """mergewatch spawns the job; the job moves itself into the bench's
        group (leaving mergewatch's own), so its peak is witnessed there."""
        group.settle()
        group.reset_peak()
        d = tempfile.mkdtemp(dir=self.tmp)
        cmd = (f"echo $$ > {group.path}/cgroup.procs && "
               f"exec {SIM} --peak {SIM_CAP} --hold 30s")
        p = self.procs.popen([MW, "run", "--headless", "--kill-rss", "2G", "--", "sh", "-c", cmd],
                             cwd=d, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                             env=mw_env())
        self.mw_pids.append(p.pid)
        pid, end = None, now() + 10
        while now() < end and pid is None:
            procs = group.procs()
            if procs:
                pid = procs[0]
                break
            time.sleep(0.001)
        t_cont = now()
        death = None
        if pid is not None:
            self.procs.pidfd(pid)
            death = self.wait_death(pid, timeout, child=False)
            if death is None:
                self.procs.send(pid, signal.SIGKILL)
                self.wait_death(pid, 5, child=False)
        try:
            p.wait(15)
        except subprocess.TimeoutExpired:
            self.procs.stop(p)
        buf = bytearray(p.stdout.read())
        p.stdout.close()
        res = self.overshoot_result(group, t_cont, death)
        kills = of(events_in(buf), "kill")
        res["mw_kill_rss"] = kills[0].get("rss") if kills else None
        return res

    def section_overshoot(self):
        q = self.quick
        ov = self.cg.child("ov")
        floor = self.cg.child("floor", KILL_RSS)
        sec = {"rate": self.rate, "rows": []}
        self.r["sections"]["overshoot"] = sec

        def row(name, runs):
            sec["rows"].append({"tool": name, "runs": runs})
            over = summary([r["over"] for r in runs if r["stopped"]])
            log(f"  {name}: overshoot {fmt_range([r['over'] / MiB for r in runs if r['stopped']])} MiB"
                + ("" if over else " (never stopped it)"))

        n = 3 if q else 5
        log("1. kill overshoot at full speed, kill_rss 2G")
        runs = []
        for i in range(n):
            s, t = self.tool_mw_watch(n)
            runs.append(self.overshoot_one("mw-watch", ov, s, t, 15))
        row("mergewatch watch (default settings)", runs)

        runs = [self.overshoot_mw_run(ov, 15) for _ in range(n)]
        row("mergewatch run (default settings)", runs)

        for period, nn in ((1, n), (10, 2 if q else 3)):
            runs = []
            for i in range(nn):
                s, t = self.tool_team_loop(period, nn, i)
                runs.append(self.overshoot_one(f"loop{period}", ov, s, t, 2 * period + 10))
            row(f"bash loop, ps + kill -9, sleep {period}", runs)

        if shutil.which("earlyoom"):
            runs = []
            for i in range(n):
                s, t = self.tool_earlyoom()
                runs.append(self.overshoot_one("earlyoom", ov, s, t, 15))
            row("earlyoom -M (MemAvailable fell by 2 GiB)", runs)
        else:
            sec["rows"].append({"tool": "earlyoom",
                                "na": self.na.get("earlyoom", "not installed").replace("-", " ")})

        runs = []
        for i in range(n):
            runs.append(self.overshoot_one("cgroup", floor, lambda pid: None, lambda t: None, 15))
        row("cgroup v1 memory limit 2G (kernel floor)", runs)

    def section_slow(self):
        """A slow grower at 100 MB/s. Three are killed at 2 GiB (the
        overshoot at a gentle rate); one grows with its line at 20 GiB, far
        away even at the worst-case rate mergewatch assumes; one does not
        grow at all, line 20 GiB (the reference). Each has its own
        mergewatch; all run at once, so they share the same noise."""
        log("1b. slow grower, 100 MB/s, five watched processes at once")
        n = 2 if self.quick else 3
        cases = [("kill", "2G", ["--rate", "100M", "--peak", "4G", "--hold", "30s"])
                 for _ in range(n)]
        cases.append(("far", "20G", ["--rate", "100M", "--peak", "4G", "--hold", "30s"]))
        cases.append(("idle", "20G", ["--hold", "60s"]))
        items = []
        for k, (kind, line, sim_args) in enumerate(cases):
            g = self.cg.child(f"slow{k}")
            pid = self.spawn_stopped([SIM] + sim_args, g)
            items.append({"kind": kind, "line": line, "group": g, "pid": pid})
        for it in items:
            d = tempfile.mkdtemp(dir=self.tmp)
            it["mw"] = self.procs.popen([MW, "watch", "--headless", "--kill-rss", it["line"],
                                         str(it["pid"])],
                                        cwd=d, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL, env=mw_env())
        time.sleep(1.0)
        for it in items:
            it["group"].reset_peak()
        t0 = now()
        for it in items:
            os.kill(it["pid"], signal.SIGCONT)

        def mw_counts(it):
            """(time, CPU ns, times scheduled) of one mergewatch."""
            s = schedstat(it["mw"].pid)
            return (now(), s[0], s[1]) if s else None

        for it in items:
            it["first"] = mw_counts(it)
        # The kill cases end on their own (about 20 s); the others are
        # measured over the same span and then ended by the bench.
        kills = [it for it in items if it["kind"] == "kill"]
        end = t0 + 60
        while now() < end and any("death" not in it for it in kills):
            for it in kills:
                if "death" in it:
                    continue
                r, _, _ = select.select([self.procs.pidfd(it["pid"])], [], [], 0)
                if r:
                    it["last"] = mw_counts(it)
                    it["death"] = self.wait_death(it["pid"], 1)
            time.sleep(0.05)
        for it in items:
            if "last" not in it:
                it["last"] = mw_counts(it)
            if "death" not in it:
                self.procs.send(it["pid"], signal.SIGKILL)
                it["death"] = self.wait_death(it["pid"], 5)
                it["ended_by_bench"] = True
        for it in items:
            try:
                it["mw"].wait(5)
            except subprocess.TimeoutExpired:
                self.procs.stop(it["mw"])
        rows = []
        for it in items:
            a, b = it["first"], it["last"]
            row = {"kind": it["kind"], "line": it["line"]}
            if a and b and b[0] > a[0]:
                row["cpu_pct"] = (b[1] - a[1]) / 1e9 / (b[0] - a[0]) * 100
                row["wakeups_s"] = (b[2] - a[2]) / (b[0] - a[0])
                row["span_s"] = b[0] - a[0]
            if it["kind"] == "kill":
                row["over"] = self.peak_rss(it["group"]) - KILL_RSS
                row["stopped"] = not it.get("ended_by_bench", False)
            rows.append(row)
        self.r["sections"]["slow"] = {"rows": rows}
        for kind in ("kill", "far", "idle"):
            rs = [x for x in rows if x["kind"] == kind]
            msg = (f"  {kind:4s} line {rs[0]['line']}: mergewatch CPU "
                   f"{fmt_range([x.get('cpu_pct') for x in rs], '{:.3f}')}%, "
                   f"{fmt_range([x.get('wakeups_s') for x in rs], '{:.1f}')} wakeups/s")
            if kind == "kill":
                msg += f", overshoot {fmt_range([x['over'] / MiB for x in rs])} MiB"
            log(msg)

    # ------------------------------------------------ 2. sampling cost

    def section_sampling(self):
        log("2. sampling cost, one full sample of a 200-thread process")
        floor = os.path.join(BUILD, "floor")
        coll = os.path.join(BUILD, "collector-bench")
        whatif = os.path.join(BUILD, "collector-bench-fds")
        target = self.procs.popen([SIM, "--threads", "200", "--hold", "forever"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.5)
        pid = str(target.pid)
        it = "100" if self.quick else "200"
        progs = [("floor_keep", [floor, "keep", pid, it]),
                 ("floor_open", [floor, "open", pid, it]),
                 ("floor_tree", [floor, "keep-tree", pid, it]),
                 ("floor_full", [floor, "keep-full", pid, it]),
                 ("statm", [floor, "statm", pid, "2000", "100"]),
                 ("mw_always", [coll, "always", pid, it]),
                 ("mw_scan", [coll, "scan", pid, it]),
                 ("mw_never", [coll, "never", pid, it]),
                 ("mw_rss", [coll, "rss", pid, "2000", "100"])]
        if os.access(whatif, os.X_OK):
            progs.append(("mw_always_fds", [whatif, "always", pid, it]))
        res = {k: [] for k, _ in progs}
        res["ratio"] = []
        res["iter"] = int(it)
        rounds = 3 if self.quick else 7
        for r in range(rounds):
            got = {}
            for k, argv in progs:
                out = subprocess.run(argv, capture_output=True, text=True, timeout=60)
                m = re.search(r"us_median=([\d.]+)", out.stdout)
                if out.returncode != 0 or not m:
                    raise RuntimeError(f"{argv[0]}: {out.stderr.strip()}")
                got[k] = float(m.group(1))
                res[k].append(got[k])
                if k == "mw_always":
                    res["threads"] = int(re.search(r"threads=(\d+)", out.stdout).group(1))
            res["ratio"].append(got["mw_always"] / got["floor_keep"])
            if "mw_always_fds" in got:
                res.setdefault("ratio_fds", []).append(got["mw_always_fds"] / got["floor_keep"])
        self.procs.stop(target, sig=signal.SIGKILL)
        self.r["sections"]["sampling"] = res
        log(f"  floor {fmt_range(res['floor_keep'])} µs, mergewatch {fmt_range(res['mw_always'])} µs, "
            f"ratio {fmt_range(res['ratio'], '{:.2f}')}")

    # ---------------------------------------- 3-5. watching, footprint, dashboard

    def spawn_sleepers(self, count):
        """count extra processes on the system, in a process group of
        their own so they all go at once."""
        p = self.procs.popen(["sh", "-c", f"i=0; while [ $i -lt {count} ]; do sleep 900 & "
                              "i=$((i+1)); done; wait"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             start_new_session=True)
        self.procs.groups[p.pid] = p
        end = now() + 60
        while now() < end:
            if len(children(p.pid)) >= count:
                break
            time.sleep(0.2)
        return p

    def tmux_session(self, w, h, argv, out_path, cwd=None):
        """A terminal of w x h without a status line running argv in cwd,
        what it draws appended to out_path: (the terminal, the PID of
        argv[0])."""
        t = Tmux(shlex.join(argv), w, h, env={"LANG": "C.UTF-8", "HOME": self.tmp}, cwd=cwd,
                 linger=0, prefix="mwbench")
        self.tmuxes.append(t)
        t.status_line(False)
        t.pipe_to(out_path)
        pid = t.program(os.path.basename(argv[0]), timeout=10)
        if pid is None:
            raise RuntimeError(f"{argv[0]} did not start in tmux")
        return t, pid

    def watch_phase(self, label, extra, warm, win, n_win):
        """Every watcher at once on one 200-thread process: busy (the main
        thread computing beside 200 idle pool threads) for n_win windows,
        then still (everything asleep) for n_win windows."""
        sleepers = None
        if extra:
            log(f"  starting {extra} extra processes")
            sleepers = self.spawn_sleepers(extra)
        spin = warm + n_win * win + 0.5
        target = self.procs.popen([SIM, "--threads", "200", "--spin", f"{spin}s",
                                   "--hold", "forever"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        t_start = now()
        pid = str(target.pid)
        watchers = {}   # name -> pid
        popens = []

        def headless(name, argv, cwd=None):
            p = self.procs.popen(argv, cwd=cwd, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL, env=mw_env())
            popens.append(p)
            watchers[name] = p.pid

        for name, interval in (("mw 1s", None), ("mw 10Hz", "100ms")):
            d = tempfile.mkdtemp(dir=self.tmp)
            argv = [MW, "watch", "--headless"] + (["--interval", interval] if interval else []) + [pid]
            headless(name, argv, d)
            self.mw_pids.append(watchers[name])
        headless("top 1s", ["top", "-b", "-d", "1", "-H", "-p", pid])
        headless("top 0.1s", ["top", "-b", "-d", "0.1", "-H", "-p", pid])
        dash_files = {}
        terminals = []
        have_tmux = shutil.which("tmux") is not None
        have_htop = have_tmux and shutil.which("htop") is not None
        for w, h in ((80, 24), (200, 50)) if have_tmux else ():
            d = tempfile.mkdtemp(dir=self.tmp)
            out = os.path.join(self.tmp, f"{label}-mw-{w}x{h}.out")
            open(out, "w").close()
            t, watchers[f"mw dash {w}x{h}"] = self.tmux_session(w, h, [MW, "watch", pid], out, d)
            terminals.append(t)
            dash_files[f"mw dash {w}x{h}"] = out
            if have_htop:
                out = os.path.join(self.tmp, f"{label}-htop-{w}x{h}.out")
                open(out, "w").close()
                t, watchers[f"htop {w}x{h}"] = self.tmux_session(w, h, ["htop", "-d", "10"], out)
                terminals.append(t)
                dash_files[f"htop {w}x{h}"] = out
        for name, wpid in watchers.items():
            if name.startswith("mw dash"):
                self.mw_pids.append(wpid)
            self.procs.pidfd(wpid)

        def snap():
            return (now(), {n: cpu_ns(p) for n, p in watchers.items()},
                    {n: os.path.getsize(f) for n, f in dash_files.items()})

        # Busy windows start after the warm-up; still ones after the spin.
        starts = [t_start + warm + k * win for k in range(n_win)]
        starts += [t_start + spin + 1.0 + k * win for k in range(n_win)]
        windows = []
        for k, s in enumerate(starts):
            time.sleep(max(0.0, s - now()))
            a = snap()
            time.sleep(max(0.0, s + win - now()))
            b = snap()
            dt = b[0] - a[0]
            cpu = {n: ((b[1][n] - a[1][n]) / 1e9 / dt * 100
                       if a[1][n] is not None and b[1][n] is not None else None)
                   for n in watchers}
            traffic = {n: (b[2][n] - a[2][n]) / dt for n in dash_files}
            windows.append({"phase": "busy" if k < n_win else "still", "cpu": cpu,
                            "bytes_s": traffic})
        hwm = {n: vm_hwm(p) for n, p in watchers.items()}
        smaps = smaps_rss(watchers["mw 1s"])   # while it runs
        status = read_file(f"/proc/{watchers['mw 1s']}/status", "") or ""
        rss_split = {k: int(v) * KiB for k, v in
                     re.findall(r"^(RssAnon|RssFile):\s+(\d+) kB", status, re.M)}
        tcpu = cpu_ns(target.pid)
        # Tear down: the watchers, the dashboards, the target, the sleepers.
        for t in terminals:
            t.close()
            self.tmuxes.remove(t)
        for p in popens:
            self.procs.stop(p)
        self.procs.stop(target, sig=signal.SIGKILL)
        for name, wpid in watchers.items():
            if self.wait_death(wpid, 3, child=False) is None:
                self.procs.send(wpid, signal.SIGKILL)
                self.wait_death(wpid, 3, child=False)
            self.procs.forget(wpid)
        if sleepers is not None:
            self.procs.kill_group(sleepers)
            self.procs.groups.pop(sleepers.pid, None)
        curl_bytes, curl_libs = curl_share(smaps)
        return {"windows": windows, "hwm": hwm, "target_cpu_s": (tcpu or 0) / 1e9,
                "extra": extra, "mw_rss_split": rss_split,
                "mw_curl_bytes": curl_bytes, "mw_curl_libs": curl_libs,
                "mw_top_maps": sorted(smaps.items(), key=lambda kv: -kv[1])[:12]}

    def section_watching(self):
        q = self.quick
        win = 5.0 if q else 10.0
        n_win = 2 if q else 3
        warm = 4.0
        log(f"3-5. watching cost, footprint, dashboard traffic: {2 * n_win} windows "
            f"of {win:.0f} s ({n_win} busy, {n_win} still)")
        phases = {}
        phases["base"] = self.watch_phase("base", 0, warm, win, n_win)
        self.log_watch(phases["base"])
        log(f"   again with 2000 extra processes")
        phases["extra"] = self.watch_phase("extra", 2000, warm, win, n_win)
        self.log_watch(phases["extra"])
        self.r["sections"]["watching"] = {"phases": phases, "win_s": win, "n_win": n_win}

    def log_watch(self, ph):
        for name in ph["windows"][0]["cpu"]:
            vals = [w["cpu"][name] for w in ph["windows"]]
            log(f"   {name:14s} CPU {fmt_range(vals, '{:.3f}')}%  peak RSS {fmt_bytes(ph['hwm'][name])}")

    # --------------------------------------------------- 6. latencies

    def section_latency(self):
        log(f"6. deadlock latencies (deadlock_window {DEADLOCK_WINDOW_S:.0f} s)")
        sink = Sink(os.path.join(self.tmp, "sink.jsonl"))
        self.procs.popens.append(sink.proc)   # ended with the rest if interrupted
        n = 3 if self.quick else 5
        runs = []
        for i in range(n):
            d = tempfile.mkdtemp(dir=self.tmp)
            env = mw_env({"MERGEWATCH_WEBHOOK_URL": sink.url(f"/hook{i}")})
            p = self.procs.popen([MW, "run", "--headless", "--deadlock-window",
                                  f"{DEADLOCK_WINDOW_S:g}s", "--on-deadlock", "kill", "--",
                                  SIM, "--deadlock"],
                                 cwd=d, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
            self.mw_pids.append(p.pid)
            pair_log = os.path.join(d, "mergewatch-logs", "mergewatch-sim.log")
            t_dead = None
            end = time.time() + 20
            # The sim prints DEADLOCKED once every thread is asleep on a
            # futex: watch its log for it (2 ms polls).
            while time.time() < end and p.poll() is None:
                if b"DEADLOCKED" in (open(pair_log, "rb").read() if os.path.exists(pair_log) else b""):
                    t_dead = time.time()
                    break
                time.sleep(0.002)
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                self.procs.stop(p)
            events = events_in(p.stdout.read())
            p.stdout.close()
            dl = of(events, "deadlock")
            t_event = parse_ts(dl[0]["ts"]) if dl else None
            t_recv = None
            for rec in sink.requests():
                if rec.get("path") == f"/hook{i}" and "deadlock" in rec.get("body", "").lower() \
                        and "resolved" not in rec.get("body", "").lower():
                    t_recv = rec["t"]
                    break
            runs.append({
                "detect_s": (t_event - t_dead) if (t_event and t_dead) else None,
                "deliver_s": (t_recv - t_event) if (t_recv and t_event) else None,
                "stalled_s": dl[0].get("stalled_s") if dl else None,
                "alert_sent": bool(of(events, "alert_sent")),
            })
            log(f"  run {i + 1}: detected {fmt_ms(runs[-1]['detect_s'])} after DEADLOCKED, "
                f"delivered {fmt_ms(runs[-1]['deliver_s'])} after the event")
        sink.close()
        self.r["sections"]["latency"] = {"runs": runs, "window_s": DEADLOCK_WINDOW_S}


# ------------------------------------------------------------------ report

# Files the collector keeps open a thread: children, stat, wchan, schedstat
# and (when judging) syscall.
THREAD_FILES = 5


def thread_fd_budget():
    """The thread-file budget collector-bench runs with, as
    collectors/proctree.c sizes it (a quarter of the open-file limit, which
    collector-bench raises to the hard one, between PT_THREAD_FDS_MIN and
    PT_THREAD_FDS_MAX), or None when those constants are not found."""
    src = read_file(os.path.join(ROOT, "collectors", "proctree.c"), "") or ""
    lo = re.search(r"PT_THREAD_FDS_MIN\s*=\s*(\d+)", src)
    hi = re.search(r"PT_THREAD_FDS_MAX\s*=\s*(\d+)", src)
    if not lo or not hi:
        return None
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    quarter = int(hi.group(1)) if hard == resource.RLIM_INFINITY else hard // 4
    return max(int(lo.group(1)), min(int(hi.group(1)), quarter))


def median_of(values):
    s = summary(values)
    return s[0] if s else None


def window_values(ph, name, phase=None, key="cpu"):
    return [w[key].get(name) for w in ph["windows"] if phase is None or w["phase"] == phase]


def report(b):
    r = b.r
    m = r["machine"]
    L = []
    targets = []   # (target, measured, ok or None)
    notes = []

    def target(text, measured, ok):
        targets.append((text, measured, ok))

    L.append("# mergewatch benchmarks")
    L.append("")
    L.append("Written by `make bench` (bench/run.sh); how to read it: [docs/bench.md](../docs/bench.md).")
    L.append("")
    L.append(f"- **Machine**: {m['host']}, {m['nproc']} cores ({m['cpu']}), "
             f"MemTotal {m['mem_total_kib'] / KiB / KiB:.1f} GiB, Linux {m['kernel']}")
    L.append(f"- **Date**: {m['date']}; **commit** {m['commit']}; bench took "
             f"{r.get('elapsed_s', 0):.0f} s; load average before: {' '.join(m['load_before'])}, "
             f"after: {' '.join(r.get('load_after', ['?']))} "
             f"(other users' work on the same {m['nproc']} cores counts in it)")
    vers = ", ".join(f"{k} {v}" for k, v in m["versions"].items() if v)
    L.append(f"- **Tools**: {vers}")
    L.append("- Figures are **median [min–max]** over the runs counted in each row; "
             "ratios are taken between figures of this same run.")
    if r.get("quick"):
        L.append("- **Quick mode** (`--quick`): fewer runs and shorter windows than `make bench`.")
    L.append("")

    # 1. overshoot
    sec = r["sections"].get("overshoot")
    mw_over = None
    loop1_over = None
    if sec:
        cal = r["calibration"]
        L.append("## 1. Kill overshoot (kill_rss = 2 GiB)")
        L.append("")
        L.append(f"The simulator allocating and touching memory as fast as it can: "
                 f"**{fmt_range([x / 1e9 for x in cal['rates']], '{:.2f}')} GB/s** "
                 f"({len(cal['rates'])} runs of `mergewatch-sim --peak 2G --report`, after an "
                 f"{SIM_CAP} warm-up). Peaks are the kernel's record "
                 f"(`memory.max_usage_in_bytes` of the bench's own cgroup, minus its kernel memory, "
                 f"plus {b.rss_offset / KiB:.0f} KiB of mapped files that RSS counts and the "
                 f"group does not), good to about ±2 MiB: a figure that close to zero means at "
                 f"the line. Time after crossing = overshoot ÷ the rate above for overshoots up "
                 f"to {AFTER_BY_RATE_MAX // MiB} MiB; beyond, wall time from start to death minus "
                 f"the time to reach 2 GiB at that rate. Every simulator was capped at {SIM_CAP}.")
        L.append("")
        L.append("| killer | runs | overshoot | % of kill_rss | time after crossing | not stopped |")
        L.append("|---|---|---|---|---|---|")
        for row in sec["rows"]:
            if "na" in row:
                L.append(f"| {row['tool']} | – | n/a: {row['na']} | | | |")
                continue
            runs = row["runs"]
            ok = [x for x in runs if x["stopped"]]
            overs = [x["over"] for x in ok]
            capped = sum(1 for x in ok if x["capped"])
            cap_note = f" ({capped} at the {SIM_CAP} cap: a lower bound)" if capped else ""
            L.append(f"| {row['tool']} | {len(runs)} | {fmt_range_f(overs, fmt_bytes)}{cap_note} | "
                     f"{fmt_range([o / KILL_RSS * 100 for o in overs], '{:.2f}')}% | "
                     f"{fmt_range_f([x['after_s'] for x in ok], fmt_ms)} | "
                     f"{len(runs) - len(ok)} |")
            if row["tool"].startswith("mergewatch watch"):
                mw_over = (overs, len(runs) - len(ok))
            if row["tool"].startswith("mergewatch run"):
                mw_run_over = (overs, len(runs) - len(ok))
                sec["mw_run"] = mw_run_over
            if row["tool"].endswith("sleep 1"):
                loop1_over = overs
        L.append("")
        # targets
        mw_run = sec.get("mw_run")
        for label, data in (("watch", mw_over), ("run", mw_run)):
            if data is None:
                continue
            overs, missed = data
            med = median_of(overs)
            ok = med is not None and med <= 0.01 * KILL_RSS and missed == 0
            target(f"overshoot ≤ 1% of kill_rss at full speed (`mergewatch {label}`)",
                   f"{fmt_bytes(med)} = {med / KILL_RSS * 100:.2f}%" if med is not None else "n/a", ok)
            if loop1_over:
                lm = median_of(loop1_over)
                ratio = (max(med, 0) / lm) if (med is not None and lm) else None
                target(f"overshoot ≤ 1/50 of the 1 s bash loop's (`mergewatch {label}`)",
                       f"{ratio * 100:.2f}% of it ({fmt_bytes(med)} vs {fmt_bytes(lm)})"
                       if ratio is not None else "n/a",
                       ratio is not None and ratio <= 1 / 50)

    slow = r["sections"].get("slow")
    if slow:
        rows = slow["rows"]
        L.append("### Slow grower, 100 MB/s")
        L.append("")
        L.append("Each process watched by its own `mergewatch watch --kill-rss LINE`, all at once. "
                 "Wakeups = times mergewatch was scheduled (schedstat), a direct count of its "
                 "sampling.")
        L.append("")
        L.append("| watched process | kill_rss | runs | overshoot | mergewatch CPU | wakeups/s |")
        L.append("|---|---|---|---|---|---|")
        labels = {"kill": "grows at 100 MB/s until killed",
                  "far": "grows at 100 MB/s to 2 GiB, line far away",
                  "idle": "does not grow (reference)"}
        for kind in ("kill", "far", "idle"):
            rs = [x for x in rows if x["kind"] == kind]
            if not rs:
                continue
            over = (fmt_range_f([x["over"] for x in rs], fmt_bytes) if kind == "kill" else "–")
            L.append(f"| {labels[kind]} | {rs[0]['line']}iB | {len(rs)} | {over} | "
                     f"{fmt_range([x.get('cpu_pct') for x in rs], '{:.3f}')}% | "
                     f"{fmt_range([x.get('wakeups_s') for x in rs], '{:.1f}')} |")
        L.append("")

    # 2. sampling
    s = r["sections"].get("sampling")
    if s:
        L.append(f"## 2. Sampling cost (one full sample of a {s.get('threads', 201)}-thread process)")
        L.append("")
        L.append("| reader | µs per sample | × floor (kept open) |")
        L.append("|---|---|---|")
        fk = median_of(s["floor_keep"])
        rows = [
            ("floor: statm + task/ + task/*/stat + task/*/wchan, kept open, pread", "floor_keep"),
            ("floor: the same files opened each time", "floor_open"),
            ("floor + what a tree sample also reads (stat, io, task/*/children), kept open", "floor_tree"),
            ("floor + tree + what the rules read of a still tree (task/*/schedstat, task/*/syscall), "
             "kept open: every file of a judged sample", "floor_full"),
            ("**mergewatch collector** (`proctree_sample`, threads always, waits judged)", "mw_always"),
            ("mergewatch collector, threads always, waits not judged (the dashboard away from a "
             "verdict)", "mw_scan"),
            ("mergewatch collector without the thread scan (headless away from a verdict; the "
             "tree stands still, so every thread's schedule count is read)", "mw_never"),
            ("what-if: mergewatch collector with every thread file kept open (fd budget 4096)",
             "mw_always_fds"),
            ("one statm read, kept open (floor)", "statm"),
            ("mergewatch fast RSS check (`proctree_sample_rss`)", "mw_rss"),
        ]
        for label, k in rows:
            if not s.get(k):
                continue
            if k in ("statm", "mw_rss"):
                L.append(f"| {label} | {fmt_range(s[k], '{:.2f}')} | – |")
            else:
                L.append(f"| {label} | {fmt_range(s[k], '{:.0f}')} | {median_of(s[k]) / fk:.2f}× |")
        L.append("")
        L.append(f"Ratio mergewatch ÷ floor, per round: {fmt_range(s['ratio'], '{:.2f}')}× "
                 f"({len(s['ratio'])} rounds, each program timing {s.get('iter', 200)} samples "
                 f"after a warm-up; the round's figure is the median sample).")
        L.append("")
        rt = median_of(s["ratio"])
        target("a full sample of the 200-thread process ≤ 1.3× the kept-open floor",
               f"{rt:.2f}× ({median_of(s['mw_always']):.0f} vs {fk:.0f} µs)", rt <= 1.3)
        if rt > 1.3:
            scan = median_of(s["mw_always"]) - median_of(s["mw_never"])
            fds = median_of(s.get("mw_always_fds", [])) if s.get("mw_always_fds") else None
            n = (f"**Sampling cost.** mergewatch's full sample takes {rt:.2f}× the floor. Of its "
                 f"{median_of(s['mw_always']):.0f} µs, {median_of(s['mw_never']):.0f} µs are the "
                 f"per-process read, the tree discovery and the threads' schedule counts and "
                 f"{scan:.0f} µs the thread scan, "
                 f"against {fk:.0f} µs for the floor's whole sample.")
            budget = thread_fd_budget()
            thr = s.get("threads", 201)
            if budget is not None and THREAD_FILES * thr > budget:
                n += (f" The collector keeps at most {budget} thread files open per tree "
                      f"(a quarter of the open-file limit, see `PT_THREAD_FDS_MIN`/`MAX` in "
                      f"collectors/proctree.c) and a {thr}-thread process needs "
                      f"{THREAD_FILES} a thread (children, stat, wchan, schedstat, syscall): "
                      f"{THREAD_FILES * thr - budget} files are opened and closed at every "
                      f"sample, at about {(median_of(s['floor_open']) - fk) / (2 * thr):.1f} µs "
                      f"each (the open floor's extra cost per file).")
            if fds is not None:
                n += (f" Built with a budget of 4096 the same collector takes {fds:.0f} µs = "
                      f"{fds / fk:.2f}× the floor.")
            if s.get("mw_scan"):
                sc = median_of(s["mw_scan"])
                n += (f" Without judging what each thread waits for (the dashboard's scan away "
                      f"from a verdict) it takes {sc:.0f} µs = {sc / fk:.2f}× the floor.")
            if s.get("floor_full"):
                ff = median_of(s["floor_full"])
                mw = median_of(s["mw_always"])
                n += (f" Every file a judged sample reads, kept open and read with nothing "
                      f"around it (the floor plus each thread's children, schedstat and "
                      f"syscall, the process's stat and io), takes {ff:.0f} µs = "
                      f"{ff / fk:.2f}× the floor: of the collector's {mw - fk:.0f} µs above "
                      f"the floor, {ff - fk:.0f} µs are the kernel writing the files the rules "
                      f"need beyond the floor's (schedstat for the stall rule's schedule "
                      f"counts, syscall for the judge, children for discovery) and "
                      f"{mw - ff:.0f} µs the collector's own work around its reads "
                      f"(libproc2's per-process read, the task listing, parsing).")
            notes.append(n)

    # 3-5 watching
    w = r["sections"].get("watching")
    if w:
        base, extra = w["phases"]["base"], w["phases"]["extra"]
        names = list(base["windows"][0]["cpu"].keys())
        L.append(f"## 3. Watching cost (CPU % of one core)")
        L.append("")
        L.append(f"All watchers ran at once on one process with 200 idle pool threads for "
                 f"{2 * w['n_win'] * w['win_s']:.0f} s: *busy* = {w['n_win'] * w['win_s']:.0f} s "
                 f"with its main thread computing, *still* = {w['n_win'] * w['win_s']:.0f} s with "
                 f"everything asleep (the only case where headless mergewatch scans threads; its "
                 f"dashboard always does, to show them). Then all again with 2,000 extra "
                 f"processes (`sleep`) on the system. Figures: median [min–max] over "
                 f"{w['n_win']} windows of {w['win_s']:.0f} s per cell, CPU time from "
                 f"/proc/PID/task/*/schedstat.")
        L.append("")
        L.append("| watcher | busy | still | busy, +2000 procs | still, +2000 procs |")
        L.append("|---|---|---|---|---|")
        for name in names:
            cells = []
            for ph in (base, extra):
                for phase in ("busy", "still"):
                    cells.append(fmt_range(window_values(ph, name, phase), "{:.3f}"))
            L.append(f"| {name} | " + " | ".join(cells) + " |")
        L.append("")
        L.append("(mw = `mergewatch watch --headless`; mw dash = `mergewatch watch` with its "
                 "dashboard in a tmux pane; top = `top -b -H -p PID -d …`; htop = `htop -d 10` "
                 "in a tmux pane, all processes as the team ran it.)")
        L.append("")
        for mwn, topn in (("mw 1s", "top 1s"), ("mw 10Hz", "top 0.1s")):
            for ph, tag in ((base, ""), (extra, ", +2000 procs")):
                for phase in ("busy", "still"):
                    a = median_of(window_values(ph, mwn, phase))
                    t = median_of(window_values(ph, topn, phase))
                    if a is None or not t:
                        continue
                    target(f"watching CPU ≤ 1/4 of top's: {mwn} vs {topn}, {phase}{tag}",
                           f"{a:.3f}% vs {t:.3f}% = {a / t:.2f}×", a / t <= 0.25)
        # 4. footprint
        L.append("## 4. Footprint (peak RSS, VmHWM)")
        L.append("")
        L.append("| process | alone | +2000 procs |")
        L.append("|---|---|---|")
        for name in names:
            L.append(f"| {name} | {fmt_bytes(base['hwm'].get(name))} | {fmt_bytes(extra['hwm'].get(name))} |")
        L.append("")
        for ph, tag in ((base, ""), (extra, ", +2000 procs")):
            for mine, theirs in (("mw 1s", "htop 80x24"), ("mw dash 80x24", "htop 80x24"),
                                 ("mw dash 200x50", "htop 200x50")):
                v, h = ph["hwm"].get(mine), ph["hwm"].get(theirs)
                if v and h:
                    target(f"peak RSS ≤ htop's: {mine} vs {theirs}{tag}",
                           f"{fmt_bytes(v)} vs {fmt_bytes(h)}", v <= h)
        # 5. dashboard
        L.append("## 5. Dashboard traffic (bytes/s written to the tmux pane, refresh 1 s)")
        L.append("")
        L.append("| size | mergewatch | htop -d 10 | mergewatch, +2000 procs | htop, +2000 procs |")
        L.append("|---|---|---|---|---|")
        for size in ("80x24", "200x50"):
            cells = []
            for ph in (base, extra):
                for who in ("mw dash", "htop"):
                    cells.append(fmt_range(window_values(ph, f"{who} {size}", key="bytes_s"), "{:.0f}"))
            L.append(f"| {size} | {cells[0]} | {cells[1]} | {cells[2]} | {cells[3]} |")
            a = median_of(window_values(base, f"mw dash {size}", key="bytes_s"))
            h = median_of(window_values(base, f"htop {size}", key="bytes_s"))
            if a is not None and h:
                target(f"dashboard bytes/s ≤ htop's at {size}", f"{a:.0f} vs {h:.0f} B/s", a <= h)
        L.append("")
        L.append("Steady state: each window starts at least 4 s after the programs started; "
                 "medians over all windows (busy and still).")
        L.append("")

    # 6. latencies
    lat = r["sections"].get("latency")
    if lat:
        runs = lat["runs"]
        L.append(f"## 6. Latencies (deadlock_window = {lat['window_s']:.0f} s)")
        L.append("")
        L.append("| measure | runs | latency |")
        L.append("|---|---|---|")
        L.append(f"| deadlock complete (sim prints DEADLOCKED) → `deadlock` event | {len(runs)} | "
                 f"{fmt_range_f([x['detect_s'] for x in runs], fmt_ms)} |")
        L.append(f"| `deadlock` event → alert received by a loopback webhook sink | {len(runs)} | "
                 f"{fmt_range_f([x['deliver_s'] for x in runs], fmt_ms)} |")
        L.append("")
        det = [x["detect_s"] for x in runs]
        worst = max([x for x in det if x is not None], default=None)
        missed = sum(1 for x in det if x is None)
        target(f"deadlock detected within deadlock_window + 2 s (worst of {len(runs)})",
               f"{fmt_ms(worst)} (≤ {lat['window_s'] + 2:.0f} s)" + (f", {missed} never" if missed else ""),
               worst is not None and missed == 0 and worst <= lat["window_s"] + 2)

    # targets
    L.append("## Targets")
    L.append("")
    L.append("| target | measured | |")
    L.append("|---|---|---|")
    for text, measured, ok in targets:
        L.append(f"| {text} | {measured} | {'PASS' if ok else 'MISS'} |")
    L.append("")
    missed = [t for t in targets if not t[2]]
    L.append(f"{len(targets) - len(missed)} of {len(targets)} targets reached.")
    L.append("")
    notes.extend(b.closing_notes(targets))
    if r.get("mw_groups_left"):
        notes.append("**Left-over cgroups.** `mergewatch run` left its pair cgroups behind "
                     f"({', '.join(r['mw_groups_left'][:4])}{'…' if len(r['mw_groups_left']) > 4 else ''} "
                     "under /sys/fs/cgroup/memory/mergewatch/); the bench removed them. README says "
                     "the group is removed when the pair ends: probably rmdir while the killed "
                     "tree is still exiting (EBUSY) with no retry.")
    if b.na:
        for k, v in b.na.items():
            notes.append(f"**{k}**: n/a: {v.replace('-', ' ')}.")
    if notes:
        L.append("## Notes")
        L.append("")
        for n in notes:
            L.append(n)
            L.append("")
    return "\n".join(L).rstrip() + "\n"


def closing_notes(self, targets):
    """Why a watching, footprint, dashboard or latency target was missed,
    from the figures of this run."""
    notes = []
    r = self.r
    miss = {t[0] for t in targets if not t[2]}
    w = r["sections"].get("watching")
    if w and any(t.startswith("watching CPU") for t in miss):
        base = w["phases"]["base"]
        still_miss = [t for t in miss if t.startswith("watching CPU") and "still" in t]
        busy_miss = [t for t in miss if t.startswith("watching CPU") and "busy" in t]
        s = r["sections"].get("sampling", {})
        n = "**Watching cost.** "
        if still_miss and not busy_miss:
            n += ("mergewatch is well under top while the job computes, but not while it is "
                  "still: then it scans every thread for the deadlock rule at every tick, "
                  "reading the same files top -H reads")
            if s.get("mw_always") and s.get("floor_keep"):
                extra_ms = (median_of(s["mw_always"]) - median_of(s["floor_keep"])) / 1000
                mine = median_of(window_values(base, "mw 1s", "still"))
                top = median_of(window_values(base, "top 1s", "still"))
                if mine is not None and top:
                    at_floor = max(mine - extra_ms / 10, 0)
                    n += (f", and each scan costs {median_of(s['mw_always']):.0f} µs where the "
                          f"floor takes {median_of(s['floor_keep']):.0f}. Even at the floor's "
                          f"cost, scanning at every 1 s tick would leave it near {at_floor:.2f}% "
                          f"= {at_floor / top:.2f}× top's")
            n += (". To close it: the deadlock rule needs the thread scan only to *confirm* a "
                  "stall, so scan once the tree has been still for a while (say a quarter of "
                  "deadlock_window, then every few ticks until the window ends) rather than at "
                  "every still tick — the verdict and its latency stay the same — and make each "
                  "scan cost the floor (see Sampling cost).")
        else:
            n += ("missed in: " + "; ".join(sorted(busy_miss + still_miss)) +
                  ". A busy tree costs mergewatch one discovery plus a libproc2 read per "
                  "process per tick; compare with the collector's figures in section 2.")
        notes.append(n)
    if any(t.startswith("peak RSS") for t in miss) and w:
        base = w["phases"]["base"]
        mine = base["hwm"].get("mw 1s") or 0
        htop = base["hwm"].get("htop 80x24") or 0
        split = base.get("mw_rss_split", {})
        curl = base.get("mw_curl_bytes", 0)
        n = (f"**Footprint.** Headless mergewatch peaks at {fmt_bytes(mine)} against htop's "
             f"{fmt_bytes(htop)}. Of its RSS, {fmt_bytes(split.get('RssAnon'))} is its own "
             f"memory (heap, stacks) and {fmt_bytes(split.get('RssFile'))} pages of the shared "
             f"libraries it maps; {fmt_bytes(curl)} of those belong to libcurl and the "
             f"{max(base.get('mw_curl_libs', 1) - 1, 0)} libraries only libcurl brings in (OpenSSL, "
             f"GnuTLS, Kerberos, LDAP, SSH, ...), loaded and relocated at start even when no "
             f"webhook is configured. Without them mergewatch would stand at about "
             f"{fmt_bytes(mine - curl)} (htop: {fmt_bytes(htop)}). To close it: load libcurl "
             f"with dlopen only when a webhook is configured, or post alerts through a small "
             f"helper process; the rest is libc, libm, libproc2 (which pulls in libsystemd) "
             f"and ncursesw.")
        notes.append(n)
    if any(t.startswith("dashboard") for t in miss):
        notes.append("**Dashboard traffic.** mergewatch writes more to the terminal than htop at "
                     "this size. ncurses sends only what changed, so the excess comes from cells "
                     "that change every tick (clock, elapsed time, history graph, bars); to close "
                     "it, redraw those at most once a second and only when their text changes.")
    if any(t.startswith("deadlock detected") for t in miss):
        notes.append("**Deadlock latency.** Detection took longer than deadlock_window + 2 s: "
                     "the stall clock starts at the first still sample and the verdict waits "
                     "for the next base tick after the window; a still tree could be re-checked "
                     "at the exact moment the window ends.")
    ov = r["sections"].get("overshoot", {})
    for row in ov.get("rows", []):
        if not row["tool"].startswith("earlyoom") or "runs" not in row:
            continue
        early = [x for x in row["runs"] if x["stopped"] and x["over"] < -16 * MiB]
        if early:
            notes.append(f"**earlyoom.** In {len(early)} of {len(row['runs'])} runs earlyoom "
                         f"acted before the simulator reached the line (down to "
                         f"{fmt_bytes(min(x['over'] for x in early))}): it watches system-wide "
                         f"MemAvailable, so another process allocating during the run moved "
                         f"its trigger point; by the same token others freeing memory delay it. "
                         f"Its spread is the point: it cannot be set to a job's line.")
    if any(t.startswith("overshoot") for t in miss):
        sec = r["sections"].get("overshoot", {})
        notes.append("**Overshoot.** mergewatch let the simulator run past 1% of kill_rss "
                     f"(rate {sec.get('rate', 0) / 1e9:.2f} GB/s). Near the line it re-reads only "
                     "statm, as often as the distance ÷ the fastest growth seen requires, down to "
                     "1 ms; a miss means the fast checks started late (the approach from far "
                     "away is sampled at the base interval) or the kill took long to land. "
                     "To close it: assume the worst-case rate until growth has been measured, "
                     "and signal before re-reading.")
    return notes


Bench.closing_notes = closing_notes


# -------------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description="mergewatch benchmarks (make bench)")
    ap.add_argument("--quick", action="store_true", help="fewer runs, shorter windows (a smoke test)")
    ap.add_argument("--only", default="", help="comma-separated sections: overshoot,slow,sampling,watching,latency")
    ap.add_argument("--out", default=os.path.join(HERE, "RESULTS.md"))
    ap.add_argument("--na", action="append", default=[], help="NAME=why: a comparison run.sh could not set up")
    ap.add_argument("--report-from", metavar="JSON",
                    help="only write the report again from a run's raw figures (build/bench/results.json)")
    args = ap.parse_args()
    if args.report_from:
        b = Bench.__new__(Bench)
        with open(args.report_from) as f:
            b.r = json.load(f)
        b.na = b.r.get("na", {})
        b.rss_offset = b.r.get("rss_offset", 0)
        b.rate = b.r.get("rate")
        text = report(b)
        with open(args.out, "w") as f:
            f.write(text)
        print(text)
        return 0
    if os.geteuid() != 0:
        print("bench: needs root (cgroup memory groups witness the peaks)", file=sys.stderr)
        return 2
    for path in (MW, SIM):
        if not os.access(path, os.X_OK):
            print(f"bench: {path} missing: run make first", file=sys.stderr)
            return 2
    only = set(x for x in args.only.split(",") if x)
    b = Bench(args)
    for item in args.na:
        k, _, v = item.partition("=")
        b.na[k] = v
    b.r["quick"] = args.quick
    b.r["na"] = b.na

    def on_signal(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    code = 0
    try:
        b.machine()
        if not b.cg.available():
            raise RuntimeError("no writable cgroup v1 memory controller at "
                               f"{MemCgroup.BASE}: the peaks have no witness")
        b.cg.make_root()
        if not only or only & {"overshoot", "slow"}:
            log("warm-up and calibration")
            b.warm_up()
            b.calibrate()
        if not only or "overshoot" in only:
            b.section_overshoot()
        if not only or "slow" in only:
            b.section_slow()
        if not only or "sampling" in only:
            b.section_sampling()
        if not only or "watching" in only:
            b.section_watching()
        if not only or "latency" in only:
            b.section_latency()
    except KeyboardInterrupt as e:
        log(f"interrupted ({e}); cleaning up")
        code = 130
    except Exception as e:  # report what ran, then fail
        log(f"error: {e!r}")
        import traceback
        traceback.print_exc()
        code = 1
    finally:
        log("cleaning up")
        b.cleanup()
    b.r["elapsed_s"] = time.monotonic() - T0
    b.r["load_after"] = (read_file("/proc/loadavg", "") or "").split()[:3]
    raw = os.path.join(BUILD, "results.json")
    os.makedirs(BUILD, exist_ok=True)
    with open(raw, "w") as f:
        json.dump(b.r, f, indent=1, default=str)
    if code == 0:
        text = report(b)
        with open(args.out, "w") as f:
            f.write(text)
        print(text)
        log(f"wrote {os.path.relpath(args.out, ROOT)} (raw figures: {os.path.relpath(raw, ROOT)})")
    return code


if __name__ == "__main__":
    sys.exit(main())
