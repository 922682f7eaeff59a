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
 */
#include "build-config.h"

#include <errno.h>
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
	struct bufferevent *bev;
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

static void control_read_cb(struct bufferevent *bev, void *arg)
{
	struct control_conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t n;
	char *line = evbuffer_readln(in, &n, EVBUFFER_EOL_ANY);

	if (!line) {
		if (evbuffer_get_length(in) > CONTROL_MAX_REQUEST) {
			ioreqd_log_rl(&c->ctl->rl, LOG_LEVEL_DEBUG,
			              "%s: request too long, closing", __func__);
			conn_free(c);
		}
		return;
	}
	bufferevent_disable(bev, EV_READ);
	bufferevent_setcb(bev, NULL, control_write_cb, control_event_cb, c);
	if (n > CONTROL_MAX_REQUEST || answer(c, line) < 0) {
		free(line);
		conn_free(c);
		return;
	}
	free(line);
}

static void control_accept_cb(struct evconnlistener *l, evutil_socket_t fd,
                              struct sockaddr *sa, int salen, void *arg)
{
	struct ioreqd_control *ctl = arg;
	struct timeval tv = {.tv_sec = CONTROL_TIMEOUT_SEC};
	struct control_conn *c;

	if (ctl->nr_conns >= CONTROL_MAX_CLIENTS) {
		ioreqd_log_rl(&ctl->rl, LOG_LEVEL_WARN,
		              "%s: %s: %u clients already connected; refusing another",
		              __func__, ctl->path, ctl->nr_conns);
		evutil_closesocket(fd);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		evutil_closesocket(fd);
		return;
	}
	c->ctl = ctl;
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
	bufferevent_setcb(c->bev, control_read_cb, NULL, control_event_cb, c);
	bufferevent_set_timeouts(c->bev, &tv, &tv);
	if (bufferevent_enable(c->bev, EV_READ) < 0)
		conn_free(c);
}

static void control_backoff_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ioreqd_control *ctl = arg;

	if (evconnlistener_enable(ctl->listener) < 0)
		ioreqd_log_rl(&ctl->rl, LOG_LEVEL_WARN, "%s: %s: cannot listen again",
		              __func__, ctl->path);
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
		ioreqd_log_rl(&ctl->rl, LOG_LEVEL_WARN, "%s: accept on %s: %s", __func__,
		              ctl->path, strerror(err));
		return;
	}
	ioreqd_log_rl(&ctl->rl, LOG_LEVEL_WARN,
	              "%s: cannot accept a client on %s: %s; retrying in %d ms", __func__,
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
		log_warn("%s: mkdir %s", __func__, IOREQD_CONTROL_RUNDIR);
		goto out;
	}
	if (socket_is_live(&sun)) {
		log_warnx(
		    "%s: %s: another daemon answers on this socket; use --control PATH",
		    __func__, ctl->path);
		rc = -EADDRINUSE;
		goto out;
	}
	unlink(ctl->path); /* a stale socket of a daemon that died */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		rc = -errno;
		log_warn("%s: %s", __func__, ctl->path);
		goto out;
	}
	/* Statistics name the guest's devices and rates: owner only. */
	if (chmod(ctl->path, 0600) < 0) {
		rc = -errno;
		log_warn("%s: chmod %s", __func__, ctl->path);
		unlink(ctl->path);
		goto out;
	}
	ctl->listener =
	    evconnlistener_new(ctl->d->base, control_accept_cb, ctl,
	                       LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 8, fd);
	if (!ctl->listener) {
		rc = -EIO;
		log_warnx("%s: %s: cannot listen", __func__, ctl->path);
		unlink(ctl->path);
		goto out;
	}
	fd = -1; /* owned by the listener now */
	evconnlistener_set_error_cb(ctl->listener, control_accept_error_cb);
	/* Removed at exit, by a helper if the daemon has dropped privileges. */
	rc = ioreqd_runfiles_add(&ctl->d->runfiles, ctl->path);
	if (rc < 0)
		log_warnx("%s: %s will not be removed at exit: %s", __func__, ctl->path,
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
		log_warnx("%s: control socket path too long", __func__);
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

int ioreqd_control_state(const char *path, bool save, const char *file, FILE *out)
{
	char cwd[PATH_MAX], *req = NULL, *answer = NULL;
	size_t len = 0;
	FILE *fp = NULL;
	int rc, n;

	/* The daemon's working directory is not ours: send an absolute path. */
	if (file[0] != '/' && !getcwd(cwd, sizeof(cwd))) {
		rc = -errno;
		fprintf(stderr, "ioreqd: error: %s: cannot make the path absolute: %s\n",
		        file, strerror(-rc));
		return rc;
	}
	n = asprintf(&req, "%s %s%s%s\n", save ? "save" : "load",
	             file[0] == '/' ? "" : cwd, file[0] == '/' ? "" : "/", file);
	if (n < 0 || (size_t)n > CONTROL_MAX_REQUEST || strchr(file, '\n')) {
		fprintf(stderr, "ioreqd: error: %s: path too long or not one line\n",
		        file);
		rc = -ENAMETOOLONG;
		goto out;
	}
	fp = open_memstream(&answer, &len);
	if (!fp) {
		rc = -errno;
		goto out;
	}
	/* Saving a large scratch device and fsync take longer than a stats walk. */
	rc = ioreqd_control_request(path, req, fp, CONTROL_STATE_TIMEOUT_SEC);
	if (fclose(fp) != 0 && rc == 0)
		rc = -EIO;
	fp = NULL;
	if (rc < 0)
		goto out;
	if (len >= 4 && !strncmp(answer, "ok: ", 4)) {
		fputs(answer + 4, out);
	} else {
		fprintf(stderr, "ioreqd: %s",
		        len ? answer : "error: no answer from the daemon\n");
		rc = -EIO;
	}
out:
	free(answer);
	free(req);
	return rc;
}

int ioreqd_control_request(const char *path, const char *req, FILE *out, int timeout_sec)
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
	if (write(fd, req, strlen(req)) != (ssize_t)strlen(req)) {
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
