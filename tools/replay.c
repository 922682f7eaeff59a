/* SPDX-License-Identifier: MIT */
/*
 * ioreqd-replay: run a recorded access trace (lib/trace.h) through a
 * configuration's handlers without Xen, and report every result that differs
 * from the recorded one.  This turns a trace taken from a real guest into a
 * regression test for a device: replay it against a new hook or a changed
 * config and see exactly which accesses answer differently.
 *
 *   ioreqd-replay -c CONFIG [-r OUT] [-q] [-v] TRACE
 *
 * Each record becomes one request injected into an engine (lib/ioreq.h)
 * over the config's devices, built with the built-in hooks (tools/
 * replay-host.c).  Records are replayed in order; a deferred access is
 * completed by running the devices' timers on a virtual clock.  A read is
 * compared when the trace holds its value (IOREQD_TRACE_F_DATA_VALID) and a
 * result when it is not "unknown" (handled and deferred count as the same).
 * The trace hook records each access when it ends (ioreqd_fault_on_done), so
 * a capture holds every read's value and result and is a regression test as
 * it stands; -r OUT writes the trace again with this replay's values and
 * results (a new baseline, e.g. after an intended change).
 *
 * Exit status: 0 no differences, 1 differences, 2 a usage, config or trace
 * error.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "engine.h"
#include "log.h"
#include "replay.h"
#include <ioreqd/trace.h>

#define REPLAY_MAX_TRACE (1ull << 30)
#define REPLAY_MAX_SHOWN 100u

struct opts {
	const char *config;
	const char *trace;
	const char *record;
	bool quiet;
	int verbose;
};

static void usage(FILE *fp)
{
	fprintf(fp, "usage: ioreqd-replay -c CONFIG [-r OUT] [-q] [-v] TRACE\n"
	            "  -c CONFIG  the devices to replay against (ioreqd.conf format)\n"
	            "  -r OUT     write the trace again with this replay's results\n"
	            "  -q         print only the summary\n"
	            "  -v         more logging from the hooks (repeat for debug)\n"
	            "exit: 0 no differences, 1 differences, 2 error\n");
}

/* Read a whole file.  @return 0 or a negative errno. */
static int slurp(const char *path, uint8_t **buf, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	uint8_t *b = NULL;
	long n;
	int rc = 0;

	*buf = NULL;
	*len = 0;
	if (!fp)
		return -errno;
	if (fseek(fp, 0, SEEK_END) < 0 || (n = ftell(fp)) < 0 ||
	    fseek(fp, 0, SEEK_SET) < 0) {
		rc = -EIO;
		goto out;
	}
	if ((uint64_t)n > REPLAY_MAX_TRACE) {
		rc = -EFBIG;
		goto out;
	}
	b = malloc(n ? (size_t)n : 1);
	if (!b) {
		rc = -ENOMEM;
		goto out;
	}
	if (fread(b, 1, (size_t)n, fp) != (size_t)n) {
		rc = -EIO;
		goto out;
	}
	*buf = b;
	*len = (size_t)n;
	b = NULL;
out:
	free(b);
	fclose(fp);
	return rc;
}

static ioreq_t make_req(const struct ioreqd_trace_rec *r)
{
	ioreq_t q;

	memset(&q, 0, sizeof(q));
	q.addr = r->addr;
	q.data = r->is_read ? 0 : r->data;
	q.count = 1;
	q.size = r->size;
	q.state = STATE_IOREQ_READY;
	q.dir = r->is_read ? IOREQ_READ : IOREQ_WRITE;
	q.type = r->space == IOREQD_SPACE_PIO    ? IOREQ_TYPE_PIO
	         : r->space == IOREQD_SPACE_MMIO ? IOREQ_TYPE_COPY
	                                         : IOREQ_TYPE_PCI_CONFIG;
	return q;
}

/*
 * Replay one record.  @return the result, with the read value in *data;
 * IOREQD_TRACE_RES_COUNT if the engine refused the request.
 */
static unsigned replay_one(struct replay *rp, const struct ioreqd_trace_rec *r,
                           uint64_t *data)
{
	struct ioreqd_engine *e = replay_engine(rp);
	const struct ioreqd_engine_stats *st = ioreqd_engine_stats(e);
	uint64_t unhandled = st->unhandled, errors = st->handler_errors;
	/* A posted write has no vCPU; any free one will do for a replay. */
	unsigned vcpu = r->vcpu == IOREQD_TRACE_VCPU_POSTED ? 0 : r->vcpu;
	unsigned res = IOREQD_TRACE_RES_HANDLED;
	ioreq_t q = make_req(r);
	int rc;

	*data = 0;
	rc = ioreqd_engine_inject(e, vcpu, &q);
	if (rc < 0)
		return IOREQD_TRACE_RES_COUNT;
	if (rc == 0) {
		res = IOREQD_TRACE_RES_DEFERRED;
		while (q.state != STATE_IORESP_READY && replay_fire_next_timer(rp))
			;
		if (q.state != STATE_IORESP_READY) {
			/* Nobody will complete it: end it as the watchdog would. */
			ioreqd_engine_abort_all(e);
			res = IOREQD_TRACE_RES_ERROR;
		}
	}
	if (st->handler_errors != errors)
		res = IOREQD_TRACE_RES_ERROR;
	else if (st->unhandled != unhandled)
		res = IOREQD_TRACE_RES_UNHANDLED;
	*data = r->is_read ? q.data : r->data;
	return res;
}

