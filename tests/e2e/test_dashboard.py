"""The dashboard in a real terminal (tmux): panes, resize, operator keys,
hostile names, NO_COLOR, quitting, losing the terminal."""
import os
import subprocess
import re
import signal
import time

from mwlib import BLOCKS, MW, SIM, Dir, Tmux, alive, cells, of, one, read_events, wait_for

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
        t.wait_text("running #2")                # not "running \u2026"
        time.sleep(0.5)
        t.keys("s")
        time.sleep(0.3)
        t.keys("y")
        end = wait_for(lambda: of(events(d), "pair_end", pair="first", attempt=2))[0]
        assert end["status"] == "skipped" and end["reason"] == "operator"
        done = wait_for(lambda: of(events(d), "pair_end", pair="second"))[0]
        assert done["status"] == "done"          # the run went on
        t.wait_text("Run over")


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


# What an operator reads (issue 14): at 80x24, 120x40 and 200x50.
SIZES = ((80, 24), (120, 40), (200, 50))


def graph_rows(screen):
    """The Memory pane's history rows: the lines between "avail" and the
    Pairs title, left of the separator before Swap."""
    lines = screen.splitlines()
    start = next(i for i, l in enumerate(lines) if l.startswith("avail"))
    end = next(i for i, l in enumerate(lines) if "Pairs" in l)
    return [l.split("\u2502")[0] for l in lines[start + 1:end]]


def test_memory_graph_has_bars_within_ten_seconds_at_every_size():
    for cols, rows in SIZES:
        with Dir() as d, Tmux(f"{MW} run {plan(d, steps_pair('g'))}", cols, rows,
                              cwd=d.path) as t:
            t.wait_text("Processes")
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                if any(ch in row for row in graph_rows(t.screen()) for ch in BLOCKS):
                    break
                time.sleep(0.2)
            else:
                raise AssertionError(f"{cols}x{rows}: no graph bars:\n{t.screen()}")
            t.keys("k")
            t.wait_text("Kill")
            t.keys("y")


def test_what_happens_next_is_said_in_words_without_colour():
    body = (f"[limits]\nkill_rss = 1G\ntimeout = 5m\n"
            f"[pair nxt]\ncommand = {SIM} --rate 20M/s --peak 200M --hold 60s --progress 100\n")
    with Dir() as d, Tmux(f"{MW} run {plan(d, body)}", 80, 24, env={"NO_COLOR": "1"},
                          cwd=d.path) as t:
        for cols, rows in SIZES:
            t.resize(cols, rows)
            time.sleep(1.5)   # redrawn at the new size
            s = t.wait_text("ETA ")
            assert not colours(t.screen_escapes())
            nxt = [l for l in s.splitlines() if l.startswith("next:")]
            assert nxt, s
            assert re.search(r"[0-9.]+ MiB to kill line 1\.0 GiB", nxt[0]), s
            assert re.search(r"timeout in 4m[0-9]{2}s", s), s
            assert max(len(l) for l in s.splitlines()) <= cols
            if cols >= 120:   # the pairs table says it too, on the pair's row
                row = [l for l in s.splitlines() if " nxt " in l or l.startswith("\u25b6 nxt")]
                assert row and "to kill line" in row[0], s
                assert cols < 200 or "timeout in" in row[0], s
        t.keys("k")
        t.wait_text("Kill")
        t.keys("y")


def test_stalled_pair_says_when_the_deadlock_verdict_comes_and_what_follows():
    body = ("[limits]\ndeadlock_window = 1m\non_deadlock = kill\n"
            f"[pair stuck]\ncommand = {SIM} --peak 10M --deadlock --threads 2\n")
    with Dir() as d, Tmux(f"{MW} run {plan(d, body)}", 80, 24, env={"NO_COLOR": "1"},
                          cwd=d.path) as t:
        s = t.wait_text("deadlock verdict in", timeout=30)
        assert re.search(r"no progress \d+s: deadlock verdict in \d+s, then SIGKILL", s), s
        t.keys("k")
        t.wait_text("Kill")
        t.keys("y")


def test_selected_row_progress_bar_is_not_reversed():
    body = f"[pair sel]\ncommand = {SIM} --steps 20 --step-time 300ms\n"
    with Dir() as d, Tmux(f"{MW} run {plan(d, body)}", 80, 24, cwd=d.path) as t:
        t.wait_text("sel")
        wait_for(lambda: any("\u25b6" in l and "\u2588" in l for l in t.screen().splitlines()),
                 timeout=15)
        line = next(l for l in t.screen_escapes().splitlines() if "\u25b6" in l)
        row = cells(line)
        assert any(rev for ch, rev in row if ch == "s"), line       # the row is selected
        blocks = [rev for ch, rev in row if ch == "\u2588"]
        assert blocks and not any(blocks), line                     # its bar is not reversed
        wait_for(lambda: of(events(d), "run_end"), timeout=30)


def test_l_shows_the_jobs_log_following_its_latest_line():
    body = f"[pair talk]\ncommand = for i in $(seq 1 300); do echo line-$i; sleep 0.2; done\n"
    with Dir() as d, Tmux(f"{MW} run {plan(d, body)}", 80, 24, cwd=d.path) as t:
        t.wait_text("talk")
        t.keys("l")
        t.wait_text("talk, following the end")
        time.sleep(4)
        log = (d.path / "mergewatch-logs/talk.log").read_text().split()
        s = t.screen()
        shown = [int(w.split("-")[1]) for w in s.split() if w.startswith("line-")]
        # the latest lines, within what the job wrote since the capture
        assert shown and max(shown) >= int(log[-1].split("-")[1]) - 10, s
        before = max(shown)
        time.sleep(2.5)   # the screen follows at the next tick
        assert max(int(w.split("-")[1]) for w in t.screen().split() if w.startswith("line-")) > before
        t.keys("Up")
        t.wait_text("scrolled up")
        t.keys("Escape")
        t.wait_text("Processes")


