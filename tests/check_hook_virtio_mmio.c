/* SPDX-License-Identifier: MIT */
/*
 * check_hook_virtio_mmio: the virtio-mmio transport and the virtio-rng model
 * through the mock host, driven by the guest-side driver (lib/virtio/vguest)
 * as a guest would: probe, negotiate, set up the queue, read random bytes,
 * take and acknowledge the interrupt; plus the bad accesses and the bad
 * configurations.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "builtin.h"
#include "dm.h"
#include "mock-host.h"
#include "vguest.h"

#define BASE 0x02000000ull
#define IRQ 33
#define RING_GPA 0x10000ull
#define BUF_GPA 0x40000ull

static const char *const rng_conf = "mmio = 0x02000000+0x200\nirq = 33\n";

static int io_read(void *ctx, uint64_t off, unsigned size, uint64_t *val)
{
	*val = mock_read(ctx, IOREQD_SPACE_MMIO, BASE + off, size);
	return 0;
}

static int io_write(void *ctx, uint64_t off, unsigned size, uint64_t val)
{
	mock_write(ctx, IOREQD_SPACE_MMIO, BASE + off, size, val);
	return 0;
}

static struct mock *rng_mock(const char *conf)
{
	struct mock *m = mock_new(1);

	ck_assert_int_eq(
	    mock_add(m, ioreqd_builtin_hook_find("virtio-rng"), "rng0", conf, NULL), 0);
	return m;
}

static void driver_up(struct mock *m, struct ioreqd_vguest *g,
                      struct ioreqd_vguest_mmio *t, uint64_t want)
{
	struct ioreqd_vguest_ram ram = {
	    .ram = mock_guest_mem(m),
	    .ram_gpa = 0,
	    .ram_size = MOCK_GUEST_SIZE,
	    .ring_gpa = RING_GPA,
	    .ring_len = 0x10000,
	};
	char err[128] = "";

	t->io = (struct ioreqd_vguest_io){.read = io_read, .write = io_write, .ctx = m};
	ck_assert_msg(ioreqd_vguest_init(g, &ioreqd_vguest_mmio_ops, t, 4, want, 1, 16,
	                                 &ram, err, sizeof(err)) == 0,
	              "%s", err);
}

START_TEST(test_mmio_identity_registers)
{
	struct mock *m = rng_mock(rng_conf);

	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, BASE + 0x000, 4), 0x74726976);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, BASE + 0x004, 4), 2);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, BASE + 0x008, 4), 4);
	ck_assert_uint_ne(mock_read(m, IOREQD_SPACE_MMIO, BASE + 0x00c, 4), 0);
	/* Offered: VERSION_1 in the high half. */
	mock_write(m, IOREQD_SPACE_MMIO, BASE + 0x014, 4, 1);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, BASE + 0x010, 4) & 1, 1);
	/* No shared memory regions: length -1. */
	mock_write(m, IOREQD_SPACE_MMIO, BASE + 0x0ac, 4, 0);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, BASE + 0x0b0, 4), 0xffffffff);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, BASE + 0x0b4, 4), 0xffffffff);
	/* One queue of queue_size 64 by default; the second does not exist. */
	mock_write(m, IOREQD_SPACE_MMIO, BASE + 0x030, 4, 0);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, BASE + 0x034, 4), 64);
	mock_write(m, IOREQD_SPACE_MMIO, BASE + 0x030, 4, 1);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, BASE + 0x034, 4), 0);
	mock_free(m);
}
END_TEST

/* grant_usage = 1 (from Xen's xenstore key): ACCESS_PLATFORM is offered. */
START_TEST(test_mmio_grant_usage_offers_access_platform)
{
	struct mock *m = rng_mock(rng_conf);

	/* Feature bit 33: bit 1 of the high half. */
	mock_write(m, IOREQD_SPACE_MMIO, BASE + 0x014, 4, 1);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, BASE + 0x010, 4) & 2, 0);
	mock_free(m);
	m = rng_mock("mmio = 0x02000000+0x200\nirq = 33\ngrant_usage = 1\n");
	mock_write(m, IOREQD_SPACE_MMIO, BASE + 0x014, 4, 1);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, BASE + 0x010, 4) & 3, 3);
	mock_free(m);
}
END_TEST

