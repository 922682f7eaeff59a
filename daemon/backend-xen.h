/* SPDX-License-Identifier: MIT */
/*
 * Private pieces of the Xen backend, shared by daemon/backend-xen.c (handles,
 * the ioreq server, event channels, xenstore), daemon/backend-xen-mapcache.c
 * (guest memory through foreign mappings) and daemon/backend-xen-ctx.c (vCPU
 * state through the HVM save records).  Only these files include the Xen
 * library headers; the tests link them against tests/fake-xen.c.
 */
#ifndef IOREQD_BACKEND_XEN_H
#define IOREQD_BACKEND_XEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xenctrl.h>
#include <xendevicemodel.h>
#include <xenforeignmemory.h>

#include "log.h"
#include "vcpu-regs.h"

/* The log line for a failed Xen call: "FUNC: CALL: strerror (domain N)". */
int ioreqd_xen_fail(const char *func, const char *call, unsigned domid);

/*
 * Arm: check that the guest's vGIC has SPI @irq (a GIC INTID) for us to drive,
 * with a trial set_irq_level(irq, 0).  @return 0, or -errno after logging how
 * to give the guest the line.
 */
int ioreqd_xen_spi_check(xendevicemodel_handle *dmod, unsigned domid, unsigned irq);

/* ---- guest memory ----------------------------------------------------------- */

/* How many single-page mappings the cache keeps (least recently used goes). */
#define IOREQD_XEN_MAPCACHE_ENTRIES 16

/* The largest guest-physical address accepted (x86 and Arm: 52 bits). */
#define IOREQD_XEN_GPA_LIMIT (1ull << 52)

/* The largest single copy: the engine never moves more than a page of reps. */
#define IOREQD_XEN_COPY_MAX (1u << 20)

struct ioreqd_xen_mapping {
	uint64_t gfn;
	void *va;          /* NULL: the entry is free */
	uint64_t last_use; /* mapcache tick of the last hit */
	bool writable;
};

/* One DMA mapping handed out by ioreqd_xen_dma_map, until it is unmapped. */
struct ioreqd_xen_dma {
	struct ioreqd_xen_dma *prev, *next;
	void *va; /* the first mapped page */
	size_t pages;
};

/* The largest DMA mapping: a virtio buffer is at most this long (the pfn list
 * of one call stays small). */
#define IOREQD_XEN_DMA_MAX (64u << 20)

struct ioreqd_xen_mapcache {
	xenforeignmemory_handle *fmem;
	struct ioreqd_xen_dma dma; /* list head of the DMA mappings live */
	unsigned dma_live;
	unsigned domid;
	uint64_t tick;
	struct ioreqd_xen_mapping e[IOREQD_XEN_MAPCACHE_ENTRIES];
	uint64_t hits, misses, evictions;
	struct ioreqd_ratelimit rl;
};

/** Start an empty cache over @p fmem (no mapping is made yet). */
void ioreqd_xen_mapcache_init(struct ioreqd_xen_mapcache *mc,
                              xenforeignmemory_handle *fmem, unsigned domid);
/** Unmap everything (IOREQ_TYPE_INVALIDATE, close).  Safe to call twice. */
void ioreqd_xen_mapcache_invalidate(struct ioreqd_xen_mapcache *mc);
/**
 * Copy @p len bytes between guest-physical @p gpa and @p buf, page by page.
 * @return 0 or -EFAULT (bad range, or a page that cannot be mapped).
 */
int ioreqd_xen_mapcache_copy(struct ioreqd_xen_mapcache *mc, uint64_t gpa, void *buf,
                             size_t len, bool write);
/**
 * Map [gpa, gpa + len) for DMA with one xenforeignmemory_map of its frames
 * (struct ioreqd_gmem_ops.map; per call, not cached yet).
 * @return 0, or -EFAULT (bad range, frames not mappable, read-only and @p write).
 */
int ioreqd_xen_dma_map(struct ioreqd_xen_mapcache *mc, uint64_t gpa, uint64_t len,
                       bool write, void **hva, uintptr_t *token);
/** Release a mapping of ioreqd_xen_dma_map. */
void ioreqd_xen_dma_unmap(struct ioreqd_xen_mapcache *mc, uintptr_t token);
/** Release every DMA mapping still live (close).  @return how many there were. */
unsigned ioreqd_xen_dma_release_all(struct ioreqd_xen_mapcache *mc);

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
