"""The core watchdog on real processes: kill threshold, timeout, deadlock,
resume, verify and cleanup, the health gate, plan errors, run --, watch."""
import os
import signal
import subprocess
import time

from mwlib import MW, SIM, MiB, Dir, alive, of, one, parse_events, read_events, run, start, wait_for


def test_kill_at_kill_rss_close_to_the_line():
    with Dir() as d:
        d.write("plan.ini", f"""
[limits]
kill_rss = 512M
[pair grow]
command = {SIM} --peak 3G --hold 20s
""")
        rc, ev, err = run(["run", "--headless", str(d.path / "plan.ini")])
        assert rc == 1, err
        kill = one(ev, "kill", pair="grow")
        assert kill["reason"] == "rss" and kill["signal"] == "SIGKILL"
        assert kill["rss"] > 512 * MiB
        # As fast as the simulator allocates, it is stopped close to the line.
        assert kill["rss"] < 512 * MiB * 1.10, kill
        end = one(ev, "pair_end", pair="grow")
        assert end["status"] == "killed" and end["reason"] == "rss"
        assert end["signal"] == "SIGKILL"
        assert one(ev, "run_end")["killed"] == 1


def test_approach_warns_before_the_kill():
    with Dir() as d:
        d.write("plan.ini", f"""
[limits]
kill_rss = 400M
warn_at = 50%
[pair slow]
command = {SIM} --rate 100M --peak 1G
""")
        rc, ev, _ = run(["run", "--headless", str(d.path / "plan.ini")])
        assert rc == 1
        names = [e["event"] for e in ev]
        assert names.index("approach") < names.index("kill")
        appr = one(ev, "approach", pair="slow")
        assert appr["kill_rss"] == 400 * MiB and appr["rss"] > 200 * MiB
        # growing at about 100 MiB/s with about 200 MiB to go
        assert appr["eta_s"] is not None and 0 < appr["eta_s"] < 10, appr


def test_timeout_sends_sigterm_then_the_pair_is_killed():
    with Dir() as d:
        d.write("plan.ini", f"""
[limits]
timeout = 2s
kill_grace = 1s
[pair slow]
command = {SIM} --steps 100 --step-time 1s
""")
        rc, ev, _ = run(["run", "--headless", str(d.path / "plan.ini")])
        assert rc == 1
        kills = of(ev, "kill", pair="slow")
        assert kills[0]["reason"] == "timeout" and kills[0]["signal"] == "SIGTERM"
        end = one(ev, "pair_end", pair="slow")
        assert end["status"] == "killed" and end["reason"] == "timeout"
        assert 2.0 <= end["elapsed_s"]


def test_timeout_escalates_to_sigkill_when_sigterm_is_ignored():
    with Dir() as d:
        d.write("plan.ini", """
[limits]
timeout = 1s
kill_grace = 1s
[pair stubborn]
command = trap '' TERM; sleep 30
""")
        rc, ev, _ = run(["run", "--headless", str(d.path / "plan.ini")])
        assert rc == 1
        signals = [k["signal"] for k in of(ev, "kill", pair="stubborn")]
        assert signals == ["SIGTERM", "SIGKILL"], signals
        assert one(ev, "pair_end")["status"] == "killed"


def test_deadlock_caught_and_evidence_saved():
    with Dir() as d:
        d.write("plan.ini", f"""
[limits]
deadlock_window = 3s
on_deadlock = kill
capture = echo captured-for-{{pid}}
[pair stuck]
command = {SIM} --deadlock --threads 4
""")
        rc, ev, err = run(["run", "--headless", "--interval", "500ms", str(d.path / "plan.ini")])
        assert rc == 1, err
        dl = one(ev, "deadlock", pair="stuck")
        assert dl["futex_threads"] >= 7 and dl["threads"] >= 7
        assert len(dl["blocked_pids"]) == 1
        # within the window plus two samples
        assert 3.0 <= dl["stalled_s"] <= 3.0 + 2 * 0.5 + 0.5, dl
        text = open(dl["capture"]).read()
        assert "futex_" in text and "7 in untimed lock waits" in text, text[:2000]
        assert "lock_thread (mergewatch-sim)" in text and "held by thread" in text, text[:3000]
        assert f"captured-for-{dl['blocked_pids'][0]}" in text
        kill = one(ev, "kill", pair="stuck")
        assert kill["reason"] == "deadlock"
        assert one(ev, "pair_end")["status"] == "killed"


