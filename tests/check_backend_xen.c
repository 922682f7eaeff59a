/* SPDX-License-Identifier: MIT */
/*
 * The Xen backend against fakes of the Xen libraries (tests/fake-xen.h):
 * setup runs in exactly the documented order, any one call failing gives a
 * clean error that names it and leaks nothing, teardown is the reverse,
 * events are consumed one pending() and one unmask at a time, the domain's
 * death is noticed, and guest memory goes through the mapping cache (whose
 * own suite is tests/check_xen_mapcache.c).  Interrupts, vCPU state and
 * xenstore are in tests/check_backend_xen_state.c.
 */
#include "xen-rig.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static const char *const setup_calls[] = {
    "xendevicemodel_open",
    "xenforeignmemory_open",
    "xenevtchn_open",
    "xc_interface_open",
    "xs_open",
    "xendevicemodel_create_ioreq_server",
    "xs_watch",
    "xs_fileno",
    "xenevtchn_fd",
    "xenforeignmemory_map_resource",
    "xendevicemodel_set_ioreq_server_state",
    "xendevicemodel_nr_vcpus",
    "xenevtchn_bind_interdomain",
    "xenevtchn_bind_interdomain",
    "xendevicemodel_get_ioreq_server_info",
    "xenevtchn_bind_interdomain",
    "xendevicemodel_map_io_range_to_ioreq_server",
    "xendevicemodel_map_io_range_to_ioreq_server",
    "xendevicemodel_map_pcidev_to_ioreq_server",
};
#define NR_SETUP_CALLS (sizeof(setup_calls) / sizeof(setup_calls[0]))

/* After a guest memory access has left one page in the cache. */
static const char *const teardown_calls[] = {
    "xenevtchn_unbind", /* the buffered port, bound last */
    "xenevtchn_unbind", /* vcpu1 */
    "xenevtchn_unbind", /* vcpu0 */
    "xenforeignmemory_unmap",
    "xendevicemodel_set_ioreq_server_state",
    "xenforeignmemory_unmap_resource",
    "xendevicemodel_destroy_ioreq_server",
    "xs_close",
    "xc_interface_close",
    "xenevtchn_close",
    "xenforeignmemory_close",
    "xendevicemodel_close",
};
#define NR_TEARDOWN_CALLS (sizeof(teardown_calls) / sizeof(teardown_calls[0]))

/* Enabling is also a teardown call (with 0): everything else is setup only. */
static bool is_setup_call(const char *name)
{
	for (unsigned i = 0; i < NR_SETUP_CALLS; i++)
		if (strcmp(name, setup_calls[i]) == 0 &&
		    strcmp(name, "xendevicemodel_set_ioreq_server_state") != 0)
			return true;
	return false;
}

/* ---- setup and teardown -------------------------------------------------------------
 */

START_TEST(test_xen_setup_runs_in_documented_order)
{
	struct rig r;

	ck_assert_int_eq(rig_up(&r, true), 0);
	assert_calls(setup_calls, NR_SETUP_CALLS);
	ck_assert_int_eq(fake_xen.bufioreq, HVM_IOREQSRV_BUFIOREQ_ATOMIC);
	/* One mapping of both frames, buffered page first. */
	ck_assert_uint_eq(fake_xen.res_frame, 0);
	ck_assert_uint_eq(fake_xen.res_nr, 2);
	ck_assert_int_eq(fake_xen.res_prot, PROT_READ | PROT_WRITE);
	ck_assert_ptr_eq(r.buf, (void *)fake_xen.iopages);
	ck_assert_ptr_eq(r.sync, (void *)(fake_xen.iopages + 4096));
	/* Bound to the ports enabling wrote into the shared page. */
	ck_assert_uint_eq(fake_xen.calls[12].arg, FAKE_VP_EPORT(0));
	ck_assert_uint_eq(fake_xen.calls[13].arg, FAKE_VP_EPORT(1));
	ck_assert_uint_eq(fake_xen.calls[15].arg, FAKE_BUF_REMOTE_PORT);
	ck_assert_uint_eq(r.nr, 2);
	ck_assert_uint_eq(be->nr_fds(r.priv), 2);
	ck_assert_int_eq(be->fd(r.priv, 0), fake_xen.evtchn_pipe[0]);
	ck_assert_int_eq(be->fd(r.priv, 1), fake_xen.watch_pipe[0]);
	ck_assert_int_eq(be->fd(r.priv, 2), -1);
	rig_down(&r);
	ck_assert_ptr_null(fake_xen_leak());
}
END_TEST

