"""Lose nothing: the eight ways issue 11 found to lose a checkpoint or trust
a wrong output, each met as a user would meet it, and what the supervisor
and the lifecycle record make of them."""
import ctypes
import json
import os
import pathlib
import signal
import time

from mwlib import (MW, SIM, MiB, Dir, Tmux, alive, children, comm, of, one, read_events, run,
                   start, wait_for)

PR_SET_CHILD_SUBREAPER = 36


def logs(d):
    return d.path / "mergewatch-logs"


def events(d):
    return read_events(logs(d) / "events.jsonl")


def state(d):
    return json.loads((logs(d) / "state").read_text())


def status_of(d, pair):
    try:
        return state(d)["pairs"][pair]["status"]
    except (FileNotFoundError, KeyError, json.JSONDecodeError):
        return None


def stat_fields(pid):
    try:
        with open(f"/proc/{pid}/stat", errors="replace") as f:
            return f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None


def session_pids(sid):
    """Live processes of session sid: a pair's supervisor, job and
    descendants."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            f = stat_fields(int(entry))
            if f and int(f[3]) == sid and f[0] != "Z":
                found.append(int(entry))
    return found


def kill_session(sid):
    for pid in session_pids(sid):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def crash(p):
    """mergewatch dies at once (SIGKILL): no chance to record anything."""
    p.send_signal(signal.SIGKILL)
    p.communicate()


def plan(d, body, name="plan.ini"):
    d.write(name, body)
    return str(d.path / name)


def checkpoint(d, name, files, size=1000):
    root = d.path / name
    for i in range(files):
        sub = root / f"part{i // 500:03d}"
        if i % 500 == 0:
            sub.mkdir(parents=True, exist_ok=True)
        with open(sub / f"f{i:06d}.parquet", "wb") as f:
            f.truncate(size)
    return root


def count_files(root):
    return sum(len(files) for _, _, files in os.walk(root))


# --------------------------------------------------------------------------
# 1. A crash during cleanup

def test_crash_during_cleanup_finishes_the_cleanup_and_never_reruns_the_pair():
    with Dir() as d:
        ck = checkpoint(d, "ck", 20000)
        p_ini = plan(d, """
[pair merge]
command = echo run >> ran.txt; find ck -type f | wc -l > out.txt
output = out.txt
verify = test -s out.txt
cleanup = ck
""")
        p = start(["run", "--headless", p_ini])
        try:
            # the cleanup process appears: hold it still, then crash everything
            cl = wait_for(lambda: [c for c in children(p.pid) if comm(c) == "mw-cleanup"],
                          step=0.001)[0]
            os.kill(cl, signal.SIGSTOP)
            assert status_of(d, "merge") == "cleaning", state(d)
        finally:
            crash(p)
        os.kill(cl, signal.SIGKILL)
        wait_for(lambda: not alive(cl))
        assert ck.exists()
        out = (d.path / "out.txt").read_text()
        mtime = (d.path / "out.txt").stat().st_mtime_ns
        assert out.strip() == "20000"

        rc, ev, err = run(["run", "--headless", p_ini])
        assert rc == 0, err
        assert of(ev, "pair_start") == [], "a pair whose cleanup had begun was run again"
        end = one(ev, "pair_end", pair="merge")
        assert end["status"] == "done", end
        one(ev, "cleanup", pair="merge")
        assert not ck.exists()
        assert (d.path / "ran.txt").read_text() == "run\n"
        assert (d.path / "out.txt").read_text() == out
        assert (d.path / "out.txt").stat().st_mtime_ns == mtime
        assert status_of(d, "merge") == "done"


# --------------------------------------------------------------------------
# 2. A dead orphan, adopted and trusted

STEPWISE = """
[pair steps]
command = echo run >> ran.txt; echo partial > out.txt; test -e finish || sleep 30; echo full > out.txt
output = out.txt
cleanup = ck
"""


def test_a_pair_that_died_with_mergewatch_runs_again_and_its_partial_output_is_not_done():
    libc = ctypes.CDLL(None, use_errno=True)
    with Dir() as d:
        checkpoint(d, "ck", 3)
        p_ini = plan(d, STEPWISE)
        # As init would, but slower: the orphaned root stays a zombie of
        # this process until it is reaped, as happens after a crash.
        assert libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
        try:
            p = start(["run", "--headless", p_ini])
            try:
                root = wait_for(lambda: of(events(d), "pair_start"))[0]["pid"]
                wait_for(lambda: (d.path / "out.txt").exists() and
                         (d.path / "out.txt").read_text() == "partial\n")
            finally:
                crash(p)
            kill_session(root)           # the machine-level crash takes the pair too
            wait_for(lambda: stat_fields(root) and stat_fields(root)[0] == "Z")
            (d.path / "finish").write_text("")
            rc, ev, err = run(["run", "--headless", p_ini])
        finally:
            libc.prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0)
            reap_all()
        assert rc == 0, err
        starts = of(ev, "pair_start", pair="steps")
        assert len(starts) == 1 and not starts[0].get("adopted"), starts
        assert [e["status"] for e in of(ev, "pair_end", pair="steps")] == ["interrupted", "done"]
        assert (d.path / "ran.txt").read_text().split() == ["run", "run"]
        assert (d.path / "out.txt").read_text() == "full\n"
        assert not (d.path / "ck").exists()


def reap_all():
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            time.sleep(0.05)


def test_an_adopted_orphan_killed_from_outside_is_not_done():
    with Dir() as d:
        checkpoint(d, "ck", 3)
        p_ini = plan(d, STEPWISE)
        p = start(["run", "--headless", p_ini])
        try:
            root = wait_for(lambda: of(events(d), "pair_start"))[0]["pid"]
            wait_for(lambda: (d.path / "out.txt").exists())
        finally:
            crash(p)
        assert alive(root)
        before = len(events(d))
        q = start(["run", "--headless", p_ini])
        try:
            wait_for(lambda: of(events(d)[before:], "pair_start", adopted=True))
            (d.path / "finish").write_text("")
            kill_session(root)          # the status of the adopted job is lost
            out, err = q.communicate(timeout=60)
        finally:
            if q.poll() is None:
                crash(q)
        ev = events(d)[before:]
        assert q.returncode == 0, err
        ends = of(ev, "pair_end", pair="steps")
        assert [e["status"] for e in ends] == ["interrupted", "done"], ends
        assert (d.path / "ran.txt").read_text().split() == ["run", "run"]
        assert (d.path / "out.txt").read_text() == "full\n"


def test_an_orphan_s_exit_status_outlives_mergewatch():
    with Dir() as d:
        checkpoint(d, "ck", 3)
        p_ini = plan(d, """
