/* SPDX-License-Identifier: MIT */
/*
 * The dom0 watcher (see watch.h): xenstore scans, the per-domain children
 * and the handshake writes.  Every change (a watch event, a child becoming
 * ready or exiting, a grace period ending) leads to one rescan of both backend
 * directories and one reconcile per domain: what should be served is compared
 * with what the domain's child serves, and the child is started, stopped or
 * left alone; then the states are written.  Rescanning everything is a few
 * dozen reads for a host full of guests and leaves no event to get lost.
 */
#include "build-config.h"

#include "watch.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <xenstore.h>

#include "log.h"
#include "vbackend.h"

#define BACKEND_ROOT "/local/domain/0/backend"
#define WATCH_TOKEN "ioreqd-watch"
#define RELEASE_PATH "@releaseDomain"
#define MAX_EVENTS_PER_CB 256u
#define READY_FD 3

struct wdev {
	struct wdev *next;
	struct ioreqd_vbe_dev dev;
	int verdict;                      /* 0, -EAGAIN (keys missing), -EINVAL */
	char err[IOREQD_VBE_ERRLEN];      /* why, for the last two */
	char reported[IOREQD_VBE_ERRLEN]; /* the error last logged, "" if none */
	struct timespec missing_since;    /* verdict -EAGAIN since */
	bool seen;                        /* in the current scan */
	bool in_child;                    /* in the running child's configuration */
	int state_written;                /* the last state written, 0: none */
};

struct wdom {
	struct wdom *next;
	struct ioreqd_watch *w;
	unsigned domid;
	struct wdev *devs; /* sorted by kind, then devid */
	pid_t pid;         /* the child, or 0 */
	bool ready;        /* it has claimed its ranges */
	bool stopping;     /* it was sent SIGTERM */
	char *text;        /* its configuration's device part */
	char *failed;      /* the device part a child exited with on its own */
	int ready_fd;
	struct event *ready_ev;
	struct event *kill_timer;
};

struct ioreqd_watch {
	struct ioreqd_watch_params p;
	struct event_base *base;
	void *h;
	struct event *xs_ev;
	struct event *rescan_ev; /* zero timeout: coalesces a burst of events */
	struct event *grace_ev;  /* a device lacks keys: look again later */
	struct event *sigchld;
	struct wdom *doms;
	bool stopping;
	void (*done)(void *arg);
	void *done_arg;
};

static void reconcile(struct wdom *dm);

static void schedule_rescan(struct ioreqd_watch *w)
{
	struct timeval now = {0, 0};

	if (!w->stopping)
		event_add(w->rescan_ev, &now);
}

static long ms_since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t->tv_sec) * 1000L + (now.tv_nsec - t->tv_nsec) / 1000000L;
}

static void be_path(char *buf, size_t len, const struct ioreqd_vbe_dev *d,
                    const char *key)
{
	snprintf(buf, len, BACKEND_ROOT "/%s/%u/%u%s%s", ioreqd_vbe_kind_name(d->kind),
	         d->domid, d->devid, key ? "/" : "", key ? key : "");
}

static void write_key(struct ioreqd_watch *w, const struct ioreqd_vbe_dev *d,
                      const char *key, const char *value)
{
	char path[128];
	int rc;

	be_path(path, sizeof(path), d, key);
	rc = w->p.ops->write(w->h, path, value);
	if (rc < 0)
		log_warnx("domain %u %s device %u: cannot write %s = %s: %s", d->domid,
		          ioreqd_vbe_kind_name(d->kind), d->devid, path, value,
		          strerror(-rc));
}

/* One log line and an `error` key per distinct problem of a device. */
static void report(struct ioreqd_watch *w, struct wdev *v, const char *msg)
{
	if (!strcmp(v->reported, msg))
		return;
	snprintf(v->reported, sizeof(v->reported), "%s", msg);
	log_warnx("%s", msg);
	write_key(w, &v->dev, "error", msg);
}

/* ---- scanning ---- */

static struct wdom *find_dom(struct ioreqd_watch *w, unsigned domid, bool create)
{
	struct wdom **pp = &w->doms, *dm;

	for (; *pp && (*pp)->domid < domid; pp = &(*pp)->next)
		;
	if (*pp && (*pp)->domid == domid)
		return *pp;
	if (!create)
		return NULL;
	dm = calloc(1, sizeof(*dm));
	if (!dm)
		return NULL;
	dm->w = w;
	dm->domid = domid;
	dm->ready_fd = -1;
	dm->next = *pp;
	*pp = dm;
	return dm;
}

