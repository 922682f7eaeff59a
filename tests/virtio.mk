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
tests_check_virtio_queue_CFLAGS = $(AM_CFLAGS) -pthread
tests_check_virtio_queue_LDADD = $(VIRTIO_TEST_LDADD) -lpthread
check_PROGRAMS += tests/check_virtio_queue_serve
TESTS += tests/check_virtio_queue_serve
tests_check_virtio_queue_serve_SOURCES = tests/check_virtio_queue_serve.c \
	$(VIRTIO_FIXTURE_SOURCES)
tests_check_virtio_queue_serve_CPPFLAGS = $(VIRTIO_TEST_CPPFLAGS)
tests_check_virtio_queue_serve_CFLAGS = $(AM_CFLAGS) -pthread
tests_check_virtio_queue_serve_LDADD = $(VIRTIO_TEST_LDADD) -lpthread
check_PROGRAMS += tests/check_virtio_device
TESTS += tests/check_virtio_device
tests_check_virtio_device_SOURCES = tests/check_virtio_device.c $(VIRTIO_FIXTURE_SOURCES)
tests_check_virtio_device_CPPFLAGS = $(VIRTIO_TEST_CPPFLAGS)
tests_check_virtio_device_LDADD = $(VIRTIO_TEST_LDADD)

# --- fuzz_virtqueue: the core under arbitrary guest memory and rings ---
# (see tests/fuzz/local.mk for the two builds of every harness)
FUZZ_HARNESSES += fuzz_virtqueue
VIRTIO_FUZZ_CPPFLAGS = $(FUZZ_CPPFLAGS) -I$(top_srcdir)/lib/virtio
check_PROGRAMS += tests/fuzz/fuzz_virtqueue_replay
TESTS += tests/fuzz/fuzz_virtqueue_replay
tests_fuzz_fuzz_virtqueue_replay_SOURCES = tests/fuzz/fuzz_virtqueue.c \
	tests/fuzz/standalone.c $(FUZZ_COMMON_SOURCES)
tests_fuzz_fuzz_virtqueue_replay_CPPFLAGS = $(VIRTIO_FUZZ_CPPFLAGS) \
	-DFUZZ_NAME='"fuzz_virtqueue"'
tests_fuzz_fuzz_virtqueue_replay_LDADD = lib/virtio/libioreqd-virtio.la \
	lib/virtio/libioreqd-vdriver.la lib/libioreqd.la
EXTRA_DIST += tests/fuzz/mkseeds-virtio.sh
if ENABLE_FUZZING
# The core and the guest driver again, instrumented for coverage.
noinst_LTLIBRARIES += tests/fuzz/libioreqd-virtio-fuzz.la
tests_fuzz_libioreqd_virtio_fuzz_la_SOURCES = $(lib_virtio_libioreqd_virtio_la_SOURCES) \
	$(lib_virtio_libioreqd_vdriver_la_SOURCES)
tests_fuzz_libioreqd_virtio_fuzz_la_CFLAGS = $(AM_CFLAGS) $(FUZZ_CFLAGS)
noinst_PROGRAMS += tests/fuzz/fuzz_virtqueue
tests_fuzz_fuzz_virtqueue_SOURCES = tests/fuzz/fuzz_virtqueue.c $(FUZZ_COMMON_SOURCES)
tests_fuzz_fuzz_virtqueue_CPPFLAGS = $(VIRTIO_FUZZ_CPPFLAGS)
tests_fuzz_fuzz_virtqueue_CFLAGS = $(AM_CFLAGS) $(FUZZ_CFLAGS)
tests_fuzz_fuzz_virtqueue_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_virtqueue_LDADD = tests/fuzz/libioreqd-virtio-fuzz.la \
	tests/fuzz/libioreqd-fuzz.la
fuzz-smoke: tests/fuzz/fuzz_virtqueue$(EXEEXT)
endif

# --- the virtio hooks through the mock host ---
check_PROGRAMS += tests/check_hook_virtio_mmio
TESTS += tests/check_hook_virtio_mmio
tests_check_hook_virtio_mmio_SOURCES = tests/check_hook_virtio_mmio.c $(MOCK_HOST_SOURCES)
tests_check_hook_virtio_mmio_CPPFLAGS = $(HOOK_TEST_CPPFLAGS) -I$(top_srcdir)/lib/virtio
tests_check_hook_virtio_mmio_LDADD = lib/virtio/libioreqd-vdriver.la $(HOOK_TEST_LDADD)
check_PROGRAMS += tests/check_hook_virtio_pci
TESTS += tests/check_hook_virtio_pci
tests_check_hook_virtio_pci_SOURCES = tests/check_hook_virtio_pci.c $(MOCK_HOST_SOURCES)
tests_check_hook_virtio_pci_CPPFLAGS = $(HOOK_TEST_CPPFLAGS) -I$(top_srcdir)/lib/virtio
tests_check_hook_virtio_pci_LDADD = lib/virtio/libioreqd-vdriver.la $(HOOK_TEST_LDADD)

