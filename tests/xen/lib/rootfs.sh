# SPDX-License-Identifier: MIT
# shellcheck shell=bash disable=SC2034,SC2153 # globals shared with run.sh
# dom0 and domU initramfs helpers (sourced by run.sh).  dom0's initramfs is
# two cpio archives back to back, which Linux unpacks in turn: a base built
# only from .debs (cached, keyed on the exact .deb files), and a small overlay
# rebuilt every run with the fresh ioreqd, its hooks, the configs, the test
# driver and the guests.

# add_busybox ROOT: make ROOT/bin/busybox's applets available as links.  The
# applet list comes from the host's busybox (same Debian version), because
# the target's may be of another architecture.
add_busybox() {
	local root=$1 a
	[ -x "$root/bin/busybox" ] || die "no bin/busybox in $root (busybox-static missing?)"
	for a in $(busybox --list); do
		[ -e "$root/bin/$a" ] || [ -e "$root/usr/bin/$a" ] || [ -e "$root/sbin/$a" ] ||
			[ -e "$root/usr/sbin/$a" ] || ln -s busybox "$root/bin/$a"
	done
}

# make_cpio DIR OUT: a newc archive of DIR's tree, owned by root.
make_cpio() {
	(cd "$1" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$2"
}

# root_index ROOT DIR: write DIR/files.txt, the paths of ROOT's files and
# links ("/usr/lib/..."), and DIR/needs.txt, "LIBPATH NEEDED" for every
# shared library, so dependencies can be checked once ROOT is gone.
root_index() {
	local f n
	(cd "$1" && find . \( -type f -o -type l \) | sed 's|^\.||' | LC_ALL=C sort) >"$2/files.txt"
	: >"$2/needs.txt"
	grep -E '/lib/.*\.so(\.|$)' "$2/files.txt" | while read -r f; do
		[ -f "$1$f" ] || continue # (a dangling link); relative links are followed
		for n in $(elf_needed "$1$f"); do echo "$f $n"; done >>"$2/needs.txt"
	done
}

elf_needed() { readelf -dW "$1" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p'; }

# check_needed INDEXDIR FILE...: every shared library the ELF FILEs need,
# directly or through other libraries, must be in the root that INDEXDIR
# describes (see root_index), so a missing package is a clear error here
# rather than a cryptic one inside dom0.
check_needed() {
	local index=$1/files.txt needs=$1/needs.txt f lib d path todo="" seen=" " bad=""
	shift
	for f in "$@"; do
		for lib in $(elf_needed "$f"); do todo="$todo ${f##*/}:$lib"; done
	done
	while [ -n "${todo# }" ]; do
		set -- $todo
		f=${1%%:*}
		lib=${1#*:}
		shift
		todo=" $*"
		case $seen in *" $lib "*) continue ;; esac
		seen="$seen$lib "
		path=""
		for d in /lib/$TRIPLET /usr/lib/$TRIPLET /lib /usr/lib; do
			if grep -qFx "$d/$lib" "$index"; then
				path=$d/$lib
				break
			fi
		done
		if [ -z "$path" ]; then
			bad="$bad $f:$lib"
			continue
		fi
		for lib in $(awk -v p="$path" '$1 == p { print $2 }' "$needs"); do
			todo="$todo ${path##*/}:$lib"
		done
	done
	[ -z "$bad" ] || die "libraries missing from the dom0 root (add their packages to packages/dom0.list):$bad"
}

# dom0_tools ROOT: the Xen tools dom0's /init and the test driver run.
dom0_tools() {
	local t p
	for t in xl xenstored xenconsoled xen-init-dom0 xenstore-read xen-qemu-system-i386; do
		for p in /usr/lib/xen-4.17/bin /usr/sbin /usr/bin /sbin /bin /usr/libexec; do
			if [ -f "$1$p/$t" ] && head -c 4 "$1$p/$t" | grep -q ELF; then
				echo "$1$p/$t"
				break
			fi
		done
	done
}

# dom0_base: fetch the dom0 .debs and the kernel and build (or reuse) the
# cached base: the root cpio, the kernel image, static busybox for the
# guests, and an index of the root's files.  The cache key is the exact set
# of .debs plus this builder.  Sets BASE.
dom0_base() {
	local debs kdeb key root k=$WORK/base/kern
	stage "download .debs"
	# shellcheck disable=SC2046 # the list is a word list
	debs=$(deb_fetch "$DEB_ARCH" "$DEBS" $(read_list "$XT/packages/dom0.list") \
		$([ -f "$XT/packages/dom0-$ARCH.list" ] && read_list "$XT/packages/dom0-$ARCH.list"))
	kdeb=$(deb_fetch "$DEB_ARCH" "$DEBS" "$(kernel_package "$DEB_ARCH" "$DEBS")")
	KERNEL_DEB=$kdeb # the x86_64 guests take their modules from it
	arch_hypervisor
	# shellcheck disable=SC2086 # word lists
	say "$(echo $debs $kdeb | wc -w) dom0 .debs, $(du -sch $debs $kdeb | tail -n 1 | cut -f1)"

	stage "dom0 base initramfs"
	# shellcheck disable=SC2086 # word lists
	key=$( (echo $debs $kdeb | tr ' ' '\n' | sed 's|.*/||' | sort
		cat "$XT/lib/rootfs.sh") | sha256sum | cut -c1-16)
	BASE=$CACHE/$ARCH/base-$key
	if [ -s "$BASE/base.cpio" ]; then
		say "cached: $BASE"
		return 0
	fi
	rm -rf "$CACHE/$ARCH"/base-* "$WORK/base"
	mkdir -p "$k" "$BASE.tmp"
	root=$WORK/base/root
	# shellcheck disable=SC2086
	deb_unpack "$root" $debs
	# Only the kernel image, the Xen drivers and loop (the virtio disks'
	# images: libxl wants a block device) are needed from the kernel.
	dpkg-deb --fsys-tarfile "$kdeb" | tar -x -C "$k" --wildcards \
		'./boot/vmlinuz-*' './lib/modules/*/kernel/drivers/xen/*' \
		'./lib/modules/*/kernel/drivers/block/loop.ko'
	cp "$k"/boot/vmlinuz-* "$BASE.tmp/vmlinuz"
	cp -a "$k/lib" "$root/"
	add_busybox "$root"
	mkdir -p "$root"/proc "$root"/sys "$root"/dev "$root"/run "$root"/tmp "$root"/root
	ln -sfn /run "$root/var/run"
	# Of Xen's boot files only hvmloader is needed (HVM guests).
	find "$root"/usr/lib/xen-4.17/boot -mindepth 1 ! -name hvmloader -delete 2>/dev/null || true
	rm -rf "$root"/usr/share/doc "$root"/usr/share/man "$root"/usr/share/locale
	root_index "$root" "$BASE.tmp"
	# shellcheck disable=SC2046 # a word list
	check_needed "$BASE.tmp" $(dom0_tools "$root")
	cp "$root/bin/busybox" "$BASE.tmp/busybox"
	make_cpio "$root" "$BASE.tmp/base.cpio"
	mv "$BASE.tmp" "$BASE"
	rm -rf "$WORK/base"
	say "built $BASE ($(du -sh "$BASE/base.cpio" | cut -f1) base cpio)"
}

# install_ioreqd BUILD ROOT: the freshly built daemon and hooks.
install_ioreqd() {
	local build=$1 root=$2 bin=$1/daemon/ioreqd so n=0
	[ -e "$bin" ] || die "$bin not built (make first)"
	# A libtool wrapper script stands in for a program linked against
	# uninstalled shared libraries; the real binary is in .libs.
	if ! head -c 4 "$bin" | grep -q ELF; then
		bin=$build/daemon/.libs/ioreqd
		[ -x "$bin" ] || die "daemon/ioreqd is a wrapper and .libs/ioreqd is missing"
	fi
	install -D -m 755 "$bin" "$root/usr/sbin/ioreqd"
	mkdir -p "$root/usr/lib/ioreqd"
	for so in "$build"/hooks/.libs/*.so; do
		[ -e "$so" ] || continue
		install -m 644 "$so" "$root/usr/lib/ioreqd/"
		n=$((n + 1))
	done
	[ $n -gt 0 ] || die "no hooks in $build/hooks/.libs"
	say "installed ioreqd and $n hook(s)"
}
