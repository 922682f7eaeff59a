/* SPDX-License-Identifier: MIT */
/*
 * Split virtqueues, device side (virtio 1.2, 2.7): ring mapping through the
 * gmem ops, popping a request by walking its descriptor chain (direct and
 * indirect) with every guest-controlled field checked, pushing used elements,
 * and the notification-suppression maths in both directions (EVENT_IDX or
 * the NO_NOTIFY / NO_INTERRUPT flags).
 *
 * The driver runs concurrently on other CPUs.  Ring indices are read and
 * written with atomics, each barrier says what it orders, and a descriptor is
 * copied out of guest memory once before it is checked, so a guest rewriting
 * it meanwhile cannot make the check and the use disagree.
 */
#include <ioreqd/virtio.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ring.h"
#include "virtio-internal.h"

/* Requests keep at most this many segments' worth of arrays when reused. */
#define REQ_KEEP_SEGS 64u

static const char *const err_names[IOREQD_VIRTQ_ERR_COUNT] = {
    [IOREQD_VIRTQ_ERR_QSIZE] = "queue-size",
    [IOREQD_VIRTQ_ERR_ALIGN] = "ring-align",
    [IOREQD_VIRTQ_ERR_RING_ADDR] = "ring-addr",
    [IOREQD_VIRTQ_ERR_AVAIL_IDX] = "avail-idx",
    [IOREQD_VIRTQ_ERR_HEAD_RANGE] = "head-range",
    [IOREQD_VIRTQ_ERR_HEAD_IN_USE] = "head-in-use",
    [IOREQD_VIRTQ_ERR_NEXT_RANGE] = "next-range",
    [IOREQD_VIRTQ_ERR_LOOP] = "loop",
    [IOREQD_VIRTQ_ERR_CHAIN_LEN] = "chain-len",
    [IOREQD_VIRTQ_ERR_ORDER] = "write-before-read",
    [IOREQD_VIRTQ_ERR_INDIRECT_FEATURE] = "indirect-not-negotiated",
    [IOREQD_VIRTQ_ERR_INDIRECT_NESTED] = "indirect-nested",
    [IOREQD_VIRTQ_ERR_INDIRECT_NEXT] = "indirect-with-next",
    [IOREQD_VIRTQ_ERR_INDIRECT_LEN] = "indirect-len",
    [IOREQD_VIRTQ_ERR_INDIRECT_ADDR] = "indirect-addr",
    [IOREQD_VIRTQ_ERR_BUF_ADDR] = "buffer-addr",
    [IOREQD_VIRTQ_ERR_BUF_LEN] = "buffer-len",
};

const char *ioreqd_virtq_error_name(enum ioreqd_virtq_error err)
{
	return (unsigned)err < IOREQD_VIRTQ_ERR_COUNT ? err_names[err] : "?";
}

/* Count and log a refusal of guest input on @p q. */
static void vq_refuse(struct ioreqd_virtq *q, enum ioreqd_virtq_error err,
                      uint64_t detail)
{
	q->st.errors[err]++;
	virtio_logf(q->dev, 0, "virtio queue %u: %s (0x%llx) refused", q->idx,
	            ioreqd_virtq_error_name(err), (unsigned long long)detail);
}

/* A ring is broken: count, log, and take the whole device out of service. */
static int vq_break(struct ioreqd_virtq *q, enum ioreqd_virtq_error err, uint64_t detail)
{
	ioreqd_virtio_set_needs_reset(q->dev);
	vq_refuse(q, err, detail);
	return -EIO;
}

static int gmem_map(struct ioreqd_virtio_dev *dev, uint64_t gpa, uint64_t len, bool write,
                    void **hva, uintptr_t *tok)
{
	/* Length 0 or a range that wraps never reaches the gmem ops. */
	if (!len || gpa + len < gpa)
		return -EFAULT;
	*hva = NULL;
	*tok = 0;
	return dev->p.gmem.ops->map(dev->p.gmem.ctx, gpa, len, write, hva, tok);
}

