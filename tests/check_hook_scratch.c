/* SPDX-License-Identifier: MIT */
/*
 * Tests of the scratch hook through the mock daemon: round trips at every
 * size and offset (aligned or not) against a byte-array model, little-endian
 * composition, the fill byte, accesses beyond `size`, several ranges sharing
 * one block, PCI config space, and every configuration error.  Also checks
 * the built-in hook table that tests and tools use instead of dlopen().
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builtin.h"
#include "mock-host.h"

#define BASE 0xfeb00000ull

static const struct ioreqd_hook *scratch(void)
{
	const struct ioreqd_hook *h = ioreqd_builtin_hook_find("scratch");

	ck_assert_ptr_nonnull(h);
	return h;
}

static struct mock *with_scratch(const char *conf)
{
	struct mock *m = mock_new(3);
	int rc = mock_add(m, scratch(), "s0", conf, NULL);

	ck_assert_msg(rc == 0, "mock_add: %d %s", rc, mock_error(m));
	return m;
}

/* Expect init to fail with -EINVAL and an error naming @p key. */
static void expect_cfg_error(const char *conf, const char *key, const char *what)
{
	struct mock *m = mock_new(3);

	mock_expect_cfg_error(m, scratch(), "s0", conf, key, what);
	ck_assert_ptr_null(ioreqd_bus_lookup(mock_bus(m), IOREQD_SPACE_MMIO, BASE, 1));
	mock_free(m);
}

START_TEST(test_scratch_reads_back_at_every_size_and_offset)
{
	struct mock *m = with_scratch("mmio = 0xfeb00000+0x40");
	static const unsigned sizes[] = {1, 2, 4, 8};
	uint8_t model[0x40] = {0};
	uint64_t seed = 12345;

	for (unsigned iter = 0; iter < 4000; iter++) {
		unsigned size, off;
		uint64_t v = 0, got;

		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		size = sizes[(seed >> 33) % 4];
		off = (unsigned)((seed >> 40) % (0x40 - size + 1));
		if ((seed >> 20) & 1) {
			v = seed ^ (seed >> 17);
			mock_write(m, IOREQD_SPACE_MMIO, BASE + off, size, v);
			for (unsigned i = 0; i < size; i++)
				model[off + i] = (uint8_t)(v >> (8 * i));
		} else {
			got = mock_read(m, IOREQD_SPACE_MMIO, BASE + off, size);
			for (unsigned i = size; i-- > 0;)
				v = (v << 8) | model[off + i];
			ck_assert_msg(got == v, "read %u at 0x%x: 0x%llx != 0x%llx", size,
			              off, (unsigned long long)got,
			              (unsigned long long)v);
		}
	}
	/* Every (size, offset) pair, including unaligned ones, reads the model. */
	for (unsigned s = 0; s < 4; s++) {
		for (unsigned off = 0; off + sizes[s] <= 0x40; off++) {
			uint64_t v = 0;

			for (unsigned i = sizes[s]; i-- > 0;)
				v = (v << 8) | model[off + i];
			ck_assert_uint_eq(
			    mock_read(m, IOREQD_SPACE_MMIO, BASE + off, sizes[s]), v);
		}
	}
	mock_free(m);
}
END_TEST

START_TEST(test_scratch_is_little_endian_across_sizes)
{
	struct mock *m = with_scratch("mmio = 0xfeb00000+0x1000");

	mock_write(m, IOREQD_SPACE_MMIO, BASE, 8, 0x0807060504030201ull);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, BASE + 3, 1), 0x04);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, BASE + 1, 2), 0x0302);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, BASE + 4, 4), 0x08070605);
	/* Crossing the 8-byte boundary into bytes never written (fill 0). */
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, BASE + 5, 4), 0x00080706);
	mock_write(m, IOREQD_SPACE_MMIO, BASE + 7, 2, 0xbbaa);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, BASE, 8),
	                  0xaa07060504030201ull);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, BASE + 8, 1), 0xbb);
	/* The last bytes of the range work too. */
	mock_write(m, IOREQD_SPACE_MMIO, BASE + 0xff8, 8, 0x1122334455667788ull);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, BASE + 0xfff, 1), 0x11);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, BASE + 0xffc, 4), 0x11223344);
	mock_free(m);
}
END_TEST

START_TEST(test_scratch_fill_sets_every_byte)
{
	struct mock *m = with_scratch("pio = 0x510-0x51f\nfill = 0xa5");

	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_PIO, 0x510, 4), 0xa5a5a5a5);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_PIO, 0x51f, 1), 0xa5);
	mock_write(m, IOREQD_SPACE_PIO, 0x511, 2, 0x1234);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_PIO, 0x510, 4), 0xa51234a5);
	mock_free(m);
}
END_TEST

START_TEST(test_scratch_default_size_is_the_first_range)
{
	struct mock *m = with_scratch("pio = 0x510-0x51f");

	mock_write(m, IOREQD_SPACE_PIO, 0x51c, 4, 0xdeadbeef);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_PIO, 0x51c, 4), 0xdeadbeef);
	ck_assert(!mock_log_contains(m, "outside"));
	mock_free(m);
}
END_TEST

