/* SPDX-License-Identifier: MIT */
/*
 * The virtio-mmio transport, version 2 (virtio 1.2, 4.2.2): the register
 * window of the device's one MMIO range (at least 0x100 bytes plus the
 * config space; libxl gives 0x200), and its interrupt through the device's
 * `irq` line (an SPI on Arm, an ISA IRQ on x86) with host->irq_set_level.
 *
 * Interrupts follow a level model: the line is raised when InterruptStatus
 * goes from 0 to non-zero and lowered when the driver's InterruptACK brings it
 * back to 0.  That also suits Xen on Arm, where the device tree says edge and
 * set_irq_level(1) is one edge (level 0 is ignored there): a driver acks
 * before it looks at its rings, so an event after the ack finds the status 0
 * and makes a new edge.  `irq_mode = edge` (the default on Arm builds) skips
 * the lowering: on Xen/Arm it is a hypercall that does nothing, made while
 * the vCPU waits for its InterruptACK write to complete.
 *
 * QueueNotify completes at once: the device pops in the same call.  Registers
 * 0x000-0x0ff take aligned 32-bit accesses only; the config space from 0x100
 * takes 1, 2, 4 or 8 bytes inside it.  Anything else (bad size or alignment,
 * a read of a write-only register, a write of a read-only one, an offset
 * with no register) is counted, logged at a rate limit, and answered like an
 * unclaimed access: reads return all-ones, writes are dropped.
 */
#include "le.h"
#include "vdev.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MMIO_MAGIC 0x74726976u /* "virt" */
#define MMIO_VERSION 2u
#define MMIO_VENDOR 0x7e57u /* as testdev's PCI vendor */
#define MMIO_CONFIG 0x100u
/* Arm's device tree says edge rising for virtio-mmio (libxl's node). */
#if defined(__aarch64__) || defined(__arm__)
#define MMIO_EDGE_DEFAULT true
#else
#define MMIO_EDGE_DEFAULT false
#endif

enum {
	R_MAGIC = 0x000,
	R_VERSION = 0x004,
	R_DEVICE_ID = 0x008,
	R_VENDOR_ID = 0x00c,
	R_DEV_FEATURES = 0x010,
	R_DEV_FEATURES_SEL = 0x014,
	R_DRV_FEATURES = 0x020,
	R_DRV_FEATURES_SEL = 0x024,
	R_QUEUE_SEL = 0x030,
	R_QUEUE_NUM_MAX = 0x034,
	R_QUEUE_NUM = 0x038,
	R_QUEUE_READY = 0x044,
	R_QUEUE_NOTIFY = 0x050,
	R_INT_STATUS = 0x060,
	R_INT_ACK = 0x064,
	R_STATUS = 0x070,
	R_QUEUE_DESC_LO = 0x080,
	R_QUEUE_DESC_HI = 0x084,
	R_QUEUE_DRIVER_LO = 0x090,
	R_QUEUE_DRIVER_HI = 0x094,
	R_QUEUE_DEVICE_LO = 0x0a0,
	R_QUEUE_DEVICE_HI = 0x0a4,
	R_SHM_SEL = 0x0ac,
	R_SHM_LEN_LO = 0x0b0,
	R_SHM_LEN_HI = 0x0b4,
	R_SHM_BASE_LO = 0x0b8,
	R_SHM_BASE_HI = 0x0bc,
	R_CONFIG_GEN = 0x0fc,
};

#define INT_VRING 0x1u
#define INT_CONFIG 0x2u

/* What the driver has written for one queue before making it ready. */
struct mmio_queue {
	uint32_t num;
	uint64_t desc, driver, device;
};

struct mmio {
	struct vdev *v;
	uint64_t base, size; /* the register window: the device's one mmio range */
	unsigned irq;
	uint32_t dev_features_sel, drv_features_sel, queue_sel;
	uint64_t drv_features; /* assembled from the two halves */
	uint32_t int_status;
	bool edge;            /* irq_mode = edge: never lower the line */
	struct mmio_queue *q; /* one per queue */
	unsigned nr_queues;
	uint64_t bad_access; /* bad sizes, offsets, directions */
	uint64_t irq_errors; /* irq_set_level refusals */
};

