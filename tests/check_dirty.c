/* SPDX-License-Identifier: MIT */
/*
 * Check suite for dirty-page batching (lib/engine/dirty.c): nothing is
 * marked while the log is off; writes in one page, across pages, adjacent
 * and overlapping are coalesced into runs; a full table is reported before
 * it grows; turning the log off reports what is pending; failed reports are
 * counted as lost pages; a range at the top of the address space does not
 * wrap.
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dirty.h"

#define PG 4096u

/* What the "hypervisor" was told. */
static struct {
	struct ioreqd_dirty_run runs[256];
	unsigned nr, calls;
	int rc;
} hv;

static int report(void *arg, const struct ioreqd_dirty_run *runs, unsigned n)
{
	ck_assert_ptr_eq(arg, &hv);
	ck_assert_uint_gt(n, 0);
	hv.calls++;
	if (hv.rc)
		return hv.rc;
	for (unsigned i = 0; i < n && hv.nr < 256; i++)
		hv.runs[hv.nr++] = runs[i];
	return 0;
}

static struct ioreqd_dirty d;

static void setup(void)
{
	memset(&hv, 0, sizeof(hv));
	ioreqd_dirty_init(&d, report, &hv);
}

START_TEST(test_dirty_nothing_is_marked_while_off)
{
	ck_assert(!ioreqd_dirty_mark(&d, 0x1000, 8));
	ck_assert(!ioreqd_dirty_pending(&d));
	ck_assert_int_eq(ioreqd_dirty_flush(&d), 0);
	ck_assert_uint_eq(hv.calls, 0);
	ck_assert_uint_eq(d.st.marks, 0);
	ck_assert_int_eq(ioreqd_dirty_set(&d, true), 0);
	ck_assert(!ioreqd_dirty_mark(&d, 0x1000, 0));
	ck_assert(!ioreqd_dirty_pending(&d));
}
END_TEST

START_TEST(test_dirty_a_stream_of_writes_becomes_one_run)
{
	ioreqd_dirty_set(&d, true);
	/* A rep insb of 3 pages' worth, element by element, from 0x10ff0. */
	ck_assert(ioreqd_dirty_mark(&d, 0x10ff0, 1));
	for (uint64_t a = 0x10ff1; a < 0x10ff0 + 3 * PG; a++)
		ck_assert(!ioreqd_dirty_mark(&d, a, 1));
	ck_assert(ioreqd_dirty_pending(&d));
	ck_assert_int_eq(ioreqd_dirty_flush(&d), 0);
	ck_assert_uint_eq(hv.calls, 1);
	ck_assert_uint_eq(hv.nr, 1);
	ck_assert_uint_eq(hv.runs[0].first_pfn, 0x10);
	ck_assert_uint_eq(hv.runs[0].nr, 4);
	ck_assert_uint_eq(d.st.pages, 4);
	ck_assert_uint_eq(d.st.calls, 1);
	ck_assert_uint_eq(d.st.marks, 3 * PG);
	ck_assert(!ioreqd_dirty_pending(&d));
	/* The next write starts a new batch. */
	ck_assert(ioreqd_dirty_mark(&d, 0x10000, 4));
}
END_TEST

START_TEST(test_dirty_adjacent_overlapping_and_backward_writes_coalesce)
{
	ioreqd_dirty_set(&d, true);
	ioreqd_dirty_mark(&d, 5 * PG, PG);          /* pfn 5 */
	ioreqd_dirty_mark(&d, 9 * PG + 8, 16);      /* pfn 9: separate */
	ioreqd_dirty_mark(&d, 4 * PG + 100, 8);     /* pfn 4: before 5, adjacent */
	ioreqd_dirty_mark(&d, 5 * PG + 10, 2 * PG); /* 5..7: overlaps, extends */
	ioreqd_dirty_mark(&d, 8 * PG, 1);           /* 8: touches both */
	ioreqd_dirty_flush(&d);
	ck_assert_uint_eq(hv.calls, 1);
	/* 4..8 and 9..9, or all merged: every pfn 4..9 is covered, none else. */
	for (uint64_t pfn = 3; pfn <= 10; pfn++) {
		bool covered = false;

		for (unsigned i = 0; i < hv.nr; i++)
			covered |= pfn >= hv.runs[i].first_pfn &&
			           pfn < hv.runs[i].first_pfn + hv.runs[i].nr;
		ck_assert_msg(covered == (pfn >= 4 && pfn <= 9), "pfn %llu",
		              (unsigned long long)pfn);
	}
	ck_assert_uint_le(hv.nr, 2);
}
END_TEST

