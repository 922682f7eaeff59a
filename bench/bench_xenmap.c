/* SPDX-License-Identifier: MIT */
/*
 * The Xen backend's guest-memory cache (daemon/backend-xen-mapcache.c)
 * against the per-call mapping it replaced, on the fake libxenforeignmemory
 * of tests/fake-xenforeignmemory.c.  There is no Xen here, so the fake's map
 * is a populated anonymous mmap and its unmap a munmap: a stand-in for the
 * privcmd hypercall, page-table updates and TLB flush of a real foreign
 * mapping, which cost more still.  The figure that does not depend on the
 * stand-in is the count of map and unmap calls ("hypercalls") per request.
 *
 * One request is what virtio-blk maps for a read: a 16-byte header (read),
 * the data (written) and a 1-byte status (written), each mapped and unmapped
 * once, at addresses drawn from a pool of 64 requests spread over the fake
 * guest's 4 MiB.  Cases: 4 KiB and 64 KiB of data.  Rounds of the cache and
 * of the per-call mapping are interleaved; the ratio is per-call / cached.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "fake-xen.h"

#include "backend-xen.h"
#include "bench.h"

#define DOMID 1
#define POOL 64
#define ROUNDS 5

struct req {
	uint64_t hdr, data, status;
};

static struct req pool[POOL];
/* Each mapping is touched once, as a device would (and so it is not elided). */
static volatile uint64_t touched;

/* Requests laid out as a guest driver's pool: scattered, page-aligned data. */
static void pool_init(uint64_t data_len)
{
	uint64_t seed = 0x1234567;
	uint64_t slots = (FAKE_GUEST_PAGES * 4096ull) / data_len;

	for (unsigned i = 0; i < POOL; i++) {
		uint64_t s = bench_rand(&seed) % slots;

		pool[i].data = s * data_len;
		pool[i].hdr =
		    (bench_rand(&seed) % (FAKE_GUEST_PAGES * 4096ull - 64)) & ~15ull;
		pool[i].status = pool[i].hdr + 16;
	}
}

/* The old way: one xenforeignmemory_map of the buffer's frames, then unmap. */
static int percall_buf(xenforeignmemory_handle *fmem, uint64_t gpa, uint64_t len,
                       bool write)
{
	uint64_t first = gpa >> 12, last = (gpa + len - 1) >> 12;
	size_t pages = (size_t)(last - first + 1);
	xen_pfn_t pfns[32];
	uint8_t *va;

	for (size_t i = 0; i < pages; i++)
		pfns[i] = (xen_pfn_t)(first + i);
	va = xenforeignmemory_map(fmem, DOMID, write ? PROT_READ | PROT_WRITE : PROT_READ,
	                          pages, pfns, NULL);
	if (!va)
		return -EFAULT;
	touched += va[(gpa & 4095) + len - 1];
	return xenforeignmemory_unmap(fmem, va, pages);
}

static int cached_buf(struct ioreqd_xen_mapcache *mc, uint64_t gpa, uint64_t len,
                      bool write)
{
	uintptr_t tok;
	void *va;
	int rc = ioreqd_xen_dma_map(mc, gpa, len, write, &va, &tok);

	if (rc < 0)
		return rc;
	touched += ((uint8_t *)va)[len - 1];
	ioreqd_xen_dma_unmap(mc, va, len, tok);
	return 0;
}

struct result {
	double ns_per_req;
	double calls_per_req; /* map + unmap calls */
};

/* Serve requests for @p seconds; @p mc NULL: the per-call way. */
static int run(xenforeignmemory_handle *fmem, struct ioreqd_xen_mapcache *mc,
               uint64_t data_len, double seconds, struct result *res)
{
	uint64_t n = 0, t0, t1, calls0 = fake_xen.ncalls;

	t0 = bench_now_ns();
	do {
		for (unsigned k = 0; k < 256; k++, n++) {
			const struct req *r = &pool[n % POOL];
			int rc;

			if (mc)
				rc = cached_buf(mc, r->hdr, 16, false) ||
				     cached_buf(mc, r->data, data_len, true) ||
				     cached_buf(mc, r->status, 1, true);
			else
				rc = percall_buf(fmem, r->hdr, 16, false) ||
				     percall_buf(fmem, r->data, data_len, true) ||
				     percall_buf(fmem, r->status, 1, true);
			if (rc)
				return -1;
		}
		t1 = bench_now_ns();
	} while (t1 - t0 < seconds * 1e9);
	res->ns_per_req = (double)(t1 - t0) / (double)n;
	res->calls_per_req = (double)(fake_xen.ncalls - calls0) / (double)n;
	return 0;
}

