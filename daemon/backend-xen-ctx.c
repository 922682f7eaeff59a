/* SPDX-License-Identifier: MIT */
/*
 * vCPU state for the Xen backend, through the HVM save records: reading one
 * vCPU is one XEN_DOMCTL_gethvmcontext_partial of its CPU record; writing it
 * has to load a whole-domain context, because Xen's hvm_load() first takes
 * every vCPU down and only brings back those that have a CPU record in what
 * it is given, and loading a CPU record resets the extended FPU state that
 * only the later CPU_XSAVE record puts back.  So a write pauses the domain
 * (the other vCPUs' records must not go stale between fetch and load),
 * fetches everything, patches this vCPU's record, loads it all back and
 * unpauses.  That is heavy (the guest's TSC also loses the few microseconds
 * between fetch and load): it is for rare debug-style changes, which is why
 * the software VMCS in front of it writes back only when something changed.
 * Also the conversion between struct hvm_hw_cpu and struct ioreqd_vcpu_regs.
 *
 * Arm has no HVM CPU record: there every call answers -ENOTSUP.
 */
#include "backend-xen.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__i386__) || defined(__x86_64__)

/*
 * Hooks read a vCPU's state while they handle its accesses, so a failing
 * call would log at the guest's rate: one bucket for this file's warnings
 * (a daemon serves one domain).
 */
static struct ioreqd_ratelimit ctx_rl = IOREQD_RATELIMIT_INIT(10, 1);

/* Warn "domain N vcpuV: WHAT (CALL: strerror)".  @return -errno. */
static int ctx_fail(unsigned domid, unsigned vcpu, const char *call, const char *what)
{
	int err = errno ? errno : EIO;

	ioreqd_log_rl(&ctx_rl, LOG_LEVEL_WARN, "domain %u vcpu%u: %s (%s: %s)", domid,
	              vcpu, what, call, strerror(err));
	return -err;
}

uint32_t ioreqd_xen_attr_to_ar(uint32_t attr)
{
	/*
	 * Xen keeps type/S/DPL/P in bits 7:0 and AVL/L/D/G in bits 11:8; VMX
	 * moves the latter to 15:12 and says "unusable" (bit 16) where Xen
	 * clears P.
	 */
	uint32_t ar = (attr & 0xffu) | ((attr & 0xf00u) << 4);

	if (!(attr & IOREQD_AR_PRESENT))
		ar |= IOREQD_AR_UNUSABLE;
	return ar;
}

uint32_t ioreqd_xen_ar_to_attr(uint32_t ar)
{
	/* Xen derives P from "unusable" the same way when it writes a VMCS. */
	uint32_t attr = (ar & 0x7fu) | ((ar >> 4) & 0xf00u);

	if (!(ar & IOREQD_AR_UNUSABLE))
		attr |= IOREQD_AR_PRESENT;
	return attr;
}

