/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the virtio core (issue 14 item 7): arbitrary guest
 * memory and ring contents, driven through a device with one queue while the
 * harness plays the device implementation (pop, read, write, hold, push,
 * notify) and the driver pokes the rings, resets, invalidates and writes
 * garbage to the status, features and config space.
 *
 * Invariants (FUZZ_CHECK aborts, so libFuzzer records the input):
 *  - no access outside guest RAM: RAM is one heap block of exactly its size
 *    (ASan), the gmem op refuses the rest, and in bounce mode every mapping
 *    is a fresh heap copy of exactly the mapped length, so an access past
 *    the mapped range or after unmap is a heap overflow or use-after-free;
 *    a read-only mapping that comes back changed is a write to it;
 *  - bounded work: one pop maps at most 3 + size * (size + 3) ranges;
 *  - the used ring is consistent: used->idx advances by exactly one per
 *    push and per request the core failed, and the element written has the
 *    head and the clamped length;
 *  - requests in flight are what the harness holds; every mapping is
 *    released when the device is freed; dirty reports stay inside RAM.
 *
 * Input: a header, then ops until the input runs out (see decode below).
 * tests/fuzz/mkseeds-virtio.sh writes the seeds.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <ioreqd/virtio.h>

#include "fuzz-input.h"
#include "ring.h"
#include "vdriver.h"

#define RAM_GPA 0x100000ull
#define RAM_SIZE 0x8000u
#define RING_OFF 0x0000u     /* vdriver rings */
#define INDIRECT_OFF 0x1000u /* vdriver indirect tables: size x 4 x 16 bytes */
#define DATA_OFF 0x3000u     /* buffers */
#define IND_MAX 4u
#define QMAX 128u
#define SCRATCH 4096u /* bytes the device reads or writes at each end of a request */
#define MAX_HELD 512u
#define MAX_OPS 2000u

#define BIT(n) (1ull << (n))

struct bounce {
	uint64_t gpa, len;
	bool write;
	uint8_t *orig; /* read-only mappings: the bytes handed out */
	uint8_t data[];
};

struct h {
	uint8_t *ram;
	bool bounce;
	long live;
	uint32_t ram_limit; /* RAM beyond this offset was ballooned out */
	unsigned long maps;
	/* the used ring's current mapping, to read what the core published */
	void *used_hva;
	uint64_t used_gpa, used_len;
	ioreqd_virtio_dev_t *dev;
	ioreqd_virtq_t *q;
	struct ioreqd_virtq_layout l;
	bool layout_ok; /* l came from the vdriver (its rings are where it wrote them) */
	bool enabled;
	struct ioreqd_vdrv drv;
	bool drv_ok;
	ioreqd_virtq_req_t *held[MAX_HELD];
	unsigned nheld;
	uint32_t published;   /* used entries since enable, as the harness counts */
	uint64_t failed_base; /* st.failed at enable */
	uint8_t scratch[SCRATCH];
};

static int h_map(void *ctx, uint64_t gpa, uint64_t len, bool write, void **hva,
                 uintptr_t *token)
{
	struct h *h = ctx;
	struct bounce *b;

	/* The core promises a length and no wrap before it asks. */
	FUZZ_CHECK(len > 0 && gpa + len > gpa);
	h->maps++;
	if (gpa < RAM_GPA || len > h->ram_limit || gpa - RAM_GPA > h->ram_limit - len)
		return -EFAULT;
	h->live++;
	if (!h->bounce) {
		*hva = h->ram + (gpa - RAM_GPA);
		*token = 0;
	} else {
		b = malloc(sizeof(*b) + len);
		FUZZ_CHECK(b != NULL);
		b->gpa = gpa;
		b->len = len;
		b->write = write;
		b->orig = NULL;
		memcpy(b->data, h->ram + (gpa - RAM_GPA), len);
		if (!write) {
			b->orig = malloc(len);
			FUZZ_CHECK(b->orig != NULL);
			memcpy(b->orig, b->data, len);
		}
		*hva = b->data;
		*token = (uintptr_t)b;
	}
	if (write && gpa == h->used_gpa && len == h->used_len && !h->used_hva)
		h->used_hva = *hva;
	return 0;
}

