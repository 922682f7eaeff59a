/* SPDX-License-Identifier: MIT */
/*
 * Guest memory for the Xen backend: DMA mappings (struct ioreqd_gmem_ops, for
 * virtio rings and buffers) and the copies of string I/O and of the hooks'
 * guest_read/guest_write, all through one cache of foreign mappings.
 *
 * A foreign mapping costs a hypercall and an mmap (and an munmap and TLB
 * flush to undo), so guest memory is mapped in aligned buckets
 * (IOREQD_XEN_BUCKET_SHIFT) that outlive the request that needed them: each
 * bucket counts the mappings handed out of it, and one nobody uses waits in
 * an LRU list until the cache holds more than its cap, when the oldest go.
 * A range that spans buckets gets one mapping of all of them, contiguous, in
 * the index under its first bucket like any other.  In the steady state of a
 * virtio device (rings mapped once, buffers from a small pool) a request
 * costs no hypercall at all.
 *
 * A bucket is mapped with a per-frame error array, so a frame that is not
 * the guest's RAM (a hole of the memory map, a frame that refuses a writable
 * mapping) only marks that frame bad: a request that touches a bad frame gets
 * a dedicated mapping of exactly its frames and protection, which either
 * works (a read of a read-only page) or fails with -EFAULT.  Addresses are
 * checked before anything is mapped against the guest's highest frame
 * (xc_domain_maximum_gpfn: the highest frame in the p2m, for x86 HVM/PVH and
 * Arm alike), asked again when an address beyond it comes, in case the guest
 * grew; a confined daemon no longer has libxenctrl and checks against the
 * architecture's limit only, leaving the rest to Xen's per-frame answer.
 *
 * IOREQ_TYPE_INVALIDATE (the guest's p2m changed, e.g. ballooning) unmaps
 * every unused bucket and marks those in use stale: they stay valid for whoever
 * holds them (gmem.h: a mapping lasts until unmapped), are unmapped at their
 * last unmap and never handed out again.  Close unmaps everything.
 *
 * Grant addresses (bit 63 set: gref << 12 | offset, consecutive grefs for a
 * longer buffer) are mapped with xengnttab_map_domain_grant_refs, read-only
 * unless the mapping is for writing, and unmapped at their unmap: a guest
 * ends its grants once the request is done and cannot while we hold them,
 * and rings, the long-lived mappings, are already kept by the virtio core.
 * Xen marks a writable grant's page dirty itself when it is unmapped.
 *
 * The token handed out is the mapping's record with bit 0 set when it was
 * taken for writing, so unmap can report the written range to an optional
 * dirty callback (log-dirty tracking for live migration).
 */
#include "backend-xen.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define PAGE_SHIFT XC_PAGE_SHIFT
#define PAGE_SIZE XC_PAGE_SIZE
#define BUCKET_PAGES IOREQD_XEN_BUCKET_PAGES
#define TOKEN_WRITE ((uintptr_t)1)

_Static_assert(_Alignof(struct ioreqd_xen_map) > 1, "token bit 0 must be free");

/* Frames at or beyond this are never guest RAM on x86 or Arm. */
#define FRAME_LIMIT (IOREQD_XEN_GPA_LIMIT >> PAGE_SHIFT)

void ioreqd_xen_mapcache_init(struct ioreqd_xen_mapcache *mc,
                              xenforeignmemory_handle *fmem, xc_interface *xch,
                              unsigned domid)
{
	static const struct ioreqd_ratelimit rl = IOREQD_RATELIMIT_INIT(10, 1);

	memset(mc, 0, sizeof(*mc));
	mc->fmem = fmem;
	mc->xch = xch;
	mc->domid = domid;
	mc->rl = rl;
	mc->cap = IOREQD_XEN_MAPCACHE_BYTES;
	mc->lru.lru_prev = mc->lru.lru_next = &mc->lru;
	mc->all.all_prev = mc->all.all_next = &mc->all;
	/* 0: not asked yet (the first range asks, or confine does). */
	mc->limit = xch ? 0 : FRAME_LIMIT;
}

