/* SPDX-License-Identifier: MIT */
/*
 * The glue every virtio device hook shares (see vdev.h): the common keys
 * (transport, queue_size), guest memory from the host, the virtio device's
 * life cycle around the model and the transport, and the hook entry points.
 */
#include "vdev.h"

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const struct vdev_transport vdev_mmio;
extern const struct vdev_transport vdev_pci;

const struct vdev_transport *const vdev_transports[] = {
    &vdev_mmio,
    &vdev_pci,
    NULL,
};

/*
 * Without a host that maps guest memory (ioreqd-replay: a trace holds no
 * guest RAM) the registers still work but no queue can be made ready.
 */
static int nomem_map(void *ctx, uint64_t gpa, uint64_t len, bool write, void **hva,
                     uintptr_t *token)
{
	(void)ctx;
	(void)gpa;
	(void)len;
	(void)write;
	*hva = NULL;
	*token = 0;
	return -EFAULT;
}

static void nomem_unmap(void *ctx, void *hva, uint64_t len, uintptr_t token)
{
	(void)ctx;
	(void)hva;
	(void)len;
	(void)token;
}

static const struct ioreqd_gmem_ops nomem_ops = {.map = nomem_map, .unmap = nomem_unmap};

void vdev_log(void *opaque, int level, const char *msg)
{
	struct vdev *v = opaque;

	v->host->log_rl(v->dev, (enum ioreqd_log_level)level, "%s: %s", v->model->name,
	                msg);
}

static bool is_pow2(uint64_t x)
{
	return x && !(x & (x - 1));
}

static int common_keys(struct vdev *v)
{
	const struct ioreqd_host *host = v->host;
	const char *name = host->cfg_str(v->dev, "transport");
	uint64_t qs;
	int rc;

	if (!name)
		name = "mmio";
	for (size_t i = 0; vdev_transports[i]; i++) {
		if (!strcmp(vdev_transports[i]->name, name))
			v->tr = vdev_transports[i];
	}
	if (!v->tr) {
		char known[64] = "";

		for (size_t i = 0; vdev_transports[i]; i++)
			snprintf(known + strlen(known), sizeof(known) - strlen(known),
			         "%s%s", i ? ", " : "", vdev_transports[i]->name);
		return host->cfg_error(v->dev, "transport",
		                       "unknown '%s' (this build has: %s)", name, known);
	}
	rc = host->cfg_u64(v->dev, "queue_size", v->model->queue_default, &qs);
	if (rc < 0)
		return rc;
	if (!is_pow2(qs) || qs > IOREQD_VIRTQ_SIZE_MAX)
		return host->cfg_error(v->dev, "queue_size",
		                       "%" PRIu64 " is not a power of 2 from 1 to %u", qs,
		                       IOREQD_VIRTQ_SIZE_MAX);
	v->params.queue_max = (uint32_t)qs;
	return 0;
}

/*
 * grant_usage = 1 (Xen's xenstore key of the same name, 4.18+): the guest
 * may hand grant addresses (bit 63) for DMA, which the Xen backend maps, and
 * a Linux guest uses grants only with a device that offers ACCESS_PLATFORM.
 * Read after the model's init, which fills in the rest of the params.
 */
static int grant_usage(struct vdev *v)
{
	uint64_t g;
	int rc = v->host->cfg_u64(v->dev, "grant_usage", 0, &g);

	if (rc < 0)
		return rc;
	if (g > 1)
		return v->host->cfg_error(v->dev, "grant_usage",
		                          "%" PRIu64 " is not 0 or 1", g);
	v->params.access_platform = g == 1;
	return 0;
}

