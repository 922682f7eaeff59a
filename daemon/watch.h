/* SPDX-License-Identifier: MIT */
/*
 * The dom0 watcher behind `ioreqd --watch`: it watches libxl's virtio
 * backend entries (/local/domain/0/backend/virtio_disk and .../virtio, see
 * lib/xl/vbackend.h) and @releaseDomain, and runs one ioreqd per domain that
 * has devices, so a fault stays in one guest:
 *
 *   EXE -d DOMID -c RUNDIR/watch-DOMID.conf -f --ready-fd=3 [CHILD_ARGS...]
 *
 * The configuration is generated from xenstore (one virtio-blk over
 * virtio-mmio section per device), followed by CONFDIR/NAME.conf or
 * CONFDIR/DOMID.conf when one exists.  The child writes one byte on fd 3
 * once its ranges are claimed; only then are the devices moved from
 * Initialising (1) to InitWait (2), which is what libxl waits for while the
 * domain is still paused.  Closing (5) or online = 0 stops the child (a new
 * one serves the devices that remain) and is answered Closed (6).  A device
 * whose keys are bad, or still missing after a grace period, gets one log
 * line and an `error` key in its backend directory and stays at 1 (libxl
 * gives up after its 10 s and closes it).  A child that exits on its own is
 * logged, its devices get the `error` key, and it is not restarted for the
 * same devices.
 *
 * The xenstore calls sit behind struct ioreqd_watch_xs_ops so the logic is
 * tested with an in-memory fake; the processes are real.
 */
#ifndef IOREQD_WATCH_H
#define IOREQD_WATCH_H

#include <stdbool.h>
#include <stddef.h>

#include <event2/event.h>

struct ioreqd_watch_xs_ops {
	/** @return a connection, or NULL with errno set. */
	void *(*open)(void);
	void (*close)(void *h);
	/** @return the value (free() it), or NULL with errno set (ENOENT: absent). */
	char *(*read)(void *h, const char *path);
	/** @return 0 or -errno. */
	int (*write)(void *h, const char *path, const char *value);
	/**
	 * @return the names of @p path's children in one allocation (free() it),
	 * with their count in @p num, or NULL with errno set (ENOENT: absent).
	 */
	char **(*directory)(void *h, const char *path, unsigned *num);
	/** @return 0 or -errno. */
	int (*watch)(void *h, const char *path, const char *token);
	/** @return the fd that becomes readable when a watch fires, or -errno. */
	int (*fileno)(void *h);
	/** @return 1 with the path of the next fired watch, 0 when none, -errno. */
	int (*check_watch)(void *h, char *path, size_t len);
	/** @return whether domain @p domid still exists. */
	bool (*domain_alive)(void *h, unsigned domid);
};

/** The real ones, on libxenstore. */
extern const struct ioreqd_watch_xs_ops ioreqd_watch_xen_ops;

struct ioreqd_watch_params {
	const struct ioreqd_watch_xs_ops *ops;
	const char *exe;               /* the ioreqd to run for each domain */
	const char *const *child_args; /* appended to its argv; NULL-terminated or NULL */
	const char *rundir;            /* where the generated configurations go */
	const char *confdir;           /* per-domain overrides; NULL: none */
	unsigned incomplete_ms;        /* how long a device may lack keys */
	unsigned stop_ms;              /* SIGTERM, then SIGKILL after this long */
};

struct ioreqd_watch;

/**
 * Connect to xenstore, watch, and serve what is already there.
 * @return the watcher, or NULL (logged).
 */
struct ioreqd_watch *ioreqd_watch_new(struct event_base *base,
                                      const struct ioreqd_watch_params *p);

/**
 * Stop every child (SIGTERM, SIGKILL after stop_ms) and call @p done once all
 * have exited (at once if there are none).  The watcher stops watching.
 */
void ioreqd_watch_stop(struct ioreqd_watch *w, void (*done)(void *arg), void *arg);

/** @return how many children run. */
unsigned ioreqd_watch_nr_children(const struct ioreqd_watch *w);

/** @return the pid serving @p domid, or 0. */
int ioreqd_watch_child(const struct ioreqd_watch *w, unsigned domid);

/** Free the watcher (after stop has called back; NULL is fine). */
void ioreqd_watch_free(struct ioreqd_watch *w);

#endif /* IOREQD_WATCH_H */
