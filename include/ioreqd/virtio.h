/* SPDX-License-Identifier: MIT */
/*
 * The virtio core: split virtqueues, feature negotiation, the device status
 * state machine and config space, as pure logic (virtio 1.2, sections 2 and 3).
 *
 * Three parties meet here.  A *transport* (virtio-mmio, virtio-pci) turns
 * register accesses into calls of this API and delivers the interrupts the
 * core asks for; a *device* (blk, console, rng) pops requests from its queues
 * and pushes them back used; *guest memory* is reached only through the
 * struct ioreqd_gmem_ops the creator supplies, so the core knows nothing of
 * backends.  Everything a ring holds is guest input: a malformed ring either
 * fails that one request (the core completes it with the device's error
 * status) or breaks the device (DEVICE_NEEDS_RESET plus a config interrupt);
 * each case is counted per queue and reason and logged through the creator's
 * rate-limited log callback.  No guest input makes the core loop, wait or
 * touch memory the gmem ops did not hand out.
 *
 * Not thread-safe: one device is driven from one thread (the event loop).
 */
#ifndef IOREQD_VIRTIO_H
#define IOREQD_VIRTIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include <ioreqd/gmem.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Reserved feature bits (virtio 1.2, section 6). */
#define IOREQD_VIRTIO_F_INDIRECT_DESC 28
#define IOREQD_VIRTIO_F_EVENT_IDX 29
#define IOREQD_VIRTIO_F_VERSION_1 32
#define IOREQD_VIRTIO_F_ACCESS_PLATFORM 33

/* Device status bits (virtio 1.2, 2.1). */
#define IOREQD_VIRTIO_S_ACKNOWLEDGE 0x01u
#define IOREQD_VIRTIO_S_DRIVER 0x02u
#define IOREQD_VIRTIO_S_DRIVER_OK 0x04u
#define IOREQD_VIRTIO_S_FEATURES_OK 0x08u
#define IOREQD_VIRTIO_S_NEEDS_RESET 0x40u
#define IOREQD_VIRTIO_S_FAILED 0x80u

/** Largest split queue (virtio 1.2, 2.7). */
#define IOREQD_VIRTQ_SIZE_MAX 32768u
/** Most queues one device may have. */
#define IOREQD_VIRTIO_QUEUES_MAX 1024u
/** Largest device config space. */
#define IOREQD_VIRTIO_CONFIG_MAX 4096u

/** One virtio device (status, features, config space, queues).  Opaque. */
typedef struct ioreqd_virtio_dev ioreqd_virtio_dev_t;
/** One split virtqueue of a device.  Opaque; owned by its device. */
typedef struct ioreqd_virtq ioreqd_virtq_t;
/** One request popped from a queue, until it is pushed.  Opaque. */
typedef struct ioreqd_virtq_req ioreqd_virtq_req_t;

/** What the device implementation (blk, console, rng) is told. */
struct ioreqd_virtio_device_ops {
	/**
	 * Optional: the driver set FEATURES_OK with @p features (a subset of the
	 * offered ones that includes VERSION_1).
	 * @return 0 to accept, a negative errno to refuse (FEATURES_OK stays clear).
	 */
	int (*features_ok)(void *opaque, uint64_t features);
	/** Optional: the driver set DRIVER_OK; buffers added before it wait in the
	 * queues. */
	void (*driver_ok)(void *opaque);
	/**
	 * Optional: the device is being reset.  Queues are already disabled, so
	 * requests still in flight may be pushed later (the push only releases
	 * them); the device should cancel or finish its I/O.
	 */
	void (*reset)(void *opaque);
	/**
	 * Optional: the driver notified queue @p q.  The device pops until
	 * ioreqd_virtq_pop returns -EAGAIN: only then are further kicks armed.
	 */
	void (*queue_notify)(void *opaque, ioreqd_virtq_t *q);
	/**
	 * Optional: the driver wrote @p len bytes at @p off of the config space
	 * (already copied in).  NULL: config writes are refused.
	 * @return 0, or a negative errno to refuse (the core restores the bytes).
	 */
	int (*config_write)(void *opaque, uint32_t off, uint32_t len);
};

