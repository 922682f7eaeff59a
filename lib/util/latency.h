/* SPDX-License-Identifier: MIT */
/*
 * Where the time of one round trip goes (`latency_stats = yes`): a backend
 * that is asked to takes three timestamps around each synchronous request it
 * answers on the spot and records the three stretches between them:
 *   wake    from the loop waking on the notification to the slot being read
 *           (the backend's pending and unmask calls); 0 for a request the
 *           adaptive poll (poll_us) found before any notification;
 *   handle  from there to the completion (the engine and the handlers);
 *   notify  the notification back to the hypervisor, until it returns.
 * This module keeps the last IOREQD_LATENCY_RING samples and reports their
 * medians (and the total's p90) with the statistics, so the figures describe
 * what the daemon did most recently, e.g. during a benchmark's port loop.
 * Pure logic: the caller reads the clock.  Nothing is allocated, and no
 * clock is read, unless the option is on, so normal operation costs nothing.
 */
#ifndef IOREQD_LATENCY_H
#define IOREQD_LATENCY_H

#include <stdint.h>

/* 4096 samples of 3 x 4 bytes: 48 KiB, only when the option is on. */
#define IOREQD_LATENCY_RING 4096u

enum ioreqd_latency_part {
	IOREQD_LAT_WAKE = 0,
	IOREQD_LAT_HANDLE,
	IOREQD_LAT_NOTIFY,
	IOREQD_LAT_PARTS_,
};

struct ioreqd_latency {
	uint32_t (*ring)[IOREQD_LAT_PARTS_]; /* NULL: not measuring */
	unsigned next;                       /* where the next sample goes */
	uint64_t samples;                    /* every sample ever added */
};

/** Start measuring. @return 0 or -ENOMEM. */
int ioreqd_latency_init(struct ioreqd_latency *l);

/** Stop measuring and free the ring (a zeroed struct is fine). */
void ioreqd_latency_free(struct ioreqd_latency *l);

/** @return whether samples are being taken. */
static inline int ioreqd_latency_on(const struct ioreqd_latency *l)
{
	return l->ring != 0;
}

/**
 * Record one round trip from its four timestamps (ns, non-decreasing):
 * woken, slot read, completed, notify returned.  A stretch that does not fit
 * 32 bits (over 4 s) is recorded as UINT32_MAX.
 */
void ioreqd_latency_add(struct ioreqd_latency *l, uint64_t woke, uint64_t slot,
                        uint64_t done, uint64_t notified);

/**
 * Report through a statistics emitter, in group "latency": samples (all ever
 * taken), then over the ring: wake_ns, handle_ns, notify_ns and total_ns
 * (medians) and total_p90_ns.  Nothing when not measuring.
 */
void ioreqd_latency_report(const struct ioreqd_latency *l,
                           void (*emit)(void *ctx, const char *group, const char *name,
                                        uint64_t value),
                           void *ctx);

#endif /* IOREQD_LATENCY_H */
