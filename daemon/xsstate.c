/* SPDX-License-Identifier: MIT */
/*
 * The device-model xenstore handshake (see xsstate.h): write the state node,
 * and in traditional mode answer libxl's "save" and "continue" commands the
 * way qemu-xen-traditional does, by pausing/saving/resuming and then writing
 * "paused" or "running".  The handshake logic only sees the ops table; the
 * libxenstore implementation of that table is at the end of this file, and
 * with backend-xen.c it is the only Xen-library code in the daemon.
 */
#include "build-config.h"

#include "xsstate.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xenstore.h>

#include "log.h"

#define DM_DOMID 0u /* the device model runs in dom0 */
#define WATCH_TOKEN "ioreqd-dm-command"
#define MAX_EVENTS_PER_CB 64u /* then let the loop breathe */

struct ioreqd_xsstate {
	const struct ioreqd_xsstate_ops *ops;
	void *h;
	unsigned domid;
	enum ioreqd_xsstate_mode mode;
	const struct ioreqd_xsstate_callbacks *cb;
	void *arg;
	struct event *ev;
	char state_path[64];
	char command_path[64];
	char state[16]; /* last written, "" before the first write */
};

int ioreqd_xsstate_set(struct ioreqd_xsstate *xs, const char *state)
{
	int rc = xs->ops->write(xs->h, xs->state_path, state);

	if (rc < 0) {
		log_warnx("domain %u: cannot tell libxl the device model is %s (writing "
		          "xenstore %s: %s)",
		          xs->domid, state, xs->state_path, strerror(-rc));
		return rc;
	}
	snprintf(xs->state, sizeof(xs->state), "%s", state);
	log_debug("%s: domain %u: device-model state %s", __func__, xs->domid, state);
	return 0;
}

const char *ioreqd_xsstate_get(const struct ioreqd_xsstate *xs)
{
	return xs->state[0] ? xs->state : NULL;
}

static void do_save(struct ioreqd_xsstate *xs)
{
	char path[64];
	int rc;

	if (!strcmp(xs->state, "paused"))
		return; /* the watch fired again for a command already done */
	if (xs->cb && xs->cb->pause && (rc = xs->cb->pause(xs->arg)) < 0)
		log_warnx("domain %u: cannot pause the devices for libxl's save: %s",
		          xs->domid, strerror(-rc));
	snprintf(path, sizeof(path), "/var/lib/xen/qemu-save.%u", xs->domid);
	if (!xs->cb || !xs->cb->save)
		log_warnx("domain %u: this ioreqd cannot save device state; libxl will "
		          "find no %s",
		          xs->domid, path);
	else if ((rc = xs->cb->save(xs->arg, path)) < 0)
		log_warnx("domain %u: cannot save the device state to %s for libxl: %s",
		          xs->domid, path, strerror(-rc));
	/* Answer in any case: libxl would otherwise wait 60 s for nothing. */
	ioreqd_xsstate_set(xs, "paused");
}

static void do_continue(struct ioreqd_xsstate *xs)
{
	int rc;

	if (!strcmp(xs->state, "running"))
		return;
	if (xs->cb && xs->cb->resume && (rc = xs->cb->resume(xs->arg)) < 0) {
		log_warnx("domain %u: cannot resume the devices after libxl's save: %s; "
		          "libxl will report a timeout",
		          xs->domid, strerror(-rc));
		return; /* not "running": libxl reports the failure after its timeout */
	}
	ioreqd_xsstate_set(xs, "running");
}

static void handle_command(struct ioreqd_xsstate *xs)
{
	char *cmd = xs->ops->read(xs->h, xs->command_path);

	if (!cmd) {
		if (errno != ENOENT)
			log_debug("%s: domain %u: reading %s: %s", __func__, xs->domid,
			          xs->command_path, strerror(errno));
		return;
	}
	if (!strcmp(cmd, "save"))
		do_save(xs);
	else if (!strcmp(cmd, "continue"))
		do_continue(xs);
	else
		log_debug("%s: domain %u: ignoring device-model command '%.32s'",
		          __func__, xs->domid, cmd);
	free(cmd);
}

