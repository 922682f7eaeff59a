/* SPDX-License-Identifier: MIT */
/*
 * Check suite for handler chains (lib/chain.c): the handler installed later
 * gets control first, pass hands the access to the one installed before,
 * install reports a previous handler, uninstall works anywhere in the chain,
 * placement classes, per-handler counters, and an unknown verdict counting as
 * an error.  Accesses are driven through the engine's inject entry point so
 * the chain is exercised exactly as the daemon exercises it.
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "engine.h"
#include "log.h"

#define RANGE_BASE 0x100u
#define RANGE_LAST 0x10fu

/* --- a small recording handler library --- */

static int call_log[64];
static unsigned ncalls;

struct rec {
	int id;
	int verdict;    /* enum ioreqd_fault_result, or something invalid on purpose */
	uint64_t value; /* what a handled read returns */
	unsigned calls;
	void *seen_opaque;
	ioreqd_ticket_t ticket;
	ioreqd_fault_t *fault;
};

static enum ioreqd_fault_result rec_fn(ioreqd_fault_t *f, void *opaque)
{
	struct rec *r = opaque;

	r->calls++;
	r->seen_opaque = opaque;
	if (ncalls < sizeof(call_log) / sizeof(call_log[0]))
		call_log[ncalls++] = r->id;
	if (ioreqd_fault_is_read(f) && r->verdict == IOREQD_FAULT_HANDLED)
		ioreqd_fault_set_data(f, r->value);
	if (r->verdict == IOREQD_FAULT_DEFER) {
		r->ticket = ioreqd_fault_ticket(f);
		r->fault = f;
	}
	return (enum ioreqd_fault_result)r->verdict;
}

static void log_sink(int level, const char *msg, void *arg)
{
	(void)level;
	(void)msg;
	(*(unsigned *)arg)++;
}

static unsigned nlogs;
static struct ioreqd_bus *bus;
static struct ioreqd_range *range;
static struct ioreqd_engine *eng;

static int notify_nop(void *opaque, unsigned vcpu)
{
	(void)opaque;
	(void)vcpu;
	return 0;
}

static void setup(void)
{
	static const struct ioreqd_guest_ops ops_guest = {.notify = notify_nop};

	nlogs = 0;
	ioreqd_log_set_sink(log_sink, &nlogs);
	ncalls = 0;
	memset(call_log, 0, sizeof(call_log));
	bus = ioreqd_bus_new();
	ck_assert_ptr_nonnull(bus);
	ck_assert_int_eq(
	    ioreqd_bus_add(bus, IOREQD_SPACE_PIO, RANGE_BASE, RANGE_LAST, &range, NULL),
	    0);
	eng = ioreqd_engine_new(bus, NULL, 1, 1, &ops_guest, NULL, NULL, NULL);
	ck_assert_ptr_nonnull(eng);
}

static void teardown(void)
{
	ioreqd_engine_free(eng);
	ioreqd_bus_free(bus);
	ioreqd_log_set_sink(NULL, NULL);
}

static struct ioreqd_hnode *install(struct rec *r, enum ioreqd_order order,
                                    bool *had_prev)
{
	struct ioreqd_handler h = {
	    .name = "rec", .fn = rec_fn, .opaque = r, .order = order};
	struct ioreqd_hnode *n = NULL;

	ck_assert_int_eq(ioreqd_range_install(range, &h, &n, had_prev), 0);
	ck_assert_ptr_nonnull(n);
	return n;
}

/* One PIO access of 1 byte; returns the completed request. */
static ioreq_t access1(bool read, uint64_t data)
{
	ioreq_t req = {
	    .addr = RANGE_BASE + 2,
	    .data = data,
	    .count = 1,
	    .size = 1,
	    .state = STATE_IOREQ_READY,
	    .dir = read ? IOREQ_READ : IOREQ_WRITE,
	    .type = IOREQ_TYPE_PIO,
	};

	ncalls = 0;
	ck_assert_int_eq(ioreqd_engine_inject(eng, 0, &req), 1);
	ck_assert_uint_eq(req.state, STATE_IORESP_READY);
	return req;
}

/* The ids of the handlers in chain order, walking head -> next. */
static unsigned chain_ids(int *ids, unsigned max)
{
	unsigned n = 0;

	for (struct ioreqd_hnode *h = ioreqd_range_head(range); h && n < max;
	     h = ioreqd_hnode_next(h))
		ids[n++] = ((struct rec *)ioreqd_hnode_handler(h)->opaque)->id;
	return n;
}

