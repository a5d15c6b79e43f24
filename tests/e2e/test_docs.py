"""The documentation and the install: the man page renders cleanly and
documents every plan key, option and event; the bash completion knows every
option and completes what it should; the examples work; `make install`
puts everything where it belongs."""
import os
import pathlib
import re
import shutil
import stat
import subprocess
import tempfile

from mwlib import MW, ROOT, Dir, one, read_events

MAN = ROOT / "docs" / "mergewatch.1"
COMPLETION = ROOT / "completions" / "mergewatch.bash"
EXAMPLES = ROOT / "examples"


def _rendered(width=200):
    """The man page as plain text: through man(1) where it exists (with
    hyphenation off in the page, option names are never split), else the
    roff source with its escapes and requests stripped."""
    if shutil.which("man"):
        env = dict(os.environ, MANWIDTH=str(width), MAN_KEEP_FORMATTING="")
        env.pop("MANPAGER", None)
        env.pop("PAGER", None)
        p = subprocess.run(["man", "-l", str(MAN)], capture_output=True, text=True,
                           env=env, stdin=subprocess.DEVNULL, timeout=60)
        assert p.returncode == 0, p.stderr
        text = p.stdout
    else:
        text = MAN.read_text()
        text = re.sub(r"^\.\\\".*$", "", text, flags=re.M)
        text = re.sub(r"^\.[A-Za-z]+ ?", "", text, flags=re.M)
        text = text.replace("\\-", "-").replace("\\(ti", "~").replace("\\ ", " ")
        text = re.sub(r"\\f[BIRP]", "", text)
        text = re.sub(r"\\\([a-z]{2}", " ", text)
        text = text.replace('"', "")
    # Whatever the output device did to hyphens and minus signs.
    return text.replace("\u2010", "-").replace("\u2212", "-")


def _section(text, title):
    """The body of a man page section (a heading at column 0) up to the next."""
    lines = text.splitlines()
    try:
        start = next(i for i, line in enumerate(lines) if line.strip() == title
                     and not line.startswith(" "))
    except StopIteration:
        raise AssertionError(f"no section {title!r} in the man page")
    body = []
    for line in lines[start + 1:]:
        if line and not line.startswith(" ") and line.strip().isupper():
            break
        body.append(line)
    return "\n".join(body)


def _word(word, text):
    return re.search(r"(?<![\w-])" + re.escape(word) + r"(?![\w-])", text) is not None


