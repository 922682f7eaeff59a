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
 *
 * Save and restore (libxl 4.17, libxl_qmp.c and libxl_dm.c): libxl saves
 * with "stop", "add-fd" (its /var/lib/xen/qemu-save.DOMID) and
 * "xen-save-devices-state" into /dev/fdset/N, and carries what we wrote
 * opaquely as the EMULATOR_CONTEXT record of its image.  On restore it
 * writes that record to /var/lib/xen/qemu-resume.DOMID and starts the new
 * device model with "-incoming fd:N", N an open descriptor of that file.
 * What we write there is ioreqd's own device-state stream (devstate.h).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon.h"
#include "devstate.h"
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
	/* A restore: libxl's saved state is loaded as --resume loads a file. */
	if (xa->incoming)
		o->resume_file = "-incoming";
	else if (xa->loadvm)
		o->resume_file = "-loadvm";
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
	/* An adaptive poll that handed back to the loop must not spin on. */
	if (d->spin_resume)
		event_del(d->spin_resume);
	log_info("domain %u: paused for libxl: guest accesses wait until it "
	         "continues the domain",
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
	log_info("domain %u: running again", d->opts.domid);
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

/* Write all of @p buf at @p fd's offset; a regular file is cut to its end. */
static int write_all(int fd, const uint8_t *buf, size_t len)
{
	struct stat sb;
	int rc = ioreqd_devstate_write_fd(fd, buf, len);

	if (rc < 0)
		return rc;
	/* libxl opens the file without O_TRUNC: a longer old one keeps no tail. */
	if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode)) {
		off_t end = lseek(fd, 0, SEEK_CUR);

		if (end >= 0 && ftruncate(fd, end) < 0)
			return -errno;
	}
	return 0;
}

static int qmp_save_state(void *arg, int fd, bool live, char *msg, size_t msglen)
{
	struct ioreqd_daemon *d = arg;
	char err[IOREQD_DEVSTATE_MSGLEN];
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc;

	ioreqd_daemon_drain(d, "before saving the device state");
	/* Pages written so far go to Xen before libxl's last pass over the log. */
	ioreqd_daemon_dirty_flush(d);
	rc = ioreqd_devstate_save(d->dm, &buf, &len, err, sizeof(err));
	if (rc == 0) {
		rc = write_all(fd, buf, len);
		if (rc < 0)
			snprintf(err, sizeof(err), "writing to libxl's file: %s",
			         strerror(-rc));
	}
	if (rc < 0) {
		snprintf(msg, msglen, "%s", err);
		log_warnx("d%u: cannot save the device state for libxl: %s",
		          d->opts.domid, err);
	} else {
		log_info("d%u: saved %u device(s) for libxl's %s (%zu bytes)",
		         d->opts.domid, ioreqd_dm_nr_devs(d->dm),
		         live ? "live migration" : "save", len);
	}
	free(buf);
	return rc;
}

static int qmp_load_state(void *arg, const char *filename, char *msg, size_t msglen)
{
	struct ioreqd_daemon *d = arg;
	char err[IOREQD_DEVSTATE_MSGLEN];
	int rc = ioreqd_daemon_load(d, filename, err, sizeof(err));

	if (rc < 0)
		snprintf(msg, msglen, "%s", err);
	return rc;
}

static int qmp_dirty_log(void *arg, bool on, char *msg, size_t msglen)
{
	return ioreqd_daemon_dirty_log(arg, on, msg, msglen);
}

static const struct ioreqd_qmp_callbacks qmp_cb = {
    .stop = xl_pause,
    .cont = qmp_cont,
    .quit = qmp_quit,
    .save_state = qmp_save_state,
    .load_state = qmp_load_state,
    .dirty_log = qmp_dirty_log,
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
	 * closes xenstore), and under dm_restrict libxl uses QMP instead.  A
	 * simulated guest (the tests) has only the backend's own state key.
	 */
	if (d->opts.restrict_domain || !(d->be->caps & IOREQD_BE_CAP_XENSTORE))
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

int ioreqd_xl_read_incoming(const struct ioreqd_xlargs *xa, uint8_t **out, size_t *len,
                            char *msg, size_t msglen)
{
	const char *arg = xa->incoming;
	uint8_t *buf = NULL;
	size_t cap = 0, off = 0;
	char *end;
	long fd;
	int rc = 0;

	*out = NULL;
	*len = 0;
	if (!arg) {
		snprintf(msg, msglen,
		         "-loadvm %s: ioreqd does not load qemu-xen-traditional "
		         "state; use device_model_version=\"qemu-xen\"",
		         xa->loadvm);
		return -ENOTSUP;
	}
	/* libxl_dm.c passes "fd:N", N an open descriptor of qemu-resume.DOMID. */
	errno = 0;
	fd = strncmp(arg, "fd:", 3) ? -1 : strtol(arg + 3, &end, 10);
	if (fd < 0 || errno || *end || fd > INT_MAX) {
		snprintf(msg, msglen,
		         "-incoming %s: ioreqd restores only from libxl's "
		         "\"fd:N\"",
		         arg);
		return -EINVAL;
	}
	for (;;) {
		ssize_t n;

		if (off == cap) {
			uint8_t *nb;

			if (cap >= IOREQD_XL_MAX_STATE) {
				rc = -EFBIG;
				snprintf(msg, msglen, "-incoming %s: over %u bytes", arg,
				         IOREQD_XL_MAX_STATE);
				goto out;
			}
			cap = cap ? cap * 2 : 65536;
			nb = realloc(buf, cap);
			if (!nb) {
				rc = -ENOMEM;
				snprintf(msg, msglen, "-incoming %s: out of memory", arg);
				goto out;
			}
			buf = nb;
		}
		n = read((int)fd, buf + off, cap - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			snprintf(msg, msglen, "-incoming %s: %s", arg, strerror(-rc));
			goto out;
		}
		if (n == 0)
			break;
		off += (size_t)n;
	}
	*out = buf;
	*len = off;
	buf = NULL;
out:
	free(buf);
	close((int)fd);
	return rc;
}

void ioreqd_xl_stop(struct ioreqd_daemon *d)
{
	ioreqd_daemon_dirty_teardown(d);
	ioreqd_xsstate_free(d->xss);
	d->xss = NULL;
	ioreqd_qmp_server_free(d->qmp);
	d->qmp = NULL;
}
