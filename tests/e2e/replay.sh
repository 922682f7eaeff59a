#!/bin/sh
# SPDX-License-Identifier: MIT
# ioreqd-replay end to end: a guest (ioreqd-simguest) runs against the real
# daemon with a trace device at the head of its devices' chains (scratch,
# override, and testdev: PCI config, a read deferred to a timer, the doorbell
# interrupt, all through the plugins the daemon loads); the trace, which
# holds every read's value as the guest saw it, is replayed against the same
# configuration (every record compared, no differences, exit 0) and against
# a deliberately changed one (another scratch fill and override value),
# where replay must flag exactly the reads that changed and exit 1.  A
# baseline re-recorded by replay itself (-r) must compare the same way.
set -u
. "$srcdir/tests/e2e/lib.sh"
REPLAY=${REPLAY:-$builddir/tools/ioreqd-replay}

dir=$(mktemp -d "${TMPDIR:-/tmp}/ioreqd-replay.XXXXXX") || exit 1
trap 'rm -rf "$dir"' EXIT
sock=$dir/sim.sock
domid=11

fail() {
	echo "replay.sh: $*" >&2
	for f in "$dir"/*.out "$dir"/*.err; do
		[ -s "$f" ] && { echo "--- $f" >&2; cat "$f" >&2; }
	done
	exit 1
}

cat >"$dir/a.conf" <<CONF
[device scratch0]
hook = scratch
pio = 0x510-0x51f

[device scratch1]
hook = scratch
mmio = 0xfeb00000+0x1000
fill = 0x5a

[device override0]
hook = override
mmio = 0xfeb00000+0x1000
offset = 0x10
value = 0x10ad10ad

[device testdev0]
hook = testdev
pci = 00:05.0
mmio = 0xfeb01000+0x1000
irq = 5

[device trace0]
hook = trace
order = first
pio = 0x510-0x51f
mmio = 0xfeb00000+0x1000
pci = 00:05.0
mmio = 0xfeb01000+0x1000
file = $dir/run.trace
CONF
sed -e 's/^fill = 0x5a/fill = 0x00/' -e 's/^value = 0x10ad10ad/value = 0x12345678/' \
	"$dir/a.conf" >"$dir/b.conf"

cat >"$dir/guest.script" <<'SCRIPT'
pio write 0x510 1 0x41
pio read 0x510 1 expect 0x41
pio write 0x514 4 0xcafef00d
pio read 0x514 2 expect 0xf00d
mmio read 0xfeb00010 4 expect 0x10ad10ad
mmio write 0xfeb00020 8 0x1122334455667788
mmio read 0xfeb00020 8 expect 0x1122334455667788
mmio read 0xfeb00100 4 expect 0x5a5a5a5a
mmio read 0xfeb00ffe 2 expect 0x5a5a
pci read 00:05.0 0 4 expect 0x00017e57
pci write 00:05.0 0x40 4 0xa11ce5ed
pci read 00:05.0 0x40 4 expect 0xa11ce5ed
mmio read 0xfeb01000 4 expect 0xdefe2ed0
mmio write 0xfeb01010 4 1
expect-irq 5 high
mmio write 0xfeb01014 4 0
expect-irq 5 low
parallel 4 repeat 5
  mmio write 0xfeb00800+$vcpu*8 4 $i<<8|$vcpu
  mmio read 0xfeb00800+$vcpu*8 4 expect $i<<8|$vcpu
end
SCRIPT

"$SIMGUEST" --socket "$sock" --domid "$domid" --vcpus 4 --timeout 20 \
	--script "$dir/guest.script" >"$dir/guest.out" 2>"$dir/guest.err" &
guest=$!
e2e_wait_for "$sock" 100 || { kill "$guest" 2>/dev/null; fail "the guest never created $sock"; }
$IOREQD_WRAP "$IOREQD" -d "$domid" -c "$dir/a.conf" --backend sim --sim-socket "$sock" \
	--hook-dir "$HOOKDIR" -f >"$dir/daemon.out" 2>"$dir/daemon.err" &
daemon=$!
wait "$guest"
grc=$?
wait "$daemon"
drc=$?
[ "$grc" -eq 0 ] && [ "$drc" -eq 0 ] || fail "guest exit $grc, daemon exit $drc"

# 15 single accesses + 4 vCPUs x 5 x 2 = 55 records of 32 bytes after the header.
size=$(wc -c <"$dir/run.trace")
[ "$size" -eq $((32 + 55 * 32)) ] || fail "run.trace is $size bytes, want $((32 + 55 * 32))"

"$REPLAY" -c "$dir/a.conf" "$dir/run.trace" >"$dir/replay1.out" 2>"$dir/replay1.err" ||
	fail "replay of the recorded trace against its own config: exit $?"
grep -q '55 records, 55 compared, 0 differ' "$dir/replay1.out" || fail "replay1 summary"

# The capture itself is the regression test: the changed config is flagged.
"$REPLAY" -c "$dir/b.conf" "$dir/run.trace" >"$dir/replay1b.out" 2>"$dir/replay1b.err"
rc=$?
[ "$rc" -eq 1 ] || fail "recorded trace against the changed config: exit $rc, want 1"
grep -q '55 records, 55 compared, 3 differ' "$dir/replay1b.out" || fail "replay1b summary"

"$REPLAY" -c "$dir/a.conf" -r "$dir/base.trace" "$dir/run.trace" >"$dir/replay2.out" \
	2>"$dir/replay2.err" || fail "recording the baseline: exit $?"
"$REPLAY" -c "$dir/a.conf" "$dir/base.trace" >"$dir/replay3.out" 2>"$dir/replay3.err" ||
	fail "baseline against its own config: exit $?"
grep -q '55 records, 55 compared, 0 differ' "$dir/replay3.out" || fail "replay3 summary"

"$REPLAY" -c "$dir/b.conf" "$dir/base.trace" >"$dir/replay4.out" 2>"$dir/replay4.err"
rc=$?
[ "$rc" -eq 1 ] || fail "baseline against the changed config: exit $rc, want 1"
grep -q '55 records, 55 compared, 3 differ' "$dir/replay4.out" || fail "replay4 summary"
grep -q 'mmio read 0xfeb00010/4: recorded 0x10ad10ad (handled), replayed 0x12345678 (handled)' \
	"$dir/replay4.out" || fail "the override difference is not reported"
grep -q 'mmio read 0xfeb00100/4: recorded 0x5a5a5a5a (handled), replayed 0x0 (handled)' \
	"$dir/replay4.out" || fail "the fill difference is not reported"
# testdev's deferred read completed on replay's virtual clock, as recorded.
grep -q 'mmio read 0xfeb01000' "$dir/replay4.out" && fail "the deferred read differs"

# A damaged trace is an error (2), not a difference.
head -c 100 "$dir/base.trace" >"$dir/cut.trace"
"$REPLAY" -c "$dir/a.conf" "$dir/cut.trace" >"$dir/replay5.out" 2>"$dir/replay5.err"
rc=$?
[ "$rc" -eq 2 ] || fail "truncated trace: exit $rc, want 2"
grep -q 'truncated record' "$dir/replay5.err" || fail "truncated trace: no reason given"
exit 0
