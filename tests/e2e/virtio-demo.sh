#!/bin/sh
# SPDX-License-Identifier: MIT
# End to end: the virtio demo (etc/virtio-demo.conf, sim/virtio-demo.script)
# through tests/e2e/demo.sh: the real daemon serves virtio-rng over
# virtio-mmio to ioreqd-simguest, whose driver probes the device, negotiates,
# sets up a queue in guest RAM and reads random bytes, taking and
# acknowledging an interrupt for each.  Passes if every guest check passed and
# the daemon exited cleanly when the guest went away.
set -u
: "${srcdir:=.}"
DEMO_CONF=$srcdir/etc/virtio-demo.conf DEMO_SCRIPT=$srcdir/sim/virtio-demo.script \
	exec sh "$srcdir/tests/e2e/demo.sh"
