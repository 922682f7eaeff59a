/* SPDX-License-Identifier: MIT */
/*
 * The buffered ioreq ring: 511 eight-byte slots plus a read and a write
 * pointer, for posted writes (Xen uses it for writes to addresses <= 0xfffff
 * with count 1 and no data_is_ptr, e.g. VGA).  Xen produces, we consume.
 *
 * Pointers are free-running; Xen, in HVM_IOREQSRV_BUFIOREQ_ATOMIC mode,
 * canonicalises both by a multiple of 511 with a 64-bit cmpxchg of the pair.
 * So we read the pair with one 64-bit load (a consistent snapshot), index
 * slots modulo 511 (unchanged by canonicalisation), and advance read_pointer
 * with an atomic add, never a plain store, so neither side loses an update.
 *
 * An 8-byte write takes two slots, the high half in the second.  If only the
 * first half has been published we stop and wait for the next notification:
 * Xen publishes both halves with one write_pointer update, so a half-written
 * quad is a transient view, not an error.
 */
#include "engine.h"

#include <stdatomic.h>
#include <string.h>

#include "engine-internal.h"

_Static_assert(sizeof(buf_ioreq_t) == 8, "buf_ioreq_t must be Xen's 8-byte layout");
_Static_assert(sizeof(buffered_iopage_t) <= 4096, "buffered_iopage_t must fit a page");
_Static_assert(offsetof(buffered_iopage_t, write_pointer) == 4,
               "read_pointer and write_pointer must form one 64-bit word");

/* Addresses Xen will buffer (hvm_buffered_io_send): the low MiB. */
#define BUF_ADDR_LIMIT 0xfffffull

typedef uint64_t __attribute__((may_alias)) ptr_pair_t;

static void load_pointers(buffered_iopage_t *bp, uint32_t *rd, uint32_t *wr)
{
	/*
	 * Acquire: slot contents written by Xen before it advanced
	 * write_pointer must be visible once we see the new write_pointer.
	 */
	uint64_t pair = __atomic_load_n((ptr_pair_t *)bp, __ATOMIC_ACQUIRE);

	/* Little-endian: read_pointer is the low word (offset 0). */
	*rd = (uint32_t)pair;
	*wr = (uint32_t)(pair >> 32);
}

static void advance_read_pointer(buffered_iopage_t *bp, uint32_t n)
{
	/*
	 * Release: our reads of the consumed slots complete before Xen can see
	 * them free and overwrite them.  An atomic add composes with Xen's
	 * cmpxchg canonicalisation of the pair.
	 */
	__atomic_fetch_add(&bp->read_pointer, n, __ATOMIC_RELEASE);
}

/*
 * Skip everything published so far after a corrupt ring: the entries are
 * lost (counted), but the ring is usable again and nothing is read twice.
 */
static void resync(buffered_iopage_t *bp, uint32_t rd, uint32_t wr)
{
	uint64_t want = ((uint64_t)wr << 32) | rd;
	uint64_t next = ((uint64_t)wr << 32) | wr;

	/* If Xen moved the pointers meanwhile, the next drain looks again. */
	__atomic_compare_exchange_n((ptr_pair_t *)bp, &want, next, false,
	                            __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

static bool entry_valid(struct ioreqd_engine *e, const buf_ioreq_t *s, unsigned size)
{
	if (s->dir != IOREQ_WRITE) {
		ioreqd_engine_reject(e, IOREQD_REJ_BUFRING, IOREQD_VCPU_NONE, s->addr,
		                     "buffered read");
		return false;
	}
	if (s->type == IOREQ_TYPE_PIO) {
		if (size > 4 || s->addr + size - 1 > 0xffff) {
			ioreqd_engine_reject(e, IOREQD_REJ_BUFRING, IOREQD_VCPU_NONE,
			                     s->addr, "buffered port write of size %u",
			                     size);
			return false;
		}
		return true;
	}
	/* Xen broadcasts RTC offset changes through the ring (8 bytes, 2 slots). */
	if (s->type == IOREQ_TYPE_COPY || s->type == IOREQ_TYPE_TIMEOFFSET)
		return true;
	ioreqd_engine_reject(e, IOREQD_REJ_BUFRING, IOREQD_VCPU_NONE, s->addr,
	                     "buffered entry of type %u", s->type);
	return false;
}

static void dispatch_entry(struct ioreqd_engine *e, const buf_ioreq_t *s, unsigned size,
                           uint64_t data)
{
	if (s->type == IOREQ_TYPE_TIMEOFFSET) {
		e->stats.timeoffset++;
		if (e->ops.timeoffset)
			e->ops.timeoffset(e->opaque, (int64_t)data);
		return;
	}
	ioreqd_engine_post_write(
	    e, s->type == IOREQ_TYPE_PIO ? IOREQD_SPACE_PIO : IOREQD_SPACE_MMIO,
	    s->addr & BUF_ADDR_LIMIT, size, data);
}

unsigned ioreqd_engine_drain_buffered(struct ioreqd_engine *e, buffered_iopage_t *bp)
{
	uint32_t rd, wr, avail, done = 0;

	e->buffered_more = false;
	if (!bp)
		return 0;
	load_pointers(bp, &rd, &wr);
	avail = wr - rd;
	if (avail == 0)
		return 0;
	if (avail > IOREQ_BUFFER_SLOT_NUM) {
		ioreqd_engine_reject(e, IOREQD_REJ_BUFRING, IOREQD_VCPU_NONE, 0,
		                     "ring pointers rd %u wr %u are %u apart (max %u)",
		                     rd, wr, avail, IOREQ_BUFFER_SLOT_NUM);
		resync(bp, rd, wr);
		return 0;
	}
	/*
	 * Run everything this snapshot published, then give the slots back with
	 * one atomic add: an atomic per entry would be a full barrier per entry
	 * on x86 and would keep consecutive entries from overlapping in the
	 * pipeline.
	 */
	while (done < avail) {
		uint32_t n = 1, at = rd + done;
		buf_ioreq_t s;
		unsigned size;
		uint64_t data;

		memcpy(&s, &bp->buf_ioreq[at % IOREQ_BUFFER_SLOT_NUM], sizeof(s));
		size = 1u << s.size;
		data = s.data;
		if (size == 8) {
			const buf_ioreq_t *hi;

			if (avail - done < 2)
				break; /* second half not published yet */
			hi = &bp->buf_ioreq[(at + 1) % IOREQ_BUFFER_SLOT_NUM];
			data |= (uint64_t)hi->data << 32;
			n = 2;
		}
		if (entry_valid(e, &s, size))
			dispatch_entry(e, &s, size, data);
		done += n;
	}
	if (done == 0)
		return 0; /* only a half-written quad: wait for the next event */
	advance_read_pointer(bp, done);
	e->stats.buffered_slots += done;
	/*
	 * One snapshot per call, at most a ring's worth: a producer that keeps
	 * the ring full (or keeps re-storing the pointers) would otherwise hold
	 * this call, and with it every other vCPU, socket and timer, for as
	 * long as it likes.  Whatever was published meanwhile stays in the ring
	 * for the caller's next call (ioreqd_engine_buffered_pending()).  The
	 * snapshot is taken after the notification, so the posted writes a vCPU
	 * made before its synchronous request are always in it.
	 */
	if (done == avail) {
		load_pointers(bp, &rd, &wr);
		e->buffered_more = wr != rd;
	}
	return done;
}

bool ioreqd_engine_buffered_pending(const struct ioreqd_engine *e)
{
	return e->buffered_more;
}
