/* SPDX-License-Identifier: MIT */
/*
 * The statistics walk (daemon/stats.c) and the control socket
 * (daemon/control.c): the JSON and the table agree with the counters and
 * with each other, names are escaped, the socket answers "stats json" and
 * refuses anything else, saves and loads the device state to and from
 * absolute paths (refusing junk with the stream's message), the default
 * paths follow the backend, and teardown removes the socket.  A forked child plays
 * `ioreqd --stats` while the test runs the daemon's event loop.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "devstate.h"

static struct ioreqd_daemon d;
static char dir[64];
static char ctl_path[96];

static int noop_notify(void *opaque, unsigned vcpu)
{
	return 0;
}

static const struct ioreqd_guest_ops ops_guest = {
    .notify = noop_notify,
};

/* Reads return 0x42; everything is handled. */
static enum ioreqd_fault_result answer42(ioreqd_fault_t *f, void *opaque)
{
	if (ioreqd_fault_is_read(f))
		ioreqd_fault_set_data(f, 0x42);
	return IOREQD_FAULT_HANDLED;
}

static const struct ioreqd_handler weird = {
    .name = "we\"ird\n",
    .fn = answer42,
    .order = IOREQD_ORDER_NORMAL,
};

static void access1(uint64_t addr, bool read)
{
	ioreq_t q;

	memset(&q, 0, sizeof(q));
	q.addr = addr;
	q.size = 4;
	q.count = 1;
	q.state = STATE_IOREQ_READY;
	q.dir = read ? IOREQ_READ : IOREQ_WRITE;
	q.type = IOREQ_TYPE_COPY;
	q.data = read ? 0 : 7;
	ck_assert_int_eq(ioreqd_engine_inject(d.engine, 0, &q), 1);
}

/* What the sim backend reports; xen reports none of these. */
#define SIM_CAPS (IOREQD_BE_CAP_UNPRIVILEGED | IOREQD_BE_CAP_SOCKET)

/* The control socket asks the backend only for its capabilities. */
static const struct ioreqd_backend_ops sim_like = {.name = "sim", .caps = SIM_CAPS};

static void setup(void)
{
	struct ioreqd_range *r = NULL;
	const char *why = NULL;

	memset(&d, 0, sizeof(d));
	d.opts.domid = 3;
	d.opts.backend = "sim";
	d.be = &sim_like;
	snprintf(dir, sizeof(dir), "/tmp/check-control.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(ctl_path, sizeof(ctl_path), "%s/ctl", dir);
	d.opts.control = ctl_path;
	d.base = event_base_new();
	d.bus = ioreqd_bus_new();
	ck_assert_ptr_nonnull(d.base);
	ck_assert_ptr_nonnull(d.bus);
	ck_assert_int_eq(
	    ioreqd_bus_add(d.bus, IOREQD_SPACE_MMIO, 0x1000, 0x1fff, &r, &why), 0);
	ck_assert_int_eq(ioreqd_range_install(r, &weird, NULL, NULL), 0);
	d.engine = ioreqd_engine_new(d.bus, NULL, 1, 3, &ops_guest, &d, NULL, &d);
	ck_assert_ptr_nonnull(d.engine);
}

static void teardown(void)
{
	ioreqd_control_teardown(&d);
	ioreqd_engine_free(d.engine);
	ioreqd_bus_free(d.bus);
	event_base_free(d.base);
	unlink(ctl_path);
	rmdir(dir);
}

/* Run the walk into a string (caller frees). */
static char *stats_text(bool json)
{
	char *text = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&text, &len);

	ck_assert_ptr_nonnull(fp);
	ioreqd_stats_write(&d, fp, json);
	fclose(fp);
	return text;
}

START_TEST(test_stats_json_and_table_count_the_same_accesses)
{
	char *json, *table;

	access1(0x1000, false);
	access1(0x1004, false);
	access1(0x1008, true);
	json = stats_text(true);
	table = stats_text(false);
	ck_assert_ptr_nonnull(strstr(json, "{\"domid\": 3, \"serving\": true"));
	ck_assert_ptr_nonnull(
	    strstr(json, "\"space\": \"mmio\", \"base\": \"0x1000\", "
	                 "\"last\": \"0x1fff\", \"accesses\": 3, \"reads\": 1, "
	                 "\"writes\": 2"));
	ck_assert_ptr_nonnull(strstr(json, "\"completed\": 3"));
	ck_assert_ptr_nonnull(strstr(json, "]}], \"devices\": []}\n"));
	ck_assert_ptr_nonnull(
	    strstr(table, "(range)                3         1         2"));
	free(json);
	free(table);
}
END_TEST

