# SPDX-License-Identifier: MIT
# virtio-blk and virtio-console device models (owned by the virtio-blk work),
# their Check suites on the device-model bench, and their benchmarks.
# Included after tests/virtio.mk.  virtio-blk needs liburing (io_uring).
# The built-in hook library carries both models (the suites link only it).
VMODEL_TEST_CPPFLAGS = $(HOOK_TEST_CPPFLAGS) -I$(top_srcdir)/lib/virtio
VMODEL_FIXTURE_SOURCES = tests/vmodel-fixture.c tests/vmodel-fixture.h \
	$(MOCK_HOST_SOURCES)

if HAVE_LIBURING
noinst_LTLIBRARIES += hooks/virtio/libioreqd-vblk.la
hooks_virtio_libioreqd_vblk_la_SOURCES = hooks/virtio/blk.c hooks/virtio/blk.h \
	hooks/virtio/blkio.c hooks/virtio/blkio.h
hooks_virtio_libioreqd_vblk_la_CPPFLAGS = $(HOOK_PLUGIN_CPPFLAGS)
hooks_virtio_libioreqd_vblk_la_CFLAGS = $(AM_CFLAGS) $(LIBURING_CFLAGS)
hooks_virtio_libioreqd_vblk_la_LIBADD = $(LIBURING_LIBS)

check_PROGRAMS += tests/check_virtio_blk
TESTS += tests/check_virtio_blk
tests_check_virtio_blk_SOURCES = tests/check_virtio_blk.c $(VMODEL_FIXTURE_SOURCES)
tests_check_virtio_blk_CPPFLAGS = $(VMODEL_TEST_CPPFLAGS)
tests_check_virtio_blk_LDADD = lib/virtio/libioreqd-vdriver.la $(HOOK_TEST_LDADD)

# The hook: the model behind the transports (hooks/virtio/vdev.h).
pkglib_LTLIBRARIES += hooks/virtio-blk.la
hooks_virtio_blk_la_SOURCES = hooks/virtio/blk-hook.c
hooks_virtio_blk_la_CPPFLAGS = $(HOOK_PLUGIN_CPPFLAGS)
hooks_virtio_blk_la_LDFLAGS = $(HOOK_PLUGIN_LDFLAGS)
hooks_virtio_blk_la_LIBADD = hooks/virtio/libioreqd-vblk.la hooks/libioreqd-vdev.la \
	lib/libioreqd-hook.la
hooks_libioreqd_builtin_hooks_la_SOURCES += hooks/virtio/blk-hook.c
hooks_libioreqd_builtin_hooks_la_LIBADD += hooks/virtio/libioreqd-vblk.la
endif

# virtio-console: the model over the UARTs' character back end.  The
# convenience library leaves chardev.c out: the plugin links
# hooks/libioreqd-chardev.la, the tests get it from the built-in hooks.
noinst_LTLIBRARIES += hooks/virtio/libioreqd-vcons.la
hooks_virtio_libioreqd_vcons_la_SOURCES = hooks/virtio/console.c hooks/virtio/console.h
hooks_virtio_libioreqd_vcons_la_CPPFLAGS = $(HOOK_PLUGIN_CPPFLAGS) -I$(top_srcdir)/hooks

check_PROGRAMS += tests/check_virtio_console
TESTS += tests/check_virtio_console
tests_check_virtio_console_SOURCES = tests/check_virtio_console.c $(VMODEL_FIXTURE_SOURCES)
tests_check_virtio_console_CPPFLAGS = $(VMODEL_TEST_CPPFLAGS)
tests_check_virtio_console_LDADD = lib/virtio/libioreqd-vdriver.la $(HOOK_TEST_LDADD)

pkglib_LTLIBRARIES += hooks/virtio-console.la
hooks_virtio_console_la_SOURCES = hooks/virtio/console-hook.c
hooks_virtio_console_la_CPPFLAGS = $(HOOK_PLUGIN_CPPFLAGS) -I$(top_srcdir)/hooks
hooks_virtio_console_la_LDFLAGS = $(HOOK_PLUGIN_LDFLAGS)
hooks_virtio_console_la_LIBADD = hooks/virtio/libioreqd-vcons.la hooks/libioreqd-chardev.la \
	hooks/libioreqd-vdev.la lib/libioreqd-hook.la
hooks_libioreqd_builtin_hooks_la_SOURCES += hooks/virtio/console-hook.c
hooks_libioreqd_builtin_hooks_la_LIBADD += hooks/virtio/libioreqd-vcons.la
hooks_libioreqd_builtin_hooks_la_CPPFLAGS += -I$(top_srcdir)/hooks

# The real daemon with the simulated guest: I/O, the backing file, console
# output, VmHWM, SIGTERM with writes in flight, bad configs (skips itself
# without liburing).
E2E_TESTS += tests/e2e/virtio-blk.sh
