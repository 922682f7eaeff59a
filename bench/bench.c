/* SPDX-License-Identifier: MIT */
/*
 * The benchmark harness (see bench.h): clocks, CPU accounting from /proc,
 * percentile summaries, the JSON writer and option parsing shared by every
 * program in bench/.  Kept free of ioreqd symbols so the raw floor
 * benchmarks link nothing of the daemon.
 */
#include "bench.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t bench_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t bench_proc_cpu_ns(int pid)
{
	char path[64], buf[1024];
	unsigned long long ut = 0, st = 0;
	const char *p;
	FILE *fp;
	size_t len;
	long hz = sysconf(_SC_CLK_TCK);

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fp = fopen(path, "r");
	if (!fp)
		return 0;
	len = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[len] = '\0';
	/* The command name may hold spaces: fields count from the last ')'. */
	p = strrchr(buf, ')');
	if (!p || hz <= 0)
		return 0;
	/* After ')': state(3) ... utime is field 14, stime 15 (1-based). */
	if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut,
	           &st) != 2)
		return 0;
	return (uint64_t)(ut + st) * (1000000000ull / (uint64_t)hz);
}

uint64_t bench_proc_status_kb(int pid, const char *key)
{
	char path[64], line[256];
	size_t klen = strlen(key);
	unsigned long long kb = 0;
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	fp = fopen(path, "r");
	if (!fp)
		return 0;
	while (fgets(line, sizeof(line), fp)) {
		if (!strncmp(line, key, klen) && line[klen] == ':') {
			kb = strtoull(line + klen + 1, NULL, 10);
			break;
		}
	}
	fclose(fp);
	return kb;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted samples. */
static double pct(const uint64_t *v, size_t n, double p)
{
	size_t rank;

	if (n == 0)
		return 0;
	rank = (size_t)ceil(p / 100.0 * (double)n);
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return (double)v[rank - 1];
}

void bench_lat_summarise(uint64_t *v, size_t n, struct bench_lat *out)
{
	double sum = 0;

	memset(out, 0, sizeof(*out));
	if (n == 0)
		return;
	qsort(v, n, sizeof(*v), cmp_u64);
	for (size_t i = 0; i < n; i++)
		sum += (double)v[i];
	out->n = n;
	out->mean = sum / (double)n;
	out->min = (double)v[0];
	out->p50 = pct(v, n, 50);
	out->p99 = pct(v, n, 99);
	out->p999 = pct(v, n, 99.9);
	out->max = (double)v[n - 1];
}

double bench_median(double *v, size_t n)
{
	if (n == 0)
		return 0;
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int bench_json_open(struct bench_json *j, const char *path)
{
	memset(j, 0, sizeof(*j));
	if (!path)
		return 0;
	j->fp = fopen(path, "w");
	return j->fp ? 0 : -errno;
}

int bench_json_close(struct bench_json *j)
{
	int rc = 0;

	if (!j->fp)
		return 0;
	fputc('\n', j->fp);
	if (fclose(j->fp) != 0)
		rc = -errno;
	j->fp = NULL;
	return rc;
}

/* Comma, indentation and "key": before a new member. */
static void member(struct bench_json *j, const char *key)
{
	if (j->need_comma[j->depth])
		fputc(',', j->fp);
	if (j->depth > 0)
		fprintf(j->fp, "\n%*s", 2 * j->depth, "");
	j->need_comma[j->depth] = true;
	if (key)
		fprintf(j->fp, "\"%s\": ", key);
}

static void open_container(struct bench_json *j, const char *key, char c)
{
	if (!j->fp)
		return;
	member(j, key);
	fputc(c, j->fp);
	if (j->depth < 15)
		j->depth++;
	j->need_comma[j->depth] = false;
}

void bench_json_obj(struct bench_json *j, const char *key)
{
	open_container(j, key, '{');
}

void bench_json_arr(struct bench_json *j, const char *key)
{
	open_container(j, key, '[');
}

void bench_json_end(struct bench_json *j, char close)
{
	if (!j->fp)
		return;
	if (j->depth > 0)
		j->depth--;
	fprintf(j->fp, "\n%*s%c", 2 * j->depth, "", close);
}

void bench_json_num(struct bench_json *j, const char *key, double v)
{
	if (!j->fp)
		return;
	member(j, key);
	/* JSON has no NaN or infinity. */
	if (isfinite(v))
		fprintf(j->fp, "%.6g", v);
	else
		fputs("null", j->fp);
}

void bench_json_int(struct bench_json *j, const char *key, long long v)
{
	if (!j->fp)
		return;
	member(j, key);
	fprintf(j->fp, "%lld", v);
}

void bench_json_str(struct bench_json *j, const char *key, const char *s)
{
	if (!j->fp)
		return;
	member(j, key);
	fputc('"', j->fp);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(j->fp, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(j->fp, "\\u%04x", (unsigned char)*s);
		else
			fputc(*s, j->fp);
	}
	fputc('"', j->fp);
}

void bench_json_lat(struct bench_json *j, const char *key, const struct bench_lat *l)
{
	bench_json_obj(j, key);
	bench_json_int(j, "n", (long long)l->n);
	bench_json_num(j, "mean_ns", l->mean);
	bench_json_num(j, "min_ns", l->min);
	bench_json_num(j, "p50_ns", l->p50);
	bench_json_num(j, "p99_ns", l->p99);
	bench_json_num(j, "p999_ns", l->p999);
	bench_json_num(j, "max_ns", l->max);
	bench_json_end(j, '}');
}

void bench_target(const char *name, double value, const char *op, double limit,
                  const char *unit)
{
	printf("target\t%s\t%.4g\t%s\t%.4g\t%s\n", name, value, op, limit, unit);
	fflush(stdout);
}

void bench_opts_parse(struct bench_opts *o, int argc, char *argv[], const char *usage)
{
	static const struct option longopts[] = {
	    {"json", required_argument, NULL, 'j'},
	    {"seconds", required_argument, NULL, 's'},
	    {"quick", no_argument, NULL, 'q'},
	    {"mode", required_argument, NULL, 'm'},
	    {"daemon", required_argument, NULL, 'd'},
	    {"srcdir", required_argument, NULL, 'S'},
	    {"hook-dir", required_argument, NULL, 'H'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->seconds = 0.3;
	while ((c = getopt_long(argc, argv, "j:s:qm:d:S:H:h", longopts, NULL)) != -1) {
		char *end;

		switch (c) {
		case 'j':
			o->json = optarg;
			break;
		case 's':
			o->seconds = strtod(optarg, &end);
			if (*end || o->seconds <= 0 || o->seconds > 60) {
				fprintf(stderr,
				        "%s: --seconds wants 0 < S <= 60, not '%s'\n",
				        argv[0], optarg);
				exit(64);
			}
			break;
		case 'q':
			o->quick = true;
			break;
		case 'm':
			o->mode = optarg;
			break;
		case 'd':
			o->daemon = optarg;
			break;
		case 'S':
			o->srcdir = optarg;
			break;
		case 'H':
			o->hookdir = optarg;
			break;
		case 'h':
			printf("usage: %s [--json FILE] [--seconds S] [--quick] %s\n",
			       argv[0], usage);
			exit(0);
		default:
			fprintf(stderr,
			        "usage: %s [--json FILE] [--seconds S] [--quick] %s\n",
			        argv[0], usage);
			exit(64);
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n", argv[0], argv[optind]);
		exit(64);
	}
}
