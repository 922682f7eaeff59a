/* SPDX-License-Identifier: MIT */
/*
 * Check suite for the buffered ioreq ring (lib/bufioreq.c) over a real
 * buffered_iopage_t, with the test playing Xen's producer side: single-slot
 * writes, 8-byte writes split over two slots (also across the wrap at slot
 * 510), a half-published quad, bad entries skipped, bad pointers rejected and
 * the ring resynced, the read pointer advanced atomically (also while Xen
 * canonicalises the pair mid-drain), TIMEOFFSET through the ring, and the
 * posted-write counters.
 */
#include <check.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "engine.h"
#include "log.h"

#define SLOTS IOREQ_BUFFER_SLOT_NUM
#define VGA_PIO 0x3c0u
#define VGA_MEM 0xa0000u

static buffered_iopage_t *bp;
static struct ioreqd_bus *bus;
static struct ioreqd_engine *eng;
static struct ioreqd_range *r_pio, *r_mem;
static unsigned timeoffset_calls, deferred_calls, nlogs;
static int64_t timeoffset_delta;

/* --- Xen's side of the ring --- */

static unsigned size_code(unsigned size)
{
	return size == 1 ? 0 : size == 2 ? 1 : size == 4 ? 2 : 3;
}

static void put_slot(uint32_t ptr, uint8_t type, bool read, unsigned size, uint32_t addr,
                     uint32_t data)
{
	buf_ioreq_t s;

	memset(&s, 0, sizeof(s));
	s.type = type;
	s.dir = read ? IOREQ_READ : IOREQ_WRITE;
	s.size = size_code(size) & 3;
	s.addr = addr & 0xfffff;
	s.data = data;
	bp->buf_ioreq[ptr % SLOTS] = s;
}

static void publish(uint32_t nslots)
{
	/* Slots before the pointer, as Xen's wmb() orders them. */
	atomic_thread_fence(memory_order_release);
	bp->write_pointer += nslots;
}

/* Produce one write exactly as Xen's ioreq_send_buffered does. */
static void produce(uint8_t type, uint32_t addr, unsigned size, uint64_t data)
{
	uint32_t wp = bp->write_pointer;

	put_slot(wp, type, false, size, addr, (uint32_t)data);
	if (size == 8)
		put_slot(wp + 1, type, false, size, addr, (uint32_t)(data >> 32));
	publish(size == 8 ? 2 : 1);
}

static void set_pointers(uint32_t rd, uint32_t wr)
{
	bp->read_pointer = rd;
	bp->write_pointer = wr;
}

/* Xen's canonicalisation in HVM_IOREQSRV_BUFIOREQ_ATOMIC mode. */
static void canonicalise(void)
{
	uint64_t *pair = (uint64_t *)(void *)bp;
	uint64_t old = __atomic_load_n(pair, __ATOMIC_SEQ_CST);
	uint32_t rd = (uint32_t)old, wr = (uint32_t)(old >> 32);
	uint32_t k = rd / SLOTS;
	uint64_t want = ((uint64_t)(wr - k * SLOTS) << 32) | (rd - k * SLOTS);

	ck_assert(__atomic_compare_exchange_n(pair, &old, want, false, __ATOMIC_SEQ_CST,
	                                      __ATOMIC_SEQ_CST));
}

/* --- the device side --- */

struct wr {
	uint64_t addr, offset, data;
	unsigned size;
};

static struct wr log_w[1200];
static unsigned nw;
static int verdict;
static bool canon_in_handler;
static unsigned refill_left;
static ioreqd_fault_t *last_fault;

