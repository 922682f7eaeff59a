/* SPDX-License-Identifier: MIT */
/*
 * The guest's side of the request path: what Xen does when a vCPU traps on
 * port I/O, MMIO or a PCI config access (xen/common/ioreq.c).
 *
 *   route    the newest enabled server whose ranges contain the access, or
 *            the null handler (reads all-ones, writes dropped) when none does;
 *   send     fill the vCPU's slot, release barrier, state = READY, kick;
 *   wait     for the completion eventfd, acquire barrier, IORESP_READY ->
 *            read data -> state = NONE (Xen resets the slot, never the daemon);
 *   post     a buffered write: fill ring slots, release barrier, advance
 *            write_pointer, canonicalise both pointers with one 64-bit
 *            compare-and-swap (IOREQD_SIM_BUFIOREQ_ATOMIC), kick.
 *
 * The path makes no system call but the eventfd write of the kick and the
 * poll + read of the completion, and allocates nothing.  A vCPU is driven by
 * one thread at a time; different vCPUs run concurrently.
 */
#include "build-config.h"

#include "simhv.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <time.h>

#include "simhv-internal.h"

#define PAGE 4096u
#define PIO_LAST 0xffffull
#define PCI_REG_LIMIT 0x1000ull /* 4 KiB of config space per function */
#define MAX_REP_CHUNK 4096u     /* Xen never sends more repetitions at once */

/* One request as Xen builds it, before it picks a server. */
struct sim_req {
	uint64_t addr;
	uint64_t data;
	uint32_t count;
	uint32_t size;
	uint8_t type;
	uint8_t dir;
	uint8_t df;
	uint8_t data_is_ptr;
};

static uint64_t size_mask(unsigned size)
{
	return size >= 8 ? ~0ull : (1ull << (size * 8)) - 1;
}

/* --- Entering a vCPU --------------------------------------------------------- */

static int vcpu_enter(struct ioreqd_simhv *hv, unsigned vcpu, struct sim_vcpu **out)
{
	struct sim_vcpu *vc;

	if (atomic_load_explicit(&hv->dead, memory_order_relaxed))
		return -ESHUTDOWN;
	if (vcpu >= hv->nr_vcpus)
		return -EINVAL;
	vc = &hv->vcpus[vcpu];
	/* Acquire: whatever the previous user of this vCPU did happened before us. */
	if (atomic_flag_test_and_set_explicit(&vc->in_use, memory_order_acquire))
		return -EBUSY;
	*out = vc;
	return 0;
}

static void vcpu_leave(struct sim_vcpu *vc)
{
	/* Release: pairs with the acquire in vcpu_enter. */
	atomic_flag_clear_explicit(&vc->in_use, memory_order_release);
}

/* --- Routing ----------------------------------------------------------------- */

/*
 * The span an access covers in its server's rangeset units, as Xen's
 * ioreq_server_select: a port range, the MMIO bytes of every repetition (down
 * from addr when df is set), or the SBDF of a PCI config access.
 */
static enum ioreqd_space req_span(const struct sim_req *rq, uint64_t *first,
                                  uint64_t *last)
{
	uint64_t span = (uint64_t)(rq->count ? rq->count - 1 : 0) * rq->size;

	switch (rq->type) {
	case IOREQ_TYPE_PIO:
		*first = rq->addr;
		*last = rq->addr + rq->size - 1;
		return IOREQD_SPACE_PIO;
	case IOREQ_TYPE_PCI_CONFIG:
		*first = *last = rq->addr >> 32;
		return IOREQD_SPACE_PCI;
	default:
		*first = rq->df ? rq->addr - span : rq->addr;
		*last = (rq->df ? rq->addr : rq->addr + span) + rq->size - 1;
		return IOREQD_SPACE_MMIO;
	}
}

/* @return the server that claims @p rq, with a reference, or NULL (null handler). */
static struct sim_server *route(struct ioreqd_simhv *hv, const struct sim_req *rq)
{
	struct sim_server *s;
	uint64_t first, last;
	enum ioreqd_space space = req_span(rq, &first, &last);

