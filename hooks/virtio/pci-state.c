/* SPDX-License-Identifier: MIT */
/*
 * The virtio-pci transport's device state: what of struct vpci a checkpoint,
 * a save for xl or a --resume carries, as tagged records after the device's
 * own (vdev_transport.save and .load, see pci.c for the transport).
 */
#include "pci-internal.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

/*
 * Device state: the config header (what the guest can write of it: command,
 * BAR placement, MSI-X enable and function mask, the pci_cfg window), the
 * common configuration's selectors and vectors, each queue's registers, the
 * ISR, and the MSI-X table and PBA.  Load re-claims the BAR where the saved
 * header put it, as testdev does, and sets INTx A to what the ISR says.
 */
enum {
	TAG_CFG = VDEV_TAG_TRANSPORT, /* PCI_CFG_SIZE bytes */
	TAG_COMMON,                   /* le32 dfselect, gfselect; le64 drv features;
	                                 le16 config_vector, qselect */
	TAG_QUEUES,                   /* per queue: le16 size, vector; 3 x le64 */
	TAG_ISR,                      /* le32 */
	TAG_TABLE,                    /* per vector: le64 addr, le32 data, ctrl */
	TAG_PBA,                      /* the pending bits, le64 words */
	TAG_UNCLAIMED,                /* le32 1, only if BAR0 decoded unclaimed */
};
#define COMMON_REC 20u
#define QUEUE_REC 28u
#define VECTOR_REC 16u

struct vpci_saved {
	uint8_t cfg[PCI_CFG_SIZE];
	uint8_t common[COMMON_REC];
	uint8_t *queues, *table;
	uint8_t pba[sizeof(((struct vpci *)0)->pba)];
	uint32_t isr;
	uint32_t unclaimed;
};

int vpci_save(void *tstate, ioreqd_state_t *st)
{
	struct vpci *p = tstate;
	struct vpci_saved s = {.isr = p->isr};
	int rc = -ENOMEM;

	memcpy(s.cfg, p->cfg, sizeof(s.cfg));
	ioreqd_le_put(s.common, p->dfselect, 4);
	ioreqd_le_put(s.common + 4, p->gfselect, 4);
	ioreqd_le_put(s.common + 8, p->drv_features, 8);
	ioreqd_le_put(s.common + 16, p->config_vector, 2);
	ioreqd_le_put(s.common + 18, p->qselect, 2);
	s.queues = calloc(p->nr_queues ? p->nr_queues : 1, QUEUE_REC);
	s.table = calloc(p->nr_vectors, VECTOR_REC);
	if (!s.queues || !s.table)
		goto out;
	for (unsigned i = 0; i < p->nr_queues; i++) {
		uint8_t *q = s.queues + (size_t)i * QUEUE_REC;

		ioreqd_le_put(q, p->q[i].size, 2);
		ioreqd_le_put(q + 2, p->q[i].vector, 2);
		ioreqd_le_put(q + 4, p->q[i].desc, 8);
		ioreqd_le_put(q + 12, p->q[i].driver, 8);
		ioreqd_le_put(q + 20, p->q[i].device, 8);
	}
	for (unsigned i = 0; i < p->nr_vectors; i++) {
		uint8_t *e = s.table + (size_t)i * VECTOR_REC;

		ioreqd_le_put(e, p->table[i].addr, 8);
		ioreqd_le_put(e + 8, p->table[i].data, 4);
		ioreqd_le_put(e + 12, p->table[i].ctrl, 4);
	}
	for (unsigned i = 0; i < sizeof(p->pba) / 8; i++)
		ioreqd_le_put(s.pba + 8 * i, p->pba[i], 8);
	if ((rc = ioreqd_state_put(st, TAG_CFG, s.cfg, sizeof(s.cfg))) == 0 &&
	    (rc = ioreqd_state_put(st, TAG_COMMON, s.common, sizeof(s.common))) == 0 &&
	    (rc = ioreqd_state_put(st, TAG_QUEUES, s.queues,
	                           (size_t)p->nr_queues * QUEUE_REC)) == 0 &&
	    (rc = ioreqd_state_put_u32(st, TAG_ISR, s.isr)) == 0 &&
	    (rc = ioreqd_state_put(st, TAG_TABLE, s.table,
	                           (size_t)p->nr_vectors * VECTOR_REC)) == 0)
		rc = ioreqd_state_put(st, TAG_PBA, s.pba, sizeof(s.pba));
	/* Only then, so a stream loads and saves again byte for byte. */
	if (rc == 0 && vpci_bar_wanted(p) && !p->mapped)
		rc = ioreqd_state_put_u32(st, TAG_UNCLAIMED, 1);
out:
	free(s.queues);
	free(s.table);
	return rc;
}

