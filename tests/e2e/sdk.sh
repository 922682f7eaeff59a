#!/bin/sh
# SPDX-License-Identifier: MIT
# The hook SDK, as a third party sees it: `make install` into a staging
# directory, build examples/hello with nothing but the installed
# ioreqd-hook.pc, check that the plugin exports exactly ioreqd_hook, load it
# with the real daemon (--check-config), and check that a hook built for
# another ABI is refused with the fix in the message.
set -u
. "$srcdir/tests/e2e/lib.sh"

# In an --enable-asan build the installed SDK archive is instrumented, and an
# out-of-tree hook built with a plain compiler cannot link it: the SDK is what
# a normal build ships, so it is tested there (exit 77 = skipped).
if e2e_sanitizer_build; then
	echo "sdk: skipped in a sanitizer build (the shipped SDK is tested in the normal build)"
	exit 77
fi

e2e_tmpdir
fail() {
	echo "sdk: $*" >&2
	for f in "$tmp"/*.log; do
		[ -s "$f" ] && { echo "--- $f" >&2; tail -n 30 "$f" >&2; }
	done
	exit 1
}
command -v pkg-config >/dev/null 2>&1 || { echo "sdk: no pkg-config, skipped"; exit 77; }
command -v nm >/dev/null 2>&1 || { echo "sdk: no nm, skipped"; exit 77; }

# A private install: the parent make's jobserver is not ours to use.
stage=$tmp/stage
(unset MAKEFLAGS MFLAGS MAKELEVEL; ${MAKE:-make} -C "$builddir" install DESTDIR="$stage") \
	>"$tmp/install.log" 2>&1 || fail "make install DESTDIR=$stage failed"
pc=$(find "$stage" -name ioreqd-hook.pc | head -n 1)
[ -n "$pc" ] || fail "ioreqd-hook.pc was not installed"
for h in fault.h hook.h vcpu.h; do
	[ -n "$(find "$stage" -path "*/include/ioreqd/$h")" ] || fail "ioreqd/$h was not installed"
done
[ -n "$(find "$stage" -name libioreqd-hook.a)" ] || fail "libioreqd-hook.a was not installed"

# PKG_CONFIG_SYSROOT_DIR maps the .pc's real paths into the staging tree.
PKG_CONFIG_PATH=$(dirname "$pc")
PKG_CONFIG_SYSROOT_DIR=$stage
PKG_CONFIG_LIBDIR=$PKG_CONFIG_PATH
export PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR PKG_CONFIG_LIBDIR
abi=$(pkg-config --variable=abi ioreqd-hook) || fail "pkg-config cannot read $pc"
want=$(sed -n 's/^#define IOREQD_HOOK_ABI \([0-9]*\).*/\1/p' "$srcdir/include/ioreqd/hook.h")
[ "$abi" = "$want" ] || fail "abi=$abi in the .pc, hook.h says $want"
pkg-config --variable=hookdir ioreqd-hook | grep -q '/ioreqd$' || fail "no hookdir in the .pc"

# The example, built where a user would build it (srcdir may be read-only).
cp "$srcdir/examples/hello/hello.c" "$srcdir/examples/hello/Makefile" \
	"$srcdir/examples/hello/hello.conf" "$srcdir/examples/hello/hello.script" "$tmp/" ||
	fail "cannot copy the example"
(unset MAKEFLAGS MFLAGS MAKELEVEL; ${MAKE:-make} -C "$tmp" CFLAGS="-O2 -Wall -Wextra -Werror") \
	>"$tmp/build.log" 2>&1 || fail "the example does not build with pkg-config"
exports=$(nm -D --defined-only "$tmp/hello.so" | awk '{print $NF}' | sort | tr '\n' ' ')
[ "$exports" = "ioreqd_hook " ] || fail "hello.so exports '$exports', not just ioreqd_hook"
nm -D --undefined-only "$tmp/hello.so" | grep -q 'ioreqd_' &&
	fail "hello.so needs daemon symbols: $(nm -D --undefined-only "$tmp/hello.so" | grep ioreqd_)"

mkdir "$tmp/hooks" && cp "$tmp/hello.so" "$tmp/hooks/" || fail "cannot stage the hook"
"$IOREQD" --check-config -c "$tmp/hello.conf" --hook-dir "$tmp/hooks" >"$tmp/check.log" 2>&1 ||
	fail "the daemon does not load the example"
grep -q 'configuration OK: 1 device' "$tmp/check.log" || fail "unexpected --check-config output"

# And it serves a guest, as ioreqd-hook(7) shows: the daemon first (it waits
# for the simulated hypervisor), then the guest running the example's script.
sock=$tmp/sim.sock
"$IOREQD" -f -d 12 -c "$tmp/hello.conf" --backend sim --sim-socket "$sock" \
	--hook-dir "$tmp/hooks" >"$tmp/daemon.log" 2>&1 &
daemon=$!
"$SIMGUEST" --socket "$sock" --domid 12 --timeout 20 --script "$tmp/hello.script" \
	>"$tmp/guest.log" 2>&1 || { kill "$daemon" 2>/dev/null; fail "the guest saw failures"; }
wait "$daemon" || fail "the daemon serving hello.so failed"
grep -q 'hello: v0 wrote 0x21 (1 bytes) at offset 0x1' "$tmp/daemon.log" ||
	fail "hello.so did not log the write"

# A hook built for another ABI is refused, naming the file and the fix.
sed 's/\.abi = IOREQD_HOOK_ABI,/.abi = IOREQD_HOOK_ABI + 1,/' "$tmp/hello.c" >"$tmp/bad.c"
grep -q 'IOREQD_HOOK_ABI + 1' "$tmp/bad.c" || fail "cannot make the mismatched hook"
mkdir "$tmp/bad" && cp "$tmp/bad.c" "$tmp/bad/hello.c" && cp "$tmp/Makefile" "$tmp/bad/" ||
	fail "cannot stage the mismatched hook"
(unset MAKEFLAGS MFLAGS MAKELEVEL; ${MAKE:-make} -C "$tmp/bad") >"$tmp/bad-build.log" 2>&1 ||
	fail "the mismatched hook does not build"
"$IOREQD" --check-config -c "$tmp/hello.conf" --hook-dir "$tmp/bad" >"$tmp/bad.log" 2>&1
rc=$?
[ "$rc" -eq 78 ] || fail "a mismatched hook: exit $rc, expected 78"
grep -q "ABI $((want + 1)).*rebuild" "$tmp/bad.log" || fail "the refusal does not say why"

# The usual case after an ABI bump: a hook built against the SDK before it
# (ABI 1 lacked the device-state callbacks) is refused the same way.
[ "$want" -ge 2 ] || fail "hook.h says ABI $want; this case expects 2 or later"
sed 's/\.abi = IOREQD_HOOK_ABI,/.abi = 1,/' "$tmp/hello.c" >"$tmp/bad/hello.c" ||
	fail "cannot make the old-ABI hook"
(unset MAKEFLAGS MFLAGS MAKELEVEL; ${MAKE:-make} -C "$tmp/bad" -B) >"$tmp/old-build.log" 2>&1 ||
	fail "the old-ABI hook does not build"
"$IOREQD" --check-config -c "$tmp/hello.conf" --hook-dir "$tmp/bad" >"$tmp/old.log" 2>&1
rc=$?
[ "$rc" -eq 78 ] || fail "an ABI 1 hook: exit $rc, expected 78"
grep -q "built for hook ABI 1, this ioreqd speaks ABI $want: rebuild" "$tmp/old.log" ||
	fail "the refusal of an ABI 1 hook does not say why"
exit 0
