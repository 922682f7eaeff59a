/* SPDX-License-Identifier: MIT */
/*
 * Fault injection without a daemon: hooks that fail, return nonsense, or
 * defer and never come back, and guest memory that faults in the middle of a
 * string access.  Whatever goes wrong, the guest's access completes exactly
 * once (a read sees all-ones), the failure is counted and logged at a rate
 * limit, and nothing stays pending.  The engine side of the daemon's watchdog
 * is here too: ioreqd_engine_abort completes an access a hook never finished,
 * and the hook's late completion is then refused.  The daemon-level failures
 * (backend calls, hook init, the watchdog timer) are tests/e2e/fault-injection.sh.
 *
 * Also the regression tests for the engine bugs the fuzzers found
 * (tests/fuzz/): a deferred request counts as taken, and a restart issues a
 * new ticket.
 */
#include <check.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "engine.h"
#include "log.h"

#define NR_VCPUS 4u
#define DOMID 9u
#define GMEM_BASE 0x200000ull
#define GMEM_SIZE 0x1000u
#define DEV_BASE 0xfe000000ull
#define DEV_LAST 0xfe000fffull

/* ---- the backend as the engine sees it -------------------------------- */

static shared_iopage_t *page;
static uint8_t *gmem;
static unsigned notifies[NR_VCPUS], deferred_calls;
static const char *deferred_owner;
static unsigned nlogs;
static char logs[8][512];

static int cb_notify(void *opaque, unsigned vcpu)
{
	(void)opaque;
	ck_assert_uint_lt(vcpu, NR_VCPUS);
	/* The state must be visible before the vCPU is kicked. */
	ck_assert_uint_eq(page->vcpu_ioreq[0 + vcpu].state, STATE_IORESP_READY);
	notifies[vcpu]++;
	return 0;
}

static int cb_guest_read(void *opaque, uint64_t gpa, void *buf, size_t len)
{
	(void)opaque;
	if (gpa < GMEM_BASE || gpa - GMEM_BASE > GMEM_SIZE - len)
		return -EFAULT;
	memcpy(buf, gmem + (gpa - GMEM_BASE), len);
	return 0;
}

static int cb_guest_write(void *opaque, uint64_t gpa, const void *buf, size_t len)
{
	(void)opaque;
	if (gpa < GMEM_BASE || gpa - GMEM_BASE > GMEM_SIZE - len)
		return -EFAULT;
	memcpy(gmem + (gpa - GMEM_BASE), buf, len);
	return 0;
}

static void cb_deferred(void *opaque, ioreqd_fault_t *f, const char *owner)
{
	(void)opaque;
	(void)f;
	deferred_calls++;
	deferred_owner = owner;
}

static void log_sink(int level, const char *msg, void *arg)
{
	(void)level;
	(void)arg;
	snprintf(logs[nlogs % 8], sizeof(logs[0]), "%s", msg);
	nlogs++;
}

static bool logged(const char *a, const char *b)
{
	for (unsigned i = 0; i < nlogs && i < 8; i++)
		if (strstr(logs[i], a) && (!b || strstr(logs[i], b)))
			return true;
	return false;
}

static const struct ioreqd_guest_ops ops_guest = {
    .notify = cb_notify,
    .guest_read = cb_guest_read,
    .guest_write = cb_guest_write,
};
static const struct ioreqd_engine_ops ops = {
    .deferred = cb_deferred,
};

/* ---- a hook whose every call does what the test scripted -------------- */

#define SCRIPT_LEN 16

struct faulty {
	int verdict[SCRIPT_LEN]; /* per call; past the end: HANDLED */
	unsigned calls;
	uint64_t value;         /* what handled reads return */
	ioreqd_ticket_t ticket; /* of the last deferral */
};

static struct faulty hook;

static enum ioreqd_fault_result faulty_access(ioreqd_fault_t *f, void *opaque)
{
	struct faulty *h = opaque;
	unsigned i = h->calls++;
	int v = i < SCRIPT_LEN ? h->verdict[i] : IOREQD_FAULT_HANDLED;

	if (ioreqd_fault_is_read(f))
		ioreqd_fault_set_data(f,
		                      v == IOREQD_FAULT_HANDLED ? h->value : 0x5a5a5a5a);
	if (v == IOREQD_FAULT_DEFER)
		h->ticket = ioreqd_fault_ticket(f);
	return (enum ioreqd_fault_result)v;
}