/** What the transport (mmio, pci) is asked to do. */
struct ioreqd_virtio_transport_ops {
	/** Raise a used-buffer interrupt for queue @p qidx.  @return 0 or a negative
	 * errno. */
	int (*vring_interrupt)(void *opaque, unsigned qidx);
	/** Raise a configuration-change interrupt.  @return 0 or a negative errno. */
	int (*config_interrupt)(void *opaque);
	/**
	 * Optional: log one line about guest misbehaviour or device trouble.
	 * Anything a guest can trigger arrives here, so it must be rate-limited
	 * (a hook passes host->log_rl, the daemon lib/log.c's ioreqd_log_rl).
	 * @param level  0 warning, 1 info, 2 debug (enum ioreqd_log_level).
	 */
	void (*log)(void *opaque, int level, const char *msg);
};

/** How to build a device (ioreqd_virtio_new copies it). */
struct ioreqd_virtio_params {
	uint32_t device_id;  /**< virtio device ID (blk 2, console 3, rng 4) */
	uint64_t features;   /**< device-specific feature bits offered */
	unsigned num_queues; /**< 1 .. IOREQD_VIRTIO_QUEUES_MAX */
	uint32_t queue_max;  /**< largest queue size offered: a power of 2 <= 32768 */
	uint32_t
	    config_size; /**< device config space bytes, <= IOREQD_VIRTIO_CONFIG_MAX */
	/**
	 * The byte the core writes into the last device-writable byte of a
	 * request it fails (a buffer outside RAM, lengths over 4 GiB), e.g.
	 * VIRTIO_BLK_S_IOERR; -1 for devices without a status byte.
	 */
	int error_status;
	/** Grants may be in use: offer VIRTIO_F_ACCESS_PLATFORM. */
	bool access_platform;
	struct ioreqd_gmem gmem; /**< guest memory */
	const struct ioreqd_virtio_device_ops *dev_ops;
	void *dev_opaque;
	const struct ioreqd_virtio_transport_ops *tr_ops;
	void *tr_opaque;
};

/** Why a queue refused guest input (counters in struct ioreqd_virtq_stats). */
enum ioreqd_virtq_error {
	/* The queue is not enabled (ioreqd_virtq_enable refuses). */
	IOREQD_VIRTQ_ERR_QSIZE = 0, /**< size 0, not a power of 2, or over the maximum */
	IOREQD_VIRTQ_ERR_ALIGN,     /**< ring not aligned (desc 16, avail 2, used 4) */
	/* The device needs a reset (DEVICE_NEEDS_RESET, config interrupt). */
	IOREQD_VIRTQ_ERR_RING_ADDR,   /**< a ring is not in guest RAM */
	IOREQD_VIRTQ_ERR_AVAIL_IDX,   /**< avail idx moved by more than the queue size */
	IOREQD_VIRTQ_ERR_HEAD_RANGE,  /**< an avail entry >= the queue size */
	IOREQD_VIRTQ_ERR_HEAD_IN_USE, /**< an avail entry names a chain still in flight */
	IOREQD_VIRTQ_ERR_NEXT_RANGE,  /**< a next index outside its table */
	IOREQD_VIRTQ_ERR_LOOP,        /**< a chain visits a descriptor twice */
	IOREQD_VIRTQ_ERR_CHAIN_LEN,   /**< more buffers in a chain than the queue size */
	IOREQD_VIRTQ_ERR_ORDER, /**< a device-readable buffer after a writable one */
	IOREQD_VIRTQ_ERR_INDIRECT_FEATURE, /**< INDIRECT without VIRTIO_F_INDIRECT_DESC */
	IOREQD_VIRTQ_ERR_INDIRECT_NESTED,  /**< INDIRECT inside an indirect table */
	IOREQD_VIRTQ_ERR_INDIRECT_NEXT,    /**< INDIRECT together with NEXT */
	IOREQD_VIRTQ_ERR_INDIRECT_LEN, /**< indirect table length 0 or not a multiple of
	                                  16 */
	/* That request fails; the queue goes on. */
	IOREQD_VIRTQ_ERR_INDIRECT_ADDR, /**< indirect table not in guest RAM */
	IOREQD_VIRTQ_ERR_BUF_ADDR,      /**< a buffer not in guest RAM, or it wraps */
	IOREQD_VIRTQ_ERR_BUF_LEN,       /**< readable or writable total over 4 GiB */
	IOREQD_VIRTQ_ERR_COUNT
};

