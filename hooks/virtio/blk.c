/* SPDX-License-Identifier: MIT */
/*
 * virtio-blk device model (see blk.h).  A kick pops every available request,
 * checks it and either completes it at once (GET_ID, a bad request) or
 * queues its I/O; one submit then hands the batch to the kernel, page-cache
 * hits complete inside it, and the queue is notified once for the batch.
 * Slower I/O completes later through the blkio eventfd.  A reset waits for
 * the I/O in flight: the guest may reuse its buffers as soon as the reset
 * write returns, so nothing may still be DMAing into them.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "blk.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blkio.h"

#define SECTOR 512u
/* Most data segments one request may carry (io_uring's readv/writev limit). */
#define VBLK_IOV_MAX 1024u
#define INLINE_IOV 8u

struct ioreqd_vblk {
	const struct ioreqd_host *host;
	ioreqd_dev_t *dev;
	ioreqd_virtio_dev_t *vdev;
	int fd;
	bool ro, can_punch, can_zero;
	uint64_t sectors;
	uint32_t blk_size, queue_max;
	char serial[IOREQD_VBLK_ID_BYTES];
	struct ioreqd_blkio *io;
	ioreqd_watch_t *watch;
	ioreqd_virtq_t *completed_q; /* pushed to since its last notify */
	struct vblk_req *spare;      /* finished requests kept for reuse */
	unsigned nspare;
	struct ioreqd_vblk_stats st;
};

/* One request whose I/O is in flight. */
struct vblk_req {
	struct vblk_req *next; /* on the spare list */
	ioreqd_virtq_req_t *req;
	uint32_t type, data_len, in_len;
	struct iovec *iov;
	struct iovec inl[INLINE_IOV];
};

/* At most a queue's worth of requests is kept for reuse, none across a free. */
static struct vblk_req *req_new(struct ioreqd_vblk *b)
{
	struct vblk_req *r = b->spare;

	if (!r)
		return calloc(1, sizeof(*r));
	b->spare = r->next;
	b->nspare--;
	memset(r, 0, sizeof(*r));
	return r;
}

static void req_free(struct ioreqd_vblk *b, struct vblk_req *r)
{
	if (r->iov && r->iov != r->inl)
		free(r->iov);
	if (b->nspare >= b->queue_max) {
		free(r);
		return;
	}
	r->next = b->spare;
	b->spare = r;
	b->nspare++;
}

static void finish(struct ioreqd_vblk *b, ioreqd_virtq_req_t *req, uint8_t status,
                   uint32_t written)
{
	uint32_t in_len = ioreqd_virtq_req_in_len(req);

	ioreqd_virtq_req_write(req, in_len - 1, &status, 1);
	ioreqd_virtq_push(req, written);
	b->completed_q = ioreqd_virtq_req_queue(req);
}

static void notify(struct ioreqd_vblk *b)
{
	ioreqd_virtq_t *q = b->completed_q;

	b->completed_q = NULL;
	if (q)
		ioreqd_virtq_notify(q);
}

static void vblk_done(void *arg, void *tag, int res)
{
	struct ioreqd_vblk *b = arg;
	struct vblk_req *r = tag;
	uint8_t status = IOREQD_VBLK_S_OK;
	bool data = r->type == IOREQD_VBLK_T_IN || r->type == IOREQD_VBLK_T_OUT;

	b->st.in_flight--;
	if (res < 0 || (data && (uint32_t)res != r->data_len)) {
		status = IOREQD_VBLK_S_IOERR;
		b->st.io_errors++;
		b->host->log_rl(b->dev, IOREQD_LOG_WARN,
		                "request type %" PRIu32 " failed: %s", r->type,
		                res < 0 ? strerror(-res) : "short transfer");
	} else if (r->type == IOREQD_VBLK_T_IN) {
		b->st.bytes_read += r->data_len;
	} else if (r->type == IOREQD_VBLK_T_OUT) {
		b->st.bytes_written += r->data_len;
	}
	finish(b, r->req, status, r->type == IOREQD_VBLK_T_IN ? r->data_len + 1 : 1);
	req_free(b, r);
}

