/* SPDX-License-Identifier: MIT */
/*
 * Statistics: the engine's counters, then one entry per range and one per
 * handler on it, in chain order (the handler that runs first is listed
 * first).  One walk produces both formats: a table (printed on SIGUSR1, at
 * exit, and for `ioreqd --stats`) and JSON (`ioreqd --stats --json`, through
 * the control socket), so the two can never disagree about what is counted.
 * The walk calls an emitter per item; each format is one set of emitters.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"

/* The state of one walk: where it prints, and JSON's separators. */
struct stats_out {
	FILE *fp;
	bool json;
	unsigned nr_ranges;   /* ranges emitted so far */
	unsigned nr_handlers; /* handlers emitted so far in the current range */
};

/* Handler names come from hooks and the config: escape them for JSON. */
static void json_string(FILE *fp, const char *s)
{
	fputc('"', fp);
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(fp, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			fprintf(fp, "\\u%04x", c);
		else
			fputc(c, fp);
	}
	fputc('"', fp);
}

static void json_counters(FILE *fp, const struct ioreqd_counters *c)
{
	fprintf(fp,
	        "\"accesses\": %" PRIu64 ", \"reads\": %" PRIu64 ", \"writes\": %" PRIu64
	        ", \"passes\": %" PRIu64 ", \"defers\": %" PRIu64
	        ", \"errors\": %" PRIu64,
	        c->accesses, c->reads, c->writes, c->passes, c->defers, c->errors);
}

static void table_counters(FILE *fp, const char *space, const char *range,
                           const char *who, const struct ioreqd_counters *c)
{
	fprintf(fp,
	        "  %-5s %-33s %-14s %9" PRIu64 " %9" PRIu64 " %9" PRIu64 " %7" PRIu64
	        " %6" PRIu64 " %6" PRIu64 "\n",
	        space, range, who, c->accesses, c->reads, c->writes, c->passes, c->defers,
	        c->errors);
}

static void emit_header(struct stats_out *o, unsigned domid, bool serving)
{
	if (o->json)
		fprintf(o->fp, "{\"domid\": %u, \"serving\": %s", domid,
		        serving ? "true" : "false");
	else
		fprintf(o->fp, "ioreqd statistics, domain %u:\n%s", domid,
		        serving ? "" : "  (not serving yet)\n");
}

/* The dirty log (live migration): in the table only once it was ever on. */
static void emit_dirty(struct stats_out *o, const struct ioreqd_dirty *dl)
{
	const struct ioreqd_dirty_stats *s = &dl->st;

	if (o->json) {
		fprintf(o->fp,
		        ", \"dirty_log\": {\"on\": %s, \"enables\": %" PRIu64
		        ", \"marks\": %" PRIu64 ", \"pages\": %" PRIu64
		        ", \"calls\": %" PRIu64 ", \"errors\": %" PRIu64
		        ", \"lost\": %" PRIu64 "}",
		        dl->on ? "true" : "false", s->enables, s->marks, s->pages,
		        s->calls, s->errors, s->lost);
		return;
	}
	if (!s->enables)
		return;
	fprintf(o->fp,
	        "  dirty log %s: %" PRIu64 " page(s) reported in %" PRIu64
	        " call(s) for %" PRIu64 " write(s); %" PRIu64 " call(s) failed, %" PRIu64
	        " page(s) lost\n",
	        dl->on ? "on" : "off", s->pages, s->calls, s->marks, s->errors, s->lost);
}

