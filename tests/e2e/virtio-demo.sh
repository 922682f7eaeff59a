#!/bin/sh
# SPDX-License-Identifier: MIT
# End to end: the virtio demo (etc/virtio-demo.conf, sim/virtio-demo.script)
# through tests/e2e/demo.sh: the real daemon serves virtio-rng over
# virtio-mmio to ioreqd-simguest, whose driver probes the device, negotiates,
# sets up a queue in guest RAM and reads random bytes, taking and
# acknowledging an interrupt for each; then writes and reads back patterns
# on virtio-blk and writes a line to virtio-console.  Passes if every guest check passed and
# the daemon exited cleanly when the guest went away.
set -u
: "${srcdir:=.}"
# virtio-blk's disk, in the directory the daemon starts in (the config's path).
dd if=/dev/zero of=virtio-demo.img bs=1024 count=8192 2>/dev/null || exit 1
rm -f virtio-demo-console.log
if [ ! -e "${HOOKDIR:-${builddir:-.}/hooks/.libs}/virtio-blk.so" ]; then
	echo "virtio-demo: built without liburing (no virtio-blk); skipped"
	exit 77
fi
DEMO_CONF=$srcdir/etc/virtio-demo.conf DEMO_SCRIPT=$srcdir/sim/virtio-demo.script \
	sh "$srcdir/tests/e2e/demo.sh" || exit 1
grep -q "hello from the guest's virtio console" virtio-demo-console.log || {
	echo "virtio-demo: the console line did not reach virtio-demo-console.log"
	exit 1
}
