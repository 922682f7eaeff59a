/* SPDX-License-Identifier: MIT */
/*
 * Check suite for the synchronous ioreq engine (lib/ioreq.c) over a real
 * shared_iopage_t: the slot state machine, validation of every guest-controlled
 * field (each rejection completes the request and is counted by reason), rep
 * and string I/O through a bounded fake guest memory in both directions,
 * unhandled and failed accesses, TIMEOFFSET and INVALIDATE, and the
 * counters.  Deferred completion has its own suite, check_ioreq_defer.c.
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "engine-fixture.h"
#include "engine.h"
#include "log.h"

#define PCI_SBDF IOREQD_PCI_SBDF(0, 0, 3, 0)

static struct ioreqd_range *r_pci;
static struct dev dev_pci;

static void setup(void)
{
	fixture_setup();
	r_pci = add_dev(IOREQD_SPACE_PCI, IOREQD_PCI_ADDR(PCI_SBDF, 0),
	                IOREQD_PCI_ADDR(PCI_SBDF, 0xfff), &dev_pci, "pcidev");
	fixture_start_engine();
}

/* Run a read that must be refused for @p why; checks it completed all-ones. */
static void expect_rejected_read(ioreq_t r, enum ioreqd_reject why, uint64_t ones)
{
	uint64_t before = st()->rejected_by[why];
	unsigned n = notify_calls;

	ck_assert_int_eq(run(0, r), 1);
	ck_assert_uint_eq(slot(0)->state, STATE_IORESP_READY);
	ck_assert_uint_eq(slot(0)->data, ones);
	ck_assert_uint_eq(st()->rejected_by[why], before + 1);
	ck_assert_uint_eq(notify_calls, n + 1);
}

START_TEST(test_engine_read_completes_with_data_and_notifies_once)
{
	ioreq_t r = rq(IOREQ_TYPE_COPY, MMIO_BASE + 0x10, 4, 1, true, 0);
	ioreq_t after;

	memcpy(dev_mmio.mem + 0x10, "\x11\x22\x33\x44", 4);
	r.vp_eport = 33;
	ck_assert_int_eq(run(2, r), 1);
	after = *slot(2);
	ck_assert_uint_eq(slot(2)->state, STATE_IORESP_READY);
	ck_assert_uint_eq(slot(2)->data, 0x44332211);
	ck_assert_uint_eq(notify_calls, 1);
	ck_assert_uint_eq(notify_last, 2);
	/* Only data and state were written back. */
	ck_assert_uint_eq(after.addr, MMIO_BASE + 0x10);
	ck_assert_uint_eq(after.count, 1);
	ck_assert_uint_eq(after.size, 4);
	ck_assert_uint_eq(after.vp_eport, 33);
	ck_assert_uint_eq(after.dir, IOREQ_READ);
	ck_assert_uint_eq(after.type, IOREQ_TYPE_COPY);
	for (unsigned v = 0; v < NR_VCPUS; v++)
		if (v != 2)
			ck_assert_uint_eq(slot(v)->state, STATE_IOREQ_NONE);
	ck_assert_uint_eq(st()->requests, 1);
	ck_assert_uint_eq(st()->accesses, 1);
	ck_assert_uint_eq(st()->completed, 1);
	ck_assert_uint_eq(st()->rejected, 0);
	/* A second notification for the finished slot is spurious. */
	ck_assert_int_eq(ioreqd_engine_handle(eng, 2), 0);
	ck_assert_uint_eq(notify_calls, 1);
	ck_assert_uint_eq(st()->spurious, 1);
}
END_TEST

START_TEST(test_engine_write_delivers_data_masked_to_size)
{
	ck_assert_int_eq(
	    run(0, rq(IOREQ_TYPE_PIO, PIO_BASE + 1, 1, 1, false, 0x1234abcd)), 1);
	ck_assert_uint_eq(dev_pio.calls, 1);
	ck_assert_uint_eq(dev_pio.log[0].addr, PIO_BASE + 1);
	ck_assert_uint_eq(dev_pio.log[0].offset, 1);
	ck_assert_uint_eq(dev_pio.log[0].data, 0xcd);
	ck_assert(!dev_pio.log[0].read);
	ck_assert_uint_eq(slot(0)->state, STATE_IORESP_READY);
	ck_assert_uint_eq(slot(0)->data, 0x1234abcd); /* a write's data is left alone */
	ck_assert_uint_eq(notify_calls, 1);
}
END_TEST

/*
 * Xen 4.17 on Arm neither masks a write's data to its size nor a read's
 * answer: 1-, 2- and 4-byte MMIO writes with garbage above their size reach
 * the device masked, and reads come back zero-extended over a slot whose
 * data was all-ones.
 */
