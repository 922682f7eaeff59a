/* SPDX-License-Identifier: MIT */
/*
 * The round-trip breakdown (latency.h): a ring of the last samples, sorted
 * only when the statistics are asked for.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "latency.h"

int ioreqd_latency_init(struct ioreqd_latency *l)
{
	memset(l, 0, sizeof(*l));
	l->ring = calloc(IOREQD_LATENCY_RING, sizeof(*l->ring));
	return l->ring ? 0 : -ENOMEM;
}

void ioreqd_latency_free(struct ioreqd_latency *l)
{
	free(l->ring);
	memset(l, 0, sizeof(*l));
}

static uint32_t clamp32(uint64_t from, uint64_t to)
{
	uint64_t d = to > from ? to - from : 0;

	return d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
}

void ioreqd_latency_add(struct ioreqd_latency *l, uint64_t woke, uint64_t slot,
                        uint64_t done, uint64_t notified)
{
	uint32_t *s;

	if (!l->ring)
		return;
	s = l->ring[l->next];
	s[IOREQD_LAT_WAKE] = clamp32(woke, slot);
	s[IOREQD_LAT_HANDLE] = clamp32(slot, done);
	s[IOREQD_LAT_NOTIFY] = clamp32(done, notified);
	l->next = (l->next + 1) % IOREQD_LATENCY_RING;
	l->samples++;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The sample below which @pct percent of the sorted @v lie (nearest rank). */
static uint64_t rank(const uint64_t *v, unsigned n, unsigned pct)
{
	unsigned i = (unsigned)(((uint64_t)n * pct + 99) / 100);

	return v[i ? i - 1 : 0];
}

void ioreqd_latency_report(const struct ioreqd_latency *l,
                           void (*emit)(void *ctx, const char *group, const char *name,
                                        uint64_t value),
                           void *ctx)
{
	static const char *const names[IOREQD_LAT_PARTS_] = {"wake_ns", "handle_ns",
	                                                     "notify_ns"};
	unsigned n;
	uint64_t *v;

	if (!l->ring)
		return;
	emit(ctx, "latency", "samples", l->samples);
	n = l->samples < IOREQD_LATENCY_RING ? (unsigned)l->samples : IOREQD_LATENCY_RING;
	if (!n)
		return;
	/* Stats are rare (a query, a signal, the exit): allocate, never block I/O. */
	v = malloc(n * sizeof(*v));
	if (!v)
		return;
	for (unsigned p = 0; p < IOREQD_LAT_PARTS_; p++) {
		for (unsigned i = 0; i < n; i++)
			v[i] = l->ring[i][p];
		qsort(v, n, sizeof(*v), cmp_u64);
		emit(ctx, "latency", names[p], rank(v, n, 50));
	}
	for (unsigned i = 0; i < n; i++)
		v[i] = (uint64_t)l->ring[i][0] + l->ring[i][1] + l->ring[i][2];
	qsort(v, n, sizeof(*v), cmp_u64);
	emit(ctx, "latency", "total_ns", rank(v, n, 50));
	emit(ctx, "latency", "total_p90_ns", rank(v, n, 90));
	free(v);
}
