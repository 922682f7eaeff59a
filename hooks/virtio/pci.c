/* SPDX-License-Identifier: MIT */
/*
 * The virtio-pci transport, modern only (virtio 1.2, 4.1): a PCI function at
 * the device's `pci = [SSSS:]BB:DD.F` with a type-0 header (vendor 0x1af4,
 * device 0x1040 + the virtio device ID, revision 1), an MSI-X capability and
 * the five virtio vendor capabilities, all pointing into BAR0/1, one 64-bit
 * non-prefetchable memory BAR of PCI_BAR_SIZE bytes:
 *
 *   0x0000 common configuration (0x38 bytes)     0x3000 notify (4 bytes a queue)
 *   0x1000 ISR status (1 byte, read clears)       0x4000 MSI-X table (16 a vector)
 *   0x2000 device configuration                   0x5000 MSI-X PBA
 *
 * The BAR follows the guest as testdev's does: claimed with host->range_map
 * while memory decoding is on and it holds an address (not the all-ones size
 * probe), released or moved with range_unmap; the log speaks only when it
 * lands somewhere new.  A BAR placed over another device's range stays
 * unmapped, with a rate-limited line saying so.
 *
 * Interrupts: with MSI-X enabled, queue and config events go to their
 * vectors with host->inject_msi (a masked vector, or the function mask, sets
 * the pending bit instead, delivered on unmask; VIRTIO_MSI_NO_VECTOR means no
 * interrupt; Xen's pirq messages ignore the masks, see xen_pirq_message).  Without it,
 * INTx A is a level held with host->pci_intx_set_level while the ISR is non-zero (and the
 * command register's INTx disable is clear); reading the ISR clears it and lowers the
 * line.
 *
 * Every access is checked: config space takes 1, 2 or 4 bytes within a
 * dword; the common configuration takes each field at its own width (64-bit
 * fields also as two dwords); the MSI-X table takes aligned dwords or
 * qwords.  Anything else is counted, logged at a rate limit and answered as
 * an unclaimed access is (reads all-ones, writes dropped).
 *
 * Saving and loading the transport's state is in pci-state.c; struct vpci,
 * which both files use, is in pci-internal.h.
 */
#include "pci-internal.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCI_VENDOR_VIRTIO 0x1af4u
#define PCI_DEVICE_MODERN 0x1040u

/* Capabilities, in the order of the list. */
#define CAP_MSIX 0x40    /* 12 bytes */
#define CAP_COMMON 0x50  /* 16 */
#define CAP_NOTIFY 0x60  /* 20 */
#define CAP_ISR 0x74     /* 16 */
#define CAP_DEVICE 0x84  /* 16 */
#define CAP_PCI_CFG 0x94 /* 20 */
#define MSIX_CTRL (CAP_MSIX + 2)
#define MSIX_ENABLE 0x8000u
#define MSIX_FMASK 0x4000u
#define PCI_CFG_BAR (CAP_PCI_CFG + 4)
#define PCI_CFG_OFF (CAP_PCI_CFG + 8)
#define PCI_CFG_LEN (CAP_PCI_CFG + 12)
#define PCI_CFG_DATA (CAP_PCI_CFG + 16)

/* virtio_pci_cap.cfg_type */
enum {
	VCAP_COMMON = 1,
	VCAP_NOTIFY = 2,
	VCAP_ISR = 3,
	VCAP_DEVICE = 4,
	VCAP_PCI_CFG = 5
};

/* Regions of the BAR. */
#define BAR_COMMON 0x0000u
#define COMMON_LEN 0x38u
#define BAR_ISR 0x1000u
#define BAR_DEVICE 0x2000u
#define BAR_NOTIFY 0x3000u
#define NOTIFY_MULT 4u
#define BAR_TABLE 0x4000u
#define BAR_PBA 0x5000u
#define REGION 0x1000u

/* Common configuration fields (virtio 1.2, 4.1.4.3). */
enum {
	C_DFSELECT = 0x00,
	C_DF = 0x04,
	C_GFSELECT = 0x08,
	C_GF = 0x0c,
	C_MSIX = 0x10,
	C_NUMQ = 0x12,
	C_STATUS = 0x14,
	C_GEN = 0x15,
	C_QSELECT = 0x16,
	C_QSIZE = 0x18,
	C_QMSIX = 0x1a,
	C_QENABLE = 0x1c,
	C_QNOFF = 0x1e,
	C_QDESC = 0x20,
	C_QDRIVER = 0x28,
	C_QDEVICE = 0x30,
};

