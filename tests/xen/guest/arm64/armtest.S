/* SPDX-License-Identifier: MIT */
/*
 * The arm64 test guest: a bare kernel in Linux Image format (so xl can load
 * it) that runs with the MMU off and checks ioreqd's hooks through MMIO, the
 * only kind of trapped access Xen on Arm forwards to an ioreq server.  It
 * expects the devices of tests/xen/xentest-arm64.conf: a scratch block at
 * 0xfeb00000, an override register stacked on it at +0x10, and a debugcon
 * at 0xfeb02000 through which it prints one line per check and the verdict
 * "ioreqd-xentest-arm: N passed, M failed" (Xen on Arm has no debug port
 * for an unprivileged guest, so the console is ioreqd itself: if ioreqd
 * serves nothing, there is no verdict, which fails the test).
 *
 * Only single loads and stores are used: Xen can emulate an MMIO access only
 * when the trap reports its register (ESR.ISV), which pair and
 * post-indexed accesses do not.
 */
#define SCRATCH 0xfeb00000
#define DEBUGCON 0xfeb02000

/* Registers kept across the whole run. */
#define NPASS x19
#define NFAIL x20
#define NCHECK x21
#define CON x22
#define BASE x23

	.text
	.globl _start
_start:
	b	start                   /* code0 */
	.long	0                       /* code1 */
	.quad	0x80000                 /* text_offset */
	.quad	image_end - _start      /* image_size */
	.quad	0                       /* flags: little-endian */
	.quad	0, 0, 0                 /* res2-4 */
	.ascii	"ARM\x64"               /* magic */
	.long	0                       /* res5 */

/* check GOT, WANT, "description": compare and print one line. */
.macro CHECK got, want, desc
	mov	x0, \got
	mov	x1, \want
	adr	x2, 8f
	bl	check
	b	9f
8:	.asciz	"\desc"
	.balign	4
9:
.endm

/* movc REG, 64-bit constant */
.macro MOVC reg, val
	movz	\reg, #((\val) & 0xffff)
	movk	\reg, #(((\val) >> 16) & 0xffff), lsl #16
	movk	\reg, #(((\val) >> 32) & 0xffff), lsl #32
	movk	\reg, #(((\val) >> 48) & 0xffff), lsl #48
.endm

