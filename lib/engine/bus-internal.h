/* SPDX-License-Identifier: MIT */
/*
 * Private bodies of the bus objects, shared by lib/bus.c (the range maps) and
 * lib/chain.c (the handler chains).  The engine reaches them only through
 * lib/bus.h, except for the inline chain walk below, which sits on the
 * per-access hot path.
 */
#ifndef IOREQD_BUS_INTERNAL_H
#define IOREQD_BUS_INTERNAL_H

#include "bus.h"

struct ioreqd_hnode {
	struct ioreqd_hnode *next; /* the handler installed before this one */
	struct ioreqd_range *range;
	struct ioreqd_handler h;
	struct ioreqd_counters stats;
};

struct ioreqd_range {
	uint64_t base;
	uint64_t last;
	struct ioreqd_hnode *head; /* runs first */
	void *owner;
	struct ioreqd_counters stats;
	enum ioreqd_space space;
	/*
	 * Accesses being dispatched through the chain right now (nested when a
	 * handler completes another vCPU's access).  While it is non-zero the
	 * engine holds pointers to the range and its nodes, so a handler that
	 * uninstalls itself or removes the range is refused with -EBUSY.
	 */
	unsigned busy;
	unsigned users; /* ioreqd_bus_claim()s not yet released */
};

/* Free every handler node of a range (chain.c). */
void ioreqd_range_free_chain(struct ioreqd_range *r);

#endif /* IOREQD_BUS_INTERNAL_H */