static enum ioreqd_fault_result dev_fn(ioreqd_fault_t *f, void *opaque)
{
	(void)opaque;
	ck_assert(!ioreqd_fault_is_read(f));
	if (nw < sizeof(log_w) / sizeof(log_w[0]))
		log_w[nw] = (struct wr){.addr = ioreqd_fault_addr(f),
		                        .offset = ioreqd_fault_offset(f),
		                        .data = ioreqd_fault_data(f),
		                        .size = ioreqd_fault_size(f)};
	nw++;
	last_fault = f;
	/* A producer that keeps the ring full while we drain it. */
	while (refill_left && bp->write_pointer - bp->read_pointer < SLOTS) {
		refill_left--;
		produce(IOREQ_TYPE_PIO, VGA_PIO, 1, refill_left & 0xff);
	}
	if (canon_in_handler) {
		canon_in_handler = false;
		canonicalise();
	}
	return (enum ioreqd_fault_result)verdict;
}

static void timeoffset(void *opaque, int64_t delta)
{
	(void)opaque;
	timeoffset_calls++;
	timeoffset_delta = delta;
}

static void deferred(void *opaque, ioreqd_fault_t *f, const char *name)
{
	(void)opaque;
	(void)f;
	(void)name;
	deferred_calls++;
}

static int notify_nop(void *opaque, unsigned vcpu)
{
	(void)opaque;
	(void)vcpu;
	return 0;
}

static void log_sink(int level, const char *msg, void *arg)
{
	(void)level;
	(void)msg;
	(void)arg;
	nlogs++;
}

static void setup(void)
{
	static const struct ioreqd_guest_ops ops_guest = {.notify = notify_nop};
	static const struct ioreqd_engine_ops ops = {
	    .timeoffset = timeoffset,
	    .deferred = deferred,
	};
	struct ioreqd_handler h = {.name = "vga", .fn = dev_fn};

	bp = aligned_alloc(4096, 4096);
	ck_assert_ptr_nonnull(bp);
	memset(bp, 0, 4096);
	nw = 0;
	verdict = IOREQD_FAULT_HANDLED;
	canon_in_handler = false;
	refill_left = 0;
	last_fault = NULL;
	timeoffset_calls = deferred_calls = nlogs = 0;
	timeoffset_delta = 0;
	ioreqd_log_set_sink(log_sink, NULL);
	bus = ioreqd_bus_new();
	ck_assert_ptr_nonnull(bus);
	ck_assert_int_eq(
	    ioreqd_bus_add(bus, IOREQD_SPACE_PIO, VGA_PIO, VGA_PIO + 0x1f, &r_pio, NULL),
	    0);
	ck_assert_int_eq(
	    ioreqd_bus_add(bus, IOREQD_SPACE_MMIO, VGA_MEM, 0xbffff, &r_mem, NULL), 0);
	ck_assert_int_eq(ioreqd_range_install(r_pio, &h, NULL, NULL), 0);
	ck_assert_int_eq(ioreqd_range_install(r_mem, &h, NULL, NULL), 0);
	eng = ioreqd_engine_new(bus, NULL, 1, 3, &ops_guest, NULL, &ops, NULL);
	ck_assert_ptr_nonnull(eng);
}

static void teardown(void)
{
	ioreqd_engine_free(eng);
	ioreqd_bus_free(bus);
	free(bp);
	ioreqd_log_set_sink(NULL, NULL);
}

static const struct ioreqd_engine_stats *st(void)
{
	return ioreqd_engine_stats(eng);
}

static unsigned drain(void)
{
	return ioreqd_engine_drain_buffered(eng, bp);
}

/*
 * A producer that refills the ring as fast as it is drained: each call does at
 * most one ring's worth and says there is more, the rest waits in the ring for
 * the next call, and nothing is lost or run twice.
 */
