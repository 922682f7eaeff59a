/* SPDX-License-Identifier: MIT */
/*
 * Tests for lib/qmp.c, the QMP responder, fed bytes directly (the same over
 * real sockets is check_qmp_server.c).
 * The command sequences are the ones libxl 4.17 sends: qmp_capabilities,
 * query-status (expecting "prelaunch" under -S), query-chardev, query-vnc,
 * cont; add-fd then xen-save-devices-state; and libxenstat's
 * id-less, newline-less commands.  libxl's ids start at 0x786c7100.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "qmp.h"
#include "xlargs.h"
#include "qmp-fixture.h"

static struct ioreqd_qmp_vm *vm_new(enum ioreqd_qmp_runstate initial, bool with_cb)
{
	struct ioreqd_qmp_chardev cd = {"libxl-cmd",
	                                "unix:/var/run/xen/qmp-libxl-4,server=on"};
	struct ioreqd_qmp_vm_args a = {
	    .name = "guest\"4",
	    .nr_cpus = 2,
	    .initial = initial,
	    .package = "ioreqd-test",
	    .chardevs = &cd,
	    .nr_chardevs = 1,
	    .cb = with_cb ? &callbacks : NULL,
	    .arg = &calls,
	};
	struct ioreqd_qmp_vm *vm;

	memset(&calls, 0, sizeof(calls));
	vm = ioreqd_qmp_vm_new(&a);
	ck_assert_ptr_nonnull(vm);
	return vm;
}

/* @return everything queued (caller frees), and consume it. */
static char *drain(struct ioreqd_qmp_session *s)
{
	size_t len;
	const char *out = ioreqd_qmp_session_output(s, &len);
	char *copy = malloc(len + 1);

	ck_assert_ptr_nonnull(copy);
	if (out)
		memcpy(copy, out, len);
	copy[len] = '\0';
	ioreqd_qmp_session_consume(s, len);
	return copy;
}

static void feed(struct ioreqd_qmp_session *s, const char *str)
{
	ck_assert_int_eq(ioreqd_qmp_session_feed(s, str, strlen(str)), 0);
}

/* Feed @p cmd and check the whole reply. */
static void exchange(struct ioreqd_qmp_session *s, const char *cmd, const char *want)
{
	char *got;

	feed(s, cmd);
	got = drain(s);
	ck_assert_str_eq(got, want);
	free(got);
}

static struct ioreqd_qmp_session *negotiated(struct ioreqd_qmp_vm *vm)
{
	struct ioreqd_qmp_session *s = ioreqd_qmp_session_new(vm);

	ck_assert_ptr_nonnull(s);
	free(drain(s));
	exchange(s, "{\"execute\":\"qmp_capabilities\",\"id\":1}\r\n", OK("1"));
	return s;
}

