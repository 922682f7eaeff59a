/* SPDX-License-Identifier: MIT */
/*
 * Tests for the simulated hypervisor (sim/) and the daemon's sim backend
 * (daemon/backend-sim.c) together, in one process: the test creates the
 * domain, opens the backend against it as the daemon would, drives the guest
 * from helper threads, and plays the device model by hand - poll the backend's
 * fds, read the slot, write data, release barrier, IORESP_READY, notify - so
 * the protocol is checked on both sides without the engine.
 */
#include "build-config.h"

#include <check.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "bus.h"
#include "log.h"
#include "pollpolicy.h"
#include "sim-harness.h"

static void setup_one(void)
{
	simh_open(1, false, 5000);
	ck_assert_int_eq(simh_map(IOREQD_SPACE_MMIO, MMIO_BASE, MMIO_LAST, true), 0);
}

static void setup_buffered(void)
{
	simh_open(1, true, 5000);
	ck_assert_int_eq(simh_map(IOREQD_SPACE_MMIO, LOW_BASE, LOW_LAST, true), 0);
	ck_assert_int_eq(simh_map(IOREQD_SPACE_MMIO, MMIO_BASE, MMIO_LAST, true), 0);
}

/* --- Layouts --------------------------------------------------------------------- */

START_TEST(test_sim_layouts_are_xens)
{
	ck_assert_uint_eq(sizeof(ioreq_t), 32);
	ck_assert_uint_eq(offsetof(ioreq_t, type), 31);
	ck_assert_uint_le(sizeof(buffered_iopage_t), 4096);
	ck_assert_uint_eq(sizeof(buf_ioreq_t), 8);
	ck_assert_uint_eq(offsetof(buffered_iopage_t, buf_ioreq), 8);
	ck_assert_uint_eq(IOREQ_BUFFER_SLOT_NUM, 511);
	ck_assert_uint_le(IOREQD_SIMHV_MAX_VCPUS * sizeof(ioreq_t), 4096);
	ck_assert_uint_eq(sizeof(struct ioreqd_sim_msg), 1048);
}
END_TEST

/* --- The synchronous slot ----------------------------------------------------------- */

START_TEST(test_sim_read_round_trip_through_the_slot)
{
	struct simh_gop g = {.kind = G_READ,
	                     .space = IOREQD_SPACE_MMIO,
	                     .addr = MMIO_BASE + 0x10,
	                     .size = 4};
	struct ioreqd_simhv_stats st;
	ioreq_t req;

	req = simh_round_trip(&g, 0x12345678);
	ck_assert_int_eq(g.rc, 0);
	ck_assert_uint_eq(g.val, 0x12345678);
	ck_assert_uint_eq(req.addr, MMIO_BASE + 0x10);
	ck_assert_uint_eq(req.size, 4);
	ck_assert_uint_eq(req.count, 1);
	ck_assert_uint_eq(req.dir, IOREQ_READ);
	ck_assert_uint_eq(req.type, IOREQ_TYPE_COPY);
	ck_assert_uint_eq(req.data_is_ptr, 0);
	ck_assert_uint_ne(req.vp_eport, 0);
	/* Xen, not the daemon, hands the slot back. */
	ck_assert_uint_eq(fx.sync->vcpu_ioreq[0].state, STATE_IOREQ_NONE);
	ioreqd_simhv_stats(fx.hv, &st);
	ck_assert_uint_eq(st.sent, 1);
	ck_assert_uint_eq(st.completed, 1);
}
END_TEST

START_TEST(test_sim_write_and_pci_carry_xen_encodings)
{
	uint32_t sbdf = IOREQD_PCI_SBDF(0, 0, 5, 0);
	struct simh_gop w = {.kind = G_WRITE,
	                     .space = IOREQD_SPACE_PIO,
	                     .addr = 0x3f8,
	                     .size = 1,
	                     .val = 0x41};
	struct simh_gop p = {.kind = G_READ,
	                     .space = IOREQD_SPACE_PCI,
	                     .addr = IOREQD_PCI_ADDR(sbdf, 0x104),
	                     .size = 2};
	ioreq_t req;

	ck_assert_int_eq(simh_map(IOREQD_SPACE_PIO, 0x3f8, 0x3ff, true), 0);
	/* Claiming part of a function claims the function, as Xen does. */
	ck_assert_int_eq(simh_map(IOREQD_SPACE_PCI, IOREQD_PCI_ADDR(sbdf, 0),
	                          IOREQD_PCI_ADDR(sbdf, 0xff), true),
	                 0);
	req = simh_round_trip(&w, 0);
	ck_assert_int_eq(w.rc, 0);
	ck_assert_uint_eq(req.type, IOREQ_TYPE_PIO);
	ck_assert_uint_eq(req.dir, IOREQ_WRITE);
	ck_assert_uint_eq(req.addr, 0x3f8);
	ck_assert_uint_eq(req.data, 0x41);

	req = simh_round_trip(&p, 0xbeef);
	ck_assert_int_eq(p.rc, 0);
	ck_assert_uint_eq(p.val, 0xbeef);
	ck_assert_uint_eq(req.type, IOREQ_TYPE_PCI_CONFIG);
	ck_assert_uint_eq(req.addr, IOREQD_PCI_ADDR(sbdf, 0x104));
}
END_TEST

