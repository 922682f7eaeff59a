#!/bin/sh
# SPDX-License-Identifier: MIT
# End to end: SIGTERM while 4 vCPUs hammer the daemon.  Every request that was
# READY must end IORESP_READY (checked by the guest from the simulated
# hypervisor's own counters), no vCPU may be left waiting, and the daemon must
# exit 0 after printing its statistics.
set -u
. "${srcdir:-.}/tests/e2e/lib.sh"

e2e_tmpdir
sock="$tmp/sim.sock"
cat >"$tmp/load.conf" <<'C'
[device scratch0]
hook = scratch
mmio = 0xfeb00000+0x1000
C

mkfifo "$tmp/pid"
"$builddir/tests/sigterm-guest" --socket "$sock" --vcpus 4 <"$tmp/pid" &
guest=$!
exec 3>"$tmp/pid"
e2e_wait_for "$sock" 50 || { echo "sigterm-load: no guest socket" >&2; exit 1; }
# shellcheck disable=SC2086
$IOREQD_WRAP "$IOREQD" -f -d 1 --backend=sim --sim-socket "$sock" --hook-dir "$HOOKDIR" \
	-c "$tmp/load.conf" 2>"$tmp/daemon.err" &
daemon=$!
echo "$daemon" >&3
exec 3>&-

wait "$guest"
guest_status=$?
wait "$daemon"
daemon_status=$?
echo "# daemon exit status $daemon_status; its log:"
sed 's/^/#   /' "$tmp/daemon.err"
grep -q "SIGTERM, stopping" "$tmp/daemon.err" || { echo "FAIL - the daemon did not log SIGTERM"; exit 1; }
grep -q "ioreqd statistics" "$tmp/daemon.err" || { echo "FAIL - no statistics at exit"; exit 1; }
[ "$guest_status" -eq 0 ] && [ "$daemon_status" -eq 0 ]