/*
 * The first address, or one beyond the highest frame we know of (has the
 * guest grown?): ask Xen.  Without an answer only the architecture bounds
 * the guest, and Xen's per-frame answer decides.
 */
static void limit_refresh(struct ioreqd_xen_mapcache *mc)
{
	xen_pfn_t max = 0;

	if (!mc->xch) {
		if (!mc->limit)
			mc->limit = FRAME_LIMIT;
		return;
	}
	if (xc_domain_maximum_gpfn(mc->xch, mc->domid, &max) < 0) {
		ioreqd_xen_fail(mc->domid, "xc_domain_maximum_gpfn",
		                "cannot read the size of the guest's memory; only "
		                "the architecture bounds its addresses");
		if (!mc->limit)
			mc->limit = FRAME_LIMIT;
		return;
	}
	mc->limit = max < FRAME_LIMIT ? (uint64_t)max + 1 : FRAME_LIMIT;
}

void ioreqd_xen_mapcache_confine(struct ioreqd_xen_mapcache *mc)
{
	if (mc->xch && !mc->limit)
		limit_refresh(mc);
	mc->xch = NULL;
	if (!mc->limit)
		mc->limit = FRAME_LIMIT;
}

/* @return true if [gpa, gpa + len) is a plausible guest range of at most @p max. */
static bool range_ok(struct ioreqd_xen_mapcache *mc, uint64_t gpa, uint64_t len,
                     uint64_t max)
{
	uint64_t last;

	if (len == 0 || len > max || gpa >= IOREQD_XEN_GPA_LIMIT ||
	    len > IOREQD_XEN_GPA_LIMIT - gpa)
		return false;
	last = (gpa + len - 1) >> PAGE_SHIFT;
	if (last < mc->limit)
		return true;
	limit_refresh(mc);
	return last < mc->limit;
}

static int refuse(struct ioreqd_xen_mapcache *mc, const char *what, uint64_t gpa,
                  uint64_t len)
{
	mc->st.refused++;
	ioreqd_log_rl(&mc->rl, LOG_LEVEL_WARN,
	              "domain %u: %s refused: guest range 0x%llx+0x%llx is not in its "
	              "memory (frames below 0x%llx)",
	              mc->domid, what, (unsigned long long)gpa, (unsigned long long)len,
	              (unsigned long long)mc->limit);
	return -EFAULT;
}

/* ---- the lists ---------------------------------------------------------------- */

static void lru_push(struct ioreqd_xen_mapcache *mc, struct ioreqd_xen_map *m)
{
	m->lru_prev = &mc->lru;
	m->lru_next = mc->lru.lru_next;
	m->lru_next->lru_prev = m;
	mc->lru.lru_next = m;
}

static void lru_remove(struct ioreqd_xen_map *m)
{
	if (!m->lru_next)
		return;
	m->lru_prev->lru_next = m->lru_next;
	m->lru_next->lru_prev = m->lru_prev;
	m->lru_prev = m->lru_next = NULL;
}

static struct ioreqd_xen_map **chain(struct ioreqd_xen_mapcache *mc, uint64_t first)
{
	return &mc->index[(first / BUCKET_PAGES) % IOREQD_XEN_MAPCACHE_HASH];
}

static void index_remove(struct ioreqd_xen_mapcache *mc, struct ioreqd_xen_map *m)
{
	for (struct ioreqd_xen_map **p = chain(mc, m->first); *p; p = &(*p)->hnext) {
		if (*p == m) {
			*p = m->hnext;
			break;
		}
	}
	m->hnext = NULL;
}

static void all_add(struct ioreqd_xen_mapcache *mc, struct ioreqd_xen_map *m)
{
	m->all_prev = &mc->all;
	m->all_next = mc->all.all_next;
	m->all_next->all_prev = m;
	mc->all.all_next = m;
	mc->st.bytes_mapped += (uint64_t)m->pages * PAGE_SIZE;
}

