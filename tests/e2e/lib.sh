# SPDX-License-Identifier: MIT
# Shared helpers for the end-to-end scripts: where the binaries are, a private
# temporary directory that is removed on exit, process helpers, starting and
# stopping the daemon and the simulated guest, the configuration blocks the
# device-state tests share, and the tally of scripts that go on after a
# failed check.
# The Makefile exports srcdir and builddir (AM_TESTS_ENVIRONMENT).

# A runaway process in a test (a log loop) must fail the test, not fill the
# disk: no file a test writes may exceed 256 MiB.
ulimit -f 262144 2>/dev/null || :

: "${builddir:=.}"
: "${srcdir:=.}"
IOREQD=${IOREQD:-$builddir/daemon/ioreqd}
SIMGUEST=${SIMGUEST:-$builddir/sim/ioreqd-simguest}
HOOKDIR=${HOOKDIR:-$builddir/hooks/.libs}
# Under valgrind (make check-valgrind) the daemon runs through this wrapper.
IOREQD_WRAP=${IOREQD_WRAP:-}

# True in an --enable-asan build.  LeakSanitizer stops the daemon with clone
# and ptrace at exit and reads /proc: a seccomp filter refuses the first, an
# empty chroot lacks the second, so tests of those modes adapt.
e2e_sanitizer_build() {
	grep -q '^SAN_CFLAGS = .*-fsanitize' "$builddir/Makefile"
}

