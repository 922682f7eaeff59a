# SPDX-License-Identifier: MIT
# shellcheck shell=bash disable=SC2034,SC2153 # globals shared with run.sh
# The arm64 run (sourced by run.sh): a hypervisor cross-built from Debian's
# xen source package with CONFIG_IOREQ_SERVER (Debian's arm64 binary lacks
# it: the option is EXPERT-only on Arm in 4.17), Debian's arm64 kernel as
# dom0 in qemu-system-aarch64 (virt, virtualization=on, GICv3), ioreqd
# cross-built against Debian's :arm64 -dev packages, and a bare arm64 guest.

DEB_ARCH=arm64
TRIPLET=aarch64-linux-gnu
XEN_CMDLINE="console=dtuart loglvl=all guest_loglvl=all conring_size=1m \
console_timestamps=boot dom0_mem=768M dom0_max_vcpus=1"
DOM0_CMDLINE="console=hvc0 earlycon=xen rdinit=/init loglevel=4"
# Where guest-loader puts dom0's kernel and initramfs in the 2 GiB of RAM
# that starts at 0x40000000; Xen itself is loaded lower.
DOM0_KERNEL_ADDR=0x49000000
DOM0_INITRD_ADDR=0x4d000000

arch_tools() {
	need_tools qemu-system-aarch64=qemu-system-arm cpio=cpio busybox=busybox-static \
		aarch64-linux-gnu-gcc=gcc-aarch64-linux-gnu readelf=binutils \
		/usr/aarch64-linux-gnu/lib/libc.so=libc6-dev-arm64-cross make=make \
		flex=flex bison=bison python3=python3 dpkg-source=dpkg-dev xz=xz-utils \
		pkg-config=pkg-config
	apt_enable_arm64
}

# apt must know arm64 packages and Debian's sources (deb-src) for this run.
# Both are changes to the host's apt setup, made once, as root.
apt_enable_arm64() {
	local changed=0
	if ! dpkg --print-foreign-architectures | grep -qx arm64; then
		[ "$(id -u)" = 0 ] || die "run as root, or: dpkg --add-architecture arm64"
		say "dpkg --add-architecture arm64"
		dpkg --add-architecture arm64
		changed=1
	fi
	if ! grep -rqsE '^(Types:.*deb-src|deb-src )' /etc/apt/sources.list /etc/apt/sources.list.d/; then
		[ "$(id -u)" = 0 ] || die "run as root, or add deb-src lines to apt's sources"
		# Debian 12 writes its sources either in deb822 form (debian.sources:
		# containers, cloud images) or one line each (sources.list: the
		# installer, debootstrap); mirror whichever there is.
		if [ -f /etc/apt/sources.list.d/debian.sources ]; then
			say "adding deb-src sources (/etc/apt/sources.list.d/xen-test-deb-src.sources)"
			sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources \
				>/etc/apt/sources.list.d/xen-test-deb-src.sources
		elif grep -qsE '^deb ' /etc/apt/sources.list; then
			say "adding deb-src sources (/etc/apt/sources.list.d/xen-test-deb-src.list)"
			sed -n 's/^deb /deb-src /p' /etc/apt/sources.list \
				>/etc/apt/sources.list.d/xen-test-deb-src.list
		else
			die "no deb-src sources, and no debian.sources or sources.list to derive them from"
		fi
		changed=1
	fi
	if [ $changed = 1 ]; then
		APT_UPDATED=0
		apt_update_once
	fi
}

