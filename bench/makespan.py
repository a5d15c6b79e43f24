#!/usr/bin/env python3
"""`make bench`, makespan section: the same plan of a dozen simulated pairs
run side by side on this machine's real memory by mergewatch `jobs = 1`,
mergewatch `jobs = auto` and GNU parallel `--memfree`, with the same
commands.

Each pair is mergewatch-sim at a set ratio (PEAK_RATIO) to a real input
file it is given (written here, with data, not sparse); three pairs are
mispredicted: 7x where the others are 6x, the spread the team saw (their
merges bloated to 6-7x the input). mergewatch predicts with expected_ratio
(6, the default) and then the highest ratio seen.

The machine is made as short of memory as the team's: a balloon process
(mergewatch-sim, oom_score_adj 1000 so the kernel takes it first) holds
all but the budget and HEADROOM of MemAvailable for the whole section, so
the budget is the machine's real free memory for every runner. parallel
knows nothing of the pairs; it is given --memfree = 2 x (its free memory
now - the budget), the one setting whose kill line (half of --memfree) is
the budget: it starts jobs while they take less than budget - HEADROOM
and kills the youngest once they pass the budget, as its manual
describes. Each runner gets a fresh balloon; when the kernel has to kill
it, the machine ran out of memory (as the team's did, taking SSH with it):
the table says when, and the runner finishes on a machine with memory to
spare, so its makespan from then on means little.

Figures per runner: makespan; its ratio to one at a time (mergewatch
jobs = 1); its ratio to the lower bound max(longest pair, sum of peak x
duration / budget), durations taken from the one-at-a-time run; the peak
of the pairs' summed memory (RssAnon + RssShmem of every process under the
runner, sampled every 20 ms by mwlib.TreeMemory) against the budget; and the pairs killed or
requeued. Writes the table to stdout and into bench/RESULTS.md (a section
of its own, replaced on each run).

Needs root only as mergewatch does for its cgroups; cleans up every process
it started (by PID) and its temporary directory."""

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
from mwlib import MW, SIM, GiB, MiB, Poller, TreeMemory, parse_events, status_number  # noqa: E402

BUDGET = 3 * GiB
HEADROOM = 3 * GiB // 2  # free beyond the budget while the balloon is up
PEAK_RATIO = 6          # peak = 6 x input for the well-predicted pairs
MISPREDICTED = 7 / 6    # ... and 7 x input for the others
EXPECTED = 6            # what the plan predicts with before any pair has ended
RATE = "1G/s"

# name, input MiB, hold s, mispredicted
PAIRS = [
    ("p01", 200, 8, False), ("p02", 75, 4, False), ("p03", 250, 6, False),
    ("p04", 50, 10, False), ("p05", 125, 5, True), ("p06", 150, 7, False),
    ("p07", 40, 3, False), ("p08", 225, 5, False), ("p09", 100, 6, True),
    ("p10", 60, 8, False), ("p11", 175, 4, False), ("p12", 25, 5, True),
]

MARK = "<!-- makespan section: bench/makespan.py -->"

NOTES = """How to read it. The balloon held {balloon:.1f} GiB, so the machine had about
{free:.1f} GiB free: the budget and {headroom:.1f} GiB more. "Attempts stopped and run
again" counts, for every runner alike, the times a pair's command started beyond
once. mergewatch's are pairs stopped for the budget ({requeued} here, {lost:.1f} s of
work lost in all): no failure, no retry used; each outgrew its prediction (6x
before any pair had shown 7x) and runs again counted for half as much again as it
reached. parallel --memfree {memfree} starts a job while MemFree+Buffers+Cached is
above {memfree} and kills the youngest below half of it, which is where the pairs
pass the budget; it knows nothing of their sizes, so it starts jobs that collide
later, kills, retries, and still overshoots the budget between its checks (the peak
column) — by more than the {headroom:.1f} GiB the machine had to spare, when the
kernel had to kill the balloon. Played with exact predictions and the measured durations, the same admission
(file order with backfill, as core/admit) gives {exact:.2f}x the lower bound; the
rest of mergewatch's distance to the bound is the mispredicted pairs' lost first
attempts and their reruns counted above what they need."""


