/* SPDX-License-Identifier: MIT */
/*
 * Tests of the override hook, which exists to demonstrate handler chains:
 * installed after a scratch device on the same range it runs first, handles
 * its one register (reads, sub-register reads, drop/pass/latch writes) and
 * passes every other access, including ones only partly inside the register,
 * to the scratch device underneath.  Also runs the shipped etc/demo.conf
 * through the mock, since that file exists to show exactly this chain.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builtin.h"
#include "mock-host.h"

#define BASE 0xfeb00000ull
#define RANGE "mmio = 0xfeb00000+0x1000\n"

static const struct ioreqd_hook *hook(const char *name)
{
	const struct ioreqd_hook *h = ioreqd_builtin_hook_find(name);

	ck_assert_ptr_nonnull(h);
	return h;
}

/* scratch "s" on RANGE with bytes 0..0x1f = 0x00..0x1f, then override on top. */
static struct mock *chain(const char *override_conf)
{
	struct mock *m = mock_new(1);
	int rc;

	ck_assert_int_eq(mock_add(m, hook("scratch"), "s", RANGE, NULL), 0);
	for (unsigned i = 0; i < 0x20; i++)
		mock_write(m, IOREQD_SPACE_MMIO, BASE + i, 1, i);
	rc = mock_add(m, hook("override"), "o", override_conf, NULL);
	ck_assert_msg(rc == 0, "%d %s", rc, mock_error(m));
	return m;
}

static uint64_t rd(struct mock *m, uint64_t off, unsigned size)
{
	return mock_read(m, IOREQD_SPACE_MMIO, BASE + off, size);
}

static void wr(struct mock *m, uint64_t off, unsigned size, uint64_t v)
{
	mock_write(m, IOREQD_SPACE_MMIO, BASE + off, size, v);
}

START_TEST(test_override_after_scratch_joins_its_chain)
{
	struct mock *m = chain(RANGE "offset = 0x10\nvalue = 0x10ad10ad");
	struct ioreqd_range *r =
	    ioreqd_bus_find(mock_bus(m), IOREQD_SPACE_MMIO, BASE, BASE + 0xfff);

	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(ioreqd_range_chain_length(r), 2);
	/* Installed later, so it runs first. */
	ck_assert_str_eq(ioreqd_hnode_handler(ioreqd_range_head(r))->name, "o");
	ck_assert_uint_eq(ioreqd_bus_count(mock_bus(m), IOREQD_SPACE_MMIO), 1);
	mock_free(m);
}
END_TEST

START_TEST(test_override_handles_only_its_register)
{
	struct mock *m = chain(RANGE "offset = 0x10\nvalue = 0x10ad10ad");

	ck_assert_uint_eq(rd(m, 0x10, 4), 0x10ad10ad);
	/* Everything else is the scratch device's. */
	ck_assert_uint_eq(rd(m, 0x14, 4), 0x17161514);
	ck_assert_uint_eq(rd(m, 0x0c, 4), 0x0f0e0d0c);
	ck_assert_uint_eq(rd(m, 0x00, 8), 0x0706050403020100ull);
	wr(m, 0x14, 4, 0xaabbccdd);
	ck_assert_uint_eq(rd(m, 0x14, 4), 0xaabbccdd);
	mock_free(m);
}
END_TEST

START_TEST(test_override_sub_register_reads_see_their_bytes)
{
	struct mock *m = chain(RANGE "offset = 0x10\nvalue = 0x10ad10ad");

	ck_assert_uint_eq(rd(m, 0x10, 1), 0xad);
	ck_assert_uint_eq(rd(m, 0x11, 1), 0x10);
	ck_assert_uint_eq(rd(m, 0x13, 1), 0x10);
	ck_assert_uint_eq(rd(m, 0x12, 2), 0x10ad);
	ck_assert_uint_eq(rd(m, 0x11, 2), 0xad10);
	mock_free(m);
}
END_TEST