static struct wdev *find_dev(struct wdom *dm, enum ioreqd_vbe_kind kind, unsigned devid)
{
	struct wdev **pp = &dm->devs, *v;

	for (; *pp && ((*pp)->dev.kind < kind ||
	               ((*pp)->dev.kind == kind && (*pp)->dev.devid < devid));
	     pp = &(*pp)->next)
		;
	if (*pp && (*pp)->dev.kind == kind && (*pp)->dev.devid == devid)
		return *pp;
	v = calloc(1, sizeof(*v));
	if (!v)
		return NULL;
	v->dev.kind = kind;
	v->dev.domid = dm->domid;
	v->dev.devid = devid;
	v->next = *pp;
	*pp = v;
	return v;
}

/* Read one device's directory and parse it. */
static void scan_dev(struct ioreqd_watch *w, struct wdev *v)
{
	struct ioreqd_vbe_kv kv[64];
	char path[128], kpath[192];
	char **keys, *vals[64];
	unsigned nkeys = 0, n = 0;
	enum ioreqd_vbe_kind kind = v->dev.kind;
	unsigned domid = v->dev.domid, devid = v->dev.devid;

	be_path(path, sizeof(path), &v->dev, NULL);
	keys = w->p.ops->directory(w->h, path, &nkeys);
	if (!keys) {
		v->seen = false; /* removed between the listing and now */
		return;
	}
	/* libxl writes 16 keys; more than 64 is not a device of ours. */
	for (unsigned i = 0; i < nkeys && n < 64; i++) {
		snprintf(kpath, sizeof(kpath), "%s/%s", path, keys[i]);
		vals[n] = w->p.ops->read(w->h, kpath);
		if (!vals[n])
			continue; /* removed meanwhile: as if never there */
		kv[n].key = keys[i];
		kv[n].value = vals[n];
		n++;
	}
	v->verdict =
	    ioreqd_vbe_parse(kind, domid, devid, kv, n, &v->dev, v->err, sizeof(v->err));
	for (unsigned i = 0; i < n; i++)
		free(vals[i]);
	free(keys);
}

static void scan_domain(struct ioreqd_watch *w, enum ioreqd_vbe_kind kind, unsigned domid)
{
	char path[96];
	char **ids;
	unsigned nids = 0, devid;
	struct wdom *dm;

	snprintf(path, sizeof(path), BACKEND_ROOT "/%s/%u", ioreqd_vbe_kind_name(kind),
	         domid);
	ids = w->p.ops->directory(w->h, path, &nids);
	if (!ids)
		return;
	dm = find_dom(w, domid, nids > 0);
	for (unsigned i = 0; dm && i < nids; i++) {
		struct wdev *v;

		if (ioreqd_vbe_parse_id(ids[i], UINT32_MAX >> 1, &devid) < 0) {
			log_debug("%s: ignoring %s/%s", __func__, path, ids[i]);
			continue;
		}
		v = find_dev(dm, kind, devid);
		if (!v) {
			log_warnx("domain %u %s device %u: out of memory", domid,
			          ioreqd_vbe_kind_name(kind), devid);
			continue;
		}
		v->seen = true;
		scan_dev(w, v);
	}
	free(ids);
}

