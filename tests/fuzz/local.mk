# SPDX-License-Identifier: MIT
# tests/fuzz/: libFuzzer harnesses for everything a guest or a config file
# controls (fuzz_slot: the synchronous path with the sample hooks; fuzz_bufpage:
# the buffered ring; fuzz_config: the configuration parser; fuzz_bus: range
# registration and lookup against a model), and their corpora (tests/fuzz/corpus/<harness>/, written by
# tests/fuzz/mkseeds.sh plus the reproducers of past findings).
#
# Two builds of each harness:
#  - fuzz_NAME_replay, in every configuration and in `make check`: a plain
#    main() (standalone.c) runs the committed corpus once, so a fixed finding
#    stays fixed without clang;
#  - fuzz_NAME, with `configure CC=clang --enable-fuzzing`: the libFuzzer
#    binary, linked against a copy of lib/ and the sample hooks built with
#    coverage instrumentation and ASan/UBSan.  `make fuzz-smoke` runs each for
#    FUZZ_SMOKE_SECONDS and fails on any finding:
#      mkdir build-fuzz && cd build-fuzz
#      ../configure CC=clang --enable-fuzzing && make fuzz-smoke
FUZZ_HARNESSES = fuzz_slot fuzz_bufpage fuzz_config fuzz_bus
FUZZ_SMOKE_SECONDS = 25
FUZZ_SMOKE_FLAGS = -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
FUZZ_COMMON_SOURCES = tests/fuzz/fuzz-input.h
FUZZ_HOST_SOURCES = tests/fuzz/fuzz-host.c tests/fuzz/fuzz-host.h
FUZZ_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/hooks -I$(top_srcdir)/tests/fuzz
FUZZ_REPLAY_LDADD = hooks/libioreqd-builtin-hooks.la lib/libioreqd.la

check_PROGRAMS += tests/fuzz/fuzz_slot_replay tests/fuzz/fuzz_bufpage_replay \
	tests/fuzz/fuzz_config_replay tests/fuzz/fuzz_bus_replay
TESTS += tests/fuzz/fuzz_slot_replay tests/fuzz/fuzz_bufpage_replay \
	tests/fuzz/fuzz_config_replay tests/fuzz/fuzz_bus_replay
tests_fuzz_fuzz_slot_replay_SOURCES = tests/fuzz/fuzz_slot.c tests/fuzz/standalone.c \
	$(FUZZ_HOST_SOURCES) $(FUZZ_COMMON_SOURCES)
tests_fuzz_fuzz_slot_replay_CPPFLAGS = $(FUZZ_CPPFLAGS) -DFUZZ_NAME='"fuzz_slot"'
tests_fuzz_fuzz_slot_replay_LDADD = $(FUZZ_REPLAY_LDADD)
tests_fuzz_fuzz_bufpage_replay_SOURCES = tests/fuzz/fuzz_bufpage.c tests/fuzz/standalone.c \
	$(FUZZ_COMMON_SOURCES)
tests_fuzz_fuzz_bufpage_replay_CPPFLAGS = $(FUZZ_CPPFLAGS) -DFUZZ_NAME='"fuzz_bufpage"'
tests_fuzz_fuzz_bufpage_replay_LDADD = $(FUZZ_REPLAY_LDADD)
tests_fuzz_fuzz_config_replay_SOURCES = tests/fuzz/fuzz_config.c tests/fuzz/standalone.c \
	$(FUZZ_COMMON_SOURCES)
tests_fuzz_fuzz_config_replay_CPPFLAGS = $(FUZZ_CPPFLAGS) -DFUZZ_NAME='"fuzz_config"'
tests_fuzz_fuzz_config_replay_LDADD = $(FUZZ_REPLAY_LDADD)
tests_fuzz_fuzz_bus_replay_SOURCES = tests/fuzz/fuzz_bus.c tests/fuzz/standalone.c \
	$(FUZZ_COMMON_SOURCES)
tests_fuzz_fuzz_bus_replay_CPPFLAGS = $(FUZZ_CPPFLAGS) -DFUZZ_NAME='"fuzz_bus"'
tests_fuzz_fuzz_bus_replay_LDADD = $(FUZZ_REPLAY_LDADD)

EXTRA_DIST += tests/fuzz/corpus tests/fuzz/mkseeds.sh tests/fuzz/fuzz_config.dict

if ENABLE_FUZZING
# lib/ and the sample hooks again, instrumented for coverage: libFuzzer steers
# by the code under test, not only by the harness.
noinst_LTLIBRARIES += tests/fuzz/libioreqd-fuzz.la
tests_fuzz_libioreqd_fuzz_la_SOURCES = $(lib_libioreqd_la_SOURCES) \
	$(lib_libioreqd_hook_la_SOURCES) $(hooks_libioreqd_builtin_hooks_la_SOURCES)
