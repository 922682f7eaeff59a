#!/bin/sh
# SPDX-License-Identifier: MIT
# make bench-xen's arithmetic, without Xen: the driver's bench_table
# (tests/xen/dom0/xentest.sh) on made-up vbench and --stats lines.  Each
# ratio is the daemon's figure over QEMU's, judged against its target in the
# right direction, and a figure that is missing (a column whose daemon
# reported nothing, QEMU's figure absent or 0) shows '?' with no verdict:
# never a target MET on no data.
set -u
. "${srcdir:-.}/tests/e2e/lib.sh"

e2e_tmpdir
xentest=$srcdir/tests/xen/dom0/xentest.sh
# The function alone: xentest.sh itself runs the cases when sourced.
sed -n '/^bench_table() {$/,/^}$/p' "$xentest" >"$tmp/bench_table.sh"
grep -q '^bench_table() {$' "$tmp/bench_table.sh" || fail "no bench_table in $xentest"
# shellcheck source=/dev/null # written just above
. "$tmp/bench_table.sh"

cat >"$tmp/results" <<'R'
vbench: result qemu rand4k_iops 1000.0
vbench: result qemu seq1m_mibs 200.0
vbench: result qemu port_median_ns 10000
vbench: result qemu port_p90_ns 20000
vbench: result ioreqd rand4k_iops 1500.0
vbench: result ioreqd seq1m_mibs 100.0
vbench: result ioreqd port_median_ns 7000
vbench: result ioreqd port_p90_ns 9000
vbench: result ioreqd port_reads 5000
vbench: result poll port_median_ns 9000
R
printf 'ioreqd samples 4096\nioreqd total_ns 2500\n' |
	bench_table "$tmp/results" ioreqd poll >"$tmp/table.out" 2>"$tmp/table.err" ||
	fail "bench_table failed"

# row LABEL: the table's line for that figure, the label cut off.
row() {
	grep -F -- "$1" "$tmp/table.out" | cut -c "$((${#1} + 1))-"
}
check() {
	got=$(row "$1" | tr -s ' ' | sed 's/^ //; s/ $//')
	[ "$got" = "$2" ] || fail "'$1': got '$got', wanted '$2'"
}
# QEMU, ioreqd, +poll, target, then each column's ratio and verdict.
check "4 KiB random reads, IOPS" "1000.0 1500.0 ? >= 1.0 1.50x MET ? ?"
check "1 MiB sequential reads, MiB/s" "200.0 100.0 ? >= 1.0 0.50x MISSED ? ?"
check "port read round trip, median ns" "10000 7000 9000 <= 0.8 0.70x MET 0.90x MISSED"
check "port read round trip, p90 ns" "20000 9000 ? - 0.45x ?"

# QEMU's figure missing or 0: no ratio, no verdict, for any column.
sed -e '/qemu port_median_ns/d' -e 's/qemu rand4k_iops 1000.0/qemu rand4k_iops 0/' \
	"$tmp/results" >"$tmp/results2"
bench_table "$tmp/results2" ioreqd poll </dev/null >"$tmp/table.out" 2>"$tmp/table.err" ||
	fail "bench_table failed without QEMU's figures"
check "4 KiB random reads, IOPS" "0 1500.0 ? >= 1.0 ? ? ? ?"
check "port read round trip, median ns" "? 7000 9000 <= 0.8 ? ? ? ?"
grep -q ' MET' "$tmp/table.out" && fail "a target MET with no QEMU figure to compare"
exit 0
