/* SPDX-License-Identifier: MIT */
/*
 * Tests for lib/qmp.c (the QMP responder, fed bytes directly) and
 * daemon/qmp-server.c (the same over real UNIX sockets on an event_base).
 * The command sequences are the ones libxl 4.17 sends: qmp_capabilities,
 * query-status (expecting "prelaunch" under -S), query-chardev, query-vnc,
 * cont; add-fd with SCM_RIGHTS then xen-save-devices-state; and libxenstat's
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

#include <event2/event.h>

#include "log.h"
#include "qmp-server.h"
#include "qmp.h"
#include "xlargs.h"

#define GREETING                                                                         \
	"{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 2, \"major\": "    \
	"7}, "                                                                           \
	"\"package\": \"ioreqd-test\"}, \"capabilities\": []}}\r\n"
#define OK(id) "{\"return\": {}, \"id\": " id "}\r\n"

struct calls {
	int stop, cont, quit, save, load, dirty_on, dirty_off;
	int stop_rc, save_rc, dirty_rc;
	bool live;
};

static int cb_stop(void *arg)
{
	struct calls *c = arg;

	c->stop++;
	return c->stop_rc;
}

static int cb_cont(void *arg)
{
	((struct calls *)arg)->cont++;
	return 0;
}

static void cb_quit(void *arg)
{
	((struct calls *)arg)->quit++;
}

static int cb_save(void *arg, int fd, bool live, char *msg, size_t msglen)
{
	struct calls *c = arg;

	c->save++;
	c->live = live;
	if (c->save_rc) {
		snprintf(msg, msglen, "device com1 refused: FIFO \"full\"");
		return c->save_rc;
	}
	return write(fd, "IOREQD", 6) == 6 ? 0 : -EIO;
}

static int cb_load(void *arg, const char *filename, char *msg, size_t msglen)
{
	((struct calls *)arg)->load++;
	if (strcmp(filename, "/var/lib/xen/qemu-resume.4")) {
		snprintf(msg, msglen, "%s: no such file", filename);
		return -ENOENT;
	}
	return 0;
}

static int cb_dirty(void *arg, bool enable, char *msg, size_t msglen)
{
	struct calls *c = arg;

	if (c->dirty_rc)
		return c->dirty_rc; /* no message: the errno's text is used */
	if (enable)
		c->dirty_on++;
	else
		c->dirty_off++;
	return 0;
}

static const struct ioreqd_qmp_callbacks callbacks = {
    .stop = cb_stop,
    .cont = cb_cont,
    .quit = cb_quit,
    .save_state = cb_save,
    .load_state = cb_load,
    .dirty_log = cb_dirty,
};

static struct calls calls;

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

/* ---- the server, over real sockets ---- */

static char tmpdir[64];

