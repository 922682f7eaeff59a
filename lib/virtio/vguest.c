/* SPDX-License-Identifier: MIT */
/*
 * A guest-side virtio device driver (see vguest.h): the initialisation
 * sequence over an abstract transport, and the virtio-mmio transport over
 * raw register accesses (virtio 1.2, 4.2.3).
 */
#include "vguest.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define F_INDIRECT (1ull << 28)
#define F_EVENT_IDX (1ull << 29)
#define F_VERSION_1 (1ull << 32)

#define S_ACKNOWLEDGE 0x01u
#define S_DRIVER 0x02u
#define S_DRIVER_OK 0x04u
#define S_FEATURES_OK 0x08u
#define S_FAILED 0x80u

/* Descriptors per indirect table when INDIRECT_DESC is negotiated. */
#define INDIRECT_MAX 8u

/* ---- virtio-mmio ---------------------------------------------------------- */

#define M_MAGIC 0x000
#define M_VERSION 0x004
#define M_DEVICE_ID 0x008
#define M_DEV_FEATURES 0x010
#define M_DEV_FEATURES_SEL 0x014
#define M_DRV_FEATURES 0x020
#define M_DRV_FEATURES_SEL 0x024
#define M_QUEUE_SEL 0x030
#define M_QUEUE_NUM_MAX 0x034
#define M_QUEUE_NUM 0x038
#define M_QUEUE_READY 0x044
#define M_QUEUE_NOTIFY 0x050
#define M_INT_STATUS 0x060
#define M_INT_ACK 0x064
#define M_STATUS 0x070
#define M_QUEUE_DESC 0x080
#define M_QUEUE_DRIVER 0x090
#define M_QUEUE_DEVICE 0x0a0
#define M_CONFIG_GEN 0x0fc
#define M_CONFIG 0x100

static int rd32(struct ioreqd_vguest_mmio *m, uint64_t off, uint32_t *v)
{
	uint64_t val;
	int rc = m->io.read(m->io.ctx, off, 4, &val);

	*v = (uint32_t)val;
	return rc;
}

static int wr32(struct ioreqd_vguest_mmio *m, uint64_t off, uint32_t v)
{
	return m->io.write(m->io.ctx, off, 4, v);
}

static int mmio_probe(void *t, uint32_t *device_id)
{
	uint32_t magic, version;
	int rc;

	if ((rc = rd32(t, M_MAGIC, &magic)) < 0 ||
	    (rc = rd32(t, M_VERSION, &version)) < 0 ||
	    (rc = rd32(t, M_DEVICE_ID, device_id)) < 0)
		return rc;
	return magic == 0x74726976u && version == 2 && *device_id ? 0 : -ENODEV;
}

static int mmio_get_status(void *t, uint8_t *status)
{
	uint32_t v;
	int rc = rd32(t, M_STATUS, &v);

	*status = (uint8_t)v;
	return rc;
}

static int mmio_set_status(void *t, uint8_t status)
{
	return wr32(t, M_STATUS, status);
}

static int mmio_get_features(void *t, uint64_t *features)
{
	uint32_t lo, hi;
	int rc;

	if ((rc = wr32(t, M_DEV_FEATURES_SEL, 1)) < 0 ||
	    (rc = rd32(t, M_DEV_FEATURES, &hi)) < 0 ||
	    (rc = wr32(t, M_DEV_FEATURES_SEL, 0)) < 0 ||
	    (rc = rd32(t, M_DEV_FEATURES, &lo)) < 0)
		return rc;
	*features = (uint64_t)hi << 32 | lo;
	return 0;
}

static int mmio_set_features(void *t, uint64_t features)
{
	int rc;

	/* Linux writes the high half first; so do we. */
	if ((rc = wr32(t, M_DRV_FEATURES_SEL, 1)) < 0 ||
	    (rc = wr32(t, M_DRV_FEATURES, (uint32_t)(features >> 32))) < 0 ||
	    (rc = wr32(t, M_DRV_FEATURES_SEL, 0)) < 0)
		return rc;
	return wr32(t, M_DRV_FEATURES, (uint32_t)features);
}

static int mmio_queue_max(void *t, unsigned q, uint32_t *max)
{
	int rc = wr32(t, M_QUEUE_SEL, q);

	return rc < 0 ? rc : rd32(t, M_QUEUE_NUM_MAX, max);
}

