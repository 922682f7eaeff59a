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
check libseccomp-dev"

need_install=
for p in $deps; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || need_install=1
done
if [ -n "$need_install" ]; then
	echo "quickstart: installing build dependencies"
	sudo=
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	$sudo apt-get update -qq
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $deps >/dev/null
fi

cd "$top"
[ -x configure ] || autoreconf -fi >/dev/null
mkdir -p "$build"
cd "$build"
[ -f Makefile ] || "$top/configure" -q ${IOREQD_CONFIGURE_FLAGS:-}
make -s -j"$(nproc)"

if [ "$mode" = demo ]; then
	exec make -s demo
else
	exec make -s -j"$(nproc)" check VERBOSE=1
fi
