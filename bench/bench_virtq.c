/* SPDX-License-Identifier: MIT */
/*
 * The virtio core in process: the guest-side driver and the device core on
 * one buffer of "guest RAM" (pointer-arithmetic gmem ops, as the sim backend
 * has), no transport.  One request = one 16-byte device-readable header and
 * a 1-byte device-writable status, as virtio-blk's smallest request.  Each
 * round the driver adds a batch, the device pops, answers and pushes, and
 * both sides apply the event-index maths; the figures are ns per request
 * (driver and device together) and kicks and interrupts per request, for
 *   depth 1:               one request per round, notify after it;
 *   depth 32, batched:     pop 32, push 32, notify once;
 *   depth 32, per request: pop 32, push and notify each.
 * Reports only; the virtio-blk targets of issue 14 are measured end to end
 * elsewhere.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ioreqd/virtio.h>

#include "bench.h"
#include "vdriver.h"

#define RAM_GPA 0x40000000ull
#define RAM_SIZE (1u << 20)
#define QSIZE 256u
#define DATA_OFF 0x80000u

struct rig {
	uint8_t *ram;
	ioreqd_virtio_dev_t *dev;
	ioreqd_virtq_t *q;
	struct ioreqd_vdrv drv;
	uint64_t irqs;
};

static int rig_map(void *ctx, uint64_t gpa, uint64_t len, bool write, void **hva,
                   uintptr_t *token)
{
	struct rig *r = ctx;

	if (gpa < RAM_GPA || len > RAM_SIZE || gpa - RAM_GPA > RAM_SIZE - len)
		return -EFAULT;
	*hva = r->ram + (gpa - RAM_GPA);
	return 0;
}

static void rig_unmap(void *ctx, void *hva, uint64_t len, uintptr_t token)
{
}

static const struct ioreqd_gmem_ops rig_gmem = {.map = rig_map, .unmap = rig_unmap};

static int rig_irq(void *opaque, unsigned qidx)
{
	struct rig *r = opaque;

	r->irqs++;
	return 0;
}

static int rig_config_irq(void *opaque)
{
	return 0;
}

static const struct ioreqd_virtio_transport_ops rig_tr = {
    .vring_interrupt = rig_irq,
    .config_interrupt = rig_config_irq,
};

static int rig_init(struct rig *r)
{
	uint64_t f =
	    (1ull << IOREQD_VIRTIO_F_VERSION_1) | (1ull << IOREQD_VIRTIO_F_EVENT_IDX);
	struct ioreqd_virtio_params p = {
	    .device_id = 2,
	    .num_queues = 1,
	    .queue_max = QSIZE,
	    .error_status = 1,
	    .gmem = {.ops = &rig_gmem, .ctx = r},
	    .tr_ops = &rig_tr,
	    .tr_opaque = r,
	};
	struct ioreqd_virtq_layout l;

	memset(r, 0, sizeof(*r));
	r->ram = calloc(1, RAM_SIZE);
	r->dev = r->ram ? ioreqd_virtio_new(&p) : NULL;
	if (!r->dev)
		return -ENOMEM;
	r->q = ioreqd_virtio_queue(r->dev, 0);
	ioreqd_virtio_set_status(r->dev, IOREQD_VIRTIO_S_ACKNOWLEDGE);
	ioreqd_virtio_set_status(r->dev,
	                         IOREQD_VIRTIO_S_ACKNOWLEDGE | IOREQD_VIRTIO_S_DRIVER);
	ioreqd_virtio_set_driver_features(r->dev, f);
	ioreqd_virtio_set_status(r->dev, IOREQD_VIRTIO_S_ACKNOWLEDGE |
	                                     IOREQD_VIRTIO_S_DRIVER |
	                                     IOREQD_VIRTIO_S_FEATURES_OK);
	if (ioreqd_vdrv_init(&r->drv, r->ram, RAM_GPA, RAM_SIZE, QSIZE, RAM_GPA, true, 0,
	                     0))
		return -EINVAL;
	l = (struct ioreqd_virtq_layout){QSIZE, r->drv.desc_gpa, r->drv.avail_gpa,
	                                 r->drv.used_gpa};
	if (ioreqd_virtq_enable(r->q, &l))
		return -EINVAL;
	return ioreqd_virtio_set_status(
	    r->dev, IOREQD_VIRTIO_S_ACKNOWLEDGE | IOREQD_VIRTIO_S_DRIVER |
	                IOREQD_VIRTIO_S_FEATURES_OK | IOREQD_VIRTIO_S_DRIVER_OK);
}

static void rig_fini(struct rig *r)
{
	ioreqd_virtio_free(r->dev);
	ioreqd_vdrv_fini(&r->drv);
	free(r->ram);
}

struct result {
	double ns_per_req, kicks_per_req, irqs_per_req;
};

/* Run rounds of @p depth requests for @p seconds. */
static int run(unsigned depth, bool batched, double seconds, struct result *res)
{
	static int cookie;
	ioreqd_virtq_req_t *reqs[QSIZE];
	struct rig r;
	uint64_t t0, end, n = 0, kicks = 0;
	uint8_t hdr[16];
	int rc = rig_init(&r);

	if (rc)
		return rc;
	t0 = bench_now_ns();
	end = t0 + (uint64_t)(seconds * 1e9);
	do {
		for (unsigned round = 0; round < 64; round++) {
			unsigned got = 0, k;
			uint32_t len;

			for (k = 0; k < depth; k++) {
				struct ioreqd_vdrv_buf b[2] = {
				    {RAM_GPA + DATA_OFF + k * 32, 16},
				    {RAM_GPA + DATA_OFF + k * 32 + 16, 1},
				};

				ioreqd_vdrv_add(&r.drv, b, 1, 1, false, &cookie);
			}
			kicks += ioreqd_vdrv_kick_needed(&r.drv);
			/* The device: pop until empty, answer, push; notify per batch. */
			while (got < QSIZE && ioreqd_virtq_pop(r.q, &reqs[got]) == 0) {
				ioreqd_virtq_req_read(reqs[got], 0, hdr, sizeof(hdr));
				ioreqd_virtq_req_write(reqs[got], 0, "", 1);
				if (!batched) {
					ioreqd_virtq_push(reqs[got], 1);
					ioreqd_virtq_notify(r.q);
				} else {
					got++;
				}
			}
			for (k = 0; k < got; k++)
				ioreqd_virtq_push(reqs[k], 1);
			if (batched)
				ioreqd_virtq_notify(r.q);
			while (ioreqd_vdrv_get_used(&r.drv, &len))
				n++;
			ioreqd_vdrv_enable_irq(&r.drv);
		}
	} while (bench_now_ns() < end);
	res->ns_per_req = (double)(bench_now_ns() - t0) / (double)n;
	res->kicks_per_req = (double)kicks / (double)n;
	res->irqs_per_req = (double)r.irqs / (double)n;
	rig_fini(&r);
	return 0;
}

