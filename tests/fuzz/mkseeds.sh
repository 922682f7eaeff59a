#!/bin/sh
# SPDX-License-Identifier: MIT
# Write the seed corpora of the fuzz harnesses into tests/fuzz/corpus/<harness>/.
# The seeds are committed; run this again only after changing how a harness
# decodes its input (see the op encoding in fuzz_slot.c / fuzz_bufpage.c).
# Reproducers of past findings live beside the seeds as crash-<what> files
# and are never regenerated: they are regression tests.
#
# Usage: tests/fuzz/mkseeds.sh [CORPUS-DIR]   (default: next to this script)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/corpus}

# ---- little-endian byte writers -------------------------------------------
# b N...: raw bytes; le16/le32 V: an integer (0x.. or decimal); le64 V: the
# same, but done on the hex digits, since the shell's arithmetic stops at
# 2^63 - 1 and guest addresses go to 2^64 - 1.
b() {
	for v in "$@"; do
		# shellcheck disable=SC2059
		printf "\\$(printf '%03o' $((v & 255)))"
	done
}
le() { # le NBYTES VALUE
	_n=$1 _v=$2 _i=0
	while [ "$_i" -lt "$_n" ]; do
		b $(((_v >> (8 * _i)) & 255))
		_i=$((_i + 1))
	done
}
le16() { le 2 "$1"; }
le32() { le 4 "$1"; }
le64() {
	case $1 in
	0x* | 0X*) _h=${1#0?} ;;
	*) _h=$(printf '%x' "$1") ;;
	esac
	_h=$(printf '%16s' "$_h" | tr ' ' 0)
	for _c in 15 13 11 9 7 5 3 1; do
		b "0x$(printf '%s' "$_h" | cut -c "$_c-$((_c + 1))")"
	done
}
zeros() { _i=0; while [ "$_i" -lt "$1" ]; do b 0; _i=$((_i + 1)); done; }

# ioreq ADDR DATA COUNT SIZE STATE PTR DIR DF TYPE: one 32-byte ioreq_t.
ioreq() {
	le64 "$1"; le64 "$2"; le32 "$3"; le32 "$4"
	le32 0 # vp_eport
	le16 0 # _pad0
	b $((($5 & 15) | ($6 << 4) | ($7 << 5) | ($8 << 6)))
	b "$9"
}

# Xen's constants.
PIO=0 COPY=1 PCI=2 TIMEOFFSET=7 INVALIDATE=8
READY=1 RD=1 WR=0
PCI05=$((0x0000002800000000)) # 0000:00:05.0, register 0

