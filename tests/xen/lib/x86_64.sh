# SPDX-License-Identifier: MIT
# shellcheck shell=bash disable=SC2034,SC2153 # globals shared with run.sh
# The x86_64 run (sourced by run.sh): Debian's Xen 4.17 hypervisor and 6.1
# kernel as a PV dom0 in qemu-system-x86_64 (TCG; its nested SVM lets Xen run
# PVH guests), the freestanding PVH guest and a Linux PVH guest.

DEB_ARCH=amd64
TRIPLET=x86_64-linux-gnu

# Xen's command line.  smap=0 is required: under TCG the PV dom0 otherwise
# dies of a #PF in create_bounce_frame.  No "noreboot": a crashed Xen then
# reboots, which ends QEMU (-no-reboot) at once instead of at the timeout.
XEN_CMDLINE="smap=0 console=com1 com1=115200,8n1 loglvl=all guest_loglvl=all \
conring_size=1m console_timestamps=boot dom0_mem=768M,max:768M dom0_max_vcpus=1"
DOM0_CMDLINE="console=hvc0 earlyprintk=xen rdinit=/init loglevel=4"

arch_tools() {
	need_tools qemu-system-x86_64=qemu-system-x86 cpio=cpio busybox=busybox-static \
		gcc=gcc ld=binutils readelf=binutils zcat=gzip \
		/usr/lib/x86_64-linux-gnu/libc.a=libc6-dev
}

# arch_hypervisor: Debian's hypervisor, uncompressed (QEMU's multiboot
# loader needs the ELF), cached per .deb.  Sets XEN_BIN.
arch_hypervisor() {
	local deb dir
	deb=$(deb_fetch "$DEB_ARCH" "$DEBS" xen-hypervisor-4.17-amd64)
	dir=$CACHE/x86_64/$(basename "$deb" .deb)
	XEN_BIN=$dir/xen
	[ -s "$XEN_BIN" ] && return 0
	rm -rf "$CACHE/x86_64"/xen-hypervisor-* "$WORK/hv"
	deb_unpack "$WORK/hv" "$deb"
	mkdir -p "$dir"
	zcat "$WORK/hv"/boot/xen-4.17-amd64.gz >"$XEN_BIN.tmp"
	mv "$XEN_BIN.tmp" "$XEN_BIN"
	rm -rf "$WORK/hv"
}

# arch_ioreqd: the x86_64 run uses the build under test as it is.
arch_ioreqd() { IOREQD_BUILD=$BUILD; }

GUEST_CFLAGS="-m32 -march=i686 -O2 -std=gnu11 -Wall -Wextra -Werror -ffreestanding -fno-pic \
-fno-stack-protector -fno-asynchronous-unwind-tables -mno-sse -mno-mmx -mno-80387"

# arch_guests OVERLAY: build the test guests into OVERLAY/etc/xentest.
arch_guests() {
	local o=$1/etc/xentest g=$WORK/guest f
	mkdir -p "$o" "$g/pvh" "$g/linux/root/bin"
	for f in entry.S rt.c pvhtest.c; do
		# shellcheck disable=SC2086 # a word list
		gcc $GUEST_CFLAGS -c "$XT/guest/pvh/$f" -o "$g/pvh/${f%.*}.o"
	done
	ld -m elf_i386 -nostdlib --no-warn-rwx-segments -T "$XT/guest/pvh/pvhtest.ld" \
		-o "$o/pvhtest.elf" "$g/pvh/entry.o" "$g/pvh/rt.o" "$g/pvh/pvhtest.o"
	# The Linux guest: the dom0 kernel, static busybox, pio and its /init.
	cp "$BASE/vmlinuz" "$o/vmlinuz"
	gcc -O2 -Wall -Wextra -Werror -static -o "$g/linux/root/bin/pio" "$XT/guest/linux/pio.c"
	cp "$BASE/busybox" "$g/linux/root/bin/busybox"
	add_busybox "$g/linux/root"
	install -m 755 "$XT/guest/linux/init" "$g/linux/root/init"
	mkdir -p "$g/linux/root/proc" "$g/linux/root/sys" "$g/linux/root/dev"
	make_cpio "$g/linux/root" "$g/domU.cpio"
	gzip -9n <"$g/domU.cpio" >"$o/domU-initrd.cpio.gz"
	cp "$XT/dom0/pvhtest.cfg" "$XT/dom0/pvhlinux.cfg" "$XT/dom0/xltest.cfg" "$o/"
	vpci_guest "$o" "$g/vpci"
	# make bench-xen's guest, only when the bench case runs.
	case " $CASES " in *" bench "*) bench_guest "$o" "$g/bench" ;; esac
}