START_TEST(test_sim_unclaimed_access_is_all_ones_without_the_daemon)
{
	struct ioreqd_simhv_stats st;
	struct simh_events e = {0};
	uint64_t v = 0;

	ck_assert_int_eq(simh_read0(IOREQD_SPACE_MMIO, 0xdead0000, 4, &v), 0);
	ck_assert_uint_eq(v, 0xffffffff);
	ck_assert_int_eq(simh_read0(IOREQD_SPACE_MMIO, 0xdead0000, 8, &v), 0);
	ck_assert_uint_eq(v, ~0ull);
	ck_assert_int_eq(simh_read0(IOREQD_SPACE_PIO, 0x60, 1, &v), 0);
	ck_assert_uint_eq(v, 0xff);
	ck_assert_int_eq(
	    ioreqd_simhv_write(fx.hv, 0, IOREQD_SPACE_MMIO, 0xdead0000, 4, 1), 0);
	/* An access straddling the end of a claimed range is not claimed either. */
	ck_assert_int_eq(simh_read0(IOREQD_SPACE_MMIO, MMIO_LAST - 1, 4, &v), 0);
	ck_assert_uint_eq(v, 0xffffffff);
	simh_pump(&e, 0);
	ck_assert_uint_eq(e.vcpu_events, 0);
	ioreqd_simhv_stats(fx.hv, &st);
	ck_assert_uint_eq(st.null_handled, 5);
	ck_assert_uint_eq(st.sent, 0);
}
END_TEST

START_TEST(test_sim_disabled_server_gets_nothing)
{
	uint64_t v = 0;

	ck_assert_int_eq(BE->enable(fx.be, false), 0);
	ck_assert_int_eq(simh_read0(IOREQD_SPACE_MMIO, MMIO_BASE, 4, &v), 0);
	ck_assert_uint_eq(v, 0xffffffff);
	ck_assert_int_eq(BE->enable(fx.be, true), 0);
	ck_assert_int_eq(ioreqd_simhv_wait(fx.hv, IOREQD_SIMHV_READY, 1000), 0);
}
END_TEST

START_TEST(test_sim_guest_refuses_impossible_accesses)
{
	uint64_t v = 0;

	ck_assert_int_eq(simh_read0(IOREQD_SPACE_PIO, 0x60, 8, &v), -EINVAL);
	ck_assert_int_eq(simh_read0(IOREQD_SPACE_MMIO, 0, 3, &v), -EINVAL);
	ck_assert_int_eq(simh_read0(IOREQD_SPACE_PIO, 0xffff, 2, &v), -EINVAL);
	ck_assert_int_eq(simh_read0(IOREQD_SPACE_MMIO, ~0ull, 2, &v), -EINVAL);
	ck_assert_int_eq(ioreqd_simhv_read(fx.hv, 1, IOREQD_SPACE_MMIO, 0, 4, &v),
	                 -EINVAL);
	ck_assert_int_eq(simh_read0(IOREQD_SPACE_PCI, IOREQD_PCI_ADDR(8, 0xffe), 4, &v),
	                 -EINVAL);
}
END_TEST

START_TEST(test_sim_map_range_follows_xen_rangeset_rules)
{
	struct simh_gop g = MMIO_READ(MMIO_LAST - 1, 4);

	ck_assert_int_eq(
	    simh_map(IOREQD_SPACE_MMIO, MMIO_BASE + 0x800, MMIO_LAST + 0x800, true),
	    -EEXIST);
	/* Enclosing an existing range is an overlap too. */
	ck_assert_int_eq(simh_map(IOREQD_SPACE_MMIO, MMIO_BASE - 1, MMIO_LAST + 1, true),
	                 -EEXIST);
	ck_assert_int_eq(simh_map(IOREQD_SPACE_MMIO, 0x1000, 0x1fff, false), -ENOENT);
	ck_assert_int_eq(simh_map(IOREQD_SPACE_MMIO, 5, 4, true), -EINVAL);
	/* Touching ranges merge, so an access may span both. */
	ck_assert_int_eq(
	    simh_map(IOREQD_SPACE_MMIO, MMIO_LAST + 1, MMIO_LAST + 0x1000, true), 0);
	simh_round_trip(&g, 0xa5a5a5a5);
	ck_assert_uint_eq(g.val, 0xa5a5a5a5);
	/* A hole can be punched in the middle. */
	ck_assert_int_eq(
	    simh_map(IOREQD_SPACE_MMIO, MMIO_BASE + 0x100, MMIO_BASE + 0x1ff, false), 0);
	ck_assert_int_eq(simh_read0(IOREQD_SPACE_MMIO, MMIO_BASE + 0x100, 4, &g.val), 0);
	ck_assert_uint_eq(g.val, 0xffffffff);
}
END_TEST

/* --- Rep and string I/O
 * ----------------------------------------------------------------- */

START_TEST(test_sim_rep_read_df1_walks_buffer_down)
{
	struct simh_gop g = {.kind = G_REP,
	                     .rep = {.space = IOREQD_SPACE_MMIO,
	                             .read = true,
	                             .df = true,
	                             .data_is_ptr = true,
	                             .size = 4,
	                             .count = 4,
	                             .addr = MMIO_BASE + 0x10,
	                             .data = 0x100c}};
	uint32_t mem[4];
	ioreq_t req;

	simh_guest_start(&g);
	simh_wait_request();
	req = fx.sync->vcpu_ioreq[0];
	ck_assert_uint_eq(req.count, 4);
	ck_assert_uint_eq(req.df, 1);
	ck_assert_uint_eq(req.data_is_ptr, 1);
	ck_assert_uint_eq(req.data, 0x100c);
	/* The device model stores element i at data - 4 i. */
	for (uint32_t i = 0; i < 4; i++) {
		uint32_t v = 0xa0 + i;

		ck_assert_int_eq(GBE->guest_write(fx.be, 0x100c - 4 * i, &v, 4), 0);
	}
	simh_complete(0, 0);
	simh_guest_join(&g);
	ck_assert_int_eq(g.rc, 0);
	ck_assert_int_eq(ioreqd_simhv_mem_read(fx.hv, 0x1000, mem, sizeof(mem)), 0);
	ck_assert_uint_eq(mem[0], 0xa3);
	ck_assert_uint_eq(mem[3], 0xa0);
}
END_TEST