static void vdev_stats(void *arg, ioreqd_stats_emit_fn emit, void *ctx)
{
	struct vdev *v = arg;
	struct ioreqd_virtio_stats ds;
	char group[32];

	if (!v->vdev)
		return;
	ioreqd_virtio_stats(v->vdev, &ds);
	emit(ctx, "virtio", "status", ioreqd_virtio_status(v->vdev));
	emit(ctx, "virtio", "resets", ds.resets);
	emit(ctx, "virtio", "needs_reset", ds.needs_reset);
	emit(ctx, "virtio", "bad_status", ds.bad_status);
	emit(ctx, "virtio", "bad_features", ds.bad_features);
	emit(ctx, "virtio", "bad_notify", ds.bad_notify);
	emit(ctx, "virtio", "bad_config", ds.bad_config);
	for (unsigned i = 0; i < ioreqd_virtio_num_queues(v->vdev); i++) {
		struct ioreqd_virtq_stats qs;
		uint64_t errors;

		ioreqd_virtq_stats(ioreqd_virtio_queue(v->vdev, i), &qs);
		errors = qs.failed;
		for (unsigned e = 0; e < IOREQD_VIRTQ_ERR_COUNT; e++)
			errors += qs.errors[e];
		snprintf(group, sizeof(group), "queue%u", i);
		emit(ctx, group, "requests", qs.requests);
		emit(ctx, group, "bytes_out", qs.bytes_out);
		emit(ctx, group, "bytes_in", qs.bytes_in);
		emit(ctx, group, "errors", errors);
		emit(ctx, group, "in_flight", qs.in_flight);
		emit(ctx, group, "kicks", qs.kicks);
		emit(ctx, group, "interrupts", qs.interrupts);
		emit(ctx, group, "suppressed", qs.suppressed);
	}
	if (v->tr->stats)
		v->tr->stats(v->tstate, emit, ctx);
	if (v->model->stats && v->mstate)
		v->model->stats(v->mstate, emit, ctx);
}

/* The guest's memory map changed: the core maps its rings again on next use. */
static void vdev_invalidate(void *arg)
{
	struct vdev *v = arg;

	if (v->vdev)
		ioreqd_virtio_invalidate(v->vdev);
}

static void vdev_resume_cb(void *arg)
{
	struct vdev *v = arg;

	if (v->vdev && ioreqd_virtio_resume(v->vdev))
		v->host->timer_arm(v->resume, 0);
}

void vdev_state_changed(struct vdev *v)
{
	if (IOREQD_HOST_HAS(v->host, state_changed))
		v->host->state_changed(v->dev);
}

void vdev_queue_notify(struct vdev *v, unsigned qidx)
{
	/* Without a timer to come back from, the device serves all of it now. */
	if (!v->resume) {
		ioreqd_virtio_queue_notify(v->vdev, qidx);
		return;
	}
	if (ioreqd_virtio_queue_notify_bounded(v->vdev, qidx))
		v->host->timer_arm(v->resume, 0);
}

int vdev_hook_init(const struct vdev_model *m, const struct ioreqd_host *host,
                   ioreqd_dev_t *dev, void **priv)
{
	struct vdev *v;
	int rc;

	*priv = NULL;
	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->host = host;
	v->dev = dev;
	v->model = m;
	v->params.error_status = -1;
	rc = common_keys(v);
	if (rc < 0)
		goto out;
	rc = m->init(host, dev, &v->params, &v->mstate);
	if (rc < 0)
		goto out;
	rc = grant_usage(v);
	if (rc < 0)
		goto out;
	v->params.device_id = m->device_id;
	v->params.gmem.ops = &nomem_ops;
	v->params.gmem.ctx = NULL;
	if (host->size >= offsetof(struct ioreqd_host, gmem) + sizeof(host->gmem) &&
	    host->gmem) {
		const struct ioreqd_gmem *gm = host->gmem(dev);

		if (gm)
			v->params.gmem = *gm;
	}
	v->resume = host->timer_new(dev, vdev_resume_cb, v);
	rc = v->tr->init(v, &v->tstate);
	if (rc < 0)
		goto out;
	if (host->size >= offsetof(struct ioreqd_host, invalidate_register) +
	                      sizeof(host->invalidate_register) &&
	    host->invalidate_register)
		host->invalidate_register(dev, vdev_invalidate, v);
	if (host->size >= offsetof(struct ioreqd_host, stats_register) +
	                      sizeof(host->stats_register) &&
	    host->stats_register)
		host->stats_register(dev, vdev_stats, v);
	*priv = v;
	return 0;
out:
	vdev_hook_fini(v);
	return rc;
}

