#!/bin/sh
# SPDX-License-Identifier: MIT
# Write the seeds of fuzz_virtqueue into tests/fuzz/corpus/fuzz_virtqueue/.
# The input encoding is described in tests/fuzz/fuzz_virtqueue.c: a header
# (queue size selector, flags, ring addresses when flags & 8), then ops
# (op % 10: 0 RAM write, 1 descriptor, 2 avail entry, 3 driver add, 4 pop,
# 5 push held, 6 notify, 7 invalidate, 8 reset, 9 status/features/config).
# Run it again only after changing that encoding.
#
# Usage: tests/fuzz/mkseeds-virtio.sh [CORPUS-DIR]   (default: next to this script)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/corpus}/fuzz_virtqueue
mkdir -p "$out"

b() {
	for v in "$@"; do
		# shellcheck disable=SC2059
		printf "\\$(printf '%03o' $((v & 255)))"
	done
}
le16() { b $(($1 & 255)) $((($1 >> 8) & 255)); }

: >"$out/empty"

# A queue of 8, one out + one in buffer, pop and push, notify.
{ b 3 0; b 3 0x05 16 32; b 4 0 0; b 6; } >"$out/roundtrip"

# Indirect chains, held, completed oldest first, then notify.
{ b 3 0x80; for _ in 1 2 3; do b 3 0x35 8 8; done
  b 4 3 2 2 2; b 5 7 0 0 0 0 0 0 0 0 0 0 0 0; b 6; } >"$out/indirect-held"

# Rings at addresses from the input; a descriptor looping on itself.
{ b 3 0x08; b 1; le16 0x0000; b 1; le16 0x1000; b 1; le16 0x1800
  b 1; le16 0; b 1; le16 0x9000; b 16 0 0 0; le16 1; le16 0
  b 2; le16 0; b 1; b 4 0 0; } >"$out/raw-loop"

# Bounce mappings: add, pop and hold, invalidate, push, reset and up again.
{ b 4 0x84; b 3 0x06 64 64 64; b 4 0 2; b 7; b 5 0 0 0 0 0; b 8 1
  b 3 0x05 1 1; b 4 0 0; b 6; } >"$out/bounce-reset"

# No event index, flags-based suppression; a buffer outside RAM.
{ b 3 0x01; b 3 0x01 200; b 1; le16 1; b 0 0 0 0 0 0 0 0 0; b 4 0 0 0 0 0; b 4 0 0
  b 6; } >"$out/flags-bad-buffer"

# Garbage to status, features, config; notify of a missing queue.
{ b 3 0; b 9 0 0 0 0x4f; b 9 1 0 0 0xff 0xff 0xff 0xff 0xff 0xff 0xff 0xff
  b 9 3 4 4 1 2 3 4 5 6 7 8; b 9 4 0 0; le16 7; b 9 6 0 0; b 4 0; } >"$out/device-garbage"