static void gmem_unmap(struct ioreqd_virtio_dev *dev, void *hva, uint64_t len,
                       uintptr_t tok)
{
	dev->p.gmem.ops->unmap(dev->p.gmem.ctx, hva, len, tok);
}

static void gmem_dirty(struct ioreqd_virtio_dev *dev, uint64_t gpa, uint64_t len)
{
	if (dev->p.gmem.ops->dirty && len)
		dev->p.gmem.ops->dirty(dev->p.gmem.ctx, gpa, len);
}

static void vq_unmap_rings(struct ioreqd_virtq *q)
{
	struct ioreqd_virtio_dev *dev = q->dev;
	const struct ioreqd_virtq_layout *l = &q->layout;

	if (!q->mapped)
		return;
	gmem_unmap(dev, q->desc, vring_desc_bytes(l->size), q->desc_tok);
	gmem_unmap(dev, q->avail, vring_avail_bytes(l->size, q->event_idx), q->avail_tok);
	gmem_unmap(dev, q->used, vring_used_bytes(l->size, q->event_idx), q->used_tok);
	q->desc = q->avail = q->used = NULL;
	q->mapped = false;
}

/* Map the three rings.  @return 0 or -EFAULT (nothing stays mapped). */
static int vq_map_rings(struct ioreqd_virtq *q)
{
	struct ioreqd_virtio_dev *dev = q->dev;
	const struct ioreqd_virtq_layout *l = &q->layout;
	uint64_t dlen = vring_desc_bytes(l->size);
	uint64_t alen = vring_avail_bytes(l->size, q->event_idx);
	uint64_t ulen = vring_used_bytes(l->size, q->event_idx);

	if (q->mapped)
		return 0;
	if (gmem_map(dev, l->desc, dlen, false, &q->desc, &q->desc_tok))
		return -EFAULT;
	if (gmem_map(dev, l->avail, alen, false, &q->avail, &q->avail_tok)) {
		gmem_unmap(dev, q->desc, dlen, q->desc_tok);
		return -EFAULT;
	}
	if (gmem_map(dev, l->used, ulen, true, &q->used, &q->used_tok)) {
		gmem_unmap(dev, q->desc, dlen, q->desc_tok);
		gmem_unmap(dev, q->avail, alen, q->avail_tok);
		return -EFAULT;
	}
	q->mapped = true;
	return 0;
}

/*
 * A loaded queue meets its rings: the used idx there is what the device
 * last published.  After a save it is ours; after an older state (a
 * checkpoint taken before the device served more) it is ahead, and the
 * queue carries on from there rather than serve those requests again.
 * The used ring is guest memory, though: only a position ahead of the saved
 * one and not past what the driver made available can be the device's own
 * progress.  Anything else is the guest's scribbling, and the saved state
 * stands (found by fuzz_virtio_dev: a used idx from nowhere made the device
 * serve heads the driver never offered).
 */
static void vq_resync(struct ioreqd_virtq *q)
{
	uint16_t idx = vring_load16(q->used, VRING_USED_IDX, __ATOMIC_RELAXED);
	uint16_t avail = vring_load16(q->avail, VRING_AVAIL_IDX, __ATOMIC_ACQUIRE);
	uint16_t ahead = (uint16_t)(idx - q->used_idx);

	q->resync = false;
	if (idx == q->used_idx)
		return;
	if (ahead > (uint16_t)(avail - q->used_idx) || ahead > q->layout.size) {
		virtio_logf(
		    q->dev, 1,
		    "virtio queue %u: used idx %u in guest memory cannot follow "
		    "the saved %u (avail idx %u): carrying on from the saved state",
		    q->idx, idx, q->used_idx, avail);
		return;
	}
	virtio_logf(q->dev, 1,
	            "virtio queue %u: the saved state is older than the rings "
	            "(used idx %u there, %u saved): carrying on from the rings",
	            q->idx, idx, q->used_idx);
	q->used_idx = q->last_avail = q->signalled = idx;
	q->unsignalled = 0;
}