	pthread_rwlock_rdlock(&hv->route);
	for (s = hv->servers; s; s = s->next) {
		if (s->enabled &&
		    ioreqd_sim_ranges_contain(&s->ranges[space], first, last)) {
			ioreqd_sim_server_get(s);
			break;
		}
	}
	pthread_rwlock_unlock(&hv->route);
	return s;
}

/* The guest-RAM bytes a data_is_ptr request touches: [*lo, *lo + *len). */
static void req_buffer(const struct sim_req *rq, uint64_t *lo, uint64_t *len)
{
	*len = (uint64_t)rq->count * rq->size;
	*lo = rq->df ? rq->data - (*len - rq->size) : rq->data;
}

/* Xen's null handler: nobody claims the access. */
static void null_handle(struct ioreqd_simhv *hv, struct sim_vcpu *vc, struct sim_req *rq)
{
	sim_stat_inc(&vc->st.null_handled);
	if (rq->dir != IOREQ_READ)
		return;
	if (rq->data_is_ptr) {
		uint64_t lo, len;

		req_buffer(rq, &lo, &len); /* checked against RAM by the caller */
		memset((char *)hv->ram + lo, 0xff, len);
	} else {
		rq->data = ~0ull;
	}
}

/* --- The synchronous slot ------------------------------------------------------ */

/*
 * Make sure the slot is ours (NONE) before filling it.  After a timeout the
 * daemon may still own it; if it completed late, finish that request as Xen
 * would have (IORESP_READY -> NONE).
 */
static int slot_claim(struct ioreqd_simhv *hv, struct sim_vcpu *vc,
                      volatile ioreq_t *slot, unsigned vcpu)
{
	unsigned state = slot->state;

	switch (state) {
	case STATE_IOREQ_NONE:
		return 0;
	case STATE_IORESP_READY:
		/* Acquire: as Xen, the response is consumed only after its state. */
		atomic_thread_fence(memory_order_acquire);
		slot->state = STATE_IOREQ_NONE;
		sim_stat_inc(&vc->st.late_completions);
		return 0;
	case STATE_IOREQ_READY:
	case STATE_IOREQ_INPROCESS:
		sim_stat_inc(&vc->st.busy);
		return -EBUSY;
	default:
		ioreqd_sim_crash(hv, "v%u: device model set bad IO state %u", vcpu,
		                 state);
		return -EPROTO;
	}
}

/*
 * Wait for the daemon to answer, as Xen's hvm_wait_for_io: READY and
 * INPROCESS mean wait on, IORESP_READY means done, NONE means the emulator
 * gave up (all-ones), a backward or unknown state crashes the domain.
 */
static int slot_wait(struct ioreqd_simhv *hv, struct sim_vcpu *vc, struct sim_server *s,
                     unsigned vcpu, struct sim_req *rq)
{
	volatile ioreq_t *slot = &s->iopage->vcpu_ioreq[vcpu];
	unsigned prev = STATE_IOREQ_READY;
	struct pollfd pfd = {.fd = s->done[vcpu], .events = POLLIN};
	struct timespec dl;

	sim_deadline(&dl, atomic_load_explicit(&hv->timeout_ms, memory_order_relaxed));
	for (;;) {
		uint64_t cnt;
		unsigned state;
		int n = poll(&pfd, 1, sim_ms_left(&dl));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0) {
			sim_stat_inc(&vc->st.timeouts);
			return -ETIMEDOUT;
		}
		/* Consume the notification; EAGAIN just means it was consumed already. */
		if (read(s->done[vcpu], &cnt, sizeof(cnt)) < 0)
			cnt = 0;
		state = slot->state;
		/*
		 * Acquire: pairs with the daemon's release before IORESP_READY,
		 * so the data read below is the data it wrote, not an older one.
		 */
		atomic_thread_fence(memory_order_acquire);
		switch (state) {
		case STATE_IORESP_READY:
			if (rq->dir == IOREQ_READ && !rq->data_is_ptr)
				rq->data = slot->data;
			/*
			 * Xen hands the slot back (IORESP_READY -> NONE).  No
			 * barrier: the daemon does not act on NONE, and the next
			 * request publishes itself with its own release.
			 */
			slot->state = STATE_IOREQ_NONE;
			sim_stat_inc(&vc->st.completed);
			return 0;
		case STATE_IOREQ_READY:
		case STATE_IOREQ_INPROCESS:
			if (state < prev) {
				ioreqd_sim_crash(
				    hv, "v%u: weird ioreq state transition %u -> %u",
				    vcpu, prev, state);
				return -EPROTO;
			}
			prev = state;
			if (atomic_load(&s->gone)) {
				sim_stat_inc(&vc->st.gone);
				return -EPIPE;
			}
			sim_stat_inc(&vc->st.spurious_wakeups);
			continue;
		case STATE_IOREQ_NONE:
			sim_stat_inc(&vc->st.cancelled);
			return -ECANCELED;
		default:
			ioreqd_sim_crash(hv, "v%u: weird ioreq state %u", vcpu, state);
			return -EPROTO;
		}
	}
}