START_TEST(test_dirty_a_full_table_is_reported_before_it_grows)
{
	ioreqd_dirty_set(&d, true);
	for (unsigned i = 0; i < IOREQD_DIRTY_RUNS; i++)
		ioreqd_dirty_mark(&d, (uint64_t)i * 2 * PG, 1); /* every other page */
	ck_assert_uint_eq(hv.calls, 0);
	ioreqd_dirty_mark(&d, (uint64_t)IOREQD_DIRTY_RUNS * 2 * PG, 1);
	ck_assert_uint_eq(hv.calls, 1);
	ck_assert_uint_eq(hv.nr, IOREQD_DIRTY_RUNS);
	ck_assert(ioreqd_dirty_pending(&d));
	ck_assert_int_eq(ioreqd_dirty_set(&d, false), 0); /* off: the rest goes too */
	ck_assert_uint_eq(hv.calls, 2);
	ck_assert_uint_eq(hv.nr, IOREQD_DIRTY_RUNS + 1);
	ck_assert_uint_eq(d.st.pages, IOREQD_DIRTY_RUNS + 1);
	ck_assert(!ioreqd_dirty_mark(&d, 0, 1));
	ck_assert_uint_eq(d.st.enables, 1);
}
END_TEST

START_TEST(test_dirty_failed_reports_are_counted_and_dropped)
{
	ioreqd_dirty_set(&d, true);
	hv.rc = -EINVAL;
	ioreqd_dirty_mark(&d, 0, 3 * PG);
	ck_assert_int_eq(ioreqd_dirty_flush(&d), -EINVAL);
	ck_assert_uint_eq(d.st.errors, 1);
	ck_assert_uint_eq(d.st.lost, 3);
	ck_assert_uint_eq(d.st.pages, 0);
	ck_assert(!ioreqd_dirty_pending(&d));
	hv.rc = 0;
	ioreqd_dirty_mark(&d, 0, 1);
	ck_assert_int_eq(ioreqd_dirty_set(&d, false), 0);
	ck_assert_uint_eq(d.st.pages, 1);
}
END_TEST

START_TEST(test_dirty_the_top_of_the_address_space_does_not_wrap)
{
	ioreqd_dirty_set(&d, true);
	ioreqd_dirty_mark(&d, UINT64_MAX - 10, 100);
	ioreqd_dirty_flush(&d);
	ck_assert_uint_eq(hv.nr, 1);
	ck_assert_uint_eq(hv.runs[0].first_pfn, UINT64_MAX >> 12);
	ck_assert_uint_eq(hv.runs[0].nr, 1);
}
END_TEST

static Suite *dirty_suite(void)
{
	Suite *s = suite_create("dirty");
	TCase *tc = tcase_create("batching");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_dirty_nothing_is_marked_while_off);
	tcase_add_test(tc, test_dirty_a_stream_of_writes_becomes_one_run);
	tcase_add_test(tc, test_dirty_adjacent_overlapping_and_backward_writes_coalesce);
	tcase_add_test(tc, test_dirty_a_full_table_is_reported_before_it_grows);
	tcase_add_test(tc, test_dirty_failed_reports_are_counted_and_dropped);
	tcase_add_test(tc, test_dirty_the_top_of_the_address_space_does_not_wrap);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(dirty_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
