/* SPDX-License-Identifier: MIT */
/*
 * The ioreq engine: Xen's per-vCPU synchronous slot state machine and the
 * buffered ring, over views of shared_iopage_t / buffered_iopage_t.
 *
 * The engine copies each request out of the shared page once, validates the
 * copy (never the live slot, which the other side could change under us), runs
 * the resulting single accesses through the bus, and writes back only `data`
 * and `state`.  It knows nothing of Xen handles or event loops: whatever it
 * needs from the outside comes through struct ioreqd_engine_ops.
 */
#ifndef IOREQD_ENGINE_H
#define IOREQD_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xen/xen.h>
#include <xen/hvm/ioreq.h>

#include <ioreqd/fault.h>

#include "bus.h"
#include "guest.h"

struct ioreqd_vcpu_regs;

/*
 * The largest rep count accepted.  Xen clips a rep string access so that its
 * guest buffer stays within one page (hvmemul_linear_to_phys), so no honest
 * request carries more than 4096 repetitions (size 1, one 4 KiB page).
 */
#define IOREQD_MAX_COUNT 4096u

/* Largest vCPU count a shared_iopage_t serves: one page of 32-byte slots. */
#define IOREQD_MAX_VCPUS 128u

struct ioreqd_engine;

/**
 * What the engine tells its owner (the daemon, a test); both may be NULL.
 * Everything the engine does to the guest goes through the backend's data
 * part instead (struct ioreqd_guest_ops, guest.h).
 */
struct ioreqd_engine_ops {
	/** IOREQ_TYPE_TIMEOFFSET: the guest's RTC offset changed by @p delta seconds. */
	void (*timeoffset)(void *opaque, int64_t delta);
	/** A handler deferred an access (the daemon arms its watchdog). */
	void (*deferred)(void *opaque, ioreqd_fault_t *f, const char *handler);
	/**
	 * IOREQ_TYPE_INVALIDATE, after the backend dropped its cached mappings:
	 * tell the devices (ioreqd_dm_invalidate), before the request completes.
	 */
	void (*invalidate)(void *opaque);
	/**
	 * A string I/O read stored @p len bytes into guest memory at @p gpa
	 * (for the dirty log: the daemon reports such pages during live
	 * migration).
	 */
	void (*guest_written)(void *opaque, uint64_t gpa, size_t len);
};

/** Why requests were rejected; indexes ioreqd_engine_stats.rejected_by. */
enum ioreqd_reject {
	IOREQD_REJ_STATE = 0, /* slot not READY when it should be, or unknown state */
	IOREQD_REJ_TYPE,      /* unknown type */
	IOREQD_REJ_SIZE,      /* size not 1/2/4/8, or too big for the space */
	IOREQD_REJ_COUNT,   /* count 0 or > IOREQD_MAX_COUNT, or rep where none is allowed
	                     */
	IOREQD_REJ_RANGE,   /* addr + size * count overflows or leaves the space */
	IOREQD_REJ_PTR,     /* data_is_ptr buffer wraps or lies outside guest memory */
	IOREQD_REJ_BUFRING, /* buffered ring pointers or slot contents invalid */
	IOREQD_REJ_VCPU,    /* notification for a vCPU the engine does not serve */
	IOREQD_REJ_COUNT_
};

/** Engine-wide counters. */
struct ioreqd_engine_stats {
	uint64_t requests;  /* synchronous requests seen in READY */
	uint64_t accesses;  /* single accesses dispatched (after rep expansion) */
	uint64_t completed; /* requests completed (IORESP_READY written) */
	uint64_t
	    unhandled; /* accesses no handler claimed (read all-ones / write dropped) */
	uint64_t handler_errors; /* accesses a handler failed */
	uint64_t deferred;       /* accesses a handler deferred */
	uint64_t aborted;  /* deferred accesses completed by abort (watchdog, shutdown) */
	uint64_t spurious; /* notifications with no READY request (not counting
	                      the one Xen raises when a vCPU's port is bound) */
	uint64_t timeoffset;
	uint64_t invalidate;
	uint64_t buffered;       /* buffered writes dispatched */
	uint64_t buffered_slots; /* buffered slots consumed */
	uint64_t rejected;       /* sum of rejected_by */
	uint64_t rejected_by[IOREQD_REJ_COUNT_];
};

