/* SPDX-License-Identifier: MIT */
/*
 * The fake libxenevtchn for the Xen backend's tests (see tests/fake-xen.h): every
 * function the backend calls, with the real prototype, on the simulated
 * domain in fake_xen.
 */
#include "fake-xen.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xenevtchn.h>

struct xenevtchn_handle {
	int magic;
};

static struct xenevtchn_handle the_xce;

xenevtchn_handle *xenevtchn_open(struct xentoollog_logger *logger, unsigned int flags)
{
	if (fake_xen_call(__func__, 0))
		return NULL;
	fake_xen.live_xce++;
	return &the_xce;
}

int xenevtchn_close(xenevtchn_handle *xce)
{
	bool fail = fake_xen_call(__func__, 0);

	if (xce) {
		fake_xen.live_xce--;
		/* Closing the handle unbinds whatever is still bound. */
		memset(fake_xen.bound_remote, 0, sizeof(fake_xen.bound_remote));
		fake_xen.nr_bound = 0;
	}
	return fail ? -1 : 0;
}

int xenevtchn_fd(xenevtchn_handle *xce)
{
	if (fake_xen_call(__func__, 0))
		return -1;
	return fake_xen.evtchn_pipe[0];
}

static bool local_valid(evtchn_port_t port)
{
	return port < FAKE_MAX_PORTS * 8 && fake_xen.bound_remote[port] != 0;
}

int xenevtchn_notify(xenevtchn_handle *xce, evtchn_port_t port)
{
	if (fake_xen_call(__func__, port))
		return -1;
	if (!local_valid(port)) {
		errno = EINVAL;
		return -1;
	}
	fake_xen.notified[port]++;
	return 0;
}

xenevtchn_port_or_error_t xenevtchn_bind_interdomain(xenevtchn_handle *xce,
                                                     uint32_t domid,
                                                     evtchn_port_t remote_port)
{
	uint32_t local = FAKE_LOCAL_PORT(remote_port);
	bool known = remote_port == FAKE_BUF_REMOTE_PORT &&
	             fake_xen.bufioreq != HVM_IOREQSRV_BUFIOREQ_OFF;

	if (fake_xen_call(__func__, remote_port) || fake_xen_wrong_domain((domid_t)domid))
		return -1;
	for (unsigned v = 0; v < fake_xen.nr_vcpus; v++)
		known = known || remote_port == FAKE_VP_EPORT(v);
	if (!known || local >= FAKE_MAX_PORTS * 8) {
		errno = EINVAL;
		return -1;
	}
	if (fake_xen.bound_remote[local]) {
		errno = EBUSY;
		return -1;
	}
	fake_xen.bound_remote[local] = remote_port;
	fake_xen.nr_bound++;
	return (xenevtchn_port_or_error_t)local;
}

int xenevtchn_unbind(xenevtchn_handle *xce, evtchn_port_t port)
{
	bool fail = fake_xen_call(__func__, port);

	if (!local_valid(port)) {
		errno = EINVAL;
		return -1;
	}
	fake_xen.bound_remote[port] = 0;
	fake_xen.nr_bound--;
	return fail ? -1 : 0;
}

xenevtchn_port_or_error_t xenevtchn_pending(xenevtchn_handle *xce)
{
	uint32_t port;
	char c;

	if (fake_xen_call(__func__, 0))
		return -1;
	if (fake_xen.queued == 0) {
		errno = EAGAIN;
		return -1;
	}
	port = fake_xen.queue[0];
	memmove(fake_xen.queue, fake_xen.queue + 1, --fake_xen.queued * sizeof(uint32_t));
	if (read(fake_xen.evtchn_pipe[0], &c, 1) != 1)
		abort();
	/* The driver masks a port when it delivers it. */
	if (port < FAKE_MAX_PORTS * 8)
		fake_xen.masked[port] = true;
	return (xenevtchn_port_or_error_t)port;
}

int xenevtchn_unmask(xenevtchn_handle *xce, evtchn_port_t port)
{
	if (fake_xen_call(__func__, port))
		return -1;
	if (port >= FAKE_MAX_PORTS * 8) {
		errno = EINVAL;
		return -1;
	}
	fake_xen.masked[port] = false;
	return 0;
}