START_TEST(test_engine_unmasked_mmio_data_is_masked_to_each_size)
{
	static const unsigned sizes[] = {1, 2, 4};
	static const uint64_t masks[] = {0xff, 0xffff, 0xffffffff};

	memcpy(dev_mmio.mem + 0x20, "\x81\x82\x83\x84\x85\x86\x87\x88", 8);
	for (unsigned i = 0; i < 3; i++) {
		unsigned calls = dev_mmio.calls;

		ck_assert_int_eq(run(1, rq(IOREQ_TYPE_COPY, MMIO_BASE + 0x40, sizes[i], 1,
		                           false, 0xa5a5a5a5deadbeefull)),
		                 1);
		ck_assert_uint_eq(dev_mmio.calls, calls + 1);
		ck_assert_uint_eq(dev_mmio.log[calls].data,
		                  0xa5a5a5a5deadbeefull & masks[i]);
		ck_assert_int_eq(run(1, rq(IOREQ_TYPE_COPY, MMIO_BASE + 0x20, sizes[i], 1,
		                           true, ~0ull)),
		                 1);
		ck_assert_uint_eq(slot(1)->data, 0x8887868584838281ull & masks[i]);
	}
}
END_TEST

START_TEST(test_engine_non_ready_slot_is_spurious_and_untouched)
{
	static const unsigned states[] = {STATE_IOREQ_NONE, STATE_IOREQ_INPROCESS,
	                                  STATE_IORESP_READY};

	/* The notification every port gets when it is bound (not counted). */
	ck_assert_int_eq(ioreqd_engine_handle(eng, 1), 0);
	ck_assert_uint_eq(st()->spurious, 0);
	for (unsigned i = 0; i < 3; i++) {
		ioreq_t snap;

		*slot(1) = rq(IOREQ_TYPE_PIO, PIO_BASE, 1, 1, true, 0x5a5a);
		slot(1)->state = states[i];
		snap = *slot(1);
		ck_assert_int_eq(ioreqd_engine_handle(eng, 1), 0);
		ck_assert_mem_eq(slot(1), &snap, sizeof(snap));
	}
	ck_assert_uint_eq(st()->spurious, 3);
	ck_assert_uint_eq(st()->requests, 0);
	ck_assert_uint_eq(dev_pio.calls, 0);
	ck_assert_uint_eq(notify_calls, 0);
}
END_TEST

/*
 * Xen sets each port pending when it is bound (evtchn_bind_interdomain), so
 * every vCPU sees one empty notification before the guest runs: not spurious.
 * One coalesced with the first request leaves nothing extra to skip.
 */
START_TEST(test_engine_bind_notification_before_first_request_is_not_spurious)
{
	for (unsigned v = 0; v < NR_VCPUS; v++)
		ck_assert_int_eq(ioreqd_engine_handle(eng, v), 0);
	ck_assert_uint_eq(st()->spurious, 0);
	/* The next empty notification on the same vCPU is spurious. */
	ck_assert_int_eq(ioreqd_engine_handle(eng, 0), 0);
	ck_assert_uint_eq(st()->spurious, 1);
	/* A vCPU whose first notification carried a request skips nothing. */
	ck_assert_int_eq(run(2, rq(IOREQ_TYPE_PIO, PIO_BASE, 1, 1, true, 0)), 1);
	ck_assert_int_eq(ioreqd_engine_handle(eng, 2), 0);
	ck_assert_uint_eq(st()->spurious, 2);
}
END_TEST

/*
 * The daemon's own looks at the slots (on resume, in the shutdown sweeps) are
 * not notifications: an empty slot is not spurious, a READY one is served.
 */
START_TEST(test_engine_poll_of_an_empty_slot_is_not_spurious)
{
	ck_assert_int_eq(run(1, rq(IOREQ_TYPE_PIO, PIO_BASE, 1, 1, true, 0)), 1);
	for (unsigned i = 0; i < 3; i++)
		for (unsigned v = 0; v < NR_VCPUS; v++)
			ck_assert_int_eq(ioreqd_engine_poll(eng, v), 0);
	ck_assert_uint_eq(st()->spurious, 0);
	post(2, rq(IOREQ_TYPE_PIO, PIO_BASE, 1, 1, true, 0));
	ck_assert_int_eq(ioreqd_engine_poll(eng, 2), 1);
	ck_assert_uint_eq(slot(2)->state, STATE_IORESP_READY);
	ck_assert_uint_eq(st()->requests, 2);
	ck_assert_uint_eq(st()->spurious, 0);
}
END_TEST

/*
 * A request the daemon's poll took before its notification came: that
 * notification, arriving late to an empty slot, is expected once; another
 * one after it is spurious again.
 */
START_TEST(test_engine_late_notification_of_a_polled_request_is_not_spurious)
{
	ck_assert_int_eq(run(1, rq(IOREQ_TYPE_PIO, PIO_BASE, 1, 1, true, 0)), 1);
	post(1, rq(IOREQ_TYPE_PIO, PIO_BASE, 1, 1, true, 0));
	ck_assert_int_eq(ioreqd_engine_poll(eng, 1), 1);
	ck_assert_int_eq(ioreqd_engine_handle(eng, 1), 0);
	ck_assert_uint_eq(st()->spurious, 0);
	ck_assert_int_eq(ioreqd_engine_handle(eng, 1), 0);
	ck_assert_uint_eq(st()->spurious, 1);
	ck_assert_uint_eq(st()->requests, 2);
}
END_TEST

