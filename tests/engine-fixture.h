/* SPDX-License-Identifier: MIT */
/*
 * The fixture shared by the ioreq engine suites (check_ioreq.c and
 * check_ioreq_defer.c): a real shared_iopage_t, a bounded fake guest memory,
 * engine ops that count what the engine asks of its backend, a log sink that
 * keeps the last message, and a small device library (struct dev: a register
 * file, an access log, a chosen verdict or deferral) on a real bus.  Each suite
 * calls fixture_setup(), adds any devices of its own, then
 * fixture_start_engine(); fixture_teardown() undoes all of it.
 */
#ifndef IOREQD_TESTS_ENGINE_FIXTURE_H
#define IOREQD_TESTS_ENGINE_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bus.h"
#include "engine.h"

#define NR_VCPUS 4u
#define DOMID 7u
#define GMEM_BASE 0x100000ull
#define GMEM_SIZE 0x10000u
#define PIO_BASE 0x3f8u
#define MMIO_BASE 0xfed00000ull

/* --- the backend side: notifications, guest memory, RTC, mapcache --- */

extern shared_iopage_t *page;
extern uint8_t *gmem;
extern unsigned notify_calls, notify_last, notify_per_vcpu[NR_VCPUS];
extern unsigned invalidate_calls, timeoffset_calls, deferred_calls;
extern int64_t timeoffset_delta;
extern const char *deferred_name;
extern unsigned nlogs;
/* guest_written (the dirty log's hook): calls, and the span they covered. */
extern unsigned written_calls;
extern uint64_t written_lo, written_hi;
extern char last_log[1024];

/* Counts the notification, also per vCPU. */
int notify(void *opaque, unsigned vcpu);

/* Guest memory is [GMEM_BASE, GMEM_BASE + GMEM_SIZE); NULL outside it. */
uint8_t *gmem_at(uint64_t gpa, size_t len);

/* All the ops above: notify, guest memory, invalidate, timeoffset, deferred,
 * guest_written. */
extern const struct ioreqd_guest_ops full_ops_guest;
extern const struct ioreqd_engine_ops full_ops;

/* --- a small device library: a register file, an access log, verdicts --- */

struct acc {
	uint64_t addr, offset, data;
	unsigned size;
	bool read;
};

struct dev {
	const char *name;
	int verdict;         /* when not deferring */
	unsigned defer_call; /* 1-based call number that defers; 0 never */
	bool defer_always;
	uint64_t counter;    /* non-zero: reads return counter + call index */
	uint8_t mem[0x1000]; /* register file, by offset */
	struct acc log[64];
	unsigned calls;
	ioreqd_fault_t *fault;
	ioreqd_ticket_t ticket;
};

extern struct ioreqd_bus *bus;
extern struct ioreqd_engine *eng;
/* "uart" at PIO_BASE..+7 and "hpet" at MMIO_BASE..+0xfff, from fixture_setup(). */
extern struct ioreqd_range *r_pio, *r_mmio;
extern struct dev dev_pio, dev_mmio;

/* Reset @p d and install it as handler @p name on a new range of the bus. */
struct ioreqd_range *add_dev(enum ioreqd_space space, uint64_t base, uint64_t last,
                             struct dev *d, const char *name);

/* Page, guest memory, counters, log sink, the bus with uart and hpet. */
void fixture_setup(void);
/* The engine over that page and bus, with full_ops (after any add_dev). */
void fixture_start_engine(void);
void fixture_teardown(void);

/* --- playing Xen on the shared page --- */

ioreq_t *slot(unsigned v);
ioreq_t rq(uint8_t type, uint64_t addr, uint32_t size, uint32_t count, bool read,
           uint64_t data);
/* Fill the slot, then publish READY after a release fence. */
void post(unsigned v, ioreq_t r);
/* post() then let the engine handle vCPU @p v; returns what the engine did. */
int run(unsigned v, ioreq_t r);
const struct ioreqd_engine_stats *st(void);

#endif /* IOREQD_TESTS_ENGINE_FIXTURE_H */