static void h_unmap(void *ctx, void *hva, uint64_t len, uintptr_t token)
{
	struct h *h = ctx;
	struct bounce *b = (struct bounce *)token;

	h->live--;
	FUZZ_CHECK(h->live >= 0);
	if (hva == h->used_hva)
		h->used_hva = NULL;
	if (!h->bounce)
		return;
	FUZZ_CHECK(b->data == hva && b->len == len);
	if (b->write) {
		memcpy(h->ram + (b->gpa - RAM_GPA), b->data, len);
	} else {
		/* Nobody may write through a read-only mapping. */
		FUZZ_CHECK(memcmp(b->orig, b->data, len) == 0);
		free(b->orig);
	}
	free(b);
}

/* The core reports as written only what it could map: guest RAM. */
static void h_dirty(void *ctx, uint64_t gpa, uint64_t len)
{
	FUZZ_CHECK(len > 0 && gpa >= RAM_GPA && len <= RAM_SIZE &&
	           gpa - RAM_GPA <= RAM_SIZE - len);
}

static const struct ioreqd_gmem_ops h_gmem = {
    .map = h_map,
    .unmap = h_unmap,
    .dirty = h_dirty,
};

static int h_irq(void *opaque, unsigned qidx)
{
	FUZZ_CHECK(qidx == 0);
	return 0;
}

static int h_config_irq(void *opaque)
{
	return 0;
}

static void h_log(void *opaque, int level, const char *msg)
{
	FUZZ_CHECK(msg[0] != '\0');
}

static const struct ioreqd_virtio_transport_ops h_tr = {
    .vring_interrupt = h_irq,
    .config_interrupt = h_config_irq,
    .log = h_log,
};

static int h_config_write(void *opaque, uint32_t off, uint32_t len)
{
	return off < 4 ? -EPERM : 0;
}

static const struct ioreqd_virtio_device_ops h_dev = {.config_write = h_config_write};

static uint64_t q_failed(struct h *h)
{
	struct ioreqd_virtq_stats st;

	ioreqd_virtq_stats(h->q, &st);
	return st.failed;
}

/*
 * Just after a publish, used->idx equals what the harness counted (pushes
 * plus requests the core failed since the queue was enabled).
 */
static void check_used_idx(struct h *h)
{
	uint32_t expect;

	if (!h->enabled || !h->used_hva)
		return;
	expect = h->published + (uint32_t)(q_failed(h) - h->failed_base);
	/* Before the first publish, used->idx is whatever the guest left there. */
	if (!expect)
		return;
	FUZZ_CHECK(vring_load16(h->used_hva, VRING_USED_IDX, __ATOMIC_RELAXED) ==
	           (uint16_t)expect);
}

/* Bring the device up to DRIVER_OK with queue 0 at h->l. */
static void up(struct h *h, uint64_t features)
{
	ioreqd_virtio_set_status(h->dev, IOREQD_VIRTIO_S_ACKNOWLEDGE);
	ioreqd_virtio_set_status(h->dev,
	                         IOREQD_VIRTIO_S_ACKNOWLEDGE | IOREQD_VIRTIO_S_DRIVER);
	ioreqd_virtio_set_driver_features(h->dev, features);
	ioreqd_virtio_set_status(h->dev, IOREQD_VIRTIO_S_ACKNOWLEDGE |
	                                     IOREQD_VIRTIO_S_DRIVER |
	                                     IOREQD_VIRTIO_S_FEATURES_OK);
	h->used_gpa = h->l.used;
	h->used_len =
	    vring_used_bytes(h->l.size, !!(features & BIT(IOREQD_VIRTIO_F_EVENT_IDX)));
	h->used_hva = NULL;
	h->enabled = ioreqd_virtq_enable(h->q, &h->l) == 0;
	h->published = 0;
	h->failed_base = q_failed(h);
	ioreqd_virtio_set_status(
	    h->dev, IOREQD_VIRTIO_S_ACKNOWLEDGE | IOREQD_VIRTIO_S_DRIVER |
	                IOREQD_VIRTIO_S_FEATURES_OK | IOREQD_VIRTIO_S_DRIVER_OK);
}

/* Guest writes to RAM never touch the used ring: only the device writes it. */
static void ram_write(struct h *h, uint64_t off, const uint8_t *src, uint64_t len)
{
	for (uint64_t i = 0; i < len && off + i < RAM_SIZE; i++) {
		uint64_t gpa = RAM_GPA + off + i;

		if (h->enabled && gpa >= h->used_gpa && gpa - h->used_gpa < h->used_len)
			continue;
		h->ram[off + i] = src[i];
	}
}

static uint64_t take_addr(struct fuzz_input *in)
{
	uint8_t mode = fuzz_u8(in);

	if (mode & 1)
		return RAM_GPA + fuzz_u16(in) % RAM_SIZE;
	return fuzz_u64(in);
}

