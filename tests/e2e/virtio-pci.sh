#!/bin/sh
# SPDX-License-Identifier: MIT
# End to end: the real daemon serves virtio-rng, virtio-console and (with
# liburing) virtio-blk over virtio-pci to ioreqd-simguest, which enumerates
# each function, places its BAR, walks the capabilities and drives the device
# with MSI-X or with INTx: random bytes arrive, the console line reaches its
# file, a pattern written to the disk is read back and sits in the backing
# file.  Then the configuration errors of the pci transport: exit 78 and
# file:line.
set -u
. "${srcdir:-.}/tests/e2e/lib.sh"

e2e_tmpdir
blk=no
[ -e "$HOOKDIR/virtio-blk.so" ] && blk=yes

cat >"$tmp/vpci.conf" <<C
[device rng0]
hook = virtio-rng
transport = pci
pci = 00:04.0

[device con0]
hook = virtio-console
transport = pci
pci = 00:06.0
backend = file
path = $tmp/console.log
C
cat >"$tmp/guest.script" <<'S'
virtio attach 0 pci 00:04.0 bar 0xe0000000 msix 1 id 4
virtio rng 0 read 64
virtio rng 0 read 4096
virtio detach 0
virtio attach 0 pci 00:04.0 bar 0xe0008000 msix 0 id 4
virtio rng 0 read 64
virtio attach 2 pci 00:06.0 bar 0xe0010000 msix 1 id 3 queues 2
virtio console 2 write hello over virtio-pci
virtio detach 2
virtio detach 0
S
if [ "$blk" = yes ]; then
	dd if=/dev/zero of="$tmp/disk.img" bs=1024 count=1024 2>/dev/null
	cat >>"$tmp/vpci.conf" <<C

[device disk0]
hook = virtio-blk
transport = pci
pci = 00:05.0
path = $tmp/disk.img
C
	cat >>"$tmp/guest.script" <<'S'
virtio attach 1 pci 00:05.0 bar 0xe0018000 msix 1 id 2 features (1<<29)|(1<<28)
virtio blk 1 write 8 16 0x41
virtio blk 1 flush
virtio blk 1 read 8 16 0x41
virtio detach 1
virtio attach 1 pci 00:05.0 bar 0xe0018000 msix 0 id 2
virtio blk 1 read 8 16 0x41
virtio detach 1
S
fi

sock=$tmp/g.sock
"$SIMGUEST" --socket "$sock" --domid 1 --script "$tmp/guest.script" >"$tmp/guest.out" 2>&1 &
guest=$!
e2e_wait_for "$sock" 50 || { echo "FAIL - no guest socket"; exit 1; }
$IOREQD_WRAP "$IOREQD" -f -d 1 --backend=sim --sim-socket "$sock" \
	--hook-dir "$HOOKDIR" -c "$tmp/vpci.conf" >"$tmp/daemon.out" 2>&1 &
daemon=$!
e2e_check_exits "rng (MSI-X and INTx) and console over virtio-pci${blk:+, blk: $blk}" \
	"$tmp/guest.out" "$tmp/daemon.out"
if grep -q "rng0: virtio-pci: BAR0 at 0xe0000000" "$tmp/daemon.out" &&
	grep -q "rng0: virtio-pci: BAR0 at 0xe0008000" "$tmp/daemon.out"; then
	ok "the daemon followed the BAR to where the guest moved it"
else
	bad "no 'BAR0 at' lines for both places"
	sed 's/^/#   /' "$tmp/daemon.out"
fi
if grep -q "device rng0 transport: bad_access 0, irq_errors 0, msi_sent 2," "$tmp/daemon.out"; then
	ok "the statistics count the MSIs and no bad access"
else
	bad "rng0's transport statistics are not as expected"
	grep 'transport:' "$tmp/daemon.out" | sed 's/^/#   /'
fi
if grep -qx "hello over virtio-pci" "$tmp/console.log" 2>/dev/null; then
	ok "console output arrived in the file"
else
	bad "console output missing: $(cat "$tmp/console.log" 2>/dev/null)"
fi
if [ "$blk" = yes ]; then
	if e2e_disk_has_pattern "$tmp/disk.img"; then
		ok "the backing file holds the guest's pattern"
	else
		bad "the backing file does not hold the pattern at sector 8"
	fi
fi


e2e_check_config pci_without_pci_key 78 "pci_without_pci_key.conf:3: device rng0: transport: virtio-pci needs exactly one range: pci =" <<'C'
[device rng0]
hook = virtio-rng
transport = pci
mmio = 0x02000000+0x200
C

e2e_check_config pci_with_irq 78 "pci_with_irq.conf:[0-9]+: device rng0: irq: virtio-pci takes no irq" <<'C'
[device rng0]
hook = virtio-rng
transport = pci
pci = 00:04.0
irq = 5
C

e2e_check_config pci_bad_address 78 "pci_bad_address.conf:4: .*PCI device above 1f" <<'C'
[device rng0]
hook = virtio-rng
transport = pci
pci = 00:40.0
C

echo "virtio-pci: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