def test_summary_stays_after_q_and_after_leaving_a_pair_running():
    body = (f"[pair ok]\ncommand = {SIM} --steps 2 --step-time 100ms\n"
            f"[pair bad]\ncommand = {SIM} --exit 3\n")
    with Dir() as d, Tmux(f"{MW} run {plan(d, body)}", 80, 24, cwd=d.path) as t:
        t.wait_text("Run over: 1 done, 1 failed, 0 killed, 0 skipped")
        assert "Run over: run over" not in t.screen()
        t.keys("q")
        s = t.wait_text("mergewatch report")
        logs = str(d.path / "mergewatch-logs")
        assert "mergewatch: run over: 1 done, 1 failed" in s
        assert re.search(r"bad\s+failed \(exit 3", s) and re.search(r"ok\s+done", s), s
        assert f"log {logs}/bad.log" in s
        assert f"report: mergewatch report {logs}" in s
    with Dir() as d, Tmux(f"{MW} run {plan(d, steps_pair('keep', '--steps 30'))}", 80, 24,
                          cwd=d.path) as t:
        pid = wait_for(lambda: of(events(d), "pair_start"))[0]["pid"]
        t.wait_text("keep")
        t.keys("q")
        t.wait_text("Quit")
        t.keys("n")
        s = t.wait_text("mergewatch report")
        try:
            assert "keep" in s and f"left running, unwatched (PID {pid})" in s, s
        finally:
            os.kill(pid, signal.SIGKILL)


def test_six_pairs_all_show_at_80x24():
    body = "".join(steps_pair(f"p{i}", "--steps 30") for i in range(6))
    with Dir() as d, Tmux(f"{MW} run {plan(d, body)}", 80, 24, cwd=d.path) as t:
        s = t.wait_text("Processes")
        for i in range(6):
            assert re.search(rf"\bp{i}\b", s), s
        assert "of 6]" not in s                      # no scrolling needed
        t.keys("q")
        t.wait_text("Quit")
        t.keys("y")


def test_wide_terminal_uses_the_width():
    body = steps_pair("wide", "--steps 30")
    with Dir() as d, Tmux(f"{MW} run {plan(d, body)}", 200, 50, cwd=d.path) as t:
        s = t.wait_text("NEXT / ENDED")
        row = next(l for l in s.splitlines() if "wide" in l and "running" in l)
        assert len(row.rstrip()) > 120, row          # the pairs table uses the width
        alerts = next(l for l in s.splitlines() if "Alerts" in l)
        assert alerts.index("Alerts") < 100          # Processes takes what it needs
        t.keys("k")
        t.wait_text("Kill")
        t.keys("y")


def test_help_explains_columns_and_marks_and_unknown_keys_are_answered():
    with Dir() as d, Tmux(f"{MW} run {plan(d, steps_pair('h'))}", 80, 24, cwd=d.path) as t:
        t.wait_text("Processes")
        t.keys("?")
        t.wait_text("Help")
        # the box may be caught half drawn: wait for the whole of it
        words = ("FUTEX", "RATIO", "deadlock?", "colours", "\u25cf", "\u25b6", "next:",
                 "restart")
        try:
            wait_for(lambda: all(w in t.screen() for w in words), timeout=10)
        except AssertionError:
            pass
        s = t.screen()
        for word in words:
            assert word in s, (word, s)
        t.keys("x")
        t.wait_gone("colours")
        t.keys("Z")
        t.wait_text("'Z': not a key here; ? lists the keys")
        t.keys("a")
        s = t.wait_text("acknowledge")
        assert "No such file" not in s
        t.keys("k")
        t.wait_text("Kill")
        t.keys("y")


def test_watch_offers_no_restart_and_shows_a_sigterm_kill_as_exited():
    proc = subprocess.Popen(["sleep", "60"])
    try:
        with Dir() as d, Tmux(f"{MW} watch {proc.pid}", 80, 24, cwd=d.path,
                              env={"XDG_STATE_HOME": str(d.path / "state")}) as t:
            s = t.wait_text("Processes")
            footer = s.rstrip().splitlines()[-1]
            assert "restart" not in footer and "skip" not in footer, footer
            t.keys("?")
            s = t.wait_text("Help")
            assert "restart" not in s
            t.keys("x")
            t.keys("l")    # no log: mergewatch captures nothing of a process it did not start
            t.wait_text("keeps no log of processes it did not start")
            proc.terminate()
            proc.wait()
            s = t.wait_text("exited")
            row = next(l for l in s.splitlines() if str(proc.pid) in l and "exited" in l)
            assert "done" not in row, row
            assert (d.path / "state/mergewatch/events.jsonl").exists()
            assert not (d.path / "mergewatch-logs").exists()
    finally:
        proc.kill()
        proc.wait()


def test_lang_c_shows_the_programs_own_dashes_as_ascii():
    with Dir() as d, Tmux(f"{MW} run {plan(d, steps_pair('c'))}", 80, 24, cwd=d.path,
                          env={"LANG": "C", "LC_ALL": "C"}) as t:
        s = t.wait_text("pair c started")
        assert "\\xe2\\x80\\x94" not in s and "pair c started - PID" in s, s
        t.keys("k")
        t.wait_text("Kill")
        t.keys("y")
