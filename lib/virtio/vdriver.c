/* SPDX-License-Identifier: MIT */
/*
 * A guest-side split-virtqueue driver over a buffer that stands for guest
 * RAM (see vdriver.h).  The free descriptor list lives in host memory, never
 * in the rings, so a device cannot corrupt it; a used element naming a head
 * that is not in flight is refused.
 */
#include "vdriver.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ring.h"

static uint64_t used_off(uint32_t size)
{
	uint64_t off = vring_desc_bytes(size) + vring_avail_bytes(size, 1);

	return (off + VRING_USED_ALIGN - 1) & ~(uint64_t)(VRING_USED_ALIGN - 1);
}

uint64_t ioreqd_vdrv_ring_bytes(uint32_t size)
{
	return used_off(size) + vring_used_bytes(size, 1);
}

static bool in_ram(const struct ioreqd_vdrv *d, uint64_t gpa, uint64_t len)
{
	return gpa >= d->ram_gpa && len <= d->ram_size &&
	       gpa - d->ram_gpa <= d->ram_size - len;
}

void ioreqd_vdrv_move_ram(struct ioreqd_vdrv *d, void *ram)
{
	d->ram = ram;
	d->desc = d->ram + (d->desc_gpa - d->ram_gpa);
	d->avail = d->ram + (d->avail_gpa - d->ram_gpa);
	d->used = d->ram + (d->used_gpa - d->ram_gpa);
}

int ioreqd_vdrv_init(struct ioreqd_vdrv *d, void *ram, uint64_t ram_gpa,
                     uint64_t ram_size, uint32_t size, uint64_t ring_gpa, bool event_idx,
                     uint64_t indirect_gpa, uint32_t indirect_max)
{
	memset(d, 0, sizeof(*d));
	if (!size || (size & (size - 1)) || size > 32768 || ring_gpa % VRING_DESC_ALIGN)
		return -EINVAL;
	d->ram = ram;
	d->ram_gpa = ram_gpa;
	d->ram_size = ram_size;
	if (!in_ram(d, ring_gpa, ioreqd_vdrv_ring_bytes(size)))
		return -EINVAL;
	if (indirect_gpa &&
	    (!indirect_max ||
	     !in_ram(d, indirect_gpa, (uint64_t)size * indirect_max * 16)))
		return -EINVAL;
	d->size = size;
	d->event_idx = event_idx;
	d->indirect = indirect_gpa != 0;
	d->indirect_gpa = indirect_gpa;
	d->indirect_max = indirect_max;
	d->desc_gpa = ring_gpa;
	d->avail_gpa = ring_gpa + vring_desc_bytes(size);
	d->used_gpa = ring_gpa + used_off(size);
	d->desc = d->ram + (d->desc_gpa - ram_gpa);
	d->avail = d->ram + (d->avail_gpa - ram_gpa);
	d->used = d->ram + (d->used_gpa - ram_gpa);
	memset(d->desc, 0, ioreqd_vdrv_ring_bytes(size));
	d->next = calloc(size, sizeof(*d->next));
	d->chain_len = calloc(size, sizeof(*d->chain_len));
	d->cookie = calloc(size, sizeof(*d->cookie));
	if (!d->next || !d->chain_len || !d->cookie) {
		ioreqd_vdrv_fini(d);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < size; i++)
		d->next[i] = (uint16_t)(i + 1);
	d->num_free = size;
	return 0;
}

void ioreqd_vdrv_fini(struct ioreqd_vdrv *d)
{
	free(d->next);
	free(d->chain_len);
	free(d->cookie);
	d->next = d->chain_len = NULL;
	d->cookie = NULL;
}

