/* SPDX-License-Identifier: MIT */
/*
 * Check suite for the bus (lib/bus.c): range registration rules (zero size,
 * wraparound, a range ending at UINT64_MAX, overlap on either side, enclosing
 * and enclosed ranges, adjacency, PIO and PCI limits), the binary-search
 * lookup compared against a linear scan, straddling accesses, removal, exact
 * find, foreach order and the PCI config address decoding.
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "bus.h"

static struct ioreqd_bus *bus;

static void setup(void)
{
	bus = ioreqd_bus_new();
	ck_assert_ptr_nonnull(bus);
}

static void teardown(void)
{
	ioreqd_bus_free(bus);
	bus = NULL;
}

/* Add a range that must be accepted; returns it. */
static struct ioreqd_range *must_add(enum ioreqd_space space, uint64_t base,
                                     uint64_t last)
{
	struct ioreqd_range *r = NULL;
	const char *why = "unset";
	int rc = ioreqd_bus_add(bus, space, base, last, &r, &why);

	ck_assert_msg(rc == 0, "add [0x%llx, 0x%llx] failed: %d (%s)",
	              (unsigned long long)base, (unsigned long long)last, rc,
	              why ? why : "?");
	ck_assert_ptr_null(why);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(ioreqd_range_base(r), base);
	ck_assert_uint_eq(ioreqd_range_last(r), last);
	ck_assert_int_eq(ioreqd_range_space(r), space);
	return r;
}

/* Add a range that must be refused with @p want; checks nothing changed. */
static void must_reject(enum ioreqd_space space, uint64_t base, uint64_t last, int want)
{
	struct ioreqd_range *r = (struct ioreqd_range *)&r; /* poison: must be cleared */
	const char *why = NULL;
	unsigned before = ioreqd_bus_count(bus, space);
	int rc = ioreqd_bus_add(bus, space, base, last, &r, &why);

	ck_assert_int_eq(rc, want);
	ck_assert_ptr_null(r);
	ck_assert_ptr_nonnull(why);
	ck_assert_uint_eq(ioreqd_bus_count(bus, space), before);
}

START_TEST(test_bus_rejects_zero_size)
{
	struct ioreqd_range *r = (struct ioreqd_range *)&r;
	const char *why = NULL;

	ck_assert_int_eq(
	    ioreqd_bus_add_sized(bus, IOREQD_SPACE_MMIO, 0x1000, 0, &r, &why), -EINVAL);
	ck_assert_ptr_null(r);
	ck_assert_str_eq(why, "range has size 0");
	ck_assert_uint_eq(ioreqd_bus_count(bus, IOREQD_SPACE_MMIO), 0);
}
END_TEST

START_TEST(test_bus_rejects_base_above_last)
{
	must_reject(IOREQD_SPACE_MMIO, 0x2000, 0x1fff, -EINVAL);
	must_reject(IOREQD_SPACE_PIO, 0x61, 0x60, -EINVAL);
	must_reject(IOREQD_SPACE_MMIO, UINT64_MAX, 0, -EINVAL);
}
END_TEST

START_TEST(test_bus_accepts_single_byte_range)
{
	struct ioreqd_range *r = must_add(IOREQD_SPACE_PIO, 0x80, 0x80);

	ck_assert_ptr_eq(ioreqd_bus_lookup(bus, IOREQD_SPACE_PIO, 0x80, 1), r);
	ck_assert_ptr_null(ioreqd_bus_lookup(bus, IOREQD_SPACE_PIO, 0x80, 2));
	ck_assert_ptr_null(ioreqd_bus_lookup(bus, IOREQD_SPACE_PIO, 0x7f, 1));
	ck_assert_ptr_null(ioreqd_bus_lookup(bus, IOREQD_SPACE_PIO, 0x81, 1));
}
END_TEST

START_TEST(test_bus_accepts_range_ending_at_uint64_max)
{
	struct ioreqd_range *r =
	    must_add(IOREQD_SPACE_MMIO, UINT64_MAX - 0xfff, UINT64_MAX);

	/* The top byte is inside; an access there of size 1 is found... */
	ck_assert_ptr_eq(ioreqd_bus_lookup(bus, IOREQD_SPACE_MMIO, UINT64_MAX, 1), r);
	ck_assert_ptr_eq(ioreqd_bus_lookup(bus, IOREQD_SPACE_MMIO, UINT64_MAX - 1, 2), r);
	ck_assert_ptr_eq(ioreqd_bus_lookup(bus, IOREQD_SPACE_MMIO, UINT64_MAX - 7, 8), r);
	ck_assert_ptr_eq(ioreqd_bus_lookup(bus, IOREQD_SPACE_MMIO, UINT64_MAX - 0xfff, 4),
	                 r);
	/* ...but an access of size 2 there wraps to address 0: not found. */
	ck_assert_ptr_null(ioreqd_bus_lookup(bus, IOREQD_SPACE_MMIO, UINT64_MAX, 2));
	ck_assert_ptr_null(ioreqd_bus_lookup(bus, IOREQD_SPACE_MMIO, UINT64_MAX - 6, 8));
	/* A range at address 0 does not catch the wrapped access either. */
	must_add(IOREQD_SPACE_MMIO, 0, 0xff);
	ck_assert_ptr_null(ioreqd_bus_lookup(bus, IOREQD_SPACE_MMIO, UINT64_MAX, 2));
	/* And the last byte cannot be registered twice. */
	must_reject(IOREQD_SPACE_MMIO, UINT64_MAX, UINT64_MAX, -EEXIST);
}
END_TEST

