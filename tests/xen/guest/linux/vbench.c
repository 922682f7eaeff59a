/* SPDX-License-Identifier: MIT */
/*
 * vbench: the guest side of `make bench-xen` (tests/xen/README.md).  A static
 * tool in the bench guest's initramfs that measures, in one guest, devices
 * served by different device models side by side:
 *   - per disk, with O_DIRECT and one request at a time: 4 KiB reads at
 *     random offsets (IOPS) and 1 MiB sequential reads (MiB/s);
 *   - per I/O port: the round trip of one inb, timed on its own with
 *     CLOCK_MONOTONIC (median and p90 in ns).
 * The targets take turns: every round measures each of them once, in an
 * order that rotates from round to round, so load that comes and goes on the
 * host (this all runs nested under TCG) falls on all of them alike.  The
 * disks' rounds come first, then the ports', each port read BLOCK times
 * back to back in its turn.  Usage:
 *   vbench [-r ROUNDS] [-t MS] [-n READS] [-b BLOCK] TARGET...
 *     TARGET: disk NAME DEVICE | port NAME PORT
 *   vbench fwcfg PORT     select fw_cfg's signature at PORT (the selector),
 *                         print the 4 bytes read from PORT + 1
 *   vbench clock          print what one CLOCK_MONOTONIC read costs here
 *                         (dom0 runs it too: ioreqd's latency_stats reads
 *                         the clock four times per request)
 * Every line starts with "vbench: "; the summary lines are
 *   vbench: result NAME rand4k_iops|seq1m_mibs|port_median_ns|port_p90_ns VALUE
 * (the median over the rounds for the disks, over every read for the ports).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_TARGETS 8
#define MAX_ROUNDS 32
#define SEQ_BYTES (1u << 20)
#define RAND_BYTES 4096u

struct target {
	const char *name;
	int is_port;
	/* a disk */
	const char *dev;
	int fd;
	uint64_t size;
	uint64_t seq_off; /* where the next sequential read starts */
	double iops[MAX_ROUNDS];
	double mibs[MAX_ROUNDS];
	/* a port */
	unsigned short port;
	uint32_t *ns; /* every read's round trip */
	unsigned nr_ns;
};

static struct target targets[MAX_TARGETS];
static unsigned nr_targets;
static void *buf;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* xorshift64: the same offsets for every disk in a round. */
static uint64_t next_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static int read_full(struct target *t, uint64_t off, size_t len)
{
	ssize_t n = pread(t->fd, buf, len, (off_t)off);

	if (n == (ssize_t)len)
		return 0;
	printf("vbench: %s: read of %zu bytes at %llu: %s\n", t->dev, len,
	       (unsigned long long)off, n < 0 ? strerror(errno) : "short read");
	return -1;
}

