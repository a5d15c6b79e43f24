"""`run -- COMMAND` exits as timeout(1) does, so a script can tell a kill at
the line, a timeout and the job's own failure apart."""
import os
import signal
import time

from mwlib import MW, SIM, Dir, of, one, run, start, stop, wait_for, parse_events


def run_command(d, *args):
    rc, events, err = run(["run", "--headless", *args], cwd=d.path, timeout=90)
    return rc, events, err


def test_the_commands_own_status_passes_through():
    with Dir() as d:
        assert run_command(d, "--", SIM, "--exit", "3")[0] == 3
        assert run_command(d, "--", "true")[0] == 0
        assert run_command(d, "--", "sh", "-c", "exit 255")[0] == 255


def test_timeout_is_124():
    with Dir() as d:
        rc, events, _ = run_command(d, "--timeout", "1s", "--", SIM, "--steps", "20")
        assert rc == 124
        assert one(events, "kill")["reason"] == "timeout"


def test_kill_at_the_line_is_137():
    with Dir() as d:
        rc, events, _ = run_command(d, "--kill-rss", "100M", "--", SIM, "--peak", "400M",
                                    "--hold", "20s")
        assert rc == 137
        assert one(events, "kill")["reason"] == "rss"


def test_kernel_cap_kill_is_137():
    with Dir() as d:
        rc, events, _ = run_command(d, "--memory-max", "100M", "--kill-rss", "1G", "--",
                                    SIM, "--peak", "400M", "--hold", "20s")
        start_ev = one(events, "run_start")
        if start_ev["limit_mechanism"] == "none":
            return  # no kernel cap on this machine: the run says so itself
        assert rc == 137
        assert one(events, "pair_end")["reason"] == "memory_max"


def test_deadlock_kill_is_137():
    with Dir() as d:
        rc, events, _ = run_command(d, "--deadlock-window", "2s", "--on-deadlock", "kill",
                                    "--", SIM, "--deadlock", "--threads", "2")
        assert rc == 137
        assert one(events, "kill")["reason"] == "deadlock"


def test_death_by_a_signal_is_128_plus_n():
    with Dir() as d:
        assert run_command(d, "--", "sh", "-c", "kill -SEGV $$")[0] == 128 + signal.SIGSEGV


def test_operator_stop_of_mergewatch_is_130_or_143_and_usage_is_2():
    with Dir() as d:
        p = start(["run", "--headless", "--", SIM, "--steps", "60"], cwd=d.path)
        try:
            wait_for(lambda: os.path.exists(d.path / "mergewatch-logs/events.jsonl") and
                     b"pair_start" in (d.path / "mergewatch-logs/events.jsonl").read_bytes())
            p.send_signal(signal.SIGTERM)
            p.wait(timeout=30)
            assert p.returncode == 143
        finally:
            stop(p)
        assert run_command(d, "--no-such-option", "--", "true")[0] == 2
        assert run(["run", "--headless", "--"], cwd=d.path)[0] == 2