# The same flags and helper libraries as the built-in hooks (the virtio hooks
# need hooks/ on the include path and the transports, core and models).
tests_fuzz_libioreqd_fuzz_la_CPPFLAGS = $(hooks_libioreqd_builtin_hooks_la_CPPFLAGS)
tests_fuzz_libioreqd_fuzz_la_LIBADD = $(hooks_libioreqd_builtin_hooks_la_LIBADD)
tests_fuzz_libioreqd_fuzz_la_CFLAGS = $(AM_CFLAGS) $(FUZZ_CFLAGS)

noinst_PROGRAMS += tests/fuzz/fuzz_slot tests/fuzz/fuzz_bufpage tests/fuzz/fuzz_config \
	tests/fuzz/fuzz_bus
tests_fuzz_fuzz_slot_SOURCES = tests/fuzz/fuzz_slot.c $(FUZZ_HOST_SOURCES) \
	$(FUZZ_COMMON_SOURCES)
tests_fuzz_fuzz_slot_CPPFLAGS = $(FUZZ_CPPFLAGS)
tests_fuzz_fuzz_slot_CFLAGS = $(AM_CFLAGS) $(FUZZ_CFLAGS)
tests_fuzz_fuzz_slot_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_slot_LDADD = tests/fuzz/libioreqd-fuzz.la
tests_fuzz_fuzz_bufpage_SOURCES = tests/fuzz/fuzz_bufpage.c $(FUZZ_COMMON_SOURCES)
tests_fuzz_fuzz_bufpage_CPPFLAGS = $(FUZZ_CPPFLAGS)
tests_fuzz_fuzz_bufpage_CFLAGS = $(AM_CFLAGS) $(FUZZ_CFLAGS)
tests_fuzz_fuzz_bufpage_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_bufpage_LDADD = tests/fuzz/libioreqd-fuzz.la
tests_fuzz_fuzz_config_SOURCES = tests/fuzz/fuzz_config.c $(FUZZ_COMMON_SOURCES)
tests_fuzz_fuzz_config_CPPFLAGS = $(FUZZ_CPPFLAGS)
tests_fuzz_fuzz_config_CFLAGS = $(AM_CFLAGS) $(FUZZ_CFLAGS)
tests_fuzz_fuzz_config_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_config_LDADD = tests/fuzz/libioreqd-fuzz.la
tests_fuzz_fuzz_bus_SOURCES = tests/fuzz/fuzz_bus.c $(FUZZ_COMMON_SOURCES)
tests_fuzz_fuzz_bus_CPPFLAGS = $(FUZZ_CPPFLAGS)
tests_fuzz_fuzz_bus_CFLAGS = $(AM_CFLAGS) $(FUZZ_CFLAGS)
tests_fuzz_fuzz_bus_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_bus_LDADD = tests/fuzz/libioreqd-fuzz.la

# Each harness runs in a fresh work corpus (new inputs land there, the
# committed corpus is only read) and any crash, leak, timeout or failed
# invariant fails the target, leaving the reproducer in tests/fuzz/work/.
fuzz-smoke: tests/fuzz/fuzz_slot$(EXEEXT) tests/fuzz/fuzz_bufpage$(EXEEXT) \
		tests/fuzz/fuzz_config$(EXEEXT) tests/fuzz/fuzz_bus$(EXEEXT)
	@for h in $(FUZZ_HARNESSES); do \
		work=tests/fuzz/work/$$h; rm -rf "$$work"; mkdir -p "$$work"; \
		dict=; \
		if test -f "$(srcdir)/tests/fuzz/$$h.dict"; then \
			dict="-dict=$(srcdir)/tests/fuzz/$$h.dict"; fi; \
		echo "fuzz-smoke: $$h for $(FUZZ_SMOKE_SECONDS) s"; \
		if ./tests/fuzz/$$h $$dict -max_total_time=$(FUZZ_SMOKE_SECONDS) \
			$(FUZZ_SMOKE_FLAGS) -artifact_prefix="$$work/" \
			"$$work" "$(srcdir)/tests/fuzz/corpus/$$h" >"$$work.log" 2>&1; then \
			grep -E '^#[0-9]+[[:space:]]+DONE' "$$work.log" | tail -n 1; \
		else \
			tail -n 40 "$$work.log"; \
			echo "fuzz-smoke: $$h FAILED; log $$work.log, reproducer in $$work/"; \
			exit 1; \
		fi; \
	done; \
	echo "fuzz-smoke: all harnesses ran clean"
