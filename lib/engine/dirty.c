/* SPDX-License-Identifier: MIT */
/*
 * Dirty-page batching (see dirty.h).  The table is small and searched
 * linearly, newest run first: the writes that matter come in streams (a rep
 * ins walking a buffer, a used ring's entries and index, a DMA buffer's
 * segments), so a new write nearly always extends the run before it.
 */
#include "dirty.h"

#include <errno.h>
#include <string.h>

void ioreqd_dirty_init(struct ioreqd_dirty *d, ioreqd_dirty_report_fn *report, void *arg)
{
	memset(d, 0, sizeof(*d));
	d->report = report;
	d->arg = arg;
}

bool ioreqd_dirty_pending(const struct ioreqd_dirty *d)
{
	return d->nr != 0;
}

int ioreqd_dirty_flush(struct ioreqd_dirty *d)
{
	uint64_t pages = 0;
	int rc;

	if (!d->nr)
		return 0;
	for (unsigned i = 0; i < d->nr; i++)
		pages += d->run[i].nr;
	d->st.calls++;
	rc = d->report ? d->report(d->arg, d->run, d->nr) : -ENOSYS;
	if (rc < 0) {
		d->st.errors++;
		d->st.lost += pages;
	} else {
		d->st.pages += pages;
	}
	d->nr = 0;
	return rc < 0 ? rc : 0;
}

int ioreqd_dirty_set(struct ioreqd_dirty *d, bool on)
{
	int rc = 0;

	if (!on)
		rc = ioreqd_dirty_flush(d);
	if (on && !d->on)
		d->st.enables++;
	d->on = on;
	return rc;
}

/* Merge [first, last] into run @p r if they touch; @return whether it did. */
static bool merge(struct ioreqd_dirty_run *r, uint64_t first, uint64_t last)
{
	uint64_t rlast = r->first_pfn + r->nr - 1;
	uint64_t lo, hi;

	/* Neither overlapping nor adjacent (the +1s cannot wrap: pfns < 2^52). */
	if (first > rlast + 1 || last + 1 < r->first_pfn)
		return false;
	lo = first < r->first_pfn ? first : r->first_pfn;
	hi = last > rlast ? last : rlast;
	if (hi - lo >= UINT32_MAX)
		return false;
	r->first_pfn = lo;
	r->nr = (uint32_t)(hi - lo + 1);
	return true;
}

bool ioreqd_dirty_mark(struct ioreqd_dirty *d, uint64_t gpa, uint64_t len)
{
	bool was_empty = d->nr == 0;
	uint64_t first, last;

	if (!d->on || !len)
		return false;
	d->st.marks++;
	first = gpa >> IOREQD_DIRTY_PAGE_SHIFT;
	last =
	    (gpa + len - 1 < gpa ? UINT64_MAX : gpa + len - 1) >> IOREQD_DIRTY_PAGE_SHIFT;
	for (unsigned i = d->nr; i-- > 0;)
		if (merge(&d->run[i], first, last))
			return false;
	while (first <= last) {
		uint64_t n = last - first + 1;

		if (n > UINT32_MAX)
			n = UINT32_MAX;
		if (d->nr == IOREQD_DIRTY_RUNS)
			ioreqd_dirty_flush(d);
		d->run[d->nr].first_pfn = first;
		d->run[d->nr].nr = (uint32_t)n;
		d->nr++;
		if (last - first + 1 == n)
			break;
		first += n;
	}
	/* A full table reported above left a new batch pending: flush it too. */
	return was_empty || d->nr == 1;
}
