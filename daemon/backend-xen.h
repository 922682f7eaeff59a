/* SPDX-License-Identifier: MIT */
/*
 * Private pieces of the Xen backend, shared by daemon/backend-xen.c (handles,
 * the ioreq server, event channels), daemon/backend-xen-xs.c (xenstore, the
 * domain's death, confinement), daemon/backend-xen-irq.c (interrupts),
 * daemon/backend-xen-mapcache.c (guest memory through foreign and grant
 * mappings) and daemon/backend-xen-ctx.c (vCPU state through the HVM save
 * records).  Only these files include the Xen library headers; the tests
 * link them against tests/fake-xen*.c.
 */
#ifndef IOREQD_BACKEND_XEN_H
#define IOREQD_BACKEND_XEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xenctrl.h>
#include <xendevicemodel.h>
#include <xenforeignmemory.h>
#include <xengnttab.h>
#include <xenevtchn.h>

#include "backend.h"
#include "dirty.h"
#include "latency.h"
#include "log.h"
#include "vcpu-regs.h"

/*
 * Warn that a Xen call failed: "domain N: WHAT (CALL: strerror)", where WHAT
 * (@p fmt) says in plain words what could not be done and @p call names the
 * library call for the admin.  @return -errno, taken before logging.
 */
int ioreqd_xen_fail(unsigned domid, const char *call, const char *fmt, ...)
    IOREQD_PRINTF(3, 4);

/*
 * Arm: check that the guest's vGIC has SPI @irq (a GIC INTID) for us to drive,
 * with a trial set_irq_level(irq, 0).  @return 0, or -errno after logging how
 * to give the guest the line.
 */
int ioreqd_xen_spi_check(xendevicemodel_handle *dmod, unsigned domid, unsigned irq);

/*
 * Report @p n (at most IOREQD_DIRTY_RUNS) runs of frames the daemon wrote
 * (backend-xen-dirty.c).  @return 0, or the -errno of the last run Xen
 * refused (the others were reported).
 */
int ioreqd_xen_modified_memory(xendevicemodel_handle *dmod, unsigned domid,
                               const struct ioreqd_dirty_run *runs, unsigned n);

/* ---- guest memory ----------------------------------------------------------- */

/*
 * Foreign mappings are made and cached in aligned 1 MiB buckets (256 frames):
 * big enough that a virtio device's buffers (mostly 4 KiB to 64 KiB, reused
 * from a small pool by the guest driver) hit a few buckets over and over, and
 * that string I/O to a page never maps twice; small enough that a miss costs
 * one modest privcmd batch and that a bucket rarely reaches into a hole of
 * the guest's memory map (each frame that fails is recorded, not fatal).
 * QEMU's xen-mapcache uses the same size on 64-bit hosts.
 */
#define IOREQD_XEN_BUCKET_SHIFT 20
#define IOREQD_XEN_BUCKET_PAGES (1u << (IOREQD_XEN_BUCKET_SHIFT - XC_PAGE_SHIFT))

/*
 * What the cache keeps mapped, referenced or not: buckets nobody uses are
 * unmapped, least recently used first, past this.  On Arm each foreign page
 * takes a dom0 page frame out of use while it is mapped, so the cap stays
 * modest (64 buckets); mappings in use are never evicted and may exceed it.
 */
#define IOREQD_XEN_MAPCACHE_BYTES (64ull << 20)

/* Chains of the bucket index (by first bucket number). */
#define IOREQD_XEN_MAPCACHE_HASH 64

/* The largest guest-physical address accepted (x86 and Arm: 52 bits). */
#define IOREQD_XEN_GPA_LIMIT (1ull << 52)

/* The largest single copy: the engine never moves more than a page of reps. */
#define IOREQD_XEN_COPY_MAX (1u << 20)

/* The largest DMA mapping: a virtio buffer is at most this long. */
#define IOREQD_XEN_DMA_MAX (64u << 20)

/*
 * Bit 63 of a DMA address marks a grant: the rest is gref << 12 | offset, and
 * a buffer longer than a page uses consecutive grant refs (Linux
 * drivers/xen/grant-dma-ops.c, for guests with CONFIG_XEN_VIRTIO).
 */