START_TEST(test_engine_unknown_slot_state_rejected_and_untouched)
{
	for (unsigned s = 4; s <= 15; s++) {
		ioreq_t snap;

		*slot(3) = rq(IOREQ_TYPE_PIO, PIO_BASE, 1, 1, true, 0x5a5a);
		slot(3)->state = s;
		snap = *slot(3);
		ck_assert_int_eq(ioreqd_engine_handle(eng, 3), 0);
		ck_assert_mem_eq(slot(3), &snap, sizeof(snap));
	}
	ck_assert_uint_eq(st()->rejected_by[IOREQD_REJ_STATE], 12);
	ck_assert_uint_eq(st()->rejected, 12);
	ck_assert_uint_eq(st()->spurious, 0);
	ck_assert_uint_eq(dev_pio.calls, 0);
	ck_assert_uint_eq(notify_calls, 0);
}
END_TEST

START_TEST(test_engine_rejects_bad_sizes_with_all_ones)
{
	static const uint32_t bad[] = {0, 3, 5, 16, 0xffffffffu};

	for (unsigned i = 0; i < 5; i++)
		expect_rejected_read(
		    rq(IOREQ_TYPE_COPY, MMIO_BASE, bad[i], 1, true, 0x1234),
		    IOREQD_REJ_SIZE, ~0ull);
	ck_assert_uint_eq(st()->completed, 5);
	ck_assert_uint_eq(dev_mmio.calls, 0);
	/* 8 bytes is fine for MMIO. */
	ck_assert_int_eq(run(0, rq(IOREQ_TYPE_COPY, MMIO_BASE, 8, 1, true, 0)), 1);
	ck_assert_uint_eq(dev_mmio.calls, 1);
}
END_TEST

START_TEST(test_engine_rejects_size_8_for_pio_and_pci)
{
	expect_rejected_read(rq(IOREQ_TYPE_PIO, PIO_BASE, 8, 1, true, 0), IOREQD_REJ_SIZE,
	                     ~0ull);
	expect_rejected_read(
	    rq(IOREQ_TYPE_PCI_CONFIG, IOREQD_PCI_ADDR(PCI_SBDF, 0), 8, 1, true, 0),
	    IOREQD_REJ_SIZE, ~0ull);
	ck_assert_uint_eq(dev_pio.calls + dev_pci.calls, 0);
}
END_TEST

START_TEST(test_engine_rejects_bad_counts)
{
	static const uint32_t bad[] = {0, IOREQD_MAX_COUNT + 1, 0xffffffffu};

	for (unsigned i = 0; i < 3; i++) {
		expect_rejected_read(rq(IOREQ_TYPE_PIO, PIO_BASE, 1, bad[i], true, 0),
		                     IOREQD_REJ_COUNT, 0xff);
		expect_rejected_read(rq(IOREQ_TYPE_COPY, MMIO_BASE, 4, bad[i], true, 0),
		                     IOREQD_REJ_COUNT, 0xffffffff);
	}
	ck_assert_uint_eq(dev_pio.calls + dev_mmio.calls, 0);
	ck_assert_uint_eq(st()->accesses, 0);
}
END_TEST

START_TEST(test_engine_accepts_max_count)
{
	ck_assert_int_eq(
	    run(0, rq(IOREQ_TYPE_COPY, MMIO_BASE, 1, IOREQD_MAX_COUNT, false, 0x5)), 1);
	ck_assert_uint_eq(dev_mmio.calls, IOREQD_MAX_COUNT);
	ck_assert_uint_eq(dev_mmio.mem[0xfff], 0x5);
	ck_assert_uint_eq(st()->accesses, IOREQD_MAX_COUNT);
	ck_assert_uint_eq(st()->rejected, 0);
	ck_assert_uint_eq(notify_calls, 1);
}
END_TEST

START_TEST(test_engine_rejects_rep_span_overflow_and_underflow)
{
	ioreq_t r;

	/* df=0: the last element wraps past 2^64. */
	expect_rejected_read(rq(IOREQ_TYPE_COPY, UINT64_MAX - 8, 4, 4, true, 0),
	                     IOREQD_REJ_RANGE, 0xffffffff);
	/* A single element whose top byte wraps. */
	expect_rejected_read(rq(IOREQ_TYPE_COPY, UINT64_MAX - 1, 4, 1, true, 0),
	                     IOREQD_REJ_RANGE, 0xffffffff);
	/* df=1: the last element would be below address 0. */
	r = rq(IOREQ_TYPE_COPY, 8, 4, 4, true, 0);
	r.df = 1;
	expect_rejected_read(r, IOREQD_REJ_RANGE, 0xffffffff);
	ck_assert_uint_eq(st()->rejected, 3);
	/* The limits themselves are fine (nothing is mapped there: unhandled). */
	r = rq(IOREQ_TYPE_COPY, 12, 4, 4, false, 0);
	r.df = 1;
	ck_assert_int_eq(run(0, r), 1);
	ck_assert_int_eq(run(0, rq(IOREQ_TYPE_COPY, UINT64_MAX - 15, 4, 4, false, 0)), 1);
	ck_assert_uint_eq(st()->rejected, 3);
	ck_assert_uint_eq(st()->unhandled, 8);
}
END_TEST

