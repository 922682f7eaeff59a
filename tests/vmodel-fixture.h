/* SPDX-License-Identifier: MIT */
/*
 * A virtio device model (hooks/virtio/blk.c, console.c) on a test bench: the
 * mock daemon (tests/mock-host.c) gives it a real configuration section and
 * host services, a bare test transport creates the virtio core device over
 * the mock's guest memory and counts interrupts, and the guest side is
 * lib/virtio/vdriver.c.  Shared by check_virtio_blk and check_virtio_console.
 */
#ifndef IOREQD_TESTS_VMODEL_FIXTURE_H
#define IOREQD_TESTS_VMODEL_FIXTURE_H

#include <stdbool.h>
#include <stdint.h>

#include <ioreqd/hook.h>
#include <ioreqd/virtio.h>

#include "mock-host.h"
#include "vdriver.h"

#define VMF_DATA_GPA 0x80000ull /* buffers: up to the end of the mock's RAM */
#define VMF_QUEUES 2u

/** How the fixture drives a device model. */
struct vmf_model {
	const char *name; /* the test hook's name */
	const struct ioreqd_hook_key *keys;
	int (*create)(const struct ioreqd_host *host, ioreqd_dev_t *dev,
	              struct ioreqd_virtio_params *p, void **model);
	void (*attach)(void *model, ioreqd_virtio_dev_t *vdev);
	void (*quiesce)(void *model); /* before the core device is freed */
	void (*destroy)(void *model);
};

struct vmf {
	struct mock *m;
	ioreqd_dev_t *dev;
	void *model;
	ioreqd_virtio_dev_t *vdev;
	struct ioreqd_vdrv drv[VMF_QUEUES];
	unsigned vring_irqs[VMF_QUEUES];
	unsigned config_irqs;
	bool up;
};

/**
 * Create the device from @p conf (its section's keys).  @return 0, or the
 * create error (mock_error(f->m) has the message).
 */
int vmf_add(struct vmf *f, const struct vmf_model *model, const char *conf);
/** Tear down as the vdev glue does: quiesce, the core device, the model, the mock. */
void vmf_free(struct vmf *f);
/** Bring the device up with @p features and @p nq queues of @p qsize. */
void vmf_up(struct vmf *f, uint64_t features, unsigned nq, uint32_t qsize);
/** @return the host address of guest address @p gpa. */
void *vmf_hva(struct vmf *f, uint64_t gpa);
/** Kick queue @p q if the driver side says so.  @return true if kicked. */
bool vmf_kick(struct vmf *f, unsigned q);
/**
 * Collect one used buffer of queue @p q, waiting up to 10 s on @p fd (the
 * model's completion fd, or -1 for none) and firing the mock's watch.
 * @return the cookie, or NULL on timeout.
 */
void *vmf_used(struct vmf *f, unsigned q, int fd, uint32_t *len);

#endif /* IOREQD_TESTS_VMODEL_FIXTURE_H */