/*
 * Issue 12 item 9: injections the hypervisor refused (an Arm SPI the guest
 * lacks) were counted nowhere; they are counted per device.
 */
START_TEST(test_stats_count_refused_interrupts_per_device)
{
	static const struct ioreqd_hook stub = {.abi = IOREQD_HOOK_ABI, .name = "stub"};
	static const struct ioreqd_host env;
	struct ioreqd_cfg_dev cfg[2] = {{.name = "uart0", .irq = 40},
	                                {.name = "scratch0", .irq = -1}};
	struct ioreqd_cfg file = {.path = "t.conf", .devs = cfg, .nr_devs = 2};
	struct ioreqd_dm *dm = ioreqd_dm_new(3, &env, NULL, NULL);
	char err[256], *json, *table;
	ioreqd_dev_t *uart;

	ck_assert_ptr_nonnull(dm);
	ck_assert_int_eq(ioreqd_dm_add(dm, &file, 0, &stub, &uart, err, sizeof(err)), 0);
	ck_assert_int_eq(ioreqd_dm_add(dm, &file, 1, &stub, NULL, err, sizeof(err)), 0);
	uart->irq_errors = 3;
	d.dm = dm;
	json = stats_text(true);
	table = stats_text(false);
	ck_assert_ptr_nonnull(
	    strstr(json, "\"devices\": [{\"name\": \"uart0\", \"irq_errors\": 3}, "
	                 "{\"name\": \"scratch0\", \"irq_errors\": 0}]}\n"));
	ck_assert_ptr_nonnull(
	    strstr(table, "  device uart0: 3 interrupt injection(s) refused\n"));
	ck_assert_ptr_null(strstr(table, "scratch0"));
	d.dm = NULL;
	ioreqd_dm_free(dm);
	free(json);
	free(table);
}
END_TEST

static void be_stats(void *priv,
                     void (*emit)(void *ctx, const char *group, const char *name,
                                  uint64_t value),
                     void *ctx)
{
	emit(ctx, "mapcache", "hits", 41);
	emit(ctx, "mapcache", "misses", 2);
}

/* The backend's own counters (the Xen mapcache) follow the devices. */
START_TEST(test_stats_show_the_backends_own_counters)
{
	static const struct ioreqd_backend_ops xen_like = {.name = "xen",
	                                                   .stats = be_stats};
	char *json, *table;

	d.be = &xen_like;
	d.be_open = true;
	json = stats_text(true);
	table = stats_text(false);
	ck_assert_ptr_nonnull(
	    strstr(json, "\"devices\": [], \"backend\": {\"name\": \"xen\", \"stats\": "
	                 "{\"mapcache\": {\"hits\": 41, \"misses\": 2}}}}\n"));
	ck_assert_ptr_nonnull(
	    strstr(table, "  backend xen mapcache: hits 41, misses 2\n"));
	d.be_open = false;
	d.be = &sim_like;
	free(json);
	free(table);
}
END_TEST

START_TEST(test_stats_json_escapes_handler_names)
{
	char *json = stats_text(true);

	ck_assert_ptr_nonnull(strstr(json, "\"name\": \"we\\\"ird\\u000a\""));
	free(json);
}
END_TEST

START_TEST(test_stats_before_serving_is_complete_json)
{
	char *json;

	ioreqd_engine_free(d.engine);
	d.engine = NULL;
	json = stats_text(true);
	ck_assert_str_eq(json, "{\"domid\": 3, \"serving\": false}\n");
	free(json);
}
END_TEST

/*
 * Fork a client that sends @p req (NULL: use ioreqd_control_query with
 * json) and stores the answer in @p out; run the loop until it exits.
 */
/* When set, ask() runs the --save (or --load) client on this file instead. */
static const char *state_file;
static bool state_save;

