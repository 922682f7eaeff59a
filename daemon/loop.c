/* SPDX-License-Identifier: MIT */
/*
 * The event loop: one explicit libevent event_base (no implicit global base),
 * a read event per backend notification fd, signals through evsignal_new, and
 * a watchdog timer per vCPU that completes an access a hook deferred and
 * never finished, so a buggy hook cannot hang a guest vCPU forever.
 *
 * Stopping is ordered so that no vCPU is left waiting: complete every READY
 * slot and every deferred access, disable the server (Xen routes nothing more
 * to us), then sweep once more for anything that raced in, before teardown.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "daemon.h"

/*
 * One bounded drain of the buffered ring; if the producer left more, come
 * back from a zero timeout, after the loop has polled every other source.
 */
void ioreqd_loop_drain_buffered(struct ioreqd_daemon *d)
{
	static const struct timeval now = {0, 0};

	if (!d->buf_page || !d->engine)
		return;
	ioreqd_engine_drain_buffered(d->engine, d->buf_page);
	if (ioreqd_engine_buffered_pending(d->engine) && d->buf_drain)
		evtimer_add(d->buf_drain, &now);
}

static void loop_buffered_cb(evutil_socket_t fd, short what, void *arg)
{
	ioreqd_loop_drain_buffered(arg);
}

void ioreqd_loop_backend_event(void *arg, enum ioreqd_backend_event ev, unsigned vcpu)
{
	struct ioreqd_daemon *d = arg;

	switch (ev) {
	case IOREQD_BE_EV_VCPU:
		/*
		 * Posted writes came first in guest order: drain the ring before a
		 * synchronous access can read state those writes changed.
		 */
		ioreqd_loop_drain_buffered(d);
		ioreqd_engine_handle(d->engine, vcpu);
		break;
	case IOREQD_BE_EV_VCPU_POLLED:
		/* As above; the notification is still to come (not spurious). */
		ioreqd_loop_drain_buffered(d);
		ioreqd_engine_poll(d->engine, vcpu);
		break;
	case IOREQD_BE_EV_BUFFERED:
		ioreqd_loop_drain_buffered(d);
		break;
	case IOREQD_BE_EV_DOMAIN_GONE:
		log_info("d%u: the domain is gone, shutting down", d->opts.domid);
		ioreqd_loop_stop(d, IOREQD_EX_OK);
		break;
	}
}

static void loop_backend_cb(evutil_socket_t fd, short what, void *arg)
{
	struct fd_watch *w = arg;
	struct ioreqd_daemon *d = w->d;
	uint64_t woke = 0, work = 0;
	int rc;

	if (d->poll.cap_ns) {
		woke = ioreqd_now_ns();
		work = ioreqd_spin_work(d);
	}
	/*
	 * The first look: answer what the slots hold before reading which
	 * event channel fired.  The vCPU waits only for the answer, so reading
	 * and unmasking its event (two system calls, each a trip through Xen
	 * in a PV dom0) then happen while it already runs again; they find the
	 * slot no longer READY, which the engine expects after a poll.  Each
	 * look takes at most one slot, and the looks stop at the first that
	 * took no request: one that only drained the buffered ring (whose
	 * drain is bounded per pass, so a flood of posted writes cannot hold
	 * the loop) or found a slot the engine refused (refused once, not
	 * once per vCPU).
	 */
	if (d->be->look && d->engine) {
		const struct ioreqd_engine_stats *st = ioreqd_engine_stats(d->engine);

		for (unsigned i = 0; i < d->nr_vcpus; i++) {
			uint64_t taken = st->requests;

			if (d->be->look(d->be_priv, ioreqd_loop_backend_event, d) <= 0 ||
			    st->requests == taken)
				break;
		}
	}
	rc = d->be->pending(d->be_priv, w->idx, ioreqd_loop_backend_event, d);
	if (rc < 0) {
		log_warnx("domain %u: the backend's notification fd %d failed: %s; "
		          "stopping",
		          d->opts.domid, (int)fd, strerror(-rc));
		event_del(w->ev);
		ioreqd_loop_stop(d, IOREQD_EX_FAIL);
		return;
	}
	/* The adaptive poll: only after a pass that served something. */
	if (d->poll.cap_ns && ioreqd_spin_work(d) != work)
		ioreqd_spin_run(d, woke);
}