/* @return operations per second over at least @ms milliseconds, or < 0. */
static double run_disk(struct target *t, int seq, unsigned ms, unsigned round)
{
	uint64_t seed = 0x9e3779b97f4a7c15ull ^ (round + 1) * 0x2545f4914f6cdd1dull;
	uint64_t t0 = now_ns(), end = t0 + (uint64_t)ms * 1000000u, t1;
	uint64_t blocks = t->size / RAND_BYTES;
	unsigned ops = 0;

	do {
		uint64_t off;

		if (seq) {
			if (t->seq_off + SEQ_BYTES > t->size)
				t->seq_off = 0;
			off = t->seq_off;
			t->seq_off += SEQ_BYTES;
		} else {
			off = next_rand(&seed) % blocks * RAND_BYTES;
		}
		if (read_full(t, off, seq ? SEQ_BYTES : RAND_BYTES) < 0)
			return -1;
		ops++;
		t1 = now_ns();
	} while (t1 < end || ops < 4);
	return ops / ((double)(t1 - t0) / 1e9);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, unsigned n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The value below which @pct percent of the sorted samples lie. */
static uint32_t pctl(const uint32_t *v, unsigned n, unsigned pct)
{
	unsigned i = (unsigned)(((uint64_t)n * pct + 99) / 100);

	return v[i ? i - 1 : 0];
}

/* What timing itself costs: one of 1000 back-to-back clock reads, in ns. */
static uint64_t clock_cost(void)
{
	uint64_t t0 = now_ns();

	for (unsigned k = 0; k < 1000; k++)
		now_ns();
	return (now_ns() - t0) / 1000;
}

/* The first target of round @r's turns: the order rotates by round. */
static unsigned t_first(unsigned r)
{
	return r % nr_targets;
}

static int open_disk(struct target *t)
{
	struct stat st;

	t->fd = open(t->dev, O_RDONLY | O_DIRECT);
	if (t->fd < 0) {
		printf("vbench: cannot open %s with O_DIRECT: %s\n", t->dev,
		       strerror(errno));
		return -1;
	}
	/* A regular file too, to try the tool outside the guest. */
	if (ioctl(t->fd, BLKGETSIZE64, &t->size) < 0 && fstat(t->fd, &st) == 0)
		t->size = (uint64_t)st.st_size;
	if (t->size < SEQ_BYTES) {
		printf("vbench: %s: no usable size (%s)\n", t->dev, strerror(errno));
		return -1;
	}
	printf("vbench: disk %s is %s, %llu bytes\n", t->name, t->dev,
	       (unsigned long long)t->size);
	return 0;
}

static int fwcfg(const char *arg)
{
	unsigned long port = strtoul(arg, NULL, 0);
	char sig[5] = {0};

	if (iopl(3) < 0) {
		printf("vbench: iopl: %s\n", strerror(errno));
		return 1;
	}
	outw(0x0000, (unsigned short)port); /* FW_CFG_SIGNATURE */
	for (int i = 0; i < 4; i++)
		sig[i] = (char)inb((unsigned short)(port + 1));
	printf("vbench: fw_cfg signature at 0x%lx: '%s'\n", port + 1, sig);
	return strcmp(sig, "QEMU") ? 1 : 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: vbench [-r ROUNDS] [-t MS] [-n READS] [-b BLOCK] "
	                "{disk NAME DEVICE | port NAME PORT}...\n"
	                "       vbench fwcfg SELECTOR-PORT | vbench clock\n");
	return 64;
}

