/* SPDX-License-Identifier: MIT */
/*
 * The software VMCS: a per-vCPU register cache addressed by name or by VMCS
 * field encoding, with a dirty bitmap so that only changed fields go back to
 * the hypervisor, once, when the access completes.  Encodings are resolved
 * the way L4Re's software VMCS does it: the width (bits 14:13) and type
 * (bits 11:10) select one of sixteen groups, each with an offset into one
 * flat slot table and a limit; the index (bits 9:1) picks the slot, and the
 * slot names the register behind the field.  Groups the saved state cannot
 * fill (control, exit information, host state) have limit 0.
 *
 * Part of the hook SDK: no other ioreqd symbol is referenced from here, and
 * messages go out through ops->warn.
 */
#include <ioreqd/vcpu.h>

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vcpu-internal.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

_Static_assert(IOREQD_VCPU_REG_COUNT < 0xff, "register ids must fit a slot byte");

/* ---- registers by name ---------------------------------------------------- */

struct reg_desc {
	uint16_t off;
	uint8_t size;
	const char *name;
};

#define REG(id, member, str)                                                             \
	[IOREQD_VCPU_##id] = {offsetof(struct ioreqd_vcpu_regs, member),                 \
	                      sizeof(((struct ioreqd_vcpu_regs *)0)->member), str}