static void bad(struct vpci *p, const char *where, bool is_read, unsigned size,
                uint64_t off, const char *why)
{
	p->bad_access++;
	p->v->host->log_rl(p->v->dev, IOREQD_LOG_WARN,
	                   "virtio-pci: %s %s of %u bytes at +0x%" PRIx64 ": %s", where,
	                   is_read ? "read" : "write", size, off, why);
}

/* ---- interrupts --------------------------------------------------------- */

static bool msix_enabled(const struct vpci *p)
{
	return get16(&p->cfg[MSIX_CTRL]) & MSIX_ENABLE;
}

/* Hold INTx A at what the ISR, MSI-X and the command register say. */
void vpci_intx_update(struct vpci *p)
{
	unsigned level = p->isr && !msix_enabled(p);
	uint16_t status = get16(&p->cfg[CFG_STATUS]);

	/* The status bit shows the condition even while INTx is disabled. */
	put16(&p->cfg[CFG_STATUS],
	      (uint16_t)(level ? status | STATUS_INTX : status & ~STATUS_INTX));
	if (get16(&p->cfg[CFG_COMMAND]) & CMD_INTX_DISABLE)
		level = 0;
	if (level == p->intx_level)
		return;
	p->intx_level = level;
	if (p->v->host->pci_intx_set_level(p->v->dev, p->sbdf, 0, level) < 0)
		p->irq_errors++;
}

/*
 * A message Xen turns into an event channel: vector 0 in the data and a
 * pirq in the address (Xen's hvm_inject_msi).  A Linux HVM guest on Xen
 * routes its MSIs that way, masks them at the event channel and never
 * touches the table's mask bits (pci_msi_ignore_mask), which stay masked
 * from reset; QEMU therefore ignores the masks for such a message
 * (hw/pci/msix.c), and so does this transport.  Vector 0 is no interrupt
 * anywhere else (vectors 0-15 are reserved).
 */
static bool xen_pirq_message(const struct msix_entry *e)
{
	uint64_t pirq = ((e->addr >> 32) & 0xffffff00u) | ((e->addr >> 12) & 0xffu);

	return (e->data & 0xffu) == 0 && pirq != 0;
}

static bool vector_masked(const struct vpci *p, unsigned vec)
{
	if (xen_pirq_message(&p->table[vec]))
		return false;
	return (get16(&p->cfg[MSIX_CTRL]) & MSIX_FMASK) || (p->table[vec].ctrl & 1);
}

static void msix_send(struct vpci *p, unsigned vec)
{
	if (vector_masked(p, vec)) {
		p->msi_pended++;
		p->pba[vec / 64] |= 1ull << (vec % 64);
		return;
	}
	p->msi_sent++;
	if (p->v->host->inject_msi(p->v->dev, p->table[vec].addr, p->table[vec].data) < 0)
		p->irq_errors++;
}

/* A mask was lifted: deliver what waited. */
static void msix_flush(struct vpci *p)
{
	if (!msix_enabled(p))
		return;
	for (unsigned vec = 0; vec < p->nr_vectors; vec++) {
		if (!(p->pba[vec / 64] & (1ull << (vec % 64))) || vector_masked(p, vec))
			continue;
		p->pba[vec / 64] &= ~(1ull << (vec % 64));
		msix_send(p, vec);
	}
}

static int raise_event(struct vpci *p, uint8_t isr_bit, uint16_t vector)
{
	if (msix_enabled(p)) {
		/* The config bit is set in either mode (virtio 1.2, 4.1.4.5). */
		if (isr_bit == ISR_CONFIG)
			p->isr |= isr_bit;
		if (vector != NO_VECTOR && vector < p->nr_vectors)
			msix_send(p, vector);
		return 0;
	}
	p->isr |= isr_bit;
	vpci_intx_update(p);
	return 0;
}

static int vpci_vring_interrupt(void *opaque, unsigned qidx)
{
	struct vpci *p = opaque;

	if (qidx >= p->nr_queues)
		return -EINVAL;
	return raise_event(p, ISR_VRING, p->q[qidx].vector);
}

static int vpci_config_interrupt(void *opaque)
{
	struct vpci *p = opaque;

	return raise_event(p, ISR_CONFIG, p->config_vector);
}

static void vpci_core_log(void *opaque, int level, const char *msg)
{
	struct vpci *p = opaque;

	vdev_log(p->v, level, msg);
}

static const struct ioreqd_virtio_transport_ops vpci_tr_ops = {
    .vring_interrupt = vpci_vring_interrupt,
    .config_interrupt = vpci_config_interrupt,
    .log = vpci_core_log,
};

