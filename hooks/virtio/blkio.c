/* SPDX-License-Identifier: MIT */
/*
 * blkio: io_uring for the virtio-blk hook (see blkio.h).
 *
 * Why io_uring and not a thread pool: a request served from the page cache
 * completes inside io_uring_enter, on the loop thread, with one system call
 * for a whole batch of kicks' worth of requests; a pool needs a wake-up of a
 * worker and an eventfd write back per batch, two context switches that the
 * shared two-core machines this runs on can least afford.  Only I/O that
 * really blocks (a cold read, fdatasync) completes later and wakes the loop
 * through the eventfd.  The eventfd is registered for every completion, not
 * only those of io-wq workers (IORING_REGISTER_EVENTFD_ASYNC): a buffered
 * read that misses the page cache of a file that reads ahead asynchronously
 * (a block device, ext4) completes from task work on the loop thread, which
 * the async eventfd never signals, and its request would hang.  The submit
 * clears the eventfd before it reaps, so inline completions cost no wake-up.
 * The ring is restricted (IORING_REGISTER_RESTRICTIONS) before it is enabled,
 * so the io_uring_enter that seccomp must allow reaches nothing but this disk.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "blkio.h"

#include <errno.h>
#include <liburing.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

struct ioreqd_blkio {
	struct io_uring ring;
	bool ring_up;
	int efd;
	unsigned depth;
	unsigned queued;   /* prepared, not yet submitted */
	unsigned inflight; /* queued + submitted, not yet completed */
	int inject;        /* test hook: reported instead of success */
	int inject_submit; /* test hook: io_uring_enter's answer instead of its own */
	uint64_t submit_failed; /* operations failed back because the submit failed */
	ioreqd_blkio_done_fn done;
	void *arg;
};

/* The registered backing file's index: every operation names it. */
#define BLKIO_FILE 0

static int setup_restricted(struct ioreqd_blkio *io, int fd)
{
	struct io_uring_restriction res[8];
	unsigned n = 0;
	int rc;

	rc = io_uring_queue_init(io->depth, &io->ring, IORING_SETUP_R_DISABLED);
	if (rc < 0)
		return rc;
	io->ring_up = true;
	if ((rc = io_uring_register_files(&io->ring, &fd, 1)) < 0)
		return rc;
	if ((rc = io_uring_register_eventfd(&io->ring, io->efd)) < 0)
		return rc;
	memset(res, 0, sizeof(res));
	res[n].opcode = IORING_RESTRICTION_SQE_OP;
	res[n++].sqe_op = IORING_OP_READV;
	res[n].opcode = IORING_RESTRICTION_SQE_OP;
	res[n++].sqe_op = IORING_OP_WRITEV;
	res[n].opcode = IORING_RESTRICTION_SQE_OP;
	res[n++].sqe_op = IORING_OP_READ;
	res[n].opcode = IORING_RESTRICTION_SQE_OP;
	res[n++].sqe_op = IORING_OP_WRITE;
	res[n].opcode = IORING_RESTRICTION_SQE_OP;
	res[n++].sqe_op = IORING_OP_FSYNC;
	res[n].opcode = IORING_RESTRICTION_SQE_OP;
	res[n++].sqe_op = IORING_OP_FALLOCATE;
	/* Only the registered file: no raw descriptor is reachable. */
	res[n].opcode = IORING_RESTRICTION_SQE_FLAGS_REQUIRED;
	res[n++].sqe_flags = IOSQE_FIXED_FILE;
	res[n].opcode = IORING_RESTRICTION_SQE_FLAGS_ALLOWED;
	res[n++].sqe_flags = IOSQE_FIXED_FILE;
	/*
	 * The raw register call: Debian 12's liburing 2.3 declares
	 * io_uring_register_restrictions and io_uring_enable_rings but does not
	 * export them.
	 */
	rc = io_uring_register(io->ring.ring_fd, IORING_REGISTER_RESTRICTIONS, res, n);
	if (rc < 0)
		return rc;
	return io_uring_register(io->ring.ring_fd, IORING_REGISTER_ENABLE_RINGS, NULL, 0);
}

