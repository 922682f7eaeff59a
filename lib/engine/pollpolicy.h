/* SPDX-License-Identifier: MIT */
/*
 * The adaptive poll policy: how long the daemon may spin on the shared
 * ioreq page, after it completed a request, before it sleeps on the
 * notification again.  Modelled on KVM's halt polling: the window starts at
 * zero, grows (doubling from IOREQD_POLL_START_NS, up to the cap) when a
 * spin found a request or when a request arrived soon enough after the last
 * one that a spin would have found it, and halves (down to zero) when a spin
 * ran out.  A spin that ran out just before such a request was too short,
 * not useless: the request undoes its halving before it grows the window, so
 * that a steady gap between the first window and the cap is learnt.  An idle
 * daemon therefore never spins, and one that polls in vain stops after a few
 * tries.  Pure logic: the clock is the caller's, and the
 * spinning itself is the backend's (backend.h, poll).
 */
#ifndef IOREQD_POLLPOLICY_H
#define IOREQD_POLLPOLICY_H

#include <stdbool.h>
#include <stdint.h>

/* The largest poll_us / --poll-us: spinning longer holds a dom0 CPU too long. */
#define IOREQD_POLL_MAX_US 200u
#define IOREQD_POLL_MAX_US_STR "200" /* the same, for help texts */
/* The first window after zero (KVM's halt_poll_ns_grow_start is 10 us too). */
#define IOREQD_POLL_START_NS 10000u

struct ioreqd_poll {
	uint64_t cap_ns;    /* 0: polling is off */
	uint64_t window_ns; /* how long the next spin may last; 0: sleep at once */
	/* The window before the last spin's miss halved it; 0 if it was no miss. */
	uint64_t missed_ns;
	/* Counters for the statistics. */
	uint64_t polls;   /* spins started */
	uint64_t hits;    /* spins that found work */
	uint64_t misses;  /* spins that ran their whole window */
	uint64_t spin_ns; /* time spent spinning, hits and misses */
	uint64_t grows;   /* window increases */
	uint64_t shrinks; /* window decreases */
};

/** Start with a zero window; @p cap_us 0 turns polling off (clamped to the max). */
void ioreqd_poll_init(struct ioreqd_poll *p, unsigned cap_us);

/** @return how long to spin now, in ns (0: do not spin). */
uint64_t ioreqd_poll_window(const struct ioreqd_poll *p);

/** A spin found work after @p spun_ns: grow the window. */
void ioreqd_poll_hit(struct ioreqd_poll *p, uint64_t spun_ns);

/** A spin ran its whole window (@p spun_ns) and found nothing: halve it. */
void ioreqd_poll_miss(struct ioreqd_poll *p, uint64_t spun_ns);

/**
 * A request arrived through its notification, @p idle_ns after the daemon
 * last completed one (spin included).  If a spin no longer than the cap would
 * have found it, grow the window, from where it was before a miss that just
 * halved it (that spin was too short); otherwise leave it (the miss that
 * preceded the sleep has shrunk it already).
 */
void ioreqd_poll_woken(struct ioreqd_poll *p, uint64_t idle_ns);

/**
 * Spin for at most @p budget_ns: call @p look until it reports work (returns
 * > 0), relaxing the CPU between looks and reading the clock every 16th (a
 * clock read costs more than a look).  This is the only spin loop: the
 * backends provide one look (backend.h: look), the loop's first look after a
 * wake-up is a single call of it.
 * @param spun_ns receives how long it spun.
 * @return 1 if a look found work, 0 if the budget ran out.
 */
int ioreqd_poll_spin(uint64_t budget_ns, int (*look)(void *arg), void *arg,
                     uint64_t *spun_ns);

/** Tell the CPU we are spinning: it may save power and yield to a sibling thread. */
static inline void ioreqd_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#else
	__asm__ __volatile__("" ::: "memory");
#endif
}

#endif /* IOREQD_POLLPOLICY_H */
