/* SPDX-License-Identifier: MIT */
/*
 * The software VMCS: the private side of include/ioreqd/vcpu.h.
 *
 * struct ioreqd_vcpu is the per-vCPU cache the engine owns and hands to
 * handlers.  Its layout is private to ioreqd but, like struct ioreqd_fault,
 * the accessors are linked into every hook (the hook SDK), so it is part of
 * the hook ABI: change it only together with IOREQD_HOOK_ABI.  It knows no
 * hypervisor: the state comes and goes through struct ioreqd_vcpu_ops, which
 * the daemon backs with the backend's vcpu_get/vcpu_set.
 *
 * The engine's side of the contract:
 *   ioreqd_vcpu_init()   once per vCPU;
 *   ioreqd_vcpu_flush()  before an access completes (before its data and
 *                        state are written), so the guest resumes with the
 *                        changed registers;
 *   ioreqd_vcpu_reset()  when a new request starts, so stale state is never
 *                        served.
 */
#ifndef IOREQD_VCPU_INTERNAL_H
#define IOREQD_VCPU_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <ioreqd/vcpu.h>

#include "vcpu-regs.h"

#define IOREQD_VCPU_DIRTY_WORDS ((IOREQD_VCPU_REG_COUNT + 63) / 64)

/** Where the state of a vCPU comes from and goes to. */
struct ioreqd_vcpu_ops {
	/** Fetch the current state.  NULL: the backend has none (-ENOTSUP). */
	int (*load)(void *opaque, unsigned vcpu, struct ioreqd_vcpu_regs *regs);
	/** Write the state back.  NULL: the state is read-only (-ENOTSUP). */
	int (*store)(void *opaque, unsigned vcpu, const struct ioreqd_vcpu_regs *regs);
	/**
	 * Report a refused request ("vmcs_read: vcpu1: VMCS field 0x4824 ...").
	 * The daemon rate-limits these: a handler bug can repeat them per access.
	 * May be NULL.
	 */
	void (*warn)(void *opaque, unsigned vcpu, const char *msg);
};

/** Counters for statistics and tests. */
struct ioreqd_vcpu_stats {
	uint64_t loads;   /* ops->load calls */
	uint64_t stores;  /* ops->store calls */
	uint64_t flushed; /* fields written back */
	uint64_t refused; /* requests refused (unknown field, failed load) */
};

struct ioreqd_vcpu {
	const struct ioreqd_vcpu_ops *ops;
	void *opaque;
	unsigned vcpu;
	bool loaded;                             /* regs holds the current state */
	uint64_t dirty[IOREQD_VCPU_DIRTY_WORDS]; /* bit per enum ioreqd_vcpu_reg */
	struct ioreqd_vcpu_regs regs;            /* the cache, as the handlers see it */
	struct ioreqd_vcpu_regs base;            /* the state as fetched */
	struct ioreqd_vcpu_stats stats;
};

struct ioreqd_vcpu_snapshot {
	unsigned vcpu;
	struct ioreqd_vcpu_regs regs;
};

/** Set up the context of @p vcpu, empty and clean. */
void ioreqd_vcpu_init(struct ioreqd_vcpu *v, unsigned vcpu,
                      const struct ioreqd_vcpu_ops *ops, void *opaque);

/**
 * Forget the cached state (a new request started).  Dirty fields that were
 * never flushed are dropped.
 * @return how many dirty fields were dropped (0 when the engine flushed).
 */
unsigned ioreqd_vcpu_reset(struct ioreqd_vcpu *v);

/**
 * Write the dirty fields back, once: fetch the current state, put only the
 * dirty fields into it, store it.  Nothing is fetched or stored when nothing
 * is dirty.  The fields are clean afterwards either way, so a failure is
 * reported once and not retried on every later access.
 * @return 0 or the negative errno of load/store.
 */
int ioreqd_vcpu_flush(struct ioreqd_vcpu *v);

/** @return how many fields are dirty. */
unsigned ioreqd_vcpu_dirty_count(const struct ioreqd_vcpu *v);

/** @return whether register @p reg is dirty. */
bool ioreqd_vcpu_is_dirty(const struct ioreqd_vcpu *v, enum ioreqd_vcpu_reg reg);

/*
 * The VMCS encoding, decoded (Intel SDM vol. 3, "Field Encoding in VMCS"):
 * bit 0 access type (1 = high half of a 64-bit field), bits 9:1 index,
 * bits 11:10 type, bits 14:13 width; bit 12 and bits 31:15 are reserved (0).
 */
enum ioreqd_vmcs_width {
	IOREQD_VMCS_W16 = 0,
	IOREQD_VMCS_W64 = 1,
	IOREQD_VMCS_W32 = 2,
	IOREQD_VMCS_WNAT = 3,
};

enum ioreqd_vmcs_type {
	IOREQD_VMCS_CONTROL = 0,
	IOREQD_VMCS_RO_DATA = 1,
	IOREQD_VMCS_GUEST = 2,
	IOREQD_VMCS_HOST = 3,
};

struct ioreqd_vmcs_field {
	enum ioreqd_vmcs_width width;
	enum ioreqd_vmcs_type type;
	unsigned index;
	bool high;
	enum ioreqd_vcpu_reg reg; /* the register that backs it */
};

/**
 * Decode @p encoding and find the register behind it (the offset table).
 * @param why  receives a static reason on failure (may be NULL).
 * @return 0, -EINVAL for a malformed encoding, -ENOENT for a valid one that
 * no register backs.
 */
int ioreqd_vmcs_lookup(uint32_t encoding, struct ioreqd_vmcs_field *f, const char **why);

/**
 * List every encoding the context serves (full and high forms).
 * @return how many there are; at most @p max are stored in @p out (may be NULL).
 */
unsigned ioreqd_vmcs_encodings(uint32_t *out, unsigned max);

/** Register access on a plain struct (backends and tests). */
uint64_t ioreqd_vcpu_regs_get(const struct ioreqd_vcpu_regs *r, enum ioreqd_vcpu_reg reg);
void ioreqd_vcpu_regs_set(struct ioreqd_vcpu_regs *r, enum ioreqd_vcpu_reg reg,
                          uint64_t val);
/** @return the width of a register in bytes (2, 4 or 8), 0 if unknown. */
unsigned ioreqd_vcpu_reg_size(enum ioreqd_vcpu_reg reg);

#endif /* IOREQD_VCPU_INTERNAL_H */