static char *ask(const char *req)
{
	char out[160], *text;
	FILE *fp;
	long n;
	pid_t pid;
	int status = -1;

	snprintf(out, sizeof(out), "%s/answer", dir);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		FILE *o = fopen(out, "w");
		int rc = 1;

		if (!o)
			_exit(2);
		if (state_file) {
			rc =
			    ioreqd_control_state(ctl_path, state_save, state_file, o) < 0;
			if (rc)
				fputs("client failed", o);
			rc = 0;
		} else if (!req) {
			rc = ioreqd_control_query(ctl_path, true, o) < 0;
		} else {
			struct sockaddr_un sun = {.sun_family = AF_UNIX};
			char buf[512];
			ssize_t got;
			int fd = socket(AF_UNIX, SOCK_STREAM, 0);

			snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", ctl_path);
			if (fd >= 0 &&
			    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0 &&
			    write(fd, req, strlen(req)) == (ssize_t)strlen(req)) {
				while ((got = read(fd, buf, sizeof(buf))) > 0)
					fwrite(buf, 1, (size_t)got, o);
				rc = 0;
			}
		}
		fclose(o);
		_exit(rc);
	}
	for (int i = 0; i < 5000; i++) {
		struct timespec ms = {.tv_nsec = 1000000};

		event_base_loop(d.base, EVLOOP_NONBLOCK);
		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
		nanosleep(&ms, NULL);
	}
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the client failed");
	fp = fopen(out, "r");
	ck_assert_ptr_nonnull(fp);
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	text = calloc(1, (size_t)n + 1);
	ck_assert_ptr_nonnull(text);
	ck_assert_int_eq(fread(text, 1, (size_t)n, fp), n);
	fclose(fp);
	unlink(out);
	return text;
}

START_TEST(test_control_socket_answers_stats_json)
{
	char *text, *local;

	access1(0x1010, true);
	ck_assert_int_eq(ioreqd_control_setup(&d), 0);
	ck_assert_int_eq(access(ctl_path, F_OK), 0);
	text = ask(NULL);
	local = stats_text(true);
	ck_assert_str_eq(text, local);
	free(text);
	free(local);
}
END_TEST

START_TEST(test_control_socket_refuses_unknown_requests)
{
	char *text;

	ck_assert_int_eq(ioreqd_control_setup(&d), 0);
	text = ask("reboot\n");
	ck_assert_msg(!strncmp(text, "error:", 6), "answer: %s", text);
	free(text);
	text = ask("stats\n");
	ck_assert_ptr_nonnull(strstr(text, "ioreqd statistics, domain 3:"));
	free(text);
}
END_TEST

START_TEST(test_control_socket_saves_and_loads_the_device_state)
{
	static const struct ioreqd_host env = {.abi = IOREQD_HOOK_ABI,
	                                       .size = sizeof(env)};
	char req[256], want[256], path[160], *text;
	FILE *fp;

	d.dm = ioreqd_dm_new(3, &env, NULL, NULL);
	ck_assert_ptr_nonnull(d.dm);
	ck_assert_int_eq(ioreqd_control_setup(&d), 0);
	snprintf(path, sizeof(path), "%s/state", dir);
	snprintf(req, sizeof(req), "save %s\n", path);
	text = ask(req);
	snprintf(want, sizeof(want), "ok: saved 0 device(s) of domain 3 to %s (", path);
	ck_assert_msg(!strncmp(text, want, strlen(want)), "answer: %s", text);
	free(text);
	ck_assert_int_eq(access(path, R_OK), 0);
	snprintf(req, sizeof(req), "load %s\n", path);
	text = ask(req);
	snprintf(want, sizeof(want),
	         "ok: loaded the state of 0 device(s) of domain 3 from %s\n", path);
	ck_assert_str_eq(text, want);
	free(text);
	/* Junk: the stream's own message, naming the file. */
	fp = fopen(path, "w");
	ck_assert_ptr_nonnull(fp);
	fputs("junk\n", fp);
	fclose(fp);
	text = ask(req);
	snprintf(want, sizeof(want),
	         "error: %s: not an ioreqd device-state stream (bad magic)\n", path);
	ck_assert_str_eq(text, want);
	free(text);
	unlink(path);
	/* A relative path means nothing to the daemon; a missing directory is said. */
	text = ask("save state\n");
	ck_assert_msg(!strncmp(text, "error: unknown request", 22), "answer: %s", text);
	free(text);
	text = ask("save /nonexistent/dir/state\n");
	ck_assert_msg(!strncmp(text, "error: /nonexistent/dir/state.tmp.", 34) &&
	                  strstr(text, "No such file or directory"),
	              "answer: %s", text);
	free(text);
	ioreqd_dm_free(d.dm);
	d.dm = NULL;
}
END_TEST

