/* SPDX-License-Identifier: MIT */
/*
 * The control socket (control.h): a UNIX stream socket served by the
 * daemon's one event_base.  Each connection sends one request line and
 * receives the statistics table or JSON (the same walk as SIGUSR1's dump,
 * daemon/stats.c), or the outcome of saving or loading the device state to
 * or from a file (savestate.c), and is closed.  The socket is mode 0600:
 * only the daemon's owner can connect, as only it may change device state.
 * A client that sends junk, too much, or nothing at all is answered with an
 * error or timed out, never allowed to hold the loop.  The clients,
 * `ioreqd --stats/--save/--load`, are a few blocking calls at the end.
 *
 * Saving and loading go through a file the client opens and passes with
 * SCM_RIGHTS ("save-fd PATH", "load-fd PATH"; the path only names it), so
 * they work when the daemon may not open files: chrooted, as another user,
 * under --seccomp.  The request line is therefore read with recvmsg; the
 * bufferevent only writes the answer.  "save /PATH" and "load /PATH", where
 * the daemon opens the path itself, stay for clients that pass no file.
 */
#include "build-config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "daemon.h"
#include "devstate.h"

/* A request is one line ("load " and a path at most); anything longer is not one. */
#define CONTROL_MAX_REQUEST (PATH_MAX + 8)
/* A client that neither asks nor reads within this is dropped. */
#define CONTROL_TIMEOUT_SEC 5
/* How long the client waits for a save or load to be answered. */
#define CONTROL_STATE_TIMEOUT_SEC 60
/* Clients served at once; more are accepted and closed at once. */
#define CONTROL_MAX_CLIENTS 16u
/* How long the listener rests after accept() ran out of descriptors. */
#define CONTROL_BACKOFF_MS 250

struct control_conn {
	struct ioreqd_control *ctl;
	struct bufferevent *bev; /* writes the answer */
	struct event *rev;       /* reads the request (recvmsg: it may carry a file) */
	char req[CONTROL_MAX_REQUEST + 1];
	size_t len;
	int file; /* the descriptor passed with the request, or -1 */
	struct control_conn *prev, *next;
};

struct ioreqd_control {
	struct ioreqd_daemon *d;
	struct evconnlistener *listener;
	struct event *backoff; /* re-enables the listener */
	struct control_conn *conns;
	unsigned nr_conns;
	struct ioreqd_ratelimit rl; /* what clients can make us say */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

int ioreqd_control_path(char *buf, size_t len, const char *explicit_path,
                        unsigned be_caps, const char *sim_socket, unsigned domid)
{
	int n;

	if (explicit_path)
		n = snprintf(buf, len, "%s", explicit_path);
	else if ((be_caps & IOREQD_BE_CAP_SOCKET) && sim_socket)
		/* Beside the simulated hypervisor: parallel test runs never meet. */
		n = snprintf(buf, len, "%s.ctl", sim_socket);
	else if (be_caps & IOREQD_BE_CAP_SOCKET)
		return -EINVAL; /* options.c always sets the socket */
	else
		n = snprintf(buf, len, IOREQD_CONTROL_RUNDIR "/%u.sock", domid);
	if (n < 0 || (size_t)n >= len ||
	    (size_t)n >= sizeof(((struct sockaddr_un *)0)->sun_path))
		return -ENAMETOOLONG;
	return 0;
}

static void conn_free(struct control_conn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		c->ctl->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->ctl->nr_conns--;
	if (c->rev)
		event_free(c->rev);
	if (c->file >= 0)
		close(c->file);
	bufferevent_free(c->bev);
	free(c);
}

/*
 * "save PATH" / "load PATH": the path is absolute (the client makes it so),
 * since the daemon's working directory is not the client's.  One line back,
 * "ok: ..." or "error: ...".
 */
static void state_request(struct ioreqd_daemon *d, const char *req, FILE *fp)
{
	char msg[IOREQD_DEVSTATE_MSGLEN];
	int rc;

	if (req[0] == 's')
		rc = ioreqd_daemon_save(d, req + 5, msg, sizeof(msg));
	else
		rc = ioreqd_daemon_load(d, req + 5, msg, sizeof(msg));
	fprintf(fp, "%s: %s\n", rc < 0 ? "error" : "ok", msg);
}

/* "save-fd PATH" / "load-fd PATH": the file came with the request. */
static void state_fd_request(struct control_conn *c, const char *req, FILE *fp)
{
	char msg[IOREQD_DEVSTATE_MSGLEN];
	struct stat sb;
	int rc;

	if (c->file < 0) {
		fprintf(fp, "error: no file descriptor came with the request\n");
		return;
	}
	/* A pipe or a socket could block the loop on a read or write. */
	if (fstat(c->file, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		fprintf(fp, "error: %s: not a regular file\n", req + 8);
		return;
	}
	if (req[0] == 's')
		rc = ioreqd_daemon_save_fd(c->ctl->d, c->file, req + 8, msg, sizeof(msg));
	else
		rc = ioreqd_daemon_load_fd(c->ctl->d, c->file, req + 8, msg, sizeof(msg));
	fprintf(fp, "%s: %s\n", rc < 0 ? "error" : "ok", msg);
}

/* Render the answer to one request into memory, then queue it. */
static int answer(struct control_conn *c, const char *req)
{
	char *text = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&text, &len);
	int rc = 0;

	if (!fp)
		return -errno;
	if (!strcmp(req, "stats"))
		ioreqd_stats_write(c->ctl->d, fp, false);
	else if (!strcmp(req, "stats json"))
		ioreqd_stats_write(c->ctl->d, fp, true);
	else if (!strncmp(req, "save /", 6) || !strncmp(req, "load /", 6))
		state_request(c->ctl->d, req, fp);
	else if (!strncmp(req, "save-fd ", 8) || !strncmp(req, "load-fd ", 8))
		state_fd_request(c, req, fp);
	else
		fprintf(fp, "error: unknown request (try \"stats\", \"stats json\", "
		            "\"save /PATH\" or \"load /PATH\")\n");
	if (fclose(fp) != 0)
		rc = -EIO;
	else if (bufferevent_write(c->bev, text, len) < 0)
		rc = -ENOMEM;
	free(text);
	return rc;
}

/* The answer has left: close (the write low watermark is 0, so it is all out). */
static void control_write_cb(struct bufferevent *bev, void *arg)
{
	conn_free(arg);
}

/* EOF before a request, an error, or a timeout: nothing more to do. */
static void control_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct control_conn *c = arg;

