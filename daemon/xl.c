/* SPDX-License-Identifier: MIT */
/*
 * When xl starts ioreqd as a device model (device_model_override), libxl
 * passes QEMU's argv, waits for xenstore's device-model/<domid>/state to say
 * "running" (or, with -S, drives start-up over QMP) and later talks QMP on
 * the socket it named.  This file turns that argv into ioreqd's options and
 * runs the QMP server and the xenstore handshake around the daemon's own
 * life cycle.  Pausing (QMP "stop", traditional "save") stops serving the
 * guest by taking the notification events out of the loop; "cont" puts them
 * back and sweeps for anything that arrived meanwhile.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "qmp-server.h"
#include "xlargs.h"
#include "xsstate.h"

static const char *pick(const char *a, const char *b)
{
	return a ? a : b;
}

int ioreqd_xl_opts(struct ioreqd_opts *o, int argc, char *argv[])
{
	struct ioreqd_xlargs *xa = calloc(1, sizeof(*xa));
	char err[256];
	int rc;

	if (!xa)
		return -ENOMEM;
	memset(o, 0, sizeof(*o));
	rc = ioreqd_xlargs_parse(argc, argv, xa, err, sizeof(err));
	if (rc < 0) {
		fprintf(
		    stderr,
		    "ioreqd: error: cannot understand the device-model arguments: %s\n",
		    err);
		ioreqd_xlargs_dispose(xa);
		free(xa);
		return -EINVAL;
	}
	o->xl = xa;
	o->domid = xa->domid;
	o->have_domid = true;
	o->config = xa->config;
	o->hook_dir = xa->hook_dir;
	o->pidfile = xa->pidfile;
	o->backend = pick(xa->backend, "xen");
	o->sim_socket = xa->sim_socket;
	o->sim_wait_s = 10;
	o->use_syslog = xa->log && !strcmp(xa->log, "syslog");
	/* libxl watches our pid and stops us with SIGHUP: never daemonize. */
	o->foreground = true;
	o->verbosity = LOG_LEVEL_INFO + (int)xa->verbose;
	o->user = pick(xa->user, xa->runas_user);
	o->group = pick(xa->group, xa->runas_group);
	o->chroot_dir = pick(xa->own_chroot, xa->chroot_dir);
	o->restrict_domain = xa->own_restrict || xa->restrict_domid;
	if (xa->seccomp && strcmp(xa->seccomp, "errno") && strcmp(xa->seccomp, "kill")) {
		fprintf(stderr, "ioreqd: --seccomp takes errno or kill, not '%s'\n",
		        xa->seccomp);
		return -EINVAL;
	}
	o->seccomp = !xa->seccomp                   ? IOREQD_SECCOMP_OFF
	             : !strcmp(xa->seccomp, "kill") ? IOREQD_SECCOMP_KILL
	                                            : IOREQD_SECCOMP_ERRNO;
	if (!o->config) {
		fprintf(stderr,
		        "ioreqd: error: started by xl without a configuration file: add "
		        "device_model_args = [\"-c\", \"/etc/ioreqd/GUEST.conf\"] to the "
		        "guest's xl config\n");
		return -EINVAL;
	}
	return 0;
}

void ioreqd_xl_opts_dispose(struct ioreqd_opts *o)
{
	if (!o->xl)
		return;
	ioreqd_xlargs_dispose(o->xl);
	free(o->xl);
	o->xl = NULL;
}

static int xl_pause(void *arg)
{
	struct ioreqd_daemon *d = arg;

	for (unsigned i = 0; i < d->nr_fds; i++)
		if (d->fds[i].ev)
			event_del(d->fds[i].ev);
	log_info("%s: d%u: paused: guest accesses wait until continued", __func__,
	         d->opts.domid);
	return 0;
}

static int xl_resume(void *arg)
{
	struct ioreqd_daemon *d = arg;

	for (unsigned i = 0; i < d->nr_fds; i++)
		if (d->fds[i].ev)
			event_add(d->fds[i].ev, NULL);
	/* Requests that arrived while paused left no pending wake-up for us. */
	ioreqd_loop_drain_buffered(d);
	for (unsigned v = 0; v < d->nr_vcpus; v++)
		ioreqd_engine_poll(d->engine, v);
	log_info("%s: d%u: running", __func__, d->opts.domid);
	return 0;
}

static int qmp_cont(void *arg)
{
	struct ioreqd_daemon *d = arg;
	int rc = xl_resume(d);

	/* With -S libxl waits for "running" only after its QMP "cont". */
	if (rc == 0 && d->xss)
		ioreqd_xsstate_set(d->xss, "running");
	return rc;
}

static void qmp_quit(void *arg)
{
	ioreqd_loop_stop(arg, IOREQD_EX_OK);
}

static const struct ioreqd_qmp_callbacks qmp_cb = {
    .stop = xl_pause,
    .cont = qmp_cont,
    .quit = qmp_quit,
};

static const struct ioreqd_xsstate_callbacks xss_cb = {
    .pause = xl_pause,
    .resume = xl_resume,
};

int ioreqd_xl_start(struct ioreqd_daemon *d)
{
	const struct ioreqd_xlargs *xa = d->opts.xl;
	struct ioreqd_qmp_vm_args args = {
	    .name = xa->name,
	    .nr_cpus = d->nr_vcpus,
	    .initial = IOREQD_QMP_RUNNING,
	    .cb = &qmp_cb,
	    .arg = d,
	};
	int rc;

	if (xa->start_paused)
		args.initial = (xa->incoming || xa->loadvm) ? IOREQD_QMP_PAUSED
		                                            : IOREQD_QMP_PRELAUNCH;
	d->qmp = ioreqd_qmp_server_new(d->base, &args);
	if (!d->qmp)
		return -ENOMEM;
	rc = ioreqd_qmp_server_listen_xlargs(d->qmp, xa);
	if (rc < 0)
		return rc;
	if (xa->start_paused)
		xl_pause(d);
	/*
	 * The xenstore handshake dies with --restrict (xentoolcore_restrict_all
	 * closes xenstore), and under dm_restrict libxl uses QMP instead.
	 */
	if (d->opts.restrict_domain)
		return 0;
	d->xss = ioreqd_xsstate_new(d->base, &ioreqd_xsstate_xen_ops, d->opts.domid,
	                            xa->mode == IOREQD_XL_MODE_TRADITIONAL
	                                ? IOREQD_XSSTATE_TRADITIONAL
	                                : IOREQD_XSSTATE_QEMU_XEN,
	                            &xss_cb, d);
	if (!d->xss)
		return -EIO;
	if (!xa->start_paused)
		return ioreqd_xsstate_set(d->xss, "running");
	return 0;
}

void ioreqd_xl_stop(struct ioreqd_daemon *d)
{
	ioreqd_xsstate_free(d->xss);
	d->xss = NULL;
	ioreqd_qmp_server_free(d->qmp);
	d->qmp = NULL;
}
