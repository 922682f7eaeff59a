/* SPDX-License-Identifier: MIT */
/*
 * In-process engine benchmarks: what one access costs ioreqd with the
 * notification taken out.  The program plays Xen against a real engine over
 * a real page-aligned shared_iopage_t: it fills vCPU 0's slot, sets READY and
 * calls ioreqd_engine_handle(), which copies and validates the request, looks
 * the address up on the bus, runs the range's handler chain (one trivial
 * handler) and completes the slot; the notify op is a no-op.  Two address
 * patterns are measured for 1 to 10,000 ranges: sequential (consecutive
 * accesses walk the ranges in address order) and random (uniform over ranges
 * and offsets, the worst case for the branch predictor and the caches), so
 * the curve shows the O(log n) lookup.  The lookup alone is measured too.
 *
 * The buffered ring is measured the same way: the program produces a mix of
 * 4-byte and 8-byte (split, two-slot) posted writes, as Xen does, and times
 * ioreqd_engine_drain_buffered() only.
 *
 * --mode=callgrind runs fixed counts through the cg_region_* functions, which
 * bench/callgrind.sh collects alone (--toggle-collect) to print a stable
 * instruction count per access.
 */
#include "build-config.h"

#include <errno.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "bus.h"
#include "engine.h"
#include "log.h"

#define MMIO_BASE 0xc0000000ull
#define RANGE_SIZE 0x1000ull   /* each range: 4 KiB ... */
#define RANGE_STRIDE 0x2000ull /* ... with a 4 KiB hole after it */
#define NR_ADDRS (1u << 16)    /* precomputed addresses per pattern */
#define ADDR_MASK (NR_ADDRS - 1)
#define BATCH 4096u /* accesses per timed batch */

#define BUF_BASE 0xa0000ull /* buffered writes: Xen buffers below 1 MiB */
#define BUF_RANGES 16u
#define BUF_RANGE_SIZE 0x2000ull

static const unsigned range_counts[] = {1, 10, 100, 1000, 10000};
#define NR_COUNTS (sizeof(range_counts) / sizeof(range_counts[0]))

enum pattern { PAT_SEQ = 0, PAT_RANDOM, PAT_COUNT_ };
static const char *const pattern_names[PAT_COUNT_] = {"sequential", "random"};

struct rig {
	struct ioreqd_bus *bus;
	struct ioreqd_engine *eng;
	shared_iopage_t *page;
	buffered_iopage_t *bpage;
	uint64_t reg;      /* the trivial device's one register */
	uint64_t failures; /* slots not completed as expected */
};

static enum ioreqd_fault_result bench_handler(ioreqd_fault_t *f, void *opaque)
{
	uint64_t *reg = opaque;

	if (ioreqd_fault_is_read(f))
		ioreqd_fault_set_data(f, *reg ^ ioreqd_fault_offset(f));
	else
		*reg = ioreqd_fault_data(f);
	return IOREQD_FAULT_HANDLED;
}

static int notify_nop(void *opaque, unsigned vcpu)
{
	return 0;
}

static const struct ioreqd_guest_ops bench_ops_guest = {
    .notify = notify_nop,
};

static void rig_free(struct rig *r)
{
	ioreqd_engine_free(r->eng);
	ioreqd_bus_free(r->bus);
	free(r->page);
	free(r->bpage);
	memset(r, 0, sizeof(*r));
}

static int add_range(struct rig *r, uint64_t base, uint64_t size)
{
	struct ioreqd_handler h = {
	    .name = "bench",
	    .fn = bench_handler,
	    .opaque = &r->reg,
	    .order = IOREQD_ORDER_NORMAL,
	};
	struct ioreqd_range *range;
	const char *why = NULL;
	int rc;

	rc = ioreqd_bus_add_sized(r->bus, IOREQD_SPACE_MMIO, base, size, &range, &why);
	if (rc == 0)
		rc = ioreqd_range_install(range, &h, NULL, NULL);
	if (rc < 0)
		fprintf(stderr, "%s: range 0x%llx+0x%llx: %s\n", __func__,
		        (unsigned long long)base, (unsigned long long)size,
		        why ? why : strerror(-rc));
	return rc;
}

/*
 * Build a bus of @p nranges MMIO ranges (plus the buffered-write ranges when
 * @p buffered) and an engine over freshly allocated, page-aligned pages.
 */
