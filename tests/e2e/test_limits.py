"""The kernel cap and the pair's memory on this machine (cgroup v1, no
systemd): non-root users, an operator's own memory group, escaped
processes, output bursts, file-backed pages, check changing nothing.
cgroup v2 and systemd are tested on real kernels under qemu (tests/vm)."""
import json
import os
import pathlib
import re
import subprocess
import time

from mwlib import MW, SIM, MiB, Dir, one, of, run

V1 = pathlib.Path("/sys/fs/cgroup/memory")


def skip(why):
    print(f"  skipped: {why}", flush=True)


def own_v1_group():
    """This process's cgroup v1 memory group (the pairs' parent for a
    mergewatch started from here)."""
    for line in pathlib.Path("/proc/self/cgroup").read_text().splitlines():
        num, controllers, path = line.split(":", 2)
        if "memory" in controllers.split(","):
            return V1 / path.lstrip("/")
    return None


def v1_root():
    return os.geteuid() == 0 and (V1 / "memory.limit_in_bytes").exists()


def as_nobody(args, cwd, timeout=60):
    """mergewatch ARGS as uid/gid 65534, headless: (status, stdout, stderr)."""
    p = subprocess.run(["setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups",
                        MW] + args, capture_output=True, text=True, cwd=cwd, timeout=timeout,
                       stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout, p.stderr


def group_dirs():
    return sorted(str(p) for p in V1.rglob("*") if p.is_dir())


class OperatorGroup:
    """A v1 memory group the operator made, with a limit, owned by uid."""

    def __init__(self, limit_bytes, uid=0):
        self.path = own_v1_group() / f"mw-op-{os.getpid()}-{time.monotonic_ns() % 100000}"
        self.path.mkdir()
        (self.path / "memory.limit_in_bytes").write_text(str(limit_bytes))
        for name in ("", "cgroup.procs", "tasks"):
            os.chown(self.path / name, uid, uid)

    def close(self):
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            for sub in self.path.iterdir():
                if sub.is_dir():
                    try:
                        sub.rmdir()
                    except OSError:
                        pass
            try:
                self.path.rmdir()
                return
            except OSError:
                time.sleep(0.1)


def test_check_changes_nothing():
    if not v1_root():
        return skip("needs root and the cgroup v1 memory controller")
    with Dir() as d:
        d.write("plan.ini", "[pair a]\ncommand = true\n")
        before = set(group_dirs())
        p = subprocess.Popen([MW, "check", str(d.path / "plan.ini")], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        out, err = p.communicate(timeout=60)
        assert p.returncode == 0, err
        # Other tests' mergewatches (modules run two at a time) make and
        # remove groups meanwhile: check itself must leave none of its own
        # (its probe is mergewatch-PID-probe) and take away none it found.
        after = set(group_dirs())
        mine = f"/mergewatch-{p.pid}-"
        assert not [g for g in after if mine in g], sorted(after - before)
        here = str(own_v1_group()) + "/"   # where check would act; other
        gone = [g for g in before - after if g.startswith(here)]   # jobs' groups come and go
        assert all(re.search(r"/(mergewatch-\d+-|mw-op-)", g) for g in gone), sorted(gone)
        assert own_v1_group().is_dir()
        assert "; limit_mechanism = cgroup1\n" in out, out
        assert f"; limit_note = pair groups in {own_v1_group()}\n" in out, out


def test_run_start_names_the_mechanism_and_where_groups_go():
    with Dir() as d:
        rc, ev, err = run(["run", "--headless", "--", "true"], cwd=d.path)
        start = one(ev, "run_start")
        assert start["limit_mechanism"] in ("cgroup2", "cgroup1", "systemd", "none")
        assert start["limit_note"], start
        if start["limit_mechanism"] == "cgroup1":
            assert start["limit_note"] == f"pair groups in {own_v1_group()}", start


def test_non_root_never_claims_a_root_made_group():
    """Issue 12 case 2: a mergewatch group left by root must not make a
    non-root run claim cgroup1 and then run every pair uncapped."""
    if not v1_root():
        return skip("needs root and the cgroup v1 memory controller")
    leftover = own_v1_group() / "mergewatch"
    made = not leftover.exists()
    leftover.mkdir(exist_ok=True)
    try:
        with Dir() as d:
            os.chmod(d.path, 0o777)
            d.write("plan.ini", "[pair a]\ncommand = true\n")
            rc, out, err = as_nobody(["check", str(d.path / "plan.ini")], d.path)
            assert "; limit_mechanism = none\n" in out, out + err
            assert "Permission denied" in out, out
            rc, out, err = as_nobody(["run", "--headless", "--kill-rss", "100M", "--",
                                      SIM, "--peak", "400M", "--rate", "200M", "--hold", "5s"],
                                     d.path)
            ev = [json.loads(x) for x in out.splitlines() if x.strip()]
            start = one(ev, "run_start")
            assert start["limit_mechanism"] == "none", start
            assert f"cannot make a group in {own_v1_group()}" in start["limit_note"], start
            assert "Permission denied" in start["limit_note"], start
            # the watchdog still holds the line
            assert one(ev, "kill")["reason"] == "rss"
            assert "no kernel cap" not in err, err
    finally:
        if made:
            leftover.rmdir()


def test_pairs_nest_under_the_operators_group_and_its_limit_holds():
    """Issue 12 case 4, on v1: run inside a 200 MiB group, a pair that
    allocates 400 MiB must not finish done."""
    if not v1_root():
        return skip("needs root and the cgroup v1 memory controller")
    op = OperatorGroup(200 * MiB)
    try:
        with Dir() as d:
            p = subprocess.run(["sh", "-c", f"echo $$ > {op.path}/cgroup.procs && exec {MW} run "
                                f"--headless --kill-rss 2G -- sh -c 'cat /proc/self/cgroup > "
                                f"where; exec {SIM} --peak 400M --rate 200M --hold 3s'"],
                               capture_output=True, text=True, cwd=d.path, timeout=60)
            ev = [json.loads(x) for x in p.stdout.splitlines() if x.strip()]
            start = one(ev, "run_start")
            assert start["limit_mechanism"] == "cgroup1", start
            assert start["limit_note"] == f"pair groups in {op.path}", start
            end = one(ev, "pair_end")
            assert end["status"] == "killed" and end["reason"] == "memory_max", end
            where = (d.path / "where").read_text()
            rel = str(op.path.relative_to(V1))
            assert f":memory:/{rel}/" in where, where   # a group of its own, inside op's
    finally:
        op.close()


def test_non_root_in_a_delegated_v1_group_gets_capped_pairs():
    if not v1_root():
        return skip("needs root and the cgroup v1 memory controller")
    op = OperatorGroup(1024 * MiB, uid=65534)
    try:
        with Dir() as d:
            os.chmod(d.path, 0o777)
            p = subprocess.run(["sh", "-c", f"echo $$ > {op.path}/cgroup.procs && exec setpriv "
                                f"--reuid 65534 --regid 65534 --clear-groups {MW} run --headless "
                                f"--kill-rss 2G --memory-max 64M -- {SIM} --peak 300M "
                                "--rate 200M --hold 3s"],
                               capture_output=True, text=True, cwd=d.path, timeout=60)
            ev = [json.loads(x) for x in p.stdout.splitlines() if x.strip()]
            start = one(ev, "run_start")
            assert start["limit_mechanism"] == "cgroup1", (start, p.stderr)
            end = one(ev, "pair_end")
            assert end["status"] == "killed" and end["reason"] == "memory_max", end
            assert [x for x in op.path.iterdir() if x.is_dir()] == []   # removed
    finally:
        op.close()


def _comm_alive(name):
    for comm in pathlib.Path("/proc").glob("[0-9]*/comm"):
        try:
            if comm.read_text().strip() == name:
                stat = (comm.parent / "stat").read_text()
                if stat.rsplit(")", 1)[1].split()[0] != "Z":
                    return True
        except OSError:
            pass
    return False


def test_escaped_process_is_counted_and_killed():
    """Issue 12 case 5: a child that double-forks and calls setsid, then
    grows: counted in the pair's memory, killed at the line, gone after."""
    name = f"mw-esc{os.getpid() % 100000}"
    with Dir() as d:
        rc, ev, err = run(["run", "--headless", "--kill-rss", "150M", "--", "sh", "-c",
                           f"(setsid {SIM} --name {name} --peak 600M --rate 200M --hold 60s &);"
                           " sleep 60"], cwd=d.path)
        if one(ev, "run_start")["limit_mechanism"] == "none":
            return skip("no group here to find an escapee by")
        kill = one(ev, "kill")
        assert kill["reason"] == "rss", kill
        end = one(ev, "pair_end")
        assert end["peak_rss"] >= 150 * MiB, end
        time.sleep(0.5)
        assert not _comm_alive(name)


def test_a_burst_of_output_does_not_blind_the_watchdog():
    """Issue 12 case 6: 300 MB of short lines beside a job growing past the
    line; the kill comes anyway."""
    with Dir() as d:
        rc, ev, err = run(["run", "--headless", "--kill-rss", "300M", "--", "sh", "-c",
                           f"(yes | head -c 300M) & exec {SIM} --peak 900M --rate 300M "
                           "--hold 5s"], cwd=d.path)
        kill = one(ev, "kill")
        assert kill["reason"] == "rss", kill
        assert one(ev, "pair_end")["status"] == "killed"


def test_file_backed_pages_do_not_count():
    """Issue 12 case 7: mmap-reading a 400 MB input with kill_rss 150M is
    no kill: the kernel can take those pages back."""
    with Dir() as d:
        with open(d.path / "input.bin", "wb") as f:
            chunk = os.urandom(MiB)
            for _ in range(400):
                f.write(chunk)
        script = ("import mmap,time\n"
                  "f=open('input.bin','rb'); m=mmap.mmap(f.fileno(),0,access=mmap.ACCESS_READ)\n"
                  "s=sum(m[i] for i in range(0,len(m),4096)); time.sleep(1.5); print(s)\n")
        rc, ev, err = run(["run", "--headless", "--kill-rss", "150M", "--", "python3", "-c",
                           script], cwd=d.path)
        assert of(ev, "kill") == [], ev
        end = one(ev, "pair_end")
        assert end["status"] == "done", end


def test_without_a_group_escapees_are_still_counted_and_killed():
    """Issue 12 case 5 where no group can be made (non-root, mechanism
    none): mergewatch is the subreaper of what it starts, so an escapee is
    adopted by it, found by its MERGEWATCH_PAIR, counted, killed at the line;
    and one left behind by a pair that ended does not outlive it."""
    if os.geteuid() != 0:
        return skip("needs root to run a pair as nobody")
    grower, idler = f"mw-g{os.getpid() % 100000}", f"mw-i{os.getpid() % 100000}"
    with Dir() as d:
        os.chmod(d.path, 0o777)
        rc, out, err = as_nobody(["run", "--headless", "--kill-rss", "150M", "--", "sh", "-c",
                                  f"(setsid {SIM} --name {grower} --peak 600M --rate 200M "
                                  "--hold 60s &); sleep 60"], d.path)
        ev = [json.loads(x) for x in out.splitlines() if x.strip()]
        assert one(ev, "run_start")["limit_mechanism"] == "none", ev
        assert one(ev, "kill")["reason"] == "rss", ev
        assert one(ev, "pair_end")["peak_rss"] >= 150 * MiB
        rc, out, err = as_nobody(["run", "--headless", "--", "sh", "-c",
                                  f"({SIM} --name {idler} --hold 60s &); sleep 0.5"], d.path)
        ev = [json.loads(x) for x in out.splitlines() if x.strip()]
        assert one(ev, "pair_end")["status"] == "done", ev
    time.sleep(0.5)
    assert not _comm_alive(grower)
    assert not _comm_alive(idler)
