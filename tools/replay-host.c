/* SPDX-License-Identifier: MIT */
/*
 * The host services ioreqd-replay gives the hooks (see replay.h): the same
 * configuration handling as the daemon (lib/hostcfg.c), ranges on a real bus
 * with the daemon's chain order, a real engine with no shared page, and a
 * virtual clock for timers.  Nothing here touches Xen, an event loop or
 * dlopen(): the hooks are the built-in table's.
 */
#include "replay.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builtin.h"
#include "hostcfg.h"
#include "log.h"

#define REPLAY_MAX_RANGES 64u

struct ioreqd_timer {
	struct ioreqd_timer *next;
	struct replay *rp;
	void (*cb)(void *arg);
	void *arg;
	uint64_t due_us;
	bool armed;
};

struct dev_range {
	enum ioreqd_space space;
	uint64_t base, last;
	struct ioreqd_range *range;
	struct ioreqd_hnode *node;
};

struct ioreqd_dev {
	struct replay *rp;
	const struct ioreqd_cfg *cfg;
	const struct ioreqd_cfg_dev *c;
	const struct ioreqd_hook *hook;
	void *priv;
	bool live;
	struct ioreqd_ratelimit rl;
	struct dev_range ranges[REPLAY_MAX_RANGES];
	unsigned nr_ranges;
};

struct replay {
	unsigned domid;
	struct ioreqd_bus *bus;
	struct ioreqd_engine *engine;
	struct ioreqd_dev *devs;
	unsigned nr_devs;
	struct ioreqd_timer *timers;
	uint64_t now_us;
	char *err;
	size_t errlen;
};

/* Built-in hooks not (yet) in hooks/builtin.c's table. */

static void vlog_dev(ioreqd_dev_t *dev, enum ioreqd_log_level level, const char *fmt,
		     va_list ap, bool rl)
{
	char msg[512];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (rl)
		ioreqd_log_rl(&dev->rl, (int)level, "d%u %s: %s", dev->rp->domid, dev->c->name,
			      msg);
	else
		ioreqd_log((int)level, "d%u %s: %s", dev->rp->domid, dev->c->name, msg);
}

__attribute__((format(printf, 3, 4))) static void host_log(ioreqd_dev_t *dev,
							  enum ioreqd_log_level level,
							  const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog_dev(dev, level, fmt, ap, false);
	va_end(ap);
}

__attribute__((format(printf, 3, 4))) static void host_log_rl(ioreqd_dev_t *dev,
							     enum ioreqd_log_level level,
							     const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog_dev(dev, level, fmt, ap, true);
	va_end(ap);
}

static const char *host_dev_name(ioreqd_dev_t *dev)
{
	return dev->c->name;
}

static unsigned host_domid(ioreqd_dev_t *dev)
{
	return dev->rp->domid;
}

static const char *host_cfg_str(ioreqd_dev_t *dev, const char *key)
{
	return ioreqd_cfg_dev_get(dev->c, key, NULL);
}

static int host_cfg_u64(ioreqd_dev_t *dev, const char *key, uint64_t def, uint64_t *out)
{
	return ioreqd_hostcfg_u64(dev->cfg, dev->c, key, def, out, dev->rp->err,
				  dev->rp->errlen);
}

__attribute__((format(printf, 3, 4))) static int host_cfg_error(ioreqd_dev_t *dev,
							       const char *key,
							       const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = ioreqd_hostcfg_verror(dev->cfg, dev->c, key, dev->rp->err, dev->rp->errlen, fmt,
				   ap);
	va_end(ap);
	return rc;
}

static int host_cfg_irq(ioreqd_dev_t *dev)
{
	return dev->c->irq;
}

static int host_range_get(ioreqd_dev_t *dev, unsigned idx, enum ioreqd_space *space,
			  uint64_t *base, uint64_t *last)
{
	if (idx >= dev->c->nr_ranges)
		return -ENOENT;
	*space = dev->c->ranges[idx].space;
	*base = dev->c->ranges[idx].base;
	*last = dev->c->ranges[idx].last;
	return 0;
}