static void make_tmpdir(void)
{
	strcpy(tmpdir, "/tmp/check_qmp.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static int client_connect(const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);

	ck_assert_int_ge(fd, 0);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	return fd;
}

static void send_str(int fd, const char *str)
{
	ck_assert_int_eq(write(fd, str, strlen(str)), (ssize_t)strlen(str));
}

/* Run the loop until the client has read @p lines replies (bounded). */
static char *pump(struct event_base *base, int fd, int lines)
{
	static char buf[8192];
	size_t len = 0;

	buf[0] = '\0';
	for (int i = 0; i < 200; i++) {
		struct timeval tv = {0, 20000};
		int seen = 0;
		ssize_t n;

		event_base_loopexit(base, &tv);
		event_base_dispatch(base);
		while ((n = recv(fd, buf + len, sizeof(buf) - 1 - len, 0)) > 0)
			len += (size_t)n;
		buf[len] = '\0';
		for (char *p = buf; (p = strstr(p, "\r\n")); p += 2)
			seen++;
		if (seen >= lines || n == 0)
			break;
	}
	return buf;
}

START_TEST(test_qmp_server_serves_a_socket_and_removes_it)
{
	struct event_base *base = event_base_new();
	struct ioreqd_qmp_vm_args a = {.initial = IOREQD_QMP_PRELAUNCH,
	                               .package = "ioreqd-test",
	                               .cb = &callbacks,
	                               .arg = &calls};
	struct ioreqd_qmp_server *srv;
	char path[128];
	int fd;

	memset(&calls, 0, sizeof(calls));
	make_tmpdir();
	snprintf(path, sizeof(path), "%s/qmp-libxl-4", tmpdir);
	srv = ioreqd_qmp_server_new(base, &a);
	ck_assert_ptr_nonnull(srv);
	ck_assert_int_eq(ioreqd_qmp_server_listen(srv, "libxl-cmd", path), 0);
	fd = client_connect(path);
	ck_assert_str_eq(pump(base, fd, 1), GREETING);
	ck_assert_uint_eq(ioreqd_qmp_server_nr_clients(srv), 1);
	send_str(fd, "{\"execute\":\"qmp_capabilities\",\"id\":1}\r\n"
	             "{\"execute\":\"query-status\",\"id\":2}\r\n");
	ck_assert_str_eq(
	    pump(base, fd, 2),
	    OK("1") "{\"return\": {\"status\": \"prelaunch\", \"singlestep\": "
	            "false, \"running\": false}, \"id\": 2}\r\n");
	send_str(fd, "{\"execute\":\"query-chardev\",\"id\":3}");
	ck_assert_ptr_nonnull(strstr(pump(base, fd, 1), "qmp-libxl-4,server=on"));
	close(fd);
	pump(base, -1, 0); /* let the server see the hang-up */
	ck_assert_uint_eq(ioreqd_qmp_server_nr_clients(srv), 0);
	ioreqd_qmp_server_free(srv);
	ck_assert_int_eq(access(path, F_OK), -1);
	ck_assert_int_eq(rmdir(tmpdir), 0);
	event_base_free(base);
}
END_TEST

START_TEST(test_qmp_server_receives_add_fd_over_scm_rights_and_quits)
{
	struct event_base *base = event_base_new();
	struct ioreqd_qmp_vm_args a = {.initial = IOREQD_QMP_RUNNING,
	                               .package = "ioreqd-test",
	                               .cb = &callbacks,
	                               .arg = &calls};
	const char *cmd = "{\"execute\":\"add-fd\",\"id\":10}\r\n";
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} cm;
	struct iovec iov = {.iov_base = (void *)cmd, .iov_len = strlen(cmd)};
	struct msghdr msg = {.msg_iov = &iov,
	                     .msg_iovlen = 1,
	                     .msg_control = cm.buf,
	                     .msg_controllen = sizeof(cm.buf)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	struct ioreqd_qmp_server *srv;
	char path[128], buf[16] = "";
	int fd, p[2];

	memset(&calls, 0, sizeof(calls));
	make_tmpdir();
	snprintf(path, sizeof(path), "%s/qmp", tmpdir);
	srv = ioreqd_qmp_server_new(base, &a);
	ck_assert_int_eq(ioreqd_qmp_server_listen(srv, "libxl-cmd", path), 0);
	fd = client_connect(path);
	pump(base, fd, 1);
	send_str(fd, "{\"execute\":\"qmp_capabilities\",\"id\":1}");
	pump(base, fd, 1);
	ck_assert_int_eq(pipe(p), 0);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &p[1], sizeof(int));
	ck_assert_int_eq(sendmsg(fd, &msg, 0), (ssize_t)strlen(cmd));
	close(p[1]); /* the server has its own copy now */
	ck_assert_ptr_nonnull(strstr(pump(base, fd, 1), "\"fdset-id\": 0}, \"id\": 10}"));
	send_str(fd, "{\"execute\":\"xen-save-devices-state\",\"arguments\":"
	             "{\"filename\":\"/dev/fdset/0\"},\"id\":11}");
	ck_assert_str_eq(pump(base, fd, 1), OK("11"));
	ck_assert_int_eq(read(p[0], buf, sizeof(buf) - 1), 6);
	send_str(fd, "{\"execute\":\"quit\",\"id\":12}");
	ck_assert_str_eq(pump(base, fd, 1), OK("12"));
	ck_assert_int_eq(calls.quit, 1);
	/* After quit the server hangs up, as QEMU exits. */
	pump(base, fd, 1);
	ck_assert_int_eq(recv(fd, buf, sizeof(buf), 0), 0);
	ck_assert_uint_eq(ioreqd_qmp_server_nr_clients(srv), 0);
	/* ...and the saved descriptor went with the session. */
	ck_assert_int_eq(read(p[0], buf, sizeof(buf)), 0);
	close(p[0]);
	close(fd);
	ioreqd_qmp_server_free(srv);
	rmdir(tmpdir);
	event_base_free(base);
}
END_TEST

