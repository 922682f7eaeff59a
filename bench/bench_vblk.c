/* SPDX-License-Identifier: MIT */
/*
 * virtio-blk in process against pread/pwrite: the device model
 * (hooks/virtio/blk.c, io_uring underneath) and the virtio core serve a
 * guest-side driver (lib/virtio/vdriver.c) on a buffer of "guest RAM" with
 * pointer-arithmetic gmem (as the sim backend maps its RAM), no transport and
 * no ioreq round trip: what the device costs.  The disk is a file in the
 * page cache; the same run does the same I/O with pread/pwrite from one
 * thread, and the figures are ratios of the two, interleaved:
 *   4 KiB random reads at queue depth 1 and 32 (IOPS),
 *   1 MiB sequential reads and writes (bandwidth),
 * plus kicks and interrupts per request (event idx: a batch of 32 should
 * cost one kick and one interrupt).  Targets are printed, never asserted.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ioreqd/virtio.h>

#include "bench.h"
#include "vdriver.h"
#include "virtio/blk.h"

#define RAM_GPA 0x40000000ull
#define RAM_SIZE (8u << 20)
#define QSIZE 256u
#define RING_GPA (RAM_GPA + 0x1000)
#define IND_GPA (RAM_GPA + 0x10000)
#define HDR_GPA (RAM_GPA + 0x40000)
#define STATUS_GPA (RAM_GPA + 0x48000)
#define DATA_GPA (RAM_GPA + 0x100000)
#define DISK_SIZE (64u << 20)

struct rig {
	uint8_t *ram;
	char path[256];
	int fd; /* the same file, for pread/pwrite */
	struct ioreqd_vblk *b;
	ioreqd_virtio_dev_t *dev;
	ioreqd_virtq_t *q;
	struct ioreqd_vdrv drv;
	void (*watch_cb)(int fd, unsigned events, void *arg);
	void *watch_arg;
	int watch_fd;
	uint64_t irqs;
};

static struct rig R;

/* --- the host services the model uses: configuration and one watch --- */
static void h_log(ioreqd_dev_t *dev, enum ioreqd_log_level level, const char *fmt, ...)
{
	va_list ap;

	if (level != IOREQD_LOG_WARN)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static const char *h_dev_name(ioreqd_dev_t *dev)
{
	return "vblk0";
}

static const char *h_cfg_str(ioreqd_dev_t *dev, const char *key)
{
	return strcmp(key, "path") == 0 ? R.path : NULL;
}

static int h_cfg_u64(ioreqd_dev_t *dev, const char *key, uint64_t def, uint64_t *out)
{
	*out = strcmp(key, "queue_size") == 0 ? QSIZE : def;
	return 0;
}

static int h_cfg_error(ioreqd_dev_t *dev, const char *key, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "bench_vblk: %s: ", key ? key : "");
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -EINVAL;
}

static ioreqd_watch_t *h_watch_new(ioreqd_dev_t *dev, int fd, unsigned events,
                                   void (*cb)(int fd, unsigned events, void *arg),
                                   void *arg)
{
	R.watch_fd = fd;
	R.watch_cb = cb;
	R.watch_arg = arg;
	return (ioreqd_watch_t *)&R;
}

static void h_watch_free(ioreqd_watch_t *w)
{
	R.watch_cb = NULL;
}

static const struct ioreqd_host host = {
    .abi = IOREQD_HOOK_ABI,
    .size = sizeof(struct ioreqd_host),
    .log = h_log,
    .log_rl = h_log,
    .dev_name = h_dev_name,
    .cfg_str = h_cfg_str,
    .cfg_u64 = h_cfg_u64,
    .cfg_error = h_cfg_error,
    .watch_new = h_watch_new,
    .watch_free = h_watch_free,
};

/* --- guest memory and transport --- */
static int rig_map(void *ctx, uint64_t gpa, uint64_t len, bool write, void **hva,
                   uintptr_t *token)
{
	if (gpa < RAM_GPA || len > RAM_SIZE || gpa - RAM_GPA > RAM_SIZE - len)
		return -EFAULT;
	*hva = R.ram + (gpa - RAM_GPA);
	*token = 0;
	return 0;
}

