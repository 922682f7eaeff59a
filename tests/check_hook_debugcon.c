/* SPDX-License-Identifier: MIT */
/*
 * Tests of the debugcon hook through the mock daemon: line buffering and the
 * "[dN] " prefix, flushing a partial line at fini, splitting lines longer
 * than the buffer, wide and string writes, the 0xe9 readback, escaping of
 * control bytes, append and stdout output, and configuration errors.  Output
 * goes to a temporary file that each test reads back.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "builtin.h"
#include "mock-host.h"

static char path[64];

static void setup(void)
{
	int fd;

	strcpy(path, "/tmp/check_debugcon_XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	close(fd);
}

static void teardown(void)
{
	unlink(path);
}

static struct mock *with_debugcon(const char *extra, ioreqd_dev_t **dev)
{
	struct mock *m = mock_new(7);
	char conf[256];
	int rc;

	snprintf(conf, sizeof(conf), "pio = 0xe9\nfile = %s\n%s", path,
	         extra ? extra : "");
	rc = mock_add(m, ioreqd_builtin_hook_find("debugcon"), "dbg", conf, dev);
	ck_assert_msg(rc == 0, "%d %s", rc, mock_error(m));
	return m;
}

static void puts_guest(struct mock *m, const char *s)
{
	while (*s)
		mock_write(m, IOREQD_SPACE_PIO, 0xe9, 1, (unsigned char)*s++);
}

START_TEST(test_debugcon_writes_each_line_with_domain_prefix)
{
	struct mock *m = with_debugcon(NULL, NULL);

	puts_guest(m, "hello\nworld\n");
	ck_assert_str_eq(mock_file_contents(path), "[d7] hello\n[d7] world\n");
	mock_free(m);
}
END_TEST

START_TEST(test_debugcon_holds_a_partial_line_until_newline)
{
	struct mock *m = with_debugcon(NULL, NULL);

	puts_guest(m, "abc");
	ck_assert_str_eq(mock_file_contents(path), "");
	puts_guest(m, "def\n");
	ck_assert_str_eq(mock_file_contents(path), "[d7] abcdef\n");
	puts_guest(m, "\n");
	ck_assert_str_eq(mock_file_contents(path), "[d7] abcdef\n[d7] \n");
	mock_free(m);
}
END_TEST

START_TEST(test_debugcon_flushes_partial_line_at_fini)
{
	ioreqd_dev_t *dev;
	struct mock *m = with_debugcon(NULL, &dev);

	puts_guest(m, "one\ntail");
	ck_assert_str_eq(mock_file_contents(path), "[d7] one\n");
	mock_dev_fini(dev);
	ck_assert_str_eq(mock_file_contents(path), "[d7] one\n[d7] tail\n");
	mock_free(m);
	/* Nothing more at teardown: fini ran once. */
	ck_assert_str_eq(mock_file_contents(path), "[d7] one\n[d7] tail\n");
}
END_TEST

START_TEST(test_debugcon_fini_with_empty_line_writes_nothing)
{
	struct mock *m = with_debugcon(NULL, NULL);

	puts_guest(m, "x\n");
	mock_free(m);
	ck_assert_str_eq(mock_file_contents(path), "[d7] x\n");
}
END_TEST

START_TEST(test_debugcon_splits_lines_longer_than_the_buffer)
{
	ioreqd_dev_t *dev;
	struct mock *m = with_debugcon(NULL, &dev);
	char want[600], *p = want;

	for (unsigned i = 0; i < 300; i++)
		mock_write(m, IOREQD_SPACE_PIO, 0xe9, 1, 'a' + i % 26);
	/* The first 256 bytes went out as soon as the buffer filled. */
	p += sprintf(p, "[d7] ");
	for (unsigned i = 0; i < 256; i++)
		*p++ = (char)('a' + i % 26);
	*p++ = '\n';
	*p = '\0';
	ck_assert_str_eq(mock_file_contents(path), want);
	mock_dev_fini(dev);
	p += sprintf(p, "[d7] ");
	for (unsigned i = 256; i < 300; i++)
		*p++ = (char)('a' + i % 26);
	*p++ = '\n';
	*p = '\0';
	ck_assert_str_eq(mock_file_contents(path), want);
	mock_free(m);
}
END_TEST