/* Unmap @p m and forget it, whatever its state. */
static void map_free(struct ioreqd_xen_mapcache *mc, struct ioreqd_xen_map *m)
{
	lru_remove(m);
	if (m->kind == IOREQD_XEN_MAP_BUCKET && !m->stale)
		index_remove(mc, m);
	m->all_prev->all_next = m->all_next;
	m->all_next->all_prev = m->all_prev;
	mc->st.bytes_mapped -= (uint64_t)m->pages * PAGE_SIZE;
	mc->st.unmap_calls++;
	if (m->kind == IOREQD_XEN_MAP_GRANT) {
		if (xengnttab_unmap(mc->xgt, m->va, m->pages) < 0)
			ioreqd_xen_fail(mc->domid, "xengnttab_unmap",
			                "cannot unmap grant refs %llu+%zu",
			                (unsigned long long)m->first, m->pages);
	} else if (xenforeignmemory_unmap(mc->fmem, m->va, m->pages) < 0) {
		ioreqd_xen_fail(mc->domid, "xenforeignmemory_unmap",
		                "cannot unmap guest memory 0x%llx+0x%llx",
		                (unsigned long long)(m->first << PAGE_SHIFT),
		                (unsigned long long)m->pages << PAGE_SHIFT);
	}
	free(m->bad);
	free(m);
}

/* Unmap unused buckets, oldest first, until the cache is within its cap. */
static void evict(struct ioreqd_xen_mapcache *mc)
{
	while (mc->st.bytes_mapped > mc->cap && mc->lru.lru_prev != &mc->lru) {
		map_free(mc, mc->lru.lru_prev);
		mc->st.evictions++;
	}
}

/* ---- mapping -------------------------------------------------------------------- */

/* @return the bucket mapping at first bucket @p b0 that covers frame @p f1, or NULL. */
static struct ioreqd_xen_map *bucket_find(struct ioreqd_xen_mapcache *mc, uint64_t b0,
                                          uint64_t f1)
{
	uint64_t first = b0 * BUCKET_PAGES;

	for (struct ioreqd_xen_map *m = *chain(mc, first); m; m = m->hnext)
		if (m->first == first && f1 < m->first + m->pages)
			return m;
	return NULL;
}

static bool frames_ok(const struct ioreqd_xen_map *m, uint64_t f0, uint64_t f1)
{
	if (!m->bad)
		return true;
	for (uint64_t f = f0 - m->first; f <= f1 - m->first; f++)
		if (m->bad[f / 64] & (1ull << (f % 64)))
			return false;
	return true;
}

static xen_pfn_t *frame_list(uint64_t first, size_t pages)
{
	xen_pfn_t *pfns = calloc(pages, sizeof(*pfns));

	for (size_t i = 0; pfns && i < pages; i++)
		pfns[i] = (xen_pfn_t)(first + i);
	return pfns;
}

/*
 * Map @p nb buckets from bucket @p b0, writable, frame by frame (frames past
 * the guest's highest are not asked for).  @return the new, unused bucket
 * (in the index, not in the LRU list), or NULL after logging.
 */
