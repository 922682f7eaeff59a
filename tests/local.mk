# SPDX-License-Identifier: MIT
# tests/: one Check suite per module (check_<module>), plus end-to-end scripts.
TEST_CPPFLAGS = $(AM_CPPFLAGS) $(CHECK_CFLAGS)
TEST_LDADD = lib/libioreqd.la $(CHECK_LIBS)
# The two ioreq engine suites share one backend and device fixture.
ENGINE_FIXTURE_SOURCES = tests/engine-fixture.c tests/engine-fixture.h

# End-to-end scripts run the real binaries as separate processes.
AM_TESTS_ENVIRONMENT = srcdir='$(abs_top_srcdir)'; builddir='$(abs_top_builddir)'; \
	export srcdir builddir;
E2E_TESTS = tests/e2e/config-errors.sh tests/e2e/sigterm-load.sh tests/e2e/examples.sh \
	tests/e2e/fatal-messages.sh tests/e2e/start-order.sh tests/e2e/quickstart-nosudo.sh \
	tests/e2e/detach.sh
check_PROGRAMS += tests/sigterm-guest
tests_sigterm_guest_SOURCES = tests/sigterm-guest.c
tests_sigterm_guest_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/sim
tests_sigterm_guest_LDADD = sim/libioreqd-sim.la
# Detached start-up, and where a detached daemon's messages and files go.
E2E_TESTS += tests/e2e/syslog.sh tests/e2e/runfiles.sh
check_PROGRAMS += tests/log-sink
tests_log_sink_SOURCES = tests/log-sink.c
TESTS += $(E2E_TESTS)
EXTRA_DIST += $(E2E_TESTS) tests/e2e/lib.sh tests/e2e/demo.sh

# The quick-start demo (README): the daemon against the simulated guest.
demo: all
	@srcdir='$(abs_top_srcdir)' builddir='$(abs_top_builddir)' \
		$(SHELL) $(abs_top_srcdir)/tests/e2e/demo.sh
.PHONY: demo

# --- core suites: bus, chain, fault, ioreq engine, buffered ring, log ---
check_PROGRAMS += tests/check_bus
TESTS += tests/check_bus
tests_check_bus_SOURCES = tests/check_bus.c
tests_check_bus_CPPFLAGS = $(TEST_CPPFLAGS)
tests_check_bus_LDADD = $(TEST_LDADD)
check_PROGRAMS += tests/check_dirty
TESTS += tests/check_dirty
tests_check_dirty_SOURCES = tests/check_dirty.c
tests_check_dirty_CPPFLAGS = $(TEST_CPPFLAGS)
tests_check_dirty_LDADD = $(TEST_LDADD)
check_PROGRAMS += tests/check_chain
TESTS += tests/check_chain
tests_check_chain_SOURCES = tests/check_chain.c
tests_check_chain_CPPFLAGS = $(TEST_CPPFLAGS)
tests_check_chain_LDADD = $(TEST_LDADD)
check_PROGRAMS += tests/check_fault
TESTS += tests/check_fault
tests_check_fault_SOURCES = tests/check_fault.c
tests_check_fault_CPPFLAGS = $(TEST_CPPFLAGS)
tests_check_fault_LDADD = $(TEST_LDADD)
check_PROGRAMS += tests/check_ioreq
TESTS += tests/check_ioreq
tests_check_ioreq_SOURCES = tests/check_ioreq.c $(ENGINE_FIXTURE_SOURCES)
tests_check_ioreq_CPPFLAGS = $(TEST_CPPFLAGS)
tests_check_ioreq_LDADD = $(TEST_LDADD)
check_PROGRAMS += tests/check_bufioreq
TESTS += tests/check_bufioreq
tests_check_bufioreq_SOURCES = tests/check_bufioreq.c
tests_check_bufioreq_CPPFLAGS = $(TEST_CPPFLAGS)
tests_check_bufioreq_LDADD = $(TEST_LDADD)

