/* SPDX-License-Identifier: MIT */
/*
 * chardev: the serial line behind a UART hook (see chardev.h).  A pty keeps
 * its slave side open itself, in raw mode, so that the master never reports
 * a hang-up (and never spins the event loop) while no terminal program is
 * attached; whatever the guest sends meanwhile collects in the pty until the
 * kernel's buffer fills, after which it is dropped.  A socket serves one
 * client; a second one is accepted and closed at once so that it learns it
 * was refused instead of waiting.  Every fd is non-blocking: the event loop
 * must never stall on a guest's console.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* ptsname_r, accept4, pipe2-era flags */
#endif
#include "chardev.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

enum chardev_kind { CD_NONE = 0, CD_PTY, CD_SOCKET, CD_FILE };

/* How long a socket back end stops accepting after running out of descriptors. */
#define CHARDEV_BACKOFF_MS 250u

static const char *const kind_names[] = {"none", "pty", "socket", "file"};

struct ioreqd_chardev {
	const struct ioreqd_host *host;
	ioreqd_dev_t *dev;
	const struct ioreqd_chardev_ops *ops;
	void *arg;
	enum chardev_kind kind;
	int io_fd;       /* pty master, socket client or log file; -1 if none */
	int slave_fd;    /* pty slave, held open (see above) */
	int listen_fd;   /* socket back end */
	char *sock_path; /* to unlink at teardown */
	ioreqd_watch_t *rx_watch;
	ioreqd_watch_t *listen_watch;
	ioreqd_timer_t *backoff; /* re-listens after running out of descriptors */
	bool paused;             /* input waits for rx_kick */
	uint64_t dropped;        /* output bytes nobody could take */
};

static void close_client(struct ioreqd_chardev *cd)
{
	cd->host->watch_free(cd->rx_watch);
	cd->rx_watch = NULL;
	if (cd->io_fd >= 0)
		close(cd->io_fd);
	cd->io_fd = -1;
	cd->paused = false;
}

static void chardev_rx_cb(int fd, unsigned events, void *arg)
{
	struct ioreqd_chardev *cd = arg;
	uint8_t buf[64];
	size_t space;
	ssize_t n;

	(void)events;
	space = cd->ops->rx_space(cd->arg);
	if (space == 0) {
		/* Full: stop watching until the device drains (rx_kick). */
		cd->host->watch_free(cd->rx_watch);
		cd->rx_watch = NULL;
		cd->paused = true;
		return;
	}
	if (space > sizeof(buf))
		space = sizeof(buf);
	n = read(fd, buf, space);
	if (n > 0) {
		cd->ops->rx_push(cd->arg, buf, (size_t)n);
		return;
	}
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (cd->kind == CD_SOCKET) {
		cd->host->log_rl(cd->dev, IOREQD_LOG_INFO, "socket client went away");
		close_client(cd);
		return;
	}
	/* A pty whose slave we hold cannot hang up; stop rather than spin. */
	cd->host->log_rl(cd->dev, IOREQD_LOG_WARN, "pty read failed: %s",
	                 n < 0 ? strerror(errno) : "end of file");
	cd->host->watch_free(cd->rx_watch);
	cd->rx_watch = NULL;
}

static int start_rx(struct ioreqd_chardev *cd)
{
	if (cd->io_fd < 0 || cd->rx_watch)
		return 0;
	cd->rx_watch =
	    cd->host->watch_new(cd->dev, cd->io_fd, IOREQD_WATCH_READ, chardev_rx_cb, cd);
	if (!cd->rx_watch)
		return -ENOMEM;
	cd->paused = false;
	return 0;
}

static void chardev_listen_cb(int fd, unsigned events, void *arg);

/* The back-off is over: watch the listening socket again. */
static void chardev_backoff_cb(void *arg)
{
	struct ioreqd_chardev *cd = arg;

	if (cd->listen_watch || cd->listen_fd < 0)
		return;
	cd->listen_watch = cd->host->watch_new(cd->dev, cd->listen_fd, IOREQD_WATCH_READ,
	                                       chardev_listen_cb, cd);
	if (!cd->listen_watch &&
	    cd->host->timer_arm(cd->backoff, CHARDEV_BACKOFF_MS * 1000ull) < 0)
		cd->host->log_rl(cd->dev, IOREQD_LOG_WARN,
		                 "socket %s: cannot watch it again; no more clients are "
		                 "accepted until ioreqd restarts",
		                 cd->sock_path);
}