/* Send @p cmd with descriptor @p fd attached (SCM_RIGHTS), as libxl's add-fd does. */
static void send_with_fd(int sock, const char *cmd, int fd)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} cm;
	struct iovec iov = {.iov_base = (void *)cmd, .iov_len = strlen(cmd)};
	struct msghdr msg = {.msg_iov = &iov,
	                     .msg_iovlen = 1,
	                     .msg_control = cm.buf,
	                     .msg_controllen = sizeof(cm.buf)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	ck_assert_int_eq(sendmsg(sock, &msg, 0), (ssize_t)strlen(cmd));
}

/*
 * libxl 4.17's save of a qemu-xen guest, message for message: a QMP
 * connection for the dirty log (xc_domain_save turns it on first), then
 * libxl__qmp_suspend_save on another: stop, add-fd carrying
 * /var/lib/xen/qemu-save.DOMID (opened O_WRONLY|O_CREAT, closed by libxl
 * as soon as it is sent), xen-save-devices-state into /dev/fdset/N with
 * "live"; the dirty log off at the end; "cont" when the save is cancelled
 * (xl save -c).  Each libxl__ev_qmp is a new connection that negotiates.
 */
START_TEST(test_qmp_server_libxl_save_sequence_writes_into_the_passed_file)
{
	struct event_base *base = event_base_new();
	struct ioreqd_qmp_vm_args a = {.initial = IOREQD_QMP_RUNNING,
	                               .package = "ioreqd-test",
	                               .cb = &callbacks,
	                               .arg = &calls};
	struct ioreqd_qmp_server *srv;
	char path[128], file[160], buf[32] = "";
	int fd, f;

	memset(&calls, 0, sizeof(calls));
	make_tmpdir();
	snprintf(path, sizeof(path), "%s/qmp-libxl-4", tmpdir);
	snprintf(file, sizeof(file), "%s/qemu-save.4", tmpdir);
	srv = ioreqd_qmp_server_new(base, &a);
	ck_assert_int_eq(ioreqd_qmp_server_listen(srv, "libxl-cmd", path), 0);

	fd = client_connect(path);
	ck_assert_ptr_nonnull(strstr(pump(base, fd, 1), "\"QMP\""));
	send_str(fd, "{\"execute\":\"qmp_capabilities\",\"id\":1}\r\n");
	ck_assert_str_eq(pump(base, fd, 1), OK("1"));
	send_str(fd, "{\"execute\":\"xen-set-global-dirty-log\",\"id\":2,"
	             "\"arguments\":{\"enable\":true}}\r\n");
	ck_assert_str_eq(pump(base, fd, 1), OK("2"));
	close(fd);
	ck_assert_int_eq(calls.dirty_on, 1);

	fd = client_connect(path);
	pump(base, fd, 1);
	send_str(fd, "{\"execute\":\"qmp_capabilities\",\"id\":1}\r\n");
	ck_assert_str_eq(pump(base, fd, 1), OK("1"));
	send_str(fd, "{\"execute\":\"stop\",\"id\":2}\r\n");
	ck_assert_str_eq(pump(base, fd, 1), OK("2"));
	ck_assert_int_eq(calls.stop, 1);
	f = open(file, O_WRONLY | O_CREAT, 0600);
	ck_assert_int_ge(f, 0);
	send_with_fd(fd, "{\"execute\":\"add-fd\",\"id\":3}\r\n", f);
	close(f);
	ck_assert_ptr_nonnull(strstr(pump(base, fd, 1), "\"fdset-id\": 0}, \"id\": 3}"));
	send_str(fd, "{\"execute\":\"xen-save-devices-state\",\"id\":4,"
	             "\"arguments\":{\"live\":false,\"filename\":\"/dev/fdset/0\"}}\r\n");
	ck_assert_str_eq(pump(base, fd, 1), OK("4"));
	ck_assert_int_eq(calls.save, 1);
	ck_assert(!calls.live);
	close(fd);
	pump(base, -1, 0); /* the server sees the hang-up and closes the file */
	ck_assert_uint_eq(ioreqd_qmp_server_nr_clients(srv), 0);
	f = open(file, O_RDONLY);
	ck_assert_int_ge(f, 0);
	ck_assert_int_eq(read(f, buf, sizeof(buf)), 6);
	ck_assert_str_eq(buf, "IOREQD");
	close(f);

	fd = client_connect(path);
	pump(base, fd, 1);
	send_str(fd, "{\"execute\":\"qmp_capabilities\",\"id\":1}\r\n");
	pump(base, fd, 1);
	send_str(fd, "{\"execute\":\"xen-set-global-dirty-log\",\"id\":2,"
	             "\"arguments\":{\"enable\":false}}\r\n");
	ck_assert_str_eq(pump(base, fd, 1), OK("2"));
	send_str(fd, "{\"execute\":\"cont\",\"id\":3}\r\n");
	ck_assert_str_eq(pump(base, fd, 1), OK("3"));
	ck_assert_int_eq(calls.dirty_off, 1);
	ck_assert_int_eq(calls.cont, 1);
	close(fd);
	pump(base, -1, 0);
	ioreqd_qmp_server_free(srv);
	unlink(file);
	rmdir(tmpdir);
	event_base_free(base);
}
END_TEST

