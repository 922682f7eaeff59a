/* SPDX-License-Identifier: MIT */
/*
 * Statistics: the engine's counters, then one line per range and one per
 * handler on it, in chain order (the handler that runs first is listed
 * first).  Printed on SIGUSR1 and at exit.
 */
#include <inttypes.h>
#include <stdio.h>

#include "daemon.h"

static const char *const space_name[IOREQD_SPACE_COUNT] = {"pio", "mmio", "pci"};

static void counters_line(FILE *fp, const char *space, const char *range, const char *who,
			  const struct ioreqd_counters *c)
{
	fprintf(fp, "  %-5s %-33s %-14s %9" PRIu64 " %9" PRIu64 " %9" PRIu64 " %7" PRIu64
		    " %6" PRIu64 " %6" PRIu64 "\n",
		space, range, who, c->accesses, c->reads, c->writes, c->passes, c->defers,
		c->errors);
}

static int range_cb(struct ioreqd_range *r, void *arg)
{
	FILE *fp = arg;
	char span[64];

	snprintf(span, sizeof(span), "0x%" PRIx64 "-0x%" PRIx64, ioreqd_range_base(r),
		 ioreqd_range_last(r));
	counters_line(fp, space_name[ioreqd_range_space(r)], span, "(range)",
		      ioreqd_range_counters(r));
	for (struct ioreqd_hnode *n = ioreqd_range_head(r); n; n = ioreqd_hnode_next(n))
		counters_line(fp, "", "", ioreqd_hnode_handler(n)->name,
			      ioreqd_hnode_counters(n));
	return 0;
}

void ioreqd_stats_dump(struct ioreqd_daemon *d, FILE *fp)
{
	const struct ioreqd_engine_stats *s;

	fprintf(fp, "ioreqd statistics, domain %u:\n", d->opts.domid);
	if (!d->engine) {
		fprintf(fp, "  (not serving yet)\n");
		return;
	}
	s = ioreqd_engine_stats(d->engine);
	fprintf(fp,
		"  requests %" PRIu64 ", accesses %" PRIu64 ", completed %" PRIu64
		", unhandled %" PRIu64 ", handler errors %" PRIu64 ", deferred %" PRIu64
		", aborted %" PRIu64 "\n",
		s->requests, s->accesses, s->completed, s->unhandled, s->handler_errors,
		s->deferred, s->aborted);
	fprintf(fp,
		"  buffered writes %" PRIu64 " (%" PRIu64 " slots), timeoffset %" PRIu64
		", invalidate %" PRIu64 ", spurious %" PRIu64 "\n",
		s->buffered, s->buffered_slots, s->timeoffset, s->invalidate, s->spurious);
	fprintf(fp, "  rejected %" PRIu64, s->rejected);
	if (s->rejected) {
		const char *sep = " (";

		for (unsigned i = 0; i < IOREQD_REJ_COUNT_; i++) {
			if (!s->rejected_by[i])
				continue;
			fprintf(fp, "%s%s %" PRIu64, sep, ioreqd_reject_name(i), s->rejected_by[i]);
			sep = ", ";
		}
		fputc(')', fp);
	}
	fputc('\n', fp);
	fprintf(fp, "  %-5s %-33s %-14s %9s %9s %9s %7s %6s %6s\n", "space", "range",
		"handler", "accesses", "reads", "writes", "passes", "defers", "errors");
	ioreqd_bus_foreach(d->bus, range_cb, fp);
	fflush(fp);
}
