/* SPDX-License-Identifier: MIT */
/*
 * Check suite for deferred completion in the ioreq engine (lib/ioreq.c), over
 * a real shared_iopage_t: a handler defers, the slot stays INPROCESS and the
 * vCPU is not notified; the ticket resumes the access; ioreqd_fault_advance
 * completes it exactly once (also in the middle of a rep access, which then
 * resumes its remaining elements); restart re-runs the chain; abort and
 * abort_all complete held accesses with all-ones.  Validation and dispatch are
 * in check_ioreq.c; both share tests/engine-fixture.c.
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "engine-fixture.h"
#include "engine.h"
#include "log.h"

static void setup(void)
{
	fixture_setup();
	fixture_start_engine();
}

START_TEST(test_engine_deferred_read_completes_once_on_advance)
{
	ioreqd_fault_t *f;

	dev_mmio.defer_always = true;
	ck_assert_int_eq(run(1, rq(IOREQ_TYPE_COPY, MMIO_BASE + 0x20, 4, 1, true, 0)), 1);
	ck_assert_uint_eq(slot(1)->state, STATE_IOREQ_INPROCESS);
	ck_assert_uint_eq(notify_calls, 0);
	ck_assert_uint_eq(ioreqd_engine_pending(eng), 1);
	ck_assert_uint_eq(deferred_calls, 1);
	ck_assert_str_eq(deferred_name, "hpet");
	ck_assert_uint_eq(st()->deferred, 1);
	ck_assert_uint_eq(ioreqd_range_counters(r_mmio)->defers, 1);
	f = ioreqd_engine_resume(eng, dev_mmio.ticket);
	ck_assert_ptr_eq(f, dev_mmio.fault);
	ck_assert_str_eq(ioreqd_engine_fault_owner(f), "hpet");
	/* More notifications while deferred change nothing. */
	ck_assert_int_eq(ioreqd_engine_handle(eng, 1), 0);
	ck_assert_uint_eq(slot(1)->state, STATE_IOREQ_INPROCESS);
	ioreqd_fault_set_data(f, 0x600dcafe);
	ck_assert_int_eq(ioreqd_fault_advance(f), 0);
	ck_assert_uint_eq(slot(1)->state, STATE_IORESP_READY);
	ck_assert_uint_eq(slot(1)->data, 0x600dcafe);
	ck_assert_uint_eq(notify_calls, 1);
	ck_assert_uint_eq(notify_last, 1);
	ck_assert_uint_eq(ioreqd_engine_pending(eng), 0);
	/* Exactly once. */
	ck_assert_int_eq(ioreqd_fault_advance(f), -EALREADY);
	ck_assert_ptr_null(ioreqd_engine_resume(eng, dev_mmio.ticket));
	ck_assert_ptr_null(ioreqd_engine_fault_owner(f));
	ck_assert_uint_eq(notify_calls, 1);
	ck_assert_uint_eq(st()->completed, 1);
	ck_assert_uint_eq(dev_mmio.calls, 1);
}
END_TEST

/* A chain-head watcher, as the trace hook uses: records how accesses end. */
static struct {
	unsigned calls;
	enum ioreqd_fault_result res;
	uint64_t data;
	int second_rc;
} watch;

static void watch_done(const ioreqd_fault_t *f, enum ioreqd_fault_result res, void *arg)
{
	(void)arg;
	watch.calls++;
	watch.res = res;
	watch.data = ioreqd_fault_data(f);
}

static enum ioreqd_fault_result watch_fn(ioreqd_fault_t *f, void *opaque)
{
	(void)opaque;
	ck_assert_int_eq(ioreqd_fault_on_done(f, watch_done, NULL), 0);
	watch.second_rc = ioreqd_fault_on_done(f, watch_done, NULL);
	return IOREQD_FAULT_PASS;
}