START_TEST(test_qmp_libxl_startup_sequence_under_dash_s)
{
	struct ioreqd_qmp_vm *vm = vm_new(IOREQD_QMP_PRELAUNCH, true);
	struct ioreqd_qmp_session *s = ioreqd_qmp_session_new(vm);
	char *got = drain(s);

	ck_assert_str_eq(got, GREETING);
	free(got);
	exchange(s, "{\"execute\":\"qmp_capabilities\",\"id\":2020372736}\r\n",
	         OK("2020372736"));
	exchange(s, "{\"execute\":\"query-status\",\"id\":2020372737}\r\n",
	         "{\"return\": {\"status\": \"prelaunch\", \"singlestep\": false, "
	         "\"running\": false}, \"id\": 2020372737}\r\n");
	exchange(
	    s, "{\"execute\":\"query-chardev\",\"id\":2020372738}\r\n",
	    "{\"return\": [{\"frontend-open\": true, \"filename\": "
	    "\"unix:/var/run/xen/qmp-libxl-4,server=on\", \"label\": \"libxl-cmd\"}], "
	    "\"id\": 2020372738}\r\n");
	exchange(s, "{\"execute\":\"query-vnc\",\"id\":2020372739}\r\n",
	         "{\"return\": {\"enabled\": false}, \"id\": 2020372739}\r\n");
	exchange(s,
	         "{\"execute\":\"change-vnc-password\",\"id\":2020372740,"
	         "\"arguments\":{\"password\":\"x\"}}\r\n",
	         OK("2020372740"));
	ck_assert_int_eq(calls.cont, 0);
	exchange(s, "{\"execute\":\"cont\",\"id\":2020372741}\r\n", OK("2020372741"));
	ck_assert_int_eq(calls.cont, 1);
	ck_assert_int_eq(ioreqd_qmp_vm_runstate(vm), IOREQD_QMP_RUNNING);
	exchange(s, "{\"execute\":\"query-status\",\"id\":2020372742}\r\n",
	         "{\"return\": {\"status\": \"running\", \"singlestep\": false, "
	         "\"running\": true}, \"id\": 2020372742}\r\n");
	/* A second cont while running changes nothing. */
	exchange(s, "{\"execute\":\"cont\",\"id\":3}", OK("3"));
	ck_assert_int_eq(calls.cont, 1);
	ck_assert_uint_eq(ioreqd_qmp_session_nr_commands(s), 8);
	ioreqd_qmp_session_free(s);
	ioreqd_qmp_vm_free(vm);
}
END_TEST

START_TEST(test_qmp_commands_need_negotiation_exactly_once)
{
	struct ioreqd_qmp_vm *vm = vm_new(IOREQD_QMP_RUNNING, true);
	struct ioreqd_qmp_session *s = ioreqd_qmp_session_new(vm);

	free(drain(s));
	exchange(s, "{\"execute\":\"query-status\",\"id\":5}\r\n",
	         "{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"Expecting "
	         "capabilities "
	         "negotiation with 'qmp_capabilities'\"}, \"id\": 5}\r\n");
	exchange(
	    s,
	    "{\"execute\":\"qmp_capabilities\",\"arguments\":{\"enable\":[\"oob\"]},"
	    "\"id\":6}",
	    "{\"error\": {\"class\": \"GenericError\", \"desc\": \"ioreqd offers no QMP "
	    "capability to enable\"}, \"id\": 6}\r\n");
	exchange(
	    s,
	    "{\"execute\":\"qmp_capabilities\",\"arguments\":{\"enable\":[ ]},\"id\":7}",
	    OK("7"));
	exchange(s, "{\"execute\":\"qmp_capabilities\",\"id\":8}",
	         "{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"Capabilities "
	         "negotiation is already complete, command ignored\"}, \"id\": 8}\r\n");
	ioreqd_qmp_session_free(s);
	ioreqd_qmp_vm_free(vm);
}
END_TEST

START_TEST(test_qmp_partial_input_is_answered_only_when_complete)
{
	struct ioreqd_qmp_vm *vm = vm_new(IOREQD_QMP_RUNNING, true);
	struct ioreqd_qmp_session *s = negotiated(vm);
	const char *cmd =
	    "{\"execute\": \"query-name\", \"id\": {\"x\": \"}]\\\"\"}}\r\n";
	size_t len;
	char *got;

	/* Nothing comes out until the closing brace, whatever the fragments. */
	for (size_t i = 0; i + 3 < strlen(cmd); i++) {
		ck_assert_int_eq(ioreqd_qmp_session_feed(s, cmd + i, 1), 0);
		ck_assert_ptr_null(ioreqd_qmp_session_output(s, &len));
	}
	feed(s, cmd + strlen(cmd) - 3);
	got = drain(s);
	ck_assert_str_eq(got, "{\"return\": {\"name\": \"guest\\\"4\"}, \"id\": "
	                      "{\"x\":\"}]\\\"\"}}\r\n");
	free(got);
	ioreqd_qmp_session_free(s);
	ioreqd_qmp_vm_free(vm);
}
END_TEST

