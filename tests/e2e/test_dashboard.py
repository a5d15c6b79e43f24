"""The dashboard in a real terminal (tmux): panes, resize, operator keys,
hostile names, NO_COLOR, quitting, losing the terminal."""
import os
import re
import signal
import time

from mwlib import MW, SIM, Dir, Tmux, alive, of, one, read_events, wait_for

PANES = ("Memory", "Swap", "Pairs", "Processes", "Alerts")


def plan(d, body):
    d.write("plan.ini", body)
    return d.path / "plan.ini"


def steps_pair(name, extra=""):
    return f"[pair {name}]\ncommand = {SIM} {extra or '--steps 60 --step-time 1s'}\n"


def events(d):
    return read_events(d.path / "mergewatch-logs/events.jsonl")


def colours(text):
    """The colour parameters of every SGR sequence in text (39 and 49, the
    default colours, are not colours)."""
    found = []
    for params in re.findall(r"\x1b\[([0-9;]*)m", text):
        for p in params.split(";"):
            if p and (30 <= int(p) <= 38 or 40 <= int(p) <= 48 or 90 <= int(p) <= 107):
                found.append(p)
    return found


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def test_all_panes_at_80x24_and_200x50_and_after_a_resize():
    with Dir() as d, Tmux(f"{MW} run {plan(d, steps_pair('calm'))}", 80, 24, cwd=d.path) as t:
        s = t.wait_text("Processes")
        for p in PANES:
            assert p in s, s
        assert "calm" in s and "q quit" in s
        assert max(len(line) for line in s.splitlines()) <= 80
        t.resize(200, 50)
        time.sleep(1.5)
        s = t.screen()
        for p in PANES:
            assert p in s, s
        assert max(len(line.rstrip()) for line in s.splitlines()) > 100   # uses the space
        t.resize(80, 24)
        time.sleep(1.5)
        s = t.screen()
        for p in PANES:
            assert p in s, s
        t.keys("q")
        t.wait_text("y")
        t.keys("y")


def test_k_then_y_kills_the_running_pair_with_reason_operator():
    with Dir() as d, Tmux(f"{MW} run {plan(d, steps_pair('victim'))}", cwd=d.path) as t:
        start = wait_for(lambda: of(events(d), "pair_start"))[0]
        t.wait_text("victim")
        t.keys("k")
        time.sleep(0.5)
        assert alive(start["pid"])        # asks first
        t.keys("y")
        kill = wait_for(lambda: of(events(d), "kill"))[0]
        assert kill["reason"] == "operator"
        end = wait_for(lambda: of(events(d), "pair_end"))[0]
        assert end["status"] == "killed" and end["reason"] == "operator"
        t.wait_text("killed")
        t.keys("q")


def test_r_restarts_and_s_skips():
    body = f"""
[pair first]
command = {SIM} --steps 60 --step-time 1s
[pair second]
command = {SIM} --steps 2 --step-time 100ms
"""
    with Dir() as d, Tmux(f"{MW} run {plan(d, body)}", cwd=d.path) as t:
        wait_for(lambda: of(events(d), "pair_start", pair="first"))
        t.wait_text("first")
        t.keys("r")
        time.sleep(0.3)
        t.keys("y")
        starts = wait_for(lambda: len(of(events(d), "pair_start", pair="first")) == 2 and
                          of(events(d), "pair_start", pair="first"))
        assert [s["attempt"] for s in starts] == [1, 2]
        assert of(events(d), "kill", pair="first")[0]["reason"] == "operator"
        time.sleep(0.5)
        t.keys("s")
        time.sleep(0.3)
        t.keys("y")
        end = wait_for(lambda: of(events(d), "pair_end", pair="first", attempt=2))[0]
        assert end["status"] == "skipped" and end["reason"] == "operator"
        done = wait_for(lambda: of(events(d), "pair_end", pair="second"))[0]
        assert done["status"] == "done"          # the run went on
        t.wait_text("run over")


def descendant_named(root, comm):
    """The first process named comm below root (the pair's root is its
    supervisor, then the shell, then the job)."""
    todo = [root]
    while todo:
        pid = todo.pop(0)
        try:
            if open(f"/proc/{pid}/comm").read().strip() == comm:
                return pid
            todo += [int(x) for x in open(f"/proc/{pid}/task/{pid}/children").read().split()]
        except OSError:
            pass
    raise AssertionError(f"no {comm} below {root}")


