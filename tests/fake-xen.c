/* SPDX-License-Identifier: MIT */
/*
 * Fake Xen libraries for the backend's test: every function the backend
 * calls, with the real prototype (the real headers are included, so the
 * compiler checks them), simulating one domain in plain memory.  See
 * tests/fake-xen.h for what is simulated and how to steer it.
 */
#include "fake-xen.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <xendevicemodel.h>
#include <xenevtchn.h>
#include <xenforeignmemory.h>
#include <xenstore.h>
#include <xentoolcore.h>

#define PAGE 4096u

struct fake_xen fake_xen;

/* The opaque handles: only their addresses matter. */
struct xendevicemodel_handle {
	int magic;
};
struct xenforeignmemory_handle {
	int magic;
};
struct xenforeignmemory_resource_handle {
	void *addr;
};
struct xenevtchn_handle {
	int magic;
};
struct xc_interface_core {
	int magic;
};
struct xs_handle {
	int magic;
};

static struct xendevicemodel_handle the_dmod;
static struct xenforeignmemory_handle the_fmem;
static struct xenforeignmemory_resource_handle the_fres;
static struct xenevtchn_handle the_xce;
static struct xc_interface_core the_xch;
static struct xs_handle the_xsh;

/* ---- the log and failure injection --------------------------------------------- */

/* Log a call; @return true if it must fail (errno is then set). */
static bool call(const char *name, uint64_t arg)
{
	struct fake_xen *f = &fake_xen;
	bool fail = false;

	if (f->ncalls < FAKE_MAX_CALLS) {
		f->calls[f->ncalls].name = name;
		f->calls[f->ncalls].arg = arg;
	}
	f->ncalls++;
	if (f->fail_nth && f->ncalls == f->fail_nth)
		fail = true;
	if (f->fail_name && strcmp(f->fail_name, name) == 0 &&
	    ++f->name_seen == f->fail_occurrence)
		fail = true;
	if (fail) {
		f->failed++;
		errno = f->fail_errno;
	}
	return fail;
}

bool fake_xen_call(const char *name, uint64_t arg)
{
	return call(name, arg);
}

void fake_xen_fail_nth(unsigned nth, int err)
{
	fake_xen.fail_nth = nth;
	fake_xen.fail_errno = err;
}

void fake_xen_fail_call(const char *name, unsigned occurrence, int err)
{
	fake_xen.fail_name = name;
	fake_xen.fail_occurrence = occurrence;
	fake_xen.name_seen = 0;
	fake_xen.fail_errno = err;
}

void fake_xen_clear_log(void)
{
	fake_xen.ncalls = 0;
	fake_xen.name_seen = 0;
}

unsigned fake_xen_count(const char *name)
{
	unsigned n = 0;

	for (unsigned i = 0; i < fake_xen.ncalls && i < FAKE_MAX_CALLS; i++)
		n += strcmp(fake_xen.calls[i].name, name) == 0;
	return n;
}

int fake_xen_find(const char *name, unsigned from)
{
	for (unsigned i = from; i < fake_xen.ncalls && i < FAKE_MAX_CALLS; i++)
		if (strcmp(fake_xen.calls[i].name, name) == 0)
			return (int)i;
	return -1;
}

static void make_pipe(int p[2])
{
	if (pipe(p) < 0) {
		perror("pipe");
		abort();
	}
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	fcntl(p[1], F_SETFL, O_NONBLOCK);
}

void fake_xen_cleanup(void)
{
	struct fake_xen *f = &fake_xen;

	free(f->iopages);
	free(f->guest);
	for (unsigned i = 0; i < FAKE_MAX_GRANT_MAPS; i++) {
		free(f->gmaps[i].va);
		free(f->gmaps[i].refs);
	}
	for (unsigned i = 0; i < FAKE_MAX_KEYS; i++) {
		free(f->keys[i]);
		free(f->values[i]);
	}
	if (f->evtchn_pipe[0] > 0) {
		close(f->evtchn_pipe[0]);
		close(f->evtchn_pipe[1]);
	}
	if (f->watch_pipe[0] > 0) {
		close(f->watch_pipe[0]);
		close(f->watch_pipe[1]);
	}
	memset(f, 0, sizeof(*f));
}