/* Read and check every field.  @return 0 or -EBADMSG/-ENOMEM (said in @p st). */
static int vpci_read_saved(struct vpci *p, ioreqd_state_t *st, struct vpci_saved *s)
{
	uint16_t cv;
	int rc;

	s->queues = malloc(p->nr_queues ? (size_t)p->nr_queues * QUEUE_REC : 1);
	s->table = malloc((size_t)p->nr_vectors * VECTOR_REC);
	if (!s->queues || !s->table)
		return -ENOMEM;
	if ((rc = ioreqd_state_get(st, TAG_CFG, s->cfg, sizeof(s->cfg))) < 0 ||
	    (rc = ioreqd_state_get(st, TAG_COMMON, s->common, sizeof(s->common))) < 0 ||
	    (rc = ioreqd_state_get(st, TAG_QUEUES, s->queues,
	                           (size_t)p->nr_queues * QUEUE_REC)) < 0 ||
	    (rc = ioreqd_state_get_u32(st, TAG_ISR, &s->isr)) < 0 ||
	    (rc = ioreqd_state_get(st, TAG_TABLE, s->table,
	                           (size_t)p->nr_vectors * VECTOR_REC)) < 0 ||
	    (rc = ioreqd_state_get(st, TAG_PBA, s->pba, sizeof(s->pba))) < 0)
		return rc;
	s->unclaimed = 0;
	if (ioreqd_state_len(st, TAG_UNCLAIMED) >= 0 &&
	    (rc = ioreqd_state_get_u32(st, TAG_UNCLAIMED, &s->unclaimed)) < 0)
		return rc;
	if (s->unclaimed > 1) {
		ioreqd_state_fail(st, "virtio-pci: unclaimed flag %u", s->unclaimed);
		return -EBADMSG;
	}
	cv = (uint16_t)ioreqd_le_get(s->common + 16, 2);
	if (s->isr & ~(uint32_t)(ISR_VRING | ISR_CONFIG) ||
	    (cv != NO_VECTOR && cv >= p->nr_vectors)) {
		ioreqd_state_fail(st,
		                  "virtio-pci: ISR 0x%x or config vector %u out of range",
		                  s->isr, cv);
		return -EBADMSG;
	}
	for (unsigned i = 0; i < p->nr_queues; i++) {
		uint16_t qv =
		    (uint16_t)ioreqd_le_get(s->queues + (size_t)i * QUEUE_REC + 2, 2);

		if (qv != NO_VECTOR && qv >= p->nr_vectors) {
			ioreqd_state_fail(
			    st, "virtio-pci: queue %u vector %u out of range", i, qv);
			return -EBADMSG;
		}
	}
	for (unsigned i = 0; i < p->nr_vectors; i++)
		if (ioreqd_le_get(s->table + (size_t)i * VECTOR_REC + 12, 4) > 1) {
			ioreqd_state_fail(st, "virtio-pci: MSI-X vector %u control", i);
			return -EBADMSG;
		}
	for (unsigned v = p->nr_vectors; v < 8 * sizeof(s->pba); v++)
		if (s->pba[v / 8] & (1u << (v % 8))) {
			ioreqd_state_fail(st, "virtio-pci: pending bit of vector %u", v);
			return -EBADMSG;
		}
	return 0;
}

