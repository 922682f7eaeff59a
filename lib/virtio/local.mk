# SPDX-License-Identifier: MIT
# lib/virtio/: the virtio core (split virtqueues, features, status, config),
# pure logic meant for the hook SDK, so that virtio transports and devices can
# be hooks.  It depends on nothing else in lib/ (guest memory arrives as
# struct ioreqd_gmem_ops, logging as a callback), so the SDK can absorb the
# convenience library whole, static or shared.
noinst_LTLIBRARIES += lib/virtio/libioreqd-virtio.la
lib_virtio_libioreqd_virtio_la_SOURCES = lib/virtio/virtio.c lib/virtio/virtqueue.c \
	lib/virtio/vstate.c \
	lib/virtio/virtio-internal.h lib/virtio/ring.h
pkginclude_HEADERS += include/ioreqd/virtio.h include/ioreqd/gmem.h

# The guest side of a split virtqueue and of a whole device over an abstract
# transport (vguest: virtio-mmio now), for the simulated guest, the tests and
# the benchmarks (not part of the SDK).
noinst_LTLIBRARIES += lib/virtio/libioreqd-vdriver.la
lib_virtio_libioreqd_vdriver_la_SOURCES = lib/virtio/vdriver.c lib/virtio/vdriver.h \
	lib/virtio/vguest.c lib/virtio/vguest.h lib/virtio/ring.h \
	lib/virtio/vguest-pci.c lib/virtio/vguest-pci.h

# How the pieces fit, for transport and device authors.
EXTRA_DIST += docs/virtio.md
