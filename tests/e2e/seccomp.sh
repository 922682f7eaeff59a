#!/bin/sh
# SPDX-License-Identifier: MIT
# --seccomp: the sim end-to-end suites pass with the strictest filter
# (--seccomp=kill: a system call off the allow-list would kill the daemon),
# and a hook that makes a forbidden call (tests/hooks/faulty.c open_file)
# gets EPERM under --seccomp=errno and kills the daemon with SIGSYS under
# --seccomp=kill, as ioreqd(8) and SECURITY.md say.  Skipped in builds
# without libseccomp and under valgrind (which wraps the daemon itself).
set -u
. "$srcdir/tests/e2e/lib.sh"

if [ -n "$IOREQD_WRAP" ]; then
	echo "seccomp: the daemon is already wrapped ($IOREQD_WRAP); skipped"
	exit 77
fi
# LeakSanitizer stops the process with clone and ptrace at exit, which the
# filter refuses (or kills): sanitizer builds cannot run under --seccomp.
if e2e_sanitizer_build; then
	echo "seccomp: a sanitizer build; skipped"
	exit 77
fi
if ! grep -q '^#define HAVE_SECCOMP 1' "$builddir/build-config.h" 2>/dev/null; then
	echo "seccomp: built without libseccomp; skipped"
	exit 77
fi
e2e_tmpdir
sock=$tmp/sim.sock
domid=16
# A failed check shows every output the test captured.
bad() {
	echo "FAIL - $1"
	e2e_show_outputs 40
	fail=$((fail + 1))
}

# ---- the end-to-end suites, every daemon under --seccomp=kill ------------------
for t in sim/selftest.sh tests/e2e/sigterm-load.sh tests/e2e/stats.sh \
	tests/e2e/uart-console.sh tests/e2e/fault-injection.sh tests/e2e/hostile-guest.sh \
	tests/e2e/devstate.sh tests/e2e/devstate-virtio.sh; do
	if IOREQD_WRAP="sh $srcdir/tests/e2e/seccomp-wrap.sh" sh "$srcdir/$t" \
		>"$tmp/suite.out" 2>&1; then
		ok "$t with --seccomp=kill"
	else
		bad "$t with --seccomp=kill"
	fi
	rm -f "$tmp/suite.out"
done

# ---- a hook making a forbidden call -------------------------------------------
mkdir "$tmp/hooks"
ln -s "$(cd "$builddir/tests/hooks/.libs" && pwd)/faulty.so" "$tmp/hooks/faulty.so"
cat >"$tmp/open.conf" <<'CONF'
[device opener]
hook = faulty
mmio = 0xfe000000+0x1000
open_file = yes
CONF

# run MODE EXPECT: the guest reads the hook's errno; sets gst and dst.
run() {
	rm -f "$sock"
	printf 'mmio read 0xfe000000 4 expect %s\n' "$2" >"$tmp/open.script"
	"$SIMGUEST" --socket "$sock" --domid "$domid" --timeout 10 \
		--script "$tmp/open.script" >"$tmp/guest.out" 2>&1 &
	guest=$!
	e2e_wait_for "$sock" 100
	"$IOREQD" -f -d "$domid" -c "$tmp/open.conf" --backend sim --sim-socket "$sock" \
		--hook-dir "$tmp/hooks" $1 2>"$tmp/daemon.err" &
	daemon=$!
	{ wait "$daemon"; } 2>/dev/null
	dst=$?
	[ "$dst" -eq 0 ] || kill "$guest" 2>/dev/null
	wait "$guest"
	gst=$?
}

run "" 0
if [ "$gst" -eq 0 ] && [ "$dst" -eq 0 ]; then
	ok "without --seccomp the hook's open works"
else
	bad "without --seccomp (guest exit $gst, daemon exit $dst)"
fi
run "--seccomp" 1
if [ "$gst" -eq 0 ] && [ "$dst" -eq 0 ]; then
	ok "--seccomp (errno): the hook's open fails with EPERM, the daemon serves on"
else
	bad "--seccomp=errno (guest exit $gst, daemon exit $dst)"
fi
run "--seccomp=kill" 1
# 128 + SIGSYS (31)
if [ "$dst" -eq 159 ]; then
	ok "--seccomp=kill: the forbidden call kills the daemon (SIGSYS)"
else
	bad "--seccomp=kill (daemon exit $dst, expected 159)"
fi

echo "seccomp: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