START_TEST(test_debugcon_wide_writes_emit_each_byte_low_first)
{
	/* A wide access must fit a range, so give the console a 4-port one. */
	struct mock *m = with_debugcon("pio = 0x400+4", NULL);

	mock_write(m, IOREQD_SPACE_PIO, 0x400, 2, 0x6968);     /* "hi" */
	mock_write(m, IOREQD_SPACE_PIO, 0x400, 4, 0x0a212121); /* "!!!\n" */
	mock_write(m, IOREQD_SPACE_PIO, 0x403, 1, 0x0a);
	ck_assert_str_eq(mock_file_contents(path), "[d7] hi!!!\n[d7] \n");
	/* On the one-byte port a wide access fits no range: nobody sees it. */
	mock_write(m, IOREQD_SPACE_PIO, 0xe9, 2, 0x0a41);
	mock_free(m);
	ck_assert_str_eq(mock_file_contents(path), "[d7] hi!!!\n[d7] \n");
}
END_TEST

START_TEST(test_debugcon_rep_outsb_writes_a_string)
{
	struct mock *m = with_debugcon(NULL, NULL);
	static const char msg[] = "from guest memory\n";
	ioreq_t r = mock_req(IOREQD_SPACE_PIO, 0xe9, 1, false, 0x3000);

	memcpy(mock_guest_mem(m) + 0x3000, msg, sizeof(msg) - 1);
	r.count = sizeof(msg) - 1;
	r.data_is_ptr = 1;
	ck_assert_int_eq(mock_submit(m, 2, &r), 1);
	ck_assert_uint_eq(r.state, STATE_IORESP_READY);
	ck_assert_str_eq(mock_file_contents(path), "[d7] from guest memory\n");
	mock_free(m);
}
END_TEST

START_TEST(test_debugcon_reads_return_e9)
{
	struct mock *m = with_debugcon("pio = 0x400+4", NULL);

	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_PIO, 0xe9, 1), 0xe9);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_PIO, 0x400, 2), 0xe9);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_PIO, 0x400, 4), 0xe9);
	/* Reads put nothing in the output. */
	mock_free(m);
	ck_assert_str_eq(mock_file_contents(path), "");
}
END_TEST

START_TEST(test_debugcon_show_name_adds_the_device_name)
{
	struct mock *m = with_debugcon("show_name = yes", NULL);

	puts_guest(m, "boot\n");
	ck_assert_str_eq(mock_file_contents(path), "[d7] dbg: boot\n");
	mock_free(m);
}
END_TEST

START_TEST(test_debugcon_escapes_control_bytes_and_drops_cr)
{
	struct mock *m = with_debugcon(NULL, NULL);

	puts_guest(m, "a\x1b[2Jb\tc\r\n");
	mock_write(m, IOREQD_SPACE_PIO, 0xe9, 1, 0);
	mock_write(m, IOREQD_SPACE_PIO, 0xe9, 1, 0x7f);
	mock_write(m, IOREQD_SPACE_PIO, 0xe9, 1, 0xc3);
	mock_write(m, IOREQD_SPACE_PIO, 0xe9, 1, 0xa9);
	puts_guest(m, "\n");
	ck_assert_str_eq(mock_file_contents(path),
	                 "[d7] a\\x1b[2Jb\tc\n[d7] \\x00\\x7f\xc3\xa9\n");
	mock_free(m);
}
END_TEST

START_TEST(test_debugcon_appends_to_an_existing_file)
{
	FILE *fp = fopen(path, "w");
	struct mock *m;

	ck_assert_ptr_nonnull(fp);
	fputs("earlier run\n", fp);
	fclose(fp);
	m = with_debugcon(NULL, NULL);
	puts_guest(m, "again\n");
	ck_assert_str_eq(mock_file_contents(path), "earlier run\n[d7] again\n");
	mock_free(m);
}
END_TEST

