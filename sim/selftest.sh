#!/bin/sh
# SPDX-License-Identifier: MIT
# End to end on the simulated hypervisor, across processes: ioreqd-simguest
# plays a 4-vCPU guest running sim/selftest.script, ioreqd serves it with
# sim/selftest.conf.  Passes if every check passed and the daemon exited
# cleanly when the guest destroyed the domain.
set -u
. "$srcdir/tests/e2e/lib.sh"

# Not e2e_tmpdir: its EXIT trap is set in the $(...) subshell and fires at once.
dir=$(mktemp -d "${TMPDIR:-/tmp}/ioreqd-sim.XXXXXX") || exit 1
trap 'rm -rf "$dir"' EXIT
sock=$dir/sim.sock
domid=9

"$SIMGUEST" --socket "$sock" --domid "$domid" --vcpus 4 --buffered --timeout 20 \
	--script "$srcdir/sim/selftest.script" >"$dir/guest.out" 2>"$dir/guest.err" &
guest=$!
if ! e2e_wait_for "$sock" 100; then
	echo "selftest: the guest never created $sock" >&2
	cat "$dir/guest.err" >&2
	kill "$guest" 2>/dev/null
	exit 1
fi
$IOREQD_WRAP "$IOREQD" -d "$domid" -c "$srcdir/sim/selftest.conf" --backend sim \
	--sim-socket "$sock" --hook-dir "$HOOKDIR" -f >"$dir/daemon.out" 2>"$dir/daemon.err" &
daemon=$!

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