START_TEST(test_qmp_several_commands_in_one_read_get_replies_in_order)
{
	struct ioreqd_qmp_vm *vm = vm_new(IOREQD_QMP_RUNNING, true);
	struct ioreqd_qmp_session *s = negotiated(vm);

	exchange(
	    s,
	    "{\"execute\":\"stop\",\"id\":1}{\"execute\":\"query-status\",\"id\":2}\n"
	    "  {\"execute\":\"cont\",\"id\":3}",
	    OK("1") "{\"return\": {\"status\": \"paused\", \"singlestep\": false, "
	            "\"running\": false}, \"id\": 2}\r\n" OK("3"));
	ck_assert_int_eq(calls.stop, 1);
	ck_assert_int_eq(calls.cont, 1);
	ioreqd_qmp_session_free(s);
	ioreqd_qmp_vm_free(vm);
}
END_TEST

START_TEST(test_qmp_garbage_gets_one_error_then_resyncs)
{
	struct ioreqd_qmp_vm *vm = vm_new(IOREQD_QMP_RUNNING, true);
	struct ioreqd_qmp_session *s = negotiated(vm);

	exchange(
	    s, "hello there\n\x01\r\n{\"execute\":\"query-kvm\",\"id\":9}",
	    "{\"error\": {\"class\": \"GenericError\", \"desc\": \"JSON parse error, "
	    "stray 'h'\"}}\r\n"
	    "{\"error\": {\"class\": \"GenericError\", \"desc\": \"JSON parse error, "
	    "stray byte 0x01\"}}\r\n"
	    "{\"return\": {\"enabled\": false, \"present\": false}, \"id\": 9}\r\n");
	exchange(
	    s, "{\"execute\": quux}\n{\"execute\":\"stop\",\"id\":10}",
	    "{\"error\": {\"class\": \"GenericError\", \"desc\": \"JSON parse error, "
	    "invalid character\"}}\r\n" OK("10"));
	ioreqd_qmp_session_free(s);
	ioreqd_qmp_vm_free(vm);
}
END_TEST

START_TEST(test_qmp_malformed_requests_get_precise_errors_with_id)
{
	struct ioreqd_qmp_vm *vm = vm_new(IOREQD_QMP_RUNNING, true);
	struct ioreqd_qmp_session *s = negotiated(vm);

	exchange(s, "[1, 2]",
	         "{\"error\": {\"class\": \"GenericError\", \"desc\": \"QMP input "
	         "must be a JSON object\"}}\r\n");
	exchange(s, "{\"execute\": 5, \"id\": 1}",
	         "{\"error\": {\"class\": \"GenericError\", \"desc\": \"QMP input member "
	         "'execute' must be a string\"}, \"id\": 1}\r\n");
	exchange(s, "{\"id\": 2}",
	         "{\"error\": {\"class\": \"GenericError\", \"desc\": \"QMP "
	         "input lacks member 'execute'\"}, \"id\": 2}\r\n");
	exchange(s, "{\"execute\": \"stop\", \"foo\": 1, \"id\": 3}",
	         "{\"error\": {\"class\": \"GenericError\", \"desc\": \"QMP input member "
	         "'foo' is unexpected\"}, \"id\": 3}\r\n");
	exchange(s, "{\"execute\": \"stop\", \"arguments\": [], \"id\": 4}",
	         "{\"error\": {\"class\": \"GenericError\", \"desc\": \"QMP input member "
	         "'arguments' must be an object\"}, \"id\": 4}\r\n");
	exchange(
	    s, "{\"execute\": \"stop\", \"id\": 01}",
	    "{\"error\": {\"class\": \"GenericError\", \"desc\": \"JSON parse error, "
	    "expected ',' or '}'\"}}\r\n");
	ck_assert_int_eq(calls.stop, 0);
	ioreqd_qmp_session_free(s);
	ioreqd_qmp_vm_free(vm);
}
END_TEST