static int rig_new(struct rig *r, unsigned nranges, bool buffered)
{
	int rc = -ENOMEM;

	memset(r, 0, sizeof(*r));
	r->bus = ioreqd_bus_new();
	r->page = aligned_alloc(4096, 4096);
	r->bpage = aligned_alloc(4096, 4096);
	if (!r->bus || !r->page || !r->bpage)
		goto out;
	memset(r->page, 0, 4096);
	memset(r->bpage, 0, 4096);
	for (unsigned i = 0; i < nranges; i++) {
		rc = add_range(r, MMIO_BASE + i * RANGE_STRIDE, RANGE_SIZE);
		if (rc < 0)
			goto out;
	}
	for (unsigned i = 0; buffered && i < BUF_RANGES; i++) {
		rc = add_range(r, BUF_BASE + i * BUF_RANGE_SIZE, BUF_RANGE_SIZE);
		if (rc < 0)
			goto out;
	}
	r->eng =
	    ioreqd_engine_new(r->bus, r->page, 1, 1, &bench_ops_guest, NULL, NULL, NULL);
	rc = r->eng ? 0 : -errno;
out:
	if (rc < 0)
		rig_free(r);
	return rc;
}

static void make_addrs(uint64_t *a, unsigned nranges, enum pattern p)
{
	uint64_t seed = 0x9e3779b97f4a7c15ull;

	for (unsigned k = 0; k < NR_ADDRS; k++) {
		uint64_t range, off;

		if (p == PAT_SEQ) {
			range = k % nranges;
			off = ((uint64_t)(k / nranges) * 4) % RANGE_SIZE;
		} else {
			range = bench_rand(&seed) % nranges;
			off = (bench_rand(&seed) % (RANGE_SIZE / 4)) * 4;
		}
		a[k] = MMIO_BASE + range * RANGE_STRIDE + off;
	}
}

/*
 * Play Xen for @p n synchronous accesses: fill the slot, publish READY, let
 * the engine run it, and collect the result the way the vCPU would.
 * Reads and writes alternate; every access is 4 bytes.
 */
static __attribute__((noinline)) uint64_t run_sync(struct rig *r, const uint64_t *addrs,
                                                   uint64_t start, unsigned n)
{
	ioreq_t *slot = &r->page->vcpu_ioreq[0];
	uint64_t sum = 0;

	for (unsigned k = 0; k < n; k++) {
		uint64_t i = start + k;

		slot->addr = addrs[i & ADDR_MASK];
		slot->data = i;
		slot->count = 1;
		slot->size = 4;
		slot->dir = (i & 1) ? IOREQ_READ : IOREQ_WRITE;
		slot->type = IOREQ_TYPE_COPY;
		/* Release: the fields above before READY, as Xen's wmb. */
		atomic_thread_fence(memory_order_release);
		slot->state = STATE_IOREQ_READY;
		ioreqd_engine_handle(r->eng, 0);
		if (slot->state != STATE_IORESP_READY)
			r->failures++;
		sum += slot->data;
		slot->state = STATE_IOREQ_NONE; /* Xen resets the slot */
	}
	return sum;
}

static __attribute__((noinline)) uint64_t run_lookup(struct rig *r, const uint64_t *addrs,
                                                     uint64_t start, unsigned n)
{
	uint64_t sum = 0;

	for (unsigned k = 0; k < n; k++) {
		struct ioreqd_range *range = ioreqd_bus_lookup(
		    r->bus, IOREQD_SPACE_MMIO, addrs[(start + k) & ADDR_MASK], 4);

		sum += (uintptr_t)range;
	}
	return sum;
}

/*
 * Produce posted writes the way Xen does: entries alternate between 4-byte
 * (one slot) and 8-byte (two slots, high half second); fill the ring as far
 * as it goes, then publish write_pointer once.  @return slots produced.
 */
