/* SPDX-License-Identifier: MIT */
/*
 * Saving and loading the guest's device state to and from a file, for the
 * control socket's "save FILE" and "load FILE" (ioreqd --save/--load) and
 * for --resume.  The stream itself is lib/engine/devstate.c; what this adds
 * is the daemon's part: completing every access in flight first, so that no
 * request is half-done in the saved state or resumed into the loaded one,
 * and the file, written atomically so a crash mid-save leaves the previous
 * file whole.
 */
#include "build-config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "devstate.h"

unsigned ioreqd_daemon_drain(struct ioreqd_daemon *d, const char *when)
{
	unsigned aborted;

	if (!d->engine || !d->sync_page)
		return 0;
	/*
	 * Everything published so far; bounded, in case a producer keeps
	 * filling the ring (a ring holds 511 slots, so 64 rounds is far more
	 * than an honest guest can have queued).
	 */
	for (unsigned i = 0; d->buf_page && i < 64; i++)
		if (ioreqd_engine_drain_buffered(d->engine, d->buf_page) == 0 ||
		    !ioreqd_engine_buffered_pending(d->engine))
			break;
	for (unsigned v = 0; v < d->nr_vcpus; v++)
		ioreqd_engine_poll(d->engine, v);
	aborted = ioreqd_engine_abort_all(d->engine);
	if (aborted)
		log_info("domain %u: completed %u deferred access(es) %s", d->opts.domid,
		         aborted, when);
	return aborted;
}

int ioreqd_daemon_save(struct ioreqd_daemon *d, const char *path, char *msg, size_t len)
{
	uint8_t *buf = NULL;
	size_t blen = 0;
	unsigned drained;
	int rc;

	drained = ioreqd_daemon_drain(d, "before saving the device state");
	rc = ioreqd_devstate_save(d->dm, &buf, &blen, msg, len);
	if (rc == 0)
		rc = ioreqd_devstate_write_file(path, buf, blen, msg, len);
	if (rc == 0) {
		snprintf(msg, len, "saved %u device(s) of domain %u to %s (%zu bytes%s)",
		         ioreqd_dm_nr_devs(d->dm), d->opts.domid, path, blen,
		         drained ? "; deferred accesses completed first" : "");
		log_info("%s", msg);
	} else {
		log_warnx("d%u: cannot save the device state: %s", d->opts.domid, msg);
	}
	free(buf);
	return rc;
}

/* Write @p len bytes to @p fd and fsync.  @return 0 or a negative errno. */
static int write_fd(int fd, const uint8_t *buf, size_t len)
{
	int rc = ioreqd_devstate_write_fd(fd, buf, len);

	if (rc < 0)
		return rc;
	return fsync(fd) < 0 ? -errno : 0;
}

int ioreqd_daemon_save_fd(struct ioreqd_daemon *d, int fd, const char *path, char *msg,
                          size_t len)
{
	uint8_t *buf = NULL;
	size_t blen = 0;
	unsigned drained;
	int rc;

	drained = ioreqd_daemon_drain(d, "before saving the device state");
	rc = ioreqd_devstate_save(d->dm, &buf, &blen, msg, len);
	if (rc == 0 && (rc = write_fd(fd, buf, blen)) < 0)
		snprintf(msg, len, "%s: %s", path, strerror(-rc));
	if (rc == 0) {
		snprintf(msg, len, "saved %u device(s) of domain %u to %s (%zu bytes%s)",
		         ioreqd_dm_nr_devs(d->dm), d->opts.domid, path, blen,
		         drained ? "; deferred accesses completed first" : "");
		log_info("%s", msg);
	} else {
		log_warnx("d%u: cannot save the device state: %s", d->opts.domid, msg);
	}
	free(buf);
	return rc;
}

int ioreqd_daemon_load_fd(struct ioreqd_daemon *d, int fd, const char *path, char *msg,
                          size_t len)
{
	uint8_t *buf = NULL, *nb;
	size_t blen = 0, cap = 0;
	ssize_t n;
	int rc = 0;

	for (;;) {
		if (blen == cap) {
			cap = cap ? 2 * cap : 65536;
			if (cap > IOREQD_XL_MAX_STATE || !(nb = realloc(buf, cap))) {
				rc = cap > IOREQD_XL_MAX_STATE ? -EFBIG : -ENOMEM;
				break;
			}
			buf = nb;
		}
		n = read(fd, buf + blen, cap - blen);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n < 0 ? -errno : 0;
			break;
		}
		blen += (size_t)n;
	}
	if (rc < 0) {
		snprintf(msg, len, "%s: %s", path, strerror(-rc));
		log_warnx("d%u: cannot load the device state: %s", d->opts.domid, msg);
	} else {
		rc = ioreqd_daemon_load_buf(d, path, buf, blen, msg, len);
	}
	free(buf);
	return rc;
}

int ioreqd_daemon_load_buf(struct ioreqd_daemon *d, const char *path, const uint8_t *buf,
                           size_t blen, char *msg, size_t len)
{
	int rc;

	ioreqd_daemon_drain(d, "before loading the device state");
	rc = ioreqd_devstate_load(d->dm, buf, blen, msg, len);
	if (rc == 0) {
		snprintf(msg, len,
		         "loaded the state of %u device(s) of domain %u from %s",
		         ioreqd_dm_nr_devs(d->dm), d->opts.domid, path);
		log_info("%s", msg);
	} else {
		char tmp[IOREQD_DEVSTATE_MSGLEN];

		snprintf(tmp, sizeof(tmp), "%s: %s", path, msg);
		snprintf(msg, len, "%s", tmp);
		log_warnx("d%u: cannot load the device state: %s", d->opts.domid, msg);
	}
	return rc;
}

int ioreqd_daemon_load(struct ioreqd_daemon *d, const char *path, char *msg, size_t len)
{
	uint8_t *buf = NULL;
	size_t blen = 0;
	int rc;

	rc = ioreqd_devstate_read_file(path, &buf, &blen, msg, len);
	if (rc < 0)
		log_warnx("d%u: cannot load the device state: %s", d->opts.domid, msg);
	else
		rc = ioreqd_daemon_load_buf(d, path, buf, blen, msg, len);
	free(buf);
	return rc;
}
