# SPDX-License-Identifier: MIT
# bench/: `make bench` measures ioreqd next to this machine's floor, prints a
# report and writes bench/last.json (see bench/README.md).  The programs are
# EXTRA_PROGRAMS: built only by `make bench`, never by `make all` or
# `make check`, and nothing here is a timed test.
bench_programs = bench/bench_dispatch bench/bench_roundtrip bench/bench_virtq
bench_programs += bench/bench_xenmap
if HAVE_LIBURING
bench_programs += bench/bench_vblk bench/bench_vblk_sim
endif
EXTRA_PROGRAMS = $(bench_programs)

BENCH_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/bench

# In-process: the engine, the bus and the buffered ring, no notification.
bench_bench_dispatch_SOURCES = bench/bench_dispatch.c bench/bench.c bench/bench.h
bench_bench_dispatch_CPPFLAGS = $(BENCH_CPPFLAGS)
bench_bench_dispatch_LDADD = lib/libioreqd.la -lm

# Across processes: the simulated guest against the real daemon, and the floor.
bench_bench_roundtrip_SOURCES = bench/bench_roundtrip.c bench/floor.c bench/floor.h \
	bench/bench.c bench/bench.h
bench_bench_roundtrip_CPPFLAGS = $(BENCH_CPPFLAGS) -I$(top_srcdir)/sim
bench_bench_roundtrip_LDADD = sim/libioreqd-sim.la -lm

# In-process: the virtio core and the guest-side driver on one buffer.
bench_bench_virtq_SOURCES = bench/bench_virtq.c bench/bench.c bench/bench.h
bench_bench_virtq_CPPFLAGS = $(BENCH_CPPFLAGS) -I$(top_srcdir)/lib/virtio
bench_bench_virtq_LDADD = lib/virtio/libioreqd-virtio.la lib/virtio/libioreqd-vdriver.la -lm

# In-process: the virtio-blk model and io_uring against pread/pwrite on one file.
bench_bench_vblk_SOURCES = bench/bench_vblk.c bench/bench.c bench/bench.h
bench_bench_vblk_CPPFLAGS = $(BENCH_CPPFLAGS) -I$(top_srcdir)/lib/virtio \
	-I$(top_srcdir)/hooks
bench_bench_vblk_LDADD = hooks/virtio/libioreqd-vblk.la lib/virtio/libioreqd-virtio.la \
	lib/libioreqd-hook.la \
	lib/virtio/libioreqd-vdriver.la -lm

# End to end: the simulated guest's virtio driver against virtio-blk in the real
# daemon on the sim backend, against pread/pwrite on the same file.
bench_bench_vblk_sim_SOURCES = bench/bench_vblk_sim.c bench/bench.c bench/bench.h \
	sim/simvirtio.c sim/simvirtio.h
bench_bench_vblk_sim_CPPFLAGS = $(BENCH_CPPFLAGS) -I$(top_srcdir)/sim \
	-I$(top_srcdir)/lib/virtio
bench_bench_vblk_sim_LDADD = sim/libioreqd-sim.la lib/virtio/libioreqd-vdriver.la \
	lib/libioreqd.la -lm

# In-process: the Xen backend's mapcache against a mapping per buffer, on the
# fake Xen libraries of tests/ (a map there costs a populated mmap).
bench_bench_xenmap_SOURCES = bench/bench_xenmap.c bench/bench.c bench/bench.h \
	$(FAKE_XEN_SOURCES) $(BACKEND_XEN_SOURCES)
bench_bench_xenmap_CPPFLAGS = $(BENCH_CPPFLAGS) -I$(top_srcdir)/daemon \
	-I$(top_srcdir)/tests
bench_bench_xenmap_LDADD = lib/libioreqd.la -lm

EXTRA_DIST += bench/README.md bench/run.sh bench/callgrind.sh
CLEANFILES += $(bench_programs) bench/last.json bench/last.png

.PHONY: bench
bench: all $(bench_programs)
	@BENCH_BUILDDIR='$(abs_top_builddir)' BENCH_SRCDIR='$(abs_top_srcdir)' \
		$(SHELL) $(top_srcdir)/bench/run.sh