START_TEST(test_bufioreq_drain_is_bounded_while_the_producer_keeps_filling)
{
	unsigned total = 0, calls = 0, n;
	const unsigned extra = 100000;

	produce(IOREQ_TYPE_PIO, VGA_PIO, 1, 0);
	refill_left = extra;
	n = drain();
	ck_assert_uint_ge(n, 1);
	ck_assert_uint_le(n, SLOTS);
	ck_assert(ioreqd_engine_buffered_pending(eng));
	total = n;
	while (ioreqd_engine_buffered_pending(eng)) {
		n = drain();
		ck_assert_uint_le(n, SLOTS);
		total += n;
		calls++;
		ck_assert_uint_le(calls, 2 * (extra + 1));
	}
	ck_assert_uint_eq(refill_left, 0);
	ck_assert_uint_eq(total, extra + 1);
	ck_assert_uint_eq(nw, extra + 1);
	ck_assert_uint_eq(st()->buffered_slots, extra + 1);
	ck_assert_uint_eq(bp->read_pointer, bp->write_pointer);
	/* An empty ring: nothing to do and nothing pending. */
	ck_assert_uint_eq(drain(), 0);
	ck_assert(!ioreqd_engine_buffered_pending(eng));
}
END_TEST

START_TEST(test_bufioreq_single_4byte_write)
{
	produce(IOREQ_TYPE_PIO, VGA_PIO + 4, 4, 0xdeadbeef);
	ck_assert_uint_eq(drain(), 1);
	ck_assert_uint_eq(nw, 1);
	ck_assert_uint_eq(log_w[0].addr, VGA_PIO + 4);
	ck_assert_uint_eq(log_w[0].offset, 4);
	ck_assert_uint_eq(log_w[0].size, 4);
	ck_assert_uint_eq(log_w[0].data, 0xdeadbeef);
	ck_assert_uint_eq(bp->read_pointer, 1);
	ck_assert_uint_eq(bp->write_pointer, 1);
	ck_assert_uint_eq(st()->buffered, 1);
	ck_assert_uint_eq(st()->buffered_slots, 1);
	ck_assert_uint_eq(st()->rejected, 0);
	ck_assert_uint_eq(drain(), 0); /* nothing left */
	ck_assert_uint_eq(nw, 1);
}
END_TEST

START_TEST(test_bufioreq_small_writes_masked_to_size)
{
	produce(IOREQ_TYPE_PIO, VGA_PIO, 1, 0x1ff);
	produce(IOREQ_TYPE_COPY, VGA_MEM + 2, 2, 0x12345);
	ck_assert_uint_eq(drain(), 2);
	ck_assert_uint_eq(log_w[0].size, 1);
	ck_assert_uint_eq(log_w[0].data, 0xff);
	ck_assert_uint_eq(log_w[1].size, 2);
	ck_assert_uint_eq(log_w[1].data, 0x2345);
	ck_assert_uint_eq(log_w[1].addr, VGA_MEM + 2);
}
END_TEST

START_TEST(test_bufioreq_8byte_write_takes_two_slots_high_half_second)
{
	produce(IOREQ_TYPE_COPY, VGA_MEM + 8, 8, 0x1122334455667788ull);
	ck_assert_uint_eq(bp->buf_ioreq[0].data, 0x55667788u);
	ck_assert_uint_eq(bp->buf_ioreq[1].data, 0x11223344u);
	ck_assert_uint_eq(drain(), 2);
	ck_assert_uint_eq(nw, 1);
	ck_assert_uint_eq(log_w[0].size, 8);
	ck_assert_uint_eq(log_w[0].data, 0x1122334455667788ull);
	ck_assert_uint_eq(log_w[0].offset, 8);
	ck_assert_uint_eq(bp->read_pointer, 2);
	ck_assert_uint_eq(st()->buffered, 1);
	ck_assert_uint_eq(st()->buffered_slots, 2);
}
END_TEST

