/* SPDX-License-Identifier: MIT */
/*
 * A test harness for the simulated hypervisor: one simulated domain with the
 * daemon's sim backend opened against it in the same process, a device model
 * played by hand (poll the backend's fds, complete a slot the way the engine
 * does), and guest accesses run from helper threads so the test thread can
 * answer them.  Used by tests/check_sim.c.
 */
#ifndef IOREQD_SIM_HARNESS_H
#define IOREQD_SIM_HARNESS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "backend.h"
#include "simhv.h"

#define BE (&ioreqd_backend_sim)
#define GBE (&ioreqd_backend_sim_guest)
#define MMIO_BASE 0xfeb00000ull
#define MMIO_LAST 0xfeb00fffull
#define LOW_BASE 0x80000ull /* below 1 MiB: may use the buffered ring */
#define LOW_LAST 0x80fffull
#define DOMID 7

/* The domain and the daemon's side of it. */
struct simh_fixture {
	char path[108];
	struct ioreqd_simhv *hv;
	void *be;
	shared_iopage_t *sync;
	buffered_iopage_t *buf;
	unsigned nr_vcpus;
};

extern struct simh_fixture fx;

/* Create the domain and open, map, enable and bind the backend (asserts). */
void simh_open(unsigned vcpus, bool buffered, unsigned timeout_ms);
/* Close the backend and destroy the domain. */
void simh_close(void);
/* Claim or release a range, as the daemon would. */
int simh_map(enum ioreqd_space space, uint64_t base, uint64_t last, bool on);
/* A synchronous read on vCPU 0 (for accesses the daemon is not asked about). */
int simh_read0(enum ioreqd_space space, uint64_t addr, unsigned size, uint64_t *v);

/* What the backend reported. */
struct simh_events {
	unsigned vcpu_events;
	unsigned last_vcpu;
	unsigned buffered;
	unsigned gone;
};

/* Poll every backend fd once for up to @p ms; dispatch what is readable. */
void simh_pump(struct simh_events *e, int ms);
/* Wait up to 5 s for a request on any vCPU (asserts).  @return the vCPU. */
unsigned simh_wait_request(void);
/* @return whether the daemon side saw its domain go away within a second. */
bool simh_saw_domain_gone(void);
/* Complete vCPU @p v's READY request the way the engine does.  @return it. */
ioreq_t simh_complete(unsigned v, uint64_t data);

/* A guest access run in a thread of its own. */
enum simh_gkind { G_READ, G_WRITE, G_REP, G_BUF, G_INVALIDATE };

struct simh_gop {
	enum simh_gkind kind;
	unsigned vcpu;
	enum ioreqd_space space;
	uint64_t addr;
	unsigned size;
	uint64_t val;
	struct ioreqd_simhv_rep rep;
	int rc;
	bool posted;
	pthread_t th;
};

/* A guest thread that reads @p size bytes of MMIO at @p a on vCPU 0. */
#define MMIO_READ(a, sz)                                                                 \
	{                                                                                \
		.kind = G_READ, .space = IOREQD_SPACE_MMIO, .addr = (a), .size = (sz)    \
	}

void simh_guest_start(struct simh_gop *g);
void simh_guest_join(struct simh_gop *g);
/* Run @p g in a guest thread, answer its one request with @p data, join it. */
ioreq_t simh_round_trip(struct simh_gop *g, uint64_t data);

#endif /* IOREQD_SIM_HARNESS_H */
