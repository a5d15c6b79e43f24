#!/usr/bin/env python3
"""Screenshots for the README: the dashboard at 80x24 and 200x50 during a
run with a kill, a deadlock and progress, and the report of that run.
Usage: capture.py OUTDIR  (needs tmux and Debian's chromium; `make
screenshots` installs it)."""
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
import ansi2html  # noqa: E402

MW, SIM = ROOT / "mergewatch", ROOT / "mergewatch-sim"

PLAN = """; the screenshots' run: pairs that finish, bloat, deadlock and get killed
[limits]
kill_rss = 700M
memory_max = 1G
deadlock_window = 20s
on_deadlock = kill
timeout = 3m
[pair chr01]
command = {sim} --rate 40M/s --peak 300M --hold 2s --progress 20
[pair chr02]
command = {sim} --rate 150M/s --peak 900M --hold 20s --progress 12
[pair chr03]
command = {sim} --peak 120M --deadlock --deadlock-after 3s --threads 4 --progress 10
[pair chr04]
command = {sim} --rate 25M/s --peak 500M --hold 60s --progress 60
[pair chr05]
command = {sim} --steps 20
[pair chr06]
command = {sim} --steps 20
"""


def tmux(sock, *args):
    return subprocess.run(["tmux", "-L", sock, *args], capture_output=True, text=True)


def wait_screen(sock, text, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        s = tmux(sock, "capture-pane", "-p").stdout
        if text in s:
            return s
        time.sleep(0.2)
    raise SystemExit(f"'{text}' never appeared:\n{s}")


def photograph(html_path, png, width, height):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu",
                    "--hide-scrollbars", f"--window-size={width},{height}",
                    f"--screenshot={png}", f"file://{html_path}"],
                   check=True, capture_output=True, timeout=120)


def capture_screen(sock, out, name, cols, rows, tmp):
    text = tmux(sock, "capture-pane", "-p", "-e").stdout
    page = tmp / f"{name}.html"
    page.write_text(ansi2html.convert(text, cols, rows, name))
    # 15px DejaVu Sans Mono: about 9.05 px a cell, 18 px a line
    photograph(page, out / f"{name}.png", int(cols * 9.05) + 16, rows * 18 + 16)


def main():
    out = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "docs").resolve()
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="mw-shots-"))
    (tmp / "plan.ini").write_text(PLAN.format(sim=SIM))
    sock = f"mw-shots-{os.getpid()}"
    env = "env LANG=C.UTF-8 TERM=xterm-256color"
    tmux(sock, "new-session", "-d", "-x", "200", "-y", "50", "-c", str(tmp),
         f"{env} {MW} run plan.ini; sleep 600")
    try:
        # chr02 killed at the line, chr03's deadlock verdict due, chr04 running
        wait_screen(sock, "chr04", 60)
        wait_screen(sock, "deadlock", 120)
        time.sleep(2)
        capture_screen(sock, out, "dashboard-200x50", 200, 50, tmp)
        tmux(sock, "resize-window", "-x", "80", "-y", "24")
        time.sleep(2)
        capture_screen(sock, out, "dashboard-80x24", 80, 24, tmp)
        wait_screen(sock, "Run over", 300)
        tmux(sock, "send-keys", "q")
        time.sleep(1)
    finally:
        tmux(sock, "kill-server")
    subprocess.run([str(MW), "report", str(tmp / "mergewatch-logs")], check=True,
                   capture_output=True)
    photograph(tmp / "mergewatch-logs/report.html", out / "report.png", 900, 3000)
    shutil.rmtree(tmp, ignore_errors=True)
    for name in ("dashboard-80x24.png", "dashboard-200x50.png", "report.png"):
        print(out / name)


if __name__ == "__main__":
    main()
