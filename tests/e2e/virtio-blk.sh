#!/bin/sh
# SPDX-License-Identifier: MIT
# End to end: the real daemon (under --seccomp=kill when built with libseccomp)
# serves virtio-blk and virtio-console over virtio-mmio to ioreqd-simguest.
# The guest writes patterns to sectors, flushes and reads them back; the test
# then checks the backing file itself and the console's output file; the
# daemon's VmHWM with the devices idle is printed.  Then SIGTERM while the
# guest keeps writing: the daemon must finish the I/O in flight and exit 0
# within seconds.  Then bad virtio-blk configs (no path, a path that does not
# exist, a directory): exit 78 with file:line.
set -u
. "${srcdir:-.}/tests/e2e/lib.sh"

if [ ! -e "$HOOKDIR/virtio-blk.so" ]; then
	echo "virtio-blk: built without liburing; skipped"
	exit 77
fi
e2e_tmpdir
seccomp=
# Not under valgrind (its own syscalls) nor in a sanitizer build (LeakSanitizer
# needs ptrace at exit): the filter is proven by seccomp.sh, the I/O here.
grep -q '^#define HAVE_SECCOMP 1' "$builddir/build-config.h" 2>/dev/null &&
	[ -z "$IOREQD_WRAP" ] && ! e2e_sanitizer_build && seccomp=--seccomp=kill

dd if=/dev/zero of="$tmp/disk.img" bs=1024 count=4096 2>/dev/null
cat >"$tmp/vblk.conf" <<C
[device disk0]
hook = virtio-blk
mmio = 0x02000000+0x200
irq = 33
path = $tmp/disk.img

[device con0]
hook = virtio-console
mmio = 0x02000200+0x200
irq = 34
backend = file
path = $tmp/console.log
C
cat >"$tmp/guest.script" <<'S'
virtio attach 0 mmio 0x02000000 irq 33 id 2 features (1<<9)|(1<<29)|(1<<28)
virtio blk 0 write 8 16 0x41
virtio blk 0 flush
virtio blk 0 read 8 16 0x41
repeat 10
  virtio blk 0 write 100+$i*16 16 $i
end
virtio blk 0 flush
repeat 10
  virtio blk 0 read 100+$i*16 16 $i
end
virtio attach 1 mmio 0x02000200 irq 34 id 3 queues 2
virtio console 1 write hello from the guest
virtio console 1 write second line
sleep 1s
virtio detach 1
virtio detach 0
S

# run NAME SCRIPT: the guest and the daemon; sets guest_status, daemon_status
run() {
	sock=$tmp/$1.sock
	"$SIMGUEST" --socket "$sock" --domid 1 --script "$2" >"$tmp/$1.guest" 2>&1 &
	guest=$!
	e2e_wait_for "$sock" 50 || { bad "$1: no guest socket"; return 1; }
	# shellcheck disable=SC2086
	$IOREQD_WRAP "$IOREQD" -f -d 1 --backend=sim --sim-socket "$sock" $seccomp \
		--hook-dir "$HOOKDIR" -c "$tmp/vblk.conf" >"$tmp/$1.daemon" 2>&1 &
	daemon=$!
}

run io "$tmp/guest.script" || exit 1
# VmHWM while the guest sleeps with both devices idle.
for _ in $(seq 1 100); do
	grep -q '^second line' "$tmp/console.log" 2>/dev/null && break
	sleep 0.05
done
hwm=$(sed -n 's/^VmHWM:[[:space:]]*//p' "/proc/$daemon/status" 2>/dev/null)
echo "# daemon VmHWM with virtio-blk and virtio-console idle: ${hwm:-?}"
e2e_check_exits "guest I/O and console through the daemon${seccomp:+ ($seccomp)}" \
	"$tmp/io.guest" "$tmp/io.daemon"
# The backing file: sectors 8..23 hold (0x41 + i) & 0xff.
if e2e_disk_has_pattern "$tmp/disk.img"; then
	ok "the backing file holds the guest's pattern"
else
	bad "the backing file does not hold the pattern at sector 8"
fi
if grep -qx "hello from the guest" "$tmp/console.log" 2>/dev/null &&
	grep -qx "second line" "$tmp/console.log"; then
	ok "console output arrived in the file"
else
	bad "console output missing: $(cat "$tmp/console.log" 2>/dev/null)"
fi

# SIGTERM while the guest writes as fast as it can.
cat >"$tmp/load.script" <<'S'
virtio attach 0 mmio 0x02000000 irq 33 id 2 features (1<<9)|(1<<29)|(1<<28)
virtio attach 1 mmio 0x02000200 irq 34 id 3 queues 2
virtio console 1 write loading
repeat 1000000
  virtio blk 0 write ($i*64)%8000 63 $i
end
S
run term "$tmp/load.script" || exit 1
for _ in $(seq 1 100); do
	grep -q '^loading' "$tmp/console.log" && break
	sleep 0.05
done
sleep 0.3
kill -TERM "$daemon"
for _ in $(seq 1 200); do
	kill -0 "$daemon" 2>/dev/null || break
	sleep 0.05
done
if kill -0 "$daemon" 2>/dev/null; then
	bad "the daemon still runs 10 s after SIGTERM"
	kill -KILL "$daemon"
fi
wait "$daemon"
daemon_status=$?
kill "$guest" 2>/dev/null
wait "$guest" 2>/dev/null
# Exit 0, neither hung nor crashed: the statistics may show a request in
# flight, which the hook's fini then completes while the backend is still
# open.  (The daemon may also see the domain go: a SIGTERM that lands inside a
# sim backend call can end the connection.)
if [ "$daemon_status" -eq 0 ]; then
	ok "SIGTERM with writes in flight: the daemon drained and exited 0"
else
	bad "SIGTERM: daemon exit $daemon_status"
	sed 's/^/#   /' "$tmp/term.daemon"
fi

# Bad configurations: exit 78 and file:line.
e2e_check_config no_path 78 "no_path.conf:1: device disk0: path: required" <<'C'
[device disk0]
hook = virtio-blk
mmio = 0x02000000+0x200
irq = 33
C
e2e_check_config missing_file 78 "missing_file.conf:5: device disk0: path: cannot open '/nonexistent/disk.img'.*No such file" <<'C'
[device disk0]
hook = virtio-blk
mmio = 0x02000000+0x200
irq = 33
path = /nonexistent/disk.img
C
e2e_check_config directory 78 "directory.conf:5: device disk0: path: cannot open '/'" <<'C'
[device disk0]
hook = virtio-blk
mmio = 0x02000000+0x200
irq = 33
path = /
C
e2e_check_config blk_queue_not_pow2 78 "blk_queue_not_pow2.conf:6: device disk0: queue_size: 100 is not a power of 2" <<C
[device disk0]
hook = virtio-blk
mmio = 0x02000000+0x200
irq = 33
path = $tmp/disk.img
queue_size = 100
C

echo "virtio-blk: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