START_TEST(test_qmp_unknown_and_refused_commands)
{
	struct ioreqd_qmp_vm *vm = vm_new(IOREQD_QMP_RUNNING, true);
	struct ioreqd_qmp_session *s = negotiated(vm);

	exchange(s, "{\"execute\":\"frobnicate\",\"id\":\"a\\\"b\"}",
	         "{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"The command "
	         "frobnicate has not been found\"}, \"id\": \"a\\\"b\"}\r\n");
	exchange(s, "{\"execute\":\"query-cpus\",\"id\":-3.5e2}",
	         "{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"The command "
	         "query-cpus has not been found\"}, \"id\": -3.5e2}\r\n");
	exchange(
	    s,
	    "{\"execute\":\"device_add\",\"arguments\":{\"driver\":\"qemu64-x86_64-cpu\","
	    "\"id\":\"cpu-1\"},\"id\":[1, null, true]}",
	    "{\"error\": {\"class\": \"GenericError\", \"desc\": \"ioreqd does not "
	    "support "
	    "'device_add': devices come from the ioreqd config file\"}, "
	    "\"id\": [1,null,true]}\r\n");
	exchange(
	    s, "{\"execute\":\"query-hotpluggable-cpus\",\"id\":4}",
	    "{\"error\": {\"class\": \"GenericError\", \"desc\": \"ioreqd does not "
	    "support "
	    "'query-hotpluggable-cpus': vCPU hotplug is not emulated\"}, \"id\": 4}\r\n");
	ioreqd_qmp_session_free(s);
	ioreqd_qmp_vm_free(vm);
}
END_TEST

START_TEST(test_qmp_libxenstat_commands_without_id_or_newline)
{
	struct ioreqd_qmp_vm *vm = vm_new(IOREQD_QMP_RUNNING, false);
	struct ioreqd_qmp_session *s = ioreqd_qmp_session_new(vm);

	free(drain(s));
	exchange(
	    s,
	    "{ \"execute\": \"qmp_capabilities\" }{ \"execute\": \"query-blockstats\" }"
	    "{ \"execute\": \"query-block\" }",
	    "{\"return\": {}}\r\n{\"return\": []}\r\n{\"return\": []}\r\n");
	ioreqd_qmp_session_free(s);
	ioreqd_qmp_vm_free(vm);
}
END_TEST

START_TEST(test_qmp_oversized_message_is_refused_once_and_skipped)
{
	struct ioreqd_qmp_vm *vm = vm_new(IOREQD_QMP_RUNNING, true);
	struct ioreqd_qmp_session *s = negotiated(vm);
	size_t n = 3 * IOREQD_QMP_MAX_MSG;
	char *big = malloc(n + 64);
	char *got;

	size_t head;

	ck_assert_ptr_nonnull(big);
	strcpy(big, "{\"execute\":\"stop\",\"id\":\"");
	head = strlen(big);
	memset(big + head, '{', n); /* brackets inside a string do not nest */
	strcpy(big + head + n, "\"}{\"execute\":\"query-kvm\",\"id\":2}");
	feed(s, big);
	got = drain(s);
	ck_assert_str_eq(got,
	                 "{\"error\": {\"class\": \"GenericError\", \"desc\": \"JSON "
	                 "parse error, message over 65536 bytes\"}}\r\n"
	                 "{\"return\": {\"enabled\": false, \"present\": false}, "
	                 "\"id\": 2}\r\n");
	ck_assert_int_eq(calls.stop, 0);
	free(got);
	free(big);
	ioreqd_qmp_session_free(s);
	ioreqd_qmp_vm_free(vm);
}
END_TEST

