# SPDX-License-Identifier: MIT
# daemon/: the ioreqd program.  Backends and the xl-launch pieces add their
# sources with `daemon_backend_sources +=` / `daemon_extra_sources +=` below.
daemon_backend_sources =
daemon_extra_sources =

# --- the Xen backend (owned by the Xen backend work) ---
daemon_backend_sources += daemon/backend-xen.c daemon/backend-xen-xs.c \
	daemon/backend-xen-irq.c daemon/backend-xen-mapcache.c daemon/backend-xen-ctx.c \
	daemon/backend-xen.h
# The dirty log's report to Xen (live migration).
daemon_backend_sources += daemon/backend-xen-dirty.c

# --- the sim backend (owned by the sim work) ---
daemon_backend_sources += daemon/backend-sim.c

sbin_PROGRAMS += daemon/ioreqd
daemon_ioreqd_SOURCES = \
	daemon/daemon.h daemon/backend.h daemon/main.c daemon/options.c daemon/loader.c \
	daemon/host.c daemon/loop.c daemon/stats.c daemon/xl.c daemon/hooklist.c \
	daemon/control.c daemon/control.h daemon/detach.c daemon/runfiles.c daemon/instance.c \
	daemon/savestate.c daemon/checkpoint.c daemon/dirty.c daemon/spin.c \
	$(daemon_backend_sources) $(daemon_extra_sources)
daemon_ioreqd_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) \
	$(XENCTRL_CFLAGS) $(XENDEVICEMODEL_CFLAGS) $(XENEVTCHN_CFLAGS) \
	$(XENFOREIGNMEMORY_CFLAGS) $(XENSTORE_CFLAGS) $(XENTOOLCORE_CFLAGS) \
	$(XENGNTTAB_CFLAGS)
daemon_ioreqd_LDADD = lib/libioreqd.la $(LIBEVENT_LIBS) \
	$(XENCTRL_LIBS) $(XENDEVICEMODEL_LIBS) $(XENEVTCHN_LIBS) \
	$(XENFOREIGNMEMORY_LIBS) $(XENSTORE_LIBS) $(XENTOOLCORE_LIBS) $(XENGNTTAB_LIBS)


# --- xl launch: QMP server, xenstore handshake, privilege drop (owned by the
# xl-launch work).  SECCOMP_* are empty unless configure found libseccomp.
daemon_extra_sources += daemon/qmp-server.c daemon/qmp-server.h \
	daemon/xsstate.c daemon/xsstate.h daemon/privdrop.c daemon/privdrop.h
daemon_ioreqd_CFLAGS += $(SECCOMP_CFLAGS)
daemon_ioreqd_LDADD += $(SECCOMP_LIBS)

# --- ioreqd --watch: the dom0 service for libxl's virtio disks (watch.h) ---
daemon_extra_sources += daemon/watch.c daemon/watch.h daemon/watchd.c
