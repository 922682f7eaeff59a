/* SPDX-License-Identifier: MIT */
/*
 * The access trace file: what the trace hook writes and ioreqd-replay reads.
 *
 * A trace is a 32-byte header followed by fixed-size 32-byte records, all
 * little-endian, so a trace is easy to seek, truncate safely at a record
 * boundary, and check byte for byte.  Header:
 *
 *   0  magic "IOREQTRC" (8 bytes)
 *   8  u16 version (1)          10 u16 header size (32)
 *   12 u16 record size (32)     14 u16 flags (0)
 *   16 u32 domid                20 u32 reserved (0)
 *   24 u64 start time, ns since the Unix epoch (CLOCK_REALTIME)
 *
 * Record:
 *
 *   0  u64 time, ns since the start of the trace (never decreasing)
 *   8  u64 address (port, guest-physical, or Xen's PCI config encoding)
 *   16 u64 data: the write data, or a read's result when DATA_VALID
 *   24 u16 vCPU (0xffff for a posted write)
 *   26 u8 space   27 u8 size (1, 2, 4, 8)   28 u8 dir (0 write, 1 read)
 *   29 u8 result (enum ioreqd_trace_result)  30 u16 flags
 *
 * The parser trusts nothing: every field is checked and any defect ends the
 * trace with a reason.  Pure logic; the writer takes a stdio stream.
 */
#ifndef IOREQD_TRACE_H
#define IOREQD_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <ioreqd/fault.h>

#define IOREQD_TRACE_MAGIC "IOREQTRC"
#define IOREQD_TRACE_VERSION 1u
#define IOREQD_TRACE_HDR_SIZE 32u
#define IOREQD_TRACE_REC_SIZE 32u
#define IOREQD_TRACE_VCPU_POSTED 0xffffu

/* Record flags. */
#define IOREQD_TRACE_F_DATA_VALID 0x1u /* data is the final value (always for writes) */
#define IOREQD_TRACE_F_ALL 0x1u

/** The outcome a record carries. */
enum ioreqd_trace_result {
	IOREQD_TRACE_RES_UNKNOWN = 0, /* recorded before any handler decided */
	IOREQD_TRACE_RES_HANDLED,
	IOREQD_TRACE_RES_DEFERRED,  /* handled later, from a timer or event */
	IOREQD_TRACE_RES_ERROR,     /* a handler failed: a read returned all-ones */
	IOREQD_TRACE_RES_UNHANDLED, /* nobody claimed it: a read returned all-ones */
	IOREQD_TRACE_RES_COUNT
};

struct ioreqd_trace_header {
	uint32_t domid;
	uint64_t start_ns;
};

struct ioreqd_trace_rec {
	uint64_t t_ns;
	uint64_t addr;
	uint64_t data;
	uint16_t vcpu;
	uint8_t space; /* enum ioreqd_space */
	uint8_t size;
	uint8_t is_read;
	uint8_t result; /* enum ioreqd_trace_result */
	uint16_t flags;
};

/** Encode a header into @p out (IOREQD_TRACE_HDR_SIZE bytes). */
void ioreqd_trace_encode_header(const struct ioreqd_trace_header *h, uint8_t *out);

/** Encode a record into @p out (IOREQD_TRACE_REC_SIZE bytes). */
void ioreqd_trace_encode_rec(const struct ioreqd_trace_rec *r, uint8_t *out);

/**
 * Decode and validate a header.
 * @param why  receives a static reason on failure.
 * @return 0, or -EBADMSG (bad magic, short buffer, a field out of range) or
 * -EPROTONOSUPPORT (another version).
 */
int ioreqd_trace_decode_header(const uint8_t *buf, size_t len,
                               struct ioreqd_trace_header *h, const char **why);

/**
 * Decode and validate one record on its own (time order is the reader's job).
 * @return 0 or -EBADMSG with a static reason in *why.
 */
int ioreqd_trace_decode_rec(const uint8_t *buf, size_t len, struct ioreqd_trace_rec *r,
                            const char **why);

/** @return "handled", "unhandled", ... for a result (or "?"). */
const char *ioreqd_trace_result_name(unsigned result);

/** A reader over a trace held in memory; no allocation. */
struct ioreqd_trace_reader {
	const uint8_t *buf;
	size_t len;
	size_t pos;
	uint64_t last_ns;
	uint64_t index; /* records returned so far */
	struct ioreqd_trace_header hdr;
};

/**
 * Start reading a trace of @p len bytes at @p buf (kept, not copied).
 * @return 0 or an error from ioreqd_trace_decode_header.
 */
int ioreqd_trace_reader_init(struct ioreqd_trace_reader *rd, const uint8_t *buf,
                             size_t len, const char **why);

/**
 * Read the next record.
 * @return 1 with a record, 0 at the clean end, -EBADMSG for a bad record, a
 * truncated last record or time going backwards (*why says which; the
 * record's index is rd->index).
 */
int ioreqd_trace_next(struct ioreqd_trace_reader *rd, struct ioreqd_trace_rec *r,
                      const char **why);

/** A trace writer: buffered, owned. */
struct ioreqd_trace_writer;

/**
 * Start a trace on @p fp (opened "wb" by the caller; the writer owns it from
 * now on and closes it in _free) and write its header.
 * @return the writer, or NULL (errno set; @p fp is closed).
 */
struct ioreqd_trace_writer *ioreqd_trace_writer_new(FILE *fp,
                                                    const struct ioreqd_trace_header *h);

/**
 * Append one record (its time is clamped so that it never decreases).
 * @return 0 or -EIO after a write error (later calls keep failing).
 */
int ioreqd_trace_writer_add(struct ioreqd_trace_writer *w,
                            const struct ioreqd_trace_rec *r);

/** Flush buffered records.  @return 0 or -EIO. */
int ioreqd_trace_writer_flush(struct ioreqd_trace_writer *w);

/** @return how many records were added. */
uint64_t ioreqd_trace_writer_count(const struct ioreqd_trace_writer *w);

/**
 * Flush, close and free (NULL is fine).
 * @return 0 or -EIO if anything was lost.
 */
int ioreqd_trace_writer_free(struct ioreqd_trace_writer *w);

#endif /* IOREQD_TRACE_H */
