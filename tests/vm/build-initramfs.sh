#!/bin/sh
# Builds the initramfs the VM tests boot: busybox (static), util-linux's
# /usr/bin/setpriv and /usr/bin/unshare (busybox's lack --reuid and -C), the built mergewatch
# and mergewatch-sim with every shared library ldd names, and tests/vm/init
# with its scenarios.
#
#   tests/vm/build-initramfs.sh OUT.cpio.gz INIT SCENARIOS [EXTRA...]
set -eu
out=$1 init=$2 scenarios=$3
shift 3
top=$(cd "$(dirname "$0")/../.." && pwd)
root=$(mktemp -d)
chmod 755 "$root"
trap 'rm -rf "$root"' EXIT

mkdir -p "$root/bin" "$root/sbin" "$root/etc" "$root/proc" "$root/sys" "$root/dev" \
         "$root/tmp" "$root/run" "$root/root" "$root/home/user" "$root/usr/bin"
cp /bin/busybox "$root/bin/busybox"
for applet in $(/bin/busybox --list); do
	[ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
done

# a binary (in /bin, or at its own path when it is under /usr: busybox's
# shell runs its own applets before anything in PATH) and the libraries it
# loads, at the paths ldd gives
copy_with_libs() {
	case "$1" in
	/usr/*) mkdir -p "$root$(dirname "$1")" && cp "$1" "$root$1" ;;
	*) cp "$1" "$root/bin/$(basename "$1")" ;;
	esac
	ldd "$1" | sed -n 's/.*=> \(\/[^ ]*\).*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) (.*/\1/p' |
	while read -r lib; do
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
}
copy_with_libs "$top/mergewatch"
copy_with_libs "$top/mergewatch-sim"
copy_with_libs "$(command -v setpriv)"
copy_with_libs "$(command -v unshare)"
for extra in "$@"; do
	copy_with_libs "$extra"
done

cat >"$root/etc/passwd" <<PASSWD
root:x:0:0:root:/root:/bin/sh
user:x:1000:1000:user:/home/user:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PASSWD
cat >"$root/etc/group" <<GROUP
root:x:0:
user:x:1000:
nogroup:x:65534:
GROUP
chown 1000:1000 "$root/home/user"
chmod 1777 "$root/tmp"
cp "$init" "$root/init"
cp "$scenarios" "$root/scenarios.sh"
cp "$(dirname "$0")/lib.sh" "$root/vmlib.sh"
chmod 755 "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet) | gzip -1 >"$out"