static void loop_signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct ioreqd_daemon *d = arg;

	if (sig == SIGUSR1) {
		ioreqd_stats_log(d);
		return;
	}
	/* libxl stops a device model it started with SIGHUP. */
	log_info("d%u: %s, stopping", d->opts.domid,
	         sig == SIGTERM  ? "SIGTERM"
	         : sig == SIGHUP ? "SIGHUP"
	                         : "SIGINT");
	ioreqd_loop_stop(d, IOREQD_EX_OK);
}

static void loop_watchdog_cb(evutil_socket_t fd, short what, void *arg)
{
	struct vcpu_watch *w = arg;
	struct ioreqd_daemon *d = w->d;
	ioreqd_fault_t *f = ioreqd_engine_resume(d->engine, w->ticket);

	if (!f)
		return; /* completed in time */
	/* The guest decides how often it makes a slow device defer: rate-limited. */
	ioreqd_log_rl(&d->rl_guest, LOG_LEVEL_WARN,
	              "domain %u vcpu%u: handler %s deferred an access to 0x%llx and "
	              "did not complete it within %llu ms; completing it (reads "
	              "all-ones)",
	              d->opts.domid, ioreqd_fault_vcpu(f), w->owner,
	              (unsigned long long)ioreqd_fault_addr(f),
	              (unsigned long long)d->cfg->watchdog_ms);
	ioreqd_engine_abort(d->engine, f);
}

void ioreqd_engine_deferred_cb(void *opaque, ioreqd_fault_t *f, const char *owner)
{
	struct ioreqd_daemon *d = opaque;
	struct vcpu_watch *w;
	struct timeval tv;
	unsigned v = ioreqd_fault_vcpu(f);

	if (!d->watchdogs || !d->cfg->watchdog_ms || v >= d->nr_vcpus)
		return;
	w = &d->watchdogs[v];
	w->ticket = ioreqd_fault_ticket(f);
	snprintf(w->owner, sizeof(w->owner), "%s", owner ? owner : "?");
	tv.tv_sec = (time_t)(d->cfg->watchdog_ms / 1000);
	tv.tv_usec = (suseconds_t)(d->cfg->watchdog_ms % 1000) * 1000;
	evtimer_add(w->timer, &tv);
}

int ioreqd_loop_setup(struct ioreqd_daemon *d)
{
	unsigned n = d->be->nr_fds(d->be_priv);

	d->fds = calloc(n ? n : 1, sizeof(*d->fds));
	d->watchdogs = calloc(d->nr_vcpus, sizeof(*d->watchdogs));
	if (!d->fds || !d->watchdogs)
		return -ENOMEM;
	for (unsigned i = 0; i < n; i++) {
		struct fd_watch *w = &d->fds[i];
		int fd = d->be->fd(d->be_priv, i);

		w->d = d;
		w->idx = i;
		w->ev = event_new(d->base, fd, EV_READ | EV_PERSIST, loop_backend_cb, w);
		if (!w->ev || event_add(w->ev, NULL) < 0) {
			log_errx("cannot watch backend fd %d", fd);
			return -EIO;
		}
		d->nr_fds++;
	}
	d->buf_drain = evtimer_new(d->base, loop_buffered_cb, d);
	if (!d->buf_drain || ioreqd_spin_setup(d) < 0)
		return -ENOMEM;
	for (unsigned v = 0; v < d->nr_vcpus; v++) {
		d->watchdogs[v].d = d;
		d->watchdogs[v].timer =
		    evtimer_new(d->base, loop_watchdog_cb, &d->watchdogs[v]);
		if (!d->watchdogs[v].timer)
			return -ENOMEM;
	}
	d->sig_term = evsignal_new(d->base, SIGTERM, loop_signal_cb, d);
	d->sig_int = evsignal_new(d->base, SIGINT, loop_signal_cb, d);
	d->sig_usr1 = evsignal_new(d->base, SIGUSR1, loop_signal_cb, d);
	d->sig_hup = evsignal_new(d->base, SIGHUP, loop_signal_cb, d);
	if (!d->sig_term || !d->sig_int || !d->sig_usr1 || !d->sig_hup ||
	    evsignal_add(d->sig_term, NULL) || evsignal_add(d->sig_int, NULL) ||
	    evsignal_add(d->sig_usr1, NULL) || evsignal_add(d->sig_hup, NULL)) {
		log_errx("cannot install signal handlers");
		return -EIO;
	}
	return 0;
}

