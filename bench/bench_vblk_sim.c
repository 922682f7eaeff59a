/* SPDX-License-Identifier: MIT */
/*
 * virtio-blk end to end on the sim backend against pread/pwrite: this
 * process is the simulated hypervisor and its guest (sim/simhv.h), whose
 * virtio driver (lib/virtio/vguest.h, through sim/simvirtio.c) drives a
 * virtio-mmio virtio-blk device served by the real ioreqd, started as a
 * child with --backend=sim.  Every kick and every InterruptStatus read and
 * acknowledgement is an ioreq round trip to the daemon; the data moves
 * between the disk file (in the page cache) and guest RAM in the daemon.
 *
 * The same run does the same I/O with pread/pwrite from one thread into the
 * same guest buffers, in alternating rounds, and the figures are ratios of
 * the medians over the rounds:
 *   4 KiB random reads at queue depth 1 and 32 (IOPS),
 *   1 MiB sequential reads and writes (bandwidth),
 * plus the kicks the guest made and the interrupts it took per request.
 * Targets are printed, never asserted.
 */
#include "build-config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "simhv.h"
#include "simvirtio.h"

#define DOMID 9u
#define RAM_SIZE (8ull << 20)
#define MMIO_BASE 0x02000000ull
#define IRQ 33u
#define QSIZE 128u
#define HDR_GPA 0x10000ull    /* 16 bytes per slot */
#define STATUS_GPA 0x18000ull /* 1 byte per slot */
#define DATA_GPA 0x100000ull  /* slot * len */
#define DISK_SIZE (64u << 20)
#define ROUNDS 7u
#define TIMEOUT_MS 10000u
#define MAX_DEPTH 32u

static struct bench_opts opts;
static char workdir[256], disk[300], conf[300], sock[300], logpath[300];
static struct ioreqd_simhv *hv;
static pid_t daemon_pid = -1;
static struct sg_vdev vdev;
static uint8_t *ram;
static int disk_fd = -1;
static uint64_t kicks, irqs;

static void die(const char *what)
{
	fprintf(stderr, "bench_vblk_sim: %s failed\n", what);
	exit(1);
}

static int write_disk(void)
{
	char *buf = malloc(1u << 20);
	int fd = open(disk, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0 || !buf) {
		free(buf);
		return -errno;
	}
	/* Written, so that the whole disk sits in the page cache. */
	memset(buf, 0x5a, 1u << 20);
	for (unsigned i = 0; i < DISK_SIZE >> 20; i++)
		if (write(fd, buf, 1u << 20) != 1 << 20) {
			free(buf);
			close(fd);
			return -EIO;
		}
	free(buf);
	disk_fd = fd;
	return 0;
}

static int write_conf(void)
{
	FILE *fp = fopen(conf, "w");

	if (!fp)
		return -errno;
	fprintf(fp,
	        "; written by bench_vblk_sim\n[global]\nlog_level = warn\n\n"
	        "[device disk0]\nhook = virtio-blk\nmmio = 0x%llx+0x200\nirq = %u\n"
	        "queue_size = %u\npath = %s\n",
	        (unsigned long long)MMIO_BASE, IRQ, QSIZE, disk);
	return fclose(fp) ? -errno : 0;
}

static int daemon_start(void)
{
	struct ioreqd_simhv_config hc = {0};
	int rc;

	hc.socket_path = sock;
	hc.domid = DOMID;
	hc.nr_vcpus = 1;
	hc.ram_size = RAM_SIZE;
	hc.timeout_ms = TIMEOUT_MS; /* a busy machine is no broken daemon */
	hv = ioreqd_simhv_new(&hc);
	if (!hv)
		return -errno;
	daemon_pid = fork();
	if (daemon_pid < 0)
		return -errno;
	if (daemon_pid == 0) {
		char domid[16], sockopt[320], hookopt[300];
		int fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		snprintf(domid, sizeof(domid), "%u", DOMID);
		snprintf(sockopt, sizeof(sockopt), "--sim-socket=%s", sock);
		snprintf(hookopt, sizeof(hookopt), "--hook-dir=%s", opts.hookdir);
		execl(opts.daemon, opts.daemon, "-d", domid, "-c", conf, "--backend=sim",
		      sockopt, hookopt, "-f", (char *)NULL);
		fprintf(stderr, "exec %s: %s\n", opts.daemon, strerror(errno));
		_exit(127);
	}
	rc = ioreqd_simhv_wait_key(hv, "state", "running", TIMEOUT_MS);
	if (rc < 0)
		fprintf(stderr, "bench_vblk_sim: ioreqd did not come up\n");
	return rc;
}