START_TEST(test_xen_unbuffered_maps_only_the_shared_page)
{
	struct rig r;

	ck_assert_int_eq(rig_up(&r, false), 0);
	ck_assert_int_eq(fake_xen.bufioreq, HVM_IOREQSRV_BUFIOREQ_OFF);
	ck_assert_uint_eq(fake_xen.res_frame,
	                  XENMEM_resource_ioreq_server_frame_ioreq(0));
	ck_assert_uint_eq(fake_xen.res_nr, 1);
	ck_assert_ptr_null(r.buf);
	ck_assert_ptr_eq(r.sync, (void *)(fake_xen.iopages + 4096));
	ck_assert_uint_eq(fake_xen_count("xendevicemodel_get_ioreq_server_info"), 0);
	ck_assert_uint_eq(fake_xen_count("xenevtchn_bind_interdomain"), 2);
	rig_down(&r);
	ck_assert_ptr_null(fake_xen_leak());
}
END_TEST

START_TEST(test_xen_map_pages_accepts_no_buffered_page_pointer)
{
	struct ioreqd_backend_args a = {.domid = DOMID, .buffered = true};
	shared_iopage_t *sp;
	void *priv;

	ck_assert_int_eq(be->open(&priv, &a), 0);
	ck_assert_int_eq(be->map_pages(priv, &sp, NULL), 0);
	ck_assert_ptr_eq(sp, (void *)(fake_xen.iopages + 4096));
	ck_assert_int_eq(be->map_pages(priv, &sp, NULL), -EALREADY);
	be->close(priv);
	ck_assert_ptr_null(fake_xen_leak());
}
END_TEST

START_TEST(test_xen_each_setup_call_failing_is_reported_and_leaks_nothing)
{
	for (unsigned k = 1; k <= NR_SETUP_CALLS; k++) {
		const char *msg;
		struct rig r;
		int rc;

		setup_each();
		fake_xen_fail_nth(k, INJECTED);
		rc = rig_up(&r, true);
		ck_assert_msg(rc == -INJECTED, "call %u (%s): rc %d", k,
		              setup_calls[k - 1], rc);
		/* Setup stopped at the failing call: what follows only releases. */
		ck_assert_uint_ge(fake_xen.ncalls, k);
		for (unsigned i = 0; i < k; i++)
			ck_assert_str_eq(fake_xen.calls[i].name, setup_calls[i]);
		for (unsigned i = k; i < fake_xen.ncalls; i++)
			ck_assert_msg(!is_setup_call(fake_xen.calls[i].name),
			              "failing %s, then %s", setup_calls[k - 1],
			              fake_xen.calls[i].name);
		msg = logged(setup_calls[k - 1], strerror(INJECTED));
		ck_assert_msg(msg != NULL, "no message names %s", setup_calls[k - 1]);
		ck_assert_msg(strstr(msg, "domain 5") != NULL,
		              "message lacks the domain: %s", msg);
		if (r.priv)
			rig_down(&r);
		ck_assert_msg(fake_xen_leak() == NULL, "failing %s: %s",
		              setup_calls[k - 1], fake_xen_leak());
		teardown_each();
	}
}
END_TEST

START_TEST(test_xen_teardown_is_the_reverse_of_setup)
{
	struct rig r;
	uint8_t b;

	ck_assert_int_eq(rig_up(&r, true), 0);
	ck_assert_int_eq(gbe->guest_read(r.priv, 0x2000, &b, 1), 0);
	fake_xen_clear_log();
	rig_down(&r);
	assert_calls(teardown_calls, NR_TEARDOWN_CALLS);
	ck_assert_uint_eq(fake_xen.calls[0].arg, FAKE_LOCAL_PORT(FAKE_BUF_REMOTE_PORT));
	ck_assert_uint_eq(fake_xen.calls[1].arg, FAKE_LOCAL_PORT(FAKE_VP_EPORT(1)));
	ck_assert_uint_eq(fake_xen.calls[2].arg, FAKE_LOCAL_PORT(FAKE_VP_EPORT(0)));
	ck_assert_uint_eq(fake_xen.calls[4].arg, 0); /* disabled */
	ck_assert_ptr_null(fake_xen_leak());
}
END_TEST

START_TEST(test_xen_daemon_disable_then_close_disables_once)
{
	struct rig r;

	ck_assert_int_eq(rig_up(&r, true), 0);
	ck_assert_int_eq(be->enable(r.priv, false), 0);
	rig_down(&r);
	ck_assert_uint_eq(fake_xen_count("xendevicemodel_set_ioreq_server_state"), 2);
	ck_assert_ptr_null(fake_xen_leak());
}
END_TEST