[pair fails]
command = echo run >> ran.txt; echo x > out.txt; sleep 1; exit 3
output = out.txt
cleanup = ck
""")
        p = start(["run", "--headless", p_ini])
        try:
            root = wait_for(lambda: of(events(d), "pair_start"))[0]["pid"]
        finally:
            crash(p)
        wait_for(lambda: not alive(root))
        record = (logs(d) / "fails.job").read_text()
        assert "state=ended exit_code=3" in record, record
        rc, ev, err = run(["run", "--headless", p_ini])
        assert rc == 1, err
        end = one(ev, "pair_end", pair="fails")
        assert end["status"] == "failed" and end["exit_code"] == 3, end
        assert (d.path / "ran.txt").read_text().split() == ["run"]
        assert (d.path / "ck").exists()


# --------------------------------------------------------------------------
# 3. cleanup and symbolic links

def test_cleanup_of_a_link_removes_the_link_never_its_target():
    with Dir() as d:
        target = checkpoint(d, "data/2026-run", 50)
        (d.path / "ck").mkdir()
        (d.path / "ck/inside-link").symlink_to(target)
        (d.path / "latest").symlink_to(target)
        p_ini = plan(d, """
[pair a]
command = echo x > a.out
output = a.out
cleanup = latest
[pair b]
command = echo x > b.out
output = b.out
cleanup = ck
""")
        rc, ev, err = run(["run", "--headless", p_ini])
        assert rc == 0, err
        assert not os.path.lexists(d.path / "latest")
        assert not os.path.lexists(d.path / "ck")
        assert count_files(target) == 50
        assert one(ev, "cleanup", pair="a")["bytes_freed"] == 0


# --------------------------------------------------------------------------
# 4. A stale output

def test_a_stale_output_is_not_trusted():
    with Dir() as d:
        checkpoint(d, "ck", 3)
        checkpoint(d, "ck2", 3)
        old = time.time() - 3600
        for name in ("merged.out", "template.out"):
            d.write(name, "from an earlier run\n")
            os.utime(d.path / name, (old, old))
        p_ini = plan(d, """
