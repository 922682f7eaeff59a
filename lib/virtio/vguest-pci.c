/* SPDX-License-Identifier: MIT */
/*
 * virtio-pci (modern) for the guest-side driver (see vguest-pci.h): PCI
 * enumeration of one function, BAR placement, the capability walk, MSI-X
 * programming, and the common configuration registers at their own widths.
 */
#include "vguest-pci.h"

#include <errno.h>
#include <stddef.h>

#define VENDOR_VIRTIO 0x1af4u
#define DEVICE_MODERN 0x1040u

/* virtio_pci_common_cfg (virtio 1.2, 4.1.4.3) */
#define C_DFSELECT 0x00
#define C_DF 0x04
#define C_GFSELECT 0x08
#define C_GF 0x0c
#define C_MSIX 0x10
#define C_STATUS 0x14
#define C_GEN 0x15
#define C_QSELECT 0x16
#define C_QSIZE 0x18
#define C_QMSIX 0x1a
#define C_QENABLE 0x1c
#define C_QNOFF 0x1e
#define C_QDESC 0x20
#define C_QDRIVER 0x28
#define C_QDEVICE 0x30

static int cfg_rd(struct ioreqd_vguest_pci *p, uint32_t reg, unsigned size, uint32_t *v)
{
	uint64_t val = 0;
	int rc = p->cfg.read(p->cfg.ctx, reg, size, &val);

	*v = (uint32_t)val;
	return rc;
}

static int cfg_wr(struct ioreqd_vguest_pci *p, uint32_t reg, unsigned size, uint32_t v)
{
	return p->cfg.write(p->cfg.ctx, reg, size, v);
}

static int rd(struct ioreqd_vguest_pci *p, uint64_t gpa, unsigned size, uint64_t *v)
{
	return p->mem.read(p->mem.ctx, gpa, size, v);
}

static int wr(struct ioreqd_vguest_pci *p, uint64_t gpa, unsigned size, uint64_t v)
{
	return p->mem.write(p->mem.ctx, gpa, size, v);
}

/* Size BAR0/1 and put it at p->bar_gpa.  @return 0 or -errno. */
static int place_bar(struct ioreqd_vguest_pci *p)
{
	uint32_t lo, hi, cmd;
	int rc;

	/* Decoding off while the BAR holds the size probe, as firmware does. */
	if ((rc = cfg_rd(p, 0x04, 2, &cmd)) < 0 ||
	    (rc = cfg_wr(p, 0x04, 2, cmd & ~2u)) < 0 ||
	    (rc = cfg_wr(p, 0x10, 4, 0xffffffffu)) < 0 ||
	    (rc = cfg_rd(p, 0x10, 4, &lo)) < 0 ||
	    (rc = cfg_wr(p, 0x14, 4, 0xffffffffu)) < 0 ||
	    (rc = cfg_rd(p, 0x14, 4, &hi)) < 0)
		return rc;
	if ((lo & 0x7) != 0x4) /* memory, 64-bit */
		return -ENODEV;
	p->bar_size = ~(((uint64_t)hi << 32) | (lo & ~0xfu)) + 1;
	if (!p->bar_size || (p->bar_gpa & (p->bar_size - 1)))
		return -EINVAL;
	if ((rc = cfg_wr(p, 0x10, 4, (uint32_t)p->bar_gpa)) < 0 ||
	    (rc = cfg_wr(p, 0x14, 4, (uint32_t)(p->bar_gpa >> 32))) < 0)
		return rc;
	/* Memory decoding and bus mastering on; INTx enabled. */
	return cfg_wr(p, 0x04, 2, (cmd | 0x6u) & ~0x400u);
}

static void vendor_cap(struct ioreqd_vguest_pci *p, uint32_t type, uint32_t bar,
                       uint32_t off, uint32_t extra)
{
	uint64_t gpa = p->bar_gpa + off;

	if (bar != 0)
		return; /* this driver places BAR0 only */
	switch (type) {
	case 1:
		p->common = gpa;
		break;
	case 2:
		p->notify = gpa;
		p->notify_mult = extra;
		break;
	case 3:
		p->isr = gpa;
		break;
	case 4:
		p->device = gpa;
		break;
	default:
		break;
	}
}