START_TEST(test_xen_each_teardown_call_failing_still_releases_the_rest)
{
	for (unsigned k = 1; k <= NR_TEARDOWN_CALLS; k++) {
		struct rig r;
		uint8_t b;

		setup_each();
		ck_assert_int_eq(rig_up(&r, true), 0);
		ck_assert_int_eq(gbe->guest_read(r.priv, 0x2000, &b, 1), 0);
		fake_xen_clear_log();
		fake_xen_fail_nth(k, INJECTED);
		rig_down(&r);
		assert_calls(teardown_calls, NR_TEARDOWN_CALLS);
		ck_assert_uint_eq(fake_xen.failed, 1);
		/* xs_close returns nothing: there is nothing to report. */
		if (strcmp(teardown_calls[k - 1], "xs_close") != 0)
			ck_assert_msg(logged(teardown_calls[k - 1], strerror(INJECTED)),
			              "no message names %s", teardown_calls[k - 1]);
		ck_assert_msg(fake_xen_leak() == NULL, "failing %s: %s",
		              teardown_calls[k - 1], fake_xen_leak());
		teardown_each();
	}
}
END_TEST

START_TEST(test_xen_bind_before_enable_is_refused)
{
	struct ioreqd_backend_args a = {.domid = DOMID, .buffered = false};
	shared_iopage_t *sp;
	buffered_iopage_t *bp;
	void *priv;

	ck_assert_int_eq(be->open(&priv, &a), 0);
	ck_assert_int_eq(be->map_pages(priv, &sp, &bp), 0);
	ck_assert_int_eq(be->bind(priv, 2), -EINVAL);
	ck_assert_int_eq(be->enable(priv, true), 0);
	ck_assert_int_eq(be->bind(priv, 129), -E2BIG);
	ck_assert_uint_eq(fake_xen_count("xenevtchn_bind_interdomain"), 0);
	be->close(priv);
	ck_assert_ptr_null(fake_xen_leak());
}
END_TEST

START_TEST(test_xen_open_of_missing_domain_names_the_call)
{
	struct ioreqd_backend_args a = {.domid = DOMID + 1};
	void *priv = (void *)1;

	ck_assert_int_eq(be->open(&priv, &a), -ESRCH);
	ck_assert_ptr_null(priv);
	ck_assert_ptr_nonnull(
	    logged("xendevicemodel_create_ioreq_server", "no such domain"));
	ck_assert_ptr_null(fake_xen_leak());
}
END_TEST

/* ---- ranges -------------------------------------------------------------------------
 */

START_TEST(test_xen_ranges_map_inclusive_and_pci_by_sbdf_once)
{
	uint32_t sbdf = IOREQD_PCI_SBDF(1, 2, 3, 4);
	struct rig r;

	ck_assert_int_eq(rig_up(&r, false), 0);
	ck_assert_uint_eq(fake_xen.nr_ranges, 2);
	ck_assert_int_eq(fake_xen.ranges[0].is_mmio, 0);
	ck_assert_uint_eq(fake_xen.ranges[0].end, 0x3ff);
	ck_assert_int_eq(fake_xen.ranges[1].is_mmio, 1);
	ck_assert_uint_eq(fake_xen.ranges[1].end, 0xfeb00fff);

	/* Two ranges in one SBDF claim it once and release it with the last. */
	ck_assert_int_eq(be->map_range(r.priv, IOREQD_SPACE_PCI, IOREQD_PCI_ADDR(sbdf, 0),
	                               IOREQD_PCI_ADDR(sbdf, 0x3f), true),
	                 0);
	ck_assert_int_eq(be->map_range(r.priv, IOREQD_SPACE_PCI,
	                               IOREQD_PCI_ADDR(sbdf, 0x40),
	                               IOREQD_PCI_ADDR(sbdf, 0xff), true),
	                 0);
	ck_assert_uint_eq(fake_xen.nr_pcidevs, 2);
	ck_assert_uint_eq(fake_xen.pcidevs[1], sbdf);
	ck_assert_int_eq(be->map_range(r.priv, IOREQD_SPACE_PCI, IOREQD_PCI_ADDR(sbdf, 0),
	                               IOREQD_PCI_ADDR(sbdf, 0x3f), false),
	                 0);
	ck_assert_uint_eq(fake_xen_count("xendevicemodel_unmap_pcidev_from_ioreq_server"),
	                  0);
	ck_assert_int_eq(be->map_range(r.priv, IOREQD_SPACE_PCI,
	                               IOREQD_PCI_ADDR(sbdf, 0x40),
	                               IOREQD_PCI_ADDR(sbdf, 0xff), false),
	                 0);
	ck_assert_uint_eq(fake_xen_count("xendevicemodel_unmap_pcidev_from_ioreq_server"),
	                  1);
	ck_assert_uint_eq(fake_xen.nr_pcidevs, 1);

	/* A range spanning SBDFs, or an unknown space, reaches no Xen call. */
	fake_xen_clear_log();
	ck_assert_int_eq(be->map_range(r.priv, IOREQD_SPACE_PCI, IOREQD_PCI_ADDR(sbdf, 0),
	                               IOREQD_PCI_ADDR(sbdf + 1, 0), true),
	                 -EINVAL);
	ck_assert_int_eq(be->map_range(r.priv, IOREQD_SPACE_COUNT, 0, 1, true), -EINVAL);
	ck_assert_int_eq(be->map_range(r.priv, IOREQD_SPACE_MMIO, 2, 1, true), -EINVAL);
	ck_assert_uint_eq(fake_xen.ncalls, 0);

	ck_assert_int_eq(be->map_range(r.priv, IOREQD_SPACE_PIO, 0x3f8, 0x3ff, false), 0);
	ck_assert_uint_eq(fake_xen.nr_ranges, 1);
	/* Xen refusing a claim is reported with the call and the range. */
	fake_xen_fail_call("xendevicemodel_map_io_range_to_ioreq_server", 1, EEXIST);
	ck_assert_int_eq(be->map_range(r.priv, IOREQD_SPACE_PIO, 0x60, 0x64, true),
	                 -EEXIST);
	ck_assert_ptr_nonnull(
	    logged("xendevicemodel_map_io_range_to_ioreq_server", NULL));
	ck_assert_ptr_nonnull(logged("0x60-0x64", NULL));
	rig_down(&r);
	ck_assert_ptr_null(fake_xen_leak());
}
END_TEST

