#!/bin/sh
# SPDX-License-Identifier: MIT
# Run the end-to-end tests on the simulated hypervisor with the daemon under
# valgrind: any memory error, and any definite leak, makes valgrind exit 99
# and the test fail.  The e2e scripts start the daemon through $IOREQD_WRAP
# (tests/e2e/lib.sh), so this covers the daemon's start-up, its request path
# against an honest and a hostile guest, every fault-injection path (start-up
# failures included: their clean-up must not leak either) and its teardown.
#
# Usage, from a build directory (not an --enable-asan one: ASan and valgrind
# do not mix):  sh SRCDIR/tests/valgrind.sh [TEST...]
# The default tests are sim/selftest.sh, tests/e2e/hostile-guest.sh (with a
# smaller flood: valgrind is ~50x slower), tests/e2e/fault-injection.sh, the
# device-state round trip and the virtio ones (rings in guest RAM, io_uring
# completions, MSI-X and INTx, console input).
set -u

srcdir=${srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
builddir=${builddir:-$(pwd)}
export srcdir builddir

if ! command -v valgrind >/dev/null 2>&1; then
	echo "valgrind: not installed (apt-get install valgrind)" >&2
	exit 77
fi
if [ ! -x "$builddir/daemon/ioreqd" ]; then
	echo "valgrind: no $builddir/daemon/ioreqd: run make (and make check) first" >&2
	exit 1
fi

vglog=$builddir/valgrind-logs
mkdir -p "$vglog"
rm -f "$vglog"/*.log
IOREQD_WRAP="valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite --track-fds=no --log-file=$vglog/ioreqd.%p.log"
HOSTILE_FLOOD=${HOSTILE_FLOOD:-2000}
export IOREQD_WRAP HOSTILE_FLOOD

[ $# -gt 0 ] || set -- sim/selftest.sh tests/e2e/hostile-guest.sh tests/e2e/fault-injection.sh \
	tests/e2e/devstate.sh tests/e2e/virtio-demo.sh tests/e2e/virtio-blk.sh \
	tests/e2e/virtio-pci.sh tests/e2e/virtio-console-input.sh tests/e2e/virtio-stats.sh
pass=0
fail=0
for t in "$@"; do
	echo "valgrind: $t"
	if sh "$srcdir/$t" >"$vglog/$(basename "$t").out" 2>&1; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "valgrind: $t FAILED:"
		tail -n 30 "$vglog/$(basename "$t").out"
	fi
done
# Reports that did not fail a test (e.g. a daemon expected to exit non-zero).
for f in "$vglog"/ioreqd.*.log; do
	[ -s "$f" ] || continue
	echo "valgrind: report in $f:"
	head -n 40 "$f"
	fail=$((fail + 1))
done
echo "valgrind: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
