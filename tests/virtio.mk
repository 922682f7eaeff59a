# SPDX-License-Identifier: MIT
# The virtio core's Check suites (owned by the virtio work).  Included after
# tests/local.mk and tests/fuzz/local.mk.
VIRTIO_TEST_CPPFLAGS = $(TEST_CPPFLAGS) -I$(top_srcdir)/lib/virtio -I$(top_srcdir)/tests
VIRTIO_TEST_LDADD = lib/virtio/libioreqd-virtio.la lib/virtio/libioreqd-vdriver.la \
	$(TEST_LDADD)
VIRTIO_FIXTURE_SOURCES = tests/virtio-fixture.c tests/virtio-fixture.h

check_PROGRAMS += tests/check_virtio_queue
TESTS += tests/check_virtio_queue
tests_check_virtio_queue_SOURCES = tests/check_virtio_queue.c $(VIRTIO_FIXTURE_SOURCES)
tests_check_virtio_queue_CPPFLAGS = $(VIRTIO_TEST_CPPFLAGS)
tests_check_virtio_queue_LDADD = $(VIRTIO_TEST_LDADD)
check_PROGRAMS += tests/check_virtio_device
TESTS += tests/check_virtio_device
tests_check_virtio_device_SOURCES = tests/check_virtio_device.c $(VIRTIO_FIXTURE_SOURCES)
tests_check_virtio_device_CPPFLAGS = $(VIRTIO_TEST_CPPFLAGS)
tests_check_virtio_device_LDADD = $(VIRTIO_TEST_LDADD)
