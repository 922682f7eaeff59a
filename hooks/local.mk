# SPDX-License-Identifier: MIT
# --- sample hooks (owned by the config/hooks work) ---
# Each hook is one plugin (hooks/NAME.so in pkglibdir) that exports exactly
# one symbol, ioreqd_hook, and carries its own copy of the fault accessors
# (lib/libioreqd-hook.la), so it never resolves a daemon symbol.
HOOK_PLUGIN_LDFLAGS = $(AM_LDFLAGS) -module -avoid-version -shared \
	-export-symbols-regex '^ioreqd_hook$$'
# The SDK boundary, enforced: a plugin compiles against the public headers
# (include/ioreqd/) alone, as an out-of-tree hook does; a private header
# (lib/, daemon/) is a compile error here.
HOOK_PLUGIN_CPPFLAGS = -I$(top_srcdir)/include

pkglib_LTLIBRARIES += hooks/debugcon.la
hooks_debugcon_la_SOURCES = hooks/debugcon.c
hooks_debugcon_la_CPPFLAGS = $(HOOK_PLUGIN_CPPFLAGS)
hooks_debugcon_la_LDFLAGS = $(HOOK_PLUGIN_LDFLAGS)
hooks_debugcon_la_LIBADD = lib/libioreqd-hook.la

pkglib_LTLIBRARIES += hooks/scratch.la
hooks_scratch_la_SOURCES = hooks/scratch.c
hooks_scratch_la_CPPFLAGS = $(HOOK_PLUGIN_CPPFLAGS)
hooks_scratch_la_LDFLAGS = $(HOOK_PLUGIN_LDFLAGS)
hooks_scratch_la_LIBADD = lib/libioreqd-hook.la

pkglib_LTLIBRARIES += hooks/override.la
hooks_override_la_SOURCES = hooks/override.c
hooks_override_la_CPPFLAGS = $(HOOK_PLUGIN_CPPFLAGS)
hooks_override_la_LDFLAGS = $(HOOK_PLUGIN_LDFLAGS)
hooks_override_la_LIBADD = lib/libioreqd-hook.la

# The same sources built in (descriptors renamed ioreqd_hook_<name>) with the
# table of hooks/builtin.h, for the tests, the fuzzers and replay.  No fault
# accessors here: whoever links this also links lib/libioreqd.la, which has
# them, and a second copy would clash.
noinst_LTLIBRARIES += hooks/libioreqd-builtin-hooks.la
hooks_libioreqd_builtin_hooks_la_SOURCES = hooks/builtin.c hooks/builtin.h \
	hooks/debugcon.c hooks/scratch.c hooks/override.c
hooks_libioreqd_builtin_hooks_la_CPPFLAGS = $(AM_CPPFLAGS) -DIOREQD_HOOK_BUILTIN

# --- rom, testdev, trace (owned by the device-hooks part 2 work) ---
# trace writes the trace file format of the public <ioreqd/trace.h>, whose
# writer and parser are in the hook SDK (lib/libioreqd-hook.la).  The three are not in builtin.c's table yet: check_hook_scratch pins
# the table at three hooks; the tests and replay name them directly.
pkglib_LTLIBRARIES += hooks/rom.la hooks/testdev.la hooks/trace.la
hooks_rom_la_SOURCES = hooks/rom.c
hooks_rom_la_CPPFLAGS = $(HOOK_PLUGIN_CPPFLAGS)
hooks_rom_la_LDFLAGS = $(HOOK_PLUGIN_LDFLAGS)
hooks_rom_la_LIBADD = lib/libioreqd-hook.la
hooks_testdev_la_SOURCES = hooks/testdev.c
hooks_testdev_la_CPPFLAGS = $(HOOK_PLUGIN_CPPFLAGS)
hooks_testdev_la_LDFLAGS = $(HOOK_PLUGIN_LDFLAGS)
hooks_testdev_la_LIBADD = lib/libioreqd-hook.la
hooks_trace_la_SOURCES = hooks/trace.c
hooks_trace_la_CPPFLAGS = $(HOOK_PLUGIN_CPPFLAGS)
hooks_trace_la_LDFLAGS = $(HOOK_PLUGIN_LDFLAGS)
hooks_trace_la_LIBADD = lib/libioreqd-hook.la
hooks_libioreqd_builtin_hooks_la_SOURCES += hooks/rom.c hooks/testdev.c hooks/trace.c

# --- uart16550, pl011 (owned by the device-hooks part 1 work) ---
# Both UARTs share the character back end (pty, socket, file) in a
# convenience library linked into each plugin; it uses only the host API.
# Not in builtin.c's table yet for the same reason as rom/testdev/trace
# (check_hook_scratch pins the table at three); their suites name them.
noinst_LTLIBRARIES += hooks/libioreqd-chardev.la
hooks_libioreqd_chardev_la_SOURCES = hooks/chardev.c hooks/chardev.h
hooks_libioreqd_chardev_la_CPPFLAGS = $(HOOK_PLUGIN_CPPFLAGS)
pkglib_LTLIBRARIES += hooks/uart16550.la hooks/pl011.la
hooks_uart16550_la_SOURCES = hooks/uart16550.c
hooks_uart16550_la_CPPFLAGS = $(HOOK_PLUGIN_CPPFLAGS)
hooks_uart16550_la_LDFLAGS = $(HOOK_PLUGIN_LDFLAGS)
hooks_uart16550_la_LIBADD = hooks/libioreqd-chardev.la lib/libioreqd-hook.la
hooks_pl011_la_SOURCES = hooks/pl011.c
hooks_pl011_la_CPPFLAGS = $(HOOK_PLUGIN_CPPFLAGS)
hooks_pl011_la_LDFLAGS = $(HOOK_PLUGIN_LDFLAGS)
hooks_pl011_la_LIBADD = hooks/libioreqd-chardev.la lib/libioreqd-hook.la
hooks_libioreqd_builtin_hooks_la_SOURCES += hooks/uart16550.c hooks/pl011.c \
	hooks/chardev.c hooks/chardev.h

# --- virtio devices (owned by the virtio work) ---
# One hook per device (virtio-rng.so, ...), each linking the transports and
# the glue of hooks/virtio/vdev.h and the virtio core, so a device section
# picks its transport with `transport = mmio|pci`.
noinst_LTLIBRARIES += hooks/libioreqd-vdev.la
hooks_libioreqd_vdev_la_SOURCES = hooks/virtio/vdev.c hooks/virtio/vdev.h \
	hooks/virtio/mmio.c hooks/virtio/pci.c hooks/virtio/pci-state.c \
	hooks/virtio/pci-internal.h
# lib/util for le.h, the little-endian helpers (header-only, no link).
hooks_libioreqd_vdev_la_CPPFLAGS = $(HOOK_PLUGIN_CPPFLAGS) -I$(top_srcdir)/lib/util
hooks_libioreqd_vdev_la_LIBADD = lib/virtio/libioreqd-virtio.la
pkglib_LTLIBRARIES += hooks/virtio-rng.la
hooks_virtio_rng_la_SOURCES = hooks/virtio/rng.c
hooks_virtio_rng_la_CPPFLAGS = $(HOOK_PLUGIN_CPPFLAGS)
hooks_virtio_rng_la_LDFLAGS = $(HOOK_PLUGIN_LDFLAGS)
hooks_virtio_rng_la_LIBADD = hooks/libioreqd-vdev.la lib/libioreqd-hook.la
hooks_libioreqd_builtin_hooks_la_SOURCES += hooks/virtio/rng.c
hooks_libioreqd_builtin_hooks_la_LIBADD = hooks/libioreqd-vdev.la
