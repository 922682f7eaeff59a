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
 * Room to grow: guest memory becomes a mapping service next (map a
 * guest-physical range read-only or read-write for one request, or
 * persistently for a virtqueue's rings, validated against guest RAM and
 * dropped on invalidate and at teardown; on Xen a bucketed foreign-mapping
 * cache and grant mappings).  Those are new members appended here - map,
 * unmap - next to read/write/invalidate, which keep their meaning.
 */
#ifndef IOREQD_GUEST_H
#define IOREQD_GUEST_H

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
	int (*pci_intx_set_level)(void *priv, uint32_t sbdf, unsigned intx, unsigned level);
	int (*inject_msi)(void *priv, uint64_t addr, uint32_t data);

	/** vCPU context.  @return 0 or a negative errno. */
	int (*get_ip)(void *priv, unsigned vcpu, uint64_t *ip);
	int (*vcpu_get)(void *priv, unsigned vcpu, struct ioreqd_vcpu_regs *regs);
	int (*vcpu_set)(void *priv, unsigned vcpu, const struct ioreqd_vcpu_regs *regs);
};

#endif /* IOREQD_GUEST_H */