static unsigned produce(buffered_iopage_t *bp, uint64_t *seq)
{
	uint32_t rd = __atomic_load_n(&bp->read_pointer, __ATOMIC_ACQUIRE);
	uint32_t wr = bp->write_pointer;
	unsigned made = 0;

	for (;;) {
		uint64_t i = (*seq)++;
		bool quad = i & 1;
		unsigned need = quad ? 2 : 1;
		buf_ioreq_t *s;

		if (wr - rd + need > IOREQ_BUFFER_SLOT_NUM) {
			(*seq)--;
			break;
		}
		s = &bp->buf_ioreq[wr % IOREQ_BUFFER_SLOT_NUM];
		memset(s, 0, sizeof(*s));
		s->type = IOREQ_TYPE_COPY;
		s->dir = IOREQ_WRITE;
		s->size = quad ? 3 : 2;
		s->addr = (uint32_t)(BUF_BASE + (i * 8) % (BUF_RANGES * BUF_RANGE_SIZE));
		s->data = (uint32_t)i;
		if (quad) {
			buf_ioreq_t *hi =
			    &bp->buf_ioreq[(wr + 1) % IOREQ_BUFFER_SLOT_NUM];

			memset(hi, 0, sizeof(*hi));
			hi->data = (uint32_t)(i >> 32) | 0x80000000u;
		}
		wr += need;
		made += need;
	}
	/* Release: the slot contents before the new write_pointer. */
	__atomic_store_n(&bp->write_pointer, wr, __ATOMIC_RELEASE);
	return made;
}

/*
 * Time-boxed sync dispatch: @return the median ns per access over batches;
 * *best_ns receives the 10th percentile (what the code costs when nothing
 * else disturbs it) and *mean_ns the plain mean (what interference adds).
 */
static double measure_sync(struct rig *r, const uint64_t *addrs, double seconds,
                           bool lookup, double *mean_ns, double *best_ns)
{
	size_t cap = 1u << 16, nb = 0;
	double *per = calloc(cap, sizeof(*per));
	uint64_t t_end, t_all = 0, i = 0, sum = 0, done = 0;
	double med;

	if (!per)
		return 0;
	/* Warm up: caches, branch predictors, page faults. */
	sum +=
	    lookup ? run_lookup(r, addrs, 0, NR_ADDRS) : run_sync(r, addrs, 0, NR_ADDRS);
	t_end = bench_now_ns() + (uint64_t)(seconds * 1e9);
	while (nb < cap) {
		uint64_t t0 = bench_now_ns(), t1;

		sum += lookup ? run_lookup(r, addrs, i, BATCH)
		              : run_sync(r, addrs, i, BATCH);
		t1 = bench_now_ns();
		i += BATCH;
		done += BATCH;
		t_all += t1 - t0;
		per[nb++] = (double)(t1 - t0) / BATCH;
		if (t1 >= t_end)
			break;
	}
	bench_sink(sum);
	*mean_ns = (double)t_all / (double)done;
	med = bench_median(per, nb); /* sorts per[] */
	*best_ns = per[nb / 10];
	free(per);
	return med;
}

/*
 * The curve's shape: a least-squares fit of ns against log2(ranges).  A
 * lookup that is O(log n) gives a straight line here, and the slope is the
 * cost of one more halving step; caches falling out bend the random curve up.
 */
static void print_growth(struct bench_json *j, double curve[PAT_COUNT_][NR_COUNTS])
{
	bench_json_obj(j, "growth_ns_per_doubling");
	printf("growth (least squares, ns per doubling of ranges):");
	for (int p = 0; p < PAT_COUNT_; p++) {
		double sx = 0, sy = 0, sxx = 0, sxy = 0, slope;

		for (unsigned c = 0; c < NR_COUNTS; c++) {
			double x = log2((double)range_counts[c]);

			sx += x;
			sy += curve[p][c];
			sxx += x * x;
			sxy += x * curve[p][c];
		}
		slope = (NR_COUNTS * sxy - sx * sy) / (NR_COUNTS * sxx - sx * sx);
		printf(" %s %+.2f", pattern_names[p], slope);
		bench_json_num(j, pattern_names[p], slope);
	}
	printf("\n");
	bench_json_end(j, '}');
}

