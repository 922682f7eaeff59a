/* SPDX-License-Identifier: MIT */
/*
 * Check suite for the host API's configuration calls (lib/hostcfg.c), which
 * the daemon, the hook-test mock and the fuzz host share: a hook key read as
 * a number falls back to its default when absent or bad, and errors name the
 * file, the line where the key was set (the section's line otherwise), the
 * device and the key, without ever overrunning a short buffer.
 */
#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "hostcfg.h"

static const char conf[] = "[device uart]\n"                  /* line 1 */
                           "hook = h\n"                       /* line 2 */
                           "depth = 0x10\n"                   /* line 3 */
                           "size = 4K\n"                      /* line 4 */
                           "pio = 0x3f8-0x3ff\n"              /* line 5 */
                           "bad = 12 cows\n"                  /* line 6 */
                           "huge = 99999999999999999999999\n" /* line 7 */
                           "ro = On\n"                        /* line 8 */
                           "off = 0\n"                        /* line 9 */
                           "maybe = sometimes\n";             /* line 10 */

static struct ioreqd_cfg *cfg;
static const struct ioreqd_cfg_dev *dev;

static void setup(void)
{
	char err[IOREQD_CFG_ERRLEN];

	ck_assert_msg(ioreqd_cfg_load_string(conf, strlen(conf), "t.conf", &cfg, err,
	                                     sizeof(err)) == 0,
	              "%s", err);
	ck_assert_uint_eq(cfg->nr_devs, 1);
	dev = &cfg->devs[0];
}

static void teardown(void)
{
	ioreqd_cfg_free(cfg);
	cfg = NULL;
}

START_TEST(test_hostcfg_u64_parses_hex_and_suffixes)
{
	char err[128] = "untouched";
	uint64_t v = 0;

	ck_assert_int_eq(ioreqd_hostcfg_u64(cfg, dev, "depth", 7, &v, err, sizeof(err)),
	                 0);
	ck_assert_uint_eq(v, 0x10);
	ck_assert_int_eq(ioreqd_hostcfg_u64(cfg, dev, "size", 7, &v, err, sizeof(err)),
	                 0);
	ck_assert_uint_eq(v, 4096);
	ck_assert_str_eq(err, "untouched");
}
END_TEST

START_TEST(test_hostcfg_u64_absent_key_gives_default_silently)
{
	char err[128] = "untouched";
	uint64_t v = 0;

	ck_assert_int_eq(ioreqd_hostcfg_u64(cfg, dev, "nope", 42, &v, err, sizeof(err)),
	                 0);
	ck_assert_uint_eq(v, 42);
	ck_assert_str_eq(err, "untouched");
}
END_TEST

START_TEST(test_hostcfg_u64_bad_number_gives_default_and_names_line)
{
	char err[256];
	uint64_t v = 0;

	ck_assert_int_eq(ioreqd_hostcfg_u64(cfg, dev, "bad", 42, &v, err, sizeof(err)),
	                 -EINVAL);
	ck_assert_uint_eq(v, 42);
	ck_assert_str_eq(err, "t.conf:6: device uart: bad: bad number '12 cows'");
	/* An overflow may leave a partial value in the parser: still the default. */
	ck_assert_int_eq(ioreqd_hostcfg_u64(cfg, dev, "huge", 5, &v, err, sizeof(err)),
	                 -EINVAL);
	ck_assert_uint_eq(v, 5);
	ck_assert_ptr_nonnull(strstr(err, "t.conf:7: device uart: huge: bad number"));
}
END_TEST

START_TEST(test_hostcfg_bool_takes_the_config_files_words)
{
	char err[128] = "untouched";
	bool v = false;

	ck_assert_int_eq(ioreqd_hostcfg_bool(cfg, dev, "ro", false, &v, err, sizeof(err)),
	                 0);
	ck_assert(v);
	ck_assert_int_eq(ioreqd_hostcfg_bool(cfg, dev, "off", true, &v, err, sizeof(err)),
	                 0);
	ck_assert(!v);
	ck_assert_int_eq(
	    ioreqd_hostcfg_bool(cfg, dev, "nope", true, &v, err, sizeof(err)), 0);
	ck_assert(v);
	ck_assert_str_eq(err, "untouched");
}
END_TEST