/**
 * Create an engine for @p nr_vcpus slots of @p page, dispatching to @p bus.
 * @p page may be NULL for an engine that only serves injected requests (tests,
 * replay).
 * @param guest       the backend's data part (copied; NULL: nothing, not even notify)
 * @param guest_priv  the backend's state, passed to every @p guest call
 * @param ops         the owner's callbacks (copied; may be NULL), with @p opaque
 * @return the engine or NULL (-EINVAL for nr_vcpus 0 or > 128).
 */
struct ioreqd_engine *
ioreqd_engine_new(struct ioreqd_bus *bus, shared_iopage_t *page, unsigned nr_vcpus,
                  unsigned domid, const struct ioreqd_guest_ops *guest, void *guest_priv,
                  const struct ioreqd_engine_ops *ops, void *opaque);
void ioreqd_engine_free(struct ioreqd_engine *e);

/**
 * A notification arrived for @p vcpu: if its slot holds a READY request,
 * take it, run it and complete it (or leave it deferred).
 * @return 1 if a request was taken, 0 if there was nothing to do (spurious),
 * or -EINVAL for a vCPU out of range (counted, never fatal).
 */
int ioreqd_engine_handle(struct ioreqd_engine *e, unsigned vcpu);

/**
 * As ioreqd_engine_handle(), when no notification came: the daemon looks at
 * the slot on its own (on resume, in the shutdown sweeps, in an adaptive
 * poll).  An empty slot is then not counted as spurious, and neither is the
 * next empty notification after a request taken here: that is the request's
 * own notification arriving late.
 * @return 1 if a request was taken, 0 if there was none, or -EINVAL.
 */
int ioreqd_engine_poll(struct ioreqd_engine *e, unsigned vcpu);

/**
 * Run one request given by value (no shared page involved) as if it had
 * arrived on @p vcpu; on return (or on deferred completion) the result is in
 * *req (data, state = IORESP_READY).  For tests, replay and the fuzzers.
 * @return 1 when completed synchronously, 0 when deferred, negative errno.
 */
int ioreqd_engine_inject(struct ioreqd_engine *e, unsigned vcpu, ioreq_t *req);

/**
 * Drain the buffered ring: dispatch every complete entry of one snapshot of
 * the pointers (at most a ring's worth) as a write, advance read_pointer
 * atomically, and stop at a half-written 8-byte entry.  The work per call is
 * bounded; if more was published meanwhile, ioreqd_engine_buffered_pending()
 * says so and the caller calls again later (from its event loop), so that a
 * busy or hostile producer cannot hold the caller.
 * @return the number of slots consumed.
 */
unsigned ioreqd_engine_drain_buffered(struct ioreqd_engine *e, buffered_iopage_t *bp);

/**
 * @return true if the last ioreqd_engine_drain_buffered() left complete
 * entries in the ring (call it again); false once it found the ring empty or
 * only half an 8-byte write.
 */
bool ioreqd_engine_buffered_pending(const struct ioreqd_engine *e);

/** Look up a deferred access by ticket.  @return the fault or NULL if stale. */
ioreqd_fault_t *ioreqd_engine_resume(struct ioreqd_engine *e, ioreqd_ticket_t t);

/**
 * Complete a deferred access now without its handler (watchdog, shutdown):
 * a read returns all-ones.  @return 0, or -EALREADY if it was not pending.
 */
int ioreqd_engine_abort(struct ioreqd_engine *e, ioreqd_fault_t *f);

/**
 * Complete every deferred access (shutdown).  @return how many were pending.
 */
unsigned ioreqd_engine_abort_all(struct ioreqd_engine *e);

/** @return how many vCPUs are waiting on a deferred access. */
unsigned ioreqd_engine_pending(const struct ioreqd_engine *e);

/** @return the handler name owning a deferred fault (for the watchdog's message). */
const char *ioreqd_engine_fault_owner(const ioreqd_fault_t *f);

const struct ioreqd_engine_stats *ioreqd_engine_stats(const struct ioreqd_engine *e);
unsigned ioreqd_engine_nr_vcpus(const struct ioreqd_engine *e);
const char *ioreqd_reject_name(enum ioreqd_reject r);

#endif /* IOREQD_ENGINE_H */