/* ---- events -------------------------------------------------------------------------
 */

START_TEST(test_xen_pending_reads_once_unmasks_then_reports_the_vcpu)
{
	uint32_t port1 = FAKE_LOCAL_PORT(FAKE_VP_EPORT(1));
	struct seen s = {0};
	struct rig r;

	ck_assert_int_eq(rig_up(&r, true), 0);
	fake_xen_raise(port1);
	fake_xen_raise(FAKE_LOCAL_PORT(FAKE_VP_EPORT(0)));
	fake_xen_clear_log();
	ck_assert_int_eq(be->pending(r.priv, 0, record, &s), 0);
	ck_assert_uint_eq(fake_xen.ncalls, 2);
	ck_assert_str_eq(fake_xen.calls[0].name, "xenevtchn_pending");
	ck_assert_str_eq(fake_xen.calls[1].name, "xenevtchn_unmask");
	ck_assert_uint_eq(fake_xen.calls[1].arg, port1);
	ck_assert(!fake_xen.masked[port1]);
	ck_assert_uint_eq(s.n, 1);
	ck_assert_int_eq(s.ev[0], IOREQD_BE_EV_VCPU);
	ck_assert_uint_eq(s.vcpu[0], 1);
	/* The second event waits for the next readiness callback. */
	ck_assert_uint_eq(fake_xen.queued, 1);
	ck_assert_int_eq(be->pending(r.priv, 0, record, &s), 0);
	ck_assert_uint_eq(s.vcpu[1], 0);

	fake_xen_raise(FAKE_LOCAL_PORT(FAKE_BUF_REMOTE_PORT));
	ck_assert_int_eq(be->pending(r.priv, 0, record, &s), 0);
	ck_assert_int_eq(s.ev[2], IOREQD_BE_EV_BUFFERED);

	/* Nothing pending, or a port that is not ours: no event, no error. */
	ck_assert_int_eq(be->pending(r.priv, 0, record, &s), 0);
	fake_xen_raise(3);
	ck_assert_int_eq(be->pending(r.priv, 0, record, &s), 0);
	ck_assert_uint_eq(s.n, 3);
	ck_assert_ptr_nonnull(logged("port 3", "not ours"));
	rig_down(&r);
}
END_TEST

/*
 * A look (the loop's first look after a wake-up, and each round of the
 * adaptive poll) reads the shared page only: a READY slot or a non-empty ring
 * is reported, and the event channel is left for pending() to read and
 * unmask, once, as always, after the request was answered.
 */