def replay(peaks, durations, budget):
    """Makespan of admission in file order with backfill, each pair counted
    for peaks[i] for durations[i] seconds (core/admit's rule, no gate)."""
    pending, running, t = list(range(len(peaks))), [], 0.0
    while pending or running:
        used = sum(peaks[i] for i, _ in running)
        for i in list(pending):
            if not running or used + peaks[i] <= budget:
                running.append((i, t + durations[i]))
                used += peaks[i]
                pending.remove(i)
        t = min(end for _, end in running)
        running = [r for r in running if r[1] > t]
    return t


def log(msg):
    print(f"[makespan] {msg}", file=sys.stderr, flush=True)


def peak_of(inp_mib, mis):
    return int(inp_mib * MiB * PEAK_RATIO * (MISPREDICTED if mis else 1))


def command(d, name, inp_mib, hold, mis):
    return (f"{d}/attempt {name} {SIM} --peak {peak_of(inp_mib, mis) // MiB}M --rate {RATE} "
            f"--hold {hold}s --write {d}/out/{name} 100")


# Every runner's commands go through this: each attempt leaves a line, so
# the attempts stopped and run again are counted the same way for all
# (parallel's joblog keeps only a job's last attempt).
ATTEMPT = """#!/bin/sh
name=$1
shift
echo >> "$(dirname "$0")/attempts/$name"
exec "$@"
"""


def reruns(d):
    """Attempts beyond one per pair since the last call; resets the count."""
    n = 0
    for name in os.listdir(f"{d}/attempts"):
        with open(f"{d}/attempts/{name}") as f:
            n += len(f.readlines()) - 1
        os.unlink(f"{d}/attempts/{name}")
    return n


def write_inputs(d):
    block = os.urandom(1 << 20)
    os.makedirs(f"{d}/in", exist_ok=True)
    os.makedirs(f"{d}/out", exist_ok=True)
    os.makedirs(f"{d}/attempts", exist_ok=True)
    with open(f"{d}/attempt", "w") as f:
        f.write(ATTEMPT)
    os.chmod(f"{d}/attempt", 0o755)
    for name, mib, _, _ in PAIRS:
        with open(f"{d}/in/{name}", "wb") as f:
            for _ in range(mib):
                f.write(block)


def write_plan(d, jobs):
    text = (f"[run]\njobs = {jobs}\nmemory_budget = {BUDGET // MiB}M\nlog_dir = logs-{jobs}\n"
            f"[limits]\nexpected_ratio = {EXPECTED}\nbloat_ratio = 20\nkill_rss = 8G\n")
    for name, mib, hold, mis in PAIRS:
        text += (f"\n[pair {name}]\ncommand = {command(d, name, mib, hold, mis)}\n"
                 f"inputs = in/{name}\n")
    path = f"{d}/plan-{jobs}.ini"
    with open(path, "w") as f:
        f.write(text)
    return path


def timed(make_argv, env=None):
    """Runs argv to its end on a machine short of memory (a fresh balloon),
    under a memory witness: (seconds, witness, stdout, machine) where
    machine tells when, if ever, the kernel had to kill the balloon: the
    machine ran out of memory. (The kernel's OOM kills inside a pair's
    group at its cap are not that: they are attempts stopped.)"""
    with Balloon(BUDGET + HEADROOM) as balloon:
        log(f"  balloon holds {balloon.size / GiB:.1f} GiB; MemAvailable "
            f"{meminfo('MemAvailable') / GiB:.1f} GiB")
        argv = make_argv()
        t0 = time.monotonic()
        p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                             env=env, stdin=subprocess.DEVNULL)
        try:
            with TreeMemory(p.pid, limit=BUDGET) as w, BalloonWatch(balloon, t0) as watch:
                out, _ = p.communicate(timeout=900)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        secs = time.monotonic() - t0
        machine = {"balloon": balloon.size, "out_at": watch.died_at}
    return secs, w, out, machine


