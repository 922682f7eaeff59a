/* SPDX-License-Identifier: MIT */
/*
 * Guest memory for the Xen backend: string I/O (data_is_ptr) and the hooks'
 * guest_read/guest_write copy through foreign mappings of guest frames.
 * Mapping a frame costs a hypercall and an mmap, and string I/O walks the
 * same few pages over and over, so a small cache keeps the sixteen most
 * recently used single-page mappings.  IOREQ_TYPE_INVALIDATE (Xen tells
 * every emulator after the guest's p2m changed, e.g. ballooning) drops them
 * all, so a stale mapping never outlives the frame it was made for.
 *
 * DMA mappings (struct ioreqd_gmem_ops, for virtio rings and buffers) are
 * separate: one xenforeignmemory_map of the range's frames per call, kept on
 * a list until unmapped, and whatever is left is unmapped at close.  Issue 15
 * replaces this with buckets and grant mappings behind the same calls.
 */
#include "backend-xen.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define PAGE_SHIFT XC_PAGE_SHIFT
#define PAGE_SIZE XC_PAGE_SIZE

void ioreqd_xen_mapcache_init(struct ioreqd_xen_mapcache *mc,
                              xenforeignmemory_handle *fmem, unsigned domid)
{
	static const struct ioreqd_ratelimit rl = IOREQD_RATELIMIT_INIT(10, 1);

	memset(mc, 0, sizeof(*mc));
	mc->fmem = fmem;
	mc->domid = domid;
	mc->rl = rl;
	mc->dma.prev = mc->dma.next = &mc->dma;
}

static void entry_drop(struct ioreqd_xen_mapcache *mc, struct ioreqd_xen_mapping *m)
{
	if (!m->va)
		return;
	if (xenforeignmemory_unmap(mc->fmem, m->va, 1) < 0)
		ioreqd_xen_fail(__func__, "xenforeignmemory_unmap", mc->domid);
	m->va = NULL;
}

void ioreqd_xen_mapcache_invalidate(struct ioreqd_xen_mapcache *mc)
{
	for (unsigned i = 0; i < IOREQD_XEN_MAPCACHE_ENTRIES; i++)
		entry_drop(mc, &mc->e[i]);
}

/*
 * Map one frame.  Pages the guest may only read (a ROM, say) refuse a
 * writable mapping, so a read falls back to a read-only one.
 */
static void *map_frame(struct ioreqd_xen_mapcache *mc, uint64_t gfn, bool write,
                       bool *writable)
{
	xen_pfn_t pfn = (xen_pfn_t)gfn;
	void *va;

	/* err == NULL: all or nothing, and errno says why. */
	va = xenforeignmemory_map(mc->fmem, mc->domid, PROT_READ | PROT_WRITE, 1, &pfn,
	                          NULL);
	if (va) {
		*writable = true;
		return va;
	}
	if (write)
		return NULL;
	va = xenforeignmemory_map(mc->fmem, mc->domid, PROT_READ, 1, &pfn, NULL);
	*writable = false;
	return va;
}

/* @return the mapping of @p gfn, making one (and evicting) if needed; NULL. */
static void *lookup(struct ioreqd_xen_mapcache *mc, uint64_t gfn, bool write)
{
	struct ioreqd_xen_mapping *victim = NULL;
	bool writable;
	void *va;

	mc->tick++;
	for (unsigned i = 0; i < IOREQD_XEN_MAPCACHE_ENTRIES; i++) {
		struct ioreqd_xen_mapping *m = &mc->e[i];

		if (m->va && m->gfn == gfn && (m->writable || !write)) {
			m->last_use = mc->tick;
			mc->hits++;
			return m->va;
		}
		if (m->va && m->gfn == gfn) {
			/* A read-only mapping cannot serve a write: replace it. */
			victim = m;
			break;
		}
		if (!victim || (victim->va && (!m->va || m->last_use < victim->last_use)))
			victim = m;
	}
	mc->misses++;
	if (victim->va)
		mc->evictions++;
	entry_drop(mc, victim);

	va = map_frame(mc, gfn, write, &writable);
	if (!va) {
		int err = errno;

		ioreqd_log_rl(&mc->rl, LOG_LEVEL_WARN,
		              "%s: xenforeignmemory_map: %s (domain %u, gfn 0x%llx, %s)",
		              __func__, strerror(err), mc->domid, (unsigned long long)gfn,
		              write ? "write" : "read");
		return NULL;
	}
	victim->gfn = gfn;
	victim->va = va;
	victim->writable = writable;
	victim->last_use = mc->tick;
	return va;
}

