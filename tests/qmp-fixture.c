/* SPDX-License-Identifier: MIT */
/*
 * The QMP suites' daemon callbacks (see qmp-fixture.h): each counts its call
 * in `calls`; save writes a short stream into the passed descriptor, load
 * knows one file, and each fails as `calls` says.
 */
#include "qmp-fixture.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct calls calls;

static int cb_stop(void *arg)
{
	struct calls *c = arg;

	c->stop++;
	return c->stop_rc;
}

static int cb_cont(void *arg)
{
	((struct calls *)arg)->cont++;
	return 0;
}

static void cb_quit(void *arg)
{
	((struct calls *)arg)->quit++;
}

static int cb_save(void *arg, int fd, bool live, char *msg, size_t msglen)
{
	struct calls *c = arg;

	c->save++;
	c->live = live;
	if (c->save_rc) {
		snprintf(msg, msglen, "device com1 refused: FIFO \"full\"");
		return c->save_rc;
	}
	return write(fd, "IOREQD", 6) == 6 ? 0 : -EIO;
}

static int cb_load(void *arg, const char *filename, char *msg, size_t msglen)
{
	((struct calls *)arg)->load++;
	if (strcmp(filename, "/var/lib/xen/qemu-resume.4")) {
		snprintf(msg, msglen, "%s: no such file", filename);
		return -ENOENT;
	}
	return 0;
}

static int cb_dirty(void *arg, bool enable, char *msg, size_t msglen)
{
	struct calls *c = arg;

	if (c->dirty_rc)
		return c->dirty_rc; /* no message: the errno's text is used */
	if (enable)
		c->dirty_on++;
	else
		c->dirty_off++;
	return 0;
}

const struct ioreqd_qmp_callbacks callbacks = {
    .stop = cb_stop,
    .cont = cb_cont,
    .quit = cb_quit,
    .save_state = cb_save,
    .load_state = cb_load,
    .dirty_log = cb_dirty,
};
