#!/bin/sh
# SPDX-License-Identifier: MIT
# shellcheck shell=dash # busybox ash
# The test driver that runs inside dom0.  Each case starts a guest paused,
# starts ioreqd for it, unpauses it, waits for the guest's verdict and checks
# it, then checks a teardown path:
#   pvh    the freestanding PVH guest (guest/pvh): every access pattern, the
#          round-trip figure, then SIGTERM to ioreqd while the guest runs.
#   linux  a Linux PVH guest (guest/linux) driving the hooks from userspace,
#          with a balloon-out that makes Xen send INVALIDATE; then
#          `xl destroy`, after which ioreqd must exit by itself with status 0.
#          With COM1 (xentest-linux.conf), the kernel's 8250 earlycon must
#          have written its banner through the uart16550 hook.
#   xl     an HVM guest whose device model is ioreqd (device_model_override):
#          libxl's launch handshake must succeed, then the PVH guest's checks
#          run as its firmware.
#   xlrestrict
#          the same with dm_restrict=1: libxl confines ioreqd
#          (-xen-domid-restrict -chroot -runas), which takes the --restrict
#          path, and stops it at `xl destroy`.
#   xlsave as xl, with the guest checking its devices' state in a loop
#          while dom0 runs `xl save`, `xl restore` and a local `xl migrate`;
#          the migrated-away ioreqd must have reported dirty pages.
#   arm    the arm64 guest (guest/arm64): MMIO only, reported through
#          ioreqd's debugcon hook.  First, without the vuart, the guest has
#          no SPI for the config's irq = 40 and ioreqd must refuse to start;
#          then, with vuart = "sbsa_uart", it serves.
#   vblk   an arm64 Linux guest (guest/vblk) on libxl's virtio disk, which
#          ioreqd --watch (started first) serves as virtio-blk over
#          virtio-mmio through one child per domain: the guest reads dom0's
#          pattern, writes a mark, makes an ext4 and files; dom0 checks the
#          image (mark, e2fsck, checksums); after the power-off the watcher
#          must answer Closing and its child exit; a second domain on the
#          same disk checks the files again.
#   watch  arm64: ioreqd --watch as the dom0 service for libxl's virtio
#          disk: two `xl create`s of a paused guest with the xl disk line
#          reach InitWait through it, and `xl destroy` is answered Closed.
#   restrict, seccomp, chroot
#          the hardened modes the documentation recommends, with the PVH
#          guest: ioreqd detached, logging to syslog, confined
#          (--restrict --chroot --user; the same with --seccomp, as the
#          systemd unit runs it; --chroot --user --seccomp without
#          --restrict, which keeps xenstore).  The idle daemon must use
#          under 1% of a CPU over 10 s, the guest's checks must pass, and
#          after `xl destroy` it must exit with status 0 (it says so in
#          syslog) within 5 s, leave no pidfile or control socket behind,
#          and have sent its statistics to syslog.
#   vpci   an HVM Linux guest (guest/linux/vpci-init) whose device model is
#          QEMU, with ioreqd as a second ioreq server serving virtio-blk-pci
#          and virtio-console-pci (xentest-vpci.conf): the stock drivers
#          bind, the disk gets ext4 and files through MSI-X and is read
#          back through INTx, a line goes each way over the console; after
#          `xl destroy`, dom0 checks the image (patterns, e2fsck, checksums).
#   bench  not a test (make bench-xen): an HVM guest (guest/linux/vbench-init)
#          with QEMU's virtio-blk-pci, ioreqd's (xentest-bench.conf) and a
#          second ioreqd's with --poll-us, and a port each, plus a port of a
#          third ioreqd with latency_stats; the guest's vbench times them in
#          turns, and the driver prints a table of ratios to QEMU and the
#          breakdown of ioreqd's part of a round trip.  It fails only when
#          the run is broken, never on a missed target.
# Settings come from /etc/xentest/env (written by the host harness).  Prints
# "XENTEST: case NAME: PASS|FAIL ..." per case and exits non-zero on any
# failure.
# shellcheck source=/dev/null # written by run.sh
. /etc/xentest/env

# Checks each guest makes; keep in step with guest/pvh/pvhtest.c,
# guest/linux/init, guest/arm64/armtest.S and guest/vblk/init.
EXPECT_PVH=26
EXPECT_PVH_TESTDEV=6
EXPECT_LINUX=11
EXPECT_ARM=10
EXPECT_VBLK_WRITE=8
EXPECT_VBLK_READ=7
EXPECT_VPCI=12

CONF=/etc/ioreqd/xentest.conf
# The linux case's config when it has COM1 (XEN_TEST_LINUX_UART, the default).
LINUX_CONF=/etc/ioreqd/xentest-linux.conf
LINUX_COM1_LOG=/var/log/ioreqd-com1.log
XENLOG=/tmp/xen-console.log
failures=0
: >"$XENLOG"