#define IOREQD_XEN_GRANT_BIT (1ull << 63)

enum ioreqd_xen_map_kind {
	IOREQD_XEN_MAP_BUCKET,    /* cached: [first, first + pages) of guest frames */
	IOREQD_XEN_MAP_DEDICATED, /* one request's frames, unmapped at its unmap */
	IOREQD_XEN_MAP_GRANT,     /* consecutive grant refs from first, likewise */
};

/*
 * One foreign or grant mapping.  Buckets sit in the index until INVALIDATE
 * marks them stale; unused ones also sit in the LRU list.  Every mapping is
 * on the `all` list, so close can release what devices still hold.
 */
struct ioreqd_xen_map {
	struct ioreqd_xen_map *hnext;               /* index chain (buckets, not stale) */
	struct ioreqd_xen_map *lru_prev, *lru_next; /* unused buckets, newest first */
	struct ioreqd_xen_map *all_prev, *all_next;
	uint64_t first; /* first guest frame, or first grant ref */
	size_t pages;
	uint8_t *va;
	uint64_t *bad; /* frames of a bucket that did not map (bitmap); NULL: none */
	unsigned refs; /* mappings handed out and not yet unmapped */
	enum ioreqd_xen_map_kind kind;
	bool stale;    /* INVALIDATE came while in use: never handed out again */
	bool writable; /* dedicated and grant mappings */
};

/* The cache's counters, for --stats. */
struct ioreqd_xen_mapcache_stats {
	uint64_t hits;      /* map calls served by a cached bucket */
	uint64_t misses;    /* map calls that needed a hypercall */
	uint64_t map_calls; /* xenforeignmemory_map and xengnttab_map_* calls */
	uint64_t unmap_calls;
	uint64_t buckets_mapped; /* buckets mapped since start */
	uint64_t bytes_mapped;   /* bytes mapped now, all kinds */
	uint64_t grant_maps;     /* grant mappings made */
	uint64_t evictions;      /* unused buckets unmapped to stay under the cap */
	uint64_t refused;        /* ranges refused before any hypercall */
};

struct ioreqd_xen_mapcache {
	xenforeignmemory_handle *fmem;
	xengnttab_handle *xgt;         /* opened for the first grant address */
	bool xgt_failed;               /* and that failed: grants are refused */
	struct xentoollog_logger *xtl; /* for xengnttab_open; NULL: stderr */
	xc_interface *xch; /* to ask the guest's highest frame; NULL once confined */
	unsigned domid;
	uint64_t limit; /* guest frames are below this (xc_domain_maximum_gpfn + 1) */
	uint64_t cap;   /* IOREQD_XEN_MAPCACHE_BYTES, lowered by tests */
	struct ioreqd_xen_map *index[IOREQD_XEN_MAPCACHE_HASH];
	struct ioreqd_xen_map lru; /* list head: lru_next is the most recent */
	struct ioreqd_xen_map all; /* list head */
	unsigned live;             /* mappings with refs > 0 */
	/* Optional: called at the unmap of a writable mapping of guest frames. */
	void (*dirty)(void *arg, uint64_t gpa, uint64_t len);
	void *dirty_arg;
	struct ioreqd_xen_mapcache_stats st;
	struct ioreqd_ratelimit rl;
};

/**
 * Start an empty cache over @p fmem (no mapping is made yet).  @p xch, if not
 * NULL, tells the guest's highest frame (asked at the first address, and again
 * when an address beyond it comes); without it only IOREQD_XEN_GPA_LIMIT
 * bounds addresses.
 */
void ioreqd_xen_mapcache_init(struct ioreqd_xen_mapcache *mc,
                              xenforeignmemory_handle *fmem, xc_interface *xch,
                              unsigned domid);
/**
 * Open the grant handle now rather than at the first grant address (before
 * the daemon drops privileges, when the guest is known to use grants).
 * @return 0 or a negative errno after logging.
 */
