#!/bin/sh
# SPDX-License-Identifier: MIT
# Device state end to end on the simulated hypervisor, the way a toolstack
# wraps `xl save` / `xl restore`: guest 1 leaves state in every device (scratch
# contents, an override latch, 16550 registers with three bytes still in its
# receive FIFO - a transfer half done - testdev registers with BAR0 moved), says
# so through debugcon and waits to be stopped; `ioreqd --save` writes the state,
# `ioreqd --load` of the same file and of a mismatched one are answered; the
# daemon and the guest go; a new daemon starts with --resume on a new
# simulated domain, and guest 2 reads every value back (the UART bytes in order,
# testdev at its moved BAR and not at the configured one).  A --resume of a
# stream for another configuration refuses to start, naming the difference.
# The phases are sequenced on the daemon's output and process exits, never by
# sleeping.
set -u
. "$srcdir/tests/e2e/lib.sh"

e2e_tmpdir
domid=17

{
	e2e_conf_console
	e2e_conf_scratch
	cat <<'CONF'

[device latch]
hook = override
mmio = 0xfeb00000+0x1000
offset = 0x10
writes = latch
CONF
	e2e_conf_uart
	e2e_conf_testdev
} >"$tmp/dev.conf"
# The same devices with scratch somewhere else: not the saved domain.
sed 's/^mmio = 0xfeb00000+0x1000$/mmio = 0xfeb40000+0x1000/' "$tmp/dev.conf" >"$tmp/moved.conf"

cat >"$tmp/phase1.script" <<'SCRIPT'
expect-key state running
mmio write 0xfeb00000 8 0x0123456789abcdef
mmio write 0xfeb00ff8 4 0xcafef00d
mmio write 0xfeb00010 4 0x5eed1e55
# 16550: 8N1 at divisor 3, FIFO on, scratch 0xa5, loopback; "HEY" is sent
# and sits unread in the receive FIFO.
pio write 0x3fb 1 0x83
pio write 0x3f8 1 3
pio write 0x3fb 1 0x03
pio write 0x3fa 1 0x01
pio write 0x3ff 1 0xa5
pio write 0x3fc 1 0x10
pio write 0x3f8 1 0x48
pio write 0x3f8 1 0x45
pio write 0x3f8 1 0x59
pio read 0x3fd 1 expect 0x61
# testdev: delay, scratch, a config dword, BAR0 moved.
mmio write 0xfeb0100c 4 3
mmio write 0xfeb01020 4 0x7e57da7a
pci write 00:05.0 0x40 4 0xa11ce5ed
pci write 00:05.0 0x10 4 0xfeb20000
mmio read 0xfeb20020 4 expect 0x7e57da7a
print phase1-done
sleep 60s
SCRIPT

cat >"$tmp/phase2.script" <<'SCRIPT'
expect-key state running
mmio read 0xfeb00000 8 expect 0x0123456789abcdef
mmio read 0xfeb00ff8 4 expect 0xcafef00d
mmio read 0xfeb00010 4 expect 0x5eed1e55
pio read 0x3ff 1 expect 0xa5
pio read 0x3fc 1 expect 0x10
pio read 0x3fb 1 expect 0x03
pio read 0x3fd 1 expect 0x61
pio read 0x3f8 1 expect 0x48
pio read 0x3f8 1 expect 0x45
pio read 0x3f8 1 expect 0x59
pio read 0x3fd 1 expect 0x60
pio write 0x3fb 1 0x83
pio read 0x3f8 1 expect 3
pio write 0x3fb 1 0x03
mmio read 0xfeb2000c 4 expect 3
mmio read 0xfeb20020 4 expect 0x7e57da7a
mmio read 0xfeb20004 4 expect 0x7e570001
pci read 00:05.0 0x40 4 expect 0xa11ce5ed
pci read 00:05.0 0x10 4 expect 0xfeb20000
print phase2-done
SCRIPT

# Phase 1: the guest runs, its devices are saved.
sock=$tmp/sim1.sock
e2e_start_guest guest1 "$sock" --domid "$domid" --timeout 90 --script "$tmp/phase1.script"
e2e_start_sim_daemon daemon1 "$tmp/dev.conf" "$sock"
e2e_wait_line 'phase1-done' "$tmp/daemon1.out" "guest 1 never finished its writes" \
	"guest 1 failed"
(cd "$tmp" && "$IOREQD" --save state.bin -d "$domid" --backend sim --sim-socket "$sock" \
	>"$tmp/save.out" 2>"$tmp/save.err") || fail "ioreqd --save failed"
grep -q "saved 5 device(s) of domain $domid to $tmp/state.bin" "$tmp/save.out" ||
	fail "--save did not say what it saved"
[ -s "$tmp/state.bin" ] || fail "no state file"
ls "$tmp" | grep -q 'state.bin.tmp' && fail "a temporary file was left behind"
# Loading the same state back is harmless; a file that is not a stream is refused.
"$IOREQD" --load "$tmp/state.bin" -d "$domid" --backend sim --sim-socket "$sock" \
	>"$tmp/load.out" 2>"$tmp/load.err" || fail "ioreqd --load of its own state failed"
printf 'not a device-state stream\n' >"$tmp/junk.bin"
"$IOREQD" --load "$tmp/junk.bin" -d "$domid" --backend sim --sim-socket "$sock" \
	>"$tmp/junk.out" 2>"$tmp/junk.err" && fail "ioreqd --load of junk succeeded"
grep -q "error: $tmp/junk.bin: not an ioreqd device-state stream" "$tmp/junk.err" ||
	fail "the refusal of junk does not say why"
rm -f "$tmp/junk.err" "$tmp/junk.out"
e2e_stop_daemon TERM "daemon 1"
e2e_stop_guest

# A state for another configuration: the new daemon refuses to start at all.
"$IOREQD" -d "$domid" -c "$tmp/moved.conf" --backend sim --sim-socket "$tmp/none.sock" \
	--hook-dir "$HOOKDIR" -f --resume "$tmp/state.bin" >"$tmp/moved.out" 2>"$tmp/moved.err"
rc=$?
[ "$rc" -eq 78 ] || fail "--resume into another configuration: exit $rc, expected 78"
grep -q "resume $tmp/state.bin: device regs: its configured ranges differ" "$tmp/moved.err" ||
	fail "the --resume refusal does not name the device"
rm -f "$tmp/moved.err" "$tmp/moved.out"

# Phase 2: a new domain and a new daemon from the saved state.
sock=$tmp/sim2.sock
e2e_start_guest guest2 "$sock" --domid "$domid" --timeout 60 --script "$tmp/phase2.script"
e2e_start_sim_daemon daemon2 "$tmp/dev.conf" "$sock" --resume "$tmp/state.bin"
wait "$guest" || fail "guest 2 found a value that was not restored (exit $?)"
guest=
e2e_wait_daemon "daemon 2"
grep -q 'phase2-done' "$tmp/daemon2.out" || fail "guest 2 did not finish its checks"
exit 0
