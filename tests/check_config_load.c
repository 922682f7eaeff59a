/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for lib/config.c beyond parsing text (check_config.c): reading
 * a configuration file from disk (what a missing, huge, directory or FIFO
 * path says); the number, boolean and range parsers on their own; and a
 * seeded mutation loop that feeds the parser broken variants of a valid file
 * (under --enable-asan that doubles as a leak and overflow check).
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char err[IOREQD_CFG_ERRLEN];

/* ---- files ---------------------------------------------------------------- */

START_TEST(test_cfg_load_reads_a_file_and_names_it)
{
	char path[] = "/tmp/check_config_XXXXXX";
	int fd = mkstemp(path);
	struct ioreqd_cfg *cfg = NULL;
	static const char text[] = "[device a]\nhook = h\npio = 1\n[device b]\n";

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, sizeof(text) - 1), (int)sizeof(text) - 1);
	close(fd);
	ck_assert_int_eq(ioreqd_cfg_load(path, &cfg, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_null(cfg);
	{
		char want[128];

		snprintf(want, sizeof(want), "%s:4: device 'b': missing 'hook'", path);
		ck_assert_str_eq(err, want);
	}
	fd = open(path, O_WRONLY | O_TRUNC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, 28), 28);
	close(fd);
	ck_assert_int_eq(ioreqd_cfg_load(path, &cfg, err, sizeof(err)), 0);
	ck_assert_str_eq(cfg->path, path);
	ck_assert_uint_eq(cfg->nr_devs, 1);
	ioreqd_cfg_free(cfg);
	unlink(path);
}
END_TEST

START_TEST(test_cfg_load_reports_missing_file)
{
	struct ioreqd_cfg *cfg = (struct ioreqd_cfg *)1;

	ck_assert_int_eq(
	    ioreqd_cfg_load("/nonexistent/ioreqd.conf", &cfg, err, sizeof(err)), -ENOENT);
	ck_assert_ptr_null(cfg);
	ck_assert_str_eq(err, "/nonexistent/ioreqd.conf: No such file or directory");
}
END_TEST

START_TEST(test_cfg_load_refuses_huge_file)
{
	char path[] = "/tmp/check_config_XXXXXX";
	int fd = mkstemp(path);
	struct ioreqd_cfg *cfg = NULL;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, (2 << 20)), 0);
	close(fd);
	ck_assert_int_eq(ioreqd_cfg_load(path, &cfg, err, sizeof(err)), -EFBIG);
	ck_assert_ptr_null(cfg);
	ck_assert_ptr_nonnull(strstr(err, "file too large"));
	unlink(path);
}
END_TEST

START_TEST(test_cfg_load_says_a_directory_is_a_directory)
{
	char dir[] = "/tmp/check_config_XXXXXX", want[128];
	struct ioreqd_cfg *cfg = (struct ioreqd_cfg *)1;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(ioreqd_cfg_load(dir, &cfg, err, sizeof(err)), -EISDIR);
	ck_assert_ptr_null(cfg);
	snprintf(want, sizeof(want), "%s: is a directory, not a configuration file", dir);
	ck_assert_str_eq(err, want);
	rmdir(dir);
}
END_TEST

/* Opening a FIFO for reading would wait for a writer: refused at once instead. */
START_TEST(test_cfg_load_refuses_a_fifo_without_blocking)
{
	char dir[] = "/tmp/check_config_XXXXXX", path[64], want[160];
	struct ioreqd_cfg *cfg = (struct ioreqd_cfg *)1;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/fifo.conf", dir);
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	ck_assert_int_eq(ioreqd_cfg_load(path, &cfg, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_null(cfg);
	snprintf(want, sizeof(want), "%s: is not a regular file", path);
	ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "%s", err);
	unlink(path);
	rmdir(dir);
}
END_TEST

/* A long path fits: libinih's 200-byte lines are not the limit. */

/* ---- numbers, booleans, ranges -------------------------------------------- */

START_TEST(test_cfg_parse_u64_bases_and_suffixes)
{
	static const struct {
		const char *s;
		uint64_t v;
	} ok[] = {
	    {"0", 0},
	    {"7", 7},
	    {"18446744073709551615", UINT64_MAX},
	    {"0x0", 0},
	    {"0XfF", 255},
	    {"0xffffffffffffffff", UINT64_MAX},
	    {"010", 8},
	    {"0777", 511},
	    {"1K", 1024},
	    {"4k", 4096},
	    {"16M", 16u << 20},
	    {"2G", 2ull << 30},
	    {"0x10K", 0x4000},
	    {"010K", 8192},
	    {"0K", 0},
	    {"17179869183G", 17179869183ull << 30},
	};
	uint64_t v;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		ck_assert_msg(ioreqd_cfg_parse_u64(ok[i].s, &v) == 0, "%s", ok[i].s);
		ck_assert_msg(v == ok[i].v, "%s -> %llu", ok[i].s, (unsigned long long)v);
	}
}
END_TEST

