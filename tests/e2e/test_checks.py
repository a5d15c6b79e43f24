"""Sizes need a unit, and `check` refuses what `run` refuses and warns about
plans that cannot work as meant."""
import os
import subprocess

from mwlib import MW, Dir


def mw(args, cwd):
    env = dict(os.environ)
    env.pop("MERGEWATCH_WEBHOOK_URL", None)
    p = subprocess.run([MW, *args], capture_output=True, text=True, cwd=cwd, env=env,
                       stdin=subprocess.DEVNULL, timeout=60)
    return p.returncode, p.stdout, p.stderr


def check(d, name, body):
    d.write(name, body)
    return mw(["check", str(d.path / name)], d.path)


def test_a_bare_size_is_refused_with_a_suggestion():
    with Dir() as d:
        rc, _, err = check(d, "p.ini", "[limits]\nkill_rss = 50\n[pair a]\ncommand = true\n")
        assert rc == 2
        assert "p.ini:2" in err and "kill_rss" in err and "did you mean 50G?" in err
        rc, _, err = mw(["run", "--headless", "--kill-rss", "5", "--", "true"], d.path)
        assert rc == 2 and "--kill-rss" in err and "did you mean 5G?" in err
        # Bytes are still possible, said so; 0 needs no unit but kill_rss refuses it.
        assert check(d, "b.ini", "[limits]\nkill_rss = 1073741824B\n[pair a]\ncommand = true\n")[0] == 0
        rc, _, err = check(d, "z.ini", "[limits]\nkill_rss = 0\n[pair a]\ncommand = true\n")
        assert rc == 2 and "above 0" in err
        rc, _, err = check(d, "m.ini", "[limits]\nmemory_max = 0\n[pair a]\ncommand = true\n")
        assert rc == 2 and "above 0" in err


def test_check_warns_about_a_cap_below_the_kill_line_and_a_line_above_memory():
    with Dir() as d:
        rc, _, err = check(d, "w.ini", "[limits]\nkill_rss = 4G\nmemory_max = 2G\n"
                           "[pair a]\ncommand = true\n[pair b]\nkill_rss = 500T\n"
                           "command = true\n")
        assert rc == 0, err
        lines = [l for l in err.splitlines() if "warning" in l]
        assert any("[pair a]" in l and "memory_max is at or below kill_rss" in l for l in lines), err
        assert any("[pair b]" in l and "above this machine's memory" in l for l in lines), err
        rc, _, err = check(d, "ok.ini", "[limits]\nkill_rss = 2G\nmemory_max = 3G\n"
                           "[pair a]\ncommand = true\n")
        assert rc == 0 and "warning" not in err
        # several pairs at once under a budget the machine does not have
        rc, _, err = check(d, "j.ini", "[run]\njobs = auto\nmemory_budget = 500T\n"
                           "[pair a]\ncommand = true\n")
        assert rc == 0, err
        assert any("[run]" in l and "memory_budget is above this machine's memory" in l
                   for l in err.splitlines() if "warning" in l), err
        # ... which plays no part one pair at a time
        rc, _, err = check(d, "j1.ini", "[run]\njobs = 1\nmemory_budget = 500T\n"
                           "[pair a]\ncommand = true\n")
        assert rc == 0 and "warning" not in err, err


def test_check_refuses_a_webhook_file_others_can_read_as_run_does():
    with Dir() as d:
        hook = d.write("hook", "http://127.0.0.1:9/hook\n")
        os.chmod(hook, 0o644)
        body = "[alerts]\nwebhook_url_file = hook\n[pair a]\ncommand = true\n"
        rc, _, err = check(d, "h.ini", body)
        assert rc == 2 and "readable by others" in err
        rc_run, _, err_run = mw(["run", "--headless", str(d.path / "h.ini")], d.path)
        assert rc_run == 2 and "readable by others" in err_run
        os.chmod(hook, 0o600)
        assert check(d, "h.ini", body)[0] == 0