int ioreqd_blkio_new(int fd, unsigned depth, ioreqd_blkio_done_fn done, void *arg,
                     struct ioreqd_blkio **out)
{
	struct ioreqd_blkio *io;
	int rc;

	*out = NULL;
	if (depth == 0 || depth > 32768 || !done)
		return -EINVAL;
	io = calloc(1, sizeof(*io));
	if (!io)
		return -ENOMEM;
	io->depth = depth;
	io->done = done;
	io->arg = arg;
	io->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (io->efd < 0) {
		rc = -errno;
		goto out;
	}
	if ((rc = setup_restricted(io, fd)) < 0)
		goto out;
	*out = io;
	io = NULL;
out:
	ioreqd_blkio_free(io);
	return rc;
}

void ioreqd_blkio_free(struct ioreqd_blkio *io)
{
	if (!io)
		return;
	if (io->ring_up) {
		ioreqd_blkio_drain(io);
		io_uring_queue_exit(&io->ring);
	}
	if (io->efd >= 0)
		close(io->efd);
	free(io);
}

int ioreqd_blkio_event_fd(const struct ioreqd_blkio *io)
{
	return io->efd;
}

void ioreqd_blkio_inject_error(struct ioreqd_blkio *io, int err)
{
	io->inject = err > 0 ? -err : err;
}

void ioreqd_blkio_inject_submit_error(struct ioreqd_blkio *io, int err)
{
	io->inject_submit = err > 0 ? -err : err;
}

uint64_t ioreqd_blkio_submit_failed(const struct ioreqd_blkio *io)
{
	return io->submit_failed;
}

static struct io_uring_sqe *get_sqe(struct ioreqd_blkio *io)
{
	struct io_uring_sqe *sqe;

	if (io->inflight >= io->depth)
		return NULL;
	sqe = io_uring_get_sqe(&io->ring);
	if (!sqe) {
		/* The SQ ring is full of prepared entries: push them out first. */
		ioreqd_blkio_submit(io);
		sqe = io_uring_get_sqe(&io->ring);
		if (!sqe)
			return NULL;
	}
	io->queued++;
	io->inflight++;
	return sqe;
}

static int queued(struct io_uring_sqe *sqe, void *tag)
{
	sqe->flags |= IOSQE_FIXED_FILE;
	io_uring_sqe_set_data(sqe, tag);
	return 0;
}

int ioreqd_blkio_readv(struct ioreqd_blkio *io, const struct iovec *iov, unsigned n,
                       uint64_t off, void *tag)
{
	struct io_uring_sqe *sqe = get_sqe(io);

	if (!sqe)
		return -EBUSY;
	/* One segment: the plain op spares the kernel importing an iovec array. */
	if (n == 1)
		io_uring_prep_read(sqe, BLKIO_FILE, iov[0].iov_base,
		                   (unsigned)iov[0].iov_len, off);
	else
		io_uring_prep_readv(sqe, BLKIO_FILE, iov, n, off);
	return queued(sqe, tag);
}

int ioreqd_blkio_writev(struct ioreqd_blkio *io, const struct iovec *iov, unsigned n,
                        uint64_t off, void *tag)
{
	struct io_uring_sqe *sqe = get_sqe(io);

	if (!sqe)
		return -EBUSY;
	if (n == 1)
		io_uring_prep_write(sqe, BLKIO_FILE, iov[0].iov_base,
		                    (unsigned)iov[0].iov_len, off);
	else
		io_uring_prep_writev(sqe, BLKIO_FILE, iov, n, off);
	return queued(sqe, tag);
}

