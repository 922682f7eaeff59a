/* SPDX-License-Identifier: MIT */
/*
 * Tests of the rom hook through the mock daemon: reads of every size at any
 * offset show the file (from `offset`), bytes past a short file read 0xff,
 * writes are refused, counted and reported at fini, and configuration
 * errors name their key.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mock-host.h"

extern const struct ioreqd_hook ioreqd_hook_rom;

#define BASE 0xc0000ull

static char romfile[64];

/* Write @p len bytes of pattern (i * 7 + 1) to a fresh temporary file. */
static void make_rom(size_t len)
{
	FILE *fp;
	int fd;

	strcpy(romfile, "/tmp/check_hook_rom.XXXXXX");
	fd = mkstemp(romfile);
	ck_assert_int_ge(fd, 0);
	fp = fdopen(fd, "wb");
	ck_assert_ptr_nonnull(fp);
	for (size_t i = 0; i < len; i++)
		fputc((int)((i * 7 + 1) & 0xff), fp);
	fclose(fp);
}

static uint8_t pat(size_t i)
{
	return (uint8_t)((i * 7 + 1) & 0xff);
}

static struct mock *with_rom(const char *extra, ioreqd_dev_t **dev)
{
	struct mock *m = mock_new(2);
	char conf[256];
	int rc;

	snprintf(conf, sizeof(conf), "mmio = 0xc0000+0x100\nfile = %s\n%s", romfile,
	         extra ? extra : "");
	rc = mock_add(m, &ioreqd_hook_rom, "rom0", conf, dev);
	ck_assert_msg(rc == 0, "mock_add: %d %s", rc, mock_error(m));
	return m;
}

START_TEST(test_rom_reads_the_file_at_every_size_and_offset)
{
	struct mock *m;
	static const unsigned sizes[] = {1, 2, 4, 8};

	make_rom(0x100);
	m = with_rom(NULL, NULL);
	for (unsigned s = 0; s < 4; s++) {
		for (unsigned off = 0; off + sizes[s] <= 0x100; off++) {
			uint64_t v = 0;

			for (unsigned i = sizes[s]; i-- > 0;)
				v = (v << 8) | pat(off + i);
			ck_assert_uint_eq(
			    mock_read(m, IOREQD_SPACE_MMIO, BASE + off, sizes[s]), v);
		}
	}
	mock_free(m);
	unlink(romfile);
}
END_TEST

START_TEST(test_rom_short_file_reads_ff_past_its_end)
{
	struct mock *m;

	make_rom(0x13);
	m = with_rom(NULL, NULL);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, BASE + 0x12, 1), pat(0x12));
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, BASE + 0x13, 1), 0xff);
	/* Straddling the end: the file's byte, then 0xff. */
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, BASE + 0x12, 2),
	                  0xff00u | pat(0x12));
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, BASE + 0xf8, 8), ~0ull);
	ck_assert(mock_log_contains(m, "the rest reads 0xff"));
	mock_free(m);
	unlink(romfile);
}
END_TEST

START_TEST(test_rom_offset_skips_into_the_file)
{
	struct mock *m;

	make_rom(0x400);
	m = with_rom("offset = 0x300", NULL);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, BASE, 1), pat(0x300));
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, BASE + 0xff, 1), pat(0x3ff));
	mock_free(m);
	unlink(romfile);
}
END_TEST

START_TEST(test_rom_offset_past_the_end_reads_all_ff)
{
	struct mock *m;

	make_rom(0x10);
	m = with_rom("offset = 0x1000", NULL);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, BASE, 4), 0xffffffffu);
	mock_free(m);
	unlink(romfile);
}
END_TEST

START_TEST(test_rom_refuses_writes_and_counts_them_at_fini)
{
	struct mock *m;
	ioreqd_dev_t *dev;

	make_rom(0x100);
	m = with_rom(NULL, &dev);
	mock_write(m, IOREQD_SPACE_MMIO, BASE + 4, 4, 0xdeadbeef);
	mock_write(m, IOREQD_SPACE_MMIO, BASE + 5, 1, 0x00);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, BASE + 4, 1), pat(4));
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, BASE + 5, 1), pat(5));
	ck_assert(mock_log_contains(m, "refused: the window is read-only"));
	mock_dev_fini(dev);
	ck_assert(mock_log_contains(m, "rom: 2 write attempt(s) refused"));
	mock_free(m);
	unlink(romfile);
}
END_TEST

START_TEST(test_rom_file_is_read_once_at_start)
{
	struct mock *m;
	FILE *fp;

	make_rom(0x100);
	m = with_rom(NULL, NULL);
	fp = fopen(romfile, "wb");
	ck_assert_ptr_nonnull(fp);
	fputs("changed", fp);
	fclose(fp);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, BASE, 1), pat(0));
	mock_free(m);
	unlink(romfile);
}
END_TEST

static void expect_error(const char *conf, const char *what)
{
	struct mock *m = mock_new(2);

	mock_expect_cfg_error(m, &ioreqd_hook_rom, "rom0", conf, NULL, what);
	mock_free(m);
}

START_TEST(test_rom_config_errors_name_the_key)
{
	expect_error("mmio = 0xc0000+0x100", "file: required");
	expect_error("mmio = 0xc0000+0x100\nfile = /nonexistent/rom.bin",
	             "file: cannot open '/nonexistent/rom.bin'");
	expect_error("mmio = 0xc0000+0x100\nfile = /dev/null\noffset = x", "offset: ");
	expect_error("mmio = 0x100000000+0x8000000\nfile = /dev/null", "larger than 64M");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("hook_rom");
	TCase *tc = tcase_create("rom");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_rom_reads_the_file_at_every_size_and_offset);
	tcase_add_test(tc, test_rom_short_file_reads_ff_past_its_end);
	tcase_add_test(tc, test_rom_offset_skips_into_the_file);
	tcase_add_test(tc, test_rom_offset_past_the_end_reads_all_ff);
	tcase_add_test(tc, test_rom_refuses_writes_and_counts_them_at_fini);
	tcase_add_test(tc, test_rom_file_is_read_once_at_start);
	tcase_add_test(tc, test_rom_config_errors_name_the_key);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