START_TEST(test_engine_on_done_reports_how_every_access_ended)
{
	struct ioreqd_handler h = {
	    .name = "watch", .fn = watch_fn, .order = IOREQD_ORDER_FIRST};
	ioreqd_fault_t *f;

	memset(&watch, 0, sizeof(watch));
	ck_assert_int_eq(ioreqd_range_install(r_mmio, &h, NULL, NULL), 0);
	/* Answered at once: the watcher sees the value the device returned. */
	dev_mmio.mem[0x30] = 0x42;
	ck_assert_int_eq(run(0, rq(IOREQ_TYPE_COPY, MMIO_BASE + 0x30, 1, 1, true, 0)), 1);
	ck_assert_uint_eq(watch.calls, 1);
	ck_assert_int_eq(watch.res, IOREQD_FAULT_HANDLED);
	ck_assert_uint_eq(watch.data, 0x42);
	ck_assert_int_eq(watch.second_rc, -EBUSY); /* one watcher per access */
	/* Deferred: nothing until the handler completes it, then DEFER + value. */
	dev_mmio.defer_always = true;
	ck_assert_int_eq(run(1, rq(IOREQ_TYPE_COPY, MMIO_BASE + 0x20, 4, 1, true, 0)), 1);
	ck_assert_uint_eq(watch.calls, 1);
	f = ioreqd_engine_resume(eng, dev_mmio.ticket);
	ck_assert_ptr_nonnull(f);
	ioreqd_fault_set_data(f, 0x600dcafe);
	ck_assert_int_eq(ioreqd_fault_advance(f), 0);
	ck_assert_uint_eq(watch.calls, 2);
	ck_assert_int_eq(watch.res, IOREQD_FAULT_DEFER);
	ck_assert_uint_eq(watch.data, 0x600dcafe);
	/* Aborted (watchdog, shutdown): ERROR, and the read's all-ones. */
	ck_assert_int_eq(run(2, rq(IOREQ_TYPE_COPY, MMIO_BASE + 0x24, 2, 1, true, 0)), 1);
	f = ioreqd_engine_resume(eng, dev_mmio.ticket);
	ck_assert_int_eq(ioreqd_engine_abort(eng, f), 0);
	ck_assert_uint_eq(watch.calls, 3);
	ck_assert_int_eq(watch.res, IOREQD_FAULT_ERROR);
	ck_assert_uint_eq(watch.data, 0xffff);
}
END_TEST

START_TEST(test_engine_stale_ticket_does_not_resume_later_access)
{
	ioreqd_ticket_t old;

	dev_mmio.defer_call = 1;
	ck_assert_int_eq(run(0, rq(IOREQ_TYPE_COPY, MMIO_BASE, 4, 1, false, 1)), 1);
	old = dev_mmio.ticket;
	ck_assert_int_eq(ioreqd_fault_advance(ioreqd_engine_resume(eng, old)), 0);
	/* A new access on the same vCPU defers too. */
	dev_mmio.defer_always = true;
	ck_assert_int_eq(run(0, rq(IOREQ_TYPE_COPY, MMIO_BASE, 4, 1, false, 2)), 1);
	ck_assert_uint_ne(dev_mmio.ticket, old);
	ck_assert_ptr_null(ioreqd_engine_resume(eng, old));
	ck_assert_ptr_nonnull(ioreqd_engine_resume(eng, dev_mmio.ticket));
	/* Tickets naming vCPUs the engine does not serve resume nothing. */
	ck_assert_ptr_null(ioreqd_engine_resume(eng, dev_mmio.ticket | 0xffff));
	ck_assert_uint_eq(ioreqd_engine_abort_all(eng), 1);
}
END_TEST

START_TEST(test_engine_deferral_mid_rep_resumes_remaining_elements)
{
	ioreq_t r = rq(IOREQ_TYPE_COPY, MMIO_BASE + 0x100, 4, 4, false, GMEM_BASE);

	for (uint32_t i = 0; i < 4; i++) {
		uint32_t v = 0x1000 + i;

		memcpy(gmem_at(GMEM_BASE + 4 * i, 4), &v, 4);
	}
	r.data_is_ptr = 1;
	dev_mmio.defer_call = 2;
	ck_assert_int_eq(run(3, r), 1);
	ck_assert_uint_eq(dev_mmio.calls, 2);
	ck_assert_uint_eq(slot(3)->state, STATE_IOREQ_INPROCESS);
	ck_assert_uint_eq(notify_calls, 0);
	ck_assert_int_eq(ioreqd_fault_advance(ioreqd_engine_resume(eng, dev_mmio.ticket)),
	                 0);
	ck_assert_uint_eq(dev_mmio.calls, 4);
	for (unsigned i = 0; i < 4; i++) {
		ck_assert_uint_eq(dev_mmio.log[i].addr, MMIO_BASE + 0x100 + 4 * i);
		ck_assert_uint_eq(dev_mmio.log[i].data, 0x1000 + i);
	}
	ck_assert_uint_eq(slot(3)->state, STATE_IORESP_READY);
	ck_assert_uint_eq(notify_calls, 1);
	ck_assert_uint_eq(st()->completed, 1);

	/* A rep read without pointer deferred in the middle: the last value wins. */
	dev_mmio.calls = 0;
	dev_mmio.counter = 0xd000;
	dev_mmio.defer_call = 2;
	ck_assert_int_eq(run(3, rq(IOREQ_TYPE_COPY, MMIO_BASE, 4, 3, true, 0)), 1);
	ioreqd_fault_set_data(dev_mmio.fault, 0xeeee);
	ck_assert_int_eq(ioreqd_fault_advance(dev_mmio.fault), 0);
	ck_assert_uint_eq(dev_mmio.calls, 3);
	ck_assert_uint_eq(slot(3)->data, 0xd002);
	ck_assert_uint_eq(notify_calls, 2);
}
END_TEST

