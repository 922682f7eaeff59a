/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the synchronous ioreq path: arbitrary ioreq_t contents (any state, any
 * field) are written into a real shared_iopage_t and run with
 * ioreqd_engine_handle through a bus whose ranges carry handler chains, with
 * a guest memory buffer behind data_is_ptr.  Handlers decide from the input
 * whether to handle, pass, defer, fail or return nonsense, and may complete
 * other vCPUs' deferred accesses from inside their own call.  Between the
 * hostile requests the input also issues well-formed ones whose result is
 * computed independently here and compared, so "garbage never disturbs a
 * correct access" is checked, not just "garbage does not crash".
 *
 * The invariants, checked after every operation:
 *  - a slot that was not READY (or whose vCPU was busy) is left untouched;
 *  - a taken request ends IORESP_READY (notified once) or INPROCESS with a
 *    live ticket; when control returns here no request is in flight without
 *    being deferred, i.e. no vCPU is ever left waiting with nobody to wake it;
 *  - a completion is never notified twice, and only with IORESP_READY set;
 *  - resume() finds exactly the deferred accesses, never a stale ticket;
 *  - handlers only ever see 1/2/4/8-byte accesses inside their range;
 *  - guest memory is only touched in 1/2/4/8-byte pieces;
 *  - after abort_all nothing is pending and every taken slot is IORESP_READY.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <ioreqd/fault.h>

#include "bus.h"
#include "fuzz-host.h"
#include "fuzz-input.h"
#include "engine.h"

#define MAX_VCPUS 4
#define GM_SIZE 8192u
#define MAX_OPS 200

/* One device range with a byte-array register file behind it. */
struct region {
	enum ioreqd_space space;
	uint64_t base;
	uint64_t last;
	uint8_t *bytes; /* NULL: the sample hooks serve it (see hook_conf) */
	bool fuzzy;     /* a fuzz-driven handler sits in front */
};

/* What the harness believes about one vCPU. */
struct vmodel {
	bool inflight; /* the engine holds a request of this vCPU */
	bool deferred; /* ... and a handler deferred it */
	bool injected; /* ... taken through ioreqd_engine_inject */
	ioreqd_ticket_t ticket;
	ioreq_t inj; /* storage for an injected request */
};

struct harness {
	struct fuzz_input in;
	struct ioreqd_engine *e;
	shared_iopage_t *page; /* points at page_mem */
	unsigned nr_vcpus;
	uint64_t gm_base;
	uint8_t gm[GM_SIZE];
	struct vmodel m[MAX_VCPUS];
	uint64_t completions; /* notifies plus injected completions seen */
	bool honest;          /* fuzzy handlers pass; used for oracle requests */
	bool ip_fails;
};

static struct harness H;

/*
 * The bus and the sample hooks' devices are built once, not per input: their
 * set-up (a configuration parse, each hook's init) would otherwise cost more
 * than most inputs and drown the coverage signal of the input itself.  What
 * survives from one input to the next is only data (the hooks' registers),
 * which no invariant here depends on; the engine, the slots, guest memory
 * and the modelled register files are fresh for every input.
 */
static struct ioreqd_bus *bus;
static struct fuzz_host *host;

/* shared_iopage_t declares one slot; the real page holds one per vCPU. */
static union {
	shared_iopage_t page;
	uint8_t bytes[4096];
} page_mem;

static uint8_t pio_uart[8], pio_top[16], pio_post[1];
static uint8_t mmio_dev[4096], mmio_top[4096], pci_cfg[4096];