class BalloonWatch(Poller):
    """Notes, from a thread of its own, when the balloon dies."""

    def __init__(self, balloon, t0):
        super().__init__(0.02)
        self.balloon, self.t0, self.died_at = balloon, t0, None

    def tick(self):
        if self.balloon.alive():
            return True
        self.died_at = time.monotonic() - self.t0
        return False


def run_mergewatch(d, jobs):
    plan = write_plan(d, jobs)
    secs, w, out, machine = timed(lambda: [MW, "run", "--headless", "--interval", "500ms", plan])
    ev = parse_events(out)
    ends = [e for e in ev if e["event"] == "pair_end"]
    done = {e["pair"]: e["elapsed_s"] for e in ends if e["status"] == "done"}
    stops = sum(1 for e in ends if e["status"] in ("requeued", "killed", "failed"))
    again = reruns(d)
    if again != stops:
        log(f"  {stops} pairs stopped by the events, {again} attempts run again")
    lost = sum(e["elapsed_s"] for e in ends if e["status"] == "requeued")
    return {"runner": f"mergewatch jobs = {jobs}", "makespan": secs, "peak": w.peak,
            "over": w.over, "samples": w.samples, "stops": again,
            "done": len(done), "durations": done, "lost": lost, "machine": machine}


def free_now():
    keys = ("MemFree:", "Buffers:", "Cached:", "SwapCached:")
    total = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith(keys):
                total += int(line.split()[1]) * 1024
    return total


def meminfo(key):
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    raise KeyError(key)