START_TEST(test_override_passes_partial_overlaps_whole)
{
	struct mock *m = chain(RANGE "offset = 0x10\nvalue = 0x10ad10ad");

	/* Straddling the start or the end of the register: the scratch's bytes. */
	ck_assert_uint_eq(rd(m, 0x0e, 4), 0x11100f0e);
	ck_assert_uint_eq(rd(m, 0x12, 4), 0x15141312);
	ck_assert_uint_eq(rd(m, 0x10, 8), 0x1716151413121110ull);
	wr(m, 0x0f, 2, 0xeeff);
	ck_assert_uint_eq(rd(m, 0x10, 4), 0x10ad10ad);
	ck_assert_uint_eq(rd(m, 0x0f, 1), 0xff);
	mock_free(m);
}
END_TEST

START_TEST(test_override_drop_keeps_value_and_device_untouched)
{
	struct mock *m = mock_new(1);
	ioreqd_dev_t *o;

	ck_assert_int_eq(mock_add(m, hook("scratch"), "s", RANGE, NULL), 0);
	ck_assert_int_eq(
	    mock_add(m, hook("override"), "o",
	             RANGE "offset = 0x10\nvalue = 0x10ad10ad\nwrites = drop", &o),
	    0);
	wr(m, 0x10, 4, 0x12345678);
	wr(m, 0x12, 1, 0x99);
	ck_assert_uint_eq(rd(m, 0x10, 4), 0x10ad10ad);
	/* Take the override away: the scratch below never saw the writes. */
	mock_dev_fini(o);
	ck_assert_uint_eq(rd(m, 0x10, 4), 0);
	ck_assert_uint_eq(ioreqd_range_chain_length(ioreqd_bus_find(
	                      mock_bus(m), IOREQD_SPACE_MMIO, BASE, BASE + 0xfff)),
	                  1);
	mock_free(m);
}
END_TEST

START_TEST(test_override_pass_gives_writes_to_the_device_below)
{
	struct mock *m = mock_new(1);
	ioreqd_dev_t *o;

	ck_assert_int_eq(mock_add(m, hook("scratch"), "s", RANGE, NULL), 0);
	ck_assert_int_eq(mock_add(m, hook("override"), "o",
	                          RANGE "offset = 0x10\nvalue = 7\nwrites = pass", &o),
	                 0);
	wr(m, 0x10, 4, 0x12345678);
	ck_assert_uint_eq(rd(m, 0x10, 4), 7);
	mock_dev_fini(o);
	ck_assert_uint_eq(rd(m, 0x10, 4), 0x12345678);
	mock_free(m);
}
END_TEST

START_TEST(test_override_latch_updates_value_bytewise)
{
	struct mock *m = mock_new(1);
	ioreqd_dev_t *o;

	ck_assert_int_eq(mock_add(m, hook("scratch"), "s", RANGE, NULL), 0);
	ck_assert_int_eq(
	    mock_add(m, hook("override"), "o",
	             RANGE "offset = 0x10\nvalue = 0x10ad10ad\nwrites = latch", &o),
	    0);
	wr(m, 0x10, 4, 0xcafebabe);
	ck_assert_uint_eq(rd(m, 0x10, 4), 0xcafebabe);
	wr(m, 0x12, 1, 0x00);
	ck_assert_uint_eq(rd(m, 0x10, 4), 0xca00babe);
	wr(m, 0x11, 2, 0x1234);
	ck_assert_uint_eq(rd(m, 0x10, 4), 0xca1234be);
	mock_dev_fini(o);
	ck_assert_uint_eq(rd(m, 0x10, 4), 0);
	mock_free(m);
}
END_TEST