/* Walk the capability list.  @return 0 or -errno. */
static int walk_caps(struct ioreqd_vguest_pci *p)
{
	uint32_t ptr, hdr, bar, off, extra = 0;
	int rc;

	if ((rc = cfg_rd(p, 0x34, 1, &ptr)) < 0)
		return rc;
	/* 48 capabilities fill config space: more means a loop. */
	for (unsigned n = 0; ptr >= 0x40 && n < 48; n++) {
		ptr &= ~3u;
		if ((rc = cfg_rd(p, ptr, 4, &hdr)) < 0)
			return rc;
		if ((hdr & 0xff) == 0x09) {
			if ((rc = cfg_rd(p, ptr + 4, 1, &bar)) < 0 ||
			    (rc = cfg_rd(p, ptr + 8, 4, &off)) < 0)
				return rc;
			if (((hdr >> 24) & 0xff) == 2 &&
			    (rc = cfg_rd(p, ptr + 16, 4, &extra)) < 0)
				return rc;
			vendor_cap(p, (hdr >> 24) & 0xff, bar, off, extra);
		} else if ((hdr & 0xff) == 0x11) {
			p->msix_cap = (uint8_t)ptr;
			p->nr_vectors = (uint16_t)(((hdr >> 16) & 0x7ff) + 1);
		}
		ptr = (hdr >> 8) & 0xff;
	}
	return p->common && p->notify && p->isr ? 0 : -ENODEV;
}

/* One vector for configuration changes, then one a queue, all unmasked. */
static int setup_msix(struct ioreqd_vguest_pci *p)
{
	uint32_t table, ctrl;
	uint64_t base;
	int rc;

	if (!p->msix_cap)
		return -ENODEV;
	if ((rc = cfg_rd(p, p->msix_cap + 4u, 4, &table)) < 0)
		return rc;
	if (table & 7)
		return -ENODEV; /* the table in another BAR: not this driver's */
	base = p->bar_gpa + table;
	for (unsigned v = 0; v < p->nr_vectors; v++) {
		if ((rc = wr(p, base + 16 * v, 4, (uint32_t)p->msi_addr)) < 0 ||
		    (rc = wr(p, base + 16 * v + 4, 4, p->msi_addr >> 32)) < 0 ||
		    (rc = wr(p, base + 16 * v + 8, 4, p->msi_data + v)) < 0 ||
		    (rc = wr(p, base + 16 * v + 12, 4, 0)) < 0)
			return rc;
	}
	if ((rc = cfg_rd(p, p->msix_cap + 2u, 2, &ctrl)) < 0)
		return rc;
	return cfg_wr(p, p->msix_cap + 2u, 2, (ctrl | 0x8000u) & ~0x4000u);
}

/* INTx: MSI-X off, whatever a previous driver left. */
static int no_msix(struct ioreqd_vguest_pci *p)
{
	uint32_t ctrl;
	int rc;

	if (!p->msix_cap)
		return 0;
	if ((rc = cfg_rd(p, p->msix_cap + 2u, 2, &ctrl)) < 0)
		return rc;
	return cfg_wr(p, p->msix_cap + 2u, 2, ctrl & ~0xc000u);
}

static int pci_probe(void *t, uint32_t *device_id)
{
	struct ioreqd_vguest_pci *p = t;
	uint32_t id, rev;
	int rc;

	p->common = p->notify = p->isr = p->device = 0;
	p->msix_cap = 0;
	if ((rc = cfg_rd(p, 0x00, 4, &id)) < 0 || (rc = cfg_rd(p, 0x08, 1, &rev)) < 0)
		return rc;
	if ((id & 0xffff) != VENDOR_VIRTIO || (id >> 16) < DEVICE_MODERN ||
	    (id >> 16) > DEVICE_MODERN + 0x3f || rev < 1)
		return -ENODEV;
	*device_id = (id >> 16) - DEVICE_MODERN;
	if ((rc = place_bar(p)) < 0 || (rc = walk_caps(p)) < 0)
		return rc;
	return p->msix ? setup_msix(p) : no_msix(p);
}

static int pci_get_status(void *t, uint8_t *status)
{
	struct ioreqd_vguest_pci *p = t;
	uint64_t v = 0;
	int rc = rd(p, p->common + C_STATUS, 1, &v);

	*status = (uint8_t)v;
	return rc;
}

static int pci_set_status(void *t, uint8_t status)
{
	struct ioreqd_vguest_pci *p = t;

	return wr(p, p->common + C_STATUS, 1, status);
}

static int pci_get_features(void *t, uint64_t *features)
{
	struct ioreqd_vguest_pci *p = t;
	uint64_t lo = 0, hi = 0;
	int rc;

	if ((rc = wr(p, p->common + C_DFSELECT, 4, 0)) < 0 ||
	    (rc = rd(p, p->common + C_DF, 4, &lo)) < 0 ||
	    (rc = wr(p, p->common + C_DFSELECT, 4, 1)) < 0 ||
	    (rc = rd(p, p->common + C_DF, 4, &hi)) < 0)
		return rc;
	*features = hi << 32 | (uint32_t)lo;
	return 0;
}

static int pci_set_features(void *t, uint64_t features)
{
	struct ioreqd_vguest_pci *p = t;
	int rc;

	if ((rc = wr(p, p->common + C_GFSELECT, 4, 0)) < 0 ||
	    (rc = wr(p, p->common + C_GF, 4, (uint32_t)features)) < 0 ||
	    (rc = wr(p, p->common + C_GFSELECT, 4, 1)) < 0)
		return rc;
	return wr(p, p->common + C_GF, 4, features >> 32);
}