static struct ioreqd_bus *bus;
static struct ioreqd_range *range;
static struct ioreqd_hnode *node;
static struct ioreqd_engine *eng;

static void setup(void)
{
	struct ioreqd_handler h = {
	    .name = "faulty", .fn = faulty_access, .opaque = &hook};

	page = aligned_alloc(4096, 4096);
	gmem = calloc(1, GMEM_SIZE);
	ck_assert_ptr_nonnull(page);
	ck_assert_ptr_nonnull(gmem);
	memset(page, 0, 4096);
	memset(&hook, 0, sizeof(hook));
	memset(notifies, 0, sizeof(notifies));
	deferred_calls = 0;
	deferred_owner = NULL;
	nlogs = 0;
	ioreqd_log_set_sink(log_sink, NULL);
	bus = ioreqd_bus_new();
	ck_assert_ptr_nonnull(bus);
	ck_assert_int_eq(
	    ioreqd_bus_add(bus, IOREQD_SPACE_MMIO, DEV_BASE, DEV_LAST, &range, NULL), 0);
	ck_assert_int_eq(ioreqd_range_install(range, &h, &node, NULL), 0);
	eng = ioreqd_engine_new(bus, page, NR_VCPUS, DOMID, &ops_guest, NULL, &ops, NULL);
	ck_assert_ptr_nonnull(eng);
}

static void teardown(void)
{
	ioreqd_engine_free(eng);
	ioreqd_bus_free(bus);
	ioreqd_log_set_sink(NULL, NULL);
	free(gmem);
	free(page);
}

static volatile ioreq_t *slot(unsigned v)
{
	return &page->vcpu_ioreq[0] + v;
}

/* Play Xen: fill vCPU v's slot, publish READY, notify the engine. */
static int guest(unsigned v, uint64_t addr, unsigned size, unsigned count, bool read,
                 bool ptr, uint64_t data)
{
	ioreq_t r = {.addr = addr,
	             .data = data,
	             .count = count,
	             .size = size,
	             .data_is_ptr = ptr,
	             .dir = read ? IOREQ_READ : IOREQ_WRITE,
	             .type = IOREQ_TYPE_COPY};

	memcpy((void *)slot(v), &r, sizeof(r));
	atomic_thread_fence(memory_order_release);
	slot(v)->state = STATE_IOREQ_READY;
	return ioreqd_engine_handle(eng, v);
}

static const struct ioreqd_engine_stats *st(void)
{
	return ioreqd_engine_stats(eng);
}

/* ---- hooks failing at run time ------------------------------------------ */

START_TEST(test_faults_hook_error_on_read_returns_all_ones_counted_and_logged)
{
	hook.verdict[0] = IOREQD_FAULT_ERROR;
	ck_assert_int_eq(guest(1, DEV_BASE + 0x10, 4, 1, true, false, 0), 1);
	ck_assert_uint_eq(slot(1)->state, STATE_IORESP_READY);
	/* The hook's half-set data never reaches the guest. */
	ck_assert_uint_eq(slot(1)->data, 0xffffffffu);
	ck_assert_uint_eq(notifies[1], 1);
	ck_assert_uint_eq(st()->handler_errors, 1);
	ck_assert_uint_eq(ioreqd_range_counters(range)->errors, 1);
	ck_assert_uint_eq(ioreqd_hnode_counters(node)->errors, 1);
	ck_assert_uint_eq(ioreqd_engine_pending(eng), 0);
	/* The log says who failed, for which guest, vCPU and address. */
	ck_assert(logged("faulty", "domain 9 vcpu1"));
	ck_assert(logged("0xfe000010", NULL));
}
END_TEST

START_TEST(test_faults_hook_error_on_write_completes_and_counts)
{
	hook.verdict[0] = IOREQD_FAULT_ERROR;
	ck_assert_int_eq(guest(0, DEV_BASE, 8, 1, false, false, 0x1122334455667788ull),
	                 1);
	ck_assert_uint_eq(slot(0)->state, STATE_IORESP_READY);
	ck_assert_uint_eq(slot(0)->data, 0x1122334455667788ull);
	ck_assert_uint_eq(notifies[0], 1);
	ck_assert_uint_eq(st()->handler_errors, 1);
}
END_TEST

