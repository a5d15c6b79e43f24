#!/bin/sh
# The systemd scenarios, run by mw-test.service in a Debian 12 booted with
# systemd and D-Bus: a non-root user (lingering, so their user manager
# runs) whose mergewatch may not write cgroups gets a transient scope per
# pair from their manager; root under a plain Delegate=yes scope gets
# cgroup2 after moving itself into a leaf. Results go to the serial port;
# the VM powers off at the end.
exec >/dev/ttyS0 2>&1
MW=/usr/local/bin/mergewatch
SIM=/usr/local/bin/mergewatch-sim
. /usr/local/lib/mw-vm/lib.sh
echo "VM-UP $(cut -d' ' -f1 /proc/uptime)"

# the user's manager and session bus, up once linger started them
for i in $(seq 1 300); do
	[ -S /run/user/1000/bus ] && break
	sleep 0.1
done
echo "VM-USER $(cut -d' ' -f1 /proc/uptime)"
as_user() {
	setpriv --reuid 1000 --regid 1000 --init-groups env XDG_RUNTIME_DIR=/run/user/1000 \
		DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/1000/bus HOME=/home/user "$@"
}
app=$CG/user.slice/user-1000.slice/user@1000.service/app.slice

begin user_check_proves_a_scope_and_leaves_none
printf '[pair a]\ncommand = true\n' >"$dir/plan.ini"
(cd "$dir" && as_user $MW check plan.ini >"$dir/out" 2>"$dir/err")
expect_in "check's output" "$(cat "$dir/out")" "limit_mechanism = systemd"
expect_in "check's output" "$(cat "$dir/out")" "transient scope from the systemd user manager, in $app"
expect_in "check's output" "$(cat "$dir/out")" "cgroup2 itself: cannot make a group in $CG/system.slice/mw-test.service: Permission denied"
finish

# Several pairs at once, each in its own scope under app.slice: the budget
# holds by the kernel's own count of app.slice (first here, so that its
# memory.peak is this run's; the probe above held next to nothing).
begin user_jobs_budget_holds_across_scopes
jobs_plan
chown -R 1000:1000 "$dir"
mw as_user $MW run --headless plan.ini
expect mechanism "$(json "$dir/ev" run_start limit_mechanism)" systemd
expect done "$(json "$dir/ev" run_end done)" 3
requeued=$(budget_requeues)
expect_not "pairs requeued for the budget" "$requeued" 0
peak=$(cat $app/memory.peak 2>/dev/null || echo 0)
[ "$peak" -gt 0 ] && [ "$peak" -le $((208 * MiB)) ] ||
	why="$why; the kernel saw $peak bytes in $app, over the 200M budget"
echo "FIGURE $name budget=200M kernel_peak=$((peak / 1024)) KiB requeued=$requeued run_s=$(json "$dir/ev" run_end elapsed_s)"
finish

begin user_scope_cap_by_the_kernel
mw as_user $MW run --headless --kill-rss 2G --memory-max 64M -- \
	sh -c "cat /proc/self/cgroup > where; exec $SIM --peak 300M --rate 100M --hold 5s"
expect mechanism "$(json "$dir/ev" run_start limit_mechanism)" systemd
expect status "$(json "$dir/ev" pair_end status)" killed
expect reason "$(json "$dir/ev" pair_end reason)" memory_max
expect_in "the pair's group" "$(cat "$dir/where")" "/app.slice/mergewatch-"
figure
finish

begin user_scope_kill_at_the_line
mw as_user $MW run --headless --kill-rss 100M -- $SIM --peak 400M --rate 100M --hold 5s
expect mechanism "$(json "$dir/ev" run_start limit_mechanism)" systemd
expect reason "$(json "$dir/ev" kill reason)" rss
figure
finish

begin user_scope_escapee_counted_and_killed
mw as_user $MW run --headless --kill-rss 100M -- sh -c \
	"($SIM --name mw-escapee --peak 400M --rate 100M --hold 60s &); setsid sleep 60 & sleep 60"
expect reason "$(json "$dir/ev" kill reason)" rss
no_process mw-escapee
figure
finish

begin root_under_plain_delegate_yes
mw systemd-run --scope --quiet -p Delegate=yes $MW run --headless --kill-rss 2G --memory-max 64M \
	-- $SIM --peak 300M --rate 100M --hold 5s
expect mechanism "$(json "$dir/ev" run_start limit_mechanism)" cgroup2
expect_in limit_note "$(json "$dir/ev" run_start limit_note)" "(mergewatch moved itself into $CG/system.slice/run-"
expect reason "$(json "$dir/ev" pair_end reason)" memory_max
figure
finish

summary
echo "VM-DONE $(cut -d' ' -f1 /proc/uptime)"
sync
echo o >/proc/sysrq-trigger
