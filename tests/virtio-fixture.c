/* SPDX-License-Identifier: MIT */
/* The virtio test bench (see virtio-fixture.h). */
#include "virtio-fixture.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

#define BIT(n) (1ull << (n))

static int fx_map(void *ctx, uint64_t gpa, uint64_t len, bool write, void **hva,
                  uintptr_t *token)
{
	struct fx *fx = ctx;

	ck_assert_uint_ne(len, 0);
	ck_assert_uint_ge(gpa + len, gpa); /* the core checks wrap before asking */
	if (fx->refuse_maps || gpa < FX_RAM_GPA || len > FX_RAM_SIZE ||
	    gpa - FX_RAM_GPA > FX_RAM_SIZE - len)
		return -EFAULT;
	*hva = fx->ram + (gpa - FX_RAM_GPA);
	*token = (uintptr_t)len;
	fx->maps_live++;
	fx->maps_total++;
	return 0;
}

static void fx_unmap(void *ctx, void *hva, uint64_t len, uintptr_t token)
{
	struct fx *fx = ctx;

	ck_assert_uint_eq(token, len);
	ck_assert((uint8_t *)hva >= fx->ram && (uint8_t *)hva < fx->ram + FX_RAM_SIZE);
	fx->maps_live--;
	ck_assert_int_ge(fx->maps_live, 0);
}

static void fx_dirty(void *ctx, uint64_t gpa, uint64_t len)
{
	struct fx *fx = ctx;

	fx->dirty_bytes += len;
}

static const struct ioreqd_gmem_ops fx_gmem_ops = {
    .map = fx_map,
    .unmap = fx_unmap,
    .dirty = fx_dirty,
};

static int fx_vring_irq(void *opaque, unsigned qidx)
{
	struct fx *fx = opaque;

	ck_assert_uint_lt(qidx, 4);
	fx->vring_irqs[qidx]++;
	return 0;
}

static int fx_config_irq(void *opaque)
{
	struct fx *fx = opaque;

	fx->config_irqs++;
	return 0;
}

/* What a hook would pass as host->log_rl: lib/log.c's rate limiter. */
static struct ioreqd_ratelimit fx_rl = IOREQD_RATELIMIT_INIT(1000, 1000);

static void fx_log(void *opaque, int level, const char *msg)
{
	struct fx *fx = opaque;

	fx->logs++;
	snprintf(fx->last_log, sizeof(fx->last_log), "%s", msg);
	ioreqd_log_rl(&fx_rl, LOG_LEVEL_DEBUG, "%s", msg);
}

static const struct ioreqd_virtio_transport_ops fx_tr_ops = {
    .vring_interrupt = fx_vring_irq,
    .config_interrupt = fx_config_irq,
    .log = fx_log,
};

static int fx_features_ok(void *opaque, uint64_t features)
{
	struct fx *fx = opaque;

	return fx->refuse_features ? -EINVAL : 0;
}

static void fx_driver_ok(void *opaque)
{
	struct fx *fx = opaque;

	fx->driver_oks++;
}

static void fx_reset(void *opaque)
{
	struct fx *fx = opaque;

	fx->resets++;
}

static void fx_notify(void *opaque, ioreqd_virtq_t *q)
{
	struct fx *fx = opaque;

	fx->notifies++;
}

/* Bytes 0..7 are read-only; 8..15 writable. */
static int fx_config_write(void *opaque, uint32_t off, uint32_t len)
{
	return off >= 8 ? 0 : -EPERM;
}

static const struct ioreqd_virtio_device_ops fx_dev_ops = {
    .features_ok = fx_features_ok,
    .driver_ok = fx_driver_ok,
    .reset = fx_reset,
    .queue_notify = fx_notify,
    .config_write = fx_config_write,
};

void fx_init(struct fx *fx)
{
	memset(fx, 0, sizeof(*fx));
	fx->ram = calloc(1, FX_RAM_SIZE);
	ck_assert_ptr_nonnull(fx->ram);
	fx->p = (struct ioreqd_virtio_params){
	    .device_id = 2,
	    .features = BIT(6), /* a device-specific bit */
	    .num_queues = 2,
	    .queue_max = FX_QMAX,
	    .config_size = 16,
	    .error_status = FX_IOERR,
	    .gmem = {.ops = &fx_gmem_ops, .ctx = fx},
	    .dev_ops = &fx_dev_ops,
	    .dev_opaque = fx,
	    .tr_ops = &fx_tr_ops,
	    .tr_opaque = fx,
	};
	fx->dev = ioreqd_virtio_new(&fx->p);
	ck_assert_ptr_nonnull(fx->dev);
	fx->q = ioreqd_virtio_queue(fx->dev, 0);
	ck_assert_ptr_nonnull(fx->q);
}

void fx_fini(struct fx *fx)
{
	ioreqd_virtio_free(fx->dev);
	ck_assert_int_eq(fx->maps_live, 0);
	ioreqd_vdrv_fini(&fx->drv);
	free(fx->ram);
}