# --- end to end: the real daemon and the simulated guest ---
E2E_TESTS += tests/e2e/virtio-demo.sh tests/e2e/virtio-config-errors.sh tests/e2e/virtio-pci.sh \
	tests/e2e/virtio-stats.sh tests/e2e/virtio-console-input.sh tests/e2e/devstate-virtio.sh \
	tests/e2e/checkpoint.sh
E2E_TESTS += tests/e2e/virtio-pci-xl.sh
EXTRA_DIST += etc/virtio-demo.conf sim/virtio-demo.script
# virtio-blk's disk and virtio-console's output in the demo (etc/virtio-demo.conf).
CLEANFILES += virtio-demo.img virtio-demo-console.log

# The virtio demo (etc/virtio-demo.conf, sim/virtio-demo.script).
demo-virtio: all
	@dd if=/dev/zero of=virtio-demo.img bs=1024 count=8192 2>/dev/null
	@srcdir='$(abs_top_srcdir)' builddir='$(abs_top_builddir)' \
		DEMO_CONF='$(abs_top_srcdir)/etc/virtio-demo.conf' \
		DEMO_SCRIPT='$(abs_top_srcdir)/sim/virtio-demo.script' \
		$(SHELL) $(abs_top_srcdir)/tests/e2e/demo.sh
.PHONY: demo-virtio

# --- device state of every virtio transport and device (save, load, carry on) ---
check_PROGRAMS += tests/check_virtio_state
TESTS += tests/check_virtio_state
tests_check_virtio_state_SOURCES = tests/check_virtio_state.c $(MOCK_HOST_SOURCES)
tests_check_virtio_state_CPPFLAGS = $(HOOK_TEST_CPPFLAGS) -I$(top_srcdir)/lib/virtio
tests_check_virtio_state_LDADD = lib/virtio/libioreqd-vdriver.la $(HOOK_TEST_LDADD)

# --- fuzz_virtio_dev: the device hooks behind virtio-mmio, fed by a guest ---
# (virtio-blk only with liburing; see tests/fuzz/fuzz_virtio_dev.c)
FUZZ_HARNESSES += fuzz_virtio_dev
check_PROGRAMS += tests/fuzz/fuzz_virtio_dev_replay
TESTS += tests/fuzz/fuzz_virtio_dev_replay
tests_fuzz_fuzz_virtio_dev_replay_SOURCES = tests/fuzz/fuzz_virtio_dev.c \
	tests/fuzz/standalone.c $(FUZZ_HOST_SOURCES) $(FUZZ_COMMON_SOURCES)
tests_fuzz_fuzz_virtio_dev_replay_CPPFLAGS = $(VIRTIO_FUZZ_CPPFLAGS) \
	-DFUZZ_NAME='"fuzz_virtio_dev"'
tests_fuzz_fuzz_virtio_dev_replay_LDADD = lib/virtio/libioreqd-vdriver.la \
	$(FUZZ_REPLAY_LDADD)
if ENABLE_FUZZING
# The transports, the glue and the device models, instrumented for coverage.
noinst_LTLIBRARIES += tests/fuzz/libioreqd-vdev-fuzz.la
tests_fuzz_libioreqd_vdev_fuzz_la_SOURCES = $(hooks_libioreqd_vdev_la_SOURCES) \
	$(hooks_virtio_libioreqd_vcons_la_SOURCES)
if HAVE_LIBURING
tests_fuzz_libioreqd_vdev_fuzz_la_SOURCES += hooks/virtio/blk.c hooks/virtio/blkio.c
endif
tests_fuzz_libioreqd_vdev_fuzz_la_CPPFLAGS = $(HOOK_PLUGIN_CPPFLAGS) -I$(top_srcdir)/hooks \
	-I$(top_srcdir)/lib/util
tests_fuzz_libioreqd_vdev_fuzz_la_CFLAGS = $(AM_CFLAGS) $(FUZZ_CFLAGS) $(LIBURING_CFLAGS)
noinst_PROGRAMS += tests/fuzz/fuzz_virtio_dev
tests_fuzz_fuzz_virtio_dev_SOURCES = tests/fuzz/fuzz_virtio_dev.c $(FUZZ_HOST_SOURCES) \
	$(FUZZ_COMMON_SOURCES)
tests_fuzz_fuzz_virtio_dev_CPPFLAGS = $(VIRTIO_FUZZ_CPPFLAGS)
tests_fuzz_fuzz_virtio_dev_CFLAGS = $(AM_CFLAGS) $(FUZZ_CFLAGS)
tests_fuzz_fuzz_virtio_dev_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_virtio_dev_LDADD = tests/fuzz/libioreqd-vdev-fuzz.la \
	tests/fuzz/libioreqd-virtio-fuzz.la lib/virtio/libioreqd-vdriver.la \
	tests/fuzz/libioreqd-fuzz.la $(LIBURING_LIBS)
fuzz-smoke: tests/fuzz/fuzz_virtio_dev$(EXEEXT)
endif
