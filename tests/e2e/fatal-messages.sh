#!/bin/sh
# SPDX-License-Identifier: MIT
# The exact wording of the errors a new user meets first, in every logging
# mode: "ioreqd: error: ..." naming the file:line, device or domain and what
# to do, never an internal function name -- except with -vv, where the
# function is shown.  Cases: an unreadable configuration, a missing
# hook, an empty configuration, a bad option, no Xen (default backend), and
# no simulated hypervisor.  With --log syslog the messages are captured from a
# private /dev/log (a mount namespace; skipped where unshare is not allowed).
set -u
. "${srcdir:-.}/tests/e2e/lib.sh"

e2e_tmpdir
pass=0
fail=0

# expect NAME STATUS EXACT-STDERR -- ioreqd arguments
expect() {
	name=$1 want_status=$2 want=$3
	shift 4
	"$IOREQD" "$@" >"$tmp/out" 2>"$tmp/err"
	status=$?
	printf '%s\n' "$want" >"$tmp/want"
	# Everything but -v's debug lines must be exactly the one error.
	grep -v '^ioreqd: debug: ' "$tmp/err" >"$tmp/err.shown"
	if [ "$status" -eq "$want_status" ] && cmp -s "$tmp/want" "$tmp/err.shown"; then
		echo "ok - $name (exit $status)"
		pass=$((pass + 1))
	else
		echo "FAIL - $name: exit $status (want $want_status); stderr:"
		sed 's/^/    /' "$tmp/err"
		echo "    wanted:"
		sed 's/^/    /' "$tmp/want"
		fail=$((fail + 1))
	fi
}

mkdir "$tmp/unreadable.conf" # a directory: unreadable as a file, even for root
cat >"$tmp/nohook.conf" <<'C'
[device uart]
hook = nosuchhook
pio = 0x3f8+8
C
printf '[global]\nlog_level = info\n' >"$tmp/empty.conf"
cat >"$tmp/ok.conf" <<'C'
[device s]
hook = scratch
mmio = 0x1000+0x100
C

unreadable="ioreqd: error: $tmp/unreadable.conf: is a directory, not a configuration file (check the path given with -c)"
nohook="ioreqd: error: $tmp/nohook.conf:2: device uart: unknown hook 'nosuchhook': no nosuchhook.so in $HOOKDIR, @HOOKDIR@ (put it there, or name its directory with --hook-dir or hook_dir in [global])"
empty="ioreqd: error: $tmp/empty.conf: no [device NAME] section: there is nothing to serve (see ioreqd.conf(5) and the examples in etc/ or /usr/share/doc/ioreqd/examples)"
nosim="ioreqd: error: domain 3: no simulated hypervisor on $tmp/none.sock: No such file or directory (start ioreqd-simguest --socket $tmp/none.sock --domid 3; see ioreqd-simguest(1))"
# The installed hook directory, as --help prints it.
installed=$("$IOREQD" --help | sed -n 's/.*config.s hook_dir, then in \(.*\)$/\1/p')
nohook=$(printf '%s' "$nohook" | sed "s|@HOOKDIR@|$installed|")

for mode in "" "-v"; do
	m=${mode:-default}
	expect "unreadable_config/$m" 78 "$unreadable" -- \
		-f -d 3 --backend=sim -c "$tmp/unreadable.conf" $mode
	expect "missing_hook/$m" 78 "$nohook" -- \
		-f -d 3 --backend=sim --hook-dir "$HOOKDIR" -c "$tmp/nohook.conf" $mode
	expect "empty_config/$m" 78 "$empty" -- \
		-f -d 3 --backend=sim -c "$tmp/empty.conf" $mode
	expect "bad_option/$m" 64 "ioreqd: error: unknown option '--colour' (see --help)" -- \
		-f -d 3 -c "$tmp/ok.conf" --colour $mode
	expect "no_simulated_hypervisor/$m" 1 "$nosim" -- \
		-f -d 3 --backend=sim --sim-socket "$tmp/none.sock" --sim-wait 0 \
		--hook-dir "$HOOKDIR" -c "$tmp/ok.conf" $mode
	# Without -f the daemon detaches only once it serves: a failure before
	# that is still printed by the process the user started.
	expect "no_simulated_hypervisor_without_-f/$m" 1 "$nosim" -- \
		-d 3 --backend=sim --sim-socket "$tmp/none.sock" --sim-wait 0 \
		--hook-dir "$HOOKDIR" -c "$tmp/ok.conf" $mode