int ioreqd_xen_mapcache_grants_open(struct ioreqd_xen_mapcache *mc);
/** Confinement closes libxenctrl: learn the guest's size now, then stop asking. */
void ioreqd_xen_mapcache_confine(struct ioreqd_xen_mapcache *mc);
/**
 * IOREQ_TYPE_INVALIDATE: unmap every unused bucket, and mark those in use
 * stale (unmapped at their last unmap, never handed out again).
 */
void ioreqd_xen_mapcache_invalidate(struct ioreqd_xen_mapcache *mc);
/**
 * Close: unmap everything, in use or not, and close the grant handle.  Safe
 * to call twice.  @return how many mappings were still in use.
 */
unsigned ioreqd_xen_mapcache_release_all(struct ioreqd_xen_mapcache *mc);
/**
 * Copy @p len bytes between guest-physical @p gpa and @p buf through the cache.
 * @return 0 or -EFAULT (bad range, or a frame that cannot be mapped).
 */
int ioreqd_xen_mapcache_copy(struct ioreqd_xen_mapcache *mc, uint64_t gpa, void *buf,
                             size_t len, bool write);
/**
 * struct ioreqd_gmem_ops.map: a guest-physical range through the cache, or a
 * grant address (IOREQD_XEN_GRANT_BIT) through libxengnttab, uncached (the
 * guest ends its grants once the request is done).
 * @return 0, or -EFAULT (bad range, frames not mappable, not granted,
 * read-only and @p write).
 */
int ioreqd_xen_dma_map(struct ioreqd_xen_mapcache *mc, uint64_t gpa, uint64_t len,
                       bool write, void **hva, uintptr_t *token);
/** struct ioreqd_gmem_ops.unmap: release a mapping of ioreqd_xen_dma_map. */
void ioreqd_xen_dma_unmap(struct ioreqd_xen_mapcache *mc, void *hva, uint64_t len,
                          uintptr_t token);
/** Report the counters through a stats emitter, in group "mapcache". */
void ioreqd_xen_mapcache_stats(const struct ioreqd_xen_mapcache *mc,
                               void (*emit)(void *ctx, const char *group,
                                            const char *name, uint64_t value),
                               void *ctx);

/* ---- the backend's state, shared by its files ---------------------------------- */

#if defined(__i386__) || defined(__x86_64__)
#define XEN_X86 1
#else
#define XEN_X86 0
#endif

/* Where publish() writes: /local/domain/<BACKEND_DOMID>/ioreqd/<domid>/<key>. */
#define BACKEND_DOMID 0
#define WATCH_PATH "@releaseDomain"
#define WATCH_TOKEN "ioreqd"
/* How often a confined daemon asks Xen whether its ioreq server still exists. */
#define PROBE_INTERVAL_S 1

/* One bound event channel: our local port and the vCPU it serves. */
struct port_map {
	evtchn_port_t port;
	unsigned vcpu;
};

/* An SBDF claimed for PCI config space, with how many ranges use it. */
struct pci_claim {
	uint32_t sbdf;
	unsigned refs;
};

struct xen_be {
	unsigned domid;
	bool buffered; /* a buffered ring was asked for and is available */

	xendevicemodel_handle *dmod;
	xenforeignmemory_handle *fmem;
	xenevtchn_handle *xce;
	xc_interface *xch;
	struct xs_handle *xsh;
	int evtchn_fd;
	int watch_fd;
	int probe_fd; /* once restricted: a periodic timerfd in place of watch_fd */

	ioservid_t id;
	bool created;
	bool enabled;
	bool restricted; /* xentoolcore_restrict_all done: xc and xenstore are dead */
	bool published;
	bool gone; /* domain_gone() saw the domain die: teardown errors are expected */

	xenforeignmemory_resource_handle *fres;
	void *pages; /* the mapped resource: [buffered page,] shared page */
	shared_iopage_t *sync;
	buffered_iopage_t *buf;

