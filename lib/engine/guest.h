/* SPDX-License-Identifier: MIT */
/*
 * The backend's data part: what the engine, the device model and the hooks'
 * host services do *to the guest* while it runs - notify a vCPU, copy guest
 * memory, raise interrupts, read and write vCPU context.  Each backend (Xen,
 * sim; a test's fixture) provides one const table and passes its own state
 * as @p priv, so the engine calls the backend directly, with no adapter in
 * between.  The control part (create, map pages, enable, bind, claim ranges,
 * teardown) is the daemon's alone: daemon/backend.h.
 *
 * Every member but notify may be NULL when the backend cannot do it; callers
 * then answer -EFAULT (memory) or -ENOTSUP.
 *
 * Guest memory comes two ways: copies (guest_read/guest_write, for string
 * I/O and small hook accesses) and mappings (map/unmap, for DMA: a request's
 * buffers or a virtqueue's rings), with the contract of struct
 * ioreqd_gmem_ops (include/ioreqd/gmem.h), which the daemon hands hooks as
 * host->gmem.  Mappings outlive an INVALIDATE; the backend's close releases
 * any still held, and unmap after close is never called (the daemon checks).
 */
#ifndef IOREQD_GUEST_H
#define IOREQD_GUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ioreqd_vcpu_regs;

struct ioreqd_guest_ops {
	/**
	 * Kick vCPU @p vcpu after its slot was set to IORESP_READY.
	 * @return 0 or a negative errno (the engine counts nothing on failure:
	 * the backend has logged it).
	 */
	int (*notify)(void *priv, unsigned vcpu);

	/** Copy guest-physical memory.  @return 0 or -EFAULT. */
	int (*guest_read)(void *priv, uint64_t gpa, void *buf, size_t len);
	int (*guest_write)(void *priv, uint64_t gpa, const void *buf, size_t len);
	/** IOREQ_TYPE_INVALIDATE: drop every cached guest mapping. */
	void (*invalidate)(void *priv);

	/** Interrupts.  @return 0 or a negative errno. */
	int (*irq_set_level)(void *priv, unsigned irq, unsigned level);
	int (*pci_intx_set_level)(void *priv, uint32_t sbdf, unsigned intx,
	                          unsigned level);
	int (*inject_msi)(void *priv, uint64_t addr, uint32_t data);

	/** vCPU context.  @return 0 or a negative errno. */
	int (*get_ip)(void *priv, unsigned vcpu, uint64_t *ip);
	int (*vcpu_get)(void *priv, unsigned vcpu, struct ioreqd_vcpu_regs *regs);
	int (*vcpu_set)(void *priv, unsigned vcpu, const struct ioreqd_vcpu_regs *regs);

	/**
	 * Map guest memory for DMA: struct ioreqd_gmem_ops.map with the backend's
	 * state as @p priv.  @return 0, -EFAULT (not guest RAM, wraps, or a
	 * read-only page and @p write) or another negative errno.
	 */
	int (*map)(void *priv, uint64_t gpa, uint64_t len, bool write, void **hva,
	           uintptr_t *token);
	/** Release a mapping from map (ioreqd_gmem_ops.unmap). */
	void (*unmap)(void *priv, void *hva, uint64_t len, uintptr_t token);
};

#endif /* IOREQD_GUEST_H */