START_TEST(test_engine_rejects_unknown_type)
{
	static const uint8_t bad[] = {3, 4, 5, 6, 9, 0xff};

	for (unsigned i = 0; i < sizeof(bad); i++)
		expect_rejected_read(rq(bad[i], PIO_BASE, 4, 1, true, 0), IOREQD_REJ_TYPE,
		                     0xffffffff);
	ck_assert_uint_eq(dev_pio.calls, 0);
	ck_assert_uint_eq(st()->rejected, sizeof(bad));
}
END_TEST

START_TEST(test_engine_rejects_pio_past_0xffff)
{
	expect_rejected_read(rq(IOREQ_TYPE_PIO, 0x10000, 1, 1, true, 0), IOREQD_REJ_RANGE,
	                     0xff);
	expect_rejected_read(rq(IOREQ_TYPE_PIO, 0xffff, 2, 1, true, 0), IOREQD_REJ_RANGE,
	                     0xffff);
	expect_rejected_read(rq(IOREQ_TYPE_PIO, UINT64_MAX, 4, 1, true, 0),
	                     IOREQD_REJ_RANGE, 0xffffffff);
	ck_assert_int_eq(run(0, rq(IOREQ_TYPE_PIO, 0xfffc, 4, 1, true, 0)), 1);
	ck_assert_uint_eq(st()->rejected, 3);
	ck_assert_uint_eq(st()->unhandled, 1);
}
END_TEST

START_TEST(test_engine_rejects_pci_rep_or_pointer)
{
	ioreq_t r =
	    rq(IOREQ_TYPE_PCI_CONFIG, IOREQD_PCI_ADDR(PCI_SBDF, 0), 4, 2, true, 0);

	expect_rejected_read(r, IOREQD_REJ_COUNT, 0xffffffff);
	r = rq(IOREQ_TYPE_PCI_CONFIG, IOREQD_PCI_ADDR(PCI_SBDF, 0), 4, 1, false,
	       GMEM_BASE);
	r.data_is_ptr = 1;
	ck_assert_int_eq(run(0, r), 1);
	ck_assert_uint_eq(st()->rejected_by[IOREQD_REJ_COUNT], 2);
	/* A register past the 4 KiB extended config space. */
	expect_rejected_read(
	    rq(IOREQ_TYPE_PCI_CONFIG, IOREQD_PCI_ADDR(PCI_SBDF, 0xffe), 4, 1, true, 0),
	    IOREQD_REJ_RANGE, 0xffffffff);
	ck_assert_uint_eq(dev_pci.calls, 0);
}
END_TEST

START_TEST(test_engine_pci_access_delivered_with_register_offset)
{
	memcpy(dev_pci.mem + 0x10, "\xef\xbe\xad\xde", 4);
	ck_assert_int_eq(run(1, rq(IOREQ_TYPE_PCI_CONFIG, IOREQD_PCI_ADDR(PCI_SBDF, 0x10),
	                           4, 1, true, 0)),
	                 1);
	ck_assert_uint_eq(slot(1)->data, 0xdeadbeef);
	ck_assert_uint_eq(dev_pci.log[0].offset, 0x10);
	ck_assert_uint_eq(dev_pci.log[0].addr, IOREQD_PCI_ADDR(PCI_SBDF, 0x10));
	/* Another function of the same device is not ours: all-ones. */
	ck_assert_int_eq(run(1, rq(IOREQ_TYPE_PCI_CONFIG,
	                           IOREQD_PCI_ADDR(PCI_SBDF + 1, 0x10), 2, 1, true, 0)),
	                 1);
	ck_assert_uint_eq(slot(1)->data, 0xffff);
	ck_assert_uint_eq(dev_pci.calls, 1);
}
END_TEST

/*
 * Rep string I/O through guest memory: _i encodes type (bit 0: MMIO),
 * direction (bit 1: read) and df (bit 2).  Five 2-byte elements.
 */
