/* SPDX-License-Identifier: MIT */
/*
 * Cross-process benchmarks against the real daemon: this process is the
 * simulated hypervisor and its guest (sim/simhv.h) and ioreqd runs as a
 * child with --backend=sim.  Guest threads, one per vCPU, issue synchronous
 * 4-byte MMIO reads and writes to a scratch device and time each round trip.
 *
 * In the same run, and interleaved round by round so that both see the same
 * machine, the floor (bench/floor.h) does the same round trips with the same
 * notification pattern and no ioreqd; the ratio of the medians is ioreqd's
 * own cost.  Variants of the floor show what an adaptive busy-poll would buy
 * and what it would burn.
 *
 *   --mode roundtrip  1, 2 and 4 vCPUs: p50/p99/p99.9, throughput, CPU per access
 *   --mode poll       the same, 1 and 2 vCPUs, without and with --poll-us; idle CPU
 *   --mode scaling    1..128 vCPUs: per-vCPU throughput, ioreqd and floor
 *   --mode rss        the daemon's VmHWM/VmRSS with etc/demo.conf and 1,000 ranges
 *   --mode all        all four (the default)
 */
#include "build-config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "floor.h"
#include "simhv.h"

#define DOMID 7u
#define SCRATCH_BASE 0xfeb00000ull
#define RANGES_BASE 0xe0000000ull /* the 1,000-range config: 16 bytes each */
#define RANGES_N 1000u
#define ROUNDS 10u /* floor/ioreqd alternations per point */
#define MAX_THREADS 128u
#define LAT_CAP (1u << 20) /* latency samples kept per thread */

/* One guest access, whoever serves it. */
typedef int (*access_fn)(void *ctx, unsigned vcpu, uint64_t addr, bool read,
                         uint64_t *val);

struct result {
	uint64_t ops;
	uint64_t errors;
	double wall_s;
	uint64_t server_cpu_ns;
	uint64_t guest_cpu_ns;
	uint64_t *lat; /* pooled samples (NULL when not recorded) */
	size_t nlat;
	size_t cap;
};

struct drive;

struct worker {
	struct drive *d;
	unsigned vcpu;
	uint64_t ops;
	uint64_t errors;
	uint64_t *lat;
	size_t nlat;
};

struct drive {
	access_fn fn;
	void *ctx;
	unsigned nr_threads;
	bool record;
	uint64_t deadline;
	pthread_barrier_t start;
	struct worker w[MAX_THREADS];
};

struct daemon_proc {
	struct ioreqd_simhv *hv;
	pid_t pid;
	char sock[108];
	char conf[256];
	char log[256];
};

static struct bench_opts opts;
static char workdir[256];

static int sim_access(void *ctx, unsigned vcpu, uint64_t addr, bool read, uint64_t *val)
{
	struct ioreqd_simhv *hv = ctx;

	if (read)
		return ioreqd_simhv_read(hv, vcpu, IOREQD_SPACE_MMIO, addr, 4, val);
	return ioreqd_simhv_write(hv, vcpu, IOREQD_SPACE_MMIO, addr, 4, *val);
}

static int floor_access_cb(void *ctx, unsigned vcpu, uint64_t addr, bool read,
                           uint64_t *val)
{
	return floor_access(ctx, vcpu, addr, read, val);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct drive *d = w->d;
	/* Each vCPU has its own register, as a driver has its own queue. */
	uint64_t addr = SCRATCH_BASE + w->vcpu * 32;
	uint64_t i = 0;

	pthread_barrier_wait(&d->start);
	for (;;) {
		uint64_t val = i, t0, t1;
		int rc;

		t0 = bench_now_ns();
		rc = d->fn(d->ctx, w->vcpu, addr, i & 1, &val);
		t1 = bench_now_ns();
		/* A read returns what this vCPU wrote just before: check it. */
		if (rc < 0 || ((i & 1) && val != ((i - 1) & 0xffffffffu)))
			w->errors++;
		else
			w->ops++;
		if (d->record && w->nlat < LAT_CAP)
			w->lat[w->nlat++] = t1 - t0;
		i++;
		/* Check the clock every few accesses only: it is not free. */
		if ((i & 7) == 0 && t1 >= d->deadline)
			break;
		if (w->errors > 100)
			break;
	}
	return NULL;
}