done

# -vv names the function behind an error (-v adds debug messages).
"$IOREQD" -f -d 3 --backend=sim -c "$tmp/unreadable.conf" -vv >/dev/null 2>"$tmp/err"
if grep -q "^ioreqd: error: setup_config: $tmp/unreadable.conf: is a directory" "$tmp/err"; then
	echo "ok - debug_output_names_the_function"
	pass=$((pass + 1))
else
	echo "FAIL - debug_output_names_the_function:"
	sed 's/^/    /' "$tmp/err"
	fail=$((fail + 1))
fi

# No Xen: the default backend says so and points at the simulated one.
if [ -e /dev/xen/privcmd ] || [ -e /proc/xen ]; then
	echo "ok - no_xen # SKIP this machine has Xen"
else
	"$IOREQD" -f -d 3 --hook-dir "$HOOKDIR" -c "$tmp/ok.conf" >/dev/null 2>"$tmp/err"
	status=$?
	if [ "$status" -eq 1 ] && grep -q "^ioreqd: error: this is not a Xen dom0 (no /dev/xen/privcmd or /proc/xen): .*; to run ioreqd without Xen, use --backend=sim with ioreqd-simguest(1)$" "$tmp/err" &&
		! grep -q 'xen_open' "$tmp/err"; then
		echo "ok - no_xen (exit 1)"
		pass=$((pass + 1))
	else
		echo "FAIL - no_xen: exit $status"
		sed 's/^/    /' "$tmp/err"
		fail=$((fail + 1))
	fi
fi

# --log syslog: the same sentences at priority daemon.err (<27>), read from a
# private /dev/log bound over the real one inside a mount namespace.
syslog_case() {
	name=$1 want=$2
	shift 2
	rm -f "$tmp/dev/log" "$tmp/syslog.txt"
	python3 - "$tmp/dev/log" "$tmp/syslog.txt" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(20)
with open(sys.argv[2], "w") as out:
    while True:
        try:
            msg = s.recv(4096).decode(errors="replace")
        except socket.timeout:
            break
        out.write(msg.rstrip("\n") + "\n")
        out.flush()
        if msg.startswith("<27>"):
            break
PY
	listener=$!
	e2e_wait_for "$tmp/dev/log" 50
	unshare -m sh -c 'mount --bind "$1/dev" /dev && shift && exec "$@"' sh "$tmp" \
		"$IOREQD" "$@" >/dev/null 2>"$tmp/err"
	wait "$listener"
	if grep -q "^<27>.*ioreqd\[[0-9]*\]: $want$" "$tmp/syslog.txt" &&
		! grep -q 'setup_config\|warning' "$tmp/syslog.txt"; then
		echo "ok - $name/syslog"
		pass=$((pass + 1))
	else
		echo "FAIL - $name/syslog; syslog:"
		sed 's/^/    /' "$tmp/syslog.txt"
		fail=$((fail + 1))
	fi
}
if ! command -v python3 >/dev/null 2>&1 ||
	! unshare -m sh -c "mount -t tmpfs none '$tmp'" 2>/dev/null; then
	echo "ok - syslog # SKIP no mount namespace here (needs root and unshare)"
else
	mkdir "$tmp/dev"
	: >"$tmp/dev/null"
	# /dev/null stays usable under the bound directory.
	syslog_case unreadable_config \
		"$tmp/unreadable.conf: is a directory, not a configuration file (check the path given with -c)" \
		-f -d 3 --backend=sim --log syslog -c "$tmp/unreadable.conf"
	syslog_case empty_config \
		"$tmp/empty.conf: no \[device NAME\] section: there is nothing to serve .*" \
		-f -d 3 --backend=sim --log syslog -c "$tmp/empty.conf"
fi

echo "fatal-messages: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
