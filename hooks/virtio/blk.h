/* SPDX-License-Identifier: MIT */
/*
 * virtio-blk device model (virtio 1.2, section 5.2), transport-independent:
 * it fills struct ioreqd_virtio_params for whichever transport carries it,
 * then serves the one request queue once the transport has created the
 * device.  The disk is a file or a block device (`path`, `readonly`); I/O
 * is asynchronous through blkio.h, so a slow disk never holds up the event
 * loop, and a reset or teardown first waits for the I/O in flight.
 *
 * Every request is guest input: the header layout, the lengths (multiples of
 * 512), the sector range and the type are checked before any I/O; a bad
 * request fails with VIRTIO_BLK_S_IOERR (or UNSUPP for an unknown type), is
 * counted and is logged at a rate limit.  The device keeps serving.
 */
#ifndef IOREQD_HOOKS_VIRTIO_BLK_H
#define IOREQD_HOOKS_VIRTIO_BLK_H

#include <stdint.h>

#include <ioreqd/hook.h>
#include <ioreqd/virtio.h>

#define IOREQD_VIRTIO_ID_BLOCK 2u

/* Feature bits (5.2.3). */
#define IOREQD_VBLK_F_SIZE_MAX 1
#define IOREQD_VBLK_F_SEG_MAX 2
#define IOREQD_VBLK_F_RO 5
#define IOREQD_VBLK_F_BLK_SIZE 6
#define IOREQD_VBLK_F_FLUSH 9
#define IOREQD_VBLK_F_DISCARD 13
#define IOREQD_VBLK_F_WRITE_ZEROES 14

/* Request types and status values (5.2.6). */
#define IOREQD_VBLK_T_IN 0u
#define IOREQD_VBLK_T_OUT 1u
#define IOREQD_VBLK_T_FLUSH 4u
#define IOREQD_VBLK_T_GET_ID 8u
#define IOREQD_VBLK_T_DISCARD 11u
#define IOREQD_VBLK_T_WRITE_ZEROES 13u
#define IOREQD_VBLK_S_OK 0u
#define IOREQD_VBLK_S_IOERR 1u
#define IOREQD_VBLK_S_UNSUPP 2u

#define IOREQD_VBLK_ID_BYTES 20u
#define IOREQD_VBLK_CONFIG_SIZE 60u

/* Config space offsets (struct virtio_blk_config). */
#define IOREQD_VBLK_CFG_CAPACITY 0u
#define IOREQD_VBLK_CFG_SEG_MAX 12u
#define IOREQD_VBLK_CFG_BLK_SIZE 20u
#define IOREQD_VBLK_CFG_MAX_DISCARD_SECTORS 36u
#define IOREQD_VBLK_CFG_MAX_DISCARD_SEG 40u
#define IOREQD_VBLK_CFG_DISCARD_ALIGN 44u
#define IOREQD_VBLK_CFG_MAX_WZ_SECTORS 48u
#define IOREQD_VBLK_CFG_MAX_WZ_SEG 52u
#define IOREQD_VBLK_CFG_WZ_MAY_UNMAP 56u

/** The keys of a virtio-blk device section. */
/* clang-format off */
#define IOREQD_VBLK_KEYS \
	{"path", "the disk: a file or a block device (required)"}, \
	{"readonly", "yes: the guest may read but not write (default no)"}, \
	{"serial", "what VIRTIO_BLK_T_GET_ID returns, up to 20 bytes (default: the device name)"}
/* clang-format on */

/** Per-device counters. */
struct ioreqd_vblk_stats {
	uint64_t reads, writes, flushes, discards, write_zeroes, get_ids;
	uint64_t bytes_read, bytes_written;
	uint64_t io_errors;     /**< the backing file failed a request */
	uint64_t submit_failed; /**< of those: io_uring refused the submission */
	uint64_t bad_request;   /**< malformed layout, length or sector range */
	uint64_t unsupported;   /**< unknown type or flags */
	uint64_t in_flight;     /**< requests handed to the kernel, not yet done */
};

struct ioreqd_vblk;

/** The request queue's size when the section sets no queue_size. */
#define IOREQD_VBLK_QUEUE_DEFAULT 256u

/**
 * Read the device's keys, open the disk and fill the device part of @p p
 * (device_id, features, num_queues, config_size, error_status, dev_ops,
 * dev_opaque; queue_max is kept if set, else IOREQD_VBLK_QUEUE_DEFAULT); the
 * transport fills the rest.
 * @return 0, or -EINVAL after host->cfg_error ("file:line: ..."), or -ENOMEM.
 */
int ioreqd_vblk_new(const struct ioreqd_host *host, ioreqd_dev_t *dev,
                    struct ioreqd_virtio_params *p, struct ioreqd_vblk **out);

/** The transport created @p vdev from the params: fill its config space. */
void ioreqd_vblk_attach(struct ioreqd_vblk *b, ioreqd_virtio_dev_t *vdev);

/**
 * Wait for every request in flight and complete it (used entries written,
 * the queue notified).  Call it before ioreqd_virtio_free.
 */
void ioreqd_vblk_quiesce(struct ioreqd_vblk *b);

/** Free the model (after ioreqd_vblk_quiesce and ioreqd_virtio_free).  NULL is fine. */
void ioreqd_vblk_free(struct ioreqd_vblk *b);

/**
 * Device state: the disk's capacity in sectors (the rest is the virtio
 * core's), so a load onto a different disk is refused.
 * @return 0 or a negative errno.
 */
int ioreqd_vblk_save(struct ioreqd_vblk *b, ioreqd_state_t *st, uint16_t tag);

/**
 * Check the capacity saved under @p tag against this disk's.
 * @return 0, or -EBADMSG after ioreqd_state_fail naming both sizes.
 */
int ioreqd_vblk_load_check(struct ioreqd_vblk *b, ioreqd_state_t *st, uint16_t tag);

/** Copy the counters into @p st. */
void ioreqd_vblk_stats(const struct ioreqd_vblk *b, struct ioreqd_vblk_stats *st);

/**
 * Test hook: every later I/O on the backing file fails with @p err (0 ends
 * it), as a failing disk would; see ioreqd_blkio_inject_error.
 */
void ioreqd_vblk_inject_error(struct ioreqd_vblk *b, int err);

/**
 * Test hook: every later submission to io_uring fails with @p err (0 ends
 * it); see ioreqd_blkio_inject_submit_error.
 */
void ioreqd_vblk_inject_submit_error(struct ioreqd_vblk *b, int err);

/** @return the fd whose readability means completions are waiting (for tests). */
int ioreqd_vblk_event_fd(const struct ioreqd_vblk *b);

#endif /* IOREQD_HOOKS_VIRTIO_BLK_H */