/* ioreqd --save/--load: the client opens the file and passes it. */
static char *ask_state(bool save, const char *file)
{
	char *text;

	state_file = file;
	state_save = save;
	text = ask(NULL);
	state_file = NULL;
	return text;
}

START_TEST(test_control_client_passes_the_file)
{
	static const struct ioreqd_host env = {.abi = IOREQD_HOOK_ABI,
	                                       .size = sizeof(env)};
	char want[256], path[160], *text;
	FILE *fp;

	d.dm = ioreqd_dm_new(3, &env, NULL, NULL);
	ck_assert_ptr_nonnull(d.dm);
	ck_assert_int_eq(ioreqd_control_setup(&d), 0);
	snprintf(path, sizeof(path), "%s/passed", dir);
	text = ask_state(true, path);
	snprintf(want, sizeof(want), "saved 0 device(s) of domain 3 to %s (", path);
	ck_assert_msg(!strncmp(text, want, strlen(want)), "answer: %s", text);
	free(text);
	/* Renamed into place by the client: no temporary file is left. */
	ck_assert_int_eq(access(path, R_OK), 0);
	text = ask_state(false, path);
	snprintf(want, sizeof(want),
	         "loaded the state of 0 device(s) of domain 3 from %s\n", path);
	ck_assert_str_eq(text, want);
	free(text);
	/* A refused load leaves the file; a refused save leaves the old one whole. */
	fp = fopen(path, "w");
	ck_assert_ptr_nonnull(fp);
	fputs("junk\n", fp);
	fclose(fp);
	text = ask_state(false, path);
	ck_assert_str_eq(text, "client failed");
	free(text);
	/* The request without a file, and with something that is not a file. */
	text = ask("load-fd /x\n");
	ck_assert_str_eq(text, "error: no file descriptor came with the request\n");
	free(text);
	text = ask_state(false, "/dev/null");
	ck_assert_str_eq(text, "client failed");
	free(text);
	unlink(path);
	ioreqd_dm_free(d.dm);
	d.dm = NULL;
}
END_TEST

START_TEST(test_control_teardown_removes_the_socket)
{
	ck_assert_int_eq(ioreqd_control_setup(&d), 0);
	ck_assert_int_eq(access(ctl_path, F_OK), 0);
	ioreqd_control_teardown(&d);
	ck_assert_int_eq(access(ctl_path, F_OK), -1);
	ck_assert_int_eq(errno, ENOENT);
	ioreqd_control_teardown(&d); /* twice is harmless */
}
END_TEST

START_TEST(test_control_replaces_a_stale_socket)
{
	FILE *fp = fopen(ctl_path, "w");

	ck_assert_ptr_nonnull(fp);
	fclose(fp);
	ck_assert_int_eq(ioreqd_control_setup(&d), 0);
}
END_TEST

START_TEST(test_control_default_paths_follow_the_backend)
{
	char buf[108], longp[200];

	ck_assert_int_eq(
	    ioreqd_control_path(buf, sizeof(buf), NULL, SIM_CAPS, "/t/s.sock", 4), 0);
	ck_assert_str_eq(buf, "/t/s.sock.ctl");
	/* The socket always has a value (its default is in the runtime dir). */
	ck_assert_int_eq(ioreqd_control_path(buf, sizeof(buf), NULL, SIM_CAPS, NULL, 4),
	                 -EINVAL);
	ck_assert_int_eq(ioreqd_control_path(buf, sizeof(buf), NULL, 0, NULL, 4), 0);
	ck_assert_str_eq(buf, "/run/ioreqd/4.sock");
	ck_assert_int_eq(ioreqd_control_path(buf, sizeof(buf), "/x/y", 0, NULL, 4), 0);
	ck_assert_str_eq(buf, "/x/y");
	memset(longp, 'a', sizeof(longp) - 1);
	longp[sizeof(longp) - 1] = '\0';
	ck_assert_int_eq(ioreqd_control_path(buf, sizeof(buf), longp, 0, NULL, 4),
	                 -ENAMETOOLONG);
}
END_TEST