START_TEST(test_qmp_server_takes_a_listening_fd_and_leaves_its_file)
{
	struct event_base *base = event_base_new();
	struct ioreqd_qmp_vm_args a = {.initial = IOREQD_QMP_PRELAUNCH,
	                               .package = "ioreqd-test"};
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct ioreqd_qmp_server *srv;
	int lfd, fd, notlistening;

	make_tmpdir();
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/pre-opened", tmpdir);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	ck_assert_int_eq(listen(lfd, 1), 0);
	srv = ioreqd_qmp_server_new(base, &a);
	notlistening = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_eq(ioreqd_qmp_server_listen_fd(srv, "x", notlistening), -EINVAL);
	ck_assert_int_eq(ioreqd_qmp_server_listen_fd(srv, "libxl-cmd", lfd), 0);
	fd = client_connect(sun.sun_path);
	ck_assert_str_eq(pump(base, fd, 1), GREETING);
	close(fd);
	ioreqd_qmp_server_free(srv);
	/* libxl made the file and removes it; the server must not. */
	ck_assert_int_eq(access(sun.sun_path, F_OK), 0);
	unlink(sun.sun_path);
	rmdir(tmpdir);
	event_base_free(base);
}
END_TEST

START_TEST(test_qmp_server_never_replaces_a_regular_file)
{
	struct event_base *base = event_base_new();
	struct ioreqd_qmp_vm_args a = {.initial = IOREQD_QMP_RUNNING};
	struct ioreqd_qmp_server *srv = ioreqd_qmp_server_new(base, &a);
	char path[128], longpath[200];
	struct stat st;
	int fd;

	make_tmpdir();
	snprintf(path, sizeof(path), "%s/file", tmpdir);
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	send_str(fd, "keep");
	close(fd);
	ck_assert_int_eq(ioreqd_qmp_server_listen(srv, "libxl-cmd", path), -EEXIST);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_size, 4);
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	ck_assert_int_eq(ioreqd_qmp_server_listen(srv, "x", longpath), -ENAMETOOLONG);
	ioreqd_qmp_server_free(srv);
	unlink(path);
	rmdir(tmpdir);
	event_base_free(base);
}
END_TEST

START_TEST(test_qmp_server_listens_on_every_xlargs_monitor)
{
	struct event_base *base = event_base_new();
	struct ioreqd_qmp_vm_args a = {.initial = IOREQD_QMP_RUNNING,
	                               .package = "ioreqd-test"};
	struct ioreqd_qmp_server *srv;
	struct ioreqd_xlargs xa;
	char c1[256], c2[256], p1[128], p2[128], err[128];
	int fd;

	make_tmpdir();
	snprintf(p1, sizeof(p1), "%s/qmp-libxl-6", tmpdir);
	snprintf(p2, sizeof(p2), "%s/qmp-libxenstat-6", tmpdir);
	snprintf(c1, sizeof(c1), "socket,id=libxl-cmd,path=%s,server=on,wait=off", p1);
	snprintf(c2, sizeof(c2), "socket,id=libxenstat-cmd,path=%s,server=on,wait=off",
	         p2);
	char *const argv[] = {"ioreqd",
	                      "-xen-domid",
	                      "6",
	                      "-chardev",
	                      c1,
	                      "-mon",
	                      "chardev=libxl-cmd,mode=control",
	                      "-chardev",
	                      c2,
	                      "-mon",
	                      "chardev=libxenstat-cmd,mode=control",
	                      "-machine",
	                      "xenfv"};
	ck_assert_int_eq(ioreqd_xlargs_parse(13, argv, &xa, err, sizeof(err)), 0);
	srv = ioreqd_qmp_server_new(base, &a);
	ck_assert_int_eq(ioreqd_qmp_server_listen_xlargs(srv, &xa), 0);
	fd = client_connect(p2);
	pump(base, fd, 1);
	send_str(fd, "{ \"execute\": \"qmp_capabilities\" }"
	             "{ \"execute\": \"query-chardev\" }");
	ck_assert_ptr_nonnull(strstr(pump(base, fd, 2), "\"label\": \"libxenstat-cmd\""));
	close(fd);
	ioreqd_qmp_server_free(srv);
	ck_assert_int_eq(access(p1, F_OK), -1);
	ck_assert_int_eq(access(p2, F_OK), -1);
	ioreqd_xlargs_dispose(&xa);
	rmdir(tmpdir);
	event_base_free(base);
}
END_TEST

