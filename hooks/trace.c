/* SPDX-License-Identifier: MIT */
/*
 * trace: record every access a range sees to a binary trace file (the
 * format of lib/trace.h) and pass it on untouched.  Configure it with
 * `order = first` on the same range as the devices it watches, so that it is
 * at the head of the chain and sees every access before they answer it:
 *
 *   [device trace0]
 *   hook = trace
 *   mmio = 0xfeb00000+0x1000
 *   order = first
 *   file = /var/lib/ioreqd/d1.trace
 *
 * What a record holds: the time the access finished (ns since the trace
 * started), vCPU (0xffff for a posted write), space, address, size,
 * direction, the data (a write's, or what a read returned) and the result
 * (handled, deferred, error, unhandled).  The hook runs at the head of the
 * chain, before anyone has answered, so it watches each access to its end
 * with ioreqd_fault_on_done() and writes the record then.
 *
 * The file is written through a large stdio buffer and flushed at fini; a
 * write error stops the recording (logged once) but never the accesses.
 */
#include <ioreqd/hook.h>

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ioreqd/trace.h>

#define TRACE_BUF_SIZE (256u << 10)

struct trace {
	const struct ioreqd_host *host;
	ioreqd_dev_t *dev;
	struct ioreqd_trace_writer *w;
	char *path;
	uint64_t t0;   /* CLOCK_MONOTONIC at start, ns */
	uint64_t lost; /* records not written after an error */
};

static const struct ioreqd_hook_key trace_keys[] = {
    {"file", "where to write the binary trace (required; truncated at start)"},
    {NULL, NULL},
};

static uint64_t clock_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void record(struct trace *t, const ioreqd_fault_t *f, uint8_t result);

/* The access is finished: record what the handlers behind us answered. */
static void trace_done(const ioreqd_fault_t *f, enum ioreqd_fault_result res, void *priv)
{
	static const uint8_t result_of[] = {
	    [IOREQD_FAULT_HANDLED] = IOREQD_TRACE_RES_HANDLED,
	    [IOREQD_FAULT_PASS] = IOREQD_TRACE_RES_UNHANDLED,
	    [IOREQD_FAULT_DEFER] = IOREQD_TRACE_RES_DEFERRED,
	    [IOREQD_FAULT_ERROR] = IOREQD_TRACE_RES_ERROR,
	};

	record(priv, f,
	       (unsigned)res < sizeof(result_of) ? result_of[res]
	                                         : IOREQD_TRACE_RES_UNKNOWN);
}

static enum ioreqd_fault_result trace_access(ioreqd_fault_t *f, void *priv)
{
	/*
	 * We run first, before anyone answered: watch the access to its end.
	 * If something else already watches it (a second tracer), record what
	 * is known now.
	 */
	if (ioreqd_fault_on_done(f, trace_done, priv) < 0)
		record(priv, f, IOREQD_TRACE_RES_UNKNOWN);
	return IOREQD_FAULT_PASS;
}

static void record(struct trace *t, const ioreqd_fault_t *f, uint8_t result)
{
	struct ioreqd_trace_rec r = {
	    .t_ns = clock_ns(CLOCK_MONOTONIC) - t->t0,
	    .addr = ioreqd_fault_addr(f),
	    .vcpu = (uint16_t)ioreqd_fault_vcpu(f),
	    .space = (uint8_t)ioreqd_fault_space(f),
	    .size = (uint8_t)ioreqd_fault_size(f),
	    .is_read = ioreqd_fault_is_read(f),
	    .result = result,
	};

	/* A write's data is known up front; a read's once it is answered. */
	if (!r.is_read || result != IOREQD_TRACE_RES_UNKNOWN) {
		r.data = ioreqd_fault_data(f);
		r.flags = IOREQD_TRACE_F_DATA_VALID;
	}
	if (!t->w) {
		t->lost++;
	} else if (ioreqd_trace_writer_add(t->w, &r) < 0) {
		t->host->log(t->dev, IOREQD_LOG_WARN,
		             "trace: cannot write '%s'; recording stops here", t->path);
		ioreqd_trace_writer_free(t->w);
		t->w = NULL;
		t->lost++;
	}
}

static void trace_fini(void *priv)
{
	struct trace *t = priv;
	uint64_t n;

	if (!t)
		return;
	if (t->w) {
		n = ioreqd_trace_writer_count(t->w);
		if (ioreqd_trace_writer_free(t->w) < 0)
			t->host->log(t->dev, IOREQD_LOG_WARN, "trace: cannot finish '%s'",
			             t->path);
		else
			t->host->log(t->dev, IOREQD_LOG_INFO,
			             "trace: %" PRIu64 " access(es) recorded to '%s'", n,
			             t->path);
	}
	if (t->lost)
		t->host->log(t->dev, IOREQD_LOG_WARN,
		             "trace: %" PRIu64 " access(es) not recorded", t->lost);
	free(t->path);
	free(t);
}

static int trace_init(const struct ioreqd_host *host, ioreqd_dev_t *dev, void **priv)
{
	struct ioreqd_trace_header h = {0};
	struct trace *t = NULL;
	const char *path;
	FILE *fp;
	int rc = 0;

	*priv = NULL;
	path = host->cfg_str(dev, "file");
	if (!path || !*path)
		return host->cfg_error(dev, "file", "required: where to write the trace");
	t = calloc(1, sizeof(*t));
	if (!t || !(t->path = strdup(path))) {
		rc = -ENOMEM;
		goto out;
	}
	t->host = host;
	t->dev = dev;
	fp = fopen(path, "wb");
	if (!fp) {
		rc = host->cfg_error(dev, "file", "cannot create '%s': %s", path,
		                     strerror(errno));
		goto out;
	}
	/* Many small records: let stdio batch them into large writes. */
	setvbuf(fp, NULL, _IOFBF, TRACE_BUF_SIZE);
	h.domid = host->domid(dev);
	h.start_ns = clock_ns(CLOCK_REALTIME);
	t->t0 = clock_ns(CLOCK_MONOTONIC);
	t->w = ioreqd_trace_writer_new(fp, &h);
	if (!t->w) {
		rc = host->cfg_error(dev, "file", "cannot write '%s': %s", path,
		                     strerror(errno));
		goto out;
	}
	*priv = t;
	t = NULL;
out:
	if (t) {
		free(t->path);
		free(t);
	}
	return rc;
}

IOREQD_HOOK_DEFINE(trace) = {
    .abi = IOREQD_HOOK_ABI,
    .name = "trace",
    .summary = "record every access to a binary trace file, then pass it on",
    .keys = trace_keys,
    .init = trace_init,
    .fini = trace_fini,
    .access = trace_access,
};