static void vblk_event_cb(int fd, unsigned events, void *arg)
{
	struct ioreqd_vblk *b = arg;

	(void)fd;
	(void)events;
	ioreqd_blkio_reap(b->io);
	notify(b);
}

/* A request the device refuses: count it, say why (rate-limited), fail it. */
static void refuse(struct ioreqd_vblk *b, ioreqd_virtq_req_t *req, uint8_t status,
                   const char *why, uint32_t type)
{
	if (status == IOREQD_VBLK_S_UNSUPP)
		b->st.unsupported++;
	else
		b->st.bad_request++;
	b->host->log_rl(b->dev, IOREQD_LOG_WARN, "bad request (type %" PRIu32 "): %s",
	                type, why);
	finish(b, req, status, 1);
}

/*
 * Copy @p n segments into @p r's iovec, skipping @p skip bytes at the front
 * and keeping @p keep bytes in all.  @return 0 or -E2BIG (too many segments).
 */
static int take_iov(struct vblk_req *r, const struct iovec *src, unsigned n, size_t skip,
                    size_t keep)
{
	unsigned k = 0;

	if (n > VBLK_IOV_MAX)
		return -E2BIG;
	r->iov = n <= INLINE_IOV ? r->inl : calloc(n, sizeof(*r->iov));
	if (!r->iov)
		return -ENOMEM;
	for (unsigned i = 0; i < n && keep > 0; i++) {
		size_t len = src[i].iov_len;
		char *base = src[i].iov_base;

		if (skip >= len) {
			skip -= len;
			continue;
		}
		base += skip;
		len -= skip;
		skip = 0;
		if (len > keep)
			len = keep;
		r->iov[k].iov_base = base;
		r->iov[k++].iov_len = len;
		keep -= len;
	}
	return (int)k;
}

/* Sector range check without overflow. */
static bool in_range(const struct ioreqd_vblk *b, uint64_t sector, uint64_t nsect)
{
	return sector <= b->sectors && nsect <= b->sectors - sector;
}

static void start_io(struct ioreqd_vblk *b, ioreqd_virtq_req_t *req, uint32_t type,
                     uint64_t sector, uint32_t out_len, uint32_t in_len)
{
	struct vblk_req *r;
	unsigned n;
	int k, rc;

	r = req_new(b);
	if (!r) {
		refuse(b, req, IOREQD_VBLK_S_IOERR, "out of memory", type);
		return;
	}
	r->req = req;
	r->type = type;
	r->in_len = in_len;
	if (type == IOREQD_VBLK_T_IN) {
		const struct iovec *in = ioreqd_virtq_req_in(req, &n);

		r->data_len = in_len - 1;
		k = take_iov(r, in, n, 0, r->data_len);
		rc = k < 0 ? k
		           : ioreqd_blkio_readv(b->io, r->iov, (unsigned)k,
		                                sector * SECTOR, r);
		b->st.reads++;
	} else if (type == IOREQD_VBLK_T_OUT) {
		const struct iovec *out = ioreqd_virtq_req_out(req, &n);

		r->data_len = out_len - 16;
		k = take_iov(r, out, n, 16, r->data_len);
		rc = k < 0 ? k
		           : ioreqd_blkio_writev(b->io, r->iov, (unsigned)k,
		                                 sector * SECTOR, r);
		b->st.writes++;
	} else {
		r->iov = r->inl;
		rc = ioreqd_blkio_flush(b->io, r);
		b->st.flushes++;
	}
	if (rc < 0) {
		req_free(b, r);
		refuse(b, req, IOREQD_VBLK_S_IOERR,
		       rc == -E2BIG ? "too many segments" : strerror(-rc), type);
		return;
	}
	b->st.in_flight++;
}