/* Hand @p rq to server @p s through @p vcpu's slot and wait for the answer. */
static int send_sync(struct ioreqd_simhv *hv, struct sim_vcpu *vc, struct sim_server *s,
                     unsigned vcpu, struct sim_req *rq)
{
	volatile ioreq_t *slot = &s->iopage->vcpu_ioreq[vcpu];
	int rc;

	if (atomic_load(&s->gone)) {
		sim_stat_inc(&vc->st.gone);
		return -EPIPE;
	}
	rc = slot_claim(hv, vc, slot, vcpu);
	if (rc < 0)
		return rc;
	if (slot->vp_eport != sim_vp_eport(s, vcpu)) {
		ioreqd_sim_crash(hv, "v%u: device model set bad event channel %u", vcpu,
		                 (unsigned)slot->vp_eport);
		return -EPROTO;
	}
	/* The state is NONE: the daemon does not look at the other fields now. */
	slot->addr = rq->addr;
	slot->data = rq->data;
	slot->count = rq->count;
	slot->size = rq->size;
	slot->dir = rq->dir;
	slot->df = rq->df;
	slot->data_is_ptr = rq->data_is_ptr;
	slot->type = rq->type;
	/*
	 * Release: every field above must be visible before the daemon can see
	 * READY (pairs with its acquire after it reads the state).
	 */
	atomic_thread_fence(memory_order_release);
	slot->state = STATE_IOREQ_READY;
	sim_efd_signal(s->kick[vcpu]);
	sim_stat_inc(&vc->st.sent);
	return slot_wait(hv, vc, s, vcpu, rq);
}

/* Route and run one request; a failed read reads all-ones. */
static int run_req(struct ioreqd_simhv *hv, struct sim_vcpu *vc, unsigned vcpu,
                   struct sim_req *rq)
{
	struct sim_server *s = route(hv, rq);
	int rc = 0;

	if (!s) {
		null_handle(hv, vc, rq);
		return 0;
	}
	rc = send_sync(hv, vc, s, vcpu, rq);
	ioreqd_sim_server_put(s);
	if (rc < 0 && rq->dir == IOREQ_READ && !rq->data_is_ptr)
		rq->data = ~0ull;
	return rc;
}

/* --- Single accesses ------------------------------------------------------------ */

static bool size_ok(enum ioreqd_space space, unsigned size)
{
	if (size != 1 && size != 2 && size != 4 && size != 8)
		return false;
	/* x86 port I/O and PCI config cycles are at most 4 bytes wide. */
	return size < 8 || space == IOREQD_SPACE_MMIO;
}