START_TEST(test_debugcon_defaults_to_stdout)
{
	/* Check runs each test in its own process, so stdout is ours to move. */
	int fd = open(path, O_WRONLY | O_TRUNC);
	struct mock *m = mock_new(9);
	const struct ioreqd_hook *h = ioreqd_builtin_hook_find("debugcon");

	ck_assert_int_ge(fd, 0);
	fflush(stdout);
	ck_assert_int_eq(dup2(fd, STDOUT_FILENO), STDOUT_FILENO);
	close(fd);
	ck_assert_int_eq(mock_add(m, h, "a", "pio = 0xe9", NULL), 0);
	ck_assert_int_eq(mock_add(m, h, "b", "pio = 0x402+2\nfile = -", NULL), 0);
	puts_guest(m, "out\n");
	mock_write(m, IOREQD_SPACE_PIO, 0x402, 2, 0x0a41);
	ck_assert_str_eq(mock_file_contents(path), "[d9] out\n[d9] A\n");
	mock_free(m);
}
END_TEST

/* Expect init to fail with -EINVAL and an error naming @p key. */
static void expect_cfg_error(const char *conf, const char *key, const char *what)
{
	struct mock *m = mock_new(7);

	mock_expect_cfg_error(m, ioreqd_builtin_hook_find("debugcon"), "dbg", conf, key,
	                      what);
	ck_assert_ptr_null(ioreqd_bus_lookup(mock_bus(m), IOREQD_SPACE_PIO, 0xe9, 1));
	mock_free(m);
}

START_TEST(test_debugcon_config_errors_name_the_key)
{
	expect_cfg_error("pio = 0xe9\nshow_name = sometimes", "show_name",
	                 "bad boolean 'sometimes'");
	expect_cfg_error(
	    "pio = 0xe9\nfile = /nonexistent/dir/out.log", "file",
	    "cannot open '/nonexistent/dir/out.log': No such file or directory");
	expect_cfg_error("pio = 0xe9\nfile =", "file", "empty path");
}
END_TEST

START_TEST(test_debugcon_rejects_undeclared_key)
{
	struct mock *m = mock_new(7);

	ck_assert_int_eq(mock_add(m, ioreqd_builtin_hook_find("debugcon"), "dbg",
	                          "pio = 0xe9\nfilename = x", NULL),
	                 -EINVAL);
	ck_assert_str_eq(
	    mock_error(m),
	    "mock.conf:4: device dbg: unknown key 'filename' for hook 'debugcon' "
	    "(it takes: file, show_name)");
	mock_free(m);
}
END_TEST

static Suite *debugcon_suite(void)
{
	Suite *s = suite_create("hook_debugcon");
	TCase *tc = tcase_create("output");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_debugcon_writes_each_line_with_domain_prefix);
	tcase_add_test(tc, test_debugcon_holds_a_partial_line_until_newline);
	tcase_add_test(tc, test_debugcon_flushes_partial_line_at_fini);
	tcase_add_test(tc, test_debugcon_fini_with_empty_line_writes_nothing);
	tcase_add_test(tc, test_debugcon_splits_lines_longer_than_the_buffer);
	tcase_add_test(tc, test_debugcon_wide_writes_emit_each_byte_low_first);
	tcase_add_test(tc, test_debugcon_rep_outsb_writes_a_string);
	tcase_add_test(tc, test_debugcon_reads_return_e9);
	tcase_add_test(tc, test_debugcon_show_name_adds_the_device_name);
	tcase_add_test(tc, test_debugcon_escapes_control_bytes_and_drops_cr);
	tcase_add_test(tc, test_debugcon_appends_to_an_existing_file);
	tcase_add_test(tc, test_debugcon_defaults_to_stdout);
	suite_add_tcase(s, tc);

	tc = tcase_create("config");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_debugcon_config_errors_name_the_key);
	tcase_add_test(tc, test_debugcon_rejects_undeclared_key);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(debugcon_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