start:
	adr	x0, stack_top
	mov	sp, x0
	mov	NPASS, #0
	mov	NFAIL, #0
	mov	NCHECK, #0
	MOVC	CON, DEBUGCON
	MOVC	BASE, SCRATCH
	adr	x0, msg_hello
	bl	puts

	/* every access width, read back */
	mov	w1, #0xa5
	strb	w1, [BASE, #0x20]
	ldrb	w2, [BASE, #0x20]
	CHECK	x2, #0xa5, "mmio 1-byte strb/ldrb +0x20"
	mov	w1, #0xc0de
	strh	w1, [BASE, #0x22]
	ldrh	w2, [BASE, #0x22]
	CHECK	x2, x1, "mmio 2-byte strh/ldrh +0x22"
	MOVC	x1, 0x12345678
	str	w1, [BASE, #0x24]
	ldr	w2, [BASE, #0x24]
	CHECK	x2, x1, "mmio 4-byte str/ldr w +0x24"
	MOVC	x1, 0x0123456789abcdef
	str	x1, [BASE, #0x28]
	ldr	x2, [BASE, #0x28]
	CHECK	x2, x1, "mmio 8-byte str/ldr x +0x28"
	ldrb	w2, [BASE, #0x25]
	CHECK	x2, #0x56, "mmio 1-byte read inside a word +0x25"
	ldr	w2, [BASE, #0x28]
	MOVC	x1, 0x89abcdef
	CHECK	x2, x1, "mmio low word of an 8-byte write"
	ldr	w2, [BASE, #0x2c]
	MOVC	x1, 0x01234567
	CHECK	x2, x1, "mmio high word of an 8-byte write"

	/* the chain: override0 on top of scratch1 */
	ldr	w2, [BASE, #0x10]
	MOVC	x1, 0x10ad10ad
	CHECK	x2, x1, "chain: override answers +0x10"
	MOVC	x3, 0x12345678
	str	w3, [BASE, #0x10]
	ldr	w2, [BASE, #0x10]
	CHECK	x2, x1, "chain: override drops writes to +0x10"
	MOVC	x1, 0xfeedface
	str	w1, [BASE, #0x18]
	ldr	w2, [BASE, #0x18]
	CHECK	x2, x1, "chain: +0x18 passes through to scratch"

	/* verdict */
	adr	x0, msg_verdict
	bl	puts
	mov	x0, NPASS
	bl	putdec
	adr	x0, msg_passed
	bl	puts
	mov	x0, NFAIL
	bl	putdec
	adr	x0, msg_failed
	bl	puts
1:	wfi
	b	1b

/* check(x0 got, x1 want, x2 desc) */
check:
	stp	x29, x30, [sp, #-48]!
	stp	x24, x25, [sp, #16]
	str	x26, [sp, #32]
	mov	x24, x0
	mov	x25, x1
	mov	x26, x2
	add	NCHECK, NCHECK, #1
	cmp	x24, x25
	b.ne	1f
	add	NPASS, NPASS, #1
	adr	x0, msg_ok
	bl	puts
	mov	x0, NCHECK
	bl	putdec
	mov	w0, #' '
	bl	putc
	mov	x0, x26
	bl	puts
	b	2f
1:	add	NFAIL, NFAIL, #1
	adr	x0, msg_fail
	bl	puts
	mov	x0, NCHECK
	bl	putdec
	mov	w0, #' '
	bl	putc
	mov	x0, x26
	bl	puts
	adr	x0, msg_got
	bl	puts
	mov	x0, x24
	bl	puthex
	adr	x0, msg_want
	bl	puts
	mov	x0, x25
	bl	puthex
2:	mov	w0, #'\n'
	bl	putc
	ldr	x26, [sp, #32]
	ldp	x24, x25, [sp, #16]
	ldp	x29, x30, [sp], #48
	ret

/* putc(w0): one byte to the debugcon (a strb ioreqd forwards to the hook) */
putc:
	strb	w0, [CON]
	ret

/* puts(x0): a NUL-terminated string */
puts:
	mov	x9, x0
	mov	x10, x30
1:	ldrb	w0, [x9]
	add	x9, x9, #1
	cbz	w0, 2f
	bl	putc
	b	1b
2:	ret	x10

/* putdec(x0): unsigned decimal */
putdec:
	mov	x10, x30
	mov	x11, sp
	sub	sp, sp, #32
	mov	x12, #10
1:	udiv	x13, x0, x12
	msub	x14, x13, x12, x0
	add	w14, w14, #'0'
	sub	x11, x11, #1
	strb	w14, [x11]
	mov	x0, x13
	cbnz	x0, 1b
2:	ldrb	w0, [x11]
	bl	putc
	add	x11, x11, #1
	add	x9, sp, #32
	cmp	x11, x9
	b.ne	2b
	add	sp, sp, #32
	ret	x10

/* puthex(x0): "0x" and 16 hex digits */
puthex:
	mov	x10, x30
	mov	x11, x0
	mov	w0, #'0'
	bl	putc
	mov	w0, #'x'
	bl	putc
	mov	x12, #60
1:	lsr	x0, x11, x12
	and	x0, x0, #0xf
	cmp	x0, #10
	add	x13, x0, #'0'
	add	x14, x0, #('a' - 10)
	csel	x0, x13, x14, lo
	bl	putc
	subs	x12, x12, #4
	b.pl	1b
	ret	x10

msg_hello:	.asciz "ioreqd-xentest-arm: guest up\n"
msg_ok:		.asciz "ok "
msg_fail:	.asciz "FAIL "
msg_got:	.asciz " got "
msg_want:	.asciz " want "
msg_verdict:	.asciz "ioreqd-xentest-arm: "
msg_passed:	.asciz " passed, "
msg_failed:	.asciz " failed\n"

	.balign	16
	.space	4096
stack_top:
	.balign	4096
image_end:
