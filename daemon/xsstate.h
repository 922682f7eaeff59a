/* SPDX-License-Identifier: MIT */
/*
 * The device model's xenstore handshake with libxl (4.17):
 *
 *   /local/domain/0/device-model/<domid>/state    written by the device model
 *   /local/domain/0/device-model/<domid>/command  written by libxl
 *
 * libxl waits up to 60 s after starting a device model for state "running"
 * (unless it passed -S with a pre-opened QMP socket: then it asks QMP
 * query-status and nobody may write "running" before QMP "cont").  In
 * qemu-xen-traditional mode libxl later writes command "save" and waits for
 * state "paused", and "continue" and waits for "running"; qemu-xen uses QMP
 * for those.
 *
 * Why a handle of its own rather than the backend's publish op: publish
 * writes under /local/domain/0/ioreqd/<domid>/ and cannot watch, while this
 * handshake needs libxl's fixed path and a watch.  The xenstore calls sit
 * behind struct ioreqd_xsstate_ops so the logic is tested with a fake.
 *
 * xentoolcore_restrict_all() turns every xenstore connection of the process
 * into /dev/null: write "running" before it, and free this object before it
 * (the daemon cannot take part in the handshake afterwards; libxl does not
 * need it with dm_restrict, which is QMP-driven).
 */
#ifndef IOREQD_XSSTATE_H
#define IOREQD_XSSTATE_H

#include <stdbool.h>
#include <stddef.h>

#include <event2/event.h>

/** The xenstore calls used, as a table (see ioreqd_xsstate_xen_ops). */
struct ioreqd_xsstate_ops {
	/** @return a connection, or NULL with errno set. */
	void *(*open)(void);
	void (*close)(void *h);
	/** @return 0 or -errno. */
	int (*write)(void *h, const char *path, const char *value);
	/** @return the value (free() it), or NULL with errno set (ENOENT: absent). */
	char *(*read)(void *h, const char *path);
	/** @return 0 or -errno. */
	int (*watch)(void *h, const char *path, const char *token);
	int (*unwatch)(void *h, const char *path, const char *token);
	/** @return the fd that becomes readable when a watch fires, or -errno. */
	int (*fileno)(void *h);
	/**
	 * Take the next fired watch without blocking.
	 * @return 1 with its path in @p path, 0 when none is pending, -errno
	 * when the connection is broken.
	 */
	int (*check_watch)(void *h, char *path, size_t len);
};

/** The real ones, on libxenstore. */
extern const struct ioreqd_xsstate_ops ioreqd_xsstate_xen_ops;

enum ioreqd_xsstate_mode {
	IOREQD_XSSTATE_QEMU_XEN = 0, /* state only */
	IOREQD_XSSTATE_TRADITIONAL,  /* state, and the save/continue commands */
};

/** What the daemon does for libxl's traditional-mode commands.  May be NULL. */
struct ioreqd_xsstate_callbacks {
	/** "save": stop serving the guest. */
	int (*pause)(void *arg);
	/**
	 * "save": write the device state to @p path (libxl reads
	 * /var/lib/xen/qemu-save.<domid> next).  NULL: not supported; libxl's
	 * save then fails on the missing file rather than waiting 60 s.
	 */
	int (*save)(void *arg, const char *path);
	/** "continue": serve again. */
	int (*resume)(void *arg);
};

struct ioreqd_xsstate;

/**
 * Open a xenstore connection for @p domid's device model (running in dom0)
 * and, in traditional mode, watch its command node on @p base.
 * @param cb  may be NULL; not copied.
 * @return the handshake state, or NULL (logged) when xenstore cannot be
 * reached.
 */
struct ioreqd_xsstate *ioreqd_xsstate_new(struct event_base *base,
                                          const struct ioreqd_xsstate_ops *ops,
                                          unsigned domid, enum ioreqd_xsstate_mode mode,
                                          const struct ioreqd_xsstate_callbacks *cb,
                                          void *arg);

/**
 * Write the state node ("running", "paused").
 * @return 0 or -errno (logged).
 */
int ioreqd_xsstate_set(struct ioreqd_xsstate *xs, const char *state);

/** @return the last state written, or NULL. */
const char *ioreqd_xsstate_get(const struct ioreqd_xsstate *xs);

/** Stop watching and close the connection (NULL is fine). */
void ioreqd_xsstate_free(struct ioreqd_xsstate *xs);

#endif /* IOREQD_XSSTATE_H */