START_TEST(test_scratch_beyond_size_reads_ones_and_drops_writes)
{
	struct mock *m = with_scratch("mmio = 0xfeb00000+0x1000\nsize = 16");

	mock_write(m, IOREQD_SPACE_MMIO, BASE + 8, 8, 0x1111111111111111ull);
	ck_assert(!mock_log_contains(m, "outside"));
	/* Wholly past the block. */
	mock_write(m, IOREQD_SPACE_MMIO, BASE + 16, 4, 0x22222222);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, BASE + 16, 4), 0xffffffff);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, BASE + 0xff8, 8), ~0ull);
	/* Partly past it: the whole access is outside, nothing is written. */
	mock_write(m, IOREQD_SPACE_MMIO, BASE + 14, 4, 0x33333333);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, BASE + 14, 4), 0xffffffff);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, BASE + 8, 8),
	                  0x1111111111111111ull);
	ck_assert(mock_log_contains(m, "outside the 16-byte block (dropped)"));
	ck_assert(mock_log_contains(m, "outside the 16-byte block (reads all-ones)"));
	mock_free(m);
}
END_TEST

START_TEST(test_scratch_counts_strays_at_fini)
{
	struct mock *m = mock_new(3);
	ioreqd_dev_t *dev;

	ck_assert_int_eq(
	    mock_add(m, scratch(), "s0", "mmio = 0xfeb00000+0x100\nsize = 4", &dev), 0);
	for (unsigned i = 0; i < 3; i++)
		mock_read(m, IOREQD_SPACE_MMIO, BASE + 4 + i, 1);
	mock_dev_fini(dev);
	ck_assert(mock_log_contains(m, "3 accesses fell outside the block"));
	/* Gone from the bus: nobody handles the range any more. */
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, BASE, 4), 0xffffffff);
	mock_free(m);
}
END_TEST

START_TEST(test_scratch_ranges_share_one_block)
{
	struct mock *m = with_scratch("pio = 0x510+16\nmmio = 0xfeb00000+16");

	mock_write(m, IOREQD_SPACE_PIO, 0x514, 4, 0xcafef00d);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, BASE + 4, 4), 0xcafef00d);
	mock_write(m, IOREQD_SPACE_MMIO, BASE, 8, 0x0102030405060708ull);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_PIO, 0x510, 2), 0x0708);
	mock_free(m);
}
END_TEST

START_TEST(test_scratch_devices_are_independent)
{
	struct mock *m = with_scratch("mmio = 0xfeb00000+0x1000");

	ck_assert_int_eq(mock_add(m, scratch(), "s1", "pio = 0x510-0x51f", NULL), 0);
	mock_write(m, IOREQD_SPACE_MMIO, BASE, 4, 0x12345678);
	mock_write(m, IOREQD_SPACE_PIO, 0x510, 4, 0x9abcdef0);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, BASE, 4), 0x12345678);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_PIO, 0x510, 4), 0x9abcdef0);
	mock_free(m);
}
END_TEST

START_TEST(test_scratch_serves_pci_config_space)
{
	struct mock *m = with_scratch("pci = 0000:00:05.0");
	uint64_t cfg = IOREQD_PCI_ADDR(IOREQD_PCI_SBDF(0, 0, 5, 0), 0);

	mock_write(m, IOREQD_SPACE_PCI, cfg + 0x10, 4, 0xfebf0000);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_PCI, cfg + 0x10, 4), 0xfebf0000);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_PCI, cfg + 0x12, 2), 0xfebf);
	/* The default size is the whole 4 KiB config space. */
	mock_write(m, IOREQD_SPACE_PCI, cfg + 0xffc, 4, 0x5a5a5a5a);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_PCI, cfg + 0xffc, 4), 0x5a5a5a5a);
	mock_free(m);
}
END_TEST

START_TEST(test_scratch_rep_string_io_round_trips)
{
	struct mock *m = with_scratch("mmio = 0xfeb00000+0x100");
	uint8_t *mem = mock_guest_mem(m);
	ioreq_t r = mock_req(IOREQD_SPACE_MMIO, BASE, 4, false, 0x1000);

	for (unsigned i = 0; i < 16; i++)
		mem[0x1000 + i] = (uint8_t)(0x40 + i);
	r.count = 4;
	r.data_is_ptr = 1;
	ck_assert_int_eq(mock_submit(m, 0, &r), 1);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, BASE + 12, 4), 0x4f4e4d4c);
	r = mock_req(IOREQD_SPACE_MMIO, BASE, 2, true, 0x2000);
	r.count = 8;
	r.data_is_ptr = 1;
	ck_assert_int_eq(mock_submit(m, 1, &r), 1);
	ck_assert_int_eq(memcmp(mem + 0x2000, mem + 0x1000, 16), 0);
	mock_free(m);
}
END_TEST

