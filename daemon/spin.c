/* SPDX-License-Identifier: MIT */
/*
 * The adaptive poll (poll_us, --poll-us): after a loop pass that served work,
 * the daemon may spin on the shared ioreq page for a while before it sleeps
 * in epoll again, so that a guest's back-to-back accesses skip the wake-up.
 * The policy (how long) is lib/engine/pollpolicy.c's; the spinning (how) is the
 * backend's look() in ioreqd_poll_spin(); this file connects them to the loop.
 *
 * What bounds the cost: the window starts at zero and only a request opens
 * it, so an idle daemon never spins; a spin that finds nothing halves it;
 * it never exceeds the cap (at most 200 us).  While requests keep coming,
 * SPIN_MAX_HITS of them in a row hand back to the loop (a zero timeout, as
 * the buffered ring's drain does), so that signals, timers, the control
 * socket and the domain's death are seen.
 */
#include <errno.h>
#include <stdint.h>

#include <event2/event.h>

#include "daemon.h"
#include "pollpolicy.h"

#define SPIN_MAX_HITS 64u

/* What a pass did: requests taken and buffered slots drained. */
uint64_t ioreqd_spin_work(const struct ioreqd_daemon *d)
{
	const struct ioreqd_engine_stats *s;

	if (!d->engine)
		return 0;
	s = ioreqd_engine_stats(d->engine);
	return s->requests + s->buffered_slots;
}

/* One look of the backend's, for ioreqd_poll_spin(). */
static int spin_look(void *arg)
{
	struct ioreqd_daemon *d = arg;

	return d->be->look(d->be_priv, ioreqd_loop_backend_event, d);
}

static void spin_resume_cb(evutil_socket_t fd, short what, void *arg)
{
	ioreqd_spin_run(arg, 0);
}

int ioreqd_spin_setup(struct ioreqd_daemon *d)
{
	unsigned cap = d->cfg->poll_us;

	if (cap && !d->be->look) {
		log_info("domain %u: the %s backend cannot poll; poll_us %u is ignored",
		         d->opts.domid, d->be->name, cap);
		cap = 0;
	}
	ioreqd_poll_init(&d->poll, cap);
	if (!cap)
		return 0;
	d->spin_resume = evtimer_new(d->base, spin_resume_cb, d);
	if (!d->spin_resume)
		return -ENOMEM;
	log_debug("%s: d%u: adaptive poll up to %u us after a request", __func__,
	          d->opts.domid, cap);
	return 0;
}

void ioreqd_spin_teardown(struct ioreqd_daemon *d)
{
	if (d->spin_resume)
		event_free(d->spin_resume);
	d->spin_resume = NULL;
}

void ioreqd_spin_run(struct ioreqd_daemon *d, uint64_t woke_ns)
{
	static const struct timeval now = {0, 0};
	uint64_t done = ioreqd_now_ns();
	unsigned hits = 0;

	if (!d->poll.cap_ns)
		return;
	/* The pass that called us served work that came through a notification. */
	if (woke_ns && d->spin_last_ns && woke_ns > d->spin_last_ns)
		ioreqd_poll_woken(&d->poll, woke_ns - d->spin_last_ns);
	while (!d->stopping) {
		uint64_t window = ioreqd_poll_window(&d->poll);
		uint64_t before = ioreqd_spin_work(d), spun = 0;

		if (!window)
			break;
		if (ioreqd_poll_spin(window, spin_look, d, &spun) <= 0 ||
		    ioreqd_spin_work(d) == before) {
			/*
			 * Nothing came, or what the spin saw was not work the
			 * engine could take (a vCPU with a deferred access, half
			 * an 8-byte ring entry): sleep.
			 */
			ioreqd_poll_miss(&d->poll, spun);
			break;
		}
		ioreqd_poll_hit(&d->poll, spun);
		done = ioreqd_now_ns();
		if (++hits == SPIN_MAX_HITS) {
			/* Let the loop look at its other sources, then go on. */
			if (d->spin_resume)
				evtimer_add(d->spin_resume, &now);
			break;
		}
	}
	d->spin_last_ns = done;
}