int vdev_create(struct vdev *v, const struct ioreqd_virtio_transport_ops *tr_ops,
                void *tr_opaque)
{
	v->params.tr_ops = tr_ops;
	v->params.tr_opaque = tr_opaque;
	v->vdev = ioreqd_virtio_new(&v->params);
	if (!v->vdev) {
		int err = errno ? errno : EINVAL;

		v->host->log(v->dev, IOREQD_LOG_WARN, "%s: cannot create the device: %s",
		             v->model->name, strerror(err));
		return -err;
	}
	if (v->model->attach)
		v->model->attach(v->mstate, v->vdev);
	return 0;
}

void vdev_hook_fini(void *priv)
{
	struct vdev *v = priv;

	if (!v)
		return;
	if (v->model->quiesce && v->mstate)
		v->model->quiesce(v->mstate);
	v->host->timer_free(v->resume);
	/* Releases every request and ring mapping: before the model's state goes. */
	ioreqd_virtio_free(v->vdev);
	if (v->tr && v->tr->fini)
		v->tr->fini(v->tstate);
	if (v->model->fini)
		v->model->fini(v->mstate);
	free(v);
}

enum ioreqd_fault_result vdev_hook_access(ioreqd_fault_t *f, void *priv)
{
	struct vdev *v = priv;

	return v->tr->access(f, v->tstate);
}

/*
 * Device state: the core's record (VDEV_TAG_CORE), the transport's fields and
 * the model's.  Save quiesces the model first, so blk's I/O in flight is
 * completed and pushed to the used ring, and flushes the interrupts that
 * are due; load checks all three parts before it changes anything.
 */
int vdev_hook_save(void *priv, ioreqd_state_t *st)
{
	struct vdev *v = priv;
	uint8_t *rec = NULL;
	size_t len = 0;
	int rc;

	if (v->model->quiesce && v->mstate)
		v->model->quiesce(v->mstate);
	for (unsigned i = 0; i < ioreqd_virtio_num_queues(v->vdev); i++)
		ioreqd_virtq_notify(ioreqd_virtio_queue(v->vdev, i));
	rc = ioreqd_virtio_save(v->vdev, &rec, &len);
	if (rc == -EBUSY)
		v->host->log(v->dev, IOREQD_LOG_WARN,
		             "%s: a request is still in flight after quiescing",
		             v->model->name);
	if (rc == 0)
		rc = ioreqd_state_put(st, VDEV_TAG_CORE, rec, len);
	free(rec);
	if (rc == 0 && v->tr->save)
		rc = v->tr->save(v->tstate, st);
	if (rc == 0 && v->model->save)
		rc = v->model->save(v->mstate, st);
	return rc;
}

int vdev_hook_load(void *priv, ioreqd_state_t *st, unsigned version)
{
	struct vdev *v = priv;
	char why[200];
	uint8_t *rec = NULL;
	long len;
	int rc;

	(void)version; /* 1 is the only one */
	len = ioreqd_state_len(st, VDEV_TAG_CORE);
	if (len < 0) {
		ioreqd_state_fail(st, "no virtio core record");
		return -EBADMSG;
	}
	rec = malloc(len ? (size_t)len : 1);
	if (!rec)
		return -ENOMEM;
	if ((rc = ioreqd_state_get(st, VDEV_TAG_CORE, rec, (size_t)len)) < 0)
		goto out;
	/* Loading into a device that is running: finish its I/O first. */
	if (v->model->quiesce && v->mstate)
		v->model->quiesce(v->mstate);
	rc = ioreqd_virtio_load_check(v->vdev, rec, (size_t)len, why, sizeof(why));
	if (rc < 0) {
		ioreqd_state_fail(st, "%s", why);
		goto out;
	}
	if (v->model->load_check && (rc = v->model->load_check(v->mstate, st)) < 0)
		goto out;
	if (v->tr->load && (rc = v->tr->load(v->tstate, st)) < 0)
		goto out;
	/* Checked above, memory allocated by the check: this cannot refuse. */
	rc = ioreqd_virtio_load(v->vdev, rec, (size_t)len, why, sizeof(why));
	if (rc < 0) {
		ioreqd_state_fail(st, "%s", why);
		goto out;
	}
	/* Serve what the driver queued while no device model was there. */
	if (v->resume)
		v->host->timer_arm(v->resume, 0);
	else
		ioreqd_virtio_resume(v->vdev);
out:
	free(rec);
	return rc;
}