START_TEST(test_qmp_deep_nesting_is_refused_and_skipped)
{
	struct ioreqd_qmp_vm *vm = vm_new(IOREQD_QMP_RUNNING, true);
	struct ioreqd_qmp_session *s = negotiated(vm);
	char deep[300], *got;

	memset(deep, '[', 100);
	memset(deep + 100, ']', 100);
	strcpy(deep + 200, "{\"execute\":\"stop\",\"id\":1}");
	feed(s, deep);
	got = drain(s);
	ck_assert_str_eq(got,
	                 "{\"error\": {\"class\": \"GenericError\", \"desc\": \"JSON "
	                 "parse error, nesting over 32 levels\"}}\r\n" OK("1"));
	free(got);
	ioreqd_qmp_session_free(s);
	ioreqd_qmp_vm_free(vm);
}
END_TEST

START_TEST(test_qmp_failed_stop_keeps_state_and_reports_error)
{
	struct ioreqd_qmp_vm *vm = vm_new(IOREQD_QMP_RUNNING, true);
	struct ioreqd_qmp_session *s = negotiated(vm);

	calls.stop_rc = -EIO;
	exchange(s, "{\"execute\":\"stop\",\"id\":1}",
	         "{\"error\": {\"class\": \"GenericError\", \"desc\": \"ioreqd could not "
	         "stop: "
	         "Input/output error\"}, \"id\": 1}\r\n");
	ck_assert_int_eq(ioreqd_qmp_vm_runstate(vm), IOREQD_QMP_RUNNING);
	/* Stopping a machine that never ran calls nobody (as QEMU). */
	ioreqd_qmp_vm_set_runstate(vm, IOREQD_QMP_PRELAUNCH);
	exchange(s, "{\"execute\":\"stop\",\"id\":2}", OK("2"));
	ck_assert_int_eq(calls.stop, 1);
	ck_assert_int_eq(ioreqd_qmp_vm_runstate(vm), IOREQD_QMP_PRELAUNCH);
	ioreqd_qmp_session_free(s);
	ioreqd_qmp_vm_free(vm);
}
END_TEST

START_TEST(test_qmp_quit_replies_then_calls_back_and_ignores_the_rest)
{
	struct ioreqd_qmp_vm *vm = vm_new(IOREQD_QMP_RUNNING, true);
	struct ioreqd_qmp_session *s = negotiated(vm);

	exchange(s, "{\"execute\":\"quit\",\"id\":1}{\"execute\":\"stop\",\"id\":2}",
	         OK("1"));
	ck_assert_int_eq(calls.quit, 1);
	ck_assert_int_eq(calls.stop, 0);
	ck_assert(ioreqd_qmp_session_done(s));
	ck_assert_str_eq(ioreqd_qmp_runstate_name(ioreqd_qmp_vm_runstate(vm)),
	                 "shutdown");
	ioreqd_qmp_session_free(s);
	ioreqd_qmp_vm_free(vm);
}
END_TEST