/* A handler that defers until told the device is ready, then passes. */
static unsigned busy_calls;
static bool busy;
static ioreqd_fault_t *busy_fault;

static enum ioreqd_fault_result busy_fn(ioreqd_fault_t *f, void *opaque)
{
	(void)opaque;
	busy_calls++;
	busy_fault = f;
	return busy ? IOREQD_FAULT_DEFER : IOREQD_FAULT_PASS;
}

START_TEST(test_engine_restart_reruns_chain_from_head)
{
	struct ioreqd_handler h = {.name = "gate", .fn = busy_fn};

	memcpy(dev_mmio.mem, "\x01\x02\x03\x04", 4);
	busy_calls = 0;
	busy = true;
	ck_assert_int_eq(ioreqd_range_install(r_mmio, &h, NULL, NULL), 0);
	ck_assert_int_eq(run(0, rq(IOREQ_TYPE_COPY, MMIO_BASE, 4, 1, true, 0)), 1);
	ck_assert_uint_eq(busy_calls, 1);
	ck_assert_uint_eq(dev_mmio.calls, 0);
	/* Still busy: a restart defers again, the vCPU stays held. */
	ck_assert_int_eq(ioreqd_fault_restart(busy_fault), 0);
	ck_assert_uint_eq(busy_calls, 2);
	ck_assert_uint_eq(slot(0)->state, STATE_IOREQ_INPROCESS);
	ck_assert_uint_eq(ioreqd_engine_pending(eng), 1);
	/* Ready now: the restart runs the gate, then the device handles it. */
	busy = false;
	ck_assert_int_eq(ioreqd_fault_restart(busy_fault), 0);
	ck_assert_uint_eq(busy_calls, 3);
	ck_assert_uint_eq(dev_mmio.calls, 1);
	ck_assert_uint_eq(slot(0)->state, STATE_IORESP_READY);
	ck_assert_uint_eq(slot(0)->data, 0x04030201);
	ck_assert_uint_eq(notify_calls, 1);
	ck_assert_uint_eq(ioreqd_engine_pending(eng), 0);
	ck_assert_int_eq(ioreqd_fault_restart(busy_fault), -EALREADY);
}
END_TEST

START_TEST(test_engine_restart_measures_offset_from_current_range)
{
	static struct dev moved;
	ioreqd_fault_t *f;

	dev_mmio.defer_always = true;
	ck_assert_int_eq(run(0, rq(IOREQ_TYPE_COPY, MMIO_BASE + 0x20, 4, 1, true, 0)), 1);
	f = dev_mmio.fault;
	ck_assert_uint_eq(ioreqd_fault_offset(f), 0x20);
	/* While the access is held the range goes, and a bigger one takes its place. */
	ck_assert_int_eq(ioreqd_bus_remove(bus, r_mmio), 0);
	r_mmio = add_dev(IOREQD_SPACE_MMIO, MMIO_BASE - 0x1000, MMIO_BASE + 0xfff, &moved,
	                 "moved");
	moved.counter = 0x4321;
	ck_assert_int_eq(ioreqd_fault_restart(f), 0);
	ck_assert_uint_eq(moved.calls, 1);
	ck_assert_uint_eq(moved.log[0].addr, MMIO_BASE + 0x20);
	ck_assert_uint_eq(moved.log[0].offset, 0x1020);
	ck_assert_uint_eq(slot(0)->state, STATE_IORESP_READY);
	ck_assert_uint_eq(slot(0)->data, 0x4321);
}
END_TEST

START_TEST(test_engine_abort_completes_pending_with_all_ones)
{
	ioreqd_fault_t *f;

	dev_pio.defer_always = true;
	ck_assert_int_eq(run(2, rq(IOREQ_TYPE_PIO, PIO_BASE, 2, 1, true, 0)), 1);
	f = dev_pio.fault;
	ck_assert_int_eq(ioreqd_engine_abort(eng, f), 0);
	ck_assert_uint_eq(slot(2)->state, STATE_IORESP_READY);
	ck_assert_uint_eq(slot(2)->data, 0xffff);
	ck_assert_uint_eq(st()->aborted, 1);
	ck_assert_uint_eq(notify_calls, 1);
	ck_assert_uint_eq(ioreqd_engine_pending(eng), 0);
	/* The late handler is refused, and so is a second abort. */
	ck_assert_int_eq(ioreqd_fault_advance(f), -EALREADY);
	ck_assert_int_eq(ioreqd_engine_abort(eng, f), -EALREADY);
	ck_assert_ptr_null(ioreqd_engine_resume(eng, dev_pio.ticket));
	ck_assert_uint_eq(notify_calls, 1);
	ck_assert_uint_eq(st()->aborted, 1);
}
END_TEST