static void daemon_stop(void)
{
	int status;

	if (daemon_pid > 0) {
		kill(daemon_pid, SIGTERM);
		waitpid(daemon_pid, &status, 0);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			fprintf(stderr,
			        "bench_vblk_sim: ioreqd exited with status 0x%x\n",
			        status);
		daemon_pid = -1;
	}
	if (hv)
		ioreqd_simhv_free(hv);
	hv = NULL;
}

static int attach(void)
{
	struct sg_vattach a = {
	    .slot = 0,
	    .base = MMIO_BASE,
	    .irq = IRQ,
	    .device_id = 2,
	    .queues = 1,
	    .qsize = QSIZE,
	    .features = (1ull << 29) | (1ull << 28), /* EVENT_IDX, INDIRECT_DESC */
	    .area = UINT64_MAX,
	};
	char err[160];
	int rc = sg_virtio_attach_mmio(&vdev, hv, 0, &a, err, sizeof(err));

	if (rc < 0)
		fprintf(stderr, "bench_vblk_sim: attach: %s\n", err);
	ram = ioreqd_simhv_ram(hv, NULL);
	return rc;
}

/* Queue request @p slot: @p len bytes at @p sector, data at DATA_GPA + slot * len. */
static void add(unsigned slot, bool wr, uint64_t sector, uint32_t len)
{
	struct {
		uint32_t type, reserved;
		uint64_t sector;
	} hdr = {wr ? 1u : 0u, 0, sector};
	struct ioreqd_vdrv_buf b[3] = {{HDR_GPA + slot * 16u, 16},
	                               {DATA_GPA + (uint64_t)slot * len, len},
	                               {STATUS_GPA + slot, 1}};

	memcpy(ram + b[0].gpa, &hdr, sizeof(hdr));
	ram[b[2].gpa] = 0xee;
	if (ioreqd_vdrv_add(&vdev.g.q[0], b, wr ? 2 : 1, wr ? 1 : 2, true,
	                    (void *)(uintptr_t)(slot + 1)) < 0)
		die("adding a chain");
}

/* The guest's interrupt handler: the line high, InterruptStatus read and acked. */
static void take_interrupt(void)
{
	uint32_t isr = 0;

	if (ioreqd_simhv_wait_irq(hv, IRQ, 1, TIMEOUT_MS) < 0 ||
	    vdev.g.ops->ack_interrupt(vdev.g.t, &isr) < 0) {
		fprintf(stderr, "bench_vblk_sim: no interrupt from the disk\n");
		exit(1);
	}
	irqs++;
}

/* Collect @p n used buffers, taking interrupts when none is pending. */
static void collect(unsigned n)
{
	struct ioreqd_vdrv *q = &vdev.g.q[0];
	uint32_t len;
	void *c;

	while (n > 0) {
		if ((c = ioreqd_vdrv_get_used(q, &len)) != NULL) {
			if (ram[STATUS_GPA + (uintptr_t)c - 1] != 0) {
				fprintf(stderr,
				        "bench_vblk_sim: status %u from the disk\n",
				        ram[STATUS_GPA + (uintptr_t)c - 1]);
				exit(1);
			}
			n--;
			continue;
		}
		if (!ioreqd_vdrv_enable_irq(q))
			take_interrupt();
	}
}