def _plan_keys():
    """Every key the plan parser accepts: its table in plan/plan_keys.c,
    and every key `check` prints for a plan that sets them all."""
    source = (ROOT / "plan" / "plan_keys.c").read_text()
    table = set(re.findall(r'\[PLAN_KEY_[A-Z_]+\]\s*=\s*\{\s*"([a-z_]+)"', source))
    p = subprocess.run([MW, "check", str(ROOT / "tests/fixtures/plans/full.ini")],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    printed = set(re.findall(r"^([a-z_]+) = ", p.stdout, flags=re.M))
    keys = table | printed
    # A parse that found nothing would make the tests below pass vacuously.
    assert len(table) >= 25 and "kill_rss" in table and "progress_regex" in table, table
    assert {"jobs", "memory_budget"} <= table and {"jobs", "memory_budget"} <= printed
    return keys


def _help_options():
    p = subprocess.run([MW, "--help"], capture_output=True, text=True, timeout=30)
    assert p.returncode == 0
    opts = set(re.findall(r"(?<![\w-])--[a-z][a-z-]*", p.stdout))
    assert {"--headless", "--kill-rss", "--webhook-format", "--help"} <= opts, opts
    return opts


def _complete(*words):
    """What the bash completion offers for the last of words (which may be
    empty), as `mergewatch WORDS<TAB>` would."""
    script = (f"source {COMPLETION}\n"
              "COMP_WORDS=(mergewatch \"$@\"); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))\n"
              "COMPREPLY=(); _mergewatch; printf '%s\\n' \"${COMPREPLY[@]}\"\n")
    p = subprocess.run(["bash", "-c", script, "bash", *words], capture_output=True,
                       text=True, timeout=30, cwd=ROOT)
    assert p.returncode == 0, p.stderr
    return set(w for w in p.stdout.splitlines() if w)


def test_man_page_renders_without_warnings():
    if not shutil.which("man"):
        return      # nothing to render with: the other tests read the source
    env = dict(os.environ, MANWIDTH="80")
    env.pop("MANPAGER", None)
    env.pop("PAGER", None)
    p = subprocess.run(["man", "--warnings", "-l", str(MAN)], capture_output=True,
                       text=True, env=env, stdin=subprocess.DEVNULL, timeout=60)
    assert p.returncode == 0, p.stderr
    assert p.stderr.strip() == "", p.stderr
    assert "PLAN FILE" in p.stdout and "EXIT STATUS" in p.stdout
    # No line wider than the terminal it was set for.
    wide = [line for line in p.stdout.splitlines() if len(line) > 80]
    assert not wide, wide
    if shutil.which("groff"):
        # Every warning groff knows of, not only man's default set.
        g = subprocess.run(["groff", "-ww", "-b", "-man", "-Tutf8", "-z", str(MAN)],
                           capture_output=True, text=True, timeout=60)
        assert g.returncode == 0 and g.stderr.strip() == "", g.stderr


def test_man_page_has_the_sections_an_operator_looks_for():
    text = _rendered()
    for title in ("NAME", "SYNOPSIS", "DESCRIPTION", "COMMANDS", "OPTIONS", "PLAN FILE",
                  "EVENT LOG", "DETECTION RULES", "DASHBOARD", "ALERTS", "EXIT STATUS",
                  "ENVIRONMENT", "FILES", "EXAMPLES", "SEE ALSO"):
        assert _section(text, title).strip(), title
    see_also = _section(text, "SEE ALSO")
    for ref in ("systemd-run(1)", "earlyoom(1)", "htop(1)", "cgroups(7)"):
        assert ref in see_also, ref
    env = _section(text, "ENVIRONMENT")
    for name in ("MERGEWATCH_WEBHOOK_URL", "MERGEWATCH_PAIR", "NO_COLOR"):
        assert _word(name, env), name
    files = _section(text, "FILES")
    for name in ("events.jsonl", "state", "lock", ".log", ".deadlock.txt"):
        assert name in files, name
    dashboard = _section(text, "DASHBOARD")
    for pane in ("Memory", "Swap", "Pairs", "Processes", "Alerts"):
        assert _word(pane, dashboard), pane


def test_man_page_documents_every_plan_key():
    plan_file = _section(_rendered(), "PLAN FILE")
    for key in sorted(_plan_keys()):
        # Each key is an entry of its own: "key = VALUE" at the start of a line.
        assert re.search(r"^\s+" + re.escape(key) + r" = ", plan_file, flags=re.M), \
            f"plan key {key} is not documented in PLAN FILE"


def test_every_long_option_is_in_the_man_page_and_the_completion():
    options = _section(_rendered(), "OPTIONS")
    completion = COMPLETION.read_text()
    for opt in sorted(_help_options()):
        assert _word(opt, options), f"{opt} is not documented in OPTIONS"
        assert _word(opt, completion), f"{opt} is not in the bash completion"


def test_man_page_documents_every_event_and_field_of_the_spec():
    spec = (ROOT / "docs" / "SPEC.md").read_text()
    table = spec[spec.index("## The event log"):spec.index("## Detection rules")]
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    assert len(rows) >= 14, rows
    log = _section(_rendered(), "EVENT LOG")
    for row in rows:
        for word in re.findall(r"`([^`]+)`", row):
            word = word.strip('"')
            assert _word(word, log), f"{word!r} (SPEC: {row[:40]}...) not in EVENT LOG"


def test_bash_completion_completes_commands_values_files_and_pids():
    assert _complete("") == {"run", "watch", "check", "demo", "report"}
    assert _complete("run", "--on-deadlock", "") == {"alert", "kill", "restart"}
    assert _complete("check", "--webhook-format", "") == \
        {"slack", "discord", "teams", "mattermost", "generic"}
    # --opt=value, split at '=' as bash does by default
    assert _complete("run", "--on-deadlock", "=", "r") == {"restart"}
    assert "--test-alert" in _complete("check", "--")
    assert "--inputs" in _complete("run", "--")
    assert "--jobs" in _complete("run", "--") and "--jobs" in _complete("check", "--j")
    assert "auto" in _complete("run", "--jobs", "")
    assert _complete("run", "--jobs=", "a") == {"auto"} or \
        _complete("run", "--jobs", "=", "a") == {"auto"}
    # --jobs takes a value: the plan after it is still the first argument
    assert "tests/fixtures/plans/minimal.ini" in \
        _complete("run", "--jobs", "auto", "tests/fixtures/plans/mi")
    # PLAN: plan files
    assert "tests/fixtures/plans/full.ini" in _complete("run", "tests/fixtures/plans/fu")
    assert "tests/fixtures/plans/minimal.ini" in \
        _complete("check", "--kill-rss", "50G", "tests/fixtures/plans/mi")
    # one plan only
    assert _complete("run", "tests/fixtures/plans/full.ini", "") == set()
    # watch: PIDs of running processes (this one among them)
    assert str(os.getpid()) in _complete("watch", "")
    # after run --: the job's command line
    assert "sh" in _complete("run", "--headless", "--", "sh")


def test_example_plan_checks_with_27_pairs():
    plan = EXAMPLES / "parquet-merge-27.ini"
    p = subprocess.run([MW, "check", str(plan)], capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    pairs = re.split(r"^\[pair ", p.stdout, flags=re.M)[1:]
    assert len(pairs) == 27, p.stdout
    for text in pairs:
        settings = dict(re.findall(r"^([a-z_]+) = (.*?)\s*(?:;.*)?$", text, flags=re.M))
        assert settings["kill_rss"] == "50G" and settings["memory_max"] == "56G", text
        assert settings["capture"].startswith("py-spy dump"), text
        for key in ("command", "inputs", "output", "verify", "cleanup"):
            assert settings[key] != "none", (key, text)
    assert re.search(r"^start_min_available = (?!0\b)", p.stdout, flags=re.M), \
        "the example has a health gate"


def _workspace(d, merge_exit=0):
    d.write("scripts/merge_with_polars.py", f"""
import os, sys
pair = sys.argv[sys.argv.index("--pair") + 1]
os.makedirs("merged", exist_ok=True)
for i in range(1, 3):
    print(f"PROGRESS {{i}}/2", flush=True)
with open(f"merged/pair{{pair}}.parquet", "wb") as f:
    f.write(b"PAR1" * 1024)
sys.exit({merge_exit})
""")
    d.write("scripts/check_parquet.py", """
import os, sys
sys.exit(0 if os.path.getsize(sys.argv[1]) > 0 else 1)
""")
    d.blob("checkpoints/pair07/part-0.parquet", 300000)
    d.blob("checkpoints/pair07/part-1.parquet", 200000)


def _one_command(d):
    env = dict(os.environ, MERGE_DIR=str(d.path), MERGEWATCH=MW,
               WEBHOOK_FILE=str(d.path / "no-webhook"))
    env.pop("MERGEWATCH_WEBHOOK_URL", None)
    return subprocess.run(["sh", str(EXAMPLES / "one-command.sh"), "07"], capture_output=True,
                          text=True, env=env, stdin=subprocess.DEVNULL, timeout=120)


def test_one_command_example_merges_verifies_and_cleans_up():
    with Dir() as d:
        _workspace(d)
        p = _one_command(d)
        assert p.returncode == 0, p.stdout + p.stderr
        assert (d.path / "merged/pair07.parquet").stat().st_size > 0
        assert not (d.path / "checkpoints/pair07").exists()
        ev = read_events(d.path / "mergewatch-logs/events.jsonl")
        start = one(ev, "pair_start", pair="python3")
        assert start["input_bytes"] == 500000
        assert one(ev, "pair_end", pair="python3")["status"] == "done"


def test_one_command_example_keeps_the_checkpoints_of_a_failed_pair():
    with Dir() as d:
        _workspace(d, merge_exit=1)
        p = _one_command(d)
        assert p.returncode == 1, p.stdout + p.stderr
        assert (d.path / "checkpoints/pair07/part-0.parquet").exists()
        ev = read_events(d.path / "mergewatch-logs/events.jsonl")
        end = one(ev, "pair_end", pair="python3")
        assert end["status"] == "failed" and end["reason"] == "exit"


def test_systemd_unit_example_is_valid():
    unit = (EXAMPLES / "mergewatch-run@.service").read_text()
    service = unit[unit.index("[Service]"):unit.index("[Install]")]
    settings = dict(re.findall(r"^(\w+)=(.*)$", service, flags=re.M))
    assert settings["ExecStart"].endswith("mergewatch run --headless /etc/mergewatch/%i.ini")
    assert settings["Delegate"] == "yes"
    assert settings["KillMode"] == "mixed"
    # The watchdog writes /sys/fs/cgroup: nothing may make it read-only.
    for key in ("ProtectControlGroups", "ProtectKernelTunables"):
        assert settings.get(key, "no") == "no", key
    if not shutil.which("systemd-analyze"):
        return
    with tempfile.TemporaryDirectory(prefix="mw-unit-") as tmp:
        path = pathlib.Path(tmp) / "mergewatch-run@test.service"
        path.write_text(unit.replace("/usr/local/bin/mergewatch", MW))
        p = subprocess.run(["systemd-analyze", "verify", "--man=no", str(path)],
                           capture_output=True, text=True, timeout=60)
        complaints = [line for line in (p.stdout + p.stderr).splitlines()
                      if path.name in line and
                      # systemd before 254 does not know it; the unit says so
                      "Unknown key 'DelegateSubgroup'" not in line]
        assert not complaints, complaints


def test_make_install_installs_the_binary_man_page_completion_and_examples():
    with tempfile.TemporaryDirectory(prefix="mw-install-") as dest:
        root = pathlib.Path(dest)
        p = subprocess.run(["make", "-C", str(ROOT), "install", "install-docs",
                            f"DESTDIR={dest}", "PREFIX=/usr"],
                           capture_output=True, text=True, timeout=600)
        assert p.returncode == 0, p.stdout + p.stderr
        binary = root / "usr/bin/mergewatch"
        assert binary.stat().st_mode & stat.S_IXUSR
        v = subprocess.run([str(binary), "--version"], capture_output=True, text=True,
                           timeout=30)
        assert v.returncode == 0 and v.stdout.startswith("mergewatch ")
        man = root / "usr/share/man/man1/mergewatch.1"
        assert man.read_bytes() == MAN.read_bytes()
        completion = root / "usr/share/bash-completion/completions/mergewatch"
        assert completion.read_bytes() == COMPLETION.read_bytes()
        examples = root / "usr/share/doc/mergewatch/examples"
        assert (examples / "parquet-merge-27.ini").read_bytes() == \
            (EXAMPLES / "parquet-merge-27.ini").read_bytes()
        assert (examples / "one-command.sh").stat().st_mode & stat.S_IXUSR
        # The installed unit names the installed binary.
        unit = (examples / "mergewatch-run@.service").read_text()
        assert "ExecStart=/usr/bin/mergewatch run --headless" in unit
        for f in (man, completion, examples / "parquet-merge-27.ini"):
            assert not f.stat().st_mode & stat.S_IXUSR, f

        u = subprocess.run(["make", "-C", str(ROOT), "uninstall-docs",
                            f"DESTDIR={dest}", "PREFIX=/usr"],
                           capture_output=True, text=True, timeout=120)
        assert u.returncode == 0, u.stdout + u.stderr
        assert not man.exists() and not completion.exists()
        assert not examples.exists()
        assert binary.exists()      # uninstall-docs leaves the program alone