START_TEST(test_sim_rep_splits_at_page_boundaries)
{
	struct simh_gop g = {.kind = G_REP,
	                     .rep = {.space = IOREQD_SPACE_MMIO,
	                             .data_is_ptr = true,
	                             .size = 4,
	                             .count = 4,
	                             .addr = MMIO_BASE,
	                             .data = 0x1ff8}};
	ioreq_t a, b;

	simh_guest_start(&g);
	simh_wait_request();
	a = simh_complete(0, 0);
	simh_wait_request();
	b = simh_complete(0, 0);
	simh_guest_join(&g);
	ck_assert_int_eq(g.rc, 0);
	ck_assert_uint_eq(a.count, 2);
	ck_assert_uint_eq(a.data, 0x1ff8);
	ck_assert_uint_eq(b.count, 2);
	ck_assert_uint_eq(b.data, 0x2000);
	ck_assert_uint_eq(b.addr, MMIO_BASE + 8);
}
END_TEST

START_TEST(test_sim_unclaimed_rep_read_fills_buffer_with_ones)
{
	struct ioreqd_simhv_rep r = {.space = IOREQD_SPACE_PIO,
	                             .read = true,
	                             .df = true,
	                             .data_is_ptr = true,
	                             .size = 2,
	                             .count = 3,
	                             .addr = 0x60,
	                             .data = 0x2004};
	uint8_t mem[8];

	memset(mem, 0, sizeof(mem));
	ck_assert_int_eq(ioreqd_simhv_mem_write(fx.hv, 0x1ffe, mem, sizeof(mem)), 0);
	ck_assert_int_eq(ioreqd_simhv_rep(fx.hv, 0, &r, NULL), 0);
	ck_assert_int_eq(ioreqd_simhv_mem_read(fx.hv, 0x1ffe, mem, sizeof(mem)), 0);
	ck_assert_uint_eq(mem[0], 0);
	ck_assert_uint_eq(mem[1], 0);
	for (int i = 2; i < 8; i++)
		ck_assert_uint_eq(mem[i], 0xff);
	/* A buffer outside guest RAM is refused before anything is sent. */
	r.data = 2;
	ck_assert_int_eq(ioreqd_simhv_rep(fx.hv, 0, &r, NULL), -EINVAL);
}
END_TEST

/* --- The buffered ring
 * --------------------------------------------------------------------- */

START_TEST(test_sim_buffered_8byte_write_takes_two_slots_high_half_second)
{
	struct simh_events e = {0};
	uint32_t rd, wr;
	bool posted = false;
	buf_ioreq_t s0, s1;

	ck_assert_int_eq(ioreqd_simhv_buf_write(fx.hv, 0, IOREQD_SPACE_MMIO, LOW_BASE + 8,
	                                        8, 0x1122334455667788ull, &posted),
	                 0);
	ck_assert(posted);
	ck_assert_int_eq(ioreqd_simhv_raw_ring_get_ptrs(fx.hv, &rd, &wr), 0);
	ck_assert_uint_eq(rd, 0);
	ck_assert_uint_eq(wr, 2);
	s0 = fx.buf->buf_ioreq[0];
	s1 = fx.buf->buf_ioreq[1];
	ck_assert_uint_eq(s0.type, IOREQ_TYPE_COPY);
	ck_assert_uint_eq(s0.dir, IOREQ_WRITE);
	ck_assert_uint_eq(s0.size, 3);
	ck_assert_uint_eq(s0.addr, LOW_BASE + 8);
	ck_assert_uint_eq(s0.data, 0x55667788);
	ck_assert_uint_eq(s1.size, 3);
	ck_assert_uint_eq(s1.addr, LOW_BASE + 8);
	ck_assert_uint_eq(s1.data, 0x11223344);
	simh_pump(&e, 1000);
	ck_assert_uint_eq(e.buffered, 1);
	ck_assert_uint_eq(e.vcpu_events, 0);
}
END_TEST

START_TEST(test_sim_buffered_write_above_1mib_goes_synchronously)
{
	struct simh_gop g = {.kind = G_BUF,
	                     .space = IOREQD_SPACE_MMIO,
	                     .addr = MMIO_BASE,
	                     .size = 4,
	                     .val = 7};
	ioreq_t req;

	req = simh_round_trip(&g, 0);
	ck_assert_int_eq(g.rc, 0);
	ck_assert(!g.posted);
	ck_assert_uint_eq(req.data, 7);
	ck_assert_uint_eq(req.dir, IOREQ_WRITE);
}
END_TEST

START_TEST(test_sim_ring_canonicalisation_keeps_read_pointer_mod_511)
{
	const uint32_t start = 3 * IOREQ_BUFFER_SLOT_NUM + 5;
	uint32_t rd, wr;
	bool posted = false;

	/* The daemon has consumed everything up to a large pointer value. */
	ck_assert_int_eq(ioreqd_simhv_raw_ring_ptrs(fx.hv, start, start, false), 0);
	ck_assert_int_eq(ioreqd_simhv_buf_write(fx.hv, 0, IOREQD_SPACE_MMIO, LOW_BASE, 4,
	                                        0xcafe, &posted),
	                 0);
	ck_assert(posted);
	ck_assert_int_eq(ioreqd_simhv_raw_ring_get_ptrs(fx.hv, &rd, &wr), 0);
	ck_assert_uint_lt(rd, IOREQ_BUFFER_SLOT_NUM);
	ck_assert_uint_eq(rd % IOREQ_BUFFER_SLOT_NUM, start % IOREQ_BUFFER_SLOT_NUM);
	ck_assert_uint_eq(wr - rd, 1);
	ck_assert_uint_eq(fx.buf->buf_ioreq[5].data, 0xcafe);
	ck_assert_uint_eq(fx.buf->buf_ioreq[5].type, IOREQ_TYPE_COPY);
}
END_TEST

