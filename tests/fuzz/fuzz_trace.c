/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the trace file parser (lib/trace.c): arbitrary bytes as a trace file,
 * read to the end or to the first defect, as ioreqd-replay reads a file it
 * was given.
 *
 * The invariants:
 *  - the reader never looks past the buffer and advances one whole record
 *    at a time; it stops either cleanly at the end of the buffer or with a
 *    reason, never both;
 *  - whatever it accepts is what the engine could have produced: a known
 *    space, a size of 1, 2, 4 or 8, data that fits the size, ports inside
 *    0..0xffff, a PCI register inside 4 KiB, times that never decrease;
 *  - an accepted header or record encodes back to the very bytes it came
 *    from, so nothing the parser accepts is silently reinterpreted.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "fuzz-input.h"
#include <ioreqd/trace.h>

static void check_rec(const struct ioreqd_trace_rec *r, const uint8_t *raw)
{
	uint8_t again[IOREQD_TRACE_REC_SIZE];
	uint64_t mask = r->size == 8 ? ~0ull : (1ull << (8 * r->size)) - 1;

	FUZZ_CHECK(r->space < IOREQD_SPACE_COUNT);
	FUZZ_CHECK(r->size == 1 || r->size == 2 || r->size == 4 || r->size == 8);
	FUZZ_CHECK(r->is_read <= 1);
	FUZZ_CHECK(r->result < IOREQD_TRACE_RES_COUNT);
	FUZZ_CHECK((r->data & ~mask) == 0);
	if (r->space == IOREQD_SPACE_PIO)
		FUZZ_CHECK(r->addr + r->size <= 0x10000);
	if (r->space == IOREQD_SPACE_PCI)
		FUZZ_CHECK((r->addr & 0xffffffffull) + r->size <= 0x1000);
	if (r->space == IOREQD_SPACE_MMIO)
		FUZZ_CHECK(r->addr + (r->size - 1) >= r->addr);
	FUZZ_CHECK(r->vcpu < 128 || (r->vcpu == IOREQD_TRACE_VCPU_POSTED && !r->is_read));
	ioreqd_trace_encode_rec(r, again);
	FUZZ_CHECK(memcmp(again, raw, sizeof(again)) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ioreqd_trace_reader rd;
	struct ioreqd_trace_rec r;
	uint8_t hdr[IOREQD_TRACE_HDR_SIZE];
	uint64_t last = 0;
	const char *why = NULL;
	int rc;

	rc = ioreqd_trace_reader_init(&rd, data, size, &why);
	if (rc < 0) {
		FUZZ_CHECK(rc == -EBADMSG || rc == -EPROTONOSUPPORT);
		FUZZ_CHECK(why && why[0]);
		return 0;
	}
	FUZZ_CHECK(why == NULL);
	ioreqd_trace_encode_header(&rd.hdr, hdr);
	FUZZ_CHECK(memcmp(hdr, data, sizeof(hdr)) == 0);
	for (;;) {
		size_t pos = rd.pos;

		rc = ioreqd_trace_next(&rd, &r, &why);
		if (rc <= 0)
			break;
		FUZZ_CHECK(rc == 1 && why == NULL);
		FUZZ_CHECK(rd.pos == pos + IOREQD_TRACE_REC_SIZE && rd.pos <= size);
		FUZZ_CHECK(r.t_ns >= last);
		last = r.t_ns;
		check_rec(&r, data + pos);
	}
	if (rc == 0) {
		FUZZ_CHECK(rd.pos == size && why == NULL);
	} else {
		FUZZ_CHECK(rc == -EBADMSG && why && why[0]);
		FUZZ_CHECK(rd.pos < size);
	}
	FUZZ_CHECK(rd.index == (rd.pos - IOREQD_TRACE_HDR_SIZE) / IOREQD_TRACE_REC_SIZE);
	return 0;
}