START_TEST(test_chain_pass_and_handle_in_every_combination)
{
	/* Handler i handles when bit i of the combination is set. */
	for (unsigned combo = 0; combo < 8; combo++) {
		struct rec r[3];
		struct ioreqd_hnode *n[3];
		unsigned unhandled_before = ioreqd_engine_stats(eng)->unhandled;
		int expect_log[3];
		unsigned nexpect = 0;
		uint64_t expect_data = 0xff; /* all-ones for a 1-byte read */
		ioreq_t req;

		for (int i = 0; i < 3; i++) {
			r[i] = (struct rec){.id = i + 1,
			                    .verdict = (combo >> i) & 1
			                                   ? IOREQD_FAULT_HANDLED
			                                   : IOREQD_FAULT_PASS,
			                    .value = 0x10u + (unsigned)i};
			n[i] = install(&r[i], IOREQD_ORDER_NORMAL, NULL);
		}
		/* Installed 1, 2, 3: handler 3 runs first, then 2, then 1. */
		for (int i = 2; i >= 0; i--) {
			expect_log[nexpect++] = r[i].id;
			if ((combo >> i) & 1) {
				expect_data = r[i].value;
				break;
			}
		}
		req = access1(true, 0);
		ck_assert_msg(ncalls == nexpect, "combo %u: %u calls, want %u", combo,
		              ncalls, nexpect);
		for (unsigned k = 0; k < nexpect; k++)
			ck_assert_int_eq(call_log[k], expect_log[k]);
		ck_assert_uint_eq(req.data, expect_data);
		ck_assert_uint_eq(ioreqd_engine_stats(eng)->unhandled,
		                  unhandled_before + (combo == 0 ? 1 : 0));
		/* Per-handler pass counters match who passed. */
		for (int i = 0; i < 3; i++) {
			const struct ioreqd_counters *c = ioreqd_hnode_counters(n[i]);
			bool ran = false;

			for (unsigned k = 0; k < nexpect; k++)
				ran |= expect_log[k] == r[i].id;
			ck_assert_uint_eq(c->accesses, ran ? 1 : 0);
			ck_assert_uint_eq(c->passes, ran && !((combo >> i) & 1) ? 1 : 0);
		}
		for (int i = 0; i < 3; i++)
			ck_assert_int_eq(ioreqd_range_uninstall(range, n[i]), 0);
		ck_assert_uint_eq(ioreqd_range_chain_length(range), 0);
	}
}
END_TEST

START_TEST(test_chain_handler_receives_its_opaque)
{
	struct rec a = {.id = 1, .verdict = IOREQD_FAULT_HANDLED};

	install(&a, IOREQD_ORDER_NORMAL, NULL);
	access1(false, 0x5a);
	ck_assert_uint_eq(a.calls, 1);
	ck_assert_ptr_eq(a.seen_opaque, &a);
}
END_TEST

START_TEST(test_chain_install_reports_previous_handler)
{
	struct rec a = {.id = 1, .verdict = IOREQD_FAULT_PASS};
	struct rec b = {.id = 2, .verdict = IOREQD_FAULT_PASS};
	struct ioreqd_hnode *na, *nb;
	bool had = true;

	na = install(&a, IOREQD_ORDER_NORMAL, &had);
	ck_assert(!had);
	nb = install(&b, IOREQD_ORDER_NORMAL, &had);
	ck_assert(had);
	ck_assert_uint_eq(ioreqd_range_chain_length(range), 2);
	ck_assert_int_eq(ioreqd_range_uninstall(range, na), 0);
	ck_assert_int_eq(ioreqd_range_uninstall(range, nb), 0);
	had = true;
	install(&a, IOREQD_ORDER_LAST, &had);
	ck_assert(!had);
	/* Any class counts as a previous handler. */
	install(&b, IOREQD_ORDER_FIRST, &had);
	ck_assert(had);
}
END_TEST

START_TEST(test_chain_install_rejects_bad_handler)
{
	struct rec a = {.id = 1};
	struct ioreqd_handler nofn = {.name = "nofn", .fn = NULL, .opaque = &a};
	struct ioreqd_handler badorder = {
	    .name = "bad", .fn = rec_fn, .opaque = &a, .order = (enum ioreqd_order)3};
	struct ioreqd_hnode *n = (struct ioreqd_hnode *)&n;
	bool had = true;

	install(&a, IOREQD_ORDER_NORMAL, NULL);
	ck_assert_int_eq(ioreqd_range_install(range, &nofn, &n, &had), -EINVAL);
	ck_assert_ptr_null(n);
	ck_assert(!had);
	n = (struct ioreqd_hnode *)&n;
	ck_assert_int_eq(ioreqd_range_install(range, &badorder, &n, &had), -EINVAL);
	ck_assert_ptr_null(n);
	ck_assert_int_eq(ioreqd_range_install(range, NULL, &n, NULL), -EINVAL);
	ck_assert_int_eq(ioreqd_range_install(NULL, &nofn, NULL, NULL), -EINVAL);
	ck_assert_uint_eq(ioreqd_range_chain_length(range), 1);
}
END_TEST

