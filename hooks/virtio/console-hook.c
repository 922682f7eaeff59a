/* SPDX-License-Identifier: MIT */
/*
 * The virtio-console hook: the one-port model of console.c behind the
 * transports of vdev.h (`hook = virtio-console`), with the UARTs' back ends.
 */
#include "console.h"
#include "vdev.h"

static int cons_init(const struct ioreqd_host *host, ioreqd_dev_t *dev,
                     struct ioreqd_virtio_params *p, void **state)
{
	return ioreqd_vcons_new(host, dev, p, (struct ioreqd_vcons **)state);
}

static void cons_attach(void *state, ioreqd_virtio_dev_t *vdev)
{
	ioreqd_vcons_attach(state, vdev);
}

static void cons_quiesce(void *state)
{
	ioreqd_vcons_quiesce(state);
}

static void cons_fini(void *state)
{
	ioreqd_vcons_free(state);
}

static void cons_stats(void *state, ioreqd_stats_emit_fn emit, void *ctx)
{
	struct ioreqd_vcons_stats st;

	ioreqd_vcons_stats(state, &st);
	emit(ctx, "device", "rx_bytes", st.rx_bytes);
	emit(ctx, "device", "tx_bytes", st.tx_bytes);
	emit(ctx, "device", "rx_waits", st.rx_waits);
	emit(ctx, "device", "bad_buffer", st.bad_buffer);
	emit(ctx, "device", "dropped",
	     ioreqd_chardev_dropped(ioreqd_vcons_chardev(state)));
}

static const struct vdev_model cons_model = {
    .name = "virtio-console",
    .device_id = IOREQD_VIRTIO_ID_CONSOLE,
    .queue_default = 256,
    .init = cons_init,
    .attach = cons_attach,
    .quiesce = cons_quiesce,
    .fini = cons_fini,
    .stats = cons_stats,
};

static const struct ioreqd_hook_key cons_keys[] = {
    VDEV_COMMON_KEYS,
    IOREQD_VCONS_KEYS,
    {NULL, NULL},
};

VDEV_HOOK(virtio_console, "virtio-console", &cons_model, cons_keys,
          "virtio console (virtio-console), one port on a pty, socket, file or nothing");