static void push_one(struct h *h, ioreqd_virtq_req_t *req, uint32_t written)
{
	uint32_t in_len = ioreqd_virtq_req_in_len(req);
	uint16_t head = ioreqd_virtq_req_head(req);
	int rc = ioreqd_virtq_push(req, written);

	FUZZ_CHECK(rc == 0 || rc == -ESTALE || rc == -EIO);
	if (rc)
		return;
	h->published++;
	check_used_idx(h);
	if (h->used_hva) {
		uint32_t slot =
		    (h->published + (uint32_t)(q_failed(h) - h->failed_base) - 1) &
		    (h->l.size - 1);

		FUZZ_CHECK(vring_load32(h->used_hva, VRING_USED_RING(slot)) == head);
		FUZZ_CHECK(vring_load32(h->used_hva, VRING_USED_RING(slot) + 4) ==
		           (written < in_len ? written : in_len));
	}
}

/* Look at a popped request as a device would, then push it or hold it. */
static void serve(struct h *h, ioreqd_virtq_req_t *req, struct fuzz_input *in)
{
	struct ioreqd_virtq_seg seg;
	uint32_t out_len = ioreqd_virtq_req_out_len(req),
	         in_len = ioreqd_virtq_req_in_len(req);
	uint64_t sum_out = 0, sum_in = 0;
	uint8_t act = fuzz_u8(in);
	size_t n;

	for (unsigned i = 0; ioreqd_virtq_req_seg(req, i, &seg); i++) {
		FUZZ_CHECK(seg.hva != NULL && seg.len > 0);
		if (seg.writable)
			sum_in += seg.len;
		else
			sum_out += seg.len;
	}
	FUZZ_CHECK(sum_out == out_len && sum_in == in_len);
	/* The head and the tail of each area: every segment's ends get touched. */
	n = ioreqd_virtq_req_read(req, 0, h->scratch, SCRATCH);
	FUZZ_CHECK(n == (out_len < SCRATCH ? out_len : SCRATCH));
	if (out_len > SCRATCH)
		FUZZ_CHECK(ioreqd_virtq_req_read(req, out_len - SCRATCH, h->scratch,
		                                 SCRATCH) == SCRATCH);
	if (act & 1) {
		size_t want = fuzz_u16(in) % (SCRATCH + 1), off = fuzz_u16(in);

		memset(h->scratch, 0x5a, want);
		n = ioreqd_virtq_req_write(req, off, h->scratch, want);
		FUZZ_CHECK(
		    n ==
		    (off >= in_len ? 0 : (in_len - off < want ? in_len - off : want)));
		if (in_len > SCRATCH)
			FUZZ_CHECK(ioreqd_virtq_req_write(req, in_len - SCRATCH,
			                                  h->scratch,
			                                  SCRATCH) == SCRATCH);
	}
	if ((act & 2) && h->nheld < MAX_HELD) {
		h->held[h->nheld++] = req;
		return;
	}
	push_one(h, req, (act & 4) ? fuzz_u32(in) : in_len);
}

static void op_pop(struct h *h, struct fuzz_input *in)
{
	unsigned count = fuzz_u8(in) % 16 + 1;

	for (unsigned k = 0; k < count; k++) {
		ioreqd_virtq_req_t *req = NULL;
		unsigned long before = h->maps;
		uint64_t failed = q_failed(h);
		uint32_t size = h->enabled ? h->l.size : 1;
		int rc = ioreqd_virtq_pop(h->q, &req);

		FUZZ_CHECK(h->maps - before <= 3 + (unsigned long)size * (size + 3));
		/*
		 * Only right after a publish: a guest may point a writable
		 * buffer at its own used ring, and the device's data then
		 * lands there until the next publish.
		 */
		if (q_failed(h) != failed)
			check_used_idx(h);
		if (rc) {
			FUZZ_CHECK(rc == -EAGAIN || rc == -EIO);
			FUZZ_CHECK(req == NULL);
			return;
		}
		FUZZ_CHECK(req != NULL && ioreqd_virtq_req_queue(req) == h->q);
		FUZZ_CHECK(ioreqd_virtq_req_head(req) < h->l.size);
		serve(h, req, in);
	}
}