/* Install 1..4 (normal), remove @p victim, check order and who runs. */
static void check_uninstall(int victim)
{
	struct rec r[4];
	struct ioreqd_hnode *n[4];
	int ids[8];
	int want[3];
	unsigned nw = 0;

	for (int i = 0; i < 4; i++) {
		r[i] = (struct rec){.id = i + 1, .verdict = IOREQD_FAULT_PASS};
		n[i] = install(&r[i], IOREQD_ORDER_NORMAL, NULL);
	}
	ck_assert_int_eq(ioreqd_range_uninstall(range, n[victim - 1]), 0);
	for (int id = 4; id >= 1; id--)
		if (id != victim)
			want[nw++] = id;
	ck_assert_uint_eq(chain_ids(ids, 8), 3);
	ck_assert_uint_eq(ioreqd_range_chain_length(range), 3);
	for (unsigned k = 0; k < 3; k++)
		ck_assert_int_eq(ids[k], want[k]);
	access1(false, 1);
	ck_assert_uint_eq(ncalls, 3);
	for (unsigned k = 0; k < 3; k++)
		ck_assert_int_eq(call_log[k], want[k]);
	ck_assert_uint_eq(r[victim - 1].calls, 0);
	/* The others still come out one by one. */
	for (int i = 0; i < 4; i++)
		if (i != victim - 1)
			ck_assert_int_eq(ioreqd_range_uninstall(range, n[i]), 0);
	ck_assert_ptr_null(ioreqd_range_head(range));
}

START_TEST(test_chain_uninstall_from_middle)
{
	check_uninstall(2);
}
END_TEST

START_TEST(test_chain_uninstall_head)
{
	check_uninstall(4); /* installed last, so at the head */
}
END_TEST

START_TEST(test_chain_uninstall_tail)
{
	check_uninstall(1); /* installed first, so at the tail */
}
END_TEST

START_TEST(test_chain_uninstall_refuses_foreign_node)
{
	struct ioreqd_range *other = NULL;
	struct rec a = {.id = 1, .verdict = IOREQD_FAULT_PASS};
	struct ioreqd_handler h = {.name = "x", .fn = rec_fn, .opaque = &a};
	struct ioreqd_hnode *theirs = NULL;

	install(&a, IOREQD_ORDER_NORMAL, NULL);
	ck_assert_int_eq(
	    ioreqd_bus_add(bus, IOREQD_SPACE_PIO, 0x200, 0x20f, &other, NULL), 0);
	ck_assert_int_eq(ioreqd_range_install(other, &h, &theirs, NULL), 0);
	ck_assert_int_eq(ioreqd_range_uninstall(range, theirs), -ENOENT);
	ck_assert_int_eq(ioreqd_range_uninstall(range, NULL), -ENOENT);
	ck_assert_uint_eq(ioreqd_range_chain_length(range), 1);
	ck_assert_uint_eq(ioreqd_range_chain_length(other), 1);
}
END_TEST

START_TEST(test_chain_order_classes_first_normal_last)
{
	struct rec r[7];
	static const enum ioreqd_order order[7] = {
	    IOREQD_ORDER_LAST,   IOREQD_ORDER_NORMAL, IOREQD_ORDER_FIRST,
	    IOREQD_ORDER_NORMAL, IOREQD_ORDER_LAST,   IOREQD_ORDER_FIRST,
	    IOREQD_ORDER_NORMAL,
	};
	/* Firsts newest first, then normals newest first, then lasts newest first. */
	static const int want[7] = {6, 3, 7, 4, 2, 5, 1};
	int ids[8];

	for (int i = 0; i < 7; i++) {
		r[i] = (struct rec){.id = i + 1, .verdict = IOREQD_FAULT_PASS};
		install(&r[i], order[i], NULL);
	}
	ck_assert_uint_eq(chain_ids(ids, 8), 7);
	for (int k = 0; k < 7; k++)
		ck_assert_int_eq(ids[k], want[k]);
	access1(true, 0);
	ck_assert_uint_eq(ncalls, 7);
	for (int k = 0; k < 7; k++)
		ck_assert_int_eq(call_log[k], want[k]);
}
END_TEST

