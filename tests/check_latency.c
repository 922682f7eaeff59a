/* SPDX-License-Identifier: MIT */
/*
 * Check suite for the round-trip breakdown (lib/util/latency.c): nothing is
 * reported when it is off, each part is the median of its own stretch, the
 * ring keeps only the most recent samples, and absurd stretches saturate.
 */
#include "latency.h"

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ITEMS 16

struct item {
	char group[16];
	char name[16];
	uint64_t value;
};

static struct item items[MAX_ITEMS];
static unsigned nr_items;

static void emit(void *ctx, const char *group, const char *name, uint64_t value)
{
	(void)ctx;
	ck_assert_uint_lt(nr_items, MAX_ITEMS);
	strncpy(items[nr_items].group, group, sizeof(items[0].group) - 1);
	strncpy(items[nr_items].name, name, sizeof(items[0].name) - 1);
	items[nr_items].value = value;
	nr_items++;
}

static uint64_t value_of(const char *name)
{
	for (unsigned i = 0; i < nr_items; i++)
		if (strcmp(items[i].name, name) == 0) {
			ck_assert_str_eq(items[i].group, "latency");
			return items[i].value;
		}
	ck_abort_msg("no item %s", name);
	return 0;
}

static void report(const struct ioreqd_latency *l)
{
	memset(items, 0, sizeof(items));
	nr_items = 0;
	ioreqd_latency_report(l, emit, NULL);
}

/* One sample whose parts last @w, @h and @n ns, starting at @t. */
static void add(struct ioreqd_latency *l, uint64_t t, uint64_t w, uint64_t h, uint64_t n)
{
	ioreqd_latency_add(l, t, t + w, t + w + h, t + w + h + n);
}

START_TEST(test_latency_off_reports_and_records_nothing)
{
	struct ioreqd_latency l;

	memset(&l, 0, sizeof(l));
	ck_assert(!ioreqd_latency_on(&l));
	add(&l, 100, 1, 2, 3);
	report(&l);
	ck_assert_uint_eq(nr_items, 0);
	ck_assert_uint_eq(l.samples, 0);
	ioreqd_latency_free(&l);
}
END_TEST

START_TEST(test_latency_on_without_samples_reports_only_the_count)
{
	struct ioreqd_latency l;

	ck_assert_int_eq(ioreqd_latency_init(&l), 0);
	ck_assert(ioreqd_latency_on(&l));
	report(&l);
	ck_assert_uint_eq(nr_items, 1);
	ck_assert_uint_eq(value_of("samples"), 0);
	ioreqd_latency_free(&l);
	ck_assert(!ioreqd_latency_on(&l));
}
END_TEST

START_TEST(test_latency_parts_are_medians_of_their_own_stretch)
{
	struct ioreqd_latency l;

	ck_assert_int_eq(ioreqd_latency_init(&l), 0);
	/* Five samples; one outlier per part must not move the medians. */
	add(&l, 1000, 10, 200, 30);
	add(&l, 2000, 11, 210, 31);
	add(&l, 3000, 900, 205, 32);
	add(&l, 4000, 12, 9000, 33);
	add(&l, 5000, 13, 207, 8000);
	report(&l);
	ck_assert_uint_eq(value_of("samples"), 5);
	ck_assert_uint_eq(value_of("wake_ns"), 12);
	ck_assert_uint_eq(value_of("handle_ns"), 207);
	ck_assert_uint_eq(value_of("notify_ns"), 32);
	/* Totals 240, 252, 1137, 9045, 8220: median 1137, p90 the largest. */
	ck_assert_uint_eq(value_of("total_ns"), 1137);
	ck_assert_uint_eq(value_of("total_p90_ns"), 9045);
	ioreqd_latency_free(&l);
}
END_TEST

START_TEST(test_latency_ring_keeps_only_the_most_recent_samples)
{
	struct ioreqd_latency l;

	ck_assert_int_eq(ioreqd_latency_init(&l), 0);
	for (unsigned i = 0; i < IOREQD_LATENCY_RING; i++)
		add(&l, i * 100000ull, 50000, 1, 1);
	for (unsigned i = 0; i < IOREQD_LATENCY_RING; i++)
		add(&l, (IOREQD_LATENCY_RING + i) * 100000ull, 5, 7, 9);
	report(&l);
	ck_assert_uint_eq(value_of("samples"), 2 * IOREQD_LATENCY_RING);
	ck_assert_uint_eq(value_of("wake_ns"), 5);
	ck_assert_uint_eq(value_of("handle_ns"), 7);
	ck_assert_uint_eq(value_of("notify_ns"), 9);
	ck_assert_uint_eq(value_of("total_ns"), 21);
	ioreqd_latency_free(&l);
}
END_TEST

START_TEST(test_latency_long_or_backward_stretches_saturate_or_count_zero)
{
	struct ioreqd_latency l;

	ck_assert_int_eq(ioreqd_latency_init(&l), 0);
	/* A handler that took 10 s; a clock that went backwards for notify. */
	ioreqd_latency_add(&l, 0, 1, 10000000001ull, 10000000000ull);
	report(&l);
	ck_assert_uint_eq(value_of("wake_ns"), 1);
	ck_assert_uint_eq(value_of("handle_ns"), UINT32_MAX);
	ck_assert_uint_eq(value_of("notify_ns"), 0);
	ck_assert_uint_eq(value_of("total_ns"), 1ull + UINT32_MAX);
	ioreqd_latency_free(&l);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("latency");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_latency_off_reports_and_records_nothing);
	tcase_add_test(tc, test_latency_on_without_samples_reports_only_the_count);
	tcase_add_test(tc, test_latency_parts_are_medians_of_their_own_stretch);
	tcase_add_test(tc, test_latency_ring_keeps_only_the_most_recent_samples);
	tcase_add_test(tc,
	               test_latency_long_or_backward_stretches_saturate_or_count_zero);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