/*
 * The backend's fds may change when it is confined (Xen swaps its xenstore
 * watch for a timer): follow them, keeping an event's pending state (xl's
 * "stop" takes the events out of the loop and "cont" puts them back).
 */
int ioreqd_loop_refresh_fds(struct ioreqd_daemon *d)
{
	for (unsigned i = 0; i < d->nr_fds; i++) {
		struct fd_watch *w = &d->fds[i];
		int fd = d->be->fd(d->be_priv, i);
		bool pending;

		if (!w->ev || fd == (int)event_get_fd(w->ev))
			continue;
		pending = event_pending(w->ev, EV_READ, NULL);
		event_del(w->ev);
		if (fd < 0) {
			event_free(w->ev);
			w->ev = NULL;
			continue;
		}
		if (event_assign(w->ev, d->base, fd, EV_READ | EV_PERSIST,
		                 loop_backend_cb, w) < 0 ||
		    (pending && event_add(w->ev, NULL) < 0)) {
			log_errx("domain %u: cannot watch the backend's descriptor %d",
			         d->opts.domid, fd);
			return -EIO;
		}
	}
	return 0;
}

int ioreqd_loop_run(struct ioreqd_daemon *d)
{
	if (event_base_dispatch(d->base) < 0) {
		log_errx("domain %u: the event loop failed; stopping", d->opts.domid);
		return -EIO;
	}
	return 0;
}

void ioreqd_loop_stop(struct ioreqd_daemon *d, int exit_code)
{
	if (d->stopping)
		return;
	d->stopping = true;
	d->exit_code = exit_code;
	event_base_loopbreak(d->base);
}

void ioreqd_loop_quiesce(struct ioreqd_daemon *d)
{
	ioreqd_daemon_drain(d, "at shutdown");
	if (d->be_enabled) {
		d->be->enable(d->be_priv, false);
		d->be_enabled = false;
	}
	ioreqd_daemon_drain(d, "at shutdown");
}

void ioreqd_loop_teardown(struct ioreqd_daemon *d)
{
	if (d->sig_hup)
		event_free(d->sig_hup);
	if (d->sig_usr1)
		event_free(d->sig_usr1);
	if (d->sig_int)
		event_free(d->sig_int);
	if (d->sig_term)
		event_free(d->sig_term);
	d->sig_hup = d->sig_usr1 = d->sig_int = d->sig_term = NULL;
	/*
	 * Freeing the events gave these signals back their default action,
	 * which is to die: a SIGTERM from systemd or a test racing our own
	 * exit (the domain died, we are draining I/O and printing statistics)
	 * would turn status 0 into 143.  We are already stopping, so ignore
	 * them; SIGKILL still ends a teardown that hangs.
	 */
	signal(SIGTERM, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGUSR1, SIG_IGN);
	if (d->watchdogs) {
		for (unsigned v = d->nr_vcpus; v-- > 0;)
			if (d->watchdogs[v].timer)
				event_free(d->watchdogs[v].timer);
		free(d->watchdogs);
		d->watchdogs = NULL;
	}
	ioreqd_spin_teardown(d);
	if (d->buf_drain)
		event_free(d->buf_drain);
	d->buf_drain = NULL;
	for (unsigned i = d->nr_fds; i-- > 0;)
		if (d->fds[i].ev)
			event_free(d->fds[i].ev);
	free(d->fds);
	d->fds = NULL;
	d->nr_fds = 0;
}
