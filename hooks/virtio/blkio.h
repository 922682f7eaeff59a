/* SPDX-License-Identifier: MIT */
/*
 * blkio: asynchronous block I/O on one file for the virtio-blk hook, through
 * io_uring (liburing).  The ring is set up disabled, given the one backing
 * file as a registered ("fixed") file and an eventfd, then restricted to the
 * operations a disk needs (read and write, vectored or not, fsync and
 * fallocate) on fixed files only, and only then enabled: a ring that seccomp
 * cannot see into can still do nothing but I/O on the disk.  Completions
 * that happen inline (a read from the page cache) are reaped right after the
 * submit; the others signal the eventfd, which the hook watches from the loop.
 *
 * One blkio is driven from one thread (the event loop).
 */
#ifndef IOREQD_HOOKS_VIRTIO_BLKIO_H
#define IOREQD_HOOKS_VIRTIO_BLKIO_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

struct ioreqd_blkio;

/**
 * Called once per operation when it completes.
 * @param tag  the tag given at submission.
 * @param res  bytes transferred (readv/writev), 0 (fsync, fallocate) or a
 *             negative errno.
 */
typedef void (*ioreqd_blkio_done_fn)(void *arg, void *tag, int res);

/**
 * Set up a ring for @p fd.
 * @param depth  most operations in flight at once (the caller never exceeds it).
 * @param done   completion callback, called with @p arg.
 * @param out    receives the blkio.
 * @return 0 or a negative errno (-ENOSYS/-EPERM: io_uring unavailable).
 */
int ioreqd_blkio_new(int fd, unsigned depth, ioreqd_blkio_done_fn done, void *arg,
                     struct ioreqd_blkio **out);

/** Wait for every operation in flight (their callbacks run), then free.  NULL is fine. */
void ioreqd_blkio_free(struct ioreqd_blkio *io);

/** @return the eventfd to watch for readability (asynchronous completions). */
int ioreqd_blkio_event_fd(const struct ioreqd_blkio *io);

/*
 * Queue one operation (nothing reaches the kernel before ioreqd_blkio_submit).
 * The iovec array and the buffers must stay valid until the callback runs.
 * Each returns 0, or -EBUSY if @p depth operations are already outstanding.
 */
int ioreqd_blkio_readv(struct ioreqd_blkio *io, const struct iovec *iov, unsigned n,
                       uint64_t off, void *tag);
int ioreqd_blkio_writev(struct ioreqd_blkio *io, const struct iovec *iov, unsigned n,
                        uint64_t off, void *tag);
/** fdatasync: completes once everything written before it is durable. */
int ioreqd_blkio_flush(struct ioreqd_blkio *io, void *tag);
/** fallocate(@p mode, @p off, @p len) (PUNCH_HOLE or ZERO_RANGE, with KEEP_SIZE). */
int ioreqd_blkio_fallocate(struct ioreqd_blkio *io, int mode, uint64_t off, uint64_t len,
                           void *tag);

/**
 * Hand the queued operations to the kernel and run the callbacks of those
 * that completed at once.  @return 0 or a negative errno: then every queued
 * operation the kernel did not take is withdrawn from the ring (it never
 * runs) and its callback runs with that errno.
 */
int ioreqd_blkio_submit(struct ioreqd_blkio *io);

/** Run the callbacks of every completed operation (the eventfd fired). */
void ioreqd_blkio_reap(struct ioreqd_blkio *io);

/** Block until nothing is in flight, running the callbacks. */
void ioreqd_blkio_drain(struct ioreqd_blkio *io);

/**
 * Test hook: from now on every readv, writev, fsync and fallocate that the
 * kernel completes successfully is reported as @p err instead (0: stop).
 * The I/O still happens; the device sees exactly what a failing disk returns.
 */
void ioreqd_blkio_inject_error(struct ioreqd_blkio *io, int err);

/**
 * Test hook: from now on io_uring_enter is not called and every submit fails
 * with @p err (0: stop), after the queued entries were published to the
 * kernel's SQ as a real submit does.
 */
void ioreqd_blkio_inject_submit_error(struct ioreqd_blkio *io, int err);

/** @return how many operations were failed back because their submit failed. */
uint64_t ioreqd_blkio_submit_failed(const struct ioreqd_blkio *io);

#endif /* IOREQD_HOOKS_VIRTIO_BLKIO_H */