static int connect_ctl(void)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);

	ck_assert_int_ge(fd, 0);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", ctl_path);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	return fd;
}

static unsigned nr_logged;

static void count_line(int level, const char *msg, void *arg)
{
	(void)level;
	(void)msg;
	(void)arg;
	nr_logged++;
}

/* Clients that connect and say nothing: 16 are held, the rest closed at once. */
START_TEST(test_control_socket_caps_its_clients)
{
	int fd[24];
	unsigned eof = 0, open_ = 0;

	ck_assert_int_eq(ioreqd_control_setup(&d), 0);
	for (unsigned i = 0; i < 24; i++) {
		fd[i] = connect_ctl();
		event_base_loop(d.base, EVLOOP_NONBLOCK);
	}
	for (unsigned i = 0; i < 24; i++) {
		char c;
		ssize_t n = read(fd[i], &c, 1);

		if (n == 0)
			eof++;
		else if (n < 0 && errno == EAGAIN)
			open_++;
		close(fd[i]);
	}
	ck_assert_uint_eq(open_, 16);
	ck_assert_uint_eq(eof, 8);
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
 * Out of descriptors, a queued client cannot be accepted and the socket stays
 * readable: the listener rests and comes back from a timer rather than spin
 * the loop (and libevent log each failed accept), and the client is answered
 * once descriptors are back.
 */
START_TEST(test_control_socket_backs_off_when_out_of_descriptors)
{
	struct timeval half = {0, 500000};
	struct rlimit old, low;
	double cpu;
	int fd, probe;

	ck_assert_int_eq(ioreqd_control_setup(&d), 0);
	fd = connect_ctl();
	ck_assert_int_eq(write(fd, "stats\n", 6), 6);
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
	event_base_loopexit(d.base, &half);
	event_base_dispatch(d.base);
	cpu = cpu_seconds() - cpu;
	ioreqd_log_set_sink(NULL, NULL);
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &old), 0);
	ck_assert_msg(cpu < 0.1, "%.3f s of CPU in 0.5 s", cpu);
	ck_assert_msg(nr_logged >= 1 && nr_logged <= 5, "%u lines", nr_logged);
	/* Descriptors again: the client gets its answer. */
	for (int i = 0; i < 200; i++) {
		struct timeval tick = {0, 20000};
		char buf[64];

		event_base_loopexit(d.base, &tick);
		event_base_dispatch(d.base);
		if (read(fd, buf, sizeof(buf)) > 0)
			break;
		ck_assert_msg(i < 199, "no answer once descriptors were back");
	}
	close(fd);
}
END_TEST

static Suite *control_suite(void)
{
	Suite *s = suite_create("control");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_stats_json_and_table_count_the_same_accesses);
	tcase_add_test(tc, test_stats_count_refused_interrupts_per_device);
	tcase_add_test(tc, test_stats_show_the_backends_own_counters);
	tcase_add_test(tc, test_stats_json_escapes_handler_names);
	tcase_add_test(tc, test_stats_before_serving_is_complete_json);
	tcase_add_test(tc, test_control_socket_answers_stats_json);
	tcase_add_test(tc, test_control_socket_refuses_unknown_requests);
	tcase_add_test(tc, test_control_socket_saves_and_loads_the_device_state);
	tcase_add_test(tc, test_control_teardown_removes_the_socket);
	tcase_add_test(tc, test_control_replaces_a_stale_socket);
	tcase_add_test(tc, test_control_default_paths_follow_the_backend);
	tcase_add_test(tc, test_control_socket_caps_its_clients);
	tcase_add_test(tc, test_control_client_passes_the_file);
	tcase_add_test(tc, test_control_socket_backs_off_when_out_of_descriptors);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(control_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