	if (what & (BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT))
		ioreqd_log_rl(&c->ctl->rl, LOG_LEVEL_DEBUG, "%s: client %s, closing",
		              __func__,
		              what & BEV_EVENT_TIMEOUT ? "timed out" : "failed");
	conn_free(c);
}

/* Keep the first descriptor a message carried; close any other. */
static void take_fds(struct control_conn *c, struct msghdr *mh)
{
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
		size_t n;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(fd));
			if (c->file < 0)
				c->file = fd;
			else
				close(fd);
		}
	}
}

static void control_recv_cb(evutil_socket_t fd, short what, void *arg)
{
	struct control_conn *c = arg;
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(4 * sizeof(int))];
	} cbuf;
	struct iovec iov = {.iov_base = c->req + c->len,
	                    .iov_len = CONTROL_MAX_REQUEST - c->len};
	struct msghdr mh = {.msg_iov = &iov,
	                    .msg_iovlen = 1,
	                    .msg_control = cbuf.buf,
	                    .msg_controllen = sizeof(cbuf.buf)};
	char *nl;
	ssize_t n;

	if (what & EV_TIMEOUT) {
		ioreqd_log_rl(&c->ctl->rl, LOG_LEVEL_DEBUG,
		              "%s: client timed out, closing", __func__);
		conn_free(c);
		return;
	}
	n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n > 0)
		take_fds(c, &mh);
	if (n <= 0 || (mh.msg_flags & MSG_CTRUNC)) {
		/* EOF before a request, an error, or more control data than a file. */
		conn_free(c);
		return;
	}
	c->len += (size_t)n;
	c->req[c->len] = '\0';
	nl = memchr(c->req, '\n', c->len);
	if (!nl) {
		if (c->len >= CONTROL_MAX_REQUEST) {
			ioreqd_log_rl(&c->ctl->rl, LOG_LEVEL_DEBUG,
			              "%s: request too long, closing", __func__);
			conn_free(c);
		}
		return;
	}
	*nl = '\0';
	if (nl > c->req && nl[-1] == '\r')
		nl[-1] = '\0';
	event_free(c->rev);
	c->rev = NULL;
	bufferevent_setcb(c->bev, NULL, control_write_cb, control_event_cb, c);
	if (answer(c, c->req) < 0)
		conn_free(c);
}

