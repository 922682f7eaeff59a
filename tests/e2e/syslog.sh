#!/bin/sh
# SPDX-License-Identifier: MIT
# Detached, ioreqd logs to syslog by default, and everything it reports goes
# there: the "serving" line, the statistics on SIGUSR1 and at exit.  syslog(3)
# writes to /dev/log, so the daemon runs in a private mount namespace whose
# /dev holds tests/log-sink's socket (needs root and unshare(1): skipped
# otherwise).
set -u
. "$srcdir/tests/e2e/lib.sh"

if [ "$(id -u)" -ne 0 ] || ! command -v unshare >/dev/null ||
	! unshare -m true 2>/dev/null; then
	echo "syslog: needs root and unshare -m; skipped"
	exit 77
fi
e2e_tmpdir
sock=$tmp/sim.sock
domid=14
fail() {
	echo "syslog: FAIL - $*"
	for f in "$tmp"/*.out "$tmp"/*.err; do
		[ -s "$f" ] && { echo "    --- $f"; sed 's/^/    /' "$f"; }
	done
	[ -n "${pid:-}" ] && kill "$pid" 2>/dev/null
	[ -n "${guest:-}" ] && kill "$guest" 2>/dev/null
	[ -n "${sink:-}" ] && kill "$sink" 2>/dev/null
	exit 1
}

# wait_log PATTERN [N]: up to 10 s for N (default 1) lines matching PATTERN in
# what the sink wrote: a datagram the daemon sent before it answered is in the
# sink's socket, but a loaded sink may not have written it out yet.
wait_log() {
	_n=0
	while [ "$(grep -Ec "$1" "$tmp/syslog.out")" -lt "${2:-1}" ] && [ "$_n" -lt 100 ]; do
		sleep 0.1
		_n=$((_n + 1))
	done
	[ "$(grep -Ec "$1" "$tmp/syslog.out")" -ge "${2:-1}" ]
}

mkdir "$tmp/dev"
"$builddir/tests/log-sink" "$tmp/dev/log" "$tmp/sink.ready" >"$tmp/syslog.out" \
	2>"$tmp/sink.err" &
sink=$!
e2e_wait_for "$tmp/sink.ready" 100 || fail "the log sink did not start"

cat >"$tmp/ram.conf" <<'CONF'
[device ram]
hook = scratch
mmio = 0xfe000000+0x1000
CONF
cat >"$tmp/guest.script" <<'SCRIPT'
mmio write 0xfe000000 4 0x600d
mmio read 0xfe000000 4 expect 0x600d
sleep 60s
SCRIPT
"$SIMGUEST" --socket "$sock" --domid "$domid" --timeout 70 --script "$tmp/guest.script" \
	>"$tmp/guest.out" 2>"$tmp/guest.err" &
guest=$!
e2e_wait_for "$sock" 100 || fail "the guest never created $sock"

# /dev in the namespace: the sink's socket, and the devices a process needs.
# shellcheck disable=SC2016
unshare -m sh -c '
	set -e
	for n in null zero random urandom; do
		touch "$0/dev/$n"
		mount --bind "/dev/$n" "$0/dev/$n"
	done
	mount --rbind "$0/dev" /dev
	exec "$@"' "$tmp" "$IOREQD" -d "$domid" -c "$tmp/ram.conf" --backend sim \
	--sim-socket "$sock" --hook-dir "$HOOKDIR" --pidfile "$tmp/ioreqd.pid" \
	2>"$tmp/start.err" || fail "the daemon did not start (exit $?)"
pid=$(cat "$tmp/ioreqd.pid")
wait_log "serving domain $domid" || fail "no 'serving' line in syslog"

# The guest's two accesses are done once its mmio read passed.
e2e_wait_for "$tmp/guest.out" 100
n=0
while ! grep -q "^ok 2 " "$tmp/guest.out" && [ "$n" -lt 100 ]; do
	sleep 0.1
	n=$((n + 1))
done
kill -USR1 "$pid"
wait_log "ioreqd statistics, domain $domid" || fail "SIGUSR1: no statistics in syslog"
wait_log "mmio +0xfe000000-0xfe000fff +\(range\) +2 +1 +1 " ||
	fail "SIGUSR1: the range's counters are not in syslog"
echo "ok - SIGUSR1 statistics reach syslog"

kill -TERM "$pid"
e2e_wait_gone "$pid" 100 || fail "the daemon did not stop on SIGTERM"
wait_log "ioreqd statistics, domain $domid" 2 || fail "no statistics in syslog at exit"
wait_log "SIGTERM, stopping" || fail "SIGTERM not logged"
echo "ok - the exit statistics reach syslog"
[ ! -s "$tmp/start.err" ] || fail "the detached start printed on stderr"

kill "$guest" 2>/dev/null
kill "$sink" 2>/dev/null
wait "$sink"
exit 0
