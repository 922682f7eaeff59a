/* SPDX-License-Identifier: MIT */
/*
 * virtio-console device model (virtio 1.2, section 5.3), one port, no
 * MULTIPORT: receiveq0 (queue 0) carries input from the character back end
 * (hooks/chardev.h: pty, socket, file or none, as for the UARTs), transmitq0
 * (queue 1) carries the guest's output to it.  Input is read from the back
 * end only while the guest has a receive buffer posted, so a guest that posts
 * none pushes back on the other end instead of losing bytes; its next kick of
 * receiveq0 resumes reading.  Transport-independent, like blk.h.
 */
#ifndef IOREQD_HOOKS_VIRTIO_CONSOLE_H
#define IOREQD_HOOKS_VIRTIO_CONSOLE_H

#include <stdint.h>

#include <ioreqd/hook.h>
#include <ioreqd/virtio.h>

#include "chardev.h"

#define IOREQD_VIRTIO_ID_CONSOLE 3u
#define IOREQD_VCONS_CONFIG_SIZE 12u /* cols, rows, max_nr_ports, emerg_wr */
#define IOREQD_VCONS_RXQ 0u
#define IOREQD_VCONS_TXQ 1u

/** The keys of a virtio-console device section: the chardev's. */
#define IOREQD_VCONS_KEYS IOREQD_CHARDEV_KEYS

/** Counters. */
struct ioreqd_vcons_stats {
	uint64_t rx_bytes;   /**< back end to guest */
	uint64_t tx_bytes;   /**< guest to back end */
	uint64_t rx_waits;   /**< input held back: no receive buffer posted */
	uint64_t bad_buffer; /**< receive buffers with no writable byte */
};

struct ioreqd_vcons;

/**
 * Open the back end from the device's keys and fill the device part of @p p.
 * @return 0, or -EINVAL after host->cfg_error, or -ENOMEM.
 */
int ioreqd_vcons_new(const struct ioreqd_host *host, ioreqd_dev_t *dev,
                     struct ioreqd_virtio_params *p, struct ioreqd_vcons **out);

/** The transport created @p vdev: fill its config space (cols and rows 0). */
void ioreqd_vcons_attach(struct ioreqd_vcons *c, ioreqd_virtio_dev_t *vdev);

/** Return a held receive buffer (before ioreqd_virtio_free). */
void ioreqd_vcons_quiesce(struct ioreqd_vcons *c);

/** Close the back end and free (after ioreqd_virtio_free).  NULL is fine. */
void ioreqd_vcons_free(struct ioreqd_vcons *c);

/** Copy the counters into @p st. */
void ioreqd_vcons_stats(const struct ioreqd_vcons *c, struct ioreqd_vcons_stats *st);

/** @return the chardev (for tests: its fds). */
struct ioreqd_chardev *ioreqd_vcons_chardev(const struct ioreqd_vcons *c);

#endif /* IOREQD_HOOKS_VIRTIO_CONSOLE_H */