say() { echo "XENTEST: $*"; }
now() { cut -d' ' -f1 /proc/uptime; }
now_s() { cut -d. -f1 /proc/uptime; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# Xen's console ring holds the PVH guests' 0xE9 output as "(dN) [time] line";
# drain it into one file so lines are never read twice or lost to wrap.
xen_console_sync() { xl dmesg -c >>"$XENLOG" 2>/dev/null; }
guest_lines() {
	xen_console_sync
	sed -nE "s/^.*\(d$1\) (\[ *[0-9.]+\] )?//p" "$XENLOG"
}

# wait_for SECONDS COMMAND...: poll until COMMAND succeeds.
wait_for() {
	local end=$(($(now_s) + $1))
	shift
	until "$@"; do
		[ "$(now_s)" -ge $end ] && return 1
		sleep 0.25
	done
}

alive() { kill -0 "$1" 2>/dev/null; }
exited() { ! alive "$1"; }
# guest_says DOMID REGEX: the PVH guest has printed a matching line.
guest_says() { guest_lines "$1" | grep -q "$2"; }
pidfile_or_exit() { [ -s "$1" ] || exited "$2"; }
# dm_exited PID: a device model xl started has exited.  It is not our child,
# so `wait` cannot tell; dom0's init is a shell that may leave it a zombie
# for a while, which counts as exited.
dm_exited() {
	[ -r "/proc/$1/status" ] || return 0
	grep -q '^State:[[:space:]]*Z' "/proc/$1/status"
}

# start_ioreqd DOMID LOG T0 [CONF]: start ioreqd in the background and wait
# until it has written its pidfile, which it does once it serves.  Sets
# IOREQD_PID.
start_ioreqd() {
	local pidfile=/run/ioreqd-$1.pid
	rm -f "$pidfile"
	# shellcheck disable=SC2086 # IOREQD_ARGS is a word list
	ioreqd -f -d "$1" -c "${4:-$CONF}" --pidfile "$pidfile" $IOREQD_ARGS >"$2" 2>&1 &
	IOREQD_PID=$!
	if ! wait_for 20 pidfile_or_exit "$pidfile" "$IOREQD_PID" || exited "$IOREQD_PID"; then
		say "ioreqd for domain $1 did not start; its log:"
		sed 's/^/  ioreqd| /' "$2"
		return 1
	fi
	say "ioreqd serving domain $1 (pid $IOREQD_PID) after $(since "$3")s"
}

# show_stats LOG: the statistics ioreqd prints when it exits.
show_stats() {
	awk '/^ioreqd statistics/ { p = 1; print; next } p && /^  / { print; next } { p = 0 }' "$1" |
		sed 's/^/  ioreqd| /'
}

# wait_ioreqd_exit SECONDS: wait for IOREQD_PID to exit; sets IOREQD_STATUS.
wait_ioreqd_exit() {
	IOREQD_STATUS=timeout
	wait_for "$1" exited "$IOREQD_PID" || return 1
	wait "$IOREQD_PID"
	IOREQD_STATUS=$?
}

# verdict WANT LINES-FILE: check the guest's "...: N passed, M failed" line;
# prints why not, or nothing.
verdict() {
	local line passed failed
	line=$(grep -E '^ioreqd-xentest[-a-z0-9]*: [0-9]+ passed, [0-9]+ failed' "$2" | tail -n 1)
	passed=$(echo "$line" | sed -n 's/.*: \([0-9]*\) passed.*/\1/p')
	failed=$(echo "$line" | sed -n 's/.* \([0-9]*\) failed.*/\1/p')
	if [ -z "$line" ]; then
		echo "no verdict from the guest"
		return 1
	elif [ "$failed" != 0 ] || [ "$passed" != "$1" ]; then
		echo "verdict '$line', want $1 passed and 0 failed"
		return 1
	fi
}

case_pvh() {
	local t0 d out=/tmp/pvh.out cmdline="bench=$BENCH" want=$EXPECT_PVH why=""
	t0=$(now)
	if [ "$TESTDEV" = 1 ]; then
		cmdline="$cmdline pci=1 defer=1"
		want=$((want + EXPECT_PVH_TESTDEV))
	fi
	xl create -p /etc/xentest/pvhtest.cfg "cmdline=\"$cmdline\"" || return 1
	d=$(xl domid pvhtest)
	start_ioreqd "$d" /tmp/ioreqd-pvh.log "$t0" || { xl destroy pvhtest; return 1; }
	xl unpause pvhtest
	t0=$(now)
	wait_for 120 guest_says "$d" '^ioreqd-xentest: ' || why="no verdict within 120s"
	[ "$BENCH" != 0 ] && [ -z "$why" ] && wait_for 120 guest_says "$d" '^bench: round-trip'
	guest_lines "$d" | grep -v '^tick ' >"$out"
	say "pvh guest ran its checks in $(since "$t0")s:"
	sed 's/^/  guest| /' "$out"
	[ -n "$why" ] || why=$(verdict "$want" "$out")
	if [ -n "$why" ]; then
		say "pvh: $why; ioreqd log:"
		sed 's/^/  ioreqd| /' /tmp/ioreqd-pvh.log
		xl destroy pvhtest
		return 1
	fi
	grep '^bench: ' "$out" | sed 's/^/XENTEST: pvh /'

	# Teardown 1: SIGTERM ioreqd while the guest runs.  The ticks must go
	# on, and read all-ones once Xen's null handler answers the port.
	kill -TERM "$IOREQD_PID"
	if ! wait_ioreqd_exit 20 || [ "$IOREQD_STATUS" != 0 ]; then
		why="ioreqd did not exit cleanly on SIGTERM (status $IOREQD_STATUS)"
	else
		say "ioreqd exited with status 0 on SIGTERM; its statistics:"
		show_stats /tmp/ioreqd-pvh.log
		say "the guest still runs, and reads all-ones from Xen's null handler:"
		if wait_for 60 guest_says "$d" '^tick [0-9]* 0xffffffff'; then
			guest_lines "$d" | grep '^tick ' | tail -n 3 | sed 's/^/  guest| /'
		else
			why="guest stopped ticking after ioreqd stopped"
		fi
	fi
	alive "$IOREQD_PID" && kill -KILL "$IOREQD_PID"
	say "pvh guest state: $(xl list pvhtest | awk 'NR == 2 { print $5 }')"
	xl destroy pvhtest
	[ -z "$why" ] || { say "pvh: $why"; return 1; }
}

# linux_com1: the guest kernel's 8250 console wrote its boot log through
# ioreqd's uart16550 hook (COM1) into LINUX_COM1_LOG.
linux_com1() {
	if ! grep -q 'Linux version' "$LINUX_COM1_LOG" 2>/dev/null; then
		say "linux: no 'Linux version' banner on COM1 ($(wc -c <"$LINUX_COM1_LOG" 2>/dev/null || echo no) bytes in $LINUX_COM1_LOG); its start:"
		tr -d '\r' <"$LINUX_COM1_LOG" 2>/dev/null | head -n 10 | sed 's/^/  com1| /'
		return 1
	fi
	say "linux: the guest's 8250 console wrote $(wc -l <"$LINUX_COM1_LOG") lines to COM1 (uart16550, $LINUX_COM1_LOG); the first ones:"
	tr -d '\r' <"$LINUX_COM1_LOG" | head -n 8 | cut -c1-120 | sed 's/^/  com1| /'
	say "linux: COM1's lines about the serial consoles, and its last line:"
	tr -d '\r' <"$LINUX_COM1_LOG" | grep -E 'ttyS|8250|[Cc]onsole' | cut -c1-120 | sed 's/^/  com1| /'
	tr -d '\r' <"$LINUX_COM1_LOG" | tail -n 1 | cut -c1-120 | sed 's/^/  com1| /'
}

case_linux() {
	local t0 d inval log=/var/log/xen/console/guest-pvhlinux.log out=/tmp/linux.out why=""
	local conf=$CONF extra=""
	t0=$(now)
	# With COM1 in the config (xentest-linux.conf), Linux's 8250 earlycon
	# writes the boot log there too, until hvc0 takes over at late init.
	# hvc0 stays /dev/console (the last console=), so the checks' output
	# still reaches xenconsoled's log.  loglevel=7 would also show the 8250
	# driver enabling ttyS0, but under TCG the byte-by-byte info lines then
	# take the guest past its verdict timeout.
	if [ -r "$LINUX_CONF" ]; then
		conf=$LINUX_CONF
		rm -f "$LINUX_COM1_LOG"
		extra="earlycon=uart8250,io,0x3f8,115200 console=ttyS0,115200 console=hvc0 rdinit=/init loglevel=6"
		xl create -p /etc/xentest/pvhlinux.cfg "extra=\"$extra\"" || return 1
	else
		xl create -p /etc/xentest/pvhlinux.cfg || return 1
	fi
	d=$(xl domid pvhlinux)
	start_ioreqd "$d" /tmp/ioreqd-linux.log "$t0" "$conf" || { xl destroy pvhlinux; return 1; }
	xl unpause pvhlinux
	t0=$(now)
	wait_for "$LINUX_TIMEOUT" grep -q '^ioreqd-xentest-linux: ' "$log" ||
		why="no verdict within ${LINUX_TIMEOUT}s"
	tr -d '\r' <"$log" | grep -E '^(ok|FAIL|DOMU|ioreqd-xentest)|Kernel panic|Oops' >"$out"
	say "linux guest booted and ran its checks in $(since "$t0")s:"
	sed 's/^/  guest| /' "$out"
	[ -n "$why" ] || why=$(verdict "$EXPECT_LINUX" "$out")
	if [ -n "$why" ]; then
		say "linux: $why; console tail and ioreqd log:"
		tail -n 30 "$log" | sed 's/^/  console| /'
		sed 's/^/  ioreqd| /' /tmp/ioreqd-linux.log
		[ -n "$extra" ] && linux_com1
		xl destroy pvhlinux
		return 1
	fi
	[ -z "$extra" ] || linux_com1 || why="no Linux boot output on COM1"

	# Teardown 2: destroy the domain; ioreqd must notice and exit cleanly.
	t0=$(now)
	xl destroy pvhlinux
	if ! wait_ioreqd_exit 30 || [ "$IOREQD_STATUS" != 0 ]; then
		say "linux: ioreqd did not exit cleanly after xl destroy (status $IOREQD_STATUS)"
		tail -n 20 /tmp/ioreqd-linux.log | sed 's/^/  ioreqd| /'
		alive "$IOREQD_PID" && kill -KILL "$IOREQD_PID"
		return 1
	fi
	[ -z "$why" ] || { say "linux: $why"; return 1; }
	say "ioreqd exited with status 0 $(since "$t0")s after xl destroy; its statistics:"
	show_stats /tmp/ioreqd-linux.log
	# Unmapping from a destroyed domain fails, as expected: debug lines only.
	if grep -q '^ioreqd: warning:' /tmp/ioreqd-linux.log; then
		say "linux: ioreqd warned (teardown after xl destroy should be quiet):"
		grep '^ioreqd: warning:' /tmp/ioreqd-linux.log | sed 's/^/  ioreqd| /'
	fi
	# The balloon-out made Xen send INVALIDATE; the guest's later accesses
	# completed, and ioreqd must have counted the requests it answered.
	inval=$(sed -n 's/.* invalidate \([0-9]*\),.*/\1/p' /tmp/ioreqd-linux.log | tail -n 1)
	if [ "${inval:-0}" -gt 0 ] 2>/dev/null; then
		say "linux: ioreqd served $inval INVALIDATE request(s)"
	else
		say "linux: ioreqd served no INVALIDATE request (counter '${inval:-missing}')"
		return 1
	fi
}

# xl launch path: libxl starts ioreqd itself (device_model_override) and
# waits for its QMP handshake; xl create fails unless it completes.  The
# HVM guest then runs the PVH guest's checks with ioreqd as its only device
# model, and `xl destroy` must stop ioreqd.
xl_launch() {
	local name=$1 t0 d dmpid out=/tmp/$1.out dmlog=/var/log/xen/qemu-dm-xltest.log why=""
	shift
	t0=$(now)
	if ! xl -vvv create /etc/xentest/xltest.cfg "$@" >/tmp/xl-create.log 2>&1; then
		say "$name: xl create failed (libxl's device-model handshake); xl's log and the device-model log:"
		grep -E 'error|device model|[Ss]pawn|  /usr|qmp|QMP' /tmp/xl-create.log | sed 's/^/  xl| /'
		sed 's/^/  dm| /' "$dmlog" 2>/dev/null
		return 1
	fi
	d=$(xl domid xltest)
	say "xl create with ioreqd as device model returned 0 after $(since "$t0")s"
	# libxl records the device model's pid here; show the argv it gave it.
	dmpid=$(xenstore-read "/local/domain/$d/image/device-model-pid" 2>/dev/null)
	if [ -z "$dmpid" ] || dm_exited "$dmpid"; then
		say "$name: no running device model for domain $d (pid '${dmpid}'); device-model log:"
		sed 's/^/  dm| /' "$dmlog"
		xl destroy xltest
		return 1
	fi
	say "ioreqd is the device model (pid $dmpid), started by libxl as:"
	{ tr '\0' ' ' <"/proc/$dmpid/cmdline"; echo; } | fold -w 100 | sed 's/^/  dm| /'
	t0=$(now)
	wait_for 120 guest_says "$d" '^ioreqd-xentest: ' || why="no verdict within 120s"
	guest_lines "$d" | grep -v '^tick ' >"$out"
	say "xl-launched guest ran its checks in $(since "$t0")s:"
	sed 's/^/  guest| /' "$out"
	[ -n "$why" ] || why=$(verdict "$EXPECT_PVH" "$out")
	say "$name guest state: $(xl list xltest | awk 'NR == 2 { print $5 }')"
	# libxl stops its device model with SIGHUP; ioreqd must exit cleanly,
	# which it shows by printing its statistics.
	xl destroy xltest
	wait_for 30 dm_exited "$dmpid" || why="${why:+$why; }ioreqd outlived the domain"
	grep -q '^ioreqd statistics' "$dmlog" ||
		why="${why:+$why; }ioreqd did not stop cleanly (no statistics in its log)"
	if [ -n "$why" ]; then
		say "$name: $why; device-model log:"
		sed 's/^/  dm| /' "$dmlog"
		return 1
	fi
	say "$name: ioreqd exited after xl destroy; its statistics:"
	show_stats "$dmlog"
}

case_xl() { xl_launch xl; }
# libxl's dm_restrict: it passes -xen-domid-restrict, -chroot and -runas, and
# talks to ioreqd over QMP only (the xenstore state waits for "cont").
case_xlrestrict() { xl_launch xlrestrict dm_restrict=1; }

# xlsave: libxl saves, restores and live-migrates an HVM guest whose device
# model is ioreqd (device_model_override), with the guest checking its
# devices' state all along: `xl save` then `xl restore` (a new ioreqd
# started by libxl with -incoming), then `xl migrate` to this host (another
# new ioreqd; the old one reports the pages it wrote while libxl's dirty log
# was on).  The guest's config adds the register that tells it to run its
# save loop (xentest-xlsave.conf).
XLSAVE_DMLOG=/var/log/xen/qemu-dm-xltest
# xlsave_rounds DOMID: how many rounds domain DOMID reported.
xlsave_rounds() { guest_lines "$1" | grep -c '^xlsave: round [0-9]* ok'; }
xlsave_more() { [ "$(xlsave_rounds "$1")" -ge "$2" ]; }
# xlsave_step NAME COMMAND...: run an xl command, print its output and time.
xlsave_step() {
	local name=$1 t0 rc
	shift
	t0=$(now)
	"$@" >"/tmp/xlsave-$name.log" 2>&1
	rc=$?
	say "xlsave: $(for a; do [ -n "$a" ] && printf '%s ' "$a" || printf '"" '; done)-> status $rc after $(since "$t0")s:"
	grep -v -e '^ *$' -e 'progress: Frames' "/tmp/xlsave-$name.log" | tail -n 12 | sed 's/^/  xl| /'
	return $rc
}
case_xlsave() {
	local d d2 d3 why="" out=/tmp/xlsave.out img=/root/s.img dirty
	mkdir -p /root /var/lib/xen
	rm -f "$img" "$XLSAVE_DMLOG"*
	if ! xl create /etc/xentest/xltest.cfg \
		'device_model_args=["-c","/etc/ioreqd/xentest-xlsave.conf","-v"]' \
		>/tmp/xl-create.log 2>&1; then
		say "xlsave: xl create failed; its log:"
		sed 's/^/  xl| /' /tmp/xl-create.log
		return 1
	fi
	d=$(xl domid xltest)
	wait_for 120 xlsave_more "$d" 2 || why="domain $d never reported 2 rounds"
	[ -z "$why" ] && { xlsave_step save xl save xltest "$img" || why="xl save failed"; }
	[ -z "$why" ] && { xlsave_step restore xl restore "$img" || why="xl restore failed"; }
	d2=$(xl domid xltest 2>/dev/null)
	if [ -z "$why" ]; then
		wait_for 60 xlsave_more "$d2" 2 || why="restored domain $d2 never reported 2 rounds"
	fi
	[ -z "$why" ] && {
		xlsave_step migrate xl migrate -s "" xltest "xl migrate-receive" || why="xl migrate failed"
	}
	d3=$(xl domid xltest 2>/dev/null)
	if [ -z "$why" ]; then
		wait_for 60 xlsave_more "$d3" 2 || why="migrated domain $d3 never reported 2 rounds"
	fi
	for x in $d $d2 $d3; do
		guest_lines "$x" | grep '^xlsave: ' | sed "s/^/d$x /"
	done >"$out"
	say "xlsave: the guest's lines (first and last rounds of each domain, every failure):"
	for x in $d $d2 $d3; do
		grep "^d$x " "$out" | grep -v ' ok$' | head -n 4
		grep "^d$x .* ok$" "$out" | sed -n '1p;$p'
	done | sed 's/^/  guest| /'
	grep -q 'FAIL' "$out" && why="${why:+$why; }the guest found state that did not survive"
	xl destroy xltest 2>/dev/null
	# Each device model's log: libxl rotates the previous one to .1, .2, ...
	say "xlsave: what each ioreqd logged about the device state and the dirty log:"
	grep -hE 'saved .* device|loaded the state|dirty log|cannot' "$XLSAVE_DMLOG"* |
		sed 's/^/  dm| /'
	dirty=$(grep -hE 'dirty log off: [1-9][0-9]* page' "$XLSAVE_DMLOG"* | head -n 1)
	[ -n "$dirty" ] || why="${why:+$why; }no ioreqd reported dirty pages while the dirty log was on"
	if [ -n "$why" ]; then
		say "xlsave: $why; device-model logs:"
		tail -n 40 "$XLSAVE_DMLOG"* | sed 's/^/  dm| /'
		return 1
	fi
}

# cpu_ticks PID: user + system clock ticks the process has used so far.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null; }

# The hardened cases log to syslog: busybox syslogd writes this file.
SYSLOG=/var/log/messages
syslog_up() {
	[ -S /dev/log ] && return 0
	mkdir -p /var/log
	syslogd -O "$SYSLOG" || return 1
	wait_for 5 test -S /dev/log
}

# hardened NAME OPTIONS...: the PVH guest's checks with ioreqd detached,
# logging to syslog, and confined by OPTIONS.
hardened() {
	local name=$1 t0 t1 d pid ticks0 ticks1 out=/tmp/$1.out why="" rc lines
	local pidfile=/run/ioreqd/xentest-$1.pid sock cmdline="bench=0" want=$EXPECT_PVH
	shift
	if [ "$TESTDEV" = 1 ]; then
		cmdline="$cmdline pci=1 defer=1"
		want=$((want + EXPECT_PVH_TESTDEV))
	fi
	syslog_up || { say "$name: no syslogd"; return 1; }
	mkdir -p /var/empty /run/ioreqd
	t0=$(now)
	xl create -p /etc/xentest/pvhtest.cfg "cmdline=\"$cmdline\"" || return 1
	d=$(xl domid pvhtest)
	sock=/run/ioreqd/$d.sock
	rm -f "$pidfile"
	lines=$(wc -l <"$SYSLOG")
	# shellcheck disable=SC2086 # IOREQD_ARGS is a word list
	ioreqd -d "$d" -c "$CONF" --pidfile "$pidfile" --log syslog $IOREQD_ARGS "$@"
	rc=$?
	if [ $rc != 0 ] || ! wait_for 20 test -s "$pidfile"; then
		say "$name: ioreqd did not start (status $rc); syslog:"
		tail -n +$((lines + 1)) "$SYSLOG" | grep ioreqd | sed 's/^/  syslog| /'
		xl destroy pvhtest
		return 1
	fi
	pid=$(cat "$pidfile")
	say "$name: ioreqd $* detached (pid $pid) and serves domain $d after $(since "$t0")s"

	# Idle, with the guest still paused: under 1% of a CPU, i.e. under
	# 10 ticks (USER_HZ 100) in 10 s.
	ticks0=$(cpu_ticks "$pid")
	sleep 10
	ticks1=$(cpu_ticks "$pid")
	if [ -z "$ticks0" ] || [ -z "$ticks1" ]; then
		why="ioreqd died while idle"
	else
		say "$name: idle ioreqd used $((ticks1 - ticks0)) CPU ticks in 10 s (guest paused; limit 9)"
		[ $((ticks1 - ticks0)) -lt 10 ] || why="idle ioreqd used $((ticks1 - ticks0)) ticks in 10 s"
	fi

	xl unpause pvhtest
	t0=$(now)
	if [ -z "$why" ]; then
		wait_for 120 guest_says "$d" '^ioreqd-xentest: ' || why="no verdict within 120s"
		guest_lines "$d" | grep -v '^tick ' >"$out"
		say "$name: the guest ran its checks in $(since "$t0")s:"
		grep -E 'passed|FAIL' "$out" | sed 's/^/  guest| /'
		[ -n "$why" ] || why=$(verdict "$want" "$out")
	fi

	# The domain's death: exit 0 within 5 s, and clean up.  The clock
	# starts when xl destroy returns (the domain is dying by then), so a
	# slow xl under TCG is not charged to ioreqd.
	t0=$(now)
	xl destroy pvhtest
	t1=$(now)
	if ! wait_for 30 dm_exited "$pid"; then
		why="${why:+$why; }ioreqd still runs 30 s after xl destroy"
		kill -KILL "$pid"
	else
		say "$name: ioreqd exited $(since "$t1")s after xl destroy returned (which took $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')s)"
		awk -v a="$t1" -v b="$(now)" 'BEGIN { exit !(b - a <= 5) }' ||
			why="${why:+$why; }ioreqd took over 5 s to notice the domain's death"
	fi
	tail -n +$((lines + 1)) "$SYSLOG" | grep ioreqd >"$SYSLOG.$name"
	grep -q "exiting with status 0" "$SYSLOG.$name" ||
		why="${why:+$why; }no 'exiting with status 0' in syslog"
	grep -q "ioreqd statistics, domain $d" "$SYSLOG.$name" ||
		why="${why:+$why; }no statistics in syslog"
	[ -e "$pidfile" ] && why="${why:+$why; }the pidfile $pidfile is left behind"
	[ -e "$sock" ] && why="${why:+$why; }the control socket $sock is left behind"
	if [ -n "$why" ]; then
		say "$name: $why; syslog:"
		sed 's/^/  syslog| /' "$SYSLOG.$name"
		return 1
	fi
	say "$name: pidfile and control socket removed; ioreqd's last lines in syslog (debug left out):"
	grep -v 'daemon\.debug' "$SYSLOG.$name" | tail -n 16 | sed 's/^/  syslog| /'
}

case_restrict() { hardened restrict --restrict --chroot /var/empty --user nobody; }
case_seccomp() { hardened seccomp --restrict --chroot /var/empty --user nobody --seccomp; }
case_chroot() { hardened chroot --chroot /var/empty --user nobody --seccomp; }

# arm_irq_refused: a guest without the config's SPI (irq = 40; no vuart, so
# no SPIs at all): ioreqd must refuse to start, and say how to fix it.
arm_irq_refused() {
	local d log=/tmp/ioreqd-arm-noirq.log rc
	xl create -p /etc/xentest/armtest.cfg || return 1
	d=$(xl domid armtest)
	# shellcheck disable=SC2086 # IOREQD_ARGS is a word list
	timeout 60 ioreqd -f -d "$d" -c "$CONF" $IOREQD_ARGS >"$log" 2>&1
	rc=$?
	xl destroy armtest
	if [ $rc != 1 ] || ! grep -q 'has no interrupt 40.*vuart' "$log"; then
		say "arm: ioreqd did not refuse irq 40 on a guest without it (status $rc); its log:"
		sed 's/^/  ioreqd| /' "$log"
		return 1
	fi
	say "arm: ioreqd refused irq 40 on a guest without that SPI (status 1):"
	grep -E 'has no interrupt|cannot reach' "$log" | fold -w 110 | sed 's/^/  ioreqd| /'
}

case_arm() {
	local t0 d con=/tmp/armtest-console.log out=/tmp/arm.out why=""
	arm_irq_refused || return 1
	t0=$(now)
	# With the vuart, the guest's vGIC has INTIDs 32..63: irq 40 is accepted.
	xl create -p /etc/xentest/armtest.cfg 'vuart="sbsa_uart"' || return 1
	d=$(xl domid armtest)
	start_ioreqd "$d" /tmp/ioreqd-arm.log "$t0" || { xl destroy armtest; return 1; }
	xl unpause armtest
	t0=$(now)
	# The guest's lines arrive through ioreqd's debugcon hook ("[dN] line").
	wait_for 120 grep -q 'ioreqd-xentest-arm: [0-9]' "$con" || why="no verdict within 120s"
	sed 's/^\[d[0-9]*\] //' "$con" >"$out" 2>/dev/null
	say "arm guest ran its checks in $(since "$t0")s:"
	sed 's/^/  guest| /' "$out"
	[ -n "$why" ] || why=$(verdict "$EXPECT_ARM" "$out")
	[ -n "$why" ] && sed 's/^/  ioreqd| /' /tmp/ioreqd-arm.log
	xl destroy armtest
	if [ -z "$why" ] && { ! wait_ioreqd_exit 30 || [ "$IOREQD_STATUS" != 0 ]; }; then
		why="ioreqd did not exit cleanly after xl destroy (status $IOREQD_STATUS)"
	fi
	alive "$IOREQD_PID" && kill -KILL "$IOREQD_PID"
	[ -z "$why" ] || { say "arm: $why"; return 1; }
	say "ioreqd exited with status 0 after xl destroy; its statistics:"
	show_stats /tmp/ioreqd-arm.log
}

# The vblk case's disk: VBLK_MB MiB on /dev/loop0 (libxl wants a block
# device for a standalone virtio disk in dom0), dom0's pattern at sector 0;
# the guest puts its mark at sector VBLK_MARK (28 MiB), behind an ext4 of
# VBLK_FS.  The backend keys are libxl's for vdev xvda (devid 51712).
VBLK_IMG=/tmp/vblk.img
VBLK_MB=32
VBLK_MARK=57344
VBLK_MARK_TEXT=ioreqd-vblk-guest-mark
VBLK_FS=24M
VBLK_PATTERN=IOREQD-VIRTIO-OK
VBLK_BE=/local/domain/0/backend/virtio_disk
VBLK_SHA256=none
VBLK_DEVID=51712
VBLK_CONSOLE=/var/log/xen/console/guest-vblk.log

vblk_disk() {
	if [ ! -e /dev/loop-control ]; then
		insmod "/lib/modules/$(uname -r)/kernel/drivers/block/loop.ko" || return 1
	fi
	rm -f "$VBLK_IMG"
	dd if=/dev/zero of="$VBLK_IMG" bs=1M count="$VBLK_MB" 2>/dev/null &&
		printf '%s' "$VBLK_PATTERN" | dd of="$VBLK_IMG" conv=notrunc 2>/dev/null &&
		wait_for 10 test -b /dev/loop0 &&
		losetup /dev/loop0 "$VBLK_IMG"
}

vblk_key() { xenstore-read "$VBLK_BE/$1/$VBLK_DEVID/$2" 2>/dev/null; }
vblk_gone() { ! xl domid vblk >/dev/null 2>&1; }
VBLK_WATCH_LOG=/tmp/ioreqd-watch.log
# vblk_watch_says REGEX: a line of the watcher's log matches.
vblk_watch_says() { grep -q "$1" "$VBLK_WATCH_LOG"; }
# vblk_child_stats DOMID: the statistics the domain's ioreqd printed at exit
# (into the watcher's log, whose stderr it shares).
vblk_child_stats() {
	awk -v h="ioreqd statistics, domain $1:" '$0 == h { p = 1; print; next }
		p && /^  / { print; next } { p = 0 }' "$VBLK_WATCH_LOG" | sed 's/^/  ioreqd| /'
}

# vblk_watch_start: the dom0 service, as a host runs it (ioreqd-watch.service)
# but in the foreground: it must be up before xl create, since libxl gives
# the backend 10 s to reach InitWait.
vblk_watch_start() {
	rm -f "$VBLK_WATCH_LOG"
	# shellcheck disable=SC2086 # IOREQD_ARGS is a word list
	ioreqd --watch -f --log stderr --hook-dir /usr/lib/ioreqd $IOREQD_ARGS >"$VBLK_WATCH_LOG" 2>&1 &
	VBLK_WATCH_PID=$!
	if ! wait_for 20 vblk_watch_says 'watching /local/domain/0/backend/virtio_disk'; then
		say "vblk: ioreqd --watch did not start; its log:"
		sed 's/^/  watch| /' "$VBLK_WATCH_LOG"
		alive "$VBLK_WATCH_PID" && kill -KILL "$VBLK_WATCH_PID"
		return 1
	fi
	say "vblk: ioreqd --watch (pid $VBLK_WATCH_PID) watches libxl's virtio backends"
}

# vblk_watch_stop: SIGTERM; the watcher must exit with status 0.
vblk_watch_stop() {
	local st
	kill -TERM "$VBLK_WATCH_PID"
	if ! wait_for 20 exited "$VBLK_WATCH_PID"; then
		kill -KILL "$VBLK_WATCH_PID"
		say "vblk: ioreqd --watch still ran 20 s after SIGTERM"
		return 1
	fi
	wait "$VBLK_WATCH_PID"
	st=$?
	say "vblk: ioreqd --watch exited with status $st on SIGTERM"
	[ "$st" = 0 ]
}

# vblk_domain MODE WANT: create domain "vblk" on the disk with the guest in
# MODE (write, read; see guest/vblk/init).  The watcher must start an ioreqd
# for it and answer InitWait, or xl create fails; the guest must pass WANT
# checks and power off; the watcher must then answer Closing with Closed and
# its child must exit.  The guest's lines are in /tmp/vblk-MODE.out.
vblk_domain() {
	local mode=$1 t0 d pid out=/tmp/vblk-$1.out why=""
	local extra="console=hvc0 rdinit=/init loglevel=4 vblk_mode=$mode vblk_sectors=$((VBLK_MB * 2048)) vblk_mark=$VBLK_MARK vblk_fs=$VBLK_FS vblk_pattern=$VBLK_PATTERN vblk_sha256=$VBLK_SHA256"
	rm -f "$VBLK_CONSOLE"
	t0=$(now)
	if ! xl create /etc/xentest/vblk.cfg "extra=\"$extra\"" >/tmp/xl-vblk.log 2>&1; then
		say "vblk: xl create failed; xl and the watcher said:"
		sed 's/^/  xl| /' /tmp/xl-vblk.log
		sed 's/^/  watch| /' "$VBLK_WATCH_LOG"
		xl destroy vblk 2>/dev/null
		return 1
	fi
	d=$(xl domid vblk)
	pid=$(sed -n "s/^.*domain $d: ioreqd pid \([0-9]*\) serves.*/\1/p" "$VBLK_WATCH_LOG" | tail -n 1)
	say "vblk: xl create returned 0 after $(since "$t0")s (domain $d, backend state $(vblk_key "$d" state)); the watcher said:"
	grep -E "domain ${d}[: ]" "$VBLK_WATCH_LOG" | sed 's/^/  watch| /'
	t0=$(now)
	if ! wait_for "$LINUX_TIMEOUT" grep -q '^ioreqd-xentest-vblk: ' "$VBLK_CONSOLE"; then
		why="no verdict within ${LINUX_TIMEOUT}s"
		# The child's statistics at this point (SIGUSR1) go to the log.
		[ -n "$pid" ] && kill -USR1 "$pid" 2>/dev/null
		sleep 1
	fi
	tr -d '\r' <"$VBLK_CONSOLE" | grep -E '^(ok|FAIL|VBLK|ioreqd-xentest)|Kernel panic|Oops|Unable to handle' >"$out"
	say "vblk ($mode): the guest booted and ran its checks in $(since "$t0")s:"
	sed 's/^/  guest| /' "$out"
	# The guest powers off; libxl then moves the backend to Closing (5),
	# waits for Closed (6) and destroys the domain.
	t0=$(now)
	[ -n "$why" ] && xl destroy vblk 2>/dev/null
	wait_for 60 vblk_gone || why="${why:+$why; }domain $d still there 60 s after its verdict"
	vblk_watch_says "domain $d virtio_disk device $VBLK_DEVID: Closed" ||
		why="${why:+$why; }the watcher did not answer Closing with Closed"
	if [ -z "$pid" ] || ! wait_for 30 dm_exited "$pid"; then
		why="${why:+$why; }domain $d's ioreqd (pid '$pid') did not exit"
	fi
	say "vblk ($mode): domain $d gone, backend Closed and its ioreqd exited $(since "$t0")s after the verdict; the watcher said:"
	grep -E "domain ${d}[: ]" "$VBLK_WATCH_LOG" | grep -v -E 'InitWait|started|serves' | sed 's/^/  watch| /'
	[ -n "$why" ] || why=$(verdict "$2" "$out")
	if [ -n "$why" ]; then
		say "vblk ($mode): $why; console tail and the watcher's log:"
		tail -n 30 "$VBLK_CONSOLE" | sed 's/^/  console| /'
		sed 's/^/  watch| /' "$VBLK_WATCH_LOG"
		return 1
	fi
	say "vblk ($mode): domain $d's ioreqd statistics:"
	vblk_child_stats "$d"
}

# vblk_image: dom0's look at what the first guest left on the disk: its
# mark, a clean ext4 (e2fsck -fn) and the files' checksums as the guest
# printed them, read back with debugfs.
vblk_image() {
	local got sum name file why=""
	got=$(dd if=/dev/loop0 bs=512 skip="$VBLK_MARK" count=1 2>/dev/null | head -c ${#VBLK_MARK_TEXT})
	if [ "$got" = "$VBLK_MARK_TEXT" ]; then
		say "vblk: dom0 reads the guest's mark at sector $VBLK_MARK"
	else
		why="the guest's mark at sector $VBLK_MARK reads '$got' in dom0"
	fi
	if e2fsck -fn /dev/loop0 >/tmp/vblk-e2fsck.log 2>&1; then
		say "vblk: e2fsck -fn of the guest's ext4 is clean:"
	else
		why="${why:+$why; }e2fsck -fn found problems"
		say "vblk: e2fsck -fn:"
	fi
	sed 's/^/  e2fsck| /' /tmp/vblk-e2fsck.log
	sed -n 's/^VBLK: sha256 //p' /tmp/vblk-write.out >/tmp/vblk-sums
	[ -s /tmp/vblk-sums ] || why="${why:+$why; }the guest printed no checksums"
	while read -r sum name; do
		file=$(debugfs -R "cat $name" /dev/loop0 2>/dev/null | sha256sum | cut -d' ' -f1)
		if [ "$file" = "$sum" ]; then
			say "vblk: $name in the image matches the guest's sha256 $sum"
		else
			why="${why:+$why; }$name in the image has sha256 $file, the guest wrote $sum"
		fi
	done </tmp/vblk-sums
	# What the next domain must read, end to end.
	VBLK_SHA256=$(sha256sum /dev/loop0 | cut -d' ' -f1)
	say "vblk: the disk's sha256 in dom0 is $VBLK_SHA256"
	[ -z "$why" ] || { say "vblk: $why"; return 1; }
}

# vblk: a Linux guest on libxl's own virtio disk, which ioreqd --watch serves (see
# guest/vblk/init).  The first domain checks dom0's pattern, writes its mark,
# makes an ext4 and files; dom0 then checks the image; a second domain on the
# same disk reads the mark and checks the files.
case_vblk() {
	local t0 why=""
	vblk_disk || { say "vblk: cannot set up /dev/loop0 on $VBLK_IMG"; return 1; }
	vblk_watch_start || { losetup -d /dev/loop0; return 1; }
	t0=$(now)
	vblk_domain write "$EXPECT_VBLK_WRITE" || why="the first domain failed"
	say "vblk: the first domain took $(since "$t0")s from xl create to its end"
	if [ -z "$why" ]; then
		vblk_image || why="the image is not what the guest wrote"
	fi
	if [ -z "$why" ]; then
		t0=$(now)
		vblk_domain read "$EXPECT_VBLK_READ" || why="the second domain failed"
		say "vblk: the second domain took $(since "$t0")s from xl create to its end"
	fi
	vblk_watch_stop || why="${why:+$why; }ioreqd --watch did not stop cleanly"
	losetup -d /dev/loop0
	[ -z "$why" ] || { say "vblk: $why"; return 1; }
}

# watch_serves DOMID: the domain's virtio disk reached InitWait through
# ioreqd --watch, whose child for that domain answers --stats.
watch_serves() {
	local be=/local/domain/0/backend/virtio_disk/$1/51712
	[ "$(xenstore-read "$be/state" 2>/dev/null)" = 2 ] || { say "watch: $be/state is not 2"; return 1; }
	ioreqd --stats -d "$1" >/tmp/watch-stats.out 2>&1 ||
		{ say "watch: no ioreqd answers --stats for domain $1"; return 1; }
	grep -q 0x2000000 /tmp/watch-stats.out ||
		{ say "watch: domain $1's ioreqd does not serve 0x2000000"; return 1; }
}

# watch: ioreqd --watch as the dom0 service for libxl's virtio disk (Arm):
# `xl create` of a guest with the xl disk line must succeed (libxl waits
# 10 s for InitWait), `xl destroy` must be answered Closed (no 10 s wait),
# a second domain must be served the same way, and SIGTERM must stop the
# watcher with status 0.  The guest stays paused: the Linux guest that
# drives the disk is the arm64 Linux case's.
case_watch() {
	local log=/tmp/ioreqd-watch-case.log t0 d n why="" pid
	local disk='disk=["format=raw,vdev=xvda,access=rw,backendtype=standalone,specification=virtio,target=/root/vdisk.img"]'
	dd if=/dev/zero of=/root/vdisk.img bs=1M count=4 2>/dev/null
	# shellcheck disable=SC2086 # IOREQD_ARGS is a word list
	ioreqd --watch -f --log stderr --hook-dir /usr/lib/ioreqd $IOREQD_ARGS >"$log" 2>&1 &
	pid=$!
	wait_for 10 grep -q 'watching /local/domain/0/backend' "$log" ||
		{ say "watch: the watcher did not start"; sed 's/^/  watch| /' "$log"; kill "$pid"; return 1; }
	for n in 1 2; do
		t0=$(now)
		xl create -p /etc/xentest/armtest.cfg "$disk" || { why="xl create $n failed"; break; }
		d=$(xl domid armtest)
		say "watch: xl create $n (domain $d) returned after $(since "$t0")s"
		watch_serves "$d" || { why="domain $d not served"; xl destroy armtest; break; }
		t0=$(now)
		xl destroy armtest || { why="xl destroy $n failed"; break; }
		say "watch: xl destroy $n took $(since "$t0")s"
		wait_for 10 grep -q "domain $d virtio_disk device 51712: Closed" "$log" ||
			{ why="domain $d's disk was not answered Closed"; break; }
		[ -z "$(xenstore-ls /local/domain/0/backend/virtio_disk/$d 2>/dev/null)" ] ||
			{ why="domain $d's backend entry is left behind"; break; }
	done
	kill -TERM "$pid"
	wait_for 30 exited "$pid" || { why="${why:-the watcher did not stop on SIGTERM}"; kill -KILL "$pid"; }
	wait "$pid"
	[ $? = 0 ] || why="${why:-the watcher exited non-zero after SIGTERM}"
	sed 's/^/  watch| /' "$log"
	[ -z "$why" ] || { say "watch: $why"; return 1; }
	say "watch: two domains served and closed; the watcher stopped with status 0"
}

# --- vpci: ioreqd's virtio-pci functions next to QEMU --------------------
VPCI_CONF=/etc/ioreqd/xentest-vpci.conf
VPCI_IMG=/tmp/vpci-disk.img
VPCI_DMLOG=/var/log/xen/qemu-dm-vpcilinux.log

# sha_of CMD...: the sha256 of CMD's output.
sha_of() { "$@" 2>/dev/null | sha256sum | cut -d' ' -f1; }
pattern() { yes "$1" | head -c "$2"; }

# vpci_image: dom0's checks of the disk once the guest is gone: the guest's
# pattern in the last MiB (outside the file system; dom0's in sector 0 the
# guest checked before mkfs.ext4 wrote there), a clean e2fsck, and the
# files' checksums read with debugfs against the list the guest stored.
vpci_image() {
	local why="" out sum name got
	[ "$(sha_of dd if=$VPCI_IMG bs=4096 skip=$((31 * 256)) count=1)" = \
		"$(sha_of pattern ioreqd-vpci-guest-lastmib 4096)" ] ||
		why="the guest's pattern is not in the last MiB"
	say "vpci: the last MiB of the image holds the guest's pattern${why:+ (NOT: $why)}"
	out=$(e2fsck -fn "$VPCI_IMG" 2>&1)
	# shellcheck disable=SC2181 # the status of the assignment's command
	[ $? = 0 ] || why="${why:+$why; }e2fsck -fn found problems"
	say "vpci: e2fsck -fn $VPCI_IMG:"
	echo "$out" | sed 's/^/  e2fsck| /'
	debugfs -R 'cat /sums' "$VPCI_IMG" 2>/dev/null >/tmp/vpci-sums
	[ -s /tmp/vpci-sums ] || why="${why:+$why; }no /sums in the file system"
	while read -r sum name; do
		got=$(sha_of debugfs -R "cat /$name" "$VPCI_IMG")
		if [ "$got" = "$sum" ]; then
			say "vpci: debugfs: /$name sha256 $sum as the guest wrote it"
		else
			say "vpci: debugfs: /$name sha256 $got, the guest wrote $sum"
			why="${why:+$why; }/$name differs"
		fi
	done </tmp/vpci-sums
	[ -z "$why" ] || { say "vpci: image: $why"; return 1; }
}

# vpci_progress DOMID CONSOLE: the guest gave its verdict or opened its console.
vpci_progress() { guest_says "$1" '^ioreqd-xentest-vpci: ' || grep -q guest-ready "$2"; }

case_vpci() {
	local t0 d pts catpid out=/tmp/vpci.out con=/tmp/vpci-console.out why="" line
	t0=$(now)
	rm -f "$VPCI_IMG"
	dd if=/dev/zero of="$VPCI_IMG" bs=1M count=32 2>/dev/null
	pattern ioreqd-vpci-dom0-sector0 512 | dd of="$VPCI_IMG" conv=notrunc 2>/dev/null
	if ! xl create -p /etc/xentest/vpcilinux.cfg >/tmp/xl-vpci.log 2>&1; then
		say "vpci: xl create failed; its output and QEMU's log:"
		sed 's/^/  xl| /' /tmp/xl-vpci.log
		sed 's/^/  dm| /' "$VPCI_DMLOG" 2>/dev/null
		return 1
	fi
	d=$(xl domid vpcilinux)
	say "vpci: HVM domain $d created paused with QEMU after $(since "$t0")s"
	start_ioreqd "$d" /tmp/ioreqd-vpci.log "$t0" "$VPCI_CONF" || { xl destroy vpcilinux; return 1; }
	pts=$(sed -n 's|.*serial line on \(/dev/pts/[0-9]*\).*|\1|p' /tmp/ioreqd-vpci.log | head -n 1)
	if [ -z "$pts" ]; then
		say "vpci: no pty in ioreqd's log:"
		sed 's/^/  ioreqd| /' /tmp/ioreqd-vpci.log
		xl destroy vpcilinux
		return 1
	fi
	: >"$con"
	cat "$pts" >"$con" &
	catpid=$!
	xl unpause vpcilinux
	t0=$(now)
	# The console round trip: the guest announces itself on its port, dom0
	# answers with a line, and the guest sends that line back.
	line="dom0-line-$d-$(now_s)"
	if ! wait_for "$VPCI_TIMEOUT" vpci_progress "$d" "$con"; then
		why="no verdict within ${VPCI_TIMEOUT}s"
	elif grep -q guest-ready "$con"; then
		say "vpci: the guest's console port is up after $(since "$t0")s; dom0 writes '$line' to $pts"
		echo "$line" >"$pts"
		wait_for 120 grep -q "guest-got: $line" "$con" ||
			why="the guest's reply never reached dom0"
	fi
	[ -n "$why" ] || wait_for "$VPCI_TIMEOUT" guest_says "$d" '^ioreqd-xentest-vpci: ' ||
		why="no verdict within ${VPCI_TIMEOUT}s"
	guest_lines "$d" >/tmp/vpci-all.out
	grep -E '^(ok|FAIL|DOMU|ioreqd-xentest|[a-z]+\| )|Kernel panic|Oops|BUG|Call Trace' \
		/tmp/vpci-all.out >"$out"
	say "vpci guest booted and ran its checks in $(since "$t0")s:"
	sed 's/^/  guest| /' "$out"
	say "vpci: console pty $pts, as dom0 read it:"
	tr -d '\r' <"$con" | sed 's/^/  console| /'
	kill "$catpid" 2>/dev/null
	[ -n "$why" ] || why=$(verdict "$EXPECT_VPCI" "$out")
	if [ -n "$why" ]; then
		say "vpci: $why; the guest's last lines, ioreqd's log and QEMU's:"
		tail -n 40 /tmp/vpci-all.out | sed 's/^/  guest| /'
		sed 's/^/  ioreqd| /' /tmp/ioreqd-vpci.log
		ioreqd --stats -d "$d" 2>&1 | sed 's/^/  stats| /'
		tail -n 20 "$VPCI_DMLOG" 2>/dev/null | sed 's/^/  dm| /'
		xl destroy vpcilinux
		return 1
	fi
	t0=$(now)
	xl destroy vpcilinux
	if ! wait_ioreqd_exit 30 || [ "$IOREQD_STATUS" != 0 ]; then
		say "vpci: ioreqd did not exit cleanly after xl destroy (status $IOREQD_STATUS)"
		tail -n 20 /tmp/ioreqd-vpci.log | sed 's/^/  ioreqd| /'
		alive "$IOREQD_PID" && kill -KILL "$IOREQD_PID"
		return 1
	fi
	say "vpci: ioreqd exited with status 0 $(since "$t0")s after xl destroy; its log and statistics:"
	grep -E 'virtio|BAR|warning' /tmp/ioreqd-vpci.log | grep -v '^  ' | head -n 20 | sed 's/^/  ioreqd| /'
	show_stats /tmp/ioreqd-vpci.log
	vpci_image
}

# --- bench: make bench-xen, ioreqd's virtio-blk and port next to QEMU's -----
BENCH_CONF=/etc/ioreqd/xentest-bench.conf
# The third column: a second ioreqd with --poll-us (BENCH_POLL_US, 0: none).
BENCH_POLL_CONF=/etc/ioreqd/xentest-bench-poll.conf
# ioreqd's breakdown: a third ioreqd with latency_stats, on a port only, so
# that its clock reads (costly in a PV dom0) stay out of the other columns.
BENCH_LAT_CONF=/etc/ioreqd/xentest-bench-lat.conf
BENCH_DMLOG=/var/log/xen/qemu-dm-vbench.log
# The disks are this big and hold the same random bytes.
BENCH_MIB=64

bench_ended() { guest_says "$1" '^ioreqd-xenbench: '; }

# bench_stats STATS NAME PORT: "NAME key value" lines for bench_table from
# an ioreqd --stats table: its latency group, its poll line and the reads
# of its port's range.
bench_stats() {
	sed -n 's/^ *backend xen latency: //p' "$1" | tail -n 1 | tr ',' '\n' |
		awk -v n="$2" 'NF == 2 { print n, $1, $2 }'
	sed -n 's/^ *adaptive poll up to \([0-9]*\) us.*: \([0-9]*\) spin(s), \([0-9]*\) found a request.*/\1 \2 \3/p' "$1" |
		awk -v n="$2" '{ print n, "poll_cap_us", $1; print n, "polls", $2; print n, "poll_hits", $3 }'
	awk -v n="$2" -v p="$3" '$1 == "pio" && index($2, p "-") == 1 { print n, "port_reads_seen", $5; exit }' "$1"
}

# bench_table RESULTS TARGET...: the table, from the guest's "vbench:" lines
# and bench_stats' lines (on stdin).  Ratios are TARGET / QEMU; a target
# MISSED is reported, never failed.
bench_table() {
	local res=$1
	shift
	awk -v names="$*" -v res="$res" '
	BEGIN {
		nt = split(names, t, " ")
		# The lower block: every daemon, and the one with latency_stats.
		nd = split(names " lat", dm, " ")
		label["ioreqd"] = "ioreqd"; label["poll"] = "+poll"; label["lat"] = "+latency"
		while ((getline line < res) > 0) {
			split(line, f, " ")
			if (f[1] == "vbench:" && f[2] == "result") v[f[3] "," f[4]] = f[5]
			if (f[1] == "vbench:" && f[2] == "round" && (f[5] == "rand4k" || f[5] == "seq1m"))
				per[f[4] "," f[5]] = per[f[4] "," f[5]] " " f[6]
		}
	}
	{ st[$1 "," $2] = $3 }
	function row(what, key, higher, target,   k, q, x, r, line, tt) {
		q = v["qemu," key]
		line = sprintf("%-32s %10s", what, q == "" ? "?" : q)
		for (k = 1; k <= nt; k++) line = line sprintf(" %10s", v[t[k] "," key] == "" ? "?" : v[t[k] "," key])
		tt = target == "" ? "-" : (higher ? ">= " : "<= ") target
		line = line sprintf("  %-7s", tt)
		for (k = 1; k <= nt; k++) {
			x = v[t[k] "," key]
			# No figure to compare (QEMU'"'"'s missing or 0, or this
			# column'"'"'s): no ratio, and no verdict - a 0 would meet
			# every "<=" target.
			if (q == "" || q <= 0 || x == "") {
				line = line sprintf(" %7s %-6s", "?", target == "" ? "" : "?")
				continue
			}
			r = x / q
			line = line sprintf(" %6.2fx", r)
			if (target != "") line = line sprintf(" %-6s", (higher ? r >= target : r <= target) ? "MET" : "MISSED")
			else line = line sprintf(" %-6s", "")
		}
		print line
	}
	function part(what, key,   k, line) {
		line = sprintf("  %-46s", what)
		for (k = 1; k <= nd; k++) line = line sprintf(" %12s", st[dm[k] "," key] == "" ? "-" : st[dm[k] "," key])
		print line
	}
	END {
		line = sprintf("%-32s %10s", "figure", "QEMU")
		for (k = 1; k <= nt; k++) line = line sprintf(" %10s", label[t[k]])
		line = line sprintf("  %-7s", "target")
		for (k = 1; k <= nt; k++) line = line sprintf(" %-14s", label[t[k]] "/QEMU")
		print line
		row("4 KiB random reads, IOPS", "rand4k_iops", 1, "1.0")
		row("1 MiB sequential reads, MiB/s", "seq1m_mibs", 1, "1.0")
		row("port read round trip, median ns", "port_median_ns", 0, "0.8")
		row("port read round trip, p90 ns", "port_p90_ns", 0, "")
		for (k = 0; k <= nt; k++) {
			n = k ? t[k] : "qemu"
			printf "per round %-7s rand4k IOPS%s; seq1m MiB/s%s\n", k ? label[n] : "QEMU", per[n ",rand4k"], per[n ",seq1m"]
		}
		line = sprintf("%-48s", "each ioreqd, ns:")
		for (k = 1; k <= nd; k++) line = line sprintf(" %12s", label[dm[k]])
		print line
		for (k = 1; k <= nd; k++) {
			st[dm[k] ",guest"] = v[dm[k] ",port_median_ns"]
			st[dm[k] ",timed"] = v[dm[k] ",port_reads"]
		}
		part("the guest'"'"'s port read round trip (median)", "guest")
		part("ioreqd: event-channel wake-up to slot read", "wake_ns")
		part("ioreqd: handling (engine, scratch hook)", "handle_ns")
		part("ioreqd: completion to notify returned", "notify_ns")
		part("ioreqd: total (median of each request'"'"'s sum)", "total_ns")
		part("ioreqd: total, p90", "total_p90_ns")
		part("latency_stats'"'"' own cost: 4 dom0 clock reads", "clock_x4")
		part("requests timed (the last 4096 count)", "samples")
		part("port reads ioreqd counted", "port_reads_seen")
		part("port reads the guest timed", "timed")
		if (st["poll,polls"] != "") {
			part("adaptive poll: spins after a request", "polls")
			part("adaptive poll: spins that found one", "poll_hits")
		}
	}'
}

# bench_start_extra DOMID NAME CONF OPTIONS...: another ioreqd for the same
# guest, for another column: the one with --poll-us, and the one with
# latency_stats.  ioreqd serves a domain once (its lock and socket are in
# /run/ioreqd); these serve other ranges, so each gets a /run/ioreqd of its
# own in a mount namespace, and its control socket at /tmp/ioreqd-NAME.sock.
# Sets EXTRA_PID.
bench_start_extra() {
	local d=$1 name=$2 conf=$3 pidfile=/run/ioreqd-bench-$2.pid
	shift 3
	rm -f "$pidfile"
	mkdir -p /run/ioreqd
	# shellcheck disable=SC2086 # IOREQD_ARGS is a word list
	unshare -m sh -c "mount -t tmpfs tmpfs /run/ioreqd && exec ioreqd -f -d $d \
		-c $conf --pidfile $pidfile --control /tmp/ioreqd-$name.sock $* $IOREQD_ARGS" \
		>"/tmp/ioreqd-bench-$name.log" 2>&1 &
	EXTRA_PID=$!
	if ! wait_for 20 pidfile_or_exit "$pidfile" "$EXTRA_PID" || exited "$EXTRA_PID"; then
		say "bench: the ioreqd for column $name ($*) did not start; its log:"
		sed "s/^/  ioreqd-$name| /" "/tmp/ioreqd-bench-$name.log"
		return 1
	fi
	say "bench: another ioreqd ($name: -c $conf $*) serving domain $d (pid $EXTRA_PID)"
}

case_bench() {
	local t0 d why="" all=/tmp/bench-all.out out=/tmp/bench.out stats=/tmp/bench-stats.out
	local pstats=/tmp/bench-poll-stats.out lstats=/tmp/bench-lat-stats.out
	local targets=ioreqd poll=0 clk n
	POLL_PID=""
	[ "${BENCH_POLL_US:-0}" -gt 0 ] && poll=1 && targets="ioreqd poll"
	t0=$(now)
	rm -f /tmp/bench-qemu.img /tmp/bench-ioreqd.img /tmp/bench-poll.img "$pstats" "$lstats"
	dd if=/dev/urandom of=/tmp/bench-ioreqd.img bs=1M count=$BENCH_MIB 2>/dev/null
	cp /tmp/bench-ioreqd.img /tmp/bench-qemu.img
	[ $poll = 0 ] || cp /tmp/bench-ioreqd.img /tmp/bench-poll.img
	# The guest takes its settings from the kernel command line.
	# shellcheck disable=SC2153 # BENCH_* come from /etc/xentest/env
	sed "s|^cmdline = \"\(.*\)\"|cmdline = \"\1 vbench.rounds=$BENCH_ROUNDS vbench.ms=$BENCH_MS vbench.reads=$BENCH_READS vbench.poll=$poll\"|" \
		/etc/xentest/vbench.cfg >/tmp/vbench.cfg
	if ! xl create -p /tmp/vbench.cfg >/tmp/xl-bench.log 2>&1; then
		say "bench: xl create failed; its output and QEMU's log:"
		sed 's/^/  xl| /' /tmp/xl-bench.log
		sed 's/^/  dm| /' "$BENCH_DMLOG" 2>/dev/null
		return 1
	fi
	d=$(xl domid vbench)
	say "bench: HVM domain $d created paused with QEMU after $(since "$t0")s"
	start_ioreqd "$d" /tmp/ioreqd-bench.log "$t0" "$BENCH_CONF" || { xl destroy vbench; return 1; }
	if [ $poll = 1 ]; then
		bench_start_extra "$d" poll "$BENCH_POLL_CONF" --poll-us "$BENCH_POLL_US" ||
			{ xl destroy vbench; return 1; }
		POLL_PID=$EXTRA_PID
	fi
	bench_start_extra "$d" lat "$BENCH_LAT_CONF" || { xl destroy vbench; return 1; }
	LAT_PID=$EXTRA_PID
	xl unpause vbench
	t0=$(now)
	wait_for "$BENCH_TIMEOUT" bench_ended "$d" || why="no result within ${BENCH_TIMEOUT}s"
	# At once: each ioreqd's most recent requests are the guest's port reads.
	ioreqd --stats -d "$d" >"$stats" 2>&1
	[ $poll = 0 ] || ioreqd --stats -d "$d" --control /tmp/ioreqd-poll.sock >"$pstats" 2>&1
	ioreqd --stats -d "$d" --control /tmp/ioreqd-lat.sock >"$lstats" 2>&1
	guest_lines "$d" >"$all"
	grep -E '^(DOMU|vbench|ioreqd-xenbench)|Kernel panic|Oops|BUG|Call Trace' "$all" >"$out"
	say "bench guest booted and ran in $(since "$t0")s:"
	sed 's/^/  guest| /' "$out"
	[ -n "$why" ] || why=$(sed -n 's/^ioreqd-xenbench: broken: //p' "$out")
	[ -n "$why" ] || grep -q '^vbench: done' "$out" || why="vbench did not finish"
	if [ -n "$why" ]; then
		say "bench: $why; the guest's last lines, ioreqd's logs and QEMU's:"
		tail -n 40 "$all" | sed 's/^/  guest| /'
		sed 's/^/  ioreqd| /' /tmp/ioreqd-bench.log
		[ $poll = 0 ] || sed 's/^/  ioreqd-poll| /' /tmp/ioreqd-bench-poll.log
		sed 's/^/  ioreqd-lat| /' /tmp/ioreqd-bench-lat.log
		tail -n 20 "$BENCH_DMLOG" 2>/dev/null | sed 's/^/  dm| /'
		xl destroy vbench
		return 1
	fi
	say "bench: ioreqd --stats right after the port reads:"
	sed 's/^/  stats| /' "$stats"
	if [ $poll = 1 ]; then
		say "bench: the ioreqd with --poll-us $BENCH_POLL_US:"
		sed 's/^/  stats| /' "$pstats"
	fi
	say "bench: the ioreqd with latency_stats:"
	sed 's/^/  stats| /' "$lstats"
	say "bench: the table (ratios to QEMU; a missed target is not a failure):"
	# What latency_stats itself costs ioreqd: four clock reads per request.
	clk=$(/etc/xentest/vbench clock | sed -n 's/.* costs \([0-9]*\) ns/\1/p')
	# shellcheck disable=SC2086 # targets is a word list
	{
		bench_stats "$stats" ioreqd 0x5e0
		[ $poll = 0 ] || bench_stats "$pstats" poll 0x5e8
		bench_stats "$lstats" lat 0x5d0
		echo "lat clock_x4 $((${clk:-0} * 4))"
	} | bench_table "$out" $targets | sed 's/^/  bench| /'
	xl destroy vbench
	for n in ${POLL_PID:+"$POLL_PID"} "$LAT_PID"; do
		wait_for 30 exited "$n" && continue
		why="an ioreqd (pid $n) did not exit after xl destroy"
		kill -KILL "$n"
	done
	if ! wait_ioreqd_exit 30 || [ "$IOREQD_STATUS" != 0 ]; then
		say "bench: ioreqd did not exit cleanly after xl destroy (status $IOREQD_STATUS)"
		tail -n 20 /tmp/ioreqd-bench.log | sed 's/^/  ioreqd| /'
		alive "$IOREQD_PID" && kill -KILL "$IOREQD_PID"
		return 1
	fi
	[ -z "$why" ] || { say "bench: $why"; return 1; }
}

passed=0
for c in $CASES; do
	t0=$(now)
	say "case $c: start"
	if "case_$c"; then
		passed=$((passed + 1))
		say "case $c: PASS ($(since "$t0")s)"
	else
		failures=$((failures + 1))
		say "case $c: FAIL ($(since "$t0")s)"
	fi
done
say "xen cases: $passed passed, $failures failed"
[ $failures = 0 ]
