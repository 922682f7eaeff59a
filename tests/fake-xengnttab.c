/* SPDX-License-Identifier: MIT */
/*
 * The fake libxengnttab for the Xen backend's tests (see tests/fake-xen.h):
 * the guest's grant table is fake_xen.grants (ref -> frame, read-only or
 * not, filled with fake_xen_grant), and a mapping of consecutive refs is a
 * private, page-aligned copy of their frames that is written back to guest
 * memory at unmap when it was writable; enough for a test that writes
 * through the mapping and checks guest memory once it is unmapped.
 */
#include "fake-xen.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <xengnttab.h>

#define PAGE 4096u

struct xengntdev_handle {
	int magic;
};

static struct xengntdev_handle the_xgt;

xengnttab_handle *xengnttab_open(struct xentoollog_logger *logger, unsigned open_flags)
{
	if (fake_xen_call(__func__, 0))
		return NULL;
	fake_xen.live_xgt++;
	return &the_xgt;
}

int xengnttab_close(xengnttab_handle *xgt)
{
	bool fail = fake_xen_call(__func__, 0);

	if (xgt)
		fake_xen.live_xgt--;
	return fail ? -1 : 0;
}

void *xengnttab_map_domain_grant_refs(xengnttab_handle *xgt, uint32_t count,
                                      uint32_t domid, uint32_t *refs, int prot)
{
	struct fake_xen *f = &fake_xen;
	struct fake_grant_map *g = NULL;

	if (fake_xen_call(__func__, count ? refs[0] : 0) ||
	    fake_xen_wrong_domain((domid_t)domid))
		return NULL;
	f->last_grant_prot = prot;
	/* All or nothing, as gntdev does. */
	for (uint32_t i = 0; i < count; i++) {
		const struct fake_grant *gr =
		    refs[i] < FAKE_MAX_GRANTS ? &f->grants[refs[i]] : NULL;

		if (!gr || !gr->granted) {
			errno = EINVAL;
			return NULL;
		}
		if ((prot & PROT_WRITE) && gr->readonly) {
			errno = EPERM;
			return NULL;
		}
	}
	for (unsigned i = 0; i < FAKE_MAX_GRANT_MAPS && !g; i++)
		if (!f->gmaps[i].va)
			g = &f->gmaps[i];
	if (!g || count == 0) {
		errno = ENOMEM;
		return NULL;
	}
	g->va = aligned_alloc(PAGE, (size_t)count * PAGE);
	g->refs = calloc(count, sizeof(*g->refs));
	if (!g->va || !g->refs)
		abort();
	for (uint32_t i = 0; i < count; i++) {
		g->refs[i] = refs[i];
		memcpy(g->va + (size_t)i * PAGE,
		       fake_xen_guest((uint64_t)f->grants[refs[i]].gfn * PAGE), PAGE);
	}
	g->count = count;
	g->write = (prot & PROT_WRITE) != 0;
	f->live_grant_maps++;
	return g->va;
}

int xengnttab_unmap(xengnttab_handle *xgt, void *start_address, uint32_t count)
{
	struct fake_xen *f = &fake_xen;
	bool fail = fake_xen_call(__func__, count);

	for (unsigned i = 0; i < FAKE_MAX_GRANT_MAPS; i++) {
		struct fake_grant_map *g = &f->gmaps[i];

		if (!g->va || g->va != start_address || g->count != count)
			continue;
		for (uint32_t p = 0; g->write && p < count; p++)
			memcpy(fake_xen_guest((uint64_t)f->grants[g->refs[p]].gfn * PAGE),
			       g->va + (size_t)p * PAGE, PAGE);
		free(g->va);
		free(g->refs);
		memset(g, 0, sizeof(*g));
		f->live_grant_maps--;
		return fail ? -1 : 0;
	}
	errno = EINVAL;
	return -1;
}