int main(int argc, char *argv[])
{
	static const uint64_t sizes[] = {4096, 65536};
	struct bench_opts o;
	struct bench_json j;
	xenforeignmemory_handle *fmem;
	xc_interface *xch;
	char key[80];

	bench_opts_parse(&o, argc, argv, "");
	if (o.quick)
		o.seconds = 0.02;
	if (bench_json_open(&j, o.json) < 0) {
		fprintf(stderr, "bench_xenmap: cannot write %s: %s\n", o.json,
		        strerror(errno));
		return 1;
	}
	fake_xen_reset(DOMID, 1);
	fake_xen.map_syscalls = true;
	fmem = xenforeignmemory_open(NULL, 0);
	xch = xc_interface_open(NULL, NULL, 0);
	bench_json_obj(&j, NULL);
	printf("== Xen guest memory: mapcache vs one mapping per buffer (fake Xen: "
	       "map = populated mmap)\n");
	printf("%-10s %14s %14s %8s %16s %16s\n", "data", "per-call ns", "cached ns",
	       "ratio", "per-call calls", "cached calls");
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		double pc[ROUNDS], ca[ROUNDS], ratio[ROUNDS];
		struct result rp = {0}, rc = {0};
		struct ioreqd_xen_mapcache mc;

		pool_init(sizes[s]);
		ioreqd_xen_mapcache_init(&mc, fmem, xch, DOMID);
		/* Warm the cache: the steady state is what is measured. */
		if (run(fmem, &mc, sizes[s], o.seconds / 10, &rc) < 0)
			goto fail;
		for (unsigned i = 0; i < ROUNDS; i++) {
			if (run(fmem, NULL, sizes[s], o.seconds / ROUNDS, &rp) < 0 ||
			    run(fmem, &mc, sizes[s], o.seconds / ROUNDS, &rc) < 0)
				goto fail;
			pc[i] = rp.ns_per_req;
			ca[i] = rc.ns_per_req;
			ratio[i] = rp.ns_per_req / rc.ns_per_req;
		}
		ioreqd_xen_mapcache_release_all(&mc);
		printf("%-10s %14.0f %14.0f %7.1fx %16.2f %16.4f\n",
		       sizes[s] == 4096 ? "4 KiB" : "64 KiB", bench_median(pc, ROUNDS),
		       bench_median(ca, ROUNDS), bench_median(ratio, ROUNDS),
		       rp.calls_per_req, rc.calls_per_req);
		snprintf(key, sizeof(key), "data_%llu", (unsigned long long)sizes[s]);
		bench_json_obj(&j, key);
		bench_json_num(&j, "percall_ns_per_request", bench_median(pc, ROUNDS));
		bench_json_num(&j, "cached_ns_per_request", bench_median(ca, ROUNDS));
		bench_json_num(&j, "ratio", bench_median(ratio, ROUNDS));
		bench_json_num(&j, "percall_calls_per_request", rp.calls_per_req);
		bench_json_num(&j, "cached_calls_per_request", rc.calls_per_req);
		bench_json_end(&j, '}');
		snprintf(key, sizeof(key), "xenmap.%s.speedup",
		         sizes[s] == 4096 ? "4k" : "64k");
		bench_target(key, bench_median(ratio, ROUNDS), "info", 0, "x");
		snprintf(key, sizeof(key), "xenmap.%s.hypercalls_per_request",
		         sizes[s] == 4096 ? "4k" : "64k");
		bench_target(key, rc.calls_per_req, "<=", 0.01, "");
	}
	bench_json_end(&j, '}');
	bench_json_close(&j);
	xc_interface_close(xch);
	xenforeignmemory_close(fmem);
	fake_xen_cleanup();
	return 0;
fail:
	fprintf(stderr, "bench_xenmap: a mapping failed\n");
	return 1;
}