static void rig_unmap(void *ctx, void *hva, uint64_t len, uintptr_t token)
{
}

static const struct ioreqd_gmem_ops rig_gmem = {.map = rig_map, .unmap = rig_unmap};

static int rig_irq(void *opaque, unsigned q)
{
	R.irqs++;
	return 0;
}

static int rig_cfg_irq(void *opaque)
{
	return 0;
}

static const struct ioreqd_virtio_transport_ops rig_tr = {
    .vring_interrupt = rig_irq,
    .config_interrupt = rig_cfg_irq,
};

static int rig_up(void)
{
	struct ioreqd_virtio_params p = {0};
	struct ioreqd_virtq_layout l;
	uint64_t feat;
	char *buf;
	uint8_t s = IOREQD_VIRTIO_S_ACKNOWLEDGE | IOREQD_VIRTIO_S_DRIVER;

	snprintf(R.path, sizeof(R.path), "%s/ioreqd-bench-vblk.XXXXXX",
	         getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	R.fd = mkstemp(R.path);
	if (R.fd < 0)
		return -errno;
	/* Fill the disk so that it sits in the page cache. */
	buf = malloc(1u << 20);
	if (!buf)
		return -ENOMEM;
	memset(buf, 0x5a, 1u << 20);
	for (unsigned i = 0; i < DISK_SIZE >> 20; i++)
		if (write(R.fd, buf, 1u << 20) != 1 << 20)
			return -EIO;
	free(buf);
	R.ram = aligned_alloc(4096, RAM_SIZE);
	if (!R.ram)
		return -ENOMEM;
	memset(R.ram, 0, RAM_SIZE);
	p.queue_max = QSIZE;
	if (ioreqd_vblk_new(&host, NULL, &p, &R.b) < 0)
		return -EINVAL;
	p.gmem = (struct ioreqd_gmem){.ops = &rig_gmem, .ctx = &R};
	p.tr_ops = &rig_tr;
	R.dev = ioreqd_virtio_new(&p);
	if (!R.dev)
		return -ENOMEM;
	ioreqd_vblk_attach(R.b, R.dev);
	R.q = ioreqd_virtio_queue(R.dev, 0);
	feat = ioreqd_virtio_device_features(R.dev);
	if (ioreqd_virtio_set_status(R.dev, IOREQD_VIRTIO_S_ACKNOWLEDGE) ||
	    ioreqd_virtio_set_status(R.dev, s) ||
	    ioreqd_virtio_set_driver_features(R.dev, feat) ||
	    ioreqd_virtio_set_status(R.dev, s |= IOREQD_VIRTIO_S_FEATURES_OK))
		return -EINVAL;
	if (ioreqd_vdrv_init(&R.drv, R.ram, RAM_GPA, RAM_SIZE, QSIZE, RING_GPA, true,
	                     IND_GPA, 8))
		return -EINVAL;
	l = (struct ioreqd_virtq_layout){.size = QSIZE,
	                                 .desc = R.drv.desc_gpa,
	                                 .avail = R.drv.avail_gpa,
	                                 .used = R.drv.used_gpa};
	if (ioreqd_virtq_enable(R.q, &l) ||
	    ioreqd_virtio_set_status(R.dev, s | IOREQD_VIRTIO_S_DRIVER_OK))
		return -EINVAL;
	return 0;
}

static void rig_down(void)
{
	ioreqd_vblk_quiesce(R.b);
	ioreqd_virtio_free(R.dev);
	ioreqd_vblk_free(R.b);
	ioreqd_vdrv_fini(&R.drv);
	close(R.fd);
	unlink(R.path);
	free(R.ram);
}

/* Queue request @p slot: @p len bytes at @p sector, data at DATA_GPA + slot * len. */
static void add(unsigned slot, bool wr, uint64_t sector, uint32_t len)
{
	struct {
		uint32_t type, reserved;
		uint64_t sector;
	} hdr = {wr ? IOREQD_VBLK_T_OUT : IOREQD_VBLK_T_IN, 0, sector};
	uint64_t hdr_gpa = HDR_GPA + slot * 16u;
	struct ioreqd_vdrv_buf b[3] = {{hdr_gpa, 16},
	                               {DATA_GPA + (uint64_t)slot * len, len},
	                               {STATUS_GPA + slot, 1}};

	memcpy(R.ram + (hdr_gpa - RAM_GPA), &hdr, sizeof(hdr));
	if (ioreqd_vdrv_add(&R.drv, b, wr ? 2 : 1, wr ? 1 : 2, true,
	                    (void *)(uintptr_t)(slot + 1)) < 0)
		abort();
}

/* Collect @p n used buffers, waiting on the completion eventfd when needed. */
static void collect(unsigned n)
{
	uint32_t len;

	while (n > 0) {
		if (ioreqd_vdrv_get_used(&R.drv, &len)) {
			n--;
			continue;
		}
		struct pollfd p = {.fd = R.watch_fd, .events = POLLIN};

		if (poll(&p, 1, 10000) != 1)
			abort();
		R.watch_cb(R.watch_fd, IOREQD_WATCH_READ, R.watch_arg);
	}
}

struct point {
	double per_sec;     /* requests */
	double kicks, irqs; /* per request */
	double cpu_us;      /* CPU time per request (every thread: io-wq's too) */
};

/* virtio: rounds of @p depth requests of @p len bytes. */
static void run_virtio(unsigned depth, uint32_t len, bool wr, bool seq, double secs,
                       struct point *pt)
{
	struct ioreqd_virtq_stats s0, s1;
	uint64_t rnd = 0x9e3779b97f4a7c15ull, reqs = 0, pos = 0, t0, irq0 = R.irqs;
	uint64_t nsect = DISK_SIZE / 512, lsect = len / 512;

	uint64_t c0 = bench_cpu_ns();

	ioreqd_virtq_stats(R.q, &s0);
	t0 = bench_now_ns();
	do {
		for (unsigned i = 0; i < depth; i++) {
			uint64_t sector;

			if (seq) {
				sector = pos;
				pos = (pos + lsect) % nsect;
			} else {
				sector = (bench_rand(&rnd) % (nsect / lsect)) * lsect;
			}
			add(i, wr, sector, len);
		}
		ioreqd_vdrv_enable_irq(&R.drv);
		if (ioreqd_vdrv_kick_needed(&R.drv))
			ioreqd_virtio_queue_notify(R.dev, 0);
		collect(depth);
		reqs += depth;
	} while (bench_now_ns() - t0 < (uint64_t)(secs * 1e9));
	ioreqd_virtq_stats(R.q, &s1);
	pt->per_sec = (double)reqs / ((double)(bench_now_ns() - t0) / 1e9);
	pt->kicks = (double)(s1.kicks - s0.kicks) / (double)reqs;
	pt->irqs = (double)(R.irqs - irq0) / (double)reqs;
	pt->cpu_us = (double)(bench_cpu_ns() - c0) / 1e3 / (double)reqs;
}

/* pread/pwrite by one thread, into the same guest buffer. */
static void run_plain(uint32_t len, bool wr, bool seq, double secs, struct point *pt)
{
	uint64_t rnd = 0x9e3779b97f4a7c15ull, reqs = 0, pos = 0, t0;
	uint64_t nblk = DISK_SIZE / len;
	uint8_t *buf = R.ram + (DATA_GPA - RAM_GPA);
	uint64_t c0 = bench_cpu_ns();

	t0 = bench_now_ns();
	do {
		for (unsigned i = 0; i < 32; i++) {
			off_t off;

			if (seq) {
				off = (off_t)(pos * len);
				pos = (pos + 1) % nblk;
			} else {
				off = (off_t)((bench_rand(&rnd) % nblk) * len);
			}
			if ((wr ? pwrite(R.fd, buf, len, off)
			        : pread(R.fd, buf, len, off)) != (ssize_t)len)
				abort();
		}
		reqs += 32;
	} while (bench_now_ns() - t0 < (uint64_t)(secs * 1e9));
	pt->per_sec = (double)reqs / ((double)(bench_now_ns() - t0) / 1e9);
	pt->kicks = pt->irqs = 0;
	pt->cpu_us = (double)(bench_cpu_ns() - c0) / 1e3 / (double)reqs;
}

int main(int argc, char *argv[])
{
	static const struct {
		const char *name;
		unsigned depth;
		uint32_t len;
		bool wr, seq;
		double target; /* ratio to pread/pwrite; 0: none */
	} cases[] = {
	    {"rand4k_read_qd1", 1, 4096, false, false, 0},
	    {"rand4k_read_qd32", 32, 4096, false, false, 0.8},
	    {"seq1m_read", 1, 1u << 20, false, true, 0.9},
	    {"seq1m_write", 1, 1u << 20, true, true, 0.9},
	};
	struct bench_opts o;
	struct bench_json j;
	char key[80];
	int rc;

	bench_opts_parse(&o, argc, argv, "");
	if (o.quick)
		o.seconds = 0.05;
	if ((rc = rig_up()) < 0) {
		fprintf(stderr, "bench_vblk: set-up failed: %s\n", strerror(-rc));
		return 1;
	}
	if (bench_json_open(&j, o.json) < 0) {
		fprintf(stderr, "bench_vblk: cannot write %s\n", o.json);
		return 1;
	}
	bench_json_obj(&j, NULL);
	printf("== virtio-blk in process vs pread/pwrite (64 MiB file in the page cache, "
	       "io_uring, event idx, queue %u)\n",
	       QSIZE);
	printf("v_cpu, p_cpu: CPU time per request in us (virtio, pread)\n");
	printf("%-18s %12s %12s %8s %10s %10s %7s %7s\n", "case", "virtio/s", "pread/s",
	       "ratio", "kicks/req", "irqs/req", "v_cpu", "p_cpu");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct point v = {0}, p = {0}, t;
		double ratio;

		/* Interleaved halves, so that drift hits both sides alike. */
		for (int half = 0; half < 2; half++) {
			run_virtio(cases[i].depth, cases[i].len, cases[i].wr,
			           cases[i].seq, o.seconds / 2, &t);
			v.per_sec += t.per_sec / 2;
			v.kicks += t.kicks / 2;
			v.irqs += t.irqs / 2;
			v.cpu_us += t.cpu_us / 2;
			run_plain(cases[i].len, cases[i].wr, cases[i].seq, o.seconds / 2,
			          &t);
			p.per_sec += t.per_sec / 2;
			p.cpu_us += t.cpu_us / 2;
		}
		ratio = v.per_sec / p.per_sec;
		printf("%-18s %12.0f %12.0f %8.2f %10.3f %10.3f %7.2f %7.2f\n",
		       cases[i].name, v.per_sec, p.per_sec, ratio, v.kicks, v.irqs,
		       v.cpu_us, p.cpu_us);
		bench_json_obj(&j, cases[i].name);
		bench_json_num(&j, "virtio_per_sec", v.per_sec);
		bench_json_num(&j, "plain_per_sec", p.per_sec);
		bench_json_num(&j, "ratio", ratio);
		bench_json_num(&j, "kicks_per_request", v.kicks);
		bench_json_num(&j, "irqs_per_request", v.irqs);
		bench_json_num(&j, "cpu_us_per_request", v.cpu_us);
		bench_json_num(&j, "plain_cpu_us_per_request", p.cpu_us);
		bench_json_end(&j, '}');
		snprintf(key, sizeof(key), "vblk.%s.ratio", cases[i].name);
		if (cases[i].target > 0)
			bench_target(key, ratio, ">=", cases[i].target, "x");
		else
			bench_target(key, ratio, "info", 0, "x");
		if (cases[i].depth == 32) {
			snprintf(key, sizeof(key), "vblk.%s.notifications",
			         cases[i].name);
			bench_target(key, v.kicks + v.irqs, "<=", 0.25, "/req");
		}
	}
	bench_json_end(&j, '}');
	bench_json_close(&j);
	rig_down();
	return 0;
}