static int install(ioreqd_dev_t *dev, struct dev_range *dr)
{
	struct ioreqd_handler h = {
		.name = dev->c->name,
		.fn = dev->hook->access,
		.opaque = dev->priv,
		.order = dev->c->order,
	};

	return ioreqd_range_install(dr->range, &h, &dr->node, NULL);
}

static int drop_range(ioreqd_dev_t *dev, unsigned i)
{
	struct dev_range *dr = &dev->ranges[i];
	int rc = ioreqd_bus_release(dev->rp->bus, dr->range, dr->node);

	if (rc < 0)
		return rc; /* -EBUSY: its chain is running; nothing changed */
	dev->ranges[i] = dev->ranges[--dev->nr_ranges];
	return 0;
}

/* Place a range (an identical one is shared: that is a chain). */
static int add_range(ioreqd_dev_t *dev, enum ioreqd_space space, uint64_t base,
		     uint64_t last, const char **why)
{
	struct ioreqd_range *r;
	struct dev_range *dr;
	int rc;

	*why = NULL;
	if (dev->nr_ranges >= REPLAY_MAX_RANGES) {
		*why = "too many ranges";
		return -ENOSPC;
	}
	rc = ioreqd_bus_claim(dev->rp->bus, space, base, last, &r, why);
	if (rc < 0)
		return rc;
	dr = &dev->ranges[dev->nr_ranges++];
	*dr = (struct dev_range){.space = space, .base = base, .last = last, .range = r};
	if (dev->live && (rc = install(dev, dr)) < 0) {
		drop_range(dev, dev->nr_ranges - 1);
		return rc;
	}
	return 0;
}

static int host_range_map(ioreqd_dev_t *dev, enum ioreqd_space space, uint64_t base,
			  uint64_t last)
{
	const char *why;

	return add_range(dev, space, base, last, &why);
}

static int host_range_unmap(ioreqd_dev_t *dev, enum ioreqd_space space, uint64_t base,
			    uint64_t last)
{
	for (unsigned i = 0; i < dev->nr_ranges; i++) {
		struct dev_range *dr = &dev->ranges[i];

		if (dr->space == space && dr->base == base && dr->last == last)
			return drop_range(dev, i);
	}
	return -ENOENT;
}

/* Interrupts have no observer in a replay: accept and forget them. */
static int host_irq_set_level(ioreqd_dev_t *dev, unsigned irq, unsigned level)
{
	return 0;
}

static int host_pci_intx(ioreqd_dev_t *dev, uint32_t sbdf, unsigned intx, unsigned level)
{
	return 0;
}

static int host_inject_msi(ioreqd_dev_t *dev, uint64_t addr, uint32_t data)
{
	return 0;
}

/* A trace holds no guest memory. */
static int host_guest_read(ioreqd_dev_t *dev, uint64_t gpa, void *buf, size_t len)
{
	return -EFAULT;
}

static int host_guest_write(ioreqd_dev_t *dev, uint64_t gpa, const void *buf, size_t len)
{
	return -EFAULT;
}

static ioreqd_timer_t *host_timer_new(ioreqd_dev_t *dev, void (*cb)(void *arg), void *arg)
{
	struct ioreqd_timer *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->rp = dev->rp;
	t->cb = cb;
	t->arg = arg;
	t->next = dev->rp->timers;
	dev->rp->timers = t;
	return t;
}

static int host_timer_arm(ioreqd_timer_t *t, uint64_t usec)
{
	t->armed = true;
	t->due_us = t->rp->now_us + usec;
	return 0;
}

static void host_timer_cancel(ioreqd_timer_t *t)
{
	t->armed = false;
}

