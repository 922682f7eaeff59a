/* SPDX-License-Identifier: MIT */
/*
 * The vCPU context API: read and change the registers of the vCPU that made
 * an access, by name or by VMCS field encoding, and save and restore them.
 *
 * A handler gets the context of the faulting vCPU from the fault
 * (ioreqd_fault_vcpu_ctx).  The state is fetched from the hypervisor lazily,
 * on the first get, and kept in a cache for the rest of the access, in the
 * manner of L4Re's software VMCS.  Writes only change the cache and mark the
 * field dirty; the engine writes the dirty fields back once, just before the
 * access completes, and a context nobody wrote to costs no write at all.
 *
 * Only what the hypervisor's saved CPU state holds is offered (on Xen, the
 * HVM CPU save record).  Everything else, such as the VM-exit information or
 * the host-state area, is refused with -ENOENT.
 *
 * Caveat on Xen: the vCPU is stopped in the middle of the instruction that
 * made the access, and Xen finishes that instruction after the access
 * completes.  For port I/O, RIP already points past the instruction and an IN
 * writes RAX from the returned data afterwards.  An MMIO instruction is run
 * again from the registers as they are then.  So change only state the
 * instruction itself does not use.
 */
#ifndef IOREQD_VCPU_H
#define IOREQD_VCPU_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The context of one vCPU.  Opaque; owned by the engine. */
typedef struct ioreqd_vcpu ioreqd_vcpu_t;

/** A saved copy of a vCPU's registers (ioreqd_vcpu_save). */
typedef struct ioreqd_vcpu_snapshot ioreqd_vcpu_snapshot_t;

/**
 * The registers, by name.  Part of the hook ABI: new names are only ever
 * appended before IOREQD_VCPU_REG_COUNT.
 */
enum ioreqd_vcpu_reg {
	IOREQD_VCPU_RAX = 0,
	IOREQD_VCPU_RBX,
	IOREQD_VCPU_RCX,
	IOREQD_VCPU_RDX,
	IOREQD_VCPU_RSI,
	IOREQD_VCPU_RDI,
	IOREQD_VCPU_RBP,
	IOREQD_VCPU_RSP,
	IOREQD_VCPU_R8,
	IOREQD_VCPU_R9,
	IOREQD_VCPU_R10,
	IOREQD_VCPU_R11,
	IOREQD_VCPU_R12,
	IOREQD_VCPU_R13,
	IOREQD_VCPU_R14,
	IOREQD_VCPU_R15,
	IOREQD_VCPU_RIP,
	IOREQD_VCPU_RFLAGS,
	IOREQD_VCPU_CR0,
	IOREQD_VCPU_CR2,
	IOREQD_VCPU_CR3,
	IOREQD_VCPU_CR4,
	IOREQD_VCPU_EFER,
	IOREQD_VCPU_DR0,
	IOREQD_VCPU_DR1,
	IOREQD_VCPU_DR2,
	IOREQD_VCPU_DR3,
	IOREQD_VCPU_DR6,
	IOREQD_VCPU_DR7,
	/* Segment selectors (16 bits). */
	IOREQD_VCPU_ES_SEL,
	IOREQD_VCPU_CS_SEL,
	IOREQD_VCPU_SS_SEL,
	IOREQD_VCPU_DS_SEL,
	IOREQD_VCPU_FS_SEL,
	IOREQD_VCPU_GS_SEL,
	IOREQD_VCPU_LDTR_SEL,
	IOREQD_VCPU_TR_SEL,
	/* Segment bases. */
	IOREQD_VCPU_ES_BASE,
	IOREQD_VCPU_CS_BASE,
	IOREQD_VCPU_SS_BASE,
	IOREQD_VCPU_DS_BASE,
	IOREQD_VCPU_FS_BASE,
	IOREQD_VCPU_GS_BASE,
	IOREQD_VCPU_LDTR_BASE,
	IOREQD_VCPU_TR_BASE,
	/* Segment limits (32 bits). */
	IOREQD_VCPU_ES_LIMIT,
	IOREQD_VCPU_CS_LIMIT,
	IOREQD_VCPU_SS_LIMIT,
	IOREQD_VCPU_DS_LIMIT,
	IOREQD_VCPU_FS_LIMIT,
	IOREQD_VCPU_GS_LIMIT,
	IOREQD_VCPU_LDTR_LIMIT,
	IOREQD_VCPU_TR_LIMIT,
	/* Segment access rights (32 bits, VMX layout: P is bit 7, unusable bit 16). */
	IOREQD_VCPU_ES_AR,
	IOREQD_VCPU_CS_AR,
	IOREQD_VCPU_SS_AR,
	IOREQD_VCPU_DS_AR,
	IOREQD_VCPU_FS_AR,
	IOREQD_VCPU_GS_AR,
	IOREQD_VCPU_LDTR_AR,
	IOREQD_VCPU_TR_AR,
	IOREQD_VCPU_GDTR_BASE,
	IOREQD_VCPU_GDTR_LIMIT,
	IOREQD_VCPU_IDTR_BASE,
	IOREQD_VCPU_IDTR_LIMIT,
	IOREQD_VCPU_SYSENTER_CS,
	IOREQD_VCPU_SYSENTER_ESP,
	IOREQD_VCPU_SYSENTER_EIP,
	IOREQD_VCPU_STAR,
	IOREQD_VCPU_LSTAR,
	IOREQD_VCPU_CSTAR,
	IOREQD_VCPU_SFMASK,
	IOREQD_VCPU_KERNEL_GS_BASE,
	IOREQD_VCPU_REG_COUNT
};

