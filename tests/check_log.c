/* SPDX-License-Identifier: MIT */
/*
 * Check suite for logging (lib/log.c): the capture sink, verbosity, log_warn's
 * strerror suffix and errno preservation, the stderr format, long messages,
 * fatalx's exit status, and the token-bucket rate limiter (a burst, then
 * suppression, then a report of how many were suppressed).  Time is moved by
 * editing the limiter's public last_ns field, so nothing depends on timing.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

#define NS_PER_SEC 1000000000ull

static char msgs[16][1100];
static int levels[16];
static unsigned nmsgs;

static void sink(int level, const char *msg, void *arg)
{
	ck_assert_ptr_eq(arg, &nmsgs);
	if (nmsgs < 16) {
		snprintf(msgs[nmsgs], sizeof(msgs[0]), "%s", msg);
		levels[nmsgs] = level;
	}
	nmsgs++;
}

static void setup(void)
{
	nmsgs = 0;
	memset(msgs, 0, sizeof(msgs));
	ioreqd_log_init("check_log", IOREQD_LOG_TO_STDERR, LOG_LEVEL_INFO);
	ioreqd_log_set_sink(sink, &nmsgs);
}

static void teardown(void)
{
	ioreqd_log_set_sink(NULL, NULL);
}

/* Pretend @p sec seconds passed for @p rl. */
static void age(struct ioreqd_ratelimit *rl, uint64_t sec)
{
	rl->last_ns -= sec * NS_PER_SEC;
}

START_TEST(test_log_sink_captures_message_and_level)
{
	uint64_t before = ioreqd_log_count();

	log_warnx("%s: port 0x%x", "uart_write", 0x3f8);
	log_info("info %d", 2);
	ck_assert_uint_eq(nmsgs, 2);
	ck_assert_str_eq(msgs[0], "uart_write: port 0x3f8");
	ck_assert_int_eq(levels[0], LOG_LEVEL_WARN);
	ck_assert_str_eq(msgs[1], "info 2");
	ck_assert_int_eq(levels[1], LOG_LEVEL_INFO);
	ck_assert_uint_eq(ioreqd_log_count(), before + 2);
}
END_TEST

START_TEST(test_log_verbosity_filters_levels)
{
	log_debug("hidden %d", 1);
	ck_assert_uint_eq(nmsgs, 0);
	ioreqd_log_set_verbosity(LOG_LEVEL_DEBUG);
	ck_assert_int_eq(ioreqd_log_verbosity(), LOG_LEVEL_DEBUG);
	log_debug("shown %d", 2);
	ck_assert_uint_eq(nmsgs, 1);
	ck_assert_int_eq(levels[0], LOG_LEVEL_DEBUG);
	ioreqd_log_set_verbosity(LOG_LEVEL_WARN);
	log_info("hidden");
	ioreqd_log(LOG_LEVEL_DEBUG, "hidden");
	log_warnx("shown");
	ck_assert_uint_eq(nmsgs, 2);
	ck_assert_str_eq(msgs[1], "shown");
}
END_TEST

START_TEST(test_log_warn_appends_strerror_and_keeps_errno)
{
	errno = ENOENT;
	log_warn("%s: open %s", "cfg_load", "/etc/x");
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_uint_eq(nmsgs, 1);
	ck_assert_str_eq(msgs[0], "cfg_load: open /etc/x: No such file or directory");
}
END_TEST

START_TEST(test_log_long_message_truncated_safely)
{
	char big[3000];

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	log_warnx("%s", big);
	ck_assert_uint_eq(nmsgs, 1);
	ck_assert_uint_eq(strlen(msgs[0]), 1023);
	ck_assert_int_eq(msgs[0][0], 'a');
}
END_TEST

