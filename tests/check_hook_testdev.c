/* SPDX-License-Identifier: MIT */
/*
 * Tests of the testdev hook through the mock daemon: its registers, the
 * doorbell interrupt, the deferred DEFER read completed from a timer, the PCI
 * config header the Xen test guest checks (tests/xen/README.md), and BAR0
 * sizing and moving, which remaps the register window.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mock-host.h"

extern const struct ioreqd_hook ioreqd_hook_testdev;

#define BASE 0xfeb01000ull
#define SBDF IOREQD_PCI_SBDF(0, 0, 5, 0)
#define CFG(reg) IOREQD_PCI_ADDR(SBDF, (reg))

/* The device of tests/xen/xentest-testdev.conf, plus an IRQ. */
static struct mock *with_testdev(const char *extra)
{
	struct mock *m = mock_new(1);
	char conf[256];
	int rc;

	snprintf(conf, sizeof(conf), "pci = 00:05.0\nmmio = 0xfeb01000+0x1000\n%s",
	         extra ? extra : "");
	rc = mock_add(m, &ioreqd_hook_testdev, "testdev0", conf, NULL);
	ck_assert_msg(rc == 0, "mock_add: %d %s", rc, mock_error(m));
	return m;
}

START_TEST(test_testdev_pci_header_matches_the_xen_guest)
{
	struct mock *m = with_testdev(NULL);

	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_PCI, CFG(0), 4), 0x00017e57);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_PCI, CFG(2), 2), 0x0001);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_PCI, CFG(0), 2), 0x7e57);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_PCI, CFG(0xb), 1), 0xff);
	mock_write(m, IOREQD_SPACE_PCI, CFG(0x40), 4, 0xa11ce5ed);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_PCI, CFG(0x40), 4), 0xa11ce5ed);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_PCI, CFG(0x42), 2), 0xa11c);
	/* The IDs are read-only; the rest of config space reads 0. */
	mock_write(m, IOREQD_SPACE_PCI, CFG(0), 4, 0x12345678);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_PCI, CFG(0), 4), 0x00017e57);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_PCI, CFG(0x100), 4), 0);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_PCI, CFG(0xffc), 4), 0);
	mock_free(m);
}
END_TEST

START_TEST(test_testdev_defer_read_completes_from_the_timer)
{
	struct mock *m = with_testdev(NULL);
	ioreq_t r = mock_req(IOREQD_SPACE_MMIO, BASE, 4, true, 0);
	uint64_t usec = 0;

	ck_assert_int_eq(mock_submit(m, 0, &r), 0);
	ck_assert_uint_ne(r.state, STATE_IORESP_READY);
	ck_assert_uint_eq(mock_deferred(m), 1);
	ck_assert_uint_eq(mock_timers_armed(m, &usec), 1);
	ck_assert_uint_eq(usec, 10000);
	ck_assert_uint_eq(mock_fire_timers(m), 1);
	ck_assert_uint_eq(r.state, STATE_IORESP_READY);
	ck_assert_uint_eq(r.data, 0xdefe2ed0);
	/* The vCPU is free again: a plain read completes at once. */
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, BASE + 4, 4), 0x7e570001);
	mock_free(m);
}
END_TEST

START_TEST(test_testdev_defers_one_read_per_vcpu_at_once)
{
	struct mock *m = with_testdev("delay_ms = 250");
	ioreq_t r[3];
	uint64_t usec = 0;

	for (unsigned v = 0; v < 3; v++) {
		r[v] = mock_req(IOREQD_SPACE_MMIO, BASE + 1, 1, true, 0);
		ck_assert_int_eq(mock_submit(m, v, &r[v]), 0);
	}
	ck_assert_uint_eq(mock_timers_armed(m, &usec), 3);
	ck_assert_uint_eq(usec, 250000);
	ck_assert_uint_eq(mock_fire_timers(m), 3);
	for (unsigned v = 0; v < 3; v++) {
		ck_assert_uint_eq(r[v].state, STATE_IORESP_READY);
		ck_assert_uint_eq(r[v].data, 0x2e); /* byte 1 of 0xdefe2ed0 */
	}
	mock_free(m);
}
END_TEST

START_TEST(test_testdev_delay_register_changes_the_wait)
{
	struct mock *m = with_testdev(NULL);
	ioreq_t r = mock_req(IOREQD_SPACE_MMIO, BASE, 4, true, 0);
	uint64_t usec = 0;

	mock_write(m, IOREQD_SPACE_MMIO, BASE + 0xc, 4, 3);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, BASE + 0xc, 4), 3);
	ck_assert_int_eq(mock_submit(m, 0, &r), 0);
	ck_assert_uint_eq(mock_timers_armed(m, &usec), 1);
	ck_assert_uint_eq(usec, 3000);
	mock_fire_timers(m);
	ck_assert_uint_eq(r.data, 0xdefe2ed0);
	mock_free(m);
}
END_TEST