START_TEST(test_cfg_parse_u64_rejects_junk_and_overflow)
{
	static const char *const bad[] = {"",   " 1",  "1 ",  "-1",  "+1",
	                                  "0x", "0xg", "08",  "09",  "1KB",
	                                  "1T", "K",   "1.5", "12a", "0x1K0"};
	static const char *const big[] = {
	    "18446744073709551616", "0x10000000000000000", "2000000000000000000000",
	    "17179869184G",         "18014398509481984K",  "02000000000000000000000"};
	uint64_t v = 1;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(ioreqd_cfg_parse_u64(bad[i], &v) == -EINVAL, "'%s'",
		              bad[i]);
		ck_assert_uint_eq(v, 0);
	}
	for (size_t i = 0; i < sizeof(big) / sizeof(big[0]); i++)
		ck_assert_msg(ioreqd_cfg_parse_u64(big[i], &v) == -ERANGE, "'%s'",
		              big[i]);
	ck_assert_int_eq(ioreqd_cfg_parse_u64(NULL, &v), -EINVAL);
}
END_TEST

START_TEST(test_cfg_parse_bool_words)
{
	static const char *const yes[] = {"yes", "YES", "true", "True", "on", "1"};
	static const char *const no[] = {"no", "No", "false", "FALSE", "off", "0"};
	static const char *const bad[] = {"", "y", "n", "2", "yes ", "enable"};
	bool b;

	for (size_t i = 0; i < 6; i++) {
		ck_assert_int_eq(ioreqd_cfg_parse_bool(yes[i], &b), 0);
		ck_assert(b);
		ck_assert_int_eq(ioreqd_cfg_parse_bool(no[i], &b), 0);
		ck_assert(!b);
		ck_assert_int_eq(ioreqd_cfg_parse_bool(bad[i], &b), -EINVAL);
	}
	ck_assert_int_eq(ioreqd_cfg_parse_bool(NULL, &b), -EINVAL);
}
END_TEST

START_TEST(test_cfg_parse_range_forms)
{
	static const struct {
		enum ioreqd_space space;
		const char *s;
		uint64_t base, last;
	} ok[] = {
	    {IOREQD_SPACE_PIO, "0x3f8-0x3ff", 0x3f8, 0x3ff},
	    {IOREQD_SPACE_PIO, "0x3f8+8", 0x3f8, 0x3ff},
	    {IOREQD_SPACE_PIO, "0xe9", 0xe9, 0xe9},
	    {IOREQD_SPACE_PIO, " 0x10 - 0x1f ", 0x10, 0x1f},
	    {IOREQD_SPACE_PIO, "0x10 + 16", 0x10, 0x1f},
	    {IOREQD_SPACE_PIO, "0-0xffff", 0, 0xffff},
	    {IOREQD_SPACE_PIO, "0xffff", 0xffff, 0xffff},
	    {IOREQD_SPACE_PIO, "0x10-0x10", 0x10, 0x10},
	    {IOREQD_SPACE_MMIO, "0xfeb00000+4K", 0xfeb00000, 0xfeb00fff},
	    {IOREQD_SPACE_MMIO, "1G+1G", 1ull << 30, (2ull << 30) - 1},
	    {IOREQD_SPACE_MMIO, "0xfffffffffffff000-0xffffffffffffffff",
	     0xfffffffffffff000ull, UINT64_MAX},
	    {IOREQD_SPACE_MMIO, "0xfffffffffffff000+0x1000", 0xfffffffffffff000ull,
	     UINT64_MAX},
	    {IOREQD_SPACE_MMIO, "0xffffffffffffffff", UINT64_MAX, UINT64_MAX},
	    {IOREQD_SPACE_MMIO, "0+0xffffffffffffffff", 0, UINT64_MAX - 1},
	    {IOREQD_SPACE_MMIO, "0-0xffffffffffffffff", 0, UINT64_MAX},
	    {IOREQD_SPACE_MMIO, "010-011", 8, 9},
	};
	uint64_t base, last;
	const char *why;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		ck_assert_msg(
		    ioreqd_cfg_parse_range(ok[i].space, ok[i].s, &base, &last, &why) == 0,
		    "%s", ok[i].s);
		ck_assert_msg(base == ok[i].base && last == ok[i].last, "%s", ok[i].s);
		ck_assert_ptr_null(why);
	}
}
END_TEST

