/* SPDX-License-Identifier: MIT */
/*
 * What the virtio-pci transport's two files share: the state of one function
 * (struct vpci), the config space registers both touch, and the few calls
 * device state makes into the live transport.  pci.c serves the guest's
 * accesses; pci-state.c saves and loads struct vpci.  Private to
 * hooks/virtio: nothing outside these two files sees struct vpci.
 */
#ifndef IOREQD_VIRTIO_PCI_INTERNAL_H
#define IOREQD_VIRTIO_PCI_INTERNAL_H

#include "le.h"
#include "vdev.h"

#include <stdbool.h>
#include <stdint.h>

#define PCI_CFG_SIZE 256u
#define PCI_BAR_SIZE 0x8000u

/* Config space registers. */
#define CFG_COMMAND 0x04
#define CFG_STATUS 0x06
#define CFG_BAR0 0x10
#define CFG_BAR1 0x14
#define CFG_SUBSYS 0x2c
#define CFG_CAP_PTR 0x34
#define CFG_INT_LINE 0x3c
#define CFG_INT_PIN 0x3d
#define CMD_MEM 0x0002u
#define CMD_MASTER 0x0004u
#define CMD_INTX_DISABLE 0x0400u
#define STATUS_INTX 0x0008u
#define STATUS_CAP_LIST 0x0010u

/* The most queues: the notify region and the table each fit one page. */
#define PCI_MAX_QUEUES 255u
#define NO_VECTOR 0xffffu

#define ISR_VRING 0x1u
#define ISR_CONFIG 0x2u

/* One MSI-X table entry. */
struct msix_entry {
	uint64_t addr;
	uint32_t data;
	uint32_t ctrl; /* bit 0: masked */
};

/* What the driver has written for one queue before enabling it. */
struct pci_queue {
	uint16_t size;
	uint16_t vector;
	uint64_t desc, driver, device;
};

struct vpci {
	struct vdev *v;
	uint32_t sbdf;
	uint8_t cfg[PCI_CFG_SIZE];
	uint8_t wmask[PCI_CFG_SIZE];
	/* BAR0/1 as it is claimed */
	bool mapped;
	uint64_t map_base;
	uint64_t told_base;    /* where the log last put it (0: nowhere yet) */
	uint64_t refused_base; /* the last overlap reported */
	/* common configuration */
	uint32_t dfselect, gfselect;
	uint64_t drv_features;
	uint16_t config_vector;
	uint16_t qselect;
	unsigned nr_queues;
	struct pci_queue *q;
	/* interrupts */
	uint8_t isr;
	unsigned intx_level;
	unsigned nr_vectors;
	struct msix_entry *table;
	uint64_t pba[(PCI_MAX_QUEUES + 1 + 63) / 64];
	/* counts */
	uint64_t bad_access;
	uint64_t irq_errors;
	uint64_t msi_sent;
	uint64_t msi_pended;  /* events held back by a mask */
	uint64_t bar_refused; /* BAR placements range_map refused */
};

static inline uint32_t get32(const uint8_t *p)
{
	return (uint32_t)ioreqd_le_get(p, 4);
}

static inline uint16_t get16(const uint8_t *p)
{
	return (uint16_t)ioreqd_le_get(p, 2);
}

static inline void put32(uint8_t *p, uint32_t v)
{
	ioreqd_le_put(p, v, 4);
}

static inline void put16(uint8_t *p, uint16_t v)
{
	ioreqd_le_put(p, v, 2);
}

/* The BAR's address as BAR0/1 hold it. */
uint64_t vpci_bar_address(const struct vpci *p);
/* Should the BAR be claimed: decoding on, and an address rather than a probe? */
bool vpci_bar_wanted(const struct vpci *p);
/* Claim or release the BAR so it sits where BAR0/1 and the command say. */
void vpci_update_bar(struct vpci *p);
/* Hold INTx A at what the ISR, MSI-X and the command register say. */
void vpci_intx_update(struct vpci *p);

/* vdev_transport.save and .load (pci-state.c). */
int vpci_save(void *tstate, ioreqd_state_t *st);
int vpci_load(void *tstate, ioreqd_state_t *st);

#endif /* IOREQD_VIRTIO_PCI_INTERNAL_H */