void fake_xen_reset(unsigned domid, unsigned nr_vcpus)
{
	struct fake_xen *f = &fake_xen;

	fake_xen_cleanup();
	f->domid = domid;
	f->nr_vcpus = nr_vcpus;
	f->restricted_domid = -1;
	f->isa_irq = -1;
	f->iopages = aligned_alloc(PAGE, 2 * PAGE);
	f->guest = aligned_alloc(PAGE, FAKE_GUEST_PAGES * PAGE);
	f->max_gpfn = FAKE_GUEST_PAGES - 1;
	if (!f->iopages || !f->guest)
		abort();
	memset(f->iopages, 0, 2 * PAGE);
	for (unsigned i = 0; i < FAKE_GUEST_PAGES * PAGE; i++)
		f->guest[i] = (uint8_t)(i * 7 + 1);
	make_pipe(f->evtchn_pipe);
	make_pipe(f->watch_pipe);
	for (unsigned v = 0; v < FAKE_MAX_VCPUS; v++) {
		struct hvm_hw_cpu *c = &f->cpu[v];

		/* Distinct, recognisable values in every field. */
		for (size_t b = 0; b < sizeof(*c); b++)
			((uint8_t *)c)[b] = (uint8_t)(b + 16 * v);
		c->cr0 = 0x80050033;
		c->cs_arbytes = 0xa9b; /* 64-bit code: G L P S type b */
		c->ldtr_arbytes = 0;   /* unusable */
		c->rip = 0xffff800000001000ull + v;
		c->pad0 = 0;
	}
}

const char *fake_xen_leak(void)
{
	struct fake_xen *f = &fake_xen;

	if (f->live_dmod)
		return "a devicemodel handle is open";
	if (f->live_fmem)
		return "a foreignmemory handle is open";
	if (f->live_xce)
		return "an evtchn handle is open";
	if (f->live_xch)
		return "an xc interface is open";
	if (f->live_xsh)
		return "a xenstore handle is open";
	if (f->live_servers)
		return "the ioreq server was not destroyed";
	if (f->live_resources)
		return "the ioreq server pages are mapped";
	if (f->live_maps)
		return "guest pages are mapped";
	if (f->live_grant_maps)
		return "grants are mapped";
	if (f->live_xgt)
		return "a gnttab handle is open";
	if (f->nr_bound)
		return "event channels are bound";
	if (f->enabled)
		return "the ioreq server is enabled";
	if (f->paused)
		return "the domain is paused";
	return NULL;
}

void fake_xen_raise(uint32_t port)
{
	char c = 1;

	if (fake_xen.queued < FAKE_MAX_PORTS)
		fake_xen.queue[fake_xen.queued++] = port;
	if (write(fake_xen.evtchn_pipe[1], &c, 1) != 1)
		abort();
}

void fake_xen_fire_watch(void)
{
	char c = 1;

	fake_xen.watch_events++;
	if (write(fake_xen.watch_pipe[1], &c, 1) != 1)
		abort();
}

const char *fake_xen_xs_get(const char *path)
{
	for (unsigned i = 0; i < FAKE_MAX_KEYS; i++)
		if (fake_xen.keys[i] && strcmp(fake_xen.keys[i], path) == 0)
			return fake_xen.values[i];
	return NULL;
}

uint8_t *fake_xen_guest(uint64_t gpa)
{
	return fake_xen.guest + gpa;
}

static bool wrong_domain(domid_t domid)
{
	if (domid == fake_xen.domid && fake_xen.state != FAKE_DOM_GONE)
		return false;
	errno = ESRCH;
	return true;
}

