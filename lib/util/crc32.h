/* SPDX-License-Identifier: MIT */
/*
 * CRC-32 (IEEE 802.3, reflected, as zlib's crc32()): the checksum that ends
 * a device-state stream.  Header-only, so the tests and fuzzers that edit a
 * stream and reseal it compute exactly what lib/engine/devstate.c checks.
 * Bitwise: streams are small and saved rarely, so no table is worth its
 * cache lines.
 */
#ifndef IOREQD_CRC32_H
#define IOREQD_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* @return the CRC-32 of the @p len bytes at @p p. */
static inline uint32_t ioreqd_crc32(const uint8_t *p, size_t len)
{
	uint32_t c = 0xffffffffu;

	for (size_t i = 0; i < len; i++) {
		c ^= p[i];
		for (unsigned k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320u & -(c & 1));
	}
	return ~c;
}

#endif /* IOREQD_CRC32_H */