/*
 * VMCS field encodings of the guest-state area that the context serves
 * (Intel SDM vol. 3, appendix B).  64-bit fields also accept the "high"
 * encoding (encoding | 1), which reads or writes bits 63:32 alone.
 */
#define IOREQD_VMCS_GUEST_ES_SELECTOR 0x0800u
#define IOREQD_VMCS_GUEST_CS_SELECTOR 0x0802u
#define IOREQD_VMCS_GUEST_SS_SELECTOR 0x0804u
#define IOREQD_VMCS_GUEST_DS_SELECTOR 0x0806u
#define IOREQD_VMCS_GUEST_FS_SELECTOR 0x0808u
#define IOREQD_VMCS_GUEST_GS_SELECTOR 0x080Au
#define IOREQD_VMCS_GUEST_LDTR_SELECTOR 0x080Cu
#define IOREQD_VMCS_GUEST_TR_SELECTOR 0x080Eu
#define IOREQD_VMCS_GUEST_IA32_EFER 0x2806u
#define IOREQD_VMCS_GUEST_ES_LIMIT 0x4800u
#define IOREQD_VMCS_GUEST_CS_LIMIT 0x4802u
#define IOREQD_VMCS_GUEST_SS_LIMIT 0x4804u
#define IOREQD_VMCS_GUEST_DS_LIMIT 0x4806u
#define IOREQD_VMCS_GUEST_FS_LIMIT 0x4808u
#define IOREQD_VMCS_GUEST_GS_LIMIT 0x480Au
#define IOREQD_VMCS_GUEST_LDTR_LIMIT 0x480Cu
#define IOREQD_VMCS_GUEST_TR_LIMIT 0x480Eu
#define IOREQD_VMCS_GUEST_GDTR_LIMIT 0x4810u
#define IOREQD_VMCS_GUEST_IDTR_LIMIT 0x4812u
#define IOREQD_VMCS_GUEST_ES_AR_BYTES 0x4814u
#define IOREQD_VMCS_GUEST_CS_AR_BYTES 0x4816u
#define IOREQD_VMCS_GUEST_SS_AR_BYTES 0x4818u
#define IOREQD_VMCS_GUEST_DS_AR_BYTES 0x481Au
#define IOREQD_VMCS_GUEST_FS_AR_BYTES 0x481Cu
#define IOREQD_VMCS_GUEST_GS_AR_BYTES 0x481Eu
#define IOREQD_VMCS_GUEST_LDTR_AR_BYTES 0x4820u
#define IOREQD_VMCS_GUEST_TR_AR_BYTES 0x4822u
#define IOREQD_VMCS_GUEST_SYSENTER_CS 0x482Au
#define IOREQD_VMCS_GUEST_CR0 0x6800u
#define IOREQD_VMCS_GUEST_CR3 0x6802u
#define IOREQD_VMCS_GUEST_CR4 0x6804u
#define IOREQD_VMCS_GUEST_ES_BASE 0x6806u
#define IOREQD_VMCS_GUEST_CS_BASE 0x6808u
#define IOREQD_VMCS_GUEST_SS_BASE 0x680Au
#define IOREQD_VMCS_GUEST_DS_BASE 0x680Cu
#define IOREQD_VMCS_GUEST_FS_BASE 0x680Eu
#define IOREQD_VMCS_GUEST_GS_BASE 0x6810u
#define IOREQD_VMCS_GUEST_LDTR_BASE 0x6812u
#define IOREQD_VMCS_GUEST_TR_BASE 0x6814u
#define IOREQD_VMCS_GUEST_GDTR_BASE 0x6816u
#define IOREQD_VMCS_GUEST_IDTR_BASE 0x6818u
#define IOREQD_VMCS_GUEST_DR7 0x681Au
#define IOREQD_VMCS_GUEST_RSP 0x681Cu
#define IOREQD_VMCS_GUEST_RIP 0x681Eu
#define IOREQD_VMCS_GUEST_RFLAGS 0x6820u
#define IOREQD_VMCS_GUEST_SYSENTER_ESP 0x6824u
#define IOREQD_VMCS_GUEST_SYSENTER_EIP 0x6826u