static void emit_engine(struct stats_out *o, const struct ioreqd_engine_stats *s)
{
	FILE *fp = o->fp;

	if (o->json) {
		fprintf(fp,
		        ", \"engine\": {\"requests\": %" PRIu64 ", \"accesses\": %" PRIu64
		        ", \"completed\": %" PRIu64 ", \"unhandled\": %" PRIu64
		        ", \"handler_errors\": %" PRIu64 ", \"deferred\": %" PRIu64
		        ", \"aborted\": %" PRIu64 ", \"buffered\": %" PRIu64
		        ", \"buffered_slots\": %" PRIu64 ", \"timeoffset\": %" PRIu64
		        ", \"invalidate\": %" PRIu64 ", \"spurious\": %" PRIu64
		        ", \"rejected\": %" PRIu64 ", \"rejected_by\": {",
		        s->requests, s->accesses, s->completed, s->unhandled,
		        s->handler_errors, s->deferred, s->aborted, s->buffered,
		        s->buffered_slots, s->timeoffset, s->invalidate, s->spurious,
		        s->rejected);
		for (unsigned i = 0, n = 0; i < IOREQD_REJ_COUNT_; i++) {
			if (!s->rejected_by[i])
				continue;
			fputs(n++ ? ", " : "", fp);
			json_string(fp, ioreqd_reject_name(i));
			fprintf(fp, ": %" PRIu64, s->rejected_by[i]);
		}
		fputs("}}, \"ranges\": [", fp);
		return;
	}
	fprintf(fp,
	        "  requests %" PRIu64 ", accesses %" PRIu64 ", completed %" PRIu64
	        ", unhandled %" PRIu64 ", handler errors %" PRIu64 ", deferred %" PRIu64
	        ", aborted %" PRIu64 "\n",
	        s->requests, s->accesses, s->completed, s->unhandled, s->handler_errors,
	        s->deferred, s->aborted);
	fprintf(fp,
	        "  buffered writes %" PRIu64 " (%" PRIu64 " slots), timeoffset %" PRIu64
	        ", invalidate %" PRIu64 ", spurious %" PRIu64 "\n",
	        s->buffered, s->buffered_slots, s->timeoffset, s->invalidate,
	        s->spurious);
	fprintf(fp, "  rejected %" PRIu64, s->rejected);
	if (s->rejected) {
		const char *sep = " (";

		for (unsigned i = 0; i < IOREQD_REJ_COUNT_; i++) {
			if (!s->rejected_by[i])
				continue;
			fprintf(fp, "%s%s %" PRIu64, sep, ioreqd_reject_name(i),
			        s->rejected_by[i]);
			sep = ", ";
		}
		fputc(')', fp);
	}
	fputc('\n', fp);
	fprintf(fp, "  %-5s %-33s %-14s %9s %9s %9s %7s %6s %6s\n", "space", "range",
	        "handler", "accesses", "reads", "writes", "passes", "defers", "errors");
}

static void emit_range(struct stats_out *o, struct ioreqd_range *r)
{
	const char *space = ioreqd_space_name(ioreqd_range_space(r));
	uint64_t base = ioreqd_range_base(r), last = ioreqd_range_last(r);
	char span[64];

	o->nr_handlers = 0;
	if (o->json) {
		/* Addresses as hex strings: JSON numbers lose precision above 2^53. */
		fprintf(o->fp,
		        "%s{\"space\": \"%s\", \"base\": \"0x%" PRIx64
		        "\", \"last\": \"0x%" PRIx64 "\", ",
		        o->nr_ranges ? ", " : "", space, base, last);
		json_counters(o->fp, ioreqd_range_counters(r));
		fputs(", \"handlers\": [", o->fp);
	} else {
		snprintf(span, sizeof(span), "0x%" PRIx64 "-0x%" PRIx64, base, last);
		table_counters(o->fp, space, span, "(range)", ioreqd_range_counters(r));
	}
	o->nr_ranges++;
}

static void emit_handler(struct stats_out *o, struct ioreqd_hnode *n)
{
	const char *name = ioreqd_hnode_handler(n)->name;

	if (o->json) {
		fprintf(o->fp, "%s{\"name\": ", o->nr_handlers ? ", " : "");
		json_string(o->fp, name);
		fputs(", ", o->fp);
		json_counters(o->fp, ioreqd_hnode_counters(n));
		fputc('}', o->fp);
	} else {
		table_counters(o->fp, "", "", name ? name : "?",
		               ioreqd_hnode_counters(n));
	}
	o->nr_handlers++;
}