# arch_hypervisor: Xen for arm64 with CONFIG_IOREQ_SERVER=y, built from the
# newest xen source package apt can fetch (the security pool may carry no
# sources) and cached per source version.  Sets XEN_BIN.
arch_hypervisor() {
	local versions v dsc="" src=$CACHE/src hvdeb s=$WORK/xen-src
	versions=$(apt-cache showsrc xen 2>/dev/null | sed -n 's/^Version: //p' | sort -urV)
	if [ -z "$versions" ]; then
		apt_update_once
		versions=$(apt-cache showsrc xen 2>/dev/null | sed -n 's/^Version: //p' | sort -urV)
	fi
	for v in $versions; do
		if [ -s "$CACHE/arm64/xen-$v/xen" ]; then
			XEN_BIN=$CACHE/arm64/xen-$v/xen
			say "cached hypervisor: $XEN_BIN"
			return 0
		fi
	done
	mkdir -p "$src"
	for v in $versions; do
		if [ -s "$src/xen_$v.dsc" ] ||
			(cd "$src" && apt-get source -q --download-only "xen=$v" >"$WORK/apt-source.log" 2>&1); then
			dsc=$src/xen_$v.dsc
			break
		fi
	done
	[ -n "$dsc" ] || die "cannot fetch Xen's source package (versions: $(echo "$versions" | tr '\n' ' '))"
	hvdeb=$(deb_fetch arm64 "$DEBS" xen-hypervisor-4.17-arm64)

	stage "build Xen $v for arm64 with IOREQ_SERVER"
	rm -rf "$s" "$WORK/hv"
	dpkg-source -x "$dsc" "$s" >"$WORK/dpkg-source.log" 2>&1 ||
		{ cat "$WORK/dpkg-source.log"; die "dpkg-source -x $dsc failed"; }
	deb_unpack "$WORK/hv" "$hvdeb"
	cp "$WORK"/hv/boot/xen-*-arm64.config "$s/xen/.config"
	printf 'CONFIG_EXPERT=y\nCONFIG_UNSUPPORTED=y\nCONFIG_IOREQ_SERVER=y\n' >>"$s/xen/.config"
	make -C "$s/xen" -s XEN_TARGET_ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- olddefconfig \
		>"$WORK/xen-config.log" 2>&1 || { cat "$WORK/xen-config.log"; die "Xen olddefconfig failed"; }
	grep -q '^CONFIG_IOREQ_SERVER=y' "$s/xen/.config" || die "CONFIG_IOREQ_SERVER did not stick"
	make -C "$s/xen" -s -j"$(nproc)" XEN_TARGET_ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- \
		>"$WORK/xen-build.log" 2>&1 || { tail -n 40 "$WORK/xen-build.log"; die "Xen build failed"; }
	mkdir -p "$CACHE/arm64/xen-$v"
	cp "$s/xen/xen" "$CACHE/arm64/xen-$v/xen"
	XEN_BIN=$CACHE/arm64/xen-$v/xen
	rm -rf "$s" "$WORK/hv"
	say "built $XEN_BIN"
}

# arch_ioreqd: cross-build ioreqd for arm64 in its own build directory,
# against a sysroot of Debian's :arm64 -dev packages (cached per .deb set).
# Sets IOREQD_BUILD.
arch_ioreqd() {
	local debs key sr b=$WORK/build
	stage "cross-build ioreqd for arm64"
	# shellcheck disable=SC2046 # a word list
	debs=$(deb_fetch arm64 "$DEBS" $(read_list "$XT/packages/arm64-sysroot.list"))
	# shellcheck disable=SC2086 # a word list
	key=$(echo $debs | tr ' ' '\n' | sed 's|.*/||' | sort | sha256sum | cut -c1-16)
	sr=$CACHE/arm64/sysroot-$key
	if [ ! -d "$sr" ]; then
		rm -rf "$CACHE/arm64"/sysroot-*
		# shellcheck disable=SC2086
		deb_unpack "$sr.tmp" $debs
		mv "$sr.tmp" "$sr"
	fi
	[ -f "$SRC/config.status" ] &&
		die "$SRC is configured in-tree; the arm64 cross build needs a clean source tree (make distclean there)"
	if [ ! -f "$b/Makefile" ] || [ "$(cat "$b/.sysroot" 2>/dev/null)" != "$sr" ]; then
		rm -rf "$b"
		mkdir -p "$b"
		say "configure --host=$TRIPLET (sysroot $sr)"
		(cd "$b" && "$SRC/configure" -q --host="$TRIPLET" \
			PKG_CONFIG=pkg-config PKG_CONFIG_SYSROOT_DIR="$sr" \
			PKG_CONFIG_LIBDIR="$sr/usr/lib/$TRIPLET/pkgconfig:$sr/usr/share/pkgconfig" \
			LDFLAGS="-L$sr/usr/lib/$TRIPLET -Wl,-rpath-link,$sr/usr/lib/$TRIPLET:$sr/lib/$TRIPLET") \
			>"$WORK/configure.log" 2>&1 || { tail -n 30 "$WORK/configure.log"; die "configure failed"; }
		echo "$sr" >"$b/.sysroot"
	fi
	make -C "$b" -s -j"$(nproc)" >"$WORK/make.log" 2>&1 || { tail -n 40 "$WORK/make.log"; die "cross build failed"; }
	IOREQD_BUILD=$b
}

# The vblk guest's kernel modules (paths under the kernel's modules
# directory), in load order: virtio-mmio and virtio-blk (VIRTIO itself is
# built in), then ext4 and what it needs, crc32c for metadata checksums.
VBLK_MODULES="drivers/virtio/virtio_mmio drivers/block/virtio_blk lib/crc16 fs/mbcache \
fs/jbd2/jbd2 crypto/crc32c_generic fs/ext4/ext4"

# mod_depends KO: the modules KO needs (its .modinfo "depends=", comma-separated).
mod_depends() {
	aarch64-linux-gnu-objcopy -O binary --only-section=.modinfo "$1" /dev/stdout |
		tr '\0' '\n' | sed -n 's/^depends=//p' | tr ',' ' '
}

