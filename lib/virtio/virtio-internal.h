/* SPDX-License-Identifier: MIT */
/*
 * The virtio core's private layout, shared by virtio.c (device: status,
 * features, config) and virtqueue.c (split rings).  Nothing outside
 * lib/virtio/ includes this.
 */
#ifndef IOREQD_VIRTIO_INTERNAL_H
#define IOREQD_VIRTIO_INTERNAL_H

#include <ioreqd/virtio.h>

/* One segment's mapping, parallel to the request's iovec array. */
struct vq_map {
	uint64_t gpa;
	uintptr_t token;
};

struct ioreqd_virtq_req {
	struct ioreqd_virtq *q;
	uint32_t gen; /* q->gen at pop; differs once the queue was reset */
	uint16_t head;
	unsigned nout, nin; /* readable segments come first in iov */
	unsigned cap;       /* capacity of iov and maps */
	uint64_t out_len, in_len;
	struct iovec *iov;
	struct vq_map *maps;
	void *priv;
	struct ioreqd_virtq_req *prev, *next; /* in-flight list, or free list (next) */
};

struct ioreqd_virtq {
	struct ioreqd_virtio_dev *dev;
	unsigned idx;
	bool ready;               /* enabled by the driver */
	bool mapped;              /* the ring mappings below are valid */
	bool event_idx, indirect; /* negotiated when enabled */
	uint32_t gen;             /* bumped by every enable and disable */
	struct ioreqd_virtq_layout layout;

	void *desc, *avail, *used; /* ring mappings */
	uintptr_t desc_tok, avail_tok, used_tok;

	uint16_t last_avail;  /* next avail entry to take */
	uint16_t used_idx;    /* what we last published in used->idx */
	uint16_t signalled;   /* used_idx when we last decided about an interrupt */
	uint32_t unsignalled; /* pushes since then */
	bool no_notify;       /* VRING_USED_F_NO_NOTIFY currently set */
	bool resync;          /* loaded: check used->idx against ours on first map */
	/* A bounded notification: pops left, and entries left for a resume. */
	bool bounded, more;
	uint32_t budget;
	uint8_t *busy; /* bitmap: heads in flight (this generation), queue_max bits */

	struct ioreqd_virtq_req *inflight; /* every generation's outstanding requests */
	struct ioreqd_virtq_req *free;     /* released requests for reuse */

	struct ioreqd_virtq_stats st;
};

struct ioreqd_virtio_dev {
	struct ioreqd_virtio_params p;
	uint64_t offered;
	uint64_t driver_features;
	uint8_t status;
	bool broken; /* NEEDS_RESET set: no more requests */
	uint32_t generation;
	uint8_t *config;
	struct ioreqd_virtq *queues;
	struct ioreqd_virtio_stats st;
};

/* Log a line through the transport's (rate-limited) callback. */
void virtio_logf(struct ioreqd_virtio_dev *dev, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Allocate the queue's in-flight bitmap for queue_max heads if it has none
 * (kept from then until teardown).  @return 0 or -ENOMEM.
 */
int virtq_busy_alloc(struct ioreqd_virtq *q);

/* Release every request of a queue and its rings (device teardown). */
void virtq_destroy(struct ioreqd_virtq *q);

/*
 * Test hook: after @p after more successful growths of a request's segment
 * arrays, the next one fails as if out of memory (once); -1 turns it off.
 */
void virtq_inject_grow_failure(int after);

#endif /* IOREQD_VIRTIO_INTERNAL_H */