START_TEST(test_bus_accepts_whole_space_range)
{
	struct ioreqd_range *r = must_add(IOREQD_SPACE_MMIO, 0, UINT64_MAX);

	ck_assert_ptr_eq(ioreqd_bus_lookup(bus, IOREQD_SPACE_MMIO, 0, 8), r);
	ck_assert_ptr_eq(ioreqd_bus_lookup(bus, IOREQD_SPACE_MMIO, UINT64_MAX, 1), r);
	must_reject(IOREQD_SPACE_MMIO, 0x1000, 0x1fff, -EEXIST);
}
END_TEST

START_TEST(test_bus_add_sized_rejects_wraparound)
{
	struct ioreqd_range *r = (struct ioreqd_range *)&r;
	const char *why = NULL;

	ck_assert_int_eq(
	    ioreqd_bus_add_sized(bus, IOREQD_SPACE_MMIO, UINT64_MAX - 1, 3, &r, &why),
	    -EINVAL);
	ck_assert_ptr_null(r);
	ck_assert_str_eq(why, "range wraps around the address space");
	ck_assert_int_eq(
	    ioreqd_bus_add_sized(bus, IOREQD_SPACE_MMIO, 2, UINT64_MAX, &r, &why),
	    -EINVAL);
	ck_assert_uint_eq(ioreqd_bus_count(bus, IOREQD_SPACE_MMIO), 0);
	/* Exactly reaching the top is fine. */
	ck_assert_int_eq(
	    ioreqd_bus_add_sized(bus, IOREQD_SPACE_MMIO, UINT64_MAX - 1, 2, &r, &why), 0);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(ioreqd_range_last(r), UINT64_MAX);
	ck_assert_int_eq(
	    ioreqd_bus_add_sized(bus, IOREQD_SPACE_MMIO, 0, UINT64_MAX - 1, &r, &why), 0);
	ck_assert_uint_eq(ioreqd_range_last(r), UINT64_MAX - 2);
}
END_TEST

START_TEST(test_bus_add_sized_uses_inclusive_last)
{
	struct ioreqd_range *r = NULL;

	ck_assert_int_eq(ioreqd_bus_add_sized(bus, IOREQD_SPACE_PIO, 0x3f8, 8, &r, NULL),
	                 0);
	ck_assert_uint_eq(ioreqd_range_base(r), 0x3f8);
	ck_assert_uint_eq(ioreqd_range_last(r), 0x3ff);
	ck_assert_ptr_eq(ioreqd_bus_lookup(bus, IOREQD_SPACE_PIO, 0x3ff, 1), r);
	ck_assert_ptr_null(ioreqd_bus_lookup(bus, IOREQD_SPACE_PIO, 0x400, 1));
}
END_TEST

START_TEST(test_bus_rejects_overlap_on_low_side)
{
	must_add(IOREQD_SPACE_MMIO, 0x1000, 0x1fff);
	must_reject(IOREQD_SPACE_MMIO, 0x800, 0x1000, -EEXIST);
	must_reject(IOREQD_SPACE_MMIO, 0x0, 0x17ff, -EEXIST);
}
END_TEST

START_TEST(test_bus_rejects_overlap_on_high_side)
{
	must_add(IOREQD_SPACE_MMIO, 0x1000, 0x1fff);
	must_reject(IOREQD_SPACE_MMIO, 0x1fff, 0x2fff, -EEXIST);
	must_reject(IOREQD_SPACE_MMIO, 0x1800, UINT64_MAX, -EEXIST);
}
END_TEST