int ioreqd_xen_mapcache_copy(struct ioreqd_xen_mapcache *mc, uint64_t gpa, void *buf,
                             size_t len, bool write)
{
	unsigned char *p = buf;

	if (len == 0)
		return 0;
	/* Reject before the first page is touched: nothing is half-copied. */
	if (len > IOREQD_XEN_COPY_MAX || gpa >= IOREQD_XEN_GPA_LIMIT ||
	    len > IOREQD_XEN_GPA_LIMIT - gpa) {
		ioreqd_log_rl(&mc->rl, LOG_LEVEL_WARN,
		              "%s: domain %u: guest range 0x%llx+0x%zx is out of bounds",
		              __func__, mc->domid, (unsigned long long)gpa, len);
		return -EFAULT;
	}
	while (len) {
		size_t off = gpa & (PAGE_SIZE - 1);
		size_t chunk = PAGE_SIZE - off;
		unsigned char *va;

		if (chunk > len)
			chunk = len;
		va = lookup(mc, gpa >> PAGE_SHIFT, write);
		if (!va)
			return -EFAULT;
		if (write)
			memcpy(va + off, p, chunk);
		else
			memcpy(p, va + off, chunk);
		p += chunk;
		gpa += chunk;
		len -= chunk;
	}
	return 0;
}

int ioreqd_xen_dma_map(struct ioreqd_xen_mapcache *mc, uint64_t gpa, uint64_t len,
                       bool write, void **hva, uintptr_t *token)
{
	struct ioreqd_xen_dma *m = NULL;
	xen_pfn_t *pfns = NULL;
	uint64_t first, last;
	size_t pages;
	int rc = -EFAULT;

	*hva = NULL;
	*token = 0;
	if (len == 0 || len > IOREQD_XEN_DMA_MAX || gpa >= IOREQD_XEN_GPA_LIMIT ||
	    len > IOREQD_XEN_GPA_LIMIT - gpa) {
		ioreqd_log_rl(&mc->rl, LOG_LEVEL_WARN,
		              "%s: domain %u: guest range 0x%llx+0x%llx is out of bounds",
		              __func__, mc->domid, (unsigned long long)gpa,
		              (unsigned long long)len);
		return -EFAULT;
	}
	/* The page count includes the offset into the first page. */
	first = gpa >> PAGE_SHIFT;
	last = (gpa + len - 1) >> PAGE_SHIFT;
	pages = (size_t)(last - first + 1);
	pfns = calloc(pages, sizeof(*pfns));
	m = calloc(1, sizeof(*m));
	if (!pfns || !m) {
		rc = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < pages; i++)
		pfns[i] = (xen_pfn_t)(first + i);
	/* err == NULL: all or nothing, and errno says why. */
	m->va = xenforeignmemory_map(mc->fmem, mc->domid,
	                             write ? PROT_READ | PROT_WRITE : PROT_READ, pages,
	                             pfns, NULL);
	if (!m->va) {
		ioreqd_log_rl(
		    &mc->rl, LOG_LEVEL_WARN,
		    "%s: xenforeignmemory_map: %s (domain %u, gpa 0x%llx+0x%llx, %s)",
		    __func__, strerror(errno), mc->domid, (unsigned long long)gpa,
		    (unsigned long long)len, write ? "write" : "read");
		goto out;
	}
	m->pages = pages;
	m->next = mc->dma.next;
	m->prev = &mc->dma;
	m->next->prev = m;
	mc->dma.next = m;
	mc->dma_live++;
	*hva = (unsigned char *)m->va + (gpa & (PAGE_SIZE - 1));
	*token = (uintptr_t)m;
	m = NULL;
	rc = 0;
out:
	free(m);
	free(pfns);
	return rc;
}

static void dma_drop(struct ioreqd_xen_mapcache *mc, struct ioreqd_xen_dma *m)
{
	m->prev->next = m->next;
	m->next->prev = m->prev;
	mc->dma_live--;
	if (xenforeignmemory_unmap(mc->fmem, m->va, m->pages) < 0)
		ioreqd_xen_fail(__func__, "xenforeignmemory_unmap", mc->domid);
	free(m);
}

void ioreqd_xen_dma_unmap(struct ioreqd_xen_mapcache *mc, uintptr_t token)
{
	if (token)
		dma_drop(mc, (struct ioreqd_xen_dma *)token);
}

unsigned ioreqd_xen_dma_release_all(struct ioreqd_xen_mapcache *mc)
{
	unsigned n = 0;

	while (mc->dma.next && mc->dma.next != &mc->dma) {
		dma_drop(mc, mc->dma.next);
		n++;
	}
	return n;
}
