/* SPDX-License-Identifier: MIT */
/*
 * Range maps: per address space, a sorted array of non-overlapping inclusive
 * ranges.  Registration happens at start-up and when a BAR moves; lookup
 * happens on every access, so the array is kept sorted and searched in
 * O(log n) with no allocation, and each entry carries its bounds inline so the
 * search touches one cache line per probe.
 */
#include "bus.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bus-internal.h"

#define PIO_LAST 0xffffull
#define PCI_REG_MASK 0xffffffffull

struct entry {
	uint64_t base;
	uint64_t last;
	struct ioreqd_range *r;
};

struct space_map {
	struct entry *v;
	unsigned n;
	unsigned cap;
};

struct ioreqd_bus {
	struct space_map map[IOREQD_SPACE_COUNT];
};

void ioreqd_pci_decode(uint64_t addr, struct ioreqd_pci_addr *out)
{
	out->seg = (uint16_t)(addr >> 48);
	out->bus = (uint8_t)(addr >> 40);
	out->dev = (uint8_t)((addr >> 35) & 0x1f);
	out->fn = (uint8_t)((addr >> 32) & 0x7);
	out->reg = (uint32_t)(addr & PCI_REG_MASK);
}

struct ioreqd_bus *ioreqd_bus_new(void)
{
	return calloc(1, sizeof(struct ioreqd_bus));
}

void ioreqd_bus_free(struct ioreqd_bus *bus)
{
	if (!bus)
		return;
	for (unsigned s = 0; s < IOREQD_SPACE_COUNT; s++) {
		struct space_map *m = &bus->map[s];

		for (unsigned i = 0; i < m->n; i++) {
			ioreqd_range_free_chain(m->v[i].r);
			free(m->v[i].r);
		}
		free(m->v);
	}
	free(bus);
}

/*
 * Index of the last entry whose base is <= addr, or -1.
 *
 * Every access runs this, so it is branch-free: with many ranges each step's
 * direction is a coin flip that a branch predictor loses about half the time,
 * and a mispredict costs more than the whole step.  Each step narrows four
 * ways: its three probes are independent loads, and three conditional moves
 * (not a count times the stride: a multiply would lengthen the chain) pick
 * the quarter, so the chain of dependent loads is half a binary search's;
 * the last few entries are simply counted.  The trip counts depend only on
 * the number of ranges.
 */
static long floor_index(const struct space_map *m, uint64_t addr)
{
	const struct entry *v = m->v;
	size_t n = m->n, c = 0;

	if (n == 0 || v[0].base > addr)
		return -1;
	/* Invariant: v[0].base <= addr, and the answer lies in [v, v + n). */
	while (n > 8) {
		size_t q = n / 4;
		const struct entry *p1 = v + q, *p2 = v + 2 * q, *p3 = v + 3 * q;

		/* Bases ascend: the last probe at or below addr starts the quarter. */
		v = p1->base <= addr ? p1 : v;
		v = p2->base <= addr ? p2 : v;
		v = p3->base <= addr ? p3 : v;
		n -= 3 * q; /* the last quarter is the largest: n - 3q >= q */
	}
	/*
	 * At most 8 entries are left: count the bases at or below addr.  Their
	 * loads are independent of each other, so this costs about one load.
	 */
	for (size_t i = 1; i < n; i++)
		c += (size_t)(v[i].base <= addr);
	return (long)(v - m->v) + (long)c;
}

static const char *check_bounds(enum ioreqd_space space, uint64_t base, uint64_t last)
{
	if ((unsigned)space >= IOREQD_SPACE_COUNT)
		return "unknown address space";
	if (base > last)
		return "range is empty or wraps around (base > last)";
	if (space == IOREQD_SPACE_PIO && last > PIO_LAST)
		return "port range goes past 0xffff";
	if (space == IOREQD_SPACE_PCI && (base >> 32) != (last >> 32))
		return "PCI config range spans more than one SBDF";
	return NULL;
}

int ioreqd_bus_add(struct ioreqd_bus *bus, enum ioreqd_space space, uint64_t base,
                   uint64_t last, struct ioreqd_range **out, const char **why)
{
	const char *reason = NULL;
	struct ioreqd_range *r = NULL;
	struct space_map *m;
	long at;
	int rc;

	if (out)
		*out = NULL;
	reason = check_bounds(space, base, last);
	if (reason) {
		rc = -EINVAL;
		goto out;
	}
	m = &bus->map[space];
	/*
	 * The only candidates for overlap are the floor entry (base <= new
	 * base) and its successor: the floor overlaps if it reaches our base,
	 * the successor if it starts at or before our last byte.  A new range
	 * that encloses existing ones always overlaps the successor.
	 */
	at = floor_index(m, base);
	if (at >= 0 && m->v[at].last >= base) {
		reason = "overlaps an existing range";
		rc = -EEXIST;
		goto out;
	}
	if ((unsigned long)(at + 1) < m->n && m->v[at + 1].base <= last) {
		reason = "overlaps an existing range";
		rc = -EEXIST;
		goto out;
	}
	if (m->n == m->cap) {
		unsigned ncap = m->cap ? m->cap * 2 : 8;
		struct entry *nv = realloc(m->v, (size_t)ncap * sizeof(*nv));

		if (!nv) {
			reason = "out of memory";
			rc = -ENOMEM;
			goto out;
		}
		m->v = nv;
		m->cap = ncap;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		reason = "out of memory";
		rc = -ENOMEM;
		goto out;
	}
	r->base = base;
	r->last = last;
	r->space = space;
	memmove(&m->v[at + 2], &m->v[at + 1], (m->n - (size_t)(at + 1)) * sizeof(*m->v));
	m->v[at + 1] = (struct entry){.base = base, .last = last, .r = r};
	m->n++;
	if (out)
		*out = r;
	r = NULL;
	rc = 0;
out:
	free(r);
	if (why)
		*why = reason;
	return rc;
}