START_TEST(test_qmp_add_fd_then_save_state_reaches_the_callback)
{
	struct ioreqd_qmp_vm *vm = vm_new(IOREQD_QMP_PAUSED, true);
	struct ioreqd_qmp_session *s = negotiated(vm);
	int p[2];
	char buf[16] = "", want[64], *got;

	exchange(
	    s, "{\"execute\":\"add-fd\",\"id\":1}",
	    "{\"error\": {\"class\": \"GenericError\", \"desc\": \"No file descriptor "
	    "supplied via SCM_RIGHTS\"}, \"id\": 1}\r\n");
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(ioreqd_qmp_session_pass_fd(s, p[1]), 0);
	feed(s, "{\"execute\":\"add-fd\",\"id\":2}");
	got = drain(s);
	snprintf(want, sizeof(want),
	         "{\"return\": {\"fd\": %d, \"fdset-id\": 0}, \"id\": 2}\r\n", p[1]);
	ck_assert_str_eq(got, want);
	free(got);
	exchange(s,
	         "{\"execute\":\"xen-save-devices-state\",\"id\":3,\"arguments\":"
	         "{\"live\":true,\"filename\":\"/dev/fdset/1\"}}",
	         "{\"error\": {\"class\": \"GenericError\", \"desc\": \"Could not open "
	         "'/dev/fdset/1': no such fdset\"}, \"id\": 3}\r\n");
	exchange(s,
	         "{\"execute\":\"xen-save-devices-state\",\"id\":4,\"arguments\":"
	         "{\"live\":true,\"filename\":\"/dev/fdset/0\"}}",
	         OK("4"));
	ck_assert_int_eq(calls.save, 1);
	ck_assert(calls.live);
	ck_assert_int_eq(read(p[0], buf, sizeof(buf)), 6);
	ck_assert_str_eq(buf, "IOREQD");
	exchange(s,
	         "{\"execute\":\"xen-load-devices-state\",\"id\":5,\"arguments\":"
	         "{\"filename\":\"/var/lib/xen/qemu-resume.4\"}}",
	         OK("5"));
	exchange(s, "{\"execute\":\"remove-fd\",\"id\":6,\"arguments\":{\"fdset-id\":0}}",
	         OK("6"));
	/* The session closed the write end: the pipe reads EOF. */
	ck_assert_int_eq(read(p[0], buf, sizeof(buf)), 0);
	close(p[0]);
	ioreqd_qmp_session_free(s);
	ioreqd_qmp_vm_free(vm);
}
END_TEST

START_TEST(test_qmp_save_without_callback_is_refused_and_fds_are_bounded)
{
	struct ioreqd_qmp_vm *vm = vm_new(IOREQD_QMP_PAUSED, false);
	struct ioreqd_qmp_session *s = negotiated(vm);

	exchange(
	    s,
	    "{\"execute\":\"xen-save-devices-state\",\"id\":1,\"arguments\":"
	    "{\"filename\":\"/dev/fdset/0\"}}",
	    "{\"error\": {\"class\": \"GenericError\", \"desc\": \"ioreqd cannot save "
	    "device state yet\"}, \"id\": 1}\r\n");
	exchange(
	    s, "{\"execute\":\"xen-save-devices-state\",\"id\":2}",
	    "{\"error\": {\"class\": \"GenericError\", \"desc\": \"Parameter 'filename' "
	    "is missing\"}, \"id\": 2}\r\n");
	for (unsigned i = 0; i < IOREQD_QMP_MAX_FDS; i++)
		ck_assert_int_eq(ioreqd_qmp_session_pass_fd(s, dup(0)), 0);
	ck_assert_int_eq(ioreqd_qmp_session_pass_fd(s, dup(0)), -EMFILE);
	ioreqd_qmp_session_free(s); /* closes the four it holds */
	ioreqd_qmp_vm_free(vm);
}
END_TEST

START_TEST(test_qmp_dirty_log_and_cpus_and_version)
{
	struct ioreqd_qmp_vm *vm = vm_new(IOREQD_QMP_RUNNING, true);
	struct ioreqd_qmp_session *s = negotiated(vm);
	char *got;

	exchange(s,
	         "{\"execute\":\"xen-set-global-dirty-log\",\"id\":1,"
	         "\"arguments\":{\"enable\":true}}",
	         OK("1"));
	exchange(
	    s, "{\"execute\":\"xen-set-global-dirty-log\",\"id\":2}",
	    "{\"error\": {\"class\": \"GenericError\", \"desc\": \"Parameter 'enable' is "
	    "missing\"}, \"id\": 2}\r\n");
	exchange(s, "{\"execute\":\"query-version\",\"id\":3}",
	         "{\"return\": {\"qemu\": {\"micro\": 0, \"minor\": 2, \"major\": 7}, "
	         "\"package\": \"ioreqd-test\"}, \"id\": 3}\r\n");
	ioreqd_qmp_vm_set_nr_cpus(vm, 3);
	feed(s, "{\"execute\":\"query-cpus-fast\",\"id\":4}");
	got = drain(s);
	ck_assert_ptr_nonnull(strstr(got, "\"cpu-index\": 0,"));
	ck_assert_ptr_nonnull(strstr(got, "\"cpu-index\": 2,"));
	ck_assert_ptr_null(strstr(got, "\"cpu-index\": 3,"));
	ck_assert_ptr_nonnull(strstr(got, "\"id\": 4}\r\n"));
	free(got);
	feed(s, "{\"execute\":\"query-commands\",\"id\":5}");
	got = drain(s);
	ck_assert_ptr_nonnull(strstr(got, "{\"name\": \"xen-save-devices-state\"}"));
	free(got);
	ioreqd_qmp_session_free(s);
	ioreqd_qmp_vm_free(vm);
}
END_TEST

