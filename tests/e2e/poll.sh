#!/bin/sh
# SPDX-License-Identifier: MIT
# The adaptive poll (poll_us), end to end on the sim backend: two vCPUs make
# back-to-back writes and read-backs that each check their answer while the
# daemon polls; the poll must have run and every notification it overtook
# must be accounted for (nothing spurious).  Then, while the guest is idle,
# the poll counters in `ioreqd --stats --json` must not move: an idle daemon
# does not spin.  Counters, not CPU time, so a loaded machine cannot fail it.
# Last, bad values of --poll-us and poll_us are refused with clear messages.
set -u
. "$srcdir/tests/e2e/lib.sh"

e2e_tmpdir
sock=$tmp/sim.sock
domid=13

cat >"$tmp/poll.conf" <<'CONF'
[global]
log_level = warn
poll_us = 200

[device con]
hook = debugcon
pio = 0xe9
file = -

[device regs]
hook = scratch
mmio = 0xfeb00000+0x1000
CONF

cat >"$tmp/poll.script" <<'SCRIPT'
expect-key state running
parallel 2 repeat 5000
mmio write 0xfeb00000+$vcpu*0x100 4 $i*3
mmio read 0xfeb00000+$vcpu*0x100 4 expect $i*3
end
print accesses-done
sleep 30s
SCRIPT

"$SIMGUEST" --socket "$sock" --domid "$domid" --vcpus 2 --timeout 40 -q \
	--script "$tmp/poll.script" >"$tmp/guest.out" 2>"$tmp/guest.err" &
guest=$!
e2e_wait_for "$sock" 100 || fail "the guest never created $sock"
$IOREQD_WRAP "$IOREQD" -d "$domid" -c "$tmp/poll.conf" --backend sim --sim-socket "$sock" \
	--hook-dir "$HOOKDIR" -f >"$tmp/daemon.out" 2>"$tmp/daemon.err" &
daemon=$!

n=0
until grep -q 'accesses-done' "$tmp/daemon.out" 2>/dev/null; do
	n=$((n + 1))
	[ "$n" -lt 600 ] || fail "the guest never finished its accesses"
	kill -0 "$guest" 2>/dev/null || fail "the guest stopped before finishing"
	sleep 0.1
done

query() {
	"$IOREQD" --stats --json -d "$domid" --backend sim --sim-socket "$sock" >"$tmp/$1.json" \
		2>>"$tmp/query.err" || fail "ioreqd --stats --json failed"
}
# The loop answers the control socket between passes, so this snapshot comes
# after the spin that followed the guest's last access.
query busy
ticks0=$(awk '{print $14 + $15}' "/proc/$daemon/stat" 2>/dev/null || echo 0)
sleep 1
query idle
ticks1=$(awk '{print $14 + $15}' "/proc/$daemon/stat" 2>/dev/null || echo 0)
echo "# idle daemon: $((ticks1 - ticks0)) clock tick(s) of CPU in 1 s (informational)"

if command -v python3 >/dev/null 2>&1; then
	# Under valgrind (IOREQD_WRAP) a round trip is slower than any window.
	python3 - "$tmp/busy.json" "$tmp/idle.json" "${IOREQD_WRAP:+slow}" <<'PY' || fail "bad poll statistics"
import json, sys
busy = json.load(open(sys.argv[1]))
idle = json.load(open(sys.argv[2]))
p, e = busy["poll"], busy["engine"]
if p["cap_us"] != 200:
    sys.exit("cap_us %r, expected 200" % p["cap_us"])
if e["completed"] < 20000:
    sys.exit("completed %d, expected at least 20000" % e["completed"])
if p["polls"] == 0 and sys.argv[3] != "slow":
    sys.exit("20000 back-to-back accesses and the daemon never polled")
if p["hits"] + p["misses"] != p["polls"]:
    sys.exit("hits %d + misses %d != polls %d" % (p["hits"], p["misses"], p["polls"]))
if e["spurious"] != 0:
    sys.exit("%d spurious notifications: a late one was not accounted for"
             % e["spurious"])
if idle["poll"] != p:
    sys.exit("the idle daemon polled: %r, then %r" % (p, idle["poll"]))
print("# %d accesses, %d spins, %d found a request, %d us spinning"
      % (e["completed"], p["polls"], p["hits"], p["spin_us"]))
PY
else
	grep -q '"poll": {"cap_us": 200' "$tmp/busy.json" || fail "no poll statistics"
	grep -o '"poll": {[^}]*}' "$tmp/busy.json" >"$tmp/busy.poll"
	grep -o '"poll": {[^}]*}' "$tmp/idle.json" >"$tmp/idle.poll"
	cmp -s "$tmp/busy.poll" "$tmp/idle.poll" || fail "the idle daemon polled"
fi

kill -TERM "$daemon"
wait "$daemon"
drc=$?
daemon=
kill "$guest" 2>/dev/null
wait "$guest" 2>/dev/null
guest=
[ "$drc" -eq 0 ] || fail "daemon exit $drc"
grep -q "adaptive poll up to 200 us" "$tmp/daemon.err" ||
	fail "the exit statistics do not show the poll"

# Bad values: a usage error (64) and a configuration error (78), both clear.
"$IOREQD" -d "$domid" -c "$tmp/poll.conf" --backend sim --poll-us 201 \
	>/dev/null 2>"$tmp/bad-opt.err"
rc=$?
[ "$rc" -eq 64 ] || fail "--poll-us 201: exit $rc, expected 64"
grep -q "^ioreqd: error: --poll-us takes 0 (off) to 200 microseconds, not '201'$" \
	"$tmp/bad-opt.err" || fail "--poll-us 201: unclear message"
sed 's/^poll_us = 200$/poll_us = 1000/' "$tmp/poll.conf" >"$tmp/bad.conf"
"$IOREQD" -d "$domid" -c "$tmp/bad.conf" --backend sim --sim-socket "$sock" \
	--check-config >/dev/null 2>"$tmp/bad-conf.err"
rc=$?
[ "$rc" -eq 78 ] || fail "poll_us = 1000: exit $rc, expected 78"
grep -q "bad.conf:3: poll_us: 1000 out of range (0 turns polling off, at most 200 microseconds)" \
	"$tmp/bad-conf.err" || fail "poll_us = 1000: unclear message"
exit 0
