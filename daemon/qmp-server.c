/* SPDX-License-Identifier: MIT */
/*
 * The QMP server (see qmp-server.h): listeners and connections on the
 * daemon's event_base, with the protocol left to lib/qmp.c.
 *
 * Connections are read with recvmsg() rather than a bufferevent because
 * libxl's add-fd sends a descriptor as SCM_RIGHTS ancillary data, which a
 * plain read() would silently drop (and the kernel would close).  Output is
 * written as soon as it is produced and the rest when the socket drains; a
 * client that stops reading is dropped once the responder's output limit is
 * reached.  Everything a client sends is untrusted: the responder bounds it.
 */
#include "build-config.h"

#include "qmp-server.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"

#define READ_CHUNK 4096u
#define READS_PER_CB 16u /* then yield to the rest of the loop */
/* How long a listener rests after accept() ran out of descriptors. */
#define ACCEPT_BACKOFF_MS 250

struct conn;

struct listener {
	struct ioreqd_qmp_server *srv;
	int fd;
	char *path; /* a socket file we created, removed at teardown */
	struct event *ev;
	struct event *backoff; /* re-adds ev after running out of descriptors */
	struct listener *next;
};

struct conn {
	struct ioreqd_qmp_server *srv;
	int fd;
	struct event *rd;
	struct event *wr;
	struct ioreqd_qmp_session *s;
	struct conn *next;
};

struct ioreqd_qmp_server {
	struct event_base *base;
	struct ioreqd_qmp_vm *vm;
	struct listener *listeners;
	struct conn *conns;
	unsigned nr_conns;
	/* Everything a client can make us say goes through this. */
	struct ioreqd_ratelimit rl;
};

static void conn_close(struct conn *c)
{
	struct ioreqd_qmp_server *srv = c->srv;

	for (struct conn **pp = &srv->conns; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	srv->nr_conns--;
	if (c->rd)
		event_free(c->rd);
	if (c->wr)
		event_free(c->wr);
	ioreqd_qmp_session_free(c->s);
	close(c->fd);
	free(c);
}

/* Send what the session has queued.  @return 0, or -errno to drop the client. */
static int conn_flush(struct conn *c)
{
	const char *out;
	size_t len;

	while ((out = ioreqd_qmp_session_output(c->s, &len)) != NULL) {
		ssize_t n = send(c->fd, out, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n < 0)
			return -errno;
		ioreqd_qmp_session_consume(c->s, (size_t)n);
	}
	if (ioreqd_qmp_session_output(c->s, &len))
		return event_add(c->wr, NULL) < 0 ? -EIO : 0;
	event_del(c->wr);
	/* quit was answered and the answer sent: hang up, as QEMU would. */
	return ioreqd_qmp_session_done(c->s) ? -ESHUTDOWN : 0;
}

/* Hand every descriptor in @p msg to the session (it closes what it cannot keep). */
static void take_fds(struct conn *c, struct msghdr *msg)
{
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(msg); cm; cm = CMSG_NXTHDR(msg, cm)) {
		size_t n;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(fd));
			if (ioreqd_qmp_session_pass_fd(c->s, fd) < 0)
				ioreqd_log_rl(
				    &c->srv->rl, LOG_LEVEL_WARN,
				    "a QMP client sent more than %u descriptors; "
				    "closed the extra one",
				    IOREQD_QMP_MAX_FDS);
		}
	}
}

static void qmp_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * IOREQD_QMP_MAX_FDS)];
	} cmsg;
	char buf[READ_CHUNK];
	int rc = 0;

	for (unsigned i = 0; i < READS_PER_CB && rc == 0; i++) {
		struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
		struct msghdr msg = {
		    .msg_iov = &iov,
		    .msg_iovlen = 1,
		    .msg_control = cmsg.buf,
		    .msg_controllen = sizeof(cmsg.buf),
		};
		ssize_t n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			if (n < 0)
				ioreqd_log_rl(&c->srv->rl, LOG_LEVEL_DEBUG,
				              "%s: QMP client: %s", __func__,
				              strerror(errno));
			rc = -ECONNRESET;
			break;
		}
		take_fds(c, &msg);
		if (msg.msg_flags & MSG_CTRUNC)
			ioreqd_log_rl(
			    &c->srv->rl, LOG_LEVEL_WARN,
			    "a QMP client sent more descriptors in one message than "
			    "fit; the extra ones were closed");
		rc = ioreqd_qmp_session_feed(c->s, buf, (size_t)n);
		if (rc == -ENOBUFS)
			ioreqd_log_rl(
			    &c->srv->rl, LOG_LEVEL_WARN,
			    "a QMP client does not read its replies; disconnecting "
			    "it");
		if (rc == 0)
			rc = conn_flush(c);
	}
	if (rc < 0) {
		ioreqd_log_rl(&c->srv->rl, LOG_LEVEL_DEBUG,
		              "%s: QMP client gone (%s), %lu commands answered", __func__,
		              strerror(-rc), ioreqd_qmp_session_nr_commands(c->s));
		conn_close(c);
	}
}