START_TEST(test_qmp_dirty_log_reaches_the_callback_and_failures_say_why)
{
	struct ioreqd_qmp_vm *vm = vm_new(IOREQD_QMP_RUNNING, true);
	struct ioreqd_qmp_session *s = negotiated(vm);

	exchange(s,
	         "{\"execute\":\"xen-set-global-dirty-log\",\"id\":1,"
	         "\"arguments\":{\"enable\":true}}",
	         OK("1"));
	exchange(s,
	         "{\"execute\":\"xen-set-global-dirty-log\",\"id\":2,"
	         "\"arguments\":{\"enable\":false}}",
	         OK("2"));
	ck_assert_int_eq(calls.dirty_on, 1);
	ck_assert_int_eq(calls.dirty_off, 1);
	exchange(s,
	         "{\"execute\":\"xen-set-global-dirty-log\",\"id\":3,"
	         "\"arguments\":{\"enable\":\"yes\"}}",
	         "{\"error\": {\"class\": \"GenericError\", \"desc\": \"Invalid "
	         "parameter type for 'enable', expected: boolean\"}, \"id\": 3}\r\n");
	calls.dirty_rc = -EIO;
	exchange(s,
	         "{\"execute\":\"xen-set-global-dirty-log\",\"id\":4,"
	         "\"arguments\":{\"enable\":true}}",
	         "{\"error\": {\"class\": \"GenericError\", \"desc\": \"ioreqd could "
	         "not enable the dirty log: Input/output error\"}, \"id\": 4}\r\n");
	ck_assert_int_eq(calls.dirty_on, 1);
	ioreqd_qmp_session_free(s);
	ioreqd_qmp_vm_free(vm);
}
END_TEST

START_TEST(test_qmp_save_and_load_failures_are_qmp_errors_with_the_reason)
{
	struct ioreqd_qmp_vm *vm = vm_new(IOREQD_QMP_PAUSED, true);
	struct ioreqd_qmp_session *s = negotiated(vm);
	int p[2];

	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(ioreqd_qmp_session_pass_fd(s, p[1]), 0);
	free((feed(s, "{\"execute\":\"add-fd\",\"id\":1}"), drain(s)));
	exchange(s,
	         "{\"execute\":\"xen-save-devices-state\",\"id\":2,\"arguments\":"
	         "{\"live\":\"no\",\"filename\":\"/dev/fdset/0\"}}",
	         "{\"error\": {\"class\": \"GenericError\", \"desc\": \"Invalid "
	         "parameter type for 'live', expected: boolean\"}, \"id\": 2}\r\n");
	exchange(s,
	         "{\"execute\":\"xen-save-devices-state\",\"id\":3,\"arguments\":"
	         "{\"filename\":\"/var/lib/xen/qemu-save.4\"}}",
	         "{\"error\": {\"class\": \"GenericError\", \"desc\": \"ioreqd saves "
	         "only to /dev/fdset/N, not '/var/lib/xen/qemu-save.4'\"}, \"id\": "
	         "3}\r\n");
	ck_assert_int_eq(calls.save, 0);
	calls.save_rc = -EBUSY;
	exchange(s,
	         "{\"execute\":\"xen-save-devices-state\",\"id\":4,\"arguments\":"
	         "{\"live\":false,\"filename\":\"/dev/fdset/0\"}}",
	         "{\"error\": {\"class\": \"GenericError\", \"desc\": \"ioreqd could "
	         "not save the device state: device com1 refused: FIFO \\\"full\\\"\"}, "
	         "\"id\": 4}\r\n");
	ck_assert_int_eq(calls.save, 1);
	ck_assert(!calls.live);
	exchange(s,
	         "{\"execute\":\"xen-load-devices-state\",\"id\":5,\"arguments\":"
	         "{\"filename\":\"/nonexistent\"}}",
	         "{\"error\": {\"class\": \"GenericError\", \"desc\": \"ioreqd could "
	         "not load the device state: /nonexistent: no such file\"}, \"id\": "
	         "5}\r\n");
	close(p[0]);
	ioreqd_qmp_session_free(s);
	ioreqd_qmp_vm_free(vm);
}
END_TEST

