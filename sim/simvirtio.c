/* SPDX-License-Identifier: MIT */
/*
 * The simulated guest's virtio devices (see simvirtio.h): vguest's
 * virtio-mmio transport over simulated MMIO accesses, the interrupt
 * handshake, and the virtio-rng read.
 */
#include "simvirtio.h"

#include <endian.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "bus.h" /* IOREQD_PCI_ADDR */

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

static int cfg_read(void *ctx, uint64_t off, unsigned size, uint64_t *val)
{
	struct sg_vdev *d = ctx;

	return ioreqd_simhv_read(d->hv, d->vcpu, IOREQD_SPACE_PCI,
	                         IOREQD_PCI_ADDR(d->sbdf, off), size, val);
}

static int cfg_write(void *ctx, uint64_t off, unsigned size, uint64_t val)
{
	struct sg_vdev *d = ctx;

	return ioreqd_simhv_write(d->hv, d->vcpu, IOREQD_SPACE_PCI,
	                          IOREQD_PCI_ADDR(d->sbdf, off), size, val);
}

static int mem_read(void *ctx, uint64_t gpa, unsigned size, uint64_t *val)
{
	struct sg_vdev *d = ctx;

	return ioreqd_simhv_read(d->hv, d->vcpu, IOREQD_SPACE_MMIO, gpa, size, val);
}

static int mem_write(void *ctx, uint64_t gpa, unsigned size, uint64_t val)
{
	struct sg_vdev *d = ctx;

	return ioreqd_simhv_write(d->hv, d->vcpu, IOREQD_SPACE_MMIO, gpa, size, val);
}

/* The slot's state and its private area of guest RAM, for either transport. */
static int prepare(struct sg_vdev *d, struct ioreqd_simhv *hv, unsigned vcpu,
                   const struct sg_vattach *a, struct ioreqd_vguest_ram *ram, char *err,
                   size_t errlen)
{
	uint64_t size;
	void *mem = ioreqd_simhv_ram(hv, &size);

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
	*ram = (struct ioreqd_vguest_ram){
	    .ram = mem,
	    .ram_gpa = 0,
	    .ram_size = size,
	    .ring_gpa = d->area,
	    .ring_len = SG_VIRTIO_AREA / 2,
	};
	return 0;
}

static int bring_up(struct sg_vdev *d, const struct ioreqd_vguest_transport_ops *ops,
                    void *t, const struct sg_vattach *a,
                    const struct ioreqd_vguest_ram *ram, char *err, size_t errlen)
{
	int rc = ioreqd_vguest_init(&d->g, ops, t, a->device_id, a->features, a->queues,
	                            a->qsize, ram, err, errlen);

	if (rc < 0) {
		ioreqd_vguest_fini(&d->g);
		return rc;
	}
	d->up = true;
	return 0;
}

int sg_virtio_attach_mmio(struct sg_vdev *d, struct ioreqd_simhv *hv, unsigned vcpu,
                          const struct sg_vattach *a, char *err, size_t errlen)
{
	struct ioreqd_vguest_ram ram;
	int rc = prepare(d, hv, vcpu, a, &ram, err, errlen);

	if (rc < 0)
		return rc;
	d->mmio.io =
	    (struct ioreqd_vguest_io){.read = mmio_read, .write = mmio_write, .ctx = d};
	return bring_up(d, &ioreqd_vguest_mmio_ops, &d->mmio, a, &ram, err, errlen);
}

int sg_virtio_attach_pci(struct sg_vdev *d, struct ioreqd_simhv *hv, unsigned vcpu,
                         const struct sg_vattach *a, char *err, size_t errlen)
{
	struct ioreqd_vguest_ram ram;
	int rc = prepare(d, hv, vcpu, a, &ram, err, errlen);

	if (rc < 0)
		return rc;
	d->pci = true;
	d->sbdf = a->sbdf;
	d->pcit = (struct ioreqd_vguest_pci){
	    .cfg = {.read = cfg_read, .write = cfg_write, .ctx = d},
	    .mem = {.read = mem_read, .write = mem_write, .ctx = d},
	    .bar_gpa = a->bar,
	    .msix = a->msix,
	    .msi_addr = SG_VIRTIO_MSI_ADDR,
	    .msi_data = SG_VIRTIO_MSI_DATA(a->slot),
	};
	d->msi_seen = ioreqd_simhv_msi_count(hv);
	return bring_up(d, &ioreqd_vguest_pci_ops, &d->pcit, a, &ram, err, errlen);
}