int main(int argc, char **argv)
{
	unsigned rounds = 4, ms = 3000, reads = 500, block = 50, i, r, k;
	uint64_t overhead;
	int opt;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && strcmp(argv[1], "fwcfg") == 0)
		return fwcfg(argv[2]);
	if (argc == 2 && strcmp(argv[1], "clock") == 0) {
		printf("vbench: one clock read costs %llu ns\n",
		       (unsigned long long)clock_cost());
		return 0;
	}
	while ((opt = getopt(argc, argv, "r:t:n:b:")) != -1) {
		if (opt == 'r')
			rounds = (unsigned)strtoul(optarg, NULL, 0);
		else if (opt == 't')
			ms = (unsigned)strtoul(optarg, NULL, 0);
		else if (opt == 'n')
			reads = (unsigned)strtoul(optarg, NULL, 0);
		else if (opt == 'b')
			block = (unsigned)strtoul(optarg, NULL, 0);
		else
			return usage();
	}
	if (rounds < 1 || rounds > MAX_ROUNDS || !reads || !block)
		return usage();
	for (i = optind; i < (unsigned)argc; i += 3) {
		struct target *t = &targets[nr_targets];

		if (i + 3 > (unsigned)argc || nr_targets == MAX_TARGETS)
			return usage();
		t->name = argv[i + 1];
		if (strcmp(argv[i], "disk") == 0) {
			t->dev = argv[i + 2];
			if (open_disk(t) < 0)
				return 1;
		} else if (strcmp(argv[i], "port") == 0) {
			t->is_port = 1;
			t->port = (unsigned short)strtoul(argv[i + 2], NULL, 0);
			t->ns = calloc((size_t)rounds * reads, sizeof(*t->ns));
			if (!t->ns)
				return 1;
		} else {
			return usage();
		}
		nr_targets++;
	}
	if (!nr_targets)
		return usage();
	if (posix_memalign(&buf, 4096, SEQ_BYTES) != 0)
		return 1;
	for (k = 0; k < nr_targets; k++) {
		/* ioperm() covers only ports below 0x400. */
		if (targets[k].is_port && iopl(3) < 0) {
			printf("vbench: iopl(3): %s\n", strerror(errno));
			return 1;
		}
	}
	overhead = clock_cost();
	printf("vbench: %u round(s), %u ms per disk figure, %u port reads per port "
	       "and round in turns of %u; one clock read costs %llu ns\n",
	       rounds, ms, reads, block, (unsigned long long)overhead);

	/* Warm up: the first requests of a path are slow under TCG. */
	for (k = 0; k < nr_targets; k++) {
		struct target *t = &targets[k];

		for (unsigned n = 0; t->is_port && n < 50; n++)
			(void)inb(t->port);
		if (!t->is_port &&
		    (run_disk(t, 0, ms / 4, 99) < 0 || run_disk(t, 1, ms / 4, 99) < 0))
			return 1;
	}
	/* Disks: each kind of figure for every disk, the order rotating. */
	for (r = 0; r < rounds; r++) {
		for (int seq = 0; seq < 2; seq++) {
			for (k = 0; k < nr_targets; k++) {
				struct target *t = &targets[(k + r) % nr_targets];
				double v;

				if (t->is_port)
					continue;
				v = run_disk(t, seq, ms, r);
				if (v < 0)
					return 1;
				if (seq)
					t->mibs[r] = v * SEQ_BYTES / (1024.0 * 1024.0);
				else
					t->iops[r] = v;
				printf("vbench: round %u %s %s %.1f %s\n", r + 1, t->name,
				       seq ? "seq1m" : "rand4k",
				       seq ? t->mibs[r] : t->iops[r],
				       seq ? "MiB/s" : "IOPS");
			}
		}
	}
	/*
	 * Ports last, so that a device model's record of its most recent
	 * requests (ioreqd's latency_stats) holds these reads only.  Each port
	 * in turn is read BLOCK times back to back, as a driver reads a
	 * device's registers, so that a device model that polls after a
	 * request can show it; the turns are short, so the ports share the
	 * host's ups and downs, and the first port of each turn rotates.
	 */
	for (r = 0; r < rounds; r++) {
		unsigned first = t_first(r), turn = 0;

		for (unsigned n = 0; n < reads; n += block, turn++) {
			unsigned len = reads - n < block ? reads - n : block;

			for (k = 0; k < nr_targets; k++) {
				struct target *t =
				    &targets[(k + first + turn) % nr_targets];

				if (!t->is_port)
					continue;
				for (unsigned i = 0; i < len; i++) {
					uint64_t t0 = now_ns(), t1;

					(void)inb(t->port);
					t1 = now_ns();
					t->ns[t->nr_ns++] = t1 - t0 > UINT32_MAX
					                        ? UINT32_MAX
					                        : (uint32_t)(t1 - t0);
				}
			}
		}
		for (k = 0; k < nr_targets; k++) {
			struct target *t = &targets[k];
			uint32_t *v = t->ns + t->nr_ns - reads;

			if (!t->is_port)
				continue;
			/* Sorted where they lie: the summary sorts them all anyway. */
			qsort(v, reads, sizeof(*v), cmp_u32);
			printf("vbench: round %u %s port 0x%x median %u ns p90 %u ns\n",
			       r + 1, t->name, t->port, pctl(v, reads, 50),
			       pctl(v, reads, 90));
		}
	}
	for (k = 0; k < nr_targets; k++) {
		struct target *t = &targets[k];

		if (t->is_port) {
			qsort(t->ns, t->nr_ns, sizeof(*t->ns), cmp_u32);
			printf("vbench: result %s port_reads %u\n", t->name, t->nr_ns);
			printf("vbench: result %s port_median_ns %u\n", t->name,
			       pctl(t->ns, t->nr_ns, 50));
			printf("vbench: result %s port_p90_ns %u\n", t->name,
			       pctl(t->ns, t->nr_ns, 90));
			continue;
		}
		printf("vbench: result %s rand4k_iops %.1f\n", t->name,
		       median(t->iops, rounds));
		printf("vbench: result %s seq1m_mibs %.1f\n", t->name,
		       median(t->mibs, rounds));
	}
	printf("vbench: done\n");
	return 0;
}
