/* SPDX-License-Identifier: MIT */
/*
 * The device-state stream: every device of a device model (dm.h) saved into
 * one buffer, and loaded back into a device model built from the same
 * configuration - by the control socket's save/load, by --resume, and by the
 * tests.  Layout (all integers little-endian):
 *
 *   header   magic "IOREQDST" (8), format version u32, record count u32,
 *            configuration fingerprint u64, stream length u64 (with trailer)
 *   record   (one per live device, in device order)
 *            record length u32 (of what follows), name length u16, name,
 *            hook length u16, hook, hook state version u32,
 *            device fingerprint u64, blob length u32, blob (ioreqd/state.h)
 *   trailer  CRC-32 (IEEE) of everything before it, u32
 *
 * The fingerprints hash each device's name, hook and configured ranges
 * (FNV-1a), so a stream is only loaded into the configuration it came from.
 * Loading checks everything first - framing, checksum, version, that the
 * stream's devices and the configuration's are the same set with the same
 * hooks and ranges, that no blob is newer than its hook - and says what
 * differs; then loads each device, and if a hook refuses its blob, puts the
 * devices already loaded back as they were: all devices or none.
 */
#ifndef IOREQD_DEVSTATE_H
#define IOREQD_DEVSTATE_H

#include <stddef.h>
#include <stdint.h>

#include "dm.h"

#define IOREQD_DEVSTATE_MAGIC "IOREQDST"
#define IOREQD_DEVSTATE_VERSION 1u
/* Enough for any message of this module, a path included. */
#define IOREQD_DEVSTATE_MSGLEN 4608

/**
 * Save every live device of @p dm.  The caller has completed deferred
 * accesses first (ioreqd_engine_abort_all), so no request is half-done.
 * @param out  receives the stream (free() it); @p len its length.
 * @return 0, or a negative errno with the message in @p err.
 */
int ioreqd_devstate_save(struct ioreqd_dm *dm, uint8_t **out, size_t *len, char *err,
                         size_t errlen);

/**
 * Check @p len bytes at @p buf against @p dm without touching any device.
 * @return 0; -EBADMSG (not a stream, truncated, corrupt), -EPROTONOSUPPORT (a
 * newer format or hook state version) or -ESRCH (the devices differ), with
 * the message in @p err.
 */
int ioreqd_devstate_check(struct ioreqd_dm *dm, const uint8_t *buf, size_t len, char *err,
                          size_t errlen);

/**
 * Check, then load every device (all or none; see above).
 * @return 0, or a negative errno (as ioreqd_devstate_check, or a hook's) with
 * the message in @p err; on failure no device has changed.
 */
int ioreqd_devstate_load(struct ioreqd_dm *dm, const uint8_t *buf, size_t len, char *err,
                         size_t errlen);

/**
 * Write all @p len bytes of @p buf to @p fd at its offset, retrying after
 * EINTR and short writes.  @return 0 or a negative errno (-EIO if a write
 * made no progress).
 */
int ioreqd_devstate_write_fd(int fd, const uint8_t *buf, size_t len);

/**
 * Write @p len bytes to @p path atomically: a temporary file beside it,
 * fsync, rename, fsync of the directory.  @return 0 or a negative errno
 * (message in @p err).
 */
int ioreqd_devstate_write_file(const char *path, const uint8_t *buf, size_t len,
                               char *err, size_t errlen);

/**
 * Read the whole of @p path (at most 1 GiB).
 * @param out  receives the bytes (free() them); @p len their count.
 * @return 0 or a negative errno (message in @p err).
 */
int ioreqd_devstate_read_file(const char *path, uint8_t **out, size_t *len, char *err,
                              size_t errlen);

#endif /* IOREQD_DEVSTATE_H */
