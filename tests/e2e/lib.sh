# SPDX-License-Identifier: MIT
# Shared helpers for the end-to-end scripts: where the binaries are, a private
# temporary directory that is removed on exit, and process helpers.
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