/* DISCARD and WRITE_ZEROES: one segment {sector, num_sectors, flags}. */
static void start_zero(struct ioreqd_vblk *b, ioreqd_virtq_req_t *req, uint32_t type,
                       uint32_t out_len)
{
	struct {
		uint64_t sector;
		uint32_t num_sectors, flags;
	} seg;
	bool discard = type == IOREQD_VBLK_T_DISCARD;
	struct vblk_req *r;
	int mode, rc;

	if (discard ? !b->can_punch : !(b->can_zero || b->can_punch)) {
		refuse(b, req, IOREQD_VBLK_S_UNSUPP, "not supported by the backing",
		       type);
		return;
	}
	if (b->ro) {
		refuse(b, req, IOREQD_VBLK_S_IOERR, "read-only disk", type);
		return;
	}
	if (out_len != 16 + sizeof(seg)) {
		refuse(b, req, IOREQD_VBLK_S_IOERR, "not exactly one segment", type);
		return;
	}
	ioreqd_virtq_req_read(req, 16, &seg, sizeof(seg));
	if ((discard && seg.flags != 0) || (!discard && (seg.flags & ~1u))) {
		refuse(b, req, IOREQD_VBLK_S_UNSUPP, "unknown segment flags", type);
		return;
	}
	if (seg.num_sectors == 0 || !in_range(b, seg.sector, seg.num_sectors)) {
		refuse(b, req, IOREQD_VBLK_S_IOERR, "sector range outside the disk",
		       type);
		return;
	}
	/* A punched hole reads back as zeroes too: the unmap flag allows it. */
	if (discard || ((seg.flags & 1u) && b->can_punch) || !b->can_zero)
		mode = FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE;
	else
		mode = FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE;
	r = req_new(b);
	if (!r) {
		refuse(b, req, IOREQD_VBLK_S_IOERR, "out of memory", type);
		return;
	}
	r->req = req;
	r->type = type;
	r->iov = r->inl;
	rc = ioreqd_blkio_fallocate(b->io, mode, seg.sector * SECTOR,
	                            (uint64_t)seg.num_sectors * SECTOR, r);
	if (rc < 0) {
		req_free(b, r);
		refuse(b, req, IOREQD_VBLK_S_IOERR, strerror(-rc), type);
		return;
	}
	if (discard)
		b->st.discards++;
	else
		b->st.write_zeroes++;
	b->st.in_flight++;
}

static void handle(struct ioreqd_vblk *b, ioreqd_virtq_req_t *req)
{
	struct {
		uint32_t type, reserved;
		uint64_t sector;
	} hdr;
	uint32_t out_len = ioreqd_virtq_req_out_len(req);
	uint32_t in_len = ioreqd_virtq_req_in_len(req);
	uint32_t data, n;

	if (in_len == 0) {
		/* No status byte: nothing can be reported, only returned. */
		b->st.bad_request++;
		b->host->log_rl(b->dev, IOREQD_LOG_WARN,
		                "bad request: no device-writable status byte");
		ioreqd_virtq_push(req, 0);
		b->completed_q = ioreqd_virtq_req_queue(req);
		return;
	}
	if (out_len < sizeof(hdr)) {
		refuse(b, req, IOREQD_VBLK_S_IOERR, "header shorter than 16 bytes",
		       UINT32_MAX);
		return;
	}
	ioreqd_virtq_req_read(req, 0, &hdr, sizeof(hdr));
	switch (hdr.type) {
	case IOREQD_VBLK_T_IN:
	case IOREQD_VBLK_T_OUT:
		if (hdr.type == IOREQD_VBLK_T_IN) {
			if (out_len != sizeof(hdr)) {
				refuse(b, req, IOREQD_VBLK_S_IOERR,
				       "device-readable data after the header", hdr.type);
				return;
			}
			data = in_len - 1;
		} else {
			if (b->ro) {
				refuse(b, req, IOREQD_VBLK_S_IOERR, "read-only disk",
				       hdr.type);
				return;
			}
			data = out_len - (uint32_t)sizeof(hdr);
		}
		if (data % SECTOR) {
			refuse(b, req, IOREQD_VBLK_S_IOERR,
			       "data length not a multiple of 512", hdr.type);
			return;
		}
		if (!in_range(b, hdr.sector, data / SECTOR)) {
			refuse(b, req, IOREQD_VBLK_S_IOERR,
			       "sector range outside the disk", hdr.type);
			return;
		}
		if (data == 0) {
			finish(b, req, IOREQD_VBLK_S_OK, 1);
			return;
		}
		start_io(b, req, hdr.type, hdr.sector, out_len, in_len);
		return;
	case IOREQD_VBLK_T_FLUSH:
		start_io(b, req, hdr.type, 0, out_len, in_len);
		return;
	case IOREQD_VBLK_T_GET_ID:
		n = in_len - 1 < IOREQD_VBLK_ID_BYTES ? in_len - 1 : IOREQD_VBLK_ID_BYTES;
		ioreqd_virtq_req_write(req, 0, b->serial, n);
		b->st.get_ids++;
		finish(b, req, IOREQD_VBLK_S_OK, n + 1);
		return;
	case IOREQD_VBLK_T_DISCARD:
	case IOREQD_VBLK_T_WRITE_ZEROES:
		start_zero(b, req, hdr.type, out_len);
		return;
	default:
		refuse(b, req, IOREQD_VBLK_S_UNSUPP, "unknown type", hdr.type);
		return;
	}
}

