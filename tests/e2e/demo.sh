#!/bin/sh
# SPDX-License-Identifier: MIT
# The quick-start demo: the real daemon on the simulated hypervisor, driven by
# a scripted guest.  The guest (ioreqd-simguest) creates the domain and waits;
# ioreqd connects, registers its ioreq server and claims its ranges; the guest
# runs sim/demo.script on 4 vCPUs and checks every read; then it destroys the
# domain, ioreqd sees the domain go, prints its statistics and exits.
# Exit status 0 only if every guest check passed and ioreqd exited cleanly.
set -u
. "${srcdir:-.}/tests/e2e/lib.sh"

e2e_tmpdir
sock="$tmp/sim.sock"
domid=1
script=${DEMO_SCRIPT:-$srcdir/sim/demo.script}
conf=${DEMO_CONF:-$srcdir/etc/demo.conf}

echo "== ioreqd demo: guest script $script, config $conf"
"$SIMGUEST" --socket "$sock" --domid "$domid" --vcpus 4 --script "$script" &
guest=$!
e2e_wait_for "$sock" 50 || {
	echo "demo: the guest simulator did not start" >&2
	exit 1
}
# shellcheck disable=SC2086
$IOREQD_WRAP "$IOREQD" -f -d "$domid" --backend=sim --sim-socket "$sock" \
	--hook-dir "$HOOKDIR" -c "$conf" &
daemon=$!

wait "$guest"
guest_status=$?
wait "$daemon"
daemon_status=$?
echo "== guest exit status $guest_status, ioreqd exit status $daemon_status"
[ "$guest_status" -eq 0 ] && [ "$daemon_status" -eq 0 ]