START_TEST(test_log_without_sink_writes_ident_and_level_to_stderr)
{
	char path[] = "/tmp/check_log_XXXXXX";
	int fd = mkstemp(path);
	int saved = dup(STDERR_FILENO);
	char buf[256] = {0};
	FILE *fp;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_ge(saved, 0);
	ioreqd_log_set_sink(NULL, NULL);
	fflush(stderr);
	ck_assert_int_ge(dup2(fd, STDERR_FILENO), 0);
	log_warnx("%s: hello", "main");
	fflush(stderr);
	ck_assert_int_ge(dup2(saved, STDERR_FILENO), 0);
	close(saved);
	fp = fdopen(fd, "r");
	ck_assert_ptr_nonnull(fp);
	rewind(fp);
	ck_assert_ptr_nonnull(fgets(buf, sizeof(buf), fp));
	fclose(fp);
	unlink(path);
	ck_assert_str_eq(buf, "check_log: warning: main: hello\n");
	ck_assert_uint_eq(nmsgs, 0);
}
END_TEST

START_TEST(test_log_error_shows_the_function_only_above_debug_verbosity)
{
	ioreqd_log_set_verbosity(LOG_LEVEL_WARN);
	errno = ENOENT;
	log_err("cannot read %s", "x.conf");
	ck_assert_int_eq(errno, ENOENT);
	ioreqd_log_set_verbosity(LOG_LEVEL_DEBUG);
	log_errx("device %s: no such hook", "d0");
	ioreqd_log_set_verbosity(LOG_LEVEL_DEBUG + 1);
	log_errx("device %s: no such hook", "d0");
	ck_assert_uint_eq(nmsgs, 3);
	ck_assert_str_eq(msgs[0], "cannot read x.conf: No such file or directory");
	ck_assert_str_eq(msgs[1], "device d0: no such hook");
	ck_assert_str_eq(
	    msgs[2],
	    "test_log_error_shows_the_function_only_above_debug_verbosity_fn: device "
	    "d0: no such hook");
	ck_assert_int_eq(levels[0], LOG_LEVEL_WARN);
}
END_TEST

START_TEST(test_log_fatalx_exits_with_status_1)
{
	fatalx("%s: cannot continue", "main");
}
END_TEST

START_TEST(test_ratelimit_allows_burst_then_suppresses)
{
	struct ioreqd_ratelimit rl = IOREQD_RATELIMIT_INIT(3, 1);
	uint64_t sup = 99;

	for (int i = 0; i < 3; i++) {
		ck_assert(ioreqd_ratelimit_allow(&rl, &sup));
		ck_assert_uint_eq(sup, 0);
	}
	for (int i = 0; i < 5; i++)
		ck_assert(!ioreqd_ratelimit_allow(&rl, &sup));
	ck_assert_uint_eq(rl.suppressed, 5);
	/* One second later one token is back, and the tally is reported. */
	age(&rl, 1);
	ck_assert(ioreqd_ratelimit_allow(&rl, &sup));
	ck_assert_uint_eq(sup, 5);
	ck_assert_uint_eq(rl.suppressed, 0);
	ck_assert(!ioreqd_ratelimit_allow(&rl, &sup));
	ck_assert_uint_eq(rl.suppressed, 1);
}
END_TEST

START_TEST(test_ratelimit_refill_is_capped_at_burst)
{
	struct ioreqd_ratelimit rl = IOREQD_RATELIMIT_INIT(4, 2);
	unsigned allowed = 0;

	ck_assert(ioreqd_ratelimit_allow(&rl, NULL)); /* starts the clock */
	age(&rl, 10);
	while (ioreqd_ratelimit_allow(&rl, NULL))
		allowed++;
	ck_assert_uint_eq(allowed, 4);
	ck_assert_uint_eq(rl.tokens, 0);
}
END_TEST