START_TEST(test_mmio_rng_fills_buffers_and_interrupts_until_acked)
{
	struct mock *m = rng_mock("mmio = 0x02000000+0x200\nirq = 33\nqueue_size = 16\n");
	struct ioreqd_vguest_mmio t;
	struct ioreqd_vguest g;
	struct ioreqd_vdrv_buf b = {.gpa = BUF_GPA, .len = 64};
	uint8_t *buf = mock_guest_mem(m) + BUF_GPA;
	uint32_t len = 0, isr = 0;
	int cookie;
	unsigned distinct = 0;

	driver_up(m, &g, &t, (1ull << 29) | (1ull << 28));
	ck_assert(g.features & (1ull << 29));
	ck_assert_int_eq(mock_irq_level(m, IRQ), -1);
	memset(buf, 0, 64);
	ioreqd_vdrv_enable_irq(&g.q[0]);
	ck_assert_int_ge(ioreqd_vguest_submit(&g, 0, &b, 0, 1, &cookie), 0);
	/* QueueNotify completed the request at once and raised the line. */
	ck_assert_ptr_eq(ioreqd_vdrv_get_used(&g.q[0], &len), &cookie);
	ck_assert_uint_eq(len, 64);
	for (unsigned i = 1; i < 64; i++)
		distinct += buf[i] != buf[0];
	ck_assert_uint_gt(distinct, 0);
	ck_assert_int_eq(mock_irq_level(m, IRQ), 1);
	ck_assert_int_eq(ioreqd_vguest_mmio_ops.ack_interrupt(&t, &isr), 0);
	ck_assert_uint_eq(isr, 1);
	ck_assert_int_eq(mock_irq_level(m, IRQ), 0);
	/* A reset lowers nothing more, disables the queue, and frees its mappings. */
	ioreqd_vguest_fini(&g);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, BASE + 0x070, 4), 0);
	ck_assert_uint_eq(mock_maps_live(m), 0);
	mock_free(m);
}
END_TEST

/*
 * irq_mode = edge (Arm's default; libxl's node says edge rising): one raise per
 * InterruptStatus 0 -> non-zero, and no lowering call on the ack (Xen/Arm
 * ignores level 0), so the next event after the ack is a new edge.
 */
START_TEST(test_mmio_edge_mode_raises_and_never_lowers)
{
	struct mock *m = rng_mock(
	    "mmio = 0x02000000+0x200\nirq = 33\nqueue_size = 16\nirq_mode = edge\n");
	struct ioreqd_vguest_mmio t;
	struct ioreqd_vguest g;
	struct ioreqd_vdrv_buf b = {.gpa = BUF_GPA, .len = 64};
	uint32_t len = 0, isr = 0;
	unsigned calls;
	int cookie;

	driver_up(m, &g, &t, (1ull << 29) | (1ull << 28));
	ioreqd_vdrv_enable_irq(&g.q[0]);
	ck_assert_int_ge(ioreqd_vguest_submit(&g, 0, &b, 0, 1, &cookie), 0);
	ck_assert_ptr_eq(ioreqd_vdrv_get_used(&g.q[0], &len), &cookie);
	ck_assert_int_eq(mock_irq_level(m, IRQ), 1);
	calls = mock_irq_calls(m);
	ck_assert_int_eq(ioreqd_vguest_mmio_ops.ack_interrupt(&t, &isr), 0);
	ck_assert_uint_eq(isr, 1);
	ck_assert_uint_eq(mock_irq_calls(m), calls);
	ck_assert_int_eq(mock_irq_level(m, IRQ), 1);
	ioreqd_vdrv_enable_irq(&g.q[0]);
	ck_assert_int_ge(ioreqd_vguest_submit(&g, 0, &b, 0, 1, &cookie), 0);
	ck_assert_ptr_eq(ioreqd_vdrv_get_used(&g.q[0], &len), &cookie);
	ck_assert_uint_eq(mock_irq_calls(m), calls + 1);
	ioreqd_vguest_fini(&g);
	ck_assert_uint_eq(mock_irq_calls(m), calls + 1);
	mock_free(m);
}
END_TEST

/*
 * Status is a 32-bit register with an 8-bit value: a write whose low byte is
 * 0 resets the device whatever the upper bits say, so the transport's own
 * state (interrupt line, feature halves, queue layouts) must be reset with it.
 */