/* Map the rings again after an invalidate; a failure breaks the device. */
static int vq_rings(struct ioreqd_virtq *q)
{
	if (q->mapped)
		return 0;
	if (vq_map_rings(q))
		return vq_break(q, IOREQD_VIRTQ_ERR_RING_ADDR, q->layout.desc);
	if (q->resync)
		vq_resync(q);
	return 0;
}

/* --- requests --- */

static void req_release_maps(struct ioreqd_virtq_req *req)
{
	struct ioreqd_virtio_dev *dev = req->q->dev;

	for (unsigned i = 0; i < req->nout + req->nin; i++)
		if (req->iov[i].iov_base)
			gmem_unmap(dev, req->iov[i].iov_base, req->iov[i].iov_len,
			           req->maps[i].token);
	req->nout = req->nin = 0;
	req->out_len = req->in_len = 0;
}

/* Take a request off the free list (or allocate one) and link it in flight. */
static struct ioreqd_virtq_req *req_get(struct ioreqd_virtq *q)
{
	struct ioreqd_virtq_req *req = q->free;

	if (req) {
		q->free = req->next;
	} else {
		req = calloc(1, sizeof(*req));
		if (!req)
			return NULL;
		req->q = q;
	}
	req->gen = q->gen;
	req->priv = NULL;
	req->nout = req->nin = 0;
	req->out_len = req->in_len = 0;
	req->prev = NULL;
	req->next = q->inflight;
	if (q->inflight)
		q->inflight->prev = req;
	q->inflight = req;
	q->st.in_flight++;
	return req;
}

/* Unlink from the in-flight list, unmap, and keep for reuse. */
static void req_put(struct ioreqd_virtq_req *req)
{
	struct ioreqd_virtq *q = req->q;

	req_release_maps(req);
	if (req->prev)
		req->prev->next = req->next;
	else
		q->inflight = req->next;
	if (req->next)
		req->next->prev = req->prev;
	q->st.in_flight--;
	if (req->cap > REQ_KEEP_SEGS) {
		free(req->iov);
		free(req->maps);
		req->iov = NULL;
		req->maps = NULL;
		req->cap = 0;
	}
	req->prev = NULL;
	req->next = q->free;
	q->free = req;
}

/* Test hook: how many more growths succeed before one fails (-1: all). */
static int grow_failure_after = -1;

void virtq_inject_grow_failure(int after)
{
	grow_failure_after = after;
}

static int req_grow(struct ioreqd_virtq_req *req)
{
	if (grow_failure_after >= 0 && grow_failure_after-- == 0)
		return -ENOMEM;
	unsigned cap = req->cap ? req->cap * 2 : 8;
	struct iovec *iov = realloc(req->iov, cap * sizeof(*iov));

	if (!iov)
		return -ENOMEM;
	req->iov = iov;
	struct vq_map *maps = realloc(req->maps, cap * sizeof(*maps));
	if (!maps)
		return -ENOMEM;
	req->maps = maps;
	req->cap = cap;
	return 0;
}

/*
 * One chain walk, in two passes.  The first copies every descriptor once and
 * checks the structure (a violation breaks the device: -EIO) while recording
 * the segments; the second checks the totals and maps the buffers.  A bad
 * buffer fails only that request: the core completes it with the device's
 * error status in the chain's last writable byte, if it has one.
 */
struct walk {
	bool failed;        /* the request fails; the queue goes on */
	bool last_writable; /* the chain's last buffer is writable (and not empty) */
};

static void walk_fail(struct ioreqd_virtq *q, struct walk *w, enum ioreqd_virtq_error err,
                      uint64_t detail)
{
	w->failed = true;
	vq_refuse(q, err, detail);
}

/*
 * Record one buffer descriptor (not mapped yet).  @return 0, -EIO (the ring
 * is broken) or -ENOMEM: the walk stops there and the request fails alone,
 * without a status byte, since where the chain ends is not known.
 */
static int walk_buffer(struct ioreqd_virtq *q, struct ioreqd_virtq_req *req,
                       struct walk *w, const struct vring_desc_host *d)
{
	bool writable = d->flags & VRING_DESC_F_WRITE;
	unsigned n = req->nout + req->nin;