START_TEST(test_engine_rep_string_io_through_guest_buffer)
{
	bool mmio = _i & 1, read = _i & 2, df = _i & 4;
	const unsigned count = 5, size = 2;
	uint64_t dev_addr = mmio ? MMIO_BASE + (df ? 0x208 : 0x200) : PIO_BASE + 2;
	uint64_t buf = GMEM_BASE + (df ? 0x408 : 0x400);
	struct dev *d = mmio ? &dev_mmio : &dev_pio;
	ioreq_t r =
	    rq(mmio ? IOREQ_TYPE_COPY : IOREQ_TYPE_PIO, dev_addr, size, count, read, buf);

	r.data_is_ptr = 1;
	r.df = df;
	for (unsigned i = 0; i < count; i++) {
		uint16_t v = (uint16_t)(0xa000 + i);

		memcpy(gmem_at(df ? buf - 2 * i : buf + 2 * i, 2), &v, 2);
	}
	d->counter = read ? 0xb000 : 0;
	written_calls = 0;
	written_lo = UINT64_MAX;
	written_hi = 0;
	ck_assert_int_eq(run(1, r), 1);
	ck_assert_uint_eq(slot(1)->state, STATE_IORESP_READY);
	ck_assert_uint_eq(slot(1)->data, buf); /* the pointer is not overwritten */
	/* Every element a read stored is reported for the dirty log; writes none. */
	ck_assert_uint_eq(written_calls, read ? count : 0);
	if (read) {
		ck_assert_uint_eq(written_lo, df ? buf - 2 * (count - 1) : buf);
		ck_assert_uint_eq(written_hi, (df ? buf : buf + 2 * (count - 1)) + 2);
	}
	ck_assert_uint_eq(d->calls, count);
	ck_assert_uint_eq(notify_calls, 1);
	for (unsigned i = 0; i < count; i++) {
		/* MMIO steps by size in the df direction; a port stays put. */
		uint64_t want_addr =
		    mmio ? (df ? dev_addr - 2 * i : dev_addr + 2 * i) : dev_addr;
		uint16_t mem;

		ck_assert_uint_eq(d->log[i].addr, want_addr);
		ck_assert_uint_eq(d->log[i].size, size);
		ck_assert(d->log[i].read == read);
		memcpy(&mem, gmem_at(df ? buf - 2 * i : buf + 2 * i, 2), 2);
		if (read)
			ck_assert_uint_eq(mem, 0xb000 + i);
		else
			ck_assert_uint_eq(d->log[i].data, 0xa000 + i);
	}
	/* Nothing outside the buffer was touched. */
	ck_assert_uint_eq(*gmem_at(df ? buf - 2 * count : buf - 2, 2), 0);
	ck_assert_uint_eq(*gmem_at(df ? buf + 2 : buf + 2 * count, 2), 0);
	ck_assert_uint_eq(st()->accesses, count);
	ck_assert_uint_eq(st()->rejected, 0);
}
END_TEST

START_TEST(test_engine_data_ptr_outside_guest_memory_completes)
{
	ioreq_t r;

	/* A write whose buffer is not guest memory: nothing delivered. */
	r = rq(IOREQ_TYPE_COPY, MMIO_BASE, 4, 2, false, 0x5000);
	r.data_is_ptr = 1;
	ck_assert_int_eq(run(0, r), 1);
	ck_assert_uint_eq(slot(0)->state, STATE_IORESP_READY);
	ck_assert_uint_eq(st()->rejected_by[IOREQD_REJ_PTR], 1);
	ck_assert_uint_eq(dev_mmio.calls, 0);
	/* A read: the device runs once, then the store to the guest fails. */
	r = rq(IOREQ_TYPE_PIO, PIO_BASE, 1, 3, true, GMEM_BASE + GMEM_SIZE);
	r.data_is_ptr = 1;
	ck_assert_int_eq(run(0, r), 1);
	ck_assert_uint_eq(slot(0)->state, STATE_IORESP_READY);
	ck_assert_uint_eq(st()->rejected_by[IOREQD_REJ_PTR], 2);
	ck_assert_uint_eq(dev_pio.calls, 1);
	/* A buffer that runs off the end: the elements inside are delivered. */
	r = rq(IOREQ_TYPE_COPY, MMIO_BASE, 2, 4, false, GMEM_BASE + GMEM_SIZE - 4);
	r.data_is_ptr = 1;
	ck_assert_int_eq(run(0, r), 1);
	ck_assert_uint_eq(dev_mmio.calls, 2);
	ck_assert_uint_eq(st()->rejected_by[IOREQD_REJ_PTR], 3);
	/* A buffer that wraps the address space is refused up front. */
	r = rq(IOREQ_TYPE_COPY, MMIO_BASE, 4, 2, false, UINT64_MAX - 2);
	r.data_is_ptr = 1;
	ck_assert_int_eq(run(0, r), 1);
	r.df = 1;
	r.data = 2;
	ck_assert_int_eq(run(0, r), 1);
	ck_assert_uint_eq(st()->rejected_by[IOREQD_REJ_PTR], 5);
	ck_assert_uint_eq(dev_mmio.calls, 2);
	ck_assert_uint_eq(notify_calls, 5);
	ck_assert_uint_eq(st()->completed, 5);
}
END_TEST

START_TEST(test_engine_data_ptr_without_guest_memory_ops_completes)
{
	static const struct ioreqd_guest_ops ops_guest = {.notify = notify};
	struct ioreqd_engine *e2 =
	    ioreqd_engine_new(bus, page, NR_VCPUS, DOMID, &ops_guest, NULL, NULL, NULL);
	ioreq_t r = rq(IOREQ_TYPE_COPY, MMIO_BASE, 4, 2, false, GMEM_BASE);

	ck_assert_ptr_nonnull(e2);
	r.data_is_ptr = 1;
	post(0, r);
	ck_assert_int_eq(ioreqd_engine_handle(e2, 0), 1);
	ck_assert_uint_eq(slot(0)->state, STATE_IORESP_READY);
	ck_assert_uint_eq(ioreqd_engine_stats(e2)->rejected_by[IOREQD_REJ_PTR], 1);
	ck_assert_uint_eq(dev_mmio.calls, 0);
	ioreqd_engine_free(e2);
}
END_TEST

