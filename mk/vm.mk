# Real kernels for the kernel cap: Debian's 6.1 kernel booted under qemu
# (TCG: no KVM needed) with cgroup v2, from an initramfs holding the built
# binaries. Included by the main Makefile; tests/vm/README.md explains.
#
#   make test-vm        cgroup v2 scenarios on a busybox initramfs (part of make test)
#   make test-systemd   a debootstrapped Debian with systemd and D-Bus: a
#                       non-root user's pairs in transient scopes
#
# Both print cmocka-shaped [  PASSED  ] / [  FAILED  ] lines that
# tests/run-all.sh counts.

VM_DIR      ?= $(BUILD)/vm
VM_CACHE    ?= $(HOME)/.cache/mergewatch-vm
VM_DEB_PKGS  = qemu-system-x86 busybox-static linux-image-amd64 debootstrap cpio
VM_KERNEL    = $(firstword $(wildcard /boot/vmlinuz-*-amd64))

.PHONY: vm-deps test-vm test-systemd

# counted in make test's "N passed, N failed" (tests/run-all.sh)
MW_MAKE_SUITES += test-vm test-systemd

# The kernel package without Debian's initramfs (INITRD=No): the tests
# bring their own.
vm-deps:
	@INITRD=No $(MAKE) --no-print-directory deps DEB_PKGS="$(VM_DEB_PKGS)"

$(VM_DIR)/v2.cpio.gz: mergewatch mergewatch-sim tests/vm/init tests/vm/scenarios.sh \
                      tests/vm/build-initramfs.sh tests/vm/lib.sh
	@mkdir -p $(VM_DIR)
	tests/vm/build-initramfs.sh $@ tests/vm/init tests/vm/scenarios.sh

# The images hold files owned by user 1000 and debootstrap runs as root:
# without root the VM tests say they were skipped.
VM_NEEDS_ROOT = if [ "$$(id -u)" != 0 ]; then echo "$@: skipped: needs root"; exit 0; fi

test-vm: vm-deps all
	@$(VM_NEEDS_ROOT); $(MAKE) --no-print-directory $(VM_DIR)/v2.cpio.gz && \
	  tests/vm/run-vm.sh $(VM_KERNEL) $(VM_DIR)/v2.cpio.gz $(VM_DIR)/v2-serial.log

# The systemd image: the debootstrapped root is cached in $(VM_CACHE)
# between runs (about 250 MB; made once, in about a minute and a half).
$(VM_DIR)/systemd.cpio: mergewatch mergewatch-sim tests/vm/systemd-scenarios.sh tests/vm/lib.sh \
                        tests/vm/build-systemd-image.sh
	@mkdir -p $(VM_DIR)
	tests/vm/build-systemd-image.sh $(VM_CACHE) $@

test-systemd: vm-deps all
	@$(VM_NEEDS_ROOT); $(MAKE) --no-print-directory $(VM_DIR)/systemd.cpio && \
	  tests/vm/run-vm.sh $(VM_KERNEL) $(VM_DIR)/systemd.cpio $(VM_DIR)/systemd-serial.log 2G \
	  /lib/systemd/systemd "systemd.unit=mw-test.target systemd.show_status=0"
