/* SPDX-License-Identifier: MIT */
/*
 * The fake libxendevicemodel for the Xen backend's tests (see tests/fake-xen.h): every
 * function the backend calls, with the real prototype, on the simulated
 * domain in fake_xen.
 */
#include "fake-xen.h"

#include <errno.h>
#include <string.h>

#include <xendevicemodel.h>

#define PAGE 4096u

struct xendevicemodel_handle {
	int magic;
};

static struct xendevicemodel_handle the_dmod;

xendevicemodel_handle *xendevicemodel_open(struct xentoollog_logger *logger,
                                           unsigned int open_flags)
{
	if (fake_xen_call(__func__, 0))
		return NULL;
	fake_xen.live_dmod++;
	return &the_dmod;
}

int xendevicemodel_close(xendevicemodel_handle *dmod)
{
	bool fail = fake_xen_call(__func__, 0);

	if (dmod)
		fake_xen.live_dmod--;
	return fail ? -1 : 0;
}

int xendevicemodel_create_ioreq_server(xendevicemodel_handle *dmod, domid_t domid,
                                       int handle_bufioreq, ioservid_t *id)
{
	if (fake_xen_call(__func__, (uint64_t)handle_bufioreq) ||
	    fake_xen_wrong_domain(domid))
		return -1;
	if (fake_xen.live_servers) {
		errno = ENOSPC;
		return -1;
	}
	fake_xen.bufioreq = handle_bufioreq;
	fake_xen.live_servers++;
	*id = FAKE_IOSERVID;
	return 0;
}

int xendevicemodel_get_ioreq_server_info(xendevicemodel_handle *dmod, domid_t domid,
                                         ioservid_t id, xen_pfn_t *ioreq_gfn,
                                         xen_pfn_t *bufioreq_gfn,
                                         evtchn_port_t *bufioreq_port)
{
	if (fake_xen_call(__func__, 0) || fake_xen_wrong_domain(domid))
		return -1;
	/* domain_kill() destroys every ioreq server of a dying domain at once. */
	if (id != FAKE_IOSERVID || !fake_xen.live_servers ||
	    fake_xen.state == FAKE_DOM_DYING) {
		errno = ENOENT;
		return -1;
	}
	/* Asking for gfns would make Xen map the pages into the guest. */
	if (ioreq_gfn || bufioreq_gfn) {
		errno = EPERM;
		return -1;
	}
	if (bufioreq_port && fake_xen.bufioreq != HVM_IOREQSRV_BUFIOREQ_OFF)
		*bufioreq_port = FAKE_BUF_REMOTE_PORT;
	return 0;
}

static int range_op(const char *name, domid_t domid, ioservid_t id, int is_mmio,
                    uint64_t start, uint64_t end, bool map)
{
	struct fake_xen *f = &fake_xen;

	if (fake_xen_call(name, start) || fake_xen_wrong_domain(domid))
		return -1;
	if (id != FAKE_IOSERVID || start > end) {
		errno = EINVAL;
		return -1;
	}
	for (unsigned i = 0; i < f->nr_ranges; i++) {
		struct fake_range *r = &f->ranges[i];

		if (r->is_mmio != is_mmio || r->start > end || r->end < start)
			continue;
		if (map || r->start != start || r->end != end) {
			errno = EEXIST;
			return -1;
		}
		*r = f->ranges[--f->nr_ranges];
		return 0;
	}
	if (!map) {
		errno = ENOENT;
		return -1;
	}
	f->ranges[f->nr_ranges++] = (struct fake_range){is_mmio, start, end};
	return 0;
}

int xendevicemodel_map_io_range_to_ioreq_server(xendevicemodel_handle *dmod,
                                                domid_t domid, ioservid_t id, int is_mmio,
                                                uint64_t start, uint64_t end)
{
	return range_op(__func__, domid, id, is_mmio, start, end, true);
}

int xendevicemodel_unmap_io_range_from_ioreq_server(xendevicemodel_handle *dmod,
                                                    domid_t domid, ioservid_t id,
                                                    int is_mmio, uint64_t start,
                                                    uint64_t end)
{
	return range_op(__func__, domid, id, is_mmio, start, end, false);
}

static int pcidev_op(const char *name, domid_t domid, uint16_t segment, uint8_t bus,
                     uint8_t device, uint8_t function, bool map)
{
	struct fake_xen *f = &fake_xen;
	uint32_t sbdf = ((uint32_t)segment << 16) | ((uint32_t)bus << 8) |
	                ((uint32_t)device << 3) | function;

	if (fake_xen_call(name, sbdf) || fake_xen_wrong_domain(domid))
		return -1;
	if (device > 0x1f || function > 7) {
		errno = EINVAL;
		return -1;
	}
	for (unsigned i = 0; i < f->nr_pcidevs; i++) {
		if (f->pcidevs[i] != sbdf)
			continue;
		if (map) {
			errno = EEXIST;
			return -1;
		}
		f->pcidevs[i] = f->pcidevs[--f->nr_pcidevs];
		return 0;
	}
	if (!map) {
		errno = ENOENT;
		return -1;
	}
	f->pcidevs[f->nr_pcidevs++] = sbdf;
	return 0;
}

int xendevicemodel_map_pcidev_to_ioreq_server(xendevicemodel_handle *dmod, domid_t domid,
                                              ioservid_t id, uint16_t segment,
                                              uint8_t bus, uint8_t device,
                                              uint8_t function)
{
	return pcidev_op(__func__, domid, segment, bus, device, function, true);
}

