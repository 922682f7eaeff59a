#!/bin/sh
# SPDX-License-Identifier: MIT
# libxl's save and restore of a device model it started (device_model_override),
# on the simulated hypervisor, with tests/fake-libxl playing libxl 4.17 on the
# QMP socket message for message.  Guest 1 leaves state in its devices (scratch
# contents, 16550 registers with bytes in its receive FIFO, testdev registers
# and a moved BAR) and waits; libxl's save sequence runs: the dirty log on,
# stop, add-fd with the file as SCM_RIGHTS, xen-save-devices-state into
# /dev/fdset/N, the dirty log off; libxl then stops the daemon with SIGHUP.
# Meanwhile the guest keeps storing string I/O reads into its RAM, and the
# daemon's statistics must count the pages it reported while the log was on.
# A new daemon started as libxl restores (-incoming fd:N, the saved file open
# on N) serves guest 2, which reads every value back; "cont" and query-status
# follow.  The same state offered to another configuration is refused at
# start-up, naming the device.  No step waits by sleeping for an event.
set -u
. "$srcdir/tests/e2e/lib.sh"

FAKELIBXL=${FAKELIBXL:-$builddir/tests/fake-libxl}
e2e_tmpdir
domid=23

{
	e2e_conf_console
	e2e_conf_scratch
	e2e_conf_uart
	e2e_conf_testdev
} >"$tmp/dev.conf"
sed 's/^mmio = 0xfeb00000+0x1000$/mmio = 0xfeb40000+0x1000/' "$tmp/dev.conf" >"$tmp/moved.conf"

cat >"$tmp/phase1.script" <<'SCRIPT'
expect-key state running
mmio write 0xfeb00000 8 0x0123456789abcdef
mmio write 0xfeb00ff8 4 0xcafef00d
pio write 0x3fb 1 0x83
pio write 0x3f8 1 3
pio write 0x3fb 1 0x03
pio write 0x3fa 1 0x01
pio write 0x3ff 1 0xa5
pio write 0x3fc 1 0x10
pio write 0x3f8 1 0x48
pio write 0x3f8 1 0x49
mmio write 0xfeb01020 4 0x7e57da7a
pci write 00:05.0 0x40 4 0xa11ce5ed
pci write 00:05.0 0x10 4 0xfeb20000
print phase1-done
# String I/O reads stored into guest RAM, on and on: with the dirty log on,
# ioreqd reports their pages.
repeat 20000
rep pio read 0x3ff 1 64 buf 0x8000 expect-fill 0xa5
sleep 5ms
end
SCRIPT

cat >"$tmp/phase2.script" <<'SCRIPT'
expect-key state running
mmio read 0xfeb00000 8 expect 0x0123456789abcdef
mmio read 0xfeb00ff8 4 expect 0xcafef00d
pio read 0x3ff 1 expect 0xa5
pio read 0x3fc 1 expect 0x10
pio read 0x3f8 1 expect 0x48
pio read 0x3f8 1 expect 0x49
pio read 0x3fd 1 expect 0x60
mmio read 0xfeb20020 4 expect 0x7e57da7a
pci read 00:05.0 0x40 4 expect 0xa11ce5ed
pci read 00:05.0 0x10 4 expect 0xfeb20000
print phase2-done
sleep 60s
SCRIPT

# The QEMU command line libxl builds for device_model_version="qemu-xen",
# with ioreqd's own options from device_model_args.
xl_argv() {
	qmp=$1
	shift
	echo "-xen-domid $domid -no-shutdown" \
		"-chardev socket,id=libxl-cmd,path=$qmp,server=on,wait=off" \
		"-mon chardev=libxl-cmd,mode=control -nodefaults -name xlsave" \
		"-c $* --backend sim --hook-dir $HOOKDIR -machine xenfv -m 16"
}

# Phase 1: xl create, the guest runs, then xl save.
sock=$tmp/sim1.sock
e2e_start_guest guest1 "$sock" --domid "$domid" --timeout 90 --script "$tmp/phase1.script"
# shellcheck disable=SC2046
e2e_start_daemon daemon1 $(xl_argv "$tmp/qmp1" "$tmp/dev.conf" --sim-socket "$sock")
e2e_wait_line 'phase1-done' "$tmp/daemon1.out" "guest 1 never finished its writes" \
	"guest 1 failed"
