/* SPDX-License-Identifier: MIT */
/*
 * The adaptive poll policy (pollpolicy.h): grow on a hit or on a request that came
 * soon enough, halve on a miss, never above the cap, always zero when off.
 * Every decision is counted so that the statistics show what it cost.
 */
#include "pollpolicy.h"
#include "log.h"

void ioreqd_poll_init(struct ioreqd_poll *p, unsigned cap_us)
{
	*p = (struct ioreqd_poll){0};
	if (cap_us > IOREQD_POLL_MAX_US)
		cap_us = IOREQD_POLL_MAX_US;
	p->cap_ns = (uint64_t)cap_us * 1000u;
}

uint64_t ioreqd_poll_window(const struct ioreqd_poll *p)
{
	return p->window_ns < p->cap_ns ? p->window_ns : p->cap_ns;
}

static void grow(struct ioreqd_poll *p)
{
	uint64_t w = p->window_ns ? p->window_ns * 2 : IOREQD_POLL_START_NS;

	if (w > p->cap_ns)
		w = p->cap_ns;
	if (w > p->window_ns)
		p->grows++;
	p->window_ns = w;
}

static void shrink(struct ioreqd_poll *p)
{
	uint64_t w = p->window_ns / 2;

	/* Below the first step a spin is too short to catch a round trip. */
	if (w < IOREQD_POLL_START_NS)
		w = 0;
	if (w < p->window_ns)
		p->shrinks++;
	p->window_ns = w;
}

void ioreqd_poll_hit(struct ioreqd_poll *p, uint64_t spun_ns)
{
	p->missed_ns = 0;
	p->polls++;
	p->hits++;
	p->spin_ns += spun_ns;
	if (p->cap_ns)
		grow(p);
}

void ioreqd_poll_miss(struct ioreqd_poll *p, uint64_t spun_ns)
{
	p->polls++;
	p->misses++;
	p->spin_ns += spun_ns;
	p->missed_ns = p->window_ns;
	shrink(p);
}

void ioreqd_poll_woken(struct ioreqd_poll *p, uint64_t idle_ns)
{
	uint64_t missed = p->missed_ns;

	p->missed_ns = 0;
	if (!p->cap_ns || idle_ns > p->cap_ns)
		return;
	/*
	 * The spin before this sleep ran out, yet the request came within the
	 * cap: the window was too short, not useless.  Growing from the halved
	 * window would only give back the halving, so a gap longer than the
	 * first window would never be caught, and every request would pay for
	 * a spin that misses.
	 */
	if (missed > p->window_ns)
		p->window_ns = missed;
	grow(p);
}

int ioreqd_poll_spin(uint64_t budget_ns, int (*look)(void *arg), void *arg,
                     uint64_t *spun_ns)
{
	uint64_t t0 = ioreqd_now_ns(), now = t0;

	for (unsigned round = 1;; round++) {
		if (look(arg) > 0) {
			*spun_ns = ioreqd_now_ns() - t0;
			return 1;
		}
		ioreqd_cpu_relax();
		if ((round & 15) == 0 && (now = ioreqd_now_ns()) - t0 >= budget_ns)
			break;
	}
	*spun_ns = now - t0;
	return 0;
}
