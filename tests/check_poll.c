/* SPDX-License-Identifier: MIT */
/*
 * Check suite for the adaptive poll policy (lib/engine/pollpolicy.c): the window
 * starts at zero, grows on a hit and on a request that came within the cap,
 * halves on a miss down to zero, never exceeds the cap, and stays zero when
 * polling is off.  Time is passed in, so nothing here depends on timing;
 * the spin loop (ioreqd_poll_spin) is checked by what it looks at and for at
 * least how long, never for at most how long.
 */
#include <check.h>
#include <stdlib.h>

#include "pollpolicy.h"

#define US 1000ull

START_TEST(test_poll_window_starts_at_zero_so_an_idle_daemon_never_spins)
{
	struct ioreqd_poll p;

	ioreqd_poll_init(&p, 50);
	ck_assert_uint_eq(ioreqd_poll_window(&p), 0);
	ck_assert_uint_eq(p.polls, 0);
	ck_assert_uint_eq(p.spin_ns, 0);
}
END_TEST

START_TEST(test_poll_zero_when_disabled)
{
	struct ioreqd_poll p;

	ioreqd_poll_init(&p, 0);
	ioreqd_poll_woken(&p, 1 * US);
	ck_assert_uint_eq(ioreqd_poll_window(&p), 0);
	ioreqd_poll_hit(&p, 0);
	ck_assert_uint_eq(ioreqd_poll_window(&p), 0);
	ck_assert_uint_eq(p.grows, 0);
}
END_TEST

START_TEST(test_poll_request_soon_after_the_last_starts_the_window)
{
	struct ioreqd_poll p;

	ioreqd_poll_init(&p, 50);
	ioreqd_poll_woken(&p, 20 * US);
	ck_assert_uint_eq(ioreqd_poll_window(&p), IOREQD_POLL_START_NS);
	ck_assert_uint_eq(p.grows, 1);
}
END_TEST

START_TEST(test_poll_request_long_after_the_last_leaves_the_window)
{
	struct ioreqd_poll p;

	ioreqd_poll_init(&p, 50);
	ioreqd_poll_woken(&p, 51 * US);
	ck_assert_uint_eq(ioreqd_poll_window(&p), 0);
	ioreqd_poll_woken(&p, 10 * US);
	ioreqd_poll_woken(&p, 1000 * US);
	ck_assert_uint_eq(ioreqd_poll_window(&p), IOREQD_POLL_START_NS);
}
END_TEST

START_TEST(test_poll_grows_on_hit)
{
	struct ioreqd_poll p;

	ioreqd_poll_init(&p, 200);
	ioreqd_poll_woken(&p, 1 * US);
	ioreqd_poll_hit(&p, 3 * US);
	ck_assert_uint_eq(ioreqd_poll_window(&p), 2 * IOREQD_POLL_START_NS);
	ioreqd_poll_hit(&p, 3 * US);
	ck_assert_uint_eq(ioreqd_poll_window(&p), 4 * IOREQD_POLL_START_NS);
	ck_assert_uint_eq(p.polls, 2);
	ck_assert_uint_eq(p.hits, 2);
	ck_assert_uint_eq(p.misses, 0);
	ck_assert_uint_eq(p.spin_ns, 6 * US);
}
END_TEST

START_TEST(test_poll_never_exceeds_cap)
{
	struct ioreqd_poll p;

	ioreqd_poll_init(&p, 50);
	ioreqd_poll_woken(&p, 1 * US);
	for (unsigned i = 0; i < 100; i++) {
		ioreqd_poll_hit(&p, 1 * US);
		ck_assert_uint_le(ioreqd_poll_window(&p), 50 * US);
	}
	ck_assert_uint_eq(ioreqd_poll_window(&p), 50 * US);
	/* 10 -> 20 -> 40 -> 50, then no more growth is counted. */
	ck_assert_uint_eq(p.grows, 4);
}
END_TEST

