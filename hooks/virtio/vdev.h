/* SPDX-License-Identifier: MIT */
/*
 * The split between virtio *device models* (rng, blk, console) and virtio
 * *transports* (mmio, pci) inside ioreqd's virtio hooks.  Each device is one
 * hook (hooks/virtio-rng.so, virtio-blk.so, virtio-console.so) built from
 * its model and this glue (hooks/virtio/vdev.c), which links the transports
 * and the virtio core (lib/virtio) in as a convenience library.  A device
 * section picks its transport with `transport = mmio|pci` (default mmio, the
 * transport libxl gives Arm guests; x86 HVM guests want pci) and its queue
 * size with `queue_size = N` (a power of 2 up to 32768; the model's default
 * otherwise).  The glue asks the model for its struct ioreqd_virtio_params,
 * adds guest memory (host->gmem) and the transport's interrupt ops, creates
 * the virtio device, lets the model write its config space, and hands every
 * access to the transport.
 *
 * Writing a device model (hooks/virtio/rng.c is the smallest example):
 *   1. a const struct vdev_model with its name ("virtio-blk"), device ID,
 *      default queue size and init/attach/quiesce/fini;
 *   2. init reads the model's keys (host->cfg_*), reports bad ones with
 *      host->cfg_error (file:line, exit 78), and fills in the params:
 *      features, num_queues, config_size, error_status, dev_ops and
 *      dev_opaque (its state).  queue_max comes in preset from queue_size
 *      (or vdev_model.queue_default); lower it only for a reason;
 *   3. attach(state, vdev), if any, runs once the device exists: write the initial
 *      config space with ioreqd_virtio_config_update(..., false) and keep
 *      vdev for the queue callbacks;
 *   4. fini(state) runs after the virtio device is freed (every request
 *      released, every queue disabled): cancel outstanding I/O there first if
 *      a request can still complete asynchronously (see vdev_model.quiesce);
 *   5. a key list {VDEV_COMMON_KEYS, your keys..., {NULL, NULL}} and
 *      VDEV_HOOK(virtio_blk, "virtio-blk", &blk_model, keys, "summary")
 *      export the hook; hooks/local.mk gets a hooks/virtio-blk.la linking
 *      hooks/libioreqd-vdev.la, and hooks/builtin.c lists it.
 *
 * Writing a transport: a const struct vdev_transport in vdev_transports[]
 * (vdev.c), with init (check the device's ranges and irq, then call
 * vdev_create to make the virtio device with your struct
 * ioreqd_virtio_transport_ops), fini, access and stats.  The transport owns
 * the register layout, interrupt delivery and the counts of bad accesses.
 *
 * Statistics: the glue registers with host->stats_register and reports, per
 * device, the group "virtio" (the core's struct ioreqd_virtio_stats), one
 * group "queueN" per queue (requests, bytes out and in, errors, in flight,
 * kicks, interrupts), the transport's group "transport" and, when the model
 * has a stats callback, the model's group "device".
 */
#ifndef IOREQD_HOOKS_VIRTIO_VDEV_H
#define IOREQD_HOOKS_VIRTIO_VDEV_H

#include <stdbool.h>
#include <stdint.h>

#include <ioreqd/hook.h>
#include <ioreqd/virtio.h>

/** The keys every virtio device section accepts, first in each hook's list. */
#define VDEV_COMMON_KEYS                                                                 \
	{"transport", "mmio (default) or pci: how the guest finds the device"},          \
	    {"queue_size",                                                               \
	     "largest queue the driver may use, a power of 2 up to 32768"},              \
	    {"grant_usage",                                                              \
	     "1: the guest may use Xen grants for DMA (offer ACCESS_PLATFORM)"},         \
	{                                                                                \
		"irq_mode", "mmio: edge (default on Arm: never lower the line) or level" \
	}

/** One virtio device model. */
struct vdev_model {
	const char *name;       /**< the hook name: "virtio-rng" */
	uint32_t device_id;     /**< virtio device ID (rng 4, blk 2, console 3) */
	uint32_t queue_default; /**< queue_max without queue_size (a power of 2) */
	/**
	 * Set up one instance: read keys, fill @p p (see above).  @p p arrives
	 * zeroed but for queue_max (from queue_size) and error_status (-1).
	 * @param state  receives the model's state (passed to attach and fini).
	 * @return 0 or a negative errno (-EINVAL after host->cfg_error).
	 */
	int (*init)(const struct ioreqd_host *host, ioreqd_dev_t *dev,
	            struct ioreqd_virtio_params *p, void **state);
	/** Optional: the virtio device exists: write the config space, keep @p vdev. */
	void (*attach)(void *state, ioreqd_virtio_dev_t *vdev);
	/**
	 * Optional: stop all I/O now (before the device is freed): requests
	 * still popped must be pushed or abandoned before this returns.
	 */
	void (*quiesce)(void *state);
	/** Free the state (NULL is fine: init failed). */
	void (*fini)(void *state);
	/**
	 * Optional: the model's own counters (I/O errors, refused requests,
	 * bytes through the back end), emitted in the group "device" of the
	 * device's statistics.  Called only once the device exists.
	 */
	void (*stats)(void *state, ioreqd_stats_emit_fn emit, void *ctx);
	/**
	 * Optional: add the model's own fields (tags VDEV_TAG_MODEL and up) to
	 * a device-state blob.  quiesce ran just before: nothing is in flight.
	 * @return 0 or a negative errno.
	 */
	int (*save)(void *state, ioreqd_state_t *st);
	/**
	 * Optional: check the model's fields of a blob against this instance
	 * (blk: the disk's capacity), changing nothing.
	 * @return 0, or -EBADMSG after ioreqd_state_fail saying why.
	 */
	int (*load_check)(void *state, ioreqd_state_t *st);
};

