#!/bin/sh
# SPDX-License-Identifier: MIT
# Build ioreqd with AddressSanitizer and UBSan (configure --enable-asan) in a
# separate build directory and run the whole test suite there: every unit
# suite, the fuzz corpora replays and the end-to-end scripts, with the daemon,
# the hooks and the simulated guest all instrumented.  Leaks fail the run too
# (LeakSanitizer is on by default).
#
# Usage: tests/asan.sh [BUILD-DIR]     (default: ./build-asan)
# Environment: CC (default gcc; clang works too), JOBS (default 2).
set -eu

srcdir=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build-asan}

[ -x "$srcdir/configure" ] || (cd "$srcdir" && autoreconf -fi)
mkdir -p "$build"
cd "$build"
"$srcdir/configure" -q --enable-asan --enable-debug CC="${CC:-gcc}"
# Abort on the first report, with readable stacks; UBSan is fatal already
# (-fno-sanitize-recover), ASan's leak check runs at every exit.
ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export ASAN_OPTIONS UBSAN_OPTIONS
make -j"${JOBS:-2}"
if ! make -j"${JOBS:-2}" check; then
	echo "asan: make check failed; logs in $(pwd)/test-suite.log and the *.log files" >&2
	exit 1
fi
echo "asan: make check passed under ASan+UBSan in $(pwd)"