START_TEST(test_mmio_status_write_with_upper_bits_resets_the_transport_too)
{
	struct mock *m = rng_mock("mmio = 0x02000000+0x200\nirq = 33\nqueue_size = 16\n");
	struct ioreqd_vguest_mmio t;
	struct ioreqd_vguest g;
	struct ioreqd_vdrv_buf b = {.gpa = BUF_GPA, .len = 64};
	uint32_t len = 0;
	int cookie;

	driver_up(m, &g, &t, (1ull << 29) | (1ull << 28));
	ioreqd_vdrv_enable_irq(&g.q[0]);
	ck_assert_int_ge(ioreqd_vguest_submit(&g, 0, &b, 0, 1, &cookie), 0);
	ck_assert_ptr_eq(ioreqd_vdrv_get_used(&g.q[0], &len), &cookie);
	ck_assert_int_eq(mock_irq_level(m, IRQ), 1);
	mock_write(m, IOREQD_SPACE_MMIO, BASE + 0x070, 4, 0x100);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, BASE + 0x070, 4), 0);
	/* The interrupt of the device that was reset is gone, line included. */
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, BASE + 0x060, 4), 0);
	ck_assert_int_eq(mock_irq_level(m, IRQ), 0);
	ck_assert_uint_eq(mock_maps_live(m), 0);
	ioreqd_vguest_fini(&g);
	mock_free(m);
}
END_TEST

START_TEST(test_mmio_bad_accesses_are_refused_and_the_device_goes_on)
{
	struct mock *m = rng_mock(rng_conf);
	struct ioreqd_vguest_mmio t;
	struct ioreqd_vguest g;

	/* A 2-byte register read, an unaligned one, a write-only register
	 * read, a read-only register written, a hole, config space that the
	 * rng does not have: all-ones, logged, and nothing changes. */
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, BASE + 0x000, 2), 0xffff);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, BASE + 0x002, 4), 0xffffffff);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, BASE + 0x050, 4), 0xffffffff);
	mock_write(m, IOREQD_SPACE_MMIO, BASE + 0x000, 4, 0);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, BASE + 0x000, 4), 0x74726976);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, BASE + 0x0c8, 4), 0xffffffff);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, BASE + 0x100, 4), 0xffffffff);
	ck_assert(mock_log_contains(m, "aligned 32-bit"));
	ck_assert(mock_log_contains(m, "not a readable register"));
	/* Status out of order is refused by the core. */
	mock_write(m, IOREQD_SPACE_MMIO, BASE + 0x070, 4, 0x04);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, BASE + 0x070, 4), 0);
	/* A queue with rings outside guest RAM is refused: it reads back not ready. */
	mock_write(m, IOREQD_SPACE_MMIO, BASE + 0x070, 4, 1);
	mock_write(m, IOREQD_SPACE_MMIO, BASE + 0x070, 4, 3);
	mock_write(m, IOREQD_SPACE_MMIO, BASE + 0x024, 4, 1);
	mock_write(m, IOREQD_SPACE_MMIO, BASE + 0x020, 4, 1);
	mock_write(m, IOREQD_SPACE_MMIO, BASE + 0x070, 4, 0xb);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, BASE + 0x070, 4), 0xb);
	mock_write(m, IOREQD_SPACE_MMIO, BASE + 0x038, 4, 16);
	mock_write(m, IOREQD_SPACE_MMIO, BASE + 0x080, 4, 0);
	mock_write(m, IOREQD_SPACE_MMIO, BASE + 0x084, 4, 0x10);
	mock_write(m, IOREQD_SPACE_MMIO, BASE + 0x044, 4, 1);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, BASE + 0x044, 4), 0);
	/* A notify of a queue that does not exist is ignored. */
	mock_write(m, IOREQD_SPACE_MMIO, BASE + 0x050, 4, 7);
	/* And a driver starting over still gets a working device. */
	driver_up(m, &g, &t, 0);
	ioreqd_vguest_fini(&g);
	mock_free(m);
}
END_TEST

/* Collect one counter of the device's statistics. */
struct want_stat {
	const char *group, *name;
	uint64_t value;
	unsigned seen;
};

static void stat_emit(void *ctx, const char *group, const char *name, uint64_t value)
{
	struct want_stat *w = ctx;

	if (!strcmp(w->group, group) && !strcmp(w->name, name)) {
		w->value = value;
		w->seen++;
	}
}