static void bad(struct mmio *m, ioreqd_fault_t *f, const char *why)
{
	m->bad_access++;
	m->v->host->log_rl(m->v->dev, IOREQD_LOG_WARN,
	                   "virtio-mmio: v%u %s of %u bytes at +0x%" PRIx64 ": %s",
	                   ioreqd_fault_vcpu(f),
	                   ioreqd_fault_is_read(f) ? "read" : "write",
	                   ioreqd_fault_size(f), ioreqd_fault_offset(f), why);
}

static void set_line(struct mmio *m, unsigned level)
{
	if (!level && m->edge)
		return;
	if (m->v->host->irq_set_level(m->v->dev, m->irq, level) < 0)
		m->irq_errors++;
}

static int raise_int(struct mmio *m, uint32_t bit)
{
	uint32_t old = m->int_status;

	m->int_status |= bit;
	if (!old)
		set_line(m, 1);
	return 0;
}

static int mmio_vring_interrupt(void *opaque, unsigned qidx)
{
	(void)qidx;
	return raise_int(opaque, INT_VRING);
}

static int mmio_config_interrupt(void *opaque)
{
	return raise_int(opaque, INT_CONFIG);
}

static void mmio_core_log(void *opaque, int level, const char *msg)
{
	struct mmio *m = opaque;

	vdev_log(m->v, level, msg);
}

static const struct ioreqd_virtio_transport_ops mmio_tr_ops = {
    .vring_interrupt = mmio_vring_interrupt,
    .config_interrupt = mmio_config_interrupt,
    .log = mmio_core_log,
};

/* The driver reset the device (Status = 0): the transport's state goes too. */
static void mmio_reset(struct mmio *m)
{
	m->dev_features_sel = m->drv_features_sel = m->queue_sel = 0;
	m->drv_features = 0;
	memset(m->q, 0, m->nr_queues * sizeof(*m->q));
	if (m->int_status) {
		m->int_status = 0;
		set_line(m, 0);
	}
}

static struct mmio_queue *cur_queue(struct mmio *m, ioreqd_virtq_t **q)
{
	*q = ioreqd_virtio_queue(m->v->vdev, m->queue_sel);
	return *q ? &m->q[m->queue_sel] : NULL;
}

static bool read_reg(struct mmio *m, uint32_t off, uint32_t *val)
{
	ioreqd_virtio_dev_t *d = m->v->vdev;
	uint64_t feat;
	ioreqd_virtq_t *q;

	switch (off) {
	case R_MAGIC:
		*val = MMIO_MAGIC;
		return true;
	case R_VERSION:
		*val = MMIO_VERSION;
		return true;
	case R_DEVICE_ID:
		*val = ioreqd_virtio_device_id(d);
		return true;
	case R_VENDOR_ID:
		*val = MMIO_VENDOR;
		return true;
	case R_DEV_FEATURES:
		feat = ioreqd_virtio_device_features(d);
		*val = m->dev_features_sel > 1
		           ? 0
		           : (uint32_t)(feat >> (32 * m->dev_features_sel));
		return true;
	case R_QUEUE_NUM_MAX:
		*val = cur_queue(m, &q) ? ioreqd_virtq_max_size(q) : 0;
		return true;
	case R_QUEUE_READY:
		*val = cur_queue(m, &q) ? ioreqd_virtq_ready(q) : 0;
		return true;
	case R_INT_STATUS:
		*val = m->int_status;
		return true;
	case R_STATUS:
		*val = ioreqd_virtio_status(d);
		return true;
	case R_SHM_LEN_LO:
	case R_SHM_LEN_HI:
	case R_SHM_BASE_LO:
	case R_SHM_BASE_HI:
		/* No shared memory regions: a length of -1 says "not present". */
		*val = UINT32_MAX;
		return true;
	case R_CONFIG_GEN:
		*val = ioreqd_virtio_config_generation(d);
		return true;
	default:
		return false;
	}
}

static void set_half(uint64_t *v, bool hi, uint32_t val)
{
	if (hi)
		*v = (*v & 0xffffffffull) | (uint64_t)val << 32;
	else
		*v = (*v & ~0xffffffffull) | val;
}