START_TEST(test_override_widths_1_2_and_8)
{
	struct mock *m =
	    chain(RANGE "offset = 0x8\nwidth = 8\nvalue = 0x0123456789abcdef");

	ck_assert_uint_eq(rd(m, 0x8, 8), 0x0123456789abcdefull);
	ck_assert_uint_eq(rd(m, 0xc, 4), 0x01234567);
	ck_assert_uint_eq(rd(m, 0xf, 1), 0x01);
	ck_assert_uint_eq(rd(m, 0x10, 1), 0x10);
	mock_free(m);

	m = chain(RANGE "offset = 0x3\nwidth = 1\nvalue = 0xee");
	ck_assert_uint_eq(rd(m, 0x3, 1), 0xee);
	ck_assert_uint_eq(rd(m, 0x2, 2), 0x0302);
	ck_assert_uint_eq(rd(m, 0x0, 4), 0x03020100);
	mock_free(m);

	m = chain(RANGE "offset = 0x6\nwidth = 2\nvalue = 0xbeef");
	ck_assert_uint_eq(rd(m, 0x6, 2), 0xbeef);
	ck_assert_uint_eq(rd(m, 0x7, 1), 0xbe);
	ck_assert_uint_eq(rd(m, 0x4, 4), 0x07060504);
	mock_free(m);
}
END_TEST

START_TEST(test_override_default_register_is_4_bytes_at_0)
{
	struct mock *m = chain(RANGE "value = 0xffffffff");

	ck_assert_uint_eq(rd(m, 0, 4), 0xffffffff);
	ck_assert_uint_eq(rd(m, 4, 4), 0x07060504);
	mock_free(m);
}
END_TEST

START_TEST(test_override_installed_first_is_shadowed)
{
	/* Installed before the scratch device, it runs second and sees nothing. */
	struct mock *m = mock_new(1);

	ck_assert_int_eq(mock_add(m, hook("override"), "o", RANGE "value = 0x55", NULL),
	                 0);
	ck_assert_int_eq(mock_add(m, hook("scratch"), "s", RANGE "fill = 0x11", NULL), 0);
	ck_assert_uint_eq(rd(m, 0, 4), 0x11111111);
	mock_free(m);

	/* ... unless its order says it belongs in front. */
	m = mock_new(1);
	ck_assert_int_eq(
	    mock_add(m, hook("override"), "o", RANGE "order = first\nvalue = 0x55", NULL),
	    0);
	ck_assert_int_eq(mock_add(m, hook("scratch"), "s", RANGE "fill = 0x11", NULL), 0);
	ck_assert_uint_eq(rd(m, 0, 4), 0x55);
	ck_assert_uint_eq(rd(m, 4, 4), 0x11111111);
	mock_free(m);
}
END_TEST

START_TEST(test_override_alone_leaves_the_rest_unhandled)
{
	struct mock *m = mock_new(1);

	ck_assert_int_eq(
	    mock_add(m, hook("override"), "o", "pio = 0x510-0x51f\nvalue = 42", NULL), 0);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_PIO, 0x510, 4), 42);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_PIO, 0x514, 2), 0xffff);
	ck_assert_uint_eq(ioreqd_engine_stats(mock_engine(m))->unhandled, 1);
	ck_assert(mock_log_contains(m, "unhandled read"));
	mock_free(m);
}
END_TEST

/* Expect init to fail with -EINVAL and an error naming @p key. */
static void expect_cfg_error(const char *conf, const char *key, const char *what)
{
	struct mock *m = mock_new(1);

	mock_expect_cfg_error(m, hook("override"), "o", conf, key, what);
	mock_free(m);
}

START_TEST(test_override_config_errors_name_the_key)
{
	expect_cfg_error(RANGE "offset = x10", "offset", "bad number 'x10'");
	expect_cfg_error(RANGE "width = 3", "width", "3 is not 1, 2, 4 or 8");
	expect_cfg_error(RANGE "width = 0", "width", "0 is not 1, 2, 4 or 8");
	expect_cfg_error(RANGE "width = four", "width", "bad number");
	expect_cfg_error(RANGE "value = 0x1ffff\nwidth = 2", "value",
	                 "0x1ffff does not fit in 2 bytes");
	expect_cfg_error(RANGE "value = 0x100000000", "value", "does not fit in 4 bytes");
	expect_cfg_error(RANGE "value = 1T", "value", "bad number");
	expect_cfg_error(RANGE "offset = 0x1000", "offset",
	                 "0x1000 + width 4 is outside the range 0xfeb00000-0xfeb00fff");
	expect_cfg_error(RANGE "offset = 0xffd", "offset", "outside the range");
	expect_cfg_error(RANGE "offset = 0xffffffffffffffff", "offset",
	                 "outside the range");
	expect_cfg_error("pio = 0x510-0x51f\nmmio = 0xfeb00000+8\noffset = 0xc", "offset",
	                 "outside the range 0xfeb00000-0xfeb00007");
	expect_cfg_error(RANGE "writes = keep", "writes",
	                 "bad value 'keep' (use drop, pass or latch)");
}
END_TEST