START_TEST(test_chain_counts_per_handler)
{
	struct rec top = {.id = 1, .verdict = IOREQD_FAULT_PASS};
	struct rec mid = {.id = 2, .verdict = IOREQD_FAULT_HANDLED, .value = 7};
	struct rec bot = {.id = 3, .verdict = IOREQD_FAULT_HANDLED};
	struct ioreqd_hnode *nb = install(&bot, IOREQD_ORDER_NORMAL, NULL);
	struct ioreqd_hnode *nm = install(&mid, IOREQD_ORDER_NORMAL, NULL);
	struct ioreqd_hnode *nt = install(&top, IOREQD_ORDER_NORMAL, NULL);
	const struct ioreqd_counters *ct = ioreqd_hnode_counters(nt);
	const struct ioreqd_counters *cm = ioreqd_hnode_counters(nm);
	const struct ioreqd_counters *cb = ioreqd_hnode_counters(nb);
	ioreq_t req;

	/* 3 reads and 2 writes handled by mid. */
	for (int i = 0; i < 3; i++)
		access1(true, 0);
	for (int i = 0; i < 2; i++)
		access1(false, 9);
	/* 1 error from mid. */
	mid.verdict = IOREQD_FAULT_ERROR;
	req = access1(true, 0);
	ck_assert_uint_eq(req.data, 0xff);
	/* 1 deferral from mid, then completed. */
	mid.verdict = IOREQD_FAULT_DEFER;
	req = (ioreq_t){.addr = RANGE_BASE,
	                .count = 1,
	                .size = 1,
	                .state = STATE_IOREQ_READY,
	                .dir = IOREQ_WRITE,
	                .type = IOREQ_TYPE_PIO};
	ck_assert_int_eq(ioreqd_engine_inject(eng, 0, &req), 0);
	ck_assert_int_eq(ioreqd_fault_advance(mid.fault), 0);
	ck_assert_uint_eq(req.state, STATE_IORESP_READY);
	/* 1 access passed all the way down to bot. */
	mid.verdict = IOREQD_FAULT_PASS;
	access1(false, 3);

	ck_assert_uint_eq(ct->accesses, 8);
	ck_assert_uint_eq(ct->reads, 4);
	ck_assert_uint_eq(ct->writes, 4);
	ck_assert_uint_eq(ct->passes, 8);
	ck_assert_uint_eq(ct->defers, 0);
	ck_assert_uint_eq(ct->errors, 0);

	ck_assert_uint_eq(cm->accesses, 8);
	ck_assert_uint_eq(cm->reads, 4);
	ck_assert_uint_eq(cm->writes, 4);
	ck_assert_uint_eq(cm->passes, 1);
	ck_assert_uint_eq(cm->defers, 1);
	ck_assert_uint_eq(cm->errors, 1);

	ck_assert_uint_eq(cb->accesses, 1);
	ck_assert_uint_eq(cb->reads, 0);
	ck_assert_uint_eq(cb->writes, 1);
	ck_assert_uint_eq(cb->passes, 0);
	ck_assert_uint_eq(cb->defers, 0);
	ck_assert_uint_eq(cb->errors, 0);
	ck_assert_uint_eq(bot.calls, 1);
}
END_TEST

START_TEST(test_chain_unknown_result_counts_as_error)
{
	struct rec below = {.id = 1, .verdict = IOREQD_FAULT_HANDLED, .value = 0x42};
	struct rec rogue = {.id = 2, .verdict = 1234, .value = 0x11};
	struct ioreqd_hnode *nr;
	ioreq_t req;

	install(&below, IOREQD_ORDER_NORMAL, NULL);
	nr = install(&rogue, IOREQD_ORDER_NORMAL, NULL);
	req = access1(true, 0);
	/* Treated as an error: the chain stops, the read sees all-ones. */
	ck_assert_uint_eq(req.data, 0xff);
	ck_assert_uint_eq(below.calls, 0);
	ck_assert_uint_eq(ioreqd_hnode_counters(nr)->errors, 1);
	ck_assert_uint_eq(ioreqd_hnode_counters(nr)->passes, 0);
	ck_assert_uint_eq(ioreqd_engine_stats(eng)->handler_errors, 1);
	ck_assert_uint_eq(ioreqd_engine_stats(eng)->unhandled, 0);
	ck_assert_uint_eq(ioreqd_range_counters(range)->errors, 1);
	/* A negative value is just as unknown. */
	rogue.verdict = -1;
	access1(false, 0);
	ck_assert_uint_eq(ioreqd_hnode_counters(nr)->errors, 2);
	ck_assert_uint_eq(ioreqd_engine_stats(eng)->handler_errors, 2);
	ck_assert_uint_gt(nlogs, 0);
}
END_TEST