static bool same_result(unsigned a, unsigned b)
{
	if (a == IOREQD_TRACE_RES_DEFERRED)
		a = IOREQD_TRACE_RES_HANDLED;
	if (b == IOREQD_TRACE_RES_DEFERRED)
		b = IOREQD_TRACE_RES_HANDLED;
	return a == b;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	int c;

	memset(o, 0, sizeof(*o));
	while ((c = getopt(argc, argv, "c:r:qvh")) != -1) {
		switch (c) {
		case 'c':
			o->config = optarg;
			break;
		case 'r':
			o->record = optarg;
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'v':
			o->verbose++;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			return -EINVAL;
		}
	}
	if (!o->config || optind != argc - 1)
		return -EINVAL;
	o->trace = argv[optind];
	return 0;
}

int main(int argc, char **argv)
{
	struct ioreqd_cfg *cfg = NULL;
	struct replay *rp = NULL;
	struct ioreqd_trace_writer *w = NULL;
	struct ioreqd_trace_reader rd;
	struct ioreqd_trace_rec r;
	struct opts o;
	char err[IOREQD_CFG_ERRLEN];
	uint64_t diffs = 0, compared = 0;
	uint8_t *buf = NULL;
	const char *why;
	size_t len;
	int rc, status = 2;

	if (parse_args(argc, argv, &o) < 0) {
		usage(stderr);
		return 2;
	}
	ioreqd_log_init("ioreqd-replay", IOREQD_LOG_TO_STDERR, o.verbose);
	if ((rc = ioreqd_cfg_load(o.config, &cfg, err, sizeof(err))) < 0) {
		fprintf(stderr, "ioreqd-replay: error: %s\n",
		        rc == -EINVAL ? err : strerror(-rc));
		goto out;
	}
	if ((rc = slurp(o.trace, &buf, &len)) < 0) {
		fprintf(stderr, "ioreqd-replay: error: %s: %s\n", o.trace, strerror(-rc));
		goto out;
	}
	if ((rc = ioreqd_trace_reader_init(&rd, buf, len, &why)) < 0) {
		fprintf(stderr, "ioreqd-replay: error: %s: %s\n", o.trace, why);
		goto out;
	}
	rp = replay_new(cfg, rd.hdr.domid, err, sizeof(err));
	if (!rp) {
		fprintf(stderr, "ioreqd-replay: error: %s\n", err);
		goto out;
	}
	if (o.record) {
		w = ioreqd_trace_writer_new(fopen(o.record, "wb"), &rd.hdr);
		if (!w) {
			fprintf(stderr, "ioreqd-replay: error: %s: %s\n", o.record,
			        strerror(errno));
			goto out;
		}
	}
	while ((rc = ioreqd_trace_next(&rd, &r, &why)) == 1) {
		uint64_t data;
		unsigned res = replay_one(rp, &r, &data);
		bool differs = false;

		if (res == IOREQD_TRACE_RES_COUNT) {
			fprintf(stderr,
			        "ioreqd-replay: error: %s: record %" PRIu64
			        ": the engine refused the request\n",
			        o.trace, rd.index - 1);
			goto out;
		}
		if (r.result != IOREQD_TRACE_RES_UNKNOWN ||
		    (r.is_read && (r.flags & IOREQD_TRACE_F_DATA_VALID))) {
			compared++;
			differs = !same_result(r.result, res) &&
			          r.result != IOREQD_TRACE_RES_UNKNOWN;
			differs |= r.is_read && (r.flags & IOREQD_TRACE_F_DATA_VALID) &&
			           r.data != data;
		}
		if (differs) {
			if (!o.quiet && diffs < REPLAY_MAX_SHOWN)
				printf("record %" PRIu64 ": v%u %s %s 0x%" PRIx64
				       "/%u: recorded 0x%" PRIx64
				       " (%s), replayed 0x%" PRIx64 " (%s)\n",
				       rd.index - 1, r.vcpu, ioreqd_space_name(r.space),
				       r.is_read ? "read" : "write", r.addr, r.size,
				       r.data, ioreqd_trace_result_name(r.result), data,
				       ioreqd_trace_result_name(res));
			diffs++;
		}
		if (w) {
			struct ioreqd_trace_rec out = r;

			out.data = data;
			out.result = (uint8_t)res;
			out.flags = IOREQD_TRACE_F_DATA_VALID;
			if (ioreqd_trace_writer_add(w, &out) < 0) {
				fprintf(stderr, "ioreqd-replay: error: %s: write error\n",
				        o.record);
				goto out;
			}
		}
	}
	if (rc < 0) {
		fprintf(stderr, "ioreqd-replay: error: %s: record %" PRIu64 ": %s\n",
		        o.trace, rd.index, why);
		goto out;
	}
	if (w) {
		rc = ioreqd_trace_writer_free(w);
		w = NULL;
		if (rc < 0) {
			fprintf(stderr, "ioreqd-replay: error: %s: write error\n",
			        o.record);
			goto out;
		}
	}
	if (diffs > REPLAY_MAX_SHOWN && !o.quiet)
		printf("(%" PRIu64 " more differences not shown)\n",
		       diffs - REPLAY_MAX_SHOWN);
	printf("ioreqd-replay: %" PRIu64 " records, %" PRIu64 " compared, %" PRIu64
	       " differ\n",
	       rd.index, compared, diffs);
	status = diffs ? 1 : 0;
out:
	ioreqd_trace_writer_free(w);
	replay_free(rp);
	ioreqd_cfg_free(cfg);
	free(buf);
	return status;
}