START_TEST(test_bufioreq_8byte_write_wraps_at_slot_510)
{
	/* First half in slot 510, second half in slot 0. */
	set_pointers(510, 510);
	produce(IOREQ_TYPE_COPY, VGA_MEM, 8, 0xa1a2a3a4b1b2b3b4ull);
	ck_assert_uint_eq(bp->write_pointer, 512);
	ck_assert_uint_eq(bp->buf_ioreq[510].data, 0xb1b2b3b4u);
	ck_assert_uint_eq(bp->buf_ioreq[0].data, 0xa1a2a3a4u);
	ck_assert_uint_eq(drain(), 2);
	ck_assert_uint_eq(bp->read_pointer, 512);
	ck_assert_uint_eq(log_w[0].data, 0xa1a2a3a4b1b2b3b4ull);
	/* The next entry lands in slot 1. */
	produce(IOREQ_TYPE_PIO, VGA_PIO, 2, 0xbeef);
	ck_assert_uint_eq(bp->buf_ioreq[1].data, 0xbeef);
	ck_assert_uint_eq(drain(), 1);
	ck_assert_uint_eq(bp->read_pointer, 513);
	ck_assert_uint_eq(log_w[1].data, 0xbeef);
	/* The same at a later lap of the ring. */
	set_pointers(SLOTS * 7 + 510, SLOTS * 7 + 510);
	produce(IOREQ_TYPE_COPY, VGA_MEM + 0x10, 8, 0x0102030405060708ull);
	ck_assert_uint_eq(drain(), 2);
	ck_assert_uint_eq(log_w[2].data, 0x0102030405060708ull);
	ck_assert_uint_eq(bp->read_pointer, SLOTS * 7 + 512);
	ck_assert_uint_eq(st()->rejected, 0);
}
END_TEST

START_TEST(test_bufioreq_half_written_quad_waits_for_second_slot)
{
	produce(IOREQ_TYPE_PIO, VGA_PIO, 1, 0x11);
	/* Only the first half of an 8-byte write is published. */
	put_slot(1, IOREQ_TYPE_COPY, false, 8, VGA_MEM, 0x55667788u);
	publish(1);
	ck_assert_uint_eq(drain(), 1); /* the single-slot entry before it */
	ck_assert_uint_eq(nw, 1);
	ck_assert_uint_eq(bp->read_pointer, 1);
	ck_assert_uint_eq(drain(), 0); /* still waiting, not an error */
	ck_assert_uint_eq(bp->read_pointer, 1);
	ck_assert_uint_eq(st()->rejected, 0);
	/* The second half arrives. */
	put_slot(2, IOREQ_TYPE_COPY, false, 8, VGA_MEM, 0x11223344u);
	publish(1);
	ck_assert_uint_eq(drain(), 2);
	ck_assert_uint_eq(nw, 2);
	ck_assert_uint_eq(log_w[1].data, 0x1122334455667788ull);
	ck_assert_uint_eq(bp->read_pointer, 3);
}
END_TEST

START_TEST(test_bufioreq_rejects_read_entry_and_skips_it)
{
	put_slot(0, IOREQ_TYPE_PIO, true, 1, VGA_PIO, 0);
	publish(1);
	produce(IOREQ_TYPE_PIO, VGA_PIO + 1, 1, 0x42);
	ck_assert_uint_eq(drain(), 2);
	ck_assert_uint_eq(nw, 1);
	ck_assert_uint_eq(log_w[0].addr, VGA_PIO + 1);
	ck_assert_uint_eq(log_w[0].data, 0x42);
	ck_assert_uint_eq(st()->rejected_by[IOREQD_REJ_BUFRING], 1);
	ck_assert_uint_eq(bp->read_pointer, 2);
	ck_assert_uint_gt(nlogs, 0);
}
END_TEST

START_TEST(test_bufioreq_rejects_unknown_type_and_skips_it)
{
	static const uint8_t bad[] = {IOREQ_TYPE_PCI_CONFIG, 3, IOREQ_TYPE_INVALIDATE,
	                              0xff};

	for (unsigned i = 0; i < sizeof(bad); i++)
		produce(bad[i], VGA_PIO, 4, 1);
	produce(0x42, VGA_MEM, 8, 1); /* a two-slot bad entry is skipped whole */
	produce(IOREQ_TYPE_COPY, VGA_MEM, 4, 0x77);
	ck_assert_uint_eq(drain(), 7);
	ck_assert_uint_eq(nw, 1);
	ck_assert_uint_eq(log_w[0].data, 0x77);
	ck_assert_uint_eq(st()->rejected_by[IOREQD_REJ_BUFRING], 5);
	ck_assert_uint_eq(st()->buffered, 1);
	ck_assert_uint_eq(st()->buffered_slots, 7);
}
END_TEST

