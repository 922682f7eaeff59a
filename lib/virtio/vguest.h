/* SPDX-License-Identifier: MIT */
/*
 * A guest-side virtio device driver, pure: the initialisation sequence of
 * virtio 1.2 section 3.1 (reset, ACKNOWLEDGE, DRIVER, features, FEATURES_OK,
 * queues, DRIVER_OK) over an abstract transport, with one split queue per
 * device queue driven by vdriver.h.  The transport is a small ops struct so
 * the simulated guest, the hook tests and the benchmarks can put virtio-mmio
 * (ioreqd_vguest_mmio_init below) or virtio-pci behind it; register accesses
 * themselves come from the creator (struct ioreqd_vguest_io), so the same
 * code runs over the simulated hypervisor or a test's mock.
 */
#ifndef IOREQD_VIRTIO_VGUEST_H
#define IOREQD_VIRTIO_VGUEST_H

#include <stdbool.h>
#include <stdint.h>

#include "vdriver.h"

/** Raw register access in the device's window (the creator's). */
struct ioreqd_vguest_io {
	/** Read @p size (1, 2, 4, 8) bytes at offset @p off.  @return 0 or -errno. */
	int (*read)(void *ctx, uint64_t off, unsigned size, uint64_t *val);
	/** Write.  @return 0 or -errno. */
	int (*write)(void *ctx, uint64_t off, unsigned size, uint64_t val);
	void *ctx;
};

/** A transport, as the driver sees it.  Every call returns 0 or -errno. */
struct ioreqd_vguest_transport_ops {
	/** Check the device is there; @p device_id receives its ID. */
	int (*probe)(void *t, uint32_t *device_id);
	int (*get_status)(void *t, uint8_t *status);
	int (*set_status)(void *t, uint8_t status);
	int (*get_features)(void *t, uint64_t *features);
	int (*set_features)(void *t, uint64_t features);
	/** @p max receives the largest size of queue @p q (0: no such queue). */
	int (*queue_max)(void *t, unsigned q, uint32_t *max);
	/** Give queue @p q its size and rings and make it ready. */
	int (*queue_setup)(void *t, unsigned q, uint32_t size, uint64_t desc,
	                   uint64_t avail, uint64_t used);
	/** Read back whether queue @p q is ready. */
	int (*queue_ready)(void *t, unsigned q, bool *ready);
	int (*notify)(void *t, unsigned q);
	/** Read and acknowledge the interrupt status (bit 0 vring, bit 1 config). */
	int (*ack_interrupt)(void *t, uint32_t *isr);
	/** Read @p len bytes (1, 2, 4) of device config at @p off. */
	int (*config_read)(void *t, uint32_t off, unsigned len, uint64_t *val);
	int (*config_write)(void *t, uint32_t off, unsigned len, uint64_t val);
	int (*config_generation)(void *t, uint32_t *gen);
};

/** The most queues the guest driver sets up. */
#define IOREQD_VGUEST_QUEUES 4

/** One device, driver side. */
struct ioreqd_vguest {
	const struct ioreqd_vguest_transport_ops *ops;
	void *t; /* the transport's state (e.g. struct ioreqd_vguest_mmio) */
	uint32_t device_id;
	uint64_t features;  /* negotiated */
	unsigned nr_queues; /* set up */
	struct ioreqd_vdrv q[IOREQD_VGUEST_QUEUES];
};

/** virtio-mmio (version 2) over raw register accesses. */
struct ioreqd_vguest_mmio {
	struct ioreqd_vguest_io io;
};
extern const struct ioreqd_vguest_transport_ops ioreqd_vguest_mmio_ops;

/** Guest RAM as the driver places its rings. */
struct ioreqd_vguest_ram {
	void *ram;        /* host address of guest RAM */
	uint64_t ram_gpa; /* its guest-physical address */
	uint64_t ram_size;
	uint64_t ring_gpa; /* where the rings (and indirect tables) go: 16-aligned */
	uint64_t ring_len; /* bytes available there */
};

/**
 * Initialise a device: probe, reset, negotiate (VERSION_1 required; the
 * device features in @p want that it offers are kept), set up @p nr_queues
 * queues of at most @p qsize entries each (EVENT_IDX and INDIRECT_DESC as
 * negotiated) inside @p ram, then DRIVER_OK.
 * @param device_id  the ID expected (0: any).
 * @param err        receives a one-line reason on failure.
 * @return 0; -ENODEV (not a virtio device, wrong ID), -ENOTSUP (features
 * refused), -ENOSPC (rings do not fit), -EIO (a queue was refused) or the
 * transport's error.
 */
int ioreqd_vguest_init(struct ioreqd_vguest *g,
                       const struct ioreqd_vguest_transport_ops *ops, void *t,
                       uint32_t device_id, uint64_t want, unsigned nr_queues,
                       uint32_t qsize, const struct ioreqd_vguest_ram *ram, char *err,
                       size_t errlen);

/** Reset the device (status 0) and free the queues (safe twice). */
void ioreqd_vguest_fini(struct ioreqd_vguest *g);

/**
 * Add a chain to queue @p q and notify the device if it wants it.
 * @return the head, or a negative errno.
 */
int ioreqd_vguest_submit(struct ioreqd_vguest *g, unsigned q,
                         const struct ioreqd_vdrv_buf *bufs, unsigned nout, unsigned nin,
                         void *cookie);

#endif /* IOREQD_VIRTIO_VGUEST_H */