START_TEST(test_engine_abort_all_completes_every_pending_vcpu)
{
	dev_mmio.defer_always = true;
	ck_assert_int_eq(run(0, rq(IOREQ_TYPE_COPY, MMIO_BASE, 4, 1, true, 0)), 1);
	ck_assert_int_eq(run(1, rq(IOREQ_TYPE_COPY, MMIO_BASE, 1, 1, true, 0)), 1);
	ck_assert_int_eq(run(3, rq(IOREQ_TYPE_COPY, MMIO_BASE, 4, 1, false, 9)), 1);
	ck_assert_uint_eq(ioreqd_engine_pending(eng), 3);
	ck_assert_uint_eq(ioreqd_engine_abort_all(eng), 3);
	ck_assert_uint_eq(slot(0)->data, 0xffffffff);
	ck_assert_uint_eq(slot(1)->data, 0xff);
	for (unsigned v = 0; v < NR_VCPUS; v++)
		ck_assert_uint_eq(slot(v)->state,
		                  v == 2 ? STATE_IOREQ_NONE : STATE_IORESP_READY);
	ck_assert_uint_eq(notify_calls, 3);
	ck_assert_uint_eq(st()->aborted, 3);
	ck_assert_uint_eq(ioreqd_engine_pending(eng), 0);
	ck_assert_uint_eq(ioreqd_engine_abort_all(eng), 0);
}
END_TEST

START_TEST(test_engine_inject_rules)
{
	ioreq_t a = rq(IOREQ_TYPE_PIO, PIO_BASE, 1, 1, true, 0);
	ioreq_t b = a;

	ck_assert_int_eq(ioreqd_engine_inject(eng, 0, &a), -EINVAL); /* not READY */
	ck_assert_uint_eq(st()->rejected_by[IOREQD_REJ_STATE], 1);
	a.state = STATE_IOREQ_READY;
	b.state = STATE_IOREQ_READY;
	dev_pio.defer_always = true;
	ck_assert_int_eq(ioreqd_engine_inject(eng, 0, &a), 0);
	ck_assert_uint_eq(a.state, STATE_IOREQ_INPROCESS);
	ck_assert_int_eq(ioreqd_engine_inject(eng, 0, &b), -EBUSY);
	ioreqd_fault_set_data(dev_pio.fault, 0x99);
	ck_assert_int_eq(ioreqd_fault_advance(dev_pio.fault), 0);
	ck_assert_uint_eq(a.state, STATE_IORESP_READY);
	ck_assert_uint_eq(a.data, 0x99);
	ck_assert_uint_eq(notify_calls, 0); /* injected requests notify nobody */
}
END_TEST

START_TEST(test_engine_ready_while_deferred_is_rejected)
{
	ioreq_t snap;

	dev_pio.defer_always = true;
	ck_assert_int_eq(run(0, rq(IOREQ_TYPE_PIO, PIO_BASE, 1, 1, true, 0)), 1);
	post(0, rq(IOREQ_TYPE_PIO, PIO_BASE, 1, 1, false, 3));
	snap = *slot(0);
	ck_assert_int_eq(ioreqd_engine_handle(eng, 0), 0);
	ck_assert_mem_eq(slot(0), &snap, sizeof(snap));
	ck_assert_uint_eq(st()->rejected_by[IOREQD_REJ_STATE], 1);
	ck_assert_uint_eq(dev_pio.calls, 1);
	ck_assert_uint_eq(ioreqd_engine_abort_all(eng), 1);
}
END_TEST

static Suite *ioreq_defer_suite(void)
{
	Suite *s = suite_create("ioreq-defer");
	TCase *tf = tcase_create("deferred");

	tcase_add_checked_fixture(tf, setup, fixture_teardown);
	tcase_add_test(tf, test_engine_deferred_read_completes_once_on_advance);
	tcase_add_test(tf, test_engine_on_done_reports_how_every_access_ended);
	tcase_add_test(tf, test_engine_stale_ticket_does_not_resume_later_access);
	tcase_add_test(tf, test_engine_deferral_mid_rep_resumes_remaining_elements);
	tcase_add_test(tf, test_engine_restart_reruns_chain_from_head);
	tcase_add_test(tf, test_engine_restart_measures_offset_from_current_range);
	tcase_add_test(tf, test_engine_abort_completes_pending_with_all_ones);
	tcase_add_test(tf, test_engine_abort_all_completes_every_pending_vcpu);
	tcase_add_test(tf, test_engine_inject_rules);
	tcase_add_test(tf, test_engine_ready_while_deferred_is_rejected);
	suite_add_tcase(s, tf);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(ioreq_defer_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
