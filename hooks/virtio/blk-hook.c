/* SPDX-License-Identifier: MIT */
/*
 * The virtio-blk hook: the device model of blk.c behind the transports of
 * vdev.h (`hook = virtio-blk`, `transport = mmio|pci`).  Teardown (SIGTERM,
 * the domain's death, a failed start) quiesces first: the I/O in flight
 * completes and is pushed before the virtio device is freed.
 */
#include "blk.h"
#include "vdev.h"

static int blk_init(const struct ioreqd_host *host, ioreqd_dev_t *dev,
                    struct ioreqd_virtio_params *p, void **state)
{
	return ioreqd_vblk_new(host, dev, p, (struct ioreqd_vblk **)state);
}

static void blk_attach(void *state, ioreqd_virtio_dev_t *vdev)
{
	ioreqd_vblk_attach(state, vdev);
}

static void blk_quiesce(void *state)
{
	ioreqd_vblk_quiesce(state);
}

static void blk_fini(void *state)
{
	ioreqd_vblk_free(state);
}

static void blk_stats(void *state, ioreqd_stats_emit_fn emit, void *ctx)
{
	struct ioreqd_vblk_stats st;

	ioreqd_vblk_stats(state, &st);
	emit(ctx, "device", "reads", st.reads);
	emit(ctx, "device", "writes", st.writes);
	emit(ctx, "device", "flushes", st.flushes);
	emit(ctx, "device", "discards", st.discards);
	emit(ctx, "device", "write_zeroes", st.write_zeroes);
	emit(ctx, "device", "get_ids", st.get_ids);
	emit(ctx, "device", "bytes_read", st.bytes_read);
	emit(ctx, "device", "bytes_written", st.bytes_written);
	emit(ctx, "device", "io_errors", st.io_errors);
	emit(ctx, "device", "bad_request", st.bad_request);
	emit(ctx, "device", "unsupported", st.unsupported);
	emit(ctx, "device", "in_flight", st.in_flight);
	emit(ctx, "device", "submit_failed", st.submit_failed);
}

static int blk_save(void *state, ioreqd_state_t *st)
{
	return ioreqd_vblk_save(state, st, VDEV_TAG_MODEL);
}

static int blk_load_check(void *state, ioreqd_state_t *st)
{
	return ioreqd_vblk_load_check(state, st, VDEV_TAG_MODEL);
}

static const struct vdev_model blk_model = {
    .name = "virtio-blk",
    .device_id = IOREQD_VIRTIO_ID_BLOCK,
    .queue_default = IOREQD_VBLK_QUEUE_DEFAULT,
    .init = blk_init,
    .attach = blk_attach,
    .quiesce = blk_quiesce,
    .fini = blk_fini,
    .stats = blk_stats,
    .save = blk_save,
    .load_check = blk_load_check,
};

static const struct ioreqd_hook_key blk_keys[] = {
    VDEV_COMMON_KEYS,
    IOREQD_VBLK_KEYS,
    {NULL, NULL},
};

VDEV_HOOK(virtio_blk, "virtio-blk", &blk_model, blk_keys,
          "virtio block device (virtio-blk) on a file or block device, io_uring I/O");
