#!/bin/sh
# SPDX-License-Identifier: MIT
# The start order of ioreqd and ioreqd-simguest does not matter: the daemon
# started first waits (--sim-wait) for the simulated hypervisor's socket, and
# the guest started first waits (--timeout) for a device model.  Each order
# must serve the whole script and end with both exiting 0; the daemon started
# first must have said that it was waiting.  And ioreqd-simguest --run-daemon
# starts the daemon itself, failing promptly if it cannot start.
set -u
. "${srcdir:-.}/tests/e2e/lib.sh"

e2e_tmpdir
pass=0
fail=0
cat >"$tmp/order.conf" <<'C'
[device s0]
hook = scratch
mmio = 0xfeb00000+0x100
C
cat >"$tmp/order.script" <<'S'
mmio write 0xfeb00010 4 0x600d
mmio read 0xfeb00010 4 expect 0x600d
S

daemon_cmd() {
	# shellcheck disable=SC2086
	$IOREQD_WRAP "$IOREQD" -f -d 4 --backend=sim --sim-socket "$1" --hook-dir "$HOOKDIR" \
		-c "$tmp/order.conf" >"$2" 2>&1
}
guest_cmd() {
	"$SIMGUEST" --socket "$1" --domid 4 --timeout 20 --script "$tmp/order.script" >"$2" 2>&1
}

report() {
	name=$1 gst=$2 dst=$3 extra=$4
	if [ "$gst" -eq 0 ] && [ "$dst" -eq 0 ] && [ "$extra" = ok ]; then
		echo "ok - $name"
		pass=$((pass + 1))
	else
		echo "FAIL - $name: guest exit $gst, daemon exit $dst ($extra)"
		for f in "$tmp"/*.log; do echo "--- $f"; sed 's/^/    /' "$f"; done
		fail=$((fail + 1))
	fi
}

# Daemon first: nothing listens yet when it starts.
sock=$tmp/d-first.sock
daemon_cmd "$sock" "$tmp/d-first.daemon.log" &
daemon=$!
# The daemon has tried once and is waiting when it says so.
n=0
while ! grep -q 'waiting up to 10 s for the simulated hypervisor' "$tmp/d-first.daemon.log" &&
	[ "$n" -lt 100 ]; do
	sleep 0.1
	n=$((n + 1))
done
guest_cmd "$sock" "$tmp/d-first.guest.log"
gst=$?
wait "$daemon"
dst=$?
extra=ok
grep -q 'waiting up to 10 s' "$tmp/d-first.daemon.log" || extra="no waiting message"
report daemon_first "$gst" "$dst" "$extra"

# Guest first: the daemon finds the socket at once.
sock=$tmp/g-first.sock
guest_cmd "$sock" "$tmp/g-first.guest.log" &
guest=$!
e2e_wait_for "$sock" 100
daemon_cmd "$sock" "$tmp/g-first.daemon.log"
dst=$?
wait "$guest"
gst=$?
report guest_first "$gst" "$dst" ok

# One command: the guest starts the daemon (--run-daemon) once its socket
# exists; its exit status covers both.
sock=$tmp/run.sock
"$SIMGUEST" --socket "$sock" --domid 4 --timeout 20 --script "$tmp/order.script" \
	--run-daemon -- "$IOREQD" -f -d 4 --backend=sim --sim-socket "$sock" \
	--hook-dir "$HOOKDIR" -c "$tmp/order.conf" >"$tmp/run.log" 2>&1
gst=$?
extra=ok
grep -q 'serving domain 4' "$tmp/run.log" || extra="the daemon did not serve"
report guest_runs_the_daemon "$gst" 0 "$extra"

# A daemon that cannot start ends the wait at once (not after --timeout),
# and the guest says so and fails.
printf '[device s0]\nhook = nosuchhook\npio = 0x80\n' >"$tmp/bad.conf"
"$SIMGUEST" --socket "$tmp/bad.sock" --domid 4 --timeout 600 --script "$tmp/order.script" \
	--run-daemon -- "$IOREQD" -f -d 4 --backend=sim --sim-socket "$tmp/bad.sock" \
	--hook-dir "$HOOKDIR" -c "$tmp/bad.conf" >"$tmp/bad.log" 2>&1
gst=$?
extra=ok
grep -q 'the device model exited before serving the domain (status 78)' "$tmp/bad.log" ||
	extra="no message about the device model's exit"
[ "$gst" -ne 0 ] && gst=0 || gst=1
report guest_reports_a_daemon_that_failed_to_start "$gst" 0 "$extra"

echo "start-order: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