START_TEST(test_ratelimit_zero_rate_never_refills)
{
	struct ioreqd_ratelimit rl = IOREQD_RATELIMIT_INIT(2, 0);

	ck_assert(ioreqd_ratelimit_allow(&rl, NULL));
	ck_assert(ioreqd_ratelimit_allow(&rl, NULL));
	age(&rl, 10);
	ck_assert(!ioreqd_ratelimit_allow(&rl, NULL));
	ck_assert_uint_eq(rl.suppressed, 1);
}
END_TEST

START_TEST(test_log_rl_reports_suppressed_count)
{
	struct ioreqd_ratelimit rl = IOREQD_RATELIMIT_INIT(2, 1);

	for (int i = 0; i < 7; i++)
		ioreqd_log_rl(&rl, LOG_LEVEL_WARN, "%s: bad size %d", "engine", i);
	ck_assert_uint_eq(nmsgs, 2);
	ck_assert_str_eq(msgs[0], "engine: bad size 0");
	ck_assert_str_eq(msgs[1], "engine: bad size 1");
	age(&rl, 1);
	ioreqd_log_rl(&rl, LOG_LEVEL_WARN, "%s: bad size %d", "engine", 7);
	ck_assert_uint_eq(nmsgs, 3);
	ck_assert_str_eq(msgs[2], "engine: bad size 7 (5 similar suppressed)");
	ck_assert_int_eq(levels[2], LOG_LEVEL_WARN);
	/* The tally restarts after it has been reported. */
	age(&rl, 1);
	ioreqd_log_rl(&rl, LOG_LEVEL_WARN, "again");
	ck_assert_str_eq(msgs[3], "again");
}
END_TEST

START_TEST(test_log_rl_below_verbosity_spends_no_token)
{
	struct ioreqd_ratelimit rl = IOREQD_RATELIMIT_INIT(1, 1);

	ioreqd_log_rl(&rl, LOG_LEVEL_DEBUG, "hidden");
	ck_assert_uint_eq(nmsgs, 0);
	ck_assert_uint_eq(rl.tokens, 1);
	ioreqd_log_rl(&rl, LOG_LEVEL_WARN, "shown");
	ck_assert_uint_eq(nmsgs, 1);
}
END_TEST

START_TEST(test_now_ns_is_monotonic)
{
	uint64_t a = ioreqd_now_ns();
	uint64_t b = ioreqd_now_ns();

	ck_assert_uint_gt(a, 0);
	ck_assert_uint_ge(b, a);
}
END_TEST

static Suite *log_suite(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("log");
	TCase *tr = tcase_create("ratelimit");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_log_sink_captures_message_and_level);
	tcase_add_test(tc, test_log_verbosity_filters_levels);
	tcase_add_test(tc, test_log_warn_appends_strerror_and_keeps_errno);
	tcase_add_test(tc, test_log_long_message_truncated_safely);
	tcase_add_test(tc, test_log_without_sink_writes_ident_and_level_to_stderr);
	tcase_add_test(tc, test_log_error_shows_the_function_only_above_debug_verbosity);
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(tr, setup, teardown);
	tcase_add_test(tr, test_ratelimit_allows_burst_then_suppresses);
	tcase_add_test(tr, test_ratelimit_refill_is_capped_at_burst);
	tcase_add_test(tr, test_ratelimit_zero_rate_never_refills);
	tcase_add_test(tr, test_log_rl_reports_suppressed_count);
	tcase_add_test(tr, test_log_rl_below_verbosity_spends_no_token);
	tcase_add_test(tr, test_now_ns_is_monotonic);
	suite_add_tcase(s, tr);
	return s;
}

int main(void)
{
	Suite *s = log_suite();
	SRunner *sr = srunner_create(s);
	int failed;

	/* fatalx ends the process: only testable when each test is forked. */
	if (srunner_fork_status(sr) != CK_NOFORK) {
		TCase *te = tcase_create("exit");

		tcase_add_checked_fixture(te, setup, teardown); /* quiet: into the sink */
		tcase_add_exit_test(te, test_log_fatalx_exits_with_status_1, 1);
		suite_add_tcase(s, te);
	}
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
