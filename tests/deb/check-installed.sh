#!/bin/sh
# SPDX-License-Identifier: MIT
# Run on a machine where the ioreqd .deb (and, for the hook loop, ioreqd-dev)
# is installed: everything comes from the installed files, nothing from a
# source tree.
#   1. the quick-start demo: ioreqd on the simulated hypervisor with the
#      installed demo.conf, hooks and demo.script (ioreqd-simguest(1));
#   2. the whole hook loop of ioreqd-hook(7), if ioreqd-dev and a compiler
#      are installed: copy the hello example, build it with pkg-config, check
#      it, run it against the simulated guest;
#   3. what --help and the man pages point at exists.
# Prints how long each part took.  Exit status 0 if everything passed.
set -u

IOREQD=/usr/sbin/ioreqd
SIMGUEST=/usr/bin/ioreqd-simguest
ex=/usr/share/doc/ioreqd/examples
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ioreqd-deb-check.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
fail() {
	echo "check-installed: FAIL: $*" >&2
	for f in "$tmp"/*.log; do
		[ -s "$f" ] && { echo "--- $f" >&2; tail -n 20 "$f" >&2; }
	done
	exit 1
}
now() { date +%s.%N; }
took() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f s", b - a }'; }

for f in "$IOREQD" "$SIMGUEST" "$ex/demo.conf" "$ex/demo.script" \
	/usr/share/man/man1/ioreqd-simguest.1.gz /usr/share/man/man7/ioreqd-hook.7.gz; do
	[ -e "$f" ] || fail "$f is not installed"
done
ref=$("$SIMGUEST" --help | sed -n 's/.*the script language: \(.*\)$/\1/p')
[ -n "$ref" ] && [ -f "$ref" ] || fail "ioreqd-simguest --help names '$ref', which is not installed"
hookdir=$("$IOREQD" --help | sed -n "s/.*config's hook_dir, then in \(.*\)\$/\1/p")
[ -f "$hookdir/debugcon.so" ] || fail "ioreqd --help names the hook directory '$hookdir': no debugcon.so"

# 1. The demo, as ioreqd-simguest(1) shows it: the daemon first, default socket.
t=$(now)
"$IOREQD" --check-config -c "$ex/demo.conf" >"$tmp/check.log" 2>&1 ||
	fail "ioreqd --check-config -c $ex/demo.conf"
"$IOREQD" -f -d 1 --backend=sim -c "$ex/demo.conf" >"$tmp/daemon.log" 2>&1 &
daemon=$!
"$SIMGUEST" --domid 1 --vcpus 4 --script "$ex/demo.script" >"$tmp/guest.log" 2>&1 || {
	kill "$daemon" 2>/dev/null
	fail "the demo guest saw failures"
}
wait "$daemon" || fail "ioreqd serving the demo exited $?"
grep -q 'Hello' "$tmp/daemon.log" || fail "the demo's greeting did not reach the debugcon hook"
echo "check-installed: demo from the installed files passed in $(took "$t")"

# 2. The hook loop of ioreqd-hook(7).
if ! pkg-config --exists ioreqd-hook 2>/dev/null || ! command -v cc >/dev/null 2>&1 ||
	! command -v make >/dev/null 2>&1; then
	echo "check-installed: hook loop skipped (needs ioreqd-dev, cc, make, pkg-config)"
	exit 0
fi
t=$(now)
cp -r "$ex/hello" "$tmp/hello" || fail "cannot copy $ex/hello"
(cd "$tmp/hello" && make) >"$tmp/build.log" 2>&1 || fail "the hello example does not build"
(cd "$tmp/hello" && "$IOREQD" --check-config -c hello.conf --hook-dir .) >"$tmp/check.log" 2>&1 ||
	fail "ioreqd --check-config -c hello.conf --hook-dir ."
(cd "$tmp/hello" && exec "$IOREQD" -f -d 1 --backend=sim --hook-dir . -c hello.conf) \
	>"$tmp/daemon.log" 2>&1 &
daemon=$!
(cd "$tmp/hello" && exec "$SIMGUEST" --domid 1 --script hello.script) >"$tmp/guest.log" 2>&1 || {
	kill "$daemon" 2>/dev/null
	fail "the hello guest saw failures"
}
wait "$daemon" || fail "ioreqd serving hello.so exited $?"
grep -q 'hello: v0 wrote 0x21' "$tmp/daemon.log" || fail "hello.so did not log the guest's write"
echo "check-installed: own hook (copy, build, check, run) passed in $(took "$t")"