# The vpci guest's modules, in load order (their .modinfo depends= lines):
# virtio-pci with its modern and legacy helpers, virtio_blk, virtio_console,
# and ext4 with what it needs (crc32c for metadata_csum, which the kernel
# would otherwise ask modprobe for).
VPCI_MODULES="virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci \
virtio_blk virtio_console crc16 mbcache jbd2 crc32c_generic ext4"

# copy_elf SRCROOT DESTROOT FILE...: FILEs (paths in SRCROOT) and every
# library they need, found in SRCROOT, into DESTROOT, plus the dynamic loader.
copy_elf() {
	local src=$1 dst=$2 f lib d todo="" seen=" " l=lib/$TRIPLET
	shift 2
	mkdir -p "$dst/$l" "$dst/lib64"
	for f in "$@"; do
		install -D -m 755 "$src$f" "$dst$f"
		todo="$todo $(elf_needed "$src$f")"
	done
	while [ -n "${todo// /}" ]; do
		set -- $todo
		lib=$1
		shift
		todo="$*"
		case $seen in *" $lib "*) continue ;; esac
		seen="$seen$lib "
		for d in "$src/$l" "$src/usr/$l"; do
			[ -e "$d/$lib" ] || continue
			cp -L "$d/$lib" "$dst/$l/$lib"
			todo="$todo $(elf_needed "$d/$lib")"
			continue 2
		done
		die "copy_elf: $lib not found in $src"
	done
	cp -L "$src/$l/ld-linux-x86-64.so.2" "$dst/lib64/"
}

# vpci_modules: the directory of VPCI_MODULES from the kernel's package, in
# the cache (extracted once per kernel package); sets KDIR.
vpci_modules() {
	local w=$WORK/kmod kdir m f pats=""
	kdir=$CACHE/x86_64/vpci-modules-$(basename "$KERNEL_DEB" .deb)
	KDIR=$kdir
	if [ ! -s "$kdir/order" ]; then
		rm -rf "$CACHE/x86_64"/vpci-modules-* "$w/kern"
		mkdir -p "$w/kern" "$kdir.tmp"
		for m in $VPCI_MODULES; do pats="$pats ./lib/modules/*/$m.ko"; done
		# shellcheck disable=SC2086 # a word list of patterns
		dpkg-deb --fsys-tarfile "$KERNEL_DEB" | tar -x -C "$w/kern" --wildcards $pats
		for m in $VPCI_MODULES; do
			f=$(find "$w/kern" -name "$m.ko" | head -n 1)
			[ -n "$f" ] || die "$m.ko is not in $KERNEL_DEB"
			cp "$f" "$kdir.tmp/"
		done
		echo "$VPCI_MODULES" >"$kdir.tmp/order"
		mv "$kdir.tmp" "$kdir"
		rm -rf "$w/kern"
	fi
}

