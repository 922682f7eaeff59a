/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the bus differentially: a script of range registrations, removals and
 * lookups runs against lib/bus.c and against a naive model here (a list
 * searched linearly), and every answer must agree.  The bus decides which
 * handler sees a guest address and computes the offset the handler trusts,
 * so a lookup that returns a range not holding the whole access would hand a
 * hook an offset past the end of its registers.  Registrations come from the
 * configuration and from hooks at run time (a BAR moving); addresses come
 * from the guest.  Values are drawn near each other and near the edges of
 * the spaces (0, 0xffff, 2^32, 2^64 - 1) so overlaps, enclosures, gaps of
 * one byte and wrap-arounds are common.
 *
 * Input: per op, one byte (op % 6: add, add_sized, remove, lookup, find,
 * check everything), then the op's operands (see the op functions).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "bus.h"
#include "fuzz-input.h"

#define MAX_MODEL 96
#define MAX_OPS 400

struct mrange {
	enum ioreqd_space space;
	uint64_t base, last;
	struct ioreqd_range *r;
};

static struct mrange model[MAX_MODEL];
static unsigned nmodel;
static struct fuzz_input in;
static struct ioreqd_bus *bus;

/* A value near an edge of the spaces or near a bound already registered. */
static uint64_t pick_value(void)
{
	static const uint64_t edges[] = {
	    0,
	    1,
	    0xff,
	    0xfff,
	    0xffff,
	    0x10000,
	    0xfffff,
	    0xfeb00000,
	    0xffffffffull,
	    0x100000000ull,
	    IOREQD_PCI_ADDR(IOREQD_PCI_SBDF(0, 0, 5, 0), 0),
	    IOREQD_PCI_ADDR(IOREQD_PCI_SBDF(0, 0, 5, 0), 0xfff),
	    0x7fffffffffffffffull,
	    UINT64_MAX - 1,
	    UINT64_MAX};
	uint8_t how = fuzz_u8(&in);
	int64_t delta = (int8_t)fuzz_u8(&in);
	uint64_t v;

	switch (how & 3) {
	case 0:
		v = edges[(how >> 2) % (sizeof(edges) / sizeof(edges[0]))];
		break;
	case 1:
		if (nmodel) {
			const struct mrange *m = &model[(how >> 2) % nmodel];

			v = how & 0x80 ? m->last : m->base;
			break;
		}
		/* fall through */
	case 2:
		v = 0x1000 + (uint64_t)fuzz_u16(&in);
		break;
	default:
		return fuzz_u64(&in);
	}
	return v + (uint64_t)delta; /* wraps on purpose */
}

static enum ioreqd_space pick_space(void)
{
	return (enum ioreqd_space)(fuzz_u8(&in) % (IOREQD_SPACE_COUNT + 1));
}

static bool model_overlaps(enum ioreqd_space s, uint64_t base, uint64_t last)
{
	for (unsigned i = 0; i < nmodel; i++)
		if (model[i].space == s && model[i].base <= last && base <= model[i].last)
			return true;
	return false;
}

/* What ioreqd_bus_add must answer, by bus.h's rules. */
static int model_add_rc(enum ioreqd_space s, uint64_t base, uint64_t last)
{
	if ((unsigned)s >= IOREQD_SPACE_COUNT || base > last)
		return -EINVAL;
	if (s == IOREQD_SPACE_PIO && last > 0xffff)
		return -EINVAL;
	if (s == IOREQD_SPACE_PCI && (base >> 32) != (last >> 32))
		return -EINVAL;
	return model_overlaps(s, base, last) ? -EEXIST : 0;
}

static void model_insert(enum ioreqd_space s, uint64_t base, uint64_t last,
                         struct ioreqd_range *r)
{
	FUZZ_CHECK(r != NULL);
	FUZZ_CHECK(ioreqd_range_space(r) == s && ioreqd_range_base(r) == base &&
	           ioreqd_range_last(r) == last);
	model[nmodel++] = (struct mrange){s, base, last, r};
}

static void op_add(bool sized)
{
	enum ioreqd_space s = pick_space();
	uint64_t base = pick_value(), last, size = 0;
	struct ioreqd_range *r = (struct ioreqd_range *)&r; /* must be cleared */
	const char *why = NULL;
	int want, rc;

	if (nmodel >= MAX_MODEL)
		return;
	if (sized) {
		size = fuzz_u8(&in) & 1 ? pick_value() : fuzz_u16(&in);
		last = base + (size - 1);
		want = size == 0 || last < base ? -EINVAL : model_add_rc(s, base, last);
		rc = ioreqd_bus_add_sized(bus, s, base, size, &r, &why);
	} else {
		last = fuzz_u8(&in) & 1 ? pick_value() : base + fuzz_u16(&in);
		want = model_add_rc(s, base, last);
		rc = ioreqd_bus_add(bus, s, base, last, &r, &why);
	}
	FUZZ_CHECK(rc == want);
	if (rc == 0) {
		FUZZ_CHECK(why == NULL);
		model_insert(s, base, last, r);
	} else {
		FUZZ_CHECK(r == NULL && why && why[0]);
	}
}

