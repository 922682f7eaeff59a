# SPDX-License-Identifier: MIT
# sim/: the simulated hypervisor (Xen and a guest domain in user space, for
# tests, benchmarks and the demo) and ioreqd-simguest, a scripted guest on it.
noinst_LTLIBRARIES += sim/libioreqd-sim.la
sim_libioreqd_sim_la_SOURCES = \
	sim/simhv.c sim/simctl.c sim/simio.c sim/simraw.c \
	sim/simhv.h sim/simhv-internal.h sim/simproto.h

bin_PROGRAMS += sim/ioreqd-simguest
sim_ioreqd_simguest_SOURCES = sim/simguest.c sim/simrun.c sim/simrun.h \
	sim/simscript.c sim/simscript.h \
	sim/simvirtio.c sim/simvirtio.h
sim_ioreqd_simguest_LDADD = sim/libioreqd-sim.la lib/virtio/libioreqd-vdriver.la \
	lib/libioreqd.la
sim_ioreqd_simguest_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/lib/virtio \
	-DIOREQD_DOCDIR='"$(docdir)"'

# What a user needs to run the simulated demo and a hook of their own from
# the installed files: the script language reference in docdir, the demo's
# configuration and script and the out-of-tree hook example in docdir/examples.
dist_doc_DATA = sim/README-script.md
sim_examplesdir = $(docdir)/examples
dist_sim_examples_DATA = etc/demo.conf sim/demo.script etc/ioreqd.conf
hello_examplesdir = $(docdir)/examples/hello
dist_hello_examples_DATA = examples/hello/hello.c examples/hello/Makefile \
	examples/hello/hello.conf examples/hello/hello.script

EXTRA_DIST += sim/README-script.md
