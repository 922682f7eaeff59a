/* SPDX-License-Identifier: MIT */
/*
 * Device state blobs: what a hook's save writes and its load reads.
 *
 * A blob is a sequence of self-describing fields, each a 16-bit tag chosen by
 * the hook, a 32-bit length and that many bytes (all little-endian), so a
 * hook never hand-rolls a format and a newer hook can read an older blob by
 * looking at which tags are there.  The blob's version is the hook's
 * .state_version, kept beside it in the device-state stream and passed to
 * load.  Multi-byte integers go in with ioreqd_state_put_u32/u64, which fix
 * their byte order; byte arrays go in as they are.
 *
 * A hook's load should read and check every field before it changes its
 * instance: the daemon loads a stream all or nothing, and relies on a
 * refusing load leaving the device as it was.
 */
#ifndef IOREQD_STATE_H
#define IOREQD_STATE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** A blob being written (by save) or read (by load). */
typedef struct ioreqd_state ioreqd_state_t;

/** Largest field, and largest blob, the format carries (a 16 MiB scratch fits). */
#define IOREQD_STATE_MAX_LEN (64u << 20)

/**
 * Append field @p tag holding @p len bytes of @p data.
 * @return 0, -EEXIST if @p tag is already in the blob, -EFBIG past
 * IOREQD_STATE_MAX_LEN, -ENOMEM, or -EINVAL on a blob being read.
 */
int ioreqd_state_put(ioreqd_state_t *st, uint16_t tag, const void *data, size_t len);
/** Append @p v as a 4-byte little-endian field.  @return as ioreqd_state_put. */
int ioreqd_state_put_u32(ioreqd_state_t *st, uint16_t tag, uint32_t v);
/** Append @p v as an 8-byte little-endian field.  @return as ioreqd_state_put. */
int ioreqd_state_put_u64(ioreqd_state_t *st, uint16_t tag, uint64_t v);

/**
 * Copy field @p tag, which must be exactly @p len bytes, into @p buf.
 * @return 0, -ENOENT if the blob has no such field, or -EBADMSG if its
 * length is not @p len (a message naming both is kept: ioreqd_state_error).
 */
int ioreqd_state_get(ioreqd_state_t *st, uint16_t tag, void *buf, size_t len);
/** Read a field written by ioreqd_state_put_u32.  @return as ioreqd_state_get. */
int ioreqd_state_get_u32(ioreqd_state_t *st, uint16_t tag, uint32_t *v);
/** Read a field written by ioreqd_state_put_u64.  @return as ioreqd_state_get. */
int ioreqd_state_get_u64(ioreqd_state_t *st, uint16_t tag, uint64_t *v);
/**
 * @return the length of field @p tag, or -ENOENT (for fields whose size
 * the hook does not know in advance).
 */
long ioreqd_state_len(ioreqd_state_t *st, uint16_t tag);

/**
 * Say why the blob is refused, for the daemon's message ("device NAME: ...").
 * A hook's load calls it before returning -EBADMSG for a value it does not
 * accept; the get calls set it themselves.
 */
void ioreqd_state_fail(ioreqd_state_t *st, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ---- for the daemon and tests: making and opening blobs ---- */

/** @return a new empty blob to write, or NULL on ENOMEM. */
ioreqd_state_t *ioreqd_state_new(void);
/**
 * Open @p len bytes at @p blob (which must outlive the handle) for reading;
 * the framing of every field is checked first (each fits, no tag twice).
 * @param out  receives the handle, also on -EBADMSG (read the message with
 *             ioreqd_state_error, then free it); NULL only when it cannot be
 *             allocated.
 * @return 0, -EBADMSG or -ENOMEM.
 */
int ioreqd_state_open(const void *blob, size_t len, ioreqd_state_t **out);
/** The bytes written so far (@p len receives their count). */
const void *ioreqd_state_data(const ioreqd_state_t *st, size_t *len);
/** @return the last refusal message ("" if none). */
const char *ioreqd_state_error(const ioreqd_state_t *st);
/** Free a blob (NULL is fine). */
void ioreqd_state_free(ioreqd_state_t *st);

#ifdef __cplusplus
}
#endif

#endif /* IOREQD_STATE_H */