/*
 * Run @p nr_threads guest vCPUs for @p seconds against fn/ctx, appending the
 * latency samples to @p out (when @p record) and adding to its counters.
 */
static int drive_run(access_fn fn, void *ctx, unsigned nr_threads, double seconds,
                     bool record, int server_pid, struct result *out)
{
	struct drive *d = calloc(1, sizeof(*d));
	pthread_t tid[MAX_THREADS];
	uint64_t t0, t1, c0, c1, s0, s1;
	unsigned started = 0;
	int rc = 0;

	if (!d)
		return -ENOMEM;
	d->fn = fn;
	d->ctx = ctx;
	d->nr_threads = nr_threads;
	d->record = record;
	pthread_barrier_init(&d->start, NULL, nr_threads + 1);
	for (unsigned t = 0; t < nr_threads; t++) {
		d->w[t].d = d;
		d->w[t].vcpu = t;
		if (record) {
			d->w[t].lat = malloc(LAT_CAP * sizeof(uint64_t));
			if (!d->w[t].lat) {
				rc = -ENOMEM;
				break;
			}
		}
	}
	/* Workers are started only when every buffer exists: the barrier counts them. */
	for (unsigned t = 0; rc == 0 && t < nr_threads; t++) {
		rc = -pthread_create(&tid[t], NULL, worker_main, &d->w[t]);
		if (rc == 0)
			started++;
	}
	if (rc < 0) {
		/* Cannot happen on a sane machine; do not leave threads stuck. */
		fprintf(stderr, "bench_roundtrip: cannot start %u threads: %s\n",
		        nr_threads, strerror(-rc));
		exit(1);
	}
	s0 = bench_proc_cpu_ns(server_pid);
	c0 = bench_cpu_ns();
	d->deadline = bench_now_ns() + (uint64_t)(seconds * 1e9);
	t0 = bench_now_ns();
	pthread_barrier_wait(&d->start);
	for (unsigned t = 0; t < started; t++)
		pthread_join(tid[t], NULL);
	t1 = bench_now_ns();
	c1 = bench_cpu_ns();
	s1 = bench_proc_cpu_ns(server_pid);
	out->wall_s += (double)(t1 - t0) / 1e9;
	out->guest_cpu_ns += c1 - c0;
	out->server_cpu_ns += s1 - s0;
	for (unsigned t = 0; t < nr_threads; t++) {
		struct worker *w = &d->w[t];

		out->ops += w->ops;
		out->errors += w->errors;
		if (record && w->nlat) {
			if (out->nlat + w->nlat > out->cap) {
				size_t ncap = (out->nlat + w->nlat) * 2;
				uint64_t *nl = realloc(out->lat, ncap * sizeof(*nl));

				if (!nl) {
					rc = -ENOMEM;
					break;
				}
				out->lat = nl;
				out->cap = ncap;
			}
			memcpy(out->lat + out->nlat, w->lat, w->nlat * sizeof(uint64_t));
			out->nlat += w->nlat;
		}
	}
	for (unsigned t = 0; t < nr_threads; t++)
		free(d->w[t].lat);
	pthread_barrier_destroy(&d->start);
	free(d);
	return rc;
}

static void result_free(struct result *r)
{
	free(r->lat);
	memset(r, 0, sizeof(*r));
}

/* --- The daemon --------------------------------------------------------- */

static int write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	if (!fp || fputs(text, fp) < 0) {
		if (fp)
			fclose(fp);
		return -errno;
	}
	return fclose(fp) ? -errno : 0;
}

static int write_bench_conf(const char *path)
{
	return write_file(path, "; written by bench_roundtrip: one scratch device\n"
	                        "[global]\n"
	                        "log_level = warn\n"
	                        "\n"
	                        "[device scratch0]\n"
	                        "hook = scratch\n"
	                        "mmio = 0xfeb00000+0x1000\n");
}

/*
 * 1,000 contiguous 16-byte ranges (the hypervisor merges touching ranges, as
 * Xen's rangesets do), on scratch devices of RANGES_PER_DEV ranges each: the
 * configuration allows at most 256 ranges per device.
 */
#define RANGES_PER_DEV 250u