[pair stale]
command = true
output = merged.out
verify = test -s merged.out
cleanup = ck
[pair copied]
command = cp -p template.out copied.out
output = copied.out
cleanup = ck2
""")
        rc, ev, err = run(["run", "--headless", p_ini])
        assert rc == 1, err
        end = one(ev, "pair_end", pair="stale")
        assert end["status"] == "failed" and end["reason"] == "output_stale", end
        assert count_files(d.path / "ck") == 3
        # an output copied with its old times is still this attempt's
        assert one(ev, "pair_end", pair="copied")["status"] == "done"
        assert not (d.path / "ck2").exists()


# --------------------------------------------------------------------------
# 5. The state belongs to its plan

def test_a_second_plan_on_the_same_log_dir_is_refused():
    with Dir() as d:
        a = plan(d, "[pair chr01]\ncommand = echo a > a.out\noutput = a.out\n", "a.ini")
        b = plan(d, "[pair chr01]\ncommand = echo b > b.out\noutput = b.out\n", "b.ini")
        rc, ev, err = run(["run", "--headless", a])
        assert rc == 0, err
        rc, ev, err = run(["run", "--headless", b])
        assert rc == 2, (rc, ev)
        assert "a.ini" in err and "b.ini" in err, err
        assert not (d.path / "b.out").exists()


SPAN = "echo start >> spans; sleep 1.5; echo end >> spans; echo x > {out}"


def assert_never_two_at_once(d):
    spans = (d.path / "spans").read_text().split()
    assert spans == ["start", "end"] * (len(spans) // 2), spans


def test_a_renamed_pair_does_not_start_while_its_orphan_runs():
    with Dir() as d:
        p_ini = plan(d, f"[pair chr01]\ncommand = {SPAN.format(out='a.out')}\noutput = a.out\n")
        p = start(["run", "--headless", p_ini])
        try:
            root = wait_for(lambda: of(events(d), "pair_start"))[0]["pid"]
        finally:
            crash(p)
        assert alive(root)
        plan(d, f"[pair chr01-v2]\ncommand = {SPAN.format(out='b.out')}\noutput = b.out\n")
        rc, ev, err = run(["run", "--headless", p_ini])
        assert rc == 0, err
        assert not alive(root)
        assert one(ev, "pair_end", pair="chr01-v2")["status"] == "done"
        assert_never_two_at_once(d)
        assert "chr01" not in state(d)["pairs"]


# --------------------------------------------------------------------------
# 6. Adoption comes first

def test_an_orphan_is_adopted_before_any_other_pair_starts():
    with Dir() as d:
        p_ini = plan(d, f"""
[pair one]
command = test -e allow-one || exit 1; {SPAN.format(out='one.out')}
output = one.out
[pair two]
command = {SPAN.format(out='two.out')}
output = two.out
""")
        p = start(["run", "--headless", p_ini])
        try:
            wait_for(lambda: of(events(d), "pair_start", pair="two"))
            wait_for(lambda: (d.path / "spans").exists())
        finally:
            crash(p)
        (d.path / "allow-one").write_text("")
        rc, ev, err = run(["run", "--headless", p_ini])
        assert rc == 0, err
        starts = [(e["pair"], bool(e.get("adopted"))) for e in of(ev, "pair_start")]
        assert starts == [("two", True), ("one", False)], starts
        assert_never_two_at_once(d)
        assert (d.path / "spans").read_text().split().count("start") == 2


# --------------------------------------------------------------------------
# 7. verify under the pair's limits

def test_verify_runs_under_the_pairs_limits():
    with Dir() as d:
        p_ini = plan(d, f"""
[limits]
kill_rss = 200M
[pair big]
command = echo x > big.out
output = big.out
verify = {SIM} --peak 400M --hold 5s
[pair slow]
command = echo x > slow.out
output = slow.out
verify = sleep 100
verify_timeout = 1s
kill_grace = 1s
[pair placed]
command = echo x > placed.out
output = placed.out
verify = cat /proc/self/oom_score_adj > adj.txt; cat /proc/self/cgroup > cg.txt
""")
        rc, ev, err = run(["run", "--headless", p_ini])
        assert rc == 1, err
        kill = one(ev, "kill", pair="big")
        assert kill["reason"] == "rss" and kill["rss"] < 300 * MiB, kill
        assert one(ev, "pair_end", pair="big")["reason"] == "verify"
        assert one(ev, "kill", pair="slow")["reason"] == "timeout"
        assert one(ev, "pair_end", pair="slow")["reason"] == "verify"
        assert one(ev, "pair_end", pair="placed")["status"] == "done"
        assert (d.path / "adj.txt").read_text().strip() == "500"
        if one(ev, "run_start")["limit_mechanism"] != "none":
            assert "-placed" in (d.path / "cg.txt").read_text()


def test_sigterm_stops_a_verify_that_ignores_it():
    with Dir() as d:
        p_ini = plan(d, """