START_TEST(test_testdev_id_version_and_scratch_registers)
{
	struct mock *m = with_testdev(NULL);

	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, BASE + 4, 4), 0x7e570001);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, BASE + 8, 4), 0x00010000);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, BASE + 6, 2), 0x7e57);
	mock_write(m, IOREQD_SPACE_MMIO, BASE + 4, 4, 0);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, BASE + 4, 4), 0x7e570001);
	mock_write(m, IOREQD_SPACE_MMIO, BASE + 0x20, 8, 0x0123456789abcdefull);
	mock_write(m, IOREQD_SPACE_MMIO, BASE + 0x3c, 4, 0xcafef00d);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, BASE + 0x20, 8),
	                  0x0123456789abcdefull);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, BASE + 0x23, 2), 0x6789);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, BASE + 0x3c, 4), 0xcafef00d);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, BASE + 0x800, 4), 0);
	mock_free(m);
}
END_TEST

START_TEST(test_testdev_doorbell_raises_and_clear_lowers_the_irq)
{
	struct mock *m = with_testdev("irq = 5");

	ck_assert_int_eq(mock_irq_level(m, 5), -1);
	mock_write(m, IOREQD_SPACE_MMIO, BASE + 0x10, 4, 1);
	ck_assert_int_eq(mock_irq_level(m, 5), 1);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, BASE + 0x14, 4), 1);
	mock_write(m, IOREQD_SPACE_MMIO, BASE + 0x10, 1, 0);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, BASE + 0x10, 4), 2);
	mock_write(m, IOREQD_SPACE_MMIO, BASE + 0x14, 4, 0);
	ck_assert_int_eq(mock_irq_level(m, 5), 0);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, BASE + 0x14, 4), 0);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_PCI, CFG(0x3c), 1), 5);
	mock_free(m);
}
END_TEST

START_TEST(test_testdev_doorbell_without_irq_only_counts)
{
	struct mock *m = with_testdev(NULL);

	mock_write(m, IOREQD_SPACE_MMIO, BASE + 0x10, 4, 1);
	ck_assert_uint_eq(mock_irq_calls(m), 0);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, BASE + 0x10, 4), 1);
	mock_free(m);
}
END_TEST

START_TEST(test_testdev_bar0_starts_at_the_mmio_range_and_sizes)
{
	struct mock *m = with_testdev(NULL);

	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_PCI, CFG(0x10), 4), BASE);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_PCI, CFG(4), 2) & 2, 2);
	/* Size probe with decoding off, as firmware does. */
	mock_write(m, IOREQD_SPACE_PCI, CFG(4), 2, 0);
	mock_write(m, IOREQD_SPACE_PCI, CFG(0x10), 4, 0xffffffff);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_PCI, CFG(0x10), 4), 0xfffff000);
	/* Decoding off: the window is gone. */
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, BASE + 4, 4), 0xffffffff);
	mock_free(m);
}
END_TEST

START_TEST(test_testdev_moving_bar0_moves_the_window)
{
	struct mock *m = with_testdev("bar_size = 0x1000");

	mock_write(m, IOREQD_SPACE_PCI, CFG(4), 2, 0);
	mock_write(m, IOREQD_SPACE_PCI, CFG(0x10), 4, 0xe0000123);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_PCI, CFG(0x10), 4), 0xe0000000);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, 0xe0000004, 4), 0xffffffff);
	mock_write(m, IOREQD_SPACE_PCI, CFG(4), 2, 2);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, 0xe0000004, 4), 0x7e570001);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, BASE + 4, 4), 0xffffffff);
	/* Moving it again with decoding on releases the old place. */
	mock_write(m, IOREQD_SPACE_PCI, CFG(0x10), 4, 0xe0010000);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, 0xe0010004, 4), 0x7e570001);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, 0xe0000004, 4), 0xffffffff);
	mock_free(m);
}
END_TEST

START_TEST(test_testdev_without_mmio_range_maps_when_programmed)
{
	struct mock *m = mock_new(1);

	ck_assert_int_eq(
	    mock_add(m, &ioreqd_hook_testdev, "t", "pci = 00:05.0\nbar_size = 64K", NULL),
	    0);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_PCI, CFG(0x10), 4), 0);
	mock_write(m, IOREQD_SPACE_PCI, CFG(0x10), 4, 0xffffffff);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_PCI, CFG(0x10), 4), 0xffff0000);
	mock_write(m, IOREQD_SPACE_PCI, CFG(0x10), 4, 0xd0000000);
	mock_write(m, IOREQD_SPACE_PCI, CFG(4), 1, 0x02);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, 0xd000fffc, 4), 0);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, 0xd0000004, 4), 0x7e570001);
	mock_free(m);
}
END_TEST

static unsigned count_lines(const struct mock *m, const char *needle)
{
	unsigned n = 0;

	for (unsigned i = 0; i < mock_log_count(m); i++)
		n += strstr(mock_log_line(m, i), needle) != NULL;
	return n;
}

