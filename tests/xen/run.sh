#!/bin/bash
# SPDX-License-Identifier: MIT
# make check-xen: prove ioreqd under real Xen.  Boots Debian's Xen 4.17 in
# QEMU (TCG, no KVM needed) with a dom0 initramfs holding the freshly built
# ioreqd and its hooks, and runs test guests whose port I/O and MMIO ioreqd
# serves (see README.md).  Everything the guest side needs comes from Debian
# packages, cached between runs.  Exit status 0 means every case passed.
set -euo pipefail

XT=$(cd "$(dirname "$0")" && pwd)

usage() {
	cat <<USAGE
usage: $0 [--arch x86_64|arm64] --build DIR [--src DIR] [--cache DIR] [--work DIR]

  --arch   which run (default x86_64)
  --build  the ioreqd build directory (has daemon/ioreqd, hooks/.libs/*.so)
  --src    the ioreqd source directory (default: two levels above this script)
  --cache  downloaded .debs and built artefacts, kept between runs
           (default \$XEN_TEST_CACHE or BUILD/tests/xen/cache)
  --work   scratch files and the serial log, redone every run
           (default \$XEN_TEST_WORK or BUILD/tests/xen/work)
Variables are described in tests/xen/README.md.
USAGE
	exit 64
}

ARCH=x86_64
BUILD=""
SRC=""
CACHE=${XEN_TEST_CACHE:-}
WORK=${XEN_TEST_WORK:-}
while [ $# -gt 0 ]; do
	case $1 in
	--arch) ARCH=${2:?}; shift ;;
	--build) BUILD=${2:?}; shift ;;
	--src) SRC=${2:?}; shift ;;
	--cache) CACHE=${2:?}; shift ;;
	--work) WORK=${2:?}; shift ;;
	-h | --help) usage ;;
	*) echo "$0: unknown argument '$1'" >&2; usage ;;
	esac
	shift
done
[ -n "$BUILD" ] || usage
case $ARCH in x86_64 | arm64) ;; *) usage ;; esac
BUILD=$(cd "$BUILD" && pwd)
SRC=$(cd "${SRC:-$XT/../..}" && pwd)
CACHE=${CACHE:-$BUILD/tests/xen/cache}
WORK=${WORK:-$BUILD/tests/xen/work}/$ARCH
XEN_TEST_TIMEOUT=${XEN_TEST_TIMEOUT:-1800}
mkdir -p "$CACHE" "$WORK"
CACHE=$(cd "$CACHE" && pwd)
SERIAL=$WORK/serial.log

. "$XT/lib/common.sh"
. "$XT/lib/debs.sh"
. "$XT/lib/rootfs.sh"
# shellcheck source=lib/x86_64.sh
. "$XT/lib/$ARCH.sh"
DEBS=$CACHE/debs/$DEB_ARCH

CASES=${XEN_TEST_CASES:-$(arch_default_cases)}
# The xl launch cases are in x86_64's default list; XEN_TEST_XL_LAUNCH=0 drops
# it (e.g. to bisect), and =1 adds it to an explicit XEN_TEST_CASES.
case ${XEN_TEST_XL_LAUNCH:-} in
0) CASES=$(echo "$CASES" | tr ' ' '\n' | grep -vxE 'xl|xlrestrict|xlsave' | tr '\n' ' ' | sed 's/ $//') ;;
1) case " $CASES " in *" xl "*) ;; *) CASES="$CASES xl" ;; esac ;;
esac
say "xen test ($ARCH): cases '$CASES'; build $BUILD; cache $CACHE; work $WORK"

stage "host tools"
arch_tools
dom0_base # stages "download .debs" and "dom0 base initramfs"

arch_ioreqd # sets IOREQD_BUILD: BUILD itself, or a cross build

# The overlay: everything that changes from run to run.
stage "dom0 overlay (ioreqd, hooks, guests)"
O=$WORK/overlay
rm -rf "$O"
mkdir -p "$O/etc/xentest" "$O/etc/ioreqd"
install -m 755 "$XT/dom0/init" "$O/init"
install -m 755 "${XEN_TEST_DOM0_SCRIPT:-$XT/dom0/xentest.sh}" "$O/etc/xentest/xentest.sh"
cat >"$O/etc/xentest/env" <<ENV
CASES="$CASES"
TESTDEV=${XEN_TEST_TESTDEV:-1}
BENCH=${XEN_TEST_BENCH:-2000}
IOREQD_ARGS="${XEN_TEST_IOREQD_ARGS:--v}"
LINUX_TIMEOUT=${XEN_TEST_LINUX_TIMEOUT:-300}
VPCI_TIMEOUT=${XEN_TEST_VPCI_TIMEOUT:-900}
BENCH_TIMEOUT=${XEN_TEST_BENCH_TIMEOUT:-900}
BENCH_ROUNDS=${XEN_TEST_BENCH_ROUNDS:-5}
BENCH_MS=${XEN_TEST_BENCH_MS:-3000}
BENCH_READS=${XEN_TEST_BENCH_READS:-1000}
BENCH_POLL_US=${XEN_TEST_BENCH_POLL_US:-200}
ENV
[ "${XEN_TEST_INTERACTIVE:-0}" = 1 ] && touch "$O/etc/xentest/interactive"
# --user nobody in the hardened cases, and libxl's dm_restrict user (it
# refuses to start without one); dom0's root has no passwd otherwise.
mkdir -p "$O/var/empty"
printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' 'nobody:x:65534:65534:nobody:/nonexistent:/bin/false' \
	'xen-qemuuser-shared:x:993:993::/nonexistent:/bin/false' >"$O/etc/passwd"
printf '%s\n' 'root:x:0:' 'nogroup:x:65534:' 'xen-qemuuser-shared:x:993:' >"$O/etc/group"
arch_conf "$O/etc/ioreqd/xentest.conf"
install_ioreqd "$IOREQD_BUILD" "$O"
# shellcheck disable=SC2046 # a word list
check_needed "$BASE" "$O/usr/sbin/ioreqd" $(ls "$O"/usr/lib/ioreqd/*.so)
arch_guests "$O"
[ -n "${XEN_TEST_OVERLAY:-}" ] && cp -a "$XEN_TEST_OVERLAY/." "$O/"
make_cpio "$O" "$WORK/overlay.cpio"
say "overlay $(du -sh "$WORK/overlay.cpio" | cut -f1)"

stage "boot Xen and dom0"
arch_boot
if [ "${XEN_TEST_INTERACTIVE:-0}" = 1 ]; then
	say "interactive run ended (QEMU status $QEMU_RC)"
	exit 0
fi

stage ""
# dom0's own lines (not Xen's, not the kernel's) tell the story.
dom0_lines() { tr -d '\r' <"$SERIAL" | grep -E '^(XENTEST:|  [a-z0-9]+\| )' || true; }
dom0_lines
print_timings
ratio=$(dom0_lines | sed -n 's/^XENTEST: pvh bench: round-trip ratio //p' | tail -n 1)
[ -n "$ratio" ] && say "round trip through ioreqd vs Xen's null handler: ${ratio}x"
# make bench-xen: the table once more, last, where it is easy to find.
if dom0_lines | grep -q '^  bench| '; then
	say "bench: ioreqd next to QEMU in one HVM guest (tests/xen/README.md, make bench-xen):"
	dom0_lines | sed -n 's/^  bench| /  /p'
fi
# One closing line, "xentest: N passed, M failed", counting cases; a case
# that never reported (QEMU died, dom0 hung) counts as failed.
npass=$(grep -ac '^XENTEST: case [a-z0-9]*: PASS' "$SERIAL" || true)
ncases=$(echo "$CASES" | wc -w)
if arch_qemu_ok && grep -qa '^XENTEST: RESULT PASS' "$SERIAL"; then
	say "PASS ($ARCH); serial log: $SERIAL"
	echo "xentest: $npass passed, $((ncases - npass)) failed"
	exit 0
fi
show_serial "$SERIAL"
say "FAIL ($ARCH): QEMU status $QEMU_RC; serial log: $SERIAL"
[ "$npass" -lt "$ncases" ] || npass=$((ncases - 1))
echo "xentest: $npass passed, $((ncases - npass)) failed"
exit 1