	/* 2.7.4.2: device-writable buffers come after all device-readable ones. */
	if (!writable && req->nin)
		return vq_break(q, IOREQD_VIRTQ_ERR_ORDER, d->addr);
	if (!d->len) {
		w->last_writable = false;
		return 0;
	}
	if (n == req->cap && req_grow(req)) {
		virtio_logf(q->dev, 0, "virtio queue %u: out of memory", q->idx);
		w->failed = true;
		w->last_writable = false;
		return -ENOMEM;
	}
	w->last_writable = writable;
	if (writable)
		req->in_len += d->len;
	else
		req->out_len += d->len;
	req->iov[n].iov_base = NULL;
	req->iov[n].iov_len = d->len;
	req->maps[n].gpa = d->addr;
	req->maps[n].token = 0;
	if (writable)
		req->nin++;
	else
		req->nout++;
	return 0;
}

/* Second pass: totals, then map every segment.  Failures fail the request. */
static void walk_map(struct ioreqd_virtq *q, struct ioreqd_virtq_req *req, struct walk *w)
{
	if (w->failed)
		return;
	/* 2.7.5.1: a chain carries at most 4 GiB; the used length is 32 bits. */
	if (req->out_len > UINT32_MAX || req->in_len > UINT32_MAX) {
		walk_fail(q, w, IOREQD_VIRTQ_ERR_BUF_LEN,
		          req->out_len > UINT32_MAX ? req->out_len : req->in_len);
		return;
	}
	for (unsigned i = 0; i < req->nout + req->nin; i++) {
		if (gmem_map(q->dev, req->maps[i].gpa, req->iov[i].iov_len,
		             i >= req->nout, &req->iov[i].iov_base,
		             &req->maps[i].token)) {
			req->iov[i].iov_base = NULL;
			walk_fail(q, w, IOREQD_VIRTQ_ERR_BUF_ADDR, req->maps[i].gpa);
			return;
		}
	}
}

static int vq_walk(struct ioreqd_virtq *q, struct ioreqd_virtq_req *req, struct walk *w)
{
	const uint32_t qsize = q->layout.size;
	const void *table = q->desc;
	uint32_t tsize = qsize; /* entries in the current table */
	uint32_t visited = 0;   /* descriptors visited in the current table */
	uint32_t buffers = 0;   /* buffer descriptors in the whole chain */
	void *itable = NULL;    /* the indirect table's mapping */
	uintptr_t itok = 0;
	uint64_t ilen = 0;
	uint32_t i = req->head;
	struct vring_desc_host d;
	int rc = 0;

	for (;;) {
		if (i >= tsize) {
			rc = vq_break(q, IOREQD_VIRTQ_ERR_NEXT_RANGE, i);
			break;
		}
		/* More visits than entries: by pigeonhole, the chain revisits one. */
		if (++visited > tsize) {
			rc = vq_break(q, IOREQD_VIRTQ_ERR_LOOP, req->head);
			break;
		}
		vring_desc_read(table, i, &d);
		if (d.flags & VRING_DESC_F_INDIRECT) {
			if (!q->indirect) {
				rc = vq_break(q, IOREQD_VIRTQ_ERR_INDIRECT_FEATURE, i);
				break;
			}
			if (itable) {
				rc = vq_break(q, IOREQD_VIRTQ_ERR_INDIRECT_NESTED, i);
				break;
			}
			if (d.flags & VRING_DESC_F_NEXT) {
				rc = vq_break(q, IOREQD_VIRTQ_ERR_INDIRECT_NEXT, i);
				break;
			}
			if (!d.len || d.len % VRING_DESC_SIZE) {
				rc = vq_break(q, IOREQD_VIRTQ_ERR_INDIRECT_LEN, d.len);
				break;
			}
			if (d.len / VRING_DESC_SIZE > qsize) {
				rc = vq_break(q, IOREQD_VIRTQ_ERR_CHAIN_LEN,
				              d.len / VRING_DESC_SIZE);
				break;
			}
			/* 2.7.5.3.2: the WRITE flag of the table's own descriptor is
			 * ignored. */
			if (gmem_map(q->dev, d.addr, d.len, false, &itable, &itok)) {
				itable = NULL;
				w->last_writable = false;
				walk_fail(q, w, IOREQD_VIRTQ_ERR_INDIRECT_ADDR, d.addr);
				break; /* the chain is unreadable: no buffers, no status
				        */
			}
			ilen = d.len;
			table = itable;
			tsize = d.len / VRING_DESC_SIZE;
			visited = 0;
			i = 0;
			continue;
		}
		if (++buffers > qsize) {
			rc = vq_break(q, IOREQD_VIRTQ_ERR_CHAIN_LEN, req->head);
			break;
		}
		rc = walk_buffer(q, req, w, &d);
		if (rc == -ENOMEM) {
			rc = 0; /* w->failed: only this request fails */
			break;
		}
		if (rc || !(d.flags & VRING_DESC_F_NEXT))
			break;
		i = d.next;
	}
	if (itable)
		gmem_unmap(q->dev, itable, ilen, itok);
	if (!rc)
		walk_map(q, req, w);
	return rc;
}

