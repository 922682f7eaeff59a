#!/bin/sh
# SPDX-License-Identifier: MIT
# End to end: the daemon runs out of file descriptors.  It runs under a low
# RLIMIT_NOFILE while a local client (tests/fd-hog) opens more connections
# to its statistics socket than it has descriptors for, so accept() fails
# with EMFILE while connections stay queued and the socket stays readable.
# Meanwhile the guest keeps making accesses.  Passes when:
#  - every guest access was answered correctly (the guest is still served);
#  - the daemon's log stays a few lines (the accept warning is rate-limited);
#  - the daemon used little CPU while the clients were held (the listener
#    rests and is re-enabled from a timer instead of spinning the loop):
#    measured from /proc/PID/stat clock ticks, with a generous bound;
#  - the daemon exited 0 when the guest went away.
set -u
. "${srcdir:-.}/tests/e2e/lib.sh"

HOG=${HOG:-$builddir/tests/fd-hog}
e2e_tmpdir
sock=$tmp/sim.sock
nofile=${FD_LIMIT:-20}
max_lines=${FD_LOG_LINES:-60}
max_cpu_pct=${FD_CPU_PCT:-20}

cat >"$tmp/fd.conf" <<'C'
[device td]
hook = testdev
pci = 00:05.0
mmio = 0xfeb01000+0x1000
C
# About five seconds of accesses, paced by the guest: longer than the window
# in which the daemon's CPU is measured.
cat >"$tmp/fd.script" <<'S'
repeat 120
mmio read 0xfeb01004 4 expect 0x7e570001
mmio write 0xfeb01020 4 $i
mmio read 0xfeb01020 4 expect $i
sleep 40ms
end
S

fail() {
	echo "fd-exhaustion: FAIL: $*"
	for f in guest.out daemon.err hog.out; do
		echo "--- $f (last 20 lines)"
		tail -n 20 "$tmp/$f"
	done
	exit 1
}

ticks() {
	# utime + stime: fields 14 and 15, after the ")" that ends the name.
	stat=$(cat "/proc/$1/stat") || return 1
	echo "${stat##*) }" | awk '{print $12 + $13}'
}

now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

"$SIMGUEST" --socket "$sock" --domid 9 --timeout 30 --quiet --script "$tmp/fd.script" \
	>"$tmp/guest.out" 2>&1 &
guest=$!
e2e_wait_for "$sock" 100 || fail "the guest never created $sock"
(ulimit -n "$nofile" && exec $IOREQD_WRAP "$IOREQD" -f -d 9 -c "$tmp/fd.conf" \
	--backend sim --sim-socket "$sock" --hook-dir "$HOOKDIR") \
	>"$tmp/daemon.out" 2>"$tmp/daemon.err" &
daemon=$!
e2e_wait_for "$sock.ctl" 100 || fail "the daemon never created $sock.ctl"

mkfifo "$tmp/hold"
"$HOG" "$sock.ctl" 40 <"$tmp/hold" >"$tmp/hog.out" 2>&1 &
hog=$!
exec 3>"$tmp/hold"
n=0
until grep -q '^connected' "$tmp/hog.out" 2>/dev/null; do
	kill -0 "$hog" 2>/dev/null || fail "fd-hog ended early"
	n=$((n + 1))
	[ "$n" -lt 100 ] || fail "fd-hog did not connect"
	sleep 0.1
done
# The measurement window (not a synchronisation: the guest runs longer).
t0=$(ticks "$daemon") || fail "no daemon"
ms0=$(now_ms)
sleep 1.5
t1=$(ticks "$daemon") || fail "the daemon died"
ms1=$(now_ms)
kill -0 "$guest" 2>/dev/null || fail "the guest ended inside the measurement window"
wait "$guest"
grc=$?
exec 3>&-
wait "$hog"
wait "$daemon"
drc=$?

hz=$(getconf CLK_TCK)
used=$((t1 - t0))
avail=$(((ms1 - ms0) * hz / 1000))
lines=$(wc -l <"$tmp/daemon.err")
echo "fd-exhaustion: $(cat "$tmp/hog.out"); the daemon used $used of $avail clock ticks" \
	"and logged $lines lines"
[ "$grc" -eq 0 ] || fail "the guest saw failures (exit $grc)"
[ "$drc" -eq 0 ] || fail "the daemon exited $drc"
[ "$lines" -le "$max_lines" ] || fail "$lines log lines (limit $max_lines)"
[ $((used * 100)) -le $((avail * max_cpu_pct)) ] ||
	fail "the daemon used $used of $avail ticks (more than $max_cpu_pct%): a busy loop"
grep -q "cannot accept a client" "$tmp/daemon.err" ||
	fail "the daemon never ran out of descriptors (raise the hog or lower FD_LIMIT)"
echo "1 passed, 0 failed"