def test_sleepers_pipe_readers_and_idle_pools_are_not_deadlocks():
    with Dir() as d:
        d.write("plan.ini", f"""
[limits]
deadlock_window = 2s
timeout = 5s
kill_grace = 1s
[pair sleeper]
command = sleep 30
[pair pipe]
command = {SIM} --pipe-wait --threads 4
[pair pool]
command = {SIM} --sleep-wait --threads 8
[pair waits-for-child]
command = {SIM} --sleep-wait & wait
""")
        rc, ev, _ = run(["run", "--headless", "--interval", "250ms", str(d.path / "plan.ini")])
        assert of(ev, "deadlock") == [], of(ev, "deadlock")
        assert [e["reason"] for e in of(ev, "pair_end")] == ["timeout"] * 4


def test_deadlock_under_a_shell_wrapper_is_judged_by_the_blocked_process():
    with Dir() as d:
        d.write("plan.ini", f"""
[limits]
deadlock_window = 2s
on_deadlock = kill
[pair wrapped]
command = timeout 60 {SIM} --deadlock --threads 2; echo after
""")
        rc, ev, _ = run(["run", "--headless", "--interval", "250ms", str(d.path / "plan.ini")])
        dl = one(ev, "deadlock", pair="wrapped")
        assert len(dl["blocked_pids"]) == 1
        assert one(ev, "pair_end")["reason"] == "deadlock"


def test_done_verify_and_cleanup_only_after_verification():
    with Dir() as d:
        d.blob("in/a.parquet", 3 * MiB)
        d.blob("in2/b.parquet", 1 * MiB)
        d.write("plan.ini", f"""
[pair good]
command = {SIM} --peak 8M --progress 4 --write out/good.bin 1M
inputs = in/*.parquet
output = out/good.bin
verify = test -s out/good.bin
cleanup = in
[pair badverify]
command = {SIM} --peak 8M --write out/bad.bin 1M
inputs = in2/*.parquet
output = out/bad.bin
verify = false
cleanup = in2
""")
        (d.path / "out").mkdir()
        rc, ev, _ = run(["run", "--headless", str(d.path / "plan.ini")])
        assert rc == 1
        good = one(ev, "pair_end", pair="good")
        assert good["status"] == "done" and good["exit_code"] == 0
        assert good["ratio"] > 0
        cl = one(ev, "cleanup", pair="good")
        assert cl["bytes_freed"] == 3 * MiB and not (d.path / "in").exists()
        start_ev = one(ev, "pair_start", pair="good")
        assert start_ev["input_bytes"] == 3 * MiB
        bad = one(ev, "pair_end", pair="badverify")
        assert bad["status"] == "failed" and bad["reason"] == "verify"
        assert of(ev, "cleanup", pair="badverify") == []
        assert (d.path / "in2/b.parquet").exists()
        prog = of(ev, "progress", pair="good")
        assert prog and prog[-1]["done"] == prog[-1]["total"] == 4


def test_output_missing_fails_and_keeps_checkpoints():
    with Dir() as d:
        d.blob("ck/x", MiB)
        d.write("plan.ini", """
[pair p]
command = true
output = nothing-here
cleanup = ck
""")
        rc, ev, _ = run(["run", "--headless", str(d.path / "plan.ini")])
        assert rc == 1
        assert one(ev, "pair_end")["reason"] == "output_missing"
        assert (d.path / "ck/x").exists()