/* ---- the BAR: common configuration ------------------------------------- */

/* The driver wrote 0 to device_status: the transport's state goes too. */
static void vpci_reset(struct vpci *p)
{
	p->dfselect = p->gfselect = 0;
	p->drv_features = 0;
	p->config_vector = NO_VECTOR;
	p->qselect = 0;
	for (unsigned i = 0; i < p->nr_queues; i++) {
		ioreqd_virtq_t *q = ioreqd_virtio_queue(p->v->vdev, i);

		p->q[i] = (struct pci_queue){
		    .size = (uint16_t)(q ? ioreqd_virtq_max_size(q) : 0),
		    .vector = NO_VECTOR,
		};
	}
	p->isr = 0;
	vpci_intx_update(p);
}

/* The width of the common configuration field at @p off (0: none starts there). */
static unsigned common_width(uint32_t off)
{
	switch (off) {
	case C_DFSELECT:
	case C_DF:
	case C_GFSELECT:
	case C_GF:
		return 4;
	case C_MSIX:
	case C_NUMQ:
	case C_QSELECT:
	case C_QSIZE:
	case C_QMSIX:
	case C_QENABLE:
	case C_QNOFF:
		return 2;
	case C_STATUS:
	case C_GEN:
		return 1;
	case C_QDESC:
	case C_QDRIVER:
	case C_QDEVICE:
		return 8;
	default:
		return 0;
	}
}

static ioreqd_virtq_t *sel_queue(struct vpci *p, struct pci_queue **pq)
{
	ioreqd_virtq_t *q = p->qselect < p->nr_queues
	                        ? ioreqd_virtio_queue(p->v->vdev, p->qselect)
	                        : NULL;

	*pq = q ? &p->q[p->qselect] : NULL;
	return q;
}

static uint64_t *queue_addr(struct pci_queue *pq, uint32_t field)
{
	return field == C_QDESC     ? &pq->desc
	       : field == C_QDRIVER ? &pq->driver
	                            : &pq->device;
}

static uint64_t common_read(struct vpci *p, uint32_t field, unsigned shift)
{
	ioreqd_virtio_dev_t *d = p->v->vdev;
	struct pci_queue *pq;
	ioreqd_virtq_t *q = sel_queue(p, &pq);

	switch (field) {
	case C_DFSELECT:
		return p->dfselect;
	case C_DF:
		return p->dfselect > 1 ? 0
		                       : (uint32_t)(ioreqd_virtio_device_features(d) >>
		                                    (32 * p->dfselect));
	case C_GFSELECT:
		return p->gfselect;
	case C_GF:
		return p->gfselect > 1
		           ? 0
		           : (uint32_t)(p->drv_features >> (32 * p->gfselect));
	case C_MSIX:
		return p->config_vector;
	case C_NUMQ:
		return p->nr_queues;
	case C_STATUS:
		return ioreqd_virtio_status(d);
	case C_GEN:
		return (uint8_t)ioreqd_virtio_config_generation(d);
	case C_QSELECT:
		return p->qselect;
	case C_QSIZE:
		/* A queue that does not exist reads size 0 (virtio 1.2, 4.1.4.3.2). */
		return pq ? pq->size : 0;
	case C_QMSIX:
		return pq ? pq->vector : NO_VECTOR;
	case C_QENABLE:
		return q ? ioreqd_virtq_ready(q) : 0;
	case C_QNOFF:
		return pq ? p->qselect : 0;
	default:
		return pq ? *queue_addr(pq, field) >> shift : 0;
	}
}

static void queue_enable(struct vpci *p, ioreqd_virtq_t *q, struct pci_queue *pq)
{
	struct ioreqd_virtq_layout l = {
	    .size = pq->size,
	    .desc = pq->desc,
	    .avail = pq->driver,
	    .used = pq->device,
	};

	if (ioreqd_virtq_ready(q))
		return;
	/* The core validates, logs and counts; a refused queue reads back 0. */
	if (ioreqd_virtq_enable(q, &l) == 0)
		vdev_state_changed(p->v);
}

