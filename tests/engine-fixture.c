/* SPDX-License-Identifier: MIT */
/*
 * The fixture shared by the ioreq engine suites, check_ioreq.c and
 * check_ioreq_defer.c: it plays the backend (counting notifications,
 * invalidations, time offsets and deferrals, serving a bounded fake guest
 * memory that faults outside its window), catches log messages, and provides
 * struct dev, a device whose verdict, deferral and register file each test
 * sets.  Kept in one place so the two suites exercise the engine through the
 * very same backend and devices.
 */
#include <check.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine-fixture.h"
#include "log.h"

shared_iopage_t *page;
uint8_t *gmem;
unsigned notify_calls, notify_last, notify_per_vcpu[NR_VCPUS];
unsigned invalidate_calls, timeoffset_calls, deferred_calls;
int64_t timeoffset_delta;
const char *deferred_name;
unsigned nlogs;
char last_log[1024];

struct ioreqd_bus *bus;
struct ioreqd_engine *eng;
struct ioreqd_range *r_pio, *r_mmio;
struct dev dev_pio, dev_mmio;

int notify(void *opaque, unsigned vcpu)
{
	(void)opaque;
	notify_calls++;
	notify_last = vcpu;
	if (vcpu < NR_VCPUS)
		notify_per_vcpu[vcpu]++;
	return 0;
}

uint8_t *gmem_at(uint64_t gpa, size_t len)
{
	if (gpa < GMEM_BASE || gpa - GMEM_BASE > GMEM_SIZE ||
	    len > GMEM_SIZE - (gpa - GMEM_BASE))
		return NULL;
	return gmem + (gpa - GMEM_BASE);
}

static int guest_read(void *opaque, uint64_t gpa, void *buf, size_t len)
{
	uint8_t *p = gmem_at(gpa, len);

	(void)opaque;
	if (!p)
		return -EFAULT;
	memcpy(buf, p, len);
	return 0;
}

static int guest_write(void *opaque, uint64_t gpa, const void *buf, size_t len)
{
	uint8_t *p = gmem_at(gpa, len);

	(void)opaque;
	if (!p)
		return -EFAULT;
	memcpy(p, buf, len);
	return 0;
}

static void invalidate(void *opaque)
{
	(void)opaque;
	invalidate_calls++;
}

static void timeoffset(void *opaque, int64_t delta)
{
	(void)opaque;
	timeoffset_calls++;
	timeoffset_delta = delta;
}

static void deferred(void *opaque, ioreqd_fault_t *f, const char *handler)
{
	(void)opaque;
	(void)f;
	deferred_calls++;
	deferred_name = handler;
}

static void log_sink(int level, const char *msg, void *arg)
{
	(void)level;
	(void)arg;
	nlogs++;
	snprintf(last_log, sizeof(last_log), "%s", msg);
}

const struct ioreqd_guest_ops full_ops_guest = {
    .notify = notify,
    .guest_read = guest_read,
    .guest_write = guest_write,
    .invalidate = invalidate,
};
unsigned written_calls;
uint64_t written_lo = UINT64_MAX, written_hi;

/* The engine stored a string I/O read into guest memory. */
static void guest_written(void *opaque, uint64_t gpa, size_t len)
{
	written_calls++;
	if (gpa < written_lo)
		written_lo = gpa;
	if (gpa + len > written_hi)
		written_hi = gpa + len;
}

const struct ioreqd_engine_ops full_ops = {
    .timeoffset = timeoffset,
    .deferred = deferred,
    .guest_written = guest_written,
};

static enum ioreqd_fault_result dev_fn(ioreqd_fault_t *f, void *opaque)
{
	struct dev *d = opaque;
	uint64_t off = ioreqd_fault_offset(f);
	unsigned size = ioreqd_fault_size(f);
	bool read = ioreqd_fault_is_read(f);
	unsigned idx = d->calls++;