static void emit_range_end(struct stats_out *o)
{
	if (o->json)
		fputs("]}", o->fp);
}

static void emit_footer(struct stats_out *o, bool serving)
{
	if (!o->json)
		return;
	fputs("}\n", o->fp);
}

static int range_cb(struct ioreqd_range *r, void *arg)
{
	struct stats_out *o = arg;

	emit_range(o, r);
	for (struct ioreqd_hnode *n = ioreqd_range_head(r); n; n = ioreqd_hnode_next(n))
		emit_handler(o, n);
	emit_range_end(o);
	return 0;
}

/*
 * A device's own counters (host->stats_register), grouped: in the table one
 * line per group ("  device rng0 queue0: requests 22, bytes_in 4096, ..."),
 * in JSON an object per group under "stats".  A hook emits a group's
 * counters together; a group name seen again simply starts a new line.
 */
struct dev_stats {
	struct stats_out *o;
	const char *kind; /* "device", or "backend" for the backend's own */
	const char *dev;
	char group[64]; /* the group being written ("" before the first) */
	unsigned in_group;
};

static void dev_stats_end_group(struct dev_stats *ds)
{
	if (!ds->group[0])
		return;
	fputs(ds->o->json ? "}" : "\n", ds->o->fp);
}

static void dev_stats_emit(void *ctx, const char *group, const char *name, uint64_t value)
{
	struct dev_stats *ds = ctx;
	FILE *fp = ds->o->fp;

	if (!group || !name)
		return;
	if (strncmp(ds->group, group, sizeof(ds->group) - 1) != 0) {
		bool first = !ds->group[0];

		dev_stats_end_group(ds);
		snprintf(ds->group, sizeof(ds->group), "%s", group);
		ds->in_group = 0;
		if (ds->o->json) {
			fputs(first ? ", \"stats\": {" : ", ", fp);
			json_string(fp, ds->group);
			fputs(": {", fp);
		} else {
			fprintf(fp, "  %s %s %s:", ds->kind, ds->dev, ds->group);
		}
	}
	if (ds->o->json) {
		fputs(ds->in_group ? ", " : "", fp);
		json_string(fp, name);
		fprintf(fp, ": %" PRIu64, value);
	} else {
		fprintf(fp, "%s %s %" PRIu64, ds->in_group ? "," : "", name, value);
	}
	ds->in_group++;
}

/*
 * Per device: interrupts the hypervisor refused (the guest never got them),
 * and the counters the device's hook reports itself.
 */
static void emit_devices(struct stats_out *o, const struct ioreqd_daemon *d)
{
	unsigned nr = d->dm ? ioreqd_dm_nr_devs(d->dm) : 0;

	if (o->json)
		fputs("], \"devices\": [", o->fp);
	for (unsigned i = 0; i < nr; i++) {
		ioreqd_dev_t *dev = ioreqd_dm_dev(d->dm, i);
		struct dev_stats ds = {.o = o, .kind = "device", .dev = dev->cfg->name};

		if (o->json) {
			fputs(i ? ", {\"name\": " : "{\"name\": ", o->fp);
			json_string(o->fp, dev->cfg->name);
			fprintf(o->fp, ", \"irq_errors\": %" PRIu64, dev->irq_errors);
		} else if (dev->irq_errors) {
			fprintf(o->fp,
			        "  device %s: %" PRIu64
			        " interrupt injection(s) refused\n",
			        dev->cfg->name, dev->irq_errors);
		}
		ioreqd_dm_dev_stats(dev, dev_stats_emit, &ds);
		dev_stats_end_group(&ds);
		if (o->json)
			fputs(ds.group[0] ? "}}" : "}", o->fp);
	}
	if (o->json)
		fputs("]", o->fp);
}