# --- config parser and sample hooks (owned by the config/hooks work) ---
check_PROGRAMS += tests/check_config
TESTS += tests/check_config
tests_check_config_SOURCES = tests/check_config.c
tests_check_config_CPPFLAGS = $(TEST_CPPFLAGS)
tests_check_config_LDADD = $(TEST_LDADD)
check_PROGRAMS += tests/check_config_load
TESTS += tests/check_config_load
tests_check_config_load_SOURCES = tests/check_config_load.c
tests_check_config_load_CPPFLAGS = $(TEST_CPPFLAGS)
tests_check_config_load_LDADD = $(TEST_LDADD)
check_PROGRAMS += tests/check_hostcfg
TESTS += tests/check_hostcfg
tests_check_hostcfg_SOURCES = tests/check_hostcfg.c
tests_check_hostcfg_CPPFLAGS = $(TEST_CPPFLAGS)
tests_check_hostcfg_LDADD = $(TEST_LDADD)

# Hook suites run the built-in hooks through the mock daemon (tests/mock-host.c).
HOOK_TEST_CPPFLAGS = $(TEST_CPPFLAGS) -I$(top_srcdir)/hooks -I$(top_srcdir)/tests \
	-DSRCDIR='"$(abs_top_srcdir)"'
HOOK_TEST_LDADD = hooks/libioreqd-builtin-hooks.la $(TEST_LDADD)
MOCK_HOST_SOURCES = tests/mock-host.c tests/mock-host.h

check_PROGRAMS += tests/check_hook_debugcon
TESTS += tests/check_hook_debugcon
tests_check_hook_debugcon_SOURCES = tests/check_hook_debugcon.c $(MOCK_HOST_SOURCES)
tests_check_hook_debugcon_CPPFLAGS = $(HOOK_TEST_CPPFLAGS)
tests_check_hook_debugcon_LDADD = $(HOOK_TEST_LDADD)

check_PROGRAMS += tests/check_hook_scratch
TESTS += tests/check_hook_scratch
tests_check_hook_scratch_SOURCES = tests/check_hook_scratch.c $(MOCK_HOST_SOURCES)
tests_check_hook_scratch_CPPFLAGS = $(HOOK_TEST_CPPFLAGS)
tests_check_hook_scratch_LDADD = $(HOOK_TEST_LDADD)

check_PROGRAMS += tests/check_hook_override
TESTS += tests/check_hook_override
tests_check_hook_override_SOURCES = tests/check_hook_override.c $(MOCK_HOST_SOURCES)
tests_check_hook_override_CPPFLAGS = $(HOOK_TEST_CPPFLAGS)
tests_check_hook_override_LDADD = $(HOOK_TEST_LDADD)
check_PROGRAMS += tests/check_latency
TESTS += tests/check_latency
tests_check_latency_SOURCES = tests/check_latency.c
tests_check_latency_CPPFLAGS = $(TEST_CPPFLAGS)
tests_check_latency_LDADD = $(TEST_LDADD)
check_PROGRAMS += tests/check_rundir
TESTS += tests/check_rundir
tests_check_rundir_SOURCES = tests/check_rundir.c
tests_check_rundir_CPPFLAGS = $(TEST_CPPFLAGS)
tests_check_rundir_LDADD = $(TEST_LDADD)
check_PROGRAMS += tests/check_log
TESTS += tests/check_log
tests_check_log_SOURCES = tests/check_log.c
tests_check_log_CPPFLAGS = $(TEST_CPPFLAGS)
tests_check_log_LDADD = $(TEST_LDADD)
check_PROGRAMS += tests/check_poll
TESTS += tests/check_poll
tests_check_poll_SOURCES = tests/check_poll.c
tests_check_poll_CPPFLAGS = $(TEST_CPPFLAGS)
tests_check_poll_LDADD = $(TEST_LDADD)

# --- Xen backend and software VMCS (owned by the Xen backend work) ---
# The backend is built against tests/fake-xen.c instead of the Xen libraries.
check_PROGRAMS += tests/check_backend_xen
TESTS += tests/check_backend_xen
# The fakes, one file per library, and the backend's files they stand under.
FAKE_XEN_SOURCES = tests/fake-xen.c tests/fake-xen.h tests/fake-xendevicemodel.c \
	tests/fake-xenforeignmemory.c tests/fake-xenevtchn.c tests/fake-xenctrl.c \
	tests/fake-xenstore.c tests/fake-xengnttab.c
BACKEND_XEN_SOURCES = daemon/backend-xen.c daemon/backend-xen-xs.c \
	daemon/backend-xen-irq.c daemon/backend-xen-mapcache.c daemon/backend-xen-ctx.c \
	daemon/backend-xen.h daemon/backend-xen-dirty.c