int ioreqd_bus_add_sized(struct ioreqd_bus *bus, enum ioreqd_space space, uint64_t base,
                         uint64_t size, struct ioreqd_range **out, const char **why)
{
	if (size == 0 || base + (size - 1) < base) {
		if (out)
			*out = NULL;
		if (why)
			*why = size == 0 ? "range has size 0"
			                 : "range wraps around the address space";
		return -EINVAL;
	}
	return ioreqd_bus_add(bus, space, base, base + (size - 1), out, why);
}

struct ioreqd_range *ioreqd_bus_find(const struct ioreqd_bus *bus,
                                     enum ioreqd_space space, uint64_t base,
                                     uint64_t last)
{
	const struct space_map *m;
	long at;

	if ((unsigned)space >= IOREQD_SPACE_COUNT)
		return NULL;
	m = &bus->map[space];
	at = floor_index(m, base);
	if (at < 0 || m->v[at].base != base || m->v[at].last != last)
		return NULL;
	return m->v[at].r;
}

int ioreqd_bus_remove(struct ioreqd_bus *bus, struct ioreqd_range *range)
{
	struct space_map *m;
	long at;

	if (!range || (unsigned)range->space >= IOREQD_SPACE_COUNT)
		return -ENOENT;
	if (range->busy)
		return -EBUSY; /* its chain is running: see struct ioreqd_range */
	m = &bus->map[range->space];
	at = floor_index(m, range->base);
	if (at < 0 || m->v[at].r != range)
		return -ENOENT;
	memmove(&m->v[at], &m->v[at + 1], (m->n - (size_t)at - 1) * sizeof(*m->v));
	m->n--;
	ioreqd_range_free_chain(range);
	free(range);
	return 0;
}

int ioreqd_bus_claim(struct ioreqd_bus *bus, enum ioreqd_space space, uint64_t base,
                     uint64_t last, struct ioreqd_range **out, const char **why)
{
	struct ioreqd_range *r = ioreqd_bus_find(bus, space, base, last);

	int rc = 0;

	if (why)
		*why = NULL;
	if (!r)
		rc = ioreqd_bus_add(bus, space, base, last, &r, why);
	if (rc < 0) {
		*out = NULL;
		return rc;
	}
	/*
	 * Count claims, not handlers: a device holds its range before its hook
	 * is initialised and installed, and must not lose it to a neighbour's
	 * release meanwhile.
	 */
	r->users++;
	*out = r;
	return 0;
}

int ioreqd_bus_release(struct ioreqd_bus *bus, struct ioreqd_range *range,
                       struct ioreqd_hnode *node)
{
	int rc;

	if (range->busy)
		return -EBUSY; /* before changing anything: see struct ioreqd_range */
	if (node) {
		rc = ioreqd_range_uninstall(range, node);
		if (rc < 0)
			return rc;
	}
	if (range->users && --range->users)
		return 0;
	rc = ioreqd_bus_remove(bus, range);
	return rc < 0 ? rc : 1;
}

struct ioreqd_range *ioreqd_bus_lookup(const struct ioreqd_bus *bus,
                                       enum ioreqd_space space, uint64_t addr,
                                       unsigned size)
{
	const struct space_map *m;
	uint64_t end;
	long at;

	if ((unsigned)space >= IOREQD_SPACE_COUNT || size == 0)
		return NULL;
	end = addr + (size - 1);
	if (end < addr)
		return NULL; /* the access itself wraps */
	m = &bus->map[space];
	at = floor_index(m, addr);
	if (at < 0 || end > m->v[at].last)
		return NULL; /* before every range, in a gap, or straddling the end */
	return m->v[at].r;
}

unsigned ioreqd_bus_count(const struct ioreqd_bus *bus, enum ioreqd_space space)
{
	return (unsigned)space < IOREQD_SPACE_COUNT ? bus->map[space].n : 0;
}

int ioreqd_bus_foreach(const struct ioreqd_bus *bus,
                       int (*fn)(struct ioreqd_range *r, void *arg), void *arg)
{
	for (unsigned s = 0; s < IOREQD_SPACE_COUNT; s++) {
		const struct space_map *m = &bus->map[s];

		for (unsigned i = 0; i < m->n; i++) {
			int rc = fn(m->v[i].r, arg);

			if (rc)
				return rc;
		}
	}
	return 0;
}

enum ioreqd_space ioreqd_range_space(const struct ioreqd_range *r)
{
	return r->space;
}

uint64_t ioreqd_range_base(const struct ioreqd_range *r)
{
	return r->base;
}

uint64_t ioreqd_range_last(const struct ioreqd_range *r)
{
	return r->last;
}

struct ioreqd_counters *ioreqd_range_counters(struct ioreqd_range *r)
{
	return &r->stats;
}

void ioreqd_range_set_owner(struct ioreqd_range *r, void *owner)
{
	r->owner = owner;
}

void *ioreqd_range_owner(const struct ioreqd_range *r)
{
	return r->owner;
}

const char *ioreqd_space_name(enum ioreqd_space space)
{
	static const char *const names[IOREQD_SPACE_COUNT] = {"pio", "mmio", "pci"};

	return (unsigned)space < IOREQD_SPACE_COUNT ? names[space] : "?";
}
