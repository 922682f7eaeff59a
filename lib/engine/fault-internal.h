/* SPDX-License-Identifier: MIT */
/*
 * The private layout of struct ioreqd_fault.  Hooks link the accessors in
 * lib/fault.c statically (the hook SDK), so this layout is part of the hook
 * ABI: change it only together with IOREQD_HOOK_ABI.  Everything that needs
 * the engine (advance, restart, the instruction pointer) goes through the ops
 * pointer, which the engine fills in, so a hook never resolves engine symbols.
 */
#ifndef IOREQD_FAULT_INTERNAL_H
#define IOREQD_FAULT_INTERNAL_H

#include <stdint.h>

#include <ioreqd/fault.h>

struct ioreqd_fault_ops {
	int (*advance)(ioreqd_fault_t *f);
	int (*restart)(ioreqd_fault_t *f);
	int (*get_ip)(ioreqd_fault_t *f, uint64_t *ip);
};

/* Lifecycle of one access. */
enum ioreqd_fault_state {
	FAULT_IDLE = 0, /* no access */
	FAULT_RUNNING,  /* inside a handler call */
	FAULT_DEFERRED, /* a handler holds it */
	FAULT_DONE,     /* completed; a second completion is refused */
};

struct ioreqd_fault {
	const struct ioreqd_fault_ops *ops;
	void *engine;              /* opaque back pointer for ops */
	struct ioreqd_vcpu *vctx;  /* the vCPU's register cache (lib/vmcs.h) */
	ioreqd_fault_done_fn done; /* watcher of this access's end, or NULL */
	void *done_arg;
	uint64_t addr;   /* guest address of this single access */
	uint64_t offset; /* from the range base */
	uint64_t data;   /* write data, or read result so far; masked to size */
	uint64_t ip;     /* cached instruction pointer */
	uint32_t gen;    /* bumped for every access on this vCPU: names the ticket */
	uint16_t vcpu;
	uint8_t size;
	uint8_t space; /* enum ioreqd_space */
	uint8_t is_read;
	uint8_t state; /* enum ioreqd_fault_state */
	uint8_t ip_valid;
	uint8_t posted; /* a buffered write: nobody waits, deferral is moot */
};

/* Ticket layout: generation in the high 32 bits, vCPU in the low 16. */
static inline ioreqd_ticket_t ioreqd_ticket_make(uint32_t gen, unsigned vcpu)
{
	return ((uint64_t)gen << 32) | (vcpu & 0xffffu);
}

static inline uint64_t ioreqd_size_mask(unsigned size)
{
	return size >= 8 ? ~0ull : (1ull << (size * 8)) - 1;
}

#endif /* IOREQD_FAULT_INTERNAL_H */
