/* SPDX-License-Identifier: MIT */
/*
 * The virtio device: feature negotiation, the status state machine, the
 * config space with its generation counter, reset and NEEDS_RESET, and the
 * dispatch of queue notifications (virtio 1.2, sections 2.1 to 2.5 and 3.1).
 * The driver's writes arrive through a transport and are guest input: an
 * illegal transition or an out-of-range access is refused, counted, logged.
 */
#include <ioreqd/virtio.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "virtio-internal.h"

#define BIT(n) (1ull << (n))
#define S_KNOWN                                                                          \
	(IOREQD_VIRTIO_S_ACKNOWLEDGE | IOREQD_VIRTIO_S_DRIVER |                          \
	 IOREQD_VIRTIO_S_DRIVER_OK | IOREQD_VIRTIO_S_FEATURES_OK |                       \
	 IOREQD_VIRTIO_S_NEEDS_RESET | IOREQD_VIRTIO_S_FAILED)

void virtio_logf(struct ioreqd_virtio_dev *dev, int level, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (!dev->p.tr_ops || !dev->p.tr_ops->log)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	dev->p.tr_ops->log(dev->p.tr_opaque, level, msg);
}

static bool is_pow2(uint32_t v)
{
	return v && !(v & (v - 1));
}

ioreqd_virtio_dev_t *ioreqd_virtio_new(const struct ioreqd_virtio_params *p)
{
	struct ioreqd_virtio_dev *dev;

	if (!p || !p->num_queues || p->num_queues > IOREQD_VIRTIO_QUEUES_MAX ||
	    !is_pow2(p->queue_max) || p->queue_max > IOREQD_VIRTQ_SIZE_MAX ||
	    p->config_size > IOREQD_VIRTIO_CONFIG_MAX || p->error_status > 255 ||
	    !p->gmem.ops || !p->gmem.ops->map || !p->gmem.ops->unmap || !p->tr_ops ||
	    !p->tr_ops->vring_interrupt || !p->tr_ops->config_interrupt) {
		errno = EINVAL;
		return NULL;
	}
	dev = calloc(1, sizeof(*dev));
	if (!dev)
		return NULL;
	dev->p = *p;
	dev->offered = p->features | BIT(IOREQD_VIRTIO_F_VERSION_1) |
	               BIT(IOREQD_VIRTIO_F_INDIRECT_DESC) |
	               BIT(IOREQD_VIRTIO_F_EVENT_IDX);
	if (p->access_platform)
		dev->offered |= BIT(IOREQD_VIRTIO_F_ACCESS_PLATFORM);
	dev->config = calloc(1, p->config_size ? p->config_size : 1);
	dev->queues = calloc(p->num_queues, sizeof(*dev->queues));
	if (!dev->config || !dev->queues) {
		free(dev->config);
		free(dev->queues);
		free(dev);
		errno = ENOMEM;
		return NULL;
	}
	for (unsigned i = 0; i < p->num_queues; i++) {
		dev->queues[i].dev = dev;
		dev->queues[i].idx = i;
	}
	return dev;
}

void ioreqd_virtio_free(ioreqd_virtio_dev_t *dev)
{
	if (!dev)
		return;
	for (unsigned i = 0; i < dev->p.num_queues; i++)
		virtq_destroy(&dev->queues[i]);
	free(dev->queues);
	free(dev->config);
	free(dev);
}

uint32_t ioreqd_virtio_device_id(const ioreqd_virtio_dev_t *dev)
{
	return dev->p.device_id;
}

unsigned ioreqd_virtio_num_queues(const ioreqd_virtio_dev_t *dev)
{
	return dev->p.num_queues;
}

uint64_t ioreqd_virtio_device_features(const ioreqd_virtio_dev_t *dev)
{
	return dev->offered;
}

int ioreqd_virtio_set_driver_features(ioreqd_virtio_dev_t *dev, uint64_t features)
{
	/* 3.1.1: features are written after DRIVER and before FEATURES_OK. */
	if (!(dev->status & IOREQD_VIRTIO_S_DRIVER) ||
	    (dev->status & IOREQD_VIRTIO_S_FEATURES_OK)) {
		dev->st.bad_features++;
		virtio_logf(dev, 0,
		            "virtio: driver features written in status 0x%02x, ignored",
		            dev->status);
		return -EBUSY;
	}
	dev->driver_features = features;
	return 0;
}

uint64_t ioreqd_virtio_driver_features(const ioreqd_virtio_dev_t *dev)
{
	return dev->driver_features;
}

bool ioreqd_virtio_has_feature(const ioreqd_virtio_dev_t *dev, unsigned bit)
{
	return bit < 64 && (dev->status & IOREQD_VIRTIO_S_FEATURES_OK) &&
	       (dev->driver_features & dev->offered & BIT(bit));
}