/* A device's verdict beyond its own keys: the domain's set and its target. */
static void check_dev(struct ioreqd_watch *w, struct wdom *dm, struct wdev *v,
                      const struct ioreqd_vbe_dev *prev, size_t nprev)
{
	struct ioreqd_vbe_dev *all;

	if (v->verdict == -EAGAIN) {
		if (v->missing_since.tv_sec == 0 && v->missing_since.tv_nsec == 0)
			clock_gettime(CLOCK_MONOTONIC, &v->missing_since);
		if (ms_since(&v->missing_since) >= (long)w->p.incomplete_ms) {
			size_t l = strlen(v->err);

			snprintf(v->err + l, sizeof(v->err) - l, " after %u ms",
			         w->p.incomplete_ms);
			v->verdict = -EINVAL;
		} else {
			struct timeval tv = {w->p.incomplete_ms / 1000,
			                     (w->p.incomplete_ms % 1000) * 1000};

			event_add(w->grace_ev, &tv);
			log_debug("%s: %s (waiting)", __func__, v->err);
		}
		return;
	}
	memset(&v->missing_since, 0, sizeof(v->missing_since));
	if (v->verdict < 0)
		return;
	/* Devices on their way out do not need a target any more. */
	if (v->dev.state >= IOREQD_XB_CLOSING || !v->dev.online)
		return;
	all = malloc((nprev + 1) * sizeof(*all));
	if (all) {
		memcpy(all, prev, nprev * sizeof(*all));
		all[nprev] = v->dev;
		v->verdict =
		    ioreqd_vbe_check_set(all, nprev + 1, nprev, v->err, sizeof(v->err));
		free(all);
	}
	if (v->verdict == 0 &&
	    access(v->dev.path, v->dev.readonly ? R_OK : R_OK | W_OK) < 0) {
		snprintf(v->err, sizeof(v->err),
		         "domain %u %s device %u: target %.128s: %s", dm->domid,
		         ioreqd_vbe_kind_name(v->dev.kind), v->dev.devid, v->dev.path,
		         strerror(errno));
		v->verdict = -EINVAL;
	}
}

static void free_dom_if_idle(struct ioreqd_watch *w, struct wdom *dm)
{
	struct wdom **pp;

	if (dm->devs || dm->pid)
		return;
	for (pp = &w->doms; *pp != dm; pp = &(*pp)->next)
		;
	*pp = dm->next;
	if (dm->kill_timer)
		event_free(dm->kill_timer);
	free(dm->text);
	free(dm->failed);
	free(dm);
}

static void rescan(struct ioreqd_watch *w)
{
	struct wdom *dm, *next;

	for (dm = w->doms; dm; dm = dm->next)
		for (struct wdev *v = dm->devs; v; v = v->next)
			v->seen = false;
	for (int k = 0; k < IOREQD_VBE_KIND_COUNT; k++) {
		char path[64];
		char **doms;
		unsigned n = 0, domid;

		snprintf(path, sizeof(path), BACKEND_ROOT "/%s", ioreqd_vbe_kind_name(k));
		doms = w->p.ops->directory(w->h, path, &n);
		if (!doms)
			continue;
		for (unsigned i = 0; i < n; i++)
			if (ioreqd_vbe_parse_id(doms[i], 0x7fef, &domid) == 0)
				scan_domain(w, (enum ioreqd_vbe_kind)k, domid);
		free(doms);
	}
	for (dm = w->doms; dm; dm = next) {
		struct wdev **pp = &dm->devs;
		struct ioreqd_vbe_dev *ok;
		size_t nok = 0, ndev = 0;

		next = dm->next;
		/* Forget what went away; a child serving it is stopped below. */
		while (*pp) {
			struct wdev *v = *pp;

			if (v->seen) {
				ndev++;
				pp = &v->next;
				continue;
			}
			log_info("domain %u %s device %u: backend entry removed",
			         dm->domid, ioreqd_vbe_kind_name(v->dev.kind),
			         v->dev.devid);
			*pp = v->next;
			free(v);
		}
		ok = calloc(ndev + 1, sizeof(*ok));
		for (struct wdev *v = dm->devs; v; v = v->next) {
			check_dev(w, dm, v, ok, nok);
			if (v->verdict == 0 && ok && v->dev.state < IOREQD_XB_CLOSING &&
			    v->dev.online)
				ok[nok++] = v->dev;
			if (v->verdict == -EINVAL && v->dev.state < IOREQD_XB_CLOSING &&
			    v->dev.online)
				report(w, v, v->err);
		}
		free(ok);
		reconcile(dm);
		free_dom_if_idle(w, dm);
	}
}

static void watch_rescan_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	rescan(arg);
}

/* ---- children ---- */

static void stop_child(struct wdom *dm)
{
	struct timeval tv = {dm->w->p.stop_ms / 1000, (dm->w->p.stop_ms % 1000) * 1000};

	if (!dm->pid || dm->stopping)
		return;
	dm->stopping = true;
	log_info("domain %u: stopping ioreqd pid %ld", dm->domid, (long)dm->pid);
	kill(dm->pid, SIGTERM);
	if (dm->kill_timer)
		event_add(dm->kill_timer, &tv);
}