/** Per-queue counters. */
struct ioreqd_virtq_stats {
	uint64_t requests;   /**< requests handed to the device */
	uint64_t failed;     /**< requests the core failed (bad buffers) */
	uint64_t bytes_out;  /**< device-readable bytes of the requests popped */
	uint64_t bytes_in;   /**< bytes the device reported written when pushing */
	uint64_t kicks;      /**< queue notifications from the driver */
	uint64_t interrupts; /**< used-buffer notifications sent */
	uint64_t suppressed; /**< used-buffer notifications the driver did not want */
	uint32_t in_flight;  /**< popped, not yet pushed */
	uint64_t errors[IOREQD_VIRTQ_ERR_COUNT]; /**< refusals by reason */
};

/** Per-device counters (driver misbehaviour outside the rings). */
struct ioreqd_virtio_stats {
	uint64_t bad_status;   /**< illegal status transitions refused */
	uint64_t bad_features; /**< feature sets refused or written at the wrong time */
	uint64_t bad_notify;   /**< notifications of a queue that does not exist */
	uint64_t bad_config;   /**< config accesses out of range or refused */
	uint64_t resets;       /**< device resets */
	uint64_t needs_reset;  /**< times DEVICE_NEEDS_RESET was set */
};

/** A segment of a request: host address, length, direction. */
struct ioreqd_virtq_seg {
	void *hva;     /**< host address of the buffer */
	uint32_t len;  /**< bytes */
	bool writable; /**< device-writable (else device-readable) */
};

/** Where a queue's rings are (what the transport's registers say). */
struct ioreqd_virtq_layout {
	uint32_t size;  /**< queue size: a power of 2, 1 .. the device's queue_max */
	uint64_t desc;  /**< descriptor table, 16-byte aligned */
	uint64_t avail; /**< driver area (available ring), 2-byte aligned */
	uint64_t used;  /**< device area (used ring), 4-byte aligned */
};

/* --- the device: created by the transport --- */

/**
 * Create a device in the reset state.
 * @param p  what to build; copied.
 * @return the device, or NULL with errno EINVAL (bad parameters) or ENOMEM.
 */
ioreqd_virtio_dev_t *ioreqd_virtio_new(const struct ioreqd_virtio_params *p);

/**
 * Destroy a device: queues are disabled and requests still in flight are
 * released (their mappings unmapped).  NULL is fine.
 */
void ioreqd_virtio_free(ioreqd_virtio_dev_t *dev);

/** @return the virtio device ID. */
uint32_t ioreqd_virtio_device_id(const ioreqd_virtio_dev_t *dev);

/** @return the number of queues. */
unsigned ioreqd_virtio_num_queues(const ioreqd_virtio_dev_t *dev);

/**
 * @return the features offered: the device's, VERSION_1, INDIRECT_DESC,
 * EVENT_IDX and, with access_platform, ACCESS_PLATFORM.
 */
uint64_t ioreqd_virtio_device_features(const ioreqd_virtio_dev_t *dev);

/**
 * The driver wrote its features (a transport assembles the 32-bit halves).
 * Accepted only while DRIVER is set and FEATURES_OK is not; a subset check
 * happens when FEATURES_OK is set.
 * @return 0, or -EBUSY (refused and counted: wrong time).
 */
int ioreqd_virtio_set_driver_features(ioreqd_virtio_dev_t *dev, uint64_t features);

/** @return the features the driver wrote (negotiated once FEATURES_OK is set). */
uint64_t ioreqd_virtio_driver_features(const ioreqd_virtio_dev_t *dev);

/** @return true if feature @p bit is negotiated (FEATURES_OK is set and both sides have
 * it). */
bool ioreqd_virtio_has_feature(const ioreqd_virtio_dev_t *dev, unsigned bit);