START_TEST(test_xen_look_reports_a_ready_slot_and_leaves_the_event_channel)
{
	uint32_t port1 = FAKE_LOCAL_PORT(FAKE_VP_EPORT(1));
	struct seen s = {0};
	struct rig r;

	ck_assert_int_eq(rig_up(&r, true), 0);
	/* Nothing ready: nothing reported, no Xen call. */
	fake_xen_clear_log();
	ck_assert_int_eq(be->look(r.priv, record, &s), 0);
	ck_assert_uint_eq(s.n, 0);
	ck_assert_uint_eq(fake_xen.ncalls, 0);

	r.sync->vcpu_ioreq[1].state = STATE_IOREQ_READY;
	fake_xen_raise(port1);
	ck_assert_int_eq(be->look(r.priv, record, &s), 1);
	ck_assert_uint_eq(s.n, 1);
	ck_assert_int_eq(s.ev[0], IOREQD_BE_EV_VCPU_POLLED);
	ck_assert_uint_eq(s.vcpu[0], 1);
	ck_assert_uint_eq(fake_xen.ncalls, 0);
	ck_assert_uint_eq(fake_xen.queued, 1);
	/* The event is still there for the loop, read and unmasked once. */
	r.sync->vcpu_ioreq[1].state = STATE_IORESP_READY;
	ck_assert_int_eq(be->look(r.priv, record, &s), 0);
	ck_assert_int_eq(be->pending(r.priv, 0, record, &s), 0);
	ck_assert_uint_eq(s.n, 2);
	ck_assert_int_eq(s.ev[1], IOREQD_BE_EV_VCPU);
	ck_assert(!fake_xen.masked[port1]);
	ck_assert_uint_eq(fake_xen.queued, 0);

	/* A non-empty buffered ring is work too. */
	r.buf->write_pointer = r.buf->read_pointer + 1;
	ck_assert_int_eq(be->look(r.priv, record, &s), 1);
	ck_assert_int_eq(s.ev[2], IOREQD_BE_EV_BUFFERED);
	r.buf->write_pointer = r.buf->read_pointer;
	rig_down(&r);
}
END_TEST

START_TEST(test_xen_pending_errors_are_reported_but_the_event_still_counts)
{
	struct seen s = {0};
	struct rig r;

	ck_assert_int_eq(rig_up(&r, false), 0);
	fake_xen_fail_call("xenevtchn_pending", 1, EBADF);
	ck_assert_int_eq(be->pending(r.priv, 0, record, &s), -EBADF);
	ck_assert_ptr_nonnull(logged("xenevtchn_pending", strerror(EBADF)));
	ck_assert_uint_eq(s.n, 0);

	/* An unmask failure is an error, but its vCPU is still served. */
	fake_xen_raise(FAKE_LOCAL_PORT(FAKE_VP_EPORT(0)));
	fake_xen_fail_call("xenevtchn_unmask", 1, EINVAL);
	ck_assert_int_eq(be->pending(r.priv, 0, record, &s), -EINVAL);
	ck_assert_uint_eq(s.n, 1);
	ck_assert_uint_eq(s.vcpu[0], 0);
	rig_down(&r);
}
END_TEST

START_TEST(test_xen_notify_kicks_the_vcpus_local_port)
{
	struct rig r;

	ck_assert_int_eq(rig_up(&r, false), 0);
	ck_assert_int_eq(gbe->notify(r.priv, 1), 0);
	ck_assert_uint_eq(fake_xen.notified[FAKE_LOCAL_PORT(FAKE_VP_EPORT(1))], 1);
	ck_assert_int_eq(gbe->notify(r.priv, 2), -EINVAL);
	fake_xen_fail_call("xenevtchn_notify", 1, EIO);
	ck_assert_int_eq(gbe->notify(r.priv, 0), -EIO);
	ck_assert_ptr_nonnull(logged("xenevtchn_notify", "vcpu0"));
	rig_down(&r);
}
END_TEST