static struct region regions[] = {
    {IOREQD_SPACE_PIO, 0x3f8, 0x3ff, pio_uart, false},
    {IOREQD_SPACE_PIO, 0xfff0, 0xffff, pio_top, false},
    {IOREQD_SPACE_PIO, 0x80, 0x80, pio_post, false},
    {IOREQD_SPACE_MMIO, 0xfeb00000, 0xfeb00fff, mmio_dev, true},
    {IOREQD_SPACE_MMIO, 0xfffffffffffff000ull, UINT64_MAX, mmio_top, true},
    {IOREQD_SPACE_PCI, IOREQD_PCI_ADDR(IOREQD_PCI_SBDF(0, 0, 5, 0), 0),
     IOREQD_PCI_ADDR(IOREQD_PCI_SBDF(0, 0, 5, 0), 0xfff), pci_cfg, true},
    /* Served by the sample hooks; the oracle (op_honest) does not model them. */
    {IOREQD_SPACE_MMIO, 0xfe000000, 0xfe000fff, NULL, true},
    {IOREQD_SPACE_PCI, IOREQD_PCI_ADDR(IOREQD_PCI_SBDF(0, 0, 6, 0), 0),
     IOREQD_PCI_ADDR(IOREQD_PCI_SBDF(0, 0, 6, 0), 0xfff), NULL, true},
};
#define NR_REGIONS (sizeof(regions) / sizeof(regions[0]))
#define NR_MODELLED 6u /* regions[0..5] have a register file here */

/*
 * The sample hooks, chained as a configuration would chain them: a scratch
 * RAM smaller than its range (so accesses past its end take its "outside"
 * path) under a latching register override, a debug console, and a PCI
 * function whose ID register is overridden on top of a scratch config space.
 */
static const char hook_conf[] = "[device ram]\n"
                                "hook = scratch\n"
                                "mmio = 0xfe000000+0x1000\n"
                                "size = 0x800\n"
                                "[device reg]\n"
                                "hook = override\n"
                                "mmio = 0xfe000000+0x1000\n"
                                "offset = 8\n"
                                "width = 4\n"
                                "value = 0x12345678\n"
                                "writes = latch\n"
                                "[device dbg]\n"
                                "hook = debugcon\n"
                                "pio = 0xe9\n"
                                "file = /dev/null\n"
                                "[device cfg]\n"
                                "hook = scratch\n"
                                "pci = 0000:00:06.0\n"
                                "[device id]\n"
                                "hook = override\n"
                                "pci = 0000:00:06.0\n"
                                "value = 0xabcd1234\n"
                                "writes = pass\n";

static uint64_t mask_of(unsigned size)
{
	return size >= 8 ? ~0ull : (1ull << (size * 8)) - 1;
}