/* Build a single access, refusing what no real guest could make Xen send. */
static int single_req(enum ioreqd_space space, uint64_t addr, unsigned size, bool read,
                      uint64_t val, struct sim_req *rq)
{
	if (!size_ok(space, size))
		return -EINVAL;
	switch (space) {
	case IOREQD_SPACE_PIO:
		if (addr > PIO_LAST || addr + size - 1 > PIO_LAST)
			return -EINVAL;
		rq->type = IOREQ_TYPE_PIO;
		break;
	case IOREQD_SPACE_MMIO:
		if (addr + size - 1 < addr)
			return -EINVAL;
		rq->type = IOREQ_TYPE_COPY;
		break;
	case IOREQD_SPACE_PCI:
		if ((addr & 0xffffffffull) + size > PCI_REG_LIMIT)
			return -EINVAL;
		rq->type = IOREQ_TYPE_PCI_CONFIG;
		break;
	default:
		return -EINVAL;
	}
	rq->addr = addr;
	rq->data = read ? 0 : val & size_mask(size);
	rq->count = 1;
	rq->size = size;
	rq->dir = read ? IOREQ_READ : IOREQ_WRITE;
	rq->df = 0;
	rq->data_is_ptr = 0;
	return 0;
}

/*
 * One single access on @p vcpu, read or write.  Once the request has run,
 * whatever its outcome, a read's data (masked to @p size) goes to *val; a
 * request that never ran leaves *val alone.
 */
static int single_access(struct ioreqd_simhv *hv, unsigned vcpu, enum ioreqd_space space,
                         uint64_t addr, unsigned size, bool read, uint64_t data,
                         uint64_t *val)
{
	struct sim_vcpu *vc;
	struct sim_req rq;
	int rc;

	rc = single_req(space, addr, size, read, data, &rq);
	if (rc < 0)
		return rc;
	rc = vcpu_enter(hv, vcpu, &vc);
	if (rc < 0)
		return rc;
	rc = run_req(hv, vc, vcpu, &rq);
	vcpu_leave(vc);
	if (read)
		*val = rq.data & size_mask(size);
	return rc;
}

int ioreqd_simhv_read(struct ioreqd_simhv *hv, unsigned vcpu, enum ioreqd_space space,
                      uint64_t addr, unsigned size, uint64_t *val)
{
	*val = size <= 8 ? size_mask(size) : ~0ull;
	return single_access(hv, vcpu, space, addr, size, true, 0, val);
}

int ioreqd_simhv_write(struct ioreqd_simhv *hv, unsigned vcpu, enum ioreqd_space space,
                       uint64_t addr, unsigned size, uint64_t val)
{
	return single_access(hv, vcpu, space, addr, size, false, val, NULL);
}

/* --- Rep / string accesses --------------------------------------------------------- */

/* Step @p base by @p i elements in the direction of df. */
static uint64_t rep_step(uint64_t base, uint32_t i, unsigned size, bool df)
{
	uint64_t d = (uint64_t)i * size;

	return df ? base - d : base + d;
}

/* How many elements from @p a stay inside a's 4 KiB page (at least one). */
static uint32_t in_page(uint64_t a, unsigned size, bool df)
{
	uint64_t off = a % PAGE;
	uint64_t n = df ? off / size + 1 : (PAGE - off) / size;

	return n ? (uint32_t)n : 1;
}

/*
 * Do the elements from @p first, stepping by @p size for @p span bytes in the
 * direction of @p df, stay inside 64 bits?
 */
static bool span_ok(uint64_t first, uint64_t span, unsigned size, bool df)
{
	uint64_t lo = df ? first - span : first;

	if (df && first < span)
		return false;
	return lo + span + size - 1 >= lo;
}

static int rep_check(const struct ioreqd_simhv *hv, const struct ioreqd_simhv_rep *r)
{
	uint64_t span;

	if ((r->space != IOREQD_SPACE_PIO && r->space != IOREQD_SPACE_MMIO) ||
	    !size_ok(r->space, r->size) || r->count == 0)
		return -EINVAL;
	span =
	    (uint64_t)(r->count - 1) * r->size; /* from the first element to the last */
	if (r->space == IOREQD_SPACE_PIO) {
		if (r->addr > PIO_LAST || r->addr + r->size - 1 > PIO_LAST)
			return -EINVAL;
	} else if (!span_ok(r->addr, span, r->size, r->df)) {
		return -EINVAL;
	}
	if (r->data_is_ptr) {
		uint64_t lo = r->df ? r->data - span : r->data;

		if (!span_ok(r->data, span, r->size, r->df) ||
		    lo + span + r->size - 1 >= hv->ram_size)
			return -EINVAL;
	}
	return 0;
}