int xendevicemodel_unmap_pcidev_from_ioreq_server(xendevicemodel_handle *dmod,
                                                  domid_t domid, ioservid_t id,
                                                  uint16_t segment, uint8_t bus,
                                                  uint8_t device, uint8_t function)
{
	return pcidev_op(__func__, domid, segment, bus, device, function, false);
}

int xendevicemodel_destroy_ioreq_server(xendevicemodel_handle *dmod, domid_t domid,
                                        ioservid_t id)
{
	bool fail = fake_xen_call(__func__, id);

	if (id == FAKE_IOSERVID && fake_xen.live_servers) {
		fake_xen.live_servers--;
		/* Destroying the server frees its pages and ranges. */
		fake_xen.enabled = false;
		fake_xen.nr_ranges = 0;
		fake_xen.nr_pcidevs = 0;
	}
	return fail ? -1 : 0;
}

int xendevicemodel_set_ioreq_server_state(xendevicemodel_handle *dmod, domid_t domid,
                                          ioservid_t id, int enabled)
{
	bool fail = fake_xen_call(__func__, (uint64_t)enabled);

	/* Disabling is a release: it happens even when the call "fails". */
	if (!enabled)
		fake_xen.enabled = false;
	if (fail || fake_xen_wrong_domain(domid))
		return -1;
	if (id != FAKE_IOSERVID || !fake_xen.live_servers) {
		errno = ENOENT;
		return -1;
	}
	if (enabled) {
		shared_iopage_t *sp = (void *)(fake_xen.iopages + PAGE);

		/* Enabling is what fills vp_eport (ioreq_server_update_evtchn). */
		for (unsigned v = 0; v < fake_xen.nr_vcpus; v++)
			sp->vcpu_ioreq[v].vp_eport = FAKE_VP_EPORT(v);
		fake_xen.enabled = true;
	}
	return 0;
}

int xendevicemodel_set_pci_intx_level(xendevicemodel_handle *dmod, domid_t domid,
                                      uint16_t segment, uint8_t bus, uint8_t device,
                                      uint8_t intx, unsigned int level)
{
	if (fake_xen_call(__func__, intx) || fake_xen_wrong_domain(domid))
		return -1;
	fake_xen.intx_sbdf =
	    ((uint32_t)segment << 16) | ((uint32_t)bus << 8) | ((uint32_t)device << 3);
	fake_xen.intx_pin = intx;
	fake_xen.intx_level = (int)level;
	return 0;
}

int xendevicemodel_set_isa_irq_level(xendevicemodel_handle *dmod, domid_t domid,
                                     uint8_t irq, unsigned int level)
{
	if (fake_xen_call(__func__, irq) || fake_xen_wrong_domain(domid))
		return -1;
	fake_xen.isa_irq = irq;
	fake_xen.isa_level = (int)level;
	return 0;
}

int xendevicemodel_set_irq_level(xendevicemodel_handle *dmod, domid_t domid,
                                 unsigned int irq, unsigned int level)
{
	if (fake_xen_call(__func__, irq) || fake_xen_wrong_domain(domid))
		return -1;
	/* xen/arch/arm/dm.c: only SPIs the vGIC has, levels 0 and 1. */
	if (irq < 32 || irq >= 32 + fake_xen.nr_spis || level > 1) {
		errno = EINVAL;
		return -1;
	}
	fake_xen.isa_irq = (int)irq;
	fake_xen.isa_level = (int)level;
	return 0;
}

int xendevicemodel_inject_msi(xendevicemodel_handle *dmod, domid_t domid,
                              uint64_t msi_addr, uint32_t msi_data)
{
	if (fake_xen_call(__func__, msi_addr) || fake_xen_wrong_domain(domid))
		return -1;
	fake_xen.msi_addr = msi_addr;
	fake_xen.msi_data = msi_data;
	return 0;
}

/* Xen refuses frames past the guest's top (domain_get_maximum_gpfn). */
static int mark_frames(uint64_t first, uint32_t nr)
{
	if (first >= FAKE_GUEST_PAGES || nr > FAKE_GUEST_PAGES - first) {
		errno = EINVAL;
		return -1;
	}
	for (uint32_t i = 0; i < nr; i++)
		fake_xen.dirty[first + i]++;
	return 0;
}

int xendevicemodel_modified_memory(xendevicemodel_handle *dmod, domid_t domid,
                                   uint64_t first_pfn, uint32_t nr)
{
	if (fake_xen_call(__func__, first_pfn) || fake_xen_wrong_domain(domid))
		return -1;
	return mark_frames(first_pfn, nr);
}

int xendevicemodel_modified_memory_bulk(xendevicemodel_handle *dmod, domid_t domid,
                                        struct xen_dm_op_modified_memory_extent extents[],
                                        uint32_t nr)
{
	if (fake_xen_call(__func__, nr) || fake_xen_wrong_domain(domid))
		return -1;
	/* As Xen: extents are marked in order up to the first bad one. */
	for (uint32_t i = 0; i < nr; i++)
		if (mark_frames(extents[i].first_pfn, extents[i].nr) < 0)
			return -1;
	return 0;
}

int xendevicemodel_nr_vcpus(xendevicemodel_handle *dmod, domid_t domid,
                            unsigned int *vcpus)
{
	if (fake_xen_call(__func__, 0) || fake_xen_wrong_domain(domid))
		return -1;
	*vcpus = fake_xen.nr_vcpus;
	return 0;
}