static void op_remove(void)
{
	unsigned i;
	uint8_t b = fuzz_u8(&in);

	if (!nmodel || b == 0xff) {
		FUZZ_CHECK(ioreqd_bus_remove(bus, NULL) == -ENOENT);
		return;
	}
	i = b % nmodel;
	FUZZ_CHECK(ioreqd_bus_remove(bus, model[i].r) == 0);
	model[i] = model[--nmodel];
}

static const struct mrange *model_lookup(enum ioreqd_space s, uint64_t addr,
                                         unsigned size)
{
	uint64_t end = addr + (size - 1);

	if (size == 0 || end < addr)
		return NULL;
	for (unsigned i = 0; i < nmodel; i++)
		if (model[i].space == s && model[i].base <= addr && end <= model[i].last)
			return &model[i];
	return NULL;
}

static void op_lookup(void)
{
	enum ioreqd_space s = pick_space();
	uint64_t addr = pick_value();
	unsigned size = fuzz_u8(&in) % 10;
	const struct mrange *m = model_lookup(s, addr, size);
	struct ioreqd_range *r = ioreqd_bus_lookup(bus, s, addr, size);

	FUZZ_CHECK(r == (m ? m->r : NULL));
	if (r) {
		/* What the engine turns into the handler's offset. */
		FUZZ_CHECK(addr - ioreqd_range_base(r) <=
		           ioreqd_range_last(r) - ioreqd_range_base(r));
		FUZZ_CHECK(size - 1 <= ioreqd_range_last(r) - addr);
	}
}

static void op_find(void)
{
	enum ioreqd_space s = pick_space();
	uint64_t base = pick_value(), last = fuzz_u8(&in) & 1 ? pick_value() : base;
	struct ioreqd_range *want = NULL;

	for (unsigned i = 0; i < nmodel; i++)
		if (model[i].space == s && model[i].base == base && model[i].last == last)
			want = model[i].r;
	FUZZ_CHECK(ioreqd_bus_find(bus, s, base, last) == want);
}

struct walk {
	unsigned n;
	int space;
	uint64_t last;
};

static int walk_cb(struct ioreqd_range *r, void *arg)
{
	struct walk *w = arg;
	int s = (int)ioreqd_range_space(r);

	/* Spaces in order; inside one, ascending and disjoint. */
	FUZZ_CHECK(s >= w->space);
	if (s == w->space && w->n)
		FUZZ_CHECK(ioreqd_range_base(r) > w->last);
	w->space = s;
	w->last = ioreqd_range_last(r);
	w->n++;
	return 0;
}

static void op_check_all(void)
{
	struct walk w = {0, 0, 0};
	unsigned per[IOREQD_SPACE_COUNT] = {0};

	for (unsigned i = 0; i < nmodel; i++) {
		per[model[i].space]++;
		FUZZ_CHECK(ioreqd_bus_find(bus, model[i].space, model[i].base,
		                           model[i].last) == model[i].r);
		/* Both ends of every range, and one byte past each, look up right. */
		FUZZ_CHECK(ioreqd_bus_lookup(bus, model[i].space, model[i].base, 1) ==
		           model[i].r);
		FUZZ_CHECK(ioreqd_bus_lookup(bus, model[i].space, model[i].last, 1) ==
		           model[i].r);
		if (model[i].base)
			FUZZ_CHECK(ioreqd_bus_lookup(bus, model[i].space,
			                             model[i].base - 1, 2) == NULL);
		if (model[i].last != UINT64_MAX)
			FUZZ_CHECK(ioreqd_bus_lookup(bus, model[i].space, model[i].last,
			                             2) == NULL);
	}
	for (unsigned s = 0; s < IOREQD_SPACE_COUNT; s++)
		FUZZ_CHECK(ioreqd_bus_count(bus, (enum ioreqd_space)s) == per[s]);
	FUZZ_CHECK(ioreqd_bus_foreach(bus, walk_cb, &w) == 0);
	FUZZ_CHECK(w.n == nmodel);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned ops = 0;

	fuzz_quiet_logs();
	fuzz_input_init(&in, data, size);
	nmodel = 0;
	bus = ioreqd_bus_new();
	FUZZ_CHECK(bus);
	while (!fuzz_empty(&in) && ops++ < MAX_OPS) {
		switch (fuzz_u8(&in) % 6) {
		case 0:
			op_add(false);
			break;
		case 1:
			op_add(true);
			break;
		case 2:
			op_remove();
			break;
		case 3:
			op_lookup();
			break;
		case 4:
			op_find();
			break;
		default:
			op_check_all();
			break;
		}
	}
	op_check_all();
	ioreqd_bus_free(bus);
	return 0;
}
