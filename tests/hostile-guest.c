/* SPDX-License-Identifier: MIT */
/*
 * A malicious guest for tests/e2e/hostile-guest.sh.  It creates a simulated
 * domain of two vCPUs (sim/simhv.h), waits for ioreqd to serve it, and then,
 * on vCPU 0, writes raw garbage into its slot and into the buffered ring:
 * states out of order, sizes 0/3/16, counts 0 and 2^32-1, data_is_ptr
 * buffers outside guest RAM or wrapping, addresses that wrap, unknown types,
 * a write_pointer 10,000 slots ahead or behind, invalid ring entries, half of
 * an 8-byte write, and floods of rejected and of unhandled accesses.  After
 * every attack, and all the time on vCPU 1 from a second thread, it makes
 * well-formed accesses to the scratch devices of the daemon's configuration
 * and checks their results.
 *
 * It checks what a guest can see: every rejected request still completes
 * (reads all-ones), a slot in a state the daemon must not touch is left
 * alone, the ring recovers, every well-formed access returns the right data,
 * and the daemon never breaks the slot protocol (the domain is not crashed).
 * At the end it destroys the domain, so the daemon exits and prints its
 * statistics, and prints "expect rejected N" for the script to compare with
 * the daemon's "rejected N (...)".
 *
 * Usage: hostile-guest --socket PATH [--domid N] [--flood N] [--timeout MS]
 * Devices expected (see hostile-guest.sh): scratch at MMIO 0xfe000000+4K,
 * MMIO 0xa0000+4K and PIO 0x510-0x51f, a scratch PCI function 00:05.0, and an
 * override at MMIO 0xfe100000+4K that passes everything past its register.
 */
#include "build-config.h"

#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "simhv.h"

#define VCPU_BAD 0  /* the vCPU that misbehaves (raw primitives only) */
#define VCPU_GOOD 1 /* the vCPU that only ever makes honest accesses */
#define RAM_SIZE (1ull << 20)
#define SCRATCH 0xfe000000ull
#define LOWRAM 0xa0000ull
#define PORTS 0x510u
#define PASSER 0xfe100000ull
#define UNCLAIMED 0x12345000ull
#define PCI_DEV IOREQD_PCI_SBDF(0, 0, 5, 0)
#define RING IOREQ_BUFFER_SLOT_NUM

static unsigned timeout_ms = 10000;
static uint32_t bad_eport; /* vCPU 0's vp_eport, which Xen owns: kept intact */
static atomic_uint failures;
static uint64_t expect_rejected; /* what the daemon must have counted */
static unsigned attacks;