/* @return NULL, or why the write is refused. */
static const char *common_write(struct vpci *p, uint32_t field, unsigned shift,
                                unsigned size, uint64_t val)
{
	ioreqd_virtio_dev_t *d = p->v->vdev;
	struct pci_queue *pq;
	ioreqd_virtq_t *q = sel_queue(p, &pq);

	switch (field) {
	case C_DFSELECT:
		p->dfselect = (uint32_t)val;
		return NULL;
	case C_GFSELECT:
		p->gfselect = (uint32_t)val;
		return NULL;
	case C_GF:
		/* Features above bit 63 do not exist: ignore those selectors. */
		if (p->gfselect <= 1) {
			uint64_t mask = 0xffffffffull << (32 * p->gfselect);

			p->drv_features =
			    (p->drv_features & ~mask) | (val << (32 * p->gfselect));
			ioreqd_virtio_set_driver_features(d, p->drv_features);
		}
		return NULL;
	case C_MSIX:
		/* A vector the table does not have reads back as no vector. */
		p->config_vector = val < p->nr_vectors ? (uint16_t)val : NO_VECTOR;
		return NULL;
	case C_STATUS: {
		uint8_t old = ioreqd_virtio_status(d);

		ioreqd_virtio_set_status(d, (uint8_t)val);
		if (val == 0)
			vpci_reset(p);
		if (ioreqd_virtio_status(d) != old)
			vdev_state_changed(p->v);
		return NULL;
	}
	case C_QSELECT:
		p->qselect = (uint16_t)val;
		return NULL;
	case C_DF:
	case C_NUMQ:
	case C_GEN:
	case C_QNOFF:
		return "read-only field";
	default:
		break;
	}
	if (!pq)
		return "no such queue selected";
	if (field == C_QMSIX) {
		pq->vector = val < p->nr_vectors ? (uint16_t)val : NO_VECTOR;
		return NULL;
	}
	if (field == C_QENABLE) {
		/* Without RING_RESET only 1 may be written (virtio 1.2, 4.1.4.3.2). */
		if (val != 1)
			return "queue_enable takes only 1";
		queue_enable(p, q, pq);
		return NULL;
	}
	/* The layout of an enabled queue is fixed until reset. */
	if (ioreqd_virtq_ready(q))
		return "queue already enabled";
	if (field == C_QSIZE) {
		pq->size = (uint16_t)val;
		return NULL;
	}
	{
		uint64_t *a = queue_addr(pq, field);
		uint64_t mask = size == 8 ? UINT64_MAX : 0xffffffffull << shift;

		*a = (*a & ~mask) | ((val << shift) & mask);
	}
	return NULL;
}

static bool common_access(struct vpci *p, uint32_t off, unsigned size, bool is_read,
                          uint64_t *val, const char *where)
{
	uint32_t field = off;
	unsigned shift = 0, width = common_width(off);
	const char *why;

	/* The high dword of a 64-bit field. */
	if (!width && off >= C_QDESC && (off & 7) == 4 && off < COMMON_LEN) {
		field = off - 4;
		width = 8;
		shift = 32;
	}
	if (!width) {
		bad(p, where, is_read, size, off, "no common configuration field here");
		return false;
	}
	if (size != width && !(width == 8 && size == 4)) {
		bad(p, where, is_read, size, off, "wrong size for this field");
		return false;
	}
	if (shift && size != 4) {
		bad(p, where, is_read, size, off, "wrong size for this field");
		return false;
	}
	if (is_read) {
		*val = common_read(p, field, shift);
		if (size < 8)
			*val &= (1ull << (8 * size)) - 1;
		return true;
	}
	why = common_write(p, field, shift, size, *val);
	if (why) {
		bad(p, where, is_read, size, off, why);
		return false;
	}
	return true;
}

/* ---- the BAR: the other regions ----------------------------------------- */

static bool table_access(struct vpci *p, uint32_t off, unsigned size, bool is_read,
                         uint64_t *val, const char *where)
{
	unsigned vec = off / 16, reg = off % 16;
	struct msix_entry *e;
	bool was_masked;

	if (vec >= p->nr_vectors || (size != 4 && size != 8) || (off & (size - 1)) ||
	    (size == 8 && reg >= 8)) {
		bad(p, where, is_read, size, off, "MSI-X table takes aligned dwords");
		return false;
	}
	e = &p->table[vec];
	if (is_read) {
		uint64_t v = 0;

		switch (reg) {
		case 0:
			v = size == 8 ? e->addr : (uint32_t)e->addr;
			break;
		case 4:
			v = e->addr >> 32;
			break;
		case 8:
			v = e->data;
			break;
		default:
			v = e->ctrl;
			break;
		}
		*val = v;
		return true;
	}
	was_masked = e->ctrl & 1;
	switch (reg) {
	case 0:
		if (size == 8)
			e->addr = *val & ~3ull;
		else
			e->addr = (e->addr & ~0xffffffffull) | (*val & 0xfffffffcull);
		break;
	case 4:
		e->addr = (e->addr & 0xffffffffull) | *val << 32;
		break;
	case 8:
		e->data = (uint32_t)*val;
		break;
	default:
		e->ctrl = (uint32_t)*val & 1;
		if (was_masked && !(e->ctrl & 1))
			msix_flush(p);
		break;
	}
	return true;
}