static int write_ranges_conf(const char *path)
{
	FILE *fp = fopen(path, "w");

	if (!fp)
		return -errno;
	fprintf(fp,
	        "; written by bench_roundtrip: %u ranges\n[global]\nlog_level = warn\n",
	        RANGES_N);
	for (unsigned i = 0; i < RANGES_N; i++) {
		if (i % RANGES_PER_DEV == 0)
			fprintf(fp, "\n[device many%u]\nhook = scratch\nsize = 16\n",
			        i / RANGES_PER_DEV);
		fprintf(fp, "mmio = 0x%llx+0x10\n",
		        (unsigned long long)(RANGES_BASE + i * 16ull));
	}
	return fclose(fp) ? -errno : 0;
}

/*
 * Create a simulated domain with @p nr_vcpus and start ioreqd on @p conf
 * against it; wait until the daemon has claimed its ranges.
 */
static int daemon_start(struct daemon_proc *dp, const char *conf, unsigned nr_vcpus,
                        const char *tag, const char *extra)
{
	struct ioreqd_simhv_config hc = {0};
	int rc;

	memset(dp, 0, sizeof(*dp));
	dp->pid = -1;
	if (snprintf(dp->sock, sizeof(dp->sock), "%s/sim-%s.sock", workdir, tag) >=
	        (int)sizeof(dp->sock) ||
	    snprintf(dp->log, sizeof(dp->log), "%s/daemon-%s.log", workdir, tag) >=
	        (int)sizeof(dp->log) ||
	    snprintf(dp->conf, sizeof(dp->conf), "%s", conf) >= (int)sizeof(dp->conf))
		return -ENAMETOOLONG;
	hc.socket_path = dp->sock;
	hc.domid = DOMID;
	hc.nr_vcpus = nr_vcpus;
	dp->hv = ioreqd_simhv_new(&hc);
	if (!dp->hv) {
		rc = -errno;
		fprintf(stderr, "bench_roundtrip: ioreqd_simhv_new: %s\n", strerror(-rc));
		return rc;
	}
	dp->pid = fork();
	if (dp->pid < 0) {
		rc = -errno;
		goto fail;
	}
	if (dp->pid == 0) {
		char domid[16], sockopt[160], hookopt[300];
		int fd = open(dp->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		snprintf(domid, sizeof(domid), "%u", DOMID);
		snprintf(sockopt, sizeof(sockopt), "--sim-socket=%s", dp->sock);
		snprintf(hookopt, sizeof(hookopt), "--hook-dir=%s", opts.hookdir);
		/* @p extra: one more option, or NULL (which ends the list). */
		execl(opts.daemon, opts.daemon, "-d", domid, "-c", conf, "--backend=sim",
		      sockopt, hookopt, "-f", extra, (char *)NULL);
		fprintf(stderr, "exec %s: %s\n", opts.daemon, strerror(errno));
		_exit(127);
	}
	/*
	 * Not IOREQD_SIMHV_READY: that holds from the first claimed range on,
	 * while the daemon may still be claiming the others (accesses to them
	 * would go to the null handler) and has no signal handlers yet.  The
	 * daemon publishes state=running once its loop is set up.
	 */
	rc = ioreqd_simhv_wait_key(dp->hv, "state", "running", 10000);
	if (rc < 0) {
		fprintf(stderr,
		        "bench_roundtrip: ioreqd did not come up on %s (see %s)\n", conf,
		        dp->log);
		goto fail;
	}
	return 0;
fail:
	if (dp->pid > 0) {
		kill(dp->pid, SIGKILL);
		waitpid(dp->pid, NULL, 0);
	}
	ioreqd_simhv_free(dp->hv);
	dp->hv = NULL;
	return rc;
}

static void daemon_stop(struct daemon_proc *dp)
{
	int status;

	if (dp->pid > 0) {
		kill(dp->pid, SIGTERM);
		waitpid(dp->pid, &status, 0);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			fprintf(
			    stderr,
			    "bench_roundtrip: ioreqd exited with status 0x%x (see %s)\n",
			    status, dp->log);
	}
	ioreqd_simhv_free(dp->hv);
	memset(dp, 0, sizeof(*dp));
	dp->pid = -1;
}

/* --- Round trip --------------------------------------------------------- */

struct rt_point {
	const char *name;
	unsigned vcpus;
	struct result r;
	struct bench_lat lat;
};

static void point_print(struct rt_point *p)
{
	double tput = p->r.wall_s > 0 ? (double)p->r.ops / p->r.wall_s : 0;
	double cpu_us =
	    p->r.ops ? (double)p->r.server_cpu_ns / 1e3 / (double)p->r.ops : 0;
	double util =
	    p->r.wall_s > 0 ? (double)p->r.server_cpu_ns / 1e9 / p->r.wall_s : 0;

	bench_lat_summarise(p->r.lat, p->r.nlat, &p->lat);
	printf("%-20s %5u %9.2f %9.2f %9.2f %10.1f %10.2f %8.0f%% %7llu\n", p->name,
	       p->vcpus, p->lat.p50 / 1e3, p->lat.p99 / 1e3, p->lat.p999 / 1e3,
	       tput / 1e3, cpu_us, util * 100, (unsigned long long)p->r.errors);
}

static void point_json(struct bench_json *j, struct rt_point *p)
{
	double tput = p->r.wall_s > 0 ? (double)p->r.ops / p->r.wall_s : 0;

	bench_json_obj(j, NULL);
	bench_json_str(j, "name", p->name);
	bench_json_int(j, "vcpus", p->vcpus);
	bench_json_lat(j, "latency", &p->lat);
	bench_json_num(j, "kops_per_s", tput / 1e3);
	bench_json_num(j, "server_cpu_us_per_op",
	               p->r.ops ? (double)p->r.server_cpu_ns / 1e3 / (double)p->r.ops
	                        : 0);
	bench_json_num(j, "server_cpu_util",
	               p->r.wall_s > 0 ? (double)p->r.server_cpu_ns / 1e9 / p->r.wall_s
	                               : 0);
	bench_json_num(j, "guest_cpu_util",
	               p->r.wall_s > 0 ? (double)p->r.guest_cpu_ns / 1e9 / p->r.wall_s
	                               : 0);
	bench_json_int(j, "errors", (long long)p->r.errors);
	bench_json_end(j, '}');
}

static int run_floor_variant(enum floor_server s, unsigned vcpus, double seconds,
                             struct result *r)
{
	struct floor_cfg fc = {.nr_vcpus = vcpus, .server = s, .spin_us = 50};
	struct floor *f = floor_new(&fc);
	int rc;

	if (!f)
		return -errno;
	/* A short warm-up: page faults, first wake-ups. */
	{
		struct result warm = {0};

		drive_run(floor_access_cb, f, vcpus, seconds / 10, false,
		          floor_server_pid(f), &warm);
	}
	rc = drive_run(floor_access_cb, f, vcpus, seconds, true, floor_server_pid(f), r);
	floor_free(f);
	return rc;
}

static int bench_rt(struct bench_json *j)
{
	static const unsigned vcpu_counts[] = {1, 2, 4};
	char conf[300];
	struct daemon_proc dp;
	double seconds = opts.seconds;
	double ratio1 = 0;
	int rc;

	snprintf(conf, sizeof(conf), "%s/bench.conf", workdir);
	rc = write_bench_conf(conf);
	if (rc < 0)
		return rc;
	rc = daemon_start(&dp, conf, 4, "rt", NULL);
	if (rc < 0)
		return rc;
	printf("\n== Round trip across processes: guest -> eventfd -> server -> eventfd "
	       "-> guest\n");
	printf("%-20s %5s %9s %9s %9s %10s %10s %9s %7s\n", "server", "vCPUs", "p50 us",
	       "p99 us", "p99.9 us", "kops/s", "srv CPU us", "srv CPU", "errors");
	bench_json_arr(j, "roundtrip");
	for (unsigned c = 0; c < sizeof(vcpu_counts) / sizeof(vcpu_counts[0]); c++) {
		unsigned v = vcpu_counts[c];
		struct rt_point io = {.name = "ioreqd", .vcpus = v};
		struct rt_point fl = {.name = "floor (epoll)", .vcpus = v};
		struct result warm = {0};
		double ratio;

		drive_run(sim_access, dp.hv, v, seconds / 10, false, dp.pid, &warm);
		/* Interleave, so that both see the same machine. */
		for (unsigned round = 0; rc == 0 && round < ROUNDS; round++) {
			rc = run_floor_variant(FLOOR_EPOLL, v, seconds / ROUNDS, &fl.r);
			if (rc == 0)
				rc = drive_run(sim_access, dp.hv, v, seconds / ROUNDS,
				               true, dp.pid, &io.r);
		}
		if (rc < 0)
			break;
		point_print(&fl);
		point_print(&io);
		ratio = fl.lat.p50 > 0 ? io.lat.p50 / fl.lat.p50 : 0;
		printf("%-20s %5u %9.3fx   (ioreqd p50 / floor p50; p99 %.3fx)\n",
		       "ratio", v, ratio, fl.lat.p99 > 0 ? io.lat.p99 / fl.lat.p99 : 0);
		point_json(j, &fl);
		point_json(j, &io);
		bench_json_obj(j, NULL);
		bench_json_str(j, "name", "ratio");
		bench_json_int(j, "vcpus", v);
		bench_json_num(j, "p50_ratio", ratio);
		bench_json_num(j, "p99_ratio",
		               fl.lat.p99 > 0 ? io.lat.p99 / fl.lat.p99 : 0);
		bench_json_end(j, '}');
		if (v == 1)
			ratio1 = ratio;
		result_free(&io.r);
		result_free(&fl.r);
	}
	daemon_stop(&dp);
	if (rc < 0) {
		bench_json_end(j, ']');
		return rc;
	}
	/* What another wait would buy (floor only: the daemon's loop is not changed). */
	printf("-- floor variants: the cost of a different wait\n");
	for (unsigned c = 0; c < sizeof(vcpu_counts) / sizeof(vcpu_counts[0]); c++) {
		unsigned v = vcpu_counts[c];
		static const enum floor_server variants[] = {FLOOR_BLOCKING, FLOOR_SPIN,
		                                             FLOOR_SPIN_BOTH};

		for (unsigned k = 0; k < sizeof(variants) / sizeof(variants[0]); k++) {
			char name[40];
			struct rt_point p = {.name = name, .vcpus = v};

			/* read(2) serves one fd; both spinning needs a core each. */
			if (variants[k] == FLOOR_BLOCKING && v != 1)
				continue;
			if (variants[k] == FLOOR_SPIN_BOTH && v != 1)
				continue;
			snprintf(name, sizeof(name), "floor (%s)",
			         floor_server_name(variants[k]));
			rc = run_floor_variant(variants[k], v, seconds / 2, &p.r);
			if (rc < 0)
				break;
			point_print(&p);
			point_json(j, &p);
			result_free(&p.r);
		}
	}
	bench_json_end(j, ']');
	if (ratio1 > 0)
		bench_target("roundtrip.p50_ratio@1vcpu", ratio1, "<=", 1.15, "x");
	return rc;
}

/*
 * The adaptive poll (poll_us): the same round trips against a daemon with
 * --poll-us POLL_US and one without, interleaved round by round, with the
 * ratio of the medians and the server CPU per access; then both daemons idle
 * side by side, to show that the polling one does not spin when nothing
 * comes.
 */
#define POLL_US 50u

static int bench_poll(struct bench_json *j)
{
	static const unsigned vcpu_counts[] = {1, 2};
	char conf[300], pollopt[32];
	struct daemon_proc off, on;
	double seconds = opts.seconds, idle_s = opts.quick ? 0.2 : 2.0;
	double ratio1 = 0;
	uint64_t off0, on0, off1, on1;
	int rc;

	snprintf(conf, sizeof(conf), "%s/bench.conf", workdir);
	snprintf(pollopt, sizeof(pollopt), "--poll-us=%u", POLL_US);
	rc = write_bench_conf(conf);
	if (rc < 0)
		return rc;
	rc = daemon_start(&off, conf, 4, "poll-off", NULL);
	if (rc < 0)
		return rc;
	rc = daemon_start(&on, conf, 4, "poll-on", pollopt);
	if (rc < 0) {
		daemon_stop(&off);
		return rc;
	}
	printf("\n== Adaptive poll: ioreqd without and with --poll-us=%u, interleaved\n",
	       POLL_US);
	printf("%-20s %5s %9s %9s %9s %10s %10s %9s %7s\n", "server", "vCPUs", "p50 us",
	       "p99 us", "p99.9 us", "kops/s", "srv CPU us", "srv CPU", "errors");
	bench_json_arr(j, "poll");
	for (unsigned c = 0; c < sizeof(vcpu_counts) / sizeof(vcpu_counts[0]); c++) {
		unsigned v = vcpu_counts[c];
		struct rt_point po = {.name = "ioreqd poll off", .vcpus = v};
		struct rt_point pn = {.name = "ioreqd poll on", .vcpus = v};
		struct result warm = {0};
		double ratio, cpu_off, cpu_on;

		drive_run(sim_access, off.hv, v, seconds / 10, false, off.pid, &warm);
		drive_run(sim_access, on.hv, v, seconds / 10, false, on.pid, &warm);
		for (unsigned round = 0; rc == 0 && round < ROUNDS; round++) {
			rc = drive_run(sim_access, off.hv, v, seconds / ROUNDS, true,
			               off.pid, &po.r);
			if (rc == 0)
				rc = drive_run(sim_access, on.hv, v, seconds / ROUNDS,
				               true, on.pid, &pn.r);
		}
		if (rc < 0)
			break;
		point_print(&po);
		point_print(&pn);
		ratio = po.lat.p50 > 0 ? pn.lat.p50 / po.lat.p50 : 0;
		cpu_off = po.r.ops ? (double)po.r.server_cpu_ns / 1e3 / po.r.ops : 0;
		cpu_on = pn.r.ops ? (double)pn.r.server_cpu_ns / 1e3 / pn.r.ops : 0;
		printf("%-20s %5u %9.3fx   (on p50 / off p50; p99 %.3fx; server CPU "
		       "per access %.2f -> %.2f us)\n",
		       "ratio", v, ratio, po.lat.p99 > 0 ? pn.lat.p99 / po.lat.p99 : 0,
		       cpu_off, cpu_on);
		point_json(j, &po);
		point_json(j, &pn);
		bench_json_obj(j, NULL);
		bench_json_str(j, "name", "ratio");
		bench_json_int(j, "vcpus", v);
		bench_json_num(j, "p50_ratio", ratio);
		bench_json_num(j, "p99_ratio",
		               po.lat.p99 > 0 ? pn.lat.p99 / po.lat.p99 : 0);
		bench_json_num(j, "server_cpu_us_per_op_off", cpu_off);
		bench_json_num(j, "server_cpu_us_per_op_on", cpu_on);
		bench_json_end(j, '}');
		if (v == 1)
			ratio1 = ratio;
		result_free(&po.r);
		result_free(&pn.r);
	}
	if (rc == 0) {
		/* Both idle at once: the same machine for both. */
		off0 = bench_proc_cpu_ns(off.pid);
		on0 = bench_proc_cpu_ns(on.pid);
		nanosleep(&(struct timespec){.tv_sec = (time_t)idle_s,
		                             .tv_nsec =
		                                 (long)((idle_s - (time_t)idle_s) * 1e9)},
		          NULL);
		off1 = bench_proc_cpu_ns(off.pid);
		on1 = bench_proc_cpu_ns(on.pid);
		printf("%-20s idle %.1f s: server CPU %.1f us without poll, %.1f us with "
		       "poll\n",
		       "idle", idle_s, (double)(off1 - off0) / 1e3,
		       (double)(on1 - on0) / 1e3);
		bench_json_obj(j, NULL);
		bench_json_str(j, "name", "idle");
		bench_json_num(j, "seconds", idle_s);
		bench_json_num(j, "server_cpu_us_off", (double)(off1 - off0) / 1e3);
		bench_json_num(j, "server_cpu_us_on", (double)(on1 - on0) / 1e3);
		bench_json_end(j, '}');
	}
	bench_json_end(j, ']');
	daemon_stop(&on);
	daemon_stop(&off);
	/* Information, not a target: the gain depends on the machine's wake-ups. */
	if (rc == 0 && ratio1 > 0)
		bench_target("poll.p50_on_over_off@1vcpu", ratio1, "info", 0, "x");
	return rc;
}

/* --- Scaling ------------------------------------------------------------ */

static int bench_scaling(struct bench_json *j)
{
	static const unsigned counts[] = {1, 2, 4, 8, 16, 32, 64, 128};
	long ncores = sysconf(_SC_NPROCESSORS_ONLN);
	double base_io = 0, base_fl = 0, worst = 1e9, worst_fl = 1e9;
	double seconds = opts.seconds;
	char conf[300];
	struct daemon_proc dp;
	int rc;

	snprintf(conf, sizeof(conf), "%s/bench.conf", workdir);
	rc = write_bench_conf(conf);
	if (rc < 0)
		return rc;
	rc = daemon_start(&dp, conf, MAX_THREADS, "scale", NULL);
	if (rc < 0)
		return rc;
	printf("\n== vCPU scaling (%ld cores): per-vCPU throughput, relative to 1 vCPU\n",
	       ncores);
	printf("%6s %14s %7s %14s %7s %9s %11s\n", "vCPUs", "ioreqd kops/s", "rel",
	       "floor kops/s", "rel", "vs floor", "daemon CPU");
	bench_json_arr(j, "scaling");
	for (unsigned c = 0; c < sizeof(counts) / sizeof(counts[0]); c++) {
		unsigned v = counts[c];
		struct result io = {0}, fl = {0}, warm = {0};
		struct floor_cfg fc = {.nr_vcpus = v, .server = FLOOR_EPOLL};
		double pio, pfl;

		drive_run(sim_access, dp.hv, v, seconds / 10, false, dp.pid, &warm);
		/* Interleaved rounds, as for the round trip: the same machine for both.
		 */
		for (unsigned round = 0; rc == 0 && round < ROUNDS; round++) {
			struct floor *f = floor_new(&fc);

			if (!f) {
				rc = -errno;
				break;
			}
			rc = drive_run(floor_access_cb, f, v, seconds / ROUNDS, false,
			               floor_server_pid(f), &fl);
			floor_free(f);
			if (rc == 0)
				rc = drive_run(sim_access, dp.hv, v, seconds / ROUNDS,
				               false, dp.pid, &io);
		}
		if (rc < 0)
			break;
		pio = (double)io.ops / io.wall_s / v;
		pfl = (double)fl.ops / fl.wall_s / v;
		if (v == 1) {
			base_io = pio;
			base_fl = pfl;
		}
		if ((long)v <= ncores && pio / base_io < worst)
			worst = pio / base_io;
		if ((long)v <= ncores && pfl / base_fl < worst_fl)
			worst_fl = pfl / base_fl;
		printf("%6u %14.1f %6.0f%% %14.1f %6.0f%% %8.2fx %10.0f%%\n", v,
		       pio / 1e3, 100 * pio / base_io, pfl / 1e3, 100 * pfl / base_fl,
		       pio / pfl, 100 * (double)io.server_cpu_ns / 1e9 / io.wall_s);
		bench_json_obj(j, NULL);
		bench_json_int(j, "vcpus", v);
		bench_json_num(j, "ioreqd_kops_per_vcpu", pio / 1e3);
		bench_json_num(j, "ioreqd_rel", pio / base_io);
		bench_json_num(j, "floor_kops_per_vcpu", pfl / 1e3);
		bench_json_num(j, "floor_rel", pfl / base_fl);
		bench_json_num(j, "ioreqd_vs_floor", pio / pfl);
		bench_json_num(j, "daemon_cpu_util",
		               (double)io.server_cpu_ns / 1e9 / io.wall_s);
		bench_json_int(j, "errors", (long long)(io.errors + fl.errors));
		bench_json_end(j, '}');
	}
	bench_json_end(j, ']');
	daemon_stop(&dp);
	if (rc == 0 && worst < 1e9) {
		bench_target("scaling.per_vcpu_rel_min@<=cores", worst, ">=", 0.8, "x");
		/* The same figure for the floor: what this machine allows at all. */
		bench_target("scaling.floor_per_vcpu_rel_min@<=cores", worst_fl, "info",
		             0, "x");
	}
	return rc;
}

/* --- Memory ------------------------------------------------------------- */

/* Start the daemon on @p conf, touch @p n of its ranges, report its memory. */
static int rss_point(struct bench_json *j, const char *name, const char *conf,
                     uint64_t base, uint64_t stride, unsigned n, uint64_t *hwm_out)
{
	struct daemon_proc dp;
	uint64_t hwm, rss;
	unsigned errors = 0;
	int rc;

	rc = daemon_start(&dp, conf, 4, name, NULL);
	if (rc < 0)
		return rc;
	for (unsigned i = 0; i < n; i++) {
		uint64_t v = i;

		errors += ioreqd_simhv_write(dp.hv, i % 4, IOREQD_SPACE_MMIO,
		                             base + i * stride, 4, v) < 0;
		errors += ioreqd_simhv_read(dp.hv, i % 4, IOREQD_SPACE_MMIO,
		                            base + i * stride, 4, &v) < 0 ||
		          v != i; /* all-ones: nobody served it */
	}
	hwm = bench_proc_status_kb(dp.pid, "VmHWM");
	rss = bench_proc_status_kb(dp.pid, "VmRSS");
	daemon_stop(&dp);
	printf("%-22s %10.2f %10.2f %8u\n", name, hwm / 1024.0, rss / 1024.0, errors);
	bench_json_obj(j, NULL);
	bench_json_str(j, "config", name);
	bench_json_num(j, "vmhwm_mib", hwm / 1024.0);
	bench_json_num(j, "vmrss_mib", rss / 1024.0);
	bench_json_int(j, "errors", errors);
	bench_json_end(j, '}');
	*hwm_out = hwm;
	return 0;
}

static int bench_rss(struct bench_json *j)
{
	char demo[300], many[300];
	uint64_t hwm_demo = 0, hwm_many = 0;
	int rc;

	snprintf(demo, sizeof(demo), "%s/etc/demo.conf", opts.srcdir);
	snprintf(many, sizeof(many), "%s/ranges-%u.conf", workdir, RANGES_N);
	rc = write_ranges_conf(many);
	if (rc < 0)
		return rc;
	printf("\n== Daemon memory (from /proc/PID/status, after serving accesses)\n");
	printf("%-22s %10s %10s %8s\n", "config", "VmHWM MiB", "VmRSS MiB", "errors");
	bench_json_arr(j, "memory");
	rc = rss_point(j, "demo.conf", demo, SCRATCH_BASE + 0x100, 4, 64, &hwm_demo);
	if (rc == 0)
		rc = rss_point(j, "1000-ranges", many, RANGES_BASE, 16, RANGES_N,
		               &hwm_many);
	bench_json_end(j, ']');
	if (rc == 0) {
		bench_target("memory.vmhwm_mib@demo", hwm_demo / 1024.0, "<=", 4, "MiB");
		bench_target("memory.vmhwm_mib@1000ranges", hwm_many / 1024.0, "<=", 4,
		             "MiB");
	}
	return rc;
}

static void remove_workdir(void)
{
	DIR *dir = opendir(workdir);
	struct dirent *de;

	if (!dir)
		return;
	while ((de = readdir(dir)) != NULL) {
		char path[600];

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", workdir, de->d_name);
		unlink(path);
	}
	closedir(dir);
	rmdir(workdir);
}

int main(int argc, char *argv[])
{
	struct bench_json j;
	const char *mode;
	bool all;
	int rc = 0;

	bench_opts_parse(&opts, argc, argv,
	                 "--daemon PATH --hook-dir DIR --srcdir DIR "
	                 "[--mode roundtrip|poll|scaling|rss|all]");
	if (!opts.daemon || !opts.hookdir || !opts.srcdir) {
		fprintf(
		    stderr,
		    "bench_roundtrip: --daemon, --hook-dir and --srcdir are required\n");
		return 64;
	}
	if (opts.quick)
		opts.seconds = 0.1;
	mode = opts.mode ? opts.mode : "all";
	all = !strcmp(mode, "all");
	/* The guest must survive a daemon that dies: no SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	snprintf(workdir, sizeof(workdir), "%s/ioreqd-bench.XXXXXX",
	         getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(workdir)) {
		perror("bench_roundtrip: mkdtemp");
		return 1;
	}
	if (bench_json_open(&j, opts.json) < 0) {
		fprintf(stderr, "bench_roundtrip: cannot write %s: %s\n", opts.json,
		        strerror(errno));
		return 1;
	}
	bench_json_obj(&j, NULL);
	if (all || !strcmp(mode, "roundtrip"))
		rc = bench_rt(&j);
	if (rc == 0 && (all || !strcmp(mode, "poll")))
		rc = bench_poll(&j);
	if (rc == 0 && (all || !strcmp(mode, "scaling")))
		rc = bench_scaling(&j);
	if (rc == 0 && (all || !strcmp(mode, "rss")))
		rc = bench_rss(&j);
	bench_json_end(&j, '}');
	bench_json_close(&j);
	if (rc < 0)
		fprintf(stderr, "bench_roundtrip: %s (logs kept in %s)\n", strerror(-rc),
		        workdir);
	else if (getenv("BENCH_KEEP"))
		printf("bench_roundtrip: daemon logs kept in %s\n", workdir);
	else
		remove_workdir(); /* the logs only matter when something failed */
	return rc < 0 ? 1 : 0;
}