int main(int argc, char *argv[])
{
	static const struct {
		const char *name;
		unsigned depth;
		bool batched;
	} cases[] = {
	    {"depth1", 1, true},
	    {"depth32_batched", 32, true},
	    {"depth32_per_request", 32, false},
	};
	struct bench_opts o;
	struct bench_json j;
	char key[64];

	bench_opts_parse(&o, argc, argv, "");
	if (o.quick)
		o.seconds = 0.02;
	if (bench_json_open(&j, o.json) < 0) {
		fprintf(stderr, "bench_virtq: cannot write %s: %s\n", o.json,
		        strerror(errno));
		return 1;
	}
	bench_json_obj(&j, NULL);
	printf("== virtio core in process (driver + device, event idx, queue %u)\n",
	       QSIZE);
	printf("%-22s %12s %14s %14s\n", "case", "ns/request", "kicks/request",
	       "irqs/request");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct result res;

		if (run(cases[i].depth, cases[i].batched, o.seconds, &res)) {
			fprintf(stderr, "bench_virtq: set-up failed\n");
			return 1;
		}
		printf("%-22s %12.1f %14.3f %14.3f\n", cases[i].name, res.ns_per_req,
		       res.kicks_per_req, res.irqs_per_req);
		bench_json_obj(&j, cases[i].name);
		bench_json_num(&j, "ns_per_request", res.ns_per_req);
		bench_json_num(&j, "kicks_per_request", res.kicks_per_req);
		bench_json_num(&j, "irqs_per_request", res.irqs_per_req);
		bench_json_end(&j, '}');
		snprintf(key, sizeof(key), "virtq.%s.ns_per_request", cases[i].name);
		bench_target(key, res.ns_per_req, "info", 0, "ns");
	}
	bench_json_end(&j, '}');
	bench_json_close(&j);
	return 0;
}