static struct ioreqd_xen_map *bucket_map(struct ioreqd_xen_mapcache *mc, uint64_t b0,
                                         uint64_t nb)
{
	uint64_t first = b0 * BUCKET_PAGES;
	size_t pages = (size_t)(nb * BUCKET_PAGES);
	struct ioreqd_xen_map *m = calloc(1, sizeof(*m));
	xen_pfn_t *pfns = NULL;
	int *err = NULL;

	if (first + pages > mc->limit)
		pages = (size_t)(mc->limit - first);
	pfns = frame_list(first, pages);
	err = calloc(pages, sizeof(*err));
	if (!m || !pfns || !err)
		goto fail;
	mc->st.map_calls++;
	/* With err: frames that fail are reported there, the rest are mapped. */
	m->va = xenforeignmemory_map(mc->fmem, mc->domid, PROT_READ | PROT_WRITE, pages,
	                             pfns, err);
	if (!m->va) {
		ioreqd_log_rl(&mc->rl, LOG_LEVEL_WARN,
		              "domain %u: cannot map guest memory 0x%llx+0x%llx "
		              "(xenforeignmemory_map: %s)",
		              mc->domid, (unsigned long long)(first << PAGE_SHIFT),
		              (unsigned long long)pages << PAGE_SHIFT, strerror(errno));
		goto fail;
	}
	for (size_t i = 0; i < pages; i++) {
		if (!err[i])
			continue;
		if (!m->bad)
			m->bad = calloc((pages + 63) / 64, sizeof(*m->bad));
		if (!m->bad) {
			if (xenforeignmemory_unmap(mc->fmem, m->va, pages) < 0)
				ioreqd_xen_fail(mc->domid, "xenforeignmemory_unmap",
				                "cannot unmap guest memory 0x%llx+0x%llx",
				                (unsigned long long)(first << PAGE_SHIFT),
				                (unsigned long long)pages << PAGE_SHIFT);
			goto fail;
		}
		m->bad[i / 64] |= 1ull << (i % 64);
	}
	m->first = first;
	m->pages = pages;
	m->kind = IOREQD_XEN_MAP_BUCKET;
	m->hnext = *chain(mc, first);
	*chain(mc, first) = m;
	all_add(mc, m);
	mc->st.buckets_mapped += nb;
	free(pfns);
	free(err);
	return m;
fail:
	free(m);
	free(pfns);
	free(err);
	return NULL;
}

/* Map exactly frames [f0, f1] with the protection asked for, all or nothing. */
static struct ioreqd_xen_map *dedicated_map(struct ioreqd_xen_mapcache *mc, uint64_t f0,
                                            uint64_t f1, bool write)
{
	size_t pages = (size_t)(f1 - f0 + 1);
	struct ioreqd_xen_map *m = calloc(1, sizeof(*m));
	xen_pfn_t *pfns = frame_list(f0, pages);

	if (!m || !pfns)
		goto fail;
	mc->st.map_calls++;
	/* err == NULL: all or nothing, and errno says why. */
	m->va = xenforeignmemory_map(mc->fmem, mc->domid,
	                             write ? PROT_READ | PROT_WRITE : PROT_READ, pages,
	                             pfns, NULL);
	if (!m->va) {
		ioreqd_log_rl(&mc->rl, LOG_LEVEL_WARN,
		              "domain %u: cannot map guest memory 0x%llx+0x%llx for %s "
		              "(xenforeignmemory_map: %s)",
		              mc->domid, (unsigned long long)(f0 << PAGE_SHIFT),
		              (unsigned long long)pages << PAGE_SHIFT,
		              write ? "writing" : "reading", strerror(errno));
		goto fail;
	}
	m->first = f0;
	m->pages = pages;
	m->kind = IOREQD_XEN_MAP_DEDICATED;
	m->writable = write;
	all_add(mc, m);
	free(pfns);
	return m;
fail:
	free(m);
	free(pfns);
	return NULL;
}

/* Map a range already checked by range_ok. */
static int frames_map(struct ioreqd_xen_mapcache *mc, uint64_t gpa, uint64_t len,
                      bool write, void **hva, uintptr_t *token)
{
	uint64_t f0 = gpa >> PAGE_SHIFT, f1 = (gpa + len - 1) >> PAGE_SHIFT;
	uint64_t b0 = f0 / BUCKET_PAGES, nb = f1 / BUCKET_PAGES - b0 + 1;
	struct ioreqd_xen_map *m = bucket_find(mc, b0, f1);

	if (m && frames_ok(m, f0, f1)) {
		mc->st.hits++;
	} else if (!m) {
		mc->st.misses++;
		m = bucket_map(mc, b0, nb);
		if (!m)
			return -EFAULT;
		if (!frames_ok(m, f0, f1)) {
			/* Keep it for the good frames around; this range goes alone. */
			lru_push(mc, m);
			m = NULL;
		}
	} else {
		mc->st.misses++;
		m = NULL;
	}
	if (!m) {
		m = dedicated_map(mc, f0, f1, write);
		if (!m) {
			/* A bucket just mapped for the good frames may be one too many.
			 */
			evict(mc);
			return -EFAULT;
		}
	}
	if (m->refs++ == 0) {
		lru_remove(m);
		mc->live++;
	}
	evict(mc);
	*hva = m->va + ((gpa - (m->first << PAGE_SHIFT)));
	*token = (uintptr_t)m | (write ? TOKEN_WRITE : 0);
	return 0;
}