static void control_accept_cb(struct evconnlistener *l, evutil_socket_t fd,
                              struct sockaddr *sa, int salen, void *arg)
{
	struct ioreqd_control *ctl = arg;
	struct timeval tv = {.tv_sec = CONTROL_TIMEOUT_SEC};
	struct control_conn *c;

	if (ctl->nr_conns >= CONTROL_MAX_CLIENTS) {
		ioreqd_log_rl(&ctl->rl, LOG_LEVEL_WARN,
		              "control socket %s: %u clients already connected; "
		              "refusing another",
		              ctl->path, ctl->nr_conns);
		evutil_closesocket(fd);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		evutil_closesocket(fd);
		return;
	}
	c->ctl = ctl;
	c->file = -1;
	c->bev = bufferevent_socket_new(ctl->d->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (!c->bev) {
		evutil_closesocket(fd);
		free(c);
		return;
	}
	c->next = ctl->conns;
	if (ctl->conns)
		ctl->conns->prev = c;
	ctl->conns = c;
	ctl->nr_conns++;
	bufferevent_setcb(c->bev, NULL, NULL, control_event_cb, c);
	bufferevent_set_timeouts(c->bev, &tv, &tv);
	c->rev = event_new(ctl->d->base, fd, EV_READ | EV_PERSIST, control_recv_cb, c);
	if (!c->rev || event_add(c->rev, &tv) < 0)
		conn_free(c);
}

static void control_backoff_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ioreqd_control *ctl = arg;

	if (evconnlistener_enable(ctl->listener) < 0)
		ioreqd_log_rl(&ctl->rl, LOG_LEVEL_WARN,
		              "control socket %s: cannot listen again; it stays "
		              "unavailable until ioreqd restarts",
		              ctl->path);
}

/*
 * accept() failed.  Out of descriptors (or memory), the connection stays
 * queued and the socket readable, so libevent would call accept() again at
 * once, forever: rest the listener and re-enable it from a timer.
 */
static void control_accept_error_cb(struct evconnlistener *l, void *arg)
{
	struct ioreqd_control *ctl = arg;
	struct timeval tv = {0, CONTROL_BACKOFF_MS * 1000};
	int err = EVUTIL_SOCKET_ERROR();

	if (err != EMFILE && err != ENFILE && err != ENOBUFS && err != ENOMEM) {
		ioreqd_log_rl(&ctl->rl, LOG_LEVEL_WARN,
		              "control socket %s: cannot accept a client: %s", ctl->path,
		              strerror(err));
		return;
	}
	ioreqd_log_rl(&ctl->rl, LOG_LEVEL_WARN,
	              "control socket %s: cannot accept a client: %s; retrying in "
	              "%d ms",
	              ctl->path, strerror(err), CONTROL_BACKOFF_MS);
	if (evtimer_add(ctl->backoff, &tv) == 0)
		evconnlistener_disable(l);
}

/*
 * @return 1 if something listens on @p sun, 0 if not (the file is stale or
 * absent).  Non-blocking: a wedged daemon with a full backlog must not hang
 * this one's start-up (EAGAIN means a listener exists).
 */
static int socket_is_live(const struct sockaddr_un *sun)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int live;

	if (fd < 0)
		return 0;
	live = connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) == 0 ||
	       errno == EAGAIN;
	close(fd);
	return live;
}

static int make_listener(struct ioreqd_control *ctl, bool default_path, bool unprivileged)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd = -1, rc;

	memcpy(sun.sun_path, ctl->path, strlen(ctl->path) + 1);
	if (default_path && !unprivileged && mkdir(IOREQD_CONTROL_RUNDIR, 0755) < 0 &&
	    errno != EEXIST) {
		rc = -errno;
		log_warn("cannot create %s for the control socket",
		         IOREQD_CONTROL_RUNDIR);
		goto out;
	}
	if (socket_is_live(&sun)) {
		log_warnx("control socket %s: another daemon answers on it; give "
		          "this one another with --control PATH",
		          ctl->path);
		rc = -EADDRINUSE;
		goto out;
	}
	unlink(ctl->path); /* a stale socket of a daemon that died */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		rc = -errno;
		log_warn("cannot create the control socket %s", ctl->path);
		goto out;
	}
	/* Statistics name the guest's devices and rates: owner only. */
	if (chmod(ctl->path, 0600) < 0) {
		rc = -errno;
		log_warn("cannot make the control socket %s private to its owner",
		         ctl->path);
		unlink(ctl->path);
		goto out;
	}
	ctl->listener =
	    evconnlistener_new(ctl->d->base, control_accept_cb, ctl,
	                       LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 8, fd);
	if (!ctl->listener) {
		rc = -EIO;
		log_warnx("control socket %s: cannot listen on it", ctl->path);
		unlink(ctl->path);
		goto out;
	}
	fd = -1; /* owned by the listener now */
	evconnlistener_set_error_cb(ctl->listener, control_accept_error_cb);
	/* Removed at exit, by a helper if the daemon has dropped privileges. */
	rc = ioreqd_runfiles_add(&ctl->d->runfiles, ctl->path);
	if (rc < 0)
		log_warnx("control socket %s will not be removed at exit: %s", ctl->path,
		          strerror(-rc));
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

