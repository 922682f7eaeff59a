/* SPDX-License-Identifier: MIT */
/*
 * libxl's virtio backend entries, as the dom0 watcher (ioreqd --watch) reads
 * them: pure parsing of one device's xenstore keys into what ioreqd serves,
 * the per-device state machine of the xenbus handshake, and the device
 * sections of the configuration a per-domain ioreqd is started with.
 *
 * Two layouts, both under /local/domain/0/backend/:
 *   virtio_disk/<domid>/<devid>/  Xen 4.17, an xl disk with
 *       specification=virtio,backendtype=standalone: params (the target),
 *       mode (r|w), base (decimal), irq, state, online, transport=mmio ...
 *   virtio/<domid>/<devid>/       Xen 4.18+, xl's virtio = [...]: base in
 *       hex (0x...), irq, type (the DT compatible: virtio,device2 or the
 *       generic virtio,device), transport, grant_usage, state, online.
 *       libxl writes no target: ioreqd serves such a device as virtio-blk
 *       when someone adds params (and mode) next to it.
 *
 * libxl writes each device's keys in one transaction, but a key may still
 * be missing when a watch fires (another writer, a partial write): a
 * missing key is "not yet" (-EAGAIN), a present bad one is an error
 * (-EINVAL).  Every message names the domain and the device.
 */
#ifndef IOREQD_VBACKEND_H
#define IOREQD_VBACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The virtio-mmio window libxl gives each device on Arm. */
#define IOREQD_VBE_WINDOW 0x200u
/* The longest backing path accepted (the configuration line must hold it). */
#define IOREQD_VBE_PATH_MAX 4096u
#define IOREQD_VBE_ERRLEN 256u

/* xenbus states (xen/io/xenbus.h) the handshake uses. */
enum {
	IOREQD_XB_INITIALISING = 1,
	IOREQD_XB_INITWAIT = 2,
	IOREQD_XB_CONNECTED = 4,
	IOREQD_XB_CLOSING = 5,
	IOREQD_XB_CLOSED = 6,
};

enum ioreqd_vbe_kind {
	IOREQD_VBE_VIRTIO_DISK = 0, /* backend/virtio_disk (4.17) */
	IOREQD_VBE_VIRTIO,          /* backend/virtio (4.18+) */
	IOREQD_VBE_KIND_COUNT,
};

/** One key of a device's backend directory, as read. */
struct ioreqd_vbe_kv {
	const char *key;
	const char *value;
};

/** One device, parsed. */
struct ioreqd_vbe_dev {
	enum ioreqd_vbe_kind kind;
	unsigned domid, devid;
	int state;   /* xenbus state; -1 when absent or not a number */
	bool online; /* online = 0 means going away (absent counts as 1) */
	uint64_t base;
	unsigned irq;
	bool readonly;
	bool grant_usage;
	char path[IOREQD_VBE_PATH_MAX];
};

/** @return "virtio_disk" or "virtio": the directory name of @p kind. */
const char *ioreqd_vbe_kind_name(enum ioreqd_vbe_kind kind);

/**
 * Split a watch event's path under @p root (".../backend", no trailing
 * slash) into kind, domain and device.
 * @param devid  receives the device, or -1 when the path stops above it.
 * @param domid  receives the domain, or -1 when the path stops above it.
 * @return 0, or -EINVAL when the path is not under a layout this parses
 * (other backends, or garbage).
 */
int ioreqd_vbe_split_path(const char *root, const char *path, enum ioreqd_vbe_kind *kind,
                          long *domid, long *devid);

/**
 * Parse a decimal domain or device number as xenstore lists it.
 * @return 0, or -EINVAL (not all digits, a leading zero, above @p max).
 */
int ioreqd_vbe_parse_id(const char *s, unsigned max, unsigned *out);

/**
 * Parse one device's keys.  @p dev->state and @p dev->online are filled in
 * whatever the verdict, so a bad device can still be closed.
 * @param kv  @p n keys in any order; a duplicate key is an error.
 * @param err  receives why, naming domain, device and key, on -EAGAIN and
 *             -EINVAL.
 * @return 0; -EAGAIN when a key is still missing; -EINVAL when a key is bad.
 */
int ioreqd_vbe_parse(enum ioreqd_vbe_kind kind, unsigned domid, unsigned devid,
                     const struct ioreqd_vbe_kv *kv, size_t n, struct ioreqd_vbe_dev *dev,
                     char *err, size_t errlen);

/**
 * Check device @p i of a domain's @p n devices against the ones before it:
 * windows must not overlap and interrupts must differ.
 * @return 0, or -EINVAL with @p err naming both devices.
 */
int ioreqd_vbe_check_set(const struct ioreqd_vbe_dev *devs, size_t n, size_t i, char *err,
                         size_t errlen);

/** What the watcher does next for one device. */
struct ioreqd_vbe_step {
	bool serve;      /* the domain's ioreqd should serve it */
	int write_state; /* a xenbus state to write, or 0 */
};

/**
 * The handshake, one device at a time.
 * @param state   the backend state read (-1: absent or unreadable).
 * @param online  the online key (absent: true).
 * @param valid   the keys parsed and the device fits the domain's set.
 * @param served  a running ioreqd has claimed its window (ready).
 * @return the step: serve while Initialising..Connected and valid; write
 * InitWait once served at Initialising (never Connected: libxl waits for
 * InitWait and nothing more); on Closing or online = 0 stop serving and,
 * once not served, write Closed.
 */
struct ioreqd_vbe_step ioreqd_vbe_next(int state, bool online, bool valid, bool served);

/**
 * The configuration ioreqd serves a domain's devices with: one
 * "[device NAME]" section per device (virtio-blk over virtio-mmio at its
 * window, edge interrupts), NUL-terminated, after a comment naming the domain.
 * @return the text (free() it), or NULL when out of memory.
 */
char *ioreqd_vbe_render(const struct ioreqd_vbe_dev *devs, size_t n, unsigned domid);

/** The section name of @p dev in that text ("virtio_disk-51712"). */
void ioreqd_vbe_dev_name(const struct ioreqd_vbe_dev *dev, char *buf, size_t len);

#endif /* IOREQD_VBACKEND_H */
