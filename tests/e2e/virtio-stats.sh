#!/bin/sh
# SPDX-License-Identifier: MIT
# Statistics of a virtio device, end to end: the guest reads 3 x 100 random
# bytes from virtio-rng over virtio-mmio, makes one bad register access,
# announces it through debugcon and sleeps; `ioreqd --stats --json` and the
# table must then show the device's groups: the core's "virtio", "queue0"
# (3 requests, 300 bytes in, no errors, none in flight, an interrupt each)
# and the transport's one bad access.  The models' own counters come in the
# group "device": a virtio-console that sent 11 bytes to its file back end,
# and (with liburing) a virtio-blk that wrote and read 8 sectors.  At SIGTERM
# the exit report has them too.
set -u
. "$srcdir/tests/e2e/lib.sh"

e2e_tmpdir
sock=$tmp/sim.sock
domid=12
{
	e2e_conf_console
	cat <<'CONF'

[device rng0]
hook = virtio-rng
mmio = 0x02000000+0x200
irq = 33

[device con0]
hook = virtio-console
mmio = 0x02000200+0x200
irq = 34
backend = file
CONF
} >"$tmp/virtio.conf"
echo "path = $tmp/console.log" >>"$tmp/virtio.conf"
have_blk=
if [ -e "$HOOKDIR/virtio-blk.so" ]; then
	have_blk=1
	dd if=/dev/zero of="$tmp/disk.img" bs=1024 count=64 2>/dev/null
	printf '\n[device disk0]\nhook = virtio-blk\nmmio = 0x02000400+0x200\nirq = 35\npath = %s\n' \
		"$tmp/disk.img" >>"$tmp/virtio.conf"
fi

cat >"$tmp/virtio.script" <<'SCRIPT'
expect-key state running
virtio attach 0 mmio 0x02000000 irq 33 id 4
repeat 3
  virtio rng 0 read 100
end
# A 2-byte read of a register: refused, counted by the transport.
mmio read 0x02000000 2 expect 0xffff
virtio attach 1 mmio 0x02000200 irq 34 id 3 queues 2
virtio console 1 write stats-text
SCRIPT
if [ -n "$have_blk" ]; then
	cat >>"$tmp/virtio.script" <<'SCRIPT'
virtio attach 2 mmio 0x02000400 irq 35 id 2
virtio blk 2 write 8 8 0x41
virtio blk 2 read 8 8 0x41
SCRIPT
fi
cat >>"$tmp/virtio.script" <<'SCRIPT'
print stats-ready
sleep 30s
SCRIPT

e2e_start_guest guest "$sock" --domid "$domid" --timeout 40 --script "$tmp/virtio.script"
e2e_start_sim_daemon daemon "$tmp/virtio.conf" "$sock"
e2e_wait_line 'stats-ready' "$tmp/daemon.out" "the guest never reached its sleep" \
	"the guest exited before its sleep"

"$IOREQD" --stats --json -d "$domid" --backend sim --sim-socket "$sock" >"$tmp/stats.json" 2>"$tmp/query.err" ||
	fail "ioreqd --stats --json failed"
"$IOREQD" --stats -d "$domid" --backend sim --sim-socket "$sock" >"$tmp/table.out" 2>>"$tmp/query.err" ||
	fail "ioreqd --stats failed"

if command -v python3 >/dev/null 2>&1; then
	python3 - "$tmp/stats.json" ${have_blk:+blk} <<'PY' || fail "unexpected JSON statistics"
import json, sys
s = json.load(open(sys.argv[1]))
dev = [d for d in s["devices"] if d["name"] == "rng0"]
if len(dev) != 1 or "stats" not in dev[0]:
    sys.exit("no statistics for rng0")
st = dev[0]["stats"]
def want(what, got, exp):
    if got != exp:
        sys.exit("%s: %r, expected %r" % (what, got, exp))
q = st["queue0"]
want("requests", q["requests"], 3)
want("bytes_in", q["bytes_in"], 300)
want("errors", q["errors"], 0)
want("in_flight", q["in_flight"], 0)
want("interrupts", q["interrupts"], 3)
want("status", st["virtio"]["status"], 15)
want("bad_access", st["transport"]["bad_access"], 1)
con = [d for d in s["devices"] if d["name"] == "con0"][0]["stats"]["device"]
want("console tx_bytes", con["tx_bytes"], 11)
want("console dropped", con["dropped"], 0)
want("console bad_buffer", con["bad_buffer"], 0)
if len(sys.argv) > 2:
    blk = [d for d in s["devices"] if d["name"] == "disk0"][0]["stats"]["device"]
    want("blk writes", blk["writes"], 1)
    want("blk reads", blk["reads"], 1)
    want("blk bytes_written", blk["bytes_written"], 4096)
    want("blk bytes_read", blk["bytes_read"], 4096)
    want("blk io_errors", blk["io_errors"], 0)
    want("blk bad_request", blk["bad_request"], 0)
    want("blk unsupported", blk["unsupported"], 0)
    want("blk in_flight", blk["in_flight"], 0)
PY
fi
grep -Eq '^  device con0 device: rx_bytes 0, tx_bytes 11, rx_waits [0-9]+, bad_buffer 0, dropped 0' \
	"$tmp/table.out" || fail "the console's counters are not in the table"
if [ -n "$have_blk" ]; then
	grep -Eq '^  device disk0 device: reads 1, writes 1, .*bytes_read 4096, bytes_written 4096, io_errors 0, bad_request 0, unsupported 0, in_flight 0' \
		"$tmp/table.out" || fail "the disk's counters are not in the table"
fi
grep -q '"queue0": {"requests": 3, "bytes_out": 0, "bytes_in": 300, "errors": 0, "in_flight": 0' \
	"$tmp/stats.json" || fail "unexpected JSON statistics"
grep -Eq '^  device rng0 queue0: requests 3, bytes_out 0, bytes_in 300, errors 0, in_flight 0,' \
	"$tmp/table.out" || fail "the table disagrees with the JSON"
grep -Eq '^  device rng0 transport: bad_access 1,' "$tmp/table.out" ||
	fail "the bad access is not in the table"

e2e_stop_daemon TERM daemon
e2e_stop_guest
grep -Eq 'device rng0 queue0: requests 3,' "$tmp/daemon.err" "$tmp/daemon.out" ||
	fail "the exit report lacks the queue"
grep -Eq 'device con0 device: rx_bytes 0, tx_bytes 11,' "$tmp/daemon.err" "$tmp/daemon.out" ||
	fail "the exit report lacks the console's counters"
echo "virtio-stats: ok"
exit 0