static void vblk_queue_notify(void *opaque, ioreqd_virtq_t *q)
{
	struct ioreqd_vblk *b = opaque;
	ioreqd_virtq_req_t *req;

	while (ioreqd_virtq_pop(q, &req) == 0)
		handle(b, req);
	ioreqd_blkio_submit(b->io);
	notify(b);
}

static void vblk_reset(void *opaque)
{
	struct ioreqd_vblk *b = opaque;

	/* The guest may reuse its buffers once the reset returns. */
	ioreqd_blkio_drain(b->io);
	b->completed_q = NULL;
}

static const struct ioreqd_virtio_device_ops vblk_dev_ops = {
    .reset = vblk_reset,
    .queue_notify = vblk_queue_notify,
};

/*
 * Can the backing file punch holes and zero ranges?  For a regular file, ask
 * past its end with KEEP_SIZE, where neither touches a byte of the disk (the
 * zeroed range is punched out again).  A block device supports both.
 */
static void probe_fallocate(struct ioreqd_vblk *b, bool is_blk, uint64_t bytes)
{
	off_t end = (off_t)((bytes + 65535u) & ~(uint64_t)65535u) + 65536;

	if (b->ro)
		return;
	if (is_blk) {
		b->can_punch = b->can_zero = true;
		return;
	}
	b->can_punch =
	    fallocate(b->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, end, 4096) == 0;
	b->can_zero =
	    fallocate(b->fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, end, 4096) == 0;
	if (b->can_zero && b->can_punch)
		fallocate(b->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, end, 4096);
	else if (b->can_zero)
		b->can_zero = false; /* it would leave blocks allocated past the end */
}