START_TEST(test_qmp_client_that_never_reads_is_cut_off)
{
	struct ioreqd_qmp_vm *vm = vm_new(IOREQD_QMP_RUNNING, true);
	struct ioreqd_qmp_session *s = negotiated(vm);
	const char *cmd = "{\"execute\":\"query-commands\"}";
	int rc = 0;

	for (int i = 0; i < 100000 && rc == 0; i++)
		rc = ioreqd_qmp_session_feed(s, cmd, strlen(cmd));
	ck_assert_int_eq(rc, -ENOBUFS);
	ioreqd_qmp_session_free(s);
	ioreqd_qmp_vm_free(vm);
}
END_TEST

static Suite *qmp_suite(void)
{
	Suite *s = suite_create("qmp");
	TCase *tc = tcase_create("responder");

	tcase_add_test(tc, test_qmp_libxl_startup_sequence_under_dash_s);
	tcase_add_test(tc, test_qmp_commands_need_negotiation_exactly_once);
	tcase_add_test(tc, test_qmp_partial_input_is_answered_only_when_complete);
	tcase_add_test(tc, test_qmp_several_commands_in_one_read_get_replies_in_order);
	tcase_add_test(tc, test_qmp_garbage_gets_one_error_then_resyncs);
	tcase_add_test(tc, test_qmp_malformed_requests_get_precise_errors_with_id);
	tcase_add_test(tc, test_qmp_unknown_and_refused_commands);
	tcase_add_test(tc, test_qmp_libxenstat_commands_without_id_or_newline);
	tcase_add_test(tc, test_qmp_oversized_message_is_refused_once_and_skipped);
	tcase_add_test(tc, test_qmp_deep_nesting_is_refused_and_skipped);
	tcase_add_test(tc, test_qmp_failed_stop_keeps_state_and_reports_error);
	tcase_add_test(tc, test_qmp_quit_replies_then_calls_back_and_ignores_the_rest);
	tcase_add_test(tc, test_qmp_add_fd_then_save_state_reaches_the_callback);
	tcase_add_test(tc, test_qmp_save_without_callback_is_refused_and_fds_are_bounded);
	tcase_add_test(tc, test_qmp_dirty_log_and_cpus_and_version);
	tcase_add_test(tc, test_qmp_dirty_log_reaches_the_callback_and_failures_say_why);
	tcase_add_test(tc,
	               test_qmp_save_and_load_failures_are_qmp_errors_with_the_reason);
	tcase_add_test(tc, test_qmp_client_that_never_reads_is_cut_off);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(qmp_suite());
	int failed;

	ioreqd_log_init("check_qmp", IOREQD_LOG_TO_STDERR, LOG_LEVEL_WARN);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