int ioreqd_blkio_flush(struct ioreqd_blkio *io, void *tag)
{
	struct io_uring_sqe *sqe = get_sqe(io);

	if (!sqe)
		return -EBUSY;
	io_uring_prep_fsync(sqe, BLKIO_FILE, IORING_FSYNC_DATASYNC);
	return queued(sqe, tag);
}

int ioreqd_blkio_fallocate(struct ioreqd_blkio *io, int mode, uint64_t off, uint64_t len,
                           void *tag)
{
	struct io_uring_sqe *sqe = get_sqe(io);

	if (!sqe)
		return -EBUSY;
	io_uring_prep_fallocate(sqe, BLKIO_FILE, mode, (off_t)off, (off_t)len);
	return queued(sqe, tag);
}

static void complete(struct ioreqd_blkio *io, struct io_uring_cqe *cqe)
{
	void *tag = io_uring_cqe_get_data(cqe);
	int res = cqe->res;

	io_uring_cqe_seen(&io->ring, cqe);
	io->inflight--;
	if (io->inject && res >= 0)
		res = io->inject;
	io->done(io->arg, tag, res);
}

void ioreqd_blkio_reap(struct ioreqd_blkio *io)
{
	struct io_uring_cqe *cqe;
	uint64_t v;

	/* Clear the eventfd first: a completion after this read sets it again. */
	if (read(io->efd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		return;
	while (io_uring_peek_cqe(&io->ring, &cqe) == 0)
		complete(io, cqe);
}

/*
 * The kernel did not take the entries from its SQ head to our tail (the
 * submit failed, or stopped early): take them back, so that no later
 * io_uring_enter runs them, and complete each with @p err.  This is safe
 * because nothing else consumes the SQ: no SQPOLL thread, and the loop
 * thread is the only submitter.
 */
static void retract(struct ioreqd_blkio *io, int err)
{
	struct io_uring_sq *sq = &io->ring.sq;
	unsigned head = io_uring_smp_load_acquire(sq->khead);
	unsigned tail = sq->sqe_tail;

	/* The tail goes back first: the callbacks below may queue again. */
	io_uring_smp_store_release(sq->ktail, head);
	sq->sqe_head = sq->sqe_tail = head;
	io->queued = 0;
	for (unsigned i = head; i != tail; i++) {
		void *tag = (void *)(uintptr_t)sq->sqes[i & sq->ring_mask].user_data;

		io->inflight--;
		io->submit_failed++;
		io->done(io->arg, tag, err);
	}
}

/* io_uring_submit, or the answer the test hook injects (after the same flush). */
static int submit_once(struct ioreqd_blkio *io)
{
	struct io_uring_sq *sq = &io->ring.sq;

	if (!io->inject_submit)
		return io_uring_submit(&io->ring);
	io_uring_smp_store_release(sq->ktail, sq->sqe_tail);
	sq->sqe_head = sq->sqe_tail;
	return io->inject_submit;
}

int ioreqd_blkio_submit(struct ioreqd_blkio *io)
{
	int rc;

	if (io->queued == 0)
		return 0;
	do
		rc = submit_once(io);
	while (rc == -EINTR);
	if (rc >= 0) {
		io->queued -= (unsigned)rc < io->queued ? (unsigned)rc : io->queued;
		rc = io->queued ? -EAGAIN : 0;
	}
	if (rc < 0)
		retract(io, rc);
	/*
	 * Inline completions (page-cache hits) are ready now and have set the
	 * eventfd: reap them here, which clears it, rather than in a wake-up.
	 */
	ioreqd_blkio_reap(io);
	return rc;
}

void ioreqd_blkio_drain(struct ioreqd_blkio *io)
{
	struct io_uring_cqe *cqe;

	if (io->queued)
		ioreqd_blkio_submit(io);
	while (io->inflight > io->queued) {
		int rc = io_uring_wait_cqe(&io->ring, &cqe);

		if (rc == -EINTR)
			continue;
		if (rc < 0)
			break;
		complete(io, cqe);
	}
}
