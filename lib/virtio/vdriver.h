/* SPDX-License-Identifier: MIT */
/*
 * A guest-side split-virtqueue driver, pure: it lays out and drives one
 * queue inside a buffer that stands for guest RAM (the simulated guest's
 * memory, or a test's).  It adds buffer chains (direct or through an
 * indirect table), decides whether to kick with the same EVENT_IDX /
 * NO_NOTIFY maths a real driver uses, and collects used buffers.  Written
 * from the virtio 1.2 specification, for the simulated guest, the tests and
 * the benchmarks; it trusts nothing the device writes except the used ring,
 * and checks that.
 */
#ifndef IOREQD_VIRTIO_VDRIVER_H
#define IOREQD_VIRTIO_VDRIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** A guest buffer: guest-physical address and length. */
struct ioreqd_vdrv_buf {
	uint64_t gpa;
	uint32_t len;
};

/** One queue, driver side.  Fields are private to vdriver.c. */
struct ioreqd_vdrv {
	uint8_t *ram; /* host address of guest RAM */
	uint64_t ram_gpa, ram_size;
	uint32_t size;
	bool event_idx, indirect;
	uint64_t desc_gpa, avail_gpa, used_gpa, indirect_gpa;
	uint32_t indirect_max; /* entries per indirect table (one table per head) */
	uint8_t *desc, *avail, *used;
	uint16_t free_head; /* first free descriptor */
	uint32_t num_free;
	uint16_t avail_idx;  /* our shadow of avail->idx */
	uint16_t kicked_idx; /* avail_idx at the last kick decision */
	uint16_t last_used;  /* next used entry to collect */
	uint16_t *next;      /* free-list links (ours, never read back from RAM) */
	uint16_t *chain_len; /* descriptors used by the chain at each head */
	void **cookie;       /* per head; NULL when free */
};

/**
 * Bytes of guest RAM the rings of a queue of @p size need at @p gpa (desc,
 * then avail, then used at the next 4-byte boundary, event fields included).
 */
uint64_t ioreqd_vdrv_ring_bytes(uint32_t size);

/**
 * Lay out a queue and zero its rings.
 * @param ram, ram_gpa, ram_size  guest RAM: host address, guest address, bytes.
 * @param size          queue size (a power of 2).
 * @param ring_gpa      where the rings go (16-aligned, ioreqd_vdrv_ring_bytes long).
 * @param event_idx     VIRTIO_F_EVENT_IDX was negotiated.
 * @param indirect_gpa  0, or room for size tables of @p indirect_max descriptors
 *                      (VIRTIO_F_INDIRECT_DESC negotiated).
 * @return 0, -EINVAL (bad layout) or -ENOMEM.
 */
int ioreqd_vdrv_init(struct ioreqd_vdrv *d, void *ram, uint64_t ram_gpa,
                     uint64_t ram_size, uint32_t size, uint64_t ring_gpa, bool event_idx,
                     uint64_t indirect_gpa, uint32_t indirect_max);

/**
 * The same guest RAM is now at host address @p ram (a copy of it, as after a
 * simulated guest was saved and restored): point the rings there.
 */
void ioreqd_vdrv_move_ram(struct ioreqd_vdrv *d, void *ram);

/** Free what init allocated (safe twice). */
void ioreqd_vdrv_fini(struct ioreqd_vdrv *d);

/**
 * Add one chain: @p nout device-readable buffers, then @p nin writable ones,
 * and make it available.
 * @param indirect  put the buffers in this head's indirect table.
 * @param cookie    returned by ioreqd_vdrv_get_used; must not be NULL.
 * @return the head index, -ENOSPC (not enough free descriptors) or -EINVAL.
 */
int ioreqd_vdrv_add(struct ioreqd_vdrv *d, const struct ioreqd_vdrv_buf *bufs,
                    unsigned nout, unsigned nin, bool indirect, void *cookie);

/**
 * After a batch of adds: must the device be notified?  Applies the device's
 * avail_event (EVENT_IDX) or VRING_USED_F_NO_NOTIFY.
 */
bool ioreqd_vdrv_kick_needed(struct ioreqd_vdrv *d);

/**
 * Collect one used buffer.
 * @param len  receives the length the device wrote.
 * @return its cookie, or NULL if none is pending.  A used element naming a
 * head that is not in flight is never consumed either: NULL again each time,
 * and the caller should reset the device.
 */
void *ioreqd_vdrv_get_used(struct ioreqd_vdrv *d, uint32_t *len);

/**
 * Ask for an interrupt at the next used buffer (used_event, or clear
 * VRING_AVAIL_F_NO_INTERRUPT).
 * @return true if used buffers are already pending (collect them first).
 */
bool ioreqd_vdrv_enable_irq(struct ioreqd_vdrv *d);

/** Ask for no interrupts (VRING_AVAIL_F_NO_INTERRUPT; with EVENT_IDX a hint only). */
void ioreqd_vdrv_disable_irq(struct ioreqd_vdrv *d);

/** @return free descriptors. */
uint32_t ioreqd_vdrv_num_free(const struct ioreqd_vdrv *d);

#endif /* IOREQD_VIRTIO_VDRIVER_H */