START_TEST(test_chain_error_stops_the_chain)
{
	struct rec below = {.id = 1, .verdict = IOREQD_FAULT_HANDLED};
	struct rec failing = {.id = 2, .verdict = IOREQD_FAULT_ERROR};

	install(&below, IOREQD_ORDER_NORMAL, NULL);
	install(&failing, IOREQD_ORDER_NORMAL, NULL);
	ck_assert_uint_eq(access1(true, 0).data, 0xff);
	ck_assert_uint_eq(failing.calls, 1);
	ck_assert_uint_eq(below.calls, 0);
}
END_TEST

START_TEST(test_chain_empty_range_is_unhandled)
{
	ioreq_t req = access1(true, 0);

	ck_assert_uint_eq(req.data, 0xff);
	ck_assert_uint_eq(ioreqd_engine_stats(eng)->unhandled, 1);
	ck_assert_ptr_null(ioreqd_range_head(range));
	ck_assert_uint_eq(ioreqd_range_chain_length(range), 0);
}
END_TEST

START_TEST(test_chain_handler_keeps_name_and_order)
{
	struct rec a = {.id = 1};
	struct ioreqd_handler h = {
	    .name = "uart", .fn = rec_fn, .opaque = &a, .order = IOREQD_ORDER_LAST};
	struct ioreqd_hnode *n = NULL;
	const struct ioreqd_handler *got;

	ck_assert_int_eq(ioreqd_range_install(range, &h, &n, NULL), 0);
	h.name = "changed"; /* the node keeps its own copy */
	got = ioreqd_hnode_handler(n);
	ck_assert_str_eq(got->name, "uart");
	ck_assert_ptr_eq(got->fn, rec_fn);
	ck_assert_ptr_eq(got->opaque, &a);
	ck_assert_int_eq(got->order, IOREQD_ORDER_LAST);
	ck_assert_ptr_eq(ioreqd_range_head(range), n);
	ck_assert_ptr_null(ioreqd_hnode_next(n));
}
END_TEST

START_TEST(test_chain_removing_range_frees_its_chain)
{
	struct rec a = {.id = 1}, b = {.id = 2};
	struct ioreqd_range *r2 = NULL;
	struct ioreqd_handler h = {.name = "x", .fn = rec_fn, .opaque = &a};

	ck_assert_int_eq(
	    ioreqd_bus_add(bus, IOREQD_SPACE_MMIO, 0x1000, 0x1fff, &r2, NULL), 0);
	ck_assert_int_eq(ioreqd_range_install(r2, &h, NULL, NULL), 0);
	h.opaque = &b;
	ck_assert_int_eq(ioreqd_range_install(r2, &h, NULL, NULL), 0);
	ck_assert_uint_eq(ioreqd_range_chain_length(r2), 2);
	/* valgrind reports the nodes if remove leaks them. */
	ck_assert_int_eq(ioreqd_bus_remove(bus, r2), 0);
	ck_assert_uint_eq(ioreqd_bus_count(bus, IOREQD_SPACE_MMIO), 0);
}
END_TEST

static Suite *chain_suite(void)
{
	Suite *s = suite_create("chain");
	TCase *tc = tcase_create("chain");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_chain_pass_and_handle_in_every_combination);
	tcase_add_test(tc, test_chain_handler_receives_its_opaque);
	tcase_add_test(tc, test_chain_install_reports_previous_handler);
	tcase_add_test(tc, test_chain_install_rejects_bad_handler);
	tcase_add_test(tc, test_chain_uninstall_from_middle);
	tcase_add_test(tc, test_chain_uninstall_head);
	tcase_add_test(tc, test_chain_uninstall_tail);
	tcase_add_test(tc, test_chain_uninstall_refuses_foreign_node);
	tcase_add_test(tc, test_chain_order_classes_first_normal_last);
	tcase_add_test(tc, test_chain_counts_per_handler);
	tcase_add_test(tc, test_chain_unknown_result_counts_as_error);
	tcase_add_test(tc, test_chain_error_stops_the_chain);
	tcase_add_test(tc, test_chain_empty_range_is_unhandled);
	tcase_add_test(tc, test_chain_handler_keeps_name_and_order);
	tcase_add_test(tc, test_chain_removing_range_frees_its_chain);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(chain_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
