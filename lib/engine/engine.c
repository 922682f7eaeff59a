/* SPDX-License-Identifier: MIT */
/*
 * The synchronous ioreq engine: one slot per vCPU in Xen's shared_iopage_t.
 *
 * The protocol (xen/include/public/hvm/ioreq.h, xen/common/ioreq.c):
 *   Xen fills the slot, write barrier, state = READY, event to us.
 *   We see READY, read barrier, state = INPROCESS, handle it, write data,
 *   write barrier, state = IORESP_READY, event back.  Xen resets it to NONE;
 *   we never do, because a backward transition makes Xen crash the domain.
 *
 * Everything in the slot is derived from what the guest did, so the slot is
 * copied once after the read barrier and only the private copy is validated
 * and used: a second read of a field could see a different value.  A request
 * that fails validation is still completed (reads return all-ones) so the
 * vCPU never hangs, and it is counted and logged at a rate limit.
 *
 * Rep and string accesses are expanded here into single accesses of 1-8 bytes
 * that each fit one range; a handler may defer any of them, and the engine
 * resumes the expansion when the handler completes it.
 */
#include "engine.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus-internal.h"
#include "engine-internal.h"

_Static_assert(sizeof(ioreq_t) == 32, "ioreq_t must be Xen's 32-byte layout");
_Static_assert(offsetof(ioreq_t, type) == 31, "ioreq_t.type must be the last byte");
_Static_assert(IOREQD_MAX_VCPUS * sizeof(ioreq_t) <= 4096,
               "shared_iopage_t slots must fit one page");

#define PIO_LAST 0xffffull
#define PCI_REG_LIMIT 0x1000ull /* extended config space: 4 KiB per function */

static const char *const reject_names[IOREQD_REJ_COUNT_] = {
    [IOREQD_REJ_STATE] = "state",     [IOREQD_REJ_TYPE] = "type",
    [IOREQD_REJ_SIZE] = "size",       [IOREQD_REJ_COUNT] = "count",
    [IOREQD_REJ_RANGE] = "range",     [IOREQD_REJ_PTR] = "data_is_ptr",
    [IOREQD_REJ_BUFRING] = "bufring", [IOREQD_REJ_VCPU] = "vcpu",
};

const char *ioreqd_reject_name(enum ioreqd_reject r)
{
	return (unsigned)r < IOREQD_REJ_COUNT_ ? reject_names[r] : "?";
}

static int fault_advance_cb(ioreqd_fault_t *f);
static int fault_restart_cb(ioreqd_fault_t *f);
static int fault_get_ip_cb(ioreqd_fault_t *f, uint64_t *ip);

static const struct ioreqd_fault_ops fault_ops = {
    .advance = fault_advance_cb,
    .restart = fault_restart_cb,
    .get_ip = fault_get_ip_cb,
};

static int vctx_load(void *opaque, unsigned vcpu, struct ioreqd_vcpu_regs *regs)
{
	struct ioreqd_engine *e = opaque;

	return e->guest.vcpu_get ? e->guest.vcpu_get(e->guest_priv, vcpu, regs)
	                         : -ENOTSUP;
}

static int vctx_store(void *opaque, unsigned vcpu, const struct ioreqd_vcpu_regs *regs)
{
	struct ioreqd_engine *e = opaque;

	return e->guest.vcpu_set ? e->guest.vcpu_set(e->guest_priv, vcpu, regs)
	                         : -ENOTSUP;
}

static void vctx_warn(void *opaque, unsigned vcpu, const char *msg)
{
	struct ioreqd_engine *e = opaque;

	ioreqd_log_rl(&e->rl_vcpu, LOG_LEVEL_WARN, "domain %u vcpu%u: %s", e->domid, vcpu,
	              msg);
}

static const struct ioreqd_vcpu_ops vctx_ops = {
    .load = vctx_load,
    .store = vctx_store,
    .warn = vctx_warn,
};

