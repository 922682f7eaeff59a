/* SPDX-License-Identifier: MIT */
/*
 * The simulated-hypervisor test harness (see tests/sim-harness.h).
 */
#include "build-config.h"

#include "sim-harness.h"

#include <check.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct simh_fixture fx;

void simh_open(unsigned vcpus, bool buffered, unsigned timeout_ms)
{
	static unsigned serial;
	struct ioreqd_backend_args args = {.domid = DOMID, .buffered = buffered};

	memset(&fx, 0, sizeof(fx));
	snprintf(fx.path, sizeof(fx.path), "/tmp/check_sim-%d-%u.sock", (int)getpid(),
	         serial++);
	fx.hv = ioreqd_simhv_new(&(struct ioreqd_simhv_config){.socket_path = fx.path,
	                                                       .domid = DOMID,
	                                                       .nr_vcpus = vcpus,
	                                                       .timeout_ms = timeout_ms});
	ck_assert_ptr_nonnull(fx.hv);
	args.sim_path = fx.path;
	ck_assert_int_eq(BE->open(&fx.be, &args), 0);
	ck_assert_int_eq(BE->map_pages(fx.be, &fx.sync, buffered ? &fx.buf : NULL), 0);
	ck_assert_int_eq(BE->enable(fx.be, true), 0);
	ck_assert_int_eq(BE->nr_vcpus(fx.be, &fx.nr_vcpus), 0);
	ck_assert_uint_eq(fx.nr_vcpus, vcpus);
	ck_assert_int_eq(BE->bind(fx.be, fx.nr_vcpus), 0);
}

void simh_close(void)
{
	if (fx.be)
		BE->close(fx.be);
	ioreqd_simhv_free(fx.hv);
	memset(&fx, 0, sizeof(fx));
}

/* Claim or release a range, as the daemon would. */
int simh_map(enum ioreqd_space space, uint64_t base, uint64_t last, bool on)
{
	return BE->map_range(fx.be, space, base, last, on);
}

/* A synchronous read on vCPU 0 (for accesses the daemon is not asked about). */
int simh_read0(enum ioreqd_space space, uint64_t addr, unsigned size, uint64_t *v)
{
	return ioreqd_simhv_read(fx.hv, 0, space, addr, size, v);
}

/* --- The device model, played by hand --------------------------------------- */

static void on_event(void *arg, enum ioreqd_backend_event ev, unsigned vcpu)
{
	struct simh_events *e = arg;

	if (ev == IOREQD_BE_EV_VCPU) {
		e->vcpu_events++;
		e->last_vcpu = vcpu;
	} else if (ev == IOREQD_BE_EV_BUFFERED) {
		e->buffered++;
	} else {
		e->gone++;
	}
}

/* Poll every backend fd once for up to @p ms; dispatch what is readable. */
void simh_pump(struct simh_events *e, int ms)
{
	struct pollfd pfd[IOREQD_SIMHV_MAX_VCPUS + 2];
	unsigned n = BE->nr_fds(fx.be);

	for (unsigned i = 0; i < n; i++)
		pfd[i] = (struct pollfd){.fd = BE->fd(fx.be, i), .events = POLLIN};
	if (poll(pfd, n, ms) <= 0)
		return;
	for (unsigned i = 0; i < n; i++)
		if (pfd[i].revents)
			ck_assert_int_eq(BE->pending(fx.be, i, on_event, e), 0);
}

/* Wait for a request on any vCPU. @return the vCPU. */
unsigned simh_wait_request(void)
{
	struct simh_events e = {0};

	for (int i = 0; i < 500 && !e.vcpu_events; i++)
		simh_pump(&e, 10);
	ck_assert_msg(e.vcpu_events > 0, "no request reached the device model");
	return e.last_vcpu;
}

/* @return whether the daemon side saw its domain go away within a second. */
bool simh_saw_domain_gone(void)
{
	struct simh_events e = {0};

	for (int i = 0; i < 100 && !e.gone; i++)
		simh_pump(&e, 10);
	return e.gone > 0;
}

/* Complete vCPU @p v's READY request the way the engine does. */
ioreq_t simh_complete(unsigned v, uint64_t data)
{
	volatile ioreq_t *slot = &fx.sync->vcpu_ioreq[v];
	ioreq_t copy;

	ck_assert_uint_eq(slot->state, STATE_IOREQ_READY);
	/* Acquire: read the fields only after seeing READY. */
	atomic_thread_fence(memory_order_acquire);
	memcpy(&copy, (const void *)slot, sizeof(copy));
	slot->state = STATE_IOREQ_INPROCESS;
	if (copy.dir == IOREQ_READ && !copy.data_is_ptr)
		slot->data = data;
	/* Release: the data must be visible before IORESP_READY. */
	atomic_thread_fence(memory_order_release);
	slot->state = STATE_IORESP_READY;
	ck_assert_int_eq(GBE->notify(fx.be, v), 0);
	return copy;
}

/* --- The guest, in a helper thread -------------------------------------------- */

static void *guest_main(void *arg)
{
	struct simh_gop *g = arg;

	switch (g->kind) {
	case G_READ:
		g->rc = ioreqd_simhv_read(fx.hv, g->vcpu, g->space, g->addr, g->size,
		                          &g->val);
		break;
	case G_WRITE:
		g->rc = ioreqd_simhv_write(fx.hv, g->vcpu, g->space, g->addr, g->size,
		                           g->val);
		break;
	case G_REP:
		g->rc = ioreqd_simhv_rep(fx.hv, g->vcpu, &g->rep, NULL);
		break;
	case G_BUF:
		g->rc = ioreqd_simhv_buf_write(fx.hv, g->vcpu, g->space, g->addr, g->size,
		                               g->val, &g->posted);
		break;
	case G_INVALIDATE:
		g->rc = ioreqd_simhv_invalidate(fx.hv, g->vcpu);
		break;
	}
	return NULL;
}

void simh_guest_start(struct simh_gop *g)
{
	ck_assert_int_eq(pthread_create(&g->th, NULL, guest_main, g), 0);
}

void simh_guest_join(struct simh_gop *g)
{
	pthread_join(g->th, NULL);
}

/* Run @p g in a guest thread, answer its one request with @p data, join it. */
ioreq_t simh_round_trip(struct simh_gop *g, uint64_t data)
{
	ioreq_t req;

	simh_guest_start(g);
	ck_assert_uint_eq(simh_wait_request(), g->vcpu);
	req = simh_complete(g->vcpu, data);
	simh_guest_join(g);
	return req;
}