class Balloon:
    """Holds all but keep bytes of MemAvailable in a process of its own, so
    the machine has about keep free, as a machine busy with merges would.
    The kernel's OOM killer takes it first (oom_score_adj 1000); alive()
    says whether it still holds its memory."""

    def __init__(self, keep):
        self.size = meminfo("MemAvailable") - keep
        self.proc = None

    def __enter__(self):
        if self.size < 256 * MiB:
            return self
        self.proc = subprocess.Popen([SIM, "--peak", f"{self.size // MiB}M", "--hold", "forever"],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        with open(f"/proc/{self.proc.pid}/oom_score_adj", "w") as f:
            f.write("1000")
        deadline = time.monotonic() + 120
        while status_number(self.proc.pid, "VmRSS") * 1024 < self.size * 0.98:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the balloon could not take its memory")
            time.sleep(0.1)
        return self

    def alive(self):
        return self.proc is None or self.proc.poll() is None

    def __exit__(self, *exc):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
        if self.proc is not None:
            self.proc.wait()


def run_parallel(d):
    joblog = f"{d}/parallel.joblog"
    cmds = f"{d}/commands.txt"
    with open(cmds, "w") as f:
        for name, mib, hold, mis in PAIRS:
            f.write(command(d, name, mib, hold, mis) + "\n")
    memfree = 0

    def argv():
        # taken with the balloon up: the one --memfree whose kill line
        # (half of it) is the budget
        nonlocal memfree
        memfree = max(2 * (free_now() - BUDGET), 64 * MiB)
        return ["parallel", "--will-cite", "-j", str(len(PAIRS)), "--memfree", str(memfree),
                "--retries", "10", "--joblog", joblog, "-a", cmds]

    secs, w, _, machine = timed(argv)
    done = 0
    with open(joblog) as f:
        for line in list(f)[1:]:
            cols = line.rstrip("\n").split("\t")
            if len(cols) > 7 and cols[6] == "0" and cols[7] == "0":
                done += 1
    return {"runner": f"parallel --memfree {memfree / GiB:.1f}G", "makespan": secs,
            "peak": w.peak, "over": w.over, "samples": w.samples, "stops": reruns(d),
            "done": done, "memfree": memfree, "machine": machine}


def out_of_memory(r):
    at = r["machine"]["out_at"]
    return "no" if at is None else f"**yes**, at {at:.1f} s: the kernel killed the balloon"


def table(results, serial, bound):
    lines = [
        "| runner | makespan | x one at a time | x lower bound | peak of summed memory "
        f"(budget {BUDGET / GiB:.1f} GiB) | samples over the budget | attempts stopped and "
        "run again | machine out of memory | done |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r['runner']} | {r['makespan']:.1f} s | {r['makespan'] / serial:.2f} | "
            f"{r['makespan'] / bound:.2f} | {r['peak'] / GiB:.2f} GiB "
            f"({r['peak'] / BUDGET:.2f}x) | {r['over']} of {r['samples']} | {r['stops']} | "
            f"{out_of_memory(r)} | {r['done']}/{len(PAIRS)} |")
    return "\n".join(lines)


def write_results(text):
    path = os.path.join(HERE, "RESULTS.md")
    old = open(path).read() if os.path.exists(path) else ""
    if MARK in old:
        old = old[:old.index(MARK)].rstrip() + "\n"
    with open(path, "w") as f:
        f.write(old + "\n" + MARK + "\n" + text + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md")
    ap.add_argument("--keep", action="store_true", help="keep the plans, inputs and logs")
    args = ap.parse_args()
    for tool in (MW, SIM):
        if not os.access(tool, os.X_OK):
            log(f"{tool} missing: run make first")
            return 2
    if shutil.which("parallel") is None:
        log("GNU parallel missing: bench/run.sh installs Debian's parallel")
        return 2
    d = tempfile.mkdtemp(prefix="mw-makespan-")
    try:
        log(f"inputs in {d}")
        write_inputs(d)
        log("mergewatch jobs = 1")
        one = run_mergewatch(d, 1)
        log(f"  {one['makespan']:.1f} s")
        log("mergewatch jobs = auto")
        auto = run_mergewatch(d, "auto")
        log(f"  {auto['makespan']:.1f} s")
        log("GNU parallel --memfree")
        par = run_parallel(d)
        log(f"  {par['makespan']:.1f} s")
        ballooned = auto["machine"]["balloon"]
    finally:
        if args.keep:
            log(f"kept {d}")
        else:
            shutil.rmtree(d, ignore_errors=True)
    durations = [one["durations"].get(name, 0) for name, *_ in PAIRS]
    peaks = [peak_of(mib, mis) for _, mib, _, mis in PAIRS]
    bound = max(max(durations), sum(p * t for p, t in zip(peaks, durations)) / BUDGET)
    serial = one["makespan"]
    results = [one, auto, par]
    t = table(results, serial, bound)
    ok = {
        "auto <= 0.6 x one at a time": auto["makespan"] <= 0.6 * serial,
        "auto within 1.3 x the lower bound": auto["makespan"] <= 1.3 * bound,
        "auto never over the budget": auto["over"] == 0,
        "auto never ran the machine out of memory": out_of_memory(auto) == "no",
        "auto fewer kills than parallel --memfree": auto["stops"] < par["stops"],
    }
    text = (f"## Makespan: several pairs at once\n\n"
            f"{len(PAIRS)} pairs of mergewatch-sim at {PEAK_RATIO}x a real input file "
            f"(three at {PEAK_RATIO * MISPREDICTED:g}x: mispredicted), peaks "
            f"{min(peaks) / MiB:.0f} MiB to {max(peaks) / GiB:.1f} GiB, memory_budget "
            f"{BUDGET / GiB:.1f} GiB; lower bound {bound:.1f} s (max of the longest pair and "
            f"sum of peak x duration / budget, durations from the jobs = 1 run). "
            f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on "
            f"{os.uname().nodename}, in one run.\n\n{t}\n\n" +
            "\n".join(f"- {'met' if v else 'NOT met'}: {k}" for k, v in ok.items()) + "\n\n" +
            NOTES.format(memfree=par["runner"].split()[-1], balloon=ballooned / GiB,
                         free=(BUDGET + HEADROOM) / GiB, headroom=HEADROOM / GiB,
                         requeued=auto["stops"], lost=auto["lost"],
                         exact=replay(peaks, durations, BUDGET) / bound) + "\n")
    print(text)
    if not args.no_write:
        write_results(text)
    return 0


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(143))
    sys.exit(main())
