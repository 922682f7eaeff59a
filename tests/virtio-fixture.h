/* SPDX-License-Identifier: MIT */
/*
 * A virtio device on a test bench: guest RAM is a heap buffer at a non-zero
 * guest address, behind checked gmem ops that refuse anything outside it and
 * count live mappings; the transport records interrupts and log lines; the
 * guest side is lib/virtio/vdriver.c, plus raw ring pokes for the malformed
 * cases.  Shared by check_virtio_queue, check_virtio_queue_serve and
 * check_virtio_device.
 */
#ifndef IOREQD_TESTS_VIRTIO_FIXTURE_H
#define IOREQD_TESTS_VIRTIO_FIXTURE_H

#include <stdbool.h>
#include <stdint.h>

#include <ioreqd/virtio.h>

#include "ring.h"
#include "vdriver.h"

#define FX_RAM_GPA 0x40000000ull
#define FX_RAM_SIZE (1u << 20)
#define FX_RING_GPA (FX_RAM_GPA + 0x1000)      /* rings of queue 0 */
#define FX_INDIRECT_GPA (FX_RAM_GPA + 0x40000) /* indirect tables of queue 0 */
#define FX_DATA_GPA (FX_RAM_GPA + 0x80000)     /* buffers */
#define FX_QSIZE 8u
#define FX_QMAX 256u
#define FX_IOERR 1 /* the error status the test device uses */

/* Shorthands for the suites' hand-built rings. */
#define BIT(n) (1ull << (n))
#define D_NEXT VRING_DESC_F_NEXT
#define D_WRITE VRING_DESC_F_WRITE
#define D_INDIRECT VRING_DESC_F_INDIRECT
#define TABLE_GPA (FX_INDIRECT_GPA + 0x8000) /* a second indirect table */

struct fx {
	uint8_t *ram;
	struct ioreqd_virtio_params p;
	ioreqd_virtio_dev_t *dev;
	ioreqd_virtq_t *q;
	struct ioreqd_vdrv drv;
	/* gmem */
	long maps_live;
	uint64_t maps_total;
	uint64_t dirty_bytes;
	bool refuse_maps; /* the guest's RAM went away (ballooned out) */
	/* transport */
	unsigned vring_irqs[4];
	unsigned config_irqs;
	unsigned logs;
	char last_log[256];
	/* device */
	unsigned notifies, resets, driver_oks;
	int refuse_features;
	uint8_t config_shadow[16];
};

/** Create the device (2 queues, queue_max FX_QMAX, 16 bytes of config). */
void fx_init(struct fx *fx);
/** Destroy it; checks that no mapping is left behind. */
void fx_fini(struct fx *fx);
/**
 * Bring the device up as a driver would: ACKNOWLEDGE, DRIVER, @p features,
 * FEATURES_OK, queue 0 of @p qsize laid out by the vdriver, DRIVER_OK.
 */
void fx_up(struct fx *fx, uint64_t features, uint32_t qsize);
/** The features every test negotiates: VERSION_1, INDIRECT_DESC, EVENT_IDX. */
uint64_t fx_all_features(void);
/** Host address of guest address @p gpa. */
void *fx_hva(struct fx *fx, uint64_t gpa);
/** Write descriptor @p i of queue 0's table (raw, for malformed rings). */
void fx_desc(struct fx *fx, uint32_t i, uint64_t addr, uint32_t len, uint16_t flags,
             uint16_t next);
/** Write descriptor @p i of an indirect table at @p table_gpa. */
void fx_idesc(struct fx *fx, uint64_t table_gpa, uint32_t i, uint64_t addr, uint32_t len,
              uint16_t flags, uint16_t next);
/** Make head @p head available (raw): ring entry, then avail->idx + 1. */
void fx_avail(struct fx *fx, uint16_t head);
/** Set avail->idx to @p idx (raw). */
void fx_avail_idx(struct fx *fx, uint16_t idx);
/** @return queue 0's used->idx. */
uint16_t fx_used_idx(struct fx *fx);
/** @return used element @p slot of queue 0 (id and len). */
void fx_used_elem(struct fx *fx, uint32_t slot, uint32_t *id, uint32_t *len);
/** @return queue 0's counter for @p err. */
uint64_t fx_err(struct fx *fx, enum ioreqd_virtq_error err);

#endif /* IOREQD_TESTS_VIRTIO_FIXTURE_H */
