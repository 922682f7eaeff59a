#!/bin/sh
# SPDX-License-Identifier: MIT
# End to end: each class of configuration error makes the real daemon binary
# exit with status 78 (EX_CONFIG) and a "file:line: ..." message naming the
# problem, before it touches any hypervisor.
set -u
. "${srcdir:-.}/tests/e2e/lib.sh"

e2e_tmpdir

e2e_check_config unknown_key 78 "unknown_key.conf:3: .*unknown key 'colour'" <<'C'
[device s0]
hook = scratch
colour = blue
mmio = 0x1000+0x100
C

e2e_check_config bad_number 78 "bad_number.conf:3: .*irq" <<'C'
[device s0]
hook = scratch
irq = twelve
mmio = 0x1000+0x100
C

e2e_check_config overlapping_ranges 78 "overlapping_ranges.conf:7: .*overlaps device a" <<'C'
[device a]
hook = scratch
mmio = 0x1000-0x1fff

[device b]
hook = scratch
mmio = 0x1800-0x27ff
C

e2e_check_config enclosing_range 78 "enclosing_range.conf:7: .*overlaps" <<'C'
[device a]
hook = scratch
pio = 0x510-0x51f

[device b]
hook = scratch
pio = 0x500-0x5ff
C

e2e_check_config unknown_hook 78 "unknown_hook.conf:2: .*unknown hook 'nosuchhook'" <<'C'
[device x]
hook = nosuchhook
pio = 0x80
C

e2e_check_config missing_hook 78 "missing_hook.conf:[0-9]+: .*hook" <<'C'
[device x]
pio = 0x80
C

e2e_check_config bad_range 78 "bad_range.conf:3: .*pio" <<'C'
[device x]
hook = scratch
pio = 0x20-0x10
C

e2e_check_config zero_size 78 "zero_size.conf:3: .*mmio" <<'C'
[device x]
hook = scratch
mmio = 0x1000+0
C

e2e_check_config unknown_section 78 "unknown_section.conf:1: " <<'C'
[gadget x]
hook = scratch
C

e2e_check_config hook_rejects_value 78 "hook_rejects_value.conf:4: .*size" <<'C'
[device x]
hook = scratch
mmio = 0x1000+0x100
size = 0x100000000000
C

"$IOREQD" -f -d 1 --backend=sim --hook-dir "$HOOKDIR" -c "$tmp/does-not-exist.conf" \
	>"$tmp/missing.out" 2>&1
status=$?
if [ "$status" -eq 78 ] && grep -q "does-not-exist.conf" "$tmp/missing.out"; then
	ok "missing_file_really_missing (exit 78)"
else
	bad "missing_file_really_missing: exit $status"
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
		ok "config_is_a_$what (exit 78)"
	else
		bad "config_is_a_$what: exit $status (want 78, '$want'), output:"
		sed 's/^/    /' "$tmp/$what.out"
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
	ok "long_line_is_accepted"
else
	bad "long_line_is_accepted: exit $status, output:"
	sed 's/^/    /' "$tmp/longline.out"
fi

# Command-line errors are EX_USAGE (64), also with a clear message.
"$IOREQD" --backend=qemu -d 1 -c x >"$tmp/usage.out" 2>&1
status=$?
if [ "$status" -eq 64 ] && grep -q "unknown backend 'qemu'" "$tmp/usage.out"; then
	ok "bad_backend_is_usage_error (exit 64)"
else
	bad "bad_backend_is_usage_error: exit $status"
fi

# --watch passes --user, --chroot, --hook-dir... on to each domain's ioreqd:
# what does not fit is refused before anything starts, never left out (a
# child started without --user would run as root).
long=/$(printf 'x%.0s' $(seq 1 2100))
"$IOREQD" --watch --hook-dir="$long" --user=nobody >"$tmp/watch-long.out" 2>&1
status=$?
if [ "$status" -eq 64 ] &&
	grep -q "the options --watch passes on to each domain's ioreqd are too long" \
		"$tmp/watch-long.out"; then
	ok "watch_options_too_long_is_usage_error (exit 64)"
else
	bad "watch_options_too_long_is_usage_error: exit $status" "$tmp/watch-long.out"
fi

echo "config-errors: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