START_TEST(test_sim_full_ring_falls_back_to_the_slot)
{
	struct simh_gop g = {.kind = G_BUF,
	                     .space = IOREQD_SPACE_MMIO,
	                     .addr = LOW_BASE,
	                     .size = 4,
	                     .val = 9};
	struct ioreqd_simhv_stats st;
	uint32_t rd, wr;

	ck_assert_int_eq(
	    ioreqd_simhv_raw_ring_ptrs(fx.hv, 0, IOREQ_BUFFER_SLOT_NUM, false), 0);
	simh_round_trip(&g, 0);
	ck_assert_int_eq(g.rc, 0);
	ck_assert(!g.posted);
	ioreqd_simhv_stats(fx.hv, &st);
	ck_assert_uint_eq(st.ring_full, 1);
	ck_assert_int_eq(ioreqd_simhv_raw_ring_get_ptrs(fx.hv, &rd, &wr), 0);
	ck_assert_uint_eq(wr, IOREQ_BUFFER_SLOT_NUM);
}
END_TEST

START_TEST(test_sim_timeoffset_is_posted_and_invalidate_is_synchronous)
{
	struct simh_gop g = {.kind = G_INVALIDATE};
	uint32_t rd, wr;
	ioreq_t req;

	ck_assert_int_eq(ioreqd_simhv_timeoffset(fx.hv, 0, -5), 0);
	ck_assert_int_eq(ioreqd_simhv_raw_ring_get_ptrs(fx.hv, &rd, &wr), 0);
	ck_assert_uint_eq(wr - rd, 2);
	ck_assert_uint_eq(fx.buf->buf_ioreq[0].type, IOREQ_TYPE_TIMEOFFSET);
	ck_assert_uint_eq(fx.buf->buf_ioreq[0].size, 3);
	ck_assert_uint_eq(fx.buf->buf_ioreq[0].data, 0xfffffffb);
	ck_assert_uint_eq(fx.buf->buf_ioreq[1].data, 0xffffffff);
	/* Xen sends nothing for a zero offset. */
	ck_assert_int_eq(ioreqd_simhv_timeoffset(fx.hv, 0, 0), 0);
	ck_assert_int_eq(ioreqd_simhv_raw_ring_get_ptrs(fx.hv, &rd, &wr), 0);
	ck_assert_uint_eq(wr - rd, 2);

	req = simh_round_trip(&g, 0);
	ck_assert_int_eq(g.rc, 0);
	ck_assert_uint_eq(req.type, IOREQ_TYPE_INVALIDATE);
	ck_assert_uint_eq(req.size, 4);
	ck_assert_uint_eq(req.count, 0);
	ck_assert_uint_eq(req.data, ~0ull);
}
END_TEST

START_TEST(test_sim_timeoffset_needs_a_ring)
{
	ck_assert_int_eq(ioreqd_simhv_timeoffset(fx.hv, 0, 5), -ENODEV);
}
END_TEST

/* --- Guest memory
 * -------------------------------------------------------------------------- */

START_TEST(test_sim_guest_memory_is_bounds_checked)
{
	uint64_t size;
	uint32_t v = 0x5a5a5a5a, back = 0;

	ioreqd_simhv_ram(fx.hv, &size);
	ck_assert_uint_eq(size, IOREQD_SIMHV_DEFAULT_RAM);
	ck_assert_int_eq(GBE->guest_write(fx.be, size - 4, &v, 4), 0);
	ck_assert_int_eq(ioreqd_simhv_mem_read(fx.hv, size - 4, &back, 4), 0);
	ck_assert_uint_eq(back, v);
	ck_assert_int_eq(GBE->guest_read(fx.be, size - 4, &back, 8), -EFAULT);
	ck_assert_int_eq(GBE->guest_write(fx.be, size, &v, 1), -EFAULT);
	ck_assert_int_eq(GBE->guest_read(fx.be, UINT64_MAX - 1, &back, 4), -EFAULT);
	ck_assert_int_eq(GBE->guest_write(fx.be, UINT64_MAX, &v, 2), -EFAULT);
	ck_assert_int_eq(GBE->guest_read(fx.be, size, &back, 0), 0);
}
END_TEST

START_TEST(test_sim_dma_map_is_guest_ram_and_bounds_checked)
{
	uint64_t size;
	uint8_t *ram = ioreqd_simhv_ram(fx.hv, &size);
	uintptr_t token = 1;
	void *hva = NULL;

	/* A mapping is the guest's RAM itself (the same shared memory, mapped
	 * separately): the guest sees writes through it. */
	ck_assert_int_eq(GBE->map(fx.be, 0x3000, 0x2000, true, &hva, &token), 0);
	memset(hva, 0xa5, 0x2000);
	ck_assert_uint_eq(ram[0x3000], 0xa5);
	ck_assert_uint_eq(ram[0x4fff], 0xa5);
	GBE->unmap(fx.be, hva, 0x2000, token);
	ck_assert_int_eq(GBE->map(fx.be, size - 1, 1, false, &hva, &token), 0);
	ram[size - 1] = 0x3c;
	ck_assert_uint_eq(*(uint8_t *)hva, 0x3c);
	/* Nothing outside RAM, nothing empty, nothing that wraps. */
	ck_assert_int_eq(GBE->map(fx.be, size - 1, 2, false, &hva, &token), -EFAULT);
	ck_assert_ptr_null(hva);
	ck_assert_int_eq(GBE->map(fx.be, size, 1, true, &hva, &token), -EFAULT);
	ck_assert_int_eq(GBE->map(fx.be, 0, 0, true, &hva, &token), -EFAULT);
	ck_assert_int_eq(GBE->map(fx.be, UINT64_MAX - 1, 4, true, &hva, &token), -EFAULT);
	ck_assert_int_eq(GBE->map(fx.be, 16, UINT64_MAX, false, &hva, &token), -EFAULT);
}
END_TEST

/* --- Failures: the domain, the daemon, timeouts
 * --------------------------------------------- */