/* Write the used element for @p req and publish it. */
static void vq_publish(struct ioreqd_virtq *q, uint16_t head, uint32_t written)
{
	uint32_t slot = q->used_idx & (q->layout.size - 1);

	vring_store32(q->used, VRING_USED_RING(slot), head);
	vring_store32(q->used, VRING_USED_RING(slot) + 4, written);
	q->used_idx++;
	/*
	 * Release: the element above, and everything the device wrote into the
	 * request's buffers, become visible before the driver can see the new
	 * used->idx (pairs with the driver's read barrier after reading it).
	 */
	vring_store16(q->used, VRING_USED_IDX, q->used_idx, __ATOMIC_RELEASE);
	gmem_dirty(q->dev, q->layout.used + VRING_USED_RING(slot), 8);
	gmem_dirty(q->dev, q->layout.used + VRING_USED_IDX, 2);
	q->unsignalled++;
}

/* Complete a request the core refused: error status if there is a place for it. */
static void vq_fail_request(struct ioreqd_virtq *q, struct ioreqd_virtq_req *req,
                            const struct walk *w)
{
	struct ioreqd_virtio_dev *dev = q->dev;
	int status = dev->p.error_status;
	uint32_t written = 0;
	unsigned last = req->nout + req->nin - 1;

	if (status >= 0 && w->last_writable && req->nin) {
		uint64_t gpa = req->maps[last].gpa + req->iov[last].iov_len - 1;
		void *hva;
		uintptr_t tok;

		/* Map just the status byte: the rest of the buffer may be what failed. */
		if (gpa >= req->maps[last].gpa &&
		    !gmem_map(dev, gpa, 1, true, &hva, &tok)) {
			*(uint8_t *)hva = (uint8_t)status;
			gmem_unmap(dev, hva, 1, tok);
			gmem_dirty(dev, gpa, 1);
			written = 1;
		}
	}
	q->st.failed++;
	q->busy[req->head / 8] &= (uint8_t) ~(1u << (req->head % 8));
	vq_publish(q, req->head, written);
	req_put(req);
}

/* Arm the driver's next kick, then report how many entries are available. */
static int vq_avail_count(struct ioreqd_virtq *q, uint16_t *count)
{
	uint16_t idx, n;

	/*
	 * Acquire: the avail ring entries and the descriptors the driver wrote
	 * before bumping avail->idx are read only after this load (2.7.13).
	 */
	idx = vring_load16(q->avail, VRING_AVAIL_IDX, __ATOMIC_ACQUIRE);
	n = (uint16_t)(idx - q->last_avail);
	if (n == 0) {
		if (q->event_idx)
			vring_store16(q->used, VRING_AVAIL_EVENT(q->layout.size),
			              q->last_avail, __ATOMIC_RELAXED);
		else if (q->no_notify)
			vring_store16(q->used, VRING_USED_FLAGS, 0, __ATOMIC_RELAXED);
		q->no_notify = false;
		/*
		 * Full barrier: the avail_event (or flags) store above must be
		 * visible before we read avail->idx again, or a buffer added in
		 * between could be missed by both sides (the driver's matching
		 * barrier sits between its avail->idx store and reading avail_event).
		 */
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		idx = vring_load16(q->avail, VRING_AVAIL_IDX, __ATOMIC_ACQUIRE);
		n = (uint16_t)(idx - q->last_avail);
	}
	if (n > q->layout.size)
		return vq_break(q, IOREQD_VIRTQ_ERR_AVAIL_IDX, idx);
	if (n && !q->event_idx && !q->no_notify) {
		/* A hint only: while we work through the ring, kicks are not needed. */
		vring_store16(q->used, VRING_USED_FLAGS, VRING_USED_F_NO_NOTIFY,
		              __ATOMIC_RELAXED);
		q->no_notify = true;
	}
	*count = n;
	return 0;
}