START_TEST(test_bufioreq_rejects_8byte_port_write)
{
	produce(IOREQ_TYPE_PIO, VGA_PIO, 8, 0x1122334455667788ull);
	ck_assert_uint_eq(drain(), 2);
	ck_assert_uint_eq(nw, 0);
	ck_assert_uint_eq(st()->rejected_by[IOREQD_REJ_BUFRING], 1);
}
END_TEST

START_TEST(test_bufioreq_write_pointer_far_ahead_rejected_and_resynced)
{
	set_pointers(0, 10000);
	ck_assert_uint_eq(drain(), 0);
	ck_assert_uint_eq(nw, 0);
	ck_assert_uint_eq(st()->rejected_by[IOREQD_REJ_BUFRING], 1);
	ck_assert_uint_eq(bp->read_pointer, 10000);
	ck_assert_uint_eq(bp->write_pointer, 10000);
	/* Subsequent valid entries work. */
	produce(IOREQ_TYPE_PIO, VGA_PIO, 2, 0x1234);
	produce(IOREQ_TYPE_COPY, VGA_MEM, 8, 0xfedcba9876543210ull);
	ck_assert_uint_eq(drain(), 3);
	ck_assert_uint_eq(nw, 2);
	ck_assert_uint_eq(log_w[0].data, 0x1234);
	ck_assert_uint_eq(log_w[1].data, 0xfedcba9876543210ull);
	ck_assert_uint_eq(bp->read_pointer, 10003);
	ck_assert_uint_eq(st()->rejected, 1);
}
END_TEST

START_TEST(test_bufioreq_pointers_going_backwards_rejected)
{
	set_pointers(100, 50);
	ck_assert_uint_eq(drain(), 0);
	ck_assert_uint_eq(nw, 0);
	ck_assert_uint_eq(st()->rejected_by[IOREQD_REJ_BUFRING], 1);
	ck_assert_uint_eq(bp->read_pointer, bp->write_pointer);
	ck_assert_uint_eq(drain(), 0); /* resynced: no second complaint */
	ck_assert_uint_eq(st()->rejected, 1);
	produce(IOREQ_TYPE_PIO, VGA_PIO, 1, 0x5);
	ck_assert_uint_eq(drain(), 1);
	ck_assert_uint_eq(nw, 1);
	ck_assert_uint_eq(log_w[0].data, 0x5);
}
END_TEST

START_TEST(test_bufioreq_read_pointer_advanced_by_slots_consumed)
{
	set_pointers(40, 40);
	produce(IOREQ_TYPE_PIO, VGA_PIO, 4, 1);
	produce(IOREQ_TYPE_COPY, VGA_MEM, 8, 2);
	produce(IOREQ_TYPE_PIO, VGA_PIO, 1, 3);
	ck_assert_uint_eq(bp->write_pointer, 44);
	ck_assert_uint_eq(drain(), 4);
	ck_assert_uint_eq(bp->read_pointer, 44);
	ck_assert_uint_eq(bp->write_pointer, 44); /* ours to read, never to write */
	ck_assert_uint_eq(nw, 3);
}
END_TEST