START_TEST(test_cfg_parse_range_rejects_with_reason)
{
	static const struct {
		enum ioreqd_space space;
		const char *s, *why;
	} bad[] = {
	    {IOREQD_SPACE_MMIO, "", "empty"},
	    {IOREQD_SPACE_MMIO, "   ", "empty"},
	    {IOREQD_SPACE_MMIO, "0x1000+0", "size 0"},
	    {IOREQD_SPACE_MMIO, "0x10-0x0", "end below start"},
	    {IOREQD_SPACE_MMIO, "0x1-0", "end below start"},
	    {IOREQD_SPACE_MMIO, "0xffffffffffffffff+2",
	     "wraps past the end of the address space"},
	    {IOREQD_SPACE_MMIO, "2+0xffffffffffffffff",
	     "wraps past the end of the address space"},
	    {IOREQD_SPACE_MMIO, "x", "not a number"},
	    {IOREQD_SPACE_MMIO, "1-", "not a number"},
	    {IOREQD_SPACE_MMIO, "+1", "not a number"},
	    {IOREQD_SPACE_MMIO, "1--2", "not a number"},
	    {IOREQD_SPACE_MMIO, "1-2-3", "not a number"},
	    {IOREQD_SPACE_MMIO, "1 2", "not a number"},
	    {IOREQD_SPACE_MMIO, "99999999999999999999", "number too large"},
	    {IOREQD_SPACE_MMIO, "1+99999999999999999999", "number too large"},
	    {IOREQD_SPACE_PIO, "0x10000", "beyond port 0xffff"},
	    {IOREQD_SPACE_PIO, "0xfffe+3", "beyond port 0xffff"},
	    {IOREQD_SPACE_PIO, "0-0x10000", "beyond port 0xffff"},
	    {IOREQD_SPACE_COUNT, "1", "unknown address space"},
	};
	uint64_t base = 1, last = 1;
	const char *why;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(ioreqd_cfg_parse_range(bad[i].space, bad[i].s, &base, &last,
		                                     &why) == -EINVAL,
		              "'%s'", bad[i].s);
		ck_assert_str_eq(why, bad[i].why);
		ck_assert_uint_eq(base, 0);
		ck_assert_uint_eq(last, 0);
	}
	/* why may be NULL. */
	ck_assert_int_eq(
	    ioreqd_cfg_parse_range(IOREQD_SPACE_PIO, "x", &base, &last, NULL), -EINVAL);
	ck_assert_int_eq(
	    ioreqd_cfg_parse_range(IOREQD_SPACE_PIO, NULL, &base, &last, &why), -EINVAL);
}
END_TEST

START_TEST(test_cfg_parse_range_pci_forms)
{
	static const struct {
		const char *s;
		uint32_t sbdf;
	} ok[] = {
	    {"0000:00:05.0", IOREQD_PCI_SBDF(0, 0, 5, 0)},
	    {"00:05.0", IOREQD_PCI_SBDF(0, 0, 5, 0)},
	    {"0:5.0", IOREQD_PCI_SBDF(0, 0, 5, 0)},
	    {"ffff:ff:1f.7", IOREQD_PCI_SBDF(0xffff, 0xff, 31, 7)},
	    {"0001:0a:1F.3", IOREQD_PCI_SBDF(1, 0x0a, 31, 3)},
	    {"FF:00.1", IOREQD_PCI_SBDF(0, 0xff, 0, 1)},
	    {" 00:03.0 ", IOREQD_PCI_SBDF(0, 0, 3, 0)},
	};
	static const struct {
		const char *s, *why;
	} bad[] = {
	    {"00:20.0", "PCI device above 1f"},
	    {"00:05.8", "PCI function above 7"},
	    {"100:05.0", "PCI bus above ff"},
	    {"0000:100:05.0", "PCI bus above ff"},
	    {"00000:00:05.0", "bad PCI address (use SSSS:BB:DD.F or BB:DD.F)"},
	    {"0000:00:005.0", "bad PCI address (use SSSS:BB:DD.F or BB:DD.F)"},
	    {"00:05.00", "bad PCI address (use SSSS:BB:DD.F or BB:DD.F)"},
	    {"00:05", "bad PCI address (use SSSS:BB:DD.F or BB:DD.F)"},
	    {"00:05.0.1", "bad PCI address (use SSSS:BB:DD.F or BB:DD.F)"},
	    {"0:0:0:05.0", "bad PCI address (use SSSS:BB:DD.F or BB:DD.F)"},
	    {"g0:05.0", "bad PCI address (use SSSS:BB:DD.F or BB:DD.F)"},
	    {":05.0", "bad PCI address (use SSSS:BB:DD.F or BB:DD.F)"},
	    {"00:.0", "bad PCI address (use SSSS:BB:DD.F or BB:DD.F)"},
	    {"00:05.", "bad PCI address (use SSSS:BB:DD.F or BB:DD.F)"},
	    {"0x1000", "bad PCI address (use SSSS:BB:DD.F or BB:DD.F)"},
	    {"0000:00:05.0-0000:00:06.0",
	     "bad PCI address (use SSSS:BB:DD.F or BB:DD.F)"},
	};
	uint64_t base, last;
	const char *why;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		ck_assert_msg(ioreqd_cfg_parse_range(IOREQD_SPACE_PCI, ok[i].s, &base,
		                                     &last, &why) == 0,
		              "%s", ok[i].s);
		ck_assert_uint_eq(base, (uint64_t)ok[i].sbdf << 32);
		ck_assert_uint_eq(last, ((uint64_t)ok[i].sbdf << 32) | 0xfff);
		ck_assert_uint_eq(ioreqd_pci_sbdf(last), ok[i].sbdf);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(ioreqd_cfg_parse_range(IOREQD_SPACE_PCI, bad[i].s, &base,
		                                     &last, &why) == -EINVAL,
		              "'%s'", bad[i].s);
		ck_assert_msg(strcmp(why, bad[i].why) == 0, "'%s': %s", bad[i].s, why);
	}
}
END_TEST