/*
 * accept() failed for want of a descriptor or memory.  The connection stays
 * queued, so the socket stays readable: stop watching it for a while rather
 * than spin the event loop, and try again from a timer.
 */
static void listen_backoff(struct ioreqd_chardev *cd, int err)
{
	cd->host->log_rl(cd->dev, IOREQD_LOG_WARN,
	                 "socket %s: cannot accept a client: %s; retrying in %u ms",
	                 cd->sock_path, strerror(err), CHARDEV_BACKOFF_MS);
	if (!cd->backoff)
		cd->backoff = cd->host->timer_new(cd->dev, chardev_backoff_cb, cd);
	if (!cd->backoff ||
	    cd->host->timer_arm(cd->backoff, CHARDEV_BACKOFF_MS * 1000ull) < 0)
		return; /* keep watching: better a busy loop than a deaf socket */
	cd->host->watch_free(cd->listen_watch);
	cd->listen_watch = NULL;
}

static void chardev_listen_cb(int fd, unsigned events, void *arg)
{
	struct ioreqd_chardev *cd = arg;
	int c;

	(void)events;
	c = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (c < 0) {
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
		    errno == ENOMEM)
			listen_backoff(cd, errno);
		return;
	}
	if (cd->io_fd >= 0) {
		cd->host->log_rl(cd->dev, IOREQD_LOG_WARN,
		                 "refusing a second client on %s", cd->sock_path);
		close(c);
		return;
	}
	cd->io_fd = c;
	/* Any local process may connect and hang up in a loop: rate-limited. */
	cd->host->log_rl(cd->dev, IOREQD_LOG_INFO, "client connected on %s",
	                 cd->sock_path);
	if (start_rx(cd) < 0) {
		cd->host->log_rl(cd->dev, IOREQD_LOG_WARN, "cannot watch the client");
		close_client(cd);
	}
}

static int open_pty(struct ioreqd_chardev *cd)
{
	char name[128];
	struct termios t;
	int rc;

	cd->io_fd = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (cd->io_fd < 0 || grantpt(cd->io_fd) < 0 || unlockpt(cd->io_fd) < 0 ||
	    ptsname_r(cd->io_fd, name, sizeof(name)) != 0) {
		rc = -errno;
		goto fail;
	}
	cd->slave_fd = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (cd->slave_fd < 0) {
		rc = -errno;
		goto fail;
	}
	/* Raw: the guest's bytes pass unchanged, nothing is echoed back. */
	if (tcgetattr(cd->slave_fd, &t) == 0) {
		cfmakeraw(&t);
		tcsetattr(cd->slave_fd, TCSANOW, &t);
	}
	if (fcntl(cd->io_fd, F_SETFL, fcntl(cd->io_fd, F_GETFL) | O_NONBLOCK) < 0) {
		rc = -errno;
		goto fail;
	}
	cd->host->log(cd->dev, IOREQD_LOG_INFO, "serial line on %s", name);
	cd->host->publish(cd->dev, "tty", name);
	return 0;
fail:
	return cd->host->cfg_error(cd->dev, "backend", "cannot create a pty: %s",
	                           strerror(-rc));
}

static int open_socket(struct ioreqd_chardev *cd, const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct stat st;

	if (strlen(path) >= sizeof(sa.sun_path))
		return cd->host->cfg_error(cd->dev, "path",
		                           "'%s' is too long for a socket", path);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	/* A socket left by an earlier run is stale; anything else is not ours. */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return cd->host->cfg_error(
			    cd->dev, "path", "'%s' exists and is not a socket", path);
		unlink(path);
	}
	cd->sock_path = strdup(path);
	if (!cd->sock_path)
		return -ENOMEM;
	cd->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (cd->listen_fd < 0 ||
	    bind(cd->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(cd->listen_fd, 1) < 0) {
		int e = errno;

		if (cd->listen_fd >= 0) {
			close(cd->listen_fd);
			cd->listen_fd = -1;
		}
		free(cd->sock_path);
		cd->sock_path = NULL;
		return cd->host->cfg_error(cd->dev, "path", "cannot listen on '%s': %s",
		                           path, strerror(e));
	}
	cd->listen_watch = cd->host->watch_new(cd->dev, cd->listen_fd, IOREQD_WATCH_READ,
	                                       chardev_listen_cb, cd);
	if (!cd->listen_watch)
		return -ENOMEM;
	cd->host->log(cd->dev, IOREQD_LOG_INFO, "serial line on socket %s", path);
	return 0;
}

