#!/bin/sh
# SPDX-License-Identifier: MIT
# End to end: one daemon per domain.  While ioreqd serves a domain, a second
# one for the same domain refuses before it touches the hypervisor, naming
# the first one's pid, and the first goes on serving; with --replace the
# second stops the first (which exits 0, having completed everything pending)
# and takes over.  Without --pidfile: the lock is ioreqd's own.
set -u
. "${srcdir:-.}/tests/e2e/lib.sh"

e2e_tmpdir
sock=$tmp/sim.sock

cat >"$tmp/one.conf" <<'C'
[device s]
hook = scratch
mmio = 0xfe000000+0x1000
C
# The guest writes once, then keeps reading back for a while; under the
# second daemon the scratch is new (reads 0), so the reads are not checked.
cat >"$tmp/one.script" <<'S'
mmio write 0xfe000010 4 0x5eed
repeat 300
mmio read 0xfe000010 4
sleep 25ms
end
S

daemon_args="-f -d 3 -c $tmp/one.conf --backend sim --sim-socket $sock --hook-dir $HOOKDIR"

"$SIMGUEST" --socket "$sock" --domid 3 --timeout 30 --quiet --script "$tmp/one.script" \
	>"$tmp/guest.out" 2>&1 &
guest=$!
e2e_wait_for "$sock" 100 || { bad "the guest never created $sock" "$tmp/guest.out"; exit 1; }
# shellcheck disable=SC2086
$IOREQD_WRAP "$IOREQD" $daemon_args >"$tmp/first.out" 2>&1 &
first=$!
e2e_wait_for "$sock.ctl" 100 || { bad "the first daemon did not start" "$tmp/first.out"; exit 1; }

# 1. A second daemon for the same domain refuses, naming the first.
# shellcheck disable=SC2086
"$IOREQD" $daemon_args >"$tmp/second.out" 2>&1
rc=$?
if [ "$rc" -ne 0 ] && grep -q "already served by ioreqd (pid $first" "$tmp/second.out" &&
	grep -q -- "--replace" "$tmp/second.out" && kill -0 "$first" 2>/dev/null &&
	"$IOREQD" --stats --backend sim --sim-socket "$sock" -d 3 >"$tmp/stats1.out" 2>&1 &&
	grep -q "requests" "$tmp/stats1.out"; then
	ok "second_daemon_refuses_naming_the_first (exit $rc)"
else
	bad "second_daemon_refuses_naming_the_first: exit $rc" "$tmp/second.out"
fi

# 2. --replace: the first stops cleanly and the new one serves.
# shellcheck disable=SC2086
$IOREQD_WRAP "$IOREQD" $daemon_args --replace >"$tmp/third.out" 2>&1 &
third=$!
wait "$first"
frc=$?
n=0
until grep -q "serving domain 3" "$tmp/third.out"; do
	n=$((n + 1))
	[ "$n" -lt 200 ] && kill -0 "$third" 2>/dev/null || break
	sleep 0.1
done
if [ "$frc" -eq 0 ] && grep -q "serving domain 3" "$tmp/third.out" &&
	grep -q "replace: stopping ioreqd pid $first" "$tmp/third.out"; then
	ok "replace_takes_over (the first exited $frc)"
else
	bad "replace_takes_over: first exited $frc" "$tmp/first.out" "$tmp/third.out"
fi

wait "$guest"
grc=$?
wait "$third"
trc=$?
if [ "$grc" -eq 0 ] && [ "$trc" -eq 0 ] && [ ! -e "$sock.lock" ]; then
	ok "guest_served_to_the_end_and_lock_released"
else
	bad "guest_served_to_the_end_and_lock_released: guest $grc, daemon $trc" \
		"$tmp/guest.out" "$tmp/third.out"
fi

echo "single-instance: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