static void watch_kill_cb(evutil_socket_t fd, short what, void *arg)
{
	struct wdom *dm = arg;

	(void)fd;
	(void)what;
	if (!dm->pid)
		return;
	log_warnx("domain %u: ioreqd pid %ld did not stop within %u ms: killing it",
	          dm->domid, (long)dm->pid, dm->w->p.stop_ms);
	kill(dm->pid, SIGKILL);
}

static void close_ready(struct wdom *dm)
{
	if (dm->ready_ev) {
		event_free(dm->ready_ev);
		dm->ready_ev = NULL;
	}
	if (dm->ready_fd >= 0) {
		close(dm->ready_fd);
		dm->ready_fd = -1;
	}
}

static void watch_ready_cb(evutil_socket_t fd, short what, void *arg)
{
	struct wdom *dm = arg;
	char c;
	ssize_t n = read(fd, &c, 1);

	(void)what;
	if (n < 0 && errno == EINTR)
		return;
	close_ready(dm);
	if (n == 1 && dm->pid) {
		dm->ready = true;
		log_info("domain %u: ioreqd pid %ld serves its virtio devices", dm->domid,
		         (long)dm->pid);
		schedule_rescan(dm->w);
	}
	/* End of file: the child failed before serving; SIGCHLD says how. */
}

/* The per-domain override, appended to @p fp if there is one. */
static void append_override(struct wdom *dm, FILE *fp)
{
	struct ioreqd_watch *w = dm->w;
	char path[4096], key[64], buf[4096];
	char *name;
	FILE *in = NULL;
	size_t n;

	if (!w->p.confdir)
		return;
	snprintf(key, sizeof(key), "/local/domain/%u/name", dm->domid);
	name = w->p.ops->read(w->h, key);
	if (name && name[0] && !strchr(name, '/') && strcmp(name, ".") &&
	    strcmp(name, "..")) {
		snprintf(path, sizeof(path), "%s/%s.conf", w->p.confdir, name);
		in = fopen(path, "re");
	}
	free(name);
	if (!in) {
		snprintf(path, sizeof(path), "%s/%u.conf", w->p.confdir, dm->domid);
		in = fopen(path, "re");
	}
	if (!in)
		return;
	fprintf(fp, "\n; ---- from %s ----\n", path);
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		fwrite(buf, 1, n, fp);
	fclose(in);
	log_info("domain %u: adding %s to its configuration", dm->domid, path);
}

static int write_config(struct wdom *dm, const char *text, char *path, size_t len)
{
	char tmp[4200];
	FILE *fp;
	int fd;

	snprintf(path, len, "%s/watch-%u.conf", dm->w->p.rundir, dm->domid);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || !(fp = fdopen(fd, "w"))) {
		log_warn("domain %u: cannot write %s", dm->domid, tmp);
		if (fd >= 0)
			close(fd);
		return -EIO;
	}
	fputs(text, fp);
	append_override(dm, fp);
	if (fclose(fp) != 0 || rename(tmp, path) < 0) {
		log_warn("domain %u: cannot write %s", dm->domid, path);
		unlink(tmp);
		return -EIO;
	}
	return 0;
}