def test_resume_skips_done_pairs():
    with Dir() as d:
        d.write("plan.ini", """
[run]
on_failure = stop
[pair one]
command = echo one >> ran.txt; echo x > one.out
output = one.out
[pair two]
command = echo two >> ran.txt; test -e allow-two
""")
        rc, ev, _ = run(["run", "--headless", str(d.path / "plan.ini")])
        assert rc == 1
        assert one(ev, "pair_end", pair="two")["status"] == "failed"
        (d.path / "allow-two").write_text("")
        rc, ev, _ = run(["run", "--headless", str(d.path / "plan.ini")])
        assert rc == 0
        first = one(ev, "pair_end", pair="one")
        assert first["status"] == "done" and first.get("resumed") is True
        assert one(ev, "pair_end", pair="two")["status"] == "done"
        assert (d.path / "ran.txt").read_text().split() == ["one", "two", "two"]
        # A done pair whose output has gone fails rather than run without inputs.
        (d.path / "one.out").unlink()
        rc, ev, _ = run(["run", "--headless", str(d.path / "plan.ini")])
        assert rc == 1
        assert one(ev, "pair_end", pair="one")["reason"] == "output_missing"


def test_on_failure_retry_runs_again():
    with Dir() as d:
        d.write("plan.ini", """
[run]
on_failure = retry
retries = 2
[pair flaky]
command = echo x >> tries; test $(wc -l < tries) -ge 3
""")
        rc, ev, _ = run(["run", "--headless", str(d.path / "plan.ini")])
        assert rc == 0
        ends = of(ev, "pair_end", pair="flaky")
        assert [e["status"] for e in ends] == ["failed", "failed", "done"]
        assert [e["attempt"] for e in of(ev, "pair_start")] == [1, 2, 3]


def test_gate_waits_then_gives_up():
    with Dir() as d:
        d.write("plan.ini", """
[run]
start_min_available = 100%
gate_timeout = 1500ms
[pair never]
command = touch started
""")
        t0 = time.monotonic()
        rc, ev, _ = run(["run", "--headless", "--interval", "250ms", str(d.path / "plan.ini")])
        assert rc == 1
        gw = one(ev, "gate_wait", pair="never")
        assert gw["needed_available"] > gw["mem_available"]
        end = one(ev, "pair_end", pair="never")
        assert end["status"] == "failed" and end["reason"] == "gate"
        assert of(ev, "pair_start") == [] and not (d.path / "started").exists()
        assert time.monotonic() - t0 >= 1.5


def test_gate_open_starts_at_once():
    with Dir() as d:
        d.write("plan.ini", """
[run]
start_min_available = 1M
start_max_swap_used = unlimited
[pair go]
command = true
""")
        rc, ev, _ = run(["run", "--headless", str(d.path / "plan.ini")])
        assert rc == 0 and of(ev, "gate_wait") == []


def test_bad_plan_exits_2_naming_file_line_and_key():
    with Dir() as d:
        p = d.write("plan.ini", "[limits]\nkill_rss = 50Q\n[pair a]\ncommand = true\n")
        rc, ev, err = run(["run", "--headless", str(p)])
        assert rc == 2 and ev == []
        assert f"{p}:2" in err and "kill_rss" in err, err
        rc, _, err = run(["check", str(p)])
        assert rc == 2 and f"{p}:2" in err


