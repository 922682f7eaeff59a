/* SPDX-License-Identifier: MIT */
/*
 * The device model ioreqd-replay runs (see replay.h): the daemon's own
 * (lib/engine/dm.c: bus, engine with no shared page, device set,
 * configuration and range services), with a virtual clock for timers and no
 * observer for interrupts.  Nothing here touches Xen, an event loop or
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
#include "dm.h"
#include "log.h"

struct ioreqd_timer {
	struct ioreqd_timer *next;
	struct replay *rp;
	void (*cb)(void *arg);
	void *arg;
	uint64_t due_us;
	bool armed;
};

struct replay {
	struct ioreqd_dm *dm;
	struct ioreqd_timer *timers;
	uint64_t now_us;
};

static struct replay *replay_of(ioreqd_dev_t *dev)
{
	return ioreqd_dm_opaque(dev->dm);
}

static void vlog_dev(ioreqd_dev_t *dev, enum ioreqd_log_level level, const char *fmt,
                     va_list ap, bool rl)
{
	char msg[512];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (rl)
		ioreqd_log_rl(&dev->rl, (int)level, "d%u %s: %s",
		              ioreqd_dm_domid(dev->dm), dev->cfg->name, msg);
	else
		ioreqd_log((int)level, "d%u %s: %s", ioreqd_dm_domid(dev->dm),
		           dev->cfg->name, msg);
}

__attribute__((format(printf, 3, 4))) static void
host_log(ioreqd_dev_t *dev, enum ioreqd_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog_dev(dev, level, fmt, ap, false);
	va_end(ap);
}

__attribute__((format(printf, 3, 4))) static void
host_log_rl(ioreqd_dev_t *dev, enum ioreqd_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog_dev(dev, level, fmt, ap, true);
	va_end(ap);
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
	t->rp = replay_of(dev);
	t->cb = cb;
	t->arg = arg;
	t->next = replay_of(dev)->timers;
	replay_of(dev)->timers = t;
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

static int host_publish(ioreqd_dev_t *dev, const char *key, const char *value)
{
	log_debug("d%u %s: %s = %s", ioreqd_dm_domid(dev->dm), dev->cfg->name, key,
	          value);
	return 0;
}

/* The environment services; ioreqd_dm_new() adds the device model's own. */
static const struct ioreqd_host replay_env = {
    .log = host_log,
    .log_rl = host_log_rl,
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
    .publish = host_publish,
};

static int engine_notify(void *opaque, unsigned vcpu)
{
	return 0;
}

static const struct ioreqd_guest_ops replay_guest_ops = {
    .notify = engine_notify,
};

struct replay *replay_new(const struct ioreqd_cfg *cfg, unsigned domid, char *err,
                          size_t errlen)
{
	struct replay *rp = calloc(1, sizeof(*rp));
	int rc;

	if (!rp || !(rp->dm = ioreqd_dm_new(domid, &replay_env, NULL, rp))) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (!ioreqd_dm_engine_new(rp->dm, NULL, IOREQD_MAX_VCPUS, &replay_guest_ops, rp,
	                          NULL, NULL)) {
		snprintf(err, errlen, "cannot create the engine");
		goto out;
	}
	for (unsigned i = 0; i < cfg->nr_devs; i++) {
		const struct ioreqd_cfg_dev *c = &cfg->devs[i];
		const struct ioreqd_hook *h;

		/* Replaying a trace into a trace writer would only rewrite it. */
		if (strcmp(c->hook, "trace") == 0)
			continue;
		h = ioreqd_builtin_hook_find(c->hook);
		if (!h) {
			snprintf(err, errlen,
			         "%s:%u: device %s: hook '%s' is not built in", cfg->path,
			         c->hook_line, c->name, c->hook);
			goto out;
		}
		if (ioreqd_dm_add(rp->dm, cfg, i, h, NULL, err, errlen) < 0)
			goto out;
	}
	if (ioreqd_dm_build(rp->dm, err, errlen) < 0)
		goto out;
	rc = ioreqd_dm_init(rp->dm);
	if (rc < 0) {
		snprintf(err, errlen, "%s", ioreqd_dm_error(rp->dm));
		goto out;
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
	if (rp->dm && ioreqd_dm_engine(rp->dm))
		ioreqd_engine_abort_all(ioreqd_dm_engine(rp->dm));
	ioreqd_dm_free(rp->dm);
	while (rp->timers) {
		struct ioreqd_timer *t = rp->timers;

		rp->timers = t->next;
		free(t);
	}
	free(rp);
}

struct ioreqd_engine *replay_engine(struct replay *rp)
{
	return ioreqd_dm_engine(rp->dm);
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