START_TEST(test_engine_rep_read_without_pointer_keeps_last_value)
{
	dev_mmio.counter = 0xc000;
	ck_assert_int_eq(run(0, rq(IOREQ_TYPE_COPY, MMIO_BASE + 0x40, 4, 3, true, 0)), 1);
	ck_assert_uint_eq(slot(0)->data, 0xc002);
	ck_assert_uint_eq(dev_mmio.calls, 3);
	ck_assert_uint_eq(dev_mmio.log[2].addr, MMIO_BASE + 0x48);
	/* A rep write without a pointer repeats the same value. */
	ck_assert_int_eq(run(0, rq(IOREQ_TYPE_PIO, PIO_BASE, 1, 3, false, 0x41)), 1);
	ck_assert_uint_eq(dev_pio.calls, 3);
	for (unsigned i = 0; i < 3; i++) {
		ck_assert_uint_eq(dev_pio.log[i].addr, PIO_BASE);
		ck_assert_uint_eq(dev_pio.log[i].data, 0x41);
	}
}
END_TEST

START_TEST(test_engine_unhandled_read_returns_all_ones_for_each_size)
{
	static const unsigned sizes[] = {1, 2, 4};
	static const uint64_t ones[] = {0xff, 0xffff, 0xffffffff};

	for (unsigned i = 0; i < 3; i++) {
		ck_assert_int_eq(
		    run(0, rq(IOREQ_TYPE_PIO, 0x80, sizes[i], 1, true, 0x5555)), 1);
		ck_assert_uint_eq(slot(0)->data, ones[i]);
	}
	ck_assert_int_eq(run(0, rq(IOREQ_TYPE_COPY, 0x1000, 8, 1, true, 0x5555)), 1);
	ck_assert_uint_eq(slot(0)->data, ~0ull);
	ck_assert_uint_eq(st()->unhandled, 4);
	ck_assert_ptr_nonnull(strstr(last_log, "unhandled read"));
	/* A mapped range whose every handler passes is unhandled too. */
	dev_mmio.verdict = IOREQD_FAULT_PASS;
	ck_assert_int_eq(run(0, rq(IOREQ_TYPE_COPY, MMIO_BASE, 2, 1, true, 0)), 1);
	ck_assert_uint_eq(slot(0)->data, 0xffff);
	ck_assert_uint_eq(st()->unhandled, 5);
	ck_assert_uint_eq(ioreqd_range_counters(r_mmio)->passes, 1);
	ck_assert_uint_eq(st()->completed, 5);
}
END_TEST

START_TEST(test_engine_unhandled_write_dropped_and_counted)
{
	ck_assert_int_eq(run(2, rq(IOREQ_TYPE_PIO, 0x80, 1, 1, false, 0x12)), 1);
	ck_assert_uint_eq(slot(2)->state, STATE_IORESP_READY);
	ck_assert_uint_eq(st()->unhandled, 1);
	ck_assert_uint_eq(notify_calls, 1);
	ck_assert_ptr_nonnull(strstr(last_log, "write dropped"));
}
END_TEST

START_TEST(test_engine_straddling_access_not_delivered)
{
	ck_assert_int_eq(run(0, rq(IOREQ_TYPE_COPY, MMIO_BASE + 0xffe, 4, 1, true, 0)),
	                 1);
	ck_assert_uint_eq(slot(0)->data, 0xffffffff);
	ck_assert_uint_eq(dev_mmio.calls, 0);
	ck_assert_uint_eq(st()->unhandled, 1);
}
END_TEST

START_TEST(test_engine_handler_error_reads_all_ones)
{
	dev_mmio.verdict = IOREQD_FAULT_ERROR;
	ck_assert_int_eq(run(0, rq(IOREQ_TYPE_COPY, MMIO_BASE, 4, 1, true, 0)), 1);
	ck_assert_uint_eq(slot(0)->data, 0xffffffff); /* not the 0x77 it set */
	ck_assert_uint_eq(st()->handler_errors, 1);
	ck_assert_uint_eq(st()->unhandled, 0);
	ck_assert_uint_eq(ioreqd_range_counters(r_mmio)->errors, 1);
	ck_assert_ptr_nonnull(strstr(last_log, "hpet"));
	ck_assert_uint_eq(notify_calls, 1);
}
END_TEST

START_TEST(test_engine_timeoffset_passes_signed_delta)
{
	ioreq_t r = rq(IOREQ_TYPE_TIMEOFFSET, 0, 8, 1, false, (uint64_t)-3600);

	ck_assert_int_eq(run(1, r), 1);
	ck_assert_uint_eq(timeoffset_calls, 1);
	ck_assert_int_eq(timeoffset_delta, -3600);
	ck_assert_uint_eq(slot(1)->state, STATE_IORESP_READY);
	ck_assert_uint_eq(notify_calls, 1);
	ck_assert_uint_eq(st()->timeoffset, 1);
	ck_assert_uint_eq(st()->rejected, 0);
}
END_TEST

