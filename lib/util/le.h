/* SPDX-License-Identifier: MIT */
/*
 * Little-endian loads and stores of 1 to 8 bytes, whatever the host's byte
 * order: device state records, virtio registers and config space are all
 * little-endian.  Header-only, so that lib/virtio (which links nothing else
 * of lib/) and the virtio transports in hooks/virtio use it without a link
 * dependency.
 */
#ifndef IOREQD_LE_H
#define IOREQD_LE_H

#include <stdint.h>

/* Store the low @p n bytes of @p v at @p p, least significant first. */
static inline void ioreqd_le_put(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* @return the @p n bytes at @p p, least significant first (n up to 8). */
static inline uint64_t ioreqd_le_get(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = n; i-- > 0;)
		v = (v << 8) | p[i];
	return v;
}

#endif /* IOREQD_LE_H */
