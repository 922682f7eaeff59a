/* SPDX-License-Identifier: MIT */
/*
 * `ioreqd --watch`: the dom0 service that serves libxl's virtio disks (see
 * watch.h for what it does).  This file is the process around the watcher:
 * detaching, the pidfile, signals, and the options passed on to each
 * domain's ioreqd.  SIGTERM/SIGINT stop every child cleanly (each completes
 * its guest's pending accesses and destroys its ioreq server) and then the
 * watcher, which exits 0.
 *
 * The watcher itself is not confined with --seccomp (it forks and execs);
 * the per-domain daemons, which face the guests, are.
 */
#include "build-config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon.h"
#include "ioreqd-paths.h"
#include "watch.h"

#define CHILD_ARGS_MAX 24
#define OVERRIDE_DIR IOREQD_SYSCONFDIR "/ioreqd/watch"

struct watchd {
	struct ioreqd_daemon *d;
	struct ioreqd_watch *w;
	struct event *sig_term, *sig_int;
	bool stopping;
};

static void watchd_done_cb(void *arg)
{
	struct watchd *wd = arg;

	event_base_loopbreak(wd->d->base);
}

static void watchd_signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct watchd *wd = arg;

	(void)what;
	if (wd->stopping)
		return;
	wd->stopping = true;
	log_info("%s (signal %d): stopping every domain's ioreqd", strsignal((int)sig),
	         (int)sig);
	ioreqd_watch_stop(wd->w, watchd_done_cb, wd);
}

/*
 * What each domain's ioreqd gets from our own command line.  @return the
 * number of arguments, or -E2BIG if one does not fit: a child must never be
 * started without an option it was given (without --user it runs as root).
 */
static int child_args(const struct ioreqd_opts *o, const char **argv, char *buf,
                      size_t len)
{
	unsigned n = 0;
	size_t used = 0;
	bool lost = false;

#define ADD(...)                                                                         \
	do {                                                                             \
		int k = snprintf(buf + used, len - used, __VA_ARGS__);                   \
		if (k < 0 || (size_t)k >= len - used || n >= CHILD_ARGS_MAX - 1) {       \
			lost = true;                                                     \
			break;                                                           \
		}                                                                        \
		argv[n++] = buf + used;                                                  \
		used += (size_t)k + 1;                                                   \
	} while (0)
	ADD("--log=%s", o->use_syslog ? "syslog" : "stderr");
	/* Past -vv (function names in errors) a -v changes nothing: at most two. */
	for (int v = o->verbosity < LOG_LEVEL_DEBUG + 1 ? o->verbosity
	                                                : LOG_LEVEL_DEBUG + 1;
	     v > LOG_LEVEL_INFO; v--)
		ADD("-v");
	if (o->seccomp == IOREQD_SECCOMP_ERRNO)
		ADD("--seccomp=errno");
	else if (o->seccomp == IOREQD_SECCOMP_KILL)
		ADD("--seccomp=kill");
	if (o->restrict_domain)
		ADD("--restrict");
	if (o->hook_dir)
		ADD("--hook-dir=%s", o->hook_dir);
	if (o->chroot_dir)
		ADD("--chroot=%s", o->chroot_dir);
	if (o->user)
		ADD("--user=%s", o->user);
	if (o->group)
		ADD("--group=%s", o->group);
	if (o->have_poll_us)
		ADD("--poll-us=%u", o->poll_us);
#undef ADD
	argv[n] = NULL;
	return lost ? -E2BIG : (int)n;
}

static int write_pidfile(struct ioreqd_daemon *d)
{
	FILE *fp = fopen(d->opts.pidfile, "w");

	if (!fp) {
		log_err("cannot write the pidfile %s", d->opts.pidfile);
		return -errno;
	}
	fprintf(fp, "%ld\n", (long)getpid());
	if (fclose(fp) != 0) {
		log_err("cannot write the pidfile %s", d->opts.pidfile);
		unlink(d->opts.pidfile);
		return -EIO;
	}
	return ioreqd_runfiles_add(&d->runfiles, d->opts.pidfile);
}

int ioreqd_watch_main(struct ioreqd_daemon *d)
{
	struct watchd wd = {.d = d};
	const char *argv[CHILD_ARGS_MAX];
	char args[2048], exe[4096];
	struct ioreqd_watch_params p = {
	    .ops = &ioreqd_watch_xen_ops,
	    .exe = exe,
	    .child_args = argv,
	    .rundir = IOREQD_CONTROL_RUNDIR,
	    .confdir = OVERRIDE_DIR,
	    .incomplete_ms = 2000,
	    .stop_ms = 10000,
	};
	ssize_t n;
	int ex = IOREQD_EX_FAIL;

	/* The same binary, even if the path that started us changes meanwhile. */
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0) {
		log_err("--watch: cannot find this ioreqd's own path in /proc/self/exe");
		return IOREQD_EX_FAIL;
	}
	exe[n] = '\0';
	if (child_args(&d->opts, argv, args, sizeof(args)) < 0) {
		log_errx("the options --watch passes on to each domain's ioreqd are too "
		         "long (more than %zu bytes): shorten the --hook-dir, --chroot, "
		         "--user or --group given",
		         sizeof(args) - 1);
		return IOREQD_EX_USAGE;
	}
	if (mkdir(IOREQD_CONTROL_RUNDIR, 0755) < 0 && errno != EEXIST) {
		log_err("--watch: cannot create %s", IOREQD_CONTROL_RUNDIR);
		return IOREQD_EX_FAIL;
	}
	d->base = event_base_new();
	if (!d->base) {
		log_errx("out of memory for the event base");
		return IOREQD_EX_FAIL;
	}
	/* Before xenstore is opened: its reader thread does not survive fork. */
	if (ioreqd_detach(d) < 0)
		goto out;
	if (d->opts.pidfile && write_pidfile(d) < 0)
		goto out;
	wd.sig_term = evsignal_new(d->base, SIGTERM, watchd_signal_cb, &wd);
	wd.sig_int = evsignal_new(d->base, SIGINT, watchd_signal_cb, &wd);
	if (!wd.sig_term || !wd.sig_int || event_add(wd.sig_term, NULL) < 0 ||
	    event_add(wd.sig_int, NULL) < 0) {
		log_errx("cannot set up the signal events");
		goto out;
	}
	wd.w = ioreqd_watch_new(d->base, &p);
	if (!wd.w)
		goto out;
	log_info("watching /local/domain/0/backend/virtio_disk and .../virtio; "
	         "per-domain overrides in %s",
	         OVERRIDE_DIR);
	ioreqd_detach_done(d);
	if (event_base_dispatch(d->base) < 0)
		log_errx("the event loop failed");
	else
		ex = IOREQD_EX_OK;
	if (!wd.stopping) {
		/* The loop ended by itself: still stop the children. */
		ioreqd_watch_stop(wd.w, watchd_done_cb, &wd);
		event_base_dispatch(d->base);
	}
out:
	ioreqd_watch_free(wd.w);
	if (wd.sig_int)
		event_free(wd.sig_int);
	if (wd.sig_term)
		event_free(wd.sig_term);
	event_base_free(d->base);
	d->base = NULL;
	ioreqd_runfiles_remove(&d->runfiles);
	if (!d->opts.foreground)
		log_info("exiting with status %d", ex);
	return ex;
}