static bool bar_access(struct vpci *p, uint32_t off, unsigned size, bool is_read,
                       uint64_t *val, const char *where)
{
	uint32_t region = off & ~(REGION - 1), roff = off & (REGION - 1);

	if (size != 1 && size != 2 && size != 4 && size != 8) {
		bad(p, where, is_read, size, off, "bad access size");
		return false;
	}
	switch (region) {
	case BAR_COMMON:
		if (roff + size > COMMON_LEN)
			break;
		return common_access(p, roff, size, is_read, val, where);
	case BAR_ISR:
		if (roff != 0 || size != 1)
			break;
		if (!is_read) {
			bad(p, where, is_read, size, off, "the ISR is read-only");
			return false;
		}
		*val = p->isr;
		p->isr = 0;
		vpci_intx_update(p);
		return true;
	case BAR_DEVICE: {
		uint8_t buf[8] = {0};

		if (is_read) {
			if (ioreqd_virtio_config_read(p->v->vdev, roff, buf, size) < 0)
				break;
			*val = ioreqd_le_get(buf, size);
			return true;
		}
		ioreqd_le_put(buf, *val, size);
		/* The core counts refusals; the write is dropped. */
		if (ioreqd_virtio_config_write(p->v->vdev, roff, buf, size) < 0) {
			bad(p, where, is_read, size, off, "config write refused");
			return false;
		}
		return true;
	}
	case BAR_NOTIFY:
		if (roff % NOTIFY_MULT || roff / NOTIFY_MULT >= p->nr_queues ||
		    size != 2 || is_read) {
			bad(p, where, is_read, size, off,
			    "notify takes 16-bit writes of a queue");
			return false;
		}
		/* The queue is the one whose notify_off this is; the data is its index.
		 */
		vdev_queue_notify(p->v, roff / NOTIFY_MULT);
		return true;
	case BAR_TABLE:
		return table_access(p, roff, size, is_read, val, where);
	case BAR_PBA:
		if (roff + size > 8 * ((p->nr_vectors + 63) / 64) ||
		    (roff & (size - 1)) || size < 4)
			break;
		if (!is_read) {
			bad(p, where, is_read, size, off, "the PBA is read-only");
			return false;
		}
		*val = p->pba[roff / 8] >> (8 * (roff % 8));
		if (size < 8)
			*val &= 0xffffffffull;
		return true;
	default:
		break;
	}
	bad(p, where, is_read, size, off, "no register here");
	return false;
}

/* ---- config space ------------------------------------------------------- */

uint64_t vpci_bar_address(const struct vpci *p)
{
	return ((uint64_t)get32(&p->cfg[CFG_BAR1]) << 32) |
	       (get32(&p->cfg[CFG_BAR0]) & ~0xfu);
}

/* Should the BAR be claimed: decoding on, and an address rather than a probe? */
bool vpci_bar_wanted(const struct vpci *p)
{
	uint64_t bar = vpci_bar_address(p);
	bool probing = (uint32_t)bar == (uint32_t) ~(PCI_BAR_SIZE - 1) ||
	               get32(&p->cfg[CFG_BAR1]) == 0xffffffffu;

	return (get16(&p->cfg[CFG_COMMAND]) & CMD_MEM) && bar && !probing &&
	       bar <= UINT64_MAX - (PCI_BAR_SIZE - 1);
}