int ioreqd_xen_mapcache_grants_open(struct ioreqd_xen_mapcache *mc)
{
	int err;

	if (mc->xgt)
		return 0;
	mc->xgt = xengnttab_open(mc->xtl, 0);
	if (mc->xgt)
		return 0;
	err = errno ? errno : EIO;
	mc->xgt_failed = true;
	log_warnx("domain %u: xengnttab_open: %s: the guest's grant DMA addresses "
	          "cannot be mapped (is the xen-gntdev module loaded?)",
	          mc->domid, strerror(err));
	return -err;
}

/* [addr, addr + len) of the grant address space, bit 63 cleared. */
static int grant_map(struct ioreqd_xen_mapcache *mc, uint64_t addr, uint64_t len,
                     bool write, void **hva, uintptr_t *token)
{
	uint64_t gref = addr >> PAGE_SHIFT;
	uint64_t pages = ((addr & (PAGE_SIZE - 1)) + len + PAGE_SIZE - 1) >> PAGE_SHIFT;
	struct ioreqd_xen_map *m = NULL;
	uint32_t *refs = NULL;
	int rc = -EFAULT;

	/* Grant refs are 32-bit: the last one must be one too. */
	if (len == 0 || len > IOREQD_XEN_DMA_MAX || gref > UINT32_MAX ||
	    pages - 1 > UINT32_MAX - gref)
		return refuse(mc, "grant DMA mapping", addr | IOREQD_XEN_GRANT_BIT, len);
	if (!mc->xgt && (mc->xgt_failed || ioreqd_xen_mapcache_grants_open(mc) < 0))
		return -EFAULT;
	refs = calloc((size_t)pages, sizeof(*refs));
	m = calloc(1, sizeof(*m));
	if (!refs || !m) {
		rc = -ENOMEM;
		goto out;
	}
	for (uint64_t i = 0; i < pages; i++)
		refs[i] = (uint32_t)(gref + i);
	mc->st.misses++;
	mc->st.map_calls++;
	m->va =
	    xengnttab_map_domain_grant_refs(mc->xgt, (uint32_t)pages, mc->domid, refs,
	                                    write ? PROT_READ | PROT_WRITE : PROT_READ);
	if (!m->va) {
		ioreqd_log_rl(&mc->rl, LOG_LEVEL_WARN,
		              "domain %u: cannot map grant refs %llu+%llu for %s "
		              "(xengnttab_map_domain_grant_refs: %s)",
		              mc->domid, (unsigned long long)gref,
		              (unsigned long long)pages, write ? "writing" : "reading",
		              strerror(errno));
		goto out;
	}
	m->first = gref;
	m->pages = (size_t)pages;
	m->kind = IOREQD_XEN_MAP_GRANT;
	m->writable = write;
	m->refs = 1;
	all_add(mc, m);
	mc->live++;
	mc->st.grant_maps++;
	*hva = m->va + (addr & (PAGE_SIZE - 1));
	/* No write bit: the range is not guest-physical, and Xen logs it dirty. */
	*token = (uintptr_t)m;
	m = NULL;
	rc = 0;
out:
	free(m);
	free(refs);
	return rc;
}