uint8_t ioreqd_virtio_status(const ioreqd_virtio_dev_t *dev)
{
	return dev->status;
}

/* @return 0 if the driver's features can be accepted, else a negative errno. */
static int features_check(struct ioreqd_virtio_dev *dev)
{
	uint64_t f = dev->driver_features;

	if (f & ~dev->offered) {
		virtio_logf(dev, 0,
		            "virtio: driver accepted features 0x%llx never offered",
		            (unsigned long long)(f & ~dev->offered));
		return -ENOTSUP;
	}
	if (!(f & BIT(IOREQD_VIRTIO_F_VERSION_1))) {
		virtio_logf(dev, 0,
		            "virtio: driver without VIRTIO_F_VERSION_1 (legacy) refused");
		return -ENOTSUP;
	}
	if (dev->p.dev_ops && dev->p.dev_ops->features_ok) {
		int rc = dev->p.dev_ops->features_ok(dev->p.dev_opaque, f);

		if (rc) {
			virtio_logf(dev, 0, "virtio: device refused features 0x%llx",
			            (unsigned long long)f);
			return rc < 0 ? rc : -ENOTSUP;
		}
	}
	return 0;
}

/* @return true if the driver may move the status from @p old to @p new. */
static bool status_legal(uint8_t old, uint8_t new)
{
	uint8_t added;

	old &= (uint8_t)~IOREQD_VIRTIO_S_NEEDS_RESET;
	if (new & ~S_KNOWN)
		return false;
	if ((old & new) != old)
		return false; /* only a reset (0) clears bits */
	added = new & ~old;
	if ((added & IOREQD_VIRTIO_S_DRIVER) && !(new &IOREQD_VIRTIO_S_ACKNOWLEDGE))
		return false;
	if ((added & IOREQD_VIRTIO_S_FEATURES_OK) && !(new &IOREQD_VIRTIO_S_DRIVER))
		return false;
	if ((added & IOREQD_VIRTIO_S_DRIVER_OK) && !(new &IOREQD_VIRTIO_S_FEATURES_OK))
		return false;
	return true;
}

int ioreqd_virtio_set_status(ioreqd_virtio_dev_t *dev, uint8_t status)
{
	uint8_t old = dev->status, added;
	int rc = 0;

	if (status == 0) {
		ioreqd_virtio_reset(dev);
		return 0;
	}
	/* NEEDS_RESET is the device's bit: a driver writing back what it read may carry
	 * it. */
	status &= (uint8_t)~IOREQD_VIRTIO_S_NEEDS_RESET;
	if (!status_legal(old, status)) {
		dev->st.bad_status++;
		virtio_logf(dev, 0,
		            "virtio: illegal status change 0x%02x -> 0x%02x refused", old,
		            status);
		return -EINVAL;
	}
	added = status & (uint8_t)~old;
	if (added & IOREQD_VIRTIO_S_FEATURES_OK) {
		rc = features_check(dev);
		if (rc) {
			dev->st.bad_features++;
			status &= (uint8_t) ~(IOREQD_VIRTIO_S_FEATURES_OK |
			                      IOREQD_VIRTIO_S_DRIVER_OK);
			added &= (uint8_t) ~(IOREQD_VIRTIO_S_FEATURES_OK |
			                     IOREQD_VIRTIO_S_DRIVER_OK);
			rc = -ENOTSUP;
		}
	}
	dev->status = status | (old & IOREQD_VIRTIO_S_NEEDS_RESET);
	if ((added & IOREQD_VIRTIO_S_DRIVER_OK) && dev->p.dev_ops &&
	    dev->p.dev_ops->driver_ok)
		dev->p.dev_ops->driver_ok(dev->p.dev_opaque);
	/* A break before DRIVER_OK is reported once the driver can take the interrupt. */
	if ((added & IOREQD_VIRTIO_S_DRIVER_OK) && dev->broken)
		dev->p.tr_ops->config_interrupt(dev->p.tr_opaque);
	return rc;
}

void ioreqd_virtio_reset(ioreqd_virtio_dev_t *dev)
{
	for (unsigned i = 0; i < dev->p.num_queues; i++)
		ioreqd_virtq_disable(&dev->queues[i]);
	if (dev->p.dev_ops && dev->p.dev_ops->reset)
		dev->p.dev_ops->reset(dev->p.dev_opaque);
	dev->driver_features = 0;
	dev->status = 0;
	dev->broken = false;
	dev->st.resets++;
}

void ioreqd_virtio_set_needs_reset(ioreqd_virtio_dev_t *dev)
{
	if (dev->broken)
		return;
	dev->broken = true;
	dev->status |= IOREQD_VIRTIO_S_NEEDS_RESET;
	dev->st.needs_reset++;
	virtio_logf(dev, 0,
	            "virtio: device needs a reset; it serves no requests until then");
	/* 2.1.2: with DRIVER_OK set, NEEDS_RESET comes with a config change notification.
	 */
	if (dev->status & IOREQD_VIRTIO_S_DRIVER_OK)
		dev->p.tr_ops->config_interrupt(dev->p.tr_opaque);
}