tests_check_backend_xen_SOURCES = tests/check_backend_xen.c tests/xen-rig.c \
	tests/xen-rig.h $(FAKE_XEN_SOURCES) $(BACKEND_XEN_SOURCES)
tests_check_backend_xen_CPPFLAGS = $(TEST_CPPFLAGS) -I$(top_srcdir)/daemon \
	-I$(top_srcdir)/tests
tests_check_backend_xen_LDADD = $(TEST_LDADD)
check_PROGRAMS += tests/check_backend_xen_state
TESTS += tests/check_backend_xen_state
tests_check_backend_xen_state_SOURCES = tests/check_backend_xen_state.c \
	tests/xen-rig.c tests/xen-rig.h $(FAKE_XEN_SOURCES) $(BACKEND_XEN_SOURCES)
tests_check_backend_xen_state_CPPFLAGS = $(tests_check_backend_xen_CPPFLAGS)
tests_check_backend_xen_state_LDADD = $(TEST_LDADD)
check_PROGRAMS += tests/check_xen_mapcache
TESTS += tests/check_xen_mapcache
tests_check_xen_mapcache_SOURCES = tests/check_xen_mapcache.c $(FAKE_XEN_SOURCES) \
	$(BACKEND_XEN_SOURCES)
tests_check_xen_mapcache_CPPFLAGS = $(tests_check_backend_xen_CPPFLAGS)
tests_check_xen_mapcache_LDADD = $(TEST_LDADD)
check_PROGRAMS += tests/check_vmcs
TESTS += tests/check_vmcs
tests_check_vmcs_SOURCES = tests/check_vmcs.c
tests_check_vmcs_CPPFLAGS = $(TEST_CPPFLAGS)
tests_check_vmcs_LDADD = $(TEST_LDADD)
check_PROGRAMS += tests/check_ioreq_defer
TESTS += tests/check_ioreq_defer
tests_check_ioreq_defer_SOURCES = tests/check_ioreq_defer.c $(ENGINE_FIXTURE_SOURCES)
tests_check_ioreq_defer_CPPFLAGS = $(TEST_CPPFLAGS)
tests_check_ioreq_defer_LDADD = $(TEST_LDADD)

check_PROGRAMS += tests/check_hook_mock
TESTS += tests/check_hook_mock
tests_check_hook_mock_SOURCES = tests/check_hook_mock.c $(MOCK_HOST_SOURCES)
tests_check_hook_mock_CPPFLAGS = $(HOOK_TEST_CPPFLAGS)
tests_check_hook_mock_LDADD = $(HOOK_TEST_LDADD)

# --- Xen in QEMU: `make check-xen` (x86_64) and `make check-xen-arm64` ---
# Not part of `make check`: they boot Xen under QEMU from Debian packages
# (see tests/xen/README.md).  XEN_TEST_CACHE keeps the downloads between runs.
XEN_TEST_CACHE ?= $(abs_top_builddir)/tests/xen/cache
XEN_TEST_RUN = bash $(abs_top_srcdir)/tests/xen/run.sh --build $(abs_top_builddir) \
	--src $(abs_top_srcdir) --cache $(XEN_TEST_CACHE)
check-xen: all
	$(XEN_TEST_RUN) --arch x86_64
check-xen-arm64: all
	$(XEN_TEST_RUN) --arch arm64
# make bench-xen: the bench case alone, ioreqd next to QEMU in one HVM guest
# (tests/xen/README.md); it prints a table and fails only on a broken run.
bench-xen: all
	XEN_TEST_CASES=bench XEN_TEST_TIMEOUT=$${XEN_TEST_TIMEOUT:-1200} \
		$(XEN_TEST_RUN) --arch x86_64