static int start_child(struct wdom *dm, char *text)
{
	struct ioreqd_watch *w = dm->w;
	char conf[4096], dom[16];
	const char *argv[64];
	unsigned argc = 0;
	sigset_t all, old;
	int fds[2];
	pid_t pid;

	if (write_config(dm, text, conf, sizeof(conf)) < 0)
		return -EIO;
	snprintf(dom, sizeof(dom), "%u", dm->domid);
	argv[argc++] = w->p.exe;
	argv[argc++] = "-d";
	argv[argc++] = dom;
	argv[argc++] = "-c";
	argv[argc++] = conf;
	argv[argc++] = "-f";
	argv[argc++] = "--ready-fd=3";
	for (unsigned i = 0; w->p.child_args && w->p.child_args[i] && argc < 63; i++)
		argv[argc++] = w->p.child_args[i];
	argv[argc] = NULL;
	if (pipe2(fds, O_CLOEXEC) < 0) {
		log_warn("domain %u: cannot start ioreqd: pipe", dm->domid);
		return -errno;
	}
	fflush(stderr);
	/*
	 * Signals stay blocked from fork until the child has put every handler
	 * back to the default: a SIGTERM for the child in that window must not
	 * run our handler, which would tell our own event loop to stop.
	 */
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	pid = fork();
	if (pid < 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		log_warn("domain %u: cannot start ioreqd: fork", dm->domid);
		close(fds[0]);
		close(fds[1]);
		return -EAGAIN;
	}
	if (pid == 0) {
		struct sigaction dfl = {.sa_handler = SIG_DFL};

		for (int sig = 1; sig < NSIG; sig++)
			sigaction(sig, &dfl, NULL);
		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		/* fd 3 is the readiness pipe; dup2 clears close-on-exec. */
		if (fds[1] == READY_FD)
			fcntl(READY_FD, F_SETFD, 0);
		else if (dup2(fds[1], READY_FD) < 0)
			_exit(127);
		execv(w->p.exe, (char *const *)argv);
		fprintf(stderr, "ioreqd: error: domain %u: cannot run %s: %s\n",
		        dm->domid, w->p.exe, strerror(errno));
		_exit(127);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(fds[1]);
	dm->pid = pid;
	dm->ready = false;
	dm->stopping = false;
	dm->ready_fd = fds[0];
	dm->ready_ev =
	    event_new(w->base, fds[0], EV_READ | EV_PERSIST, watch_ready_cb, dm);
	if (!dm->ready_ev || event_add(dm->ready_ev, NULL) < 0)
		log_warnx("domain %u: cannot wait for ioreqd pid %ld to be ready",
		          dm->domid, (long)pid);
	if (!dm->kill_timer)
		dm->kill_timer = evtimer_new(w->base, watch_kill_cb, dm);
	free(dm->text);
	dm->text = text;
	log_info("domain %u: started ioreqd pid %ld with %s", dm->domid, (long)pid, conf);
	return 0;
}

static void describe_status(int status, char *buf, size_t len, bool ready)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exited with status %d%s", WEXITSTATUS(status),
		         ready ? "" : " before serving");
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "was killed by signal %d (%s)%s", WTERMSIG(status),
		         strsignal(WTERMSIG(status)), ready ? "" : " before serving");
	else
		snprintf(buf, len, "ended");
}

static void child_exited(struct ioreqd_watch *w, struct wdom *dm, int status)
{
	char how[96];
	bool gone = !w->p.ops->domain_alive(w->h, dm->domid);

	describe_status(status, how, sizeof(how), dm->ready);
	if (dm->stopping) {
		log_info("domain %u: ioreqd pid %ld %s", dm->domid, (long)dm->pid, how);
	} else if (gone) {
		log_info("domain %u is gone; its ioreqd pid %ld %s", dm->domid,
		         (long)dm->pid, how);
	} else {
		char msg[IOREQD_VBE_ERRLEN];

		log_warnx("domain %u: ioreqd pid %ld %s; not restarted for the same "
		          "devices (see its messages above)",
		          dm->domid, (long)dm->pid, how);
		free(dm->failed);
		dm->failed = dm->text;
		dm->text = NULL;
		for (struct wdev *v = dm->devs; v; v = v->next) {
			if (!v->in_child)
				continue;
			snprintf(msg, sizeof(msg), "domain %u %s device %u: ioreqd %s",
			         dm->domid, ioreqd_vbe_kind_name(v->dev.kind),
			         v->dev.devid, how);
			snprintf(v->reported, sizeof(v->reported), "%s", msg);
			write_key(w, &v->dev, "error", msg);
		}
	}
	close_ready(dm);
	if (dm->kill_timer)
		event_del(dm->kill_timer);
	dm->pid = 0;
	dm->ready = dm->stopping = false;
	free(dm->text);
	dm->text = NULL;
	for (struct wdev *v = dm->devs; v; v = v->next)
		v->in_child = false;
}

static void check_done(struct ioreqd_watch *w)
{
	if (w->stopping && w->done && ioreqd_watch_nr_children(w) == 0) {
		void (*done)(void *) = w->done;

		w->done = NULL;
		done(w->done_arg);
	}
}

static void watch_sigchld_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ioreqd_watch *w = arg;
	int status;
	pid_t pid;

	(void)fd;
	(void)what;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		struct wdom *dm;

		for (dm = w->doms; dm && dm->pid != pid; dm = dm->next)
			;
		if (dm)
			child_exited(w, dm, status);
	}
	check_done(w);
	schedule_rescan(w);
}

/* ---- the handshake ---- */