int ioreqd_virtq_pop(ioreqd_virtq_t *q, ioreqd_virtq_req_t **out)
{
	struct ioreqd_virtio_dev *dev = q->dev;
	uint32_t budget = q->layout.size;
	int rc;

	*out = NULL;
	if (dev->broken)
		return -EIO;
	if (!q->ready || !(dev->status & IOREQD_VIRTIO_S_DRIVER_OK))
		return -EAGAIN;
	rc = vq_rings(q);
	if (rc)
		return rc;
	/* Each pass consumes one avail entry: at most a queue's worth per call. */
	while (budget--) {
		struct ioreqd_virtq_req *req;
		struct walk w = {.failed = false};
		uint16_t n, head;

		rc = vq_avail_count(q, &n);
		if (rc)
			return rc;
		if (!n)
			return -EAGAIN;
		/* Out of this notification's budget: the rest waits for a resume. */
		if (q->bounded && !q->budget) {
			q->more = true;
			return -EAGAIN;
		}
		if (q->bounded)
			q->budget--;
		head = vring_load16(
		    q->avail, VRING_AVAIL_RING(q->last_avail & (q->layout.size - 1)),
		    __ATOMIC_RELAXED);
		q->last_avail++;
		if (head >= q->layout.size)
			return vq_break(q, IOREQD_VIRTQ_ERR_HEAD_RANGE, head);
		if (q->busy[head / 8] & (1u << (head % 8)))
			return vq_break(q, IOREQD_VIRTQ_ERR_HEAD_IN_USE, head);
		req = req_get(q);
		if (!req) {
			/* Out of host memory: give the entry back and let the device
			 * retry. */
			q->last_avail--;
			virtio_logf(dev, 0, "virtio queue %u: out of memory", q->idx);
			return -EAGAIN;
		}
		req->head = head;
		q->busy[head / 8] |= (uint8_t)(1u << (head % 8));
		rc = vq_walk(q, req, &w);
		if (rc) {
			req_put(req);
			return rc;
		}
		if (w.failed) {
			vq_fail_request(q, req, &w);
			continue;
		}
		q->st.requests++;
		q->st.bytes_out += req->out_len;
		*out = req;
		return 0;
	}
	return -EAGAIN;
}

int ioreqd_virtq_push(ioreqd_virtq_req_t *req, uint32_t written)
{
	struct ioreqd_virtq *q = req->q;
	int rc;

	if (req->gen != q->gen || !q->ready) {
		req_put(req);
		return -ESTALE;
	}
	if (written > req->in_len)
		written = (uint32_t)req->in_len;
	/* Report what the device wrote into the buffers, segment by segment. */
	for (unsigned i = req->nout, left = written; i < req->nout + req->nin && left;
	     i++) {
		uint32_t n =
		    left < req->iov[i].iov_len ? left : (uint32_t)req->iov[i].iov_len;

		gmem_dirty(q->dev, req->maps[i].gpa, n);
		left -= n;
	}
	q->busy[req->head / 8] &= (uint8_t) ~(1u << (req->head % 8));
	rc = vq_rings(q);
	if (rc) {
		req_put(req);
		return rc;
	}
	vq_publish(q, req->head, written);
	q->st.bytes_in += written;
	req_put(req);
	return 0;
}