static void op_vdrv_add(struct h *h, struct fuzz_input *in)
{
	struct ioreqd_vdrv_buf bufs[8];
	uint8_t a = fuzz_u8(in);
	unsigned nout = a % 4, nin = (a >> 2) % 4;
	uint64_t off = DATA_OFF;

	if (!h->drv_ok)
		return;
	if (!nout && !nin)
		nin = 1;
	for (unsigned i = 0; i < nout + nin; i++) {
		uint32_t len = fuzz_u8(in) + 1u;

		bufs[i] = (struct ioreqd_vdrv_buf){RAM_GPA + off, len};
		off += len;
	}
	ioreqd_vdrv_add(&h->drv, bufs, nout, nin, (a & 0x10) && h->drv.indirect, h);
	if (a & 0x20)
		ioreqd_vdrv_kick_needed(&h->drv);
}

static void op_driver_collect(struct h *h)
{
	uint32_t len;

	if (!h->drv_ok)
		return;
	for (unsigned i = 0; i < QMAX && ioreqd_vdrv_get_used(&h->drv, &len); i++)
		;
	ioreqd_vdrv_enable_irq(&h->drv);
}

static void op_misc(struct h *h, struct fuzz_input *in)
{
	uint8_t sub = fuzz_u8(in), buf[8];
	uint32_t off = fuzz_u8(in) % 16, len = fuzz_u8(in) % 9;

	switch (sub % 7) {
	case 0:
		ioreqd_virtio_set_status(h->dev, fuzz_u8(in));
		break;
	case 1:
		ioreqd_virtio_set_driver_features(h->dev, fuzz_u64(in));
		break;
	case 2:
		ioreqd_virtio_config_read(h->dev, off, buf, len);
		break;
	case 3:
		fuzz_take(in, buf, sizeof(buf));
		ioreqd_virtio_config_write(h->dev, off, buf, len);
		break;
	case 4:
		ioreqd_virtio_queue_notify(h->dev, fuzz_u16(in));
		break;
	case 5:
		fuzz_take(in, buf, sizeof(buf));
		ioreqd_virtio_config_update(h->dev, off, buf, len, true);
		break;
	default:
		ioreqd_virtio_set_needs_reset(h->dev);
		break;
	}
	/* A status write of 0 resets: the queue may be gone. */
	if (!ioreqd_virtq_ready(h->q))
		h->enabled = false;
}