START_TEST(test_poll_cap_is_clamped_to_the_maximum)
{
	struct ioreqd_poll p;

	ioreqd_poll_init(&p, 100000);
	ck_assert_uint_eq(p.cap_ns, IOREQD_POLL_MAX_US * US);
	ioreqd_poll_woken(&p, 1 * US);
	for (unsigned i = 0; i < 100; i++)
		ioreqd_poll_hit(&p, 1 * US);
	ck_assert_uint_eq(ioreqd_poll_window(&p), IOREQD_POLL_MAX_US * US);
}
END_TEST

START_TEST(test_poll_shrinks_on_miss_down_to_zero)
{
	struct ioreqd_poll p;

	ioreqd_poll_init(&p, 200);
	ioreqd_poll_woken(&p, 1 * US);
	for (unsigned i = 0; i < 10; i++)
		ioreqd_poll_hit(&p, 1 * US);
	ck_assert_uint_eq(ioreqd_poll_window(&p), 200 * US);
	ioreqd_poll_miss(&p, 200 * US);
	ck_assert_uint_eq(ioreqd_poll_window(&p), 100 * US);
	ioreqd_poll_miss(&p, 100 * US);
	ck_assert_uint_eq(ioreqd_poll_window(&p), 50 * US);
	ioreqd_poll_miss(&p, 50 * US);
	ioreqd_poll_miss(&p, 25 * US);
	ck_assert_uint_eq(ioreqd_poll_window(&p), 12500);
	/* Below the first step, a spin is not worth it: straight to zero. */
	ioreqd_poll_miss(&p, 12500);
	ck_assert_uint_eq(ioreqd_poll_window(&p), 0);
	ck_assert_uint_eq(p.misses, 5);
	ck_assert_uint_eq(p.shrinks, 5);
	/* A miss at zero counts, but shrinks nothing. */
	ioreqd_poll_miss(&p, 0);
	ck_assert_uint_eq(p.shrinks, 5);
	/* Ten 1 us hits, then the misses. */
	ck_assert_uint_eq(p.spin_ns, (10 + 200 + 100 + 50 + 25) * US + 12500);
}
END_TEST

START_TEST(test_poll_learns_a_gap_longer_than_the_first_window)
{
	/*
	 * A guest whose next request comes 15 us after each answer, with the cap
	 * at 50 us: a spin shorter than that misses, and the request then comes
	 * through its notification, within the cap.  That wake-up says the spin
	 * was too short, not useless (KVM's halt polling grows then too), so the
	 * window must end up past the gap and catch the requests, rather than
	 * swing between 0 and 10 us and pay a missed spin for every request.
	 */
	const uint64_t gap = 15 * US;
	struct ioreqd_poll p;
	unsigned caught = 0;

	ioreqd_poll_init(&p, 50);
	for (unsigned i = 0; i < 20; i++) {
		uint64_t w = ioreqd_poll_window(&p);

		if (w >= gap) {
			ioreqd_poll_hit(&p, gap);
			caught++;
			continue;
		}
		if (w)
			ioreqd_poll_miss(&p, w);
		ioreqd_poll_woken(&p, gap);
	}
	ck_assert_uint_ge(ioreqd_poll_window(&p), gap);
	ck_assert_uint_ge(caught, 15);
	ck_assert_uint_le(ioreqd_poll_window(&p), 50 * US);
}
END_TEST

START_TEST(test_poll_miss_then_a_request_after_the_cap_keeps_the_halving)
{
	struct ioreqd_poll p;

	ioreqd_poll_init(&p, 50);
	ioreqd_poll_woken(&p, 1 * US);
	ioreqd_poll_hit(&p, 1 * US);
	ioreqd_poll_hit(&p, 1 * US);
	ck_assert_uint_eq(ioreqd_poll_window(&p), 40 * US);
	ioreqd_poll_miss(&p, 40 * US);
	ck_assert_uint_eq(ioreqd_poll_window(&p), 20 * US);
	/* Nothing a spin of the cap could have found: the halving stands. */
	ioreqd_poll_woken(&p, 51 * US);
	ck_assert_uint_eq(ioreqd_poll_window(&p), 20 * US);
	/* And a later wake-up within the cap grows from there, not from 40. */
	ioreqd_poll_woken(&p, 5 * US);
	ck_assert_uint_eq(ioreqd_poll_window(&p), 40 * US);
}
END_TEST