static void host_timer_free(ioreqd_timer_t *t)
{
	struct ioreqd_timer **pp;

	if (!t)
		return;
	for (pp = &t->rp->timers; *pp; pp = &(*pp)->next) {
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	}
	free(t);
}

static ioreqd_watch_t *host_watch_new(ioreqd_dev_t *dev, int fd, unsigned events,
				      void (*cb)(int fd, unsigned events, void *arg),
				      void *arg)
{
	return NULL;
}

static void host_watch_free(ioreqd_watch_t *w)
{
}

static ioreqd_fault_t *host_fault_resume(ioreqd_dev_t *dev, ioreqd_ticket_t ticket)
{
	return ioreqd_engine_resume(dev->rp->engine, ticket);
}

static int host_publish(ioreqd_dev_t *dev, const char *key, const char *value)
{
	log_debug("d%u %s: %s = %s", dev->rp->domid, dev->c->name, key, value);
	return 0;
}

static const struct ioreqd_host replay_host = {
	.abi = IOREQD_HOOK_ABI,
	.size = sizeof(struct ioreqd_host),
	.log = host_log,
	.log_rl = host_log_rl,
	.dev_name = host_dev_name,
	.domid = host_domid,
	.cfg_str = host_cfg_str,
	.cfg_u64 = host_cfg_u64,
	.cfg_error = host_cfg_error,
	.cfg_irq = host_cfg_irq,
	.range_get = host_range_get,
	.range_map = host_range_map,
	.range_unmap = host_range_unmap,
	.irq_set_level = host_irq_set_level,
	.pci_intx_set_level = host_pci_intx,
	.inject_msi = host_inject_msi,
	.guest_read = host_guest_read,
	.guest_write = host_guest_write,
	.timer_new = host_timer_new,
	.timer_arm = host_timer_arm,
	.timer_cancel = host_timer_cancel,
	.timer_free = host_timer_free,
	.watch_new = host_watch_new,
	.watch_free = host_watch_free,
	.fault_resume = host_fault_resume,
	.publish = host_publish,
};

static void engine_notify(void *opaque, unsigned vcpu)
{
}

static const struct ioreqd_engine_ops replay_engine_ops = {
	.notify = engine_notify,
};

/* Refuse keys the hook does not declare, as the daemon does. */
static int check_keys(struct replay *rp, const struct ioreqd_cfg *cfg, ioreqd_dev_t *dev)
{
	for (unsigned i = 0; i < dev->c->nr_kv; i++) {
		const struct ioreqd_hook_key *k = dev->hook->keys;

		while (k && k->name && strcmp(k->name, dev->c->kv[i].key) != 0)
			k++;
		if (!k || !k->name) {
			snprintf(rp->err, rp->errlen, "%s:%u: device %s: unknown key '%s' for hook %s",
				 cfg->path, dev->c->kv[i].line, dev->c->name, dev->c->kv[i].key,
				 dev->hook->name);
			return -EINVAL;
		}
	}
	return 0;
}

static int build_dev(struct replay *rp, const struct ioreqd_cfg *cfg, ioreqd_dev_t *dev)
{
	const char *why = NULL;
	int rc;

	for (unsigned j = 0; j < dev->c->nr_ranges; j++) {
		const struct ioreqd_cfg_range *cr = &dev->c->ranges[j];

		rc = add_range(dev, cr->space, cr->base, cr->last, &why);
		if (rc < 0) {
			snprintf(rp->err, rp->errlen, "%s:%u: device %s: range 0x%" PRIx64
				 "-0x%" PRIx64 ": %s", cfg->path, cr->line, dev->c->name,
				 cr->base, cr->last, why ? why : strerror(-rc));
			return rc;
		}
	}
	rp->err[0] = '\0';
	rc = dev->hook->init(&replay_host, dev, &dev->priv);
	if (rc < 0) {
		if (!rp->err[0])
			snprintf(rp->err, rp->errlen, "%s:%u: device %s: init failed: %s",
				 cfg->path, dev->c->line, dev->c->name, strerror(-rc));
		return rc;
	}
	dev->live = true;
	for (unsigned j = 0; j < dev->nr_ranges; j++) {
		if ((rc = install(dev, &dev->ranges[j])) < 0) {
			snprintf(rp->err, rp->errlen, "device %s: install: %s", dev->c->name,
				 strerror(-rc));
			return rc;
		}
	}
	return 0;
}

