/* SPDX-License-Identifier: MIT */
/*
 * The fake libxenforeignmemory for the Xen backend's tests (see tests/fake-xen.h): every
 * function the backend calls, with the real prototype, on the simulated
 * domain in fake_xen.
 */
#include "fake-xen.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include <xenforeignmemory.h>

#define PAGE 4096u

struct xenforeignmemory_handle {
	int magic;
};
struct xenforeignmemory_resource_handle {
	void *addr;
};

static struct xenforeignmemory_handle the_fmem;
static struct xenforeignmemory_resource_handle the_fres;

xenforeignmemory_handle *xenforeignmemory_open(struct xentoollog_logger *logger,
                                               unsigned open_flags)
{
	if (fake_xen_call(__func__, 0))
		return NULL;
	fake_xen.live_fmem++;
	return &the_fmem;
}

int xenforeignmemory_close(xenforeignmemory_handle *fmem)
{
	bool fail = fake_xen_call(__func__, 0);

	if (fmem)
		fake_xen.live_fmem--;
	return fail ? -1 : 0;
}

void *xenforeignmemory_map(xenforeignmemory_handle *fmem, uint32_t dom, int prot,
                           size_t pages, const xen_pfn_t arr[], int err[])
{
	struct fake_xen *f = &fake_xen;
	unsigned failed = 0;

	if (fake_xen_call(__func__, pages ? arr[0] : 0) ||
	    fake_xen_wrong_domain((domid_t)dom))
		return NULL;
	/*
	 * Contiguous frames only.  Without err, all or nothing; with err, a
	 * frame that fails is reported there (as a negative errno) and left
	 * unmapped, as privcmd's MMAPBATCH_V2 does.
	 */
	if (pages == 0 || arr[0] >= FAKE_GUEST_PAGES) {
		errno = EINVAL;
		return NULL;
	}
	for (size_t i = 0; i < pages; i++) {
		int e = 0;

		if (arr[i] != arr[0] + i) {
			errno = EINVAL;
			return NULL;
		}
		if (arr[i] >= FAKE_GUEST_PAGES || f->hole[arr[i]])
			e = EINVAL;
		else if ((prot & PROT_WRITE) && f->readonly[arr[i]])
			e = EPERM;
		if (e && !err) {
			errno = e;
			return NULL;
		}
		if (err)
			err[i] = -e;
		failed += e != 0;
	}
	for (unsigned i = 0; i < FAKE_MAX_MAPS; i++) {
		if (f->map_va[i])
			continue;
		f->map_va[i] = f->guest + arr[0] * PAGE;
		if (f->map_syscalls) {
			void *va =
			    mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE,
			         MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

			if (va == MAP_FAILED)
				return NULL;
			f->map_va[i] = va;
		}
		f->map_pages[i] = pages;
		f->live_maps++;
		f->maps_made++;
		f->frames_mapped += pages - failed;
		return f->map_va[i];
	}
	errno = ENOMEM;
	return NULL;
}

int xenforeignmemory_unmap(xenforeignmemory_handle *fmem, void *addr, size_t pages)
{
	struct fake_xen *f = &fake_xen;
	bool fail = fake_xen_call(
	    __func__, addr ? (uint64_t)((uint8_t *)addr - f->guest) / PAGE : 0);

	for (unsigned i = 0; i < FAKE_MAX_MAPS; i++) {
		if (f->map_va[i] != addr || f->map_pages[i] != pages)
			continue;
		if (f->map_syscalls)
			munmap(addr, pages * PAGE);
		f->map_va[i] = NULL;
		f->live_maps--;
		return fail ? -1 : 0;
	}
	errno = EINVAL;
	return -1;
}

xenforeignmemory_resource_handle *
xenforeignmemory_map_resource(xenforeignmemory_handle *fmem, domid_t domid,
                              unsigned int type, unsigned int id, unsigned long frame,
                              unsigned long nr_frames, void **paddr, int prot, int flags)
{
	struct fake_xen *f = &fake_xen;

	if (fake_xen_call(__func__, frame) || fake_xen_wrong_domain(domid))
		return NULL;
	if (type != XENMEM_resource_ioreq_server || id != FAKE_IOSERVID ||
	    !f->live_servers || f->live_resources) {
		errno = EINVAL;
		return NULL;
	}
	/* Frame 0 (the buffered page) exists only with a buffered ring. */
	if (frame + nr_frames > 2 || nr_frames == 0 ||
	    (frame == XENMEM_resource_ioreq_server_frame_bufioreq &&
	     f->bufioreq == HVM_IOREQSRV_BUFIOREQ_OFF)) {
		errno = ENOENT;
		return NULL;
	}
	f->res_frame = frame;
	f->res_nr = nr_frames;
	f->res_prot = prot;
	f->live_resources++;
	the_fres.addr = f->iopages + frame * PAGE;
	*paddr = the_fres.addr;
	return &the_fres;
}

int xenforeignmemory_unmap_resource(xenforeignmemory_handle *fmem,
                                    xenforeignmemory_resource_handle *fres)
{
	bool fail = fake_xen_call(__func__, 0);

	if (fres == &the_fres && fake_xen.live_resources)
		fake_xen.live_resources--;
	return fail ? -1 : 0;
}