START_TEST(test_faults_nonsense_verdict_is_a_handler_error)
{
	hook.verdict[0] = 42;
	hook.verdict[1] = -1;
	ck_assert_int_eq(guest(0, DEV_BASE, 2, 1, true, false, 0), 1);
	ck_assert_uint_eq(slot(0)->data, 0xffffu);
	ck_assert_int_eq(guest(0, DEV_BASE, 1, 1, true, false, 0), 1);
	ck_assert_uint_eq(slot(0)->data, 0xffu);
	ck_assert_uint_eq(st()->handler_errors, 2);
	ck_assert_uint_eq(notifies[0], 2);
}
END_TEST

START_TEST(test_faults_hook_error_mid_rep_fills_that_element_with_all_ones)
{
	uint32_t buf[4];

	/* rep insd of 4 into guest memory; the hook fails the third. */
	hook.value = 0x01020304;
	hook.verdict[2] = IOREQD_FAULT_ERROR;
	ck_assert_int_eq(guest(0, DEV_BASE, 4, 4, true, true, GMEM_BASE), 1);
	memcpy(buf, gmem, sizeof(buf));
	ck_assert_uint_eq(buf[0], 0x01020304);
	ck_assert_uint_eq(buf[1], 0x01020304);
	ck_assert_uint_eq(buf[2], 0xffffffffu);
	ck_assert_uint_eq(buf[3], 0x01020304);
	ck_assert_uint_eq(hook.calls, 4);
	ck_assert_uint_eq(st()->handler_errors, 1);
	ck_assert_uint_eq(notifies[0], 1);
}
END_TEST

START_TEST(test_faults_hook_error_log_is_rate_limited_but_counted)
{
	for (unsigned i = 0; i < 1000; i++) {
		hook.calls = 0;
		hook.verdict[0] = IOREQD_FAULT_ERROR;
		ck_assert_int_eq(guest(i % NR_VCPUS, DEV_BASE, 4, 1, true, false, 0), 1);
		ck_assert_uint_eq(slot(i % NR_VCPUS)->data, 0xffffffffu);
	}
	ck_assert_uint_eq(st()->handler_errors, 1000);
	ck_assert_uint_eq(st()->completed, 1000);
	/* A burst of 10 plus 2 a second: far below one line per error. */
	ck_assert_uint_lt(nlogs, 100);
}
END_TEST

/* ---- a hook that defers and never completes: the watchdog's abort ------ */

START_TEST(test_faults_never_completed_deferral_is_completed_by_abort)
{
	ioreqd_fault_t *f;

	hook.verdict[0] = IOREQD_FAULT_DEFER;
	ck_assert_int_eq(guest(2, DEV_BASE + 4, 4, 1, true, false, 0), 1);
	ck_assert_uint_eq(slot(2)->state, STATE_IOREQ_INPROCESS);
	ck_assert_uint_eq(notifies[2], 0);
	ck_assert_uint_eq(ioreqd_engine_pending(eng), 1);
	/* The daemon arms its watchdog from this callback. */
	ck_assert_uint_eq(deferred_calls, 1);
	ck_assert_str_eq(deferred_owner, "faulty");

	/* The watchdog fires: look the access up by ticket, as loop.c does. */
	f = ioreqd_engine_resume(eng, hook.ticket);
	ck_assert_ptr_nonnull(f);
	ck_assert_str_eq(ioreqd_engine_fault_owner(f), "faulty");
	ck_assert_int_eq(ioreqd_engine_abort(eng, f), 0);
	ck_assert_uint_eq(slot(2)->state, STATE_IORESP_READY);
	ck_assert_uint_eq(slot(2)->data, 0xffffffffu);
	ck_assert_uint_eq(notifies[2], 1);
	ck_assert_uint_eq(ioreqd_engine_pending(eng), 0);
	ck_assert_uint_eq(st()->aborted, 1);

	/* The hook wakes up late: its ticket is stale, nothing completes twice. */
	ck_assert_ptr_null(ioreqd_engine_resume(eng, hook.ticket));
	ck_assert_int_eq(ioreqd_engine_abort(eng, f), -EALREADY);
	ck_assert_int_eq(ioreqd_fault_advance(f), -EALREADY);
	ck_assert_uint_eq(notifies[2], 1);
	ck_assert_uint_eq(st()->completed, 1);

	/* The vCPU is free again: its next access runs normally. */
	hook.value = 0xcafe;
	ck_assert_int_eq(guest(2, DEV_BASE, 2, 1, true, false, 0), 1);
	ck_assert_uint_eq(slot(2)->data, 0xcafe);
}
END_TEST