struct replay *replay_new(const struct ioreqd_cfg *cfg, unsigned domid, char *err,
			  size_t errlen)
{
	struct replay *rp = calloc(1, sizeof(*rp));
	int rc = 0;

	if (!rp || !(rp->bus = ioreqd_bus_new()) ||
	    !(rp->devs = calloc(cfg->nr_devs ? cfg->nr_devs : 1, sizeof(*rp->devs)))) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	rp->domid = domid;
	rp->err = err;
	rp->errlen = errlen;
	rp->engine = ioreqd_engine_new(rp->bus, NULL, IOREQD_MAX_VCPUS, domid,
				       &replay_engine_ops, rp);
	if (!rp->engine) {
		snprintf(err, errlen, "cannot create the engine");
		goto out;
	}
	for (unsigned i = 0; i < cfg->nr_devs; i++) {
		const struct ioreqd_cfg_dev *c = &cfg->devs[i];
		ioreqd_dev_t *dev = &rp->devs[rp->nr_devs];
		const struct ioreqd_hook *h;

		if (strcmp(c->hook, "trace") == 0)
			continue;
		h = ioreqd_builtin_hook_find(c->hook);
		if (!h) {
			snprintf(err, errlen, "%s:%u: device %s: hook '%s' is not built in",
				 cfg->path, c->hook_line, c->name, c->hook);
			goto out;
		}
		*dev = (struct ioreqd_dev){.rp = rp, .cfg = cfg, .c = c, .hook = h,
					   .rl = IOREQD_RATELIMIT_INIT(5, 1)};
		rp->nr_devs++;
		if ((rc = check_keys(rp, cfg, dev)) < 0 || (rc = build_dev(rp, cfg, dev)) < 0) {
			if (c->optional && rc != -EEXIST) {
				log_warnx("%s: %s (optional device; skipped)", __func__, err);
				while (dev->nr_ranges && drop_range(dev, dev->nr_ranges - 1) == 0)
					;
				if (dev->live)
					dev->hook->fini(dev->priv);
				rp->nr_devs--;
				continue;
			}
			goto out;
		}
	}
	err[0] = '\0';
	return rp;
out:
	replay_free(rp);
	return NULL;
}

void replay_free(struct replay *rp)
{
	if (!rp)
		return;
	if (rp->engine)
		ioreqd_engine_abort_all(rp->engine);
	for (unsigned i = rp->nr_devs; i-- > 0;) {
		ioreqd_dev_t *dev = &rp->devs[i];

		while (dev->nr_ranges && drop_range(dev, dev->nr_ranges - 1) == 0)
			;
		if (dev->live)
			dev->hook->fini(dev->priv);
	}
	ioreqd_engine_free(rp->engine);
	ioreqd_bus_free(rp->bus);
	while (rp->timers) {
		struct ioreqd_timer *t = rp->timers;

		rp->timers = t->next;
		free(t);
	}
	free(rp->devs);
	free(rp);
}

struct ioreqd_engine *replay_engine(struct replay *rp)
{
	return rp->engine;
}

bool replay_fire_next_timer(struct replay *rp)
{
	struct ioreqd_timer *best = NULL;

	for (struct ioreqd_timer *t = rp->timers; t; t = t->next)
		if (t->armed && (!best || t->due_us < best->due_us))
			best = t;
	if (!best)
		return false;
	if (best->due_us > rp->now_us)
		rp->now_us = best->due_us;
	best->armed = false;
	best->cb(best->arg);
	return true;
}
