#!/bin/sh
# SPDX-License-Identifier: MIT
# Write the seeds of fuzz_virtqueue into tests/fuzz/corpus/fuzz_virtqueue/
# and those of fuzz_virtio_dev into tests/fuzz/corpus/fuzz_virtio_dev/.
#
# fuzz_virtqueue's input encoding is described in tests/fuzz/fuzz_virtqueue.c:
# a header (queue size selector, flags, ring addresses when flags & 8), then ops
# (op % 10: 0 RAM write, 1 descriptor, 2 avail entry, 3 driver add, 4 pop,
# 5 push held, 6 notify, 7 invalidate, 8 reset, 9 status/features/config).
# fuzz_virtio_dev's is further down.  Run it again only after changing an
# encoding.
#
# Usage: tests/fuzz/mkseeds-virtio.sh [CORPUS-DIR]   (default: next to this script)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
corpus=${1:-$here/corpus}
out=$corpus/fuzz_virtqueue
mkdir -p "$out"

b() {
	for v in "$@"; do
		# shellcheck disable=SC2059
		printf "\\$(printf '%03o' $((v & 255)))"
	done
}
le16() { b $(($1 & 255)) $((($1 >> 8) & 255)); }
le32() { le16 $(($1 & 65535)); le16 $((($1 >> 16) & 65535)); }

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

# fuzz_virtio_dev: the input encoding is described in
# tests/fuzz/fuzz_virtio_dev.c: device (0 virtio-blk, 1 read-only
# virtio-blk, 2 virtio-console on none, 3 on a file, 4 virtio-rng, 5
# virtio-rng over virtio-pci, 6 virtio-console over virtio-pci), flags
# (1 no driver, 2 EVENT_IDX, 4 INDIRECT_DESC, 8 no device features, 0x10
# MSI-X), queue
# size (1 << (b % 7)), then ops (op % 12: 0 register write, 1 register read,
# 2 RAM write, 3 request, 4 descriptor, 5 avail entry, 6 kick, 7 interrupt,
# 8 invalidate, 9 reset, 10 config write, 11 loop).  Request (3): sel, off,
# then for virtio-blk sector and length bytes (see op_request).
out=$corpus/fuzz_virtio_dev
mkdir -p "$out"

: >"$out/empty"

# virtio-blk (request sel: type | 0x40 kick | 0x08 indirect; off; sector; length).
{ b 0 6 3; b 3 0x40 0 16 8; b 7 0; } >"$out/blk-read"
{ b 0 6 4; b 3 0x41 1 4 0x88; b 3 0x42 2 0 0; b 3 0x40 3 4 8; b 7 0; } >"$out/blk-write-flush-read"
{ b 0 6 3; b 3 0x43 0 0 0; b 7 0; } >"$out/blk-get-id"
{ b 0 6 3; b 3 0x44 0 0 0 8 16 0; b 3 0x45 1 0 0 32 8 1; b 7 0; } >"$out/blk-discard-write-zeroes"
{ b 0 2 4; b 3 0x48 0 8 0xc8; b 3 0x49 1 8 0x48; b 6 0; b 7 0; } >"$out/blk-indirect-no-event-idx"
{ b 1 6 3; b 3 0x41 0 0 1; b 3 0x40 1 0 1; b 7 0; } >"$out/blk-readonly-write"
{ b 0 6 3; b 3 0x60 0 0 1; le32 99; b 3 0x50 1 0 1; le32 0xffffff00; le32 0xffffffff; b 7 0; } \
	>"$out/blk-bad-type-and-sector"
{ b 0 6 5; for i in 0 1 2 3 4 5 6 7; do b 3 0x00 $i $i 1; done; b 6 0; b 9 1 6 5; b 3 0x40 0 0 1
  b 7 0; } >"$out/blk-batch-reset"

# virtio-console: receiveq buffers wait, transmitq buffers go out.
{ b 2 6 3; b 3 0x40 0 64; b 3 0x41 1 32; b 3 0xc1 2 8; b 7 0; } >"$out/con-rx-tx"
{ b 3 6 3; b 3 0x41 0 200; b 3 0x49 1 16; b 7 0; b 8; b 3 0x41 2 1; b 7 0; } >"$out/con-file-tx"

# virtio-rng.
{ b 4 6 3; b 3 0x40 0 255; b 3 0xc8 1 16; b 7 0; } >"$out/rng-read"

# Malformed: a descriptor looping on itself, an avail index that jumps, a
# buffer outside RAM, a kick of a missing queue, garbage registers and config.
{ b 0 6 3; b 4 0 0 0 1; le32 0x10000; le32 512; le16 1; le16 0; b 5 0; le16 0; b 1
  b 6 0; b 7 0; } >"$out/blk-desc-loop"
{ b 4 6 3; b 5 0; le16 0; b 0; le16 0x4000; b 6 0; b 7 0; } >"$out/rng-avail-jump"
{ b 4 4 3; b 4 0 0 0 0; b 0 0 0 0 0 0 0 0xff; le32 64; le16 2; le16 0; b 5 0; le16 0; b 1
  b 6 0; b 7 0; } >"$out/rng-buffer-outside-ram"
{ b 2 6 3; b 6 2; b 0; le16 0x70; b 2; b 0 0 0 0 0 0 0 0xff; b 1; le16 0x70; b 2
  b 10 8 2 1 2 3 4 5 6 7 8; b 0; le16 0x30; b 2; le32 1; le32 0; b 7 1; le32 3; } >"$out/con-garbage"
{ b 0 1 3; b 0; le16 0x70; b 2; le32 15; le32 0; b 1; le16 0x100; b 3; b 8; b 11; } >"$out/blk-raw-registers"

# virtio-pci: INTx and MSI-X, a BAR moved under the driver, config space garbage.
{ b 5 6 3; b 3 0x40 0 255; b 3 0xc8 1 16; b 7; } >"$out/pci-rng-intx"
{ b 5 0x16 3; b 3 0x40 0 64; b 7; b 11 1; b 3 0x40 1 8; b 7; } >"$out/pci-rng-msix-state"
{ b 6 0x16 3; b 3 0x40 0 64; b 3 0x41 1 32; b 3 0xc1 2 8; b 7; } >"$out/pci-con-rx-tx"
{ b 5 6 3; b 0; le16 0x10; b 2; le32 0xfffff000; le32 0; le16 1; b 3 0x40 0 8; b 6 0
  b 1; le16 0x9; b 2; b 7; } >"$out/pci-bar-moved"
