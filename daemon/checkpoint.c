/* SPDX-License-Identifier: MIT */
/*
 * --checkpoint FILE: the device-state stream kept current on disk, so that a
 * daemon restarted after a crash (`--resume FILE`) picks up where the old one
 * stopped: a BAR the guest placed, a virtio device the driver set up.  Hooks
 * say when their state changed in a way that matters (host->state_changed);
 * the daemon writes the whole stream atomically (devstate.c: a temporary file
 * in the same directory, fsync, rename, fsync of the directory) once the
 * changes settle: CHECKPOINT_SETTLE_MS after the first, and never more often
 * than every CHECKPOINT_MIN_GAP_MS, so a guest that moves a BAR in a loop
 * costs one write a second at most.  The first checkpoint is written when the
 * daemon starts serving, so the file always describes this daemon's devices.
 *
 * What a checkpoint cannot hold: a virtio queue's position changes with every
 * request, and is not a reason to write.  A restarted daemon finds the
 * position in the guest's used ring instead (lib/virtio/vstate.c), so the
 * queue carries on; requests in flight at the crash are served again, or, if
 * the device had completed others after them, may be lost.
 */
#include "build-config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "daemon.h"
#include "devstate.h"

#define CHECKPOINT_SETTLE_MS 100u
#define CHECKPOINT_MIN_GAP_MS 1000u

struct ioreqd_checkpoint {
	struct ioreqd_daemon *d;
	const char *path;
	struct event *timer;
	bool armed;
	struct timeval last; /* the last write (0: none yet) */
	uint64_t changes, writes, failed, postponed;
};

static uint64_t ms_since(const struct timeval *then)
{
	struct timeval now, diff;

	gettimeofday(&now, NULL);
	timersub(&now, then, &diff);
	if (diff.tv_sec < 0)
		return 0;
	return (uint64_t)diff.tv_sec * 1000 + (uint64_t)diff.tv_usec / 1000;
}

static void arm(struct ioreqd_checkpoint *c, uint64_t ms)
{
	struct timeval tv = {.tv_sec = (time_t)(ms / 1000),
	                     .tv_usec = (suseconds_t)(ms % 1000) * 1000};

	evtimer_add(c->timer, &tv);
	c->armed = true;
}

/* Is an access still deferred by a hook (its state not settled)? */
static bool deferred_pending(const struct ioreqd_daemon *d)
{
	for (unsigned v = 0; d->watchdogs && v < d->nr_vcpus; v++)
		if (d->watchdogs[v].ticket &&
		    ioreqd_engine_resume(d->engine, d->watchdogs[v].ticket))
			return true;
	return false;
}

static int write_now(struct ioreqd_checkpoint *c)
{
	char msg[IOREQD_DEVSTATE_MSGLEN];
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc;

	rc = ioreqd_devstate_save(c->d->dm, &buf, &len, msg, sizeof(msg));
	if (rc == 0)
		rc = ioreqd_devstate_write_file(c->path, buf, len, msg, sizeof(msg));
	free(buf);
	gettimeofday(&c->last, NULL);
	if (rc < 0) {
		c->failed++;
		ioreqd_log_rl(&c->d->rl_guest, IOREQD_LOG_WARN,
		              "d%u: cannot write the checkpoint: %s", c->d->opts.domid,
		              msg);
		return rc;
	}
	c->writes++;
	log_debug("%s: d%u: checkpoint %s written (%zu bytes)", __func__,
	          c->d->opts.domid, c->path, len);
	return 0;
}

static void checkpoint_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ioreqd_checkpoint *c = arg;

	(void)fd;
	(void)what;
	c->armed = false;
	if (c->d->engine && deferred_pending(c->d)) {
		c->postponed++;
		arm(c, CHECKPOINT_SETTLE_MS);
		return;
	}
	write_now(c);
}

void ioreqd_checkpoint_changed(struct ioreqd_daemon *d)
{
	struct ioreqd_checkpoint *c = d->checkpoint;
	uint64_t wait = CHECKPOINT_SETTLE_MS, since;

	if (!c)
		return;
	c->changes++;
	if (c->armed)
		return; /* coalesced into the write already due */
	since = ms_since(&c->last);
	if (since < CHECKPOINT_MIN_GAP_MS && CHECKPOINT_MIN_GAP_MS - since > wait)
		wait = CHECKPOINT_MIN_GAP_MS - since;
	arm(c, wait);
}

int ioreqd_checkpoint_start(struct ioreqd_daemon *d)
{
	struct ioreqd_checkpoint *c;
	int rc;

	if (!d->opts.checkpoint_file)
		return 0;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->d = d;
	c->path = d->opts.checkpoint_file;
	c->timer = evtimer_new(d->base, checkpoint_timer_cb, c);
	if (!c->timer) {
		free(c);
		return -ENOMEM;
	}
	d->checkpoint = c;
	rc = write_now(c);
	if (rc < 0)
		log_errx("--checkpoint %s: cannot write it (see above); not serving",
		         c->path);
	return rc;
}

void ioreqd_checkpoint_stop(struct ioreqd_daemon *d)
{
	struct ioreqd_checkpoint *c = d->checkpoint;

	if (!c)
		return;
	/* A change not yet written: the state the daemon stops with. */
	if (c->armed && d->engine)
		write_now(c);
	event_free(c->timer);
	free(c);
	d->checkpoint = NULL;
}

void ioreqd_checkpoint_stats(const struct ioreqd_daemon *d, ioreqd_stats_emit_fn emit,
                             void *ctx)
{
	const struct ioreqd_checkpoint *c = d->checkpoint;

	if (!c)
		return;
	emit(ctx, "checkpoint", "changes", c->changes);
	emit(ctx, "checkpoint", "writes", c->writes);
	emit(ctx, "checkpoint", "failed", c->failed);
	emit(ctx, "checkpoint", "postponed", c->postponed);
	emit(ctx, "checkpoint", "pending", c->armed);
}
