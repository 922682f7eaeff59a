/* SPDX-License-Identifier: MIT */
/*
 * The split virtqueue's memory layout (virtio 1.2, 2.7), shared by the device
 * core and the guest-side driver.  All fields are little-endian.  Rings are
 * addressed by byte offsets from their base so that neither side ever forms a
 * pointer to a guest-controlled index without bounds.
 *
 *   descriptor table: size x { le64 addr; le32 len; le16 flags; le16 next; }
 *   available ring:   le16 flags; le16 idx; le16 ring[size]; le16 used_event;
 *   used ring:        le16 flags; le16 idx; { le32 id; le32 len; } ring[size];
 *                     le16 avail_event;
 * The trailing event fields exist only with VIRTIO_F_EVENT_IDX.
 */
#ifndef IOREQD_VIRTIO_RING_H
#define IOREQD_VIRTIO_RING_H

#include <endian.h>
#include <stdint.h>
#include <string.h>

#define VRING_DESC_F_NEXT 1u
#define VRING_DESC_F_WRITE 2u
#define VRING_DESC_F_INDIRECT 4u
#define VRING_AVAIL_F_NO_INTERRUPT 1u
#define VRING_USED_F_NO_NOTIFY 1u

#define VRING_DESC_SIZE 16u
#define VRING_DESC_ALIGN 16u
#define VRING_AVAIL_ALIGN 2u
#define VRING_USED_ALIGN 4u

/* A descriptor, host byte order. */
struct vring_desc_host {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

static inline uint64_t vring_desc_bytes(uint32_t size)
{
	return (uint64_t)VRING_DESC_SIZE * size;
}

static inline uint64_t vring_avail_bytes(uint32_t size, int event_idx)
{
	return 4 + 2 * (uint64_t)size + (event_idx ? 2 : 0);
}

static inline uint64_t vring_used_bytes(uint32_t size, int event_idx)
{
	return 4 + 8 * (uint64_t)size + (event_idx ? 2 : 0);
}

/* Byte offsets inside the rings. */
#define VRING_AVAIL_FLAGS 0u
#define VRING_AVAIL_IDX 2u
#define VRING_AVAIL_RING(i) (4u + 2u * (uint32_t)(i))
#define VRING_USED_EVENT(size) (4u + 2u * (uint32_t)(size))
#define VRING_USED_FLAGS 0u
#define VRING_USED_IDX 2u
#define VRING_USED_RING(i) (4u + 8u * (uint32_t)(i))
#define VRING_AVAIL_EVENT(size) (4u + 8u * (uint32_t)(size))

/* Read one descriptor once (the guest may change it under us: copy, then check). */
static inline void vring_desc_read(const void *table, uint32_t i,
                                   struct vring_desc_host *d)
{
	unsigned char raw[VRING_DESC_SIZE];
	uint64_t a;
	uint32_t l;
	uint16_t f, n;

	memcpy(raw, (const unsigned char *)table + (uint64_t)i * VRING_DESC_SIZE,
	       sizeof(raw));
	memcpy(&a, raw, 8);
	memcpy(&l, raw + 8, 4);
	memcpy(&f, raw + 12, 2);
	memcpy(&n, raw + 14, 2);
	d->addr = le64toh(a);
	d->len = le32toh(l);
	d->flags = le16toh(f);
	d->next = le16toh(n);
}

static inline void vring_desc_write(void *table, uint32_t i,
                                    const struct vring_desc_host *d)
{
	unsigned char *raw = (unsigned char *)table + (uint64_t)i * VRING_DESC_SIZE;
	uint64_t a = htole64(d->addr);
	uint32_t l = htole32(d->len);
	uint16_t f = htole16(d->flags), n = htole16(d->next);

	memcpy(raw, &a, 8);
	memcpy(raw + 8, &l, 4);
	memcpy(raw + 12, &f, 2);
	memcpy(raw + 14, &n, 2);
}

/*
 * 16- and 32-bit ring fields shared with the other side, which runs
 * concurrently: accessed with atomics so the compiler neither tears nor
 * repeats them.  The offsets are aligned because the ring bases are.
 */
static inline uint16_t vring_load16(const void *base, uint32_t off, int order)
{
	const uint16_t *p = (const uint16_t *)(const void *)((const char *)base + off);

	return le16toh(__atomic_load_n(p, order));
}

static inline void vring_store16(void *base, uint32_t off, uint16_t v, int order)
{
	uint16_t *p = (uint16_t *)(void *)((char *)base + off);

	__atomic_store_n(p, htole16(v), order);
}

static inline uint32_t vring_load32(const void *base, uint32_t off)
{
	const uint32_t *p = (const uint32_t *)(const void *)((const char *)base + off);

	return le32toh(__atomic_load_n(p, __ATOMIC_RELAXED));
}

static inline void vring_store32(void *base, uint32_t off, uint32_t v)
{
	uint32_t *p = (uint32_t *)(void *)((char *)base + off);

	__atomic_store_n(p, htole32(v), __ATOMIC_RELAXED);
}

/*
 * The event-index test (virtio 1.2, 2.7.7.2 and 2.7.10.1): with the index
 * moving from @p old to @p new_idx, did it pass @p event, i.e. is event in
 * [old, new_idx) modulo 2^16?
 */
static inline int vring_need_event(uint16_t event, uint16_t new_idx, uint16_t old)
{
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old);
}

#endif /* IOREQD_VIRTIO_RING_H */