	if (idx < 64)
		d->log[idx] = (struct acc){.addr = ioreqd_fault_addr(f),
		                           .offset = off,
		                           .data = ioreqd_fault_data(f),
		                           .size = size,
		                           .read = read};
	if (d->defer_always || d->calls == d->defer_call) {
		d->fault = f;
		d->ticket = ioreqd_fault_ticket(f);
		return IOREQD_FAULT_DEFER;
	}
	if (d->verdict != IOREQD_FAULT_HANDLED) {
		if (read)
			ioreqd_fault_set_data(f, 0x77); /* must not reach the guest */
		return (enum ioreqd_fault_result)d->verdict;
	}
	if (read) {
		uint64_t v = 0;

		if (d->counter)
			v = d->counter + idx;
		else if (off + size <= sizeof(d->mem))
			memcpy(&v, d->mem + off, size);
		ioreqd_fault_set_data(f, v);
	} else if (off + size <= sizeof(d->mem)) {
		uint64_t v = ioreqd_fault_data(f);

		memcpy(d->mem + off, &v, size);
	}
	return IOREQD_FAULT_HANDLED;
}

struct ioreqd_range *add_dev(enum ioreqd_space space, uint64_t base, uint64_t last,
                             struct dev *d, const char *name)
{
	struct ioreqd_range *r = NULL;
	struct ioreqd_handler h = {.name = name, .fn = dev_fn, .opaque = d};

	memset(d, 0, sizeof(*d));
	d->name = name;
	d->verdict = IOREQD_FAULT_HANDLED;
	ck_assert_int_eq(ioreqd_bus_add(bus, space, base, last, &r, NULL), 0);
	ck_assert_int_eq(ioreqd_range_install(r, &h, NULL, NULL), 0);
	return r;
}

void fixture_setup(void)
{
	page = aligned_alloc(4096, 4096);
	gmem = calloc(1, GMEM_SIZE);
	ck_assert_ptr_nonnull(page);
	ck_assert_ptr_nonnull(gmem);
	memset(page, 0, 4096);
	notify_calls = notify_last = invalidate_calls = timeoffset_calls =
	    deferred_calls = 0;
	memset(notify_per_vcpu, 0, sizeof(notify_per_vcpu));
	timeoffset_delta = 0;
	deferred_name = NULL;
	nlogs = 0;
	last_log[0] = '\0';
	ioreqd_log_set_sink(log_sink, NULL);
	bus = ioreqd_bus_new();
	ck_assert_ptr_nonnull(bus);
	r_pio = add_dev(IOREQD_SPACE_PIO, PIO_BASE, PIO_BASE + 7, &dev_pio, "uart");
	r_mmio =
	    add_dev(IOREQD_SPACE_MMIO, MMIO_BASE, MMIO_BASE + 0xfff, &dev_mmio, "hpet");
}

void fixture_start_engine(void)
{
	eng = ioreqd_engine_new(bus, page, NR_VCPUS, DOMID, &full_ops_guest, NULL,
	                        &full_ops, NULL);
	ck_assert_ptr_nonnull(eng);
}

void fixture_teardown(void)
{
	ioreqd_engine_free(eng);
	ioreqd_bus_free(bus);
	free(gmem);
	free(page);
	ioreqd_log_set_sink(NULL, NULL);
}

ioreq_t *slot(unsigned v)
{
	return &page->vcpu_ioreq[0] + v;
}

ioreq_t rq(uint8_t type, uint64_t addr, uint32_t size, uint32_t count, bool read,
           uint64_t data)
{
	return (ioreq_t){.addr = addr,
	                 .data = data,
	                 .count = count,
	                 .size = size,
	                 .dir = read ? IOREQ_READ : IOREQ_WRITE,
	                 .type = type};
}

void post(unsigned v, ioreq_t r)
{
	/* Play Xen: the slot is filled before READY is published, as the
	 * release fence orders the body's stores before the state store. */
	r.state = STATE_IOREQ_NONE;
	*slot(v) = r;
	atomic_thread_fence(memory_order_release);
	slot(v)->state = STATE_IOREQ_READY;
}

int run(unsigned v, ioreq_t r)
{
	post(v, r);
	return ioreqd_engine_handle(eng, v);
}

const struct ioreqd_engine_stats *st(void)
{
	return ioreqd_engine_stats(eng);
}