static int open_file(struct ioreqd_chardev *cd, const char *path)
{
	cd->io_fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (cd->io_fd < 0) {
		int e = errno;

		return cd->host->cfg_error(cd->dev, "path", "cannot open '%s': %s", path,
		                           strerror(e));
	}
	return 0;
}

void ioreqd_chardev_free(struct ioreqd_chardev *cd)
{
	if (!cd)
		return;
	if (cd->dropped)
		cd->host->log(cd->dev, IOREQD_LOG_INFO,
		              "%" PRIu64 " output bytes were dropped", cd->dropped);
	close_client(cd);
	cd->host->timer_free(cd->backoff);
	cd->host->watch_free(cd->listen_watch);
	if (cd->listen_fd >= 0)
		close(cd->listen_fd);
	if (cd->slave_fd >= 0)
		close(cd->slave_fd);
	if (cd->sock_path) {
		unlink(cd->sock_path);
		free(cd->sock_path);
	}
	free(cd);
}

int ioreqd_chardev_new(const struct ioreqd_host *host, ioreqd_dev_t *dev,
                       const struct ioreqd_chardev_ops *ops, void *arg,
                       struct ioreqd_chardev **out)
{
	struct ioreqd_chardev *cd = NULL;
	const char *be, *path;
	int kind, rc;

	*out = NULL;
	be = host->cfg_str(dev, "backend");
	path = host->cfg_str(dev, "path");
	if (!be)
		be = "none";
	for (kind = 0; kind < 4 && strcmp(be, kind_names[kind]) != 0; kind++)
		;
	if (kind == 4)
		return host->cfg_error(
		    dev, "backend", "bad value '%s' (use pty, socket, file or none)", be);
	if ((kind == CD_SOCKET || kind == CD_FILE) && (!path || !*path))
		return host->cfg_error(dev, "path", "required for backend = %s",
		                       kind_names[kind]);
	if ((kind == CD_NONE || kind == CD_PTY) && path)
		return host->cfg_error(dev, "path", "not used by backend = %s",
		                       kind_names[kind]);
	cd = calloc(1, sizeof(*cd));
	if (!cd)
		return -ENOMEM;
	cd->host = host;
	cd->dev = dev;
	cd->ops = ops;
	cd->arg = arg;
	cd->kind = (enum chardev_kind)kind;
	cd->io_fd = cd->slave_fd = cd->listen_fd = -1;
	switch (cd->kind) {
	case CD_PTY:
		rc = open_pty(cd);
		if (rc == 0)
			rc = start_rx(cd);
		break;
	case CD_SOCKET:
		rc = open_socket(cd, path);
		break;
	case CD_FILE:
		rc = open_file(cd, path);
		break;
	case CD_NONE:
	default:
		rc = 0;
		break;
	}
	if (rc < 0)
		goto out;
	*out = cd;
	cd = NULL;
out:
	ioreqd_chardev_free(cd);
	return rc;
}

void ioreqd_chardev_write(struct ioreqd_chardev *cd, const uint8_t *buf, size_t len)
{
	ssize_t n;

	if (cd->kind == CD_NONE)
		return;
	while (len > 0) {
		if (cd->io_fd < 0) {
			cd->dropped += len;
			return;
		}
		if (cd->kind == CD_SOCKET)
			n = send(cd->io_fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		else
			n = write(cd->io_fd, buf, len);
		if (n > 0) {
			buf += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		cd->dropped += len;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		cd->host->log_rl(cd->dev, IOREQD_LOG_WARN, "%s write failed: %s",
		                 kind_names[cd->kind],
		                 n < 0 ? strerror(errno) : "no progress");
		if (cd->kind == CD_SOCKET)
			close_client(cd);
		return;
	}
}

void ioreqd_chardev_rx_kick(struct ioreqd_chardev *cd)
{
	if (cd && cd->paused && start_rx(cd) < 0)
		cd->host->log_rl(cd->dev, IOREQD_LOG_WARN, "cannot resume input");
}

int ioreqd_chardev_rx_fd(const struct ioreqd_chardev *cd)
{
	return cd && cd->kind != CD_FILE ? cd->io_fd : -1;
}

int ioreqd_chardev_listen_fd(const struct ioreqd_chardev *cd)
{
	return cd ? cd->listen_fd : -1;
}

uint64_t ioreqd_chardev_dropped(const struct ioreqd_chardev *cd)
{
	return cd ? cd->dropped : 0;
}
