#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Instructions per access under callgrind: a figure that, unlike time, does
# not move with the load of the machine, so a change of a few instructions in
# the hot path shows up run to run.  bench_dispatch --mode callgrind runs
# fixed counts through its cg_region_* functions (1,000 ranges; sequential and
# random addresses; a buffered-ring drain); only those are collected
# (--toggle-collect), and each region's inclusive count is divided by the
# number of accesses (or ring slots) it ran.  The loop that plays Xen (filling
# the slot) is included: about 30 instructions of each figure.
#
# usage: callgrind.sh BENCH_DISPATCH [JSON_OUT]
# Prints a table; writes a JSON object to JSON_OUT when given.
set -eu

prog=${1:?usage: callgrind.sh BENCH_DISPATCH [JSON_OUT]}
json=${2:-}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ioreqd-cg.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

skip() {
	echo "callgrind: skipped: $1"
	if [ -n "$json" ]; then
		printf '{"skipped": "%s"}\n' "$1" >"$json"
	fi
	exit 0
}

command -v valgrind >/dev/null 2>&1 || skip "valgrind is not installed (apt-get install valgrind)"
command -v callgrind_annotate >/dev/null 2>&1 || skip "callgrind_annotate is not installed"

if ! valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.out" \
	--toggle-collect='cg_region_*' "$prog" --mode callgrind \
	>"$tmp/counts" 2>"$tmp/valgrind.log"; then
	cat "$tmp/valgrind.log" >&2
	echo "callgrind: $prog failed under valgrind" >&2
	exit 1
fi
callgrind_annotate --inclusive=yes --threshold=100 "$tmp/cg.out" >"$tmp/incl" 2>/dev/null
callgrind_annotate --threshold=100 "$tmp/cg.out" >"$tmp/self" 2>/dev/null

# Inclusive instructions of function $1 ("file:function [object]" lines).
ir_of() {
	awk -v fn="$1" '{
		for (i = 2; i <= NF; i++)
			if ($i ~ (":" fn "$")) { gsub(",", "", $1); print $1; exit }
	}' "$tmp/incl"
}

echo
echo "== Instructions per access (callgrind; 1,000 ranges; machine-independent)"
printf '%-28s %10s %14s %12s\n' region count instructions 'per access'
first=1
[ -n "$json" ] && printf '{\n  "regions": [' >"$json"
while read -r region count; do
	ir=$(ir_of "$region")
	[ -n "$ir" ] || ir=0
	per=$(awk -v a="$ir" -v b="$count" 'BEGIN { printf "%.1f", b ? a / b : 0 }')
	case $region in
	cg_region_dispatch_seq) label="dispatch, sequential" ;;
	cg_region_dispatch_random) label="dispatch, random" ;;
	cg_region_bufring) label="buffered ring, per slot" ;;
	*) label=$region ;;
	esac
	printf '%-28s %10s %14s %12s\n' "$label" "$count" "$ir" "$per"
	printf 'target\tcallgrind.%s\t%s\tinfo\t0\tIr\n' "${region#cg_region_}" "$per"
	if [ -n "$json" ]; then
		[ $first -eq 1 ] || printf ',' >>"$json"
		first=0
		printf '\n    {"region": "%s", "count": %s, "instructions": %s, "per_access": %s}' \
			"${region#cg_region_}" "$count" "$ir" "$per" >>"$json"
	fi
done <"$tmp/counts"

# Where the instructions go: "instructions function" for the ten heaviest
# functions by self cost (the percentage column may hold a space).
top_self() {
	sed -n '/file:function/,/^$/p' "$tmp/self" | awk 'NR > 2 && n < 10 {
		for (i = 2; i <= NF; i++)
			if ($i ~ /:/) {
				split($i, p, ":"); gsub(",", "", $1); print $1, p[2]; n++; break
			}
	}'
}

echo "-- heaviest functions (self instructions, all regions):"
top_self | awk '{ printf "   %12s  %s\n", $1, $2 }'
if [ -n "$json" ]; then
	printf '\n  ],\n  "top_self": [' >>"$json"
	top_self | awk '{
		printf "%s\n    {\"function\": \"%s\", \"instructions\": %s}", (NR > 1 ? "," : ""), $2, $1
	}' >>"$json"
	printf '\n  ]\n}\n' >>"$json"
fi