# vblk_guest_base: the vblk guest's root without its /init, cached per set
# of .debs: static busybox, mke2fs with its libraries (packages/vblk-guest.list)
# and VBLK_MODULES from the kernel package, flat in /lib/modules with their
# load order in /lib/modules/order.  Sets VBLK_BASE.
vblk_guest_base() {
	local debs kdeb key t r m name dep loaded=" "
	# shellcheck disable=SC2046 # a word list
	debs=$(deb_fetch arm64 "$DEBS" $(read_list "$XT/packages/vblk-guest.list"))
	kdeb=$(deb_fetch arm64 "$DEBS" "$(kernel_package arm64 "$DEBS")")
	# shellcheck disable=SC2086 # word lists
	key=$( (echo $debs $kdeb | tr ' ' '\n' | sed 's|.*/||' | sort
		cat "$XT/lib/arm64.sh") | sha256sum | cut -c1-16)
	VBLK_BASE=$CACHE/arm64/vblk-$key
	[ -d "$VBLK_BASE" ] && return 0
	t=$VBLK_BASE.tmp
	r=$t/root
	rm -rf "$CACHE/arm64"/vblk-* "$t"
	# shellcheck disable=SC2086
	deb_unpack "$r" $debs
	rm -rf "$r"/usr/share/doc "$r"/usr/share/man "$r"/usr/share/locale "$r/usr/lib/$TRIPLET/gconv"
	mkdir -p "$t/kern" "$r/bin" "$r/lib/modules" "$r/proc" "$r/sys" "$r/dev" "$r/mnt" "$r/tmp"
	# shellcheck disable=SC2046 # a word list
	dpkg-deb --fsys-tarfile "$kdeb" | tar -x -C "$t/kern" --wildcards \
		$(for m in $VBLK_MODULES; do echo "./lib/modules/*/kernel/$m.ko"; done)
	for m in $VBLK_MODULES; do
		name=${m##*/}
		cp "$t"/kern/lib/modules/*/kernel/"$m.ko" "$r/lib/modules/$name.ko"
		for dep in $(mod_depends "$r/lib/modules/$name.ko"); do
			case $loaded in *" $dep "*) ;; *) die "guest module $name needs $dep first (VBLK_MODULES)" ;; esac
		done
		loaded="$loaded$name "
		echo "$name" >>"$r/lib/modules/order"
	done
	cp "$BASE/busybox" "$r/bin/busybox"
	add_busybox "$r"
	root_index "$r" "$t"
	check_needed "$t" "$r/sbin/mke2fs"
	rm -rf "$t/kern"
	mv "$t" "$VBLK_BASE"
	say "built $VBLK_BASE"
}

# arch_guests OVERLAY: the bare arm64 guest, as a raw Image, and the vblk
# guest: the dom0 kernel with an initramfs of vblk_guest_base and its /init.
arch_guests() {
	local o=$1/etc/xentest g=$WORK/guest
	mkdir -p "$o" "$g"
	aarch64-linux-gnu-gcc -c "$XT/guest/arm64/armtest.S" -o "$g/armtest.o"
	aarch64-linux-gnu-ld -Ttext=0 -o "$g/armtest.elf" "$g/armtest.o"
	aarch64-linux-gnu-objcopy -O binary "$g/armtest.elf" "$o/armtest.img"
	cp "$XT/dom0/armtest.cfg" "$o/"
	case " $CASES " in *" vblk "*) ;; *) return 0 ;; esac
	[ -e "$IOREQD_BUILD/hooks/.libs/virtio-blk.so" ] ||
		die "the vblk case needs the virtio-blk hook, which the build left out (no liburing?)"
	vblk_guest_base
	rm -rf "$g/vblk"
	cp -a "$VBLK_BASE/root" "$g/vblk"
	install -m 755 "$XT/guest/vblk/init" "$g/vblk/init"
	make_cpio "$g/vblk" "$g/vblk.cpio"
	gzip -1n <"$g/vblk.cpio" >"$o/vblk-initrd.cpio.gz"
	cp "$BASE/vmlinuz" "$o/vmlinuz"
	cp "$XT/dom0/vblk.cfg" "$o/"
}

arch_default_cases() { echo "arm vblk watch"; }

arch_conf() { cat "$XT/xentest-arm64.conf" >"$1"; }

arch_boot() {
	cat "$BASE/base.cpio" "$WORK/overlay.cpio" >"$WORK/dom0.cpio"
	run_qemu "$SERIAL" qemu-system-aarch64 -machine virt,virtualization=on,gic-version=3 \
		-cpu cortex-a57 -smp 2 -m 2048 -monitor none -nic none \
		-kernel "$XEN_BIN" -append "$XEN_CMDLINE" \
		-device "guest-loader,addr=$DOM0_KERNEL_ADDR,kernel=$BASE/vmlinuz,bootargs=$DOM0_CMDLINE" \
		-device "guest-loader,addr=$DOM0_INITRD_ADDR,initrd=$WORK/dom0.cpio"
}

# dom0 powers off after reporting; Xen then turns the machine off (PSCI).
arch_qemu_ok() { [ "$QEMU_RC" = 0 ]; }