int ioreqd_simhv_rep(struct ioreqd_simhv *hv, unsigned vcpu,
                     const struct ioreqd_simhv_rep *r, uint64_t *last)
{
	struct sim_vcpu *vc;
	struct sim_req rq = {0};
	uint32_t done = 0;
	int rc;

	if (last)
		*last = size_mask(r->size <= 8 ? r->size : 8);
	rc = rep_check(hv, r);
	if (rc < 0)
		return rc;
	rc = vcpu_enter(hv, vcpu, &vc);
	if (rc < 0)
		return rc;
	rq.type = r->space == IOREQD_SPACE_PIO ? IOREQ_TYPE_PIO : IOREQ_TYPE_COPY;
	rq.size = r->size;
	rq.dir = r->read ? IOREQ_READ : IOREQ_WRITE;
	rq.df = r->df;
	rq.data_is_ptr = r->data_is_ptr;
	while (done < r->count) {
		uint32_t n = r->count - done;

		/* As Xen, keep each request's MMIO span and buffer inside one page. */
		rq.addr = r->space == IOREQD_SPACE_PIO
		              ? r->addr
		              : rep_step(r->addr, done, r->size, r->df);
		if (r->space == IOREQD_SPACE_MMIO && in_page(rq.addr, r->size, r->df) < n)
			n = in_page(rq.addr, r->size, r->df);
		if (r->data_is_ptr) {
			rq.data = rep_step(r->data, done, r->size, r->df);
			if (in_page(rq.data, r->size, r->df) < n)
				n = in_page(rq.data, r->size, r->df);
		} else {
			rq.data = r->read ? 0 : r->data & size_mask(r->size);
		}
		if (n > MAX_REP_CHUNK)
			n = MAX_REP_CHUNK;
		rq.count = n;
		rc = run_req(hv, vc, vcpu, &rq);
		if (rc < 0)
			break;
		done += n;
	}
	vcpu_leave(vc);
	if (last && !r->data_is_ptr)
		*last = rq.data & size_mask(r->size);
	return rc;
}

/* --- The buffered ring
 * ------------------------------------------------------------------ */

union ring_ptrs {
	struct {
		uint32_t read_pointer;
		uint32_t write_pointer;
	};
	uint64_t full;
};

static void ring_lock(struct sim_server *s)
{
	/* Acquire: the previous producer's ring updates happen before ours. */
	while (atomic_flag_test_and_set_explicit(&s->ring_lock, memory_order_acquire))
		;
}

static void ring_unlock(struct sim_server *s)
{
	/* Release: pairs with the acquire in ring_lock. */
	atomic_flag_clear_explicit(&s->ring_lock, memory_order_release);
}

/*
 * Bring both pointers below IOREQ_BUFFER_SLOT_NUM together, so they never
 * overflow.  One 64-bit compare-and-swap moves the pair at once (the daemon
 * never sees one moved without the other) and fails if the daemon advanced
 * read_pointer in between; then try again, as often as Xen does.
 */
static void ring_canonicalise(buffered_iopage_t *bp, unsigned used)
{
	_Atomic uint64_t *ptrs = (_Atomic uint64_t *)(void *)&bp->read_pointer;

	for (unsigned tries = used; tries < IOREQ_BUFFER_SLOT_NUM; tries++) {
		union ring_ptrs old, new;
		uint32_t n;

		old.full = atomic_load_explicit(ptrs, memory_order_relaxed);
		if (old.read_pointer < IOREQ_BUFFER_SLOT_NUM)
			break;
		n = old.read_pointer - old.read_pointer % IOREQ_BUFFER_SLOT_NUM;
		new.read_pointer = old.read_pointer - n;
		new.write_pointer = old.write_pointer - n;
		/*
		 * acq_rel: the new write_pointer keeps publishing the slots the
		 * release store below published, for a daemon that reads it.
		 */
		if (atomic_compare_exchange_strong_explicit(ptrs, &old.full, new.full,
		                                            memory_order_acq_rel,
		                                            memory_order_relaxed))
			break;
	}
}