START_TEST(test_scratch_config_errors_name_the_key)
{
	expect_cfg_error("mmio = 0xfeb00000+0x1000\nsize = lots", "size",
	                 "bad number 'lots'");
	expect_cfg_error("mmio = 0xfeb00000+0x1000\nsize = 0", "size",
	                 "0 out of range (1..16M)");
	expect_cfg_error("mmio = 0xfeb00000+0x1000\nsize = 16M1", "size", "bad number");
	expect_cfg_error("mmio = 0xfeb00000+0x1000\nsize = 0x1000001", "size",
	                 "16777217 out of range (1..16M)");
	expect_cfg_error("mmio = 0xfeb00000+0x1000\nfill = 256", "fill",
	                 "256 out of range (0..255)");
	expect_cfg_error("mmio = 0xfeb00000+0x1000\nfill = -1", "fill",
	                 "bad number '-1'");
	expect_cfg_error("mmio = 0x100000000+0x2000000", "size",
	                 "larger than 16M; set size");
}
END_TEST

START_TEST(test_scratch_config_error_has_the_key_line)
{
	struct mock *m = mock_new(3);

	/* Line 1 is the section, 2 the hook, so the test's lines start at 3. */
	ck_assert_int_eq(
	    mock_add(m, scratch(), "s0", "mmio = 0xfeb00000+0x1000\n\nfill = 300", NULL),
	    -EINVAL);
	ck_assert_str_eq(mock_error(m),
	                 "mock.conf:5: device s0: fill: 300 out of range (0..255)");
	mock_free(m);
}
END_TEST

START_TEST(test_scratch_large_range_with_explicit_size)
{
	struct mock *m = with_scratch("mmio = 0x100000000+0x2000000\nsize = 16M");

	mock_write(m, IOREQD_SPACE_MMIO, 0x100fffffcull, 4, 0x01020304);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, 0x100fffffcull, 4), 0x01020304);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, 0x101000000ull, 4), 0xffffffff);
	mock_free(m);
}
END_TEST

START_TEST(test_scratch_rejects_undeclared_key)
{
	struct mock *m = mock_new(3);

	ck_assert_int_eq(
	    mock_add(m, scratch(), "s0", "mmio = 0xfeb00000+16\nsiz = 4", NULL), -EINVAL);
	ck_assert_str_eq(mock_error(m),
	                 "mock.conf:4: device s0: unknown key 'siz' for hook 'scratch' "
	                 "(it takes: size, fill)");
	mock_free(m);
}
END_TEST

START_TEST(test_builtin_table_lists_well_formed_hooks)
{
	static const char *const names[] = {"debugcon", "override", "scratch"};
	unsigned n = 0;

	for (unsigned i = 0; ioreqd_builtin_hooks[i]; i++, n++) {
		const struct ioreqd_hook *h = ioreqd_builtin_hooks[i];

		ck_assert_uint_eq(h->abi, IOREQD_HOOK_ABI);
		ck_assert_ptr_nonnull(h->name);
		ck_assert_ptr_nonnull(h->summary);
		ck_assert_ptr_nonnull(h->init);
		ck_assert_ptr_nonnull(h->fini);
		ck_assert_ptr_nonnull(h->access);
		ck_assert_ptr_nonnull(h->keys);
		for (const struct ioreqd_hook_key *k = h->keys; k->name; k++)
			ck_assert_ptr_nonnull(k->help);
		ck_assert_ptr_eq(ioreqd_builtin_hook_find(h->name), h);
	}
	/* Every hook in the table is checked above; these must be among them. */
	ck_assert_uint_ge(n, 3);
	for (unsigned i = 0; i < 3; i++)
		ck_assert_str_eq(ioreqd_builtin_hook_find(names[i])->name, names[i]);
	ck_assert_ptr_null(ioreqd_builtin_hook_find("nope"));
	ck_assert_ptr_null(ioreqd_builtin_hook_find(""));
	ck_assert_ptr_null(ioreqd_builtin_hook_find(NULL));
}
END_TEST

static Suite *scratch_suite(void)
{
	Suite *s = suite_create("hook_scratch");
	TCase *tc = tcase_create("access");

	tcase_add_test(tc, test_scratch_reads_back_at_every_size_and_offset);
	tcase_add_test(tc, test_scratch_is_little_endian_across_sizes);
	tcase_add_test(tc, test_scratch_fill_sets_every_byte);
	tcase_add_test(tc, test_scratch_default_size_is_the_first_range);
	tcase_add_test(tc, test_scratch_beyond_size_reads_ones_and_drops_writes);
	tcase_add_test(tc, test_scratch_counts_strays_at_fini);
	tcase_add_test(tc, test_scratch_ranges_share_one_block);
	tcase_add_test(tc, test_scratch_devices_are_independent);
	tcase_add_test(tc, test_scratch_serves_pci_config_space);
	tcase_add_test(tc, test_scratch_rep_string_io_round_trips);
	tcase_add_test(tc, test_scratch_large_range_with_explicit_size);
	suite_add_tcase(s, tc);

	tc = tcase_create("config");
	tcase_add_test(tc, test_scratch_config_errors_name_the_key);
	tcase_add_test(tc, test_scratch_config_error_has_the_key_line);
	tcase_add_test(tc, test_scratch_rejects_undeclared_key);
	tcase_add_test(tc, test_builtin_table_lists_well_formed_hooks);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(scratch_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
