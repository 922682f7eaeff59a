/* SPDX-License-Identifier: MIT */
/* The device-model test bench (see vmodel-fixture.h). */
#include "vmodel-fixture.h"

#include <check.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#define BIT(n) (1ull << (n))
#define RING_GPA(q) (0x1000ull + (q)*0x10000ull)
#define INDIRECT_GPA(q) (0x40000ull + (q)*0x10000ull)

/* The model being added: the test hook's init reaches it through here. */
static const struct vmf_model *cur_model;
static struct vmf *cur_f;

static int vmf_map(void *ctx, uint64_t gpa, uint64_t len, bool write, void **hva,
                   uintptr_t *token)
{
	struct vmf *f = ctx;

	(void)write;
	if (gpa >= MOCK_GUEST_SIZE || len > MOCK_GUEST_SIZE - gpa)
		return -EFAULT;
	*hva = mock_guest_mem(f->m) + gpa;
	*token = 0;
	return 0;
}

static void vmf_unmap(void *ctx, void *hva, uint64_t len, uintptr_t token)
{
	(void)ctx;
	(void)hva;
	(void)len;
	(void)token;
}

static const struct ioreqd_gmem_ops vmf_gmem_ops = {.map = vmf_map, .unmap = vmf_unmap};

static int vmf_vring_irq(void *opaque, unsigned qidx)
{
	struct vmf *f = opaque;

	ck_assert_uint_lt(qidx, VMF_QUEUES);
	f->vring_irqs[qidx]++;
	return 0;
}

static int vmf_config_irq(void *opaque)
{
	struct vmf *f = opaque;

	f->config_irqs++;
	return 0;
}

static const struct ioreqd_virtio_transport_ops vmf_tr_ops = {
    .vring_interrupt = vmf_vring_irq,
    .config_interrupt = vmf_config_irq,
};

static int vtest_init(const struct ioreqd_host *host, ioreqd_dev_t *dev, void **priv)
{
	struct ioreqd_virtio_params p = {0};
	struct vmf *f = cur_f;
	int rc;

	rc = cur_model->create(host, dev, &p, &f->model);
	if (rc < 0)
		return rc;
	p.gmem = (struct ioreqd_gmem){.ops = &vmf_gmem_ops, .ctx = f};
	p.tr_ops = &vmf_tr_ops;
	p.tr_opaque = f;
	f->vdev = ioreqd_virtio_new(&p);
	ck_assert_ptr_nonnull(f->vdev);
	cur_model->attach(f->model, f->vdev);
	*priv = f;
	return 0;
}

static void vtest_fini(void *priv)
{
	struct vmf *f = priv;

	if (!f)
		return;
	cur_model->quiesce(f->model);
	ioreqd_virtio_free(f->vdev);
	f->vdev = NULL;
	cur_model->destroy(f->model);
	f->model = NULL;
}

static enum ioreqd_fault_result vtest_access(ioreqd_fault_t *fault, void *priv)
{
	(void)fault;
	(void)priv;
	return IOREQD_FAULT_PASS;
}

int vmf_add(struct vmf *f, const struct vmf_model *model, const char *conf)
{
	static struct ioreqd_hook hook;
	char text[1024];

	memset(f, 0, sizeof(*f));
	f->m = mock_new(1);
	cur_model = model;
	cur_f = f;
	hook = (struct ioreqd_hook){
	    .abi = IOREQD_HOOK_ABI,
	    .name = model->name,
	    .summary = "test transport",
	    .keys = model->keys,
	    .init = vtest_init,
	    .fini = vtest_fini,
	    .access = vtest_access,
	};
	/* The core needs no range here, the daemon does: conf starts at line 4. */
	snprintf(text, sizeof(text), "mmio = 0x10000000+0x200\n%s", conf ? conf : "");
	return mock_add(f->m, &hook, "vd0", text, &f->dev);
}

void vmf_free(struct vmf *f)
{
	mock_free(f->m); /* runs vtest_fini */
	for (unsigned i = 0; i < VMF_QUEUES; i++)
		ioreqd_vdrv_fini(&f->drv[i]);
	memset(f, 0, sizeof(*f));
}

void *vmf_hva(struct vmf *f, uint64_t gpa)
{
	ck_assert_uint_lt(gpa, MOCK_GUEST_SIZE);
	return mock_guest_mem(f->m) + gpa;
}

void vmf_up(struct vmf *f, uint64_t features, unsigned nq, uint32_t qsize)
{
	uint8_t s = IOREQD_VIRTIO_S_ACKNOWLEDGE;
	bool ev = features & BIT(IOREQD_VIRTIO_F_EVENT_IDX);
	bool ind = features & BIT(IOREQD_VIRTIO_F_INDIRECT_DESC);

	features |= BIT(IOREQD_VIRTIO_F_VERSION_1);
	ck_assert_int_eq(ioreqd_virtio_set_status(f->vdev, s), 0);
	s |= IOREQD_VIRTIO_S_DRIVER;
	ck_assert_int_eq(ioreqd_virtio_set_status(f->vdev, s), 0);
	ck_assert_int_eq(ioreqd_virtio_set_driver_features(f->vdev, features), 0);
	s |= IOREQD_VIRTIO_S_FEATURES_OK;
	ck_assert_int_eq(ioreqd_virtio_set_status(f->vdev, s), 0);
	for (unsigned q = 0; q < nq; q++) {
		struct ioreqd_virtq_layout l;

		ioreqd_vdrv_fini(&f->drv[q]);
		ck_assert_int_eq(ioreqd_vdrv_init(&f->drv[q], mock_guest_mem(f->m), 0,
		                                  MOCK_GUEST_SIZE, qsize, RING_GPA(q), ev,
		                                  ind ? INDIRECT_GPA(q) : 0, 16),
		                 0);
		l = (struct ioreqd_virtq_layout){.size = qsize,
		                                 .desc = f->drv[q].desc_gpa,
		                                 .avail = f->drv[q].avail_gpa,
		                                 .used = f->drv[q].used_gpa};
		ck_assert_int_eq(ioreqd_virtq_enable(ioreqd_virtio_queue(f->vdev, q), &l),
		                 0);
	}
	s |= IOREQD_VIRTIO_S_DRIVER_OK;
	ck_assert_int_eq(ioreqd_virtio_set_status(f->vdev, s), 0);
	f->up = true;
}

bool vmf_kick(struct vmf *f, unsigned q)
{
	if (!ioreqd_vdrv_kick_needed(&f->drv[q]))
		return false;
	ioreqd_virtio_queue_notify(f->vdev, q);
	return true;
}

void *vmf_used(struct vmf *f, unsigned q, int fd, uint32_t *len)
{
	for (int tries = 0; tries < 1000; tries++) {
		void *c = ioreqd_vdrv_get_used(&f->drv[q], len);
		struct pollfd pfd = {.fd = fd, .events = POLLIN};

		if (c)
			return c;
		if (fd < 0 || poll(&pfd, 1, 10000) <= 0)
			return NULL;
		mock_fire_watch(f->m, fd, IOREQD_WATCH_READ);
	}
	return NULL;
}