static unsigned nr_logged;

static void count_line(int level, const char *msg, void *arg)
{
	(void)level;
	(void)msg;
	(void)arg;
	nr_logged++;
}

/* One client connects, the loop runs once, the client goes. */
static void connect_and_go(struct event_base *base, const char *path)
{
	int fd = client_connect(path);

	event_base_loop(base, EVLOOP_NONBLOCK);
	close(fd);
	event_base_loop(base, EVLOOP_NONBLOCK);
}

/*
 * What a local client can make the server say - refused connections beyond
 * the cap, more descriptors than a message may carry, hang-ups - is rate
 * limited at every verbosity: a flood costs a few lines, not one each.
 */
START_TEST(test_qmp_server_client_flood_is_rate_limited_at_every_verbosity)
{
	static const unsigned flood = 300;

	for (int verbosity = LOG_LEVEL_WARN; verbosity <= LOG_LEVEL_DEBUG; verbosity++) {
		struct event_base *base = event_base_new();
		struct ioreqd_qmp_vm_args a = {.initial = IOREQD_QMP_RUNNING,
		                               .package = "ioreqd-test"};
		int held[IOREQD_QMP_MAX_CLIENTS], p[2];
		struct ioreqd_qmp_server *srv;
		char path[128];

		make_tmpdir();
		snprintf(path, sizeof(path), "%s/qmp", tmpdir);
		srv = ioreqd_qmp_server_new(base, &a);
		ck_assert_int_eq(ioreqd_qmp_server_listen(srv, "libxl-cmd", path), 0);
		ck_assert_int_eq(pipe(p), 0);
		ioreqd_log_set_verbosity(verbosity);
		nr_logged = 0;
		ioreqd_log_set_sink(count_line, NULL);
		for (unsigned i = 0; i < IOREQD_QMP_MAX_CLIENTS; i++) {
			held[i] = client_connect(path);
			event_base_loop(base, EVLOOP_NONBLOCK);
		}
		ck_assert_uint_eq(ioreqd_qmp_server_nr_clients(srv),
		                  IOREQD_QMP_MAX_CLIENTS);
		/* Over the cap: each one is accepted and closed at once. */
		for (unsigned i = 0; i < flood; i++)
			connect_and_go(base, path);
		/* Messages carrying more descriptors than the server takes. */
		for (unsigned i = 0; i < flood; i++) {
			int fds[IOREQD_QMP_MAX_FDS + 2];
			union {
				struct cmsghdr align;
				char buf[CMSG_SPACE(sizeof(fds))];
			} cm;
			struct iovec iov = {.iov_base = (void *)" ", .iov_len = 1};
			struct msghdr msg = {.msg_iov = &iov,
			                     .msg_iovlen = 1,
			                     .msg_control = cm.buf,
			                     .msg_controllen = sizeof(cm.buf)};
			struct cmsghdr *c = CMSG_FIRSTHDR(&msg);

			for (unsigned k = 0; k < IOREQD_QMP_MAX_FDS + 2; k++)
				fds[k] = p[k & 1];
			c->cmsg_level = SOL_SOCKET;
			c->cmsg_type = SCM_RIGHTS;
			c->cmsg_len = CMSG_LEN(sizeof(fds));
			memcpy(CMSG_DATA(c), fds, sizeof(fds));
			ck_assert_int_eq(
			    sendmsg(held[i % IOREQD_QMP_MAX_CLIENTS], &msg, 0), 1);
			event_base_loop(base, EVLOOP_NONBLOCK);
		}
		/* Clients going away (a debug line each, before). */
		for (unsigned i = 0; i < IOREQD_QMP_MAX_CLIENTS; i++)
			close(held[i]);
		pump(base, -1, 0);
		ck_assert_uint_eq(ioreqd_qmp_server_nr_clients(srv), 0);
		ioreqd_log_set_sink(NULL, NULL);
		/* A burst of 10, two a second after that; the run takes seconds at most.
		 */
		ck_assert_msg(nr_logged <= 40, "verbosity %d: %u lines for a flood of %u",
		              verbosity, nr_logged, 2 * flood);
		ck_assert_uint_ge(nr_logged, 1);
		ioreqd_qmp_server_free(srv);
		close(p[0]);
		close(p[1]);
		rmdir(tmpdir);
		event_base_free(base);
	}
	ioreqd_log_set_verbosity(LOG_LEVEL_WARN);
}
END_TEST