static void xsstate_watch_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ioreqd_xsstate *xs = arg;
	char path[128];

	for (unsigned i = 0; i < MAX_EVENTS_PER_CB; i++) {
		int rc = xs->ops->check_watch(xs->h, path, sizeof(path));

		if (rc == 0)
			return;
		if (rc < 0) {
			/* Restricted or xenstored gone: the fd would stay readable. */
			log_warnx("domain %u: lost the xenstore connection (%s); libxl's "
			          "save and continue commands are no longer answered",
			          xs->domid, strerror(-rc));
			event_del(xs->ev);
			return;
		}
		if (!strcmp(path, xs->command_path))
			handle_command(xs);
	}
}

struct ioreqd_xsstate *ioreqd_xsstate_new(struct event_base *base,
                                          const struct ioreqd_xsstate_ops *ops,
                                          unsigned domid, enum ioreqd_xsstate_mode mode,
                                          const struct ioreqd_xsstate_callbacks *cb,
                                          void *arg)
{
	struct ioreqd_xsstate *xs = calloc(1, sizeof(*xs));
	int fd, rc;

	if (!xs) {
		log_errx("out of memory");
		return NULL;
	}
	xs->ops = ops;
	xs->domid = domid;
	xs->mode = mode;
	xs->cb = cb;
	xs->arg = arg;
	snprintf(xs->state_path, sizeof(xs->state_path),
	         "/local/domain/%u/device-model/%u/state", DM_DOMID, domid);
	snprintf(xs->command_path, sizeof(xs->command_path),
	         "/local/domain/%u/device-model/%u/command", DM_DOMID, domid);
	xs->h = ops->open();
	if (!xs->h) {
		log_err("domain %u: cannot open xenstore", domid);
		goto fail;
	}
	if (mode != IOREQD_XSSTATE_TRADITIONAL)
		return xs;
	rc = ops->watch(xs->h, xs->command_path, WATCH_TOKEN);
	fd = rc < 0 ? rc : ops->fileno(xs->h);
	if (fd < 0) {
		log_errx("domain %u: cannot watch %s: %s", domid, xs->command_path,
		         strerror(-fd));
		goto fail;
	}
	xs->ev = event_new(base, fd, EV_READ | EV_PERSIST, xsstate_watch_cb, xs);
	if (!xs->ev || event_add(xs->ev, NULL) < 0) {
		log_errx("domain %u: cannot add the xenstore watch event", domid);
		goto fail;
	}
	return xs;
fail:
	ioreqd_xsstate_free(xs);
	return NULL;
}

void ioreqd_xsstate_free(struct ioreqd_xsstate *xs)
{
	if (!xs)
		return;
	if (xs->ev)
		event_free(xs->ev);
	/*
	 * No unwatch: xenstored drops a closed connection's watches, and after
	 * a restrict an unwatch would wait for an answer that never comes.
	 */
	if (xs->h)
		xs->ops->close(xs->h);
	free(xs);
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

static int xen_write(void *h, const char *path, const char *value)
{
	return xs_write(h, XBT_NULL, path, value, (unsigned)strlen(value)) ? 0 : -errno;
}

static char *xen_read(void *h, const char *path)
{
	unsigned len;

	return xs_read(h, XBT_NULL, path, &len);
}

static int xen_watch(void *h, const char *path, const char *token)
{
	return xs_watch(h, path, token) ? 0 : -errno;
}

static int xen_unwatch(void *h, const char *path, const char *token)
{
	return xs_unwatch(h, path, token) ? 0 : -errno;
}

static int xen_fileno(void *h)
{
	int fd = xs_fileno(h);

	return fd < 0 ? -errno : fd;
}

static int xen_check_watch(void *h, char *path, size_t len)
{
	char **w = xs_check_watch(h);

	if (!w)
		return errno == EAGAIN ? 0 : -(errno ? errno : EIO);
	snprintf(path, len, "%s", w[XS_WATCH_PATH]);
	free(w);
	return 1;
}

const struct ioreqd_xsstate_ops ioreqd_xsstate_xen_ops = {
    .open = xen_open,
    .close = xen_close,
    .write = xen_write,
    .read = xen_read,
    .watch = xen_watch,
    .unwatch = xen_unwatch,
    .fileno = xen_fileno,
    .check_watch = xen_check_watch,
};
