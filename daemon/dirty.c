/* SPDX-License-Identifier: MIT */
/*
 * The daemon's dirty log, for live migration: while libxl has the global
 * dirty log on (QMP xen-set-global-dirty-log), every guest page ioreqd
 * writes is reported to the hypervisor, because Xen's own log-dirty
 * tracking sees only the guest's writes, not those a device model makes
 * through foreign mappings.  The writes come from three places: string I/O
 * reads stored into guest memory (the engine's guest_written), hooks'
 * guest_write (host.c), and the virtio core's used rings and DMA into guest
 * buffers (host->gmem's dirty op, at each request's completion).  They are
 * batched (lib/engine/dirty.c) and reported by the backend's
 * modified_memory at the end of the event-loop pass that made them - a
 * zero-delay event made active by the first write of a batch runs after
 * the callbacks already due - and before a device-state save is answered
 * and before the log is turned off, so libxl's last pass over the log sees
 * every page.
 */
#include "build-config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "daemon.h"

static int dirty_report(void *arg, const struct ioreqd_dirty_run *runs, unsigned n)
{
	struct ioreqd_daemon *d = arg;
	int rc;

	if (!d->be_open || !d->be->modified_memory)
		return -EAGAIN;
	rc = d->be->modified_memory(d->be_priv, runs, n);
	if (rc < 0)
		ioreqd_log_rl(&d->rl_guest, LOG_LEVEL_WARN,
		              "d%u: the hypervisor refused dirty pages (%s): a live "
		              "migration may not copy them again",
		              d->opts.domid, strerror(-rc));
	return rc;
}

static void dirty_flush_cb(evutil_socket_t fd, short what, void *arg)
{
	ioreqd_daemon_dirty_flush(arg);
}

void ioreqd_daemon_dirty_mark(struct ioreqd_daemon *d, uint64_t gpa, uint64_t len)
{
	if (ioreqd_dirty_mark(&d->dirty, gpa, len) && d->dirty_ev)
		event_active(d->dirty_ev, EV_TIMEOUT, 1);
}

void ioreqd_daemon_guest_written(void *opaque, uint64_t gpa, size_t len)
{
	ioreqd_daemon_dirty_mark(opaque, gpa, len);
}

int ioreqd_daemon_dirty_flush(struct ioreqd_daemon *d)
{
	return ioreqd_dirty_flush(&d->dirty);
}

int ioreqd_daemon_dirty_log(struct ioreqd_daemon *d, bool on, char *msg, size_t len)
{
	const struct ioreqd_dirty_stats *st = &d->dirty.st;
	int rc;

	if (on && !d->be->modified_memory) {
		snprintf(msg, len, "the %s backend cannot report dirty pages",
		         d->be->name);
		return -ENOTSUP;
	}
	if (!d->dirty.report)
		ioreqd_dirty_init(&d->dirty, dirty_report, d);
	if (on && !d->dirty_ev) {
		d->dirty_ev = event_new(d->base, -1, 0, dirty_flush_cb, d);
		if (!d->dirty_ev) {
			snprintf(msg, len, "out of memory");
			return -ENOMEM;
		}
	}
	if (on == d->dirty.on)
		return 0;
	rc = ioreqd_dirty_set(&d->dirty, on);
	if (on)
		log_info("d%u: dirty log on: guest pages ioreqd writes are reported",
		         d->opts.domid);
	else
		log_info("d%u: dirty log off: %" PRIu64 " page(s) reported in %" PRIu64
		         " call(s), %" PRIu64 " lost",
		         d->opts.domid, st->pages, st->calls, st->lost);
	if (rc < 0) {
		snprintf(msg, len, "the last dirty pages could not be reported: %s",
		         strerror(-rc));
		return rc;
	}
	return 0;
}

void ioreqd_daemon_dirty_teardown(struct ioreqd_daemon *d)
{
	if (d->dirty.on)
		ioreqd_dirty_set(&d->dirty, false);
	if (d->dirty_ev)
		event_free(d->dirty_ev);
	d->dirty_ev = NULL;
}
