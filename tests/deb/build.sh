#!/bin/sh
# SPDX-License-Identifier: MIT
# Build the Debian packages (ioreqd, ioreqd-dev) from a clean copy of this
# source tree, so that neither the tree nor its parent directory is written:
#   tests/deb/build.sh OUTDIR     -> OUTDIR/ioreqd_*.deb, ioreqd-dev_*.deb,
#                                    OUTDIR/lintian.txt
# DEB_BUILD_OPTIONS defaults to nocheck (make check is a CI stage of its own).
# Exit status: 0 if the packages built and lintian reported no error.
set -eu

out=${1:?usage: tests/deb/build.sh OUTDIR}
top=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/ioreqd-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT

# The files git knows (committed or not ignored), else the whole tree.
mkdir "$work/ioreqd"
if git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
	(cd "$top" && git ls-files -z -c -o --exclude-standard |
		tar --null -T - -cf -) | tar -xf - -C "$work/ioreqd"
else
	cp -a "$top/." "$work/ioreqd/"
fi

(cd "$work/ioreqd" &&
	DEB_BUILD_OPTIONS=${DEB_BUILD_OPTIONS:-nocheck} dpkg-buildpackage -us -uc -b) \
	>"$out/build.log" 2>&1 || {
	tail -n 40 "$out/build.log" >&2
	echo "deb: dpkg-buildpackage failed (log: $out/build.log)" >&2
	exit 1
}
cp "$work"/*.deb "$work"/*.changes "$work"/*.buildinfo "$out/"
echo "deb: built $(cd "$out" && ls ./*.deb | tr '\n' ' ')"

if command -v lintian >/dev/null 2>&1; then
	lintian --info "$work"/*.changes >"$out/lintian.txt" 2>&1 || :
	echo "deb: lintian: $(grep -c '^E:' "$out/lintian.txt") error(s)," \
		"$(grep -c '^W:' "$out/lintian.txt") warning(s) ($out/lintian.txt)"
	if grep -q '^E:' "$out/lintian.txt"; then
		grep '^E:' "$out/lintian.txt" >&2
		exit 1
	fi
fi
