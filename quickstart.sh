#!/bin/sh
# SPDX-License-Identifier: MIT
# Quick start on a fresh Debian 12 machine: install the build dependencies,
# build out of tree in ./build, then either run the demo or run the tests.
#   ./quickstart.sh demo    the daemon on the simulated hypervisor, with a guest
#   ./quickstart.sh test    build and pass every Check suite (make check)
set -eu

mode=${1:-}
case "$mode" in
demo | test) ;;
*)
	echo "usage: $0 demo|test" >&2
	exit 64
	;;
esac

top=$(cd "$(dirname "$0")" && pwd)
build=${IOREQD_BUILD_DIR:-$top/build}

deps="build-essential autoconf automake libtool pkg-config libxen-dev libevent-dev \
check libseccomp-dev liburing-dev"

missing=
for p in $deps; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
	if [ "$(id -u)" -eq 0 ]; then
		sudo=
	elif command -v sudo >/dev/null 2>&1; then
		sudo=sudo
	else
		echo "quickstart: missing build dependencies:$missing" >&2
		echo "quickstart: install them as root, then run $0 $mode again:" >&2
		echo "    su -c 'apt-get install -y --no-install-recommends$missing'" >&2
		echo "quickstart: (or run $0 $mode as root; it installs them itself)" >&2
		exit 1
	fi
	echo "quickstart: installing build dependencies:$missing"
	$sudo apt-get update -qq
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
		$missing >/dev/null
fi

cd "$top"
[ -x configure ] || autoreconf -fi >/dev/null
mkdir -p "$build"
cd "$build"
[ -f Makefile ] || "$top/configure" -q ${IOREQD_CONFIGURE_FLAGS:-}
make -s -j"$(nproc)"

if [ "$mode" = demo ]; then
	# The register hooks first, then virtio devices (rng, disk, console).
	make -s demo
	exec make -s demo-virtio
else
	exec make -s -j"$(nproc)" check VERBOSE=1
fi
