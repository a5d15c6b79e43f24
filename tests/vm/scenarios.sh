# The cgroup v2 scenarios, run by tests/vm/init as PID 1's child on a real
# 6.1 kernel: one layout each (root, a delegated subtree, a root-owned
# session scope, a container's cgroup namespace, an operator's own limit),
# and what must hold in it (the mechanism named and proven, kill at the
# line, cap by the kernel, escapees counted and killed, no group left).
# Prints cmocka-shaped lines ("[       OK ] vm.NAME", "[  FAILED  ] ...",
# and the two summary lines) and FIGURE lines with what was measured.
. /vmlib.sh

# --- check: side-effect free -------------------------------------------
begin check_changes_nothing
before=$(find $CG -type d | sort | md5sum; cat $CG/cgroup.subtree_control)
printf '[pair a]\ncommand = true\n' >"$dir/plan.ini"
(cd "$dir" && $MW check plan.ini >"$dir/out" 2>"$dir/err")
after=$(find $CG -type d | sort | md5sum; cat $CG/cgroup.subtree_control)
expect "the cgroup tree after check" "$after" "$before"
expect_in "check's output" "$(cat "$dir/out")" "limit_mechanism = cgroup2"
expect_in "check's output" "$(cat "$dir/out")" "limit_note = pair groups would go in $CG"
finish

# --- root: the kernel cap, the kill line, escapees, output bursts -------
begin root_cap_by_the_kernel
mw $MW run --headless --kill-rss 2G --memory-max 64M -- $SIM --peak 300M --rate 100M --hold 5s
expect mechanism "$(json "$dir/ev" run_start limit_mechanism)" cgroup2
expect_in limit_note "$(json "$dir/ev" run_start limit_note)" "pair groups in $CG"
expect status "$(json "$dir/ev" pair_end status)" killed
expect reason "$(json "$dir/ev" pair_end reason)" memory_max
figure
finish

begin root_kill_at_the_line
mw $MW run --headless --kill-rss 100M -- $SIM --peak 400M --rate 100M --hold 5s
expect status "$(json "$dir/ev" pair_end status)" killed
expect reason "$(json "$dir/ev" kill reason)" rss
figure
finish

begin root_escapee_counted_and_killed
mw $MW run --headless --kill-rss 100M -- sh -c \
	"($SIM --name mw-escapee --peak 400M --rate 100M --hold 60s &); setsid sleep 60 & sleep 60"
expect reason "$(json "$dir/ev" kill reason)" rss
no_process mw-escapee
figure
finish

begin root_output_burst_does_not_blind
mw $MW run --headless --kill-rss 100M -- sh -c \
	"(yes | head -c 100M) & exec $SIM --name mw-grower --peak 400M --rate 100M --hold 5s"
expect status "$(json "$dir/ev" pair_end status)" killed
expect reason "$(json "$dir/ev" kill reason)" rss
figure
finish

# --- an operator's own limit above mergewatch -----------------------------
begin operator_limit_holds_over_pairs
mkdir -p $CG/op
echo 250M >$CG/op/memory.max
mw sh -c "echo \$\$ > $CG/op/cgroup.procs; exec $MW run --headless --kill-rss 2G -- \
	$SIM --peak 500M --rate 100M --hold 3s"
expect mechanism "$(json "$dir/ev" run_start limit_mechanism)" cgroup2
expect_in limit_note "$(json "$dir/ev" run_start limit_note)" "pair groups in $CG/op (mergewatch moved itself into $CG/op/mergewatch)"
expect_not status "$(json "$dir/ev" pair_end status)" done
expect reason "$(json "$dir/ev" pair_end reason)" memory_max
figure
finish

# --- a subtree delegated to an unprivileged user --------------------------
delegate() { # delegate DIR: owned by user 1000, as systemd's Delegate=yes does
	mkdir -p "$1"
	chown 1000:1000 "$1" "$1/cgroup.procs" "$1/cgroup.subtree_control" "$1/cgroup.threads"
}
as_user="/usr/bin/setpriv --reuid 1000 --regid 1000 --clear-groups"

begin delegated_subtree_non_root
delegate $CG/deleg
mw sh -c "echo \$\$ > $CG/deleg/cgroup.procs; exec $as_user $MW run --headless \
	--kill-rss 2G --memory-max 64M -- $SIM --peak 300M --rate 100M --hold 5s"
