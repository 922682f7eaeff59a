/* SPDX-License-Identifier: MIT */
/*
 * The fake libxenctrl for the Xen backend's tests (see tests/fake-xen.h): every
 * function the backend calls, with the real prototype, on the simulated
 * domain in fake_xen.
 */
#include "fake-xen.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct xc_interface_core {
	int magic;
};

static struct xc_interface_core the_xch;

xc_interface *xc_interface_open(xentoollog_logger *logger,
                                xentoollog_logger *dombuild_logger, unsigned open_flags)
{
	if (fake_xen_call(__func__, 0))
		return NULL;
	fake_xen.live_xch++;
	return &the_xch;
}

int xc_interface_close(xc_interface *xch)
{
	bool fail = fake_xen_call(__func__, 0);

	if (xch)
		fake_xen.live_xch--;
	return fail ? -1 : 0;
}

int xc_domain_getinfolist(xc_interface *xch, uint32_t first_domain,
                          unsigned int max_domains, xc_domaininfo_t *info)
{
	struct fake_xen *f = &fake_xen;

	if (fake_xen_call(__func__, first_domain))
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
	if (fake_xen_call(__func__, 0) || fake_xen_wrong_domain((domid_t)domid))
		return -1;
	fake_xen.paused++;
	return 0;
}

int xc_domain_unpause(xc_interface *xch, uint32_t domid)
{
	bool fail = fake_xen_call(__func__, 0);

	if (fake_xen.paused)
		fake_xen.paused--;
	return fail ? -1 : 0;
}

int xc_domain_maximum_gpfn(xc_interface *xch, uint32_t domid, xen_pfn_t *gpfns)
{
	if (fake_xen_call(__func__, domid) || fake_xen_wrong_domain((domid_t)domid))
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

	if (fake_xen_call(__func__, size) || fake_xen_wrong_domain((domid_t)domid))
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
	if (fake_xen_call(__func__, instance) || fake_xen_wrong_domain((domid_t)domid))
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

	if (fake_xen_call(__func__, size) || fake_xen_wrong_domain((domid_t)domid))
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
