/* SPDX-License-Identifier: MIT */
/*
 * The guest side of virtio-pci (modern, virtio 1.2 section 4.1) for
 * struct ioreqd_vguest: what a guest's PCI code and virtio-pci driver do,
 * kept small.  Probe reads the function's IDs, sizes the 64-bit BAR0/1 and
 * places it at the address the creator chose, turns memory decoding and bus
 * mastering on, walks the capability list for the common, notify, ISR and
 * device regions (and MSI-X), and, when asked, programs one MSI-X vector per
 * queue plus one for configuration changes and enables MSI-X; otherwise the
 * device interrupts with INTx and ack_interrupt reads (and so clears) the ISR.
 */
#ifndef IOREQD_VIRTIO_VGUEST_PCI_H
#define IOREQD_VIRTIO_VGUEST_PCI_H

#include <stdbool.h>
#include <stdint.h>

#include "vguest.h"

/** One virtio-pci function, driver side. */
struct ioreqd_vguest_pci {
	/* Filled in by the creator. */
	struct ioreqd_vguest_io cfg; /**< the function's config space: off = register */
	struct ioreqd_vguest_io mem; /**< guest-physical MMIO: off = address */
	uint64_t bar_gpa;            /**< where BAR0/1 goes (aligned to its size) */
	bool msix;                   /**< use MSI-X (else INTx) */
	uint64_t msi_addr;           /**< MSI-X: every vector's address */
	uint32_t msi_data;           /**< MSI-X: vector v sends msi_data + v */
	/* Found by probe. */
	uint64_t bar_size;
	uint64_t common, notify, isr, device; /* guest-physical addresses (0: none) */
	uint32_t notify_mult;
	uint8_t msix_cap; /* 0: none */
	uint16_t nr_vectors;
};

/**
 * The ops for struct ioreqd_vguest.  Under MSI-X, queue q uses vector q + 1
 * and configuration changes vector 0.
 */
extern const struct ioreqd_vguest_transport_ops ioreqd_vguest_pci_ops;

#endif /* IOREQD_VIRTIO_VGUEST_PCI_H */