static int bench_sync(const struct bench_opts *o, struct bench_json *j)
{
	uint64_t *addrs = malloc(NR_ADDRS * sizeof(*addrs));
	double curve[PAT_COUNT_][NR_COUNTS] = {{0}};
	double at1000 = 0;
	int rc = 0;

	if (!addrs)
		return -ENOMEM;
	printf("\n== In-process dispatch (decode + lookup + chain + complete, no "
	       "notification)\n");
	printf("%8s %-11s %10s %9s %9s %9s %10s\n", "ranges", "pattern", "ns/access",
	       "best ns", "mean ns", "M acc/s", "lookup ns");
	bench_json_arr(j, "dispatch");
	for (unsigned c = 0; c < NR_COUNTS; c++) {
		unsigned n = range_counts[c];
		struct rig r;

		rc = rig_new(&r, n, false);
		if (rc < 0)
			break;
		for (int p = 0; p < PAT_COUNT_; p++) {
			double mean, best, lmean, lbest, ns, lns;

			make_addrs(addrs, n, (enum pattern)p);
			ns = measure_sync(&r, addrs, o->seconds, false, &mean, &best);
			lns =
			    measure_sync(&r, addrs, o->seconds / 3, true, &lmean, &lbest);
			printf("%8u %-11s %10.1f %9.1f %9.1f %9.2f %10.1f\n", n,
			       pattern_names[p], ns, best, mean, 1e3 / ns, lns);
			curve[p][c] = ns;
			bench_json_obj(j, NULL);
			bench_json_int(j, "ranges", n);
			bench_json_str(j, "pattern", pattern_names[p]);
			bench_json_num(j, "ns_per_access", ns);
			bench_json_num(j, "best_ns_per_access", best);
			bench_json_num(j, "mean_ns_per_access", mean);
			bench_json_num(j, "maccesses_per_s", 1e3 / ns);
			bench_json_num(j, "lookup_ns", lns);
			bench_json_end(j, '}');
			if (n == 1000 && ns > at1000)
				at1000 = ns; /* the worse of the two patterns */
		}
		if (r.failures)
			fprintf(stderr,
			        "bench_dispatch: %llu slots were not completed!\n",
			        (unsigned long long)r.failures);
		if (ioreqd_engine_stats(r.eng)->unhandled)
			fprintf(
			    stderr, "bench_dispatch: %llu accesses were unhandled!\n",
			    (unsigned long long)ioreqd_engine_stats(r.eng)->unhandled);
		rig_free(&r);
	}
	bench_json_end(j, ']');
	free(addrs);
	if (rc == 0)
		print_growth(j, curve);
	if (rc == 0 && at1000 > 0) {
		bench_target("dispatch.ns_per_access@1000", at1000, "<=", 60, "ns");
		bench_target("dispatch.maccesses_per_s@1000", 1e3 / at1000, ">=", 15,
		             "M/s");
	}
	return rc;
}

/* @return slots drained per second (median over ring-sized batches). */
static double measure_drain(struct rig *r, double seconds, uint64_t *slots_out)
{
	size_t cap = 1u << 18, nb = 0;
	double *per = calloc(cap, sizeof(*per));
	uint64_t seq = 0, slots = 0, t_end;
	double med;

	if (!per)
		return 0;
	for (int w = 0; w < 64; w++) { /* warm up */
		produce(r->bpage, &seq);
		ioreqd_engine_drain_buffered(r->eng, r->bpage);
	}
	t_end = bench_now_ns() + (uint64_t)(seconds * 1e9);
	while (nb < cap) {
		uint64_t t0, t1;
		unsigned got;

		produce(r->bpage, &seq);
		t0 = bench_now_ns();
		got = ioreqd_engine_drain_buffered(r->eng, r->bpage);
		t1 = bench_now_ns();
		slots += got;
		if (got && t1 > t0)
			per[nb++] = (double)got * 1e9 / (double)(t1 - t0);
		if (t1 >= t_end)
			break;
	}
	*slots_out = slots;
	med = bench_median(per, nb);
	free(per);
	return med;
}

static int bench_bufring(const struct bench_opts *o, struct bench_json *j)
{
	const struct ioreqd_engine_stats *st;
	uint64_t slots = 0;
	struct rig r;
	double rate;
	int rc;

	rc = rig_new(&r, 0, true);
	if (rc < 0)
		return rc;
	rate = measure_drain(&r, o->seconds, &slots);
	st = ioreqd_engine_stats(r.eng);
	printf(
	    "\n== Buffered ring drain (alternating 4-byte and 8-byte split entries)\n");
	printf("%14s %14s %14s %10s\n", "M slots/s", "M writes/s", "ns/slot", "rejected");
	printf("%14.1f %14.1f %14.2f %10llu\n", rate / 1e6,
	       rate / 1e6 * (double)st->buffered /
	           (double)(st->buffered_slots ? st->buffered_slots : 1),
	       1e9 / rate, (unsigned long long)st->rejected);
	bench_json_obj(j, "bufring");
	bench_json_num(j, "mslots_per_s", rate / 1e6);
	bench_json_num(j, "ns_per_slot", 1e9 / rate);
	bench_json_int(j, "slots", (long long)slots);
	bench_json_int(j, "writes", (long long)st->buffered);
	bench_json_int(j, "rejected", (long long)st->rejected);
	bench_json_end(j, '}');
	bench_target("bufring.mslots_per_s", rate / 1e6, ">=", 50, "M/s");
	rig_free(&r);
	return 0;
}