expect mechanism "$(json "$dir/ev" run_start limit_mechanism)" cgroup2
expect_in limit_note "$(json "$dir/ev" run_start limit_note)" "pair groups in $CG/deleg (mergewatch moved itself into $CG/deleg/mergewatch)"
expect reason "$(json "$dir/ev" pair_end reason)" memory_max
figure
finish

begin delegated_subgroup_non_root
delegate $CG/deleg2
delegate $CG/deleg2/sub
mw sh -c "echo \$\$ > $CG/deleg2/sub/cgroup.procs; exec $as_user $MW run --headless \
	--kill-rss 100M -- $SIM --peak 400M --rate 100M --hold 5s"
expect mechanism "$(json "$dir/ev" run_start limit_mechanism)" cgroup2
expect_in limit_note "$(json "$dir/ev" run_start limit_note)" "pair groups in $CG/deleg2/sub"
expect reason "$(json "$dir/ev" kill reason)" rss
figure
finish

# --- a root-owned session scope, non-root, with a root-made leftover ------
begin session_scope_non_root_is_none_with_why
mkdir -p $CG/user.slice/user-1000.slice/session-1.scope $CG/user.slice/user-1000.slice/mergewatch
mw sh -c "echo \$\$ > $CG/user.slice/user-1000.slice/session-1.scope/cgroup.procs; \
	exec $as_user $MW run --headless --kill-rss 100M -- sh -c \
	'($SIM --name mw-orphan --peak 400M --rate 100M --hold 60s &); setsid sleep 60 & sleep 60'"
expect mechanism "$(json "$dir/ev" run_start limit_mechanism)" none
expect_in limit_note "$(json "$dir/ev" run_start limit_note)" "cannot make a group in $CG/user.slice/user-1000.slice/session-1.scope: Permission denied"
expect_in limit_note "$(json "$dir/ev" run_start limit_note)" "systemd: no user session bus"
expect reason "$(json "$dir/ev" kill reason)" rss
no_process mw-orphan # no group: found as mergewatch's adopted orphan
figure
finish

# --- a container: its own cgroup namespace and cgroup2 mount --------------
begin container_cgroup_namespace
mkdir -p $CG/ctr
mw sh -c "echo \$\$ > $CG/ctr/cgroup.procs; exec /usr/bin/unshare -C -m sh -c \
	'umount $CG && mount -t cgroup2 cgroup2 $CG && exec $MW run --headless --kill-rss 2G --memory-max 64M -- \
	$SIM --peak 300M --rate 100M --hold 5s'"
expect mechanism "$(json "$dir/ev" run_start limit_mechanism)" cgroup2
expect_in limit_note "$(json "$dir/ev" run_start limit_note)" "mergewatch moved itself into $CG/mergewatch"
expect reason "$(json "$dir/ev" pair_end reason)" memory_max
figure
finish

begin container_with_a_shell_beside_is_none_with_why
mkdir -p $CG/ctr2
mw sh -c "echo \$\$ > $CG/ctr2/cgroup.procs; /usr/bin/unshare -C -m sh -c \
	'umount $CG && mount -t cgroup2 cgroup2 $CG && $MW run --headless --kill-rss 100M -- \
	$SIM --peak 400M --rate 100M --hold 5s; true'; true"
expect mechanism "$(json "$dir/ev" run_start limit_mechanism)" none
expect_in limit_note "$(json "$dir/ev" run_start limit_note)" "holds other processes"
expect reason "$(json "$dir/ev" kill reason)" rss
finish

# --- several pairs at once: the budget holds under the kernel's own count --
begin jobs_budget_holds_by_the_kernels_count
mkdir -p $CG/jobs
jobs_plan
mw sh -c "echo \$\$ > $CG/jobs/cgroup.procs; exec $MW run --headless plan.ini"
expect done "$(json "$dir/ev" run_end done)" 3
requeued=$(budget_requeues)
expect_not "pairs requeued for the budget" "$requeued" 0
# the kernel's own record of everything under the group: the pairs, their
# supervisors and mergewatch itself (its few MiB are the slack allowed)
peak=$(cat $CG/jobs/memory.peak)
[ "$peak" -le $((216 * MiB)) ] || why="$why; the kernel saw $peak bytes under the group, over the 200M budget"
echo "FIGURE $name budget=200M kernel_peak=$((peak / 1024)) KiB requeued=$requeued run_s=$(json "$dir/ev" run_end elapsed_s)"
finish

summary
