/* SPDX-License-Identifier: MIT */
/*
 * The virtio core's device state (virtio.h, ioreqd_virtio_save/load): the
 * device-independent part of a device that a restarted or migrated device
 * model needs to carry on where the old one stopped.  It is a flat
 * little-endian record, versioned by IOREQD_VIRTIO_STATE_VERSION, which the
 * hooks keep as one field of their state blob (the core depends on nothing
 * else in lib/, so it does not use ioreqd/state.h itself):
 *
 *   le32 version, device_id, num_queues, config_size
 *   u8 status, 3 bytes 0
 *   le64 driver_features
 *   le32 config generation
 *   config_size bytes of config space
 *   per queue (40 bytes): u8 ready, u8 no_notify, le16 last_avail,
 *       le16 used_idx, le16 signalled, le32 unsignalled, le32 size,
 *       le64 desc, le64 avail, le64 used
 *
 * Requests in flight are not state: the device completes them (and pushes
 * them to the used ring) before saving, so a save with any outstanding is
 * refused.  The rings live in guest memory; load only records where they
 * are and maps them on first use, through whatever gmem the new instance
 * has, so the queue continues from last_avail exactly.
 */
#include <ioreqd/virtio.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "le.h"
#include "ring.h"
#include "virtio-internal.h"

#define HDR_LEN 32u
#define QUEUE_LEN 40u
#define BIT(n) (1ull << (n))
#define S_KNOWN                                                                          \
	(IOREQD_VIRTIO_S_ACKNOWLEDGE | IOREQD_VIRTIO_S_DRIVER |                          \
	 IOREQD_VIRTIO_S_DRIVER_OK | IOREQD_VIRTIO_S_FEATURES_OK |                       \
	 IOREQD_VIRTIO_S_NEEDS_RESET | IOREQD_VIRTIO_S_FAILED)