# ---- fuzz_slot ------------------------------------------------------------
# Input: header (bits 0-1: vCPUs - 1; 2-3: guest memory base index; 4: the
# instruction pointer fetch fails), 64 bytes of guest memory, then ops:
#   op%12 0-2 slot:   SEL FLAGS IOREQ(32)          (FLAGS bit 0: force READY)
#         3   scribble: SEL FLAGS IOREQ(32)        (written, not handled)
#         4   inject: VCPU FLAGS IOREQ(32)
#         5,6 advance VCPU [DATA64 if a read]; 7 abort VCPU; 8 restart VCPU
#         9   stale ticket: TICKET64
#         10  honest: REGION B VCPU DATA64 OFF16 [GPA16 if B & 0x20]
#         11  0xa5: abort everything; otherwise honest
# A fuzzy handler (MMIO 0xfeb00000, MMIO top page, PCI 00:05.0) takes one
# behaviour byte each time it runs: bits 0-2 verdict (0-1 scratch, 2 set
# DATA64, 3 pass, 4 defer, 5 error, 6 nonsense, 7 emulate DATA64), bit 3
# calls advance/restart on itself, bit 4 fetches the IP, bits 5-6 complete
# (01), abort (10) or restart (11) another vCPU's deferred access.
slot_hdr() { b "$1"; zeros 64; }
slot_op() { b 0 0 1; ioreq "$@"; }
honest() { b 10 "$1" "$2" "$3"; le64 "$4"; le16 "$5"; [ $# -lt 6 ] || le16 "$6"; }

d=$out/fuzz_slot
mkdir -p "$d"
{ slot_hdr 0; slot_op 0x3f8 0 1 1 $READY 0 $RD 0 $PIO; } >"$d/pio-read-uart"
{ slot_hdr 0; slot_op 0x3f9 0xab 1 1 $READY 0 $WR 0 $PIO; } >"$d/pio-write-uart"
{ slot_hdr 0; slot_op 0xfeb00010 0 1 4 $READY 0 $RD 0 $COPY; b 0; } >"$d/mmio-read"
{ slot_hdr 0; slot_op 0xfeb00000 0 1 4 $READY 0 $RD 0 $COPY; b 4
  b 5 0; le64 0x1234; } >"$d/mmio-defer-advance"
{ slot_hdr 0; slot_op 0xfeb00000 0 1 4 $READY 0 $RD 0 $COPY; b 4
  b 8 0; b 4; b 5 0; le64 0x99; } >"$d/mmio-defer-restart-advance"
{ slot_hdr 0; slot_op 0xfeb00008 7 1 8 $READY 0 $WR 0 $COPY; b 4
  b 7 0; } >"$d/mmio-defer-abort"
{ slot_hdr 1; slot_op 0xfeb00000 0 1 2 $READY 0 $RD 0 $COPY; b 4
  b 0 1 1; ioreq 0xfeb00004 0 1 2 $READY 0 $RD 0 $COPY; b $((0x20)); } >"$d/reentrant-complete"
{ slot_hdr 1; slot_op 0xfeb00000 0 1 2 $READY 0 $RD 0 $COPY; b 4
  b 0 1 1; ioreq 0xfeb00004 0 1 2 $READY 0 $RD 0 $COPY; b $((0x44)); } >"$d/reentrant-abort"
{ slot_hdr 0; slot_op $PCI05 0 1 4 $READY 0 $RD 0 $PCI; b 5; } >"$d/pci-read-error"
{ slot_hdr 0; slot_op $((PCI05 + 0xffe)) 0 1 4 $READY 0 $RD 0 $PCI; } >"$d/pci-past-4k"
{ slot_hdr 0; slot_op $((PCI05 + 0x40)) 0 1 4 $READY 0 $RD 0 $PCI; b 6; } >"$d/pci-nonsense-verdict"
{ slot_hdr 0; slot_op 0xfeb00100 0x100 8 4 $READY 1 $RD 1 $COPY; b 0 0 0 0 4; b 5 0; le64 7
  b 0 0 0; } >"$d/rep-ptr-read-df-defer"
{ slot_hdr 0; slot_op 0xfffffffffffffff0 0 2 8 $READY 0 $WR 0 $COPY; b 0 0; } >"$d/mmio-top-of-space"
{ slot_hdr 0; slot_op 0xfffffffffffffff8 0 2 8 $READY 0 $WR 0 $COPY; } >"$d/mmio-wraps"
{ slot_hdr 8; slot_op 0x3f8 0xfffffffffffffff0 4 4 $READY 1 $RD 0 $PIO; } >"$d/ptr-top-of-space"
{ slot_hdr 8; slot_op 0x3f8 0xfffffffffffffff8 4 4 $READY 1 $RD 0 $PIO; } >"$d/ptr-wraps"
{ slot_hdr 0; slot_op 0x3f8 0x8 4 4 $READY 1 $RD 1 $PIO; } >"$d/ptr-wraps-down"
{ slot_hdr 0; slot_op 0x3f8 0x100000 4 4 $READY 1 $WR 0 $PIO; } >"$d/ptr-outside-memory"
{ slot_hdr 0; slot_op 0x3f8 0 1 0 $READY 0 $RD 0 $PIO
  slot_op 0x3f8 0 1 3 $READY 0 $RD 0 $PIO
  slot_op 0x3f8 0 1 16 $READY 0 $RD 0 $PIO
  slot_op 0xfeb00000 0 1 8 $READY 0 $RD 0 $PIO; } >"$d/bad-sizes"
{ slot_hdr 0; slot_op 0x3f8 0 0 1 $READY 0 $RD 0 $PIO
  slot_op 0x3f8 0 0xffffffff 1 $READY 0 $RD 0 $PIO
  slot_op 0xfeb00000 0x10 0xffffffff 8 $READY 1 $WR 0 $COPY; } >"$d/bad-counts"
{ slot_hdr 0; slot_op 0 0 1 1 $READY 0 $RD 0 5
  slot_op 0 0 1 1 $READY 0 $RD 0 255
  slot_op 0 5 1 8 $READY 0 $WR 0 $TIMEOFFSET
  slot_op 0 0 1 1 $READY 0 $WR 0 $INVALIDATE; } >"$d/types"
{ slot_hdr 0; b 0 0 0; ioreq 0x3f8 0 1 1 0 0 $RD 0 $PIO
  b 0 0 0; ioreq 0x3f8 0 1 1 2 0 $RD 0 $PIO
  b 0 0 0; ioreq 0x3f8 0 1 1 3 0 $RD 0 $PIO
  b 0 0 0; ioreq 0x3f8 0 1 1 9 0 $RD 0 $PIO; } >"$d/states-out-of-order"
{ slot_hdr 3; b 3 4 0; ioreq 0 0 1 1 $READY 0 $RD 0 $PIO; b 0 9 0; } >"$d/vcpu-out-of-range"
{ slot_hdr 0; b 4 0 1; ioreq 0xfeb00000 0 1 4 $READY 0 $RD 0 $COPY; b 4
  b 0 0 1; ioreq 0x3f8 0 1 1 $READY 0 $RD 0 $PIO
  b 5 0; le64 42; } >"$d/inject-defer-busy"
{ slot_hdr 0; slot_op 0xfeb00000 0 1 4 $READY 0 $RD 0 $COPY; b 4
  b 3 0 1; ioreq 0x3f8 0 1 1 $READY 0 $RD 0 $PIO
  b 9; le64 0; b 5 0; le64 1; } >"$d/scribble-while-deferred"
{ slot_hdr 0; honest 0 $((0x81)) 0 0 3
  honest 3 $((0x2b)) 0 0x1122334455667788 100 16
  honest 3 $((0xeb)) 0 0 200 300
  honest 4 $((0x67)) 0 0xdeadbeef 4000 40
  honest 5 $((0x82)) 0 0 0x40
  honest 1 $((0x3e)) 0 0x5a 14 8; } >"$d/honest-mix"
{ slot_hdr 1; slot_op 0xfeb00000 0 1 4 $READY 0 $RD 0 $COPY; b 4
  b 11 $((0xa5)); } >"$d/abort-all"
# The sample hooks (see hook_conf in fuzz_slot.c); each access first meets the
# fuzzy handler, whose byte 3 passes it on to them.
{ slot_hdr 0; slot_op 0xfe000008 0 1 4 $READY 0 $RD 0 $COPY; b 3
  slot_op 0xfe00000a 0xbeef 1 2 $READY 0 $WR 0 $COPY; b 3
  slot_op 0xfe000004 0 1 8 $READY 0 $RD 0 $COPY; b 3
  slot_op 0xfe000900 0 1 4 $READY 0 $RD 0 $COPY; b 3
  slot_op 0xfe0007fc 0x11223344 2 4 $READY 0 $WR 0 $COPY; b 3 3; } >"$d/hooks-mmio"
{ slot_hdr 0; slot_op 0xe9 0x41 1 1 $READY 0 $WR 0 $PIO
  slot_op 0xe9 0x0a 1 1 $READY 0 $WR 0 $PIO
  slot_op 0xe9 0 1 1 $READY 0 $RD 0 $PIO
  slot_op 0xe9 0x20 300 1 $READY 1 $WR 0 $PIO; } >"$d/hooks-debugcon"
{ slot_hdr 0; slot_op $((PCI05 + 0x800000000)) 0 1 4 $READY 0 $RD 0 $PCI; b 3
  slot_op $((PCI05 + 0x800000002)) 0 1 2 $READY 0 $RD 0 $PCI; b 3
  slot_op $((PCI05 + 0x800000004)) 7 1 4 $READY 0 $WR 0 $PCI; b 3
  slot_op $((PCI05 + 0x800000004)) 0 1 4 $READY 0 $RD 0 $PCI; b 3; } >"$d/hooks-pci"

# ---- fuzz_bufpage ---------------------------------------------------------
# Input: header (bit 0 hostile handlers, bit 1 handlers produce, bit 2 an
# arbitrary write_pointer), READ32, then WRITE32 (bit 2) or DIST16 (write =
# read + DIST16 % 513), NFILL16, NFILL slots of 8 bytes from the read
# pointer on, then one behaviour byte per handled write (bits 0-2 verdict,
# bit 3 produce 1 + (b >> 4) more slots, bit 7 (hostile) scribble the read
# (bit 6) or write pointer with a following u32).
# bufslot TYPE DIR SIZE-LOG2 ADDR DATA
bufslot() {
	b "$1" $((($2 << 1) | ($3 << 2) | (($4 & 15) << 4)))
	b $((($4 >> 4) & 255)) $((($4 >> 12) & 255))
	le32 "$5"
}
bufhdr() { b "$1"; le32 "$2"; le16 "$3"; le16 "$4"; }

d=$out/fuzz_bufpage
mkdir -p "$d"
{ bufhdr 0 0 2 2; bufslot $PIO $WR 0 0x3f8 0x41; bufslot $COPY $WR 2 0xa0000 0x12345678; } \
	>"$d/two-writes"
{ bufhdr 0 0 2 2; bufslot $COPY $WR 3 0xa0008 0x11111111; bufslot $COPY $WR 3 0xa0008 0x22222222; } \
	>"$d/quad-split"
{ bufhdr 0 0 1 1; bufslot $COPY $WR 3 0xa0010 0x33333333; } >"$d/quad-half-published"
{ bufhdr 0 0xfffffffe 3 3; bufslot $PIO $WR 1 0x3fa 1; bufslot $PIO $WR 1 0x3fa 2
  bufslot $PIO $WR 1 0x3fa 3; } >"$d/pointers-wrap-2-32"
{ b 4; le32 5; le32 10005; le16 0; } >"$d/write-10000-ahead"
{ b 4; le32 100; le32 50; le16 0; } >"$d/backwards"
{ bufhdr 0 0 4 4; bufslot $PIO $RD 0 0x3f8 0; bufslot 9 $WR 0 0 0
  bufslot $PIO $WR 3 0x3f8 0; bufslot $PIO $WR 3 0x3f8 0; } >"$d/bad-entries"
{ bufhdr 0 0 2 2; bufslot $TIMEOFFSET $WR 3 0 0x10; bufslot $TIMEOFFSET $WR 3 0 0; } \
	>"$d/timeoffset"
{ bufhdr 2 0 1 1; bufslot $COPY $WR 0 0xa0000 1; b $((0x38))
  bufslot $COPY $WR 0 0xa0001 2; bufslot $COPY $WR 0 0xa0002 3; bufslot $COPY $WR 0 0xa0003 4
  b 0 0 0; } >"$d/producer"
{ bufhdr 3 0 1 1; bufslot $PIO $WR 0 0x3f8 1; b $((0x80)); le32 0x7fffffff; } \
	>"$d/hostile-write-pointer"
{ bufhdr 3 0 2 2; bufslot $PIO $WR 0 0x3f8 1; bufslot $PIO $WR 0 0x3f8 1
  b $((0xc0)); le32 0xfffffff0; } >"$d/hostile-read-pointer"
{ bufhdr 0 0 2 2; bufslot $COPY $WR 2 0xffffc 1; bufslot $COPY $WR 0 0xfffff 2; } \
	>"$d/top-of-low-mib"

# ---- fuzz_config ----------------------------------------------------------
d=$out/fuzz_config
mkdir -p "$d"
cat >"$d/full" <<'EOF'
; every key the parser knows
[global]
hook_dir = /usr/lib/ioreqd
log_level = debug
watchdog_ms = 250
buffered = yes

[device uart0]
hook = uart16550
pio = 0x3f8-0x3ff
irq = 4
order = first
optional = no
baud = 115200

[device cfg]
hook = scratch
pci = 0000:00:05.0
mmio = 0xfeb00000+4K
mmio = 0xfeb01000+0x1000
pio = 0x80
EOF
printf '[device a]\nhook = scratch\n' >"$d/no-range"
printf '[device a]\nhook = scratch\nmmio = 0x1000-0x1fff\nmmio = 0x1800+0x10\n' >"$d/self-overlap"
printf '[device a]\nhook = scratch\npio = 0xfff0+0x20\n' >"$d/pio-past-ffff"
printf '[device a]\nhook = scratch\nmmio = 0xffffffffffffff00+0x100\n' >"$d/mmio-to-top"
printf '[device a]\nhook = scratch\nmmio = 0xffffffffffffff00+0x101\n' >"$d/mmio-wraps"
printf '[device a]\nhook = scratch\npci = ffff:ff:1f.7\nirq = 1023\n' >"$d/pci-max"
printf '[device a]\nhook = scratch\npci = 00:20.0\n' >"$d/pci-bad-device"
printf '[globl]\n' >"$d/bad-section"
printf '[device a\nhook = x\n' >"$d/unterminated-section"
printf 'key = outside\n' >"$d/key-outside"
printf '\357\273\277[global]\r\nbuffered = on ; comment\r\n' >"$d/bom-crlf"
printf '[global]\nwatchdog_ms = 99999999999999999999999\n' >"$d/number-overflow"
printf '[global]\nwatchdog_ms = 16G\n' >"$d/number-suffix"
printf '[device a]\nhook = s\nmmio = 0x1000\n[device a]\nhook = s\nmmio = 0x2000\n' >"$d/duplicate-device"
printf '0x10k\n' >"$d/value-line"
# ---- fuzz_bus --------------------------------------------------------------
# Input: per op one byte (op % 6: 0 add, 1 add_sized, 2 remove, 3 lookup,
# 4 find, 5 check all), then operands.  A value is HOW DELTA [u16|u64]:
# HOW % 4 = 0 an edge (index HOW >> 2), 1 a bound of a registered range,
# 2 0x1000 + u16, 3 a raw u64; DELTA (signed) is added.
edge() { b $(($1 << 2)) "${2:-0}"; }    # edge INDEX [DELTA]
near() { b 2 0; le16 "$1"; }            # near OFFSET: 0x1000 + OFFSET
d=$out/fuzz_bus
mkdir -p "$d"
# add MMIO [0x1100, 0x11ff], an enclosing range, a range inside, one touching
# it on either side, then lookups straddling each edge.
{ b 0 1; near 0x100; b 0; le16 0xff
  b 0 1; near 0x80; b 0; le16 0x200
  b 0 1; near 0x180; b 0; le16 0x10
  b 0 1; near 0x200; b 0; le16 0x10
  b 0 1; near 0xf0; b 0; le16 0xf
  b 3 1; near 0xff; b 2
  b 3 1; near 0x1ff; b 2
  b 3 1; near 0x1fe; b 2
  b 4 1; near 0x100; b 0
  b 5 2 0 5; } >"$d/overlaps"
# PIO up to 0xffff and past it; MMIO ending at 2^64 - 1; sized wrap.
{ b 0 0; edge 4 -16; b 0; le16 15
  b 0 0; edge 4 -16; b 0; le16 16
  b 0 1; edge 14 -255; b 1; edge 14
  b 1 1; edge 14 -255; b 0; le16 0x100
  b 1 1; edge 14 -255; b 0; le16 0x101
  b 1 1; near 0; b 0; le16 0
  b 3 1; edge 14; b 1
  b 3 1; edge 14; b 2
  b 5; } >"$d/edges"
# PCI: one SBDF's 4 KiB, then a range spanning two SBDFs.
{ b 0 2; edge 10; b 1; edge 11
  b 0 2; edge 10; b 1; edge 9
  b 3 2; edge 11 -3; b 4
  b 3 3; edge 11; b 1
  b 5; } >"$d/pci"
# Many ranges, then removals in between lookups.
{ i=0; while [ $i -lt 40 ]; do b 0 1; near $((i * 0x20)); b 0; le16 0xf; i=$((i + 1)); done
  i=0; while [ $i -lt 20 ]; do b 2 $((i * 7)); b 3 1; near $((i * 0x40 + 8)); b 4; i=$((i + 1)); done
  b 5; } >"$d/churn"
echo "wrote seeds under $out"