static uint64_t load_le(const uint8_t *p, unsigned size)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < size; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static void store_le(uint8_t *p, unsigned size, uint64_t v)
{
	for (unsigned i = 0; i < size; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* ---- engine callbacks: the backend as the engine sees it ---- */

static int cb_notify(void *opaque, unsigned vcpu)
{
	FUZZ_CHECK(vcpu < H.nr_vcpus);
	/* A notify for a request nobody took is a double completion. */
	FUZZ_CHECK(H.m[vcpu].inflight && !H.m[vcpu].injected);
	FUZZ_CHECK(H.page->vcpu_ioreq[vcpu].state == STATE_IORESP_READY);
	H.m[vcpu].inflight = false;
	H.m[vcpu].deferred = false;
	H.completions++;
	return 0;
}

static bool gm_range_ok(uint64_t gpa, size_t len)
{
	return gpa >= H.gm_base && len <= GM_SIZE && gpa - H.gm_base <= GM_SIZE - len;
}

static int cb_guest_read(void *opaque, uint64_t gpa, void *buf, size_t len)
{
	FUZZ_CHECK(len == 1 || len == 2 || len == 4 || len == 8);
	if (!gm_range_ok(gpa, len))
		return -EFAULT;
	memcpy(buf, &H.gm[gpa - H.gm_base], len);
	return 0;
}

static int cb_guest_write(void *opaque, uint64_t gpa, const void *buf, size_t len)
{
	FUZZ_CHECK(len == 1 || len == 2 || len == 4 || len == 8);
	if (!gm_range_ok(gpa, len))
		return -EFAULT;
	memcpy(&H.gm[gpa - H.gm_base], buf, len);
	return 0;
}

static int cb_get_ip(void *opaque, unsigned vcpu, uint64_t *ip)
{
	FUZZ_CHECK(vcpu < H.nr_vcpus);
	if (H.ip_fails)
		return -EIO;
	*ip = 0xfff0 + vcpu;
	return 0;
}

static void cb_deferred(void *opaque, ioreqd_fault_t *f, const char *handler)
{
	unsigned v = ioreqd_fault_vcpu(f);

	FUZZ_CHECK(v < H.nr_vcpus);
	FUZZ_CHECK(handler != NULL);
	FUZZ_CHECK(H.m[v].inflight && !H.m[v].deferred);
	H.m[v].deferred = true;
	H.m[v].ticket = ioreqd_fault_ticket(f);
	FUZZ_CHECK(ioreqd_engine_resume(H.e, H.m[v].ticket) == f);
}

static const struct ioreqd_guest_ops engine_ops_guest = {
    .notify = cb_notify,
    .guest_read = cb_guest_read,
    .guest_write = cb_guest_write,
    .get_ip = cb_get_ip,
};
static const struct ioreqd_engine_ops engine_ops = {
    .deferred = cb_deferred,
};

/* ---- handlers ---- */

/* Checks every handler makes: the engine only hands out well-formed accesses. */
static void check_access(ioreqd_fault_t *f, const struct region *r)
{
	unsigned size = ioreqd_fault_size(f);
	uint64_t off = ioreqd_fault_offset(f);

	FUZZ_CHECK(size == 1 || size == 2 || size == 4 || size == 8);
	FUZZ_CHECK(ioreqd_fault_space(f) == r->space);
	FUZZ_CHECK(off <= r->last - r->base && size - 1 <= r->last - r->base - off);
	FUZZ_CHECK(ioreqd_fault_addr(f) == r->base + off);
	FUZZ_CHECK(ioreqd_fault_vcpu(f) < H.nr_vcpus);
	if (!ioreqd_fault_is_read(f))
		FUZZ_CHECK((ioreqd_fault_data(f) & ~mask_of(size)) == 0);
	/* The ticket of a running access is not resumable. */
	FUZZ_CHECK(ioreqd_engine_resume(H.e, ioreqd_fault_ticket(f)) == NULL);
}

/* The register file: reads and writes bytes of the region, little-endian. */
static enum ioreqd_fault_result scratch_access(ioreqd_fault_t *f, void *opaque)
{
	struct region *r = opaque;
	uint64_t off = ioreqd_fault_offset(f);
	unsigned size = ioreqd_fault_size(f);

	check_access(f, r);
	if (ioreqd_fault_is_read(f))
		ioreqd_fault_set_data(f, load_le(&r->bytes[off], size));
	else
		store_le(&r->bytes[off], size, ioreqd_fault_data(f));
	return IOREQD_FAULT_HANDLED;
}

/* A first-in-chain tracer that always passes. */
static enum ioreqd_fault_result tracer_access(ioreqd_fault_t *f, void *opaque)
{
	check_access(f, opaque);
	return IOREQD_FAULT_PASS;
}

/* Pick another vCPU with a deferred access, or -1. */
static int other_deferred(unsigned self, uint8_t start)
{
	for (unsigned i = 0; i < H.nr_vcpus; i++) {
		unsigned v = (start + i) % H.nr_vcpus;

		if (v != self && H.m[v].deferred)
			return (int)v;
	}
	return -1;
}

static void finish_deferred(unsigned v, bool abort_it, bool restart_it);

/* A handler whose every decision comes from the input. */
static enum ioreqd_fault_result fuzzy_access(ioreqd_fault_t *f, void *opaque)
{
	struct region *r = opaque;
	unsigned self = ioreqd_fault_vcpu(f);
	uint8_t b;
	uint64_t ip;
	int other;

	check_access(f, r);
	if (H.honest)
		return IOREQD_FAULT_PASS;
	b = fuzz_u8(&H.in);
	if (b & 0x08) {
		/* Completing an access from inside its own handler is refused. */
		FUZZ_CHECK(ioreqd_fault_advance(f) == -EINVAL);
		FUZZ_CHECK(ioreqd_fault_restart(f) == -EINVAL);
		/* So is freeing the range (and so the chain) that is running. */
		FUZZ_CHECK(ioreqd_bus_remove(bus, ioreqd_bus_find(bus, r->space, r->base,
		                                                  r->last)) == -EBUSY);
	}
	if (b & 0x10) {
		int rc = ioreqd_fault_ip(f, &ip);

		FUZZ_CHECK(rc == 0 ? ip == 0xfff0 + self : ip == 0);
	}
	if ((b & 0x60) && (other = other_deferred(self, b)) >= 0)
		finish_deferred((unsigned)other, (b & 0x60) == 0x40, (b & 0x60) == 0x60);
	switch (b & 7) {
	case 0:
	case 1:
		return r->bytes ? scratch_access(f, r) : IOREQD_FAULT_PASS;
	case 2:
		ioreqd_fault_set_data(f, fuzz_u64(&H.in));
		return IOREQD_FAULT_HANDLED;
	case 3:
		return IOREQD_FAULT_PASS;
	case 4:
		return IOREQD_FAULT_DEFER;
	case 5:
		return IOREQD_FAULT_ERROR;
	case 6:
		return (enum ioreqd_fault_result)(40 + (b >> 4)); /* nonsense verdict */
	default:
		ioreqd_fault_set_data_from_reg(f,
		                               ioreqd_fault_emulate(f, fuzz_u64(&H.in)));
		return IOREQD_FAULT_HANDLED;
	}
}

static void setup_bus(void)
{
	static const struct ioreqd_handler scratch = {"scratch", scratch_access, NULL,
	                                              IOREQD_ORDER_NORMAL};
	static const struct ioreqd_handler tracer = {"tracer", tracer_access, NULL,
	                                             IOREQD_ORDER_FIRST};
	static const struct ioreqd_handler fuzzy = {"fuzzy", fuzzy_access, NULL,
	                                            IOREQD_ORDER_NORMAL};
	struct ioreqd_range *range;
	const char *why;

	host = fuzz_host_new(hook_conf, 7);
	bus = fuzz_host_bus(host);
	for (unsigned i = 0; i < NR_REGIONS; i++) {
		struct region *r = &regions[i];
		struct ioreqd_handler h;

		if (r->bytes) {
			FUZZ_CHECK(ioreqd_bus_add(bus, r->space, r->base, r->last, &range,
			                          &why) == 0);
			h = scratch;
			h.opaque = r;
			FUZZ_CHECK(ioreqd_range_install(range, &h, NULL, NULL) == 0);
		} else {
			range = ioreqd_bus_find(bus, r->space, r->base, r->last);
			FUZZ_CHECK(range != NULL);
		}
		h = r->fuzzy ? fuzzy : tracer;
		h.opaque = r;
		FUZZ_CHECK(ioreqd_range_install(range, &h, NULL, NULL) == 0);
	}
	/* A claimed range with an empty chain: every access is unhandled. */
	FUZZ_CHECK(ioreqd_bus_add(bus, IOREQD_SPACE_MMIO, 0, 0xfff, NULL, &why) == 0);
}

/* ---- invariants ---- */

static unsigned count_deferred(void)
{
	unsigned n = 0;

	for (unsigned v = 0; v < H.nr_vcpus; v++)
		n += H.m[v].deferred;
	return n;
}

/* Settle injected completions, then check the engine against the model. */
static void check_model(void)
{
	for (unsigned v = 0; v < H.nr_vcpus; v++) {
		struct vmodel *m = &H.m[v];

		if (m->inflight && m->injected && m->inj.state == STATE_IORESP_READY) {
			FUZZ_CHECK(!m->deferred);
			m->inflight = false;
			m->injected = false;
			H.completions++;
		}
		/* Nobody will ever complete a request that is in flight and not deferred.
		 */
		FUZZ_CHECK(!m->inflight || m->deferred);
		/* The guest may scribble on a held slot, so its state proves nothing
		 * here. */
		FUZZ_CHECK((ioreqd_engine_resume(H.e, m->ticket) != NULL) == m->deferred);
	}
	FUZZ_CHECK(ioreqd_engine_pending(H.e) == count_deferred());
	FUZZ_CHECK(ioreqd_engine_stats(H.e)->completed == H.completions);
}

/*
 * Complete, abort or restart vCPU v's deferred access, as a hook (or the
 * watchdog) would.  Called from the op loop and re-entrantly from handlers.
 */
static void finish_deferred(unsigned v, bool abort_it, bool restart_it)
{
	struct vmodel *m = &H.m[v];
	ioreqd_ticket_t old = m->ticket;
	ioreqd_fault_t *f = ioreqd_engine_resume(H.e, old);
	int rc;

	FUZZ_CHECK(m->deferred && f != NULL);
	FUZZ_CHECK(ioreqd_fault_vcpu(f) == v);
	m->deferred = false;
	if (abort_it) {
		rc = ioreqd_engine_abort(H.e, f);
		FUZZ_CHECK(rc == 0);
		if (m->injected) {
			FUZZ_CHECK(m->inj.state == STATE_IORESP_READY);
		} else {
			/* An abort completes; it never defers again. */
			FUZZ_CHECK(!m->inflight);
		}
		FUZZ_CHECK(ioreqd_engine_abort(H.e, f) == -EALREADY);
	} else if (restart_it) {
		rc = ioreqd_fault_restart(f);
		FUZZ_CHECK(rc == 0);
	} else {
		if (ioreqd_fault_is_read(f))
			ioreqd_fault_set_data(f, fuzz_u64(&H.in));
		rc = ioreqd_fault_advance(f);
		FUZZ_CHECK(rc == 0);
	}
	/* The ticket that was just used has gone stale, whatever happened next. */
	FUZZ_CHECK(ioreqd_engine_resume(H.e, old) == NULL);
}

/* ---- operations ---- */

static void op_slot(bool scribble_only)
{
	uint8_t sel = fuzz_u8(&H.in);
	uint8_t flags = fuzz_u8(&H.in);
	unsigned v = sel % (H.nr_vcpus + 1);
	volatile ioreq_t *slot;
	ioreq_t before, after;
	bool take;
	int rc;

	if (v == H.nr_vcpus) {
		/* A notification for a vCPU the engine does not serve. */
		uint64_t rej = ioreqd_engine_stats(H.e)->rejected;

		FUZZ_CHECK(ioreqd_engine_handle(H.e, v + (sel >> 4) * 16) == -EINVAL);
		FUZZ_CHECK(ioreqd_engine_stats(H.e)->rejected == rej + 1);
		return;
	}
	slot = &H.page->vcpu_ioreq[v];
	fuzz_take(&H.in, &before, sizeof(before));
	if (flags & 1)
		before.state = STATE_IOREQ_READY;
	memcpy((void *)slot, &before, sizeof(before));
	if (scribble_only)
		return;
	take = before.state == STATE_IOREQ_READY && !H.m[v].inflight;
	if (take) {
		H.m[v].inflight = true;
		H.m[v].injected = false;
	}
	rc = ioreqd_engine_handle(H.e, v);
	memcpy(&after, (const void *)slot, sizeof(after));
	if (!take) {
		FUZZ_CHECK(rc == 0);
		FUZZ_CHECK(memcmp(&before, &after, sizeof(after)) == 0);
		return;
	}
	FUZZ_CHECK(rc == 1);
	if (H.m[v].inflight)
		FUZZ_CHECK(H.m[v].deferred && after.state == STATE_IOREQ_INPROCESS);
	else
		FUZZ_CHECK(after.state == STATE_IORESP_READY);
	/* Only data and state are ever written back. */
	FUZZ_CHECK(after.addr == before.addr && after.count == before.count &&
	           after.size == before.size && after.vp_eport == before.vp_eport &&
	           after.type == before.type && after.dir == before.dir &&
	           after.df == before.df && after.data_is_ptr == before.data_is_ptr);
	if (!(before.dir == IOREQ_READ && !before.data_is_ptr))
		FUZZ_CHECK(after.data == before.data);
}

static void op_inject(void)
{
	unsigned v = fuzz_u8(&H.in) % H.nr_vcpus;
	uint8_t flags = fuzz_u8(&H.in);
	struct vmodel *m = &H.m[v];
	ioreq_t req;
	int rc;

	fuzz_take(&H.in, &req, sizeof(req));
	if (flags & 1)
		req.state = STATE_IOREQ_READY;
	if (m->inflight) {
		FUZZ_CHECK(ioreqd_engine_inject(H.e, v, &req) == -EBUSY);
		return;
	}
	m->inj = req;
	if (req.state != STATE_IOREQ_READY) {
		FUZZ_CHECK(ioreqd_engine_inject(H.e, v, &m->inj) == -EINVAL);
		return;
	}
	m->inflight = true;
	m->injected = true;
	rc = ioreqd_engine_inject(H.e, v, &m->inj);
	FUZZ_CHECK(rc == 0 || rc == 1);
	FUZZ_CHECK(rc == 1 ? m->inj.state == STATE_IORESP_READY
	                   : m->deferred && m->inj.state == STATE_IOREQ_INPROCESS);
}

static void op_finish(unsigned how)
{
	unsigned v = fuzz_u8(&H.in) % H.nr_vcpus;

	if (H.m[v].deferred)
		finish_deferred(v, how == 1, how == 2);
}

static void op_stale_ticket(void)
{
	ioreqd_ticket_t t = fuzz_u64(&H.in);
	ioreqd_fault_t *f = ioreqd_engine_resume(H.e, t);
	bool live = false;

	for (unsigned v = 0; v < H.nr_vcpus; v++)
		live |= H.m[v].deferred && H.m[v].ticket == t;
	FUZZ_CHECK(live == (f != NULL));
}

static void op_abort_all(void)
{
	unsigned want = count_deferred();

	FUZZ_CHECK(ioreqd_engine_abort_all(H.e) == want);
	/* Injected requests complete without a notify: forget their deferral here. */
	for (unsigned v = 0; v < H.nr_vcpus; v++) {
		if (H.m[v].injected)
			H.m[v].deferred = false;
		FUZZ_CHECK(!H.m[v].deferred);
	}
}

/*
 * A well-formed request (possibly a rep string access through guest memory)
 * whose outcome is computed here first; the engine must produce exactly it.
 */
static void op_honest(void)
{
	static uint8_t exp_gm[GM_SIZE], exp_dev[4096];
	static const unsigned sizes[] = {1, 2, 4, 8};
	struct region *r = &regions[fuzz_u8(&H.in) % NR_MODELLED];
	uint8_t b = fuzz_u8(&H.in);
	unsigned v = fuzz_u8(&H.in) % H.nr_vcpus;
	uint64_t rsize = r->last - r->base + 1;
	const struct ioreqd_engine_stats *st = ioreqd_engine_stats(H.e);
	uint64_t rej = st->rejected, unh = st->unhandled, err = st->handler_errors;
	unsigned size, count;
	bool is_mmio = r->space == IOREQD_SPACE_MMIO, ptr, df, rd;
	uint64_t off, span, gpa = 0, data = fuzz_u64(&H.in), last = 0;
	ioreq_t req;

	if (H.m[v].inflight)
		return;
	size = sizes[(b & 3) % (r->space == IOREQD_SPACE_MMIO ? 4 : 3)];
	while (size > rsize)
		size >>= 1;
	count = r->space == IOREQD_SPACE_PCI ? 1 : 1 + ((b >> 2) & 7);
	ptr = r->space != IOREQD_SPACE_PCI && (b & 0x20);
	df = r->space != IOREQD_SPACE_PCI && (b & 0x40);
	rd = b & 0x80;
	span = is_mmio ? (uint64_t)(count - 1) * size : 0;
	if (span + size > rsize) {
		count = 1;
		span = 0;
	}
	off = fuzz_u16(&H.in) % (rsize - size - span + 1) + (df ? span : 0);
	if (ptr) {
		uint64_t gspan = (uint64_t)(count - 1) * size;

		gpa = H.gm_base + fuzz_u16(&H.in) % (GM_SIZE - size - gspan + 1) +
		      (df ? gspan : 0);
	}
	/* The expected outcome, element by element. */
	memcpy(exp_gm, H.gm, GM_SIZE);
	memcpy(exp_dev, r->bytes, rsize);
	for (unsigned i = 0; i < count; i++) {
		uint64_t step = (uint64_t)i * size;
		uint64_t o = is_mmio ? (df ? off - step : off + step) : off;
		uint64_t g = df ? gpa - step : gpa + step;

		if (rd) {
			last = load_le(&exp_dev[o], size);
			if (ptr)
				store_le(&exp_gm[g - H.gm_base], size, last);
		} else {
			store_le(&exp_dev[o], size,
			         ptr ? load_le(&exp_gm[g - H.gm_base], size)
			             : data & mask_of(size));
		}
	}
	memset(&req, 0, sizeof(req));
	req.addr = r->base + off;
	req.data = ptr ? gpa : data;
	req.count = count;
	req.size = size;
	req.state = STATE_IOREQ_READY;
	req.data_is_ptr = ptr;
	req.dir = rd ? IOREQ_READ : IOREQ_WRITE;
	req.df = df;
	req.type = r->space == IOREQD_SPACE_PIO    ? IOREQ_TYPE_PIO
	           : r->space == IOREQD_SPACE_MMIO ? IOREQ_TYPE_COPY
	                                           : IOREQ_TYPE_PCI_CONFIG;
	H.honest = true;
	H.m[v].inflight = true;
	H.m[v].injected = false;
	memcpy((void *)&H.page->vcpu_ioreq[v], &req, sizeof(req));
	FUZZ_CHECK(ioreqd_engine_handle(H.e, v) == 1);
	H.honest = false;
	FUZZ_CHECK(!H.m[v].inflight);
	FUZZ_CHECK(H.page->vcpu_ioreq[v].state == STATE_IORESP_READY);
	FUZZ_CHECK(st->rejected == rej && st->unhandled == unh &&
	           st->handler_errors == err);
	FUZZ_CHECK(memcmp(exp_dev, r->bytes, rsize) == 0);
	FUZZ_CHECK(memcmp(exp_gm, H.gm, GM_SIZE) == 0);
	if (rd && !ptr)
		FUZZ_CHECK(H.page->vcpu_ioreq[v].data == last);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint64_t gm_bases[] = {0, 0x10000000, 0ull - GM_SIZE, 0xfeb00000};
	uint8_t hdr;
	unsigned ops = 0;

	fuzz_quiet_logs();
	memset(&H, 0, sizeof(H));
	for (unsigned i = 0; i < NR_MODELLED; i++)
		memset(regions[i].bytes, 0, regions[i].last - regions[i].base + 1);
	memset(&page_mem, 0, sizeof(page_mem));
	H.page = &page_mem.page;
	fuzz_input_init(&H.in, data, size);
	hdr = fuzz_u8(&H.in);
	H.nr_vcpus = 1 + (hdr & 3);
	H.gm_base = gm_bases[(hdr >> 2) & 3];
	H.ip_fails = hdr & 0x10;
	fuzz_take(&H.in, H.gm, 64); /* the rest of guest memory stays zero */
	if (!bus)
		setup_bus();
	H.e = ioreqd_engine_new(bus, H.page, H.nr_vcpus, 7, &engine_ops_guest, NULL,
	                        &engine_ops, NULL);
	FUZZ_CHECK(H.e);

	while (!fuzz_empty(&H.in) && ops++ < MAX_OPS) {
		switch (fuzz_u8(&H.in) % 12) {
		case 0:
		case 1:
		case 2:
			op_slot(false);
			break;
		case 3:
			op_slot(true);
			break;
		case 4:
			op_inject();
			break;
		case 5:
		case 6:
			op_finish(0);
			break;
		case 7:
			op_finish(1);
			break;
		case 8:
			op_finish(2);
			break;
		case 9:
			op_stale_ticket();
			break;
		case 10:
			op_honest();
			break;
		default:
			if (fuzz_u8(&H.in) == 0xa5)
				op_abort_all();
			else
				op_honest();
			break;
		}
		check_model();
	}

	/* Shutdown: everything deferred is completed; no vCPU is left waiting. */
	op_abort_all();
	check_model();
	FUZZ_CHECK(ioreqd_engine_pending(H.e) == 0);
	for (unsigned v = 0; v < H.nr_vcpus; v++)
		FUZZ_CHECK(!H.m[v].inflight);

	ioreqd_engine_free(H.e);
	return 0;
}
