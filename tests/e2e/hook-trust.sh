#!/bin/sh
# SPDX-License-Identifier: MIT
# Hooks run as root inside the daemon, so ioreqd loads one only from a file
# and directories that nobody but root and its own user could have written,
# checks that before dlopen (whose constructors would run even under
# --check-config), and refuses a plugin whose `ioreqd_hook` is not a whole
# struct ioreqd_hook (tests/hooks/malformed.c) instead of reading past it.
set -u
. "$srcdir/tests/e2e/lib.sh"

e2e_tmpdir
pass=0
failed=0
ok() {
	echo "ok - $1"
	pass=$((pass + 1))
}
bad() {
	echo "FAIL - $1"
	[ -s "$tmp/out" ] && sed 's/^/    /' "$tmp/out"
	failed=$((failed + 1))
}
scratch=$HOOKDIR/scratch.so
malformed=$builddir/tests/hooks/.libs/malformed.so
export IOREQD_TEST_CTOR_MARKER="$tmp/constructor-ran"

printf '[device ram]\nhook = scratch\nmmio = 0xfe000000+0x1000\n' >"$tmp/scratch.conf"
printf '[device bad]\nhook = malformed\nmmio = 0xfe000000+0x1000\n' >"$tmp/malformed.conf"

# check NAME CONF DIR: --check-config with hooks from DIR; sets st
check() {
	"$IOREQD" --check-config -c "$tmp/$2.conf" --hook-dir "$3" >"$tmp/out" 2>&1
	st=$?
}

# A sane directory: the control case.
mkdir -m 0755 "$tmp/good"
cp "$scratch" "$malformed" "$tmp/good/"
chmod 0644 "$tmp/good/scratch.so" "$tmp/good/malformed.so"
check good scratch "$tmp/good"
if [ "$st" -eq 0 ]; then
	ok "a hook in a directory only its owner writes loads"
else
	bad "a sane hook directory is refused (exit $st)"
fi

# A world-writable hook directory: refused before dlopen, naming the directory.
mkdir -m 0755 "$tmp/open"
cp "$malformed" "$tmp/open/"
chmod 0644 "$tmp/open/malformed.so"
chmod 0777 "$tmp/open"
check open malformed "$tmp/open"
if [ "$st" -eq 78 ] && grep -q "refusing to load hook .*$tmp/open is world-writable" \
	"$tmp/out" && grep -q "chmod go-w $tmp/open" "$tmp/out" &&
	[ ! -e "$IOREQD_TEST_CTOR_MARKER" ]; then
	ok "world-writable hook directory: refused (78), named, nothing loaded"
else
	bad "world-writable hook directory (exit $st, constructor $(
		[ -e "$IOREQD_TEST_CTOR_MARKER" ] && echo ran || echo "did not run"))"
fi
rm -f "$IOREQD_TEST_CTOR_MARKER"

# Group-writable: refused too.
chmod 0775 "$tmp/open"
check open malformed "$tmp/open"
if [ "$st" -eq 78 ] && grep -q "$tmp/open is group-writable" "$tmp/out"; then
	ok "group-writable hook directory: refused"
else
	bad "group-writable hook directory (exit $st)"
fi

# A writable hook file in a sane directory.
mkdir -m 0755 "$tmp/file"
cp "$scratch" "$tmp/file/"
chmod 0666 "$tmp/file/scratch.so"
check file scratch "$tmp/file"
if [ "$st" -eq 78 ] && grep -q "$tmp/file/scratch.so is world-writable" "$tmp/out"; then
	ok "world-writable hook file: refused, named"
else
	bad "world-writable hook file (exit $st)"
fi

# A symbolic link in a sane directory to a hook in an unsafe one.
mkdir -m 0755 "$tmp/link"
ln -s "$tmp/open/malformed.so" "$tmp/link/malformed.so"
check link malformed "$tmp/link"
if [ "$st" -eq 78 ] && grep -q "$tmp/open is group-writable" "$tmp/out"; then
	ok "link to a hook in an unsafe directory: refused"
else
	bad "link to a hook in an unsafe directory (exit $st)"
fi

# A sticky world-writable directory (like /tmp) above a sane one is fine.
mkdir -m 1777 "$tmp/sticky"
mkdir -m 0755 "$tmp/sticky/hooks"
cp "$scratch" "$tmp/sticky/hooks/"
chmod 0644 "$tmp/sticky/hooks/scratch.so"
check sticky scratch "$tmp/sticky/hooks"
if [ "$st" -eq 0 ]; then
	ok "a sane directory inside a sticky world-writable one loads"
else
	bad "sticky parent directory refused (exit $st)"
fi

# Owned by another user (needs root to arrange).
if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1; then
	chown nobody "$tmp/file/scratch.so"
	chmod 0644 "$tmp/file/scratch.so"
	check file scratch "$tmp/file"
	if [ "$st" -eq 78 ] && grep -q "$tmp/file/scratch.so is owned by another user" \
		"$tmp/out"; then
		ok "hook owned by another user: refused"
	else
		bad "hook owned by another user (exit $st)"
	fi
else
	echo "ok - hook owned by another user # SKIP needs root"
fi

# A plugin whose ioreqd_hook is 4 bytes: refused by size, never read past.
check good malformed "$tmp/good"
if [ "$st" -eq 78 ] &&
	grep -q "malformed.so is malformed: its 'ioreqd_hook' is an object of 4 bytes" \
		"$tmp/out"; then
	ok "a 4-byte ioreqd_hook: refused with its size"
else
	bad "malformed ioreqd_hook (exit $st)"
fi

echo "hook-trust: $pass passed, $failed failed"
[ "$failed" -eq 0 ]
