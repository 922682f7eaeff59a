/* SPDX-License-Identifier: MIT */
/*
 * Private state of the simulated hypervisor, shared by sim/simhv.c (the
 * domain, its servers and what the daemon did), sim/simctl.c (the control
 * thread that serves daemon connections), sim/simio.c (the guest's request
 * path) and sim/simraw.c (the hostile-guest primitives).
 *
 * Locking:
 *   route (rwlock)  the server list, each server's enabled flag and ranges.
 *                   Guest threads hold it for reading only while they pick a
 *                   server, never while they wait for the daemon, so the
 *                   control thread (the writer) cannot deadlock against a
 *                   vCPU blocked on a daemon that is itself blocked in a
 *                   control request.
 *   lock (mutex)    everything the daemon tells us (IRQs, MSIs, keys,
 *                   registers) and every wait for a change (cond).
 *   refs (atomic)   a server lives while the list or a guest call holds it;
 *                   the last put frees it.
 */
#ifndef IOREQD_SIMHV_INTERNAL_H
#define IOREQD_SIMHV_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "simhv.h"
#include "simproto.h"

#define SIM_MAX_CONNS 16u /* daemon connections served at once */

/* One space's claimed ranges: sorted, disjoint, adjacent ones merged (as rangesets). */
struct sim_rangeset {
	unsigned n;
	struct {
		uint64_t first;
		uint64_t last;
	} r[IOREQD_SIMHV_MAX_RANGES];
};

struct sim_server {
	struct ioreqd_simhv *hv;
	struct sim_server *next; /* hv->servers, newest first (route lock) */
	atomic_uint refs;
	unsigned id;
	unsigned bufioreq; /* IOREQD_SIM_BUFIOREQ_*; fixed at creation */
	bool enabled;      /* route lock */
	atomic_bool gone;  /* its daemon disconnected or destroyed it */
	int pages_fd;
	void *pages;                /* IOREQD_SIM_PAGES_SIZE bytes */
	buffered_iopage_t *bufpage; /* NULL without a ring */
	shared_iopage_t *iopage;
	int buf_kick;          /* eventfd for the ring, -1 without one */
	int *kick;             /* per vCPU: guest -> daemon */
	int *done;             /* per vCPU: daemon -> guest */
	atomic_flag ring_lock; /* serialises producers on the ring, as bufioreq_lock */
	struct sim_rangeset ranges[IOREQD_SPACE_COUNT]; /* route lock; PCI holds SBDFs */
};

/* Per-vCPU counters: each is written by the vCPU's own thread only. */
struct sim_vcpu_stats {
	atomic_uint_least64_t sent, completed, null_handled, posted, posted_slots,
	    ring_full, timeouts, gone, busy, cancelled, spurious_wakeups,
	    late_completions;
};

struct sim_vcpu {
	atomic_flag in_use; /* one thread per vCPU */
	struct sim_vcpu_stats st;
} __attribute__((aligned(64))); /* no false sharing between vCPU threads */

struct sim_conn {
	int fd;                 /* -1: free */
	struct sim_server *srv; /* the server it created, or NULL */
};

struct sim_key {
	char key[IOREQD_SIM_KEY_MAX];
	char value[IOREQD_SIM_VALUE_MAX];
	uint64_t seq; /* hv->key_seq when last published */
};

struct ioreqd_simhv {
	unsigned domid;
	unsigned nr_vcpus;
	uint64_t ram_size;
	atomic_uint timeout_ms;
	int ram_fd;
	void *ram;

	/* Control thread (simctl.c). */
	char path[108];
	int listen_fd;
	int ctl_wake; /* eventfd: stop or kill requested */
	bool ctl_running;
	pthread_t ctl;
	atomic_bool stop;
	struct sim_conn conns[SIM_MAX_CONNS];
	unsigned nr_conns; /* lock: connected daemons */

	pthread_rwlock_t route;
	struct sim_server *servers; /* newest first */
	unsigned next_server_id;

	pthread_mutex_t lock;
	pthread_cond_t cond; /* broadcast after every change */
	atomic_bool dead;    /* killed or crashed: guest calls fail */
	bool killed;         /* the control thread has closed everything */
	char why[256];       /* lock; stable once dead is set */
	uint8_t irq_level[IOREQD_SIMHV_NR_IRQS];
	uint64_t irq_changes[IOREQD_SIMHV_NR_IRQS];
	uint8_t intx_level[32][4];
	uint64_t msi_count;
	struct {
		uint64_t addr;
		uint32_t data;
	} msi[IOREQD_SIMHV_MSI_LOG];
	struct sim_key keys[IOREQD_SIMHV_MAX_KEYS];
	unsigned nr_keys;
	uint64_t key_seq; /* publications so far */
	struct ioreqd_vcpu_regs *regs;

	struct sim_vcpu *vcpus;
};

/* simhv.c */
struct sim_server *ioreqd_sim_server_new(struct ioreqd_simhv *hv, unsigned bufioreq);
void ioreqd_sim_server_get(struct sim_server *s);
void ioreqd_sim_server_put(struct sim_server *s);
/* Mark a server gone and wake every vCPU waiting on it. */
void ioreqd_sim_server_gone(struct sim_server *s);
int ioreqd_sim_ranges_add(struct sim_rangeset *rs, uint64_t first, uint64_t last);
int ioreqd_sim_ranges_remove(struct sim_rangeset *rs, uint64_t first, uint64_t last);
bool ioreqd_sim_ranges_contain(const struct sim_rangeset *rs, uint64_t first,
                               uint64_t last);
/* Wake everybody waiting in ioreqd_simhv_wait*() (call with hv->lock held). */
void ioreqd_sim_changed(struct ioreqd_simhv *hv);
/* Xen would crash the domain: remember why and kill it. */
void ioreqd_sim_crash(struct ioreqd_simhv *hv, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The newest server, with a reference, or NULL. */
struct sim_server *ioreqd_sim_newest(struct ioreqd_simhv *hv);

/* simctl.c */
int ioreqd_sim_ctl_start(struct ioreqd_simhv *hv);
void ioreqd_sim_ctl_stop(struct ioreqd_simhv *hv);
/* Ask the control thread to close everything (after setting hv->dead). */
void ioreqd_sim_ctl_kill(struct ioreqd_simhv *hv);

/* Signal an eventfd.  One write cannot overflow its counter in practice. */
static inline void sim_efd_signal(int fd)
{
	const uint64_t one = 1;
	ssize_t n = write(fd, &one, sizeof(one));

	(void)n;
}

/* The event channel port a server's slot carries for @p vcpu once enabled (never 0). */
static inline uint32_t sim_vp_eport(const struct sim_server *s, unsigned vcpu)
{
	return (s->id + 1) * 0x100 + vcpu;
}

/* Counter bump for a single writer: no locked instruction needed. */
static inline void sim_stat_inc(atomic_uint_least64_t *c)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + 1,
	                      memory_order_relaxed);
}

/* Absolute deadline helpers for waits (CLOCK_MONOTONIC). */
static inline void sim_deadline(struct timespec *ts, unsigned timeout_ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += timeout_ms / 1000;
	ts->tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* @return milliseconds left until @p ts (0 when passed). */
static inline int sim_ms_left(const struct timespec *ts)
{
	struct timespec now;
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long long)(ts->tv_sec - now.tv_sec) * 1000 +
	     (ts->tv_nsec - now.tv_nsec) / 1000000;
	return ms < 0 ? 0 : ms > 0x7fffffff ? 0x7fffffff : (int)ms;
}

#endif /* IOREQD_SIMHV_INTERNAL_H */
