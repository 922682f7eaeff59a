/* SPDX-License-Identifier: MIT */
/*
 * Private state of the ioreq engine, shared by lib/ioreq.c (the synchronous
 * slots) and lib/bufioreq.c (the buffered ring).
 */
#ifndef IOREQD_ENGINE_INTERNAL_H
#define IOREQD_ENGINE_INTERNAL_H

#include "fault-internal.h"
#include "engine.h"
#include "log.h"
#include "vcpu-internal.h"

/* The vCPU id a posted (buffered) write reports: nobody waits for it. */
#define IOREQD_VCPU_NONE 0xffffu

/* Per-vCPU request context: at most one synchronous request is in flight. */
struct vcpu_ctx {
	ioreq_t req;                /* validated private copy of the slot */
	ioreqd_fault_t fault;       /* the current single access */
	struct ioreqd_vcpu vctx;    /* register cache the handlers see */
	struct ioreqd_hnode *owner; /* the handler holding a deferred access */
	ioreq_t *out;           /* where completion goes: the slot, or an injected req */
	uint32_t idx;           /* current element of a rep access */
	uint8_t busy;           /* a request is in flight */
	uint8_t injected;       /* out is a caller's ioreq_t, not a shared slot */
	uint8_t bind_kick_seen; /* the event channel's bind notification came */
	uint8_t served;         /* at least one request was taken */
	uint8_t kick_owed;      /* one was taken before its notification came */
};

struct ioreqd_engine {
	struct ioreqd_bus *bus;
	shared_iopage_t *page;
	unsigned nr_vcpus;
	unsigned domid;
	unsigned pending;              /* deferred accesses outstanding */
	struct ioreqd_guest_ops guest; /* the backend's data part, called directly */
	void *guest_priv;
	struct ioreqd_engine_ops ops; /* the owner's: timeoffset, deferred */
	void *opaque;
	struct ioreqd_engine_stats stats;
	struct ioreqd_ratelimit rl_reject;
	struct ioreqd_ratelimit rl_unhandled;
	struct ioreqd_ratelimit rl_error;
	ioreqd_fault_t posted;          /* the fault used for buffered writes */
	struct ioreqd_vcpu posted_vctx; /* no vCPU: every call is -ENOTSUP */
	bool buffered_more;             /* the last drain left published entries */
	struct ioreqd_ratelimit rl_vcpu;
	struct vcpu_ctx *vcpus;
};

/* Count and log (rate-limited) a rejected request or ring entry. */
void ioreqd_engine_reject(struct ioreqd_engine *e, enum ioreqd_reject why, unsigned vcpu,
                          uint64_t addr, const char *fmt, ...) IOREQD_PRINTF(5, 6);

/* Dispatch one posted write (buffered ring): no vCPU waits for it. */
void ioreqd_engine_post_write(struct ioreqd_engine *e, enum ioreqd_space space,
                              uint64_t addr, unsigned size, uint64_t data);

/* Run a chain from @p start; sets f->state; reports the handler that decided. */
enum ioreqd_fault_result ioreqd_chain_run(struct ioreqd_hnode *start, ioreqd_fault_t *f,
                                          struct ioreqd_hnode **decider);

#endif /* IOREQD_ENGINE_INTERNAL_H */
