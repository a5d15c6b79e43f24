#!/usr/bin/env python3
"""Checks that includes point down the layers given on the command line.

Each argument is one layer, bottom first; "a:b" puts folders a and b side
by side on one level (neither may include the other). Every quoted #include
of every .c and .h file in those folders (and main.c, on top) must name a
file in its own folder or in a folder of a lower level. Prints each
offending include as FILE:LINE and exits 1, or prints a one-line summary."""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def main(levels):
    rank = {}
    for i, level in enumerate(levels):
        for folder in level.split(":"):
            rank[folder] = i
    top = len(levels)
    files = [p for f in rank for p in sorted((ROOT / f).glob("*.[ch]"))]
    files.append(ROOT / "main.c")
    bad = 0
    edges = 0
    for path in files:
        here = path.parent.name if path.parent != ROOT else None
        here_rank = rank.get(here, top)
        for n, line in enumerate(path.read_text().splitlines(), 1):
            m = INCLUDE.match(line)
            if not m:
                continue
            target = (path.parent / m.group(1)).resolve()
            try:
                folder = target.relative_to(ROOT).parts[0]
            except ValueError:
                folder = None
            if folder == here or target.parent == path.parent:
                continue
            edges += 1
            if folder not in rank:
                print(f"{path.relative_to(ROOT)}:{n}: includes {m.group(1)}, outside the layers")
                bad += 1
            elif rank[folder] >= here_rank:
                print(f"{path.relative_to(ROOT)}:{n}: {here or 'main.c'} includes {m.group(1)}, "
                      f"which is not below it ({' < '.join(levels)})")
                bad += 1
    if bad:
        print(f"layers: {bad} include(s) point up or sideways")
        return 1
    print(f"layers: {len(files)} files, {edges} includes across folders, all pointing down")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
