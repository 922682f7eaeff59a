#!/bin/sh
# SPDX-License-Identifier: MIT
# End to end: with no --sim-socket / --socket, the daemon and
# ioreqd-simguest meet in the private runtime directory
# ($XDG_RUNTIME_DIR/ioreqd for a user, created 0700), never at a predictable
# path in /tmp; and both refuse a runtime directory that another user could
# write.  Run as root, the test plays an unprivileged user with setpriv(1)
# (root's directory is /run/ioreqd, not the test's to create).
set -u
. "${srcdir:-.}/tests/e2e/lib.sh"

e2e_tmpdir
as_user=
if [ "$(id -u)" -eq 0 ]; then
	if ! command -v setpriv >/dev/null 2>&1; then
		echo "sim-rundir: root without setpriv(1): skipped"
		exit 77
	fi
	as_user="setpriv --reuid=nobody --regid=nogroup --clear-groups"
fi
xdg=$tmp/xdg
mkdir -m 0700 "$xdg"
chmod 0755 "$tmp"
[ -z "$as_user" ] || chown nobody:nogroup "$xdg"
cat >"$tmp/rd.conf" <<'C'
[device s]
hook = scratch
mmio = 0xfe000000+0x1000
C
printf 'mmio write 0xfe000010 4 0x1234\nmmio read 0xfe000010 4 expect 0x1234\n' \
	>"$tmp/rd.script"
chmod 0644 "$tmp/rd.conf" "$tmp/rd.script"

# 1. Both default to $XDG_RUNTIME_DIR/ioreqd/sim-DOMID.sock and meet there.
XDG_RUNTIME_DIR=$xdg $as_user "$SIMGUEST" --domid 5 --timeout 20 --script "$tmp/rd.script" \
	>"$tmp/guest.out" 2>&1 &
guest=$!
e2e_wait_for "$xdg/ioreqd/sim-5.sock" 100
XDG_RUNTIME_DIR=$xdg $as_user $IOREQD_WRAP "$IOREQD" -f -v -d 5 -c "$tmp/rd.conf" \
	--backend sim --hook-dir "$HOOKDIR" >"$tmp/daemon.out" 2>&1 &
daemon=$!
wait "$guest"
grc=$?
wait "$daemon"
drc=$?
ctl=no
grep -q "statistics on $xdg/ioreqd/sim-5.sock.ctl" "$tmp/daemon.out" && ctl=yes
mode=$(stat -c %a "$xdg/ioreqd" 2>/dev/null)
if [ "$grc" -eq 0 ] && [ "$drc" -eq 0 ] && [ "$mode" = 700 ] && [ "$ctl" = yes ]; then
	ok "defaults_meet_in_the_private_runtime_dir"
else
	bad "defaults_meet_in_the_private_runtime_dir: guest $grc, daemon $drc, dir mode '$mode', control socket $ctl" \
		"$tmp/guest.out" "$tmp/daemon.out"
fi

# 2. A runtime directory another user could write is refused by both.
chmod 0777 "$xdg/ioreqd"
XDG_RUNTIME_DIR=$xdg $as_user "$IOREQD" -f -d 5 -c "$tmp/rd.conf" --backend sim \
	--hook-dir "$HOOKDIR" >"$tmp/refuse.out" 2>&1
drc=$?
XDG_RUNTIME_DIR=$xdg $as_user "$SIMGUEST" --domid 5 --timeout 1 --script "$tmp/rd.script" \
	>"$tmp/refuse-guest.out" 2>&1
grc=$?
if [ "$drc" -ne 0 ] && grep -q "writable by nobody else" "$tmp/refuse.out" &&
	[ "$grc" -ne 0 ] && grep -q "writable by nobody else" "$tmp/refuse-guest.out" &&
	[ ! -e "$xdg/ioreqd/sim-5.sock" ]; then
	ok "shared_runtime_dir_is_refused"
else
	bad "shared_runtime_dir_is_refused: daemon $drc, guest $grc" "$tmp/refuse.out" \
		"$tmp/refuse-guest.out"
fi

# 3. No XDG_RUNTIME_DIR for a user: an error naming the way out, not /tmp.
if [ -n "$as_user" ] || [ "$(id -u)" -ne 0 ]; then
	env -u XDG_RUNTIME_DIR $as_user "$IOREQD" -f -d 5 -c "$tmp/rd.conf" --backend sim \
		--hook-dir "$HOOKDIR" >"$tmp/noxdg.out" 2>&1
	drc=$?
	if [ "$drc" -ne 0 ] && grep -q "XDG_RUNTIME_DIR is not set" "$tmp/noxdg.out"; then
		ok "no_runtime_dir_is_an_error"
	else
		bad "no_runtime_dir_is_an_error: daemon $drc" "$tmp/noxdg.out"
	fi
fi

echo "sim-rundir: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