[pair v]
command = echo x > v.out
output = v.out
verify = trap '' TERM; sleep 1000
kill_grace = 1s
""")
        p = start(["run", "--headless", p_ini])
        try:
            wait_for(lambda: status_of(d, "v") == "exited")
            sleeper = wait_for(lambda: [c for c in all_pids() if comm(c) == "sleep"
                                        and str(d.path) in cwd_of(c)])
            p.send_signal(signal.SIGTERM)
            p.communicate(timeout=30)
        finally:
            if p.poll() is None:
                crash(p)
        assert p.returncode == 143
        wait_for(lambda: not any(alive(s) for s in sleeper), timeout=5)
        kills = of(read_events(logs(d) / "events.jsonl"), "kill", pair="v")
        assert kills and all(k["reason"] == "shutdown" for k in kills), kills


def all_pids():
    return [int(e) for e in os.listdir("/proc") if e.isdigit()]


def cwd_of(pid):
    try:
        return os.readlink(f"/proc/{pid}/cwd")
    except OSError:
        return ""


# --------------------------------------------------------------------------
# 8. Leaving a paused pair running

def test_leaving_a_paused_pair_running_resumes_it_and_the_next_run_finishes_it():
    with Dir() as d:
        p_ini = plan(d, f"""
[pair keep]
command = {SIM} --steps 8 --step-time 500ms; echo x > keep.out
output = keep.out
""")
        with Tmux(f"{MW} run {p_ini}", cwd=d.path) as t:
            root = wait_for(lambda: of(events(d), "pair_start"))[0]["pid"]
            t.wait_text("keep")
            t.keys("p")
            wait_for(lambda: all(stat_fields(x)[0] == "T" for x in session_pids(root)))
            t.keys("q")
            time.sleep(0.5)
            t.keys("n")
            wait_for(lambda: of(events(d), "run_end"))
        job = session_pids(root)
        assert job and all(stat_fields(x)[0] != "T" for x in job), \
            [(x, stat_fields(x)[0]) for x in job]
        # and a tree left stopped some other way is continued on adoption
        for x in session_pids(root):
            os.kill(x, signal.SIGSTOP)
        rc, ev, err = run(["run", "--headless", p_ini], timeout=60)
        assert rc == 0, err
        assert one(ev, "pair_start", pair="keep").get("adopted") is True
        assert one(ev, "pair_end", pair="keep")["status"] == "done"


# --------------------------------------------------------------------------
# What the supervisor keeps of the pair's place

def test_the_supervised_job_keeps_the_pairs_session_score_and_signals():
    with Dir() as d:
        p_ini = plan(d, f"""
[pair s]
command = exec {SIM} --steps 60 --step-time 1s
[pair t]
command = trap 'echo got-term > term.txt; exit 9' TERM; sleep 30 & wait
timeout = 1s
""")
        p = start(["run", "--headless", p_ini])
        try:
            root = wait_for(lambda: of(events(d), "pair_start", pair="s"))[0]["pid"]
            job = wait_for(lambda: [c for c in children(root) if comm(c) == "mergewatch-sim"])[0]
            assert int(stat_fields(job)[3]) == root            # its session
            assert int(stat_fields(job)[2]) == root            # its process group
            assert open(f"/proc/{job}/oom_score_adj").read().strip() == "500"
            assert open(f"/proc/{root}/cgroup").read() == open(f"/proc/{job}/cgroup").read()
            os.kill(root, signal.SIGKILL)                     # the pair's root PID
            out, err = p.communicate(timeout=60)
        finally:
            if p.poll() is None:
                crash(p)
        assert not alive(job)
        ev = read_events(logs(d) / "events.jsonl")
        assert one(ev, "pair_end", pair="s")["signal"] == "SIGKILL"
        assert (d.path / "term.txt").read_text() == "got-term\n"
        end = one(ev, "pair_end", pair="t")
        assert end["status"] == "killed" and end["reason"] == "timeout", end


# --------------------------------------------------------------------------
# A done pair whose command changed

def test_a_done_pair_with_a_changed_command_is_skipped_with_a_note_and_rerun_on_demand():
    with Dir() as d:
        p_ini = plan(d, "[pair a]\ncommand = echo v1 >> ran.txt; echo x > a.out\noutput = a.out\n")
        rc, ev, err = run(["run", "--headless", p_ini])
        assert rc == 0, err
        plan(d, "[pair a]\ncommand = echo v2 >> ran.txt; echo x > a.out\noutput = a.out\n")
        rc, ev, err = run(["run", "--headless", p_ini])
        assert rc == 0, err
        assert one(ev, "pair_end", pair="a").get("resumed") is True
        assert "another command" in err and "--rerun a" in err, err
        assert (d.path / "ran.txt").read_text().split() == ["v1"]
        rc, ev, err = run(["run", "--headless", "--rerun", "a", p_ini])
        assert rc == 0, err
        assert not one(ev, "pair_end", pair="a").get("resumed")
        assert (d.path / "ran.txt").read_text().split() == ["v1", "v2"]
        rc, _, err = run(["run", "--headless", "--rerun", "nope", p_ini])
        assert rc == 2 and "nope" in err, err