static void reconcile(struct wdom *dm)
{
	struct ioreqd_watch *w = dm->w;
	struct ioreqd_vbe_dev *want;
	size_t nwant = 0, ndev = 0;
	char *text;

	if (w->stopping)
		return;
	for (struct wdev *v = dm->devs; v; v = v->next)
		ndev++;
	want = calloc(ndev + 1, sizeof(*want));
	if (!want)
		return;
	for (struct wdev *v = dm->devs; v; v = v->next) {
		struct ioreqd_vbe_step s =
		    ioreqd_vbe_next(v->dev.state, v->dev.online, v->verdict == 0,
		                    v->in_child && dm->ready);

		if (s.serve)
			want[nwant++] = v->dev;
	}
	text = nwant ? ioreqd_vbe_render(want, nwant, dm->domid) : NULL;
	if (dm->pid && !dm->stopping && (!text || !dm->text || strcmp(text, dm->text)))
		stop_child(dm);
	if (!dm->pid && text && (!dm->failed || strcmp(text, dm->failed))) {
		if (start_child(dm, text) == 0) {
			text = NULL; /* the domain has it */
			for (struct wdev *v = dm->devs; v; v = v->next) {
				struct ioreqd_vbe_step s = ioreqd_vbe_next(
				    v->dev.state, v->dev.online, v->verdict == 0, false);

				v->in_child = s.serve;
			}
		}
	}
	free(text);
	free(want);
	/* The states, now that the child is what it should be. */
	for (struct wdev *v = dm->devs; v; v = v->next) {
		struct ioreqd_vbe_step s =
		    ioreqd_vbe_next(v->dev.state, v->dev.online, v->verdict == 0,
		                    v->in_child && dm->ready);
		char val[4];

		if (!s.write_state || s.write_state == v->dev.state)
			continue;
		snprintf(val, sizeof(val), "%d", s.write_state);
		write_key(w, &v->dev, "state", val);
		v->state_written = s.write_state;
		v->dev.state = s.write_state;
		if (s.write_state == IOREQD_XB_INITWAIT)
			log_info(
			    "domain %u %s device %u: served at 0x%llx irq %u (%s%s): "
			    "InitWait",
			    dm->domid, ioreqd_vbe_kind_name(v->dev.kind), v->dev.devid,
			    (unsigned long long)v->dev.base, v->dev.irq, v->dev.path,
			    v->dev.readonly ? ", read-only" : "");
		else
			log_info("domain %u %s device %u: Closed", dm->domid,
			         ioreqd_vbe_kind_name(v->dev.kind), v->dev.devid);
	}
}

/* ---- xenstore events ---- */

static void release_domains(struct ioreqd_watch *w)
{
	for (struct wdom *dm = w->doms; dm; dm = dm->next)
		if (dm->pid && !w->p.ops->domain_alive(w->h, dm->domid)) {
			log_info("domain %u is gone", dm->domid);
			stop_child(dm);
		}
}

static void watch_xs_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ioreqd_watch *w = arg;
	char path[256];

	(void)fd;
	(void)what;
	for (unsigned i = 0; i < MAX_EVENTS_PER_CB; i++) {
		int rc = w->p.ops->check_watch(w->h, path, sizeof(path));

		if (rc == 0)
			return;
		if (rc < 0) {
			log_warnx("xenstore connection lost (%s): no more virtio backend "
			          "events",
			          strerror(-rc));
			event_del(w->xs_ev);
			return;
		}
		if (!strcmp(path, RELEASE_PATH))
			release_domains(w);
		else
			schedule_rescan(w);
	}
}

static void watch_grace_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	rescan(arg);
}

struct ioreqd_watch *ioreqd_watch_new(struct event_base *base,
                                      const struct ioreqd_watch_params *p)
{
	struct ioreqd_watch *w = calloc(1, sizeof(*w));
	static const char *const paths[] = {
	    BACKEND_ROOT "/virtio_disk",
	    BACKEND_ROOT "/virtio",
	    RELEASE_PATH,
	};
	int fd;

	if (!w) {
		log_errx("out of memory");
		return NULL;
	}
	w->p = *p;
	w->base = base;
	w->h = p->ops->open();
	if (!w->h) {
		log_err(
		    "cannot open xenstore (is xenstored running, and are we in dom0?)");
		goto fail;
	}
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		int rc = p->ops->watch(w->h, paths[i], WATCH_TOKEN);

		if (rc < 0) {
			log_errx("cannot watch %s: %s", paths[i], strerror(-rc));
			goto fail;
		}
	}
	fd = p->ops->fileno(w->h);
	if (fd < 0) {
		log_errx("cannot watch xenstore: %s", strerror(-fd));
		goto fail;
	}
	w->xs_ev = event_new(base, fd, EV_READ | EV_PERSIST, watch_xs_cb, w);
	w->rescan_ev = evtimer_new(base, watch_rescan_cb, w);
	w->grace_ev = evtimer_new(base, watch_grace_cb, w);
	w->sigchld = evsignal_new(base, SIGCHLD, watch_sigchld_cb, w);
	if (!w->xs_ev || !w->rescan_ev || !w->grace_ev || !w->sigchld ||
	    event_add(w->xs_ev, NULL) < 0 || event_add(w->sigchld, NULL) < 0) {
		log_errx("cannot set up the xenstore and SIGCHLD events");
		goto fail;
	}
	rescan(w);
	return w;
