/* SPDX-License-Identifier: MIT */
/*
 * The floor: the cheapest cross-process round trip this machine can do with
 * the notification pattern ioreqd's sim backend uses, and nothing of ioreqd.
 * A forked server process and the calling (guest) process share one page of
 * Xen ioreq_t slots and two eventfds per vCPU.  The guest fills its slot,
 * publishes READY, writes the kick eventfd and waits (poll + read) on the
 * done eventfd; the server wakes from epoll_wait, reads the kick, answers
 * the slot from a 4 KiB register file, publishes IORESP_READY and writes
 * done.  That is the same system calls on both sides as the sim guest and
 * ioreqd make, so the ratio of ioreqd's latency to this one is what ioreqd
 * itself costs.
 *
 * Variants show what a different wait would buy: a server that blocks in
 * read(2) on one vCPU's kick (no epoll), a server that busy-polls the slots
 * for a while before it sleeps (an adaptive busy-poll daemon), and both sides
 * spinning on shared memory (no system call at all: the hardware floor).
 */
#ifndef IOREQD_BENCH_FLOOR_H
#define IOREQD_BENCH_FLOOR_H

#include <stdbool.h>
#include <stdint.h>

enum floor_server {
	FLOOR_EPOLL = 0, /* epoll_wait over every kick fd, as a libevent loop */
	FLOOR_BLOCKING,  /* read(2) blocks on the kick fd (one vCPU only) */
	FLOOR_SPIN, /* poll the slots for spin_us after the last request, then epoll */
	FLOOR_SPIN_BOTH, /* both sides spin on the slot; no eventfd at all */
};

struct floor_cfg {
	unsigned nr_vcpus; /* 1..128 */
	enum floor_server server;
	unsigned spin_us; /* FLOOR_SPIN: how long to poll before sleeping */
};

struct floor;

/** Fork the server.  @return the floor, or NULL with errno set. */
struct floor *floor_new(const struct floor_cfg *cfg);

/** Stop the server and free everything (NULL is fine). */
void floor_free(struct floor *f);

/** @return the server's pid (to read its CPU time). */
int floor_server_pid(const struct floor *f);

/**
 * One synchronous 4-byte access on @p vcpu (one thread per vCPU at a time).
 * @param val  the value to write, or receives the value read.
 * @return 0, or -ETIMEDOUT / -EIO.
 */
int floor_access(struct floor *f, unsigned vcpu, uint64_t addr, bool read, uint64_t *val);

/** @return a short name for a server variant ("epoll", "blocking", ...). */
const char *floor_server_name(enum floor_server s);

#endif /* IOREQD_BENCH_FLOOR_H */