static int pci_queue_max(void *t, unsigned q, uint32_t *max)
{
	struct ioreqd_vguest_pci *p = t;
	uint64_t v = 0;
	int rc;

	if ((rc = wr(p, p->common + C_QSELECT, 2, q)) < 0 ||
	    (rc = rd(p, p->common + C_QSIZE, 2, &v)) < 0)
		return rc;
	*max = (uint32_t)v;
	return 0;
}

/* A 64-bit field as two dwords, low first, as Linux writes them. */
static int wr64(struct ioreqd_vguest_pci *p, uint64_t gpa, uint64_t v)
{
	int rc = wr(p, gpa, 4, (uint32_t)v);

	return rc < 0 ? rc : wr(p, gpa + 4, 4, v >> 32);
}

static int set_vector(struct ioreqd_vguest_pci *p, uint32_t field, unsigned vec)
{
	uint64_t back = 0;
	int rc;

	if ((rc = wr(p, p->common + field, 2, vec)) < 0 ||
	    (rc = rd(p, p->common + field, 2, &back)) < 0)
		return rc;
	/* The device answers NO_VECTOR when it cannot use the vector. */
	return back == vec ? 0 : -EIO;
}

static int pci_queue_setup(void *t, unsigned q, uint32_t size, uint64_t desc,
                           uint64_t avail, uint64_t used)
{
	struct ioreqd_vguest_pci *p = t;
	int rc;

	if (p->msix && q == 0 && (rc = set_vector(p, C_MSIX, 0)) < 0)
		return rc;
	if ((rc = wr(p, p->common + C_QSELECT, 2, q)) < 0 ||
	    (rc = wr(p, p->common + C_QSIZE, 2, size)) < 0 ||
	    (p->msix && (rc = set_vector(p, C_QMSIX, q + 1)) < 0) ||
	    (rc = wr64(p, p->common + C_QDESC, desc)) < 0 ||
	    (rc = wr64(p, p->common + C_QDRIVER, avail)) < 0 ||
	    (rc = wr64(p, p->common + C_QDEVICE, used)) < 0)
		return rc;
	return wr(p, p->common + C_QENABLE, 2, 1);
}

static int pci_queue_ready(void *t, unsigned q, bool *ready)
{
	struct ioreqd_vguest_pci *p = t;
	uint64_t v = 0;
	int rc = wr(p, p->common + C_QSELECT, 2, q);

	if (rc == 0)
		rc = rd(p, p->common + C_QENABLE, 2, &v);
	*ready = v == 1;
	return rc;
}

static int pci_notify(void *t, unsigned q)
{
	struct ioreqd_vguest_pci *p = t;
	uint64_t noff = 0;
	int rc;

	if ((rc = wr(p, p->common + C_QSELECT, 2, q)) < 0 ||
	    (rc = rd(p, p->common + C_QNOFF, 2, &noff)) < 0)
		return rc;
	return wr(p, p->notify + noff * p->notify_mult, 2, q);
}

static int pci_ack_interrupt(void *t, uint32_t *isr)
{
	struct ioreqd_vguest_pci *p = t;
	uint64_t v = 0;
	int rc = rd(p, p->isr, 1, &v); /* the read clears it */

	*isr = (uint32_t)v;
	return rc;
}

static int pci_config_read(void *t, uint32_t off, unsigned len, uint64_t *val)
{
	struct ioreqd_vguest_pci *p = t;

	return p->device ? rd(p, p->device + off, len, val) : -ENODEV;
}

static int pci_config_write(void *t, uint32_t off, unsigned len, uint64_t val)
{
	struct ioreqd_vguest_pci *p = t;

	return p->device ? wr(p, p->device + off, len, val) : -ENODEV;
}

static int pci_config_generation(void *t, uint32_t *gen)
{
	struct ioreqd_vguest_pci *p = t;
	uint64_t v = 0;
	int rc = rd(p, p->common + C_GEN, 1, &v);

	*gen = (uint32_t)v;
	return rc;
}

const struct ioreqd_vguest_transport_ops ioreqd_vguest_pci_ops = {
    .probe = pci_probe,
    .get_status = pci_get_status,
    .set_status = pci_set_status,
    .get_features = pci_get_features,
    .set_features = pci_set_features,
    .queue_max = pci_queue_max,
    .queue_setup = pci_queue_setup,
    .queue_ready = pci_queue_ready,
    .notify = pci_notify,
    .ack_interrupt = pci_ack_interrupt,
    .config_read = pci_config_read,
    .config_write = pci_config_write,
    .config_generation = pci_config_generation,
};
