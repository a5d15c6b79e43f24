#!/bin/sh
# `make bench`: installs what the comparisons need (htop, earlyoom, tmux,
# procps), builds the C helpers, then runs bench/bench.py, which prints the
# table and writes bench/RESULTS.md. About 10 minutes; needs root (cgroup
# memory groups witness the peaks). Extra arguments go to bench.py
# (--quick, --only SECTIONS). A package that cannot be installed turns its
# comparison into "n/a: <why>" instead of failing the bench.
set -u
cd "$(dirname "$0")/.." || exit 1

if [ "$(id -u)" = 0 ]; then
	SUDO=
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
	SUDO="sudo -n"
else
	echo "bench: needs root, or sudo without a password" >&2
	exit 2
fi

# Debian package, then the command the bench runs from it.
PKGS="htop:htop earlyoom:earlyoom tmux:tmux procps:top python3:python3 parallel:parallel"
missing=""
for pc in $PKGS; do
	pkg=${pc%%:*}
	dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $pkg"
done
installed_earlyoom=no
if [ -n "$missing" ]; then
	echo "bench: installing:$missing" >&2
	export DEBIAN_FRONTEND=noninteractive
	if ! $SUDO apt-get install -y -qq $missing >/dev/null 2>&1; then
		$SUDO apt-get update -qq >/dev/null 2>&1
		for pkg in $missing; do
			$SUDO apt-get install -y -qq "$pkg" >/dev/null 2>&1 ||
				echo "bench: could not install $pkg" >&2
		done
	fi
	case " $missing " in *" earlyoom "*) installed_earlyoom=yes ;; esac
fi
# The bench wants earlyoom's binary, not a daemon: where installing it
# started the service, stop it again so nothing outlives the bench.
if [ "$installed_earlyoom" = yes ] && command -v systemctl >/dev/null 2>&1 &&
    systemctl is-active --quiet earlyoom 2>/dev/null; then
	$SUDO systemctl disable --now earlyoom >/dev/null 2>&1 &&
		echo "bench: stopped the earlyoom service the install started" >&2
fi

na=""
for pc in $PKGS; do
	pkg=${pc%%:*} cmd=${pc#*:}
	if ! command -v "$cmd" >/dev/null 2>&1; then
		case $cmd in
		python3)
			echo "bench: python3 is required and could not be installed" >&2
			exit 2 ;;
		esac
		na="$na --na $cmd=the-$pkg-package-could-not-be-installed"
	fi
done

# The C helpers (the floors and the collector timed alone); `make bench`
# has built them already, a direct run builds them here.
make -s bench-tools >&2 || exit 1

# The sections asked for with --only (all when none is): bench.py runs
# its own, makespan.py the makespan section.
only=""
want_next=no
for a in "$@"; do
	if [ "$want_next" = yes ]; then
		only="$only,$a"
		want_next=no
	fi
	case $a in
	--only) want_next=yes ;;
	--only=*) only="$only,${a#--only=}" ;;
	esac
done
only=${only#,}
case ",$only," in
,,) bench_py=yes makespan=yes ;;
,makespan,) bench_py=no makespan=yes ;;	# the makespan section alone
*,makespan,*) bench_py=yes makespan=yes ;;
*) bench_py=yes makespan=no ;;
esac
if [ "$bench_py" = yes ]; then
	# shellcheck disable=SC2086
	$SUDO python3 bench/bench.py $na "$@" || exit
fi
# Several pairs at once: the makespan section, appended to bench/RESULTS.md.
if [ "$makespan" = no ]; then
	:
elif command -v parallel >/dev/null 2>&1; then
	$SUDO python3 bench/makespan.py
else
	echo "bench: makespan: n/a: the parallel package could not be installed" >&2
fi