START_TEST(test_engine_invalidate_always_completes)
{
	static const struct ioreqd_guest_ops bare_guest = {.notify = notify};
	struct ioreqd_engine *e2;
	/* As Xen sends it: size 4, count 0, all-ones data. */
	ioreq_t r = rq(IOREQ_TYPE_INVALIDATE, 0, 4, 0, false, ~0ull);

	ck_assert_int_eq(run(2, r), 1);
	ck_assert_uint_eq(invalidate_calls, 1);
	ck_assert_uint_eq(slot(2)->state, STATE_IORESP_READY);
	ck_assert_uint_eq(notify_per_vcpu[2], 1);
	ck_assert_uint_eq(st()->invalidate, 1);
	ck_assert_uint_eq(st()->rejected, 0);
	/* Without an invalidate op it still completes. */
	e2 = ioreqd_engine_new(bus, page, NR_VCPUS, DOMID, &bare_guest, NULL, NULL, NULL);
	ck_assert_ptr_nonnull(e2);
	post(2, r);
	ck_assert_int_eq(ioreqd_engine_handle(e2, 2), 1);
	ck_assert_uint_eq(slot(2)->state, STATE_IORESP_READY);
	ck_assert_uint_eq(notify_per_vcpu[2], 2);
	ioreqd_engine_free(e2);
}
END_TEST

START_TEST(test_engine_vcpu_out_of_range_counted)
{
	ioreq_t r = rq(IOREQ_TYPE_PIO, PIO_BASE, 1, 1, true, 0);
	struct ioreqd_engine *e2;

	r.state = STATE_IOREQ_READY;
	ck_assert_int_eq(ioreqd_engine_handle(eng, NR_VCPUS), -EINVAL);
	ck_assert_int_eq(ioreqd_engine_handle(eng, 100000), -EINVAL);
	ck_assert_int_eq(ioreqd_engine_inject(eng, NR_VCPUS, &r), -EINVAL);
	ck_assert_uint_eq(st()->rejected_by[IOREQD_REJ_VCPU], 3);
	ck_assert_uint_eq(r.state, STATE_IOREQ_READY);
	/* An engine without a page only serves injected requests. */
	e2 = ioreqd_engine_new(bus, NULL, 1, DOMID, &full_ops_guest, NULL, &full_ops,
	                       NULL);
	ck_assert_ptr_nonnull(e2);
	ck_assert_int_eq(ioreqd_engine_handle(e2, 0), -EINVAL);
	ck_assert_int_eq(ioreqd_engine_inject(e2, 0, &r), 1);
	ck_assert_uint_eq(r.state, STATE_IORESP_READY);
	ioreqd_engine_free(e2);
}
END_TEST

START_TEST(test_engine_new_rejects_bad_arguments)
{
	errno = 0;
	ck_assert_ptr_null(ioreqd_engine_new(bus, page, 0, DOMID, &full_ops_guest, NULL,
	                                     &full_ops, NULL));
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_ptr_null(ioreqd_engine_new(bus, page, IOREQD_MAX_VCPUS + 1, DOMID,
	                                     &full_ops_guest, NULL, &full_ops, NULL));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_null(ioreqd_engine_new(NULL, page, 1, DOMID, &full_ops_guest, NULL,
	                                     &full_ops, NULL));
	{
		struct ioreqd_engine *e2 =
		    ioreqd_engine_new(bus, page, IOREQD_MAX_VCPUS, DOMID, &full_ops_guest,
		                      NULL, &full_ops, NULL);

		ck_assert_ptr_nonnull(e2);
		ck_assert_uint_eq(ioreqd_engine_nr_vcpus(e2), IOREQD_MAX_VCPUS);
		ioreqd_engine_free(e2);
	}
	ioreqd_engine_free(NULL);
}
END_TEST

START_TEST(test_engine_counts_per_range)
{
	const struct ioreqd_counters *p = ioreqd_range_counters(r_pio);
	const struct ioreqd_counters *m = ioreqd_range_counters(r_mmio);

	run(0, rq(IOREQ_TYPE_PIO, PIO_BASE, 1, 1, true, 0));
	run(0, rq(IOREQ_TYPE_PIO, PIO_BASE + 4, 2, 1, true, 0));
	run(0, rq(IOREQ_TYPE_PIO, PIO_BASE, 1, 3, false, 0)); /* three elements */
	dev_mmio.verdict = IOREQD_FAULT_ERROR;
	run(1, rq(IOREQ_TYPE_COPY, MMIO_BASE, 4, 1, false, 0));
	run(1,
	    rq(IOREQ_TYPE_PIO, 0x80, 1, 1, true, 0)); /* unmapped: no range counts it */
	ck_assert_uint_eq(p->accesses, 5);
	ck_assert_uint_eq(p->reads, 2);
	ck_assert_uint_eq(p->writes, 3);
	ck_assert_uint_eq(p->errors, 0);
	ck_assert_uint_eq(p->passes, 0);
	ck_assert_uint_eq(m->accesses, 1);
	ck_assert_uint_eq(m->writes, 1);
	ck_assert_uint_eq(m->errors, 1);
	ck_assert_uint_eq(ioreqd_range_counters(r_pci)->accesses, 0);
	ck_assert_uint_eq(st()->accesses, 7);
	ck_assert_uint_eq(st()->requests, 5);
}
END_TEST