START_TEST(test_sim_domain_gone_when_the_socket_closes)
{

	ioreqd_simhv_kill(fx.hv, "xl destroy");
	ck_assert(simh_saw_domain_gone());
	ck_assert_str_eq(ioreqd_simhv_crashed(fx.hv), "xl destroy");
	ck_assert_int_eq(ioreqd_simhv_write(fx.hv, 0, IOREQD_SPACE_PIO, 0x80, 1, 0),
	                 -ESHUTDOWN);
	/* Calls on a dead link fail without hanging. */
	ck_assert_int_eq(GBE->irq_set_level(fx.be, 4, 1), -ENOTCONN);
}
END_TEST

START_TEST(test_sim_guest_times_out_when_the_daemon_never_answers)
{
	struct ioreqd_simhv_stats st;
	uint64_t v = 0;

	ioreqd_simhv_set_timeout(fx.hv, 50);
	ck_assert_int_eq(simh_read0(IOREQD_SPACE_MMIO, MMIO_BASE, 4, &v), -ETIMEDOUT);
	ck_assert_uint_eq(v, 0xffffffff);
	/* The daemon still owns the slot: the vCPU cannot issue another request. */
	ck_assert_int_eq(simh_read0(IOREQD_SPACE_MMIO, MMIO_BASE, 4, &v), -EBUSY);
	/* A late answer hands the slot back. */
	simh_wait_request();
	simh_complete(0, 1);
	ioreqd_simhv_set_timeout(fx.hv, 5000);
	{
		struct simh_gop g = {.kind = G_READ,
		                     .space = IOREQD_SPACE_MMIO,
		                     .addr = MMIO_BASE,
		                     .size = 4};

		simh_guest_start(&g);
		ck_assert_uint_eq(simh_wait_request(), 0);
		simh_complete(0, 2);
		simh_guest_join(&g);
		ck_assert_int_eq(g.rc, 0);
		ck_assert_uint_eq(g.val, 2);
	}
	ioreqd_simhv_stats(fx.hv, &st);
	ck_assert_uint_eq(st.timeouts, 1);
	ck_assert_uint_eq(st.busy, 1);
	ck_assert_uint_eq(st.late_completions, 1);
}
END_TEST

START_TEST(test_sim_daemon_death_fails_requests_instead_of_hanging)
{
	struct simh_gop g = MMIO_READ(MMIO_BASE, 4);
	struct ioreqd_simhv_server_info info;
	uint64_t v = 0;

	simh_guest_start(&g);
	simh_wait_request();
	/* The daemon dies with the request in flight: its socket closes. */
	shutdown(BE->fd(fx.be, BE->nr_fds(fx.be) - 1), SHUT_RDWR);
	simh_guest_join(&g);
	ck_assert_int_eq(g.rc, -EPIPE);
	ck_assert_uint_eq(g.val, 0xffffffff);
	ck_assert_int_eq(simh_read0(IOREQD_SPACE_MMIO, MMIO_BASE, 4, &v), -EPIPE);
	ck_assert_uint_eq(v, 0xffffffff);
	ck_assert_int_eq(ioreqd_simhv_server_info(fx.hv, &info), 0);
	ck_assert(info.gone);
	ck_assert_int_eq(ioreqd_simhv_wait(fx.hv, IOREQD_SIMHV_NO_SERVER, 1000), 0);
	/* Unclaimed addresses still work. */
	ck_assert_int_eq(simh_read0(IOREQD_SPACE_MMIO, 0x1000, 4, &v), 0);
	/* The dead link reads as the domain gone on the daemon's side. */
	ck_assert(simh_saw_domain_gone());
}
END_TEST

START_TEST(test_sim_restarted_daemon_replaces_a_dead_one)
{
	struct ioreqd_backend_args args = {.domid = DOMID, .sim_path = fx.path};
	struct simh_gop g = MMIO_READ(MMIO_BASE, 4);
	uint64_t v = 0;

	shutdown(BE->fd(fx.be, BE->nr_fds(fx.be) - 1), SHUT_RDWR);
	ck_assert(simh_saw_domain_gone());
	BE->close(fx.be);
	ck_assert_int_eq(ioreqd_simhv_wait(fx.hv, IOREQD_SIMHV_NO_SERVER, 1000), 0);
	ck_assert_int_eq(simh_read0(IOREQD_SPACE_MMIO, MMIO_BASE, 4, &v), -EPIPE);

	ck_assert_int_eq(BE->open(&fx.be, &args), 0);
	ck_assert_int_eq(BE->map_pages(fx.be, &fx.sync, NULL), 0);
	ck_assert_int_eq(BE->enable(fx.be, true), 0);
	ck_assert_int_eq(BE->bind(fx.be, 1), 0);
	/* The dead server is dropped: nobody claims the range until the new one does. */
	ck_assert_int_eq(simh_read0(IOREQD_SPACE_MMIO, MMIO_BASE, 4, &v), 0);
	ck_assert_int_eq(simh_map(IOREQD_SPACE_MMIO, MMIO_BASE, MMIO_LAST, true), 0);
	simh_round_trip(&g, 0x600d);
	ck_assert_int_eq(g.rc, 0);
	ck_assert_uint_eq(g.val, 0x600d);
}
END_TEST

