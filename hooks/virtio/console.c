/* SPDX-License-Identifier: MIT */
/*
 * virtio-console device model (see console.h).  The chardev asks how much
 * room there is (rx_space): that pops one receive buffer and holds it until
 * input fills part of it (rx_push), which returns it used at once, so typed
 * characters reach the guest without waiting for a full buffer.  No buffer
 * to pop means no room: the chardev stops reading, and popping until -EAGAIN
 * armed the guest's next kick of receiveq0, which resumes it.
 */
#include "console.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define QUEUE_SIZE 256u

struct ioreqd_vcons {
	const struct ioreqd_host *host;
	ioreqd_dev_t *dev;
	ioreqd_virtio_dev_t *vdev;
	struct ioreqd_chardev *cd;
	ioreqd_virtq_req_t *rx_req; /* held receive buffer, or NULL */
	struct ioreqd_vcons_stats st;
};

static size_t vcons_rx_space(void *arg)
{
	struct ioreqd_vcons *c = arg;
	ioreqd_virtq_t *q;

	if (c->rx_req)
		return ioreqd_virtq_req_in_len(c->rx_req);
	if (!c->vdev || !(q = ioreqd_virtio_queue(c->vdev, IOREQD_VCONS_RXQ)))
		return 0;
	/* One call visits at most the queue's size; bounded like pop itself. */
	for (uint32_t i = 0; i <= IOREQD_VIRTQ_SIZE_MAX; i++) {
		if (ioreqd_virtq_pop(q, &c->rx_req) != 0) {
			c->rx_req = NULL;
			c->st.rx_waits++;
			return 0;
		}
		if (ioreqd_virtq_req_in_len(c->rx_req) > 0)
			return ioreqd_virtq_req_in_len(c->rx_req);
		/* A receive buffer the device cannot write: give it back. */
		c->st.bad_buffer++;
		c->host->log_rl(c->dev, IOREQD_LOG_WARN,
		                "receive buffer with no device-writable byte");
		ioreqd_virtq_push(c->rx_req, 0);
		c->rx_req = NULL;
		ioreqd_virtq_notify(q);
	}
	return 0;
}

static void vcons_rx_push(void *arg, const uint8_t *buf, size_t len)
{
	struct ioreqd_vcons *c = arg;
	ioreqd_virtq_req_t *req = c->rx_req;
	size_t n;

	if (!req)
		return;
	n = ioreqd_virtq_req_write(req, 0, buf, len);
	c->st.rx_bytes += n;
	c->rx_req = NULL;
	ioreqd_virtq_push(req, (uint32_t)n);
	ioreqd_virtq_notify(ioreqd_virtq_req_queue(req));
}

static const struct ioreqd_chardev_ops vcons_chardev_ops = {
    .rx_space = vcons_rx_space,
    .rx_push = vcons_rx_push,
};

static void transmit(struct ioreqd_vcons *c, ioreqd_virtq_t *q)
{
	ioreqd_virtq_req_t *req;
	bool pushed = false;

	while (ioreqd_virtq_pop(q, &req) == 0) {
		unsigned n;
		const struct iovec *iov = ioreqd_virtq_req_out(req, &n);

		for (unsigned i = 0; i < n; i++) {
			ioreqd_chardev_write(c->cd, iov[i].iov_base, iov[i].iov_len);
			c->st.tx_bytes += iov[i].iov_len;
		}
		ioreqd_virtq_push(req, 0);
		pushed = true;
	}
	if (pushed)
		ioreqd_virtq_notify(q);
}

static void vcons_queue_notify(void *opaque, ioreqd_virtq_t *q)
{
	struct ioreqd_vcons *c = opaque;

	if (ioreqd_virtq_index(q) == IOREQD_VCONS_TXQ)
		transmit(c, q);
	else
		ioreqd_chardev_rx_kick(c->cd); /* buffers posted: read input again */
}

static void vcons_reset(void *opaque)
{
	struct ioreqd_vcons *c = opaque;

	/* Stale after the reset: pushing only releases it. */
	if (c->rx_req)
		ioreqd_virtq_push(c->rx_req, 0);
	c->rx_req = NULL;
}

static const struct ioreqd_virtio_device_ops vcons_dev_ops = {
    .reset = vcons_reset,
    .queue_notify = vcons_queue_notify,
};

int ioreqd_vcons_new(const struct ioreqd_host *host, ioreqd_dev_t *dev,
                     struct ioreqd_virtio_params *p, struct ioreqd_vcons **out)
{
	struct ioreqd_vcons *c;
	int rc;

	*out = NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->host = host;
	c->dev = dev;
	rc = ioreqd_chardev_new(host, dev, &vcons_chardev_ops, c, &c->cd);
	if (rc < 0) {
		free(c);
		return rc;
	}
	p->device_id = IOREQD_VIRTIO_ID_CONSOLE;
	p->features = 0;
	p->num_queues = 2;
	if (!p->queue_max)
		p->queue_max = QUEUE_SIZE;
	p->config_size = IOREQD_VCONS_CONFIG_SIZE;
	p->error_status = -1;
	p->dev_ops = &vcons_dev_ops;
	p->dev_opaque = c;
	*out = c;
	return 0;
}

void ioreqd_vcons_attach(struct ioreqd_vcons *c, ioreqd_virtio_dev_t *vdev)
{
	uint8_t cfg[IOREQD_VCONS_CONFIG_SIZE] = {0};

	c->vdev = vdev;
	ioreqd_virtio_config_update(vdev, 0, cfg, sizeof(cfg), false);
}

void ioreqd_vcons_quiesce(struct ioreqd_vcons *c)
{
	if (c && c->rx_req)
		ioreqd_virtq_push(c->rx_req, 0);
	if (c)
		c->rx_req = NULL;
}

void ioreqd_vcons_free(struct ioreqd_vcons *c)
{
	if (!c)
		return;
	ioreqd_chardev_free(c->cd);
	free(c);
}

void ioreqd_vcons_stats(const struct ioreqd_vcons *c, struct ioreqd_vcons_stats *st)
{
	*st = c->st;
}

struct ioreqd_chardev *ioreqd_vcons_chardev(const struct ioreqd_vcons *c)
{
	return c->cd;
}
