/* SPDX-License-Identifier: MIT */
/*
 * struct ioreqd_vcpu_regs: the one plain-data picture of an x86 vCPU's state
 * that every backend converts to and from (Xen: struct hvm_hw_cpu; sim: the
 * guest side owns one of these directly).  It holds what Xen's HVM CPU save
 * record can give us and nothing more, so every field can really be read and
 * written back.  Segment access rights use the VMX layout (the same bits a
 * GUEST_*_AR_BYTES VMCS read returns), because that is the layout a handler
 * that thinks in VMCS encodings expects; the Xen backend folds them into its
 * 12-bit form.  This is the canonical definition: sim/ includes it too.
 */
#ifndef IOREQD_VCPU_REGS_H
#define IOREQD_VCPU_REGS_H

#include <stdint.h>

/*
 * VMX access-rights layout of *_ar: type 3:0, S 4, DPL 6:5, P 7, AVL 12, L 13,
 * D/B 14, G 15, unusable 16.
 */
#define IOREQD_AR_PRESENT (1u << 7)
#define IOREQD_AR_UNUSABLE (1u << 16)

/** One segment register: the hidden part and the selector. */
struct ioreqd_vcpu_seg {
	uint64_t base;
	uint32_t limit;
	uint32_t ar; /* VMX access-rights layout, see above */
	uint16_t sel;
};

/** A descriptor-table register (GDTR, IDTR). */
struct ioreqd_vcpu_dtr {
	uint64_t base;
	uint32_t limit;
};

struct ioreqd_vcpu_regs {
	uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp, rsp;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rip;
	uint64_t rflags;

	uint64_t cr0, cr2, cr3, cr4;
	uint64_t efer;

	uint64_t dr0, dr1, dr2, dr3, dr6, dr7;

	struct ioreqd_vcpu_seg es, cs, ss, ds, fs, gs, ldtr, tr;
	struct ioreqd_vcpu_dtr gdtr, idtr;

	uint32_t sysenter_cs;
	uint64_t sysenter_esp, sysenter_eip;

	/* The SYSCALL MSRs and the SWAPGS shadow. */
	uint64_t star, lstar, cstar, sfmask, kernel_gs_base;
};

#endif /* IOREQD_VCPU_REGS_H */