static int open_disk(struct ioreqd_vblk *b, const char *path)
{
	struct stat st;
	uint64_t bytes;
	int e;

	b->fd = open(path, (b->ro ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (b->fd < 0) {
		e = errno;
		return b->host->cfg_error(b->dev, "path", "cannot open '%s'%s: %s", path,
		                          b->ro ? "" : " for writing", strerror(e));
	}
	if (fstat(b->fd, &st) < 0) {
		e = errno;
		return b->host->cfg_error(b->dev, "path", "cannot stat '%s': %s", path,
		                          strerror(e));
	}
	b->blk_size = SECTOR;
	if (S_ISREG(st.st_mode)) {
		bytes = (uint64_t)st.st_size;
	} else if (S_ISBLK(st.st_mode)) {
		int ssz;

		if (ioctl(b->fd, BLKGETSIZE64, &bytes) < 0) {
			e = errno;
			return b->host->cfg_error(b->dev, "path", "cannot size '%s': %s",
			                          path, strerror(e));
		}
		if (ioctl(b->fd, BLKSSZGET, &ssz) == 0 && ssz >= (int)SECTOR)
			b->blk_size = (uint32_t)ssz;
	} else {
		return b->host->cfg_error(
		    b->dev, "path", "'%s' is neither a file nor a block device", path);
	}
	b->sectors = bytes / SECTOR;
	if (b->sectors == 0)
		return b->host->cfg_error(
		    b->dev, "path", "'%s' is smaller than one 512-byte sector", path);
	if (bytes % SECTOR)
		b->host->log(b->dev, IOREQD_LOG_WARN,
		             "'%s': the last %" PRIu64 " bytes are not a whole sector; "
		             "the guest does not see them",
		             path, bytes % SECTOR);
	probe_fallocate(b, S_ISBLK(st.st_mode), bytes);
	return 0;
}

static int read_config(struct ioreqd_vblk *b)
{
	const char *path = b->host->cfg_str(b->dev, "path");
	const char *serial = b->host->cfg_str(b->dev, "serial");
	const struct ioreqd_host *h = b->host;

	/* cfg_bool came after ABI 1: a daemon without it cannot parse the key. */
	if (h->size < offsetof(struct ioreqd_host, cfg_bool) + sizeof(h->cfg_bool) ||
	    !h->cfg_bool) {
		if (h->cfg_str(b->dev, "readonly"))
			return h->cfg_error(b->dev, "readonly", "this ioreqd is too old");
	} else if (h->cfg_bool(b->dev, "readonly", false, &b->ro) < 0) {
		return -EINVAL;
	}
	if (!serial)
		serial = b->host->dev_name(b->dev);
	if (strlen(serial) > IOREQD_VBLK_ID_BYTES)
		return b->host->cfg_error(b->dev, "serial", "longer than %u bytes",
		                          IOREQD_VBLK_ID_BYTES);
	strncpy(b->serial, serial, sizeof(b->serial));
	if (!path || !*path)
		return b->host->cfg_error(b->dev, "path",
		                          "required: the disk file or device");
	return open_disk(b, path);
}

void ioreqd_vblk_quiesce(struct ioreqd_vblk *b)
{
	if (!b || !b->io)
		return;
	ioreqd_blkio_drain(b->io);
	notify(b);
}

void ioreqd_vblk_free(struct ioreqd_vblk *b)
{
	if (!b)
		return;
	b->host->watch_free(b->watch);
	ioreqd_blkio_free(b->io);
	while (b->spare) {
		struct vblk_req *r = b->spare;

		b->spare = r->next;
		free(r);
	}
	if (b->fd >= 0)
		close(b->fd);
	if (b->st.io_errors || b->st.bad_request || b->st.unsupported)
		b->host->log(b->dev, IOREQD_LOG_INFO,
		             "%" PRIu64 " I/O errors, %" PRIu64 " bad and %" PRIu64
		             " unsupported requests",
		             b->st.io_errors, b->st.bad_request, b->st.unsupported);
	free(b);
}

int ioreqd_vblk_new(const struct ioreqd_host *host, ioreqd_dev_t *dev,
                    struct ioreqd_virtio_params *p, struct ioreqd_vblk **out)
{
	struct ioreqd_vblk *b;
	int rc;

	*out = NULL;
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->host = host;
	b->dev = dev;
	b->fd = -1;
	b->queue_max = p->queue_max ? p->queue_max : IOREQD_VBLK_QUEUE_DEFAULT;
	if ((rc = read_config(b)) < 0)
		goto out;
	rc = ioreqd_blkio_new(b->fd, b->queue_max, vblk_done, b, &b->io);
	if (rc < 0) {
		rc = host->cfg_error(
		    dev, NULL, "cannot set up io_uring: %s%s", strerror(-rc),
		    rc == -EPERM || rc == -ENOSYS
		        ? " (is kernel.io_uring_disabled set, or io_uring "
		          "blocked by a container?)"
		        : "");
		goto out;
	}
	b->watch = host->watch_new(dev, ioreqd_blkio_event_fd(b->io), IOREQD_WATCH_READ,
	                           vblk_event_cb, b);
	if (!b->watch) {
		rc = -ENOMEM;
		goto out;
	}
	p->device_id = IOREQD_VIRTIO_ID_BLOCK;
	p->features = (1ull << IOREQD_VBLK_F_SEG_MAX) | (1ull << IOREQD_VBLK_F_BLK_SIZE) |
	              (1ull << IOREQD_VBLK_F_FLUSH);
	if (b->ro)
		p->features |= 1ull << IOREQD_VBLK_F_RO;
	if (b->can_punch)
		p->features |= 1ull << IOREQD_VBLK_F_DISCARD;
	if (b->can_punch || b->can_zero)
		p->features |= 1ull << IOREQD_VBLK_F_WRITE_ZEROES;
	p->num_queues = 1;
	p->queue_max = b->queue_max;
	p->config_size = IOREQD_VBLK_CONFIG_SIZE;
	p->error_status = IOREQD_VBLK_S_IOERR;
	p->dev_ops = &vblk_dev_ops;
	p->dev_opaque = b;
	*out = b;
	b = NULL;
out:
	ioreqd_vblk_free(b);
	return rc;
}

static void put32(uint8_t *cfg, uint32_t off, uint32_t v)
{
	memcpy(cfg + off, &v, sizeof(v));
}

void ioreqd_vblk_attach(struct ioreqd_vblk *b, ioreqd_virtio_dev_t *vdev)
{
	uint8_t cfg[IOREQD_VBLK_CONFIG_SIZE] = {0};
	uint32_t seg_max = b->queue_max > 2 ? b->queue_max - 2 : 1;
	uint32_t max_sect = b->sectors > UINT32_MAX ? UINT32_MAX : (uint32_t)b->sectors;

	b->vdev = vdev;
	if (seg_max > VBLK_IOV_MAX - 2)
		seg_max = VBLK_IOV_MAX - 2;
	memcpy(cfg + IOREQD_VBLK_CFG_CAPACITY, &b->sectors, sizeof(b->sectors));
	put32(cfg, IOREQD_VBLK_CFG_SEG_MAX, seg_max);
	put32(cfg, IOREQD_VBLK_CFG_BLK_SIZE, b->blk_size);
	if (b->can_punch) {
		put32(cfg, IOREQD_VBLK_CFG_MAX_DISCARD_SECTORS, max_sect);
		put32(cfg, IOREQD_VBLK_CFG_MAX_DISCARD_SEG, 1);
		put32(cfg, IOREQD_VBLK_CFG_DISCARD_ALIGN, b->blk_size / SECTOR);
	}
	if (b->can_punch || b->can_zero) {
		put32(cfg, IOREQD_VBLK_CFG_MAX_WZ_SECTORS, max_sect);
		put32(cfg, IOREQD_VBLK_CFG_MAX_WZ_SEG, 1);
		cfg[IOREQD_VBLK_CFG_WZ_MAY_UNMAP] = b->can_punch;
	}
	ioreqd_virtio_config_update(vdev, 0, cfg, sizeof(cfg), false);
}

int ioreqd_vblk_save(struct ioreqd_vblk *b, ioreqd_state_t *st, uint16_t tag)
{
	return ioreqd_state_put_u64(st, tag, b->sectors);
}

int ioreqd_vblk_load_check(struct ioreqd_vblk *b, ioreqd_state_t *st, uint16_t tag)
{
	uint64_t sectors;
	int rc = ioreqd_state_get_u64(st, tag, &sectors);

	if (rc < 0)
		return rc;
	if (sectors != b->sectors) {
		ioreqd_state_fail(st,
		                  "the disk '%s' has %" PRIu64 " sectors, the saved one "
		                  "had %" PRIu64 ": load the state with the disk image "
		                  "it was saved with",
		                  b->host->cfg_str(b->dev, "path"), b->sectors, sectors);
		return -EBADMSG;
	}
	return 0;
}

void ioreqd_vblk_stats(const struct ioreqd_vblk *b, struct ioreqd_vblk_stats *st)
{
	*st = b->st;
	st->submit_failed = ioreqd_blkio_submit_failed(b->io);
}

void ioreqd_vblk_inject_error(struct ioreqd_vblk *b, int err)
{
	ioreqd_blkio_inject_error(b->io, err);
}

void ioreqd_vblk_inject_submit_error(struct ioreqd_vblk *b, int err)
{
	ioreqd_blkio_inject_submit_error(b->io, err);
}

int ioreqd_vblk_event_fd(const struct ioreqd_vblk *b)
{
	return ioreqd_blkio_event_fd(b->io);
}