static void queue_ready(struct mmio *m, struct mmio_queue *mq, ioreqd_virtq_t *q,
                        uint32_t val)
{
	struct ioreqd_virtq_layout l = {
	    .size = mq->num,
	    .desc = mq->desc,
	    .avail = mq->driver,
	    .used = mq->device,
	};

	if (!val) {
		if (ioreqd_virtq_ready(q))
			vdev_state_changed(m->v);
		ioreqd_virtq_disable(q);
		return;
	}
	if (ioreqd_virtq_ready(q))
		return;
	/* The core validates, logs and counts; a refused queue reads back 0. */
	if (ioreqd_virtq_enable(q, &l) == 0)
		vdev_state_changed(m->v);
}

/* @return false if the register cannot be written. */
static bool write_reg(struct mmio *m, uint32_t off, uint32_t val)
{
	ioreqd_virtio_dev_t *d = m->v->vdev;
	struct mmio_queue *mq;
	ioreqd_virtq_t *q;

	switch (off) {
	case R_DEV_FEATURES_SEL:
		m->dev_features_sel = val;
		return true;
	case R_DRV_FEATURES:
		/* Features above bit 63 do not exist: ignore those selectors. */
		if (m->drv_features_sel <= 1) {
			set_half(&m->drv_features, m->drv_features_sel == 1, val);
			ioreqd_virtio_set_driver_features(d, m->drv_features);
		}
		return true;
	case R_DRV_FEATURES_SEL:
		m->drv_features_sel = val;
		return true;
	case R_QUEUE_SEL:
		m->queue_sel = val;
		return true;
	case R_QUEUE_NOTIFY:
		vdev_queue_notify(m->v, val & 0xffffu);
		return true;
	case R_INT_ACK:
		if (m->int_status && !(m->int_status &= ~val))
			set_line(m, 0);
		return true;
	case R_STATUS: {
		uint8_t old = ioreqd_virtio_status(d);

		/* Only the low byte is the status: the core resets on it alone. */
		ioreqd_virtio_set_status(d, (uint8_t)val);
		if ((uint8_t)val == 0)
			mmio_reset(m);
		if (ioreqd_virtio_status(d) != old)
			vdev_state_changed(m->v);
		return true;
	}
	case R_SHM_SEL:
		return true;
	case R_QUEUE_NUM:
	case R_QUEUE_READY:
	case R_QUEUE_DESC_LO:
	case R_QUEUE_DESC_HI:
	case R_QUEUE_DRIVER_LO:
	case R_QUEUE_DRIVER_HI:
	case R_QUEUE_DEVICE_LO:
	case R_QUEUE_DEVICE_HI:
		break;
	default:
		return false;
	}
	mq = cur_queue(m, &q);
	if (!mq)
		return false;
	if (off == R_QUEUE_READY) {
		queue_ready(m, mq, q, val);
		return true;
	}
	/* The layout of a ready queue is fixed until it is disabled or reset. */
	if (ioreqd_virtq_ready(q))
		return false;
	switch (off) {
	case R_QUEUE_NUM:
		mq->num = val;
		break;
	case R_QUEUE_DESC_LO:
	case R_QUEUE_DESC_HI:
		set_half(&mq->desc, off == R_QUEUE_DESC_HI, val);
		break;
	case R_QUEUE_DRIVER_LO:
	case R_QUEUE_DRIVER_HI:
		set_half(&mq->driver, off == R_QUEUE_DRIVER_HI, val);
		break;
	default:
		set_half(&mq->device, off == R_QUEUE_DEVICE_HI, val);
		break;
	}
	return true;
}

static enum ioreqd_fault_result config_access(struct mmio *m, ioreqd_fault_t *f,
                                              uint32_t off, unsigned size)
{
	uint8_t buf[8] = {0};

	if (ioreqd_fault_is_read(f)) {
		if (ioreqd_virtio_config_read(m->v->vdev, off, buf, size) < 0) {
			bad(m, f, "outside the config space");
			return IOREQD_FAULT_ERROR;
		}
		ioreqd_fault_set_data(f, ioreqd_le_get(buf, size));
		return IOREQD_FAULT_HANDLED;
	}
	ioreqd_le_put(buf, ioreqd_fault_data(f), size);
	/* The core counts refusals; the write is dropped. */
	if (ioreqd_virtio_config_write(m->v->vdev, off, buf, size) < 0)
		bad(m, f, "config write refused");
	return IOREQD_FAULT_HANDLED;
}