void sg_virtio_detach(struct sg_vdev *d)
{
	if (!d->up)
		return;
	ioreqd_vguest_fini(&d->g);
	d->up = false;
}

/* virtio-pci: the next MSI to one of the device's vectors, or INTx A and the ISR. */
static int pci_wait_interrupt(struct sg_vdev *d, unsigned timeout_ms, uint32_t *isr,
                              char *err, size_t errlen)
{
	struct ioreqd_vguest_pci *t = &d->pcit;
	unsigned level = 1;
	uint64_t addr;
	uint32_t data;
	int rc;

	if (t->msix) {
		rc = ioreqd_simhv_wait_msi(d->hv, d->msi_seen + 1, timeout_ms);
		if (rc < 0)
			return fail(err, errlen, rc, "no MSI after the kick: %s",
			            strerror(-rc));
		rc = ioreqd_simhv_msi_get(d->hv, d->msi_seen++, &addr, &data);
		if (rc < 0)
			return fail(err, errlen, rc, "MSI %llu: %s",
			            (unsigned long long)d->msi_seen - 1, strerror(-rc));
		if (addr != t->msi_addr || data < t->msi_data ||
		    data - t->msi_data >= t->nr_vectors)
			return fail(err, errlen, -EPROTO,
			            "MSI 0x%llx/0x%x is not one of this device's vectors",
			            (unsigned long long)addr, data);
		*isr = data == t->msi_data ? 2 : 1; /* vector 0: configuration */
		return 0;
	}
	rc = ioreqd_simhv_wait_intx(d->hv, d->sbdf, 0, 1, timeout_ms);
	if (rc < 0)
		return fail(err, errlen, rc, "INTx A never went high: %s", strerror(-rc));
	rc = d->g.ops->ack_interrupt(d->g.t, isr);
	if (rc < 0)
		return fail(err, errlen, rc, "ISR read: %s", strerror(-rc));
	if (!*isr)
		return fail(err, errlen, -EPROTO, "INTx A high with ISR 0");
	rc = ioreqd_simhv_intx_level(d->hv, d->sbdf, 0, &level);
	if (rc == 0 && level)
		return fail(err, errlen, -EPROTO, "INTx A still high after the ISR read");
	return rc < 0 ? fail(err, errlen, rc, "INTx: %s", strerror(-rc)) : 0;
}