/** @return the device status byte, NEEDS_RESET included. */
uint8_t ioreqd_virtio_status(const ioreqd_virtio_dev_t *dev);

/**
 * The driver wrote the status register.  0 resets the device.  Otherwise the
 * value must keep every bit already set (NEEDS_RESET aside, which the device
 * owns) and add bits in order: ACKNOWLEDGE, DRIVER, FEATURES_OK, DRIVER_OK;
 * FAILED may be added at any time.  Setting FEATURES_OK checks the features
 * (a subset of the offer, VERSION_1 present, device_ops->features_ok).
 * @return 0; -EINVAL for an illegal transition (status unchanged, counted);
 * -ENOTSUP if the features were refused (the status is taken without
 * FEATURES_OK, so the driver sees the refusal on reading it back).
 */
int ioreqd_virtio_set_status(ioreqd_virtio_dev_t *dev, uint8_t status);

/**
 * Reset the device: queues disabled (in-flight requests become stale and are
 * only released when pushed), device_ops->reset called, features and status
 * cleared.  The config space and its generation stay.
 */
void ioreqd_virtio_reset(ioreqd_virtio_dev_t *dev);

/**
 * The device hit an error it cannot recover from: set DEVICE_NEEDS_RESET,
 * stop handing out requests, and raise a config interrupt if DRIVER_OK is
 * set.  The core calls it itself for broken rings.
 */
void ioreqd_virtio_set_needs_reset(ioreqd_virtio_dev_t *dev);

/**
 * Read the device config space (for the transport).
 * @return 0, or -ERANGE (counted) if [off, off + len) is outside it.
 */
int ioreqd_virtio_config_read(ioreqd_virtio_dev_t *dev, uint32_t off, void *buf,
                              uint32_t len);

/**
 * The driver writes the device config space (for the transport).
 * @return 0, -ERANGE if outside it, or the device's refusal (-EPERM when the
 * device has no config_write); refusals are counted and change nothing.
 */
int ioreqd_virtio_config_write(ioreqd_virtio_dev_t *dev, uint32_t off, const void *buf,
                               uint32_t len);

/**
 * The device changes its config space: copies @p len bytes at @p off, bumps
 * the generation and, if @p notify and DRIVER_OK is set, raises a config
 * interrupt.
 * @return 0 or -ERANGE.
 */
int ioreqd_virtio_config_update(ioreqd_virtio_dev_t *dev, uint32_t off, const void *buf,
                                uint32_t len, bool notify);

/** @return the config generation (it changes whenever the config space does). */
uint32_t ioreqd_virtio_config_generation(const ioreqd_virtio_dev_t *dev);

/**
 * The driver notified queue @p qidx (for the transport; completes at once).
 * An index past the last queue is counted and ignored; so is a notification
 * before DRIVER_OK or of a queue that is not ready.
 */
void ioreqd_virtio_queue_notify(ioreqd_virtio_dev_t *dev, unsigned qidx);

/**
 * ioreqd_virtio_queue_notify, but the device takes at most one queue's
 * worth of available entries, so a driver that keeps refilling the ring from
 * another CPU cannot hold the caller (the event loop) forever.  The entries
 * left wait, without a further kick from the driver, for
 * ioreqd_virtio_resume, which the transport must call soon, after serving
 * its other event sources.
 * @return true if entries were left for ioreqd_virtio_resume.
 */
bool ioreqd_virtio_queue_notify_bounded(ioreqd_virtio_dev_t *dev, unsigned qidx);

/**
 * Serve the queues a bounded notification (or the last resume) left entries
 * on, again at most one queue's worth each.
 * @return true if entries are left still: call it again later.
 */
bool ioreqd_virtio_resume(ioreqd_virtio_dev_t *dev);

/**
 * Drop every cached ring mapping (the hypervisor's INVALIDATE, or before the
 * gmem cache is flushed).  Rings are mapped again on their next use; if that
 * fails the device needs a reset.  In-flight requests keep their mappings.
 */
void ioreqd_virtio_invalidate(ioreqd_virtio_dev_t *dev);

