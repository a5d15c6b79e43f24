"""A real terminal for the dashboard tests: tmux on a private socket."""
import os
import re
import subprocess
import time

BLOCKS = "\u2581\u2582\u2583\u2584\u2585\u2586\u2587\u2588"  # graph cells, lowest to full


def cells(line):
    """The characters of one captured line (capture-pane -e) with whether
    each is drawn in reverse video: [(char, reverse)]."""
    out, reverse = [], False
    for part in re.split(r"(\x1b\[[0-9;]*m)", line):
        m = re.fullmatch(r"\x1b\[([0-9;]*)m", part)
        if m:
            params = [int(p) if p else 0 for p in m.group(1).split(";")] if m.group(1) else [0]
            for p in params:
                if p == 0 or p == 27:
                    reverse = False
                elif p == 7:
                    reverse = True
            continue
        out.extend((ch, reverse) for ch in part)
    return out


class Tmux:
    def __init__(self, command, width=80, height=24, env=None, cwd=None):
        self.socket = f"mw-e2e-{os.getpid()}-{time.monotonic_ns()}"
        full = " ".join(f"{k}={v}" for k, v in (env or {}).items())
        self._tmux("new-session", "-d", "-x", str(width), "-y", str(height),
                   "-c", str(cwd or os.getcwd()), f"env {full} {command}; sleep 30")
        self._tmux("set-option", "-g", "remain-on-exit", "on")

    def _tmux(self, *args):
        return subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True,
                              text=True, check=False)

    def screen(self):
        return self._tmux("capture-pane", "-p").stdout

    def screen_escapes(self):
        return self._tmux("capture-pane", "-p", "-e").stdout

    def keys(self, *keys):
        self._tmux("send-keys", *keys)

    def resize(self, width, height):
        self._tmux("resize-window", "-x", str(width), "-y", str(height))

    def wait_gone(self, text, timeout=20.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            s = self.screen()
            if text not in s:
                return s
            time.sleep(0.1)
        raise AssertionError(f"{text!r} never went; screen:\n{self.screen()}")

    def wait_text(self, text, timeout=20.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            s = self.screen()
            if text in s:
                return s
            time.sleep(0.1)
        raise AssertionError(f"{text!r} never appeared; screen:\n{self.screen()}")

    def pane_pid(self):
        return int(self._tmux("display-message", "-p", "#{pane_pid}").stdout.strip())

    def _mergewatch_pids(self):
        """mergewatch processes started in this terminal (children of its shell)."""
        try:
            shell = self.pane_pid()
            kids = open(f"/proc/{shell}/task/{shell}/children").read().split()
        except (ValueError, OSError):
            return []
        pids = []
        for k in kids:
            try:
                if open(f"/proc/{k}/comm").read().strip() == "mergewatch":
                    pids.append(int(k))
            except OSError:
                pass
        return pids

    def close(self):
        """Ends the terminal, then waits for the mergewatch it ran to exit
        (it carries on headless after the hang-up and may still be writing
        its logs)."""
        pids = self._mergewatch_pids()
        self._tmux("kill-server")
        deadline = time.monotonic() + 20
        for pid in pids:
            while time.monotonic() < deadline and os.path.exists(f"/proc/{pid}"):
                try:
                    with open(f"/proc/{pid}/stat") as f:
                        if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                            break
                except OSError:
                    break
                time.sleep(0.05)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
