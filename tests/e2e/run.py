#!/usr/bin/env python3
"""End-to-end suite: drives the real mergewatch binary on real processes.

Every test_* function of every tests/e2e/test_*.py module runs in turn; the
summary lines have cmocka's shape so tests/run-all.sh can add them up.
Usage: run.py [PATTERN]   (runs the tests whose name contains PATTERN)
"""
import importlib.util
import pathlib
import sys
import time
import traceback

HERE = pathlib.Path(__file__).resolve().parent


def main():
    pattern = sys.argv[1] if len(sys.argv) > 1 else ""
    passed, failed, names = 0, 0, []
    sys.path.insert(0, str(HERE))
    for path in sorted(HERE.glob("test_*.py")):
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


if __name__ == "__main__":
    sys.exit(main())