fail:
	ioreqd_watch_free(w);
	return NULL;
}

void ioreqd_watch_stop(struct ioreqd_watch *w, void (*done)(void *arg), void *arg)
{
	w->stopping = true;
	w->done = done;
	w->done_arg = arg;
	if (w->xs_ev)
		event_del(w->xs_ev);
	event_del(w->rescan_ev);
	event_del(w->grace_ev);
	for (struct wdom *dm = w->doms; dm; dm = dm->next)
		stop_child(dm);
	check_done(w);
}

unsigned ioreqd_watch_nr_children(const struct ioreqd_watch *w)
{
	unsigned n = 0;

	for (const struct wdom *dm = w->doms; dm; dm = dm->next)
		n += dm->pid != 0;
	return n;
}

int ioreqd_watch_child(const struct ioreqd_watch *w, unsigned domid)
{
	for (const struct wdom *dm = w->doms; dm; dm = dm->next)
		if (dm->domid == domid)
			return dm->pid;
	return 0;
}

void ioreqd_watch_free(struct ioreqd_watch *w)
{
	if (!w)
		return;
	while (w->doms) {
		struct wdom *dm = w->doms;

		w->doms = dm->next;
		close_ready(dm);
		while (dm->devs) {
			struct wdev *v = dm->devs;

			dm->devs = v->next;
			free(v);
		}
		if (dm->kill_timer)
			event_free(dm->kill_timer);
		free(dm->text);
		free(dm->failed);
		free(dm);
	}
	if (w->sigchld)
		event_free(w->sigchld);
	if (w->grace_ev)
		event_free(w->grace_ev);
	if (w->rescan_ev)
		event_free(w->rescan_ev);
	if (w->xs_ev)
		event_free(w->xs_ev);
	if (w->h)
		w->p.ops->close(w->h);
	free(w);
}

/* ---- the real xenstore ---- */

static void *xen_open(void)
{
	return xs_open(0);
}

static void xen_close(void *h)
{
	xs_close(h);
}

static char *xen_read(void *h, const char *path)
{
	unsigned len;

	return xs_read(h, XBT_NULL, path, &len);
}

static int xen_write(void *h, const char *path, const char *value)
{
	return xs_write(h, XBT_NULL, path, value, (unsigned)strlen(value)) ? 0 : -errno;
}

static char **xen_directory(void *h, const char *path, unsigned *num)
{
	return xs_directory(h, XBT_NULL, path, num);
}

static int xen_watch(void *h, const char *path, const char *token)
{
	return xs_watch(h, path, token) ? 0 : -errno;
}

static int xen_fileno(void *h)
{
	int fd = xs_fileno(h);

	return fd < 0 ? -errno : fd;
}

static int xen_check_watch(void *h, char *path, size_t len)
{
	char **ev = xs_check_watch(h);

	if (!ev)
		return errno == EAGAIN ? 0 : -(errno ? errno : EIO);
	snprintf(path, len, "%s", ev[XS_WATCH_PATH]);
	free(ev);
	return 1;
}

static bool xen_domain_alive(void *h, unsigned domid)
{
	/* xenstored forgets a domain once Xen has released it. */
	return xs_is_domain_introduced(h, domid);
}

const struct ioreqd_watch_xs_ops ioreqd_watch_xen_ops = {
    .open = xen_open,
    .close = xen_close,
    .read = xen_read,
    .write = xen_write,
    .directory = xen_directory,
    .watch = xen_watch,
    .fileno = xen_fileno,
    .check_watch = xen_check_watch,
    .domain_alive = xen_domain_alive,
};