static void qmp_write_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;

	if (conn_flush(c) < 0)
		conn_close(c);
}

static int conn_open(struct ioreqd_qmp_server *srv, int fd)
{
	struct conn *c = calloc(1, sizeof(*c));

	if (!c) {
		close(fd);
		return -ENOMEM;
	}
	c->srv = srv;
	c->fd = fd;
	c->next = srv->conns;
	srv->conns = c;
	srv->nr_conns++;
	c->s = ioreqd_qmp_session_new(srv->vm);
	c->rd = event_new(srv->base, fd, EV_READ | EV_PERSIST, qmp_read_cb, c);
	c->wr = event_new(srv->base, fd, EV_WRITE, qmp_write_cb, c);
	if (!c->s || !c->rd || !c->wr || event_add(c->rd, NULL) < 0) {
		conn_close(c);
		return -ENOMEM;
	}
	/* The greeting goes out at once: libxl waits for it before writing. */
	if (conn_flush(c) < 0) {
		conn_close(c);
		return -EPIPE;
	}
	return 0;
}

static void qmp_backoff_cb(evutil_socket_t fd, short what, void *arg)
{
	struct listener *l = arg;

	if (event_add(l->ev, NULL) < 0)
		ioreqd_log_rl(&l->srv->rl, LOG_LEVEL_WARN,
		              "QMP socket %s: cannot watch it again; no new QMP "
		              "client is accepted until ioreqd restarts",
		              l->path ? l->path : "(passed by libxl)");
}

/*
 * accept() failed for want of a descriptor or memory.  The connection stays
 * queued and the socket readable, so watching it would spin the loop: rest
 * the listener and re-add it from a timer.
 */
static void listen_backoff(struct listener *l, int err)
{
	struct timeval tv = {0, ACCEPT_BACKOFF_MS * 1000};

	ioreqd_log_rl(&l->srv->rl, LOG_LEVEL_WARN,
	              "QMP socket %s: cannot accept a client: %s; retrying in %d ms",
	              l->path ? l->path : "(passed by libxl)", strerror(err),
	              ACCEPT_BACKOFF_MS);
	if (!l->backoff)
		l->backoff = evtimer_new(l->srv->base, qmp_backoff_cb, l);
	if (l->backoff && evtimer_add(l->backoff, &tv) == 0)
		event_del(l->ev);
}

static void qmp_listen_cb(evutil_socket_t lfd, short what, void *arg)
{
	struct listener *l = arg;
	struct ioreqd_qmp_server *srv = l->srv;

	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			int err = errno;

			if (err == EINTR)
				continue;
			if (err == EMFILE || err == ENFILE || err == ENOBUFS ||
			    err == ENOMEM)
				listen_backoff(l, err);
			else if (err != EAGAIN && err != EWOULDBLOCK &&
			         err != ECONNABORTED)
				ioreqd_log_rl(&srv->rl, LOG_LEVEL_WARN,
				              "QMP socket %s: cannot accept a client: %s",
				              l->path ? l->path : "(passed by libxl)",
				              strerror(err));
			return;
		}
		if (srv->nr_conns >= IOREQD_QMP_MAX_CLIENTS) {
			ioreqd_log_rl(
			    &srv->rl, LOG_LEVEL_WARN,
			    "QMP socket %s: %u clients already connected; refusing "
			    "another",
			    l->path ? l->path : "(passed by libxl)", srv->nr_conns);
			close(fd);
			continue;
		}
		if (conn_open(srv, fd) < 0)
			ioreqd_log_rl(&srv->rl, LOG_LEVEL_WARN,
			              "QMP socket %s: cannot set up a connection for a "
			              "new client (out of memory?); it was dropped",
			              l->path ? l->path : "(passed by libxl)");
	}
}

/* Watch @p fd; on failure nothing is kept and the caller still owns @p fd. */
static int add_listener(struct ioreqd_qmp_server *srv, int fd, const char *path)
{
	struct listener *l = calloc(1, sizeof(*l));

	if (!l || (path && !(l->path = strdup(path))))
		goto fail;
	l->srv = srv;
	l->fd = fd;
	l->ev = event_new(srv->base, fd, EV_READ | EV_PERSIST, qmp_listen_cb, l);
	if (!l->ev || event_add(l->ev, NULL) < 0)
		goto fail;
	l->next = srv->listeners;
	srv->listeners = l;
	return 0;
fail:
	log_warnx("QMP socket %s: cannot watch it (out of memory)",
	          path ? path : "(passed by libxl)");
	if (l && l->ev)
		event_free(l->ev);
	if (l)
		free(l->path);
	free(l);
	return -ENOMEM;
}

