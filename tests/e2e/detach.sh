#!/bin/sh
# SPDX-License-Identifier: MIT
# Without -f, ioreqd detaches, and the process that started it must still
# learn how start-up went (systemd's Type=forking and toolstack scripts rely
# on it): a start-up that fails prints its error on the starter's stderr and
# exits with the documented status (1 run-time, 64 usage, 78 configuration);
# a start-up that succeeds exits 0 only once the daemon serves: its pidfile
# names a live process and its control socket answers at that moment.
set -u
. "$srcdir/tests/e2e/lib.sh"

e2e_tmpdir
sock=$tmp/sim.sock
domid=13
# A failed check shows every output the test captured.
bad() {
	echo "FAIL - $1"
	e2e_show_outputs
	fail=$((fail + 1))
}

cat >"$tmp/good.conf" <<'CONF'
[device ram]
hook = scratch
mmio = 0xfe000000+0x1000
CONF
printf '[device ram]\nhook = scratch\nmmio = 0xfe000000+0x1000\nbogus = 1\n' \
	>"$tmp/bad.conf"

# ---- failures: no -f, so only the waiting parent can report them ------------
"$IOREQD" -d "$domid" -c "$tmp/good.conf" --backend sim --sim-socket "$tmp/nobody.sock" \
	--sim-wait 0 --hook-dir "$HOOKDIR" 2>"$tmp/fail.err"
st=$?
if [ "$st" -eq 1 ] && grep -q "error: .*no simulated hypervisor on $tmp/nobody.sock" \
	"$tmp/fail.err"; then
	ok "no hypervisor, detached: exit 1 and the error on stderr"
else
	bad "no hypervisor, detached (exit $st)"
fi

"$IOREQD" -d "$domid" -c "$tmp/bad.conf" --backend sim --sim-socket "$tmp/nobody.sock" \
	--hook-dir "$HOOKDIR" 2>"$tmp/config.err"
st=$?
if [ "$st" -eq 78 ] && grep -q "bad.conf:4: .*unknown key 'bogus'" "$tmp/config.err"; then
	ok "bad configuration, detached: exit 78 and the file:line on stderr"
else
	bad "bad configuration, detached (exit $st)"
fi

"$IOREQD" -d "$domid" -c "$tmp/good.conf" --backend sim --log nowhere 2>"$tmp/usage.err"
st=$?
if [ "$st" -eq 64 ] && grep -q -- "--log takes" "$tmp/usage.err"; then
	ok "bad usage: exit 64 and the reason on stderr"
else
	bad "bad usage (exit $st)"
fi
rm -f "$tmp"/*.err

# ---- success: exit 0 only once serving -----------------------------------------
cat >"$tmp/guest.script" <<'SCRIPT'
mmio write 0xfe000000 4 0x600d
mmio read 0xfe000000 4 expect 0x600d
sleep 60s
SCRIPT
"$SIMGUEST" --socket "$sock" --domid "$domid" --timeout 70 --script "$tmp/guest.script" \
	>"$tmp/guest.out" 2>"$tmp/guest.err" &
guest=$!
if ! e2e_wait_for "$sock" 100; then
	bad "the guest never created $sock"
	kill "$guest" 2>/dev/null
	exit 1
fi
"$IOREQD" -d "$domid" -c "$tmp/good.conf" --backend sim --sim-socket "$sock" \
	--hook-dir "$HOOKDIR" --pidfile "$tmp/ioreqd.pid" 2>"$tmp/start.err"
st=$?
# The parent has exited: the daemon must be serving already, not about to.
pid=$(cat "$tmp/ioreqd.pid" 2>/dev/null)
if [ "$st" -eq 0 ] && [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null &&
	"$IOREQD" --stats --control "$sock.ctl" >"$tmp/stats.out" 2>&1 &&
	grep -q "ioreqd statistics, domain $domid" "$tmp/stats.out"; then
	ok "detached start: exit 0 once serving (pidfile written, statistics answer)"
else
	bad "detached start (exit $st, pid '${pid:-}')"
fi
if [ ! -s "$tmp/start.err" ]; then
	ok "detached start: nothing on stderr"
else
	bad "detached start printed on stderr"
fi

# The guest goes away: the daemon stops by itself and removes its files.
kill "$guest" 2>/dev/null
{ wait "$guest"; } 2>/dev/null
if [ -n "$pid" ] && e2e_wait_gone "$pid" 100 && [ ! -e "$tmp/ioreqd.pid" ] &&
	[ ! -e "$sock.ctl" ]; then
	ok "detached daemon: stops when the domain goes, pidfile and socket removed"
else
	bad "detached daemon did not stop cleanly"
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
fi

echo "detach: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