int ioreqd_control_setup(struct ioreqd_daemon *d)
{
	struct ioreqd_control *ctl = NULL;
	int rc;

	ctl = calloc(1, sizeof(*ctl));
	if (!ctl)
		return -ENOMEM;
	ctl->d = d;
	ctl->rl = (struct ioreqd_ratelimit)IOREQD_RATELIMIT_INIT(10, 2);
	ctl->backoff = evtimer_new(d->base, control_backoff_cb, ctl);
	if (!ctl->backoff) {
		rc = -ENOMEM;
		goto out;
	}
	rc = ioreqd_control_path(ctl->path, sizeof(ctl->path), d->opts.control,
	                         d->be->caps, d->opts.sim_socket, d->opts.domid);
	if (rc < 0) {
		log_warnx("domain %u: the control socket's path is too long (at most "
		          "%zu bytes); give a shorter one with --control PATH",
		          d->opts.domid, sizeof(ctl->path) - 1);
		goto out;
	}
	rc = make_listener(ctl, !d->opts.control,
	                   d->be->caps & IOREQD_BE_CAP_UNPRIVILEGED);
	if (rc < 0)
		goto out;
	log_debug("%s: d%u: statistics on %s", __func__, d->opts.domid, ctl->path);
	d->control = ctl;
	ctl = NULL;
out:
	if (ctl && ctl->backoff)
		event_free(ctl->backoff);
	free(ctl);
	return rc;
}

void ioreqd_control_teardown(struct ioreqd_daemon *d)
{
	struct ioreqd_control *ctl = d->control;

	if (!ctl)
		return;
	while (ctl->conns)
		conn_free(ctl->conns);
	evconnlistener_free(ctl->listener);
	event_free(ctl->backoff);
	/*
	 * Chrooted or another user, the path is not ours to touch: the runfiles
	 * helper removes the socket once the daemon exits.
	 */
	if (!ctl->d->confined && unlink(ctl->path) < 0 && errno != ENOENT)
		log_debug("%s: cannot remove %s: %s", __func__, ctl->path,
		          strerror(errno));
	free(ctl);
	d->control = NULL;
}

int ioreqd_control_query(const char *path, bool json, FILE *out)
{
	return ioreqd_control_request(path, json ? "stats json\n" : "stats\n", out,
	                              CONTROL_TIMEOUT_SEC);
}

/* Open what the daemon writes (a temporary file beside @p abs) or reads. */
static int open_state_file(const char *abs, bool save, char **tmp)
{
	int fd;

	*tmp = NULL;
	if (!save)
		return open(abs, O_RDONLY | O_CLOEXEC);
	if (asprintf(tmp, "%s.tmp.%ld", abs, (long)getpid()) < 0) {
		*tmp = NULL;
		errno = ENOMEM;
		return -1;
	}
	fd = open(*tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		free(*tmp);
		*tmp = NULL;
	}
	return fd;
}

/* The saved file replaces the old one; the rename reaches the disk too. */
static int commit_state_file(const char *tmp, const char *abs)
{
	char *dir = strdup(abs);
	char *slash = dir ? strrchr(dir, '/') : NULL;
	int dfd, rc = 0;

	if (!dir)
		return -ENOMEM;
	if (rename(tmp, abs) < 0) {
		rc = -errno;
		fprintf(stderr, "ioreqd: error: %s: %s\n", abs, strerror(-rc));
		goto out;
	}
	if (slash)
		slash[slash == dir ? 1 : 0] = '\0';
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || (fsync(dfd) < 0 && errno != EINVAL && errno != EROFS)) {
		rc = -errno;
		fprintf(stderr, "ioreqd: error: %s: %s\n", dir, strerror(-rc));
	}
	if (dfd >= 0)
		close(dfd);
out:
	free(dir);
	return rc;
}