int vpci_load(void *tstate, ioreqd_state_t *st)
{
	struct vpci *p = tstate;
	struct vpci_saved s = {.queues = NULL};
	uint8_t cfg[PCI_CFG_SIZE], old[PCI_CFG_SIZE];
	int rc;

	if ((rc = vpci_read_saved(p, st, &s)) < 0)
		goto out;
	/* Only what the guest could have written comes from the stream. */
	for (unsigned i = 0; i < PCI_CFG_SIZE; i++)
		cfg[i] = (uint8_t)((p->cfg[i] & ~p->wmask[i]) | (s.cfg[i] & p->wmask[i]));
	put32(&cfg[CFG_BAR0], (get32(&cfg[CFG_BAR0]) & ~(PCI_BAR_SIZE - 1)) | 0x4);
	memcpy(old, p->cfg, sizeof(old));
	memcpy(p->cfg, cfg, sizeof(cfg));
	if (s.unclaimed && !vpci_bar_wanted(p)) {
		ioreqd_state_fail(st, "virtio-pci: BAR0 is marked unclaimed but does "
		                      "not decode");
		memcpy(p->cfg, old, sizeof(old));
		rc = -EBADMSG;
		goto out;
	}
	vpci_update_bar(p);
	if (s.unclaimed && p->mapped) {
		/* Unclaimed where it was saved: leave it so here too. */
		p->v->host->range_unmap(p->v->dev, IOREQD_SPACE_MMIO, p->map_base,
		                        p->map_base + PCI_BAR_SIZE - 1);
		p->mapped = false;
	}
	/*
	 * A BAR the guest put over another device's range was not claimed in
	 * the saved daemon either: it stays unclaimed, as it was, rather than
	 * making the guest's whole state unloadable.
	 */
	if (!s.unclaimed && vpci_bar_wanted(p) && !p->mapped) {
		/* The saved place is taken here: put the BAR back, refuse. */
		ioreqd_state_fail(st,
		                  "virtio-pci: BAR0 cannot be re-claimed at 0x%" PRIx64,
		                  vpci_bar_address(p));
		memcpy(p->cfg, old, sizeof(old));
		vpci_update_bar(p);
		rc = -EBUSY;
		goto out;
	}
	p->dfselect = (uint32_t)ioreqd_le_get(s.common, 4);
	p->gfselect = (uint32_t)ioreqd_le_get(s.common + 4, 4);
	p->drv_features = ioreqd_le_get(s.common + 8, 8);
	p->config_vector = (uint16_t)ioreqd_le_get(s.common + 16, 2);
	p->qselect = (uint16_t)ioreqd_le_get(s.common + 18, 2);
	for (unsigned i = 0; i < p->nr_queues; i++) {
		const uint8_t *q = s.queues + (size_t)i * QUEUE_REC;

		p->q[i].size = (uint16_t)ioreqd_le_get(q, 2);
		p->q[i].vector = (uint16_t)ioreqd_le_get(q + 2, 2);
		p->q[i].desc = ioreqd_le_get(q + 4, 8);
		p->q[i].driver = ioreqd_le_get(q + 12, 8);
		p->q[i].device = ioreqd_le_get(q + 20, 8);
	}
	for (unsigned i = 0; i < p->nr_vectors; i++) {
		const uint8_t *e = s.table + (size_t)i * VECTOR_REC;

		p->table[i].addr = ioreqd_le_get(e, 8);
		p->table[i].data = (uint32_t)ioreqd_le_get(e + 8, 4);
		p->table[i].ctrl = (uint32_t)ioreqd_le_get(e + 12, 4);
	}
	for (unsigned i = 0; i < sizeof(p->pba) / 8; i++)
		p->pba[i] = ioreqd_le_get(s.pba + 8 * i, 8);
	p->isr = (uint8_t)s.isr;
	/* Whatever the line is in this daemon, set it to what the ISR says. */
	p->intx_level = UINT_MAX;
	vpci_intx_update(p);
out:
	free(s.queues);
	free(s.table);
	return rc;
}
