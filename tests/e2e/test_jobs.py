"""Several pairs at once (jobs, memory_budget): real simulated pairs with
known peaks under a small budget. Admission never runs together pairs whose
predicted peaks do not fit, and backfills a small pair past a big one; a
pair that outgrows its prediction is requeued (no failure) and done alone;
a mergewatch killed with two pairs mid-flight adopts both; jobs = 1 is the
one-at-a-time run, event for event."""
import json
import re
import signal
import subprocess
import time

from mwlib import (MW, MiB, SIM, Dir, Tmux, TreeMemory, alive, descendants, of, one, read_events,
                   run, start, parse_events, status_field, wait_for)

RATIO = 4             # each simulated pair's peak is RATIO x its input
EXPECTED = 4.4        # what the plan predicts with before a pair has run


def _intervals(ev):
    """Each attempt of each pair: (pair, start ts, end ts, pair_end)."""
    out, open_ = [], {}
    for e in ev:
        if e["event"] == "pair_start":
            open_[e["pair"]] = e["ts"]
        elif e["event"] == "pair_end" and e["pair"] in open_:
            out.append((e["pair"], open_.pop(e["pair"]), e["ts"], e))
    assert not open_, open_
    return out


def _running_sets(intervals):
    """Every set of pairs that ran at the same moment."""
    moments = sorted({s for _, s, _, _ in intervals})
    return [{p for p, s, e, _ in intervals if s <= t < e} for t in moments]


