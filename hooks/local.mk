# SPDX-License-Identifier: MIT
# --- sample hooks (owned by the config/hooks work) ---
# Each hook is one plugin (hooks/NAME.so in pkglibdir) that exports exactly
# one symbol, ioreqd_hook, and carries its own copy of the fault accessors
# (lib/libioreqd-hook.la), so it never resolves a daemon symbol.
HOOK_PLUGIN_LDFLAGS = $(AM_LDFLAGS) -module -avoid-version -shared \
	-export-symbols-regex '^ioreqd_hook$$'

pkglib_LTLIBRARIES += hooks/debugcon.la
hooks_debugcon_la_SOURCES = hooks/debugcon.c
hooks_debugcon_la_LDFLAGS = $(HOOK_PLUGIN_LDFLAGS)
hooks_debugcon_la_LIBADD = lib/libioreqd-hook.la

pkglib_LTLIBRARIES += hooks/scratch.la
hooks_scratch_la_SOURCES = hooks/scratch.c
hooks_scratch_la_LDFLAGS = $(HOOK_PLUGIN_LDFLAGS)
hooks_scratch_la_LIBADD = lib/libioreqd-hook.la

pkglib_LTLIBRARIES += hooks/override.la
hooks_override_la_SOURCES = hooks/override.c
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
