/* SPDX-License-Identifier: MIT */
/*
 * The device model: one bus, one engine and the device set built from a
 * parsed configuration.  The daemon, ioreqd-replay, the hook tests' mock host
 * and the fuzz harnesses all create this object, so each of them runs the
 * daemon's own device set: the same key checks, the same range placement (an
 * identical range joins the existing range's handler chain, any partial
 * overlap is an error naming both devices), the same init order, the same
 * optional-device rule and the same configuration messages.
 *
 * What differs between those users - where log lines go, how timers and fd
 * watches run, what an interrupt or a guest-memory copy does, whether there
 * is a hypervisor to claim ranges from - comes in from the creator:
 *   - the environment services of the host API (struct ioreqd_host's log,
 *     log_rl, irq/MSI, guest memory, timer, watch and publish members), which
 *     the device model puts into the one host table the hooks see, next to
 *     its own configuration, range, fault_resume, stats_register and
 *     invalidate_register services;
 *   - struct ioreqd_dm_ops: the control calls the device set makes (claiming
 *     a range from the hypervisor).
 *
 * Life cycle, each step with its mirror:
 *   ioreqd_dm_new -> ioreqd_dm_add (per device) -> ioreqd_dm_build ->
 *   ioreqd_dm_init -> ioreqd_dm_engine_new -> ioreqd_dm_map ->
 *   [serve] -> ioreqd_dm_unmap -> ioreqd_dm_free (engine, fini, bus).
 */
#ifndef IOREQD_DM_H
#define IOREQD_DM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ioreqd/hook.h>

#include "bus.h"
#include "config.h"
#include "engine.h"
#include "log.h"

struct ioreqd_dm;

/** One range a device owns: from its config section, or mapped at run time. */
struct ioreqd_dev_range {
	enum ioreqd_space space;
	uint64_t base;
	uint64_t last;
	unsigned line;              /* config line, 0 for run-time ranges */
	struct ioreqd_range *range; /* on the bus */
	struct ioreqd_hnode *node;  /* our handler on its chain, once installed */
	bool mapped;                /* claimed from the hypervisor */
};

/** A device instance; the hooks see it as the opaque ioreqd_dev_t. */
struct ioreqd_dev {
	struct ioreqd_dm *dm;
	const struct ioreqd_cfg *file; /* the configuration it comes from */
	const struct ioreqd_cfg_dev *cfg;
	const struct ioreqd_hook *hook;
	void *priv;
	bool built;           /* its configured ranges are on the bus */
	bool initialised;     /* init succeeded and fini has not run */
	bool disabled;        /* optional device whose init failed */
	bool init_error_said; /* its init reported a config error: say it once */
	struct ioreqd_dev_range *ranges;
	unsigned nr_ranges;
	unsigned cap_ranges;
	struct ioreqd_ratelimit rl; /* for host->log_rl */
	uint64_t irq_errors;        /* interrupt injections the hypervisor refused */
	/* host->stats_register: the hook's own counters, until its fini */
	void (*stats_fn)(void *arg, ioreqd_stats_emit_fn emit, void *ctx);
	void *stats_arg;
	/* host->invalidate_register: until its fini */
	void (*inval_fn)(void *arg);
	void *inval_arg;
};

/** The control calls the device set makes; every member may be NULL. */
struct ioreqd_dm_ops {
	/**
	 * Claim (@p on) or release an inclusive range from the hypervisor.
	 * @return 0 or a negative errno (the claim is then undone on the bus).
	 */
	int (*map_range)(void *opaque, enum ioreqd_space space, uint64_t base,
	                 uint64_t last, bool on);
	/**
	 * Optional: device @p dev called host->state_changed (its state changed
	 * in a way a checkpoint must keep).
	 */
	void (*state_changed)(void *opaque, ioreqd_dev_t *dev);
};

/**
 * Create an empty device model for domain @p domid.
 * @param env     the environment services (see above); the members the device
 *                model provides itself are ignored.  Copied.
 * @param ops     control calls (copied; NULL for none).
 * @param opaque  passed to @p ops, and returned by ioreqd_dm_opaque().
 * @return the device model, or NULL on ENOMEM.
 */
struct ioreqd_dm *ioreqd_dm_new(unsigned domid, const struct ioreqd_host *env,
                                const struct ioreqd_dm_ops *ops, void *opaque);