START_TEST(test_faults_abort_of_deferred_write_keeps_slot_data)
{
	hook.verdict[0] = IOREQD_FAULT_DEFER;
	ck_assert_int_eq(guest(0, DEV_BASE, 4, 1, false, false, 0xabcd), 1);
	ck_assert_int_eq(ioreqd_engine_abort(eng, ioreqd_engine_resume(eng, hook.ticket)),
	                 0);
	ck_assert_uint_eq(slot(0)->state, STATE_IORESP_READY);
	ck_assert_uint_eq(slot(0)->data, 0xabcd);
	ck_assert_uint_eq(notifies[0], 1);
}
END_TEST

START_TEST(test_faults_abort_mid_rep_completes_without_running_the_rest)
{
	/* rep stosd of 4: the second element is deferred and never finished. */
	hook.verdict[1] = IOREQD_FAULT_DEFER;
	ck_assert_int_eq(guest(0, DEV_BASE, 4, 4, false, false, 7), 1);
	ck_assert_uint_eq(hook.calls, 2);
	ck_assert_int_eq(ioreqd_engine_abort(eng, ioreqd_engine_resume(eng, hook.ticket)),
	                 0);
	ck_assert_uint_eq(hook.calls, 2);
	ck_assert_uint_eq(slot(0)->state, STATE_IORESP_READY);
	ck_assert_uint_eq(notifies[0], 1);
	ck_assert_uint_eq(ioreqd_engine_pending(eng), 0);
}
END_TEST

START_TEST(test_faults_abort_all_releases_every_vcpu)
{
	for (unsigned v = 0; v < NR_VCPUS; v++) {
		hook.calls = 0;
		hook.verdict[0] = IOREQD_FAULT_DEFER;
		ck_assert_int_eq(guest(v, DEV_BASE + 4 * v, 4, 1, true, false, 0), 1);
	}
	ck_assert_uint_eq(ioreqd_engine_pending(eng), NR_VCPUS);
	ck_assert_uint_eq(ioreqd_engine_abort_all(eng), NR_VCPUS);
	for (unsigned v = 0; v < NR_VCPUS; v++) {
		ck_assert_uint_eq(slot(v)->state, STATE_IORESP_READY);
		ck_assert_uint_eq(slot(v)->data, 0xffffffffu);
		ck_assert_uint_eq(notifies[v], 1);
	}
	ck_assert_uint_eq(ioreqd_engine_pending(eng), 0);
	ck_assert_uint_eq(ioreqd_engine_abort_all(eng), 0);
}
END_TEST

START_TEST(test_faults_deferred_posted_write_leaves_nothing_pending)
{
	/* A buffered write: nobody waits, so a deferral is as good as done. */
	static union {
		buffered_iopage_t bp;
		uint8_t bytes[4096];
	} ring;
	struct ioreqd_range *low;
	struct ioreqd_handler h = {
	    .name = "faulty", .fn = faulty_access, .opaque = &hook};
	buf_ioreq_t e = {.type = IOREQ_TYPE_COPY,
	                 .dir = IOREQ_WRITE,
	                 .size = 2,
	                 .addr = 0xa0000,
	                 .data = 5};

	ck_assert_int_eq(
	    ioreqd_bus_add(bus, IOREQD_SPACE_MMIO, 0xa0000, 0xbffff, &low, NULL), 0);
	ck_assert_int_eq(ioreqd_range_install(low, &h, NULL, NULL), 0);
	memset(&ring, 0, sizeof(ring));
	ring.bp.buf_ioreq[0] = e;
	ring.bp.write_pointer = 1;
	hook.verdict[0] = IOREQD_FAULT_DEFER;
	ck_assert_uint_eq(ioreqd_engine_drain_buffered(eng, &ring.bp), 1);
	ck_assert_uint_eq(hook.calls, 1);
	ck_assert_uint_eq(ioreqd_engine_pending(eng), 0);
	ck_assert_uint_eq(deferred_calls, 0);
	ck_assert_ptr_null(ioreqd_engine_resume(eng, hook.ticket));
	ck_assert_uint_eq(ring.bp.read_pointer, 1);
}
END_TEST