START_TEST(test_xen_domain_death_is_reported_from_the_watch)
{
	struct seen s = {0};
	struct rig r;

	ck_assert_int_eq(rig_up(&r, false), 0);
	/* The watch fires once when set: the domain is alive. */
	ck_assert_int_eq(be->pending(r.priv, 1, record, &s), 0);
	ck_assert_uint_eq(fake_xen_count("xc_domain_getinfolist"), 1);
	ck_assert_uint_eq(s.n, 0);
	/* Nothing queued: no domain check at all. */
	ck_assert_int_eq(be->pending(r.priv, 1, record, &s), 0);
	ck_assert_uint_eq(fake_xen_count("xc_domain_getinfolist"), 1);

	/* Suspended (it may be resumed): keep serving. */
	fake_xen.state = FAKE_DOM_SHUTDOWN;
	fake_xen.shutdown_reason = SHUTDOWN_suspend;
	fake_xen_fire_watch();
	ck_assert_int_eq(be->pending(r.priv, 1, record, &s), 0);
	ck_assert_uint_eq(s.n, 0);

	/* A failing check is not taken for death. */
	fake_xen_fire_watch();
	fake_xen_fail_call("xc_domain_getinfolist", 1, EACCES);
	ck_assert_int_eq(be->pending(r.priv, 1, record, &s), 0);
	ck_assert_uint_eq(s.n, 0);

	fake_xen.shutdown_reason = SHUTDOWN_poweroff;
	fake_xen_fire_watch();
	fake_xen_fire_watch();
	ck_assert_int_eq(be->pending(r.priv, 1, record, &s), 0);
	ck_assert_uint_eq(s.n, 1); /* two watch events, one report */
	ck_assert_int_eq(s.ev[0], IOREQD_BE_EV_DOMAIN_GONE);
	rig_down(&r);
}
END_TEST

START_TEST(test_xen_dying_or_vanished_domain_is_gone)
{
	for (int st = FAKE_DOM_DYING; st <= FAKE_DOM_GONE; st += 2) {
		struct seen s = {0};
		struct rig r;

		setup_each();
		ck_assert_int_eq(rig_up(&r, false), 0);
		ck_assert_int_eq(be->pending(r.priv, 1, record, &s), 0);
		fake_xen.state = (enum fake_dom_state)st;
		fake_xen_fire_watch();
		ck_assert_int_eq(be->pending(r.priv, 1, record, &s), 0);
		ck_assert_uint_eq(s.n, 1);
		ck_assert_int_eq(s.ev[0], IOREQD_BE_EV_DOMAIN_GONE);
		rig_down(&r);
		ck_assert_ptr_null(fake_xen_leak());
		teardown_each();
	}
}
END_TEST

/*
 * `xl destroy` before ioreqd stops: Xen has already dropped the ioreq server,
 * so unclaiming ranges and disabling fail with ENOENT or ESRCH.  That is the
 * expected order, logged at debug level only; other failures still warn.
 */
START_TEST(test_xen_teardown_of_a_vanished_domain_does_not_warn)
{
	static const char *const unmap =
	    "xendevicemodel_unmap_io_range_from_ioreq_server";
	static const char *const state = "xendevicemodel_set_ioreq_server_state";
	struct seen s = {0};
	struct rig r;

	ck_assert_int_eq(rig_up(&r, false), 0);
	/* Not seen dead yet: ENOENT and ESRCH alone say the domain is gone. */
	fake_xen_fail_call(unmap, 1, ENOENT);
	ck_assert_int_eq(be->map_range(r.priv, IOREQD_SPACE_PIO, 0x3f8, 0x3ff, false),
	                 -ENOENT);
	fake_xen_fail_call(state, 1, ESRCH);
	ck_assert_int_eq(be->enable(r.priv, false), -ESRCH);
	ck_assert_ptr_null(logged(unmap, NULL));
	ck_assert_ptr_null(logged(state, NULL));
	/* Any other failure of the same calls is a warning. */
	fake_xen_fail_call(unmap, 1, EACCES);
	ck_assert_int_eq(
	    be->map_range(r.priv, IOREQD_SPACE_MMIO, 0xfeb00000, 0xfeb00fff, false),
	    -EACCES);
	ck_assert_ptr_nonnull(logged(unmap, strerror(EACCES)));
	ck_assert_ptr_nonnull(logged("0xfeb00000", NULL));
	rig_down(&r);
	ck_assert_ptr_null(fake_xen_leak());

	/* Once the backend reported DOMAIN_GONE, whatever Xen answers is quiet. */
	teardown_each();
	setup_each();
	ck_assert_int_eq(rig_up(&r, false), 0);
	ck_assert_int_eq(be->pending(r.priv, 1, record, &s), 0);
	fake_xen.state = FAKE_DOM_GONE;
	fake_xen_fire_watch();
	ck_assert_int_eq(be->pending(r.priv, 1, record, &s), 0);
	ck_assert_uint_eq(s.n, 1);
	ck_assert_int_eq(s.ev[0], IOREQD_BE_EV_DOMAIN_GONE);
	nmsgs = 0;
	fake_xen_fail_call(unmap, 1, EACCES);
	ck_assert_int_eq(be->map_range(r.priv, IOREQD_SPACE_PIO, 0x3f8, 0x3ff, false),
	                 -EACCES);
	fake_xen_fail_call(state, 1, EINVAL);
	ck_assert_int_eq(be->enable(r.priv, false), -EINVAL);
	fake_xen_fail_call("xendevicemodel_destroy_ioreq_server", 1, ENOENT);
	rig_down(&r);
	ck_assert_uint_eq(fake_xen.failed, 3);
	ck_assert_msg(nmsgs == 0, "logged at info or above: %s", msgs[0]);
	ck_assert_ptr_null(fake_xen_leak());
}
END_TEST

