#!/bin/sh
# SPDX-License-Identifier: MIT
# The statistics control socket, end to end: ioreqd-simguest makes a known
# set of accesses, announces it through debugcon and sleeps; meanwhile
# `ioreqd --stats --json` asks the running daemon over its control socket and
# the counters are checked (per range, per handler in chain order, and the
# engine's), then the table form, then that the socket is removed at exit.
set -u
. "$srcdir/tests/e2e/lib.sh"

e2e_tmpdir
sock=$tmp/sim.sock
ctl=$sock.ctl   # the sim default: beside --sim-socket
domid=11

{
	e2e_conf_console
	cat <<'CONF'

[device regs]
hook = scratch
mmio = 0xfeb00000+0x1000

[device reg10]
hook = override
mmio = 0xfeb00000+0x1000
offset = 0x10
value = 0x10ad10ad
CONF
} >"$tmp/stats.conf"

# 3 writes and 2 reads reach scratch through override; 1 read override answers.
cat >"$tmp/stats.script" <<'SCRIPT'
expect-key state running
mmio write 0xfeb00020 4 0x11
mmio write 0xfeb00024 4 0x22
mmio write 0xfeb00028 4 0x33
mmio read 0xfeb00020 4 expect 0x11
mmio read 0xfeb00024 4 expect 0x22
mmio read 0xfeb00010 4 expect 0x10ad10ad
print stats-ready
sleep 30s
SCRIPT

e2e_start_guest guest "$sock" --domid "$domid" --timeout 40 --script "$tmp/stats.script"
e2e_start_sim_daemon daemon "$tmp/stats.conf" "$sock"
e2e_wait_line 'stats-ready' "$tmp/daemon.out" "the guest never reached its sleep" \
	"the guest exited before its sleep"
[ -S "$ctl" ] || fail "no control socket at $ctl"

"$IOREQD" --stats --json -d "$domid" --backend sim --sim-socket "$sock" >"$tmp/stats.json" 2>"$tmp/query.err" ||
	fail "ioreqd --stats --json failed"
"$IOREQD" --stats -d "$domid" --control "$ctl" >"$tmp/table.out" 2>>"$tmp/query.err" ||
	fail "ioreqd --stats failed"

if command -v python3 >/dev/null 2>&1; then
	python3 - "$tmp/stats.json" "$domid" <<'PY' || fail "unexpected JSON statistics"
import json, sys
s = json.load(open(sys.argv[1]))
def want(what, got, exp):
    if got != exp:
        sys.exit("%s: %r, expected %r" % (what, got, exp))
want("domid", s["domid"], int(sys.argv[2]))
want("serving", s["serving"], True)
e = s["engine"]
want("unhandled", e["unhandled"], 0)
want("rejected", e["rejected"], 0)
if e["completed"] < 6 + len("stats-ready\n"):
    sys.exit("completed %d, expected at least 18" % e["completed"])
mmio = [r for r in s["ranges"] if r["space"] == "mmio"]
want("mmio ranges", len(mmio), 1)
r = mmio[0]
want("range", (r["base"], r["last"]), ("0xfeb00000", "0xfeb00fff"))
want("range accesses", r["accesses"], 6)
want("range reads", r["reads"], 3)
want("range writes", r["writes"], 3)
names = [h["name"] for h in r["handlers"]]
if len(names) != 2 or "reg10" not in names[0] or "regs" not in names[1]:
    sys.exit("handlers %r: expected reg10 (runs first) then regs" % names)
want("override passes", r["handlers"][0]["passes"], 5)
pio = [x for x in s["ranges"] if x["space"] == "pio" and x["base"] == "0xe9"]
want("debugcon writes", pio and pio[0]["writes"], len("stats-ready\n"))
PY
else
	grep -q '"space": "mmio", "base": "0xfeb00000", "last": "0xfeb00fff", "accesses": 6, "reads": 3, "writes": 3' \
		"$tmp/stats.json" || fail "unexpected JSON statistics"
fi
grep -q "^ioreqd statistics, domain $domid:" "$tmp/table.out" || fail "no table header"
grep -Eq '^  mmio +0xfeb00000-0xfeb00fff +\(range\) +6 +3 +3 ' "$tmp/table.out" ||
	fail "the table disagrees with the JSON"

# A bad request gets an error line, not a crash.
if command -v python3 >/dev/null 2>&1; then
	python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(b"reboot\n")
d = s.makefile().read()
sys.exit(0 if d.startswith("error:") else "answer to junk: %r" % d)' "$ctl" ||
		fail "junk request not refused"
fi

e2e_stop_daemon TERM daemon
e2e_stop_guest
[ ! -e "$ctl" ] || fail "the control socket was left behind"
# Every request came with its notification; the daemon's own sweeps of the
# slots at shutdown are not notifications, so nothing was spurious.
grep -Eq "invalidate 0, spurious 0$" "$tmp/daemon.err" ||
	fail "spurious notifications counted in the exit statistics"
exit 0