static bool config_range_ok(const struct ioreqd_virtio_dev *dev, uint32_t off,
                            uint32_t len)
{
	return len && off < dev->p.config_size && len <= dev->p.config_size - off;
}

int ioreqd_virtio_config_read(ioreqd_virtio_dev_t *dev, uint32_t off, void *buf,
                              uint32_t len)
{
	if (!config_range_ok(dev, off, len)) {
		dev->st.bad_config++;
		virtio_logf(dev, 1,
		            "virtio: config read of %u bytes at 0x%x out of range", len,
		            off);
		return -ERANGE;
	}
	memcpy(buf, dev->config + off, len);
	return 0;
}

int ioreqd_virtio_config_write(ioreqd_virtio_dev_t *dev, uint32_t off, const void *buf,
                               uint32_t len)
{
	uint8_t old[8];
	int rc;

	if (!config_range_ok(dev, off, len) || len > sizeof(old)) {
		dev->st.bad_config++;
		virtio_logf(dev, 1,
		            "virtio: config write of %u bytes at 0x%x out of range", len,
		            off);
		return -ERANGE;
	}
	if (!dev->p.dev_ops || !dev->p.dev_ops->config_write) {
		rc = -EPERM;
	} else {
		memcpy(old, dev->config + off, len);
		memcpy(dev->config + off, buf, len);
		rc = dev->p.dev_ops->config_write(dev->p.dev_opaque, off, len);
		if (rc)
			memcpy(dev->config + off, old, len);
	}
	if (rc) {
		dev->st.bad_config++;
		virtio_logf(dev, 1, "virtio: config write of %u bytes at 0x%x refused",
		            len, off);
	}
	return rc;
}

int ioreqd_virtio_config_update(ioreqd_virtio_dev_t *dev, uint32_t off, const void *buf,
                                uint32_t len, bool notify)
{
	if (!config_range_ok(dev, off, len))
		return -ERANGE;
	memcpy(dev->config + off, buf, len);
	dev->generation++;
	if (notify && (dev->status & IOREQD_VIRTIO_S_DRIVER_OK))
		dev->p.tr_ops->config_interrupt(dev->p.tr_opaque);
	return 0;
}

uint32_t ioreqd_virtio_config_generation(const ioreqd_virtio_dev_t *dev)
{
	return dev->generation;
}

/* Let the device serve @p q; bounded: at most one queue's worth of entries. */
static bool queue_run(struct ioreqd_virtio_dev *dev, struct ioreqd_virtq *q, bool bounded)
{
	q->more = false;
	if (!q->ready || !(dev->status & IOREQD_VIRTIO_S_DRIVER_OK) || dev->broken)
		return false;
	if (!dev->p.dev_ops || !dev->p.dev_ops->queue_notify)
		return false;
	q->bounded = bounded;
	q->budget = q->layout.size;
	dev->p.dev_ops->queue_notify(dev->p.dev_opaque, q);
	q->bounded = false;
	return q->more && q->ready && !dev->broken;
}

static bool queue_notify(struct ioreqd_virtio_dev *dev, unsigned qidx, bool bounded)
{
	struct ioreqd_virtq *q;

	if (qidx >= dev->p.num_queues) {
		dev->st.bad_notify++;
		virtio_logf(dev, 0,
		            "virtio: notification of queue %u, which does not exist",
		            qidx);
		return false;
	}
	q = &dev->queues[qidx];
	q->st.kicks++;
	return queue_run(dev, q, bounded);
}

void ioreqd_virtio_queue_notify(ioreqd_virtio_dev_t *dev, unsigned qidx)
{
	queue_notify(dev, qidx, false);
}

bool ioreqd_virtio_queue_notify_bounded(ioreqd_virtio_dev_t *dev, unsigned qidx)
{
	return queue_notify(dev, qidx, true);
}

bool ioreqd_virtio_resume(ioreqd_virtio_dev_t *dev)
{
	bool more = false;

	for (unsigned i = 0; i < dev->p.num_queues; i++)
		if (dev->queues[i].more)
			more |= queue_run(dev, &dev->queues[i], true);
	return more;
}

void ioreqd_virtio_stats(const ioreqd_virtio_dev_t *dev, struct ioreqd_virtio_stats *st)
{
	*st = dev->st;
}

ioreqd_virtq_t *ioreqd_virtio_queue(ioreqd_virtio_dev_t *dev, unsigned qidx)
{
	return qidx < dev->p.num_queues ? &dev->queues[qidx] : NULL;
}