/* Claim or release the BAR so it sits where BAR0/1 and the command say. */
void vpci_update_bar(struct vpci *p)
{
	const struct ioreqd_host *host = p->v->host;
	uint64_t bar = vpci_bar_address(p);
	bool want = vpci_bar_wanted(p);
	int rc;

	if (p->mapped && (!want || p->map_base != bar)) {
		rc = host->range_unmap(p->v->dev, IOREQD_SPACE_MMIO, p->map_base,
		                       p->map_base + PCI_BAR_SIZE - 1);
		if (rc < 0)
			host->log_rl(p->v->dev, IOREQD_LOG_WARN,
			             "virtio-pci: unmap BAR0 at 0x%" PRIx64 ": %s",
			             p->map_base, strerror(-rc));
		p->mapped = false;
	}
	if (!want || p->mapped)
		return;
	rc = host->range_map(p->v->dev, IOREQD_SPACE_MMIO, bar, bar + PCI_BAR_SIZE - 1);
	if (rc < 0) {
		/* Say it once per place, not once per decode toggle. */
		if (bar != p->refused_base)
			host->log_rl(p->v->dev, IOREQD_LOG_WARN,
			             "virtio-pci: the guest put BAR0 at 0x%" PRIx64
			             "-0x%" PRIx64 ", %s; it stays unmapped until moved",
			             bar, bar + PCI_BAR_SIZE - 1,
			             rc == -EEXIST ? "over another device's range"
			                           : strerror(-rc));
		p->refused_base = bar;
		p->bar_refused++;
		return;
	}
	p->mapped = true;
	p->map_base = bar;
	p->refused_base = 0;
	if (bar != p->told_base)
		vdev_state_changed(p->v);
	/*
	 * Linux turns memory decoding off and on around sizing every BAR,
	 * which remaps the window where it was: only a move is news.
	 */
	if (bar != p->told_base)
		host->log_rl(p->v->dev, IOREQD_LOG_INFO, "virtio-pci: BAR0 at 0x%" PRIx64,
		             bar);
	p->told_base = bar;
}

/* The driver wrote pci_cfg_data: forward it to the BAR at the window. */
static bool pci_cfg_window(struct vpci *p, bool is_read, uint64_t *val)
{
	uint32_t off = get32(&p->cfg[PCI_CFG_OFF]), len = get32(&p->cfg[PCI_CFG_LEN]);

	if (p->cfg[PCI_CFG_BAR] != 0 || (len != 1 && len != 2 && len != 4) ||
	    off >= PCI_BAR_SIZE || off & (len - 1)) {
		bad(p, "pci_cfg window", is_read, len, off, "bad bar, offset or length");
		return false;
	}
	return bar_access(p, off, len, is_read, val, "pci_cfg window");
}

static enum ioreqd_fault_result cfg_access(struct vpci *p, ioreqd_fault_t *f)
{
	uint64_t off = ioreqd_fault_offset(f), v = 0;
	unsigned size = ioreqd_fault_size(f);
	bool is_read = ioreqd_fault_is_read(f);
	bool touches_bar = false, touches_cmd = false, touches_msix = false;
	uint16_t old_ctrl = get16(&p->cfg[MSIX_CTRL]);

	if ((size != 1 && size != 2 && size != 4) || (off & 3) + size > 4) {
		bad(p, "config space", is_read, size, off,
		    "not 1, 2 or 4 bytes within a dword");
		return IOREQD_FAULT_ERROR;
	}
	if (off >= PCI_CFG_SIZE) {
		/* No extended capabilities: reads 0 end the walk; writes are dropped. */
		if (is_read)
			ioreqd_fault_set_data(f, 0);
		return IOREQD_FAULT_HANDLED;
	}
	if (off >= PCI_CFG_DATA && off < PCI_CFG_DATA + 4) {
		uint32_t len = get32(&p->cfg[PCI_CFG_LEN]);

		if (off != PCI_CFG_DATA || size < len) {
			bad(p, "config space", is_read, size, off,
			    "pci_cfg_data must be accessed whole at its length");
			return IOREQD_FAULT_ERROR;
		}
		v = ioreqd_fault_data(f);
		if (!pci_cfg_window(p, is_read, &v))
			return IOREQD_FAULT_ERROR;
		if (is_read)
			ioreqd_fault_set_data(f, v);
		return IOREQD_FAULT_HANDLED;
	}
	if (is_read) {
		for (unsigned i = size; i-- > 0;)
			v = (v << 8) | p->cfg[off + i];
		ioreqd_fault_set_data(f, v);
		return IOREQD_FAULT_HANDLED;
	}
	v = ioreqd_fault_data(f);
	for (unsigned i = 0; i < size; i++) {
		uint64_t o = off + i;
		uint8_t m = p->wmask[o];

		p->cfg[o] = (uint8_t)((p->cfg[o] & ~m) | ((uint8_t)(v >> (8 * i)) & m));
		touches_bar |= o >= CFG_BAR0 && o < CFG_BAR1 + 4;
		touches_cmd |= o == CFG_COMMAND || o == CFG_COMMAND + 1;
		touches_msix |= o == MSIX_CTRL + 1;
	}
	if (touches_bar) /* bits 3:0 say "64-bit memory", the rest is the size */
		put32(&p->cfg[CFG_BAR0],
		      (get32(&p->cfg[CFG_BAR0]) & ~(PCI_BAR_SIZE - 1)) | 0x4);
	if (touches_bar || touches_cmd)
		vpci_update_bar(p);
	if (touches_msix || touches_cmd) {
		uint16_t ctrl = get16(&p->cfg[MSIX_CTRL]);

		vpci_intx_update(p);
		if ((old_ctrl & MSIX_FMASK) && !(ctrl & MSIX_FMASK))
			msix_flush(p);
		else if (!(old_ctrl & MSIX_ENABLE) && (ctrl & MSIX_ENABLE))
			msix_flush(p);
	}
	return IOREQD_FAULT_HANDLED;
}