static uint64_t stat(ioreqd_dev_t *dev, const char *group, const char *name)
{
	struct want_stat w = {.group = group, .name = name};

	ioreqd_dm_dev_stats(dev, stat_emit, &w);
	ck_assert_msg(w.seen == 1, "%s.%s reported %u times", group, name, w.seen);
	return w.value;
}

START_TEST(test_mmio_stats_count_requests_bytes_and_bad_accesses)
{
	struct mock *m = mock_new(1);
	struct ioreqd_vguest_mmio t;
	struct ioreqd_vguest g;
	struct ioreqd_vdrv_buf b = {.gpa = BUF_GPA, .len = 100};
	ioreqd_dev_t *dev;
	uint32_t len, isr;
	int cookie;

	ck_assert_int_eq(
	    mock_add(m, ioreqd_builtin_hook_find("virtio-rng"), "rng0", rng_conf, &dev),
	    0);
	driver_up(m, &g, &t, 0);
	for (unsigned i = 0; i < 3; i++) {
		ck_assert_int_ge(ioreqd_vguest_submit(&g, 0, &b, 0, 1, &cookie), 0);
		ck_assert_ptr_eq(ioreqd_vdrv_get_used(&g.q[0], &len), &cookie);
		ioreqd_vguest_mmio_ops.ack_interrupt(&t, &isr);
	}
	mock_read(m, IOREQD_SPACE_MMIO, BASE + 0x001, 1);
	ck_assert_uint_eq(stat(dev, "queue0", "requests"), 3);
	ck_assert_uint_eq(stat(dev, "queue0", "bytes_in"), 300);
	ck_assert_uint_eq(stat(dev, "queue0", "errors"), 0);
	ck_assert_uint_eq(stat(dev, "queue0", "in_flight"), 0);
	ck_assert_uint_eq(stat(dev, "queue0", "kicks"), 3);
	ck_assert_uint_eq(stat(dev, "virtio", "status"), 0xf);
	ck_assert_uint_eq(stat(dev, "transport", "bad_access"), 1);
	ioreqd_vguest_fini(&g);
	ck_assert_uint_eq(stat(dev, "virtio", "resets"), 2);
	/* Gone with the device's fini. */
	mock_dev_fini(dev);
	struct want_stat w = {.group = "queue0", .name = "requests"};
	ioreqd_dm_dev_stats(dev, stat_emit, &w);
	ck_assert_uint_eq(w.seen, 0);
	mock_free(m);
}
END_TEST

/* The guest's other vCPU: takes back what was used and posts another buffer. */
struct refill {
	struct ioreqd_vguest *g;
	unsigned left;
	int cookie;
};

static void refill(void *arg)
{
	struct refill *r = arg;
	struct ioreqd_vdrv_buf b = {.gpa = BUF_GPA, .len = 16};
	uint32_t len;

	while (ioreqd_vdrv_get_used(&r->g->q[0], &len))
		;
	if (r->left && ioreqd_vdrv_add(&r->g->q[0], &b, 0, 1, false, &r->cookie) >= 0)
		r->left--;
}

/*
 * A driver that refills the ring from another vCPU while the device works
 * through it must not hold the event loop: one kick serves at most a queue's
 * worth, and the rest is served from a zero timer, without another kick.
 */
START_TEST(test_mmio_a_guest_refilling_the_ring_cannot_hold_the_loop)
{
	struct mock *m = mock_new(1);
	struct ioreqd_vguest_mmio t;
	struct ioreqd_vguest g;
	struct refill r = {.g = &g, .left = 100};
	struct ioreqd_vdrv_buf b = {.gpa = BUF_GPA, .len = 16};
	ioreqd_dev_t *dev;
	unsigned rounds = 0;

	ck_assert_int_eq(mock_add(m, ioreqd_builtin_hook_find("virtio-rng"), "rng0",
	                          "mmio = 0x02000000+0x200\nirq = 33\nqueue_size = 16\n",
	                          &dev),
	                 0);

	driver_up(m, &g, &t, (1ull << 29) | (1ull << 28));
	mock_set_map_hook(m, refill, &r);
	ck_assert_int_ge(ioreqd_vguest_submit(&g, 0, &b, 0, 1, &r.cookie), 0);
	ck_assert_uint_le(stat(dev, "queue0", "requests"), 16);
	ck_assert_uint_gt(r.left, 0);
	while (mock_fire_timers(m) && rounds < 100)
		rounds++;
	ck_assert_uint_eq(r.left, 0);
	ck_assert_uint_eq(stat(dev, "queue0", "requests"), 101);
	ck_assert_uint_eq(stat(dev, "queue0", "kicks"), 1);
	ck_assert_uint_ge(rounds, 6);
	mock_set_map_hook(m, NULL, NULL);
	ioreqd_vguest_fini(&g);
	mock_free(m);
}
END_TEST