static int wr64(struct ioreqd_vguest_mmio *m, uint64_t off, uint64_t v)
{
	int rc = wr32(m, off, (uint32_t)v);

	return rc < 0 ? rc : wr32(m, off + 4, (uint32_t)(v >> 32));
}

static int mmio_queue_setup(void *t, unsigned q, uint32_t size, uint64_t desc,
                            uint64_t avail, uint64_t used)
{
	int rc;

	if ((rc = wr32(t, M_QUEUE_SEL, q)) < 0 || (rc = wr32(t, M_QUEUE_NUM, size)) < 0 ||
	    (rc = wr64(t, M_QUEUE_DESC, desc)) < 0 ||
	    (rc = wr64(t, M_QUEUE_DRIVER, avail)) < 0 ||
	    (rc = wr64(t, M_QUEUE_DEVICE, used)) < 0)
		return rc;
	return wr32(t, M_QUEUE_READY, 1);
}

static int mmio_queue_ready(void *t, unsigned q, bool *ready)
{
	uint32_t v = 0;
	int rc = wr32(t, M_QUEUE_SEL, q);

	if (rc == 0)
		rc = rd32(t, M_QUEUE_READY, &v);
	*ready = v == 1;
	return rc;
}

static int mmio_notify(void *t, unsigned q)
{
	return wr32(t, M_QUEUE_NOTIFY, q);
}

static int mmio_ack_interrupt(void *t, uint32_t *isr)
{
	int rc = rd32(t, M_INT_STATUS, isr);

	if (rc == 0 && *isr)
		rc = wr32(t, M_INT_ACK, *isr);
	return rc;
}

static int mmio_config_read(void *t, uint32_t off, unsigned len, uint64_t *val)
{
	struct ioreqd_vguest_mmio *m = t;

	return m->io.read(m->io.ctx, M_CONFIG + off, len, val);
}

static int mmio_config_write(void *t, uint32_t off, unsigned len, uint64_t val)
{
	struct ioreqd_vguest_mmio *m = t;

	return m->io.write(m->io.ctx, M_CONFIG + off, len, val);
}

static int mmio_config_generation(void *t, uint32_t *gen)
{
	return rd32(t, M_CONFIG_GEN, gen);
}

const struct ioreqd_vguest_transport_ops ioreqd_vguest_mmio_ops = {
    .probe = mmio_probe,
    .get_status = mmio_get_status,
    .set_status = mmio_set_status,
    .get_features = mmio_get_features,
    .set_features = mmio_set_features,
    .queue_max = mmio_queue_max,
    .queue_setup = mmio_queue_setup,
    .queue_ready = mmio_queue_ready,
    .notify = mmio_notify,
    .ack_interrupt = mmio_ack_interrupt,
    .config_read = mmio_config_read,
    .config_write = mmio_config_write,
    .config_generation = mmio_config_generation,
};

/* ---- the device ----------------------------------------------------------- */

static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return rc;
}

static int setup_queues(struct ioreqd_vguest *g, unsigned nr_queues, uint32_t qsize,
                        const struct ioreqd_vguest_ram *ram, char *err, size_t errlen)
{
	bool event_idx = g->features & F_EVENT_IDX, indirect = g->features & F_INDIRECT;
	uint64_t at = ram->ring_gpa, end = ram->ring_gpa + ram->ring_len;
	int rc;

	for (unsigned i = 0; i < nr_queues; i++) {
		struct ioreqd_vdrv *d = &g->q[i];
		uint64_t ind = 0, need;
		uint32_t max, size = qsize;
		bool ready;

		rc = g->ops->queue_max(g->t, i, &max);
		if (rc < 0)
			return fail(err, errlen, rc, "queue %u: cannot read its size", i);
		if (!max)
			return fail(err, errlen, -ENODEV, "queue %u does not exist", i);
		while (size > max)
			size >>= 1;
		need = ioreqd_vdrv_ring_bytes(size);
		at = (at + 15) & ~15ull;
		if (indirect)
			ind = (at + need + 15) & ~15ull;
		if (at + need > end ||
		    (ind && ind + (uint64_t)size * INDIRECT_MAX * 16 > end))
			return fail(err, errlen, -ENOSPC,
			            "queue %u: no room for its rings", i);
		rc = ioreqd_vdrv_init(d, ram->ram, ram->ram_gpa, ram->ram_size, size, at,
		                      event_idx, ind, INDIRECT_MAX);
		if (rc < 0)
			return fail(err, errlen, rc, "queue %u: bad ring layout", i);
		g->nr_queues = i + 1;
		at = ind ? ind + (uint64_t)size * INDIRECT_MAX * 16 : at + need;
		rc = g->ops->queue_setup(g->t, i, size, d->desc_gpa, d->avail_gpa,
		                         d->used_gpa);
		if (rc == 0)
			rc = g->ops->queue_ready(g->t, i, &ready);
		if (rc < 0 || !ready)
			return fail(err, errlen, rc < 0 ? rc : -EIO,
			            "queue %u: the device refused it", i);
	}
	return 0;
}