/*
 * The regions bench/callgrind.sh collects alone.  Their names are its
 * contract: --toggle-collect=cg_region_*.
 */
#define CG_ACCESSES 100000u

__attribute__((noinline)) uint64_t cg_region_dispatch_seq(struct rig *r,
                                                          const uint64_t *a);
__attribute__((noinline)) uint64_t cg_region_dispatch_random(struct rig *r,
                                                             const uint64_t *a);
__attribute__((noinline)) uint64_t cg_region_bufring(struct rig *r, unsigned rounds);

__attribute__((noinline)) uint64_t cg_region_dispatch_seq(struct rig *r,
                                                          const uint64_t *a)
{
	return run_sync(r, a, 0, CG_ACCESSES);
}

__attribute__((noinline)) uint64_t cg_region_dispatch_random(struct rig *r,
                                                             const uint64_t *a)
{
	return run_sync(r, a, 0, CG_ACCESSES);
}

/* Drains only: the producer runs outside the region. */
__attribute__((noinline)) uint64_t cg_region_bufring(struct rig *r, unsigned rounds)
{
	return ioreqd_engine_drain_buffered(r->eng, r->bpage);
}

static int bench_callgrind(void)
{
	uint64_t *addrs = malloc(NR_ADDRS * sizeof(*addrs));
	uint64_t seq = 0, slots = 0, sum = 0;
	struct rig r;
	int rc;

	if (!addrs)
		return -ENOMEM;
	rc = rig_new(&r, 1000, true);
	if (rc < 0) {
		free(addrs);
		return rc;
	}
	make_addrs(addrs, 1000, PAT_SEQ);
	sum += run_sync(&r, addrs, 0, NR_ADDRS);
	sum += cg_region_dispatch_seq(&r, addrs);
	make_addrs(addrs, 1000, PAT_RANDOM);
	sum += run_sync(&r, addrs, 0, NR_ADDRS);
	sum += cg_region_dispatch_random(&r, addrs);
	for (int i = 0; i < 200; i++) {
		produce(r.bpage, &seq);
		slots += cg_region_bufring(&r, 1);
	}
	bench_sink(sum);
	/* bench/callgrind.sh divides each region's instructions by these. */
	printf("cg_region_dispatch_seq %u\n", CG_ACCESSES);
	printf("cg_region_dispatch_random %u\n", CG_ACCESSES);
	printf("cg_region_bufring %llu\n", (unsigned long long)slots);
	rig_free(&r);
	free(addrs);
	return 0;
}

int main(int argc, char *argv[])
{
	struct bench_opts o;
	struct bench_json j;
	const char *mode;
	int rc = 0;

	bench_opts_parse(&o, argc, argv, "[--mode dispatch|bufring|all|callgrind]");
	mode = o.mode ? o.mode : "all";
	if (o.quick)
		o.seconds = 0.02;
	/* Nothing should be logged; if something is, it must not cost the run. */
	ioreqd_log_init("bench_dispatch", IOREQD_LOG_TO_STDERR, 0);
	if (!strcmp(mode, "callgrind"))
		return bench_callgrind() < 0 ? 1 : 0;
	if (bench_json_open(&j, o.json) < 0) {
		fprintf(stderr, "bench_dispatch: cannot write %s: %s\n", o.json,
		        strerror(errno));
		return 1;
	}
	bench_json_obj(&j, NULL);
	if (!strcmp(mode, "all") || !strcmp(mode, "dispatch"))
		rc = bench_sync(&o, &j);
	if (rc == 0 && (!strcmp(mode, "all") || !strcmp(mode, "bufring")))
		rc = bench_bufring(&o, &j);
	bench_json_end(&j, '}');
	bench_json_close(&j);
	if (rc < 0)
		fprintf(stderr, "bench_dispatch: %s\n", strerror(-rc));
	return rc < 0 ? 1 : 0;
}