static enum ioreqd_fault_result mmio_access(ioreqd_fault_t *f, void *tstate)
{
	struct mmio *m = tstate;
	uint64_t off = ioreqd_fault_offset(f); /* the device has this one range */
	unsigned size = ioreqd_fault_size(f);
	uint32_t val;

	if (off >= MMIO_CONFIG) {
		if (size != 1 && size != 2 && size != 4 && size != 8) {
			bad(m, f, "config access size");
			return IOREQD_FAULT_ERROR;
		}
		return config_access(m, f, (uint32_t)(off - MMIO_CONFIG), size);
	}
	if (size != 4 || (off & 3)) {
		bad(m, f, "registers take aligned 32-bit accesses");
		return IOREQD_FAULT_ERROR;
	}
	if (ioreqd_fault_is_read(f)) {
		if (!read_reg(m, (uint32_t)off, &val)) {
			bad(m, f, "not a readable register");
			return IOREQD_FAULT_ERROR;
		}
		ioreqd_fault_set_data(f, val);
		return IOREQD_FAULT_HANDLED;
	}
	if (!write_reg(m, (uint32_t)off, (uint32_t)ioreqd_fault_data(f))) {
		bad(m, f, "not a writable register now");
		return IOREQD_FAULT_ERROR;
	}
	return IOREQD_FAULT_HANDLED;
}

static void mmio_stats(void *tstate, ioreqd_stats_emit_fn emit, void *ctx)
{
	struct mmio *m = tstate;

	emit(ctx, "transport", "bad_access", m->bad_access);
	emit(ctx, "transport", "irq_errors", m->irq_errors);
	emit(ctx, "transport", "int_status", m->int_status);
}

/*
 * Device state: the selectors, the driver features as written, the
 * interrupt status (the line follows it) and each queue's registers.
 */
enum {
	TAG_SELECTORS = VDEV_TAG_TRANSPORT, /* 3 x le32: dev, drv features, queue */
	TAG_DRV_FEATURES,                   /* le64 */
	TAG_INT_STATUS,                     /* le32 */
	TAG_QUEUES,                         /* per queue: le32 num, 3 x le64 */
};
#define MMIO_QUEUE_REC 28u

static int mmio_save(void *tstate, ioreqd_state_t *st)
{
	struct mmio *m = tstate;
	uint8_t sel[12], *qs;
	int rc;

	ioreqd_le_put(sel, m->dev_features_sel, 4);
	ioreqd_le_put(sel + 4, m->drv_features_sel, 4);
	ioreqd_le_put(sel + 8, m->queue_sel, 4);
	qs = calloc(m->nr_queues, MMIO_QUEUE_REC);
	if (!qs)
		return -ENOMEM;
	for (unsigned i = 0; i < m->nr_queues; i++) {
		uint8_t *p = qs + (size_t)i * MMIO_QUEUE_REC;

		ioreqd_le_put(p, m->q[i].num, 4);
		ioreqd_le_put(p + 4, m->q[i].desc, 8);
		ioreqd_le_put(p + 12, m->q[i].driver, 8);
		ioreqd_le_put(p + 20, m->q[i].device, 8);
	}
	if ((rc = ioreqd_state_put(st, TAG_SELECTORS, sel, sizeof(sel))) == 0 &&
	    (rc = ioreqd_state_put_u64(st, TAG_DRV_FEATURES, m->drv_features)) == 0 &&
	    (rc = ioreqd_state_put_u32(st, TAG_INT_STATUS, m->int_status)) == 0)
		rc = ioreqd_state_put(st, TAG_QUEUES, qs,
		                      (size_t)m->nr_queues * MMIO_QUEUE_REC);
	free(qs);
	return rc;
}