int ioreqd_vdrv_add(struct ioreqd_vdrv *d, const struct ioreqd_vdrv_buf *bufs,
                    unsigned nout, unsigned nin, bool indirect, void *cookie)
{
	unsigned n = nout + nin, need = indirect ? 1 : n;
	uint16_t head = d->free_head, i = head;
	struct vring_desc_host desc;

	if (!n || !cookie || (indirect && (!d->indirect || n > d->indirect_max)))
		return -EINVAL;
	if (need > d->num_free)
		return -ENOSPC;
	if (indirect) {
		uint64_t tgpa = d->indirect_gpa + (uint64_t)head * d->indirect_max * 16;
		uint8_t *table = d->ram + (tgpa - d->ram_gpa);

		for (unsigned k = 0; k < n; k++) {
			desc.addr = bufs[k].gpa;
			desc.len = bufs[k].len;
			desc.flags = (uint16_t)((k >= nout ? VRING_DESC_F_WRITE : 0) |
			                        (k + 1 < n ? VRING_DESC_F_NEXT : 0));
			desc.next = (uint16_t)(k + 1 < n ? k + 1 : 0);
			vring_desc_write(table, k, &desc);
		}
		desc.addr = tgpa;
		desc.len = n * 16;
		desc.flags = VRING_DESC_F_INDIRECT;
		desc.next = 0;
		vring_desc_write(d->desc, head, &desc);
		d->free_head = d->next[head];
	} else {
		for (unsigned k = 0; k < n; k++) {
			desc.addr = bufs[k].gpa;
			desc.len = bufs[k].len;
			desc.flags = (uint16_t)((k >= nout ? VRING_DESC_F_WRITE : 0) |
			                        (k + 1 < n ? VRING_DESC_F_NEXT : 0));
			desc.next = k + 1 < n ? d->next[i] : 0;
			vring_desc_write(d->desc, i, &desc);
			if (k + 1 < n)
				i = d->next[i];
		}
		d->free_head = d->next[i];
	}
	d->num_free -= need;
	d->chain_len[head] = (uint16_t)need;
	d->cookie[head] = cookie;
	vring_store16(d->avail, VRING_AVAIL_RING(d->avail_idx & (d->size - 1)), head,
	              __ATOMIC_RELAXED);
	d->avail_idx++;
	/*
	 * Release: the descriptors (and indirect table) and the ring entry are
	 * visible before the device can see the new avail->idx.
	 */
	vring_store16(d->avail, VRING_AVAIL_IDX, d->avail_idx, __ATOMIC_RELEASE);
	return head;
}

bool ioreqd_vdrv_kick_needed(struct ioreqd_vdrv *d)
{
	uint16_t old = d->kicked_idx, now = d->avail_idx;

	if (old == now)
		return false;
	d->kicked_idx = now;
	/*
	 * Full barrier: our avail->idx store must be visible before we read the
	 * device's avail_event / flags (pairs with the device's barrier between
	 * writing avail_event and re-reading avail->idx).
	 */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (d->event_idx)
		return vring_need_event(
		    vring_load16(d->used, VRING_AVAIL_EVENT(d->size), __ATOMIC_RELAXED),
		    now, old);
	return !(vring_load16(d->used, VRING_USED_FLAGS, __ATOMIC_RELAXED) &
	         VRING_USED_F_NO_NOTIFY);
}

void *ioreqd_vdrv_get_used(struct ioreqd_vdrv *d, uint32_t *len)
{
	uint16_t idx, slot, i;
	uint32_t id;
	void *cookie;

	/* Acquire: the used element and the data the device wrote are read after
	 * used->idx. */
	idx = vring_load16(d->used, VRING_USED_IDX, __ATOMIC_ACQUIRE);
	if (idx == d->last_used)
		return NULL;
	slot = d->last_used & (d->size - 1);
	id = vring_load32(d->used, VRING_USED_RING(slot));
	*len = vring_load32(d->used, VRING_USED_RING(slot) + 4);
	if (id >= d->size || !d->cookie[id])
		return NULL; /* a head we never handed out, or handed back twice */
	d->last_used++;
	cookie = d->cookie[id];
	d->cookie[id] = NULL;
	/* Return the chain to the free list, following our own links. */
	i = (uint16_t)id;
	for (uint16_t k = 1; k < d->chain_len[id]; k++)
		i = d->next[i];
	d->next[i] = d->free_head;
	d->free_head = (uint16_t)id;
	d->num_free += d->chain_len[id];
	return cookie;
}

bool ioreqd_vdrv_enable_irq(struct ioreqd_vdrv *d)
{
	if (d->event_idx)
		vring_store16(d->avail, VRING_USED_EVENT(d->size), d->last_used,
		              __ATOMIC_RELAXED);
	else
		vring_store16(d->avail, VRING_AVAIL_FLAGS, 0, __ATOMIC_RELAXED);
	/*
	 * Full barrier: the used_event (or flags) store is visible before we
	 * look at used->idx again, so a buffer used in between is either seen
	 * here or interrupts us.
	 */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return vring_load16(d->used, VRING_USED_IDX, __ATOMIC_ACQUIRE) != d->last_used;
}

void ioreqd_vdrv_disable_irq(struct ioreqd_vdrv *d)
{
	vring_store16(d->avail, VRING_AVAIL_FLAGS, VRING_AVAIL_F_NO_INTERRUPT,
	              __ATOMIC_RELAXED);
}

uint32_t ioreqd_vdrv_num_free(const struct ioreqd_vdrv *d)
{
	return d->num_free;
}