/** @return the id of the vCPU this context belongs to. */
unsigned ioreqd_vcpu_id(const ioreqd_vcpu_t *v);

/**
 * Read a register.
 * @param val  receives the value, zero-extended; cleared on error.
 * @return 0; -EINVAL for an unknown register; -ENOTSUP when the backend
 * has no vCPU state; or the negative errno of fetching the state (-EPERM
 * on Xen once the daemon has confined itself to the domain).
 */
int ioreqd_vcpu_get(ioreqd_vcpu_t *v, enum ioreqd_vcpu_reg reg, uint64_t *val);

/**
 * Change a register in the cache (written back before the access completes).
 * The value is truncated to the width of the register.  Setting a register
 * to the value it already has leaves it clean.
 * @return 0, or as for ioreqd_vcpu_get.
 */
int ioreqd_vcpu_set(ioreqd_vcpu_t *v, enum ioreqd_vcpu_reg reg, uint64_t val);

/**
 * Read a field by VMCS encoding (IOREQD_VMCS_GUEST_*, or any other valid
 * encoding of a field the state holds).
 * @param val  receives the value, zero-extended; cleared on error.
 * @return 0; -ENOENT for an encoding that is malformed or names a field the
 * hypervisor's saved state does not hold (the message names the field's
 * width, type and index); or as for ioreqd_vcpu_get.
 */
int ioreqd_vcpu_vmcs_read(ioreqd_vcpu_t *v, uint32_t encoding, uint64_t *val);

/**
 * Write a field by VMCS encoding.  The value is truncated to the width of
 * the field; a "high" encoding replaces bits 63:32 only.
 * @return 0, or as for ioreqd_vcpu_vmcs_read.
 */
int ioreqd_vcpu_vmcs_write(ioreqd_vcpu_t *v, uint32_t encoding, uint64_t val);

/**
 * Save every register as the handler currently sees it (including changes
 * not yet written back).
 * @param out  receives the snapshot (free it with ioreqd_vcpu_snapshot_free).
 * @return 0, -ENOMEM, or as for ioreqd_vcpu_get.
 */
int ioreqd_vcpu_save(ioreqd_vcpu_t *v, ioreqd_vcpu_snapshot_t **out);

/**
 * Put the registers back as they were saved.  Only registers that differ
 * become dirty, so restoring an unchanged state writes nothing.
 * @return 0; -EINVAL for a snapshot of another vCPU; or as for
 * ioreqd_vcpu_get.
 */
int ioreqd_vcpu_restore(ioreqd_vcpu_t *v, const ioreqd_vcpu_snapshot_t *s);

/** Free a snapshot (NULL is fine). */
void ioreqd_vcpu_snapshot_free(ioreqd_vcpu_snapshot_t *s);

/** @return the lower-case name of a register ("rip"), or NULL if unknown. */
const char *ioreqd_vcpu_reg_name(enum ioreqd_vcpu_reg reg);

/**
 * @return the name of a VMCS field ("GUEST_RIP", "GUEST_IA32_EFER_HIGH") the
 * context serves, or NULL.
 */
const char *ioreqd_vcpu_vmcs_name(uint32_t encoding);

#ifdef __cplusplus
}
#endif

#endif /* IOREQD_VCPU_H */