START_TEST(test_sim_backward_state_crashes_the_domain)
{
	struct simh_gop g = MMIO_READ(MMIO_BASE, 4);
	volatile ioreq_t *slot = &fx.sync->vcpu_ioreq[0];
	struct ioreqd_simhv_stats st = {0};

	simh_guest_start(&g);
	simh_wait_request();
	slot->state = STATE_IOREQ_INPROCESS;
	ck_assert_int_eq(GBE->notify(fx.be, 0), 0);
	/* Let the vCPU see INPROCESS (a wakeup without a completion) first. */
	for (int i = 0; i < 1000 && st.spurious_wakeups == 0; i++) {
		usleep(1000);
		ioreqd_simhv_stats(fx.hv, &st);
	}
	ck_assert_uint_eq(st.spurious_wakeups, 1);
	slot->state = STATE_IOREQ_READY; /* INPROCESS -> READY goes backwards */
	ck_assert_int_eq(GBE->notify(fx.be, 0), 0);
	simh_guest_join(&g);
	ck_assert_int_eq(g.rc, -EPROTO);
	ck_assert_ptr_nonnull(ioreqd_simhv_crashed(fx.hv));
	ck_assert(simh_saw_domain_gone());
}
END_TEST

/* --- Hostile guest
 * ---------------------------------------------------------------------------- */

START_TEST(test_sim_raw_slot_write_reaches_the_daemon_verbatim)
{
	ioreq_t bad = {.addr = 0x1234,
	               .data = 0x55,
	               .count = 0,
	               .size = 3,
	               .vp_eport = 99,
	               .state = STATE_IOREQ_READY,
	               .dir = IOREQ_READ,
	               .type = 0x42};
	ioreq_t seen;

	ck_assert_int_eq(ioreqd_simhv_raw_slot_write(fx.hv, 0, &bad, true), 0);
	ck_assert_uint_eq(simh_wait_request(), 0);
	memcpy(&seen, (const void *)&fx.sync->vcpu_ioreq[0], sizeof(seen));
	ck_assert_mem_eq(&seen, &bad, sizeof(bad));
	simh_complete(0, 0x77);
	ck_assert_int_eq(ioreqd_simhv_raw_wait(fx.hv, 0, 1000), 0);
	ck_assert_int_eq(ioreqd_simhv_raw_slot_read(fx.hv, 0, &seen), 0);
	ck_assert_uint_eq(seen.state, STATE_IORESP_READY);
	ck_assert_uint_eq(seen.data, 0x77);
	ck_assert_int_eq(ioreqd_simhv_raw_wait(fx.hv, 0, 10), -ETIMEDOUT);
	ck_assert_int_eq(ioreqd_simhv_raw_slot_write(fx.hv, 1, &bad, false), -EINVAL);
	ck_assert_int_eq(ioreqd_simhv_raw_ring_ptrs(fx.hv, 0, 0, false), -ENODEV);
}
END_TEST

/* --- The rest of the backend
 * ------------------------------------------------------------------ */

START_TEST(test_sim_irq_msi_keys_and_registers_reach_the_domain)
{
	struct ioreqd_vcpu_regs regs;
	unsigned level = 0;
	uint64_t changes = 0, addr = 0, ip = 0;
	uint32_t data = 0;
	char value[32];

	ck_assert_int_eq(GBE->irq_set_level(fx.be, 4, 1), 0);
	ck_assert_int_eq(ioreqd_simhv_wait_irq(fx.hv, 4, 1, 1000), 0);
	ck_assert_int_eq(GBE->irq_set_level(fx.be, 4, 0), 0);
	ck_assert_int_eq(ioreqd_simhv_irq_level(fx.hv, 4, &level, &changes), 0);
	ck_assert_uint_eq(level, 0);
	ck_assert_uint_eq(changes, 2);
	ck_assert_int_eq(GBE->irq_set_level(fx.be, 4, 2), -EINVAL);

	ck_assert_int_eq(
	    GBE->pci_intx_set_level(fx.be, IOREQD_PCI_SBDF(0, 0, 5, 0), 1, 1), 0);
	ck_assert_int_eq(
	    ioreqd_simhv_intx_level(fx.hv, IOREQD_PCI_SBDF(0, 0, 5, 0), 1, &level), 0);
	ck_assert_uint_eq(level, 1);
	ck_assert_int_eq(
	    GBE->pci_intx_set_level(fx.be, IOREQD_PCI_SBDF(0, 1, 5, 0), 0, 1), -EINVAL);

	ck_assert_int_eq(GBE->inject_msi(fx.be, 0xfee00000, 0x4041), 0);
	ck_assert_uint_eq(ioreqd_simhv_msi_count(fx.hv), 1);
	ck_assert_int_eq(ioreqd_simhv_msi_get(fx.hv, 0, &addr, &data), 0);
	ck_assert_uint_eq(addr, 0xfee00000);
	ck_assert_uint_eq(data, 0x4041);
	ck_assert_int_eq(ioreqd_simhv_msi_get(fx.hv, 1, &addr, &data), -ENOENT);

	ck_assert_int_eq(BE->publish(fx.be, "state", "running"), 0);
	ck_assert_int_eq(ioreqd_simhv_wait_key(fx.hv, "state", "running", 1000), 0);
	ck_assert_int_eq(ioreqd_simhv_key_get(fx.hv, "state", value, sizeof(value)), 0);
	ck_assert_str_eq(value, "running");
	ck_assert_int_eq(ioreqd_simhv_key_get(fx.hv, "nope", value, sizeof(value)),
	                 -ENOENT);

	ck_assert_int_eq(GBE->get_ip(fx.be, 0, &ip), 0);
	ck_assert_uint_eq(ip, 0xfff0); /* the reset vector */
	ck_assert_int_eq(GBE->vcpu_get(fx.be, 0, &regs), 0);
	regs.rax = 0x1234;
	regs.rip += 2;
	ck_assert_int_eq(GBE->vcpu_set(fx.be, 0, &regs), 0);
	ck_assert_int_eq(ioreqd_simhv_vcpu_get(fx.hv, 0, &regs), 0);
	ck_assert_uint_eq(regs.rax, 0x1234);
	ck_assert_uint_eq(regs.rip, 0xfff2);
	ck_assert_int_eq(GBE->vcpu_get(fx.be, 3, &regs), -EINVAL);
}
END_TEST

static char captured[512];