struct point {
	double per_sec;     /* requests */
	double kicks, irqs; /* per request */
	double guest_us;  /* this process's CPU time per request (guest and hypervisor) */
	double daemon_us; /* the daemon's CPU time per request (all its threads) */
};

/* The CPU time of process @p pid (all its threads, io_uring's workers too), ns. */
static uint64_t cpu_ns(pid_t pid)
{
	struct timespec ts;
	clockid_t clk;

	if (clock_getcpuclockid(pid, &clk) != 0 || clock_gettime(clk, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* virtio: batches of @p depth requests of @p len bytes. */
static void run_virtio(unsigned depth, uint32_t len, bool wr, bool seq, double secs,
                       uint64_t *pos, struct point *pt)
{
	uint64_t rnd = 0x9e3779b97f4a7c15ull + *pos, reqs = 0, t0;
	uint64_t k0 = kicks, i0 = irqs, nsect = DISK_SIZE / 512, lsect = len / 512;
	uint64_t g0 = cpu_ns(0), d0 = cpu_ns(daemon_pid);

	t0 = bench_now_ns();
	do {
		for (unsigned i = 0; i < depth; i++) {
			uint64_t sector;

			if (seq) {
				sector = *pos;
				*pos = (*pos + lsect) % nsect;
			} else {
				sector = (bench_rand(&rnd) % (nsect / lsect)) * lsect;
			}
			add(i, wr, sector, len);
		}
		/*
		 * No interrupt asked for yet: the guest looks at the used ring
		 * after the kick and enables the interrupt only to wait.
		 */
		if (ioreqd_vdrv_kick_needed(&vdev.g.q[0])) {
			int rc = vdev.g.ops->notify(vdev.g.t, 0);

			if (rc < 0) {
				fprintf(stderr, "bench_vblk_sim: the kick: %s\n",
				        strerror(-rc));
				exit(1);
			}
			kicks++;
		}
		collect(depth);
		reqs += depth;
	} while (bench_now_ns() - t0 < (uint64_t)(secs * 1e9));
	pt->per_sec = (double)reqs / ((double)(bench_now_ns() - t0) / 1e9);
	pt->kicks = (double)(kicks - k0) / (double)reqs;
	pt->irqs = (double)(irqs - i0) / (double)reqs;
	pt->guest_us = (double)(cpu_ns(0) - g0) / 1e3 / (double)reqs;
	pt->daemon_us = (double)(cpu_ns(daemon_pid) - d0) / 1e3 / (double)reqs;
}

/* pread/pwrite by one thread, into the same guest buffer. */
static void run_plain(uint32_t len, bool wr, bool seq, double secs, uint64_t *pos,
                      struct point *pt)
{
	uint64_t rnd = 0x9e3779b97f4a7c15ull + *pos, reqs = 0, t0;
	uint64_t nblk = DISK_SIZE / len;
	uint8_t *buf = ram + DATA_GPA;
	uint64_t g0 = cpu_ns(0);

	t0 = bench_now_ns();
	do {
		for (unsigned i = 0; i < 32; i++) {
			off_t off;

			if (seq) {
				off = (off_t)(*pos * len);
				*pos = (*pos + 1) % nblk;
			} else {
				off = (off_t)((bench_rand(&rnd) % nblk) * len);
			}
			if ((wr ? pwrite(disk_fd, buf, len, off)
			        : pread(disk_fd, buf, len, off)) != (ssize_t)len)
				abort();
		}
		reqs += 32;
	} while (bench_now_ns() - t0 < (uint64_t)(secs * 1e9));
	pt->per_sec = (double)reqs / ((double)(bench_now_ns() - t0) / 1e9);
	pt->kicks = pt->irqs = 0;
	pt->guest_us = (double)(cpu_ns(0) - g0) / 1e3 / (double)reqs;
	pt->daemon_us = 0;
}

/*
 * The bare ioreq round trip in ns (median of a round): MagicValue reads, which
 * the daemon answers from a register with no I/O.  Each kick costs one, each
 * interrupt taken two (InterruptStatus read, InterruptACK write).
 */
static double round_trip_ns(void)
{
	double t[64];

	for (unsigned i = 0; i < 64; i++) {
		uint64_t t0 = bench_now_ns(), val = 0;

		if (vdev.mmio.io.read(vdev.mmio.io.ctx, 0, 4, &val) < 0 ||
		    val != 0x74726976)
			die("reading MagicValue");
		t[i] = (double)(bench_now_ns() - t0);
	}
	return bench_median(t, 64);
}

static int bench(struct bench_json *j)
{
	static const struct {
		const char *name;
		unsigned depth;
		uint32_t len;
		bool wr, seq;
		double target; /* ratio to pread/pwrite; 0: none */
	} cases[] = {
	    {"rand4k_read_qd1", 1, 4096, false, false, 0},
	    {"rand4k_read_qd32", MAX_DEPTH, 4096, false, false, 0.8},
	    {"seq1m_read", 1, 1u << 20, false, true, 0.9},
	    {"seq1m_write", 1, 1u << 20, true, true, 0.9},
	};
	char key[80];

	printf(
	    "== virtio-blk end to end on the sim backend vs pread/pwrite (guest driver, "
	    "virtio-mmio, real ioreqd; 64 MiB file in the page cache, event idx, "
	    "queue %u; medians of %u interleaved rounds)\n"
	    "rt_us: one bare ioreq round trip (a MagicValue read); ratio-rt: the ratio "
	    "with the kicks' and interrupt acks' round trips taken out\n"
	    "where the time goes, in us per request: wall (virtio/pread), CPU of the "
	    "guest "
	    "process (guest and simulated hypervisor), of the daemon (all threads), of "
	    "pread\n",
	    QSIZE, ROUNDS);
	printf("%-18s %10s %10s %6s %9s %8s %6s %8s %7s %7s %7s %7s %7s\n", "case",
	       "virtio/s", "pread/s", "ratio", "kicks/req", "irqs/req", "rt_us",
	       "ratio-rt", "v_wall", "v_gst", "v_dmn", "p_wall", "p_cpu");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		double v[ROUNDS], p[ROUNDS], vk[ROUNDS], vi[ROUNDS], rt[ROUNDS];
		double vg[ROUNDS], vd[ROUNDS], pc[ROUNDS];
		double vm, pm, ratio, km, im, rtm, free_s, ratio_nort, vgm, vdm, pcm;
		uint64_t vpos = 0, ppos = 0;
		struct point t;

		if (opts.mode && strcmp(opts.mode, cases[i].name) != 0)
			continue;
		for (unsigned r = 0; r < ROUNDS; r++) {
			run_virtio(cases[i].depth, cases[i].len, cases[i].wr,
			           cases[i].seq, opts.seconds / ROUNDS, &vpos, &t);
			v[r] = t.per_sec;
			vk[r] = t.kicks;
			vi[r] = t.irqs;
			vg[r] = t.guest_us;
			vd[r] = t.daemon_us;
			run_plain(cases[i].len, cases[i].wr, cases[i].seq,
			          opts.seconds / ROUNDS, &ppos, &t);
			p[r] = t.per_sec;
			pc[r] = t.guest_us;
			rt[r] = round_trip_ns();
		}
		vm = bench_median(v, ROUNDS);
		pm = bench_median(p, ROUNDS);
		km = bench_median(vk, ROUNDS);
		im = bench_median(vi, ROUNDS);
		rtm = bench_median(rt, ROUNDS);
		vgm = bench_median(vg, ROUNDS);
		vdm = bench_median(vd, ROUNDS);
		pcm = bench_median(pc, ROUNDS);
		ratio = vm / pm;
		/* What the ratio would be if the round trips cost nothing. */
		free_s = 1 / vm - (km + 2 * im) * rtm / 1e9;
		ratio_nort = free_s > 0 ? 1 / free_s / pm : 0;
		printf("%-18s %10.0f %10.0f %6.2f %9.3f %8.3f %6.1f %8.2f %7.2f %7.2f "
		       "%7.2f %7.2f %7.2f\n",
		       cases[i].name, vm, pm, ratio, km, im, rtm / 1e3, ratio_nort,
		       1e6 / vm, vgm, vdm, 1e6 / pm, pcm);
		bench_json_obj(j, cases[i].name);
		bench_json_num(j, "virtio_per_sec", vm);
		bench_json_num(j, "plain_per_sec", pm);
		bench_json_num(j, "ratio", ratio);
		bench_json_num(j, "kicks_per_request", km);
		bench_json_num(j, "irqs_per_request", im);
		bench_json_num(j, "round_trip_ns", rtm);
		bench_json_num(j, "ratio_without_round_trips", ratio_nort);
		bench_json_num(j, "guest_cpu_us_per_request", vgm);
		bench_json_num(j, "daemon_cpu_us_per_request", vdm);
		bench_json_num(j, "plain_cpu_us_per_request", pcm);
		bench_json_end(j, '}');
		snprintf(key, sizeof(key), "vblk_sim.%s.ratio", cases[i].name);
		if (cases[i].target > 0)
			bench_target(key, ratio, ">=", cases[i].target, "x");
		else
			bench_target(key, ratio, "info", 0, "x");
		if (cases[i].depth == MAX_DEPTH) {
			snprintf(key, sizeof(key), "vblk_sim.%s.notifications",
			         cases[i].name);
			bench_target(key, km + im, "<=", 0.25, "/req");
		}
	}
	return 0;
}

static void cleanup(void)
{
	if (disk_fd >= 0)
		close(disk_fd);
	disk_fd = -1;
	unlink(disk);
	unlink(conf);
	unlink(logpath);
	unlink(sock);
	rmdir(workdir);
}

/* On every exit, a failed one too: no daemon and no 64 MiB disk left behind. */
static void at_exit(void)
{
	if (daemon_pid > 0) {
		kill(daemon_pid, SIGKILL);
		waitpid(daemon_pid, NULL, 0);
		daemon_pid = -1;
	}
	cleanup();
}

int main(int argc, char *argv[])
{
	struct bench_json j;
	int rc;

	bench_opts_parse(&opts, argc, argv, "--daemon PATH --hook-dir DIR [--mode CASE]");
	if (!opts.daemon || !opts.hookdir) {
		fprintf(stderr, "bench_vblk_sim: --daemon and --hook-dir are required\n");
		return 64;
	}
	if (opts.quick)
		opts.seconds = 0.1;
	signal(SIGPIPE, SIG_IGN);
	snprintf(workdir, sizeof(workdir), "%s/ioreqd-bench-vblk.XXXXXX",
	         getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(workdir)) {
		perror("bench_vblk_sim: mkdtemp");
		return 1;
	}
	atexit(at_exit);
	snprintf(disk, sizeof(disk), "%s/disk.img", workdir);
	snprintf(conf, sizeof(conf), "%s/vblk.conf", workdir);
	snprintf(sock, sizeof(sock), "%s/sim.sock", workdir);
	snprintf(logpath, sizeof(logpath), "%s/daemon.log", workdir);
	if ((rc = write_disk()) < 0 || (rc = write_conf()) < 0 ||
	    (rc = daemon_start()) < 0 || (rc = attach()) < 0) {
		FILE *fp = fopen(logpath, "r");
		char line[256];

		fprintf(stderr, "bench_vblk_sim: set-up failed: %s\n", strerror(-rc));
		while (fp && fgets(line, sizeof(line), fp))
			fprintf(stderr, "  daemon: %s", line);
		if (fp)
			fclose(fp);
		daemon_stop();
		return 1;
	}
	if (bench_json_open(&j, opts.json) < 0) {
		fprintf(stderr, "bench_vblk_sim: cannot write %s\n", opts.json);
		daemon_stop();
		return 1;
	}
	bench_json_obj(&j, NULL);
	rc = bench(&j);
	bench_json_end(&j, '}');
	bench_json_close(&j);
	sg_virtio_detach(&vdev);
	daemon_stop();
	return rc < 0 ? 1 : 0;
}