/*
 * Post one entry (two slots for 8 bytes: the high half in the second).
 * @return 0, or -EAGAIN when the ring is full.
 */
static int ring_post(struct sim_server *s, struct sim_vcpu *vc, uint8_t type,
                     uint64_t addr, unsigned size, uint64_t data)
{
	buffered_iopage_t *bp = s->bufpage;
	_Atomic uint32_t *rdp = (_Atomic uint32_t *)(void *)&bp->read_pointer;
	_Atomic uint32_t *wrp = (_Atomic uint32_t *)(void *)&bp->write_pointer;
	unsigned need = size == 8 ? 2 : 1;
	buf_ioreq_t slot = {
	    .type = type,
	    .dir = IOREQ_WRITE,
	    .size = size == 1   ? 0
	            : size == 2 ? 1
	            : size == 4 ? 2
	                        : 3,
	    .addr = (uint32_t)addr & IOREQD_SIMHV_BUF_ADDR_MAX,
	    .data = (uint32_t)data,
	};
	uint32_t rd, wr;

	ring_lock(s);
	/*
	 * Acquire: the daemon read the slots it consumed before it advanced
	 * read_pointer; only after seeing that may we overwrite them.
	 */
	rd = atomic_load_explicit(rdp, memory_order_acquire);
	wr =
	    atomic_load_explicit(wrp, memory_order_relaxed); /* only producers write it */
	if (wr - rd > IOREQ_BUFFER_SLOT_NUM - need) {
		ring_unlock(s);
		return -EAGAIN;
	}
	bp->buf_ioreq[wr % IOREQ_BUFFER_SLOT_NUM] = slot;
	if (need == 2) {
		slot.data = (uint32_t)(data >> 32);
		bp->buf_ioreq[(wr + 1) % IOREQ_BUFFER_SLOT_NUM] = slot;
	}
	/* Release: the slots above must be visible before write_pointer covers them. */
	atomic_store_explicit(wrp, wr + need, memory_order_release);
	if (s->bufioreq == IOREQD_SIM_BUFIOREQ_ATOMIC)
		ring_canonicalise(bp, need - 1);
	ring_unlock(s);
	sim_efd_signal(s->buf_kick);
	sim_stat_inc(&vc->st.posted);
	atomic_store_explicit(
	    &vc->st.posted_slots,
	    atomic_load_explicit(&vc->st.posted_slots, memory_order_relaxed) + need,
	    memory_order_relaxed);
	return 0;
}

int ioreqd_simhv_buf_write(struct ioreqd_simhv *hv, unsigned vcpu,
                           enum ioreqd_space space, uint64_t addr, unsigned size,
                           uint64_t val, bool *posted)
{
	struct sim_server *s;
	struct sim_vcpu *vc;
	struct sim_req rq;
	int rc;

	if (posted)
		*posted = false;
	rc = single_req(space, addr, size, false, val, &rq);
	if (rc < 0)
		return rc;
	rc = vcpu_enter(hv, vcpu, &vc);
	if (rc < 0)
		return rc;
	s = route(hv, &rq);
	if (!s) {
		null_handle(hv, vc, &rq);
		goto out;
	}
	/* Xen's rule: a ring, a 20-bit address, one element, no pointer, PIO or MMIO. */
	if (s->bufpage && !atomic_load(&s->gone) && addr <= IOREQD_SIMHV_BUF_ADDR_MAX &&
	    space != IOREQD_SPACE_PCI) {
		rc = ring_post(s, vc, rq.type, addr, size, rq.data);
		if (rc == 0) {
			if (posted)
				*posted = true;
			goto out_put;
		}
		sim_stat_inc(&vc->st.ring_full); /* like Xen, use the slow path */
	}
	rc = send_sync(hv, vc, s, vcpu, &rq);
out_put:
	ioreqd_sim_server_put(s);
out:
	vcpu_leave(vc);
	return rc;
}

