"""A terminal screen captured with `tmux capture-pane -p -e` as an HTML
page: every SGR attribute tmux emits (bold, underline, reverse, the 16
colours, 256-colour and RGB) becomes a styled span, on a fixed grid of
cols x rows cells, so headless Chromium can photograph it."""
import html
import re

# xterm's default 16 colours, as most terminals show them
BASIC = ["#000000", "#cd0000", "#00cd00", "#cdcd00", "#0000ee", "#cd00cd", "#00cdcd", "#e5e5e5",
         "#7f7f7f", "#ff0000", "#00ff00", "#ffff00", "#5c5cff", "#ff00ff", "#00ffff", "#ffffff"]
FG, BG = "#e5e5e5", "#1e1e1e"


def xterm256(n):
    if n < 16:
        return BASIC[n]
    if n < 232:
        n -= 16
        steps = [0, 95, 135, 175, 215, 255]
        return "#%02x%02x%02x" % (steps[n // 36], steps[n // 6 % 6], steps[n % 6])
    v = 8 + 10 * (n - 232)
    return "#%02x%02x%02x" % (v, v, v)


class Style:
    def __init__(self):
        self.reset()

    def reset(self):
        self.fg = self.bg = None
        self.bold = self.underline = self.reverse = self.dim = False

    def apply(self, params):
        p = [int(x) if x else 0 for x in params.split(";")] if params else [0]
        i = 0
        while i < len(p):
            c = p[i]
            if c == 0:
                self.reset()
            elif c == 1:
                self.bold = True
            elif c == 2:
                self.dim = True
            elif c == 4:
                self.underline = True
            elif c == 7:
                self.reverse = True
            elif c == 22:
                self.bold = self.dim = False
            elif c == 24:
                self.underline = False
            elif c == 27:
                self.reverse = False
            elif 30 <= c <= 37:
                self.fg = BASIC[c - 30]
            elif 90 <= c <= 97:
                self.fg = BASIC[c - 90 + 8]
            elif c == 39:
                self.fg = None
            elif 40 <= c <= 47:
                self.bg = BASIC[c - 40]
            elif 100 <= c <= 107:
                self.bg = BASIC[c - 100 + 8]
            elif c == 49:
                self.bg = None
            elif c in (38, 48) and i + 2 < len(p) and p[i + 1] == 5:
                col = xterm256(p[i + 2])
                if c == 38:
                    self.fg = col
                else:
                    self.bg = col
                i += 2
            elif c in (38, 48) and i + 4 < len(p) and p[i + 1] == 2:
                col = "#%02x%02x%02x" % tuple(p[i + 2:i + 5])
                if c == 38:
                    self.fg = col
                else:
                    self.bg = col
                i += 4
            i += 1

    def css(self):
        fg, bg = self.fg or FG, self.bg or BG
        if self.reverse:
            fg, bg = bg, fg
        out = [f"color:{fg}", f"background:{bg}"]
        if self.bold:
            out.append("font-weight:bold")
        if self.dim:
            out.append("opacity:.7")
        if self.underline:
            out.append("text-decoration:underline")
        return ";".join(out)


def convert(text, cols, rows, title):
    style = Style()
    lines = text.split("\n")[:rows]
    body = []
    for line in lines:
        style_spans, pos = [], 0
        parts = re.split(r"(\x1b\[[0-9;]*m)", line)
        row = []
        for part in parts:
            m = re.fullmatch(r"\x1b\[([0-9;]*)m", part)
            if m:
                style.apply(m.group(1))
                continue
            if part:
                row.append(f'<span style="{style.css()}">{html.escape(part)}</span>')
        body.append("".join(row))
        style.reset()  # tmux starts each captured line afresh
    while len(body) < rows:
        body.append("")
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>
html,body{{margin:0;background:{BG}}}
pre{{margin:0;padding:8px;font:15px/1.2 'DejaVu Sans Mono',monospace;color:{FG};
width:{cols}ch;white-space:pre}}
</style></head><body><pre>{chr(10).join(body)}</pre></body></html>
"""
