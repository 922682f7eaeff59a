/* SPDX-License-Identifier: MIT */
/*
 * Guest memory for DMA: map a guest-physical range into the host for the life
 * of a request, or persistently for a virtqueue's rings.  The virtio core
 * (ioreqd/virtio.h) reaches guest memory only through these ops, and a hook
 * gets the daemon's from host->gmem (ioreqd/hook.h).
 *
 * Who provides what: the sim backend maps by pointer arithmetic into its one
 * shared RAM mapping (unmap does nothing); the Xen backend serves ranges
 * from a cache of foreign mappings in 1 MiB buckets, so a device's steady
 * state makes no hypercall (daemon/backend-xen-mapcache.c).  Every range is
 * validated against guest RAM before anything is mapped; a range that wraps
 * is refused.
 *
 * Lifetime: a mapping stays valid until it is unmapped, even across an
 * IOREQ_TYPE_INVALIDATE (on Xen a foreign mapping holds a reference on the
 * frame; the ballooned-out page simply stops being the guest's), so long-lived
 * users that want to follow the guest's p2m drop and remake their mappings
 * then (ioreqd_virtio_invalidate).  At teardown the backend releases whatever
 * is still mapped when it closes; after that map fails with -EAGAIN and unmap
 * does nothing, so a hook's fini may release mappings in any order.
 */
#ifndef IOREQD_GMEM_H
#define IOREQD_GMEM_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * How to reach guest memory.  The token lets a backend find its own record of
 * the mapping again (on Xen: the bucket whose reference unmap drops).  The virtio core
 * hands every guest address to map unchanged, after checking that len > 0 and that gpa +
 * len does not wrap; map checks both again.
 */
struct ioreqd_gmem_ops {
	/**
	 * Map [gpa, gpa + len) contiguously into the host.
	 * @param ctx    ioreqd_gmem.ctx.
	 * @param gpa    guest-physical or grant address of the first byte.
	 * @param len    length in bytes, at least 1.
	 * @param write  true if the core or the device will write through it.
	 * @param hva    receives the host address of @p gpa.
	 * @param token  receives a value handed back to unmap.
	 * @return 0; -EFAULT if any byte is not guest RAM (or not granted, or
	 * read-only and @p write); another negative errno if it cannot map now.
	 * A mapping stays valid until unmapped, even across an INVALIDATE.
	 */
	int (*map)(void *ctx, uint64_t gpa, uint64_t len, bool write, void **hva,
	           uintptr_t *token);
	/**
	 * Release a mapping from map.
	 * @param ctx    ioreqd_gmem.ctx.
	 * @param hva    the host address map returned.
	 * @param len    the length that was mapped.
	 * @param token  the token map returned.
	 */
	void (*unmap)(void *ctx, void *hva, uint64_t len, uintptr_t token);
	/**
	 * Optional (NULL: nothing to do): the core or the device wrote
	 * [gpa, gpa + len), for log-dirty tracking during live migration.
	 */
	void (*dirty)(void *ctx, uint64_t gpa, uint64_t len);
};

/** Guest memory: the ops and their context. */
struct ioreqd_gmem {
	const struct ioreqd_gmem_ops *ops;
	void *ctx;
};

#ifdef __cplusplus
}
#endif

#endif /* IOREQD_GMEM_H */
