/* SPDX-License-Identifier: MIT */
/*
 * A stand-in for libxl 4.17 on a device model's QMP socket, for the
 * end-to-end tests: each step opens its own connection (as each
 * libxl__ev_qmp does), reads the greeting, negotiates, and sends what libxl
 * sends for that step, message for message:
 *
 *   dirty on|off   xen-set-global-dirty-log (libxl__domain_common_switch_...)
 *   save FILE      stop; add-fd with FILE (opened O_WRONLY|O_CREAT, as
 *                  libxl opens qemu-save.DOMID) as SCM_RIGHTS, closed once
 *                  sent; xen-save-devices-state /dev/fdset/N, "live": false
 *   migrate FILE   the same with "live": true
 *   cont           cont (libxl__dm_resume: xl unpause, end of a restore)
 *   status         query-status
 *
 * Usage: fake-libxl SOCKET STEP [ARG] [STEP [ARG]]...
 * Prints "-> COMMAND" and "<- REPLY" for every message; exits 1 at the
 * first error reply (or a broken connection), 2 on a usage error.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int conn_open(const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "fake-libxl: bad socket %s\n", path);
		exit(2);
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		fprintf(stderr, "fake-libxl: connect %s: %s\n", path, strerror(errno));
		exit(1);
	}
	return fd;
}

/* Read one "\r\n"-ended reply into @p buf; exit on a hang-up. */
static void read_line(int fd, char *buf, size_t len)
{
	size_t off = 0;

	while (off + 1 < len) {
		ssize_t n = read(fd, buf + off, 1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "fake-libxl: the device model hung up\n");
			exit(1);
		}
		off++;
		if (off >= 2 && buf[off - 2] == '\r' && buf[off - 1] == '\n') {
			buf[off - 2] = '\0';
			return;
		}
	}
	fprintf(stderr, "fake-libxl: reply too long\n");
	exit(1);
}

/* Send @p cmd (with @p pass_fd as SCM_RIGHTS when >= 0) and print the reply. */
static void command(int fd, const char *cmd, int pass_fd, char *reply, size_t len)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} cm;
	char line[1024];
	struct iovec iov = {.iov_base = line};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};

	iov.iov_len = (size_t)snprintf(line, sizeof(line), "%s\r\n", cmd);
	if (pass_fd >= 0) {
		struct cmsghdr *c;

		msg.msg_control = cm.buf;
		msg.msg_controllen = sizeof(cm.buf);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
	}
	printf("-> %s%s\n", cmd, pass_fd >= 0 ? " (with a descriptor)" : "");
	if (sendmsg(fd, &msg, MSG_NOSIGNAL) != (ssize_t)iov.iov_len) {
		fprintf(stderr, "fake-libxl: send: %s\n", strerror(errno));
		exit(1);
	}
	read_line(fd, reply, len);
	printf("<- %s\n", reply);
	fflush(stdout);
	if (strncmp(reply, "{\"return\"", 9)) {
		fprintf(stderr, "fake-libxl: %s failed: %s\n", cmd, reply);
		exit(1);
	}
}

static int session(const char *path)
{
	char reply[8192];
	int fd = conn_open(path);

	read_line(fd, reply, sizeof(reply));
	if (!strstr(reply, "\"QMP\"")) {
		fprintf(stderr, "fake-libxl: no QMP greeting: %s\n", reply);
		exit(1);
	}
	command(fd, "{\"execute\": \"qmp_capabilities\", \"id\": 1}", -1, reply,
	        sizeof(reply));
	return fd;
}

static void save(const char *path, const char *file, bool live)
{
	char reply[8192], cmd[256];
	const char *p;
	int fd = session(path), f;

	command(fd, "{\"execute\": \"stop\", \"id\": 2}", -1, reply, sizeof(reply));
	f = open(file, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (f < 0) {
		fprintf(stderr, "fake-libxl: %s: %s\n", file, strerror(errno));
		exit(1);
	}
	command(fd, "{\"execute\": \"add-fd\", \"id\": 3}", f, reply, sizeof(reply));
	close(f);
	p = strstr(reply, "\"fdset-id\": ");
	if (!p) {
		fprintf(stderr, "fake-libxl: add-fd gave no fdset-id\n");
		exit(1);
	}
	snprintf(cmd, sizeof(cmd),
	         "{\"execute\": \"xen-save-devices-state\", \"id\": 4, \"arguments\": "
	         "{\"live\": %s, \"filename\": \"/dev/fdset/%d\"}}",
	         live ? "true" : "false", atoi(p + 12));
	command(fd, cmd, -1, reply, sizeof(reply));
	close(fd);
}

static void simple(const char *path, const char *cmd)
{
	char reply[8192];
	int fd = session(path);

	command(fd, cmd, -1, reply, sizeof(reply));
	close(fd);
}

int main(int argc, char *argv[])
{
	const char *path = argc > 1 ? argv[1] : NULL;

	if (argc < 3) {
		fprintf(stderr, "usage: fake-libxl SOCKET STEP [ARG]...\n");
		return 2;
	}
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i], *arg = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "dirty") && arg &&
		    (!strcmp(arg, "on") || !strcmp(arg, "off"))) {
			simple(path,
			       !strcmp(arg, "on")
			           ? "{\"execute\": \"xen-set-global-dirty-log\", "
			             "\"id\": 2, \"arguments\": {\"enable\": true}}"
			           : "{\"execute\": \"xen-set-global-dirty-log\", "
			             "\"id\": 2, \"arguments\": {\"enable\": false}}");
			i++;
		} else if ((!strcmp(a, "save") || !strcmp(a, "migrate")) && arg) {
			save(path, arg, !strcmp(a, "migrate"));
			i++;
		} else if (!strcmp(a, "cont")) {
			simple(path, "{\"execute\": \"cont\", \"id\": 2}");
		} else if (!strcmp(a, "status")) {
			simple(path, "{\"execute\": \"query-status\", \"id\": 2}");
		} else {
			fprintf(stderr, "fake-libxl: unknown step %s\n", a);
			return 2;
		}
	}
	return 0;
}
