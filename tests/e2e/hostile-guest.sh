#!/bin/sh
# SPDX-License-Identifier: MIT
# End to end: a malicious guest (tests/hostile-guest) against the real daemon,
# each in its own process, on the simulated hypervisor.  The guest writes
# garbage into its ioreq slot and the buffered ring, floods the daemon with
# rejected and unhandled accesses, and interleaves well-formed accesses whose
# results it checks (see tests/hostile-guest.c).  Passes when:
#  - the guest saw every check pass (and the daemon never broke the protocol);
#  - the daemon stayed up to the end and exited 0 when the domain went away;
#  - the daemon counted exactly the rejections the guest caused;
#  - the daemon's log stayed small (rate limiting), however long the flood.
# HOSTILE_FLOOD sets the flood size (default 20000; valgrind.sh uses less).
set -u
. "${srcdir:-.}/tests/e2e/lib.sh"

HOSTILE=${HOSTILE:-$builddir/tests/hostile-guest}
flood=${HOSTILE_FLOOD:-20000}
log_limit=${HOSTILE_LOG_LIMIT:-65536}

# Not e2e_tmpdir: its EXIT trap would be set in a $(...) subshell.
dir=$(mktemp -d "${TMPDIR:-/tmp}/ioreqd-hostile.XXXXXX") || exit 1
trap 'rm -rf "$dir"' EXIT
sock=$dir/sim.sock
domid=7

cat >"$dir/hostile.conf" <<'EOF'
[global]
buffered = yes
watchdog_ms = 2000

[device ram]
hook = scratch
mmio = 0xfe000000+0x1000

[device lowram]
hook = scratch
mmio = 0xa0000+0x1000

[device ports]
hook = scratch
pio = 0x510-0x51f

[device cfg]
hook = scratch
pci = 0000:00:05.0

; reads of its register are answered, everything else passes to nobody
[device passer]
hook = override
mmio = 0xfe100000+0x1000
writes = pass
EOF

fail() {
	echo "hostile-guest: FAIL: $*"
	for f in guest.out guest.err daemon.err; do
		echo "--- $f (last 40 lines)"
		tail -n 40 "$dir/$f"
	done
	exit 1
}

"$HOSTILE" --socket "$sock" --domid "$domid" --flood "$flood" --timeout 20000 \
	>"$dir/guest.out" 2>"$dir/guest.err" &
guest=$!
e2e_wait_for "$sock" 100 || { kill "$guest" 2>/dev/null; fail "the guest never created $sock"; }
$IOREQD_WRAP "$IOREQD" -f -d "$domid" -c "$dir/hostile.conf" --backend sim \
	--sim-socket "$sock" --hook-dir "$HOOKDIR" >"$dir/daemon.out" 2>"$dir/daemon.err" &
daemon=$!

wait "$guest"
grc=$?
wait "$daemon"
drc=$?
cat "$dir/guest.out"

[ "$grc" -eq 0 ] || fail "the guest saw failures (exit $grc)"
[ "$drc" -eq 0 ] || fail "the daemon exited $drc"
grep -q "ioreqd statistics" "$dir/daemon.err" || fail "no statistics at exit: the daemon did not stay up"

want=$(sed -n 's/^expect rejected \([0-9]*\)$/\1/p' "$dir/guest.out")
got=$(sed -n 's/^ *rejected \([0-9]*\).*/\1/p' "$dir/daemon.err" | tail -n 1)
[ -n "$want" ] && [ -n "$got" ] || fail "missing counts (guest '$want', daemon '$got')"
[ "$got" -eq "$want" ] || fail "the daemon counted $got rejections, the guest caused $want"
for why in state size count range data_is_ptr type bufring; do
	grep -Eq "^ *rejected [0-9]+ \(.*$why [1-9]" "$dir/daemon.err" ||
		fail "no '$why' rejections counted"
done

size=$(wc -c <"$dir/daemon.err")
[ "$size" -lt "$log_limit" ] ||
	fail "the daemon logged $size bytes for a flood of $flood (limit $log_limit): not rate-limited"
grep -q "suppressed" "$dir/daemon.err" || fail "no rate-limited message says what it suppressed"

echo "hostile-guest: daemon counted $got rejections, logged $size bytes"
echo "1 passed, 0 failed"
exit 0
