/* SPDX-License-Identifier: MIT */
/*
 * Fault accessors: the only place that knows how a single access is laid out
 * and how sub-register accesses are masked and shifted.  This file is the hook
 * SDK (libioreqd-hook): it is linked into the daemon and, statically, into every
 * hook, so it must not reference any other ioreqd symbol.
 */
#include <ioreqd/fault.h>

#include <errno.h>
#include <stddef.h>

#include "fault-internal.h"

uint64_t ioreqd_fault_addr(const ioreqd_fault_t *f)
{
	return f->addr;
}

uint64_t ioreqd_fault_offset(const ioreqd_fault_t *f)
{
	return f->offset;
}

enum ioreqd_space ioreqd_fault_space(const ioreqd_fault_t *f)
{
	return (enum ioreqd_space)f->space;
}

unsigned ioreqd_fault_size(const ioreqd_fault_t *f)
{
	return f->size;
}

bool ioreqd_fault_is_read(const ioreqd_fault_t *f)
{
	return f->is_read;
}

unsigned ioreqd_fault_vcpu(const ioreqd_fault_t *f)
{
	return f->vcpu;
}

uint64_t ioreqd_fault_data(const ioreqd_fault_t *f)
{
	return f->data;
}

/* Byte position of the access inside its aligned 64-bit word of the range. */
static unsigned word_shift(const ioreqd_fault_t *f)
{
	return (unsigned)(f->offset & 7) * 8;
}

uint64_t ioreqd_fault_data_mask(const ioreqd_fault_t *f)
{
	/* shift <= 56, so the shift itself is defined; high bytes fall off. */
	return ioreqd_size_mask(f->size) << word_shift(f);
}

ioreqd_vcpu_t *ioreqd_fault_vcpu_ctx(ioreqd_fault_t *f)
{
	return f->vctx;
}

int ioreqd_fault_ip(ioreqd_fault_t *f, uint64_t *ip)
{
	int rc;

	*ip = 0;
	if (f->ip_valid) {
		*ip = f->ip;
		return 0;
	}
	if (!f->ops || !f->ops->get_ip)
		return -ENOTSUP;
	rc = f->ops->get_ip(f, &f->ip);
	if (rc < 0)
		return rc;
	f->ip_valid = 1;
	*ip = f->ip;
	return 0;
}

void ioreqd_fault_set_data(ioreqd_fault_t *f, uint64_t data)
{
	f->data = data & ioreqd_size_mask(f->size);
}

void ioreqd_fault_set_data_from_reg(ioreqd_fault_t *f, uint64_t reg)
{
	f->data = (reg >> word_shift(f)) & ioreqd_size_mask(f->size);
}

uint64_t ioreqd_fault_emulate(const ioreqd_fault_t *f, uint64_t old)
{
	uint64_t mask = ioreqd_fault_data_mask(f);

	if (f->is_read)
		return old;
	return (old & ~mask) | ((f->data << word_shift(f)) & mask);
}

int ioreqd_fault_on_done(ioreqd_fault_t *f, ioreqd_fault_done_fn fn, void *arg)
{
	if (f->done)
		return -EBUSY;
	f->done = fn;
	f->done_arg = arg;
	return 0;
}

ioreqd_ticket_t ioreqd_fault_ticket(const ioreqd_fault_t *f)
{
	return ioreqd_ticket_make(f->gen, f->vcpu);
}

int ioreqd_fault_advance(ioreqd_fault_t *f)
{
	if (f->state == FAULT_DONE || f->state == FAULT_IDLE)
		return -EALREADY;
	if (f->state != FAULT_DEFERRED)
		return -EINVAL;
	if (!f->ops || !f->ops->advance)
		return -ENOTSUP;
	return f->ops->advance(f);
}

int ioreqd_fault_restart(ioreqd_fault_t *f)
{
	if (f->state == FAULT_DONE || f->state == FAULT_IDLE)
		return -EALREADY;
	if (f->state != FAULT_DEFERRED)
		return -EINVAL;
	if (!f->ops || !f->ops->restart)
		return -ENOTSUP;
	return f->ops->restart(f);
}