static double cpu_seconds(void)
{
	struct rusage ru;

	ck_assert_int_eq(getrusage(RUSAGE_SELF, &ru), 0);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/*
 * Out of descriptors, queued clients cannot be accepted and the socket stays
 * readable.  The listener rests and is re-added from a timer instead of
 * spinning the loop: little CPU, one warning, and the client is served once
 * descriptors are back.
 */
START_TEST(test_qmp_server_backs_off_when_out_of_descriptors)
{
	struct event_base *base = event_base_new();
	struct ioreqd_qmp_vm_args a = {.initial = IOREQD_QMP_RUNNING,
	                               .package = "ioreqd-test"};
	struct timeval half = {0, 500000};
	struct rlimit old, low;
	struct ioreqd_qmp_server *srv;
	double cpu;
	char path[128];
	int fd[4], probe;

	make_tmpdir();
	snprintf(path, sizeof(path), "%s/qmp", tmpdir);
	srv = ioreqd_qmp_server_new(base, &a);
	ck_assert_int_eq(ioreqd_qmp_server_listen(srv, "libxl-cmd", path), 0);
	for (unsigned i = 0; i < 4; i++)
		fd[i] = client_connect(path);
	/* The lowest free descriptor becomes the limit: accept() gets EMFILE. */
	probe = dup(0);
	ck_assert_int_ge(probe, 0);
	close(probe);
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &old), 0);
	low = old;
	low.rlim_cur = (rlim_t)probe;
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &low), 0);
	nr_logged = 0;
	ioreqd_log_set_sink(count_line, NULL);
	cpu = cpu_seconds();
	event_base_loopexit(base, &half);
	event_base_dispatch(base);
	cpu = cpu_seconds() - cpu;
	ioreqd_log_set_sink(NULL, NULL);
	/* A spinning loop burns the whole half second; resting costs nothing. */
	ck_assert_msg(cpu < 0.1, "%.3f s of CPU in 0.5 s", cpu);
	ck_assert_msg(nr_logged >= 1 && nr_logged <= 5,
	              "%u lines (%.3f s of CPU in 0.5 s)", nr_logged, cpu);
	ck_assert_uint_eq(ioreqd_qmp_server_nr_clients(srv), 0);
	/* Descriptors again: the clients are accepted and greeted. */
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &old), 0);
	ck_assert_str_eq(pump(base, fd[0], 1), GREETING);
	ck_assert_uint_eq(ioreqd_qmp_server_nr_clients(srv), 4);
	for (unsigned i = 0; i < 4; i++)
		close(fd[i]);
	ioreqd_qmp_server_free(srv);
	rmdir(tmpdir);
	event_base_free(base);
}
END_TEST

static Suite *qmp_suite(void)
{
	Suite *s = suite_create("qmp");
	TCase *tc = tcase_create("responder");
	TCase *ts = tcase_create("server");

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
	tcase_add_test(ts, test_qmp_server_serves_a_socket_and_removes_it);
	tcase_add_test(ts, test_qmp_server_receives_add_fd_over_scm_rights_and_quits);
	tcase_add_test(ts,
	               test_qmp_server_libxl_save_sequence_writes_into_the_passed_file);
	tcase_add_test(ts, test_qmp_server_takes_a_listening_fd_and_leaves_its_file);
	tcase_add_test(ts, test_qmp_server_never_replaces_a_regular_file);
	tcase_add_test(ts, test_qmp_server_listens_on_every_xlargs_monitor);
	tcase_add_test(ts,
	               test_qmp_server_client_flood_is_rate_limited_at_every_verbosity);
	tcase_add_test(ts, test_qmp_server_backs_off_when_out_of_descriptors);
	suite_add_tcase(s, ts);
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