/*
 * Tags of a virtio hook's device-state blob: the glue's (the core's record),
 * then each transport's and each model's own.
 */
#define VDEV_TAG_CORE 1u
#define VDEV_TAG_TRANSPORT 16u
#define VDEV_TAG_MODEL 32u
/** The state_version of every virtio hook (the core record has its own). */
#define VDEV_STATE_VERSION 1u

struct vdev;

/** One transport. */
struct vdev_transport {
	const char *name; /**< "mmio", "pci": the value of the transport key */
	/**
	 * Check the device's ranges and irq (host->cfg_error on trouble), then
	 * create the virtio device with vdev_create.
	 * @param tstate  receives the transport's state.
	 * @return 0 or a negative errno.
	 */
	int (*init)(struct vdev *v, void **tstate);
	/** Free the state after the virtio device is gone (NULL is fine). */
	void (*fini)(void *tstate);
	/** One access on one of the device's ranges. */
	enum ioreqd_fault_result (*access)(ioreqd_fault_t *f, void *tstate);
	/**
	 * Optional: the transport's own counters (bad accesses, refused
	 * interrupts), emitted in the group "transport" of the device's
	 * statistics.
	 */
	void (*stats)(void *tstate, ioreqd_stats_emit_fn emit, void *ctx);
	/**
	 * Add the transport's fields (tags VDEV_TAG_TRANSPORT and up).
	 * @return 0 or a negative errno.
	 */
	int (*save)(void *tstate, ioreqd_state_t *st);
	/**
	 * Read and check the transport's fields, then take them (BAR placement
	 * re-claimed, interrupt lines set as saved).  Runs after the core's
	 * record was checked and before it is loaded.  A refusal (-EBADMSG or
	 * -EBUSY, after ioreqd_state_fail) leaves the transport unchanged.
	 */
	int (*load)(void *tstate, ioreqd_state_t *st);
};

/** One device instance: what the glue, the model and the transport share. */
struct vdev {
	const struct ioreqd_host *host;
	ioreqd_dev_t *dev;
	const struct vdev_model *model;
	void *mstate; /* the model's */
	const struct vdev_transport *tr;
	void *tstate; /* the transport's */
	struct ioreqd_virtio_params
	    params;                /* what init produced (gmem and tr_ops added) */
	ioreqd_virtio_dev_t *vdev; /* NULL until vdev_create */
	ioreqd_timer_t *resume;    /* serves what a bounded notification left */
};

/** The transports built in, NULL-terminated. */
extern const struct vdev_transport *const vdev_transports[];

/**
 * For a transport's init: create the virtio device with @p tr_ops and
 * @p tr_opaque, then let the model attach.  @return 0 or a negative errno
 * (logged).
 */
int vdev_create(struct vdev *v, const struct ioreqd_virtio_transport_ops *tr_ops,
                void *tr_opaque);

/**
 * A rate-limited warning about the guest (for the core's log callback and the
 * transports).  @p opaque is the struct vdev.
 */
void vdev_log(void *opaque, int level, const char *msg);

/**
 * For a transport: the device's state changed in a way a checkpoint must
 * keep (status, a queue enabled, the BAR placed): host->state_changed, if
 * the daemon has it.
 */
void vdev_state_changed(struct vdev *v);

/**
 * For a transport: the driver notified queue @p qidx.  Serves at most a
 * queue's worth of entries now and the rest from a zero timer, after the
 * loop's other sources, so a guest refilling the ring cannot hold the loop.
 */
void vdev_queue_notify(struct vdev *v, unsigned qidx);

/* The hook entry points, shared by every device hook (see VDEV_HOOK). */
int vdev_hook_init(const struct vdev_model *m, const struct ioreqd_host *host,
                   ioreqd_dev_t *dev, void **priv);
void vdev_hook_fini(void *priv);
enum ioreqd_fault_result vdev_hook_access(ioreqd_fault_t *f, void *priv);
int vdev_hook_save(void *priv, ioreqd_state_t *st);
int vdev_hook_load(void *priv, ioreqd_state_t *st, unsigned version);

/**
 * Define a virtio device hook.  @p sym is a C name (virtio_rng), @p keys the
 * full key list: VDEV_COMMON_KEYS, then the model's own, then {NULL, NULL}.
 */
#define VDEV_HOOK(sym, hookname, modelp, keylist, text)                                  \
	static int sym##_init(const struct ioreqd_host *host, ioreqd_dev_t *dev,         \
	                      void **priv)                                               \
	{                                                                                \
		return vdev_hook_init(modelp, host, dev, priv);                          \
	}                                                                                \
	IOREQD_HOOK_DEFINE(sym) = {                                                      \
	    .abi = IOREQD_HOOK_ABI,                                                      \
	    .name = hookname,                                                            \
	    .summary = text,                                                             \
	    .keys = keylist,                                                             \
	    .init = sym##_init,                                                          \
	    .fini = vdev_hook_fini,                                                      \
	    .access = vdev_hook_access,                                                  \
	    .state_version = VDEV_STATE_VERSION,                                         \
	    .save = vdev_hook_save,                                                      \
	    .load = vdev_hook_load,                                                      \
	}

#endif /* IOREQD_HOOKS_VIRTIO_VDEV_H */
