#!/bin/sh
# Boots KERNEL with INITRD under qemu (TCG: no KVM needed) and prints what
# the VM wrote on its serial port, with the boot and test times. Exits 0
# when the VM ran to its end with no failed scenario.
#
#   tests/vm/run-vm.sh KERNEL INITRD LOG [MEMORY [INIT [MORE KERNEL ARGUMENTS]]]
set -u
kernel=$1 initrd=$2 log=$3 mem=${4:-1536M} init=${5:-/init} more=${6:-}
start=$(date +%s.%N)
timeout 600 qemu-system-x86_64 -accel tcg,thread=multi -smp 2 -m "$mem" \
	-kernel "$kernel" -initrd "$initrd" \
	-append "console=ttyS0 loglevel=1 panic=-1 rdinit=$init $more" \
	-display none -monitor none -serial "file:$log" -no-reboot
rc=$?
end=$(date +%s.%N)
tr -d '\r' <"$log" | grep -E '^(\[|FIGURE|LAYOUT|TIME|VM-|    \|)'
up=$(sed -n 's/^VM-UP \([0-9.]*\).*/\1/p' "$log" | tr -d '\r')
done_at=$(sed -n 's/^VM-DONE \([0-9.]*\).*/\1/p' "$log" | tr -d '\r')
echo "VM: qemu exit $rc; kernel up to init ${up:-?} s (guest clock), scenarios until ${done_at:-?} s," \
	"wall $(echo "$end - $start" | bc) s"
if [ -z "$done_at" ]; then
	echo "[  FAILED  ] 1 test(s): the VM did not reach the end of its scenarios (see $log)"
	exit 1
fi
! grep -q '^\[  FAILED  \]' "$log"