START_TEST(test_hostcfg_bool_bad_value_gives_default_and_names_line)
{
	char err[256];
	bool v = false;

	ck_assert_int_eq(
	    ioreqd_hostcfg_bool(cfg, dev, "maybe", true, &v, err, sizeof(err)), -EINVAL);
	ck_assert(v);
	/* The daemon's words for its own booleans (check_config.c). */
	ck_assert_str_eq(err, "t.conf:10: device uart: maybe: bad boolean 'sometimes' "
	                      "(use yes or no)");
}
END_TEST

START_TEST(test_hostcfg_error_uses_key_line_else_section_line)
{
	char err[256];

	ck_assert_int_eq(ioreqd_hostcfg_error(cfg, dev, "size", err, sizeof(err),
	                                      "must be below %u", 4096u),
	                 -EINVAL);
	ck_assert_str_eq(err, "t.conf:4: device uart: size: must be below 4096");
	/* A key the file does not set points at the section. */
	ck_assert_int_eq(
	    ioreqd_hostcfg_error(cfg, dev, "fifo", err, sizeof(err), "required"),
	    -EINVAL);
	ck_assert_str_eq(err, "t.conf:1: device uart: fifo: required");
	/* No key: about the section as a whole. */
	ck_assert_int_eq(
	    ioreqd_hostcfg_error(cfg, dev, NULL, err, sizeof(err), "needs %d ranges", 2),
	    -EINVAL);
	ck_assert_str_eq(err, "t.conf:1: device uart: needs 2 ranges");
}
END_TEST

START_TEST(test_hostcfg_error_truncates_within_short_buffer)
{
	char buf[24];

	memset(buf, 'x', sizeof(buf));
	/* The prefix alone does not fit: cut, terminated, nothing past the end. */
	ck_assert_int_eq(
	    ioreqd_hostcfg_error(cfg, dev, "size", buf, 16, "%s", "long message"),
	    -EINVAL);
	ck_assert_str_eq(buf, "t.conf:4: devic");
	ck_assert_int_eq(buf[16], 'x');
	/* The prefix fits exactly; the message is cut. */
	memset(buf, 'x', sizeof(buf));
	ck_assert_int_eq(
	    ioreqd_hostcfg_error(cfg, dev, NULL, buf, 24, "%s", "long message"), -EINVAL);
	ck_assert_str_eq(buf, "t.conf:1: device uart: ");
	memset(buf, 'x', sizeof(buf));
	ck_assert_int_eq(
	    ioreqd_hostcfg_error(cfg, dev, NULL, buf, 23, "%s", "long message"), -EINVAL);
	ck_assert_str_eq(buf, "t.conf:1: device uart:");
	ck_assert_int_eq(buf[23], 'x');
	/* No room at all is allowed. */
	ck_assert_int_eq(ioreqd_hostcfg_error(cfg, dev, NULL, buf, 0, "%s", "x"),
	                 -EINVAL);
}
END_TEST

static Suite *hostcfg_suite(void)
{
	Suite *s = suite_create("hostcfg");
	TCase *tc = tcase_create("hostcfg");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_hostcfg_u64_parses_hex_and_suffixes);
	tcase_add_test(tc, test_hostcfg_u64_absent_key_gives_default_silently);
	tcase_add_test(tc, test_hostcfg_u64_bad_number_gives_default_and_names_line);
	tcase_add_test(tc, test_hostcfg_bool_takes_the_config_files_words);
	tcase_add_test(tc, test_hostcfg_bool_bad_value_gives_default_and_names_line);
	tcase_add_test(tc, test_hostcfg_error_uses_key_line_else_section_line);
	tcase_add_test(tc, test_hostcfg_error_truncates_within_short_buffer);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(hostcfg_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
