/* SPDX-License-Identifier: MIT */
/*
 * The backend: the narrow interface between ioreqd and a hypervisor.
 *
 * Two implementations exist: `xen` (daemon/backend-xen.c, the only code that
 * includes Xen library headers) and `sim` (daemon/backend-sim.c, which talks
 * to the simulated hypervisor in sim/).  Everything above this interface - the
 * engine, the bus, the hooks - is the same for both.
 *
 * Calls are made in this order by the daemon:
 *   open -> map_pages -> enable(true) -> nr_vcpus/bind -> map_range... ->
 *   [serve: fds + pending + notify] -> enable(false) -> close
 * Every call returns 0 or a negative errno and, on failure, has logged a
 * message that names the underlying call (e.g. "xendevicemodel_create_ioreq_server").
 */
#ifndef IOREQD_BACKEND_H
#define IOREQD_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xen/xen.h>
#include <xen/hvm/ioreq.h>

#include <ioreqd/fault.h>

#include "dirty.h"
#include "guest.h"

struct ioreqd_vcpu_regs;

/** Options the daemon passes to open(). */
struct ioreqd_backend_args {
	unsigned domid;
	const char *sim_path; /* sim: the simulated hypervisor's socket */
	unsigned sim_wait_ms; /* sim: how long to wait for that socket to appear */
	bool buffered;        /* ask for a buffered ring (x86 only on Xen) */
	bool grants;          /* the guest may use grants for DMA: be ready now */
	bool latency;         /* latency_stats: time each round trip (latency.h) */
};

/** What pending() reports for each event it consumed. */
enum ioreqd_backend_event {
	IOREQD_BE_EV_VCPU = 0,    /* vcpu's synchronous slot needs attention */
	IOREQD_BE_EV_BUFFERED,    /* the buffered ring has entries */
	IOREQD_BE_EV_DOMAIN_GONE, /* the guest domain died: shut down */
	/* look() found vcpu's slot READY before its notification was read: the
	 * notification may still arrive, to an empty slot */
	IOREQD_BE_EV_VCPU_POLLED,
};

/*
 * Capabilities: what differs between backends is asked of the backend
 * (ioreqd_backend_ops.caps), never decided by comparing its name.
 */
/* Needs no privileges: its runtime files (the statistics socket) live beside
 * its socket, never in a system directory such as /run. */
#define IOREQD_BE_CAP_UNPRIVILEGED 0x1u
/* Reaches its hypervisor through a socket (--sim-socket, --sim-wait). */
#define IOREQD_BE_CAP_SOCKET 0x2u
/* Its guests have xenstore, where libxl waits for device-model state. */
#define IOREQD_BE_CAP_XENSTORE 0x4u

struct ioreqd_backend_ops {
	const char *name; /* the --backend word, for messages */
	unsigned caps;    /* IOREQD_BE_CAP_* */

	/** Open handles and create the ioreq server. @param priv receives the state. */
	int (*open)(void **priv, const struct ioreqd_backend_args *args);
	/** Map the synchronous page and (optionally, NULL) the buffered page. */
	int (*map_pages)(void *priv, shared_iopage_t **sync, buffered_iopage_t **buf);
	/** Enable or disable the server (Xen fills vp_eport when enabling). */
	int (*enable)(void *priv, bool on);
	/** @param n receives the number of vCPUs of the domain. */
	int (*nr_vcpus)(void *priv, unsigned *n);
	/** Bind one notification channel per vCPU (and the buffered one). */
	int (*bind)(void *priv, unsigned nr_vcpus);

	/** Claim (map=true) or release an inclusive range in a space. */
	int (*map_range)(void *priv, enum ioreqd_space space, uint64_t base,
	                 uint64_t last, bool map);

	/** @return how many fds the loop must watch for readability. */
	unsigned (*nr_fds)(void *priv);
	/** @return the idx-th fd to watch. */
	int (*fd)(void *priv, unsigned idx);
	/**
	 * fd idx became readable: consume its notifications and call @p fn once
	 * for each event (with the vCPU for IOREQD_BE_EV_VCPU).  On Xen this is
	 * one xenevtchn_pending() and an unmask per call.
	 * @return 0, or a negative errno for a broken fd (the daemon stops
	 * watching it, completes what it can, and shuts down).
	 */
	int (*pending)(void *priv, unsigned idx,
	               void (*fn)(void *arg, enum ioreqd_backend_event ev, unsigned vcpu),
	               void *arg);
	/**
	 * One look at the bound vCPUs' slots and the buffered ring, without
	 * sleeping, reading the clock or touching a notification; may be NULL.
	 * The loop's first look after a wake-up is one call, the adaptive poll
	 * (daemon/spin.c) calls it in ioreqd_poll_spin().  At the first READY
	 * slot call @p fn(IOREQD_BE_EV_VCPU_POLLED, vcpu), else at a non-empty
	 * ring @p fn(IOREQD_BE_EV_BUFFERED), and return.  The notification of
	 * that work is left to pending(), which reads it later to a slot no
	 * longer READY: the engine takes a slot only while it is READY, so
	 * nothing is lost or handled twice.
	 * @return 1 if it called @p fn, 0 if there was nothing.
	 */
	int (*look)(void *priv,
	            void (*fn)(void *arg, enum ioreqd_backend_event ev, unsigned vcpu),
	            void *arg);
	/** The data part (guest.h): what the engine and the hooks use while serving. */
	const struct ioreqd_guest_ops *guest;

	/**
	 * Check, before serving, that the guest has interrupt line @p irq (the
	 * `irq` of a device).  May be NULL.
	 * @return 0, or a negative errno after logging what is wrong and how to
	 * give the guest the line.
	 */
	int (*irq_check)(void *priv, unsigned irq);

	/** Publish device state (xenstore on Xen). May be NULL. */
	int (*publish)(void *priv, const char *key, const char *value);
	/**
	 * Confine every handle to the domain (xentoolcore_restrict_all). May be
	 * NULL.  The fds may change: the daemon re-reads fd() afterwards.  The
	 * backend must still report IOREQD_BE_EV_DOMAIN_GONE once confined.
	 */
	int (*restrict_domain)(void *priv);
	/**
	 * The dirty log (dirty.h): tell the hypervisor that the daemon wrote
	 * these runs of guest frames, so that live migration copies them again.
	 * May be NULL (the dirty log then cannot be turned on).
	 * @return 0 or a negative errno.
	 */
	int (*modified_memory)(void *priv, const struct ioreqd_dirty_run *runs,
	                       unsigned n);

	/**
	 * The backend's own counters for the statistics (--stats, SIGUSR1,
	 * exit), as host->stats_register's functions report them.  May be NULL.
	 */
	void (*stats)(void *priv,
	              void (*emit)(void *ctx, const char *group, const char *name,
	                           uint64_t value),
	              void *ctx);

	/** Disable (if enabled), unmap, destroy the server and close everything. */
	void (*close)(void *priv);
};

extern const struct ioreqd_backend_ops ioreqd_backend_sim;
extern const struct ioreqd_backend_ops ioreqd_backend_xen;
extern const struct ioreqd_guest_ops ioreqd_backend_sim_guest;
extern const struct ioreqd_guest_ops ioreqd_backend_xen_guest;

/**
 * The --backend word to its backend (options.c: the one place a backend's
 * name is compared).  @return the backend called @p name ("xen", "sim"), or NULL.
 */
const struct ioreqd_backend_ops *ioreqd_backend_find(const char *name);

#endif /* IOREQD_BACKEND_H */