#define CHECK(cond)                                                                      \
	do {                                                                             \
		if (!(cond)) {                                                           \
			atomic_fetch_add(&failures, 1);                                  \
			fprintf(stderr, "hostile-guest: FAIL %s:%d: %s\n", __FILE__,     \
			        __LINE__, #cond);                                        \
		}                                                                        \
	} while (0)

/* CHECK for two values, printing both. */
#define CHECK_EQ(a, b)                                                                   \
	do {                                                                             \
		uint64_t a_ = (a), b_ = (b);                                             \
		if (a_ != b_) {                                                          \
			atomic_fetch_add(&failures, 1);                                  \
			fprintf(                                                         \
			    stderr,                                                      \
			    "hostile-guest: FAIL %s:%d: %s == %s: 0x%llx != 0x%llx\n",   \
			    __FILE__, __LINE__, #a, #b, (unsigned long long)a_,          \
			    (unsigned long long)b_);                                     \
		}                                                                        \
	} while (0)

static uint64_t pattern(unsigned vcpu, uint64_t seq)
{
	return (seq + 1) * 0x9e3779b97f4a7c15ull ^ ((uint64_t)vcpu << 56);
}

/*
 * Well-formed accesses to every kind of device; each half of the scratch
 * block and of the port block belongs to one vCPU, so the two never race.
 */
static void good_access(struct ioreqd_simhv *hv, unsigned vcpu, uint64_t seq)
{
	uint64_t v = pattern(vcpu, seq), got = 0;
	uint64_t off = 0x800 * vcpu + (seq * 8) % 0x800;

	/* After a failure every call may wait out its timeout: give up at once. */
	if (atomic_load(&failures))
		return;
	CHECK(ioreqd_simhv_write(hv, vcpu, IOREQD_SPACE_MMIO, SCRATCH + off, 8, v) == 0);
	CHECK(ioreqd_simhv_read(hv, vcpu, IOREQD_SPACE_MMIO, SCRATCH + off, 8, &got) ==
	      0);
	CHECK_EQ(got, v);
	CHECK(ioreqd_simhv_write(hv, vcpu, IOREQD_SPACE_PIO, PORTS + 8 * vcpu + (seq & 4),
	                         4, v >> 32) == 0);
	CHECK(ioreqd_simhv_read(hv, vcpu, IOREQD_SPACE_PIO, PORTS + 8 * vcpu + (seq & 4),
	                        4, &got) == 0);
	CHECK_EQ(got, (v >> 32));
	if (seq % 4 == 0) {
		uint32_t reg = 0x40 + 4 * vcpu;

		CHECK(ioreqd_simhv_write(hv, vcpu, IOREQD_SPACE_PCI,
		                         IOREQD_PCI_ADDR(PCI_DEV, reg), 4,
		                         (uint32_t)v) == 0);
		CHECK(ioreqd_simhv_read(hv, vcpu, IOREQD_SPACE_PCI,
		                        IOREQD_PCI_ADDR(PCI_DEV, reg), 4, &got) == 0);
		CHECK_EQ(got, (uint32_t)v);
	}
	if (seq % 8 == 0) {
		/* rep movsd out of guest RAM into the device and back. */
		uint64_t src = 0x10000 + 0x1000 * vcpu, dst = src + 0x800;
		uint32_t in[4], out[4];
		struct ioreqd_simhv_rep rep = {.space = IOREQD_SPACE_MMIO,
		                               .data_is_ptr = true,
		                               .size = 4,
		                               .count = 4,
		                               .addr = SCRATCH + 0x800 * vcpu + 0x7c0};

		for (unsigned i = 0; i < 4; i++)
			in[i] = (uint32_t)(v >> i) + i;
		CHECK(ioreqd_simhv_mem_write(hv, src, in, sizeof(in)) == 0);
		rep.data = src;
		CHECK(ioreqd_simhv_rep(hv, vcpu, &rep, NULL) == 0);
		rep.read = true;
		rep.data = dst;
		CHECK(ioreqd_simhv_rep(hv, vcpu, &rep, NULL) == 0);
		CHECK(ioreqd_simhv_mem_read(hv, dst, out, sizeof(out)) == 0);
		CHECK(memcmp(in, out, sizeof(in)) == 0);
	}
}

/* ---- vCPU 1: honest all the time ----------------------------------------- */

struct honest {
	struct ioreqd_simhv *hv;
	atomic_bool stop;
	uint64_t done;
};

static void *honest_thread(void *arg)
{
	struct honest *h = arg;

	/* Stop at the first failure: the main thread reports it and gives up. */
	while (!atomic_load(&h->stop) && !atomic_load(&failures))
		good_access(h->hv, VCPU_GOOD, h->done++);
	return NULL;
}

/* ---- vCPU 0: raw slot attacks -------------------------------------------- */

static ioreq_t req(uint8_t type, uint64_t addr, uint32_t size, uint32_t count, bool read,
                   bool ptr, bool df, uint64_t data)
{
	return (ioreq_t){.addr = addr,
	                 .data = data,
	                 .count = count,
	                 .size = size,
	                 .vp_eport = bad_eport,
	                 .state = STATE_IOREQ_READY,
	                 .data_is_ptr = ptr,
	                 .dir = read ? IOREQ_READ : IOREQ_WRITE,
	                 .df = df,
	                 .type = type};
}

/* Hand the slot back to the guest side, as Xen does after a response. */
static void slot_reset(struct ioreqd_simhv *hv)
{
	ioreq_t none;

	memset(&none, 0, sizeof(none));
	none.vp_eport = bad_eport;
	CHECK(ioreqd_simhv_raw_slot_write(hv, VCPU_BAD, &none, false) == 0);
}

/*
 * Publish @p r on the bad vCPU and expect a completion.
 * @return the completed slot (state IORESP_READY checked).
 */
static ioreq_t raw_complete(struct ioreqd_simhv *hv, ioreq_t r, unsigned rejects)
{
	ioreq_t out = r;

	if (atomic_load(&failures))
		return out;
	attacks++;
	expect_rejected += rejects;
	CHECK(ioreqd_simhv_raw_slot_write(hv, VCPU_BAD, &r, true) == 0);
	CHECK(ioreqd_simhv_raw_wait(hv, VCPU_BAD, timeout_ms) == 0);
	CHECK(ioreqd_simhv_raw_slot_read(hv, VCPU_BAD, &out) == 0);
	CHECK(out.state == STATE_IORESP_READY);
	/* Only data and state are the daemon's to write. */
	CHECK(out.addr == r.addr && out.count == r.count && out.size == r.size &&
	      out.type == r.type && out.vp_eport == r.vp_eport);
	slot_reset(hv);
	return out;
}

/* A rejected read: completes with all-ones of the size (or all 64 bits). */
static void raw_rejected_read(struct ioreqd_simhv *hv, ioreq_t r, uint64_t ones)
{
	ioreq_t out = raw_complete(hv, r, 1);

	CHECK_EQ(out.data, ones);
}

/* A slot in a state the daemon must not act on: no answer, left untouched. */
static void raw_ignored(struct ioreqd_simhv *hv, unsigned state, bool counted)
{
	ioreq_t r = req(IOREQ_TYPE_COPY, SCRATCH, 4, 1, true, false, false, 0x1234), out;

	if (atomic_load(&failures))
		return;
	attacks++;
	r.state = state & 15;
	expect_rejected += counted;
	CHECK(ioreqd_simhv_raw_slot_write(hv, VCPU_BAD, &r, true) == 0);
	/* No timing assertion: a late answer would fail the next checks too. */
	CHECK(ioreqd_simhv_raw_wait(hv, VCPU_BAD, 200) == -ETIMEDOUT);
	CHECK(ioreqd_simhv_raw_slot_read(hv, VCPU_BAD, &out) == 0);
	CHECK(memcmp(&out, &r, sizeof(r)) == 0);
	slot_reset(hv);
}

static void attack_slots(struct ioreqd_simhv *hv, uint64_t *seq)
{
	static const uint32_t bad_sizes[] = {0, 3, 16, 5, 255, 0xffffffffu};
	const uint64_t ones32 = 0xffffffffull;
	ioreq_t r, out;

	/* States out of order: NONE, INPROCESS, IORESP_READY, and unknown ones. */
	raw_ignored(hv, STATE_IOREQ_NONE, false);
	raw_ignored(hv, STATE_IOREQ_INPROCESS, false);
	raw_ignored(hv, STATE_IORESP_READY, false);
	raw_ignored(hv, 4, true);
	raw_ignored(hv, 9, true);
	raw_ignored(hv, 15, true);
	good_access(hv, VCPU_BAD, (*seq)++);

	for (unsigned i = 0; i < sizeof(bad_sizes) / sizeof(bad_sizes[0]); i++) {
		raw_rejected_read(
		    hv,
		    req(IOREQ_TYPE_COPY, SCRATCH, bad_sizes[i], 1, true, false, false, 0),
		    ~0ull);
		good_access(hv, VCPU_BAD, (*seq)++);
	}
	raw_rejected_read(hv, req(IOREQ_TYPE_PIO, PORTS, 8, 1, true, false, false, 0),
	                  ~0ull);
	raw_rejected_read(hv,
	                  req(IOREQ_TYPE_PCI_CONFIG, IOREQD_PCI_ADDR(PCI_DEV, 0), 8, 1,
	                      true, false, false, 0),
	                  ~0ull);

	/* Counts: zero, 2^32-1, one past the largest honest rep. */
	raw_rejected_read(hv, req(IOREQ_TYPE_PIO, PORTS, 4, 0, true, false, false, 0),
	                  ones32);
	raw_rejected_read(
	    hv, req(IOREQ_TYPE_PIO, PORTS, 4, 0xffffffffu, true, true, false, 0x1000),
	    0x1000);
	raw_rejected_read(
	    hv, req(IOREQ_TYPE_COPY, SCRATCH, 1, 4097, true, true, false, 0x1000),
	    0x1000);
	raw_rejected_read(hv,
	                  req(IOREQ_TYPE_PCI_CONFIG, IOREQD_PCI_ADDR(PCI_DEV, 0), 4, 2,
	                      true, false, false, 0),
	                  ones32);
	good_access(hv, VCPU_BAD, (*seq)++);

	/* data_is_ptr: outside guest RAM (read and write), wrapping up and down. */
	raw_rejected_read(
	    hv, req(IOREQ_TYPE_PIO, PORTS, 4, 4, true, true, false, RAM_SIZE + 0x1000),
	    RAM_SIZE + 0x1000);
	raw_complete(
	    hv, req(IOREQ_TYPE_COPY, SCRATCH, 4, 4, false, true, false, RAM_SIZE - 8), 1);
	raw_rejected_read(
	    hv,
	    req(IOREQ_TYPE_COPY, SCRATCH, 8, 4, true, true, false, 0xfffffffffffffff0ull),
	    0xfffffffffffffff0ull);
	raw_rejected_read(
	    hv, req(IOREQ_TYPE_COPY, SCRATCH + 0x100, 4, 4, true, true, true, 8), 8);
	good_access(hv, VCPU_BAD, (*seq)++);

	/* Addresses that wrap or leave their space; unknown types. */
	raw_rejected_read(
	    hv, req(IOREQ_TYPE_COPY, 0xfffffffffffffff8ull, 8, 2, true, false, false, 0),
	    ~0ull);
	raw_rejected_read(hv, req(IOREQ_TYPE_PIO, 0xffff, 4, 1, true, false, false, 0),
	                  ones32);
	raw_rejected_read(hv, req(IOREQ_TYPE_PIO, 0x10000, 1, 1, true, false, false, 0),
	                  0xff);
	raw_rejected_read(hv,
	                  req(IOREQ_TYPE_PCI_CONFIG, IOREQD_PCI_ADDR(PCI_DEV, 0xffe), 4,
	                      1, true, false, false, 0),
	                  ones32);
	raw_rejected_read(hv, req(5, SCRATCH, 4, 1, true, false, false, 0), ones32);
	raw_rejected_read(hv, req(255, SCRATCH, 4, 1, true, false, false, 0), ones32);
	good_access(hv, VCPU_BAD, (*seq)++);

	/* Honest requests in odd clothes: garbage in vp_eport and padding. */
	r = req(IOREQ_TYPE_COPY, SCRATCH + 0x100, 4, 1, false, false, false,
	        0xffffffff0badf00dull);
	r.vp_eport = 0xdeadbeef;
	r._pad0 = 0xffff;
	r._pad1 = 1;
	raw_complete(hv, r, 0);
	r.dir = IOREQ_READ;
	r.data = 0;
	out = raw_complete(hv, r, 0);
	CHECK_EQ(out.data, 0x0badf00d);
	/* TIMEOFFSET and INVALIDATE are always answered. */
	raw_complete(hv, req(IOREQ_TYPE_TIMEOFFSET, 0, 8, 1, false, false, false, 3600),
	             0);
	raw_complete(hv, req(IOREQ_TYPE_INVALIDATE, 0, 4, 0, false, false, false, ~0ull),
	             0);
	/* Nobody claimed it: the null answer, not a rejection. */
	out = raw_complete(
	    hv, req(IOREQ_TYPE_COPY, UNCLAIMED, 2, 1, true, false, false, 0), 0);
	CHECK_EQ(out.data, 0xffff);
	good_access(hv, VCPU_BAD, (*seq)++);
}

/* ---- the buffered ring ------------------------------------------------------ */

static buf_ioreq_t bslot(uint8_t type, bool read, unsigned size_log2, uint32_t addr,
                         uint32_t data)
{
	return (buf_ioreq_t){.type = type,
	                     .dir = read ? IOREQ_READ : IOREQ_WRITE,
	                     .size = size_log2 & 3,
	                     .addr = addr & 0xfffff,
	                     .data = data};
}

static void ring_ptrs(struct ioreqd_simhv *hv, uint32_t *rd, uint32_t *wr)
{
	CHECK(ioreqd_simhv_raw_ring_get_ptrs(hv, rd, wr) == 0);
}

/* Publish @p n raw entries at the write pointer and kick. */
static void ring_publish(struct ioreqd_simhv *hv, const buf_ioreq_t *e, unsigned n)
{
	uint32_t rd, wr;

	/*
	 * The pointers go back with one store, so the daemon must not be
	 * consuming meanwhile: every caller drains before publishing again.
	 */
	ring_ptrs(hv, &rd, &wr);
	for (unsigned i = 0; i < n; i++)
		CHECK(ioreqd_simhv_raw_ring_slot_write(hv, (wr + i) % RING, &e[i]) == 0);
	CHECK(ioreqd_simhv_raw_ring_ptrs(hv, rd, wr + n, true) == 0);
}

/* A posted write still works: it lands in the device. */
static void ring_works(struct ioreqd_simhv *hv, uint64_t seq)
{
	uint64_t v = pattern(VCPU_BAD, seq) & 0xffffffff, got = 0;
	bool posted = false;

	CHECK(ioreqd_simhv_buf_write(hv, VCPU_BAD, IOREQD_SPACE_MMIO, LOWRAM + 0x40, 4, v,
	                             &posted) == 0);
	CHECK(posted);
	CHECK(ioreqd_simhv_drain(hv, timeout_ms) == 0);
	CHECK(ioreqd_simhv_read(hv, VCPU_BAD, IOREQD_SPACE_MMIO, LOWRAM + 0x40, 4,
	                        &got) == 0);
	CHECK_EQ(got, v);
}

static void attack_ring(struct ioreqd_simhv *hv, uint64_t *seq)
{
	buf_ioreq_t e[2];
	uint32_t rd, wr;
	uint64_t got = 0;

	ring_works(hv, (*seq)++);

	/* write_pointer 10,000 slots ahead: rejected once, the ring resyncs. */
	ring_ptrs(hv, &rd, &wr);
	attacks++;
	expect_rejected++;
	CHECK(ioreqd_simhv_raw_ring_ptrs(hv, rd, rd + 10000, true) == 0);
	CHECK(ioreqd_simhv_drain(hv, timeout_ms) == 0);
	ring_works(hv, (*seq)++);

	/* Backwards: write_pointer behind read_pointer. */
	ring_ptrs(hv, &rd, &wr);
	attacks++;
	expect_rejected++;
	CHECK(ioreqd_simhv_raw_ring_ptrs(hv, rd + 100, rd, true) == 0);
	CHECK(ioreqd_simhv_drain(hv, timeout_ms) == 0);
	ring_works(hv, (*seq)++);

	/* Pointers about to wrap around 2^32. */
	attacks++;
	CHECK(ioreqd_simhv_raw_ring_ptrs(hv, 0xfffffffe, 0xfffffffe, false) == 0);
	for (unsigned i = 0; i < 4; i++)
		ring_works(hv, (*seq)++);
	ring_ptrs(hv, &rd, &wr);
	CHECK(rd == wr && rd < 0xfffffffe);

	/* Invalid entries: a buffered read, an unknown type, an 8-byte port write. */
	attacks++;
	expect_rejected += 3;
	e[0] = bslot(IOREQ_TYPE_COPY, true, 2, LOWRAM, 1);
	ring_publish(hv, e, 1);
	CHECK(ioreqd_simhv_drain(hv, timeout_ms) == 0);
	e[0] = bslot(9, false, 0, LOWRAM, 1);
	ring_publish(hv, e, 1);
	CHECK(ioreqd_simhv_drain(hv, timeout_ms) == 0);
	e[0] = bslot(IOREQ_TYPE_PIO, false, 3, PORTS, 1);
	e[1] = bslot(IOREQ_TYPE_PIO, false, 3, PORTS, 2);
	ring_publish(hv, e, 2);
	CHECK(ioreqd_simhv_drain(hv, timeout_ms) == 0);
	ring_works(hv, (*seq)++);

	/*
	 * Half of an 8-byte write published: the daemon waits for the other
	 * half (no rejection), then applies the whole quad.
	 */
	attacks++;
	e[0] = bslot(IOREQ_TYPE_COPY, false, 3, LOWRAM + 0x80, 0x44332211);
	e[1] = bslot(IOREQ_TYPE_COPY, false, 3, LOWRAM + 0x80, 0x88776655);
	ring_publish(hv, e, 1);
	ring_ptrs(hv, &rd, &wr);
	CHECK(ioreqd_simhv_raw_ring_slot_write(hv, wr % RING, &e[1]) == 0);
	CHECK(ioreqd_simhv_raw_ring_ptrs(hv, rd, wr + 1, true) == 0);
	CHECK(ioreqd_simhv_drain(hv, timeout_ms) == 0);
	CHECK(ioreqd_simhv_read(hv, VCPU_BAD, IOREQD_SPACE_MMIO, LOWRAM + 0x80, 8,
	                        &got) == 0);
	CHECK_EQ(got, 0x8877665544332211ull);
	good_access(hv, VCPU_BAD, (*seq)++);
}

/* ---- floods -------------------------------------------------------------------- */

static void floods(struct ioreqd_simhv *hv, unsigned n, uint64_t *seq)
{
	buf_ioreq_t junk[RING - 1];
	uint64_t got;

	/* Rejected requests, each still answered. */
	for (unsigned i = 0; i < n && !atomic_load(&failures); i++) {
		ioreq_t out = raw_complete(hv,
		                           req(IOREQ_TYPE_COPY, SCRATCH + (i & 0xff), 3,
		                               1, true, false, false, 0),
		                           1);

		CHECK_EQ(out.data, ~0ull);
		if (i % 1000 == 0)
			good_access(hv, VCPU_BAD, (*seq)++);
	}
	/* Unhandled accesses through the honest path: the override passes them on. */
	for (unsigned i = 0; i < n && !atomic_load(&failures); i++) {
		got = 0;
		attacks++;
		CHECK(ioreqd_simhv_read(hv, VCPU_BAD, IOREQD_SPACE_MMIO,
		                        PASSER + 0x800 + 4 * (i & 0xff), 4, &got) == 0);
		CHECK_EQ(got, 0xffffffff);
		if (i % 1000 == 0)
			good_access(hv, VCPU_BAD, (*seq)++);
	}
	/* A ring full of invalid entries, several times over. */
	for (unsigned i = 0; i < RING - 1; i++)
		junk[i] = bslot(IOREQ_TYPE_COPY, true, 0, LOWRAM + i, i);
	for (unsigned round = 0; round < 1 + n / 2000; round++) {
		attacks++;
		expect_rejected += RING - 1;
		ring_publish(hv, junk, RING - 1);
		CHECK(ioreqd_simhv_drain(hv, timeout_ms) == 0);
	}
	ring_works(hv, (*seq)++);
}

int main(int argc, char *argv[])
{
	static const struct option longopts[] = {
	    {"socket", required_argument, NULL, 's'},
	    {"domid", required_argument, NULL, 'd'},
	    {"flood", required_argument, NULL, 'n'},
	    {"timeout", required_argument, NULL, 't'},
	    {NULL, 0, NULL, 0},
	};
	struct ioreqd_simhv_config cfg = {
	    .domid = 7, .nr_vcpus = 2, .ram_size = RAM_SIZE};
	struct ioreqd_simhv_stats st;
	struct ioreqd_simhv *hv;
	struct honest h = {0};
	pthread_t th;
	unsigned flood = 20000;
	uint64_t seq = 0;
	int c;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			cfg.socket_path = optarg;
			break;
		case 'd':
			cfg.domid = (unsigned)strtoul(optarg, NULL, 0);
			break;
		case 'n':
			flood = (unsigned)strtoul(optarg, NULL, 0);
			break;
		case 't':
			timeout_ms = (unsigned)strtoul(optarg, NULL, 0);
			break;
		default:
			fprintf(stderr, "usage: hostile-guest --socket PATH [--domid N] "
			                "[--flood N] [--timeout MS]\n");
			return 2;
		}
	}
	if (!cfg.socket_path) {
		fprintf(stderr, "hostile-guest: --socket is required\n");
		return 2;
	}
	cfg.timeout_ms = timeout_ms;
	hv = ioreqd_simhv_new(&cfg);
	if (!hv) {
		perror("hostile-guest: ioreqd_simhv_new");
		return 1;
	}
	/* As a toolstack: unpause only once the daemon says it is running. */
	if (ioreqd_simhv_wait(hv, IOREQD_SIMHV_READY, timeout_ms * 3) < 0 ||
	    ioreqd_simhv_wait_key(hv, "state", "running", timeout_ms * 3) < 0) {
		fprintf(stderr, "hostile-guest: the daemon never came up\n");
		ioreqd_simhv_free(hv);
		return 1;
	}
	{
		ioreq_t slot;

		CHECK(ioreqd_simhv_raw_slot_read(hv, VCPU_BAD, &slot) == 0);
		bad_eport = slot.vp_eport;
	}
	good_access(hv, VCPU_BAD, seq++);

	h.hv = hv;
	if (pthread_create(&th, NULL, honest_thread, &h)) {
		perror("hostile-guest: pthread_create");
		ioreqd_simhv_free(hv);
		return 1;
	}
	/* Each stage runs only if everything before it passed. */
	if (!atomic_load(&failures))
		attack_slots(hv, &seq);
	if (!atomic_load(&failures))
		attack_ring(hv, &seq);
	if (!atomic_load(&failures))
		floods(hv, flood, &seq);
	if (!atomic_load(&failures))
		attack_slots(hv, &seq);
	atomic_store(&h.stop, true);
	pthread_join(th, NULL);
	good_access(hv, VCPU_BAD, seq++);
	good_access(hv, VCPU_GOOD, h.done++);

	/* The daemon never broke the protocol and never left a vCPU waiting. */
	if (ioreqd_simhv_crashed(hv))
		fprintf(stderr, "hostile-guest: the domain crashed: %s\n",
		        ioreqd_simhv_crashed(hv));
	CHECK(ioreqd_simhv_crashed(hv) == NULL);
	ioreqd_simhv_stats(hv, &st);
	CHECK(st.timeouts == 0 && st.gone == 0 && st.busy == 0 && st.cancelled == 0);
	CHECK(h.done > 0);

	printf("hostile-guest: %u attacks, %llu + %llu well-formed access rounds\n",
	       attacks, (unsigned long long)seq, (unsigned long long)h.done);
	printf("expect rejected %llu\n", (unsigned long long)expect_rejected);
	printf("hostile-guest: %u failed\n", atomic_load(&failures));
	fflush(stdout);
	/* Destroy the domain: the daemon sees it go, completes, and exits. */
	ioreqd_simhv_kill(hv, "hostile-guest: done");
	ioreqd_simhv_wait(hv, IOREQD_SIMHV_NO_SERVER, timeout_ms);
	ioreqd_simhv_free(hv);
	return atomic_load(&failures) ? 1 : 0;
}