static int mmio_load(void *tstate, ioreqd_state_t *st)
{
	struct mmio *m = tstate;
	size_t qlen = (size_t)m->nr_queues * MMIO_QUEUE_REC;
	uint8_t sel[12], *qs;
	uint64_t drv;
	uint32_t isr;
	int rc;

	qs = malloc(qlen);
	if (!qs)
		return -ENOMEM;
	if ((rc = ioreqd_state_get(st, TAG_SELECTORS, sel, sizeof(sel))) < 0 ||
	    (rc = ioreqd_state_get_u64(st, TAG_DRV_FEATURES, &drv)) < 0 ||
	    (rc = ioreqd_state_get_u32(st, TAG_INT_STATUS, &isr)) < 0 ||
	    (rc = ioreqd_state_get(st, TAG_QUEUES, qs, qlen)) < 0)
		goto out;
	if (isr & ~(INT_VRING | INT_CONFIG)) {
		ioreqd_state_fail(st, "virtio-mmio interrupt status 0x%x", isr);
		rc = -EBADMSG;
		goto out;
	}
	m->dev_features_sel = (uint32_t)ioreqd_le_get(sel, 4);
	m->drv_features_sel = (uint32_t)ioreqd_le_get(sel + 4, 4);
	m->queue_sel = (uint32_t)ioreqd_le_get(sel + 8, 4);
	m->drv_features = drv;
	for (unsigned i = 0; i < m->nr_queues; i++) {
		const uint8_t *p = qs + (size_t)i * MMIO_QUEUE_REC;

		m->q[i].num = (uint32_t)ioreqd_le_get(p, 4);
		m->q[i].desc = ioreqd_le_get(p + 4, 8);
		m->q[i].driver = ioreqd_le_get(p + 12, 8);
		m->q[i].device = ioreqd_le_get(p + 20, 8);
	}
	/* The line is whatever the status says, in this daemon as in the old. */
	m->int_status = isr;
	set_line(m, isr != 0);
out:
	free(qs);
	return rc;
}

static void mmio_fini(void *tstate)
{
	struct mmio *m = tstate;

	if (!m)
		return;
	/* Leave the guest's line low. */
	if (m->int_status)
		set_line(m, 0);
	free(m->q);
	free(m);
}

static int mmio_init(struct vdev *v, void **tstate)
{
	const struct ioreqd_host *host = v->host;
	enum ioreqd_space space;
	uint64_t last;
	const char *mode;
	struct mmio *m;
	int irq, rc;

	*tstate = NULL;
	if (host->range_get(v->dev, 0, &space, &(uint64_t){0}, &last) < 0 ||
	    host->range_get(v->dev, 1, &space, &(uint64_t){0}, &last) == 0)
		return host->cfg_error(
		    v->dev, NULL,
		    "virtio-mmio needs exactly one range: mmio = BASE+SIZE");
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->v = v;
	host->range_get(v->dev, 0, &space, &m->base, &last);
	m->size = last - m->base + 1;
	if (space != IOREQD_SPACE_MMIO || m->size < MMIO_CONFIG + v->params.config_size) {
		rc = host->cfg_error(
		    v->dev, NULL,
		    "virtio-mmio needs an mmio range of at least 0x%x bytes "
		    "(libxl uses 0x200)",
		    MMIO_CONFIG + v->params.config_size);
		goto out;
	}
	irq = host->cfg_irq(v->dev);
	if (irq < 0) {
		rc = host->cfg_error(
		    v->dev, NULL,
		    "virtio-mmio needs irq = N (an SPI on Arm, an ISA IRQ on x86)");
		goto out;
	}
	m->irq = (unsigned)irq;
	mode = host->cfg_str(v->dev, "irq_mode");
	if (!mode)
		m->edge = MMIO_EDGE_DEFAULT;
	else if (!strcmp(mode, "edge") || !strcmp(mode, "level"))
		m->edge = mode[0] == 'e';
	else {
		rc = host->cfg_error(v->dev, "irq_mode", "'%s' is neither edge nor level",
		                     mode);
		goto out;
	}
	m->nr_queues = v->params.num_queues;
	m->q = calloc(m->nr_queues, sizeof(*m->q));
	if (!m->q) {
		rc = -ENOMEM;
		goto out;
	}
	rc = vdev_create(v, &mmio_tr_ops, m);
	if (rc < 0)
		goto out;
	*tstate = m;
	return 0;
out:
	free(m->q);
	free(m);
	return rc;
}

const struct vdev_transport vdev_mmio = {
    .name = "mmio",
    .init = mmio_init,
    .fini = mmio_fini,
    .access = mmio_access,
    .stats = mmio_stats,
    .save = mmio_save,
    .load = mmio_load,
};