START_TEST(test_override_register_at_the_very_end_is_accepted)
{
	struct mock *m = chain(RANGE "offset = 0xffc\nvalue = 0xabcdef01");

	ck_assert_uint_eq(rd(m, 0xffc, 4), 0xabcdef01);
	ck_assert_uint_eq(rd(m, 0xff8, 4), 0);
	mock_free(m);
}
END_TEST

START_TEST(test_demo_conf_builds_the_override_chain)
{
	struct mock *m = mock_new(1);
	int rc = mock_add_file(m, SRCDIR "/etc/demo.conf", ioreqd_builtin_hook_find);

	ck_assert_msg(rc == 0, "%d %s", rc, mock_error(m));
	/* override0 sits on scratch0's range, in front of it. */
	ck_assert_uint_eq(rd(m, 0x10, 4), 0x10ad10ad);
	wr(m, 0x10, 4, 0);
	ck_assert_uint_eq(rd(m, 0x10, 4), 0x10ad10ad);
	wr(m, 0x14, 4, 0x600df00d);
	ck_assert_uint_eq(rd(m, 0x14, 4), 0x600df00d);
	ck_assert_uint_eq(ioreqd_range_chain_length(ioreqd_bus_find(
	                      mock_bus(m), IOREQD_SPACE_MMIO, BASE, BASE + 0xfff)),
	                  2);
	/* scratch1 on ports 0x510-0x51f; debugcon answers 0xe9 on port 0xe9. */
	mock_write(m, IOREQD_SPACE_PIO, 0x518, 4, 0x12345678);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_PIO, 0x518, 4), 0x12345678);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_PIO, 0xe9, 1), 0xe9);
	mock_free(m);
}
END_TEST

START_TEST(test_annotated_conf_devices_all_initialise)
{
	struct mock *m = mock_new(1);
	int rc = mock_add_file(m, SRCDIR "/etc/ioreqd.conf", ioreqd_builtin_hook_find);

	ck_assert_msg(rc == 0, "%d %s", rc, mock_error(m));
	mock_free(m);
}
END_TEST

static Suite *override_suite(void)
{
	Suite *s = suite_create("hook_override");
	TCase *tc = tcase_create("chain");

	tcase_add_test(tc, test_override_after_scratch_joins_its_chain);
	tcase_add_test(tc, test_override_handles_only_its_register);
	tcase_add_test(tc, test_override_sub_register_reads_see_their_bytes);
	tcase_add_test(tc, test_override_passes_partial_overlaps_whole);
	tcase_add_test(tc, test_override_drop_keeps_value_and_device_untouched);
	tcase_add_test(tc, test_override_pass_gives_writes_to_the_device_below);
	tcase_add_test(tc, test_override_latch_updates_value_bytewise);
	tcase_add_test(tc, test_override_widths_1_2_and_8);
	tcase_add_test(tc, test_override_default_register_is_4_bytes_at_0);
	tcase_add_test(tc, test_override_installed_first_is_shadowed);
	tcase_add_test(tc, test_override_alone_leaves_the_rest_unhandled);
	tcase_add_test(tc, test_override_register_at_the_very_end_is_accepted);
	suite_add_tcase(s, tc);

	tc = tcase_create("config");
	tcase_add_test(tc, test_override_config_errors_name_the_key);
	tcase_add_test(tc, test_demo_conf_builds_the_override_chain);
	tcase_add_test(tc, test_annotated_conf_devices_all_initialise);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(override_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