static void why(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void why(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

static size_t state_len(const struct ioreqd_virtio_dev *dev)
{
	return HDR_LEN + dev->p.config_size + (size_t)QUEUE_LEN * dev->p.num_queues;
}

int ioreqd_virtio_save(const ioreqd_virtio_dev_t *dev, uint8_t **out, size_t *len)
{
	size_t n = state_len(dev);
	uint8_t *b, *p;

	*out = NULL;
	*len = 0;
	for (unsigned i = 0; i < dev->p.num_queues; i++)
		if (dev->queues[i].st.in_flight)
			return -EBUSY;
	b = calloc(1, n);
	if (!b)
		return -ENOMEM;
	ioreqd_le_put(b, IOREQD_VIRTIO_STATE_VERSION, 4);
	ioreqd_le_put(b + 4, dev->p.device_id, 4);
	ioreqd_le_put(b + 8, dev->p.num_queues, 4);
	ioreqd_le_put(b + 12, dev->p.config_size, 4);
	b[16] = dev->status;
	ioreqd_le_put(b + 20, dev->driver_features, 8);
	ioreqd_le_put(b + 28, dev->generation, 4);
	memcpy(b + HDR_LEN, dev->config, dev->p.config_size);
	p = b + HDR_LEN + dev->p.config_size;
	for (unsigned i = 0; i < dev->p.num_queues; i++, p += QUEUE_LEN) {
		const struct ioreqd_virtq *q = &dev->queues[i];

		/*
		 * A queue that is not ready has no position: enabling it starts
		 * from zero.  Zeros then, so a state loads and saves again byte
		 * for byte whatever a disabled queue last held (fuzz_devstate: a
		 * refused load rolled back into a device still showed them).
		 */
		p[0] = q->ready;
		p[1] = q->ready && q->no_notify;
		ioreqd_le_put(p + 2, q->ready ? q->last_avail : 0, 2);
		ioreqd_le_put(p + 4, q->ready ? q->used_idx : 0, 2);
		ioreqd_le_put(p + 6, q->ready ? q->signalled : 0, 2);
		ioreqd_le_put(p + 8, q->ready ? q->unsignalled : 0, 4);
		ioreqd_le_put(p + 12, q->ready ? q->layout.size : 0, 4);
		ioreqd_le_put(p + 16, q->ready ? q->layout.desc : 0, 8);
		ioreqd_le_put(p + 24, q->ready ? q->layout.avail : 0, 8);
		ioreqd_le_put(p + 32, q->ready ? q->layout.used : 0, 8);
	}
	*out = b;
	*len = n;
	return 0;
}

/* The status bits a driver can have reached from a reset, in order. */
static bool status_reachable(uint8_t s)
{
	s &= (uint8_t)~IOREQD_VIRTIO_S_NEEDS_RESET;
	if (s & ~S_KNOWN)
		return false;
	if ((s & IOREQD_VIRTIO_S_DRIVER) && !(s & IOREQD_VIRTIO_S_ACKNOWLEDGE))
		return false;
	if ((s & IOREQD_VIRTIO_S_FEATURES_OK) && !(s & IOREQD_VIRTIO_S_DRIVER))
		return false;
	if ((s & IOREQD_VIRTIO_S_DRIVER_OK) && !(s & IOREQD_VIRTIO_S_FEATURES_OK))
		return false;
	return true;
}

static int check_queue(const struct ioreqd_virtio_dev *dev, unsigned i, const uint8_t *p,
                       uint8_t status, char *w, size_t wl)
{
	uint32_t size = (uint32_t)ioreqd_le_get(p + 12, 4);
	uint64_t desc = ioreqd_le_get(p + 16, 8), avail = ioreqd_le_get(p + 24, 8);
	uint64_t used = ioreqd_le_get(p + 32, 8);

	if (p[0] > 1 || p[1] > 1) {
		why(w, wl, "queue %u: ready or no_notify flag not 0 or 1", i);
		return -EBADMSG;
	}
	if (!p[0])
		return 0;
	if (!(status & IOREQD_VIRTIO_S_FEATURES_OK)) {
		why(w, wl, "queue %u is ready in status 0x%02x (before FEATURES_OK)", i,
		    status);
		return -EBADMSG;
	}
	if (!size || (size & (size - 1)) || size > dev->p.queue_max) {
		why(w, wl, "queue %u: size %u is not a power of 2 up to this device's %u",
		    i, size, dev->p.queue_max);
		return -EBADMSG;
	}
	if (desc % VRING_DESC_ALIGN || avail % VRING_AVAIL_ALIGN ||
	    used % VRING_USED_ALIGN) {
		why(w, wl, "queue %u: a ring address is misaligned", i);
		return -EBADMSG;
	}
	if ((uint16_t)(ioreqd_le_get(p + 2, 2) - ioreqd_le_get(p + 4, 2)) > size) {
		why(w, wl,
		    "queue %u: last_avail %u and used idx %u are more than %u apart", i,
		    (unsigned)ioreqd_le_get(p + 2, 2), (unsigned)ioreqd_le_get(p + 4, 2),
		    size);
		return -EBADMSG;
	}
	return 0;
}

int ioreqd_virtio_load_check(ioreqd_virtio_dev_t *dev, const void *buf, size_t len,
                             char *w, size_t wl)
{
	const uint8_t *b = buf;
	uint32_t version;
	uint8_t status;
	uint64_t feat;
	int rc;

	why(w, wl, "%s", "");
	if (len < HDR_LEN) {
		why(w, wl, "virtio state truncated: %zu bytes", len);
		return -EBADMSG;
	}
	version = (uint32_t)ioreqd_le_get(b, 4);
	if (version != IOREQD_VIRTIO_STATE_VERSION) {
		why(w, wl, "virtio state version %u, this core reads %u", version,
		    IOREQD_VIRTIO_STATE_VERSION);
		return -EBADMSG;
	}
	if (ioreqd_le_get(b + 4, 4) != dev->p.device_id ||
	    ioreqd_le_get(b + 8, 4) != dev->p.num_queues ||
	    ioreqd_le_get(b + 12, 4) != dev->p.config_size) {
		why(w, wl,
		    "saved virtio device %u with %u queue(s) and %u config bytes, this "
		    "is "
		    "device %u with %u and %u",
		    (unsigned)ioreqd_le_get(b + 4, 4), (unsigned)ioreqd_le_get(b + 8, 4),
		    (unsigned)ioreqd_le_get(b + 12, 4), dev->p.device_id,
		    dev->p.num_queues, dev->p.config_size);
		return -EBADMSG;
	}
	if (len != state_len(dev)) {
		why(w, wl, "virtio state of %zu bytes, expected %zu", len,
		    state_len(dev));
		return -EBADMSG;
	}
	status = b[16];
	feat = ioreqd_le_get(b + 20, 8);
	if (!status_reachable(status) || b[17] || b[18] || b[19]) {
		why(w, wl, "virtio status 0x%02x cannot be reached by a driver", status);
		return -EBADMSG;
	}
	if ((status & IOREQD_VIRTIO_S_FEATURES_OK) &&
	    ((feat & ~dev->offered) || !(feat & BIT(IOREQD_VIRTIO_F_VERSION_1)))) {
		why(w, wl,
		    "negotiated features 0x%llx are not a subset of this device's offer "
		    "0x%llx (did its configuration or backing change?)",
		    (unsigned long long)feat, (unsigned long long)dev->offered);
		return -EBADMSG;
	}
	for (unsigned i = 0; i < dev->p.num_queues; i++) {
		const uint8_t *p =
		    b + HDR_LEN + dev->p.config_size + (size_t)QUEUE_LEN * i;

		if ((rc = check_queue(dev, i, p, status, w, wl)) < 0)
			return rc;
	}
	/* What load needs, allocated now so that it cannot fail half-way. */
	for (unsigned i = 0; i < dev->p.num_queues; i++)
		if (virtq_busy_alloc(&dev->queues[i]) < 0) {
			why(w, wl, "out of memory");
			return -ENOMEM;
		}
	return 0;
}

int ioreqd_virtio_load(ioreqd_virtio_dev_t *dev, const void *buf, size_t len, char *w,
                       size_t wl)
{
	const uint8_t *b = buf, *p;
	bool run;
	int rc = ioreqd_virtio_load_check(dev, buf, len, w, wl);

	if (rc < 0)
		return rc;
	/* Whatever the instance did before goes: its requests become stale. */
	for (unsigned i = 0; i < dev->p.num_queues; i++)
		ioreqd_virtq_disable(&dev->queues[i]);
	dev->status = b[16];
	dev->broken = dev->status & IOREQD_VIRTIO_S_NEEDS_RESET;
	dev->driver_features = ioreqd_le_get(b + 20, 8);
	dev->generation = (uint32_t)ioreqd_le_get(b + 28, 4);
	memcpy(dev->config, b + HDR_LEN, dev->p.config_size);
	run = (dev->status & IOREQD_VIRTIO_S_DRIVER_OK) && !dev->broken;
	p = b + HDR_LEN + dev->p.config_size;
	for (unsigned i = 0; i < dev->p.num_queues; i++, p += QUEUE_LEN) {
		struct ioreqd_virtq *q = &dev->queues[i];

		if (!p[0])
			continue;
		q->layout = (struct ioreqd_virtq_layout){
		    .size = (uint32_t)ioreqd_le_get(p + 12, 4),
		    .desc = ioreqd_le_get(p + 16, 8),
		    .avail = ioreqd_le_get(p + 24, 8),
		    .used = ioreqd_le_get(p + 32, 8),
		};
		q->event_idx = ioreqd_virtio_has_feature(dev, IOREQD_VIRTIO_F_EVENT_IDX);
		q->indirect =
		    ioreqd_virtio_has_feature(dev, IOREQD_VIRTIO_F_INDIRECT_DESC);
		memset(q->busy, 0, (q->layout.size + 7) / 8);
		q->no_notify = p[1];
		q->last_avail = (uint16_t)ioreqd_le_get(p + 2, 2);
		q->used_idx = (uint16_t)ioreqd_le_get(p + 4, 2);
		q->signalled = (uint16_t)ioreqd_le_get(p + 6, 2);
		q->unsignalled = (uint32_t)ioreqd_le_get(p + 8, 4);
		q->gen++;
		/* Rings are mapped on first use, like after an invalidate. */
		q->mapped = false;
		q->resync = true;
		q->ready = true;
		/*
		 * The driver may have added buffers (and kicked a device model that
		 * was gone): ioreqd_virtio_resume looks at every ready queue once.
		 */
		q->more = run;
	}
	return 0;
}