	evtchn_port_t *vcpu_port; /* local port by vCPU */
	unsigned nr_bound;        /* vCPU ports bound so far */
	unsigned nr_vcpus;        /* vCPUs asked for by bind() */
	struct port_map *by_port; /* sorted by port, for pending() */
	evtchn_port_t buf_port;
	bool buf_bound;

	struct pci_claim *pci;
	unsigned nr_pci;

	struct ioreqd_xen_mapcache mc;
	struct ioreqd_ratelimit rl_io;
	struct ioreqd_ratelimit rl_ctx;

	/*
	 * latency_stats: the samples, and the request being answered while
	 * pending() runs its callback (lat_vcpu -1 otherwise, and always when
	 * the option is off, so notify() then reads no clock).
	 */
	struct ioreqd_latency lat;
	uint64_t lat_woke, lat_slot;
	int lat_vcpu;
};

/* ---- interrupts (backend-xen-irq.c): ioreqd_guest_ops and irq_check ---------- */

int ioreqd_xen_irq_set_level(void *priv, unsigned irq, unsigned level);
int ioreqd_xen_pci_intx_set_level(void *priv, uint32_t sbdf, unsigned intx,
                                  unsigned level);
int ioreqd_xen_inject_msi(void *priv, uint64_t addr, uint32_t data);
int ioreqd_xen_irq_check(void *priv, unsigned irq);

/* ---- xenstore and the domain's life (backend-xen-xs.c) -------------------------- */

/** fd 1 before confinement: drain the watch, report the domain's death. */
int ioreqd_xen_watch_pending(struct xen_be *be,
                             void (*fn)(void *, enum ioreqd_backend_event, unsigned),
                             void *arg);
/** fd 1 once confined: on each tick, ask Xen whether our ioreq server exists. */
int ioreqd_xen_probe_pending(struct xen_be *be,
                             void (*fn)(void *, enum ioreqd_backend_event, unsigned),
                             void *arg);
/** ioreqd_backend_ops.publish and .restrict_domain. */
int ioreqd_xen_publish(void *priv, const char *key, const char *value);
int ioreqd_xen_restrict_domain(void *priv);

/* ---- vCPU state ------------------------------------------------------------- */

#if defined(__i386__) || defined(__x86_64__)
#include <xen/hvm/save.h>

/** Convert Xen's HVM CPU save record into the backend-neutral registers. */
void ioreqd_xen_cpu_to_regs(const struct hvm_hw_cpu *c, struct ioreqd_vcpu_regs *r);
/** Put the registers into a CPU record; fields regs lacks are left alone. */
void ioreqd_xen_regs_to_cpu(const struct ioreqd_vcpu_regs *r, struct hvm_hw_cpu *c);
/** Xen's 12-bit segment attributes <-> the VMX access-rights layout. */
uint32_t ioreqd_xen_attr_to_ar(uint32_t attr);
uint32_t ioreqd_xen_ar_to_attr(uint32_t ar);

/**
 * Find the CPU record of @p vcpu in a whole-domain HVM context and put @p r
 * into it.  @return 0, -EPROTO for a malformed context or a record of an
 * unexpected size, -ENOENT when the vCPU has no record.
 */
int ioreqd_xen_ctx_patch(uint8_t *ctx, size_t size, unsigned vcpu,
                         const struct ioreqd_vcpu_regs *r);
#endif

/** The instruction pointer of @p vcpu.  @return 0 or a negative errno. */
int ioreqd_xen_ctx_get_ip(xc_interface *xch, unsigned domid, unsigned vcpu, uint64_t *ip);
/** The registers of @p vcpu.  @return 0 or a negative errno. */
int ioreqd_xen_ctx_get(xc_interface *xch, unsigned domid, unsigned vcpu,
                       struct ioreqd_vcpu_regs *r);
/**
 * Write the registers of @p vcpu: pause the domain, fetch the whole context,
 * patch this vCPU's record, load it back, unpause.
 * @return 0 or a negative errno.
 */
int ioreqd_xen_ctx_set(xc_interface *xch, unsigned domid, unsigned vcpu,
                       const struct ioreqd_vcpu_regs *r);

#endif /* IOREQD_BACKEND_XEN_H */