else
fuzz-smoke:
	@echo "fuzz-smoke: this build has no fuzzers; configure a separate build dir with"; \
	echo "  ../configure CC=clang --enable-fuzzing && make fuzz-smoke"; \
	exit 1
endif
.PHONY: fuzz-smoke

# --- the trace file parser (owned by the device-hooks part 2 work) ---
# lib/util/trace.c is in the hook SDK (and so in libioreqd-fuzz.la).
FUZZ_HARNESSES += fuzz_trace
check_PROGRAMS += tests/fuzz/fuzz_trace_replay
TESTS += tests/fuzz/fuzz_trace_replay
tests_fuzz_fuzz_trace_replay_SOURCES = tests/fuzz/fuzz_trace.c tests/fuzz/standalone.c \
	$(FUZZ_COMMON_SOURCES)
tests_fuzz_fuzz_trace_replay_CPPFLAGS = $(FUZZ_CPPFLAGS) -DFUZZ_NAME='"fuzz_trace"'
tests_fuzz_fuzz_trace_replay_LDADD = $(FUZZ_REPLAY_LDADD)
if ENABLE_FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz_trace
tests_fuzz_fuzz_trace_SOURCES = tests/fuzz/fuzz_trace.c $(FUZZ_COMMON_SOURCES)
tests_fuzz_fuzz_trace_CPPFLAGS = $(FUZZ_CPPFLAGS)
tests_fuzz_fuzz_trace_CFLAGS = $(AM_CFLAGS) $(FUZZ_CFLAGS)
tests_fuzz_fuzz_trace_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_trace_LDADD = tests/fuzz/libioreqd-fuzz.la
fuzz-smoke: tests/fuzz/fuzz_trace$(EXEEXT)
endif

# --- the device-state stream loader (owned by the device-state work) ---
FUZZ_HARNESSES += fuzz_devstate
check_PROGRAMS += tests/fuzz/fuzz_devstate_replay
TESTS += tests/fuzz/fuzz_devstate_replay
tests_fuzz_fuzz_devstate_replay_SOURCES = tests/fuzz/fuzz_devstate.c tests/fuzz/standalone.c \
	$(FUZZ_HOST_SOURCES) $(FUZZ_COMMON_SOURCES)
tests_fuzz_fuzz_devstate_replay_CPPFLAGS = $(FUZZ_CPPFLAGS) -DFUZZ_NAME='"fuzz_devstate"'
tests_fuzz_fuzz_devstate_replay_LDADD = $(FUZZ_REPLAY_LDADD)
if ENABLE_FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz_devstate
tests_fuzz_fuzz_devstate_SOURCES = tests/fuzz/fuzz_devstate.c $(FUZZ_HOST_SOURCES) \
	$(FUZZ_COMMON_SOURCES)
tests_fuzz_fuzz_devstate_CPPFLAGS = $(FUZZ_CPPFLAGS)
tests_fuzz_fuzz_devstate_CFLAGS = $(AM_CFLAGS) $(FUZZ_CFLAGS)
tests_fuzz_fuzz_devstate_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_devstate_LDADD = tests/fuzz/libioreqd-fuzz.la
fuzz-smoke: tests/fuzz/fuzz_devstate$(EXEEXT)
endif

# --- libxl's virtio backend entries, as ioreqd --watch reads them ---
FUZZ_HARNESSES += fuzz_vbackend
check_PROGRAMS += tests/fuzz/fuzz_vbackend_replay
TESTS += tests/fuzz/fuzz_vbackend_replay
tests_fuzz_fuzz_vbackend_replay_SOURCES = tests/fuzz/fuzz_vbackend.c tests/fuzz/standalone.c \
	$(FUZZ_COMMON_SOURCES)
tests_fuzz_fuzz_vbackend_replay_CPPFLAGS = $(FUZZ_CPPFLAGS) -DFUZZ_NAME='"fuzz_vbackend"'
tests_fuzz_fuzz_vbackend_replay_LDADD = $(FUZZ_REPLAY_LDADD)
EXTRA_DIST += tests/fuzz/mkseeds-vbackend.sh
if ENABLE_FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz_vbackend
tests_fuzz_fuzz_vbackend_SOURCES = tests/fuzz/fuzz_vbackend.c $(FUZZ_COMMON_SOURCES)
tests_fuzz_fuzz_vbackend_CPPFLAGS = $(FUZZ_CPPFLAGS)
tests_fuzz_fuzz_vbackend_CFLAGS = $(AM_CFLAGS) $(FUZZ_CFLAGS)
tests_fuzz_fuzz_vbackend_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_vbackend_LDADD = tests/fuzz/libioreqd-fuzz.la
fuzz-smoke: tests/fuzz/fuzz_vbackend$(EXEEXT)
endif