static const uint32_t sizes[16] = {1,   2, 4, 8,   16, 32, 64, 128,
                                   256, 0, 3, 512, 8,  8,  4,  2};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct h hs;
	struct h *h = &hs;
	struct fuzz_input in;
	struct ioreqd_virtio_params p;
	uint8_t qsel, flags, tmp[256];
	uint64_t features;
	bool ev, ind;

	fuzz_input_init(&in, data, size);
	memset(h, 0, offsetof(struct h, scratch));
	h->ram = calloc(1, RAM_SIZE);
	FUZZ_CHECK(h->ram != NULL);
	h->ram_limit = RAM_SIZE;
	qsel = fuzz_u8(&in);
	flags = fuzz_u8(&in);
	h->bounce = flags & 4;
	ev = !(flags & 1);
	ind = !(flags & 2);
	features = BIT(IOREQD_VIRTIO_F_VERSION_1) |
	           (ev ? BIT(IOREQD_VIRTIO_F_EVENT_IDX) : 0) |
	           (ind ? BIT(IOREQD_VIRTIO_F_INDIRECT_DESC) : 0);
	p = (struct ioreqd_virtio_params){
	    .device_id = 2,
	    .num_queues = 1,
	    .queue_max = QMAX,
	    .config_size = 16,
	    .error_status = (flags & 0x20) ? -1 : 1,
	    .access_platform = flags & 0x40,
	    .gmem = {.ops = &h_gmem, .ctx = h},
	    .dev_ops = &h_dev,
	    .tr_ops = &h_tr,
	};
	h->dev = ioreqd_virtio_new(&p);
	FUZZ_CHECK(h->dev != NULL);
	h->q = ioreqd_virtio_queue(h->dev, 0);
	h->l.size = sizes[qsel % 16];
	if (flags & 8) {
		/* Ring addresses straight from the input. */
		h->l.desc = take_addr(&in);
		h->l.avail = take_addr(&in);
		h->l.used = take_addr(&in);
	} else if (h->l.size && !(h->l.size & (h->l.size - 1)) && h->l.size <= QMAX &&
	           ioreqd_vdrv_init(&h->drv, h->ram, RAM_GPA, RAM_SIZE, h->l.size,
	                            RAM_GPA + RING_OFF, ev,
	                            ind ? RAM_GPA + INDIRECT_OFF : 0, IND_MAX) == 0) {
		h->drv_ok = true;
		h->layout_ok = true;
		h->l.desc = h->drv.desc_gpa;
		h->l.avail = h->drv.avail_gpa;
		h->l.used = h->drv.used_gpa + ((flags & 0x10) ? 2 : 0); /* misaligned */
	} else {
		h->l.desc = RAM_GPA;
		h->l.avail = RAM_GPA + 0x1000;
		h->l.used = RAM_GPA + 0x1800;
	}
	up(h, features);

	for (unsigned ops = 0; ops < MAX_OPS && !fuzz_empty(&in); ops++) {
		uint8_t op = fuzz_u8(&in);

		switch (op % 10) {
		case 0: { /* the guest writes RAM */
			uint16_t off = fuzz_u16(&in);
			uint8_t len = fuzz_u8(&in);

			fuzz_take(&in, tmp, len);
			ram_write(h, off, tmp, len);
			break;
		}
		case 1: { /* the guest writes one descriptor of the table */
			struct vring_desc_host d;
			uint8_t raw[16];
			uint32_t i = fuzz_u16(&in) % (h->l.size ? h->l.size : 1);

			d.addr = take_addr(&in);
			d.len = fuzz_u32(&in);
			d.flags = fuzz_u16(&in);
			d.next = fuzz_u16(&in);
			vring_desc_write(raw, 0, &d);
			if (h->l.desc >= RAM_GPA && h->l.desc - RAM_GPA < RAM_SIZE)
				ram_write(h, h->l.desc - RAM_GPA + 16ull * i, raw, 16);
			break;
		}
		case 2: { /* the guest makes a head available (avail idx may jump) */
			uint16_t head = fuzz_u16(&in),
			         step = fuzz_u8(&in) % 4 == 0 ? fuzz_u16(&in) : 1;
			uint64_t a = h->l.avail;

			if (h->l.size && a >= RAM_GPA &&
			    a - RAM_GPA + 6 + 2ull * h->l.size <= RAM_SIZE) {
				uint8_t *av = h->ram + (a - RAM_GPA);
				uint16_t idx =
				    vring_load16(av, VRING_AVAIL_IDX, __ATOMIC_RELAXED);
				uint8_t b[2] = {(uint8_t)head, (uint8_t)(head >> 8)};

				ram_write(h,
				          a - RAM_GPA +
				              VRING_AVAIL_RING(idx & (h->l.size - 1)),
				          b, 2);
				idx = (uint16_t)(idx + step);
				b[0] = (uint8_t)idx;
				b[1] = (uint8_t)(idx >> 8);
				ram_write(h, a - RAM_GPA + VRING_AVAIL_IDX, b, 2);
			}
			break;
		}
		case 3:
			op_vdrv_add(h, &in);
			break;
		case 4:
			op_pop(h, &in);
			break;
		case 5: { /* the device completes what it held, newest or oldest first */
			unsigned count = fuzz_u8(&in) % 8 + 1;
			bool oldest = count & 1;

			while (count-- && h->nheld) {
				ioreqd_virtq_req_t *req;

				if (oldest) {
					req = h->held[0];
					memmove(h->held, h->held + 1,
					        --h->nheld * sizeof(*h->held));
				} else {
					req = h->held[--h->nheld];
				}
				push_one(h, req, fuzz_u32(&in));
			}
			break;
		}
		case 6:
			ioreqd_virtq_notify(h->q);
			op_driver_collect(h);
			break;
		case 7: /* INVALIDATE; sometimes the guest gave RAM away first */
			h->ram_limit =
			    (fuzz_u8(&in) & 1) ? fuzz_u16(&in) % RAM_SIZE : RAM_SIZE;
			ioreqd_virtio_invalidate(h->dev);
			break;
		case 8:
			ioreqd_virtio_reset(h->dev);
			h->enabled = false;
			if (fuzz_u8(&in) & 1)
				up(h, features);
			break;
		default:
			op_misc(h, &in);
			break;
		}
		{
			struct ioreqd_virtq_stats st;

			ioreqd_virtq_stats(h->q, &st);
			FUZZ_CHECK(st.in_flight == h->nheld);
		}
	}
	/* Half the runs complete what is held; the rest leave it to free. */
	if (flags & 0x80)
		while (h->nheld)
			push_one(h, h->held[--h->nheld], 0);
	ioreqd_virtio_free(h->dev);
	FUZZ_CHECK(h->live == 0);
	ioreqd_vdrv_fini(&h->drv);
	free(h->ram);
	return 0;
}
