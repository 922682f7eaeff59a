/* SPDX-License-Identifier: MIT */
/*
 * The benchmark harness shared by every bench/ program: a monotonic clock,
 * latency summaries (percentiles), CPU time, a small streaming JSON writer
 * for bench/last.json, and "target" lines that bench/run.sh collects into
 * the summary table.  Benchmarks measure and report; they never fail on a
 * number (a missed target is printed, not asserted), so nothing here is a
 * timed test.
 */
#ifndef IOREQD_BENCH_H
#define IOREQD_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/** @return CLOCK_MONOTONIC in nanoseconds. */
uint64_t bench_now_ns(void);

/** @return the CPU time (user + system) this process has used, in nanoseconds. */
uint64_t bench_cpu_ns(void);

/** @return the CPU time (user + system) of process @p pid from /proc, or 0. */
uint64_t bench_proc_cpu_ns(int pid);

/**
 * Read a "Key:   N kB" line of /proc/PID/status.
 * @return the value in KiB, or 0 if absent.
 */
uint64_t bench_proc_status_kb(int pid, const char *key);

/** A latency distribution, in nanoseconds. */
struct bench_lat {
	uint64_t n;
	double mean;
	double min;
	double p50;
	double p99;
	double p999;
	double max;
};

/** Sort @p v (n samples, ns) in place and summarise it into @p out. */
void bench_lat_summarise(uint64_t *v, size_t n, struct bench_lat *out);

/** @return the median of @p n doubles (sorts them in place). */
double bench_median(double *v, size_t n);

/** A streaming JSON writer: objects and arrays nest, commas are automatic. */
struct bench_json {
	FILE *fp;
	int depth;
	bool need_comma[16];
};

/** Open @p path for writing (NULL: a writer that discards everything). */
int bench_json_open(struct bench_json *j, const char *path);
/** Close the file.  @return 0 or -errno. */
int bench_json_close(struct bench_json *j);
/** Begin an object; @p key is NULL inside an array or at the top level. */
void bench_json_obj(struct bench_json *j, const char *key);
void bench_json_arr(struct bench_json *j, const char *key);
/** End the innermost object or array. */
void bench_json_end(struct bench_json *j, char close);
void bench_json_num(struct bench_json *j, const char *key, double v);
void bench_json_int(struct bench_json *j, const char *key, long long v);
void bench_json_str(struct bench_json *j, const char *key, const char *s);
/** Write a bench_lat as an object {n, mean, min, p50, p99, p999, max}. */
void bench_json_lat(struct bench_json *j, const char *key, const struct bench_lat *l);

/**
 * Print a target line for bench/run.sh:
 * "target<TAB>name<TAB>value<TAB>op<TAB>limit<TAB>unit".
 * @p op is "<=" or ">=".  bench/run.sh decides met / missed; no program exits
 * non-zero because of a number.
 */
void bench_target(const char *name, double value, const char *op, double limit,
                  const char *unit);

/** Command-line options every bench program understands. */
struct bench_opts {
	const char *json;    /* --json FILE */
	double seconds;      /* --seconds S: time box per measurement */
	bool quick;          /* --quick: a short run (smoke test, callgrind) */
	const char *mode;    /* --mode NAME: program specific */
	const char *daemon;  /* --daemon PATH */
	const char *srcdir;  /* --srcdir DIR */
	const char *hookdir; /* --hook-dir DIR */
};

/**
 * Parse the common options; exits with a usage message on a bad option.
 * @p usage is the program-specific part of the usage line.
 */
void bench_opts_parse(struct bench_opts *o, int argc, char *argv[], const char *usage);

/** A fast deterministic pseudo-random generator (xorshift64*). */
static inline uint64_t bench_rand(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dull;
}

/** Keep the compiler from discarding a computed value. */
static inline void bench_sink(uint64_t v)
{
	__asm__ volatile("" : : "r"(v) : "memory");
}

#endif /* IOREQD_BENCH_H */