static enum ioreqd_fault_result vpci_access(ioreqd_fault_t *f, void *tstate)
{
	struct vpci *p = tstate;
	uint64_t off = ioreqd_fault_offset(f), v;
	unsigned size = ioreqd_fault_size(f);
	bool is_read = ioreqd_fault_is_read(f);

	if (ioreqd_fault_space(f) == IOREQD_SPACE_PCI)
		return cfg_access(p, f);
	/* The BAR: the only MMIO range this device ever claims. */
	if (off >= PCI_BAR_SIZE) {
		bad(p, "BAR0", is_read, size, off, "outside the BAR");
		return IOREQD_FAULT_ERROR;
	}
	v = is_read ? 0 : ioreqd_fault_data(f);
	if (!bar_access(p, (uint32_t)off, size, is_read, &v, "BAR0"))
		return IOREQD_FAULT_ERROR;
	if (is_read)
		ioreqd_fault_set_data(f, v);
	return IOREQD_FAULT_HANDLED;
}

/* ---- set-up -------------------------------------------------------------- */

static uint32_t class_of(uint32_t device_id)
{
	switch (device_id) {
	case 2: /* block: mass storage, other */
		return 0x018000;
	case 3: /* console: simple communication, other */
		return 0x078000;
	default: /* rng and the rest: unassigned class, as the spec's examples */
		return 0x00ff00;
	}
}

static void vendor_cap(struct vpci *p, unsigned at, unsigned next, unsigned len,
                       unsigned type, uint32_t offset, uint32_t length)
{
	p->cfg[at] = 0x09; /* vendor-specific */
	p->cfg[at + 1] = (uint8_t)next;
	p->cfg[at + 2] = (uint8_t)len;
	p->cfg[at + 3] = (uint8_t)type;
	p->cfg[at + 4] = 0; /* BAR0 */
	put32(&p->cfg[at + 8], offset);
	put32(&p->cfg[at + 12], length);
}

static void build_header(struct vpci *p)
{
	uint32_t id = p->v->params.device_id;
	unsigned dev_next = p->v->params.config_size ? CAP_DEVICE : CAP_PCI_CFG;

	put16(&p->cfg[0x00], PCI_VENDOR_VIRTIO);
	put16(&p->cfg[0x02], (uint16_t)(PCI_DEVICE_MODERN + id));
	put16(&p->cfg[CFG_STATUS], STATUS_CAP_LIST);
	put32(&p->cfg[0x08], class_of(id) << 8 | 1); /* revision 1: modern only */
	put32(&p->cfg[CFG_BAR0], 0x4);               /* 64-bit memory, not prefetchable */
	put16(&p->cfg[CFG_SUBSYS], PCI_VENDOR_VIRTIO);
	put16(&p->cfg[CFG_SUBSYS + 2], (uint16_t)(0x40 + id));
	p->cfg[CFG_CAP_PTR] = CAP_MSIX;
	p->cfg[CFG_INT_LINE] = 0xff;
	p->cfg[CFG_INT_PIN] = 1; /* INTA */

	p->cfg[CAP_MSIX] = 0x11;
	p->cfg[CAP_MSIX + 1] = CAP_COMMON;
	put16(&p->cfg[MSIX_CTRL], (uint16_t)(p->nr_vectors - 1));
	put32(&p->cfg[CAP_MSIX + 4], BAR_TABLE); /* BIR 0 */
	put32(&p->cfg[CAP_MSIX + 8], BAR_PBA);

	vendor_cap(p, CAP_COMMON, CAP_NOTIFY, 16, VCAP_COMMON, BAR_COMMON, COMMON_LEN);
	vendor_cap(p, CAP_NOTIFY, CAP_ISR, 20, VCAP_NOTIFY, BAR_NOTIFY,
	           p->nr_queues * NOTIFY_MULT);
	put32(&p->cfg[CAP_NOTIFY + 16], NOTIFY_MULT);
	vendor_cap(p, CAP_ISR, dev_next, 16, VCAP_ISR, BAR_ISR, 1);
	if (p->v->params.config_size)
		vendor_cap(p, CAP_DEVICE, CAP_PCI_CFG, 16, VCAP_DEVICE, BAR_DEVICE,
		           p->v->params.config_size);
	vendor_cap(p, CAP_PCI_CFG, 0, 20, VCAP_PCI_CFG, 0, 0);

	put16(&p->wmask[CFG_COMMAND], CMD_MEM | CMD_MASTER | CMD_INTX_DISABLE);
	put32(&p->wmask[CFG_BAR0], ~(PCI_BAR_SIZE - 1));
	put32(&p->wmask[CFG_BAR1], 0xffffffffu);
	p->wmask[CFG_INT_LINE] = 0xff; /* scratch for firmware */
	put16(&p->wmask[MSIX_CTRL], MSIX_ENABLE | MSIX_FMASK);
	p->wmask[PCI_CFG_BAR] = 0xff;
	put32(&p->wmask[PCI_CFG_OFF], 0xffffffffu);
	put32(&p->wmask[PCI_CFG_LEN], 0xffffffffu);
}

