/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the buffered ring: arbitrary buffered_iopage_t contents and pointers
 * (far apart, wrapped around 2^32, backwards, a half-published 8-byte write)
 * drained by ioreqd_engine_drain_buffered.  While the drain runs, the handlers
 * play the producer: from the input they publish more entries the way Xen does
 * (slot contents first, then write_pointer), and in "hostile" inputs they also
 * scribble on both pointers, as a guest that could reach the page would.
 *
 * The invariants:
 *  - the drain terminates (libFuzzer's -timeout catches a hang);
 *  - with an honest producer (and a drain after each drain during which it
 *    published, as Xen's notification after each write causes) the ring ends
 *    consistent: empty, or holding
 *    exactly the first half of an 8-byte write; read_pointer moved by exactly
 *    the slots consumed (or, after a rejected corrupt ring, caught up with
 *    write_pointer); a second drain with nothing new published does nothing;
 *  - handlers see only writes of 1/2/4/8 bytes, below 1 MiB for MMIO and
 *    inside port space for PIO, and a deferral of a posted write leaves
 *    nothing pending.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <ioreqd/fault.h>

#include "bus.h"
#include "fuzz-input.h"
#include "engine.h"

#define RING IOREQ_BUFFER_SLOT_NUM

struct harness {
	struct fuzz_input in;
	struct ioreqd_bus *bus;
	struct ioreqd_engine *e;
	buffered_iopage_t *bp;
	bool hostile;      /* handlers may scribble on the pointers */
	bool producing;    /* handlers may publish more entries */
	uint64_t produced; /* slots published by handlers during a drain */
	uint64_t seen;     /* accesses the handlers saw */
	uint64_t timeoffsets;
};

static struct harness H;

/* A page-sized buffer: the ring must sit where a real mapping would put it. */
static union {
	buffered_iopage_t page;
	uint8_t bytes[4096];
} page_mem;

static void cb_timeoffset(void *opaque, int64_t delta)
{
	H.timeoffsets++;
}

static int cb_notify(void *opaque, unsigned vcpu)
{
	/* Nobody waits for a posted write. */
	FUZZ_CHECK(!"a posted write notified a vCPU");
	return 0;
}

static void cb_deferred(void *opaque, ioreqd_fault_t *f, const char *handler)
{
	FUZZ_CHECK(!"a posted write was reported as deferred");
}

static const struct ioreqd_guest_ops engine_ops_guest = {
    .notify = cb_notify,
};
static const struct ioreqd_engine_ops engine_ops = {
    .timeoffset = cb_timeoffset,
    .deferred = cb_deferred,
};

static uint32_t load_ptr(const uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

/* Publish up to @p n entries as Xen does: contents, then write_pointer. */
static void produce(unsigned n)
{
	uint32_t rd = load_ptr(&H.bp->read_pointer);
	uint32_t wr = load_ptr(&H.bp->write_pointer);
	uint32_t used = wr - rd;

	/* An honest producer never overruns the consumer. */
	if (used >= RING)
		return;
	if (n > RING - used)
		n = RING - used;
	for (unsigned i = 0; i < n; i++)
		fuzz_take(&H.in, &H.bp->buf_ioreq[(wr + i) % RING], sizeof(buf_ioreq_t));
	/* Release: the contents above before the pointer that publishes them. */
	__atomic_store_n(&H.bp->write_pointer, wr + n, __ATOMIC_RELEASE);
	H.produced += n;
}

static enum ioreqd_fault_result ring_access(ioreqd_fault_t *f, void *opaque)
{
	const uint64_t *bounds = opaque; /* [base, last] of the range */
	unsigned size = ioreqd_fault_size(f);
	uint64_t addr = ioreqd_fault_addr(f);
	uint8_t b;

	H.seen++;
	FUZZ_CHECK(!ioreqd_fault_is_read(f));
	FUZZ_CHECK(size == 1 || size == 2 || size == 4 || size == 8);
	FUZZ_CHECK(addr >= bounds[0] && addr + size - 1 <= bounds[1]);
	FUZZ_CHECK(ioreqd_fault_offset(f) == addr - bounds[0]);
	if (ioreqd_fault_space(f) == IOREQD_SPACE_PIO)
		FUZZ_CHECK(size <= 4 && addr + size - 1 <= 0xffff);
	else
		FUZZ_CHECK(addr + size - 1 <= 0xfffff + 7);
	FUZZ_CHECK((ioreqd_fault_data(f) &
	            ~(size >= 8 ? ~0ull : (1ull << (8 * size)) - 1)) == 0);
	b = fuzz_u8(&H.in);
	if (H.producing && (b & 0x08))
		produce(1 + (b >> 4));
	if (H.hostile && (b & 0x80)) {
		uint32_t v = fuzz_u32(&H.in);

		__atomic_store_n(b & 0x40 ? &H.bp->read_pointer : &H.bp->write_pointer, v,
		                 __ATOMIC_RELEASE);
	}
	switch (b & 7) {
	case 0:
	case 1:
	case 2:
		return IOREQD_FAULT_HANDLED;
	case 3:
		return IOREQD_FAULT_PASS;
	case 4: {
		/* A deferral of a posted write is moot: its ticket is never live. */
		ioreqd_ticket_t t = ioreqd_fault_ticket(f);

		FUZZ_CHECK(ioreqd_engine_resume(H.e, t) == NULL);
		return IOREQD_FAULT_DEFER;
	}
	case 5:
		return IOREQD_FAULT_ERROR;
	case 6:
		FUZZ_CHECK(ioreqd_fault_advance(f) == -EINVAL);
		return IOREQD_FAULT_HANDLED;
	default:
		return (enum ioreqd_fault_result)99;
	}
}

static void setup_bus(void)
{
	static uint64_t bounds[][2] = {
	    {0x3f8, 0x3ff},     /* PIO: a UART */
	    {0xfff8, 0xffff},   /* PIO: the top of port space */
	    {0xa0000, 0xbffff}, /* MMIO: VGA, Xen's main buffered user */
	    {0xffff8, 0xfffff}, /* MMIO: the top of what Xen buffers */
	};
	static const enum ioreqd_space spaces[] = {IOREQD_SPACE_PIO, IOREQD_SPACE_PIO,
	                                           IOREQD_SPACE_MMIO, IOREQD_SPACE_MMIO};
	const char *why;

	H.bus = ioreqd_bus_new();
	FUZZ_CHECK(H.bus);
	for (unsigned i = 0; i < 4; i++) {
		struct ioreqd_range *r;
		struct ioreqd_handler h = {"ring", ring_access, bounds[i],
		                           IOREQD_ORDER_NORMAL};

		FUZZ_CHECK(ioreqd_bus_add(H.bus, spaces[i], bounds[i][0], bounds[i][1],
		                          &r, &why) == 0);
		FUZZ_CHECK(ioreqd_range_install(r, &h, NULL, NULL) == 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct ioreqd_engine_stats *st;
	uint32_t rd0, wr0, rd1, wr1, nfill;
	uint64_t rej0, consumed, slots0;
	uint8_t hdr;

	fuzz_quiet_logs();
	memset(&H, 0, sizeof(H));
	memset(&page_mem, 0, sizeof(page_mem));
	H.bp = &page_mem.page;
	fuzz_input_init(&H.in, data, size);
	hdr = fuzz_u8(&H.in);
	H.hostile = hdr & 1;
	H.producing = hdr & 2;
	rd0 = fuzz_u32(&H.in);
	/* Mostly a sane distance, sometimes an arbitrary (corrupt) write_pointer. */
	wr0 = hdr & 4 ? fuzz_u32(&H.in) : rd0 + fuzz_u16(&H.in) % (RING + 2);
	H.bp->read_pointer = rd0;
	H.bp->write_pointer = wr0;
	/* Fill the slots from the read pointer on; the input says how many. */
	nfill = fuzz_u16(&H.in) % (RING + 1);
	for (uint32_t i = 0; i < nfill; i++)
		fuzz_take(&H.in, &H.bp->buf_ioreq[(rd0 + i) % RING], sizeof(buf_ioreq_t));

	setup_bus();
	H.e = ioreqd_engine_new(H.bus, NULL, 1, 3, &engine_ops_guest, NULL, &engine_ops,
	                        NULL);
	FUZZ_CHECK(H.e);
	st = ioreqd_engine_stats(H.e);
	rej0 = st->rejected;
	slots0 = st->buffered_slots;

	/*
	 * Xen notifies after every publication, so the daemon drains again
	 * whenever a handler produced during the last drain: a drain may stop
	 * at a half-published 8-byte write that was completed meanwhile.
	 */
	consumed = 0;
	for (uint64_t before = ~0ull; before != H.produced;) {
		before = H.produced;
		consumed += ioreqd_engine_drain_buffered(H.e, H.bp);
	}
	rd1 = H.bp->read_pointer;
	wr1 = H.bp->write_pointer;
	FUZZ_CHECK(ioreqd_engine_pending(H.e) == 0);
	FUZZ_CHECK(st->buffered_slots - slots0 == consumed);
	FUZZ_CHECK(st->buffered + st->timeoffset + (st->rejected - rej0) <= consumed + 1);
	FUZZ_CHECK(H.seen <= st->buffered);
	FUZZ_CHECK(H.timeoffsets == st->timeoffset);

	if (!H.hostile) {
		uint32_t left = wr1 - rd1;
		bool resynced =
		    st->rejected_by[IOREQD_REJ_BUFRING] && (uint32_t)(wr0 - rd0) > RING;

		/* Empty, or exactly one half of an 8-byte write waits for its mate. */
		FUZZ_CHECK(left == 0 ||
		           (left == 1 && H.bp->buf_ioreq[rd1 % RING].size == 3));
		if (!resynced) {
			FUZZ_CHECK(consumed <=
			           (uint64_t)(uint32_t)(wr0 - rd0) + H.produced);
			FUZZ_CHECK((uint32_t)(rd1 - rd0) == (uint32_t)consumed);
		}
		/* Nothing new published: a second drain finds nothing to do. */
		H.producing = false;
		FUZZ_CHECK(ioreqd_engine_drain_buffered(H.e, H.bp) == 0);
		FUZZ_CHECK(H.bp->read_pointer == rd1 && H.bp->write_pointer == wr1);
	} else {
		/* Whatever the pointers say now, draining again still terminates. */
		H.hostile = false;
		H.producing = false;
		ioreqd_engine_drain_buffered(H.e, H.bp);
	}

	ioreqd_engine_free(H.e);
	ioreqd_bus_free(H.bus);
	return 0;
}