.PHONY: check-xen check-xen-arm64 bench-xen
# The harness ships in the tarball file by file (not the cache or work dirs
# a run leaves in tests/xen/), so `make distcheck` never packs downloads.
EXTRA_DIST += tests/xen/README.md tests/xen/.gitignore tests/xen/run.sh \
	tests/xen/xentest.conf tests/xen/xentest-testdev.conf tests/xen/xentest-arm64.conf \
	tests/xen/xentest-uart.conf tests/xen/xentest-xlsave.conf \
	tests/xen/dom0/init tests/xen/dom0/xentest.sh tests/xen/dom0/pvhtest.cfg \
	tests/xen/dom0/pvhlinux.cfg tests/xen/dom0/xltest.cfg tests/xen/dom0/armtest.cfg \
	tests/xen/guest/pvh/entry.S tests/xen/guest/pvh/pvhtest.c \
	tests/xen/guest/pvh/pvhtest.ld tests/xen/guest/pvh/rt.c tests/xen/guest/pvh/rt.h \
	tests/xen/guest/linux/init tests/xen/guest/linux/pio.c \
	tests/xen/guest/arm64/armtest.S tests/xen/guest/vblk/init tests/xen/dom0/vblk.cfg \
	tests/xen/lib/common.sh tests/xen/lib/debs.sh tests/xen/lib/rootfs.sh \
	tests/xen/lib/x86_64.sh tests/xen/lib/arm64.sh \
	tests/xen/packages/dom0.list tests/xen/packages/arm64-sysroot.list \
	tests/xen/packages/vblk-guest.list
EXTRA_DIST += tests/xen/xentest-vpci.conf tests/xen/dom0/vpcilinux.cfg \
	tests/xen/guest/linux/vpci-init tests/xen/packages/dom0-x86_64.list
EXTRA_DIST += tests/xen/xentest-bench.conf tests/xen/xentest-bench-poll.conf \
	tests/xen/xentest-bench-lat.conf \
	tests/xen/dom0/vbench.cfg \
	tests/xen/guest/linux/vbench-init tests/xen/guest/linux/vbench.c

# --- the simulated hypervisor and the sim backend (owned by the sim work) ---
check_PROGRAMS += tests/check_sim
TESTS += tests/check_sim
tests_check_sim_SOURCES = tests/check_sim.c tests/sim-harness.c tests/sim-harness.h \
	daemon/backend-sim.c
tests_check_sim_CPPFLAGS = $(TEST_CPPFLAGS) -I$(top_srcdir)/sim -I$(top_srcdir)/daemon
tests_check_sim_LDADD = sim/libioreqd-sim.la $(TEST_LDADD)
# End to end across processes: ioreqd-simguest + ioreqd --backend sim.
TESTS += sim/selftest.sh
EXTRA_DIST += sim/selftest.sh sim/selftest.conf sim/selftest.script sim/demo.script

# --- xl launch suites (owned by the xl-launch work) ---
check_PROGRAMS += tests/check_xlargs
TESTS += tests/check_xlargs
tests_check_xlargs_SOURCES = tests/check_xlargs.c
tests_check_xlargs_CPPFLAGS = $(TEST_CPPFLAGS)
tests_check_xlargs_LDADD = $(TEST_LDADD)
# The QMP suites share the greeting and the counting daemon callbacks.
QMP_FIXTURE_SOURCES = tests/qmp-fixture.c tests/qmp-fixture.h
check_PROGRAMS += tests/check_qmp
TESTS += tests/check_qmp
tests_check_qmp_SOURCES = tests/check_qmp.c $(QMP_FIXTURE_SOURCES)
tests_check_qmp_CPPFLAGS = $(TEST_CPPFLAGS)
tests_check_qmp_LDADD = $(TEST_LDADD)
check_PROGRAMS += tests/check_qmp_server
TESTS += tests/check_qmp_server
tests_check_qmp_server_SOURCES = tests/check_qmp_server.c $(QMP_FIXTURE_SOURCES) \
	daemon/qmp-server.c daemon/qmp-server.h
tests_check_qmp_server_CPPFLAGS = $(TEST_CPPFLAGS) -I$(top_srcdir)/daemon $(LIBEVENT_CFLAGS)
tests_check_qmp_server_LDADD = $(TEST_LDADD) $(LIBEVENT_LIBS)
check_PROGRAMS += tests/check_xsstate
TESTS += tests/check_xsstate
tests_check_xsstate_SOURCES = tests/check_xsstate.c daemon/xsstate.c daemon/xsstate.h
tests_check_xsstate_CPPFLAGS = $(TEST_CPPFLAGS) -I$(top_srcdir)/daemon $(LIBEVENT_CFLAGS) \
	$(XENSTORE_CFLAGS)
