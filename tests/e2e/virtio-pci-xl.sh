#!/bin/sh
# SPDX-License-Identifier: MIT
# End to end, the device_model_override path with virtio-pci: ioreqd started
# with the command line libxl builds for a qemu-xen HVM guest (path 2 of
# docs/xl-launch.md: -xen-domid, the QMP chardevs, -machine xenfv, -m, and
# device_model_args), as the guest's only device model, serving the devices
# of the Xen vpci case (tests/xen/xentest-vpci.conf: virtio-blk-pci at
# 00:08.0, virtio-console-pci at 00:09.0) to ioreqd-simguest.  The guest
# drives the disk with MSI-X and then INTx and writes a console line; when it
# goes, the daemon exits with its statistics.  The xenstore handshake needs
# real Xen, so the run takes libxl's dm_restrict form (-xen-domid-restrict),
# where libxl talks QMP only (the Xen tests' xl cases cover QMP and SIGHUP).
set -u
. "${srcdir:-.}/tests/e2e/lib.sh"

[ -e "$HOOKDIR/virtio-blk.so" ] || {
	echo "virtio-pci-xl: SKIP (virtio-blk not built: no liburing)"
	exit 77
}
e2e_tmpdir

# The Xen case's configuration, with this run's files: the disk image and a
# file instead of the pty behind the console, and the build's hooks.
sed -e "s|^path = /tmp/vpci-disk.img|path = $tmp/disk.img|" \
	-e "s|^backend = pty|backend = file\npath = $tmp/console.log|" \
	-e '/^hook_dir/d' "$srcdir/tests/xen/xentest-vpci.conf" >"$tmp/vpci.conf"
grep -q "path = $tmp/console.log" "$tmp/vpci.conf" || fail "could not adapt xentest-vpci.conf"
dd if=/dev/zero of="$tmp/disk.img" bs=1024 count=1024 2>/dev/null

cat >"$tmp/guest.script" <<'S'
virtio attach 1 pci 00:08.0 bar 0xf0000000 msix 1 id 2
virtio blk 1 write 8 16 0x41
virtio blk 1 flush
virtio blk 1 read 8 16 0x41
virtio detach 1
virtio attach 1 pci 00:08.0 bar 0xf0008000 msix 0 id 2
virtio blk 1 read 8 16 0x41
virtio detach 1
virtio attach 2 pci 00:09.0 bar 0xf0010000 msix 1 id 3 queues 2
virtio console 2 write hello from the xl-launched device model
virtio detach 2
S

sock=$tmp/g.sock
"$SIMGUEST" --socket "$sock" --domid 1 --script "$tmp/guest.script" >"$tmp/guest.out" 2>&1 &
guest=$!
e2e_wait_for "$sock" 50 || fail "no guest socket"
# libxl__build_device_model_args_new's argv for dm_restrict=1, with
# device_model_args = ["-c", FILE, "--backend", "sim", ...] in its place.
# shellcheck disable=SC2086 # IOREQD_WRAP is a word list
$IOREQD_WRAP "$IOREQD" -xen-domid 1 -xen-domid-restrict -no-shutdown \
	-chardev "socket,id=libxl-cmd,path=$tmp/qmp-libxl-1,server=on,wait=off" \
	-mon chardev=libxl-cmd,mode=control -nodefaults -no-user-config -name vpcilinux \
	-vnc none -display none -serial none \
	-c "$tmp/vpci.conf" --hook-dir "$HOOKDIR" --backend sim --sim-socket "$sock" \
	-machine xenfv,suppress-vmdesc=on -m 256 >"$tmp/daemon.out" 2>&1 &
daemon=$!
e2e_check_exits "blk (MSI-X, then INTx) and console over virtio-pci, ioreqd started as libxl starts QEMU" \
	"$tmp/guest.out" "$tmp/daemon.out"
if grep -q "started by xl for domain 1 (qemu-xen mode)" "$tmp/daemon.out" &&
	grep -q '^ioreqd statistics' "$tmp/daemon.out"; then
	ok "it took libxl's argv, and printed its statistics when the domain went"
else
	bad "no 'started by xl' line or no statistics"
	sed 's/^/#   /' "$tmp/daemon.out"
fi
for d in vblk0 vcon0; do
	if grep -q "$d: virtio-pci: BAR0 at 0xf00" "$tmp/daemon.out"; then
		ok "$d followed the BAR the guest placed"
	else
		bad "no 'BAR0 at' line for $d"
	fi
done
if grep -q "device vblk0 transport: bad_access 0, irq_errors 0, msi_sent [1-9]" \
	"$tmp/daemon.out"; then
	ok "vblk0's statistics count its MSIs and no bad access"
else
	bad "vblk0's transport statistics are not as expected"
	grep 'transport:' "$tmp/daemon.out" | sed 's/^/#   /'
fi
if grep -qx "hello from the xl-launched device model" "$tmp/console.log" 2>/dev/null; then
	ok "console output arrived in the file"
else
	bad "console output missing: $(cat "$tmp/console.log" 2>/dev/null)"
fi
if e2e_disk_has_pattern "$tmp/disk.img"; then
	ok "the backing file holds the guest's pattern"
else
	bad "the backing file does not hold the pattern at sector 8"
fi
echo "virtio-pci-xl: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