bool fake_xen_wrong_domain(domid_t domid)
{
	return wrong_domain(domid);
}

void fake_xen_grant(uint32_t ref, uint32_t gfn, bool readonly)
{
	fake_xen.grants[ref].granted = true;
	fake_xen.grants[ref].gfn = gfn;
	fake_xen.grants[ref].readonly = readonly;
}

/* ---- libxendevicemodel ------------------------------------------------------------- */

xendevicemodel_handle *xendevicemodel_open(struct xentoollog_logger *logger,
                                           unsigned int open_flags)
{
	if (call(__func__, 0))
		return NULL;
	fake_xen.live_dmod++;
	return &the_dmod;
}

int xendevicemodel_close(xendevicemodel_handle *dmod)
{
	bool fail = call(__func__, 0);

	if (dmod)
		fake_xen.live_dmod--;
	return fail ? -1 : 0;
}

int xendevicemodel_create_ioreq_server(xendevicemodel_handle *dmod, domid_t domid,
                                       int handle_bufioreq, ioservid_t *id)
{
	if (call(__func__, (uint64_t)handle_bufioreq) || wrong_domain(domid))
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
	if (call(__func__, 0) || wrong_domain(domid))
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

	if (call(name, start) || wrong_domain(domid))
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

	if (call(name, sbdf) || wrong_domain(domid))
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
	bool fail = call(__func__, id);

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
	bool fail = call(__func__, (uint64_t)enabled);

	/* Disabling is a release: it happens even when the call "fails". */
	if (!enabled)
		fake_xen.enabled = false;
	if (fail || wrong_domain(domid))
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
	if (call(__func__, intx) || wrong_domain(domid))
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
	if (call(__func__, irq) || wrong_domain(domid))
		return -1;
	fake_xen.isa_irq = irq;
	fake_xen.isa_level = (int)level;
	return 0;
}

int xendevicemodel_set_irq_level(xendevicemodel_handle *dmod, domid_t domid,
                                 unsigned int irq, unsigned int level)
{
	if (call(__func__, irq) || wrong_domain(domid))
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
	if (call(__func__, msi_addr) || wrong_domain(domid))
		return -1;
	fake_xen.msi_addr = msi_addr;
	fake_xen.msi_data = msi_data;
	return 0;
}

int xendevicemodel_nr_vcpus(xendevicemodel_handle *dmod, domid_t domid,
                            unsigned int *vcpus)
{
	if (call(__func__, 0) || wrong_domain(domid))
		return -1;
	*vcpus = fake_xen.nr_vcpus;
	return 0;
}

/* ---- libxenforeignmemory
 * ---------------------------------------------------------------- */

xenforeignmemory_handle *xenforeignmemory_open(struct xentoollog_logger *logger,
                                               unsigned open_flags)
{
	if (call(__func__, 0))
		return NULL;
	fake_xen.live_fmem++;
	return &the_fmem;
}

int xenforeignmemory_close(xenforeignmemory_handle *fmem)
{
	bool fail = call(__func__, 0);

	if (fmem)
		fake_xen.live_fmem--;
	return fail ? -1 : 0;
}