/* ---- guest memory failing under a string access ------------------------ */

START_TEST(test_faults_guest_buffer_fault_mid_rep_completes_and_counts)
{
	/* rep outsd of 4 whose buffer runs off the end of guest memory. */
	uint64_t buf = GMEM_BASE + GMEM_SIZE - 8;

	ck_assert_int_eq(guest(3, DEV_BASE, 4, 4, false, true, buf), 1);
	ck_assert_uint_eq(hook.calls, 2);
	ck_assert_uint_eq(slot(3)->state, STATE_IORESP_READY);
	ck_assert_uint_eq(notifies[3], 1);
	ck_assert_uint_eq(st()->rejected_by[IOREQD_REJ_PTR], 1);
	/* The same into guest memory (rep insd): the third store faults. */
	hook.calls = 0;
	ck_assert_int_eq(guest(3, DEV_BASE, 4, 4, true, true, buf), 1);
	ck_assert_uint_eq(hook.calls, 3);
	ck_assert_uint_eq(notifies[3], 2);
	ck_assert_uint_eq(st()->rejected_by[IOREQD_REJ_PTR], 2);
}
END_TEST

/* ---- regressions for findings of the fuzzers ---------------------------- */

START_TEST(test_faults_deferred_request_counts_as_taken)
{
	/* fuzz_slot: handle() returned 0 ("nothing to do") for a deferral. */
	hook.verdict[0] = IOREQD_FAULT_DEFER;
	ck_assert_int_eq(guest(0, DEV_BASE, 4, 1, true, false, 0), 1);
	/* A notification while it is held finds nothing to take. */
	ck_assert_int_eq(ioreqd_engine_handle(eng, 0), 0);
	ck_assert_uint_eq(ioreqd_engine_abort_all(eng), 1);
}
END_TEST

START_TEST(test_faults_restart_issues_a_new_ticket)
{
	/*
	 * fuzz_slot: after a restart that deferred again, the ticket of the
	 * handler that restarted still resumed the access, so it could complete
	 * an access it had handed on.
	 */
	ioreqd_ticket_t first;

	hook.verdict[0] = IOREQD_FAULT_DEFER;
	hook.verdict[1] = IOREQD_FAULT_DEFER;
	ck_assert_int_eq(guest(1, DEV_BASE, 4, 1, true, false, 0), 1);
	first = hook.ticket;
	ck_assert_int_eq(ioreqd_fault_restart(ioreqd_engine_resume(eng, first)), 0);
	ck_assert_uint_eq(hook.calls, 2);
	ck_assert_uint_ne(hook.ticket, first);
	ck_assert_ptr_null(ioreqd_engine_resume(eng, first));
	ck_assert_ptr_nonnull(ioreqd_engine_resume(eng, hook.ticket));
	ck_assert_uint_eq(ioreqd_engine_pending(eng), 1);
	ck_assert_int_eq(ioreqd_fault_advance(ioreqd_engine_resume(eng, hook.ticket)), 0);
	ck_assert_uint_eq(slot(1)->state, STATE_IORESP_READY);
	ck_assert_uint_eq(notifies[1], 1);
}
END_TEST

START_TEST(test_faults_resume_refuses_a_mangled_ticket)
{
	/* fuzz_slot: a ticket with junk in bits 31:16 still resumed the access. */
	hook.verdict[0] = IOREQD_FAULT_DEFER;
	ck_assert_int_eq(guest(0, DEV_BASE, 4, 1, true, false, 0), 1);
	ck_assert_ptr_nonnull(ioreqd_engine_resume(eng, hook.ticket));
	ck_assert_ptr_null(ioreqd_engine_resume(eng, hook.ticket | 0x10000));
	ck_assert_ptr_null(ioreqd_engine_resume(eng, hook.ticket | 0x80000000u));
	ck_assert_uint_eq(ioreqd_engine_abort_all(eng), 1);
}
END_TEST

/*
 * A handler that, while it runs, tries to take itself (and its range) off
 * the bus, as a hook moving its own BAR from inside an access would, then
 * returns the scripted verdict.
 */
static int self_remove_rc[2];

