#!/bin/sh
# Builds the systemd VM's initramfs: a Debian 12 root made once with
# debootstrap (systemd, D-Bus, the libraries mergewatch links), packed once
# as base.cpio in the cache, and a small overlay cpio with this build's
# binaries, the scenarios, a lingering user and the test unit. The kernel
# unpacks the two one after the other (later files win).
#
#   tests/vm/build-systemd-image.sh CACHE OUT
set -eu
cache=$1 out=$2
top=$(cd "$(dirname "$0")/../.." && pwd)
base=$cache/bookworm-systemd
mkdir -p "$cache"

if [ ! -d "$base" ]; then
	rm -rf "$base.tmp"
	debootstrap --variant=minbase \
		--include=systemd,systemd-sysv,dbus,dbus-user-session,libpam-systemd,libproc2-0,libncursesw6,libinih1,libjansson4 \
		bookworm "$base.tmp" http://deb.debian.org/debian
	mv "$base.tmp" "$base"
fi
if [ ! -f "$cache/base.cpio" ]; then
	# what a VM that only boots and runs the scenarios never reads
	rm -rf "$base/usr/share/doc" "$base/usr/share/man" "$base/usr/share/locale" \
		"$base/usr/share/info" "$base/var/cache/apt" "$base/var/lib/apt/lists"
	mkdir -p "$base/var/cache/apt" "$base/var/lib/apt/lists"
	(cd "$base" && find . | cpio -o -H newc --quiet) >"$cache/base.cpio.tmp"
	mv "$cache/base.cpio.tmp" "$cache/base.cpio"
fi

ov=$(mktemp -d)
trap 'rm -rf "$ov"' EXIT
chmod 755 "$ov"
mkdir -p "$ov/usr/local/bin" "$ov/usr/local/lib/mw-vm" "$ov/etc/systemd/system" \
	"$ov/var/lib/systemd/linger" "$ov/home/user"
cp "$top/mergewatch" "$top/mergewatch-sim" "$ov/usr/local/bin/"
cp "$top/tests/vm/lib.sh" "$ov/usr/local/lib/mw-vm/lib.sh"
cp "$top/tests/vm/systemd-scenarios.sh" "$ov/usr/local/bin/mw-systemd-scenarios"
chmod 755 "$ov/usr/local/bin/mw-systemd-scenarios"
# a user whose manager runs without a login (linger), as after an SSH login
for f in passwd group shadow; do
	cp "$base/etc/$f" "$ov/etc/$f"
done
echo 'user:x:1000:1000:user:/home/user:/bin/sh' >>"$ov/etc/passwd"
echo 'user:x:1000:' >>"$ov/etc/group"
echo 'user:*:19000:0:99999:7:::' >>"$ov/etc/shadow"
chown 1000:1000 "$ov/home/user"
: >"$ov/var/lib/systemd/linger/user"
: >"$ov/etc/machine-id"
cat >"$ov/etc/systemd/system/mw-test.target" <<'UNIT'
[Unit]
Description=mergewatch VM scenarios
Requires=basic.target
Wants=mw-test.service systemd-logind.service dbus.service
After=basic.target
AllowIsolate=yes
UNIT
cat >"$ov/etc/systemd/system/mw-test.service" <<'UNIT'
[Unit]
Description=mergewatch VM scenarios
After=basic.target systemd-logind.service dbus.service systemd-user-sessions.service

[Service]
Type=oneshot
ExecStart=/usr/local/bin/mw-systemd-scenarios
UNIT
(cd "$ov" && find . | cpio -o -H newc --quiet) >"$ov.cpio"
cat "$cache/base.cpio" "$ov.cpio" >"$out"
rm -f "$ov.cpio"