START_TEST(test_bufioreq_read_pointer_add_survives_canonicalisation_mid_drain)
{
	/*
	 * Xen canonicalises the pair while a handler runs.  A plain store of
	 * "old read_pointer + n" would undo that; an atomic add composes.
	 */
	set_pointers(SLOTS * 2 + 5, SLOTS * 2 + 5);
	produce(IOREQ_TYPE_PIO, VGA_PIO, 4, 0xaaaa);
	produce(IOREQ_TYPE_PIO, VGA_PIO, 4, 0xbbbb);
	canon_in_handler = true;
	ck_assert_uint_eq(drain(), 2);
	ck_assert_uint_eq(bp->read_pointer, 7);
	ck_assert_uint_eq(bp->write_pointer, 7);
	ck_assert_uint_eq(nw, 2);
	ck_assert_uint_eq(log_w[0].data, 0xaaaa);
	ck_assert_uint_eq(log_w[1].data, 0xbbbb);
	ck_assert_uint_eq(st()->rejected, 0);
}
END_TEST

START_TEST(test_bufioreq_canonicalised_pointers_keep_working)
{
	uint64_t want[1200];
	unsigned produced = 0;
	uint32_t seed = 12345;

	set_pointers(SLOTS * 3 + 17, SLOTS * 3 + 17);
	for (unsigned round = 0; round < 40; round++) {
		unsigned batch = 5 + round % 23;

		for (unsigned i = 0; i < batch && produced < 1200; i++) {
			uint64_t v;
			bool quad;

			seed = seed * 1103515245u + 12345u;
			quad = seed & 0x10000;
			v = quad ? ((uint64_t)seed << 32) | (seed ^ 0x5a5a5a5au) : seed;
			produce(IOREQ_TYPE_COPY, VGA_MEM + 8 * (produced % 64),
			        quad ? 8 : 4, v);
			want[produced++] = v;
		}
		ck_assert_uint_gt(drain(), 0);
		ck_assert_uint_eq(bp->read_pointer, bp->write_pointer);
		canonicalise(); /* Xen does this on its next send */
		ck_assert_uint_lt(bp->read_pointer, SLOTS);
	}
	ck_assert_uint_eq(nw, produced);
	for (unsigned i = 0; i < produced; i++)
		ck_assert_uint_eq(log_w[i].data, want[i]);
	ck_assert_uint_eq(st()->rejected, 0);
}
END_TEST

START_TEST(test_bufioreq_full_ring_drained_in_order)
{
	for (unsigned i = 0; i < SLOTS; i++)
		produce(IOREQ_TYPE_COPY, VGA_MEM + 4 * i, 4, 1000 + i);
	ck_assert_uint_eq(bp->write_pointer - bp->read_pointer, SLOTS);
	ck_assert_uint_eq(drain(), SLOTS);
	ck_assert_uint_eq(nw, SLOTS);
	for (unsigned i = 0; i < SLOTS; i++) {
		ck_assert_uint_eq(log_w[i].data, 1000 + i);
		ck_assert_uint_eq(log_w[i].offset, 4 * i);
	}
	ck_assert_uint_eq(st()->rejected, 0);
}
END_TEST

START_TEST(test_bufioreq_timeoffset_entry_reaches_timeoffset_op)
{
	/* Xen's send_timeoffset_req: type 7, 8 bytes, two slots, address 0. */
	produce(IOREQ_TYPE_TIMEOFFSET, 0, 8, (uint64_t)-7200);
	ck_assert_uint_eq(drain(), 2);
	ck_assert_uint_eq(timeoffset_calls, 1);
	ck_assert_int_eq(timeoffset_delta, -7200);
	ck_assert_uint_eq(st()->timeoffset, 1);
	ck_assert_uint_eq(st()->rejected, 0);
	ck_assert_uint_eq(nw, 0);
}
END_TEST