#define SEG_FROM(seg)                                                                    \
	do {                                                                             \
		r->seg.sel = (uint16_t)c->seg##_sel;                                     \
		r->seg.base = c->seg##_base;                                             \
		r->seg.limit = c->seg##_limit;                                           \
		r->seg.ar = ioreqd_xen_attr_to_ar(c->seg##_arbytes);                     \
	} while (0)

#define SEG_TO(seg)                                                                      \
	do {                                                                             \
		c->seg##_sel = r->seg.sel;                                               \
		c->seg##_base = r->seg.base;                                             \
		c->seg##_limit = r->seg.limit;                                           \
		c->seg##_arbytes = ioreqd_xen_ar_to_attr(r->seg.ar);                     \
	} while (0)

void ioreqd_xen_cpu_to_regs(const struct hvm_hw_cpu *c, struct ioreqd_vcpu_regs *r)
{
	memset(r, 0, sizeof(*r));
	r->rax = c->rax;
	r->rbx = c->rbx;
	r->rcx = c->rcx;
	r->rdx = c->rdx;
	r->rsi = c->rsi;
	r->rdi = c->rdi;
	r->rbp = c->rbp;
	r->rsp = c->rsp;
	r->r8 = c->r8;
	r->r9 = c->r9;
	r->r10 = c->r10;
	r->r11 = c->r11;
	r->r12 = c->r12;
	r->r13 = c->r13;
	r->r14 = c->r14;
	r->r15 = c->r15;
	r->rip = c->rip;
	r->rflags = c->rflags;
	r->cr0 = c->cr0;
	r->cr2 = c->cr2;
	r->cr3 = c->cr3;
	r->cr4 = c->cr4;
	r->efer = c->msr_efer;
	r->dr0 = c->dr0;
	r->dr1 = c->dr1;
	r->dr2 = c->dr2;
	r->dr3 = c->dr3;
	r->dr6 = c->dr6;
	r->dr7 = c->dr7;
	SEG_FROM(es);
	SEG_FROM(cs);
	SEG_FROM(ss);
	SEG_FROM(ds);
	SEG_FROM(fs);
	SEG_FROM(gs);
	SEG_FROM(ldtr);
	SEG_FROM(tr);
	r->gdtr.base = c->gdtr_base;
	r->gdtr.limit = c->gdtr_limit;
	r->idtr.base = c->idtr_base;
	r->idtr.limit = c->idtr_limit;
	r->sysenter_cs = (uint32_t)c->sysenter_cs;
	r->sysenter_esp = c->sysenter_esp;
	r->sysenter_eip = c->sysenter_eip;
	r->star = c->msr_star;
	r->lstar = c->msr_lstar;
	r->cstar = c->msr_cstar;
	r->sfmask = c->msr_syscall_mask;
	r->kernel_gs_base = c->shadow_gs;
}

void ioreqd_xen_regs_to_cpu(const struct ioreqd_vcpu_regs *r, struct hvm_hw_cpu *c)
{
	c->rax = r->rax;
	c->rbx = r->rbx;
	c->rcx = r->rcx;
	c->rdx = r->rdx;
	c->rsi = r->rsi;
	c->rdi = r->rdi;
	c->rbp = r->rbp;
	c->rsp = r->rsp;
	c->r8 = r->r8;
	c->r9 = r->r9;
	c->r10 = r->r10;
	c->r11 = r->r11;
	c->r12 = r->r12;
	c->r13 = r->r13;
	c->r14 = r->r14;
	c->r15 = r->r15;
	c->rip = r->rip;
	c->rflags = r->rflags;
	c->cr0 = r->cr0;
	c->cr2 = r->cr2;
	c->cr3 = r->cr3;
	c->cr4 = r->cr4;
	c->msr_efer = r->efer;
	c->dr0 = r->dr0;
	c->dr1 = r->dr1;
	c->dr2 = r->dr2;
	c->dr3 = r->dr3;
	c->dr6 = r->dr6;
	c->dr7 = r->dr7;
	SEG_TO(es);
	SEG_TO(cs);
	SEG_TO(ss);
	SEG_TO(ds);
	SEG_TO(fs);
	SEG_TO(gs);
	SEG_TO(ldtr);
	SEG_TO(tr);
	c->gdtr_base = r->gdtr.base;
	c->gdtr_limit = r->gdtr.limit;
	c->idtr_base = r->idtr.base;
	c->idtr_limit = r->idtr.limit;
	c->sysenter_cs = r->sysenter_cs;
	c->sysenter_esp = r->sysenter_esp;
	c->sysenter_eip = r->sysenter_eip;
	c->msr_star = r->star;
	c->msr_lstar = r->lstar;
	c->msr_cstar = r->cstar;
	c->msr_syscall_mask = r->sfmask;
	c->shadow_gs = r->kernel_gs_base;
}

int ioreqd_xen_ctx_patch(uint8_t *ctx, size_t size, unsigned vcpu,
                         const struct ioreqd_vcpu_regs *r)
{
	struct hvm_save_descriptor d;
	struct hvm_hw_cpu cpu;
	size_t off = 0;

	/*
	 * Records are a descriptor followed by `length` bytes, back to back and
	 * not necessarily aligned, ending with an END record: copy them out with
	 * memcpy rather than casting pointers into the buffer.
	 */
	while (size - off >= sizeof(d)) {
		memcpy(&d, ctx + off, sizeof(d));
		off += sizeof(d);
		if (d.typecode == HVM_SAVE_CODE(END))
			break;
		if (d.length > size - off)
			return -EPROTO;
		if (d.typecode == HVM_SAVE_CODE(CPU) && d.instance == vcpu) {
			/* An older, shorter layout would be misread: refuse it. */
			if (d.length != sizeof(cpu))
				return -EPROTO;
			memcpy(&cpu, ctx + off, sizeof(cpu));
			ioreqd_xen_regs_to_cpu(r, &cpu);
			memcpy(ctx + off, &cpu, sizeof(cpu));
			return 0;
		}
		off += d.length;
	}
	return -ENOENT;
}

static int get_cpu(xc_interface *xch, unsigned domid, unsigned vcpu, struct hvm_hw_cpu *c)
{
	if (xc_domain_hvm_getcontext_partial(xch, domid, HVM_SAVE_CODE(CPU),
	                                     (uint16_t)vcpu, c, sizeof(*c)) < 0)
		return ctx_fail(domid, vcpu, "xc_domain_hvm_getcontext_partial",
		                "cannot read the vCPU's registers");
	return 0;
}

int ioreqd_xen_ctx_get_ip(xc_interface *xch, unsigned domid, unsigned vcpu, uint64_t *ip)
{
	struct hvm_hw_cpu c;
	int rc;

	*ip = 0;
	rc = get_cpu(xch, domid, vcpu, &c);
	if (rc == 0)
		*ip = c.rip;
	return rc;
}

int ioreqd_xen_ctx_get(xc_interface *xch, unsigned domid, unsigned vcpu,
                       struct ioreqd_vcpu_regs *r)
{
	struct hvm_hw_cpu c;
	int rc;

	memset(r, 0, sizeof(*r));
	rc = get_cpu(xch, domid, vcpu, &c);
	if (rc == 0)
		ioreqd_xen_cpu_to_regs(&c, r);
	return rc;
}

int ioreqd_xen_ctx_set(xc_interface *xch, unsigned domid, unsigned vcpu,
                       const struct ioreqd_vcpu_regs *r)
{
	uint8_t *ctx = NULL;
	bool paused = false;
	int size, got, rc;

	if (xc_domain_pause(xch, domid) < 0) {
		rc = ctx_fail(domid, vcpu, "xc_domain_pause",
		              "cannot pause the domain to write the vCPU's registers");
		goto out;
	}
	paused = true;
	/* A NULL buffer asks for the size of the whole context. */
	size = xc_domain_hvm_getcontext(xch, domid, NULL, 0);
	if (size <= 0) {
		if (size == 0)
			errno = EPROTO;
		rc = ctx_fail(domid, vcpu, "xc_domain_hvm_getcontext",
		              "cannot size the domain's HVM context");
		goto out;
	}
	ctx = malloc((size_t)size);
	if (!ctx) {
		rc = -ENOMEM;
		ioreqd_log_rl(&ctx_rl, LOG_LEVEL_WARN,
		              "domain %u vcpu%u: out of memory for a %d-byte HVM context",
		              domid, vcpu, size);
		goto out;
	}
	got = xc_domain_hvm_getcontext(xch, domid, ctx, (uint32_t)size);
	if (got < 0) {
		rc = ctx_fail(domid, vcpu, "xc_domain_hvm_getcontext",
		              "cannot read the domain's HVM context");
		goto out;
	}
	if (got > size) {
		rc = -EPROTO;
		ioreqd_log_rl(
		    &ctx_rl, LOG_LEVEL_WARN,
		    "domain %u vcpu%u: the domain's HVM context grew from %d to "
		    "%d bytes while paused; registers not written",
		    domid, vcpu, size, got);
		goto out;
	}
	rc = ioreqd_xen_ctx_patch(ctx, (size_t)got, vcpu, r);
	if (rc < 0) {
		ioreqd_log_rl(&ctx_rl, LOG_LEVEL_WARN,
		              "domain %u vcpu%u: %s in the domain's HVM context; "
		              "registers not written",
		              domid, vcpu,
		              rc == -ENOENT ? "no CPU record" : "a malformed CPU record");
		goto out;
	}
	if (xc_domain_hvm_setcontext(xch, domid, ctx, (uint32_t)got) < 0) {
		rc = ctx_fail(domid, vcpu, "xc_domain_hvm_setcontext",
		              "cannot write the vCPU's registers");
		goto out;
	}
	rc = 0;
out:
	if (paused && xc_domain_unpause(xch, domid) < 0) {
		/* Not rate-limited: a domain left paused is worth every line. */
		int urc = ioreqd_xen_fail(domid, "xc_domain_unpause",
		                          "cannot unpause the domain after writing "
		                          "vcpu%u's registers; run xl unpause %u",
		                          vcpu, domid);

		if (rc == 0)
			rc = urc;
	}
	free(ctx);
	return rc;
}

#else /* !x86 */

int ioreqd_xen_ctx_get_ip(xc_interface *xch, unsigned domid, unsigned vcpu, uint64_t *ip)
{
	*ip = 0;
	return -ENOTSUP;
}

int ioreqd_xen_ctx_get(xc_interface *xch, unsigned domid, unsigned vcpu,
                       struct ioreqd_vcpu_regs *r)
{
	memset(r, 0, sizeof(*r));
	return -ENOTSUP;
}

int ioreqd_xen_ctx_set(xc_interface *xch, unsigned domid, unsigned vcpu,
                       const struct ioreqd_vcpu_regs *r)
{
	return -ENOTSUP;
}

#endif