def test_p_pauses_the_tree_and_resumes_it():
    with Dir() as d, Tmux(f"{MW} run {plan(d, steps_pair('busy', '--spin 60s'))}", cwd=d.path) as t:
        pid = wait_for(lambda: of(events(d), "pair_start"))[0]["pid"]
        t.wait_text("busy")
        time.sleep(1)
        spinner = descendant_named(pid, "mergewatch-sim")
        t.keys("p")
        time.sleep(1)
        a = cpu_ticks(spinner)
        time.sleep(1)
        b = cpu_ticks(spinner)
        assert b - a <= 1, (a, b)                # stopped: no CPU time
        t.keys("p")
        time.sleep(1)
        c = cpu_ticks(spinner)
        time.sleep(1)
        assert cpu_ticks(spinner) - c > 20       # computing again
        t.keys("k")
        time.sleep(0.3)
        t.keys("y")
        wait_for(lambda: of(events(d), "pair_end"))


def test_quit_leaving_the_pair_running_leaves_it_alive():
    with Dir() as d, Tmux(f"{MW} run {plan(d, steps_pair('keep', '--steps 30 --step-time 1s'))}", cwd=d.path) as t:
        pid = wait_for(lambda: of(events(d), "pair_start"))[0]["pid"]
        t.wait_text("keep")
        t.keys("q")
        time.sleep(0.5)
        t.keys("n")
        wait_for(lambda: of(events(d), "run_end"))
        time.sleep(0.5)
        try:
            assert alive(pid) and of(events(d), "kill") == []
        finally:
            os.kill(pid, signal.SIGKILL)


def test_hostile_process_name_is_shown_escaped():
    name_hex = "1b5b324a1b5b48414141"             # ESC[2J ESC[H AAA
    body = f"[pair hostile]\ncommand = exec {SIM} --name-hex {name_hex} --steps 60 --step-time 1s\n"
    with Dir() as d, Tmux(f"{MW} run {plan(d, body)}", cwd=d.path) as t:
        s = t.wait_text("\\x1b[2J")
        for p in PANES:
            assert p in s, s                     # the screen was not cleared
        t.keys("k")
        time.sleep(0.3)
        t.keys("y")
        wait_for(lambda: of(events(d), "pair_end"))


def test_no_color_sends_no_colour():
    body = f"[pair plain]\ncommand = {SIM} --steps 60 --step-time 1s\n"
    with Dir() as d, Tmux(f"{MW} run {plan(d, body)}", env={"NO_COLOR": "1"}, cwd=d.path) as t:
        t.wait_text("plain")
        time.sleep(1)
        assert not colours(t.screen_escapes())
        t.keys("k")
        time.sleep(0.3)
        t.keys("y")
    with Dir() as d, Tmux(f"{MW} run {plan(d, body)}", cwd=d.path) as t:
        t.wait_text("plain")
        time.sleep(1)
        assert colours(t.screen_escapes())
        t.keys("k")
        time.sleep(0.3)
        t.keys("y")


def test_terminal_lost_enforcement_goes_on_headless():
    body = f"""
[limits]
kill_rss = 300M
[pair late]
command = {SIM} --steps 3 --step-time 1s; exec {SIM} --rate 200M --peak 2G --hold 30s
"""
    with Dir() as d:
        t = Tmux(f"{MW} run {plan(d, body)}", cwd=d.path)
        try:
            wait_for(lambda: of(events(d), "pair_start"))
            t.wait_text("late")
        finally:
            t.close()                          # the terminal goes away: SIGHUP
        kill = wait_for(lambda: of(events(d), "kill"), timeout=30)[0]
        assert kill["reason"] == "rss"
        wait_for(lambda: of(events(d), "run_end"), timeout=15)


def test_quit_stopping_the_pair_waits_for_it_to_go():
    body = "[limits]\nkill_grace = 1s\n[pair stubborn]\ncommand = trap '' TERM; sleep 60\n"
    with Dir() as d, Tmux(f"{MW} run {plan(d, body)}", cwd=d.path) as t:
        pid = wait_for(lambda: of(events(d), "pair_start"))[0]["pid"]
        t.wait_text("stubborn")
        t.keys("q")
        time.sleep(0.5)
        t.keys("y")
        end = wait_for(lambda: of(events(d), "run_end"), timeout=20)
        ev = events(d)
        assert [k["signal"] for k in of(ev, "kill")] == ["SIGTERM", "SIGKILL"]
        assert one(ev, "pair_end")["status"] == "killed"
        assert not alive(pid) and end
