# SPDX-License-Identifier: MIT
# lib/: pure logic shared by the daemon, the hooks, the tools and the tests.

# The hook SDK: the fault accessors every hook links statically (the fault's
# layout is private to ioreqd and pinned by IOREQD_HOOK_ABI), so hooks never
# resolve daemon symbols at load time.
noinst_LTLIBRARIES += lib/libioreqd-hook.la
lib_libioreqd_hook_la_SOURCES = lib/fault.c lib/fault-internal.h

# The core engine.
noinst_LTLIBRARIES += lib/libioreqd.la
lib_libioreqd_la_SOURCES = \
	lib/log.c lib/log.h \
	lib/bus.c lib/chain.c lib/bus.h \
	lib/ioreq.c lib/bufioreq.c lib/ioreq.h lib/engine-internal.h \
	lib/backend.h
# --- config (owned by the config/hooks work) ---
lib_libioreqd_la_SOURCES += lib/config.c lib/config.h
# The host API's configuration calls, shared by the daemon and the test hosts.
lib_libioreqd_la_SOURCES += lib/hostcfg.c lib/hostcfg.h
lib_libioreqd_la_CFLAGS = $(AM_CFLAGS) $(INIH_CFLAGS)
lib_libioreqd_la_LIBADD = lib/libioreqd-hook.la $(INIH_LIBS)

pkginclude_HEADERS += include/ioreqd/fault.h include/ioreqd/hook.h

# --- vCPU context: the software VMCS (owned by the Xen backend work) ---
# It sits in the hook SDK rather than libioreqd because hooks call the
# ioreqd_vcpu_* accessors and must resolve no daemon symbols; libioreqd gets it
# through its LIBADD of the SDK.
lib_libioreqd_hook_la_SOURCES += lib/vmcs.c lib/vmcs.h lib/vcpu-regs.h
pkginclude_HEADERS += include/ioreqd/vcpu.h

# --- xl launch: libxl's device-model argv and the QMP responder (owned by the
# xl-launch work) ---
lib_libioreqd_la_SOURCES += lib/xlargs.c lib/xlargs.h lib/qmp.c lib/qmp.h \
	lib/qmp-json.c lib/qmp-json.h

# --- the installed hook SDK (owned by the SDK work): the same accessors as
# lib/libioreqd-hook.la, as a static PIC archive $(libdir)/libioreqd-hook.a
# for out-of-tree hooks (ioreqd-hook.pc, ioreqd-hook(7)).  Hidden visibility:
# a hook that links it exports only its own ioreqd_hook, never the accessors.
lib_LTLIBRARIES += lib/sdk/libioreqd-hook.la
lib_sdk_libioreqd_hook_la_SOURCES = $(lib_libioreqd_hook_la_SOURCES)
lib_sdk_libioreqd_hook_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden
lib_sdk_libioreqd_hook_la_LDFLAGS = $(AM_LDFLAGS) -static
# The bus's private layout, shared by bus.c, chain.c and ioreq.c (for make dist).
lib_libioreqd_la_SOURCES += lib/bus-internal.h
