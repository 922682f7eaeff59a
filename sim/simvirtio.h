/* SPDX-License-Identifier: MIT */
/*
 * The simulated guest's virtio devices: the `virtio ...` script commands run
 * the guest-side driver (lib/virtio/vguest.h, vdriver.h) over the simulated
 * hypervisor.  A device is a numbered slot (0 .. SG_VIRTIO_DEVS - 1) that
 * `virtio attach` fills: probe, negotiate, set up the queues in a private
 * area of guest RAM, DRIVER_OK.  The transport is a vguest ops struct chosen
 * by `attach` (mmio now; pci adds its own), so the device commands (`virtio
 * rng`, and `virtio blk ...` next) never touch registers themselves.
 *
 * Interrupts as the sim models them: the driver asks for one, kicks, waits
 * for the device's ISA line to go high, reads and acknowledges
 * InterruptStatus (which must lower the line), then collects the used
 * buffers.  Over virtio-pci it waits for the next MSI instead (one of the
 * device's vectors), or with INTx for INTx A high, and reads the ISR, which
 * must lower it.
 */
#ifndef IOREQD_SIMVIRTIO_H
#define IOREQD_SIMVIRTIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "simhv.h"
#include "vguest-pci.h"
#include "vguest.h"

/** How many virtio devices one guest can attach. */
#define SG_VIRTIO_DEVS 4
/** Guest RAM per device by default: rings in the first half, data in the second. */
#define SG_VIRTIO_AREA 0x10000u

/** One attached device. */
struct sg_vdev {
	bool up;
	struct ioreqd_simhv *hv;
	unsigned vcpu; /* the vCPU whose accesses drive it */
	uint64_t base; /* mmio: the register window */
	unsigned irq;
	uint64_t area; /* its private guest RAM: SG_VIRTIO_AREA bytes */
	struct ioreqd_vguest_mmio mmio;
	/* pci: the function, and the MSIs seen so far (MSI-X) */
	bool pci;
	uint32_t sbdf;
	struct ioreqd_vguest_pci pcit;
	uint64_t msi_seen;
	struct ioreqd_vguest g;
	/* virtio-blk: the request `virtio blk DEV start` left outstanding */
	bool pending, pending_write, pending_check;
	uint32_t pending_count;
	uint8_t pending_seed;
	int pending_cookie;
};

/** What `virtio attach` asks for (after the script's expressions are evaluated). */
struct sg_vattach {
	unsigned slot;
	uint64_t base; /* mmio register window */
	unsigned irq;
	uint32_t device_id; /* 0: any */
	unsigned queues;    /* 1 .. IOREQD_VGUEST_QUEUES */
	uint32_t qsize;     /* largest queue size to use */
	uint64_t features;  /* device features wanted besides VERSION_1 */
	uint64_t area;      /* UINT64_MAX: the default (the top of RAM, by slot) */
	uint32_t sbdf;      /* pci: the function */
	uint64_t bar;       /* pci: where BAR0/1 goes */
	bool msix;          /* pci: MSI-X (else INTx A) */
};

/** The MSI address and first data value the simulated guest programs for slot s. */
#define SG_VIRTIO_MSI_ADDR 0xfee00000ull
#define SG_VIRTIO_MSI_DATA(s) (0x4000u + 0x100u * (s))

/**
 * Attach a virtio-mmio device.
 * @param err  receives the reason on failure.
 * @return 0 or a negative errno.
 */
int sg_virtio_attach_mmio(struct sg_vdev *d, struct ioreqd_simhv *hv, unsigned vcpu,
                          const struct sg_vattach *a, char *err, size_t errlen);

/**
 * Attach a virtio-pci device: enumerate the function, place its BAR, walk its
 * capabilities, program MSI-X (vector 0 config, q + 1 queue q) or use INTx.
 * @return 0 or a negative errno with the reason in @p err.
 */
int sg_virtio_attach_pci(struct sg_vdev *d, struct ioreqd_simhv *hv, unsigned vcpu,
                         const struct sg_vattach *a, char *err, size_t errlen);

/** Reset the device and forget it (harmless when not attached). */
void sg_virtio_detach(struct sg_vdev *d);

/**
 * Wait for the device's interrupt after a kick: the line high, the status
 * read and acknowledged (@p isr receives it), the line low again.
 * @return 0, or a negative errno with the reason in @p err.
 */
int sg_virtio_wait_interrupt(struct sg_vdev *d, unsigned timeout_ms, uint32_t *isr,
                             char *err, size_t errlen);

/**
 * virtio-rng: read @p len bytes (1 .. SG_VIRTIO_AREA / 2) into the data half
 * of the device's area through queue 0, and check them: the device wrote
 * exactly @p len bytes, and they are not all the same (for len >= 8).
 * @return 0, or a negative errno with the reason in @p err.
 */
int sg_virtio_rng_read(struct sg_vdev *d, uint32_t len, unsigned timeout_ms, char *err,
                       size_t errlen);

/** Most sectors one `virtio blk` command moves (the data half of the area). */
#define SG_VBLK_MAX_SECTORS ((SG_VIRTIO_AREA / 2 - 512u) / 512u)

/**
 * virtio-blk: one request on queue 0 and its interrupt.  A write fills
 * @p count sectors from @p sector with the pattern (seed + i) & 0xff, byte i
 * counted from the first; a read with @p check compares against it.  FLUSH
 * when @p count is 0 and not @p write.  Passes if the status byte is OK.
 * @return 0, or a negative errno with the reason in @p err.
 */
int sg_virtio_blk(struct sg_vdev *d, bool write, uint64_t sector, uint32_t count,
                  bool check, uint8_t seed, unsigned timeout_ms, char *err,
                  size_t errlen);

/**
 * virtio-blk: put one request on queue 0 as sg_virtio_blk does, and kick, but
 * do not wait for it: it stays outstanding (one at most, and no other blk
 * command meanwhile) until sg_virtio_blk_finish, possibly across a restart
 * of the device model.
 * @return 0, or a negative errno with the reason in @p err.
 */
int sg_virtio_blk_start(struct sg_vdev *d, bool write, uint64_t sector, uint32_t count,
                        bool check, uint8_t seed, char *err, size_t errlen);

/**
 * virtio-blk: wait for the outstanding request's interrupt and used buffer,
 * check it as sg_virtio_blk does, and that it completed once (no further used
 * buffer).
 * @return 0, or a negative errno with the reason in @p err.
 */
int sg_virtio_blk_finish(struct sg_vdev *d, unsigned timeout_ms, char *err,
                         size_t errlen);

/**
 * virtio-console: send @p text and a newline through transmitq0 (queue 1)
 * and wait for the buffer to come back used, with its interrupt.
 */
int sg_virtio_console_write(struct sg_vdev *d, const char *text, unsigned timeout_ms,
                            char *err, size_t errlen);

/**
 * virtio-console: post receive buffers on receiveq0 (queue 0) until the
 * bytes of @p text have arrived, in as many pieces as the device sends them.
 * Each buffer is waited for at most @p timeout_ms, so the wait is bounded:
 * at most strlen(text) buffers.  Fails on the first byte that differs.
 */
int sg_virtio_console_read(struct sg_vdev *d, const char *text, unsigned timeout_ms,
                           char *err, size_t errlen);

#endif /* IOREQD_SIMVIRTIO_H */
