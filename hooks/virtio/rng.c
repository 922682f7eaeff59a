/* SPDX-License-Identifier: MIT */
/*
 * virtio-rng (virtio 1.2, 5.4): one request queue whose device-writable
 * buffers the device fills from getrandom(2).  No features, no config space.
 * A request is answered at once, in the notify that brought it; each is
 * capped at RNG_MAX_BYTES so one kick cannot make the event loop hash for
 * long (the driver simply asks again).
 */
#include "vdev.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define RNG_DEVICE_ID 4u
#define RNG_MAX_BYTES 65536u

struct rng {
	const struct ioreqd_host *host;
	ioreqd_dev_t *dev;
};

/* Fill @p len bytes; @return how many (short only if getrandom fails). */
static size_t fill(struct rng *r, void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = getrandom((char *)buf + done, len - done, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r->host->log_rl(r->dev, IOREQD_LOG_WARN,
			                "virtio-rng: getrandom: %s",
			                n < 0 ? strerror(errno) : "no bytes");
			break;
		}
		done += (size_t)n;
	}
	return done;
}

static void rng_queue_notify(void *opaque, ioreqd_virtq_t *q)
{
	struct rng *r = opaque;
	ioreqd_virtq_req_t *req;

	while (ioreqd_virtq_pop(q, &req) == 0) {
		const struct iovec *iov;
		unsigned n;
		size_t total = 0;

		iov = ioreqd_virtq_req_in(req, &n);
		for (unsigned i = 0; i < n && total < RNG_MAX_BYTES; i++) {
			size_t want = iov[i].iov_len;
			size_t got;

			if (want > RNG_MAX_BYTES - total)
				want = RNG_MAX_BYTES - total;
			got = fill(r, iov[i].iov_base, want);
			total += got;
			if (got < want)
				break;
		}
		ioreqd_virtq_push(req, (uint32_t)total);
	}
	ioreqd_virtq_notify(q);
}

static const struct ioreqd_virtio_device_ops rng_ops = {
    .queue_notify = rng_queue_notify,
};

static int rng_init(const struct ioreqd_host *host, ioreqd_dev_t *dev,
                    struct ioreqd_virtio_params *p, void **state)
{
	struct rng *r = calloc(1, sizeof(*r));

	*state = r;
	if (!r)
		return -ENOMEM;
	r->host = host;
	r->dev = dev;
	p->num_queues = 1;
	p->dev_ops = &rng_ops;
	p->dev_opaque = r;
	return 0;
}

static void rng_fini(void *state)
{
	free(state);
}

static const struct vdev_model rng_model = {
    .name = "virtio-rng",
    .device_id = RNG_DEVICE_ID,
    .queue_default = 64,
    .init = rng_init,
    .fini = rng_fini,
};

static const struct ioreqd_hook_key rng_keys[] = {
    VDEV_COMMON_KEYS,
    {NULL, NULL},
};

VDEV_HOOK(virtio_rng, "virtio-rng", &rng_model, rng_keys,
          "virtio entropy source (virtio-rng) fed from getrandom(2)");