/* --- Broadcasts: TIMEOFFSET and INVALIDATE
 * ---------------------------------------------- */

#define MAX_TARGETS (2 * IOREQD_SIMHV_MAX_SERVERS)

/* Collect the enabled servers, newest first, each with a reference. */
static unsigned enabled_servers(struct ioreqd_simhv *hv, struct sim_server **out)
{
	unsigned n = 0;

	pthread_rwlock_rdlock(&hv->route);
	for (struct sim_server *s = hv->servers; s && n < MAX_TARGETS; s = s->next) {
		if (!s->enabled)
			continue;
		ioreqd_sim_server_get(s);
		out[n++] = s;
	}
	pthread_rwlock_unlock(&hv->route);
	return n;
}

int ioreqd_simhv_timeoffset(struct ioreqd_simhv *hv, unsigned vcpu, int64_t delta)
{
	struct sim_server *targets[MAX_TARGETS];
	struct sim_vcpu *vc;
	unsigned n;
	int rc, first = 0;

	rc = vcpu_enter(hv, vcpu, &vc);
	if (rc < 0 || delta == 0) {
		if (rc == 0)
			vcpu_leave(vc);
		return rc; /* Xen sends nothing for a zero offset */
	}
	n = enabled_servers(hv, targets);
	for (unsigned i = 0; i < n; i++) {
		struct sim_server *s = targets[i];

		/* Buffered only: a server without a ring misses the update, as on Xen. */
		if (atomic_load(&s->gone))
			rc = -EPIPE;
		else if (!s->bufpage)
			rc = -ENODEV;
		else
			rc = ring_post(s, vc, IOREQ_TYPE_TIMEOFFSET, 0, 8,
			               (uint64_t)delta);
		if (rc < 0 && !first)
			first = rc;
		ioreqd_sim_server_put(s);
	}
	vcpu_leave(vc);
	return first;
}

int ioreqd_simhv_invalidate(struct ioreqd_simhv *hv, unsigned vcpu)
{
	struct sim_server *targets[MAX_TARGETS];
	struct sim_vcpu *vc;
	unsigned n;
	int rc, first = 0;

	rc = vcpu_enter(hv, vcpu, &vc);
	if (rc < 0)
		return rc;
	n = enabled_servers(hv, targets);
	for (unsigned i = 0; i < n; i++) {
		/* Exactly what Xen sends: size 4, count 0, a write of ~0 ("flush all").
		 */
		struct sim_req rq = {
		    .type = IOREQ_TYPE_INVALIDATE,
		    .size = 4,
		    .count = 0,
		    .dir = IOREQ_WRITE,
		    .data = ~0ull,
		};

		rc = send_sync(hv, vc, targets[i], vcpu, &rq);
		if (rc < 0 && !first)
			first = rc;
		ioreqd_sim_server_put(targets[i]);
	}
	vcpu_leave(vc);
	return first;
}

/* @return true when every ring is empty. */
static bool rings_empty(struct ioreqd_simhv *hv)
{
	bool empty = true;

	pthread_rwlock_rdlock(&hv->route);
	for (struct sim_server *s = hv->servers; s && empty; s = s->next) {
		union ring_ptrs p;

		if (!s->bufpage || atomic_load(&s->gone))
			continue;
		p.full =
		    atomic_load((_Atomic uint64_t *)(void *)&s->bufpage->read_pointer);
		empty = p.read_pointer == p.write_pointer;
	}
	pthread_rwlock_unlock(&hv->route);
	return empty;
}

int ioreqd_simhv_drain(struct ioreqd_simhv *hv, unsigned timeout_ms)
{
	const struct timespec tick = {.tv_nsec = 1000000};
	struct timespec dl;

	sim_deadline(&dl, timeout_ms);
	while (!rings_empty(hv)) {
		if (sim_ms_left(&dl) == 0)
			return -ETIMEDOUT;
		nanosleep(&tick, NULL);
	}
	return 0;
}
