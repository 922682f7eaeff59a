#!/bin/sh
# SPDX-License-Identifier: MIT
# End to end on the simulated hypervisor, across processes: ioreqd-simguest
# plays a 4-vCPU guest running sim/selftest.script, ioreqd serves it with
# sim/selftest.conf.  Passes if every check passed and the daemon exited
# cleanly when the guest destroyed the domain.
set -u
. "$srcdir/tests/e2e/lib.sh"

e2e_tmpdir
dir=$tmp
sock=$dir/sim.sock
domid=9

e2e_start_guest guest "$sock" --domid "$domid" --vcpus 4 --buffered --timeout 20 \
	--script "$srcdir/sim/selftest.script"
e2e_start_sim_daemon daemon "$srcdir/sim/selftest.conf" "$sock"

wait "$guest"
grc=$?
wait "$daemon"
drc=$?
cat "$dir/guest.out"
if [ "$grc" -ne 0 ] || [ "$drc" -ne 0 ]; then
	echo "selftest: guest exit $grc, daemon exit $drc" >&2
	cat "$dir/guest.err" "$dir/daemon.err" >&2
	exit 1
fi
grep -q "^\[d$domid\] selftest: done$" "$dir/daemon.out" || {
	echo "selftest: debugcon output missing" >&2
	cat "$dir/daemon.out" >&2
	exit 1
}
exit 0