int ioreqd_xen_dma_map(struct ioreqd_xen_mapcache *mc, uint64_t gpa, uint64_t len,
                       bool write, void **hva, uintptr_t *token)
{
	*hva = NULL;
	*token = 0;
	if (gpa & IOREQD_XEN_GRANT_BIT)
		return grant_map(mc, gpa & ~IOREQD_XEN_GRANT_BIT, len, write, hva, token);
	if (!range_ok(mc, gpa, len, IOREQD_XEN_DMA_MAX))
		return refuse(mc, "DMA mapping", gpa, len);
	return frames_map(mc, gpa, len, write, hva, token);
}

void ioreqd_xen_dma_unmap(struct ioreqd_xen_mapcache *mc, void *hva, uint64_t len,
                          uintptr_t token)
{
	struct ioreqd_xen_map *m = (struct ioreqd_xen_map *)(token & ~TOKEN_WRITE);

	if (!m)
		return;
	if ((token & TOKEN_WRITE) && mc->dirty)
		mc->dirty(mc->dirty_arg,
		          (m->first << PAGE_SHIFT) + (uint64_t)((uint8_t *)hva - m->va),
		          len);
	if (--m->refs > 0)
		return;
	mc->live--;
	if (m->kind == IOREQD_XEN_MAP_BUCKET && !m->stale) {
		lru_push(mc, m);
		evict(mc);
		return;
	}
	map_free(mc, m);
}

int ioreqd_xen_mapcache_copy(struct ioreqd_xen_mapcache *mc, uint64_t gpa, void *buf,
                             size_t len, bool write)
{
	uintptr_t token;
	void *va;

	if (len == 0)
		return 0;
	/* Reject before anything is mapped: nothing is half-copied. */
	if (!range_ok(mc, gpa, len, IOREQD_XEN_COPY_MAX))
		return refuse(mc, write ? "guest memory write" : "guest memory read", gpa,
		              len);
	if (frames_map(mc, gpa, len, write, &va, &token) < 0)
		return -EFAULT;
	if (write)
		memcpy(va, buf, len);
	else
		memcpy(buf, va, len);
	ioreqd_xen_dma_unmap(mc, va, len, token);
	return 0;
}

void ioreqd_xen_mapcache_invalidate(struct ioreqd_xen_mapcache *mc)
{
	while (mc->lru.lru_prev && mc->lru.lru_prev != &mc->lru)
		map_free(mc, mc->lru.lru_prev);
	/* What is left in the index is in use: it goes at its last unmap. */
	for (unsigned i = 0; i < IOREQD_XEN_MAPCACHE_HASH; i++) {
		while (mc->index[i]) {
			struct ioreqd_xen_map *m = mc->index[i];

			mc->index[i] = m->hnext;
			m->hnext = NULL;
			m->stale = true;
		}
	}
}

unsigned ioreqd_xen_mapcache_release_all(struct ioreqd_xen_mapcache *mc)
{
	unsigned n = mc->live;

	while (mc->all.all_next && mc->all.all_next != &mc->all)
		map_free(mc, mc->all.all_next);
	mc->live = 0;
	if (mc->xgt && xengnttab_close(mc->xgt) < 0)
		ioreqd_xen_fail(mc->domid, "xengnttab_close",
		                "cannot close the grant-table handle");
	mc->xgt = NULL;
	return n;
}

void ioreqd_xen_mapcache_stats(const struct ioreqd_xen_mapcache *mc,
                               void (*emit)(void *ctx, const char *group,
                                            const char *name, uint64_t value),
                               void *ctx)
{
	const struct ioreqd_xen_mapcache_stats *s = &mc->st;

	emit(ctx, "mapcache", "hits", s->hits);
	emit(ctx, "mapcache", "misses", s->misses);
	emit(ctx, "mapcache", "map_calls", s->map_calls);
	emit(ctx, "mapcache", "unmap_calls", s->unmap_calls);
	emit(ctx, "mapcache", "buckets_mapped", s->buckets_mapped);
	emit(ctx, "mapcache", "bytes_mapped", s->bytes_mapped);
	emit(ctx, "mapcache", "grant_maps", s->grant_maps);
	emit(ctx, "mapcache", "evictions", s->evictions);
	emit(ctx, "mapcache", "refused", s->refused);
}