#define SEGREGS(SEG, seg)                                                                \
	REG(SEG##_SEL, seg.sel, #seg "_sel"), REG(SEG##_BASE, seg.base, #seg "_base"),   \
	    REG(SEG##_LIMIT, seg.limit, #seg "_limit"),                                  \
	    REG(SEG##_AR, seg.ar, #seg "_ar")

static const struct reg_desc regs[IOREQD_VCPU_REG_COUNT] = {
    REG(RAX, rax, "rax"),
    REG(RBX, rbx, "rbx"),
    REG(RCX, rcx, "rcx"),
    REG(RDX, rdx, "rdx"),
    REG(RSI, rsi, "rsi"),
    REG(RDI, rdi, "rdi"),
    REG(RBP, rbp, "rbp"),
    REG(RSP, rsp, "rsp"),
    REG(R8, r8, "r8"),
    REG(R9, r9, "r9"),
    REG(R10, r10, "r10"),
    REG(R11, r11, "r11"),
    REG(R12, r12, "r12"),
    REG(R13, r13, "r13"),
    REG(R14, r14, "r14"),
    REG(R15, r15, "r15"),
    REG(RIP, rip, "rip"),
    REG(RFLAGS, rflags, "rflags"),
    REG(CR0, cr0, "cr0"),
    REG(CR2, cr2, "cr2"),
    REG(CR3, cr3, "cr3"),
    REG(CR4, cr4, "cr4"),
    REG(EFER, efer, "efer"),
    REG(DR0, dr0, "dr0"),
    REG(DR1, dr1, "dr1"),
    REG(DR2, dr2, "dr2"),
    REG(DR3, dr3, "dr3"),
    REG(DR6, dr6, "dr6"),
    REG(DR7, dr7, "dr7"),
    SEGREGS(ES, es),
    SEGREGS(CS, cs),
    SEGREGS(SS, ss),
    SEGREGS(DS, ds),
    SEGREGS(FS, fs),
    SEGREGS(GS, gs),
    SEGREGS(LDTR, ldtr),
    SEGREGS(TR, tr),
    REG(GDTR_BASE, gdtr.base, "gdtr_base"),
    REG(GDTR_LIMIT, gdtr.limit, "gdtr_limit"),
    REG(IDTR_BASE, idtr.base, "idtr_base"),
    REG(IDTR_LIMIT, idtr.limit, "idtr_limit"),
    REG(SYSENTER_CS, sysenter_cs, "sysenter_cs"),
    REG(SYSENTER_ESP, sysenter_esp, "sysenter_esp"),
    REG(SYSENTER_EIP, sysenter_eip, "sysenter_eip"),
    REG(STAR, star, "star"),
    REG(LSTAR, lstar, "lstar"),
    REG(CSTAR, cstar, "cstar"),
    REG(SFMASK, sfmask, "sfmask"),
    REG(KERNEL_GS_BASE, kernel_gs_base, "kernel_gs_base"),
};

static bool reg_valid(enum ioreqd_vcpu_reg reg)
{
	return (unsigned)reg < IOREQD_VCPU_REG_COUNT && regs[reg].size != 0;
}

const char *ioreqd_vcpu_reg_name(enum ioreqd_vcpu_reg reg)
{
	return reg_valid(reg) ? regs[reg].name : NULL;
}

unsigned ioreqd_vcpu_reg_size(enum ioreqd_vcpu_reg reg)
{
	return reg_valid(reg) ? regs[reg].size : 0;
}

uint64_t ioreqd_vcpu_regs_get(const struct ioreqd_vcpu_regs *r, enum ioreqd_vcpu_reg reg)
{
	const unsigned char *p = (const unsigned char *)r;
	uint16_t v16;
	uint32_t v32;
	uint64_t v64;

	if (!reg_valid(reg))
		return 0;
	p += regs[reg].off;
	switch (regs[reg].size) {
	case 2:
		memcpy(&v16, p, 2);
		return v16;
	case 4:
		memcpy(&v32, p, 4);
		return v32;
	default:
		memcpy(&v64, p, 8);
		return v64;
	}
}

void ioreqd_vcpu_regs_set(struct ioreqd_vcpu_regs *r, enum ioreqd_vcpu_reg reg,
                          uint64_t val)
{
	unsigned char *p = (unsigned char *)r;
	uint16_t v16 = (uint16_t)val;
	uint32_t v32 = (uint32_t)val;

	if (!reg_valid(reg))
		return;
	p += regs[reg].off;
	switch (regs[reg].size) {
	case 2:
		memcpy(p, &v16, 2);
		break;
	case 4:
		memcpy(p, &v32, 4);
		break;
	default:
		memcpy(p, &val, 8);
		break;
	}
}

/* ---- the offset table ------------------------------------------------------ */

#define NONE 0xffu

/*
 * The flat slot table: each group's fields in index order.  A NONE slot is a
 * field of a served group that the saved state does not hold.
 */
static const uint8_t slot_reg[] = {
    /* 16-bit guest state, 0x0800 + 2 * index */
    IOREQD_VCPU_ES_SEL,
    IOREQD_VCPU_CS_SEL,
    IOREQD_VCPU_SS_SEL,
    IOREQD_VCPU_DS_SEL,
    IOREQD_VCPU_FS_SEL,
    IOREQD_VCPU_GS_SEL,
    IOREQD_VCPU_LDTR_SEL,
    IOREQD_VCPU_TR_SEL,
    /* 64-bit guest state, 0x2800: VMCS link pointer, DEBUGCTL, PAT, EFER */
    NONE,
    NONE,
    NONE,
    IOREQD_VCPU_EFER,
    /* 32-bit guest state, 0x4800: limits, GDTR/IDTR limits, access rights, ... */
    IOREQD_VCPU_ES_LIMIT,
    IOREQD_VCPU_CS_LIMIT,
    IOREQD_VCPU_SS_LIMIT,
    IOREQD_VCPU_DS_LIMIT,
    IOREQD_VCPU_FS_LIMIT,
    IOREQD_VCPU_GS_LIMIT,
    IOREQD_VCPU_LDTR_LIMIT,
    IOREQD_VCPU_TR_LIMIT,
    IOREQD_VCPU_GDTR_LIMIT,
    IOREQD_VCPU_IDTR_LIMIT,
    IOREQD_VCPU_ES_AR,
    IOREQD_VCPU_CS_AR,
    IOREQD_VCPU_SS_AR,
    IOREQD_VCPU_DS_AR,
    IOREQD_VCPU_FS_AR,
    IOREQD_VCPU_GS_AR,
    IOREQD_VCPU_LDTR_AR,
    IOREQD_VCPU_TR_AR,
    NONE, /* interruptibility state */
    NONE, /* activity state */
    NONE, /* SMBASE */
    IOREQD_VCPU_SYSENTER_CS,
    /* natural-width guest state, 0x6800 */
    IOREQD_VCPU_CR0,
    IOREQD_VCPU_CR3,
    IOREQD_VCPU_CR4,
    IOREQD_VCPU_ES_BASE,
    IOREQD_VCPU_CS_BASE,
    IOREQD_VCPU_SS_BASE,
    IOREQD_VCPU_DS_BASE,
    IOREQD_VCPU_FS_BASE,
    IOREQD_VCPU_GS_BASE,
    IOREQD_VCPU_LDTR_BASE,
    IOREQD_VCPU_TR_BASE,
    IOREQD_VCPU_GDTR_BASE,
    IOREQD_VCPU_IDTR_BASE,
    IOREQD_VCPU_DR7,
    IOREQD_VCPU_RSP,
    IOREQD_VCPU_RIP,
    IOREQD_VCPU_RFLAGS,
    NONE, /* pending debug exceptions */
    IOREQD_VCPU_SYSENTER_ESP,
    IOREQD_VCPU_SYSENTER_EIP,
};

static const char *const slot_name[ARRAY_SIZE(slot_reg)] = {
    "GUEST_ES_SELECTOR",
    "GUEST_CS_SELECTOR",
    "GUEST_SS_SELECTOR",
    "GUEST_DS_SELECTOR",
    "GUEST_FS_SELECTOR",
    "GUEST_GS_SELECTOR",
    "GUEST_LDTR_SELECTOR",
    "GUEST_TR_SELECTOR",
    NULL,
    NULL,
    NULL,
    "GUEST_IA32_EFER",
    "GUEST_ES_LIMIT",
    "GUEST_CS_LIMIT",
    "GUEST_SS_LIMIT",
    "GUEST_DS_LIMIT",
    "GUEST_FS_LIMIT",
    "GUEST_GS_LIMIT",
    "GUEST_LDTR_LIMIT",
    "GUEST_TR_LIMIT",
    "GUEST_GDTR_LIMIT",
    "GUEST_IDTR_LIMIT",
    "GUEST_ES_AR_BYTES",
    "GUEST_CS_AR_BYTES",
    "GUEST_SS_AR_BYTES",
    "GUEST_DS_AR_BYTES",
    "GUEST_FS_AR_BYTES",
    "GUEST_GS_AR_BYTES",
    "GUEST_LDTR_AR_BYTES",
    "GUEST_TR_AR_BYTES",
    NULL,
    NULL,
    NULL,
    "GUEST_SYSENTER_CS",
    "GUEST_CR0",
    "GUEST_CR3",
    "GUEST_CR4",
    "GUEST_ES_BASE",
    "GUEST_CS_BASE",
    "GUEST_SS_BASE",
    "GUEST_DS_BASE",
    "GUEST_FS_BASE",
    "GUEST_GS_BASE",
    "GUEST_LDTR_BASE",
    "GUEST_TR_BASE",
    "GUEST_GDTR_BASE",
    "GUEST_IDTR_BASE",
    "GUEST_DR7",
    "GUEST_RSP",
    "GUEST_RIP",
    "GUEST_RFLAGS",
    NULL,
    "GUEST_SYSENTER_ESP",
    "GUEST_SYSENTER_EIP",
};

/* The one 64-bit field served has a "high" form too. */
static const char *const efer_high_name = "GUEST_IA32_EFER_HIGH";

struct vmcs_group {
	uint8_t first; /* offset into slot_reg */
	uint8_t limit; /* number of indexes served */
};

/* [width][type]; groups not listed serve nothing (limit 0). */
static const struct vmcs_group groups[4][4] = {
    [IOREQD_VMCS_W16][IOREQD_VMCS_GUEST] = {0, 8},
    [IOREQD_VMCS_W64][IOREQD_VMCS_GUEST] = {8, 4},
    [IOREQD_VMCS_W32][IOREQD_VMCS_GUEST] = {12, 22},
    [IOREQD_VMCS_WNAT][IOREQD_VMCS_GUEST] = {34, 20},
};

_Static_assert(34 + 20 == ARRAY_SIZE(slot_reg), "the offset table covers the slot table");

/* Bits that must be zero in an encoding: bit 12 and bits 31:15. */
#define VMCS_RESERVED_BITS 0xffff9000u

static const char *const width_name[] = {"16-bit", "64-bit", "32-bit", "natural-width"};
static const char *const type_name[] = {"control", "read-only data", "guest-state",
                                        "host-state"};

int ioreqd_vmcs_lookup(uint32_t enc, struct ioreqd_vmcs_field *f, const char **why)
{
	const struct vmcs_group *g;
	unsigned reg;

	memset(f, 0, sizeof(*f));
	if (why)
		*why = NULL;
	if (enc & VMCS_RESERVED_BITS) {
		if (why)
			*why = "reserved bits are set: not a VMCS field encoding";
		return -EINVAL;
	}
	f->high = enc & 1;
	f->index = (enc >> 1) & 0x1ff;
	f->type = (enum ioreqd_vmcs_type)((enc >> 10) & 3);
	f->width = (enum ioreqd_vmcs_width)((enc >> 13) & 3);
	if (f->high && f->width != IOREQD_VMCS_W64) {
		if (why)
			*why = "high access to a field that is not 64 bits wide";
		return -EINVAL;
	}
	g = &groups[f->width][f->type];
	if (f->index >= g->limit || (reg = slot_reg[g->first + f->index]) == NONE) {
		if (why)
			*why = "the saved vCPU state does not hold this field";
		return -ENOENT;
	}
	f->reg = (enum ioreqd_vcpu_reg)reg;
	return 0;
}

unsigned ioreqd_vmcs_encodings(uint32_t *out, unsigned max)
{
	unsigned n = 0;

	for (unsigned w = 0; w < 4; w++) {
		for (unsigned t = 0; t < 4; t++) {
			const struct vmcs_group *g = &groups[w][t];

			for (unsigned i = 0; i < g->limit; i++) {
				uint32_t enc = (w << 13) | (t << 10) | (i << 1);

				if (slot_reg[g->first + i] == NONE)
					continue;
				for (unsigned hi = 0; hi <= (w == IOREQD_VMCS_W64);
				     hi++) {
					if (out && n < max)
						out[n] = enc | hi;
					n++;
				}
			}
		}
	}
	return n;
}

const char *ioreqd_vcpu_vmcs_name(uint32_t enc)
{
	struct ioreqd_vmcs_field f;

	if (ioreqd_vmcs_lookup(enc, &f, NULL) != 0)
		return NULL;
	if (f.high)
		return efer_high_name;
	return slot_name[groups[f.width][f.type].first + f.index];
}

/* ---- the cache --------------------------------------------------------------- */

static void warn(struct ioreqd_vcpu *v, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void warn(struct ioreqd_vcpu *v, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	v->stats.refused++;
	if (!v->ops || !v->ops->warn)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	v->ops->warn(v->opaque, v->vcpu, msg);
}

static void dirty_set(struct ioreqd_vcpu *v, unsigned reg, bool on)
{
	uint64_t bit = 1ull << (reg % 64);

	if (on)
		v->dirty[reg / 64] |= bit;
	else
		v->dirty[reg / 64] &= ~bit;
}

static bool dirty_test(const struct ioreqd_vcpu *v, unsigned reg)
{
	return (v->dirty[reg / 64] >> (reg % 64)) & 1;
}

void ioreqd_vcpu_init(struct ioreqd_vcpu *v, unsigned vcpu,
                      const struct ioreqd_vcpu_ops *ops, void *opaque)
{
	memset(v, 0, sizeof(*v));
	v->ops = ops;
	v->opaque = opaque;
	v->vcpu = vcpu;
}

unsigned ioreqd_vcpu_id(const ioreqd_vcpu_t *v)
{
	return v->vcpu;
}

unsigned ioreqd_vcpu_dirty_count(const struct ioreqd_vcpu *v)
{
	unsigned n = 0;

	for (unsigned i = 0; i < IOREQD_VCPU_DIRTY_WORDS; i++)
		for (uint64_t w = v->dirty[i]; w; w &= w - 1)
			n++;
	return n;
}

bool ioreqd_vcpu_is_dirty(const struct ioreqd_vcpu *v, enum ioreqd_vcpu_reg reg)
{
	return reg_valid(reg) && dirty_test(v, reg);
}

unsigned ioreqd_vcpu_reset(struct ioreqd_vcpu *v)
{
	unsigned dropped;

	/*
	 * Fields only become dirty after the state was fetched, so an untouched
	 * context (nearly every access) has nothing to count or clear.
	 */
	if (!v->loaded)
		return 0;
	dropped = ioreqd_vcpu_dirty_count(v);

	memset(v->dirty, 0, sizeof(v->dirty));
	v->loaded = false;
	return dropped;
}

/*
 * Fetch the state on first use.  @p what says in plain words what the hook
 * asked for ("a hook's register read"), for messages.
 */
static int ensure_loaded(struct ioreqd_vcpu *v, const char *what)
{
	int rc;

	if (v->loaded)
		return 0;
	if (!v->ops || !v->ops->load) {
		warn(v, "%s failed: this backend offers no vCPU state", what);
		return -ENOTSUP;
	}
	v->stats.loads++;
	rc = v->ops->load(v->opaque, v->vcpu, &v->regs);
	if (rc < 0) {
		memset(&v->regs, 0, sizeof(v->regs));
		warn(v, "%s failed: cannot fetch the vCPU state: %s", what,
		     strerror(-rc));
		return rc;
	}
	v->base = v->regs;
	memset(v->dirty, 0, sizeof(v->dirty));
	v->loaded = true;
	return 0;
}

/*
 * Change one register in the cache.  It is dirty exactly while it differs
 * from the state as fetched, so writing the old value back undoes the change.
 */
static void put(struct ioreqd_vcpu *v, enum ioreqd_vcpu_reg reg, uint64_t val)
{
	ioreqd_vcpu_regs_set(&v->regs, reg, val);
	dirty_set(v, reg,
	          ioreqd_vcpu_regs_get(&v->regs, reg) !=
	              ioreqd_vcpu_regs_get(&v->base, reg));
}

/*
 * What get and set do before touching @p reg: refuse an unknown register, then
 * make sure the cache holds the vCPU's state.  @p what says what the hook
 * asked for, in messages.  @return 0, -EINVAL or ensure_loaded's error.
 */
static int reg_prepare(struct ioreqd_vcpu *v, const char *what, enum ioreqd_vcpu_reg reg)
{
	if (!reg_valid(reg)) {
		warn(v, "%s refused: unknown register %d", what, (int)reg);
		return -EINVAL;
	}
	return ensure_loaded(v, what);
}

int ioreqd_vcpu_get(ioreqd_vcpu_t *v, enum ioreqd_vcpu_reg reg, uint64_t *val)
{
	int rc;

	*val = 0;
	rc = reg_prepare(v, "a hook's register read", reg);
	if (rc < 0)
		return rc;
	*val = ioreqd_vcpu_regs_get(&v->regs, reg);
	return 0;
}

int ioreqd_vcpu_set(ioreqd_vcpu_t *v, enum ioreqd_vcpu_reg reg, uint64_t val)
{
	int rc = reg_prepare(v, "a hook's register write", reg);

	if (rc < 0)
		return rc;
	put(v, reg, val);
	return 0;
}

/*
 * Resolve an encoding, explaining a refusal, then make sure the cache holds
 * the vCPU's state: what vmcs_read and vmcs_write do first.  @p what says
 * what the hook asked for, in messages.  @return 0, -ENOENT or
 * ensure_loaded's error.
 */
static int vmcs_prepare(struct ioreqd_vcpu *v, const char *what, uint32_t enc,
                        struct ioreqd_vmcs_field *f)
{
	const char *why;
	int rc = ioreqd_vmcs_lookup(enc, f, &why);

	if (rc == -EINVAL) {
		warn(v, "%s refused: VMCS encoding 0x%x: %s", what, enc, why);
		return -ENOENT;
	}
	if (rc < 0) {
		warn(v, "%s refused: VMCS field 0x%x (%s %s field, index %u): %s", what,
		     enc, width_name[f->width], type_name[f->type], f->index, why);
		return -ENOENT;
	}
	return ensure_loaded(v, what);
}

int ioreqd_vcpu_vmcs_read(ioreqd_vcpu_t *v, uint32_t enc, uint64_t *val)
{
	struct ioreqd_vmcs_field f;
	uint64_t x;
	int rc;

	*val = 0;
	rc = vmcs_prepare(v, "a hook's VMCS read", enc, &f);
	if (rc < 0)
		return rc;
	x = ioreqd_vcpu_regs_get(&v->regs, f.reg);
	*val = f.high ? x >> 32 : x;
	return 0;
}

int ioreqd_vcpu_vmcs_write(ioreqd_vcpu_t *v, uint32_t enc, uint64_t val)
{
	struct ioreqd_vmcs_field f;
	int rc;

	rc = vmcs_prepare(v, "a hook's VMCS write", enc, &f);
	if (rc < 0)
		return rc;
	if (f.high) {
		uint64_t old = ioreqd_vcpu_regs_get(&v->regs, f.reg);

		val = (old & 0xffffffffull) | (val << 32);
	}
	/* Truncation to the field's width happens in ioreqd_vcpu_regs_set. */
	put(v, f.reg, val);
	return 0;
}

int ioreqd_vcpu_save(ioreqd_vcpu_t *v, ioreqd_vcpu_snapshot_t **out)
{
	struct ioreqd_vcpu_snapshot *s;
	int rc;

	*out = NULL;
	rc = ensure_loaded(v, "a hook's vCPU snapshot");
	if (rc < 0)
		return rc;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->vcpu = v->vcpu;
	s->regs = v->regs;
	*out = s;
	return 0;
}

int ioreqd_vcpu_restore(ioreqd_vcpu_t *v, const ioreqd_vcpu_snapshot_t *s)
{
	int rc;

	if (!s || s->vcpu != v->vcpu) {
		warn(v, "a hook's vCPU restore refused: the snapshot belongs to another "
		        "vCPU");
		return -EINVAL;
	}
	rc = ensure_loaded(v, "a hook's vCPU restore");
	if (rc < 0)
		return rc;
	for (unsigned r = 0; r < IOREQD_VCPU_REG_COUNT; r++)
		put(v, (enum ioreqd_vcpu_reg)r,
		    ioreqd_vcpu_regs_get(&s->regs, (enum ioreqd_vcpu_reg)r));
	return 0;
}

void ioreqd_vcpu_snapshot_free(ioreqd_vcpu_snapshot_t *s)
{
	free(s);
}

int ioreqd_vcpu_flush(struct ioreqd_vcpu *v)
{
	struct ioreqd_vcpu_regs fresh;
	unsigned n;
	int rc;

	if (!v->loaded)
		return 0; /* nothing fetched, so nothing can be dirty (hot path) */
	n = ioreqd_vcpu_dirty_count(v);
	if (n == 0)
		return 0;
	if (!v->ops || !v->ops->load || !v->ops->store) {
		warn(v,
		     "%u register(s) a hook changed were dropped: this backend cannot "
		     "write vCPU state",
		     n);
		rc = -ENOTSUP;
		goto out;
	}
	/*
	 * Start from the state as it is now, not as it was fetched, so only the
	 * fields the handler changed are written, whatever else changed since.
	 */
	v->stats.loads++;
	rc = v->ops->load(v->opaque, v->vcpu, &fresh);
	if (rc < 0) {
		warn(v,
		     "%u register(s) a hook changed were dropped: cannot fetch the "
		     "vCPU state: %s",
		     n, strerror(-rc));
		goto out;
	}
	for (unsigned r = 0; r < IOREQD_VCPU_REG_COUNT; r++)
		if (dirty_test(v, r))
			ioreqd_vcpu_regs_set(
			    &fresh, (enum ioreqd_vcpu_reg)r,
			    ioreqd_vcpu_regs_get(&v->regs, (enum ioreqd_vcpu_reg)r));
	v->stats.stores++;
	rc = v->ops->store(v->opaque, v->vcpu, &fresh);
	if (rc < 0) {
		warn(v, "cannot write back %u register(s) a hook changed: %s", n,
		     strerror(-rc));
		goto out;
	}
	v->stats.flushed += n;
	v->regs = fresh;
	v->base = fresh;
out:
	memset(v->dirty, 0, sizeof(v->dirty));
	if (rc < 0)
		v->loaded = false;
	return rc;
}