START_TEST(test_mmio_invalidate_drops_ring_mappings_and_the_queue_goes_on)
{
	struct mock *m = rng_mock(rng_conf);
	struct ioreqd_vguest_mmio t;
	struct ioreqd_vguest g;
	struct ioreqd_vdrv_buf b = {.gpa = BUF_GPA, .len = 32};
	ioreq_t req = mock_req(IOREQD_SPACE_MMIO, 0, 1, false, 0);
	uint32_t len, isr;
	int cookie;

	driver_up(m, &g, &t, 0);
	ck_assert_uint_gt(mock_maps_live(m), 0);
	/* Xen's INVALIDATE reaches the device through the engine and the host. */
	req.type = IOREQ_TYPE_INVALIDATE;
	ck_assert_int_eq(mock_submit(m, 0, &req), 1);
	ck_assert_uint_eq(mock_maps_live(m), 0);
	/* The rings are mapped again on their next use. */
	ck_assert_int_ge(ioreqd_vguest_submit(&g, 0, &b, 0, 1, &cookie), 0);
	ck_assert_ptr_eq(ioreqd_vdrv_get_used(&g.q[0], &len), &cookie);
	ck_assert_uint_eq(len, 32);
	ck_assert_int_eq(ioreqd_vguest_mmio_ops.ack_interrupt(&t, &isr), 0);
	ck_assert_uint_eq(isr, 1);
	ioreqd_vguest_fini(&g);
	ck_assert_uint_eq(mock_maps_live(m), 0);
	mock_free(m);
}
END_TEST

static void bad_conf(const char *conf, const char *msg)
{
	struct mock *m = mock_new(1);

	mock_expect_cfg_error(m, ioreqd_builtin_hook_find("virtio-rng"), "rng0", conf,
	                      NULL, msg);
	mock_free(m);
}

START_TEST(test_mmio_bad_configurations_name_the_line)
{
	bad_conf("mmio = 0x02000000+0x200\nirq = 33\ntransport = ccw\n",
	         "mock.conf:5: device rng0: transport: unknown 'ccw' (this build has: "
	         "mmio, pci)");
	bad_conf("mmio = 0x02000000+0x200\nirq = 33\nqueue_size = 48\n",
	         "mock.conf:5: device rng0: queue_size: 48 is not a power of 2");
	bad_conf("mmio = 0x02000000+0x200\nirq = 33\nqueue_size = 65536\n", "power of 2");
	bad_conf("mmio = 0x02000000+0x200\nirq = 33\ngrant_usage = 2\n",
	         "grant_usage: 2 is not 0 or 1");
	bad_conf("mmio = 0x02000000+0x200\nirq = 33\nirq_mode = pulse\n",
	         "neither edge nor level");
	bad_conf("mmio = 0x02000000+0x200\n", "needs irq = N");
	bad_conf("mmio = 0x02000000+0x80\nirq = 33\n", "at least 0x100 bytes");
	bad_conf("pio = 0x510+0x200\nirq = 33\n", "at least 0x100 bytes");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("hook_virtio_mmio");
	TCase *tc = tcase_create("mmio");

	tcase_add_test(tc, test_mmio_identity_registers);
	tcase_add_test(tc, test_mmio_grant_usage_offers_access_platform);
	tcase_add_test(tc, test_mmio_rng_fills_buffers_and_interrupts_until_acked);
	tcase_add_test(tc, test_mmio_edge_mode_raises_and_never_lowers);
	tcase_add_test(tc, test_mmio_bad_accesses_are_refused_and_the_device_goes_on);
	tcase_add_test(tc,
	               test_mmio_status_write_with_upper_bits_resets_the_transport_too);
	tcase_add_test(tc, test_mmio_a_guest_refilling_the_ring_cannot_hold_the_loop);
	tcase_add_test(tc, test_mmio_bad_configurations_name_the_line);
	tcase_add_test(tc, test_mmio_stats_count_requests_bytes_and_bad_accesses);
	tcase_add_test(tc,
	               test_mmio_invalidate_drops_ring_mappings_and_the_queue_goes_on);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
