/* SPDX-License-Identifier: MIT */
/*
 * Tests for daemon/qmp-server.c: the QMP responder (check_qmp.c) over real
 * UNIX sockets on an event_base.  The sequences are libxl 4.17's: its
 * start-up, add-fd with SCM_RIGHTS then xen-save-devices-state into the
 * passed file, and what a flood of clients or a lack of descriptors does.
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
#include "qmp-fixture.h"

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

static Suite *qmp_server_suite(void)
{
	Suite *s = suite_create("qmp_server");
	TCase *ts = tcase_create("server");

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
	SRunner *sr = srunner_create(qmp_server_suite());
	int failed;

	ioreqd_log_init("check_qmp_server", IOREQD_LOG_TO_STDERR, LOG_LEVEL_WARN);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