START_TEST(test_poll_alternating_hit_and_miss_stays_bounded)
{
	struct ioreqd_poll p;

	ioreqd_poll_init(&p, 50);
	ioreqd_poll_woken(&p, 1 * US);
	for (unsigned i = 0; i < 1000; i++) {
		if (i % 2)
			ioreqd_poll_miss(&p, ioreqd_poll_window(&p));
		else
			ioreqd_poll_hit(&p, 1 * US);
		ck_assert_uint_le(ioreqd_poll_window(&p), 50 * US);
	}
	ck_assert_uint_eq(p.hits + p.misses, p.polls);
}
END_TEST

/* A look that finds work at its nth call (0: never). */
struct looker {
	unsigned calls, found_at;
};

static int count_looks(void *arg)
{
	struct looker *l = arg;

	return ++l->calls == l->found_at;
}

START_TEST(test_poll_spin_stops_at_the_first_look_that_finds_work)
{
	struct looker l = {.found_at = 40};
	uint64_t spun = ~0ull;

	ck_assert_int_eq(ioreqd_poll_spin(10000000000ull, count_looks, &l, &spun), 1);
	ck_assert_uint_eq(l.calls, 40);
	ck_assert_uint_lt(spun, ~0ull);
	l = (struct looker){.found_at = 1};
	ck_assert_int_eq(ioreqd_poll_spin(0, count_looks, &l, &spun), 1);
	ck_assert_uint_eq(l.calls, 1);
}
END_TEST

START_TEST(test_poll_spin_with_nothing_to_find_runs_out_its_budget)
{
	struct looker l = {0};
	uint64_t spun = 0;

	ck_assert_int_eq(ioreqd_poll_spin(200 * US, count_looks, &l, &spun), 0);
	ck_assert_uint_ge(spun, 200 * US);
	ck_assert_uint_ge(l.calls, 16);
	/* A zero budget gives up at its first look at the clock. */
	l = (struct looker){0};
	ck_assert_int_eq(ioreqd_poll_spin(0, count_looks, &l, &spun), 0);
	ck_assert_uint_eq(l.calls, 16);
}
END_TEST

static Suite *poll_suite(void)
{
	Suite *s = suite_create("poll");
	TCase *tc = tcase_create("policy");

	tcase_add_test(tc, test_poll_window_starts_at_zero_so_an_idle_daemon_never_spins);
	tcase_add_test(tc, test_poll_zero_when_disabled);
	tcase_add_test(tc, test_poll_request_soon_after_the_last_starts_the_window);
	tcase_add_test(tc, test_poll_request_long_after_the_last_leaves_the_window);
	tcase_add_test(tc, test_poll_grows_on_hit);
	tcase_add_test(tc, test_poll_never_exceeds_cap);
	tcase_add_test(tc, test_poll_cap_is_clamped_to_the_maximum);
	tcase_add_test(tc, test_poll_shrinks_on_miss_down_to_zero);
	tcase_add_test(tc, test_poll_learns_a_gap_longer_than_the_first_window);
	tcase_add_test(tc, test_poll_miss_then_a_request_after_the_cap_keeps_the_halving);
	tcase_add_test(tc, test_poll_alternating_hit_and_miss_stays_bounded);
	tcase_add_test(tc, test_poll_spin_stops_at_the_first_look_that_finds_work);
	tcase_add_test(tc, test_poll_spin_with_nothing_to_find_runs_out_its_budget);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(poll_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