def test_check_prints_effective_settings():
    with Dir() as d:
        p = d.write("plan.ini", "[limits]\nkill_rss = 2G\n[pair a]\ncommand = true\ntimeout = 5m\n")
        r = subprocess.run([MW, "check", "--timeout", "7m", str(p)], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        assert "[pair a]" in r.stdout and "kill_rss = 2G" in r.stdout
        assert "timeout = 7m" in r.stdout       # the option beats the pair key
        assert "limit_mechanism" in r.stdout


def test_run_command_line_pair_and_environment():
    with Dir() as d:
        rc, ev, _ = run(["run", "--headless", "--", "sh", "-c",
                         'echo "$MERGEWATCH_PAIR:${MERGEWATCH_WEBHOOK_URL:-none}" > seen; echo PROGRESS 3/7'],
                        cwd=d.path, env={"MERGEWATCH_WEBHOOK_URL": ""})
        assert rc == 0
        start_ev = one(ev, "pair_start")
        assert (d.path / "seen").read_text().strip() == f"{start_ev['pair']}:none"
        assert one(ev, "progress")["done"] == 3
        assert (d.path / "mergewatch-logs" / f"{start_ev['pair']}.log").exists()
        assert read_events(d.path / "mergewatch-logs" / "events.jsonl")[-1]["event"] == "run_end"


def test_run_start_says_which_limit_mechanism():
    with Dir() as d:
        rc, ev, _ = run(["run", "--headless", "--", "true"], cwd=d.path)
        rs = one(ev, "run_start")
        assert rs["limit_mechanism"] in ("cgroup2", "cgroup1", "systemd", "none")
        assert rs["limit_note"]     # where the groups go, or why there are none


def test_memory_max_is_enforced_by_the_kernel():
    with Dir() as d:
        rc, ev, _ = run(["run", "--headless", "--memory-max", "128M", "--kill-rss", "1G", "--",
                         SIM, "--peak", "512M", "--hold", "5s"], cwd=d.path)
        if one(ev, "run_start")["limit_mechanism"] == "none":
            return          # nothing to prove where no cap is possible
        end = one(ev, "pair_end")
        assert end["status"] == "killed" and end["reason"] == "memory_max", end
        assert end["peak_rss"] <= 140 * MiB


def test_sigint_stops_the_pair_and_exits_130():
    with Dir() as d:
        p = start(["run", "--headless", "--", "sleep", "60"], cwd=d.path)
        started = wait_for(lambda: of(read_events(d.path / "mergewatch-logs/events.jsonl"), "pair_start"))
        pid = started[0]["pid"]
        p.send_signal(signal.SIGINT)
        out, _ = p.communicate(timeout=30)
        assert p.returncode == 130
        ev = parse_events(out)
        assert one(ev, "kill")["reason"] == "shutdown"
        assert ev[-1]["event"] == "run_end"
        assert not alive(pid)


def test_watch_enforces_on_a_process_it_did_not_start():
    with Dir() as d:
        victim = subprocess.Popen([SIM, "--rate", "200M", "--peak", "2G", "--hold", "30s"],
                                  stderr=subprocess.DEVNULL)
        try:
            rc, ev, _ = run(["watch", "--headless", "--kill-rss", "300M", str(victim.pid)],
                            cwd=d.path, timeout=60)
            assert rc == 0
            kill = one(ev, "kill", pair=str(victim.pid))
            assert kill["reason"] == "rss"
            victim.wait(timeout=10)
            assert victim.returncode == -signal.SIGKILL
        finally:
            if victim.poll() is None:
                victim.kill()
                victim.wait()


def test_watch_rejects_a_missing_pid():
    rc, _, err = run(["watch", "--headless", "999999999"])
    assert rc == 2 and "999999999" in err


def test_mergewatch_killed_mid_pair_then_resumed_adopts_the_orphan():
    with Dir() as d:
        d.write("plan.ini", f"""
[pair first]
command = echo first >> ran.txt; echo x > first.out
output = first.out
[pair long]
command = echo long >> ran.txt; sleep 3; echo x > long.out
output = long.out
[pair last]
command = echo last >> ran.txt
""")
        log = d.path / "mergewatch-logs/events.jsonl"
        p = start(["run", "--headless", str(d.path / "plan.ini")])
        started = wait_for(lambda: of(read_events(log), "pair_start", pair="long"))
        orphan = started[0]["pid"]
        p.send_signal(signal.SIGKILL)          # mergewatch dies mid-pair
        p.wait()
        assert alive(orphan)                   # the job lives on in its own session
        before = len(read_events(log))
        rc, ev, err = run(["run", "--headless", str(d.path / "plan.ini")])
        assert rc == 0, err
        assert one(ev, "pair_end", pair="first")["resumed"] is True
        adopted = one(ev, "pair_start", pair="long")
        assert adopted["pid"] == orphan and adopted.get("adopted") is True
        assert one(ev, "pair_end", pair="long")["status"] == "done"
        # never run twice, and the finished pair was not redone
        assert (d.path / "ran.txt").read_text().split() == ["first", "long", "last"]
        assert len(read_events(log)) > before


def test_each_pair_gets_its_own_cgroup_removed_afterwards():
    with Dir() as d:
        d.write("plan.ini", """
[limits]
memory_max = 300M
[pair cgcheck-a7]
command = cat /proc/self/cgroup > where.txt; grep -h limit_in_bytes /dev/null; echo ok
[pair cgcheck-b7]
command = sleep 0.2
verify = true
""")
        rc, ev, _ = run(["run", "--headless", str(d.path / "plan.ini")])
        assert rc == 0
        mech = one(ev, "run_start")["limit_mechanism"]
        if mech == "none":
            return
        where = (d.path / "where.txt").read_text()
        assert "cgcheck-a7" in where, where        # the job ran inside its pair's group
        time.sleep(1)
        leftovers = []
        for root, dirs, _ in os.walk("/sys/fs/cgroup"):
            leftovers += [x for x in dirs if x.endswith("-cgcheck-a7") or x.endswith("-cgcheck-b7")]
        assert leftovers == [], leftovers


def test_sigterm_with_pairs_pending_ends_the_run_with_143():
    with Dir() as d:
        d.write("plan.ini", """
[limits]
kill_grace = 1s
[pair a]
command = trap '' TERM; sleep 30
[pair b]
command = touch b-ran
""")
        p = start(["run", "--headless", str(d.path / "plan.ini")])
        pid = wait_for(lambda: of(read_events(d.path / "mergewatch-logs/events.jsonl"), "pair_start"))[0]["pid"]
        p.send_signal(signal.SIGTERM)
        out, _ = p.communicate(timeout=30)
        assert p.returncode == 143
        ev = parse_events(out)
        assert [k["signal"] for k in of(ev, "kill")] == ["SIGTERM", "SIGKILL"]
        assert one(ev, "pair_end", pair="a")["reason"] == "shutdown"
        assert ev[-1]["event"] == "run_end"
        assert not (d.path / "b-ran").exists() and not alive(pid)


def test_check_predicts_peaks_from_finished_pairs():
    with Dir() as d:
        d.blob("in1", 100 * MiB)
        d.blob("in2", 300 * MiB)
        d.write("plan.ini", f"""
[limits]
kill_rss = 500M
expected_ratio = 1
[pair small]
command = {SIM} --peak 250M
inputs = in1
[pair big]
command = false
inputs = in2
""")
        r = subprocess.run([MW, "check", str(d.path / "plan.ini")], capture_output=True, text=True)
        assert "input 300.0 MiB x 1.0 = peak 300.0 MiB" in r.stdout, r.stdout
        run(["run", "--headless", str(d.path / "plan.ini")])
        r = subprocess.run([MW, "check", str(d.path / "plan.ini")], capture_output=True, text=True)
        lines = [x for x in r.stdout.splitlines() if x.startswith(";   ")]
        assert "done" in lines[0]
        big = lines[1]
        # the small pair peaked at about 2.5x its input: the big one would cross the line
        assert "input 300.0 MiB x 2." in big and "crosses kill_rss" in big, big


def test_kill_close_to_the_line_when_the_job_is_a_child_of_a_shell():
    # The shell forks rather than execs: the allocating process appears
    # after the first sample and must still be caught near the line.
    with Dir() as d:
        d.write("plan.ini", f"""
[limits]
kill_rss = 1G
[pair forked]
command = sleep 0.3; {SIM} --peak 3G --hold 20s; true
""")
        for _ in range(3):
            rc, ev, err = run(["run", "--headless", str(d.path / "plan.ini")])
            kill = one(ev, "kill", pair="forked")
            assert 1024 * MiB < kill["rss"] < 1024 * MiB * 1.10, kill
            (d.path / "mergewatch-logs/state").unlink()