int ioreqd_vguest_init(struct ioreqd_vguest *g,
                       const struct ioreqd_vguest_transport_ops *ops, void *t,
                       uint32_t device_id, uint64_t want, unsigned nr_queues,
                       uint32_t qsize, const struct ioreqd_vguest_ram *ram, char *err,
                       size_t errlen)
{
	uint64_t offered;
	uint8_t status;
	int rc;

	memset(g, 0, sizeof(*g));
	g->ops = ops;
	g->t = t;
	if (nr_queues > IOREQD_VGUEST_QUEUES)
		return fail(err, errlen, -EINVAL, "at most %u queues",
		            IOREQD_VGUEST_QUEUES);
	rc = ops->probe(t, &g->device_id);
	if (rc < 0)
		return fail(err, errlen, rc, "no virtio device there");
	if (device_id && g->device_id != device_id)
		return fail(err, errlen, -ENODEV, "device ID %u, expected %u",
		            g->device_id, device_id);
	if ((rc = ops->set_status(t, 0)) < 0 ||
	    (rc = ops->set_status(t, S_ACKNOWLEDGE)) < 0 ||
	    (rc = ops->set_status(t, S_ACKNOWLEDGE | S_DRIVER)) < 0 ||
	    (rc = ops->get_features(t, &offered)) < 0)
		return fail(err, errlen, rc, "status or feature registers failed");
	if (!(offered & F_VERSION_1))
		return fail(err, errlen, -ENOTSUP, "the device does not offer VERSION_1");
	g->features = offered & (want | F_VERSION_1);
	if ((rc = ops->set_features(t, g->features)) < 0 ||
	    (rc = ops->set_status(t, S_ACKNOWLEDGE | S_DRIVER | S_FEATURES_OK)) < 0 ||
	    (rc = ops->get_status(t, &status)) < 0)
		return fail(err, errlen, rc, "feature negotiation failed");
	if (!(status & S_FEATURES_OK)) {
		ops->set_status(t, S_ACKNOWLEDGE | S_DRIVER | S_FAILED);
		return fail(err, errlen, -ENOTSUP, "the device refused features 0x%llx",
		            (unsigned long long)g->features);
	}
	rc = setup_queues(g, nr_queues, qsize, ram, err, errlen);
	if (rc < 0) {
		ops->set_status(t, S_ACKNOWLEDGE | S_DRIVER | S_FEATURES_OK | S_FAILED);
		return rc;
	}
	rc = ops->set_status(t, S_ACKNOWLEDGE | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
	if (rc < 0)
		return fail(err, errlen, rc, "DRIVER_OK failed");
	return 0;
}

void ioreqd_vguest_fini(struct ioreqd_vguest *g)
{
	if (g->ops)
		g->ops->set_status(g->t, 0);
	for (unsigned i = 0; i < g->nr_queues; i++)
		ioreqd_vdrv_fini(&g->q[i]);
	g->nr_queues = 0;
	g->ops = NULL;
}

int ioreqd_vguest_submit(struct ioreqd_vguest *g, unsigned q,
                         const struct ioreqd_vdrv_buf *bufs, unsigned nout, unsigned nin,
                         void *cookie)
{
	struct ioreqd_vdrv *d;
	int head, rc;

	if (q >= g->nr_queues)
		return -EINVAL;
	d = &g->q[q];
	head = ioreqd_vdrv_add(d, bufs, nout, nin, d->indirect && nout + nin > 1, cookie);
	if (head < 0)
		return head;
	if (ioreqd_vdrv_kick_needed(d)) {
		rc = g->ops->notify(g->t, q);
		if (rc < 0)
			return rc;
	}
	return head;
}
