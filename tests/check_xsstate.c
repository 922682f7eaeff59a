/* SPDX-License-Identifier: MIT */
/*
 * Tests for daemon/xsstate.c against a fake xenstore: a small key/value
 * table, a pipe standing for the watch fd, and a queue of fired watches.
 * The test plays libxl: it writes device-model/<domid>/command and expects
 * the state node to answer as qemu-xen-traditional would.
 */
#include "build-config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "xsstate.h"

#define STATE "/local/domain/0/device-model/5/state"
#define COMMAND "/local/domain/0/device-model/5/command"

static struct fake {
	char keys[8][64];
	char vals[8][32];
	unsigned nr;
	char watched[64];
	int pipe[2];
	char fired[8][64];
	unsigned nr_fired;
	bool broken;
	bool fail_open;
	unsigned checks;
	bool closed;
} fake;

static void *f_open(void)
{
	if (fake.fail_open) {
		errno = ECONNREFUSED;
		return NULL;
	}
	return &fake;
}

static void f_close(void *h)
{
	fake.closed = true;
}

static int f_write(void *h, const char *path, const char *value)
{
	unsigned i;

	for (i = 0; i < fake.nr && strcmp(fake.keys[i], path); i++)
		;
	if (i == fake.nr) {
		ck_assert_uint_lt(fake.nr, 8);
		snprintf(fake.keys[fake.nr++], 64, "%s", path);
	}
	snprintf(fake.vals[i], 32, "%s", value);
	/* A watch on this path fires, as in xenstored. */
	if (!strcmp(fake.watched, path) && fake.nr_fired < 8) {
		snprintf(fake.fired[fake.nr_fired++], 64, "%s", path);
		ck_assert_int_eq(write(fake.pipe[1], "w", 1), 1);
	}
	return 0;
}

static const char *value_of(const char *path)
{
	for (unsigned i = 0; i < fake.nr; i++)
		if (!strcmp(fake.keys[i], path))
			return fake.vals[i];
	return NULL;
}

static char *f_read(void *h, const char *path)
{
	const char *v = value_of(path);

	if (!v) {
		errno = ENOENT;
		return NULL;
	}
	return strdup(v);
}

static int f_watch(void *h, const char *path, const char *token)
{
	snprintf(fake.watched, sizeof(fake.watched), "%s", path);
	return 0;
}

static int f_unwatch(void *h, const char *path, const char *token)
{
	fake.watched[0] = '\0';
	return 0;
}

static int f_fileno(void *h)
{
	return fake.pipe[0];
}

static int f_check_watch(void *h, char *path, size_t len)
{
	char c;

	fake.checks++;
	if (fake.broken)
		return -EBADF; /* the fd stays readable, like /dev/null after a restrict
		                */
	if (!fake.nr_fired)
		return 0;
	ck_assert_int_eq(read(fake.pipe[0], &c, 1), 1);
	snprintf(path, len, "%s", fake.fired[0]);
	memmove(fake.fired, fake.fired + 1, --fake.nr_fired * sizeof(fake.fired[0]));
	return 1;
}

static const struct ioreqd_xsstate_ops fake_ops = {
    .open = f_open,
    .close = f_close,
    .write = f_write,
    .read = f_read,
    .watch = f_watch,
    .unwatch = f_unwatch,
    .fileno = f_fileno,
    .check_watch = f_check_watch,
};

static struct calls {
	int pause, save, resume;
	char save_path[64];
	int save_rc;
} calls;

static int cb_pause(void *arg)
{
	calls.pause++;
	return 0;
}

static int cb_save(void *arg, const char *path)
{
	calls.save++;
	snprintf(calls.save_path, sizeof(calls.save_path), "%s", path);
	return calls.save_rc;
}

static int cb_resume(void *arg)
{
	calls.resume++;
	return 0;
}

static const struct ioreqd_xsstate_callbacks callbacks = {
    .pause = cb_pause,
    .save = cb_save,
    .resume = cb_resume,
};

static struct event_base *base;

static void setup(void)
{
	memset(&fake, 0, sizeof(fake));
	memset(&calls, 0, sizeof(calls));
	ck_assert_int_eq(pipe(fake.pipe), 0);
	base = event_base_new();
	ck_assert_ptr_nonnull(base);
}

static void teardown(void)
{
	event_base_free(base);
	close(fake.pipe[0]);
	close(fake.pipe[1]);
}

static void run_loop(void)
{
	for (int i = 0; i < 4; i++)
		event_base_loop(base, EVLOOP_NONBLOCK);
}

START_TEST(test_xsstate_set_writes_libxl_state_node)
{
	struct ioreqd_xsstate *xs =
	    ioreqd_xsstate_new(base, &fake_ops, 5, IOREQD_XSSTATE_QEMU_XEN, NULL, NULL);

	ck_assert_ptr_nonnull(xs);
	ck_assert_ptr_null(ioreqd_xsstate_get(xs));
	ck_assert_int_eq(ioreqd_xsstate_set(xs, "running"), 0);
	ck_assert_str_eq(value_of(STATE), "running");
	ck_assert_str_eq(ioreqd_xsstate_get(xs), "running");
	/* qemu-xen mode leaves the command node to QMP. */
	ck_assert_str_eq(fake.watched, "");
	ioreqd_xsstate_free(xs);
	ck_assert(fake.closed);
}
END_TEST

