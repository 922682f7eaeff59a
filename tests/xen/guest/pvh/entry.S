/* SPDX-License-Identifier: MIT */
/*
 * Entry point of the freestanding PVH test guest.  Xen starts a PVH kernel
 * at the address in its XEN_ELFNOTE_PHYS32_ENTRY note, in flat 32-bit
 * protected mode with paging off and %ebx holding the physical address of
 * struct hvm_start_info.  We only need a stack and SSE (for 8-byte MMIO
 * accesses through %xmm0) before handing over to C; when main returns the
 * vCPU halts for good.
 */
#define XEN_ELFNOTE_PHYS32_ENTRY 18

#define CR0_MP (1 << 1)
#define CR0_EM (1 << 2)
#define CR4_OSFXSR (1 << 9)
#define CR4_OSXMMEXCPT (1 << 10)

	.section .note.Xen, "a", @note
	.balign 4
	.long 4                       /* name size: "Xen\0" */
	.long 4                       /* descriptor size */
	.long XEN_ELFNOTE_PHYS32_ENTRY
	.asciz "Xen"
	.balign 4
	.long _start
	.balign 4

	.text
	.code32
	.globl _start
_start:
	cli
	cld                           /* the C code relies on the ABI's df=0 */
	mov	$stack_top, %esp
	/* SSE on: CR0.EM off and CR0.MP on, then CR4.OSFXSR/OSXMMEXCPT. */
	mov	%cr0, %eax
	and	$~CR0_EM, %eax
	or	$CR0_MP, %eax
	mov	%eax, %cr0
	mov	%cr4, %eax
	or	$(CR4_OSFXSR | CR4_OSXMMEXCPT), %eax
	mov	%eax, %cr4
	push	%ebx                  /* struct hvm_start_info * */
	call	guest_main
1:	hlt
	jmp	1b

	.section .note.GNU-stack, "", @progbits

	.bss
	.balign 16
	.space 16384
stack_top:
