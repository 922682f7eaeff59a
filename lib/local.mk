# SPDX-License-Identifier: MIT
# lib/: pure logic shared by the daemon, the hooks, the tools and the tests,
# grouped by concern (no event loop, no process, no Xen handle anywhere here):
#   lib/engine/  the ioreq engine, the buffered ring, the bus and its handler
#                chains, the fault API and the software VMCS (vCPU context);
#   lib/xl/      what xl's device-model launch needs: libxl's argv, QMP;
#   lib/util/    log, configuration file, hook configuration access, trace
#                file format, little-endian loads and stores.
# Each folder is on the include path, so a header is named by its file name.

# The hook SDK: the fault accessors every hook links statically (the fault's
# layout is private to ioreqd and pinned by IOREQD_HOOK_ABI), so hooks never
# resolve daemon symbols at load time.
noinst_LTLIBRARIES += lib/libioreqd-hook.la
lib_libioreqd_hook_la_SOURCES = lib/engine/fault.c lib/engine/fault-internal.h
# Device state blobs (ioreqd/state.h): hooks write them in save, read them in load.
lib_libioreqd_hook_la_SOURCES += lib/engine/state.c
# Little-endian loads and stores, header-only: state.c, devstate.c, lib/virtio
# and hooks/virtio use it.
lib_libioreqd_hook_la_SOURCES += lib/util/le.h

# The core engine.
noinst_LTLIBRARIES += lib/libioreqd.la
lib_libioreqd_la_SOURCES = \
	lib/util/log.c lib/util/log.h \
	lib/engine/bus.c lib/engine/chain.c lib/engine/bus.h \
	lib/engine/engine.c lib/engine/bufring.c lib/engine/engine.h \
	lib/engine/dm.c lib/engine/dm.h lib/engine/guest.h \
	lib/engine/engine-internal.h
# --- config (owned by the config/hooks work) ---
lib_libioreqd_la_SOURCES += lib/util/config.c lib/util/config.h lib/util/config-value.c \
	lib/util/config-internal.h
# Where default sockets go (the daemon and ioreqd-simguest).
lib_libioreqd_la_SOURCES += lib/util/rundir.c lib/util/rundir.h
# The host API's configuration calls, shared by the daemon and the test hosts.
lib_libioreqd_la_SOURCES += lib/util/hostcfg.c lib/util/hostcfg.h
# The device-state stream: save/load of every device (control socket, --resume).
lib_libioreqd_la_SOURCES += lib/engine/devstate.c lib/engine/devstate.h
# The stream's CRC-32, header-only: devstate.c and the tests that reseal streams.
lib_libioreqd_la_SOURCES += lib/util/crc32.h
# Dirty-page batching for live migration (the global dirty log).
lib_libioreqd_la_SOURCES += lib/engine/dirty.c lib/engine/dirty.h
# The adaptive poll policy (the backends spin, this decides for how long).
lib_libioreqd_la_SOURCES += lib/engine/pollpolicy.c lib/engine/pollpolicy.h
# latency_stats: where the parts of a round trip go.
lib_libioreqd_la_SOURCES += lib/util/latency.c lib/util/latency.h
lib_libioreqd_la_CFLAGS = $(AM_CFLAGS)
lib_libioreqd_la_LIBADD = lib/libioreqd-hook.la

pkginclude_HEADERS += include/ioreqd/fault.h include/ioreqd/hook.h include/ioreqd/state.h

# --- vCPU context: the software VMCS (owned by the Xen backend work) ---
# It sits in the hook SDK rather than libioreqd because hooks call the
# ioreqd_vcpu_* accessors and must resolve no daemon symbols; libioreqd gets it
# through its LIBADD of the SDK.
lib_libioreqd_hook_la_SOURCES += lib/engine/vcpu.c lib/engine/vcpu-internal.h \
	lib/engine/vcpu-regs.h
pkginclude_HEADERS += include/ioreqd/vcpu.h

# The access trace file format (the trace hook writes it, ioreqd-replay reads
# it): a public header and pure code, so it is part of the hook SDK.
lib_libioreqd_hook_la_SOURCES += lib/util/trace.c
pkginclude_HEADERS += include/ioreqd/trace.h

# --- xl launch: libxl's device-model argv and the QMP responder (owned by the
# xl-launch work) ---
lib_libioreqd_la_SOURCES += lib/xl/xlargs.c lib/xl/xlargs.h lib/xl/qmp.c lib/xl/qmp.h \
	lib/xl/qmp-json.c lib/xl/qmp-json.h
# libxl's virtio backend entries, for ioreqd --watch (pure parsing and handshake).
lib_libioreqd_la_SOURCES += lib/xl/vbackend.c lib/xl/vbackend.h

# --- the installed hook SDK (owned by the SDK work): the same accessors as
# lib/libioreqd-hook.la, as a static PIC archive $(libdir)/libioreqd-hook.a
# for out-of-tree hooks (ioreqd-hook.pc, ioreqd-hook(7)).  Hidden visibility:
# a hook that links it exports only its own ioreqd_hook, never the accessors.
lib_LTLIBRARIES += lib/sdk/libioreqd-hook.la
lib_sdk_libioreqd_hook_la_SOURCES = $(lib_libioreqd_hook_la_SOURCES)
lib_sdk_libioreqd_hook_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden
lib_sdk_libioreqd_hook_la_LDFLAGS = $(AM_LDFLAGS) -static
# The bus's private layout, shared by bus.c, chain.c and engine.c (for make dist).
lib_libioreqd_la_SOURCES += lib/engine/bus-internal.h