static void capture(int level, const char *msg, void *arg)
{
	if (level == LOG_LEVEL_WARN && !captured[0])
		snprintf(captured, sizeof(captured), "%s", msg);
}

START_TEST(test_sim_backend_open_failure_names_the_call)
{
	struct ioreqd_backend_args args = {.domid = 1,
	                                   .sim_path = "/tmp/check_sim-nothing.sock"};
	void *be = (void *)1;

	captured[0] = '\0';
	ioreqd_log_set_sink(capture, NULL);
	ck_assert_int_eq(BE->open(&be, &args), -ENOENT);
	ioreqd_log_set_sink(NULL, NULL);
	ck_assert_ptr_null(be);
	ck_assert_str_eq(
	    captured, "domain 1: no simulated hypervisor on /tmp/check_sim-nothing.sock: "
	              "No such file or directory (start ioreqd-simguest --socket "
	              "/tmp/check_sim-nothing.sock --domid 1; see ioreqd-simguest(1))");
}
END_TEST

START_TEST(test_sim_server_for_another_domain_is_refused)
{
	struct ioreqd_backend_args args = {.domid = DOMID + 1, .sim_path = fx.path};
	void *be = NULL;

	ioreqd_log_set_sink(capture, NULL);
	ck_assert_int_eq(BE->open(&be, &args), -ESRCH);
	ioreqd_log_set_sink(NULL, NULL);
	ck_assert_ptr_null(be);
}
END_TEST

/* --- Several vCPUs at once
 * ------------------------------------------------------------------- */

#define PAR_VCPUS 4
#define PAR_READS 200

struct par {
	unsigned vcpu;
	unsigned bad;
	pthread_t th;
};

static void *par_main(void *arg)
{
	struct par *p = arg;

	for (unsigned i = 0; i < PAR_READS; i++) {
		uint64_t addr = MMIO_BASE + 8 * p->vcpu, v = 0;

		if (ioreqd_simhv_read(fx.hv, p->vcpu, IOREQD_SPACE_MMIO, addr, 8, &v) !=
		        0 ||
		    v != (addr ^ ((uint64_t)p->vcpu << 48) ^ i))
			p->bad++;
	}
	return NULL;
}

START_TEST(test_sim_vcpus_run_concurrently)
{
	struct par p[PAR_VCPUS];
	unsigned served[PAR_VCPUS] = {0}, total = 0;

	simh_open(PAR_VCPUS, false, 5000);
	ck_assert_int_eq(simh_map(IOREQD_SPACE_MMIO, MMIO_BASE, MMIO_LAST, true), 0);
	for (unsigned v = 0; v < PAR_VCPUS; v++) {
		p[v] = (struct par){.vcpu = v};
		ck_assert_int_eq(pthread_create(&p[v].th, NULL, par_main, &p[v]), 0);
	}
	while (total < PAR_VCPUS * PAR_READS) {
		struct simh_events e = {0};

		simh_pump(&e, 1000);
		ck_assert_msg(e.vcpu_events > 0, "the vCPUs stopped sending");
		for (unsigned v = 0; v < PAR_VCPUS; v++) {
			volatile ioreq_t *slot = &fx.sync->vcpu_ioreq[v];

			if (slot->state != STATE_IOREQ_READY)
				continue;
			simh_complete(v, slot->addr ^ ((uint64_t)v << 48) ^ served[v]);
			served[v]++;
			total++;
		}
	}
	for (unsigned v = 0; v < PAR_VCPUS; v++) {
		pthread_join(p[v].th, NULL);
		ck_assert_uint_eq(p[v].bad, 0);
		ck_assert_uint_eq(served[v], PAR_READS);
	}
	simh_close();
}
END_TEST

START_TEST(test_sim_wait_ready_needs_a_claimed_range)
{
	simh_open(1, false, 5000);
	ck_assert_int_eq(ioreqd_simhv_wait(fx.hv, IOREQD_SIMHV_READY, 20), -ETIMEDOUT);
	ck_assert_int_eq(simh_map(IOREQD_SPACE_PIO, 0xe9, 0xe9, true), 0);
	ck_assert_int_eq(ioreqd_simhv_wait(fx.hv, IOREQD_SIMHV_READY, 1000), 0);
	simh_close();
}
END_TEST

START_TEST(test_sim_socket_path_stale_is_replaced_live_is_kept)
{
	struct ioreqd_simhv_config cfg = {.domid = 1};
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct ioreqd_simhv *a, *b;
	int fd;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "/tmp/check_sim-stale-%d.sock",
	         (int)getpid());
	cfg.socket_path = sa.sun_path;
	/* A socket file left behind by a process that died. */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	a = ioreqd_simhv_new(&cfg);
	ck_assert_ptr_nonnull(a);
	/* A live one is not taken over. */
	b = ioreqd_simhv_new(&cfg);
	ck_assert_ptr_null(b);
	ck_assert_int_eq(errno, EADDRINUSE);
	ioreqd_simhv_free(a);
	ck_assert_int_ne(access(sa.sun_path, F_OK), 0);
	cfg.nr_vcpus = IOREQD_SIMHV_MAX_VCPUS + 1;
	ck_assert_ptr_null(ioreqd_simhv_new(&cfg));
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

/* --- One look (backend look()) ---------------------------------------------------- */

struct poll_seen {
	unsigned calls;
	enum ioreqd_backend_event ev;
	unsigned vcpu;
};

static void poll_event(void *arg, enum ioreqd_backend_event ev, unsigned vcpu)
{
	struct poll_seen *ps = arg;

	ps->calls++;
	ps->ev = ev;
	ps->vcpu = vcpu;
}

static int look_once(void *arg)
{
	return BE->look(fx.be, poll_event, arg);
}

/*
 * A request a look finds is reported once, as taken without its notification
 * (VCPU_POLLED); its kick is left to pending(), which then reads it exactly
 * once: never lost, never twice.
 */