"$FAKELIBXL" "$tmp/qmp1" dirty on >"$tmp/libxl-dirty.out" 2>"$tmp/libxl-dirty.err" ||
	fail "libxl could not turn the dirty log on"
# dirty_pages: what the daemon says it reported so far (its control socket).
dirty_pages() {
	"$IOREQD" --stats --json -d "$domid" --backend sim --sim-socket "$sock" 2>/dev/null |
		sed -n 's/.*"dirty_log": {[^}]*"pages": \([0-9]*\).*/\1/p'
}
n=0
until [ "$(dirty_pages)" -gt 0 ] 2>/dev/null; do
	n=$((n + 1))
	[ "$n" -lt 300 ] || fail "no dirty page reported while the guest wrote into its RAM"
	sleep 0.1
done
"$FAKELIBXL" "$tmp/qmp1" save "$tmp/qemu-save.$domid" dirty off \
	>"$tmp/libxl-save.out" 2>"$tmp/libxl-save.err" || fail "libxl's save sequence failed"
grep -Eq 'dirty log off: [1-9][0-9]* page\(s\) reported in [1-9][0-9]* call' "$tmp/daemon1.err" ||
	fail "the daemon did not log the pages it reported"
"$IOREQD" --stats -d "$domid" --backend sim --sim-socket "$sock" >"$tmp/stats.out" 2>&1
grep -Eq '^  dirty log off: [1-9][0-9]* page\(s\) reported' "$tmp/stats.out" ||
	fail "the statistics do not show the dirty pages"
grep -q '^-> {"execute": "add-fd", "id": 3} (with a descriptor)$' "$tmp/libxl-save.out" ||
	fail "the save did not pass the file as a descriptor"
[ "$(head -c 8 "$tmp/qemu-save.$domid")" = IOREQDST ] ||
	fail "libxl's file does not hold ioreqd's device-state stream"
grep -q "saved 4 device(s) for libxl's save" "$tmp/daemon1.err" ||
	fail "the daemon did not log the save"
# libxl stops its device model with SIGHUP once the domain is saved.
e2e_stop_daemon HUP "daemon 1"
e2e_stop_guest

# A restore into another configuration: refused before serving.
# shellcheck disable=SC2046
"$IOREQD" $(xl_argv "$tmp/qmpx" "$tmp/moved.conf" --sim-socket "$tmp/none.sock") \
	-incoming fd:3 3<"$tmp/qemu-save.$domid" >"$tmp/moved.out" 2>"$tmp/moved.err"
rc=$?
[ "$rc" -eq 78 ] || fail "a restore into another configuration: exit $rc, expected 78"
grep -q "device regs: its configured ranges differ" "$tmp/moved.err" ||
	fail "the refused restore does not name the device"
rm -f "$tmp/moved.out" "$tmp/moved.err"

# Phase 2: xl restore: a new domain, a new daemon given the file as -incoming fd:N.
sock=$tmp/sim2.sock
e2e_start_guest guest2 "$sock" --domid "$domid" --timeout 60 --script "$tmp/phase2.script"
# shellcheck disable=SC2046
e2e_start_daemon daemon2 $(xl_argv "$tmp/qmp2" "$tmp/dev.conf" --sim-socket "$sock") \
	-incoming fd:3 3<"$tmp/qemu-save.$domid"
e2e_wait_line 'phase2-done' "$tmp/daemon2.out" "guest 2 never finished its checks" \
	"guest 2 found a value that was not restored"
grep -q '^FAIL' "$tmp/guest2.out" && fail "guest 2 found a value that was not restored"
"$FAKELIBXL" "$tmp/qmp2" cont status >"$tmp/libxl-restore.out" 2>"$tmp/libxl-restore.err" ||
	fail "libxl's unpause after the restore failed"
grep -q '"status": "running"' "$tmp/libxl-restore.out" || fail "not running after cont"
grep -q 'loaded the state of 4 device(s) of domain 23 from -incoming' "$tmp/daemon2.err" ||
	fail "the restored daemon did not log the load"
e2e_stop_daemon HUP "daemon 2"
e2e_stop_guest
exit 0