/* ---- guest memory ---------------------------------------------------------------------
 */

START_TEST(test_xen_guest_copy_goes_through_the_mapcache)
{
	uint8_t in[8] = {1, 2, 3, 4, 5, 6, 7, 8}, out[8];
	struct rig r;

	ck_assert_int_eq(rig_up(&r, false), 0);
	ck_assert_int_eq(gbe->guest_write(r.priv, 0x1ffd, in, sizeof(in)), 0);
	ck_assert_mem_eq(fake_xen_guest(0x1ffd), in, sizeof(in));
	memset(out, 0, sizeof(out));
	ck_assert_int_eq(gbe->guest_read(r.priv, 0x1ffd, out, sizeof(out)), 0);
	ck_assert_mem_eq(out, in, sizeof(in));
	/* One bucket mapping served both. */
	ck_assert_uint_eq(fake_xen.maps_made, 1);
	ck_assert_int_eq(gbe->guest_read(r.priv, 0x1000, out, 0), 0);
	/* A range outside the guest is refused, naming the domain. */
	ck_assert_int_eq(gbe->guest_read(r.priv, FAKE_GUEST_PAGES * 4096ull, out, 1),
	                 -EFAULT);
	ck_assert_ptr_nonnull(logged("domain 5", "is not in its memory"));
	/* INVALIDATE drops the unused bucket. */
	gbe->invalidate(r.priv);
	ck_assert_int_eq(fake_xen.live_maps, 0);
	rig_down(&r);
	ck_assert_ptr_null(fake_xen_leak());
}
END_TEST

START_TEST(test_xen_dma_mappings_survive_invalidate_and_close_releases_them)
{
	uintptr_t t1, t2;
	void *h1, *h2;
	struct rig r;

	ck_assert_int_eq(rig_up(&r, false), 0);
	ck_assert_int_eq(gbe->map(r.priv, 0x2000, 4096, true, &h1, &t1), 0);
	ck_assert_int_eq(gbe->map(r.priv, 0x180000, 10, false, &h2, &t2), 0);
	ck_assert_ptr_eq(h2, fake_xen_guest(0x180000));
	ck_assert_int_eq(fake_xen.live_maps, 2);
	/* INVALIDATE retires the buckets in use; it does not take them away. */
	gbe->invalidate(r.priv);
	ck_assert_int_eq(fake_xen.live_maps, 2);
	gbe->unmap(r.priv, h1, 4096, t1);
	ck_assert_int_eq(fake_xen.live_maps, 1);
	/* Close releases what the devices still hold: nothing leaks. */
	rig_down(&r);
	ck_assert_int_eq(fake_xen.live_maps, 0);
	ck_assert_ptr_null(fake_xen_leak());
}
END_TEST

/* A guest said to use grants gets the gntdev handle at open, before any drop. */
START_TEST(test_xen_open_with_grants_opens_gntdev_or_fails_saying_so)
{
	struct ioreqd_backend_args a = {.domid = DOMID, .grants = true};
	void *priv;

	ck_assert_int_eq(be->open(&priv, &a), 0);
	ck_assert_uint_eq(fake_xen_count("xengnttab_open"), 1);
	ck_assert_int_eq(fake_xen.live_xgt, 1);
	be->close(priv);
	ck_assert_ptr_null(fake_xen_leak());
	fake_xen_clear_log();
	fake_xen_fail_call("xengnttab_open", 1, ENOENT);
	ck_assert_int_eq(be->open(&priv, &a), -ENODEV);
	ck_assert_ptr_null(priv);
	ck_assert_ptr_nonnull(logged("domain 5: xengnttab_open", "xen-gntdev"));
	ck_assert_ptr_null(fake_xen_leak());
}
END_TEST