struct ioreqd_qmp_server *ioreqd_qmp_server_new(struct event_base *base,
                                                const struct ioreqd_qmp_vm_args *args)
{
	struct ioreqd_qmp_server *srv = calloc(1, sizeof(*srv));

	if (!srv || !(srv->vm = ioreqd_qmp_vm_new(args))) {
		log_warnx("out of memory setting up the QMP server");
		free(srv);
		return NULL;
	}
	srv->base = base;
	srv->rl = (struct ioreqd_ratelimit)IOREQD_RATELIMIT_INIT(10, 2);
	return srv;
}

int ioreqd_qmp_server_listen(struct ioreqd_qmp_server *srv, const char *label,
                             const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	char filename[sizeof(sun.sun_path) + 32];
	struct stat st;
	int fd = -1, rc;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		log_errx("QMP socket path too long (at most %zu bytes): %s",
		         sizeof(sun.sun_path) - 1, path);
		return -ENAMETOOLONG;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	/* A socket left by an earlier run is ours to replace; anything else is not. */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			log_errx("%s exists and is not a socket; not replacing it", path);
			return -EEXIST;
		}
		if (unlink(path) < 0 && errno != ENOENT) {
			rc = -errno;
			log_err("cannot remove the stale QMP socket %s", path);
			return rc;
		}
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		rc = -errno;
		log_err("cannot create the QMP socket %s", path);
		goto out;
	}
	/* Only root (libxl) may talk to the device model. */
	if (chmod(path, 0600) < 0 || listen(fd, 8) < 0) {
		rc = -errno;
		log_err("cannot make the QMP socket %s private to root and listen on "
		        "it",
		        path);
		unlink(path);
		goto out;
	}
	rc = add_listener(srv, fd, path);
	if (rc < 0) {
		unlink(path);
		goto out;
	}
	snprintf(filename, sizeof(filename), "unix:%s,server=on", path);
	log_debug("%s: QMP on %s", __func__, path);
	return ioreqd_qmp_vm_add_chardev(srv->vm, label, filename);
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

int ioreqd_qmp_server_listen_fd(struct ioreqd_qmp_server *srv, const char *label, int fd)
{
	char filename[sizeof(((struct sockaddr_un *)0)->sun_path) + 32];
	struct sockaddr_un sun;
	socklen_t len = sizeof(int);
	int on = 0, flags, rc;

	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) < 0 || !on) {
		rc = errno == ENOTSOCK ? -ENOTSOCK : -EINVAL;
		log_errx("the QMP descriptor %d is not a listening socket", fd);
		close(fd);
		return rc;
	}
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
		rc = -errno;
		log_err("cannot make the QMP descriptor %d non-blocking", fd);
		close(fd);
		return rc;
	}
	/* libxl created the socket file and removes it: not ours to unlink. */
	rc = add_listener(srv, fd, NULL);
	if (rc < 0) {
		close(fd);
		return rc;
	}
	len = sizeof(sun);
	if (getsockname(fd, (struct sockaddr *)&sun, &len) == 0 &&
	    sun.sun_family == AF_UNIX && len > offsetof(struct sockaddr_un, sun_path) &&
	    sun.sun_path[0])
		snprintf(filename, sizeof(filename), "unix:%.*s,server=on",
		         (int)(len - offsetof(struct sockaddr_un, sun_path)),
		         sun.sun_path);
	else
		snprintf(filename, sizeof(filename), "fd:%d,server=on", fd);
	return ioreqd_qmp_vm_add_chardev(srv->vm, label, filename);
}

int ioreqd_qmp_server_listen_xlargs(struct ioreqd_qmp_server *srv,
                                    const struct ioreqd_xlargs *xa)
{
	for (unsigned i = 0; i < xa->nr_monitors; i++) {
		const struct ioreqd_xlargs_monitor *m = &xa->monitors[i];
		int rc = m->fd >= 0 ? ioreqd_qmp_server_listen_fd(srv, m->id, m->fd)
		                    : ioreqd_qmp_server_listen(srv, m->id, m->path);

		if (rc < 0)
			return rc;
	}
	return 0;
}

unsigned ioreqd_qmp_server_nr_clients(const struct ioreqd_qmp_server *srv)
{
	return srv->nr_conns;
}

void ioreqd_qmp_server_free(struct ioreqd_qmp_server *srv)
{
	if (!srv)
		return;
	while (srv->conns)
		conn_close(srv->conns);
	while (srv->listeners) {
		struct listener *l = srv->listeners;

		srv->listeners = l->next;
		if (l->backoff)
			event_free(l->backoff);
		if (l->ev)
			event_free(l->ev);
		close(l->fd);
		/*
		 * After a chroot or a privilege drop this may fail; libxl removes
		 * the socket files when it destroys the domain anyway.
		 */
		if (l->path && unlink(l->path) < 0)
			log_debug("%s: unlink %s: %s", __func__, l->path,
			          strerror(errno));
		free(l->path);
		free(l);
	}
	ioreqd_qmp_vm_free(srv->vm);
	free(srv);
}
