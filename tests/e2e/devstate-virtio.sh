#!/bin/sh
# SPDX-License-Identifier: MIT
# Device state end to end with a virtio disk in use, over virtio-mmio and over
# virtio-pci: one simulated guest leaves scratch contents, a 16550 transfer
# half read (two of three bytes still in the receive FIFO) and a virtio-blk
# disk with two writes done and a third one started but not yet collected;
# then it waits for a new device model (wait-restart).  The test saves the
# devices (`ioreqd --save`), kills the daemon with SIGKILL and starts a new one
# with --resume; the same guest carries on: the started write completes
# exactly once, the UART bytes come in order, the scratch value and all the
# disk's data read back, and new requests are served.  The phases are
# sequenced on the guest's and the daemon's output, never by sleeping.
set -u
. "$srcdir/tests/e2e/lib.sh"

[ -e "$HOOKDIR/virtio-blk.so" ] || {
	echo "SKIP: no virtio-blk hook (built without liburing)"
	exit 77
}
e2e_tmpdir
domid=23

run() {
	tr=$1
	dd if=/dev/zero of="$tmp/disk.img" bs=1024 count=1024 2>/dev/null
	{
		e2e_conf_console
		e2e_conf_scratch
		e2e_conf_uart
		printf '\n[device disk]\nhook = virtio-blk\npath = %s\n' "$tmp/disk.img"
	} >"$tmp/dev.conf"
	if [ "$tr" = mmio ]; then
		printf 'mmio = 0x02000000+0x200\nirq = 5\n' >>"$tmp/dev.conf"
		attach='virtio attach 0 mmio 0x02000000 irq 5 id 2 features (1<<29)|(1<<28)'
	else
		printf 'transport = pci\npci = 00:04.0\n' >>"$tmp/dev.conf"
		attach='virtio attach 0 pci 00:04.0 bar 0xe0000000 msix 1 id 2 features (1<<29)|(1<<28)'
	fi
	cat >"$tmp/guest.script" <<SCRIPT
expect-key state running
mmio write 0xfeb00000 8 0x0123456789abcdef
# 16550: 8N1, FIFO on, loopback; "HEY" sent, "H" read, "EY" left in the FIFO.
pio write 0x3fb 1 0x83
pio write 0x3f8 1 3
pio write 0x3fb 1 0x03
pio write 0x3fa 1 0x01
pio write 0x3fc 1 0x10
pio write 0x3f8 1 0x48
pio write 0x3f8 1 0x45
pio write 0x3f8 1 0x59
pio read 0x3fd 1 expect 0x61
pio read 0x3f8 1 expect 0x48
$attach
virtio blk 0 write 0 8 0x11
virtio blk 0 write 8 8 0x22
virtio blk 0 start write 16 8 0x33
print phase1-done
wait-restart 60000
virtio blk 0 finish
pio read 0x3f8 1 expect 0x45
pio read 0x3f8 1 expect 0x59
pio read 0x3fd 1 expect 0x60
mmio read 0xfeb00000 8 expect 0x0123456789abcdef
virtio blk 0 read 0 8 0x11
virtio blk 0 read 8 8 0x22
virtio blk 0 read 16 8 0x33
virtio blk 0 write 24 8 0x44
virtio blk 0 flush
virtio blk 0 read 24 8 0x44
print phase2-done
SCRIPT

	sock=$tmp/sim-$tr.sock
	e2e_start_guest "guest-$tr" "$sock" --domid "$domid" --timeout 90 \
		--script "$tmp/guest.script"
	e2e_start_sim_daemon "daemon1-$tr" "$tmp/dev.conf" "$sock"
	e2e_wait_line '^# wait-restart' "$tmp/guest-$tr.out" \
		"$tr: the guest never reached wait-restart" "$tr: the guest failed in phase 1"
	grep -q 'phase1-done' "$tmp/daemon1-$tr.out" || fail "$tr: no phase1-done"
	grep -q '^FAIL' "$tmp/guest-$tr.out" && fail "$tr: a phase-1 check failed"
	"$IOREQD" --save "$tmp/state-$tr.bin" -d "$domid" --backend sim --sim-socket "$sock" \
		>"$tmp/save-$tr.out" 2>"$tmp/save-$tr.err" || fail "$tr: ioreqd --save failed"
	grep -q "saved 4 device(s) of domain $domid" "$tmp/save-$tr.out" ||
		fail "$tr: --save did not say what it saved"
	# A crash, not a clean exit: the daemon leaves nothing tidy behind.
	e2e_crash_daemon
	e2e_start_sim_daemon "daemon2-$tr" "$tmp/dev.conf" "$sock" --resume "$tmp/state-$tr.bin"
	wait "$guest" || {
		sed 's/^/#   /' "$tmp/guest-$tr.out" "$tmp/daemon2-$tr.err"
		fail "$tr: the guest found something not restored (exit $?)"
	}
	guest=
	e2e_wait_daemon "$tr: daemon 2"
	grep -q 'phase2-done' "$tmp/daemon2-$tr.out" || fail "$tr: no phase2-done"
	grep -q '^ok .* virtio 0 blk finish$' "$tmp/guest-$tr.out" ||
		fail "$tr: the started write did not finish on the new daemon"
	# The started write reached the disk: sector 16, bytes 0x33, 0x34, ...
	od -A n -t x1 -j 8192 -N 4 "$tmp/disk.img" | grep -q '33 34 35 36' ||
		fail "$tr: the started write is not on the disk"
	echo "ok - $tr: save, SIGKILL, --resume; the guest carried on"
}

run mmio
run pci
exit 0