START_TEST(test_xen_restrict_learns_the_guest_size_before_closing_xc)
{
	uintptr_t tok;
	void *hva;
	struct rig r;

	ck_assert_int_eq(rig_up(&r, false), 0);
	fake_xen_clear_log();
	ck_assert_int_eq(be->restrict_domain(r.priv), 0);
	ck_assert_int_lt(fake_xen_find("xc_domain_maximum_gpfn", 0),
	                 fake_xen_find("xentoolcore_restrict_all", 0));
	fake_xen_clear_log();
	ck_assert_int_eq(
	    gbe->map(r.priv, FAKE_GUEST_PAGES * 4096ull, 1, false, &hva, &tok), -EFAULT);
	ck_assert_uint_eq(fake_xen.ncalls, 0);
	rig_down(&r);
	ck_assert_ptr_null(fake_xen_leak());
}
END_TEST

START_TEST(test_xen_dirty_runs_go_in_one_bulk_call_or_one_call_each_on_refusal)
{
	const struct ioreqd_dirty_run runs[] = {{2, 3}, {FAKE_GUEST_PAGES, 1}, {9, 1}};
	struct rig r;

	ck_assert_int_eq(rig_up(&r, false), 0);
	fake_xen_clear_log();
	ck_assert_int_eq(be->modified_memory(r.priv, runs, 1), 0);
	ck_assert_uint_eq(fake_xen.ncalls, 1);
	ck_assert_int_eq(fake_xen_find("xendevicemodel_modified_memory_bulk", 0), 0);
	ck_assert_uint_eq(fake_xen.dirty[1], 0);
	ck_assert_uint_eq(fake_xen.dirty[2], 1);
	ck_assert_uint_eq(fake_xen.dirty[4], 1);
	ck_assert_uint_eq(fake_xen.dirty[5], 0);
	/* A frame past the guest's top: Xen refuses the batch; each run goes
	 * alone, so the good one after the bad one is still reported. */
	fake_xen_clear_log();
	memset(fake_xen.dirty, 0, sizeof(fake_xen.dirty));
	ck_assert_int_eq(be->modified_memory(r.priv, runs, 3), -EINVAL);
	ck_assert_int_eq(fake_xen_find("xendevicemodel_modified_memory", 0), 1);
	ck_assert_int_eq(fake_xen_find("xendevicemodel_modified_memory", 3), 3);
	ck_assert_uint_eq(fake_xen.dirty[9], 1);
	ck_assert_uint_eq(fake_xen.dirty[3], 2); /* once by the bulk, once alone */
	rig_down(&r);
}
END_TEST

static Suite *backend_xen_suite(void)
{
	Suite *s = suite_create("backend_xen");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup_each, teardown_each);
	tcase_add_test(tc, test_xen_setup_runs_in_documented_order);
	tcase_add_test(tc, test_xen_unbuffered_maps_only_the_shared_page);
	tcase_add_test(tc, test_xen_map_pages_accepts_no_buffered_page_pointer);
	tcase_add_test(tc,
	               test_xen_each_setup_call_failing_is_reported_and_leaks_nothing);
	tcase_add_test(tc, test_xen_teardown_is_the_reverse_of_setup);
	tcase_add_test(tc, test_xen_daemon_disable_then_close_disables_once);
	tcase_add_test(tc, test_xen_each_teardown_call_failing_still_releases_the_rest);
	tcase_add_test(tc, test_xen_bind_before_enable_is_refused);
	tcase_add_test(tc, test_xen_open_of_missing_domain_names_the_call);
	tcase_add_test(tc, test_xen_ranges_map_inclusive_and_pci_by_sbdf_once);
	tcase_add_test(tc, test_xen_pending_reads_once_unmasks_then_reports_the_vcpu);
	tcase_add_test(tc,
	               test_xen_look_reports_a_ready_slot_and_leaves_the_event_channel);
	tcase_add_test(tc,
	               test_xen_pending_errors_are_reported_but_the_event_still_counts);
	tcase_add_test(tc, test_xen_notify_kicks_the_vcpus_local_port);
	tcase_add_test(tc, test_xen_domain_death_is_reported_from_the_watch);
	tcase_add_test(tc, test_xen_dying_or_vanished_domain_is_gone);
	tcase_add_test(tc, test_xen_teardown_of_a_vanished_domain_does_not_warn);
	tcase_add_test(tc, test_xen_guest_copy_goes_through_the_mapcache);
	tcase_add_test(tc,
	               test_xen_dma_mappings_survive_invalidate_and_close_releases_them);
	tcase_add_test(tc, test_xen_restrict_learns_the_guest_size_before_closing_xc);
	tcase_add_test(tc, test_xen_open_with_grants_opens_gntdev_or_fails_saying_so);
	tcase_add_test(
	    tc, test_xen_dirty_runs_go_in_one_bulk_call_or_one_call_each_on_refusal);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(backend_xen_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