/* ---- robustness ------------------------------------------------------------ */

static const char sample[] =
    "[global]\nhook_dir = /h\nlog_level = info\nwatchdog_ms = 1K\n"
    "buffered = yes\n[device a]\nhook = scratch\n"
    "mmio = 0xfeb00000+0x1000\npio = 0x510-0x51f\npci = 00:05.0\n"
    "irq = 5\norder = last\noptional = no\nsize = 4K ; c\n"
    "[device b]\nhook = override\nmmio = 0xfeb00000+0x1000\n";

START_TEST(test_cfg_survives_mutated_input)
{
	static const char alphabet[] = "[]=;#:+-.\n\r\t x0\xef\xff\0";
	char buf[sizeof(sample) + 16];
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	unsigned ok = 0;

	for (unsigned iter = 0; iter < 5000; iter++) {
		struct ioreqd_cfg *cfg = NULL;
		size_t len = sizeof(sample) - 1;
		int rc;

		memcpy(buf, sample, len);
		for (unsigned k = 0; k < 1 + iter % 4; k++) {
			seed ^= seed << 13;
			seed ^= seed >> 7;
			seed ^= seed << 17;
			buf[seed % len] = alphabet[(seed >> 32) % (sizeof(alphabet) - 1)];
		}
		if (iter % 7 == 0)
			len = (seed >> 40) % len;
		rc = ioreqd_cfg_load_string(buf, len, "m", &cfg, err, sizeof(err));
		ck_assert(rc == 0 || rc == -EINVAL);
		ck_assert((rc == 0) == (cfg != NULL));
		if (rc == -EINVAL)
			ck_assert_msg(strncmp(err, "m:", 2) == 0, "%s", err);
		else
			ok++;
		ioreqd_cfg_free(cfg);
	}
	/* The sample itself is valid, and some mutants are too. */
	ck_assert_uint_gt(ok, 0);
}
END_TEST

static Suite *config_load_suite(void)
{
	Suite *s = suite_create("config_load");
	TCase *tc = tcase_create("file");

	tcase_add_test(tc, test_cfg_load_reads_a_file_and_names_it);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_test(tc, test_cfg_load_reports_missing_file);
	tcase_add_test(tc, test_cfg_load_refuses_huge_file);
	suite_add_tcase(s, tc);

	tc = tcase_create("values");
	tcase_add_test(tc, test_cfg_parse_u64_bases_and_suffixes);
	tcase_add_test(tc, test_cfg_parse_u64_rejects_junk_and_overflow);
	tcase_add_test(tc, test_cfg_parse_bool_words);
	tcase_add_test(tc, test_cfg_parse_range_forms);
	tcase_add_test(tc, test_cfg_parse_range_rejects_with_reason);
	tcase_add_test(tc, test_cfg_parse_range_pci_forms);
	suite_add_tcase(s, tc);

	tc = tcase_create("robustness");
	tcase_add_test(tc, test_cfg_survives_mutated_input);
	tcase_add_test(tc, test_cfg_load_says_a_directory_is_a_directory);
	tcase_add_test(tc, test_cfg_load_refuses_a_fifo_without_blocking);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(config_load_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