bool ioreqd_virtq_should_notify(ioreqd_virtq_t *q)
{
	uint16_t old = q->signalled, now = q->used_idx;
	uint32_t pushed = q->unsignalled;
	bool need;

	if (!pushed || !q->ready || vq_rings(q))
		return false;
	q->signalled = now;
	q->unsignalled = 0;
	/*
	 * Full barrier: our used->idx store must be visible before we read the
	 * driver's used_event / flags, or the driver could re-enable interrupts
	 * after checking the old used->idx and both sides would wait (2.7.10).
	 */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (q->event_idx) {
		uint16_t ev = vring_load16(q->avail, VRING_USED_EVENT(q->layout.size),
		                           __ATOMIC_RELAXED);

		/* A full lap of the 16-bit index makes the window test meaningless. */
		need = pushed >= 0x10000u || vring_need_event(ev, now, old);
	} else {
		need = !(vring_load16(q->avail, VRING_AVAIL_FLAGS, __ATOMIC_RELAXED) &
		         VRING_AVAIL_F_NO_INTERRUPT);
	}
	if (need)
		q->st.interrupts++;
	else
		q->st.suppressed++;
	return need;
}

int ioreqd_virtq_notify(ioreqd_virtq_t *q)
{
	struct ioreqd_virtio_dev *dev = q->dev;
	int rc;

	if (!ioreqd_virtq_should_notify(q))
		return 0;
	rc = dev->p.tr_ops->vring_interrupt(dev->p.tr_opaque, q->idx);
	return rc < 0 ? rc : 1;
}

/* --- queue set-up --- */

int virtq_busy_alloc(struct ioreqd_virtq *q)
{
	/* Sized for the largest queue once, so a later enable or load cannot fail. */
	if (!q->busy)
		q->busy = calloc((q->dev->p.queue_max + 7) / 8, 1);
	return q->busy ? 0 : -ENOMEM;
}

int ioreqd_virtq_enable(ioreqd_virtq_t *q, const struct ioreqd_virtq_layout *l)
{
	struct ioreqd_virtio_dev *dev = q->dev;
	uint32_t size = l->size;

	if (q->ready || !(dev->status & IOREQD_VIRTIO_S_FEATURES_OK)) {
		virtio_logf(dev, 0, "virtio queue %u: enabled %s, refused", q->idx,
		            q->ready ? "twice" : "before FEATURES_OK");
		return -EBUSY;
	}
	if (!size || (size & (size - 1)) || size > dev->p.queue_max) {
		vq_refuse(q, IOREQD_VIRTQ_ERR_QSIZE, size);
		return -EINVAL;
	}
	if (l->desc % VRING_DESC_ALIGN || l->avail % VRING_AVAIL_ALIGN ||
	    l->used % VRING_USED_ALIGN) {
		vq_refuse(q, IOREQD_VIRTQ_ERR_ALIGN, l->desc | l->avail | l->used);
		return -EINVAL;
	}
	q->layout = *l;
	q->event_idx = ioreqd_virtio_has_feature(dev, IOREQD_VIRTIO_F_EVENT_IDX);
	q->indirect = ioreqd_virtio_has_feature(dev, IOREQD_VIRTIO_F_INDIRECT_DESC);
	if (vq_map_rings(q)) {
		vq_refuse(q, IOREQD_VIRTQ_ERR_RING_ADDR, l->desc);
		return -EFAULT;
	}
	if (virtq_busy_alloc(q) < 0) {
		vq_unmap_rings(q);
		return -ENOMEM;
	}
	memset(q->busy, 0, (size + 7) / 8);
	q->gen++;
	q->last_avail = q->used_idx = q->signalled = 0;
	q->unsignalled = 0;
	q->no_notify = false;
	q->resync = false;
	q->more = false;
	q->ready = true;
	return 0;
}

void ioreqd_virtq_disable(ioreqd_virtq_t *q)
{
	if (!q->ready)
		return;
	vq_unmap_rings(q);
	q->ready = false;
	q->more = false;
	/* Requests still in flight now belong to a past generation: push only releases.
	 */
	q->gen++;
}

bool ioreqd_virtq_ready(const ioreqd_virtq_t *q)
{
	return q->ready;
}

