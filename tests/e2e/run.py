#!/usr/bin/env python3
"""End-to-end suite: drives the real mergewatch binary on real processes.

Every test_* function of every tests/e2e/test_*.py module runs in turn; the
summary lines have cmocka's shape so tests/run-all.sh can add them up.
Usage: run.py [PATTERN]        the tests whose name contains PATTERN
       run.py --module NAME    every test of tests/e2e/NAME.py
       run.py --parallel N     every module, N modules at a time, each in a
                               process of its own; a module's output is
                               printed whole when it ends
Most tests wait on processes rather than compute, so two modules at a time
on two cores take about half the time of one after the other.
"""
import importlib.util
import pathlib
import subprocess
import sys
import tempfile
import time
import traceback

HERE = pathlib.Path(__file__).resolve().parent

# Modules that take longest go first, so N at a time end close together.
SLOWEST_FIRST = ["test_faults", "test_dashboard", "test_crash", "test_core", "test_corpus",
                 "test_alerts", "test_report", "test_jobs", "test_safety"]


def modules():
    return sorted(HERE.glob("test_*.py"))


def run_tests(paths, pattern):
    passed, failed, names = 0, 0, []
    sys.path.insert(0, str(HERE))
    for path in paths:
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        for name in sorted(n for n in dir(module) if n.startswith("test_")):
            full = f"{path.stem}.{name}"
            if pattern not in full:
                continue
            print(f"[ RUN      ] {full}", flush=True)
            started = time.monotonic()
            try:
                getattr(module, name)()
            except Exception:
                failed += 1
                names.append(full)
                traceback.print_exc()
                print(f"[  FAILED  ] {full}", flush=True)
                continue
            passed += 1
            print(f"[       OK ] {full} ({time.monotonic() - started:.1f} s)", flush=True)
    print(f"[==========] e2e: {passed + failed} test(s) run.")
    print(f"[  PASSED  ] {passed} test(s).")
    if failed:
        print(f"[  FAILED  ] {failed} test(s), listed below:")
        for n in names:
            print(f"[  FAILED  ] {n}")
    return 1 if failed else 0


def run_parallel(n):
    """Each module in a process of its own, n at a time. Prints each
    module's whole output (its own summary lines included) as it ends."""
    order = {name: i for i, name in enumerate(SLOWEST_FIRST)}
    queue = sorted((p.stem for p in modules()), key=lambda m: (order.get(m, len(order)), m))
    running, rc = [], 0
    while queue or running:
        while queue and len(running) < n:
            name = queue.pop(0)
            # a file, not a pipe: a module with much to say never blocks
            log = tempfile.TemporaryFile()
            proc = subprocess.Popen([sys.executable, __file__, "--module", name],
                                    stdout=log, stderr=subprocess.STDOUT)
            proc.log = log
            running.append((name, proc))
        name, proc = running[0]
        for entry in running:
            if entry[1].poll() is not None:
                name, proc = entry
                break
        else:
            time.sleep(0.2)
            continue
        proc.wait()
        proc.log.seek(0)
        out = proc.log.read()
        proc.log.close()
        running.remove((name, proc))
        sys.stdout.buffer.write(out)
        sys.stdout.flush()
        if proc.returncode != 0:
            rc = 1
            if b"[  FAILED  ]" not in out:
                print(f"[  FAILED  ] 1 test(s): {name} exited with status {proc.returncode}")
    return rc


def main():
    args = sys.argv[1:]
    if args[:1] == ["--parallel"]:
        return run_parallel(int(args[1]))
    if args[:1] == ["--module"]:
        return run_tests([HERE / f"{args[1]}.py"], "")
    return run_tests(modules(), args[0] if args else "")


if __name__ == "__main__":
    sys.exit(main())