/**
 * Tear down what is left, in reverse order of setup: run every live device's
 * fini (newest first; a hook may still resume a ticket from its fini), free
 * the engine, the bus and the devices.  Deferred accesses still pending are
 * the caller's to abort first (ioreqd_engine_abort_all).  Ranges still claimed are not
 * released (call ioreqd_dm_unmap first).  NULL is fine.
 */
void ioreqd_dm_free(struct ioreqd_dm *dm);

/**
 * Add device @p idx of @p cfg (which must outlive the device model), backed
 * by @p hook.  Its hook-specific keys are checked against the keys the hook
 * declares; its ranges are placed by the next ioreqd_dm_build.
 * @param out  receives the device (may be NULL).
 * @return 0, or -EINVAL with "FILE:LINE: device NAME: unknown key ..." in @p err.
 */
int ioreqd_dm_add(struct ioreqd_dm *dm, const struct ioreqd_cfg *cfg, unsigned idx,
                  const struct ioreqd_hook *hook, ioreqd_dev_t **out, char *err,
                  size_t errlen);

/**
 * Place the configured ranges of every device added since the last build.
 * @return 0, or a negative errno with the message in @p err (-EEXIST: a
 * partial overlap, naming the other device).
 */
int ioreqd_dm_build(struct ioreqd_dm *dm, char *err, size_t errlen);

/**
 * Run init for every built device not initialised yet, in order, and
 * install its handler on each of its ranges.  An optional device whose init
 * fails is disabled (its ranges dropped) with a warning; any other failure
 * is logged and returned, with the message in ioreqd_dm_error().
 * @return 0 or the failing init's negative errno.
 */
int ioreqd_dm_init(struct ioreqd_dm *dm);

/**
 * Take device @p dev out of service: its ranges off the bus (and released
 * from the hypervisor when they were its last claim), then its fini.  It
 * stays in the set, disabled, until ioreqd_dm_free.  Idempotent; a range
 * whose chain is running at that moment stays (the caller retries later).
 */
void ioreqd_dm_disable(ioreqd_dev_t *dev);

/**
 * Create the engine serving @p nr_vcpus slots of @p page (NULL: injected
 * requests only) on the device model's bus, calling the backend's data part
 * @p guest with @p guest_priv directly (see ioreqd_engine_new); the device
 * model owns it.  @return the engine, or NULL.
 */
struct ioreqd_engine *
ioreqd_dm_engine_new(struct ioreqd_dm *dm, shared_iopage_t *page, unsigned nr_vcpus,
                     const struct ioreqd_guest_ops *guest, void *guest_priv,
                     const struct ioreqd_engine_ops *ops, void *opaque);

/**
 * Claim every bus range from the hypervisor (ops->map_range); from then on a
 * range a hook maps at run time is claimed at once.
 * @return 0 or the first failure (logged, naming the device).
 */
int ioreqd_dm_map(struct ioreqd_dm *dm);

/** Release every range ioreqd_dm_map (or a run-time map) claimed. */
void ioreqd_dm_unmap(struct ioreqd_dm *dm);

/**
 * Report a device's own counters (host->stats_register) through @p emit;
 * nothing for a device without any, or not initialised.
 */
void ioreqd_dm_dev_stats(ioreqd_dev_t *dev, ioreqd_stats_emit_fn emit, void *ctx);

/**
 * The guest's memory map changed (IOREQ_TYPE_INVALIDATE): call every
 * initialised device's host->invalidate_register function, in order.
 */
void ioreqd_dm_invalidate(struct ioreqd_dm *dm);

/** The host table the hooks of this device model get. */
const struct ioreqd_host *ioreqd_dm_host(const struct ioreqd_dm *dm);
struct ioreqd_bus *ioreqd_dm_bus(const struct ioreqd_dm *dm);
/** @return the engine, or NULL before ioreqd_dm_engine_new. */
struct ioreqd_engine *ioreqd_dm_engine(const struct ioreqd_dm *dm);
unsigned ioreqd_dm_domid(const struct ioreqd_dm *dm);
void *ioreqd_dm_opaque(const struct ioreqd_dm *dm);
/** @return how many devices the set holds; ioreqd_dm_dev(dm, i) is the i-th. */
unsigned ioreqd_dm_nr_devs(const struct ioreqd_dm *dm);
ioreqd_dev_t *ioreqd_dm_dev(const struct ioreqd_dm *dm, unsigned i);
/** @return the last configuration or init error ("" if none). */
const char *ioreqd_dm_error(const struct ioreqd_dm *dm);

#endif /* IOREQD_DM_H */
