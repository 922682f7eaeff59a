#!/bin/sh
# SPDX-License-Identifier: MIT
# virtio-console input end to end: the console's back end is a socket; once
# the daemon has logged that it listens there, a client connects and writes
# a line, and the simulated guest's `virtio console 1 read` (receive buffers
# on receiveq0, each waited for with the guest's bounded timeout) must get
# exactly those bytes.  The guest then writes a reply, which the client must
# read back from the socket.  No sleep synchronises anything: the guest
# waits for the data, the client for the daemon's log line and the reply.
set -u
. "$srcdir/tests/e2e/lib.sh"

command -v python3 >/dev/null 2>&1 || {
	echo "virtio-console-input: no python3 for the socket client; skipped"
	exit 77
}
e2e_tmpdir
sock=$tmp/sim.sock
con=$tmp/con.sock
domid=13

cat >"$tmp/virtio.conf" <<CONF
[global]
log_level = info

[device con0]
hook = virtio-console
mmio = 0x02000000+0x200
irq = 33
backend = socket
path = $con
CONF

cat >"$tmp/virtio.script" <<'SCRIPT'
expect-key state running
virtio attach 1 mmio 0x02000000 irq 33 id 3 queues 2
virtio console 1 read hello from the host
virtio console 1 write reply from the guest
print guest-done
SCRIPT

"$SIMGUEST" --socket "$sock" --domid "$domid" --timeout 20 \
	--script "$tmp/virtio.script" >"$tmp/guest.out" 2>"$tmp/guest.err" &
guest=$!
e2e_wait_for "$sock" 100 || fail "the guest never created $sock"
$IOREQD_WRAP "$IOREQD" -d "$domid" -c "$tmp/virtio.conf" --backend sim --sim-socket "$sock" \
	--hook-dir "$HOOKDIR" -f >"$tmp/daemon.out" 2>"$tmp/daemon.err" &
daemon=$!

n=0
until grep -q "serial line on socket $con" "$tmp/daemon.out" "$tmp/daemon.err" 2>/dev/null; do
	n=$((n + 1))
	[ "$n" -lt 200 ] || fail "the daemon never reported the console's socket"
	kill -0 "$daemon" 2>/dev/null || fail "the daemon exited"
	sleep 0.1
done

# The client: write the line, then read until the guest's reply has come.
python3 - "$con" >"$tmp/client.out" 2>"$tmp/client.err" <<'PY' || fail "the socket client failed"
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(20)
s.connect(sys.argv[1])
s.sendall(b"hello from the host")
got = b""
while b"reply from the guest\n" not in got:
    d = s.recv(4096)
    if not d:
        sys.exit("EOF before the reply; got %r" % got)
    got += d
print(got.decode())
PY

wait "$guest"
grc=$?
guest=
[ "$grc" -eq 0 ] || fail "guest exit $grc"
grep -q 'virtio 1 console read' "$tmp/guest.out" || fail "the guest did not report the read"
grep -q 'reply from the guest' "$tmp/client.out" || fail "the client did not get the reply"
kill -TERM "$daemon" 2>/dev/null
wait "$daemon"
drc=$?
daemon=
[ "$drc" -eq 0 ] || fail "daemon exit $drc"
echo "virtio-console-input: ok"
exit 0