START_TEST(test_sim_look_finds_a_request_and_leaves_its_kick)
{
	struct simh_gop g = {.kind = G_READ,
	                     .vcpu = 0,
	                     .space = IOREQD_SPACE_MMIO,
	                     .addr = MMIO_BASE + 0x20,
	                     .size = 4};
	struct simh_events e = {0};
	struct poll_seen ps = {0};
	uint64_t spun;

	simh_guest_start(&g);
	/* The guest thread publishes its request when it runs: spin until then. */
	ck_assert_int_eq(ioreqd_poll_spin(5000000000ull, look_once, &ps, &spun), 1);
	ck_assert_uint_eq(ps.calls, 1);
	ck_assert_uint_eq(ps.vcpu, 0);
	ck_assert_int_eq(ps.ev, IOREQD_BE_EV_VCPU_POLLED);
	ck_assert_uint_eq(fx.sync->vcpu_ioreq[0].state, STATE_IOREQ_READY);
	simh_complete(0, 0xfeedf00d);
	simh_guest_join(&g);
	ck_assert_int_eq(g.rc, 0);
	ck_assert_uint_eq(g.val, 0xfeedf00d);
	/* The guest kicked before it waited: the kick is there now, once. */
	simh_pump(&e, 0);
	ck_assert_uint_eq(e.vcpu_events, 1);
	simh_pump(&e, 0);
	ck_assert_uint_eq(e.vcpu_events, 1);
}
END_TEST

START_TEST(test_sim_look_at_an_idle_page_finds_nothing)
{
	struct poll_seen ps = {0};

	ck_assert_int_eq(BE->look(fx.be, poll_event, &ps), 0);
	ck_assert_uint_eq(ps.calls, 0);
}
END_TEST

START_TEST(test_sim_look_sees_the_buffered_ring)
{
	struct poll_seen ps = {0};
	bool posted = false;

	ck_assert_int_eq(ioreqd_simhv_buf_write(fx.hv, 0, IOREQD_SPACE_MMIO, LOW_BASE, 4,
	                                        0x55, &posted),
	                 0);
	ck_assert(posted);
	ck_assert_int_eq(BE->look(fx.be, poll_event, &ps), 1);
	ck_assert_uint_eq(ps.calls, 1);
	ck_assert_int_eq(ps.ev, IOREQD_BE_EV_BUFFERED);
}
END_TEST

static Suite *sim_suite(void)
{
	Suite *s = suite_create("sim");
	TCase *tc = tcase_create("slot");
	TCase *tb = tcase_create("buffered");
	TCase *tn = tcase_create("standalone");

	tcase_add_checked_fixture(tc, setup_one, simh_close);
	tcase_add_test(tc, test_sim_read_round_trip_through_the_slot);
	tcase_add_test(tc, test_sim_write_and_pci_carry_xen_encodings);
	tcase_add_test(tc, test_sim_unclaimed_access_is_all_ones_without_the_daemon);
	tcase_add_test(tc, test_sim_disabled_server_gets_nothing);
	tcase_add_test(tc, test_sim_guest_refuses_impossible_accesses);
	tcase_add_test(tc, test_sim_map_range_follows_xen_rangeset_rules);
	tcase_add_test(tc, test_sim_rep_read_df1_walks_buffer_down);
	tcase_add_test(tc, test_sim_rep_splits_at_page_boundaries);
	tcase_add_test(tc, test_sim_unclaimed_rep_read_fills_buffer_with_ones);
	tcase_add_test(tc, test_sim_timeoffset_needs_a_ring);
	tcase_add_test(tc, test_sim_guest_memory_is_bounds_checked);
	tcase_add_test(tc, test_sim_dma_map_is_guest_ram_and_bounds_checked);
	tcase_add_test(tc, test_sim_domain_gone_when_the_socket_closes);
	tcase_add_test(tc, test_sim_guest_times_out_when_the_daemon_never_answers);
	tcase_add_test(tc, test_sim_daemon_death_fails_requests_instead_of_hanging);
	tcase_add_test(tc, test_sim_restarted_daemon_replaces_a_dead_one);
	tcase_add_test(tc, test_sim_backward_state_crashes_the_domain);
	tcase_add_test(tc, test_sim_raw_slot_write_reaches_the_daemon_verbatim);
	tcase_add_test(tc, test_sim_irq_msi_keys_and_registers_reach_the_domain);
	tcase_add_test(tc, test_sim_server_for_another_domain_is_refused);
	tcase_add_test(tc, test_sim_look_finds_a_request_and_leaves_its_kick);
	tcase_add_test(tc, test_sim_look_at_an_idle_page_finds_nothing);
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(tb, setup_buffered, simh_close);
	tcase_add_test(tb,
	               test_sim_buffered_8byte_write_takes_two_slots_high_half_second);
	tcase_add_test(tb, test_sim_buffered_write_above_1mib_goes_synchronously);
	tcase_add_test(tb, test_sim_ring_canonicalisation_keeps_read_pointer_mod_511);
	tcase_add_test(tb, test_sim_full_ring_falls_back_to_the_slot);
	tcase_add_test(tb, test_sim_timeoffset_is_posted_and_invalidate_is_synchronous);
	tcase_add_test(tb, test_sim_look_sees_the_buffered_ring);
	suite_add_tcase(s, tb);

	tcase_add_test(tn, test_sim_layouts_are_xens);
	tcase_add_test(tn, test_sim_backend_open_failure_names_the_call);
	tcase_add_test(tn, test_sim_vcpus_run_concurrently);
	tcase_add_test(tn, test_sim_wait_ready_needs_a_claimed_range);
	tcase_add_test(tn, test_sim_socket_path_stale_is_replaced_live_is_kept);
	suite_add_tcase(s, tn);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(sim_suite());
	int failed;

	ioreqd_log_init("check_sim", IOREQD_LOG_TO_STDERR, LOG_LEVEL_WARN);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