START_TEST(test_bus_rejects_range_enclosing_existing)
{
	must_add(IOREQD_SPACE_MMIO, 0x1000, 0x1fff);
	must_reject(IOREQD_SPACE_MMIO, 0x800, 0x27ff, -EEXIST);
	must_reject(IOREQD_SPACE_MMIO, 0, UINT64_MAX, -EEXIST);
	/* Enclosing several existing ranges, with gaps between them. */
	must_add(IOREQD_SPACE_MMIO, 0x3000, 0x3fff);
	must_add(IOREQD_SPACE_MMIO, 0x5000, 0x5fff);
	must_reject(IOREQD_SPACE_MMIO, 0x2800, 0x6000, -EEXIST);
	/* Enclosing one that is not the floor's successor's neighbour. */
	must_reject(IOREQD_SPACE_MMIO, 0x2000, 0x4fff, -EEXIST);
	ck_assert_uint_eq(ioreqd_bus_count(bus, IOREQD_SPACE_MMIO), 3);
}
END_TEST

START_TEST(test_bus_rejects_range_enclosed_by_existing)
{
	must_add(IOREQD_SPACE_MMIO, 0x1000, 0x1fff);
	must_reject(IOREQD_SPACE_MMIO, 0x1100, 0x11ff, -EEXIST);
	must_reject(IOREQD_SPACE_MMIO, 0x1000, 0x1fff, -EEXIST); /* identical */
	must_reject(IOREQD_SPACE_MMIO, 0x1000, 0x1000, -EEXIST); /* first byte */
	must_reject(IOREQD_SPACE_MMIO, 0x1fff, 0x1fff, -EEXIST); /* last byte */
}
END_TEST

START_TEST(test_bus_accepts_adjacent_ranges)
{
	struct ioreqd_range *a = must_add(IOREQD_SPACE_PIO, 0x100, 0x1ff);
	struct ioreqd_range *b = must_add(IOREQD_SPACE_PIO, 0x200, 0x2ff);
	struct ioreqd_range *c = must_add(IOREQD_SPACE_PIO, 0x0, 0xff);

	ck_assert_uint_eq(ioreqd_bus_count(bus, IOREQD_SPACE_PIO), 3);
	ck_assert_ptr_eq(ioreqd_bus_lookup(bus, IOREQD_SPACE_PIO, 0xff, 1), c);
	ck_assert_ptr_eq(ioreqd_bus_lookup(bus, IOREQD_SPACE_PIO, 0x100, 1), a);
	ck_assert_ptr_eq(ioreqd_bus_lookup(bus, IOREQD_SPACE_PIO, 0x1ff, 1), a);
	ck_assert_ptr_eq(ioreqd_bus_lookup(bus, IOREQD_SPACE_PIO, 0x200, 1), b);
	ck_assert_ptr_eq(ioreqd_bus_lookup(bus, IOREQD_SPACE_PIO, 0x2ff, 1), b);
}
END_TEST

START_TEST(test_bus_spaces_are_independent)
{
	struct ioreqd_range *p = must_add(IOREQD_SPACE_PIO, 0x100, 0x1ff);
	struct ioreqd_range *m = must_add(IOREQD_SPACE_MMIO, 0x100, 0x1ff);

	ck_assert_ptr_ne(p, m);
	ck_assert_ptr_eq(ioreqd_bus_lookup(bus, IOREQD_SPACE_PIO, 0x150, 4), p);
	ck_assert_ptr_eq(ioreqd_bus_lookup(bus, IOREQD_SPACE_MMIO, 0x150, 4), m);
	ck_assert_ptr_null(ioreqd_bus_lookup(bus, IOREQD_SPACE_PCI, 0x150, 4));
}
END_TEST

START_TEST(test_bus_rejects_pio_past_0xffff)
{
	struct ioreqd_range *r = NULL;

	must_reject(IOREQD_SPACE_PIO, 0xfff0, 0x10000, -EINVAL);
	must_reject(IOREQD_SPACE_PIO, 0x10000, 0x10003, -EINVAL);
	ck_assert_int_eq(ioreqd_bus_add_sized(bus, IOREQD_SPACE_PIO, 0xffff, 2, &r, NULL),
	                 -EINVAL);
	ck_assert_ptr_null(r);
	r = must_add(IOREQD_SPACE_PIO, 0xfff0, 0xffff);
	ck_assert_ptr_eq(ioreqd_bus_lookup(bus, IOREQD_SPACE_PIO, 0xfffc, 4), r);
	ck_assert_ptr_null(ioreqd_bus_lookup(bus, IOREQD_SPACE_PIO, 0xfffe, 4));
}
END_TEST