void *xenforeignmemory_map(xenforeignmemory_handle *fmem, uint32_t dom, int prot,
                           size_t pages, const xen_pfn_t arr[], int err[])
{
	struct fake_xen *f = &fake_xen;
	unsigned failed = 0;

	if (call(__func__, pages ? arr[0] : 0) || wrong_domain((domid_t)dom))
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
	bool fail =
	    call(__func__, addr ? (uint64_t)((uint8_t *)addr - f->guest) / PAGE : 0);

	for (unsigned i = 0; i < FAKE_MAX_MAPS; i++) {
		if (f->map_va[i] != addr || f->map_pages[i] != pages)
			continue;
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

	if (call(__func__, frame) || wrong_domain(domid))
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
	bool fail = call(__func__, 0);

	if (fres == &the_fres && fake_xen.live_resources)
		fake_xen.live_resources--;
	return fail ? -1 : 0;
}

/* ---- libxenevtchn
 * ----------------------------------------------------------------------- */

xenevtchn_handle *xenevtchn_open(struct xentoollog_logger *logger, unsigned int flags)
{
	if (call(__func__, 0))
		return NULL;
	fake_xen.live_xce++;
	return &the_xce;
}

int xenevtchn_close(xenevtchn_handle *xce)
{
	bool fail = call(__func__, 0);

	if (xce) {
		fake_xen.live_xce--;
		/* Closing the handle unbinds whatever is still bound. */
		memset(fake_xen.bound_remote, 0, sizeof(fake_xen.bound_remote));
		fake_xen.nr_bound = 0;
	}
	return fail ? -1 : 0;
}

int xenevtchn_fd(xenevtchn_handle *xce)
{
	if (call(__func__, 0))
		return -1;
	return fake_xen.evtchn_pipe[0];
}

static bool local_valid(evtchn_port_t port)
{
	return port < FAKE_MAX_PORTS * 8 && fake_xen.bound_remote[port] != 0;
}

int xenevtchn_notify(xenevtchn_handle *xce, evtchn_port_t port)
{
	if (call(__func__, port))
		return -1;
	if (!local_valid(port)) {
		errno = EINVAL;
		return -1;
	}
	fake_xen.notified[port]++;
	return 0;
}

xenevtchn_port_or_error_t xenevtchn_bind_interdomain(xenevtchn_handle *xce,
                                                     uint32_t domid,
                                                     evtchn_port_t remote_port)
{
	uint32_t local = FAKE_LOCAL_PORT(remote_port);
	bool known = remote_port == FAKE_BUF_REMOTE_PORT &&
	             fake_xen.bufioreq != HVM_IOREQSRV_BUFIOREQ_OFF;

	if (call(__func__, remote_port) || wrong_domain((domid_t)domid))
		return -1;
	for (unsigned v = 0; v < fake_xen.nr_vcpus; v++)
		known = known || remote_port == FAKE_VP_EPORT(v);
	if (!known || local >= FAKE_MAX_PORTS * 8) {
		errno = EINVAL;
		return -1;
	}
	if (fake_xen.bound_remote[local]) {
		errno = EBUSY;
		return -1;
	}
	fake_xen.bound_remote[local] = remote_port;
	fake_xen.nr_bound++;
	return (xenevtchn_port_or_error_t)local;
}

int xenevtchn_unbind(xenevtchn_handle *xce, evtchn_port_t port)
{
	bool fail = call(__func__, port);

	if (!local_valid(port)) {
		errno = EINVAL;
		return -1;
	}
	fake_xen.bound_remote[port] = 0;
	fake_xen.nr_bound--;
	return fail ? -1 : 0;
}

xenevtchn_port_or_error_t xenevtchn_pending(xenevtchn_handle *xce)
{
	uint32_t port;
	char c;

	if (call(__func__, 0))
		return -1;
	if (fake_xen.queued == 0) {
		errno = EAGAIN;
		return -1;
	}
	port = fake_xen.queue[0];
	memmove(fake_xen.queue, fake_xen.queue + 1, --fake_xen.queued * sizeof(uint32_t));
	if (read(fake_xen.evtchn_pipe[0], &c, 1) != 1)
		abort();
	/* The driver masks a port when it delivers it. */
	if (port < FAKE_MAX_PORTS * 8)
		fake_xen.masked[port] = true;
	return (xenevtchn_port_or_error_t)port;
}

int xenevtchn_unmask(xenevtchn_handle *xce, evtchn_port_t port)
{
	if (call(__func__, port))
		return -1;
	if (port >= FAKE_MAX_PORTS * 8) {
		errno = EINVAL;
		return -1;
	}
	fake_xen.masked[port] = false;
	return 0;
}

/* ---- libxenctrl
 * ------------------------------------------------------------------------- */

xc_interface *xc_interface_open(xentoollog_logger *logger,
                                xentoollog_logger *dombuild_logger, unsigned open_flags)
{
	if (call(__func__, 0))
		return NULL;
	fake_xen.live_xch++;
	return &the_xch;
}

int xc_interface_close(xc_interface *xch)
{
	bool fail = call(__func__, 0);

	if (xch)
		fake_xen.live_xch--;
	return fail ? -1 : 0;
}

int xc_domain_getinfolist(xc_interface *xch, uint32_t first_domain,
                          unsigned int max_domains, xc_domaininfo_t *info)
{
	struct fake_xen *f = &fake_xen;

	if (call(__func__, first_domain))
		return -1;
	if (max_domains == 0)
		return 0;
	memset(info, 0, sizeof(*info));
	if (f->state == FAKE_DOM_GONE) {
		/* Like Xen: the next domain up, which is not ours. */
		info->domain = (domid_t)(first_domain + 1);
		return 1;
	}
	info->domain = (domid_t)f->domid;
	info->flags = XEN_DOMINF_hvm_guest;
	if (f->state == FAKE_DOM_DYING)
		info->flags |= XEN_DOMINF_dying;
	if (f->state == FAKE_DOM_SHUTDOWN)
		info->flags |= XEN_DOMINF_shutdown |
		               (f->shutdown_reason << XEN_DOMINF_shutdownshift);
	return 1;
}

int xc_domain_pause(xc_interface *xch, uint32_t domid)
{
	if (call(__func__, 0) || wrong_domain((domid_t)domid))
		return -1;
	fake_xen.paused++;
	return 0;
}

int xc_domain_unpause(xc_interface *xch, uint32_t domid)
{
	bool fail = call(__func__, 0);

	if (fake_xen.paused)
		fake_xen.paused--;
	return fail ? -1 : 0;
}

int xc_domain_maximum_gpfn(xc_interface *xch, uint32_t domid, xen_pfn_t *gpfns)
{
	if (call(__func__, domid) || wrong_domain((domid_t)domid))
		return -1;
	*gpfns = (xen_pfn_t)fake_xen.max_gpfn;
	return 0;
}

/* The whole context: HEADER, an odd-sized record, the CPU records, END. */
#define ODD_RECORD_LEN 6

static size_t blob_size(void)
{
	const size_t d = sizeof(struct hvm_save_descriptor);

	return d + sizeof(struct hvm_save_header) + d + ODD_RECORD_LEN +
	       fake_xen.nr_vcpus * (d + sizeof(struct hvm_hw_cpu)) + d;
}

static uint8_t *put_desc(uint8_t *p, uint16_t type, uint16_t inst, uint32_t len)
{
	struct hvm_save_descriptor d = {
	    .typecode = type, .instance = inst, .length = len};

	memcpy(p, &d, sizeof(d));
	return p + sizeof(d);
}

int xc_domain_hvm_getcontext(xc_interface *xch, uint32_t domid, uint8_t *ctxt_buf,
                             uint32_t size)
{
	struct hvm_save_header h = {.magic = HVM_FILE_MAGIC, .version = HVM_FILE_VERSION};
	uint8_t *p = ctxt_buf;

	if (call(__func__, size) || wrong_domain((domid_t)domid))
		return -1;
	if (!ctxt_buf)
		return (int)blob_size();
	if (size < blob_size()) {
		errno = ENOSPC;
		return -1;
	}
	p = put_desc(p, HVM_SAVE_CODE(HEADER), 0, sizeof(h));
	memcpy(p, &h, sizeof(h));
	p += sizeof(h);
	p = put_desc(p, 3, 0, ODD_RECORD_LEN);
	memset(p, 0x5a, ODD_RECORD_LEN);
	p += ODD_RECORD_LEN;
	for (unsigned v = 0; v < fake_xen.nr_vcpus; v++) {
		p = put_desc(p, HVM_SAVE_CODE(CPU), (uint16_t)v,
		             sizeof(struct hvm_hw_cpu));
		memcpy(p, &fake_xen.cpu[v], sizeof(struct hvm_hw_cpu));
		p += sizeof(struct hvm_hw_cpu);
	}
	put_desc(p, HVM_SAVE_CODE(END), 0, 0);
	return (int)blob_size();
}

int xc_domain_hvm_getcontext_partial(xc_interface *xch, uint32_t domid, uint16_t typecode,
                                     uint16_t instance, void *ctxt_buf, uint32_t size)
{
	if (call(__func__, instance) || wrong_domain((domid_t)domid))
		return -1;
	if (typecode != HVM_SAVE_CODE(CPU) || instance >= fake_xen.nr_vcpus) {
		errno = ENOENT;
		return -1;
	}
	if (size < sizeof(struct hvm_hw_cpu)) {
		errno = ENOBUFS;
		return -1;
	}
	memcpy(ctxt_buf, &fake_xen.cpu[instance], sizeof(struct hvm_hw_cpu));
	return 0;
}

int xc_domain_hvm_setcontext(xc_interface *xch, uint32_t domid, uint8_t *hvm_ctxt,
                             uint32_t size)
{
	struct hvm_save_descriptor d;
	struct hvm_hw_cpu cpu[FAKE_MAX_VCPUS];
	unsigned seen = 0;
	size_t off = 0;

	if (call(__func__, size) || wrong_domain((domid_t)domid))
		return -1;
	if (!fake_xen.paused)
		fake_xen.setcontext_unpaused = true;
	memcpy(&d, hvm_ctxt, sizeof(d));
	if (size < sizeof(d) || d.typecode != HVM_SAVE_CODE(HEADER)) {
		errno = ENODATA;
		return -1;
	}
	while (size - off >= sizeof(d)) {
		memcpy(&d, hvm_ctxt + off, sizeof(d));
		off += sizeof(d);
		if (d.typecode == HVM_SAVE_CODE(END))
			break;
		if (d.length > size - off) {
			errno = ENODATA;
			return -1;
		}
		if (d.typecode == HVM_SAVE_CODE(CPU)) {
			if (d.instance >= fake_xen.nr_vcpus ||
			    d.length != sizeof(cpu[0])) {
				errno = EINVAL;
				return -1;
			}
			memcpy(&cpu[d.instance], hvm_ctxt + off, sizeof(cpu[0]));
			seen |= 1u << d.instance;
		}
		off += d.length;
	}
	if (d.typecode != HVM_SAVE_CODE(END)) {
		errno = ENODATA;
		return -1;
	}
	/* Xen takes every vCPU without a record down: the backend must send all. */
	if (seen != (1u << fake_xen.nr_vcpus) - 1)
		fake_xen.setcontext_downed = true;
	for (unsigned v = 0; v < fake_xen.nr_vcpus; v++)
		if (seen & (1u << v))
			fake_xen.cpu[v] = cpu[v];
	fake_xen.setcontexts++;
	return 0;
}

/* ---- libxenstore ----------------------------------------------------------------------
 */

/*
 * After xentoolcore_restrict_all the xenstore fd is /dev/null: a request
 * would wait for its answer forever, and the watch never fires again.  A
 * call that needs xenstored then is a bug in the caller: stop the test.
 */
static void xs_alive(const char *func)
{
	if (fake_xen.restricted_domid >= 0) {
		fprintf(stderr, "fake-xen: %s after xentoolcore_restrict_all\n", func);
		abort();
	}
}

struct xs_handle *xs_open(unsigned long flags)
{
	if (call(__func__, 0))
		return NULL;
	fake_xen.live_xsh++;
	return &the_xsh;
}

void xs_close(struct xs_handle *xsh)
{
	call(__func__, 0);
	if (xsh)
		fake_xen.live_xsh--;
	fake_xen.watching = false;
}

bool xs_watch(struct xs_handle *h, const char *path, const char *token)
{
	xs_alive(__func__);
	if (call(__func__, 0))
		return false;
	if (strcmp(path, "@releaseDomain") != 0) {
		errno = EINVAL;
		return false;
	}
	fake_xen.watching = true;
	/* xenstored fires every new watch once. */
	fake_xen_fire_watch();
	return true;
}

bool xs_unwatch(struct xs_handle *h, const char *path, const char *token)
{
	xs_alive(__func__);
	if (call(__func__, 0))
		return false;
	if (!fake_xen.watching || strcmp(path, "@releaseDomain") != 0) {
		errno = ENOENT;
		return false;
	}
	fake_xen.watching = false;
	return true;
}

int xs_fileno(struct xs_handle *h)
{
	xs_alive(__func__);
	if (call(__func__, 0))
		return -1;
	return fake_xen.watch_pipe[0];
}

char **xs_check_watch(struct xs_handle *h)
{
	static const char path[] = "@releaseDomain", token[] = "ioreqd";
	char **v;
	char c;

	xs_alive(__func__);
	if (call(__func__, 0))
		return NULL;
	if (!fake_xen.watching || fake_xen.watch_events == 0) {
		errno = EAGAIN;
		return NULL;
	}
	fake_xen.watch_events--;
	if (read(fake_xen.watch_pipe[0], &c, 1) != 1)
		abort();
	/* One allocation, freed with one free(), as libxenstore does. */
	v = malloc(2 * sizeof(char *) + sizeof(path) + sizeof(token));
	if (!v)
		abort();
	v[XS_WATCH_PATH] = (char *)(v + 2);
	v[XS_WATCH_TOKEN] = v[XS_WATCH_PATH] + sizeof(path);
	memcpy(v[XS_WATCH_PATH], path, sizeof(path));
	memcpy(v[XS_WATCH_TOKEN], token, sizeof(token));
	return v;
}

bool xs_write(struct xs_handle *h, xs_transaction_t t, const char *path, const void *data,
              unsigned int len)
{
	struct fake_xen *f = &fake_xen;
	int slot = -1;

	xs_alive(__func__);
	if (call(__func__, len))
		return false;
	for (unsigned i = 0; i < FAKE_MAX_KEYS; i++) {
		if (f->keys[i] && strcmp(f->keys[i], path) == 0) {
			slot = (int)i;
			break;
		}
		if (!f->keys[i] && slot < 0)
			slot = (int)i;
	}
	if (slot < 0) {
		errno = ENOSPC;
		return false;
	}
	free(f->keys[slot]);
	free(f->values[slot]);
	f->keys[slot] = strdup(path);
	f->values[slot] = strndup(data, len);
	return true;
}

bool xs_rm(struct xs_handle *h, xs_transaction_t t, const char *path)
{
	struct fake_xen *f = &fake_xen;
	size_t n = strlen(path);

	xs_alive(__func__);
	if (call(__func__, 0))
		return false;
	for (unsigned i = 0; i < FAKE_MAX_KEYS; i++) {
		if (!f->keys[i] || strncmp(f->keys[i], path, n) != 0 ||
		    (f->keys[i][n] != '\0' && f->keys[i][n] != '/'))
			continue;
		free(f->keys[i]);
		free(f->values[i]);
		f->keys[i] = f->values[i] = NULL;
	}
	return true;
}

/* ---- libxentoolcore -------------------------------------------------------------------
 */

int xentoolcore_restrict_all(domid_t domid)
{
	if (call(__func__, domid))
		return -1;
	fake_xen.restricted_domid = domid;
	return 0;
}
