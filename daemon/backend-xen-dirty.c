/* SPDX-License-Identifier: MIT */
/*
 * The Xen backend's part of the dirty log (lib/engine/dirty.h): report a
 * batch of runs of guest frames ioreqd wrote, so that a live migration
 * copies them again.  One XEN_DMOP_modified_memory carries the whole batch
 * (xendevicemodel_modified_memory_bulk, in libxendevicemodel since Xen
 * 4.9); if Xen refuses it - it stops at the first bad extent and leaves it
 * undefined which of the others it marked - the runs go one call each, so
 * that one bad run costs only its own pages.  The daemon counts and logs
 * (rate-limited) what could not be reported.
 */
#include "backend-xen.h"

#include <errno.h>

int ioreqd_xen_modified_memory(xendevicemodel_handle *dmod, unsigned domid,
                               const struct ioreqd_dirty_run *runs, unsigned n)
{
	struct xen_dm_op_modified_memory_extent ext[IOREQD_DIRTY_RUNS];
	int rc = 0;

	if (n > IOREQD_DIRTY_RUNS)
		return -E2BIG;
	for (unsigned i = 0; i < n; i++) {
		ext[i].first_pfn = runs[i].first_pfn;
		ext[i].nr = runs[i].nr;
		ext[i].pad = 0;
	}
	if (xendevicemodel_modified_memory_bulk(dmod, (domid_t)domid, ext, n) == 0)
		return 0;
	for (unsigned i = 0; i < n; i++)
		if (xendevicemodel_modified_memory(dmod, (domid_t)domid,
		                                   runs[i].first_pfn, runs[i].nr) < 0)
			rc = errno ? -errno : -EIO;
	return rc;
}
