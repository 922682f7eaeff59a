# SPDX-License-Identifier: MIT
# shellcheck shell=bash disable=SC2034,SC2153 # globals shared with run.sh
# Shared helpers of the Xen-in-QEMU harness (sourced by run.sh): messages,
# stage timing, host tool installation, and running QEMU under timeout with
# its serial log kept.

T0=$(date +%s)
STAGE=""
STAGE_T0=$T0
TIMINGS=""

say() { printf '[xen-test +%ss] %s\n' "$(($(date +%s) - T0))" "$*"; }
die() {
	say "ERROR: $*" >&2
	exit 1
}

# stage NAME: close the current stage (recording its duration) and open NAME.
stage() {
	local now
	now=$(date +%s)
	[ -n "$STAGE" ] && TIMINGS="$TIMINGS${TIMINGS:+, }$STAGE $((now - STAGE_T0))s"
	STAGE=$1
	STAGE_T0=$now
	[ -n "$1" ] && say "== $1"
	return 0
}

print_timings() {
	stage ""
	say "timings: $TIMINGS; total $(($(date +%s) - T0))s"
}

# need_tools WHAT=PACKAGE...: install the Debian packages of missing
# commands (WHAT is a command name, or an absolute path that must exist),
# with apt-get as root, unless XEN_TEST_NO_INSTALL=1.
need_tools() {
	local spec what missing=""
	for spec in "$@"; do
		what=${spec%%=*}
		case $what in
		/*) [ -e "$what" ] ;;
		*) command -v "$what" >/dev/null 2>&1 ;;
		esac || missing="$missing ${spec#*=}"
	done
	[ -z "$missing" ] && return 0
	[ "${XEN_TEST_NO_INSTALL:-0}" = 1 ] && die "missing host packages:$missing (XEN_TEST_NO_INSTALL=1)"
	[ "$(id -u)" = 0 ] || die "missing host packages:$missing (run as root to install them)"
	say "installing host packages:$missing"
	apt_update_once
	# shellcheck disable=SC2086 # a word list
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing >"$WORK/apt-install.log" 2>&1 ||
		{ cat "$WORK/apt-install.log" >&2; die "apt-get install$missing failed"; }
}

# apt metadata is needed to resolve package versions; it is fetched at most
# once per run, when a package cannot be resolved without it.
APT_UPDATED=0
apt_update_once() {
	[ $APT_UPDATED = 1 ] && return 0
	APT_UPDATED=1
	[ "$(id -u)" = 0 ] || return 0
	say "apt-get update"
	apt-get update -q >"$WORK/apt-update.log" 2>&1 || say "apt-get update failed (see $WORK/apt-update.log); using what apt has"
}

# run_qemu LOG QEMU-ARGS...: run QEMU under timeout with the serial port in
# LOG, or on the terminal with XEN_TEST_INTERACTIVE=1.  Sets QEMU_RC.
run_qemu() {
	local log=$1 pid
	shift
	rm -f "$log"
	say "qemu (timeout ${XEN_TEST_TIMEOUT}s): $*"
	set +e
	if [ "${XEN_TEST_INTERACTIVE:-0}" = 1 ]; then
		timeout -k 10 "$XEN_TEST_TIMEOUT" "$@" -display none -no-reboot -serial mon:stdio
		QEMU_RC=$?
	else
		timeout -k 10 "$XEN_TEST_TIMEOUT" "$@" -display none -no-reboot -serial "file:$log" \
			</dev/null >"$log.qemu" 2>&1 &
		pid=$!
		watch_boot $pid "$log"
		wait $pid
		QEMU_RC=$?
		cat "$log.qemu"
	fi
	set -e
	[ $QEMU_RC = 124 ] && say "QEMU timed out after ${XEN_TEST_TIMEOUT}s"
	return 0
}

# watch_boot PID LOG: while QEMU runs, start the "guest cases" stage when
# dom0 says its Xen tools are up, so boot and test times are told apart.
watch_boot() {
	local booted=0
	while kill -0 "$1" 2>/dev/null; do
		sleep 1
		if [ $booted = 0 ] && grep -qa '^XENTEST: xen tools up' "$2" 2>/dev/null; then
			booted=1
			stage "guest cases"
		fi
	done
}

# show_serial LOG: print the whole serial log, for a failure.
show_serial() {
	[ -f "$1" ] || return 0
	echo "----- serial log $1 -----"
	tr -d '\r' <"$1"
	echo "----- end of serial log -----"
}