/* The backend's own counters (the Xen mapcache), as "backend" in JSON. */
static void emit_backend(struct stats_out *o, const struct ioreqd_daemon *d)
{
	struct dev_stats ds = {.o = o, .kind = "backend"};

	if (!d->be || !d->be_open || !d->be->stats)
		return;
	ds.dev = d->be->name;
	if (o->json) {
		fputs(", \"backend\": {\"name\": ", o->fp);
		json_string(o->fp, d->be->name);
	}
	d->be->stats(d->be_priv, dev_stats_emit, &ds);
	dev_stats_end_group(&ds);
	if (o->json)
		fputs(ds.group[0] ? "}}" : "}", o->fp);
}

/*
 * The adaptive poll (spin.c): always in JSON, so that a script can check that
 * an idle daemon does not spin; in the table only when it is on.
 */
static void emit_poll(struct stats_out *o, const struct ioreqd_poll *p)
{
	if (o->json) {
		fprintf(o->fp,
		        ", \"poll\": {\"cap_us\": %" PRIu64 ", \"window_us\": %" PRIu64
		        ", \"polls\": %" PRIu64 ", \"hits\": %" PRIu64
		        ", \"misses\": %" PRIu64 ", \"spin_us\": %" PRIu64
		        ", \"grows\": %" PRIu64 ", \"shrinks\": %" PRIu64 "}",
		        p->cap_ns / 1000, ioreqd_poll_window(p) / 1000, p->polls, p->hits,
		        p->misses, p->spin_ns / 1000, p->grows, p->shrinks);
		return;
	}
	if (!p->cap_ns)
		return;
	fprintf(o->fp,
	        "  adaptive poll up to %" PRIu64 " us (now %" PRIu64 " us): %" PRIu64
	        " spin(s), %" PRIu64 " found a request, %" PRIu64 " ran out; %" PRIu64
	        " us spinning\n",
	        p->cap_ns / 1000, ioreqd_poll_window(p) / 1000, p->polls, p->hits,
	        p->misses, p->spin_ns / 1000);
}

/* --checkpoint's counters, as "daemon" in JSON. */
static void emit_daemon(struct stats_out *o, const struct ioreqd_daemon *d)
{
	struct dev_stats ds = {.o = o, .kind = "daemon", .dev = "ioreqd"};

	if (!d->checkpoint)
		return;
	if (o->json)
		fputs(", \"daemon\": {\"name\": \"ioreqd\"", o->fp);
	ioreqd_checkpoint_stats(d, dev_stats_emit, &ds);
	dev_stats_end_group(&ds);
	if (o->json)
		fputs(ds.group[0] ? "}}" : "}", o->fp);
}

void ioreqd_stats_write(struct ioreqd_daemon *d, FILE *fp, bool json)
{
	struct stats_out o = {.fp = fp, .json = json};
	bool serving = d->engine != NULL;

	emit_header(&o, d->opts.domid, serving);
	if (serving) {
		emit_dirty(&o, &d->dirty);
		emit_poll(&o, &d->poll);
		emit_engine(&o, ioreqd_engine_stats(d->engine));
		ioreqd_bus_foreach(d->bus, range_cb, &o);
		emit_devices(&o, d);
		emit_backend(&o, d);
		emit_daemon(&o, d);
	}
	emit_footer(&o, serving);
	fflush(fp);
}

/*
 * SIGUSR1 and exit: the table goes where the log goes.  With --log syslog
 * (and once detached, where stderr is /dev/null) that is syslog, one message
 * per line; on stderr it is printed as it is.
 */
void ioreqd_stats_log(struct ioreqd_daemon *d)
{
	char *text = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&text, &len);

	if (!fp) {
		log_warn("cannot render the statistics (open_memstream)");
		return;
	}
	ioreqd_stats_write(d, fp, false);
	if (fclose(fp) == 0)
		ioreqd_log_report(text);
	else
		log_warnx("cannot render the statistics");
	free(text);
}
