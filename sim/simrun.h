/* SPDX-License-Identifier: MIT */
/*
 * Running a parsed simguest script (simscript.h) against the simulated
 * domain: every command becomes guest accesses through simhv, and every
 * result a check that is printed and counted in struct sg_guest.  The
 * program around it (options, the domain, the device model) is simguest.c.
 */
#ifndef IOREQD_SIMRUN_H
#define IOREQD_SIMRUN_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "simhv.h"
#include "simscript.h"
#include "simvirtio.h"

/* The guest the script drives, and the tally of its checks. */
struct sg_guest {
	struct ioreqd_simhv *hv;
	unsigned nr_vcpus;
	uint64_t ram_size;
	unsigned timeout_ms;
	bool quiet;
	pthread_mutex_t out;
	unsigned checks;
	unsigned passed;
	unsigned failed;
	struct sg_vdev vdev[SG_VIRTIO_DEVS]; /* used by the main thread only */
};

/* Run @p n commands on vCPU 0, counting each check in @p g. */
void sg_run(struct sg_guest *g, const struct sg_cmd *cmds, unsigned n);

#endif /* IOREQD_SIMRUN_H */
