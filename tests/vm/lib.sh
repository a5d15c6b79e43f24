# Helpers of the VM scenarios (tests/vm/scenarios.sh, systemd-scenarios.sh):
# one scenario at a time in its own directory, its events in $dir/ev, what
# it expects, and cmocka-shaped result lines the host counts. POSIX sh
# (busybox ash in the small image, dash in the systemd one).
MW=${MW:-/bin/mergewatch}
SIM=${SIM:-/bin/mergewatch-sim}
CG=/sys/fs/cgroup
MiB=1048576
passed=0
failed=0
n=0

# json EVENTS EVENT KEY: KEY of the first EVENT line, quotes dropped (one
# sed: every process started costs under TCG)
json() {
	sed -n -e "/\"event\":\"$2\"/{" -e "s/.*\"$3\":\"\([^\"]*\)\".*/\1/p" -e 't found' \
		-e "s/.*\"$3\":\([^,}]*\).*/\1/p" -e ':found' -e 'q' -e '}' "$1"
}

# A scenario's result: check NAME CONDITION-TEXT (from the last expect calls)
begin() {
	name=$1
	why=""
	n=$((n + 1))
	dir=/tmp/s$n
	mkdir -p "$dir"
	chmod 777 "$dir"
	t0=$(cut -d' ' -f1 /proc/uptime)
	echo "[ RUN      ] vm.$name"
}
expect() { # expect WHAT VALUE WANT: VALUE must equal WANT
	[ "$2" = "$3" ] || why="$why; $1 is '$2', not '$3'"
}
expect_in() { # expect_in WHAT TEXT PART: TEXT must contain PART
	case "$2" in *"$3"*) ;; *) why="$why; $1 '$2' lacks '$3'" ;; esac
}
expect_not() { # expect_not WHAT VALUE UNWANTED
	[ "$2" != "$3" ] || why="$why; $1 is '$2'"
}
finish() {
	[ -s "$dir/ev" ] && echo "LAYOUT $name: $(json "$dir/ev" run_start limit_mechanism):" \
		"$(json "$dir/ev" run_start limit_note)"
	sleep 0.2 # a scope's manager removes it a moment after it empties
	left=$(find $CG -mindepth 1 -type d -name 'mergewatch-[0-9]*' 2>/dev/null | tr '\n' ' ')
	[ -z "$left" ] || why="$why; groups left behind: $left"
	echo "TIME $name $(awk -v t0="$t0" '{ printf "%.1f s", $1 - t0 }' /proc/uptime)"
	if [ -z "$why" ]; then
		echo "[       OK ] vm.$name"
		passed=$((passed + 1))
	else
		echo "[  FAILED  ] vm.$name:${why#;}"
		failed=$((failed + 1))
		sed 's/^/    | /' "$dir/ev" "$dir/err" 2>/dev/null | head -n 40
	fi
}
figure() { # the kill and cap figures of a scenario's events
	ev=$dir/ev
	echo "FIGURE $name mechanism=$(json "$ev" run_start limit_mechanism)" \
		"status=$(json "$ev" pair_end status) reason=$(json "$ev" pair_end reason)" \
		"kill_rss=$(json "$ev" kill kill_rss) rss_at_kill=$(json "$ev" kill rss)" \
		"peak_rss=$(json "$ev" pair_end peak_rss) elapsed_s=$(json "$ev" pair_end elapsed_s)" \
		"run_s=$(json "$ev" run_end elapsed_s) command_s=$mw_s"
}
# mw [run ARGS]: mergewatch in the scenario's directory, events in ev
mw() {
	mw_t0=$(cut -d' ' -f1 /proc/uptime)
	(cd "$dir" && "$@" >"$dir/ev" 2>"$dir/err")
	mw_s=$(awk -v t0="$mw_t0" '{ printf "%.1f", $1 - t0 }' /proc/uptime)
}
no_process() { # no_process COMM: none of that name is left (zombies aside)
	for c in $(grep -lx "$1" /proc/[0-9]*/comm 2>/dev/null); do
		grep -q '^State:[[:space:]]*Z' "${c%/comm}/status" 2>/dev/null ||
			why="$why; '$1' (${c#/proc/}) outlived its pair"
	done
}

summary() {
	echo "[==========] vm: $n test(s) run."
	echo "[  PASSED  ] $passed test(s)."
	[ "$failed" = 0 ] || echo "[  FAILED  ] $failed test(s)."
}

# Several pairs at once: three pairs under memory_budget = 200M, each
# predicted 6 x 10M = 60M, one (a) reaching 100M; written in $dir.
jobs_plan() {
	mkdir -p "$dir/in"
	{
		printf '[run]\njobs = auto\nmemory_budget = 200M\n[limits]\nkill_rss = 2G\n'
		printf '[pair a]\ncommand = %s --peak 100M --rate 50M --hold 2s\ninputs = in/a\n' "$SIM"
		printf '[pair b]\ncommand = %s --peak 50M --rate 50M --hold 3s\ninputs = in/b\n' "$SIM"
		printf '[pair c]\ncommand = %s --peak 50M --rate 50M --hold 3s\ninputs = in/c\n' "$SIM"
	} >"$dir/plan.ini"
	for p in a b c; do truncate -s 10M "$dir/in/$p"; done
}
budget_requeues() { # pair_end requeued for the budget in $dir/ev
	grep '"event":"pair_end"' "$dir/ev" | grep '"status":"requeued"' | grep -c '"reason":"budget"'
}