tests_check_xsstate_LDADD = $(TEST_LDADD) $(LIBEVENT_LIBS) $(XENSTORE_LIBS)
check_PROGRAMS += tests/check_privdrop
TESTS += tests/check_privdrop
tests_check_privdrop_SOURCES = tests/check_privdrop.c daemon/privdrop.c daemon/privdrop.h
tests_check_privdrop_CPPFLAGS = $(TEST_CPPFLAGS) -I$(top_srcdir)/daemon $(SECCOMP_CFLAGS)
tests_check_privdrop_LDADD = $(TEST_LDADD) $(SECCOMP_LIBS)

# --- hostile input and fault injection (owned by the security work) ---
check_PROGRAMS += tests/check_faults
TESTS += tests/check_faults
tests_check_faults_SOURCES = tests/check_faults.c
tests_check_faults_CPPFLAGS = $(TEST_CPPFLAGS)
tests_check_faults_LDADD = $(TEST_LDADD)

# A malicious guest on the simulated hypervisor, driven by tests/e2e/hostile-guest.sh.
check_PROGRAMS += tests/hostile-guest
tests_hostile_guest_SOURCES = tests/hostile-guest.c
tests_hostile_guest_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/sim
tests_hostile_guest_LDADD = sim/libioreqd-sim.la lib/libioreqd.la
E2E_TESTS += tests/e2e/hostile-guest.sh

# A hook that fails on purpose (init, access, never completing), for
# tests/e2e/fault-injection.sh; -rpath makes libtool build a loadable module
# although it is never installed.
noinst_LTLIBRARIES += tests/hooks/faulty.la
tests_hooks_faulty_la_SOURCES = tests/hooks/faulty.c
tests_hooks_faulty_la_LDFLAGS = $(AM_LDFLAGS) -module -avoid-version -shared \
	-rpath /nowhere -export-symbols-regex '^ioreqd_hook$$'
tests_hooks_faulty_la_LIBADD = lib/libioreqd-hook.la
E2E_TESTS += tests/e2e/fault-injection.sh
# Hook loading trusts nothing it has not checked: modes and owners of the hook
# and its directories, and the size of its ioreqd_hook (tests/hooks/malformed.c).
noinst_LTLIBRARIES += tests/hooks/malformed.la
tests_hooks_malformed_la_SOURCES = tests/hooks/malformed.c
tests_hooks_malformed_la_LDFLAGS = $(AM_LDFLAGS) -module -avoid-version -shared \
	-rpath /nowhere -export-symbols-regex '^ioreqd_hook$$'
E2E_TESTS += tests/e2e/hook-trust.sh
# Every message a guest or a local client can trigger is rate-limited.
E2E_TESTS += tests/e2e/log-flood.sh
# The daemon at its descriptor limit: listeners back off, the guest is served.
check_PROGRAMS += tests/fd-hog
tests_fd_hog_SOURCES = tests/fd-hog.c
E2E_TESTS += tests/e2e/fd-exhaustion.sh
# libxl's QMP save and restore of a device model it started, faked (fake-libxl).
check_PROGRAMS += tests/fake-libxl
tests_fake_libxl_SOURCES = tests/fake-libxl.c
E2E_TESTS += tests/e2e/xl-save.sh
# --seccomp: the sim suites under the strictest filter, and a forbidden call.
E2E_TESTS += tests/e2e/seccomp.sh
EXTRA_DIST += tests/e2e/seccomp-wrap.sh
# Default sim sockets live in a private runtime directory, never in /tmp.
E2E_TESTS += tests/e2e/sim-rundir.sh
# One daemon per domain; --replace hands over.
E2E_TESTS += tests/e2e/single-instance.sh
EXTRA_DIST += SECURITY.md tests/asan.sh tests/valgrind.sh

# --- the hook SDK and the statistics socket (owned by the SDK work) ---
E2E_TESTS += tests/e2e/sdk.sh tests/e2e/stats.sh
# The adaptive poll (poll_us): served correctly, and an idle daemon does not spin.
E2E_TESTS += tests/e2e/poll.sh
# make bench-xen's table (tests/xen/dom0/xentest.sh), without Xen.
E2E_TESTS += tests/e2e/bench-table.sh
check_PROGRAMS += tests/check_control
TESTS += tests/check_control
tests_check_control_SOURCES = tests/check_control.c daemon/control.c daemon/control.h \
	daemon/stats.c daemon/runfiles.c daemon/savestate.c daemon/checkpoint.c
tests_check_control_CPPFLAGS = $(TEST_CPPFLAGS) -I$(top_srcdir)/daemon $(LIBEVENT_CFLAGS)
tests_check_control_LDADD = $(TEST_LDADD) $(LIBEVENT_LIBS)