void virtq_destroy(struct ioreqd_virtq *q)
{
	struct ioreqd_virtq_req *req;

	ioreqd_virtq_disable(q);
	free(q->busy);
	q->busy = NULL;
	while (q->inflight)
		req_put(q->inflight);
	while ((req = q->free)) {
		q->free = req->next;
		free(req->iov);
		free(req->maps);
		free(req);
	}
}

void ioreqd_virtio_invalidate(ioreqd_virtio_dev_t *dev)
{
	for (unsigned i = 0; i < dev->p.num_queues; i++)
		vq_unmap_rings(&dev->queues[i]);
}

unsigned ioreqd_virtq_index(const ioreqd_virtq_t *q)
{
	return q->idx;
}

ioreqd_virtio_dev_t *ioreqd_virtq_dev(const ioreqd_virtq_t *q)
{
	return q->dev;
}

uint32_t ioreqd_virtq_max_size(const ioreqd_virtq_t *q)
{
	return q->dev->p.queue_max;
}

void ioreqd_virtq_stats(const ioreqd_virtq_t *q, struct ioreqd_virtq_stats *st)
{
	*st = q->st;
}

/* --- request accessors --- */

ioreqd_virtq_t *ioreqd_virtq_req_queue(const ioreqd_virtq_req_t *req)
{
	return req->q;
}

uint16_t ioreqd_virtq_req_head(const ioreqd_virtq_req_t *req)
{
	return req->head;
}

const struct iovec *ioreqd_virtq_req_out(const ioreqd_virtq_req_t *req, unsigned *n)
{
	*n = req->nout;
	return req->nout ? req->iov : NULL;
}

const struct iovec *ioreqd_virtq_req_in(const ioreqd_virtq_req_t *req, unsigned *n)
{
	*n = req->nin;
	return req->nin ? req->iov + req->nout : NULL;
}

uint32_t ioreqd_virtq_req_out_len(const ioreqd_virtq_req_t *req)
{
	return (uint32_t)req->out_len;
}

uint32_t ioreqd_virtq_req_in_len(const ioreqd_virtq_req_t *req)
{
	return (uint32_t)req->in_len;
}

bool ioreqd_virtq_req_seg(const ioreqd_virtq_req_t *req, unsigned i,
                          struct ioreqd_virtq_seg *seg)
{
	if (i >= req->nout + req->nin)
		return false;
	seg->hva = req->iov[i].iov_base;
	seg->len = (uint32_t)req->iov[i].iov_len;
	seg->writable = i >= req->nout;
	return true;
}

/* Copy between @p buf and the segments [first, first + count), from offset @p off. */
static size_t req_copy(const struct iovec *iov, unsigned count, size_t off, void *buf,
                       size_t len, bool to_guest)
{
	size_t done = 0;

	for (unsigned i = 0; i < count && done < len; i++) {
		size_t n;

		if (off >= iov[i].iov_len) {
			off -= iov[i].iov_len;
			continue;
		}
		n = iov[i].iov_len - off;
		if (n > len - done)
			n = len - done;
		if (to_guest)
			memcpy((char *)iov[i].iov_base + off, (char *)buf + done, n);
		else
			memcpy((char *)buf + done, (char *)iov[i].iov_base + off, n);
		done += n;
		off = 0;
	}
	return done;
}

size_t ioreqd_virtq_req_read(const ioreqd_virtq_req_t *req, size_t off, void *buf,
                             size_t len)
{
	return req_copy(req->iov, req->nout, off, buf, len, false);
}

size_t ioreqd_virtq_req_write(ioreqd_virtq_req_t *req, size_t off, const void *buf,
                              size_t len)
{
	if (!req->nin)
		return 0;
	return req_copy(req->iov + req->nout, req->nin, off, (void *)buf, len, true);
}

void ioreqd_virtq_req_set_priv(ioreqd_virtq_req_t *req, void *priv)
{
	req->priv = priv;
}

void *ioreqd_virtq_req_priv(const ioreqd_virtq_req_t *req)
{
	return req->priv;
}