# Fail the test: say why (prefixed with the script's name), show every output
# (or JSON) the test captured in $tmp, and stop the daemon and guest it started.
fail() {
	echo "$(basename "$0" .sh): $*" >&2
	for f in "$tmp"/*.out "$tmp"/*.err "$tmp"/*.json; do
		[ -s "$f" ] && { echo "--- $f" >&2; cat "$f" >&2; }
	done
	[ -n "${daemon:-}" ] && kill "$daemon" 2>/dev/null
	[ -n "${guest:-}" ] && kill "$guest" 2>/dev/null
	exit 1
}

# Make a private directory in $tmp, removed when the script exits.  Not a
# function that prints it: a trap set inside $(...) would fire at once.
e2e_tmpdir() {
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/ioreqd-e2e.XXXXXX")
	# shellcheck disable=SC2064
	trap "rm -rf '$tmp'" EXIT
}

# Wait up to $2 tenths of a second for file $1 to appear.
e2e_wait_for() {
	_n=0
	while [ ! -e "$1" ] && [ "$_n" -lt "$2" ]; do
		sleep 0.1
		_n=$((_n + 1))
	done
	[ -e "$1" ]
}

# Wait up to $2 tenths of a second for process $1 (not our child: a detached
# daemon) to be gone.
e2e_wait_gone() {
	_n=0
	while kill -0 "$1" 2>/dev/null && [ "$_n" -lt "$2" ]; do
		sleep 0.1
		_n=$((_n + 1))
	done
	! kill -0 "$1" 2>/dev/null
}

# Checks that go on after a failure: ok MESSAGE and bad MESSAGE [FILE...]
# print a TAP-like line (bad then each FILE, indented) and count it in $pass
# and $fail.  A script that shows something else on failure defines its own
# bad.
pass=0
fail=0
ok() {
	echo "ok - $1"
	pass=$((pass + 1))
}
bad() {
	echo "FAIL - $1"
	shift
	for _f in "$@"; do sed 's/^/    /' "$_f"; done
	fail=$((fail + 1))
}

# e2e_show_outputs [TAIL]: every non-empty output the test captured in $tmp
# (*.out, *.err), indented under its name; only the last TAIL lines of each
# if TAIL is given.  For a bad that shows everything.
# shellcheck disable=SC2120 # TAIL is optional
e2e_show_outputs() {
	for _f in "$tmp"/*.out "$tmp"/*.err; do
		[ -s "$_f" ] || continue
		echo "    --- $_f"
		if [ -n "${1:-}" ]; then
			sed 's/^/    /' "$_f" | tail -n "$1"
		else
			sed 's/^/    /' "$_f"
		fi
	done
}

# e2e_check_config NAME WANT-STATUS WANT-MESSAGE-REGEX <CONFIG: the daemon
# must refuse the configuration on stdin (saved as $tmp/NAME.conf) with exit
# status WANT-STATUS and a message matching the regex, before it touches any
# hypervisor; counted with ok/bad.
e2e_check_config() {
	_name=$1 _want_status=$2 _want_msg=$3
	cat >"$tmp/$_name.conf"
	# shellcheck disable=SC2086 # IOREQD_WRAP is a word list
	$IOREQD_WRAP "$IOREQD" -f -d 1 --backend=sim --sim-socket "$tmp/none.sock" \
		--hook-dir "$HOOKDIR" -c "$tmp/$_name.conf" >"$tmp/$_name.out" 2>&1
	_status=$?
	if [ "$_status" -eq "$_want_status" ] && grep -Eq -- "$_want_msg" "$tmp/$_name.out"; then
		ok "$_name (exit $_status)"
	else
		bad "$_name: exit $_status (want $_want_status), output:"
		sed 's/^/    /' "$tmp/$_name.out"
		echo "    wanted: $_want_msg"
	fi
}

# ---- the simulated guest and the daemon ------------------------------------

# e2e_start_guest NAME SOCK SIMGUEST-ARGS...: ioreqd-simguest creates its
# domain at SOCK in the background ($guest), output in $tmp/NAME.out and
# $tmp/NAME.err; returns once SOCK exists.
e2e_start_guest() {
	_name=$1 _sock=$2
	shift 2
	"$SIMGUEST" --socket "$_sock" "$@" >"$tmp/$_name.out" 2>"$tmp/$_name.err" &
	guest=$!
	e2e_wait_for_socket "$_sock" "$_name"
}

# e2e_wait_for_socket SOCK WHO: fail the test unless WHO creates SOCK within
# 10 s.
e2e_wait_for_socket() {
	e2e_wait_for "$1" 100 || fail "$2 never created $1"
}

# e2e_start_daemon NAME IOREQD-ARGS...: the daemon (through $IOREQD_WRAP) in
# the background ($daemon), output in $tmp/NAME.out and $tmp/NAME.err.
e2e_start_daemon() {
	_name=$1
	shift
	# shellcheck disable=SC2086 # IOREQD_WRAP is a word list
	$IOREQD_WRAP "$IOREQD" "$@" >"$tmp/$_name.out" 2>"$tmp/$_name.err" &
	daemon=$!
}

# e2e_start_sim_daemon NAME CONF SOCK [IOREQD-ARGS...]: e2e_start_daemon in
# the foreground mode, for domain $domid on the simulated hypervisor at SOCK,
# with CONF and the build's hooks.
e2e_start_sim_daemon() {
	_name=$1 _conf=$2 _sock=$3
	shift 3
	# shellcheck disable=SC2154 # domid is the test's
	e2e_start_daemon "$_name" -d "$domid" -c "$_conf" --backend sim --sim-socket "$_sock" \
		--hook-dir "$HOOKDIR" -f "$@"
}

# e2e_wait_line PATTERN FILE TIMEOUT-MESSAGE GUEST-GONE-MESSAGE: wait up to
# 30 s for a line matching PATTERN in FILE (the daemon's debugcon output or
# the guest's); fail with TIMEOUT-MESSAGE if it does not come, or with
# GUEST-GONE-MESSAGE as soon as the guest has exited.
e2e_wait_line() {
	_n=0
	until grep -q -- "$1" "$2" 2>/dev/null; do
		_n=$((_n + 1))
		[ "$_n" -lt 300 ] || fail "$3"
		kill -0 "$guest" 2>/dev/null || fail "$4"
		sleep 0.1
	done
}

# e2e_stop_daemon SIGNAL WHO: signal the daemon and fail the test unless it
# exits 0 (WHO names it in the message).
e2e_stop_daemon() {
	kill "-$1" "$daemon"
	e2e_wait_daemon "$2"
}

# e2e_wait_daemon WHO: wait for the daemon to exit by itself; fail unless 0.
e2e_wait_daemon() {
	wait "$daemon" || fail "$1 exit $?"
	daemon=
}

# e2e_crash_daemon: SIGKILL the daemon - no save, no clean exit.
e2e_crash_daemon() {
	kill -KILL "$daemon"
	wait "$daemon" 2>/dev/null
	daemon=
}

# e2e_check_exits WHAT LOG...: wait for the guest and the daemon to exit by
# themselves (their statuses in $guest_status and $daemon_status); ok WHAT
# if both exited 0, else bad, showing each LOG.
e2e_check_exits() {
	_what=$1
	shift
	wait "$guest"
	guest_status=$?
	wait "$daemon"
	daemon_status=$?
	guest=
	daemon=
	if [ "$guest_status" -eq 0 ] && [ "$daemon_status" -eq 0 ]; then
		ok "$_what"
	else
		bad "guest exit $guest_status, daemon exit $daemon_status"
		sed 's/^/#   /' "$@"
	fi
}

# e2e_stop_guest: end the guest wherever it is (a script sleeping on).
e2e_stop_guest() {
	kill "$guest" 2>/dev/null
	wait "$guest" 2>/dev/null
	guest=
}

# e2e_disk_has_pattern IMAGE: true if sectors 8 to 23 of IMAGE hold
# (0x41 + i) & 0xff, what a guest's `virtio blk N write 8 16 0x41` leaves.
e2e_disk_has_pattern() {
	od -An -v -tu1 -j 4096 -N 8192 "$1" |
		awk '{ for (k = 1; k <= NF; k++) { if ($k != (65 + n) % 256) b++; n++ } }
		     END { exit !(n == 8192 && b == 0) }'
}

# ---- configuration blocks ----------------------------------------------------
# Each prints one part of a configuration file; a test concatenates them with
# its own sections.  The sim tests' guests `print` through debugcon, so the
# daemon's stdout shows how far they got.

# [global] at warn, and debugcon at port 0xe9 writing to stdout.
e2e_conf_console() {
	cat <<'CONF'
[global]
log_level = warn

[device con]
hook = debugcon
pio = 0xe9
file = -
CONF
}

# A page of scratch registers at 0xfeb00000.
e2e_conf_scratch() {
	printf '\n[device regs]\nhook = scratch\nmmio = 0xfeb00000+0x1000\n'
}

# A 16550 at COM1 with no back end (loopback is how the guests feed it).
e2e_conf_uart() {
	printf '\n[device com1]\nhook = uart16550\npio = 0x3f8+8\nbackend = none\n'
}

# testdev at 00:05.0, its BAR0 at 0xfeb01000 until the guest moves it.
e2e_conf_testdev() {
	printf '\n[device t]\nhook = testdev\npci = 00:05.0\nmmio = 0xfeb01000+0x1000\n'
}