def _plan(d, pairs, budget, jobs="auto", extra=""):
    """pairs: (name, peak MiB, hold s); input = peak / RATIO."""
    text = f"[run]\njobs = {jobs}\nmemory_budget = {budget}\n{extra}\n" \
           f"[limits]\nexpected_ratio = {EXPECTED}\nkill_rss = 2G\n"
    for name, peak, hold in pairs:
        d.blob(f"in/{name}", peak * MiB // RATIO)
        text += (f"\n[pair {name}]\ncommand = {SIM} --peak {peak}M --rate 400M/s "
                 f"--hold {hold}s\ninputs = in/{name}\n")
    return d.write("plan.ini", text)


def test_six_pairs_never_run_together_unless_their_predictions_fit():
    # Under 300M: a (predicted 220M) and b (198M) never together; d (66M)
    # fits beside a and backfills past b and c.
    peaks = {"a": 200, "b": 180, "c": 80, "d": 60, "e": 100, "f": 40}
    with Dir() as d:
        plan = _plan(d, [(n, p, 1.5) for n, p in peaks.items()], "300M")
        rc, ev, err = run(["run", "--headless", str(plan)])
        assert rc == 0, err
        assert not of(ev, "kill") and not of(ev, "pair_end", status="requeued")
        assert all(one(ev, "pair_end", pair=n)["status"] == "done" for n in peaks)
        intervals = _intervals(ev)
        sets = _running_sets(intervals)
        for s in sets:
            if len(s) > 1:
                # the predictions (>= the peaks) of pairs running together fit
                assert sum(peaks[n] for n in s) <= 300, s
        assert not any({"a", "b"} <= s for s in sets)
        assert max(len(s) for s in sets) >= 2, sets
        start = {p: s for p, s, _, _ in intervals}
        assert start["d"] < start["b"] and start["d"] < start["c"], start   # backfill
        assert one(ev, "run_end")["done"] == 6


def test_mispredicted_pair_is_requeued_then_done_alone():
    # "big" is predicted at 4.4 x 25M = 110M, which fits beside x (88M) in
    # 300M, but it reaches 250M: it is stopped (the youngest, or at the
    # kernel cap the budget lowered), requeued without using a retry, and
    # with the larger figure it waits for x and is done alone.
    with Dir() as d:
        plan = d.write("plan.ini", f"""
[run]
jobs = auto
memory_budget = 300M
[limits]
expected_ratio = {EXPECTED}
[pair x]
command = {SIM} --peak 80M --rate 400M/s --hold 4s
inputs = in/x
[pair big]
command = {SIM} --peak 250M --rate 200M/s --hold 1s
inputs = in/big
""")
        d.blob("in/x", 20 * MiB)
        d.blob("in/big", 25 * MiB)
        p = start(["run", "--headless", str(plan)])
        with TreeMemory(p.pid, limit=300 * MiB) as mem:
            out, err = p.communicate(timeout=120)
        rc, ev = p.returncode, parse_events(out)
        assert rc == 0, err
        # the pairs' memory together never passed the budget, though big
        # alone needs most of it
        assert mem.samples > 50 and mem.over == 0 and mem.peak > 200 * MiB, \
            (mem.samples, mem.over, mem.peak)
        requeued = of(ev, "pair_end", pair="big", status="requeued")
        assert requeued and all(e["reason"] == "budget" for e in requeued), ev
        assert one(ev, "pair_end", pair="x")["status"] == "done"   # the older one untouched
        ends = of(ev, "pair_end", pair="big")
        assert ends[-1]["status"] == "done" and ends[-1]["peak_rss"] >= 250 * MiB
        assert ends[-1]["attempt"] == len(requeued) + 1
        big = [i for i in _intervals(ev) if i[0] == "big"]
        x_end = one(ev, "pair_end", pair="x")["ts"]
        assert big[0][1] < x_end <= big[-1][1]     # first beside x, last alone
        end = one(ev, "run_end")
        assert (end["done"], end["failed"], end["killed"]) == (2, 0, 0)
        for k in of(ev, "kill"):      # a budget stop takes the youngest only
            assert k["pair"] == "big" and k["reason"] == "budget", k
        # the report's lanes say the same: big's first attempt (grey, "ran
        # again") beside x, its last after x ended
        rc, _, err = run(["report", str(d.path / "mergewatch-logs"), "-o",
                          str(d.path / "report.html")])
        assert rc == 0, err
        html = (d.path / "report.html").read_text()
        lanes = html[html.index("<h2>Pairs over time</h2>"):]
        lanes = lanes[:lanes.index("</svg>")]
        bars = [(cls, float(x), float(x) + float(w), tip) for cls, x, w, tip in re.findall(
            r'<rect class="([\w-]+)" x="([\d.]+)" y="[\d.]+" width="([\d.]+)" '
            r'height="\d+"><title>([^<]*)</title>', lanes)]
        xs = [b for b in bars if b[3].startswith("x: ")]
        bigs = [b for b in bars if b[3].startswith("big: ")]
        assert len(xs) == 1 and len(bigs) == len(requeued) + 1, bars
        assert bigs[0][0] == "b-other" and "(stopped, ran again)" in bigs[0][3], bigs
        assert bigs[-1][0] == "b-done" and "ran again" not in bigs[-1][3], bigs
        assert bigs[0][1] < xs[0][2] and xs[0][1] < bigs[0][2]     # side by side
        assert bigs[-1][1] >= xs[0][2] - 1                          # alone, after x


def test_pairs_past_their_prediction_are_each_requeued_once_not_again_and_again():
    # Under a budget that leaves no room, three pairs that need more than
    # predicted (4.4x) beside two that do not: each mispredicted one is
    # stopped at most once — never restarted beside a pair still growing
    # past its prediction, nor run again a few MiB higher each time — and
    # the pairs together stay within the budget.
    pairs = [("a", 25, 160, 3), ("b", 20, 125, 3), ("c", 20, 80, 4), ("d", 20, 80, 4),
             ("e", 10, 60, 2)]
    text = f"[run]\njobs = auto\nmemory_budget = 400M\n[limits]\nexpected_ratio = {EXPECTED}\n"
    with Dir() as d:
        for name, inp, peak, hold in pairs:
            d.blob(f"in/{name}", inp * MiB)
            text += (f"\n[pair {name}]\ncommand = {SIM} --peak {peak}M --rate 100M/s "
                     f"--hold {hold}s\ninputs = in/{name}\n")
        plan = d.write("plan.ini", text)
        p = start(["run", "--headless", "--interval", "200ms", str(plan)])
        with TreeMemory(p.pid, limit=400 * MiB) as mem:
            out, err = p.communicate(timeout=120)
        ev = parse_events(out)
        assert p.returncode == 0, err
        assert mem.samples > 50 and mem.over == 0, (mem.samples, mem.over, mem.peak)
        for name, *_ in pairs:
            ends = of(ev, "pair_end", pair=name)
            assert ends[-1]["status"] == "done", ends
            assert len(ends) <= 2, [(e["status"], e["peak_rss"]) for e in ends]
        assert one(ev, "run_end")["done"] == len(pairs)


def _two_mid_flight(d):
    """A plan of three pairs, the first two running when mergewatch is
    SIGKILLed: (plan, {pair: pid} of the orphans left running)."""
    plan = d.write("plan.ini", f"""
[run]
jobs = auto
memory_budget = 350M
[limits]
expected_ratio = {EXPECTED}
[pair one]
command = {SIM} --peak 20M --hold 4s --write one.out 100
inputs = in/one
output = one.out
[pair two]
command = {SIM} --peak 20M --hold 4s --write two.out 100
inputs = in/two
output = two.out
[pair three]
command = {SIM} --peak 300M --hold 0.2s --write three.out 100
inputs = in/three
output = three.out
""")
    d.blob("in/one", 5 * MiB)
    d.blob("in/two", 5 * MiB)
    d.blob("in/three", 75 * MiB)     # predicted 330M: waits for one and two
    log = d.path / "mergewatch-logs/events.jsonl"
    state = d.path / "mergewatch-logs/state"

    def both_recorded():
        # the state names both processes (what the next mergewatch reads),
        # and the log says both started (written just after the state)
        try:
            pairs = json.loads(state.read_text())["pairs"]
            starts = of(read_events(log), "pair_start")
        except (FileNotFoundError, ValueError):
            return None
        return all(pairs.get(n, {}).get("pid") for n in ("one", "two")) and len(starts) == 2

    p = start(["run", "--headless", str(plan)])
    try:
        wait_for(both_recorded)
        starts = of(read_events(log), "pair_start")
    finally:
        p.send_signal(signal.SIGKILL)       # mergewatch dies, two pairs mid-flight
        p.wait()
    orphans = {e["pair"]: e["pid"] for e in starts}
    assert set(orphans) == {"one", "two"}
    assert all(alive(pid) for pid in orphans.values())
    return plan, orphans


def test_resume_after_sigkill_with_two_pairs_mid_flight():
    with Dir() as d:
        plan, orphans = _two_mid_flight(d)
        rc, ev, err = run(["run", "--headless", str(plan)])
        assert rc == 0, err
        for name, pid in orphans.items():
            adopted = one(ev, "pair_start", pair=name)
            assert adopted["pid"] == pid and adopted.get("adopted") is True
            assert one(ev, "pair_end", pair=name)["status"] == "done"
        # both adopted before the third started, and nothing ran twice
        names = [e["pair"] for e in of(ev, "pair_start")]
        assert names == ["one", "two", "three"], names
        assert one(ev, "pair_end", pair="three")["status"] == "done"


def test_sigkill_after_a_requeue_and_with_capped_pairs_mid_flight_fails_no_pair():
    # mergewatch dies just after a pair was requeued for the budget, with
    # pairs running under caps the budget lowered. The next run must run
    # the requeued pair again (not judge its SIGKILL a failure) and must
    # not let an adopted pair die at the dead run's lowered cap: every
    # pair is done, once.
    text = f"[run]\njobs = auto\nmemory_budget = 400M\n[limits]\nexpected_ratio = {EXPECTED}\n"
    with Dir() as d:
        for name, inp, peak, hold in [("a", 25, 160, 3), ("b", 20, 125, 3), ("c", 20, 80, 4),
                                      ("d", 20, 80, 4), ("e", 10, 60, 2)]:
            d.blob(f"in/{name}", inp * MiB)
            text += (f"\n[pair {name}]\ncommand = {SIM} --peak {peak}M --rate 100M/s "
                     f"--hold {hold}s --write {name}.out 10\ninputs = in/{name}\n"
                     f"output = {name}.out\n")
        plan = d.write("plan.ini", text)
        log = d.path / "mergewatch-logs/events.jsonl"
        p = start(["run", "--headless", "--interval", "200ms", str(plan)], cwd=d.path)
        try:
            wait_for(lambda: of(read_events(log), "pair_end", status="requeued"), timeout=60)
        finally:
            p.send_signal(signal.SIGKILL)
            p.wait()
        first = len(read_events(log))
        rc, _, err = run(["run", "--headless", "--interval", "200ms", str(plan)], cwd=d.path)
        ev = read_events(log)[first:]
        assert rc == 0, (err, ev)
        assert not of(ev, "pair_end", status="failed") and not of(ev, "pair_end", status="killed")
        for name in "abcde":
            assert len(of(ev, "pair_end", pair=name, status="done")) == 1, (name, ev)
        assert one(ev, "run_end")["done"] == 5


def _story(ev):
    """What a run did, without times, PIDs and measured figures."""
    keep = ("pair", "status", "reason", "attempt", "exit_code", "signal", "done", "failed",
            "killed", "skipped", "input_bytes")
    return [(e["event"],) + tuple(e.get(k) for k in keep)
            for e in ev if e["event"] not in ("progress", "pressure", "resolved")]


def _mixed_plan(d, run_keys):
    """A pass, a failure retried, a kill at kill_rss retried, a pass."""
    d.blob("in/a", 10 * MiB)
    d.blob("in/c", 10 * MiB)
    return d.write("plan.ini", f"""
[run]
on_failure = retry
retries = 1
{run_keys}
[limits]
kill_rss = 150M
[pair a]
command = {SIM} --peak 30M --hold 0.3s
inputs = in/a
[pair b]
command = exit 3
[pair c]
command = {SIM} --peak 400M --rate 400M/s --hold 5s
inputs = in/c
[pair d]
command = {SIM} --peak 10M --hold 0.2s
""")


def test_jobs_1_is_one_at_a_time_event_for_event():
    runs = {
        "default": ("", []),
        "jobs1": ("jobs = 1\n", []),
        "budget": ("jobs = 1\nmemory_budget = 1M\n", []),   # the budget plays no part
        "option": ("jobs = auto\n", ["--jobs", "1"]),        # --jobs 1 beats the plan
    }
    stories = {}
    for name, (run_keys, options) in runs.items():
        with Dir() as d:
            plan = _mixed_plan(d, run_keys)
            rc, ev, err = run(["run", "--headless"] + options + [str(plan)])
            assert rc == 1, err
            stories[name] = _story(ev)
            intervals = _intervals(ev)
            for (_, _, end, _), (_, begin, _, _) in zip(intervals, intervals[1:]):
                assert end <= begin       # one at a time, in file order
            assert [i[0] for i in intervals] == ["a", "b", "b", "c", "c", "d"]
    assert stories["default"] == stories["jobs1"] == stories["budget"] == stories["option"]
    kills = [s for s in stories["default"] if s[0] == "kill"]
    assert kills and all(k[3] == "rss" for k in kills), stories["default"]


def test_check_prints_the_schedule_against_one_at_a_time():
    with Dir() as d:
        plan = _plan(d, [(n, p, 1) for n, p in
                         (("a", 200), ("b", 180), ("c", 80), ("d", 60))], "300M")
        p = subprocess.run([MW, "check", str(plan)], capture_output=True, text=True,
                           timeout=30)
        assert p.returncode == 0, p.stderr
        assert re.search(r"^jobs = auto\b", p.stdout, flags=re.M)
        m = re.search(r"^; schedule: jobs = auto, memory_budget = 300\.0 MiB: makespan "
                      r"([0-9.]+) x one at a time \(lower bound ([0-9.]+)\), at most (\d+) "
                      r"pairs at once$", p.stdout, flags=re.M)
        assert m, p.stdout
        makespan, bound, most = float(m.group(1)), float(m.group(2)), int(m.group(3))
        # a with d, then b with c: 200+180 of 520 input bytes one after another
        assert abs(makespan - (200 + 180) / 520) < 0.01, makespan
        assert bound <= makespan < 1 and most == 2


def test_dashboard_lists_every_running_pair_and_the_budget():
    with Dir() as d:
        # huge (predicted 4.4 x 70M = 308M) fits only when nothing else runs
        plan = _plan(d, [("north", 40, 20), ("south", 40, 20), ("west", 40, 20),
                         ("huge", 280, 1)], "300M")
        with Tmux(f"{MW} run {plan}", 120, 30, cwd=d.path) as t:
            s = t.wait_text("3 running")
            header = s.splitlines()[0]
            assert re.search(r"3 running, [0-9.]+ MiB of 300\.0 MiB budget", header), header
            for name in ("north", "south", "west"):
                assert name in s, s
            # the pending pair says what it waits for, in figures: in its
            # row (cut to the column) and whole on the next: line once selected
            row = next(l for l in t.wait_text("waits for room").splitlines() if " huge " in l)
            assert "waits for room: needs 308.0" in row, row
            t.keys("End")
            s = t.wait_text("Processes huge")
            assert re.search(r"next: waits for room: needs 308\.0 MiB, [0-9.]+ MiB of the "
                             r"budget free", s), s
            # the keys act on the selected pair only: select south, kill it
            log = d.path / "mergewatch-logs/events.jsonl"
            t.keys("Home")
            t.keys("Down")
            time.sleep(0.5)
            assert "Processes south" in t.screen(), t.screen()   # its tree is shown
            t.keys("k")
            time.sleep(0.3)
            t.keys("y")
            end = wait_for(lambda: of(read_events(log), "pair_end"))
            assert [(e["pair"], e["status"], e["reason"]) for e in end] == \
                [("south", "killed", "operator")], end
            assert all(e["pair"] == "south" for e in of(read_events(log), "kill"))
            t.wait_text("2 running")
            t.keys("q")
            t.wait_text("y")
            t.keys("y")


def _tree_states(pid):
    """The State letters of a pair's processes (its root and below)."""
    states = set()
    for q in [pid] + descendants(pid):
        try:
            states.add(status_field(q, "State")[0])
        except (ProcessLookupError, OSError):
            pass
    return states


def test_pause_restart_and_skip_act_on_the_selected_pair_only():
    # jobs = 3 with four pairs: the keys act on the selected row's pair and
    # leave the other running pairs alone; a skipped pair frees its slot.
    with Dir() as d:
        plan = _plan(d, [("north", 40, 60), ("south", 40, 60), ("west", 40, 60),
                         ("east", 40, 1)], "300M", jobs=3)
        log = d.path / "mergewatch-logs/events.jsonl"
        with Tmux(f"{MW} run {plan}", 120, 30, cwd=d.path) as t:
            t.wait_text("3 running")
            pid = {e["pair"]: e["pid"] for e in of(read_events(log), "pair_start")}
            assert set(pid) == {"north", "south", "west"}, pid
            t.keys("Home")
            t.keys("Down")
            wait_for(lambda: "Processes south" in t.screen())
            t.keys("p")
            wait_for(lambda: _tree_states(pid["south"]) == {"T"})
            assert "T" not in _tree_states(pid["north"]) | _tree_states(pid["west"])
            t.keys("p")
            wait_for(lambda: "T" not in _tree_states(pid["south"]))
            t.keys("r")
            t.wait_text("y")
            t.keys("y")
            wait_for(lambda: len(of(read_events(log), "pair_start", pair="south")) == 2)
            ev = read_events(log)
            assert [(e["pair"], e["status"], e["reason"]) for e in of(ev, "pair_end")] == \
                [("south", "killed", "operator")], of(ev, "pair_end")
            assert of(ev, "pair_start", pair="south")[1]["attempt"] == 2
            t.keys("Down")
            wait_for(lambda: "Processes west" in t.screen())
            t.keys("s")
            t.wait_text("y")
            t.keys("y")
            # west's slot goes to east, which runs its second and is done
            wait_for(lambda: of(read_events(log), "pair_end", pair="east", status="done"))
            ev = read_events(log)
            assert one(ev, "pair_end", pair="west")["status"] == "skipped"
            assert not of(ev, "pair_end", pair="north")
            assert alive(pid["north"])
            t.keys("q")
            t.wait_text("y")
            t.keys("y")


def test_check_times_the_schedule_at_the_pace_of_the_pairs_done():
    with Dir() as d:
        d.blob("in/a", 10 * MiB)
        d.blob("in/b", 10 * MiB)
        d.blob("in/c", 20 * MiB)
        d.blob("in/e", 40 * MiB)
        plan = d.write("plan.ini", f"""
[run]
jobs = auto
memory_budget = 1G
[pair a]
command = {SIM} --peak 10M --hold 1s
inputs = in/a
[pair b]
command = {SIM} --peak 10M --hold 1s
inputs = in/b
[pair c]
command = exit 1
inputs = in/c
[pair e]
command = exit 1
inputs = in/e
""")
        rc, ev, err = run(["run", "--headless", str(plan)])
        assert rc == 1, err
        p = subprocess.run([MW, "check", str(plan)], capture_output=True, text=True,
                           timeout=30)
        assert p.returncode == 0, p.stderr
        # a and b took about a second for 10 MiB: c and e (20 and 40 MiB) fit
        # together, so the run takes as long as e
        m = re.search(r"^;   about (\d+)s against (\d+)s one at a time, at the pace of the "
                      r"pairs done so far$", p.stdout, flags=re.M)
        assert m, p.stdout
        together, alone = int(m.group(1)), int(m.group(2))
        assert together < alone and abs(alone - together * 60 / 40) <= 1, (together, alone)
