#!/bin/sh
# SPDX-License-Identifier: MIT
#
# A stand-in for the per-domain ioreqd that tests/check_watch starts:
# it is called as `watch-child.sh -d DOMID -c CONFIG -f --ready-fd=3 ...`,
# records its arguments and configuration in $WATCH_CHILD_DIR/DOMID.args and
# .conf, and behaves as $WATCH_CHILD_MODE_<DOMID> says:
#   serve  (default) signal readiness on fd 3, then idle until SIGTERM;
#   fail   print an error and exit 78 before serving (a bad target, say);
#   crash  signal readiness, then die of SIGSEGV.
dom=$2
conf=$4
printf '%s\n' "$@" > "$WATCH_CHILD_DIR/$dom.args"
cp "$conf" "$WATCH_CHILD_DIR/$dom.conf"
eval mode=\${WATCH_CHILD_MODE_$dom:-serve}
case $mode in
fail)
	echo "ioreqd: error: domain $dom: the test said fail" >&2
	exit 78
	;;
crash)
	printf R >&3
	exec 3>&-
	kill -SEGV $$
	;;
*)
	printf R >&3
	exec 3>&-
	trap 'kill $! 2>/dev/null; exit 0' TERM
	# Idle without a busy loop; SIGTERM ends the wait at once.
	while :; do
		sleep 60 &
		wait $!
	done
	;;
esac
