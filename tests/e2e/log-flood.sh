#!/bin/sh
# SPDX-License-Identifier: MIT
# End to end: a guest floods the daemon with what it can make it log -
# TIMEOFFSET and INVALIDATE broadcasts and BAR0 moves of a testdev - at every verbosity (default, -v, -vv).  Every such
# message goes through a rate limiter (SECURITY.md), so however long the
# flood, the daemon's log stays a few dozen lines, and the limiter reports
# what it suppressed.
set -u
. "${srcdir:-.}/tests/e2e/lib.sh"

e2e_tmpdir
flood=${LOG_FLOOD:-3000}
limit=${LOG_FLOOD_LINES:-150}
pass=0
fail=0

cat >"$tmp/flood.conf" <<'C'
[global]
buffered = yes

[device td]
hook = testdev
pci = 00:05.0
mmio = 0xfeb01000+0x1000
C

cat >"$tmp/flood.script" <<S
repeat $flood
timeoffset \$i
invalidate
pci write 00:05.0 0x10 4 (0xe0000000+((\$i%64)*0x1000))
mmio read (0xe0000004+((\$i%64)*0x1000)) 4 expect 0x7e570001
end
# The buckets refill at 2 messages a second: after this pause the next message
# of each kind gets through and says how many like it were suppressed, however
# fast the flood itself ran (on an idle machine it ends within the first
# bucket's worth of time, so nothing would report the suppression).
sleep 1500ms
timeoffset 0
invalidate
S

for v in "" -v -vv; do
	name=verbosity${v:-0}
	sock=$tmp/$name.sock
	"$SIMGUEST" --socket "$sock" --domid 9 --timeout 60 --quiet \
		--script "$tmp/flood.script" >"$tmp/$name.guest" 2>&1 &
	guest=$!
	if ! e2e_wait_for "$sock" 100; then
		echo "FAIL - $name: the guest never created $sock"
		kill "$guest" 2>/dev/null
		fail=$((fail + 1))
		continue
	fi
	$IOREQD_WRAP "$IOREQD" -f $v -d 9 -c "$tmp/flood.conf" --backend sim \
		--sim-socket "$sock" --hook-dir "$HOOKDIR" >"$tmp/$name.out" 2>"$tmp/$name.err"
	drc=$?
	wait "$guest"
	grc=$?
	lines=$(wc -l <"$tmp/$name.err")
	if [ "$grc" -ne 0 ] || [ "$drc" -ne 0 ]; then
		echo "FAIL - $name: guest exit $grc, daemon exit $drc"
		tail -n 20 "$tmp/$name.guest" "$tmp/$name.err"
		fail=$((fail + 1))
	elif [ "$lines" -gt "$limit" ]; then
		echo "FAIL - $name: $lines log lines for a flood of $flood (limit $limit)"
		sort "$tmp/$name.err" | sed 's/0x[0-9a-f]*/N/g; s/[0-9][0-9]*/N/g' |
			uniq -c | sort -rn | head -n 10
		fail=$((fail + 1))
	elif [ "$v" = -vv ] && ! grep -q "suppressed" "$tmp/$name.err"; then
		echo "FAIL - $name: no message says what was suppressed"
		fail=$((fail + 1))
	else
		echo "ok - $name: $lines log lines for a flood of $flood"
		pass=$((pass + 1))
	fi
done

echo "log-flood: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
