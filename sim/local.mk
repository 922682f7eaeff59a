# SPDX-License-Identifier: MIT
# sim/: the simulated hypervisor (Xen and a guest domain in user space, for
# tests, benchmarks and the demo) and ioreqd-simguest, a scripted guest on it.
noinst_LTLIBRARIES += sim/libioreqd-sim.la
sim_libioreqd_sim_la_SOURCES = \
	sim/simhv.c sim/simctl.c sim/simio.c sim/simraw.c \
	sim/simhv.h sim/simhv-internal.h sim/simproto.h

bin_PROGRAMS += sim/ioreqd-simguest
sim_ioreqd_simguest_SOURCES = sim/simguest.c sim/simscript.c sim/simscript.h
sim_ioreqd_simguest_LDADD = sim/libioreqd-sim.la

EXTRA_DIST += sim/README-script.md
