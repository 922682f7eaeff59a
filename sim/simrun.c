/* SPDX-License-Identifier: MIT */
/*
 * The simguest interpreter: runs each script command as guest accesses on the
 * simulated domain (single, rep and buffered I/O, interrupts, registers,
 * virtio devices, repeat and parallel blocks on several vCPUs) and reports
 * each result as a check, numbered at top level and tallied inside blocks.
 */
#include "build-config.h"

#include "simrun.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bus.h"

#define DEBUGCON_PORT 0xe9
#define MAX_SHOWN 5 /* failures printed per block and thread */

/* One thread of execution: the main script, or one vCPU of a parallel block. */
struct ctx {
	struct sg_guest *g;
	unsigned vcpu;
	struct sg_vars vars;
	bool in_block; /* checks are tallied for the block, not numbered */
	uint64_t ops;
	uint64_t fails;
	unsigned shown;
	pthread_t thread;
	bool started;
	const struct sg_cmd *body;
	unsigned nbody;
	uint64_t reps;
};

static void run_cmds(struct ctx *x, const struct sg_cmd *cmds, unsigned n);

/* Record one check: numbered at top level, tallied inside blocks. */
static void check(struct ctx *x, const struct sg_cmd *c, bool ok, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void check(struct ctx *x, const struct sg_cmd *c, bool ok, const char *fmt, ...)
{
	struct sg_guest *g = x->g;
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (x->in_block) {
		x->ops++;
		if (ok)
			return;
		x->fails++;
		if (x->shown++ >= MAX_SHOWN)
			return;
		pthread_mutex_lock(&g->out);
		printf("# FAIL vcpu %u $i=%llu: %s (line %u)\n", x->vcpu,
		       (unsigned long long)x->vars.i, msg, c->line);
		pthread_mutex_unlock(&g->out);
		return;
	}
	pthread_mutex_lock(&g->out);
	g->checks++;
	if (ok)
		g->passed++;
	else
		g->failed++;
	if (!ok)
		printf("FAIL %u %s (line %u)\n", g->checks, msg, c->line);
	else if (!g->quiet)
		printf("ok %u %s\n", g->checks, msg);
	fflush(stdout);
	pthread_mutex_unlock(&g->out);
}

/* Evaluate an expression of @p c; a failure is reported as a failed check. */
static bool eval(struct ctx *x, const struct sg_cmd *c, const char *expr, uint64_t def,
                 uint64_t *out)
{
	if (!expr) {
		*out = def;
		return true;
	}
	if (sg_eval(expr, &x->vars, out) == 0)
		return true;
	check(x, c, false, "%s: cannot evaluate '%s'", sg_op_name(c->op), expr);
	return false;
}

static void describe(const struct sg_cmd *c, uint64_t addr, uint64_t size, char *buf,
                     size_t len)
{
	const char *dir = c->op == SG_READ ? "read" : "write";

	if (c->has_sbdf)
		snprintf(buf, len, "pci %s %04x:%02x:%02x.%u+0x%llx/%llu", dir,
		         c->sbdf >> 16, (c->sbdf >> 8) & 0xff, (c->sbdf >> 3) & 0x1f,
		         c->sbdf & 7, (unsigned long long)addr, (unsigned long long)size);
	else
		snprintf(buf, len, "%s %s 0x%llx/%llu", ioreqd_space_name(c->space), dir,
		         (unsigned long long)addr, (unsigned long long)size);
}

/* --- Single accesses ---------------------------------------------------------------- */

static void run_print(struct ctx *x, const struct sg_cmd *c)
{
	size_t len = strlen(c->text);
	int rc = 0;

	for (size_t i = 0; i <= len && rc == 0; i++)
		rc =
		    ioreqd_simhv_write(x->g->hv, x->vcpu, IOREQD_SPACE_PIO, DEBUGCON_PORT,
		                       1, i < len ? (unsigned char)c->text[i] : '\n');
	if (rc < 0)
		check(x, c, false, "print \"%s\": %s", c->text, strerror(-rc));
	else
		check(x, c, true, "print \"%s\"", c->text);
}

static void run_io(struct ctx *x, const struct sg_cmd *c)
{
	uint64_t addr, size, val = 0, expect, mask, got;
	char what[96];
	int rc;

	if (!eval(x, c, c->addr, 0, &addr) || !eval(x, c, c->size, 0, &size) ||
	    !eval(x, c, c->value, 0, &val) || !eval(x, c, c->expect, 0, &expect) ||
	    !eval(x, c, c->mask, ~0ull, &mask))
		return;
	describe(c, addr, size, what, sizeof(what));
	if (c->has_sbdf)
		addr = ((uint64_t)c->sbdf << 32) | (addr & 0xffffffffull);
	if (size > 8) {
		check(x, c, false, "%s: bad size", what);
		return;
	}
	if (c->op == SG_WRITE) {
		rc = ioreqd_simhv_write(x->g->hv, x->vcpu, c->space, addr, (unsigned)size,
		                        val);
		check(x, c, rc == 0, "%s = 0x%llx%s%s", what, (unsigned long long)val,
		      rc ? ": " : "", rc ? strerror(-rc) : "");
		return;
	}
	rc = ioreqd_simhv_read(x->g->hv, x->vcpu, c->space, addr, (unsigned)size, &got);
	if (rc < 0)
		check(x, c, false, "%s: %s", what, strerror(-rc));
	else if (c->expect && (got & mask) != (expect & mask))
		check(x, c, false, "%s = 0x%llx, expected 0x%llx", what,
		      (unsigned long long)got, (unsigned long long)expect);
	else
		check(x, c, true, "%s = 0x%llx", what, (unsigned long long)got);
}

/* --- Rep accesses
 * ------------------------------------------------------------------------ */

/* The default buffer: a slice of guest RAM of its own for each vCPU. */
static uint64_t scratch_base(const struct sg_guest *g, unsigned vcpu)
{
	uint64_t slice = (g->ram_size / g->nr_vcpus) & ~0xfffull;

	return slice * vcpu;
}

static uint8_t pattern_byte(enum sg_data kind, uint64_t b, uint64_t k)
{
	return (uint8_t)(kind == SG_DATA_PATTERN ? b + k : b);
}

static void run_rep(struct ctx *x, const struct sg_cmd *c)
{
	struct sg_guest *g = x->g;
	struct ioreqd_simhv_rep r = {.space = c->space, .read = c->read};
	uint64_t addr, size, count, df, lo, b = 0, len;
	uint8_t *ram;
	char what[128];
	int rc;

	if (!eval(x, c, c->addr, 0, &addr) || !eval(x, c, c->size, 0, &size) ||
	    !eval(x, c, c->count, 0, &count) || !eval(x, c, c->df, 0, &df) ||
	    !eval(x, c, c->buf, scratch_base(g, x->vcpu), &lo) ||
	    !eval(x, c, c->pattern, 0, &b))
		return;
	snprintf(what, sizeof(what), "rep %s %s 0x%llx/%llu x%llu df %u",
	         ioreqd_space_name(c->space), c->read ? "read" : "write",
	         (unsigned long long)addr, (unsigned long long)size,
	         (unsigned long long)count, df != 0);
	len = size * count;
	if (size > 8 || count == 0 || count > UINT32_MAX || lo + len < lo ||
	    (c->data != SG_DATA_VALUE && lo + len > g->ram_size)) {
		check(x, c, false, "%s: bad size, count or buffer 0x%llx", what,
		      (unsigned long long)lo);
		return;
	}
	ram = ioreqd_simhv_ram(g->hv, NULL);
	r.addr = addr;
	r.size = (unsigned)size;
	r.count = (uint32_t)count;
	r.df = df != 0;
	r.data_is_ptr = c->data != SG_DATA_VALUE;
	/* The guest passes the first element's slot: the top one when counting down. */
	r.data = c->data == SG_DATA_VALUE ? b : r.df ? lo + len - size : lo;
	if (!c->read && r.data_is_ptr)
		for (uint64_t k = 0; k < len; k++)
			ram[lo + k] = pattern_byte(c->data, b, k);
	if (c->read)
		for (uint64_t k = 0; k < len;
		     k++) /* so bytes nobody wrote do not match */
			ram[lo + k] = (uint8_t)~pattern_byte(c->data, b, k);
	rc = ioreqd_simhv_rep(g->hv, x->vcpu, &r, NULL);
	if (rc < 0) {
		check(x, c, false, "%s: %s", what, strerror(-rc));
		return;
	}
	if (c->read && c->data != SG_DATA_NONE) {
		for (uint64_t k = 0; k < len; k++) {
			if (ram[lo + k] != pattern_byte(c->data, b, k)) {
				check(x, c, false,
				      "%s: buffer byte %llu = 0x%02x, expected 0x%02x",
				      what, (unsigned long long)k, ram[lo + k],
				      pattern_byte(c->data, b, k));
				return;
			}
		}
	}
	check(x, c, true, "%s", what);
}

static void run_buf(struct ctx *x, const struct sg_cmd *c)
{
	uint64_t addr, size, val;
	bool posted = false;
	char what[96];
	int rc;

	if (!eval(x, c, c->addr, 0, &addr) || !eval(x, c, c->size, 0, &size) ||
	    !eval(x, c, c->value, 0, &val))
		return;
	snprintf(what, sizeof(what), "buf %s write 0x%llx/%llu = 0x%llx",
	         ioreqd_space_name(c->space), (unsigned long long)addr,
	         (unsigned long long)size, (unsigned long long)val);
	rc = size > 8 ? -EINVAL
	              : ioreqd_simhv_buf_write(x->g->hv, x->vcpu, c->space, addr,
	                                       (unsigned)size, val, &posted);
	if (rc < 0)
		check(x, c, false, "%s: %s", what, strerror(-rc));
	else if (c->posted >= 0 && posted != (c->posted == 1))
		check(x, c, false, "%s went %s, expected %s", what,
		      posted ? "through the ring" : "synchronously",
		      c->posted ? "posted" : "sync");
	else
		check(x, c, true, "%s (%s)", what, posted ? "posted" : "sync");
}

/* --- Everything else
 * ------------------------------------------------------------------------ */

static void run_expect_msi(struct ctx *x, const struct sg_cmd *c)
{
	uint64_t n, want_addr, want_data, addr = 0;
	uint32_t data = 0;
	int rc;

	if (!eval(x, c, c->count, 0, &n) || !eval(x, c, c->addr, 0, &want_addr) ||
	    !eval(x, c, c->value, 0, &want_data))
		return;
	rc = n ? ioreqd_simhv_wait_msi(x->g->hv, n, x->g->timeout_ms) : -EINVAL;
	if (rc == 0)
		rc = ioreqd_simhv_msi_get(x->g->hv, n - 1, &addr, &data);
	if (rc < 0)
		check(x, c, false, "msi #%llu: %s", (unsigned long long)n, strerror(-rc));
	else if ((c->addr && addr != want_addr) ||
	         (c->value && data != (uint32_t)want_data))
		check(x, c, false,
		      "msi #%llu addr 0x%llx data 0x%x, expected addr 0x%llx data 0x%llx",
		      (unsigned long long)n, (unsigned long long)addr, data,
		      (unsigned long long)want_addr, (unsigned long long)want_data);
	else
		check(x, c, true, "msi #%llu addr 0x%llx data 0x%x",
		      (unsigned long long)n, (unsigned long long)addr, data);
}

static void run_reg(struct ctx *x, const struct sg_cmd *c)
{
	const struct sg_reg *reg = &sg_regs[c->reg];
	struct ioreqd_vcpu_regs regs;
	uint64_t want, have = 0;
	int rc;

	if (!eval(x, c, c->value, 0, &want))
		return;
	rc = ioreqd_simhv_vcpu_get(x->g->hv, x->vcpu, &regs);
	if (rc == 0)
		memcpy(&have, (char *)&regs + reg->off, reg->width); /* little-endian */
	if (rc == 0 && c->op == SG_SET_REG) {
		memcpy((char *)&regs + reg->off, &want, reg->width);
		rc = ioreqd_simhv_vcpu_set(x->g->hv, x->vcpu, &regs);
		if (rc < 0)
			check(x, c, false, "reg %s: %s", reg->name, strerror(-rc));
		return; /* setting a register is not a check */
	}
	if (rc < 0)
		check(x, c, false, "vcpu %u %s: %s", x->vcpu, reg->name, strerror(-rc));
	else
		check(x, c, have == want, "vcpu %u %s = 0x%llx%s", x->vcpu, reg->name,
		      (unsigned long long)have,
		      have == want ? "" : ", expected another value");
}

static void *parallel_main(void *arg)
{
	struct ctx *t = arg;

	for (uint64_t i = 0; i < t->reps; i++) {
		t->vars.i = i;
		run_cmds(t, t->body, t->nbody);
	}
	return NULL;
}

static void run_parallel(struct ctx *x, const struct sg_cmd *c)
{
	struct sg_guest *g = x->g;
	uint64_t n, reps;
	struct ctx *t;

	if (!eval(x, c, c->count, 0, &n) || !eval(x, c, c->reps, 1, &reps))
		return;
	if (n == 0 || n > g->nr_vcpus) {
		check(x, c, false, "parallel %llu: the domain has %u vCPUs",
		      (unsigned long long)n, g->nr_vcpus);
		return;
	}
	t = calloc(n, sizeof(*t));
	if (!t) {
		check(x, c, false, "parallel: out of memory");
		return;
	}
	for (unsigned v = 0; v < n; v++) {
		t[v] = (struct ctx){.g = g,
		                    .vcpu = v,
		                    .vars = {.vcpu = v},
		                    .in_block = true,
		                    .body = c->body,
		                    .nbody = c->nbody,
		                    .reps = reps};
		t[v].started =
		    pthread_create(&t[v].thread, NULL, parallel_main, &t[v]) == 0;
		if (!t[v].started)
			t[v].fails = 1; /* reported below */
	}
	for (unsigned v = 0; v < n; v++) {
		if (t[v].started)
			pthread_join(t[v].thread, NULL);
		if (x->in_block) {
			x->ops += t[v].ops;
			x->fails += t[v].fails;
		} else {
			check(x, c, t[v].fails == 0,
			      "parallel vcpu %u: %llu operations, %llu failed", v,
			      (unsigned long long)t[v].ops,
			      (unsigned long long)t[v].fails);
		}
	}
	free(t);
}

static void run_repeat(struct ctx *x, const struct sg_cmd *c)
{
	struct ctx inner = *x;
	uint64_t n;

	if (!eval(x, c, c->count, 0, &n))
		return;
	inner.in_block = true;
	inner.ops = inner.fails = 0;
	inner.shown = x->in_block ? x->shown : 0;
	for (uint64_t i = 0; i < n; i++) {
		inner.vars.i = i;
		run_cmds(&inner, c->body, c->nbody);
	}
	if (x->in_block) {
		x->ops += inner.ops;
		x->fails += inner.fails;
		x->shown = inner.shown;
	} else {
		check(x, c, inner.fails == 0,
		      "repeat %llu on vcpu %u: %llu operations, %llu failed",
		      (unsigned long long)n, x->vcpu, (unsigned long long)inner.ops,
		      (unsigned long long)inner.fails);
	}
}

/* --- virtio ------------------------------------------------------------------ */

static void run_virtio(struct ctx *x, const struct sg_cmd *c)
{
	const struct sg_virtio_args *v = &c->vio;
	struct sg_guest *g = x->g;
	uint64_t dev, addr = 0, irq = 0, id, queues, qsize, features, area, bytes,
	              msix = 1;
	struct sg_vattach a;
	uint64_t sector = 0, count = 0, seed = 0;
	struct sg_vdev *d;
	char err[256] = "";
	int rc = 0;

	if (!eval(x, c, v->dev, 0, &dev))
		return;
	if (dev >= SG_VIRTIO_DEVS) {
		check(x, c, false, "virtio %llu: devices are 0 to %u",
		      (unsigned long long)dev, SG_VIRTIO_DEVS - 1);
		return;
	}
	d = &g->vdev[dev];
	switch (v->op) {
	case SG_V_ATTACH:
		if (!eval(x, c, c->space == IOREQD_SPACE_PCI ? v->bar : c->addr, 0,
		          &addr) ||
		    !eval(x, c, v->msix, 1, &msix) || !eval(x, c, v->irq, 0, &irq) ||
		    !eval(x, c, v->id, 0, &id) || !eval(x, c, v->queues, 1, &queues) ||
		    !eval(x, c, v->qsize, 16, &qsize) ||
		    !eval(x, c, v->features, 0, &features) ||
		    !eval(x, c, v->area, UINT64_MAX, &area))
			return;
		if (queues < 1 || queues > IOREQD_VGUEST_QUEUES || qsize < 1 ||
		    qsize > 32768 || irq >= IOREQD_SIMHV_NR_IRQS) {
			check(x, c, false,
			      "virtio %llu attach: queues 1-%u, qsize 1-32768, irq < %u",
			      (unsigned long long)dev, IOREQD_VGUEST_QUEUES,
			      IOREQD_SIMHV_NR_IRQS);
			return;
		}
		a = (struct sg_vattach){
		    .slot = (unsigned)dev,
		    .base = addr,
		    .irq = (unsigned)irq,
		    .device_id = (uint32_t)id,
		    .queues = (unsigned)queues,
		    .qsize = (uint32_t)qsize,
		    .features = features,
		    .area = area,
		    .sbdf = c->sbdf,
		    .bar = addr,
		    .msix = msix != 0,
		};
		if (c->space == IOREQD_SPACE_PCI)
			rc =
			    sg_virtio_attach_pci(d, g->hv, x->vcpu, &a, err, sizeof(err));
		else
			rc = sg_virtio_attach_mmio(d, g->hv, x->vcpu, &a, err,
			                           sizeof(err));
		check(x, c, rc == 0, "virtio %llu attach %s 0x%llx: %s",
		      (unsigned long long)dev,
		      c->space == IOREQD_SPACE_PCI
		          ? (msix ? "pci (MSI-X), BAR" : "pci (INTx), BAR")
		          : "mmio",
		      (unsigned long long)addr,
		      rc                    ? err
		      : d->g.device_id == 4 ? "virtio-rng"
		      : d->g.device_id == 2 ? "virtio-blk"
		      : d->g.device_id == 3 ? "virtio-console"
		                            : "up");
		break;
	case SG_V_DETACH:
		sg_virtio_detach(d);
		check(x, c, true, "virtio %llu detach", (unsigned long long)dev);
		break;
	case SG_V_RNG:
		if (!eval(x, c, v->bytes, 0, &bytes))
			return;
		if (!d->up || d->g.device_id != 4)
			rc = -ENODEV,
			snprintf(err, sizeof(err), "not a virtio-rng device");
		else
			rc = sg_virtio_rng_read(d,
			                        bytes > UINT32_MAX ? 0 : (uint32_t)bytes,
			                        g->timeout_ms, err, sizeof(err));
		check(x, c, rc == 0, "virtio %llu rng read %llu%s%s",
		      (unsigned long long)dev, (unsigned long long)bytes,
		      rc ? ": " : " bytes", rc ? err : "");
		break;
	case SG_V_BLK_WRITE:
	case SG_V_BLK_READ:
	case SG_V_BLK_FLUSH:
		if (v->op != SG_V_BLK_FLUSH &&
		    (!eval(x, c, v->sector, 0, &sector) ||
		     !eval(x, c, v->count, 0, &count) || !eval(x, c, v->seed, 0, &seed)))
			return;
		if (v->op != SG_V_BLK_FLUSH &&
		    (count == 0 || count > SG_VBLK_MAX_SECTORS))
			rc = -EINVAL,
			snprintf(err, sizeof(err), "count 1 to %u", SG_VBLK_MAX_SECTORS);
		else
			rc =
			    sg_virtio_blk(d, v->op == SG_V_BLK_WRITE, sector,
			                  (uint32_t)count, v->seed != NULL, (uint8_t)seed,
			                  g->timeout_ms, err, sizeof(err));
		check(x, c, rc == 0, "virtio %llu blk %s %llu+%llu%s%s",
		      (unsigned long long)dev,
		      v->op == SG_V_BLK_WRITE  ? "write"
		      : v->op == SG_V_BLK_READ ? "read"
		                               : "flush",
		      (unsigned long long)sector, (unsigned long long)count,
		      rc ? ": " : "", rc ? err : "");
		break;
	case SG_V_BLK_START:
		if (!eval(x, c, v->sector, 0, &sector) ||
		    !eval(x, c, v->count, 0, &count) || !eval(x, c, v->seed, 0, &seed))
			return;
		if (count == 0 || count > SG_VBLK_MAX_SECTORS)
			rc = -EINVAL,
			snprintf(err, sizeof(err), "count 1 to %u", SG_VBLK_MAX_SECTORS);
		else
			rc = sg_virtio_blk_start(d, v->start_write, sector,
			                         (uint32_t)count, v->seed != NULL,
			                         (uint8_t)seed, err, sizeof(err));
		check(x, c, rc == 0, "virtio %llu blk start %s %llu+%llu%s%s",
		      (unsigned long long)dev, v->start_write ? "write" : "read",
		      (unsigned long long)sector, (unsigned long long)count,
		      rc ? ": " : "", rc ? err : "");
		break;
	case SG_V_BLK_FINISH:
		rc = sg_virtio_blk_finish(d, g->timeout_ms, err, sizeof(err));
		check(x, c, rc == 0, "virtio %llu blk finish%s%s",
		      (unsigned long long)dev, rc ? ": " : "", rc ? err : "");
		break;
	case SG_V_CONS_WRITE:
		rc = sg_virtio_console_write(d, c->text, g->timeout_ms, err, sizeof(err));
		check(x, c, rc == 0, "virtio %llu console write%s%s",
		      (unsigned long long)dev, rc ? ": " : "", rc ? err : "");
		break;
	case SG_V_CONS_READ:
		rc = sg_virtio_console_read(d, c->text, g->timeout_ms, err, sizeof(err));
		check(x, c, rc == 0, "virtio %llu console read%s%s",
		      (unsigned long long)dev, rc ? ": " : "", rc ? err : "");
		break;
	}
}

static void run_cmd(struct ctx *x, const struct sg_cmd *c)
{
	struct sg_guest *g = x->g;
	uint64_t v = 0, w = 0;
	char value[IOREQD_SIM_VALUE_MAX];
	int rc;

	switch (c->op) {
	case SG_PRINT:
		run_print(x, c);
		break;
	case SG_READ:
	case SG_WRITE:
		run_io(x, c);
		break;
	case SG_REP:
		run_rep(x, c);
		break;
	case SG_BUF:
		run_buf(x, c);
		break;
	case SG_DRAIN:
		if (!eval(x, c, c->value, g->timeout_ms, &v))
			break;
		rc = ioreqd_simhv_drain(g->hv, (unsigned)v);
		check(x, c, rc == 0, "drain: %s",
		      rc ? strerror(-rc) : "every buffered write consumed");
		break;
	case SG_TIMEOFFSET:
		if (!eval(x, c, c->value, 0, &v))
			break;
		rc = ioreqd_simhv_timeoffset(g->hv, x->vcpu, (int64_t)v);
		check(x, c, rc == 0, "timeoffset %lld%s%s", (long long)v, rc ? ": " : "",
		      rc ? strerror(-rc) : "");
		break;
	case SG_INVALIDATE:
		rc = ioreqd_simhv_invalidate(g->hv, x->vcpu);
		check(x, c, rc == 0, "invalidate%s%s", rc ? ": " : "",
		      rc ? strerror(-rc) : "");
		break;
	case SG_SLEEP:
		if (eval(x, c, c->value, 0, &v)) {
			struct timespec ts = {.tv_sec = (time_t)(v / 1000000),
			                      .tv_nsec = (long)(v % 1000000) * 1000};

			nanosleep(&ts, NULL);
		}
		break;
	case SG_VCPU:
		if (!eval(x, c, c->value, 0, &v))
			break;
		if (v >= g->nr_vcpus)
			check(x, c, false, "vcpu %llu: the domain has %u vCPUs",
			      (unsigned long long)v, g->nr_vcpus);
		else
			x->vcpu = (unsigned)v;
		break;
	case SG_EXPECT_IRQ:
		if (!eval(x, c, c->addr, 0, &v) ||
		    !eval(x, c, c->value, g->timeout_ms, &w))
			break;
		rc = ioreqd_simhv_wait_irq(g->hv, (unsigned)v, (unsigned)c->level,
		                           (unsigned)w);
		check(x, c, rc == 0, "irq %llu is %s%s%s", (unsigned long long)v,
		      c->level ? "high" : "low", rc ? ": " : "", rc ? strerror(-rc) : "");
		break;
	case SG_EXPECT_MSI:
		run_expect_msi(x, c);
		break;
	case SG_EXPECT_KEY:
		rc = ioreqd_simhv_wait_key(g->hv, c->text, c->text2, g->timeout_ms);
		if (rc == 0)
			check(x, c, true, "key %s = %s", c->text, c->text2);
		else if (ioreqd_simhv_key_get(g->hv, c->text, value, sizeof(value)) == 0)
			check(x, c, false, "key %s = %s, expected %s", c->text, value,
			      c->text2);
		else
			check(x, c, false, "key %s was never published", c->text);
		break;
	case SG_SET_REG:
	case SG_EXPECT_REG:
		run_reg(x, c);
		break;
	case SG_REPEAT:
		run_repeat(x, c);
		break;
	case SG_PARALLEL:
		run_parallel(x, c);
		break;
	case SG_VIRTIO:
		run_virtio(x, c);
		break;
	case SG_WAIT_RESTART: {
		struct ioreqd_simhv_mark mark;

		if (!eval(x, c, c->value, g->timeout_ms, &v))
			break;
		rc = ioreqd_simhv_restart_mark(g->hv, &mark);
		if (rc == 0) {
			/* A test sequences its restart on this line. */
			printf("# wait-restart: waiting for a server newer than %u\n",
			       mark.server);
			fflush(stdout);
			rc = ioreqd_simhv_wait_newer(g->hv, &mark, (unsigned)v);
		}
		check(x, c, rc == 0, "wait-restart: %s",
		      rc ? strerror(-rc) : "a new device model serves the guest");
		break;
	}
	}
}

static void run_cmds(struct ctx *x, const struct sg_cmd *cmds, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		run_cmd(x, &cmds[i]);
}

void sg_run(struct sg_guest *g, const struct sg_cmd *cmds, unsigned n)
{
	struct ctx top = {.g = g};

	run_cmds(&top, cmds, n);
}