static struct vcpu_ctx *ctx_of(ioreqd_fault_t *f)
{
	return (struct vcpu_ctx *)((char *)f - offsetof(struct vcpu_ctx, fault));
}

struct ioreqd_engine *ioreqd_engine_new(struct ioreqd_bus *bus, shared_iopage_t *page,
                                        unsigned nr_vcpus, unsigned domid,
                                        const struct ioreqd_guest_ops *guest,
                                        void *guest_priv,
                                        const struct ioreqd_engine_ops *ops, void *opaque)
{
	struct ioreqd_engine *e = NULL;

	if (!bus || nr_vcpus == 0 || nr_vcpus > IOREQD_MAX_VCPUS) {
		errno = EINVAL;
		return NULL;
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		goto fail;
	e->vcpus = calloc(nr_vcpus, sizeof(*e->vcpus));
	if (!e->vcpus)
		goto fail;
	e->bus = bus;
	e->page = page;
	e->nr_vcpus = nr_vcpus;
	e->domid = domid;
	if (guest)
		e->guest = *guest;
	e->guest_priv = guest_priv;
	if (ops)
		e->ops = *ops;
	e->opaque = opaque;
	e->rl_reject = (struct ioreqd_ratelimit)IOREQD_RATELIMIT_INIT(10, 2);
	e->rl_unhandled = (struct ioreqd_ratelimit)IOREQD_RATELIMIT_INIT(10, 2);
	e->rl_error = (struct ioreqd_ratelimit)IOREQD_RATELIMIT_INIT(10, 2);
	for (unsigned v = 0; v < nr_vcpus; v++) {
		e->vcpus[v].fault.ops = &fault_ops;
		e->vcpus[v].fault.engine = e;
		e->vcpus[v].fault.vctx = &e->vcpus[v].vctx;
		ioreqd_vcpu_init(&e->vcpus[v].vctx, v, &vctx_ops, e);
		e->vcpus[v].fault.vcpu = (uint16_t)v;
	}
	e->posted.ops = &fault_ops;
	e->posted.engine = e;
	e->posted.vctx = &e->posted_vctx;
	ioreqd_vcpu_init(&e->posted_vctx, IOREQD_VCPU_NONE, NULL, NULL);
	e->rl_vcpu = (struct ioreqd_ratelimit)IOREQD_RATELIMIT_INIT(10, 2);
	e->posted.vcpu = IOREQD_VCPU_NONE;
	e->posted.posted = 1;
	return e;
fail:
	free(e);
	errno = ENOMEM;
	return NULL;
}

void ioreqd_engine_free(struct ioreqd_engine *e)
{
	if (!e)
		return;
	free(e->vcpus);
	free(e);
}

void ioreqd_engine_reject(struct ioreqd_engine *e, enum ioreqd_reject why, unsigned vcpu,
                          uint64_t addr, const char *fmt, ...)
{
	char detail[160];
	va_list ap;

	e->stats.rejected++;
	e->stats.rejected_by[why]++;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	ioreqd_log_rl(&e->rl_reject, LOG_LEVEL_WARN,
	              "domain %u vcpu%u: access to 0x%llx rejected (%s): %s", e->domid,
	              vcpu, (unsigned long long)addr, ioreqd_reject_name(why), detail);
}

/* Step a rep address by i elements in the direction of df. */
static uint64_t rep_step(const ioreq_t *r, uint64_t base, uint32_t i)
{
	uint64_t d = (uint64_t)i * r->size;

	return r->df ? base - d : base + d;
}

/*
 * Does [first, first + count * size) stepped by df stay inside 64 bits?
 * With df the addresses go down from base; the last element must not go
 * below 0, and the top byte of the first element must not wrap.
 */
static bool rep_span_ok(uint64_t base, uint32_t count, uint32_t size, bool df)
{
	uint64_t span = (uint64_t)(count - 1) * size;

	if (base + (size - 1) < base)
		return false;
	if (df)
		return base >= span;
	return base + span + (size - 1) >= base + span && base + span >= base;
}

static enum ioreqd_space space_of(uint8_t type)
{
	return type == IOREQ_TYPE_PIO    ? IOREQD_SPACE_PIO
	       : type == IOREQ_TYPE_COPY ? IOREQD_SPACE_MMIO
	                                 : IOREQD_SPACE_PCI;
}

/* @return true if the private copy describes a request we can run. */
static bool validate(struct ioreqd_engine *e, unsigned vcpu, const ioreq_t *r)
{
	unsigned size = r->size;

	if (r->type != IOREQ_TYPE_PIO && r->type != IOREQ_TYPE_COPY &&
	    r->type != IOREQ_TYPE_PCI_CONFIG) {
		ioreqd_engine_reject(e, IOREQD_REJ_TYPE, vcpu, r->addr, "unknown type %u",
		                     r->type);
		return false;
	}
	if (size != 1 && size != 2 && size != 4 && size != 8) {
		ioreqd_engine_reject(e, IOREQD_REJ_SIZE, vcpu, r->addr, "size %u", size);
		return false;
	}
	if (size == 8 && r->type != IOREQ_TYPE_COPY) {
		/* x86 port I/O and PCI config cycles are at most 4 bytes wide. */
		ioreqd_engine_reject(e, IOREQD_REJ_SIZE, vcpu, r->addr, "size 8 for %s",
		                     ioreqd_space_name(space_of(r->type)));
		return false;
	}
	if (r->count == 0 || r->count > IOREQD_MAX_COUNT) {
		ioreqd_engine_reject(e, IOREQD_REJ_COUNT, vcpu, r->addr,
		                     "count %u (1..%u)", r->count, IOREQD_MAX_COUNT);
		return false;
	}
	switch (r->type) {
	case IOREQ_TYPE_PIO:
		if (r->addr > PIO_LAST || r->addr + size - 1 > PIO_LAST) {
			ioreqd_engine_reject(e, IOREQD_REJ_RANGE, vcpu, r->addr,
			                     "port access past 0xffff");
			return false;
		}
		break;
	case IOREQ_TYPE_COPY:
		if (!rep_span_ok(r->addr, r->count, size, r->df)) {
			ioreqd_engine_reject(e, IOREQD_REJ_RANGE, vcpu, r->addr,
			                     "addr + size x count %u wraps", r->count);
			return false;
		}
		break;
	case IOREQ_TYPE_PCI_CONFIG:
		if (r->count != 1 || r->data_is_ptr) {
			ioreqd_engine_reject(e, IOREQD_REJ_COUNT, vcpu, r->addr,
			                     "PCI config with count %u data_is_ptr %u",
			                     r->count, r->data_is_ptr);
			return false;
		}
		if ((r->addr & 0xffffffffull) + size > PCI_REG_LIMIT) {
			ioreqd_engine_reject(e, IOREQD_REJ_RANGE, vcpu, r->addr,
			                     "PCI config register past 4 KiB");
			return false;
		}
		break;
	}
	if (r->data_is_ptr && !rep_span_ok(r->data, r->count, size, r->df)) {
		ioreqd_engine_reject(e, IOREQD_REJ_PTR, vcpu, r->addr,
		                     "buffer 0x%llx x %u wraps",
		                     (unsigned long long)r->data, r->count);
		return false;
	}
	return true;
}

/*
 * Publish the result and hand the slot back: data first, then state.
 */
static void complete(struct ioreqd_engine *e, struct vcpu_ctx *vc)
{
	unsigned vcpu = vc->fault.vcpu;
	bool set_data = vc->req.dir == IOREQ_READ && !vc->req.data_is_ptr;

	/*
	 * Registers a handler changed go back before the vCPU can run again;
	 * a failure was reported through vctx_warn and must not hang the vCPU.
	 */
	ioreqd_vcpu_flush(&vc->vctx);
	/*
	 * A read answers exactly its size, zero-extended, whatever path
	 * produced it: Xen 4.17 on Arm copies all 64 bits of the slot into the
	 * guest's register (it masks only from 4.18, commit 01343f99de "arm/ioreq:
	 * guard interaction data").  Write data is masked where it is taken
	 * (begin_element).  A size validate() refused keeps its all-ones.
	 */
	if (set_data && (vc->req.size == 1 || vc->req.size == 2 || vc->req.size == 4))
		vc->req.data &= ioreqd_size_mask(vc->req.size);
	vc->busy = 0;
	vc->fault.state = FAULT_DONE;
	e->stats.completed++;
	if (vc->injected) {
		if (set_data)
			vc->out->data = vc->req.data;
		vc->out->state = STATE_IORESP_READY;
		return;
	}
	volatile ioreq_t *slot = vc->out;

	if (set_data)
		slot->data = vc->req.data;
	/*
	 * Release: the data store above must be visible to Xen before it sees
	 * IORESP_READY, or the vCPU could read a stale value.  (Same instruction
	 * as xen_wmb(): a compiler barrier on x86, dmb on Arm.)
	 */
	atomic_thread_fence(memory_order_release);
	slot->state = STATE_IORESP_READY;
	if (e->guest.notify)
		e->guest.notify(e->guest_priv, vcpu);
}

/* Fail a request without running it: reads see all-ones. */
static void complete_invalid(struct ioreqd_engine *e, struct vcpu_ctx *vc)
{
	unsigned size = vc->req.size;

	if (vc->req.dir == IOREQ_READ && !vc->req.data_is_ptr)
		vc->req.data = (size == 1 || size == 2 || size == 4)
		                   ? ioreqd_size_mask(size)
		                   : ~0ull;
	complete(e, vc);
}

static void log_unhandled(struct ioreqd_engine *e, const ioreqd_fault_t *f,
                          const char *what)
{
	ioreqd_log_rl(what ? &e->rl_error : &e->rl_unhandled, LOG_LEVEL_WARN,
	              "domain %u vcpu%u: %s %s 0x%llx/%u %s", e->domid, f->vcpu,
	              what ? "handler error on" : "unhandled",
	              f->is_read ? "read" : "write", (unsigned long long)f->addr, f->size,
	              what ? what
	                   : (f->is_read ? "(reads all-ones)" : "(write dropped)"));
}

/* Tell the access's watcher (if any) how it ended; the watcher is one-shot. */
static void notify_done(ioreqd_fault_t *f, enum ioreqd_fault_result res)
{
	ioreqd_fault_done_fn fn = f->done;

	if (!fn)
		return;
	f->done = NULL;
	fn(f, res, f->done_arg);
}

/*
 * The one dispatch path, for a vCPU's access and a posted write alike: run
 * the range's chain and account for its verdict.  A read nobody answered
 * (pass, error) gets all-ones.  The range stays pinned (busy) until the
 * caller has applied the verdict; a deferral is the caller's to handle.
 * Inlined into both callers: one source path, no extra call per access.
 */
static inline __attribute__((always_inline)) enum ioreqd_fault_result
dispatch(struct ioreqd_engine *e, ioreqd_fault_t *f, struct ioreqd_range *range,
         struct ioreqd_hnode **decider)
{
	enum ioreqd_fault_result res = IOREQD_FAULT_PASS;

	*decider = NULL;
	if (range) {
		/* Pin the range and its nodes until the verdict is applied. */
		range->busy++;
		res = ioreqd_chain_run(range->head, f, decider);
	}
	switch (res) {
	case IOREQD_FAULT_HANDLED:
		return res;
	case IOREQD_FAULT_DEFER:
		range->stats.defers++; /* a decider implies a range */
		return res;
	case IOREQD_FAULT_ERROR:
		e->stats.handler_errors++;
		if (range)
			range->stats.errors++;
		log_unhandled(e, f, *decider ? (*decider)->h.name : "?");
		break;
	case IOREQD_FAULT_PASS:
	default:
		res = IOREQD_FAULT_PASS;
		e->stats.unhandled++;
		/* Every handler on the range passed: the range's own "passes". */
		if (range)
			range->stats.passes++;
		log_unhandled(e, f, NULL);
		break;
	}
	if (f->is_read)
		f->data = ioreqd_size_mask(f->size);
	return res;
}

/* Run the chain for the current access and apply a synchronous verdict. */
static enum ioreqd_fault_result run_access(struct ioreqd_engine *e, struct vcpu_ctx *vc,
                                           struct ioreqd_range *range)
{
	ioreqd_fault_t *f = &vc->fault;
	struct ioreqd_hnode *decider;
	enum ioreqd_fault_result res = dispatch(e, f, range, &decider);

	if (res == IOREQD_FAULT_DEFER) {
		vc->owner = decider;
		e->stats.deferred++;
		e->pending++;
		if (e->ops.deferred)
			e->ops.deferred(e->opaque, f, decider->h.name);
		range->busy--;
		return res;
	}
	notify_done(f, res);
	if (range)
		range->busy--;
	f->state = FAULT_DONE;
	return res;
}

/*
 * Set up element vc->idx as the current single access.
 * @return the range it hits (NULL: none), or sets *bad on a guest memory fault.
 */
static struct ioreqd_range *begin_element(struct ioreqd_engine *e, struct vcpu_ctx *vc,
                                          bool *bad)
{
	const ioreq_t *r = &vc->req;
	ioreqd_fault_t *f = &vc->fault;
	enum ioreqd_space space = space_of(r->type);
	struct ioreqd_range *range;

	*bad = false;
	f->gen++;
	f->addr = space == IOREQD_SPACE_MMIO ? rep_step(r, r->addr, vc->idx) : r->addr;
	f->size = (uint8_t)r->size;
	f->space = (uint8_t)space;
	f->is_read = r->dir == IOREQ_READ;
	f->ip_valid = 0;
	f->data = 0;
	f->done = NULL;
	vc->owner = NULL;
	if (!f->is_read) {
		if (r->data_is_ptr) {
			uint64_t v = 0;
			uint64_t gpa = rep_step(r, r->data, vc->idx);

			/* Little-endian guest: the low bytes of v are the first bytes. */
			if (!e->guest.guest_read ||
			    e->guest.guest_read(e->guest_priv, gpa, &v, r->size)) {
				ioreqd_engine_reject(e, IOREQD_REJ_PTR, f->vcpu, f->addr,
				                     "cannot read guest buffer 0x%llx",
				                     (unsigned long long)gpa);
				*bad = true;
				return NULL;
			}
			f->data = v;
		} else {
			f->data = r->data & ioreqd_size_mask(r->size);
		}
	}
	e->stats.accesses++;
	range = ioreqd_bus_lookup(e->bus, space, f->addr, f->size);
	if (range) {
		f->offset = f->addr - range->base;
		range->stats.accesses++;
		if (f->is_read)
			range->stats.reads++;
		else
			range->stats.writes++;
	} else {
		f->offset = 0;
	}
	return range;
}

/* Store a finished read element. @return false on a guest memory fault. */
static bool finish_element(struct ioreqd_engine *e, struct vcpu_ctx *vc)
{
	const ioreq_t *r = &vc->req;
	ioreqd_fault_t *f = &vc->fault;

	if (f->is_read) {
		if (r->data_is_ptr) {
			uint64_t gpa = rep_step(r, r->data, vc->idx);
			uint64_t v = f->data;

			if (!e->guest.guest_write ||
			    e->guest.guest_write(e->guest_priv, gpa, &v, r->size)) {
				ioreqd_engine_reject(e, IOREQD_REJ_PTR, f->vcpu, f->addr,
				                     "cannot write guest buffer 0x%llx",
				                     (unsigned long long)gpa);
				return false;
			}
			if (e->ops.guest_written)
				e->ops.guest_written(e->opaque, gpa, r->size);
		} else {
			/* A rep read without a buffer keeps the last value (rep lods). */
			vc->req.data = f->data;
		}
	}
	vc->idx++;
	return true;
}

/*
 * Run elements from vc->idx until the request is done or a handler defers.
 * @return 1 when the request completed, 0 when it is deferred.
 */
static int run_elements(struct ioreqd_engine *e, struct vcpu_ctx *vc)
{
	while (vc->idx < vc->req.count) {
		bool bad;
		struct ioreqd_range *range = begin_element(e, vc, &bad);

		if (bad)
			break;
		if (run_access(e, vc, range) == IOREQD_FAULT_DEFER)
			return 0;
		if (!finish_element(e, vc))
			break;
	}
	complete(e, vc);
	return 1;
}

/* Run a private copy already stored in vc->req. */
static int run_request(struct ioreqd_engine *e, struct vcpu_ctx *vc)
{
	unsigned vcpu = vc->fault.vcpu;

	vc->busy = 1;
	vc->idx = 0;
	e->stats.requests++;
	ioreqd_vcpu_reset(&vc->vctx);
	switch (vc->req.type) {
	case IOREQ_TYPE_TIMEOFFSET:
		e->stats.timeoffset++;
		if (e->ops.timeoffset)
			e->ops.timeoffset(e->opaque, (int64_t)vc->req.data);
		complete(e, vc);
		return 1;
	case IOREQ_TYPE_INVALIDATE:
		/* Sent to every server, synchronously: always complete it. */
		e->stats.invalidate++;
		if (e->guest.invalidate)
			e->guest.invalidate(e->guest_priv);
		if (e->ops.invalidate)
			e->ops.invalidate(e->opaque);
		complete(e, vc);
		return 1;
	default:
		break;
	}
	if (!validate(e, vcpu, &vc->req)) {
		complete_invalid(e, vc);
		return 1;
	}
	return run_elements(e, vc);
}

/*
 * Take @p vcpu's request if its slot is READY.  @p notified: Xen told us so
 * (an empty slot is then a spurious notification); otherwise the daemon is
 * looking on its own (resume, shutdown sweeps) and an empty slot is normal.
 */
static int take(struct ioreqd_engine *e, unsigned vcpu, bool notified)
{
	volatile ioreq_t *slot;
	struct vcpu_ctx *vc;
	unsigned state;

	if (vcpu >= e->nr_vcpus || !e->page) {
		ioreqd_engine_reject(e, IOREQD_REJ_VCPU, vcpu, 0,
		                     "no such vCPU (%u served)", e->nr_vcpus);
		return -EINVAL;
	}
	vc = &e->vcpus[vcpu];
	slot = &e->page->vcpu_ioreq[vcpu];
	state = slot->state;
	if (state != STATE_IOREQ_READY) {
		if (state > STATE_IORESP_READY)
			ioreqd_engine_reject(e, IOREQD_REJ_STATE, vcpu, slot->addr,
			                     "unknown slot state %u", state);
		else if (!notified)
			; /* a look of our own, not a notification */
		else if (vc->kick_owed)
			/*
			 * The notification of a request the daemon took on its
			 * own (an adaptive poll) arriving late: expected.
			 */
			vc->kick_owed = 0;
		else if (vc->served || vc->bind_kick_seen)
			e->stats.spurious++;
		else
			/*
			 * Xen marks a port pending when it is bound, in case a
			 * notification was lost while it was unbound
			 * (evtchn_bind_interdomain), so every vCPU's port fires
			 * once before the guest has asked anything: expected.
			 */
			vc->bind_kick_seen = 1;
		return 0;
	}
	if (vc->busy) {
		/* A vCPU blocked on a deferred access cannot issue another. */
		ioreqd_engine_reject(e, IOREQD_REJ_STATE, vcpu, slot->addr,
		                     "READY while a deferred request is in flight");
		return 0;
	}
	/*
	 * Acquire: Xen wrote the fields before it set READY; order our reads of
	 * the fields after our read of the state.  (As xen_rmb().)
	 */
	atomic_thread_fence(memory_order_acquire);
	memcpy(&vc->req, (const void *)slot, sizeof(vc->req));
	slot->state = STATE_IOREQ_INPROCESS;
	vc->out = (ioreq_t *)slot;
	vc->injected = 0;
	vc->served = 1;
	/* Taken on our own look: its notification may still be on its way. */
	if (!notified)
		vc->kick_owed = 1;
	/* Taken, whether it completed or a handler deferred it. */
	run_request(e, vc);
	return 1;
}

int ioreqd_engine_handle(struct ioreqd_engine *e, unsigned vcpu)
{
	return take(e, vcpu, true);
}

int ioreqd_engine_poll(struct ioreqd_engine *e, unsigned vcpu)
{
	return take(e, vcpu, false);
}

int ioreqd_engine_inject(struct ioreqd_engine *e, unsigned vcpu, ioreq_t *req)
{
	struct vcpu_ctx *vc;

	if (vcpu >= e->nr_vcpus) {
		ioreqd_engine_reject(e, IOREQD_REJ_VCPU, vcpu, req->addr,
		                     "no such vCPU (%u served)", e->nr_vcpus);
		return -EINVAL;
	}
	vc = &e->vcpus[vcpu];
	if (vc->busy)
		return -EBUSY;
	if (req->state != STATE_IOREQ_READY) {
		ioreqd_engine_reject(e, IOREQD_REJ_STATE, vcpu, req->addr,
		                     "injected request in state %u", req->state);
		return -EINVAL;
	}
	vc->req = *req;
	req->state = STATE_IOREQ_INPROCESS;
	vc->out = req;
	vc->injected = 1;
	return run_request(e, vc);
}

void ioreqd_engine_post_write(struct ioreqd_engine *e, enum ioreqd_space space,
                              uint64_t addr, unsigned size, uint64_t data)
{
	ioreqd_fault_t *f = &e->posted;
	struct ioreqd_hnode *decider;
	struct ioreqd_range *range;
	enum ioreqd_fault_result res;

	f->gen++;
	f->addr = addr;
	f->size = (uint8_t)size;
	f->space = (uint8_t)space;
	f->is_read = 0;
	f->ip_valid = 0;
	f->data = data & ioreqd_size_mask(size);
	f->done = NULL;
	e->stats.accesses++;
	e->stats.buffered++;
	range = ioreqd_bus_lookup(e->bus, space, addr, size);
	if (range) {
		f->offset = addr - range->base;
		range->stats.accesses++;
		range->stats.writes++;
	}
	res = dispatch(e, f, range, &decider);
	/* Nobody waits for a posted write: a deferral is as good as done. */
	notify_done(f, res == IOREQD_FAULT_DEFER ? IOREQD_FAULT_HANDLED : res);
	if (range)
		range->busy--;
	f->state = FAULT_DONE;
}

/*
 * A handler lets go of a deferred access.  @return its vCPU context, or NULL
 * for a posted write (nobody waits: it is simply done).
 */
static struct vcpu_ctx *release_deferred(ioreqd_fault_t *f)
{
	if (f->posted) {
		f->state = FAULT_DONE;
		return NULL;
	}
	((struct ioreqd_engine *)f->engine)->pending--;
	return ctx_of(f);
}

/* Store the finished element and run the rest of the request. */
static void continue_request(struct ioreqd_engine *e, struct vcpu_ctx *vc)
{
	if (!finish_element(e, vc)) {
		complete(e, vc);
		return;
	}
	run_elements(e, vc);
}

static int fault_advance_cb(ioreqd_fault_t *f)
{
	struct vcpu_ctx *vc = release_deferred(f);

	if (!vc)
		return 0;
	f->state = FAULT_DONE;
	notify_done(f, IOREQD_FAULT_DEFER);
	continue_request((struct ioreqd_engine *)f->engine, vc);
	return 0;
}

static int fault_restart_cb(ioreqd_fault_t *f)
{
	struct vcpu_ctx *vc = release_deferred(f);
	struct ioreqd_engine *e = (struct ioreqd_engine *)f->engine;
	struct ioreqd_range *range;

	if (!vc)
		return 0;
	/*
	 * A new ticket, as for a new arrival: the handler that restarted has let
	 * go, and its old ticket must not complete whatever defers it next.
	 */
	f->gen++;
	if (f->is_read)
		f->data = 0;
	range = ioreqd_bus_lookup(e->bus, (enum ioreqd_space)f->space, f->addr, f->size);
	/*
	 * The range may have been removed or re-registered at another base
	 * while the access was held (a BAR moved): measure the offset from
	 * whatever holds the address now, as begin_element does.
	 */
	f->offset = range ? f->addr - range->base : 0;
	if (run_access(e, vc, range) != IOREQD_FAULT_DEFER)
		continue_request(e, vc);
	return 0;
}

static int fault_get_ip_cb(ioreqd_fault_t *f, uint64_t *ip)
{
	struct ioreqd_engine *e = (struct ioreqd_engine *)f->engine;

	if (f->posted || !e->guest.get_ip)
		return -ENOTSUP;
	return e->guest.get_ip(e->guest_priv, f->vcpu, ip);
}

ioreqd_fault_t *ioreqd_engine_resume(struct ioreqd_engine *e, ioreqd_ticket_t t)
{
	unsigned vcpu = (unsigned)(t & 0xffffu);
	ioreqd_fault_t *f;

	if (vcpu >= e->nr_vcpus)
		return NULL;
	f = &e->vcpus[vcpu].fault;
	/* Only the exact ticket handed out names the access (bits 31:16 are 0). */
	if (t != ioreqd_ticket_make(f->gen, vcpu) || f->state != FAULT_DEFERRED)
		return NULL;
	return f;
}

int ioreqd_engine_abort(struct ioreqd_engine *e, ioreqd_fault_t *f)
{
	struct vcpu_ctx *vc;

	if (f->posted || f->state != FAULT_DEFERRED)
		return -EALREADY;
	vc = ctx_of(f);
	e->pending--;
	e->stats.aborted++;
	if (f->is_read)
		f->data = ioreqd_size_mask(f->size);
	notify_done(f, IOREQD_FAULT_ERROR);
	f->state = FAULT_DONE;
	/* The rest of a rep access is not run: the guest sees it fail. */
	if (vc->req.dir == IOREQ_READ && !vc->req.data_is_ptr)
		vc->req.data = ioreqd_size_mask(vc->req.size);
	complete(e, vc);
	return 0;
}

unsigned ioreqd_engine_abort_all(struct ioreqd_engine *e)
{
	unsigned n = 0;

	for (unsigned v = 0; v < e->nr_vcpus; v++)
		if (ioreqd_engine_abort(e, &e->vcpus[v].fault) == 0)
			n++;
	return n;
}

unsigned ioreqd_engine_pending(const struct ioreqd_engine *e)
{
	return e->pending;
}

const char *ioreqd_engine_fault_owner(const ioreqd_fault_t *f)
{
	const struct vcpu_ctx *vc;

	if (f->posted || f->state != FAULT_DEFERRED)
		return NULL;
	vc =
	    (const struct vcpu_ctx *)((const char *)f - offsetof(struct vcpu_ctx, fault));
	return vc->owner ? vc->owner->h.name : NULL;
}

const struct ioreqd_engine_stats *ioreqd_engine_stats(const struct ioreqd_engine *e)
{
	return &e->stats;
}

unsigned ioreqd_engine_nr_vcpus(const struct ioreqd_engine *e)
{
	return e->nr_vcpus;
}