int ioreqd_control_state(const char *path, bool save, const char *file, FILE *out)
{
	char cwd[PATH_MAX], *abs = NULL, *req = NULL, *answer = NULL, *tmp = NULL;
	size_t len = 0;
	FILE *fp = NULL;
	int rc, n, fd = -1;

	/* The daemon's working directory is not ours: name it absolutely. */
	if (file[0] != '/' && !getcwd(cwd, sizeof(cwd))) {
		rc = -errno;
		fprintf(stderr, "ioreqd: error: %s: cannot make the path absolute: %s\n",
		        file, strerror(-rc));
		return rc;
	}
	if (asprintf(&abs, "%s%s%s", file[0] == '/' ? "" : cwd, file[0] == '/' ? "" : "/",
	             file) < 0) {
		abs = NULL;
		rc = -ENOMEM;
		goto out;
	}
	n = asprintf(&req, "%s %s\n", save ? "save-fd" : "load-fd", abs);
	if (n < 0 || (size_t)n > CONTROL_MAX_REQUEST || strchr(file, '\n')) {
		fprintf(stderr, "ioreqd: error: %s: path too long or not one line\n",
		        file);
		rc = -ENAMETOOLONG;
		goto out;
	}
	fd = open_state_file(abs, save, &tmp);
	if (fd < 0) {
		rc = -errno;
		fprintf(stderr, "ioreqd: error: %s: %s\n", save && tmp ? tmp : abs,
		        strerror(-rc));
		goto out;
	}
	fp = open_memstream(&answer, &len);
	if (!fp) {
		rc = -errno;
		goto out;
	}
	/* Saving a large scratch device and fsync take longer than a stats walk. */
	rc = ioreqd_control_request_fd(path, req, fd, fp, CONTROL_STATE_TIMEOUT_SEC);
	if (fclose(fp) != 0 && rc == 0)
		rc = -EIO;
	fp = NULL;
	if (rc < 0)
		goto out;
	if (len >= 4 && !strncmp(answer, "ok: ", 4)) {
		if (tmp && (rc = commit_state_file(tmp, abs)) == 0) {
			free(tmp);
			tmp = NULL;
		}
		if (rc == 0)
			fputs(answer + 4, out);
	} else {
		fprintf(stderr, "ioreqd: %s",
		        len ? answer : "error: no answer from the daemon\n");
		rc = -EIO;
	}
out:
	if (fd >= 0)
		close(fd);
	if (tmp)
		unlink(tmp); /* a failed save leaves the previous file whole */
	free(tmp);
	free(answer);
	free(req);
	free(abs);
	return rc;
}

/* The request line in one message, with @p pass attached when it is a file. */
static int send_request(int fd, const char *req, int pass)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} cbuf;
	struct iovec iov = {.iov_base = (void *)req, .iov_len = strlen(req)};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	ssize_t n;

	if (pass >= 0) {
		struct cmsghdr *cm;

		memset(&cbuf, 0, sizeof(cbuf));
		mh.msg_control = cbuf.buf;
		mh.msg_controllen = sizeof(cbuf.buf);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &pass, sizeof(int));
	}
	n = sendmsg(fd, &mh, MSG_NOSIGNAL);
	return n == (ssize_t)iov.iov_len ? 0 : -EIO;
}

int ioreqd_control_request(const char *path, const char *req, FILE *out, int timeout_sec)
{
	return ioreqd_control_request_fd(path, req, -1, out, timeout_sec);
}

int ioreqd_control_request_fd(const char *path, const char *req, int pass, FILE *out,
                              int timeout_sec)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct timeval tv = {.tv_sec = timeout_sec};
	char buf[4096];
	ssize_t n;
	int fd = -1, rc = 0;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "ioreqd: error: %s: path too long for a socket\n", path);
		return -ENAMETOOLONG;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		rc = -errno;
		fprintf(stderr,
		        "ioreqd: error: %s: %s (is the daemon running? see --control)\n",
		        path, strerror(-rc));
		goto out;
	}
	if (send_request(fd, req, pass) < 0) {
		rc = -EIO;
		fprintf(stderr, "ioreqd: error: %s: cannot send the request\n", path);
		goto out;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)n, out);
	if (n < 0) {
		rc = -errno;
		fprintf(stderr, "ioreqd: error: %s: %s\n", path, strerror(-rc));
		goto out;
	}
	if (fflush(out) != 0)
		rc = -EIO;
out:
	if (fd >= 0)
		close(fd);
	return rc;
}