START_TEST(test_engine_reject_log_names_domain_vcpu_and_address)
{
	ck_assert_int_eq(run(3, rq(IOREQ_TYPE_COPY, MMIO_BASE + 0x10, 3, 1, true, 0)), 1);
	ck_assert_uint_eq(nlogs, 1);
	ck_assert_ptr_nonnull(strstr(last_log, "domain 7 vcpu3: access to 0xfed00010"));
	ck_assert_ptr_nonnull(strstr(last_log, "size"));
	ck_assert_str_eq(ioreqd_reject_name(IOREQD_REJ_PTR), "data_is_ptr");
	ck_assert_str_eq(ioreqd_reject_name(IOREQD_REJ_COUNT_), "?");
}
END_TEST

START_TEST(test_engine_guest_flood_is_rate_limited_but_counted)
{
	for (unsigned i = 0; i < 1000; i++)
		run(0, rq(IOREQ_TYPE_COPY, MMIO_BASE, 3, 1, true, 0));
	ck_assert_uint_eq(st()->rejected_by[IOREQD_REJ_SIZE], 1000);
	ck_assert_uint_eq(st()->completed, 1000);
	ck_assert_uint_lt(nlogs, 100);
	ck_assert_uint_gt(nlogs, 0);
}
END_TEST

static Suite *ioreq_suite(void)
{
	Suite *s = suite_create("ioreq");
	TCase *tv = tcase_create("validate");
	TCase *td = tcase_create("dispatch");

	tcase_add_checked_fixture(tv, setup, fixture_teardown);
	tcase_add_test(tv, test_engine_read_completes_with_data_and_notifies_once);
	tcase_add_test(tv, test_engine_write_delivers_data_masked_to_size);
	tcase_add_test(tv, test_engine_unmasked_mmio_data_is_masked_to_each_size);
	tcase_add_test(tv, test_engine_non_ready_slot_is_spurious_and_untouched);
	tcase_add_test(tv,
	               test_engine_late_notification_of_a_polled_request_is_not_spurious);
	tcase_add_test(
	    tv, test_engine_bind_notification_before_first_request_is_not_spurious);
	tcase_add_test(tv, test_engine_poll_of_an_empty_slot_is_not_spurious);
	tcase_add_test(tv, test_engine_unknown_slot_state_rejected_and_untouched);
	tcase_add_test(tv, test_engine_rejects_bad_sizes_with_all_ones);
	tcase_add_test(tv, test_engine_rejects_size_8_for_pio_and_pci);
	tcase_add_test(tv, test_engine_rejects_bad_counts);
	tcase_add_test(tv, test_engine_accepts_max_count);
	tcase_add_test(tv, test_engine_rejects_rep_span_overflow_and_underflow);
	tcase_add_test(tv, test_engine_rejects_unknown_type);
	tcase_add_test(tv, test_engine_rejects_pio_past_0xffff);
	tcase_add_test(tv, test_engine_rejects_pci_rep_or_pointer);
	tcase_add_test(tv, test_engine_vcpu_out_of_range_counted);
	tcase_add_test(tv, test_engine_new_rejects_bad_arguments);
	tcase_add_test(tv, test_engine_reject_log_names_domain_vcpu_and_address);
	tcase_add_test(tv, test_engine_guest_flood_is_rate_limited_but_counted);
	suite_add_tcase(s, tv);

	tcase_add_checked_fixture(td, setup, fixture_teardown);
	tcase_add_test(td, test_engine_pci_access_delivered_with_register_offset);
	tcase_add_loop_test(td, test_engine_rep_string_io_through_guest_buffer, 0, 8);
	tcase_add_test(td, test_engine_data_ptr_outside_guest_memory_completes);
	tcase_add_test(td, test_engine_data_ptr_without_guest_memory_ops_completes);
	tcase_add_test(td, test_engine_rep_read_without_pointer_keeps_last_value);
	tcase_add_test(td, test_engine_unhandled_read_returns_all_ones_for_each_size);
	tcase_add_test(td, test_engine_unhandled_write_dropped_and_counted);
	tcase_add_test(td, test_engine_straddling_access_not_delivered);
	tcase_add_test(td, test_engine_handler_error_reads_all_ones);
	tcase_add_test(td, test_engine_timeoffset_passes_signed_delta);
	tcase_add_test(td, test_engine_invalidate_always_completes);
	tcase_add_test(td, test_engine_counts_per_range);
	suite_add_tcase(s, td);

	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(ioreq_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
