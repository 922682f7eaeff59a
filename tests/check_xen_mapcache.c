/* SPDX-License-Identifier: MIT */
/*
 * The Xen backend's guest-memory cache (daemon/backend-xen-mapcache.c)
 * against the fake libxenforeignmemory of tests/fake-xen.c: ranges are mapped
 * in buckets and served from them again without a hypercall, a range across
 * buckets is one contiguous mapping, unused buckets age out past the cap,
 * INVALIDATE drops the unused ones and retires the ones in use, bad frames
 * and bad ranges give -EFAULT (the latter before any hypercall), a
 * writable mapping's unmap reports what was written, and grant addresses
 * (bit 63) map consecutive grant refs through the fake libxengnttab of
 * tests/fake-xengnttab.c.  (Stock Debian guest kernels have CONFIG_XEN_VIRTIO
 * off, so no real guest here uses grants: these fakes are the proof.)
 */
#include "fake-xen.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "backend-xen.h"
#include "log.h"

#define DOMID 5
#define MiB (1ull << 20)
#define BUCKET ((uint64_t)IOREQD_XEN_BUCKET_PAGES * 4096)

static char msgs[64][512];
static unsigned nmsgs;

static void sink(int level, const char *msg, void *arg)
{
	if (nmsgs < 64)
		snprintf(msgs[nmsgs], sizeof(msgs[0]), "%s", msg);
	nmsgs++;
}

static const char *logged(const char *a, const char *b)
{
	for (unsigned i = 0; i < nmsgs && i < 64; i++)
		if (strstr(msgs[i], a) && (!b || strstr(msgs[i], b)))
			return msgs[i];
	return NULL;
}

static struct ioreqd_xen_mapcache mc;
static xenforeignmemory_handle *fmem;
static xc_interface *xch;

static void setup_each(void)
{
	nmsgs = 0;
	ioreqd_log_set_sink(sink, NULL);
	ioreqd_log_set_verbosity(LOG_LEVEL_INFO);
	fake_xen_reset(DOMID, 1);
	fmem = xenforeignmemory_open(NULL, 0);
	xch = xc_interface_open(NULL, NULL, 0);
	ck_assert_ptr_nonnull(fmem);
	ck_assert_ptr_nonnull(xch);
	ioreqd_xen_mapcache_init(&mc, fmem, xch, DOMID);
	fake_xen_clear_log();
}

static void teardown_each(void)
{
	ioreqd_xen_mapcache_release_all(&mc);
	xc_interface_close(xch);
	xenforeignmemory_close(fmem);
	ck_assert_ptr_null(fake_xen_leak());
	ioreqd_log_set_sink(NULL, NULL);
	fake_xen_cleanup();
}

static int map(uint64_t gpa, uint64_t len, bool write, void **hva, uintptr_t *tok)
{
	return ioreqd_xen_dma_map(&mc, gpa, len, write, hva, tok);
}

static void unmap(void *hva, uint64_t len, uintptr_t tok)
{
	ioreqd_xen_dma_unmap(&mc, hva, len, tok);
}

START_TEST(test_mapcache_bucket_is_mapped_once_and_reused)
{
	uint8_t in[8] = {1, 2, 3, 4, 5, 6, 7, 8}, out[8];

	/* Across a page boundary: one mapping of the whole bucket. */
	ck_assert_int_eq(ioreqd_xen_mapcache_copy(&mc, 0x1ffd, in, sizeof(in), true), 0);
	ck_assert_mem_eq(fake_xen_guest(0x1ffd), in, sizeof(in));
	ck_assert_uint_eq(fake_xen.maps_made, 1);
	ck_assert_uint_eq(fake_xen.frames_mapped, IOREQD_XEN_BUCKET_PAGES);
	/* The guest's size was asked once, at the first address. */
	ck_assert_uint_eq(fake_xen_count("xc_domain_maximum_gpfn"), 1);
	memset(out, 0, sizeof(out));
	ck_assert_int_eq(ioreqd_xen_mapcache_copy(&mc, 0x1ffd, out, sizeof(out), false),
	                 0);
	ck_assert_mem_eq(out, in, sizeof(in));
	ck_assert_int_eq(ioreqd_xen_mapcache_copy(&mc, BUCKET - 8, out, 8, false), 0);
	ck_assert_uint_eq(fake_xen.maps_made, 1);
	ck_assert_uint_eq(mc.st.hits, 2);
	ck_assert_uint_eq(mc.st.misses, 1);
	ck_assert_uint_eq(mc.st.buckets_mapped, 1);
	ck_assert_uint_eq(mc.st.bytes_mapped, BUCKET);
	/* The unused bucket stays mapped. */
	ck_assert_int_eq(fake_xen.live_maps, 1);
	ck_assert_uint_eq(fake_xen_count("xenforeignmemory_unmap"), 0);
	ck_assert_int_eq(ioreqd_xen_mapcache_copy(&mc, 0, out, 0, false), 0);
}
END_TEST