START_TEST(test_bufioreq_unhandled_and_failed_writes_counted)
{
	produce(IOREQ_TYPE_COPY, 0xc0000, 4, 1); /* nothing mapped */
	ck_assert_uint_eq(drain(), 1);
	ck_assert_uint_eq(st()->unhandled, 1);
	verdict = IOREQD_FAULT_ERROR;
	produce(IOREQ_TYPE_COPY, VGA_MEM, 4, 1);
	ck_assert_uint_eq(drain(), 1);
	ck_assert_uint_eq(st()->handler_errors, 1);
	ck_assert_uint_eq(ioreqd_range_counters(r_mem)->errors, 1);
	ck_assert_uint_eq(ioreqd_range_counters(r_mem)->writes, 1);
	verdict = 99; /* an unknown verdict is an error too */
	produce(IOREQ_TYPE_PIO, VGA_PIO, 1, 1);
	ck_assert_uint_eq(drain(), 1);
	ck_assert_uint_eq(st()->handler_errors, 2);
	ck_assert_uint_eq(st()->accesses, 3);
}
END_TEST

START_TEST(test_bufioreq_deferring_handler_is_treated_as_done)
{
	verdict = IOREQD_FAULT_DEFER;
	produce(IOREQ_TYPE_PIO, VGA_PIO, 1, 1);
	ck_assert_uint_eq(drain(), 1);
	ck_assert_ptr_nonnull(last_fault);
	ck_assert_uint_eq(ioreqd_engine_pending(eng), 0);
	ck_assert_uint_eq(deferred_calls, 0);
	ck_assert_int_eq(ioreqd_fault_advance(last_fault), -EALREADY);
	ck_assert_ptr_null(ioreqd_engine_resume(eng, ioreqd_fault_ticket(last_fault)));
	ck_assert_int_eq(ioreqd_engine_abort(eng, last_fault), -EALREADY);
	ck_assert_uint_eq(ioreqd_range_counters(r_pio)->defers, 1);
	/* The ring moves on. */
	verdict = IOREQD_FAULT_HANDLED;
	produce(IOREQ_TYPE_PIO, VGA_PIO, 1, 2);
	ck_assert_uint_eq(drain(), 1);
	ck_assert_uint_eq(nw, 2);
}
END_TEST

START_TEST(test_bufioreq_null_page_drains_nothing)
{
	ck_assert_uint_eq(ioreqd_engine_drain_buffered(eng, NULL), 0);
	ck_assert_uint_eq(st()->buffered_slots, 0);
}
END_TEST

static Suite *bufioreq_suite(void)
{
	Suite *s = suite_create("bufioreq");
	TCase *tc = tcase_create("ring");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_bufioreq_single_4byte_write);
	tcase_add_test(tc, test_bufioreq_small_writes_masked_to_size);
	tcase_add_test(tc, test_bufioreq_8byte_write_takes_two_slots_high_half_second);
	tcase_add_test(tc, test_bufioreq_8byte_write_wraps_at_slot_510);
	tcase_add_test(tc, test_bufioreq_half_written_quad_waits_for_second_slot);
	tcase_add_test(tc, test_bufioreq_rejects_read_entry_and_skips_it);
	tcase_add_test(tc, test_bufioreq_rejects_unknown_type_and_skips_it);
	tcase_add_test(tc, test_bufioreq_rejects_8byte_port_write);
	tcase_add_test(tc, test_bufioreq_write_pointer_far_ahead_rejected_and_resynced);
	tcase_add_test(tc, test_bufioreq_pointers_going_backwards_rejected);
	tcase_add_test(tc, test_bufioreq_read_pointer_advanced_by_slots_consumed);
	tcase_add_test(
	    tc, test_bufioreq_read_pointer_add_survives_canonicalisation_mid_drain);
	tcase_add_test(tc, test_bufioreq_canonicalised_pointers_keep_working);
	tcase_add_test(tc, test_bufioreq_full_ring_drained_in_order);
	tcase_add_test(tc, test_bufioreq_timeoffset_entry_reaches_timeoffset_op);
	tcase_add_test(tc, test_bufioreq_unhandled_and_failed_writes_counted);
	tcase_add_test(tc, test_bufioreq_deferring_handler_is_treated_as_done);
	tcase_add_test(tc, test_bufioreq_null_page_drains_nothing);
	tcase_add_test(tc,
	               test_bufioreq_drain_is_bounded_while_the_producer_keeps_filling);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(bufioreq_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