static enum ioreqd_fault_result self_removing_access(ioreqd_fault_t *f, void *opaque)
{
	self_remove_rc[0] = ioreqd_range_uninstall(range, node);
	self_remove_rc[1] = ioreqd_bus_remove(bus, range);
	return faulty_access(f, opaque);
}

static void self_removal_case(int verdict)
{
	struct ioreqd_handler under = {
	    .name = "under", .fn = faulty_access, .opaque = &hook};
	struct ioreqd_handler h = {
	    .name = "mover", .fn = self_removing_access, .opaque = &hook};

	/* A second handler under the moving one, so a pass has somewhere to go. */
	ck_assert_int_eq(ioreqd_range_uninstall(range, node), 0);
	ck_assert_int_eq(ioreqd_range_install(range, &under, NULL, NULL), 0);
	ck_assert_int_eq(ioreqd_range_install(range, &h, &node, NULL), 0);
	hook.verdict[0] = verdict;
	hook.value = 0x77;
	ck_assert_int_eq(guest(0, DEV_BASE, 4, 1, true, false, 0), 1);
	/* Refused while the chain runs: the engine still holds the node and the range. */
	ck_assert_int_eq(self_remove_rc[0], -EBUSY);
	ck_assert_int_eq(self_remove_rc[1], -EBUSY);
	if (verdict == IOREQD_FAULT_DEFER) {
		ck_assert_uint_eq(slot(0)->state, STATE_IOREQ_INPROCESS);
		ck_assert_int_eq(
		    ioreqd_fault_advance(ioreqd_engine_resume(eng, hook.ticket)), 0);
	}
	ck_assert_uint_eq(slot(0)->state, STATE_IORESP_READY);
	ck_assert_uint_eq(notifies[0], 1);
	ck_assert_uint_eq(slot(0)->data, verdict == IOREQD_FAULT_ERROR   ? 0xffffffffu
	                                 : verdict == IOREQD_FAULT_DEFER ? 0x5a5a5a5a
	                                                                 : 0x77);
	/* Once the access is over, the same removal goes through. */
	ck_assert_int_eq(ioreqd_range_uninstall(range, node), 0);
	ck_assert_int_eq(ioreqd_bus_remove(bus, range), 0);
	ck_assert_ptr_null(ioreqd_bus_lookup(bus, IOREQD_SPACE_MMIO, DEV_BASE, 4));
}

START_TEST(test_faults_handler_cannot_free_its_range_mid_access)
{
	/*
	 * check_faults under ASan: a handler that uninstalled itself and
	 * removed its range during the access left the engine reading the
	 * freed node (pass, defer) and range (error).
	 */
	self_removal_case(_i == 0   ? IOREQD_FAULT_PASS
	                  : _i == 1 ? IOREQD_FAULT_ERROR
	                            : IOREQD_FAULT_DEFER);
}
END_TEST

static Suite *faults_suite(void)
{
	Suite *s = suite_create("faults");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(
	    tc, test_faults_hook_error_on_read_returns_all_ones_counted_and_logged);
	tcase_add_test(tc, test_faults_hook_error_on_write_completes_and_counts);
	tcase_add_test(tc, test_faults_nonsense_verdict_is_a_handler_error);
	tcase_add_test(tc,
	               test_faults_hook_error_mid_rep_fills_that_element_with_all_ones);
	tcase_add_test(tc, test_faults_hook_error_log_is_rate_limited_but_counted);
	tcase_add_test(tc, test_faults_never_completed_deferral_is_completed_by_abort);
	tcase_add_test(tc, test_faults_abort_of_deferred_write_keeps_slot_data);
	tcase_add_test(tc, test_faults_abort_mid_rep_completes_without_running_the_rest);
	tcase_add_test(tc, test_faults_abort_all_releases_every_vcpu);
	tcase_add_test(tc, test_faults_deferred_posted_write_leaves_nothing_pending);
	tcase_add_test(tc, test_faults_guest_buffer_fault_mid_rep_completes_and_counts);
	tcase_add_test(tc, test_faults_deferred_request_counts_as_taken);
	tcase_add_test(tc, test_faults_restart_issues_a_new_ticket);
	tcase_add_test(tc, test_faults_resume_refuses_a_mangled_ticket);
	tcase_add_loop_test(tc, test_faults_handler_cannot_free_its_range_mid_access, 0,
	                    3);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(faults_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
