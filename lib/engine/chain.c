/* SPDX-License-Identifier: MIT */
/*
 * Handler chains, in the manner of the VMM's Hook_VMM_Fault: several handlers
 * share one range, the one installed later runs first, and each either handles
 * an access or passes it to the one installed before it.  Placement classes
 * (first/normal/last) give a coarse order that configuration can rely on: a
 * "last" handler (a catch-all) stays at the tail however many normal handlers
 * are installed after it, and a "first" one (a tracer) stays at the head.
 */
#include "bus.h"

#include <errno.h>
#include <stdlib.h>

#include "bus-internal.h"
#include "engine-internal.h"

int ioreqd_range_install(struct ioreqd_range *r, const struct ioreqd_handler *h,
                         struct ioreqd_hnode **out, bool *had_prev)
{
	struct ioreqd_hnode *n, **pp;

	if (out)
		*out = NULL;
	if (had_prev)
		*had_prev = false;
	if (!r || !h || !h->fn || (unsigned)h->order > IOREQD_ORDER_LAST)
		return -EINVAL;
	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->h = *h;
	n->range = r;
	if (had_prev)
		*had_prev = r->head != NULL;
	/*
	 * Insert ahead of every node of the same or a later class: within a
	 * class the newest runs first, and earlier classes stay in front.
	 */
	for (pp = &r->head; *pp && (*pp)->h.order < h->order; pp = &(*pp)->next)
		;
	n->next = *pp;
	*pp = n;
	if (out)
		*out = n;
	return 0;
}

int ioreqd_range_uninstall(struct ioreqd_range *r, struct ioreqd_hnode *node)
{
	struct ioreqd_hnode **pp;

	if (!r || !node)
		return -ENOENT;
	if (r->busy)
		return -EBUSY; /* the chain is running: see struct ioreqd_range */
	for (pp = &r->head; *pp; pp = &(*pp)->next) {
		if (*pp == node) {
			*pp = node->next;
			free(node);
			return 0;
		}
	}
	return -ENOENT;
}

void ioreqd_range_free_chain(struct ioreqd_range *r)
{
	struct ioreqd_hnode *n = r->head;

	while (n) {
		struct ioreqd_hnode *next = n->next;

		free(n);
		n = next;
	}
	r->head = NULL;
}

struct ioreqd_hnode *ioreqd_range_head(const struct ioreqd_range *r)
{
	return r->head;
}

struct ioreqd_hnode *ioreqd_hnode_next(const struct ioreqd_hnode *n)
{
	return n->next;
}

const struct ioreqd_handler *ioreqd_hnode_handler(const struct ioreqd_hnode *n)
{
	return &n->h;
}

struct ioreqd_counters *ioreqd_hnode_counters(struct ioreqd_hnode *n)
{
	return &n->stats;
}

/* How many handlers a range holds (statistics and tests). */
unsigned ioreqd_range_chain_length(const struct ioreqd_range *r)
{
	unsigned len = 0;

	for (const struct ioreqd_hnode *n = r->head; n; n = n->next)
		len++;
	return len;
}

enum ioreqd_fault_result ioreqd_chain_run(struct ioreqd_hnode *start, ioreqd_fault_t *f,
                                          struct ioreqd_hnode **decider)
{
	for (struct ioreqd_hnode *n = start; n; n = n->next) {
		enum ioreqd_fault_result res;

		n->stats.accesses++;
		if (f->is_read)
			n->stats.reads++;
		else
			n->stats.writes++;
		f->state = FAULT_RUNNING;
		res = n->h.fn(f, n->h.opaque);
		switch (res) {
		case IOREQD_FAULT_PASS:
			n->stats.passes++;
			continue;
		case IOREQD_FAULT_HANDLED:
			*decider = n;
			return res;
		case IOREQD_FAULT_DEFER:
			n->stats.defers++;
			f->state = FAULT_DEFERRED;
			*decider = n;
			return res;
		case IOREQD_FAULT_ERROR:
		default:
			/* An unknown verdict from a hook is an error, not a crash. */
			n->stats.errors++;
			*decider = n;
			return IOREQD_FAULT_ERROR;
		}
	}
	*decider = NULL;
	return IOREQD_FAULT_PASS;
}