EXTRA_DIST += quickstart.sh

# --- rom, testdev, trace and ioreqd-replay (owned by the device-hooks part 2 work) ---
check_PROGRAMS += tests/check_hook_rom
TESTS += tests/check_hook_rom
tests_check_hook_rom_SOURCES = tests/check_hook_rom.c $(MOCK_HOST_SOURCES)
tests_check_hook_rom_CPPFLAGS = $(HOOK_TEST_CPPFLAGS)
tests_check_hook_rom_LDADD = $(HOOK_TEST_LDADD)
check_PROGRAMS += tests/check_hook_testdev
TESTS += tests/check_hook_testdev
tests_check_hook_testdev_SOURCES = tests/check_hook_testdev.c $(MOCK_HOST_SOURCES)
tests_check_hook_testdev_CPPFLAGS = $(HOOK_TEST_CPPFLAGS)
tests_check_hook_testdev_LDADD = $(HOOK_TEST_LDADD)
check_PROGRAMS += tests/check_trace
TESTS += tests/check_trace
tests_check_trace_SOURCES = tests/check_trace.c $(MOCK_HOST_SOURCES)
tests_check_trace_CPPFLAGS = $(HOOK_TEST_CPPFLAGS)
tests_check_trace_LDADD = $(HOOK_TEST_LDADD)

# --- uart16550, pl011 (owned by the device-hooks part 1 work) ---
check_PROGRAMS += tests/check_hook_uart16550
TESTS += tests/check_hook_uart16550
tests_check_hook_uart16550_SOURCES = tests/check_hook_uart16550.c $(MOCK_HOST_SOURCES)
tests_check_hook_uart16550_CPPFLAGS = $(HOOK_TEST_CPPFLAGS)
tests_check_hook_uart16550_LDADD = $(HOOK_TEST_LDADD)
check_PROGRAMS += tests/check_hook_pl011
TESTS += tests/check_hook_pl011
tests_check_hook_pl011_SOURCES = tests/check_hook_pl011.c $(MOCK_HOST_SOURCES)
tests_check_hook_pl011_CPPFLAGS = $(HOOK_TEST_CPPFLAGS)
tests_check_hook_pl011_LDADD = $(HOOK_TEST_LDADD)
# ioreqd-replay end to end: a trace from the daemon and ioreqd-simguest,
# replayed against its own config and a changed one.
E2E_TESTS += tests/e2e/replay.sh
# The guest prints through COM1 on the real daemon; its log is the transcript.
E2E_TESTS += tests/e2e/uart-console.sh
EXTRA_DIST += tests/e2e/uart-console.script

# Device state: every built-in hook's save/load and the stream's checks.
check_PROGRAMS += tests/check_devstate
TESTS += tests/check_devstate
tests_check_devstate_SOURCES = tests/check_devstate.c $(MOCK_HOST_SOURCES)
tests_check_devstate_CPPFLAGS = $(HOOK_TEST_CPPFLAGS)
tests_check_devstate_LDADD = $(HOOK_TEST_LDADD)
# Save, kill, --resume: the device state end to end on the simulated hypervisor.
E2E_TESTS += tests/e2e/devstate.sh

# --- ioreqd --watch: libxl's virtio backend entries (pure) ---
check_PROGRAMS += tests/check_vbackend
TESTS += tests/check_vbackend
tests_check_vbackend_SOURCES = tests/check_vbackend.c
tests_check_vbackend_CPPFLAGS = $(TEST_CPPFLAGS)
tests_check_vbackend_LDADD = $(TEST_LDADD)
# The watcher itself: a fake xenstore, tests/watch-child.sh as each domain's ioreqd.
check_PROGRAMS += tests/check_watch
TESTS += tests/check_watch
tests_check_watch_SOURCES = tests/check_watch.c daemon/watch.c daemon/watch.h
tests_check_watch_CPPFLAGS = $(TEST_CPPFLAGS) -I$(top_srcdir)/daemon $(LIBEVENT_CFLAGS) \
	$(XENSTORE_CFLAGS) -DSRCDIR='"$(abs_top_srcdir)"'
tests_check_watch_LDADD = $(TEST_LDADD) $(LIBEVENT_LIBS) $(XENSTORE_LIBS)
EXTRA_DIST += tests/watch-child.sh