static void vpci_fini(void *tstate)
{
	struct vpci *p = tstate;

	if (!p)
		return;
	/* Leave the guest's line low. */
	if (p->intx_level)
		p->v->host->pci_intx_set_level(p->v->dev, p->sbdf, 0, 0);
	free(p->table);
	free(p->q);
	free(p);
}

static void vpci_stats(void *tstate, ioreqd_stats_emit_fn emit, void *ctx)
{
	struct vpci *p = tstate;

	emit(ctx, "transport", "bad_access", p->bad_access);
	emit(ctx, "transport", "irq_errors", p->irq_errors);
	emit(ctx, "transport", "msi_sent", p->msi_sent);
	emit(ctx, "transport", "msi_pended", p->msi_pended);
	emit(ctx, "transport", "bar_refused", p->bar_refused);
	emit(ctx, "transport", "isr", p->isr);
	emit(ctx, "transport", "intx_level", p->intx_level);
}

static int vpci_init(struct vdev *v, void **tstate)
{
	const struct ioreqd_host *host = v->host;
	enum ioreqd_space space = IOREQD_SPACE_PIO;
	uint64_t base = 0, last;
	struct vpci *p;
	int rc;

	*tstate = NULL;
	if (host->range_get(v->dev, 0, &space, &base, &last) < 0 ||
	    space != IOREQD_SPACE_PCI ||
	    host->range_get(v->dev, 1, &space, &base, &last) == 0)
		return host->cfg_error(
		    v->dev, "transport",
		    "virtio-pci needs exactly one range: "
		    "pci = [SSSS:]BB:DD.F (the BAR is placed by the guest)");
	host->range_get(v->dev, 0, &space, &base, &last);
	if (host->cfg_irq(v->dev) >= 0)
		return host->cfg_error(
		    v->dev, "irq",
		    "virtio-pci takes no irq: it uses MSI-X, or INTx A of "
		    "its function");
	if (v->params.num_queues > PCI_MAX_QUEUES)
		return host->cfg_error(
		    v->dev, NULL, "virtio-pci serves at most %u queues", PCI_MAX_QUEUES);
	if (v->params.config_size > REGION)
		return host->cfg_error(v->dev, NULL,
		                       "virtio-pci: device config of %u bytes over 4 KiB",
		                       v->params.config_size);
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->v = v;
	p->sbdf = (uint32_t)(base >> 32);
	p->nr_queues = v->params.num_queues;
	p->nr_vectors = p->nr_queues + 1; /* one a queue, one for config changes */
	p->q = calloc(p->nr_queues ? p->nr_queues : 1, sizeof(*p->q));
	p->table = calloc(p->nr_vectors, sizeof(*p->table));
	if (!p->q || !p->table) {
		rc = -ENOMEM;
		goto out;
	}
	/* Vectors start masked (PCI 3.0, 6.8.2.9). */
	for (unsigned i = 0; i < p->nr_vectors; i++)
		p->table[i].ctrl = 1;
	build_header(p);
	rc = vdev_create(v, &vpci_tr_ops, p);
	if (rc < 0)
		goto out;
	vpci_reset(p);
	*tstate = p;
	return 0;
out:
	free(p->table);
	free(p->q);
	free(p);
	return rc;
}

const struct vdev_transport vdev_pci = {
    .name = "pci",
    .init = vpci_init,
    .fini = vpci_fini,
    .access = vpci_access,
    .stats = vpci_stats,
    .save = vpci_save,
    .load = vpci_load,
};