/* Linux sizes BAR0 with decoding off and turns it back on: not a move. */
START_TEST(test_testdev_decode_toggles_do_not_log_a_move)
{
	struct mock *m = with_testdev(NULL);

	mock_log_clear(m);
	for (int i = 0; i < 8; i++) {
		mock_write(m, IOREQD_SPACE_PCI, CFG(4), 2, 0);
		mock_write(m, IOREQD_SPACE_PCI, CFG(0x10), 4, 0xffffffff);
		mock_write(m, IOREQD_SPACE_PCI, CFG(0x10), 4, (uint32_t)BASE);
		mock_write(m, IOREQD_SPACE_PCI, CFG(4), 2, 2);
	}
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, BASE + 4, 4), 0x7e570001);
	ck_assert_uint_eq(count_lines(m, "BAR0 at"), 0);
	/* A real move is still reported, once. */
	mock_write(m, IOREQD_SPACE_PCI, CFG(0x10), 4, 0xe0000000);
	mock_write(m, IOREQD_SPACE_PCI, CFG(4), 2, 0);
	mock_write(m, IOREQD_SPACE_PCI, CFG(4), 2, 2);
	ck_assert_uint_eq(count_lines(m, "info testdev0: testdev: BAR0 at 0xe0000000"),
	                  1);
	ck_assert_uint_eq(count_lines(m, "BAR0 at"), 1);
	mock_free(m);
}
END_TEST

static const struct ioreqd_hook *find_testdev(const char *name)
{
	return strcmp(name, "testdev") == 0 ? &ioreqd_hook_testdev : NULL;
}

/* The device tests/xen/xentest-testdev.conf gives the PVH guest's checks. */
START_TEST(test_testdev_serves_the_xen_test_config)
{
	struct mock *m = mock_new(1);
	ioreq_t r = mock_req(IOREQD_SPACE_MMIO, BASE, 4, true, 0);
	int rc = mock_add_file(m, SRCDIR "/tests/xen/xentest-testdev.conf", find_testdev);

	ck_assert_msg(rc == 0, "%d %s", rc, mock_error(m));
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_PCI, CFG(0), 4), 0x00017e57);
	mock_write(m, IOREQD_SPACE_PCI, CFG(0x40), 4, 0xa11ce5ed);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_PCI, CFG(0x40), 4), 0xa11ce5ed);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_PCI, CFG(2), 2), 0x0001);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_PCI,
	                            IOREQD_PCI_ADDR(IOREQD_PCI_SBDF(0, 0, 6, 0), 0), 4),
	                  0xffffffff);
	ck_assert_int_eq(mock_submit(m, 0, &r), 0);
	ck_assert_uint_eq(mock_fire_timers(m), 1);
	ck_assert_uint_eq(r.state, STATE_IORESP_READY);
	ck_assert_uint_eq(r.data, 0xdefe2ed0);
	mock_free(m);
}
END_TEST

static void expect_error(const char *conf, const char *what)
{
	struct mock *m = mock_new(1);

	mock_expect_cfg_error(m, &ioreqd_hook_testdev, "t", conf, NULL, what);
	mock_free(m);
}

START_TEST(test_testdev_config_errors)
{
	expect_error("pci = 00:05.0\nbar_size = 0x1800", "bar_size: 6144 is not a power");
	expect_error("pci = 00:05.0\nbar_size = 8", "not a power of two from 16");
	expect_error("pci = 00:05.0\ndelay_ms = 60001", "delay_ms: 60001 out of range");
	expect_error("mmio = 0xfeb01800+0x1000", "must be bar_size");
	expect_error("mmio = 0xfeb01000+0x2000", "must be bar_size");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("hook_testdev");
	TCase *tc = tcase_create("testdev");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_testdev_pci_header_matches_the_xen_guest);
	tcase_add_test(tc, test_testdev_defer_read_completes_from_the_timer);
	tcase_add_test(tc, test_testdev_defers_one_read_per_vcpu_at_once);
	tcase_add_test(tc, test_testdev_delay_register_changes_the_wait);
	tcase_add_test(tc, test_testdev_id_version_and_scratch_registers);
	tcase_add_test(tc, test_testdev_doorbell_raises_and_clear_lowers_the_irq);
	tcase_add_test(tc, test_testdev_doorbell_without_irq_only_counts);
	tcase_add_test(tc, test_testdev_bar0_starts_at_the_mmio_range_and_sizes);
	tcase_add_test(tc, test_testdev_moving_bar0_moves_the_window);
	tcase_add_test(tc, test_testdev_without_mmio_range_maps_when_programmed);
	tcase_add_test(tc, test_testdev_config_errors);
	tcase_add_test(tc, test_testdev_serves_the_xen_test_config);
	tcase_add_test(tc, test_testdev_decode_toggles_do_not_log_a_move);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