START_TEST(test_bus_rejects_pci_range_spanning_two_sbdfs)
{
	uint32_t a = IOREQD_PCI_SBDF(0, 0, 3, 0);
	uint32_t b = IOREQD_PCI_SBDF(0, 0, 3, 1);
	struct ioreqd_range *r;

	must_reject(IOREQD_SPACE_PCI, IOREQD_PCI_ADDR(a, 0), IOREQD_PCI_ADDR(b, 0xff),
	            -EINVAL);
	must_reject(IOREQD_SPACE_PCI, IOREQD_PCI_ADDR(a, 0xffc), IOREQD_PCI_ADDR(b, 0x3),
	            -EINVAL);
	r = must_add(IOREQD_SPACE_PCI, IOREQD_PCI_ADDR(a, 0), IOREQD_PCI_ADDR(a, 0xfff));
	/* The neighbouring function is a separate range and may be added. */
	must_add(IOREQD_SPACE_PCI, IOREQD_PCI_ADDR(b, 0), IOREQD_PCI_ADDR(b, 0xfff));
	ck_assert_ptr_eq(
	    ioreqd_bus_lookup(bus, IOREQD_SPACE_PCI, IOREQD_PCI_ADDR(a, 0x10), 4), r);
	ck_assert_ptr_null(ioreqd_bus_lookup(
	    bus, IOREQD_SPACE_PCI, IOREQD_PCI_ADDR(IOREQD_PCI_SBDF(0, 0, 4, 0), 0), 4));
}
END_TEST

START_TEST(test_bus_rejects_unknown_space)
{
	struct ioreqd_range *r = (struct ioreqd_range *)&r;
	const char *why = NULL;

	ck_assert_int_eq(ioreqd_bus_add(bus, IOREQD_SPACE_COUNT, 0, 1, &r, &why),
	                 -EINVAL);
	ck_assert_ptr_null(r);
	ck_assert_str_eq(why, "unknown address space");
	ck_assert_int_eq(ioreqd_bus_add(bus, (enum ioreqd_space)77, 0, 1, NULL, NULL),
	                 -EINVAL);
	ck_assert_ptr_null(ioreqd_bus_lookup(bus, IOREQD_SPACE_COUNT, 0, 1));
	ck_assert_ptr_null(ioreqd_bus_find(bus, IOREQD_SPACE_COUNT, 0, 1));
	ck_assert_uint_eq(ioreqd_bus_count(bus, IOREQD_SPACE_COUNT), 0);
}
END_TEST

START_TEST(test_bus_rejects_access_straddling_range_boundary)
{
	struct ioreqd_range *a = must_add(IOREQD_SPACE_MMIO, 0x1000, 0x1003);
	struct ioreqd_range *b = must_add(IOREQD_SPACE_MMIO, 0x1004, 0x1007);

	ck_assert_ptr_eq(ioreqd_bus_lookup(bus, IOREQD_SPACE_MMIO, 0x1000, 4), a);
	ck_assert_ptr_eq(ioreqd_bus_lookup(bus, IOREQD_SPACE_MMIO, 0x1004, 4), b);
	ck_assert_ptr_null(ioreqd_bus_lookup(bus, IOREQD_SPACE_MMIO, 0x1002, 4));
	ck_assert_ptr_null(ioreqd_bus_lookup(bus, IOREQD_SPACE_MMIO, 0x1003, 2));
	ck_assert_ptr_null(ioreqd_bus_lookup(bus, IOREQD_SPACE_MMIO, 0x1000, 8));
	/* Straddling into a gap is refused too. */
	ck_assert_ptr_null(ioreqd_bus_lookup(bus, IOREQD_SPACE_MMIO, 0x1006, 4));
	ck_assert_ptr_null(ioreqd_bus_lookup(bus, IOREQD_SPACE_MMIO, 0xffe, 4));
}
END_TEST

START_TEST(test_bus_lookup_misses_gaps_and_size_zero)
{
	must_add(IOREQD_SPACE_MMIO, 0x1000, 0x1fff);
	must_add(IOREQD_SPACE_MMIO, 0x3000, 0x3fff);
	ck_assert_ptr_null(ioreqd_bus_lookup(bus, IOREQD_SPACE_MMIO, 0, 1));
	ck_assert_ptr_null(ioreqd_bus_lookup(bus, IOREQD_SPACE_MMIO, 0xfff, 1));
	ck_assert_ptr_null(ioreqd_bus_lookup(bus, IOREQD_SPACE_MMIO, 0x2000, 1));
	ck_assert_ptr_null(ioreqd_bus_lookup(bus, IOREQD_SPACE_MMIO, 0x2fff, 1));
	ck_assert_ptr_null(ioreqd_bus_lookup(bus, IOREQD_SPACE_MMIO, 0x4000, 1));
	ck_assert_ptr_null(ioreqd_bus_lookup(bus, IOREQD_SPACE_MMIO, UINT64_MAX, 1));
	ck_assert_ptr_null(ioreqd_bus_lookup(bus, IOREQD_SPACE_MMIO, 0x1000, 0));
	ck_assert_ptr_null(ioreqd_bus_lookup(bus, IOREQD_SPACE_PIO, 0x1000, 1));
}
END_TEST