/** Copy the device's counters into @p st. */
void ioreqd_virtio_stats(const ioreqd_virtio_dev_t *dev, struct ioreqd_virtio_stats *st);

/* --- device state (save and restore) --- */

/** Version of the record ioreqd_virtio_save writes (lib/virtio/vstate.c). */
#define IOREQD_VIRTIO_STATE_VERSION 1u

/**
 * Save the device-independent state: status, negotiated features, config
 * space and generation, and per queue its layout, last_avail, used idx and
 * notification state.  Requests in flight are not saved: the device must
 * complete and push them first (e.g. blk drains its I/O).
 * @param out  receives a malloc'd record (free it); NULL on error.
 * @param len  receives its length.
 * @return 0, -EBUSY if a request is still in flight, or -ENOMEM.
 */
int ioreqd_virtio_save(const ioreqd_virtio_dev_t *dev, uint8_t **out, size_t *len);

/**
 * Check a record of ioreqd_virtio_save against this device (same device ID,
 * queue count and config size; a status a driver can reach; negotiated
 * features this device offers; sane queue layouts) without changing the
 * device, and allocate what ioreqd_virtio_load needs so it cannot fail after
 * a successful check.
 * @param why  receives the reason of a refusal (one line).
 * @return 0, -EBADMSG or -ENOMEM.
 */
int ioreqd_virtio_load_check(ioreqd_virtio_dev_t *dev, const void *buf, size_t len,
                             char *why, size_t whylen);

/**
 * Replace the device's state with a saved one (checked first, as
 * ioreqd_virtio_load_check; nothing changes on a refusal).  Requests still
 * in flight become stale (pushing them only releases them).  Rings are
 * mapped on first use through this device's gmem.  The device then continues
 * from the saved last_avail: call ioreqd_virtio_resume once afterwards to
 * serve what the driver added meanwhile.  No interrupt is raised here: the
 * transport restores its own interrupt state.
 * @return as ioreqd_virtio_load_check.
 */
int ioreqd_virtio_load(ioreqd_virtio_dev_t *dev, const void *buf, size_t len, char *why,
                       size_t whylen);

/* --- queues --- */

/** @return queue @p qidx of @p dev, or NULL if there is no such queue. */
ioreqd_virtq_t *ioreqd_virtio_queue(ioreqd_virtio_dev_t *dev, unsigned qidx);

/** @return the queue's index in its device. */
unsigned ioreqd_virtq_index(const ioreqd_virtq_t *q);

/** @return the device the queue belongs to. */
ioreqd_virtio_dev_t *ioreqd_virtq_dev(const ioreqd_virtq_t *q);

/** @return the largest size the driver may choose (QueueNumMax). */
uint32_t ioreqd_virtq_max_size(const ioreqd_virtq_t *q);

/**
 * The driver made the queue ready (QueueReady = 1 / queue_enable).
 * Needs FEATURES_OK (the ring format depends on the features).
 * @param l  size and ring addresses; validated, then the rings are mapped.
 * @return 0; -EBUSY if already ready or FEATURES_OK is not set; -EINVAL for
 * a bad size or alignment, -EFAULT for a ring outside guest RAM (counted and
 * logged; the queue stays not ready).
 */
int ioreqd_virtq_enable(ioreqd_virtq_t *q, const struct ioreqd_virtq_layout *l);

/**
 * Stop using the queue (QueueReady = 0, or reset): rings unmapped, in-flight
 * requests become stale (pushing them only releases them).
 */
void ioreqd_virtq_disable(ioreqd_virtq_t *q);

/** @return true if the queue is enabled. */
bool ioreqd_virtq_ready(const ioreqd_virtq_t *q);

/** Copy the queue's counters into @p st. */
void ioreqd_virtq_stats(const ioreqd_virtq_t *q, struct ioreqd_virtq_stats *st);

/** @return a short name for an error reason ("loop", "avail-idx"), or "?" */
const char *ioreqd_virtq_error_name(enum ioreqd_virtq_error err);