int sg_virtio_wait_interrupt(struct sg_vdev *d, unsigned timeout_ms, uint32_t *isr,
                             char *err, size_t errlen)
{
	unsigned level = 1;
	int rc;

	if (d->pci)
		return pci_wait_interrupt(d, timeout_ms, isr, err, errlen);
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

/*
 * Submit one chain on queue @p qi, wait for its interrupt and its used buffer;
 * @p got receives the length the device wrote.
 */
static int roundtrip_len(struct sg_vdev *d, unsigned qi, const struct ioreqd_vdrv_buf *b,
                         unsigned nout, unsigned nin, unsigned timeout_ms, uint32_t *got,
                         char *err, size_t errlen)
{
	struct ioreqd_vdrv *q = &d->g.q[qi];
	uint32_t isr = 0;
	int cookie, rc;

	if (ioreqd_vdrv_enable_irq(q))
		return fail(err, errlen, -EPROTO, "used buffers nobody asked for");
	rc = ioreqd_vguest_submit(&d->g, qi, b, nout, nin, &cookie);
	if (rc < 0)
		return fail(err, errlen, rc, "submit: %s", strerror(-rc));
	rc = sg_virtio_wait_interrupt(d, timeout_ms, &isr, err, errlen);
	if (rc < 0)
		return rc;
	if (ioreqd_vdrv_get_used(q, got) != &cookie)
		return fail(err, errlen, -EPROTO,
		            "no used buffer after the interrupt (isr 0x%x)", isr);
	return 0;
}

/* Submit one chain on queue @p qi, wait for its interrupt and its used buffer. */
static int roundtrip(struct sg_vdev *d, unsigned qi, const struct ioreqd_vdrv_buf *b,
                     unsigned nout, unsigned nin, unsigned timeout_ms, char *err,
                     size_t errlen)
{
	uint32_t got = 0;

	return roundtrip_len(d, qi, b, nout, nin, timeout_ms, &got, err, errlen);
}

/* Lay out one request in the data half of the area: header, status, data. */
static void blk_prepare(struct sg_vdev *d, bool write, uint64_t sector, uint32_t count,
                        uint8_t seed, struct ioreqd_vdrv_buf b[3])
{
	struct {
		uint32_t type, reserved;
		uint64_t sector;
	} hdr = {write ? 1u : count ? 0u : 4u, 0, sector};
	uint64_t base = d->area + SG_VIRTIO_AREA / 2;
	uint8_t *mem = ioreqd_simhv_ram(d->hv, NULL);
	uint8_t *data = mem + base + 512;
	uint32_t len = count * 512u;

	memcpy(mem + base, &hdr, sizeof(hdr));
	mem[base + 16] = 0xee;
	for (uint32_t i = 0; i < len; i++)
		data[i] = write ? (uint8_t)(seed + i) : 0;
	b[0] = (struct ioreqd_vdrv_buf){base, 16};
	b[1] = (struct ioreqd_vdrv_buf){base + 512, len};
	b[2] = (struct ioreqd_vdrv_buf){base + 16, 1};
}

/* The status byte and, for a checked read, the data. */
static int blk_check(struct sg_vdev *d, bool write, uint32_t count, bool check,
                     uint8_t seed, char *err, size_t errlen)
{
	uint64_t base = d->area + SG_VIRTIO_AREA / 2;
	uint8_t *mem = ioreqd_simhv_ram(d->hv, NULL);
	uint8_t *data = mem + base + 512, status = mem[base + 16];

	if (status != 0)
		return fail(err, errlen, -EIO, "status %u (%s)", status,
		            status == 1   ? "IOERR"
		            : status == 2 ? "UNSUPP"
		                          : "?");
	for (uint32_t i = 0; check && !write && i < count * 512u; i++)
		if (data[i] != (uint8_t)(seed + i))
			return fail(err, errlen, -EPROTO,
			            "byte %u of the data is 0x%02x, not 0x%02x", i,
			            data[i], (uint8_t)(seed + i));
	return 0;
}

static int blk_usable(struct sg_vdev *d, uint32_t count, char *err, size_t errlen)
{
	if (!d->up || d->g.device_id != 2)
		return fail(err, errlen, -ENODEV, "not a virtio-blk device");
	if (d->pending)
		return fail(err, errlen, -EBUSY,
		            "a started request is outstanding: finish it first");
	if (count > SG_VBLK_MAX_SECTORS)
		return fail(err, errlen, -EINVAL, "%u sectors (at most %u)", count,
		            SG_VBLK_MAX_SECTORS);
	return 0;
}

int sg_virtio_blk(struct sg_vdev *d, bool write, uint64_t sector, uint32_t count,
                  bool check, uint8_t seed, unsigned timeout_ms, char *err, size_t errlen)
{
	struct ioreqd_vdrv_buf b[3];
	int rc = blk_usable(d, count, err, errlen);

	if (rc < 0)
		return rc;
	blk_prepare(d, write, sector, count, seed, b);
	if (count == 0) /* FLUSH: header and status only */
		rc = roundtrip(d, 0, (struct ioreqd_vdrv_buf[]){b[0], b[2]}, 1, 1,
		               timeout_ms, err, errlen);
	else
		rc = roundtrip(d, 0, b, write ? 2 : 1, write ? 1 : 2, timeout_ms, err,
		               errlen);
	if (rc < 0)
		return rc;
	return blk_check(d, write, count, check, seed, err, errlen);
}

int sg_virtio_blk_start(struct sg_vdev *d, bool write, uint64_t sector, uint32_t count,
                        bool check, uint8_t seed, char *err, size_t errlen)
{
	struct ioreqd_vdrv_buf b[3];
	int rc = blk_usable(d, count, err, errlen);

	if (rc < 0)
		return rc;
	if (count == 0)
		return fail(err, errlen, -EINVAL, "count 1 to %u", SG_VBLK_MAX_SECTORS);
	if (ioreqd_vdrv_enable_irq(&d->g.q[0]))
		return fail(err, errlen, -EPROTO, "used buffers nobody asked for");
	blk_prepare(d, write, sector, count, seed, b);
	rc = ioreqd_vguest_submit(&d->g, 0, b, write ? 2 : 1, write ? 1 : 2,
	                          &d->pending_cookie);
	if (rc < 0)
		return fail(err, errlen, rc, "submit: %s", strerror(-rc));
	d->pending = true;
	d->pending_write = write;
	d->pending_check = check;
	d->pending_count = count;
	d->pending_seed = seed;
	return 0;
}

int sg_virtio_blk_finish(struct sg_vdev *d, unsigned timeout_ms, char *err, size_t errlen)
{
	uint32_t isr = 0, got = 0;
	uint16_t used_idx;
	void *c;
	int rc;

	if (!d->up || !d->pending)
		return fail(err, errlen, -ENOENT, "no started request");
	/*
	 * Its interrupt is still pending (a level, or an MSI counted by the
	 * hypervisor) even if the device model that raised it is gone.
	 */
	d->pending = false;
	rc = sg_virtio_wait_interrupt(d, timeout_ms, &isr, err, errlen);
	if (rc < 0)
		return rc;
	c = ioreqd_vdrv_get_used(&d->g.q[0], &got);
	if (c != &d->pending_cookie)
		return fail(err, errlen, -EPROTO,
		            "no used buffer for it after the interrupt (isr 0x%x)", isr);
	/* Every used entry the device published is one the driver collected. */
	memcpy(&used_idx, d->g.q[0].used + 2, sizeof(used_idx));
	if (le16toh(used_idx) != d->g.q[0].last_used)
		return fail(err, errlen, -EPROTO,
		            "the device published %u used entries, the driver took %u",
		            le16toh(used_idx), d->g.q[0].last_used);
	return blk_check(d, d->pending_write, d->pending_count, d->pending_check,
	                 d->pending_seed, err, errlen);
}

int sg_virtio_console_write(struct sg_vdev *d, const char *text, unsigned timeout_ms,
                            char *err, size_t errlen)
{
	uint64_t base = d->area + SG_VIRTIO_AREA / 2;
	uint8_t *mem = ioreqd_simhv_ram(d->hv, NULL);
	size_t len = strlen(text);
	struct ioreqd_vdrv_buf b = {base, (uint32_t)len + 1};

	if (!d->up || d->g.device_id != 3 || d->g.nr_queues < 2)
		return fail(err, errlen, -ENODEV,
		            "not a virtio-console device with 2 queues");
	if (len + 1 > SG_VIRTIO_AREA / 2)
		return fail(err, errlen, -EINVAL, "text too long");
	memcpy(mem + base, text, len);
	mem[base + len] = '\n';
	return roundtrip(d, 1, &b, 1, 0, timeout_ms, err, errlen);
}

int sg_virtio_console_read(struct sg_vdev *d, const char *text, unsigned timeout_ms,
                           char *err, size_t errlen)
{
	uint64_t base = d->area + SG_VIRTIO_AREA / 2;
	uint8_t *mem = ioreqd_simhv_ram(d->hv, NULL);
	size_t len = strlen(text), have = 0;

	if (!d->up || d->g.device_id != 3 || d->g.nr_queues < 2)
		return fail(err, errlen, -ENODEV,
		            "not a virtio-console device with 2 queues");
	if (len == 0 || len > SG_VIRTIO_AREA / 2)
		return fail(err, errlen, -EINVAL, "text of 1 to %u bytes",
		            SG_VIRTIO_AREA / 2);
	while (have < len) {
		struct ioreqd_vdrv_buf b = {base, (uint32_t)(len - have)};
		uint32_t got = 0;
		int rc;

		memset(mem + base, 0, len - have);
		rc = roundtrip_len(d, 0, &b, 0, 1, timeout_ms, &got, err, errlen);
		if (rc < 0) {
			char why[128];

			snprintf(why, sizeof(why), "%s", err);
			return fail(err, errlen, rc, "after %zu of %zu bytes: %s", have,
			            len, why);
		}
		if (got == 0 || got > len - have)
			return fail(err, errlen, -EPROTO,
			            "the device wrote %u bytes into a %zu-byte buffer",
			            got, len - have);
		for (uint32_t i = 0; i < got; i++, have++)
			if (mem[base + i] != (uint8_t)text[have])
				return fail(err, errlen, -EPROTO,
				            "byte %zu is 0x%02x, not 0x%02x ('%c')", have,
				            mem[base + i], (uint8_t)text[have],
				            text[have]);
	}
	return 0;
}