START_TEST(test_mapcache_steady_state_makes_no_hypercall)
{
	void *hva;
	uintptr_t tok;

	for (unsigned i = 0; i < 1000; i++) {
		uint64_t gpa = (i % 2) * BUCKET + (i % 16) * 4096;

		ck_assert_int_eq(map(gpa, 4096, i % 3 == 0, &hva, &tok), 0);
		ck_assert_ptr_eq(hva, fake_xen_guest(gpa));
		unmap(hva, 4096, tok);
	}
	ck_assert_uint_eq(fake_xen_count("xenforeignmemory_map"), 2);
	ck_assert_uint_eq(fake_xen_count("xenforeignmemory_unmap"), 0);
	ck_assert_uint_eq(mc.st.hits, 998);
}
END_TEST

START_TEST(test_mapcache_range_across_buckets_is_one_contiguous_mapping)
{
	uint8_t in[0x20];
	void *hva, *h2;
	uintptr_t tok, t2;

	for (unsigned i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(0xa0 + i);
	ck_assert_int_eq(map(BUCKET - 0x10, sizeof(in), true, &hva, &tok), 0);
	ck_assert_uint_eq(fake_xen_count("xenforeignmemory_map"), 1);
	ck_assert_uint_eq(fake_xen.frames_mapped, 2 * IOREQD_XEN_BUCKET_PAGES);
	ck_assert_uint_eq(mc.st.buckets_mapped, 2);
	ck_assert_ptr_eq(hva, fake_xen_guest(BUCKET - 0x10));
	memcpy(hva, in, sizeof(in));
	ck_assert_mem_eq(fake_xen_guest(BUCKET - 0x10), in, sizeof(in));
	/* Anything in the first bucket comes from the same mapping. */
	ck_assert_int_eq(map(0x3000, 8, false, &h2, &t2), 0);
	ck_assert_uint_eq(fake_xen_count("xenforeignmemory_map"), 1);
	ck_assert_uint_eq(t2 & ~(uintptr_t)1, tok & ~(uintptr_t)1);
	unmap(h2, 8, t2);
	unmap(hva, sizeof(in), tok);
	ck_assert_int_eq(fake_xen.live_maps, 1);
}
END_TEST

START_TEST(test_mapcache_evicts_least_recently_used_past_the_cap)
{
	void *h[3];
	uintptr_t t[3];

	mc.cap = 2 * BUCKET;
	ck_assert_int_eq(map(0, 16, false, &h[0], &t[0]), 0);
	ck_assert_int_eq(map(BUCKET, 16, false, &h[1], &t[1]), 0);
	unmap(h[0], 16, t[0]);
	unmap(h[1], 16, t[1]);
	/* Bucket 0 used again: bucket 1 is now the oldest unused one. */
	ck_assert_int_eq(map(0, 16, false, &h[0], &t[0]), 0);
	unmap(h[0], 16, t[0]);
	fake_xen_clear_log();
	ck_assert_int_eq(map(2 * BUCKET, 16, false, &h[2], &t[2]), 0);
	ck_assert_int_eq(fake_xen_find("xenforeignmemory_unmap", 0), 1);
	ck_assert_uint_eq(fake_xen.calls[1].arg, IOREQD_XEN_BUCKET_PAGES);
	ck_assert_uint_eq(mc.st.evictions, 1);
	ck_assert_int_eq(fake_xen.live_maps, 2);
	/* In use, nothing is evicted, even past the cap. */
	ck_assert_int_eq(map(0, 16, false, &h[0], &t[0]), 0);
	ck_assert_int_eq(map(3 * BUCKET, 16, false, &h[1], &t[1]), 0);
	ck_assert_int_eq(fake_xen.live_maps, 3);
	ck_assert_uint_eq(mc.st.bytes_mapped, 3 * BUCKET);
	unmap(h[2], 16, t[2]);
	ck_assert_int_eq(fake_xen.live_maps, 2);
	unmap(h[0], 16, t[0]);
	unmap(h[1], 16, t[1]);
	ck_assert_uint_eq(mc.st.bytes_mapped, 2 * BUCKET);
}
END_TEST

START_TEST(test_mapcache_invalidate_drops_unused_and_retires_used_buckets)
{
	uint8_t b;
	void *hva, *h2;
	uintptr_t tok, t2;

	ck_assert_int_eq(map(0x2000, 8, true, &hva, &tok), 0);
	ck_assert_int_eq(ioreqd_xen_mapcache_copy(&mc, BUCKET + 5, &b, 1, false), 0);
	ck_assert_int_eq(fake_xen.live_maps, 2);
	ioreqd_xen_mapcache_invalidate(&mc);
	/* The unused bucket went; the one in use stays valid for its holder. */
	ck_assert_int_eq(fake_xen.live_maps, 1);
	memcpy(hva, "ABCDEFGH", 8);
	ck_assert_mem_eq(fake_xen_guest(0x2000), "ABCDEFGH", 8);
	/* It is never handed out again: the same address maps afresh. */
	ck_assert_int_eq(map(0x2000, 8, false, &h2, &t2), 0);
	ck_assert_uint_eq(fake_xen.maps_made, 3);
	ck_assert_ptr_ne((void *)(t2 & ~(uintptr_t)1), (void *)(tok & ~(uintptr_t)1));
	/* Its last unmap unmaps it; the new bucket stays cached. */
	fake_xen_clear_log();
	unmap(hva, 8, tok);
	ck_assert_uint_eq(fake_xen_count("xenforeignmemory_unmap"), 1);
	unmap(h2, 8, t2);
	ck_assert_int_eq(fake_xen.live_maps, 1);
	ck_assert_uint_eq(mc.live, 0);
}
END_TEST

START_TEST(test_mapcache_refuses_bad_ranges_before_any_mapping)
{
	uint8_t buf[16];
	void *hva;
	uintptr_t tok;

	fake_xen.max_gpfn = 2 * IOREQD_XEN_BUCKET_PAGES - 1; /* a 2 MiB guest */
	ck_assert_int_eq(ioreqd_xen_mapcache_copy(&mc, UINT64_MAX - 3, buf, 8, false),
	                 -EFAULT);
	ck_assert_int_eq(
	    ioreqd_xen_mapcache_copy(&mc, IOREQD_XEN_GPA_LIMIT, buf, 1, false), -EFAULT);
	ck_assert_int_eq(
	    ioreqd_xen_mapcache_copy(&mc, 0, buf, IOREQD_XEN_COPY_MAX + 1, true),
	    -EFAULT);
	ck_assert_int_eq(map(0x1000, 0, false, &hva, &tok), -EFAULT);
	ck_assert_int_eq(map(UINT64_MAX - 3, 8, false, &hva, &tok), -EFAULT);
	ck_assert_int_eq(map(IOREQD_XEN_GPA_LIMIT - 1, 2, false, &hva, &tok), -EFAULT);
	ck_assert_int_eq(map(0, IOREQD_XEN_DMA_MAX + 1ull, false, &hva, &tok), -EFAULT);
	ck_assert_ptr_null(hva);
	ck_assert_uint_eq(tok, 0);
	/* Past the guest's last frame: Xen is asked again, then it is refused. */
	ck_assert_int_eq(map(2 * BUCKET - 4, 8, false, &hva, &tok), -EFAULT);
	ck_assert_uint_eq(fake_xen_count("xenforeignmemory_map"), 0);
	ck_assert_uint_eq(fake_xen_count("xc_domain_maximum_gpfn"), 1);
	ck_assert_uint_eq(mc.st.refused, 8);
	ck_assert_ptr_nonnull(logged("domain 5", "0x1ffffc+0x8"));
	/* The guest grew: an address beyond the old end is asked about again. */
	fake_xen.max_gpfn = FAKE_GUEST_PAGES - 1;
	ck_assert_int_eq(map(2 * BUCKET - 4, 8, false, &hva, &tok), 0);
	ck_assert_uint_eq(fake_xen_count("xc_domain_maximum_gpfn"), 2);
	ck_assert_ptr_eq(hva, fake_xen_guest(2 * BUCKET - 4));
	unmap(hva, 8, tok);
}
END_TEST

START_TEST(test_mapcache_bucket_stops_at_the_guests_last_frame)
{
	void *hva;
	uintptr_t tok;

	fake_xen.max_gpfn = 2 * IOREQD_XEN_BUCKET_PAGES + 10;
	ck_assert_int_eq(map(2 * BUCKET, 8, true, &hva, &tok), 0);
	ck_assert_uint_eq(fake_xen.frames_mapped, 11);
	ck_assert_uint_eq(mc.st.bytes_mapped, 11 * 4096);
	unmap(hva, 8, tok);
	ck_assert_int_eq(map(2 * BUCKET + 11 * 4096, 8, true, &hva, &tok), -EFAULT);
}
END_TEST

START_TEST(test_mapcache_bad_frame_fails_alone_and_read_only_frame_reads)
{
	uint8_t b = 0x42, got;
	void *hva;
	uintptr_t tok;

	fake_xen.hole[IOREQD_XEN_BUCKET_PAGES + 4] = true;
	fake_xen.readonly[3] = true;
	/* A hole: -EFAULT, named in the log; its neighbours map from the bucket. */
	ck_assert_int_eq(map(BUCKET + 4 * 4096, 16, false, &hva, &tok), -EFAULT);
	ck_assert_ptr_nonnull(logged("xenforeignmemory_map", "domain 5"));
	ck_assert_int_eq(map(BUCKET + 3 * 4096, 4096, true, &hva, &tok), 0);
	ck_assert_ptr_eq(hva, fake_xen_guest(BUCKET + 3 * 4096));
	unmap(hva, 4096, tok);
	ck_assert_int_eq(map(BUCKET + 3 * 4096, 4097, false, &hva, &tok), -EFAULT);
	/* A read-only frame: readable through a mapping of its own, not writable. */
	ck_assert_int_eq(ioreqd_xen_mapcache_copy(&mc, 3 * 4096 + 10, &got, 1, false), 0);
	ck_assert_uint_eq(got, *fake_xen_guest(3 * 4096 + 10));
	ck_assert_int_eq(ioreqd_xen_mapcache_copy(&mc, 3 * 4096 + 10, &b, 1, true),
	                 -EFAULT);
	ck_assert_uint_eq(*fake_xen_guest(3 * 4096 + 10), got);
	/* Its neighbour is written through the bucket. */
	ck_assert_int_eq(ioreqd_xen_mapcache_copy(&mc, 4 * 4096, &b, 1, true), 0);
	ck_assert_uint_eq(*fake_xen_guest(4 * 4096), 0x42);
	/* The two buckets stay; the dedicated mappings went at their unmap. */
	ck_assert_int_eq(fake_xen.live_maps, 2);
	/* A failure that leaves a new bucket behind still keeps the cap. */
	mc.cap = 2 * BUCKET;
	fake_xen.hole[2 * IOREQD_XEN_BUCKET_PAGES] = true;
	ck_assert_int_eq(map(2 * BUCKET, 16, false, &hva, &tok), -EFAULT);
	ck_assert_uint_le(mc.st.bytes_mapped, mc.cap);
	ck_assert_uint_eq(mc.st.evictions, 1);
}
END_TEST

static uint64_t dirty_gpa, dirty_len;
static unsigned dirty_calls;

static void dirty(void *arg, uint64_t gpa, uint64_t len)
{
	ck_assert_ptr_eq(arg, &mc);
	dirty_gpa = gpa;
	dirty_len = len;
	dirty_calls++;
}

START_TEST(test_mapcache_writable_unmap_reports_the_range_written)
{
	uint8_t b = 1;
	void *hva;
	uintptr_t tok;

	dirty_calls = 0;
	mc.dirty = dirty;
	mc.dirty_arg = &mc;
	ck_assert_int_eq(map(BUCKET + 0x1234, 0x100, false, &hva, &tok), 0);
	unmap(hva, 0x100, tok);
	ck_assert_uint_eq(dirty_calls, 0);
	ck_assert_int_eq(map(BUCKET + 0x1234, 0x100, true, &hva, &tok), 0);
	unmap(hva, 0x100, tok);
	ck_assert_uint_eq(dirty_calls, 1);
	ck_assert_uint_eq(dirty_gpa, BUCKET + 0x1234);
	ck_assert_uint_eq(dirty_len, 0x100);
	/* String I/O into the guest is reported too. */
	ck_assert_int_eq(ioreqd_xen_mapcache_copy(&mc, 0x77, &b, 1, true), 0);
	ck_assert_uint_eq(dirty_calls, 2);
	ck_assert_uint_eq(dirty_gpa, 0x77);
	ck_assert_uint_eq(dirty_len, 1);
}
END_TEST

START_TEST(test_mapcache_release_all_unmaps_what_is_in_use)
{
	void *h1, *h2;
	uintptr_t t1, t2;

	ck_assert_int_eq(map(0x2000, 4096, true, &h1, &t1), 0);
	ck_assert_int_eq(map(BUCKET, 10, false, &h2, &t2), 0);
	ck_assert_uint_eq(ioreqd_xen_mapcache_release_all(&mc), 2);
	ck_assert_int_eq(fake_xen.live_maps, 0);
	ck_assert_uint_eq(mc.st.bytes_mapped, 0);
	ck_assert_uint_eq(ioreqd_xen_mapcache_release_all(&mc), 0);
}
END_TEST

static unsigned emitted;
static uint64_t emitted_hits;

static void emit(void *ctx, const char *group, const char *name, uint64_t value)
{
	ck_assert_str_eq(group, "mapcache");
	if (strcmp(name, "hits") == 0)
		emitted_hits = value;
	emitted++;
}

START_TEST(test_mapcache_stats_are_emitted)
{
	uint8_t b;

	ck_assert_int_eq(ioreqd_xen_mapcache_copy(&mc, 0, &b, 1, false), 0);
	ck_assert_int_eq(ioreqd_xen_mapcache_copy(&mc, 1, &b, 1, false), 0);
	emitted = 0;
	ioreqd_xen_mapcache_stats(&mc, emit, NULL);
	ck_assert_uint_ge(emitted, 8);
	ck_assert_uint_eq(emitted_hits, 1);
}
END_TEST

START_TEST(test_mapcache_confined_checks_against_what_it_learnt)
{
	void *hva;
	uintptr_t tok;

	ioreqd_xen_mapcache_confine(&mc);
	ck_assert_uint_eq(fake_xen_count("xc_domain_maximum_gpfn"), 1);
	ck_assert_ptr_null(mc.xch);
	ck_assert_int_eq(map(FAKE_GUEST_PAGES * 4096ull, 1, false, &hva, &tok), -EFAULT);
	ck_assert_uint_eq(fake_xen.ncalls, 1);
}
END_TEST

/* ---- grant addresses ------------------------------------------------------------ */

#define GRANT(ref, off) (IOREQD_XEN_GRANT_BIT | (uint64_t)(ref) << 12 | (off))

START_TEST(test_grant_address_maps_consecutive_refs_until_unmapped)
{
	uint8_t in[0x20];
	void *hva;
	uintptr_t tok;

	for (unsigned i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(0x30 + i);
	dirty_calls = 0;
	mc.dirty = dirty;
	mc.dirty_arg = &mc;
	/* Two consecutive refs for frames that are not neighbours. */
	fake_xen_grant(5, 10, false);
	fake_xen_grant(6, 3, false);
	ck_assert_int_eq(map(GRANT(5, 0xff0), sizeof(in), true, &hva, &tok), 0);
	ck_assert_uint_eq(fake_xen_count("xengnttab_open"), 1);
	ck_assert_uint_eq(fake_xen_count("xengnttab_map_domain_grant_refs"), 1);
	ck_assert_uint_eq(fake_xen_count("xenforeignmemory_map"), 0);
	ck_assert_int_eq(fake_xen.last_grant_prot, PROT_READ | PROT_WRITE);
	ck_assert_uint_eq(fake_xen.gmaps[0].count, 2);
	ck_assert_uint_eq(fake_xen.gmaps[0].refs[1], 6);
	ck_assert_ptr_eq(hva, fake_xen.gmaps[0].va + 0xff0);
	memcpy(hva, in, sizeof(in));
	unmap(hva, sizeof(in), tok);
	/* Unmapped at once: the guest may end its grants. */
	ck_assert_int_eq(fake_xen.live_grant_maps, 0);
	ck_assert_mem_eq(fake_xen_guest(10 * 4096 + 0xff0), in, 0x10);
	ck_assert_mem_eq(fake_xen_guest(3 * 4096), in + 0x10, 0x10);
	ck_assert_uint_eq(mc.st.grant_maps, 1);
	ck_assert_uint_eq(mc.st.bytes_mapped, 0);
	/* Xen logs a writable grant's page dirty itself: no callback. */
	ck_assert_uint_eq(dirty_calls, 0);
	/* The handle stays open for the next grant. */
	ck_assert_int_eq(map(GRANT(6, 0), 8, false, &hva, &tok), 0);
	ck_assert_uint_eq(fake_xen_count("xengnttab_open"), 1);
	ck_assert_int_eq(fake_xen.last_grant_prot, PROT_READ);
	ck_assert_mem_eq(hva, in + 0x10, 8);
	/* Close releases a grant still mapped and the handle. */
}
END_TEST

START_TEST(test_grant_refused_when_not_granted_read_only_or_out_of_range)
{
	void *hva;
	uintptr_t tok;

	fake_xen_grant(7, 1, true);
	ck_assert_int_eq(map(GRANT(7, 0), 16, true, &hva, &tok), -EFAULT);
	ck_assert_ptr_nonnull(logged("xengnttab_map_domain_grant_refs", "domain 5"));
	ck_assert_int_eq(map(GRANT(7, 0), 16, false, &hva, &tok), 0);
	unmap(hva, 16, tok);
	/* Ref 8 is not granted: the whole range fails. */
	ck_assert_int_eq(map(GRANT(7, 0xff8), 16, false, &hva, &tok), -EFAULT);
	ck_assert_ptr_null(hva);
	fake_xen_clear_log();
	/* Refs are 32-bit, lengths bounded: refused before any call. */
	ck_assert_int_eq(map(GRANT(1ull << 32, 0), 16, false, &hva, &tok), -EFAULT);
	ck_assert_int_eq(map(GRANT(UINT32_MAX, 0xff8), 16, false, &hva, &tok), -EFAULT);
	ck_assert_int_eq(map(GRANT(7, 0), 0, false, &hva, &tok), -EFAULT);
	ck_assert_int_eq(map(GRANT(7, 0), IOREQD_XEN_DMA_MAX + 1ull, false, &hva, &tok),
	                 -EFAULT);
	ck_assert_uint_eq(fake_xen.ncalls, 0);
	ck_assert_uint_eq(mc.st.refused, 4);
	ck_assert_ptr_nonnull(logged("domain 5", "0x8000100000000000+0x10"));
}
END_TEST

START_TEST(test_grant_without_gntdev_fails_cleanly_once)
{
	void *hva;
	uintptr_t tok;

	fake_xen_grant(1, 1, false);
	fake_xen_fail_call("xengnttab_open", 1, ENOENT);
	ck_assert_int_eq(map(GRANT(1, 0), 16, false, &hva, &tok), -EFAULT);
	ck_assert_ptr_nonnull(logged("xengnttab_open", "xen-gntdev"));
	ck_assert_int_eq(map(GRANT(1, 0), 16, false, &hva, &tok), -EFAULT);
	ck_assert_uint_eq(fake_xen_count("xengnttab_open"), 1);
	/* Guest-physical addresses are not affected. */
	ck_assert_int_eq(map(0x1000, 16, false, &hva, &tok), 0);
	unmap(hva, 16, tok);
}
END_TEST

static Suite *mapcache_suite(void)
{
	Suite *s = suite_create("xen_mapcache");
	TCase *tc = tcase_create("mapcache");

	tcase_add_checked_fixture(tc, setup_each, teardown_each);
	tcase_add_test(tc, test_mapcache_bucket_is_mapped_once_and_reused);
	tcase_add_test(tc, test_mapcache_steady_state_makes_no_hypercall);
	tcase_add_test(tc, test_mapcache_range_across_buckets_is_one_contiguous_mapping);
	tcase_add_test(tc, test_mapcache_evicts_least_recently_used_past_the_cap);
	tcase_add_test(tc,
	               test_mapcache_invalidate_drops_unused_and_retires_used_buckets);
	tcase_add_test(tc, test_mapcache_refuses_bad_ranges_before_any_mapping);
	tcase_add_test(tc, test_mapcache_bucket_stops_at_the_guests_last_frame);
	tcase_add_test(tc, test_mapcache_bad_frame_fails_alone_and_read_only_frame_reads);
	tcase_add_test(tc, test_mapcache_writable_unmap_reports_the_range_written);
	tcase_add_test(tc, test_mapcache_release_all_unmaps_what_is_in_use);
	tcase_add_test(tc, test_mapcache_stats_are_emitted);
	tcase_add_test(tc, test_mapcache_confined_checks_against_what_it_learnt);
	tcase_add_test(tc, test_grant_address_maps_consecutive_refs_until_unmapped);
	tcase_add_test(tc, test_grant_refused_when_not_granted_read_only_or_out_of_range);
	tcase_add_test(tc, test_grant_without_gntdev_fails_cleanly_once);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(mapcache_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
