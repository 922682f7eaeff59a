#!/bin/sh
# SPDX-License-Identifier: MIT
#
# `make bench`: run every benchmark, print a readable report and a summary of
# the targets, and write the same figures as JSON to bench/last.json in the
# build directory (and bench/last.png, a plot of the dispatch curve, when
# gnuplot is installed).  A missed target is reported, never an error: the
# exit status is non-zero only when a benchmark could not run.
#
# Environment:
#   BENCH_BUILDDIR, BENCH_SRCDIR   set by the Makefile
#   BENCH_SECONDS   time per measured point of the cross-process runs (default 1)
#   BENCH_QUICK=1   a short smoke run (numbers are not meaningful)
#   BENCH_ONLY      a space-separated subset of: dispatch roundtrip virtq vblk vblk_sim
#                   xenmap callgrind
set -eu

: "${BENCH_BUILDDIR:=.}"
: "${BENCH_SRCDIR:=.}"
: "${BENCH_SECONDS:=1}"
: "${BENCH_QUICK:=0}"
: "${BENCH_ONLY:=dispatch roundtrip virtq vblk vblk_sim xenmap callgrind}"

b=$BENCH_BUILDDIR
out=$b/bench/last.json
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ioreqd-bench-run.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

quick=
[ "$BENCH_QUICK" = 1 ] && quick=--quick

wants() {
	case " $BENCH_ONLY " in *" $1 "*) return 0 ;; esac
	return 1
}

# What was measured on what: the numbers mean little without it.
cflags=$(sed -n 's/^CFLAGS = //p' "$b/Makefile" | head -n 1)
opt=$(sed -n 's/^AM_CFLAGS_OPT = //p' "$b/Makefile" | head -n 1)
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
ncpu=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 0)
load=$(cut -d ' ' -f 1-3 /proc/loadavg)
rev=$(git -C "$BENCH_SRCDIR" rev-parse --short HEAD 2>/dev/null || echo unknown)
start=$(date +%s)

echo "ioreqd benchmarks: $cpu, $ncpu CPU(s), load $load, $(uname -r), rev $rev"
echo "compiler flags: ${cflags:-?} ${opt}"
case " $cflags $opt " in
*" -O0 "*) echo "WARNING: -O0 build (--enable-debug): these numbers are not representative." ;;
esac
case "$load" in
0.* | 1.*) ;;
*) echo "NOTE: the machine is busy (load $load): expect noise; the ratios are interleaved and hold up best." ;;
esac

run() { # name program args...: output to the terminal and to $tmp/name.out
	_name=$1
	shift
	if ! "$@" >"$tmp/$_name.out" 2>"$tmp/$_name.err"; then
		cat "$tmp/$_name.out" "$tmp/$_name.err"
		echo "bench: $_name failed" >&2
		return 1
	fi
	grep -v '^target	' "$tmp/$_name.out" || true
	# Warnings from the programs (a failed access, a daemon that died) matter.
	[ ! -s "$tmp/$_name.err" ] || sed 's/^/  stderr: /' "$tmp/$_name.err"
}

status=0
if wants dispatch; then
	run dispatch "$b/bench/bench_dispatch" $quick --json "$tmp/dispatch.json" || status=1
fi
if wants roundtrip; then
	run roundtrip "$b/bench/bench_roundtrip" $quick --seconds "$BENCH_SECONDS" \
		--json "$tmp/roundtrip.json" --daemon "$b/daemon/ioreqd" \
		--hook-dir "$b/hooks/.libs" --srcdir "$BENCH_SRCDIR" || status=1
fi
if wants virtq; then
	run virtq "$b/bench/bench_virtq" $quick --json "$tmp/virtq.json" || status=1
fi
if wants vblk && [ -x "$b/bench/bench_vblk" ]; then
	run vblk "$b/bench/bench_vblk" $quick --seconds "$BENCH_SECONDS" \
		--json "$tmp/vblk.json" || status=1
fi
if wants vblk_sim && [ -x "$b/bench/bench_vblk_sim" ]; then
	run vblk_sim "$b/bench/bench_vblk_sim" $quick --seconds "$BENCH_SECONDS" \
		--json "$tmp/vblk_sim.json" --daemon "$b/daemon/ioreqd" \
		--hook-dir "$b/hooks/.libs" || status=1
