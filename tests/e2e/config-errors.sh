#!/bin/sh
# SPDX-License-Identifier: MIT
# End to end: each class of configuration error makes the real daemon binary
# exit with status 78 (EX_CONFIG) and a "file:line: ..." message naming the
# problem, before it touches any hypervisor.
set -u
. "${srcdir:-.}/tests/e2e/lib.sh"

e2e_tmpdir
pass=0
fail=0

# check NAME EXPECTED-STATUS EXPECTED-MESSAGE-REGEX <<config
check() {
	name=$1 want_status=$2 want_msg=$3
	cat >"$tmp/$name.conf"
	"$IOREQD" -f -d 1 --backend=sim --sim-socket "$tmp/none.sock" \
		--hook-dir "$HOOKDIR" -c "$tmp/$name.conf" >"$tmp/$name.out" 2>&1
	status=$?
	if [ "$status" -eq "$want_status" ] && grep -Eq -- "$want_msg" "$tmp/$name.out"; then
		echo "ok - $name (exit $status)"
		pass=$((pass + 1))
	else
		echo "FAIL - $name: exit $status (want $want_status), output:"
		sed 's/^/    /' "$tmp/$name.out"
		echo "    wanted: $want_msg"
		fail=$((fail + 1))
	fi
}

check unknown_key 78 "unknown_key.conf:3: .*unknown key 'colour'" <<'C'
[device s0]
hook = scratch
colour = blue
mmio = 0x1000+0x100
C

check bad_number 78 "bad_number.conf:3: .*irq" <<'C'
[device s0]
hook = scratch
irq = twelve
mmio = 0x1000+0x100
C

check overlapping_ranges 78 "overlapping_ranges.conf:7: .*overlaps device a" <<'C'
[device a]
hook = scratch
mmio = 0x1000-0x1fff

[device b]
hook = scratch
mmio = 0x1800-0x27ff
C

check enclosing_range 78 "enclosing_range.conf:7: .*overlaps" <<'C'
[device a]
hook = scratch
pio = 0x510-0x51f

[device b]
hook = scratch
pio = 0x500-0x5ff
C

check unknown_hook 78 "unknown_hook.conf:2: .*unknown hook 'nosuchhook'" <<'C'
[device x]
hook = nosuchhook
pio = 0x80
C

check missing_hook 78 "missing_hook.conf:[0-9]+: .*hook" <<'C'
[device x]
pio = 0x80
C

check bad_range 78 "bad_range.conf:3: .*pio" <<'C'
[device x]
hook = scratch
pio = 0x20-0x10
C

check zero_size 78 "zero_size.conf:3: .*mmio" <<'C'
[device x]
hook = scratch
mmio = 0x1000+0
C

check unknown_section 78 "unknown_section.conf:1: " <<'C'
[gadget x]
hook = scratch
C

check hook_rejects_value 78 "hook_rejects_value.conf:4: .*size" <<'C'
[device x]
hook = scratch
mmio = 0x1000+0x100
size = 0x100000000000
C

"$IOREQD" -f -d 1 --backend=sim --hook-dir "$HOOKDIR" -c "$tmp/does-not-exist.conf" \
	>"$tmp/missing.out" 2>&1
status=$?
if [ "$status" -eq 78 ] && grep -q "does-not-exist.conf" "$tmp/missing.out"; then
	echo "ok - missing_file_really_missing (exit 78)"; pass=$((pass + 1))
else
	echo "FAIL - missing_file_really_missing: exit $status"; fail=$((fail + 1))
fi

# Not a file: a directory is named as one; a FIFO is refused at once instead
# of blocking start-up until something writes to it.
mkdir "$tmp/dir.conf"
mkfifo "$tmp/fifo.conf"
for what in dir fifo; do
	case $what in
	dir) want="dir.conf: is a directory" ;;
	fifo) want="fifo.conf: is not a regular file" ;;
	esac
	timeout 20 "$IOREQD" -f -d 1 --backend=sim --hook-dir "$HOOKDIR" \
		-c "$tmp/$what.conf" >"$tmp/$what.out" 2>&1
	status=$?
	if [ "$status" -eq 78 ] && grep -q "$want" "$tmp/$what.out"; then
		echo "ok - config_is_a_$what (exit 78)"; pass=$((pass + 1))
	else
		echo "FAIL - config_is_a_$what: exit $status (want 78, '$want'), output:"
		sed 's/^/    /' "$tmp/$what.out"
		fail=$((fail + 1))
	fi
done

# A line far longer than libinih's 200 bytes (a long path) is fine.
longdir=$HOOKDIR
while [ ${#longdir} -lt 1000 ]; do longdir=$longdir/.; done
printf '[global]\nhook_dir = %s\n[device s0]\nhook = scratch\nmmio = 0x1000+0x100\n' \
	"$longdir" >"$tmp/longline.conf"
"$IOREQD" --check-config -c "$tmp/longline.conf" >"$tmp/longline.out" 2>&1
status=$?
if [ "$status" -eq 0 ] && grep -q "configuration OK" "$tmp/longline.out"; then
	echo "ok - long_line_is_accepted"; pass=$((pass + 1))
else
	echo "FAIL - long_line_is_accepted: exit $status, output:"
	sed 's/^/    /' "$tmp/longline.out"
	fail=$((fail + 1))
fi

# Command-line errors are EX_USAGE (64), also with a clear message.
"$IOREQD" --backend=qemu -d 1 -c x >"$tmp/usage.out" 2>&1
status=$?
if [ "$status" -eq 64 ] && grep -q "unknown backend 'qemu'" "$tmp/usage.out"; then
	echo "ok - bad_backend_is_usage_error (exit 64)"; pass=$((pass + 1))
else
	echo "FAIL - bad_backend_is_usage_error: exit $status"; fail=$((fail + 1))
fi

echo "config-errors: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
