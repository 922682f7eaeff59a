/* SPDX-License-Identifier: MIT */
/*
 * The simulated guest's virtio devices (see simvirtio.h): vguest's
 * virtio-mmio transport over simulated MMIO accesses, the interrupt
 * handshake, and the virtio-rng read.
 */
#include "simvirtio.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

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

static int mmio_read(void *ctx, uint64_t off, unsigned size, uint64_t *val)
{
	struct sg_vdev *d = ctx;

	return ioreqd_simhv_read(d->hv, d->vcpu, IOREQD_SPACE_MMIO, d->base + off, size,
	                         val);
}

static int mmio_write(void *ctx, uint64_t off, unsigned size, uint64_t val)
{
	struct sg_vdev *d = ctx;

	return ioreqd_simhv_write(d->hv, d->vcpu, IOREQD_SPACE_MMIO, d->base + off, size,
	                          val);
}

int sg_virtio_attach_mmio(struct sg_vdev *d, struct ioreqd_simhv *hv, unsigned vcpu,
                          const struct sg_vattach *a, char *err, size_t errlen)
{
	struct ioreqd_vguest_ram ram;
	uint64_t size;
	void *mem = ioreqd_simhv_ram(hv, &size);
	int rc;

	sg_virtio_detach(d);
	memset(d, 0, sizeof(*d));
	d->hv = hv;
	d->vcpu = vcpu;
	d->base = a->base;
	d->irq = a->irq;
	d->area = a->area;
	if (d->area == UINT64_MAX) {
		if (size < (a->slot + 1ull) * SG_VIRTIO_AREA)
			return fail(err, errlen, -ENOSPC,
			            "guest RAM too small for device %u", a->slot);
		d->area = size - (a->slot + 1ull) * SG_VIRTIO_AREA;
	}
	if (d->area % 16 || d->area > size || size - d->area < SG_VIRTIO_AREA)
		return fail(err, errlen, -ENOSPC,
		            "area 0x%llx+0x%x is not 16-aligned guest RAM",
		            (unsigned long long)d->area, SG_VIRTIO_AREA);
	memset((uint8_t *)mem + d->area, 0, SG_VIRTIO_AREA);
	ram = (struct ioreqd_vguest_ram){
	    .ram = mem,
	    .ram_gpa = 0,
	    .ram_size = size,
	    .ring_gpa = d->area,
	    .ring_len = SG_VIRTIO_AREA / 2,
	};
	d->mmio.io =
	    (struct ioreqd_vguest_io){.read = mmio_read, .write = mmio_write, .ctx = d};
	rc = ioreqd_vguest_init(&d->g, &ioreqd_vguest_mmio_ops, &d->mmio, a->device_id,
	                        a->features, a->queues, a->qsize, &ram, err, errlen);
	if (rc < 0) {
		ioreqd_vguest_fini(&d->g);
		return rc;
	}
	d->up = true;
	return 0;
}

void sg_virtio_detach(struct sg_vdev *d)
{
	if (!d->up)
		return;
	ioreqd_vguest_fini(&d->g);
	d->up = false;
}

int sg_virtio_wait_interrupt(struct sg_vdev *d, unsigned timeout_ms, uint32_t *isr,
                             char *err, size_t errlen)
{
	unsigned level = 1;
	int rc;

	rc = ioreqd_simhv_wait_irq(d->hv, d->irq, 1, timeout_ms);
	if (rc < 0)
		return fail(err, errlen, rc, "irq %u never went high: %s", d->irq,
		            strerror(-rc));
	rc = d->g.ops->ack_interrupt(d->g.t, isr);
	if (rc < 0)
		return fail(err, errlen, rc, "InterruptStatus/ACK: %s", strerror(-rc));
	if (!*isr)
		return fail(err, errlen, -EPROTO, "irq %u high with InterruptStatus 0",
		            d->irq);
	rc = ioreqd_simhv_irq_level(d->hv, d->irq, &level, NULL);
	if (rc == 0 && level)
		return fail(err, errlen, -EPROTO, "irq %u still high after the ack",
		            d->irq);
	return rc < 0 ? fail(err, errlen, rc, "irq %u: %s", d->irq, strerror(-rc)) : 0;
}

int sg_virtio_rng_read(struct sg_vdev *d, uint32_t len, unsigned timeout_ms, char *err,
                       size_t errlen)
{
	struct ioreqd_vdrv_buf b = {.gpa = d->area + SG_VIRTIO_AREA / 2, .len = len};
	uint8_t *mem = ioreqd_simhv_ram(d->hv, NULL), *buf = mem + b.gpa;
	struct ioreqd_vdrv *q = &d->g.q[0];
	uint32_t got = 0, isr = 0;
	unsigned distinct = 0;
	int cookie, rc;

	if (!d->up)
		return fail(err, errlen, -ENODEV, "not attached");
	if (len == 0 || len > SG_VIRTIO_AREA / 2)
		return fail(err, errlen, -EINVAL, "length %u (1 to %u)", len,
		            SG_VIRTIO_AREA / 2);
	memset(buf, 0, len);
	if (ioreqd_vdrv_enable_irq(q))
		return fail(err, errlen, -EPROTO, "used buffers nobody asked for");
	rc = ioreqd_vguest_submit(&d->g, 0, &b, 0, 1, &cookie);
	if (rc < 0)
		return fail(err, errlen, rc, "submit: %s", strerror(-rc));
	rc = sg_virtio_wait_interrupt(d, timeout_ms, &isr, err, errlen);
	if (rc < 0)
		return rc;
	if (ioreqd_vdrv_get_used(q, &got) != &cookie)
		return fail(err, errlen, -EPROTO,
		            "no used buffer after the interrupt (isr 0x%x)", isr);
	if (got != len)
		return fail(err, errlen, -EPROTO, "the device wrote %u bytes, not %u",
		            got, len);
	for (uint32_t i = 1; i < len; i++)
		distinct += buf[i] != buf[0];
	if (len >= 8 && !distinct)
		return fail(err, errlen, -EPROTO, "%u bytes all 0x%02x: not random", len,
		            buf[0]);
	return 0;
}
