/* SPDX-License-Identifier: MIT */
/*
 * Dirty-page batching for live migration.  While the global dirty log is on
 * (libxl's QMP xen-set-global-dirty-log), every guest page the device model
 * writes behind Xen's back - string I/O reads stored into guest memory,
 * hooks' guest_write, virtio used rings and DMA into guest buffers - must be
 * reported to Xen (xendevicemodel_modified_memory), or a live migration
 * would not copy it again.  Reporting each write would cost a hypercall per
 * element of a rep ins; this collects them instead as runs of page frames,
 * coalescing adjacent and overlapping ones, and hands them to a report
 * callback in one batch: when the table fills, and whenever the owner
 * flushes (the daemon does at the end of each event-loop pass, before a
 * save is answered and before the log is turned off).
 *
 * Pure logic: no Xen, no event loop.  Marking while the log is off costs one
 * branch.
 */
#ifndef IOREQD_DIRTY_H
#define IOREQD_DIRTY_H

#include <stdbool.h>
#include <stdint.h>

#define IOREQD_DIRTY_PAGE_SHIFT 12
#define IOREQD_DIRTY_RUNS 32u /* runs held before a batch is reported */

/** A run of dirty frames: xen_dm_op_modified_memory_extent's fields. */
struct ioreqd_dirty_run {
	uint64_t first_pfn;
	uint32_t nr;
};

/**
 * Report @p n runs to the hypervisor.
 * @return 0, or a negative errno (the runs are dropped and counted).
 */
typedef int ioreqd_dirty_report_fn(void *arg, const struct ioreqd_dirty_run *runs,
                                   unsigned n);

struct ioreqd_dirty_stats {
	uint64_t enables; /* times the log was turned on */
	uint64_t marks;   /* writes marked while on */
	uint64_t pages;   /* frames reported (a frame reported twice counts twice) */
	uint64_t calls;   /* report calls */
	uint64_t errors;  /* report calls that failed */
	uint64_t lost;    /* frames in failed calls */
};

struct ioreqd_dirty {
	bool on;
	unsigned nr;
	struct ioreqd_dirty_run run[IOREQD_DIRTY_RUNS];
	ioreqd_dirty_report_fn *report;
	void *arg;
	struct ioreqd_dirty_stats st;
};

/** Start with the log off and nothing pending; @p report gets the batches. */
void ioreqd_dirty_init(struct ioreqd_dirty *d, ioreqd_dirty_report_fn *report, void *arg);

/**
 * Turn the log on or off.  Turning it off reports what is pending first.
 * @return 0, or the error of that last report.
 */
int ioreqd_dirty_set(struct ioreqd_dirty *d, bool on);

/**
 * [gpa, gpa + len) was written.  Nothing happens while the log is off or
 * when @p len is 0.  A full table is reported before the new run is added.
 * @return true when the batch went from empty to pending (the owner arranges
 * a flush then), false otherwise.
 */
bool ioreqd_dirty_mark(struct ioreqd_dirty *d, uint64_t gpa, uint64_t len);

/** @return whether runs are waiting to be reported. */
bool ioreqd_dirty_pending(const struct ioreqd_dirty *d);

/**
 * Report every pending run in one call and empty the batch.
 * @return 0 (also when nothing was pending), or the report's error.
 */
int ioreqd_dirty_flush(struct ioreqd_dirty *d);

#endif /* IOREQD_DIRTY_H */