# vpci_guest OVERLAY WORKDIR: the vpci case's initramfs: busybox, the
# kernel's virtio and ext4 modules (cached per kernel package), mke2fs from
# Debian's e2fsprogs with its libraries, and guest/linux/vpci-init.
vpci_guest() {
	local o=$1 w=$2 r=$2/root debs
	vpci_modules
	rm -rf "$w"
	mkdir -p "$r/bin" "$r/proc" "$r/sys" "$r/dev" "$r/etc" "$r/modules"
	cp "$KDIR"/*.ko "$KDIR/order" "$r/modules/"
	# shellcheck disable=SC2046 # a word list
	debs=$(deb_fetch "$DEB_ARCH" "$DEBS" e2fsprogs libext2fs2 libcom-err2 libblkid1 \
		libuuid1 libc6)
	# shellcheck disable=SC2086 # a word list
	deb_unpack "$w/e2fs" $debs
	copy_elf "$w/e2fs" "$r" /sbin/mke2fs
	ln -s mke2fs "$r/sbin/mkfs.ext4"
	cp "$w/e2fs/etc/mke2fs.conf" "$r/etc/"
	cp "$BASE/busybox" "$r/bin/busybox"
	add_busybox "$r"
	install -m 755 "$XT/guest/linux/vpci-init" "$r/init"
	make_cpio "$r" "$w/vpci.cpio"
	gzip -9n <"$w/vpci.cpio" >"$o/vpci-initrd.cpio.gz"
	cp "$XT/dom0/vpcilinux.cfg" "$o/"
	say "vpci guest initramfs $(du -sh "$o/vpci-initrd.cpio.gz" | cut -f1)"
}

# The bench guest loads only the virtio modules.
BENCH_MODULES="virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci \
virtio_blk"

# bench_guest OVERLAY WORKDIR: the bench guest's initramfs (make bench-xen):
# busybox, the kernel's virtio-pci and virtio_blk modules, the static
# vbench and pio, and guest/linux/vbench-init.
bench_guest() {
	local o=$1 w=$2 r=$2/root m
	vpci_modules
	rm -rf "$w"
	mkdir -p "$r/bin" "$r/proc" "$r/sys" "$r/dev" "$r/modules" "$r/tmp"
	for m in $BENCH_MODULES; do cp "$KDIR/$m.ko" "$r/modules/"; done
	echo "$BENCH_MODULES" >"$r/modules/order"
	gcc -O2 -Wall -Wextra -Werror -static -o "$r/bin/vbench" "$XT/guest/linux/vbench.c"
	gcc -O2 -Wall -Wextra -Werror -static -o "$r/bin/pio" "$XT/guest/linux/pio.c"
	cp "$BASE/busybox" "$r/bin/busybox"
	add_busybox "$r"
	install -m 755 "$XT/guest/linux/vbench-init" "$r/init"
	make_cpio "$r" "$w/vbench.cpio"
	gzip -9n <"$w/vbench.cpio" >"$o/vbench-initrd.cpio.gz"
	cp "$XT/dom0/vbench.cfg" "$o/"
	# dom0 runs it too, for what a clock read costs there.
	cp "$r/bin/vbench" "$o/vbench"
	say "bench guest initramfs $(du -sh "$o/vbench-initrd.cpio.gz" | cut -f1)"
}

arch_default_cases() { echo "pvh linux xl xlrestrict xlsave restrict seccomp chroot vpci"; }

arch_boot() {
	cat "$BASE/base.cpio" "$WORK/overlay.cpio" >"$WORK/dom0.cpio"
	run_qemu "$SERIAL" qemu-system-x86_64 -machine q35,accel=tcg -cpu max -smp 2 -m 2048 \
		-monitor none -nic none -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
		-kernel "$XEN_BIN" -append "$XEN_CMDLINE" \
		-initrd "$BASE/vmlinuz $DOM0_CMDLINE,$WORK/dom0.cpio"
}

# isa-debug-exit: dom0 wrote 0 (status 1) for a pass.
arch_qemu_ok() { [ "$QEMU_RC" = 1 ]; }

# arch_conf OUT: ioreqd's configuration for the guests of this run.
arch_conf() {
	cat "$XT/xentest.conf" >"$1"
	# The testdev device (PCI config, deferred completion) is on by
	# default; XEN_TEST_TESTDEV=0 leaves it out, with the guest's checks.
	if [ "${XEN_TEST_TESTDEV:-1}" = 1 ]; then
		cat "$XT/xentest-testdev.conf" >>"$1"
	fi
	# The linux case's config adds COM1 (uart16550) for the guest kernel's
	# 8250 console; XEN_TEST_LINUX_UART=0 leaves it out, and then the case
	# runs as before with xentest.conf.
	if [ "${XEN_TEST_LINUX_UART:-1}" = 1 ]; then
		cat "$1" "$XT/xentest-uart.conf" >"${1%/*}/xentest-linux.conf"
	fi
	# The xlsave case: its guest's save-loop switch and a 16550.
	cat "$1" "$XT/xentest-xlsave.conf" >"${1%/*}/xentest-xlsave.conf"
	# The vpci case's own configuration: the virtio-pci functions only.
	cp "$XT/xentest-vpci.conf" "${1%/*}/"
	# make bench-xen's: a virtio-blk-pci disk and a port for each ioreqd.
	cp "$XT/xentest-bench.conf" "$XT/xentest-bench-poll.conf" "$XT/xentest-bench-lat.conf" \
		"${1%/*}/"
}
