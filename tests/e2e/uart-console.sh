#!/bin/sh
# SPDX-License-Identifier: MIT
# End to end: the real daemon serves a uart16550 (COM1, backend = file) to
# ioreqd-simguest, whose script (tests/e2e/uart-console.script) probes the
# UART as Linux's 8250 driver does and prints a line through it, polling
# LSR.THRE before each byte like a console driver.  Passes if every guest
# check passed, the daemon exited cleanly when the guest went away, and the
# file behind the UART holds the line.  The log shows the whole session.
set -u
. "$srcdir/tests/e2e/lib.sh"

e2e_tmpdir
dir=$tmp
sock=$dir/sim.sock
domid=7
line='Hello from the guest: ioreqd uart16550 console on COM1'

cat >"$dir/uart.conf" <<C
[global]
log_level = info

[device debugcon]
hook = debugcon
pio = 0xe9
file = -

[device com1]
hook = uart16550
pio = 0x3f8+8
irq = 4
backend = file
path = $dir/com1.log
C

e2e_start_guest guest "$sock" --domid "$domid" --timeout 20 \
	--script "$srcdir/tests/e2e/uart-console.script"
e2e_start_sim_daemon daemon "$dir/uart.conf" "$sock"
wait "$guest"
grc=$?
wait "$daemon"
drc=$?

echo "--- transcript: ioreqd-simguest (domain $domid) ---"
cat "$dir/guest.out"
echo "--- ioreqd log ---"
cat "$dir/daemon.err" "$dir/daemon.out"
echo "--- $dir/com1.log (what the guest wrote to COM1) ---"
cat "$dir/com1.log" 2>/dev/null
echo "--- end ---"

if [ "$grc" -ne 0 ] || [ "$drc" -ne 0 ]; then
	echo "uart-console: guest exit $grc, daemon exit $drc" >&2
	cat "$dir/guest.err" >&2
	exit 1
fi
if ! printf '%s\r\n' "$line" | cmp -s - "$dir/com1.log"; then
	echo "uart-console: com1.log does not hold exactly the guest's line" >&2
	od -c "$dir/com1.log" >&2
	exit 1
fi
echo "uart-console: ok"
exit 0