/**
 * Take the next available request.  Its buffers are validated and mapped:
 * first the device-readable segments, then the device-writable ones.  A
 * request with bad buffers is failed by the core (error_status written,
 * pushed) and skipped.  When the ring is empty the core arms the driver's
 * next kick (avail_event, or clears VRING_USED_F_NO_NOTIFY), then looks once
 * more, so a device that pops until -EAGAIN after each kick never misses a
 * buffer.  One call visits at most queue-size avail entries and chains.
 * @param req  receives the request.
 * @return 0; -EAGAIN if nothing is available (or the queue is not ready, or
 * DRIVER_OK is not set); -EIO if the device needs a reset (now or before).
 */
int ioreqd_virtq_pop(ioreqd_virtq_t *q, ioreqd_virtq_req_t **req);

/**
 * Complete a request: write the used element (id, @p written) and publish
 * it, release the request's mappings.  @p written is clamped to the
 * writable length.  A request left over from before a reset or disable is
 * only released.  The driver is not interrupted here: call
 * ioreqd_virtq_notify once after a batch.
 * @return 0; -ESTALE if the queue was reset or disabled since the pop (the
 * request is released all the same); -EIO if the rings could not be mapped.
 */
int ioreqd_virtq_push(ioreqd_virtq_req_t *req, uint32_t written);

/**
 * Does the driver want an interrupt for the used entries pushed since the
 * last call?  Applies VIRTIO_F_EVENT_IDX (used_event) or
 * VRING_AVAIL_F_NO_INTERRUPT.  Counts the answer.
 */
bool ioreqd_virtq_should_notify(ioreqd_virtq_t *q);

/**
 * ioreqd_virtq_should_notify and, if so, the transport's vring_interrupt.
 * @return 1 if an interrupt was raised, 0 if none was due, or the
 * transport's negative errno.
 */
int ioreqd_virtq_notify(ioreqd_virtq_t *q);

/* --- requests --- */

/** @return the queue a request came from. */
ioreqd_virtq_t *ioreqd_virtq_req_queue(const ioreqd_virtq_req_t *req);

/** @return the head descriptor index (the used element's id). */
uint16_t ioreqd_virtq_req_head(const ioreqd_virtq_req_t *req);

/**
 * The device-readable segments, as an iovec array for preadv and friends.
 * @param n  receives the count (zero-length descriptors are left out).
 */
const struct iovec *ioreqd_virtq_req_out(const ioreqd_virtq_req_t *req, unsigned *n);

/** The device-writable segments.  @param n  receives the count. */
const struct iovec *ioreqd_virtq_req_in(const ioreqd_virtq_req_t *req, unsigned *n);

/** @return the device-readable bytes (at most 4 GiB - 1). */
uint32_t ioreqd_virtq_req_out_len(const ioreqd_virtq_req_t *req);

/** @return the device-writable bytes (at most 4 GiB - 1). */
uint32_t ioreqd_virtq_req_in_len(const ioreqd_virtq_req_t *req);

/**
 * Iterate over all segments, readable first.
 * @param i    0 .. count - 1.
 * @param seg  receives segment @p i.
 * @return true, or false past the last segment.
 */
bool ioreqd_virtq_req_seg(const ioreqd_virtq_req_t *req, unsigned i,
                          struct ioreqd_virtq_seg *seg);

/**
 * Gather device-readable bytes from offset @p off of the readable area.
 * @return the bytes copied (fewer than @p len at the end of the area).
 */
size_t ioreqd_virtq_req_read(const ioreqd_virtq_req_t *req, size_t off, void *buf,
                             size_t len);

/**
 * Scatter bytes into the device-writable area at offset @p off.  Readable
 * segments are never written.
 * @return the bytes copied (fewer than @p len at the end of the area).
 */
size_t ioreqd_virtq_req_write(ioreqd_virtq_req_t *req, size_t off, const void *buf,
                              size_t len);

/** Attach the device's own pointer to a request (NULL after pop). */
void ioreqd_virtq_req_set_priv(ioreqd_virtq_req_t *req, void *priv);

/** @return the pointer set with ioreqd_virtq_req_set_priv. */
void *ioreqd_virtq_req_priv(const ioreqd_virtq_req_t *req);

#ifdef __cplusplus
}
#endif

#endif /* IOREQD_VIRTIO_H */
