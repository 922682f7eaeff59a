#!/bin/sh
# SPDX-License-Identifier: MIT
# The pidfile and the control socket are removed however the daemon ends,
# even when it can no longer reach them itself: chrooted and running as
# nobody (--chroot, --user), after a clean stop by the domain's end, after
# SIGTERM, and after SIGKILL.  Needs root for the privilege drop; skipped
# otherwise.
set -u
. "$srcdir/tests/e2e/lib.sh"

if [ "$(id -u)" -ne 0 ] || ! id nobody >/dev/null 2>&1; then
	echo "runfiles: needs root and a 'nobody' user; skipped"
	exit 77
fi
# LeakSanitizer reads /proc at exit, which the empty chroot does not have:
# in sanitizer builds this test checks files, not leaks.
if e2e_sanitizer_build; then
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
	export ASAN_OPTIONS
fi
e2e_tmpdir
sock=$tmp/sim.sock
domid=15
# A failed check shows every output the test captured.
bad() {
	echo "FAIL - $1"
	e2e_show_outputs
	fail=$((fail + 1))
}

mkdir "$tmp/empty"
cat >"$tmp/ram.conf" <<'CONF'
[device ram]
hook = scratch
mmio = 0xfe000000+0x1000
CONF
cat >"$tmp/guest.script" <<'SCRIPT'
expect-key state running
mmio write 0xfe000000 4 0x600d
mmio read 0xfe000000 4 expect 0x600d
print files-ready
sleep 60s
SCRIPT

# start: the guest, then the daemon (in the foreground, our child) confined.
start() {
	rm -f "$sock" "$tmp"/*.out "$tmp"/*.err
	"$SIMGUEST" --socket "$sock" --domid "$domid" --timeout 70 \
		--script "$tmp/guest.script" >"$tmp/guest.out" 2>"$tmp/guest.err" &
	guest=$!
	e2e_wait_for "$sock" 100 || { bad "the guest never created $sock"; return 1; }
	$IOREQD_WRAP "$IOREQD" -f -d "$domid" -c "$tmp/ram.conf" --backend sim \
		--sim-socket "$sock" --hook-dir "$HOOKDIR" --pidfile "$tmp/ioreqd.pid" \
		--chroot "$tmp/empty" --user nobody 2>"$tmp/daemon.err" &
	daemon=$!
	# Serving (and confined) once the guest's accesses have been answered.
	n=0
	while ! grep -q "^ok 2 " "$tmp/guest.out" 2>/dev/null && [ "$n" -lt 200 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	[ -e "$tmp/ioreqd.pid" ] && [ -S "$sock.ctl" ] ||
		{ bad "no pidfile or control socket while serving"; return 1; }
}

# gone WHAT: both files removed within 10 s of the daemon's end.
gone() {
	n=0
	while { [ -e "$tmp/ioreqd.pid" ] || [ -e "$sock.ctl" ]; } && [ "$n" -lt 100 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	if [ ! -e "$tmp/ioreqd.pid" ] && [ ! -e "$sock.ctl" ]; then
		ok "$1: pidfile and control socket removed"
	else
		bad "$1: left behind: $(ls "$tmp/ioreqd.pid" "$sock.ctl" 2>/dev/null)"
	fi
}

# 1. the domain goes away: a clean stop; the files are gone when it has exited
if start; then
	kill "$guest"
	wait "$daemon"
	st=$?
	if [ "$st" -eq 0 ] && [ ! -e "$tmp/ioreqd.pid" ] && [ ! -e "$sock.ctl" ]; then
		ok "chroot + nobody, domain gone: exit 0, files removed before exit"
	else
		bad "chroot + nobody, domain gone (exit $st)"
	fi
fi
{ wait "$guest"; } 2>/dev/null

# 2. SIGTERM
if start; then
	kill -TERM "$daemon"
	wait "$daemon"
	st=$?
	[ "$st" -eq 0 ] || bad "chroot + nobody, SIGTERM: exit $st"
	gone "chroot + nobody, SIGTERM"
fi
kill "$guest" 2>/dev/null
{ wait "$guest"; } 2>/dev/null

# 3. SIGKILL: the daemon cannot clean up; its helper does.
if start; then
	kill -KILL "$daemon"
	{ wait "$daemon"; } 2>/dev/null
	gone "chroot + nobody, SIGKILL"
fi
kill "$guest" 2>/dev/null
{ wait "$guest"; } 2>/dev/null

echo "runfiles: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