uint64_t fx_all_features(void)
{
	return BIT(IOREQD_VIRTIO_F_VERSION_1) | BIT(IOREQD_VIRTIO_F_INDIRECT_DESC) |
	       BIT(IOREQD_VIRTIO_F_EVENT_IDX);
}

void fx_up(struct fx *fx, uint64_t features, uint32_t qsize)
{
	bool ev = features & BIT(IOREQD_VIRTIO_F_EVENT_IDX);
	bool ind = features & BIT(IOREQD_VIRTIO_F_INDIRECT_DESC);
	struct ioreqd_virtq_layout l;

	ck_assert_int_eq(ioreqd_virtio_set_status(fx->dev, IOREQD_VIRTIO_S_ACKNOWLEDGE),
	                 0);
	ck_assert_int_eq(ioreqd_virtio_set_status(fx->dev, IOREQD_VIRTIO_S_ACKNOWLEDGE |
	                                                       IOREQD_VIRTIO_S_DRIVER),
	                 0);
	ck_assert_int_eq(ioreqd_virtio_set_driver_features(fx->dev, features), 0);
	ck_assert_int_eq(
	    ioreqd_virtio_set_status(fx->dev, IOREQD_VIRTIO_S_ACKNOWLEDGE |
	                                          IOREQD_VIRTIO_S_DRIVER |
	                                          IOREQD_VIRTIO_S_FEATURES_OK),
	    0);
	ioreqd_vdrv_fini(&fx->drv); /* a second bring-up after a reset */
	ck_assert_int_eq(ioreqd_vdrv_init(&fx->drv, fx->ram, FX_RAM_GPA, FX_RAM_SIZE,
	                                  qsize, FX_RING_GPA, ev,
	                                  ind ? FX_INDIRECT_GPA : 0, 16),
	                 0);
	l = (struct ioreqd_virtq_layout){
	    .size = qsize,
	    .desc = fx->drv.desc_gpa,
	    .avail = fx->drv.avail_gpa,
	    .used = fx->drv.used_gpa,
	};
	ck_assert_int_eq(ioreqd_virtq_enable(fx->q, &l), 0);
	ck_assert_int_eq(
	    ioreqd_virtio_set_status(
	        fx->dev, IOREQD_VIRTIO_S_ACKNOWLEDGE | IOREQD_VIRTIO_S_DRIVER |
	                     IOREQD_VIRTIO_S_FEATURES_OK | IOREQD_VIRTIO_S_DRIVER_OK),
	    0);
}

void *fx_hva(struct fx *fx, uint64_t gpa)
{
	ck_assert_uint_ge(gpa, FX_RAM_GPA);
	ck_assert_uint_lt(gpa - FX_RAM_GPA, FX_RAM_SIZE);
	return fx->ram + (gpa - FX_RAM_GPA);
}

void fx_desc(struct fx *fx, uint32_t i, uint64_t addr, uint32_t len, uint16_t flags,
             uint16_t next)
{
	struct vring_desc_host d = {
	    .addr = addr, .len = len, .flags = flags, .next = next};

	vring_desc_write(fx->drv.desc, i, &d);
}

void fx_idesc(struct fx *fx, uint64_t table_gpa, uint32_t i, uint64_t addr, uint32_t len,
              uint16_t flags, uint16_t next)
{
	struct vring_desc_host d = {
	    .addr = addr, .len = len, .flags = flags, .next = next};

	vring_desc_write(fx_hva(fx, table_gpa), i, &d);
}

void fx_avail(struct fx *fx, uint16_t head)
{
	uint16_t idx = vring_load16(fx->drv.avail, VRING_AVAIL_IDX, __ATOMIC_RELAXED);

	vring_store16(fx->drv.avail, VRING_AVAIL_RING(idx & (fx->drv.size - 1)), head,
	              __ATOMIC_RELAXED);
	vring_store16(fx->drv.avail, VRING_AVAIL_IDX, (uint16_t)(idx + 1),
	              __ATOMIC_RELEASE);
}

void fx_avail_idx(struct fx *fx, uint16_t idx)
{
	vring_store16(fx->drv.avail, VRING_AVAIL_IDX, idx, __ATOMIC_RELEASE);
}

uint16_t fx_used_idx(struct fx *fx)
{
	return vring_load16(fx->drv.used, VRING_USED_IDX, __ATOMIC_ACQUIRE);
}

void fx_used_elem(struct fx *fx, uint32_t slot, uint32_t *id, uint32_t *len)
{
	slot &= fx->drv.size - 1;
	*id = vring_load32(fx->drv.used, VRING_USED_RING(slot));
	*len = vring_load32(fx->drv.used, VRING_USED_RING(slot) + 4);
}

uint64_t fx_err(struct fx *fx, enum ioreqd_virtq_error err)
{
	struct ioreqd_virtq_stats st;

	ioreqd_virtq_stats(fx->q, &st);
	return st.errors[err];
}