START_TEST(test_xsstate_traditional_save_then_continue)
{
	struct ioreqd_xsstate *xs = ioreqd_xsstate_new(
	    base, &fake_ops, 5, IOREQD_XSSTATE_TRADITIONAL, &callbacks, NULL);

	ck_assert_ptr_nonnull(xs);
	ck_assert_str_eq(fake.watched, COMMAND);
	ck_assert_int_eq(ioreqd_xsstate_set(xs, "running"), 0);
	f_write(NULL, COMMAND,
	        "save"); /* libxl__qemu_traditional_cmd(gc, domid, "save") */
	run_loop();
	ck_assert_int_eq(calls.pause, 1);
	ck_assert_int_eq(calls.save, 1);
	ck_assert_str_eq(calls.save_path, "/var/lib/xen/qemu-save.5");
	ck_assert_str_eq(value_of(STATE), "paused");
	f_write(NULL, COMMAND, "continue");
	run_loop();
	ck_assert_int_eq(calls.resume, 1);
	ck_assert_str_eq(value_of(STATE), "running");
	ioreqd_xsstate_free(xs);
}
END_TEST

START_TEST(test_xsstate_repeated_fire_does_not_save_twice)
{
	struct ioreqd_xsstate *xs = ioreqd_xsstate_new(
	    base, &fake_ops, 5, IOREQD_XSSTATE_TRADITIONAL, &callbacks, NULL);

	ioreqd_xsstate_set(xs, "running");
	f_write(NULL, COMMAND, "save");
	f_write(NULL, COMMAND, "save");
	run_loop();
	ck_assert_int_eq(calls.save, 1);
	ck_assert_str_eq(value_of(STATE), "paused");
	ioreqd_xsstate_free(xs);
}
END_TEST

START_TEST(test_xsstate_failed_or_missing_save_still_answers_paused)
{
	struct ioreqd_xsstate_callbacks no_save = {.pause = cb_pause,
	                                           .resume = cb_resume};
	struct ioreqd_xsstate *xs = ioreqd_xsstate_new(
	    base, &fake_ops, 5, IOREQD_XSSTATE_TRADITIONAL, &no_save, NULL);

	ioreqd_xsstate_set(xs, "running");
	f_write(NULL, COMMAND, "save");
	run_loop();
	ck_assert_int_eq(calls.pause, 1);
	ck_assert_str_eq(value_of(STATE), "paused");
	ioreqd_xsstate_free(xs);

	calls.save_rc = -ENOSPC;
	xs = ioreqd_xsstate_new(base, &fake_ops, 5, IOREQD_XSSTATE_TRADITIONAL,
	                        &callbacks, NULL);
	ioreqd_xsstate_set(xs, "running");
	f_write(NULL, COMMAND, "continue"); /* already running: nothing to do */
	f_write(NULL, COMMAND, "save");
	run_loop();
	ck_assert_int_eq(calls.resume, 0);
	ck_assert_int_eq(calls.save, 1);
	ck_assert_str_eq(value_of(STATE), "paused");
	ioreqd_xsstate_free(xs);
}
END_TEST

START_TEST(test_xsstate_unknown_command_changes_nothing)
{
	struct ioreqd_xsstate *xs = ioreqd_xsstate_new(
	    base, &fake_ops, 5, IOREQD_XSSTATE_TRADITIONAL, &callbacks, NULL);

	ioreqd_xsstate_set(xs, "running");
	f_write(NULL, COMMAND, "pci-ins");
	run_loop();
	ck_assert_str_eq(value_of(STATE), "running");
	ck_assert_int_eq(calls.pause + calls.save + calls.resume, 0);
	ioreqd_xsstate_free(xs);
}
END_TEST

START_TEST(test_xsstate_broken_connection_stops_the_watch)
{
	struct ioreqd_xsstate *xs = ioreqd_xsstate_new(
	    base, &fake_ops, 5, IOREQD_XSSTATE_TRADITIONAL, &callbacks, NULL);
	unsigned checks;

	fake.broken = true;
	ck_assert_int_eq(write(fake.pipe[1], "x", 1), 1); /* readable for good */
	run_loop();
	checks = fake.checks;
	ck_assert_uint_eq(checks, 1);
	run_loop(); /* the event is gone: no busy loop on a dead fd */
	ck_assert_uint_eq(fake.checks, checks);
	ioreqd_xsstate_free(xs);
}
END_TEST

START_TEST(test_xsstate_open_failure_returns_null)
{
	fake.fail_open = true;
	ck_assert_ptr_null(ioreqd_xsstate_new(
	    base, &fake_ops, 5, IOREQD_XSSTATE_TRADITIONAL, &callbacks, NULL));
}
END_TEST

static Suite *xsstate_suite(void)
{
	Suite *s = suite_create("xsstate");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_xsstate_set_writes_libxl_state_node);
	tcase_add_test(tc, test_xsstate_traditional_save_then_continue);
	tcase_add_test(tc, test_xsstate_repeated_fire_does_not_save_twice);
	tcase_add_test(tc, test_xsstate_failed_or_missing_save_still_answers_paused);
	tcase_add_test(tc, test_xsstate_unknown_command_changes_nothing);
	tcase_add_test(tc, test_xsstate_broken_connection_stops_the_watch);
	tcase_add_test(tc, test_xsstate_open_failure_returns_null);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(xsstate_suite());
	int failed;

	ioreqd_log_init("check_xsstate", IOREQD_LOG_TO_STDERR, LOG_LEVEL_WARN);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