START_TEST(test_bus_offsets_are_measured_from_base)
{
	struct ioreqd_range *r = must_add(IOREQD_SPACE_MMIO, 0xfed00000, 0xfed003ff);
	uint64_t addrs[] = {0xfed00000, 0xfed00004, 0xfed000f0, 0xfed003fc};

	for (unsigned i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
		struct ioreqd_range *hit =
		    ioreqd_bus_lookup(bus, IOREQD_SPACE_MMIO, addrs[i], 4);

		ck_assert_ptr_eq(hit, r);
		ck_assert_uint_eq(addrs[i] - ioreqd_range_base(hit),
		                  addrs[i] - 0xfed00000);
	}
}
END_TEST

/* A tiny deterministic generator, so a failure reproduces. */
static uint64_t rng_state;

static uint64_t rng(void)
{
	uint64_t x = rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

struct span {
	uint64_t base, last;
	struct ioreqd_range *r;
};

static struct ioreqd_range *linear_lookup(const struct span *v, unsigned n, uint64_t addr,
                                          unsigned size)
{
	uint64_t end = addr + size - 1;

	if (end < addr)
		return NULL;
	for (unsigned i = 0; i < n; i++)
		if (addr >= v[i].base && end <= v[i].last)
			return v[i].r;
	return NULL;
}

START_TEST(test_bus_lookup_matches_linear_scan)
{
	static const unsigned counts[] = {1, 2, 3, 5, 16, 100, 1000, 10000};
	static const unsigned sizes[] = {1, 2, 4, 8};

	rng_state = 0x9e3779b97f4a7c15ull;
	for (unsigned c = 0; c < sizeof(counts) / sizeof(counts[0]); c++) {
		unsigned n = counts[c];
		struct span *v = calloc(n, sizeof(*v));
		uint64_t at = 0x1000;

		ck_assert_ptr_nonnull(v);
		teardown();
		setup();
		/* Ranges of 1..64 bytes with gaps of 0..63 bytes, added in shuffled
		 * order. */
		for (unsigned i = 0; i < n; i++) {
			v[i].base = at + (rng() % 64);
			v[i].last = v[i].base + (rng() % 64);
			at = v[i].last + 1;
		}
		for (unsigned i = n; i > 1; i--) {
			unsigned j = (unsigned)(rng() % i);
			struct span t = v[i - 1];

			v[i - 1] = v[j];
			v[j] = t;
		}
		for (unsigned i = 0; i < n; i++)
			v[i].r = must_add(IOREQD_SPACE_MMIO, v[i].base, v[i].last);
		ck_assert_uint_eq(ioreqd_bus_count(bus, IOREQD_SPACE_MMIO), n);
		/* Fewer probes for the big maps: the linear scan is the slow part. */
		for (unsigned k = 0; k < (n >= 1000 ? 2000u : 20000u); k++) {
			uint64_t addr = 0x1000 - 16 + rng() % (at - 0x1000 + 32);
			unsigned size = sizes[rng() % 4];
			struct ioreqd_range *want = linear_lookup(v, n, addr, size);
			struct ioreqd_range *got =
			    ioreqd_bus_lookup(bus, IOREQD_SPACE_MMIO, addr, size);

			ck_assert_msg(
			    got == want, "n %u addr 0x%llx size %u: got %p want %p", n,
			    (unsigned long long)addr, size, (void *)got, (void *)want);
		}
		/* Every range's first and last byte is found, and exact find works. */
		for (unsigned i = 0; i < n; i++) {
			ck_assert_ptr_eq(
			    ioreqd_bus_lookup(bus, IOREQD_SPACE_MMIO, v[i].base, 1),
			    v[i].r);
			ck_assert_ptr_eq(
			    ioreqd_bus_lookup(bus, IOREQD_SPACE_MMIO, v[i].last, 1),
			    v[i].r);
			ck_assert_ptr_eq(
			    ioreqd_bus_find(bus, IOREQD_SPACE_MMIO, v[i].base, v[i].last),
			    v[i].r);
		}
		free(v);
	}
}
END_TEST

START_TEST(test_bus_remove_drops_range_and_allows_readd)
{
	struct ioreqd_range *a = must_add(IOREQD_SPACE_MMIO, 0x1000, 0x1fff);
	struct ioreqd_range *b = must_add(IOREQD_SPACE_MMIO, 0x2000, 0x2fff);
	struct ioreqd_range *c = must_add(IOREQD_SPACE_MMIO, 0x3000, 0x3fff);

	ck_assert_int_eq(ioreqd_bus_remove(bus, b), 0);
	ck_assert_uint_eq(ioreqd_bus_count(bus, IOREQD_SPACE_MMIO), 2);
	ck_assert_ptr_null(ioreqd_bus_lookup(bus, IOREQD_SPACE_MMIO, 0x2000, 4));
	ck_assert_ptr_eq(ioreqd_bus_lookup(bus, IOREQD_SPACE_MMIO, 0x1000, 4), a);
	ck_assert_ptr_eq(ioreqd_bus_lookup(bus, IOREQD_SPACE_MMIO, 0x3000, 4), c);
	/* The hole can be filled again, even by a differently shaped range. */
	b = must_add(IOREQD_SPACE_MMIO, 0x2100, 0x21ff);
	ck_assert_ptr_eq(ioreqd_bus_lookup(bus, IOREQD_SPACE_MMIO, 0x2100, 4), b);
	ck_assert_int_eq(ioreqd_bus_remove(bus, a), 0);
	ck_assert_int_eq(ioreqd_bus_remove(bus, c), 0);
	ck_assert_int_eq(ioreqd_bus_remove(bus, b), 0);
	ck_assert_uint_eq(ioreqd_bus_count(bus, IOREQD_SPACE_MMIO), 0);
	ck_assert_ptr_null(ioreqd_bus_lookup(bus, IOREQD_SPACE_MMIO, 0x2100, 4));
}
END_TEST

START_TEST(test_bus_remove_refuses_foreign_or_null_range)
{
	struct ioreqd_bus *other = ioreqd_bus_new();
	struct ioreqd_range *theirs = NULL;

	ck_assert_ptr_nonnull(other);
	ck_assert_int_eq(
	    ioreqd_bus_add(other, IOREQD_SPACE_MMIO, 0x1000, 0x1fff, &theirs, NULL), 0);
	must_add(IOREQD_SPACE_MMIO, 0x1000, 0x1fff);
	ck_assert_int_eq(ioreqd_bus_remove(bus, theirs), -ENOENT);
	ck_assert_int_eq(ioreqd_bus_remove(bus, NULL), -ENOENT);
	ck_assert_uint_eq(ioreqd_bus_count(bus, IOREQD_SPACE_MMIO), 1);
	ck_assert_uint_eq(ioreqd_bus_count(other, IOREQD_SPACE_MMIO), 1);
	ioreqd_bus_free(other);
}
END_TEST

START_TEST(test_bus_find_requires_exact_bounds)
{
	struct ioreqd_range *r = must_add(IOREQD_SPACE_PIO, 0x3f8, 0x3ff);

	ck_assert_ptr_eq(ioreqd_bus_find(bus, IOREQD_SPACE_PIO, 0x3f8, 0x3ff), r);
	ck_assert_ptr_null(ioreqd_bus_find(bus, IOREQD_SPACE_PIO, 0x3f8, 0x3fe));
	ck_assert_ptr_null(ioreqd_bus_find(bus, IOREQD_SPACE_PIO, 0x3f9, 0x3ff));
	ck_assert_ptr_null(ioreqd_bus_find(bus, IOREQD_SPACE_PIO, 0x3f0, 0x3ff));
	ck_assert_ptr_null(ioreqd_bus_find(bus, IOREQD_SPACE_MMIO, 0x3f8, 0x3ff));
	ck_assert_ptr_null(ioreqd_bus_find(bus, IOREQD_SPACE_PIO, 0, 7));
}
END_TEST

struct visit {
	struct ioreqd_range *seen[16];
	unsigned n;
	unsigned stop_after;
};

static int visit_cb(struct ioreqd_range *r, void *arg)
{
	struct visit *v = arg;

	v->seen[v->n++] = r;
	return v->n == v->stop_after ? 42 : 0;
}

START_TEST(test_bus_foreach_visits_spaces_then_addresses_in_order)
{
	/* Added out of order, across spaces. */
	struct ioreqd_range *m2 = must_add(IOREQD_SPACE_MMIO, 0x3000, 0x3fff);
	struct ioreqd_range *p1 = must_add(IOREQD_SPACE_PIO, 0x60, 0x60);
	struct ioreqd_range *c1 =
	    must_add(IOREQD_SPACE_PCI, IOREQD_PCI_ADDR(8, 0), IOREQD_PCI_ADDR(8, 0xff));
	struct ioreqd_range *m1 = must_add(IOREQD_SPACE_MMIO, 0x1000, 0x1fff);
	struct ioreqd_range *p0 = must_add(IOREQD_SPACE_PIO, 0x20, 0x21);
	struct visit v = {.n = 0, .stop_after = 0};
	struct ioreqd_range *want[] = {p0, p1, m1, m2, c1};

	ck_assert_int_eq(ioreqd_bus_foreach(bus, visit_cb, &v), 0);
	ck_assert_uint_eq(v.n, 5);
	for (unsigned i = 0; i < 5; i++)
		ck_assert_ptr_eq(v.seen[i], want[i]);
	/* A non-zero return stops the walk and is passed back. */
	v = (struct visit){.n = 0, .stop_after = 3};
	ck_assert_int_eq(ioreqd_bus_foreach(bus, visit_cb, &v), 42);
	ck_assert_uint_eq(v.n, 3);
	ck_assert_ptr_eq(v.seen[2], m1);
}
END_TEST

START_TEST(test_bus_foreach_on_empty_bus_calls_nothing)
{
	struct visit v = {.n = 0, .stop_after = 0};

	ck_assert_int_eq(ioreqd_bus_foreach(bus, visit_cb, &v), 0);
	ck_assert_uint_eq(v.n, 0);
}
END_TEST

START_TEST(test_bus_pci_decode_splits_xen_encoding)
{
	struct ioreqd_pci_addr p;
	/* seg 0x1234, bus 0xab, dev 0x1f, fn 5, reg 0x0ffc, built by hand. */
	uint64_t addr =
	    (0x1234ull << 48) | (0xabull << 40) | (0x1full << 35) | (5ull << 32) | 0xffc;

	ioreqd_pci_decode(addr, &p);
	ck_assert_uint_eq(p.seg, 0x1234);
	ck_assert_uint_eq(p.bus, 0xab);
	ck_assert_uint_eq(p.dev, 0x1f);
	ck_assert_uint_eq(p.fn, 5);
	ck_assert_uint_eq(p.reg, 0xffc);
	/* The helper macros build the same encoding. */
	ck_assert_uint_eq(IOREQD_PCI_ADDR(IOREQD_PCI_SBDF(0x1234, 0xab, 0x1f, 5), 0xffc),
	                  addr);
	ck_assert_uint_eq(ioreqd_pci_sbdf(addr), 0x1234abfdu);
	/* Each field alone, so no field leaks into its neighbour. */
	ioreqd_pci_decode(IOREQD_PCI_ADDR(IOREQD_PCI_SBDF(0, 0, 0, 7), 0), &p);
	ck_assert_uint_eq(p.fn, 7);
	ck_assert_uint_eq(p.dev, 0);
	ck_assert_uint_eq(p.bus, 0);
	ioreqd_pci_decode(IOREQD_PCI_ADDR(IOREQD_PCI_SBDF(0, 0, 1, 0), 0), &p);
	ck_assert_uint_eq(p.dev, 1);
	ck_assert_uint_eq(p.fn, 0);
	ioreqd_pci_decode(
	    IOREQD_PCI_ADDR(IOREQD_PCI_SBDF(0xffff, 0xff, 31, 7), 0xffffffffu), &p);
	ck_assert_uint_eq(p.seg, 0xffff);
	ck_assert_uint_eq(p.bus, 0xff);
	ck_assert_uint_eq(p.dev, 31);
	ck_assert_uint_eq(p.fn, 7);
	ck_assert_uint_eq(p.reg, 0xffffffffu);
	ioreqd_pci_decode(0, &p);
	ck_assert_uint_eq(p.seg | p.bus | p.dev | p.fn | p.reg, 0);
}
END_TEST

START_TEST(test_bus_range_owner_round_trips)
{
	struct ioreqd_range *r = must_add(IOREQD_SPACE_MMIO, 0x1000, 0x1fff);
	int token;

	ck_assert_ptr_null(ioreqd_range_owner(r));
	ioreqd_range_set_owner(r, &token);
	ck_assert_ptr_eq(ioreqd_range_owner(r), &token);
	ck_assert_uint_eq(ioreqd_range_counters(r)->accesses, 0);
}
END_TEST

START_TEST(test_bus_free_accepts_null_and_populated_bus)
{
	struct ioreqd_bus *b = ioreqd_bus_new();
	struct ioreqd_range *r = NULL;

	ioreqd_bus_free(NULL);
	ck_assert_ptr_nonnull(b);
	/* Enough ranges to force the arrays to grow several times. */
	for (unsigned i = 0; i < 100; i++)
		ck_assert_int_eq(ioreqd_bus_add_sized(b, IOREQD_SPACE_MMIO, 0x1000ull * i,
		                                      0x100, &r, NULL),
		                 0);
	ck_assert_uint_eq(ioreqd_bus_count(b, IOREQD_SPACE_MMIO), 100);
	ioreqd_bus_free(b); /* valgrind checks that nothing leaks */
}
END_TEST

static enum ioreqd_fault_result claim_noop(ioreqd_fault_t *f, void *opaque)
{
	(void)f;
	(void)opaque;
	return IOREQD_FAULT_HANDLED;
}

START_TEST(test_bus_range_lives_until_its_last_claim_is_released)
{
	struct ioreqd_bus *cb = ioreqd_bus_new();
	struct ioreqd_handler h = {
	    .name = "b", .fn = claim_noop, .order = IOREQD_ORDER_NORMAL};
	struct ioreqd_range *a, *b, *c;
	struct ioreqd_hnode *nb;
	const char *why;

	/* Device A claims the range but has no handler yet; B joins and installs. */
	ck_assert_int_eq(
	    ioreqd_bus_claim(cb, IOREQD_SPACE_MMIO, 0x1000, 0x1fff, &a, &why), 0);
	ck_assert_int_eq(
	    ioreqd_bus_claim(cb, IOREQD_SPACE_MMIO, 0x1000, 0x1fff, &b, &why), 0);
	ck_assert_ptr_eq(a, b);
	ck_assert_int_eq(ioreqd_range_install(b, &h, &nb, NULL), 0);
	/* A partial overlap is still refused, with the bus's reason. */
	ck_assert_int_eq(
	    ioreqd_bus_claim(cb, IOREQD_SPACE_MMIO, 0x1800, 0x27ff, &c, &why), -EEXIST);
	ck_assert_ptr_null(c);
	ck_assert_ptr_nonnull(why);
	/* B leaves: A's claim keeps the range although its chain is now empty. */
	ck_assert_int_eq(ioreqd_bus_release(cb, b, nb), 0);
	ck_assert_ptr_eq(ioreqd_bus_find(cb, IOREQD_SPACE_MMIO, 0x1000, 0x1fff), a);
	ck_assert_ptr_null(ioreqd_range_head(a));
	/* A leaves: the range goes, and the caller is told to release it upstream. */
	ck_assert_int_eq(ioreqd_bus_release(cb, a, NULL), 1);
	ck_assert_ptr_null(ioreqd_bus_find(cb, IOREQD_SPACE_MMIO, 0x1000, 0x1fff));
	ck_assert_uint_eq(ioreqd_bus_count(cb, IOREQD_SPACE_MMIO), 0);
	ioreqd_bus_free(cb);
}
END_TEST

static Suite *bus_suite(void)
{
	Suite *s = suite_create("bus");
	TCase *tc = tcase_create("ranges");
	TCase *tl = tcase_create("lookup");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_bus_rejects_zero_size);
	tcase_add_test(tc, test_bus_rejects_base_above_last);
	tcase_add_test(tc, test_bus_accepts_single_byte_range);
	tcase_add_test(tc, test_bus_accepts_range_ending_at_uint64_max);
	tcase_add_test(tc, test_bus_accepts_whole_space_range);
	tcase_add_test(tc, test_bus_add_sized_rejects_wraparound);
	tcase_add_test(tc, test_bus_add_sized_uses_inclusive_last);
	tcase_add_test(tc, test_bus_rejects_overlap_on_low_side);
	tcase_add_test(tc, test_bus_rejects_overlap_on_high_side);
	tcase_add_test(tc, test_bus_rejects_range_enclosing_existing);
	tcase_add_test(tc, test_bus_rejects_range_enclosed_by_existing);
	tcase_add_test(tc, test_bus_accepts_adjacent_ranges);
	tcase_add_test(tc, test_bus_spaces_are_independent);
	tcase_add_test(tc, test_bus_rejects_pio_past_0xffff);
	tcase_add_test(tc, test_bus_rejects_pci_range_spanning_two_sbdfs);
	tcase_add_test(tc, test_bus_rejects_unknown_space);
	tcase_add_test(tc, test_bus_remove_drops_range_and_allows_readd);
	tcase_add_test(tc, test_bus_remove_refuses_foreign_or_null_range);
	tcase_add_test(tc, test_bus_find_requires_exact_bounds);
	tcase_add_test(tc, test_bus_foreach_visits_spaces_then_addresses_in_order);
	tcase_add_test(tc, test_bus_foreach_on_empty_bus_calls_nothing);
	tcase_add_test(tc, test_bus_pci_decode_splits_xen_encoding);
	tcase_add_test(tc, test_bus_range_owner_round_trips);
	tcase_add_test(tc, test_bus_free_accepts_null_and_populated_bus);
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(tl, setup, teardown);
	tcase_set_timeout(tl, 60); /* the 10000-range scan is slow under valgrind */
	tcase_add_test(tl, test_bus_rejects_access_straddling_range_boundary);
	tcase_add_test(tl, test_bus_lookup_misses_gaps_and_size_zero);
	tcase_add_test(tl, test_bus_offsets_are_measured_from_base);
	tcase_add_test(tl, test_bus_lookup_matches_linear_scan);
	tcase_add_test(tl, test_bus_range_lives_until_its_last_claim_is_released);
	suite_add_tcase(s, tl);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(bus_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