fi
if wants xenmap; then
	run xenmap "$b/bench/bench_xenmap" $quick --seconds "$BENCH_SECONDS" \
		--json "$tmp/xenmap.json" || status=1
fi
if wants callgrind; then
	run callgrind sh "$BENCH_SRCDIR/bench/callgrind.sh" "$b/bench/bench_dispatch" \
		"$tmp/callgrind.json" || status=1
fi

# The summary: every "target" line the programs printed, judged here.
cat "$tmp"/*.out 2>/dev/null | grep '^target	' >"$tmp/targets" || true
echo
echo "== Summary"
printf '%-36s %12s %12s  %s\n' figure value target status
awk -F '\t' '{
	v = $3 + 0; l = $5 + 0
	if ($4 == "info") { st = "-"; tgt = "" }
	else {
		met = ($4 == "<=") ? (v <= l) : (v >= l)
		st = met ? "met" : "MISSED"
		tgt = $4 " " $5 " " $6
	}
	printf "%-36s %12s %12s  %s\n", $2, $3 " " $6, tgt, st
}' "$tmp/targets"

# bench/last.json: the metadata, each program's JSON, and the judged targets.
json_str() { printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g'; }
{
	printf '{\n  "meta": {\n'
	printf '    "date": "%s",\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
	printf '    "revision": "%s",\n' "$(json_str "$rev")"
	printf '    "cpu": "%s",\n' "$(json_str "$cpu")"
	printf '    "ncpu": %s,\n' "$ncpu"
	printf '    "kernel": "%s",\n' "$(json_str "$(uname -r)")"
	printf '    "loadavg_start": "%s",\n' "$load"
	printf '    "loadavg_end": "%s",\n' "$(cut -d ' ' -f 1-3 /proc/loadavg)"
	printf '    "cflags": "%s",\n' "$(json_str "$cflags $opt")"
	printf '    "seconds_per_point": %s,\n' "$BENCH_SECONDS"
	printf '    "quick": %s,\n' "$([ "$BENCH_QUICK" = 1 ] && echo true || echo false)"
	printf '    "wall_seconds": %s\n  }' "$(($(date +%s) - start))"
	for part in dispatch roundtrip virtq vblk vblk_sim xenmap callgrind; do
		[ -s "$tmp/$part.json" ] || continue
		printf ',\n  "%s": ' "$part"
		sed '2,$s/^/  /' "$tmp/$part.json"
	done
	printf ',\n  "targets": ['
	awk -F '\t' '{
		v = $3 + 0; l = $5 + 0
		met = ($4 == "info") ? "null" : ((($4 == "<=") ? (v <= l) : (v >= l)) ? "true" : "false")
		printf "%s\n    {\"name\": \"%s\", \"value\": %s, \"op\": \"%s\", \"limit\": %s, \"unit\": \"%s\", \"met\": %s}",
			(NR > 1 ? "," : ""), $2, $3, $4, $5, $6, met
	}' "$tmp/targets"
	printf '\n  ]\n}\n'
} >"$out.tmp"
mv "$out.tmp" "$out"
echo
echo "wrote $out ($(($(date +%s) - start)) s)"

# Optional plot of the dispatch curve (Debian: gnuplot-nox).
if command -v gnuplot >/dev/null 2>&1 && [ -s "$tmp/dispatch.json" ]; then
	awk '/"ranges"/ { gsub(/[^0-9]/, "", $2); r = $2 }
	     /"pattern"/ { p = ($2 ~ /random/) ? "random" : "sequential" }
	     /"ns_per_access"/ { gsub(/,/, "", $2); print r, p, $2 }' \
		"$tmp/dispatch.json" >"$tmp/curve"
	grep ' sequential ' "$tmp/curve" >"$tmp/seq" || true
	grep ' random ' "$tmp/curve" >"$tmp/rnd" || true
	if gnuplot -e "set terminal png size 800,500; set output '$b/bench/last.png';
		set logscale x; set xlabel 'ranges'; set ylabel 'ns per access';
		set title 'ioreqd in-process dispatch'; set key left top; set grid;
		set yrange [0:*];
		plot '$tmp/seq' using 1:3 with linespoints title 'sequential',
		     '$tmp/rnd' using 1:3 with linespoints title 'random',
		     60 with lines dashtype 2 title 'target'" 2>/dev/null; then
		echo "wrote $b/bench/last.png"
	fi
fi
exit $status
